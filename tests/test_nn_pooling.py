"""Pooling layers (max / avg / adaptive / lp / unpool, 1-D to 3-D) and their functionals against torch."""

import numpy as np
import pytest
import torch

import ember

from nn_compare import compare_module

RNG = np.random.default_rng(1)


def _x(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


POOL_CASES = [
    ("MaxPool1d", (3,), {}, (2, 3, 10)),
    ("MaxPool1d", (3, 2, 1), {"ceil_mode": True, "dilation": 2}, (2, 3, 10)),
    ("MaxPool1d", (2,), {"return_indices": True}, (3, 8)),
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", (3, 2, 1), {}, (2, 3, 7, 9)),
    (
        "MaxPool2d",
        ((3, 2), (2, 1), (1, 0)),
        {"dilation": (1, 2), "ceil_mode": True, "return_indices": True},
        (2, 2, 8, 7),
    ),
    ("MaxPool2d", (3,), {"stride": 2, "ceil_mode": True}, (3, 8, 8)),
    ("MaxPool3d", (2,), {"return_indices": True}, (2, 2, 4, 6, 4)),
    ("MaxPool3d", (3, 2, 1), {"ceil_mode": True}, (2, 2, 5, 6, 5)),
    ("AvgPool1d", (3,), {}, (2, 3, 10)),
    ("AvgPool1d", (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}, (2, 3, 10)),
    ("AvgPool1d", (2,), {}, (3, 9)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 8)),
    ("AvgPool2d", (3, 2, 1), {}, (2, 3, 7, 9)),
    ("AvgPool2d", (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}, (2, 3, 8, 7)),
    ("AvgPool2d", ((3, 2), (2, 1), (1, 0)), {"ceil_mode": True}, (2, 2, 8, 7)),
    ("AvgPool2d", (3,), {"divisor_override": 4}, (3, 7, 7)),
    ("AvgPool3d", (2,), {}, (2, 2, 4, 6, 4)),
    ("AvgPool3d", (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}, (2, 2, 5, 6, 5)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 10)),
    ("AdaptiveAvgPool2d", ((3, 4),), {}, (2, 3, 7, 9)),
    ("AdaptiveAvgPool2d", ((None, 4),), {}, (2, 3, 7, 9)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 5, 5)),
    ("AdaptiveAvgPool2d", (6,), {}, (3, 4, 5)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}, (2, 2, 5, 4, 7)),
    ("AdaptiveMaxPool1d", (4,), {"return_indices": True}, (2, 3, 10)),
    ("AdaptiveMaxPool2d", ((3, 4),), {}, (2, 3, 7, 9)),
    ("AdaptiveMaxPool2d", (2,), {"return_indices": True}, (3, 8, 8)),
    ("AdaptiveMaxPool2d", ((None, 3),), {}, (2, 3, 4, 5)),
    ("AdaptiveMaxPool3d", (2,), {"return_indices": True}, (2, 2, 5, 4, 7)),
    ("LPPool1d", (2, 3), {}, (2, 3, 10)),
    ("LPPool2d", (2, 2), {}, (2, 3, 8, 8)),
    ("LPPool2d", (3, (3, 2), 2), {"ceil_mode": True}, (2, 3, 7, 8)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,args,kwargs,shape", POOL_CASES)
def test_pool_modules(name, args, kwargs, shape, dtype):
    tm = getattr(torch.nn, name)(*args, **kwargs)
    em = getattr(ember.nn, name)(*args, **kwargs)
    assert repr(tm) == repr(em)
    x = _x(*shape, dtype=dtype)
    if name.startswith("LP"):
        x = np.abs(x) + 0.1
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-10}
    to, eo = compare_module(tm, em, x, **tol)
    if kwargs.get("return_indices"):
        np.testing.assert_array_equal(eo[1].numpy(), to[1].numpy())
        assert eo[1].dtype == ember.int64
    compare_module(tm, em, x, train=False, **tol)


def test_grad_fn_names():
    x4 = _x(2, 3, 8, 8)
    x5 = _x(2, 3, 4, 4, 4)
    for fn, x, args in [
        ("max_pool2d", x4, (2,)),
        ("max_pool3d", x5, (2,)),
        ("avg_pool2d", x4, (2,)),
        ("avg_pool3d", x5, (2,)),
        ("adaptive_avg_pool2d", x4, (3,)),
        ("adaptive_avg_pool2d", x4, (1,)),
        ("adaptive_avg_pool3d", x5, (3,)),
        ("adaptive_max_pool2d", x4, (3,)),
        ("adaptive_max_pool3d", x5, (3,)),
        ("max_pool1d", x4[0], (2,)),
        ("avg_pool1d", x4[0], (2,)),
        ("max_pool2d", x4[0], (2,)),
    ]:
        t = getattr(torch.nn.functional, fn)(torch.tensor(x, requires_grad=True), *args)
        e = getattr(ember.nn.functional, fn)(ember.tensor(x, requires_grad=True), *args)
        assert e.grad_fn.name() == t.grad_fn.name(), fn


@pytest.mark.parametrize(
    "fn,args,kwargs,shape",
    [
        ("max_pool2d", (3, 2, 1), {}, (2, 2, 7, 7)),
        ("max_pool2d", (3, 1, 1), {"dilation": 2}, (1, 2, 6, 6)),
        ("avg_pool2d", (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}, (2, 2, 7, 8)),
        ("avg_pool3d", (2,), {}, (1, 2, 4, 4, 4)),
        ("adaptive_avg_pool2d", ((3, 4),), {}, (2, 2, 7, 9)),
        ("adaptive_max_pool2d", ((3, 4),), {}, (2, 2, 7, 9)),
        ("lp_pool2d", (2, 2), {}, (2, 2, 6, 6)),
    ],
)
def test_double_backward(fn, args, kwargs, shape):
    x = _x(*shape)
    if fn.startswith("lp"):
        x = np.abs(x) + 0.1
    res = []
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        out = getattr(lib.nn.functional, fn)(xt, *args, **kwargs)
        g = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
        (gx,) = lib.autograd.grad(out, xt, g, create_graph=True)
        s = (gx * gx).sum() + (out * out * out).sum()
        (gg,) = lib.autograd.grad(s, xt)
        res.append((out.detach().numpy(), gx.detach().numpy(), gg.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_unpool(nd):
    x = _x(*((2, 3) + (8,) * nd))
    tpool = getattr(torch.nn, f"MaxPool{nd}d")(2, return_indices=True)
    epool = getattr(ember.nn, f"MaxPool{nd}d")(2, return_indices=True)
    ty, ti = tpool(torch.tensor(x))
    ey, ei = epool(ember.tensor(x))
    np.testing.assert_array_equal(ei.numpy(), ti.numpy())
    tu, eu = getattr(torch.nn, f"MaxUnpool{nd}d")(2), getattr(ember.nn, f"MaxUnpool{nd}d")(2)
    assert repr(tu) == repr(eu)
    t_in = ty.detach().numpy()
    tx, ex = torch.tensor(t_in, requires_grad=True), ember.tensor(t_in, requires_grad=True)
    to, eo = tu(tx, ti), eu(ex, ei)
    np.testing.assert_array_equal(eo.detach().numpy(), to.detach().numpy())
    assert eo.grad_fn.name() == to.grad_fn.name()
    g = _x(*to.shape)
    to.backward(torch.tensor(g))
    eo.backward(ember.tensor(g))
    np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())
    size = [9] * nd
    np.testing.assert_array_equal(
        eu(ember.tensor(t_in), ei, output_size=size).numpy(), tu(torch.tensor(t_in), ti, output_size=size).numpy()
    )


def _raises(fn_t, fn_e):
    with pytest.raises(Exception) as te:
        fn_t()
    with pytest.raises(type(te.value)) as ee:
        fn_e()
    return str(te.value), str(ee.value)


@pytest.mark.parametrize(
    "fn,shape,args,kwargs",
    [
        ("max_pool2d", (2, 4, 8, 8), (3,), {"padding": 2}),
        ("max_pool2d", (2, 4, 2, 2), (3,), {}),
        ("max_pool2d", (4, 8), (3,), {}),
        ("max_pool2d", (1, 1, 5, 5), (2,), {"stride": 0}),
        ("max_pool1d", (1, 1, 2), (3,), {}),
        ("max_pool1d", (1, 1, 5), (3,), {"padding": 2}),
        ("avg_pool2d", (1, 1, 8, 8), (3,), {"padding": 2}),
        ("avg_pool2d", (1, 1, 2, 2), (3,), {}),
        ("avg_pool1d", (1, 1, 2), (3,), {}),
        ("adaptive_avg_pool2d", (4, 8), (3,), {}),
        ("adaptive_max_pool2d", (4, 8), (3,), {}),
    ],
)
def test_errors(fn, shape, args, kwargs):
    x = _x(*shape)
    t, e = _raises(
        lambda: getattr(torch.nn.functional, fn)(torch.tensor(x), *args, **kwargs),
        lambda: getattr(ember.nn.functional, fn)(ember.tensor(x), *args, **kwargs),
    )
    assert t == e


def test_unpool_bad_index():
    idx = [[[[0, 1], [2, 99]]]]
    _raises(
        lambda: torch.nn.functional.max_unpool2d(torch.randn(1, 1, 2, 2), torch.tensor(idx), 2),
        lambda: ember.nn.functional.max_unpool2d(ember.randn(1, 1, 2, 2), ember.tensor(idx), 2),
    )


def test_maxpool_nan_and_float32():
    x = _x(1, 2, 6, 6, dtype=np.float32)
    x[0, 0, 1, 1] = np.nan
    t = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    e = ember.nn.functional.max_pool2d(ember.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(e[0].numpy(), t[0].numpy())
    np.testing.assert_array_equal(e[1].numpy(), t[1].numpy())
    assert e[0].dtype == ember.float32
