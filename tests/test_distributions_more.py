"""ember.distributions' further families against torch.distributions: ContinuousBernoulli, FisherSnedecor,
InverseGamma, LKJCholesky, LowRankMultivariateNormal, VonMises, Wishart (values, gradients, shapes, sample
statistics, KL pairs, argument validation)."""

import warnings

import numpy as np
import pytest
import torch
import torch.distributions as TD
from test_distributions import _np, assert_same_grads

import ember
import ember.distributions as ED


def close(e, t, rtol=1e-6, atol=1e-8, what=""):
    a, b = _np(e), _np(t)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs {b.shape}"
    if np.asarray(b).dtype == np.float32:
        rtol, atol = max(rtol, 1e-5), max(atol, 1e-6)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def P(x):
    return np.asarray(x, dtype=np.float64)


def _corr_chol(c):
    return np.linalg.cholesky(P(c))


_C3A = _corr_chol([[1.0, 0.3, -0.2], [0.3, 1.0, 0.5], [-0.2, 0.5, 1.0]])
_C3B = _corr_chol([[1.0, -0.6, 0.1], [-0.6, 1.0, 0.2], [0.1, 0.2, 1.0]])
_COV2 = P([[2.0, 0.3], [0.3, 1.0]])
_W2 = P([[[1.5, 0.2], [0.2, 0.8]], [[3.0, -1.0], [-1.0, 2.0]]])

# (name, factory(lib, params), params, value); params named in NOGRAD are not differentiated
SPECS = [
    (
        "CBProbs",
        lambda L, p: L.ContinuousBernoulli(probs=p["probs"]),
        {"probs": P([0.2, 0.4995, 0.8, 0.03])},
        P([0.1, 0.5, 0.9, 0.3]),
    ),
    (
        "CBLogits",
        lambda L, p: L.ContinuousBernoulli(logits=p["logits"]),
        {"logits": P([-1.0, 0.0, 2.0, 0.003])},
        P([0.1, 0.5, 0.9, 0.7]),
    ),
    ("CBScalar", lambda L, p: L.ContinuousBernoulli(0.3), {}, P([0.1, 0.5, 0.9])),
    (
        "FisherSnedecor",
        lambda L, p: L.FisherSnedecor(p["df1"], p["df2"]),
        {"df1": P([1.5, 3.0, 6.0]), "df2": P([1.0, 5.0, 10.0])},
        P([0.5, 1.2, 2.0]),
    ),
    ("FisherSnedecorScalar", lambda L, p: L.FisherSnedecor(4.0, 7.0), {}, P([0.5, 1.2])),
    (
        "InverseGamma",
        lambda L, p: L.InverseGamma(p["c"], p["rate"]),
        {"c": P([0.5, 1.5, 3.0]), "rate": P([1.0, 2.0, 0.5])},
        P([0.3, 2.0, 1.0]),
    ),
    (
        "LKJCholesky",
        lambda L, p: L.LKJCholesky(3, p["eta"]),
        {"eta": P([0.5, 2.0])},
        np.stack([_C3A, _C3B]),
    ),
    ("LKJCholeskyScalar", lambda L, p: L.LKJCholesky(3, 1.5), {}, _C3A),
    (
        "LowRankMVN",
        lambda L, p: L.LowRankMultivariateNormal(p["loc"], p["W"], p["D"]),
        {
            "loc": P([[0.1, 0.2, -0.3], [1.0, -1.0, 0.5]]),
            "W": P([[1.0, 0.2], [-0.5, 0.3], [0.4, 1.1]]),
            "D": P([0.5, 1.2, 0.8]),
        },
        P([0.5, -0.4, 0.2]),
    ),
    (
        "LowRankMVNBatchW",
        lambda L, p: L.LowRankMultivariateNormal(p["loc"], p["W"], p["D"]),
        {
            "loc": P([0.1, 0.2]),
            "W": P([[[1.0], [0.5]], [[-0.3], [2.0]], [[0.0], [0.1]]]),
            "D": P([[0.5, 1.2]]),
        },
        P([[0.5, -0.4], [1.0, 2.0], [0.0, 0.0]]),
    ),
    (
        "VonMises",
        lambda L, p: L.VonMises(p["loc"], p["k"]),
        {"loc": P([0.3, -1.0, 2.0, 0.0]), "k": P([0.5, 4.0, 10.0, 3.7])},
        P([0.1, -0.5, 3.0, 7.0]),
    ),
    (
        "WishartCov",
        lambda L, p: L.Wishart(p["df"], covariance_matrix=p["cov"]),
        {"df": P([3.0, 4.5]), "cov": _COV2},
        _W2,
    ),
    (
        "WishartTril",
        lambda L, p: L.Wishart(p["df"], scale_tril=p["tril"]),
        {"df": P(5.0), "tril": P([[1.5, 0.0, 0.0], [0.3, 0.8, 0.0], [-0.2, 0.1, 1.1]])},
        P([[2.0, 0.3, 0.1], [0.3, 1.5, -0.2], [0.1, -0.2, 1.0]]),
    ),
    (
        "WishartPrec",
        lambda L, p: L.Wishart(p["df"], precision_matrix=p["prec"]),
        {"df": P([2.5, 6.0]), "prec": np.stack([_COV2, P([[1.0, -0.4], [-0.4, 0.7]])])},
        _W2[0],
    ),
    ("WishartNumberDf", lambda L, p: L.Wishart(4.0, covariance_matrix=p["cov"]), {"cov": _COV2}, _W2),
]
SPEC_IDS = [s[0] for s in SPECS]


def _build(spec, grad=True):
    _, factory, params, _ = spec
    tp = {k: torch.tensor(v, requires_grad=grad) for k, v in params.items()}
    ep = {k: ember.tensor(v, requires_grad=grad) for k, v in params.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return factory(TD, tp), factory(ED, ep), tp, ep


def _call(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(), None
    except Exception as exc:  # noqa: BLE001
        return None, exc


def _same_outcome(tfn, efn, what, rtol=1e-6, atol=1e-8):
    tr, texc = _call(tfn)
    er, eexc = _call(efn)
    if texc is not None:
        assert eexc is not None, f"{what}: torch raised {texc!r}, ember returned {er}"
        assert type(eexc) is type(texc), f"{what}: {type(eexc).__name__} vs {type(texc).__name__}: {eexc}"
        return
    assert eexc is None, f"{what}: ember raised {eexc!r}"
    close(er, tr, rtol, atol, what)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_values_and_shapes(spec):
    td, ed, _, _ = _build(spec, grad=False)
    assert tuple(ed.batch_shape) == tuple(td.batch_shape)
    assert tuple(ed.event_shape) == tuple(td.event_shape)
    assert ed.has_rsample == td.has_rsample
    assert ed.has_enumerate_support == td.has_enumerate_support
    assert type(ed.support).__name__ == type(td.support).__name__
    assert repr(ed.support) == repr(td.support).replace("torch.", "ember.")
    assert set(ed.arg_constraints) == set(td.arg_constraints)
    for k, c in td.arg_constraints.items():
        assert repr(ed.arg_constraints[k]) == repr(c), k
    value = spec[3]
    tv, ev = torch.tensor(value), ember.tensor(value)
    _same_outcome(lambda: td.log_prob(tv), lambda: ed.log_prob(ev), "log_prob")
    for prop in ("mean", "variance", "stddev", "mode"):
        _same_outcome(lambda: getattr(td, prop), lambda: getattr(ed, prop), prop)
    _same_outcome(td.entropy, ed.entropy, "entropy", rtol=1e-6)
    _same_outcome(td.perplexity, ed.perplexity, "perplexity", rtol=1e-6)
    if td.event_shape == ():
        _same_outcome(lambda: td.cdf(tv), lambda: ed.cdf(ev), "cdf")
        q = np.broadcast_to(P([0.3, 0.8, 0.55, 0.1, 0.9][: value.shape[-1]]), value.shape).copy()
        _same_outcome(lambda: td.icdf(torch.tensor(q)), lambda: ed.icdf(ember.tensor(q)), "icdf", rtol=1e-5)
    for name in ("covariance_matrix", "precision_matrix", "scale_tril", "logits", "probs"):
        if hasattr(td, name):
            _same_outcome(lambda: getattr(td, name), lambda: getattr(ed, name), name)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_gradients(spec):
    td, ed, tp, ep = _build(spec, grad=True)
    if not tp:
        return
    value = spec[3]
    keys = list(tp)
    for what in ("log_prob", "entropy", "mean", "variance"):
        if what == "log_prob":
            tout, texc = _call(lambda: td.log_prob(torch.tensor(value)).sum())
            eout, eexc = _call(lambda: ed.log_prob(ember.tensor(value)).sum())
        elif what == "entropy":
            tout, texc = _call(lambda: td.entropy().sum())
            eout, eexc = _call(lambda: ed.entropy().sum())
        else:
            # nan entries (undefined moments) are left out of the sum
            tout, texc = _call(lambda: getattr(td, what).nan_to_num(0.0, 0.0, 0.0).sum())
            eout, eexc = _call(lambda: getattr(ed, what).nan_to_num(0.0, 0.0, 0.0).sum())
        if texc is not None:
            assert eexc is not None and type(eexc) is type(texc), (what, texc, eexc)
            continue
        assert eexc is None, (what, eexc)
        if not tout.requires_grad:
            continue
        assert_same_grads(what, tout, eout, tp, ep, keys, atol=1e-8, close=close)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_expand_and_sample_shapes(spec):
    td, ed, _, _ = _build(spec, grad=False)
    new_batch = (4,) + tuple(td.batch_shape)
    te, ee = td.expand(new_batch), ed.expand(new_batch)
    assert type(ee) is type(ed)
    assert tuple(ee.batch_shape) == tuple(te.batch_shape)
    assert tuple(ee.event_shape) == tuple(te.event_shape)
    value = spec[3]
    _same_outcome(lambda: te.log_prob(torch.tensor(value)), lambda: ee.log_prob(ember.tensor(value)), "expanded lp")
    _same_outcome(te.entropy, ee.entropy, "expanded entropy")
    _same_outcome(lambda: te.mean, lambda: ee.mean, "expanded mean")
    for shape in ((), (5,), (2, 3)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ts = td.sample(shape)
            es = ed.sample(shape)
        assert tuple(es.shape) == tuple(ts.shape), (shape, es.shape, ts.shape)
        assert es.dtype == getattr(ember, str(ts.dtype).split(".")[1]), (es.dtype, ts.dtype)
        assert not es.requires_grad
        if td.has_rsample:
            assert tuple(ed.rsample(shape).shape) == tuple(ts.shape)
        assert bool(ed.support.check(es).all())
        assert np.all(np.isfinite(_np(ed.log_prob(es))))


# -- sampling: reproducible under ember.manual_seed, and the same law as torch's ------------------------------

STAT = [
    ("CB", lambda L, T: L.ContinuousBernoulli(T([0.1, 0.4999, 0.7, 0.95]))),
    ("FisherSnedecor", lambda L, T: L.FisherSnedecor(T([3.0, 10.0]), T([9.0, 12.0]))),
    ("InverseGamma", lambda L, T: L.InverseGamma(T([5.0, 8.0]), T([1.0, 3.0]))),
    ("LKJCholesky", lambda L, T: L.LKJCholesky(3, T([0.5, 3.0]))),
    (
        "LowRankMVN",
        lambda L, T: L.LowRankMultivariateNormal(
            T([0.1, -1.0, 2.0]), T([[1.0, 0.2], [-0.5, 0.3], [0.4, 1.1]]), T([0.5, 1.2, 0.8])
        ),
    ),
    ("VonMises", lambda L, T: L.VonMises(T([0.3, -3.0, 2.0, 0.0]), T([0.5, 4.0, 30.0, 1e-6]))),
    ("Wishart", lambda L, T: L.Wishart(T([4.0, 7.5]), covariance_matrix=T([[2.0, 0.3], [0.3, 1.0]]))),
]


def _circular(d, s):
    """Angles are compared through (cos, sin); everything else as is."""
    if isinstance(d, (TD.VonMises, ED.VonMises)):
        return np.concatenate([np.cos(s), np.sin(s)], -1)
    return s


@pytest.mark.parametrize("case", STAT, ids=[c[0] for c in STAT])
def test_sample_moments(case):
    _, fn = case
    n = 20000
    ember.manual_seed(0)
    torch.manual_seed(0)
    ed = fn(ED, lambda x: ember.tensor(P(x)))
    td = fn(TD, lambda x: torch.tensor(P(x)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = _circular(ed, _np(ed.sample((n,))))
        ts = _circular(td, _np(td.sample((n,))))
    assert es.shape == ts.shape
    sd = np.sqrt(ts.var(0) / n + es.var(0) / n) + 1e-12
    assert np.all(np.abs(es.mean(0) - ts.mean(0)) < 5 * sd), (es.mean(0), ts.mean(0))
    np.testing.assert_allclose(es.var(0), ts.var(0), rtol=0.15, atol=1e-9)


@pytest.mark.parametrize("case", STAT, ids=[c[0] for c in STAT])
def test_sampling_reproducible_under_manual_seed(case):
    _, fn = case
    d = fn(ED, lambda x: ember.tensor(P(x)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ember.manual_seed(7)
        a = _np(d.sample((6,)))
        ember.manual_seed(7)
        b = _np(d.sample((6,)))
        c = _np(d.sample((6,)))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_float32_samples_keep_dtype():
    vm = ED.VonMises(ember.tensor([0.0, 1.0]), ember.tensor([2.0, 0.5]))
    assert vm.sample((3,)).dtype == ember.float32
    cb = ED.ContinuousBernoulli(ember.tensor([0.2, 0.8]))
    assert cb.rsample((3,)).dtype == ember.float32
    assert ED.LKJCholesky(3, 2.0).sample((2,)).dtype == ember.float32


RSAMPLE_MEANS = [
    # (factory(params), params, d mean / d params computed by torch's analytic mean)
    ("CB", lambda L, p: L.ContinuousBernoulli(probs=p[0]), [P([0.2, 0.7])]),
    ("FisherSnedecor", lambda L, p: L.FisherSnedecor(p[0], p[1]), [P([4.0, 8.0]), P([9.0, 14.0])]),
    ("InverseGamma", lambda L, p: L.InverseGamma(p[0], p[1]), [P([4.0, 6.0]), P([1.0, 3.0])]),
    (
        "LowRankMVN",
        lambda L, p: L.LowRankMultivariateNormal(p[0], p[1], p[2]),
        [P([0.1, -1.0]), P([[1.0], [0.5]]), P([0.5, 1.2])],
    ),
]


@pytest.mark.parametrize("case", RSAMPLE_MEANS, ids=[c[0] for c in RSAMPLE_MEANS])
def test_rsample_is_differentiable(case):
    """The Monte-Carlo mean of rsample() has (approximately) the gradient of the analytic mean."""
    _, fn, params = case
    ep = [ember.tensor(v, requires_grad=True) for v in params]
    tp = [torch.tensor(v, requires_grad=True) for v in params]
    ember.manual_seed(3)
    out = fn(ED, ep).rsample((20000,)).mean(0).sum()
    eg = ember.autograd.grad(out, ep, allow_unused=True)
    tg = torch.autograd.grad(fn(TD, tp).mean.sum(), tp, allow_unused=True)
    for a, b in zip(eg, tg):
        if b is None:
            assert a is None or np.allclose(_np(a), 0, atol=0.05)
            continue
        np.testing.assert_allclose(_np(a), _np(b), rtol=0.1, atol=0.03)


def test_wishart_rsample_gradient_and_mean():
    cov = ember.tensor(_COV2, requires_grad=True)
    ember.manual_seed(11)
    s = ED.Wishart(ember.tensor(6.0), covariance_matrix=cov).rsample((8000,))
    m = s.mean(0)
    np.testing.assert_allclose(_np(m), 6.0 * _COV2, rtol=0.05, atol=0.05)
    (g,) = ember.autograd.grad(m.sum(), [cov])
    # E[W] = df * cov, so d sum(E[W]) / d cov = df everywhere
    np.testing.assert_allclose(_np(g), np.full((2, 2), 6.0), rtol=0.1)


# -- KL divergence --------------------------------------------------------------------------------------------


def _lr(L, T, loc, W, D):
    return L.LowRankMultivariateNormal(T(loc), T(W), T(D))


KL = [
    ("CB-CB", lambda L, T: (L.ContinuousBernoulli(T([0.2, 0.7, 0.4999])), L.ContinuousBernoulli(T([0.5, 0.1, 0.9])))),
    ("Beta-CB", lambda L, T: (L.Beta(T([0.5, 2.0]), T([1.0, 3.0])), L.ContinuousBernoulli(T([0.3, 0.8])))),
    ("CB-Exponential", lambda L, T: (L.ContinuousBernoulli(T([0.2, 0.7])), L.Exponential(T([0.5, 2.0])))),
    ("CB-Normal", lambda L, T: (L.ContinuousBernoulli(T([0.2, 0.7])), L.Normal(T([0.5, -1.0]), T([0.5, 1.0])))),
    (
        "CB-Uniform",
        lambda L, T: (L.ContinuousBernoulli(T([0.2, 0.7, 0.3])), L.Uniform(T([-1.0, 0.2, -0.5]), T([2.0, 3.0, 0.8]))),
    ),
    ("CB-Pareto", lambda L, T: (L.ContinuousBernoulli(T([0.2, 0.7])), L.Pareto(T([1.0, 2.0]), T([1.5, 3.0])))),
    (
        "Uniform-CB",
        lambda L, T: (L.Uniform(T([0.1, -0.5, 0.2]), T([0.6, 0.5, 1.5])), L.ContinuousBernoulli(T([0.2, 0.7, 0.4]))),
    ),
    ("Normal-CB", lambda L, T: (L.Normal(T([0.5, -1.0]), T([0.5, 1.0])), L.ContinuousBernoulli(T([0.2, 0.7])))),
    ("Gamma-CB", lambda L, T: (L.Gamma(T([1.5, 1.0]), T([2.0, 0.5])), L.ContinuousBernoulli(T([0.2, 0.7])))),
    ("Exponential-CB", lambda L, T: (L.Exponential(T([1.5, 1.0])), L.ContinuousBernoulli(T([0.2, 0.7])))),
    ("Laplace-CB", lambda L, T: (L.Laplace(T([0.5, -1.0]), T([0.5, 1.0])), L.ContinuousBernoulli(T([0.2, 0.7])))),
    ("Gumbel-CB", lambda L, T: (L.Gumbel(T([0.5, -1.0]), T([0.5, 1.0])), L.ContinuousBernoulli(T([0.2, 0.7])))),
    ("Pareto-CB", lambda L, T: (L.Pareto(T([1.0, 2.0]), T([1.5, 3.0])), L.ContinuousBernoulli(T([0.2, 0.7])))),
    (
        "LowRank-LowRank",
        lambda L, T: (
            _lr(L, T, [[0.1, 0.2, 0.3], [1.0, 0.0, -1.0]], [[1.0, 0.2], [-0.5, 0.3], [0.4, 1.1]], [0.5, 1.2, 0.8]),
            _lr(L, T, [0.0, 1.0, -0.5], [[0.3], [0.7], [-1.0]], [[1.0, 0.4, 0.6]]),
        ),
    ),
    (
        "MVN-LowRank",
        lambda L, T: (
            L.MultivariateNormal(T([0.1, 0.2]), T([[2.0, 0.3], [0.3, 1.0]])),
            _lr(L, T, [[0.0, 1.0], [2.0, -1.0]], [[0.3, 1.0], [0.7, 0.2]], [1.0, 0.4]),
        ),
    ),
    (
        "LowRank-MVN",
        lambda L, T: (
            _lr(L, T, [[0.0, 1.0], [2.0, -1.0]], [[[0.3], [0.7]], [[1.0], [0.1]]], [1.0, 0.4]),
            L.MultivariateNormal(T([0.1, 0.2]), scale_tril=T([[1.0, 0.0], [0.5, 0.7]])),
        ),
    ),
    (
        "Wishart-Wishart",
        lambda L, T: (
            L.Wishart(T([3.0, 5.0]), covariance_matrix=T([[2.0, 0.3], [0.3, 1.0]])),
            L.Wishart(T([4.0, 2.5]), scale_tril=T([[1.0, 0.0], [0.5, 0.7]])),
        ),
    ),
    (
        "InverseGamma-InverseGamma",
        lambda L, T: (L.InverseGamma(T([1.5, 3.0]), T([2.0, 0.5])), L.InverseGamma(T([2.5, 1.0]), T([1.0, 1.5]))),
    ),
]


@pytest.mark.parametrize("case", KL, ids=[c[0] for c in KL])
def test_kl_divergence(case):
    _, fn = case
    tparams, eparams = [], []

    def T_t(x):
        t = torch.tensor(P(x), requires_grad=True)
        tparams.append(t)
        return t

    def T_e(x):
        t = ember.tensor(P(x), requires_grad=True)
        eparams.append(t)
        return t

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tp, tq = fn(TD, T_t)
        ep, eq = fn(ED, T_e)
    tk = TD.kl_divergence(tp, tq)
    ek = ED.kl_divergence(ep, eq)
    close(ek, tk, 1e-6, 1e-8, "kl")
    finite = np.isfinite(_np(tk))
    if not finite.any():
        return
    mask = torch.tensor(finite)
    tg = torch.autograd.grad(tk[mask].sum(), tparams, allow_unused=True)
    eg = ember.autograd.grad(ek[ember.tensor(finite)].sum(), eparams, allow_unused=True)
    for a, b in zip(eg, tg):
        if b is None:
            assert a is None or np.allclose(_np(a), 0)
            continue
        assert a is not None
        close(a, b, 1e-5, 1e-8, "kl grad")


def test_kl_event_shape_mismatch():
    p = ED.LowRankMultivariateNormal(ember.zeros(2), ember.ones(2, 1), ember.ones(2))
    q = ED.LowRankMultivariateNormal(ember.zeros(3), ember.ones(3, 1), ember.ones(3))
    with pytest.raises(ValueError):
        ED.kl_divergence(p, q)
    with pytest.raises(ValueError):
        ED.kl_divergence(ED.MultivariateNormal(ember.zeros(3), ember.eye(3)), p)
    with pytest.raises(ValueError):
        ED.kl_divergence(p, ED.MultivariateNormal(ember.zeros(3), ember.eye(3)))


# -- argument validation ------------------------------------------------------------------------------------

BAD_ARGS = [
    lambda L, T: L.ContinuousBernoulli(probs=T([0.2, 1.5]), validate_args=True),
    lambda L, T: L.ContinuousBernoulli(logits=T([0.2, float("nan")])),
    lambda L, T: L.ContinuousBernoulli(),
    lambda L, T: L.ContinuousBernoulli(T([0.2]), T([0.1])),
    lambda L, T: L.FisherSnedecor(T([1.0, -1.0]), T([2.0, 2.0])),
    lambda L, T: L.FisherSnedecor(T([1.0]), T([0.0])),
    lambda L, T: L.InverseGamma(T([1.0]), T([-2.0])),
    lambda L, T: L.InverseGamma(T([0.0]), T([2.0])),
    lambda L, T: L.LKJCholesky(1, T([1.0])),
    lambda L, T: L.LKJCholesky(3, T([1.0, -0.5])),
    lambda L, T: L.LowRankMultivariateNormal(T([0.0, 0.0]), T([[1.0], [0.0]]), T([1.0, -1.0])),
    lambda L, T: L.LowRankMultivariateNormal(T(0.0), T([[1.0], [0.0]]), T([1.0, 1.0])),
    lambda L, T: L.LowRankMultivariateNormal(T([0.0, 0.0]), T([1.0, 0.0]), T([1.0, 1.0])),
    lambda L, T: L.LowRankMultivariateNormal(T([0.0, 0.0]), T([[1.0], [0.0], [2.0]]), T([1.0, 1.0])),
    lambda L, T: L.LowRankMultivariateNormal(T([0.0, 0.0]), T([[1.0], [0.0]]), T([1.0, 1.0, 1.0])),
    lambda L, T: L.LowRankMultivariateNormal(T([[0.0, 0.0]] * 3), T([[[1.0], [0.0]]] * 2), T([1.0, 1.0])),
    lambda L, T: L.LowRankMultivariateNormal(T([0.0, float("nan")]), T([[1.0], [0.0]]), T([1.0, 1.0])),
    lambda L, T: L.VonMises(T([0.0, 1.0]), T([1.0, 0.0])),
    lambda L, T: L.VonMises(T([0.0, float("nan")]), T([1.0, 1.0])),
    lambda L, T: L.Wishart(T([3.0]), covariance_matrix=T([[1.0, 2.0], [2.0, 1.0]])),
    lambda L, T: L.Wishart(T([3.0]), scale_tril=T([[1.0, 2.0], [0.0, 1.0]])),
    lambda L, T: L.Wishart(T([3.0]), precision_matrix=T([[-1.0, 0.0], [0.0, 1.0]])),
    lambda L, T: L.Wishart(T([0.5]), covariance_matrix=T([[1.0, 0.0], [0.0, 1.0]])),
    lambda L, T: L.Wishart(T([3.0])),
    lambda L, T: L.Wishart(T([3.0]), covariance_matrix=T([1.0, 1.0])),
]


def _msg(exc):
    return str(exc).replace("torch.", "").replace("ember.", "")


@pytest.mark.parametrize("i", range(len(BAD_ARGS)))
def test_validate_args_errors(i):
    fn = BAD_ARGS[i]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as te:
            fn(TD, lambda x: torch.tensor(x))
        with pytest.raises(Exception) as ee:
            fn(ED, lambda x: ember.tensor(x))
    assert type(ee.value) is type(te.value), (te.value, ee.value)
    head = _msg(te.value).split("but found invalid values")[0].split(" of distribution ")[0]
    assert _msg(ee.value).startswith(head), f"\n{_msg(ee.value)}\nvs\n{_msg(te.value)}"


BAD_VALUES = [
    (lambda L, T: L.ContinuousBernoulli(T([0.2, 0.5])), [0.5, 1.5]),
    (lambda L, T: L.FisherSnedecor(T([1.0]), T([2.0])), [-1.0]),
    (lambda L, T: L.InverseGamma(T([1.0]), T([2.0])), [0.0]),
    (lambda L, T: L.LKJCholesky(2, T([1.0])), [[1.0, 0.0], [0.5, 0.5]]),
    (lambda L, T: L.LKJCholesky(2, T([1.0])), [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    (lambda L, T: L.LowRankMultivariateNormal(T([0.0, 0.0]), T([[1.0], [0.0]]), T([1.0, 1.0])), [1.0, 2.0, 3.0]),
    (lambda L, T: L.VonMises(T([0.0]), T([1.0])), [float("nan")]),
    (lambda L, T: L.Wishart(T([3.0]), covariance_matrix=T([[1.0, 0.0], [0.0, 1.0]])), [[1.0, 2.0], [2.0, 1.0]]),
]


@pytest.mark.parametrize("i", range(len(BAD_VALUES)))
def test_log_prob_support_errors(i):
    fn, v = BAD_VALUES[i]
    td = fn(TD, lambda x: torch.tensor(x))
    ed = fn(ED, lambda x: ember.tensor(x))
    with pytest.raises(Exception) as te:
        td.log_prob(torch.tensor(v))
    with pytest.raises(Exception) as ee:
        ed.log_prob(ember.tensor(v))
    assert type(ee.value) is type(te.value)
    head = _msg(te.value).split("but found invalid values")[0].split(" of the distribution ")[0]
    assert _msg(ee.value).startswith(head), f"\n{_msg(ee.value)}\nvs\n{_msg(te.value)}"


def test_continuous_bernoulli_probs_clamped_without_explicit_validation():
    # torch checks probs only when validate_args is passed explicitly; otherwise they are clamped into (0, 1)
    e = ED.ContinuousBernoulli(probs=ember.tensor([0.2, 1.5, -1.0], dtype=ember.float64))
    t = TD.ContinuousBernoulli(probs=torch.tensor([0.2, 1.5, -1.0], dtype=torch.float64))
    close(e.probs, t.probs)
    close(e.log_prob(ember.tensor([0.3, 0.3, 0.3], dtype=ember.float64)), t.log_prob(torch.tensor([0.3] * 3).double()))


def test_exports():
    for name in (
        "ContinuousBernoulli",
        "FisherSnedecor",
        "InverseGamma",
        "LKJCholesky",
        "LowRankMultivariateNormal",
        "VonMises",
        "Wishart",
    ):
        assert name in ED.__all__
        assert getattr(ED, name).__name__ == name


def test_continuous_bernoulli_exp_family_entropy_matches_closed_form():
    d = ED.ContinuousBernoulli(logits=ember.tensor([-2.0, 0.7, 3.0], dtype=ember.float64))
    close(ED.ExponentialFamily.entropy(d), d.entropy(), 1e-6, 1e-8)


def test_lkj_log_prob_normalised_in_2d():
    """For dim 2, L = [[1, 0], [r, sqrt(1 - r^2)]]: integrating exp(log_prob) over r in (-1, 1) gives 1."""
    r = np.linspace(-1 + 1e-6, 1 - 1e-6, 20001)
    vals = np.zeros((r.size, 2, 2))
    vals[:, 0, 0] = 1.0
    vals[:, 1, 0] = r
    vals[:, 1, 1] = np.sqrt(1 - r**2)
    for eta in (1.0, 2.5):
        d = ED.LKJCholesky(2, ember.tensor(eta, dtype=ember.float64), validate_args=False)
        p = np.exp(_np(d.log_prob(ember.tensor(vals))))
        assert abs(np.trapezoid(p, r) - 1.0) < 1e-3
