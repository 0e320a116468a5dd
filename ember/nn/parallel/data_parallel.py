"""Matches `torch.nn.DataParallel` and `torch.nn.parallel.data_parallel`: each forward splits the batch
between the GPUs, runs a replica of the module on each (its parameters tied to the module's, so gradients add
up in the module's `.grad`), and gathers the outputs on one device. Without a GPU the module runs as it is.
"""

import itertools
import warnings

from ..modules.module import Module
from .parallel_apply import parallel_apply
from .replicate import replicate
from .scatter_gather import gather, scatter_kwargs

__all__ = ["DataParallel", "data_parallel"]

_IMBALANCE_WARN = """
    There is an imbalance between your GPUs. You may want to exclude GPU {} which
    has less than 75% of the memory or cores of GPU {}. You can do so by setting
    the device_ids argument to DataParallel, or by setting the CUDA_VISIBLE_DEVICES
    environment variable."""


def _index(d):
    from ...cuda._lazy import device_index  # noqa: PLC0415

    return device_index(d, optional=True)


def _check_balance(device_ids):
    from ... import cuda  # noqa: PLC0415

    props = [cuda.get_device_properties(i) for i in device_ids]
    for key in ("total_memory", "multi_processor_count"):
        values = [getattr(p, key) for p in props]
        lo, hi = min(range(len(values)), key=values.__getitem__), max(range(len(values)), key=values.__getitem__)
        if values[lo] / values[hi] < 0.75:
            warnings.warn(_IMBALANCE_WARN.format(device_ids[lo], device_ids[hi]), stacklevel=3)
            return


class DataParallel(Module):
    """Matches `torch.nn.DataParallel`."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        from ... import cuda  # noqa: PLC0415
        from ..._device import device  # noqa: PLC0415

        if not cuda.is_available():
            self.module = module
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(cuda.device_count()))
        if not device_ids:
            raise RuntimeError("no available devices were found")
        if output_device is None:
            output_device = device_ids[0]
        self.dim = dim
        self.module = module
        self.device_ids = [_index(x) for x in device_ids]
        self.output_device = _index(output_device)
        self.src_device_obj = device("cuda", self.device_ids[0])
        if len(self.device_ids) > 1:
            _check_balance(self.device_ids)
        if len(self.device_ids) == 1:
            self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in itertools.chain(self.module.parameters(), self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError(
                    f"module must have its parameters and buffers on device {self.src_device_obj} (device_ids[0]) "
                    f"but found one of them on device: {t.device}"
                )
        inputs, module_kwargs = self.scatter(inputs, kwargs, self.device_ids)
        if not inputs and not module_kwargs:
            inputs, module_kwargs = ((),), ({},)
        if len(self.device_ids) == 1:
            return self.module(*inputs[0], **module_kwargs[0])
        replicas = self.replicate(self.module, self.device_ids[: len(inputs)])
        outputs = self.parallel_apply(replicas, inputs, module_kwargs)
        return self.gather(outputs, self.output_device)

    def replicate(self, module, device_ids):
        from ...autograd.grad_mode import GRAD  # noqa: PLC0415

        return replicate(module, device_ids, not GRAD.enabled)

    def scatter(self, inputs, kwargs, device_ids):
        return scatter_kwargs(inputs, kwargs, device_ids, dim=self.dim)

    def parallel_apply(self, replicas, inputs, kwargs):
        return parallel_apply(replicas, inputs, kwargs, self.device_ids[: len(replicas)])

    def gather(self, outputs, output_device):
        return gather(outputs, output_device, dim=self.dim)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """Matches `torch.nn.parallel.data_parallel`: DataParallel's forward, once, without the wrapper."""
    from ... import cuda  # noqa: PLC0415
    from ..._device import device  # noqa: PLC0415

    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    if not cuda.is_available():
        return module(*inputs, **(module_kwargs or {}))
    if device_ids is None:
        device_ids = list(range(cuda.device_count()))
    if output_device is None:
        output_device = device_ids[0]
    device_ids = [_index(x) for x in device_ids]
    output_device = _index(output_device)
    src = device("cuda", device_ids[0])
    for t in itertools.chain(module.parameters(), module.buffers()):
        if t.device != src:
            raise RuntimeError(
                f"module must have its parameters and buffers on device {src} (device_ids[0]) but found one of "
                f"them on device: {t.device}"
            )
    inputs, module_kwargs = scatter_kwargs(inputs, module_kwargs, device_ids, dim)
    if not inputs and not module_kwargs:
        inputs, module_kwargs = ((),), ({},)
    if len(device_ids) == 1:
        return module(*inputs[0], **module_kwargs[0])
    used = device_ids[: len(inputs)]
    from ...autograd.grad_mode import GRAD  # noqa: PLC0415

    replicas = replicate(module, used, not GRAD.enabled)
    outputs = parallel_apply(replicas, inputs, module_kwargs, used)
    return gather(outputs, output_device, dim)
