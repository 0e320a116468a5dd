"""ember.autograd.forward_ad against torch.autograd.forward_ad: same primals and tangents, same results."""

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfwd

import ember
from ember.autograd import forward_ad as efwd


def _rand(*shape, seed=0, positive=False):
    r = np.random.RandomState(seed + len(shape) * 7 + sum(shape))
    a = r.randn(*shape)
    if positive:
        a = np.abs(a) + 0.5
    return a


def _run(mod, fwd, fn, primals, tangents):
    with fwd.dual_level():
        duals = [fwd.make_dual(mod.tensor(p), mod.tensor(t)) for p, t in zip(primals, tangents)]
        out = fn(mod, *duals)
        outs = out if isinstance(out, tuple) else (out,)
        res = []
        for o in outs:
            p, t = fwd.unpack_dual(o)
            res.append((p.detach().numpy().copy(), None if t is None else t.detach().numpy().copy()))
    return res


def _F(mod):
    return mod.nn.functional


CASES = [
    ("add", lambda m, x, y: x + y, [(3, 4), (4,)]),
    ("mul_scalar", lambda m, x: x * 2.5 - 1, [(3,)]),
    ("div", lambda m, x, y: x / y, [(2, 3), (2, 3, "pos")]),
    ("pow", lambda m, x: x.abs() ** 1.5, [(5,)]),
    ("exp_log", lambda m, x: m.log(m.exp(x) + 1), [(2, 3)]),
    ("sin_cos_tanh", lambda m, x: m.sin(x) * m.cos(x) + m.tanh(x), [(4,)]),
    ("sigmoid_relu", lambda m, x: m.sigmoid(x) + m.relu(x), [(3, 3)]),
    ("sqrt", lambda m, x: m.sqrt(x), [(3, "pos")]),
    ("sum_dim", lambda m, x: x.sum(1), [(3, 4)]),
    ("mean_all", lambda m, x: x.mean(), [(3, 4)]),
    ("amax", lambda m, x: m.amax(x, dim=0), [(3, 4)]),
    ("var", lambda m, x: x.var(0), [(5, 2)]),
    ("norm", lambda m, x: m.linalg.vector_norm(x, dim=-1), [(3, 4)]),
    ("matmul", lambda m, x, y: x @ y, [(3, 4), (4, 2)]),
    ("bmm", lambda m, x, y: m.bmm(x, y), [(2, 3, 4), (2, 4, 2)]),
    ("views", lambda m, x: x.view(6, 2).t().reshape(3, 4).unsqueeze(0).transpose(0, 2), [(2, 3, 2)]),
    ("permute_flatten", lambda m, x: x.permute(2, 0, 1).flatten(1), [(2, 3, 4)]),
    ("indexing", lambda m, x: x[1:, ::2] * x[0, 1], [(3, 4)]),
    ("index_tensor", lambda m, x: x[m.tensor([2, 0, 2])], [(3, 4)]),
    ("cat_stack", lambda m, x, y: m.cat([x, m.stack([y, y])], 0), [(1, 3), (3,)]),
    ("where", lambda m, x: m.where(x > 0, x, x * x), [(6,)]),
    ("softmax", lambda m, x: m.softmax(x, -1), [(3, 5)]),
    ("log_softmax", lambda m, x: m.log_softmax(x, 0), [(3, 5)]),
    ("linear", lambda m, x, w, b: _F(m).linear(x, w, b), [(2, 3), (4, 3), (4,)]),
    ("conv2d", lambda m, x, w: _F(m).conv2d(x, w, padding=1), [(1, 2, 5, 5), (3, 2, 3, 3)]),
    ("layer_norm", lambda m, x, w: _F(m).layer_norm(x, (4,), w), [(3, 4), (4,)]),
    ("mse", lambda m, x, y: _F(m).mse_loss(x, y), [(3, 4), (3, 4)]),
    ("two_outputs", lambda m, x: (x.sin(), x.sum()), [(3,)]),
]


def _inputs(specs, seed):
    ps, ts = [], []
    for i, s in enumerate(specs):
        pos = s[-1] == "pos"
        shape = tuple(d for d in s if d != "pos")
        ps.append(_rand(*shape, seed=seed + i, positive=pos).astype(np.float64))
        ts.append(_rand(*shape, seed=seed + 100 + i).astype(np.float64))
    return ps, ts


@pytest.mark.parametrize("name,fn,specs", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, fn, specs):
    ps, ts = _inputs(specs, 1)
    got = _run(ember, efwd, fn, ps, ts)
    want = _run(torch, tfwd, fn, ps, ts)
    assert len(got) == len(want)
    for (gp, gt), (wp, wt) in zip(got, want):
        np.testing.assert_allclose(gp, wp, rtol=1e-6, atol=1e-8)
        assert (gt is None) == (wt is None)
        if wt is not None:
            assert gt.shape == wt.shape
            np.testing.assert_allclose(gt, wt, rtol=1e-6, atol=1e-8)


def test_float32_tangent_dtype():
    x = np.random.RandomState(0).randn(3).astype(np.float32)
    with efwd.dual_level():
        d = efwd.make_dual(ember.tensor(x), ember.ones(3))
        p, t = efwd.unpack_dual((d * d).sum())
        assert t.dtype == ember.float32
        np.testing.assert_allclose(t.numpy(), 2 * x.sum(), rtol=1e-5)


def test_unpack_dual_of_dual_and_of_plain():
    with efwd.dual_level():
        x = ember.randn(3)
        t = ember.randn(3)
        d = efwd.make_dual(x, t)
        up = efwd.unpack_dual(d)
        assert isinstance(up, efwd.UnpackedDualTensor)
        assert up.tangent is t
        np.testing.assert_array_equal(up.primal.numpy(), x.numpy())
        assert efwd.unpack_dual(ember.ones(2)).tangent is None
        # an output that does not depend on the dual input
        assert efwd.unpack_dual(ember.ones(2) * 3).tangent is None
        # non-differentiable path: argmax has no tangent
        assert efwd.unpack_dual(d.argmax()).tangent is None
        # primal of a computed dual has no graph of its own
        p = efwd.unpack_dual(d * 2).primal
        assert not p.requires_grad


def test_exit_level_clears_tangents():
    with efwd.dual_level():
        d = efwd.make_dual(ember.randn(3), ember.randn(3))
        y = d * 2
    assert efwd.unpack_dual(d).tangent is None
    assert efwd.unpack_dual(y).tangent is None
    with efwd.dual_level():
        assert efwd.unpack_dual(y).tangent is None


def test_enter_exit_levels():
    lvl = efwd.enter_dual_level()
    assert lvl == 0
    with pytest.raises(RuntimeError, match="Nested forward mode AD"):
        efwd.enter_dual_level()
    with pytest.raises(RuntimeError, match="not the last one"):
        efwd.exit_dual_level(level=5)
    efwd.exit_dual_level()
    with efwd.dual_level() as lv:
        assert lv == 0


def test_make_dual_errors():
    with pytest.raises(RuntimeError, match="no level exists"):
        efwd.make_dual(ember.randn(2), ember.randn(2))
    with efwd.dual_level():
        with pytest.raises(ValueError, match="Expected primal to be floating point"):
            efwd.make_dual(ember.tensor([1, 2]), ember.randn(2))
        with pytest.raises(ValueError, match="Expected tangent to be floating point"):
            efwd.make_dual(ember.randn(2), ember.tensor([1, 2]))
        with pytest.raises(RuntimeError, match="different size"):
            efwd.make_dual(ember.randn(2), ember.randn(3))


def test_backward_through_dual_reaches_primal():
    x = ember.randn(3, requires_grad=True)
    with efwd.dual_level():
        d = efwd.make_dual(x, ember.ones(3))
        y = (d * d).sum()
        # ember: tangents live in the graph, so read them before a backward that frees it
        _, t = efwd.unpack_dual(y)
        np.testing.assert_allclose(t.numpy(), 2 * x.detach().numpy().sum(), rtol=1e-5)
        y.backward()
        np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy(), rtol=1e-6)


def test_tangent_cached_and_inplace():
    with efwd.dual_level():
        d = efwd.make_dual(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 0.0]))
        y = d * 3
        t1 = efwd.unpack_dual(y).tangent
        assert efwd.unpack_dual(y).tangent is t1
        y.mul_(2)  # the tangent follows in-place updates
        np.testing.assert_allclose(efwd.unpack_dual(y).tangent.numpy(), [6.0, 0.0])


def test_several_duals():
    with efwd.dual_level(), tfwd.dual_level():
        a, b = np.array([1.0, 2.0]), np.array([0.5, -1.0])
        ta, tb = np.array([1.0, 0.0]), np.array([0.0, 2.0])
        ea = efwd.make_dual(ember.tensor(a), ember.tensor(ta))
        eb = efwd.make_dual(ember.tensor(b), ember.tensor(tb))
        tA = tfwd.make_dual(torch.tensor(a), torch.tensor(ta))
        tB = tfwd.make_dual(torch.tensor(b), torch.tensor(tb))
        got = efwd.unpack_dual(ea * eb.exp()).tangent.numpy()
        want = tfwd.unpack_dual(tA * tB.exp()).tangent.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-7)
