"""Dropout (masks equal torch's for the same seed), Embedding, EmbeddingBag, one_hot against torch."""

import warnings

import numpy as np
import pytest
import torch

import ember

from nn_compare import compare_module

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _run(lib, name, x, p, **kw):
    lib.manual_seed(0)
    xx = lib.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = getattr(lib.nn.functional, name)(xx, p, **kw)
    y.backward(lib.tensor(np.ones(x.shape, np.float32) * 0.5))
    return y.detach().numpy(), xx.grad.numpy()


@pytest.mark.parametrize(
    "name,shape,kw",
    [
        ("dropout", (4, 5, 6), {}),
        ("dropout", (7,), {}),
        ("dropout1d", (4, 5, 6), {}),
        ("dropout1d", (5, 6), {}),
        ("dropout2d", (4, 5, 3, 3), {}),
        ("dropout2d", (4, 5, 3), {}),
        ("dropout3d", (2, 5, 2, 3, 3), {}),
        ("dropout3d", (5, 2, 3, 3), {}),
        ("alpha_dropout", (4, 5, 6), {"training": True}),
        ("feature_alpha_dropout", (4, 5, 3, 3), {"training": True}),
    ],
)
@pytest.mark.parametrize("p", [0.2, 0.5, 0.0, 1.0])
def test_dropout_same_masks_as_torch(name, shape, kw, p):
    x = rand(*shape)
    (ty, tg), (ey, eg) = _run(torch, name, x, p, **kw), _run(ember, name, x, p, **kw)
    np.testing.assert_allclose(ey, ty, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(eg, tg, rtol=1e-6, atol=1e-7)


def test_dropout_stream_continues_like_torch():
    x = rand(8, 8)
    torch.manual_seed(3)
    ember.manual_seed(3)
    for _ in range(3):
        a = torch.nn.functional.dropout(torch.tensor(x), 0.4)
        b = ember.nn.functional.dropout(ember.tensor(x), 0.4)
        np.testing.assert_array_equal(b.numpy(), a.numpy())


def test_dropout_eval_inplace_and_errors():
    x = ember.tensor(rand(3, 4))
    assert ember.nn.functional.dropout(x, 0.5, training=False) is x
    m = ember.nn.Dropout(0.5)
    m.eval()
    np.testing.assert_array_equal(m(x).numpy(), x.numpy())
    y = ember.tensor(rand(3, 4))
    ember.manual_seed(0)
    torch.manual_seed(0)
    ty = torch.tensor(y.numpy())
    r = ember.nn.functional.dropout(y, 0.5, inplace=True)
    torch.nn.functional.dropout(ty, 0.5, inplace=True)
    assert r is y
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        ember.nn.functional.dropout(x, 1.5)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        ember.nn.Dropout(-0.1)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        ember.nn.functional.dropout1d(ember.zeros(2, 3, 4, 5))


@pytest.mark.parametrize(
    "cls,shape",
    [
        ("Dropout", (4, 6)),
        ("Dropout1d", (4, 3, 5)),
        ("Dropout2d", (2, 3, 4, 4)),
        ("Dropout3d", (2, 3, 2, 2, 2)),
        ("AlphaDropout", (4, 6)),
        ("FeatureAlphaDropout", (2, 3, 4, 4)),
    ],
)
def test_dropout_modules(cls, shape):
    for kw in ({}, {"p": 0.3}, {"p": 0.2, "inplace": True}):
        t, e = getattr(torch.nn, cls)(**kw), getattr(ember.nn, cls)(**kw)
        assert repr(t) == repr(e)
    t, e = getattr(torch.nn, cls)(0.3), getattr(ember.nn, cls)(0.3)
    torch.manual_seed(5)
    ember.manual_seed(5)
    compare_module(t, e, rand(*shape), train=True)
    compare_module(t, e, rand(*shape), train=False)


# -- embedding ----------------------------------------------------------------------------------------------


IDX = np.array([[1, 2, 3, 2], [9, 0, 2, 1]])


def test_embedding_init_matches_torch():
    torch.manual_seed(0)
    ember.manual_seed(0)
    t, e = torch.nn.Embedding(10, 4, padding_idx=2), ember.nn.Embedding(10, 4, padding_idx=2)
    np.testing.assert_array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())
    assert not e.weight.detach().numpy()[2].any()


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"padding_idx": 2},
        {"padding_idx": -1},
        {"scale_grad_by_freq": True},
        {"scale_grad_by_freq": True, "padding_idx": 1},
        {"max_norm": 1.0},
        {"max_norm": 1.5, "norm_type": 1.0},
    ],
)
def test_embedding(kw):
    t, e = torch.nn.Embedding(10, 4, **kw), ember.nn.Embedding(10, 4, **kw)
    assert repr(t) == repr(e)
    compare_module(t, e, IDX)
    compare_module(t, e, np.array([3, 3, 9]))
    if "max_norm" in kw:  # rows were renormalised in place
        np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6)
    x = e(ember.tensor(IDX))
    assert type(x.grad_fn).__name__ == "EmbeddingBackward0"


def test_embedding_misc_and_errors():
    assert repr(
        ember.nn.Embedding(5, 3, padding_idx=-1, max_norm=1.0, norm_type=3.0, scale_grad_by_freq=True, sparse=True)
    ) == repr(
        torch.nn.Embedding(5, 3, padding_idx=-1, max_norm=1.0, norm_type=3.0, scale_grad_by_freq=True, sparse=True)
    )
    w = rand(5, 3)
    e = ember.nn.Embedding.from_pretrained(ember.tensor(w))
    assert not e.weight.requires_grad
    np.testing.assert_array_equal(e(ember.tensor([4, 0])).numpy(), w[[4, 0]])
    assert ember.nn.Embedding.from_pretrained(ember.tensor(w), freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        ember.nn.Embedding(5, 3, padding_idx=7)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        ember.nn.Embedding(5, 3, padding_idx=-6)
    with pytest.raises(AssertionError):
        ember.nn.Embedding.from_pretrained(ember.zeros(3))
    with pytest.raises(IndexError, match="index out of range in self"):
        ember.nn.functional.embedding(ember.tensor([7]), ember.tensor(w))
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices'"):
        ember.nn.functional.embedding(ember.tensor([1.0]), ember.tensor(w))
    # functional embedding double backward: gradient of the weight gradient w.r.t. the upstream grad
    ww = ember.tensor(w, requires_grad=True)
    g = ember.ones(2, 3, requires_grad=True)
    (gw,) = ember.autograd.grad(ember.nn.functional.embedding(ember.tensor([1, 1]), ww), ww, g, create_graph=True)
    (gg,) = ember.autograd.grad(gw.sum(), g)
    np.testing.assert_array_equal(gg.numpy(), np.ones((2, 3), np.float32))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("pad", [None, 2])
def test_embedding_bag(mode, pad):
    t, e = (
        torch.nn.EmbeddingBag(10, 4, mode=mode, padding_idx=pad),
        ember.nn.EmbeddingBag(10, 4, mode=mode, padding_idx=pad),
    )
    assert repr(t) == repr(e)
    compare_module(t, e, IDX)
    compare_module(t, e, np.array([1, 2, 3, 2, 9, 0, 2, 1, 5]), np.array([0, 3, 3, 7]))
    ti, ei = (
        torch.nn.EmbeddingBag(10, 4, mode=mode, include_last_offset=True),
        ember.nn.EmbeddingBag(10, 4, mode=mode, include_last_offset=True),
    )
    compare_module(ti, ei, np.array([1, 2, 3, 2, 9, 0, 2, 1, 5]), np.array([0, 3, 3, 7, 9]))


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_embedding_bag_max_dtypes(dtype):
    """max bags reduce in the weight's dtype: float64 values 1e-12 apart pick the right row, empty bags give 0."""
    w = np.array([[1.0, 1.0 + 1e-12], [1.0 + 1e-12, 1.0], [3.0, -2.0], [-1.0, 0.5]])
    idx, off = np.array([0, 1, 0, 3, 2, 3]), np.array([0, 3, 3, 4])
    tw = torch.tensor(w).to(getattr(torch, dtype)).requires_grad_()
    ew = ember.tensor(w).to(getattr(ember, dtype)).requires_grad_()
    t = torch.nn.functional.embedding_bag(torch.tensor(idx), tw, torch.tensor(off), mode="max")
    e = ember.nn.functional.embedding_bag(ember.tensor(idx), ew, ember.tensor(off), mode="max")
    assert e.dtype == getattr(ember, dtype)
    t.sum().backward()
    e.sum().backward()
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
    np.testing.assert_array_equal(ew.grad.numpy(), tw.grad.numpy())


def test_embedding_bag_per_sample_weights_and_errors():
    t, e = torch.nn.EmbeddingBag(10, 4, mode="sum"), ember.nn.EmbeddingBag(10, 4, mode="sum")
    compare_module(t, e, np.array([1, 2, 3, 2, 9]), np.array([0, 2]), rand(5))
    compare_module(t, e, IDX, None, rand(2, 4))
    F = ember.nn.functional
    w = ember.tensor(rand(5, 3))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(ember.tensor([1, 2]), w)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(ember.tensor([[1, 2]]), w, ember.tensor([0]))
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum'"):
        F.embedding_bag(ember.tensor([1, 2]), w, ember.tensor([0]), mode="mean", per_sample_weights=ember.ones(2))
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(ember.tensor([1, 2]), w, ember.tensor([0]), mode="foo")


def test_one_hot():
    for a, n in ((np.array([0, 2, 1]), -1), (np.array([[0, 3], [1, 1]]), 5), (np.zeros((0,), np.int64), 3)):
        np.testing.assert_array_equal(
            ember.nn.functional.one_hot(ember.tensor(a), n).numpy(),
            torch.nn.functional.one_hot(torch.tensor(a), n).numpy(),
        )
    assert ember.nn.functional.one_hot(ember.tensor([1, 0])).dtype == ember.int64
    F = ember.nn.functional
    with pytest.raises(RuntimeError, match="LongTensor"):
        F.one_hot(ember.tensor([1.0]), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(ember.tensor([-1]), 3)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(ember.tensor([4]), 3)
    with pytest.raises(RuntimeError, match="empty tensor"):
        F.one_hot(ember.tensor([], dtype=ember.int64))
