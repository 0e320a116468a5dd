"""Run one program on torch and on ember and compare what it returns."""

import numpy as np
import pytest
import torch

import ember


def both(fn):
    """Run fn(lib) for torch and ember; return (torch result, ember result)."""
    return fn(torch), fn(ember)


def same(a, b, path="result"):
    if isinstance(a, torch.Tensor):
        assert isinstance(b, ember.Tensor), f"{path}: {type(b).__name__} is not a Tensor"
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], f"{path}: dtype {b.dtype} vs {a.dtype}"
        assert tuple(a.shape) == tuple(b.shape), f"{path}: shape {tuple(b.shape)} vs {tuple(a.shape)}"
        np.testing.assert_allclose(
            b.detach().numpy().astype(np.float64),
            a.detach().numpy().astype(np.float64),
            rtol=1e-5,
            atol=1e-6,
            err_msg=path,
        )
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{path}: length {len(b)} vs {len(a)}"
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-5, nan_ok=True), path
    elif isinstance(a, str):
        assert a.replace("torch", "ember") == b, f"{path}: {b!r} vs {a!r}"
    elif isinstance(a, (torch.dtype, torch.device, torch.Size)):
        assert str(a).replace("torch", "ember") == str(b), f"{path}: {b} vs {a}"
        assert repr(a).replace("torch", "ember") == repr(b), f"{path}: {b!r} vs {a!r}"
    else:
        assert a == b, f"{path}: {b!r} vs {a!r}"


def check(fn):
    t, e = both(fn)
    same(t, e)


def raised(fn, lib):
    try:
        fn(lib)
    except Exception as ex:  # noqa: BLE001 - the type is what we compare
        return ex
    return None


def check_error(fn):
    """ember raises an instance of the exception type torch raises."""
    t = raised(fn, torch)
    assert t is not None, "torch raised nothing: the test is wrong"
    e = raised(fn, ember)
    assert isinstance(e, type(t)), f"ember raised {type(e).__name__}: {e}; torch raised {type(t).__name__}: {t}"
