import numpy as np

from op_db import ErrorInput, NoGrad, OpInfo, S
from opdb._util import rnd

FLOATS = ("float32", "float64")
INTS = ("int64", "int32")


def _reduce(**kw):
    """dim as None, int, tuple or list, with keepdim; 0-dim and empty inputs."""

    def gen(rng, dt):
        out = [S(rnd(rng, (), dt), **kw), S(rnd(rng, (5,), dt), **kw), S(rnd(rng, (3, 4), dt), **kw)]
        for dim in (0, -1, (0, 1), [1, 2]):
            for keepdim in (False, True):
                out.append(S(rnd(rng, (2, 3, 4), dt), dim, keepdim, **kw))
        out.append(S(rnd(rng, (0, 3), dt), 1, **kw))
        return out

    return gen


def _reduce_kw(**kw):
    """The same reductions with dim/keepdim passed by keyword (ops whose other positionals differ)."""

    def gen(rng, dt):
        out = [S(rnd(rng, (), dt), **kw), S(rnd(rng, (5,), dt), **kw), S(rnd(rng, (3, 4), dt), **kw)]
        for dim in (0, -1, (0, 1), [1, 2]):
            for keepdim in (False, True):
                out.append(S(rnd(rng, (2, 3, 4), dt), dim=dim, keepdim=keepdim, **kw))
        out.append(S(rnd(rng, (0, 3), dt), dim=1, **kw))
        out.append(S(rnd(rng, (), dt), dim=0, keepdim=True, **kw))
        return out

    return gen


def _dim_reduce(rng, dt):
    """A required dim (int or tuple), with keepdim; 0-dim and empty inputs."""
    out = [S(rnd(rng, (), dt), 0), S(rnd(rng, (5,), dt), 0), S(rnd(rng, (3, 4), dt), (0, 1))]
    for dim in (0, -1, (0, 2), [1, 2]):
        for keepdim in (False, True):
            out.append(S(rnd(rng, (2, 3, 4), dt), dim, keepdim))
    out += [S(rnd(rng, (0, 3), dt), 1), S(rnd(rng, (0, 3), dt), 0)]
    return out


def _int_dim(nodim=True, empty=True):
    """No dim (optional), then one int dim with keepdim; 0-dim input; an empty input."""

    def gen(rng, dt):
        out = [S(rnd(rng, (), dt)), S(rnd(rng, (5,), dt)), S(rnd(rng, (3, 4), dt))] if nodim else []
        for dim in (0, 1, -1):
            for keepdim in (False, True):
                out.append(S(rnd(rng, (2, 3, 4), dt), dim, keepdim))
        out += [S(rnd(rng, (), dt), 0), S(rnd(rng, (), dt), -1, True), S(rnd(rng, (7,), dt), 0)]
        if empty:
            out.append(S(rnd(rng, (0, 3), dt), 1))
        return out

    return gen


def _with_dtype(rng, dt):
    return [S(rnd(rng, (3, 4), dt), 1, dtype="dtype:float64"), S(rnd(rng, (3, 4), dt), dtype="dtype:float64")]


def _prod_zeros(rng, dt):
    one = rnd(rng, (3, 4), dt)
    one[1, 2] = 0
    two = rnd(rng, (3, 4), dt)
    two[0, 1] = two[0, 3] = 0
    two[2, 0] = 0
    return [S(one), S(two), S(one, 1), S(two, 1), S(two, 0, True), S(np.zeros((), dt), 0)]


def _ties(rng, dt):
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], dtype=dt)
    return [S(a), S(np.array([2.0, 2.0, 2.0], dtype=dt))]


def _ties_dims(rng, dt):
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], dtype=dt)
    return [S(a), S(a, 1), S(a, (0, 1), True), S(a, 0)]


def _nans(rng, dt):
    a = rnd(rng, (3, 4), dt)
    a[0, 1] = a[2, 3] = a[2, 0] = np.nan
    b = rnd(rng, (2, 5), dt)
    b[1, :] = np.nan
    return [S(a), S(a, 1), S(a, 0, True), S(a, (0, 1)), S(b, 1)]


def _nans_int_dim(rng, dt):
    a = rnd(rng, (3, 5), dt)
    a[0, 1] = a[2, 3] = a[2, 0] = np.nan
    return [S(a), S(a, 1), S(a, 0, True)]


def _var(rng, dt):
    x = rnd(rng, (2, 3, 4), dt)
    return [
        S(rnd(rng, (3, 4), dt), 1, True, True),
        S(rnd(rng, (3, 4), dt), False),
        S(x, (0, 2), correction=0),
        S(x, dim=1, correction=2, keepdim=True),
        S(x, [0, 1], unbiased=False),
        S(x, 1, correction=1.5),
        S(rnd(rng, (5,), dt), correction=0),
        S(rnd(rng, (1,), dt)),
        S(rnd(rng, (0, 3), dt), 0),
    ]


def _norm(rng, dt):
    x = rnd(rng, (3, 4), dt)
    y = rnd(rng, (2, 3, 4), dt)
    return [
        S(x),
        S(rnd(rng, (), dt)),
        S(x, 3),
        S(x, 0.5),
        S(x, 1.5, 1),
        S(x, "fro", 1, True),
        S(y, "fro", (0, 2)),
        S(y, 2, (0, 1, 2)),
        S(y, p=3, dim=[2], keepdim=True),
        S(rnd(rng, (0, 3), dt)),
        S(x, dtype="dtype:float64"),
    ]


def _norm_piecewise(rng, dt):
    x = rnd(rng, (3, 4), dt)
    z = np.zeros((2, 3), dt)  # zero norm: torch's second-order gradient is NaN there
    return [
        S(x, 0),
        S(x, 0, 1),
        S(x, 1),
        S(x, 1, 0, True),
        S(x, float("inf")),
        S(x, float("-inf"), 0, True),
        S(z, 2, 1),
        S(z, 3),
        S(z),
    ]


def _maxmin_binary(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), rnd(rng, (3, 4), dt)),
        S(rnd(rng, (3, 4), dt), rnd(rng, (4,), dt)),
        S(np.array([1.0, 2.0, 3.0], dt), np.array([1.0, 3.0, 2.0], dt)),
    ]


def _aminmax(rng, dt):
    x = rnd(rng, (2, 3, 4), dt)
    return [
        S(rnd(rng, (), dt)),
        S(rnd(rng, (3, 4), dt)),
        S(x, dim=1),
        S(x, dim=-1, keepdim=True),
        S(x, keepdim=True),
        S(rnd(rng, (), dt), dim=0),
        S(rnd(rng, (0, 3), dt), dim=1),
    ]


def _arg(rng, dt):
    return [
        S(rnd(rng, (), dt)),
        S(rnd(rng, (3, 4), dt)),
        S(rnd(rng, (3, 4), dt), keepdim=True),
        S(rnd(rng, (2, 3, 4), dt), 1),
        S(rnd(rng, (2, 3, 4), dt), -1, True),
        S(rnd(rng, (), dt), 0),
        S(rnd(rng, (0, 3), dt), 1),
    ]


def _median_all(rng, dt):
    return [
        S(rnd(rng, (), dt)),
        S(rnd(rng, (5,), dt)),
        S(rnd(rng, (3, 4), dt)),
        S(rnd(rng, (2, 3), dt)),
    ]


def _median_ints(rng, dt):
    return [S(np.array([[3, 1, 1, 2, 3, 0], [5, 5, 4, 4, 4, 5]], dt), 1), S(rnd(rng, (3, 4), dt))]


def _mode(rng, dt):
    x = rnd(rng, (2, 3, 4), dt)
    return [
        S(rnd(rng, (), dt)),
        S(rnd(rng, (5,), dt)),
        S(x),
        S(x, 0),
        S(x, 1, True),
        S(rnd(rng, (), dt), 0),
        S(rnd(rng, (0, 3), dt)),
    ]


def _mode_ties(rng, dt):
    return [
        S(np.array([[3, 1, 1, 2, 3, 0], [5, 5, 4, 4, 4, 5]], dt)),
        S(np.array([[3, 1, 1, 2, 3, 0], [5, 5, 4, 4, 4, 5]], dt), 0),
        S(rng.integers(0, 3, (4, 7)).astype(dt), 1, True),
    ]


def _cum(rng, dt):
    return [
        S(rnd(rng, (), dt), 0),
        S(rnd(rng, (5,), dt), 0),
        S(rnd(rng, (3, 4), dt), 1),
        S(rnd(rng, (2, 3, 4), dt), 0),
        S(rnd(rng, (2, 3, 4), dt), -2),
        S(rnd(rng, (0, 3), dt), 1),
        S(rnd(rng, (0, 3), dt), 0),
    ]


def _cum_dtype(rng, dt):
    return [S(rnd(rng, (3, 4), dt), 1, dtype="dtype:float64")]


def _cum_zeros(rng, dt):
    a = rnd(rng, (3, 5), dt)
    a[0, 2] = 0
    a[1, 1] = a[1, 3] = 0
    a[2, 0] = 0
    return [S(a, 1), S(a, 0), S(np.zeros((1,), dt), 0)]


def _cumext_ties(rng, dt):
    return [
        S(np.array([1.0, 1.0, np.nan, 2.0, np.nan, 3.0], dt), 0),
        S(np.array([[3, 1, 1, 2, 0, 0], [1, 2, 2, 5, 4, 5]], dt), 1),
    ]


def _inplace_cum(rng, dt):
    return [S(rnd(rng, (3, 4), dt), 1), S(rnd(rng, (2, 3), dt), 0), S(rnd(rng, (), dt), 0)]


def _logical(rng, dt):
    x = rnd(rng, (2, 3, 4), dt)
    if dt.kind == "f":
        x[0, 1] = 0
    return [
        S(rnd(rng, (), dt)),
        S(x),
        S(x, 1),
        S(x, -1, True),
        S(x, (0, 2)),
        S(x, dim=[1, 2], keepdim=True),
        S(np.zeros((0, 3), dt)),
        S(np.zeros((0, 3), dt), 1),
        S(np.zeros((0, 3), dt), 0),
    ]


def _count(rng, dt):
    x = rnd(rng, (2, 3, 4), dt)
    if dt.kind == "f":
        x[0, 1] = 0
    return [S(rnd(rng, (), dt)), S(x), S(x, 1), S(x, (0, 2)), S(x, dim=[-1]), S(np.zeros((0, 3), dt), 0)]


def _out_samples(name):
    def gen(rng, dt):
        x = rnd(rng, (3, 4), dt)
        e = NoGrad(np.zeros((2,), dt))
        if name in ("max", "min", "median", "nanmedian", "mode", "cummax", "cummin"):
            o = (e, NoGrad(np.zeros((1,), np.int64)))
            return [S(x, 1 if name != "mode" else -1, out=o)] if name[:3] != "cum" else [S(x, 1, out=o)]
        if name in ("cumsum", "cumprod", "logcumsumexp"):
            return [S(x, 1, out=e)]
        if name in ("argmax", "argmin", "count_nonzero"):
            return [S(x, 1, out=NoGrad(np.zeros((1,), np.int64)))] if name != "count_nonzero" else []
        if name in ("all", "any"):
            return [S(x, 1, out=NoGrad(np.zeros((1,), np.bool_)))]
        if name in ("var_mean", "std_mean"):
            return [S(x, 1, out=(e, NoGrad(np.zeros((2,), dt))))]
        if name == "aminmax":
            return [S(x, dim=1, out=(e, NoGrad(np.zeros((2,), dt))))]
        if name == "norm":
            return [S(x, 2, 1, out=e)]
        return [S(x, 1, out=e)]

    return gen


_OUT_OPS = (
    "sum mean prod nansum nanmean var std logsumexp norm all any max min amax amin argmax argmin median "
    "nanmedian mode cumsum cumprod cummax cummin logcumsumexp"
).split()

OPS = [
    OpInfo("sum", _reduce(), dtypes=FLOATS + ("int64", "int32", "bool", "float16")),
    OpInfo("sum", _reduce(dtype="dtype:float64"), dtypes=("float32",)),
    OpInfo("mean", _reduce(), dtypes=FLOATS + ("float16",)),
    # prod
    OpInfo("prod", _int_dim(), dtypes=FLOATS + INTS + ("bool", "float16")),
    OpInfo("prod", _int_dim(), method=True),
    OpInfo("prod", _with_dtype, dtypes=("float32", "int64")),
    OpInfo("prod", _prod_zeros),
    # nansum / nanmean
    OpInfo("nansum", _reduce(), dtypes=FLOATS + ("int64", "bool", "float16")),
    OpInfo("nansum", _nans),
    OpInfo("nansum", _nans, method=True),
    OpInfo("nansum", _reduce(dtype="dtype:float64"), dtypes=("float32",)),
    OpInfo("nanmean", _reduce(), dtypes=FLOATS + ("float16",)),
    # an all-NaN row gives NaN (0/0) whatever the perturbation: no numerical gradient
    OpInfo("nanmean", _nans, gradcheck=False),
    OpInfo("nanmean", _nans, method=True, gradcheck=False),
    # var / std
    OpInfo("var", _reduce(), dtypes=FLOATS + ("float16",)),
    OpInfo("var", _var),
    OpInfo("var", _var, method=True),
    OpInfo("std", _reduce(), dtypes=FLOATS + ("float16",)),
    OpInfo("std", _var),
    OpInfo("std", _var, method=True),
    OpInfo("std", lambda rng, dt: [S(np.ones((3, 4), dt), 1), S(np.ones((3,), dt))]),
    OpInfo("var_mean", _reduce()),
    OpInfo("var_mean", _var),
    OpInfo("std_mean", _reduce()),
    OpInfo("std_mean", _var),
    # logsumexp
    OpInfo("logsumexp", _dim_reduce, dtypes=FLOATS + ("float16",)),
    OpInfo("logsumexp", _dim_reduce, dtypes=INTS, grad=False),
    OpInfo("logsumexp", _dim_reduce, method=True),
    OpInfo(
        "logsumexp",
        lambda rng, dt: [S(np.array([[-np.inf, -np.inf], [np.inf, 1.0], [1e4, 1e4]], dt), 1)],
        grad=False,
    ),
    # norm
    OpInfo("norm", _norm),
    OpInfo("norm", _norm, method=True),
    # p in (0, 1, inf): torch's second-order gradient is a ZeroTensor, which the oracle cannot read back;
    # zero inputs: torch's is NaN
    OpInfo("norm", _norm_piecewise, gradgrad=False),
    OpInfo("norm", _norm_piecewise, gradgrad=False, method=True),
    # max / min
    OpInfo("max", _int_dim(empty=False), dtypes=FLOATS + INTS + ("bool", "float16")),
    OpInfo("max", _int_dim(nodim=False), method=True),
    OpInfo("max", _maxmin_binary),
    OpInfo("max", _nans_int_dim, dtypes=FLOATS, grad=False),
    # non-differentiable at ties: torch splits the gradient evenly, numerical differences do not
    OpInfo("max", _ties, gradcheck=False),
    OpInfo("min", _int_dim(empty=False), dtypes=FLOATS + INTS + ("bool",)),
    OpInfo("min", _int_dim(nodim=False), method=True),
    OpInfo("min", _maxmin_binary),
    OpInfo("min", _ties, gradcheck=False),
    OpInfo("amax", _reduce(), dtypes=FLOATS + INTS + ("bool",)),
    OpInfo("amax", _reduce(), method=True),
    OpInfo("amax", _ties_dims, gradcheck=False),  # ties: see max
    OpInfo("amin", _reduce(), dtypes=FLOATS + INTS),
    OpInfo("amin", _ties_dims, gradcheck=False),  # ties: see max
    OpInfo("aminmax", _aminmax, dtypes=FLOATS + INTS),
    OpInfo("aminmax", _aminmax, method=True),
    OpInfo("aminmax", lambda rng, dt: [S(a.args[0], dim=-1) for a in _ties(rng, dt)] + _ties(rng, dt), gradcheck=False),
    OpInfo("argmax", _arg, dtypes=FLOATS + INTS, grad=False),
    OpInfo("argmax", _arg, grad=False, method=True),
    OpInfo("argmax", _nans_int_dim, grad=False),
    OpInfo("argmin", _arg, dtypes=FLOATS + INTS, grad=False),
    OpInfo("argmin", _arg, grad=False, method=True),
    OpInfo("argmin", _nans_int_dim, grad=False),
    # median / nanmedian / mode
    OpInfo("median", _median_all, dtypes=FLOATS + INTS),
    OpInfo("median", _int_dim(nodim=False), method=True),
    OpInfo("median", _int_dim(nodim=False)),
    OpInfo("median", _median_ints, dtypes=INTS),
    OpInfo("median", _ties, gradcheck=False),  # ties: see max
    OpInfo("median", _nans_int_dim, grad=False),
    OpInfo("nanmedian", _median_all),
    OpInfo("nanmedian", _int_dim(nodim=False)),
    OpInfo("nanmedian", _int_dim(nodim=False), method=True),
    OpInfo("nanmedian", _nans_int_dim, grad=False),
    OpInfo("mode", _mode, dtypes=FLOATS + INTS),
    OpInfo("mode", _mode, method=True),
    OpInfo("mode", _mode_ties, dtypes=INTS + ("float64",), grad=False),
    # cumulative
    OpInfo("cumsum", _cum, dtypes=FLOATS + INTS + ("bool", "float16")),
    OpInfo("cumsum", _cum, method=True),
    OpInfo("cumsum", _cum_dtype, dtypes=("float32", "int32")),
    OpInfo("Tensor.cumsum_", _inplace_cum, dtypes=FLOATS + INTS, inplace=True, gradcheck=False),
    OpInfo("cumprod", _cum, dtypes=FLOATS + INTS + ("bool",)),
    OpInfo("cumprod", _cum, method=True),
    OpInfo("cumprod", _cum_zeros),
    OpInfo("cumprod", _cum_dtype, dtypes=("float32", "int32")),
    OpInfo("Tensor.cumprod_", _inplace_cum, inplace=True, gradcheck=False),
    OpInfo("cummax", _cum, dtypes=FLOATS + INTS),
    OpInfo("cummax", _cum, method=True),
    OpInfo("cummax", _cumext_ties, grad=False),
    OpInfo("cummin", _cum, dtypes=FLOATS + INTS),
    OpInfo("cummin", _cum, method=True),
    OpInfo("cummin", _cumext_ties, grad=False),
    OpInfo("logcumsumexp", _cum, dtypes=FLOATS + ("float16",)),
    OpInfo("logcumsumexp", _cum, method=True),
    OpInfo(
        "logcumsumexp",
        lambda rng, dt: [S(np.array([[-np.inf, 1.0, 2.0], [1e4, 1e4, -1e4]], dt), 1)],
        grad=False,
    ),
    # logical reductions
    OpInfo("all", _logical, dtypes=FLOATS + INTS + ("bool", "uint8"), grad=False),
    OpInfo("all", _logical, dtypes=("bool", "uint8"), grad=False, method=True),
    OpInfo("any", _logical, dtypes=FLOATS + INTS + ("bool", "uint8"), grad=False),
    OpInfo("any", _logical, dtypes=("bool", "uint8"), grad=False, method=True),
    OpInfo("count_nonzero", _count, dtypes=FLOATS + INTS + ("bool",), grad=False),
    OpInfo("count_nonzero", _count, grad=False, method=True),
]

# out=: written into (and resized) as torch does; no autograd through out=
OPS += [OpInfo(_n, _out_samples(_n), dtypes=("float32",), grad=False) for _n in _OUT_OPS]
OPS.append(
    OpInfo(
        "sum",
        lambda rng, dt: [
            S(np.array([[0.6, 0.6, 0.6], [1.5, 1.5, -0.2]], dt), 1, out=NoGrad(np.zeros(2, np.int64))),
            S(rnd(rng, (3, 4), dt), 1, out=NoGrad(np.zeros(2, np.float64))),
        ],
        dtypes=("float32",),
        grad=False,
    )
)

_rng = np.random.default_rng(0)
_f = rnd(_rng, (3,), "float32")
_e = np.zeros((0, 3), np.float32)
_i = rnd(_rng, (3,), "int64")

ERRORS = [
    ErrorInput("mean", S(_i)),
    ErrorInput("sum", S(_f, 2)),
    ErrorInput("prod", S(_f, 1)),
    ErrorInput("prod", S(rnd(_rng, (2, 3), "float32"), (0, 1))),
    ErrorInput("nanmean", S(_i)),
    ErrorInput("nansum", S(_f, 3)),
    ErrorInput("var", S(_i)),
    ErrorInput("std", S(_i, 0)),
    ErrorInput("std", S(_f, -2)),
    ErrorInput("var", S(rnd(_rng, (2, 3), "float32"), (0, 0))),
    ErrorInput("std_mean", S(_i)),
    ErrorInput("var_mean", S(_i)),
    ErrorInput("logsumexp", S(_f, 1)),
    ErrorInput("norm", S(_i)),
    ErrorInput("norm", S(_e, float("inf"))),
    ErrorInput("norm", S(rnd(_rng, (2, 3, 4), "float32"), "fro", (0, 1, 2))),
    ErrorInput("norm", S(_f, 2, 1)),
    ErrorInput("max", S(_e)),
    ErrorInput("max", S(_e, 0)),
    ErrorInput("max", S(_f, 1)),
    ErrorInput("max", S(np.zeros((), np.float32), 1)),
    ErrorInput("min", S(_e)),
    ErrorInput("min", S(_e, 0)),
    ErrorInput("max", S(_e), method=True),
    ErrorInput("amax", S(_e)),
    ErrorInput("amax", S(_e, 0)),
    ErrorInput("amin", S(_e, (0, 1))),
    ErrorInput("amax", S(_f, 1)),
    ErrorInput("aminmax", S(_e)),
    ErrorInput("aminmax", S(_e, dim=0)),
    ErrorInput("argmax", S(_e)),
    ErrorInput("argmax", S(_e, 0)),
    ErrorInput("argmin", S(_f, 2)),
    ErrorInput("argmax", S(np.array([True, False]))),
    ErrorInput("median", S(_e, 0)),
    ErrorInput("median", S(np.array([True, False]))),
    ErrorInput("median", S(_f, 1)),
    ErrorInput("nanmedian", S(_e, 0)),
    ErrorInput("mode", S(_e, 0)),
    ErrorInput("mode", S(_f, 3)),
    ErrorInput("cumsum", S(_f, 1)),
    ErrorInput("cumprod", S(_f, -2)),
    ErrorInput("cummax", S(_f, 1)),
    ErrorInput("cummin", S(_f, 1)),
    ErrorInput("logcumsumexp", S(_i, 0)),
    ErrorInput("logcumsumexp", S(_f, 1)),
    ErrorInput("all", S(_f, 1)),
    ErrorInput("any", S(rnd(_rng, (2, 3), "float32"), (1, 1))),
    ErrorInput("count_nonzero", S(_f, 1)),
    ErrorInput("cumsum_", S(rnd(_rng, (3,), "float32"), 0, dtype="dtype:int64"), method=True),
    ErrorInput("cumprod_", S(rnd(_rng, (3,), "int32"), 0, dtype="dtype:int64"), method=True),
    ErrorInput("cumsum_", S(np.array([True, False]), 0), method=True),
    ErrorInput("max", S(rnd(_rng, (2, 3), "float32"), 1, out=NoGrad(np.zeros(2, np.float32)))),
]
