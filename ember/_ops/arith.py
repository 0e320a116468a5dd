"""Arithmetic and comparison operators: add sub mul div neg, eq ne lt le gt ge, and their dunders."""

import numpy as np

from .. import _dtype as D
from ..cuda import _fused
from ._core import (
    GRAD,
    Node,
    Tensor,
    _vc_of,
    arr,
    attach,
    attach2,
    binary_arrays,
    bind,
    inplace,
    make,
    new_node,
    quiet,
    requires_grad,
    scalar_type_name,
    user_frame,
    xp_of,
)

_ndarray = np.ndarray
_NODE_INIT = Node.__init__
# division warns on x/0 in NumPy, never in torch: run it quietly (mul/add warn only on inf*0, inf-inf)
_WARNS = frozenset((np.true_divide, np.floor_divide))

__all__ = [
    "add",
    "sub",
    "subtract",
    "mul",
    "multiply",
    "div",
    "divide",
    "true_divide",
    "neg",
    "negative",
    "reciprocal",
    "rsub",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "not_equal",
]


def conj(t):
    """Conjugate for complex tensors and scalars, identity otherwise (used by derivative formulas)."""
    if isinstance(t, Tensor):
        if t._data.dtype.kind == "c":
            from .complex import conj as _conj  # noqa: PLC0415

            return _conj(t)
        return t
    if isinstance(t, (complex, np.complexfloating)):
        return t.conjugate()
    return t


def binary(a, b, ufunc, node_cls, opname, dtype=None, save=True):
    """Out-of-place binary op: promote, compute, attach `node_cls` when an input requires grad."""
    if a.__class__ is Tensor and b.__class__ is float and dtype is None and a._data.dtype.kind in "fc":
        x, y = a._data, b  # the common case: a float tensor and a Python float (weak scalar)
    else:
        x, y = binary_arrays(a, b, opname, dtype)
    r = None
    if ufunc is np.add and x.__class__ is y.__class__ and x.__class__ is not _ndarray:  # two CuPy arrays
        r = _fused.add_same(x, y)  # a residual sum or a gradient accumulation on the GPU: one launch
    if r is None:
        try:
            r = quiet(ufunc, x, y) if ufunc in _WARNS else ufunc(x, y)
        except ValueError:
            raise _shape_error(opname, a, b) from None
    out = make(r if r.__class__ is _ndarray else arr(r))
    if GRAD.enabled:
        ra = a.__class__ is not float and getattr(a, "_requires_grad", False)
        rb = b.__class__ is not float and getattr(b, "_requires_grad", False)
        if ra or rb:
            node = new_node(node_cls) if node_cls.__init__ is _NODE_INIT else node_cls()
            if save:
                node.save_inputs(a, b, ra, rb)
            attach2(out, node, a, ra, b, rb)
    return out


_DIRECT = frozenset((np.add, np.subtract, np.multiply, np.true_divide))


def _write_direct(self, x, y, ufunc):
    """ufunc(x, y) straight into x (self's array) when that gives what computing a result and copying it in
    would: no autograd, the result dtype x's own, y broadcasting to x's shape (and not sharing x's memory:
    the caller checked). One pass and no temporary (one kernel instead of two on the GPU)."""
    # x unconverted means binary_arrays kept self's dtype: y is an array or scalar of it, or a weak Python
    # scalar that fits it, so the result keeps it too (but for true division of integers)
    yd = getattr(y, "dtype", None)
    if yd is not None and yd != x.dtype:
        return False
    if ufunc is np.true_divide and x.dtype.kind not in "fc":
        return False
    if yd is not None and y.shape != x.shape and np.broadcast_shapes(x.shape, y.shape) != x.shape:
        return False
    if type(x) is _ndarray and not x.flags.writeable:
        return False
    if ufunc in _WARNS:
        quiet(ufunc, x, y, x)  # the third positional argument of a ufunc is its output
    else:
        ufunc(x, y, out=x)
    vc = _vc_of(self)
    vc.v += 1
    vc.where = user_frame()
    return True


def _shares(x, y):
    """Whether array y (not x itself) may share x's memory; raises torch's error when both are dense and
    overlap without being the same memory (assert_no_partial_overlap)."""
    if y is x or type(y) is not type(x) or not xp_of(x).may_share_memory(x, y):
        return False
    dense = (x.flags.c_contiguous or x.flags.f_contiguous) and (y.flags.c_contiguous or y.flags.f_contiguous)
    if dense and not (_ptr(x) == _ptr(y) and x.nbytes == y.nbytes):
        raise RuntimeError(
            "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single "
            "memory location. Please clone() the tensor before performing the operation."
        )
    return True


def _ptr(a):
    return a.ctypes.data if type(a) is _ndarray else a.data.ptr


def binary_(self, b, ufunc, node_cls, opname, dtype=None, save=True):
    """In-place binary op: the result is computed in the promoted dtype, then written into self."""
    x, y = binary_arrays(self, b, opname, dtype)
    shares = isinstance(b, Tensor) and _shares(self._data, b._data)
    if (
        not shares
        and x is self._data
        and ufunc in _DIRECT
        and not (GRAD.enabled and (self._requires_grad or requires_grad(b)))
        and _write_direct(self, x, y, ufunc)
    ):
        return self
    try:
        r = arr(quiet(ufunc, x, y) if ufunc in _WARNS else ufunc(x, y))
    except ValueError:
        raise _shape_error(opname, self, b) from None
    node = None
    if GRAD.enabled:
        ra, rb = self._requires_grad, requires_grad(b)
        if ra or rb:
            node = node_cls()
            if save:
                node.save_inputs(self, b, ra, rb)
    return inplace(self, r, node, (self, b), opname)


def _shape_error(opname, a, b):
    sa = list(a.shape) if isinstance(a, Tensor) else []
    sb = list(b.shape) if isinstance(b, Tensor) else []
    for i in range(1, min(len(sa), len(sb)) + 1):
        if sa[-i] != sb[-i] and sa[-i] != 1 and sb[-i] != 1:
            return RuntimeError(
                f"The size of tensor a ({sa[-i]}) must match the size of tensor b ({sb[-i]}) at non-singleton "
                f"dimension {max(len(sa), len(sb)) - i} ({opname}: shapes {sa} and {sb})"
            )
    return RuntimeError(f"{opname}: shapes {sa} and {sb} cannot be broadcast together")


# -- add / sub ------------------------------------------------------------------------------


class AddBackward0(Node):
    alpha = 1

    def backward(self, g):
        alpha = self.alpha
        return (g if self.needs(0) else None, (g if alpha == 1 else g * alpha) if self.needs(1) else None)


class SubBackward0(Node):
    alpha = 1

    def backward(self, g):
        alpha = self.alpha
        if not self.needs(1):
            return (g, None)
        if alpha == 1:
            neg_g = make(arr(np.negative(g._data))) if not GRAD.enabled and g._data.dtype.kind == "f" else -g
        else:
            neg_g = g * -alpha
        return (g if self.needs(0) else None, neg_g)


class RsubBackward0(Node):
    def backward(self, g):
        alpha = self.alpha
        return ((-g if alpha == 1 else g * -alpha) if self.needs(0) else None, g if self.needs(1) else None)


class RsubBackward1(Node):
    def backward(self, g):
        return (-g if self.alpha == 1 else g * -self.alpha, None)


def _alpha_node(cls, alpha):
    def make_node():
        n = cls()
        n.alpha = alpha
        return n

    return make_node


def _check_alpha(a, b, alpha, opname):
    dt = D.result_type_of((a, b))
    if isinstance(alpha, float) and dt._cat < D._FLOAT:
        raise RuntimeError(
            f"For integral input tensors, argument alpha must not be a floating point number. ({opname})"
        )


def _with_alpha(ufunc, alpha):
    return lambda x, y: ufunc(x, y * alpha)


def add(input, other, *, alpha=1, out=None):
    """Matches `torch.add`."""
    if alpha == 1:
        r = binary(input, other, np.add, _ADD1, "add", save=False)
        return r if out is None else _out(r, out)
    _check_alpha(input, other, alpha, "add")
    res = binary(input, other, _with_alpha(np.add, alpha), _alpha_node(AddBackward0, alpha), "add", save=False)
    return _out(res, out)


def add_(self, other, *, alpha=1):
    if alpha == 1:
        return binary_(self, other, np.add, _ADD1, "add_", save=False)
    _check_alpha(self, other, alpha, "add_")
    return binary_(self, other, _with_alpha(np.add, alpha), _alpha_node(AddBackward0, alpha), "add_", save=False)


def sub(input, other, *, alpha=1, out=None):
    """Matches `torch.sub`."""
    if _is_bool(input) and _is_bool(other):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` "
            "operator instead."
        )
    if alpha == 1:
        r = binary(input, other, np.subtract, _SUB1, "sub", save=False)
        return r if out is None else _out(r, out)
    _check_alpha(input, other, alpha, "sub")
    res = binary(input, other, _with_alpha(np.subtract, alpha), _alpha_node(SubBackward0, alpha), "sub", save=False)
    return _out(res, out)


def sub_(self, other, *, alpha=1):
    if _is_bool(self) and _is_bool(other):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` "
            "operator instead."
        )
    if alpha == 1:
        return binary_(self, other, np.subtract, _SUB1, "sub_", save=False)
    _check_alpha(self, other, alpha, "sub_")
    return binary_(self, other, _with_alpha(np.subtract, alpha), _alpha_node(SubBackward0, alpha), "sub_", save=False)


_ADD1 = AddBackward0
_SUB1 = SubBackward0


def _is_bool(x):
    return (isinstance(x, Tensor) and x._data.dtype == np.bool_) or type(x) is bool


def rsub(input, other, *, alpha=1):
    """Matches `torch.rsub`: other - alpha * input."""
    if isinstance(other, Tensor):
        x, y = binary_arrays(input, other, "rsub")
        r = make(arr(np.subtract(y, x if alpha == 1 else np.multiply(x, alpha))))
        if GRAD.enabled and (input._requires_grad or other._requires_grad):
            attach(r, _alpha_node(RsubBackward0, alpha)(), (input, other))
        return r
    x, y = binary_arrays(input, other, "rsub")
    r = make(arr(np.subtract(y, x if alpha == 1 else np.multiply(x, alpha))))
    if GRAD.enabled and input._requires_grad:
        attach(r, _alpha_node(RsubBackward1, alpha)(), (input, None))
    return r


# -- mul / div ------------------------------------------------------------------------------


def _scale(g, other):
    """g * other on arrays when the result keeps g's dtype (a float scalar, or a tensor of g's dtype)."""
    gd = g._data
    if type(other) is float or type(other) is int:
        return make(arr(np.multiply(gd, other)))
    od = other._data
    if od.dtype is gd.dtype:
        return make(arr(np.multiply(gd, od)))
    return g * conj(other)


_NONE2 = (None, None)  # what a product/quotient with a Python scalar saves: no tensor, still freed in backward


def _save_operands(node, a, b, save_a, save_b):
    """Save tensor operands a (if save_a) and b (if save_b); keep Python/NumPy scalar operands' values."""
    ta = isinstance(a, Tensor)
    tb = isinstance(b, Tensor)
    node.scalars = (None if ta else a, None if tb else b)
    sa = a if ta and save_a else None
    sb = b if tb and save_b else None
    if sa is None and sb is None:
        node._saved = _NONE2
    else:
        node.save(sa, sb)


def _operands(node):
    """The saved operands, a Python scalar where the operand was one (raises once the graph is freed)."""
    s = node._saved
    a, b = (None, None) if s is _NONE2 else node.saved
    sa, sb = node.scalars
    return (a if a is not None else sa), (b if b is not None else sb)


class MulBackward0(Node):
    __slots__ = ("scalars",)

    def save_inputs(self, a, b, ra, rb):
        # each gradient needs only the other operand: save no more (torch does the same)
        _save_operands(self, a, b, rb, ra)

    def backward(self, g):
        oa, ob = _operands(self)
        if not GRAD.enabled and g._data.dtype.kind == "f":
            # no graph to build: multiply the arrays (same arithmetic as the op, without its dispatch)
            return (
                _scale(g, ob) if self.needs(0) else None,
                _scale(g, oa) if self.needs(1) else None,
            )
        return (
            g * conj(ob) if self.needs(0) else None,
            g * conj(oa) if self.needs(1) else None,
        )


class DivBackward0(Node):
    __slots__ = ("scalars",)

    def save_inputs(self, a, b, ra, rb):
        _save_operands(self, a, b, rb, True)

    def backward(self, g):
        a, b = _operands(self)
        ga = g / conj(b) if self.needs(0) else None
        gb = -g * conj(a / (b * b)) if self.needs(1) else None
        return ga, gb


def mul(input, other, *, out=None):
    """Matches `torch.mul`."""
    r = binary(input, other, np.multiply, MulBackward0, "mul")
    return r if out is None else _out(r, out)


def mul_(self, other):
    return binary_(self, other, np.multiply, MulBackward0, "mul_")


def _div_dtype(a, b):
    dt = D.result_type_of((a, b))
    if dt._cat < D._FLOAT:
        return D.get_default_dtype()
    return None


class DivBackward2(Node):
    """Rounded division is piecewise constant: zero gradient."""

    def backward(self, g):
        from .creation import zeros_like  # noqa: PLC0415

        return (zeros_like(g) if self.needs(0) else None, zeros_like(g) if self.needs(1) else None)


def _int_kind(x, y):
    """Whether the division of x by y (arrays, or a weak scalar and an array) is an integer one."""
    return (x.dtype if hasattr(x, "dtype") else y.dtype).kind in "iu"


def _zero_divisor(y):
    return bool((y == 0).any()) if hasattr(y, "dtype") else y == 0


def _floor_div(x, y):
    if _int_kind(x, y) and _zero_divisor(y):
        raise RuntimeError("ZeroDivisionError")
    return np.floor_divide(x, y)


def _trunc_div(x, y):
    if _int_kind(x, y):
        if _zero_divisor(y):
            raise RuntimeError("ZeroDivisionError")
        q = np.floor_divide(x, y)
        r = np.remainder(x, y)
        # floor -> trunc: add one where the signs differ and the division is inexact
        return q + ((r != 0) & ((x < 0) != (y < 0)))
    return np.trunc(np.true_divide(x, y))


def div(input, other, *, rounding_mode=None, out=None):
    """Matches `torch.div` (true division; rounding_mode 'trunc' or 'floor')."""
    if rounding_mode is None:
        return _out(binary(input, other, np.true_divide, DivBackward0, "div", dtype=_div_dtype(input, other)), out)
    if rounding_mode == "floor":
        return _out(binary(input, other, _floor_div, DivBackward2, "div", save=False), out)
    if rounding_mode == "trunc":
        return _out(binary(input, other, _trunc_div, DivBackward2, "div", save=False), out)
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")


def div_(self, other, *, rounding_mode=None):
    if rounding_mode is None:
        return binary_(self, other, np.true_divide, DivBackward0, "div_", dtype=_div_dtype(self, other))
    fn = _floor_div if rounding_mode == "floor" else _trunc_div
    return binary_(self, other, fn, DivBackward2, "div_", save=False)


# -- neg ------------------------------------------------------------------------------------


class NegBackward0(Node):
    def backward(self, g):
        return -g


def neg(input, *, out=None):
    """Matches `torch.neg`."""
    if input._data.dtype == np.bool_:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
            "use the `~` or `logical_not()` operator instead."
        )
    r = make(arr(np.negative(input._data)))
    if GRAD.enabled and input._requires_grad:
        attach(r, NegBackward0(), (input,))
    return _out(r, out)


def neg_(self):
    node = NegBackward0() if GRAD.enabled and self._requires_grad else None
    return inplace(self, arr(np.negative(self._data)), node, (self,), "neg_")


class ReciprocalBackward0(Node):
    def backward(self, g):
        (r,) = self.saved
        return -g * conj(r * r)


def reciprocal(input, *, out=None):
    """Matches `torch.reciprocal` (integers give the default float dtype)."""
    d = input._data
    if d.dtype.kind in "biu":
        d = d.astype(D.get_default_dtype().np)
    r = make(arr(np.reciprocal(d)))
    if GRAD.enabled and input._requires_grad:
        node = ReciprocalBackward0()
        attach(r, node, (input,))
        node.save(r)
    return _out(r, out)


# -- comparisons ----------------------------------------------------------------------------


def _compare(ufunc, opname):
    def op(input, other, *, out=None):
        x, y = binary_arrays(input, other, opname)
        try:
            r = make(arr(ufunc(x, y)))
        except ValueError:
            raise _shape_error(opname, input, other) from None
        return _out(r, out)

    def op_(self, other):
        x, y = binary_arrays(self, other, opname)
        return inplace(self, arr(ufunc(x, y)).astype(self._data.dtype), None, (self, other), opname + "_")

    op.__name__ = opname
    op.__doc__ = f"Matches `torch.{opname}`."
    return op, op_


eq, eq_ = _compare(np.equal, "eq")
ne, ne_ = _compare(np.not_equal, "ne")
lt, lt_ = _compare(np.less, "lt")
le, le_ = _compare(np.less_equal, "le")
gt, gt_ = _compare(np.greater, "gt")
ge, ge_ = _compare(np.greater_equal, "ge")


def _out(res, out):
    """Write into `out=` as torch does (resizing it), and return it."""
    if out is None:
        return res
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if GRAD.enabled and (res._requires_grad or out._requires_grad):
        raise RuntimeError(
            f"{res._grad_fn.name() if res._grad_fn else 'op'}(): functions with out=... arguments don't support "
            "automatic differentiation, but one of the arguments requires grad."
        )
    rd, od = res._data, out._data
    if type(rd) is not type(od) or (type(od) is not _ndarray and rd.device.id != od.device.id):
        raise RuntimeError(f"Expected out tensor to have device {res.device}, but got {out.device} instead")
    src, dst = D.FROM_NP[rd.dtype], D.FROM_NP[od.dtype]
    if src._cat > dst._cat:
        raise RuntimeError(
            f"result type {scalar_type_name(src)} can't be cast to the desired output type {scalar_type_name(dst)}"
        )
    if od.shape != rd.shape:
        out._data = rd.astype(od.dtype)  # resized, as torch does: a new contiguous buffer on out's device
    else:
        xp_of(od).copyto(od, rd, casting="unsafe")
    _vc_of(out).v += 1
    return out


subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


# -- Tensor methods and operators -----------------------------------------------------------


def _iop(fn_):
    def iop(self, other):
        return fn_(self, other)

    return iop


_OPERANDS = (Tensor, int, float, bool, complex, np.generic)


def _not_impl(fn):
    def op(self, other):
        if not isinstance(other, _OPERANDS):
            return NotImplemented
        return fn(self, other)

    return op


def _float_dunder(fn, ufunc, node_cls, opname, save):
    """A dunder that goes straight to `binary` for a Python float operand (`x * 0.5`), else to fn."""

    def op(self, other):
        if other.__class__ is float:
            return binary(self, other, ufunc, node_cls, opname, save=save)
        if not isinstance(other, _OPERANDS):
            return NotImplemented
        return fn(self, other)

    return op


bind(("add",), add)
bind(("__add__", "__radd__"), _float_dunder(add, np.add, _ADD1, "add", False))
bind(("add_",), add_)
bind("__iadd__", _iop(add_))
bind(("sub", "subtract"), sub)
bind("__sub__", _float_dunder(sub, np.subtract, _SUB1, "sub", False))
bind("__rsub__", _not_impl(lambda self, other: rsub(self, other)))
bind(("sub_", "subtract_"), sub_)
bind("__isub__", _iop(sub_))
bind(("mul", "multiply"), mul)
bind(("__mul__", "__rmul__"), _float_dunder(mul, np.multiply, MulBackward0, "mul", True))
bind(("mul_", "multiply_"), mul_)
bind("__imul__", _iop(mul_))
bind(("div", "divide", "true_divide"), div)
bind("__truediv__", _not_impl(div))
bind("__rtruediv__", _not_impl(lambda self, other: mul(reciprocal(self), other)))
bind(("div_", "divide_", "true_divide_"), div_)
bind("__itruediv__", _iop(div_))
bind(("neg", "negative"), neg)
bind("__neg__", neg)
bind(("neg_", "negative_"), neg_)
bind("__pos__", lambda self: self)
bind("reciprocal", reciprocal)
for _n, _f, _f_ in [
    ("eq", eq, eq_),
    ("ne", ne, ne_),
    ("lt", lt, lt_),
    ("le", le, le_),
    ("gt", gt, gt_),
    ("ge", ge, ge_),
]:
    bind(_n, _f)
    bind(_n + "_", _f_)
    bind(f"__{_n}__", _not_impl(_f))
for _n, _f in [("greater", gt), ("greater_equal", ge), ("less", lt), ("less_equal", le), ("not_equal", ne)]:
    bind(_n, _f)
Tensor.__hash__ = lambda self: id(self)  # defining __eq__ would otherwise drop hashing
