#!/usr/bin/python3
"""bench_engine.py: `make bench-engine`. Ztyle's engine against PyTorch (Debian's 1.13, default
settings) on the official pix2pix networks, in the same run: generator forward latency (eval
mode = running BN statistics, and train mode = the official test.py behaviour), a full training
step (G+D forward/backward + Adam), peak RSS and achieved GFLOP/s, batch 1, at 1 and 2 threads,
for unet_256 (3 in, ngf 64, 256 px) and unet_128 (5 in, ngf 32, 128 px). Each measurement runs
in its own process (Ztyle: build/release/bench_engine; PyTorch: bench/torch_pix2pix.py
--worker). Ratios are Ztyle / PyTorch (below 1 = Ztyle faster or smaller). The last line is one
JSON object with forward_ratio_1t, forward_ratio_2t, train_ratio_1t, train_ratio_2t and
rss_ratio for unet_256, and the same keys prefixed unet_128_.
OpenMP wait policy: the Ztyle process runs with OMP_WAIT_POLICY=passive, as the `ztyle` binary
sets it for itself (src/cli/main.c), unless the environment sets it; PyTorch runs with the
environment as it is (its default settings). On the shared 2-core machine the default policy
(spin, then sleep) made a 2-thread Ztyle training step about 3x slower than passive (workers spin
against each other and against other processes), active about 1.2x.
The shipped model's architecture (9 input channels, ngf 32, 128 px; training at batch 8, printed
as images/s) is --configs ztyle_128: generation latency and training throughput for that issue.
Usage: /usr/bin/python3 bench/bench_engine.py [--configs unet_256,unet_128,ztyle_128]
       [--threads 1,2] [--reps N] [--budget S]"""
import argparse
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import torch_pix2pix as tp  # noqa: E402


def ztyle(config, threads, mode, args):
    cmd = [os.path.join(ROOT, "build", "release", "bench_engine"), config, str(threads), mode,
           "--reps", str(args.reps), "--budget", str(args.budget)]
    env = dict(os.environ)
    env.setdefault("OMP_WAIT_POLICY", "passive")  # what the ztyle binary uses
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def machine_line():
    try:
        load = open("/proc/loadavg").read().split()[:3]
    except OSError:
        load = ["?"]
    return "machine: %s, %d cores, torch %s, load average %s" % (
        tp.cpu_name(), os.cpu_count(), tp.torch.__version__, " ".join(load))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", default="unet_256,unet_128")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--budget", type=float, default=15.0)
    args = ap.parse_args()
    print(machine_line(), flush=True)
    summary = {}
    for config in args.configs.split(","):
        gf_fwd, gf_train, _ = tp.flop_counts(config)
        batch = tp.TRAIN_BATCH.get(config, 1)  # training batch; forward is per image
        gf_train *= batch
        rss_z, rss_t = [], []
        for th in [int(t) for t in args.threads.split(",")]:
            zf = ztyle(config, th, "fwd", args)
            zt = ztyle(config, th, "train", args)
            tf = tp.run_worker(config, th, "fwd", args)
            tt = tp.run_worker(config, th, "train", args)
            rows = [("forward (eval)", zf["fwd_eval_s"], tf["fwd_eval_s"], gf_fwd),
                    ("forward (train BN)", zf["fwd_train_s"], tf["fwd_train_s"], gf_fwd),
                    ("training step", zt["train_step_s"], tt["train_step_s"], gf_train)]
            for name, z, t, gf in rows:
                print("%-9s %dt %-19s ztyle %8.1f ms (%6.1f GFLOP/s)  torch %8.1f ms (%6.1f GFLOP/s)"
                      "  ratio %.2f" % (config, th, name, z * 1e3, gf / z, t * 1e3, gf / t, z / t),
                      flush=True)
            if batch > 1:
                print("%-9s %dt %-19s ztyle %8.1f images/s  torch %8.1f images/s  ratio %.2f" % (
                    config, th, "training (batch %d)" % batch, batch / zt["train_step_s"],
                    batch / tt["train_step_s"], tt["train_step_s"] / zt["train_step_s"]),
                    flush=True)
            print("%-9s %dt %-19s ztyle %8.0f MB  torch %8.0f MB (python+torch alone %.0f MB)"
                  "  ratio %.2f" % (config, th, "peak RSS (train)", zt["maxrss_mb"],
                                     tt["maxrss_mb"], tt.get("import_rss_mb", 0),
                                     zt["maxrss_mb"] / tt["maxrss_mb"]), flush=True)
            pre = "" if config == "unet_256" else config + "_"
            summary[pre + "forward_ratio_%dt" % th] = round(zf["fwd_eval_s"] / tf["fwd_eval_s"], 3)
            summary[pre + "forward_train_bn_ratio_%dt" % th] = round(
                zf["fwd_train_s"] / tf["fwd_train_s"], 3)
            summary[pre + "train_ratio_%dt" % th] = round(zt["train_step_s"] / tt["train_step_s"], 3)
            summary[pre + "forward_ms_%dt" % th] = round(zf["fwd_eval_s"] * 1e3, 1)
            summary[pre + "train_ms_%dt" % th] = round(zt["train_step_s"] * 1e3, 1)
            if batch > 1:
                summary[pre + "train_images_per_s_%dt" % th] = round(batch / zt["train_step_s"], 2)
                summary[pre + "torch_train_images_per_s_%dt" % th] = round(
                    batch / tt["train_step_s"], 2)
            rss_z.append(zt["maxrss_mb"])
            rss_t.append(tt["maxrss_mb"])
        pre = "" if config == "unet_256" else config + "_"
        summary[pre + "rss_ratio"] = round(max(rss_z) / max(rss_t), 3)
    summary["machine"] = machine_line()
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
