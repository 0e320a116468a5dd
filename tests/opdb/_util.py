"""Sample builders shared by the op-table families."""

import numpy as np

from op_db import S


def rnd(rng, shape, dtype, low=-2.0, high=2.0):
    """Random array of `dtype` (a NumPy dtype or 'bfloat16')."""
    if dtype == "bfloat16":
        import ml_dtypes

        return rng.uniform(low, high, shape).astype(ml_dtypes.bfloat16)
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return np.asarray(rng.random(shape) > 0.5)
    if dt.kind in "iu":
        lo = 0 if dt.kind == "u" else int(low * 5)
        return rng.integers(lo, int(high * 5) + 1, shape).astype(dt)
    if dt.kind == "c":
        return np.asarray((rng.uniform(low, high, shape) + 1j * rng.uniform(low, high, shape)).astype(dt))
    return np.asarray(rng.uniform(low, high, shape).astype(dt))


def positive(rng, shape, dtype, low=0.5, high=2.0):
    return rnd(rng, shape, dtype, low, high)


UNARY_SHAPES = [(), (5,), (3, 4), (2, 3, 4), (0, 3)]


def unary_samples(low=-2.0, high=2.0, shapes=UNARY_SHAPES, **kwargs):
    def gen(rng, dt):
        return [S(rnd(rng, sh, dt, low, high), **kwargs) for sh in shapes]

    return gen


BINARY_SHAPES = [
    ((), ()),
    ((5,), (5,)),
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((2, 1, 4), (3, 1)),
    ((3, 4), ()),
    ((0, 4), (4,)),
]


def binary_samples(low=-2.0, high=2.0, other_low=None, other_high=None, scalars=(2.5, -3), inplace=False, **kwargs):
    """Tensor-tensor with broadcasting, 0-dim and empty shapes, and tensor-scalar.

    inplace=True keeps only the shapes where the first operand already has the broadcast shape."""
    olow = low if other_low is None else other_low
    ohigh = high if other_high is None else other_high
    shapes = [(a, b) for a, b in BINARY_SHAPES if not inplace or np.broadcast_shapes(a, b) == a]

    def gen(rng, dt):
        out = [S(rnd(rng, a, dt, low, high), rnd(rng, b, dt, olow, ohigh), **kwargs) for a, b in shapes]
        out += [S(rnd(rng, (3, 4), dt, low, high), s, **kwargs) for s in scalars]
        return out

    return gen
