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


def _layout(a, order):
    """a (..., r, c) as an array of the same values whose matrices are row- ("r") or column-major ("c")."""
    import cupy  # the stand-in  # noqa: PLC0415

    if order == "r":
        return cupy.asarray(a)
    return cupy.asarray(np.ascontiguousarray(np.swapaxes(a, -1, -2))).swapaxes(-1, -2)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize(
    "sa,sb", [((3, 4, 5), (3, 5, 6)), ((2, 3, 4, 5), (2, 3, 5, 1)), ((4, 5), (2, 5, 6)), ((2, 1, 5), (2, 5, 3))]
)
@pytest.mark.parametrize("oa,ob", [("r", "r"), ("c", "r"), ("r", "c"), ("c", "c")])
def test_strided_batched_gemm_on_the_operands_as_they_lie(fake_cuda, dt, sa, sb, oa, ob):
    from fakecupy import cublas  # noqa: PLC0415

    from ember.cuda import _blas  # noqa: PLC0415

    a, b = RNG.standard_normal(sa).astype(dt), RNG.standard_normal(sb).astype(dt)
    n0 = len(cublas.CALLS)
    r = _blas.bmm(_layout(a, oa), _layout(b, ob))
    assert r is not None and len(cublas.CALLS) == n0 + 1
    np.testing.assert_allclose(r.get(), np.matmul(a, b), rtol=1e-5 if dt == np.float32 else 1e-12, atol=1e-6)
    assert r.flags.c_contiguous
    # into an output whose matrices are column-major and whose batch is a view of (B, H) heads
    out = _layout(np.zeros(np.broadcast_shapes(sa[:-2], sb[:-2]) + (sa[-2], sb[-1]), dt), "c")
    assert _blas.bmm(_layout(a, oa), _layout(b, ob), out) is out
    np.testing.assert_allclose(out.get(), np.matmul(a, b), rtol=1e-5 if dt == np.float32 else 1e-12, atol=1e-6)


def test_strided_batched_gemm_runs_on_the_callers_stream(fake_cuda):
    import cupy  # the stand-in  # noqa: PLC0415
    from fakecupy import cublas  # noqa: PLC0415

    x = ember.randn(2, 3, 4, device="cuda")
    y = ember.randn(2, 4, 5, device="cuda")
    s = ember.cuda.Stream()
    with ember.cuda.stream(s):
        r = ember.bmm(x, y)
    assert cublas.CALL_STREAMS[-1] == s.cuda_stream != 0
    ember.bmm(x, y)
    assert cublas.CALL_STREAMS[-1] == cupy.cuda.get_current_stream().ptr
    np.testing.assert_allclose(r.cpu().numpy(), np.matmul(x.cpu().numpy(), y.cpu().numpy()), rtol=1e-5, atol=1e-6)


def test_strided_batched_gemm_declines_what_it_cannot_describe(fake_cuda, monkeypatch):
    import cupy  # the stand-in  # noqa: PLC0415
    from fakecupy import cublas  # noqa: PLC0415

    from ember.cuda import _blas  # noqa: PLC0415

    x = cupy.asarray(RNG.standard_normal((2, 3, 4, 5)).astype(np.float32))
    y = cupy.asarray(RNG.standard_normal((2, 3, 5, 6)).astype(np.float32))
    assert _blas.bmm(x, cupy.asarray(RNG.standard_normal((1, 3, 5, 6)).astype(np.float32))) is None  # part-broadcast
    z = cupy.asarray(RNG.standard_normal((2, 6, 4, 5)).astype(np.float32))
    w = cupy.asarray(RNG.standard_normal((2, 6, 5, 6)).astype(np.float32))
    r = _blas.bmm(z[:, ::2], w[:, ::2])  # every other head: (2, 3) heads with strides that merge into one
    np.testing.assert_allclose(r.get(), np.matmul(z.get()[:, ::2], w.get()[:, ::2]), rtol=1e-5, atol=1e-6)
    assert _blas.bmm(x[:, ::2], y[:, ::2]) is None  # (2, 2) of 3 heads: the batch strides do not merge
    assert _blas.bmm(x.transpose(1, 0, 2, 3), y.transpose(1, 0, 2, 3)) is None  # batch dims that do not merge
    assert _blas.bmm(x[..., ::2], y[..., ::2, :]) is None  # neither row- nor column-major
    assert _blas.bmm(x.astype(np.int32), y.astype(np.int32)) is None
    assert _blas.bmm(x, y.astype(np.float64)) is None
    # TF32 reaches the call's compute type
    ember.backends.cuda.matmul.allow_tf32 = True
    try:
        _blas.bmm(x, y)
        assert cublas.CALLS[-1][-1] == 77
    finally:
        ember.backends.cuda.matmul.allow_tf32 = False
    _blas.bmm(x, y)
    assert cublas.CALLS[-1][-1] == 68

    def broken(*a, **k):
        raise cublas.CUBLASError("CUBLAS_STATUS_EXECUTION_FAILED")

    monkeypatch.setattr(cublas, "gemmStridedBatchedEx", broken)
    monkeypatch.setattr(_blas, "ENABLED", True)
    with pytest.warns(UserWarning, match="using CuPy's matmul"):
        assert _blas.bmm(x, y) is None
    assert not _blas.ENABLED
    e = ember.tensor(x.get(), device="cuda") @ ember.tensor(y.get(), device="cuda")  # CuPy's matmul from then on
    np.testing.assert_allclose(e.cpu().numpy(), np.matmul(x.get(), y.get()), rtol=1e-5)


def test_memory_peaks_on_the_stand_in_pool(fake_cuda):
    """The allocated peak is tracked on every allocation; the reserved peak survives empty_cache, which shrinks
    the reserve (torch's caching allocator keeps both peaks the same way). No statistics are read between the
    allocations and empty_cache: reading them records the peaks too."""
    C = ember.cuda
    pool = ember._backend.cupy().get_default_memory_pool()
    C.empty_cache()
    C.reset_peak_memory_stats()
    base, allocs = C.memory_allocated(), C.memory_stats()["allocation.all.allocated"]
    x = ember.empty(1 << 18, device="cuda")  # 1 MiB
    y = ember.empty(1 << 18, device="cuda")
    del x, y
    reserved = pool.total_bytes()
    assert reserved >= base + 2 * 2**20
    C.empty_cache()
    assert pool.total_bytes() < reserved
    assert C.memory_allocated() == base and C.memory_stats()["allocation.all.allocated"] == allocs + 2
    assert C.max_memory_allocated() == base + 2 * 2**20
    assert C.max_memory_reserved() == reserved
    C.reset_peak_memory_stats()
    assert C.max_memory_allocated() == base and C.max_memory_reserved() == C.memory_reserved()


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_linear_and_2d_products_are_one_cublas_call_each(fake_cuda, dt):
    """2-D GPU products (a linear layer's forward and both its gradients, mm of transposed views) go through
    the planned cuBLAS call, not CuPy's matmul; results against torch."""
    from fakecupy import cublas  # noqa: PLC0415

    x, w, b = (RNG.standard_normal(s).astype(dt) for s in ((6, 5), (4, 5), (4,)))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ex, ew, eb = (ember.tensor(a, device="cuda", requires_grad=True) for a in (x, w, b))
    n0 = len(cublas.CALLS)
    ey = ember.nn.functional.linear(ex, ew, eb)
    ey.backward(ember.ones_like(ey))
    assert len(cublas.CALLS) == n0 + 3  # y, dx, dw
    ty = torch.nn.functional.linear(tx, tw, tb)
    ty.backward(torch.ones_like(ty))
    tol = {"rtol": 1e-5, "atol": 1e-6} if dt == np.float32 else {"rtol": 1e-12, "atol": 1e-12}
    for e, t in ((ey, ty), (ex.grad, tx.grad), (ew.grad, tw.grad)):
        np.testing.assert_allclose(e.detach().cpu().numpy(), t.detach().numpy(), **tol)
    n0 = len(cublas.CALLS)
    np.testing.assert_allclose((ex.t() @ ex).detach().cpu().numpy(), (tx.t() @ tx).detach().numpy(), **tol)
    assert len(cublas.CALLS) == n0 + 1


def test_causal_mask_detection_is_kept_per_buffer_and_version(fake_cuda, monkeypatch):
    """TransformerEncoder's causal-mask detection reads a comparison back from the GPU (a synchronisation);
    the answer is kept for the same mask buffer until it is written, and recomputed for a different buffer."""
    from ember.nn.modules import transformer as tr

    compared = []
    real = tr._causal_for_compare
    monkeypatch.setattr(tr, "_causal_for_compare", lambda *a: compared.append(a) or real(*a))
    causal = ember.nn.Transformer.generate_square_subsequent_mask(6, device="cuda")
    buf = ember.triu(ember.full((8, 8), float("-inf"), device="cuda"), diagonal=1)
    assert tr._detect_is_causal_mask(causal) is True
    assert tr._detect_is_causal_mask(causal) is True
    assert tr._detect_is_causal_mask(buf[:6, :6]) is True  # a slice of another buffer: compared once
    assert tr._detect_is_causal_mask(buf[:6, :6]) is True
    assert len(compared) == 2
    buf[0, 3] = 0.0  # written: the version moves, so the answer is recomputed
    assert tr._detect_is_causal_mask(buf[:6, :6]) is False
    assert tr._detect_is_causal_mask(buf[:6, :6]) is False
    assert len(compared) == 3
    other = ember.zeros(6, 6, device="cuda")
    assert tr._detect_is_causal_mask(other) is False
    assert tr._detect_is_causal_mask(causal, is_causal=False) is False
    assert len(compared) == 4


def test_pin_memory_and_non_blocking_copies(fake_cuda, monkeypatch):
    """pin_memory copies into page-locked memory (is_pinned says so; the gradient flows through, as torch's
    PinMemoryBackward0); .to('cuda', non_blocking=True) from it is an asynchronous set on the current stream,
    from ordinary memory the usual copy."""
    sets = []
    real_set = fakecupy._core.ndarray.set
    monkeypatch.setattr(
        fakecupy._core.ndarray, "set", lambda self, a, stream=None: sets.append(stream) or real_set(self, a, stream)
    )
    x = ember.arange(6.0).reshape(2, 3).requires_grad_()
    p = x.pin_memory()
    assert p.is_pinned() and not x.is_pinned() and p.pin_memory() is p
    assert type(p.grad_fn).__name__ == "PinMemoryBackward0"
    y = p.to("cuda", non_blocking=True)
    assert y.device.type == "cuda" and y.tolist() == x.tolist()
    assert len(sets) == 1 and sets[0] is not None
    # the page-locked source stays referenced until the copy's event has passed (its block cannot be reused)
    assert any(a is p._data for _, a in ember._backend._IN_FLIGHT)
    (y * 2).sum().backward()
    assert x.grad.tolist() == [[2.0] * 3] * 2
    x.detach().to("cuda", non_blocking=True)  # not pinned: no asynchronous set
    p.to("cuda")  # pinned, but blocking
    assert len(sets) == 1
    with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
        ember.ones(2, device="cuda").pin_memory()
    assert not ember.ones(2, device="cuda").is_pinned()


def test_dataloader_pins_batches_with_a_gpu(fake_cuda):
    ds = ember.utils.data.TensorDataset(ember.arange(10.0), ember.arange(10))
    batches = list(ember.utils.data.DataLoader(ds, batch_size=4, pin_memory=True))
    assert len(batches) == 3 and all(t.is_pinned() for b in batches for t in b)
    assert batches[2][0].tolist() == [8.0, 9.0]
    dicts = ember.utils.data.DataLoader([{"a": ember.ones(2), "b": "s"}] * 2, batch_size=2, pin_memory=True)
    (d,) = list(dicts)
    assert d["a"].is_pinned() and d["b"] == ["s", "s"]


def test_cuda_legacy_constructors(fake_cuda):
    a = ember.cuda.FloatTensor([1, 2])
    assert a.device.type == "cuda" and a.dtype == ember.float32 and a.tolist() == [1.0, 2.0]
    b = ember.cuda.LongTensor(2, 3)
    assert b.device.type == "cuda" and b.dtype == ember.int64 and tuple(b.shape) == (2, 3)
    assert ember.cuda.DoubleTensor(3).dtype == ember.float64


def test_numpy_conversion_of_a_cuda_tensor_is_explicit(fake_cuda):
    """As torch: numpy() and numpy.asarray() of a cuda tensor raise TypeError naming .cpu(); .cpu() works."""
    e = ember.arange(3.0, device="cuda")
    for f in (lambda: e.numpy(), lambda: np.asarray(e)):
        with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu\(\)"):
            f()
    np.testing.assert_array_equal(np.asarray(e.cpu()), [0.0, 1.0, 2.0])


def test_bfloat16_on_a_gpu_is_a_clear_error(fake_cuda):
    """CuPy has no bfloat16: making or moving one onto the GPU says so (is_bf16_supported() is False)."""
    assert ember.cuda.is_bf16_supported() is False
    for f in (
        lambda: ember.ones(2, device="cuda").bfloat16(),
        lambda: ember.ones(2, dtype=ember.bfloat16).cuda(),
        lambda: ember.zeros(2, dtype=ember.bfloat16, device="cuda"),
        lambda: ember.tensor([1.0], dtype=ember.bfloat16, device="cuda"),
    ):
        with pytest.raises(RuntimeError, match="bfloat16 tensors are not supported on cuda"):
            f()


def test_nvtx_ranges_reach_cupys_bindings(fake_cuda):
    from fakecupy import cuda as fcuda

    nvtx = ember.cuda.nvtx
    fcuda.NVTX.clear()
    assert nvtx.range_push("outer") == 0
    assert nvtx.range_push("inner") == 1
    assert nvtx.range_pop() == 1
    with nvtx.range("step {} of {n}", 3, n=10):
        nvtx.mark("here")
    assert nvtx.range_pop() == 0
    rid = nvtx.range_start("async")
    nvtx.range_end(rid)
    assert fcuda.NVTX == [
        ("push", "outer"),
        ("push", "inner"),
        ("pop", None),
        ("push", "step 3 of 10"),
        ("mark", "here"),
        ("pop", None),
        ("pop", None),
        ("start", "async", rid),
        ("end", rid),
    ]


def test_record_stream_keeps_the_memory_until_the_streams_work_has_run(fake_cuda):
    s = ember.cuda.Stream()
    x = ember.ones(4, device="cuda")
    data = x._data
    x.record_stream(s)
    del x
    assert any(a is data for _, a in ember._backend._IN_FLIGHT)
    with pytest.raises(RuntimeError, match="record_stream: expected a CUDA tensor"):
        ember.ones(2).record_stream(s)
