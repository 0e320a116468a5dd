"""Parameter, Buffer and the uninitialized parameter of lazy modules."""

from .._tensor import Tensor, _init, _vc_of

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]


class Parameter(Tensor):
    """Matches `torch.nn.Parameter`: a leaf tensor that modules register as a parameter."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .. import _ops  # noqa: PLC0415

            data = _ops.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): expected a Tensor as data, got {type(data).__name__}")
        t = object.__new__(cls)
        _init(t, data._data)
        t._vc = _vc_of(data)
        if requires_grad:
            t.requires_grad_(True)
        return t

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.detach(), self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self._requires_grad)
        memo[id(self)] = result
        return result


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """Matches `torch.nn.Buffer`: assigning one to a module attribute registers it as a buffer."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .. import _ops  # noqa: PLC0415

            data = _ops.empty(0)
        t = object.__new__(cls)
        _init(t, data._data)
        t._vc = _vc_of(data)
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent=True):
        pass


class UninitializedParameter(Parameter):
    """Matches `torch.nn.UninitializedParameter`: shape is set by materialize()."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from .. import _ops  # noqa: PLC0415

        t = Parameter.__new__(cls, _ops.empty(0, device=device, dtype=dtype), requires_grad)
        return t

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass

    def materialize(self, shape, device=None, dtype=None):
        from .. import _ops  # noqa: PLC0415

        dtype = dtype or self.dtype
        new = _ops.empty(*shape, dtype=dtype, device=device or self.device)
        self._data = new._data
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return "<UninitializedParameter>"


class UninitializedBuffer(Tensor):
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None):
        from .. import _ops  # noqa: PLC0415

        t = object.__new__(cls)
        _init(t, _ops.empty(0, device=device, dtype=dtype)._data)
        return t

    def materialize(self, shape, device=None, dtype=None):
        from .. import _ops  # noqa: PLC0415

        self._data = _ops.empty(*shape, dtype=dtype or self.dtype, device=device or self.device)._data
        self.__class__ = self.cls_to_become


def is_lazy(param):
    return isinstance(param, (UninitializedParameter, UninitializedBuffer))
