#!/usr/bin/env python3
"""Derive testdata/models/tiny-fp-control-f16 from the shared fixture tiny-fp-control (F32).

Every tensor is converted F32 -> F16 with numpy's astype (IEEE round-to-nearest-even), written in the same
safetensors layout as the fixture's own writer (8-byte LE header length, compact JSON header with
__metadata__ first, tensors in the original order, header padded with spaces to a multiple of 8).
config.json is copied with torch_dtype set to "float16". Halving the file keeps testdata/ near 25 MB and
gives the test suite a real F16 checkpoint. Run: derive_control_f16.py SHARED_FIXTURE_DIR OUT_DIR
"""
import json
import struct
import sys

import numpy as np


def main(src, out):
    with open(f"{src}/model.safetensors", "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    meta = header.pop("__metadata__", {"format": "pt"})
    items = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0])
    new_header = {"__metadata__": meta}
    blobs = []
    offset = 0
    for name, info in items:
        assert info["dtype"] == "F32", (name, info["dtype"])
        a, b = info["data_offsets"]
        arr = np.frombuffer(raw[base + a:base + b], dtype="<f4").astype("<f2")
        data = arr.tobytes()
        new_header[name] = {"dtype": "F16", "shape": info["shape"], "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    hb = json.dumps(new_header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(f"{out}/model.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for blob in blobs:
            f.write(blob)
    with open(f"{src}/config.json") as f:
        config = json.load(f)
    config["torch_dtype"] = "float16"
    with open(f"{out}/config.json", "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
