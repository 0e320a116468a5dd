"""ember's fused CUDA paths (ember/cuda/_fused.py) on the CuPy stand-in, against torch on the CPU.

The stand-in gets an emulated RawModule (tests/fakecupy/rawkernels.py: a NumPy reference per kernel that also
checks every launch's arguments against the kernel's signature), so these tests run the Python side of the
fused paths: which ops reach a kernel, the arguments and outputs, the autograd nodes and their gradients,
errors, the fallbacks. Each test also asserts the kernel it is about was launched, so a path that silently
stops reaching its kernel fails here. The CUDA C is checked on a GPU by scripts/gpu_check.py (fused phase).
"""

import fakecupy
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from fakecupy import rawkernels

import ember
import ember.nn.functional as EF
from ember.cuda import _fused

RNG = np.random.default_rng(7)


@pytest.fixture(scope="module", autouse=True)
def fake_cuda_with_kernels():
    with fakecupy.ember_on_stand_in():
        import cupy  # the stand-in, installed by ember_on_stand_in  # noqa: PLC0415

        saved = cupy.__dict__.get("RawModule")
        cupy.RawModule = rawkernels.RawModule
        _fused._has_api, _fused._modules, _fused._kernels = None, {}, {}
        try:
            yield
        finally:
            if saved is None:
                del cupy.RawModule
            else:
                cupy.RawModule = saved
            _fused._has_api, _fused._modules, _fused._kernels = None, {}, {}


@pytest.fixture
def launches():
    rawkernels.CALLS.clear()
    return rawkernels.CALLS


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def pair(a, requires_grad=True):
    """(torch CPU tensor, ember cuda tensor) of the array a."""
    t = torch.tensor(a, requires_grad=requires_grad)
    e = ember.tensor(a, device="cuda")
    if requires_grad:
        e.requires_grad_(True)
    return t, e


def close(e, t, rtol=1e-5, atol=1e-6):
    assert e.device.type == "cuda"
    np.testing.assert_allclose(e.detach().cpu().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


def tols(dt):
    return (1e-5, 1e-6) if dt == np.float32 else (1e-12, 1e-13)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
@pytest.mark.parametrize("shape,norm", [((6, 10), (10,)), ((2, 3, 4, 5), (4, 5)), ((700, 33), (33,))])
def test_layer_norm(launches, dt, affine, shape, norm):
    x = rand(*shape, dtype=dt)
    tx, ex = pair(x)
    tw = ew = tb = eb = None
    if affine in ("both", "weight"):
        tw, ew = pair(rand(*norm, dtype=dt))
    if affine == "both":
        tb, eb = pair(rand(*norm, dtype=dt))
    ty = TF.layer_norm(tx, norm, tw, tb, 1e-5)
    ey = EF.layer_norm(ex, norm, ew, eb, 1e-5)
    rtol, atol = tols(dt)
    close(ey, ty, rtol * 10, atol * 10)
    assert ey.grad_fn.name() == "NativeLayerNormBackward0"
    g = rand(*shape, dtype=dt)
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g, device="cuda"))
    close(ex.grad, tx.grad, rtol * 100, atol * 100)
    for e, t in ((ew, tw), (eb, tb)):
        if t is not None:
            close(e.grad, t.grad, rtol * 100, atol * 100)
    assert launches["ln_fwd"] == 1 and launches["ln_bwd_x"] == 1
    assert launches["ln_bwd_wb"] == (1 if affine != "none" else 0)


def test_layer_norm_double_backward_uses_the_composite(launches):
    x = rand(3, 5, dtype=np.float64)
    tx, ex = pair(x)
    (tg,) = torch.autograd.grad(TF.layer_norm(tx, (5,)).pow(3).sum(), tx, create_graph=True)
    (eg,) = ember.autograd.grad(EF.layer_norm(ex, (5,)).pow(3).sum(), ex, create_graph=True)
    close(eg, tg, 1e-10, 1e-12)
    tg.sum().backward()
    eg.sum().backward()
    close(ex.grad, tx.grad, 1e-9, 1e-11)
    assert launches["ln_fwd"] >= 1


def test_layer_norm_non_contiguous_input_takes_the_generic_path(launches):
    x = rand(5, 4)
    tx, ex = pair(x)
    close(EF.layer_norm(ex.t(), (5,)), TF.layer_norm(tx.t(), (5,)))
    assert launches["ln_fwd"] == 0


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("shape", [(4, 7), (2, 3, 1030), (5, 1)])
def test_softmax_last_dim(launches, dt, log, shape):
    x = rand(*shape, dtype=dt) * 3
    tx, ex = pair(x)
    tf, ef = (TF.log_softmax, EF.log_softmax) if log else (TF.softmax, EF.softmax)
    ty, ey = tf(tx, -1), ef(ex, -1)
    rtol, atol = tols(dt)
    close(ey, ty, rtol * 10, atol * 10)
    g = rand(*shape, dtype=dt)
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g, device="cuda"))
    close(ex.grad, tx.grad, rtol * 10, atol * 10)
    assert launches["softmax_fwd"] == 1 and launches["softmax_bwd"] == 1


def test_softmax_other_dim_and_nan_rows(launches):
    x = rand(3, 4)
    x[1, 2] = np.nan
    tx, ex = pair(x, requires_grad=False)
    close(EF.softmax(ex, 0), TF.softmax(tx, 0))
    assert launches["softmax_fwd"] == 0
    np.testing.assert_array_equal(np.isnan(EF.softmax(ex, -1).cpu().numpy()), np.isnan(TF.softmax(tx, -1).numpy()))
    assert launches["softmax_fwd"] == 1


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore", [False, True])
def test_cross_entropy(launches, dt, reduction, ignore):
    m, C = 37, 11
    x = rand(m, C, dtype=dt) * 2
    t = RNG.integers(0, C, m)
    if ignore:
        t[::3] = -100
    tx, ex = pair(x)
    ty = TF.cross_entropy(tx, torch.tensor(t), reduction=reduction)
    ey = EF.cross_entropy(ex, ember.tensor(t, device="cuda"), reduction=reduction)
    rtol, atol = tols(dt)
    close(ey, ty, rtol * 10, atol * 10)
    assert ey.shape == tuple(ty.shape) and ey.dtype == (ember.float32 if dt == np.float32 else ember.float64)
    assert ey.grad_fn.name() == "NllLossBackward0"
    g = rand(*ty.shape, dtype=dt)
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g, device="cuda"))
    close(ex.grad, tx.grad, rtol * 10, atol * 10)
    assert launches["ce_fwd"] == 1 and launches["ce_bwd"] == 1
    assert launches["ce_reduce"] == (0 if reduction == "none" else 1)


def test_cross_entropy_all_ignored_is_nan():
    t = torch.full((4,), -100)
    ty = TF.cross_entropy(torch.zeros(4, 3), t)
    ey = EF.cross_entropy(ember.zeros(4, 3, device="cuda"), ember.tensor(t.numpy(), device="cuda"))
    assert np.isnan(float(ey.item())) and np.isnan(float(ty))


def test_cross_entropy_bad_target_raises(launches):
    x = ember.randn(4, 3, device="cuda")
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        EF.cross_entropy(x, ember.tensor([0, 5, 1, 7], device="cuda"))
    with pytest.raises(IndexError, match="Target -2 is out of bounds."):
        EF.cross_entropy(x, ember.tensor([0, 1, -2, 1], device="cuda"), ignore_index=-1)
    assert launches["ce_fwd"] == 2


def test_cross_entropy_double_backward_and_fallbacks(launches):
    x = rand(6, 4, dtype=np.float64)
    t = RNG.integers(0, 4, 6)
    tx, ex = pair(x)
    (tg,) = torch.autograd.grad(TF.cross_entropy(tx, torch.tensor(t)), tx, create_graph=True)
    (eg,) = ember.autograd.grad(EF.cross_entropy(ex, ember.tensor(t, device="cuda")), ex, create_graph=True)
    close(eg, tg, 1e-10, 1e-12)
    tg.pow(2).sum().backward()
    eg.pow(2).sum().backward()
    close(ex.grad, tx.grad, 1e-9, 1e-11)
    assert launches["ce_fwd"] == 1
    # class weights, label smoothing and spatial inputs take the generic path
    w = rand(4)
    tx, ex = pair(x.astype(np.float32), requires_grad=False)
    close(
        EF.cross_entropy(ex, ember.tensor(t, device="cuda"), weight=ember.tensor(w, device="cuda")),
        TF.cross_entropy(tx, torch.tensor(t), weight=torch.tensor(w)),
    )
    close(
        EF.cross_entropy(ex, ember.tensor(t, device="cuda"), label_smoothing=0.1),
        TF.cross_entropy(tx, torch.tensor(t), label_smoothing=0.1),
    )
    assert launches["ce_fwd"] == 1


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(launches, dt, approximate):
    x = rand(3, 50, dtype=dt) * 3
    tx, ex = pair(x)
    ty, ey = TF.gelu(tx, approximate=approximate), EF.gelu(ex, approximate=approximate)
    rtol, atol = tols(dt)
    close(ey, ty, rtol * 10, atol * 10)
    g = rand(3, 50, dtype=dt)
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g, device="cuda"))
    close(ex.grad, tx.grad, rtol * 10, atol * 10)
    assert launches["gelu_fwd"] == 1


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("Adam", {}),
        ("Adam", {"weight_decay": 0.1, "amsgrad": True}),
        ("Adam", {"maximize": True, "betas": (0.8, 0.9)}),
        ("AdamW", {}),
        ("AdamW", {"weight_decay": 0.3, "amsgrad": True, "maximize": True}),
    ],
)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_adam_steps(launches, name, kwargs, dt):
    ws = [rand(5, 3, dtype=dt), rand(7, dtype=dt)]
    tp = [torch.tensor(w, requires_grad=True) for w in ws]
    ep = [ember.tensor(w, device="cuda").requires_grad_(True) for w in ws]
    topt = getattr(torch.optim, name)(tp, lr=0.01, **kwargs)
    eopt = getattr(ember.optim, name)(ep, lr=0.01, **kwargs)
    for _ in range(4):
        gs = [rand(*w.shape, dtype=dt) for w in ws]
        for p, g in zip(tp, gs):
            p.grad = torch.tensor(g)
        for p, g in zip(ep, gs):
            p.grad = ember.tensor(g, device="cuda")
        topt.step()
        eopt.step()
    rtol, atol = (1e-5, 1e-6) if dt == np.float32 else (1e-12, 1e-14)
    for e, t in zip(ep, tp):
        close(e, t, rtol, atol)
        for key in topt.state[t]:
            if key != "step":
                close(eopt.state[e][key], topt.state[t][key], rtol, atol)
    assert launches["adam_step"] == 8


def test_fused_paths_off(launches):
    with _fused.disabled():
        x = ember.randn(4, 6, device="cuda", requires_grad=True)
        EF.cross_entropy(EF.gelu(EF.layer_norm(x, (6,))), ember.tensor([0, 1, 2, 3], device="cuda")).backward()
    assert sum(launches.values()) == 0


@pytest.mark.parametrize("mask", ["causal", "float", "bool-dead-row", "none"])
def test_attention_softmax(launches, mask):
    q, k, v = (rand(2, 3, 5, 4, dtype=np.float64) for _ in range(3))
    (tq, eq), (tk, ek), (tv, ev) = pair(q), pair(k), pair(v)
    kw_t, kw_e = {}, {}
    if mask == "causal":
        kw_t = kw_e = {"is_causal": True}
    elif mask == "float":
        m = rand(5, 5, dtype=np.float64)
        kw_t, kw_e = {"attn_mask": torch.tensor(m)}, {"attn_mask": ember.tensor(m, device="cuda")}
    elif mask == "bool-dead-row":
        m = RNG.random((5, 5)) > 0.4
        m[2] = False  # every key masked for query 2: torch's safe softmax gives zeros
        kw_t, kw_e = {"attn_mask": torch.tensor(m)}, {"attn_mask": ember.tensor(m, device="cuda")}
    to = TF.scaled_dot_product_attention(tq, tk, tv, **kw_t)
    eo = EF.scaled_dot_product_attention(eq, ek, ev, **kw_e)
    close(eo, to, 1e-10, 1e-12)
    g = rand(*to.shape, dtype=np.float64)
    to.backward(torch.tensor(g))
    eo.backward(ember.tensor(g, device="cuda"))
    for e, t in ((eq, tq), (ek, tk), (ev, tv)):
        close(e.grad, t.grad, 1e-9, 1e-11)
    assert launches["safe_softmax"] == 1 and launches["softmax_fwd"] == 0


def test_attention_double_backward_with_a_dead_row(launches):
    q, k, v = (rand(1, 4, 3, dtype=np.float64) for _ in range(3))
    m = np.ones((4, 4), bool)
    m[1] = False
    (tq, eq), (tk, ek), (tv, ev) = pair(q), pair(k), pair(v)
    to = TF.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.tensor(m))
    eo = EF.scaled_dot_product_attention(eq, ek, ev, attn_mask=ember.tensor(m, device="cuda"))
    (tg,) = torch.autograd.grad(to.pow(2).sum(), tq, create_graph=True)
    (eg,) = ember.autograd.grad(eo.pow(2).sum(), eq, create_graph=True)
    close(eg, tg, 1e-9, 1e-11)
    tg.sum().backward()
    eg.sum().backward()
    close(ek.grad, tk.grad, 1e-9, 1e-11)
    assert launches["safe_softmax"] == 1


def test_attention_nan_rows_as_torch(launches):
    q, k, v = (rand(1, 3, 4) for _ in range(3))
    q[0, 1, 2] = np.nan
    to = TF.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)))
    eo = EF.scaled_dot_product_attention(*(ember.tensor(a, device="cuda") for a in (q, k, v)))
    np.testing.assert_array_equal(np.isnan(eo.cpu().numpy()), np.isnan(to.numpy()))
    close(eo[0, ::2], to[0, ::2])
    assert launches["safe_softmax"] == 1


def test_transformer_layer_train_step(launches):
    """A pre-norm encoder layer with GELU, a cross-entropy head and AdamW: every fused kernel in one step.
    Without biases: the key bias's gradient is zero up to rounding, and Adam turns that noise into full steps."""
    from nn_compare import copy_state  # noqa: PLC0415

    torch.manual_seed(0)
    t_layer = torch.nn.TransformerEncoderLayer(
        8, 2, 16, dropout=0.0, activation="gelu", batch_first=True, norm_first=True, bias=False
    )
    e_layer = ember.nn.TransformerEncoderLayer(
        8, 2, 16, dropout=0.0, activation="gelu", batch_first=True, norm_first=True, bias=False
    )
    copy_state(t_layer, e_layer)
    e_layer.to("cuda")
    x = rand(3, 5, 8)
    y = RNG.integers(0, 8, 15)
    mask = np.triu(np.full((5, 5), -np.inf, np.float32), 1)
    topt = torch.optim.AdamW(t_layer.parameters(), lr=0.01)
    eopt = ember.optim.AdamW(e_layer.parameters(), lr=0.01)
    for _ in range(2):
        tl = TF.cross_entropy(t_layer(torch.tensor(x), src_mask=torch.tensor(mask)).reshape(15, 8), torch.tensor(y))
        el = EF.cross_entropy(
            e_layer(ember.tensor(x, device="cuda"), src_mask=ember.tensor(mask, device="cuda")).reshape(15, 8),
            ember.tensor(y, device="cuda"),
        )
        close(el, tl, 1e-5, 1e-5)
        topt.zero_grad()
        eopt.zero_grad()
        tl.backward()
        el.backward()
        topt.step()
        eopt.step()
    for (name, tp), ep in zip(t_layer.named_parameters(), e_layer.parameters()):
        np.testing.assert_allclose(ep.detach().cpu().numpy(), tp.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
    for kname in ("ln_fwd", "ln_bwd_x", "ln_bwd_wb", "safe_softmax", "gelu_fwd", "ce_fwd", "ce_bwd", "adam_step"):
        assert launches[kname] > 0, kname
