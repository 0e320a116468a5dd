import numpy as np

from op_db import ErrorInput, OpInfo, S
from opdb._util import rnd

FLOATS = ("float32", "float64")


def _t(shape, *args, **kw):
    return lambda rng, dt: [S(rnd(rng, shape, dt), *args, **kw)]


def _many(*cases):
    def gen(rng, dt):
        return [S(rnd(rng, shape, dt), *args) for shape, *args in cases]

    return gen


OPS = [
    OpInfo("Tensor.view", _many(((2, 3, 4), 6, 4), ((2, 3, 4), -1), ((), 1), ((6,), (2, -1)))),
    OpInfo("reshape", _many(((2, 3, 4), (6, 4)), ((2, 3, 4), (-1,)), ((), (1, 1)), ((0, 4), (-1, 2)))),
    OpInfo("Tensor.expand", _many(((3, 1), 3, 4), ((1,), 2, 3, 5), ((), 4), ((2, 1, 3), -1, 4, -1))),
    OpInfo("broadcast_to", _many(((3, 1), (2, 3, 4)), ((), (2,)))),
    OpInfo("unsqueeze", _many(((3, 4), 0), ((3, 4), -1), ((), 0), ((3, 4), 1))),
    OpInfo("squeeze", _many(((3, 1, 4, 1),), ((3, 1, 4), 1), ((3, 1, 4), 0), ((1, 1), (0, 1)), ((),))),
    OpInfo("transpose", _many(((3, 4), 0, 1), ((2, 3, 4), -1, 0), ((), 0, -1)), aliases=("swapaxes", "swapdims")),
    OpInfo("t", _many(((3, 4),), ((5,),), ((),))),
    OpInfo("permute", _many(((2, 3, 4), (2, 0, 1)), ((2, 3), (-1, 0)))),
    OpInfo("flatten", _many(((2, 3, 4),), ((2, 3, 4), 1), ((2, 3, 4), 0, 1), ((),))),
    OpInfo("Tensor.view_as", lambda rng, dt: [S(rnd(rng, (6,), dt), np.zeros((2, 3), dt))], grad=True),
    OpInfo("Tensor.reshape_as", lambda rng, dt: [S(rnd(rng, (6,), dt), np.zeros((3, 2), dt))]),
    OpInfo("Tensor.expand_as", lambda rng, dt: [S(rnd(rng, (3, 1), dt), np.zeros((3, 5), dt))]),
]

ERRORS = [
    ErrorInput("view", S(np.zeros((2, 3), np.float32), 5, -1), method=True),
    ErrorInput("expand", S(np.zeros((2, 3), np.float32), 3, 3), method=True),
    ErrorInput("permute", S(np.zeros((2, 3), np.float32), (0, 0))),
    ErrorInput("transpose", S(np.zeros((2, 3), np.float32), 0, 2)),
    ErrorInput("t", S(np.zeros((2, 3, 4), np.float32))),
]
