"""Indexing: Tensor.__getitem__ / __setitem__ (torch's basic and advanced indexing), copy_ / fill_ / zero_,
and the index family: index_select gather scatter scatter_add scatter_reduce index_add index_copy
index_fill index_put masked_fill masked_select masked_scatter take take_along_dim put nonzero argwhere
select_scatter slice_scatter diagonal_scatter.

Indexing is done the way torch does it: the basic part of an index (ints, slices, None, Ellipsis) makes
one view (grad_fn named after the last view op torch would apply), then any tensor indices index that
view (a copy, IndexBackward0). Internally, advanced indexing works on "keys": tuples for NumPy with
`slice(None)` or an int64 array per dim; `_index` / `_index_put` are the differentiable primitives."""

import warnings

import numpy as np

from .._autocast import AUTOCAST, autocast_call
from .._backend import to_device
from ._core import (
    GRAD,
    Node,
    Tensor,
    arr,
    attach,
    bind,
    inplace,
    make,
    requires_grad,
    scalar_type_name,
    view_of,
    wrap_dim,
    xp_of,
)
from .reduction import sum as _sum
from .shape import expand, reshape

__all__ = [
    "index_select",
    "gather",
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "index_add",
    "index_copy",
    "index_fill",
    "index_put",
    "index_put_",
    "masked_fill",
    "masked_select",
    "masked_scatter",
    "take",
    "take_along_dim",
    "put",
    "nonzero",
    "argwhere",
    "select_scatter",
    "slice_scatter",
    "diagonal_scatter",
]

_I64 = np.dtype(np.int64)


def _zeros(shape, like):
    """A zero tensor of `shape` with the dtype (and array module) of tensor `like`."""
    d = like._data
    return make(xp_of(d).zeros(shape, dtype=d.dtype))


def _zeros_like(t):
    return _zeros(t._data.shape, t)


def _fix0(g):
    """CopySlices hands a 0-d view's gradient over as a NumPy scalar (take_flat); make it an array again."""
    if isinstance(g._data, np.generic):
        g._data = np.asarray(g._data)
    return g


def _shape_str(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _tname(d):
    return scalar_type_name(d.dtype)


def _check_tensor(x, opname, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{opname}(): argument '{name}' must be Tensor, not {type(x).__name__}")
    return x


def _scalar_value(value, npdt, opname):
    """A Python / NumPy scalar as a NumPy scalar of `npdt` (a 0-dim CPU tensor too: array modules take
    scalars with arrays of any device; torch: overflow is an error)."""
    if isinstance(value, Tensor):
        a = value._data.astype(npdt)
        return a[()] if type(a) is np.ndarray else a
    if not isinstance(value, (bool, int, float, complex, np.generic)):
        raise TypeError(f"{opname}(): value must be a Number or a 0-dim Tensor, not {type(value).__name__}")
    if isinstance(value, complex) and npdt.kind != "c":
        raise RuntimeError(f"value cannot be converted to type {npdt.name} without overflow")
    try:
        if isinstance(value, float) and npdt.kind in "iu" and np.isfinite(value):
            value = int(value)
        return (np.asarray(value).astype(npdt) if npdt.kind == "V" else np.asarray(value, dtype=npdt))[()]
    except (OverflowError, ValueError):
        raise RuntimeError(f"value cannot be converted to type {npdt.name} without overflow") from None


# -- the differentiable primitives on keys --------------------------------------------------


def _adv_shape(shape, key):
    """The shape of `array_of(shape)[key]` (key: slice(None) or int arrays per leading dim)."""
    pos = [i for i, k in enumerate(key) if type(k) is not slice and k is not Ellipsis]
    if not pos:
        return tuple(shape)
    bshape = np.broadcast_shapes(*[key[i].shape for i in pos])
    rest = list(shape)
    if pos == list(range(pos[0], pos[-1] + 1)):
        return tuple(rest[: pos[0]]) + bshape + tuple(rest[pos[-1] + 1 :])
    return bshape + tuple(s for i, s in enumerate(rest) if i not in pos)


class IndexBackward0(Node):
    def __init__(self, key, shape):
        Node.__init__(self)
        self.key, self.shape = key, shape

    def backward(self, g):
        return _index_put(_zeros(self.shape, g), self.key, g, True)


def _index(t, key):
    """t[key] (a copy), differentiable."""
    out = make(arr(t._data[key]))
    if GRAD.enabled and t._requires_grad:
        attach(out, IndexBackward0(key, t._data.shape), (t,))
    return out


class IndexPutBackward0(Node):
    def __init__(self, key, accumulate):
        Node.__init__(self)
        self.key, self.accumulate = key, accumulate

    def backward(self, g):
        key = self.key
        gs = None
        if self.needs(0):
            gs = g if self.accumulate else _index_put(g, key, 0, False)
        gv = _index(g, key) if self.needs(1) else None
        return gs, gv


def _put_array(d, key, v, accumulate):
    """A copy of array d with v written (or added) at key."""
    out = d.copy()
    if accumulate:
        xp_of(d).add.at(out, key, v)
    else:
        out[key] = v
    return out


def _values_array(values, shape, npdt):
    """values (tensor or scalar) as an array of npdt broadcastable to `shape` (torch's setitem rules)."""
    if isinstance(values, Tensor):
        v = values._data
        while v.ndim > len(shape) and v.shape[0] == 1:
            v = v.reshape(v.shape[1:])
        try:
            bs = np.broadcast_shapes(v.shape, shape)
        except ValueError:
            bs = None
        if bs != tuple(shape):
            raise RuntimeError(
                f"shape mismatch: value tensor of shape {_shape_str(values._data.shape)} cannot be broadcast to "
                f"indexing result of shape {_shape_str(shape)}"
            )
        return v if v.dtype == npdt else v.astype(npdt)
    return _scalar_value(values, npdt, "index_put_")


def _index_put(t, key, values, accumulate):
    """Out of place: a copy of t with values put at key, differentiable in t and values."""
    d = t._data
    v = _values_array(values, _adv_shape(d.shape, key), d.dtype)
    out = make(_put_array(d, key, v, accumulate))
    if GRAD.enabled and (t._requires_grad or requires_grad(values)):
        attach(out, IndexPutBackward0(key, accumulate), (t, values))
    return out


def _index_put_inplace(t, key, values, accumulate, opname="index_put_"):
    d = t._data
    v = _values_array(values, _adv_shape(d.shape, key), d.dtype)
    node = None
    if GRAD.enabled and (t._requires_grad or requires_grad(values)):
        node = IndexPutBackward0(key, accumulate)
    return inplace(t, _put_array(d, key, v, accumulate), node, (t, values), opname)


# -- basic views ----------------------------------------------------------------------------


class _BasicViewBackward(Node):
    def __init__(self, key, shape):
        Node.__init__(self)
        self.key, self.shape = key, shape

    def backward(self, g):
        return _basic_scatter(g, self.key, self.shape)


class SelectBackward0(_BasicViewBackward):
    pass


class SliceBackward0(_BasicViewBackward):
    pass


class UnsqueezeBackward0(_BasicViewBackward):
    pass


class AliasBackward0(_BasicViewBackward):
    def backward(self, g):
        return g


class _BasicScatterBackward(Node):
    def __init__(self, key):
        Node.__init__(self)
        self.key = key

    def backward(self, g):
        return _basic(g, self.key, SliceBackward0)


def _basic_scatter(g, key, shape):
    """zeros(shape) with g written at the basic index key, differentiable in g."""
    d = g._data
    out = xp_of(d).zeros(shape, dtype=d.dtype)
    out[key] = d
    r = make(out)
    if GRAD.enabled and g._requires_grad:
        attach(r, _BasicScatterBackward(key), (g,))
    return r


def _basic(t, key, cls):
    """The view t[key] for a basic NumPy key (ints, slices, None, ending with Ellipsis)."""
    out = view_of(t, t._data[key], lambda b: _basic(b, key, cls))
    if GRAD.enabled and t._requires_grad:
        attach(out, cls(key, t._data.shape), (t,))
    return out


# -- parsing an index -----------------------------------------------------------------------

_BAD_INDEX = "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices"
_BAD_TENSOR = "tensors used as indices must be long, int, byte or bool tensors"


def _seq_as_tuple(seq):
    """torch treats a short list holding tensors, sequences, slices, None or Ellipsis as a tuple."""
    if len(seq) >= 32:
        return False
    for x in seq:
        if x is None or x is Ellipsis or isinstance(x, (Tensor, slice, list, tuple, np.ndarray)):
            return True
    return False


def _as_index_array(a):
    """An index given as an array: ('b', bool) for 0-d masks, ('m', mask), int for 0-d ints, ('i', int64 array)."""
    k = a.dtype.kind
    if k == "b" or a.dtype == np.uint8:
        if a.ndim == 0:
            return ("b", bool(a))
        return ("m", a.astype(bool, copy=False))
    if k in "iu":
        if a.ndim == 0:
            return int(a)
        return ("i", a.astype(_I64, copy=False))
    raise IndexError(_BAD_TENSOR)


def _convert_item(it):
    if it is None or it is Ellipsis or type(it) is int or type(it) is slice:
        return it
    if type(it) is bool or isinstance(it, np.bool_):
        return ("b", bool(it))
    if isinstance(it, Tensor):
        d = it._data
        if type(d) is not np.ndarray:
            d = d.get()
        return _as_index_array(d)
    if isinstance(it, np.ndarray):
        return _as_index_array(it)
    if isinstance(it, (list, tuple)):
        a = np.asarray([x.item() if isinstance(x, Tensor) else x for x in it] if it else it)
        if a.size == 0 or a.dtype.kind == "f":
            a = a.astype(_I64)
        if a.dtype.kind not in "biu":
            raise IndexError(_BAD_TENSOR)
        r = _as_index_array(a)
        return r
    if isinstance(it, np.integer):
        return int(it)
    if isinstance(it, (float, complex, str, bytes)) or not hasattr(it, "__index__"):
        raise IndexError(f"{_BAD_INDEX} (got {type(it).__name__})")
    return int(it.__index__())


def _parse(shape, index, setitem):
    """Split an index into (basic NumPy key or None, view grad_fn class, advanced entries, has False bool).

    Advanced entries are (dim of the view, int64 array)."""
    if type(index) is tuple:
        items, single = index, False
    elif type(index) is list and _seq_as_tuple(index):
        warnings.warn(
            "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in pytorch "
            "2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor index, "
            "x[torch.tensor(seq)], which will result either in an error or a different result",
            UserWarning,
            stacklevel=3,
        )
        items, single = tuple(index), False
    else:
        items, single = (index,), True
    conv = [_convert_item(it) for it in items]
    nd = len(shape)
    spec = 0
    for c in conv:
        if type(c) is int or type(c) is slice:
            spec += 1
        elif type(c) is tuple and c[0] != "b":
            spec += c[1].ndim if c[0] == "m" else 1
    if spec > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    key = []
    adv = []
    cls = None
    has_false = False
    d = vd = nnew = 0
    seen_ellipsis = False
    for c in conv:
        if c is None:
            key.append(None)
            vd += 1
            nnew += 1
            cls = UnsqueezeBackward0
        elif c is Ellipsis:
            if not seen_ellipsis:
                seen_ellipsis = True
                n = nd - spec
                key.extend([slice(None)] * n)
                d += n
                vd += n
        elif type(c) is int:
            size = shape[d]
            if not -size <= c < size:
                raise IndexError(f"index {c} is out of bounds for dimension {d + nnew} with size {size}")
            key.append(c)
            d += 1
            cls = SelectBackward0
        elif type(c) is slice:
            step = 1 if c.step is None else c.step.__index__()
            if step == 0:
                raise ValueError("slice step cannot be zero")
            if step < 0:
                raise ValueError("step must be greater than zero")
            size = shape[d]
            start = 0 if c.start is None else c.start.__index__()
            stop = None if c.stop is None else c.stop.__index__()
            full = start == 0 and step == 1 and (stop is None or stop >= size)
            key.append(slice(start, stop, step))
            if not full or (single and not setitem):
                cls = SliceBackward0
            d += 1
            vd += 1
        elif c[0] == "b":
            key.append(None)
            adv.append((vd, np.zeros(1 if c[1] else 0, dtype=_I64)))
            has_false = has_false or not c[1]
            cls = UnsqueezeBackward0
            vd += 1
            nnew += 1
        elif c[0] == "m":
            m = c[1]
            for j in range(m.ndim):
                if m.shape[j] != shape[d + j]:
                    raise IndexError(
                        f"The shape of the mask {_shape_str(m.shape)} at index {j} does not match the shape of the "
                        f"indexed tensor {_shape_str(shape[d : d + m.ndim])} at index {j}"
                    )
            for j, a in enumerate(np.nonzero(m)):
                adv.append((vd + j, a.astype(_I64, copy=False)))
                key.append(slice(None))
            d += m.ndim
            vd += m.ndim
        else:
            a = c[1]
            size = shape[d]
            if a.size:
                bad = (a >= size) | (a < -size)
                if bad.any():
                    raise IndexError(
                        f"index {a[bad].flat[0]} is out of bounds for dimension {len(adv)} with size {size}"
                    )
            adv.append((vd, a))
            key.append(slice(None))
            d += 1
            vd += 1
    if len(adv) > 1:
        try:
            np.broadcast_shapes(*[a.shape for _, a in adv])
        except ValueError:
            raise IndexError(
                "shape mismatch: indexing tensors could not be broadcast together with shapes "
                + ", ".join(_shape_str(a.shape) for _, a in adv)
            ) from None
    key.append(Ellipsis)
    return (tuple(key) if cls is not None else None), cls, adv, has_false


def _adv_key(adv):
    n = max(p for p, _ in adv) + 1
    key = [slice(None)] * n
    for p, a in adv:
        key[p] = a
    return tuple(key)


def getitem(self, index):
    """Matches `torch.Tensor.__getitem__`."""
    if type(index) is int:  # fast path
        d = self._data
        if d.ndim == 0:
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                "in C++ to convert a 0-dim tensor to a number"
            )
        size = d.shape[0]
        if not -size <= index < size:
            raise IndexError(f"index {index} is out of bounds for dimension 0 with size {size}")
        return _basic(self, (index, Ellipsis), SelectBackward0)
    key, cls, adv, _ = _parse(self._data.shape, index, False)
    if key is not None:
        view = _basic(self, key, cls)
    elif not adv:
        return _basic(self, (Ellipsis,), AliasBackward0)
    else:
        view = self
    if not adv:
        return view
    return _index(view, _adv_key(adv))


def setitem(self, index, value):
    """Matches `torch.Tensor.__setitem__`."""
    if not isinstance(value, (Tensor, bool, int, float, complex, np.generic)):
        raise TypeError(f"can't assign a {type(value).__name__} to a ember.{self.dtype._tname}")
    key, cls, adv, has_false = _parse(self._data.shape, index, True)
    if has_false:
        return
    target = _basic(self, key, cls) if key is not None else self
    if adv:
        _index_put_inplace(target, _adv_key(adv), value, False)
        return
    if isinstance(value, Tensor) and value._data.ndim:
        v = value._data
        while v.ndim > target._data.ndim and v.shape[0] == 1:
            v = v.reshape(v.shape[1:])
        _copy(target, value, v)
    else:
        fill_(target, value, _cls=FillBackward3)


# -- copy_ / fill_ / zero_ ------------------------------------------------------------------


class CopyBackwards(Node):
    src_device = None  # set when src lives on another device than self: its gradient goes back there

    def backward(self, g):
        g = _fix0(g)
        gs = None
        if self.needs(1):
            gs = g if self.src_device is None else g.to(self.src_device)
        return (_zeros_like(g) if self.needs(0) else None, gs)


def _copy(self, src, v):
    node = CopyBackwards() if GRAD.enabled and (self._requires_grad or src._requires_grad) else None
    npdt = self._data.dtype
    if v.ndim > self._data.ndim:
        raise RuntimeError(
            f"copy_(): the number of sizes provided ({self._data.ndim}) must be greater or equal to the number of "
            f"dimensions in the tensor ({v.ndim})"
        )
    if type(v) is not type(self._data) or (type(v) is not np.ndarray and v.device.id != self._data.device.id):
        v = to_device(v, self.device)  # copy_ is the one op that takes its source from any device
        if node is not None:
            node.src_device = src.device
    return inplace(self, v if v.dtype == npdt else v.astype(npdt), node, (self, src), "copy_")


def copy_(self, src, non_blocking=False):
    """Matches `torch.Tensor.copy_` (broadcasts src, casts to self's dtype)."""
    _check_tensor(src, "copy_", "src")
    return _copy(self, src, src._data)


class FillBackward2(Node):
    def backward(self, g):
        g = _fix0(g)
        return (_zeros_like(g),)


class FillBackward3(Node):
    def backward(self, g):
        g = _fix0(g)
        return (_zeros_like(g) if self.needs(0) else None, _sum(g) if self.needs(1) else None)


def fill_(self, value, _cls=None):
    """Matches `torch.Tensor.fill_` (value: a number or a 0-dim tensor)."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value._data.ndim} dimensions."
            )
        cls = FillBackward3
    else:
        cls = _cls or FillBackward2
    v = _scalar_value(value, self._data.dtype, "fill_")
    node = None
    if GRAD.enabled and (self._requires_grad or requires_grad(value)):
        node = cls()
    inputs = (self, value) if cls is FillBackward3 else (self,)
    return inplace(self, xp_of(self._data).asarray(v), node, inputs, "fill_")


class ZeroBackward0(Node):
    def backward(self, g):
        g = _fix0(g)
        return _zeros_like(g)


def zero_(self):
    """Matches `torch.Tensor.zero_`."""
    node = ZeroBackward0() if GRAD.enabled and self._requires_grad else None
    return inplace(self, xp_of(self._data).zeros((), dtype=self._data.dtype), node, (self,), "zero_")


# -- index_select / index_add / index_copy / index_fill -------------------------------------


def _index_vec(index, opname, int32_ok=True):
    _check_tensor(index, opname, "index")
    d = index._data
    if d.dtype != np.int64 and not (int32_ok and d.dtype == np.int32):
        raise RuntimeError(f"{opname}(): Expected dtype int32 or int64 for index")
    if d.ndim > 1:
        raise IndexError(f"{opname}(): Index is supposed to be a vector")
    return d.reshape(-1).astype(_I64, copy=False)


def _dim_key(dim, idx):
    return (slice(None),) * dim + (idx,)


class IndexSelectBackward0(Node):
    def backward(self, g):
        return index_add(_zeros(self.shape, g), self.dim, self.index, g)


def index_select(input, dim, index, *, out=None):
    """Matches `torch.index_select`."""
    _check_tensor(input, "index_select", "input")
    d = input._data
    dim = wrap_dim(dim, d.ndim, "index_select")
    idx = _index_vec(index, "index_select")
    size = d.shape[dim] if d.ndim else 1
    if idx.size and (idx.min() < -size or idx.max() >= size):
        raise IndexError("index out of range in self")
    if d.ndim == 0:
        r = d.reshape(1)[idx].reshape(index._data.shape)
    else:
        r = d[_dim_key(dim, idx)]
    res = make(arr(r))
    if GRAD.enabled and input._requires_grad:
        node = IndexSelectBackward0()
        node.shape, node.dim, node.index = d.shape, dim, index
        attach(res, node, (input,))
    return res


def _index_src_check(d, dim, idx, s, opname):
    if s.dtype != d.dtype:
        raise RuntimeError(
            f"{opname}(): self ({scalar_type_name(d.dtype)}) and source ({scalar_type_name(s.dtype)}) must have the "
            "same scalar type"
        )
    size = d.shape[dim] if d.ndim else 1
    if idx.size and (idx.min() < -size or idx.max() >= size):
        bad = idx[(idx < -size) | (idx >= size)][0]
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    if s.ndim and idx.size != (s.shape[dim] if dim < s.ndim else 1) and opname.startswith("index_copy"):
        raise IndexError(
            f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
            f"({s.shape[dim] if dim < s.ndim else 1})"
        )
    exp = list(d.shape)
    if exp:
        exp[dim] = idx.size
    if s.ndim == 0 and idx.size == 1:
        return
    if list(s.shape) != exp and not (s.ndim == 0 and not exp):
        raise RuntimeError(
            f"{opname}(): Source/destination tensor must have same slice shapes. Destination slice shape: "
            f"{_shape_str(exp)} and source slice shape: {_shape_str(s.shape)}"
        )


class IndexAddBackward0(Node):
    def backward(self, g):
        gs = None
        if self.needs(1):
            gs = index_select(g, self.dim, self.index)
            if self.alpha != 1:
                gs = gs * self.alpha
            if self.src_shape != gs._data.shape:
                gs = gs.reshape(self.src_shape)
        return (g if self.needs(0) else None, gs)


def _index_add_array(input, dim, index, source, alpha, opname):
    d = input._data
    dim = wrap_dim(dim, d.ndim, opname)
    idx = _index_vec(index, opname)
    _check_tensor(source, opname, "source")
    s = source._data
    _index_src_check(d, dim, idx, s, opname)
    if d.ndim == 0:
        r = d.reshape(1).copy()
        xp_of(d).add.at(r, idx, s.reshape(-1) * alpha if alpha != 1 else s.reshape(-1))
        return r.reshape(()), dim
    if s.ndim == 0:
        s = s.reshape([1 if i == dim else n for i, n in enumerate(d.shape)])
    r = d.copy()
    xp_of(d).add.at(r, _dim_key(dim, idx), s if alpha == 1 else s * np.asarray(alpha).astype(d.dtype)[()])
    return r, dim


def _index_add_node(dim, index, alpha, source):
    node = IndexAddBackward0()
    node.dim, node.index, node.alpha, node.src_shape = dim, index, alpha, source._data.shape
    return node


def index_add(input, dim, index, source, *, alpha=1, out=None):
    """Matches `torch.index_add`."""
    r, dim = _index_add_array(input, dim, index, source, alpha, "index_add")
    res = make(r)
    if GRAD.enabled and (input._requires_grad or source._requires_grad):
        attach(res, _index_add_node(dim, index, alpha, source), (input, source))
    return res


def index_add_(self, dim, index, source, *, alpha=1):
    r, dim = _index_add_array(self, dim, index, source, alpha, "index_add_")
    node = None
    if GRAD.enabled and (self._requires_grad or source._requires_grad):
        node = _index_add_node(dim, index, alpha, source)
    return inplace(self, r, node, (self, source), "index_add_")


class IndexCopyBackward0(Node):
    def backward(self, g):
        gself = index_fill(g, self.dim, self.index, 0) if self.needs(0) else None
        gsrc = None
        if self.needs(1):
            gsrc = index_select(g, self.dim, self.index)
            if gsrc._data.shape != self.src_shape:
                gsrc = gsrc.reshape(self.src_shape)
        return gself, gsrc


def _index_copy_array(input, dim, index, source, opname):
    d = input._data
    dim = wrap_dim(dim, d.ndim, opname)
    _check_tensor(index, opname, "index")
    if index._data.dtype != np.int64:
        raise RuntimeError(f"{opname}(): Expected a long tensor for index, but got {_tname(index._data)}")
    idx = _index_vec(index, opname)
    _check_tensor(source, opname, "source")
    s = source._data
    _index_src_check(d, dim, idx, s, opname)
    if d.ndim == 0:
        r = d.reshape(1).copy()
        r[idx] = s.reshape(-1)
        return r.reshape(()), dim
    r = d.copy()
    r[_dim_key(dim, idx)] = s if s.ndim else s.reshape([1] * d.ndim)
    return r, dim


def _index_copy_node(dim, index, source):
    node = IndexCopyBackward0()
    node.dim, node.index, node.src_shape = dim, index, source._data.shape
    return node


def index_copy(input, dim, index, source):
    """Matches `torch.index_copy`."""
    if AUTOCAST.on:
        return autocast_call("index_copy", index_copy, (input, dim, index, source), {})
    r, dim = _index_copy_array(input, dim, index, source, "index_copy")
    res = make(r)
    if GRAD.enabled and (input._requires_grad or source._requires_grad):
        attach(res, _index_copy_node(dim, index, source), (input, source))
    return res


def index_copy_(self, dim, index, source):
    r, dim = _index_copy_array(self, dim, index, source, "index_copy_")
    node = None
    if GRAD.enabled and (self._requires_grad or source._requires_grad):
        node = _index_copy_node(dim, index, source)
    return inplace(self, r, node, (self, source), "index_copy_")


class IndexFillBackward0(Node):
    def backward(self, g):
        return (index_fill(g, self.dim, self.index, 0),)


class IndexFillBackward1(Node):
    def backward(self, g):
        gself = index_fill(g, self.dim, self.index, 0) if self.needs(0) else None
        gv = _sum(index_select(g, self.dim, self.index)) if self.needs(1) else None
        return gself, gv


def _index_fill_array(input, dim, index, value, opname):
    d = input._data
    dim = wrap_dim(dim, d.ndim, opname)
    _check_tensor(index, opname, "index")
    if index._data.dtype != np.int64:
        raise IndexError(f"{opname}(): Expected dtype int64 for index.")
    idx = _index_vec(index, opname)
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(
            f"{opname} only supports a 0-dimensional value tensor, but got tensor with {value._data.ndim} dimension(s)."
        )
    size = d.shape[dim] if d.ndim else 1
    if idx.size and (idx.min() < -size or idx.max() >= size):
        raise IndexError(
            f"index {idx[(idx < -size) | (idx >= size)][0]} is out of bounds for dimension {dim} with size {size}"
        )
    v = _scalar_value(value, d.dtype, opname)
    if d.ndim == 0:
        r = d.reshape(1).copy()
        r[idx] = v
        return r.reshape(()), dim
    r = d.copy()
    r[_dim_key(dim, idx)] = v
    return r, dim


def _index_fill_node(dim, index, value):
    node = IndexFillBackward1() if isinstance(value, Tensor) else IndexFillBackward0()
    node.dim, node.index = dim, index
    return node


def index_fill(input, dim, index, value):
    """Matches `torch.index_fill` (value: a number or a 0-dim tensor)."""
    r, dim = _index_fill_array(input, dim, index, value, "index_fill")
    res = make(r)
    if GRAD.enabled and (input._requires_grad or requires_grad(value)):
        node = _index_fill_node(dim, index, value)
        attach(res, node, (input, value) if isinstance(value, Tensor) else (input,))
    return res


def index_fill_(self, dim, index, value):
    r, dim = _index_fill_array(self, dim, index, value, "index_fill_")
    node = None
    if GRAD.enabled and (self._requires_grad or requires_grad(value)):
        node = _index_fill_node(dim, index, value)
    return inplace(self, r, node, (self, value) if isinstance(value, Tensor) else (self,), "index_fill_")


# -- index_put ------------------------------------------------------------------------------


def _index_put_key(input, indices, opname):
    """The advanced key of index_put's `indices` (tensors or None; 0-dim int tensors stay advanced)."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{opname}(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    shape = input._data.shape
    adv = []
    d = 0
    for t in indices:
        if t is None:
            d += 1
            continue
        _check_tensor(t, opname, "indices")
        a = t._data
        if a.dtype.kind == "b" or a.dtype == np.uint8:
            m = a.astype(bool, copy=False)
            if d + m.ndim > len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)} (got {d + m.ndim})")
            for j in range(m.ndim):
                if m.shape[j] != shape[d + j]:
                    raise IndexError(
                        f"The shape of the mask {_shape_str(m.shape)} at index {j} does not match the shape of the "
                        f"indexed tensor {_shape_str(shape[d : d + m.ndim])} at index {j}"
                    )
            for j, nz in enumerate(np.nonzero(m)):
                adv.append((d + j, nz.astype(_I64, copy=False)))
            d += m.ndim
        elif a.dtype.kind in "iu":
            if d >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)} (got {d + 1})")
            size = shape[d]
            if a.size:
                bad = (a >= size) | (a < -size)
                if bad.any():
                    raise IndexError(f"index {a[bad].flat[0]} is out of bounds for dimension {d} with size {size}")
            adv.append((d, a.astype(_I64, copy=False)))
            d += 1
        else:
            raise IndexError(_BAD_TENSOR)
    if not adv:
        return (Ellipsis,)
    try:
        np.broadcast_shapes(*[a.shape for _, a in adv])
    except ValueError:
        raise IndexError(
            "shape mismatch: indexing tensors could not be broadcast together with shapes "
            + ", ".join(_shape_str(a.shape) for _, a in adv)
        ) from None
    return _adv_key(adv)


def _check_values(input, values, opname):
    _check_tensor(values, opname, "values")
    if values._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"Index put requires the source and destination dtypes match, got {_tname(input._data)} for the "
            f"destination and {_tname(values._data)} for the source."
        )


def index_put(input, indices, values, accumulate=False):
    """Matches `torch.index_put`."""
    if AUTOCAST.on:
        return autocast_call("index_put", index_put, (input, indices, values, accumulate), {})
    _check_values(input, values, "index_put")
    key = _index_put_key(input, indices, "index_put")
    return _index_put(input, key, values, accumulate)


def index_put_(input, indices, values, accumulate=False):
    """Matches `torch.index_put_`."""
    _check_values(input, values, "index_put_")
    key = _index_put_key(input, indices, "index_put_")
    return _index_put_inplace(input, key, values, accumulate)


# -- gather / scatter -----------------------------------------------------------------------


def _coords(idx, dim):
    """Full coordinates for out[coords] = src over the shape of idx (idx gives the `dim` coordinate)."""
    xp = xp_of(idx)
    nd = idx.ndim
    out = []
    for k in range(nd):
        if k == dim:
            out.append(idx)
        else:
            shp = [1] * nd
            shp[k] = idx.shape[k]
            out.append(xp.arange(idx.shape[k]).reshape(shp))
    return tuple(out)


def _gs_checks(d, dim, index, opname, src=None):
    """Shared checks of gather/scatter; returns the index array (at least 1-d when self is)."""
    _check_tensor(index, opname, "index")
    idx = index._data
    if idx.dtype != np.int64 and idx.dtype != np.int32:
        raise RuntimeError(f"{opname}(): Expected dtype int32/int64 for index")
    idx = idx.astype(_I64, copy=False)
    nd = d.ndim
    if idx.ndim != nd and not (max(idx.ndim, nd) <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if src is not None and src.ndim != idx.ndim and not (max(idx.ndim, src.ndim) <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    ishape = idx.shape if idx.ndim else (1,)
    dshape = d.shape if nd else (1,)
    for k in range(len(ishape)):
        if k != dim and ishape[k] > dshape[k]:
            raise RuntimeError(
                f"Size does not match at dimension {k} expected index {_shape_str(idx.shape)} to be no larger than "
                f"self {_shape_str(d.shape)} apart from dimension {dim}"
            )
        if src is not None:
            sshape = src.shape if src.ndim else (1,)
            if ishape[k] > sshape[k]:
                raise RuntimeError(
                    f"Size does not match at dimension {k} expected index {_shape_str(idx.shape)} to be no larger "
                    f"than src {_shape_str(src.shape)}"
                )
    size = dshape[dim]
    idx1 = idx.reshape(ishape)
    if idx1.size and bool((idx1.min() < 0) | (idx1.max() >= size)):  # two reductions, no index-sized temporaries
        bad = (idx1 < 0) | (idx1 >= size)
        raise RuntimeError(f"index {idx1[bad].flat[0]} is out of bounds for dimension {dim} with size {size}")
    return idx1


class GatherBackward0(Node):
    def backward(self, g):
        return scatter_add(_zeros(self.shape, g), self.dim, self.index, g)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """Matches `torch.gather`."""
    _check_tensor(input, "gather", "input")
    d = input._data
    dim = wrap_dim(dim, d.ndim, "gather")
    idx = _gs_checks(d, dim, index, "gather")
    d1 = d if d.ndim else d.reshape(1)
    r = d1[_coords(idx, dim)] if idx.size else xp_of(d).zeros(idx.shape, dtype=d.dtype)
    res = make(arr(r.reshape(index._data.shape)))
    if GRAD.enabled and input._requires_grad:
        node = GatherBackward0()
        node.shape, node.dim, node.index = d.shape, dim, index
        attach(res, node, (input,))
    return res


def _src_part(s, ishape):
    return s[tuple(slice(0, n) for n in ishape)] if s.ndim else s


class ScatterBackward0(Node):
    def backward(self, g):
        gself = scatter(g, self.dim, self.index, 0) if self.needs(0) else None
        gsrc = gather(g, self.dim, self.index) if self.needs(1) else None
        return gself, gsrc


class ScatterBackward1(Node):
    def backward(self, g):
        return (scatter(g, self.dim, self.index, 0),)


class _NotImplementedScatter(Node):
    def backward(self, g):
        raise RuntimeError("derivative for aten::scatter is not implemented")


_NotImplementedScatter.__name__ = _NotImplementedScatter.__qualname__ = "NotImplemented"

_SCATTER_UFUNC = {"add": np.add, "multiply": np.multiply}
# the dtypes CuPy's ufunc.at has exact kernels for (cupy.add.at, ...); everything else takes _segmented_at.
# (CuPy's float64 maximum.at/minimum.at compare in float32 and store the rounded value)
_I32_64 = ("int32", "int64", "uint32", "uint64")
_CUPY_AT = {"add": _I32_64 + ("float16", "float32", "float64"), "maximum": _I32_64 + ("float32",)}
_CUPY_AT["minimum"] = _CUPY_AT["maximum"]


def _ufunc_at(uf, r, coords, v):
    """`uf.at(r, coords, v)`: r[coords] = uf(r[coords], v), each repeated coordinate applied in turn.
    `r` is C-contiguous; `v` has the broadcast shape of `coords`."""
    if type(r) is np.ndarray:
        uf.at(r, coords, v)
        return
    xp = xp_of(r)
    xuf = getattr(xp, uf.__name__)
    if r.dtype.name in _CUPY_AT.get(uf.__name__, ()):
        xuf.at(r, coords, v)
    else:
        _segmented_at(xp, xuf, r, coords, v)


def _segmented_at(xp, uf, r, coords, v):
    """`uf.at` for array modules without it: sort the updates by target, combine each target's updates
    with a segmented inclusive scan (log2 of the longest run of passes), then apply them once per target."""
    flat, step = 0, 1
    for c, n in zip(reversed(coords), reversed(r.shape)):
        flat = flat + c * step
        step *= n
    flat = xp.broadcast_to(flat, v.shape).reshape(-1)
    order = xp.argsort(flat)
    flat, vals = flat[order], v.reshape(-1)[order]
    n = flat.size
    new = xp.ones(n, dtype=bool)
    new[1:] = flat[1:] != flat[:-1]
    starts = xp.nonzero(new)[0]
    ends = xp.concatenate([starts[1:] - 1, xp.full(1, n - 1, dtype=starts.dtype)])
    first = starts[xp.cumsum(new) - 1]
    pos = xp.arange(n)
    longest = int((ends - starts).max()) + 1
    k = 1
    while k < longest:
        prev = vals.copy()
        prev[k:] = vals[:-k]
        vals = xp.where(pos - k >= first, uf(prev, vals), vals)
        k *= 2
    target = flat[ends]
    rflat = r.reshape(-1)
    rflat[target] = uf(rflat[target], vals[ends])


def _scatter_array(input, dim, index, src, value, reduce, opname):
    d = input._data
    dim = wrap_dim(dim, d.ndim, opname)
    if src is not None:
        _check_tensor(src, opname, "src")
        s = src._data
        if s.dtype != d.dtype:
            raise RuntimeError(f"{opname}(): Expected self.dtype to be equal to src.dtype")
        idx = _gs_checks(d, dim, index, opname, s)
    else:
        idx = _gs_checks(d, dim, index, opname)
        s = _scalar_value(value, d.dtype, opname)
    if reduce is not None and reduce not in _SCATTER_UFUNC:
        raise RuntimeError(f"{opname}(): Expected reduce argument to be either add or multiply.")
    r = (d if d.ndim else d.reshape(1)).copy()
    if idx.size:
        coords = _coords(idx, dim)
        v = _src_part(s if s.ndim or src is None else s.reshape(1), idx.shape)
        if reduce is None:
            r[coords] = v
        else:
            xp = xp_of(r)
            _ufunc_at(_SCATTER_UFUNC[reduce], r, coords, xp.broadcast_to(xp.asarray(v), idx.shape))
    return r.reshape(d.shape), dim


def _scatter_node(dim, index, src, reduce):
    if reduce is not None:
        return _NotImplementedScatter()
    node = ScatterBackward0() if src is not None else ScatterBackward1()
    node.dim, node.index = dim, index
    return node


def _scatter_src_value(src, value):
    if value is None and not isinstance(src, Tensor):
        return None, src
    return src, value


def scatter(input, dim, index, src=None, value=None, *, reduce=None, out=None):
    """Matches `torch.scatter` (src: a tensor, or a number as `value`; reduce: 'add' / 'multiply')."""
    src, value = _scatter_src_value(src, value)
    r, dim = _scatter_array(input, dim, index, src, value, reduce, "scatter")
    res = make(r)
    if GRAD.enabled and (input._requires_grad or requires_grad(src)):
        attach(res, _scatter_node(dim, index, src, reduce), (input, src) if src is not None else (input,))
    return res


def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    src, value = _scatter_src_value(src, value)
    r, dim = _scatter_array(self, dim, index, src, value, reduce, "scatter_")
    node = None
    if GRAD.enabled and (self._requires_grad or requires_grad(src)):
        node = _scatter_node(dim, index, src, reduce)
    return inplace(self, r, node, (self, src) if src is not None else (self,), "scatter_")


class ScatterAddBackward0(Node):
    def backward(self, g):
        return (g if self.needs(0) else None, gather(g, self.dim, self.index) if self.needs(1) else None)


def _scatter_add_node(dim, index):
    node = ScatterAddBackward0()
    node.dim, node.index = dim, index
    return node


def scatter_add(input, dim, index, src):
    """Matches `torch.scatter_add`."""
    if AUTOCAST.on:
        return autocast_call("scatter_add", scatter_add, (input, dim, index, src), {})
    r, dim = _scatter_array(input, dim, index, src, None, "add", "scatter_add")
    res = make(r)
    if GRAD.enabled and (input._requires_grad or src._requires_grad):
        attach(res, _scatter_add_node(dim, index), (input, src))
    return res


def scatter_add_(self, dim, index, src):
    r, dim = _scatter_array(self, dim, index, src, None, "add", "scatter_add_")
    node = None
    if GRAD.enabled and (self._requires_grad or src._requires_grad):
        node = _scatter_add_node(dim, index)
    return inplace(self, r, node, (self, src), "scatter_add_")


_REDUCE_UFUNC = {"sum": np.add, "prod": np.multiply, "mean": np.add, "amax": np.maximum, "amin": np.minimum}
_REDUCE_ALIAS = {"max": "amax", "min": "amin"}


def _identity(reduce, npdt):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if npdt.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if npdt.kind == "b":
        return reduce == "amin"
    info = np.iinfo(npdt)
    return info.min if reduce == "amax" else info.max


def _scatter_reduce_array(input, dim, index, src, reduce, include_self, opname):
    _check_tensor(src, opname, "src")
    d, s = input._data, src._data
    dim = wrap_dim(dim, d.ndim, opname)
    reduce = _REDUCE_ALIAS.get(reduce, reduce)
    if reduce not in _REDUCE_UFUNC:
        raise RuntimeError(f"{opname}(): reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if s.dtype != d.dtype:
        raise RuntimeError(f"{opname}(): Expected self.dtype to be equal to src.dtype")
    idx = _gs_checks(d, dim, index, opname, s)
    r = (d if d.ndim else d.reshape(1)).copy()
    if idx.size:
        xp = xp_of(d)
        coords = _coords(idx, dim)
        v = _src_part(s if s.ndim else s.reshape(1), idx.shape)
        if not include_self:
            r[coords] = _identity(reduce, d.dtype)
        _ufunc_at(_REDUCE_UFUNC[reduce], r, coords, v)
        if reduce == "mean":
            cnt = xp.full(r.shape, 1 if include_self else 0, dtype=_I64)
            xp.add.at(cnt, coords, 1)
            cnt[cnt == 0] = 1
            if d.dtype.kind in "iu":
                r = xp.floor_divide(r, cnt).astype(d.dtype)
            else:
                r = (r / cnt).astype(d.dtype)
    return r.reshape(d.shape), dim, reduce


def _ones_f(shape, like):
    d = like._data
    return make(xp_of(d).ones(shape, dtype=d.dtype))


def _mask_t(m):
    return make(m)


def _where(c, a, b):
    """where(c, a, b) for a boolean array c with ember ops (finite a, b)."""
    return masked_fill(a, make(~c), 0) + masked_fill(b, make(c), 0)


class ScatterReduceBackward0(Node):
    def backward(self, g):
        self_t, src = self.saved
        dim, index, reduce, include_self = self.dim, self.index, self.reduce, self.include_self
        gself = gsrc = None
        if reduce == "sum":
            gself = g
            gsrc = gather(g, dim, index)
        elif reduce == "mean":
            n = _ones_f(g._data.shape, g) if include_self else _zeros_like(g)
            n = scatter_add(n, dim, index, _ones_f(src._data.shape, g))
            nd = n._data
            n = make(xp_of(nd).where(nd == 0, 1, nd).astype(nd.dtype))
            gself = g / n
            gsrc = gather(gself, dim, index)
        elif reduce == "prod":
            result = scatter_reduce(self_t, dim, index, src, "prod", include_self=include_self)
            masked_self = masked_fill(self_t, make(self_t._data == 0), 1)
            masked_self_result = scatter_reduce(masked_self, dim, index, src, "prod", include_self=include_self)
            gself = g * masked_self_result / masked_self
            src_zero = src._data == 0
            cnt = _zeros_like(self_t)._data
            cnt = scatter_add(make(cnt), dim, index, make(src_zero.astype(cnt.dtype)))
            src_num_zeros = gather(cnt, dim, index)._data
            single = src_zero & (src_num_zeros == 1)
            masked_src = masked_fill(src, make(single), 1)
            masked_src_result = scatter_reduce(self_t, dim, index, masked_src, "prod", include_self=include_self)
            a = gather(g * masked_src_result, dim, index)
            b = gather(g * result, dim, index) / masked_fill(src, make(src_zero), 1)
            gsrc = _where(single, a, b)
        else:
            result = scatter_reduce(self_t, dim, index, src, reduce, include_self=include_self)
            rd = result._data
            value = gather(result, dim, index)
            self_is = self_t._data == rd
            src_is = src._data == value._data
            dt = rd.dtype
            n = scatter_add(make(self_is.astype(dt)), dim, index, make(src_is.astype(dt)))
            dist = g / n
            gself = dist * make(self_is.astype(dt))
            gsrc = gather(dist, dim, index) * make(src_is.astype(dt))
        if not include_self and gself is not None:
            gself = scatter(gself, dim, index, 0)
        return (gself if self.needs(0) else None, gsrc if self.needs(1) else None)


def _scatter_reduce_node(self, dim, index, src, reduce, include_self):
    node = ScatterReduceBackward0()
    node.dim, node.index, node.reduce, node.include_self = dim, index, reduce, include_self
    node.save(self, src)
    return node


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    """Matches `torch.scatter_reduce` (reduce: sum, prod, mean, amax, amin)."""
    r, dim, reduce = _scatter_reduce_array(input, dim, index, src, reduce, include_self, "scatter_reduce")
    res = make(r)
    if GRAD.enabled and (input._requires_grad or src._requires_grad):
        attach(res, _scatter_reduce_node(input, dim, index, src, reduce, include_self), (input, src))
    return res


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    r, dim, reduce = _scatter_reduce_array(self, dim, index, src, reduce, include_self, "scatter_reduce_")
    node = None
    if GRAD.enabled and (self._requires_grad or src._requires_grad):
        node = _scatter_reduce_node(self, dim, index, src, reduce, include_self)
    return inplace(self, r, node, (self, src), "scatter_reduce_")


# -- masked ops -----------------------------------------------------------------------------


def _mask_arr(mask, opname, msg=None):
    _check_tensor(mask, opname, "mask")
    m = mask._data
    if m.dtype != np.bool_:
        raise RuntimeError(msg or f"{opname} only supports boolean masks, but got mask with dtype {mask.dtype}")
    return m


class MaskedFillBackward0(Node):
    def backward(self, g):
        return (masked_fill(g, self.mask, 0),)


class MaskedFillBackward1(Node):
    def backward(self, g):
        gself = masked_fill(g, self.mask, 0) if self.needs(0) else None
        gv = _sum(masked_fill(g, make(~self.mask._data), 0)) if self.needs(1) else None
        return gself, gv


def _masked_fill_where(input, mask, value, opname):
    """input with value where mask is set, in input's dtype (mask broadcasts to input)."""
    _check_tensor(input, opname, "input")
    m = _mask_arr(mask, "masked_fill_")
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(
            "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value._data.ndim} dimension(s)."
        )
    d = input._data
    v = _scalar_value(value, d.dtype, opname)
    try:
        r = xp_of(d).where(m, v, d)
    except ValueError:
        raise RuntimeError(
            f"masked_fill_: mask of shape {list(m.shape)} does not broadcast to {list(d.shape)}"
            if opname == "masked_fill_"
            else f"The size of tensor a ({d.shape}) must match the size of tensor b ({m.shape}) (masked_fill)"
        ) from None
    return r.astype(d.dtype, copy=False)


def _masked_fill_node(mask, value):
    node = MaskedFillBackward1() if isinstance(value, Tensor) else MaskedFillBackward0()
    node.mask = mask
    return node


def masked_fill(input, mask, value):
    """Matches `torch.masked_fill` (value: a number or a 0-dim tensor; mask broadcasts)."""
    res = make(arr(_masked_fill_where(input, mask, value, "masked_fill")))
    if GRAD.enabled and (input._requires_grad or requires_grad(value)):
        node = _masked_fill_node(mask, value)
        attach(res, node, (input, value) if isinstance(value, Tensor) else (input,))
    return res


def masked_fill_(self, mask, value):
    r = _masked_fill_where(self, mask, value, "masked_fill_")
    node = None
    if GRAD.enabled and (self._requires_grad or requires_grad(value)):
        node = _masked_fill_node(mask, value)
    return inplace(
        self,
        r,
        node,
        (self, value) if isinstance(value, Tensor) else (self,),
        "masked_fill_",
    )


def _bshape(a, b, opname):
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(
            f"{opname}: shapes {_shape_str(a.shape)} and {_shape_str(b.shape)} cannot be broadcast together"
        ) from None


class MaskedSelectBackward0(Node):
    def backward(self, g):
        return masked_scatter(_zeros(self.shape, g), self.mask, g)


def masked_select(input, mask, *, out=None):
    """Matches `torch.masked_select` (a 1-D result; input and mask broadcast)."""
    _check_tensor(input, "masked_select", "input")
    m = _mask_arr(mask, "masked_select", "masked_select: expected BoolTensor for mask")
    d = input._data
    bs = _bshape(d, m, "masked_select")
    xp = xp_of(d)
    r = xp.broadcast_to(d, bs)[xp.broadcast_to(m, bs)]
    res = make(r)
    if GRAD.enabled and input._requires_grad:
        node = MaskedSelectBackward0()
        node.shape, node.mask = bs, make(xp.broadcast_to(m, bs))
        attach(res, node, (input,))
    return res


class _PadFlatBackward(Node):
    def __init__(self, n):
        Node.__init__(self)
        self.n = n

    def backward(self, g):
        return _basic(reshape(g, (-1,)), (slice(0, self.n), Ellipsis), SliceBackward0)


def _pad_flat(t, shape):
    """t (1-D, n elements) written at the start of zeros(shape) in flat order, differentiable."""
    d = t._data
    out = xp_of(d).zeros(int(np.prod(shape)), dtype=d.dtype)
    out[: d.size] = d
    res = make(out.reshape(shape))
    if GRAD.enabled and t._requires_grad:
        attach(res, _PadFlatBackward(d.size), (t,))
    return res


class MaskedScatterBackward0(Node):
    def backward(self, g):
        gself = masked_fill(g, self.mask, 0) if self.needs(0) else None
        gsrc = None
        if self.needs(1):
            gsrc = _pad_flat(masked_select(g, self.mask), self.src_shape)
        return gself, gsrc


def _masked_scatter_array(input, mask, source, opname, inplace_=False):
    _check_tensor(input, opname, "input")
    _check_tensor(source, opname, "source")
    m = _mask_arr(mask, "masked_scatter_")
    d, s = input._data, source._data
    if s.dtype != d.dtype:
        raise RuntimeError(
            f"masked_scatter_: expected self and source to have same dtypes but got {_tname(d)} and {_tname(s)}"
        )
    bs = _bshape(d, m, opname)
    if inplace_ and bs != d.shape:
        raise RuntimeError(f"{opname}: mask of shape {_shape_str(m.shape)} does not broadcast to {_shape_str(d.shape)}")
    xp = xp_of(d)
    mb = xp.broadcast_to(m, bs)
    n = int(mb.sum())
    if n > s.size:
        raise RuntimeError("masked_scatter: expected source to have at least as many elements as ones in mask")
    r = xp.broadcast_to(d, bs).copy()
    r[mb] = s.reshape(-1)[:n]
    return r, make(mb)


def _masked_scatter_node(mb, source):
    node = MaskedScatterBackward0()
    node.mask, node.src_shape = mb, source._data.shape
    return node


def masked_scatter(input, mask, source):
    """Matches `torch.masked_scatter`."""
    r, mb = _masked_scatter_array(input, mask, source, "masked_scatter")
    res = make(r)
    if GRAD.enabled and (input._requires_grad or source._requires_grad):
        attach(res, _masked_scatter_node(mb, source), (input, source))
    return res


def masked_scatter_(self, mask, source):
    r, mb = _masked_scatter_array(self, mask, source, "masked_scatter_", True)
    node = None
    if GRAD.enabled and (self._requires_grad or source._requires_grad):
        node = _masked_scatter_node(mb, source)
    return inplace(self, r, node, (self, source), "masked_scatter_")


# -- take / put / take_along_dim -------------------------------------------------------------


def _flat_index(d, index, opname):
    _check_tensor(index, opname, "index")
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"{opname}(): Expected a long tensor for index, but got {_tname(idx)}")
    n = d.size
    if idx.size:
        bad = (idx < -n) | (idx >= n)
        if bad.any():
            raise IndexError(f"out of range: tried to access index {idx[bad].flat[0]} on a tensor of {n} elements.")
    return idx


class TakeBackward0(Node):
    def backward(self, g):
        return put(_zeros(self.shape, g), self.index, g, accumulate=True)


def take(input, index):
    """Matches `torch.take` (input treated as 1-D)."""
    _check_tensor(input, "take", "input")
    d = input._data
    idx = _flat_index(d, index, "take")
    if d.size == 0 and idx.size:
        raise IndexError("take(): tried to take from an empty tensor")
    res = make(arr(d.reshape(-1)[idx]))
    if GRAD.enabled and input._requires_grad:
        node = TakeBackward0()
        node.shape, node.index = d.shape, index
        attach(res, node, (input,))
    return res


class PutBackward0(Node):
    def backward(self, g):
        gself = gsrc = None
        if self.needs(0):
            gself = g if self.accumulate else put(g, self.index, _zeros(self.src_shape, g), False)
        if self.needs(1):
            gsrc = take(g, self.index).reshape(self.src_shape)
        return gself, gsrc


def _put_array2(input, index, source, accumulate, opname):
    _check_tensor(input, opname, "input")
    _check_tensor(source, opname, "source")
    d, s = input._data, source._data
    idx = _flat_index(d, index, opname)
    if s.dtype != d.dtype:
        raise RuntimeError(
            f"{opname}(): self and source expected to have the same dtype, but got self.dtype = "
            f"{scalar_type_name(d.dtype)} and source.dtype = {scalar_type_name(s.dtype)}"
        )
    if s.size != idx.size:
        raise IndexError(
            f"{opname}(): Expected source and index to have the same number of elements, but got source.numel() = "
            f"{s.size}, index.numel() = {idx.size}"
        )
    r = d.copy()
    flat = r.reshape(-1)
    if accumulate:
        xp_of(d).add.at(flat, idx.reshape(-1), s.reshape(-1))
    else:
        flat[idx.reshape(-1)] = s.reshape(-1)
    return r


def _put_node(index, source, accumulate):
    node = PutBackward0()
    node.index, node.src_shape, node.accumulate = index, source._data.shape, accumulate
    return node


def put(input, index, source, accumulate=False):
    """Matches `torch.put`."""
    r = _put_array2(input, index, source, accumulate, "put")
    res = make(r)
    if GRAD.enabled and (input._requires_grad or source._requires_grad):
        attach(res, _put_node(index, source, accumulate), (input, source))
    return res


def put_(self, index, source, accumulate=False):
    r = _put_array2(self, index, source, accumulate, "put_")
    node = None
    if GRAD.enabled and (self._requires_grad or source._requires_grad):
        node = _put_node(index, source, accumulate)
    return inplace(self, r, node, (self, source), "put_")


def take_along_dim(input, indices, dim=None, *, out=None):
    """Matches `torch.take_along_dim`."""
    _check_tensor(input, "take_along_dim", "input")
    _check_tensor(indices, "take_along_dim", "indices")
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got {indices.dtype}")
    if dim is None:
        return gather(reshape(input, (-1,)), 0, reshape(indices, (-1,)))
    d, i = input._data, indices._data
    if d.ndim != i.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of dimensions, but got "
            f"{d.ndim} dimensions for input, and {i.ndim} dimensions for indices"
        )
    dim = wrap_dim(dim, d.ndim, "take_along_dim")
    ds, is_ = list(d.shape), list(i.shape)
    ds[dim] = is_[dim] = 1
    bs = list(_bshape(np.empty(ds, np.int8), np.empty(is_, np.int8), "take_along_dim"))
    bd, bi = bs.copy(), bs.copy()
    bd[dim], bi[dim] = d.shape[dim], i.shape[dim]
    x = expand(input, tuple(bd)) if tuple(bd) != d.shape else input
    ix = make(xp_of(i).broadcast_to(i, tuple(bi))) if tuple(bi) != i.shape else indices
    return gather(x, dim, ix)


# -- nonzero / argwhere ---------------------------------------------------------------------


def nonzero(input, *, out=None, as_tuple=False):
    """Matches `torch.nonzero`."""
    _check_tensor(input, "nonzero", "input")
    d = input._data
    xp = xp_of(d)
    if as_tuple:
        if d.ndim == 0:
            return (make(xp.nonzero(d.reshape(1))[0].astype(_I64)),)
        return tuple(make(a.astype(_I64, copy=False)) for a in xp.nonzero(d))
    return make(xp.argwhere(d).astype(_I64, copy=False))


def argwhere(input):
    """Matches `torch.argwhere`."""
    return nonzero(input)


# -- select_scatter / slice_scatter / diagonal_scatter ---------------------------------------


class SelectScatterBackward0(Node):
    def backward(self, g):
        key, sshape = self.key, self.src_shape
        gself = _scatter_basic(g, key, _zeros(sshape, g)) if self.needs(0) else None
        gsrc = _basic(g, key, SelectBackward0) if self.needs(1) else None
        return gself, gsrc


class SliceScatterBackward0(SelectScatterBackward0):
    pass


def _scatter_basic_array(d, key, s, opname):
    view_shape = np.empty(d.shape, np.int8)[key].shape if d.size else _basic_shape(d.shape, key)
    if s.shape != view_shape:
        raise RuntimeError(
            f"expected src to have a size equal to the slice of self. src size = {_shape_str(s.shape)}, slice size = "
            f"{_shape_str(view_shape)}"
        )
    r = d.copy()
    r[key] = s
    return r


def _basic_shape(shape, key):
    return np.broadcast_to(np.empty((), np.int8), shape)[key].shape


def _scatter_basic(input, key, src, cls=SliceScatterBackward0, opname="slice_scatter"):
    d, s = input._data, src._data
    if s.dtype != d.dtype:
        raise RuntimeError(f"{opname}(): expected src and self to have the same dtype")
    r = _scatter_basic_array(d, key, s, opname)
    res = make(r)
    if GRAD.enabled and (input._requires_grad or src._requires_grad):
        node = cls()
        node.key, node.src_shape = key, s.shape
        attach(res, node, (input, src))
    return res


def select_scatter(input, src, dim, index):
    """Matches `torch.select_scatter`."""
    _check_tensor(input, "select_scatter", "input")
    _check_tensor(src, "select_scatter", "src")
    d = input._data
    dim = wrap_dim(dim, d.ndim, "select_scatter")
    size = d.shape[dim]
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {_shape_str(d.shape)} at dimension {dim}"
        )
    key = (slice(None),) * dim + (int(index), Ellipsis)
    return _scatter_basic(input, key, src, SelectScatterBackward0, "select_scatter")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """Matches `torch.slice_scatter`."""
    _check_tensor(input, "slice_scatter", "input")
    _check_tensor(src, "slice_scatter", "src")
    d = input._data
    dim = wrap_dim(dim, d.ndim, "slice_scatter")
    if step is None:
        step = 1
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    key = (slice(None),) * dim + (slice(start, end, step), Ellipsis)
    return _scatter_basic(input, key, src, SliceScatterBackward0, "slice_scatter")


def _diag_key(shape, offset, dim1, dim2):
    """A key selecting the diagonal (moved to the last dim) of an array of `shape`, after moveaxis."""
    n1, n2 = shape[dim1], shape[dim2]
    if offset >= 0:
        n = max(min(n1, n2 - offset), 0)
        i, j = np.arange(n), np.arange(n) + offset
    else:
        n = max(min(n1 + offset, n2), 0)
        i, j = np.arange(n) - offset, np.arange(n)
    return i, j


def _diag_view(a, offset, dim1, dim2):
    return np.moveaxis(a, (dim1, dim2), (-2, -1))


class _DiagonalBackward(Node):
    def __init__(self, args, shape):
        Node.__init__(self)
        self.args, self.shape = args, shape

    def backward(self, g):
        return diagonal_scatter(_zeros(self.shape, g), g, *self.args)


def _diagonal(t, offset, dim1, dim2):
    d = t._data
    i, j = _diag_key(d.shape, offset, dim1, dim2)
    res = make(_diag_view(d, offset, dim1, dim2)[..., i, j])
    if GRAD.enabled and t._requires_grad:
        attach(res, _DiagonalBackward((offset, dim1, dim2), d.shape), (t,))
    return res


class DiagonalScatterBackward0(Node):
    def backward(self, g):
        offset, dim1, dim2 = self.args
        gself = diagonal_scatter(g, _zeros(self.src_shape, g), offset, dim1, dim2) if self.needs(0) else None
        gsrc = _diagonal(g, offset, dim1, dim2) if self.needs(1) else None
        return gself, gsrc


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """Matches `torch.diagonal_scatter`."""
    _check_tensor(input, "diagonal_scatter", "input")
    _check_tensor(src, "diagonal_scatter", "src")
    d, s = input._data, src._data
    dim1 = wrap_dim(dim1, d.ndim, "diagonal_scatter")
    dim2 = wrap_dim(dim2, d.ndim, "diagonal_scatter")
    if dim1 == dim2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    i, j = _diag_key(d.shape, offset, dim1, dim2)
    r = d.copy()
    v = _diag_view(r, offset, dim1, dim2)
    exp = v.shape[:-2] + (i.size,)
    if s.shape != exp:
        raise RuntimeError(
            f"expected src to have a size equal to the slice of self. src size = {_shape_str(s.shape)}, slice size = "
            f"{_shape_str(exp)}"
        )
    v[..., i, j] = s
    res = make(r)
    if GRAD.enabled and (input._requires_grad or src._requires_grad):
        node = DiagonalScatterBackward0()
        node.args, node.src_shape = (offset, dim1, dim2), s.shape
        attach(res, node, (input, src))
    return res


# -- Tensor methods -------------------------------------------------------------------------

Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem
bind("copy_", copy_)
bind("fill_", fill_)
bind("zero_", zero_)
bind("index_select", index_select)
bind("gather", gather)
bind("scatter", scatter)
bind("scatter_", scatter_)
bind("scatter_add", scatter_add)
bind("scatter_add_", scatter_add_)
bind("scatter_reduce", scatter_reduce)
bind("scatter_reduce_", scatter_reduce_)
bind("index_add", index_add)
bind("index_add_", index_add_)
bind("index_copy", index_copy)
bind("index_copy_", index_copy_)
bind("index_fill", index_fill)
bind("index_fill_", index_fill_)
bind("index_put", index_put)
bind("index_put_", index_put_)
bind("masked_fill", masked_fill)
bind("masked_fill_", masked_fill_)
bind("masked_select", masked_select)
bind("masked_scatter", masked_scatter)
bind("masked_scatter_", masked_scatter_)
bind("take", take)
bind("take_along_dim", take_along_dim)
bind("put", put)
bind("put_", put_)
bind("nonzero", nonzero)
bind("argwhere", argwhere)
bind("select_scatter", select_scatter)
bind("slice_scatter", slice_scatter)
bind("diagonal_scatter", diagonal_scatter)
