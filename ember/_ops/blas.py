"""Basic linear algebra: matmul and its rank cases (dot mv mm bmm), vdot inner outer/ger, the fused
add-products (addmm addmv addr baddbmm addbmm), einsum, tensordot, kron, cross, cdist, trace and
chain_matmul.

Every product is one NumPy/BLAS call (np.matmul, np.einsum with optimize, np.tensordot) in the inputs'
dtype; float16/bfloat16 are multiplied in float32 and rounded back, as torch's CPU kernels accumulate.
Backward formulas are written with these same ops, so higher-order gradients work.
"""

import functools
import warnings

import numpy as np

from .. import _dtype as D
from .._autocast import AUTOCAST, autocast_call
from ..cuda import _blas
from ._core import (
    GRAD,
    Node,
    Tensor,
    arr,
    attach,
    binary_arrays,
    bind,
    check_same_device,
    inplace,
    make,
    scalar_type_name,
    wrap_dim,
    xp_of,
)
from .arith import _out, conj, mul
from .convert import clone
from .reduction import sum as _sum
from .shape import reshape, squeeze, transpose, unsqueeze

__all__ = [
    "matmul",
    "mm",
    "bmm",
    "mv",
    "dot",
    "vdot",
    "inner",
    "outer",
    "ger",
    "addmm",
    "addmv",
    "addr",
    "baddbmm",
    "addbmm",
    "einsum",
    "tensordot",
    "kron",
    "cross",
    "cdist",
    "trace",
    "chain_matmul",
]

# -- helpers --------------------------------------------------------------------------------

_CPP_NAMES = {
    "bool": "bool",
    "uint8": "unsigned char",
    "int8": "signed char",
    "int16": "short int",
    "int32": "int",
    "int64": "long int",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "float32": "float",
    "float64": "double",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


def _tname(t):
    """torch's ScalarType name of a tensor's dtype: Float, Double, Long..."""
    return scalar_type_name(t._data.dtype)


def _check_tensor(x, opname, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{opname}(): argument '{name}' must be Tensor, not {type(x).__name__}")


def _lowp(dt):
    return dt.itemsize == 2 and dt.kind in "fV"


def _matmul_arrays(x, y):
    """np.matmul in the operands' dtype (float16/bfloat16 accumulate in float32). A CuPy product of matrices is
    one cuBLAS call on the operands as they lie (CuPy's matmul copies strided batched ones, and spends a third
    more host time on a 2-D one)."""
    dt = x.dtype
    if type(x) is not np.ndarray and x.ndim >= 2 and y.ndim >= 2:
        r = _blas.bmm(x, y)
        if r is not None:
            return r
    if _lowp(dt):
        return arr(xp_of(x).matmul(x.astype(np.float32), y.astype(np.float32)).astype(dt))
    return arr(xp_of(x).matmul(x, y))


def _no_bool(t, kernel):
    if t._data.dtype == np.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _shape_str(s):
    return "x".join(map(str, s))


def _scale(x, s):
    """x * s for a Python scalar s, keeping x's dtype."""
    if s == 1:
        return x
    return np.multiply(x, s, dtype=x.dtype, casting="unsafe") if x.dtype.kind != "V" else (x * s).astype(x.dtype)


def _expand_to(input, shape, opname):
    """torch's expand check for the `input` of the fused add-products; returns the broadcast array."""
    s = tuple(input._data.shape)
    if len(s) > len(shape):
        raise RuntimeError(
            f"expand(torch.{_tname(input)}Tensor{{[{', '.join(map(str, s))}]}}, size=[{', '.join(map(str, shape))}]): "
            f"the number of sizes provided ({len(shape)}) must be greater or equal to the number of dimensions in "
            f"the tensor ({len(s)})"
        )
    lead = len(shape) - len(s)
    for i, k in enumerate(s):
        if k != 1 and k != shape[lead + i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[lead + i]}) must match the existing size ({k}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: [{', '.join(map(str, shape))}].  "
                f"Tensor sizes: [{', '.join(map(str, s))}]"
            )


def _mT(t):
    return transpose(t, -2, -1)


class _Backward(Node):
    """Base for the nodes here: `saved` holds the operands."""


# -- dot / vdot -----------------------------------------------------------------------------


class DotBackward0(_Backward):
    def backward(self, g):
        a, b = self.saved
        return (g * conj(b) if self.needs(0) else None, g * conj(a) if self.needs(1) else None)


class VdotBackward0(_Backward):
    def backward(self, g):
        a, b = self.saved
        return (conj(g) * b if self.needs(0) else None, g * a if self.needs(1) else None)


def _check_dot(a, b, opname):
    check_same_device(opname, a, b)
    da, db = a._data, b._data
    if da.ndim != 1 or db.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {da.ndim}D and {db.ndim}D tensors")
    if da.shape[0] != db.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{da.shape[0]}] and src [{db.shape[0]}] to have the same "
            f"number of elements, but got {da.shape[0]} and {db.shape[0]} elements respectively"
        )
    if da.dtype != db.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_tname(a)} and {_tname(b)}")
    _no_bool(a, opname)


def _dot_arrays(x, y, vdot=False):
    dt = x.dtype
    xp = xp_of(x)
    if _lowp(dt):
        x, y = x.astype(np.float32), y.astype(np.float32)
    r = xp.vdot(x, y) if vdot else xp.dot(x, y)
    return xp.asarray(r).astype(dt, copy=False)


def dot(input, tensor, *, out=None):
    """Matches `torch.dot`."""
    if AUTOCAST.on and out is None:
        return autocast_call("dot", dot, (input, tensor), {})
    _check_tensor(input, "dot", "input")
    _check_tensor(tensor, "dot", "tensor")
    _check_dot(input, tensor, "dot")
    r = make(_dot_arrays(input._data, tensor._data))
    if GRAD.enabled and (input._requires_grad or tensor._requires_grad):
        node = DotBackward0()
        node.save(input, tensor)
        attach(r, node, (input, tensor))
    return _out(r, out)


def vdot(input, other, *, out=None):
    """Matches `torch.vdot` (conjugates the first argument)."""
    if AUTOCAST.on and out is None:
        return autocast_call("vdot", vdot, (input, other), {})
    _check_tensor(input, "vdot", "input")
    _check_tensor(other, "vdot", "other")
    _check_dot(input, other, "vdot")
    r = make(_dot_arrays(input._data, other._data, vdot=True))
    if GRAD.enabled and (input._requires_grad or other._requires_grad):
        node = VdotBackward0()
        node.save(input, other)
        attach(r, node, (input, other))
    return _out(r, out)


# -- mm / bmm / mv --------------------------------------------------------------------------


class MmBackward0(_Backward):
    def backward(self, g):
        a, b = self.saved
        return (
            mm(g, conj(_mT(b))) if self.needs(0) else None,
            mm(conj(_mT(a)), g) if self.needs(1) else None,
        )


class BmmBackward0(_Backward):
    def backward(self, g):
        a, b = self.saved
        return (
            bmm(g, conj(_mT(b))) if self.needs(0) else None,
            bmm(conj(_mT(a)), g) if self.needs(1) else None,
        )


class MvBackward0(_Backward):
    def backward(self, g):
        a, b = self.saved
        return (
            unsqueeze(g, 1) * conj(b) if self.needs(0) else None,
            mv(conj(_mT(a)), g) if self.needs(1) else None,
        )


def _check_mm_dtypes(a, b):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_CPP_NAMES[a._data.dtype.name]} != "
            f"{_CPP_NAMES[b._data.dtype.name]}"
        )


def _mm_shape_error(sa, sb):
    return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(sa)} and {_shape_str(sb)})")


def _mm_raw(a, b, node_cls, check_dtype=True):
    """2-D @ 2-D with node `node_cls` (checks shapes and dtypes)."""
    if check_dtype:
        _check_mm_dtypes(a, b)
    sa, sb = a._data.shape, b._data.shape
    if sa[1] != sb[0]:
        raise _mm_shape_error(sa, sb)
    _no_bool(a, "addmm_impl_cpu_")
    r = make(_matmul_arrays(a._data, b._data))
    if GRAD.enabled and (a._requires_grad or b._requires_grad):
        node = node_cls()
        node.save(a, b)
        attach(r, node, (a, b))
    return r


def mm(input, mat2, *, out=None):
    """Matches `torch.mm`."""
    if AUTOCAST.on and out is None:
        return autocast_call("mm", mm, (input, mat2), {})
    _check_tensor(input, "mm", "input")
    _check_tensor(mat2, "mm", "mat2")
    check_same_device("mm", input, mat2)
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return _out(_mm_raw(input, mat2, MmBackward0), out)


def _check_bmm(a, b, n1="batch1", n2="batch2"):
    if a._data.ndim != 3:
        raise RuntimeError(f"{n1} must be a 3D tensor")
    if b._data.ndim != 3:
        raise RuntimeError(f"{n2} must be a 3D tensor")
    sa, sb = a._data.shape, b._data.shape
    if sb[0] != sa[0] or sb[1] != sa[2]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] but got: "
            f"[{sb[0]}, {sb[1]}]."
        )


def bmm(input, mat2, *, out=None):
    """Matches `torch.bmm`."""
    if AUTOCAST.on and out is None:
        return autocast_call("bmm", bmm, (input, mat2), {})
    _check_tensor(input, "bmm", "input")
    _check_tensor(mat2, "bmm", "mat2")
    check_same_device("bmm", input, mat2)
    _check_bmm(input, mat2)
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"expected scalar type {_tname(input)} but found {_tname(mat2)}")
    _no_bool(input, "bmm")
    r = make(_matmul_arrays(input._data, mat2._data))
    if GRAD.enabled and (input._requires_grad or mat2._requires_grad):
        node = BmmBackward0()
        node.save(input, mat2)
        attach(r, node, (input, mat2))
    return _out(r, out)


def _check_mv(a, v, input=None):
    check_same_device("mv", a, v, input)
    ni = 1 if input is None else input._data.ndim
    if a._data.ndim != 2 or v._data.ndim != 1 or ni > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {ni}, {a._data.ndim}, {v._data.ndim}")
    n, k = a._data.shape
    nin = n if input is None or input._data.ndim == 0 else input._data.shape[0]
    if v._data.shape[0] != k or (nin != n and nin != 1):
        raise RuntimeError(f"size mismatch, got input ({nin}), mat ({n}x{k}), vec ({v._data.shape[0]})")
    dts = [t._data.dtype for t in ((input,) if input is not None else (v,)) + (a, v)]
    if len(set(dts)) != 1:
        names = [_tname(t) for t in ((input,) if input is not None else (v,)) + (a, v)]
        raise RuntimeError(
            f"addmv input tensors must have the same dtype, but got {names[0]}, {names[1]}, and {names[2]}"
        )
    _no_bool(a, "addmv_impl_cpu")


def mv(input, vec, *, out=None):
    """Matches `torch.mv`."""
    if AUTOCAST.on and out is None:
        return autocast_call("mv", mv, (input, vec), {})
    _check_tensor(input, "mv", "input")
    _check_tensor(vec, "mv", "vec")
    _check_mv(input, vec)
    r = make(_matmul_arrays(input._data, vec._data))
    if GRAD.enabled and (input._requires_grad or vec._requires_grad):
        node = MvBackward0()
        node.save(input, vec)
        attach(r, node, (input, vec))
    return _out(r, out)


# -- matmul ---------------------------------------------------------------------------------


class _MatmulBackward(_Backward):
    """matmul for the 1-D @ 2-D and batched cases (torch names the result's node after the last view op)."""

    def backward(self, g):
        a, b = self.saved
        na, nb = a._data.ndim, b._data.ndim
        ga = gb = None
        if self.needs(0):
            if nb == 1:  # a (..., n, k), g (..., n)
                ga = unsqueeze(g, -1) * conj(b)
            elif na == 1:  # a (k,), b (..., k, m), g (..., m)
                ga = squeeze(matmul(conj(b), unsqueeze(g, -1)), -1)
            else:
                ga = matmul(g, conj(_mT(b)))
        if self.needs(1):
            if na == 1:  # gb (..., k, m)
                gb = unsqueeze(conj(a), -1) * unsqueeze(g, -2)
            elif nb == 1:  # a (..., n, k), g (..., n) -> (k,)
                k = a._data.shape[-1]
                gb = mv(conj(_mT(reshape(a, (-1, k)))), reshape(g, (-1,)))
            elif nb == 2 and na > 2:  # fold the batch into the rows: one mm, no (batch, k, m) temporary
                k, m = a._data.shape[-1], g._data.shape[-1]
                gb = mm(conj(_mT(reshape(a, (-1, k)))), reshape(g, (-1, m)))
            else:
                gb = matmul(conj(_mT(a)), g)
        return ga, gb


class SqueezeBackward4(_MatmulBackward):
    pass


class UnsafeViewBackward0(_MatmulBackward):
    pass


class CloneBackward0(_MatmulBackward):
    pass


def matmul(input, other, *, out=None):
    """Matches `torch.matmul` (every rank combination, broadcasting batch dims; one np.matmul call)."""
    if AUTOCAST.on and out is None:
        return autocast_call("matmul", matmul, (input, other), {})
    _check_tensor(input, "matmul", "input")
    _check_tensor(other, "matmul", "other")
    check_same_device("matmul", input, other)
    a, b = input._data, other._data
    na, nb = a.ndim, b.ndim
    if na == 2 and nb == 2:
        return _out(_mm_raw(input, other, MmBackward0), out)
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D")
    if na == 1 and nb == 1:
        return dot(input, other, out=out)
    if na == 2 and nb == 1:
        return mv(input, other, out=out)
    if na == 1 and nb == 2:
        _check_mm_dtypes(input, other)
        if a.shape[0] != b.shape[0]:
            raise _mm_shape_error((1, a.shape[0]), b.shape)
        _no_bool(input, "addmm_impl_cpu_")
        cls = SqueezeBackward4
    else:
        _check_batched(input, other)
        cls = CloneBackward0 if na == 2 and input._requires_grad else UnsafeViewBackward0
    if na >= 3 and nb <= 2:  # fold the batch into the rows: one gemm instead of one per matrix
        r = _matmul_arrays(a.reshape(-1, a.shape[-1]), b)
        r = make(r.reshape(a.shape[:-1] + b.shape[1:]))
    else:
        r = make(_matmul_arrays(a, b))
    if GRAD.enabled and (input._requires_grad or other._requires_grad):
        node = cls()
        node.save(input, other)
        attach(r, node, (input, other))
    return _out(r, out)


def _broadcast_batch(ba, bb):
    """np.broadcast_shapes of two batch shapes, with torch's message for the first mismatched dimension."""
    try:
        return np.broadcast_shapes(ba, bb)
    except ValueError:
        for i in range(1, min(len(ba), len(bb)) + 1):
            if ba[-i] != bb[-i] and ba[-i] != 1 and bb[-i] != 1:
                raise RuntimeError(
                    f"The size of tensor a ({ba[-i]}) must match the size of tensor b ({bb[-i]}) at non-singleton "
                    f"dimension {max(len(ba), len(bb)) - i}"
                ) from None
        raise


def _check_batched(input, other):
    a, b = input._data, other._data
    na, nb = a.ndim, b.ndim
    fold = na <= 2 or nb <= 2
    if a.dtype != b.dtype:
        if fold:
            _check_mm_dtypes(input, other)
        raise RuntimeError(f"expected scalar type {_tname(input)} but found {_tname(other)}")
    ka = a.shape[-1]
    kb = b.shape[-2] if nb >= 2 else b.shape[0]
    batch = _broadcast_batch(a.shape[:-2], b.shape[:-2] if nb >= 2 else ())
    if ka != kb:
        if nb <= 2 and na >= 3:
            raise _mm_shape_error((int(np.prod(a.shape[:-1])), ka), b.shape if nb == 2 else (kb, 1))
        if na <= 2 and nb >= 3:
            m = b.shape[-1]
            raise _mm_shape_error((int(np.prod(b.shape[:-2])) * m, kb), (ka, a.shape[0] if na == 2 else 1))
        nbatch = int(np.prod(batch))
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{nbatch}, {ka}] but got: "
            f"[{nbatch}, {kb}]."
        )
    _no_bool(input, "bmm")


def _rmatmul(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


def _dunder_matmul(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


# -- inner / outer --------------------------------------------------------------------------


def inner(input, other, *, out=None):
    """Matches `torch.inner`."""
    _check_tensor(input, "inner", "input")
    _check_tensor(other, "inner", "other")
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        return _out(mul(input, other), out)
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes {list(a.shape)} and "
            f"{list(b.shape)}"
        )
    return _out(_tensordot_dims(input, other, [a.ndim - 1], [b.ndim - 1]), out)


def outer(input, vec2, *, out=None):
    """Matches `torch.outer` (promotes dtypes like mul)."""
    _check_tensor(input, "outer", "input")
    _check_tensor(vec2, "outer", "vec2")
    for t, nm in ((input, "self"), (vec2, "vec2")):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {nm}, but got {t._data.ndim}-D")
    return _out(mul(unsqueeze(input, 1), vec2), out)


ger = outer


# -- fused add-products ---------------------------------------------------------------------


def _check_alpha_beta(dt, alpha, beta, opname):
    if dt.kind in "biu":
        for nm, v in (("beta", beta), ("alpha", alpha)):
            if isinstance(v, float):
                raise RuntimeError(f"For integral input tensors, argument {nm} must not be a floating point number.")


def _combine(inp, prod, beta, alpha):
    """beta * inp + alpha * prod in prod's dtype (beta == 0 ignores inp, nan included)."""
    prod = _scale(prod, alpha)
    if beta == 0:
        return prod
    return arr(np.add(prod, _scale(inp, beta), dtype=prod.dtype, casting="unsafe"))


def _scaled(g, s):
    return g if s == 1 else g * s


class _AddProductBackward(_Backward):
    """beta * input + alpha * f(x, y): subclasses give f's gradients for x (`_grad1`) and y (`_grad2`)."""

    def backward(self, g):
        x, y = self.saved
        a = self.alpha
        return (
            _scaled(g, self.beta) if self.needs(0) else None,
            _scaled(self._grad1(g, x, y), a) if self.needs(1) else None,
            _scaled(self._grad2(g, x, y), a) if self.needs(2) else None,
        )


class AddmmBackward0(_AddProductBackward):
    _grad1 = staticmethod(lambda g, m1, m2: mm(g, conj(_mT(m2))))
    _grad2 = staticmethod(lambda g, m1, m2: mm(conj(_mT(m1)), g))


def _addmm_forward(input, mat1, mat2, beta, alpha, opname):
    for t, nm in ((mat1, "mat1"), (mat2, "mat2")):
        if t._data.ndim != 2:
            raise RuntimeError(f"{nm} must be a matrix, got {t._data.ndim}-D tensor")
    for t in (input, mat1):
        if t._data.dtype != mat2._data.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_tname(t)} and {_tname(mat2)}")
    sa, sb = mat1._data.shape, mat2._data.shape
    if sa[1] != sb[0]:
        raise _mm_shape_error(sa, sb)
    _expand_to(input, (sa[0], sb[1]), opname)
    _no_bool(mat1, "addmm_impl_cpu_")
    return _combine(input._data, _matmul_arrays(mat1._data, mat2._data), beta, alpha)


def _node(cls, beta, alpha, *saved):
    node = cls()
    node.beta, node.alpha = beta, alpha
    node.save(*saved)
    return node


def _needs_grad(*ts):
    return GRAD.enabled and any(t._requires_grad for t in ts)


def _check_inplace_shape(self, shape):
    if tuple(self._data.shape) != tuple(shape):
        raise RuntimeError(
            f"Bad in-place call: input tensor size {list(self._data.shape)} and output tensor size {list(shape)} "
            "should match"
        )


def _add_product(forward, node_cls, input, x, y, beta, alpha, out, opname):
    """The out-of-place addmm family: beta * input + alpha * f(x, y) from `forward`, with its node."""
    r = make(forward(input, x, y, beta, alpha, opname))
    if _needs_grad(input, x, y):
        attach(r, _node(node_cls, beta, alpha, x, y), (input, x, y))
    return _out(r, out)


def _add_product_(forward, node_cls, self, x, y, beta, alpha, opname):
    """The in-place addmm family: self = beta * self + alpha * f(x, y)."""
    res = forward(self, x, y, beta, alpha, opname)
    _check_inplace_shape(self, res.shape)
    node = _node(node_cls, beta, alpha, x, y) if _needs_grad(self, x, y) else None
    return inplace(self, res, node, (self, x, y), opname)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """Matches `torch.addmm`: beta * input + alpha * (mat1 @ mat2)."""
    if AUTOCAST.on and out is None:
        return autocast_call("addmm", addmm, (input, mat1, mat2), {"beta": beta, "alpha": alpha})
    return _add_product(_addmm_forward, AddmmBackward0, input, mat1, mat2, beta, alpha, out, "addmm")


def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
    return _add_product_(_addmm_forward, AddmmBackward0, self, mat1, mat2, beta, alpha, "addmm_")


class AddmvBackward0(_AddProductBackward):
    _grad1 = staticmethod(lambda g, m, v: unsqueeze(g, 1) * conj(v))
    _grad2 = staticmethod(lambda g, m, v: mv(conj(_mT(m)), g))


def _addmv_forward(input, mat, vec, beta, alpha, opname):
    _check_mv(mat, vec, input)
    return _combine(input._data, _matmul_arrays(mat._data, vec._data), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """Matches `torch.addmv`: beta * input + alpha * (mat @ vec)."""
    if AUTOCAST.on and out is None:
        return autocast_call("addmv", addmv, (input, mat, vec), {"beta": beta, "alpha": alpha})
    return _add_product(_addmv_forward, AddmvBackward0, input, mat, vec, beta, alpha, out, "addmv")


def addmv_(self, mat, vec, *, beta=1, alpha=1):
    return _add_product_(_addmv_forward, AddmvBackward0, self, mat, vec, beta, alpha, "addmv_")


class AddrBackward0(_AddProductBackward):
    _grad1 = staticmethod(lambda g, v1, v2: _sum(g * conj(unsqueeze(v2, 0)), 1))
    _grad2 = staticmethod(lambda g, v1, v2: _sum(g * conj(unsqueeze(v1, 1)), 0))


def _addr_forward(input, vec1, vec2, beta, alpha, opname):
    for t, nm in ((vec1, "vec1"), (vec2, "vec2")):
        if t._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {nm}, but got {t._data.ndim}-D")
    dt = D.result_type_of((input, vec1, vec2)).np
    _check_alpha_beta(dt, alpha, beta, opname)
    shape = (vec1._data.shape[0], vec2._data.shape[0])
    if opname == "addr_" and tuple(input._data.shape) != shape:
        raise RuntimeError(f"size mismatch, input: {list(input._data.shape)}, v1: [{shape[0]}], v2: [{shape[1]}]")
    _expand_to(input, shape, opname)
    x, y, i = (t._data.astype(dt, copy=False) for t in (vec1, vec2, input))
    prod = np.multiply.outer(x, y)
    if dt == np.bool_:
        p = prod if alpha else np.zeros_like(prod)
        return np.logical_or(p, i) if beta else p
    return _combine(i, prod, beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """Matches `torch.addr`: beta * input + alpha * outer(vec1, vec2) (promotes dtypes)."""
    if AUTOCAST.on and out is None:
        return autocast_call("addr", addr, (input, vec1, vec2), {"beta": beta, "alpha": alpha})
    return _add_product(_addr_forward, AddrBackward0, input, vec1, vec2, beta, alpha, out, "addr")


def addr_(self, vec1, vec2, *, beta=1, alpha=1):
    return _add_product_(_addr_forward, AddrBackward0, self, vec1, vec2, beta, alpha, "addr_")


class BaddbmmBackward0(_AddProductBackward):
    _grad1 = staticmethod(lambda g, b1, b2: bmm(g, conj(_mT(b2))))
    _grad2 = staticmethod(lambda g, b1, b2: bmm(conj(_mT(b1)), g))


def _baddbmm_forward(input, batch1, batch2, beta, alpha, opname):
    _check_bmm(batch1, batch2)
    dts = {t._data.dtype for t in (input, batch1, batch2)}
    if len(dts) != 1:
        raise RuntimeError(
            f"Input dtypes must be the same, got: input {_CPP_NAMES[input._data.dtype.name]}, batch1: "
            f"{_CPP_NAMES[batch1._data.dtype.name]}, batch2: {_CPP_NAMES[batch2._data.dtype.name]}"
        )
    sa, sb = batch1._data.shape, batch2._data.shape
    _expand_to(input, (sa[0], sa[1], sb[2]), opname)
    _no_bool(batch1, "bmm")
    return _combine(input._data, _matmul_arrays(batch1._data, batch2._data), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """Matches `torch.baddbmm`: beta * input + alpha * bmm(batch1, batch2)."""
    if AUTOCAST.on and out is None:
        return autocast_call("baddbmm", baddbmm, (input, batch1, batch2), {"beta": beta, "alpha": alpha})
    return _add_product(_baddbmm_forward, BaddbmmBackward0, input, batch1, batch2, beta, alpha, out, "baddbmm")


def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
    return _add_product_(_baddbmm_forward, BaddbmmBackward0, self, batch1, batch2, beta, alpha, "baddbmm_")


class AddbmmBackward0(_AddProductBackward):
    _grad1 = staticmethod(lambda g, b1, b2: matmul(g, conj(_mT(b2))))
    _grad2 = staticmethod(lambda g, b1, b2: matmul(conj(_mT(b1)), g))


def _addbmm_forward(input, batch1, batch2, beta, alpha, opname):
    _check_bmm(batch1, batch2)
    sa, sb = batch1._data.shape, batch2._data.shape
    if sa[0] != sb[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {sa[0]} and {sb[0]}")
    if sa[2] != sb[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({sa[1]}x{sa[2]} and {sb[1]}x{sb[2]})")
    for t in (input, batch1):
        if t._data.dtype != batch2._data.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_tname(t)} and {_tname(batch2)}")
    _expand_to(input, (sa[1], sb[2]), opname)
    _no_bool(batch1, "addmm_impl_cpu_")
    x = batch1._data.transpose(1, 0, 2).reshape(sa[1], sa[0] * sa[2])
    y = batch2._data.reshape(sb[0] * sb[1], sb[2])
    return _combine(input._data, _matmul_arrays(x, y), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """Matches `torch.addbmm`: beta * input + alpha * sum_b batch1[b] @ batch2[b]."""
    if AUTOCAST.on and out is None:
        return autocast_call("addbmm", addbmm, (input, batch1, batch2), {"beta": beta, "alpha": alpha})
    return _add_product(_addbmm_forward, AddbmmBackward0, input, batch1, batch2, beta, alpha, out, "addbmm")


def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
    return _add_product_(_addbmm_forward, AddbmmBackward0, self, batch1, batch2, beta, alpha, "addbmm_")


# -- einsum ---------------------------------------------------------------------------------

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class _EinsumBackward(Node):
    """Gradient of operand k: an einsum of the output gradient with the other operands; identity
    matrices re-create repeated labels (diagonals) and ones vectors broadcast labels summed only in k."""

    def backward(self, g):
        ops = self.saved
        specs, out_spec, sizes = self.specs, self.out_spec, self.sizes
        res = []
        for k in range(len(ops)):
            if not self.needs(k):
                res.append(None)
                continue
            used = set(out_spec)
            for s in specs:
                used.update(s)
            fresh = iter(c for c in _LETTERS if c not in used)
            in_specs = [out_spec] + [specs[j] for j in range(len(ops)) if j != k]
            tensors = [g] + [conj(ops[j]) for j in range(len(ops)) if j != k]
            dt = g._data.dtype
            xp = xp_of(g._data)
            seen = set()
            target = []
            elsewhere = set(out_spec)
            for j, s in enumerate(specs):
                if j != k:
                    elsewhere.update(s)
            for c in specs[k]:
                if c in seen:
                    f = next(fresh)
                    in_specs.append(c + f)
                    tensors.append(make(xp.eye(sizes[c], dtype=dt)))
                    target.append(f)
                    continue
                seen.add(c)
                target.append(c)
                if c not in elsewhere:
                    in_specs.append(c)
                    tensors.append(make(xp.ones(sizes[c], dtype=dt)))
            res.append(_einsum_labels(in_specs, "".join(target), tensors, _EIN["ViewBackward0"], sizes=sizes))
        return tuple(res)


_EIN = {
    n: type(n, (_EinsumBackward,), {}) for n in ("ViewBackward0", "MulBackward0", "PermuteBackward0", "SumBackward1")
}


def _einsum_labels(specs, out_spec, tensors, node_cls, result=None, sizes=None):
    """einsum over explicit labels (no ellipsis) on same-dtype tensors; label dims of size 1 broadcast.
    `result`: the forward array when the caller computed it already; `sizes`: label sizes to broadcast to."""
    sizes = dict(sizes) if sizes else {}
    for s, t in zip(specs, tensors):
        for c, n in zip(s, t._data.shape):
            if n != 1 or c not in sizes:
                sizes[c] = n
    if result is None:
        arrays = []
        for s, t in zip(specs, tensors):
            d = t._data
            shape = tuple(sizes[c] for c in s)
            if d.shape != shape:
                d = xp_of(d).broadcast_to(d, shape)
            arrays.append(d)
        result = _einsum_arrays(specs, out_spec, arrays)
    r = make(result)
    if GRAD.enabled and any(t._requires_grad for t in tensors):
        node = node_cls()
        node.specs, node.out_spec, node.sizes = specs, out_spec, sizes
        node.save(*tensors)
        attach(r, node, tensors)
    return r


def _einsum_arrays(specs, out_spec, arrays):
    eq = ",".join(specs) + "->" + out_spec
    d0 = arrays[0]
    dt = d0.dtype
    xp = xp_of(d0)
    if _lowp(dt):
        arrays = [a.astype(np.float32) for a in arrays]
    elif dt.kind in "biu" and len(arrays) == 1 and any(c not in out_spec for c in specs[0]):
        arrays = [a.astype(np.int64) for a in arrays]  # a single-operand sum: torch.sum gives int64
        dt = np.dtype(np.int64)
    if len(arrays) == 1:
        r = xp.einsum(eq, arrays[0])
        r = xp.array(r, dtype=dt)  # a copy: numpy may return a view of the input
    else:
        sizes = {}
        for sp, a in zip(specs, arrays):
            sizes.update(zip(sp, a.shape))
        cost = 1
        for n in sizes.values():
            cost *= n
        # a contraction path (BLAS through tensordot) pays off for 3+ operands or big products only
        r = xp.einsum(eq, *arrays, optimize=len(arrays) > 2 or cost > 32768)
        if r.dtype != dt:
            r = r.astype(dt)
    return arr(r)


def _einsum_parse(equation, operands):
    """torch's einsum parsing and checks: returns (input label strings, output label string) with each
    ellipsis replaced by explicit letters."""
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' must be str, not {type(equation).__name__}")
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    rhs = None if arrow < 0 else equation[arrow + 2 :]
    nops = len(operands)
    op_labels = [[]]
    i = 0
    ell_seen = False
    while i < len(lhs):
        c = lhs[i]
        if c == " ":
            pass
        elif c == ".":
            cur = len(op_labels) - 1
            if ell_seen:
                raise RuntimeError(f"einsum(): found '.' for operand {cur} for which an ellipsis was already found")
            if lhs[i : i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for operand {cur} that is not part of any ellipsis")
            op_labels[-1].append(None)
            ell_seen = True
            i += 2
        elif c == ",":
            op_labels.append([])
            if len(op_labels) > nops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
            ell_seen = False
        elif c.isalpha() and c.isascii():
            op_labels[-1].append(c)
        else:
            raise RuntimeError(
                f"einsum(): invalid subscript given at index {i} in the equation string, subscripts must be in [a-zA-Z]"
            )
        i += 1
    if len(op_labels) != nops:
        if len(op_labels) < nops:
            raise RuntimeError("einsum(): more operands were provided than specified in the equation")
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    count = {}
    ell_ndim = 0
    for k, (labels, t) in enumerate(zip(op_labels, operands)):
        nd = t._data.ndim
        nl = sum(1 for c in labels if c is not None)
        has_ell = len(labels) != nl
        for c in labels:
            if c is not None:
                count[c] = count.get(c, 0) + 1
        if has_ell:
            ell_ndim = max(ell_ndim, nd - nl)
        if (nl > nd) if has_ell else (nl != nd):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({nl}) "
                + ("is more than" if has_ell else "does not match")
                + f" the number of dimensions ({nd}) for operand {k}"
                + ("" if has_ell else " and no ellipsis was given")
            )
    free = [c for c in _LETTERS if c not in count and (rhs is None or c not in rhs)]
    ell = "".join(free[:ell_ndim])
    specs = []
    for labels, t in zip(op_labels, operands):
        nd = t._data.ndim
        nl = sum(1 for c in labels if c is not None)
        specs.append("".join(ell[ell_ndim - (nd - nl) :] if c is None else c for c in labels))
    if rhs is None:
        out = ell + "".join(c for c in _LETTERS if count.get(c) == 1)
    else:
        out = []
        ell_out = False
        i = 0
        while i < len(rhs):
            c = rhs[i]
            if c == " ":
                pass
            elif c == ".":
                if ell_out:
                    raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was already found")
                if rhs[i : i + 3] != "...":
                    raise RuntimeError("einsum(): found '.' for output that is not part of any ellipsis (...)")
                out.append(ell)
                ell_out = True
                i += 2
            elif c.isalpha() and c.isascii():
                if c not in count:
                    raise RuntimeError(
                        f"einsum(): output subscript {c} does not appear in the equation for any input operand"
                    )
                if c in out:
                    raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
                out.append(c)
            else:
                raise RuntimeError(
                    f"einsum(): invalid subscript given at index {len(lhs) + 2 + i} in the equation string, "
                    "subscripts must be in [a-zA-Z]"
                )
            i += 1
        out = "".join(out)
    # sizes: a label (or ellipsis dim) of size 1 broadcasts; repeated labels in one operand must match
    sizes = {}
    for k, (s, t) in enumerate(zip(specs, operands)):
        shape = t._data.shape
        mine = {}
        for c, n in zip(s, shape):
            if c in mine:
                if mine[c] != n:
                    raise RuntimeError(
                        f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't match, {n} != "
                        f"{mine[c]}"
                    )
                continue
            mine[c] = n
            if n != 1:
                prev = sizes.get(c, 1)
                if prev != 1 and prev != n:
                    if c in ell:
                        raise RuntimeError(
                            f"einsum(): dimension {s.index(c)} covered by ellipsis in operand {k}has size {n} which "
                            f"does not broadcast with previously seen ellipsis with size {prev} for the respective "
                            "dimension"
                        )
                    raise RuntimeError(
                        f"einsum(): subscript {c} has size {n} for operand {k} which does not broadcast with "
                        f"previously seen size {prev}"
                    )
                sizes[c] = n
    return specs, out


def _sublist_label(x):
    if not 0 <= x < 52:
        raise ValueError(f"einsum(): subscript in subscript list is not within the valid range [0, 52), got {x}")
    return _LETTERS[x]


def _einsum_autocast_name(equation, operands):
    """The autocast name of an einsum: "bmm" when a label is summed between two or more operands (torch
    contracts those pairs with bmm), else "einsum"."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    if not isinstance(equation, str) or len(operands) < 2:
        return "einsum"
    lhs, arrow, out = equation.replace(" ", "").partition("->")
    terms = [set(t.replace(".", "")) for t in lhs.split(",")]
    seen = {}
    for t in terms:
        for c in t:
            seen[c] = seen.get(c, 0) + 1
    kept = set(out) if arrow else {c for c, n in seen.items() if n == 1}
    return "bmm" if any(n > 1 and c not in kept for c, n in seen.items()) else "einsum"


def einsum(equation, *operands):
    """Matches `torch.einsum` (ellipsis, broadcasting, repeated labels; np.einsum with optimize)."""
    if AUTOCAST.on:  # torch runs a contraction of two operands through bmm, an outer product through mul
        return autocast_call(_einsum_autocast_name(equation, operands), einsum, (equation, *operands), {})
    if isinstance(equation, Tensor):  # sublist format: op1, [labels1], op2, [labels2], ..., [out labels]
        args = (equation,) + operands
        ops, subs = args[0:-1:2] if len(args) % 2 else args[0::2], []
        for lst in args[1::2]:
            subs.append("".join("..." if x is Ellipsis else _sublist_label(x) for x in lst))
        equation = ",".join(subs[: len(ops)]) + ("->" + subs[len(ops)] if len(subs) > len(ops) else "")
        operands = tuple(ops)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    for t in operands:
        _check_tensor(t, "einsum", "operands")
    dt = operands[0]._data.dtype
    for t in operands[1:]:
        if t._data.dtype != dt:
            raise RuntimeError(f"expected scalar type {_tname(operands[0])} but found {_tname(t)}")
    specs, out = _einsum_parse(equation, operands)
    contracted = any(c not in out for s in specs for c in s)
    if len(operands) == 1:
        name = "SumBackward1" if contracted else "PermuteBackward0"
    else:
        name = "ViewBackward0" if contracted else "MulBackward0"
        if contracted and dt == np.bool_:
            raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    return _einsum_labels(specs, out, list(operands), _EIN[name])


# -- tensordot ------------------------------------------------------------------------------


def _tensordot_dims(a, b, dims_a, dims_b, shown=None):
    """tensordot over wrapped dim lists (sizes checked; size-1 dims broadcast as in torch)."""
    sa, sb = a._data.shape, b._data.shape
    shown = shown or (dims_a, dims_b)
    plain = True
    for i, (x, y) in enumerate(zip(dims_a, dims_b)):
        if sa[x] != sb[y]:
            if sa[x] != 1 and sb[y] != 1:
                raise RuntimeError(
                    f"contracted dimensions need to match, but first has size {sa[x]} in dim {shown[0][i]} and "
                    f"second has size {sb[y]} in dim {shown[1][i]}"
                )
            plain = False
    la = _LETTERS[: a._data.ndim]
    rest = iter(_LETTERS[a._data.ndim :])
    lb = [None] * b._data.ndim
    for x, y in zip(dims_a, dims_b):
        lb[y] = la[x]
    lb = "".join(c if c is not None else next(rest) for c in lb)
    out = "".join(c for i, c in enumerate(la) if i not in dims_a) + "".join(
        c for i, c in enumerate(lb) if i not in dims_b
    )
    if a._data.dtype == np.bool_:
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    result = None
    if plain and not _lowp(a._data.dtype):
        result = arr(xp_of(a._data).tensordot(a._data, b._data, axes=(list(dims_a), list(dims_b))))
    return _einsum_labels([la, lb], out, [a, b], _EIN["ViewBackward0"], result)


def tensordot(a, b, dims=2, out=None):
    """Matches `torch.tensordot` (dims: an int, or a pair of dim lists)."""
    if AUTOCAST.on and out is None:
        return autocast_call("tensordot", tensordot, (a, b, dims), {})
    _check_tensor(a, "tensordot", "a")
    _check_tensor(b, "tensordot", "b")
    if isinstance(dims, Tensor):
        dims = dims.tolist() if dims._data.ndim else int(dims._data)
    if isinstance(dims, (list, tuple)):
        if len(dims) != 2:
            raise RuntimeError("tensordot expects dims to be a pair of dim lists")
        da, db = dims
        if isinstance(da, Tensor):
            da = da.tolist()
        if isinstance(db, Tensor):
            db = db.tolist()
        if isinstance(da, int) or isinstance(db, int):
            raise TypeError("tensordot(): argument 'dims_self' (position 3) must be tuple of ints, not int")
        da, db = list(da), list(db)
        shown = (da, db)
    else:
        dims = int(dims)
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a._data.ndim or dims > b._data.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da = list(range(-dims, 0))
        db = list(range(dims))
        shown = (da, db)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    wa = [wrap_dim(d, a._data.ndim) for d in da]
    wb = [wrap_dim(d, b._data.ndim) for d in db]
    for w in (wa, wb):
        for d in w:
            if w.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return _out(_tensordot_dims(a, b, wa, wb, shown), out)


# -- kron -----------------------------------------------------------------------------------


class _KronBackward(Node):
    def backward(self, g):
        a, b = self.saved
        sa, sb = a._data.shape, b._data.shape
        nd = max(len(sa), len(sb))
        pa = (1,) * (nd - len(sa)) + tuple(sa)
        pb = (1,) * (nd - len(sb)) + tuple(sb)
        inter = tuple(x for pair in zip(pa, pb) for x in pair)
        gr = reshape(g, inter)
        ga = gb = None
        if self.needs(0):
            bx = reshape(conj(b), tuple(x for k in pb for x in (1, k)))
            ga = reshape(_sum(gr * bx, tuple(range(1, 2 * nd, 2))), sa) if nd else gr * bx
        if self.needs(1):
            ax = reshape(conj(a), tuple(x for k in pa for x in (k, 1)))
            gb = reshape(_sum(gr * ax, tuple(range(0, 2 * nd, 2))), sb) if nd else gr * ax
        return ga, gb


UnsafeViewBackward0_kron = type("UnsafeViewBackward0", (_KronBackward,), {})


def kron(input, other, *, out=None):
    """Matches `torch.kron` (promotes dtypes)."""
    _check_tensor(input, "kron", "input")
    _check_tensor(other, "kron", "other")
    x, y = binary_arrays(input, other, "kron")
    if x.dtype.kind == "V":
        r = make(arr(np.kron(x.astype(np.float32), y.astype(np.float32)).astype(x.dtype)))
    else:
        r = make(arr(np.kron(x, y)))
    if _needs_grad(input, other):
        node = UnsafeViewBackward0_kron()
        node.save(input, other)
        attach(r, node, (input, other))
    return _out(r, out)


# -- cross ----------------------------------------------------------------------------------


class LinalgCrossBackward0(Node):
    def backward(self, g):
        a, b = self.saved
        d = self.dim
        return (
            cross(conj(b), g, dim=d) if self.needs(0) else None,
            cross(g, conj(a), dim=d) if self.needs(1) else None,
        )


_CROSS_WARNED = [False]


def cross(input, other, dim=None, *, out=None):
    """Matches `torch.cross` (dim=None: the first dim of size 3, with torch's deprecation warning)."""
    if AUTOCAST.on and out is None:
        return autocast_call("cross", cross, (input, other, dim), {})
    _check_tensor(input, "cross", "input")
    _check_tensor(other, "cross", "other")
    a, b = input._data, other._data
    if dim is None:
        if not _CROSS_WARNED[0]:
            _CROSS_WARNED[0] = True
            warnings.warn(
                "Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree with "
                "that of linalg.cross in a future release.",
                UserWarning,
                stacklevel=2,
            )
        for k, n in enumerate(a.shape):
            if n == 3:
                dim = k
                break
        else:
            raise RuntimeError("no dimension of size 3 in input")
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    dim = wrap_dim(dim, a.ndim)
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[dim]} and {b.shape[dim]}"
        )
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(
            f"linalg.cross: inputs shapes {list(a.shape)} and {list(b.shape)} cannot be broadcast together"
        ) from None
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_tname(input)} but found {_tname(other)}")
    _no_bool(input, "cross")
    r = make(arr(_cross_arrays(a, b, dim)))
    if _needs_grad(input, other):
        node = LinalgCrossBackward0()
        node.dim = dim
        node.save(input, other)
        attach(r, node, (input, other))
    return _out(r, out)


def _cross_arrays(a, b, dim):
    xp = xp_of(a)
    shape = np.broadcast_shapes(a.shape, b.shape)
    a = xp.moveaxis(xp.broadcast_to(a, shape), dim, 0)
    b = xp.moveaxis(xp.broadcast_to(b, shape), dim, 0)
    r = xp.stack(
        (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]),
    )
    return xp.moveaxis(r, 0, dim).astype(a.dtype, copy=False)


# -- cdist ----------------------------------------------------------------------------------


class _AbsPowBackward(Node):
    def backward(self, g):
        (x,) = self.saved
        e = self.e
        if e == 1:
            return g * _sign(x)
        return g * (_abspow(x, e - 1) * _sign(x) * e)


def _abspow(x, e):
    """|x| ** e elementwise (0 where x == 0 for e <= 0), differentiable."""
    d = x._data
    xp = xp_of(d)
    with np.errstate(divide="ignore"):
        r = xp.abs(d) ** e if e > 0 else xp.where(d == 0, 0, xp.abs(d) ** e).astype(d.dtype)
    out = make(arr(r.astype(d.dtype, copy=False)))
    if GRAD.enabled and x._requires_grad:
        node = _AbsPowBackward()
        node.e = e
        node.save(x)
        attach(out, node, (x,))
    return out


def _sign(x):
    d = x._data
    return make(arr(xp_of(d).sign(d)))


def _mask(cond, dtype):
    return make(arr(cond.astype(dtype)))


class CdistBackward0(Node):
    def backward(self, g):
        x1, x2, dist = self.saved
        p = self.p
        diff = unsqueeze(x1, -2) - unsqueeze(x2, -3)  # (..., P, R, M)
        dd = dist._data
        dt = dd.dtype
        if p == 0 or dd.size == 0 or diff._data.size == 0:
            w = diff * 0
        elif p == 1:
            w = _sign(diff)
        elif p == float("inf"):
            w = _sign(diff) * _mask(np.abs(diff._data) == dd[..., None], dt)
        else:
            nz = dd != 0
            safe = dist + _mask(~nz, dt)  # no division by zero; masked out below
            if p == 2:
                w = diff / unsqueeze(safe, -1)
            else:
                w = _abspow(diff, p - 1) * _sign(diff) / unsqueeze(_abspow(safe, p - 1), -1)
            w = w * unsqueeze(_mask(nz, dt), -1)
        gw = unsqueeze(g, -1) * w
        return (
            _sum(gw, -2) if self.needs(0) else None,
            -_sum(gw, -3) if self.needs(1) else None,
        )


ViewBackward0_cdist = type("ViewBackward0", (CdistBackward0,), {})


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Matches `torch.cdist`: p-norm distances between the rows of x1 and x2 (batched, broadcast).
    For p=2 with more than 25 rows, the distances come from one matmul as in torch."""
    if AUTOCAST.on:
        return autocast_call("cdist", cdist, (x1, x2, p, compute_mode), {})
    _check_tensor(x1, "cdist", "x1")
    _check_tensor(x2, "cdist", "x2")
    a, b = x1._data, x2._data
    for d, nm in ((a, "X1"), (b, "X2")):
        if d.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {nm} got: {d.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} X2: {b.shape[-1]}")
    for t, nm in ((x1, "X1"), (x2, "X2")):
        if t._data.dtype.kind not in "fV":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {nm} got: {_tname(t)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_tname(x1)} but found {_tname(x2)}")
    if _lowp(a.dtype):
        raise NotImplementedError(f"\"cdist\" not implemented for '{_tname(x1)}'")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    batch = _broadcast_batch(a.shape[:-2], b.shape[:-2])
    P, R, M = a.shape[-2], b.shape[-2], a.shape[-1]
    xp = xp_of(a)
    use_mm = p == 2 and (
        compute_mode == "use_mm_for_euclid_dist"
        or (compute_mode == "use_mm_for_euclid_dist_if_necessary" and (P > 25 or R > 25))
    )
    if P == 0 or R == 0 or M == 0:
        r = xp.zeros(batch + (P, R), dtype=a.dtype)
    elif use_mm:
        n1 = (a * a).sum(-1, keepdims=True)
        n2 = (b * b).sum(-1, keepdims=True)
        xa = xp.concatenate((a * -2, n1, xp.ones_like(n1)), -1)
        xb = xp.concatenate((b, xp.ones_like(n2), n2), -1)
        r = xp.matmul(xa, xp.swapaxes(xb, -1, -2))
        r = xp.sqrt(xp.maximum(r, 0))
        r = xp.broadcast_to(r, batch + (P, R)).copy() if r.shape != batch + (P, R) else r
    else:
        diff = xp.abs(a[..., :, None, :] - b[..., None, :, :])
        if p == 0:
            r = (diff != 0).sum(-1).astype(a.dtype)
        elif p == 1:
            r = diff.sum(-1)
        elif p == 2:
            r = xp.sqrt((diff * diff).sum(-1))
        elif p == float("inf"):
            r = diff.max(-1)
        else:
            r = (diff**p).sum(-1) ** (1.0 / p)
    out = make(arr(xp.asarray(r).astype(a.dtype, copy=False)))
    if _needs_grad(x1, x2):
        node = ViewBackward0_cdist() if use_mm else CdistBackward0()
        node.p = p
        attach(out, node, (x1, x2))
        node.save(x1, x2, out)
    return out


# -- trace / chain_matmul -------------------------------------------------------------------


class TraceBackward0(Node):
    def backward(self, g):
        n, m = self.shape
        return g * make(xp_of(g._data).eye(n, m, dtype=g._data.dtype))


def trace(input):
    """Matches `torch.trace` (integers sum to int64)."""
    if AUTOCAST.on:
        return autocast_call("trace", trace, (input,), {})
    _check_tensor(input, "trace", "input")
    d = input._data
    if d.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {d.ndim}")
    _no_bool(input, "trace")
    dt = np.dtype(np.int64) if d.dtype.kind in "iu" else d.dtype
    src = d.astype(np.float32) if _lowp(d.dtype) else d
    r = make(arr(xp_of(d).asarray(xp_of(d).trace(src, dtype=None if _lowp(d.dtype) else dt)).astype(dt)))
    if _needs_grad(input):
        node = TraceBackward0()
        node.shape = d.shape
        attach(r, node, (input,))
    return r


class _ChainBackward(Node):
    def backward(self, g):
        mats = self.saved
        n = len(mats)
        res = []
        for i in range(n):
            if not self.needs(i):
                res.append(None)
                continue
            gi = g
            if i + 1 < n:
                right = mats[i + 1] if i + 2 == n else _chain_raw(mats[i + 1 :])
                gi = mm(gi, conj(_mT(right)))
            if i > 0:
                left = mats[0] if i == 1 else _chain_raw(mats[:i])
                gi = mm(conj(_mT(left)), gi)
            res.append(gi)
        return tuple(res)


ViewBackward0_chain = type("ViewBackward0", (_ChainBackward,), {})


def chain_matmul(*matrices, out=None):
    """Matches `torch.chain_matmul` (deprecated in torch; the product in the cheapest order)."""
    if AUTOCAST.on and out is None:
        return autocast_call("chain_matmul", chain_matmul, matrices, {})
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    warnings.warn(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
        "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
        "parameters.",
        UserWarning,
        stacklevel=2,
    )
    return _out(_chain_raw(matrices), out)


def _chain_raw(matrices):
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for t in matrices:
        _check_tensor(t, "chain_matmul", "matrices")
        if t._data.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {t._data.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return clone(matrices[0])
    dt = matrices[0]._data.dtype
    for i, t in enumerate(matrices[1:], 1):
        if t._data.dtype != dt:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is {matrices[0].dtype} and "
                f"tensor {i} {t.dtype}".replace("torch.", "")
            )
    for i in range(len(matrices) - 1):
        sa, sb = matrices[i]._data.shape, matrices[i + 1]._data.shape
        if sa[1] != sb[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {list(sa)} and {list(sb)} cannot be multiplied"
            )
    _no_bool(matrices[0], "addmm_impl_cpu_")
    arrays = [t._data for t in matrices]
    if _lowp(dt):
        arrays = [x.astype(np.float32) for x in arrays]
    xp = xp_of(arrays[0])
    if len(arrays) == 2:
        r = xp.matmul(arrays[0], arrays[1])
    elif xp is np:
        r = np.linalg.multi_dot(arrays)  # picks the cheapest multiplication order
    else:  # CuPy has no multi_dot
        r = functools.reduce(xp.matmul, arrays)
    r = make(arr(r.astype(dt, copy=False)))
    if _needs_grad(*matrices):
        node = ViewBackward0_chain()
        node.save(*matrices)
        attach(r, node, matrices)
    return r


# -- Tensor methods -------------------------------------------------------------------------

for _n, _f in [
    ("matmul", matmul),
    ("mm", mm),
    ("bmm", bmm),
    ("mv", mv),
    ("dot", dot),
    ("vdot", vdot),
    ("inner", inner),
    ("outer", outer),
    ("ger", outer),
    ("addmm", addmm),
    ("addmm_", addmm_),
    ("addmv", addmv),
    ("addmv_", addmv_),
    ("addr", addr),
    ("addr_", addr_),
    ("baddbmm", baddbmm),
    ("baddbmm_", baddbmm_),
    ("addbmm", addbmm),
    ("addbmm_", addbmm_),
    ("kron", kron),
    ("cross", cross),
    ("trace", trace),
    ("__matmul__", _dunder_matmul),
    ("__rmatmul__", _rmatmul),
]:
    bind(_n, _f)
del _n, _f
