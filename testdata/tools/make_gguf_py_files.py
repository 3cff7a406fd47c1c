#!/usr/bin/env python3
"""Small GGUF files written by llama.cpp's gguf-py, and what gguf-py's own reader says about them.

Writes into OUT_DIR (testdata/golden):
  formats-md-2.4.gguf    the byte-level worked example of FORMATS.md section 2.4 (arch bitnet, block_count u32 1,
                         layer_norm_rms_epsilon f32 1e-5, blk.0.attn_q.weight TQ2_0 2x256 whose rows are the
                         section-1.5 and Appendix A V1 blocks, blk.0.attn_norm.weight F32 [1.0, 0.5, -2.0]),
                         built with GGUFWriter as FORMATS.md says it was; the blocks come from
                         formats-md-vectors.txt. ternpack's GgufGoldenTest checks it equals its hand-written bytes.
  gguf-py-small.gguf     every metadata value type (scalars, a UINT64 above 2^63, a
                         string with a newline, arrays of five element types), general.alignment 64, and tensors of types F32, F16, BF16,
                         Q8_0, TQ1_0, TQ2_0 and I32 (1-D to 3-D).
  gguf-py-files.json     for both files, as gguf.GGUFReader reads them back: every key with its value type(s) and
                         value, and every tensor with its ggml type, ne (ggml order), n_bytes and data offset.
                         The inspect tests compare ternpack's output with this file.

gguf-py is not part of ternpack; run with a llama.cpp checkout on PYTHONPATH (STUBS holds a dummy sentencepiece):
  PYTHONPATH=llama.cpp/gguf-py:STUBS python3 make_gguf_py_files.py OUT_DIR
"""
import json
import os
import re
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q, GGUFValueType as V, quants


def vectors(path):
    """The [name] -> bytes table of formats-md-vectors.txt ('hh×n' repeats a byte; '|' and spaces separate)."""
    out, name = {}, None
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"\[(.+)\]", line)
        if m:
            name = m.group(1)
            out[name] = b""
            continue
        for group in line.replace("|", " ").split():
            rep = re.fullmatch(r"([0-9a-f]{2})×(\d+)", group)
            out[name] += bytes([int(rep.group(1), 16)]) * int(rep.group(2)) if rep else bytes.fromhex(group)
    return out


def formats_md_2_4(path, vec):
    w = gguf.GGUFWriter(path, "bitnet")
    w.add_block_count(1)
    w.add_layer_norm_rms_eps(1e-5)
    q = np.frombuffer(vec["section-1.5.tq2_0"] + vec["appendix-a.v1.tq2_0"], dtype=np.uint8).reshape(2, 66)
    w.add_tensor("blk.0.attn_q.weight", q, raw_dtype=Q.TQ2_0)
    w.add_tensor("blk.0.attn_norm.weight", np.array([1.0, 0.5, -2.0], dtype=np.float32))
    write(w)


def small(path, vec):
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("tiny gguf-py file\nsecond line")
    w.add_custom_alignment(64)
    w.add_context_length(128)
    w.add_embedding_length(64)
    w.add_block_count(2)
    w.add_feed_forward_length(256)
    w.add_head_count(4)
    w.add_head_count_kv(2)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_freq_base(10000.0)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_TQ2_0)
    w.add_quantization_version(2)
    w.add_key_value("test.u8", 200, V.UINT8)
    w.add_key_value("test.i8", -100, V.INT8)
    w.add_key_value("test.u16", 60000, V.UINT16)
    w.add_key_value("test.i16", -30000, V.INT16)
    w.add_key_value("test.u32", 4000000000, V.UINT32)
    w.add_key_value("test.i32", -2000000000, V.INT32)
    w.add_key_value("test.u64", 18000000000000000000, V.UINT64)
    w.add_key_value("test.i64", -9000000000000000000, V.INT64)
    w.add_key_value("test.f32", 0.1, V.FLOAT32)
    w.add_key_value("test.f64", 0.1, V.FLOAT64)
    w.add_key_value("test.bool", True, V.BOOL)
    # This gguf-py infers an array's element type from its items (bool, int -> INT32, float -> FLOAT32, str) or
    # takes bytes as UINT8; it writes no empty array and no arrays of 64-bit or 16-bit elements.
    w.add_key_value("test.bools", [True, False, True], V.ARRAY)
    w.add_key_value("test.u8s", bytes([0, 255, 7]), V.ARRAY)
    w.add_key_value("test.i32s", [-1, 2, -2147483648], V.ARRAY)
    tokens = ["<unk>", "<s>", "</s>"] + ["tok%02d" % i for i in range(17)]
    w.add_tokenizer_model("gpt2")
    w.add_token_list(tokens)
    w.add_token_scores([-float(i) for i in range(len(tokens))])
    w.add_token_types([2, 3, 3] + [1] * 17)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(True)

    rng = np.random.default_rng(20261122)
    w.add_tensor("token_embd.weight", rng.standard_normal((20, 64)).astype(np.float16))
    w.add_tensor("output_norm.weight", np.linspace(-1, 1, 64, dtype=np.float32))
    w.add_tensor("blk.0.attn_q.weight", np.frombuffer(vec["appendix-a.v1.tq2_0"] + vec["appendix-a.v2.tq2_0"],
                 dtype=np.uint8).reshape(2, 66), raw_dtype=Q.TQ2_0)
    w.add_tensor("blk.0.attn_k.weight", np.frombuffer(vec["appendix-a.v1.tq1_0"], dtype=np.uint8).reshape(1, 54),
                 raw_dtype=Q.TQ1_0)
    q8 = quants.quantize(rng.standard_normal((2, 64)).astype(np.float32), Q.Q8_0)
    w.add_tensor("blk.0.ffn_up.weight", q8, raw_dtype=Q.Q8_0)
    bf16 = quants.quantize(rng.standard_normal((3, 4)).astype(np.float32), Q.BF16)
    w.add_tensor("blk.1.bf16.weight", bf16, raw_dtype=Q.BF16)
    w.add_tensor("blk.1.ids", np.arange(24, dtype=np.int32).reshape(2, 3, 4))
    write(w)


def write(w):
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def field_value(field):
    """A field's value as gguf-py decodes it: scalars plain, arrays as lists, strings decoded from UTF-8."""
    types = field.types
    if types[0] == V.ARRAY:
        if types[-1] == V.STRING:
            return [bytes(field.parts[i]).decode("utf-8") for i in field.data]
        return [field.parts[i].tolist()[0] for i in field.data]
    if types[0] == V.STRING:
        return bytes(field.parts[field.data[0]]).decode("utf-8")
    return field.parts[field.data[0]].tolist()[0]


def describe(path):
    r = gguf.GGUFReader(path)
    fields = []
    for name, f in r.fields.items():
        if name.startswith("GGUF."):
            continue  # the reader's pseudo-fields for version and counts
        fields.append({"key": name, "types": [t.name for t in f.types], "value": field_value(f)})
    tensors = [{"name": t.name, "type": t.tensor_type.name, "ne": [int(d) for d in t.shape],
                "n_bytes": int(t.n_bytes), "data_offset": int(t.data_offset) - int(r.data_offset)}
               for t in r.tensors]
    return {"version": int(r.fields["GGUF.version"].parts[-1][0]), "alignment": int(r.alignment),
            "data_offset": int(r.data_offset), "file_size": os.path.getsize(path), "fields": fields,
            "tensors": tensors}


def main():
    out = sys.argv[1]
    vec = vectors(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "formats-md-vectors.txt"))
    files = {"formats-md-2.4.gguf": formats_md_2_4, "gguf-py-small.gguf": small}
    report = {}
    for name, make in files.items():
        make(os.path.join(out, name), vec)
        report[name] = describe(os.path.join(out, name))
    with open(os.path.join(out, "gguf-py-files.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
