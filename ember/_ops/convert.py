"""dtype/device conversion, clone, contiguous."""

import numpy as np

from .. import _dtype as D
from .._backend import bfloat16_error, cuda_available, to_device
from .._backend import is_pinned as _is_pinned
from .._backend import keep_until_done as _keep_until_done
from .._backend import pin as _pin
from .._device import as_device, device
from ._core import GRAD, Node, Tensor, attach, bind, make

__all__ = ["clone", "contiguous", "to", "type_as"]


class ToCopyBackward0(Node):
    def __init__(self, src_dtype, src_device):
        Node.__init__(self)
        self.src_dtype, self.src_device = src_dtype, src_device

    def backward(self, g):
        if not self.src_dtype.is_complex and g.dtype.is_complex:
            g = g.real
        return to(g, self.src_device, self.src_dtype)


class CloneBackward0(Node):
    def backward(self, g):
        return g


def clone(input, *, memory_format=None):
    """Matches `torch.clone`."""
    out = make(input._data.copy())
    if GRAD.enabled and input._requires_grad:
        attach(out, CloneBackward0(), (input,))
    return out


def contiguous(input, memory_format=None):
    """Matches `torch.Tensor.contiguous` (self when already contiguous)."""
    if input._data.flags.c_contiguous:
        return input
    return clone(input)


def _parse_to(args, kwargs):
    dev = dt = None
    copy = kwargs.pop("copy", False)
    non_blocking = kwargs.pop("non_blocking", False)
    kwargs.pop("memory_format", None)
    for a in list(args) + [kwargs.pop("dtype", None), kwargs.pop("device", None)]:
        if a is None or isinstance(a, bool):
            continue
        if isinstance(a, D.dtype):
            dt = a
        elif isinstance(a, (str, device, int)):
            dev = as_device(a)
        elif isinstance(a, Tensor):
            dt, dev = a.dtype, a.device
        else:
            raise TypeError(f"to() received an invalid combination of arguments: got {type(a).__name__}")
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return dev, dt, copy, non_blocking


def to(self, *args, **kwargs):
    """Matches `torch.Tensor.to` (self when nothing changes and copy=False; non_blocking from pinned memory to
    a GPU is an asynchronous copy)."""
    dev, dt, copy, non_blocking = _parse_to(args, kwargs)
    data = self._data
    src_dt = D.FROM_NP[data.dtype]
    dt = dt or src_dt
    src_dev = self.device
    if dev is None or (dev.type == src_dev.type and (dev.index is None or dev.index == src_dev.index)):
        dev = src_dev
    if dt is src_dt and dev == src_dev and not copy:
        return self
    out = data
    if dev != src_dev:
        out = to_device(out, dev, non_blocking)
    if dt is not src_dt:
        if src_dt.is_complex and not dt.is_complex:
            import warnings  # noqa: PLC0415

            warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=2)
            out = out.real
        try:
            out = out.astype(dt.np)
        except (TypeError, ValueError):
            if dt is D.bfloat16 and type(out) is not np.ndarray:
                raise bfloat16_error(dev) from None
            raise
    elif out is data:
        out = data.copy()
    res = make(out)
    if GRAD.enabled and self._requires_grad and (dt.is_floating_point or dt.is_complex):
        attach(res, ToCopyBackward0(src_dt, src_dev), (self,))
    return res


def type_as(self, other):
    return to(self, other.dtype)


def _caster(dt):
    def cast(self, memory_format=None):
        return to(self, dt)

    cast.__doc__ = f"Matches `torch.Tensor.{dt.name}`."
    return cast


bind("clone", clone)
bind("contiguous", contiguous)
bind("to", to)
bind("type_as", type_as)
for _name, _dt in [
    ("float", D.float32),
    ("double", D.float64),
    ("half", D.float16),
    ("bfloat16", D.bfloat16),
    ("int", D.int32),
    ("long", D.int64),
    ("short", D.int16),
    ("char", D.int8),
    ("byte", D.uint8),
    ("bool", D.bool),
    ("cfloat", D.complex64),
    ("cdouble", D.complex128),
]:
    bind(_name, _caster(_dt))


def cpu(self, memory_format=None):
    return to(self, "cpu")


def cuda(self, device=None, non_blocking=False, memory_format=None):
    if device is None:
        device = "cuda"
    elif isinstance(device, int):
        device = f"cuda:{device}"
    return to(self, device, non_blocking=non_blocking)


class PinMemoryBackward0(Node):
    def backward(self, g):
        return g


def pin_memory(self, device=None):
    """Matches `torch.Tensor.pin_memory`: a copy in page-locked host memory (self when already there), which
    `.to('cuda', non_blocking=True)` copies asynchronously."""
    if type(self._data) is not np.ndarray:
        raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be pinned")
    if not cuda_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    if _is_pinned(self._data):
        return self
    out = make(_pin(self._data))
    if GRAD.enabled and self._requires_grad:
        attach(out, PinMemoryBackward0(), (self,))
    return out


def record_stream(self, stream):
    """Matches `torch.Tensor.record_stream`: the tensor's memory is not reused before the work queued on
    `stream` so far has run, even if the tensor is freed (its buffer is kept until an event recorded there)."""
    if type(self._data) is np.ndarray:
        raise RuntimeError(f"record_stream: expected a CUDA tensor, but got a tensor on {self.device}")
    _keep_until_done(stream._cp, self._data)


def is_pinned(self, device=None):
    """Matches `torch.Tensor.is_pinned`."""
    return type(self._data) is np.ndarray and _is_pinned(self._data)


bind("cpu", cpu)
bind("cuda", cuda)
bind("pin_memory", pin_memory)
bind("is_pinned", is_pinned)
bind("record_stream", record_stream)
_ = np
