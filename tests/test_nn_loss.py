"""Loss functions (functional and modules) against torch: values, input/target gradients, reductions, options,
dtypes, grad_fn names, double backward, module reprs and errors."""

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF

RNG = np.random.default_rng(0)
REDS = ["none", "mean", "sum"]


def _tens(mod, a, rg):
    t = mod.tensor(a)
    if rg:
        t.requires_grad_(True)
    return t


def _conv(v, mod, rg=False):
    if isinstance(v, np.ndarray):
        return _tens(mod, v, rg)
    if isinstance(v, (list, tuple)) and v and isinstance(v[0], np.ndarray):
        return type(v)(_tens(mod, a, False) for a in v)
    return v


def _np(t):
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else np.asarray(t.detach().numpy())


def _run(tf, ef, args, kw, grad, tol, name=None, double=False):
    kw = kw or {}
    targs = [_conv(a, torch, i in grad) for i, a in enumerate(args)]
    eargs = [_conv(a, ember, i in grad) for i, a in enumerate(args)]
    tkw = {k: _conv(v, torch) for k, v in kw.items()}
    ekw = {k: _conv(v, ember) for k, v in kw.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tout = tf(*targs, **tkw)
        eout = ef(*eargs, **ekw)
    assert tuple(eout.shape) == tuple(tout.shape), (eout.shape, tout.shape)
    assert str(eout.dtype)[6:] == str(tout.dtype)[6:], (eout.dtype, tout.dtype)
    np.testing.assert_allclose(_np(eout), _np(tout), rtol=tol, atol=tol)
    if name is not None:
        assert type(eout.grad_fn).__name__ == name, type(eout.grad_fn).__name__
    if not grad or not tout.requires_grad:
        return tout, eout
    up = RNG.standard_normal(tuple(tout.shape)).astype(_np(tout).dtype)
    if double:
        tg = torch.autograd.grad(tout, [targs[i] for i in grad], torch.tensor(up), create_graph=True)
        eg = ember.autograd.grad(eout, [eargs[i] for i in grad], ember.tensor(up), create_graph=True)
        for a, b in zip(tg, eg):
            np.testing.assert_allclose(_np(b), _np(a), rtol=tol * 10, atol=tol * 10)
        w = RNG.standard_normal(tuple(tg[0].shape)).astype(up.dtype)
        (tg[0] * torch.tensor(w)).sum().backward()
        (eg[0] * ember.tensor(w)).sum().backward()
    else:
        tout.backward(torch.tensor(up))
        eout.backward(ember.tensor(up))
    for i in grad:
        a, b = targs[i].grad, eargs[i].grad
        assert (a is None) == (b is None), f"grad presence of arg {i}"
        if a is not None:
            np.testing.assert_allclose(_np(b), _np(a), rtol=tol * 10, atol=tol * 10, err_msg=f"grad of arg {i}")
    return tout, eout


def check(fname, args, kw=None, grad=(0,), tol=1e-5, name=None, double=False):
    return _run(getattr(TF, fname), getattr(EF, fname), args, kw, grad, tol, name, double)


def check_module(cls, ctor, args, grad=(0,), tol=1e-5):
    tk = {k: _conv(v, torch) for k, v in ctor.items()}
    ek = {k: _conv(v, ember) for k, v in ctor.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm, em = getattr(torch.nn, cls)(**tk), getattr(ember.nn, cls)(**ek)
    assert repr(em) == repr(tm)
    assert [n for n, _ in em.named_buffers()] == [n for n, _ in tm.named_buffers()]
    return _run(tm, em, args, None, grad, tol)


def rn(*shape, dt=np.float32):
    return RNG.standard_normal(shape).astype(dt)


def ru(*shape, dt=np.float32, lo=0.05, hi=0.95):
    return RNG.uniform(lo, hi, shape).astype(dt)


def pm1(*shape, dt=np.float32):
    return np.where(RNG.random(shape) < 0.5, -1.0, 1.0).astype(dt)


DTS = [np.float32, np.float64]


# -- pointwise regression losses ----------------------------------------------------------------------------


@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize(
    "fname,kw,name",
    [
        ("mse_loss", {}, "MseLossBackward0"),
        ("l1_loss", {}, None),
        ("smooth_l1_loss", {}, "SmoothL1LossBackward0"),
        ("smooth_l1_loss", {"beta": 0.3}, "SmoothL1LossBackward0"),
        ("smooth_l1_loss", {"beta": 0.0}, None),
        ("huber_loss", {}, "HuberLossBackward0"),
        ("huber_loss", {"delta": 0.4}, "HuberLossBackward0"),
    ],
)
def test_regression(fname, kw, name, red, dt):
    x, y = rn(4, 5, dt=dt), rn(4, 5, dt=dt)
    check(fname, [x, y], {**kw, "reduction": red}, grad=(0, 1), name=name)


@pytest.mark.parametrize("fname", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_double_backward_and_broadcast(fname):
    check(fname, [rn(3, 4, dt=np.float64), rn(3, 4, dt=np.float64)], {}, grad=(0, 1), double=True)
    with pytest.warns(UserWarning, match="different to the input size"):
        getattr(EF, fname)(ember.tensor(rn(3, 4)), ember.tensor(rn(4)))
    check(fname, [rn(3, 4), rn(4)], {"reduction": "sum"}, grad=(0, 1))
    if fname != "huber_loss":  # torch's huber backward fails on mixed dtypes
        check(fname, [rn(3, 4), rn(3, 4, dt=np.float64)], {}, grad=(0, 1))


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("fname", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_weight(fname, red):
    check(fname, [rn(3, 4), rn(3, 4)], {"reduction": red, "weight": ru(3, 4)}, grad=(0, 1))


def test_regression_empty_and_modules():
    check("mse_loss", [rn(0, 3), rn(0, 3)], {}, grad=(0,))
    check("mse_loss", [rn(0, 3), rn(0, 3)], {"reduction": "sum"}, grad=(0,))
    for cls, ctor in [
        ("MSELoss", {}),
        ("MSELoss", {"reduction": "sum"}),
        ("L1Loss", {"reduction": "none"}),
        ("SmoothL1Loss", {"beta": 0.5}),
        ("HuberLoss", {"delta": 2.0, "reduction": "sum"}),
        ("SoftMarginLoss", {}),
    ]:
        check_module(cls, ctor, [rn(3, 4), pm1(3, 4)], grad=(0,))


@pytest.mark.parametrize("red", REDS)
def test_soft_margin(red):
    check("soft_margin_loss", [rn(4, 5), pm1(4, 5)], {"reduction": red}, name="SoftMarginLossBackward0")
    check("soft_margin_loss", [rn(6, dt=np.float64), pm1(6, dt=np.float64)], {"reduction": red}, double=True)


# -- binary cross entropy -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("red", REDS)
def test_bce(red, dt):
    x, y = ru(4, 3, dt=dt), ru(4, 3, dt=dt, lo=0, hi=1)
    check("binary_cross_entropy", [x, y], {"reduction": red}, grad=(0, 1), name="BinaryCrossEntropyBackward0")
    check("binary_cross_entropy", [x, y], {"reduction": red, "weight": ru(4, 3, dt=dt)}, grad=(0, 1))
    check("binary_cross_entropy", [x, y], {"reduction": red, "weight": ru(3, dt=dt)}, grad=(0,))
    check_module("BCELoss", {"weight": ru(3, dt=dt), "reduction": red}, [x, y], grad=(0, 1))


def test_bce_clamps_log():
    x = np.array([0.0, 1.0, 0.5, 1e-30], np.float32)
    y = np.array([1.0, 0.0, 0.5, 1.0], np.float32)
    check("binary_cross_entropy", [x, y], {"reduction": "none"}, grad=())
    check("binary_cross_entropy", [x[2:], y[2:]], {"reduction": "sum"}, grad=(0,), tol=1e-4)
    check("binary_cross_entropy", [ru(5, dt=np.float64), ru(5, dt=np.float64)], {}, grad=(0,), double=True)


@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("red", REDS)
def test_bce_with_logits(red, dt):
    x, y = rn(4, 3, dt=dt) * 5, ru(4, 3, dt=dt, lo=0, hi=1)
    name = "BinaryCrossEntropyWithLogitsBackward0"
    check("binary_cross_entropy_with_logits", [x, y], {"reduction": red}, grad=(0, 1), name=name)
    kw = {"reduction": red, "weight": ru(4, 3, dt=dt), "pos_weight": ru(3, dt=dt, lo=0.5, hi=3)}
    check("binary_cross_entropy_with_logits", [x, y], kw, grad=(0, 1))
    check_module("BCEWithLogitsLoss", {"pos_weight": ru(3, dt=dt), "reduction": red}, [x, y], grad=(0, 1))


def test_bce_with_logits_stable_and_double():
    x = np.array([-200.0, -50.0, 0.0, 50.0, 200.0], np.float32)
    y = np.array([1.0, 0.0, 0.5, 1.0, 0.0], np.float32)
    check("binary_cross_entropy_with_logits", [x, y], {"reduction": "none"}, grad=(0,))
    kw = {"pos_weight": ru(4, dt=np.float64)}
    check("binary_cross_entropy_with_logits", [rn(3, 4, dt=np.float64), ru(3, 4, dt=np.float64)], kw, double=True)


# -- cross entropy / nll -----------------------------------------------------------------------------------------


def _targets(shape, C, ignore=None):
    t = RNG.integers(0, C, shape)
    if ignore is not None:
        t.reshape(-1)[:: max(1, t.size // 3)] = ignore
    return t.astype(np.int64)


SHAPES = [((6, 5), (6,)), ((5,), ()), ((3, 4, 7), (3, 7)), ((2, 5, 3, 4), (2, 3, 4)), ((2, 3, 2, 2, 2), (2, 2, 2, 2))]


@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("shapes", SHAPES)
def test_cross_entropy(shapes, red, dt):
    xs, ts = shapes
    C = xs[1] if len(xs) > 1 else xs[0]
    x = rn(*xs, dt=dt)
    t = _targets(ts, C)
    outer = "NllLoss2DBackward0" if len(xs) >= 3 and red != "none" or len(xs) == 4 else None
    name = "NllLossBackward0" if len(xs) <= 2 else outer
    check("cross_entropy", [x, t], {"reduction": red}, name=name)
    check("cross_entropy", [x, t], {"reduction": red, "weight": ru(C, dt=dt)})
    if len(xs) > 1:
        ti = _targets(ts, C, ignore=-100)
        check("cross_entropy", [x, ti], {"reduction": red, "weight": ru(C, dt=dt)})
        ti2 = _targets(ts, C, ignore=2)
        check("cross_entropy", [x, ti2], {"reduction": red, "ignore_index": 2})
        kw = {"reduction": red, "ignore_index": 2, "weight": ru(C, dt=dt), "label_smoothing": 0.2}
        check("cross_entropy", [x, ti2], kw)
    check("cross_entropy", [x, t], {"reduction": red, "label_smoothing": 0.15})
    check("cross_entropy", [x, t], {"reduction": red, "label_smoothing": -0.1})
    check("cross_entropy", [x, t], {"reduction": red, "label_smoothing": 1.0})


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("xs", [(4, 5), (5,), (2, 3, 4, 2)])
def test_cross_entropy_prob_targets(xs, red):
    C = xs[1] if len(xs) > 1 else xs[0]
    x = rn(*xs)
    p = np.exp(rn(*xs))
    p = (p / p.sum(axis=1 if len(xs) > 1 else 0, keepdims=True)).astype(np.float32)
    check("cross_entropy", [x, p], {"reduction": red}, grad=(0, 1))
    check("cross_entropy", [x, p], {"reduction": red, "weight": ru(C)}, grad=(0, 1))
    check("cross_entropy", [x, p], {"reduction": red, "label_smoothing": 0.3, "weight": ru(C)}, grad=(0, 1))
    check("cross_entropy", [x.astype(np.float64), p], {"reduction": red}, grad=(0, 1))


def test_cross_entropy_edge_cases():
    x = rn(3, 5)
    check("cross_entropy", [x, np.full(3, -100, np.int64)], {})
    check("cross_entropy", [x, np.full(3, -100, np.int64)], {"reduction": "sum"})
    check("cross_entropy", [x, np.array([1, 2, 3], np.uint8)], {"reduction": "none"})
    check("cross_entropy", [rn(0, 4), np.zeros(0, np.int64)], {"reduction": "sum"})
    check("cross_entropy", [x * 100, np.array([1, 2, 3])], {}, tol=1e-4)
    check("cross_entropy", [rn(4, 6, dt=np.float64), np.array([0, 5, 2, 3])], {"label_smoothing": 0.1}, double=True)
    kw = {"weight": ru(6, dt=np.float64), "ignore_index": 5, "reduction": "none"}
    check("cross_entropy", [rn(4, 6, dt=np.float64), np.array([0, 5, 2, 3])], kw, double=True)
    check("cross_entropy", [rn(2, 6, 3, dt=np.float64), _targets((2, 3), 6)], {}, double=True)
    check("cross_entropy", [rn(4, 6), _targets((4,), 6)], {"label_smoothing": 0.1}, name="AddBackward0")
    check("cross_entropy", [rn(0, 4), np.zeros(0, np.int64)], {}, grad=(0,))
    p = ru(3, 4, dt=np.float64)
    check("cross_entropy", [rn(3, 4, dt=np.float64), p], {"label_smoothing": 0.2}, grad=(0, 1), double=True)


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("shapes", SHAPES)
def test_nll_loss(shapes, red):
    xs, ts = shapes
    C = xs[1] if len(xs) > 1 else xs[0]
    x = rn(*xs)
    name = "NllLoss2DBackward0" if len(xs) >= 3 and (red != "none" or len(xs) == 4) else None
    name = "NllLossBackward0" if len(xs) <= 2 else name
    check("nll_loss", [x, _targets(ts, C)], {"reduction": red}, name=name)
    check("nll_loss", [x, _targets(ts, C)], {"reduction": red, "weight": ru(C)})
    if len(xs) > 1:
        check("nll_loss", [x, _targets(ts, C, ignore=1)], {"reduction": red, "weight": ru(C), "ignore_index": 1})
    check("nll_loss", [x.astype(np.float64), _targets(ts, C)], {"reduction": red})


def test_ce_nll_modules():
    x, t = rn(6, 4), _targets((6,), 4, ignore=3)
    for ctor in [{}, {"weight": ru(4)}, {"ignore_index": 3, "reduction": "sum"}, {"label_smoothing": 0.1}]:
        check_module("CrossEntropyLoss", ctor, [x, t])
    for ctor in [{}, {"weight": ru(4), "reduction": "none"}, {"ignore_index": 3}]:
        check_module("NLLLoss", ctor, [x, t])
    with pytest.warns(FutureWarning):
        m = ember.nn.NLLLoss2d()
    assert repr(m) == "NLLLoss2d()"


# -- kl_div -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("red", REDS + ["batchmean"])
def test_kl_div(red, log_target):
    x = np.log(ru(4, 5))
    y = np.log(ru(4, 5)) if log_target else np.concatenate([ru(4, 4), np.zeros((4, 1), np.float32)], 1)
    check("kl_div", [x, y], {"reduction": red, "log_target": log_target}, grad=(0, 1))
    check_module("KLDivLoss", {"reduction": red, "log_target": log_target}, [x, y], grad=(0, 1))


def test_kl_div_mean_warns():
    with pytest.warns(UserWarning, match="batchmean"):
        EF.kl_div(ember.tensor(rn(3)), ember.tensor(ru(3)))
    check("kl_div", [np.array(0.3, np.float32), ru(1).reshape(())], {"reduction": "batchmean"})


# -- margin losses ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("red", REDS)
def test_margin_losses(red):
    check("margin_ranking_loss", [rn(5), rn(5), pm1(5)], {"reduction": red, "margin": 0.3}, grad=(0, 1))
    check("hinge_embedding_loss", [rn(3, 4), pm1(3, 4)], {"reduction": red, "margin": 0.7})
    check("cosine_embedding_loss", [rn(4, 6), rn(4, 6), pm1(4)], {"reduction": red, "margin": 0.2}, grad=(0, 1))
    check("cosine_embedding_loss", [rn(6), rn(6), np.array(-1.0, np.float32)], {"reduction": red}, grad=(0, 1))
    check("multilabel_soft_margin_loss", [rn(3, 5), ru(3, 5, lo=0, hi=1)], {"reduction": red, "weight": ru(5)})
    check("multilabel_soft_margin_loss", [rn(5), (RNG.random(5) < 0.5).astype(np.float32)], {"reduction": red})
    check_module("MarginRankingLoss", {"margin": 0.1, "reduction": red}, [rn(5), rn(5), pm1(5)], grad=(0, 1))
    check_module("HingeEmbeddingLoss", {"reduction": red}, [rn(3, 4), pm1(3, 4)])
    check_module("CosineEmbeddingLoss", {"reduction": red}, [rn(4, 6), rn(4, 6), pm1(4)], grad=(0, 1))
    check_module("MultiLabelSoftMarginLoss", {"weight": ru(5), "reduction": red}, [rn(3, 5), ru(3, 5)])


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("p,margin", [(1, 1.0), (2, 0.5)])
def test_multi_margin(p, margin, red):
    t = np.array([0, 3, 2, 4], np.int64)
    kw = {"p": p, "margin": margin, "reduction": red}
    check("multi_margin_loss", [rn(4, 5), t], kw, name="MultiMarginLossBackward0")
    check("multi_margin_loss", [rn(4, 5), t], {**kw, "weight": ru(5)})
    check("multi_margin_loss", [rn(5), np.array(2)], kw)
    check("multi_margin_loss", [rn(4, 5, dt=np.float64), t], kw)
    check_module("MultiMarginLoss", {"p": p, "margin": margin, "weight": ru(5), "reduction": red}, [rn(4, 5), t])


@pytest.mark.parametrize("red", REDS)
def test_multilabel_margin(red):
    t = np.array([[3, 0, -1, 1, 1], [1, 2, 4, 0, 3], [-1, 0, 0, 0, 0], [2, 2, -1, 4, 4]], np.int64)
    check("multilabel_margin_loss", [rn(4, 5), t], {"reduction": red}, name="MultilabelMarginLossBackward0")
    check("multilabel_margin_loss", [rn(5), t[0]], {"reduction": red})
    check_module("MultiLabelMarginLoss", {"reduction": red}, [rn(4, 5), t])


@pytest.mark.parametrize("red", REDS)
def test_triplet(red):
    a, p, n = rn(4, 6), rn(4, 6), rn(4, 6)
    check("triplet_margin_loss", [a, p, n], {"reduction": red}, grad=(0, 1, 2))
    check("triplet_margin_loss", [a, p, n], {"reduction": red, "p": 1, "swap": True, "margin": 2.0}, grad=(0, 1, 2))
    check("triplet_margin_loss", [rn(6), rn(6), rn(6)], {"reduction": red, "p": 3.0}, grad=(0, 1, 2))
    check("triplet_margin_with_distance_loss", [a, p, n], {"reduction": red}, grad=(0, 1, 2))
    tfn = lambda x, y: 1 - TF.cosine_similarity(x, y)  # noqa: E731
    efn = lambda x, y: 1 - (x * y).sum(-1) / (x.norm(dim=-1) * y.norm(dim=-1))  # noqa: E731
    targs = [torch.tensor(v, requires_grad=True) for v in (a, p, n)]
    eargs = [ember.tensor(v, requires_grad=True) for v in (a, p, n)]
    tl = TF.triplet_margin_with_distance_loss(*targs, distance_function=tfn, swap=True, reduction=red)
    el = EF.triplet_margin_with_distance_loss(*eargs, distance_function=efn, swap=True, reduction=red)
    np.testing.assert_allclose(_np(el), _np(tl), rtol=1e-5, atol=1e-5)
    tl.sum().backward()
    el.sum().backward()
    for x, y in zip(targs, eargs):
        np.testing.assert_allclose(_np(y.grad), _np(x.grad), rtol=1e-4, atol=1e-5)
    check_module("TripletMarginLoss", {"margin": 0.5, "p": 1.0, "swap": True, "reduction": red}, [a, p, n], (0, 1, 2))
    check_module("TripletMarginWithDistanceLoss", {"reduction": red}, [a, p, n], (0, 1, 2))


# -- poisson / gaussian NLL ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True), (False, True)])
def test_poisson_nll(log_input, full, red):
    x = rn(3, 4) if log_input else ru(3, 4, lo=0.1, hi=3)
    y = RNG.poisson(2.0, (3, 4)).astype(np.float32)
    kw = {"log_input": log_input, "full": full, "reduction": red}
    check("poisson_nll_loss", [x, y], kw, grad=(0, 1), tol=1e-4)
    check_module("PoissonNLLLoss", kw, [x, y], grad=(0,), tol=1e-4)


@pytest.mark.parametrize("red", REDS)
def test_gaussian_nll(red):
    x, y = rn(4, 3), rn(4, 3)
    for var in [ru(4, 3), ru(4), ru(4, 1), np.array([[1e-9, 1, 2]] * 4, np.float32)]:
        check("gaussian_nll_loss", [x, y, var], {"reduction": red, "full": True}, grad=(0, 1, 2))
    check("gaussian_nll_loss", [x, y, 0.7], {"reduction": red}, grad=(0, 1))
    check_module("GaussianNLLLoss", {"reduction": red, "eps": 1e-3}, [x, y, ru(4, 3)], grad=(0, 2))


# -- CTC ---------------------------------------------------------------------------------------------------------


def _ctc_case(T=12, N=4, C=6, S=4, dt=np.float32, seed=1):
    r = np.random.default_rng(seed)
    logits = r.standard_normal((T, N, C))
    lp = (logits - np.log(np.exp(logits).sum(-1, keepdims=True))).astype(dt)
    tl = np.array([S, 0, 2, 3][:N], np.int64)
    il = np.array([T, T - 3, 5, T - 1][:N], np.int64)
    tg = r.integers(1, C, (N, S)).astype(np.int64)
    tg[0, 1] = tg[0, 2]  # a repeated label
    return lp, tg, il, tl


@pytest.mark.parametrize("dt", DTS)
@pytest.mark.parametrize("red", REDS)
def test_ctc(red, dt):
    lp, tg, il, tl = _ctc_case(dt=dt)
    name = "CtcLossBackward0" if red == "none" else None
    check("ctc_loss", [lp, tg, il, tl], {"reduction": red}, name=name)
    concat = np.concatenate([tg[i, : tl[i]] for i in range(len(tl))])
    check("ctc_loss", [lp, concat, tuple(il.tolist()), tuple(tl.tolist())], {"reduction": red})
    check("ctc_loss", [lp, tg - 1, il, tl], {"reduction": red, "blank": 5})
    check_module("CTCLoss", {"reduction": red}, [lp, tg, il, tl])


def test_ctc_infinite_and_unbatched():
    lp, tg, il, tl = _ctc_case()
    il[2] = 2  # too short for its 2 labels: infinite loss
    check("ctc_loss", [lp, tg, il, tl], {"reduction": "none"}, grad=())
    for red in REDS:
        check("ctc_loss", [lp, tg, il, tl], {"reduction": red, "zero_infinity": True})
    check("ctc_loss", [lp[:, 0], tg[0], np.array(12), np.array(4)], {})
    check("ctc_loss", [lp[:, 0], tg[0], np.array(12), np.array(4)], {"reduction": "none"})


# -- modules, legacy arguments ---------------------------------------------------------------------------------------


def test_module_reprs_and_legacy_args():
    for cls in ember.nn.modules.loss.__all__:
        if cls == "NLLLoss2d":
            continue
        assert repr(getattr(ember.nn, cls)()) == repr(getattr(torch.nn, cls)())
    with pytest.warns(UserWarning, match="reduction='sum'"):
        m = ember.nn.MSELoss(size_average=False)
    assert m.reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert ember.nn.CrossEntropyLoss(reduce=False).reduction == "none"
    with pytest.warns(UserWarning, match="reduction='sum'"):
        EF.mse_loss(ember.tensor(rn(3)), ember.tensor(rn(3)), size_average=False)
    check("mse_loss", [rn(3), rn(3)], {"size_average": False}, grad=(0,))
    check("nll_loss", [rn(3, 4), _targets((3,), 4)], {"reduce": False})
    check("cross_entropy", [rn(3, 4), _targets((3,), 4)], {"size_average": False, "reduce": True})
    m = ember.nn.CrossEntropyLoss(weight=ember.ones(3))
    assert list(m.state_dict()) == ["weight"]
    assert list(ember.nn.BCEWithLogitsLoss(pos_weight=ember.ones(2)).state_dict()) == ["pos_weight"]
    assert ember.nn.CrossEntropyLoss(label_smoothing=0.1).label_smoothing == 0.1
    assert ember.nn.CTCLoss(blank=3, zero_infinity=True).zero_infinity is True


# -- errors ------------------------------------------------------------------------------------------------------------


def _err(tcall, ecall):
    with pytest.raises(Exception) as te:
        tcall(torch)
    with pytest.raises(Exception) as ee:
        ecall(ember)
    assert type(ee.value) is type(te.value), (type(ee.value), type(te.value), str(ee.value), str(te.value))
    return str(te.value), str(ee.value)


def _fn(name, *args, **kw):
    def call(m):
        F = TF if m is torch else EF
        a = [m.tensor(v) if isinstance(v, np.ndarray) else v for v in args]
        k = {n: m.tensor(v) if isinstance(v, np.ndarray) else v for n, v in kw.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(F, name)(*a, **k)

    return call


X35 = rn(3, 5)
T3 = np.array([1, 2, 3])
ERRORS = [
    ("cross_entropy", (X35, np.array([1.0, 2, 3], np.float32)), {}),
    ("cross_entropy", (X35, np.array([1, 2, 3], np.int32)), {}),
    ("cross_entropy", (X35, np.array([1, 2, 5])), {}),
    ("cross_entropy", (X35, np.array([1, 2, -1])), {}),
    ("cross_entropy", (X35, np.array([1, 2])), {}),
    ("cross_entropy", (X35, np.array([[1, 2, 3]])), {}),
    ("cross_entropy", (X35, T3), {"weight": np.ones(4, np.float32)}),
    ("cross_entropy", (X35, ru(3, 4)), {}),
    ("cross_entropy", (X35, np.ones((3, 5), np.int64)), {}),
    ("cross_entropy", (X35, T3), {"label_smoothing": 1.1}),
    ("cross_entropy", (X35, T3), {"reduction": "foo"}),
    ("cross_entropy", (X35, ru(3, 5)), {"ignore_index": 1}),
    ("cross_entropy", (X35, ru(3, 5)), {"weight": np.ones(4, np.float32)}),
    ("cross_entropy", (np.array(1.0, np.float32), np.array(0)), {}),
    ("cross_entropy", (rn(2, 5, 3, 4), _targets((2, 3, 5), 5)), {}),
    ("cross_entropy", (rn(2, 5, 3), _targets((2, 4), 5)), {}),
    ("nll_loss", (X35, np.array([1, 2, 5])), {}),
    ("nll_loss", (X35, np.array([1.0, 2, 3], np.float32)), {}),
    ("nll_loss", (rn(5), np.array([1, 2, 3])), {}),
    ("nll_loss", (rn(2, 5, 3, 4), _targets((2, 3), 5)), {}),
    ("nll_loss", (rn(2, 5, 3, 4), _targets((2, 3, 4), 5)), {"weight": np.ones(3, np.float32)}),
    ("binary_cross_entropy", (ru(3), ru(3, 1)), {}),
    ("binary_cross_entropy", (np.array([1.5], np.float32), ru(1)), {}),
    ("binary_cross_entropy", (np.array([0.5], np.float32), np.array([2.0], np.float32)), {}),
    ("binary_cross_entropy_with_logits", (ru(3), ru(3, 1)), {}),
    ("mse_loss", (ru(3), ru(4)), {}),
    ("mse_loss", (np.ones(3, np.int64), np.ones(3, np.int64)), {}),
    ("mse_loss", (ru(3), ru(3)), {"weight": ru(2)}),
    ("l1_loss", (np.ones(3, np.int64), np.ones(3, np.int64)), {}),
    ("l1_loss", (ru(3), ru(3)), {"reduction": "avg"}),
    ("smooth_l1_loss", (ru(3), ru(3)), {"beta": -1.0}),
    ("huber_loss", (ru(3), ru(3)), {"delta": 0.0}),
    ("multi_margin_loss", (X35, T3), {"p": 3}),
    ("multi_margin_loss", (X35, np.array([1, 2, 5])), {}),
    ("multi_margin_loss", (X35, np.array([1, 2])), {}),
    ("multi_margin_loss", (X35, T3), {"weight": np.ones((5, 1), np.float32)}),
    ("multilabel_margin_loss", (X35, np.array([[1, 7, -1, 0, 0]] * 3)), {}),
    ("multilabel_margin_loss", (X35, np.array([[1, 2, -1, 0]] * 3)), {}),
    ("cosine_embedding_loss", (X35, rn(3, 5), np.array([[1, -1, 1]])), {}),
    ("cosine_embedding_loss", (rn(3, 5, 2), rn(3, 5, 2), np.array([1, -1, 1])), {}),
    ("margin_ranking_loss", (rn(3), rn(3), np.array([[1.0, -1, 1]], np.float32)), {}),
    ("triplet_margin_loss", (X35, rn(3, 5), rn(5)), {}),
    ("triplet_margin_loss", (X35, rn(3, 5), rn(3, 5)), {"margin": 0.0}),
    ("triplet_margin_with_distance_loss", (X35, rn(3, 5), rn(5)), {}),
    ("triplet_margin_with_distance_loss", (X35, rn(3, 5), rn(3, 5)), {"reduction": "x"}),
    ("gaussian_nll_loss", (X35, rn(3, 5), ru(2, 5)), {}),
    ("gaussian_nll_loss", (X35, rn(3, 5), -ru(3, 5)), {}),
    ("gaussian_nll_loss", (X35, rn(3, 5), -1.0), {}),
    ("gaussian_nll_loss", (X35, rn(3, 5), ru(3, 5)), {"reduction": "x"}),
    ("poisson_nll_loss", (X35, rn(3, 5)), {"reduction": "x"}),
    ("kl_div", (X35, rn(3, 5)), {"reduction": "x"}),
    ("ctc_loss", (_ctc_case()[0], _ctc_case()[1], np.array([13, 5, 5, 5]), _ctc_case()[3]), {}),
    ("ctc_loss", (_ctc_case()[0], _ctc_case()[1][:, :2], _ctc_case()[2], _ctc_case()[3]), {}),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors(case):
    name, args, kw = ERRORS[case]
    tmsg, emsg = _err(_fn(name, *args, **kw), _fn(name, *args, **kw))
    if "out of bounds" in tmsg or "expected target dtype" in tmsg or "Using a target size" in tmsg:
        assert emsg == tmsg


def test_module_ctor_errors():
    for cls, kw in [
        ("MultiMarginLoss", {"p": 3}),
        ("MultiMarginLoss", {"weight": "2d"}),
        ("TripletMarginLoss", {"margin": 0}),
        ("TripletMarginWithDistanceLoss", {"margin": -1.0}),
        ("HuberLoss", {"delta": "1"}),
    ]:
        tk = {k: (torch.ones(2, 2) if v == "2d" else v) for k, v in kw.items()}
        ek = {k: (ember.ones(2, 2) if v == "2d" else v) for k, v in kw.items()}
        _err(lambda m, c=cls, t=tk: getattr(torch.nn, c)(**t), lambda m, c=cls, e=ek: getattr(ember.nn, c)(**e))


def test_no_graph_without_grad_and_float32_kept():
    x = ember.tensor(rn(4, 3))
    out = EF.cross_entropy(x, ember.tensor(np.array([0, 1, 2, 0])))
    assert out.grad_fn is None and out.dtype == ember.float32
    x.requires_grad_(True)
    out = EF.cross_entropy(x, ember.tensor(np.array([0, 1, 2, 0])))
    out.backward()
    assert x.grad.dtype == ember.float32
    assert math.isfinite(out.item())


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("fname,kw", [("smooth_l1_loss", {"beta": 0.5}), ("huber_loss", {"delta": 0.7})])
def test_regression_bfloat16_keeps_dtype(fname, kw, red):
    x, y = rn(4, 5), rn(4, 5)
    outs = []
    for L, F in ((torch, TF), (ember, EF)):
        a = L.tensor(x).bfloat16().requires_grad_(True)
        b = L.tensor(y).bfloat16().requires_grad_(True)
        out = getattr(F, fname)(a, b, reduction=red, **kw)
        out.backward(L.ones_like(out))
        outs.append((out, a.grad, b.grad))
    for t, e in zip(*outs):
        assert str(e.dtype)[6:] == str(t.dtype)[6:] == "bfloat16"
        np.testing.assert_allclose(_np(e.float()), _np(t.float()), rtol=2e-2, atol=2e-2)
