#!/usr/bin/python3
"""bench_canny.py: times ztyle's Canny against OpenCV's on the same photos.

Run from the repo root after `make` (Debian's python has cv2):
    /usr/bin/python3 bench/bench_canny.py [--n 200] [--reps 3] [--dataset DIR]

Both sides are timed without process start-up and decoding, one thread:
ztyle through the hidden `ztyle edges --bench R` mode (decodes and
letterboxes first, then times only zt_edges_detect), OpenCV in-process with
cv2.setNumThreads(1). Rows:
  raw    `--bench-raw`: grey Gaussian (sigma 2) + Sobel + NMS + hysteresis,
         i.e. the same work as cvtColor + GaussianBlur + cv2.Canny(L2)
  full   the default pipeline (colour gradient, auto threshold, pad
         detection, garment-mask gate, thinning, speckles): what training uses
at 256x256 (letterboxed) and at the photos' original size.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np


def pick(dataset, n):
    files = sorted(glob.glob(os.path.join(dataset, "train", "*", "*.jpg")))
    if not files:
        sys.exit("no images under %s/train" % dataset)
    step = max(1, len(files) // n)
    return files[::step][:n]


def ztyle_bench(exe, folder, reps, size, raw):
    cmd = [exe, "edges", "--bench", str(reps), "--json"]
    if size:
        cmd += ["--size", str(size)]
    if raw:
        cmd += ["--bench-raw"]
    out = subprocess.run(cmd + [folder], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def letterbox(im, size):
    h, w = im.shape[:2]
    k = size / max(h, w)
    nw, nh = max(1, round(w * k)), max(1, round(h * k))
    r = cv2.resize(im, (nw, nh), interpolation=cv2.INTER_AREA)
    out = np.full((size, size, 3), 255, np.uint8)
    y, x = (size - nh) // 2, (size - nw) // 2
    out[y:y + nh, x:x + nw] = r
    return out


def cv_bench(images, reps, sigma=2.0, scale_ref=256):
    """cvtColor + GaussianBlur + Canny(L2), thresholds as ztyle's defaults
    (low 3, high 8 grey levels per reference pixel; Sobel = 8 x derivative)."""
    t = 0.0
    edge_px = 0
    for r in range(reps):
        for im in images:
            s = max(im.shape[:2]) / scale_ref
            sg = sigma * s
            k = 2 * int(np.ceil(3 * sg)) + 1
            lo, hi = 3 * 8 / s, 8 * 8 / s
            t0 = time.perf_counter()
            g = cv2.cvtColor(im, cv2.COLOR_BGR2GRAY)
            b = cv2.GaussianBlur(g, (k, k), sg)
            e = cv2.Canny(b, lo, hi, L2gradient=True)
            t += time.perf_counter() - t0
            if r == 0:
                edge_px += int(np.count_nonzero(e))
    return t / reps / len(images) * 1e3, edge_px


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--dataset", default="../shared/datasets/clothing-small")
    ap.add_argument("--exe", default="build/release/ztyle")
    a = ap.parse_args()
    cv2.setNumThreads(1)
    files = pick(a.dataset, a.n)
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "x"))
        for i, f in enumerate(files):
            os.symlink(os.path.abspath(f), os.path.join(tmp, "x", "%04d.jpg" % i))
        env_threads = os.environ.get("ZTYLE_THREADS")
        print("%d images from %s, %d reps, one thread%s" %
              (len(files), a.dataset, a.reps, "" if not env_threads else ""))
        print("%-22s %12s %12s %8s %14s" % ("case", "ztyle ms", "opencv ms", "ratio", "edge px z/cv"))
        for size in (256, 0):
            originals = [cv2.imread(f) for f in files]
            imgs = [letterbox(im, size) for im in originals] if size else originals
            cv_ms, cv_px = cv_bench(imgs, a.reps)
            label = "256x256" if size else "original"
            for raw in (True, False):
                z = ztyle_bench(a.exe, tmp, a.reps, size, raw)
                name = "%s %s" % (label, "raw" if raw else "full")
                print("%-22s %12.3f %12.3f %8.2f %8d/%d" %
                      (name, z["ms_per_image"], cv_ms, z["ms_per_image"] / cv_ms,
                       z["edge_pixels"], cv_px))


if __name__ == "__main__":
    main()
