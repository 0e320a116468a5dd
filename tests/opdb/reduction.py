from op_db import ErrorInput, OpInfo, S

from opdb._util import rnd

FLOATS = ("float32", "float64")


def _reduce(**kw):
    def gen(rng, dt):
        out = [S(rnd(rng, (), dt), **kw), S(rnd(rng, (5,), dt), **kw), S(rnd(rng, (3, 4), dt), **kw)]
        for dim in (0, -1, (0, 1), [1, 2]):
            for keepdim in (False, True):
                out.append(S(rnd(rng, (2, 3, 4), dt), dim, keepdim, **kw))
        out.append(S(rnd(rng, (0, 3), dt), 1, **kw))
        return out

    return gen


OPS = [
    OpInfo("sum", _reduce(), dtypes=FLOATS + ("int64", "int32", "bool", "float16")),
    OpInfo("sum", _reduce(dtype="dtype:float64"), dtypes=("float32",)),
    OpInfo("mean", _reduce(), dtypes=FLOATS + ("float16",)),
]

ERRORS = [
    ErrorInput("mean", S(rnd(__import__("numpy").random.default_rng(0), (3,), "int64"))),
    ErrorInput("sum", S(rnd(__import__("numpy").random.default_rng(0), (3,), "float32"), 2)),
]
