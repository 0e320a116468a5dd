"""More shape and view ops: movedim narrow select unbind split chunk tensor_split h/v/dsplit diagonal
as_strided unfold unflatten atleast_nd broadcast_tensors broadcast_shapes meshgrid.

Every view goes through `view_of` (shared memory and version counter, in-place writes through views).
Backward formulas are ember ops (cat pads slices back; scatter_flat scatters strided views), so
double backward works."""

import warnings

import numpy as np

from .. import _dtype as D
from .._tensor import Size
from ._core import (
    GRAD,
    Node,
    Tensor,
    attach,
    attach_multi,
    bind,
    make,
    scalar_type_name,
    scatter_flat,
    view_of,
    wrap_dim,
    xp_of,
)
from .shape import expand, permute, reshape, unsqueeze, view

__all__ = [
    "movedim",
    "moveaxis",
    "narrow",
    "select",
    "unbind",
    "split",
    "chunk",
    "tensor_split",
    "hsplit",
    "vsplit",
    "dsplit",
    "diagonal",
    "as_strided",
    "unflatten",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "broadcast_tensors",
    "broadcast_shapes",
    "meshgrid",
]


def _ints(x):
    if isinstance(x, Tensor):
        return tuple(int(v) for v in x._data.reshape(-1).tolist())
    if isinstance(x, (int, np.integer)):
        return (int(x),)
    return tuple(int(v) for v in x)


# -- movedim -------------------------------------------------------------------------------------


def movedim(input, source, destination):
    """Matches `torch.movedim` (a permute: grad_fn PermuteBackward0)."""
    nd = input._data.ndim
    src, dst = _ints(source), _ints(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain the same number "
            f"of dims as destination ({list(dst)} dims)"
        )
    s = [wrap_dim(d, nd, "movedim") for d in src]
    t = [wrap_dim(d, nd, "movedim") for d in dst]
    if len(set(s)) != len(s):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(t)) != len(t):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    if nd == 0:
        return permute(input, ())
    order = [-1] * nd
    for a, b in zip(s, t):
        order[b] = a
    rest = iter(d for d in range(nd) if d not in s)
    order = [next(rest) if o == -1 else o for o in order]
    return permute(input, order)


moveaxis = movedim


# -- slicing views -------------------------------------------------------------------------------


def _zeros_like_dim(g, dim, n):
    shape = list(g._data.shape)
    shape[dim] = n
    return make(xp_of(g._data).zeros(tuple(shape), dtype=g._data.dtype))


def _pad_dim(g, dim, before, after):
    """g padded with `before`/`after` zeros along `dim` (differentiable: a cat)."""
    if not before and not after:
        return g
    from .joining import cat  # noqa: PLC0415

    parts = []
    if before:
        parts.append(_zeros_like_dim(g, dim, before))
    parts.append(g)
    if after:
        parts.append(_zeros_like_dim(g, dim, after))
    return cat(parts, dim)


class SliceBackward0(Node):
    def backward(self, g):
        return _pad_dim(g, self.dim, self.start, self.after)


def _slice_arr(d, dim, start, stop):
    return d[(slice(None),) * dim + (slice(start, stop),)]


def _slice(input, dim, start, stop):
    """input narrowed to [start, stop) along dim (0 <= start <= stop <= size): a view, SliceBackward0."""
    d = input._data
    out = view_of(input, _slice_arr(d, dim, start, stop), lambda b: _slice(b, dim, start, stop))
    if GRAD.enabled and input._requires_grad:
        node = SliceBackward0()
        node.dim, node.start, node.after = dim, start, d.shape[dim] - stop
        attach(out, node, (input,))
    return out


def narrow(input, dim, start, length):
    """Matches `torch.narrow` (start may be a 0-dim integer tensor)."""
    d = input._data
    if d.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    dim = wrap_dim(dim, d.ndim, "narrow")
    size = d.shape[dim]
    start = int(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    length = int(length)
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _slice(input, dim, start, start + length)


class SelectBackward0(Node):
    def backward(self, g):
        return _pad_dim(unsqueeze(g, self.dim), self.dim, self.index, self.after)


def select(input, dim, index):
    """Matches `torch.select`."""
    d = input._data
    if d.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = wrap_dim(dim, d.ndim, "select")
    size = d.shape[dim]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size [{', '.join(map(str, d.shape))}] at dimension "
            f"{dim}"
        )
    if index < 0:
        index += size
    out = view_of(input, d[(slice(None),) * dim + (index, Ellipsis)], lambda b: select(b, dim, index))
    if GRAD.enabled and input._requires_grad:
        node = SelectBackward0()
        node.dim, node.index, node.after = dim, index, size - index - 1
        attach(out, node, (input,))
    return out


def _fill_none(grads, shapes):
    ref = next(g for g in grads if g is not None)
    xp = xp_of(ref._data)
    return [g if g is not None else make(xp.zeros(sh, dtype=ref._data.dtype)) for g, sh in zip(grads, shapes)]


class UnbindBackward0(Node):
    def backward(self, *grads):
        from .joining import stack  # noqa: PLC0415

        parts = _fill_none(grads, [self.part] * len(grads))
        return stack(parts, self.dim)


def unbind(input, dim=0):
    """Matches `torch.unbind`: views, one per index along dim (UnbindBackward0)."""
    d = input._data
    if d.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    dim = wrap_dim(dim, d.ndim, "unbind")
    n = d.shape[dim]
    lead = (slice(None),) * dim
    outs = tuple(view_of(input, d[lead + (i, Ellipsis)], lambda b, i=i: select(b, dim, i)) for i in range(n))
    if GRAD.enabled and input._requires_grad and n:
        node = UnbindBackward0()
        node.dim, node.part = dim, d.shape[:dim] + d.shape[dim + 1 :]
        attach_multi(outs, node, (input,))
    return outs


class SplitBackward0(Node):
    def backward(self, *grads):
        from .joining import cat  # noqa: PLC0415

        parts = _fill_none(grads, self.shapes)
        return cat(parts, self.dim)


class SplitWithSizesBackward0(SplitBackward0):
    pass


def _split_views(input, dim, sizes, node_cls):
    d = input._data
    outs = []
    start = 0
    for s in sizes:
        stop = start + s
        outs.append(view_of(input, _slice_arr(d, dim, start, stop), lambda b, a=start, e=stop: _slice(b, dim, a, e)))
        start = stop
    outs = tuple(outs)
    if GRAD.enabled and input._requires_grad and outs:
        node = node_cls()
        node.dim = dim
        node.shapes = [o._data.shape for o in outs]
        attach_multi(outs, node, (input,))
    return outs


def _split_size(input, split_size, dim):
    d = input._data
    if d.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = wrap_dim(dim, d.ndim, "split")
    size = d.shape[dim]
    split_size = int(split_size)
    if split_size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={split_size}")
    if split_size == 0 and size != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
    n = max((size + split_size - 1) // split_size, 1) if split_size else 1
    sizes = [split_size] * n
    sizes[-1] = size - split_size * (n - 1)
    return _split_views(input, dim, sizes, SplitBackward0)


def _split_with_sizes(input, sizes, dim):
    d = input._data
    if d.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = wrap_dim(dim, d.ndim, "split_with_sizes")
    size = d.shape[dim]
    sizes = [int(s) for s in sizes]
    for s in sizes:
        if s < 0:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes={sizes}"
            )
    if sum(sizes) != size:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at dimension {dim}), "
            f"but got split_sizes={sizes}"
        )
    return _split_views(input, dim, sizes, SplitWithSizesBackward0)


def split(tensor, split_size_or_sections, dim=0):
    """Matches `torch.split`: an int gives equal chunks (the last may be smaller), a list gives those sizes."""
    if isinstance(split_size_or_sections, (int, np.integer)) or (
        isinstance(split_size_or_sections, Tensor) and split_size_or_sections._data.ndim == 0
    ):
        return _split_size(tensor, int(split_size_or_sections), dim)
    return _split_with_sizes(tensor, split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    """Matches `torch.chunk`."""
    d = input._data
    if d.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    chunks = int(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = wrap_dim(dim, d.ndim, "chunk")
    size = d.shape[dim]
    split_size = (size + chunks - 1) // chunks
    if split_size == 0 and size == 0:
        return _split_views(input, dim, [0] * chunks, SplitWithSizesBackward0)
    return _split_size(input, split_size, dim)


def _slices(input, dim, bounds):
    return tuple(_slice(input, dim, a, b) for a, b in bounds)


def tensor_split(input, indices_or_sections, dim=0):
    """Matches `torch.tensor_split` (sections: int or 0-dim tensor; indices: list or 1-dim tensor)."""
    d = input._data
    if d.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios._data.ndim > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or one-dimensional "
                f"tensor, but got a tensor with {ios._data.ndim} dims"
            )
        if ios._data.dtype != np.int64:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                f"{scalar_type_name(D.FROM_NP[ios._data.dtype])}"
            )
        ios = int(ios._data) if ios._data.ndim == 0 else [int(v) for v in ios._data.tolist()]
    dim = wrap_dim(dim, d.ndim, "tensor_split")
    size = d.shape[dim]
    if isinstance(ios, (int, np.integer)):
        n = int(ios)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        bounds = []
        start = 0
        for i in range(n):
            stop = start + q + (1 if i < r else 0)
            bounds.append((start, stop))
            start = stop
        return _slices(input, dim, bounds)
    idx = [int(v) for v in ios]
    bounds = []
    prev = 0
    for i in idx + [None]:
        a, b, _ = slice(prev, i).indices(size)
        bounds.append((a, max(a, b)))
        prev = i
    return _slices(input, dim, bounds)


def _xsplit(input, ios, dim, need, name):
    nd = input._data.ndim
    if nd < need:
        if need == 1:
            raise RuntimeError(
                f"torch.{name} requires a tensor with at least 1 dimension, but got a tensor with {nd} dimensions!"
            )
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {need} dimension, but got a tensor with {nd} dimensions!"
        )
    if isinstance(ios, (int, np.integer)):
        size = input._data.shape[dim]
        if ios == 0 or size % ios:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension {size} is not "
                f"divisible by the split_size {ios}!"
            )
    return tensor_split(input, ios, dim)


def hsplit(input, indices_or_sections):
    """Matches `torch.hsplit`."""
    return _xsplit(input, indices_or_sections, 0 if input._data.ndim == 1 else 1, 1, "hsplit")


def vsplit(input, indices_or_sections):
    """Matches `torch.vsplit`."""
    return _xsplit(input, indices_or_sections, 0, 2, "vsplit")


def dsplit(input, indices_or_sections):
    """Matches `torch.dsplit`."""
    return _xsplit(input, indices_or_sections, 2, 3, "dsplit")


# -- strided views -------------------------------------------------------------------------------


def _strided(d, shape, strides):
    """A writable strided view of array d (strides in bytes, starting at d's first element)."""
    return xp_of(d).lib.stride_tricks.as_strided(d, shape=shape, strides=strides)


def diag_view_arr(d, offset, d1, d2):
    """The diagonal of array d along dims d1, d2 (wrapped, distinct), appended last: a view, writable when d is."""
    v = d.diagonal(offset, d1, d2)
    if type(v) is np.ndarray and d.flags.writeable and not v.flags.writeable:
        v.flags.writeable = True
    return v


def _index_map(shape, fn):
    """fn applied to arange(numel).reshape(shape): the flat input index of every output element."""
    n = 1
    for s in shape:
        n *= s
    return np.ascontiguousarray(fn(np.arange(n, dtype=np.int64).reshape(shape)))


class DiagonalBackward0(Node):
    def backward(self, g):
        shape, offset, d1, d2 = self.shape, self.offset, self.d1, self.d2
        vidx = _index_map(shape, lambda a: diag_view_arr(a, offset, d1, d2))
        return scatter_flat(g, vidx, shape)


def _diag_args(nd, offset, dim1, dim2):
    d1 = wrap_dim(dim1, nd, "diagonal")
    d2 = wrap_dim(dim2, nd, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return int(offset), d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1):
    """Matches `torch.diagonal`: a writable view."""
    d = input._data
    offset, d1, d2 = _diag_args(d.ndim, offset, dim1, dim2)
    out = view_of(input, diag_view_arr(d, offset, d1, d2), lambda b: diagonal(b, offset, d1, d2))
    if GRAD.enabled and input._requires_grad:
        node = DiagonalBackward0()
        node.shape, node.offset, node.d1, node.d2 = d.shape, offset, d1, d2
        attach(out, node, (input,))
    return out


def _storage(t):
    """(flat storage array, element strides of t, storage offset of t) in torch's storage model."""
    d = t._data
    root = t._base._data if t._base is not None else d
    isz = d.itemsize
    if root.flags.c_contiguous:
        flat = root.reshape(-1)
        return flat, tuple(s // isz for s in d.strides), t.storage_offset()
    flat = d.reshape(-1)  # not a dense root: the tensor's own elements, in order, stand for its storage
    st, acc = [], 1
    for s in reversed(d.shape):
        st.append(acc)
        acc *= s
    return flat, tuple(reversed(st)), 0


class AsStridedBackward0(Node):
    def backward(self, g):
        n = self.storage_size
        store = np.arange(n + 1, dtype=np.int64)
        in_off, in_st = self.in_geom
        pos_in = _strided(store[in_off:], self.in_shape, tuple(s * 8 for s in in_st))
        numel = pos_in.size
        m = np.full(n + 1, numel, dtype=np.int64)
        m[pos_in.reshape(-1)] = np.arange(numel, dtype=np.int64)
        vidx = m[_strided(store[self.offset :], self.size, self.stride8)]
        if (vidx < numel).all():
            return scatter_flat(g, vidx, self.in_shape)
        full = scatter_flat(g, vidx, (numel + 1,))  # storage elements outside the input are dropped
        return reshape(_slice(full, 0, 0, numel), self.in_shape)


def as_strided(input, size, stride, storage_offset=None):
    """Matches `torch.as_strided`: a view of input's storage (offset relative to the storage start)."""
    size = tuple(int(s) for s in size)
    stride = tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    for s in stride:
        if s < 0:
            raise RuntimeError(
                f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}"
            )
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    flat, in_strides, in_off = _storage(input)
    off = in_off if storage_offset is None else int(storage_offset)
    if off < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {off}")
    isz = flat.itemsize
    numel = 1
    for s in size:
        numel *= s
    need = off + (1 + sum((s - 1) * st for s, st in zip(size, stride)) if numel else 0)
    if need > flat.size:
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {off}, and itemsize {isz} "
            f"requiring a storage size of {need * isz} are out of bounds for storage of size {flat.size * isz}"
        )
    start = flat[off:] if off < flat.size else flat[flat.size :]
    r = _strided(start, size, tuple(s * isz for s in stride))
    out = view_of(input, r, lambda b: as_strided(b, size, stride, off))
    if GRAD.enabled and input._requires_grad:
        node = AsStridedBackward0()
        node.storage_size = flat.size
        node.in_shape = input._data.shape
        node.in_geom = (in_off, in_strides)
        node.size, node.stride8, node.offset = size, tuple(s * 8 for s in stride), off
        attach(out, node, (input,))
    return out


def _unfold_arr(d, dim, size, step):
    if d.ndim == 0:
        return _strided(d, (size,), (d.itemsize,))
    n = (d.shape[dim] - size) // step + 1
    st = d.strides[dim]
    shape = d.shape[:dim] + (n,) + d.shape[dim + 1 :] + (size,)
    strides = d.strides[:dim] + (st * step,) + d.strides[dim + 1 :] + (st,)
    return _strided(d, shape, strides)


class UnfoldBackward0(Node):
    def backward(self, g):
        shape, dim, size, step = self.shape, self.dim, self.size, self.step
        vidx = _index_map(shape, lambda a: _unfold_arr(a, dim, size, step))
        return scatter_flat(g, vidx, shape)


def unfold(input, dimension, size, step):
    """Matches `torch.Tensor.unfold`: all slices of `size` along `dimension`, every `step` (a view)."""
    d = input._data
    dim = wrap_dim(dimension, d.ndim, "unfold")
    max_size = d.shape[dim] if d.ndim else 1
    size, step = int(size), int(step)
    if size > max_size:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {max_size} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    out = view_of(input, _unfold_arr(d, dim, size, step), lambda b: unfold(b, dim, size, step))
    if GRAD.enabled and input._requires_grad:
        node = UnfoldBackward0()
        node.shape, node.dim, node.size, node.step = d.shape, dim, size, step
        attach(out, node, (input,))
    return out


def unflatten(input, dim, sizes):
    """Matches `torch.unflatten` (one size may be -1)."""
    d = input._data
    dim = wrap_dim(dim, d.ndim, "unflatten")
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = d.shape[dim] if d.ndim else 1
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    ok = (n % known == 0) if (-1 in sizes and known) else (known == n or (-1 in sizes and n == 0))
    if not ok:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} ({n}) in the input "
            "tensor"
        )
    if -1 in sizes:
        sizes = tuple((n // known if known else 0) if s == -1 else s for s in sizes)
    if d.ndim == 0:
        return view(input, sizes)
    return view(input, d.shape[:dim] + sizes + d.shape[dim + 1 :])


# -- atleast_nd, broadcasting, meshgrid ----------------------------------------------------------


def _seq_or_one(tensors, fn):
    if len(tensors) == 1:
        t = tensors[0]
        if isinstance(t, Tensor):
            return fn(t)
        return tuple(fn(x) for x in t)
    return tuple(fn(x) for x in tensors)


def _a1(t):
    return reshape(t, (1,)) if t._data.ndim == 0 else t


def _a2(t):
    nd = t._data.ndim
    if nd == 0:
        return reshape(t, (1, 1))
    return unsqueeze(t, 0) if nd == 1 else t


def _a3(t):
    nd = t._data.ndim
    if nd == 0:
        return reshape(t, (1, 1, 1))
    if nd == 1:
        return unsqueeze(unsqueeze(t, 0), -1)
    return unsqueeze(t, -1) if nd == 2 else t


def atleast_1d(*tensors):
    """Matches `torch.atleast_1d`."""
    return _seq_or_one(tensors, _a1)


def atleast_2d(*tensors):
    """Matches `torch.atleast_2d`."""
    return _seq_or_one(tensors, _a2)


def atleast_3d(*tensors):
    """Matches `torch.atleast_3d`."""
    return _seq_or_one(tensors, _a3)


def broadcast_shapes(*shapes):
    """Matches `torch.broadcast_shapes`."""
    shapes = [(int(s),) if isinstance(s, (int, np.integer)) else tuple(int(x) for x in s) for s in shapes]
    nd = max((len(s) for s in shapes), default=0)
    res = [1] * nd
    for s in shapes:
        for k in range(1, len(s) + 1):
            v = s[-k]
            if v < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {v}: {list(s)}")
            if res[-k] == 1:
                res[-k] = v
    for i, s in enumerate(shapes):
        for k in range(1, len(s) + 1):
            if s[-k] != 1 and s[-k] != res[-k]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {s[-k]} at {-k}! Mismatching argument at index "
                    f"{i} had {tuple(s)}; but expected shape should be broadcastable to {res}"
                )
    return Size(res)


def _broadcast_shape_of(tensors):
    nd = max(t._data.ndim for t in tensors)
    res = [1] * nd
    for t in tensors:
        sh = t._data.shape
        for k in range(1, len(sh) + 1):
            v = sh[-k]
            if v != 1:
                if res[-k] != 1 and res[-k] != v:
                    raise RuntimeError(
                        f"The size of tensor a ({res[-k]}) must match the size of tensor b ({v}) at non-singleton "
                        f"dimension {nd - k}"
                    )
                res[-k] = v
    return tuple(res)


def broadcast_tensors(*tensors):
    """Matches `torch.broadcast_tensors`: expanded views (inputs already of the shape are returned as is)."""
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        tensors = tuple(tensors[0])
    if not tensors:
        return ()
    shape = _broadcast_shape_of(tensors)
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)


def meshgrid(*tensors, indexing=None):
    """Matches `torch.meshgrid` (indexing 'ij', the default with a warning, or 'xy')."""
    if len(tensors) == 1 and not isinstance(tensors[0], Tensor):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    dt = tensors[0]._data.dtype
    for t in tensors[1:]:
        if t._data.dtype != dt:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    n = len(tensors)
    pos = list(range(n))
    if indexing == "xy" and n >= 2:
        pos[0], pos[1] = 1, 0
    shape = [0] * n
    for i, t in enumerate(tensors):
        shape[pos[i]] = t._data.size
    shape = tuple(shape)
    outs = []
    for i, t in enumerate(tensors):
        vs = [1] * n
        vs[pos[i]] = -1
        outs.append(expand(reshape(t, tuple(vs)), shape))
    return tuple(outs)


bind(("movedim", "moveaxis"), movedim)
bind("narrow", narrow)
bind("select", select)
bind("unbind", unbind)
bind("split", lambda self, split_size, dim=0: split(self, split_size, dim))
bind("chunk", chunk)
bind("tensor_split", tensor_split)
bind("hsplit", hsplit)
bind("vsplit", vsplit)
bind("dsplit", dsplit)
bind("diagonal", diagonal)
bind("as_strided", as_strided)
bind("unfold", unfold)
bind("unflatten", unflatten)
