"""st_write.py: the safetensors writer shared by the golden-data scripts (import it from
scripts/). Writes by hand (8-byte LE header length, compact JSON header padded with spaces
to a multiple of 8, raw little-endian float32 data) since no pip packages are available.
Tensors may be torch tensors or numpy arrays; they are stored as F32 in the given order."""
import json
import struct

import numpy as np


def save(path, tensors, meta=None):
    header, blobs, off = {}, [], 0
    if meta:
        header["__metadata__"] = meta
    for name, t in tensors.items():
        if hasattr(t, "detach"):  # torch tensor
            t = t.detach().contiguous().float().numpy()
        b = np.ascontiguousarray(t, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
