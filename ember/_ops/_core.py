"""The machinery every op uses: argument coercion, dtype promotion, attaching graph nodes,
in-place writes (with version counters and CopySlices for views) and views.

An op in a family file looks like:

    class MulBackward0(Node):
        def backward(self, g):
            a, b = self.saved
            return (g * b if self.needs(0) else None, g * a if self.needs(1) else None)

    def mul(input, other):
        a, b = binary_arrays(input, other, "mul")
        out = make(arr(np.multiply(a, b)))
        if GRAD.enabled and (requires_grad(input) or requires_grad(other)):
            node = MulBackward0(); node.save(...); attach(out, node, (input, other))
        return out
"""

import numpy as np

from .. import _dtype as D
from .. import _tensor as _tensor_module
from .._backend import xp_of
from .._tensor import Tensor, _Extra, _extra, _vc_of, edge, make
from ..autograd.grad_mode import GRAD
from ..autograd.graph import Node, new_node, user_frame

__all__ = [
    "Tensor",
    "Node",
    "new_node",
    "GRAD",
    "make",
    "arr",
    "attach",
    "attach_multi",
    "binary_arrays",
    "requires_grad",
    "inplace",
    "view_of",
    "check_same_device",
    "wrap_dim",
    "wrap_dims",
    "scalar_type_name",
    "xp_of",
    "np",
    "D",
    "bind",
    "quiet",
    "quiet_float_fn",
]

_ndarray = np.ndarray
_generic = np.generic


try:  # NumPy 2 keeps its floating-point error state in a context variable: setting it is cheap
    from numpy._core import _ufunc_config as _ufc

    _IGNORE = _ufc._make_extobj(all="ignore")
    _EXTOBJ = _ufc._extobj_contextvar

    def quiet(fn, *args):
        """fn(*args) with NumPy's floating-point warnings off (torch never warns on inf/nan)."""
        token = _EXTOBJ.set(_IGNORE)
        try:
            return fn(*args)
        finally:
            _EXTOBJ.reset(token)

    def quiet_float_fn(fn, other):
        """A function of one array: fn(d) quietly for float32/float64 arrays (one frame), other(d) otherwise."""
        set_, reset = _EXTOBJ.set, _EXTOBJ.reset
        f32, f64 = np.dtype(np.float32), np.dtype(np.float64)

        def compute(d):
            dt = d.dtype
            if dt is f32 or dt is f64:
                token = set_(_IGNORE)
                try:
                    r = fn(d)
                finally:
                    reset(token)
                return r if r.__class__ is _ndarray else arr(r)
            return other(d)

        return compute

except (ImportError, AttributeError):  # pragma: no cover - other NumPy layouts

    def quiet(fn, *args):
        with np.errstate(all="ignore"):
            return fn(*args)

    def quiet_float_fn(fn, other):
        return other


def arr(r):
    """Ufuncs return NumPy scalars for 0-d inputs; tensors always hold arrays."""
    if type(r) is _ndarray:
        return r
    if isinstance(r, _generic):
        return np.asarray(r)
    return r


def requires_grad(t):
    return type(t) is not int and type(t) is not float and getattr(t, "_requires_grad", False)


Node.needs = lambda self, i: self.next_functions[i][0] is not None


def _save_inputs(self, a, b, ra, rb):
    """Default for binary ops: save both tensor operands (nodes override to save less)."""
    self.save(a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None)


Node.save_inputs = _save_inputs


def attach(out, node, inputs):
    """Record `node` as the history of `out`, with one edge per entry of `inputs` (non-tensors: no edge)."""
    nf = []
    meta = []
    for t in inputs:
        if isinstance(t, Tensor) and t._requires_grad:
            nf.append(edge(t))
            d = t._data
            meta.append((d.shape, d.dtype))
        else:
            nf.append((None, 0))
            meta.append(None)
    node.next_functions = tuple(nf)
    node._in_meta = tuple(meta)
    out._grad_fn = node
    out._requires_grad = True
    return out


def attach1(out, node, t):
    """attach for one tensor input that requires grad (the common unary case)."""
    node.next_functions = (edge(t),)
    d = t._data
    node._in_meta = ((d.shape, d.dtype),)
    out._grad_fn = node
    out._requires_grad = True
    return out


def attach2(out, node, a, ra, b, rb):
    """attach for two operands, given whether each is a tensor that requires grad."""
    if ra:
        da = a._data
        ea, ma = edge(a), (da.shape, da.dtype)
    else:
        ea, ma = _NO_EDGE, None
    if rb:
        db = b._data
        eb, mb = edge(b), (db.shape, db.dtype)
    else:
        eb, mb = _NO_EDGE, None
    node.next_functions = (ea, eb)
    node._in_meta = (ma, mb)
    out._grad_fn = node
    out._requires_grad = True
    return out


_NO_EDGE = (None, 0)


def attach_multi(outs, node, inputs, differentiable=None):
    """Like attach for ops with several outputs; `differentiable` masks outputs that get history."""
    attach(outs[0], node, inputs)
    node._n_out = len(outs)
    for i, o in enumerate(outs):
        if o is None or (differentiable is not None and not differentiable[i]):
            continue
        o._grad_fn = node
        o._requires_grad = True
        o._output_nr = i
    return outs


_TORCH_SCALAR_NAMES = {
    "bool": "Bool",
    "uint8": "Byte",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "float16": "Half",
    "bfloat16": "BFloat16",
    "float32": "Float",
    "float64": "Double",
    "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}


def scalar_type_name(dt):
    return _TORCH_SCALAR_NAMES[dt.name]


def describe(x):
    if isinstance(x, Tensor):
        return f"Tensor(shape={list(x._data.shape)}, dtype={x.dtype}, device={x.device})"
    return f"{type(x).__name__}({x!r})"


def check_same_device(opname, *tensors):
    first = None
    for t in tensors:
        if not isinstance(t, Tensor):
            continue
        if first is None:
            first = t
        elif type(t._data) is not type(first._data) or (
            type(t._data) is not _ndarray and t._data.device.id != first._data.device.id
        ):
            if (
                t._data.ndim == 0
                and type(t._data) is _ndarray
                or first._data.ndim == 0
                and type(first._data) is _ndarray
            ):
                continue
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two devices, "
                f"{first.device} and {t.device}! ({opname}: {describe(first)}, {describe(t)})"
            )


_PY_SCALARS = (int, float, bool, complex)


def _fit_scalar(s, npdt):
    """A Python int that does not fit an integer dtype wraps around, as in torch."""
    if type(s) is int and npdt.kind in "iu":
        info = np.iinfo(npdt)
        if not info.min <= s <= info.max:
            return np.array(s).astype(npdt)[()]
    return s


def binary_arrays(a, b, opname, dtype=None):
    """The two operands as arrays (or weak Python scalars) of their promoted dtype."""
    if isinstance(a, Tensor):
        da = a._data
        if isinstance(b, Tensor):
            db = b._data
            if da.dtype is db.dtype and dtype is None:
                if type(da) is not type(db):
                    da, db = _mixed_devices(a, b, opname)
                return da, db
            dt = (dtype or D.result_type_of((a, b))).np
            if type(da) is not type(db):
                da, db = _mixed_devices(a, b, opname)
            return (da if da.dtype is dt else da.astype(dt)), (db if db.dtype is dt else db.astype(dt))
        tb = type(b)
        if tb is float and dtype is None and da.dtype.kind in "fc" and da.dtype.kind != "V":
            return da, b  # the common case: a float tensor and a Python float (weak scalar)
        if tb in _PY_SCALARS or isinstance(b, _generic):
            if dtype is None:
                cat = D._scalar_cat(b)
                if cat <= D.FROM_NP[da.dtype]._cat:
                    if da.dtype.kind == "V":  # bfloat16 takes no weak Python scalars
                        return da, np.array(b).astype(da.dtype)[()]
                    return da, _fit_scalar(b, da.dtype) if type(b) is int else b
                dt = D.promote_with_scalar_cat(D.FROM_NP[da.dtype], cat).np
            else:
                dt = dtype.np
            return (da if da.dtype is dt else da.astype(dt)), _scalar_as(b, dt)
        raise TypeError(f"{opname}(): unsupported operand type(s): 'Tensor' and '{type(b).__name__}'")
    if isinstance(b, Tensor):
        y, x = binary_arrays(b, a, opname, dtype)
        return x, y
    raise TypeError(f"{opname}(): expected at least one Tensor argument, got {type(a).__name__} and {type(b).__name__}")


def _scalar_as(s, npdt):
    if npdt.kind in "iub" and isinstance(s, (float, complex)):
        return s  # promotion said so; never reached for valid promotions
    return npdt.type(_fit_scalar(s, npdt)) if npdt.kind != "V" else np.array(s).astype(npdt)[()]


def _mixed_devices(a, b, opname):
    da, db = a._data, b._data
    if da.ndim == 0 and type(da) is _ndarray:
        return xp_of(db).asarray(da), db
    if db.ndim == 0 and type(db) is _ndarray:
        return da, xp_of(da).asarray(db)
    check_same_device(opname, a, b)
    return da, db


def wrap_dim(dim, ndim, opname="op"):
    n = ndim if ndim > 0 else 1
    if type(dim) is not int:
        dim = int(dim)
    if not -n <= dim < n:
        raise IndexError(
            f"{opname}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim + n if dim < 0 else dim


def wrap_dims(dims, ndim, opname="op"):
    """Normalise an int / tuple / list / None of dims to a sorted tuple (None: all dims)."""
    if dims is None:
        return tuple(range(ndim))
    if isinstance(dims, int):
        dims = (dims,)
    out = tuple(sorted(wrap_dim(d, ndim, opname) for d in dims))
    if len(set(out)) != len(out):
        raise RuntimeError(f"{opname}: dim {out} appears multiple times in the list of dims")
    return out


# -- in-place writes ------------------------------------------------------------------------


def check_inplace(self, opname):
    """torch's checks before an in-place write on `self` under grad mode."""
    if GRAD.enabled and self._requires_grad:
        if self._base is None and self._grad_fn is None:
            raise RuntimeError(f"a leaf Variable that requires grad is being used in an in-place operation. ({opname})")
        base = self._base
        if base is not None and base._grad_fn is None and base._requires_grad:
            raise RuntimeError(
                f"a view of a leaf Variable that requires grad is being used in an in-place operation. ({opname})"
            )


def inplace(self, result, node, inputs, opname):
    """Write array `result` into `self`; `node` (or None) is the backward of the out-of-place op whose
    first input is `self`. Bumps the version counter and rebases history (CopySlices for views)."""
    data = self._data
    rdt = result.dtype
    if rdt is not data.dtype:
        src, dst = D.FROM_NP[rdt], D.FROM_NP[data.dtype]
        if src._cat > dst._cat:
            raise RuntimeError(
                f"result type {scalar_type_name(src)} can't be cast to the desired output type {scalar_type_name(dst)}"
            )
    if result.shape != data.shape:
        try:
            bshape = np.broadcast_shapes(result.shape, data.shape)
        except ValueError:
            bshape = None
        if bshape != data.shape:
            raise RuntimeError(
                f"{opname}: output with shape [{', '.join(map(str, data.shape))}] doesn't match the broadcast "
                f"shape [{', '.join(map(str, bshape or result.shape))}]"
            )
    if node is not None:
        check_inplace(self, opname)
        saved = node._saved
        if saved and any(s is not None and s[0] is self for s in saved):
            # the op saved the old value of self: keep a copy, with self's old history, as torch does
            old = make(data.copy())
            if self._requires_grad:
                old._requires_grad = True
                old._grad_fn = self.grad_fn
                old._output_nr = self._output_nr
            node._saved = tuple((old, 0) if s is not None and s[0] is self else s for s in saved)
    if type(data) is _ndarray and not data.flags.writeable:
        raise RuntimeError(f"{opname}: cannot write into a read-only tensor")
    xp_of(data).copyto(data, result, casting="unsafe")
    vc = _vc_of(self)
    vc.v += 1
    vc.where = user_frame()
    if node is not None:
        rebase(self, node, inputs)
    return self


def rebase(self, node, inputs):
    """Make `node` the history of `self` after an in-place op."""
    base = self._base
    if base is None:
        attach(self, node, inputs)
        self._output_nr = 0
        return
    attach(make(self._data), node, inputs)  # edges of the view op, computed before any change
    cs = CopySlices(node, base, _extra(self).view_fn)
    attach(base, cs, (base,))
    cs.next_functions = cs.next_functions + node.next_functions[1:]
    cs._in_meta = cs._in_meta + node._in_meta[1:]
    base._output_nr = 0
    self._requires_grad = True
    _extra(self).view_ver = -1  # regenerate the view's grad_fn from the new base history


def view_index(base, view_fn):
    """Indices into base.flatten() of each element of the view replayed by `view_fn`."""
    from .. import _ops as O  # noqa: PLC0415

    prev = GRAD.enabled
    GRAD.enabled = False
    try:
        idx = make(O.np.arange(base._data.size, dtype=np.int64).reshape(base._data.shape))
        return view_fn(idx)._data
    finally:
        GRAD.enabled = prev


class TakeFlatBackward(Node):
    def __init__(self, vidx, shape):
        Node.__init__(self)
        self.vidx, self.shape = vidx, shape

    def backward(self, g):
        return scatter_flat(g, self.vidx, self.shape)


class ScatterFlatBackward(Node):
    def __init__(self, vidx):
        Node.__init__(self)
        self.vidx = vidx

    def backward(self, g):
        return take_flat(g, self.vidx)


def take_flat(t, vidx):
    """t.flatten()[vidx], differentiable."""
    out = make(arr(t._data.reshape(-1)[vidx]))
    if GRAD.enabled and t._requires_grad:
        attach(out, TakeFlatBackward(vidx, t._data.shape), (t,))
    return out


def scatter_flat(g, vidx, shape):
    """zeros(shape) with g added at flat positions vidx (overlaps add up), differentiable."""
    d = g._data
    xp = xp_of(d)
    size = 1
    for s in shape:
        size *= s
    flat = xp.zeros(size, dtype=d.dtype)
    xp.add.at(flat, vidx.reshape(-1), d.reshape(-1))
    out = make(flat.reshape(shape))
    if GRAD.enabled and g._requires_grad:
        attach(out, ScatterFlatBackward(vidx), (g,))
    return out


class AsStridedBackward0(Node):
    """History of a view whose base was modified in place: scatter the view's grad into the base."""

    def __init__(self, vidx, base_shape):
        Node.__init__(self)
        self.vidx, self.base_shape = vidx, base_shape

    def backward(self, g):
        return scatter_flat(g, self.vidx, self.base_shape)


class CopySlices(Node):
    """History of a base after an in-place op on one of its views."""

    def __init__(self, fn, base, view_fn):
        Node.__init__(self)
        self.fn = fn
        self.vidx = view_index(base, view_fn)
        self.base_shape = base._data.shape

    def backward(self, g):
        vidx = self.vidx
        gv = take_flat(g, vidx)
        res = self.fn.backward(gv)
        if not isinstance(res, tuple):
            res = (res,)
        mask = np.ones(g._data.size, dtype=bool)
        mask[vidx.reshape(-1)] = False
        keep = make(xp_of(g._data).asarray(mask.reshape(self.base_shape).astype(g._data.dtype)))
        gb = g * keep
        r0 = res[0]
        if r0 is not None:
            if r0._data.shape != gv._data.shape:
                from .shape import broadcast_to  # noqa: PLC0415

                r0 = broadcast_to(r0, gv._data.shape)
            gb = gb + scatter_flat(r0, vidx, self.base_shape)
        return (gb,) + tuple(res[1:])

    def _release_extra(self):
        self.fn._release()


def refresh_view_grad_fn(view):
    """A view's grad_fn, regenerated when its base was modified in place since it was computed."""
    x = view._x
    base = view._base
    if x is None or not base._requires_grad:
        return view._grad_fn
    ver = view._vc.v if view._vc is not None else 0
    if x.view_ver != ver:
        node = AsStridedBackward0(view_index(base, x.view_fn), base._data.shape)
        attach(view, node, (base,))
        view._output_nr = 0
        x.view_ver = ver
    return view._grad_fn


_tensor_module._refresh_view = refresh_view_grad_fn


def view_of(src, data, replay):
    """A tensor on `data`, a view of `src`'s memory, sharing its version counter.

    `replay(t)` redoes this view op on another tensor of src's shape; CopySlices uses it to find the
    view's elements in the base when the view is modified in place.
    """
    out = make(data)
    out._vc = _vc_of(src)
    x = out._x = _Extra()
    if src._base is None:
        out._base = src
        x.view_fn = replay
    else:
        out._base = src._base
        prev = src._x.view_fn
        x.view_fn = lambda b: replay(prev(b))
    x.view_ver = out._vc.v
    return out


def bind(names, fn):
    """Bind `fn` as a Tensor method under each name."""
    if isinstance(names, str):
        names = (names,)
    for n in names:
        setattr(Tensor, n, fn)
