#!/usr/bin/python3
"""gen_img_golden.py: golden data of the image module (tests/data/img/) and
libFuzzer seed corpora for tests/fuzz/fuzz_{jpeg,png,webp}.c.

Regenerate the golden data (Debian's python: skimage 0.19, PIL, numpy):
    /usr/bin/python3 scripts/gen_img_golden.py tests/data/img
Writes ssim_<name>_{a,b}.png image pairs, resize_src.png with PIL BILINEAR
(antialiased) resizes resize_<w>x<h>.png, and golden.json with skimage's
SSIM (uniform 7x7 sample-covariance default and Gaussian sigma 1.5), PSNR,
rgb2lab values and CIEDE2000 differences. Deterministic (fixed seeds).

Seed corpora (not committed; build/ is ignored):
    /usr/bin/python3 scripts/gen_img_golden.py --fuzz-seeds build/fuzz-corpus
makes build/fuzz-corpus/{jpeg,png,webp}/ with small files in many variants
(baseline/progressive/gray/EXIF-rotated JPEG, every PNG colour type and bit
depth, lossy/lossless/alpha WebP).
"""
import io
import json
import os
import sys

import numpy as np
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def pattern(w, h, seed):
    """A smooth colourful pattern with edges and some noise, uint8 (h, w, 3)."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(xx / 5.0 + seed) * np.cos(yy / 7.0)
    g = 255.0 * ((xx // 8 + yy // 8) % 2) * 0.6 + 40
    b = 255.0 * xx / max(w - 1, 1)
    im = np.stack([r, g, b], axis=-1) + rng.normal(0, 6, (h, w, 3))
    return np.clip(np.round(im), 0, 255).astype(np.uint8)


def distort(a, seed, kind):
    rng = np.random.RandomState(seed)
    if kind == "noise":
        return np.clip(np.round(a + rng.normal(0, 18, a.shape)), 0, 255).astype(np.uint8)
    if kind == "jpeg":
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, "JPEG", quality=25)
        return np.array(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    # "shift": brightness change plus a shifted copy
    b = np.roll(a.astype(np.int32), 1, axis=1) + 20
    return np.clip(b, 0, 255).astype(np.uint8)


def gray(a):
    return a.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def ssim_values(a, b):
    g = dict(gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    return {
        "ssim_rgb": structural_similarity(a, b, channel_axis=2, data_range=255),
        "ssim_gray": structural_similarity(gray(a), gray(b), data_range=255),
        "ssim_rgb_gauss": structural_similarity(a, b, channel_axis=2, data_range=255, **g),
        "ssim_gray_gauss": structural_similarity(gray(a), gray(b), data_range=255, **g),
        "psnr": peak_signal_noise_ratio(a, b, data_range=255),
    }


def golden(out):
    os.makedirs(out, exist_ok=True)
    doc = {"ssim": [], "lab": [], "ciede2000": [], "resize": []}
    pairs = [("48x40_noise", 48, 40, 1, "noise"), ("64x64_jpeg", 64, 64, 2, "jpeg"),
             ("23x31_shift", 23, 31, 3, "shift")]
    for name, w, h, seed, kind in pairs:
        a = pattern(w, h, seed)
        b = distort(a, seed + 100, kind)
        Image.fromarray(a).save(os.path.join(out, "ssim_%s_a.png" % name))
        Image.fromarray(b).save(os.path.join(out, "ssim_%s_b.png" % name))
        v = ssim_values(a, b)
        v.update(name=name, a="ssim_%s_a.png" % name, b="ssim_%s_b.png" % name)
        doc["ssim"].append(v)

    colors = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0],
              [128, 128, 128], [12, 200, 77], [250, 128, 114], [3, 5, 2]]
    for c in colors:
        lab = rgb2lab(np.array([[c]], dtype=np.uint8))[0, 0]
        doc["lab"].append({"rgb": c, "lab": [float(x) for x in lab]})
    pairs_lab = [([50, 2.6772, -79.7751], [50, 0, -82.7485]),
                 ([50, 2.5, 0], [73, 25, -18]), ([60.2574, -34.0099, 36.2677],
                                                 [60.4626, -34.1751, 39.4387]),
                 ([22.7233, 20.0904, -46.694], [23.0331, 14.973, -42.5619]),
                 ([90.8027, -2.0831, 1.441], [91.1528, -1.6435, 0.0447])]
    for p, q in pairs_lab:
        d = deltaE_ciede2000(np.array(p, dtype=np.float64), np.array(q, dtype=np.float64))
        doc["ciede2000"].append({"lab1": p, "lab2": q, "de": float(d)})

    src = pattern(64, 48, 7)
    Image.fromarray(src).save(os.path.join(out, "resize_src.png"))
    for w, h in [(23, 17), (100, 90), (64, 5)]:
        r = Image.fromarray(src).resize((w, h), Image.BILINEAR)
        fn = "resize_%dx%d.png" % (w, h)
        r.save(os.path.join(out, fn))
        doc["resize"].append({"w": w, "h": h, "file": fn})
    doc["source"] = "scripts/gen_img_golden.py"
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def exif_orientation_bytes(v):
    exif = Image.Exif()
    exif[0x0112] = v
    return exif.tobytes()


def fuzz_seeds(out):
    src = None
    ds = os.environ.get("ZTYLE_DATASET", "../shared/datasets/clothing-small")
    for root, _, files in sorted(os.walk(ds)):
        jpgs = sorted(f for f in files if f.endswith(".jpg"))
        if jpgs:
            src = Image.open(os.path.join(root, jpgs[0])).convert("RGB")
            break
    if src is None:
        src = Image.fromarray(pattern(64, 48, 1))
    small = src.resize((40, 30), Image.BILINEAR)
    for d in ("jpeg", "png", "webp"):
        os.makedirs(os.path.join(out, d), exist_ok=True)

    def save(fmt, name, im, **kw):
        with open(os.path.join(out, fmt, name), "wb") as f:
            buf = io.BytesIO()
            im.save(buf, {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}[fmt], **kw)
            f.write(buf.getvalue())

    save("jpeg", "base.jpg", small, quality=80)
    save("jpeg", "prog.jpg", small, quality=60, progressive=True)
    save("jpeg", "gray.jpg", small.convert("L"), quality=70)
    save("jpeg", "444.jpg", small, quality=90, subsampling=0)
    save("jpeg", "cmyk.jpg", small.convert("CMYK"), quality=70)
    for v in (3, 6, 8):
        save("jpeg", "exif%d.jpg" % v, small, quality=50, exif=exif_orientation_bytes(v))
    save("png", "rgb.png", small)
    save("png", "rgba.png", small.convert("RGBA"))
    save("png", "gray.png", small.convert("L"))
    save("png", "la.png", small.convert("LA"))
    save("png", "pal.png", small.convert("P"))
    save("png", "bw.png", small.convert("1"))
    save("png", "i16.png", small.convert("I"))
    pal = small.convert("P")
    save("png", "pal_trns.png", pal, transparency=0)
    save("webp", "lossy.webp", small, quality=50)
    save("webp", "lossless.webp", small, lossless=True)
    save("webp", "alpha.webp", small.convert("RGBA"), quality=50)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--fuzz-seeds":
        fuzz_seeds(sys.argv[2])
    elif len(sys.argv) == 2:
        golden(sys.argv[1])
    else:
        sys.exit(__doc__)
