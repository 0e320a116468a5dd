"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict against torch: indexing, mutation,
reprs (with ModuleList's collapsing of repeated modules), registration and errors."""

from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn as tnn

import ember
import ember.nn as enn

from nn_compare import compare_module, to_np


def both(fn):
    return fn(tnn), fn(enn)


def seq(nn):
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Tanh())


def rep(m):
    return repr(m).replace("torch.", "ember.")


def test_sequential_forward_and_repr():
    t, e = both(seq)
    assert rep(t) == repr(e)
    compare_module(t, e, np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    t, e = both(lambda nn: nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.GELU())])))
    assert rep(t) == repr(e)
    assert list(dict(e.named_parameters())) == ["fc.weight", "fc.bias"]


def test_sequential_indexing():
    t, e = both(seq)
    for i in (0, 1, -1, -4, 3):
        assert type(e[i]).__name__ == type(t[i]).__name__
    for sl in (slice(1, 3), slice(None, None, 2), slice(-2, None)):
        assert rep(t[sl]) == repr(e[sl])
        assert type(e[sl]) is enn.Sequential
    for bad in (4, -5):
        with pytest.raises(IndexError) as et:
            t[bad]
        with pytest.raises(IndexError) as ee:
            e[bad]
        assert str(ee.value) == str(et.value)
    assert len(e) == len(t) == 4
    assert [type(m).__name__ for m in e] == [type(m).__name__ for m in t]


def test_sequential_mutation():
    t, e = both(seq)
    for obj, nn in ((t, tnn), (e, enn)):
        obj.append(nn.Sigmoid())
        obj.insert(1, nn.ELU())
        obj.insert(-1, nn.SELU())
        obj.extend([nn.Identity()])
        del obj[0]
        obj[0] = nn.Softplus()
        obj.pop(2)
        del obj[1:3]
    assert rep(t) == repr(e)
    t2, e2 = t + t, e + e
    assert rep(t2) == repr(e2)
    t3, e3 = t * 2, e * 2
    assert rep(t3) == repr(e3)
    t += t3
    e += e3
    assert rep(t) == repr(e)
    with pytest.raises(ValueError):
        e + enn.ModuleList()
    with pytest.raises(IndexError):
        e.insert(100, enn.ReLU())
    with pytest.raises(AssertionError):
        e.insert(0, 3)
    with pytest.raises(TypeError):
        e * 1.5
    with pytest.raises(ValueError):
        e * 0


def test_sequential_empty_and_dir():
    t, e = both(lambda nn: nn.Sequential())
    assert rep(t) == repr(e) == "Sequential()"
    x = ember.randn(2)
    assert e(x) is x
    e2 = seq(enn)
    assert "0" not in dir(e2)


def test_modulelist():
    t, e = both(lambda nn: nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.ReLU(), nn.Tanh()]))
    assert rep(t) == repr(e)
    assert "(0-2): 3 x Linear" in repr(e) and "(3-4): 2 x ReLU()" in repr(e)
    assert len(e) == 6 and type(e[-1]).__name__ == "Tanh"
    assert rep(t[1:4]) == repr(e[1:4]) and type(e[1:4]) is enn.ModuleList
    for obj, nn in ((t, tnn), (e, enn)):
        obj.append(nn.Sigmoid())
        obj.extend([nn.GELU(), nn.GELU()])
        obj.insert(1, nn.ELU())
        obj += [nn.SiLU()]
        del obj[0]
        del obj[-3:-1]
        obj[0] = nn.Mish()
        obj.pop(1)
    assert rep(t) == repr(e)
    assert rep(t + t) == repr(e + e)
    assert len(list(e.parameters())) == len(list(t.parameters()))
    with pytest.raises(IndexError) as ee:
        e[100]
    with pytest.raises(IndexError) as et:
        t[100]
    assert str(ee.value) == str(et.value)
    with pytest.raises(TypeError):
        e.extend(3)
    assert repr(enn.ModuleList()) == repr(tnn.ModuleList()) == "ModuleList()"


def test_modulelist_nested_repr():
    def mk(nn):
        block = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        return nn.ModuleList([nn.ModuleList([block, block]), nn.Linear(2, 3)])

    t, e = both(mk)
    assert rep(t) == repr(e)


def test_moduledict():
    def mk(nn):
        return nn.ModuleDict({"b": nn.Linear(2, 2), "a": nn.ReLU()})

    t, e = both(mk)
    assert rep(t) == repr(e)
    assert list(e.keys()) == list(t.keys()) == ["b", "a"]
    for obj, nn in ((t, tnn), (e, enn)):
        obj["c"] = nn.Tanh()
        obj.update([("d", nn.ELU()), ("b", nn.Linear(2, 5))])
        del obj["a"]
        obj.pop("c")
    assert rep(t) == repr(e)
    assert "d" in e and "a" not in e and len(e) == 2
    assert [k for k, _ in e.items()] == ["b", "d"]
    assert list(iter(e)) == ["b", "d"]
    with pytest.raises(TypeError):
        e.update(3)
    with pytest.raises(ValueError):
        e.update([("x", enn.ReLU(), 1)])
    e.clear()
    assert len(e) == 0


def test_parameterlist():
    a, b = np.ones((2, 3), np.float32), np.zeros(4, np.float64)

    def mk(nn, T):
        return nn.ParameterList([nn.Parameter(T.tensor(a)), T.tensor(b), "str"])

    t, e = mk(tnn, torch), mk(enn, ember)
    assert rep(t) == repr(e)
    assert isinstance(e[1], enn.Parameter) and e[2] == "str"
    assert len(e) == 3
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()] == ["0", "1"]
    e.append(ember.randn(2))
    t.append(torch.randn(2))
    assert rep(t) == repr(e)
    assert type(e[1:]) is enn.ParameterList and len(e[1:]) == 3
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        e()
    with pytest.raises(TypeError):
        e.extend(ember.randn(2))
    with pytest.raises(IndexError):
        e[10]


def test_parameterdict():
    def mk(nn, T):
        return nn.ParameterDict({"w": nn.Parameter(T.ones(2, 2)), "a": T.zeros(3), "s": 1})

    t, e = mk(tnn, torch), mk(enn, ember)
    assert rep(t) == repr(e)
    assert list(e.keys()) == list(t.keys())
    assert isinstance(e["a"], enn.Parameter)
    for obj, T in ((t, torch), (e, ember)):
        obj["z"] = T.ones(1)
        obj.update([("q", T.ones(2))])
        obj.pop("w")
        obj.setdefault("k", T.zeros(5))
    assert rep(t) == repr(e)
    assert list(e.keys()) == list(t.keys())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert e.get("missing", 3) == 3
    k, v = e.popitem()
    k2, _ = t.popitem()
    assert k == k2
    c = e.copy()
    assert list(c.keys()) == list(e.keys())
    u = e | enn.ParameterDict({"new": ember.ones(1)})
    assert "new" in u and "new" not in e
    with pytest.raises(RuntimeError, match="ParameterDict should not be called."):
        e(1)
    e.clear()
    assert len(e) == 0
    with pytest.raises(TypeError):
        e[1] = ember.ones(1)


def test_containers_train_eval_and_state_dict():
    t, e = both(
        lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ModuleList([nn.Linear(3, 3)]), nn.ModuleDict({"x": nn.ReLU()}))
    )
    assert list(e.state_dict()) == list(t.state_dict())
    e.eval()
    assert all(not m.training for m in e.modules())
    sd = {k: ember.tensor(to_np(v)) for k, v in t.state_dict().items()}
    e.load_state_dict(sd)
    np.testing.assert_array_equal(to_np(e[1][0].weight), to_np(t[1][0].weight))
