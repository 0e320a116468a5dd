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
LOW = ("float16", "bfloat16")
INTS = ("int64", "int32", "uint8", "bool")

INF, NAN = np.inf, np.nan
EDGE = [0.0, -0.0, 1.0, -1.0, INF, -INF, NAN, 0.5, 2.5, -2.5, -0.5, 1e30, -1e-30, 3.7, -3.7]


def _edge(rng, dt):
    """Special values (zeros, infinities, NaN, out-of-domain) for forward-only checks."""
    return [S(np.array(EDGE, dtype=dt)), S(np.array(EDGE, dtype=dt).reshape(3, 5))]


def _ints(rng, dt):
    return [S(rnd(rng, (3, 4), dt)), S(rnd(rng, (), dt)), S(rnd(rng, (0,), dt))]


def _inplace_samples(low=-2.0, high=2.0, **kw):
    return unary_samples(low, high, shapes=[(), (5,), (3, 4), (0, 3)], **kw)


# (name, low, high, complex supported, aliases)
FLOAT_FNS = [
    ("sqrt", 0.5, 2.0, True, ()),
    ("rsqrt", 0.5, 2.0, True, ()),
    ("exp", -2.0, 2.0, True, ()),
    ("exp2", -2.0, 2.0, True, ()),
    ("expm1", -2.0, 2.0, True, ()),
    ("log", 0.5, 2.0, True, ()),
    ("log2", 0.5, 2.0, True, ()),
    ("log10", 0.5, 2.0, True, ()),
    ("log1p", -0.5, 2.0, True, ()),
    ("sin", -2.0, 2.0, True, ()),
    ("cos", -2.0, 2.0, True, ()),
    ("tan", -1.2, 1.2, True, ()),
    ("asin", -0.9, 0.9, True, ("arcsin",)),
    ("acos", -0.9, 0.9, True, ("arccos",)),
    ("atan", -2.0, 2.0, True, ("arctan",)),
    ("sinh", -2.0, 2.0, True, ()),
    ("cosh", -2.0, 2.0, True, ()),
    ("tanh", -2.0, 2.0, True, ()),
    ("asinh", -2.0, 2.0, True, ("arcsinh",)),
    ("acosh", 1.2, 3.0, True, ("arccosh",)),
    ("atanh", -0.9, 0.9, True, ("arctanh",)),
    ("sigmoid", -3.0, 3.0, True, ()),
    ("erf", -2.0, 2.0, False, ()),
    ("erfc", -2.0, 2.0, False, ()),
    ("erfinv", -0.9, 0.9, False, ()),
    ("deg2rad", -200.0, 200.0, False, ()),
    ("rad2deg", -4.0, 4.0, False, ()),
]

OPS = []
for _n, _lo, _hi, _cplx, _al in FLOAT_FNS:
    OPS.append(OpInfo(_n, unary_samples(_lo, _hi), aliases=_al))
    OPS.append(OpInfo(_n, unary_samples(_lo, _hi), dtypes=LOW, grad=False))
    OPS.append(OpInfo(_n, _ints, dtypes=INTS, grad=False))
    OPS.append(OpInfo(_n, _edge, dtypes=("float32",), grad=False))
    OPS.append(OpInfo(_n, unary_samples(_lo, _hi), method=True, gradcheck=False))  # gradcheck: same as function
    if _cplx:
        _clo = 0.3 if _n in ("rsqrt", "log", "log2", "log10") else -1.5
        OPS.append(OpInfo(_n, unary_samples(_clo, 1.5), dtypes=COMPLEX))
    # gradcheck=False for in-place entries: the numerical check perturbs the leaf that the op overwrites;
    # torch has no derivative for the in-place asinh_/acosh_/atanh_ (not_implemented in derivatives.yaml)
    _g = _n not in ("asinh", "acosh", "atanh")
    OPS.append(OpInfo(f"Tensor.{_n}_", _inplace_samples(_lo, _hi), inplace=True, gradcheck=False, grad=_g))

for _al in ("arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh"):
    _base = {"arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9), "arccosh": (1.2, 3.0), "arctanh": (-0.9, 0.9)}
    _lo, _hi = _base.get(_al, (-2.0, 2.0))
    OPS.append(OpInfo(f"Tensor.{_al}", unary_samples(_lo, _hi), gradcheck=False))
    _g = _al not in ("arcsinh", "arccosh", "arctanh")
    OPS.append(OpInfo(f"Tensor.{_al}_", _inplace_samples(_lo, _hi), inplace=True, gradcheck=False, grad=_g))


def _logit_eps(rng, dt):
    return [S(rnd(rng, sh, dt, 0.02, 0.98), 0.2) for sh in [(), (5,), (3, 4), (0, 2)]] + [
        S(rnd(rng, (4,), dt, 0.02, 0.98), eps=0.1)
    ]


OPS += [
    OpInfo("logit", unary_samples(0.1, 0.9)),
    OpInfo("logit", _logit_eps),
    OpInfo("logit", _edge, dtypes=("float32",), grad=False),
    OpInfo("logit", lambda rng, dt: [S(np.array(EDGE, dtype=dt), 0.1)], dtypes=("float32",), grad=False),
    OpInfo("logit", _ints, dtypes=INTS, grad=False),
    OpInfo("Tensor.logit", _logit_eps, gradcheck=False),
    OpInfo("Tensor.logit_", _inplace_samples(0.1, 0.9), inplace=True, gradcheck=False),
    OpInfo("Tensor.logit_", lambda rng, dt: [S(rnd(rng, (5,), dt, 0.02, 0.98), 0.2)], inplace=True, gradcheck=False),
]


# -- abs / sign / sgn / square / rounding ------------------------------------------------------

KEEP_INTS = ("int64", "int32", "int8", "uint8")

# abs: gradgrad=False because torch's second-order gradient of abs on real input is a ZeroTensor (sgn's
# backward), which the oracle cannot convert to NumPy; for the same reason real sgn is forward-only.
OPS += [
    OpInfo("abs", unary_samples(), aliases=("absolute",), gradgrad=False),
    OpInfo("abs", unary_samples(), dtypes=LOW + KEEP_INTS, grad=False),
    OpInfo("abs", _edge, dtypes=("float32",), grad=False),
    OpInfo("abs", unary_samples(), dtypes=COMPLEX),
    OpInfo("Tensor.abs", unary_samples(), gradcheck=False, gradgrad=False),
    OpInfo("Tensor.absolute", unary_samples(), gradcheck=False, gradgrad=False),
    OpInfo("Tensor.__abs__", unary_samples(), gradcheck=False, gradgrad=False),
    OpInfo("Tensor.abs_", _inplace_samples(), inplace=True, gradcheck=False, gradgrad=False),
    OpInfo("Tensor.absolute_", _inplace_samples(), inplace=True, gradcheck=False, gradgrad=False),
    OpInfo("sign", unary_samples()),
    OpInfo("sign", _edge, dtypes=("float32", "float64"), grad=False),
    OpInfo("sign", _ints, dtypes=KEEP_INTS + ("bool",) + LOW, grad=False),
    OpInfo("Tensor.sign_", _inplace_samples(), inplace=True, gradcheck=False),
    OpInfo("sgn", unary_samples(), grad=False),
    OpInfo("sgn", _ints, dtypes=("int64", "bool"), grad=False),
    OpInfo("sgn", unary_samples(), dtypes=COMPLEX),
    OpInfo("sgn", lambda rng, dt: [S(np.array([0, 1 + 1j, -2j, 3], dtype=dt))], dtypes=COMPLEX),
    OpInfo("Tensor.sgn_", _inplace_samples(), dtypes=FLOATS, inplace=True, grad=False),
    OpInfo("Tensor.sgn_", _inplace_samples(), dtypes=COMPLEX, inplace=True),
    OpInfo("square", unary_samples()),
    OpInfo("square", _ints, dtypes=KEEP_INTS + ("bool",) + LOW, grad=False),
    OpInfo("square", unary_samples(), dtypes=COMPLEX),
    OpInfo("Tensor.square_", _inplace_samples(), inplace=True, gradcheck=False),
    OpInfo("frac", unary_samples(-3, 3)),
    OpInfo("frac", _edge, dtypes=FLOATS, grad=False),
    OpInfo("Tensor.frac_", _inplace_samples(-3, 3), inplace=True, gradcheck=False),
]

for _n, _al in [("floor", ()), ("ceil", ()), ("trunc", ("fix",)), ("round", ())]:
    OPS += [
        OpInfo(_n, unary_samples(-3, 3), aliases=_al),
        OpInfo(_n, _edge, dtypes=FLOATS + LOW, grad=False),
        OpInfo(_n, _ints, dtypes=KEEP_INTS, grad=False),
        OpInfo(f"Tensor.{_n}_", _inplace_samples(-3, 3), inplace=True, gradcheck=False),
    ]
OPS.append(OpInfo("Tensor.fix_", _inplace_samples(-3, 3), inplace=True, gradcheck=False))


def _round_dec(rng, dt):
    return [S(rnd(rng, (3, 4), dt, -300, 300), decimals=d) for d in (0, 1, 2, -1, -2)] + [
        S(rnd(rng, (), dt), decimals=1),
        S(rnd(rng, (0, 2), dt), decimals=1),
    ]


OPS += [
    OpInfo("round", _round_dec),
    OpInfo("Tensor.round", _round_dec, gradcheck=False),
    OpInfo("Tensor.round_", lambda rng, dt: [S(rnd(rng, (3, 4), dt, -30, 30), decimals=1)], inplace=True),
]


# -- clamp --------------------------------------------------------------------------------------


def _clamp_scalar(rng, dt):
    x = lambda sh: rnd(rng, sh, dt, -3, 3)  # noqa: E731
    return [
        S(x((3, 4)), -1, 1),
        S(x((3, 4)), -0.5, 1.5),
        S(x((5,)), min=0),
        S(x((5,)), max=0.5),
        S(x(()), -1, 1),
        S(x((0, 3)), -1, 1),
        S(x((4,)), 1, -1),  # min > max: everything is max
    ]


def _clamp_tensor(rng, dt):
    x = lambda sh, lo=-3, hi=3: rnd(rng, sh, dt, lo, hi)  # noqa: E731
    return [
        S(x((3, 4)), x((3, 4), -2, 0), x((3, 4), 0, 2)),
        S(x((3, 4)), x((4,), -2, 0), x((3, 1), 0, 2)),
        S(x((3, 4)), x((4,), -1, 1)),  # bounds are positional: gradcheck perturbs positional leaves only
        S(x((3, 4)), None, x((3, 4), -1, 1)),
        S(x((5,)), x((5,), 1, 2), x((5,), -2, -1)),  # min > max
        S(x(()), x((3,), -1, 0), x((3,), 0, 1)),  # broadcast beyond the input's shape
        S(x((3,)), x((), -1, 0), None),
    ]


def _clamp_ints(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), -2, 3),
        S(rnd(rng, (3, 4), dt), 0.5, 2.5),
        S(rnd(rng, (3, 4), dt), rnd(rng, (), "float32")),
        S(rnd(rng, (3, 4), dt), rnd(rng, (4,), "int64"), rnd(rng, (4,), "int64", 3, 5)),
    ]


def _clamp_inplace(rng, dt):
    x = lambda sh, lo=-3, hi=3: rnd(rng, sh, dt, lo, hi)  # noqa: E731
    return [
        S(x((3, 4)), -1, 1),
        S(x((3, 4)), min=0.5),
        S(x((3, 4)), x((4,), -2, 0), x((3, 4), 0, 2)),
    ]


def _clamp_min_s(rng, dt):
    return [S(rnd(rng, (3, 4), dt, -3, 3), 0.5), S(rnd(rng, (), dt), 0), S(rnd(rng, (0,), dt), 1)]


def _clamp_min_t(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt, -3, 3), rnd(rng, (3, 4), dt, -1, 1)),
        S(rnd(rng, (3, 4), dt, -3, 3), rnd(rng, (4,), dt, -1, 1)),
    ]


OPS += [
    OpInfo("clamp", _clamp_scalar, aliases=("clip",)),
    OpInfo("clamp", _clamp_tensor),
    OpInfo("clamp", _clamp_ints, dtypes=("int64", "int32", "uint8"), grad=False),
    OpInfo("clamp", lambda rng, dt: [S(np.array(EDGE, dt), -1, 1), S(np.array(EDGE, dt), NAN, 1)], grad=False),
    OpInfo("clamp", _clamp_scalar, dtypes=LOW, grad=False),
    OpInfo("clip", _clamp_tensor),
    OpInfo("Tensor.clamp", _clamp_tensor, gradcheck=False),
    OpInfo("Tensor.clip", _clamp_scalar, gradcheck=False),
    OpInfo("Tensor.clamp_", _clamp_inplace, inplace=True, gradcheck=False),
    OpInfo("Tensor.clip_", _clamp_inplace, inplace=True, gradcheck=False),
    OpInfo("clamp_min", _clamp_min_s),
    OpInfo("clamp_min", _clamp_min_t),
    OpInfo("clamp_max", _clamp_min_s),
    OpInfo("clamp_max", _clamp_min_t),
    OpInfo("clamp_min", _clamp_min_s, dtypes=("int64",), grad=False),
    OpInfo("Tensor.clamp_min", _clamp_min_t, gradcheck=False),
    OpInfo("Tensor.clamp_max", _clamp_min_t, gradcheck=False),
    OpInfo("Tensor.clamp_min_", _clamp_min_s, inplace=True, gradcheck=False),
    OpInfo("Tensor.clamp_max_", _clamp_min_t, inplace=True, gradcheck=False),
]


# -- nan_to_num / predicates / positive ----------------------------------------------------------


def _with_specials(rng, dt, shape=(3, 5)):
    a = rnd(rng, shape, dt)
    flat = a.reshape(-1)
    if flat.size >= 4:
        flat[0], flat[1], flat[2], flat[3] = NAN, INF, -INF, -0.0
    return a


def _ntn_grad(rng, dt):
    return [
        S(_with_specials(rng, dt), posinf=10.0, neginf=-10.0),
        S(_with_specials(rng, dt), 1.5, 3.0, -3.0),
        S(rnd(rng, (), dt)),
        S(rnd(rng, (0, 3), dt)),
    ]


def _ntn_fwd(rng, dt):
    return [S(_with_specials(rng, dt)), S(_with_specials(rng, dt), nan=2.0), S(_with_specials(rng, dt), neginf=-1)]


def _ntn_complex(rng, dt):
    a = rnd(rng, (6,), dt)
    a[0] = complex(NAN, 1)
    a[1] = complex(1, INF)
    a[2] = complex(-INF, NAN)
    return [S(a), S(a, 1.0, 2.0, -2.0)]


OPS += [
    OpInfo("nan_to_num", _ntn_grad),
    OpInfo("nan_to_num", _ntn_fwd, dtypes=FLOATS + ("float16",), grad=False),
    OpInfo("nan_to_num", _ints, dtypes=INTS, grad=False),
    OpInfo("nan_to_num", _ntn_complex, dtypes=COMPLEX, grad=False),
    OpInfo("Tensor.nan_to_num", _ntn_grad, gradcheck=False),
    OpInfo(
        "Tensor.nan_to_num_",
        lambda rng, dt: [S(_with_specials(rng, dt), posinf=5.0, neginf=-5.0)],
        inplace=True,
        gradcheck=False,
    ),
]


def _pred_samples(rng, dt):
    if np.dtype(dt).kind in "fc":
        return [S(_with_specials(rng, dt)), S(rnd(rng, (), dt)), S(rnd(rng, (0,), dt))]
    return _ints(rng, dt)


def _pred_complex(rng, dt):
    a = rnd(rng, (6,), dt)
    a[0], a[1], a[2], a[3] = complex(NAN, 0), complex(1, INF), complex(2, 0), complex(-INF, 1)
    return [S(a)]


for _n in ("isinf", "isnan", "isfinite", "isposinf", "isneginf", "isreal", "signbit"):
    OPS.append(OpInfo(_n, _pred_samples, dtypes=FLOATS + LOW + ("int64", "uint8", "bool"), grad=False))
    OPS.append(OpInfo(f"Tensor.{_n}", _pred_samples, grad=False))
    if _n in ("isinf", "isnan", "isfinite", "isreal"):
        OPS.append(OpInfo(_n, _pred_complex, dtypes=COMPLEX, grad=False))

OPS += [
    OpInfo("positive", unary_samples()),
    OpInfo("positive", _ints, dtypes=("int64", "uint8"), grad=False),
    OpInfo("Tensor.positive", unary_samples(), gradcheck=False),
]


# -- bad input ---------------------------------------------------------------------------------

_f = np.ones((3,), np.float32)
_i = np.ones((3,), np.int64)
_b = np.ones((3,), np.bool_)
_c = np.ones((3,), np.complex64)

ERRORS = [
    ErrorInput("abs", S(_b)),
    ErrorInput("sign", S(_c)),
    ErrorInput("floor", S(_c)),
    ErrorInput("floor", S(_b)),
    ErrorInput("round", S(_c)),
    ErrorInput("round", S(_i, decimals=1)),
    ErrorInput("frac", S(_i)),
    ErrorInput("erf", S(_c)),
    ErrorInput("erfinv", S(_c)),
    ErrorInput("logit", S(_c)),
    ErrorInput("deg2rad", S(_c)),
    ErrorInput("exp", S([1.0, 2.0])),
    ErrorInput("exp_", S(_i), method=True),
    ErrorInput("sqrt_", S(_b), method=True),
    ErrorInput("sigmoid_", S(_i), method=True),
    ErrorInput("clamp", S(_f)),
    ErrorInput("clamp", S(_c, 0, 1)),
    ErrorInput("clamp", S(_f, np.ones((2,), np.float32))),
    ErrorInput("clamp", S(_f, np.ones((3,), np.float32), 1.0)),
    ErrorInput("clamp", S(_f, "a")),
    ErrorInput("clamp_", S(_i, 0.5), method=True),
    ErrorInput("clamp_", S(_f, np.ones((2, 3), np.float32)), method=True),
    ErrorInput("clamp_min", S(_c, 0)),
    ErrorInput("nan_to_num", S(_f, nan=1j)),
    ErrorInput("isposinf", S(_c)),
    ErrorInput("isneginf", S(_c)),
    ErrorInput("signbit", S(_c)),
    ErrorInput("positive", S(_b)),
]
