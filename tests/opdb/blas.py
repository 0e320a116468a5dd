import numpy as np

from op_db import ErrorInput, OpInfo, S
from opdb._util import rnd as _rnd


def rnd(rng, shape, dtype, low=-2.0, high=2.0):
    return np.asarray(_rnd(rng, shape, dtype, low, high))  # 0-dim complex samples stay arrays


FLOATS = ("float32", "float64")
F32 = np.float32
F64 = np.float64


def _f(*shape):
    return np.ones(shape, F32)


def _d(*shape):
    return np.ones(shape, F64)


def _i(*shape):
    return np.ones(shape, np.int64)


def _b(*shape):
    return np.ones(shape, np.bool_)


MATMUL_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 2)),
    ((2, 3), (3, 4)),
    ((4, 2, 3), (3,)),
    ((3,), (4, 3, 2)),
    ((4, 2, 3), (3, 5)),
    ((2, 3), (4, 3, 5)),
    ((4, 2, 3), (4, 3, 5)),
    ((1, 4, 2, 3), (2, 1, 3, 5)),
    ((4, 2, 3), (1, 3, 5)),
    ((0, 3), (3, 2)),
    ((2, 0), (0, 3)),
    ((0,), (0,)),
    ((2, 0, 3), (3, 4)),
]


def _pairs(shapes, **kw):
    def gen(rng, dt):
        return [S(rnd(rng, a, dt), rnd(rng, b, dt), **kw) for a, b in shapes]

    return gen


def _mm(rng, dt):
    return _pairs([((2, 3), (3, 4)), ((1, 1), (1, 5)), ((0, 3), (3, 2)), ((2, 0), (0, 3)), ((5, 4), (4, 1))])(rng, dt)


def _bmm(rng, dt):
    return _pairs([((2, 2, 3), (2, 3, 4)), ((1, 3, 1), (1, 1, 2)), ((0, 2, 3), (0, 3, 4)), ((2, 0, 3), (2, 3, 4))])(
        rng, dt
    )


def _mv(rng, dt):
    return _pairs([((2, 3), (3,)), ((0, 3), (3,)), ((2, 0), (0,)), ((1, 1), (1,))])(rng, dt)


def _dot(rng, dt):
    return _pairs([((3,), (3,)), ((1,), (1,)), ((0,), (0,)), ((7,), (7,))])(rng, dt)


def _inner(rng, dt):
    return _pairs(
        [
            ((3,), (3,)),
            ((2, 3), (4, 3)),
            ((2, 3), (3,)),
            ((3,), (2, 3)),
            ((5, 2, 3), (4, 3)),
            ((), (2, 3)),
            ((2, 3), ()),
            ((), ()),
            ((0, 3), (2, 3)),
        ]
    )(rng, dt)


def _outer(rng, dt):
    return _pairs([((3,), (2,)), ((1,), (4,)), ((0,), (3,))])(rng, dt)


def _addmm(rng, dt):
    return [
        S(rnd(rng, (2, 4), dt), rnd(rng, (2, 3), dt), rnd(rng, (3, 4), dt)),
        S(rnd(rng, (4,), dt), rnd(rng, (2, 3), dt), rnd(rng, (3, 4), dt), beta=0.5, alpha=2),
        S(rnd(rng, (), dt), rnd(rng, (2, 3), dt), rnd(rng, (3, 4), dt), alpha=-1),
        S(rnd(rng, (2, 1), dt), rnd(rng, (2, 3), dt), rnd(rng, (3, 4), dt), beta=0),
        S(rnd(rng, (2, 4), dt), rnd(rng, (2, 0), dt), rnd(rng, (0, 4), dt)),
    ]


def _addmm_(rng, dt):
    return [
        S(rnd(rng, (2, 4), dt), rnd(rng, (2, 3), dt), rnd(rng, (3, 4), dt)),
        S(rnd(rng, (2, 4), dt), rnd(rng, (2, 3), dt), rnd(rng, (3, 4), dt), beta=0.5, alpha=2),
    ]


def _addmv(rng, dt):
    return [
        S(rnd(rng, (2,), dt), rnd(rng, (2, 3), dt), rnd(rng, (3,), dt)),
        S(rnd(rng, (1,), dt), rnd(rng, (2, 3), dt), rnd(rng, (3,), dt), beta=2, alpha=0.5),
        S(rnd(rng, (), dt), rnd(rng, (2, 3), dt), rnd(rng, (3,), dt)),
        S(rnd(rng, (2,), dt), rnd(rng, (2, 0), dt), rnd(rng, (0,), dt), beta=0),
    ]


def _addmv_(rng, dt):
    return [S(rnd(rng, (2,), dt), rnd(rng, (2, 3), dt), rnd(rng, (3,), dt), beta=0.5, alpha=-2)]


def _addr(rng, dt):
    return [
        S(rnd(rng, (2, 3), dt), rnd(rng, (2,), dt), rnd(rng, (3,), dt)),
        S(rnd(rng, (3,), dt), rnd(rng, (2,), dt), rnd(rng, (3,), dt), beta=2, alpha=0.5),
        S(rnd(rng, (), dt), rnd(rng, (2,), dt), rnd(rng, (3,), dt), beta=0),
        S(rnd(rng, (0, 3), dt), rnd(rng, (0,), dt), rnd(rng, (3,), dt)),
    ]


def _addr_mixed(rng, dt):
    return [
        S(rnd(rng, (2, 3), "float64"), rnd(rng, (2,), "float32"), rnd(rng, (3,), "float32")),
        S(rnd(rng, (2, 3), "int64"), rnd(rng, (2,), "int64"), rnd(rng, (3,), "int64"), beta=2, alpha=3),
        S(rnd(rng, (2, 3), "bool"), rnd(rng, (2,), "bool"), rnd(rng, (3,), "bool")),
    ]


def _addr_(rng, dt):
    return [S(rnd(rng, (2, 3), dt), rnd(rng, (2,), dt), rnd(rng, (3,), dt), beta=2, alpha=-1)]


def _baddbmm(rng, dt):
    return [
        S(rnd(rng, (2, 3, 5), dt), rnd(rng, (2, 3, 4), dt), rnd(rng, (2, 4, 5), dt)),
        S(rnd(rng, (5,), dt), rnd(rng, (2, 3, 4), dt), rnd(rng, (2, 4, 5), dt), beta=0.5, alpha=2),
        S(rnd(rng, (1, 3, 1), dt), rnd(rng, (2, 3, 4), dt), rnd(rng, (2, 4, 5), dt), beta=0),
        S(rnd(rng, (0, 3, 5), dt), rnd(rng, (0, 3, 4), dt), rnd(rng, (0, 4, 5), dt)),
    ]


def _baddbmm_(rng, dt):
    return [S(rnd(rng, (2, 3, 5), dt), rnd(rng, (2, 3, 4), dt), rnd(rng, (2, 4, 5), dt), beta=-1, alpha=0.5)]


def _addbmm(rng, dt):
    return [
        S(rnd(rng, (3, 5), dt), rnd(rng, (2, 3, 4), dt), rnd(rng, (2, 4, 5), dt)),
        S(rnd(rng, (5,), dt), rnd(rng, (2, 3, 4), dt), rnd(rng, (2, 4, 5), dt), beta=0.5, alpha=2),
        S(rnd(rng, (), dt), rnd(rng, (0, 3, 4), dt), rnd(rng, (0, 4, 5), dt)),
    ]


def _addbmm_(rng, dt):
    return [S(rnd(rng, (3, 5), dt), rnd(rng, (2, 3, 4), dt), rnd(rng, (2, 4, 5), dt), beta=2, alpha=-1)]


EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ij", [(2, 3)]),
    ("ij->i", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),
    ("...ij,...jk", [(2, 1, 2, 3), (3, 3, 4)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("ij,ij->i", [(2, 3), (2, 3)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("iij,jk->ik", [(3, 3, 2), (2, 4)]),
    ("ij,k->i", [(2, 3), (4,)]),
    ("ij,jk->ik", [(2, 1), (3, 4)]),
    ("...j,...j->...", [(2, 1, 3), (5, 3)]),
    ("i j , j k -> i k", [(2, 3), (3, 4)]),
    ("ba,ac->bc", [(0, 3), (3, 2)]),
    ("ij,jk->ik", [(2, 0), (0, 4)]),
    (",->", [(), ()]),
    ("i,->i", [(3,), ()]),
    ("Ab,bA->A", [(2, 3), (3, 2)]),
    ("...->...", [(2, 3)]),
    ("i...->...", [(2, 3, 4)]),
    ("iji->j", [(2, 3, 2)]),
]


def _einsum(rng, dt):
    return [S(eq, *[rnd(rng, s, dt) for s in shapes]) for eq, shapes in EINSUM_CASES]


def _einsum_list(rng, dt):
    return [
        S("ij,jk->ik", [rnd(rng, (2, 3), dt), rnd(rng, (3, 4), dt)]),
        S(rnd(rng, (2, 3), dt), [0, 1], rnd(rng, (3, 4), dt), [1, 2], [0, 2]),
        S(rnd(rng, (2, 3), dt), [0, 1], rnd(rng, (3, 4), dt), [1, 27]),
        S(rnd(rng, (5, 2, 3), dt), [Ellipsis, 0, 1], rnd(rng, (3,), dt), [1], [Ellipsis, 0]),
        S("ij,jk->ik", rnd(rng, (40, 50), dt), rnd(rng, (50, 30), dt)),
        S("bij,bjk,bkl->bil", rnd(rng, (2, 3, 4), dt), rnd(rng, (2, 4, 5), dt), rnd(rng, (2, 5, 2), dt)),
    ]


def _einsum_int(rng, dt):
    return [
        S("ij,jk->ik", rnd(rng, (2, 3), "int64"), rnd(rng, (3, 4), "int64")),
        S("ij->i", rnd(rng, (2, 3), "int32")),
        S("ij->ji", rnd(rng, (2, 3), "int32")),
        S("ij->i", rnd(rng, (2, 3), "bool")),
        S("i,j->ij", rnd(rng, (2,), "bool"), rnd(rng, (3,), "bool")),
    ]


def _tensordot(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), rnd(rng, (4, 5), dt), dims=1),
        S(rnd(rng, (3, 4), dt), rnd(rng, (3, 4), dt)),
        S(rnd(rng, (3, 4), dt), rnd(rng, (2, 5), dt), dims=0),
        S(rnd(rng, (3, 4, 2), dt), rnd(rng, (4, 3, 5), dt), dims=([0, 1], [1, 0])),
        S(rnd(rng, (3, 4, 2), dt), rnd(rng, (2, 4), dt), dims=([-1], [0])),
        S(rnd(rng, (2, 1), dt), rnd(rng, (3, 2), dt), dims=([1], [0])),
        S(rnd(rng, (0, 4), dt), rnd(rng, (4, 5), dt), dims=1),
    ]


def _kron(rng, dt):
    return _pairs([((2, 3), (2,)), ((2, 3), (3, 2)), ((), (2,)), ((2,), ()), ((2, 1, 3), (2, 2)), ((0, 2), (2, 3))])(
        rng, dt
    )


def _kron_mixed(rng, dt):
    return [
        S(rnd(rng, (2,), "float32"), rnd(rng, (3,), "int64")),
        S(rnd(rng, (2, 2), "int64"), rnd(rng, (2,), "int64")),
        S(rnd(rng, (2,), "bool"), rnd(rng, (2,), "bool")),
    ]


def _cross(rng, dt):
    return [
        S(rnd(rng, (3,), dt), rnd(rng, (3,), dt), dim=0),
        S(rnd(rng, (4, 3), dt), rnd(rng, (4, 3), dt), dim=1),
        S(rnd(rng, (4, 3), dt), rnd(rng, (4, 3), dt), dim=-1),
        S(rnd(rng, (3, 4), dt), rnd(rng, (3, 4), dt), dim=0),
        S(rnd(rng, (1, 3), dt), rnd(rng, (4, 3), dt), dim=1),
        S(rnd(rng, (0, 3), dt), rnd(rng, (0, 3), dt), dim=1),
        S(rnd(rng, (2, 3, 2), dt), rnd(rng, (2, 3, 2), dt), dim=1),
    ]


def _cross_nodim(rng, dt):
    return [S(rnd(rng, (3, 4), dt), rnd(rng, (3, 4), dt)), S(rnd(rng, (4, 3), dt), rnd(rng, (4, 3), dt))]


def _cdist(rng, dt):
    out = []
    for p in (2.0, 1.0, 0.0, 3.0, 0.5, float("inf")):
        out.append(S(rnd(rng, (3, 4), dt), rnd(rng, (5, 4), dt), p=p))
    out += [
        S(rnd(rng, (2, 3, 4), dt), rnd(rng, (2, 5, 4), dt)),
        S(rnd(rng, (2, 3, 2), dt), rnd(rng, (1, 4, 2), dt), p=1.5),
        S(rnd(rng, (0, 3), dt), rnd(rng, (2, 3), dt)),
        S(rnd(rng, (2, 0), dt), rnd(rng, (3, 0), dt)),
        S(rnd(rng, (2, 3), dt), rnd(rng, (4, 3), dt), compute_mode="donot_use_mm_for_euclid_dist"),
    ]
    return out


def _cdist_big(rng, dt):
    # more than 25 rows: torch computes p=2 distances through one matmul (its grad_fn: ViewBackward0)
    return [S(rnd(rng, (30, 3), dt), rnd(rng, (4, 3), dt)), S(rnd(rng, (2, 3), dt), rnd(rng, (27, 3), dt))]


def _trace(rng, dt):
    return [S(rnd(rng, s, dt)) for s in ((3, 3), (2, 4), (4, 2), (0, 3), (1, 1))]


def _trace_int(rng, dt):
    return [S(rnd(rng, (3, 3), "int32")), S(rnd(rng, (2, 3), "uint8")), S(rnd(rng, (3, 3), "int64"))]


def _chain(rng, dt):
    return [
        S(rnd(rng, (2, 3), dt), rnd(rng, (3, 4), dt), rnd(rng, (4, 5), dt)),
        S(rnd(rng, (2, 3), dt), rnd(rng, (3, 4), dt)),
        S(rnd(rng, (2, 3), dt)),
        S(rnd(rng, (5, 1), dt), rnd(rng, (1, 4), dt), rnd(rng, (4, 2), dt), rnd(rng, (2, 3), dt)),
    ]


def _int_pairs(rng, dt):
    return [S(rnd(rng, a, dt), rnd(rng, b, dt)) for a, b in MATMUL_SHAPES[:11]]


OPS = [
    OpInfo("matmul", _pairs(MATMUL_SHAPES), dtypes=FLOATS + ("float16", "bfloat16", "complex64", "complex128")),
    OpInfo("matmul", _int_pairs, dtypes=("int64", "int32"), grad=False),
    OpInfo("Tensor.matmul", _pairs(MATMUL_SHAPES[:6]), method=True),
    OpInfo("Tensor.__matmul__", _pairs(MATMUL_SHAPES), method=True),
    OpInfo("Tensor.__rmatmul__", _pairs([((3, 4), (2, 3)), ((3,), (3,)), ((2, 3, 4), (3,))]), method=True),
    OpInfo("mm", _mm, dtypes=FLOATS + ("complex128", "int64", "float16")),
    OpInfo("Tensor.mm", _mm, method=True),
    OpInfo(
        "bmm",
        _bmm,
        dtypes=FLOATS
        + (
            "complex128",
            "int32",
        ),
    ),
    OpInfo("Tensor.bmm", _bmm, method=True),
    OpInfo(
        "mv",
        _mv,
        dtypes=FLOATS
        + (
            "complex128",
            "int64",
        ),
    ),
    OpInfo("Tensor.mv", _mv, method=True),
    OpInfo("dot", _dot, dtypes=FLOATS + ("complex128", "int64", "float16")),
    OpInfo("Tensor.dot", _dot, method=True),
    OpInfo(
        "vdot",
        _dot,
        dtypes=FLOATS
        + (
            "complex128",
            "int64",
        ),
    ),
    OpInfo("Tensor.vdot", _dot, method=True),
    OpInfo(
        "inner",
        _inner,
        dtypes=FLOATS
        + (
            "complex128",
            "int64",
        ),
    ),
    OpInfo("Tensor.inner", _inner, method=True),
    OpInfo("outer", _outer, dtypes=FLOATS + ("complex128", "int64", "bool"), aliases=("ger",)),
    OpInfo("Tensor.outer", _outer, method=True),
    OpInfo("Tensor.ger", _outer, method=True),
    OpInfo(
        "addmm",
        _addmm,
        dtypes=FLOATS
        + (
            "complex128",
            "int64",
        ),
    ),
    OpInfo("Tensor.addmm", _addmm, method=True),
    OpInfo("Tensor.addmm_", _addmm_, inplace=True, gradcheck=False),
    OpInfo(
        "addmv",
        _addmv,
        dtypes=FLOATS
        + (
            "complex128",
            "int64",
        ),
    ),
    OpInfo("Tensor.addmv", _addmv, method=True),
    OpInfo("Tensor.addmv_", _addmv_, inplace=True, gradcheck=False),
    OpInfo("addr", _addr, dtypes=FLOATS + ("complex128",)),
    OpInfo("addr", _addr_mixed, dtypes=("float32",), grad=False),
    OpInfo("Tensor.addr", _addr, method=True),
    OpInfo("Tensor.addr_", _addr_, inplace=True, gradcheck=False),
    OpInfo(
        "baddbmm",
        _baddbmm,
        dtypes=FLOATS
        + (
            "complex128",
            "int64",
        ),
    ),
    OpInfo("Tensor.baddbmm", _baddbmm, method=True),
    OpInfo("Tensor.baddbmm_", _baddbmm_, inplace=True, gradcheck=False),
    OpInfo(
        "addbmm",
        _addbmm,
        dtypes=FLOATS
        + (
            "complex128",
            "int64",
        ),
    ),
    OpInfo("Tensor.addbmm", _addbmm, method=True),
    OpInfo("Tensor.addbmm_", _addbmm_, inplace=True, gradcheck=False),
    OpInfo("einsum", _einsum, dtypes=FLOATS + ("float16", "complex128")),
    OpInfo("einsum", _einsum_list),
    OpInfo("einsum", _einsum_int, dtypes=("int64",), grad=False),
    OpInfo(
        "tensordot",
        _tensordot,
        dtypes=FLOATS
        + (
            "complex128",
            "int64",
        ),
    ),
    OpInfo(
        "kron",
        _kron,
        dtypes=FLOATS
        + (
            "complex128",
            "int64",
        ),
    ),
    OpInfo("kron", _kron_mixed, dtypes=("float32",), grad=False),
    OpInfo("Tensor.kron", _kron, method=True),
    OpInfo(
        "cross",
        _cross,
        dtypes=FLOATS
        + (
            "complex128",
            "int64",
        ),
    ),
    OpInfo("cross", _cross_nodim),
    OpInfo("Tensor.cross", _cross, method=True),
    # torch has no second derivative for cdist's own backward (_cdist_backward): gradgrad is not comparable
    OpInfo("cdist", _cdist, gradgrad=False),
    OpInfo("cdist", _cdist_big, dtypes=("float64",)),
    OpInfo(
        "trace",
        _trace,
        dtypes=FLOATS
        + (
            "complex128",
            "float16",
        ),
    ),
    OpInfo("trace", _trace_int, dtypes=("int64",), grad=False),
    OpInfo("Tensor.trace", _trace, method=True),
    OpInfo(
        "chain_matmul",
        _chain,
        dtypes=FLOATS
        + (
            "complex128",
            "int64",
        ),
    ),
]

ERRORS = [
    ErrorInput("matmul", S(_f(), _f(3))),
    ErrorInput("matmul", S(_f(3, 4), _f(3, 4))),
    ErrorInput("matmul", S(_f(3), _f(4))),
    ErrorInput("matmul", S(_f(2, 3), _f(4))),
    ErrorInput("matmul", S(_f(4), _f(3, 2))),
    ErrorInput("matmul", S(_f(2, 2, 3), _f(2, 4, 5))),
    ErrorInput("matmul", S(_f(2, 2, 3), _f(3, 3, 5))),
    ErrorInput("matmul", S(_f(2, 2, 3), _f(4, 5))),
    ErrorInput("matmul", S(_f(2, 3), _d(3, 4))),
    ErrorInput("matmul", S(_f(3), _d(3))),
    ErrorInput("matmul", S(_f(2, 2, 3), _d(2, 3, 4))),
    ErrorInput("matmul", S(_i(2, 3), _f(3, 4))),
    ErrorInput("matmul", S(_b(2, 3), _b(3, 4))),
    ErrorInput("matmul", S(_b(3), _b(3))),
    ErrorInput("mm", S(_f(3, 4), _f(3, 4))),
    ErrorInput("mm", S(_f(3), _f(3, 4))),
    ErrorInput("mm", S(_f(3, 4), _f(4))),
    ErrorInput("mm", S(_f(3, 4), _d(4, 2))),
    ErrorInput("bmm", S(_f(2, 3, 4), _f(2, 3, 4))),
    ErrorInput("bmm", S(_f(2, 3, 4), _f(3, 4, 4))),
    ErrorInput("bmm", S(_f(3, 4), _f(4, 4))),
    ErrorInput("bmm", S(_f(2, 3, 4), _d(2, 4, 4))),
    ErrorInput("mv", S(_f(3, 4), _f(3))),
    ErrorInput("mv", S(_f(3), _f(3))),
    ErrorInput("mv", S(_f(3, 4), _d(4))),
    ErrorInput("dot", S(_f(3), _f(4))),
    ErrorInput("dot", S(_f(3, 1), _f(3))),
    ErrorInput("dot", S(_f(3), _d(3))),
    ErrorInput("dot", S(_b(3), _b(3))),
    ErrorInput("vdot", S(_f(), _f())),
    ErrorInput("inner", S(_f(3, 4), _f(2, 5))),
    ErrorInput("inner", S(_f(3, 4), _d(2, 4))),
    ErrorInput("outer", S(_f(3, 1), _f(2))),
    ErrorInput("outer", S(_f(), _f(2))),
    ErrorInput("ger", S(_f(3), _f(2, 2))),
    ErrorInput("addmm", S(_f(2, 5), _f(2, 3), _f(3, 4))),
    ErrorInput("addmm", S(_f(2, 4), _f(2, 3), _f(4, 4))),
    ErrorInput("addmm", S(_d(2, 4), _f(2, 3), _f(3, 4))),
    ErrorInput("addmm", S(_f(2, 4), _f(3), _f(3, 4))),
    ErrorInput("addmm", S(_f(1, 2, 4), _f(2, 3), _f(3, 4))),
    ErrorInput("addmm_", S(_f(1, 4), _f(2, 3), _f(3, 4)), method=True),
    ErrorInput("addmv", S(_f(2), _f(2, 3), _f(4))),
    ErrorInput("addmv", S(_f(3), _f(2, 3), _f(3))),
    ErrorInput("addmv", S(_d(2), _f(2, 3), _f(3))),
    ErrorInput("addmv", S(_f(2, 2), _f(2, 3), _f(3))),
    ErrorInput("addmv_", S(_f(1), _f(2, 3), _f(3)), method=True),
    ErrorInput("addr", S(_f(2, 4), _f(2), _f(3))),
    ErrorInput("addr", S(_i(2, 3), _i(2), _i(3), alpha=0.5)),
    ErrorInput("addr", S(_f(2, 3), _f(2, 1), _f(3))),
    ErrorInput("addr_", S(_f(1, 3), _f(2), _f(3)), method=True),
    ErrorInput("baddbmm", S(_f(2, 3, 6), _f(2, 3, 4), _f(2, 4, 5))),
    ErrorInput("baddbmm", S(_d(2, 3, 5), _f(2, 3, 4), _f(2, 4, 5))),
    ErrorInput("baddbmm", S(_f(2, 3, 5), _f(2, 3, 4), _f(2, 3, 5))),
    ErrorInput("baddbmm_", S(_f(1, 3, 5), _f(2, 3, 4), _f(2, 4, 5)), method=True),
    ErrorInput("addbmm", S(_f(3, 5), _f(2, 3, 4), _f(2, 3, 5))),
    ErrorInput("addbmm", S(_f(3, 5), _f(2, 3, 4), _f(3, 4, 5))),
    ErrorInput("addbmm", S(_d(3, 5), _f(2, 3, 4), _f(2, 4, 5))),
    ErrorInput("addbmm_", S(_f(2, 5), _f(2, 3, 4), _f(2, 4, 5)), method=True),
    ErrorInput("einsum", S("ij,jk->ik", _f(2, 3), _f(4, 5))),
    ErrorInput("einsum", S("ij,jk->ik", _f(2, 3), _d(3, 5))),
    ErrorInput("einsum", S("ij,jk->ik", _f(2, 3))),
    ErrorInput("einsum", S("ij->i", _f(2, 3), _f(2))),
    ErrorInput("einsum", S("ij->i", _f(2, 3, 4))),
    ErrorInput("einsum", S("ii->i", _f(2, 3))),
    ErrorInput("einsum", S("ij->ii", _f(2, 3))),
    ErrorInput("einsum", S("ij->k", _f(2, 3))),
    ErrorInput("einsum", S("i1->i", _f(2, 3))),
    ErrorInput("einsum", S("ij,jk", _b(2, 3), _b(3, 5))),
    ErrorInput("einsum", S("...ij,...jk", _f(2, 2, 3), _f(3, 3, 4))),
    ErrorInput("tensordot", S(_f(3, 4), _f(5, 5), dims=1)),
    ErrorInput("tensordot", S(_f(3, 4), _d(4, 5), dims=1)),
    ErrorInput("tensordot", S(_f(3, 4), _f(4, 3), dims=-1)),
    ErrorInput("tensordot", S(_f(2, 3), _f(3, 2), dims=3)),
    ErrorInput("tensordot", S(_f(2, 3), _f(3, 2), dims=([1], [0, 1]))),
    ErrorInput("tensordot", S(_f(2, 3), _f(3, 2), dims=([2], [0]))),
    ErrorInput("tensordot", S(_f(3, 3), _f(3, 3), dims=([0, 0], [0, 1]))),
    ErrorInput("cross", S(_f(4, 4), _f(4, 4))),
    ErrorInput("cross", S(_f(3), _d(3))),
    ErrorInput("cross", S(_f(3, 4), _f(3, 4), dim=1)),
    ErrorInput("cross", S(_f(2, 3), _f(3), dim=1)),
    ErrorInput("cross", S(_f(3), _f(3), dim=2)),
    ErrorInput("cross", S(_b(3), _b(3), dim=0)),
    ErrorInput("cdist", S(_f(3, 4), _f(5, 3))),
    ErrorInput("cdist", S(_f(4), _f(4))),
    ErrorInput("cdist", S(_f(3, 4), _d(5, 4))),
    ErrorInput("cdist", S(_i(3, 4), _i(5, 4))),
    ErrorInput("cdist", S(_f(3, 4), _f(5, 4), p=-1)),
    ErrorInput("cdist", S(_f(2, 3, 4), _f(3, 5, 4))),
    ErrorInput("trace", S(_f(2, 3, 4))),
    ErrorInput("trace", S(_f(3))),
    ErrorInput("trace", S(_b(3, 3))),
    ErrorInput("chain_matmul", S()),
    ErrorInput("chain_matmul", S(_f(2, 3), _f(3))),
    ErrorInput("chain_matmul", S(_f(2, 3), _f(4, 4))),
    ErrorInput("chain_matmul", S(_d(2, 3), _f(3, 4))),
    ErrorInput("kron", S(_f(2), 3)),
]
