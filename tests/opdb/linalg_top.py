"""Linear algebra: torch's top-level names (det, inverse, qr, svd, ...) and `linalg.*` entries whose outputs
are gauge-free or match LAPACK's conventions. Decompositions with a sign/phase gauge (eigh's and eig's
eigenvectors) and singular input are tested in tests/test_linalg.py."""

import numpy as np

from op_db import ErrorInput, NoGrad, OpInfo, S
from opdb._util import rnd as _rnd

FLOATS = ("float32", "float64")
ALL = ("float32", "float64", "complex64", "complex128")
TOL = {"rtol": 1e-4, "atol": 1e-4}


def rnd(rng, shape, dt, low=-1.0, high=1.0):
    return np.asarray(_rnd(rng, shape, dt, low, high))


def sq(rng, shape, dt):
    """Well-conditioned square matrices: random plus n on the diagonal."""
    a = rnd(rng, shape, dt)
    n = shape[-1]
    return (a + n * np.eye(n)).astype(dt)


def spd(rng, shape, dt):
    a = rnd(rng, shape, dt)
    n = shape[-1]
    return (a @ np.swapaxes(a, -1, -2).conj() + n * np.eye(n)).astype(dt)


def sym(rng, shape, dt):
    """Hermitian with well-separated eigenvalues."""
    n = shape[-1]
    q, _ = np.linalg.qr(rnd(rng, shape, dt))
    w = np.arange(1, n + 1) * 1.5 - n - 0.25
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2).conj()


def distinct_sv(rng, shape, dt):
    """Matrices with well-separated singular values."""
    m, n = shape[-2:]
    u, _ = np.linalg.qr(rnd(rng, shape[:-2] + (m, m), dt))
    v, _ = np.linalg.qr(rnd(rng, shape[:-2] + (n, n), dt))
    k = min(m, n)
    s = np.zeros(shape, dtype=dt)
    idx = np.arange(k)
    s[..., idx, idx] = np.arange(k, 0, -1) + 0.5
    return (u @ s @ v).astype(dt)


def lower(rng, shape, dt):
    return np.tril(sq(rng, shape, dt)).astype(dt)


def upper(rng, shape, dt):
    return np.triu(sq(rng, shape, dt)).astype(dt)


SQ_SHAPES = [(3, 3), (2, 3, 3), (1, 1), (0, 0), (2, 0, 0)]


def _unary(gen, shapes=SQ_SHAPES, **kw):
    def f(rng, dt):
        return [S(gen(rng, s, np.dtype(dt)), **kw) for s in shapes]

    return f


def _solve(rng, dt):
    return [
        S(sq(rng, (3, 3), dt), rnd(rng, (3, 2), dt)),
        S(sq(rng, (3, 3), dt), rnd(rng, (3,), dt)),
        S(sq(rng, (2, 3, 3), dt), rnd(rng, (2, 3), dt)),
        S(sq(rng, (2, 3, 3), dt), rnd(rng, (3, 1), dt)),
        S(sq(rng, (1, 3, 3), dt), rnd(rng, (2, 3, 2), dt)),
        S(sq(rng, (0, 0), dt), rnd(rng, (0, 2), dt)),
    ] + ([S(sq(rng, (3, 3), dt), rnd(rng, (2, 3), dt), left=False)] if dt.kind == "f" else [])


def _solve_tri(rng, dt):
    return [
        S(upper(rng, (3, 3), dt), rnd(rng, (3, 2), dt), upper=True),
        S(lower(rng, (2, 3, 3), dt), rnd(rng, (2, 3, 4), dt), upper=False),
        S(lower(rng, (3, 3), dt), rnd(rng, (2, 3), dt), upper=False, left=False),
        S(upper(rng, (3, 3), dt), rnd(rng, (3, 2), dt), upper=True, unitriangular=True),
        S(sq(rng, (3, 3), dt), rnd(rng, (3, 2), dt), upper=True),
    ]


def _rect(gen=distinct_sv, shapes=((3, 3), (4, 2), (2, 4), (2, 3, 2)), **kw):
    def f(rng, dt):
        return [S(gen(rng, s, np.dtype(dt)), **kw) for s in shapes]

    return f


def _lstsq(rng, dt):
    return [
        S(distinct_sv(rng, (4, 3), dt), rnd(rng, (4, 2), dt)),
        S(distinct_sv(rng, (3, 3), dt), rnd(rng, (3,), dt)),
        S(distinct_sv(rng, (2, 4, 3), dt), rnd(rng, (2, 4, 2), dt)),
        S(distinct_sv(rng, (5, 3), dt), rnd(rng, (5, 2), dt), driver="gelsd"),
    ]


def _pinv(rng, dt):
    return [
        S(distinct_sv(rng, (3, 3), dt)),
        S(distinct_sv(rng, (4, 2), dt)),
        S(distinct_sv(rng, (2, 2, 4), dt)),
        S(distinct_sv(rng, (3, 3), dt), rtol=0.01),
        S(distinct_sv(rng, (3, 3), dt), atol=0.1, rtol=0.0),
    ]


def _mpow(rng, dt):
    out = [S(sq(rng, (3, 3), dt), n) for n in (0, 1, 2, 3, 5, -1, -2, 6)]
    return out + [S(sq(rng, (2, 3, 3), dt), 4), S(sq(rng, (0, 0), dt), 2)]


def _mexp(rng, dt):
    return [S(rnd(rng, s, dt)) for s in [(3, 3), (2, 3, 3), (1, 1), (0, 0)]] + [S(rnd(rng, (4, 4), dt) * 3)]


def _lu_factor(rng, dt):
    return [S(sq(rng, s, dt)) for s in [(3, 3), (2, 4, 4), (1, 1)]] + [S(rnd(rng, (3, 5), dt)), S(rnd(rng, (5, 3), dt))]


def _lu_solve(rng, dt):
    import scipy.linalg as sl

    out = []
    for a, b, kw in [
        ((3, 3), (3, 2), {}),
        ((2, 3, 3), (2, 3, 1), {}),
        ((3, 3), (3, 2), {"adjoint": True}),
        ((3, 3), (2, 3), {"left": False}),
        ((3, 3), (2, 3), {"left": False, "adjoint": True}),
    ]:
        A = sq(rng, a, dt)
        lu, piv = sl.lu_factor(A)
        out.append(S(np.ascontiguousarray(lu, dtype=dt), NoGrad((piv + 1).astype(np.int32)), rnd(rng, b, dt), **kw))
    return out


def _lu_unpack(rng, dt):
    import scipy.linalg as sl

    out = []
    for a in [(3, 3), (2, 4, 4), (3, 5), (5, 3)]:
        lu, piv = sl.lu_factor(sq(rng, a, dt) if a[-1] == a[-2] else rnd(rng, a, dt))
        out.append(S(np.ascontiguousarray(lu, dtype=dt), NoGrad((piv + 1).astype(np.int32))))
    return out


def _norm_samples(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt)),
        S(rnd(rng, (2, 3, 4), dt)),
        S(rnd(rng, (5,), dt), 3),
        S(rnd(rng, (3, 4), dt), "fro"),
        S(rnd(rng, (3, 4), dt), "nuc"),
        S(rnd(rng, (3, 4), dt), 1),
        S(rnd(rng, (3, 4), dt), float("inf")),
        S(rnd(rng, (3, 4), dt), -1),
        S(rnd(rng, (3, 4), dt), 2),
        S(rnd(rng, (2, 3, 4), dt), 2, (0, 2)),
        S(rnd(rng, (2, 3, 4), dt), None, 1, True),
        S(rnd(rng, (2, 3, 4), dt), "fro", (1, 2), True),
    ]


def _matrix_norm(rng, dt):
    out = [S(rnd(rng, (3, 4), dt), o) for o in ("fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf"))]
    out += [S(rnd(rng, (2, 3, 4), dt), o, keepdim=True) for o in ("fro", "nuc", 1, -1, 2, float("-inf"))]
    out += [S(rnd(rng, (2, 3, 4), dt), o, (0, 2)) for o in ("nuc", 1, float("inf"), -2)]
    out += [S(rnd(rng, (2, 3, 4), dt), o, (2, 0), True) for o in (1, float("inf"))]
    return out


def _vector_norm(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt)),
        S(rnd(rng, (3, 4), dt), 1, 1),
        S(rnd(rng, (3, 4), dt), float("inf"), (0, 1), True),
        S(rnd(rng, (5,), dt), 3.5),
        S(rnd(rng, (), dt)),
        S(rnd(rng, (0, 3), dt), 2, 1),
    ]


def _cross(rng, dt):
    return [
        S(rnd(rng, (4, 3), dt), rnd(rng, (4, 3), dt)),
        S(rnd(rng, (3, 2), dt), rnd(rng, (3, 2), dt), dim=0),
        S(rnd(rng, (2, 4, 3), dt), rnd(rng, (1, 4, 3), dt)),
    ]


def _multi_dot(rng, dt):
    return [
        S([rnd(rng, (2, 3), dt), rnd(rng, (3, 4), dt)]),
        S([rnd(rng, (3,), dt), rnd(rng, (3, 4), dt), rnd(rng, (4, 2), dt)]),
        S([rnd(rng, (2, 3), dt), rnd(rng, (3, 4), dt), rnd(rng, (4,), dt)]),
        S([rnd(rng, (3,), dt), rnd(rng, (3, 4), dt), rnd(rng, (4,), dt)]),
        S([rnd(rng, (2, 3), dt), rnd(rng, (3, 5), dt), rnd(rng, (5, 4), dt), rnd(rng, (4, 2), dt)]),
    ]


def _householder(rng, dt):
    return [
        S(rnd(rng, (4, 3), dt), rnd(rng, (3,), dt)),
        S(rnd(rng, (3, 3), dt), rnd(rng, (2,), dt)),
        S(rnd(rng, (2, 4, 2), dt), rnd(rng, (2, 2), dt)),
    ]


def _tensorinv(rng, dt):
    return [S(sq(rng, (6, 6), dt).reshape(2, 3, 6), ind=2), S(sq(rng, (4, 4), dt).reshape(4, 2, 2), ind=1)]


def _tensorsolve(rng, dt):
    return [
        S(sq(rng, (6, 6), dt).reshape(2, 3, 6), rnd(rng, (2, 3), dt)),
        S(sq(rng, (6, 6), dt).reshape(6, 2, 3), rnd(rng, (6,), dt)),
        S(sq(rng, (6, 6), dt).reshape(2, 6, 3), rnd(rng, (6,), dt), dims=(0,)),
    ]


def _vander(rng, dt):
    return [S(rnd(rng, (4,), dt)), S(rnd(rng, (2, 3), dt), N=5), S(rnd(rng, (3,), dt), N=2)]


def _vecdot(rng, dt):
    return [
        S(rnd(rng, (3, 4), dt), rnd(rng, (3, 4), dt)),
        S(rnd(rng, (3, 4), dt), rnd(rng, (4,), dt)),
        S(rnd(rng, (3, 4), dt), rnd(rng, (3, 4), dt), dim=0),
    ]


def _diag(rng, dt):
    return [S(rnd(rng, (3, 4), dt)), S(rnd(rng, (2, 3, 4), dt), offset=1), S(rnd(rng, (2, 3, 4), dt), dim1=0, dim2=2)]


def _chol_solve(rng, dt):
    out = []
    for up in (False, True):
        low = np.linalg.cholesky(spd(rng, (3, 3), dt))
        f = np.swapaxes(low, -1, -2).conj() if up else low
        out.append(S(rnd(rng, (3, 2), dt), np.ascontiguousarray(f), up))
    low = np.linalg.cholesky(spd(rng, (2, 3, 3), dt))
    out.append(S(rnd(rng, (3, 1), dt), low))
    return out


def _chol_inv(rng, dt):
    out = []
    for up in (False, True):
        low = np.linalg.cholesky(spd(rng, (3, 3), dt))
        f = np.swapaxes(low, -1, -2).conj() if up else low
        out.append(S(np.ascontiguousarray(f), up))
    out.append(S(np.linalg.cholesky(spd(rng, (2, 3, 3), dt))))
    return out


def _tri_solve(rng, dt):
    return [
        S(rnd(rng, (3, 2), dt), upper(rng, (3, 3), dt)),
        S(rnd(rng, (3, 2), dt), lower(rng, (3, 3), dt), False),
        S(rnd(rng, (2, 3, 2), dt), upper(rng, (3, 3), dt), True, True),
        S(rnd(rng, (3, 2), dt), upper(rng, (3, 3), dt), True, False, True),
    ]


def _chol(rng, dt):
    return [S(spd(rng, s, dt)) for s in [(3, 3), (2, 3, 3), (1, 1), (0, 0)]] + [S(spd(rng, (3, 3), dt), upper=True)]


def _sym_samples(rng, dt, **kw):
    return [S(sym(rng, s, dt), **kw) for s in [(3, 3), (2, 3, 3), (1, 1)]]


def _eigvals(rng, dt):
    # eigenvalues of a random real 3x3 are distinct (a complex pair and a real one, or three real)
    return [S(sq(rng, (3, 3), dt)), S(sq(rng, (2, 3, 3), dt)), S(sym(rng, (3, 3), dt))]


def _svd(rng, dt, **kw):
    # wide matrices: MKL's and OpenBLAS's singular vectors differ in sign; tested in tests/test_linalg.py
    return [S(distinct_sv(rng, s, dt), **kw) for s in [(3, 3), (4, 2), (2, 3, 2)]]


def _f(*s):
    return np.ones(s, np.float32)


def _i(*s):
    return np.ones(s, np.int64)


OPS = [
    # -- top level --
    OpInfo("det", _unary(sq), dtypes=ALL, **TOL),
    OpInfo("Tensor.det", _unary(sq), **TOL),
    OpInfo("logdet", _unary(sq, [(3, 3), (2, 3, 3)]), **TOL),
    # negative determinant: nan (no numerical gradient)
    OpInfo("logdet", _unary(lambda r, s, d: -sq(r, s, d), [(3, 3)]), gradcheck=False, **TOL),
    OpInfo("Tensor.logdet", _unary(spd, [(3, 3)]), **TOL),
    OpInfo("slogdet", _unary(sq), dtypes=ALL, **TOL),
    OpInfo("Tensor.slogdet", _unary(sq, [(3, 3)]), **TOL),
    OpInfo("inverse", _unary(sq), dtypes=ALL, **TOL),
    OpInfo("Tensor.inverse", _unary(sq, [(2, 3, 3)]), **TOL),
    # torch.cholesky reads only the lower triangle: numerical gradcheck (which perturbs the upper one) is
    # replaced by the symmetrised check in tests/test_linalg.py
    OpInfo("cholesky", _chol, gradcheck=False, **TOL),
    OpInfo("Tensor.cholesky", _unary(spd, [(3, 3)]), gradcheck=False, **TOL),
    # the factor's gradient is torch's full (not triangular) matrix although one triangle is read: no gradcheck
    OpInfo("cholesky_solve", _chol_solve, dtypes=ALL, gradcheck=False, **TOL),
    OpInfo("Tensor.cholesky_solve", _chol_solve, gradcheck=False, **TOL),
    OpInfo("cholesky_inverse", _chol_inv, dtypes=ALL, gradcheck=False, **TOL),
    OpInfo("Tensor.cholesky_inverse", _chol_inv, gradcheck=False, **TOL),
    OpInfo("qr", _rect(), **TOL),
    OpInfo("qr", _rect(shapes=((3, 3), (2, 4)), some=False), **TOL),
    OpInfo("Tensor.qr", _rect(shapes=((4, 2),)), **TOL),
    OpInfo("svd", lambda r, d: _svd(r, d), gauge="V", **TOL),
    # compute_uv=False: the zero-filled U comes first among float outputs, which the gradcheck harness pairs
    # with the upstream grads of differentiable outputs only
    OpInfo("svd", lambda r, d: _svd(r, d, compute_uv=False), gradcheck=False, **TOL),
    OpInfo("Tensor.svd", lambda r, d: _svd(r, d)[:2], gauge="V", **TOL),
    OpInfo("pinverse", _rect(), **TOL),
    OpInfo("Tensor.pinverse", _rect(shapes=((4, 2),)), **TOL),
    OpInfo("matrix_power", _mpow, **TOL),
    OpInfo("Tensor.matrix_power", _mpow, **TOL),
    OpInfo("matrix_exp", _mexp, dtypes=ALL, **TOL),
    OpInfo("Tensor.matrix_exp", _mexp, **TOL),
    OpInfo("lu", _lu_factor, **TOL),
    OpInfo("lu", lambda r, d: [S(sq(r, (3, 3), d), get_infos=True)], **TOL),
    OpInfo("Tensor.lu", _lu_factor, **TOL),
    OpInfo("lu_solve", lambda r, d: [S(s.args[2], s.args[0], s.args[1]) for s in _lu_solve(r, d)[:2]], **TOL),
    OpInfo("Tensor.lu_solve", lambda r, d: [S(s.args[2], s.args[0], s.args[1]) for s in _lu_solve(r, d)[:2]], **TOL),
    OpInfo("lu_unpack", _lu_unpack, gradcheck=False, **TOL),  # P (no grad) comes first: see svd compute_uv
    OpInfo("triangular_solve", _tri_solve, dtypes=ALL, **TOL),
    OpInfo("Tensor.triangular_solve", _tri_solve, **TOL),
    # -- torch.linalg --
    OpInfo("linalg.inv", _unary(sq), dtypes=ALL, **TOL),
    OpInfo("linalg.inv_ex", _unary(sq), **TOL),
    OpInfo("linalg.det", _unary(sq), dtypes=ALL, **TOL),
    OpInfo("linalg.slogdet", _unary(sq), dtypes=ALL, **TOL),
    OpInfo("linalg.solve", _solve, dtypes=ALL, **TOL),
    OpInfo("linalg.solve_ex", _solve, **TOL),
    OpInfo("linalg.solve_triangular", _solve_tri, dtypes=ALL, **TOL),
    OpInfo("linalg.lstsq", _lstsq, **TOL),
    OpInfo("linalg.cholesky", _chol, dtypes=ALL, gradcheck=False, **TOL),  # reads one triangle: see cholesky
    OpInfo("linalg.cholesky_ex", _chol, gradcheck=False, **TOL),
    OpInfo("linalg.qr", _rect(), dtypes=ALL, **TOL),
    OpInfo("linalg.qr", _rect(shapes=((3, 3), (2, 4)), mode="complete"), **TOL),
    OpInfo("linalg.qr", _rect(mode="r"), grad=False, **TOL),
    # full_matrices=True: the extra columns of U are arbitrary, so only the reduced case is gradchecked
    OpInfo("linalg.svd", _rect(shapes=((3, 3), (4, 2), (2, 3, 2))), gradcheck=False, gauge="Vh", **TOL),
    OpInfo("linalg.svd", _rect(shapes=((3, 3), (4, 2)), full_matrices=False), gauge="Vh", **TOL),
    OpInfo("linalg.svdvals", _rect(), dtypes=ALL, **TOL),
    OpInfo("linalg.eigvals", _eigvals, gradcheck=False, **TOL),  # complex output: the harness checks floats only
    # eigvalsh reads one triangle: numerical gradcheck is done symmetrised in tests/test_linalg.py
    OpInfo("linalg.eigvalsh", lambda r, d: _sym_samples(r, d), dtypes=ALL, gradcheck=False, **TOL),
    OpInfo("linalg.eigvalsh", lambda r, d: _sym_samples(r, d, UPLO="U"), gradcheck=False, **TOL),
    OpInfo("linalg.pinv", _pinv, **TOL),
    # hermitian=True reads one triangle: numerical gradcheck does not apply
    OpInfo("linalg.pinv", lambda r, d: [S(sym(r, (3, 3), d), hermitian=True)], gradcheck=False, **TOL),
    OpInfo(
        "linalg.matrix_rank", lambda r, d: [S(x.args[0]) for x in _pinv(r, d)] + [S(_f(3, 3).astype(d))], grad=False
    ),
    OpInfo(
        "linalg.matrix_rank",
        lambda r, d: [S(sym(r, (3, 3), d), hermitian=True), S(sq(r, (3, 3), d), atol=3.5)],
        grad=False,
    ),
    OpInfo("linalg.matrix_power", _mpow, **TOL),
    OpInfo("linalg.matrix_exp", _mexp, dtypes=ALL, **TOL),
    OpInfo("linalg.cross", _cross, **TOL),
    OpInfo("linalg.multi_dot", _multi_dot, grad_fn=False, **TOL),  # torch reshapes the result (ViewBackward0)
    OpInfo("linalg.householder_product", _householder, grad_fn=False, **TOL),  # ember: composite of ember ops
    OpInfo("linalg.lu_factor", _lu_factor, **TOL),
    OpInfo("linalg.lu_factor_ex", _lu_factor, **TOL),
    OpInfo("linalg.lu", _lu_factor, gradcheck=False, **TOL),  # P (no grad) comes first: see svd compute_uv
    OpInfo("linalg.lu_solve", _lu_solve, **TOL),
    OpInfo("linalg.tensorinv", _tensorinv, grad_fn=False, **TOL),  # composite: torch's view names differ
    OpInfo("linalg.tensorsolve", _tensorsolve, grad_fn=False, **TOL),
    OpInfo("linalg.vander", _vander, **TOL),
    OpInfo("linalg.vander", _vander, dtypes=("int64",), grad=False),
    OpInfo("linalg.diagonal", _diag),
    # complex: torch's gradient carries the conj bit, which the oracle cannot convert to NumPy
    OpInfo("linalg.vecdot", _vecdot),
    # torch's second-order grads of the piecewise-linear orders are ZeroTensors the oracle cannot read
    OpInfo("linalg.norm", _norm_samples, gradgrad=False, **TOL),
    OpInfo("linalg.vector_norm", _vector_norm, gradgrad=False, **TOL),
    OpInfo("linalg.matrix_norm", _matrix_norm, gradgrad=False, **TOL),
    OpInfo("linalg.matrix_norm", lambda r, d: [S(rnd(r, (3, 4), d), o) for o in ("fro", "nuc")], **TOL),
]

ERRORS = [
    ErrorInput("det", S(_i(2, 2))),
    ErrorInput("det", S(_f(2, 3))),
    ErrorInput("det", S(_f(3))),
    ErrorInput("inverse", S(_f(2, 3))),
    ErrorInput("inverse", S(_i(2, 2))),
    ErrorInput("inverse", S(np.ones((2, 2), np.float16))),
    ErrorInput("slogdet", S(_f(2, 3))),
    ErrorInput("logdet", S(_i(2, 2))),
    ErrorInput("cholesky", S(_f(2, 3))),
    ErrorInput("cholesky", S(_i(2, 2))),
    ErrorInput("cholesky_solve", S(_f(3, 2), _f(2, 2))),
    ErrorInput("cholesky_inverse", S(_f(2, 3))),
    ErrorInput("qr", S(_i(2, 2))),
    ErrorInput("qr", S(_f(2))),
    ErrorInput("svd", S(_i(2, 2))),
    ErrorInput("svd", S(_f(2))),
    ErrorInput("pinverse", S(_i(2, 2))),
    ErrorInput("matrix_power", S(_f(2, 3), 2)),
    ErrorInput("matrix_power", S(_i(2, 2), -1)),
    ErrorInput("matrix_exp", S(_f(2, 3))),
    ErrorInput("matrix_exp", S(_i(2, 2))),
    ErrorInput("lu", S(_f(3))),
    ErrorInput("triangular_solve", S(_f(3, 2), _f(2, 2))),
    ErrorInput("linalg.inv", S(_i(2, 2))),
    ErrorInput("linalg.inv", S(_f(3))),
    ErrorInput("linalg.inv", S(_f(2, 3))),
    ErrorInput("linalg.det", S(_f(2, 3))),
    ErrorInput("linalg.solve", S(np.eye(3, dtype=np.float32), np.ones(3))),
    ErrorInput("linalg.solve", S(_f(3, 3), _f(4))),
    ErrorInput("linalg.solve", S(_f(3, 3), _f(4, 2))),
    ErrorInput("linalg.solve", S(_f(2, 3, 3), _f(3, 3, 2))),
    ErrorInput("linalg.solve", S(_i(3, 3), _i(3))),
    ErrorInput("linalg.solve_triangular", S(_f(2, 3), _f(2, 2), upper=True)),
    ErrorInput("linalg.solve_triangular", S(_f(2, 2), _f(2), upper=True)),
    ErrorInput("linalg.solve_triangular", S(_f(2, 2), _f(2, 2))),
    ErrorInput("linalg.lstsq", S(_f(3, 2), _f(4, 2))),
    ErrorInput("linalg.lstsq", S(_i(3, 2), _i(3, 2))),
    ErrorInput("linalg.cholesky", S(_f(2, 3))),
    ErrorInput("linalg.cholesky", S(_i(2, 2))),
    ErrorInput("linalg.qr", S(_f(2, 2), mode="x")),
    ErrorInput("linalg.qr", S(_i(2, 2))),
    ErrorInput("linalg.svd", S(_f(2))),
    ErrorInput("linalg.eig", S(_i(2, 2))),
    ErrorInput("linalg.eig", S(_f(2, 3))),
    ErrorInput("linalg.eigh", S(_f(2, 3))),
    ErrorInput("linalg.eigh", S(_f(2, 2), UPLO="X")),
    ErrorInput("linalg.eigvals", S(_f(2, 3))),
    ErrorInput("linalg.pinv", S(_i(2, 2))),
    ErrorInput("linalg.matrix_rank", S(_i(2, 2))),
    ErrorInput("linalg.matrix_exp", S(_f(2, 3))),
    ErrorInput("linalg.lu_factor", S(_f(3))),
    ErrorInput("linalg.lu_factor", S(_i(3, 3))),
    ErrorInput("linalg.lu_factor", S(np.zeros((3, 3), np.float32))),
    ErrorInput("linalg.norm", S(_i(3))),
    ErrorInput("linalg.norm", S(_f(2, 3, 3), 2)),
    ErrorInput("linalg.matrix_norm", S(_f(3))),
    ErrorInput("linalg.matrix_norm", S(_f(3, 3), 3)),
    ErrorInput("linalg.matrix_norm", S(_f(3, 3), "abc")),
    ErrorInput("linalg.vector_norm", S(_i(3))),
    ErrorInput("linalg.multi_dot", S([_f(2, 2)])),
    ErrorInput("linalg.multi_dot", S([_f(2, 2), _f(3, 2)])),
    ErrorInput("linalg.multi_dot", S([_f(2, 2, 2), _f(2, 2)])),
    ErrorInput("linalg.tensorinv", S(_f(4, 3), 1)),
    ErrorInput("linalg.cross", S(_f(3, 2), _f(3, 2))),
    ErrorInput("linalg.vecdot", S(_f(3), _f(4))),
    ErrorInput("linalg.vander", S(np.ones((), np.float32))),
]
