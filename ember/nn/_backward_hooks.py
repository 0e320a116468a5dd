"""Full backward hooks of modules: identity Functions around a module's inputs and outputs catch
grad_output (on the way in to the module's backward) and grad_input (on the way out)."""

from .._tensor import Tensor
from ..autograd.function import Function


class _Identity(Function):
    @staticmethod
    def forward(ctx, hook, *tensors):
        ctx.hook = hook
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.hook(grads))


class BackwardHook:
    def __init__(self, module, hooks, pre_hooks):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0

    def _wrap(self, values, hook):
        idx = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
        if not idx:
            return values, False
        new = _Identity.apply(hook, *(values[i] for i in idx))
        out = list(values)
        for i, t in zip(idx, new):
            out[i] = t
        return tuple(out), True

    def setup_input_hook(self, args):
        def on_grad_input(grads):
            grads = tuple(grads)
            for h in self.hooks:
                res = h(self.module, grads, self.grad_outputs)
                if res is not None:
                    grads = tuple(res)
            return grads

        args, self.wrapped_inputs = self._wrap(tuple(args), on_grad_input)
        return args

    def setup_output_hook(self, result):
        def on_grad_output(grads):
            grads = tuple(grads)
            for h in self.pre_hooks:
                res = h(self.module, grads)
                if res is not None:
                    grads = tuple(res)
            self.grad_outputs = grads
            if not self.wrapped_inputs:
                for h in self.hooks:
                    h(self.module, (None,), grads)
            return grads

        single = isinstance(result, Tensor)
        out, _ = self._wrap(
            (result,) if single else tuple(result) if isinstance(result, (tuple, list)) else (result,), on_grad_output
        )
        if single or not isinstance(result, (tuple, list)):
            return out[0]
        return type(result)(out) if isinstance(result, tuple) else list(out)
