"""Attention and transformers against torch: scaled_dot_product_attention, MultiheadAttention,
Transformer encoder/decoder layers and stacks (outputs, gradients, masks, init, reprs, errors)."""

import warnings

import numpy as np
import pytest
import torch

import ember

from nn_compare import compare_module, copy_state, to_np

RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _conv(v, lib):
    return lib.tensor(v) if isinstance(v, np.ndarray) else v


# -- scaled_dot_product_attention -------------------------------------------------------------------


def _sdpa(qs, ks, vs, rtol=1e-5, **kw):
    arrays = [rand(*s) for s in (qs, ks, vs)]
    ti = [torch.tensor(a, requires_grad=True) for a in arrays]
    ei = [ember.tensor(a, requires_grad=True) for a in arrays]
    to = torch.nn.functional.scaled_dot_product_attention(*ti, **{k: _conv(v, torch) for k, v in kw.items()})
    eo = ember.nn.functional.scaled_dot_product_attention(*ei, **{k: _conv(v, ember) for k, v in kw.items()})
    np.testing.assert_allclose(to_np(eo), to_np(to), rtol=rtol, atol=1e-5)
    g = rand(*to.shape)
    to.backward(torch.tensor(g))
    eo.backward(ember.tensor(g))
    for a, b in zip(ti, ei):
        np.testing.assert_allclose(to_np(b.grad), to_np(a.grad), rtol=1e-4, atol=1e-4)
    return eo


def test_sdpa_basic_and_scale():
    _sdpa((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6))
    _sdpa((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), scale=0.25)
    _sdpa((4, 8), (5, 8), (5, 6))
    _sdpa((2, 3, 4, 8), (2, 1, 5, 8), (2, 1, 5, 6))  # broadcast batch dims


def test_sdpa_causal():
    _sdpa((2, 2, 5, 4), (2, 2, 5, 4), (2, 2, 5, 4), is_causal=True)
    _sdpa((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), is_causal=True)


def test_sdpa_masks():
    m = RNG.random((4, 5)) > 0.4
    m[0] = False  # a fully masked row gives zeros, as torch
    _sdpa((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), attn_mask=m)
    _sdpa((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), attn_mask=rand(3, 4, 5))


def test_sdpa_float_mask_grad():
    m = rand(4, 5)
    tm, em = torch.tensor(m, requires_grad=True), ember.tensor(m, requires_grad=True)
    q, k, v = rand(2, 4, 3), rand(2, 5, 3), rand(2, 5, 3)
    to = torch.nn.functional.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(v), tm)
    eo = ember.nn.functional.scaled_dot_product_attention(ember.tensor(q), ember.tensor(k), ember.tensor(v), em)
    to.pow(2).sum().backward()
    eo.pow(2).sum().backward()
    np.testing.assert_allclose(to_np(em.grad), to_np(tm.grad), rtol=1e-4, atol=1e-5)


def test_sdpa_gqa():
    _sdpa((2, 4, 3, 8), (2, 2, 5, 8), (2, 2, 5, 6), enable_gqa=True)


def test_sdpa_dropout_shape_and_double_backward():
    q = ember.randn(2, 3, 4, requires_grad=True)
    k, v = ember.randn(2, 5, 4), ember.randn(2, 5, 4)
    out = ember.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert out.shape == (2, 3, 4)
    out.sum().backward()
    assert q.grad.shape == q.shape
    # second-order gradient through the fused node (no dropout)
    qa, ka, va = rand(2, 3, 4, dtype=np.float64), rand(2, 5, 4, dtype=np.float64), rand(2, 5, 4, dtype=np.float64)
    res = []
    for lib in (torch, ember):
        q = lib.tensor(qa, requires_grad=True)
        o = lib.nn.functional.scaled_dot_product_attention(q, lib.tensor(ka), lib.tensor(va))
        (g,) = lib.autograd.grad(o.pow(2).sum(), q, create_graph=True)
        g.pow(2).sum().backward()
        res.append(to_np(q.grad))
    np.testing.assert_allclose(res[1], res[0], rtol=1e-8, atol=1e-10)


def test_sdpa_double_backward_with_a_fully_masked_row():
    """The second-order gradient stays finite when a query attends to nothing (its row of P is zero)."""
    qa, ka, va = (rand(1, 4, 3, dtype=np.float64) for _ in range(3))
    m = np.ones((4, 4), bool)
    m[1] = False
    res = []
    for lib in (torch, ember):
        q, k = lib.tensor(qa, requires_grad=True), lib.tensor(ka, requires_grad=True)
        o = lib.nn.functional.scaled_dot_product_attention(q, k, lib.tensor(va), attn_mask=lib.tensor(m))
        (g,) = lib.autograd.grad(o.pow(2).sum(), q, create_graph=True)
        g.pow(2).sum().backward()
        res.append((to_np(g), to_np(k.grad)))
    for e, t in zip(res[1], res[0]):
        assert np.isfinite(t).all()
        np.testing.assert_allclose(e, t, rtol=1e-8, atol=1e-10)


def test_sdpa_errors():
    q = ember.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        ember.nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=ember.ones(3, 3), is_causal=True)
    with pytest.raises(RuntimeError, match="dropout probability has to be between 0 and 1"):
        ember.nn.functional.scaled_dot_product_attention(q, q, q, dropout_p=1.5)
    with pytest.raises(RuntimeError):
        ember.nn.functional.scaled_dot_product_attention(q, ember.randn(2, 3, 5), q)


# -- MultiheadAttention -----------------------------------------------------------------------------


MHA_CONFIGS = [
    {},
    {"bias": False},
    {"add_bias_kv": True},
    {"add_zero_attn": True},
    {"kdim": 3, "vdim": 5},
    {"batch_first": True},
    {"dropout": 0.2},
]


@pytest.mark.parametrize("cfg", MHA_CONFIGS, ids=str)
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("train", [True, False])
def test_mha(cfg, need_weights, train):
    t, e = torch.nn.MultiheadAttention(8, 2, **cfg), ember.nn.MultiheadAttention(8, 2, **cfg)
    bf = cfg.get("batch_first", False)
    q = rand(*((2, 4, 8) if bf else (4, 2, 8)))
    k = rand(*((2, 5, cfg.get("kdim", 8)) if bf else (5, 2, cfg.get("kdim", 8))))
    v = rand(*((2, 5, cfg.get("vdim", 8)) if bf else (5, 2, cfg.get("vdim", 8))))
    if train and cfg.get("dropout"):
        # torch's CPU SDPA kernel draws its dropout differently: compare shapes only
        copy_state(t, e)
        e.train()
        out, w = e(ember.tensor(q), ember.tensor(k), ember.tensor(v), need_weights=need_weights)
        assert out.shape == q.shape and (w is None) != need_weights
        return
    compare_module(t, e, q, k, v, train=train, kwargs={"need_weights": need_weights}, atol=2e-5)


@pytest.mark.parametrize("average", [True, False])
def test_mha_masks(average):
    t, e = torch.nn.MultiheadAttention(8, 2), ember.nn.MultiheadAttention(8, 2)
    x = rand(4, 3, 8)
    kpm = np.zeros((3, 4), bool)
    kpm[1, 2:] = True
    am = rand(4, 4)
    for kw in (
        {"key_padding_mask": kpm},
        {"attn_mask": am},
        {"attn_mask": np.triu(np.ones((4, 4), bool), 1), "key_padding_mask": kpm},
        {"attn_mask": rand(6, 4, 4)},
    ):
        for nw in (True, False):
            kwargs = {k: _conv(v, torch) for k, v in kw.items()}
            copy_state(t, e)
            tq = torch.tensor(x, requires_grad=True)
            eq = ember.tensor(x, requires_grad=True)
            to, tw = t(tq, tq, tq, need_weights=nw, average_attn_weights=average, **kwargs)
            eo, ew = e(
                eq, eq, eq, need_weights=nw, average_attn_weights=average, **{k: _conv(v, ember) for k, v in kw.items()}
            )
            np.testing.assert_allclose(to_np(eo), to_np(to), rtol=1e-5, atol=2e-5)
            if nw:
                np.testing.assert_allclose(to_np(ew), to_np(tw), rtol=1e-5, atol=1e-5)
            to.sum().backward()
            eo.sum().backward()
            np.testing.assert_allclose(to_np(eq.grad), to_np(tq.grad), rtol=1e-4, atol=1e-4)


def test_mha_causal_and_unbatched():
    t, e = torch.nn.MultiheadAttention(8, 4), ember.nn.MultiheadAttention(8, 4)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5)
    emask = ember.nn.Transformer.generate_square_subsequent_mask(5)
    x = rand(5, 2, 8)
    copy_state(t, e)
    to, _ = t(*(torch.tensor(x),) * 3, attn_mask=mask, is_causal=True, need_weights=False)
    eo, _ = e(*(ember.tensor(x),) * 3, attn_mask=emask, is_causal=True, need_weights=False)
    np.testing.assert_allclose(to_np(eo), to_np(to), rtol=1e-5, atol=1e-5)
    compare_module(t, e, rand(5, 8), rand(6, 8), rand(6, 8), atol=2e-5)


def test_mha_init_repr_errors():
    torch.manual_seed(0)
    ember.manual_seed(0)
    t = torch.nn.MultiheadAttention(8, 2, add_bias_kv=True, kdim=4, vdim=4)
    e = ember.nn.MultiheadAttention(8, 2, add_bias_kv=True, kdim=4, vdim=4)
    assert repr(e) == repr(t)
    for (n, a), (m, b) in zip(t.named_parameters(), e.named_parameters()):
        assert n == m
        np.testing.assert_array_equal(to_np(b), to_np(a), err_msg=n)
    assert isinstance(e.out_proj, ember.nn.Linear)
    assert type(e.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        ember.nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        ember.nn.MultiheadAttention(0, 3)
    m = ember.nn.MultiheadAttention(8, 2)
    with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D"):
        m(ember.randn(3, 2, 8), ember.randn(3, 8), ember.randn(3, 8))
    with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask"):
        m(ember.randn(3, 2, 8), ember.randn(3, 2, 8), ember.randn(3, 2, 8), attn_mask=ember.zeros(2, 2))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(ember.randn(3, 2, 8), ember.randn(3, 2, 8), ember.randn(3, 2, 8), is_causal=True)


# -- Transformer ------------------------------------------------------------------------------------


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


LAYER_CONFIGS = [
    {},
    {"norm_first": True},
    {"batch_first": True},
    {"activation": "gelu"},
    {"bias": False, "layer_norm_eps": 1e-3},
]


@pytest.mark.parametrize("cfg", LAYER_CONFIGS, ids=str)
@pytest.mark.parametrize("train", [True, False])
def test_encoder_layer(cfg, train):
    kw = dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0 if train else 0.1, **cfg)
    t, e = torch.nn.TransformerEncoderLayer(**kw), ember.nn.TransformerEncoderLayer(**kw)
    x = rand(*((2, 5, 8) if cfg.get("batch_first") else (5, 2, 8)))
    compare_module(t, e, x, train=train, atol=2e-5)
    assert repr(e) == repr(t)


@pytest.mark.parametrize("cfg", LAYER_CONFIGS, ids=str)
def test_decoder_layer(cfg):
    kw = dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, **cfg)
    t, e = torch.nn.TransformerDecoderLayer(**kw), ember.nn.TransformerDecoderLayer(**kw)
    bf = cfg.get("batch_first")
    x, mem = rand(*((2, 4, 8) if bf else (4, 2, 8))), rand(*((2, 5, 8) if bf else (5, 2, 8)))
    compare_module(t, e, x, mem, atol=2e-5)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4)
    copy_state(t, e)
    to = t(torch.tensor(x), torch.tensor(mem), tgt_mask=mask, tgt_is_causal=True)
    eo = e(ember.tensor(x), ember.tensor(mem), tgt_mask=ember.tensor(mask.numpy()), tgt_is_causal=True)
    np.testing.assert_allclose(to_np(eo), to_np(to), rtol=1e-5, atol=2e-5)


def test_custom_activation_callable():
    kw = dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0)
    t = torch.nn.TransformerEncoderLayer(activation=torch.tanh, **kw)
    e = ember.nn.TransformerEncoderLayer(activation=ember.tanh, **kw)
    compare_module(t, e, rand(5, 2, 8), atol=2e-5)
    assert e.activation_relu_or_gelu == 0


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_full(batch_first, norm_first):
    kw = dict(
        d_model=8,
        nhead=2,
        num_encoder_layers=2,
        num_decoder_layers=2,
        dim_feedforward=16,
        dropout=0.0,
        batch_first=batch_first,
        norm_first=norm_first,
    )
    t, e = _quiet(lambda: torch.nn.Transformer(**kw)), _quiet(lambda: ember.nn.Transformer(**kw))
    assert repr(e) == repr(t)
    src = rand(*((2, 5, 8) if batch_first else (5, 2, 8)))
    tgt = rand(*((2, 4, 8) if batch_first else (4, 2, 8)))
    kpm = np.zeros((2, 5), bool)
    kpm[1, 3:] = True
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4)
    compare_module(t, e, src, tgt, atol=5e-5)
    copy_state(t, e)
    ts, tt = torch.tensor(src, requires_grad=True), torch.tensor(tgt, requires_grad=True)
    es, et = ember.tensor(src, requires_grad=True), ember.tensor(tgt, requires_grad=True)
    to = t(ts, tt, tgt_mask=tmask, src_key_padding_mask=torch.tensor(kpm), memory_key_padding_mask=torch.tensor(kpm))
    eo = e(
        es,
        et,
        tgt_mask=ember.nn.Transformer.generate_square_subsequent_mask(4),
        src_key_padding_mask=ember.tensor(kpm),
        memory_key_padding_mask=ember.tensor(kpm),
    )
    np.testing.assert_allclose(to_np(eo), to_np(to), rtol=1e-4, atol=5e-5)
    to.pow(2).sum().backward()
    eo.pow(2).sum().backward()
    np.testing.assert_allclose(to_np(es.grad), to_np(ts.grad), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(to_np(et.grad), to_np(tt.grad), rtol=1e-3, atol=1e-4)


def test_transformer_init_matches_torch():
    kw = dict(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)
    torch.manual_seed(0)
    t = _quiet(lambda: torch.nn.Transformer(**kw))
    ember.manual_seed(0)
    e = _quiet(lambda: ember.nn.Transformer(**kw))
    tp, ep = dict(t.named_parameters()), dict(e.named_parameters())
    assert list(tp) == list(ep)
    for n in tp:
        np.testing.assert_array_equal(to_np(ep[n]), to_np(tp[n]), err_msg=n)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
def test_encoder_stack_and_nested_path():
    layer_t = torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    layer_e = ember.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    t = torch.nn.TransformerEncoder(layer_t, 2, norm=torch.nn.LayerNorm(8))
    e = ember.nn.TransformerEncoder(layer_e, 2, norm=ember.nn.LayerNorm(8))
    assert e.layers[0] is not layer_e and e.layers[0] is not e.layers[1]
    assert repr(e) == repr(t)
    copy_state(t, e)
    t.eval()
    e.eval()
    x = rand(2, 5, 8)
    kpm = np.zeros((2, 5), bool)
    kpm[1, 3:] = True
    with torch.no_grad():
        to = t(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))
    with ember.no_grad():
        eo = e(ember.tensor(x), src_key_padding_mask=ember.tensor(kpm))
    np.testing.assert_allclose(to_np(eo), to_np(to), rtol=1e-5, atol=2e-5)
    # with grad enabled torch takes the ordinary path
    to = t(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))
    eo = e(ember.tensor(x), src_key_padding_mask=ember.tensor(kpm))
    np.testing.assert_allclose(to_np(eo), to_np(to), rtol=1e-5, atol=2e-5)
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False"):
        ember.nn.TransformerEncoder(ember.nn.TransformerEncoderLayer(8, 2, 16), 1)


def test_square_subsequent_mask_and_errors():
    np.testing.assert_array_equal(
        to_np(ember.nn.Transformer.generate_square_subsequent_mask(4)),
        to_np(torch.nn.Transformer.generate_square_subsequent_mask(4)),
    )
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        ember.nn.TransformerEncoderLayer(8, 2, activation="tanh")
    m = _quiet(lambda: ember.nn.Transformer(8, 2, 1, 1, 16))
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        m(ember.randn(3, 2, 8), ember.randn(3, 3, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        m(ember.randn(3, 2, 4), ember.randn(3, 2, 4))
