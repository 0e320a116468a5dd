"""ember.fft, the window functions and stft/istft against torch: values, dtypes, grad_fn names, gradients
of real and complex inputs with random (complex) upstream gradients, second-order gradients and errors.

The transforms and stft/istft also run with ember's tensors on CUDA (the CuPy stand-in, tests/fakecupy: cuFFT's
place is taken by scipy.fft behind cupyx.scipy.fft's names), on the current device and on the second one."""

import warnings

import fakecupy
import numpy as np
import pytest
import torch

import ember
import ember.fft

R32, R64, C64, C128 = "float32", "float64", "complex64", "complex128"
DEV = "cpu"  # where ember's tensors are made (the `device` fixture sets it)


@pytest.fixture(params=["cpu", "cuda", "cuda:1"])
def device(request):
    """Run the test with ember's tensors on the CPU, then on the stand-in's current device, then on its second
    device while device 0 stays current."""
    global DEV
    if request.param == "cpu":
        yield "cpu"
        return
    with fakecupy.ember_on_stand_in():
        DEV = request.param
        try:
            yield DEV
        finally:
            DEV = "cpu"


def _etensor(a):
    return ember.tensor(a, device=DEV)


def _arr(rng, shape, dt):
    a = rng.standard_normal(shape)
    if dt in (C64, C128):
        a = a + 1j * rng.standard_normal(shape)
    return np.asarray(a.astype(dt))


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().resolve_conj().numpy()
    want = ember.device(DEV)
    assert t.device.type == want.type and (t.device.index or 0) == (want.index or 0), f"on {t.device}, not {DEV}"
    return np.asarray(t.detach().cpu().numpy())


def _close(g, e, what, rtol=None, atol=None):
    assert str(g.dtype).split(".")[-1] == str(e.dtype).split(".")[-1], f"{what}: dtype {g.dtype} vs {e.dtype}"
    assert tuple(g.shape) == tuple(e.shape), f"{what}: shape {tuple(g.shape)} vs {tuple(e.shape)}"
    single = str(e.dtype) in ("torch.float32", "torch.complex64")
    np.testing.assert_allclose(
        _np(g),
        _np(e),
        rtol=rtol or (2e-5 if single else 1e-10),
        atol=atol or (2e-5 if single else 1e-10),
        err_msg=what,
    )


def _run(lib, fname, arrays, kwargs, grad):
    ts = []
    for a in arrays:
        t = lib.tensor(a) if lib is torch else _etensor(a)
        if grad and a.dtype.kind in "fc":
            t.requires_grad_(True)
        ts.append(t)
    fn = lib
    for part in fname.split("."):
        fn = getattr(fn, part)
    return fn(*ts, **kwargs), ts


def compare(fname, arrays, kwargs=None, grad=True, gradgrad=True, seed=0):
    """Forward, grad_fn name, first and second-order gradients of `fname` vs torch."""
    kwargs = kwargs or {}
    what = f"{fname}({', '.join(f'{a.shape}:{a.dtype}' for a in arrays)}, {kwargs})"
    exp, _ = _run(torch, fname, arrays, kwargs, False)
    got, _ = _run(ember, fname, arrays, kwargs, False)
    _close(got, exp, what)
    if not grad:
        return
    exp, tl = _run(torch, fname, arrays, kwargs, True)
    got, el = _run(ember, fname, arrays, kwargs, True)
    assert type(got.grad_fn).__name__ == type(exp.grad_fn).__name__, f"{what}: grad_fn {got.grad_fn} vs {exp.grad_fn}"
    rng = np.random.default_rng(seed)
    up = _arr(rng, tuple(exp.shape), str(exp.dtype).split(".")[-1])
    tu = torch.tensor(up).requires_grad_(gradgrad)
    eu = _etensor(up).requires_grad_(gradgrad)
    tg = torch.autograd.grad(exp, tl, tu, create_graph=gradgrad)
    eg = ember.autograd.grad(got, el, eu, create_graph=gradgrad)
    for k, (g, e) in enumerate(zip(eg, tg)):
        _close(g, e, f"{what}: grad of input {k}")
    if not gradgrad:
        return
    # the backward is itself differentiable: second-order gradients w.r.t. the inputs and the upstream grad
    vs = [_arr(rng, tuple(e.shape), str(e.dtype).split(".")[-1]) for e in tg]

    def second(lib, grads, leaves):
        mk = lib.tensor if lib is torch else _etensor
        total = sum((lib.real(g) * mk(v.real.copy())).sum() for g, v in zip(grads, vs))
        total = total + sum((lib.imag(g) * mk(v.imag.copy())).sum() for g, v in zip(grads, vs) if g.is_complex())
        return lib.autograd.grad(total, leaves, allow_unused=True)

    t2, e2 = second(torch, tg, tl + [tu]), second(ember, eg, el + [eu])
    for k, (g, e) in enumerate(zip(e2, t2)):
        if e is None:
            assert g is None or not np.any(_np(g)), f"{what}: second-order grad {k}"
            continue
        _close(g, e, f"{what}: second-order grad of input {k}")


def gradcheck(fname, arrays, kwargs=None, eps=1e-6):
    """Central differences in float64/complex128 of a real loss <re(out), u> + <im(out), v>."""
    kwargs = kwargs or {}
    rng = np.random.default_rng(1)
    out, leaves = _run(ember, fname, arrays, kwargs, True)
    u = _arr(rng, tuple(out.shape), str(out.dtype).split(".")[-1])

    def loss(o):
        d = o.detach().numpy()
        return float((d.real * u.real).sum() + (d.imag * u.imag).sum())

    # torch's convention for a real loss L: grad = dL/dRe + i dL/dIm, so the upstream of this loss is u
    analytic = ember.autograd.grad(out, leaves, ember.tensor(u))
    for leaf, a in zip(leaves, analytic):
        data = leaf._data
        num = np.zeros(data.shape, dtype=data.dtype)
        flat = data.reshape(-1)
        parts = (1.0, 1j) if data.dtype.kind == "c" else (1.0,)
        for j in range(flat.size):
            for p in parts:
                orig = flat[j]
                flat[j] = orig + eps * p
                with ember.no_grad():
                    fp = loss(_call(fname, leaves, kwargs))
                flat[j] = orig - eps * p
                with ember.no_grad():
                    fm = loss(_call(fname, leaves, kwargs))
                flat[j] = orig
                num.reshape(-1)[j] += p * (fp - fm) / (2 * eps)
        np.testing.assert_allclose(a.numpy(), num, rtol=1e-5, atol=1e-6, err_msg=f"gradcheck {fname} {kwargs}")


def _call(fname, ts, kwargs):
    fn = ember
    for part in fname.split("."):
        fn = getattr(fn, part)
    return fn(*ts, **kwargs)


def error(fname, arrays, kwargs=None, args=()):
    kwargs = kwargs or {}
    with pytest.raises(Exception) as te:
        fn = torch
        for part in fname.split("."):
            fn = getattr(fn, part)
        fn(*[torch.tensor(a) for a in arrays], *args, **kwargs)
    fn = ember
    for part in fname.split("."):
        fn = getattr(fn, part)
    with pytest.raises(Exception) as ee:
        fn(*[_etensor(a) for a in arrays], *args, **kwargs)
    assert isinstance(ee.value, type(te.value)), f"ember raised {ee.value!r}, torch {te.value!r}"
    return ee.value, te.value


# -- 1-D transforms --------------------------------------------------------------------------------

ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
REAL_ONLY = {"rfft", "ihfft"}
CASES_1D = [
    ((8,), {}),
    ((7,), {}),
    ((3, 6), {"dim": 0}),
    ((3, 6), {"n": 4}),
    ((3, 5), {"n": 9, "dim": -1}),
    ((2, 3, 5), {"dim": 1, "norm": "ortho"}),
    ((4, 5), {"norm": "forward"}),
    ((4, 5), {"norm": "backward", "n": 6}),
    ((1,), {}),
]


@pytest.mark.parametrize("fname", ONE_D)
@pytest.mark.parametrize("dt", [R32, R64, C64, C128])
def test_1d(device, fname, dt):
    if fname in REAL_ONLY and dt in (C64, C128):
        error(f"fft.{fname}", [_arr(np.random.default_rng(0), (5,), dt)])
        return
    rng = np.random.default_rng(0)
    for shape, kw in CASES_1D:
        if fname in ("irfft", "hfft") and shape == (1,) and "n" not in kw:
            error(f"fft.{fname}", [_arr(rng, shape, dt)], kw)
            continue
        compare(f"fft.{fname}", [_arr(rng, shape, dt)], kw, gradgrad=dt in (R64, C128))


@pytest.mark.parametrize("fname", ONE_D)
def test_1d_gradcheck(fname):
    rng = np.random.default_rng(3)
    dts = [R64] if fname in REAL_ONLY else [R64, C128]
    for dt in dts:
        for shape, kw in [((6,), {}), ((5,), {"n": 8}), ((2, 5), {"n": 3, "norm": "ortho", "dim": 1})]:
            gradcheck(f"fft.{fname}", [_arr(rng, shape, dt)], kw)


def test_int_and_bool_inputs(device):
    compare("fft.fft", [np.arange(6, dtype=np.int64)], grad=False)
    compare("fft.rfft", [np.arange(6, dtype=np.int32)], grad=False)
    compare("fft.irfft", [np.arange(6, dtype=np.int64)], grad=False)
    compare("fft.fftn", [np.array([True, False, True])], grad=False)
    compare("fft.fftn", [np.array(2.0, dtype=np.float32)], grad=False)


# -- n-D transforms --------------------------------------------------------------------------------

N_D = ["fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn", "fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2"]
CASES_ND = [
    ((4, 6), {}),
    ((3, 4, 5), {}),
    ((3, 4, 5), {"dim": (0, 2)}),
    ((3, 4, 5), {"dim": (2, 0), "norm": "ortho"}),
    ((3, 4, 5), {"s": (3, 7)}),
    ((3, 4, 5), {"s": (2, -1), "dim": (1, 0), "norm": "forward"}),
    ((2, 3, 4), {"s": (5, 4, 6)}),
    ((5, 1), {"dim": (0,)}),
]


@pytest.mark.parametrize("fname", N_D)
@pytest.mark.parametrize("dt", [R32, R64, C64, C128])
def test_nd(device, fname, dt):
    rng = np.random.default_rng(0)
    if fname.startswith(("rfft", "ihfft")) and dt in (C64, C128):
        error(f"fft.{fname}", [_arr(rng, (3, 4), dt)])
        return
    for shape, kw in CASES_ND:
        if fname.endswith("2") and ("dim" in kw and len(kw["dim"]) != 2 or "s" in kw and len(kw["s"]) != 2):
            continue
        if fname.endswith("2") and len(shape) > 2 and "dim" not in kw and "s" not in kw:
            kw = {"dim": (0, 1)}
        compare(f"fft.{fname}", [_arr(rng, shape, dt)], kw, gradgrad=dt in (R64, C128))


@pytest.mark.parametrize("fname", ["fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn"])
def test_nd_gradcheck(fname):
    rng = np.random.default_rng(5)
    dts = [R64] if fname in ("rfftn", "ihfftn") else [R64, C128]
    for dt in dts:
        for shape, kw in [((3, 4), {}), ((2, 3, 4), {"s": (3, 5), "dim": (2, 0), "norm": "ortho"})]:
            gradcheck(f"fft.{fname}", [_arr(rng, shape, dt)], kw)


def test_errors():
    rng = np.random.default_rng(0)
    x = _arr(rng, (4, 6), R32)
    for fname, kw in [
        ("fft.fft", {"n": 0}),
        ("fft.fft", {"dim": 5}),
        ("fft.fft", {"norm": "bad"}),
        ("fft.fftn", {"s": (3,), "dim": (0, 1)}),
        ("fft.fftn", {"dim": (0, 0)}),
        ("fft.fftn", {"s": (2, 3, 4)}),
        ("fft.fft2", {"dim": (0, 3)}),
        ("fft.irfft", {"n": 0}),
        ("fft.rfftn", {"dim": ()}),
        ("fft.irfftn", {"dim": ()}),
        ("fft.hfftn", {"dim": ()}),
        ("fft.ihfftn", {"dim": ()}),
    ]:
        error(fname, [x], kw)
    error("fft.fft", [np.zeros(0, np.float32)])
    error("fft.fft", [np.ones(3, np.float16)])
    error("fft.fft", [np.array(1.0, np.float32)])
    error("fft.fft2", [np.ones(3, np.float32)])
    error("fft.irfft", [np.ones(1, np.complex64)])
    error("fft.fftshift", [np.array(1.0, np.float32)])
    with pytest.raises(TypeError):
        ember.fft.fft([1.0, 2.0])


def test_out():
    x = np.arange(6, dtype=np.float32)
    o = ember.empty(0, dtype=ember.complex64)
    r = ember.fft.fft(ember.tensor(x), out=o)
    assert r is o
    np.testing.assert_allclose(o.numpy(), torch.fft.fft(torch.tensor(x)).numpy(), rtol=1e-6, atol=1e-6)


# -- freq / shift ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 5, 8])
def test_freq(n):
    for fname in ("fftfreq", "rfftfreq"):
        for kw in [{}, {"d": 0.3}, {"dtype": "float64"}, {"dtype": "float16", "d": 2.0}]:
            tkw = dict(kw)
            ekw = dict(kw)
            if "dtype" in kw:
                tkw["dtype"] = getattr(torch, kw["dtype"])
                ekw["dtype"] = getattr(ember, kw["dtype"])
            e = getattr(torch.fft, fname)(n, **tkw)
            g = getattr(ember.fft, fname)(n, **ekw)
            _close(g, e, f"{fname}({n}, {kw})", rtol=1e-3 if "float16" in kw.values() else None)
    g = ember.fft.fftfreq(4, requires_grad=True)
    assert g.requires_grad and g.is_leaf
    with pytest.raises(RuntimeError):
        ember.fft.fftfreq(4, dtype=ember.int64)


@pytest.mark.parametrize("fname", ["fftshift", "ifftshift"])
def test_shift(fname):
    rng = np.random.default_rng(0)
    for shape, kw in [((5,), {}), ((4, 5), {}), ((4, 5), {"dim": 1}), ((3, 4, 5), {"dim": (0, -1)}), ((0, 3), {})]:
        for dt in (R64, C64):
            compare(f"fft.{fname}", [_arr(rng, shape, dt)], kw, gradgrad=False)
    compare(f"fft.{fname}", [np.arange(7)], grad=False)


# -- windows -----------------------------------------------------------------------------------------

WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("wname", WINDOWS)
def test_windows(wname):
    extra = {"hamming_window": [(0.6, 0.3)], "kaiser_window": [(5.0,)]}.get(wname, [])
    for n in (0, 1, 2, 5, 8):
        for periodic in (True, False):
            for dt in (None, "float64", "float16", "bfloat16"):
                for more in [()] + extra:
                    tkw = {"dtype": getattr(torch, dt)} if dt else {}
                    ekw = {"dtype": getattr(ember, dt)} if dt else {}
                    e = getattr(torch, wname)(n, periodic, *more, **tkw)
                    g = getattr(ember, wname)(n, periodic, *more, **ekw)
                    tol = 1e-2 if dt in ("float16", "bfloat16") else 1e-5
                    assert str(g.dtype).split(".")[-1] == str(e.dtype).split(".")[-1]
                    np.testing.assert_allclose(
                        g.float().numpy(), e.float().numpy(), rtol=tol, atol=tol, err_msg=f"{wname}({n}, {periodic})"
                    )
    g = getattr(ember, wname)(4, requires_grad=True)
    assert g.requires_grad and g.is_leaf
    for bad in [(-1,), (3, True, *([1.0] * len(extra[0]) if extra else []))]:
        if len(bad) == 1:
            with pytest.raises(RuntimeError):
                getattr(ember, wname)(*bad)
    with pytest.raises(RuntimeError):
        getattr(ember, wname)(3, dtype=ember.int64)
    with pytest.raises(TypeError):
        getattr(ember, wname)(1.5)


# -- stft / istft --------------------------------------------------------------------------------------

STFT_CASES = [
    ((40,), {"n_fft": 8}),
    ((2, 40), {"n_fft": 8, "hop_length": 3}),
    ((2, 37), {"n_fft": 10, "win_length": 6, "window": "hann:6"}),
    ((33,), {"n_fft": 8, "center": False, "window": "hann:8"}),
    ((33,), {"n_fft": 8, "pad_mode": "constant", "normalized": True, "window": "hamming:8"}),
    ((33,), {"n_fft": 8, "pad_mode": "replicate", "onesided": False}),
    ((2, 33), {"n_fft": 8, "pad_mode": "circular", "window": "hann:8"}),
]


def _stft_kwargs(lib, kw):
    kw = dict(kw)
    w = kw.get("window")
    if isinstance(w, str):
        kind, n = w.split(":")
        kw["window"] = getattr(lib, f"{kind}_window")(int(n), dtype=lib.float64)
        if lib is ember:
            kw["window"] = kw["window"].to(DEV)
    return kw


def _cast_window(kw, dt):
    if "window" in kw and kw["window"] is not None and dt in (R32, C64):
        kw["window"] = kw["window"].float()
    return kw


@pytest.mark.parametrize("dt", [R32, R64, C64, C128])
def test_stft(device, dt):
    rng = np.random.default_rng(0)
    for shape, kw in STFT_CASES:
        x = _arr(rng, shape, dt)
        if dt in (C64, C128) and kw.get("onesided", None) is not False and "onesided" in kw:
            continue
        res = []
        for lib in (torch, ember):
            t = (lib.tensor(x) if lib is torch else _etensor(x)).requires_grad_(True)
            ekw = _cast_window(_stft_kwargs(lib, kw), dt)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = lib.stft(t, return_complex=True, **ekw)
            res.append((out, t))
        (eo, et), (go, gt) = res
        _close(go, eo, f"stft {shape} {kw}")
        assert type(go.grad_fn).__name__ == type(eo.grad_fn).__name__
        up = _arr(rng, tuple(eo.shape), str(eo.dtype).split(".")[-1])
        (tg,) = torch.autograd.grad(eo, et, torch.tensor(up))
        (eg,) = ember.autograd.grad(go, gt, _etensor(up))
        _close(eg, tg, f"stft grad {shape} {kw}")


def test_stft_return_complex_rules():
    x = np.random.default_rng(0).standard_normal(40).astype(np.float32)
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="return_complex"):
            lib.stft(lib.tensor(x), 8)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        g = ember.stft(ember.tensor(x), 8, window=ember.hann_window(8), return_complex=False)
    assert any("return_complex=False is deprecated" in str(m.message) for m in w)
    e = torch.stft(torch.tensor(x), 8, window=torch.hann_window(8), return_complex=False)
    _close(g, e, "stft return_complex=False")
    with pytest.warns(UserWarning, match="A window was not provided"):
        ember.stft(ember.tensor(x), 8, return_complex=True)
    for bad in [
        dict(n_fft=0),
        dict(n_fft=80, center=False),
        dict(n_fft=8, hop_length=0),
        dict(n_fft=8, win_length=9),
        dict(n_fft=8, window="hann:5"),
    ]:
        err = []
        for lib in (torch, ember):
            try:
                lib.stft(lib.tensor(x), return_complex=True, **_stft_kwargs(lib, bad))
            except Exception as ex:  # noqa: BLE001
                err.append(type(ex))
        assert len(err) == 2 and issubclass(err[1], err[0]), (bad, err)


ISTFT_CASES = [
    ((40,), {"n_fft": 8, "window": "hann:8"}),
    ((2, 40), {"n_fft": 8, "hop_length": 3, "window": "hann:8"}),
    ((2, 37), {"n_fft": 10, "win_length": 6, "window": "hann:6", "length": 30}),
    ((41,), {"n_fft": 8, "window": "hann:8", "normalized": True, "length": 45}),
    ((33,), {"n_fft": 8, "window": "hamming:8", "center": False}),
]


@pytest.mark.parametrize("dt", [R32, R64])
def test_istft(device, dt):
    rng = np.random.default_rng(0)
    for shape, kw in ISTFT_CASES:
        x = _arr(rng, shape, dt)
        skw = {k: v for k, v in kw.items() if k != "length"}
        spec = torch.stft(torch.tensor(x), return_complex=True, **_cast_window(_stft_kwargs(torch, skw), dt))
        spec = spec.numpy() + 0.01 * _arr(rng, tuple(spec.shape), C64 if dt == R32 else C128)
        res = []
        for lib in (torch, ember):
            t = (lib.tensor(spec) if lib is torch else _etensor(spec)).requires_grad_(True)
            out = lib.istft(t, **_cast_window(_stft_kwargs(lib, kw), dt))
            res.append((out, t))
        (eo, et), (go, gt) = res
        _close(go, eo, f"istft {shape} {kw}", atol=1e-4 if dt == R32 else None)
        up = _arr(rng, tuple(eo.shape), dt)
        (tg,) = torch.autograd.grad(eo, et, torch.tensor(up))
        (eg,) = ember.autograd.grad(go, gt, _etensor(up))
        _close(eg, tg, f"istft grad {shape} {kw}", atol=1e-4 if dt == R32 else None)


def test_istft_roundtrip_and_errors():
    x = np.random.default_rng(0).standard_normal((2, 50))
    w = ember.hann_window(16, dtype=ember.float64)
    spec = ember.stft(ember.tensor(x), 16, hop_length=4, window=w, return_complex=True)
    y = ember.istft(spec, 16, hop_length=4, window=w, length=50)
    np.testing.assert_allclose(y.numpy(), x, atol=1e-10)
    spec_t = torch.stft(
        torch.tensor(x), 16, hop_length=4, window=torch.hann_window(16, dtype=torch.float64), return_complex=True
    )
    for bad in [
        dict(n_fft=16, hop_length=4),
        dict(n_fft=16, hop_length=4, window="hann:16", center=False),
        dict(n_fft=16, hop_length=20, window="hann:16"),
    ]:
        err = []
        for lib, s in ((torch, spec_t), (ember, spec)):
            try:
                lib.istft(s, **_stft_kwargs(lib, bad))
            except Exception as ex:  # noqa: BLE001
                err.append(type(ex))
        assert len(err) in (0, 2), (bad, err)
        if err:
            assert issubclass(err[1], err[0])
