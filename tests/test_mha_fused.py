"""Self-attention as one graph node (multi_head_attention_forward without weights): against torch, against
ember's op-by-op path (same dropout draws), under create_graph, and when the fused case does not apply."""

import numpy as np
import pytest
import torch

import ember
from ember.nn.functional import attention as A

from nn_compare import copy_state, to_np

RNG = np.random.default_rng(7)


def _pair(E=8, H=2, bias=True, batch_first=True, dtype=np.float32, dropout=0.0):
    tm = torch.nn.MultiheadAttention(E, H, bias=bias, batch_first=batch_first, dropout=dropout)
    em = ember.nn.MultiheadAttention(E, H, bias=bias, batch_first=batch_first, dropout=dropout)
    copy_state(tm, em)
    if dtype == np.float64:
        tm.double()
        em.double()
    return tm, em


def _mask(kind, L, lib, dtype):
    if kind is None:
        return None, False
    if kind == "causal":
        return lib.nn.Transformer.generate_square_subsequent_mask(L, dtype=getattr(lib, dtype)), True
    if kind == "bool":
        m = RNG.random((L, L)) > 0.6
        m[:, 0] = False
        return lib.tensor(m), False
    return lib.tensor(RNG.standard_normal((L, L)).astype(dtype)), False


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("mask", [None, "causal", "bool", "float"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_self_attention_matches_torch(batch_first, bias, mask, dtype):
    B, L, E, H = 3, 5, 8, 2
    tm, em = _pair(E, H, bias, batch_first, dtype)
    xs = RNG.standard_normal((B, L, E) if batch_first else (L, B, E)).astype(dtype)
    tx, ex = torch.tensor(xs, requires_grad=True), ember.tensor(xs, requires_grad=True)
    dn = "float64" if dtype == np.float64 else "float32"
    tmask, causal = _mask(mask, L, torch, dn)
    emask = None if tmask is None else ember.tensor(tmask.numpy())
    to, _ = tm(tx, tx, tx, attn_mask=tmask, need_weights=False, is_causal=causal)
    eo, _ = em(ex, ex, ex, attn_mask=emask, need_weights=False, is_causal=causal)
    node = eo.grad_fn if not batch_first else eo.grad_fn.next_functions[0][0]
    assert type(node).__name__ == "MultiheadSelfAttentionBackward0"
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(to_np(eo), to_np(to), rtol=tol, atol=tol)
    g = RNG.standard_normal(tuple(to.shape)).astype(dtype)
    to.backward(torch.tensor(g))
    eo.backward(ember.tensor(g))
    np.testing.assert_allclose(to_np(ex.grad), to_np(tx.grad), rtol=10 * tol, atol=10 * tol)
    for (n, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters()):
        np.testing.assert_allclose(to_np(ep.grad), to_np(tp.grad), rtol=10 * tol, atol=10 * tol, err_msg=n)


def _run(em, x, fused, **kw):
    prev = A.FUSE_SELF_ATTENTION
    A.FUSE_SELF_ATTENTION = fused
    try:
        ember.manual_seed(3)
        out, _ = em(x, x, x, need_weights=False, **kw)
        return out
    finally:
        A.FUSE_SELF_ATTENTION = prev


def test_fused_dropout_draws_as_the_op_by_op_path():
    _, em = _pair(8, 2, dropout=0.3)
    xs = RNG.standard_normal((2, 6, 8)).astype(np.float32)
    outs, grads = [], []
    for fused in (True, False):
        x = ember.tensor(xs, requires_grad=True)
        out = _run(em, x, fused)
        out.square().sum().backward()
        outs.append(to_np(out))
        grads.append([to_np(x.grad)] + [to_np(p.grad) for p in em.parameters()])
        em.zero_grad()
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-6)
    for a, b in zip(grads[0], grads[1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert not np.allclose(outs[0], to_np(_run(em.eval(), ember.tensor(xs), True)))  # dropout did act


@pytest.mark.parametrize("dropout", [0.0, 0.4])
@pytest.mark.parametrize("mask", ["causal", "float", "bool"])
def test_fused_double_backward_equals_op_by_op(dropout, mask):
    _, em = _pair(6, 3, dtype=np.float64, dropout=dropout)
    xs = RNG.standard_normal((2, 4, 6))
    kw = {
        "causal": {"is_causal": True, "attn_mask": ember.nn.Transformer.generate_square_subsequent_mask(4)},
        "float": {"attn_mask": ember.tensor(RNG.standard_normal((4, 4)))},
        "bool": {"attn_mask": ember.tensor(np.triu(np.ones((4, 4), bool), 1))},
    }[mask]
    res = []
    for fused in (True, False):
        x = ember.tensor(xs, requires_grad=True)
        out = _run(em, x, fused, **kw)
        gx, gw = ember.autograd.grad(out.sin().sum(), (x, em.in_proj_weight), create_graph=True)
        (gx.square().sum() + gw.square().sum()).backward()
        res.append([to_np(x.grad)] + [to_np(p.grad) for p in em.parameters()])
        em.zero_grad()
    for a, b in zip(res[0], res[1]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_fused_gradcheck():
    _, em = _pair(4, 2, dtype=np.float64)
    x = ember.tensor(RNG.standard_normal((2, 3, 4)), requires_grad=True)

    def f(x, w, wo):
        em.in_proj_weight.data, em.out_proj.weight.data = w.detach(), wo.detach()
        return A._self_attention_fused(x.transpose(0, 1), 2, w, em.in_proj_bias, wo, em.out_proj.bias, None, 0.0, True)

    w = em.in_proj_weight.detach().clone().requires_grad_(True)
    wo = em.out_proj.weight.detach().clone().requires_grad_(True)
    assert ember.autograd.gradcheck(f, (x, w, wo))
    assert ember.autograd.gradgradcheck(f, (x, w, wo))


def test_fused_only_where_it_applies():
    _, em = _pair(8, 2)
    x = ember.tensor(RNG.standard_normal((2, 5, 8)).astype(np.float32), requires_grad=True)
    fused = "MultiheadSelfAttentionBackward0"
    out, w = em(x, x, x)  # need_weights=True: the op-by-op path, which returns the weights
    assert w is not None and fused not in _names(out)
    y = ember.tensor(RNG.standard_normal((2, 5, 8)).astype(np.float32))
    out, _ = em(x, y, y, need_weights=False)  # not self-attention
    assert fused not in _names(out)
    kpm = ember.zeros(2, 5, dtype=ember.bool)
    out, _ = em(x, x, x, need_weights=False, key_padding_mask=kpm)
    assert fused not in _names(out)
    out, _ = em(x, x, x, need_weights=False)
    assert fused in _names(out)
    with ember.no_grad():
        out, _ = em(x, x, x, need_weights=False)
    assert out.grad_fn is None


def _names(t):
    seen, st, names = set(), [t.grad_fn], set()
    while st:
        n = st.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        names.add(type(n).__name__)
        st.extend(f for f, _ in n.next_functions)
    return names


def test_fused_inplace_weight_change_before_backward_raises():
    _, em = _pair(8, 2)
    x = ember.tensor(RNG.standard_normal((2, 5, 8)).astype(np.float32), requires_grad=True)
    out, _ = em(x, x, x, need_weights=False)
    with ember.no_grad():
        em.in_proj_weight.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_fused_encoder_layer_trains_as_torch():
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=True)
    el = ember.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=True)
    copy_state(tl, el)
    xs = RNG.standard_normal((3, 6, 8)).astype(np.float32)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(6)
    emask = ember.tensor(mask.numpy())
    # SGD: the key bias's exact gradient is 0 (softmax ignores a constant per row), and Adam would scale its
    # rounding noise up to full steps
    topt = torch.optim.SGD(tl.parameters(), lr=0.1)
    eopt = ember.optim.SGD(el.parameters(), lr=0.1)
    for _ in range(3):
        for lib, layer, opt, m in ((torch, tl, topt, mask), (ember, el, eopt, emask)):
            opt.zero_grad()
            out = layer(lib.tensor(xs), src_mask=m, is_causal=True)
            out.square().mean().backward()
            opt.step()
    for (n, tp), (_, ep) in zip(tl.named_parameters(), el.named_parameters()):
        np.testing.assert_allclose(to_np(ep), to_np(tp), rtol=1e-4, atol=1e-5, err_msg=n)
