import numpy as np

from op_db import ErrorInput, NoGrad, OpInfo, S
from opdb._util import rnd

FLOATS = ("float32", "float64")
INTS = ("int64", "int32", "uint8")
_R = np.random.default_rng(0)


def _distinct(rng, shape, dt):
    """Distinct values (no ties: the order of equal elements is unspecified for unstable sorts and
    numerical gradients jump at ties)."""
    n = int(np.prod(shape)) if shape else 1
    dt = np.dtype(dt)
    if dt.kind == "b":
        return np.asarray(rng.random(shape) > 0.5)
    if dt.kind in "iu":
        vals = rng.permutation(n) + (0 if dt.kind == "u" else -(n // 2))
        return vals.astype(dt).reshape(shape)
    vals = rng.permutation(n).astype(np.float64) * 0.37 - n * 0.15 + rng.uniform(0, 0.1, n)
    return vals.astype(dt).reshape(shape)


def _ties(rng, shape, dt):
    """Values with many ties (including for floats)."""
    dt = np.dtype(dt)
    if dt.kind == "b":
        return np.asarray(rng.random(shape) > 0.5)
    lo = 0 if dt.kind == "u" else -2
    return rng.integers(lo, 3, shape).astype(dt)


def _sort_samples(stable=False, method=False):
    def gen(rng, dt):
        kw = {"stable": True} if stable or np.dtype(dt).kind == "b" else {}  # bools tie
        out = [
            S(_distinct(rng, (), dt), **kw),
            S(_distinct(rng, (), dt), dim=0, **kw),
            S(_distinct(rng, (5,), dt), **kw),
        ]
        for dim in (0, 1, -1):
            for desc in (False, True):
                out.append(S(_distinct(rng, (3, 4, 2), dt), dim=dim, descending=desc, **kw))
        out.append(S(_distinct(rng, (3, 4), dt), descending=True, **kw))
        out.append(S(_distinct(rng, (3, 4), dt), dim=0, **kw))
        out.append(S(_distinct(rng, (0, 3), dt), **kw))
        out.append(S(_distinct(rng, (0, 3), dt), dim=0, descending=True, **kw))
        out.append(S(_distinct(rng, (40,), dt), descending=True, **kw))
        return out

    return gen


def _sort_ties(rng, dt):
    """Ties and NaN: stable sorts keep equal elements in order; NaN is the largest value."""
    out = []
    for desc in (False, True):
        out.append(S(_ties(rng, (7,), dt), descending=desc))  # small: torch is stable here even unasked
        out.append(S(_ties(rng, (3, 50), dt), dim=1, descending=desc, stable=True))
        out.append(S(_ties(rng, (50, 2), dt), dim=0, descending=desc, stable=True))
    if np.dtype(dt).kind == "f":
        a = _ties(rng, (4, 30), dt)
        a[rng.random(a.shape) < 0.2] = np.nan
        a[0, :3] = [np.inf, -np.inf, -0.0]
        out.append(S(a, stable=True))
        out.append(S(a, descending=True, stable=True))
        out.append(S(a, dim=0, descending=True, stable=True))
    return out


def _argsort_samples(rng, dt):
    out = [S(_distinct(rng, (), dt)), S(_distinct(rng, (6,), dt)), S(_distinct(rng, (3, 4), dt), 0)]
    out.append(S(_distinct(rng, (3, 4), dt), 1, True))
    out.append(S(_distinct(rng, (2, 0), dt), descending=True))
    out.append(S(_ties(rng, (3, 30), dt), stable=True))
    out.append(S(_ties(rng, (3, 30), dt), descending=True, stable=True))
    out.append(S(_ties(rng, (30, 3), dt), dim=0, descending=True, stable=True))
    return out


def _msort_samples(rng, dt):
    return [S(_distinct(rng, sh, dt)) for sh in [(), (5,), (4, 3), (3, 2, 2), (0, 2)]]


def _topk_samples(rng, dt):
    out = [S(_distinct(rng, (), dt), 1), S(_distinct(rng, (), dt), 0), S(_distinct(rng, (6,), dt), 3)]
    out.append(S(_distinct(rng, (6,), dt), 0))
    out.append(S(_distinct(rng, (6,), dt), 6))
    out.append(S(_distinct(rng, (3, 5), dt), 2, 0))
    out.append(S(_distinct(rng, (3, 5), dt), 2, largest=False))
    out.append(S(_distinct(rng, (3, 5, 2), dt), 4, dim=1, largest=False))
    out.append(S(_distinct(rng, (3, 5), dt), 1, -1, True, False))  # k=1: any order is sorted
    out.append(S(_distinct(rng, (0, 5), dt), 2))
    out.append(S(_distinct(rng, (0, 5), dt), 0, 0))
    return out


def _topk_nan(rng, dt):
    a = _distinct(rng, (3, 8), dt)
    a[0, 2] = a[1, 5] = a[2, 0] = np.nan
    return [S(a, 2), S(a, 3, largest=False), S(a, 8, 1)]


def _kth_samples(rng, dt):
    out = [S(_distinct(rng, (), dt), 1), S(_distinct(rng, (), dt), 1, keepdim=True), S(_distinct(rng, (6,), dt), 3)]
    out.append(S(_distinct(rng, (6,), dt), 6))
    out.append(S(_distinct(rng, (3, 5), dt), 2, 0))
    out.append(S(_distinct(rng, (3, 5), dt), 1, 0, True))
    out.append(S(_distinct(rng, (3, 5, 2), dt), 4, dim=1, keepdim=True))
    out.append(S(_distinct(rng, (3, 5, 2), dt), 2, 2))
    out.append(S(_distinct(rng, (0, 5), dt), 2))
    out.append(S(_distinct(rng, (0, 5), dt), 2, keepdim=True))
    return out


def _kth_nan(rng, dt):
    a = _distinct(rng, (3, 6), dt)
    a[0, 2] = a[2, 0] = np.nan
    return [S(a, 6), S(a, 2)]


def _unique_samples(rng, dt):
    out = [S(_ties(rng, (), dt)), S(_ties(rng, (), dt), return_inverse=True, return_counts=True)]
    out.append(S(_ties(rng, (10,), dt)))
    out.append(S(_ties(rng, (3, 5), dt), return_inverse=True))
    out.append(S(_ties(rng, (3, 5), dt), return_counts=True))
    out.append(S(_ties(rng, (2, 3, 4), dt), False, True, True))
    out.append(S(_ties(rng, (0,), dt), return_inverse=True, return_counts=True))
    out.append(S(_ties(rng, (0, 3), dt), return_inverse=True))
    rows = _ties(rng, (3, 2), dt)[rng.integers(0, 3, 7)]  # repeated rows
    out.append(S(rows, dim=0, return_inverse=True, return_counts=True))
    out.append(S(np.ascontiguousarray(rows.T), dim=1, return_inverse=True, return_counts=True))
    out.append(S(np.ascontiguousarray(rows.T), dim=-1))
    out.append(S(_ties(rng, (2, 3, 2), dt) * (np.ones((2, 1, 1), dt)), dim=0, return_counts=True))
    out.append(S(_ties(rng, (0, 3), dt), dim=0, return_inverse=True, return_counts=True))
    out.append(S(_ties(rng, (4, 3), dt), sorted=False, dim=0))
    return out


def _unique_nan(rng, dt):
    a = np.array([np.nan, 1.0, np.nan, 0.5, 1.0], dtype=dt)
    # (not along a dim: torch's row sort misorders rows holding NaN, so equal rows may stay apart)
    return [S(a, return_inverse=True, return_counts=True), S(np.stack([a, a]), return_inverse=True)]


def _unique_consecutive_samples(rng, dt):
    out = [S(_ties(rng, (), dt)), S(_ties(rng, (), dt), return_inverse=True, return_counts=True)]
    out.append(S(np.repeat(_ties(rng, (6,), dt), rng.integers(1, 3, 6))))
    out.append(S(np.repeat(_ties(rng, (6,), dt), 2), True, True))
    out.append(S(_ties(rng, (3, 5), dt), return_inverse=True))
    out.append(S(_ties(rng, (3, 5), dt), return_counts=True))
    out.append(S(_ties(rng, (0,), dt), return_inverse=True, return_counts=True))
    rows = _ties(rng, (3, 2), dt)[[0, 0, 1, 2, 2, 2, 0]]
    out.append(S(rows, dim=0, return_inverse=True, return_counts=True))
    out.append(S(np.ascontiguousarray(rows.T), dim=1, return_inverse=True, return_counts=True))
    out.append(S(np.ascontiguousarray(rows.T), dim=-1))
    out.append(S(_ties(rng, (0, 3), dt), dim=0, return_inverse=True, return_counts=True))
    return out


def _bincount_samples(rng, dt):
    return [
        S(rng.integers(0, 6, 10).astype(dt)),
        S(rng.integers(0, 6, 10).astype(dt), minlength=3),
        S(rng.integers(0, 6, 10).astype(dt), minlength=12),
        S(np.zeros(0, dt)),
        S(np.zeros(0, dt), minlength=4),
        S(np.array([7], dt)),
    ]


def _bincount_weighted(rng, dt):
    return [
        S(NoGrad(rng.integers(0, 6, 10)), rnd(rng, (10,), dt)),
        S(NoGrad(rng.integers(0, 6, 10)), rnd(rng, (10,), dt), 9),
        S(NoGrad(np.zeros(0, np.int64)), rnd(rng, (0,), dt), minlength=2),
    ]


def _histc_samples(rng, dt):
    return [
        S(rnd(rng, (20,), dt)),
        S(rnd(rng, (4, 5), dt), 7),
        S(rnd(rng, (4, 5), dt), bins=6, min=-1, max=1),
        S(rnd(rng, (30,), dt), 5, -1.5, 0.5),
        S(np.array([0, 1, 2, 3, 4], dt), bins=4, min=0, max=4),
        S(np.array([0, 1, 2, 3, 4], dt), bins=3, min=0, max=4),
        S(np.array([2, 2], dt), bins=4),
        S(np.array(2, dt), bins=4),
        S(np.zeros(0, dt), bins=3),
        S(np.array([1, 2, np.nan, np.inf], dt), bins=3, min=0, max=3),
    ]


def _histogram_samples(rng, dt):
    return [
        S(rnd(rng, (20,), dt), 5),
        S(rnd(rng, (4, 5), dt), bins=7),
        S(rnd(rng, (4, 5), dt), 6, range=(-1.0, 1.0)),
        S(rnd(rng, (30,), dt), 4, weight=rnd(rng, (30,), dt)),
        S(rnd(rng, (30,), dt), 4, weight=rnd(rng, (30,), dt, 0, 1), density=True),
        S(rnd(rng, (30,), dt), 5, density=True),
        S(rnd(rng, (30,), dt), np.array([-2, -0.5, 0, 0.25, 1.5], dt)),
        S(rnd(rng, (3, 10), dt), bins=np.array([-1, 0, 1], dt), density=True),
        S(np.array([0, 1, 2, 3, 4], dt), 4),
        S(np.array([2, 2], dt), 3),
        S(np.array(2, dt), 2),
        S(np.zeros(0, dt), 3),
        S(np.array([1, 2, np.nan, np.inf], dt), 3, range=(0.0, 3.0)),
    ]


def _searchsorted_samples(rng, dt):
    seq = np.sort(_ties(rng, (8,), dt)) if np.dtype(dt).kind != "f" else np.sort(rnd(rng, (8,), dt))
    seq[3] = seq[4]  # a repeated boundary
    vals = np.concatenate([seq[[0, 3, 7]], rnd(rng, (5,), dt)]).reshape(2, 4)
    bseq = np.sort(rnd(rng, (2, 3, 6), dt), axis=-1)
    bvals = rnd(rng, (2, 3, 4), dt)
    perm = rng.permutation(8)
    return [
        S(seq, vals),
        S(seq, vals, right=True),
        S(seq, vals, side="right"),
        S(seq, vals, side="left"),
        S(seq, vals, out_int32=True),
        S(seq, vals[0]),
        S(seq, np.asarray(vals[0, 1])),
        S(seq, 1),
        S(seq, 0.5, right=True),
        S(bseq, bvals),
        S(bseq, bvals, side="right", out_int32=True),
        S(bseq, bvals[..., :1]),
        S(seq[perm], vals, sorter=NoGrad(np.argsort(seq[perm], kind="stable"))),
        S(seq[perm], vals, right=True, sorter=NoGrad(np.argsort(seq[perm], kind="stable"))),
        S(seq, np.zeros((0, 3), dt)),
        S(np.zeros(0, dt), vals),
        S(seq, np.array([np.nan, np.inf, -np.inf], "float32")),
        S(np.array([1, 3, 5], np.int32), np.array([2.5, 3.0], "float64")),
    ]


def _bucketize_samples(rng, dt):
    bd = np.sort(rnd(rng, (6,), dt))
    bd[2] = bd[3]
    vals = np.concatenate([bd[[0, 2, 5]], rnd(rng, (9,), dt)]).reshape(3, 4)
    return [
        S(vals, bd),
        S(vals, bd, right=True),
        S(vals, bd, out_int32=True),
        S(vals[0], bd, right=True, out_int32=True),
        S(np.asarray(vals[0, 0]), bd),
        S(1, bd),
        S(0.5, bd, right=True),
        S(np.zeros((0, 2), dt), bd),
        S(vals, np.zeros(0, dt)),
    ]


OPS = [
    OpInfo("sort", _sort_samples(), dtypes=FLOATS + ("float16",)),
    OpInfo("sort", _sort_samples(), dtypes=INTS + ("bool", "int8", "int16"), grad=False),
    OpInfo("sort", _sort_samples(stable=True), dtypes=("float64",)),
    OpInfo("sort", _sort_ties, dtypes=FLOATS + ("int64", "bool"), grad=False),
    OpInfo("sort", _sort_samples(), method=True, dtypes=("float64", "int64")),
    OpInfo("argsort", _argsort_samples, dtypes=FLOATS + ("int64", "uint8", "bool"), grad=False),
    OpInfo("argsort", _argsort_samples, dtypes=("float32",), grad=False, method=True),
    OpInfo("msort", _msort_samples, dtypes=FLOATS + ("int64",)),
    OpInfo("msort", _msort_samples, dtypes=("float64",), method=True),
    OpInfo("topk", _topk_samples, dtypes=FLOATS + ("float16",)),
    OpInfo("topk", _topk_samples, dtypes=("int64", "int32", "uint8"), grad=False),
    OpInfo("topk", _topk_nan, dtypes=FLOATS, grad=False),
    OpInfo("topk", _topk_samples, dtypes=("float64",), method=True),
    OpInfo("kthvalue", _kth_samples, dtypes=FLOATS),
    OpInfo("kthvalue", _kth_samples, dtypes=("int64", "int16", "uint8"), grad=False),
    OpInfo("kthvalue", _kth_nan, dtypes=FLOATS, grad=False),
    OpInfo("kthvalue", _kth_samples, dtypes=("float64",), method=True),
    # unique / unique_consecutive have a grad_fn but no derivative (torch raises NotImplementedError)
    OpInfo("unique", _unique_samples, dtypes=FLOATS + ("int64", "uint8", "bool"), grad=False),
    OpInfo("unique", _unique_nan, dtypes=FLOATS, grad=False),
    OpInfo("unique", _unique_samples, dtypes=("int64",), grad=False, method=True),
    OpInfo("unique_consecutive", _unique_consecutive_samples, dtypes=FLOATS + ("int64", "bool"), grad=False),
    OpInfo("unique_consecutive", _unique_consecutive_samples, dtypes=("int32",), grad=False, method=True),
    OpInfo("bincount", _bincount_samples, dtypes=INTS + ("int8", "int16"), grad=False),
    OpInfo("bincount", _bincount_weighted, dtypes=FLOATS + ("float16", "int64", "bool"), grad=False),
    OpInfo("bincount", _bincount_samples, dtypes=("int64",), grad=False, method=True),
    OpInfo("histc", _histc_samples, dtypes=FLOATS + ("float16",), grad=False),
    OpInfo("histc", _histc_samples, dtypes=("float32",), grad=False, method=True),
    OpInfo("histogram", _histogram_samples, dtypes=FLOATS, grad=False),
    OpInfo("histogram", _histogram_samples, dtypes=("float32",), grad=False, method=True),
    OpInfo("searchsorted", _searchsorted_samples, dtypes=FLOATS + ("int64", "int32", "float16"), grad=False),
    OpInfo("bucketize", _bucketize_samples, dtypes=FLOATS + ("int64", "uint8"), grad=False),
]


def _e(name, *args, method=False, **kw):
    return ErrorInput(name, S(*args, **kw), method=method)


_f = rnd(_R, (3, 4), "float32")
_i = _R.integers(0, 5, (6,))
_c = np.array([1 + 1j, 2], np.complex64)

ERRORS = [
    _e("sort", _f, 2),
    _e("sort", _f, -3),
    _e("sort", np.array(1.0, np.float32), 1),
    _e("sort", _c),
    _e("sort", _f, dim=2, method=True),
    _e("argsort", _f, 2),
    _e("argsort", _c),
    _e("msort", _c),
    _e("topk", _f, 5),
    _e("topk", _f, -1),
    _e("topk", _f, 2, 2),
    _e("topk", _f, 1.5),
    _e("topk", np.array([True, False]), 1),
    _e("topk", _c, 1),
    _e("topk", np.array(1.0, np.float32), 2),
    _e("kthvalue", _f, 0),
    _e("kthvalue", _f, 5),
    _e("kthvalue", _f, 4, 0),
    _e("kthvalue", _f, 1, 2),
    _e("kthvalue", np.zeros((2, 0), np.float32), 1, 1),
    _e("kthvalue", np.array([True, False]), 1),
    _e("kthvalue", _c, 1),
    _e("unique", _c),
    _e("unique", _f, dim=2),
    _e("unique", np.array(1.0, np.float32), dim=0),
    _e("unique", np.zeros((3, 0), np.float32), dim=0),
    _e("unique_consecutive", _f, dim=-3),
    _e("unique_consecutive", np.zeros((0, 3), np.float32), dim=1),
    _e("bincount", np.array([-1, 2])),
    _e("bincount", _i.reshape(2, 3)),
    _e("bincount", np.array(2)),
    _e("bincount", np.array([1.0, 2.0], np.float32)),
    _e("bincount", np.array([True, False])),
    _e("bincount", _i, minlength=-1),
    _e("bincount", _i, np.ones(5, np.float32)),
    _e("bincount", _i, np.ones((6, 1), np.float32)),
    _e("histc", _i),
    _e("histc", _f, 0),
    _e("histc", _f, -2),
    _e("histc", _f, 4, 3, 1),
    _e("histc", np.array([1.0, np.nan], np.float32), 4),
    _e("histc", np.array([1.0, np.inf], np.float32), 4),
    _e("histogram", _i, 3),
    _e("histogram", _f, 0),
    _e("histogram", _f, 3, range=(2.0, 1.0)),
    _e("histogram", np.array([1.0, np.nan], np.float32), 3),
    _e("histogram", _f, np.array([0.0, 1.0], np.float64)),
    _e("histogram", _f, np.array([[0.0, 1.0]], np.float32)),
    _e("histogram", _f, np.array([0.0], np.float32)),
    _e("histogram", _f, 3, weight=np.ones(5, np.float32)),
    _e("histogram", _f, 3, weight=np.ones((3, 4), np.float64)),
    _e("searchsorted", np.sort(_f, -1), np.zeros((2, 4), np.float32)),
    _e("searchsorted", np.sort(_f, -1), np.zeros(4, np.float32)),
    _e("searchsorted", np.sort(_f, -1), 1.0),
    _e("searchsorted", np.array(1.0, np.float32), np.zeros(2, np.float32)),
    _e("searchsorted", np.array([1.0, 2.0]), np.zeros(2), side="middle"),
    _e("searchsorted", np.array([1.0, 2.0]), np.zeros(2), side="left", right=True),
    _e("searchsorted", np.array([1.0, 2.0]), np.zeros(2), sorter=np.array([0])),
    _e("searchsorted", _c, _c),
    _e("searchsorted", np.array([True, False]), np.array([True])),
    _e("bucketize", _f, np.sort(_f, -1)),
    _e("bucketize", _f, np.array(1.0, np.float32)),
    _e("bucketize", _c, _c),
]
