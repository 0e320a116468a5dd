"""Padding layers: Zero/Constant/Reflection/Replication/Circular Pad 1d/2d/3d."""

from ..functional.vision import pad
from .module import Module

__all__ = [f"{k}Pad{d}d" for k in ("Zero", "Constant", "Reflection", "Replication", "Circular") for d in (1, 2, 3)]


def _ntuple(p, n):
    if isinstance(p, int):
        return (p,) * n
    return tuple(p)


class _PadNd(Module):
    __constants__ = ["padding"]
    _mode = "constant"
    _d = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(padding, 2 * self._d)

    def _check_input_dim(self, input):
        d = input.dim()
        if d != self._d + 1 and d != self._d + 2:
            raise ValueError(f"expected {self._d + 1}D or {self._d + 2}D input (got {d}D input)")

    def forward(self, input):
        if self._mode == "circular":
            self._check_input_dim(input)
        return pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(Module):
    __constants__ = ["padding", "value"]
    _d = 1

    def __init__(self, padding, value):
        super().__init__()
        self.padding = _ntuple(padding, 2 * self._d)
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


def _make(name, base, mode, d):
    attrs = {"_d": d, "__doc__": f"Matches `torch.nn.{name}`."}
    if mode is not None:
        attrs["_mode"] = mode
    return type(name, (base,), attrs)


ReflectionPad1d = _make("ReflectionPad1d", _PadNd, "reflect", 1)
ReflectionPad2d = _make("ReflectionPad2d", _PadNd, "reflect", 2)
ReflectionPad3d = _make("ReflectionPad3d", _PadNd, "reflect", 3)
ReplicationPad1d = _make("ReplicationPad1d", _PadNd, "replicate", 1)
ReplicationPad2d = _make("ReplicationPad2d", _PadNd, "replicate", 2)
ReplicationPad3d = _make("ReplicationPad3d", _PadNd, "replicate", 3)
CircularPad1d = _make("CircularPad1d", _PadNd, "circular", 1)
CircularPad2d = _make("CircularPad2d", _PadNd, "circular", 2)
CircularPad3d = _make("CircularPad3d", _PadNd, "circular", 3)
ConstantPad1d = _make("ConstantPad1d", _ConstantPadNd, None, 1)
ConstantPad2d = _make("ConstantPad2d", _ConstantPadNd, None, 2)
ConstantPad3d = _make("ConstantPad3d", _ConstantPadNd, None, 3)


class _ZeroPadMixin:
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadMixin, ConstantPad1d):
    """Matches `torch.nn.ZeroPad1d`."""


class ZeroPad2d(_ZeroPadMixin, ConstantPad2d):
    """Matches `torch.nn.ZeroPad2d`."""


class ZeroPad3d(_ZeroPadMixin, ConstantPad3d):
    """Matches `torch.nn.ZeroPad3d`."""
