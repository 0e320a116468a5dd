"""Tensor creation, dtypes and promotion, conversion and metadata against torch."""

import numpy as np
import pytest
import torch

import ember

from compare import check, check_error


def test_tensor_from_data_infers_dtypes():
    def run(L):
        return [
            L.tensor([[1.0, -1.0], [1.0, -1.0]]),
            L.tensor([1, 2, 3]),
            L.tensor([True, False]),
            L.tensor([1, 2.5]),
            L.tensor(3.5),
            L.tensor(7),
            L.tensor([]),
            L.tensor([[1, 2], [3, 4]], dtype=L.float64),
            L.tensor(np.array([[1, 2, 3], [4, 5, 6]])),
            L.tensor(np.array([1.5], dtype=np.float64)),
            L.tensor(np.array([1, 2], dtype=np.int32)),
            L.tensor([L.tensor(1.0), L.tensor(2.0)]),
            L.tensor(1 + 2j),
            L.tensor([np.float64(1.0), 2.0]),
            L.tensor([np.float32(1.0), np.float64(2.0)]),
            L.tensor([np.int32(1)]),
            L.tensor([1, np.float64(2.0)]),
        ]

    check(run)


def test_ragged_and_bad_data_raise_like_torch():
    check_error(lambda L: L.tensor([[1, 2], [3]]))
    check_error(lambda L: L.tensor("abc"))


def test_from_numpy_shares_memory_and_tensor_copies():
    a = np.array([[0.5, 1.5], [2.5, 3.5]])
    t = ember.from_numpy(a)
    a[0, 0] = 100.0
    assert t[0, 0].item() == 100.0 if hasattr(ember.Tensor, "__getitem__") else t._data[0, 0] == 100.0
    assert t.dtype is ember.float64
    src = np.array([1, 2, 3], dtype=np.int32)
    c = ember.tensor(src)
    src[0] = 9
    assert c.tolist() == [1, 2, 3] and c.dtype is ember.int32
    assert ember.as_tensor(a)._data is a


def test_constructors():
    def run(L):
        return [
            L.zeros(2, 3),
            L.zeros((2, 3), dtype=L.int64),
            L.ones([2]),
            L.empty(0, 3).shape,
            L.full((2, 2), 7),
            L.full((2,), 1.5),
            L.full((2,), True),
            L.eye(3),
            L.eye(2, 3),
            L.arange(5),
            L.arange(1, 10, 2),
            L.arange(0, 1, 0.25),
            L.arange(10, 0, -3),
            L.arange(0.0, 1.0, 0.1),
            L.linspace(0, 1, 5),
            L.linspace(-1, 1, steps=4),
            L.linspace(0, 10, 7, dtype=L.int64),
            L.logspace(0, 2, 3),
            L.zeros_like(L.ones(2, 3, dtype=L.int32)),
            L.ones_like(L.tensor([1, 2]), dtype=L.float32),
            L.full_like(L.ones(2), 7.0),
            L.empty_like(L.ones(2, 2)).shape,
            L.Tensor(2, 3).shape,
            L.Tensor([[1, 2], [3, 4]]),
            L.FloatTensor([1, 2]),
            L.LongTensor([1, 2]),
            L.DoubleTensor(2).shape,
            L.BoolTensor([1, 0]),
            L.tensor([1.0]).new_zeros(2, 2),
            L.tensor([1], dtype=L.int32).new_ones((3,)),
            L.tensor([1.0]).new_tensor([1, 2]),
            L.tensor([1.0]).new_full((2,), 3),
            L.scalar_tensor(2),
        ]

    check(run)


def test_triangle_indices():
    def run(L):
        out = []
        for row, col in ((0, 3), (3, 0), (1, 1), (3, 4), (4, 3), (5, 5)):
            for offset in (-6, -2, -1, 0, 1, 2, 6):
                out += [L.tril_indices(row, col, offset), L.triu_indices(row, col, offset)]
        return out + [L.tril_indices(3, 3, dtype=L.int32), L.triu_indices(2, 5, 1, dtype=L.int32)]

    check(run)
    check_error(lambda L: L.tril_indices(-1, 3))
    check_error(lambda L: L.triu_indices(3, -2))
    check_error(lambda L: L.tril_indices(3, 3, dtype=L.float32))
    check_error(lambda L: L.triu_indices(3, 3, dtype=L.int16))
    with pytest.raises(RuntimeError, match="row must be non-negative, got-1"):
        ember.tril_indices(-1, 3)


def test_constructor_errors():
    check_error(lambda L: L.zeros(-1))
    check_error(lambda L: L.arange(0, 10, 0))
    check_error(lambda L: L.arange(10, 0, 1))
    check_error(lambda L: L.eye(-1))


def test_dtype_promotion_table():
    dts = [
        "bool",
        "uint8",
        "int8",
        "int16",
        "int32",
        "int64",
        "float16",
        "bfloat16",
        "float32",
        "float64",
        "complex64",
        "complex128",
    ]
    for a in dts:
        for b in dts:
            t = torch.promote_types(getattr(torch, a), getattr(torch, b))
            e = ember.promote_types(getattr(ember, a), getattr(ember, b))
            assert str(t).split(".")[-1] == e.name, (a, b)


def test_weak_scalars_and_zero_dim_promotion():
    def run(L):
        i = L.tensor([1, 2])
        i32 = L.tensor([1, 2], dtype=L.int32)
        f16 = L.tensor([1.0], dtype=L.float16)
        return [
            (i * 2.5).dtype,
            (i / 2).dtype,
            (i32 + L.tensor(5)).dtype,
            (i32 + L.tensor(5.0, dtype=L.float64)).dtype,
            (f16 + L.tensor(1.0, dtype=L.float64)).dtype,
            (f16 * 2.5).dtype,
            (L.tensor([True]) + 1).dtype,
            (L.tensor([True]) + True).dtype,
            (i32 + 1j).dtype,
            (L.tensor(1) + L.tensor(2.0)).dtype,
            L.result_type(i32, 2.0),
            L.result_type(L.tensor([1], dtype=L.uint8), L.tensor([1], dtype=L.int8)),
            (L.tensor([200], dtype=L.uint8) + 100),
            L.can_cast(L.float64, L.int32),
            L.can_cast(L.int32, L.float64),
        ]

    check(run)


def test_default_dtype():
    def run(L):
        prev = L.get_default_dtype()
        L.set_default_dtype(L.float64)
        try:
            return [
                L.tensor([1.5]).dtype,
                L.zeros(1).dtype,
                (L.tensor([1]) * 0.5).dtype,
                L.tensor(1j).dtype,
                L.get_default_dtype(),
            ]
        finally:
            L.set_default_dtype(prev)

    check(run)
    check_error(lambda L: L.set_default_dtype(L.int64))


def test_finfo_iinfo():
    for d in ("float16", "bfloat16", "float32", "float64"):
        t, e = torch.finfo(getattr(torch, d)), ember.finfo(getattr(ember, d))
        for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
            assert getattr(t, attr) == getattr(e, attr), (d, attr)
    for d in ("uint8", "int8", "int16", "int32", "int64"):
        t, e = torch.iinfo(getattr(torch, d)), ember.iinfo(getattr(ember, d))
        assert (t.bits, t.min, t.max) == (e.bits, e.min, e.max)


def test_metadata():
    def run(L):
        a = L.tensor([[1.0, -1.0], [1.0, -1.0]])
        t = L.arange(12).view(3, 4)
        tt = t.t()
        return [
            a.dtype,
            a.type(),
            a.shape,
            a.size(),
            a.size(0),
            a.size(-1),
            a.dim(),
            a.ndim,
            a.ndimension(),
            a.numel(),
            a.nelement(),
            a.element_size(),
            L.numel(a),
            len(a),
            a.is_floating_point(),
            t.is_contiguous(),
            tt.is_contiguous(),
            t.stride(),
            tt.stride(),
            tt.stride(0),
            tt.storage_offset(),
            t[1:].storage_offset() if hasattr(t, "__getitem__") else 4,
            L.tensor([1, 2], dtype=L.uint8).type(),
            L.tensor([True]).type(),
            L.tensor([1.0], dtype=L.float16).type(),
            a.is_leaf,
            a.requires_grad,
            a.grad,
            a.is_cuda,
            a.device,
            str(a.device),
            repr(a.device),
            L.is_tensor(a),
            L.is_floating_point(a),
            L.tensor(3.5).item(),
            L.tensor([[1, 2]]).tolist(),
            L.Size([2, 3]),
            L.Size([2, 3]).numel(),
            a.shape == (2, 2),
            list(a.shape),
            a.T.shape,
            t.mT.shape,
        ]

    check(run)


def test_conversions():
    def run(L):
        f = L.tensor([[1.7, -1.7, 0.5], [2.5, -2.5, 3.99]])
        return [
            f.to(L.int),
            f.int(),
            f.long(),
            f.double(),
            f.half(),
            f.bool(),
            f.int().float(),
            f.byte(),
            f.to(dtype=L.float64).dtype,
            f.type(L.int64).dtype,
            f.type("torch.DoubleTensor".replace("torch", L.__name__)).dtype,
            L.tensor([True, False]).int(),
            L.tensor([0, 3, -2]).bool(),
            f.to(f) is f,
            f.to("cpu") is f,
            f.to(L.float32) is f,
            f.to(L.float32, copy=True) is f,
            f.cpu() is f,
            f.clone(),
            f.contiguous() is f,
            f.t().contiguous().is_contiguous(),
            f.type_as(L.tensor([1])),
            f.bfloat16().float(),
        ]

    check(run)


def test_numpy_bridge():
    t = ember.tensor([1.0, 2.0])
    n = t.numpy()
    n[0] = 5.0
    assert t.tolist() == [5.0, 2.0]
    r = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        r.numpy()
    assert r.detach().numpy().tolist() == [1.0]
    assert np.asarray(t).tolist() == [5.0, 2.0]


def test_devices():
    def run(L):
        return [
            L.device("cuda:0"),
            repr(L.device("cuda:0")),
            str(L.device("cuda", 1)),
            L.device("cuda", 1).index,
            L.device("cpu").type,
            L.device("cuda:0") == L.device("cuda", 0),
            L.device("cpu") == "cpu",
            L.zeros(2, device="cpu").device,
            L.cuda.is_available(),
        ]

    check(run)
    check_error(lambda L: L.device("gpu"))
    check_error(lambda L: L.zeros(2, device="cuda"))


def test_scalar_protocols():
    def run(L):
        return [
            float(L.tensor(2.5)),
            int(L.tensor(3)),
            bool(L.tensor([1])),
            [1, 2, 3][L.tensor(1)],
            f"{L.tensor(2.5):.2f}",
            L.tensor([1.0]).item(),
        ]

    check(run)
    check_error(lambda L: bool(L.tensor([1, 2])))
    check_error(lambda L: L.tensor([1, 2]).item())
    check_error(lambda L: len(L.tensor(1)))


def test_contains():
    def run(L):
        x = L.arange(6.0).reshape(2, 3)
        return [2.0 in x, 7 in x, L.tensor(3.0) in x, True in L.tensor([False, True])]

    check(run)
    check_error(lambda L: "a" in L.ones(2))


def test_thread_count_api():
    import os

    start = ember.get_num_threads()
    assert start == torch.get_num_threads() or start == (os.cpu_count() or 1)
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1
    finally:
        ember.set_num_threads(start)
    check_error(lambda L: L.set_num_threads(0))
    assert ember.get_num_interop_threads() >= 1


@pytest.mark.filterwarnings("ignore:An output with one or more elements was resized")
@pytest.mark.parametrize("fn", ["tril", "triu"])
def test_tril_triu_write_out(fn):
    def prog(L):
        x = L.arange(12.0).reshape(3, 4)
        same_shape, other_shape = L.zeros(3, 4), L.empty(2)
        r1 = getattr(L, fn)(x, 1, out=same_shape)
        r2 = getattr(L, fn)(x, -1, out=other_shape)
        return [r1 is same_shape, r2 is other_shape, same_shape, other_shape]

    check(prog)
    check_error(lambda L: getattr(L, fn)(L.ones(2, 2), out=L.empty(2, 2, dtype=L.int64)))
