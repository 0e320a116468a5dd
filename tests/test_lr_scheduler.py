"""Learning-rate schedulers side by side with torch: same lrs (bit for bit), momentum cycling, state_dicts;
and swa_utils (AveragedModel, SWALR, update_bn)."""

import math
import warnings

import numpy as np
import pytest
import torch

import ember


def _opt(L, kind="SGD", groups=2):
    ps = [L.nn.Parameter(L.ones(2)) for _ in range(groups)]
    for p in ps:
        p.grad = L.zeros(2)
    param_groups = [{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(ps)]
    if kind == "SGD":
        return L.optim.SGD(param_groups, lr=0.1, momentum=0.9)
    return L.optim.Adam(param_groups, lr=0.1)


def _plain(v):
    """State-dict values in comparable form (tensors are not expected; callables compared by presence)."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return type(v)(_plain(x) for x in v)
    if callable(v):
        return "<callable>"
    return v


def _run(L, make, steps, kind, metric=None):
    opt = _opt(L, kind)
    sched = make(L.optim.lr_scheduler, opt)
    history = [(list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups], _moms(opt))]
    for i in range(steps):
        opt.step()
        if metric is None:
            sched.step()
        else:
            sched.step(metric(i))
        history.append((list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups], _moms(opt)))
    return opt, sched, history


def _moms(opt):
    return [g.get("momentum", g.get("betas")) for g in opt.param_groups]


LS = "lr_scheduler"
CASES = {
    "LambdaLR": (lambda S, o: S.LambdaLR(o, lambda e: 0.95**e), "SGD"),
    "LambdaLR-list": (lambda S, o: S.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9**e]), "SGD"),
    "MultiplicativeLR": (lambda S, o: S.MultiplicativeLR(o, lambda e: 0.97), "SGD"),
    "StepLR": (lambda S, o: S.StepLR(o, step_size=4, gamma=0.5), "SGD"),
    "MultiStepLR": (lambda S, o: S.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3), "SGD"),
    "ConstantLR": (lambda S, o: S.ConstantLR(o, factor=0.25, total_iters=6), "SGD"),
    "LinearLR": (lambda S, o: S.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=12), "SGD"),
    "ExponentialLR": (lambda S, o: S.ExponentialLR(o, gamma=0.93), "Adam"),
    "PolynomialLR": (lambda S, o: S.PolynomialLR(o, total_iters=17, power=2.0), "SGD"),
    "CosineAnnealingLR": (lambda S, o: S.CosineAnnealingLR(o, T_max=10, eta_min=1e-3), "SGD"),
    "CosineAnnealingLR-0": (lambda S, o: S.CosineAnnealingLR(o, T_max=7), "Adam"),
    "CosineAnnealingWarmRestarts": (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5, eta_min=1e-4), "SGD"),
    "CosineAnnealingWarmRestarts-mult": (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2), "SGD"),
    "CyclicLR-triangular": (lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=4), "SGD"),
    "CyclicLR-triangular2": (
        lambda S, o: S.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=3, step_size_down=5, mode="triangular2"),
        "SGD",
    ),
    "CyclicLR-exp_range": (
        lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=5, mode="exp_range", gamma=0.97, base_momentum=0.7),
        "Adam",
    ),
    "CyclicLR-custom": (
        lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 0.9**x, scale_mode="iterations"),
        "SGD",
    ),
    "CyclicLR-nomomentum": (lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3, cycle_momentum=False), "SGD"),
    "OneCycleLR-cos": (lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=40), "SGD"),
    "OneCycleLR-linear": (
        lambda S, o: S.OneCycleLR(o, max_lr=[0.5, 1.0], epochs=4, steps_per_epoch=10, anneal_strategy="linear"),
        "Adam",
    ),
    "OneCycleLR-three": (
        lambda S, o: S.OneCycleLR(o, max_lr=0.3, total_steps=40, three_phase=True, pct_start=0.25, div_factor=10.0),
        "SGD",
    ),
    "OneCycleLR-nomomentum": (lambda S, o: S.OneCycleLR(o, max_lr=0.3, total_steps=40, cycle_momentum=False), "SGD"),
    "SequentialLR": (
        lambda S, o: S.SequentialLR(
            o, [S.LinearLR(o, start_factor=0.1, total_iters=5), S.ExponentialLR(o, gamma=0.9)], milestones=[5]
        ),
        "SGD",
    ),
    "SequentialLR-3": (
        lambda S, o: S.SequentialLR(
            o,
            [S.ConstantLR(o, factor=0.5, total_iters=3), S.StepLR(o, 3), S.CosineAnnealingLR(o, T_max=8)],
            milestones=[4, 12],
        ),
        "SGD",
    ),
    "ChainedScheduler": (
        lambda S, o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=4), S.ExponentialLR(o, gamma=0.9)]),
        "SGD",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_schedule_matches_torch(name):
    make, kind = CASES[name]
    steps = 39 if name.startswith("OneCycle") else 35
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        topt, tsched, th = _run(torch, make, steps, kind)
        eopt, esched, eh = _run(ember, make, steps, kind)
    for i, (t, e) in enumerate(zip(th, eh)):
        assert t == e, f"step {i}"  # exact: the same float operations in the same order
    tsd, esd = _plain(tsched.state_dict()), _plain(esched.state_dict())
    assert tsd == esd
    assert sorted(topt.param_groups[0]) == sorted(eopt.param_groups[0])


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR-cos", "CyclicLR-triangular2", "LambdaLR"])
def test_state_dict_round_trip(name):
    make, kind = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt, sched, _ = _run(ember, make, 7, kind)
        opt2 = _opt(ember, kind)
        opt2.load_state_dict(opt.state_dict())
        sched2 = make(ember.optim.lr_scheduler, opt2)
        sched2.load_state_dict(sched.state_dict())
        for _ in range(5):
            for o, s in ((opt, sched), (opt2, sched2)):
                o.step()
                s.step()
    assert sched.get_last_lr() == sched2.get_last_lr()
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in opt2.param_groups]


PLATEAU = [
    dict(),
    dict(mode="max", factor=0.5, patience=2, threshold=0.01, threshold_mode="abs", cooldown=2, min_lr=[0.01, 0.05]),
    dict(factor=0.3, patience=1, cooldown=1, min_lr=0.02, eps=1e-3),
    dict(mode="max", threshold_mode="rel", threshold=0.1, patience=0),
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(i) for i in range(len(PLATEAU))])
def test_reduce_lr_on_plateau(kwargs):
    def metric(i):
        return 1.0 / (1 + i) if i < 6 else 0.2 + 0.01 * math.sin(i)

    make = lambda S, o: S.ReduceLROnPlateau(o, **kwargs)  # noqa: E731
    topt, tsched, th = _run(torch, make, 60, "SGD", metric)
    eopt, esched, eh = _run(ember, make, 60, "SGD", metric)
    assert th == eh
    assert _plain(tsched.state_dict()) == _plain(esched.state_dict())


def test_step_before_optimizer_step_warns():
    for L in (torch, ember):
        opt = _opt(L)
        sched = L.optim.lr_scheduler.StepLR(opt, 2)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            sched.step()
        opt = _opt(L)
        sched = L.optim.lr_scheduler.StepLR(opt, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            opt.step()
            sched.step()
        with pytest.warns(UserWarning, match="get_last_lr"):
            sched.get_lr()


def test_initial_lr_and_resume():
    for L in (torch, ember):
        opt = _opt(L)
        with pytest.raises(KeyError):
            L.optim.lr_scheduler.StepLR(opt, 2, last_epoch=3)
        sched = L.optim.lr_scheduler.ExponentialLR(opt, 0.5)
        assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
        assert sched.base_lrs == [0.1, 0.2]
        opt.step()
        with pytest.warns(UserWarning, match="epoch parameter"):
            sched.step(3)
        assert sched.get_last_lr() == [0.1 * 0.5**3, 0.2 * 0.5**3]


BAD = [
    (lambda S, o: S.ConstantLR(o, factor=1.5), ValueError),
    (lambda S, o: S.LinearLR(o, start_factor=0), ValueError),
    (lambda S, o: S.LinearLR(o, end_factor=2), ValueError),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0), ValueError),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError),
    (lambda S, o: S.CyclicLR(o, 0.1, 1.0, mode="zigzag"), ValueError),
    (lambda S, o: S.CyclicLR(o, [0.1], 1.0), ValueError),
    (lambda S, o: S.OneCycleLR(o, 1.0), ValueError),
    (lambda S, o: S.OneCycleLR(o, 1.0, total_steps=10, pct_start=2.0), ValueError),
    (lambda S, o: S.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="exp"), ValueError),
    (lambda S, o: S.ReduceLROnPlateau(o, factor=1.0), ValueError),
    (lambda S, o: S.ReduceLROnPlateau(o, mode="avg"), ValueError),
    (lambda S, o: S.ReduceLROnPlateau(o, threshold_mode="x"), ValueError),
    (lambda S, o: S.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError),
    (lambda S, o: S.SequentialLR(o, [S.StepLR(o, 2)], milestones=[3]), ValueError),
    (lambda S, o: S.SequentialLR(o, [], milestones=[]), ValueError),
    (lambda S, o: S.ChainedScheduler([]), ValueError),
    (lambda S, o: S.LambdaLR(o, [lambda e: 1.0]), ValueError),
    (lambda S, o: S.MultiplicativeLR(o, 3), TypeError),
    (lambda S, o: S.StepLR(object(), 3), TypeError),
]


@pytest.mark.parametrize("i", range(len(BAD)))
def test_bad_configurations(i):
    make, exc = BAD[i]
    msgs = []
    for L in (torch, ember):
        with pytest.raises(exc) as e:
            make(L.optim.lr_scheduler, _opt(L))
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def test_one_cycle_too_many_steps():
    for L in (torch, ember):
        opt = _opt(L)
        sched = L.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=3)
        opt.step()
        for _ in range(3):
            sched.step()
        with pytest.raises(ValueError, match="Tried to step 4 times"):
            sched.step()


def test_cycle_momentum_needs_momentum():
    for L in (torch, ember):
        p = L.nn.Parameter(L.ones(1))
        opt = L.optim.Adagrad([p])
        with pytest.raises(ValueError, match="optimizer must support momentum"):
            L.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1)


# -- swa_utils ------------------------------------------------------------------------------------------


def _model(L):
    return L.nn.Sequential(L.nn.Linear(3, 4), L.nn.BatchNorm1d(4), L.nn.ReLU(), L.nn.Linear(4, 2))


def _copy_into(src, dst):
    dst.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in src.state_dict().items()})


def _perturb(L, model, seed):
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.data.copy_(L.tensor(rng.standard_normal(tuple(p.shape)).astype("float32")))
    model(L.tensor(rng.standard_normal((8, 3)).astype("float32")))  # moves BN running stats (train mode)


def _avg_fn(which):
    def make(L):
        U = L.optim.swa_utils
        if which == "ema":
            return dict(multi_avg_fn=U.get_ema_multi_avg_fn(0.9))
        if which == "ema-single":
            return dict(avg_fn=U.get_ema_avg_fn(0.8))
        if which == "swa-multi":
            return dict(multi_avg_fn=U.get_swa_multi_avg_fn())
        if which == "swa-single":
            return dict(avg_fn=U.get_swa_avg_fn())
        if which == "custom":
            return dict(avg_fn=lambda a, m, n: 0.5 * a + 0.5 * m)
        return {}

    return make


@pytest.mark.parametrize("which", ["swa", "ema", "ema-single", "swa-multi", "swa-single", "custom"])
@pytest.mark.parametrize("use_buffers", [False, True])
def test_averaged_model_matches_torch(which, use_buffers):
    tm, em = _model(torch), _model(ember)
    _copy_into(tm, em)
    tavg = torch.optim.swa_utils.AveragedModel(tm, use_buffers=use_buffers, **_avg_fn(which)(torch))
    eavg = ember.optim.swa_utils.AveragedModel(em, use_buffers=use_buffers, **_avg_fn(which)(ember))
    for seed in range(5):
        _perturb(torch, tm, seed)
        _perturb(ember, em, seed)
        if seed > 0 and which == "swa-multi" and use_buffers:  # torch's foreach path rejects the int64 buffer
            for m in (tavg, eavg):
                with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
                    m.update_parameters(tm if m is tavg else em)
            return
        tavg.update_parameters(tm)
        eavg.update_parameters(em)
    tsd, esd = tavg.state_dict(), eavg.state_dict()
    assert list(tsd) == list(esd)
    for k in tsd:
        assert str(tsd[k].dtype)[6:] == str(esd[k].dtype)[6:], k
        np.testing.assert_allclose(esd[k].numpy(), tsd[k].numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    x = np.random.default_rng(9).standard_normal((5, 3)).astype("float32")
    tavg.eval()
    eavg.eval()
    np.testing.assert_allclose(
        eavg(ember.tensor(x)).detach().numpy(), tavg(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )


def test_update_bn_matches_torch():
    tm, em = _model(torch), _model(ember)
    _copy_into(tm, em)
    tm.eval()
    em.eval()
    rng = np.random.default_rng(2)
    batches = [rng.standard_normal((6, 3)).astype("float32") for _ in range(4)]
    torch.optim.swa_utils.update_bn([(torch.tensor(b), 0) for b in batches], tm)
    ember.optim.swa_utils.update_bn([(ember.tensor(b), 0) for b in batches], em)
    assert not em.training
    assert em[1].momentum == tm[1].momentum
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(em.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(swa_lr=0.05),
        dict(swa_lr=[0.01, 0.3], anneal_epochs=4, anneal_strategy="linear"),
        dict(swa_lr=0.02, anneal_epochs=0),
    ],
)
def test_swalr_matches_torch(kwargs):
    def run(L):
        ps = [L.nn.Parameter(L.ones(2)) for _ in range(2)]
        opt = L.optim.SGD([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.5}], lr=0.1)
        sched = L.optim.swa_utils.SWALR(opt, **kwargs)
        out = [sched.get_last_lr()]
        for _ in range(15):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr())
        sd = {k: v for k, v in sched.state_dict().items()}
        return out, sd

    (th, tsd), (eh, esd) = run(torch), run(ember)
    assert th == eh
    assert tsd == esd


def test_errors():
    for L in (torch, ember):
        U = L.optim.swa_utils
        with pytest.raises(ValueError):
            U.get_ema_multi_avg_fn(1.5)
        with pytest.raises(ValueError):
            U.get_ema_avg_fn(-0.1)
        opt = L.optim.SGD([L.nn.Parameter(L.ones(1))], lr=0.1)
        with pytest.raises(ValueError):
            U.SWALR(opt, 0.1, anneal_strategy="exp")
        with pytest.raises(ValueError):
            U.SWALR(opt, 0.1, anneal_epochs=-1)
        with pytest.raises(AssertionError):
            U.AveragedModel(L.nn.Linear(2, 2), avg_fn=U.get_swa_avg_fn(), multi_avg_fn=U.get_swa_multi_avg_fn())
