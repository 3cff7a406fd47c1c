#!/usr/bin/env python3
"""Copy a fixture's reference.json with its float32 logits written in their shortest round-trip form.

The fixture writes float32 logits as float64 reprs (up to 17 digits); the shortest decimal that parses back
to the same float32 (numpy's format_float_positional(unique=True)) needs at most 9, so the file halves and
Float.parseFloat of every number gives back the exact float32. Everything else is copied unchanged.
Run: compact_reference.py IN_JSON OUT_JSON
"""
import json
import sys

import numpy as np


def shortest_f32(v):
    f = np.float32(v)
    assert float(f) == v, f"{v} is not a float32 value"
    return float(np.format_float_positional(f, unique=True))


def compact(o, key=None):
    if isinstance(o, dict):
        return {k: compact(v, k) for k, v in o.items()}
    if isinstance(o, list):
        if key == "logits":
            return [[shortest_f32(v) for v in row] for row in o]
        return [compact(v) for v in o]
    return o


def main(src, dst):
    with open(src) as f:
        ref = json.load(f)
    with open(dst, "w") as f:
        json.dump(compact(ref), f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
