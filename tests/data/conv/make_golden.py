#!/usr/bin/python3
# make_golden.py: PyTorch golden data for the reference convolution kernels
# (tests/test_conv.c, test conv/ref_torch_golden). Regenerate with
#   /usr/bin/python3 tests/data/conv/make_golden.py
# (Debian's python with torch 1.13; writes tests/data/conv/golden.bin).
# Format, little-endian: int32 ncases; per case int32[17] =
# transposed n cin cout h w kh kw sh sw ph pw dh dw groups oph opw,
# then float32 arrays x, w, b, dy, y, dx, dw, db (sizes follow from the shape).
import os
import struct
import numpy as np
import torch

CASES = [
    # tr n cin cout h  w  kh kw sh sw ph pw dh dw g  oph opw
    (0, 1, 3, 4, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0, 0),
    (0, 2, 4, 6, 9, 8, 4, 4, 2, 2, 1, 1, 1, 1, 2, 0, 0),
    (0, 1, 4, 4, 8, 7, 3, 2, 2, 1, 2, 0, 2, 1, 4, 0, 0),
    (0, 3, 2, 3, 5, 5, 1, 1, 2, 2, 0, 0, 1, 1, 1, 0, 0),
    (1, 1, 4, 3, 4, 5, 4, 4, 2, 2, 1, 1, 1, 1, 1, 0, 0),
    (1, 2, 4, 6, 3, 4, 3, 3, 2, 2, 1, 1, 1, 1, 2, 1, 1),
    (1, 1, 6, 4, 5, 3, 3, 2, 1, 2, 0, 1, 2, 1, 2, 1, 0),
    (1, 1, 2, 2, 6, 6, 7, 7, 1, 1, 2, 3, 1, 1, 1, 0, 0),
]


def main():
    torch.manual_seed(1234)
    out = bytearray(struct.pack("<i", len(CASES)))
    for c in CASES:
        tr, n, cin, cout, h, w, kh, kw, sh, sw, ph, pw, dh, dw, g, oph, opw = c
        x = torch.randn(n, cin, h, w, dtype=torch.float64, requires_grad=True)
        if tr:
            wt = torch.randn(cin, cout // g, kh, kw, dtype=torch.float64, requires_grad=True)
        else:
            wt = torch.randn(cout, cin // g, kh, kw, dtype=torch.float64, requires_grad=True)
        b = torch.randn(cout, dtype=torch.float64, requires_grad=True)
        # round inputs to float32 so the C side sees the same numbers
        for t in (x, wt, b):
            t.data = t.data.float().double()
        if tr:
            y = torch.nn.functional.conv_transpose2d(x, wt, b, (sh, sw), (ph, pw), (oph, opw), g,
                                                     (dh, dw))
        else:
            y = torch.nn.functional.conv2d(x, wt, b, (sh, sw), (ph, pw), (dh, dw), g)
        dy = torch.randn_like(y).float().double()
        y.backward(dy)
        out += struct.pack("<17i", *c)
        for t in (x, wt, b, dy, y, x.grad, wt.grad, b.grad):
            out += t.detach().numpy().astype("<f4").tobytes()
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.bin")
    with open(path, "wb") as f:
        f.write(out)
    print(path, len(out), "bytes")


if __name__ == "__main__":
    main()
