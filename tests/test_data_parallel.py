"""nn.DataParallel and nn.parallel's pieces: without a GPU the module runs as it is (as torch's); on the CuPy
stand-in's two devices (tests/fakecupy) the batch is split between them, a replica runs on each, and the
outputs, the gradients in the original module's parameters and a few SGD steps equal one CPU module's on the
whole batch in torch."""

import warnings
from collections import namedtuple

import fakecupy
import numpy as np
import pytest
import torch

import ember
import ember.nn as nn

RNG = np.random.default_rng(0)


def _pair(seed=0):
    torch.manual_seed(seed)
    t = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    e = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return t, e


def test_without_a_gpu_the_module_runs_as_it_is():
    t, e = _pair()
    td, ed = torch.nn.DataParallel(t), nn.DataParallel(e)
    assert ed.device_ids == td.device_ids == []
    assert list(ed.state_dict()) == list(td.state_dict())
    assert repr(ed) == repr(td).replace("torch.nn", "ember.nn")
    x = RNG.standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(ed(ember.tensor(x)).detach().numpy(), td(torch.tensor(x)).detach().numpy(), rtol=1e-6)
    out = nn.parallel.data_parallel(e, ember.tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-6)


@pytest.fixture
def two_gpus():
    with fakecupy.ember_on_stand_in():
        fakecupy.cuda.runtime.setDevice(0)
        yield


@pytest.mark.parametrize("batch", [6, 5, 1])
def test_training_on_two_gpus_matches_one_cpu_module(two_gpus, batch):
    t, e = _pair()
    e.to("cuda:0")
    dp = nn.DataParallel(e)
    assert dp.device_ids == [0, 1] and dp.output_device == 0
    topt, eopt = (
        torch.optim.SGD(t.parameters(), lr=0.1, momentum=0.9),
        ember.optim.SGD(dp.parameters(), lr=0.1, momentum=0.9),
    )
    for _ in range(3):
        x = RNG.standard_normal((batch, 5)).astype(np.float32)
        y = RNG.integers(0, 3, batch)
        tl = torch.nn.functional.cross_entropy(t(torch.tensor(x)), torch.tensor(y))
        out = dp(ember.tensor(x))  # scattered from the CPU
        assert out.device == ember.device("cuda:0") and tuple(out.shape) == (batch, 3)
        el = ember.nn.functional.cross_entropy(out, ember.tensor(y, device="cuda:0"))
        np.testing.assert_allclose(el.item(), tl.item(), rtol=1e-5)
        topt.zero_grad()
        eopt.zero_grad()
        tl.backward()
        el.backward()
        for (name, tp), ep in zip(t.named_parameters(), e.parameters()):
            assert ep.grad.device == ember.device("cuda:0"), name
            np.testing.assert_allclose(ep.grad.cpu().numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
        topt.step()
        eopt.step()
    for tp, ep in zip(t.parameters(), e.parameters()):
        np.testing.assert_allclose(ep.detach().cpu().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert ember.cuda.current_device() == 0


class _Multi(nn.Module):
    """Takes keyword arguments and returns a dict holding a tensor and a named tuple of tensors."""

    Out = namedtuple("Out", "a b")

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 2)

    def forward(self, x, *, scale, tag):
        h = self.lin(x) * scale
        return {"h": h, "pair": self.Out(h.sum(1), x[:, :1] + len(tag))}


def test_scatter_and_gather_through_structures(two_gpus):
    m = _Multi().to("cuda:0")
    x = ember.tensor(RNG.standard_normal((5, 4)).astype(np.float32), device="cuda:0")
    scale = ember.full((5, 1), 2.0)
    out = nn.DataParallel(m)(x, scale=scale, tag="t")
    ref = m(x, scale=scale.to("cuda:0"), tag="t")
    np.testing.assert_allclose(out["h"].detach().cpu().numpy(), ref["h"].detach().cpu().numpy(), rtol=1e-6)
    assert isinstance(out["pair"], _Multi.Out) and out["pair"].b.device == ember.device("cuda:0")
    for k in (0, 1):
        np.testing.assert_allclose(
            out["pair"][k].detach().cpu().numpy(), ref["pair"][k].detach().cpu().numpy(), rtol=1e-6
        )
    chunks = nn.parallel.scatter((x, [x, 3]), [0, 1])
    assert len(chunks) == 2 and chunks[1][0].device == ember.device("cuda:1") and chunks[1][1][1] == 3
    assert tuple(chunks[0][0].shape) == (3, 4) and tuple(chunks[1][0].shape) == (2, 4)


def test_scalar_outputs_are_gathered_into_a_vector(two_gpus):
    class Loss(nn.Module):
        def forward(self, x):
            return x.sum()

    x = ember.ones(4, 3, device="cuda:0")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = nn.DataParallel(Loss())(x)
    assert any("all input tensors were scalars" in str(m.message) for m in w)
    assert out.tolist() == [6.0, 6.0] and out.device == ember.device("cuda:0")


def test_parameters_on_another_device_are_refused(two_gpus):
    m = nn.Linear(2, 2).to("cuda:1")
    with pytest.raises(RuntimeError, match=r"module must have its parameters and buffers on device cuda:0"):
        nn.DataParallel(m)(ember.ones(2, 2, device="cuda:0"))


def test_replicas_share_the_parameters_and_copy_buffers(two_gpus):
    m = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3)).to("cuda:0")
    r0, r1 = nn.parallel.replicate(m, [0, 1])
    assert r0[0].weight is m[0].weight and r0[1].running_mean is m[1].running_mean
    assert r1[0].weight.device == ember.device("cuda:1") and r1[0].weight.grad_fn is not None
    assert r1[1].running_mean.device == ember.device("cuda:1") and r1[1].running_mean.grad_fn is None
    assert list(r1.parameters()) == []  # replicas hold tensors, not Parameters, as torch's
    (
        r0(ember.randn(4, 3, device="cuda:0")).sum() + r1(ember.randn(4, 3, device="cuda:1")).sum().to("cuda:0")
    ).backward()
    assert m[0].weight.grad.device == ember.device("cuda:0")
