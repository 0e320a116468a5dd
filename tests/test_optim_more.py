"""The remaining optimizers step for step against torch (same harness as test_optim)."""

import numpy as np
import pytest
import torch
from test_optim import _run

import ember

CASES = [
    ("Adamax", dict()),
    ("Adamax", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=1e-2)),
    ("NAdam", dict(lr=1e-2, weight_decay=0.1, momentum_decay=1e-2)),
    ("NAdam", dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=1e-2)),
    ("RAdam", dict(lr=1e-2, betas=(0.9, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=1e-2, betas=(0.8, 0.95), weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=1e-3, alpha=0.9, weight_decay=0.1, centered=True)),
    ("RMSprop", dict(lr=1e-3, momentum=0.9, maximize=True)),
    ("RMSprop", dict(lr=1e-3, momentum=0.5, centered=True, eps=1e-4)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=10, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05, t0=3, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
]


def _state_equal(tsd, esd, tol):
    assert tsd["param_groups"] == esd["param_groups"]
    assert tsd["state"].keys() == esd["state"].keys()
    for k in tsd["state"]:
        assert list(tsd["state"][k].keys()) == list(esd["state"][k].keys())
        for key, v in tsd["state"][k].items():
            ev = esd["state"][k][key]
            if isinstance(v, torch.Tensor):
                assert str(v.dtype)[6:] == str(ev.dtype)[6:], key
                assert tuple(v.shape) == tuple(ev.shape), key
                np.testing.assert_allclose(ev.numpy(), v.numpy(), err_msg=key, **tol)
            elif isinstance(v, list):
                assert len(v) == len(ev), key
                for a, b in zip(v, ev):
                    if a is None:
                        assert b is None
                    else:
                        np.testing.assert_allclose(b.numpy(), a.numpy(), err_msg=key, **tol)
            elif isinstance(v, float):
                assert ev == pytest.approx(v, rel=tol["rtol"], abs=tol["atol"]), key
            else:
                assert v == ev, key


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_steps_match_torch(name, kwargs, dtype):
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), ()]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(25)]
    # a zero and a repeated sign pattern exercise Rprop's branches
    grads[3][1][0] = 0
    topt, tparams, th = _run(torch, name, kwargs, shapes, grads, dtype)
    eopt, eparams, eh = _run(ember, name, kwargs, shapes, grads, dtype)
    tol = dict(rtol=2e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)
    for step, (t, e) in enumerate(zip(th, eh)):
        for k, (a, b) in enumerate(zip(t, e)):
            np.testing.assert_allclose(b, a, err_msg=f"step {step} param {k}", **tol)
    _state_equal(topt.state_dict(), eopt.state_dict(), tol)
    assert repr(topt) == repr(eopt)
    assert topt.defaults == eopt.defaults


@pytest.mark.parametrize("name", sorted({n for n, _ in CASES} | {"LBFGS"}))
def test_defaults_match_torch(name):
    tp, ep = torch.nn.Parameter(torch.ones(2)), ember.nn.Parameter(ember.ones(2))
    assert getattr(torch.optim, name)([tp]).defaults == getattr(ember.optim, name)([ep]).defaults


BAD = [
    ("Adamax", dict(lr=-1)),
    ("Adamax", dict(betas=(0.5, 1.0))),
    ("NAdam", dict(momentum_decay=-1)),
    ("NAdam", dict(eps=-1)),
    ("RAdam", dict(weight_decay=-1)),
    ("RMSprop", dict(alpha=-1)),
    ("RMSprop", dict(momentum=-1)),
    ("Adagrad", dict(lr_decay=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)),
    ("Adadelta", dict(rho=1.5)),
    ("ASGD", dict(weight_decay=-1)),
    ("Rprop", dict(etas=(1.5, 2.0))),
    ("LBFGS", dict(lr=-1)),
]


@pytest.mark.parametrize("name,kwargs", BAD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD)])
def test_bad_hyperparameters(name, kwargs):
    msgs = []
    for L in (torch, ember):
        with pytest.raises(ValueError) as e:
            getattr(L.optim, name)([L.nn.Parameter(L.ones(2))], **kwargs)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def _lbfgs_run(L, kwargs, dtype, steps=3):
    rng = np.random.default_rng(3)
    A = rng.standard_normal((6, 6)).astype(dtype)
    target = rng.standard_normal(6).astype(dtype)
    x = L.nn.Parameter(L.tensor(np.zeros(6, dtype)))
    b = L.nn.Parameter(L.tensor(np.full((), 0.5, dtype)))
    At, tt = L.tensor(A), L.tensor(target)
    opt = L.optim.LBFGS([x, b], **kwargs)
    losses = []

    def closure():
        opt.zero_grad()
        r = (At * x).sum(1) + b - tt
        loss = (r * r).sum() + (x * x * x * x).sum() * 0.1 + b * b
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(float(opt.step(closure).detach()))
    return opt, [x.detach().numpy().copy(), b.detach().numpy().copy()], losses


LBFGS_CASES = [
    dict(),
    dict(lr=0.5, max_iter=7, history_size=3),
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", history_size=2, max_iter=10, tolerance_change=1e-12),
]


@pytest.mark.parametrize("kwargs", LBFGS_CASES, ids=[str(i) for i in range(len(LBFGS_CASES))])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lbfgs_matches_torch(kwargs, dtype):
    # float32 runs reach rounding noise near the optimum, where the two libraries' BLAS dots part: one step
    steps = 1 if dtype == "float32" else 3
    topt, tp, tl = _lbfgs_run(torch, kwargs, dtype, steps)
    eopt, ep, el = _lbfgs_run(ember, kwargs, dtype, steps)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(el, tl, **tol)
    for a, b in zip(tp, ep):
        np.testing.assert_allclose(b, a, **tol)
    if dtype == "float64":  # float32 runs converge into rounding noise, where the stopping tests may differ
        _state_equal(topt.state_dict(), eopt.state_dict(), dict(rtol=1e-6, atol=1e-9))


def test_lbfgs_rejects_groups_and_bad_line_search():
    for L in (torch, ember):
        a, b = L.nn.Parameter(L.ones(2)), L.nn.Parameter(L.ones(2))
        with pytest.raises(ValueError):
            L.optim.LBFGS([{"params": [a]}, {"params": [b]}])
        opt = L.optim.LBFGS([a], line_search_fn="armijo")

        def closure():
            opt.zero_grad()
            loss = (a * a).sum()
            loss.backward()
            return loss

        with pytest.raises(RuntimeError):
            opt.step(closure)


def test_adagrad_state_exists_before_step():
    p = ember.nn.Parameter(ember.ones(3))
    opt = ember.optim.Adagrad([p], initial_accumulator_value=0.25)
    assert opt.state[p]["sum"].tolist() == [0.25] * 3
    assert opt.state[p]["step"].dtype == ember.float32
