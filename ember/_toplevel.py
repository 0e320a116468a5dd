"""Top-level functions of torch's namespace that are not ops: compile, the float32 matmul precision, and a few
predicates."""

import functools
import warnings

from .nn.modules.module import Module

__all__ = [
    "compile",
    "get_float32_matmul_precision",
    "set_float32_matmul_precision",
    "is_nonzero",
    "is_same_size",
    "is_signed",
]


def compile(  # noqa: A001 - torch's name
    model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None, disable=False
):
    """Matches `torch.compile`'s results and wrapping. ember runs eagerly, so nothing is compiled: a module comes
    back wrapped in an OptimizedModule (whose state_dict keys start with "_orig_mod.", as torch's do), a function
    as a wrapper calling it; with `disable=True` the model itself; without a model, the decorator."""
    if model is None:

        def decorator(m):
            return compile(
                m, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode, options=options, disable=disable
            )

        return decorator
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model)

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)

    return compiled


class OptimizedModule(Module):
    """What `compile` returns for a module: the module as `_orig_mod`, its forward and its attributes."""

    def __init__(self, mod):
        super().__init__()
        self._orig_mod = mod

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["_orig_mod"], name)


_PRECISIONS = ("highest", "high", "medium")


def set_float32_matmul_precision(precision):
    """Matches `torch.set_float32_matmul_precision`: "highest" keeps float32 GEMMs in full float32; "high" and
    "medium" let them use TF32 on the GPU (ember.backends.cuda.matmul.allow_tf32)."""
    if precision not in _PRECISIONS:
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current setFloat32MatmulPrecision "
            "call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    from .backends import cuda  # noqa: PLC0415

    _State.precision = precision
    cuda.matmul.allow_tf32 = precision != "highest"


def get_float32_matmul_precision():
    """Matches `torch.get_float32_matmul_precision`."""
    from .backends import cuda  # noqa: PLC0415

    if _State.precision == "highest" and cuda.matmul.allow_tf32:
        return "high"  # TF32 allowed through the backends flag
    if _State.precision != "highest" and not cuda.matmul.allow_tf32:
        return "highest"
    return _State.precision


class _State:
    precision = "highest"


def is_nonzero(input):
    """Matches `torch.is_nonzero`: the truth of a one-element tensor."""
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


def is_same_size(input, other):
    """Matches `torch.is_same_size`."""
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input):
    """Matches `torch.is_signed`."""
    return input.is_signed()
