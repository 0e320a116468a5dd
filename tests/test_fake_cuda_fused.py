"""ember's fused CUDA paths (ember/cuda/_fused.py) on the CuPy stand-in, against torch on the CPU.

The stand-in gets the RawModule of tests/fakecupy/rawkernels.py: every launch is checked against the kernel's
signature and runs the kernel's CUDA C on the CPU (tests/fakecupy/cudaemu.py) beside a NumPy reference where
one exists, so these tests run both the kernels and the Python side of the fused paths (which ops reach a
kernel, the arguments and outputs, the autograd nodes and their gradients, errors, the fallbacks) against
torch. Each test also asserts the kernel it is about was launched, so a path that silently stops reaching its
kernel fails here. scripts/gpu_check.py (fused phase) runs the same checks on a GPU.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from fakecupy import rawkernels

import ember
import ember.nn.functional as EF
from ember.cuda import _fused

RNG = np.random.default_rng(7)

# kernels without a NumPy reference in the stand-in run only as emulated CUDA C
needs_emulation = pytest.mark.skipif(not rawkernels.EMULATE, reason="no host C++ compiler to emulate the CUDA C")


@pytest.fixture(scope="module", autouse=True)
def fake_cuda_with_kernels():
    with rawkernels.installed():
        yield


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


def _optimizer_steps(name, kwargs, dt, lr, steps):
    """`steps` steps of torch.optim.<name> (CPU) and ember.optim.<name> (cuda) from the same gradients, on three
    parameters, one of them (70, 90): two chunks of the multi-tensor kernels. Parameters and every state
    tensor must agree."""
    ws = [rand(5, 3, dtype=dt), rand(70, 90, dtype=dt), rand(7, dtype=dt)]
    tp = [torch.tensor(w, requires_grad=True) for w in ws]
    ep = [ember.tensor(w, device="cuda").requires_grad_(True) for w in ws]
    topt = getattr(torch.optim, name)(tp, lr=lr, **kwargs)
    eopt = getattr(ember.optim, name)(ep, lr=lr, **kwargs)
    for _ in range(steps):
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
@needs_emulation
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_adam_steps(launches, name, kwargs, dt):
    _optimizer_steps(name, kwargs, dt, 0.01, 4)
    assert launches["adam_multi"] == 4  # one launch per step for all three parameters


@needs_emulation
def test_adam_uploads_only_the_moved_gradient_addresses(launches):
    """The multi-tensor table's static rows (parameters, moments, counts, chunks) go up once; afterwards only
    the gradients' addresses, and only when they move (a new gradient per backward), not when the gradients
    are the same buffers (zero_grad(set_to_none=False))."""
    ws = [rand(5, 3), rand(70, 90), rand(7)]
    tp = [torch.tensor(w, requires_grad=True) for w in ws]
    ep = [ember.tensor(w, device="cuda").requires_grad_(True) for w in ws]
    topt, eopt = torch.optim.Adam(tp, lr=0.01), ember.optim.Adam(ep, lr=0.01)
    uploads = []
    for step in range(5):
        gs = [rand(*w.shape) for w in ws]
        for p, g in zip(tp, gs):
            p.grad = torch.tensor(g)
        for p, g in zip(ep, gs):
            if step < 3:
                p.grad = ember.tensor(g, device="cuda")  # new buffers
            else:
                p.grad.copy_(ember.tensor(g, device="cuda"))  # the same buffers, new values
        before = _fused.UPLOADS[0]
        topt.step()
        eopt.step()
        uploads.append(_fused.UPLOADS[0] - before)
    assert uploads == [2, 1, 1, 0, 0]
    assert launches["adam_multi"] == 5
    for e, t in zip(ep, tp):
        close(e, t)


def test_fused_paths_off(launches):
    with _fused.disabled():
        x = ember.randn(4, 6, device="cuda", requires_grad=True)
        EF.cross_entropy(EF.gelu(EF.layer_norm(x, (6,))), ember.tensor([0, 1, 2, 3], device="cuda")).backward()
    assert sum(launches.values()) == 0


def _sdpa_against_torch(t_qkv, e_qkv, kw_t, kw_e):
    """scaled_dot_product_attention forward and backward (float64) on both, outputs and q/k/v gradients equal."""
    to = TF.scaled_dot_product_attention(*t_qkv, **kw_t)
    eo = EF.scaled_dot_product_attention(*e_qkv, **kw_e)
    close(eo, to, 1e-10, 1e-12)
    g = rand(*to.shape, dtype=np.float64)
    to.backward(torch.tensor(g))
    eo.backward(ember.tensor(g, device="cuda"))
    for e, t in zip(e_qkv, t_qkv):
        close(e.grad, t.grad, 1e-9, 1e-11)


@pytest.mark.parametrize("mask", ["causal", "float", "float-grad", "bool-dead-row", "none"])
def test_attention_softmax(launches, mask):
    q, k, v = (rand(2, 3, 5, 4, dtype=np.float64) for _ in range(3))
    (tq, eq), (tk, ek), (tv, ev) = pair(q), pair(k), pair(v)
    kw_t, kw_e = {}, {}
    if mask == "causal":
        kw_t = kw_e = {"is_causal": True}
    elif mask.startswith("float"):
        tm, em = pair(rand(5, 5, dtype=np.float64), requires_grad=mask == "float-grad")
        kw_t, kw_e = {"attn_mask": tm}, {"attn_mask": em}
    elif mask == "bool-dead-row":
        m = RNG.random((5, 5)) > 0.4
        m[2] = False  # every key masked for query 2: torch's safe softmax gives zeros
        kw_t, kw_e = {"attn_mask": torch.tensor(m)}, {"attn_mask": ember.tensor(m, device="cuda")}
    _sdpa_against_torch((tq, tk, tv), (eq, ek, ev), kw_t, kw_e)
    if mask == "float-grad":  # the mask's gradient is the unscaled score gradient: the array path keeps it
        close(kw_e["attn_mask"].grad, kw_t["attn_mask"].grad, 1e-9, 1e-11)
    assert launches["safe_softmax"] == 1 and launches["softmax_fwd"] == 0
    assert launches["softmax_bwd"] == (0 if mask == "float-grad" else 1)  # backward's dS with the scale folded in


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
    for kname in ("ln_fwd", "ln_bwd_x", "ln_bwd_wb", "safe_softmax", "gelu_fwd", "ce_fwd", "ce_bwd", "adam_multi"):
        assert launches[kname] > 0, kname


# -- batch norm and max pooling: kernels without a NumPy reference, run as emulated CUDA C ------------------


@needs_emulation
@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (2, 4, 3, 5)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("mode", ["train", "train-no-stats", "eval"])
def test_batch_norm(launches, dt, shape, affine, mode):
    C = shape[1]
    tx, ex = pair(rand(*shape, dtype=dt) * 2 + 0.5)
    tw = ew = tb = eb = None
    if affine:
        tw, ew = pair(rand(C, dtype=dt))
        tb, eb = pair(rand(C, dtype=dt))
    rm0 = rand(C, dtype=dt)
    rv0 = np.abs(rand(C, dtype=dt)) + 0.5
    trm = trv = erm = erv = None
    if mode != "train-no-stats":
        trm, erm = pair(rm0, requires_grad=False)
        trv, erv = pair(rv0, requires_grad=False)
    training = mode != "eval"
    ty = TF.batch_norm(tx, trm, trv, tw, tb, training, 0.3, 1e-4)
    ey = EF.batch_norm(ex, erm, erv, ew, eb, training, 0.3, 1e-4)
    rtol, atol = tols(dt)
    close(ey, ty, rtol * 10, atol * 10)
    if erm is not None:
        close(erm, trm, rtol * 10, atol * 10)
        close(erv, trv, rtol * 10, atol * 10)
        assert erm._version == trm._version and erv._version == trv._version
    g = rand(*shape, dtype=dt)
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g, device="cuda"))
    close(ex.grad, tx.grad, rtol * 100, atol * 100)
    if affine:
        close(ew.grad, tw.grad, rtol * 100, atol * 100)
        close(eb.grad, tb.grad, rtol * 100, atol * 100)
    assert launches["bn_stats"] == (1 if training else 0)
    assert launches["bn_apply"] == 1 and launches["bn_bwd_x"] == 1
    assert launches["bn_bwd_reduce"] == (1 if training or affine else 0)


@needs_emulation
def test_batch_norm_module_train_and_eval_with_cumulative_momentum(launches):
    tm = torch.nn.BatchNorm2d(3, momentum=None)
    em = ember.nn.BatchNorm2d(3, momentum=None).to("cuda")
    for step in range(3):
        x = rand(4, 3, 2, 3) * (step + 1)
        tx, ex = pair(x)
        ty, ey = tm(tx), em(ex)
        close(ey, ty, 1e-5, 1e-5)
        (ty * ty).sum().backward()
        (ey * ey).sum().backward()
        close(ex.grad, tx.grad, 1e-4, 1e-4)
    close(em.running_mean, tm.running_mean, 1e-5, 1e-6)
    close(em.running_var, tm.running_var, 1e-5, 1e-6)
    assert int(em.num_batches_tracked) == int(tm.num_batches_tracked) == 3
    close(em.weight.grad, tm.weight.grad, 1e-4, 1e-4)
    tm.eval()
    em.eval()
    tx, ex = pair(rand(2, 3, 2, 2), requires_grad=False)
    close(em(ex), tm(tx), 1e-5, 1e-6)
    assert launches["bn_stats"] == 3


@needs_emulation
def test_batch_norm_generic_paths(launches):
    x = rand(3, 4, 5)
    tx, ex = pair(x)
    # a non-contiguous input, and weights of another dtype, take the array path
    close(
        EF.batch_norm(ex.transpose(0, 2).transpose(1, 2), None, None, training=True),
        TF.batch_norm(tx.transpose(0, 2).transpose(1, 2), None, None, training=True),
        1e-5,
        1e-5,
    )
    assert launches["bn_stats"] == 0
    # double backward differentiates the composite
    tx64, ex64 = pair(x.astype(np.float64))
    (tg,) = torch.autograd.grad(TF.batch_norm(tx64, None, None, training=True).pow(3).sum(), tx64, create_graph=True)
    (eg,) = ember.autograd.grad(EF.batch_norm(ex64, None, None, training=True).pow(3).sum(), ex64, create_graph=True)
    close(eg, tg, 1e-10, 1e-11)
    tg.sum().backward()
    eg.sum().backward()
    close(ex64.grad, tx64.grad, 1e-9, 1e-10)
    assert launches["bn_stats"] == 1


POOLS = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=2, stride=2, padding=1, dilation=2, ceil_mode=True),
]


@needs_emulation
@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("kw", POOLS)
@pytest.mark.parametrize("special", ["plain", "nan", "ties"])
def test_max_pool2d(launches, dt, kw, special):
    x = rand(2, 3, 7, 8, dtype=dt)
    if special == "nan":
        x[0, 1, 2, 3] = x[1, 0, 2, 4] = x[1, 0, 3, 4] = np.nan
        x[1, 2, :, :] = -np.inf
    elif special == "ties":
        x = np.round(x).astype(dt)
    tx, ex = pair(x)
    ty, ti = TF.max_pool2d(tx, return_indices=True, **kw)
    ey, ei = EF.max_pool2d(ex, return_indices=True, **kw)
    close(ey, ty, 0, 0)
    np.testing.assert_array_equal(ei.cpu().numpy(), ti.numpy())
    assert ei.dtype == ember.int64 and ei.device.type == "cuda"
    g = rand(*ty.shape, dtype=dt)
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g, device="cuda"))
    close(ex.grad, tx.grad, *tols(dt))
    assert launches["maxpool2d_fwd"] == 1 and launches["maxpool2d_bwd"] == 1


@needs_emulation
def test_max_pool1d_and_unbatched_and_double_backward(launches):
    x = rand(3, 2, 9)
    tx, ex = pair(x)
    close(EF.max_pool1d(ex, 3, 2, 1), TF.max_pool1d(tx, 3, 2, 1), 0, 0)
    x3 = rand(2, 5, 6, dtype=np.float64)
    tx3, ex3 = pair(x3)
    ty, ey = TF.max_pool2d(tx3, 2, 1), EF.max_pool2d(ex3, 2, 1)
    close(ey, ty, 0, 0)
    (tg,) = torch.autograd.grad((ty * ty).sum(), tx3, create_graph=True)
    (eg,) = ember.autograd.grad((ey * ey).sum(), ex3, create_graph=True)
    close(eg, tg, 1e-12, 1e-12)
    tg.sum().backward()
    eg.sum().backward()
    close(ex3.grad, tx3.grad, 1e-12, 1e-12)
    assert launches["maxpool2d_fwd"] == 2


@needs_emulation
def test_max_pool2d_non_contiguous_input_takes_the_array_path(launches):
    x = rand(2, 3, 6, 6)
    tx, ex = pair(x)
    close(EF.max_pool2d(ex.transpose(2, 3), 2), TF.max_pool2d(tx.transpose(2, 3), 2), 0, 0)
    assert launches["maxpool2d_fwd"] == 0


CONVS = [
    ((2, 3, 9, 8), (4, 3, 3, 3), dict(padding=1)),
    ((3, 4, 7, 9), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)),
    ((2, 3, 10, 6), (5, 3, 1, 1), dict(stride=2)),
    ((2, 2, 6, 7), (3, 2, 4, 4), dict(padding="same", dilation=1)),
    ((4, 3, 11), (5, 3, 3), dict(stride=2, padding=2, dilation=2)),  # conv1d as H = 1
]


def _input_weight_bias_against_torch(tf, ef, xs, ws, dt, grad_tol, **kw):
    """tf(x, w, b, **kw) on the CPU and ef on cuda: the output and the three gradients against torch."""
    tx, ex = pair(rand(*xs, dtype=dt))
    tw, ew = pair(rand(*ws, dtype=dt))
    tb, eb = pair(rand(ws[0], dtype=dt))
    ty, ey = tf(tx, tw, tb, **kw), ef(ex, ew, eb, **kw)
    rtol, atol = tols(dt)
    close(ey, ty, rtol * 10, atol * 10)
    g = rand(*ty.shape, dtype=dt)
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g, device="cuda"))
    for e, t in ((ex, tx), (ew, tw), (eb, tb)):
        close(e.grad, t.grad, rtol * grad_tol, atol * grad_tol)


@needs_emulation
@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("xs,ws,kw", CONVS)
def test_conv_columns_kernels(launches, dt, xs, ws, kw):
    f = "conv2d" if len(xs) == 4 else "conv1d"
    _input_weight_bias_against_torch(getattr(TF, f), getattr(EF, f), xs, ws, dt, 100, **kw)
    assert launches["im2col2d"] == 1 and launches["col2im2d"] == 1


@needs_emulation
def test_conv_transpose_unfold_and_fold_use_the_column_kernels(launches):
    tx, ex = pair(rand(2, 4, 5, 6))
    tw, ew = pair(rand(4, 3, 3, 2))
    ty = TF.conv_transpose2d(tx, tw, stride=2, padding=1, output_padding=1)
    ey = EF.conv_transpose2d(ex, ew, stride=2, padding=1, output_padding=1)
    close(ey, ty, 1e-5, 1e-5)
    g = rand(*ty.shape)
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g, device="cuda"))
    close(ex.grad, tx.grad, 1e-4, 1e-4)
    close(ew.grad, tw.grad, 1e-4, 1e-4)
    assert launches["col2im2d"] >= 1 and launches["im2col2d"] >= 1
    launches.clear()
    tu, eu = pair(rand(2, 3, 7, 6))
    kw = dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    tc, ec = TF.unfold(tu, **kw), EF.unfold(eu, **kw)
    close(ec, tc, 0, 0)
    close(EF.fold(ec, (7, 6), **kw), TF.fold(tc, (7, 6), **kw), 1e-6, 1e-6)
    assert launches["im2col2d"] == 1 and launches["col2im2d"] == 1


@needs_emulation
@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 3}, {"scale_grad_by_freq": True}])
def test_embedding_kernels(launches, dt, kw):
    w = rand(10, 6, dtype=dt)
    idx = np.array([[1, 3, 3, 9], [0, 3, 1, 1]])  # repeated rows: the backward's atomics add them up
    tw, ew = pair(w)
    ty = TF.embedding(torch.tensor(idx), tw, **kw)
    ey = EF.embedding(ember.tensor(idx, device="cuda"), ew, **kw)
    close(ey, ty, 0, 0)
    g = rand(2, 4, 6, dtype=dt)
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g, device="cuda"))
    close(ew.grad, tw.grad, *tols(dt))
    assert launches["embed_fwd"] == 1 and launches["embed_bwd"] == 1


@needs_emulation
@pytest.mark.parametrize("bad", [-1, 10])
def test_embedding_kernel_bounds(launches, bad):
    ew = ember.tensor(rand(10, 3), device="cuda")
    with pytest.raises(IndexError, match="index out of range in self"):
        EF.embedding(ember.tensor([[0, 2], [bad, 4]], device="cuda"), ew)
    with pytest.raises(IndexError, match="index out of range in self"):
        TF.embedding(torch.tensor([[0, 2], [bad, 4]]), torch.tensor(rand(10, 3)))
    assert launches["embed_fwd"] == 1


@needs_emulation
def test_grad_scaler_unscale_and_update_kernels(launches):
    """GradScaler's unscale (all gradients in one kernel, inf/NaN flagged on the device) and scale update against
    torch's CPU GradScaler, over steps with and without an overflow, growth after growth_interval clean steps."""
    ws = [rand(6, 5), rand(5), rand(70, 90)]
    tp = [torch.tensor(w, requires_grad=True) for w in ws]
    ep = [ember.tensor(w, device="cuda").requires_grad_(True) for w in ws]
    topt, eopt = torch.optim.SGD(tp, lr=0.1), ember.optim.SGD(ep, lr=0.1)
    kw = dict(init_scale=1024.0, growth_factor=2.0, backoff_factor=0.25, growth_interval=2)
    ts, es = torch.amp.GradScaler("cpu", **kw), ember.amp.GradScaler("cuda", **kw)
    for step in range(5):
        ts.scale(torch.ones(()))  # creates the scale on first use
        es.scale(ember.ones((), device="cuda"))
        gs = [rand(*w.shape) for w in ws]
        if step == 1:
            gs[2][3, 4] = np.inf
        if step == 3:
            gs[0][0, 0] = np.nan
        for p, g in zip(tp, gs):
            p.grad = torch.tensor(g) * ts.get_scale()
        for p, g in zip(ep, gs):
            p.grad = ember.tensor(g, device="cuda") * es.get_scale()
        ts.step(topt)
        es.step(eopt)
        ts.update()
        es.update()
        assert es.get_scale() == ts.get_scale()
        assert int(es._growth_tracker.item()) == int(ts._growth_tracker.item())
        for e, t in zip(ep, tp):
            close(e, t, 1e-5, 1e-6)
    assert launches["amp_unscale"] == 5 and launches["amp_update_scale"] == 5


@needs_emulation
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"momentum": 0.9},
        {"momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01},
        {"momentum": 0.8, "nesterov": True, "maximize": True},
        {"weight_decay": 0.1, "maximize": True},
    ],
)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_sgd_steps(launches, kwargs, dt):
    _optimizer_steps("SGD", kwargs, dt, 0.05, 3)
    assert launches["sgd_multi"] == 3  # one launch per step for the three parameters


@pytest.mark.parametrize("L,S", [(3, 5), (5, 3), (1, 4)])
@pytest.mark.parametrize("scale", [None, 0.3])
def test_attention_causal_and_scale_inside_the_softmax_kernel(launches, L, S, scale):
    """Query and key lengths that differ (torch's top-left causal mask), a given scale; forward and backward."""
    q, k, v = rand(2, 3, L, 4, dtype=np.float64), rand(2, 3, S, 4, dtype=np.float64), rand(2, 3, S, 4, dtype=np.float64)
    (tq, eq), (tk, ek), (tv, ev) = pair(q), pair(k), pair(v)
    kw = {"is_causal": True, "scale": scale}
    _sdpa_against_torch((tq, tk, tv), (eq, ek, ev), kw, kw)
    assert launches["safe_softmax"] == 1 and launches["softmax_bwd"] == 1


@pytest.mark.parametrize("batch_first", [True, False])
def test_self_attention_as_one_node(launches, batch_first):
    """MultiheadAttention self-attention without weights (what a transformer layer runs): one graph node whose
    attention goes through the softmax kernels, outputs and every gradient equal to torch's (float64)."""
    tm = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first).double()
    em = ember.nn.MultiheadAttention(8, 2, batch_first=batch_first).double()
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    em.to("cuda")
    tx, ex = pair(rand(3, 5, 8, dtype=np.float64))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    to, _ = tm(tx, tx, tx, attn_mask=mask, need_weights=False, is_causal=True)
    eo, _ = em(ex, ex, ex, attn_mask=ember.tensor(mask.numpy(), device="cuda"), need_weights=False, is_causal=True)
    node = eo.grad_fn.next_functions[0][0] if batch_first else eo.grad_fn
    assert type(node).__name__ == "MultiheadSelfAttentionBackward0"
    close(eo, to, 1e-10, 1e-12)
    g = rand(*to.shape, dtype=np.float64)
    to.backward(torch.tensor(g))
    eo.backward(ember.tensor(g, device="cuda"))
    close(ex.grad, tx.grad, 1e-9, 1e-11)
    for tp, ep in zip(tm.parameters(), em.parameters()):
        close(ep.grad, tp.grad, 1e-9, 1e-11)
    assert launches["safe_softmax"] == 1 and launches["softmax_bwd"] == 1
    # the in-projection's rows split into q, k, v with the bias added, and back, in one launch each; the
    # out-projection's bias added in place; both bias gradients as column sums
    assert launches["qkv_split"] == 1 and launches["qkv_merge"] == 1
    assert launches["add_bias"] == 1 and launches["col_sum"] == 2


@needs_emulation
@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("xshape", [(7, 5), (2, 3, 5), (5,)])
def test_linear_bias_kernels(launches, dt, xshape):
    """Linear's bias is added in place by one kernel and its gradient is one column-sum launch (n not a multiple
    of the kernel's 32 columns)."""
    _input_weight_bias_against_torch(TF.linear, EF.linear, xshape, (37, 5), dt, 10)
    assert launches["add_bias"] == 1 and launches["col_sum"] == 1


@needs_emulation
def test_linear_strided_bias_takes_the_generic_add(launches):
    tx, ex = pair(rand(4, 6))
    tw, ew = pair(rand(3, 6))
    b = rand(6)
    tb, eb = torch.tensor(b)[::2], ember.tensor(b, device="cuda")[::2]
    close(EF.linear(ex, ew, eb), TF.linear(tx, tw, tb))
    assert launches["add_bias"] == 0


@needs_emulation
@pytest.mark.parametrize("shape", [(1, 1), (3, 33), (40, 70), (0, 5), (6, 0)])
def test_col_sum_one_and_two_passes(launches, monkeypatch, shape):
    a = rand(*shape, dtype=np.float64)
    x = ember.tensor(a, device="cuda")._data
    one = _fused.col_sum(x)
    np.testing.assert_allclose(one.get(), a.sum(0), rtol=1e-12, atol=1e-12)
    monkeypatch.setattr(_fused, "_COL_SUM_ONE_PASS", 64)  # row chunks, then the sum of their partial sums
    monkeypatch.setattr(_fused, "_COL_SUM_MIN_CHUNK", 8)
    launches.clear()
    two = _fused.col_sum(x)
    np.testing.assert_allclose(two.get(), a.sum(0), rtol=1e-12, atol=1e-12)
    if shape == (40, 70):
        assert launches["col_sum"] == 2


@needs_emulation
@pytest.mark.parametrize("blocks", [1, 4, 512])
@pytest.mark.parametrize("n", [9, 70])
def test_layer_norm_weight_and_bias_gradients_in_row_chunks(launches, monkeypatch, blocks, n):
    """One launch whether the rows are summed by one block per column tile or in chunks whose partial sums the
    last block of each tile adds (its counters back at zero afterwards, so the next launch finds them so)."""
    monkeypatch.setattr(_fused, "_LN_WB_BLOCKS", blocks)
    tx, ex = pair(rand(300, n, dtype=np.float64))
    tw, ew = pair(rand(n, dtype=np.float64))
    tb, eb = pair(rand(n, dtype=np.float64))
    for _ in range(2):  # twice: the second launch reuses the counters the first reset
        g = rand(300, n, dtype=np.float64)
        TF.layer_norm(tx, (n,), tw, tb).backward(torch.tensor(g))
        EF.layer_norm(ex, (n,), ew, eb).backward(ember.tensor(g, device="cuda"))
        close(ew.grad, tw.grad, 1e-10, 1e-12)
        close(eb.grad, tb.grad, 1e-10, 1e-12)
    assert launches["ln_bwd_wb"] == 2 and launches["col_sum"] == 0
    assert all(not c.get().any() for c in _fused._counters.values())


@needs_emulation
@pytest.mark.parametrize("inplace", [False, True])
def test_relu_kernels(launches, inplace):
    """relu and its gradient as one launch each, torch's edge cases included: NaN passes forward; the gradient is
    0 where the output is <= 0 (so a NaN gradient there is dropped) and passes where the output is NaN."""
    a = rand(4, 6)
    a[0, :4] = [np.nan, 0.0, -np.inf, np.inf]
    g = rand(4, 6)
    g[1, :2] = np.nan
    a[1, :2] = [-1.0, 2.0]
    tx, ex = pair(a)
    ty = TF.relu(tx.clone(), inplace=inplace)
    ey = EF.relu(ex.clone(), inplace=inplace)
    close(ey, ty)
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g, device="cuda"))
    np.testing.assert_array_equal(ex.grad.cpu().numpy(), tx.grad.numpy())
    assert launches["relu_fwd"] == 1 and launches["relu_bwd"] == 1


@needs_emulation
def test_sum_over_leading_dims_is_a_column_sum(launches):
    tx, ex = pair(rand(3, 4, 5, dtype=np.float64))
    close(ex.sum((0, 1)), tx.sum((0, 1)), 1e-12, 1e-12)
    close(ex.sum(0, keepdim=True), tx.sum(0, keepdim=True), 1e-12, 1e-12)
    assert launches["col_sum"] == 2


@needs_emulation
def test_same_shape_float_add_is_one_kernel(launches):
    """A residual sum (and the engine's gradient accumulation, which adds the same way) is one launch; a
    broadcasting or non-contiguous sum stays on CuPy's ufunc."""
    a, b = rand(3, 4), rand(3, 4)
    (ta, ea), (tb, eb) = pair(a), pair(b)
    ty, ey = ta + tb, ea + eb
    close(ey, ty)
    assert launches["add2"] == 1
    g = rand(3, 4)
    (ty * ta + ty).backward(torch.tensor(g))  # ta's two gradient paths meet: one accumulation
    (ey * ea + ey).backward(ember.tensor(g, device="cuda"))
    close(ea.grad, ta.grad)
    close(eb.grad, tb.grad)
    launches.clear()
    close(ea + eb[0], ta + tb[0])
    close(ea.t() + eb.t(), ta.t() + tb.t())
    assert launches["add2"] == 0
