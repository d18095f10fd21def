#!/usr/bin/python3
"""bench_edgenet.py: DexiNed and TEED latency at 512x512, Ztyle's engine vs PyTorch, 1 and 2 threads,
next to Ztyle's Canny and XDoG.

    /usr/bin/python3 bench/bench_edgenet.py [--reps R] [--image PHOTO] [--models dexined,teed]

Both sides get the same random-init weights (PyTorch default init of bench/torch_edgenets.py,
saved as .pth and converted by tools/convert_dexined.py: timing does not depend on the values)
and the same 512x512 photo (a clothing-small image letterboxed by `ztyle edges --size 512`, or
a synthetic one). Ztyle is timed by `ztyle edges --bench R --bench-raw` (pre-processing +
network + sigmoid, one warm-up pass not timed) and, for the whole drawing, `--bench R`;
PyTorch by the same model in eval mode under torch.no_grad() after one warm-up pass
(torch.set_num_threads(T)). Canny/XDoG: `ztyle edges --method canny|xdog --bench R` (one thread).
Prints a table (ms per image) and the Ztyle/PyTorch ratio. Needs build/release/ztyle."""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, HERE)
from torch_edgenets import DexiNed, TED, MEAN_BGR, PAD_MULTIPLE, preprocess  # noqa: E402

ZTYLE = os.path.join(ROOT, "build", "release", "ztyle")


def ztyle_bench(args, reps, threads):
    cmd = [ZTYLE, "edges"] + args + ["--bench", str(reps), "--threads", str(threads), "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["ms_per_image"]


def torch_bench(model, img, kind, reps, threads):
    torch.set_num_threads(threads)
    x = preprocess(img, MEAN_BGR[kind], PAD_MULTIPLE[kind])
    with torch.no_grad():
        torch.sigmoid(model(x)[-1])  # warm-up
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.sigmoid(model(x)[-1])
    return (time.perf_counter() - t0) / reps * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--image", help="photo to use (default: first clothing-small image)")
    ap.add_argument("--models", default="dexined,teed")
    a = ap.parse_args()
    import cv2

    with tempfile.TemporaryDirectory() as tmp:
        src = a.image
        if not src:
            ds = os.environ.get("ZTYLE_DATASET", os.path.join(ROOT, "..", "shared", "datasets", "clothing-small"))
            found = sorted(glob.glob(os.path.join(ds, "validation", "*", "*.jpg")))
            src = found[0] if found else None
        img_path = os.path.join(tmp, "photo512.png")
        if src:
            bgr = cv2.imread(src)
            h, w = bgr.shape[:2]
            s = 512 / max(h, w)
            bgr = cv2.resize(bgr, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
            canvas = np.full((512, 512, 3), 255, np.uint8)
            y0, x0 = (512 - bgr.shape[0]) // 2, (512 - bgr.shape[1]) // 2
            canvas[y0:y0 + bgr.shape[0], x0:x0 + bgr.shape[1]] = bgr
        else:
            rng = np.random.default_rng(1)
            canvas = cv2.GaussianBlur(rng.integers(0, 256, (512, 512, 3)).astype(np.uint8), (9, 9), 3)
        cv2.imwrite(img_path, canvas)
        img_rgb = canvas[:, :, ::-1].astype(np.float32)
        print(f"image: {src or 'synthetic'} letterboxed to 512x512; reps {a.reps}; "
              f"torch {torch.__version__}; {os.cpu_count()} cores")
        rows = []
        for kind in a.models.split(","):
            model = (DexiNed if kind == "dexined" else TED)().eval()
            pth, st = os.path.join(tmp, kind + ".pth"), os.path.join(tmp, kind + ".safetensors")
            torch.save(model.state_dict(), pth)
            subprocess.run([sys.executable, os.path.join(ROOT, "tools", "convert_dexined.py"), pth, st],
                           check=True, capture_output=True)
            for t in (1, 2):
                zn = ztyle_bench(["--method", kind, "--weights", st, "--bench-raw", img_path], a.reps, t)
                zd = ztyle_bench(["--method", kind, "--weights", st, img_path], a.reps, t)
                tt = torch_bench(model, img_rgb, kind, a.reps, t)
                rows.append((kind, t, zn, zd, tt))
        canny = ztyle_bench(["--method", "canny", img_path], max(a.reps, 5), 1)
        xdog = ztyle_bench(["--method", "xdog", img_path], max(a.reps, 5), 1)
    print(f"{'model':8} {'thr':>3} {'ztyle net ms':>13} {'ztyle drawing ms':>17} {'torch ms':>9} {'ztyle/torch':>12}")
    for kind, t, zn, zd, tt in rows:
        print(f"{kind:8} {t:3d} {zn:13.1f} {zd:17.1f} {tt:9.1f} {zn / tt:12.2f}")
    print(f"canny (ztyle, whole drawing, 1 thread): {canny:.1f} ms; xdog: {xdog:.1f} ms")


if __name__ == "__main__":
    main()
