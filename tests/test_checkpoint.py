"""ember.utils.checkpoint: same gradients as without checkpointing (dropout included), less memory, torch's errors."""

import tracemalloc
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.utils.checkpoint  # noqa: F401 - until ember.utils imports it

from compare import check, check_error, raised


def check_error_named(fn):
    """Like check_error for exception classes each library defines itself (CheckpointError)."""
    t, e = raised(fn, torch), raised(fn, ember)
    assert t is not None and e is not None, (t, e)
    assert type(e).__name__ == type(t).__name__, (e, t)
    assert isinstance(e, RuntimeError) == isinstance(t, RuntimeError)


def CK(L):
    return L.utils.checkpoint


def model(L, width=16, p=0.5):
    L.manual_seed(0)
    nn = L.nn
    return nn.Sequential(
        nn.Linear(8, width),
        nn.ReLU(),
        nn.Dropout(p),
        nn.Linear(width, width),
        nn.Tanh(),
        nn.Dropout(p / 2),
        nn.Linear(width, 4),
    )


def run_model(mode, L=ember):
    m = model(L)
    L.manual_seed(1)
    x = L.randn(5, 8, requires_grad=True)
    L.manual_seed(2)
    if mode == "plain":
        out = m(x)
    elif mode == "seq-reentrant":
        out = CK(L).checkpoint_sequential(m, 3, x, use_reentrant=True)
    elif mode == "seq":
        out = CK(L).checkpoint_sequential(m, 3, x, use_reentrant=False)
    else:
        out = CK(L).checkpoint(m, x, use_reentrant=mode)
    after = L.rand(3)  # the generator state after the forward must not depend on checkpointing
    (out**2).sum().backward()
    after_backward = L.rand(3)
    return [out.detach(), x.grad, after, after_backward] + [p.grad for p in m.parameters()]


@pytest.mark.parametrize("mode", [True, False, "seq", "seq-reentrant"])
def test_same_gradients_as_without_checkpoint(mode):
    ref = run_model("plain")
    got = run_model(mode)
    for a, b in zip(ref, got):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("mode", [True, False])
def test_matches_torch(mode):
    # torch's dropout masks differ from ember's for a seed, so compare without dropout
    def run(L):
        m = model(L, p=0.0)
        x = L.linspace(-1, 1, 40).reshape(5, 8).requires_grad_()
        out = CK(L).checkpoint(m, x, use_reentrant=mode)
        out.sum().backward()
        return [out, x.grad, m[0].weight.grad, m[6].bias.grad, type(out.grad_fn).__name__]

    t, e = run(torch), run(ember)
    from compare import same

    same(t[:4], e[:4])
    assert e[4] == t[4].replace("torch", "ember")


def test_no_rng_preservation_changes_dropout_mask():
    ref = run_model("plain")
    m = model(ember)
    ember.manual_seed(1)
    x = ember.randn(5, 8, requires_grad=True)
    ember.manual_seed(2)
    out = ember.utils.checkpoint.checkpoint(m, x, use_reentrant=False, preserve_rng_state=False)
    (out**2).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), ref[0].numpy(), rtol=1e-6)
    assert not np.allclose(x.grad.numpy(), ref[1].numpy())


def test_use_reentrant_not_passed_warns_like_torch():
    for L in (torch, ember):
        x = L.ones(2, requires_grad=True)
        with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed explicitly"):
            y = CK(L).checkpoint(lambda a: a.sin(), x)
        y.sum().backward()
        with pytest.warns(UserWarning, match="use_reentrant"):
            CK(L).checkpoint_sequential([lambda a: a * 2, lambda a: a + 1], 2, x)


def test_reentrant_warns_when_no_input_requires_grad():
    for L in (torch, ember):
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            y = CK(L).checkpoint(lambda a: a * 2, L.ones(2), use_reentrant=True)
        assert not y.requires_grad


def test_errors_match_torch():
    def grad_with_reentrant(L):
        x = L.ones(2, requires_grad=True)
        y = CK(L).checkpoint(lambda a: a.sin(), x, use_reentrant=True)
        L.autograd.grad(y.sum(), x)

    check_error(grad_with_reentrant)

    def backward_inputs_with_reentrant(L):
        x = L.ones(2, requires_grad=True)
        y = CK(L).checkpoint(lambda a: a.sin(), x, use_reentrant=True)
        y.sum().backward(inputs=[x])

    check_error(backward_inputs_with_reentrant)
    check_error(lambda L: CK(L).checkpoint(lambda a: a, L.ones(2), use_reentrant=True, foo=1))
    check_error(lambda L: CK(L).checkpoint(lambda a: a, L.ones(2), use_reentrant=True, debug=True))
    check_error(lambda L: CK(L).checkpoint(lambda a: a, L.ones(2), use_reentrant=False, determinism_check="x"))
    check_error(lambda L: CK(L).checkpoint_sequential([lambda a: a], 1, L.ones(2), use_reentrant=False, foo=1))

    def different_number_saved(L):
        x = L.ones(2, requires_grad=True)
        calls = []

        def f(a):
            calls.append(1)
            return a.exp().exp() if len(calls) == 1 else a.exp()

        y = CK(L).checkpoint(f, x, use_reentrant=False)
        y.sum().backward()

    check_error_named(different_number_saved)

    def different_metadata(L):
        x = L.ones(2, 3, requires_grad=True)
        calls = []

        def f(a):
            calls.append(1)
            b = a if len(calls) == 1 else a[:1]
            return b.exp().sum()

        y = CK(L).checkpoint(f, x, use_reentrant=False)
        y.backward()

    check_error_named(different_metadata)


def test_checkpoint_error_is_runtime_error():
    assert issubclass(ember.utils.checkpoint.CheckpointError, RuntimeError)
    x = ember.ones(2, requires_grad=True)
    calls = []

    def f(a):
        calls.append(1)
        return a.exp().exp() if len(calls) == 1 else a.exp()

    y = ember.utils.checkpoint.checkpoint(f, x, use_reentrant=False)
    with pytest.raises(ember.utils.checkpoint.CheckpointError, match="A different number of tensors was saved"):
        y.sum().backward()


def test_non_reentrant_grad_kwargs_retain_graph_and_nested():
    def run(L):
        x = L.tensor([0.5, -1.0, 2.0], requires_grad=True)
        w = L.tensor([1.5, 2.0, -0.5], requires_grad=True)
        y = CK(L).checkpoint(lambda a, k=1.0: (a * w).sin() * k, x, use_reentrant=False, k=3.0)
        g = L.autograd.grad(y.sum(), (x, w), retain_graph=True)
        y.sum().backward(retain_graph=True)
        y.sum().backward()

        def outer(a):
            return CK(L).checkpoint(lambda b: (b * b).exp(), a, use_reentrant=False).cos()

        z = CK(L).checkpoint(outer, x, use_reentrant=False)
        gz = L.autograd.grad(z.sum(), x)
        return [y, g, x.grad, w.grad, z, gz]

    check(run)


def test_non_reentrant_input_modified_in_place():
    def run(L):
        x = L.ones(3, requires_grad=True)
        a = x * 2
        y = CK(L).checkpoint(lambda t: t.sin(), a, use_reentrant=False)
        a.mul_(3)
        y.sum().backward()

    check_error(run)


def test_context_fn():
    entered = []

    class Ctx:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            entered.append(self.name)

        def __exit__(self, *exc):
            return False

    x = ember.ones(2, requires_grad=True)
    y = ember.utils.checkpoint.checkpoint(
        lambda a: a.exp(), x, use_reentrant=False, context_fn=lambda: (Ctx("fwd"), Ctx("recompute"))
    )
    assert entered == ["fwd"]
    y.sum().backward()
    assert entered == ["fwd", "recompute"]


def _mlp(depth=20, width=256):
    ember.manual_seed(0)
    layers = []
    for _ in range(depth):
        layers += [ember.nn.Linear(width, width), ember.nn.ReLU()]
    return ember.nn.Sequential(*layers)


def _peak_forward(fn, x):
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    out = fn(x)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return out, peak


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_peak_memory_well_below(use_reentrant):
    m = _mlp()
    x = ember.randn(256, 256, requires_grad=True)  # activations: 256 KiB each
    out_plain, plain = _peak_forward(m, x)
    del out_plain
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out_ck, ck = _peak_forward(lambda t: ember.utils.checkpoint.checkpoint(m, t, use_reentrant=use_reentrant), x)
    # without checkpointing ~40 activations stay alive; with it only a couple at a time
    assert ck < plain / 4, (ck, plain)
    out_ck.sum().backward()
    assert x.grad is not None and m[0].weight.grad is not None
