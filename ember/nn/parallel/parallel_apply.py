"""Running each replica on its own inputs (torch.nn.parallel.parallel_apply).

torch starts one thread per replica. Here the replicas run one after another on the calling thread, each with
its GPU current: CUDA work is asynchronous, so one GPU computes while the next replica's kernels are being
launched, and grad mode and autocast state need no hand-over between threads.
"""

from ..._tensor import Tensor

__all__ = ["parallel_apply"]


def _first_device(obj):
    if isinstance(obj, Tensor):
        return obj.get_device()
    if isinstance(obj, (list, tuple)):
        for o in obj:
            d = _first_device(o)
            if d is not None:
                return d
    if isinstance(obj, dict):
        return _first_device(list(obj.values()))
    return None


def parallel_apply(modules, inputs, kwargs_tup=None, devices=None):
    """[modules[i](*inputs[i], **kwargs_tup[i])], each run with its device (or its inputs' GPU) current."""
    from ... import cuda  # noqa: PLC0415

    if len(modules) != len(inputs):
        raise AssertionError(f"The number of modules {len(modules)} is not equal to the number of inputs {len(inputs)}")
    if kwargs_tup is None:
        kwargs_tup = ({},) * len(modules)
    elif len(modules) != len(kwargs_tup):
        raise AssertionError(
            f"The number of modules {len(modules)} is not equal to the number of kwargs {len(kwargs_tup)}"
        )
    if devices is None:
        devices = [None] * len(modules)
    elif len(modules) != len(devices):
        raise AssertionError(
            f"The number of modules {len(modules)} is not equal to the number of devices {len(devices)}"
        )
    outputs = []
    for i, (module, inp, kwargs, device) in enumerate(zip(modules, inputs, kwargs_tup, devices)):
        if device is None:
            device = _first_device((inp, kwargs))
        if not isinstance(inp, (list, tuple)):
            inp = (inp,)
        try:
            with cuda.device(device if device is None or device >= 0 else None):
                outputs.append(module(*inp, **kwargs))
        except Exception as e:
            msg = f"Caught {type(e).__name__} in replica {i} on device {device}.\n{e}"
            try:
                err = type(e)(msg)
            except Exception:  # noqa: BLE001 - an exception type that takes other arguments: raise it as it is
                raise e from None
            raise err from e
    return outputs
