#!/usr/bin/env python3
"""Golden TQ1_0 / TQ2_0 encodings of the fixture projections, made by llama.cpp's own gguf-py.

For every q/k/v/o/gate/up/down projection of the given checkpoints: decode the stored latent weights
(BF16 by a 16-bit shift, F16/F32 by numpy), ternarize with the fixtures' reference convention
(gamma = float32(mean_float64(|W|)), trit = clamp(round_half_even(float64(W) / gamma), -1, 1)), build the
dequantized float32 matrix trit * gamma (what llama.cpp's converter feeds gguf-py), quantize it with
gguf-py's `gguf.quants.quantize` (the numpy port of ggml's quantize_row_tq*_0_ref), and record the sha256
of the bytes plus the first block in hex. ternpack's fold-mode packing must reproduce these bytes exactly.

gguf-py is not part of ternpack; run this with a llama.cpp checkout on PYTHONPATH:
  PYTHONPATH=llama.cpp/gguf-py:STUBS python3 gguf_py_golden.py OUT.json MODEL_DIR...
(STUBS holds a dummy `sentencepiece` module: gguf-py imports it at start-up but these quantizers do not use it.)
"""
import hashlib
import json
import os
import struct
import sys

import numpy as np
import gguf
from gguf import quants

PROJECTIONS = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
               "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")


def read_tensors(model_dir):
    index = os.path.join(model_dir, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    out = {}
    for name in files:
        raw = open(os.path.join(model_dir, name), "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8:8 + n])
        header.pop("__metadata__", None)
        for key, info in header.items():
            a, b = info["data_offsets"]
            buf = raw[8 + n + a:8 + n + b]
            if info["dtype"] == "BF16":
                arr = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
            elif info["dtype"] == "F16":
                arr = np.frombuffer(buf, dtype="<f2").astype(np.float32)
            else:
                arr = np.frombuffer(buf, dtype="<f4").astype(np.float32)
            out[key] = arr.reshape(info["shape"])
    return out


def main(out_path, model_dirs):
    result = {"generator": "gguf-py (llama.cpp gguf-py/gguf/quants.py) via testdata/tools/gguf_py_golden.py",
              "convention": "d = fp16(gamma) for blocks with a nonzero trit, 0 for all-zero blocks (fold mode)",
              "models": {}}
    for model_dir in model_dirs:
        tensors = read_tensors(model_dir)
        layers = 1 + max(int(k.split(".")[2]) for k in tensors if k.startswith("model.layers."))
        entry = {}
        for layer in range(layers):
            for proj in PROJECTIONS:
                name = f"model.layers.{layer}.{proj}.weight"
                w = tensors[name]
                gamma = np.float32(np.mean(np.abs(w.astype(np.float64))))
                trits = np.clip(np.round(w.astype(np.float64) / np.float64(gamma)), -1, 1).astype(np.int8)
                deq = trits.astype(np.float32) * gamma
                record = {"gamma_f32_bits": "0x%08x" % np.array([gamma], dtype=np.float32).view(np.uint32)[0]}
                for qtype, key in ((gguf.GGMLQuantizationType.TQ2_0, "tq2_0"), (gguf.GGMLQuantizationType.TQ1_0, "tq1_0")):
                    data = quants.quantize(deq, qtype).tobytes()
                    block = 66 if key == "tq2_0" else 54
                    record[key] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                                   "first_block_hex": data[:block].hex()}
                entry[name] = record
        result["models"][os.path.basename(os.path.normpath(model_dir))] = entry
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
