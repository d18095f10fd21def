#!/usr/bin/python3
"""gen_dexined_golden.py: golden data for the DexiNed and TEED edge detectors (tests/test_dexined.c).

Re-implements both networks in PyTorch with the authors' module names (xavysp/DexiNed model.py,
xavysp/TEED ted.py), so the state_dict keys are theirs, fills every tensor with a counter-based
hash init that tests/test_dexined.c computes too (so the 21M DexiNed weights need not be
committed), runs eval-mode inference on three input sizes (one not a multiple of 16) with the
reference pre-processing, and saves to tests/data/dexined/:
  dexined_keys.txt, teed_keys.txt   every state_dict key with its shape, in order
  dexined_golden.safetensors        "img<H>x<W>" (H, W, 3) RGB 0..255 inputs; "out<k>:<H>x<W>"
                                    (1, 1, H, W) logits of side output k (k = 0..5) and the
                                    fused map (k = 6); "soft:<H>x<W>" = sigmoid of the fused map
  teed_golden.safetensors           the same for TEED (side outputs 0..2, fused 3)
  teed_random.safetensors           the TEED state_dict converted by tools/convert_dexined.py
  smish.safetensors                 "x", "y" = smish(x), "dx" = d(sum(y * w))/dx with "w"
It also saves both random-init state_dicts as .pth files in a temporary folder, runs the
converter on them and checks that every key comes back with the same values.
Regenerate: /usr/bin/python3 scripts/gen_dexined_golden.py   (Debian's python3-torch 1.13)"""
import os
import struct
import json
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from st_write import save  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
OUT = os.path.join(ROOT, "tests", "data", "dexined")
sys.path.insert(0, os.path.join(ROOT, "bench"))
from torch_edgenets import DexiNed, TED, preprocess, MEAN_BGR  # noqa: E402

SIZES = [(32, 32), (44, 37), (64, 64)]
M64 = (1 << 64) - 1


def fnv1a(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    return h


def splitmix(x):
    """splitmix64 finaliser over a uint64 numpy array (wrapping arithmetic)."""
    z = x.copy()
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hash_uniform(name, n):
    """n values in [-1, 1) on a 1/1024 grid: element i of tensor `name`."""
    i = np.arange(1, n + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = np.uint64(fnv1a(name)) + i * np.uint64(0x9E3779B97F4A7C15)
        u = splitmix(x) >> np.uint64(53)
    return ((u.astype(np.int64) - 1024).astype(np.float32)) / np.float32(1024)


def hash_init(model, first_div):
    """The rule tests/test_dexined.c repeats (hash_value there). first_div: extra divisor of
    block_1.conv1.weight (128 for DexiNed, whose BatchNorm expects unit scale; 16 for TEED)."""
    sd = model.state_dict()
    for k, t in sd.items():
        if k.endswith("num_batches_tracked"):
            t.zero_()
            continue
        v = hash_uniform(k, t.numel())
        if t.dim() == 4:
            fan_in = t.shape[1] * t.shape[2] * t.shape[3]
            w = v * np.float32(np.sqrt(6.0 / fan_in))
            if k.startswith("block_1.conv1."):
                w = w / np.float32(first_div)  # the input is raw pixels minus the mean
        elif k.endswith("running_var"):
            w = np.float32(1) + np.float32(0.5) * v
        elif k.endswith("weight"):  # BatchNorm scale
            w = np.float32(1) + np.float32(0.25) * v
        else:  # biases, running_mean
            w = np.float32(0.1) * v
        t.copy_(torch.from_numpy(w.astype(np.float32).reshape(t.shape)))


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (hl,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + hl])
    base = 8 + hl
    out = {}
    dt = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(data[base + a:base + b], dtype=dt[v["dtype"]]).reshape(v["shape"])
    return out, header.get("__metadata__", {})


def golden(kind, model, tmp):
    hash_init(model, 128 if kind == "dexined" else 16)
    model.eval()
    sd = model.state_dict()
    with open(os.path.join(OUT, f"{kind}_keys.txt"), "w") as f:
        f.write(f"# {kind} state_dict keys and shapes (scripts/gen_dexined_golden.py)\n")
        for k, t in sd.items():
            f.write(k + " " + "x".join(str(d) for d in t.shape) + "\n")
    nparam = sum(p.numel() for p in model.parameters())
    print(f"{kind}: {len(sd)} tensors, {nparam} parameters")
    # converter round trip on the .pth the authors' code would save
    pth = os.path.join(tmp, f"{kind}.pth")
    st = os.path.join(tmp, f"{kind}.safetensors")
    torch.save(sd, pth)
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "convert_dexined.py"), pth, st],
                   check=True)
    conv, meta = read_safetensors(st)
    assert meta.get("ztyle_model") == kind, meta
    assert set(conv) == set(sd), set(conv) ^ set(sd)
    for k, t in sd.items():
        assert np.array_equal(conv[k].astype(np.float64), t.numpy().astype(np.float64)), k
    if kind == "teed":
        with open(st, "rb") as a, open(os.path.join(OUT, "teed_random.safetensors"), "wb") as b:
            b.write(a.read())
    rng = np.random.default_rng(7)
    tensors = {}
    for h, w in SIZES:
        img = rng.integers(0, 256, size=(h, w, 3)).astype(np.float32)
        # some structure: a bright box and a dark diagonal band
        img[h // 4: 3 * h // 4, w // 4: 3 * w // 4] = np.minimum(img[h // 4: 3 * h // 4, w // 4: 3 * w // 4] + 100, 255)
        yy, xx = np.mgrid[0:h, 0:w]
        img[np.abs(yy - xx) < 3] = 10
        x = preprocess(img, MEAN_BGR[kind], 16 if kind == "dexined" else 8)
        with torch.no_grad():
            outs = model(x)
        tensors[f"img{h}x{w}"] = img
        for k, o in enumerate(outs):
            tensors[f"out{k}:{h}x{w}"] = o[:, :, :h, :w].numpy()
        tensors[f"soft:{h}x{w}"] = torch.sigmoid(outs[-1][:, :, :h, :w]).numpy()
        mx = max(float(o.abs().max()) for o in outs)
        print(f"  {h}x{w}: max |logit| {mx:.3f}")
    save(os.path.join(OUT, f"{kind}_golden.safetensors"), tensors)


def smish_golden():
    g = torch.Generator().manual_seed(3)
    x = torch.cat([torch.linspace(-30, 30, 61), torch.randn(200, generator=g) * 4,
                   torch.tensor([-100.0, -88.0, 0.0, 1e-4, 88.0, 100.0])])
    x.requires_grad_(True)
    w = torch.randn(x.shape, generator=g)
    y = x * torch.tanh(torch.log(1 + torch.sigmoid(x)))
    (y * w).sum().backward()
    save(os.path.join(OUT, "smish.safetensors"),
         {"x": x.detach().numpy(), "y": y.detach().numpy(), "w": w.numpy(), "dx": x.grad.numpy()})


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        golden("dexined", DexiNed(), tmp)
        golden("teed", TED(), tmp)
    smish_golden()


if __name__ == "__main__":
    main()
