"""Tensors on a GPU other than the current one, on the CuPy stand-in's two devices (tests/fakecupy), which
refuses, as CuPy does, any kernel whose arrays live on another device than the current one.

torch runs each op on its inputs' device; ember's device guard (ember/_device_guard.py) does the same once a
second device is in use, and stays off (costing nothing) while one is. Checked here: the whole op table and a
model split over both devices (forward, backward across `.to`, gradient clipping, optimizers) with device 0
current and the data on device 1, against torch on the CPU; factories with an explicit `cuda:1`; when the
guard turns on and that it puts the current device back. tests/test_fake_cuda_nn.py also runs every nn and
optim check a second time on device 1.
"""

import fakecupy
import numpy as np
import pytest
import test_fake_cuda as table
import torch

import ember
import ember.cuda
import ember.nn.functional as EF
from ember import _device_guard

import oracle

ONE = ember.device("cuda:1")


@pytest.fixture(autouse=True)
def two_gpus():
    """The stand-in with device 0 current; the guard is switched off again afterwards."""
    with fakecupy.ember_on_stand_in():
        fakecupy.cuda.runtime.setDevice(0)
        yield
        assert not _device_guard.ACTIVE or ember.cuda.current_device() == 0, "the current device moved"
    assert not _device_guard.ACTIVE and ember.add is _device_guard.unwrapped(ember.add)


def on_one(t, what="result"):
    assert t.device == ONE, f"{what}: on {t.device}"
    assert t._data.device.id == 1, f"{what}: data on device {t._data.device.id}"


# -- when the guard turns on -------------------------------------------------------------------------------------


def test_guard_stays_off_with_one_device():
    x = ember.randn(4, 3, device="cuda", requires_grad=True)
    w = ember.nn.Linear(3, 2).cuda()
    opt = ember.optim.Adam(w.parameters())
    w(x).sum().backward()
    opt.step()
    ember.cuda.set_device(0)
    with ember.cuda.device(0):
        ember.zeros(2, device="cuda:0")
    assert not _device_guard.ACTIVE
    assert ember.add is _device_guard.unwrapped(ember.add) and "__device_guarded__" not in vars(ember.Tensor.add)


def test_one_process_per_gpu_keeps_the_guard_off(monkeypatch):
    """set_device(rank) before any allocation, as one-process-per-GPU programs do: everything then lives on the
    current device and no guard is needed."""
    monkeypatch.setattr(fakecupy.cuda, "_POOL", fakecupy.cuda.MemoryPool())  # a fresh process: nothing allocated
    ember.cuda.set_device(1)
    x = ember.randn(3, 3, device="cuda")
    y = (x @ x).relu().sum()
    on_one(y)
    assert not _device_guard.ACTIVE
    assert ember.cuda.current_device() == 1
    ember.cuda.set_device(0)


def test_switching_away_from_a_device_that_holds_tensors_turns_it_on():
    a = ember.ones(3, device="cuda")
    ember.cuda.set_device(1)
    try:
        assert _device_guard.ACTIVE
        b = a * 2 + a.exp()  # a lives on device 0, the current device is 1
        assert b.device == ember.device("cuda:0") and b._data.device.id == 0
        assert ember.cuda.current_device() == 1
        c = ember.ones(3, device="cuda")
        assert c.device == ONE
    finally:
        ember.cuda.set_device(0)


def test_device_context_allocations_are_usable_after_the_block():
    ember.zeros(1, device="cuda")
    with ember.cuda.device(1):
        a = ember.arange(6.0, device="cuda").reshape(2, 3)
    on_one(a)
    r = (a.softmax(-1) * a).sum(0)
    on_one(r)
    np.testing.assert_allclose(
        r.cpu().numpy(), (torch.arange(6.0).reshape(2, 3).softmax(-1) * torch.arange(6.0).reshape(2, 3)).sum(0)
    )


# -- factories ---------------------------------------------------------------------------------------------------

FACTORIES = {
    "zeros": lambda d: ember.zeros(2, 3, device=d),
    "ones": lambda d: ember.ones(3, device=d),
    "empty": lambda d: ember.empty(3, device=d),
    "full": lambda d: ember.full((2,), 2.5, device=d),
    "eye": lambda d: ember.eye(3, 2, device=d),
    "arange-int": lambda d: ember.arange(5, device=d),
    "arange-float": lambda d: ember.arange(0.0, 1.0, 0.25, device=d),
    "linspace": lambda d: ember.linspace(0, 1, 5, device=d),
    "logspace": lambda d: ember.logspace(0, 1, 3, device=d),
    "tensor": lambda d: ember.tensor([1.0, 2.0], device=d),
    "empty_strided": lambda d: ember.empty_strided((2, 2), (2, 1), device=d),
    "complex-zeros": lambda d: ember.zeros(3, dtype=ember.complex64, device=d),
    "zeros_like-device": lambda d: ember.zeros_like(ember.ones(3), device=d),
    "Tensor.new_zeros": lambda d: ember.ones(2, device=d).new_zeros(3),
    "Tensor.new_full": lambda d: ember.ones(2, device=d).new_full((3,), 4.0),
    "Tensor.new_tensor": lambda d: ember.ones(2, device=d).new_tensor([1.0, 2.0]),
    "full_like": lambda d: ember.full_like(ember.ones(2, device=d), 3.0),
    "rand_like": lambda d: ember.rand_like(ember.ones(2, device=d)),
    "randn": lambda d: ember.randn(3, device=d),
    "randint": lambda d: ember.randint(0, 5, (3,), device=d),
    "randperm": lambda d: ember.randperm(4, device=d),
    "normal": lambda d: ember.normal(0.0, 1.0, (3,), device=d),
    "tril_indices": lambda d: ember.tril_indices(3, 4, -1, device=d),
    "triu_indices": lambda d: ember.triu_indices(4, 3, 1, device=d),
    "FloatTensor-sizes": lambda d: ember.Tensor(2, 3).to(d),
}


@pytest.mark.parametrize("name", list(FACTORIES))
def test_factory_places_on_the_named_device(name):
    make = FACTORIES[name]
    got = make("cuda:1")
    on_one(got)
    assert ember.cuda.current_device() == 0
    if name not in ("empty", "empty_strided", "rand_like", "randn", "randint", "randperm", "normal"):
        want = make("cpu")
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())


# -- the op table on the second device ---------------------------------------------------------------------------


def test_op_table_on_the_second_device():
    """Every op of the CUDA op table (forward, backward, grad_fn names; the first sample of each case) with its
    tensors on cuda:1 and device 0 current: results and gradients on cuda:1, equal to torch's on the CPU."""
    ember.zeros(1, device="cuda:1")
    assert _device_guard.ACTIVE
    saved_device, saved_on = oracle.DEVICE, table._on_cuda

    def on_cuda(t, what):
        saved_on(t, what)
        on_one(t, what)

    oracle.DEVICE, table._on_cuda = "cuda:1", on_cuda
    failures = []
    try:
        for (op, dt), key in zip(table.CASES, table.KEYS):
            s = table._samples(op, dt)[0]
            try:
                table.check_sample(op, dt, s)
                assert ember.cuda.current_device() == 0, "the current device changed"
            except Exception as e:  # noqa: BLE001 - collected, reported together below
                failures.append(f"{key}: {type(e).__name__}: {str(e)[:200]}")
                fakecupy.cuda.runtime.setDevice(0)
    finally:
        oracle.DEVICE, table._on_cuda = saved_device, saved_on
    assert len(table.CASES) > 500
    assert not failures, f"{len(failures)} cases fail on cuda:1:\n" + "\n".join(failures[:40])


def test_op_table_errors_on_the_second_device():
    """The table's bad inputs with tensors on cuda:1: torch's exception types, inputs untouched."""
    ember.zeros(1, device="cuda:1")
    saved = oracle.DEVICE
    oracle.DEVICE = "cuda:1"
    failures = []
    try:
        for err, key in zip(table.ERROR_CASES, table.ERROR_KEYS):
            try:
                oracle.check_error(err)
            except Exception as e:  # noqa: BLE001 - collected, reported together below
                failures.append(f"{key}: {type(e).__name__}: {str(e)[:200]}")
                fakecupy.cuda.runtime.setDevice(0)
    finally:
        oracle.DEVICE = saved
    assert len(table.ERROR_CASES) > 50
    assert not failures, f"{len(failures)} error cases differ on cuda:1:\n" + "\n".join(failures[:40])


MIXED = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: b * a,
    "add_": lambda a, b: b.add_(a),
    "addcmul": lambda a, b: ember.addcmul(a, b, a),
    "cat": lambda a, b: ember.cat([b, a]),
    "stack": lambda a, b: ember.stack([b, a]),
    "where": lambda a, b: ember.where(b > 0, a, b),
    "clamp": lambda a, b: b.clamp(a, a),
    "matmul": lambda a, b: b @ a,
    "mse_loss": lambda a, b: EF.mse_loss(a, b),
}


@pytest.mark.parametrize("name", list(MIXED))
def test_mixing_the_two_devices_is_torchs_error(name):
    a, b = ember.ones(2, device="cuda:0"), ember.ones(2, device="cuda:1")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found at least two"):
        MIXED[name](a, b)
    assert ember.cuda.current_device() == 0
    assert b.tolist() == [1.0, 1.0]


def test_copy_takes_its_source_from_the_other_device():
    """copy_ is the op that moves data between devices; its backward sends the source's gradient back."""
    src = ember.tensor([1.0, 2.0, 3.0], device="cuda:0", requires_grad=True)
    dst = ember.zeros(3, device="cuda:1")
    dst.copy_(src * 2)
    on_one(dst)
    assert dst.tolist() == [2.0, 4.0, 6.0]
    (dst * ember.tensor([1.0, 10.0, 100.0], device="cuda:1")).sum().backward()
    assert src.grad.device == ember.device("cuda:0") and src.grad.tolist() == [2.0, 20.0, 200.0]
    host = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    dst = ember.zeros(3, device="cuda:1")
    dst.copy_(host)
    (dst * 3).sum().backward()
    assert host.grad.device.type == "cpu" and host.grad.tolist() == [3.0, 3.0, 3.0]


def test_printing_and_reading_back():
    t = torch.tensor([[1.5, -2.0], [3.25, 4.0]])
    e = ember.tensor(t.numpy(), device="cuda:1")
    assert repr(e) == repr(t)[:-1] + ", device='cuda:1')"
    assert e[1, 0].item() == 3.25 and e.tolist() == t.tolist()
    assert bool((e > 0).any()) and float(e.sum()) == float(t.sum())


# -- a model split over the two devices --------------------------------------------------------------------------


def _split_models(seed):
    torch.manual_seed(seed)
    t1 = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.LayerNorm(8))
    t2 = torch.nn.Sequential(torch.nn.Linear(8, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    e1 = ember.nn.Sequential(ember.nn.Linear(5, 8), ember.nn.Tanh(), ember.nn.LayerNorm(8))
    e2 = ember.nn.Sequential(ember.nn.Linear(8, 6), ember.nn.ReLU(), ember.nn.Linear(6, 3))
    for t, e in ((t1, e1), (t2, e2)):
        e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return t1, t2, e1.to("cuda:1"), e2.to("cuda:0")


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
        ("Adam", dict(lr=0.01)),
        ("AdamW", dict(lr=0.01, amsgrad=True)),
        ("Adagrad", dict(lr=0.1)),
        ("RMSprop", dict(lr=0.01, momentum=0.5)),
    ],
)
def test_model_split_over_two_devices_trains_as_torch(name, kwargs):
    """The first stage on cuda:1 (not the current device), the second on cuda:0: forward with `.to` between,
    loss, backward across the devices, clip_grad_norm_ over both, the optimizer's step and zero_grad."""
    t1, t2, e1, e2 = _split_models(0)
    tparams = list(t1.parameters()) + list(t2.parameters())
    eparams = list(e1.parameters()) + list(e2.parameters())
    topt = getattr(torch.optim, name)(tparams, **kwargs)
    eopt = getattr(ember.optim, name)(eparams, **kwargs)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.standard_normal((4, 5)).astype(np.float32)
        y = rng.integers(0, 3, 4)
        tloss = torch.nn.functional.cross_entropy(t2(t1(torch.tensor(x))), torch.tensor(y))
        h = e1(ember.tensor(x, device="cuda:1"))
        on_one(h, "first stage")
        out = e2(h.to("cuda:0"))
        eloss = EF.cross_entropy(out, ember.tensor(y, device="cuda:0"))
        assert eloss.device == ember.device("cuda:0")
        np.testing.assert_allclose(eloss.item(), tloss.item(), rtol=1e-5)
        tloss.backward()
        eloss.backward()
        tn = torch.nn.utils.clip_grad_norm_(tparams, 0.5)
        en = ember.nn.utils.clip_grad_norm_(eparams, 0.5)
        assert en.device == ONE  # the first parameter's device, as torch
        np.testing.assert_allclose(en.item(), tn.item(), rtol=1e-5)
        topt.step()
        eopt.step()
        for i, (tp, ep) in enumerate(zip(tparams, eparams)):
            assert ep.device == (ONE if i < 4 else ember.device("cuda:0")), f"parameter {i} moved to {ep.device}"
            assert ep.grad.device == ep.device
            np.testing.assert_allclose(ep.detach().cpu().numpy(), tp.detach().numpy(), rtol=1e-4, atol=1e-6)
        for st in eopt.state.values():
            for v in st.values():
                if isinstance(v, ember.Tensor) and v.dim():
                    assert v.device.type == "cuda"
        topt.zero_grad(set_to_none=False)
        eopt.zero_grad(set_to_none=False)
        assert float(e1[0].weight.grad.abs().sum()) == 0.0
        assert ember.cuda.current_device() == 0


def test_gradient_flows_back_across_devices():
    xt = torch.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    wt = torch.tensor(np.arange(3.0), requires_grad=True)
    xe = ember.tensor(xt.detach().numpy(), device="cuda:1", requires_grad=True)
    we = ember.tensor(wt.detach().numpy(), device="cuda:0", requires_grad=True)
    ((xt.exp() * 2) * wt).sin().sum().backward()
    (((xe.exp() * 2).to("cuda:0") * we).sin().sum()).backward()
    on_one(xe.grad, "x.grad")
    assert we.grad.device == ember.device("cuda:0")
    np.testing.assert_allclose(xe.grad.cpu().numpy(), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(we.grad.cpu().numpy(), wt.grad.numpy(), rtol=1e-12)
    assert ember.cuda.current_device() == 0


def test_grad_scaler_and_autocast_on_the_second_device():
    torch.manual_seed(0)
    t = torch.nn.Linear(4, 2)
    e = ember.nn.Linear(4, 2)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    e.to("cuda:1")
    opt = ember.optim.SGD(e.parameters(), lr=0.1)
    scaler = ember.amp.GradScaler("cuda", init_scale=2.0**4)
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    with ember.autocast("cuda"):
        out = e(ember.tensor(x, device="cuda:1"))
    on_one(out)
    assert out.dtype == ember.float16
    scaler.scale(out.float().pow(2).sum()).backward()
    scaler.step(opt)
    scaler.update()
    on_one(scaler.get_scale() * ember.ones(1, device="cuda:1"))
    tl = t(torch.tensor(x)).pow(2).sum()
    tl.backward()
    with torch.no_grad():
        for p in t.parameters():
            p -= 0.1 * p.grad
    for tp, ep in zip(t.parameters(), e.parameters()):
        on_one(ep, "parameter")
        np.testing.assert_allclose(ep.detach().cpu().numpy(), tp.detach().numpy(), rtol=1e-2, atol=1e-2)
