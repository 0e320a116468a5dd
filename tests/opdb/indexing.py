"""Op-table entries for the indexing family (ember/_ops/indexing.py). __getitem__ / __setitem__ are tested in
tests/test_indexing.py."""

import numpy as np

from op_db import ErrorInput, NoGrad, OpInfo, S
from opdb._util import rnd

FI = ("float32", "float64", "int64")


def _i(a):
    return NoGrad(np.asarray(a, dtype=np.int64))


def _m(a):
    return NoGrad(np.asarray(a, dtype=bool))


def _uniq(rng, self_shape, idx_shape, dim):
    """An int64 index of idx_shape whose entries are distinct along `dim` (deterministic scatter)."""
    out = np.empty(idx_shape, dtype=np.int64)
    moved = np.moveaxis(out, dim, -1)
    for pos in np.ndindex(moved.shape[:-1]):
        moved[pos] = rng.permutation(self_shape[dim])[: idx_shape[dim]]
    return out


def _rand_idx(rng, n, shape):
    return rng.integers(0, n, shape).astype(np.int64)


def _index_select(rng, dt):
    return [
        S(rnd(rng, (4, 5), dt), 0, _i([0, 2, 2, 3])),
        S(rnd(rng, (4, 5), dt), 1, _i([4, 0])),
        S(
            rnd(rng, (4, 5), dt),
            -1,
            _i(
                [],
            ),
        ),
        S(rnd(rng, (3, 4, 2), dt), 1, NoGrad(np.array([1, 3], dtype=np.int32))),
        S(rnd(rng, (5,), dt), 0, _i(2)),
        S(rnd(rng, (0, 3), dt), 1, _i([0, 2])),
    ]


def _gather(rng, dt):
    return [
        S(rnd(rng, (4, 5), dt), 0, NoGrad(_rand_idx(rng, 4, (3, 5)))),
        S(rnd(rng, (4, 5), dt), 1, NoGrad(_rand_idx(rng, 5, (4, 7)))),
        S(rnd(rng, (4, 5), dt), -1, NoGrad(_rand_idx(rng, 5, (2, 3)))),
        S(rnd(rng, (2, 3, 4), dt), 2, NoGrad(_rand_idx(rng, 4, (2, 3, 2)))),
        S(rnd(rng, (5,), dt), 0, NoGrad(_rand_idx(rng, 5, (8,)))),
        S(rnd(rng, (), dt), 0, _i(0)),
        S(rnd(rng, (3, 4), dt), 0, NoGrad(np.zeros((0, 4), np.int64))),
    ]


def _scatter(value=False, reduce=None, fn_kw=None):
    def gen(rng, dt):
        out = []
        for shape, ishape, dim in [
            ((5, 4), (3, 4), 0),
            ((5, 4), (5, 2), 1),
            ((3, 4, 2), (3, 2, 2), 1),
            ((6,), (4,), 0),
        ]:
            x = rnd(rng, shape, dt)
            idx = NoGrad(_uniq(rng, shape, ishape, dim))
            src = 2.5 if value else rnd(rng, ishape, dt)
            kw = {"reduce": reduce} if reduce else {}
            out.append(S(x, dim, idx, src, **kw))
        out.append(
            S(rnd(rng, (3, 4), dt), 0, NoGrad(np.zeros((0, 4), np.int64)), 1.0 if value else rnd(rng, (0, 4), dt))
        )
        return out

    return gen


def _scatter_add(rng, dt):
    out = []
    for shape, ishape, dim in [((5, 4), (6, 4), 0), ((5, 4), (5, 3), 1), ((3, 4, 2), (3, 5, 2), 1), ((4,), (7,), 0)]:
        idx = NoGrad(_rand_idx(rng, shape[dim], ishape))
        out.append(S(rnd(rng, shape, dt), dim, idx, rnd(rng, ishape, dt)))
    return out


def _scatter_reduce(reduce, include_self=True):
    def gen(rng, dt):
        out = []
        for shape, ishape, dim in [((5, 4), (6, 4), 0), ((4, 3), (4, 5), 1), ((6,), (6,), 0)]:
            idx = NoGrad(_rand_idx(rng, shape[dim] - 1, ishape))  # the last row/column is never scattered to
            src = rnd(rng, ishape, dt, 0.5, 2.0) if reduce == "prod" else rnd(rng, ishape, dt)
            x = rnd(rng, shape, dt, 0.5, 2.0) if reduce == "prod" else rnd(rng, shape, dt)
            out.append(S(x, dim, idx, src, reduce, include_self=include_self))
        if reduce == "prod" and np.dtype(dt).kind == "f":
            # a single zero in src (and one in self): the exclusive-product paths
            x = rnd(rng, (3,), dt, 0.5, 2.0)
            x[2] = 0
            src = rnd(rng, (4,), dt, 0.5, 2.0)
            src[1] = 0
            out.append(S(x, 0, _i([0, 0, 1, 2]), src, reduce, include_self=include_self))
        return out

    return gen


def _index_add(alpha=None):
    def gen(rng, dt):
        kw = {} if alpha is None else {"alpha": alpha}
        return [
            S(rnd(rng, (5, 4), dt), 0, _i([0, 2, 2]), rnd(rng, (3, 4), dt), **kw),
            S(rnd(rng, (5, 4), dt), 1, _i([3, 0]), rnd(rng, (5, 2), dt), **kw),
            S(rnd(rng, (2, 3, 4), dt), -1, _i([1]), rnd(rng, (2, 3, 1), dt), **kw),
            S(rnd(rng, (5,), dt), 0, _i([4, 1, 4]), rnd(rng, (3,), dt), **kw),
        ]

    return gen


def _index_copy(rng, dt):
    return [
        S(rnd(rng, (5, 4), dt), 0, _i([0, 3, 2]), rnd(rng, (3, 4), dt)),
        S(rnd(rng, (5, 4), dt), 1, _i([3, 0]), rnd(rng, (5, 2), dt)),
        S(rnd(rng, (2, 3, 4), dt), -1, _i([1]), rnd(rng, (2, 3, 1), dt)),
        S(rnd(rng, (5,), dt), 0, _i([]), rnd(rng, (0,), dt)),
    ]


def _index_fill(rng, dt):
    return [
        S(rnd(rng, (5, 4), dt), 0, _i([0, 3, 3]), -1.5 if np.dtype(dt).kind == "f" else 7),
        S(rnd(rng, (5, 4), dt), 1, _i([2]), rnd(rng, (), dt)),
        S(rnd(rng, (2, 3, 4), dt), -1, _i([1, 0]), 3),
        S(rnd(rng, (5,), dt), 0, _i([]), 2),
    ]


def _index_put(accumulate=False):
    def gen(rng, dt):
        return [
            S(rnd(rng, (5, 4), dt), (_i([0, 2, 4]),), rnd(rng, (3, 4), dt), accumulate),
            S(rnd(rng, (5, 4), dt), (_i([0, 2]), _i([1, 3])), rnd(rng, (2,), dt), accumulate),
            S(
                rnd(rng, (5, 4), dt),
                (_i([1, 1, 3]), _i([0, 2, 2])) if accumulate else (_i([1]), _i([2])),
                rnd(rng, (), dt),
                accumulate,
            ),
            S(rnd(rng, (3, 4), dt), (_m(rng.random((3, 4)) > 0.5),), rnd(rng, (1,), dt), accumulate),
            S(rnd(rng, (2, 3, 4), dt), (_i([1]), _i([[0], [2]]), _i([1, 3])), rnd(rng, (2, 2), dt), accumulate),
            S(rnd(rng, (3, 4), dt), (_i([]),), rnd(rng, (0, 4), dt), accumulate),
        ]

    return gen


def _masked_fill(rng, dt):
    f = np.dtype(dt).kind == "f"
    return [
        S(rnd(rng, (3, 4), dt), _m(rng.random((3, 4)) > 0.5), -2.5 if f else 9),
        S(rnd(rng, (3, 4), dt), _m(rng.random((4,)) > 0.5), rnd(rng, (), dt)),
        S(rnd(rng, (), dt), _m(True), 1),
        S(rnd(rng, (0, 4), dt), _m(np.zeros((0, 4), bool)), 1),
    ]


def _masked_fill_inf(rng, dt):
    return [S(rnd(rng, (2, 3), dt), _m(rng.random((2, 3)) > 0.5), float("-inf"))]


def _masked_fill_broadcast(rng, dt):
    # out-of-place only: the mask broadcasts the result to a larger shape
    return [S(rnd(rng, (4,), dt), _m(rng.random((3, 4)) > 0.5), 1.0), S(rnd(rng, (3, 1), dt), _m([True, False]), 0)]


def _masked_select(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), _m(rng.random((3, 4)) > 0.5)),
        S(rnd(rng, (3, 4), dt), _m(rng.random((4,)) > 0.5)),
        S(rnd(rng, (4,), dt), _m(rng.random((2, 4)) > 0.5)),
        S(rnd(rng, (), dt), _m(True)),
        S(rnd(rng, (0, 2), dt), _m(np.zeros((0, 2), bool))),
    ]


def _masked_scatter(inplace=False):
    def gen(rng, dt):
        out = [
            S(rnd(rng, (3, 4), dt), _m(rng.random((3, 4)) > 0.5), rnd(rng, (3, 4), dt)),
            S(rnd(rng, (3, 4), dt), _m(rng.random((4,)) > 0.5), rnd(rng, (15,), dt)),
            S(rnd(rng, (2, 3), dt), _m(np.zeros((2, 3), bool)), rnd(rng, (2,), dt)),
        ]
        if not inplace:
            out.append(S(rnd(rng, (4,), dt), _m(rng.random((2, 4)) > 0.5), rnd(rng, (2, 5), dt)))
        return out

    return gen


def _take(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), _i([[0, 11], [5, 5]])),
        S(rnd(rng, (5,), dt), _i([-1, 0, 2])),
        S(rnd(rng, (), dt), _i([0, 0])),
        S(rnd(rng, (3, 4), dt), _i([])),
    ]


def _put(accumulate=False):
    def gen(rng, dt):
        dup = [1, 7, 1] if accumulate else [1, 7, -1]
        return [
            S(rnd(rng, (3, 4), dt), _i(dup), rnd(rng, (3,), dt), accumulate),
            S(rnd(rng, (3, 4), dt), _i([[0, 2], [4, 5]]), rnd(rng, (4,), dt), accumulate),
            S(rnd(rng, (5,), dt), _i([]), rnd(rng, (0,), dt), accumulate),
        ]

    return gen


def _take_along_dim(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), NoGrad(_rand_idx(rng, 3, (2, 4))), 0),
        S(rnd(rng, (3, 4), dt), NoGrad(_rand_idx(rng, 4, (3, 2))), -1),
        S(rnd(rng, (3, 4), dt), NoGrad(_rand_idx(rng, 4, (1, 2))), 1),  # indices broadcast over dim 0
        S(rnd(rng, (3, 1), dt), NoGrad(_rand_idx(rng, 3, (2, 5))), 0),  # input broadcasts over dim 1
        S(rnd(rng, (3, 4), dt), NoGrad(_rand_idx(rng, 12, (5,)))),
    ]


def _nonzero(rng, dt):
    def sparse(shape):
        a = rnd(rng, shape, dt)
        return a * (rng.random(shape) > 0.5).astype(a.dtype) if a.dtype != bool else a

    shapes = [(3, 4), (5,), (), (0, 3), (2, 2, 3)]
    return [S(np.asarray(sparse(sh))) for sh in shapes] + [S(np.zeros((), dt))]


def _nonzero_tuple(rng, dt):
    return [S(s.args[0], as_tuple=True) for s in _nonzero(rng, dt)]


def _select_scatter(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), rnd(rng, (4,), dt), 0, 1),
        S(rnd(rng, (3, 4), dt), rnd(rng, (3,), dt), 1, -1),
        S(rnd(rng, (2, 3, 4), dt), rnd(rng, (2, 4), dt), 1, 2),
    ]


def _slice_scatter(rng, dt):
    return [
        S(rnd(rng, (5, 4), dt), rnd(rng, (2, 4), dt), 0, 1, 3),
        S(rnd(rng, (5, 4), dt), rnd(rng, (5, 2), dt), 1, 0, None, 2),
        S(rnd(rng, (5, 4), dt), rnd(rng, (5, 4), dt)),
        S(rnd(rng, (5, 4), dt), rnd(rng, (2, 4), dt), start=-2),
    ]


def _diagonal_scatter(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), rnd(rng, (3,), dt)),
        S(rnd(rng, (3, 4), dt), rnd(rng, (3,), dt), 1),
        S(rnd(rng, (3, 4), dt), rnd(rng, (2,), dt), -1),
        S(rnd(rng, (2, 3, 4), dt), rnd(rng, (2, 3), dt), 0, 1, 2),
        S(rnd(rng, (2, 3, 4), dt), rnd(rng, (3, 2), dt), 0, 2, 0),
    ]


def _copy(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), rnd(rng, (3, 4), dt)),
        S(rnd(rng, (3, 4), dt), rnd(rng, (4,), dt)),
        S(rnd(rng, (3, 4), dt), rnd(rng, (), dt)),
        S(rnd(rng, (3, 4), dt), NoGrad(rnd(rng, (3, 1), "int64"))),
    ]


def _copy_cast(rng, dt):
    return [S(rnd(rng, (3, 4), dt), rnd(rng, (3, 4), "float64" if dt == np.float32 else "float32"))]


def _fill(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), 2.5 if np.dtype(dt).kind == "f" else 3),
        S(rnd(rng, (3,), dt), rnd(rng, (), dt)),
        S(rnd(rng, (), dt), 1),
    ]


def _zero(rng, dt):
    return [S(rnd(rng, (3, 4), dt)), S(rnd(rng, (), dt))]


# In-place entries: gradcheck=False because the numerical check re-runs the op on the leaf itself (no clone),
# so an in-place op overwrites the point being differentiated; their out-of-place twins are gradchecked.
OPS = [
    OpInfo("index_select", _index_select, dtypes=FI),
    OpInfo("Tensor.index_select", _index_select),
    OpInfo("gather", _gather, dtypes=FI),
    OpInfo("Tensor.gather", _gather),
    OpInfo("scatter", _scatter(), dtypes=FI),
    OpInfo("Tensor.scatter", _scatter(value=True), dtypes=FI),
    OpInfo("Tensor.scatter_", _scatter(), inplace=True, gradcheck=False, dtypes=FI),
    OpInfo("Tensor.scatter_", _scatter(value=True), inplace=True, gradcheck=False),
    # reduce= has no derivative in torch (grad_fn "NotImplemented"): forward only
    OpInfo("scatter", _scatter(reduce="add"), grad=False, dtypes=FI),
    OpInfo(
        "Tensor.scatter_", _scatter(value=True, reduce="multiply"), grad=False, inplace=True, gradcheck=False, dtypes=FI
    ),
    OpInfo("scatter_add", _scatter_add, dtypes=FI),
    OpInfo("Tensor.scatter_add_", _scatter_add, inplace=True, gradcheck=False),
    OpInfo("scatter_reduce", _scatter_reduce("sum"), dtypes=FI),
    OpInfo("scatter_reduce", _scatter_reduce("sum", False)),
    OpInfo("scatter_reduce", _scatter_reduce("prod"), dtypes=FI),
    OpInfo("scatter_reduce", _scatter_reduce("prod", False)),
    OpInfo("scatter_reduce", _scatter_reduce("mean"), dtypes=FI),
    OpInfo("scatter_reduce", _scatter_reduce("mean", False), dtypes=FI),
    OpInfo("scatter_reduce", _scatter_reduce("amax"), dtypes=FI),
    OpInfo("scatter_reduce", _scatter_reduce("amin", False), dtypes=FI),
    OpInfo("Tensor.scatter_reduce_", _scatter_reduce("amax", False), inplace=True, gradcheck=False),
    OpInfo("Tensor.scatter_reduce_", _scatter_reduce("prod"), inplace=True, gradcheck=False),
    OpInfo("index_add", _index_add(), dtypes=FI),
    OpInfo("index_add", _index_add(alpha=2)),
    OpInfo("Tensor.index_add_", _index_add(alpha=-1.5), inplace=True, gradcheck=False),
    OpInfo("index_copy", _index_copy, dtypes=FI),
    OpInfo("Tensor.index_copy_", _index_copy, inplace=True, gradcheck=False),
    OpInfo("index_fill", _index_fill, dtypes=FI),
    OpInfo("Tensor.index_fill_", _index_fill, inplace=True, gradcheck=False),
    OpInfo("index_put", _index_put(), dtypes=FI),
    OpInfo("index_put", _index_put(True), dtypes=FI),
    OpInfo("index_put_", _index_put(), inplace=True, gradcheck=False),
    OpInfo("Tensor.index_put_", _index_put(True), inplace=True, gradcheck=False),
    OpInfo("masked_fill", _masked_fill, dtypes=FI + ("bool",)),
    OpInfo("masked_fill", _masked_fill_broadcast),
    # an infinite fill value makes central differences nan
    OpInfo("masked_fill", _masked_fill_inf, gradcheck=False),
    OpInfo("Tensor.masked_fill_", _masked_fill, inplace=True, gradcheck=False, dtypes=FI),
    OpInfo("masked_select", _masked_select, dtypes=FI + ("bool",)),
    OpInfo("masked_scatter", _masked_scatter(), dtypes=FI),
    OpInfo("Tensor.masked_scatter_", _masked_scatter(True), inplace=True, gradcheck=False),
    OpInfo("take", _take, dtypes=FI),
    OpInfo("put", _put(), dtypes=FI),
    OpInfo("put", _put(True)),
    OpInfo("Tensor.put_", _put(True), inplace=True, gradcheck=False),
    OpInfo("take_along_dim", _take_along_dim, dtypes=FI),
    OpInfo("nonzero", _nonzero, dtypes=FI + ("bool",), grad=False),
    OpInfo("nonzero", _nonzero_tuple, dtypes=("float32", "bool"), grad=False),
    OpInfo("argwhere", _nonzero, dtypes=FI + ("bool",), grad=False),
    OpInfo("select_scatter", _select_scatter, dtypes=FI),
    OpInfo("slice_scatter", _slice_scatter, dtypes=FI),
    OpInfo("diagonal_scatter", _diagonal_scatter, dtypes=FI),
    OpInfo("Tensor.copy_", _copy, inplace=True, gradcheck=False, dtypes=FI),
    # src of the other float dtype: a float32 leaf in the float64 run is too coarse for central differences
    OpInfo("Tensor.copy_", _copy_cast, inplace=True, gradcheck=False),
    OpInfo("Tensor.fill_", _fill, inplace=True, gradcheck=False, dtypes=FI),
    OpInfo("Tensor.zero_", _zero, inplace=True, gradcheck=False, dtypes=FI),
]

_F = np.zeros((3, 4), np.float32)
_D = np.zeros((3, 4), np.float64)

ERRORS = [
    ErrorInput("index_select", S(_F, 0, NoGrad(np.array([0.0])))),
    ErrorInput("index_select", S(_F, 0, _i([3]))),
    ErrorInput("index_select", S(_F, 2, _i([0]))),
    ErrorInput("index_select", S(_F, 0, _i([[0]]))),
    ErrorInput("gather", S(_F, 0, NoGrad(np.array([[0.0]])))),
    ErrorInput("gather", S(_F, 0, _i([[3]]))),
    ErrorInput("gather", S(_F, 0, _i([0]))),
    ErrorInput("gather", S(_F, 0, _i([[0, 0, 0, 0, 0]]))),
    ErrorInput("scatter", S(_F, 0, _i([[3]]), _F)),
    ErrorInput("scatter", S(_F, 0, _i([[0]]), _D)),
    ErrorInput("scatter", S(_F, 0, _i([[0, 1]]), np.zeros((1, 1), np.float32))),
    ErrorInput("scatter_", S(_F, 0, _i([[3]]), 1.0), method=True),
    ErrorInput("scatter_add", S(_F, 0, NoGrad(np.zeros((1, 4))), _F)),
    ErrorInput("scatter_reduce", S(_F, 0, _i([[0]]), _F, "median")),
    ErrorInput("scatter", S(_F, 0, NoGrad(np.zeros((1, 1))), 1.0)),
    ErrorInput("take", S(_F, NoGrad(np.zeros(1, np.int32)))),
    ErrorInput("index_add", S(_F, 0, _i([0]), np.zeros((1, 3), np.float32))),
    ErrorInput("index_add", S(_F, 0, _i([0]), np.zeros((1, 4), np.float64))),
    ErrorInput("index_add", S(_F, 0, _i([5]), np.zeros((1, 4), np.float32))),
    ErrorInput("index_copy", S(_F, 0, _i([0]), np.zeros((2, 4), np.float32))),
    ErrorInput("index_fill", S(_F, 0, _i([0]), np.zeros((2,), np.float32))),
    ErrorInput("index_fill", S(_F, 0, _i([7]), 1.0)),
    ErrorInput("index_put", S(_F, (_i([5]),), np.zeros((4,), np.float32))),
    ErrorInput("index_put", S(_F, (_i([0]),), np.zeros((4,), np.float64))),
    ErrorInput("index_put", S(_F, (_i([0, 1]),), np.zeros((3,), np.float32))),
    ErrorInput("index_put", S(_F, (NoGrad(np.zeros(1)),), np.zeros((4,), np.float32))),
    ErrorInput("index_put_", S(_F, (_i([0]), _i([0]), _i([0])), np.zeros((), np.float32))),
    ErrorInput("masked_fill", S(_F, NoGrad(np.zeros((3, 4))), 1.0)),
    ErrorInput("masked_fill", S(_F, _m(np.zeros((3, 4))), np.zeros(2, np.float32))),
    ErrorInput("masked_fill", S(_F, _m(np.zeros((2, 4))), 1.0)),
    ErrorInput("masked_fill_", S(_F, _m(np.zeros((2, 3, 4))), 1.0), method=True),
    ErrorInput("masked_select", S(_F, NoGrad(np.zeros((3, 4), np.int64)))),
    ErrorInput("masked_select", S(_F, _m(np.zeros(5)))),
    ErrorInput("masked_scatter", S(_F, _m(np.ones((3, 4))), np.zeros(5, np.float32))),
    ErrorInput("masked_scatter", S(_F, _m(np.ones((3, 4))), np.zeros(12, np.float64))),
    ErrorInput("take", S(_F, _i([12]))),
    ErrorInput("take", S(_F, NoGrad(np.zeros(2, np.int32)))),
    ErrorInput("put", S(_F, _i([0, 1]), np.zeros(3, np.float32))),
    ErrorInput("put", S(_F, _i([20]), np.zeros(1, np.float32))),
    ErrorInput("take_along_dim", S(_F, _i([0]), 0)),
    ErrorInput("take_along_dim", S(_F, NoGrad(np.zeros((1, 4))), 0)),
    ErrorInput("select_scatter", S(_F, np.zeros(3, np.float32), 0, 0)),
    ErrorInput("select_scatter", S(_F, np.zeros(4, np.float32), 0, 3)),
    ErrorInput("slice_scatter", S(_F, np.zeros((1, 4), np.float32), 0, 0, 2)),
    ErrorInput("diagonal_scatter", S(_F, np.zeros(4, np.float32))),
    ErrorInput("copy_", S(_F, np.zeros((2, 4), np.float32)), method=True),
    ErrorInput("fill_", S(_F, np.zeros(2, np.float32)), method=True),
]
