"""ember.linalg beyond the op table: gauge-dependent decompositions compared through gauge-invariant
quantities, symmetrised gradchecks, LinAlgError on singular input, info outputs, named tuples."""

import numpy as np
import pytest
import torch

import ember
import ember.linalg as EL

DTYPES = ["float32", "float64", "complex64", "complex128"]


def _rnd(rng, shape, dt):
    a = rng.standard_normal(shape)
    if np.dtype(dt).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dt)


def _herm(rng, shape, dt):
    n = shape[-1]
    q, _ = np.linalg.qr(_rnd(rng, shape, dt))
    w = np.arange(1, n + 1) * 1.5 - n - 0.25
    return ((q * w[..., None, :]) @ np.swapaxes(q, -1, -2).conj()).astype(dt)


def _tol(dt):
    return (2e-4, 2e-4) if dt in ("float32", "complex64") else (1e-8, 1e-8)


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().resolve_conj().numpy()
    if isinstance(t, ember.Tensor):
        return t.detach().numpy()
    return np.asarray(t)


def _close(a, b, dt, scale=1.0):
    rtol, atol = _tol(dt)
    np.testing.assert_allclose(_np(a), _np(b), rtol=rtol * scale, atol=atol * scale)


def _both(a):
    e = ember.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    return e, t


# -- gauge-invariant decompositions ----------------------------------------------------------


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 5)])
def test_svd_gauge_invariant(dt, shape):
    rng = np.random.default_rng(0)
    a = _rnd(rng, shape, dt)
    e, t = _both(a)
    U, S, Vh = EL.svd(e, full_matrices=False)
    Ut, St, Vht = torch.linalg.svd(t, full_matrices=False)
    assert str(U.dtype) == f"ember.{dt}"
    assert S.dtype == (ember.float32 if dt in ("float32", "complex64") else ember.float64)
    _close(S, St, dt)
    _close(U @ (S.to(U.dtype).unsqueeze(-1) * Vh), a, dt)
    _close((U @ U.mH), (Ut @ Ut.mH), dt)
    gs = rng.standard_normal(St.shape)
    gr = _rnd(rng, shape, dt)
    wr = rng.standard_normal(shape[:-1] + (1,))
    # <S, gs> + Re<U diag(S) Vh, gr> + sum_ij w_i |U_ij|^2: invariant under U, V -> U D, V D
    le = (
        (S * ember.tensor(gs).to(S.dtype)).sum()
        + ((U @ (S.to(U.dtype).unsqueeze(-1) * Vh)) * ember.tensor(gr.conj())).real.sum()
        + (U.abs() ** 2 * ember.tensor(wr).to(S.dtype)).sum()
    )
    lt = (
        (St * torch.tensor(gs, dtype=St.dtype)).sum()
        + ((Ut @ (St.to(Ut.dtype).unsqueeze(-1) * Vht)) * torch.tensor(gr.conj())).real.sum()
        + (Ut.abs() ** 2 * torch.tensor(wr, dtype=St.dtype)).sum()
    )
    (ge,) = ember.autograd.grad(le, [e])
    (gt,) = torch.autograd.grad(lt, [t])
    _close(ge, gt, dt, 10)


@pytest.mark.parametrize("dt", DTYPES)
def test_eigh_gauge_invariant(dt):
    rng = np.random.default_rng(1)
    a = _herm(rng, (2, 4, 4), dt)
    for uplo in ("L", "U"):
        e, t = _both(a)
        w, V = EL.eigh(e, UPLO=uplo)
        wt, Vt = torch.linalg.eigh(t, UPLO=uplo)
        _close(w, wt, dt)
        _close(V.abs(), Vt.abs(), dt, 10)
        g = rng.standard_normal(wt.shape)
        P = V @ V.mH * 0.5 + (V * w.to(V.dtype).unsqueeze(-2)) @ V.mH
        Pt = Vt @ Vt.mH * 0.5 + (Vt * wt.to(Vt.dtype).unsqueeze(-2)) @ Vt.mH
        le = (w * ember.tensor(g).to(w.dtype)).sum() + (V.abs() ** 2)[..., 0, :].sum() + P.real.sum()
        lt = (wt * torch.tensor(g, dtype=wt.dtype)).sum() + (Vt.abs() ** 2)[..., 0, :].sum() + Pt.real.sum()
        (ge,) = ember.autograd.grad(le, [e])
        (gt,) = torch.autograd.grad(lt, [t])
        _close(ge, gt, dt, 10)


@pytest.mark.parametrize("dt", DTYPES)
def test_eig_gauge_invariant(dt):
    rng = np.random.default_rng(2)
    a = _rnd(rng, (2, 3, 3), dt) + 2 * np.eye(3)
    e, t = _both(a.astype(dt))
    w, V = EL.eig(e)
    wt, Vt = torch.linalg.eig(t)
    assert w.dtype == (ember.complex64 if dt in ("float32", "complex64") else ember.complex128)
    ow, owt = np.sort_complex(_np(w)), np.sort_complex(_np(wt))
    np.testing.assert_allclose(ow, owt, rtol=1e-4, atol=1e-4)
    _close(V @ (w.unsqueeze(-1) * EL.inv(V)), a.astype(np.complex128), dt, 10)
    # a loss of the eigenvalues and of |V| is invariant under V -> V e^{i phi}; compare for LAPACK's ordering
    le = (w.real * 2 + w.imag).sum() + (V.abs() ** 2 * ember.arange(3).to(w.real.dtype)).sum()
    lt = (wt.real * 2 + wt.imag).sum() + (Vt.abs() ** 2 * torch.arange(3).to(wt.real.dtype)).sum()
    if np.allclose(_np(w), _np(wt), rtol=1e-4, atol=1e-4):
        (ge,) = ember.autograd.grad(le, [e])
        (gt,) = torch.autograd.grad(lt, [t])
        _close(ge, gt, dt, 50)


def test_complex_svd_gauge_error():
    a = _rnd(np.random.default_rng(3), (3, 3), "complex128")
    e = ember.tensor(a, requires_grad=True)
    U, S, Vh = EL.svd(e)
    with pytest.raises(RuntimeError, match="svd_backward"):
        U.real.sum().backward()
    w, V = EL.eig(ember.tensor(a, requires_grad=True))
    with pytest.raises(RuntimeError, match="linalg_eig_backward"):
        V.real.sum().backward()


# -- symmetrised gradchecks (the op reads one triangle) ---------------------------------------


def _numgrad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp.flat[i] += eps
        xm.flat[i] -= eps
        g.flat[i] = (f(xp) - f(xm)) / (2 * eps)
    return g


@pytest.mark.parametrize(
    "fn",
    [
        lambda A: EL.cholesky(A),
        lambda A: EL.cholesky(A, upper=True),
        lambda A: ember.cholesky(A),
        lambda A: EL.eigvalsh(A),
        lambda A: EL.eigh(A)[1].abs(),
        lambda A: EL.pinv(A, hermitian=True),
        lambda A: ember.cholesky_inverse(EL.cholesky(A)),
        lambda A: ember.cholesky_solve(ember.ones(3, 2, dtype=ember.float64), EL.cholesky(A)),
    ],
)
def test_symmetric_gradcheck(fn):
    rng = np.random.default_rng(4)
    x0 = rng.standard_normal((3, 3))

    def build(x):
        X = ember.tensor(x, requires_grad=True)
        return X, X @ X.mT + 3 * ember.eye(3, dtype=ember.float64)

    X, A = build(x0)
    out = fn(A)
    up = ember.tensor(rng.standard_normal(tuple(out.shape)))
    (g,) = ember.autograd.grad((out * up).sum(), [X])

    def f(x):
        with ember.no_grad():
            return float((fn(build(x)[1]) * up).sum())

    np.testing.assert_allclose(g.numpy(), _numgrad(f, x0), rtol=1e-4, atol=1e-6)


def test_second_order_eigh_and_svd():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 3))
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        A = x @ x.mT + 3 * lib.eye(3, dtype=lib.float64)
        w = lib.linalg.eigvalsh(A)
        s = lib.linalg.svdvals(x)
        (g,) = lib.autograd.grad((w**2).sum() + (s**3).sum(), [x], create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), [x])
        if lib is ember:
            ge = gg.numpy()
        else:
            np.testing.assert_allclose(ge, gg.numpy(), rtol=1e-6, atol=1e-8)


# -- errors ----------------------------------------------------------------------------------

SING = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])


def test_linalg_error_is_runtime_error():
    assert issubclass(EL.LinAlgError, RuntimeError)
    with pytest.raises(RuntimeError):
        EL.inv(ember.tensor(SING))


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: L.inv(x(SING)),
        lambda L, x: L.inv(x(np.zeros((3, 3)))),
        lambda L, x: L.inv(x(np.stack([np.eye(3), SING]))),
        lambda L, x: L.solve(x(SING), x(np.ones(3))),
        lambda L, x: L.solve(x(np.stack([np.eye(3), SING])), x(np.ones((3, 1)))),
        lambda L, x: L.cholesky(x(-np.eye(3))),
        lambda L, x: L.cholesky(x(np.array([[1.0, 2.0], [2.0, 1.0]]))),
        lambda L, x: L.cholesky(x(np.stack([np.eye(2), np.array([[1.0, 2.0], [2.0, 1.0]])]))),
        lambda L, x: L.matrix_power(x(SING), -1),
        lambda L, x: L.inv_ex(x(SING), check_errors=True),
        lambda L, x: L.cholesky_ex(x(-np.eye(2)), check_errors=True),
    ],
)
def test_singular_messages(call):
    with pytest.raises(RuntimeError) as te:
        call(torch.linalg, torch.tensor)
    with pytest.raises(EL.LinAlgError) as ee:
        call(EL, ember.tensor)
    assert str(ee.value) == str(te.value).split("\n")[0]


def test_lu_factor_singular_message():
    with pytest.raises(RuntimeError) as te:
        torch.linalg.lu_factor(torch.tensor(SING))
    with pytest.raises(RuntimeError) as ee:
        EL.lu_factor(ember.tensor(SING))
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("name", ["inv_ex", "cholesky_ex", "lu_factor_ex", "solve_ex"])
def test_info(name):
    mats = np.stack([np.eye(3) * 2, SING, -np.eye(3)])
    args = (mats,) if name != "solve_ex" else (mats, np.ones((3, 3, 1)))
    te = getattr(torch.linalg, name)(*[torch.tensor(a) for a in args])
    ee = getattr(EL, name)(*[ember.tensor(a) for a in args])
    assert ee.info.dtype == ember.int32
    np.testing.assert_array_equal(ee.info.numpy(), te.info.numpy())
    assert type(ee).__name__ == type(te).__name__


def test_named_tuples():
    a = np.eye(3) * 2 + 0.1
    for name, fields in [
        ("slogdet", ("sign", "logabsdet")),
        ("eigh", ("eigenvalues", "eigenvectors")),
        ("eig", ("eigenvalues", "eigenvectors")),
        ("qr", ("Q", "R")),
        ("svd", ("U", "S", "Vh")),
        ("lu_factor", ("LU", "pivots")),
        ("lu_factor_ex", ("LU", "pivots", "info")),
        ("lu", ("P", "L", "U")),
        ("inv_ex", ("inverse", "info")),
        ("cholesky_ex", ("L", "info")),
    ]:
        r = getattr(EL, name)(ember.tensor(a))
        assert r._fields == fields, name
        assert type(r).__name__ == "linalg_" + name
    r = EL.lstsq(ember.tensor(a), ember.tensor(np.ones((3, 2))))
    assert r._fields == ("solution", "residuals", "rank", "singular_values")
    assert ember.svd(ember.tensor(a))._fields == ("U", "S", "V")


@pytest.mark.parametrize("driver", [None, "gelsd", "gelss", "gels"])
def test_lstsq_fields(driver):
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 2))
    te = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    ee = EL.lstsq(ember.tensor(a), ember.tensor(b), driver=driver)
    for g, e in zip(ee, te):
        assert tuple(g.shape) == tuple(e.shape) and str(g.dtype).split(".")[-1] == str(e.dtype).split(".")[-1]
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(
    "name,args",
    [
        ("inv", [(3, 3)]),
        ("det", [(2, 3, 3)]),
        ("solve", [(3, 3), (3, 2)]),
        ("cholesky", ["spd"]),
        ("qr", [(4, 3)]),
        ("svdvals", [(4, 3)]),
        ("eigvalsh", ["spd"]),
        ("pinv", [(4, 3)]),
        ("matrix_exp", [(3, 3)]),
        ("lu_factor", [(3, 3)]),
    ],
)
def test_float32_stays_float32(name, args):
    rng = np.random.default_rng(7)
    arrs = []
    for s in args:
        if s == "spd":
            x = rng.standard_normal((3, 3))
            arrs.append((x @ x.T + 3 * np.eye(3)).astype(np.float32))
        else:
            arrs.append((rng.standard_normal(s) + 3 * np.eye(s[-2], s[-1])).astype(np.float32))
    out = getattr(EL, name)(*[ember.tensor(a) for a in arrs])
    first = out[0] if isinstance(out, tuple) else out
    assert first.dtype == ember.float32


def test_methods_and_top_level():
    a = ember.tensor(np.eye(3) * 2 + 0.5)
    assert float(a.det()) == pytest.approx(float(torch.tensor(np.eye(3) * 2 + 0.5).det()))
    assert ember.linalg.inv is EL.inv
    np.testing.assert_allclose(a.inverse().numpy(), np.linalg.inv(a.numpy()))
    np.testing.assert_allclose(a.matrix_power(2).numpy(), a.numpy() @ a.numpy())


def test_torch_svd_V_and_some():
    rng = np.random.default_rng(8)
    a = rng.standard_normal((4, 3))
    U, S, V = ember.svd(ember.tensor(a), some=False)
    assert tuple(U.shape) == (4, 4) and tuple(V.shape) == (3, 3)
    np.testing.assert_allclose((U[:, :3] * S) @ V.mT, a, atol=1e-12)
    U, S, V = ember.svd(ember.tensor(a), compute_uv=False)
    tU, tS, tV = torch.svd(torch.tensor(a), compute_uv=False)
    assert tuple(U.shape) == tuple(tU.shape) and tuple(V.shape) == tuple(tV.shape)
    assert not U.numpy().any()
