import numpy as np

from op_db import ErrorInput, OpInfo, S
from opdb._util import UNARY_SHAPES
from opdb._util import rnd as _rnd


def rnd(rng, shape, dtype, low=-2.0, high=2.0):
    """opdb._util.rnd, always an array (it gives a NumPy scalar for 0-dim complex)."""
    return np.asarray(_rnd(rng, shape, dtype, low, high))


def unary_samples(low=-2.0, high=2.0, shapes=UNARY_SHAPES, **kwargs):
    def gen(rng, dt):
        return [S(rnd(rng, sh, dt, low, high), **kwargs) for sh in shapes]

    return gen


FLOATS = ("float32", "float64")
COMPLEX = ("complex64", "complex128")


def _pair(low_a=-2.0, high_a=2.0):
    def gen(rng, dt):
        shapes = [((), ()), ((5,), (5,)), ((3, 4), (3, 4)), ((3, 1), (4,)), ((0, 2), (2,))]
        return [S(rnd(rng, a, dt, low_a, high_a), rnd(rng, b, dt, -3.0, 3.0)) for a, b in shapes]

    return gen


def _last2(rng, dt):
    return [S(rnd(rng, sh, dt)) for sh in [(2,), (5, 2), (3, 4, 2)]]


def _angle_real(rng, dt):
    a = np.array([0.0, -0.0, -1.5, 2.0, np.nan, -np.inf, np.inf], dtype=dt)
    return [S(a)]


def _with_zero(rng, dt):
    a = rnd(rng, (5,), dt)
    a[0] = 0
    return [S(a)]


OPS = [
    # torch's conj sets a lazy conj bit that the oracle cannot read: compare against conj_physical (same
    # values and gradients), without the grad_fn name (ConjBackward0 vs ConjPhysicalBackward0)
    OpInfo("conj", unary_samples(), dtypes=COMPLEX, torch_name="conj_physical", grad_fn=False),
    OpInfo("conj", unary_samples(), dtypes=FLOATS),
    OpInfo("conj", unary_samples(), dtypes=("int64",), grad=False),
    OpInfo("Tensor.conj", unary_samples(), dtypes=COMPLEX, torch_name="Tensor.conj_physical", grad_fn=False),
    OpInfo("conj_physical", unary_samples(), dtypes=COMPLEX + FLOATS),
    OpInfo("Tensor.conj_physical_", unary_samples(), dtypes=COMPLEX, inplace=True),
    OpInfo("resolve_conj", unary_samples(), dtypes=COMPLEX + FLOATS),
    OpInfo("resolve_neg", unary_samples(), dtypes=COMPLEX + FLOATS),
    OpInfo("is_conj", unary_samples(), dtypes=COMPLEX + FLOATS, grad=False),
    OpInfo("is_neg", unary_samples(), dtypes=COMPLEX + FLOATS, grad=False),
    OpInfo("Tensor.is_conj", unary_samples(), dtypes=COMPLEX, grad=False),
    OpInfo("real", unary_samples(), dtypes=COMPLEX + FLOATS),
    OpInfo("real", unary_samples(), dtypes=("int64",), grad=False),
    OpInfo("imag", unary_samples(), dtypes=COMPLEX),
    OpInfo("angle", unary_samples(), dtypes=COMPLEX + FLOATS),
    OpInfo("angle", _with_zero, dtypes=COMPLEX),
    OpInfo("angle", _angle_real, dtypes=FLOATS, grad=False),
    OpInfo("angle", unary_samples(), dtypes=("int64", "bool", "uint8"), grad=False),
    OpInfo("Tensor.angle", unary_samples(), dtypes=COMPLEX),
    # gradcheck=False: the outputs are complex, and the numerical check only covers real outputs
    OpInfo("polar", _pair(0.2, 2.0), gradcheck=False),
    OpInfo("polar", _pair(-2.0, -0.2), gradcheck=False),  # negative abs
    OpInfo("complex", _pair(), gradcheck=False),
    # torch's own backward fails for empty inputs (the (0, 3, 2) gradient has no unit last stride): forward only
    OpInfo("view_as_real", unary_samples(shapes=[(), (5,), (3, 4), (2, 3, 4)]), dtypes=COMPLEX),
    OpInfo("view_as_real", unary_samples(shapes=[(0, 3)]), dtypes=COMPLEX, grad=False),
    OpInfo("view_as_complex", _last2, gradcheck=False),
]

_f = np.ones((3,), np.float32)
_c = np.ones((3,), np.complex64)

ERRORS = [
    ErrorInput("imag", S(_f)),
    ErrorInput("view_as_real", S(_f)),
    ErrorInput("view_as_complex", S(np.ones((2, 3), np.float32))),
    ErrorInput("view_as_complex", S(np.ones((2, 2), np.int64))),
    ErrorInput("view_as_complex", S(np.ones((), np.float32))),
    ErrorInput("polar", S(_f, np.ones((3,), np.float64))),
    ErrorInput("polar", S(np.ones((3,), np.int64), np.ones((3,), np.int64))),
    ErrorInput("complex", S(_f, np.ones((3,), np.float64))),
    ErrorInput("complex", S(np.ones((3,), np.int64), np.ones((3,), np.int64))),
    ErrorInput("complex", S(_f, np.ones((2,), np.float32))),
    ErrorInput("complex", S(_c, _c)),
]
