"""Tensor.__getitem__ / __setitem__ against torch: values, views, grad_fn names, gradients, errors."""

import warnings

import numpy as np
import pytest
import torch

import ember

warnings.filterwarnings("ignore", message=".*uint8.*")


def _conv(i, lib):
    """An index expression with torch tensors turned into lib tensors."""
    if isinstance(i, torch.Tensor):
        return i if lib is torch else ember.tensor(i.numpy())
    if isinstance(i, tuple):
        return tuple(_conv(x, lib) for x in i)
    if isinstance(i, list):
        return [_conv(x, lib) for x in i]
    return i


T = torch.tensor
B3 = T([True, False, True])

INDICES = [
    0,
    -1,
    2,
    slice(1, 3),
    slice(None),
    slice(0, 100),
    slice(-2, None),
    slice(None, None, 2),
    slice(5, 10),
    (0, 1),
    (0, 1, 2),
    (0, slice(None), 2),
    (slice(None), 0),
    (slice(None), slice(None)),
    (slice(0, 3),),
    (slice(0, 3), 0),
    (slice(None), slice(1, 3), slice(None, None, 2)),
    (1, slice(None, None, 2)),
    None,
    (None, None),
    (0, None),
    (None, 0),
    (slice(None), None, 1),
    ...,
    (..., 1),
    (1, ...),
    (..., None),
    (None, ..., None),
    (..., ...),
    (),
    T(1),
    (T(1), slice(None), 2),
    [0, 2],
    [[0, 1], [1, 2]],
    [[0, 1]],
    [0, slice(None)],
    [0, None],
    [T(0), T(1)],
    [True, False, True],
    [],
    ([],),
    (slice(None), [1, 3]),
    (0, slice(None), [0, 1]),
    ([0, 1], slice(None), 0),
    (slice(None), [0, 1], 0),
    ([0, 1], slice(None), [1, 2]),
    (None, [0, 1], None, [1, 2]),
    (0, [0, 1], [1, 2]),
    ([[0], [1]], slice(None), [0, 1, 2]),
    (..., [0, 1]),
    ([0, 1], ..., [0, 1]),
    (T(1), slice(None), [0, 1]),
    (True, [0, 1]),
    (slice(None), True, [0, 1]),
    True,
    False,
    (T(True), 0),
    (T(False),),
    B3,
    (B3, 1),
    (slice(None), T([True, False, True, True])),
    T([[True, False, True, False]] * 3),
    T([1, 0, 1], dtype=torch.uint8),
    T([0, 2], dtype=torch.int32),
    T([[0, 1], [2, 0]]),
    (T([0, 2]), T([[1], [3]])),
    (T([-1, 0]), slice(1, None), T([4, -5])),
    (T([0, 1]), [[0], [1]]),
    (slice(None), slice(None), T([0, 0, 4])),
    T([2, 2, 0]),
]


def _id(i):
    return repr(i).replace("\n", "")[:60]


@pytest.mark.parametrize("idx", INDICES, ids=[_id(i) for i in INDICES])
def test_getitem(idx):
    a = np.random.default_rng(0).standard_normal((3, 4, 5))
    tx = torch.tensor(a, requires_grad=True)
    ex = ember.tensor(a, requires_grad=True)
    ty, ey = tx * 2, ex * 2
    tr, er = ty[_conv(idx, torch)], ey[_conv(idx, ember)]
    assert tuple(er.shape) == tuple(tr.shape)
    np.testing.assert_allclose(er.detach().numpy(), tr.detach().numpy())
    assert type(er.grad_fn).__name__ == type(tr.grad_fn).__name__
    up = np.random.default_rng(1).standard_normal(tuple(tr.shape))
    tr.backward(torch.tensor(up))
    er.backward(ember.tensor(up))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("idx", INDICES, ids=[_id(i) for i in INDICES])
def test_getitem_is_view_like_torch(idx):
    """A result shares memory with its source exactly when torch's does: write through it and compare."""
    a = np.arange(60.0).reshape(3, 4, 5)
    tx, ex = torch.tensor(a), ember.tensor(a)
    tr, er = tx[_conv(idx, torch)], ex[_conv(idx, ember)]
    if tr.numel() == 0:
        return
    tr.fill_(-1.0)
    er.fill_(-1.0)
    np.testing.assert_array_equal(ex.numpy(), tx.numpy())
    assert (er._base is not None) == (tr._base is not None)


def test_getitem_0dim_and_int_fast_path():
    t, e = torch.tensor(3.0), ember.tensor(3.0)
    assert e[...].shape == t[...].shape
    assert e[None].shape == t[None].shape
    assert e[()].item() == t[()].item()
    assert e[True].shape == t[True].shape
    for x in (t, e):
        with pytest.raises(IndexError):
            x[0]
    # numpy integers and objects with __index__ act as ints
    a = ember.arange(6)
    assert a[np.int64(2)].item() == 2
    assert a[np.int32(-1)].item() == 5
    assert a[1 : ember.tensor(3)].tolist() == [1, 2]
    assert a[np.array([0, 5])].tolist() == [0, 5]


ERRORS = [
    (5, IndexError),
    (-4, IndexError),
    ((0, 5), IndexError),
    ((0, -6), IndexError),
    ((0, 0, 0, 0), IndexError),
    (slice(None, None, -1), ValueError),
    (slice(None, None, 0), ValueError),
    ((slice(None), slice(None, None, -2)), ValueError),
    (1.5, IndexError),
    (T([0.0]), IndexError),
    ((slice(None), T(1.0)), IndexError),
    (T([5]), IndexError),
    (T([0, -4]), IndexError),
    ((0, T([9])), IndexError),
    ([True, False], IndexError),
    (T([True, False]), IndexError),
    (T([[True] * 3] * 3), IndexError),
    (T([1, 2], dtype=torch.uint8), IndexError),
    ((T([0, 1]), T([0, 1, 2])), IndexError),
]


@pytest.mark.parametrize("idx,exc", ERRORS, ids=[_id(i) for i, _ in ERRORS])
def test_getitem_errors(idx, exc):
    tx, ex = torch.zeros(3, 4, 5), ember.zeros(3, 4, 5)
    with pytest.raises(exc) as te:
        tx[_conv(idx, torch)]
    with pytest.raises(exc) as ee:
        ex[_conv(idx, ember)]
    if exc is IndexError and "out of bounds" in str(te.value):
        assert str(ee.value) == str(te.value)


def test_getitem_error_messages():
    x = ember.zeros(3, 4)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        x[5]
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 4"):
        x[0, 5]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[0, 0, 0]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        x[ember.tensor([0.0])]


# -- __setitem__ ----------------------------------------------------------------------------------

SET_CASES = [
    (0, 1.5),
    (0, "t0"),
    (0, "row"),
    (0, "row1"),
    (-1, "row"),
    (slice(1, 3), 2.0),
    (slice(1, 3), "row"),
    (slice(None), 2.0),
    (slice(None), "row"),
    (slice(0, 3), "t0"),
    (slice(0, 100), 1.0),
    ((slice(None), slice(None)), 1.0),
    (..., "row"),
    (..., 7.0),
    ((), "t0"),
    ((slice(None), 1), "col"),
    ((0, 1), 4.0),
    ((0, 1), "t0"),
    ((slice(None), slice(None, None, 2)), "t0"),
    (None, "row"),
    ((slice(None), None), "row"),
    (True, "row"),
    (False, "row"),
    ([0, 2], "row"),
    ([0, 2], 3.0),
    ((slice(None), [1, 3]), "col2"),
    ((0, [1, 2]), "t0"),
    ((0, [1, 2]), 1.0),
    (B3, "row"),
    (B3, 0.5),
    (T([[True, False, True, False]] * 3), -1.0),
    (T([[True, False, True, False]] * 3), "t0"),
    ((T([0, 2]), T([1, 3])), "t0"),
    ((T([0, 2]), T([1, 3])), "two"),
    (T(1), "row"),
    ((T(1), slice(1, 3)), 9.0),
]

VALUES = {
    "t0": lambda: np.array(2.5),
    "row": lambda: np.arange(4.0) + 10,
    "row1": lambda: (np.arange(4.0) + 10).reshape(1, 4),
    "col": lambda: np.arange(3.0) + 20,
    "col2": lambda: np.arange(6.0).reshape(3, 2),
    "two": lambda: np.array([7.0, 8.0]),
}


def _setitem_run(lib, idx, value, a):
    x = lib.tensor(a, requires_grad=True)
    y = x * 2
    if isinstance(value, str):
        z = lib.tensor(VALUES[value](), requires_grad=True)
        v = z
    else:
        z = None
        v = value
    y[_conv(idx, lib)] = v
    name = type(y.grad_fn).__name__
    (y * lib.tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
    return y, x, z, name


@pytest.mark.parametrize("idx,value", SET_CASES, ids=[f"{_id(i)}={v}" for i, v in SET_CASES])
def test_setitem_autograd(idx, value):
    a = np.random.default_rng(0).standard_normal((3, 4))
    ty, tx, tz, tname = _setitem_run(torch, idx, value, a)
    ey, ex, ez, ename = _setitem_run(ember, idx, value, a)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy())
    assert ename == tname
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy())
    if tz is not None:
        assert ez.grad is not None or tz.grad is None
        if tz.grad is not None:
            np.testing.assert_allclose(ez.grad.numpy(), tz.grad.numpy())


@pytest.mark.parametrize("idx,value", SET_CASES, ids=[f"{_id(i)}={v}" for i, v in SET_CASES])
def test_setitem_no_grad_and_version(idx, value):
    a = np.random.default_rng(0).standard_normal((3, 4))
    res = []
    for lib in (torch, ember):
        x = lib.tensor(a)
        v = lib.tensor(VALUES[value]()) if isinstance(value, str) else value
        x[_conv(idx, lib)] = v
        res.append((x.numpy().copy(), x._version, x.grad_fn))
    np.testing.assert_array_equal(res[1][0], res[0][0])
    assert (res[1][1] > 0) == (res[0][1] > 0)
    assert res[1][2] is None


def test_setitem_dtype_cast_and_int_tensors():
    for lib in (torch, ember):
        x = lib.zeros(4, dtype=lib.int64)
        x[0] = 2.7
        x[1] = lib.tensor(3.9)
        x[2:] = lib.tensor([5.5, -1.2], dtype=lib.float64)
        assert x.tolist() == [2, 3, 5, -1]
        b = lib.zeros(3, dtype=lib.bool)
        b[1] = 1
        assert b.tolist() == [False, True, False]


def test_setitem_value_requires_grad_into_plain_tensor():
    res = []
    for lib in (torch, ember):
        y = lib.zeros(3, 4)
        z = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y[1] = z * 3
        assert y.requires_grad
        res.append(type(y.grad_fn).__name__)
        (y * y).sum().backward()
        res.append(z.grad.numpy().copy())
    assert res[0] == res[2]
    np.testing.assert_allclose(res[3], res[1])


def test_setitem_then_view_grad_fn_regenerated():
    names = []
    for lib in (torch, ember):
        x = lib.randn(3, 4, requires_grad=True) if lib is torch else ember.randn(3, 4, requires_grad=True)
        y = x * 1
        v = y[0]
        y[0] = 5.0
        names.append(type(v.grad_fn).__name__)
    assert names[0] == names[1]


def test_setitem_chain_gradients():
    """y = x * 2; y[0] = z; y[:, 1] *= w-like ops: gradients of x and z as torch."""
    a = np.random.default_rng(3).standard_normal((3, 4))
    zs = np.random.default_rng(4).standard_normal(4)
    out = []
    for lib in (torch, ember):
        x = lib.tensor(a, requires_grad=True)
        z = lib.tensor(zs, requires_grad=True)
        y = x * 2
        y[0] = z
        y[:, 1] = y[:, 1] + 3
        y[y > 0.5] = 0.0
        y[[1, 2], [0, 3]] = z[:2] * z[2:]
        (y * y).sum().backward()
        out.append((y.detach().numpy().copy(), x.grad.numpy().copy(), z.grad.numpy().copy()))
    for e, t in zip(out[1], out[0]):
        np.testing.assert_allclose(e, t, rtol=1e-6)


def test_setitem_leaf_errors():
    for lib in (torch, ember):
        x = lib.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
            x[0] = 1.0
        with pytest.raises(RuntimeError, match="leaf Variable"):
            x[[0]] = 1.0
        with lib.no_grad():
            x[0] = 1.0
        assert x.grad_fn is None and x.tolist() == [1.0, 0.0, 0.0]


SET_ERRORS = [
    (0, "col", RuntimeError),
    ([0, 1], "col", RuntimeError),
    (B3, "col2", RuntimeError),
    (5, 1.0, IndexError),
    (T([5]), 1.0, IndexError),
    (slice(None, None, -1), 1.0, ValueError),
    (0, "str", TypeError),
    (0, "list", TypeError),
]


@pytest.mark.parametrize("idx,value,exc", SET_ERRORS, ids=[f"{_id(i)}={v}" for i, v, _ in SET_ERRORS])
def test_setitem_errors(idx, value, exc):
    a = np.zeros((3, 4))
    for lib in (torch, ember):
        x = lib.tensor(a)
        if value == "str":
            v = "a"
        elif value == "list":
            v = [1.0, 2.0, 3.0, 4.0]
        elif isinstance(value, str):
            v = lib.tensor(VALUES[value]())
        else:
            v = value
        with pytest.raises(exc):
            x[_conv(idx, lib)] = v
        assert x._version == 0
        np.testing.assert_array_equal(x.numpy(), a)


def test_double_backward_through_indexing():
    a = np.random.default_rng(5).standard_normal((3, 4))
    res = []
    for lib in (torch, ember):
        x = lib.tensor(a, requires_grad=True)
        y = (x[[0, 2, 2]] * x[1:, None, 1:3].sum()).sum() + (x[0] * x[0]).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (g2,) = lib.autograd.grad((g * g).sum(), x)
        res.append((g.detach().numpy().copy(), g2.numpy().copy()))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-6)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-6)


def test_fill_zero_copy_grad_fn_names():
    names = []
    for lib in (torch, ember):
        x = lib.ones(3, 4, requires_grad=True)
        row = []
        for f in (
            lambda t: t.fill_(1.0),
            lambda t: t.fill_(lib.tensor(2.0)),
            lambda t: t.zero_(),
            lambda t: t.copy_(lib.ones(4)),
            lambda t: t.__setitem__(slice(None), 1.0),
            lambda t: t.__setitem__(..., lib.ones(4)),
        ):
            y = x * 1
            f(y)
            row.append(type(y.grad_fn).__name__)
        names.append(row)
    assert names[0] == names[1]
