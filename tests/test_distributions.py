"""ember.distributions against torch.distributions: values, gradients, shapes, samples, KL, errors."""

import warnings

import numpy as np
import pytest
import torch
import torch.distributions as TD

import ember
import ember.distributions as ED

F64 = np.float64


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    return t.detach().cpu().numpy() if isinstance(t, ember.Tensor) else np.asarray(t)


def close(e, t, rtol=1e-6, atol=1e-8, what=""):
    a, b = _np(e), _np(t)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


# -- a spec is (name, factory(lib, params), params, value) -----------------------------------------------


def P(x, dtype=F64):
    return np.asarray(x, dtype=dtype)


def _lib_tensor(lib, a, grad):
    if isinstance(a, np.ndarray):
        t = lib.tensor(a, requires_grad=grad and a.dtype.kind == "f")
        return t
    return a


SPECS = [
    (
        "Normal",
        lambda L, p: L.Normal(p["loc"], p["scale"]),
        {"loc": P([0.3, -1.2, 2.0]), "scale": P([1.0, 0.5, 2.5])},
        P([0.1, -0.5, 3.0]),
    ),
    ("NormalScalar", lambda L, p: L.Normal(0.5, 2.0), {}, P([0.1, -0.5, 3.0])),
    ("BernoulliProbs", lambda L, p: L.Bernoulli(probs=p["probs"]), {"probs": P([0.2, 0.7, 0.5])}, P([0.0, 1.0, 1.0])),
    (
        "BernoulliLogits",
        lambda L, p: L.Bernoulli(logits=p["logits"]),
        {"logits": P([-1.0, 0.3, 2.0])},
        P([0.0, 1.0, 1.0]),
    ),
    (
        "CategoricalProbs",
        lambda L, p: L.Categorical(probs=p["probs"]),
        {"probs": P([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]])},
        np.array([2, 0]),
    ),
    (
        "CategoricalLogits",
        lambda L, p: L.Categorical(logits=p["logits"]),
        {"logits": P([[0.2, -1.3, 0.5], [1.1, 0.6, -0.3]])},
        np.array([1, 2]),
    ),
    (
        "OneHotCategorical",
        lambda L, p: L.OneHotCategorical(probs=p["probs"]),
        {"probs": P([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]])},
        P([[0, 0, 1], [1, 0, 0]]),
    ),
    ("Binomial", lambda L, p: L.Binomial(5, probs=p["probs"]), {"probs": P([0.2, 0.5, 0.9])}, P([1.0, 3.0, 5.0])),
    (
        "BinomialLogits",
        lambda L, p: L.Binomial(p["n"], logits=p["logits"]),
        {"n": P([3.0, 6.0, 4.0]), "logits": P([0.2, -0.5, 1.9])},
        P([1.0, 3.0, 4.0]),
    ),
    ("Multinomial", lambda L, p: L.Multinomial(4, probs=p["probs"]), {"probs": P([0.2, 0.3, 0.5])}, P([1.0, 1.0, 2.0])),
    ("Poisson", lambda L, p: L.Poisson(p["rate"]), {"rate": P([0.5, 2.0, 4.0])}, P([0.0, 3.0, 2.0])),
    ("Geometric", lambda L, p: L.Geometric(probs=p["probs"]), {"probs": P([0.2, 0.5, 0.9])}, P([0.0, 3.0, 1.0])),
    (
        "NegativeBinomial",
        lambda L, p: L.NegativeBinomial(p["n"], probs=p["probs"]),
        {"n": P([3.0, 4.0, 5.0]), "probs": P([0.2, 0.5, 0.7])},
        P([0.0, 2.0, 7.0]),
    ),
    (
        "Uniform",
        lambda L, p: L.Uniform(p["low"], p["high"]),
        {"low": P([0.0, -1.0]), "high": P([1.0, 2.0])},
        P([0.5, 0.3]),
    ),
    ("Exponential", lambda L, p: L.Exponential(p["rate"]), {"rate": P([0.5, 2.0])}, P([1.0, 0.3])),
    (
        "Gamma",
        lambda L, p: L.Gamma(p["c"], p["rate"]),
        {"c": P([0.5, 2.0, 3.0]), "rate": P([1.0, 0.5, 2.0])},
        P([0.3, 2.0, 1.0]),
    ),
    ("Beta", lambda L, p: L.Beta(p["c1"], p["c0"]), {"c1": P([0.5, 2.0]), "c0": P([1.5, 3.0])}, P([0.3, 0.6])),
    ("BetaScalar", lambda L, p: L.Beta(2.0, 3.0), {}, P([0.3, 0.6])),
    ("Chi2", lambda L, p: L.Chi2(p["df"]), {"df": P([1.0, 3.0])}, P([0.5, 2.0])),
    (
        "Dirichlet",
        lambda L, p: L.Dirichlet(p["c"]),
        {"c": P([[0.5, 1.0, 2.0], [2.0, 3.0, 1.0]])},
        P([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]),
    ),
    (
        "Laplace",
        lambda L, p: L.Laplace(p["loc"], p["scale"]),
        {"loc": P([0.3, -1.0]), "scale": P([1.0, 0.5])},
        P([0.1, 0.5]),
    ),
    (
        "Cauchy",
        lambda L, p: L.Cauchy(p["loc"], p["scale"]),
        {"loc": P([0.3, -1.0]), "scale": P([1.0, 0.5])},
        P([0.1, 0.5]),
    ),
    (
        "Gumbel",
        lambda L, p: L.Gumbel(p["loc"], p["scale"]),
        {"loc": P([0.3, -1.0]), "scale": P([1.0, 0.5])},
        P([0.1, 0.5]),
    ),
    (
        "LogNormal",
        lambda L, p: L.LogNormal(p["loc"], p["scale"]),
        {"loc": P([0.3, -1.0]), "scale": P([1.0, 0.5])},
        P([0.7, 2.5]),
    ),
    ("HalfNormal", lambda L, p: L.HalfNormal(p["scale"]), {"scale": P([1.0, 0.5])}, P([0.7, 2.5])),
    ("HalfCauchy", lambda L, p: L.HalfCauchy(p["scale"]), {"scale": P([1.0, 0.5])}, P([0.7, 2.5])),
    (
        "StudentT",
        lambda L, p: L.StudentT(p["df"], p["loc"], p["scale"]),
        {"df": P([0.8, 1.5, 5.0]), "loc": P([0.3, -1.0, 0.0]), "scale": P([1.0, 0.5, 2.0])},
        P([0.1, 0.5, -2.0]),
    ),
    (
        "MVNCov",
        lambda L, p: L.MultivariateNormal(p["loc"], covariance_matrix=p["cov"]),
        {"loc": P([0.1, 0.2]), "cov": P([[2.0, 0.3], [0.3, 1.0]])},
        P([[0.5, -0.4], [1.0, 2.0]]),
    ),
    (
        "MVNTril",
        lambda L, p: L.MultivariateNormal(p["loc"], scale_tril=p["tril"]),
        {"loc": P([[0.1, 0.2, 0.0], [1.0, -1.0, 0.5]]), "tril": P([[1.5, 0, 0], [0.3, 0.8, 0], [-0.2, 0.1, 1.1]])},
        P([0.5, -0.4, 0.2]),
    ),
    (
        "MVNPrec",
        lambda L, p: L.MultivariateNormal(p["loc"], precision_matrix=p["prec"]),
        {"loc": P([0.1, 0.2]), "prec": P([[2.0, 0.3], [0.3, 1.0]])},
        P([0.5, -0.4]),
    ),
    (
        "RelaxedBernoulli",
        lambda L, p: L.RelaxedBernoulli(p["t"], probs=p["probs"]),
        {"t": P(0.5), "probs": P([0.2, 0.7])},
        P([0.3, 0.9]),
    ),
    (
        "RelaxedOneHotCategorical",
        lambda L, p: L.RelaxedOneHotCategorical(p["t"], probs=p["probs"]),
        {"t": P(0.7), "probs": P([0.2, 0.3, 0.5])},
        P([0.1, 0.3, 0.6]),
    ),
    (
        "Weibull",
        lambda L, p: L.Weibull(p["scale"], p["k"]),
        {"scale": P([1.0, 2.0]), "k": P([0.7, 2.5])},
        P([0.7, 2.5]),
    ),
    (
        "Pareto",
        lambda L, p: L.Pareto(p["scale"], p["alpha"]),
        {"scale": P([1.0, 2.0]), "alpha": P([0.7, 2.5])},
        P([1.7, 2.5]),
    ),
    (
        "Kumaraswamy",
        lambda L, p: L.Kumaraswamy(p["a"], p["b"]),
        {"a": P([0.7, 2.5]), "b": P([1.5, 3.0])},
        P([0.3, 0.6]),
    ),
    (
        "LogisticNormal",
        lambda L, p: L.LogisticNormal(p["loc"], p["scale"]),
        {"loc": P([0.1, 0.2]), "scale": P([1.0, 0.5])},
        P([0.2, 0.3, 0.5]),
    ),
    (
        "MixtureSameFamily",
        lambda L, p: L.MixtureSameFamily(L.Categorical(probs=p["w"]), L.Normal(p["loc"], p["scale"])),
        {"w": P([0.2, 0.5, 0.3]), "loc": P([-1.0, 0.0, 2.0]), "scale": P([0.5, 1.0, 0.7])},
        P([0.1, 1.2]),
    ),
    (
        "Independent",
        lambda L, p: L.Independent(L.Normal(p["loc"], p["scale"]), 1),
        {"loc": P([[0.3, -1.0, 0.1], [1.0, 2.0, 3.0]]), "scale": P([[1.0, 0.5, 2.0], [1.0, 1.0, 0.3]])},
        P([0.1, 0.5, 0.2]),
    ),
]
SPEC_IDS = [s[0] for s in SPECS]


def _build(spec, grad=True):
    name, factory, params, value = spec
    tp = {k: _lib_tensor(torch, v, grad and v.ndim >= 0 and k != "t") for k, v in params.items()}
    ep = {k: _lib_tensor(ember, v, grad and v.ndim >= 0 and k != "t") for k, v in params.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        td = factory(TD, tp)
        ed = factory(ED, ep)
    return td, ed, tp, ep


def _call(fn):
    try:
        return fn(), None
    except Exception as exc:  # noqa: BLE001
        return None, exc


def _same_outcome(tfn, efn, what, rtol=1e-6, atol=1e-8):
    tr, texc = _call(tfn)
    er, eexc = _call(efn)
    if texc is not None:
        assert eexc is not None, f"{what}: torch raised {texc!r}, ember returned {er}"
        assert type(eexc) is type(texc), f"{what}: {type(eexc).__name__} vs {type(texc).__name__}: {eexc}"
        return None, None
    assert eexc is None, f"{what}: ember raised {eexc!r}"
    close(er, tr, rtol, atol, what)
    return tr, er


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_values_and_shapes(spec):
    td, ed, _, _ = _build(spec, grad=False)
    assert tuple(ed.batch_shape) == tuple(td.batch_shape)
    assert tuple(ed.event_shape) == tuple(td.event_shape)
    assert ed.has_rsample == td.has_rsample
    assert ed.has_enumerate_support == td.has_enumerate_support
    value = spec[3]
    tv, ev = torch.tensor(value), ember.tensor(value)
    _same_outcome(lambda: td.log_prob(tv), lambda: ed.log_prob(ev), "log_prob")
    for prop in ("mean", "variance", "stddev", "mode"):
        _same_outcome(lambda: getattr(td, prop), lambda: getattr(ed, prop), prop)
    _same_outcome(td.entropy, ed.entropy, "entropy", rtol=1e-5)
    _same_outcome(td.perplexity, ed.perplexity, "perplexity", rtol=1e-5)
    if td.event_shape == ():
        _same_outcome(lambda: td.cdf(tv), lambda: ed.cdf(ev), "cdf")
        q = np.broadcast_to(P([0.3, 0.8, 0.55, 0.1][: value.shape[-1]]), value.shape).copy()
        _same_outcome(lambda: td.icdf(torch.tensor(q)), lambda: ed.icdf(ember.tensor(q)), "icdf", rtol=1e-5)
    for expand in (True, False):
        _same_outcome(
            lambda: td.enumerate_support(expand), lambda: ed.enumerate_support(expand), f"enumerate_support({expand})"
        )
    assert type(ed.support).__name__ == type(td.support).__name__


def assert_same_grads(what, tout, eout, tp, ep, keys, atol, close=close):
    """ember's gradients of `eout` w.r.t. ep[k] match torch's of `tout` w.r.t. tp[k] by `close`, for each k in keys
    (a zero gradient may stand for torch's unused input)."""
    tg = torch.autograd.grad(tout, [tp[k] for k in keys], allow_unused=True, retain_graph=True)
    eg = ember.autograd.grad(eout, [ep[k] for k in keys], allow_unused=True, retain_graph=True)
    for k, a, b in zip(keys, eg, tg):
        if b is None:
            assert a is None or np.allclose(_np(a), 0), f"{what} grad {k}"
            continue
        assert a is not None, f"{what}: ember has no gradient for {k}"
        close(a, b, 1e-5, atol, f"{what} grad {k}")


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_gradients(spec):
    td, ed, tp, ep = _build(spec, grad=True)
    value = spec[3]
    tgrads = [k for k, v in tp.items() if isinstance(v, torch.Tensor) and v.requires_grad]
    if not tgrads:
        return
    for what in ("log_prob", "entropy"):
        if what == "log_prob":
            tout, texc = _call(lambda: td.log_prob(torch.tensor(value)).sum())
            eout, eexc = _call(lambda: ed.log_prob(ember.tensor(value)).sum())
        else:
            tout, texc = _call(lambda: td.entropy().sum())
            eout, eexc = _call(lambda: ed.entropy().sum())
        if texc is not None:
            assert eexc is not None and type(eexc) is type(texc)
            continue
        assert eexc is None, eexc
        assert_same_grads(what, tout, eout, tp, ep, tgrads, atol=1e-7)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_expand_and_sample_shapes(spec):
    td, ed, _, _ = _build(spec, grad=False)
    new_batch = (4,) + tuple(td.batch_shape)
    te, ee = td.expand(new_batch), ed.expand(new_batch)
    assert type(ee).__name__ == type(te).__name__
    assert tuple(ee.batch_shape) == tuple(te.batch_shape)
    assert tuple(ee.event_shape) == tuple(te.event_shape)
    value = spec[3]
    _same_outcome(lambda: te.log_prob(torch.tensor(value)), lambda: ee.log_prob(ember.tensor(value)), "expanded lp")
    for shape in ((), (5,), (2, 3)):
        ts = td.sample(shape)
        es = ed.sample(shape)
        assert tuple(es.shape) == tuple(ts.shape), (shape, es.shape, ts.shape)
        assert es.dtype == getattr(ember, str(ts.dtype).split(".")[1]), (es.dtype, ts.dtype)
        assert not es.requires_grad
        if td.has_rsample:
            assert tuple(ed.rsample(shape).shape) == tuple(ts.shape)
        # samples lie in the support
        assert bool(ed.support.check(es).all())


# -- exact sample streams (samplers that are one call of a reproducible generator op) -----------------------

EXACT = [
    ("Normal.sample", lambda L, T: L.Normal(T([0.0, 1.0, 2.0]), T([1.0, 0.5, 3.0])).sample((7,))),
    ("Normal.rsample", lambda L, T: L.Normal(T([0.0, 1.0, 2.0]), T([1.0, 0.5, 3.0])).rsample((7,))),
    ("Normal.rsample32", lambda L, T: L.Normal(T([0.0, 1.0], 32), T([1.0, 0.5], 32)).rsample((20,))),
    ("Bernoulli", lambda L, T: L.Bernoulli(probs=T([0.1, 0.5, 0.9])).sample((10,))),
    ("Categorical", lambda L, T: L.Categorical(probs=T([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4]])).sample((6,))),
    ("OneHotCategorical", lambda L, T: L.OneHotCategorical(probs=T([0.1, 0.5, 0.4])).sample((6,))),
    ("Multinomial", lambda L, T: L.Multinomial(10, probs=T([0.1, 0.5, 0.4])).sample((4,))),
    ("Uniform", lambda L, T: L.Uniform(T([0.0, -1.0]), T([1.0, 3.0])).rsample((5,))),
    ("Exponential", lambda L, T: L.Exponential(T([0.5, 2.0])).rsample((5,))),
    ("Laplace", lambda L, T: L.Laplace(T([0.5, 2.0]), T([1.0, 0.3])).rsample((5,))),
    ("Cauchy", lambda L, T: L.Cauchy(T([0.5, 2.0]), T([1.0, 0.3])).rsample((5,))),
    ("Geometric", lambda L, T: L.Geometric(T([0.3, 0.7])).sample((5,))),
    ("LogNormal", lambda L, T: L.LogNormal(T([0.5, 2.0]), T([1.0, 0.3])).rsample((5,))),
    ("HalfNormal", lambda L, T: L.HalfNormal(T([1.0, 0.3])).rsample((5,))),
    ("Gumbel", lambda L, T: L.Gumbel(T([0.5, 2.0]), T([1.0, 0.3])).rsample((5,))),
    ("Weibull", lambda L, T: L.Weibull(T([0.5, 2.0]), T([1.0, 0.3])).rsample((5,))),
    ("Pareto", lambda L, T: L.Pareto(T([0.5, 2.0]), T([1.0, 0.3])).rsample((5,))),
    ("RelaxedBernoulli", lambda L, T: L.RelaxedBernoulli(T(0.5), probs=T([0.2, 0.7])).rsample((5,))),
    ("RelaxedOneHot", lambda L, T: L.RelaxedOneHotCategorical(T(0.5), probs=T([0.2, 0.3, 0.5])).rsample((5,))),
    ("MVN", lambda L, T: L.MultivariateNormal(T([0.1, 0.2]), T([[2.0, 0.3], [0.3, 1.0]])).rsample((5,))),
    (
        "MixtureSameFamily",
        lambda L, T: L.MixtureSameFamily(
            L.Categorical(probs=T([0.2, 0.5, 0.3])), L.Normal(T([-1.0, 0.0, 2.0]), T([0.5, 1.0, 0.7]))
        ).sample((6,)),
    ),
]


@pytest.mark.parametrize("case", EXACT, ids=[c[0] for c in EXACT])
def test_exact_samples(case):
    _, fn = case

    def T_for(lib):
        def T(x, bits=64):
            return lib.tensor(np.asarray(x, dtype=np.float64 if bits == 64 else np.float32))

        return T

    torch.manual_seed(123)
    ts = fn(TD, T_for(torch))
    ember.manual_seed(123)
    es = fn(ED, T_for(ember))
    rtol = 1e-5 if ts.dtype == torch.float32 else 1e-10
    close(es, ts, rtol, 1e-12, "samples")


# -- statistical checks for samplers torch draws differently ------------------------------------------------

STAT = [
    ("Gamma", lambda L, T: L.Gamma(T([0.3, 1.0, 4.0]), T([1.0, 2.0, 0.5]))),
    ("Beta", lambda L, T: L.Beta(T([0.5, 2.0]), T([1.5, 3.0]))),
    ("Dirichlet", lambda L, T: L.Dirichlet(T([0.5, 1.0, 3.0]))),
    ("Chi2", lambda L, T: L.Chi2(T([1.0, 5.0]))),
    ("StudentT", lambda L, T: L.StudentT(T([5.0, 8.0]), T([0.0, 1.0]), T([1.0, 2.0]))),
    ("Poisson", lambda L, T: L.Poisson(T([0.5, 3.0, 20.0]))),
    ("Binomial", lambda L, T: L.Binomial(T([5.0, 20.0]), T([0.3, 0.8]))),
    ("NegativeBinomial", lambda L, T: L.NegativeBinomial(T([3.0, 10.0]), T([0.3, 0.6]))),
    ("Kumaraswamy", lambda L, T: L.Kumaraswamy(T([2.0, 0.7]), T([3.0, 1.5]))),
    ("LogisticNormal", lambda L, T: L.LogisticNormal(T([0.1, 0.2]), T([1.0, 0.5]))),
]


@pytest.mark.parametrize("case", STAT, ids=[c[0] for c in STAT])
def test_sample_moments(case):
    _, fn = case
    n = 20000
    ember.manual_seed(0)
    torch.manual_seed(0)
    ed = fn(ED, lambda x: ember.tensor(np.asarray(x, dtype=np.float64)))
    td = fn(TD, lambda x: torch.tensor(np.asarray(x, dtype=np.float64)))
    es = _np(ed.sample((n,)))
    ts = _np(td.sample((n,)))
    assert es.shape == ts.shape
    # compare against torch's samples (same law): means within a few standard errors
    sd = np.sqrt(ts.var(0) / n + es.var(0) / n) + 1e-12
    assert np.all(np.abs(es.mean(0) - ts.mean(0)) < 5 * sd), (es.mean(0), ts.mean(0))
    np.testing.assert_allclose(es.var(0), ts.var(0), rtol=0.15)


def test_gamma_rsample_gradient_matches_torch_implicit_formula():
    from ember.distributions.utils import _standard_gamma_grad_np

    alpha = np.array([0.05, 0.3, 1.0, 2.5, 7.0, 40.0])
    x = np.array([0.01, 0.2, 1.3, 1.9, 9.0, 35.0])
    ours = _standard_gamma_grad_np(x, alpha)
    ref = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, ref, rtol=2e-3)


def test_gamma_rsample_is_differentiable():
    c = ember.tensor([0.5, 2.0, 5.0], requires_grad=True)
    r = ember.tensor([1.0, 2.0, 0.5], requires_grad=True)
    ember.manual_seed(1)
    s = ED.Gamma(c, r).rsample((4000,))
    s.mean(0).sum().backward()
    # E[x] = c / r, so d E/dc = 1/r and dE/dr = -c/r^2 (Monte-Carlo estimate)
    np.testing.assert_allclose(_np(c.grad), 1 / np.array([1.0, 2.0, 0.5]), rtol=0.1)
    np.testing.assert_allclose(_np(r.grad), -np.array([0.5, 2.0, 5.0]) / np.array([1.0, 2.0, 0.5]) ** 2, rtol=0.1)
    b = ember.tensor([2.0, 3.0], requires_grad=True)
    ED.Dirichlet(b).rsample((4000,)).mean(0)[0].backward()
    # E[x0] = b0 / (b0 + b1)
    np.testing.assert_allclose(_np(b.grad), [3 / 25, -2 / 25], rtol=0.15, atol=0.01)


def test_rsample_gradients_exact():
    loc = ember.tensor([0.5, 1.0], requires_grad=True)
    scale = ember.tensor([2.0, 0.5], requires_grad=True)
    tloc = torch.tensor([0.5, 1.0], requires_grad=True, dtype=torch.float32)
    tscale = torch.tensor([2.0, 0.5], requires_grad=True, dtype=torch.float32)
    ember.manual_seed(5)
    torch.manual_seed(5)
    (ED.Normal(loc, scale).rsample((3,)) ** 2).sum().backward()
    (TD.Normal(tloc, tscale).rsample((3,)) ** 2).sum().backward()
    close(loc.grad, tloc.grad, 1e-5)
    close(scale.grad, tscale.grad, 1e-5)


# -- KL divergence ----------------------------------------------------------------------------------------

KL = [
    ("Normal", lambda L, T: (L.Normal(T([0.1, 1.0]), T([1.0, 2.0])), L.Normal(T([0.5, -1.0]), T([0.5, 1.0])))),
    ("Bernoulli", lambda L, T: (L.Bernoulli(T([0.2, 0.7])), L.Bernoulli(T([0.5, 0.1])))),
    ("Categorical", lambda L, T: (L.Categorical(T([0.2, 0.3, 0.5])), L.Categorical(T([0.4, 0.4, 0.2])))),
    ("OneHot", lambda L, T: (L.OneHotCategorical(T([0.2, 0.3, 0.5])), L.OneHotCategorical(T([0.4, 0.4, 0.2])))),
    ("Beta", lambda L, T: (L.Beta(T([0.5, 2.0]), T([1.0, 3.0])), L.Beta(T([1.5, 1.0]), T([2.0, 0.5])))),
    ("Gamma", lambda L, T: (L.Gamma(T([0.5, 2.0]), T([1.0, 3.0])), L.Gamma(T([1.5, 1.0]), T([2.0, 0.5])))),
    ("Exponential", lambda L, T: (L.Exponential(T([0.5, 2.0])), L.Exponential(T([1.5, 1.0])))),
    ("Uniform", lambda L, T: (L.Uniform(T([0.0, 0.5]), T([1.0, 1.0])), L.Uniform(T([-1.0, 0.7]), T([2.0, 3.0])))),
    (
        "MVN",
        lambda L, T: (
            L.MultivariateNormal(T([0.1, 0.2]), T([[2.0, 0.3], [0.3, 1.0]])),
            L.MultivariateNormal(T([0.0, 1.0]), scale_tril=T([[1.0, 0.0], [0.5, 0.7]])),
        ),
    ),
    (
        "Independent",
        lambda L, T: (
            L.Independent(L.Normal(T([[0.1, 1.0]]), T([[1.0, 2.0]])), 1),
            L.Independent(L.Normal(T([[0.5, -1.0]]), T([[0.5, 1.0]])), 1),
        ),
    ),
    ("Dirichlet", lambda L, T: (L.Dirichlet(T([0.5, 2.0, 1.0])), L.Dirichlet(T([1.5, 1.0, 3.0])))),
    ("Laplace", lambda L, T: (L.Laplace(T([0.1, 1.0]), T([1.0, 2.0])), L.Laplace(T([0.5, -1.0]), T([0.5, 1.0])))),
    ("Poisson", lambda L, T: (L.Poisson(T([0.5, 2.0])), L.Poisson(T([1.5, 1.0])))),
    ("Geometric", lambda L, T: (L.Geometric(T([0.5, 0.2])), L.Geometric(T([0.3, 0.9])))),
    ("Binomial", lambda L, T: (L.Binomial(5, T([0.5, 0.2])), L.Binomial(5, T([0.3, 0.9])))),
    ("Gumbel", lambda L, T: (L.Gumbel(T([0.1, 1.0]), T([1.0, 2.0])), L.Gumbel(T([0.5, -1.0]), T([0.5, 1.0])))),
    ("LogNormal", lambda L, T: (L.LogNormal(T([0.1, 1.0]), T([1.0, 2.0])), L.LogNormal(T([0.5, -1.0]), T([0.5, 1.0])))),
    ("HalfNormal", lambda L, T: (L.HalfNormal(T([1.0, 2.0])), L.HalfNormal(T([0.5, 1.0])))),
    ("Pareto", lambda L, T: (L.Pareto(T([1.0, 2.0]), T([1.5, 3.0])), L.Pareto(T([0.5, 2.5]), T([0.5, 1.0])))),
    ("Cauchy", lambda L, T: (L.Cauchy(T([0.1, 1.0]), T([1.0, 2.0])), L.Cauchy(T([0.5, -1.0]), T([0.5, 1.0])))),
    ("Uniform-Normal", lambda L, T: (L.Uniform(T([0.0, 0.5]), T([1.0, 1.0])), L.Normal(T([0.5, -1.0]), T([0.5, 1.0])))),
    ("Exponential-Gamma", lambda L, T: (L.Exponential(T([0.5, 2.0])), L.Gamma(T([1.5, 1.0]), T([2.0, 0.5])))),
    ("Gamma-Exponential", lambda L, T: (L.Gamma(T([1.5, 1.0]), T([2.0, 0.5])), L.Exponential(T([0.5, 2.0])))),
    ("Normal-Laplace", lambda L, T: (L.Normal(T([0.1, 1.0]), T([1.0, 2.0])), L.Laplace(T([0.5, -1.0]), T([0.5, 1.0])))),
    ("Laplace-Normal", lambda L, T: (L.Laplace(T([0.1, 1.0]), T([1.0, 2.0])), L.Normal(T([0.5, -1.0]), T([0.5, 1.0])))),
    ("Normal-Gumbel", lambda L, T: (L.Normal(T([0.1, 1.0]), T([1.0, 2.0])), L.Gumbel(T([0.5, -1.0]), T([0.5, 1.0])))),
    ("Exponential-Normal", lambda L, T: (L.Exponential(T([0.5, 2.0])), L.Normal(T([0.5, -1.0]), T([0.5, 1.0])))),
    ("Gamma-Normal", lambda L, T: (L.Gamma(T([1.5, 1.0]), T([2.0, 0.5])), L.Normal(T([0.5, -1.0]), T([0.5, 1.0])))),
    ("Uniform-Exponential", lambda L, T: (L.Uniform(T([0.0, 0.5]), T([1.0, 1.0])), L.Exponential(T([0.5, 2.0])))),
    ("Uniform-Gamma", lambda L, T: (L.Uniform(T([0.1, 0.5]), T([1.0, 1.0])), L.Gamma(T([1.5, 1.0]), T([2.0, 0.5])))),
    ("Beta-Uniform", lambda L, T: (L.Beta(T([0.5, 2.0]), T([1.0, 3.0])), L.Uniform(T([0.0, -1.0]), T([1.0, 3.0])))),
    ("Bernoulli-Poisson", lambda L, T: (L.Bernoulli(T([0.2, 0.7])), L.Poisson(T([1.5, 0.3])))),
    ("Uniform-inf", lambda L, T: (L.Uniform(T([-2.0, 0.5]), T([1.0, 1.0])), L.Uniform(T([-1.0, 0.7]), T([2.0, 3.0])))),
]


@pytest.mark.parametrize("case", KL, ids=[c[0] for c in KL])
def test_kl_divergence(case):
    _, fn = case
    tparams, eparams = [], []

    def T_for(lib, store):
        def T(x):
            t = lib.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
            store.append(t)
            return t

        return T

    tp, tq = fn(TD, T_for(torch, tparams))
    ep, eq = fn(ED, T_for(ember, eparams))
    tk = TD.kl_divergence(tp, tq)
    ek = ED.kl_divergence(ep, eq)
    close(ek, tk, 1e-6, 1e-9, "kl")
    finite = torch.isfinite(tk)
    if bool(finite.any()):
        tg = torch.autograd.grad(tk[finite].sum(), tparams, allow_unused=True)
        eg = ember.autograd.grad(ek[ember.tensor(finite.numpy())].sum(), eparams, allow_unused=True)
        for a, b in zip(eg, tg):
            if b is None:
                assert a is None or np.allclose(_np(a), 0)
            else:
                close(a, b, 1e-5, 1e-8, "kl grad")


def test_kl_registry_errors_and_dispatch():
    with pytest.raises(NotImplementedError, match="No KL"):
        ED.kl_divergence(ED.Poisson(ember.tensor([1.0])), ED.Laplace(ember.tensor([0.0]), ember.tensor([1.0])))
    with pytest.raises(TypeError):
        ED.register_kl(int, ED.Normal)

    class MyNormal(ED.Normal):
        pass

    @ED.register_kl(MyNormal, MyNormal)
    def _kl(p, q):
        return ember.tensor(42.0)

    a = MyNormal(ember.tensor(0.0), ember.tensor(1.0))
    assert float(ED.kl_divergence(a, a)) == 42.0
    # a subclass against the parent class uses the (Normal, Normal) rule
    b = ED.Normal(ember.tensor(1.0), ember.tensor(1.0))
    assert abs(float(ED.kl_divergence(a, b)) - 0.5) < 1e-7


# -- validation errors ------------------------------------------------------------------------------------

BAD_ARGS = [
    lambda L, T: L.Normal(T([0.0, 1.0]), T([1.0, -1.0])),
    lambda L, T: L.Normal(T([0.0, float("nan")]), T([1.0, 1.0])),
    lambda L, T: L.Bernoulli(probs=T([0.2, 1.5])),
    lambda L, T: L.Categorical(probs=T([-0.2, 0.5])),
    lambda L, T: L.Gamma(T([1.0]), T([-2.0])),
    lambda L, T: L.Beta(T([-1.0]), T([2.0])),
    lambda L, T: L.Uniform(T([1.0]), T([0.0])),
    lambda L, T: L.Exponential(T([0.0])),
    lambda L, T: L.Poisson(T([-1.0])),
    lambda L, T: L.Dirichlet(T([1.0, -1.0])),
    lambda L, T: L.MultivariateNormal(T([0.0, 0.0]), T([[1.0, 2.0], [2.0, 1.0]])),
    lambda L, T: L.MultivariateNormal(T([0.0, 0.0]), scale_tril=T([[1.0, 2.0], [0.0, 1.0]])),
    lambda L, T: L.Geometric(T([0.0, 0.5])),
    lambda L, T: L.Bernoulli(),
    lambda L, T: L.Categorical(probs=T(0.5)),
    lambda L, T: L.MultivariateNormal(T([0.0, 0.0])),
    lambda L, T: L.Binomial(T([2.5]), T([0.5])),
    lambda L, T: L.StudentT(T([0.0])),
    lambda L, T: L.Laplace(T([0.0]), T([0.0])),
    lambda L, T: L.Dirichlet(T(1.0)),
]


def _msg(exc):
    return str(exc).replace("torch.", "").replace("ember.", "")


@pytest.mark.parametrize("i", range(len(BAD_ARGS)))
def test_validate_args_errors(i):
    fn = BAD_ARGS[i]
    with pytest.raises(Exception) as te:
        fn(TD, lambda x: torch.tensor(x))
    with pytest.raises(Exception) as ee:
        fn(ED, lambda x: ember.tensor(x))
    assert type(ee.value) is type(te.value)
    tm, em = _msg(te.value), _msg(ee.value)
    head = tm.split("but found invalid values")[0]
    assert em.startswith(head), f"\n{em}\nvs\n{tm}"


BAD_VALUES = [
    (lambda L, T: L.Normal(T([0.0, 1.0]), T([1.0, 2.0])), [0.0, float("nan")]),
    (lambda L, T: L.Bernoulli(T([0.2, 0.5])), [0.0, 0.5]),
    (lambda L, T: L.Poisson(T([0.2, 0.5])), [1.0, -1.0]),
    (lambda L, T: L.Exponential(T([0.2, 0.5])), [1.0, -1.0]),
    (lambda L, T: L.Beta(T([0.2, 0.5]), T([1.0, 2.0])), [0.5, 1.5]),
    (lambda L, T: L.Categorical(T([0.2, 0.8])), [2.0]),
    (lambda L, T: L.Uniform(T([0.0]), T([1.0])), [1.5]),
    (lambda L, T: L.Dirichlet(T([1.0, 2.0])), [0.3, 0.3]),
    (lambda L, T: L.Normal(T([0.0, 1.0]), T([1.0, 2.0])), [[0.0, 1.0, 2.0]]),
    (lambda L, T: L.MultivariateNormal(T([0.0, 0.0]), T([[1.0, 0.0], [0.0, 1.0]])), [1.0, 2.0, 3.0]),
    (lambda L, T: L.HalfNormal(T([1.0])), [-1.0]),
    (lambda L, T: L.Binomial(3, T([0.5])), [4.0]),
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
    head = _msg(te.value).split("but found invalid values")[0]
    assert _msg(ee.value).startswith(head), f"\n{_msg(ee.value)}\nvs\n{_msg(te.value)}"


def test_validate_args_off_and_default():
    d = ED.Normal(ember.tensor([0.0]), ember.tensor([-1.0]), validate_args=False)
    assert d.log_prob(ember.tensor([0.0])).shape == (1,)
    try:
        ED.Distribution.set_default_validate_args(False)
        ED.Normal(ember.tensor([0.0]), ember.tensor([-1.0]))
    finally:
        ED.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        ED.Distribution.set_default_validate_args(3)
    with pytest.raises(ValueError):
        ED.Normal(ember.tensor([0.0]), ember.tensor([-1.0]))


def test_sample_n_and_perplexity():
    d = ED.Normal(ember.tensor([0.0, 1.0]), ember.tensor([1.0, 2.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert tuple(d.sample_n(3).shape) == (3, 2)
    close(d.perplexity(), TD.Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0])).perplexity(), 1e-6)


def test_float32_parameters_keep_dtype():
    d = ED.Normal(ember.tensor([0.0, 1.0]), 2.0)
    assert d.scale.dtype == ember.float32
    assert d.log_prob(ember.tensor([0.5, 0.5])).dtype == ember.float32
    g = ED.Gamma(ember.tensor([2.0]), ember.tensor([1.0]))
    assert g.rsample((3,)).dtype == ember.float32
    assert g.entropy().dtype == ember.float32
    assert ED.Categorical(logits=ember.tensor([0.1, 0.2])).sample().dtype == ember.int64


# -- constraints and transforms -----------------------------------------------------------------------------

CONSTRAINT_NAMES = [
    "real",
    "positive",
    "nonnegative",
    "unit_interval",
    "simplex",
    "boolean",
    "lower_cholesky",
    "positive_definite",
    "nonnegative_integer",
    "positive_integer",
    "real_vector",
    "lower_triangular",
    "corr_cholesky",
    "one_hot",
    "square",
    "symmetric",
    "positive_semidefinite",
]


@pytest.mark.parametrize("name", CONSTRAINT_NAMES)
def test_constraint_repr_and_check(name):
    tc, ec = getattr(TD.constraints, name), getattr(ED.constraints, name)
    assert repr(ec) == repr(tc)
    assert ec.event_dim == tc.event_dim and ec.is_discrete == tc.is_discrete
    rng = np.random.default_rng(0)
    samples = [
        rng.standard_normal((3, 2, 2)),
        np.abs(rng.standard_normal((2, 3))),
        np.array([[0.2, 0.8], [0.5, 0.6]]),
        np.array([[1.0, 0.0], [0.0, 1.0]]),
        np.array([[2.0, 1.0], [1.0, 2.0]]),
        np.array([[1.0, 0.0], [0.6, 0.8]]),
        np.array([[1.0, 0.0], [0.5, 1.0]]),
        np.array([0.0, 1.0, 2.0, -1.0]),
    ]
    for s in samples:
        if s.ndim < tc.event_dim:
            continue
        close(ec.check(ember.tensor(s)), tc.check(torch.tensor(s)), what=f"{name} {s}")


def test_parametrised_constraints():
    v = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0])
    for make in (
        lambda c: c.greater_than(0.5),
        lambda c: c.greater_than_eq(0.5),
        lambda c: c.less_than(1.0),
        lambda c: c.interval(0.0, 1.0),
        lambda c: c.half_open_interval(0.0, 1.0),
        lambda c: c.integer_interval(0, 2),
        lambda c: c.independent(c.positive, 1),
    ):
        tc, ec = make(TD.constraints), make(ED.constraints)
        assert repr(ec) == repr(tc)
        close(ec.check(ember.tensor(v)), tc.check(torch.tensor(v)))


TRANSFORMS = [
    ("Exp", lambda L: L.ExpTransform(), (3, 2)),
    ("Affine", lambda L: L.AffineTransform(0.5, 2.0), (3, 2)),
    ("AffineNeg", lambda L: L.AffineTransform(0.5, -2.0), (3,)),
    ("Sigmoid", lambda L: L.SigmoidTransform(), (3, 2)),
    ("Tanh", lambda L: L.TanhTransform(), (3, 2)),
    ("Softplus", lambda L: L.SoftplusTransform(), (3, 2)),
    ("Power", lambda L: L.PowerTransform(2.5), (3, 2)),
    ("StickBreaking", lambda L: L.StickBreakingTransform(), (3, 2)),
    ("Compose", lambda L: L.ComposeTransform([L.ExpTransform(), L.AffineTransform(1.0, 3.0)]), (3, 2)),
    ("Independent", lambda L: L.IndependentTransform(L.SigmoidTransform(), 1), (3, 2)),
    ("ExpInv", lambda L: L.ExpTransform().inv, (3, 2)),
    ("CorrCholesky", lambda L: L.CorrCholeskyTransform(), (2, 3)),
    ("LowerCholesky", lambda L: L.LowerCholeskyTransform(), (2, 3, 3)),
    ("Reshape", lambda L: L.ReshapeTransform((2, 3), (6,)), (4, 2, 3)),
]


@pytest.mark.parametrize("case", TRANSFORMS, ids=[c[0] for c in TRANSFORMS])
def test_transforms(case):
    _, make, shape = case
    tt, et = make(TD.transforms), make(ED.transforms)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape) * 0.8
    if isinstance(tt, TD.transforms.PowerTransform) or (
        isinstance(tt, TD.transforms._InverseTransform) and isinstance(tt._inv, TD.transforms.ExpTransform)
    ):
        x = np.abs(x) + 0.1
    tx = torch.tensor(x, requires_grad=True)
    ex = ember.tensor(x, requires_grad=True)
    ty, ey = tt(tx), et(ex)
    close(ey, ty, 1e-6, 1e-9, "forward")
    close(et.inv(ey), tt.inv(ty), 1e-5, 1e-8, "inverse")
    assert tuple(et.forward_shape(shape)) == tuple(tt.forward_shape(shape))
    assert et.bijective == tt.bijective
    assert repr(et.domain) == repr(tt.domain) and repr(et.codomain) == repr(tt.codomain)
    if not isinstance(tt, TD.transforms.LowerCholeskyTransform):
        tl = tt.log_abs_det_jacobian(tx, ty)
        el = et.log_abs_det_jacobian(ex, ey)
        close(el, tl, 1e-6, 1e-9, "log_abs_det_jacobian")
        (tg,) = torch.autograd.grad(tl.sum() + ty.sum(), tx)
        (eg,) = ember.autograd.grad(el.sum() + ey.sum(), ex)
        close(eg, tg, 1e-5, 1e-8, "grad")


def test_biject_to_transform_to():
    for name in ("real", "positive", "unit_interval", "simplex", "nonnegative", "real_vector"):
        tc, ec = getattr(TD.constraints, name), getattr(ED.constraints, name)
        for reg in ("biject_to", "transform_to"):
            tt, et = getattr(TD, reg)(tc), getattr(ED, reg)(ec)
            assert type(et).__name__ == type(tt).__name__, (name, reg, tt, et)
            x = np.linspace(-1, 1, 6).reshape(2, 3)
            close(et(ember.tensor(x)), tt(torch.tensor(x)), 1e-6, 1e-9, f"{reg}({name})")
    t, e = TD.biject_to(TD.constraints.greater_than(2.0)), ED.biject_to(ED.constraints.greater_than(2.0))
    close(e(ember.tensor([0.0, 1.0])), t(torch.tensor([0.0, 1.0])))
    t, e = TD.transform_to(TD.constraints.interval(-1.0, 3.0)), ED.transform_to(ED.constraints.interval(-1.0, 3.0))
    close(e(ember.tensor([0.0, 1.0])), t(torch.tensor([0.0, 1.0])))
    with pytest.raises(NotImplementedError):
        ED.biject_to(ED.constraints.lower_cholesky)


def test_transformed_distribution_matches_torch():
    def make(L, T):
        base = L.Normal(T([0.1, 0.2]), T([1.0, 0.5]))
        return L.TransformedDistribution(base, [L.transforms.AffineTransform(1.0, 2.0), L.transforms.ExpTransform()])

    td = make(TD, lambda x: torch.tensor(x, dtype=torch.float64))
    ed = make(ED, lambda x: ember.tensor(x, dtype=ember.float64))
    v = [1.5, 4.0]
    close(ed.log_prob(ember.tensor(v, dtype=ember.float64)), td.log_prob(torch.tensor(v, dtype=torch.float64)))
    close(ed.cdf(ember.tensor(v, dtype=ember.float64)), td.cdf(torch.tensor(v, dtype=torch.float64)))
    close(
        ed.icdf(ember.tensor([0.3, 0.9], dtype=ember.float64)), td.icdf(torch.tensor([0.3, 0.9], dtype=torch.float64))
    )
    torch.manual_seed(3)
    ember.manual_seed(3)
    close(ed.rsample((4,)), td.rsample((4,)), 1e-10)


@pytest.mark.parametrize("which", ["Gamma", "MVN", "Beta", "StudentT"])
def test_second_order_gradients(which):
    def run(L, D):
        a = L.tensor([[2.0, 0.3], [0.3, 1.0]], dtype=L.float64, requires_grad=True)
        b = L.tensor([0.5, 2.0], dtype=L.float64, requires_grad=True)
        if which == "Gamma":
            lp = D.Gamma(b, a[0].abs()).log_prob(L.tensor([0.3, 1.0], dtype=L.float64)).sum()
        elif which == "MVN":
            lp = D.MultivariateNormal(b, a).log_prob(L.tensor([0.3, 1.0], dtype=L.float64)).sum()
        elif which == "Beta":
            lp = D.Beta(b, a[1] + 0.5).entropy().sum()
        else:
            lp = D.StudentT(b + 1, a[0], a[1].abs()).log_prob(L.tensor([0.3, 1.0], dtype=L.float64)).sum()
        ga, gb = L.autograd.grad(lp, (a, b), create_graph=True)
        gga, ggb = L.autograd.grad((ga * ga).sum() + (gb * gb).sum(), (a, b))
        return ga, gb, gga, ggb

    for e, t in zip(run(ember, ED), run(torch, TD)):
        close(e, t, 1e-6, 1e-9, which)
