#!/usr/bin/env python3
"""Compares the pixels of two uncompressed 8/16-bit grayscale TIFFs (standard library + NumPy).

    scripts/tiff-diff.py A.tif B.tif   ->  "identical N of M pixels, max |diff| D"
"""
import struct, sys

import numpy as np

def read(path):
    b = open(path, "rb").read()
    bo = "<" if b[:2] == b"II" else ">"
    off = struct.unpack(bo + "I", b[4:8])[0]
    n = struct.unpack(bo + "H", b[off:off + 2])[0]
    tags = {}
    size = {1: 1, 3: 2, 4: 4}
    fmt = {1: "B", 3: "H", 4: "I"}
    for i in range(n):
        e = b[off + 2 + 12 * i: off + 14 + 12 * i]
        tag, typ, cnt = struct.unpack(bo + "HHI", e[:8])
        if typ not in size:
            continue
        nbytes = size[typ] * cnt
        data = e[8:8 + nbytes] if nbytes <= 4 else b[struct.unpack(bo + "I", e[8:12])[0]:][:nbytes]
        tags[tag] = list(struct.unpack(bo + fmt[typ] * cnt, data))
    w, h, bits = tags[256][0], tags[257][0], tags[258][0]
    data = b"".join(b[o:o + c] for o, c in zip(tags[273], tags[279]))
    dtype = np.dtype(bo + ("u2" if bits == 16 else "u1"))
    return np.frombuffer(data, dtype=dtype)[: w * h].reshape(h, w).astype(np.int64)

a, b = read(sys.argv[1]), read(sys.argv[2])
d = np.abs(a - b)
print(f"identical {(d == 0).sum()} of {d.size} pixels, max |diff| {d.max()}")
