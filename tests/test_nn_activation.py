"""Activations and the softmax family against torch: forward, backward, grad_fn names, in-place variants,
double backward, reprs and errors."""

import warnings

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


def rand(*shape, dtype=np.float32, scale=2.0):
    return (RNG.standard_normal(shape) * scale).astype(dtype)


MODULES = [
    ("ReLU", {}),
    ("ReLU6", {}),
    ("LeakyReLU", {}),
    ("LeakyReLU", {"negative_slope": 0.2}),
    ("PReLU", {}),
    ("PReLU", {"num_parameters": 4, "init": 0.1}),
    ("ELU", {}),
    ("ELU", {"alpha": 0.5}),
    ("SELU", {}),
    ("CELU", {"alpha": 1.5}),
    ("GELU", {}),
    ("GELU", {"approximate": "tanh"}),
    ("SiLU", {}),
    ("Mish", {}),
    ("Sigmoid", {}),
    ("Tanh", {}),
    ("Hardtanh", {}),
    ("Hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    ("Hardsigmoid", {}),
    ("Hardswish", {}),
    ("Softplus", {}),
    ("Softplus", {"beta": 2.0, "threshold": 1.0}),
    ("Softsign", {}),
    ("Softshrink", {}),
    ("Softshrink", {"lambd": 1.0}),
    ("Hardshrink", {}),
    ("Tanhshrink", {}),
    ("Threshold", {"threshold": 0.3, "value": -2.0}),
    ("GLU", {}),
    ("GLU", {"dim": 1}),
    ("LogSigmoid", {}),
    ("Softmax", {"dim": 1}),
    ("Softmax", {"dim": -1}),
    ("Softmin", {"dim": 0}),
    ("LogSoftmax", {"dim": 1}),
    ("LogSoftmax", {"dim": 2}),
    ("Softmax2d", {}),
    ("RReLU", {}),
]


@pytest.mark.parametrize("name,kw", MODULES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(MODULES)])
@pytest.mark.parametrize("train", [True, False])
def test_module_matches_torch(name, kw, train):
    tm, em = getattr(tnn, name)(**kw), getattr(enn, name)(**kw)
    assert repr(em) == repr(tm)
    if name == "RReLU" and train:
        return  # random slopes: see test_rrelu_training_stream
    x = rand(2, 4, 3, 6)
    if name != "Softmax2d" and kw.get("dim", 0) < 2:
        compare_module(tm, em, rand(5, 4), train=train)
    compare_module(tm, em, x, train=train)


@pytest.mark.parametrize(
    "fn,args,name",
    [
        ("relu", (), "ReluBackward0"),
        ("gelu", (), "GeluBackward0"),
        ("silu", (), "SiluBackward0"),
        ("elu", (), "EluBackward0"),
        ("selu", (), "EluBackward0"),
        ("celu", (), "CeluBackward0"),
        ("leaky_relu", (), "LeakyReluBackward0"),
        ("hardtanh", (), "HardtanhBackward0"),
        ("relu6", (), "HardtanhBackward0"),
        ("softplus", (), "SoftplusBackward0"),
        ("mish", (), "MishBackward0"),
        ("hardsigmoid", (), "HardsigmoidBackward0"),
        ("hardswish", (), "HardswishBackward0"),
        ("softshrink", (), "SoftshrinkBackward0"),
        ("hardshrink", (), "HardshrinkBackward0"),
        ("logsigmoid", (), "LogSigmoidBackward0"),
        ("glu", (), "GluBackward0"),
        ("threshold", (0.1, 2.0), "ThresholdBackward0"),
        ("softmax", (1,), "SoftmaxBackward0"),
        ("log_softmax", (1,), "LogSoftmaxBackward0"),
        ("softmin", (1,), "SoftmaxBackward0"),
        ("rrelu", (), "RreluWithNoiseBackward0"),
    ],
)
def test_grad_fn_names(fn, args, name):
    x = ember.randn(3, 4, requires_grad=True)
    t = torch.randn(3, 4, requires_grad=True)
    assert type(getattr(EF, fn)(x, *args).grad_fn).__name__ == name
    assert type(getattr(TF, fn)(t, *args).grad_fn).__name__ == name


INPLACE = [
    ("relu", {}),
    ("relu6", {}),
    ("leaky_relu", {"negative_slope": 0.1}),
    ("elu", {}),
    ("selu", {}),
    ("celu", {}),
    ("silu", {}),
    ("mish", {}),
    ("hardtanh", {}),
    ("hardsigmoid", {}),
    ("hardswish", {}),
    ("threshold", {"threshold": 0.0, "value": 1.0}),
]


@pytest.mark.parametrize("fn,kw", INPLACE)
def test_inplace_matches_torch(fn, kw):
    a = rand(4, 5)
    g = rand(4, 5)
    xt = torch.tensor(a, requires_grad=True)
    xe = ember.tensor(a, requires_grad=True)
    yt = xt * 1.5
    ye = xe * 1.5
    rt = getattr(TF, fn)(yt, **kw, inplace=True)
    re = getattr(EF, fn)(ye, **kw, inplace=True)
    assert rt is yt and re is ye
    assert ye._version == yt._version
    np.testing.assert_allclose(to_np(re), to_np(rt), rtol=1e-5, atol=1e-6)
    rt.backward(torch.tensor(g))
    re.backward(ember.tensor(g))
    np.testing.assert_allclose(to_np(xe.grad), to_np(xt.grad), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fn", ["relu_", "elu_", "selu_", "celu_", "leaky_relu_", "hardtanh_", "rrelu_"])
def test_underscore_functions(fn):
    a = rand(3, 4)
    xt, xe = torch.tensor(a), ember.tensor(a)
    rt, re = getattr(TF, fn)(xt), getattr(EF, fn)(xe)
    assert re is xe
    np.testing.assert_allclose(to_np(re), to_np(rt), rtol=1e-6, atol=1e-6)


def test_threshold_underscore():
    a = rand(3, 4)
    xt, xe = torch.tensor(a), ember.tensor(a)
    np.testing.assert_allclose(to_np(EF.threshold_(xe, 0.5, -1.0)), to_np(TF.threshold_(xt, 0.5, -1.0)))


def test_inplace_on_leaf_raises():
    x = ember.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        EF.relu(x, inplace=True)


@pytest.mark.parametrize(
    "fn,kw",
    [
        ("relu", {}),
        ("gelu", {}),
        ("gelu", {"approximate": "tanh"}),
        ("silu", {}),
        ("elu", {}),
        ("softplus", {}),
        ("mish", {}),
        ("leaky_relu", {}),
        ("logsigmoid", {}),
        ("softmax", {"dim": 1}),
        ("log_softmax", {"dim": 0}),
        ("glu", {}),
        ("celu", {"alpha": 2.0}),
    ],
)
def test_double_backward(fn, kw):
    a = rand(3, 4, dtype=np.float64)
    g = rand(3, 4, dtype=np.float64)
    xt = torch.tensor(a, requires_grad=True)
    xe = ember.tensor(a, requires_grad=True)
    yt = getattr(TF, fn)(xt, **kw)
    ye = getattr(EF, fn)(xe, **kw)
    gt = torch.tensor(g[:, : yt.shape[1]])
    ge = ember.tensor(g[:, : ye.shape[1]])
    (dt,) = torch.autograd.grad(yt, xt, gt, create_graph=True)
    (de,) = ember.autograd.grad(ye, xe, ge, create_graph=True)
    np.testing.assert_allclose(to_np(de), to_np(dt), rtol=1e-10, atol=1e-10)
    (dt2,) = torch.autograd.grad((dt * dt).sum(), xt)
    (de2,) = ember.autograd.grad((de * de).sum(), xe)
    np.testing.assert_allclose(to_np(de2), to_np(dt2), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape,dim", [((), 0), ((5,), 0), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1), ((0, 3), 1)])
def test_softmax_family(fn, shape, dim):
    a = rand(*shape)
    xt = torch.tensor(a, requires_grad=True)
    xe = ember.tensor(a, requires_grad=True)
    yt = getattr(TF, fn)(xt, dim)
    ye = getattr(EF, fn)(xe, dim)
    assert ye.dtype == ember.float32 and tuple(ye.shape) == tuple(yt.shape)
    np.testing.assert_allclose(to_np(ye), to_np(yt), rtol=1e-5, atol=1e-6)
    g = rand(*shape)
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    np.testing.assert_allclose(to_np(xe.grad), to_np(xt.grad), rtol=1e-5, atol=1e-5)


def test_softmax_dtype_and_extremes():
    a = np.array([[1000.0, 0.0, -1000.0], [-np.inf, 0.0, 1.0]], dtype=np.float32)
    for fn in ("softmax", "log_softmax"):
        yt = getattr(TF, fn)(torch.tensor(a), 1, dtype=torch.float64)
        ye = getattr(EF, fn)(ember.tensor(a), 1, dtype=ember.float64)
        assert ye.dtype == ember.float64
        np.testing.assert_allclose(to_np(ye), to_np(yt))
    h = rand(3, 4).astype(np.float16)
    yt = TF.softmax(torch.tensor(h), 1)
    ye = EF.softmax(ember.tensor(h), 1)
    assert ye.dtype == ember.float16
    np.testing.assert_allclose(to_np(ye), to_np(yt), atol=1e-3)
    yt = TF.softmax(torch.arange(4), 0, dtype=torch.float32)
    ye = EF.softmax(ember.arange(4), 0, dtype=ember.float32)
    np.testing.assert_allclose(to_np(ye), to_np(yt), rtol=1e-6)


def test_softmax_implicit_dim_warns():
    a = rand(2, 3)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ye = EF.softmax(ember.tensor(a))
    assert any("Implicit dimension choice for softmax" in str(x.message) for x in w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yt = TF.softmax(torch.tensor(a))
    np.testing.assert_allclose(to_np(ye), to_np(yt), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float16])
@pytest.mark.parametrize(
    "fn", ["relu", "gelu", "silu", "elu", "leaky_relu", "softplus", "hardswish", "mish", "sigmoid"]
)
def test_other_dtypes(fn, dtype):
    a = rand(4, 5, dtype=dtype)
    yt = getattr(TF, fn)(torch.tensor(a))
    ye = getattr(EF, fn)(ember.tensor(a))
    assert str(ye.dtype)[6:] == str(yt.dtype)[6:]
    tol = 1e-3 if dtype == np.float16 else 1e-12
    np.testing.assert_allclose(to_np(ye), to_np(yt), rtol=tol, atol=tol)


def test_integer_inputs():
    for fn, args in (("relu", ()), ("relu6", ()), ("hardtanh", ()), ("threshold", (1, 5))):
        yt = getattr(TF, fn)(torch.arange(-3, 4), *args)
        ye = getattr(EF, fn)(ember.arange(-3, 4), *args)
        assert ye.dtype == ember.int64
        np.testing.assert_array_equal(to_np(ye), to_np(yt))


@pytest.mark.parametrize(
    "call",
    [
        lambda F, T: F.gelu(T.arange(3)),
        lambda F, T: F.silu(T.arange(3)),
        lambda F, T: F.elu(T.arange(3)),
        lambda F, T: F.leaky_relu(T.arange(3)),
        lambda F, T: F.softplus(T.arange(3)),
        lambda F, T: F.softmax(T.arange(3), 0),
        lambda F, T: F.softmax(T.randn(3), 1),
        lambda F, T: F.log_softmax(T.randn(2, 3), -3),
        lambda F, T: F.glu(T.randn(3)),
        lambda F, T: F.hardtanh(T.randn(3), 2.0, 1.0),
        lambda F, T: F.gelu(T.randn(3), approximate="foo"),
        lambda F, T: F.softshrink(T.randn(3), -1.0),
        lambda F, T: F.prelu(T.randn(2, 4), T.ones(3)),
        lambda F, T: F.relu([1.0, 2.0]),
    ],
)
def test_errors_match_torch(call):
    with pytest.raises(Exception) as et:
        call(TF, torch)
    with pytest.raises(type(et.value)) as ee:
        call(EF, ember)
    assert str(ee.value) == str(et.value)


def test_module_constructor_errors():
    with pytest.raises(AssertionError):
        tnn.Hardtanh(1.0, 0.0)
    with pytest.raises(AssertionError):
        enn.Hardtanh(1.0, 0.0)
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        enn.Softmax2d()(ember.randn(2, 3))


def test_reprs():
    for t, e in [
        (tnn.ReLU(inplace=True), enn.ReLU(inplace=True)),
        (tnn.LeakyReLU(0.2, True), enn.LeakyReLU(0.2, True)),
        (tnn.ELU(alpha=2.0, inplace=True), enn.ELU(alpha=2.0, inplace=True)),
        (tnn.Softmax(), enn.Softmax()),
        (tnn.Threshold(0.1, 20, True), enn.Threshold(0.1, 20, True)),
        (tnn.RReLU(0.1, 0.3), enn.RReLU(0.1, 0.3)),
        (tnn.SiLU(True), enn.SiLU(True)),
        (tnn.Hardswish(True), enn.Hardswish(True)),
        (tnn.Softshrink(0.3), enn.Softshrink(0.3)),
        (tnn.ReLU6(True), enn.ReLU6(True)),
    ]:
        assert repr(e) == repr(t)


def test_prelu_channels():
    tm, em = tnn.PReLU(4, 0.3), enn.PReLU(4, 0.3)
    compare_module(tm, em, rand(2, 4, 3, 3))
    compare_module(tm, em, rand(5, 4))
    tm1, em1 = tnn.PReLU(), enn.PReLU()
    compare_module(tm1, em1, rand(7))
    assert type(em1(ember.randn(3)).grad_fn).__name__ == "PreluKernelBackward0"


def test_rrelu_eval_and_training_stream():
    a = rand(4, 6)
    np.testing.assert_allclose(
        to_np(EF.rrelu(ember.tensor(a), 0.1, 0.3, training=False)),
        to_np(TF.rrelu(torch.tensor(a), 0.1, 0.3, training=False)),
        rtol=1e-6,
    )
    torch.manual_seed(3)
    ember.manual_seed(3)
    xt = torch.tensor(a, requires_grad=True)
    xe = ember.tensor(a, requires_grad=True)
    yt = TF.rrelu(xt, training=True)
    ye = EF.rrelu(xe, training=True)
    ne = to_np(ye)
    # slopes lie in [lower, upper] where the input is negative, and the input is kept elsewhere
    neg = a <= 0
    np.testing.assert_array_equal(ne[~neg], a[~neg])
    slopes = ne[neg] / a[neg]
    assert ((slopes >= 1 / 8 - 1e-6) & (slopes <= 1 / 3 + 1e-6)).all()
    np.testing.assert_allclose(ne, to_np(yt), rtol=1e-5, atol=1e-6)
    g = rand(4, 6)
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    np.testing.assert_allclose(to_np(xe.grad), to_np(xt.grad), rtol=1e-5, atol=1e-6)


def test_gumbel_softmax():
    ember.manual_seed(0)
    x = ember.randn(4, 5, requires_grad=True)
    y = EF.gumbel_softmax(x, tau=0.5)
    np.testing.assert_allclose(to_np(y.sum(-1)), np.ones(4), rtol=1e-5)
    yh = EF.gumbel_softmax(x, hard=True)
    assert set(np.unique(to_np(yh))) <= {0.0, 1.0}
    yh.sum().backward()
    assert x.grad is not None


def test_functional_sigmoid_tanh():
    a = rand(3, 4)
    np.testing.assert_allclose(to_np(EF.sigmoid(ember.tensor(a))), to_np(torch.sigmoid(torch.tensor(a))), rtol=1e-6)
    np.testing.assert_allclose(to_np(EF.tanh(ember.tensor(a))), to_np(torch.tanh(torch.tensor(a))), rtol=1e-6)
    np.testing.assert_allclose(to_np(EF.softsign(ember.tensor(a))), to_np(TF.softsign(torch.tensor(a))), rtol=1e-6)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_relu_backward_is_threshold_backward(create_graph, dt):
    """0 where the output is <= 0 even for an inf or NaN gradient there; a NaN output passes the gradient."""
    x = np.array([np.nan, -1.0, 2.0, 0.0, -3.0, 5.0], dt)
    g = np.array([3.0, np.nan, 1.0, np.inf, -np.inf, np.nan], dt)
    res = []
    for lib in (torch, ember):
        t = lib.tensor(x, requires_grad=True)
        (gx,) = lib.autograd.grad(lib.relu(t), t, lib.tensor(g), create_graph=create_graph)
        res.append(gx.detach().numpy())
    np.testing.assert_array_equal(res[1], res[0])
