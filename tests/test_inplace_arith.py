"""In-place add_/sub_/mul_/div_ written straight into self (no temporary) against torch: dtypes, broadcasting,
scalars, aliasing of the two operands, the partial-overlap error, version counters; on the CPU and on the
CuPy stand-in."""

import fakecupy
import numpy as np
import pytest
import torch

import ember

CASES = [
    ("add_", (3, 4), "float32", (4,), "float32"),
    ("sub_", (3, 4), "float64", (3, 1), "float64"),
    ("mul_", (2, 3), "float32", None, 2.5),
    ("div_", (2, 3), "float32", None, 0.0),
    ("div_", (5,), "float64", (5,), "float64"),
    ("add_", (4,), "int64", None, 3),
    ("mul_", (4,), "int32", (4,), "int32"),
    ("add_", (3,), "float16", (3,), "float64"),  # promoted to float64, then cast back
    ("add_", (3,), "float32", None, 1e40),  # overflows float32 to inf, as torch
    ("sub_", (2, 2), "bool", None, None),
]


def _run(lib, device, op, shape, dt, other_shape, other):
    a = lib.tensor(np.arange(1, 1 + int(np.prod(shape))).reshape(shape) % 7 - 2.0).to(getattr(lib, dt))
    if device != "cpu":
        a = a.to(device)
    if other is None and other_shape is None:
        b = lib.tensor(True)  # bool sub_ raises in torch
    elif other_shape is None:
        b = other
    else:
        b = lib.tensor(np.arange(int(np.prod(other_shape))).reshape(other_shape) + 1.5).to(getattr(lib, other))
        if device != "cpu":
            b = b.to(device)
    v = a._version
    try:
        getattr(a, op)(b)
    except RuntimeError as e:
        return "error", str(e).split(".")[0]
    return a.cpu().numpy() if hasattr(a, "cpu") else a.numpy(), a._version - v


@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[2]}")
def test_inplace_binary_matches_torch(device, case):
    ctx = fakecupy.ember_on_stand_in() if device == "cuda" else _nullctx()
    with ctx:
        e = _run(ember, device, *case)
    t = _run(torch, "cpu", *case)
    if isinstance(t[0], str):
        assert isinstance(e[0], str) and e[1].endswith(t[1].split(": ")[-1]), (e, t)
        return
    np.testing.assert_array_equal(e[0], t[0])
    assert e[1] == t[1] == 1


class _nullctx:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_overlapping_operands(device):
    cases = [
        lambda a: a[1:].add_(a[:-1]),  # partial overlap of dense views: torch refuses
        lambda a: a.add_(a[3]),  # one element of self (0-d): also a partial overlap
        lambda a: a[::2].add_(a[1::2]),  # interleaved, not dense: computed from the old values
        lambda a: a.add_(a),
        lambda a: a.view(2, 5).mul_(a.view(2, 5)),
        lambda a: a.reshape(2, 5)[:, :3].add_(a.reshape(2, 5)[:, 1:4]),
    ]
    for f in cases:
        res = []
        for lib in (torch, ember):
            with fakecupy.ember_on_stand_in() if lib is ember and device == "cuda" else _nullctx():
                a = lib.arange(10.0)
                if lib is ember and device == "cuda":
                    a = a.to("cuda")
                try:
                    f(a)
                    res.append(a.cpu().numpy().tolist())
                except RuntimeError as err:
                    res.append(str(err))
        assert res[0] == res[1]
