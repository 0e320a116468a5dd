"""nn.utils against torch: gradient clipping, parameters <-> vector, parametrize, parametrizations
(weight_norm, spectral_norm) and the legacy hook-based weight_norm / spectral_norm."""

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn.utils  # noqa: F401 - until ember.nn imports utils itself

from nn_compare import copy_state, to_np

RNG = np.random.default_rng(0)
LIBS = (torch, ember)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def both(fn, seed=0):
    """Build the same thing with torch and with ember (the same seed gives the same initial values)."""
    out = []
    for L in LIBS:
        L.manual_seed(seed)
        out.append(fn(L))
    return out


def close(e, t, rtol=1e-5, atol=1e-6, msg=""):
    np.testing.assert_allclose(to_np(e), to_np(t), rtol=rtol, atol=atol, err_msg=msg)


def raises_same(fn_t, fn_e):
    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(Exception) as ee:
        fn_e()
    assert type(ee.value) is type(et.value), (ee.value, et.value)
    return str(et.value), str(ee.value)


# -- gradient clipping ----------------------------------------------------------------------------------------


def make_params(L, grads, dtype=np.float32):
    ps = []
    for g in grads:
        p = L.zeros(g.shape if g is not None else (2,), dtype=getattr(L, np.dtype(dtype).name), requires_grad=True)
        if g is not None:
            p.grad = L.tensor(g.astype(dtype))
        ps.append(p)
    return ps


GRADS = [rand(3, 4), None, rand(5), rand(2, 2, 2) * 10]


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.1, 1.0, 1e6])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_norm(norm_type, max_norm, dtype):
    tp, ep = make_params(torch, GRADS, dtype), make_params(ember, GRADS, dtype)
    tn = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    en = ember.nn.utils.clip_grad_norm_(ep, max_norm, norm_type=norm_type)
    assert isinstance(en, ember.Tensor) and en.dim() == 0
    assert str(en.dtype)[6:] == str(tn.dtype)[6:]
    close(en, tn, rtol=1e-5)
    for a, b in zip(tp, ep):
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            close(b.grad, a.grad, rtol=1e-5)


def test_clip_grad_norm_variants():
    tp, ep = make_params(torch, GRADS), make_params(ember, GRADS)
    for foreach in (None, True, False):
        tn = torch.nn.utils.clip_grad_norm_(tp, 0.5, foreach=foreach)
        en = ember.nn.utils.clip_grad_norm_(ep, 0.5, foreach=foreach)
        close(en, tn)
    # a single tensor, a generator
    tn = torch.nn.utils.clip_grad_norm_(tp[0], 0.1)
    en = ember.nn.utils.clip_grad_norm_(ep[0], 0.1)
    close(en, tn)
    close(ep[0].grad, tp[0].grad)
    tn = torch.nn.utils.clip_grad_norm_((p for p in tp), 0.01, 1.0)
    en = ember.nn.utils.clip_grad_norm_((p for p in ep), 0.01, 1.0)
    close(en, tn)
    for a, b in zip(tp, ep):
        if a.grad is not None:
            close(b.grad, a.grad)
    # nothing to clip
    tn = torch.nn.utils.clip_grad_norm_([], 1.0)
    en = ember.nn.utils.clip_grad_norm_([], 1.0)
    assert float(en) == float(tn) == 0.0 and en.dtype == ember.float32
    with pytest.warns(UserWarning, match="empty generator"):
        ember.nn.utils.clip_grad_norm_((p for p in []), 1.0)
    with pytest.warns(FutureWarning):
        en = ember.nn.utils.clip_grad_norm(ep, 1.0)
    with pytest.warns(FutureWarning):
        tn = torch.nn.utils.clip_grad_norm(tp, 1.0)
    close(en, tn)


def test_clip_grad_norm_no_graph_and_nonfinite():
    w = ember.ones(3, requires_grad=True)
    (w * w).sum().backward(create_graph=True)
    n = ember.nn.utils.clip_grad_norm_([w], 1.0)
    assert not n.requires_grad
    for L in LIBS:
        p = L.zeros(3, requires_grad=True)
        p.grad = L.tensor([1.0, float("inf"), 2.0])
        n = L.nn.utils.clip_grad_norm_([p], 1.0)  # no error by default
        assert float(n) == float("inf")
    msgs = raises_same(
        lambda: torch.nn.utils.clip_grad_norm_([_nan_param(torch)], 1.0, error_if_nonfinite=True),
        lambda: ember.nn.utils.clip_grad_norm_([_nan_param(ember)], 1.0, error_if_nonfinite=True),
    )
    assert msgs[0] == msgs[1]


def _nan_param(L):
    p = L.zeros(2, requires_grad=True)
    p.grad = L.tensor([float("nan"), 1.0])
    return p


def test_get_total_norm_and_clip_grads_with_norm():
    tp, ep = make_params(torch, GRADS), make_params(ember, GRADS)
    tg = [p.grad for p in tp if p.grad is not None]
    eg = [p.grad for p in ep if p.grad is not None]
    for nt in (2.0, 1.0, "inf"):
        close(ember.nn.utils.get_total_norm(eg, nt), torch.nn.utils.get_total_norm(tg, nt))
    tn, en = torch.nn.utils.get_total_norm(tg), ember.nn.utils.get_total_norm(eg)
    torch.nn.utils.clip_grads_with_norm_(tp, 2.0, tn)
    ember.nn.utils.clip_grads_with_norm_(ep, 2.0, en)
    for a, b in zip(tp, ep):
        if a.grad is not None:
            close(b.grad, a.grad)
    close(ember.nn.utils.get_total_norm(eg[0]), torch.nn.utils.get_total_norm(tg[0]))


@pytest.mark.parametrize("clip", [0.1, 1, 5.0])
def test_clip_grad_value(clip):
    tp, ep = make_params(torch, GRADS), make_params(ember, GRADS)
    assert torch.nn.utils.clip_grad_value_(tp, clip) is None
    assert ember.nn.utils.clip_grad_value_(ep, clip) is None
    for a, b in zip(tp, ep):
        if a.grad is not None:
            close(b.grad, a.grad, rtol=0, atol=0)
    tp, ep = make_params(torch, GRADS), make_params(ember, GRADS)
    torch.nn.utils.clip_grad_value_(tp[0], clip, foreach=False)
    ember.nn.utils.clip_grad_value_(ep[0], clip, foreach=False)
    close(ep[0].grad, tp[0].grad, rtol=0, atol=0)


def test_clip_in_a_training_step():
    def build(L):
        return L.nn.Sequential(L.nn.Linear(6, 8), L.nn.Tanh(), L.nn.Linear(8, 3))

    tm, em = both(build)
    x, y = rand(5, 6), rand(5, 3)
    topt = torch.optim.SGD(tm.parameters(), lr=0.1)
    eopt = ember.optim.SGD(em.parameters(), lr=0.1)
    for _ in range(3):
        for L, m, opt in ((torch, tm, topt), (ember, em, eopt)):
            opt.zero_grad()
            loss = ((m(L.tensor(x)) - L.tensor(y)) ** 2).sum()
            loss.backward()
            L.nn.utils.clip_grad_norm_(m.parameters(), 0.5)
            opt.step()
    for (n, a), (k, b) in zip(tm.named_parameters(), em.named_parameters()):
        assert n == k
        close(b, a, rtol=1e-5, atol=1e-6)


# -- parameters <-> vector -------------------------------------------------------------------------------------


def test_parameters_to_vector_and_back():
    def build(L):
        return L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 2, bias=False))

    tm, em = both(build)
    tv = torch.nn.utils.parameters_to_vector(tm.parameters())
    ev = ember.nn.utils.parameters_to_vector(em.parameters())
    assert tuple(ev.shape) == tuple(tv.shape) == (3 * 4 + 4 + 8,)
    close(ev, tv, rtol=0, atol=0)
    assert ev.requires_grad and type(ev.grad_fn).__name__ == type(tv.grad_fn).__name__
    up = rand(*tv.shape)
    tv.backward(torch.tensor(up))
    ev.backward(ember.tensor(up))
    for a, b in zip(tm.parameters(), em.parameters()):
        close(b.grad, a.grad)
    new = rand(*tv.shape)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tm.parameters())
    ember.nn.utils.vector_to_parameters(ember.tensor(new), em.parameters())
    for (n, a), (k, b) in zip(tm.named_parameters(), em.named_parameters()):
        assert n == k and isinstance(b, ember.nn.Parameter) and b.requires_grad
        close(b, a, rtol=0, atol=0)
    xs = rand(2, 3)
    close(em(ember.tensor(xs)), tm(torch.tensor(xs)))


@pytest.mark.parametrize("bad", [[1.0, 2.0], np.zeros(3), 3])
def test_vector_to_parameters_type_error(bad):
    mt, me = raises_same(
        lambda: torch.nn.utils.vector_to_parameters(bad, []), lambda: ember.nn.utils.vector_to_parameters(bad, [])
    )
    assert mt == me


# -- parametrize ---------------------------------------------------------------------------------------------


def symmetric(L):
    class Symmetric(L.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    return Symmetric()


def scale(L, s):
    class Scale(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.s = s

        def forward(self, X):
            return X * self.s

        def right_inverse(self, X):
            return X / self.s

    return Scale()


def param_state(tm, em):
    assert [k for k, _ in em.named_parameters()] == [k for k, _ in tm.named_parameters()]
    assert list(em.state_dict()) == list(tm.state_dict())
    for (k, a), (_, b) in zip(tm.state_dict().items(), em.state_dict().items()):
        assert tuple(b.shape) == tuple(a.shape), k
        close(b, a, msg=k)


def fwd_bwd(tm, em, x, rtol=1e-5, atol=1e-6):
    ot, oe = tm(torch.tensor(x)), em(ember.tensor(x))
    close(oe, ot, rtol=rtol, atol=atol)
    up = rand(*ot.shape)
    ot.backward(torch.tensor(up))
    oe.backward(ember.tensor(up))
    for (k, a), (_, b) in zip(tm.named_parameters(), em.named_parameters()):
        assert (a.grad is None) == (b.grad is None), k
        if a.grad is not None:
            close(b.grad, a.grad, rtol=rtol * 10, atol=atol * 10, msg=k)


def test_register_parametrization_matches_torch():
    def build(L):
        m = L.nn.Linear(4, 4)
        L.nn.utils.parametrize.register_parametrization(m, "weight", symmetric(L))
        return m

    tm, em = both(build)
    assert repr(em) == repr(tm)
    assert type(em).__name__ == "ParametrizedLinear"
    assert ember.nn.utils.parametrize.type_before_parametrizations(em) is ember.nn.Linear
    assert isinstance(em, ember.nn.Linear)
    assert ember.nn.utils.parametrize.is_parametrized(em)
    assert ember.nn.utils.parametrize.is_parametrized(em, "weight")
    assert not ember.nn.utils.parametrize.is_parametrized(em, "bias")
    assert not ember.nn.utils.parametrize.is_parametrized(ember.nn.Linear(2, 2))
    assert type(em.parametrizations.weight).__name__ == "ParametrizationList"
    assert isinstance(em.parametrizations.weight.original, ember.nn.Parameter)
    param_state(tm, em)
    w = to_np(em.weight)
    np.testing.assert_array_equal(w, w.T)
    fwd_bwd(tm, em, rand(3, 4))
    # assigning goes through right_inverse
    a = rand(4, 4)
    tm.weight = torch.tensor(a)
    em.weight = ember.tensor(a)
    close(em.parametrizations.weight.original, tm.parametrizations.weight.original)
    close(em.weight, tm.weight)
    # a state dict round trip
    em2 = build(ember)
    em2.load_state_dict(em.state_dict())
    close(em2.weight, em.weight)
    copy_state(tm, em2)
    close(em2.weight, tm.weight)


def test_parametrization_chain_unsafe_and_buffer():
    def build(L):
        m = L.nn.Linear(4, 4)
        P = L.nn.utils.parametrize
        P.register_parametrization(m, "weight", symmetric(L))
        P.register_parametrization(m, "weight", scale(L, 3.0))
        P.register_parametrization(m, "bias", scale(L, -2.0))
        m.register_buffer("buf", L.arange(6.0))
        P.register_parametrization(m, "buf", scale(L, 0.5))
        return m

    tm, em = both(build)
    assert repr(em) == repr(tm)
    param_state(tm, em)
    close(em.buf, tm.buf)
    assert list(dict(em.named_buffers())) == list(dict(tm.named_buffers()))
    fwd_bwd(tm, em, rand(2, 4))
    for L, m in zip(LIBS, (tm, em)):
        L.nn.utils.parametrize.remove_parametrizations(m, "bias")
        L.nn.utils.parametrize.remove_parametrizations(m, "buf", leave_parametrized=False)
    assert repr(em) == repr(tm)
    param_state(tm, em)
    close(em.bias, tm.bias)
    close(em.buf, tm.buf)

    class Flat(torch.nn.Module):
        pass

    def grow(L):
        class Grow(L.nn.Module):
            def forward(self, X):
                return L.cat([X, X], 0)

        m = L.nn.Linear(3, 2)
        L.nn.utils.parametrize.register_parametrization(m, "weight", Grow(), unsafe=True)
        return m

    tg, eg = both(grow)
    assert tuple(eg.weight.shape) == tuple(tg.weight.shape) == (4, 3)
    assert eg.parametrizations.weight.unsafe
    for L, m in zip(LIBS, (tg, eg)):
        L.nn.utils.parametrize.remove_parametrizations(m, "weight")
    assert tuple(eg.weight.shape) == (4, 3) and isinstance(eg.weight, ember.nn.Parameter)
    close(eg.weight, tg.weight)


def test_remove_parametrizations_keeps_parameter_identity():
    def build(L):
        m = L.nn.Linear(3, 3)
        L.nn.utils.parametrize.register_parametrization(m, "weight", symmetric(L))
        return m

    tm, em = both(build)
    orig = em.parametrizations.weight.original
    opt = ember.optim.SGD(em.parameters(), lr=0.1)
    ember.nn.utils.parametrize.remove_parametrizations(em, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(tm, "weight")
    assert em.weight is orig
    assert type(em) is ember.nn.Linear and not hasattr(em, "parametrizations")
    assert repr(em) == repr(tm)
    close(em.weight, tm.weight)
    w = to_np(em.weight)
    np.testing.assert_array_equal(w, w.T)
    em(ember.randn(2, 3)).sum().backward()
    opt.step()  # the optimizer still holds the same parameter objects


def test_parametrize_cached():
    calls = []

    class Count(ember.nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 2

    m = ember.nn.Linear(3, 3)
    ember.nn.utils.parametrize.register_parametrization(m, "weight", Count())
    calls.clear()
    x = ember.randn(2, 3)
    m(x)
    m(x)
    assert len(calls) == 2
    with ember.nn.utils.parametrize.cached():
        a = m.weight
        b = m.weight
        assert a is b
        with ember.nn.utils.parametrize.cached():
            m(x)
    assert len(calls) == 3
    m(x)
    assert len(calls) == 4


def test_parametrize_deepcopy_state_dict_and_pickle():
    m = ember.nn.Linear(3, 3)
    ember.nn.utils.parametrize.register_parametrization(m, "weight", symmetric(ember))
    c = copy.deepcopy(m)
    assert type(c).__name__ == "ParametrizedLinear"
    close(c.weight, m.weight)
    assert c.parametrizations.weight.original is not m.parametrizations.weight.original
    with pytest.raises(RuntimeError, match="state_dict"):
        pickle.dumps(m)
    t = torch.nn.Linear(3, 3)
    torch.nn.utils.parametrize.register_parametrization(t, "weight", symmetric(torch))
    with pytest.raises(RuntimeError):
        pickle.dumps(t)


def test_parametrize_errors():
    def reg(L, name, p, **kw):
        def f():
            L.manual_seed(0)
            m = L.nn.Linear(3, 4)
            L.nn.utils.parametrize.register_parametrization(m, name, p(L), **kw)
            return m

        return f

    # no such tensor
    mt, me = raises_same(reg(torch, "nope", symmetric), reg(ember, "nope", symmetric))
    assert me == mt
    # shape change without unsafe (Linear(3, 4) weight is not square: Symmetric fails in forward)

    def grow(L):
        class Grow(L.nn.Module):
            def forward(self, X):
                return L.cat([X, X], 0)

        return Grow()

    def half(L):
        class Half(L.nn.Module):
            def forward(self, X):
                return X.double()

        return Half()

    def notensor(L):
        class NoTensor(L.nn.Module):
            def forward(self, X):
                return 1.0

        return NoTensor()

    for p in (grow, half, notensor):
        mt, me = raises_same(reg(torch, "weight", p), reg(ember, "weight", p))
        assert me.replace("ember.", "torch.") == mt, (me, mt)

    # remove a parametrization that is not there
    raises_same(
        lambda: torch.nn.utils.parametrize.remove_parametrizations(torch.nn.Linear(2, 2), "weight"),
        lambda: ember.nn.utils.parametrize.remove_parametrizations(ember.nn.Linear(2, 2), "weight"),
    )
    # a second parametrization that changes the shape
    for L in LIBS:
        m = L.nn.Linear(3, 3)
        L.nn.utils.parametrize.register_parametrization(m, "weight", symmetric(L))
        with pytest.raises(ValueError, match="may not change the shape"):
            L.nn.utils.parametrize.register_parametrization(m, "weight", grow(L))
        # assigning when a parametrization has no right_inverse
        L.nn.utils.parametrize.register_parametrization(m, "weight", grow(L), unsafe=True)
        with pytest.raises(RuntimeError, match="does not implement right_inverse"):
            m.weight = L.zeros(6, 3)
        with pytest.raises(KeyError):
            m.weight = L.nn.Parameter(L.zeros(3, 3))
    with pytest.raises(ValueError, match="requires one or more modules"):
        ember.nn.utils.parametrize.ParametrizationList([], ember.zeros(2))


def test_transfer_parametrizations_and_params():
    src = ember.nn.Linear(3, 3)
    ember.nn.utils.parametrize.register_parametrization(src, "weight", symmetric(ember))
    dst = ember.nn.Linear(3, 3)
    ember.nn.utils.parametrize.transfer_parametrizations_and_params(src, dst)
    assert ember.nn.utils.parametrize.is_parametrized(dst, "weight")
    assert dst.parametrizations.weight.original is src.parametrizations.weight.original
    close(dst.weight, src.weight)


# -- parametrizations.weight_norm / spectral_norm ----------------------------------------------------------------


WN_CASES = [
    (lambda L: L.nn.Linear(5, 4), 0, (3, 5)),
    (lambda L: L.nn.Linear(5, 4), 1, (3, 5)),
    (lambda L: L.nn.Linear(5, 4), None, (3, 5)),
    (lambda L: L.nn.Linear(5, 4), -2, (3, 5)),
    (lambda L: L.nn.Conv2d(2, 3, 3), 0, (2, 2, 6, 6)),
    (lambda L: L.nn.Conv2d(2, 3, 3), 2, (2, 2, 6, 6)),
    (lambda L: L.nn.Conv1d(2, 3, 3), -1, (2, 2, 7)),
]


@pytest.mark.parametrize("case", range(len(WN_CASES)))
def test_weight_norm_parametrization(case):
    make, dim, shape = WN_CASES[case]

    def build(L):
        return L.nn.utils.parametrizations.weight_norm(make(L), dim=dim)

    tm, em = both(build)
    assert repr(em) == repr(tm)
    param_state(tm, em)
    g = em.parametrizations.weight.original0
    assert isinstance(g, ember.nn.Parameter)
    fwd_bwd(tm, em, rand(*shape))
    # state dict from torch (different values) loads into ember
    tm2 = both(build, seed=3)[0]
    copy_state(tm2, em)
    close(em.weight, tm2.weight)
    for L, m in zip(LIBS, (tm2, em)):
        L.nn.utils.parametrize.remove_parametrizations(m, "weight")
    assert repr(em) == repr(tm2)
    param_state(tm2, em)


def test_weight_norm_loads_legacy_state_dict():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        legacy = torch.nn.utils.weight_norm(torch.nn.Linear(3, 2))
    sd = {k: ember.tensor(to_np(v)) for k, v in legacy.state_dict().items()}
    assert set(sd) == {"bias", "weight_g", "weight_v"}
    em = ember.nn.utils.parametrizations.weight_norm(ember.nn.Linear(3, 2))
    em.load_state_dict(sd)
    close(em.weight, legacy.weight)


SN_CASES = [
    (lambda L: L.nn.Linear(5, 4), {}, (3, 5)),
    (lambda L: L.nn.Linear(5, 4), {"n_power_iterations": 3, "eps": 1e-6}, (3, 5)),
    (lambda L: L.nn.Conv2d(2, 3, 3), {}, (2, 2, 6, 6)),
    (lambda L: L.nn.Conv2d(2, 3, 3), {"dim": 1}, (2, 2, 6, 6)),
    (lambda L: L.nn.ConvTranspose2d(2, 3, 3), {}, (2, 2, 4, 4)),
]


@pytest.mark.parametrize("case", range(len(SN_CASES)))
def test_spectral_norm_parametrization(case):
    make, kw, shape = SN_CASES[case]

    def build(L):
        return L.nn.utils.parametrizations.spectral_norm(make(L), **kw)

    tm, em = both(build)
    assert repr(em) == repr(tm)
    param_state(tm, em)  # _u and _v come from the same generator draws and 15 power iterations
    for _ in range(2):
        for m in (tm, em):
            for p in m.parameters():
                p.grad = None
        fwd_bwd(tm, em, rand(*shape), rtol=1e-4, atol=1e-5)
        param_state(tm, em)
    tm.eval()
    em.eval()
    fwd_bwd(tm, em, rand(*shape), rtol=1e-4, atol=1e-5)
    param_state(tm, em)
    with torch.no_grad():
        tsig = torch.linalg.matrix_norm(tm.weight.reshape(tm.weight.shape[0], -1), 2)
    assert abs(float(tsig) - 1) < 0.2


def test_spectral_norm_parametrization_vector_and_errors():
    def build(L):
        m = L.nn.Module()
        m.w = L.nn.Parameter(L.randn(6))
        return L.nn.utils.parametrizations.spectral_norm(m, "w")

    tm, em = both(build)
    close(em.w, tm.w)
    assert list(em.state_dict()) == list(tm.state_dict())
    raises_same(
        lambda: torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(2, 2), dim=2),
        lambda: ember.nn.utils.parametrizations.spectral_norm(ember.nn.Linear(2, 2), dim=2),
    )
    raises_same(
        lambda: torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(2, 2), n_power_iterations=0),
        lambda: ember.nn.utils.parametrizations.spectral_norm(ember.nn.Linear(2, 2), n_power_iterations=0),
    )
    mt, me = raises_same(
        lambda: torch.nn.utils.parametrizations.spectral_norm(torch.nn.ReLU()),
        lambda: ember.nn.utils.parametrizations.spectral_norm(ember.nn.ReLU()),
    )
    assert mt == me


# -- legacy hook-based weight_norm / spectral_norm ---------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, None])
def test_legacy_weight_norm(dim):
    def build(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return L.nn.utils.weight_norm(L.nn.Linear(4, 3), dim=dim)

    tm, em = both(build)
    assert repr(em) == repr(tm)
    param_state(tm, em)
    assert [k for k, _ in em.named_parameters()] == ["bias", "weight_g", "weight_v"]
    fwd_bwd(tm, em, rand(2, 4))
    copy_state(tm, em)
    for L, m in zip(LIBS, (tm, em)):
        L.nn.utils.remove_weight_norm(m)
    param_state(tm, em)
    close(em.weight, tm.weight)
    assert isinstance(em.weight, ember.nn.Parameter)
    with pytest.warns(FutureWarning):
        ember.nn.utils.weight_norm(ember.nn.Linear(2, 2))
    raises_same(lambda: torch.nn.utils.remove_weight_norm(tm), lambda: ember.nn.utils.remove_weight_norm(em))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        raises_same(
            lambda: torch.nn.utils.weight_norm(tm, "bias") and torch.nn.utils.weight_norm(tm, "bias"),
            lambda: ember.nn.utils.weight_norm(em, "bias") and ember.nn.utils.weight_norm(em, "bias"),
        )


@pytest.mark.parametrize("kind", ["linear", "conv", "convT"])
def test_legacy_spectral_norm(kind):
    def build(L):
        m = {
            "linear": lambda: L.nn.Linear(5, 4),
            "conv": lambda: L.nn.Conv2d(2, 3, 3),
            "convT": lambda: L.nn.ConvTranspose2d(2, 3, 3),
        }[kind]()
        return L.nn.utils.spectral_norm(m, n_power_iterations=2)

    shape = {"linear": (3, 5), "conv": (2, 2, 5, 5), "convT": (2, 2, 4, 4)}[kind]
    tm, em = both(build)
    assert repr(em) == repr(tm)
    param_state(tm, em)
    assert list(em.state_dict()) == list(tm.state_dict())
    for train in (True, True, False):
        tm.train(train)
        em.train(train)
        for m in (tm, em):
            m.zero_grad()
        fwd_bwd(tm, em, rand(*shape), rtol=1e-4, atol=1e-5)
        param_state(tm, em)
    em2 = build(ember)
    em2.load_state_dict(em.state_dict())
    close(em2.weight_u, em.weight_u)
    for L, m in zip(LIBS, (tm, em)):
        L.nn.utils.remove_spectral_norm(m)
    param_state(tm, em)
    assert not em._forward_pre_hooks and not em._state_dict_hooks and not em._load_state_dict_pre_hooks
    raises_same(lambda: torch.nn.utils.remove_spectral_norm(tm), lambda: ember.nn.utils.remove_spectral_norm(em))
    raises_same(
        lambda: torch.nn.utils.spectral_norm(torch.nn.Linear(2, 2), n_power_iterations=0),
        lambda: ember.nn.utils.spectral_norm(ember.nn.Linear(2, 2), n_power_iterations=0),
    )


# -- fusion and functional_call ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["conv", "convT", "linear", "linear_nobias"])
def test_fuse_bn_eval(kind):
    def build(L):
        nn = L.nn
        if kind == "conv":
            m, bn = nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3)
        elif kind == "convT":
            m, bn = nn.ConvTranspose2d(2, 3, 3), nn.BatchNorm2d(3)
        else:
            m, bn = nn.Linear(4, 3, bias=kind == "linear"), nn.BatchNorm1d(3)
        return nn.Sequential(m, bn)

    tm, em = both(build)
    shape = (2, 2, 5, 5) if kind.startswith("conv") else (5, 4)
    x = rand(*shape)
    tm(torch.tensor(x))  # train-mode pass: non-trivial running statistics
    copy_state(tm, em)
    tm.eval()
    em.eval()
    fuse_t = torch.nn.utils.fuse_linear_bn_eval if kind.startswith("linear") else torch.nn.utils.fuse_conv_bn_eval
    fuse_e = ember.nn.utils.fuse_linear_bn_eval if kind.startswith("linear") else ember.nn.utils.fuse_conv_bn_eval
    kw = {"transpose": True} if kind == "convT" else {}
    ft, fe = fuse_t(tm[0], tm[1], **kw), fuse_e(em[0], em[1], **kw)
    assert repr(fe) == repr(ft) and fe is not em[0]
    assert isinstance(fe.weight, ember.nn.Parameter) and isinstance(fe.bias, ember.nn.Parameter)
    close(fe.weight, ft.weight)
    close(fe.bias, ft.bias)
    close(fe(ember.tensor(x)), em(ember.tensor(x)), rtol=1e-4, atol=1e-5)
    em.train()
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        fuse_e(em[0], em[1])
    if kind.startswith("linear"):
        lin, bn = ember.nn.Linear(4, 3).eval(), ember.nn.BatchNorm1d(2).eval()
        with pytest.raises(AssertionError, match="To fuse"):
            ember.nn.utils.fuse_linear_bn_eval(lin, bn)


def test_functional_call():
    def build(L):
        return L.nn.Sequential(L.nn.Linear(3, 4), L.nn.BatchNorm1d(4), L.nn.Linear(4, 2))

    tm, em = both(build)
    copy_state(tm, em)
    x = rand(5, 3)
    new = {"0.weight": rand(4, 3), "2.bias": rand(2), "1.running_mean": rand(4)}
    outs = []
    for L, m in zip(LIBS, (tm, em)):
        m.eval()
        params = {k: L.tensor(v, requires_grad="running" not in k) for k, v in new.items()}
        before = {k: to_np(v).copy() for k, v in m.state_dict().items()}
        with pytest.warns(FutureWarning):
            out = L.nn.utils.stateless.functional_call(m, params, (L.tensor(x),))
        out.sum().backward()
        outs.append((out, params))
        for k, v in m.state_dict().items():  # the module is restored
            np.testing.assert_array_equal(to_np(v), before[k])
        assert isinstance(m[0].weight, L.nn.Parameter)
    (ot, pt), (oe, pe) = outs
    close(oe, ot)
    for k in new:
        if pt[k].grad is not None:
            close(pe[k].grad, pt[k].grad)
    for L, m in zip(LIBS, (tm, em)):
        with pytest.raises(RuntimeError, match="Missing key"):
            L.nn.utils.stateless._functional_call(m, {"0.weight": L.zeros(4, 3)}, L.tensor(x), strict=True)


ORTH_CASES = [
    ((4, 4), None, True),
    ((5, 3), None, True),
    ((3, 5), None, True),
    ((4, 4), "cayley", True),
    ((5, 3), "householder", False),
    ((5, 3), "matrix_exp", True),
    ((2, 4, 4), None, True),
    ((5, 3), "cayley", False),
    ((4, 4), "matrix_exp", False),
]


@pytest.mark.parametrize("case", range(len(ORTH_CASES)))
def test_orthogonal_parametrization(case):
    shape, omap, triv = ORTH_CASES[case]

    def build(L):
        m = L.nn.Module()
        m.weight = L.nn.Parameter(L.randn(*shape))
        return L.nn.utils.parametrizations.orthogonal(m, orthogonal_map=omap, use_trivialization=triv)

    tm, em = both(build)
    assert repr(em) == repr(tm)
    param_state(tm, em)
    w = to_np(em.weight)
    wtw = np.swapaxes(w, -1, -2) @ w if shape[-2] >= shape[-1] else w @ np.swapaxes(w, -1, -2)
    np.testing.assert_allclose(wtw, np.broadcast_to(np.eye(wtw.shape[-1]), wtw.shape), atol=1e-5)
    ws = [m.weight for m in (tm, em)]
    for L, w in zip(LIBS, ws):
        (w * L.arange(float(w.numel())).reshape(w.shape)).sum().backward()
    for (k, a), (_, b) in zip(tm.named_parameters(), em.named_parameters()):
        close(b.grad, a.grad, rtol=1e-4, atol=1e-5, msg=k)
    if triv or omap == "householder":
        q = np.linalg.qr(rand(*shape[-2:]) if shape[-2] >= shape[-1] else rand(*shape[::-1][:2]))[0]
        q = q if shape[-2] >= shape[-1] else q.T
        q = np.broadcast_to(q, shape).copy()
        for L, m in zip(LIBS, (tm, em)):
            L.manual_seed(1)
            m.weight = L.tensor(q)
        param_state(tm, em)
        close(em.weight, tm.weight, atol=1e-5)


def test_orthogonal_errors():
    for fn in (
        lambda L: L.nn.utils.parametrizations.orthogonal(L.nn.Linear(3, 3), orthogonal_map="qr"),
        lambda L: L.nn.utils.parametrizations.orthogonal(L.nn.Linear(3, 3), "bias"),
        lambda L: L.nn.utils.parametrizations.orthogonal(L.nn.ReLU()),
    ):
        mt, me = raises_same(lambda: fn(torch), lambda: fn(ember))
        assert type(mt) is type(me)
    for L in LIBS:
        m = L.nn.utils.parametrizations.orthogonal(L.nn.Linear(3, 3), use_trivialization=False)
        with pytest.raises(NotImplementedError):
            m.weight = L.eye(3)
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices of shape"):
            m.parametrizations.weight[0].right_inverse(L.eye(2))
