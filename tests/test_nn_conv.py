"""Conv1d/2d/3d, ConvTranspose1d/2d/3d, Fold/Unfold and their functionals against torch."""

import numpy as np
import pytest
import torch

import ember

from nn_compare import compare_module

RNG = np.random.default_rng(0)


def _x(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def _tol(dtype):
    return {"rtol": 1e-4, "atol": 1e-4} if dtype == np.float32 else {"rtol": 1e-7, "atol": 1e-8}


CONV_CASES = [
    ("Conv1d", (3, 4, 3), {}, (2, 3, 9)),
    ("Conv1d", (4, 6, 3), {"stride": 2, "padding": 1, "groups": 2}, (2, 4, 10)),
    ("Conv1d", (3, 4, 4), {"padding": "same", "dilation": 2, "padding_mode": "reflect"}, (2, 3, 11)),
    ("Conv1d", (3, 4, 3), {"padding": 2, "padding_mode": "circular", "bias": False}, (3, 7)),
    ("Conv2d", (3, 8, 3), {}, (2, 3, 7, 8)),
    ("Conv2d", (3, 8, 3), {"stride": 2, "padding": 1}, (2, 3, 9, 8)),
    ("Conv2d", (3, 5, (3, 2)), {"padding": "same", "dilation": 2, "bias": False}, (2, 3, 8, 7)),
    ("Conv2d", (4, 6, 3), {"groups": 2, "stride": (2, 1), "padding": (1, 0)}, (2, 4, 8, 8)),
    ("Conv2d", (4, 8, 3), {"groups": 4, "padding": 1}, (2, 4, 6, 6)),
    ("Conv2d", (3, 4, 3), {"padding": 1, "padding_mode": "reflect"}, (2, 3, 6, 6)),
    ("Conv2d", (3, 4, 3), {"padding": (1, 2), "padding_mode": "replicate"}, (2, 3, 6, 6)),
    ("Conv2d", (3, 4, 3), {"padding": "same", "padding_mode": "circular"}, (2, 3, 6, 5)),
    ("Conv2d", (3, 4, 2), {"padding": "valid", "stride": 3}, (3, 7, 7)),
    ("Conv2d", (3, 4, 1), {}, (2, 3, 5, 5)),
    ("Conv3d", (2, 4, 3), {"padding": 1, "stride": 2}, (2, 2, 5, 6, 5)),
    ("Conv3d", (4, 4, (2, 3, 1)), {"groups": 2, "dilation": (1, 2, 1), "bias": False}, (1, 4, 4, 6, 3)),
    ("Conv3d", (2, 3, 3), {"padding": "same", "padding_mode": "replicate"}, (2, 4, 4, 4)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,args,kwargs,shape", CONV_CASES)
def test_conv_modules(name, args, kwargs, shape, dtype):
    tdt = torch.float32 if dtype == np.float32 else torch.float64
    edt = ember.float32 if dtype == np.float32 else ember.float64
    tm = getattr(torch.nn, name)(*args, **kwargs, dtype=tdt)
    em = getattr(ember.nn, name)(*args, **kwargs, dtype=edt)
    assert repr(tm) == repr(em)
    compare_module(tm, em, _x(*shape, dtype=dtype), **_tol(dtype))
    compare_module(tm, em, _x(*shape, dtype=dtype), train=False, **_tol(dtype))


CONVT_CASES = [
    ("ConvTranspose1d", (3, 4, 3), {}, (2, 3, 6)),
    ("ConvTranspose1d", (4, 6, 3), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}, (2, 4, 5)),
    ("ConvTranspose2d", (3, 4, 3), {"stride": 2, "padding": 1, "output_padding": 1}, (2, 3, 4, 5)),
    ("ConvTranspose2d", (4, 4, (2, 3)), {"groups": 4, "dilation": 2, "bias": False}, (2, 4, 3, 3)),
    ("ConvTranspose2d", (3, 2, 3), {"stride": (1, 3), "dilation": (2, 1)}, (3, 4, 4)),
    ("ConvTranspose3d", (2, 3, 2), {"stride": 2}, (1, 2, 3, 3, 2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,args,kwargs,shape", CONVT_CASES)
def test_conv_transpose_modules(name, args, kwargs, shape, dtype):
    tdt = torch.float32 if dtype == np.float32 else torch.float64
    edt = ember.float32 if dtype == np.float32 else ember.float64
    tm = getattr(torch.nn, name)(*args, **kwargs, dtype=tdt)
    em = getattr(ember.nn, name)(*args, **kwargs, dtype=edt)
    assert repr(tm) == repr(em)
    compare_module(tm, em, _x(*shape, dtype=dtype), **_tol(dtype))


def test_conv_transpose_output_size():
    tm, em = (
        torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1),
        ember.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1),
    )
    x = _x(1, 2, 4, 4, dtype=np.float32)
    for size in ([8, 8], [1, 3, 7, 8]):
        to, eo = compare_module(tm, em, x, kwargs={"output_size": size})
        assert tuple(eo.shape) == tuple(to.shape)
    with pytest.raises(ValueError):
        em(ember.tensor(x), output_size=[10, 10])


def test_init_matches_torch():
    for name, args in [("Conv2d", (3, 8, 3)), ("Conv1d", (4, 6, 5, 1, 0, 1, 2)), ("ConvTranspose2d", (3, 8, 3))]:
        torch.manual_seed(7)
        ember.manual_seed(7)
        tm, em = getattr(torch.nn, name)(*args), getattr(ember.nn, name)(*args)
        for (n, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters()):
            np.testing.assert_array_equal(ep.detach().numpy(), tp.detach().numpy(), err_msg=f"{name}.{n}")


def test_repr():
    cases = [
        "Conv2d(3, 64, 7, 2, 3, bias=False)",
        "Conv2d(3, 64, 3, padding='same', padding_mode='circular', dilation=2)",
        "Conv1d(4, 8, 3, groups=4)",
        "Conv3d(2, 4, (1, 2, 3))",
        "ConvTranspose2d(4, 64, 3, 2, 1, output_padding=1, groups=2, dilation=2)",
        "Fold((4, 4), 3)",
        "Unfold(3, padding=1)",
    ]
    for c in cases:
        assert repr(eval("torch.nn." + c)) == repr(eval("ember.nn." + c))
    assert repr(ember.nn.Conv2d(3, 64, 7, 2, 3, bias=False)) == (
        "Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)"
    )


def _grads(lib, F, fn, x, w, b, kwargs, g):
    xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
    bt = None if b is None else lib.tensor(b, requires_grad=True)
    out = getattr(F, fn)(xt, wt, bt, **kwargs)
    ins = [xt, wt] + ([bt] if b is not None else [])
    gs = lib.autograd.grad(out, ins, lib.tensor(g), create_graph=True)
    s = sum((q * q).sum() for q in gs[:2])
    gg = lib.autograd.grad(s, [xt, wt])
    return out, gs, gg


FUNC_CASES = [
    ("conv2d", (2, 4, 7, 6), (6, 2, 3, 2), (6,), {"stride": (2, 1), "padding": 1, "dilation": (1, 2), "groups": 2}),
    ("conv1d", (2, 3, 8), (4, 3, 4), None, {"padding": "same"}),
    ("conv3d", (1, 2, 4, 5, 4), (3, 2, 2, 3, 2), (3,), {"stride": 2, "padding": 1}),
    (
        "conv_transpose2d",
        (2, 4, 4, 5),
        (4, 3, 3, 3),
        (6,),
        {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2},
    ),
    ("conv_transpose1d", (2, 4, 5), (4, 3, 3), (3,), {"stride": 3, "dilation": 2}),
]


@pytest.mark.parametrize("fn,xs,ws,bs,kwargs", FUNC_CASES)
def test_functional_double_backward(fn, xs, ws, bs, kwargs):
    x, w = _x(*xs), _x(*ws)
    b = None if bs is None else _x(*bs)
    shape = getattr(torch.nn.functional, fn)(torch.tensor(x), torch.tensor(w), None, **kwargs).shape
    g = _x(*shape)
    to, tg, tgg = _grads(torch, torch.nn.functional, fn, x, w, b, kwargs, g)
    eo, eg, egg = _grads(ember, ember.nn.functional, fn, x, w, b, kwargs, g)
    assert eo.grad_fn.name() == to.grad_fn.name() == "ConvolutionBackward0"
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=1e-9, atol=1e-9)
    for a, c in zip(tg + tgg, eg + egg):
        np.testing.assert_allclose(c.detach().numpy(), a.detach().numpy(), rtol=1e-8, atol=1e-8)


def test_float32_stays_float32():
    x = ember.randn(2, 3, 6, 6, requires_grad=True)
    m = ember.nn.Conv2d(3, 4, 3)
    y = m(x)
    assert y.dtype == ember.float32
    y.sum().backward()
    assert x.grad.dtype == m.weight.grad.dtype == ember.float32


def _raises(fn_t, fn_e):
    with pytest.raises(Exception) as te:
        fn_t()
    with pytest.raises(type(te.value)) as ee:
        fn_e()
    return str(te.value), str(ee.value)


def test_module_errors():
    for lib_args in [
        ((3, 4, 3), {"groups": 2}),
        ((4, 3, 3), {"groups": 2}),
        ((4, 4, 3), {"padding": "foo"}),
        ((4, 4, 3), {"padding": "same", "stride": 2}),
        ((4, 4, 3), {"padding_mode": "foo"}),
        ((4, 4, 3), {"groups": 0}),
    ]:
        a, k = lib_args
        t, e = _raises(lambda: torch.nn.Conv2d(*a, **k), lambda: ember.nn.Conv2d(*a, **k))
        if "must be one of {" in t:
            # torch prints a set: its order follows string hashing, so compare the words
            t, e = (sorted(m.translate(str.maketrans(",{}", "   ")).split()) for m in (t, e))
        assert t == e
    _raises(
        lambda: torch.nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
        lambda: ember.nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
    )


@pytest.mark.parametrize(
    "fn,xs,ws,bs,kwargs",
    [
        ("conv2d", (2, 4, 8, 8), (16, 3, 3, 3), None, {}),  # wrong channel count
        ("conv2d", (2, 3), (16, 3, 3, 3), None, {}),  # wrong rank
        ("conv2d", (2, 3, 2, 2), (16, 3, 3, 3), None, {}),  # kernel bigger than padded input
        ("conv2d", (2, 3, 8, 8), (16, 3, 3, 3), None, {"padding": "foo"}),
        ("conv2d", (2, 3, 8, 8), (16, 3, 3, 3), None, {"padding": "same", "stride": 2}),
        ("conv2d", (2, 3, 8, 8), (16, 3, 3, 3), (15,), {}),
        ("conv2d", (2, 6, 8, 8), (3, 3, 3, 3), None, {"groups": 2}),
        ("conv1d", (2, 3, 8), (4, 3, 9), None, {}),
        ("conv_transpose2d", (2, 3, 8, 8), (4, 3, 3, 3), None, {}),
        ("conv_transpose2d", (2, 4, 8, 8), (4, 3, 3, 3), None, {"output_padding": 1}),
    ],
)
def test_functional_errors(fn, xs, ws, bs, kwargs):
    x, w = _x(*xs), _x(*ws)
    b = None if bs is None else _x(*bs)

    def run(lib, F):
        return getattr(F, fn)(lib.tensor(x), lib.tensor(w), None if b is None else lib.tensor(b), **kwargs)

    t, e = _raises(lambda: run(torch, torch.nn.functional), lambda: run(ember, ember.nn.functional))
    assert t == e


def test_dtype_mismatch_error():
    x, w = _x(2, 3, 6, 6), _x(4, 3, 3, 3).astype(np.float32)
    _raises(
        lambda: torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w)),
        lambda: ember.nn.functional.conv2d(ember.tensor(x), ember.tensor(w)),
    )


@pytest.mark.parametrize(
    "args,kwargs,shape",
    [
        ((3,), {}, (2, 3, 6, 6)),
        (((2, 3),), {"padding": 1, "stride": 2, "dilation": (2, 1)}, (2, 2, 7, 6)),
        ((2,), {}, (3, 5, 5)),
    ],
)
def test_unfold_fold(args, kwargs, shape):
    tm, em = torch.nn.Unfold(*args, **kwargs), ember.nn.Unfold(*args, **kwargs)
    assert repr(tm) == repr(em)
    to, _ = compare_module(tm, em, _x(*shape))
    S = shape[-2:]
    tf, ef = torch.nn.Fold(S, *args, **kwargs), ember.nn.Fold(S, *args, **kwargs)
    assert repr(tf) == repr(ef)
    compare_module(tf, ef, _x(*to.shape))
    compare_module(tf, ef, _x(*to.shape).astype(np.float32))


def test_fold_errors():
    _raises(
        lambda: torch.nn.functional.fold(torch.randn(2, 9, 5), (4, 4), 3),
        lambda: ember.nn.functional.fold(ember.randn(2, 9, 5), (4, 4), 3),
    )
    _raises(
        lambda: torch.nn.functional.fold(torch.randn(2, 10, 4), (4, 4), 3),
        lambda: ember.nn.functional.fold(ember.randn(2, 10, 4), (4, 4), 3),
    )
