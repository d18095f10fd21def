#!/usr/bin/python3
"""gen_safetensors_fixture.py: writes tests/data/safetensors/torch_written.safetensors,
the golden file for tests/test_safetensors.c, with torch doing the float conversions.

Regenerate (from the repo root; Debian's python with torch 1.13, not pyenv's):
    /usr/bin/python3 scripts/gen_safetensors_fixture.py
The `safetensors` pip package is not available, so the format is written by hand
exactly as the reference implementation lays it out: "__metadata__" first, then
tensors sorted by dtype (F32, BF16, F16: the reference Dtype enum, descending)
then by name, compact JSON padded with spaces to a multiple of 8, data
contiguous in the same order. The C writer must reproduce this file byte for byte.

Tensors:
  src        F32 [N]   values probing conversions: specials (+-0, +-inf, canonical
                       +-NaN, f16/bf16 max, overflow ties, f32/f16 subnormals), exact
                       ties and near-ties at f16 and bf16 rounding points, random bits
  src_f16    F16 [N]   src.half()      (torch's rounding, bit for bit)
  src_bf16   BF16 [N]  src.bfloat16()  (torch's rounding, bit for bit)
  conv.weight F32 [4,3,2,2]  (arange(48) - 20) / 8
  conv.bias  BF16 [4]  [-1.5, 0.0, 2.25, 1e4] as bfloat16
  scale      F16 []    scalar 0.333251953125 (0x3555)
  empty      F32 [0,3] no data
"""
import json
import os
import struct
import sys

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                   "safetensors", "torch_written.safetensors")


def f32_from_bits(bits):
    return torch.tensor(bits, dtype=torch.int64).to(torch.int32).view(torch.float32)


def probe_values():
    u = lambda b: b - (1 << 32) if b >= 1 << 31 else b  # as signed int32
    special = [0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
               0x3F800000, 0xBF800000,
               0x477FE000,  # 65504 = f16 max
               0x477FEFFF,  # just below the f16 overflow tie
               0x477FF000,  # 65520: tie between 65504 and inf -> inf
               0x477FF001, 0x47800000,  # above
               0x7F7FFFFF, 0xFF7FFFFF,  # f32 max: bf16 -> inf, f16 -> inf
               0x7F7F8000, 0x7F7F7FFF,  # bf16 overflow tie / below
               0x00000001, 0x80000001, 0x007FFFFF, 0x00800000,  # f32 subnormals/min normal
               0x33800000,  # 2^-24 = smallest f16 subnormal
               0x33000000,  # 2^-25: tie -> 0
               0x33000001,  # just above the tie -> 2^-24
               0x33C00000,  # 1.5 * 2^-24: tie -> 2^-23
               0x34200000,  # 2.5 * 2^-24: tie -> 2^-23 (even)
               0x387FC000,  # largest f16 subnormal
               0x387FE000,  # tie between largest subnormal and min normal -> min normal
               0x38800000,  # 2^-14 min normal f16
               0x3F801000,  # 1 + 2^-11: f16 tie -> 1.0
               0x3F803000,  # 1 + 3*2^-11: f16 tie -> 1 + 2^-9
               0x3F808000,  # 1 + 2^-8: bf16 tie -> 1.0
               0x3F818000,  # 1 + 3*2^-8: bf16 tie -> up
               ]
    vals = [u(b) for b in special]
    g = torch.Generator().manual_seed(1234)
    # ties and near-ties at f16 rounding points: random f16 normals/subnormals + half ulp
    h = torch.randint(0, 0x7BFF, (64,), generator=g, dtype=torch.int64)
    sgn = torch.randint(0, 2, (64,), generator=g, dtype=torch.int64) * 0x8000
    base = (h | sgn).to(torch.int16).view(torch.float16).float()
    ulp_half = torch.where(h >= 0x400,
                           torch.ldexp(torch.ones(64), ((h >> 10) - 15 - 11).float()),
                           torch.full((64,), 2.0 ** -25))
    for v in (base + ulp_half * torch.sign(base + (base == 0).float())).tolist():
        b = struct.unpack("<I", struct.pack("<f", v))[0]
        vals += [u(b), u((b + 1) & 0xFFFFFFFF), u((b - 1) & 0xFFFFFFFF)]
    # ties and near-ties at bf16 rounding points
    hb = torch.randint(0, 0x7F7F, (64,), generator=g, dtype=torch.int64)
    for b in hb.tolist():
        b = (b << 16) | (0x80000000 if b & 1 else 0)
        vals += [u(b | 0x8000), u(b | 0x7FFF), u(b | 0x8001), u((b + 0x10000) | 0x8000)]
    # random finite bit patterns
    r = torch.randint(-(1 << 31), (1 << 31) - 1, (256,), generator=g, dtype=torch.int64)
    for b in r.tolist():
        if (b & 0x7F800000) != 0x7F800000:
            vals.append(b)
    return torch.tensor(vals, dtype=torch.int64).to(torch.int32).view(torch.float32)


DTYPE_NAME = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}
DTYPE_RANK = {"F16": 8, "BF16": 9, "F32": 12}  # reference Dtype enum order


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.float32:
        a = t.view(torch.int32).reshape(-1).tolist()
        return struct.pack("<%di" % len(a), *a)
    a = t.view(torch.int16).reshape(-1).tolist()
    return struct.pack("<%dh" % len(a), *a)


def write_safetensors(path, tensors, metadata):
    items = sorted(tensors.items(), key=lambda kv: (-DTYPE_RANK[DTYPE_NAME[kv[1].dtype]], kv[0]))
    header, data, off = {}, b"", 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in items:
        b = raw_bytes(t)
        header[name] = {"dtype": DTYPE_NAME[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(b)]}
        data += b
        off += len(b)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)
    os.replace(tmp, path)


def main():
    src = probe_values()
    tensors = {
        "src": src,
        "src_f16": src.half(),
        "src_bf16": src.bfloat16(),
        "conv.weight": ((torch.arange(48, dtype=torch.float32) - 20) / 8).reshape(4, 3, 2, 2),
        "conv.bias": torch.tensor([-1.5, 0.0, 2.25, 1e4]).bfloat16(),
        "scale": torch.tensor(0.333251953125).half(),
        "empty": torch.zeros(0, 3),
    }
    write_safetensors(OUT, tensors, {"format": "pt", "generator": "gen_safetensors_fixture.py"})
    print("wrote %s: %d probe values, %d bytes" % (OUT, src.numel(), os.path.getsize(OUT)),
          file=sys.stderr)


if __name__ == "__main__":
    main()
