"""Batched matrix products through one cuBLAS strided-batched GEMM, on the operands as they lie.

CuPy's matmul copies every operand of a batched product that is not C-contiguous (attention's k-transposed,
the per-head views of a packed projection, a transposed probability matrix) and broadcasts with pointer
arrays it builds on the device. cuBLAS itself takes each matrix in row- or column-major order with any
leading dimension, and the batch as one stride (0 to broadcast), so `bmm` describes the operands and the
output that way and makes one call; it returns None where they cannot be described (then the caller uses
CuPy's matmul).

cuBLAS is column-major: a row-major matrix with row stride ld is its transpose stored column-major with
leading dimension ld. For a row-major C the product is computed as C^T = B^T A^T.
"""

import warnings

import numpy as np

from .._backend import contiguous_strides, cupy

_OP_N, _OP_T = 0, 1
_CUDA_R = {np.dtype(np.float32): 0, np.dtype(np.float64): 1}  # cudaDataType_t
_COMPUTE_32F, _COMPUTE_32F_FAST_TF32, _COMPUTE_64F = 68, 77, 70  # cublasComputeType_t
_GEMM_DEFAULT = -1
_INT_MAX = 2**31 - 1

ENABLED = True  # turned off for the process if the cuBLAS call itself fails (the caller falls back)


def _matrix(shape, strides, itemsize):
    """(major, ld) of a (r, c) matrix with element strides: "row" (unit column stride, ld = row stride) or
    "col" (unit row stride, ld = column stride), or None. ld is at least the stored column's length, as
    cuBLAS requires."""
    r, c = shape
    rs, cs = (s // itemsize for s in strides)
    if any(s % itemsize for s in strides) or rs < 0 or cs < 0:
        return None
    if c == 1 or cs == 1:
        ld = rs if r > 1 else max(c, 1)
        if ld >= max(c, 1):
            return "row", ld
    if r == 1 or rs == 1:
        ld = cs if c > 1 else max(r, 1)
        if ld >= max(r, 1):
            return "col", ld
    return None


def _batch(shape, strides, itemsize, out_batch):
    """(count, element stride) of an operand's leading dims against the output's batch shape: stride 0 when the
    operand has one matrix (broadcast), else its batch dims must merge into one stride; None otherwise."""
    count = 1
    for s in shape:
        count *= s
    total = 1
    for s in out_batch:
        total *= s
    if count == 1:
        return total, 0
    if tuple(shape) != tuple(out_batch):
        return None
    dims = [(n, st // itemsize) for n, st in zip(shape, strides) if n != 1]
    if any(st % itemsize for st in strides):
        return None
    stride = dims[-1][1]
    for (_, s_outer), (n_inner, s_inner) in zip(dims[:-1], dims[1:]):
        if s_outer != s_inner * n_inner:
            return None
    return total, stride


def _op(major, want_transposed):
    """cuBLAS's op for a stored matrix so that op(stored) is the matrix (or its transpose, when wanted)."""
    stored_is_transpose = major == "row"  # a row-major X is X^T stored column-major
    return _OP_N if stored_is_transpose == want_transposed else _OP_T


_PLANS = {}  # operand and output layouts -> the cuBLAS call's arguments (or None: not describable)
_MISS = object()


def bmm(a, b, out=None):
    """a @ b for CuPy arrays of ndim >= 3 (or one of them 2-D) of one dtype, float32 or float64, in one cuBLAS
    call; into `out` when given (its layout must be describable), else into a fresh C-contiguous array.
    Returns the result, or None when the operands cannot be described (nothing was written). The call's
    arguments are worked out once per combination of shapes, strides and dtypes (a train step repeats a few)."""
    if not ENABLED:
        return None
    key = (a.shape, a.strides, a.dtype, b.shape, b.strides, b.dtype)
    if out is not None:
        key += (out.shape, out.strides, out.dtype)
    plan = _PLANS.get(key, _MISS)
    if plan is _MISS:
        plan = _plan(a, b, out)
        if len(_PLANS) >= 1024:
            _PLANS.clear()
        _PLANS[key] = plan
    if plan is None:
        return None
    shape, swap, transa, transb, M, N, K, ldx, sx, ldy, sy, ldc, sc, count = plan
    c = cupy().ndarray(shape, a.dtype) if out is None else out  # (cupy.empty is a Python wrapper of this)
    x, y = (b, a) if swap else (a, b)
    return c if _gemm(transa, transb, M, N, K, x, ldx, sx, y, ldy, sy, c, ldc, sc, count) else None


def _plan(a, b, out):
    """The arguments of the strided-batched GEMM computing a @ b (into out, or a fresh C-contiguous array):
    (output shape, operands swapped, transa, transb, M, N, K, ldx, stride x, ldy, stride y, ldc, stride c,
    batch count), or None."""
    if a.dtype != b.dtype or a.dtype not in _CUDA_R or a.ndim < 2 or b.ndim < 2:
        return None
    m, k = a.shape[-2:]
    k2, n = b.shape[-2:]
    if k != k2 or 0 in (m, n, k) or max(m, n, k) > _INT_MAX:
        return None
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        return None
    if 0 in batch:
        return None
    isz = a.itemsize
    ma, mb = _matrix((m, k), a.strides[-2:], isz), _matrix((k, n), b.strides[-2:], isz)
    ba, bb = _batch(a.shape[:-2], a.strides[:-2], isz, batch), _batch(b.shape[:-2], b.strides[:-2], isz, batch)
    if None in (ma, mb, ba, bb):
        return None
    shape = batch + (m, n)
    if out is None:
        c_shape, c_strides = shape, tuple(s * isz for s in contiguous_strides(shape))
    else:
        if out.dtype != a.dtype or tuple(out.shape) != shape:
            return None
        c_shape, c_strides = out.shape, out.strides
    mc = _matrix((m, n), c_strides[-2:], isz)
    bc = _batch(c_shape[:-2], c_strides[:-2], isz, batch)
    if mc is None or bc is None or (bc[0] > 1 and bc[1] == 0):
        return None
    count = bc[0]
    if mc[0] == "col":  # C = A B, column-major C (M, N, K) = (m, n, k)
        args = (False, _op(ma[0], False), _op(mb[0], False), m, n, k, ma[1], ba[1], mb[1], bb[1])
    else:  # C^T = B^T A^T: column-major C^T is (n, m)
        args = (True, _op(mb[0], True), _op(ma[0], True), n, m, k, mb[1], bb[1], ma[1], ba[1])
    if max(args[6], args[8], mc[1]) > _INT_MAX or count > _INT_MAX:
        return None
    return (shape,) + args + (mc[1], bc[1], count)


_SCALARS = {dt: (np.ones((), dt), np.zeros((), dt)) for dt in _CUDA_R}  # alpha and beta, kept alive
# their host addresses, the cuBLAS data type and the compute types (default, TF32) per dtype: read once
# (numpy's .ctypes builds an object per access, a few microseconds per GEMM on a slow host)
_ARGS = {
    dt: (one.ctypes.data, zero.ctypes.data, _CUDA_R[dt], _COMPUTE_64F if dt == np.float64 else _COMPUTE_32F)
    for dt, (one, zero) in _SCALARS.items()
}
_cublas = _matmul = None  # CuPy's cuBLAS bindings and ember.backends.cuda.matmul, bound on first use


def _gemm(transa, transb, M, N, K, x, ldx, sx, y, ldy, sy, c, ldc, sc, count):
    global ENABLED, _cublas, _matmul
    if _cublas is None:
        from cupy_backends.cuda.libs import cublas  # noqa: PLC0415 - CuPy's cuBLAS bindings

        from ..backends.cuda import matmul  # noqa: PLC0415 - ember.backends imports ember.cuda

        _cublas, _matmul = cublas, matmul

    one, zero, r, compute = _ARGS[x.dtype]
    if compute == _COMPUTE_32F and _matmul._tf32():
        compute = _COMPUTE_32F_FAST_TF32
    try:
        cuda = cupy().cuda
        handle = cuda.device.get_cublas_handle()
        _cublas.setStream(handle, cuda.get_current_stream().ptr)  # the handle is shared: the caller's stream
        _cublas.gemmStridedBatchedEx(
            handle,
            transa,
            transb,
            M,
            N,
            K,
            one,
            x.data.ptr,
            r,
            ldx,
            sx,
            y.data.ptr,
            r,
            ldy,
            sy,
            zero,
            c.data.ptr,
            r,
            ldc,
            sc,
            count,
            compute,
            _GEMM_DEFAULT,
        )
    except Exception as e:  # noqa: BLE001 - an unexpected binding or status: CuPy's matmul from now on
        ENABLED = False
        warnings.warn(
            f"cuBLAS strided-batched GEMM failed ({type(e).__name__}: {e}); using CuPy's matmul", stacklevel=3
        )
        return False
    return True
