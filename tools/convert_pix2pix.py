#!/usr/bin/python3
"""convert_pix2pix.py: an official pytorch-CycleGAN-and-pix2pix generator checkpoint (.pth, e.g.
checkpoints/<name>/latest_net_G.pth, a UnetGenerator state_dict) -> a Ztyle generator file.

    /usr/bin/python3 tools/convert_pix2pix.py IN.pth OUT.safetensors [--size 256] [--no-dropout]
        [--categories top,pants,skirt,hat] [--edge-method xdog] [--f16]

The architecture is read from the keys: input/output channels and ngf from the outermost
convolutions, num_downs from the nesting depth, batch norm when running statistics are present
(instance norm otherwise). Dropout has no weights, so it cannot be seen in a state_dict: the
official pix2pix default (on, --no_dropout off) is assumed unless --no-dropout. DataParallel's
"module." prefix is stripped. The output holds the same keys and values (F32, or F16 for weights
with --f16; BN buffers stay F32) and the "ztyle.model" metadata that `ztyle generate`, `eval`
and `serve` read; `zt_gen_load` then checks every key and shape strictly.
Needs PyTorch (Debian: python3-torch); not part of the product. Exit status 0 ok, 1 error."""
import argparse
import json
import os
import re
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from st_write import save  # noqa: E402


def load_state_dict(path):
    sd = torch.load(path, map_location="cpu")
    for key in ("state_dict", "model", "netG"):
        if isinstance(sd, dict) and isinstance(sd.get(key), dict):
            sd = sd[key]
    if not isinstance(sd, dict) or not all(torch.is_tensor(v) for v in sd.values()):
        raise ValueError(f"{path}: not a state_dict (a dict of tensors)")
    return {(k[7:] if k.startswith("module.") else k): v for k, v in sd.items()}


def infer(sd):
    for k in ("model.model.0.weight", "model.model.3.weight"):
        if k not in sd:
            raise ValueError(f"not a UnetGenerator state_dict: no '{k}'")
    w0, w3 = sd["model.model.0.weight"], sd["model.model.3.weight"]
    depth = max(len(re.findall(r"3\.model\.", k)) for k in sd)
    return {
        "arch": "unet",
        "in_nc": int(w0.shape[1]),
        "ngf": int(w0.shape[0]),
        "out_nc": int(w3.shape[1]),
        "num_downs": depth + 2,
        "norm": "batch" if any(k.endswith("running_mean") for k in sd) else "instance",
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=256, help="the size it was trained at")
    ap.add_argument("--no-dropout", action="store_true")
    ap.add_argument("--categories", default="", help="comma list, for conditioned models")
    ap.add_argument("--edge-method", default="")
    ap.add_argument("--f16", action="store_true")
    a = ap.parse_args()
    try:
        sd = load_state_dict(a.inp)
        info = infer(sd)
    except (ValueError, OSError, RuntimeError) as e:
        print(f"convert_pix2pix: {e}", file=sys.stderr)
        return 1
    info.update({"dropout": not a.no_dropout, "size": a.size,
                 "categories": [c for c in a.categories.split(",") if c],
                 "edge_method": a.edge_method})
    tensors = {}
    for k, v in sd.items():
        t = v.detach().float().numpy()
        if a.f16 and "running" not in k and "num_batches" not in k:
            t = t.astype(np.float16).astype(np.float32)  # stored F32, rounded as F16
        tensors[k] = t
    meta = {"ztyle.model": json.dumps(info, separators=(",", ":"), sort_keys=True),
            "ztyle.source": os.path.basename(a.inp)}
    save(a.out, tensors, meta)
    print(f"{a.out}: {len(tensors)} tensors, {json.dumps(info)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
