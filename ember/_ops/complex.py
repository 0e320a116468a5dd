"""Complex numbers: conj, real/imag (views), angle, polar, complex, view_as_real, view_as_complex.

Gradients follow torch's convention: for a real loss L and complex input z, grad = dL/dRe(z) + i dL/dIm(z).
Conjugation is eager here (torch's lazy conj bit is not modelled): conj() copies and is_conj() is False.
"""

import math

import numpy as np

from .. import _dtype as D
from ._core import GRAD, Node, Tensor, arr, attach, bind, inplace, make, requires_grad, scalar_type_name, view_of, xp_of
from .arith import _out

__all__ = [
    "conj",
    "conj_physical",
    "resolve_conj",
    "resolve_neg",
    "is_conj",
    "is_neg",
    "real",
    "imag",
    "angle",
    "polar",
    "complex",
    "view_as_real",
    "view_as_complex",
]


def _check(input, opname):
    if not isinstance(input, Tensor):
        raise TypeError(f"{opname}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input._data


def _is_complex(t):
    return t._data.dtype.kind == "c"


_VIEW_REPLAY_MSG = (
    "ember: an in-place change to a view made by real/imag/view_as_real/view_as_complex (or to its base while "
    "the view is used by autograd) is not supported"
)


def _replay(fn):
    """The view replay: only complex<->real reinterpretations, which element indices cannot express."""

    def replay(b):
        try:
            return fn(b)
        except (RuntimeError, TypeError):
            raise RuntimeError(_VIEW_REPLAY_MSG) from None

    return replay


# -- conj -----------------------------------------------------------------------------------


class ConjBackward0(Node):
    def backward(self, g):
        return conj(g)


class ConjPhysicalBackward0(Node):
    def backward(self, g):
        return conj_physical(g)


class ConjPhysicalBackward1(ConjPhysicalBackward0):
    """conj_physical_ (in place)."""


def conj(input):
    """Matches `torch.conj` (a copy for complex tensors here; the input itself otherwise)."""
    d = _check(input, "conj")
    if d.dtype.kind != "c":
        return input
    r = make(arr(xp_of(d).conj(d)))
    if GRAD.enabled and input._requires_grad:
        attach(r, ConjBackward0(), (input,))
    return r


def conj_physical(input, *, out=None):
    """Matches `torch.conj_physical`."""
    d = _check(input, "conj_physical")
    if d.dtype.kind != "c":
        return input if out is None else _out(make(d.copy()), out)
    r = make(arr(xp_of(d).conj(d)))
    if GRAD.enabled and input._requires_grad:
        attach(r, ConjPhysicalBackward0(), (input,))
    return _out(r, out) if out is not None else r


def conj_physical_(self):
    d = self._data
    if d.dtype.kind != "c":
        return self
    node = ConjPhysicalBackward1() if GRAD.enabled and self._requires_grad else None
    return inplace(self, arr(xp_of(d).conj(d)), node, (self,), "conj_physical_")


def resolve_conj(input):
    """Matches `torch.resolve_conj` (conjugation is never lazy here: returns input)."""
    _check(input, "resolve_conj")
    return input


def resolve_neg(input):
    """Matches `torch.resolve_neg` (negation is never lazy here: returns input)."""
    _check(input, "resolve_neg")
    return input


def is_conj(input):
    """Matches `torch.is_conj` (always False: conj() materializes)."""
    _check(input, "is_conj")
    return False


def is_neg(input):
    """Matches `torch.is_neg` (always False)."""
    _check(input, "is_neg")
    return False


# -- real / imag ----------------------------------------------------------------------------


class SelectBackward0(Node):
    """real/imag of a complex tensor (torch: view_as_real(self).select(-1, k))."""

    def backward(self, g):
        z = make(xp_of(g._data).zeros_like(g._data))
        return complex(g, z) if self.k == 0 else complex(z, g)


def real(input):
    """Matches `torch.real`: a view of the real parts (the input itself for real tensors)."""
    d = _check(input, "real")
    if d.dtype.kind != "c":
        return input
    out = view_of(input, d.real, _REPLAY_REAL)
    if GRAD.enabled and input._requires_grad:
        node = SelectBackward0()
        node.k = 0
        attach(out, node, (input,))
    return out


def imag(input):
    """Matches `torch.imag`: a view of the imaginary parts (complex tensors only)."""
    d = _check(input, "imag")
    if d.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    out = view_of(input, d.imag, _REPLAY_IMAG)
    if GRAD.enabled and input._requires_grad:
        node = SelectBackward0()
        node.k = 1
        attach(out, node, (input,))
    return out


_REPLAY_REAL = _replay(lambda b: real(b) if _is_complex(b) else imag(b))
_REPLAY_IMAG = _replay(imag)


class CopyBackwards(Node):
    def backward(self, g):
        return (make(xp_of(g._data).zeros_like(g._data)) if self.needs(0) else None, g if self.needs(1) else None)


def _assign(view, value, opname):
    """view.copy_(value) for the real/imag setters."""
    d = view._data
    if isinstance(value, Tensor):
        src = value._data
        if src.dtype.kind == "c" and d.dtype.kind != "c":
            src = src.real
    else:
        src = np.asarray(value)
    try:
        res = xp_of(d).broadcast_to(src.astype(d.dtype, copy=False), d.shape)
    except ValueError:
        raise RuntimeError(
            f"{opname}: the value of shape {list(src.shape)} cannot be broadcast to shape {list(d.shape)}"
        ) from None
    node = None
    if GRAD.enabled and (view._requires_grad or requires_grad(value)):
        node = CopyBackwards()
    inplace(view, res, node, (view, value), opname)


def _set_real(self, value):
    _assign(real(self), value, "real")


def _set_imag(self, value):
    _assign(imag(self), value, "imag")


def _times_i(t):
    """t * 1j for a complex tensor, differentiable (arith's mul does not conjugate Python complex scalars)."""
    return complex(-imag(t), real(t))


# -- angle ----------------------------------------------------------------------------------


class AngleBackward0(Node):
    def backward(self, g):
        (x,) = self.saved
        xd = x._data
        if xd.dtype.kind != "c":
            return make(xp_of(g._data).zeros_like(g._data))
        from .pointwise import _where, abs  # noqa: PLC0415

        a = abs(x)
        res = _times_i(g * x / (a * a))
        return _where(xd == 0, 0.0, res)


def angle(input, *, out=None):
    """Matches `torch.angle` (real tensors: 0 or pi; NaN stays NaN; integers give the default float dtype)."""
    d = _check(input, "angle")
    xp = xp_of(d)
    k = d.dtype.kind
    if k == "c":
        r = arr(xp.angle(d))
    else:
        if k in "biu":
            d = d.astype(D.get_default_dtype().np)
        with np.errstate(invalid="ignore"):
            r = arr(xp.where(d < 0, math.pi, 0.0).astype(d.dtype))
            xp.copyto(r, d, where=d != d)
    r = make(r)
    if GRAD.enabled and input._requires_grad:
        node = AngleBackward0()
        attach(r, node, (input,))
        node.save(input)
    return _out(r, out) if out is not None else r


# -- polar / complex ------------------------------------------------------------------------

_FLOAT_NAMES = ("float16", "float32", "float64")


def _check_pair(a, b, opname):
    da, db = _check(a, opname), _check(b, opname)
    if da.dtype.name not in _FLOAT_NAMES or db.dtype.name not in _FLOAT_NAMES:
        raise RuntimeError(
            f"Expected both inputs to be Half, Float or Double tensors but got "
            f"{scalar_type_name(a.dtype)} and {scalar_type_name(b.dtype)}"
        )
    if da.dtype != db.dtype:
        raise RuntimeError(
            f"Expected object of scalar type {scalar_type_name(a.dtype)} but got scalar type "
            f"{scalar_type_name(b.dtype)} for second argument"
        )
    if da.dtype == np.float16:
        raise RuntimeError(f"{opname}: complex32 (ComplexHalf) tensors are not supported")
    try:
        shape = np.broadcast_shapes(da.shape, db.shape)
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({list(da.shape)}) must match the size of tensor b ({list(db.shape)}) "
            f"({opname}: shapes cannot be broadcast)"
        ) from None
    return da, db, shape


def _combine(xp, re, im, shape):
    out = xp.empty(shape, dtype=np.complex64 if re.dtype == np.float32 else np.complex128)
    out.real = re
    out.imag = im
    return out


class ComplexBackward0(Node):
    def backward(self, g):
        return (real(g) if self.needs(0) else None, imag(g) if self.needs(1) else None)


class PolarBackward0(Node):
    def backward(self, g):
        (r,) = self.saved
        from .pointwise import sgn  # noqa: PLC0415

        gc = conj(g)
        ga = real(gc * sgn(r)) if self.needs(0) else None
        gt = real(gc * _times_i(r)) if self.needs(1) else None
        return ga, gt


def complex(real, imag, *, out=None):  # noqa: A001
    """Matches `torch.complex`: real + i imag (float32 -> complex64, float64 -> complex128)."""
    dr, di, shape = _check_pair(real, imag, "complex")
    r = make(_combine(xp_of(dr), dr, di, shape))
    if GRAD.enabled and (real._requires_grad or imag._requires_grad):
        attach(r, ComplexBackward0(), (real, imag))
    return _out(r, out) if out is not None else r


def polar(abs, angle, *, out=None):  # noqa: A002
    """Matches `torch.polar`: abs * (cos(angle) + i sin(angle))."""
    da, dt, shape = _check_pair(abs, angle, "polar")
    xp = xp_of(da)
    r = make(_combine(xp, da * xp.cos(dt), da * xp.sin(dt), shape))
    if GRAD.enabled and (abs._requires_grad or angle._requires_grad):
        node = PolarBackward0()
        attach(r, node, (abs, angle))
        node.save(r)
    return _out(r, out) if out is not None else r


# -- view_as_real / view_as_complex ---------------------------------------------------------


class ViewAsRealBackward0(Node):
    def backward(self, g):
        return view_as_complex(g.contiguous())


class ViewAsComplexBackward0(Node):
    def backward(self, g):
        return view_as_real(g.contiguous())


def view_as_real(input):
    """Matches `torch.view_as_real`: a real view with a trailing dimension of size 2."""
    d = _check(input, "view_as_real")
    if d.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    rd = d.real
    data = xp_of(d).lib.stride_tricks.as_strided(rd, d.shape + (2,), d.strides + (rd.itemsize,))
    out = view_of(input, data, _REPLAY_VAR)
    if GRAD.enabled and input._requires_grad:
        attach(out, ViewAsRealBackward0(), (input,))
    return out


def view_as_complex(input):
    """Matches `torch.view_as_complex`: the last dimension (size 2, stride 1) becomes real/imag parts."""
    d = _check(input, "view_as_complex")
    if d.dtype.name not in ("float32", "float64"):
        raise RuntimeError(
            "view_as_complex is only supported for half, float and double tensors, but got a tensor of scalar "
            f"type: {scalar_type_name(input.dtype)}"
        )
    if d.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if d.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    isz = d.itemsize
    if d.strides[-1] != isz:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % (2 * isz) for s in d.strides[:-1]) or input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    cdt = np.complex64 if d.dtype == np.float32 else np.complex128
    data = d.view(cdt)[..., 0]
    out = view_of(input, data, _REPLAY_VAC)
    if GRAD.enabled and input._requires_grad:
        attach(out, ViewAsComplexBackward0(), (input,))
    return out


_REPLAY_VAR = _replay(view_as_real)
_REPLAY_VAC = _replay(view_as_complex)


# -- Tensor methods and properties ----------------------------------------------------------

bind("conj", conj)
bind("conj_physical", conj_physical)
bind("conj_physical_", conj_physical_)
bind("resolve_conj", resolve_conj)
bind("resolve_neg", resolve_neg)
bind("is_conj", is_conj)
bind("is_neg", is_neg)
bind("angle", angle)
Tensor.real = property(real, _set_real)
Tensor.imag = property(imag, _set_imag)
