#!/usr/bin/python3
# bench_conv_torch.py: PyTorch 1.13 timings of the same unet_256 convolutions
# as bench_conv.c (forward, then backward giving dx and dw in one autograd
# call; e1 needs no dx), to compare with `make bench-conv`. Run:
#   OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/bench_conv_torch.py [reps] [threads,...]
# (ConvTranspose2d goes through im2col + BLAS: install OpenBLAS with
# scripts/setup.sh --dev, netlib BLAS is ~4x slower; match its threads.)
import sys
import time
import torch

ENC = [3, 64, 128, 256, 512, 512, 512, 512, 512]


def layers():
    out, size = [], 256
    for i in range(8):
        out.append(("e%d" % (i + 1), False, ENC[i], ENC[i + 1], size, False, i > 0))
        size //= 2
    for j in range(8):
        cin = 512 if j == 0 else 2 * ENC[8 - j]
        out.append(("d%d" % (8 - j), True, cin, ENC[7 - j], size, j == 7, True))
        size *= 2
    return out


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    threads = [int(t) for t in (sys.argv[2] if len(sys.argv) > 2 else "1,2").split(",")]
    torch.manual_seed(0)
    for nt in threads:
        torch.set_num_threads(nt)
        tf = tb = 0.0
        print("threads %d (torch %s, best of %d)" % (nt, torch.__version__, reps))
        print("%-4s %-26s %9s %12s" % ("", "shape", "fwd ms", "bwd d+w ms"))
        for name, tr, cin, cout, size, bias, need_dx in layers():
            mod = (torch.nn.ConvTranspose2d if tr else torch.nn.Conv2d)(cin, cout, 4, 2, 1, bias=bias)
            x = torch.randn(1, cin, size, size, requires_grad=need_dx)
            bf = bb = 1e30
            for r in range(reps + 1):
                t0 = time.perf_counter()
                y = mod(x)
                t1 = time.perf_counter()
                y.backward(torch.ones_like(y))
                t2 = time.perf_counter()
                if r:
                    bf, bb = min(bf, t1 - t0), min(bb, t2 - t1)
            tf += bf
            tb += bb
            print("%-4s %-26s %9.2f %12.2f" % (name, "%s %d->%d %dx%d" % ("T" if tr else "C", cin, cout, size, size), bf * 1e3, bb * 1e3))
        print("total fwd %.1f ms + bwd %.1f ms = %.1f ms\n" % (tf * 1e3, tb * 1e3, (tf + tb) * 1e3))


if __name__ == "__main__":
    main()
