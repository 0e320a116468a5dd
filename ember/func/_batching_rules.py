"""Batching rules for vmap (see _vmap.py). A rule gets (level, orig, name, args, kwargs), works on the
values (batch dim in front) of the arguments batched at `level`, calls ops through `dispatch`/`call`
(so outer levels batch recursively) and wraps the results again. NotImplemented means: use the
per-example fallback loop."""

import operator
import warnings

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ._vmap import (
    INPLACE_MSG,
    LEVELS,
    RANDOM_OPS,
    RULES,
    BatchedTensor,
    call,
    dispatch,
    fallback,
    is_inplace,
    level_size,
    wrap,
)


def _at(x, lvl):
    return type(x) is BatchedTensor and x._level == lvl


def _any_at(xs, lvl):
    for x in xs:
        if _at(x, lvl):
            return True
        if type(x) in (list, tuple) and any(_at(e, lvl) for e in x):
            return True
    return False


def _map_out(r, fn):
    if isinstance(r, Tensor):
        return fn(r)
    if isinstance(r, (tuple, list)):
        parts = [_map_out(e, fn) for e in r]
        if hasattr(type(r), "_fields"):
            return type(r)(*parts)
        return type(r)(parts)
    return r


def _wrap_out(r, lvl):
    return _map_out(r, lambda t: wrap(t, lvl))


def _pad(v, k):
    """Insert k size-1 dims right after the batch dim of value v."""
    for _ in range(k):
        v = v.unsqueeze(1)
    return v


def _wrapd(d, n):
    m = n if n > 0 else 1
    d = operator.index(d)
    if not -m <= d < m:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-m}, {m - 1}], but got {d})")
    return d % m


def _shift(d, n):
    if isinstance(d, (tuple, list)):
        return tuple(_wrapd(x, n) + 1 for x in d)
    return _wrapd(d, n) + 1


def _get(args, kwargs, pos, kw, default):
    if kw is not None and kw in kwargs:
        return kwargs[kw], "kw"
    if pos is not None and len(args) > pos:
        return args[pos], "pos"
    return default, None


def _put(args, kwargs, pos, kw, where, val):
    if where == "pos":
        args[pos] = val
    else:
        kwargs[kw] = val


def _reg(names, rule):
    for n in names.split() if isinstance(names, str) else names:
        RULES[n] = rule


# -- pointwise -----------------------------------------------------------------------------------


class _Stand:
    """Stands in for a tensor of some dtype and rank in D.result_type_of."""

    __slots__ = ("_data",)

    def __init__(self, dtype, ndim):
        self._data = np.empty((1,) * min(ndim, 1), dtype=dtype.np) if dtype.np.kind != "V" else None


def _logical_result_type(args, kwargs):
    items = []
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, Tensor):
            s = _Stand(a.dtype, a.dim())
            if s._data is None:
                return None
            items.append(s)
        elif type(a) in (int, float, bool, complex):
            items.append(a)
    try:
        return D.result_type_of(items)
    except Exception:  # noqa: BLE001 - promotion errors are the op's to raise
        return None


def broadcast_rule(lvl, orig, name, args, kwargs):
    """Ops whose tensor arguments broadcast together: align each batched value's logical rank."""
    inplace = is_inplace(name)
    if inplace and not _at(args[0], lvl):
        raise RuntimeError(INPLACE_MSG.format(name=name))
    n = 0
    zero_dim = False
    ntens = 0
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, Tensor):
            ntens += 1
            d = a.dim()
            if d > n:
                n = d
            if d == 0 and _at(a, lvl):
                zero_dim = True
        elif type(a) in (list, tuple) and _any_at(a, lvl):
            return NotImplemented
    rt = _logical_result_type(args, kwargs) if zero_dim and ntens > 1 and not inplace else None

    def conv(a):
        if _at(a, lvl):
            v = a._value
            k = n - a.dim()
            if k:
                v = _pad(v, k)
            if rt is not None and a.dim() == 0 and v.dtype != rt and v.dtype._cat == rt._cat:
                v = v.to(rt)
            return v
        return a

    a2 = tuple(conv(a) for a in args)
    k2 = {k: conv(v) for k, v in kwargs.items()} if kwargs else {}
    r = dispatch(name, orig, a2, k2)
    if inplace:
        return args[0]
    return _wrap_out(r, lvl)


def native_rule(lvl, orig, name, args, kwargs):
    """Ops that act on trailing dims only: run on the value of the first argument as is."""
    a0 = args[0]
    if not _at(a0, lvl) or _any_at(args[1:], lvl) or (kwargs and _any_at(kwargs.values(), lvl)):
        if is_inplace(name) and not _at(a0, lvl):
            raise RuntimeError(INPLACE_MSG.format(name=name))
        return NotImplemented
    r = dispatch(name, orig, (a0._value,) + tuple(args[1:]), kwargs)
    if is_inplace(name):
        return a0
    return _wrap_out(r, lvl)


_BINARY = """
add sub subtract mul multiply div divide true_divide floor_divide remainder fmod pow float_power maximum minimum fmax
fmin atan2 arctan2 hypot copysign xlogy logaddexp logaddexp2 heaviside nextafter ldexp
eq ne lt le gt ge equal greater greater_equal less less_equal not_equal isclose
logical_and logical_or logical_xor bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift
where clamp clip clamp_min clamp_max lerp addcmul addcdiv masked_fill rsub
__add__ __radd__ __iadd__ __sub__ __rsub__ __isub__ __mul__ __rmul__ __imul__ __truediv__ __rtruediv__
__itruediv__ __div__ __rdiv__ __idiv__ __floordiv__ __rfloordiv__ __ifloordiv__ __mod__ __rmod__ __imod__ __pow__
__rpow__ __ipow__ __and__ __rand__ __iand__ __or__ __ror__ __ior__ __xor__ __rxor__ __ixor__ __lshift__
__rlshift__ __ilshift__ __rshift__ __rrshift__ __irshift__ __eq__ __ne__ __lt__ __le__ __gt__ __ge__
""".split()

_UNARY = """
abs absolute neg negative positive exp exp2 expm1 log log1p log2 log10 sqrt rsqrt square sin cos tan asin acos atan
arcsin arccos arctan sinh cosh tanh asinh acosh atanh arcsinh arccosh arctanh sigmoid logit erf erfc erfinv sign sgn
signbit floor ceil round trunc fix frac reciprocal isnan isinf isfinite isposinf isneginf isreal nan_to_num i0 sinc
lgamma digamma mvlgamma logical_not bitwise_not angle conj conj_physical resolve_conj resolve_neg deg2rad rad2deg
relu relu6 gelu silu mish softplus softsign elu selu celu leaky_relu hardtanh hardswish hardsigmoid hardshrink
softshrink tanhshrink threshold logsigmoid rrelu glu_ expit
float double half bfloat16 int long short bool byte char cfloat cdouble to type_as contiguous clone detach
zeros_like ones_like empty_like full_like zero_ fill_ real imag view_as_real view_as_complex
tril triu pad layer_norm rms_norm embedding one_hot mT mH adjoint
__neg__ __pos__ __abs__ __invert__
""".split()


def _unary_names():
    names = []
    for n in _UNARY:
        names.append(n)
        if not n.endswith("_") and not n.startswith("__"):
            names.append(n + "_")
    return names


def _binary_names():
    names = []
    for n in _BINARY:
        names.append(n)
        if not n.startswith("__"):
            names.append(n + "_")
    return names


_reg(_binary_names(), broadcast_rule)
_reg(_unary_names(), native_rule)
# polygamma(n, input): the tensor is the second argument
RULES["polygamma"] = lambda lvl, orig, name, args, kwargs: (
    wrap(dispatch(name, orig, (args[0], args[1]._value), kwargs), lvl)
    if len(args) > 1 and _at(args[1], lvl)
    else NotImplemented
)


# -- dims ----------------------------------------------------------------------------------------


def _softmax_dim(n):
    warnings.warn(
        "Implicit dimension choice for softmax has been deprecated. Change the call to include dim=X as an argument.",
        UserWarning,
        stacklevel=5,
    )
    return 0 if n in (0, 1, 3) else 1


def dim_rule(pos, kw, default=None, mode="plain"):
    """Rule for an op with one dim argument (an int, or a tuple for reductions) at `pos` / keyword `kw`.

    mode: "red" (None: all dims), "flat" (None: over the flattened tensor), "new" (the dim may be one past
    the end: unsqueeze), "squeeze", "softmax" (None: torch's implicit softmax dim), "plain"."""

    def rule(lvl, orig, name, args, kwargs):
        x = args[0]
        if not _at(x, lvl) or _any_at(args[1:], lvl) or (kwargs and _any_at(kwargs.values(), lvl)):
            if is_inplace(name) and not _at(x, lvl):
                raise RuntimeError(INPLACE_MSG.format(name=name))
            return NotImplemented
        if name in ("max", "min") and (
            (len(args) > 1 and isinstance(args[1], Tensor)) or isinstance(kwargs.get("other"), Tensor)
        ):
            return broadcast_rule(lvl, orig, name, args, kwargs)
        n = x.dim()
        v = x._value
        args = list(args)
        kwargs = dict(kwargs)
        d, where = _get(args, kwargs, pos, kw, default)
        if mode == "red" and where == "pos" and isinstance(d, bool):  # std(x, unbiased)
            d, where = None, None
        if where is None:
            where = "kw"
        if mode == "red" and isinstance(d, (tuple, list)) and len(d) == 0:
            d = None
        if d is None:
            if mode == "red":
                d = tuple(range(n)) if n else (0,)
            elif mode == "flat":
                B = v.shape[0]
                keep = kwargs.pop("keepdim", False) if "keepdim" in kwargs else False
                if len(args) > pos + 1 and isinstance(args[pos + 1], bool):
                    keep = args.pop(pos + 1)
                v = v.reshape(B, x.numel())
                if where == "pos":
                    args[pos] = 1
                else:
                    kwargs[kw] = 1
                args[0] = v
                r = dispatch(name, orig, tuple(args), kwargs)
                if isinstance(r, tuple):  # max/min/median without dim return the values only
                    r = r[0]
                if keep:
                    r = r.reshape((B,) + (1,) * n)
                return wrap(r, lvl)
            elif mode == "squeeze":
                shape = tuple(x.shape)
                r = v.reshape((v.shape[0],) + tuple(s for s in shape if s != 1))
                return wrap(r, lvl)
            elif mode == "softmax":
                d = _softmax_dim(n)
            else:
                return NotImplemented
        if n == 0 and mode != "new":
            # a 0-dim logical tensor: give it a dim of size 1, then drop it from every result
            if isinstance(d, (tuple, list)):
                for e in d:
                    _wrapd(e, 0)
                pd = (1,) * len(d)
            else:
                _wrapd(d, 0)
                pd = 1
            _put(args, kwargs, pos, kw, where, pd)
            args[0] = v.unsqueeze(1)
            r = dispatch(name, orig, tuple(args), kwargs)
            if is_inplace(name):
                return x
            r = _map_out(r, lambda t: t.squeeze(1) if t.dim() == 2 else t)
            return _wrap_out(r, lvl)
        pd = _shift(d, n + 1 if mode == "new" else n)
        _put(args, kwargs, pos, kw, where, pd)
        args[0] = v
        r = dispatch(name, orig, tuple(args), kwargs)
        if is_inplace(name):
            return x
        return _wrap_out(r, lvl)

    return rule


for _names, _args in (
    ("sum mean nansum nanmean amax amin logsumexp count_nonzero", (1, "dim", None, "red")),
    ("std var std_mean var_mean", (1, "dim", None, "red")),
    ("norm", (2, "dim", None, "red")),
    ("vector_norm", (2, "dim", None, "red")),
    ("prod argmax argmin all any max min median nanmedian", (1, "dim", None, "flat")),
    ("cumsum cumprod logcumsumexp cummax cummin cumsum_ cumprod_", (1, "dim", None, "plain")),
    ("softmax log_softmax softmin", (1, "dim", None, "softmax")),
    ("sort argsort msort mode", (1, "dim", -1, "plain")),
    ("topk kthvalue", (2, "dim", -1, "plain")),
    ("unsqueeze unsqueeze_", (1, "dim", None, "new")),
    ("squeeze squeeze_", (1, "dim", None, "squeeze")),
    ("flip", (1, "dims", None, "plain")),
    ("narrow select index_select unflatten", (1, "dim", None, "plain")),
    ("unbind", (1, "dim", 0, "plain")),
    ("split chunk tensor_split split_with_sizes", (2, "dim", 0, "plain")),
    ("normalize", (2, "dim", 1, "plain")),
    ("glu", (1, "dim", -1, "plain")),
    ("diff", (2, "dim", -1, "plain")),
):
    _reg(_names, dim_rule(*_args))


def _single(lvl, args, kwargs):
    x = args[0]
    return _at(x, lvl) and not _any_at(args[1:], lvl) and not (kwargs and _any_at(kwargs.values(), lvl))


def _sizes(args):
    """The shape given as varargs or as one sequence."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def transpose_rule(lvl, orig, name, args, kwargs):
    if not _single(lvl, args, kwargs):
        return NotImplemented
    x = args[0]
    n = x.dim()
    args = list(args)
    d0, w0 = _get(args, kwargs, 1, "dim0", None)
    d1, w1 = _get(args, kwargs, 2, "dim1", None)
    kwargs = dict(kwargs)
    if n == 0:
        _wrapd(d0, 0)
        _wrapd(d1, 0)
        return wrap(x._value.view(x._value.shape), lvl)
    _put(args, kwargs, 1, "dim0", w0 or "kw", _shift(d0, n))
    _put(args, kwargs, 2, "dim1", w1 or "kw", _shift(d1, n))
    args[0] = x._value
    r = dispatch(name, orig, tuple(args), kwargs)
    return x if is_inplace(name) else wrap(r, lvl)


_reg("transpose swapaxes swapdims transpose_ swapaxes_ swapdims_", transpose_rule)


def t_rule(lvl, orig, name, args, kwargs):
    if not _single(lvl, args, kwargs):
        return NotImplemented
    x = args[0]
    v = x._value
    if x.dim() < 2:
        return wrap(v.view(v.shape), lvl)
    return wrap(v.transpose(1, 2), lvl)


_reg("t", t_rule)


def T_rule(lvl, orig, name, args, kwargs):
    x = args[0]
    n = x.dim()
    return wrap(x._value.permute(0, *range(n, 0, -1)), lvl)


_reg("T", T_rule)


def permute_rule(lvl, orig, name, args, kwargs):
    if not _single(lvl, args, kwargs):
        return NotImplemented
    x = args[0]
    dims = kwargs["dims"] if "dims" in kwargs else _sizes(args[1:])
    n = x.dim()
    if len(dims) != n:
        return NotImplemented  # let the op raise its own error through the fallback
    return wrap(x._value.permute((0,) + _shift(dims, n)), lvl)


_reg("permute", permute_rule)


def movedim_rule(lvl, orig, name, args, kwargs):
    if not _single(lvl, args, kwargs):
        return NotImplemented
    x = args[0]
    n = x.dim()
    src, _ = _get(args, kwargs, 1, "source", None)
    dst, _ = _get(args, kwargs, 2, "destination", None)
    if n == 0:
        return NotImplemented
    return wrap(call("movedim", x._value, _shift(src, n), _shift(dst, n)), lvl)


_reg("movedim moveaxis", movedim_rule)


def diagonal_rule(lvl, orig, name, args, kwargs):
    if not _single(lvl, args, kwargs):
        return NotImplemented
    x = args[0]
    n = x.dim()
    off, _ = _get(args, kwargs, 1, "offset", 0)
    d1, _ = _get(args, kwargs, 2, "dim1", 0)
    d2, _ = _get(args, kwargs, 3, "dim2", 1)
    if n < 2:
        return NotImplemented
    return wrap(dispatch(name, orig, (x._value, off, _shift(d1, n), _shift(d2, n)), {}), lvl)


_reg("diagonal", diagonal_rule)


def flatten_rule(lvl, orig, name, args, kwargs):
    if not _single(lvl, args, kwargs):
        return NotImplemented
    x = args[0]
    n = x.dim()
    s, _ = _get(args, kwargs, 1, "start_dim", 0)
    e, _ = _get(args, kwargs, 2, "end_dim", -1)
    v = x._value
    if n == 0:
        _wrapd(s, 0)
        _wrapd(e, 0)
        return wrap(v.reshape(v.shape[0], 1), lvl)
    return wrap(v.flatten(_shift(s, n), _shift(e, n)), lvl)


_reg("flatten", flatten_rule)


def view_rule(lvl, orig, name, args, kwargs):
    if not _single(lvl, args, kwargs):
        return NotImplemented
    x = args[0]
    v = x._value
    if name == "view" and len(args) == 2 and isinstance(args[1], D.dtype):
        return wrap(v.view(args[1]), lvl)
    shape = kwargs["shape"] if "shape" in kwargs else (kwargs["size"] if "size" in kwargs else _sizes(args[1:]))
    shape = (v.shape[0],) + tuple(shape)
    if name == "view":
        try:
            return wrap(v.view(shape), lvl)
        except RuntimeError:
            return wrap(v.reshape(shape), lvl)
    return wrap(v.reshape(shape), lvl)


_reg("view reshape", view_rule)


def _as_rule(target):
    def rule(lvl, orig, name, args, kwargs):
        x, other = args[0], args[1]
        return call(target, x, tuple(other.shape))

    return rule


_reg("view_as", _as_rule("view"))
_reg("reshape_as", _as_rule("reshape"))
_reg("expand_as", _as_rule("expand"))


def expand_rule(lvl, orig, name, args, kwargs):
    if not _single(lvl, args, kwargs):
        return NotImplemented
    x = args[0]
    sizes = kwargs["size"] if "size" in kwargs else (kwargs["shape"] if "shape" in kwargs else _sizes(args[1:]))
    sizes = tuple(sizes)
    n = x.dim()
    if len(sizes) < n:
        return NotImplemented
    v = _pad(x._value, len(sizes) - n)
    return wrap(v.expand((v.shape[0],) + sizes), lvl)


_reg("expand broadcast_to", expand_rule)


def repeat_rule(lvl, orig, name, args, kwargs):
    if not _single(lvl, args, kwargs):
        return NotImplemented
    x = args[0]
    sizes = kwargs["repeats"] if "repeats" in kwargs else _sizes(args[1:])
    n = x.dim()
    if len(sizes) < n:
        return NotImplemented
    v = _pad(x._value, len(sizes) - n)
    return wrap(v.repeat(1, *sizes), lvl)


_reg("repeat", repeat_rule)


def new_rule(lvl, orig, name, args, kwargs):
    """new_zeros & co: an unbatched tensor of the given size with the input's dtype and device."""
    if not _single(lvl, args, kwargs):
        return NotImplemented
    return dispatch(name, orig, (args[0]._value,) + tuple(args[1:]), kwargs)


_reg("new_zeros new_ones new_empty new_full new_tensor", new_rule)


def cat_rule(lvl, orig, name, args, kwargs):
    args = list(args)
    kwargs = dict(kwargs)
    ts, w = _get(args, kwargs, 0, "tensors", None)
    if not isinstance(ts, (list, tuple)) or not ts:
        return NotImplemented
    d, wd = _get(args, kwargs, 1, "dim", 0)
    B = level_size(lvl)
    ref = next(t for t in ts if _at(t, lvl))
    n = ref.dim()
    vals = []
    for t in ts:
        if _at(t, lvl):
            vals.append(t._value)
        else:
            vals.append(t.unsqueeze(0).expand((B,) + tuple(t.shape)))
    stack = name == "stack"
    if not stack and n == 0:
        return NotImplemented
    _put(args, kwargs, 0, "tensors", w or "kw", vals)
    _put(args, kwargs, 1, "dim", wd or "kw", _wrapd(d, n + 1 if stack else n) + 1)
    return wrap(dispatch(name, orig, tuple(args), kwargs), lvl)


_reg("cat concat concatenate stack", cat_rule)


def gather_rule(lvl, orig, name, args, kwargs):
    x = args[0]
    d, _ = _get(args, kwargs, 1, "dim", None)
    idx, _ = _get(args, kwargs, 2, "index", None)
    if not isinstance(idx, Tensor) or x.dim() == 0 or x.dim() != idx.dim():
        return NotImplemented
    B = level_size(lvl)
    vx = x._value if _at(x, lvl) else x.unsqueeze(0).expand((B,) + tuple(x.shape))
    vi = idx._value if _at(idx, lvl) else idx.unsqueeze(0).expand((B,) + tuple(idx.shape))
    extra = {k: v for k, v in kwargs.items() if k not in ("dim", "index")}
    return wrap(dispatch(name, orig, (vx, _shift(d, x.dim()), vi), extra), lvl)


_reg("gather take_along_dim", gather_rule)


# -- indexing ------------------------------------------------------------------------------------


def _index_ok(idx_t, lvl):
    adv = []
    for i, e in enumerate(idx_t):
        if _at(e, lvl):
            return False
        if isinstance(e, (list, tuple)) and _any_at(e, lvl):
            return False
        if isinstance(e, (Tensor, list)):
            adv.append(i)
    return not adv or adv[-1] - adv[0] + 1 == len(adv)


def getitem_rule(lvl, orig, name, args, kwargs):
    x, idx = args
    if not _at(x, lvl):
        return NotImplemented
    idx_t = idx if type(idx) is tuple else (idx,)
    if not _index_ok(idx_t, lvl):
        return NotImplemented
    return wrap(dispatch(name, orig, (x._value, (slice(None),) + idx_t), {}), lvl)


def setitem_rule(lvl, orig, name, args, kwargs):
    x, idx, val = args
    if not _at(x, lvl):
        raise RuntimeError(INPLACE_MSG.format(name="index_put_"))
    idx_t = idx if type(idx) is tuple else (idx,)
    if not _index_ok(idx_t, lvl):
        return NotImplemented
    v = x._value
    pidx = (slice(None),) + idx_t
    if _at(val, lvl):
        k = v[pidx].dim() - 1 - val.dim()
        val = _pad(val._value, k) if k > 0 else val._value
    dispatch(name, orig, (v, pidx, val), {})
    return None


_reg("__getitem__", getitem_rule)
_reg("__setitem__", setitem_rule)


# -- matmul, linear ------------------------------------------------------------------------------


def matmul_rule(lvl, orig, name, args, kwargs):
    if kwargs or len(args) != 2:
        return NotImplemented
    a, b = args
    if name == "__rmatmul__":
        a, b = b, a
    ba, bb = _at(a, lvl), _at(b, lvl)
    na, nb = a.dim(), b.dim()
    if na == 0 or nb == 0:
        return NotImplemented
    if ba and not bb:
        va = a._value
        if na == 1 and nb >= 2:
            r = call("matmul", _pad(va.unsqueeze(-2), nb - 2), b).squeeze(-2)
        else:
            if na >= 2 and nb > na:
                va = _pad(va, nb - na)
            r = call("matmul", va, b)
    elif bb and not ba:
        vb = b._value
        if nb == 1:
            if na == 1:
                r = call("matmul", vb, a)
            else:
                r = call("matmul", a, _pad(vb.unsqueeze(-1), na - 2)).squeeze(-1)
        else:
            if na > nb:
                vb = _pad(vb, na - nb)
            r = call("matmul", a, vb)
    else:
        va, vb = a._value, b._value
        if na == 1 and nb == 1:
            r = call("matmul", va.unsqueeze(-2), vb.unsqueeze(-1)).squeeze(-1).squeeze(-1)
        elif na == 1:
            r = call("matmul", _pad(va.unsqueeze(-2), nb - 2), vb).squeeze(-2)
        elif nb == 1:
            r = call("matmul", va, _pad(vb.unsqueeze(-1), na - 2)).squeeze(-1)
        else:
            m = max(na, nb)
            r = call("matmul", _pad(va, m - na), _pad(vb, m - nb))
    return wrap(r, lvl)


_reg("matmul mm bmm mv dot __matmul__ __rmatmul__", matmul_rule)


def linear_rule(lvl, orig, name, args, kwargs):
    x = args[0]
    w, _ = _get(args, kwargs, 1, "weight", None)
    b, _ = _get(args, kwargs, 2, "bias", None)
    if _at(x, lvl) and not _at(w, lvl) and not _at(b, lvl):
        return wrap(dispatch(name, orig, (x._value, w, b), {}), lvl)
    r = call("matmul", x, w.transpose(-1, -2) if w.dim() == 2 else w)
    if b is not None:
        r = call("add", r, b)
    return r


_reg("linear", linear_rule)


# -- convolution, pooling, group norm: merge the batch dim into N ------------------------------------


def merge_rule(full):
    def rule(lvl, orig, name, args, kwargs):
        if not _single(lvl, args, kwargs):
            return NotImplemented
        x = args[0]
        v = x._value
        n = x.dim()
        if n == full or (full is None and n >= 2):
            B, N = v.shape[0], v.shape[1]
            r = dispatch(name, orig, (v.reshape((B * N,) + tuple(v.shape[2:])),) + tuple(args[1:]), kwargs)
            return _map_out(r, lambda t: wrap(t.reshape((B, N) + tuple(t.shape[1:])), lvl))
        if full is not None and n == full - 1:
            return _wrap_out(dispatch(name, orig, (v,) + tuple(args[1:]), kwargs), lvl)
        return NotImplemented

    return rule


for _k in (1, 2, 3):
    _reg(
        f"conv{_k}d conv_transpose{_k}d max_pool{_k}d avg_pool{_k}d adaptive_avg_pool{_k}d adaptive_max_pool{_k}d "
        f"lp_pool{_k}d max_pool{_k}d_with_indices",
        merge_rule(_k + 2),
    )
_reg("group_norm", merge_rule(None))


# -- random ops ----------------------------------------------------------------------------------

RANDOM_MSG = (
    "vmap: called random operation while in randomness error mode. Please either use the 'same' or 'different' "
    "randomness flags on vmap or perform the randomness operation out of vmap"
)


def _dropout_active(name, args, kwargs):
    if "dropout" not in name:
        return True
    p, _ = _get(args, kwargs, 1, "p", 0.5)
    training, _ = _get(args, kwargs, 2, "training", True)
    return bool(training) and p != 0


def random_handler(lvl, orig, name, args, kwargs):
    level = LEVELS[-1] if lvl is None else LEVELS[lvl - 1]
    if not _dropout_active(name, args, kwargs):
        if lvl is None:
            return orig(*args, **kwargs)
        r = native_rule(lvl, orig, name, args, kwargs)
        return fallback(lvl, orig, name, args, kwargs, warn=False) if r is NotImplemented else r
    if level.randomness == "error":
        raise RuntimeError(RANDOM_MSG)
    if lvl is None:
        if level.randomness == "same":
            return orig(*args, **kwargs)
        return wrap(call("stack", [orig(*args, **kwargs) for _ in range(level.size)]), level.id)
    x = args[0]
    if level.randomness == "different":
        r = native_rule(lvl, orig, name, args, kwargs)
        return fallback(lvl, orig, name, args, kwargs, warn=False) if r is NotImplemented else r
    # "same": one draw for the logical shape, shared by the whole batch
    if not _at(x, lvl):
        return fallback(lvl, orig, name, args, kwargs, warn=False)
    import ember  # noqa: PLC0415

    if "dropout" in name:
        mask = orig(ember.ones(tuple(x.shape), dtype=x.dtype, device=x.device), *args[1:], **kwargs)
        return call("mul", x, mask)
    if name in ("bernoulli", "bernoulli_"):
        u = ember.rand(tuple(x.shape), dtype=x.dtype if x.dtype.is_floating_point else None, device=x.device)
        r = call("lt", u, x).to(x.dtype)
        if name.endswith("_"):
            x.copy_(r)
            return x
        return r
    stand = ember.zeros(tuple(x.shape), dtype=x.dtype, device=x.device)
    r = orig(stand, *args[1:], **kwargs)
    if is_inplace(name):
        x.copy_(r)
        return x
    return r


for _n in (
    "rand randn randint randperm normal rand_like randn_like randint_like bernoulli bernoulli_ multinomial poisson "
    "dropout dropout_ alpha_dropout feature_alpha_dropout dropout1d dropout2d dropout3d uniform_ normal_ "
    "exponential_ random_ cauchy_ log_normal_ geometric_"
).split():
    RANDOM_OPS[_n] = random_handler
