"""Matches `torch.nn.utils.stateless.functional_call`: call a module with some parameters/buffers replaced."""

import contextlib
import warnings

from ..._tensor import Tensor

__all__ = ["functional_call"]

_MISSING = object()


def _untie(module, mapping):
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    by_tensor = {}
    for name, t in named.items():
        by_tensor.setdefault(id(t), set()).add(name)
    tied = {n: names for names in by_tensor.values() if len(names) > 1 for n in names}
    given = [n for n in mapping if n in tied]
    for n in given:
        names = tied[n]
        if len(names.intersection(given)) > 1 and len({id(mapping[k]) for k in names if k in mapping}) != 1:
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(names)}, which are tied. Consider using "
                "tie_weights=False"
            )
    out = dict(mapping)
    for n in given:
        for k in tied[n]:
            out[k] = mapping[n]
    return out


def _owner(module, name):
    *path, attr = name.split(".")
    for p in path:
        module = getattr(module, p)
    return module, attr


def _swap(module, name, value):
    mod, attr = _owner(module, name)
    if attr in mod._parameters:
        old = mod._parameters[attr]
        if value is _MISSING:
            del mod._parameters[attr]
        else:
            mod._parameters[attr] = value
        return old
    if attr in mod._buffers:
        old = mod._buffers[attr]
        if value is _MISSING:
            del mod._buffers[attr]
        else:
            mod._buffers[attr] = value
        return old
    old = mod.__dict__.get(attr, _MISSING)
    if value is _MISSING:
        mod.__dict__.pop(attr, None)
    else:
        mod.__dict__[attr] = value
    return old


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, tie_weights=False, strict=False):
    mapping = _untie(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        keys = {k for k, _ in module.named_parameters(remove_duplicate=False)}
        keys |= {k for k, _ in module.named_buffers(remove_duplicate=False)}
        unexpected = sorted(set(mapping) - keys)
        missing = sorted(keys - set(mapping))
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError(
                "Error(s) in reparametrizing for {}:\n\t{}".format(module._get_name(), "\n\t".join(msgs))
            )
    originals = {}
    try:
        for name, value in mapping.items():
            if not isinstance(value, Tensor):
                raise TypeError(f"{value} is not an instance of torch.Tensor")
            originals[name] = _swap(module, name, value)
        yield
    finally:
        for name, old in reversed(originals.items()):
            _swap(module, name, old)


def _functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Matches `torch.nn.utils.stateless.functional_call` (deprecated in torch for `torch.func.functional_call`)."""
    warnings.warn(
        "`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed in a future "
        "version of PyTorch. Please use `torch.func.functional_call` instead which is a drop-in replacement.",
        FutureWarning,
        stacklevel=2,
    )
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
