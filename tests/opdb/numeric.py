"""diff, cov and corrcoef, trapezoid / trapz / cumulative_trapezoid, vander, isin, ravel and frexp: samples with
the dims, weights, spacings and dtypes torch takes, and their bad inputs."""

import numpy as np

from op_db import ErrorInput, NoGrad, OpInfo, S
from opdb._util import rnd

FLOATS = ("float32", "float64")
INTS = ("int64", "int32")


def _f(*shape):
    return np.ones(shape, np.float32)


def _i(*shape):
    return np.ones(shape, np.int64)


# -- diff ----------------------------------------------------------------------------------------


def _diff(rng, dt):
    def x(*shape):
        return rnd(rng, shape, dt)

    return [
        S(x(5)),
        S(x(3, 4)),
        S(x(3, 4), 2, 0),
        S(x(2, 3, 4), 1, 1),
        S(x(2, 3, 4), n=3, dim=-1),
        S(x(3, 4), 0),
        S(x(3, 4), 0, 1, x(3, 2)),  # n=0 ignores prepend/append
        S(x(4), 9),  # n past the size: an empty result
        S(x(0)),
        S(x(2, 0), 3),
        S(x(2, 0), 1, 0),
        S(x(3, 4), 1, -1, x(3, 2), x(3, 1)),
        S(x(3, 4), 2, 0, None, x(1, 4)),
        S(x(3, 4), 1, 0, x(2, 4)),
        S(x(3, 4), dim=0, prepend=NoGrad(x(2, 4))),
        S(x(3), 1, -1, None, x(0)),
        S(x(3), 1, 0, rnd(rng, (1,), "float64")),  # cat promotes first
        S(x(3), prepend=NoGrad(rnd(rng, (2,), "int64"))),
    ]


def _diff_method(rng, dt):
    return [S(rnd(rng, (4, 3), dt), 2, 0), S(rnd(rng, (5,), dt), append=NoGrad(rnd(rng, (2,), dt)))]


# -- cov / corrcoef --------------------------------------------------------------------------------


def _aw(rng, n, dt="float64"):
    """aweights (keyword-only, so kept out of the numerical gradcheck: NoGrad; _cov_aweights_grad differentiates
    them against torch)."""
    return NoGrad(rnd(rng, (n,), dt, 0.1, 2.0))


def _fw(rng, n, dt="int64"):
    return rng.integers(0, 4, n).astype(dt) + np.eye(1, n, dtype=dt)[0]  # never all zero


def _cov(rng, dt):
    def x(*shape):
        return rnd(rng, shape, dt)

    out = [
        S(x(3, 5)),
        S(x(5)),
        S(x(1, 4)),
        S(x(3, 5), correction=0),
        S(x(3, 5), correction=2),
        S(x(3, 5), correction=-1),
        S(x(2, 4), fweights=_fw(rng, 4)),
        S(x(2, 4), fweights=_fw(rng, 4, "int32"), correction=0),
        S(x(2, 4), fweights=_fw(rng, 4), correction=3),
        S(x(3, 5), aweights=_aw(rng, 5)),
        S(x(3, 5), aweights=_aw(rng, 5, "float32"), correction=0),
        S(x(3, 5), aweights=_aw(rng, 5), correction=2),
        S(x(3, 5), fweights=_fw(rng, 5), aweights=_aw(rng, 5)),
        S(x(3, 5), fweights=_fw(rng, 5), aweights=_aw(rng, 5, "float32"), correction=0),
        S(x(3, 5), correction=3, fweights=_fw(rng, 5), aweights=_aw(rng, 5)),
        S(x(4), fweights=_fw(rng, 4), aweights=_aw(rng, 4)),
        S(x(3, 1), fweights=_fw(rng, 1), aweights=_aw(rng, 1)),
        S(x(3, 1)),
        S(x(2, 0)),
        S(x(0, 3)),
        S(x(0)),
        S(x(0, 3), fweights=np.zeros(3, np.int64) + 1),
        S(x()),
    ]
    if np.dtype(dt).kind != "c":
        # dof <= 0: warns, divides by zero (complex: NumPy's matmul leaves rounding-level imaginary parts on the
        # diagonal where torch's has exact zeros, so 0/0 and x/0 differ there)
        out.append(S(x(3, 5), correction=5))
    if np.dtype(dt).kind in "iu":
        # one observation and one kind of weight (ATen zeroes the centred input; float inputs that require
        # grad are refused there, so these run on integers, which no gradient reaches)
        out += [
            S(x(3, 1), fweights=_fw(rng, 1)),
            S(x(3, 1), aweights=_aw(rng, 1, "float32")),
            S(x(3, 1), aweights=_aw(rng, 1, "float32"), correction=0),
            S(x(1), fweights=_fw(rng, 1), correction=0),
        ]
    return out


def _cov_one_obs(rng, dt):
    """One observation with one kind of weight, on floats (forward only: see _cov)."""
    return [
        S(rnd(rng, (3, 1), dt), fweights=_fw(rng, 1)),
        S(rnd(rng, (3, 1), dt), aweights=_aw(rng, 1, dt)),
        S(rnd(rng, (1,), dt), aweights=_aw(rng, 1, dt), correction=0),
    ]


def _corrcoef(rng, dt):
    return [
        S(rnd(rng, (3, 5), dt)),
        S(rnd(rng, (2, 6), dt)),
        S(rnd(rng, (5,), dt)),
        S(rnd(rng, (1, 4), dt)),
        S(rnd(rng, (0, 3), dt)),
        S(rnd(rng, (2, 1), dt)),
        S(rnd(rng, (), dt)),
    ]


def _corrcoef_degenerate(rng, dt):
    """A constant variable (zero variance): nan correlations and gradients (no numerical gradcheck)."""
    const = rnd(rng, (3, 4), dt)
    const[1] = const[1, 0]
    return [S(const), S(np.zeros((2, 3), dt))]


def _cov_aweights_grad(rng, dt):
    """Gradients reaching the (floating) aweights too, compared with torch's."""

    def aw(n):
        return rnd(rng, (n,), dt, 0.1, 2.0)

    x = rnd(rng, (3, 5), dt)
    return [
        S(x, aweights=aw(5)),
        S(x, correction=0, aweights=aw(5)),
        S(x, correction=2, aweights=aw(5)),
        S(x, fweights=_fw(rng, 5), aweights=aw(5)),
        S(rnd(rng, (4,), dt), correction=3, aweights=aw(4)),
    ]


# -- trapezoid / trapz / cumulative_trapezoid ------------------------------------------------------


def _trapz(cumulative=False, scalar_dx=True):
    def gen(rng, dt):
        def x(*shape):
            return rnd(rng, shape, dt)

        out = [
            S(x(5)),
            S(x(3, 4)),
            S(x(3, 4), dim=0),
            S(x(2, 3, 4), dim=1),
            S(x(3, 4), dx=0.5),
            S(x(3, 4), dx=-2.0, dim=0),
            S(x(3, 4), x(4)),
            S(x(3, 4), x(3), dim=0),
            S(x(3, 4), x(3, 4)),
            S(x(3, 4), x(3, 4), dim=-2),
            S(x(2, 3, 4), x(3, 4), dim=1),
            S(x(2, 3, 4), x(1, 4)),
            S(x(3, 1), x()),
            S(x(3, 4), rnd(rng, (4,), "float64")),
            S(x(3, 4), rnd(rng, (4,), "int64")),
            S(x(3, 1)),
            S(x(3, 1), x(1)),
            S(x(1)),
            S(x(3, 0)),
            S(x(3, 0), dim=0),
            S(x(3, 0), x(0)),
            S(x(0, 4), x(4)),
            S(y=NoGrad(x(2, 3)), x=NoGrad(x(3)), dim=-1),
        ]
        if scalar_dx:
            out += [S(x(3, 4), dx=3), S(x(4), dx=1.5)]
        if not cumulative:
            out.append(S(rnd(rng, (3, 0), "bool")))  # no samples: zeros of y's dtype, before the bool check
        return out

    return gen


# -- vander ----------------------------------------------------------------------------------------


def _vander(rng, dt):
    def x(n):
        return rnd(rng, (n,), dt)

    return [
        S(x(4)),
        S(x(4), 3),
        S(x(4), 6, True),
        S(x(4), increasing=True),
        S(x(3), N=2, increasing=True),
        S(x(3), 2),
        S(x(4), 1),
        S(x(4), 1, True),
        S(x(4), 0),
        S(x(1)),
        S(x(0)),
        S(x(0), 3),
        S(x(5), N=None),
    ]


# -- isin ------------------------------------------------------------------------------------------


def _halves(rng, shape, dt):
    """Values on a coarse grid, so that many elements match."""
    a = rng.integers(-4, 5, shape)
    dt = np.dtype(dt)
    if dt.kind == "f":
        return np.asarray((a / 2).astype(dt))
    if dt.kind == "u":
        return np.asarray((a + 4).astype(dt))
    return np.asarray(a.astype(dt))


def _isin(rng, dt):
    def v(*shape):
        return _halves(rng, shape, dt)

    perm = rng.permutation(60)
    uniq_a = perm[:25].astype(dt)
    uniq_b = perm[20:].astype(dt)
    dup_a = np.concatenate([uniq_a[:5], uniq_a[:5]])  # duplicates under assume_unique (the sorting path)
    out = [
        S(v(3, 4), v(5)),
        S(v(3, 4), v(5), invert=True),
        S(v(2, 3), v(2, 2)),
        S(v(6), v()),
        S(v(), v(4)),
        S(v(0, 3), v(4)),
        S(v(4), v(0)),
        S(v(4), v(0), invert=True),
        S(v(3, 4), 1),
        S(v(3, 4), 1, invert=True),
        S(v(3, 4), 0.5),
        S(v(3, 4), 259),  # a Python int wraps to the elements' dtype, as in eq
        S(2, v(5)),
        S(0.5, v(5), invert=True),
        S(v(5), v(3), assume_unique=True),
        S(uniq_a, uniq_b),
        S(uniq_a, uniq_b, assume_unique=True),
        S(uniq_a, uniq_b, assume_unique=True, invert=True),
        S(dup_a, uniq_b, assume_unique=True),
        S(dup_a, uniq_b, assume_unique=True, invert=True),
        S(elements=v(4), test_elements=v(3)),
        S(v(3), rnd(rng, (4,), "float64")),  # promoted to a common dtype
        S(v(3), rnd(rng, (4,), "int32")),
    ]
    if np.dtype(dt).kind == "f":
        a = v(6)
        a[1] = np.nan
        a[2] = -0.0
        b = v(4)
        b[0] = np.nan
        b[1] = 0.0
        out += [S(a, b), S(a, b, invert=True), S(a, np.nan), S(a, b, assume_unique=True)]
    return out


# -- ravel / frexp ---------------------------------------------------------------------------------


def _ravel(rng, dt):
    return [S(rnd(rng, sh, dt)) for sh in [(3, 4), (5,), (), (0, 3), (2, 3, 4), (1, 1)]]


def _frexp(rng, dt):
    return [S(rnd(rng, sh, dt, -50.0, 50.0)) for sh in [(5,), (3, 4), (), (0, 3), (2, 1, 3)]] + [
        S(rnd(rng, (6,), dt, -1e-3, 1e-3))
    ]


def _frexp_special(rng, dt):
    a = np.array([0.0, -0.0, 1.0, -0.75, 2.0, 1024.0, np.inf, -np.inf, np.nan, 3e-5, -7.0], dtype=dt)
    if np.dtype(dt) != np.float16:
        a = np.concatenate([a, np.array([np.finfo(dt).max], dtype=dt)])
    if np.dtype(dt) == np.float64:
        # denormals: CuPy's float32 kernels flush them to zero (torch's CUDA kernels do not), float64 ones keep them
        a = np.concatenate([a, np.array([np.finfo(dt).tiny / 8, -1e-310], dtype=dt)])
    return [S(a)]


OPS = [
    OpInfo("diff", _diff, dtypes=("float32", "float64", "int64", "int32", "uint8", "bool")),
    OpInfo("Tensor.diff", _diff_method, dtypes=("float32", "int64", "bool")),
    OpInfo("cov", _cov, dtypes=FLOATS + INTS + ("complex128",), atol=1e-5, rtol=1e-5),
    OpInfo("cov", _cov_one_obs, grad=False),
    OpInfo("Tensor.cov", _cov_aweights_grad, gradcheck=False),
    OpInfo("corrcoef", _corrcoef, dtypes=FLOATS + INTS + ("complex128",), atol=1e-5, rtol=1e-5),
    OpInfo("Tensor.corrcoef", lambda rng, dt: [S(rnd(rng, (3, 5), dt))]),
    OpInfo("corrcoef", _corrcoef_degenerate, gradcheck=False),
    OpInfo("trapezoid", _trapz(), dtypes=FLOATS + INTS),
    OpInfo("trapz", _trapz(), dtypes=FLOATS + INTS),
    OpInfo("cumulative_trapezoid", _trapz(cumulative=True), dtypes=FLOATS + INTS),
    # torch's vander writes a cumulative product over its own input in place: its backward always fails
    # (cumprod's saved input was modified), and ember's, built the same way, fails the same way
    OpInfo("vander", _vander, dtypes=FLOATS + INTS + ("int8", "uint8", "bool", "complex128"), grad=False),
    OpInfo("isin", _isin, dtypes=FLOATS + INTS + ("uint8", "int8", "float16"), grad=False),
    OpInfo("ravel", _ravel, dtypes=FLOATS + ("int64", "bool", "complex64")),
    OpInfo("Tensor.ravel", _ravel, dtypes=("float32", "int32")),
    OpInfo("frexp", _frexp, dtypes=FLOATS + ("float16",)),
    OpInfo("Tensor.frexp", _frexp_special, dtypes=FLOATS + ("float16",), grad=False),
]


ERRORS = [
    ErrorInput("diff", S(_f())),
    ErrorInput("diff", S(_f(3, 4), -1)),
    ErrorInput("diff", S(_f(3, 4), 1.5)),
    ErrorInput("diff", S(_f(3, 4), prepend=_f(3))),
    ErrorInput("diff", S(_f(3, 4), prepend=_f(2, 1))),
    ErrorInput("diff", S(_f(3, 4), append=_f(3, 1, 1))),
    ErrorInput("diff", S(_f(3, 4), 1, 0, _f(3, 2))),
    ErrorInput("diff", S(_f(3, 4), dim=2)),
    ErrorInput("diff", S(_f(3, 4), prepend=1.0)),
    ErrorInput("diff", S(_f(3), 1, 0, _f(2, 2))),
    ErrorInput("diff", S(_f()), method=True),
    ErrorInput("cov", S(_f(2, 2, 2))),
    ErrorInput("cov", S(np.ones((2, 3), np.bool_))),
    ErrorInput("cov", S(_f(2, 3), correction=1.5)),
    ErrorInput("cov", S(_f(2, 3), fweights=_f(3))),
    ErrorInput("cov", S(_f(2, 3), fweights=np.ones(3, np.bool_))),
    ErrorInput("cov", S(_f(2, 3), fweights=_i(4))),
    ErrorInput("cov", S(_f(2, 3), fweights=_i(1, 3))),
    ErrorInput("cov", S(_f(2, 3), fweights=np.array([1, -1, 2]))),
    ErrorInput("cov", S(_f(2, 3), fweights=_i(3) * 0)),
    ErrorInput("cov", S(_f(2, 3), aweights=_i(3))),
    ErrorInput("cov", S(_f(2, 3), aweights=np.ones(3, np.complex64))),
    ErrorInput("cov", S(_f(2, 3), aweights=_f(2))),
    ErrorInput("cov", S(_f(2, 3), aweights=_f(1, 3))),
    ErrorInput("cov", S(_f(2, 3), aweights=np.array([1.0, -0.5, 2.0], np.float32))),
    ErrorInput("cov", S(_f(2, 3), aweights=np.array([1.0, np.nan, 2.0], np.float32))),
    ErrorInput("cov", S(_f(2, 3), aweights=_f(3) * 0)),
    ErrorInput("cov", S(_f(2, 3), fweights=np.array([0, 2, 0]), aweights=np.array([1.0, 0.0, 1.0]))),
    ErrorInput("cov", S(_f(2, 2, 2)), method=True),
    ErrorInput("corrcoef", S(_f(2, 2, 2))),
    ErrorInput("corrcoef", S(np.ones((2, 3), np.bool_))),
    ErrorInput("corrcoef", S(_f(1, 2, 3)), method=True),
    ErrorInput("trapezoid", S(_f())),
    ErrorInput("trapezoid", S(_f(), dx=2)),
    ErrorInput("trapezoid", S(_f(), _f(1))),
    ErrorInput("trapezoid", S(_f(3, 4), _f(3))),
    ErrorInput("trapezoid", S(_f(3, 4), _f(2, 3, 5))),
    ErrorInput("trapezoid", S(_f(3, 4), dx=True)),
    ErrorInput("trapezoid", S(_f(3, 4), dx=1j)),
    ErrorInput("trapezoid", S(_f(3, 4), _f(4), dx=2)),
    ErrorInput("trapezoid", S(_f(3, 4), 2.0)),
    ErrorInput("trapezoid", S(np.ones(3, np.bool_))),
    ErrorInput("trapezoid", S(_f(3, 4), np.ones(4, np.bool_))),
    ErrorInput("trapezoid", S(_f(3, 4), dim=2)),
    ErrorInput("trapezoid", S(_f(3, 4), _f(4), dim=-3)),
    ErrorInput("trapz", S(_f(3, 4), dx=1j)),
    ErrorInput("trapz", S(_f(3, 4), _f(4), dx=2)),
    ErrorInput("trapz", S(_f(3, 4), _f(5))),
    ErrorInput("trapz", S(np.ones(3, np.bool_))),
    ErrorInput("trapz", S(_f(3, 4), dim=5)),
    ErrorInput("cumulative_trapezoid", S(_f())),
    ErrorInput("cumulative_trapezoid", S(_f(), _f(1))),
    ErrorInput("cumulative_trapezoid", S(_f(3, 4), _f(3))),
    ErrorInput("cumulative_trapezoid", S(_f(3, 4), dx=1j)),
    ErrorInput("cumulative_trapezoid", S(_f(3, 4), dx=False)),
    ErrorInput("cumulative_trapezoid", S(np.ones((3, 2), np.bool_))),
    ErrorInput("cumulative_trapezoid", S(_f(3, 4), np.ones(4, np.bool_))),
    ErrorInput("cumulative_trapezoid", S(_f(3, 4), _f(4), dx=1.0)),
    ErrorInput("cumulative_trapezoid", S(_f(3, 4), dim=-3)),
    ErrorInput("cumulative_trapezoid", S(_f(3, 4), _f(2, 3, 5))),
    ErrorInput("vander", S(_f(2, 2))),
    ErrorInput("vander", S(_f())),
    ErrorInput("vander", S(_f(3), -1)),
    ErrorInput("vander", S(_f(3), 2.0)),
    ErrorInput("isin", S(1, 2)),
    ErrorInput("isin", S(np.ones(3, np.complex64), np.ones(2, np.complex64))),
    ErrorInput("isin", S(_f(3), np.ones(2, np.complex128))),
    ErrorInput("isin", S(np.ones(3, np.bool_), _i(2))),
    ErrorInput("isin", S(_i(3), np.ones(2, np.bool_))),
    ErrorInput("isin", S(_i(3), True)),
    ErrorInput("isin", S(True, _i(3))),
    ErrorInput("isin", S(_f(3), 1j)),
    ErrorInput("isin", S(_f(3), "a")),
    ErrorInput("frexp", S(_i(3))),
    ErrorInput("frexp", S(np.ones(3, np.bool_))),
    ErrorInput("frexp", S(np.ones(3, np.complex64))),
    ErrorInput("frexp", S(np.ones(3, np.int32)), method=True),
]
