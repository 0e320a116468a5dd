"""Copies of a module on several GPUs whose parameters stay tied to the original (torch.nn.parallel.replicate).

The replica on the module's own device uses its parameters and buffers themselves; on the other devices a
parameter is `param.to(device)`, so the gradients of every replica flow back and add up in the original
parameter's `.grad`. Buffers are copied without gradient (unless they require it), so buffer updates made in
a forward (batch norm's running statistics) reach the original module only from the first replica, as in torch.
"""

__all__ = ["replicate"]


def _index(device):
    if isinstance(device, int):
        return device
    from ...cuda._lazy import device_index  # noqa: PLC0415

    return device_index(device)


def _copies(tensors, devices, detach):
    """copies[j][i]: tensor i on devices[j] (itself where it already lives)."""
    out = []
    for d in devices:
        row = []
        for t in tensors:
            if t.device.type == "cuda" and t.device.index == d:
                row.append(t)
            elif detach or not t.requires_grad:
                row.append(t.detach().to(f"cuda:{d}"))
            else:
                row.append(t.to(f"cuda:{d}"))
        out.append(row)
    return out


def _replicate_module(m):
    r = m.__new__(type(m))
    r.__dict__ = m.__dict__.copy()
    r.__dict__["_parameters"] = {}  # a replica's parameters are plain attributes: no longer leaves
    r.__dict__["_buffers"] = dict(m._buffers)
    r.__dict__["_modules"] = dict(m._modules)
    r.__dict__["_is_replica"] = True
    r.__dict__["_former_parameters"] = {}
    return r


def replicate(network, devices, detach=False):
    """One copy of `network` per device in `devices` (ints, 'cuda:N' or ember.device), the first of which is
    where its parameters live."""
    devices = [_index(d) for d in devices]
    n = len(devices)
    params = list(network.parameters())
    param_indices = {id(p): i for i, p in enumerate(params)}
    param_copies = _copies(params, devices, detach)
    buffers = list(network.buffers())
    buffer_indices = {id(b): i for i, b in enumerate(buffers)}
    buffer_copies = _copies(buffers, devices, True)
    modules = list(network.modules())
    module_indices = {id(m): i for i, m in enumerate(modules)}
    copies = [[_replicate_module(m) for _ in range(n)] for m in modules]
    for i, m in enumerate(modules):
        for key, child in m._modules.items():
            for j in range(n):
                copies[i][j]._modules[key] = None if child is None else copies[module_indices[id(child)]][j]
        for key, p in m._parameters.items():
            for j in range(n):
                r = copies[i][j]
                value = None if p is None else param_copies[j][param_indices[id(p)]]
                r.__dict__[key] = value
                r._former_parameters[key] = value
        for key, b in m._buffers.items():
            for j in range(n):
                copies[i][j]._buffers[key] = None if b is None else buffer_copies[j][buffer_indices[id(b)]]
    return [copies[0][j] for j in range(n)]
