"""Compare an ember module with the same torch module: weights copied from torch, same inputs, forward
outputs, input gradients, parameter gradients and buffers must agree."""

import numpy as np
import torch

import ember


def to_np(t):
    t = t.detach()
    if t.dtype in (torch.bfloat16, ember.bfloat16):
        t = t.float()
    return np.asarray(t.cpu().numpy())


def copy_state(tmod, emod):
    """Load torch's state_dict into the ember module (through NumPy)."""
    sd = {
        k: ember.tensor(to_np(v)) if v.dtype != torch.bfloat16 else ember.tensor(to_np(v)).bfloat16()
        for k, v in tmod.state_dict().items()
    }
    emod.load_state_dict(sd)


def _flat(out):
    if isinstance(out, (torch.Tensor, ember.Tensor)):
        return [out]
    if isinstance(out, (tuple, list)):
        r = []
        for o in out:
            r.extend(_flat(o))
        return r
    return []


def _check_device(t, device, what):
    if device != "cpu":
        want = ember.device(device)
        assert t.device.type == want.type, f"{what}: on {t.device}, expected {device}"
        if want.index is not None:
            assert t.device == want and t._data.device.id == want.index, f"{what}: on {t.device}, expected {device}"


def compare_module(tmod, emod, *inputs, train=True, rtol=1e-5, atol=1e-5, grad=True, seed=0, kwargs=None, device="cpu"):
    """inputs: NumPy arrays (floating ones require grad) or other Python values passed unchanged.

    device: where the ember module (moved there with `.to(device)` after torch's weights are loaded) and
    its inputs live; torch runs on the CPU as the oracle and ember's results are compared through `.cpu()`.
    """
    kwargs = kwargs or {}
    copy_state(tmod, emod)
    if device != "cpu":
        emod.to(device)
    tmod.train(train)
    emod.train(train)
    t_in, e_in = [], []
    for a in inputs:
        if isinstance(a, np.ndarray):
            rg = grad and a.dtype.kind == "f"
            t_in.append(torch.tensor(a, requires_grad=rg))
            e_in.append(ember.tensor(a, device=device, requires_grad=rg))
        else:
            t_in.append(a)
            e_in.append(a)
    tout, eout = tmod(*t_in, **kwargs), emod(*e_in, **kwargs)
    tf, ef = _flat(tout), _flat(eout)
    assert len(tf) == len(ef), f"{len(ef)} outputs, torch has {len(tf)}"
    for i, (t, e) in enumerate(zip(tf, ef)):
        assert tuple(t.shape) == tuple(e.shape), f"output {i}: shape {tuple(e.shape)} vs torch {tuple(t.shape)}"
        assert str(t.dtype)[6:] == str(e.dtype)[6:], f"output {i}: dtype {e.dtype} vs torch {t.dtype}"
        _check_device(e, device, f"output {i}")
        np.testing.assert_allclose(to_np(e), to_np(t), rtol=rtol, atol=atol, err_msg=f"output {i}")
    for (name, tb), (ename, eb) in zip(tmod.named_buffers(), emod.named_buffers()):
        assert name == ename
        _check_device(eb, device, f"buffer {name}")
        np.testing.assert_allclose(to_np(eb), to_np(tb), rtol=rtol, atol=atol, err_msg=f"buffer {name}")
    if not grad:
        return tout, eout
    diff = [(t, e) for t, e in zip(tf, ef) if t.requires_grad]
    if not diff:
        return tout, eout
    rng = np.random.default_rng(seed)
    ups = [rng.standard_normal(tuple(t.shape)).astype(to_np(t).dtype) for t, _ in diff]
    torch.autograd.backward([t for t, _ in diff], [torch.tensor(u) for u in ups])
    ember.autograd.backward([e for _, e in diff], [ember.tensor(u, device=e.device) for (_, e), u in zip(diff, ups)])
    for i, (t, e) in enumerate(zip(t_in, e_in)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            assert (t.grad is None) == (e.grad is None), f"input {i} grad presence"
            if t.grad is not None:
                _check_device(e.grad, device, f"grad of input {i}")
                np.testing.assert_allclose(
                    to_np(e.grad), to_np(t.grad), rtol=rtol * 10, atol=atol * 10, err_msg=f"grad of input {i}"
                )
    tp, ep = dict(tmod.named_parameters()), dict(emod.named_parameters())
    assert list(tp) == list(ep), f"parameter names {list(ep)} vs torch {list(tp)}"
    for name in tp:
        tg, eg = tp[name].grad, ep[name].grad
        assert (tg is None) == (eg is None), f"grad presence of {name}"
        if tg is not None:
            _check_device(eg, device, f"grad of {name}")
            np.testing.assert_allclose(to_np(eg), to_np(tg), rtol=rtol * 10, atol=atol * 10, err_msg=f"grad of {name}")
    return tout, eout
