"""Run the same call on ember and torch and compare: the shared helpers of the op-table tests."""

import os

import numpy as np
import torch

import ember

from op_db import NoGrad

# where ember's tensors are made (EMBER_TEST_DEVICE=cuda with a GPU, or with EMBER_FAKE_CUPY=1); results
# come back through .cpu() in to_numpy
DEVICE = os.environ.get("EMBER_TEST_DEVICE", "cpu")


def to_numpy(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().resolve_conj().resolve_neg()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.cpu().numpy()
    if isinstance(x, ember.Tensor):
        x = x.detach()
        if x.dtype == ember.bfloat16:
            x = x.float()
        return np.asarray(x.cpu().numpy())
    return x


def dtype_name(x):
    return str(x.dtype).split(".")[-1]


def build(args, lib, requires_grad):
    """Turn sample arguments into lib tensors; returns (converted args, leaf tensors needing grad)."""
    leaves = []

    def conv(a):
        if isinstance(a, NoGrad):
            return _tensor(lib, a.a)
        if isinstance(a, np.ndarray):
            t = _tensor(lib, a)
            if requires_grad and a.dtype.kind in "fc":
                t.requires_grad_(True)
                leaves.append(t)
            return t
        if isinstance(a, list):
            return [conv(x) for x in a]
        if isinstance(a, tuple):
            return tuple(conv(x) for x in a)
        if isinstance(a, dict):
            return {k: conv(v) for k, v in a.items()}
        if isinstance(a, str) and a.startswith("dtype:"):
            return getattr(lib, a[6:])
        return a

    return conv, leaves


def _tensor(lib, a):
    if lib is torch:
        return torch.tensor(a) if a.dtype.kind != "V" else torch.tensor(a.astype(np.float32)).bfloat16()
    return ember.tensor(a, device=DEVICE)


def call(op, lib, sample, requires_grad):
    conv, leaves = build(sample.args, lib, requires_grad)
    args = conv(sample.args)
    kwargs = conv(sample.kwargs)
    if op.inplace and requires_grad and isinstance(args[0], lib.Tensor) and args[0].requires_grad:
        args = (args[0] * 1,) + tuple(args[1:])
    name = op.torch_name if (lib is torch and op.torch_name) else op.name
    if op.method or name.startswith("Tensor."):
        mname = name.split(".", 1)[1] if name.startswith("Tensor.") else name
        out = getattr(args[0], mname)(*args[1:], **kwargs)
    else:
        fn = lib
        for part in name.split("."):
            fn = getattr(fn, part)
        out = fn(*args, **kwargs)
    return out, leaves


def flat_outputs(out):
    if isinstance(out, (ember.Tensor, torch.Tensor)):
        return [out]
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(flat_outputs(o))
        return res
    return [out]


def assert_close(got, exp, rtol, atol, what):
    g, e = to_numpy(got), to_numpy(exp)
    if isinstance(e, np.ndarray):
        assert isinstance(g, np.ndarray), f"{what}: expected a tensor, got {type(got).__name__}"
        assert g.shape == e.shape, f"{what}: shape {g.shape} != torch {e.shape}"
        if e.dtype == np.bool_ or e.dtype.kind in "iu":
            np.testing.assert_array_equal(g, e, err_msg=what)
        else:
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
    elif isinstance(e, float):
        assert np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True), f"{what}: {g} != torch {e}"
    else:
        assert g == e, f"{what}: {g!r} != torch {e!r}"


def _invoke(name, method, args, kwargs):
    if method:
        return getattr(args[0], name)(*args[1:], **kwargs)
    fn = ember
    for part in name.split("."):
        fn = getattr(fn, part)
    return fn(*args, **kwargs)


def check_error(err):
    """Bad input `err` (an op_db.ErrorInput): ember raises the exception type torch raises, and the ember
    tensors passed in are unchanged afterwards."""

    class _Op:
        name = err.name
        torch_name = None
        method = err.method
        inplace = False

    try:
        call(_Op, torch, err.sample, False)
    except Exception as e:  # noqa: BLE001
        texc = e
    else:
        raise AssertionError(f"{err.name}{err.sample}: torch raised nothing")
    conv, _ = build(err.sample.args, ember, False)
    args = conv(err.sample.args)
    kwargs = conv(err.sample.kwargs)
    tensors = [a for a in flat_outputs(list(args)) if isinstance(a, ember.Tensor)]
    before = [(to_numpy(t).copy(), t.shape, t.dtype, t._version) for t in tensors]
    try:
        _invoke(err.name, err.method, args, kwargs)
    except Exception as e:  # noqa: BLE001
        eexc = e
    else:
        raise AssertionError(
            f"{err.name}{err.sample}: ember raised nothing; torch raised {type(texc).__name__}: {texc}"
        )
    assert isinstance(eexc, type(texc)), (
        f"{err.name}{err.sample}: ember raised {type(eexc).__name__}: {eexc}; torch raised "
        f"{type(texc).__name__}: {texc}"
    )
    for t, (data, shape, dtype, ver) in zip(tensors, before):
        assert t.shape == shape and t.dtype == dtype and t._version == ver, f"{err.name}: input changed"
        np.testing.assert_array_equal(to_numpy(t), data)


# -- singular-vector gauge (device runs) ------------------------------------------------------------------
# An SVD is unique only up to a unit factor d_j per singular-vector pair (u_j d_j, v_j d_j); LAPACK and
# cuSOLVER choose differently. On a device, ember's vectors are mapped into torch's gauge before they are
# compared, and ember's upstream gradients are mapped the other way, so both sides compute the same loss.


def gauge_phases(op, got_outs, exp_outs):
    """d (..., k) with ember's j-th singular vectors = torch's times d_j; None when there is no gauge here."""
    if op.gauge is None or DEVICE == "cpu":
        return None
    ue, ut = to_numpy(got_outs[0]), to_numpy(exp_outs[0])
    k = to_numpy(exp_outs[1]).shape[-1]
    ip = np.sum(np.conj(ut[..., :, :k]) * ue[..., :, :k], axis=-2)
    mag = np.abs(ip)
    return np.where(mag > 0.5, ip / np.where(mag > 0, mag, 1), 1).astype(ip.dtype)


def to_torch_gauge(op, got_outs, exp_outs, d):
    """ember's (U, S, V or Vh) as arrays in torch's gauge; extra columns of a full U/V (any orthonormal
    completion) are checked for orthonormality and then taken from torch."""
    u, s_, v = (to_numpy(x).copy() for x in got_outs[:3])
    ut, vt = to_numpy(exp_outs[0]), to_numpy(exp_outs[2])
    k = s_.shape[-1]
    u[..., :, :k] *= np.conj(d)[..., None, :]
    if op.gauge == "V":
        v[..., :, :k] *= np.conj(d)[..., None, :]
    else:
        v[..., :k, :] *= d[..., :, None]
    for full, ref, cols in ((u, ut, True), (v, vt, op.gauge == "V")):
        n = full.shape[-1] if cols else full.shape[-2]
        if n > k:
            m = full if cols else np.swapaxes(full, -1, -2)
            gram = np.swapaxes(np.conj(m), -1, -2) @ m
            np.testing.assert_allclose(gram, np.broadcast_to(np.eye(n), gram.shape), atol=1e-4, err_msg="not unitary")
            if cols:
                full[..., :, k:] = ref[..., :, k:]
            else:
                full[..., k:, :] = ref[..., k:, :]
    return [u, s_, v] + list(got_outs[3:])


def gauge_upstream(op, ups, d):
    """ember's upstream gradients for (U, S, V or Vh) given torch's `ups`, so that ember's loss equals torch's;
    the gradients of the extra columns of a full U/V are zero for both libraries (callers pass them so)."""
    if d is None:
        return ups
    gu, gs, gv = (np.array(x, copy=True) for x in ups[:3])
    k = gs.shape[-1]
    gu[..., :, :k] *= d[..., None, :]
    if op.gauge == "V":
        gv[..., :, :k] *= d[..., None, :]
    else:
        gv[..., :k, :] *= np.conj(d)[..., :, None]
    return [gu, gs, gv] + list(ups[3:])


def drop_extra_columns(op, ups):
    """Zero the upstream gradients of the columns/rows past k of a full U/V (an arbitrary completion)."""
    if op.gauge is None or DEVICE == "cpu":
        return ups
    gu, gs, gv = (np.array(x, copy=True) for x in ups[:3])
    k = gs.shape[-1]
    gu[..., :, k:] = 0
    if op.gauge == "V":
        gv[..., :, k:] = 0
    else:
        gv[..., k:, :] = 0
    return [gu, gs, gv] + list(ups[3:])
