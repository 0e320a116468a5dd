"""ember.amp.GradScaler against torch.amp.GradScaler: the CPU scaler step for step (scales, growth tracker,
skipped steps on injected inf/NaN, parameters), its state machine errors, and the disabled CUDA scaler."""

import pickle
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.amp
import ember.cpu
import ember.cuda

from oracle import to_numpy


def _warns(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = fn()
    return out, [(type(x.message), str(x.message)) for x in w]


@pytest.mark.skipif(ember.cuda.is_available(), reason="no-GPU behaviour")
def test_cuda_scaler_without_cuda_disables_itself_like_torch():
    t, tw = _warns(lambda: torch.amp.GradScaler())
    e, ew = _warns(lambda: ember.amp.GradScaler())
    assert ew == tw
    assert e.is_enabled() is t.is_enabled() is False
    assert e.get_scale() == t.get_scale() == 1.0
    assert e.state_dict() == t.state_dict() == {}
    x = ember.ones(2)
    assert e.scale(x) is x
    e.unscale_(None)
    e.update()
    e.load_state_dict({})


@pytest.mark.skipif(ember.cuda.is_available(), reason="no-GPU behaviour")
def test_deprecated_scaler_aliases_warn_like_torch():
    _, tw = _warns(lambda: torch.cuda.amp.GradScaler())
    e, ew = _warns(lambda: ember.cuda.amp.GradScaler())
    assert ew == tw and not e.is_enabled()
    _, tw = _warns(lambda: torch.cpu.amp.GradScaler())
    e, ew = _warns(lambda: ember.cpu.amp.GradScaler())
    assert ew == tw and e.is_enabled()


def test_cpu_scaler_defaults_and_scale():
    t, e = torch.amp.GradScaler("cpu"), ember.amp.GradScaler("cpu")
    assert e.is_enabled() and e.get_scale() == t.get_scale() == 65536.0
    assert e.state_dict() == t.state_dict()
    to = t.scale(torch.ones(2))
    eo = e.scale(ember.ones(2))
    np.testing.assert_array_equal(to_numpy(eo), to_numpy(to))
    assert str(e._scale.dtype).split(".")[-1] == "float32" and e._growth_tracker.dtype is ember.int32
    # nested iterables keep their types
    tl = t.scale([torch.ones(2), (torch.ones(1),)])
    el = e.scale([ember.ones(2), (ember.ones(1),)])
    assert type(el) is list and type(el[1]) is tuple
    np.testing.assert_array_equal(to_numpy(el[1][0]), to_numpy(tl[1][0]))
    # lower-precision outputs stay lower precision; integer outputs promote as in torch
    assert e.scale(ember.ones(2, dtype=ember.bfloat16)).dtype is ember.bfloat16
    assert str(t.scale(torch.ones(2, dtype=torch.int64)).dtype) == "torch.float32"
    assert e.scale(ember.ones(2, dtype=ember.int64)).dtype is ember.float32
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        e.scale(3.0)


@pytest.mark.parametrize("kw", [{"growth_factor": 1.0}, {"backoff_factor": 1.0}])
def test_bad_factors(kw):
    with pytest.raises(AssertionError):
        torch.amp.GradScaler("cpu", **kw)
    with pytest.raises(AssertionError):
        ember.amp.GradScaler("cpu", **kw)


def _models(seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(np.float32) * 0.3 for s in ((8, 5), (8,), (3, 8), (3,))]
    tm = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    em = ember.nn.Sequential(ember.nn.Linear(5, 8), ember.nn.Tanh(), ember.nn.Linear(8, 3))
    with torch.no_grad():
        for p, a in zip(tm.parameters(), arrays):
            p.copy_(torch.tensor(a))
    with ember.no_grad():
        for p, a in zip(em.parameters(), arrays):
            p.copy_(ember.tensor(a))
    return tm, em


@pytest.mark.parametrize("opt", ["SGD", "Adam"])
@pytest.mark.parametrize("unscale_first", [False, True])
def test_training_loop_matches_torch_step_for_step(opt, unscale_first):
    tm, em = _models()
    kw = {"lr": 0.05} if opt == "SGD" else {"lr": 0.01}
    topt = getattr(torch.optim, opt)(tm.parameters(), **kw)
    eopt = getattr(ember.optim, opt)(em.parameters(), **kw)
    ts = torch.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=3)
    es = ember.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=3)
    rng = np.random.default_rng(1)
    inject = {2: float("inf"), 5: float("nan"), 6: float("inf")}
    for step in range(12):
        x = rng.standard_normal((6, 5)).astype(np.float32)
        y = rng.integers(0, 3, 6)
        for lib, m, o, s in ((torch, tm, topt, ts), (ember, em, eopt, es)):
            o.zero_grad()
            loss = lib.nn.functional.cross_entropy(m(lib.tensor(x)), lib.tensor(y))
            s.scale(loss).backward()
            if step in inject:
                with lib.no_grad():
                    m[0].weight.grad[0, 0] = inject[step]
            if unscale_first:
                s.unscale_(o)
                lib.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
            s.step(o)
            s.update()
        assert es.get_scale() == ts.get_scale(), f"step {step}"
        assert es._get_growth_tracker() == ts._get_growth_tracker(), f"step {step}"
        for pe, pt in zip(em.parameters(), tm.parameters()):
            np.testing.assert_allclose(to_numpy(pe), to_numpy(pt), rtol=1e-5, atol=1e-6, err_msg=f"step {step}")
    assert es.state_dict() == ts.state_dict()


def test_growth_and_backoff_sequence_matches_torch():
    scales = []
    for lib, amp in ((torch, torch.amp), (ember, ember.amp)):
        p = lib.nn.Parameter(lib.ones(3))
        opt = lib.optim.SGD([p], lr=0.1)
        s = amp.GradScaler("cpu", init_scale=4.0, growth_factor=3.0, backoff_factor=0.25, growth_interval=2)
        seq = []
        for k in range(8):
            opt.zero_grad()
            s.scale((p * 2).sum()).backward()
            if k in (3, 4):
                p.grad[1] = float("nan")
            before = p.detach().clone()
            s.step(opt)
            seq.append((s.get_scale(), bool((p.detach() == before).all())))
            s.update()
            seq.append((s.get_scale(), s._get_growth_tracker()))
        scales.append(seq)
    assert scales[0] == scales[1]


def test_unscale_values_and_found_inf():
    tm, em = _models()
    for lib, m, s in (
        (torch, tm, torch.amp.GradScaler("cpu", init_scale=3.0)),
        (ember, em, ember.amp.GradScaler("cpu", init_scale=3.0)),
    ):
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        s.scale(m(lib.ones(2, 5)).sum()).backward()
        s.unscale_(opt)
        m._found = float(sum(v.item() for v in s._found_inf_per_device(opt).values()))
    for pe, pt in zip(em.parameters(), tm.parameters()):
        np.testing.assert_allclose(to_numpy(pe.grad), to_numpy(pt.grad), rtol=1e-6)
    assert em._found == tm._found == 0.0


def test_state_machine_errors_match_torch():
    for lib, amp in ((torch, torch.amp), (ember, ember.amp)):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([p], lr=0.1)
        s = amp.GradScaler("cpu")
        with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
            s.step(opt)
        with pytest.raises(AssertionError, match="Attempted update but _scale is None"):
            s.update()
        s.scale(p.sum()).backward()
        s.unscale_(opt)
        with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
            s.unscale_(opt)
        s.step(opt)
        with pytest.raises(RuntimeError, match="step\\(\\) has already been called since the last update"):
            s.step(opt)
        with pytest.raises(RuntimeError, match="unscale_\\(\\) is being called after step"):
            s.unscale_(opt)
        with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
            s.step(opt, closure=lambda: 0)
        s.update()
        with pytest.raises(AssertionError, match="No inf checks were recorded prior to update"):
            s.update()


def test_fp16_grads_cannot_be_unscaled():
    for lib, amp in ((torch, torch.amp), (ember, ember.amp)):
        p = lib.nn.Parameter(lib.ones(2, dtype=lib.float16))
        opt = lib.optim.SGD([p], lr=0.1)
        s = amp.GradScaler("cpu")
        s.scale(p.float().sum()).backward()
        with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients."):
            s.unscale_(opt)


def test_update_with_new_scale_and_state_dict_roundtrip():
    for lib, amp in ((torch, torch.amp), (ember, ember.amp)):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([p], lr=0.1)
        s = amp.GradScaler("cpu", growth_interval=7)
        s.scale(p.sum()).backward()
        s.step(opt)
        s.update(128.0)
        assert s.get_scale() == 128.0
        s.scale(p.sum()).backward()
        s.step(opt)
        s.update(lib.tensor(32.0))
        assert s.get_scale() == 32.0
        with pytest.raises(AssertionError):
            s.update(lib.tensor([1.0, 2.0]))
        sd = s.state_dict()
        assert sd == {
            "scale": 32.0,
            "growth_factor": 2.0,
            "backoff_factor": 0.5,
            "growth_interval": 7,
            "_growth_tracker": 0,
        }
        s2 = amp.GradScaler("cpu")
        s2.load_state_dict(sd)
        assert s2.state_dict() == sd
        with pytest.raises(RuntimeError, match="The source state dict is empty"):
            s2.load_state_dict({})
        s3 = pickle.loads(pickle.dumps(s))
        assert s3.state_dict() == sd
        assert s3.get_growth_interval() == 7
        s3.set_growth_factor(4.0)
        assert s3.get_growth_factor() == 4.0


def test_autocast_training_loop_matches_torch():
    """bfloat16 autocast (ember's linear wrapped with autocast_op, as the lead will wire it) + GradScaler."""
    from ember._autocast import autocast_op

    elinear = autocast_op("linear")(ember.nn.functional.linear)
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(s).astype(np.float32) * 0.3 for s in ((8, 5), (8,), (3, 8), (3,))]
    ep = [ember.tensor(a, requires_grad=True) for a in arrays]
    tp = [torch.tensor(a, requires_grad=True) for a in arrays]
    eopt, topt = ember.optim.SGD(ep, lr=0.1), torch.optim.SGD(tp, lr=0.1)
    es = ember.amp.GradScaler("cpu", init_scale=2.0**8, growth_interval=2)
    ts = torch.amp.GradScaler("cpu", init_scale=2.0**8, growth_interval=2)
    for step in range(6):
        x = rng.standard_normal((4, 5)).astype(np.float32)
        y = rng.integers(0, 3, 4)
        for lib, lin, p, o, s, ac in (
            (ember, elinear, ep, eopt, es, ember.amp.autocast),
            (torch, torch.nn.functional.linear, tp, topt, ts, torch.autocast),
        ):
            o.zero_grad()
            with ac("cpu"):
                out = lin(lib.tanh(lin(lib.tensor(x), p[0], p[1])), p[2], p[3])
            assert str(out.dtype).endswith("bfloat16")
            loss = lib.nn.functional.cross_entropy(out.float(), lib.tensor(y))
            s.scale(loss).backward()
            if step == 3:
                with lib.no_grad():
                    p[0].grad[0, 0] = float("inf")
            s.step(o)
            s.update()
        assert es.get_scale() == ts.get_scale()
        for a, b in zip(ep, tp):
            np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-2, atol=1e-3)
