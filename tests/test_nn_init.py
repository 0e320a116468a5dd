"""ember.nn.init against torch.nn.init: with the same seed, the same numbers (ember's generator reproduces
torch's CPU streams), the same gains/fans and the same errors."""

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.init as tinit

import ember
import ember.nn as enn
import ember.nn.init as einit

from nn_compare import to_np


def same_seed(seed=0):
    torch.manual_seed(seed)
    ember.manual_seed(seed)


def check(fn_name, shape, *args, dtype=(torch.float32, ember.float32), atol=0.0, **kw):
    same_seed(3)
    t = torch.empty(*shape, dtype=dtype[0])
    e = ember.empty(*shape, dtype=dtype[1])
    rt = getattr(tinit, fn_name)(t, *args, **kw)
    re = getattr(einit, fn_name)(e, *args, **kw)
    assert re is e and rt is t
    if atol:
        np.testing.assert_allclose(to_np(e), to_np(t), rtol=0, atol=atol)
    else:
        np.testing.assert_array_equal(to_np(e), to_np(t))


@pytest.mark.parametrize("shape", [(3, 5), (4, 3, 2, 2), (7,), (20, 30)])
def test_uniform_like(shape):
    check("uniform_", shape)
    check("uniform_", shape, -2.0, 0.5)
    check("constant_", shape, 0.3)
    check("ones_", shape)
    check("zeros_", shape)
    if len(shape) >= 2:
        check("xavier_uniform_", shape)
        check("xavier_uniform_", shape, gain=2.0)
        check("kaiming_uniform_", shape)
        check("kaiming_uniform_", shape, a=math.sqrt(5))
        check("kaiming_uniform_", shape, mode="fan_out", nonlinearity="relu")


@pytest.mark.parametrize("shape", [(3, 5), (4, 3, 2, 2), (20, 30)])
def test_normal_like(shape):
    # normals match torch up to float rounding in the last bit
    check("normal_", shape, atol=1e-6)
    check("normal_", shape, 1.0, 0.1, atol=1e-6)
    check("xavier_normal_", shape, atol=1e-6)
    check("kaiming_normal_", shape, atol=1e-6)
    check("kaiming_normal_", shape, 0.2, "fan_out", "leaky_relu", atol=1e-6)
    check("normal_", shape, dtype=(torch.float64, ember.float64), atol=1e-12)


@pytest.mark.parametrize("args", [(), (0.5, 0.3, -0.1, 1.0), (0.0, 1.0, 3.0, 4.0), (0.0, 1.0, -0.1, 0.1)])
def test_trunc_normal(args):
    far = bool(args) and args[2] > args[0] + 2 * args[1]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        check("trunc_normal_", (40, 30), *args, atol=1e-6)
        e = einit.trunc_normal_(ember.empty(1000), *args)
    assert any("mean is more than 2 std" in str(x.message) for x in w) == far
    lo, hi = (args[2], args[3]) if args else (-2.0, 2.0)
    assert float(e.min()) >= lo and float(e.max()) <= hi


def test_eye_dirac():
    check("eye_", (3, 5))
    check("eye_", (4, 2))
    for shape, groups in (((4, 3, 3), 1), ((6, 2, 3, 3), 2), ((4, 4, 3, 3, 3), 1), ((4, 2, 5), 2)):
        check("dirac_", shape, groups)


def test_orthogonal():
    for shape in ((4, 6), (6, 4), (3, 2, 2)):
        check("orthogonal_", shape, atol=2e-5)
        check("orthogonal_", shape, 2.0, atol=5e-5)
    w = einit.orthogonal_(ember.empty(5, 5))
    np.testing.assert_allclose(to_np(w @ w.T), np.eye(5), atol=1e-5)


def test_sparse():
    check("sparse_", (10, 6), 0.3, atol=1e-7)
    w = einit.sparse_(ember.empty(10, 4), 0.5)
    assert ((to_np(w) == 0).sum(0) >= 5).all()


def test_calculate_gain():
    for nl in ("linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu", "conv_transpose3d"):
        assert einit.calculate_gain(nl) == tinit.calculate_gain(nl)
    assert einit.calculate_gain("leaky_relu", 0.2) == tinit.calculate_gain("leaky_relu", 0.2)
    assert einit.calculate_gain("leaky_relu", 1) == tinit.calculate_gain("leaky_relu", 1)
    for bad in (("foo",), ("leaky_relu", True), ("leaky_relu", "x")):
        with pytest.raises(ValueError) as et:
            tinit.calculate_gain(*bad)
        with pytest.raises(ValueError) as ee:
            einit.calculate_gain(*bad)
        assert str(ee.value) == str(et.value)


def test_fans():
    for shape in ((3, 5), (4, 3, 2, 2), (2, 6, 5)):
        assert einit._calculate_fan_in_and_fan_out(ember.empty(*shape)) == tinit._calculate_fan_in_and_fan_out(
            torch.empty(*shape)
        )
        assert einit._calculate_correct_fan(ember.empty(*shape), "fan_out") == tinit._calculate_correct_fan(
            torch.empty(*shape), "fan_out"
        )


@pytest.mark.parametrize(
    "call",
    [
        lambda I, T: I.xavier_uniform_(T.empty(3)),
        lambda I, T: I.kaiming_normal_(T.empty(3, 4), mode="fan_avg"),
        lambda I, T: I.eye_(T.empty(3, 4, 5)),
        lambda I, T: I.dirac_(T.empty(3, 4)),
        lambda I, T: I.dirac_(T.empty(3, 4, 5), groups=2),
        lambda I, T: I.orthogonal_(T.empty(3)),
        lambda I, T: I.sparse_(T.empty(3, 4, 5), 0.1),
    ],
)
def test_errors(call):
    with pytest.raises(ValueError) as et:
        call(tinit, torch)
    with pytest.raises(ValueError) as ee:
        call(einit, ember)
    assert str(ee.value) == str(et.value)


def test_no_grad_and_leaf_params():
    p = enn.Parameter(ember.empty(3, 4))
    einit.kaiming_uniform_(p)
    einit.normal_(p)
    assert p.is_leaf and p.requires_grad and p.grad_fn is None


def test_zero_element_warns_and_generator():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        einit.kaiming_uniform_(ember.empty(0, 3))
    assert any("zero-element" in str(x.message) for x in w)
    g1, g2 = ember.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    e = einit.uniform_(ember.empty(3, 4), generator=g1)
    t = tinit.uniform_(torch.empty(3, 4), generator=g2)
    np.testing.assert_array_equal(to_np(e), to_np(t))


def test_deprecated_aliases():
    with pytest.warns(FutureWarning, match="nn.init.uniform"):
        einit.uniform(ember.empty(2, 2))
