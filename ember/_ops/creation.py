"""Tensor creation: tensor/as_tensor/from_numpy, the legacy constructors, and filled tensors."""

import builtins
import math

import numpy as np

from .. import _dtype as D
from .._backend import bfloat16_error, cuda_device, to_device, xp_for
from .._device import CPU, as_device
from .._tensor import Tensor, _init, make
from ._core import bind, scalar_type_name

__all__ = [
    "tensor",
    "as_tensor",
    "asarray",
    "from_numpy",
    "zeros",
    "ones",
    "empty",
    "full",
    "zeros_like",
    "ones_like",
    "empty_like",
    "full_like",
    "eye",
    "arange",
    "range",
    "linspace",
    "logspace",
    "empty_strided",
    "scalar_tensor",
    "new_tensor",
    "new_zeros",
    "new_ones",
    "new_empty",
    "new_full",
    "tril_indices",
    "triu_indices",
]


def _sizes(size, opname="op"):
    """Accept f(2, 3), f((2, 3)), f([2, 3]) and f(ember.Size)."""
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)) and not _is_int_tensor(size[0]):
        size = size[0]
    try:
        out = tuple(int(s) for s in size)
    except TypeError:
        raise TypeError(
            f"{opname}(): argument 'size' must be tuple of ints, but found element of type "
            f"{type(next(s for s in size if not isinstance(s, int))).__name__}"
        ) from None
    for s in out:
        if s < 0:
            raise RuntimeError(f"{opname}: Trying to create tensor with negative dimension {s}: {list(out)}")
    return out


def _is_int_tensor(x):
    return isinstance(x, Tensor) and x._data.ndim == 0 and x.dtype._cat == D._INT


def _finish(data, requires_grad):
    t = make(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_np_dtype(a):
    k = a.dtype.kind
    if k == "b":
        return D.bool
    if k in "iu":
        return D.int64 if a.dtype != np.uint8 else D.uint8
    if k == "f":
        return D.get_default_dtype()
    if k == "c":
        return D.default_complex()
    raise TypeError(f"Could not infer dtype of {a.dtype}")


def _from_data(data, dtype, opname):
    """An ndarray (on the CPU) from Python data / ndarray / Tensor, with torch's dtype inference."""
    if isinstance(data, Tensor):
        a = data._data
        return a, (dtype or data.dtype)
    if isinstance(data, np.ndarray):
        d = D.from_np(data.dtype)
        return data, (dtype or d)
    if isinstance(data, (bool, int, float, complex)):
        d = dtype or D.scalar_dtype(data)
        return np.array(data, dtype=d.np if d is not D.bfloat16 else np.float32), d
    if isinstance(data, np.generic):
        return np.asarray(data), dtype or D.from_np(data.dtype)
    if isinstance(data, str) or not hasattr(data, "__len__"):
        if hasattr(data, "__array__"):
            a = np.asarray(data)
            return a, dtype or D.from_np(a.dtype)
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    _check_ragged(data)
    try:
        a = np.array(data)
    except ValueError as e:
        raise ValueError(str(e)) from None
    if a.dtype == object:
        raise TypeError(f"{opname}(): could not convert data of type {type(data).__name__} to a tensor")
    if dtype is None:
        dtype = _infer_list_dtype(data, a)
    return a, dtype


def _infer_list_dtype(data, a):
    """torch's rule: promote over the leaves, Python scalars counting as their default dtype and NumPy
    scalars or tensors as their own dtype."""
    typed = []

    def walk(x):
        if isinstance(x, (list, tuple)):
            for y in x:
                walk(y)
        elif isinstance(x, (np.generic, Tensor)):
            typed.append(D.from_np(x.dtype) if isinstance(x, np.generic) else x.dtype)

    walk(data)
    if not typed:
        return _infer_np_dtype(a)
    res = None
    for d in typed:
        res = d if res is None else D.promote_types(res, d)
    py = _infer_np_dtype(np.array([v for v in _py_leaves(data)])) if _py_leaves(data) else None
    return res if py is None else D.promote_types(res, py)


def _py_leaves(x):
    if isinstance(x, (list, tuple)):
        out = []
        for y in x:
            out.extend(_py_leaves(y))
        return out
    return [x] if isinstance(x, (bool, int, float, complex)) else []


def _check_ragged(data, dim=0):
    if isinstance(data, (list, tuple)):
        if not data:
            return 0
        lens = []
        for x in data:
            if isinstance(x, (list, tuple)):
                lens.append(len(x))
            elif isinstance(x, Tensor):
                if x._data.ndim:
                    lens.append(x._data.shape[0])
                else:
                    lens.append(None)
            else:
                lens.append(None)
        first = lens[0]
        for ln in lens[1:]:
            if ln != first:
                raise ValueError(f"expected sequence of length {first} at dim {dim + 1} (got {ln})")
        if first is not None and first and isinstance(data[0], (list, tuple)):
            for x in data:
                _check_ragged(x, dim + 1)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Matches `torch.tensor` (always copies)."""
    a, dt = _from_data(data, dtype, "tensor")
    a = np.array(a, dtype=dt.np, copy=True) if type(a) is np.ndarray else a.astype(dt.np, copy=True)
    dev = as_device(device) if device is not None else (data.device if isinstance(data, Tensor) else CPU)
    return _finish(to_device(a, dev), requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """Matches `torch.scalar_tensor`."""
    dt = dtype or D.get_default_dtype()
    return _finish(to_device(np.array(s, dtype=dt.np), as_device(device)), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Matches `torch.as_tensor` (shares memory when dtype and device allow)."""
    if isinstance(data, Tensor):
        out = data
        if dtype is not None and dtype is not data.dtype:
            out = out.to(dtype)
        if device is not None and as_device(device) != out.device:
            out = out.to(as_device(device))
        return out
    if isinstance(data, np.ndarray) and (dtype is None or dtype.np == data.dtype):
        D.from_np(data.dtype)
        t = make(data)
        if device is not None:
            t = make(to_device(data, as_device(device)))
        return t
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """Matches `torch.asarray`."""
    if copy:
        return tensor(obj, dtype=dtype, device=device, requires_grad=requires_grad)
    t = as_tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray):
    """Matches `torch.from_numpy`: the tensor shares memory with the array."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_np(ndarray.dtype)
    return make(ndarray)


def _fill(opname, size, value, dtype, device, requires_grad):
    dev = as_device(device)
    if dev.index is not None and dev.type == "cuda":  # CuPy allocates on the current device
        with cuda_device(dev.index):
            return _fill(opname, size, value, dtype, "cuda", requires_grad)
    xp = xp_for(dev)
    try:
        if value is None:
            a = xp.empty(size, dtype=dtype.np)
        elif value == 0:
            a = xp.zeros(size, dtype=dtype.np)
        else:
            a = xp.full(size, value, dtype=dtype.np)
    except (TypeError, ValueError):
        if dtype is D.bfloat16 and xp is not np:
            raise bfloat16_error(dev) from None
        raise
    return _finish(a, requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """Matches `torch.zeros`."""
    return _fill("zeros", _sizes(size, "zeros"), 0, dtype or D.get_default_dtype(), device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """Matches `torch.ones`."""
    return _fill("ones", _sizes(size, "ones"), 1, dtype or D.get_default_dtype(), device, requires_grad)


def empty(
    *size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False, memory_format=None
):
    """Matches `torch.empty` (contents are zeros here, never garbage)."""
    return _fill("empty", _sizes(size, "empty"), 0, dtype or D.get_default_dtype(), device, requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, **_):
    """Matches `torch.empty_strided` (strides are not kept: the result is contiguous)."""
    return empty(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """Matches `torch.full` (dtype inferred from fill_value)."""
    if dtype is None:
        if isinstance(fill_value, Tensor):
            fill_value = fill_value.item()
        dtype = D.scalar_dtype(fill_value)
    return _fill("full", _sizes((size,), "full"), fill_value, dtype, device, requires_grad)


def _like(opname, input, value, dtype, device, requires_grad):
    dtype = dtype or input.dtype
    device = device if device is not None else input.device
    return _fill(opname, input._data.shape, value, dtype, device, requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    """Matches `torch.zeros_like`."""
    return _like("zeros_like", input, 0, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    """Matches `torch.ones_like`."""
    return _like("ones_like", input, 1, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    """Matches `torch.empty_like`."""
    return _like("empty_like", input, None, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    """Matches `torch.full_like`."""
    return _like("full_like", input, fill_value, dtype, device, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Matches `torch.eye`."""
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"eye: n must be greater or equal to 0, got {n if n < 0 else m}")
    dt = dtype or D.get_default_dtype()
    dev = as_device(device)
    if dev.index is not None and dev.type == "cuda":
        with cuda_device(dev.index):
            return eye(n, m, dtype=dt, device="cuda", requires_grad=requires_grad)
    xp = xp_for(dev)
    return _finish(xp.eye(n, n if m is None else m, dtype=dt.np), requires_grad)


def _tri_indices(opname, row, col, offset, dtype, device, lower):
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dt = dtype or D.int64
    if dt not in (D.int64, D.int32):
        raise NotImplementedError(f"\"{opname}\" not implemented for '{scalar_type_name(dt.np)}'")
    r, c = (np.tril_indices if lower else np.triu_indices)(row, offset, col)  # row-major, as torch orders them
    return _finish(to_device(np.stack([r, c]).astype(dt.np), as_device(device)), False)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Matches `torch.tril_indices`: the (2, N) coordinates of the lower triangle of a row x col matrix."""
    return _tri_indices("tril_indices", row, col, offset, dtype, device, True)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Matches `torch.triu_indices`: the (2, N) coordinates of the upper triangle of a row x col matrix."""
    return _tri_indices("triu_indices", row, col, offset, dtype, device, False)


def _num(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Matches `torch.arange` (int64 for integer arguments, else the default dtype)."""
    if end is None:
        start, end = 0, start
    start, end, step = _num(start), _num(end), _num(step)
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError(
            f"arange: upper bound and larger bound inconsistent with step sign (start={start}, end={end}, step={step})"
        )
    if dtype is None:
        dtype = D.int64 if all(isinstance(v, (int, np.integer)) for v in (start, end, step)) else D.get_default_dtype()
    n = builtins.max(0, math.ceil((end - start) / step))
    dev = as_device(device)
    if dev.index is not None and dev.type == "cuda":
        with cuda_device(dev.index):
            return arange(start, end, step, dtype=dtype, device="cuda", requires_grad=requires_grad)
    xp = xp_for(dev)
    if dtype.is_floating_point:
        # torch computes start + i * step in double and then casts
        a = (start + xp.arange(n, dtype=np.float64) * step).astype(dtype.np)
    else:
        a = xp.arange(start, start + n * step, step, dtype=np.int64)[:n].astype(dtype.np)
    return _finish(a, requires_grad)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):  # noqa: A001
    """Matches the deprecated `torch.range` (end inclusive, default dtype)."""
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    dt = dtype or D.get_default_dtype()
    a = (start + np.arange(n, dtype=np.float64) * step).astype(dt.np)
    return _finish(to_device(a, as_device(device)), requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Matches `torch.linspace` (symmetric evaluation from both ends, as torch does)."""
    start, end = _num(start), _num(end)
    if not isinstance(steps, int) or steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    dt = dtype or D.get_default_dtype()
    if steps == 1:
        a = np.array([start], dtype=np.float64)
    else:
        step = (end - start) / (steps - 1) if steps > 1 else 0.0
        i = np.arange(steps, dtype=np.float64)
        half = steps // 2
        a = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
    if dt.is_floating_point or dt.is_complex:
        a = a.astype(dt.np)
    else:
        a = np.trunc(a).astype(dt.np) if not isinstance(start, float) else a.astype(dt.np)
    return _finish(to_device(a, as_device(device)), requires_grad)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Matches `torch.logspace`."""
    dt = dtype or D.get_default_dtype()
    lin = linspace(start, end, steps, dtype=D.float64)._data
    a = np.power(base, lin).astype(dt.np)
    return _finish(to_device(a, as_device(device)), requires_grad)


def _legacy_new(args, device, dtype):
    """Data for `Tensor(*sizes)`, `Tensor(data)` and the typed constructors (FloatTensor...)."""
    dt = dtype or D.get_default_dtype()
    dev = as_device(device)
    if dev.index is not None and dev.type == "cuda":
        with cuda_device(dev.index):
            return _legacy_new(args, "cuda", dt)
    if not args:
        return xp_for(dev).zeros((0,), dtype=dt.np)
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        a0 = args[0]
        if _is_size(a0):
            return xp_for(dev).zeros(tuple(a0), dtype=dt.np)
        if isinstance(a0, Tensor):
            return a0._data.astype(dt.np)
        a, _ = _from_data(a0, None, "Tensor")
        return to_device(np.array(a, dtype=dt.np), dev)
    return xp_for(dev).zeros(_sizes(args, "Tensor"), dtype=dt.np)


def _is_size(x):
    return type(x).__name__ == "Size"


def _typed(name, dt, default_device=None):
    """A legacy typed constructor (FloatTensor...; with default_device "cuda", ember.cuda's)."""

    def __new__(cls, *args, device=None):
        t = object.__new__(Tensor)
        _init(t, _legacy_new(args, default_device if device is None else device, dt))
        return t

    return type(name, (Tensor,), {"__new__": __new__, "__slots__": (), "_dt": dt})


FloatTensor = _typed("FloatTensor", D.float32)
DoubleTensor = _typed("DoubleTensor", D.float64)
HalfTensor = _typed("HalfTensor", D.float16)
BFloat16Tensor = _typed("BFloat16Tensor", D.bfloat16)
ByteTensor = _typed("ByteTensor", D.uint8)
CharTensor = _typed("CharTensor", D.int8)
ShortTensor = _typed("ShortTensor", D.int16)
IntTensor = _typed("IntTensor", D.int32)
LongTensor = _typed("LongTensor", D.int64)
BoolTensor = _typed("BoolTensor", D.bool)


# -- Tensor.new_* ---------------------------------------------------------------------------


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, **_):
    return tensor(
        data,
        dtype=dtype or self.dtype,
        device=device if device is not None else self.device,
        requires_grad=requires_grad,
    )


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, **_):
    return zeros(
        *size,
        dtype=dtype or self.dtype,
        device=device if device is not None else self.device,
        requires_grad=requires_grad,
    )


def new_ones(self, *size, dtype=None, device=None, requires_grad=False, **_):
    return ones(
        *size,
        dtype=dtype or self.dtype,
        device=device if device is not None else self.device,
        requires_grad=requires_grad,
    )


def new_empty(self, *size, dtype=None, device=None, requires_grad=False, **_):
    return empty(
        *size,
        dtype=dtype or self.dtype,
        device=device if device is not None else self.device,
        requires_grad=requires_grad,
    )


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, **_):
    return full(
        size,
        fill_value,
        dtype=dtype or self.dtype,
        device=device if device is not None else self.device,
        requires_grad=requires_grad,
    )


bind("new_tensor", new_tensor)
bind("new_zeros", new_zeros)
bind("new_ones", new_ones)
bind("new_empty", new_empty)
bind("new_full", new_full)
