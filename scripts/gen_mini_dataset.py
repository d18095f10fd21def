#!/usr/bin/python3
"""gen_mini_dataset.py: writes tests/data/mini/, a tiny synthetic dataset
(<split>/<class>/<id>.png: coloured garment-like shapes on a plain floor)
for CLI tests that must run without ../shared. Deterministic.
Regenerate: /usr/bin/python3 scripts/gen_mini_dataset.py"""
import os
import numpy as np
from PIL import Image

root = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "mini")
rng = np.random.default_rng(7)
shapes = {"t-shirt": "tee", "pants": "legs", "skirt": "trap", "hat": "disc", "shoes": "disc"}
for split, n in (("train", 2), ("validation", 1)):
    for cls, shape in shapes.items():
        d = os.path.join(root, split, cls)
        os.makedirs(d, exist_ok=True)
        for i in range(n):
            w, h = 96, 72
            y, x = np.mgrid[0:h, 0:w]
            floor = rng.integers(140, 200, 3)
            col = rng.integers(0, 255, 3)
            img = np.empty((h, w, 3), np.uint8)
            img[:] = floor
            cx, cy = w / 2 + rng.integers(-5, 5), h / 2 + rng.integers(-4, 4)
            if shape == "tee":
                m = (abs(x - cx) < 18) & (abs(y - cy) < 24) | (abs(y - cy + 16) < 7) & (abs(x - cx) < 32)
            elif shape == "legs":
                m = (abs(y - cy) < 30) & ((abs(x - cx + 9) < 7) | (abs(x - cx - 9) < 7)) | (abs(y - cy + 26) < 5) & (abs(x - cx) < 16)
            elif shape == "trap":
                m = (abs(y - cy) < 22) & (abs(x - cx) < 12 + (y - cy + 22) * 0.5)
            else:
                m = ((x - cx) / 26) ** 2 + ((y - cy) / 16) ** 2 < 1
            img[m] = col
            img = np.clip(img.astype(int) + (x[..., None] // 12), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(os.path.join(d, f"{cls}-{split[0]}{i}.png"), optimize=True)
print("wrote", root)
