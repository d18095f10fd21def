#!/usr/bin/python3
"""gen_pix2pix_golden.py: golden data for the pix2pix networks (tests/test_pix2pix.c).

Builds the official architecture (bench/torch_pix2pix.py, written after the official
pytorch-CycleGAN-and-pix2pix networks.py) small enough for unit tests, with a fixed
random init and randomised BatchNorm running statistics, and saves to
tests/data/pix2pix/:
  keys_unet256.txt, keys_unet128.txt, keys_patchgan.txt   official state_dict keys in order
  unet_small_converted.safetensors  the same U-Net saved as an official .pth checkpoint and
                             converted by tools/convert_pix2pix.py (a Ztyle generator file)
  unet_small.safetensors     weights ("w:" + key), input "x", outputs "y_eval" (model.eval())
                             and "y_train" (train-mode BN, dropout driven by the saved masks
                             "mask:" + dropout module name), and the running stats after the
                             train-mode pass ("after:" + buffer key)
  patchgan_small.safetensors the same for the discriminator (no dropout)
  step_small.safetensors     one full pix2pix training step (official optimize_parameters:
                             D on fake.detach() and real, vanilla GAN loss, Adam; then G with D
                             frozen, GAN + 100 * L1, Adam; lr 2e-4, betas (0.5, 0.999)) of a
                             U-Net without dropout (5 -> 3, num_downs 5, ngf 2, 32x32, batch 2)
                             and a PatchGAN (ndf 4): initial weights "G:"/"D:" + key, "A", "B",
                             losses, gradients "gradG:"/"gradD:" + key, updated weights
                             "G1:"/"D1:" + key
Regenerate: /usr/bin/python3 scripts/gen_pix2pix_golden.py   (Debian's python3-torch 1.13)"""
import os
import subprocess
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from st_write import save  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
from torch_pix2pix import NLayerDiscriminator, UnetGenerator, init_weights  # noqa: E402

OUT = os.path.join(HERE, "..", "tests", "data", "pix2pix")


class MaskDropout(nn.Module):
    """Dropout(0.5) with a fixed keep-mask, so Ztyle can apply the same one."""

    def __init__(self, name, gen):
        super().__init__()
        self.name, self.gen, self.mask = name, gen, None

    def forward(self, x):
        if not self.training:
            return x
        if self.mask is None:
            self.mask = (torch.rand(x.shape, generator=self.gen) >= 0.5).float()
        return x * self.mask / 0.5


def randomise_bn(net, gen):
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)
            m.num_batches_tracked.fill_(3)


def state(net, prefix, buffers_only=False):
    return {prefix + k: v.clone().float() for k, v in net.state_dict().items()
            if not buffers_only or "running" in k or "num_batches" in k}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(1234)
    gen = torch.Generator().manual_seed(99)
    for name, (inc, nd, ngf) in {"unet256": (3, 8, 64), "unet128": (5, 7, 32)}.items():
        g = UnetGenerator(inc, 3, nd, ngf)
        with open(os.path.join(OUT, f"keys_{name}.txt"), "w") as f:
            f.write("\n".join(g.state_dict().keys()) + "\n")
    d = NLayerDiscriminator(6, 64, 3)
    with open(os.path.join(OUT, "keys_patchgan.txt"), "w") as f:
        f.write("\n".join(d.state_dict().keys()) + "\n")

    # small U-Net: 5 -> 3 channels, num_downs 6 (one dropout level), ngf 2, 64x64, batch 2
    g = UnetGenerator(5, 3, 6, 2)
    init_weights(g)
    randomise_bn(g, gen)
    for mod_name, mod in list(g.named_modules()):
        for idx, child in list(mod.named_children()):
            if isinstance(child, nn.Dropout):
                full = f"{mod_name}.{idx}" if mod_name else idx
                setattr(mod, idx, MaskDropout(full, gen))
    x = torch.randn(2, 5, 64, 64, generator=gen)
    t = state(g, "w:")
    # the same network as an official checkpoint saves it (before any forward pass updates
    # the BN statistics), converted below by tools/convert_pix2pix.py
    pth = os.path.join(OUT, "unet_small.pth")
    torch.save({k: v.clone() for k, v in g.state_dict().items()}, pth)
    t["x"] = x
    g.eval()
    with torch.no_grad():
        t["y_eval"] = g(x.clone())
    g.train()
    with torch.no_grad():
        t["y_train"] = g(x.clone())
    for m in g.modules():
        if isinstance(m, MaskDropout):
            t["mask:" + m.name] = m.mask
    t.update(state(g, "after:", True))
    save(os.path.join(OUT, "unet_small.safetensors"), t)
    conv = os.path.join(HERE, "..", "tools", "convert_pix2pix.py")
    subprocess.run([sys.executable, conv, pth, os.path.join(OUT, "unet_small_converted.safetensors"),
                    "--size", "64"], check=True)
    os.unlink(pth)

    # small PatchGAN: 8 input channels, ndf 8, n_layers 3, 32x32, batch 2
    d = NLayerDiscriminator(8, 8, 3)
    init_weights(d)
    randomise_bn(d, gen)
    x = torch.randn(2, 8, 32, 32, generator=gen)
    t = state(d, "w:")
    t["x"] = x
    d.eval()
    with torch.no_grad():
        t["y_eval"] = d(x.clone())
    d.train()
    with torch.no_grad():
        t["y_train"] = d(x.clone())
    t.update(state(d, "after:", True))
    save(os.path.join(OUT, "patchgan_small.safetensors"), t)
    # one training step, as pix2pix_model.optimize_parameters
    G = UnetGenerator(5, 3, 5, 2, use_dropout=False)
    D = NLayerDiscriminator(8, 4, 3)
    init_weights(G)
    init_weights(D)
    t = state(G, "G:")
    t.update(state(D, "D:"))
    A = torch.randn(2, 5, 32, 32, generator=gen)
    B = torch.rand(2, 3, 32, 32, generator=gen) * 2 - 1
    t["A"], t["B"] = A, B
    bce = nn.BCEWithLogitsLoss()
    optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    G.train()
    D.train()
    fake = G(A)
    optD.zero_grad()
    pf = D(torch.cat([A, fake.detach()], 1))
    lf = bce(pf, torch.zeros_like(pf))
    pr = D(torch.cat([A, B], 1))
    lr = bce(pr, torch.ones_like(pr))
    ld = (lf + lr) * 0.5
    ld.backward()
    for k, p in D.named_parameters():
        t["gradD:" + k] = p.grad.clone()
    optD.step()
    for p in D.parameters():
        p.requires_grad_(False)
    optG.zero_grad()
    pf2 = D(torch.cat([A, fake], 1))
    lg = bce(pf2, torch.ones_like(pf2))
    l1 = nn.L1Loss()(fake, B)
    (lg + 100.0 * l1).backward()
    for k, p in G.named_parameters():
        t["gradG:" + k] = p.grad.clone()
    optG.step()
    t["losses"] = torch.tensor([lg.item(), l1.item(), lr.item(), lf.item()])
    t.update(state(G, "G1:"))
    t.update(state(D, "D1:"))
    save(os.path.join(OUT, "step_small.safetensors"), t)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
