"""`cupy_backends.cuda.libs.cublas` for the stand-in: gemmStridedBatchedEx computed with NumPy on the buffers
its pointers name, with cuBLAS's documented semantics (column-major storage, op N/T, leading dimensions,
batch strides, host pointers to alpha and beta) and its argument checks (a leading dimension below the stored
column length, an unknown enum or a negative size is CUBLAS_STATUS_INVALID_VALUE). A call described wrongly
gives wrong numbers, which the tests comparing against torch see. The stand-in's arrays are NumPy buffers, so
`data.ptr` is a host address here.
"""

import ctypes

import numpy as np

from . import _core

CUBLAS_OP_N, CUBLAS_OP_T = 0, 1
_DTYPES = {0: np.dtype(np.float32), 1: np.dtype(np.float64)}  # cudaDataType_t
_COMPUTE = {68: 0, 77: 0, 70: 1}  # cublasComputeType_t -> the data type it serves
CALLS = []  # (transa, transb, m, n, k, lda, strideA, ldb, strideB, ldc, strideC, batchCount, computeType)
STREAMS = {}  # handle -> the stream set on it (cuBLAS launches its kernels there)
CALL_STREAMS = []  # the stream of each call in CALLS


def setStream(handle, stream):  # noqa: N802 - CuPy's name
    STREAMS[handle] = int(stream)


class CUBLASError(RuntimeError):
    pass


def _view(ptr, dtype, rows, cols, ld, stride, count):
    """The `count` column-major (rows, cols) matrices at ptr with leading dimension ld and batch stride."""
    extent = (count - 1) * abs(stride) + (cols - 1) * ld + rows
    buf = (ctypes.c_ubyte * (extent * dtype.itemsize)).from_address(ptr)
    flat = np.ctypeslib.as_array(buf).view(dtype)  # writable, unlike frombuffer's
    isz = dtype.itemsize
    return np.lib.stride_tricks.as_strided(flat, (count, rows, cols), (stride * isz, isz, ld * isz))


def gemmStridedBatchedEx(  # noqa: N802 - CuPy's name
    handle,
    transa,
    transb,
    m,
    n,
    k,
    alpha,
    A,
    Atype,
    lda,
    strideA,
    B,
    Btype,
    ldb,
    strideB,
    beta,
    C,
    Ctype,
    ldc,
    strideC,
    batchCount,
    computeType,
    algo,
):
    if transa not in (0, 1) or transb not in (0, 1) or min(m, n, k, batchCount) < 0:
        raise CUBLASError("CUBLAS_STATUS_INVALID_VALUE")
    if not (Atype == Btype == Ctype) or Atype not in _DTYPES or _COMPUTE.get(computeType) != Atype:
        raise CUBLASError("CUBLAS_STATUS_NOT_SUPPORTED")
    a_rows, a_cols = (m, k) if transa == CUBLAS_OP_N else (k, m)
    b_rows, b_cols = (k, n) if transb == CUBLAS_OP_N else (n, k)
    if lda < max(1, a_rows) or ldb < max(1, b_rows) or ldc < max(1, m):
        raise CUBLASError("CUBLAS_STATUS_INVALID_VALUE")
    CALLS.append((transa, transb, m, n, k, lda, strideA, ldb, strideB, ldc, strideC, batchCount, computeType))
    CALL_STREAMS.append(STREAMS.get(handle, 0))
    _core.count("cublas:gemmStridedBatchedEx")
    if 0 in (m, n, batchCount):
        return
    dt = _DTYPES[Atype]
    al = np.frombuffer((ctypes.c_char * dt.itemsize).from_address(alpha), dt)[0]
    be = np.frombuffer((ctypes.c_char * dt.itemsize).from_address(beta), dt)[0]
    a = _view(A, dt, a_rows, a_cols, lda, strideA, batchCount)
    b = _view(B, dt, b_rows, b_cols, ldb, strideB, batchCount)
    c = _view(C, dt, m, n, ldc, strideC, batchCount)
    opa = a if transa == CUBLAS_OP_N else a.transpose(0, 2, 1)
    opb = b if transb == CUBLAS_OP_N else b.transpose(0, 2, 1)
    prod = np.matmul(opa.astype(dt), opb.astype(dt))  # read every input before the first write
    c[...] = al * prod + (be * c if be != 0 else 0)
