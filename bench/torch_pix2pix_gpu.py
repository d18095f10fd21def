#!/usr/bin/env python3
"""torch_pix2pix_gpu.py: the PyTorch half of `make bench-gpu` (bench/bench_gpu.c runs it).

The official pix2pix networks of bench/torch_pix2pix.py (UnetGenerator with transposed
convolutions, PatchGAN, BatchNorm, dropout) on the GPU, FP32 with TF32 allowed
(torch.backends.cuda.matmul.allow_tf32 and cudnn.allow_tf32, cudnn.benchmark on), as
Ztyle's cuda engine runs. Measures, after warm-up, the median of --reps runs of
  fwd    generator forward in eval mode under no_grad at batch --fwd-batch (images/s)
  train  one pix2pix optimisation step at batch --batch (images/s), as torch_pix2pix.py
and the peak device memory PyTorch's allocator held (torch.cuda.max_memory_allocated)
plus the device memory in use by the process after the runs (mem_get_info, context
included). Prints one JSON line:
  {"bench": "torch_pix2pix_gpu", "torch": "...", "gpu": "...", "config": "...",
   "fwd_batch": N, "fwd_ms": ..., "fwd_img_s": ..., "batch": N, "train_ms": ...,
   "train_img_s": ..., "peak_alloc_mb": ..., "used_mb": ...}
Usage: python3 bench/torch_pix2pix_gpu.py --config ztyle_128 --batch 8 --fwd-batch 1 --reps 20
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_pix2pix import build, make_train_step  # noqa: E402  (the CPU benchmark's networks and step)


def timed(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="ztyle_128")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--fwd-batch", type=int, default=1)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    a = ap.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"bench": "torch_pix2pix_gpu", "error": "no GPU for torch"}))
        return 0
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    dev = torch.device("cuda")
    g, d, input_nc, output_nc, size = build(a.config)
    g, d = g.to(dev), d.to(dev)
    res = {"bench": "torch_pix2pix_gpu", "torch": torch.__version__,
           "gpu": torch.cuda.get_device_name(0), "config": a.config}

    x = torch.rand(a.fwd_batch, input_nc, size, size, device=dev) * 2 - 1
    g.eval()
    with torch.no_grad():
        t = timed(lambda: g(x), a.warmup, a.reps)
    res.update(fwd_batch=a.fwd_batch, fwd_ms=1e3 * t, fwd_img_s=a.fwd_batch / t)

    real_a = torch.rand(a.batch, input_nc, size, size, device=dev) * 2 - 1
    real_b = torch.rand(a.batch, output_nc, size, size, device=dev) * 2 - 1
    step = make_train_step(g, d, real_a, real_b)  # the host reads the loss each step, as Ztyle does

    torch.cuda.reset_peak_memory_stats()
    t = timed(step, a.warmup, a.reps)
    free, total = torch.cuda.mem_get_info()
    res.update(batch=a.batch, train_ms=1e3 * t, train_img_s=a.batch / t,
               peak_alloc_mb=torch.cuda.max_memory_allocated() / 2**20,
               used_mb=(total - free) / 2**20)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
