"""CUDA random numbers: the Philox4x32-10 stream (ember/_philox.py), the CUDA generator's state, and draws made
on the device (the emulated CUDA C on the CuPy stand-in) against the same draws made on the host."""

import fakecupy
import numpy as np
import pytest
from fakecupy import rawkernels

import ember
from ember import _philox
from ember.cuda import _fused

# Random123's known-answer vectors for philox4x32 10 (tests/kat_vectors): counter, key, result
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


@pytest.mark.parametrize("ctr,key,want", KAT)
def test_philox_known_answers(ctr, key, want):
    out = _philox.philox4x32_10(*([c] for c in ctr), *key)
    assert tuple(int(o[0]) for o in out) == want


def test_stream_words_are_counter_lanes_and_slice_consistently():
    seed = 0x1234_5678_9ABC_DEF0
    w = _philox.words(seed, 0, 40)
    blk = _philox.philox4x32_10([3], [0], [0], [0], seed & 0xFFFFFFFF, seed >> 32)
    assert [int(b[0]) for b in blk] == [int(v) for v in w[12:16]]  # words 12..15 are block 3
    for off, n in ((1, 5), (3, 9), (13, 27), (39, 1)):
        np.testing.assert_array_equal(_philox.words(seed, off, n), w[off : off + n])


def test_cuda_generator_state_is_seed_and_offset():
    g = ember.Generator("cuda")
    assert type(g).__name__ == "CudaGenerator" and g.device.type == "cuda"
    g.manual_seed(7)
    st = g.get_state()
    assert st.dtype == ember.uint8 and tuple(st.shape) == (16,)
    assert np.frombuffer(st.numpy().tobytes(), np.uint64).tolist() == [7, 0]
    a = g.uniform((5,), np.dtype(np.float32))
    assert np.frombuffer(g.get_state().numpy().tobytes(), np.uint64).tolist() == [7, 5]  # five words drawn
    g.set_state(st)
    np.testing.assert_array_equal(g.uniform((5,), np.dtype(np.float32)), a)
    g.set_state(ember.tensor(np.array([7], np.uint64).view(np.uint8)))  # a seed alone: offset 0
    np.testing.assert_array_equal(g.uniform((5,), np.dtype(np.float32)), a)
    with pytest.raises(RuntimeError, match="RNG state is wrong size"):
        g.set_state(ember.zeros(12, dtype=ember.uint8))
    assert g.initial_seed() == 7
    c = g.clone_state()
    np.testing.assert_array_equal(c.normal((4,), np.dtype(np.float64)), g.normal((4,), np.dtype(np.float64)))


def test_host_samplers_on_the_cuda_stream():
    g = ember.Generator("cuda").manual_seed(11)
    u = g.uniform((20000,), np.dtype(np.float64), -1.0, 3.0)
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.05
    z = g.normal((20001,), np.dtype(np.float32), 2.0, 0.5)
    assert z.dtype == np.float32 and abs(z.mean() - 2.0) < 0.02 and abs(z.std() - 0.5) < 0.02
    b = g.bernoulli(np.full(20000, 0.25), np.dtype(np.float32))
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.25) < 0.02
    assert sorted(g.permutation(10).tolist()) == list(range(10))
    p = g.poisson(np.full(5000, 3.0), np.dtype(np.float32))
    assert abs(p.mean() - 3.0) < 0.15


@pytest.fixture
def fake_cuda_kernels():
    with rawkernels.installed() as calls:
        yield calls


def _draws(dt):
    ember.cuda.manual_seed(5)
    return [
        ember.rand(1001, device="cuda", dtype=dt),
        ember.randn(3, 333, device="cuda", dtype=dt),
        ember.empty(999, device="cuda", dtype=dt).bernoulli_(0.3),
        ember.empty(17, 3, device="cuda", dtype=dt).uniform_(-2.0, 5.0),
        ember.empty(500, device="cuda", dtype=dt).normal_(1.5, 0.25),
        ember.rand_like(ember.zeros(7, device="cuda", dtype=dt)),
        ember.nn.functional.dropout(ember.ones(40, 50, device="cuda", dtype=dt), 0.3),
        ember.nn.functional.dropout2d(ember.ones(4, 6, 5, 5, device="cuda", dtype=dt), 0.5),
    ]


@pytest.mark.skipif(not rawkernels.EMULATE, reason="no host C++ compiler to emulate the CUDA C")
@pytest.mark.parametrize("dt", [ember.float32, ember.float64])
def test_device_draws_equal_host_draws(fake_cuda_kernels, dt):
    dev = _draws(dt)
    state = ember.cuda.get_rng_state()
    assert fake_cuda_kernels["rng_uniform"] == 3 and fake_cuda_kernels["rng_normal"] == 2
    assert fake_cuda_kernels["rng_bernoulli"] == 3  # bernoulli_ and both dropouts: mask and scale in one kernel
    with _fused.disabled():  # the same program drawn on the host side of the generator
        host = _draws(dt)
        np.testing.assert_array_equal(ember.cuda.get_rng_state().numpy(), state.numpy())
    for i, (d, h) in enumerate(zip(dev, host)):
        assert d.device.type == "cuda" and d.dtype == dt and d.shape == h.shape
        if i in (1, 4):  # normals: libm's log/cos against the device's, to the last bits
            np.testing.assert_allclose(d.cpu().numpy(), h.cpu().numpy(), rtol=1e-6 if dt == ember.float32 else 1e-14)
        else:
            np.testing.assert_array_equal(d.cpu().numpy(), h.cpu().numpy(), err_msg=f"draw {i}")
    keep = dev[6].cpu().numpy()
    assert set(np.unique(keep)) == {0.0, np.float32(1) / np.float32(0.7) if dt == ember.float32 else 1 / 0.7}
    assert abs((keep == 0).mean() - 0.3) < 0.05


@pytest.mark.skipif(not rawkernels.EMULATE, reason="no host C++ compiler to emulate the CUDA C")
def test_seeding_replays_and_dropout_trains(fake_cuda_kernels):
    ember.manual_seed(0)  # seeds the CUDA generators too
    a = ember.randn(64, device="cuda")
    ember.manual_seed(0)
    np.testing.assert_array_equal(ember.randn(64, device="cuda").cpu().numpy(), a.cpu().numpy())
    x = ember.randn(8, 16, device="cuda", requires_grad=True)
    y = ember.nn.functional.dropout(x, 0.25)
    y.sum().backward()
    mask = (y.detach().cpu().numpy() != 0) | (x.detach().cpu().numpy() == 0)
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.where(mask, 1 / 0.75, 0.0), rtol=1e-6)


def test_a_generator_of_another_device_type_is_refused():
    with fakecupy.ember_on_stand_in():
        with pytest.raises(RuntimeError, match="Expected a 'cuda' device type for generator but found 'cpu'"):
            ember.rand(3, device="cuda", generator=ember.Generator())
        with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator but found 'cuda'"):
            ember.randn(3, generator=ember.Generator("cuda"))
