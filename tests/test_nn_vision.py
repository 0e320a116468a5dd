"""Padding, interpolation, grid sampling, pixel/channel shuffle and distances against torch."""

import warnings

import numpy as np
import pytest
import torch

import ember

from nn_compare import compare_module

RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def both(fn, *arrays, grad=True, rtol=1e-5, atol=1e-5, **kw):
    """Run fn(lib, *tensors, **kw) for torch and ember; compare outputs and input gradients."""
    res = []
    for lib in (torch, ember):
        ts = [lib.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
        out = fn(lib, *ts, **kw)
        g = None
        if grad and out.requires_grad:
            up = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(out.detach().numpy().dtype)
            out.backward(lib.tensor(up))
            g = [t.grad.numpy() if t.grad is not None else None for t in ts]
        res.append((out.detach().numpy(), g, out))
    (to, tg, tt), (eo, eg, et) = res
    assert to.shape == eo.shape and to.dtype == eo.dtype
    np.testing.assert_allclose(eo, to, rtol=rtol, atol=atol)
    if tg is not None:
        for a, b in zip(eg, tg):
            if b is not None:
                np.testing.assert_allclose(a, b, rtol=rtol * 10, atol=atol * 10)
    return tt, et


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "shape,pads",
    [
        ((2, 3, 5), (1, 2)),
        ((2, 3, 4, 5), (1, 2, 2, 0)),
        ((1, 2, 3, 4, 5), (1, 1, 2, 0, 0, 2)),
        ((3, 5), (2, 1)),
        ((2, 3, 4, 5), (-1, 2, 1, -1)),
    ],
)
def test_pad(mode, shape, pads):
    if mode == "reflect" and any(p < 0 for p in pads):
        pytest.skip("negative reflect padding")
    t, e = both(lambda lib, x: lib.nn.functional.pad(x, pads, mode=mode), rand(*shape))
    if mode == "constant":
        both(lambda lib, x: lib.nn.functional.pad(x, pads, value=2.5), rand(*shape))
    if mode in ("reflect", "replicate") and t.grad_fn is not None:
        assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__


def test_pad_constant_any_dims_and_errors():
    both(lambda lib, x: lib.nn.functional.pad(x, (1, 1, 0, 2, 1, 0, 1, 1)), rand(2, 2, 2, 2))
    x = ember.zeros(1, 1, 3, 3)
    with pytest.raises(RuntimeError, match="divisible by 2"):
        ember.nn.functional.pad(x, (1, 1, 1))
    with pytest.raises(NotImplementedError):
        ember.nn.functional.pad(x, (1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="Padding size should be less"):
        ember.nn.functional.pad(x, (3, 3, 0, 0), mode="reflect")
    with pytest.raises(RuntimeError, match="less than or equal to two times"):
        ember.nn.functional.pad(x, (1,) * 10)
    with pytest.raises(RuntimeError, match="doesn't take in value"):
        ember.nn.functional.pad(x, (1, 1, 1, 1), mode="reflect", value=1.0)
    with pytest.raises(NotImplementedError):
        ember.nn.functional.pad(x, (1, 1, 1, 1), mode="foo")


@pytest.mark.parametrize(
    "name,args",
    [
        ("ZeroPad1d", (2,)),
        ("ZeroPad2d", ((1, 2, 0, 1),)),
        ("ZeroPad3d", (1,)),
        ("ConstantPad1d", (2, 1.5)),
        ("ConstantPad2d", (1, -1.0)),
        ("ConstantPad3d", ((1, 0, 0, 1, 1, 0), 3.0)),
        ("ReflectionPad1d", (2,)),
        ("ReflectionPad2d", ((1, 2, 2, 1),)),
        ("ReflectionPad3d", (1,)),
        ("ReplicationPad1d", (3,)),
        ("ReplicationPad2d", (2,)),
        ("ReplicationPad3d", ((1, 0, 2, 0, 0, 1),)),
        ("CircularPad1d", (2,)),
        ("CircularPad2d", (1,)),
        ("CircularPad3d", (1,)),
    ],
)
def test_pad_modules(name, args):
    t, e = getattr(torch.nn, name)(*args), getattr(ember.nn, name)(*args)
    assert repr(t) == repr(e)
    d = int(name[-2])
    compare_module(t, e, rand(*((2, 3) + (4,) * d)))
    compare_module(t, e, rand(*((3,) + (4,) * d)))
    if name.startswith("Circular"):
        with pytest.raises(ValueError, match="expected"):
            e(ember.zeros(*((1,) * (d + 3))))


@pytest.mark.parametrize(
    "shape,mode,kw",
    [
        ((2, 3, 7), "nearest", {"scale_factor": 2}),
        ((2, 3, 7), "nearest", {"size": 5}),
        ((2, 3, 5, 6), "nearest", {"size": (7, 4)}),
        ((2, 3, 5, 6), "nearest-exact", {"size": (7, 4)}),
        ((2, 3, 5, 6), "nearest", {"scale_factor": 1.7}),
        ((2, 3, 5, 6), "nearest", {"scale_factor": 1.7, "recompute_scale_factor": True}),
        ((2, 3, 7), "linear", {"size": 11}),
        ((2, 3, 7), "linear", {"size": 4, "align_corners": True}),
        ((2, 3, 5, 6), "bilinear", {"scale_factor": 2}),
        ((2, 3, 5, 6), "bilinear", {"size": (3, 9), "align_corners": True}),
        ((2, 3, 5, 6), "bilinear", {"scale_factor": 0.6}),
        ((2, 3, 5, 6), "bicubic", {"size": (8, 4)}),
        ((2, 3, 5, 6), "bicubic", {"scale_factor": 2, "align_corners": True}),
        ((1, 2, 3, 4, 5), "trilinear", {"size": (5, 3, 7)}),
        ((1, 2, 3, 4, 5), "nearest", {"scale_factor": 2}),
        ((2, 3, 9, 7), "area", {"size": (4, 3)}),
        ((2, 3, 4, 5), "area", {"size": (7, 8)}),
        ((2, 3, 9), "area", {"scale_factor": 0.5}),
    ],
)
def test_interpolate(shape, mode, kw):
    t, e = both(lambda lib, x: lib.nn.functional.interpolate(x, mode=mode, **kw), rand(*shape), rtol=1e-4)
    if mode != "area":
        assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__


def test_interpolate_errors():
    x = ember.zeros(1, 1, 3, 3)
    F = ember.nn.functional
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=4, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(NotImplementedError, match="linear mode needs 3D"):
        F.interpolate(x, size=4, mode="linear")
    with pytest.raises(ValueError, match="align_corners option"):
        F.interpolate(x, size=4, align_corners=True)
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        F.interpolate(x, size=(4, 4, 4))
    with pytest.raises(NotImplementedError):
        F.interpolate(x, size=4, mode="foo")


def test_upsample_modules():
    for args, kw in [
        ((), {"scale_factor": 2}),
        ((), {"size": (3, 9), "mode": "bilinear", "align_corners": True}),
        ((), {"scale_factor": 1.5, "mode": "bicubic"}),
    ]:
        t, e = torch.nn.Upsample(*args, **kw), ember.nn.Upsample(*args, **kw)
        assert repr(t) == repr(e)
        compare_module(t, e, rand(2, 3, 4, 5), rtol=1e-4)
    for cls, kw in [("UpsamplingNearest2d", {"scale_factor": 2}), ("UpsamplingBilinear2d", {"size": (7, 3)})]:
        t, e = getattr(torch.nn, cls)(**kw), getattr(ember.nn, cls)(**kw)
        assert repr(t) == repr(e)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compare_module(t, e, rand(2, 3, 4, 5), rtol=1e-4)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample(mode, padding_mode, align_corners):
    x = rand(2, 3, 5, 6, dtype=np.float64)
    grid = (RNG.random((2, 4, 7, 2)) * 2.6 - 1.3).astype(np.float64)
    both(
        lambda lib, a, g: lib.nn.functional.grid_sample(
            a, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners
        ),
        x,
        grid,
        rtol=1e-6,
        atol=1e-8,
    )


def test_affine_grid():
    for ac in (False, True):
        both(lambda lib, th: lib.nn.functional.affine_grid(th, (2, 3, 4, 5), align_corners=ac), rand(2, 2, 3))
        both(lambda lib, th: lib.nn.functional.affine_grid(th, (2, 3, 4, 5, 3), align_corners=ac), rand(2, 3, 4))
    with pytest.raises(ValueError, match="Nx2x3"):
        ember.nn.functional.affine_grid(ember.zeros(1, 3, 3), (1, 1, 4, 4), align_corners=False)
    # affine_grid + grid_sample pipeline
    both(
        lambda lib, x, th: lib.nn.functional.grid_sample(
            x, lib.nn.functional.affine_grid(th, (2, 3, 6, 6), align_corners=False), align_corners=False
        ),
        rand(2, 3, 5, 5),
        rand(2, 2, 3),
        rtol=1e-4,
    )


def test_pixel_channel_shuffle():
    for r in (2, 3):
        compare_module(torch.nn.PixelShuffle(r), ember.nn.PixelShuffle(r), rand(2, 2 * r * r, 3, 4))
        compare_module(torch.nn.PixelUnshuffle(r), ember.nn.PixelUnshuffle(r), rand(2, 2, 3 * r, 2 * r))
        compare_module(torch.nn.PixelShuffle(r), ember.nn.PixelShuffle(r), rand(r * r, 3, 4))
    compare_module(torch.nn.ChannelShuffle(3), ember.nn.ChannelShuffle(3), rand(2, 6, 4, 2))
    assert repr(ember.nn.PixelShuffle(2)) == repr(torch.nn.PixelShuffle(2))
    assert repr(ember.nn.ChannelShuffle(2)) == repr(torch.nn.ChannelShuffle(2))
    F = ember.nn.functional
    with pytest.raises(RuntimeError, match="at least 3 dimensions"):
        F.pixel_shuffle(ember.zeros(3, 3), 2)
    with pytest.raises(RuntimeError, match="divisible by the square"):
        F.pixel_shuffle(ember.zeros(1, 3, 2, 2), 2)
    with pytest.raises(RuntimeError, match="height to be divisible"):
        F.pixel_unshuffle(ember.zeros(1, 1, 3, 4), 2)
    with pytest.raises(RuntimeError, match="Number of channels must be divisible"):
        F.channel_shuffle(ember.zeros(1, 5, 2), 2)


def test_distances():
    a, b = rand(4, 5), rand(4, 5)
    both(lambda lib, x, y: lib.nn.functional.cosine_similarity(x, y), a, b)
    both(lambda lib, x, y: lib.nn.functional.cosine_similarity(x, y, dim=0), a, b)
    both(lambda lib, x, y: lib.nn.functional.cosine_similarity(x, y, dim=-1), rand(3, 1, 5), rand(4, 5))
    both(lambda lib, x, y: lib.nn.functional.cosine_similarity(x, y), np.zeros((2, 3), np.float32), b[:2, :3])
    for p in (1.0, 2.0, 3.0):
        both(lambda lib, x, y: lib.nn.functional.pairwise_distance(x, y, p=p), a, b)
        both(lambda lib, x, y: lib.nn.functional.pairwise_distance(x, y, p=p, keepdim=True), a, b)
        both(lambda lib, x: lib.nn.functional.pdist(x, p=p), a)
    both(lambda lib, x: lib.nn.functional.normalize(x), a)
    both(lambda lib, x: lib.nn.functional.normalize(x, p=1, dim=0), a)
    compare_module(torch.nn.CosineSimilarity(dim=0), ember.nn.CosineSimilarity(dim=0), a, b)
    compare_module(torch.nn.PairwiseDistance(p=1.5, keepdim=True), ember.nn.PairwiseDistance(p=1.5, keepdim=True), a, b)
    with pytest.raises(RuntimeError, match="pdist only supports 2D"):
        ember.nn.functional.pdist(ember.zeros(2, 2, 2))
