#!/usr/bin/python3
"""gen_op_goldens.py: PyTorch 1.13 reference outputs and gradients for the
engine's ops and optimizers, read by tests/test_ops_golden.c and
tests/test_optim.c.

Regenerate (Debian's python with torch 1.13, CPU, fixed seeds):
    /usr/bin/python3 scripts/gen_op_goldens.py
Writes tests/data/ops/ops.safetensors and tests/data/ops/optim.safetensors
(safetensors written by hand: 8-byte LE header length, JSON header, raw
little-endian float32; no pip packages needed).

ops.safetensors, per case <c> (names and input order match the table in
tests/test_ops.c): <c>.in<i> inputs, <c>.out forward output, <c>.gy the
upstream gradient, <c>.grad<i> dL/d in<i> for inputs that require grad,
<c>.after<i> inputs mutated by the op (BatchNorm running stats / counter).
optim.safetensors: adam.* / adamw0.* / sgd.* parameter traces (see below).
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from st_write import save  # noqa: E402

torch.manual_seed(20240601)
torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "ops")


def init(kind, shape, prev):
    if kind == "unif":
        return torch.rand(shape) * 2 - 1
    if kind == "away":
        u = torch.rand(shape)
        return torch.where(u < 0.5, -1.0, 1.0) * (0.2 + 1.6 * (u - 0.5).abs())
    if kind == "pos":
        return torch.rand(shape) + 0.5
    if kind == "wide":
        return torch.rand(shape) * 6 - 3
    if kind == "mask":
        return (torch.rand(shape) >= 0.3).float()
    if kind == "prob":
        return torch.rand(shape)
    if kind == "zero":
        return torch.zeros(shape)
    if kind == "offset0":
        u = torch.rand(shape)
        return prev[0] + torch.where(u < 0.5, -1.0, 1.0) * (0.2 + 0.5 * u)
    if kind == "distinct":
        n = 1
        for s in shape:
            n *= s
        v = 0.05 * (torch.arange(n, dtype=torch.float32) - n // 2)
        return v[torch.randperm(n)].reshape(shape)
    raise ValueError(kind)


def bn_module(x, w, b, rm, rv, nbt, train):
    """nn.BatchNorm2d/1d(eps=1e-5, momentum=0.1) forward: running stats
    updated in place (unbiased variance) and num_batches_tracked += 1 in
    training mode, as the module does."""
    y = F.batch_norm(x, rm, rv, w, b, train, 0.1, 1e-5)
    if train:
        nbt.data += 1
    return y


G = True
N = False
# name, [(shape, init, requires_grad)], fn(list of tensors) -> output
CASES = [
    ("conv2d_s2p1", [((2, 3, 6, 6), "unif", G), ((4, 3, 4, 4), "unif", G), ((4,), "unif", G)],
     lambda x: F.conv2d(x[0], x[1], x[2], stride=2, padding=1)),
    ("conv2d_dil_groups", [((1, 4, 7, 6), "unif", G), ((6, 2, 3, 3), "unif", G), ((6,), "unif", G)],
     lambda x: F.conv2d(x[0], x[1], x[2], padding=(2, 1), dilation=(2, 1), groups=2)),
    ("conv2d_nobias", [((2, 2, 5, 6), "unif", G), ((3, 2, 2, 3), "unif", G)],
     lambda x: F.conv2d(x[0], x[1], None, stride=(1, 2))),
    ("conv_transpose2d_s2p1", [((2, 4, 3, 3), "unif", G), ((4, 3, 4, 4), "unif", G), ((3,), "unif", G)],
     lambda x: F.conv_transpose2d(x[0], x[1], x[2], stride=2, padding=1)),
    ("conv_transpose2d_groups_outpad", [((1, 4, 3, 2), "unif", G), ((4, 1, 3, 3), "unif", G), ((2,), "unif", G)],
     lambda x: F.conv_transpose2d(x[0], x[1], x[2], stride=2, padding=1, output_padding=1, groups=2)),
    ("batch_norm_train", [((3, 4, 3, 3), "unif", G), ((4,), "pos", G), ((4,), "unif", G), ((4,), "unif", N),
                          ((4,), "pos", N), ((), "zero", N)],
     lambda x: bn_module(*x, True)),
    ("batch_norm_train_1d", [((5, 3), "unif", G), ((3,), "pos", G), ((3,), "unif", G), ((3,), "unif", N),
                             ((3,), "pos", N), ((), "zero", N)],
     lambda x: bn_module(*x, True)),
    ("batch_norm_eval", [((2, 3, 3, 2), "unif", G), ((3,), "pos", G), ((3,), "unif", G), ((3,), "unif", N),
                         ((3,), "pos", N), ((), "zero", N)],
     lambda x: bn_module(*x, False)),
    ("batch_norm_noaffine", [((2, 3, 2, 3), "unif", G), ((3,), "unif", N), ((3,), "pos", N)],
     lambda x: F.batch_norm(x[0], x[1], x[2], None, None, True, 0.1, 1e-5)),
    ("instance_norm", [((2, 3, 4, 4), "unif", G)], lambda x: F.instance_norm(x[0], eps=1e-5)),
    ("instance_norm_affine", [((2, 3, 3, 4), "unif", G), ((3,), "pos", G), ((3,), "unif", G)],
     lambda x: F.instance_norm(x[0], weight=x[1], bias=x[2], eps=1e-5)),
    ("relu", [((2, 3, 4, 4), "away", G)], lambda x: F.relu(x[0])),
    ("leaky_relu", [((2, 3, 4, 4), "away", G)], lambda x: F.leaky_relu(x[0], 0.2)),
    ("tanh", [((2, 3, 4, 4), "unif", G)], lambda x: torch.tanh(x[0])),
    ("sigmoid", [((2, 3, 4, 4), "wide", G)], lambda x: torch.sigmoid(x[0])),
    ("dropout_mask", [((2, 3, 4, 4), "unif", G), ((2, 3, 4, 4), "mask", N)],
     lambda x: x[0] * (x[1] / (1 - 0.3))),
    ("concat", [((2, 2, 3, 3), "unif", G), ((2, 3, 3, 3), "unif", G), ((2, 1, 3, 3), "unif", G)],
     lambda x: torch.cat(x, 1)),
    ("concat_2d", [((3, 4), "unif", G), ((3, 2), "unif", G)], lambda x: torch.cat(x, 1)),
    ("add", [((2, 3, 2, 2), "unif", G), ((2, 3, 2, 2), "unif", G)], lambda x: x[0] + x[1]),
    ("axpby", [((2, 3, 2, 2), "unif", G), ((2, 3, 2, 2), "unif", G)], lambda x: 0.5 * x[0] - 2.0 * x[1]),
    ("mul", [((2, 3, 2, 2), "unif", G), ((2, 3, 2, 2), "unif", G)], lambda x: x[0] * x[1]),
    ("scale", [((2, 3, 2, 2), "unif", G)], lambda x: 2.0 * x[0] + 1.0),
    ("upsample_bilinear_x2", [((2, 2, 3, 3), "unif", G)],
     lambda x: F.interpolate(x[0], size=(6, 6), mode="bilinear", align_corners=False)),
    ("upsample_bilinear_align_corners", [((1, 2, 3, 4), "unif", G)],
     lambda x: F.interpolate(x[0], size=(5, 7), mode="bilinear", align_corners=True)),
    ("upsample_bilinear_down", [((1, 2, 4, 5), "unif", G)],
     lambda x: F.interpolate(x[0], size=(3, 7), mode="bilinear", align_corners=False)),
    ("upsample_nearest_x2", [((2, 2, 3, 3), "unif", G)], lambda x: F.interpolate(x[0], size=(6, 6), mode="nearest")),
    ("upsample_nearest_odd", [((1, 2, 4, 5), "unif", G)], lambda x: F.interpolate(x[0], size=(7, 3), mode="nearest")),
    ("max_pool2d_k3s2p1", [((2, 2, 7, 7), "distinct", G)], lambda x: F.max_pool2d(x[0], 3, 2, 1)),
    ("max_pool2d_k2s2", [((1, 2, 6, 5), "distinct", G)], lambda x: F.max_pool2d(x[0], 2, 2, 0)),
    ("avg_pool2d_incpad", [((2, 2, 7, 6), "unif", G)], lambda x: F.avg_pool2d(x[0], 3, 2, 1, count_include_pad=True)),
    ("avg_pool2d_excpad", [((1, 2, 5, 7), "unif", G)], lambda x: F.avg_pool2d(x[0], 3, 2, 1, count_include_pad=False)),
    ("matmul", [((3, 4), "unif", G), ((4, 5), "unif", G)], lambda x: x[0] @ x[1]),
    ("linear", [((3, 4), "unif", G), ((5, 4), "unif", G), ((5,), "unif", G)], lambda x: F.linear(x[0], x[1], x[2])),
    ("sum", [((2, 3, 2, 2), "unif", G)], lambda x: x[0].sum()),
    ("mean", [((2, 3, 2, 2), "unif", G)], lambda x: x[0].mean()),
    ("l1_loss", [((2, 3, 3, 3), "unif", G), ((2, 3, 3, 3), "offset0", G)], lambda x: F.l1_loss(x[0], x[1])),
    ("mse_loss", [((2, 3, 3, 3), "unif", G), ((2, 3, 3, 3), "unif", G)], lambda x: F.mse_loss(x[0], x[1])),
    ("bce_logits", [((2, 1, 3, 3), "wide", G), ((2, 1, 3, 3), "prob", N)],
     lambda x: F.binary_cross_entropy_with_logits(x[0], x[1])),
    ("bce_logits_const", [((2, 1, 3, 3), "wide", G)],
     lambda x: F.binary_cross_entropy_with_logits(x[0], torch.ones_like(x[0]))),
    ("pad2d_zero", [((2, 2, 3, 4), "unif", G)], lambda x: F.pad(x[0], (1, 2, 0, 3))),
    ("pad2d_reflect", [((1, 2, 4, 3), "unif", G)], lambda x: F.pad(x[0], (2, 1, 1, 3), mode="reflect")),
    ("slice_channels", [((2, 4, 2, 3), "unif", G)], lambda x: x[0][:, 1:3]),
    ("slice_width", [((2, 2, 2, 6), "unif", G)], lambda x: x[0][..., 2:5]),
    ("reshape", [((2, 3, 2, 2), "unif", G)], lambda x: torch.tanh(x[0].reshape(6, -1))),
]


def gen_ops():
    out = {}
    for name, ins, fn in CASES:
        xs = []
        for shape, kind, rg in ins:
            xs.append(init(kind, shape, xs))
        for i, x in enumerate(xs):
            out[f"{name}.in{i}"] = x.clone()
        leaves = [x.clone().requires_grad_(rg) for x, (_, _, rg) in zip(xs, ins)]
        y = fn(leaves)
        gy = torch.rand(y.shape) * 2 - 1
        y.backward(gy)
        out[f"{name}.out"] = y.detach()
        out[f"{name}.gy"] = gy
        for i, (x, (_, _, rg)) in enumerate(zip(leaves, ins)):
            if rg:
                out[f"{name}.grad{i}"] = x.grad
            elif not torch.equal(x.detach(), xs[i]):
                out[f"{name}.after{i}"] = x.detach().clone()
    return out


def trace(opt_fn, steps, name, out):
    """A small parameter, a fixed gradient sequence g_t; params after each step."""
    p0 = torch.rand(7) * 2 - 1
    grads = torch.rand(steps, 7) * 2 - 1
    p = p0.clone().requires_grad_(True)
    opt = opt_fn([p])
    hist = []
    for t in range(steps):
        p.grad = grads[t].clone()
        opt.step()
        hist.append(p.detach().clone())
    out[f"{name}.p0"] = p0
    out[f"{name}.grads"] = grads
    out[f"{name}.params"] = torch.stack(hist)


def gen_optim():
    out = {}
    trace(lambda ps: torch.optim.Adam(ps, lr=2e-3, betas=(0.5, 0.999), eps=1e-8), 6, "adam", out)
    trace(lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.9, 0.99), eps=1e-6, weight_decay=0.1), 6, "adam_wd", out)
    trace(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9), 6, "sgd", out)
    trace(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, dampening=0.1, weight_decay=0.01, nesterov=False), 6,
          "sgd_damp", out)
    trace(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, weight_decay=0.01, nesterov=True), 6, "sgd_nesterov", out)
    # pix2pix linear-decay rule (networks.get_scheduler, lr_policy="linear"), LambdaLR factors
    # for epoch_count=1, n_epochs=3, n_epochs_decay=4 over 8 scheduler steps
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.Adam([p], lr=1.0)

    def rule(epoch):
        return 1.0 - max(0, epoch + 1 - 3) / float(4 + 1)

    sch = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=rule)
    lrs = []
    for _ in range(8):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sch.step()
    out["lambda_rule.lrs"] = torch.tensor(lrs)
    return out


def main():
    assert torch.__version__.startswith("1.13"), torch.__version__
    os.makedirs(OUT, exist_ok=True)
    save(os.path.join(OUT, "ops.safetensors"), gen_ops())
    save(os.path.join(OUT, "optim.safetensors"), gen_optim())
    for f in ("ops.safetensors", "optim.safetensors"):
        print(f, os.path.getsize(os.path.join(OUT, f)), "bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
