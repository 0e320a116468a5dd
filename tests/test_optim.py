"""Optimizers step for step against torch: same weights, same gradients, same parameters and state."""

import numpy as np
import pytest
import torch

import ember

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.3, maximize=True)),
    ("Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=1e-2, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=1e-2)),
    ("AdamW", dict(lr=1e-2, weight_decay=0.5, amsgrad=True)),
]


def _run(lib, name, kwargs, shapes, grads, dtype):
    params = [
        lib.nn.Parameter(lib.tensor(np.linspace(-1, 1, int(np.prod(s))).reshape(s).astype(dtype))) for s in shapes
    ]
    opt = getattr(lib.optim, name)(params, **kwargs)
    history = []
    for step_grads in grads:
        opt.zero_grad()
        for p, g in zip(params, step_grads):
            p.grad = lib.tensor(g)
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return opt, params, history


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_steps_match_torch(name, kwargs, dtype):
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), ()]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(25)]
    topt, tparams, th = _run(torch, name, kwargs, shapes, grads, dtype)
    eopt, eparams, eh = _run(ember, name, kwargs, shapes, grads, dtype)
    tol = dict(rtol=2e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)
    for step, (t, e) in enumerate(zip(th, eh)):
        for k, (a, b) in enumerate(zip(t, e)):
            np.testing.assert_allclose(b, a, err_msg=f"step {step} param {k}", **tol)
    tsd, esd = topt.state_dict(), eopt.state_dict()
    assert tsd["param_groups"] == esd["param_groups"]
    assert tsd["state"].keys() == esd["state"].keys()
    for k in tsd["state"]:
        assert tsd["state"][k].keys() == esd["state"][k].keys()
        for key, v in tsd["state"][k].items():
            assert str(v.dtype)[6:] == str(esd["state"][k][key].dtype)[6:], key
            np.testing.assert_allclose(esd["state"][k][key].numpy(), v.numpy(), err_msg=key, **tol)
    assert repr(topt) == repr(eopt)


def test_state_dict_round_trip_continues_identically():
    rng = np.random.default_rng(1)
    grads = [[rng.standard_normal((5,)).astype("float32")] for _ in range(10)]

    def run(split):
        p = ember.nn.Parameter(ember.ones(5))
        opt = ember.optim.Adam([p], lr=0.1)
        for i, (g,) in enumerate(grads):
            if i == split:
                sd = opt.state_dict()
                opt = ember.optim.Adam([p], lr=0.1)
                opt.load_state_dict(sd)
            p.grad = ember.tensor(g)
            opt.step()
        return p.detach().numpy()

    np.testing.assert_array_equal(run(None), run(5))


def test_param_groups_and_errors():
    def build(L):
        a, b = L.nn.Parameter(L.ones(2)), L.nn.Parameter(L.ones(3))
        opt = L.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
        return [g["lr"] for g in opt.param_groups], len(opt.param_groups), repr(opt)

    t, e = build(torch), build(ember)
    assert t == e
    for L in (torch, ember):
        with pytest.raises(ValueError):
            L.optim.SGD([], lr=0.1)
        with pytest.raises(TypeError):
            L.optim.SGD(L.nn.Parameter(L.ones(1)), lr=0.1)
        p = L.nn.Parameter(L.ones(1))
        with pytest.raises(ValueError):
            L.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
        with pytest.raises(ValueError):
            L.optim.SGD([p], lr=-1)
        with pytest.raises(ValueError):
            L.optim.Adam([p], betas=(1.0, 0.9))


def test_closure_and_zero_grad():
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    opt = ember.optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(p.detach().numpy(), [0.8, 1.6], rtol=1e-6)
    opt.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


_STATEFUL = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad", "Adadelta", "RMSprop", "Rprop", "ASGD"]


@pytest.mark.parametrize("name", _STATEFUL)
@pytest.mark.parametrize("default", ["float32", "float64"])
def test_state_dtypes_follow_the_default_dtype_as_torch(name, default):
    """Step-like state is float64 under a float64 default dtype and float32 otherwise, as in torch."""
    got = {}
    for lib in (torch, ember):
        prev = lib.get_default_dtype()
        lib.set_default_dtype(getattr(lib, default))
        try:
            p = lib.nn.Parameter(lib.ones(3, dtype=lib.float32))
            opt = getattr(lib.optim, name)([p], lr=0.1)
            p.grad = lib.ones(3, dtype=lib.float32)
            opt.step()
            got[lib.__name__] = {k: str(v.dtype).split(".")[-1] for k, v in opt.state[p].items() if hasattr(v, "dtype")}
        finally:
            lib.set_default_dtype(prev)
    assert got["ember"] == got["torch"]
