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
