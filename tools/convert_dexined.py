#!/usr/bin/python3
"""convert_dexined.py: the authors' DexiNed / TEED PyTorch checkpoints (.pth) -> Ztyle safetensors.

    /usr/bin/python3 tools/convert_dexined.py IN.pth OUT.safetensors [--model dexined|teed] [--f16]

IN is a state_dict saved by xavysp/DexiNed (e.g. checkpoints/BIPED/10/10_model.pth) or
xavysp/TEED (e.g. checkpoints/BIPED/5/5_model.pth); a {"state_dict": ...} or {"model": ...}
wrapper and DataParallel's "module." prefixes are accepted. Every key must be one of the model's
(bench/torch_edgenets.py has the module tree) with its shape, and none may be missing: the
output holds the same keys and values (num_batches_tracked as I64; float tensors F32, or F16
with --f16), plus metadata "ztyle_model" that `ztyle edges --weights` checks.
Needs PyTorch (Debian: python3-torch); not part of the product. Exit status 0 ok, 1 error."""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from torch_edgenets import DexiNed, TED  # noqa: E402

MODELS = {"dexined": DexiNed, "teed": TED}


def load_state_dict(path):
    sd = torch.load(path, map_location="cpu")
    for key in ("state_dict", "model"):
        if isinstance(sd, dict) and isinstance(sd.get(key), dict):
            sd = sd[key]
    if not isinstance(sd, dict) or not all(torch.is_tensor(v) for v in sd.values()):
        raise ValueError(f"{path}: not a state_dict (a dict of tensors)")
    return {(k[7:] if k.startswith("module.") else k): v for k, v in sd.items()}


def check(sd, kind):
    want = MODELS[kind]().state_dict()
    missing = [k for k in want if k not in sd]
    extra = [k for k in sd if k not in want]
    bad = [k for k in want if k in sd and tuple(sd[k].shape) != tuple(want[k].shape)]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing (first: {missing[0]})")
    if extra:
        problems.append(f"{len(extra)} unexpected (first: {extra[0]})")
    if bad:
        problems.append(f"shape of {bad[0]}: {tuple(sd[bad[0]].shape)}, want {tuple(want[bad[0]].shape)}")
    return problems, list(want)


def write_safetensors(path, sd, order, meta, f16):
    header, blobs, off = {"__metadata__": meta}, [], 0
    for k in order:
        t = sd[k].detach().cpu().contiguous()
        if t.dtype in (torch.int64, torch.int32):
            a, dt = t.numpy().astype("<i8"), "I64"
        elif f16:
            a, dt = t.float().numpy().astype("<f2"), "F16"
        else:
            a, dt = t.float().numpy().astype("<f4"), "F32"
        b = np.ascontiguousarray(a).tobytes()
        header[k] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input", help="the authors' .pth checkpoint")
    ap.add_argument("output", help="safetensors file to write")
    ap.add_argument("--model", choices=sorted(MODELS), help="default: the one whose keys match")
    ap.add_argument("--f16", action="store_true", help="store float tensors as F16 (half size)")
    a = ap.parse_args()
    try:
        sd = load_state_dict(a.input)
    except Exception as e:  # torch.load raises many kinds
        print(f"convert_dexined: {a.input}: {e}", file=sys.stderr)
        return 1
    kinds = [a.model] if a.model else sorted(MODELS)
    report = {}
    for kind in kinds:
        problems, order = check(sd, kind)
        if not problems:
            meta = {"ztyle_model": kind, "source": os.path.basename(a.input), "format": "pt"}
            write_safetensors(a.output, sd, order, meta, a.f16)
            n = sum(v.numel() for k, v in sd.items() if not k.endswith("num_batches_tracked"))
            print(f"{a.output}: {kind}, {len(order)} tensors, {n} values")
            return 0
        report[kind] = "; ".join(problems)
    for kind, why in report.items():
        print(f"convert_dexined: {a.input}: not a {kind} state_dict: {why}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
