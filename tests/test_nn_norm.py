"""Normalization layers against torch: outputs, gradients, running statistics, reprs and errors."""

import warnings

import numpy as np
import pytest
import torch

import ember

from nn_compare import compare_module, copy_state, to_np

RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype) * 2 + 0.5


def train_steps(tmod, emod, shape, steps=4):
    """Several train steps without re-copying state: running stats must track torch's."""
    copy_state(tmod, emod)
    tmod.train()
    emod.train()
    for _ in range(steps):
        x = rand(*shape)
        to, eo = tmod(torch.tensor(x)), emod(ember.tensor(x))
        np.testing.assert_allclose(to_np(eo), to_np(to), rtol=1e-5, atol=1e-5)
    for (n, tb), (en, eb) in zip(tmod.named_buffers(), emod.named_buffers()):
        assert n == en
        np.testing.assert_allclose(to_np(eb), to_np(tb), rtol=1e-5, atol=1e-6, err_msg=n)
    tmod.eval()
    emod.eval()
    x = rand(*shape)
    np.testing.assert_allclose(to_np(emod(ember.tensor(x))), to_np(tmod(torch.tensor(x))), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "cls,shape",
    [
        ("BatchNorm1d", (4, 3)),
        ("BatchNorm1d", (4, 3, 5)),
        ("BatchNorm2d", (4, 3, 5, 6)),
        ("BatchNorm3d", (2, 3, 2, 3, 4)),
    ],
)
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"momentum": None},
        {"momentum": 0.3, "eps": 1e-3},
        {"affine": False},
        {"track_running_stats": False},
        {"bias": False},
    ],
)
def test_batchnorm(cls, shape, kw):
    t, e = getattr(torch.nn, cls)(3, **kw), getattr(ember.nn, cls)(3, **kw)
    assert repr(t) == repr(e)
    compare_module(t, e, rand(*shape), train=True)
    compare_module(t, e, rand(*shape), train=False)
    train_steps(t, e, shape)
    if t.num_batches_tracked is not None:
        assert int(e.num_batches_tracked) == int(t.num_batches_tracked)


def test_batchnorm_grad_fn_and_errors():
    e = ember.nn.BatchNorm2d(3)
    y = e(ember.randn(2, 3, 4, 4, requires_grad=True))
    assert type(y.grad_fn).__name__ == "NativeBatchNormBackward0"
    assert repr(e) == "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    assert [n for n, _ in e.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert e.num_batches_tracked.dtype == ember.int64
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        e(ember.zeros(3, 4, 4))
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        e(ember.zeros(2, 4, 4, 4))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        ember.nn.BatchNorm1d(3)(ember.zeros(1, 3))
    with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
        ember.nn.functional.batch_norm(ember.zeros(2, 3), None, None, training=False)
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        ember.nn.BatchNorm1d(3)(ember.zeros(2, 3, 4, 4))


def test_batchnorm_eval_without_running_stats_uses_batch_stats():
    t, e = torch.nn.BatchNorm2d(3, track_running_stats=False), ember.nn.BatchNorm2d(3, track_running_stats=False)
    compare_module(t, e, rand(2, 3, 4, 4), train=False)


def test_functional_batch_norm_updates_running_stats():
    x = rand(5, 3, 4)
    rm_t, rv_t = torch.zeros(3), torch.ones(3)
    rm_e, rv_e = ember.zeros(3), ember.ones(3)
    torch.nn.functional.batch_norm(torch.tensor(x), rm_t, rv_t, training=True, momentum=0.2)
    ember.nn.functional.batch_norm(ember.tensor(x), rm_e, rv_e, training=True, momentum=0.2)
    np.testing.assert_allclose(rm_e.numpy(), rm_t.numpy(), rtol=1e-6)
    np.testing.assert_allclose(rv_e.numpy(), rv_t.numpy(), rtol=1e-6)
    # written in place without a version bump, as torch's kernel writes them
    assert (rm_e._version, rv_e._version) == (rm_t._version, rv_t._version) == (0, 0)
    mt, me = torch.nn.BatchNorm1d(3), ember.nn.BatchNorm1d(3)
    mt(torch.tensor(x))
    me(ember.tensor(x))
    assert me.running_mean._version == mt.running_mean._version


def _double_backward(name):
    x = rand(3, 4, 5, dtype=np.float64)
    res = []
    for lib in (torch, ember):
        F = lib.nn.functional
        xx = lib.tensor(x, requires_grad=True)
        w = lib.tensor(np.arange(1.0, 5.0), requires_grad=True)
        b = lib.tensor(np.arange(4.0) / 3, requires_grad=True)
        if name == "batch_norm":
            y = F.batch_norm(xx, None, None, w, b, training=True)
        elif name == "batch_norm_eval":
            y = F.batch_norm(xx, lib.tensor(np.arange(4.0)), lib.tensor(np.arange(1.0, 5.0)), w, b)
        elif name == "layer_norm":
            w = lib.tensor(np.arange(1.0, 6.0), requires_grad=True)
            b = lib.tensor(np.arange(5.0) / 3, requires_grad=True)
            y = F.layer_norm(xx, (5,), w, b)
        else:
            y = F.group_norm(xx, 2, w, b)
        gs = lib.autograd.grad((y**3).sum(), (xx, w, b), create_graph=True)
        gg = lib.autograd.grad(sum((g**2).sum() for g in gs), (xx, w))
        res.append([to_np(a) for a in gs + gg])
    for a, b in zip(*res):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ["batch_norm", "batch_norm_eval", "layer_norm", "group_norm"])
def test_double_backward(name):
    _double_backward(name)


@pytest.mark.parametrize("shape,ns", [((4, 6), 6), ((2, 3, 4, 5), (4, 5)), ((2, 3, 4), [4])])
@pytest.mark.parametrize("kw", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-3}])
def test_layernorm(shape, ns, kw):
    t, e = torch.nn.LayerNorm(ns, **kw), ember.nn.LayerNorm(ns, **kw)
    assert repr(t) == repr(e)
    with torch.no_grad():
        for p in t.parameters():
            p.copy_(torch.randn(p.shape))
    compare_module(t, e, rand(*shape))
    x = ember.tensor(rand(*shape), requires_grad=True)
    assert type(e(x).grad_fn).__name__ == "NativeLayerNormBackward0"
    with pytest.raises(RuntimeError, match="Given normalized_shape="):
        e(ember.zeros(2, 7))


@pytest.mark.parametrize(
    "G,C,shape", [(1, 4, (2, 4, 3)), (2, 4, (2, 4, 3, 3)), (4, 4, (3, 4, 3)), (3, 6, (2, 6, 2, 2, 2))]
)
@pytest.mark.parametrize("affine", [True, False])
def test_groupnorm(G, C, shape, affine):
    t, e = torch.nn.GroupNorm(G, C, affine=affine), ember.nn.GroupNorm(G, C, affine=affine)
    assert repr(t) == repr(e)
    if affine:
        with torch.no_grad():
            t.weight.copy_(torch.randn(C))
            t.bias.copy_(torch.randn(C))
    compare_module(t, e, rand(*shape))


def test_groupnorm_errors():
    with pytest.raises(ValueError, match="must be divisible by num_groups"):
        ember.nn.GroupNorm(2, 3)
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        ember.nn.functional.group_norm(ember.zeros(2, 3, 4), 2)


@pytest.mark.parametrize(
    "cls,shape",
    [
        ("InstanceNorm1d", (2, 3, 5)),
        ("InstanceNorm1d", (3, 5)),
        ("InstanceNorm2d", (2, 3, 4, 5)),
        ("InstanceNorm3d", (2, 3, 2, 3, 4)),
    ],
)
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"affine": True},
        {"track_running_stats": True},
        {"affine": True, "track_running_stats": True, "momentum": 0.3},
    ],
)
def test_instancenorm(cls, shape, kw):
    t, e = getattr(torch.nn, cls)(3, **kw), getattr(ember.nn, cls)(3, **kw)
    assert repr(t) == repr(e)
    compare_module(t, e, rand(*shape), train=True)
    compare_module(t, e, rand(*shape), train=False)
    train_steps(t, e, shape)


def test_instancenorm_errors():
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        ember.nn.InstanceNorm2d(3)(ember.zeros(3, 4))
    with pytest.raises(ValueError, match="to match num_features"):
        ember.nn.InstanceNorm2d(4, affine=True)(ember.zeros(2, 3, 4, 4))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ember.nn.InstanceNorm2d(4)(ember.zeros(2, 3, 4, 4))
    assert any("does not match num_features" in str(x.message) for x in w)


@pytest.mark.parametrize("ns,kw", [(5, {}), ((4, 5), {"eps": 1e-3}), (5, {"elementwise_affine": False})])
def test_rmsnorm(ns, kw):
    t, e = torch.nn.RMSNorm(ns, **kw), ember.nn.RMSNorm(ns, **kw)
    assert repr(t) == repr(e)
    compare_module(t, e, rand(2, 3, 4, 5))


@pytest.mark.parametrize("size,shape", [(2, (2, 5, 4)), (3, (2, 6, 3, 3)), (4, (1, 5, 2, 2, 3)), (1, (2, 3, 4))])
def test_local_response_norm(size, shape):
    t, e = torch.nn.LocalResponseNorm(size, alpha=0.1, beta=0.6, k=2.0), ember.nn.LocalResponseNorm(size, 0.1, 0.6, 2.0)
    assert repr(t) == repr(e)
    compare_module(t, e, rand(*shape))
    with pytest.raises(ValueError, match="Expected 3D or higher"):
        e(ember.zeros(2, 3))


def test_state_dict_roundtrip_and_defaults():
    e = ember.nn.BatchNorm2d(4)
    assert list(e.state_dict()) == list(torch.nn.BatchNorm2d(4).state_dict())
    np.testing.assert_array_equal(e.weight.detach().numpy(), np.ones(4, np.float32))
    np.testing.assert_array_equal(e.bias.detach().numpy(), np.zeros(4, np.float32))
    sd = {k: v for k, v in torch.nn.BatchNorm2d(4).state_dict().items() if k != "num_batches_tracked"}
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in sd.items()})
    assert list(ember.nn.LayerNorm(3).state_dict()) == ["weight", "bias"]
    assert list(ember.nn.InstanceNorm1d(3).state_dict()) == []
