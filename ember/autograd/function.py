"""Custom autograd Functions: the same Node mechanism as built-in ops, with `ctx` being the node."""

import functools

from .grad_mode import GRAD
from .graph import Node

__all__ = ["Function", "FunctionCtx", "once_differentiable", "BackwardCFunction"]


class FunctionCtx:
    """The `ctx` of a custom Function's forward/backward (state lives on the node itself)."""

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not _is_tensor(t):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument is of type {type(t).__name__}"
                )
        self.save(*tensors)

    def save_for_forward(self, *tensors):
        self._saved_fwd = tensors

    @property
    def saved_tensors(self):
        return tuple(self.saved)

    saved_variables = saved_tensors

    def mark_dirty(self, *args):
        self._dirty = args

    def mark_non_differentiable(self, *args):
        self._non_diff = args

    def set_materialize_grads(self, value):
        self._materialize = value


def _is_tensor(x):
    from .._tensor import Tensor  # noqa: PLC0415

    return isinstance(x, Tensor)


class BackwardCFunction(Node, FunctionCtx):
    """Node of a custom Function; subclassed per Function as `<Name>Backward`."""

    _forward_cls = None

    def __init__(self):
        Node.__init__(self)
        self._dirty = ()
        self._non_diff = ()
        self._materialize = True
        self.needs_input_grad = ()
        self._out_meta = ()

    def backward(self, *grads):
        from .. import _ops as O  # noqa: PLC0415

        if self._materialize:
            grads = tuple(
                O.zeros(meta[0], dtype=O.D.FROM_NP[meta[1]], device=meta[2]) if g is None and meta is not None else g
                for g, meta in zip(grads, self._out_meta)
            )
        res = self._forward_cls.backward(self, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        n = len(self.next_functions)
        if len(res) < n:
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients (expected {n}, got {len(res)})"
            )
        if len(res) > n:
            if any(r is not None for r in res[n:]):
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients (expected {n}, got {len(res)})"
                )
            res = res[:n]
        for i, r in enumerate(res):
            if r is not None and self.next_functions[i][0] is None and not _is_tensor(r):
                raise TypeError(f"function {self.name()} returned a gradient of type {type(r).__name__} at index {i}")
        return res

    def apply(self, *grads):
        return self.backward(*grads)


class FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        super().__init__(name, bases, attrs)


class Function(FunctionCtx, metaclass=FunctionMeta):
    """Matches `torch.autograd.Function`: subclass with static forward(ctx, ...) and backward(ctx, ...)."""

    def __init__(self, *args, **kwargs):
        pass

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        from .. import _ops as O  # noqa: PLC0415
        from .._tensor import Tensor, make  # noqa: PLC0415

        ctx = cls._backward_cls()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        track = GRAD.enabled and any(ctx.needs_input_grad)
        prev = GRAD.enabled
        GRAD.enabled = False
        try:
            if cls.setup_context is not Function.setup_context:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        finally:
            GRAD.enabled = prev
        single = not isinstance(output, tuple)
        outs = (output,) if single else output
        dirty = {id(t) for t in ctx._dirty}
        non_diff = {id(t) for t in ctx._non_diff}
        in_ids = {id(a) for a in args if isinstance(a, Tensor)}
        wrapped = []
        for o in outs:
            if isinstance(o, Tensor) and id(o) in in_ids and id(o) not in dirty:
                o = make(o._data)  # returning an input unchanged gives a new tensor sharing its memory
            wrapped.append(o)
        if track:
            tensor_outs = [o for o in wrapped if isinstance(o, Tensor)]
            ctx._out_meta = tuple(
                (o._data.shape, o._data.dtype, o.device) if isinstance(o, Tensor) else None for o in wrapped
            )
            # edges first: dirty inputs are rebased onto ctx after their old edge is recorded
            from .._ops._core import attach  # noqa: PLC0415

            for o in tensor_outs:
                if id(o) in dirty:
                    O._core.check_inplace(o, cls.__name__)
                    from .._tensor import _vc_of  # noqa: PLC0415

                    _vc_of(o).v += 1
            attach(make(tensor_outs[0]._data) if tensor_outs else make(None), ctx, args)
            ctx._n_out = len(wrapped)
            for i, o in enumerate(wrapped):
                if not isinstance(o, Tensor) or id(o) in non_diff:
                    continue
                if not (o.dtype.is_floating_point or o.dtype.is_complex):
                    continue
                o._grad_fn = ctx
                o._requires_grad = True
                o._output_nr = i
        else:
            for o in wrapped:
                if isinstance(o, Tensor) and id(o) in dirty:
                    from .._tensor import _vc_of  # noqa: PLC0415

                    _vc_of(o).v += 1
        return wrapped[0] if single else tuple(wrapped)


def once_differentiable(fn):
    """Matches `torch.autograd.function.once_differentiable`: backward runs without building a graph."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev = GRAD.enabled
        GRAD.enabled = False
        try:
            return fn(ctx, *args)
        finally:
            GRAD.enabled = prev

    return wrapper
