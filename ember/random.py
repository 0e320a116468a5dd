"""ember.random: seeding and state of the default generator (matches `torch.random`)."""

import contextlib

from ._generator import Generator, default_generator

__all__ = [
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
    "fork_rng",
    "default_generator",
    "Generator",
]


def manual_seed(seed):
    """Matches `torch.manual_seed`: seeds the default generator (and every GPU's, as torch does)."""
    gen = default_generator.manual_seed(seed)
    from . import cuda  # noqa: PLC0415 - a no-op without a GPU

    cuda.manual_seed_all(int(seed))
    return gen


def seed():
    """Matches `torch.seed`: seeds the default generator non-deterministically and returns the seed."""
    return default_generator.seed()


def initial_seed():
    """Matches `torch.initial_seed`."""
    return default_generator.initial_seed()


def get_rng_state():
    """Matches `torch.get_rng_state`: the default generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Matches `torch.set_rng_state`."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"):
    """Matches `torch.random.fork_rng`: the default generator's state is restored on exit."""
    if not enabled:
        yield
        return
    state = default_generator.get_state()
    try:
        yield
    finally:
        default_generator.set_state(state)
