import numpy as np

from op_db import ErrorInput, NoGrad, OpInfo, S
from opdb._util import BINARY_SHAPES, binary_samples, rnd

FLOATS = ("float32", "float64")
INTS = ("int64", "int32", "uint8")


def _f(*shape):
    return np.zeros(shape, np.float32)


def _pairs(low=-2.0, high=2.0, olow=None, ohigh=None, inplace=False, shapes=BINARY_SHAPES, **kw):
    """Tensor-tensor samples only (ops whose `other` must be a tensor)."""
    olow = low if olow is None else olow
    ohigh = high if ohigh is None else ohigh

    def gen(rng, dt):
        out = []
        for a, b in shapes:
            if inplace and np.broadcast_shapes(a, b) != a:
                continue
            out.append(S(rnd(rng, a, dt, low, high), rnd(rng, b, dt, olow, ohigh), **kw))
        return out

    return gen


def _mixed_float(rng, dt):
    """Promotion: int with float, float32 with 0-dim float64, bool with int."""
    return [
        S(rnd(rng, (3,), "int64"), rnd(rng, (3,), "float32", 0.5, 2)),
        S(rnd(rng, (2, 3), "float32", 0.5, 2), rnd(rng, (), "float64", 0.5, 2)),
        S(rnd(rng, (3,), "int32", 0.5, 2), rnd(rng, (3,), "int64", 0.5, 2)),
        S(rnd(rng, (3,), "bool"), rnd(rng, (3,), "bool")),
    ]


# -- pow --------------------------------------------------------------------------------------


def _pow_tensor_scalar(rng, dt):
    base = rnd(rng, (3, 4), dt, 0.5, 2.0)
    out = [S(base, e) for e in (2, 3, 1, 0, -1, 0.5, -1.5, 2.5)]
    out += [S(rnd(rng, (), dt, 0.5, 2), 2), S(rnd(rng, (0, 3), dt), 2)]
    return out


def _pow_int(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt, -1, 1), 2),
        S(rnd(rng, (3, 4), dt, 0, 1), 3),
        S(rnd(rng, (4,), dt, -0.4, 0.6), rnd(rng, (4,), dt, 0, 0.6)),
        S(2, rnd(rng, (4,), dt, 0, 0.6)),
        S(rnd(rng, (3,), dt, 0, 1), 0),
    ]


def _pow_int_negative(rng, dt):
    # integer ** negative integer tensor: 1 -> 1, -1 -> +-1, otherwise 0
    return [
        S(np.array([1, -1, -1, 2, 0, 3, -3], dt), np.array([-1, -1, -2, -1, 2, 2, -3], dt)),
        S(np.array([2, 3], dt), np.array(-1, dt)),
        S(-2, np.array([2, 3, -1], dt)),
    ]


def _pow_mixed(rng, dt):
    return [
        S(rnd(rng, (3,), "int64", 0, 0.6), 2.5),
        S(rnd(rng, (3,), "int64", 0, 0.6), -1.0),
        S(rnd(rng, (3,), "bool"), 2),
        S(rnd(rng, (3,), "bool"), True),
        S(2.5, rnd(rng, (3,), "int64", 0, 0.6)),
        S(2, rnd(rng, (3,), "bool")),
        S(rnd(rng, (3,), "int32", 0, 0.6), rnd(rng, (), "float32", 0.5, 2)),
        S(rnd(rng, (3,), "float32", 0.5, 2), rnd(rng, (3,), "int64", 0, 0.6)),
        S(rnd(rng, (3,), "uint8", 0, 0.6), 2),
        S(rnd(rng, (3,), "float16", 0.5, 2), 2),
    ]


def _pow_scalar_base(rng, dt):
    return [S(b, rnd(rng, sh, dt)) for b in (2, 2.5, 0.5) for sh in ((3, 4), ())] + [S(3, rnd(rng, (0,), dt))]


def _pow_zero_base(rng, dt):
    # 0 ** e and x ** 0, where torch's derivative conventions hold (not smooth points)
    return [
        S(np.array([0.0, 0.0, 1.5, 2.0], dt), np.array([0.0, 2.0, 0.0, 1.0], dt)),
        S(0.0, np.array([0.0, 1.0, 2.0], dt)),
        S(np.array([0.0, 1.5], dt), 0),
    ]


# -- lerp / addcmul / addcdiv -----------------------------------------------------------------


def _lerp(rng, dt):
    out = []
    for a, b in BINARY_SHAPES:
        for w in (0.3, 0.8, -0.5, 1.5):
            out.append(S(rnd(rng, a, dt), rnd(rng, b, dt), w))
    return out


def _lerp_tensor_weight(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), rnd(rng, (3, 4), dt), rnd(rng, (3, 4), dt, -0.5, 1.5)),
        S(rnd(rng, (3, 4), dt), rnd(rng, (4,), dt), rnd(rng, (3, 1), dt, -0.5, 1.5)),
        S(rnd(rng, (), dt), rnd(rng, (), dt), rnd(rng, (), dt, -0.5, 1.5)),
        S(rnd(rng, (2, 3), dt), rnd(rng, (2, 3), dt), rnd(rng, (), "float64", 0, 1)),
        S(rnd(rng, (0, 3), dt), rnd(rng, (3,), dt), rnd(rng, (0, 3), dt)),
    ]


def _lerp_inplace(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), rnd(rng, (4,), dt), 0.3),
        S(rnd(rng, (3, 4), dt), rnd(rng, (3, 4), dt), 0.9),
        S(rnd(rng, (3, 4), dt), rnd(rng, (3, 4), dt), rnd(rng, (3, 4), dt, -0.5, 1.5)),
    ]


_TERNARY_SHAPES = [
    ((3, 4), (3, 4), (3, 4)),
    ((4,), (3, 1), (1, 4)),
    ((), (2, 3), ()),
    ((), (), ()),
    ((0, 4), (4,), (0, 1)),
]


def _addc(low2=-2.0, high2=2.0, inplace=False, **kw):
    def gen(rng, dt):
        out = []
        for a, b, c in _TERNARY_SHAPES:
            if inplace and np.broadcast_shapes(a, b, c) != a:
                continue
            out.append(S(rnd(rng, a, dt), rnd(rng, b, dt), rnd(rng, c, dt, low2, high2), **kw))
        return out

    return gen


def _addcmul_int(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), rnd(rng, (3, 4), dt), rnd(rng, (4,), dt), value=2),
        S(rnd(rng, (3,), dt), rnd(rng, (3,), dt), rnd(rng, (3,), dt)),
    ]


def _addc_mixed(rng, dt):
    return [
        S(rnd(rng, (3,), "float32"), rnd(rng, (3,), "int64", 0.2, 1), rnd(rng, (3,), "float64", 0.5, 2)),
        S(rnd(rng, (3,), "int64"), rnd(rng, (3,), "float32"), rnd(rng, (3,), "float32", 0.5, 2), value=0.5),
    ]


# -- where ------------------------------------------------------------------------------------


def _where(rng, dt):
    out = []
    for a, b in BINARY_SHAPES:
        shape = np.broadcast_shapes(a, b)
        out.append(S(rnd(rng, shape, "bool"), rnd(rng, a, dt), rnd(rng, b, dt)))
    out.append(S(rnd(rng, (3, 1), "bool"), rnd(rng, (4,), dt), rnd(rng, (), dt)))
    out.append(S(rnd(rng, (3, 4), "bool"), rnd(rng, (3, 4), dt), 0))
    out.append(S(rnd(rng, (3, 4), "bool"), 2.5, rnd(rng, (4,), dt)))
    return out


def _where_scalars(rng, dt):
    c = rnd(rng, (3, 4), "bool")
    return [
        S(c, 1, 0),
        S(c, 1.0, 0),
        S(c, True, False),
        S(c, True, 2.5),
        S(c, rnd(rng, (3, 4), "int64"), 0.5),
        S(c, rnd(rng, (4,), "float16"), 2.5),
        S(c, rnd(rng, (), "float64"), rnd(rng, (4,), "float32")),
        S(c, rnd(rng, (4,), "int32"), rnd(rng, (3, 1), "float32")),
    ]


def _where_1arg(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt)),
        S(rnd(rng, (2, 3, 2), dt)),
        S(np.array(3, dt)),
        S(np.array(0, dt)),
        S(rnd(rng, (0, 3), dt)),
        S(rnd(rng, (5,), dt)),
    ]


def _tensor_where(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), rnd(rng, (3, 4), "bool"), rnd(rng, (4,), dt)),
        S(rnd(rng, (3, 4), dt), rnd(rng, (3, 4), "bool"), 0.0),
    ]


# -- comparisons ------------------------------------------------------------------------------


def _close(rng, dt):
    a = rnd(rng, (3, 4), dt)
    b = a.copy()
    if a.dtype.kind == "f":
        b = (a + rng.uniform(-1e-5, 1e-5, a.shape)).astype(a.dtype)
        b[0, 0] = a[0, 0] + 1
        b[1, :2] = np.nan
        a[1, 0] = np.nan
    out = [S(a, b), S(a, b, equal_nan=True), S(a, b, rtol=1e-3, atol=1e-3), S(a, b[0])]
    out.append(S(np.array(a[0, 0]), np.array(b[0, 0])))
    out.append(S(rnd(rng, (0, 4), dt), rnd(rng, (4,), dt)))
    return out


def _close_inf(rng, dt):
    inf, nan = np.inf, np.nan
    a = np.array([inf, -inf, inf, nan, 1.0, 0.0, 1e10], dt)
    b = np.array([inf, inf, nan, nan, 1.0 + 1e-6, 1e-9, 1.00001e10], dt)
    return [S(a, b), S(a, b, equal_nan=True), S(a, b, rtol=0, atol=0)]


def _int_close(rng, dt):
    return [
        S(np.array([100, 5, 0], dt), np.array([101, 6, 0], dt), rtol=0.01, atol=0),
        S(rnd(rng, (3, 4), dt), rnd(rng, (3, 4), dt)),
    ]


def _equal(rng, dt):
    a = rnd(rng, (3, 4), dt)
    b = a.copy()
    c = a.copy()
    c.reshape(-1)[3] = ~c.reshape(-1)[3] if c.dtype == np.bool_ else c.reshape(-1)[3] + 1
    return [
        S(a, b),
        S(a, c),
        S(a, a[:2]),
        S(a, a[:1].copy()),
        S(rnd(rng, (), dt), rnd(rng, (), dt)),
        S(rnd(rng, (0, 3), dt), rnd(rng, (0, 3), dt)),
        S(np.array([1, 2], np.int64), np.array([1.0, 2.0], np.float32)),
        S(np.array([np.nan], np.float32), np.array([np.nan], np.float32)),
    ]


# -- integer ops ------------------------------------------------------------------------------


def _nonzero_int(rng, dt, inplace=False):
    """Integer operands with nonzero divisors, including negative values."""
    out = []
    for a, b in BINARY_SHAPES:
        if inplace and np.broadcast_shapes(a, b) != a:
            continue
        y = rnd(rng, b, dt, 0.2, 1.0)
        if np.dtype(dt).kind == "i":
            y = y * np.where(rng.random(b) > 0.5, 1, -1).astype(dt)
        else:
            y = y + np.ones((), dt)
        out.append(S(rnd(rng, a, dt, -2, 2), y))
    out += [S(rnd(rng, (3, 4), dt), 3), S(rnd(rng, (3, 4), dt), -3 if np.dtype(dt).kind == "i" else 7)]
    return out


def _divmod_float(rng, dt):
    return binary_samples(other_low=0.5, other_high=2.0, scalars=(2.5, -1.5))(rng, dt)


def _divmod_edge(rng, dt):
    """Signs and exact multiples (discontinuities of the derivative: forward only)."""
    return [
        S(
            np.array([-3.0, 3.0, -3.5, 4.0, 0.3, -2.0, 0.0, 5.0], dt),
            np.array([2.0, -2.0, 1.5, -1.5, 0.1, 1.0, -1.0, 0], dt),
        ),
        S(np.array([-2.0, 2.0, -0.0], dt), 1.0),
    ]


def _divmod_mixed(rng, dt):
    return [
        S(rnd(rng, (3,), "int64"), 2.5),
        S(rnd(rng, (3,), "int64"), 0.0),
        S(rnd(rng, (3,), "float32"), np.array([0.0, 1.0, 0.0], np.float32)),
        S(rnd(rng, (3,), "int64"), rnd(rng, (3,), "float32", 0.5, 2)),
        S(rnd(rng, (3,), "uint8"), np.array([2, 3, 4], np.uint8)),
    ]


def _rdivmod(rng, dt):
    return [S(rnd(rng, (3, 4), dt, 0.5, 2.0), 7), S(rnd(rng, (3,), dt, -2.0, -0.5), 5)]


def _bitwise(scalars=(3, -1)):
    def gen(rng, dt):
        kind = np.dtype(dt).kind
        out = [S(rnd(rng, a, dt), rnd(rng, b, dt)) for a, b in BINARY_SHAPES]
        if kind == "b":
            out += [S(rnd(rng, (3, 4), dt), True), S(rnd(rng, (3, 4), dt), 1)]
        else:
            out += [S(rnd(rng, (3, 4), dt), s) for s in scalars if kind == "i" or s >= 0]
        return out

    return gen


def _bitwise_mixed(rng, dt):
    return [
        S(rnd(rng, (3,), "int64"), rnd(rng, (3,), "bool")),
        S(rnd(rng, (3,), "uint8"), rnd(rng, (3,), "int8")),
        S(rnd(rng, (3,), "int32"), rnd(rng, (), "int64")),
        S(3, rnd(rng, (3,), "int64")),
    ]


def _shifts(rng, dt):
    kind = np.dtype(dt).kind
    bits = np.dtype(dt).itemsize * 8
    x = rnd(rng, (6,), dt, -4, 4)
    s = np.array([0, 1, 3, bits - 1, bits, bits + 5], dt)
    out = [S(x, s), S(rnd(rng, (3, 4), dt), rnd(rng, (4,), dt, 0, 0.6)), S(rnd(rng, (3, 4), dt), 2)]
    out += [S(rnd(rng, (), dt), rnd(rng, (), dt, 0, 0.6)), S(rnd(rng, (0, 4), dt), rnd(rng, (4,), dt, 0, 0.6))]
    if kind == "i":
        out.append(S(np.array([5, -5, -1, 7], dt), np.array([-1, -2, 100 % bits + bits, 1], dt)))
    return out


def _shift_mixed(rng, dt):
    return [
        S(rnd(rng, (3,), "bool"), 1),
        S(2, rnd(rng, (3,), "int64", 0, 0.6)),
        S(np.array([255, 128, 7], np.uint8), np.array([7, 8, 9], np.uint8)),
        S(np.array([1, -1], np.int64), np.array([64, 63], np.int64)),
        S(rnd(rng, (3,), "int32"), 40),
    ]


def _logical(rng, dt):
    out = [S(rnd(rng, a, dt, -1, 1), rnd(rng, b, dt, -1, 1)) for a, b in BINARY_SHAPES]
    out.append(S(rnd(rng, (3,), dt, -1, 1), rnd(rng, (3,), "bool")))
    out.append(S(rnd(rng, (3,), dt, -1, 1), rnd(rng, (3,), "int64", -1, 1)))
    return out


def _unary_int(rng, dt):
    return [S(rnd(rng, sh, dt, -1, 1)) for sh in ((), (5,), (3, 4), (0, 3))]


def _ldexp_int(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), NoGrad(rnd(rng, (3, 4), "int64", -1, 1))),
        S(rnd(rng, (3, 4), dt), NoGrad(rnd(rng, (4,), "int32", -1, 1))),
        S(rnd(rng, (), dt), NoGrad(np.array(3, np.int64))),
    ]


def _ldexp(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), rnd(rng, (4,), dt)),
        S(rnd(rng, (2, 1), dt), rnd(rng, (3,), dt)),
        S(rnd(rng, (0, 3), dt), rnd(rng, (3,), dt)),
    ]


def _ldexp_mixed(rng, dt):
    return [
        S(rnd(rng, (3,), "int64"), rnd(rng, (3,), "int64", -1, 1)),
        S(rnd(rng, (3,), "float16"), rnd(rng, (3,), "int64", -1, 1)),
        S(rnd(rng, (3,), "bool"), rnd(rng, (3,), "bool")),
    ]


def _xlogy(rng, dt):
    out = binary_samples(other_low=0.5, other_high=3.0, scalars=(2.5, 3))(rng, dt)
    out.append(S(2.5, rnd(rng, (3, 4), dt, 0.5, 3.0)))
    return out


def _xlogy_edge(rng, dt):
    return [S(np.array([0.0, 0.0, 1.5, 2.0, 0.0], dt), np.array([np.nan, 0.5, 0.0, 2.0, 0.0], dt))]


def _xlogy_fwd(rng, dt):
    return [
        S(rnd(rng, (3,), "int64"), rnd(rng, (3,), "int64")),
        S(2, rnd(rng, (3,), "int64")),
        S(rnd(rng, (3,), "bool"), rnd(rng, (3,), "bool")),
        S(rnd(rng, (3,), "float32"), 0),
        S(0, rnd(rng, (3,), "float32")),
    ]


def _copysign(rng, dt):
    return binary_samples(scalars=(-1.0, 2, -0.0))(rng, dt)


def _nextafter_edge(rng, dt):
    x = rnd(rng, (4,), dt)
    return [S(x, x.copy()), S(np.array([0.0, 1.0, -1.0, 1e-30], dt), np.array([1.0, np.inf, -np.inf, 0.0], dt))]


def _minmax_ties(rng, dt):
    a = rnd(rng, (3, 4), dt)
    b = a.copy()
    b[0] = rnd(rng, (4,), dt)
    return [S(a, b), S(rnd(rng, (5,), dt, -1, 1).round(), rnd(rng, (5,), dt, -1, 1).round())]


def _minmax_nan(rng, dt):
    return [S(np.array([np.nan, 1.0, np.nan, 2.0], dt), np.array([1.0, np.nan, np.nan, -1.0], dt))]


def _float_power(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt, 0.5, 2), 2),
        S(rnd(rng, (3, 4), dt, 0.5, 2), -1.5),
        S(rnd(rng, (3, 4), dt, 0.5, 2), rnd(rng, (4,), dt)),
        S(2.5, rnd(rng, (3, 4), dt)),
        S(rnd(rng, (), dt, 0.5, 2), rnd(rng, (), dt)),
    ]


def _float_power_int(rng, dt):
    return [S(rnd(rng, (3, 4), dt, 0, 1), 2), S(rnd(rng, (3,), dt, 0.2, 1), -1), S(2, rnd(rng, (3,), dt, 0, 1))]


_IP = dict(inplace=True, gradcheck=False)  # in-place: gradcheck re-runs the op on perturbed leaves


OPS = [
    # pow
    OpInfo("pow", binary_samples(0.5, 2.0, scalars=(2, 2.5, -1.5, 0.5))),
    OpInfo("pow", _pow_tensor_scalar),
    OpInfo("pow", _pow_int, dtypes=("int64", "uint8"), grad=False),
    OpInfo("pow", _pow_int_negative, dtypes=("int64", "int32", "int8"), grad=False),
    OpInfo("pow", _pow_mixed, dtypes=("float32",), grad=False),
    OpInfo("pow", _pow_scalar_base),
    # the derivative at 0 ** e and x ** 0 follows torch's conventions, not central differences
    OpInfo("pow", _pow_zero_base, gradcheck=False),
    OpInfo("Tensor.pow", _pow_tensor_scalar, dtypes=("float64",)),
    OpInfo("Tensor.__pow__", binary_samples(0.5, 2.0, scalars=(2, -0.5))),
    OpInfo("Tensor.__rpow__", lambda rng, dt: [S(rnd(rng, (3, 4), dt), 2), S(rnd(rng, (3,), dt), 0.5)]),
    OpInfo("Tensor.__rpow__", lambda rng, dt: [S(rnd(rng, (3,), dt, 0, 0.6), 2)], dtypes=("int64",), grad=False),
    OpInfo("Tensor.pow_", binary_samples(0.5, 2.0, scalars=(2, -1.5), inplace=True), **_IP),
    OpInfo("Tensor.__ipow__", binary_samples(0.5, 2.0, scalars=(3,), inplace=True), **_IP),
    OpInfo("float_power", _float_power),
    OpInfo("float_power", _float_power_int, dtypes=("int64",), grad=False),
    OpInfo("Tensor.float_power_", binary_samples(0.5, 2.0, scalars=(2,), inplace=True), dtypes=("float64",), **_IP),
    # atan2
    OpInfo("atan2", _pairs(), aliases=("arctan2",)),
    OpInfo("atan2", _pairs(), dtypes=("int64", "bool"), grad=False),
    OpInfo("atan2", _mixed_float, dtypes=("float32",), grad=False),
    OpInfo("Tensor.atan2_", _pairs(inplace=True), **_IP),
    OpInfo("Tensor.arctan2_", _pairs(inplace=True), **_IP),
    OpInfo("Tensor.arctan2", _pairs(), dtypes=("float64",)),
    # lerp
    OpInfo("lerp", _lerp, dtypes=FLOATS + ("float16",)),
    OpInfo("lerp", _lerp_tensor_weight, dtypes=FLOATS + ("float16",)),
    OpInfo("Tensor.lerp_", _lerp_inplace, **_IP),
    # addcmul / addcdiv
    OpInfo("addcmul", _addc(value=0.5)),
    OpInfo("addcmul", _addc()),
    OpInfo("addcmul", _addcmul_int, dtypes=("int64", "int32"), grad=False),
    OpInfo("addcmul", _addc_mixed, dtypes=("float32",), grad=False),
    OpInfo("Tensor.addcmul_", _addc(inplace=True, value=-2), **_IP),
    OpInfo("addcdiv", _addc(0.5, 2.0, value=0.5)),
    OpInfo("addcdiv", _addc(0.5, 2.0)),
    OpInfo("addcdiv", _addc_mixed, dtypes=("float32",), grad=False),
    OpInfo("Tensor.addcdiv_", _addc(0.5, 2.0, inplace=True, value=3), **_IP),
    # hypot
    OpInfo("hypot", _pairs(0.2, 2.0)),
    OpInfo("Tensor.hypot_", _pairs(0.2, 2.0, inplace=True), **_IP),
    # maximum / minimum / fmax / fmin
    OpInfo("maximum", _pairs()),
    OpInfo("maximum", _pairs(), dtypes=("int64", "uint8", "bool", "float16"), grad=False),
    OpInfo("maximum", _minmax_ties),
    OpInfo("maximum", _minmax_nan, gradcheck=False),  # NaN values
    OpInfo("maximum", _mixed_float, dtypes=("float32",), grad=False),
    OpInfo("minimum", _pairs()),
    OpInfo("minimum", _pairs(), dtypes=("int64", "bool"), grad=False),
    OpInfo("minimum", _minmax_ties),
    OpInfo("minimum", _minmax_nan, gradcheck=False),  # NaN values
    OpInfo("Tensor.maximum", _pairs(), dtypes=("float64",)),
    OpInfo("fmax", _pairs()),
    OpInfo("fmax", _pairs(), dtypes=("int64", "bool"), grad=False),
    OpInfo("fmax", _minmax_nan, gradcheck=False),  # NaN values
    OpInfo("fmin", _pairs()),
    OpInfo("fmin", _minmax_nan, gradcheck=False),  # NaN values
    OpInfo("fmin", _pairs(), dtypes=("int64",), grad=False),
    # fmod / remainder / floor_divide
    OpInfo("fmod", _divmod_float),
    OpInfo("fmod", _divmod_edge, grad=False),
    OpInfo("fmod", _nonzero_int, dtypes=("int64", "int32", "uint8"), grad=False),
    OpInfo("fmod", _divmod_mixed, dtypes=("float32",), grad=False),
    OpInfo("Tensor.fmod_", binary_samples(other_low=0.5, other_high=2.0, scalars=(1.5,), inplace=True), **_IP),
    OpInfo("remainder", _divmod_float),
    OpInfo("remainder", _divmod_edge, grad=False),
    OpInfo("remainder", _nonzero_int, dtypes=("int64", "int32", "uint8"), grad=False),
    OpInfo("remainder", _divmod_mixed, dtypes=("float32",), grad=False),
    # scalar % tensor: torch has no derivative (grad_fn NotImplemented)
    OpInfo(
        "remainder",
        lambda rng, dt: [S(5, rnd(rng, (3,), dt, 0.5, 2)), S(-2.5, rnd(rng, (3,), dt, -2, -0.5))],
        grad=False,
    ),
    OpInfo("Tensor.remainder_", binary_samples(other_low=0.5, other_high=2.0, scalars=(1.5,), inplace=True), **_IP),
    OpInfo("Tensor.__mod__", _divmod_float, dtypes=FLOATS + ("int64",), grad=False),
    OpInfo("Tensor.__rmod__", _rdivmod, dtypes=FLOATS + ("int64",), grad=False),
    OpInfo("Tensor.__imod__", binary_samples(other_low=0.5, other_high=2.0, scalars=(1.5,), inplace=True), **_IP),
    # floor_divide is not differentiable in torch (grad_fn NotImplemented)
    OpInfo("floor_divide", _divmod_float, dtypes=FLOATS, grad=False),
    OpInfo("floor_divide", _divmod_edge, dtypes=FLOATS, grad=False),
    OpInfo("floor_divide", _nonzero_int, dtypes=("int64", "int32", "uint8"), grad=False),
    OpInfo("floor_divide", _divmod_mixed, dtypes=("float32",), grad=False),
    OpInfo("Tensor.__floordiv__", _nonzero_int, dtypes=("int64",), grad=False),
    OpInfo("Tensor.__rfloordiv__", _rdivmod, dtypes=FLOATS + ("int64",), grad=False),
    OpInfo(
        "Tensor.floor_divide_", lambda rng, dt: _nonzero_int(rng, dt, True), dtypes=("int64",), grad=False, inplace=True
    ),
    OpInfo(
        "Tensor.__ifloordiv__", binary_samples(other_low=0.5, other_high=2.0, inplace=True), grad=False, inplace=True
    ),
    # xlogy
    OpInfo("xlogy", _xlogy),
    OpInfo("xlogy", _xlogy_edge, gradcheck=False),  # NaN and log(0) values
    OpInfo("xlogy", _xlogy_fwd, dtypes=("float32",), grad=False),
    OpInfo("Tensor.xlogy_", binary_samples(other_low=0.5, other_high=3.0, scalars=(2.5,), inplace=True), **_IP),
    # logaddexp
    OpInfo("logaddexp", _pairs(-3, 3)),
    OpInfo(
        "logaddexp",
        lambda rng, dt: [S(np.array([np.inf, -np.inf, 1e30, 0], dt), np.array([np.inf, -np.inf, 1, 0], dt))],
        gradcheck=False,  # infinite values
    ),
    OpInfo("logaddexp2", _pairs(-3, 3)),
    # copysign / nextafter / ldexp
    OpInfo("copysign", _copysign),
    OpInfo("copysign", _mixed_float, dtypes=("float32",), grad=False),
    OpInfo("Tensor.copysign_", binary_samples(scalars=(-1.0,), inplace=True), **_IP),
    OpInfo("nextafter", _pairs(), dtypes=FLOATS + ("float16",)),
    # ties (self == other: torch's gradient is 0) and infinities are not smooth points
    OpInfo("nextafter", _nextafter_edge, gradcheck=False),
    OpInfo("Tensor.nextafter_", _pairs(inplace=True), **_IP),
    OpInfo("ldexp", _ldexp),
    # torch's derivative uses the integer pow(2, other), which is 0 for negative other: not central differences
    OpInfo("ldexp", _ldexp_int, gradcheck=False),
    OpInfo("ldexp", _ldexp_mixed, dtypes=("float32",), grad=False),
    OpInfo("Tensor.ldexp_", lambda rng, dt: [S(rnd(rng, (3, 4), dt), NoGrad(rnd(rng, (4,), "int64", -1, 1)))], **_IP),
    # logical
    OpInfo("logical_and", _logical, dtypes=("float32", "int64", "bool"), grad=False),
    OpInfo("logical_or", _logical, dtypes=("float32", "int64", "bool"), grad=False),
    OpInfo("logical_xor", _logical, dtypes=("float32", "int64", "bool"), grad=False),
    OpInfo("logical_not", _unary_int, dtypes=("float32", "int64", "bool"), grad=False),
    OpInfo("Tensor.logical_and_", _pairs(-1, 1, inplace=True), dtypes=("float32", "bool"), grad=False, inplace=True),
    OpInfo("Tensor.logical_or_", _pairs(-1, 1, inplace=True), dtypes=("int64", "bool"), grad=False, inplace=True),
    OpInfo("Tensor.logical_xor_", _pairs(-1, 1, inplace=True), dtypes=("float32",), grad=False, inplace=True),
    OpInfo("Tensor.logical_not_", _unary_int, dtypes=("float32", "int64", "bool"), grad=False, inplace=True),
    # bitwise
    OpInfo("bitwise_and", _bitwise(), dtypes=INTS + ("bool",), grad=False),
    OpInfo("bitwise_or", _bitwise(), dtypes=INTS + ("bool",), grad=False),
    OpInfo("bitwise_xor", _bitwise(), dtypes=INTS + ("bool",), grad=False),
    OpInfo("bitwise_and", _bitwise_mixed, dtypes=("int64",), grad=False),
    OpInfo("bitwise_not", _unary_int, dtypes=INTS + ("bool", "int8"), grad=False),
    OpInfo("bitwise_left_shift", _shifts, dtypes=INTS + ("int8", "int16"), grad=False),
    OpInfo("bitwise_right_shift", _shifts, dtypes=INTS + ("int8", "int16"), grad=False),
    OpInfo("bitwise_left_shift", _shift_mixed, dtypes=("int64",), grad=False),
    OpInfo("bitwise_right_shift", _shift_mixed, dtypes=("int64",), grad=False),
    OpInfo("Tensor.bitwise_and_", _pairs(inplace=True), dtypes=("int64", "bool"), grad=False, inplace=True),
    OpInfo("Tensor.bitwise_or_", _pairs(inplace=True), dtypes=("int32",), grad=False, inplace=True),
    OpInfo("Tensor.bitwise_xor_", _pairs(inplace=True), dtypes=("uint8",), grad=False, inplace=True),
    OpInfo("Tensor.bitwise_not_", _unary_int, dtypes=("int64", "bool"), grad=False, inplace=True),
    OpInfo("Tensor.bitwise_left_shift_", _pairs(0, 0.6, inplace=True), dtypes=("int64",), grad=False, inplace=True),
    OpInfo("Tensor.bitwise_right_shift_", _pairs(0, 0.6, inplace=True), dtypes=("int64",), grad=False, inplace=True),
]

for _d in ("and", "or", "xor"):
    OPS += [
        OpInfo(f"Tensor.__{_d}__", _bitwise(), dtypes=("int64", "bool"), grad=False),
        OpInfo(f"Tensor.__r{_d}__", lambda rng, dt: [S(rnd(rng, (3, 4), dt), 6)], dtypes=("int64",), grad=False),
        OpInfo(f"Tensor.__i{_d}__", _pairs(inplace=True), dtypes=("int64", "bool"), grad=False, inplace=True),
    ]
for _d in ("lshift", "rshift"):
    OPS += [
        OpInfo(f"Tensor.__{_d}__", _shifts, dtypes=("int64", "uint8"), grad=False),
        OpInfo(
            f"Tensor.__r{_d}__", lambda rng, dt: [S(rnd(rng, (4,), dt, 0, 0.6), 100)], dtypes=("int64",), grad=False
        ),
        OpInfo(f"Tensor.__i{_d}__", _pairs(0, 0.6, inplace=True), dtypes=("int64",), grad=False, inplace=True),
    ]

OPS += [
    OpInfo("Tensor.__invert__", _unary_int, dtypes=("int64", "uint8", "bool"), grad=False),
    # comparisons returning tensors or Python bools
    OpInfo("isclose", _close, dtypes=FLOATS + ("float16",), grad=False),
    OpInfo("isclose", _close_inf, grad=False),
    OpInfo("isclose", _int_close, dtypes=("int64", "uint8"), grad=False),
    OpInfo("isclose", _close, dtypes=("bool",), grad=False),
    OpInfo("Tensor.isclose", _close, dtypes=("float32",), grad=False),
    OpInfo("allclose", _close, dtypes=FLOATS + ("int64",), grad=False),
    OpInfo("allclose", _close_inf, grad=False),
    OpInfo("Tensor.allclose", _close, dtypes=("float64",), grad=False),
    OpInfo("equal", _equal, dtypes=FLOATS + ("int64", "bool"), grad=False),
    OpInfo("Tensor.equal", _equal, dtypes=("float32",), grad=False),
    # where
    OpInfo("where", _where),
    OpInfo("where", _where, dtypes=("int64", "bool", "float16"), grad=False),
    OpInfo("where", _where_scalars, dtypes=("float32",), grad=False),
    OpInfo("where", _where_1arg, dtypes=("float32", "int64", "bool"), grad=False),
    OpInfo("Tensor.where", _tensor_where),
]

ERRORS = [
    ErrorInput("pow", S(np.ones(3, np.int64), -1)),
    ErrorInput("pow", S(np.array(2, np.int64), -2)),
    ErrorInput("pow", S(np.ones(3, np.bool_), np.ones(3, np.bool_))),
    ErrorInput("pow", S(_f(2, 3), _f(4))),
    ErrorInput("pow", S(2, [1, 2])),
    ErrorInput("pow_", S(np.ones(3, np.int64), 2.5), method=True),
    ErrorInput("pow_", S(_f(3), _f(2, 3)), method=True),
    ErrorInput("__ipow__", S(np.ones(3, np.int64), -1), method=True),
    ErrorInput("float_power_", S(_f(3), 2), method=True),
    ErrorInput("atan2", S(_f(3), 2.0)),
    ErrorInput("atan2", S(_f(3), _f(4))),
    ErrorInput("atan2_", S(np.ones(3, np.int64), np.ones(3, np.int64)), method=True),
    ErrorInput("lerp", S(_f(3), np.ones(3), 0.5)),
    ErrorInput("lerp", S(np.ones(3, np.int64), np.ones(3, np.int64), 0.5)),
    ErrorInput("lerp", S(_f(3), _f(3), np.ones(3))),
    ErrorInput("lerp", S(_f(3), _f(2), 0.5)),
    ErrorInput("lerp_", S(_f(3), _f(2, 3), 0.5), method=True),
    ErrorInput("addcmul", S(_f(3), _f(3), 2.0)),
    ErrorInput("addcmul", S(_f(3), _f(2), _f(3))),
    ErrorInput("addcmul", S(np.ones(3, np.bool_), np.ones(3, np.bool_), np.ones(3, np.bool_))),
    ErrorInput("addcmul_", S(_f(3), _f(2, 1), _f(3)), method=True),
    ErrorInput("addcmul_", S(np.ones(3, np.int64), _f(3), _f(3)), method=True),
    ErrorInput("addcdiv", S(_f(3), np.ones(3, np.int64), np.ones(3, np.int64))),
    ErrorInput("hypot", S(np.ones(3, np.int64), np.ones(3, np.int64))),
    ErrorInput("hypot", S(_f(3), 2)),
    ErrorInput("maximum", S(_f(3), 2.0)),
    ErrorInput("maximum", S(_f(3), _f(2))),
    ErrorInput("minimum", S(2.0, _f(3))),
    ErrorInput("fmax", S(_f(3), 1)),
    ErrorInput("fmod", S(np.ones(3, np.int64), 0)),
    ErrorInput("fmod", S(np.ones(3, np.int64), np.array([1, 0, 1], np.int64))),
    ErrorInput("fmod", S(np.ones(3, np.bool_), np.ones(3, np.bool_))),
    ErrorInput("fmod", S(2, _f(3))),
    ErrorInput("remainder", S(np.ones(3, np.int64), 0)),
    ErrorInput("remainder", S(2, np.array([1, 0], np.int64))),
    ErrorInput("remainder", S(np.ones(3, np.bool_), np.ones(3, np.bool_))),
    ErrorInput("__imod__", S(np.ones(3, np.int64), 1.5), method=True),
    ErrorInput("floor_divide", S(np.ones(3, np.int64), 0)),
    ErrorInput("floor_divide", S(np.ones(3, np.bool_), np.ones(3, np.bool_))),
    ErrorInput("floor_divide", S(_f(3), _f(2))),
    ErrorInput("floor_divide_", S(np.ones(3, np.int64), np.array([1, 0, 2], np.int64)), method=True),
    ErrorInput("xlogy", S(2, 3)),
    ErrorInput("xlogy_", S(np.ones(3, np.int64), np.ones(3, np.int64)), method=True),
    ErrorInput("logaddexp", S(np.ones(3, np.int64), np.ones(3, np.int64))),
    ErrorInput("logaddexp", S(_f(3), 1.0)),
    ErrorInput("logaddexp2", S(np.ones(3, np.bool_), np.ones(3, np.bool_))),
    ErrorInput("copysign", S(_f(3), _f(2))),
    ErrorInput("nextafter", S(np.ones(3, np.int64), np.ones(3, np.int64))),
    ErrorInput("nextafter", S(_f(3), 1.0)),
    ErrorInput("ldexp", S(_f(3), 2)),
    ErrorInput("ldexp_", S(np.ones(3, np.int64), np.ones(3, np.int64)), method=True),
    ErrorInput("logical_and", S(_f(3), 1)),
    ErrorInput("logical_or", S(_f(3), _f(2))),
    ErrorInput("bitwise_and", S(_f(3), _f(3))),
    ErrorInput("bitwise_or", S(np.ones(3, np.int64), 2.5)),
    ErrorInput("bitwise_xor", S(np.ones(3, np.int64), np.ones(2, np.int64))),
    ErrorInput("bitwise_not", S(_f(3))),
    ErrorInput("bitwise_left_shift", S(np.ones(3, np.bool_), np.ones(3, np.bool_))),
    ErrorInput("bitwise_right_shift", S(_f(3), 1)),
    ErrorInput("__invert__", S(_f(3)), method=True),
    ErrorInput("__iand__", S(np.ones(3, np.bool_), np.ones(3, np.int64)), method=True),
    ErrorInput("__ilshift__", S(np.ones(3, np.int64), 1.5), method=True),
    ErrorInput("bitwise_and_", S(_f(3), np.ones(3, np.int64)), method=True),
    ErrorInput("isclose", S(_f(3), np.ones(3))),
    ErrorInput("isclose", S(_f(3), 1.0)),
    ErrorInput("isclose", S(_f(3), _f(3), rtol=-1.0)),
    ErrorInput("isclose", S(_f(3), _f(3), atol=-1.0)),
    ErrorInput("allclose", S(_f(3), _f(2))),
    ErrorInput("equal", S(_f(3), 1.0)),
    ErrorInput("where", S(_f(3), _f(3), _f(3))),
    ErrorInput("where", S(np.ones(2, np.bool_), _f(3), _f(3))),
    ErrorInput("where", S(np.ones(3, np.bool_), "a", _f(3))),
    ErrorInput("where", S(np.ones(3, np.bool_), _f(3))),
]
