"""Writes reference draws of torch.randn for the TorchGenerator tests.

Run with Debian's python3-torch (`apt-get install python3-torch`, torch 1.13 on bookworm):
    /usr/bin/python3 tools/refs/make_torch_randn_refs.py > packages/pipeline/test/fixtures/torch-randn.json
Each case is a seed and a list of shapes drawn one after the other from the same generator,
so the fixture also checks that the generator state (and the cached Box-Muller value) carries.
"""
import json
import torch

CASES = [
    (0, [[6]]),
    (42, [[4]]),
    (0, [[16]]),
    (1, [[1], [1], [1]]),
    (7, [[3], [5], [2]]),
    (123, [[15]]),
    (123, [[17]]),
    (99, [[31], [33]]),
    (2024, [[1, 4, 8, 8]]),
    (5, [[3], [20], [1], [16]]),
    (4294967295, [[40]]),
    (4294967296 + 5, [[40]]),
    (31337, [[2, 4, 9, 7]]),
    (8, [[0], [5]]),
]

out = {"torch_version": torch.__version__, "cases": []}
for seed, shapes in CASES:
    g = torch.Generator().manual_seed(seed)
    draws = []
    for shape in shapes:
        t = torch.randn(shape, generator=g, dtype=torch.float32)
        draws.append({"shape": shape, "values": [float(v) for v in t.flatten().tolist()]})
    out["cases"].append({"seed": seed, "draws": draws})
print(json.dumps(out))
