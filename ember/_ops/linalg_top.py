"""torch's top-level linear-algebra names (det, logdet, slogdet, inverse, cholesky*, qr, svd, pinverse,
matrix_power, matrix_exp, lu, lu_solve, lu_unpack, triangular_solve) as `ember.<name>` and Tensor methods.
Most forward to `ember.linalg`; the legacy ones with their own backward (cholesky, cholesky_solve,
cholesky_inverse, triangular_solve, lu_unpack) are here."""

import warnings

import numpy as np

from .. import linalg as L
from .. import return_types as _rt
from .._autocast import AUTOCAST, autocast_call
from ._core import GRAD, Node, Tensor, attach, attach_multi, bind, make, scalar_type_name, xp_of  # noqa: F401
from .binary import where
from .joining import cat
from .pointwise import log

__all__ = [
    "det",
    "logdet",
    "slogdet",
    "inverse",
    "cholesky",
    "cholesky_solve",
    "cholesky_inverse",
    "qr",
    "svd",
    "pinverse",
    "matrix_power",
    "matrix_exp",
    "lu",
    "lu_solve",
    "lu_unpack",
    "triangular_solve",
]


def _needs(*ts):
    return GRAD.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in ts)


def det(input):
    """Matches `torch.det`."""
    return L.det(input)


def logdet(input):
    """Matches `torch.logdet`: nan for a negative determinant (real input)."""
    sign, logabs = L._slogdet_impl(input, "linalg.slogdet", lambda s, a: (s, a))
    if input._data.dtype.kind == "c":
        return log(sign) + logabs
    return where(sign == -1, float("nan"), logabs)


def slogdet(input):
    """Matches `torch.slogdet`: (sign, logabsdet)."""
    return L._slogdet_impl(input, "linalg.slogdet", _rt.slogdet)


def inverse(input, *, out=None):
    """Matches `torch.inverse`."""
    if AUTOCAST.on and out is None:
        return autocast_call("inverse", inverse, (input,), {})
    return L.inv(input, out=out)


# -- cholesky family ------------------------------------------------------------------------

_WARNED = set()


def _warn_once(key, msg):
    if key not in _WARNED:
        _WARNED.add(key)
        warnings.warn(msg, UserWarning, stacklevel=3)


class CholeskyBackward0(Node):
    def backward(self, g):
        (Lf,) = self.saved
        return (L._cholesky_backward(g, Lf, self.upper),)


def cholesky(input, upper=False, *, out=None):
    """Matches `torch.cholesky` (deprecated in torch; warns once)."""
    if AUTOCAST.on and out is None:
        return autocast_call("cholesky", cholesky, (input, upper), {})
    _warn_once(
        "cholesky",
        "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future PyTorch "
        "release.",
    )
    L._tensor_arg(input, "cholesky", "input")
    if input._data.dtype.kind not in "fc":
        raise NotImplementedError(f"\"cholesky_cpu\" not implemented for '{scalar_type_name(input._data.dtype)}'")
    res = L._cholesky_impl(input, upper, "linalg.cholesky", True, CholeskyBackward0)[0]
    return L._arith._out(res, out)


def _chol_factor_checks(Lf, opname):
    L._tensor_arg(Lf, opname, "input")
    L._check_matrix(Lf, opname)
    m, n = Lf.shape[-2:]
    if m != n:
        raise RuntimeError(f"{opname}: A must be batches of square matrices, but they are {m} by {n} matrices")
    L._check_fp(Lf, opname)


def _cholesky_inverse_arrays(lf, upper):
    n = lf.shape[-1]
    xp = xp_of(lf)
    low = xp.swapaxes(lf, -1, -2).conj() if upper else lf
    eye = xp.broadcast_to(xp.eye(n, dtype=lf.dtype), lf.shape)
    linv = L._solve_tri_arrays(low, eye, False, True, False)
    return xp.matmul(xp.swapaxes(linv, -1, -2).conj(), linv)


class CholeskyInverseBackward0(Node):
    def backward(self, g):
        Lf, inv_ = self.saved
        common = inv_ @ ((g + g.mH) @ inv_)
        return (-(Lf @ common) if self.upper else -(common @ Lf),)


def cholesky_inverse(input, upper=False, *, out=None):
    """Matches `torch.cholesky_inverse`: (L L^H)^{-1} from the factor L (or U^H U when upper)."""
    if AUTOCAST.on and out is None:
        return autocast_call("cholesky_inverse", cholesky_inverse, (input, upper), {})
    _chol_factor_checks(input, "cholesky_inverse")
    res = make(_cholesky_inverse_arrays(input._data, upper))
    if _needs(input):
        node = CholeskyInverseBackward0()
        node.upper = upper
        attach(res, node, (input,))
        node.save(input, res)
    return L._arith._out(res, out)


def _check_b_A(b, A, opname):
    """The shared checks of cholesky_solve / triangular_solve on b (an array) and the coefficient tensor A;
    returns the broadcast batch shape."""
    a = A._data
    if b.dtype != a.dtype:
        raise RuntimeError(
            f"Expected b and A to have the same dtype, but found b of type {scalar_type_name(b.dtype)} and A of type "
            f"{scalar_type_name(a.dtype)} instead."
        )
    n = a.shape[-1]
    if a.shape[-2] != n or b.shape[-2] != n:
        raise RuntimeError(
            f"Incompatible matrix sizes for {opname}: each A matrix is {a.shape[-2]} by {n} but each b matrix "
            f"is {b.shape[-2]} by {b.shape[-1]}"
        )
    L._check_fp(A, opname)
    try:
        return np.broadcast_shapes(b.shape[:-2], a.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"{opname}: shapes {list(b.shape)} and {list(a.shape)} cannot be broadcast together"
        ) from None


class CholeskySolveBackward0(Node):
    def backward(self, g):
        B, Lf, X = self.saved
        gB = cholesky_solve(g, Lf, self.upper)
        gL = None
        if self.needs(1):
            common = gB @ X.mH
            common = common + common.mH
            gL = -(Lf @ common) if self.upper else -(common @ Lf)
        return (gB if self.needs(0) else None), gL


def cholesky_solve(input, input2, upper=False, *, out=None):
    """Matches `torch.cholesky_solve`: solves A X = B with A = L L^H given L (input2)."""
    if AUTOCAST.on and out is None:
        return autocast_call("cholesky_solve", cholesky_solve, (input, input2, upper), {})
    opname = "cholesky_solve"
    L._tensor_arg(input, opname, "input")
    L._tensor_arg(input2, opname, "input2")
    b, lf = input._data, input2._data
    if b.ndim < 2 or lf.ndim < 2:
        raise RuntimeError(
            f"b should have at least 2 dimensions, but has {b.ndim} dimensions instead"
            if b.ndim < 2
            else f"u should have at least 2 dimensions, but has {lf.ndim} dimensions instead"
        )
    _check_b_A(b, input2, opname)
    low = np.swapaxes(lf, -1, -2).conj() if upper else lf
    y = L._solve_tri_arrays(low, b, False, True, False)
    x = L._solve_tri_arrays(np.swapaxes(low, -1, -2).conj(), y, True, True, False)
    X = make(x)
    if _needs(input, input2):
        node = CholeskySolveBackward0()
        node.upper = upper
        attach(X, node, (input, input2))
        node.save(input, input2, X)
    return L._arith._out(X, out)


# -- qr / svd / pinverse --------------------------------------------------------------------


def qr(input, some=True, *, out=None):
    """Matches `torch.qr`: (Q, R), reduced when some=True."""
    if AUTOCAST.on and out is None:
        return autocast_call("qr", qr, (input, some), {})
    return L._qr_impl(input, "reduced" if some else "complete", "linalg.qr", _rt.qr)


def svd(input, some=True, compute_uv=True, *, out=None):
    """Matches `torch.svd`: (U, S, V) with V (not V^H); zero-filled U and V when compute_uv=False."""
    if AUTOCAST.on and out is None:
        return autocast_call("svd", svd, (input, some, compute_uv), {})
    if compute_uv:
        U, S, Vh = L._svd_impl(input, not some, "linalg.svd")
        return _rt.svd(U, S, Vh.mH)
    S = L.svdvals(input)
    a = input._data
    m, n = a.shape[-2:]
    xp = xp_of(a)
    U = make(xp.zeros(a.shape[:-2] + (m, m), a.dtype))
    V = make(xp.zeros(a.shape[:-2] + (n, n), a.dtype))
    return _rt.svd(U, S, V)


def pinverse(input, rcond=1e-15):
    """Matches `torch.pinverse`."""
    if AUTOCAST.on:
        return autocast_call("pinverse", pinverse, (input, rcond), {})
    return L.pinv(input, rtol=rcond)


def matrix_power(input, n):
    """Matches `torch.matrix_power`."""
    return L.matrix_power(input, n)


def matrix_exp(input):
    """Matches `torch.matrix_exp`."""
    return L.matrix_exp(input)


# -- LU -------------------------------------------------------------------------------------


def lu(A, pivot=True, get_infos=False, out=None):
    """Matches `torch.lu`: (LU, pivots) or (LU, pivots, infos)."""
    if AUTOCAST.on and out is None:  # torch.lu runs _lu_with_info
        return autocast_call("_lu_with_info", lu, (A, pivot, get_infos), {})
    LU, piv, info = L._lu_factor_impl(A, pivot, "torch.lu")
    if get_infos:
        return LU, piv, info
    flat = info._data.reshape(-1)
    bad = np.flatnonzero(flat)
    if bad.size:
        k = int(flat[bad[0]])
        raise RuntimeError(
            f"torch.linalg.lu_factor: U[{k},{k}] is zero and using it on lu_solve would result in a division by zero. "
            "If you still want to perform the factorization, consider calling linalg.lu(A, pivot) or "
            "linalg.lu_factor_ex(A, pivot)"
        )
    return LU, piv


def lu_solve(b, LU_data, LU_pivots, *, out=None):
    """Matches `torch.lu_solve` (deprecated in torch)."""
    if AUTOCAST.on and out is None:
        return autocast_call("lu_solve", lu_solve, (b, LU_data, LU_pivots), {})
    return L.lu_solve(LU_data, LU_pivots, b, out=out)


class LuUnpackBackward0(Node):
    def backward(self, gP, gL, gU):
        m, n = self.mn
        k = min(m, n)
        res = None
        if gL is not None:
            gl = gL.tril(-1)
            if n > k:
                gl = cat([gl, make(xp_of(gl._data).zeros(gl.shape[:-1] + (n - k,), gl._data.dtype))], -1)
            res = gl
        if gU is not None:
            gu = gU.triu()
            if m > k:
                gu = cat([gu, make(xp_of(gu._data).zeros(gu.shape[:-2] + (m - k, n), gu._data.dtype))], -2)
            res = gu if res is None else res + gu
        return res, None


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """Matches `torch.lu_unpack`: (P, L, U) from a packed LU factorization."""
    L._tensor_arg(LU_data, "lu_unpack", "LU_data")
    lu_ = LU_data._data
    if lu_.ndim < 2:
        raise RuntimeError(
            f"torch.lu_unpack: Expected tensor with 2 or more dimensions. Got size: {list(lu_.shape)} instead"
        )
    piv = LU_pivots._data
    if piv.dtype != np.int32:
        raise RuntimeError(
            f"torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype. Got: {LU_pivots.dtype}"
        )
    p, lo, up = L._unpack_arrays(lu_, piv)
    xp = xp_of(lu_)
    P = make(p) if unpack_pivots else make(xp.zeros((0,), lu_.dtype))
    if unpack_data:
        Lt, Ut = make(lo), make(up)
    else:
        Lt, Ut = make(xp.zeros((0,), lu_.dtype)), make(xp.zeros((0,), lu_.dtype))
    if unpack_data and _needs(LU_data):
        node = LuUnpackBackward0()
        node.mn = lu_.shape[-2:]
        L._attach_outputs((P, Lt, Ut), node, (LU_data, None), (False, True, True))
    return _rt.lu_unpack(P, Lt, Ut)


# -- triangular_solve -----------------------------------------------------------------------


class TriangularSolveBackward0(Node):
    def backward(self, gX, gM):
        A, X = self.saved
        upper, trans, unit = self.upper, self.trans, self.unit
        gB = gA = None
        if gX is not None:
            gB = triangular_solve(gX, A.conj(), upper, not trans, unit)[0]
            if self.needs(1):
                gA = -(X.conj() @ gB.mT) if trans else -(gB @ X.mH)
                gA = gA.triu(int(unit)) if upper else gA.tril(-int(unit))
        if gM is not None and self.needs(1):
            gA = gM if gA is None else gA + gM
        return gB, gA


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """Matches `torch.triangular_solve`: (solution, cloned_coefficient)."""
    if AUTOCAST.on and out is None:
        return autocast_call("triangular_solve", triangular_solve, (b, A, upper, transpose, unitriangular), {})
    _warn_once(
        "triangular_solve",
        "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangular and will be removed in a "
        "future PyTorch release.",
    )
    opname = "triangular_solve"
    L._tensor_arg(b, opname, "input")
    L._tensor_arg(A, opname, "A")
    bb, a = b._data, A._data
    if bb.ndim < 2 or a.ndim < 2:
        raise RuntimeError(
            f"torch.triangular_solve: Expected b to have at least 2 dimensions, but it has {bb.ndim} dimensions instead"
            if bb.ndim < 2
            else f"torch.triangular_solve: Expected A to have at least 2 dimensions, but it has {a.ndim} dimensions instead"
        )
    shape = _check_b_A(bb, A, opname)
    t = L._tri_part(a, upper, unitriangular)
    xp = xp_of(a)
    if transpose:
        t = xp.swapaxes(t, -1, -2)
    x = L._solve_tri_arrays(t, bb, not upper if transpose else upper, True, False)
    X = make(xp.ascontiguousarray(xp.broadcast_to(x, shape + x.shape[-2:])))
    M = make(xp.ascontiguousarray(xp.broadcast_to(a, shape + a.shape[-2:])))
    if _needs(b, A):
        node = TriangularSolveBackward0()
        node.upper, node.trans, node.unit = upper, transpose, unitriangular
        attach_multi((X, M), node, (b, A))
        node.save(A, X)
    return _rt.triangular_solve(X, M)


bind("det", det)
bind("logdet", logdet)
bind("slogdet", slogdet)
bind("inverse", inverse)
bind("cholesky", cholesky)
bind("cholesky_solve", cholesky_solve)
bind("cholesky_inverse", cholesky_inverse)
bind("qr", qr)
bind("svd", svd)
bind("pinverse", pinverse)
bind("matrix_power", matrix_power)
bind("matrix_exp", matrix_exp)
bind("lu", lu)
bind("lu_solve", lu_solve)
bind("triangular_solve", triangular_solve)
