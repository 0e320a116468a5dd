"""CuPy-specific paths of shared ops: reshaping non-contiguous arrays without a copy (CuPy's own reshape
copies silently; the stride rule against NumPy's reshape(copy=False), views on the stand-in sharing memory),
and sums over leading axes as a GEMV (against torch)."""

import fakecupy
import numpy as np
import pytest
import torch

import ember
from ember._ops.shape import _nocopy_strides

RNG = np.random.default_rng(0)


def _factorings(n, k):
    dims, r = [], n
    for _ in range(k - 1):
        d = int(RNG.choice([d for d in range(1, r + 1) if r % d == 0]))
        dims.append(d)
        r //= d
    return tuple(dims + [r])


def test_nocopy_strides_agree_with_numpy():
    views = 0
    for _ in range(300):
        shape = tuple(int(v) for v in RNG.integers(1, 5, RNG.integers(1, 5)))
        b = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape).transpose(RNG.permutation(len(shape)))
        if RNG.random() < 0.3 and b.shape[0] > 1:
            b = b[::2]
        for k in range(1, 5):
            ns = _factorings(b.size, k)
            try:
                np.reshape(b, ns, copy=False)
                ok = True
            except ValueError:
                ok = False
            st = _nocopy_strides(b.shape, b.strides, ns, b.itemsize)
            assert (st is not None) == ok, (b.shape, b.strides, ns)
            if ok:
                views += 1
                np.testing.assert_array_equal(np.lib.stride_tricks.as_strided(b, ns, st), b.reshape(ns))
    assert views > 100


@pytest.fixture(scope="module")
def fake_cuda():
    with fakecupy.ember_on_stand_in():
        yield


def test_cuda_view_and_reshape_of_non_contiguous(fake_cuda):
    a = np.arange(24, dtype=np.float32).reshape(6, 4)
    e = ember.tensor(a, device="cuda").t()  # (4, 6): splitting a dim needs no copy, merging the two does
    t = torch.tensor(a).t()
    v = e.view(4, 2, 3)
    np.testing.assert_array_equal(v.cpu().numpy(), t.view(4, 2, 3).numpy())
    v[0, 1, 0] = 100.0  # a view: the write shows through
    assert float(e[0, 3].item()) == 100.0
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        e.view(24)
    r = e.reshape(24)  # needs a copy
    np.testing.assert_array_equal(r.cpu().numpy(), e.cpu().numpy().reshape(24))
    r[0] = -1.0
    assert float(e[0, 0].item()) != -1.0


@pytest.mark.parametrize("dim,keepdim", [(0, False), ((0, 1), True), (0, True), ((0, 1), False)])
def test_leading_axes_sum_as_gemv(fake_cuda, monkeypatch, dim, keepdim):
    from ember._ops import reduction  # noqa: PLC0415

    calls = []
    orig = reduction._leading_sum
    monkeypatch.setattr(reduction, "_leading_sum", lambda *a: (calls.append(a[1]), orig(*a))[1])
    a = RNG.standard_normal((3, 4, 5)).astype(np.float32)
    e = ember.tensor(a, device="cuda", requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    es, ts = e.sum(dim, keepdim=keepdim), t.sum(dim, keepdim=keepdim)
    assert es.shape == ts.shape
    np.testing.assert_allclose(es.detach().cpu().numpy(), ts.detach().numpy(), rtol=1e-6, atol=1e-6)
    es.sum().backward()
    ts.sum().backward()
    np.testing.assert_array_equal(e.grad.cpu().numpy(), t.grad.numpy())
    assert calls == [1 if dim == 0 else 2]
    e.sum(-1)  # not leading axes: CuPy's own sum
    e.transpose(0, 1).sum(0)  # not contiguous: CuPy's own sum
    assert len(calls) == 1


@pytest.mark.parametrize("bad", [-1, 10, None])
def test_embedding_bounds_on_cuda(fake_cuda, bad):
    w = RNG.standard_normal((10, 3)).astype(np.float32)
    idx = np.array([[0, 9], [3, 4]])
    if bad is not None:
        idx[1, 0] = bad
    ew, tw = ember.tensor(w, device="cuda"), torch.tensor(w)
    if bad is None:
        out = ember.nn.functional.embedding(ember.tensor(idx, device="cuda"), ew)
        np.testing.assert_array_equal(out.cpu().numpy(), torch.nn.functional.embedding(torch.tensor(idx), tw).numpy())
        return
    with pytest.raises(IndexError, match="index out of range in self"):
        torch.nn.functional.embedding(torch.tensor(idx), tw)
    with pytest.raises(IndexError, match="index out of range in self"):
        ember.nn.functional.embedding(ember.tensor(idx, device="cuda"), ew)


@pytest.mark.parametrize(
    "shape,dim,keepdim",
    [
        ((0, 3), 0, False),
        ((2, 0), 1, True),
        ((4, 5, 6), (0, 1), False),
        ((4, 5, 6), (0, 1), True),
        ((4, 5), None, False),
        ((), None, False),
        ((4, 5, 6), 2, False),
        ((4, 5, 6), (0, 2), True),
    ],
)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_mean_as_sum_then_division_on_cuda(fake_cuda, monkeypatch, shape, dim, keepdim, dt):
    import cupy  # the stand-in  # noqa: PLC0415

    monkeypatch.setattr(cupy, "mean", None)  # CuPy's own mean is not used for float inputs
    a = np.asarray(RNG.standard_normal(shape)).astype(dt)
    e = ember.tensor(a, device="cuda", requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    es = e.mean() if dim is None else e.mean(dim, keepdim=keepdim)
    ts = t.mean() if dim is None else t.mean(dim, keepdim=keepdim)
    assert es.shape == ts.shape
    assert es.dtype == (ember.float32 if dt == np.float32 else ember.float64)
    np.testing.assert_allclose(es.detach().cpu().numpy(), ts.detach().numpy(), rtol=1e-6, atol=1e-7)
    if a.size:
        es.sum().backward()
        ts.sum().backward()
        np.testing.assert_allclose(e.grad.cpu().numpy(), t.grad.numpy(), rtol=1e-6)


def test_allow_tf32_sets_cupys_float32_compute_type(fake_cuda, monkeypatch):
    """ember.backends.cuda.matmul.allow_tf32 (and fp32_precision='tf32') reach CuPy's float32 compute type, which
    its dot/matmul hand to cuBLAS; without CuPy's setter a warning says the setting has no effect."""
    import sys  # noqa: PLC0415
    import types  # noqa: PLC0415

    calls = []
    linalg = types.SimpleNamespace(
        COMPUTE_TYPE_DEFAULT=1, COMPUTE_TYPE_TF32=7, set_compute_type=lambda dt, ct: calls.append((np.dtype(dt), ct))
    )
    core = types.ModuleType("cupy._core")
    core._routines_linalg = linalg
    monkeypatch.setitem(sys.modules, "cupy._core", core)
    monkeypatch.setitem(sys.modules, "cupy._core._routines_linalg", linalg)
    ember._backend.cupy()  # the stand-in loaded (its load applies the setting once)
    calls.clear()
    m = ember.backends.cuda.matmul
    try:
        m.allow_tf32 = True
        m.allow_tf32 = False
        m.fp32_precision = "tf32"
        m.fp32_precision = "none"
    finally:
        m.allow_tf32, m.fp32_precision = False, "none"
    f32 = np.dtype(np.float32)
    assert calls[:4] == [(f32, 7), (f32, 1), (f32, 7), (f32, 1)]
    monkeypatch.delitem(sys.modules, "cupy._core._routines_linalg")
    monkeypatch.setitem(sys.modules, "cupy._core", types.ModuleType("cupy._core"))
    with pytest.warns(UserWarning, match="float32 matmuls stay in full precision"):
        m.allow_tf32 = True
    m.allow_tf32 = False
