"""`ember.linalg`: torch.linalg on the input's array module (NumPy/SciPy LAPACK on the CPU, CuPy's cuSOLVER
on CUDA).

Every decomposition is one batched call over the leading dims, in the input's dtype (float32 stays
float32), and its results stay on the input's device. What CuPy lacks (LU, eig/eigvals, matrix_exp, and
the error paths that need LAPACK's per-matrix info) goes through `_on_host`, the one place that copies
device arrays to the host and back. Backward formulas follow torch's (FunctionsManual.cpp) and are written with
ember ops, so second-order gradients work. Singular or non-positive-definite input raises
`LinAlgError` (a RuntimeError) with torch's messages.
"""

import warnings

import numpy as np

from . import _dtype as D
from . import return_types as _rt
from ._autocast import AUTOCAST, autocast_call
from ._backend import device_of, to_device, xp_of
from ._device import CPU
from ._ops import arith as _arith
from ._ops import blas as _blas
from ._ops import convert as _cv
from ._ops import joining as _j
from ._ops import reduction as _red
from ._ops import reduction2 as _r2
from ._ops import shape as _sh
from ._ops import shape2 as _s2
from ._ops._core import GRAD, Node, Tensor, arr, attach, attach_multi, make, scalar_type_name, wrap_dim

__all__ = [
    "LinAlgError",
    "norm",
    "vector_norm",
    "matrix_norm",
    "inv",
    "inv_ex",
    "det",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "lstsq",
    "cholesky",
    "cholesky_ex",
    "qr",
    "svd",
    "svdvals",
    "eig",
    "eigvals",
    "eigh",
    "eigvalsh",
    "pinv",
    "matrix_rank",
    "matrix_power",
    "matrix_exp",
    "cross",
    "multi_dot",
    "householder_product",
    "lu",
    "lu_factor",
    "lu_factor_ex",
    "lu_solve",
    "tensorinv",
    "tensorsolve",
    "vander",
    "diagonal",
    "vecdot",
]


class LinAlgError(RuntimeError):
    """Raised on singular / non positive-definite input, as `torch.linalg.LinAlgError`."""


LinAlgError.__module__ = "ember.linalg"

# -- checks and small helpers ---------------------------------------------------------------


def _tensor_arg(x, opname, name="A"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{opname}(): argument '{name}' must be Tensor, not {type(x).__name__}")
    return x


def _check_fp(A, opname):
    dt = A._data.dtype
    if dt.kind == "c" or dt in (np.float32, np.float64):
        return
    name = scalar_type_name(dt)
    if dt.kind in "fV":
        raise RuntimeError(f"{opname}: Low precision dtypes not supported. Got {name}")
    raise RuntimeError(f"{opname}: Expected a floating point or complex tensor as input. Got {name}")


def _check_matrix(A, opname, name="A"):
    if A._data.ndim < 2:
        raise RuntimeError(f"{opname}: The input tensor {name} must have at least 2 dimensions.")


def _check_square(A, opname, name="A"):
    _check_matrix(A, opname, name)
    m, n = A._data.shape[-2:]
    if m != n:
        raise RuntimeError(f"{opname}: {name} must be batches of square matrices, but they are {m} by {n} matrices")


def _square_fp(A, opname):
    _tensor_arg(A, opname)
    _check_square(A, opname)
    _check_fp(A, opname)
    return A._data


def _needs(*ts):
    return GRAD.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in ts)


def _real_dtype(dt):
    return np.dtype(np.float32) if dt == np.complex64 else np.dtype(np.float64) if dt.kind == "c" else dt


def _complex_dtype(dt):
    return np.dtype(np.complex64) if dt in (np.float32, np.complex64) else np.dtype(np.complex128)


def _eps(dt):
    return float(np.finfo(_real_dtype(dt)).eps)


def _eye(n, dt, like):
    """The n x n identity of dtype dt on the device of `like` (a Tensor)."""
    return make(xp_of(like._data).eye(n, dtype=dt))


def _cx():
    """ember._ops.complex (the package attribute `complex` is the function ember.complex)."""
    import importlib  # noqa: PLC0415

    return importlib.import_module("ember._ops.complex")


def _attach_outputs(outs, node, inputs, differentiable):
    """attach_multi, leaving the non-differentiable outputs (even the first) without history."""
    attach_multi(outs, node, inputs, differentiable)
    for o, d in zip(outs, differentiable):
        if not d and o is not None:
            o._grad_fn = None
            o._requires_grad = False
    return outs


def _swap(a):
    return a.swapaxes(-1, -2)


def _batch_prefix(idx, nbatch):
    return f"(Batch element {idx}): " if nbatch else ""


def _quiet():
    c = warnings.catch_warnings()
    c.__enter__()
    warnings.simplefilter("ignore")
    return c


def _is_device(a):
    return type(a) is not np.ndarray and hasattr(a, "device") and hasattr(a, "get")


def _on_host(fn, *args):
    """`fn(*args)` computed with NumPy/SciPy on the host, for what CuPy lacks (LU, eig, matrix_exp) and for
    the error paths that need LAPACK's per-matrix info. Device arrays among `args` are copied to the host,
    which synchronizes with the device, and the array results (one array or a tuple) are copied back to the
    first device array's device. With host arrays only this is just `fn(*args)`."""
    dev = next((device_of(a) for a in args if _is_device(a)), None)
    if dev is None:
        return fn(*args)
    res = fn(*(to_device(a, CPU) if _is_device(a) else a for a in args))
    if isinstance(res, tuple):
        return tuple(_to_dev(r, dev) for r in res)
    return _to_dev(res, dev)


def _to_dev(r, dev):
    if isinstance(r, np.generic):
        r = np.asarray(r)
    return to_device(r, dev) if type(r) is np.ndarray else r


def _host(a):
    """`a` as a NumPy array (for a device array, a copy to the host, which synchronizes)."""
    return to_device(a, CPU) if _is_device(a) else np.asarray(a)


def _device_try(fn, *args):
    """fn's result on the device if it succeeded (no LinAlgError, every element finite: one synchronizing
    check), else None, and the caller redoes the work on the host, where LAPACK's info says which matrix
    failed. CuPy's solvers don't raise on singular input; they give inf/nan."""
    try:
        r = fn(*args)
    except np.linalg.LinAlgError:
        return None
    return r if bool(xp_of(r).isfinite(r).all()) else None


def _allclose(a, b, rtol, atol):
    """np.allclose for host or device arrays (or Python scalars); synchronizes on a device."""
    xp = next((xp_of(x) for x in (a, b) if _is_device(x)), np)
    return bool(xp.allclose(xp.asarray(a), xp.asarray(b), rtol=rtol, atol=atol))


def _lu_info(a):
    """getrf's info per matrix (host arrays): 0, or the 1-based index of the first exactly zero pivot."""
    import scipy.linalg as sl  # noqa: PLC0415

    if a.size == 0:
        return np.zeros(a.shape[:-2], dtype=np.int32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lu, _ = sl.lu_factor(a, check_finite=False)
    z = np.diagonal(lu, axis1=-2, axis2=-1) == 0
    return np.where(z.any(-1), z.argmax(-1) + 1, 0).astype(np.int32)


def _raise_first(info, msg, opname, batched):
    """Raise LinAlgError for the first matrix whose info is nonzero."""
    flat = _host(info).reshape(-1)
    bad = np.flatnonzero(flat)
    if bad.size:
        i = int(bad[0])
        raise LinAlgError(f"{opname}: {_batch_prefix(i, batched)}{msg(int(flat[i]))}")


def _inv_msg(k):
    return (
        f"The diagonal element {k} is zero, the inversion could not be completed because the input matrix is singular."
    )


def _solve_msg(k):
    return "The solver failed because the input matrix is singular."


def _chol_msg(k):
    return (
        "The factorization could not be completed because the input is not positive-definite "
        f"(the leading minor of order {k} is not positive-definite)."
    )


# -- inverse --------------------------------------------------------------------------------


class LinalgInvExBackward0(Node):
    def backward(self, g, ginfo=None):
        (ainv,) = self.saved
        ah = ainv.mH
        return (-(ah @ g @ ah),)


def _inv_arrays(a):
    """(inverse, info) without raising: singular matrices give inf/nan and a nonzero info."""
    xp = xp_of(a)
    if xp is not np:
        r = _device_try(xp.linalg.inv, a)
        if r is not None:
            return r, xp.zeros(a.shape[:-2], dtype=np.int32)
        return _on_host(_inv_arrays, a)
    try:
        with np.errstate(all="ignore"):
            return np.linalg.inv(a), np.zeros(a.shape[:-2], dtype=np.int32)
    except np.linalg.LinAlgError:
        info = _lu_info(a)
        out = np.full(a.shape, np.nan, dtype=a.dtype)
        ok = info == 0
        if ok.any():
            out[ok] = np.linalg.inv(a[ok])
        return out, info


def _inv_attach(A, out):
    if _needs(A):
        node = LinalgInvExBackward0()
        attach(out, node, (A,))
        node.save(out)
    return out


def inv_ex(A, *, check_errors=False, out=None):
    """Matches `torch.linalg.inv_ex`."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_inv_ex", inv_ex, (A,), {"check_errors": check_errors})
    a = _square_fp(A, "linalg.inv_ex")
    r, info = _inv_arrays(a)
    if check_errors:
        _raise_first(info, _inv_msg, "linalg.inv_ex", a.ndim > 2)
    inv_ = _inv_attach(A, make(r))
    return _rt.linalg_inv_ex(inv_, make(info))


def inv(A, *, out=None):
    """Matches `torch.linalg.inv`: LinAlgError on singular input."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_inv", inv, (A,), {})
    a = _square_fp(A, "linalg.inv")
    r, info = _inv_arrays(a)
    _raise_first(info, _inv_msg, "linalg.inv", a.ndim > 2)
    return _arith._out(_inv_attach(A, make(r)), out)


# -- determinants ---------------------------------------------------------------------------


class LinalgDetBackward0(Node):
    def backward(self, g):
        A, d = self.saved
        n = A.shape[-1]
        if A.numel() == 0:
            return (make(xp_of(A._data).zeros(A.shape, A._data.dtype)),)
        alpha = g * _arith.conj(d)
        dd = _red_abs(d)
        if bool((dd < 100 * _eps(A._data.dtype)).any()):
            U, S, Vh = svd(A)
            alpha = _arith.conj(det(U) * det(Vh)) * g
            D_ = _prod_others(S) * alpha.unsqueeze(-1)
            return ((U * D_.unsqueeze(-2)) @ Vh,)
        eye = _eye(n, A._data.dtype, A)
        return (solve(A.mH, alpha.unsqueeze(-1).unsqueeze(-1) * eye),)


def _red_abs(t):
    return abs(t._data)


def _prod_others(S):
    """prod_{j != i} S_j along the last dim (zeros allowed), differentiable."""
    n = S.shape[-1]
    if n == 1:
        return S * 0 + 1
    ones = S.narrow(-1, 0, 1) * 0 + 1
    left = _j.cat([ones, S.narrow(-1, 0, n - 1).cumprod(-1)], -1)
    right = _j.cat([S.flip(-1).narrow(-1, 0, n - 1).cumprod(-1), ones], -1).flip(-1)
    return left * right


def det(A, *, out=None):
    """Matches `torch.linalg.det`."""
    a = _square_fp(A, "linalg.det")
    with np.errstate(all="ignore"):
        r = make(arr(xp_of(a).linalg.det(a)))
    if _needs(A):
        node = LinalgDetBackward0()
        attach(r, node, (A,))
        node.save(A, r)
    return _arith._out(r, out)


class LinalgSlogdetBackward0(Node):
    def backward(self, gsign, glogabs):
        A, sign = self.saved
        cplx = A._data.dtype.kind == "c"
        if not cplx and glogabs is None:
            return (None,)
        g = glogabs
        if cplx:
            _c = _cx()

            if gsign is not None:
                term = _c.imag(_arith.conj(gsign) * sign) * (-1j)
                g = term if g is None else g + term
            else:
                g = g.to(A.dtype)
        n = A.shape[-1]
        return (solve(A.mH, g.unsqueeze(-1).unsqueeze(-1) * _eye(n, A._data.dtype, A)),)


def _slogdet_impl(A, opname, rt):
    a = _square_fp(A, opname)
    with np.errstate(all="ignore"):
        s, l_ = xp_of(a).linalg.slogdet(a)
    sign, logabs = make(arr(s)), make(arr(l_).astype(_real_dtype(a.dtype), copy=False))
    if _needs(A):
        node = LinalgSlogdetBackward0()
        attach_multi((sign, logabs), node, (A,))
        node.save(A, sign)
    return rt(sign, logabs)


def slogdet(A, *, out=None):
    """Matches `torch.linalg.slogdet`: (sign, logabsdet)."""
    return _slogdet_impl(A, "linalg.slogdet", _rt.linalg_slogdet)


# -- solve ----------------------------------------------------------------------------------


class LinalgSolveExBackward0(Node):
    def backward(self, g, ginfo=None):
        A, X = self.saved
        left, vec = self.left, self.vec
        if vec:
            g, X = g.unsqueeze(-1), X.unsqueeze(-1)
        gB = solve(A.mH, g, left=left)
        gA = None
        if self.needs(0):
            gA = -(gB @ X.mH) if left else -(X.mH @ gB)
        if vec:
            gB = gB.squeeze(-1)
        return gA, (gB if self.needs(1) else None)


def _is_vector_rhs(a, b):
    return b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])


def _check_same_dtype(a, b, opname, aname="A"):
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"{opname}: Expected {aname} and B to have the same dtype, but found {aname} of type "
            f"{scalar_type_name(a.dtype)} and B of type {scalar_type_name(b.dtype)} instead"
        )


def _check_equation(n, b, left, opname):
    """B's rows (left) or columns (right) must match the n x n coefficient matrix."""
    if (b.shape[-2] if left else b.shape[-1]) != n:
        raise RuntimeError(
            f"{opname}: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} "
            f"({n}x{n} and {b.shape[-2]}x{b.shape[-1]})"
        )


def _solve_checks(A, B, opname, left=True):
    _tensor_arg(A, opname, "A")
    _tensor_arg(B, opname, "B")
    _check_square(A, opname)
    _check_fp(A, opname)
    a, b = A._data, B._data
    _check_same_dtype(a, b, opname)
    vec = left and _is_vector_rhs(a, b)
    bm = b[..., None] if vec else b
    if bm.ndim < 2:
        raise RuntimeError(f"{opname}: The input tensor B must have at least 2 dimensions.")
    _check_equation(a.shape[-1], bm, left, opname)
    _blas._broadcast_batch(a.shape[:-2], bm.shape[:-2])
    return a, bm, vec


def _solve_arrays(a, bm, left):
    """X with AX = B (left) or XA = B; returns (X, info) without raising."""
    if not left:
        x, info = _solve_arrays(_swap(a), _swap(bm), True)
        return _swap(x), info
    xp = xp_of(a)
    if xp is not np:
        shape = np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])  # CuPy's solve doesn't broadcast
        ab = a if a.shape[:-2] == shape else xp.broadcast_to(a, shape + a.shape[-2:])
        bb = bm if bm.shape[:-2] == shape else xp.broadcast_to(bm, shape + bm.shape[-2:])
        x = _device_try(xp.linalg.solve, ab, bb)
        if x is not None:
            return x, None
        return _on_host(_solve_arrays, a, bm, True)
    try:
        with np.errstate(all="ignore"):
            return np.linalg.solve(a, bm), None
    except np.linalg.LinAlgError:
        info = _lu_info(a)
        shape = np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
        ab = np.broadcast_to(a, shape + a.shape[-2:])
        bb = np.broadcast_to(bm, shape + bm.shape[-2:])
        ok = np.broadcast_to(info == 0, shape)
        x = np.full(bb.shape, np.nan, dtype=a.dtype)
        if ok.any():
            x[ok] = np.linalg.solve(ab[ok], bb[ok])
        return x, info


def _solve_impl(A, B, left, opname, check):
    a, bm, vec = _solve_checks(A, B, opname, left)
    x, info = _solve_arrays(a, bm, left)
    if info is None:
        info = xp_of(a).zeros(a.shape[:-2], dtype=np.int32)
    elif check:
        _raise_first(info, _solve_msg, "torch.linalg.solve", a.ndim > 2)
    if vec:
        x = x[..., 0]
    X = make(x)
    if _needs(A, B):
        node = LinalgSolveExBackward0()
        node.left, node.vec = left, vec
        attach(X, node, (A, B))
        node.save(A, X)
    return X, make(info)


def solve(A, B, *, left=True, out=None):
    """Matches `torch.linalg.solve` (batch broadcasting, vector right-hand sides, left=False)."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_solve", solve, (A, B), {"left": left})
    return _arith._out(_solve_impl(A, B, left, "linalg.solve", True)[0], out)


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """Matches `torch.linalg.solve_ex`: (result, info)."""
    X, info = _solve_impl(A, B, left, "linalg.solve_ex", check_errors)
    return _rt.linalg_solve_ex(X, info)


class LinalgSolveTriangularBackward0(Node):
    def backward(self, g):
        A, X = self.saved
        upper, left, unit = self.upper, self.left, self.unit
        gB = solve_triangular(A.mH, g, upper=not upper, left=left, unitriangular=unit)
        gA = None
        if self.needs(0):
            gA = -(gB @ X.mH) if left else -(X.mH @ gB)
            gA = gA.triu(int(unit)) if upper else gA.tril(-int(unit))
        return gA, (gB if self.needs(1) else None)


def _tri_part(a, upper, unit):
    xp = xp_of(a)
    t = xp.triu(a) if upper else xp.tril(a)
    if unit:
        t = t.copy()
        idx = xp.arange(a.shape[-1])
        t[..., idx, idx] = 1
    return t


def _solve_tri_arrays(a, b, upper, left, unit):
    t = _tri_part(a, upper, unit)
    x, info = _solve_arrays(t, b, left)
    if info is not None:  # a zero on the diagonal: LAPACK's trsm gives inf/nan, no error
        x = _on_host(_trsm_each, t, b, upper, left)
    return x


def _trsm_each(t, b, upper, left):
    """Host arrays: one SciPy triangular solve per matrix (inf/nan past a zero on the diagonal)."""
    import scipy.linalg as sl  # noqa: PLC0415

    shape = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    tb = np.broadcast_to(t, shape + t.shape[-2:]).reshape((-1,) + t.shape[-2:])
    bb = np.broadcast_to(b, shape + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
    res = []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ti, bi in zip(tb, bb):
            if left:
                res.append(sl.solve_triangular(ti, bi, lower=not upper, check_finite=False))
            else:
                res.append(_swap(sl.solve_triangular(ti, bi.T, lower=not upper, trans="T", check_finite=False)))
    return np.stack(res).reshape(shape + b.shape[-2:]).astype(t.dtype, copy=False)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """Matches `torch.linalg.solve_triangular`."""
    opname = "linalg.solve_triangular"
    _tensor_arg(A, opname, "A")
    _tensor_arg(B, opname, "B")
    _check_square(A, opname)
    _check_matrix(B, opname, "B")
    _check_fp(A, opname)
    a, b = A._data, B._data
    _check_same_dtype(a, b, opname)
    _check_equation(a.shape[-1], b, left, opname)
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"{opname}: shapes {list(a.shape)} and {list(b.shape)} cannot be broadcast together"
        ) from None
    X = make(_solve_tri_arrays(a, b, upper, left, unitriangular))
    if _needs(A, B):
        node = LinalgSolveTriangularBackward0()
        node.upper, node.left, node.unit = upper, left, unitriangular
        attach(X, node, (A, B))
        node.save(A, X)
    return _arith._out(X, out)


# -- lstsq ----------------------------------------------------------------------------------


class LinalgLstsqBackward0(Node):
    def backward(self, gX, gres=None, grank=None, gsv=None):
        A, B, X = self.saved
        vec = self.vec
        if vec:
            B = B.unsqueeze(-1)
            X = X.unsqueeze(-1)
        gA = gB = None
        if gX is not None:
            if vec:
                gX = gX.unsqueeze(-1)
            pA = pinv(A)
            if self.needs(0):
                gA = _pinv_backward(gX @ B.mH, pA, A)
            if self.needs(1):
                gB = pA.mH @ gX
        if gres is not None and gres.numel():
            r = A @ X - B
            gl = gres.unsqueeze(-2)
            if self.needs(0):
                t = 2 * (gl * r) @ X.mH
                gA = t if gA is None else gA + t
            if self.needs(1):
                t = -2 * gl * r
                gB = t if gB is None else gB + t
        if vec and gB is not None:
            gB = gB.squeeze(-1)
        return gA, gB


def lstsq(A, B, rcond=None, *, driver=None):
    """Matches `torch.linalg.lstsq` (computed through the SVD; fields as torch's CPU drivers fill them)."""
    if AUTOCAST.on:
        return autocast_call("linalg_lstsq", lstsq, (A, B, rcond), {"driver": driver})
    opname = "torch.linalg.lstsq"
    _tensor_arg(A, opname, "A")
    _tensor_arg(B, opname, "B")
    a, b = A._data, B._data
    if a.dtype.kind not in "fc" or b.dtype.kind not in "fc" or a.dtype == np.float16:
        raise RuntimeError("This function doesn't handle types other than float and double")
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"{opname}: Expected input and other to have the same dtype, but got input's dtype "
            f"{scalar_type_name(a.dtype)} and other's dtype {scalar_type_name(b.dtype)}"
        )
    if a.ndim < 2:
        raise RuntimeError(f"{opname}: input must have at least 2 dimensions.")
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(
            f"{opname}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss), but got {driver}"
        )
    vec = b.ndim == a.ndim - 1
    bm = b[..., None] if vec else b
    if bm.ndim < 2:
        raise RuntimeError(f"{opname}: other must have at least 1 dimension.")
    m, n = a.shape[-2:]
    if bm.shape[-2] != m:
        raise RuntimeError(f"{opname}: input.size(-2) should match other.size(-2)")
    rdt = _real_dtype(a.dtype)
    if rcond is None:
        rcond = _eps(a.dtype) * max(m, n)
    xp = xp_of(a)
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    if s.shape[-1]:
        tol = rcond * s[..., :1]
        keep = s > tol
    else:
        keep = s > 0
    sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(rdt)
    x = xp.matmul(_swap(vh).conj() * sinv[..., None, :], xp.matmul(_swap(u).conj(), bm))
    rank = keep.sum(-1).astype(np.int64)
    if driver in ("gelsd", "gelss", "gels") and m > n and bool((rank == min(m, n)).all()):
        res = (abs(xp.matmul(a, x) - bm) ** 2).sum(axis=-2).astype(rdt)
    else:
        res = xp.zeros((0,), dtype=rdt)
    sv = s.astype(rdt) if driver in ("gelsd", "gelss") else xp.zeros((0,), dtype=rdt)
    rk = rank if driver != "gels" else xp.zeros((0,), dtype=np.int64)
    X = make(x[..., 0] if vec else x)
    resid = make(res)
    if _needs(A, B):
        node = LinalgLstsqBackward0()
        node.vec = vec
        attach_multi((X, resid), node, (A, B))
        node.save(A, B, X)
    return _rt.linalg_lstsq(X, resid, make(arr(rk)), make(sv))


# -- cholesky -------------------------------------------------------------------------------


def _cholesky_backward(gL, L, upper):
    if upper:
        L, gL = L.mH, gL.mH
    gA = (L.mH @ gL).tril()
    gA = 0.5 * (gA + gA.tril(-1).mH)
    gA = solve_triangular(L.mH, gA, upper=True, left=True)
    gA = solve_triangular(L, gA, upper=False, left=False)
    return gA


class LinalgCholeskyExBackward0(Node):
    def backward(self, g, ginfo=None):
        (L,) = self.saved
        return (_cholesky_backward(g, L, self.upper),)


def _chol_info(a):
    """potrf's info per matrix (host arrays)."""
    from scipy.linalg import lapack  # noqa: PLC0415

    flat = a.reshape((-1,) + a.shape[-2:])
    info = np.zeros(flat.shape[0], dtype=np.int32)
    (potrf,) = lapack.get_lapack_funcs(("potrf",), (flat,))
    for i, m in enumerate(flat):
        _, info[i] = potrf(m, lower=True, clean=True)
    return info.reshape(a.shape[:-2])


def _chol_arrays(a):
    xp = xp_of(a)
    if xp is not np:
        try:
            low = xp.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            low = None
        # cuSOLVER's potrf doesn't raise: where it stops, the diagonal holds the non-positive pivot
        if low is not None:
            d = xp.diagonal(low, axis1=-2, axis2=-1).real
            if bool((d > 0).all() & xp.isfinite(low).all()):
                return low, None
        return _on_host(_chol_arrays, a)
    try:
        return np.linalg.cholesky(a), None
    except np.linalg.LinAlgError:
        info = _chol_info(a)
        out = np.full(a.shape, np.nan, dtype=a.dtype)
        ok = info == 0
        if ok.any():
            out[ok] = np.linalg.cholesky(a[ok])
        return out, info


def _cholesky_impl(A, upper, opname, check, node_cls=LinalgCholeskyExBackward0):
    a = _square_fp(A, opname)
    low, info = _chol_arrays(a)
    xp = xp_of(a)
    if info is None:
        info = xp.zeros(a.shape[:-2], dtype=np.int32)
    elif check:
        _raise_first(info, _chol_msg, opname, a.ndim > 2)
    r = _swap(low).conj() if upper else low
    out = make(xp.ascontiguousarray(r))
    if _needs(A):
        node = node_cls()
        node.upper = upper
        attach(out, node, (A,))
        node.save(out)
    return out, make(info)


def cholesky(A, *, upper=False, out=None):
    """Matches `torch.linalg.cholesky`: LinAlgError when A is not positive-definite."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_cholesky", cholesky, (A,), {"upper": upper})
    return _arith._out(_cholesky_impl(A, upper, "linalg.cholesky", True)[0], out)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """Matches `torch.linalg.cholesky_ex`: (L, info)."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_cholesky_ex", cholesky_ex, (A,), {"upper": upper, "check_errors": check_errors})
    L, info = _cholesky_impl(A, upper, "linalg.cholesky_ex", check_errors)
    return _rt.linalg_cholesky_ex(L, info)


# -- qr -------------------------------------------------------------------------------------


class LinalgQrBackward0(Node):
    def backward(self, gQ, gR):
        Q, R = self.saved
        mode = self.mode
        if mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
                "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
            )
        m, n = Q.shape[-2], R.shape[-1]
        if mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if gQ is None and gR is None:
            return (None,)
        if gQ is not None:
            gA = gR @ R.mH - Q.mH @ gQ if gR is not None else -(Q.mH @ gQ)
        else:
            gA = gR @ R.mH
        if m >= n:
            X = gA.triu()
            gA = X + X.mH
            gA = gA - _real_diag_embed(gA) * 0.5
            gA = Q @ gA
            if gQ is not None:
                gA = gA + gQ
            return (solve_triangular(R.mH, gA, upper=False, left=False),)
        X = -gA
        ret = (X - X.mH).tril()
        if ret._data.dtype.kind == "c":
            _c = _cx()

            d = ret.diagonal(0, -2, -1)
            ret = ret - (_c.imag(d) * 0.5j).diag_embed()
        gA = Q @ ret
        gA = solve_triangular(R.narrow(-1, 0, m).mH, gA, upper=False, left=False)
        zeros = make(xp_of(R._data).zeros(R.shape[:-1] + (n - m,), dtype=R._data.dtype))
        gA = _j.cat([gA, zeros], -1)
        if gR is not None:
            gA = gA + Q @ gR
        return (gA,)


def _real_diag_embed(X):
    d = X.diagonal(0, -2, -1)
    if d._data.dtype.kind == "c":
        _c = _cx()

        d = _c.real(d).to(X.dtype)
    return d.diag_embed()


def _qr_impl(A, mode, opname, rt):
    _tensor_arg(A, opname)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'"
        )
    _check_matrix(A, opname)
    _check_fp(A, opname)
    a = A._data
    xp = xp_of(a)
    if mode == "r":
        r = xp.linalg.qr(a, mode="r") if a.size else xp.zeros(a.shape[:-2] + (0, a.shape[-1]), a.dtype)
        q = xp.zeros((0,), dtype=a.dtype)
    else:
        q, r = _qr_arrays(a, mode)
    Q, R = make(xp.ascontiguousarray(q)), make(xp.ascontiguousarray(r))
    if _needs(A):
        node = LinalgQrBackward0()
        node.mode = mode
        attach_multi((Q, R), node, (A,), (mode != "r", True))
        node.save(Q, R)
    return rt(Q, R)


def _qr_arrays(a, mode):
    m, n = a.shape[-2:]
    xp = xp_of(a)
    if a.size == 0:
        k = m if mode == "complete" else min(m, n)
        q = xp.zeros(a.shape[:-2] + (m, k), a.dtype)
        if k:
            q[..., xp.arange(k), xp.arange(k)] = 1
        return q, xp.zeros(a.shape[:-2] + (k, n), a.dtype)
    return xp.linalg.qr(a, mode=mode)


def qr(A, mode="reduced", *, out=None):
    """Matches `torch.linalg.qr`: (Q, R); mode 'reduced', 'complete' or 'r' (Q empty)."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_qr", qr, (A, mode), {})
    return _qr_impl(A, mode, "linalg.qr", _rt.linalg_qr)


# -- svd ------------------------------------------------------------------------------------


def _svd_backward(gU, gS, gVh, U, S, Vh):
    if gS is None and gU is None and gVh is None:
        return None
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        return U @ (gS.unsqueeze(-1) * Vh) if m >= n else (U * gS.unsqueeze(-2)) @ Vh
    cplx = U._data.dtype.kind == "c"
    UhgU = (U.mH @ gU) if gU is not None else None
    VhgV = (Vh @ gVh.mH) if gVh is not None else None
    if UhgU is not None:
        UhgU = UhgU - UhgU.mH
    if VhgV is not None:
        VhgV = VhgV - VhgV.mH
    if cplx:
        _c = _cx()

        iu = _c.imag(UhgU.diagonal(0, -2, -1))._data if UhgU is not None else 0
        iv = _c.imag(VhgV.diagonal(0, -2, -1))._data if VhgV is not None else 0
        if not _allclose(iu, -iv, 1e-2, 1e-2):
            raise RuntimeError(
                "svd_backward: The singular vectors in the complex case are specified up to multiplication by "
                "e^{i phi}. The specified loss function depends on this phase term, making it ill-defined."
            )
    S2 = S * S
    k = S.shape[-1]
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + _eye(k, S._data.dtype, S)
    if UhgU is not None and VhgV is not None:
        ret = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
    elif UhgU is not None:
        ret = (UhgU / E) * S.unsqueeze(-2)
    else:
        ret = S.unsqueeze(-1) * (VhgV / E)
    if gS is not None:
        ret = ret + gS.diag_embed()
    if cplx and UhgU is not None and VhgV is not None:
        ret = ret + (UhgU.diagonal(0, -2, -1) / (2.0 * S)).diag_embed()
    if m > n and gU is not None:
        gA = U @ ret
        gUSinv = gU / S.unsqueeze(-2)
        gA = gA + gUSinv - U @ (U.mH @ gUSinv)
        return gA @ Vh
    if m < n and gVh is not None:
        gA = ret @ Vh
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = gA + SinvgVh - (SinvgVh @ Vh.mH) @ Vh
        return U @ gA
    return U @ (ret @ Vh) if m >= n else (U @ ret) @ Vh


class LinalgSvdBackward0(Node):
    def backward(self, gU, gS, gVh):
        U, S, Vh = self.saved
        if self.full:
            k = S.shape[-1]
            if gU is not None:
                gU = gU.narrow(-1, 0, k)
            if gVh is not None:
                gVh = gVh.narrow(-2, 0, k)
            U, Vh = U.narrow(-1, 0, k), Vh.narrow(-2, 0, k)
        return (_svd_backward(gU, gS, gVh, U, S, Vh),)


def _svd_arrays(a, full):
    m, n = a.shape[-2:]
    xp = xp_of(a)
    if a.size == 0:
        k = min(m, n)
        ku, kv = (m, n) if full else (k, k)
        u = xp.zeros(a.shape[:-2] + (m, ku), a.dtype)
        vh = xp.zeros(a.shape[:-2] + (kv, n), a.dtype)
        if full:
            u[..., xp.arange(m), xp.arange(m)] = 1
            vh[..., xp.arange(n), xp.arange(n)] = 1
        return u, xp.zeros(a.shape[:-2] + (k,), _real_dtype(a.dtype)), vh
    return xp.linalg.svd(a, full_matrices=full)


def _svd_impl(A, full, opname):
    _tensor_arg(A, opname)
    _check_matrix(A, opname)
    _check_fp(A, opname)
    u, s, vh = _svd_arrays(A._data, full)
    xp = xp_of(u)
    U, S, Vh = make(xp.ascontiguousarray(u)), make(s), make(xp.ascontiguousarray(vh))
    if _needs(A):
        node = LinalgSvdBackward0()
        node.full = full
        attach_multi((U, S, Vh), node, (A,))
        node.save(U, S, Vh)
    return U, S, Vh


def svd(A, full_matrices=True, *, driver=None, out=None):
    """Matches `torch.linalg.svd`: (U, S, Vh)."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_svd", svd, (A, full_matrices), {"driver": driver})
    return _rt.linalg_svd(*_svd_impl(A, full_matrices, "linalg.svd"))


def svdvals(A, *, driver=None, out=None):
    """Matches `torch.linalg.svdvals`."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_svdvals", svdvals, (A,), {"driver": driver})
    opname = "linalg.svdvals"
    _tensor_arg(A, opname)
    _check_matrix(A, opname)
    _check_fp(A, opname)
    a = A._data
    if not _needs(A):
        xp = xp_of(a)
        if a.size == 0:
            return make(xp.zeros(a.shape[:-2] + (min(a.shape[-2:]),), _real_dtype(a.dtype)))
        return _arith._out(make(xp.linalg.svd(a, compute_uv=False)), out)
    return _svd_impl(A, False, opname)[1]


# -- eigen decompositions -------------------------------------------------------------------


def _eig_backward(gL, gV, L, V, hermitian):
    if gL is None and gV is None:
        return None
    if gV is None:
        if hermitian:
            return (V * gL.unsqueeze(-2)) @ V.mH
        return solve(V.mH, gL.unsqueeze(-1) * V.mH)
    VhgV = V.mH @ gV
    diag = VhgV.diagonal(0, -2, -1)
    if V._data.dtype.kind == "c":
        _c = _cx()

        im = _c.imag(diag)._data
        if not _allclose(im, 0, 1e-2, 1e-2):
            raise RuntimeError(
                ("linalg_eigh_backward" if hermitian else "linalg_eig_backward")
                + ": The eigenvectors in the complex case are specified up to multiplication by e^{i phi}. The "
                "specified loss function depends on this quantity, so it is ill-defined."
            )
    if hermitian:
        VhgV = 0.5 * (VhgV - VhgV.mH)
    else:
        _c = _cx()

        VhgV = VhgV - V.mH @ (V * _c.real(diag).unsqueeze(-2))
    Lc = _arith.conj(L)
    n = L.shape[-1]
    Ec = Lc.unsqueeze(-2) - Lc.unsqueeze(-1) + _eye(n, L._data.dtype, L)
    ret = VhgV / Ec
    if gL is not None:
        ret = ret - ret.diagonal(0, -2, -1).diag_embed() + gL.to(ret.dtype).diag_embed()
    if hermitian:
        return V @ (ret @ V.mH)
    return solve(V.mH, ret @ V.mH)


class LinalgEigBackward0(Node):
    def backward(self, gL, gV=None):
        L, V = self.saved
        gA = _eig_backward(gL, gV, L, V, False)
        if gA is not None and not self.cplx_in:
            _c = _cx()

            gA = _c.real(gA)
        return (gA,)


def _eig_arrays(a):
    """Host arrays: LAPACK's geev (torch's CUDA eig runs on the host too, with the same ordering)."""
    cdt = _complex_dtype(a.dtype)
    if a.size == 0:
        return np.zeros(a.shape[:-1], cdt), np.zeros(a.shape, cdt)
    w, v = np.linalg.eig(a)
    return w.astype(cdt, copy=False), v.astype(cdt, copy=False)


def _eig_input(A, opname):
    """The checks of eig / eigvals; returns A's array."""
    _tensor_arg(A, opname)
    a = A._data
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"Unknown Complex ScalarType for {scalar_type_name(a.dtype)}")
    _square_fp(A, opname)
    return a


def eig(A, *, out=None):
    """Matches `torch.linalg.eig`: complex (eigenvalues, eigenvectors)."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_eig", eig, (A,), {})
    a = _eig_input(A, "linalg.eig")
    w, v = _on_host(_eig_arrays, a)
    L, V = make(w), make(v)
    if _needs(A):
        node = LinalgEigBackward0()
        node.cplx_in = a.dtype.kind == "c"
        attach_multi((L, V), node, (A,))
        node.save(L, V)
    return _rt.linalg_eig(L, V)


def eigvals(A, *, out=None):
    """Matches `torch.linalg.eigvals`."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_eigvals", eigvals, (A,), {})
    a = _eig_input(A, "linalg.eigvals")
    if _needs(A):
        return eig(A).eigenvalues
    return make(_on_host(_eigvals_arrays, a))


def _eigvals_arrays(a):
    """Host arrays: LAPACK's geev without vectors."""
    if a.size == 0:
        return np.zeros(a.shape[:-1], _complex_dtype(a.dtype))
    return np.linalg.eigvals(a).astype(_complex_dtype(a.dtype), copy=False)


class LinalgEighBackward0(Node):
    def backward(self, gL, gV=None):
        L, V = self.saved
        return (_eig_backward(gL, gV, L, V, True),)


def _eigh_impl(A, UPLO, opname, vectors):
    _tensor_arg(A, opname)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    a = _square_fp(A, opname)
    rdt = _real_dtype(a.dtype)
    xp = xp_of(a)
    if a.size == 0:
        w, v = xp.zeros(a.shape[:-1], rdt), xp.zeros(a.shape, a.dtype)
    elif vectors or _needs(A):
        w, v = xp.linalg.eigh(a, UPLO=UPLO)
    else:
        w, v = xp.linalg.eigvalsh(a, UPLO=UPLO), None
    L = make(w.astype(rdt, copy=False))
    V = make(v) if v is not None else None
    if _needs(A):
        node = LinalgEighBackward0()
        attach_multi((L, V), node, (A,))
        node.save(L, V)
    return L, V


def eigh(A, UPLO="L", *, out=None):
    """Matches `torch.linalg.eigh`: (eigenvalues ascending, eigenvectors)."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_eigh", eigh, (A, UPLO), {})
    return _rt.linalg_eigh(*_eigh_impl(A, UPLO, "linalg.eigh", True))


def eigvalsh(A, UPLO="L", *, out=None):
    """Matches `torch.linalg.eigvalsh`."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_eigvalsh", eigvalsh, (A, UPLO), {})
    return _eigh_impl(A, UPLO, "linalg.eigvalsh", False)[0]


# -- pinv / matrix_rank ---------------------------------------------------------------------


def _pinv_backward(g, pinvA, A):
    m, n = A.shape[-2], A.shape[-1]
    pinvAh = pinvA.mH
    gh = g.mH
    if m <= n:
        K = gh @ pinvA
        KpinvAh = K @ pinvAh
        return -(pinvA @ K).mH + KpinvAh - (A @ pinvA) @ KpinvAh + (pinvAh @ pinvA) @ (gh - K @ A)
    K = pinvA @ gh
    pinvAhK = pinvAh @ K
    return -(K @ pinvA).mH + (gh - A @ K) @ pinvA @ pinvAh + pinvAhK - pinvAhK @ pinvA @ A


class LinalgPinvBackward0(Node):
    def backward(self, g):
        A, P = self.saved
        return (_pinv_backward(g, P, A),)


def _tol_array(x, dt, xp):
    if x is None:
        return None
    return xp.asarray(x._data if isinstance(x, Tensor) else x, dtype=_real_dtype(dt))


def _cutoff(s_max, m, n, dt, atol, rtol):
    """torch's max(atol, rtol * sigma_max) with its defaults, on s_max's device."""
    xp = xp_of(s_max)
    a = _tol_array(atol, dt, xp)
    r = _tol_array(rtol, dt, xp)
    if r is None:
        r = xp.asarray(_eps(dt) * max(m, n) if a is None or not bool((a > 0).any()) else 0.0, dtype=_real_dtype(dt))
    if a is None:
        a = xp.zeros((), dtype=_real_dtype(dt))
    return xp.maximum(a[..., None] if a.ndim else a, (r[..., None] if r.ndim else r) * s_max)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None, rcond=None):
    """Matches `torch.linalg.pinv` (atol/rtol, or the legacy rcond; hermitian uses eigh)."""
    opname = "linalg.pinv"
    _tensor_arg(A, opname)
    a = A._data
    if a.ndim < 2 or a.dtype.kind not in "fc" or a.dtype == np.float16:
        raise RuntimeError(
            f"{opname}({scalar_type_name(a.dtype)}{{{list(a.shape)}}}): expected a tensor with 2 or more dimensions "
            "of float, double, cfloat or cdouble types"
        )
    if rcond is not None:
        rtol = rcond
    m, n = a.shape[-2:]
    xp = xp_of(a)
    if a.size == 0:
        r = xp.zeros(a.shape[:-2] + (n, m), a.dtype)
    elif hermitian:
        w, v = xp.linalg.eigh(a)
        aw = abs(w)
        cut = _cutoff(aw.max(-1, keepdims=True), m, n, a.dtype, atol, rtol)
        keep = aw > cut
        winv = xp.where(keep, 1 / xp.where(keep, w, 1), 0).astype(_real_dtype(a.dtype))
        r = xp.matmul(v * winv[..., None, :], _swap(v).conj())
    else:
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        cut = _cutoff(s[..., :1], m, n, a.dtype, atol, rtol)
        keep = s > cut
        sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(s.dtype)
        r = xp.matmul(_swap(vh).conj() * sinv[..., None, :], _swap(u).conj())
    out_ = make(xp.ascontiguousarray(r.astype(a.dtype, copy=False)))
    if _needs(A):
        node = LinalgPinvBackward0()
        attach(out_, node, (A,))
        node.save(A, out_)
    return _arith._out(out_, out)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """Matches `torch.linalg.matrix_rank` (int64)."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_matrix_rank", matrix_rank, (A, tol, hermitian), {"atol": atol, "rtol": rtol})
    _tensor_arg(A, "linalg.matrix_rank")
    a = A._data
    if a.dtype.kind not in "fc" or a.dtype == np.float16:
        raise RuntimeError("This function doesn't handle types other than float and double")
    _check_matrix(A, "linalg.matrix_rank")
    if tol is not None:
        atol, rtol = tol, 0.0
    m, n = a.shape[-2:]
    xp = xp_of(a)
    if a.size == 0:
        return make(xp.zeros(a.shape[:-2], np.int64))
    s = abs(xp.linalg.eigvalsh(a)) if hermitian else xp.linalg.svd(a, compute_uv=False)
    cut = _cutoff(s.max(-1, keepdims=True), m, n, a.dtype, atol, rtol)
    return make(arr((s > cut).sum(axis=-1).astype(np.int64)))


# -- matrix functions -----------------------------------------------------------------------


def matrix_power(A, n, *, out=None):
    """Matches `torch.linalg.matrix_power` (binary powering with matmul; negative n through inv)."""
    opname = "linalg.matrix_power"
    _tensor_arg(A, opname)
    _check_square(A, opname)
    n = int(n)
    if n == 0:
        xp = xp_of(A._data)
        eye = make(xp.broadcast_to(xp.eye(A.shape[-1], dtype=A._data.dtype), A.shape).copy())
        z = _cv.clone(A * 0) if _needs(A) else eye
        if _needs(A):
            z = z.copy_(eye)
        return _arith._out(z, out)
    if n < 0:
        A = inv(A)
        n = -n
        if n == 1:
            return _arith._out(A, out)
    if n == 1:
        return _arith._out(_cv.clone(A), out)
    if n == 2:
        return _arith._out(_blas.matmul(A, A), out)
    if n == 3:
        return _arith._out(_blas.matmul(_blas.matmul(A, A), A), out)
    z = res = None
    while n > 0:
        bit = n % 2
        n //= 2
        z = A if z is None else _blas.matmul(z, z)
        if bit:
            res = z if res is None else _blas.matmul(res, z)
    return _arith._out(res, out)


class LinalgMatrixExpBackward0(Node):
    def backward(self, g):
        (A,) = self.saved
        return (_matrix_exp_adjoint(A, g),)


def _matrix_exp_adjoint(A, g):
    Ah = A.mH
    n = A.shape[-1]
    z = make(xp_of(A._data).zeros(A.shape, dtype=np.result_type(A._data.dtype, g._data.dtype)))
    top = _j.cat([Ah, g.to(z.dtype)], -1)
    bot = _j.cat([z, Ah.to(z.dtype)], -1)
    big = _j.cat([top, bot], -2)
    return matrix_exp(big).narrow(-2, 0, n).narrow(-1, n, n)


def _expm(a):
    """Host arrays: SciPy's batched expm."""
    import scipy.linalg as sl  # noqa: PLC0415

    if a.size == 0:
        return a.copy()
    if a.shape[-1] == 1:
        return np.exp(a)
    return np.asarray(sl.expm(a)).astype(a.dtype, copy=False)


def matrix_exp(A):
    """Matches `torch.linalg.matrix_exp` (SciPy's batched expm, on the host for device tensors)."""
    a = _square_fp(A, "linalg.matrix_exp")
    out = make(_on_host(_expm, a))
    if _needs(A):
        node = LinalgMatrixExpBackward0()
        attach(out, node, (A,))
        node.save(A)
    return out


# -- products -------------------------------------------------------------------------------


def cross(input, other, *, dim=-1, out=None):
    """Matches `torch.linalg.cross` (broadcasting, dim=-1 by default)."""
    _tensor_arg(input, "linalg.cross", "input")
    _tensor_arg(other, "linalg.cross", "other")
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions. Got {a.ndim} and {b.ndim}")
    d = wrap_dim(dim, a.ndim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[d]} and {b.shape[d]}"
        )
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(
            f"linalg.cross: inputs shapes {list(a.shape)} and {list(b.shape)} cannot be broadcast together"
        ) from None
    if a.shape != shape:
        input = _sh.broadcast_to(input, shape)
    if b.shape != shape:
        other = _sh.broadcast_to(other, shape)
    return _blas.cross(input, other, dim=d, out=out)


def multi_dot(tensors, *, out=None):
    """Matches `torch.linalg.multi_dot` (first/last may be 1-D)."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_multi_dot", multi_dot, (tensors,), {})
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0], tensors[-1]
    if first.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.ndim}D")
    if last.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.ndim}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    dt = first.dtype
    for t in tensors[1:]:
        if t.dtype != dt:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is {dt} and tensor "
                f"{tensors.index(t)} {t.dtype}"
            )
    mats = [first.unsqueeze(0) if first.ndim == 1 else first]
    mats += tensors[1:-1]
    mats.append(last.unsqueeze(-1) if last.ndim == 1 else last)
    for i in range(len(mats) - 1):
        if mats[i].shape[-1] != mats[i + 1].shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {list(mats[i].shape)} and "
                f"{list(mats[i + 1].shape)} cannot be multiplied"
            )
    res = mats[0]
    for m in mats[1:]:
        res = _blas.mm(res, m)
    if first.ndim == 1 and last.ndim == 1:
        res = res.reshape(())
    elif first.ndim == 1:
        res = res.reshape(-1)
    elif last.ndim == 1:
        res = res.reshape(-1)
    return _arith._out(res, out)


def householder_product(A, tau, *, out=None):
    """Matches `torch.linalg.householder_product` (composed of ember ops, one step per reflector)."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_householder_product", householder_product, (A, tau), {})
    opname = "torch.linalg.householder_product"
    _tensor_arg(A, opname, "input")
    _tensor_arg(tau, opname, "tau")
    a = A._data
    if a.ndim < 2:
        raise RuntimeError(f"{opname}: input must have at least 2 dimensions.")
    m, n = a.shape[-2:]
    if m < n:
        raise RuntimeError(f"{opname}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    k = tau.shape[-1] if tau.ndim else 0
    if k > n:
        raise RuntimeError(f"{opname}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tau.ndim != a.ndim - 1:
        raise RuntimeError(
            f"{opname}: Expected tau to have one dimension less than input, but got tau.ndim equal to {tau.ndim} and input.ndim is equal to {a.ndim}"
        )
    _check_fp(A, opname)
    if tau.dtype != A.dtype:
        raise RuntimeError(f"{opname}: tau dtype {tau.dtype} does not match input dtype {A.dtype}")
    xp = xp_of(a)
    eye = xp.eye(m, n, dtype=a.dtype)
    strict = make(xp.tril(xp.ones((m, n), dtype=a.dtype), -1))
    V = A * strict + make(eye)
    Q = make(xp.broadcast_to(eye, a.shape).copy())
    for i in range(k - 1, -1, -1):
        v = V.narrow(-1, i, 1)
        t = tau.narrow(-1, i, 1).unsqueeze(-1)
        Q = Q - (v * t) @ (v.mH @ Q)
    return _arith._out(Q, out)


# -- LU -------------------------------------------------------------------------------------


def _lu_arrays(a):
    """(LU, 1-based int32 pivots, info) on a's device; CuPy has no batched getrf, so this is `_on_host`."""
    return _on_host(_lu_host, a)


def _lu_host(a):
    """Host arrays: SciPy's batched getrf, and getrf's info (1-based index of the first zero pivot, or 0)."""
    import scipy.linalg as sl  # noqa: PLC0415

    m, n = a.shape[-2:]
    k = min(m, n)
    if a.size == 0:
        piv = np.ones(a.shape[:-2] + (k,), np.int32) * np.arange(1, k + 1, dtype=np.int32)
        return a.copy(), piv, np.zeros(a.shape[:-2], np.int32)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        lu_, piv = sl.lu_factor(a, check_finite=False)
    lu_ = np.asarray(lu_, dtype=a.dtype)
    d = np.diagonal(lu_, axis1=-2, axis2=-1)[..., :k] == 0
    info = np.where(d.any(-1), d.argmax(-1) + 1, 0).astype(np.int32)
    return lu_, (np.asarray(piv) + 1).astype(np.int32), info


def _perm_from_pivots(piv, m):
    """Row permutation perm (A[perm] = L U) from LAPACK pivots, vectorised over the batch."""
    xp = xp_of(piv)
    batch = piv.shape[:-1]
    k = piv.shape[-1]
    p0 = piv.reshape(-1, k).astype(np.int64) - 1
    nb = p0.shape[0]
    perm = xp.broadcast_to(xp.arange(m), (nb, m)).copy()
    rows = xp.arange(nb)
    for i in range(k):
        j = p0[:, i]
        pi = perm[rows, i].copy()
        perm[rows, i] = perm[rows, j]
        perm[rows, j] = pi
    return perm.reshape(batch + (m,))


def _P_from_perm(perm, dt):
    """P with A = P L U: P[perm[i], i] = 1."""
    m = perm.shape[-1]
    Pt = (perm[..., :, None] == xp_of(perm).arange(m)).astype(dt)  # P^T: row i has its 1 at perm[i]
    return _swap(Pt).copy()


def _unpack_arrays(lu_, piv):
    m, n = lu_.shape[-2:]
    k = min(m, n)
    xp = xp_of(lu_)
    L = xp.tril(lu_[..., :, :k], -1)
    L[..., xp.arange(k), xp.arange(k)] = 1
    U = xp.triu(lu_[..., :k, :])
    P = _P_from_perm(_perm_from_pivots(piv, m), lu_.dtype)
    return P, L, U


def _lu_backward(gL, gU, P, L, U):
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    if m == n:
        gA = (L.mH @ gL).tril(-1) if gL is not None else None
        if gU is not None:
            t = (gU @ U.mH).triu()
            gA = t if gA is None else gA + t
        gA = solve_triangular(U.mH, gA, upper=False, left=False)
        gA = solve_triangular(L.mH, gA, upper=True, left=True, unitriangular=True)
        return P @ gA
    if m < n:
        U1 = U.narrow(-1, 0, k)
        gA = (L.mH @ gL) if gL is not None else None
        if gU is not None:
            t = gU.triu() @ U.mH
            gA = -t if gA is None else gA - t
        gA = solve_triangular(U1.mH, gA.tril(-1), upper=False, left=False)
        if gU is not None:
            gA = _j.cat([gA + gU.narrow(-1, 0, k).triu(), gU.narrow(-1, k, n - k)], -1)
        gA = solve_triangular(L.mH, gA, upper=True, left=True, unitriangular=True)
        if gU is None:
            gA = _j.cat([gA, make(xp_of(U._data).zeros(U.shape[:-2] + (k, n - k), U._data.dtype))], -1)
        return P @ gA
    L1 = L.narrow(-2, 0, k)
    gA = (gU @ U.mH) if gU is not None else None
    if gL is not None:
        t = L.mH @ gL.tril(-1)
        gA = -t if gA is None else gA - t
    gA = solve_triangular(L1.mH, gA.triu(), upper=True, left=True, unitriangular=True)
    if gL is not None:
        gA = _j.cat([gA + gL.narrow(-2, 0, k).tril(-1), gL.narrow(-2, k, m - k)], -2)
    gA = solve_triangular(U.mH, gA, upper=False, left=False)
    if gL is None:
        gA = _j.cat([gA, make(xp_of(L._data).zeros(L.shape[:-2] + (m - k, k), L._data.dtype))], -2)
    return P @ gA


class LinalgLuFactorExBackward0(Node):
    def backward(self, gLU, gpiv=None, ginfo=None):
        (LU,) = self.saved
        P = make(_unpack_arrays(LU._data, self.piv)[0])
        m, n = LU.shape[-2:]
        k = min(m, n)
        Lt = LU.narrow(-1, 0, k).tril(-1) + make(xp_of(LU._data).eye(m, k, dtype=LU._data.dtype))
        Ut = LU.narrow(-2, 0, k).triu()
        gL = gLU.narrow(-1, 0, k).tril(-1)
        gU = gLU.narrow(-2, 0, k).triu()
        return (_lu_backward(gL, gU, P, Lt, Ut),)


def _lu_factor_impl(A, pivot, opname):
    _tensor_arg(A, opname)
    if A._data.ndim < 2:
        raise RuntimeError(
            f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got size: {list(A.shape)} instead"
        )
    a = A._data
    if a.dtype.kind not in "fc" or a.dtype == np.float16:
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{scalar_type_name(a.dtype)}'")
    if not pivot:
        raise RuntimeError(f"{opname}: LU without pivoting is not implemented on the CPU")
    lu_, piv, info = _lu_arrays(a)
    LU = make(lu_)
    if _needs(A):
        node = LinalgLuFactorExBackward0()
        node.piv = piv
        attach(LU, node, (A,))
        node.save(LU)
    return LU, make(piv), make(info)


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """Matches `torch.linalg.lu_factor_ex`: (LU, pivots, info)."""
    LU, piv, info = _lu_factor_impl(A, pivot, "torch.linalg.lu_factor_ex")
    if check_errors:
        _raise_first(info._data, _inv_msg, "torch.linalg.lu_factor_ex", A.ndim > 2)
    return _rt.linalg_lu_factor_ex(LU, piv, info)


def lu_factor(A, *, pivot=True, out=None):
    """Matches `torch.linalg.lu_factor`: (LU, pivots); an exactly singular matrix is an error."""
    LU, piv, info = _lu_factor_impl(A, pivot, "torch.linalg.lu_factor")
    flat = _host(info._data).reshape(-1)
    bad = np.flatnonzero(flat)
    if bad.size:
        i = int(bad[0])
        k = int(flat[i])
        raise RuntimeError(
            f"torch.linalg.lu_factor: {_batch_prefix(i, A.ndim > 2)}U[{k},{k}] is zero and using it on lu_solve "
            "would result in a division by zero. If you still want to perform the factorization, consider calling "
            "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
        )
    return _rt.linalg_lu_factor(LU, piv)


class LinalgLuBackward0(Node):
    def backward(self, gP, gL, gU):
        P, L, U = self.saved
        if gL is None and gU is None:
            return (None,)
        return (_lu_backward(gL, gU, P, L, U),)


def lu(A, *, pivot=True, out=None):
    """Matches `torch.linalg.lu`: (P, L, U) with A = P L U."""
    opname = "linalg.lu"
    _tensor_arg(A, opname)
    _check_matrix(A, opname)
    _check_fp(A, opname)
    if not pivot:
        raise RuntimeError("linalg.lu: LU without pivoting is not implemented on the CPU")
    lu_, piv, _ = _lu_arrays(A._data)
    p, l_, u = _unpack_arrays(lu_, piv)
    P, L, U = make(p), make(l_), make(u)
    if _needs(A):
        node = LinalgLuBackward0()
        _attach_outputs((P, L, U), node, (A,), (False, True, True))
        node.save(P, L, U)
    return _rt.linalg_lu(P, L, U)


class LinalgLuSolveBackward0(Node):
    def backward(self, g):
        LU, B, X = self.saved
        left, adjoint = self.left, self.adjoint
        P = make(_unpack_arrays(LU._data, self.piv)[0])
        n = LU.shape[-1]
        L = LU.tril(-1) + _eye(n, LU._data.dtype, LU)
        U = LU.triu()
        gB = lu_solve(LU, make(self.piv), g, left=left, adjoint=not adjoint)
        gLU = None
        if self.needs(0):
            gAop = -(gB @ X.mH) if left else -(X.mH @ gB)
            gA = gAop.mH if adjoint else gAop
            gA = P.mT @ gA
            gLU = (gA @ U.mH).tril(-1) + (L.mH @ gA).triu()
        return gLU, None, (gB if self.needs(2) else None)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """Matches `torch.linalg.lu_solve`."""
    opname = "linalg.lu_solve"
    _tensor_arg(LU, opname, "LU")
    _tensor_arg(B, opname, "B")
    _check_square(LU, opname, "LU")
    _check_matrix(B, opname, "B")
    _check_fp(LU, opname)
    lu_, b = LU._data, B._data
    _check_same_dtype(lu_, b, opname, "LU")
    _check_equation(lu_.shape[-1], b, left, opname)
    piv = pivots._data.astype(np.int32, copy=False)
    p, l_, u = _unpack_arrays(lu_, piv)
    xp = xp_of(lu_)
    a = xp.matmul(p, xp.matmul(l_, u))
    if adjoint:
        a = _swap(a).conj()
    x, _ = _solve_arrays(a, b, left)
    X = make(x)
    if _needs(LU, B):
        node = LinalgLuSolveBackward0()
        node.left, node.adjoint, node.piv = left, adjoint, piv
        attach(X, node, (LU, None, B))
        node.save(LU, B, X)
    return _arith._out(X, out)


# -- composites -----------------------------------------------------------------------------


def tensorinv(A, ind=2, *, out=None):
    """Matches `torch.linalg.tensorinv`."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_tensorinv", tensorinv, (A, ind), {})
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = tuple(A.shape)
    a_, b_ = int(np.prod(shape[:ind])), int(np.prod(shape[ind:]))
    if a_ != b_:
        raise RuntimeError(
            f"Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), but got {b_} != {a_}"
        )
    res = inv(A.reshape(a_, b_))
    return _arith._out(res.reshape(shape[ind:] + shape[:ind]), out)


def tensorsolve(A, B, dims=None, *, out=None):
    """Matches `torch.linalg.tensorsolve`."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_tensorsolve", tensorsolve, (A, B, dims), {})
    nd = A.ndim
    if dims is not None:
        dims = [wrap_dim(d, nd) for d in dims]
        A = _s2.movedim(A, dims, list(range(nd - len(dims), nd)))
    rest = tuple(A.shape[B.ndim :])
    nb = int(np.prod(B.shape))
    nr = int(np.prod(rest))
    if nb != nr:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), "
            f"but got {nr} != {nb}"
        )
    X = solve(A.reshape(nb, nr), B.reshape(nb))
    return _arith._out(X.reshape(rest), out)


def vander(x, *, N=None):
    """Matches `torch.linalg.vander`: columns x**0, x**1, ... x**(N-1)."""
    if x.ndim < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension.")
    if N is None:
        N = x.shape[-1]
    if N <= 1:
        raise RuntimeError("N must be greater than 1.")
    xx = x.to(D.FROM_NP[_vander_dtype(x)]) if x._data.dtype == np.bool_ else x
    ones = make(xp_of(xx._data).ones(x.shape + (1,), dtype=xx._data.dtype))
    pw = xx.unsqueeze(-1).expand(*x.shape, N - 1).cumprod(-1)
    return _j.cat([ones, pw], -1)


def _vander_dtype(x):
    return np.dtype(np.int64) if x._data.dtype == np.bool_ else x._data.dtype


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """Matches `torch.linalg.diagonal`."""
    return A.diagonal(offset, dim1, dim2)


def vecdot(x, y, *, dim=-1, out=None):
    """Matches `torch.linalg.vecdot`: sum(conj(x) * y, dim)."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_vecdot", vecdot, (x, y), {"dim": dim})
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor {list(x.shape)} and src {list(y.shape)} to have the same "
            f"number of elements, but got {x.numel()} and {y.numel()} elements respectively"
        ) from None
    return _arith._out(_red.sum(_arith.conj(x) * y, dim), out)


# -- norms ----------------------------------------------------------------------------------


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """Matches `torch.linalg.vector_norm`."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_vector_norm", vector_norm, (x, ord, dim, keepdim), {"dtype": dtype})
    _tensor_arg(x, "linalg.vector_norm", "input")
    return _arith._out(_red._vector_norm(x, ord, dim, keepdim, dtype), out)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """Matches `torch.linalg.matrix_norm`: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2."""
    if AUTOCAST.on and out is None:
        return autocast_call("linalg_matrix_norm", matrix_norm, (A, ord, dim, keepdim), {"dtype": dtype})
    opname = "linalg.matrix_norm"
    _tensor_arg(A, opname)
    _check_matrix(A, opname)
    nd = A.ndim
    dim = tuple(dim)
    if len(dim) != 2:
        raise RuntimeError(f"{opname}: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
    d0, d1 = wrap_dim(dim[0], nd), wrap_dim(dim[1], nd)
    if d0 == d1:
        raise RuntimeError(f"{opname}: dims must be different. Got ({dim[0]}, {dim[1]})")
    ok = ord in ("fro", "nuc") if isinstance(ord, str) else ord in (1, -1, 2, -2, float("inf"), float("-inf"))
    if not ok:
        raise RuntimeError(f"{opname}: Order {ord} not supported.")
    if dtype is not None and dtype.np != A._data.dtype:
        A = A.to(dtype)  # before the dtype check, as torch (autocast passes dtype=float32 for float16 input)
    _check_fp(A, opname)
    if ord == "fro":
        return _arith._out(_red._vector_norm(A, 2, (d0, d1), keepdim, None, opname), out)
    if ord == "nuc" or abs(ord) == 2:
        perm = [i for i in range(nd) if i not in (d0, d1)] + [d0, d1]
        s = svdvals(A.permute(perm))
        if ord == "nuc":
            r = _red.sum(s, -1, keepdim)
        else:
            r = _r2.amax(s, -1, keepdim) if ord > 0 else _r2.amin(s, -1, keepdim)
        if keepdim:
            r = r.unsqueeze(-1).permute([perm.index(i) for i in range(nd)])
        return _arith._out(r, out)
    red, mx = (d0, d1) if abs(ord) == 1 else (d1, d0)
    s = _red._vector_norm(A, 1, (red,), keepdim, None, opname)
    if not keepdim and red < mx:
        mx -= 1
    r = _r2.amax(s, mx, keepdim) if ord > 0 else _r2.amin(s, mx, keepdim)
    return _arith._out(r, out)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """Matches `torch.linalg.norm`."""
    _tensor_arg(A, "linalg.norm")
    if dim is not None:
        if isinstance(dim, int):
            dim = (dim,)
        dim = tuple(dim)
        if len(dim) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
        if isinstance(ord, str):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    if A.ndim not in (1, 2):
        raise RuntimeError(
            f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D."
        )
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: Order {ord} not supported.")
    return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)
