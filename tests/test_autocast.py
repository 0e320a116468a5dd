"""Autocast against torch's CPU autocast (bfloat16): the state API, the context manager/decorator, and the
cast policies, applied with ember._autocast.autocast_op to local wrappers of ember's ops."""

import inspect
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


# -- every hooked op against torch's cpu autocast (bfloat16) ----------------------------------------------


def _spd(rng, n=4):
    a = rng.standard_normal((n, n)).astype(np.float32)
    return a @ a.T + n * np.eye(n, dtype=np.float32)


def _tril(rng, n=4):
    return np.linalg.cholesky(_spd(rng, n)).astype(np.float32)


def _F(m):
    return m.nn.functional


def _unpool2d(m, x):
    y, i = _F(m).max_pool2d(x, 2, return_indices=True)
    return _F(m).max_unpool2d(y, i, 2)


def _unpool3d(m, x):
    y, i = _F(m).max_pool3d(x.float(), 2, return_indices=True)
    return _F(m).max_unpool3d(y.to(x.dtype), i, 2)


def _lu_solve(m, a, b):
    lu, piv = m.linalg.lu_factor(a.detach().float())
    return m.lu_solve(b, lu.to(a.dtype), piv)


IDX = np.array([0, 2, 1, 3])
T4 = np.array([1, 0, 3, 2])
SIGN = np.array([1.0, -1.0, 1.0, -1.0], dtype=np.float32)
# (id, op(m, *inputs) with m ember or torch, inputs, check gradient values)
# an input is a shape (random floats, requires grad), "spd"/"tril" (4x4 floats, requires grad) or an
# integer/constant array (no grad)
CPU_OPS = [
    # lower_precision_fp
    ("matmul", lambda m, a, b: m.matmul(a, b), [(3, 4), (4, 5)], True),
    ("matmul-op", lambda m, a, b: a @ b, [(2, 3, 4), (4, 5)], True),
    ("Tensor.matmul", lambda m, a, b: a.matmul(b), [(3, 4), (4, 5)], True),
    ("mm", lambda m, a, b: m.mm(a, b), [(3, 4), (4, 5)], True),
    ("Tensor.mm", lambda m, a, b: a.mm(b), [(3, 4), (4, 5)], True),
    ("bmm", lambda m, a, b: m.bmm(a, b), [(2, 3, 4), (2, 4, 5)], True),
    ("baddbmm", lambda m, c, a, b: m.baddbmm(c, a, b), [(2, 3, 5), (2, 3, 4), (2, 4, 5)], True),
    ("addmm", lambda m, c, a, b: m.addmm(c, a, b, beta=0.5), [(3, 5), (3, 4), (4, 5)], True),
    ("Tensor.addmm", lambda m, c, a, b: c.addmm(a, b), [(3, 5), (3, 4), (4, 5)], True),
    ("addbmm", lambda m, c, a, b: m.addbmm(c, a, b), [(3, 5), (2, 3, 4), (2, 4, 5)], True),
    ("linalg.vecdot", lambda m, a, b: m.linalg.vecdot(a, b), [(3, 4), (3, 4)], True),
    ("linear", lambda m, x, w, b: _F(m).linear(x, w, b), [(3, 4), (5, 4), (5,)], True),
    ("conv1d", lambda m, x, w: _F(m).conv1d(x, w), [(2, 3, 7), (4, 3, 3)], True),
    ("conv2d", lambda m, x, w: _F(m).conv2d(x, w, padding=1), [(2, 3, 5, 5), (4, 3, 3, 3)], True),
    ("conv3d", lambda m, x, w: _F(m).conv3d(x, w), [(1, 2, 4, 4, 4), (3, 2, 2, 2, 2)], True),
    ("conv_transpose1d", lambda m, x, w: _F(m).conv_transpose1d(x, w), [(2, 3, 5), (3, 4, 3)], True),
    ("conv_transpose2d", lambda m, x, w: _F(m).conv_transpose2d(x, w), [(1, 3, 4, 4), (3, 2, 3, 3)], True),
    ("conv_transpose3d", lambda m, x, w: _F(m).conv_transpose3d(x, w), [(1, 2, 3, 3, 3), (2, 2, 2, 2, 2)], True),
    ("prelu", lambda m, x, w: _F(m).prelu(x, w), [(2, 3, 4), (3,)], True),
    ("Tensor.prelu", lambda m, x, w: x.prelu(w), [(2, 3, 4), (3,)], True),
    ("ember.prelu", lambda m, x, w: m.prelu(x, w), [(2, 3, 4), (3,)], True),
    (
        "scaled_dot_product_attention",
        lambda m, q, k, v: _F(m).scaled_dot_product_attention(q, k, v, is_causal=True),
        [(2, 3, 4), (2, 3, 4), (2, 3, 4)],
        True,
    ),
    # fp32
    ("prod", lambda m, x: m.prod(x), [(3, 4)], True),
    ("Tensor.prod-dim", lambda m, x: x.prod(1), [(3, 4)], True),
    ("trace", lambda m, x: m.trace(x), [(4, 4)], True),
    ("Tensor.trace", lambda m, x: x.trace(), [(4, 4)], True),
    ("cdist", lambda m, a, b: m.cdist(a, b), [(3, 4), (5, 4)], True),
    ("polar", lambda m, a, b: m.polar(a, b), [(3, 4), (3, 4)], True),
    ("view_as_complex", lambda m, x: m.view_as_complex(x), [(3, 2)], True),
    ("stft", lambda m, x: m.stft(x, 8, window=m.hann_window(8), return_complex=True), [(32,)], True),
    ("Tensor.stft", lambda m, x: x.stft(8, window=m.hann_window(8), return_complex=True), [(32,)], True),
    (
        "grid_sample",
        lambda m, x, g: _F(m).grid_sample(x, g.tanh(), align_corners=False),
        [(1, 2, 4, 4), (1, 3, 3, 2)],
        True,
    ),
    ("avg_pool3d", lambda m, x: _F(m).avg_pool3d(x, 2), [(1, 2, 4, 4, 4)], True),
    ("max_pool3d", lambda m, x: _F(m).max_pool3d(x, 2), [(1, 2, 4, 4, 4)], True),
    ("max_pool3d-indices", lambda m, x: _F(m).max_pool3d(x, 2, return_indices=True), [(1, 2, 4, 4, 4)], True),
    ("MaxPool3d", lambda m, x: m.nn.MaxPool3d(2)(x), [(1, 2, 4, 4, 4)], True),
    ("max_unpool2d", _unpool2d, [(1, 2, 4, 4)], True),
    ("max_unpool3d", _unpool3d, [(1, 2, 4, 4, 4)], True),
    ("adaptive_avg_pool3d", lambda m, x: _F(m).adaptive_avg_pool3d(x, 2), [(1, 2, 4, 4, 4)], True),
    ("adaptive_max_pool3d", lambda m, x: _F(m).adaptive_max_pool3d(x, 2, return_indices=True), [(1, 2, 4, 4, 4)], True),
    ("interpolate-area-5d", lambda m, x: _F(m).interpolate(x, size=(2, 2, 2), mode="area"), [(1, 2, 4, 4, 4)], True),
    ("interpolate-bilinear", lambda m, x: _F(m).interpolate(x, scale_factor=2, mode="bilinear"), [(1, 2, 3, 3)], True),
    ("pad-reflect1d", lambda m, x: _F(m).pad(x, (2, 1), mode="reflect"), [(2, 3, 5)], True),
    ("pad-reflect2d", lambda m, x: _F(m).pad(x, (1, 1, 2, 0), mode="reflect"), [(1, 2, 4, 4)], True),
    ("pad-reflect3d", lambda m, x: _F(m).pad(x, (1, 1, 1, 1, 1, 1), mode="reflect"), [(1, 2, 3, 3, 3)], True),
    ("pad-replicate1d", lambda m, x: _F(m).pad(x, (2, 1), mode="replicate"), [(2, 3, 5)], True),
    ("pad-replicate2d", lambda m, x: _F(m).pad(x, (1, 1, 2, 0), mode="replicate"), [(1, 2, 4, 4)], True),
    ("pad-replicate3d", lambda m, x: _F(m).pad(x, (1, 1, 1, 1, 1, 1), mode="replicate"), [(1, 2, 3, 3, 3)], True),
    ("pad-circular", lambda m, x: _F(m).pad(x, (1, 1, 1, 1), mode="circular"), [(1, 2, 4, 4)], True),
    ("pad-constant", lambda m, x: _F(m).pad(x, (1, 1)), [(2, 3)], True),
    ("ReflectionPad2d", lambda m, x: m.nn.ReflectionPad2d(1)(x), [(1, 2, 4, 4)], True),
    ("cholesky", lambda m, a: m.cholesky(a), ["spd"], True),
    ("Tensor.cholesky", lambda m, a: a.cholesky(), ["spd"], True),
    ("cholesky_inverse", lambda m, a: m.cholesky_inverse(a), ["tril"], True),
    ("cholesky_solve", lambda m, b, a: m.cholesky_solve(b, a), [(4, 2), "tril"], True),
    ("inverse", lambda m, a: m.inverse(a), ["spd"], True),
    ("Tensor.inverse", lambda m, a: a.inverse(), ["spd"], True),
    ("lu_solve", _lu_solve, ["spd", (4, 2)], True),
    ("lu", lambda m, a: m.lu(a, get_infos=True), ["spd"], True),
    ("pinverse", lambda m, a: m.pinverse(a), ["spd"], True),
    ("qr", lambda m, a: m.qr(a), ["spd"], False),
    ("svd", lambda m, a: m.svd(a)[1], ["spd"], True),
    ("triangular_solve", lambda m, b, a: m.triangular_solve(b, a, upper=False), [(4, 2), "tril"], True),
    ("linalg.cholesky", lambda m, a: m.linalg.cholesky(a), ["spd"], True),
    ("linalg.cholesky_ex", lambda m, a: m.linalg.cholesky_ex(a), ["spd"], True),
    ("linalg.inv", lambda m, a: m.linalg.inv(a), ["spd"], True),
    ("linalg.inv_ex", lambda m, a: m.linalg.inv_ex(a), ["spd"], True),
    ("linalg.solve", lambda m, a, b: m.linalg.solve(a, b), ["spd", (4, 2)], True),
    ("linalg.lstsq", lambda m, a, b: m.linalg.lstsq(a, b).solution, ["spd", (4, 2)], True),
    ("linalg.matrix_rank", lambda m, a: m.linalg.matrix_rank(a), ["spd"], True),
    ("linalg.svd", lambda m, a: m.linalg.svd(a)[1], ["spd"], True),
    ("linalg.svdvals", lambda m, a: m.linalg.svdvals(a), ["spd"], True),
    ("linalg.eig", lambda m, a: m.linalg.eig(a)[0], ["spd"], False),
    ("linalg.eigvals", lambda m, a: m.linalg.eigvals(a), ["spd"], False),
    ("linalg.eigh", lambda m, a: m.linalg.eigh(a)[0], ["spd"], True),
    ("linalg.eigvalsh", lambda m, a: m.linalg.eigvalsh(a), ["spd"], True),
    ("linalg.qr", lambda m, a: m.linalg.qr(a), ["spd"], False),
    ("linalg.householder_product", lambda m, a, t: m.linalg.householder_product(a, t), [(4, 3), (3,)], True),
    ("linalg.tensorinv", lambda m, a: m.linalg.tensorinv(a.reshape(4, 2, 2), ind=1), ["spd"], True),
    ("linalg.tensorsolve", lambda m, a, b: m.linalg.tensorsolve(a.reshape(2, 2, 4), b), ["spd", (2, 2)], True),
    ("fft.fft", lambda m, x: m.fft.fft(x), [(3, 8)], True),
    ("fft.ifft", lambda m, x: m.fft.ifft(x), [(3, 8)], True),
    ("fft.fft2", lambda m, x: m.fft.fft2(x), [(4, 8)], True),
    ("fft.ifft2", lambda m, x: m.fft.ifft2(x), [(4, 8)], True),
    ("fft.fftn", lambda m, x: m.fft.fftn(x), [(2, 4, 8)], True),
    ("fft.ifftn", lambda m, x: m.fft.ifftn(x), [(2, 4, 8)], True),
    ("fft.rfft", lambda m, x: m.fft.rfft(x), [(3, 8)], True),
    ("fft.irfft", lambda m, x: m.fft.irfft(x), [(3, 8)], True),
    ("fft.rfft2", lambda m, x: m.fft.rfft2(x), [(4, 8)], True),
    ("fft.irfft2", lambda m, x: m.fft.irfft2(x), [(4, 8)], True),
    ("fft.rfftn", lambda m, x: m.fft.rfftn(x), [(2, 4, 8)], True),
    ("fft.irfftn", lambda m, x: m.fft.irfftn(x), [(2, 4, 8)], True),
    ("fft.hfft", lambda m, x: m.fft.hfft(x), [(3, 8)], True),
    ("fft.ihfft", lambda m, x: m.fft.ihfft(x), [(3, 8)], True),
    ("mse_loss", lambda m, a, b: _F(m).mse_loss(a, b), [(3, 4), (3, 4)], True),
    ("l1_loss", lambda m, a, b: _F(m).l1_loss(a, b), [(3, 4), (3, 4)], True),
    ("smooth_l1_loss", lambda m, a, b: _F(m).smooth_l1_loss(a, b), [(3, 4), (3, 4)], True),
    ("huber_loss", lambda m, a, b: _F(m).huber_loss(a, b), [(3, 4), (3, 4)], True),
    ("soft_margin_loss", lambda m, a, s: _F(m).soft_margin_loss(a, s), [(4,), SIGN], True),
    ("margin_ranking_loss", lambda m, a, b, s: _F(m).margin_ranking_loss(a, b, s), [(4,), (4,), SIGN], True),
    ("hinge_embedding_loss", lambda m, a, s: _F(m).hinge_embedding_loss(a, s), [(4,), SIGN], True),
    ("cosine_embedding_loss", lambda m, a, b, s: _F(m).cosine_embedding_loss(a, b, s), [(4, 3), (4, 3), SIGN], True),
    ("triplet_margin_loss", lambda m, a, p, n: _F(m).triplet_margin_loss(a, p, n), [(4, 3)] * 3, True),
    ("poisson_nll_loss", lambda m, a, b: _F(m).poisson_nll_loss(a, b.abs()), [(3, 4), (3, 4)], True),
    ("kl_div", lambda m, a, b: _F(m).kl_div(a, b.softmax(-1), reduction="batchmean"), [(3, 4), (3, 4)], True),
    ("bce_with_logits", lambda m, a, b: _F(m).binary_cross_entropy_with_logits(a, b.sigmoid()), [(3, 4)] * 2, True),
    ("binary_cross_entropy", lambda m, a, b: _F(m).binary_cross_entropy(a.sigmoid(), b.sigmoid()), [(3, 4)] * 2, True),
    ("cross_entropy", lambda m, x, t: _F(m).cross_entropy(x, t), [(4, 5), IDX], True),
    ("CrossEntropyLoss", lambda m, x, t: m.nn.CrossEntropyLoss()(x, t), [(4, 5), IDX], True),
    ("nll_loss", lambda m, x, t: _F(m).nll_loss(x, t), [(4, 5), IDX], True),
    ("nll_loss2d", lambda m, x, t: _F(m).nll_loss(x, t), [(1, 5, 2, 2), IDX.reshape(1, 2, 2)], True),
    ("multi_margin_loss", lambda m, x, t: _F(m).multi_margin_loss(x, t), [(4, 5), IDX], True),
    (
        "multilabel_margin_loss",
        lambda m, x, t: _F(m).multilabel_margin_loss(x, t),
        [(4, 4), T4[None].repeat(4, 0)],
        True,
    ),
    # promote
    ("cat", lambda m, a, b: m.cat([a, b.double().to(a.dtype), b.float()]), [(2, 3), (2, 3)], True),
    ("cat-low", lambda m, a, b: m.cat([a.bfloat16(), b.bfloat16()], 1), [(2, 3), (2, 3)], True),
    ("stack", lambda m, a, b: m.stack([a, b.float()]), [(2, 3), (2, 3)], True),
    ("hstack", lambda m, a, b: m.hstack([a, b.float()]), [(2, 3), (2, 3)], True),
    ("index_copy", lambda m, a, b, i: m.index_copy(a, 0, i, b.float()), [(4, 3), (2, 3), IDX[:2]], True),
    ("Tensor.index_copy", lambda m, a, b, i: a.index_copy(0, i, b.float()), [(4, 3), (2, 3), IDX[:2]], True),
    # torch composites of listed ops
    ("linalg.multi_dot", lambda m, a, b, c: m.linalg.multi_dot([a, b, c]), [(2, 3), (3, 4), (4, 2)], True),
    ("tensordot", lambda m, a, b: m.tensordot(a, b, 1), [(2, 3), (3, 4)], True),
    ("chain_matmul", lambda m, a, b, c: m.chain_matmul(a, b, c), [(2, 3), (3, 4), (4, 2)], True),
    ("Linear", lambda m, x: m.nn.Linear(4, 3)(x), [(2, 4)], False),
    # not on the cpu lists: unchanged
    ("sum", lambda m, x: m.sum(x), [(3, 4)], True),
    ("Tensor.sum-dim", lambda m, x: x.sum(1), [(3, 4)], True),
    ("softmax", lambda m, x: _F(m).softmax(x, -1), [(3, 4)], True),
    ("log_softmax", lambda m, x: x.log_softmax(-1), [(3, 4)], True),
    ("cumsum", lambda m, x: m.cumsum(x, 1), [(3, 4)], True),
    ("exp", lambda m, x: m.exp(x), [(3, 4)], True),
    ("Tensor.pow", lambda m, x: x.pow(2), [(3, 4)], True),
    ("rpow", lambda m, x: 2.0**x, [(3, 4)], True),
    ("logsumexp", lambda m, x: m.logsumexp(x, 1), [(3, 4)], True),
    ("norm", lambda m, x: x.norm(), [(3, 4)], True),
    ("linalg.vector_norm", lambda m, x: m.linalg.vector_norm(x), [(3, 4)], True),
    ("layer_norm", lambda m, x, w: _F(m).layer_norm(x, (4,), w), [(3, 4), (4,)], True),
    ("group_norm", lambda m, x: _F(m).group_norm(x, 2), [(2, 4, 3)], True),
    ("softplus", lambda m, x: _F(m).softplus(x), [(3, 4)], True),
    ("cosine_similarity", lambda m, a, b: _F(m).cosine_similarity(a, b), [(3, 4), (3, 4)], True),
    ("atan2", lambda m, a, b: m.atan2(a, b.float()), [(3, 4), (3, 4)], True),
    ("addcmul", lambda m, a, b, c: m.addcmul(a, b, c.float()), [(3, 4)] * 3, True),
    ("scatter_add", lambda m, a, b, i: a.scatter_add(0, i, b), [(4, 3), (2, 3), IDX[:2, None].repeat(3, 1)], True),
    ("einsum-contract", lambda m, a, b: m.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)], True),
    ("einsum-list", lambda m, a, b: m.einsum("bij,bjk", [a, b]), [(2, 2, 3), (2, 3, 4)], True),
    ("einsum-outer", lambda m, a, b: m.einsum("i,j->ij", a, b), [(2,), (3,)], True),
    ("einsum-diagonal", lambda m, a: m.einsum("ii->", a), [(3, 3)], True),
    ("dot", lambda m, a, b: m.dot(a, b), [(4,), (4,)], True),
    ("mv", lambda m, a, b: m.mv(a, b), [(3, 4), (4,)], True),
]


def _inputs(mod, specs, dt, seed):
    rng = np.random.default_rng(seed)
    out, leaves = [], []
    for s in specs:
        if isinstance(s, np.ndarray):
            t = mod.tensor(s)
            out.append(t.to(getattr(mod, dt)) if s.dtype.kind == "f" else t)
            continue
        a = _spd(rng) if s == "spd" else _tril(rng) if s == "tril" else _arr(rng, s)
        t = mod.tensor(a).to(getattr(mod, dt)).requires_grad_()
        out.append(t)
        leaves.append(t)
    return out, leaves


def _outs(o):
    return list(o) if isinstance(o, (tuple, list)) else [o]


def _loss(mod, outs):
    total = None
    for o in outs:
        if not o.requires_grad:
            continue
        v = mod.view_as_real(o.resolve_conj()) if o.is_complex() else o
        v = v.float().sum()
        total = v if total is None else total + v
    return total


# ember bugs outside autocast, shown by these cases
_KNOWN = {}


@pytest.mark.parametrize(
    "case,dt",
    [
        pytest.param(c, dt, id=f"{c[0]}-{dt}", marks=[pytest.mark.xfail(reason=_KNOWN[c[0], dt], strict=True)])
        if (c[0], dt) in _KNOWN
        else pytest.param(c, dt, id=f"{c[0]}-{dt}")
        for c in CPU_OPS
        for dt in ("bfloat16", "float32")
    ],
)
def test_op_matches_torch_cpu_autocast(case, dt):
    _, op, specs, grad_values = case
    ember.manual_seed(0)
    torch.manual_seed(0)
    ein, eleaves = _inputs(ember, specs, dt, 0)
    tin, tleaves = _inputs(torch, specs, dt, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autocast("cpu", dtype=torch.bfloat16):
            to = _outs(op(torch, *tin))
        with ember.autocast("cpu", dtype=ember.bfloat16):
            eo = _outs(op(ember, *ein))
    assert [_dt(o.dtype) for o in eo] == [_dt(o.dtype) for o in to]
    low = dt == "bfloat16" or any(o.dtype is torch.bfloat16 for o in to)
    for e, t in zip(eo, to):
        tol = 3e-2 if low else 1e-4
        if grad_values:
            np.testing.assert_allclose(to_numpy(e), to_numpy(t), rtol=tol, atol=tol)
    tl = _loss(torch, to)
    if tl is None:
        return
    tl.backward()
    _loss(ember, eo).backward()
    for e, t in zip(eleaves, tleaves):
        assert (e.grad is None) == (t.grad is None)
        if t.grad is not None:
            assert _dt(e.grad.dtype) == _dt(t.grad.dtype)
            if grad_values:
                tol = 6e-2 if low else 1e-3
                np.testing.assert_allclose(to_numpy(e.grad), to_numpy(t.grad), rtol=tol, atol=tol)


# -- cuda lists, without a GPU: tensors read as cuda tensors, the hooks' policy lookups recorded ------------


@pytest.fixture
def fake_cuda(monkeypatch):
    """Autocast enabled for cuda (float16), every tensor taken for a cuda tensor; yields the (op name,
    device type) lookups the hooks make."""
    seen = []
    real = A.policy_for

    def spy(name, device_type):
        seen.append((name, device_type))
        return real(name, device_type)

    monkeypatch.setattr(A, "_device_type", lambda t: "cuda")
    monkeypatch.setattr(A, "policy_for", spy)
    A.set_autocast_enabled("cuda", True)
    yield seen
    A.set_autocast_enabled("cuda", False)


def _h(*shape):
    return ember.randn(*shape).half().requires_grad_()


def _f(*shape):
    return ember.randn(*shape).requires_grad_()


F16, F32 = "float16", "float32"
# (id, autocast name looked up, call, expected output dtype)
CUDA_OPS = [
    # lower_precision_fp: float32 in, float16 out
    ("matmul", "matmul", lambda: _f(3, 4) @ _f(4, 2), F16),
    ("mm", "mm", lambda: _f(3, 4).mm(_f(4, 2)), F16),
    ("bmm", "bmm", lambda: ember.bmm(_f(2, 3, 4), _f(2, 4, 2)), F16),
    ("mv", "mv", lambda: ember.mv(_f(3, 4), _f(4)), F16),
    ("Tensor.mv", "mv", lambda: _f(3, 4).mv(_f(4)), F16),
    ("addmv", "addmv", lambda: ember.addmv(_f(3), _f(3, 4), _f(4)), F16),
    ("addr", "addr", lambda: ember.addr(_f(3, 4), _f(3), _f(4)), F16),
    ("addmm", "addmm", lambda: ember.addmm(_f(3, 2), _f(3, 4), _f(4, 2)), F16),
    ("baddbmm", "baddbmm", lambda: ember.baddbmm(_f(2, 3, 2), _f(2, 3, 4), _f(2, 4, 2)), F16),
    ("addbmm", "addbmm", lambda: ember.addbmm(_f(3, 2), _f(2, 3, 4), _f(2, 4, 2)), F16),
    ("einsum", "einsum", lambda: ember.einsum("i,j->ij", _f(3), _f(2)), F16),
    ("einsum-contract", "bmm", lambda: ember.einsum("ij,jk->ik", _f(3, 4), _f(4, 2)), F16),
    ("chain_matmul", "chain_matmul", lambda: ember.chain_matmul(_f(3, 4), _f(4, 2), _f(2, 2)), F16),
    ("linalg.multi_dot", "linalg_multi_dot", lambda: ember.linalg.multi_dot([_f(3, 4), _f(4, 2)]), F16),
    ("linalg.vecdot", "linalg_vecdot", lambda: ember.linalg.vecdot(_f(3, 4), _f(3, 4)), F16),
    ("prelu", "prelu", lambda: F.prelu(_f(2, 3), _f(3)), F16),
    ("Tensor.prelu", "prelu", lambda: _f(2, 3).prelu(_f(3)), F16),
    (
        "sdpa",
        "scaled_dot_product_attention",
        lambda: F.scaled_dot_product_attention(_f(2, 3, 4), _f(2, 3, 4), _f(2, 3, 4)),
        F16,
    ),
    # fp32: float16 in, float32 out
    ("exp", "exp", lambda: ember.exp(_h(3)), F32),
    ("Tensor.exp", "exp", lambda: _h(3).exp(), F32),
    ("log", "log", lambda: _h(3).abs().log(), F32),
    ("log2", "log2", lambda: ember.log2(_h(3).abs()), F32),
    ("log10", "log10", lambda: _h(3).abs().log10(), F32),
    ("log1p", "log1p", lambda: ember.special.log1p(_h(3).abs()), F32),
    ("expm1", "expm1", lambda: _h(3).expm1(), F32),
    ("special.expm1", "expm1", lambda: ember.special.expm1(_h(3)), F32),
    ("acos", "acos", lambda: ember.arccos(_h(3).tanh()), F32),
    ("asin", "asin", lambda: _h(3).tanh().asin(), F32),
    ("cosh", "cosh", lambda: _h(3).cosh(), F32),
    ("sinh", "sinh", lambda: ember.sinh(_h(3)), F32),
    ("tan", "tan", lambda: _h(3).tan(), F32),
    ("erfinv", "erfinv", lambda: (_h(3).tanh() * 0.5).erfinv(), F32),
    ("reciprocal", "reciprocal", lambda: _h(3).reciprocal(), F32),
    ("rsqrt", "rsqrt", lambda: _h(3).abs().rsqrt(), F32),
    ("pow", "pow", lambda: ember.pow(_h(3), 2), F32),
    ("Tensor.pow-tensor", "pow", lambda: _h(3).pow(_h(3)), F32),
    ("__pow__", "pow", lambda: _h(3) ** 2, F32),
    ("__rpow__", "pow", lambda: 2 ** _h(3), F32),
    ("softplus", "softplus", lambda: F.softplus(_h(3)), F32),
    ("layer_norm", "layer_norm", lambda: F.layer_norm(_h(2, 4), (4,)), F32),
    ("LayerNorm", "layer_norm", lambda: ember.nn.LayerNorm(4).half()(_h(2, 4)), F32),
    ("rms_norm", "rms_norm", lambda: F.rms_norm(_h(2, 4), (4,)), F32),
    ("group_norm", "group_norm", lambda: F.group_norm(_h(2, 4, 3), 2), F32),
    ("cosine_similarity", "cosine_similarity", lambda: F.cosine_similarity(_h(3, 4), _h(3, 4)), F32),
    ("pdist", "pdist", lambda: F.pdist(_h(3, 4)), F32),
    ("cdist", "cdist", lambda: ember.cdist(_h(3, 4), _h(2, 4)), F32),
    ("logsumexp", "logsumexp", lambda: _h(3, 4).logsumexp(1), F32),
    ("norm", "norm", lambda: ember.norm(_h(3, 4)), F32),
    ("Tensor.norm", "norm", lambda: _h(3, 4).norm(dim=1), F32),
    ("interpolate", "interpolate", lambda: F.interpolate(_h(1, 2, 3, 3), scale_factor=2, mode="bilinear"), F32),
    ("Upsample", "interpolate", lambda: ember.nn.Upsample(scale_factor=2)(_h(1, 2, 3)), F32),
    ("cross_entropy", "cross_entropy", lambda: F.cross_entropy(_h(3, 4), ember.tensor([0, 1, 3])), F32),
    ("mse_loss", "mse_loss", lambda: F.mse_loss(_h(3), _h(3)), F32),
    # fp32_set_opt_dtype: float16 in, float32 out
    ("sum", "sum", lambda: ember.sum(_h(3, 4)), F32),
    ("Tensor.sum", "sum", lambda: _h(3, 4).sum(1), F32),
    ("prod", "prod", lambda: _h(3, 4).prod(), F32),
    ("cumsum", "cumsum", lambda: _h(3, 4).cumsum(1), F32),
    ("cumprod", "cumprod", lambda: ember.cumprod(_h(3, 4), 0), F32),
    ("softmax", "softmax", lambda: F.softmax(_h(3, 4), -1), F32),
    ("Tensor.softmax", "softmax", lambda: _h(3, 4).softmax(-1), F32),
    ("ember.softmax", "softmax", lambda: ember.softmax(_h(3, 4), -1), F32),
    ("softmin", "softmax", lambda: F.softmin(_h(3, 4), -1), F32),
    ("log_softmax", "log_softmax", lambda: _h(3, 4).log_softmax(-1), F32),
    ("linalg.vector_norm", "linalg_vector_norm", lambda: ember.linalg.vector_norm(_h(3, 4)), F32),
    ("linalg.matrix_norm", "linalg_matrix_norm", lambda: ember.linalg.matrix_norm(_h(3, 4)), F32),
    ("linalg.norm", "linalg_vector_norm", lambda: ember.linalg.norm(_h(3, 4), dim=1), F32),
    # promote: float16 with float32, float32 out
    ("addcmul", "addcmul", lambda: ember.addcmul(_h(3), _f(3), _h(3)), F32),
    ("addcdiv", "addcdiv", lambda: _h(3).addcdiv(_h(3), _f(3)), F32),
    ("atan2", "atan2", lambda: ember.atan2(_h(3), _f(3)), F32),
    ("cross", "cross", lambda: ember.cross(_h(2, 3), _f(2, 3), dim=1), F32),
    ("dot", "dot", lambda: ember.dot(_h(3), _f(3)), F32),
    ("vdot", "vdot", lambda: _h(3).vdot(_f(3)), F32),
    ("tensordot", "tensordot", lambda: ember.tensordot(_h(3, 4), _f(4, 2), 1), F32),
    ("scatter_add", "scatter_add", lambda: _h(3, 2).scatter_add(0, ember.tensor([[0, 1]]), _f(1, 2)), F32),
    ("index_put", "index_put", lambda: _h(3).index_put((ember.tensor([0]),), _f(1)), F32),
    (
        "grid_sample",
        "grid_sample",
        lambda: F.grid_sample(_h(1, 2, 3, 3), _f(1, 2, 2, 2).tanh(), align_corners=False),
        F32,
    ),
    ("bilinear", "bilinear", lambda: F.bilinear(_h(2, 3), _f(2, 4), _f(5, 3, 4)), F32),
]


@pytest.mark.parametrize("case", CUDA_OPS, ids=[c[0] for c in CUDA_OPS])
def test_cuda_policy_plumbing(fake_cuda, case):
    _, name, call, out_dt = case
    assert A.policy_for(name, "cuda") is not None
    fake_cuda.clear()
    out = call()
    assert (name, "cuda") in fake_cuda
    assert _dt(out.dtype) == out_dt
    loss = out.float().sum()
    loss.backward()  # the casts are differentiable


@pytest.mark.parametrize(
    "call,out_dt",
    [
        (lambda: _h(3, 4).sum(dtype=ember.float16), F16),  # an explicit dtype wins
        (lambda: ember.randn(3, 4, dtype=ember.float64).softmax(-1), "float64"),  # float64 is not cast
        (lambda: ember.randn(3, dtype=ember.float64).exp(), "float64"),
        (lambda: ember.ones(3, dtype=ember.int64).sum(), "int64"),
        (lambda: ember.mm(ember.ones(2, 2, dtype=ember.int64), ember.ones(2, 2, dtype=ember.int64)), "int64"),
        (
            lambda: ember.sum(ember.randn(3).half(), out=ember.empty((), dtype=ember.float16)),
            F16,
        ),  # out= overloads are not listed
    ],
)
def test_cuda_policy_edge_cases(fake_cuda, call, out_dt):
    assert _dt(call().dtype) == out_dt


def test_cuda_banned_binary_cross_entropy(fake_cuda):
    with pytest.raises(RuntimeError, match="unsafe to autocast"):
        F.binary_cross_entropy(_h(3).sigmoid(), _h(3).sigmoid())


def test_swapped_ops_are_installed_only_while_enabled():
    import importlib

    arith, complex, pointwise = (importlib.import_module(f"ember._ops.{m}") for m in ("arith", "complex", "pointwise"))

    originals = {"exp": pointwise.exp, "reciprocal": arith.reciprocal, "polar": complex.polar}
    assert ember.exp is ember.Tensor.exp is pointwise.exp and ember.special.expm1 is pointwise.expm1
    with ember.autocast("cpu"):  # the cpu lists name polar and view_as_complex, not exp
        assert ember.exp is pointwise.exp and ember.Tensor.exp is pointwise.exp
        assert ember.polar is not complex.polar and ember.polar.__wrapped__ is complex.polar
    assert ember.polar is complex.polar
    A.set_autocast_enabled("cuda", True)
    try:
        assert ember.exp is not pointwise.exp and ember.Tensor.exp is ember.exp
        assert ember.arccos is ember.acos is ember.Tensor.arccos is not pointwise.acos
        assert ember.special.expm1 is ember.expm1 is not pointwise.expm1
        assert ember.Tensor.reciprocal is not arith.reciprocal and ember.polar is complex.polar
        assert pointwise.exp is originals["exp"]  # module globals stay: ember's own code is not autocast
        x = ember.randn(3)
        assert ember.exp(x).dtype is x.exp().dtype is ember.float32  # a cpu tensor: not cast
    finally:
        A.set_autocast_enabled("cuda", False)
    assert ember.exp is ember.Tensor.exp is originals["exp"] and ember.reciprocal is originals["reciprocal"]
    assert ember.arccos is ember.Tensor.acos is pointwise.acos and ember.special.expm1 is pointwise.expm1


HOT = ["sum", "prod", "cumsum", "cumprod", "cat", "stack", "pow", "matmul", "mm", "bmm", "addmm", "logsumexp", "norm"]


@pytest.mark.parametrize("name", HOT)
def test_hot_ops_have_no_wrapper_frame(name):
    fn = getattr(ember, name)
    assert not hasattr(fn, "__wrapped__")  # hooked in the function body: one attribute check when off
    assert getattr(ember.Tensor, name, fn) is fn or name in ("cat", "stack")
    assert f'autocast_call("{name}", {name},' in inspect.getsource(fn)


def test_no_wrapper_frame_on_functional_hot_ops():
    for fn in (F.softmax, F.log_softmax, F.layer_norm, F.group_norm, F.rms_norm, F.softplus, F.cosine_similarity):
        assert not hasattr(fn, "__wrapped__")
        assert "if AUTOCAST.on" in inspect.getsource(fn).split('"""')[2].splitlines()[1]
