"""Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11), vectorized in NumPy.

ember's CUDA generators draw from one counter-based stream per (seed): word j of the stream is lane j % 4 of
philox4x32_10(counter = j // 4 as a 128-bit integer, key = the 64-bit seed). The generator's state is the seed
and the offset (the number of words drawn so far), as torch's CUDA generator state is a seed and an offset.
The same words come from this module on the host and from the CUDA kernels in ember/cuda/_fused.py on the
device, so a draw gives the same numbers whichever side makes it.
"""

import numpy as np

M0 = 0xD2511F53
M1 = 0xCD9E8D57
W0 = 0x9E3779B9
W1 = 0xBB67AE85
_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)


def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """The 10-round block function on uint64 arrays holding 32-bit values; returns four such arrays."""
    c0, c1, c2, c3 = (np.asarray(c, np.uint64) for c in (c0, c1, c2, c3))
    k0 = np.uint64(k0)
    k1 = np.uint64(k1)
    for r in range(10):
        if r:
            k0 = (k0 + np.uint64(W0)) & _MASK
            k1 = (k1 + np.uint64(W1)) & _MASK
        p0 = np.uint64(M0) * c0  # < 2**64: both factors are below 2**32
        p1 = np.uint64(M1) * c2
        c0, c1, c2, c3 = (
            ((p1 >> _S32) ^ c1 ^ k0) & _MASK,
            p1 & _MASK,
            ((p0 >> _S32) ^ c3 ^ k1) & _MASK,
            p0 & _MASK,
        )
    return c0, c1, c2, c3


def words(seed, offset, n):
    """Words offset .. offset + n - 1 of the stream of `seed`, as a uint64 array of 32-bit values."""
    if n <= 0:
        return np.empty(0, np.uint64)
    first, last = offset // 4, (offset + n - 1) // 4
    blocks = np.arange(first, last + 1, dtype=np.uint64)
    out = philox4x32_10(blocks & _MASK, blocks >> _S32, 0, 0, seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF)
    flat = np.stack(out, axis=1).reshape(-1)
    start = offset - first * 4
    return flat[start : start + n]
