"""Identity, Linear, Bilinear, LazyLinear, Flatten, Unflatten and F.linear / F.bilinear against torch."""

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import ember
import ember.nn as enn
import ember.nn.functional as EF

from nn_compare import compare_module, to_np

RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(3,), (5, 3), (4, 2, 3), (2, 2, 2, 3), (0, 3)])
@pytest.mark.parametrize("train", [True, False])
def test_linear_matches_torch(bias, shape, train):
    tm, em = tnn.Linear(3, 4, bias=bias), enn.Linear(3, 4, bias=bias)
    assert repr(em) == repr(tm)
    compare_module(tm, em, rand(*shape), train=train)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(3,), (5, 3), (4, 2, 3)])
def test_linear_grad_fn_names(bias, shape):
    wt, we = torch.randn(4, 3, requires_grad=True), ember.randn(4, 3, requires_grad=True)
    bt = torch.randn(4, requires_grad=True) if bias else None
    be = ember.randn(4, requires_grad=True) if bias else None
    yt = TF.linear(torch.randn(*shape), wt, bt)
    ye = EF.linear(ember.randn(*shape), we, be)
    assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__


def test_linear_same_init_as_torch():
    for seed in (0, 7):
        torch.manual_seed(seed)
        ember.manual_seed(seed)
        tm, em = tnn.Linear(3, 2), enn.Linear(3, 2)
        np.testing.assert_array_equal(to_np(em.weight), to_np(tm.weight))
        np.testing.assert_array_equal(to_np(em.bias), to_np(tm.bias))
        tb, eb = tnn.Bilinear(3, 4, 2), enn.Bilinear(3, 4, 2)
        np.testing.assert_array_equal(to_np(eb.weight), to_np(tb.weight))
        np.testing.assert_array_equal(to_np(eb.bias), to_np(tb.bias))
    torch.manual_seed(1)
    ember.manual_seed(1)
    t_seq = tnn.Sequential(tnn.Linear(10, 20), tnn.ReLU(), tnn.Linear(20, 5))
    e_seq = enn.Sequential(enn.Linear(10, 20), enn.ReLU(), enn.Linear(20, 5))
    for (n, p), (m, q) in zip(t_seq.named_parameters(), e_seq.named_parameters()):
        assert n == m
        np.testing.assert_array_equal(to_np(q), to_np(p))


def test_linear_dtypes_and_factory_kwargs():
    em = enn.Linear(3, 2, dtype=ember.float64)
    assert em.weight.dtype == ember.float64 and em.bias.dtype == ember.float64
    tm = tnn.Linear(3, 2, dtype=torch.float64)
    compare_module(tm, em, rand(4, 3, dtype=np.float64), rtol=1e-12, atol=1e-12)
    # integer linear works in torch too
    a = RNG.integers(-5, 5, (2, 3))
    w = RNG.integers(-5, 5, (4, 3))
    yt = TF.linear(torch.tensor(a), torch.tensor(w))
    ye = EF.linear(ember.tensor(a), ember.tensor(w))
    assert ye.dtype == ember.int64
    np.testing.assert_array_equal(to_np(ye), to_np(yt))


def test_linear_double_backward():
    a, w, b = rand(5, 3).astype(np.float64), rand(4, 3).astype(np.float64), rand(4).astype(np.float64)
    ts = [torch.tensor(v, requires_grad=True) for v in (a, w, b)]
    es = [ember.tensor(v, requires_grad=True) for v in (a, w, b)]
    yt, ye = TF.linear(*ts), EF.linear(*es)
    gt = torch.autograd.grad((yt * yt).sum(), ts, create_graph=True)
    ge = ember.autograd.grad((ye * ye).sum(), es, create_graph=True)
    for x, y in zip(ge, gt):
        np.testing.assert_allclose(to_np(x), to_np(y), rtol=1e-10)
    ht = torch.autograd.grad(sum((g * g).sum() for g in gt), ts)
    he = ember.autograd.grad(sum((g * g).sum() for g in ge), es)
    for x, y in zip(he, ht):
        np.testing.assert_allclose(to_np(x), to_np(y), rtol=1e-9)


def test_linear_weight_1d_and_broadcast_bias():
    a, w = rand(2, 3), rand(3)
    np.testing.assert_allclose(
        to_np(EF.linear(ember.tensor(a), ember.tensor(w))),
        to_np(TF.linear(torch.tensor(a), torch.tensor(w))),
        rtol=1e-6,
    )
    b1 = rand(1)
    xt, xe = torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)
    wt, we = torch.tensor(rand(4, 3)), None
    we = ember.tensor(to_np(wt))
    bt, be = torch.tensor(b1, requires_grad=True), ember.tensor(b1, requires_grad=True)
    TF.linear(xt, wt, bt).sum().backward()
    EF.linear(xe, we, be).sum().backward()
    np.testing.assert_allclose(to_np(be.grad), to_np(bt.grad), rtol=1e-6)
    np.testing.assert_allclose(to_np(xe.grad), to_np(xt.grad), rtol=1e-6)


@pytest.mark.parametrize(
    "call",
    [
        lambda F, T: F.linear(T.randn(2, 3), T.randn(4, 5)),
        lambda F, T: F.linear(T.randn(6, 2, 3), T.randn(4, 5)),
        lambda F, T: F.linear(T.randn(3), T.randn(4, 5)),
        lambda F, T: F.linear(T.randn(2, 3), T.randn(4, 3), T.randn(5)),
        lambda F, T: F.linear(T.randn(2, 3), T.randn(4, 3).double()),
        lambda F, T: F.linear(T.randn(()), T.randn(4, 3)),
        lambda F, T: F.bilinear(T.randn(2, 3), T.randn(2, 4), T.randn(5, 3, 3)),
        lambda F, T: F.bilinear(T.randn(2, 3), T.randn(3, 4), T.randn(5, 3, 4)),
    ],
)
def test_linear_errors(call):
    with pytest.raises(Exception) as et:
        call(TF, torch)
    with pytest.raises(type(et.value)) as ee:
        call(EF, ember)
    assert str(ee.value) == str(et.value)


def test_linear_module_bad_input():
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        enn.Linear(3, 4)(ember.randn(2, 5))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("lead", [(5,), (2, 3), ()])
def test_bilinear(bias, lead):
    tm, em = tnn.Bilinear(3, 4, 2, bias=bias), enn.Bilinear(3, 4, 2, bias=bias)
    assert repr(em) == repr(tm)
    compare_module(tm, em, rand(*lead, 3), rand(*lead, 4))


def test_identity():
    tm, em = tnn.Identity(54, unused="x"), enn.Identity(54, unused="x")
    assert repr(em) == repr(tm) == "Identity()"
    x = ember.randn(2)
    assert em(x) is x


def test_lazy_linear():
    em = enn.LazyLinear(4)
    assert isinstance(em.weight, enn.UninitializedParameter)
    torch.manual_seed(0)
    ember.manual_seed(0)
    tm = tnn.LazyLinear(4)
    tm(torch.randn(2, 3))
    em(ember.randn(2, 3))
    assert type(em) is enn.Linear and em.in_features == 3
    assert repr(em) == repr(tm)
    np.testing.assert_array_equal(to_np(em.weight), to_np(tm.weight))
    np.testing.assert_array_equal(to_np(em.bias), to_np(tm.bias))
    compare_module(tm, em, rand(5, 3))
    em2 = enn.LazyLinear(4, bias=False)
    em2(ember.randn(3, 7))
    assert em2.bias is None and tuple(em2.weight.shape) == (4, 7)


@pytest.mark.parametrize("args", [(), (0,), (1, 2), (-3, -2), (2, -1)])
def test_flatten(args):
    tm, em = tnn.Flatten(*args), enn.Flatten(*args)
    assert repr(em) == repr(tm)
    compare_module(tm, em, rand(2, 3, 4, 5))


@pytest.mark.parametrize("dim,size", [(1, (2, 6)), (-1, (5, 1)), (1, [3, 4]), (1, (-1, 3))])
def test_unflatten(dim, size):
    tm, em = tnn.Unflatten(dim, size), enn.Unflatten(dim, size)
    assert repr(em) == repr(tm)
    compare_module(tm, em, rand(2, 12, 5))


def test_unflatten_errors():
    for bad in (3, (2, 2.0)):
        with pytest.raises(TypeError) as et:
            tnn.Unflatten(1, bad)
        with pytest.raises(TypeError) as ee:
            enn.Unflatten(1, bad)
        assert str(ee.value) == str(et.value)
