#!/usr/bin/python3
"""torch_edgenets.py: DexiNed (Soria et al., xavysp/DexiNed model.py) and TEED (xavysp/TEED ted.py)
re-written in PyTorch for Ztyle's goldens and benchmarks. The module tree follows the authors'
models, so state_dict keys (and the authors' released .pth checkpoints) are interchangeable;
only inference matters here (no weight init, no training code). Used by
scripts/gen_dexined_golden.py and bench/bench_edgenet.py."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# Pre-processing means (B, G, R) of the authors' test code: DexiNed main.py
# --mean_pixel_values; TEED dataset.py, dataset "CLASSIC".
MEAN_BGR = {"dexined": (103.939, 116.779, 123.68), "teed": (104.007, 116.669, 122.679)}
# Input sides are padded (replicated edge pixels, right and bottom) to a multiple of this.
PAD_MULTIPLE = {"dexined": 16, "teed": 8}


def smish(x):
    return x * torch.tanh(torch.log(1 + torch.sigmoid(x)))


class Smish(nn.Module):
    def forward(self, x):
        return smish(x)


# --- shared pieces (same layout in both models) ---

class DenseLayer(nn.Sequential):
    """conv1 (3x3, pad 2) [norm1] act conv2 (3x3, pad 0) [norm2]; input activated first."""

    def __init__(self, cin, cout, teed):
        super().__init__()
        self.teed = teed
        self.add_module("conv1", nn.Conv2d(cin, cout, 3, stride=1, padding=2, bias=True))
        if teed:
            self.add_module("smish1", Smish())
        else:
            self.add_module("norm1", nn.BatchNorm2d(cout))
            self.add_module("relu1", nn.ReLU(inplace=True))
        self.add_module("conv2", nn.Conv2d(cout, cout, 3, stride=1, bias=True))
        if not teed:
            self.add_module("norm2", nn.BatchNorm2d(cout))

    def forward(self, x):
        x1, x2 = x
        act = smish(x1) if self.teed else F.relu(x1)
        y = super().forward(act)
        return 0.5 * (y + x2), x2


class DenseBlock(nn.Sequential):
    def __init__(self, nlayers, cin, cout, teed=False):
        super().__init__()
        for i in range(nlayers):
            self.add_module("denselayer%d" % (i + 1), DenseLayer(cin, cout, teed))
            cin = cout


class UpConvBlock(nn.Module):
    """up_scale x (conv 1x1, act, ConvTranspose2d(k = 2^up_scale, stride 2)): 2^up_scale larger."""

    def __init__(self, cin, up_scale, teed=False):
        super().__init__()
        pads = [0, 0, 1, 3, 7]
        layers = []
        for i in range(up_scale):
            k = 2 ** up_scale
            cout = 1 if i == up_scale - 1 else 16
            layers.append(nn.Conv2d(cin, cout, 1))
            layers.append(Smish() if teed else nn.ReLU(inplace=True))
            layers.append(nn.ConvTranspose2d(cout, cout, k, stride=2, padding=pads[up_scale]))
            cin = cout
        self.features = nn.Sequential(*layers)

    def forward(self, x):
        return self.features(x)


class SingleConvBlock(nn.Module):
    def __init__(self, cin, cout, stride, use_bn=True, has_bn=True):
        super().__init__()
        self.use_bn = use_bn
        self.conv = nn.Conv2d(cin, cout, 1, stride=stride, bias=True)
        if has_bn:
            self.bn = nn.BatchNorm2d(cout)  # DexiNed's block_cat has one and skips it

    def forward(self, x):
        x = self.conv(x)
        return self.bn(x) if self.use_bn else x


class DoubleConvBlock(nn.Module):
    def __init__(self, cin, mid, cout=None, stride=1, use_act=True, teed=False):
        super().__init__()
        cout = cout or mid
        self.use_act, self.teed = use_act, teed
        self.conv1 = nn.Conv2d(cin, mid, 3, padding=1, stride=stride)
        if not teed:
            self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, cout, 3, padding=1)
        if not teed:
            self.bn2 = nn.BatchNorm2d(cout)
        self.act = Smish() if teed else nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.conv1(x)
        if not self.teed:
            x = self.bn1(x)
        x = self.act(x)
        x = self.conv2(x)
        if not self.teed:
            x = self.bn2(x)
        return self.act(x) if self.use_act else x


class DexiNed(nn.Module):
    def __init__(self):
        super().__init__()
        self.block_1 = DoubleConvBlock(3, 32, 64, stride=2)
        self.block_2 = DoubleConvBlock(64, 128, use_act=False)
        self.dblock_3 = DenseBlock(2, 128, 256)
        self.dblock_4 = DenseBlock(3, 256, 512)
        self.dblock_5 = DenseBlock(3, 512, 512)
        self.dblock_6 = DenseBlock(3, 512, 256)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.side_1 = SingleConvBlock(64, 128, 2)
        self.side_2 = SingleConvBlock(128, 256, 2)
        self.side_3 = SingleConvBlock(256, 512, 2)
        self.side_4 = SingleConvBlock(512, 512, 1)
        self.side_5 = SingleConvBlock(512, 256, 1)  # in the checkpoint, unused
        self.pre_dense_2 = SingleConvBlock(128, 256, 2)
        self.pre_dense_3 = SingleConvBlock(128, 256, 1)
        self.pre_dense_4 = SingleConvBlock(256, 512, 1)
        self.pre_dense_5 = SingleConvBlock(512, 512, 1)
        self.pre_dense_6 = SingleConvBlock(512, 256, 1)
        self.up_block_1 = UpConvBlock(64, 1)
        self.up_block_2 = UpConvBlock(128, 1)
        self.up_block_3 = UpConvBlock(256, 2)
        self.up_block_4 = UpConvBlock(512, 3)
        self.up_block_5 = UpConvBlock(512, 4)
        self.up_block_6 = UpConvBlock(256, 4)
        self.block_cat = SingleConvBlock(6, 1, stride=1, use_bn=False)

    def forward(self, x):
        b1 = self.block_1(x)
        b1_side = self.side_1(b1)
        b2 = self.block_2(b1)
        b2_down = self.maxpool(b2)
        b2_add = b2_down + b1_side
        b2_side = self.side_2(b2_add)
        b3, _ = self.dblock_3([b2_add, self.pre_dense_3(b2_down)])
        b3_down = self.maxpool(b3)
        b3_add = b3_down + b2_side
        b3_side = self.side_3(b3_add)
        b2_half = self.pre_dense_2(b2_down)
        b4, _ = self.dblock_4([b3_add, self.pre_dense_4(b3_down + b2_half)])
        b4_down = self.maxpool(b4)
        b4_add = b4_down + b3_side
        b4_side = self.side_4(b4_add)
        b5, _ = self.dblock_5([b4_add, self.pre_dense_5(b4_down)])
        b5_add = b5 + b4_side
        b6, _ = self.dblock_6([b5_add, self.pre_dense_6(b5)])
        outs = [self.up_block_1(b1), self.up_block_2(b2), self.up_block_3(b3),
                self.up_block_4(b4), self.up_block_5(b5), self.up_block_6(b6)]
        outs.append(self.block_cat(torch.cat(outs, dim=1)))
        return outs


class DoubleFusion(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.DWconv1 = nn.Conv2d(cin, cin * 8, 3, stride=1, padding=1, groups=cin)
        self.PSconv1 = nn.PixelShuffle(1)
        self.DWconv2 = nn.Conv2d(24, 24, 3, stride=1, padding=1, groups=24)
        self.AF = Smish()

    def forward(self, x):
        a = self.PSconv1(self.DWconv1(self.AF(x)))
        a2 = self.PSconv1(self.DWconv2(self.AF(a)))
        return smish((a2 + a).sum(1).unsqueeze(1))


class TED(nn.Module):
    def __init__(self):
        super().__init__()
        self.block_1 = DoubleConvBlock(3, 16, 16, stride=2, teed=True)
        self.block_2 = DoubleConvBlock(16, 32, use_act=False, teed=True)
        self.dblock_3 = DenseBlock(1, 32, 48, teed=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.side_1 = SingleConvBlock(16, 32, 2, use_bn=False, has_bn=False)
        self.pre_dense_3 = SingleConvBlock(32, 48, 1, use_bn=False, has_bn=False)
        self.up_block_1 = UpConvBlock(16, 1, teed=True)
        self.up_block_2 = UpConvBlock(32, 1, teed=True)
        self.up_block_3 = UpConvBlock(48, 2, teed=True)
        self.block_cat = DoubleFusion(3, 3)

    def forward(self, x):
        b1 = self.block_1(x)
        b1_side = self.side_1(b1)
        b2 = self.block_2(b1)
        b2_down = self.maxpool(b2)
        b2_add = b2_down + b1_side
        b3, _ = self.dblock_3([b2_add, self.pre_dense_3(b2_down)])
        outs = [self.up_block_1(b1), self.up_block_2(b2), self.up_block_3(b3)]
        outs.append(self.block_cat(torch.cat(outs, dim=1)))
        return outs


def preprocess(img_rgb, mean_bgr, multiple):
    """(H, W, 3) RGB 0..255 -> (1, 3, H', W') BGR minus mean, edge-replicated to a multiple."""
    x = np.ascontiguousarray(img_rgb[:, :, ::-1], dtype=np.float32) - np.array(mean_bgr, np.float32)
    t = torch.from_numpy(x.transpose(2, 0, 1).copy()).unsqueeze(0)
    h, w = img_rgb.shape[:2]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        t = F.pad(t, (0, pw, 0, ph), mode="replicate")
    return t
