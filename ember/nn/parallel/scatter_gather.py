"""Splitting inputs between GPUs and gathering outputs back (torch.nn.parallel.scatter_gather).

Both are differentiable: a chunk moved to another device with `.to` sends its gradient back to the input's
device, and the gathered output's gradient is split and sent back to each replica's device.
"""

import warnings

from ..._ops import cat, chunk
from ..._tensor import Tensor

__all__ = ["gather", "scatter", "scatter_kwargs"]


def _is_namedtuple(obj):
    return isinstance(obj, tuple) and hasattr(obj, "_asdict") and hasattr(obj, "_fields")


def _device(d):
    return "cpu" if d == -1 else (f"cuda:{d}" if isinstance(d, int) else d)


def scatter(inputs, target_gpus, dim=0):
    """Slice the tensors in `inputs` into about equal chunks along `dim`, one per GPU of `target_gpus` (fewer
    when the dimension is shorter), through tuples, lists, named tuples and dicts; other objects are shared.
    Returns one entry per chunk."""

    def scatter_map(obj):
        if isinstance(obj, Tensor):
            return [c.to(_device(g)) for c, g in zip(chunk(obj, len(target_gpus), dim), target_gpus)]
        if _is_namedtuple(obj):
            return [type(obj)(*args) for args in zip(*map(scatter_map, obj))]
        if isinstance(obj, tuple) and len(obj) > 0:
            return list(zip(*map(scatter_map, obj)))
        if isinstance(obj, list) and len(obj) > 0:
            return [list(i) for i in zip(*map(scatter_map, obj))]
        if isinstance(obj, dict) and len(obj) > 0:
            return [type(obj)(i) for i in zip(*map(scatter_map, obj.items()))]
        return [obj for _ in target_gpus]

    return scatter_map(inputs)


def scatter_kwargs(inputs, kwargs, target_gpus, dim=0):
    """scatter for the positional and the keyword arguments, padded to the same number of chunks."""
    scattered_inputs = scatter(inputs, target_gpus, dim) if inputs else []
    scattered_kwargs = scatter(kwargs, target_gpus, dim) if kwargs else []
    if len(scattered_inputs) < len(scattered_kwargs):
        scattered_inputs.extend(() for _ in range(len(scattered_kwargs) - len(scattered_inputs)))
    elif len(scattered_kwargs) < len(scattered_inputs):
        scattered_kwargs.extend({} for _ in range(len(scattered_inputs) - len(scattered_kwargs)))
    return tuple(scattered_inputs), tuple(scattered_kwargs)


def _gather_tensors(outputs, target_device, dim):
    dev = _device(target_device)
    if all(t.dim() == 0 for t in outputs) and dim == 0:
        warnings.warn(
            "Was asked to gather along dimension 0, but all input tensors were scalars; will instead unsqueeze "
            "and return a vector.",
            stacklevel=4,
        )
        outputs = [t.reshape(1) for t in outputs]
    return cat([t.to(dev) for t in outputs], dim)


def gather(outputs, target_device, dim=0):
    """Concatenate the replicas' outputs along `dim` on `target_device` (-1: the CPU), through dicts, named
    tuples and other sequences."""

    def gather_map(outputs):
        out = outputs[0]
        if isinstance(out, Tensor):
            return _gather_tensors(outputs, target_device, dim)
        if out is None:
            return None
        if isinstance(out, dict):
            if not all(len(out) == len(d) for d in outputs):
                raise ValueError("All dicts must have the same number of keys")
            return type(out)((k, gather_map([d[k] for d in outputs])) for k in out)
        if _is_namedtuple(out):
            return type(out)._make(map(gather_map, zip(*outputs)))
        return type(out)(map(gather_map, zip(*outputs)))

    return gather_map(outputs)
