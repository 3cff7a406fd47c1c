#!/usr/bin/env python3
"""Writes testdata/bad/: tiny malformed inputs for the readers, one problem each (python3 standard library only).

  python3 testdata/tools/make_bad_corpus.py testdata/bad

Every file is built here byte by byte from the format descriptions (safetensors: u64 header length, JSON header,
data; GGUF v3: FORMATS.md section 2), not by ternpack. The two `valid-*` entries are well-formed edge cases that
must be read successfully. The CLI test BadCorpusTest runs `ternpack inspect` on each entry.
"""
import json
import os
import shutil
import struct
import sys


def safetensors(header, data=b"", length=None):
    """A safetensors file: header is a dict (dumped as compact JSON) or raw bytes; length overrides the u64."""
    text = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def one_tensor_file(name="w"):
    return safetensors({name: entry("F32", [2], 0, 8)}, struct.pack("<2f", 1.0, -2.0))


def gguf_string(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gguf(kvs=(), tensors=(), data=b"", magic=b"GGUF", version=3, n_tensors=None, n_kv=None, alignment=32):
    """A GGUF v3 file. kvs: (key, type id, packed value bytes); tensors: (name, ne list, ggml type, offset)."""
    out = magic + struct.pack("<IQQ", version, len(tensors) if n_tensors is None else n_tensors,
                              len(kvs) if n_kv is None else n_kv)
    for key, vtype, value in kvs:
        out += gguf_string(key) + struct.pack("<I", vtype) + value
    for name, ne, gtype, offset in tensors:
        out += gguf_string(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", d) for d in ne)
        out += struct.pack("<IQ", gtype, offset)
    out += b"\0" * (-len(out) % alignment)
    return out + data


ARCH = ("general.architecture", 8, gguf_string("llama"))
F32 = 0

CONFIG = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 32, "hidden_size": 8,
          "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1}


def config(**changes):
    c = dict(CONFIG)
    for k, v in changes.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return json.dumps(c, indent=1).encode("utf-8")


TOKENIZER = {"version": "1.0", "added_tokens": [],
             "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}}


BITNET = dict(CONFIG, architectures=["BitNetForCausalLM"], model_type="bitnet", hidden_act="relu2",
              tie_word_embeddings=True, rms_norm_eps=1e-5, rope_theta=10000.0, max_position_embeddings=64)


def bitnet_shapes(c):
    """The tensors of a transformers BitNet checkpoint for config c: name -> shape (HF [out, in])."""
    h, f, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    kv = c["num_key_value_heads"] * h // c["num_attention_heads"]
    s = {"model.embed_tokens.weight": [v, h]}
    for layer in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % layer
        s.update({p + "input_layernorm.weight": [h], p + "self_attn.q_proj.weight": [h, h],
                  p + "self_attn.k_proj.weight": [kv, h], p + "self_attn.v_proj.weight": [kv, h],
                  p + "self_attn.o_proj.weight": [h, h], p + "self_attn.attn_sub_norm.weight": [h],
                  p + "post_attention_layernorm.weight": [h], p + "mlp.gate_proj.weight": [f, h],
                  p + "mlp.up_proj.weight": [f, h], p + "mlp.down_proj.weight": [h, f],
                  p + "mlp.ffn_sub_norm.weight": [f]})
    s["model.norm.weight"] = [h]
    return s


def latent_checkpoint(shapes=None, poison=None):
    """An F32 latent BitNet checkpoint directory; poison = (tensor, element index, float) overrides one value."""
    shapes = shapes or bitnet_shapes(BITNET)
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name, shape in shapes.items():
        n = 1
        for d in shape:
            n *= d
        # deterministic small values with all three signs, norms 1.0
        values = [1.0] * n if len(shape) == 1 else [((i * 7 + len(name)) % 5 - 2) * 0.01 for i in range(n)]
        if poison and poison[0] == name:
            values[poison[1]] = poison[2]
        header[name] = entry("F32", shape, len(data), len(data) + 4 * n)
        data += struct.pack("<%df" % n, *values)
    return {"config.json": json.dumps(BITNET, indent=1).encode(), "model.safetensors": safetensors(header, data),
            "tokenizer.json": json.dumps(TOKENIZER_BYTE_LEVEL).encode()}


def hf_packed_checkpoint(packed_rows_override=None):
    """An HF 2-bit (quant_method bitnet) directory: projections as U8 [ceil(out/4), in] plus a BF16 weight_scale."""
    c = dict(BITNET, quantization_config={"quant_method": "bitnet", "linear_class": "autobitlinear",
                                          "quantization_mode": "offline"})
    header, data = {"__metadata__": {"format": "pt", "quant_method": "bitnet"}}, b""
    for name, shape in bitnet_shapes(BITNET).items():
        if name.endswith("_proj.weight"):
            rows = (shape[0] + 3) // 4
            if packed_rows_override and packed_rows_override[0] == name:
                rows = packed_rows_override[1]
            n = rows * shape[1]
            header[name] = entry("U8", [rows, shape[1]], len(data), len(data) + n)
            data += bytes([0x55] * n)  # every 2-bit code 01 = trit 0
            scale = name[:-len(".weight")] + ".weight_scale"
            header[scale] = entry("BF16", [1], len(data), len(data) + 2)
            data += struct.pack("<H", 0x3F80)
        else:
            n = 1
            for d in shape:
                n *= d
            header[name] = entry("F32", shape, len(data), len(data) + 4 * n)
            data += struct.pack("<%df" % n, *([1.0] * n if len(shape) == 1 else [0.01] * n))
    return {"config.json": json.dumps(c, indent=1).encode(), "model.safetensors": safetensors(header, data),
            "tokenizer.json": json.dumps(TOKENIZER_BYTE_LEVEL).encode()}


# byte-level BPE (what a GGUF vocabulary can be built from): the 3-token vocabulary above with a ByteLevel stage
TOKENIZER_BYTE_LEVEL = dict(TOKENIZER, pre_tokenizer={"type": "ByteLevel", "add_prefix_space": False,
                                                      "trim_offsets": True, "use_regex": True},
                            decoder={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                                     "use_regex": True})


def files():
    """name -> bytes for a file, or name -> {file name: bytes} for a checkpoint directory."""
    f = {}
    # ---- safetensors headers ----
    f["empty.safetensors"] = b""
    f["truncated-length.safetensors"] = b"\x10\x00\x00\x00\x00"
    f["header-past-eof.safetensors"] = struct.pack("<Q", 1000) + b'{"a":1}'
    f["header-absurd-length.safetensors"] = struct.pack("<Q", 0xFFFF_FFFF_FFFF_FFF0) + b"{}      "
    f["header-not-json.safetensors"] = safetensors(b"{not json at all}")
    f["header-not-object.safetensors"] = safetensors(b"[1, 2, 3]")
    f["header-bad-utf8.safetensors"] = safetensors(b'{"w\xff\xfe":' + json.dumps(entry("F32", [0], 0, 0)).encode()
                                                   + b"}")
    f["unknown-dtype.safetensors"] = safetensors({"w": entry("Q4", [2], 0, 1)}, b"\0")
    f["negative-offset.safetensors"] = safetensors({"w": entry("F32", [2], -8, 0)}, b"\0" * 8)
    f["overlapping-offsets.safetensors"] = safetensors(
        {"a": entry("F32", [2], 0, 8), "b": entry("F32", [2], 4, 12)}, b"\0" * 12)
    f["offsets-past-end.safetensors"] = safetensors({"w": entry("F32", [4], 0, 16)}, b"\0" * 8)
    f["misordered-offsets.safetensors"] = safetensors({"w": entry("F32", [2], 8, 0)}, b"\0" * 8)
    f["size-mismatch.safetensors"] = safetensors({"w": entry("F32", [3], 0, 8)}, b"\0" * 8)
    f["duplicate-name.safetensors"] = safetensors(
        b'{"w":' + json.dumps(entry("F32", [1], 0, 4)).encode() + b',"w":'
        + json.dumps(entry("F32", [1], 4, 8)).encode() + b"}", b"\0" * 8)
    f["valid-zero-sized-and-scalar.safetensors"] = safetensors(
        {"__metadata__": {"format": "pt"}, "empty": entry("F32", [0, 4], 0, 0),
         "scalar": entry("BF16", [], 0, 2), "vector": entry("F16", [3], 2, 8)},
        struct.pack("<H", 0x3F80) + struct.pack("<3H", 0x3C00, 0x4000, 0xC000))
    # ---- sharded checkpoints (directories) ----
    shard_a = safetensors({"a": entry("F32", [2], 0, 8)}, b"\0" * 8)
    shard_b = safetensors({"b": entry("F32", [2], 0, 8)}, b"\0" * 8)

    def index(weight_map):
        return json.dumps({"metadata": {"total_size": 16}, "weight_map": weight_map}, indent=1).encode()

    f["index-dotdot"] = {"model.safetensors.index.json": index({"a": "../a.safetensors"})}
    f["index-absolute"] = {"model.safetensors.index.json": index({"a": "/tmp/a.safetensors"})}
    f["index-missing-shard"] = {"model.safetensors.index.json": index({"a": "a.safetensors", "b": "b.safetensors"}),
                                "a.safetensors": shard_a}
    f["index-tensor-in-two-shards"] = {
        "model.safetensors.index.json": index({"a": "a.safetensors", "b": "b.safetensors"}),
        "a.safetensors": shard_a,
        "b.safetensors": safetensors({"a": entry("F32", [2], 0, 8), "b": entry("F32", [2], 8, 16)}, b"\0" * 16)}
    f["valid-sharded"] = {"model.safetensors.index.json": index({"a": "a.safetensors", "b": "b.safetensors"}),
                          "a.safetensors": shard_a, "b.safetensors": shard_b, "config.json": config(),
                          "tokenizer.json": json.dumps(TOKENIZER).encode()}
    # ---- config.json and tokenizer.json in a checkpoint directory ----
    f["config-missing-hidden-size"] = {"config.json": config(hidden_size=None), "model.safetensors": one_tensor_file()}
    f["config-hidden-not-divisible-by-heads"] = {"config.json": config(hidden_size=10, num_attention_heads=4,
                                                                      num_key_value_heads=2),
                                                 "model.safetensors": one_tensor_file()}
    f["config-heads-not-divisible-by-kv-heads"] = {"config.json": config(num_attention_heads=4, num_key_value_heads=3),
                                                   "model.safetensors": one_tensor_file()}
    f["tokenizer-not-json"] = {"config.json": config(), "tokenizer.json": b'{"model": {"type": "BPE", ',
                               "model.safetensors": one_tensor_file()}
    bad_type = dict(TOKENIZER, model={"type": "SentencePieceMagic", "vocab": {"a": 0}})
    f["tokenizer-unknown-model-type"] = {"config.json": config(), "tokenizer.json": json.dumps(bad_type).encode(),
                                         "model.safetensors": one_tensor_file()}
    # ---- whole BitNet checkpoints whose tensors are wrong (read by convert / verify / pack) ----
    f["valid-bitnet-latent"] = latent_checkpoint()
    f["latent-nan-weight"] = latent_checkpoint(poison=("model.layers.0.mlp.up_proj.weight", 37, float("nan")))
    f["latent-inf-weight"] = latent_checkpoint(poison=("model.layers.0.self_attn.o_proj.weight", 5, float("-inf")))
    wrong = bitnet_shapes(BITNET)
    wrong["model.layers.0.self_attn.k_proj.weight"] = [8, 8]  # 1 kv head x head_dim 4 = 4 rows
    f["tensor-shape-contradicts-config"] = latent_checkpoint(shapes=wrong)
    f["valid-hf-packed"] = hf_packed_checkpoint()
    f["hf-packed-shape-contradicts-config"] = hf_packed_checkpoint(("model.layers.0.mlp.gate_proj.weight", 3))
    # ---- GGUF ----
    one = [("w", [4], F32, 0)]
    data = struct.pack("<4f", 1, 2, 3, 4)
    f["bad-magic.gguf"] = gguf([ARCH], one, data, magic=b"GGML")
    f["unsupported-version.gguf"] = gguf([ARCH], one, data, version=4)
    f["absurd-tensor-count.gguf"] = gguf([ARCH], one, data, n_tensors=1 << 62)
    f["absurd-kv-count.gguf"] = gguf([ARCH], one, data, n_kv=0xFFFF_FFFF_FFFF)
    f["string-past-eof.gguf"] = gguf([("general.architecture", 8, struct.pack("<Q", 1_000_000) + b"llama")])
    f["misaligned-tensor-offset.gguf"] = gguf([ARCH], [("w", [4], F32, 4)], data + b"\0" * 32)
    f["overlapping-tensors.gguf"] = gguf([ARCH], [("a", [8], F32, 0), ("b", [8], F32, 0)], b"\0" * 32)
    f["unknown-ggml-type.gguf"] = gguf([ARCH], [("w", [4], 99, 0)], data)
    f["tensor-data-past-eof.gguf"] = gguf([ARCH], [("w", [64], F32, 0)], data)
    return f


def main():
    out = sys.argv[1]
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    for name, content in sorted(files().items()):
        if isinstance(content, dict):
            os.makedirs(os.path.join(out, name))
            for inner, b in content.items():
                with open(os.path.join(out, name, inner), "wb") as fh:
                    fh.write(b)
        else:
            with open(os.path.join(out, name), "wb") as fh:
                fh.write(content)


if __name__ == "__main__":
    main()
