"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode."""

import functools

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
]


class _GradState:
    __slots__ = ("enabled", "inference")

    def __init__(self):
        self.enabled = True
        self.inference = False


# Ops read GRAD.enabled on their hot path: one attribute load, no call.
GRAD = _GradState()


def is_grad_enabled():
    """Matches `torch.is_grad_enabled`."""
    return GRAD.enabled


def is_inference_mode_enabled():
    """Matches `torch.is_inference_mode_enabled`."""
    return GRAD.inference


class _DecoratorContextManager:
    """A context manager that also works as a decorator (a fresh instance per call)."""

    def __call__(self, func):
        if isinstance(func, type):
            raise TypeError(f"{type(self).__name__} cannot decorate a class")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        return type(self)()


class no_grad(_DecoratorContextManager):
    """Matches `torch.no_grad`."""

    def __enter__(self):
        self.prev = GRAD.enabled
        GRAD.enabled = False

    def __exit__(self, *exc):
        GRAD.enabled = self.prev
        return False


class enable_grad(_DecoratorContextManager):
    """Matches `torch.enable_grad`."""

    def __enter__(self):
        self.prev = GRAD.enabled
        GRAD.enabled = True

    def __exit__(self, *exc):
        GRAD.enabled = self.prev
        return False


class set_grad_enabled(_DecoratorContextManager):
    """Matches `torch.set_grad_enabled`: takes effect at once, and restores on exit when used with `with`."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}")
        self.prev = GRAD.enabled
        self.mode = mode
        GRAD.enabled = mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        GRAD.enabled = self.prev
        return False

    def clone(self):
        return _SetGrad(self.mode)

    def __call__(self, func):
        GRAD.enabled = self.prev  # as a decorator it must not change the mode at definition time
        return super().__call__(func)


class _SetGrad(_DecoratorContextManager):
    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.prev = GRAD.enabled
        GRAD.enabled = self.mode

    def __exit__(self, *exc):
        GRAD.enabled = self.prev
        return False


class inference_mode(_DecoratorContextManager):
    """Matches `torch.inference_mode` (grad recording off; tensors made inside are ordinary tensors)."""

    def __init__(self, mode=True):
        self.mode = mode

    def __enter__(self):
        self.prev = (GRAD.enabled, GRAD.inference)
        if self.mode:
            GRAD.enabled = False
            GRAD.inference = True

    def __exit__(self, *exc):
        GRAD.enabled, GRAD.inference = self.prev
        return False

    def clone(self):
        return type(self)(self.mode)

    def __call__(self, func):
        if isinstance(func, bool):  # inference_mode(False) used as a decorator factory
            return type(self)(func)
        return super().__call__(func)
