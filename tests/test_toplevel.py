"""torch's top-level functions that are not ops of the table: compile, the float32 matmul precision, vmap, a
few predicates, and the top-level forms of nn.functional ops, each against torch."""

import warnings

import numpy as np
import pytest
import torch

import ember

from compare import check, check_error

RNG = np.random.default_rng(0)


def test_compile_wraps_modules_as_torch_and_runs_them_eagerly():
    torch.manual_seed(0)
    t = torch.nn.Linear(3, 2)
    e = ember.nn.Linear(3, 2)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    tc, ec = torch.compile(t), ember.compile(e)
    assert type(ec).__name__ == type(tc).__name__ == "OptimizedModule"
    assert list(ec.state_dict()) == list(tc.state_dict()) == ["_orig_mod.weight", "_orig_mod.bias"]
    assert repr(ec) == repr(tc)
    assert ec._orig_mod is e and ec.weight is e.weight and ec.in_features == 3
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(ec(ember.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-6)
    assert ember.compile(e, disable=True) is e

    @ember.compile(fullgraph=True)
    def f(a):
        return a * 2 + 1

    assert f(ember.tensor([1.0, 2.0])).tolist() == [3.0, 5.0] and f.__name__ == "f"
    for lib in (torch, ember):
        with pytest.raises(AssertionError, match="A callable function is expected"):
            lib.compile(3)


def test_float32_matmul_precision():
    saved = (torch.get_float32_matmul_precision(), ember.get_float32_matmul_precision())
    try:
        for p in ("high", "medium", "highest"):
            for lib in (torch, ember):
                lib.set_float32_matmul_precision(p)
            assert ember.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == p
            assert ember.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32 == (p != "highest")
        for lib in (torch, ember):
            with pytest.warns(UserWarning, match="bogus is not one of 'highest', 'high', or 'medium'"):
                lib.set_float32_matmul_precision("bogus")
        assert ember.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "highest"
    finally:
        torch.set_float32_matmul_precision(saved[0])
        ember.set_float32_matmul_precision(saved[1])


def test_vmap_and_predicates():
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)

    def run(L):
        xs = L.tensor(x)
        return [
            L.vmap(lambda r: r * r.sum())(xs),
            L.is_nonzero(L.tensor([0.0])),
            L.is_nonzero(L.tensor(3)),
            L.is_same_size(xs, L.zeros(2, 3)),
            L.is_same_size(xs, L.zeros(3, 2)),
            L.is_signed(L.tensor([1], dtype=L.uint8)),
            L.is_signed(xs),
            L.detach(xs.requires_grad_()).requires_grad,
        ]

    check(run)
    check_error(lambda L: L.is_nonzero(L.tensor([1.0, 2.0])))
    check_error(lambda L: L.is_nonzero(L.tensor([])))
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        ember.is_nonzero(ember.ones(2))


def test_top_level_forms_of_functional_ops():
    a = RNG.standard_normal((2, 4, 9)).astype(np.float32)
    img = RNG.standard_normal((1, 4, 6, 6)).astype(np.float32)
    vol = RNG.standard_normal((1, 2, 4, 4, 4)).astype(np.float32)
    w1, w2, w3 = (RNG.standard_normal(s).astype(np.float32) for s in ((3, 4, 3), (3, 4, 3, 3), (3, 2, 2, 2, 2)))
    wt = RNG.standard_normal((4, 3, 3)).astype(np.float32)
    u, v = RNG.standard_normal((5, 4)).astype(np.float32), RNG.standard_normal((5, 4)).astype(np.float32)
    bw = RNG.standard_normal((2, 4, 4)).astype(np.float32)

    def run(L):
        T = L.tensor
        return [
            L.conv1d(T(a), T(w1), None, 2, 1),
            L.conv2d(T(img), T(w2), padding=1),
            L.conv3d(T(vol), T(w3)),
            L.conv_transpose1d(T(a), T(wt), stride=2),
            L.max_pool1d(T(a), 3),
            L.max_pool2d(T(img), 2, [], 0, 1, True),
            L.max_pool3d(T(vol), 2, 1),
            L.avg_pool1d(T(a), 3, 2, 1),
            L.adaptive_avg_pool1d(T(a), 4),
            *L.adaptive_max_pool1d(T(a), 4),
            L.pixel_shuffle(T(img), 2),
            L.pixel_unshuffle(T(img), 2),
            L.channel_shuffle(T(img), 2),
            L.cosine_similarity(T(u), T(v)),
            L.pairwise_distance(T(u), T(v), 1.5),
            L.pdist(T(u)),
            L.bilinear(T(u), T(v), T(bw)),
            L.rms_norm(T(u), (4,)),
            L.layer_norm(T(a), (9,), None, None, 1e-5, True),
            L.group_norm(T(img), 2, None, None, 1e-5, True),
            L.threshold(T(u), 0.1, -1.0),
            L.dropout(T(u), 0.5, False),
            L.alpha_dropout(T(u), 0.5, False),
            L.feature_alpha_dropout(T(img), 0.5, False),
        ]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(run)
