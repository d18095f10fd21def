#!/usr/bin/python3
"""torch_pix2pix.py: the PyTorch half of the engine benchmark (`make bench-engine`).

Builds the official pix2pix networks (pytorch-CycleGAN-and-pix2pix: UnetGenerator from
nested UnetSkipConnectionBlocks, PatchGAN NLayerDiscriminator, BatchNorm, dropout in the
middle ngf*8 blocks; module names reproduce the official state_dict keys) and measures,
on the CPU with torch's default settings, batch 1:
  fwd_train  generator forward under torch.no_grad() with the modules in train mode
             (BatchNorm on batch statistics, dropout on: what test.py does without --eval)
  fwd_eval   the same after model.eval() (test.py --eval)
  train      one full pix2pix optimisation step (pix2pix_model.optimize_parameters:
             D on fake.detach() and real, vanilla GAN loss, backward, Adam step; then G
             with D frozen: GAN + 100 * L1, backward, Adam step); lr 2e-4, betas (0.5, 0.999)
  rss        peak RSS (VmHWM) of a fresh process per configuration and mode
  GFLOP/s    convolution FLOPs (2 * MACs, counted from the layer shapes) / median time
for the configurations
  unet_256   3 input channels, ngf 64, 256x256, num_downs 8, D input 6 channels
  unet_128   5 input channels, ngf 32, 128x128, num_downs 7, D input 8 channels
at 1 and 2 threads (torch.set_num_threads). Times are medians after warm-up (up to --reps /
--steps runs, but only 3 once a measurement has spent --budget seconds).
Note: Debian's torch is built with BLAS_INFO=generic; Conv2d runs on oneDNN but
ConvTranspose2d runs slow_conv_transpose2d on whatever libblas.so.3 points to (netlib's
reference BLAS unless OpenBLAS is installed), which dominates the generator's time. The
header line prints the BLAS library in use; compare ratios only with that in mind.

Usage (Debian's python with torch 1.13; not the pyenv `python3`):
    /usr/bin/python3 bench/torch_pix2pix.py                   # everything, ~4-5 min on 2 cores
    /usr/bin/python3 bench/torch_pix2pix.py --budget 5        # shorter: 3 runs once 5 s spent
    /usr/bin/python3 bench/torch_pix2pix.py --configs unet_128 --threads 1 --steps 3
    /usr/bin/python3 bench/torch_pix2pix.py --print-keys [--configs unet_128]
    /usr/bin/python3 bench/torch_pix2pix.py --flops          # FLOP counts only, no timing
Output: human-readable lines on stdout, then one final line of JSON:
    {"bench": "torch_pix2pix", "torch": "1.13.0", "results": [{"config": "unet_256",
     "threads": 1, "fwd_train_ms": ..., "fwd_eval_ms": ..., "train_step_ms": ...,
     "rss_fwd_mb": ..., "rss_train_mb": ..., "rss_torch_import_mb": ...,
     "gflop_fwd": ..., "gflop_train": ..., "fwd_runs": ..., "train_runs": ...,
     "gflops_fwd_train": ..., "gflops_fwd_eval": ..., "gflops_train": ...}, ...]}
Each (config, threads, mode) runs in its own subprocess (`--worker`), so RSS is per run.
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn

CONFIGS = {
    # name: (input_nc, output_nc, num_downs, ngf, size, ndf)
    "unet_256": (3, 3, 8, 64, 256, 64),
    "unet_128": (5, 3, 7, 32, 128, 64),
    # the shipped Ztyle generator: edges + hint RGB + hint mask + 4 category planes
    "ztyle_128": (9, 3, 7, 32, 128, 64),
}

# Training batch per config (training throughput of the shipped model at its batch).
TRAIN_BATCH = {"ztyle_128": 8}

# --- networks (the architecture of the official networks.py, written afresh) ---


class UnetSkipConnectionBlock(nn.Module):
    """One U-Net level: down path, the inner block, up path; non-outermost levels return
    cat(x, up(inner(down(x)))). The inplace LeakyReLU at the start of `down` rewrites x,
    so (as in the official code) the skip carries LeakyReLU(x), not x."""

    def __init__(self, outer_nc, inner_nc, input_nc=None, submodule=None, outermost=False,
                 innermost=False, use_dropout=False):
        super().__init__()
        self.outermost = outermost
        use_bias = False  # BatchNorm follows every conv that could have one
        if input_nc is None:
            input_nc = outer_nc
        downconv = nn.Conv2d(input_nc, inner_nc, kernel_size=4, stride=2, padding=1,
                             bias=use_bias)
        downrelu = nn.LeakyReLU(0.2, True)
        downnorm = nn.BatchNorm2d(inner_nc)
        uprelu = nn.ReLU(True)
        upnorm = nn.BatchNorm2d(outer_nc)
        if outermost:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2,
                                        padding=1)
            layers = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif innermost:
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, kernel_size=4, stride=2,
                                        padding=1, bias=use_bias)
            layers = [downrelu, downconv, uprelu, upconv, upnorm]
        else:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2,
                                        padding=1, bias=use_bias)
            layers = [downrelu, downconv, downnorm, submodule, uprelu, upconv, upnorm]
            if use_dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    """Built from the innermost level outwards: innermost ngf*8, num_downs-5 more ngf*8
    levels with dropout, then ngf*4, ngf*2, ngf and the outermost level."""

    def __init__(self, input_nc, output_nc, num_downs, ngf=64, use_dropout=True):
        super().__init__()
        block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, innermost=True)
        for _ in range(num_downs - 5):
            block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, submodule=block,
                                            use_dropout=use_dropout)
        block = UnetSkipConnectionBlock(ngf * 4, ngf * 8, submodule=block)
        block = UnetSkipConnectionBlock(ngf * 2, ngf * 4, submodule=block)
        block = UnetSkipConnectionBlock(ngf, ngf * 2, submodule=block)
        self.model = UnetSkipConnectionBlock(output_nc, ngf, input_nc=input_nc, submodule=block,
                                             outermost=True)

    def forward(self, x):
        return self.model(x)


class NLayerDiscriminator(nn.Module):
    """PatchGAN: conv(4, s2)+LeakyReLU, n_layers-1 x [conv s2, BN, LeakyReLU], conv s1 + BN +
    LeakyReLU, conv s1 to one channel; channels ndf * min(2^n, 8)."""

    def __init__(self, input_nc, ndf=64, n_layers=3):
        super().__init__()
        kw, padw = 4, 1
        seq = [nn.Conv2d(input_nc, ndf, kernel_size=kw, stride=2, padding=padw),
               nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2 ** n, 8)
            seq += [nn.Conv2d(ndf * prev, ndf * mult, kernel_size=kw, stride=2, padding=padw,
                              bias=False),
                    nn.BatchNorm2d(ndf * mult), nn.LeakyReLU(0.2, True)]
        prev, mult = mult, min(2 ** n_layers, 8)
        seq += [nn.Conv2d(ndf * prev, ndf * mult, kernel_size=kw, stride=1, padding=padw,
                          bias=False),
                nn.BatchNorm2d(ndf * mult), nn.LeakyReLU(0.2, True)]
        seq += [nn.Conv2d(ndf * mult, 1, kernel_size=kw, stride=1, padding=padw)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)


def init_weights(net, gain=0.02):
    """The official 'normal' init: conv weights N(0, 0.02), biases 0, BN weight N(1, 0.02)."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)


def build(config):
    input_nc, output_nc, num_downs, ngf, size, ndf = CONFIGS[config]
    g = UnetGenerator(input_nc, output_nc, num_downs, ngf)
    d = NLayerDiscriminator(input_nc + output_nc, ndf, 3)
    init_weights(g)
    init_weights(d)
    return g, d, input_nc, output_nc, size


# --- FLOP counting from layer shapes ---


def conv_macs(net, x):
    """Per-conv multiply-accumulates of one forward pass, in execution order, from the
    real input/output shapes (hooks). Conv2d: Cout*OH*OW*Cin*kh*kw; ConvTranspose2d:
    Cin*IH*IW*Cout*kh*kw (each input pixel scatters a kh*kw patch to every output channel)."""
    macs = []

    def hook(m, inp, out):
        n, cin, ih, iw = inp[0].shape
        kh, kw = m.kernel_size
        if isinstance(m, nn.ConvTranspose2d):
            macs.append(n * cin * ih * iw * m.out_channels * kh * kw // m.groups)
        else:
            macs.append(n * out.shape[1] * out.shape[2] * out.shape[3] * cin * kh * kw
                        // m.groups)

    hs = [m.register_forward_hook(hook) for m in net.modules()
          if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    was_training = net.training
    net.eval()
    with torch.no_grad():
        net(x)
    net.train(was_training)
    for h in hs:
        h.remove()
    return macs


def flop_counts(config):
    """(generator forward GFLOP, training step GFLOP). A backward costs the forward's FLOPs
    once for the input gradient and once for the weight gradient; the first layer of G and
    of D skips the input gradient where its input needs none. Per step: G forward; D forward
    on fake.detach() and on real, each with weight + input grads except D's first layer;
    D forward on fake again, input grads only (D frozen), all layers; G backward, weight +
    input grads except G's first layer."""
    g, d, input_nc, output_nc, size = build(config)
    fg = conv_macs(g, torch.zeros(1, input_nc, size, size))
    fd = conv_macs(d, torch.zeros(1, input_nc + output_nc, size, size))
    G, G1, D, D1 = 2 * sum(fg), 2 * fg[0], 2 * sum(fd), 2 * fd[0]
    train = G + 2 * D + 2 * (2 * D - D1) + D + D + (2 * G - G1)
    return G / 1e9, train / 1e9, D / 1e9


# --- measurement (one subprocess per config/threads/mode) ---


def median_time(fn, warmup, reps, budget_s, min_reps=3):
    """(median, min, timed runs). Warm-up runs stop after the first if it took over a fifth
    of the budget; timed runs stop at `reps`, or at `min_reps` once budget_s is spent."""
    for i in range(warmup):
        t0 = time.perf_counter()
        fn()
        if time.perf_counter() - t0 > budget_s / 5:
            break
    ts = []
    while len(ts) < reps and (len(ts) < min_reps or sum(ts) < budget_s):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts), len(ts)


def peak_rss_mb():
    """Peak RSS of this process image: VmHWM. Not ru_maxrss, which Linux carries over
    from the parent through fork + exec (it would report the launcher's peak)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def make_train_step(g, d, real_a, real_b):
    """The official optimize_parameters as one closure (G and D in train mode,
    Adam 2e-4 / (0.5, 0.999), vanilla GAN + 100 x L1); also bench/torch_pix2pix_gpu.py's."""
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    l1 = nn.L1Loss()
    g.train()
    d.train()

    def gan_loss(pred, is_real):
        return bce(pred, torch.full_like(pred, 1.0 if is_real else 0.0))

    def set_requires_grad(net, flag):
        for p in net.parameters():
            p.requires_grad = flag

    def step():
        fake_b = g(real_a)
        # D: fake (detached) and real
        set_requires_grad(d, True)
        opt_d.zero_grad()
        fake_ab = torch.cat((real_a, fake_b), 1)
        loss_d_fake = gan_loss(d(fake_ab.detach()), False)
        loss_d_real = gan_loss(d(torch.cat((real_a, real_b), 1)), True)
        loss_d = (loss_d_fake + loss_d_real) * 0.5
        loss_d.backward()
        opt_d.step()
        # G: fool the frozen D, plus L1
        set_requires_grad(d, False)
        opt_g.zero_grad()
        loss_g = gan_loss(d(fake_ab), True) + l1(fake_b, real_b) * 100.0
        loss_g.backward()
        opt_g.step()
        return loss_g.item()

    return step


def worker(config, threads, mode, warmup, reps, steps, budget):
    base_rss = peak_rss_mb()  # python + torch imported, nothing built
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    g, d, input_nc, output_nc, size = build(config)
    # forward latency is per image (batch 1); training uses the config's batch
    b = TRAIN_BATCH.get(config, 1) if mode == "train" else 1
    real_a = torch.rand(b, input_nc, size, size) * 2 - 1
    real_b = torch.rand(b, output_nc, size, size) * 2 - 1
    res = {}
    if mode == "fwd":
        g.train()
        with torch.no_grad():
            res["fwd_train_s"], res["fwd_train_min_s"], res["fwd_n"] = median_time(
                lambda: g(real_a), warmup, reps, budget)
        g.eval()
        with torch.no_grad():
            res["fwd_eval_s"], res["fwd_eval_min_s"], _ = median_time(
                lambda: g(real_a), min(warmup, 1), reps, budget)  # already warm
    else:
        step = make_train_step(g, d, real_a, real_b)
        res["train_step_s"], res["train_step_min_s"], res["train_n"] = median_time(
            step, warmup, steps, budget)
    res["maxrss_mb"] = peak_rss_mb()
    res["import_rss_mb"] = base_rss
    res["threads_used"] = torch.get_num_threads()
    print(json.dumps(res))


def run_worker(config, threads, mode, args):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", config, str(threads), mode,
           "--warmup", str(args.warmup), "--reps", str(args.reps), "--steps", str(args.steps),
           "--budget", str(args.budget)]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def print_keys(config):
    g, d, *_ = build(config)
    for label, net in (("netG", g), ("netD", d)):
        sd = net.state_dict()
        print("# %s (%s): %d keys, %d parameters" % (
            label, config, len(sd), sum(p.numel() for p in net.parameters())))
        for k, v in sd.items():
            print("%s %s" % (k, list(v.shape)))


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def blas_info():
    """Which BLAS torch's non-oneDNN kernels (ConvTranspose2d: slow_conv_transpose2d) call."""
    info = torch.__config__.show()
    kind = "generic" if "BLAS_INFO=generic" in info else ("mkl" if "BLAS_INFO=mkl" in info
                                                           else "other")
    lib = ""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                if "blas" in line.rsplit("/", 1)[-1]:
                    lib = os.path.realpath(line.split()[-1])
                    break
    except OSError:
        pass
    return kind, lib


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", default="unet_256,unet_128")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    ap.add_argument("--reps", type=int, default=10, help="timed forward passes")
    ap.add_argument("--steps", type=int, default=10, help="timed training steps")
    ap.add_argument("--budget", type=float, default=12.0,
                    help="seconds per measurement after which timing stops at 3 runs")
    ap.add_argument("--print-keys", action="store_true", help="print state_dict keys, exit")
    ap.add_argument("--flops", action="store_true", help="print FLOP counts only")
    ap.add_argument("--worker", nargs=3, metavar=("CONFIG", "THREADS", "MODE"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), args.worker[2], args.warmup, args.reps,
               args.steps, args.budget)
        return
    configs = [c for c in args.configs.split(",") if c]
    for c in configs:
        if c not in CONFIGS:
            ap.error("unknown config %s (have %s)" % (c, ", ".join(CONFIGS)))
    if args.print_keys:
        for c in configs:
            print_keys(c)
        return
    threads = [int(t) for t in args.threads.split(",") if t]
    blas_kind, blas_lib = blas_info()
    print("torch %s, %s, %d cores online, default settings (mkldnn %s; Conv2d via oneDNN, "
          "ConvTranspose2d via slow_conv_transpose2d + BLAS %s: %s)" % (
              torch.__version__, cpu_name(), os.cpu_count(), torch.backends.mkldnn.is_available(),
              blas_kind, blas_lib or "?"))
    print("load average before: %.2f %.2f %.2f" % os.getloadavg())
    flops = {}
    for c in configs:
        gf, tf, df = flop_counts(c)
        flops[c] = (gf, tf)
        print("%s: conv FLOPs: G forward %.2f GFLOP, D forward %.2f GFLOP, train step %.1f GFLOP"
              % (c, gf, df, tf))
    if args.flops:
        print(json.dumps({"bench": "torch_pix2pix", "flops": {
            c: {"gflop_fwd": round(f[0], 3), "gflop_train": round(f[1], 3)}
            for c, f in flops.items()}}))
        return
    results = []
    t_start = time.time()
    for c in configs:
        gf, tf = flops[c]
        for t in threads:
            fw = run_worker(c, t, "fwd", args)
            tr = run_worker(c, t, "train", args)
            r = {
                "config": c, "threads": t,
                "fwd_train_ms": round(fw["fwd_train_s"] * 1e3, 2),
                "fwd_eval_ms": round(fw["fwd_eval_s"] * 1e3, 2),
                "train_step_ms": round(tr["train_step_s"] * 1e3, 1),
                "rss_fwd_mb": round(fw["maxrss_mb"], 1),
                "rss_train_mb": round(tr["maxrss_mb"], 1),
                "rss_torch_import_mb": round(fw["import_rss_mb"], 1),
                "gflop_fwd": round(gf, 3), "gflop_train": round(tf, 3),
                "gflops_fwd_train": round(gf / fw["fwd_train_s"], 2),
                "gflops_fwd_eval": round(gf / fw["fwd_eval_s"], 2),
                "gflops_train": round(tf / tr["train_step_s"], 2),
                "fwd_runs": fw["fwd_n"], "train_runs": tr["train_n"],
            }
            results.append(r)
            print("%s threads=%d: forward %.1f ms (train-mode BN) / %.1f ms (eval) = %.1f / %.1f "
                  "GFLOP/s, peak RSS %.0f MB (%d runs); train step %.0f ms = %.1f GFLOP/s, peak RSS %.0f MB "
                  "(%d steps); torch import alone %.0f MB"
                  % (c, t, r["fwd_train_ms"], r["fwd_eval_ms"], r["gflops_fwd_train"],
                     r["gflops_fwd_eval"], r["rss_fwd_mb"], r["fwd_runs"], r["train_step_ms"],
                     r["gflops_train"], r["rss_train_mb"], r["train_runs"],
                     r["rss_torch_import_mb"]), flush=True)
    print("total %.0f s (medians of up to %d forwards / %d steps after up to %d warm-up, "
          "at least 3 when a measurement passes %.0f s)" % (
              time.time() - t_start, args.reps, args.steps, args.warmup, args.budget))
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())
    print(json.dumps({"bench": "torch_pix2pix", "torch": torch.__version__, "cpu": cpu_name(),
                      "blas": blas_kind, "blas_lib": blas_lib, "results": results}))


if __name__ == "__main__":
    main()
