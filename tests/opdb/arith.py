import numpy as np

from op_db import ErrorInput, OpInfo, S
from opdb._util import binary_samples, rnd, unary_samples

FLOATS = ("float32", "float64")
ALL_REAL = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "uint8", "bool")


def _mixed(rng, dt):
    """Promotion cases: int tensor with float scalar, 0-dim float with int, int / int."""
    return [
        S(rnd(rng, (3,), "int64"), 2.5),
        S(rnd(rng, (3,), "int32"), rnd(rng, (), "float64")),
        S(rnd(rng, (3,), "uint8"), rnd(rng, (3,), "int8")),
        S(rnd(rng, (2, 3), dt), rnd(rng, (3,), "int64")),
        S(rnd(rng, (2,), "bool"), 3),
    ]


def _nonzero_b(rng, dt):
    return binary_samples(other_low=0.5, other_high=2.0)(rng, dt)


OPS = [
    OpInfo("add", binary_samples(), dtypes=FLOATS + ("float16", "int64", "int32", "uint8")),
    OpInfo("add", binary_samples(alpha=2), aliases=()),
    OpInfo("add", _mixed, dtypes=("float32",), grad=False),
    OpInfo("sub", binary_samples(), dtypes=FLOATS + ("int64",), aliases=("subtract",)),
    OpInfo("sub", binary_samples(alpha=-0.5)),
    OpInfo("mul", binary_samples(), dtypes=ALL_REAL, aliases=("multiply",)),
    OpInfo("mul", _mixed, dtypes=("float32",), grad=False),
    OpInfo("div", _nonzero_b, aliases=("divide", "true_divide")),
    OpInfo("div", lambda rng, dt: [S(rnd(rng, (4,), "int64"), rnd(rng, (4,), "int64", 1, 2))], dtypes=("int64",)),
    OpInfo("div", binary_samples(other_low=0.5, other_high=2.0, rounding_mode="floor"), dtypes=FLOATS + ("int64",)),
    OpInfo("div", binary_samples(other_low=0.5, other_high=2.0, rounding_mode="trunc"), dtypes=FLOATS + ("int64",)),
    OpInfo("rsub", binary_samples()),
    OpInfo("neg", unary_samples(), dtypes=FLOATS + ("int64",), aliases=("negative",)),
    OpInfo("reciprocal", unary_samples(0.5, 2.0)),
    OpInfo("reciprocal", unary_samples(1, 3), dtypes=("int64",)),
    OpInfo("Tensor.add_", binary_samples(scalars=(2.5,), inplace=True), inplace=True, gradcheck=False),
    OpInfo("Tensor.mul_", binary_samples(scalars=(2.5,), inplace=True), inplace=True, gradcheck=False),
    OpInfo(
        "Tensor.div_",
        binary_samples(other_low=0.5, other_high=2.0, scalars=(2.5,), inplace=True),
        inplace=True,
        gradcheck=False,
    ),
    OpInfo("Tensor.sub_", binary_samples(scalars=(2.5,), inplace=True), inplace=True, gradcheck=False),
    OpInfo("Tensor.__radd__", lambda rng, dt: [S(rnd(rng, (3,), dt), 2)], gradcheck=False),
    OpInfo("Tensor.__rtruediv__", lambda rng, dt: [S(rnd(rng, (3,), dt, 0.5, 2), 2)], gradcheck=False),
    OpInfo("Tensor.__rsub__", lambda rng, dt: [S(rnd(rng, (3,), dt), 2)], gradcheck=False),
]

for _cmp in ("eq", "ne", "lt", "le", "gt", "ge"):
    OPS.append(OpInfo(_cmp, binary_samples(scalars=(0.5, 1)), dtypes=FLOATS + ("int64", "bool"), grad=False))
OPS.append(
    OpInfo("greater", binary_samples(), grad=False, aliases=("greater_equal", "less", "less_equal", "not_equal"))
)

ERRORS = [
    ErrorInput("add", S(np.ones((2, 3), np.float32), np.ones((4,), np.float32))),
    ErrorInput("add_", S(np.ones((3,), np.int64), 0.5), method=True),
    ErrorInput("add_", S(np.ones((3,), np.float32), np.ones((2, 3), np.float32)), method=True),
    ErrorInput("sub", S(np.ones((3,), np.bool_), np.ones((3,), np.bool_))),
    ErrorInput("neg", S(np.ones((3,), np.bool_))),
    ErrorInput("div", S(np.ones(3, np.float32), 2.0, rounding_mode="bad")),
]
