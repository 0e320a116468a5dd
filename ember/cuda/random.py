"""CUDA random-number state (matches `torch.cuda.random`).

One ember Generator per GPU, created when ember.cuda initialises (`default_generators`). Seeding and
setting states before that (or on a machine without a GPU) are queued, as torch queues them, so they
are quiet no-ops without CUDA; reading a state or the initial seed needs the GPU and raises.

The generators are Philox4x32-10 streams (ember._generator.CudaGenerator, ember/_philox.py), as torch's
CUDA generators are: the state is torch's 16 bytes (seed, offset), random ops on CUDA tensors draw from
their device's generator, and uniform, normal and bernoulli samples (with dropout's masks) are drawn by a
kernel on the GPU, the other distributions on the host from the same stream. The numbers differ from
torch's CUDA numbers for the same seed (torch lays the stream out by its kernels' launch shapes).
"""

import os

from .._generator import Generator
from . import _lazy
from ._lazy import cp, device_index, lazy_call, lazy_init

__all__ = [
    "get_rng_state",
    "get_rng_state_all",
    "set_rng_state",
    "set_rng_state_all",
    "manual_seed",
    "manual_seed_all",
    "seed",
    "seed_all",
    "initial_seed",
]

default_generators = ()


def _make_generators():
    global default_generators
    n = cp().cuda.runtime.getDeviceCount()
    default_generators = tuple(Generator(f"cuda:{i}") for i in range(n))


_lazy._init_hooks.append(_make_generators)


def _index(device):
    if isinstance(device, str) and device == "cuda":
        return cp().cuda.runtime.getDevice()
    return device_index(device, optional=True)


def generator_for(device=None):
    """The default generator of a CUDA device (for ops that draw on the GPU)."""
    lazy_init()
    return default_generators[_index(device)]


def get_rng_state(device="cuda"):
    """Matches `torch.cuda.get_rng_state`: the device generator's state as a uint8 tensor."""
    lazy_init()
    return default_generators[_index(device)].get_state()


def get_rng_state_all():
    """Matches `torch.cuda.get_rng_state_all` ([] without CUDA)."""
    from . import device_count  # noqa: PLC0415 - ember.cuda imports this module

    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state(new_state, device="cuda"):
    """Matches `torch.cuda.set_rng_state` (queued until CUDA initialises)."""
    state = new_state.clone()

    def cb():
        default_generators[_index(device)].set_state(state)

    lazy_call(cb)


def set_rng_state_all(new_states):
    """Matches `torch.cuda.set_rng_state_all`."""
    for i, state in enumerate(new_states):
        set_rng_state(state, i)


def manual_seed(seed):
    """Matches `torch.cuda.manual_seed`: seeds the current device's generator (queued without CUDA)."""
    seed = int(seed)

    def cb():
        default_generators[cp().cuda.runtime.getDevice()].manual_seed(seed)

    lazy_call(cb, seed=True)


def manual_seed_all(seed):
    """Matches `torch.cuda.manual_seed_all`: seeds every device's generator (queued without CUDA)."""
    seed = int(seed)

    def cb():
        for g in default_generators:
            g.manual_seed(seed)

    lazy_call(cb, seed_all=True)


def seed():
    """Matches `torch.cuda.seed`: a random seed for the current device's generator."""

    def cb():
        default_generators[cp().cuda.runtime.getDevice()].seed()

    lazy_call(cb)


def seed_all():
    """Matches `torch.cuda.seed_all`: one random seed for every device's generator."""

    def cb():
        s = int.from_bytes(os.urandom(8), "little")
        for g in default_generators:
            g.manual_seed(s)

    lazy_call(cb, seed_all=True)


def initial_seed():
    """Matches `torch.cuda.initial_seed` (needs CUDA)."""
    lazy_init()
    return default_generators[cp().cuda.runtime.getDevice()].initial_seed()
