"""Autocast against torch's CPU autocast (bfloat16): the state API, the context manager/decorator, and the
cast policies, applied with ember._autocast.autocast_op to local wrappers of ember's ops."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.amp
import ember.cpu
import ember.cuda
import ember.nn.functional as F
from ember import _autocast as A
from ember._autocast import AUTOCAST, autocast_op

from oracle import to_numpy


@pytest.fixture(autouse=True)
def _clean_state():
    yield
    for dev in ("cpu", "cuda"):
        A.set_autocast_enabled(dev, False)
    A.set_autocast_dtype("cpu", ember.bfloat16)
    A.set_autocast_dtype("cuda", ember.float16)
    A.set_autocast_cache_enabled(True)
    assert not AUTOCAST.on


def _dt(d):
    return str(d).split(".")[-1]


# -- state API ------------------------------------------------------------------------------------------


def test_defaults_match_torch():
    for dev in ("cpu", "cuda", "mps", "xpu", "hpu", "ipu"):
        assert _dt(A.get_autocast_dtype(dev)) == _dt(torch.get_autocast_dtype(dev)), dev
        assert A.is_autocast_enabled(dev) is torch.is_autocast_enabled(dev) is False
        assert A.is_autocast_available(dev) is torch.amp.is_autocast_available(dev) is True
    assert A.is_autocast_enabled() is torch.is_autocast_enabled() is False
    assert A.is_autocast_cache_enabled() is torch.is_autocast_cache_enabled() is True


def test_set_and_get():
    A.set_autocast_enabled("cpu", True)
    assert A.is_autocast_enabled("cpu") and AUTOCAST.on
    A.set_autocast_enabled("cpu", False)
    assert not AUTOCAST.on
    A.set_autocast_enabled(True)  # legacy one-argument form: cuda
    assert A.is_autocast_enabled("cuda") and A.is_autocast_enabled()
    A.set_autocast_enabled(False)
    A.set_autocast_dtype("cpu", ember.float16)
    assert A.get_autocast_dtype("cpu") is ember.float16
    assert A.autocast_increment_nesting() == 1
    assert A.autocast_decrement_nesting() == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.autocast(1),
        lambda m: m.autocast("xyz"),
        lambda m: m.autocast("cpu")(3),
    ],
)
def test_constructor_errors_match_torch(call):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(type(te.value)) as ee:
        call(ember.amp)
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("name", ["get_autocast_dtype", "is_autocast_enabled"])
def test_bad_device_type(name):
    with pytest.raises(RuntimeError) as te:
        getattr(torch, name)("xyz")
    with pytest.raises(RuntimeError) as ee:
        getattr(A, name)("xyz")
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_unsupported_cpu_dtype_warns_and_disables(dt):
    with pytest.warns(UserWarning) as tw:
        t = torch.autocast("cpu", dtype=getattr(torch, dt))
    with pytest.warns(UserWarning) as ew:
        e = ember.amp.autocast("cpu", dtype=getattr(ember, dt))
    assert str(ew[0].message).replace("ember.", "torch.") == str(tw[0].message)
    assert e._enabled is t._enabled is False


@pytest.mark.skipif(ember.cuda.is_available(), reason="no-GPU behaviour")
def test_cuda_autocast_without_cuda_warns_and_disables():
    with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. Disabling autocast."):
        with torch.autocast("cuda"):
            t = torch.is_autocast_enabled("cuda")
    with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. Disabling autocast."):
        with ember.amp.autocast("cuda"):
            e = A.is_autocast_enabled("cuda")
    assert e is t is False


def test_context_manager_nesting_and_restore():
    with ember.amp.autocast("cpu") as ac:
        assert isinstance(ac, ember.amp.autocast)
        assert A.is_autocast_enabled("cpu") and A.get_autocast_dtype("cpu") is ember.bfloat16
        with ember.amp.autocast("cpu", enabled=False):
            assert not A.is_autocast_enabled("cpu") and not AUTOCAST.on
        assert A.is_autocast_enabled("cpu")
        with ember.amp.autocast("cpu", dtype=ember.float16):
            assert A.get_autocast_dtype("cpu") is ember.float16
        assert A.get_autocast_dtype("cpu") is ember.bfloat16
    assert not A.is_autocast_enabled("cpu")
    with pytest.raises(ZeroDivisionError):
        with ember.amp.autocast("cpu", cache_enabled=False):
            assert not A.is_autocast_cache_enabled()
            1 / 0  # noqa: B018
    assert not A.is_autocast_enabled("cpu") and A.is_autocast_cache_enabled() and AUTOCAST.nesting == 0


def test_decorator():
    @ember.amp.autocast("cpu")
    def f():
        return A.is_autocast_enabled("cpu"), A.get_autocast_dtype("cpu")

    assert f() == (True, ember.bfloat16)
    assert not A.is_autocast_enabled("cpu")
    assert f.__name__ == "f"


def test_deprecated_aliases_warn_like_torch():
    with pytest.warns(FutureWarning) as tw:
        torch.cpu.amp.autocast()
    with pytest.warns(FutureWarning) as ew:
        a = ember.cpu.amp.autocast()
    assert str(ew[0].message) == str(tw[0].message)
    assert a.device == "cpu" and a.fast_dtype is ember.bfloat16
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        torch.cuda.amp.autocast()
    with warnings.catch_warnings(record=True) as ew:
        warnings.simplefilter("always")
        a = ember.cuda.amp.autocast()
    assert [(type(w.message), str(w.message)) for w in ew] == [(type(w.message), str(w.message)) for w in tw]
    assert a.device == "cuda" and a.fast_dtype is ember.float16


# -- cast policies, on local wrappers ------------------------------------------------------------------

matmul = autocast_op("matmul")(ember.matmul)
mm = autocast_op("mm")(ember.mm)
bmm = autocast_op("bmm")(ember.bmm)
addmm = autocast_op("addmm")(ember.addmm)
linear = autocast_op("linear")(F.linear)
conv1d = autocast_op("conv1d")(F.conv1d)
conv2d = autocast_op("conv2d")(F.conv2d)
softmax = autocast_op("softmax")(F.softmax)
cross_entropy = autocast_op("cross_entropy")(F.cross_entropy)
mse_loss = autocast_op("mse_loss")(F.mse_loss)
cat = autocast_op("cat")(ember.cat)
stack = autocast_op("stack")(ember.stack)


def _arr(rng, shape, dt="float32"):
    return rng.standard_normal(shape).astype(dt)


def _both(a):
    if isinstance(a, np.ndarray):
        if a.dtype.kind == "f":
            return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        return ember.tensor(a), torch.tensor(a)
    if a == "bf16":
        raise AssertionError
    return a, a


CASES = [
    # (ember fn, torch fn, arrays, kwargs)
    ("matmul", matmul, torch.matmul, [(4, 5), (5, 3)], {}),
    ("matmul-batched", matmul, torch.matmul, [(2, 4, 5), (5, 3)], {}),
    ("mm", mm, torch.mm, [(4, 5), (5, 3)], {}),
    ("bmm", bmm, torch.bmm, [(2, 4, 5), (2, 5, 3)], {}),
    ("addmm", addmm, torch.addmm, [(4, 3), (4, 5), (5, 3)], {}),
    ("linear", linear, TF.linear, [(4, 5), (3, 5), (3,)], {}),
    ("conv1d", conv1d, TF.conv1d, [(2, 3, 8), (4, 3, 3)], {"padding": 1}),
    ("conv2d", conv2d, TF.conv2d, [(2, 3, 6, 6), (4, 3, 3, 3), (4,)], {"stride": 2}),
    ("softmax", softmax, TF.softmax, [(4, 5)], {"dim": -1}),
    ("mse_loss", mse_loss, TF.mse_loss, [(4, 5), (4, 5)], {}),
]


@pytest.mark.parametrize("dt", ["float32", "bfloat16", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_policy_matches_torch_cpu_autocast(case, dt):
    _, efn, tfn, shapes, kw = case
    rng = np.random.default_rng(0)
    arrays = [_arr(rng, s) for s in shapes]
    et = [ember.tensor(a).to(getattr(ember, dt)).requires_grad_() for a in arrays]
    tt = [torch.tensor(a).to(getattr(torch, dt)).requires_grad_() for a in arrays]
    with ember.amp.autocast("cpu"):
        eo = efn(*et, **kw)
    with torch.autocast("cpu"):
        to = tfn(*tt, **kw)
    assert _dt(eo.dtype) == _dt(to.dtype)
    assert type(eo.grad_fn).__name__ == type(to.grad_fn).__name__
    tol = 2e-2 if "bfloat16" in (_dt(eo.dtype), dt) else 1e-5
    np.testing.assert_allclose(to_numpy(eo), to_numpy(to), rtol=tol, atol=tol)
    g = rng.standard_normal(tuple(to.shape)).astype(np.float32)
    eo.backward(ember.tensor(g).to(eo.dtype))
    to.backward(torch.tensor(g).to(to.dtype))
    for e, t in zip(et, tt):
        assert _dt(e.grad.dtype) == _dt(t.grad.dtype)
        np.testing.assert_allclose(to_numpy(e.grad), to_numpy(t.grad), rtol=tol * 2, atol=tol * 2)


def test_fp32_policy_upcasts_bfloat16():
    rng = np.random.default_rng(1)
    x, y = _arr(rng, (4, 5)), np.array([0, 1, 2, 4])
    ex = ember.tensor(x).bfloat16().requires_grad_()
    tx = torch.tensor(x).bfloat16().requires_grad_()
    with ember.amp.autocast("cpu"):
        el = cross_entropy(ex, ember.tensor(y))
    with torch.autocast("cpu"):
        tl = TF.cross_entropy(tx, torch.tensor(y))
    assert _dt(el.dtype) == _dt(tl.dtype) == "float32"
    np.testing.assert_allclose(el.item(), tl.item(), rtol=1e-6)
    el.backward()
    tl.backward()
    assert _dt(ex.grad.dtype) == _dt(tx.grad.dtype) == "bfloat16"
    np.testing.assert_allclose(to_numpy(ex.grad), to_numpy(tx.grad), rtol=1e-2, atol=1e-3)


@pytest.mark.parametrize("fn,tfn", [(cat, torch.cat), (stack, torch.stack)])
def test_promote_policy(fn, tfn):
    rng = np.random.default_rng(2)
    a, b = _arr(rng, (2, 3)), _arr(rng, (2, 3))
    for da, db in [("bfloat16", "float32"), ("bfloat16", "bfloat16"), ("float64", "bfloat16")]:
        with ember.amp.autocast("cpu"):
            eo = fn([ember.tensor(a).to(getattr(ember, da)), ember.tensor(b).to(getattr(ember, db))])
        with torch.autocast("cpu"):
            to = tfn([torch.tensor(a).to(getattr(torch, da)), torch.tensor(b).to(getattr(torch, db))])
        assert _dt(eo.dtype) == _dt(to.dtype), (da, db)
        np.testing.assert_allclose(to_numpy(eo), to_numpy(to), rtol=1e-2)


def test_integer_and_float64_inputs_are_not_cast():
    a = np.arange(12, dtype=np.int64).reshape(3, 4)
    with ember.amp.autocast("cpu"):
        eo = matmul(ember.tensor(a), ember.tensor(a.T.copy()))
    with torch.autocast("cpu"):
        to = torch.matmul(torch.tensor(a), torch.tensor(a.T.copy()))
    assert _dt(eo.dtype) == _dt(to.dtype) == "int64"


def test_autocast_off_and_disabled_region_leave_ops_alone():
    x = ember.randn(3, 4)
    w = ember.randn(5, 4)
    assert linear(x, w).dtype is ember.float32
    with ember.amp.autocast("cpu"):
        with ember.amp.autocast("cpu", enabled=False):
            assert linear(x, w).dtype is ember.float32
        assert linear(x, w).dtype is ember.bfloat16


def test_float16_target_dtype():
    rng = np.random.default_rng(3)
    a, b = _arr(rng, (4, 5)), _arr(rng, (5, 3))
    with ember.amp.autocast("cpu", dtype=ember.float16):
        eo = mm(ember.tensor(a), ember.tensor(b))
    with torch.autocast("cpu", dtype=torch.float16):
        to = torch.mm(torch.tensor(a), torch.tensor(b))
    assert _dt(eo.dtype) == _dt(to.dtype) == "float16"
    np.testing.assert_allclose(to_numpy(eo), to_numpy(to), rtol=2e-3, atol=2e-3)


def test_inner_ops_of_a_cast_op_are_not_cast_again():
    seen = []

    @autocast_op("fp32")
    def outer(x):
        seen.append(x.dtype)
        return linear(x, ember.ones(2, x.shape[-1]))  # would be lower precision if autocast were still on

    with ember.amp.autocast("cpu"):
        out = outer(ember.ones(3, 4, dtype=ember.bfloat16))
        assert AUTOCAST.on
    assert seen == [ember.float32] and out.dtype is ember.float32


def test_weight_cast_cache():
    w = ember.randn(5, 4, requires_grad=True)
    x = ember.randn(3, 4)
    with ember.amp.autocast("cpu"):
        linear(x, w)
        assert len(AUTOCAST.cache) == 1
        cast1 = AUTOCAST.cache[id(w)][1]
        out = linear(x, w)
        assert AUTOCAST.cache[id(w)][1] is cast1
        with ember.amp.autocast("cpu"):
            linear(x, w)
        assert len(AUTOCAST.cache) == 1  # kept until the outermost region exits
    assert not AUTOCAST.cache
    out.sum().backward()
    assert w.grad.dtype is ember.float32 and w.grad.shape == (5, 4)
    with ember.amp.autocast("cpu", cache_enabled=False):
        linear(x, w)
        assert not AUTOCAST.cache


def test_model_forward_backward_matches_torch():
    rng = np.random.default_rng(4)
    w1, b1, w2, b2 = _arr(rng, (8, 6)), _arr(rng, (8,)), _arr(rng, (3, 8)), _arr(rng, (3,))
    x, y = _arr(rng, (5, 6)), rng.integers(0, 3, 5)
    ep = [ember.tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]
    tp = [torch.tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]
    with ember.amp.autocast("cpu"):
        h = ember.relu(linear(ember.tensor(x), ep[0], ep[1]))
        el = cross_entropy(linear(h, ep[2], ep[3]), ember.tensor(y))
    with torch.autocast("cpu"):
        h = torch.relu(TF.linear(torch.tensor(x), tp[0], tp[1]))
        tl = TF.cross_entropy(TF.linear(h, tp[2], tp[3]), torch.tensor(y))
    assert _dt(el.dtype) == _dt(tl.dtype)
    np.testing.assert_allclose(el.item(), tl.item(), rtol=1e-3)
    el.backward()
    tl.backward()
    for e, t in zip(ep, tp):
        assert _dt(e.grad.dtype) == _dt(t.grad.dtype) == "float32"
        np.testing.assert_allclose(to_numpy(e.grad), to_numpy(t.grad), rtol=3e-2, atol=3e-2)


def test_policy_lists():
    for name in ("mm", "matmul", "linear", "conv2d", "bmm", "scaled_dot_product_attention", "prelu"):
        assert A.policy_for(name, "cpu") == "lower"
        assert A.policy_for(name, "cuda") == "lower"
    for name in ("mse_loss", "cross_entropy", "nll_loss", "binary_cross_entropy", "cdist"):
        assert A.policy_for(name, "cpu") == "fp32"
    assert A.policy_for("softmax", "cpu") is None
    assert A.policy_for("softmax", "cuda") == "fp32_set_opt_dtype"
    assert A.policy_for("sum", "cuda") == "fp32_set_opt_dtype"
    assert A.policy_for("layer_norm", "cuda") == "fp32"
    assert A.policy_for("cat", "cpu") == "promote" and A.policy_for("addcmul", "cuda") == "promote"
    assert A.policy_for("binary_cross_entropy", "cuda") == "banned"
    assert A.policy_for("relu", "cpu") is None and A.policy_for("relu", "cuda") is None
    with pytest.raises(RuntimeError, match="unsafe to autocast"):
        A._apply("banned", (), {}, "cuda")


def test_custom_fwd_casts_inputs():
    class Double(ember.autograd.Function):
        @staticmethod
        @ember.amp.custom_fwd(device_type="cpu", cast_inputs=ember.float32)
        def forward(ctx, x):
            ctx.dt = x.dtype
            ctx.inner = A.is_autocast_enabled("cpu")
            return x * 2

        @staticmethod
        @ember.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            return g * 2

    x = ember.ones(3, dtype=ember.bfloat16, requires_grad=True)
    with ember.amp.autocast("cpu"):
        y = Double.apply(x)
    assert y.dtype is ember.float32 and y.grad_fn.dt is ember.float32 and y.grad_fn.inner is False
    y.sum().backward()
    assert x.grad.dtype is ember.bfloat16


def test_real_ops_are_autocast():
    x = ember.randn(3, 4)
    w = ember.randn(5, 4)
    with ember.autocast("cpu"):
        assert ember.matmul(x, w.t()).dtype is ember.bfloat16
        assert (x @ w.t()).dtype is ember.bfloat16
        assert ember.mm(x, w.t()).dtype is ember.bfloat16
        assert F.linear(x, w).dtype is ember.bfloat16
        assert ember.nn.Linear(4, 5)(x).dtype is ember.bfloat16
        assert F.conv2d(ember.randn(1, 2, 5, 5), ember.randn(3, 2, 3, 3)).dtype is ember.bfloat16
        assert F.cross_entropy(ember.randn(3, 4).bfloat16(), ember.tensor([0, 1, 2])).dtype is ember.float32
        assert F.softmax(x.bfloat16(), -1).dtype is ember.bfloat16
    assert ember.get_autocast_dtype("cpu") is ember.bfloat16
    assert ember.is_autocast_enabled("cpu") is False
