"""repr/str of tensors must be torch's text exactly (with `ember.` for `torch.`)."""

import math

import numpy as np
import pytest
import torch

import ember
import ember._printing

inf, nan = math.inf, math.nan

# the lead exports these from ember/__init__.py; the module functions are the same objects
set_printoptions = getattr(ember, "set_printoptions", ember._printing.set_printoptions)
get_printoptions = getattr(ember, "get_printoptions", ember._printing.get_printoptions)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _arr(L, a, dtype=None):
    """A tensor of library L from NumPy array `a` (bfloat16 given as a dtype name)."""
    a = np.asarray(a)
    t = L.tensor(a)
    return t if dtype is None else t.to(getattr(L, dtype))


# name -> builder(L) returning a tensor of library L (torch or ember)
CASES = {
    "int_1d": lambda L: L.tensor([1, 2, 3]),
    "int_neg": lambda L: L.tensor([-100, 2, 30000]),
    "int_0d": lambda L: L.tensor(7),
    "int_neg_0d": lambda L: L.tensor(-7),
    "int_2d": lambda L: L.tensor([[1, -22, 333], [4444, 5, 6]]),
    "int32": lambda L: L.tensor([1, 2, 3], dtype=L.int32),
    "int8": lambda L: L.tensor([[-128, 0], [5, 127]], dtype=L.int8),
    "int16": lambda L: L.tensor([1, -2], dtype=L.int16),
    "uint8": lambda L: L.tensor([0, 255, 7], dtype=L.uint8),
    "bool": lambda L: L.tensor([True, False, True]),
    "bool_2d": lambda L: L.tensor([[True, False], [False, False]]),
    "bool_0d": lambda L: L.tensor(True),
    "float_simple": lambda L: L.tensor([1.5, 2.25, -3.0]),
    "float_int_mode": lambda L: L.tensor([1.0, 2.0, -3.0]),
    "float_zeros": lambda L: L.tensor([0.0, 0.0]),
    "float_neg_zero": lambda L: L.tensor([-0.0, 1.5]),
    "float_0d": lambda L: L.tensor(3.5),
    "float_0d_int": lambda L: L.tensor(2.0),
    "float_0d_neg": lambda L: L.tensor(-0.125),
    "float_0d_small": lambda L: L.tensor(1e-7),
    "float_0d_big": lambda L: L.tensor(1e10),
    "float_0d_nan": lambda L: L.tensor(nan),
    "float_0d_inf": lambda L: L.tensor(-inf),
    "sci_small": lambda L: L.tensor([1e-5, 1.0]),
    "sci_big": lambda L: L.tensor([1e9, 1.0, -2.5]),
    "sci_ratio": lambda L: L.tensor([0.001, 5.0]),
    "sci_ratio_int": lambda L: L.tensor([1.0, 100000.0]),
    "no_sci": lambda L: L.tensor([0.001, 0.5]),
    "big_int_mode": lambda L: L.tensor([12345678.0, 1.0]),
    "nan_inf": lambda L: L.tensor([nan, inf, -inf, 1.5]),
    "nan_inf_int": lambda L: L.tensor([nan, inf, 2.0]),
    "nan_only": lambda L: L.tensor([nan, nan]),
    "inf_sci": lambda L: L.tensor([inf, 1e-8, 3.0]),
    "mixed_2d": lambda L: L.tensor([[1.0, -2.5], [1000.0, 0.0]]),
    "randn_2d": lambda L: _arr(L, _rng(1).standard_normal((4, 5)).astype(np.float32)),
    "randn_3d": lambda L: _arr(L, _rng(2).standard_normal((2, 3, 4)).astype(np.float32)),
    "randn_4d": lambda L: _arr(L, _rng(3).standard_normal((2, 2, 2, 3)).astype(np.float32)),
    "randn_sci_3d": lambda L: _arr(L, (_rng(4).standard_normal((2, 3, 2)) * 1e5).astype(np.float32)),
    "float64": lambda L: L.tensor([1.5, 2.0], dtype=L.float64),
    "float64_precise": lambda L: L.tensor([1.0 / 3, 2.0 / 3], dtype=L.float64),
    "float64_0d": lambda L: L.tensor(1.0 / 3, dtype=L.float64),
    "float16": lambda L: L.tensor([1.5, 0.1, -3.0], dtype=L.float16),
    "float16_0d": lambda L: L.tensor(0.1, dtype=L.float16),
    "float16_big": lambda L: L.tensor([65504.0, 1e-3], dtype=L.float16),
    "bfloat16": lambda L: _arr(L, np.array([1.5, 0.1, -3.0, 1000.0], np.float32), "bfloat16"),
    "bfloat16_int": lambda L: _arr(L, np.array([1.0, 2.0], np.float32), "bfloat16"),
    "complex64": lambda L: L.tensor([1 + 2j, -3.5 - 0.5j, 0j]),
    "complex64_0d": lambda L: L.tensor(1.5 - 2j),
    "complex_neg_zero": lambda L: L.tensor([complex(1.0, -0.0), complex(-0.0, 0.0)]),
    "complex128": lambda L: L.tensor([1 + 2j, 3e-6 + 1j], dtype=L.complex128),
    "complex_2d": lambda L: _arr(
        L, (_rng(5).standard_normal((3, 4)) + 1j * _rng(6).standard_normal((3, 4))).astype(np.complex64)
    ),
    "complex_nan": lambda L: L.tensor([complex(nan, 1.0), complex(2.0, inf)]),
    "empty_1d": lambda L: L.tensor([]),
    "empty_2d": lambda L: L.zeros(0, 3),
    "empty_3d": lambda L: L.zeros(2, 0, 3),
    "empty_int": lambda L: L.zeros(0, dtype=L.int64),
    "empty_int_2d": lambda L: L.zeros(3, 0, dtype=L.int64),
    "empty_f64": lambda L: L.zeros(0, dtype=L.float64),
    "empty_bool": lambda L: L.zeros(0, dtype=L.bool),
    "empty_int32": lambda L: L.zeros(0, dtype=L.int32),
    "summ_1d": lambda L: L.arange(2000),
    "summ_1d_float": lambda L: _arr(L, _rng(7).standard_normal(1500).astype(np.float32)),
    "summ_2d": lambda L: _arr(L, _rng(8).standard_normal((40, 40)).astype(np.float32)),
    "summ_2d_narrow": lambda L: L.arange(3000).reshape(1000, 3),
    "summ_3d": lambda L: _arr(L, _rng(9).standard_normal((10, 11, 12)).astype(np.float32)),
    "summ_3d_f64": lambda L: _arr(L, _rng(10).standard_normal((7, 8, 20)).astype(np.float64)),
    "summ_complex": lambda L: _arr(L, (_rng(11).standard_normal(1200) * (1 + 1j)).astype(np.complex64)),
    "summ_int32": lambda L: L.arange(1001, dtype=L.int32),
    "summ_sci": lambda L: _arr(L, (_rng(12).standard_normal((50, 30)) * 1e-6).astype(np.float32)),
    "wrap_1d": lambda L: _arr(L, _rng(13).standard_normal(40).astype(np.float32)),
    "wrap_1d_int": lambda L: L.arange(100),
    "wrap_2d": lambda L: _arr(L, _rng(14).standard_normal((3, 30)).astype(np.float32)),
    "wrap_3d_f64": lambda L: _arr(L, _rng(15).standard_normal((2, 2, 25)).astype(np.float64)),
    "wrap_sci": lambda L: _arr(L, (_rng(16).standard_normal(30) * 1e9).astype(np.float32)),
    "wrap_complex": lambda L: _arr(L, (_rng(17).standard_normal(20) * (1 - 2j)).astype(np.complex64)),
    "wrap_f64_suffix": lambda L: _arr(L, np.linspace(-1, 1, 12)),
    "single_elem_dims": lambda L: L.ones(1, 1, 1),
    "requires_grad": lambda L: L.tensor([1.0, 2.0], requires_grad=True),
    "requires_grad_0d": lambda L: L.tensor(1.5, requires_grad=True),
    "requires_grad_f64": lambda L: L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True),
    "grad_fn_mul": lambda L: L.tensor([1.0, 2.0], requires_grad=True) * 2,
    "grad_fn_add": lambda L: L.tensor([1.0, 2.0], requires_grad=True) + 1,
    "grad_fn_sum": lambda L: L.tensor([1.0, 2.0], requires_grad=True).sum(),
    "grad_fn_f64_wrap": lambda L: _arr(L, _rng(18).standard_normal((2, 7))).requires_grad_() * 3,
    "detached": lambda L: (L.tensor([1.0, 2.0], requires_grad=True) * 2).detach(),
}


def _expected(name):
    return CASES[name](torch)


@pytest.mark.parametrize("name", sorted(CASES))
def test_repr_matches_torch(name):
    want = repr(CASES[name](torch)).replace("torch.", "ember.")
    got = CASES[name](ember)
    assert repr(got) == want
    assert str(got) == want


# print options: each entry is set_printoptions kwargs and a case to print under them
OPTION_CASES = [
    ({"precision": 2}, "randn_2d"),
    ({"precision": 8}, "float64_precise"),
    ({"precision": 0}, "float_simple"),
    ({"precision": 6}, "sci_small"),
    ({"threshold": 5}, "int_2d"),
    ({"threshold": 5}, "wrap_1d_int"),
    ({"threshold": 10, "edgeitems": 1}, "randn_3d"),
    ({"threshold": 10, "edgeitems": 0}, "randn_3d"),
    ({"threshold": 10, "edgeitems": 0}, "wrap_1d_int"),
    ({"edgeitems": 5}, "summ_2d"),
    ({"linewidth": 40}, "wrap_1d"),
    ({"linewidth": 40}, "grad_fn_f64_wrap"),
    ({"linewidth": 200}, "wrap_2d"),
    ({"linewidth": 10}, "wrap_complex"),
    ({"sci_mode": True}, "float_simple"),
    ({"sci_mode": True}, "float_int_mode"),
    ({"sci_mode": True}, "complex64"),
    ({"sci_mode": False}, "sci_small"),
    ({"sci_mode": False}, "sci_big"),
    ({"sci_mode": False}, "big_int_mode"),
    ({"profile": "short"}, "randn_2d"),
    ({"profile": "short"}, "summ_1d"),
    ({"profile": "full"}, "summ_2d_narrow"),
    ({"profile": "full", "precision": 3}, "summ_1d_float"),
]


@pytest.fixture
def restore_printoptions():
    yield
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")


@pytest.mark.parametrize("opts,name", OPTION_CASES, ids=[f"{n}-{o}" for o, n in OPTION_CASES])
def test_printoptions_match_torch(opts, name, restore_printoptions):
    torch.set_printoptions(**opts)
    set_printoptions(**opts)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    want = repr(CASES[name](torch)).replace("torch.", "ember.")
    assert repr(CASES[name](ember)) == want


def test_get_printoptions_defaults_and_round_trip(restore_printoptions):
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    set_printoptions(precision=2, linewidth=50)
    saved = get_printoptions()
    assert saved["precision"] == 2 and saved["linewidth"] == 50
    set_printoptions(profile="default")
    assert get_printoptions()["precision"] == 4
    set_printoptions(**saved)
    assert get_printoptions() == saved


def test_printoptions_context_manager():
    from ember._printing import printoptions

    t = ember.tensor([1.123456])
    with printoptions(precision=2):
        assert repr(t) == "tensor([1.12])"
    assert repr(t) == "tensor([1.1235])"


def test_default_dtype_changes_suffix():
    old_t, old_e = torch.get_default_dtype(), ember.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        ember.set_default_dtype(ember.float64)
        for name in ("float64", "float_simple", "complex128", "complex64", "empty_f64", "empty_1d"):
            assert repr(CASES[name](ember)) == repr(CASES[name](torch)).replace("torch.", "ember.")
        t32 = ember.tensor([1.5], dtype=ember.float32)
        assert repr(t32) == "tensor([1.5000], dtype=ember.float32)"
    finally:
        torch.set_default_dtype(old_t)
        ember.set_default_dtype(old_e)


def test_format_and_print(capsys):
    t = ember.tensor([[1.0, 2.5], [3.0, 4.0]])
    print(t)
    assert capsys.readouterr().out == str(torch.tensor([[1.0, 2.5], [3.0, 4.0]])) + "\n"
    assert f"{ember.tensor(2.5):.2f}" == "2.50"
    assert f"{ember.tensor([1, 2])}" == "tensor([1, 2])"


def test_view_and_noncontiguous():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7
    e = ember.tensor(a).transpose(0, 2)
    t = torch.tensor(a).transpose(0, 2)
    assert repr(e) == repr(t)


@pytest.mark.skipif(not hasattr(ember, "set_printoptions"), reason="exported from ember/__init__.py by the lead")
def test_exported():
    assert ember.set_printoptions is ember._printing.set_printoptions
    assert ember.get_printoptions is ember._printing.get_printoptions
