"""ember.vision.transforms against torch (interpolate/conv2d/grid_sample as torchvision calls them), Pillow and
the random draws torchvision makes from torch's generator."""

import colorsys
import math
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F

PIL = pytest.importorskip("PIL.Image")
from PIL import Image  # noqa: E402

RNG = np.random.default_rng(0)


def img_f32(c=3, h=17, w=23):
    return RNG.random((c, h, w), dtype=np.float32)


def img_u8(c=3, h=17, w=23):
    return RNG.integers(0, 256, (c, h, w), dtype=np.uint8)


def E(a):
    return ember.tensor(a)


def npy(t):
    return t.detach().numpy() if isinstance(t, ember.Tensor) else np.asarray(t)


# ----------------------------------------------------------------------------- resize


@pytest.mark.parametrize("size", [(8, 11), (30, 40), (17, 9), (5, 50)])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_resize_tensor_antialias_matches_torch(size, mode):
    x = img_f32(3, 17, 23)
    out = F.resize(E(x), list(size), interpolation=F.InterpolationMode(mode), antialias=True)
    ref = TF.interpolate(torch.tensor(x)[None], size=size, mode=mode, align_corners=False, antialias=True)[0]
    np.testing.assert_allclose(npy(out), ref.numpy(), rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_resize_tensor_no_antialias_matches_torch(mode):
    x = img_f32(2, 12, 16)[None]
    out = F.resize(E(x), [7, 9], interpolation=F.InterpolationMode(mode), antialias=False)
    ref = TF.interpolate(torch.tensor(x), size=(7, 9), mode=mode, align_corners=False if mode != "nearest" else None)
    np.testing.assert_allclose(npy(out), ref.numpy(), rtol=1e-5, atol=1e-6)


def test_resize_uint8_and_sizes():
    x = img_u8(3, 40, 60)
    out = F.resize(E(x), 20)  # smaller edge
    assert out.shape == (3, 20, 30) and out.dtype == ember.uint8
    ref = TF.interpolate(torch.tensor(x)[None], size=(20, 30), mode="bilinear", antialias=True)[0]
    assert np.abs(npy(out).astype(int) - ref.numpy().astype(int)).max() <= 1
    assert F.resize(E(x), 20, max_size=25).shape == (3, 16, 25)
    assert F.resize(E(x), [40, 60]) is not None
    with pytest.raises(ValueError):
        F.resize(E(x), 20, max_size=10)
    with pytest.raises(ValueError):
        F.resize(E(x), [1, 2, 3])
    with pytest.raises(TypeError):
        T.Resize(2.5)


def test_resize_pil():
    arr = img_u8(3, 40, 60).transpose(1, 2, 0)
    im = Image.fromarray(arr)
    out = T.Resize(20)(im)
    assert out.size == (30, 20)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(im.resize((30, 20), Image.BILINEAR)))
    out = T.Resize((10, 12), interpolation=T.InterpolationMode.NEAREST)(im)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(im.resize((12, 10), Image.NEAREST)))


# ----------------------------------------------------------------------------- conversions


def test_to_tensor_and_back():
    arr = img_u8(3, 5, 7).transpose(1, 2, 0).copy()
    t = F.to_tensor(Image.fromarray(arr))
    ref = torch.tensor(arr).permute(2, 0, 1).float().div(255)
    assert t.dtype == ember.float32
    np.testing.assert_array_equal(npy(t), ref.numpy())
    np.testing.assert_array_equal(npy(F.to_tensor(arr)), ref.numpy())
    np.testing.assert_array_equal(npy(F.pil_to_tensor(Image.fromarray(arr))), arr.transpose(2, 0, 1))
    g = F.to_tensor(Image.fromarray(arr[:, :, 0]))
    assert g.shape == (1, 5, 7)
    back = F.to_pil_image(t)
    assert back.mode == "RGB"
    ref_back = (torch.tensor(npy(t)).mul(255).byte()).permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(np.asarray(back), ref_back)
    assert F.to_pil_image(E(arr[:, :, :1].transpose(2, 0, 1).copy())).mode == "L"
    assert F.to_tensor(np.ones((2, 2, 1), np.float64)).dtype == ember.float64
    with pytest.raises(TypeError):
        F.to_tensor([1, 2])
    with pytest.raises(ValueError):
        F.to_pil_image(E(np.zeros((5, 2, 2), np.uint8)))


def test_convert_image_dtype():
    u = img_u8()
    f = F.convert_image_dtype(E(u), ember.float32)
    np.testing.assert_allclose(npy(f), u.astype(np.float32) / 255)
    back = F.convert_image_dtype(f, ember.uint8)
    ref = (torch.tensor(npy(f)) * (255 + 1.0 - 1e-3)).to(torch.uint8)
    np.testing.assert_array_equal(npy(back), ref.numpy())
    i16 = F.convert_image_dtype(E(u), ember.int16)
    np.testing.assert_array_equal(npy(i16), u.astype(np.int16) * 128)
    np.testing.assert_array_equal(npy(F.convert_image_dtype(i16, ember.uint8)), u)
    with pytest.raises(RuntimeError):
        F.convert_image_dtype(f, ember.int32)


def test_normalize():
    x = img_f32()
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    out = T.Normalize(mean, std)(E(x))
    ref = (torch.tensor(x) - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)
    np.testing.assert_allclose(npy(out), ref.numpy(), rtol=1e-6, atol=1e-6)
    y = E(x.copy())
    F.normalize(y, mean, std, inplace=True)
    np.testing.assert_allclose(npy(y), ref.numpy(), rtol=1e-6, atol=1e-6)
    with pytest.raises(TypeError):
        F.normalize(E(img_u8()), mean, std)
    with pytest.raises(ValueError):
        F.normalize(E(x), mean, [1.0, 0.0, 1.0])
    with pytest.raises(ValueError):
        F.normalize(E(x[0]), mean, std)
    # differentiable
    z = E(x)
    z.requires_grad_(True)
    F.normalize(z, mean, std).sum().backward()
    np.testing.assert_allclose(npy(z.grad)[:, 0, 0], 1 / np.array(std, np.float32), rtol=1e-6)


# ----------------------------------------------------------------------------- geometry


def test_crops():
    x = img_u8(3, 10, 13)
    np.testing.assert_array_equal(npy(F.crop(E(x), 2, 3, 4, 5)), x[:, 2:6, 3:8])
    out = npy(F.crop(E(x), -2, 10, 5, 6))  # past the borders: zero padded
    ref = np.zeros((3, 5, 6), np.uint8)
    ref[:, 2:, :3] = x[:, :3, 10:]
    np.testing.assert_array_equal(out, ref)
    c = npy(T.CenterCrop((4, 5))(E(x)))
    top, left = int(round((10 - 4) / 2)), int(round((13 - 5) / 2))
    np.testing.assert_array_equal(c, x[:, top : top + 4, left : left + 5])
    big = npy(F.center_crop(E(x), [12, 16]))
    assert big.shape == (3, 12, 16)
    np.testing.assert_array_equal(big[:, 1:11, 1:14], x)
    im = Image.fromarray(x.transpose(1, 2, 0))
    np.testing.assert_array_equal(np.asarray(F.center_crop(im, [4, 5])), c.transpose(1, 2, 0))


@pytest.mark.parametrize("mode,tmode", [("reflect", "reflect"), ("edge", "replicate")])
def test_pad_tensor_modes(mode, tmode):
    x = img_f32(2, 6, 7)
    out = F.pad(E(x), [1, 2, 3, 4], padding_mode=mode)
    ref = TF.pad(torch.tensor(x)[None], [1, 3, 2, 4], mode=tmode)[0]
    np.testing.assert_array_equal(npy(out), ref.numpy())


def test_pad_constant_symmetric_and_pil():
    x = img_u8(3, 4, 5)
    out = npy(T.Pad((1, 2), fill=7)(E(x)))
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), (2, 2), (1, 1)), constant_values=7))
    sym = npy(F.pad(E(x), [2, 1, 3, 2], padding_mode="symmetric"))
    np.testing.assert_array_equal(sym, np.pad(x, ((0, 0), (1, 2), (2, 3)), mode="symmetric"))
    neg = npy(F.pad(E(x), [-1, 0, 1, 0], padding_mode="edge"))
    np.testing.assert_array_equal(neg, np.pad(x[:, :, 1:], ((0, 0), (0, 0), (0, 1)), mode="edge"))
    im = Image.fromarray(x.transpose(1, 2, 0))
    for m in ["constant", "edge", "reflect", "symmetric"]:
        p = np.asarray(F.pad(im, [1, 2, 3, 1], fill=5, padding_mode=m))
        nm = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}.get(m)
        kw = {"mode": nm} if nm else {"constant_values": 5}
        np.testing.assert_array_equal(p, np.pad(x.transpose(1, 2, 0), ((2, 1), (1, 3), (0, 0)), **kw))
    with pytest.raises(ValueError):
        F.pad(E(x), [1, 2, 3])
    with pytest.raises(ValueError):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(TypeError):
        F.pad(E(x), "1")


def test_flips():
    x = img_u8()
    np.testing.assert_array_equal(npy(F.hflip(E(x))), x[:, :, ::-1])
    np.testing.assert_array_equal(npy(F.vflip(E(x))), x[:, ::-1])
    im = Image.fromarray(x.transpose(1, 2, 0))
    np.testing.assert_array_equal(np.asarray(F.hflip(im)), x.transpose(1, 2, 0)[:, ::-1])


def _torch_rotate(x, angle, mode, fill, expand=False):
    """torchvision's tensor rotate, written with torch ops."""
    rot = math.radians(-angle)
    a, b, c, d = math.cos(rot), -math.sin(rot), math.sin(rot), math.cos(rot)
    matrix = [d, -b, 0.0, -c, a, 0.0]
    h, w = x.shape[-2:]
    if expand:
        pts = torch.tensor(
            [[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]]
        )
        new = pts @ torch.tensor(matrix).view(2, 3).T
        mn, mx = new.aminmax(dim=0)
        size = torch.ceil((mx / 1e-4).trunc_() * 1e-4) - torch.floor((mn / 1e-4).trunc_() * 1e-4)
        ow, oh = int(size[0]), int(size[1])
    else:
        ow, oh = w, h
    theta = torch.tensor(matrix).reshape(1, 2, 3)
    base = torch.empty(1, oh, ow, 3)
    base[..., 0].copy_(torch.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, steps=ow))
    base[..., 1].copy_(torch.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, steps=oh).unsqueeze_(-1))
    base[..., 2].fill_(1)
    grid = base.view(1, oh * ow, 3).bmm(theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h])).view(1, oh, ow, 2)
    img = torch.cat((x[None], torch.ones(1, 1, h, w)), 1)
    out = TF.grid_sample(img, grid, mode=mode, padding_mode="zeros", align_corners=False)
    mask, out = out[:, -1:], out[:, :-1]
    fill_img = torch.tensor(fill).view(1, -1, 1, 1).expand_as(out)
    if mode == "nearest":
        m = mask.expand_as(out) < 0.5
        out[m] = fill_img[m]
    else:
        out = out * mask + (1.0 - mask) * fill_img
    return out[0]


@pytest.mark.parametrize(
    "angle,mode,expand", [(30.0, "bilinear", False), (-47.0, "nearest", True), (90.0, "nearest", False)]
)
def test_rotate_tensor_matches_torch(angle, mode, expand):
    x = img_f32(3, 12, 15)
    fill = [0.25, 0.5, 0.75]
    out = F.rotate(E(x), angle, F.InterpolationMode(mode), expand=expand, fill=fill)
    ref = _torch_rotate(torch.tensor(x), angle, mode, fill, expand)
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(npy(out), ref.numpy(), rtol=1e-5, atol=1e-5)


def test_rotate_square_90_is_rot90_and_pil():
    x = img_u8(3, 8, 8)
    out = npy(F.rotate(E(x), 90.0))
    np.testing.assert_array_equal(out, np.rot90(x, 1, axes=(1, 2)))
    im = Image.fromarray(x.transpose(1, 2, 0))
    np.testing.assert_array_equal(np.asarray(F.rotate(im, 90.0)), np.asarray(im.rotate(90.0)))


# ----------------------------------------------------------------------------- color


def test_brightness_contrast_saturation_grayscale():
    x = img_f32()
    tx = torch.tensor(x)
    gray = (0.2989 * tx[0] + 0.587 * tx[1] + 0.114 * tx[2]).unsqueeze(0)
    np.testing.assert_allclose(npy(F.rgb_to_grayscale(E(x))), gray.numpy(), rtol=1e-6)
    np.testing.assert_allclose(npy(T.Grayscale(3)(E(x))), gray.expand(3, -1, -1).numpy(), rtol=1e-6)
    np.testing.assert_allclose(npy(F.adjust_brightness(E(x), 1.7)), (1.7 * tx).clamp(0, 1).numpy(), rtol=1e-6)
    mean = gray.mean()
    np.testing.assert_allclose(
        npy(F.adjust_contrast(E(x), 0.3)), (0.3 * tx + 0.7 * mean).clamp(0, 1).numpy(), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        npy(F.adjust_saturation(E(x), 1.4)), (1.4 * tx + (1 - 1.4) * gray).clamp(0, 1).numpy(), rtol=1e-5, atol=1e-6
    )
    u = img_u8()
    ref = (1.3 * torch.tensor(u)).clamp(0, 255).to(torch.uint8)
    np.testing.assert_array_equal(npy(F.adjust_brightness(E(u), 1.3)), ref.numpy())
    with pytest.raises(ValueError):
        F.adjust_brightness(E(x), -1)
    with pytest.raises(TypeError):
        F.rgb_to_grayscale(E(img_f32(2)))
    with pytest.raises(ValueError):
        F.rgb_to_grayscale(E(x), 2)


def test_adjust_hue_matches_colorsys():
    x = img_f32(3, 4, 5)
    out = npy(F.adjust_hue(E(x), 0.2))
    ref = np.empty_like(x)
    for i in range(4):
        for j in range(5):
            h, s, v = colorsys.rgb_to_hsv(*x[:, i, j])
            ref[:, i, j] = colorsys.hsv_to_rgb((h + 0.2) % 1.0, s, v)
    np.testing.assert_allclose(out, ref, atol=1e-5)
    with pytest.raises(ValueError):
        F.adjust_hue(E(x), 0.6)
    u = img_u8(3, 4, 5)
    assert F.adjust_hue(E(u), -0.1).dtype == ember.uint8


def test_gaussian_blur_matches_torch():
    x = img_f32(3, 12, 14)
    out = F.gaussian_blur(E(x), [5, 3], [1.5, 0.8])

    def k1(k, s):
        t = torch.linspace(-(k - 1) * 0.5, (k - 1) * 0.5, steps=k)
        p = torch.exp(-0.5 * (t / s).pow(2))
        return p / p.sum()

    kernel = torch.mm(k1(3, 0.8)[:, None], k1(5, 1.5)[None, :]).expand(3, 1, 3, 5)
    ref = TF.conv2d(TF.pad(torch.tensor(x)[None], [2, 2, 1, 1], mode="reflect"), kernel, groups=3)[0]
    np.testing.assert_allclose(npy(out), ref.numpy(), rtol=1e-5, atol=1e-6)
    u = img_u8(3, 12, 14)
    ou = F.gaussian_blur(E(u), 3)
    assert ou.dtype == ember.uint8
    im = F.gaussian_blur(Image.fromarray(u.transpose(1, 2, 0)), 3)
    np.testing.assert_array_equal(np.asarray(im), npy(ou).transpose(1, 2, 0))
    with pytest.raises(ValueError):
        F.gaussian_blur(E(x), 4)
    with pytest.raises(ValueError):
        T.GaussianBlur(3, sigma=(2.0, 1.0))


# ----------------------------------------------------------------------------- random parameters = torchvision's


def test_random_crop_params_match_torch():
    x = E(img_u8(3, 30, 40))
    torch.manual_seed(7)
    i = torch.randint(0, 30 - 10 + 1, size=(1,)).item()
    j = torch.randint(0, 40 - 12 + 1, size=(1,)).item()
    ember.manual_seed(7)
    assert T.RandomCrop.get_params(x, (10, 12)) == (i, j, 10, 12)
    ember.manual_seed(7)
    np.testing.assert_array_equal(npy(T.RandomCrop((10, 12))(x)), npy(x)[:, i : i + 10, j : j + 12])
    out = T.RandomCrop(32, padding=2, pad_if_needed=True)(x)
    assert out.shape == (3, 32, 32)
    with pytest.raises(ValueError):
        T.RandomCrop.get_params(x, (31, 41))


def _torch_rrc_params(height, width, scale, ratio):
    area = height * width
    log_ratio = torch.log(torch.tensor(ratio))
    for _ in range(10):
        target_area = area * torch.empty(1).uniform_(scale[0], scale[1]).item()
        aspect_ratio = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
        w = int(round(math.sqrt(target_area * aspect_ratio)))
        h = int(round(math.sqrt(target_area / aspect_ratio)))
        if 0 < w <= width and 0 < h <= height:
            i = torch.randint(0, height - h + 1, size=(1,)).item()
            j = torch.randint(0, width - w + 1, size=(1,)).item()
            return i, j, h, w
    return None


def test_random_resized_crop_params_match_torch():
    x = E(img_u8(3, 50, 70))
    for seed in range(20):
        torch.manual_seed(seed)
        ref = _torch_rrc_params(50, 70, (0.08, 1.0), (3 / 4, 4 / 3))
        ember.manual_seed(seed)
        got = T.RandomResizedCrop.get_params(x, (0.08, 1.0), (3 / 4, 4 / 3))
        if ref is not None:
            assert got == ref
    out = T.RandomResizedCrop(16)(x)
    assert out.shape == (3, 16, 16)
    assert repr(T.RandomResizedCrop(16)) == (
        "RandomResizedCrop(size=(16, 16), scale=(0.08, 1.0), ratio=(0.75, 1.3333), interpolation=bilinear, antialias=True)"
    )


def test_flip_rotation_jitter_blur_draws_match_torch():
    x = E(img_f32(3, 9, 9))
    torch.manual_seed(3)
    flips = [bool(torch.rand(1) < 0.5) for _ in range(8)]
    ember.manual_seed(3)
    t = T.RandomHorizontalFlip()
    got = [not np.array_equal(npy(t(x)), npy(x)) for _ in range(8)]
    assert got == flips
    torch.manual_seed(4)
    angle = float(torch.empty(1).uniform_(-30.0, 30.0).item())
    ember.manual_seed(4)
    assert T.RandomRotation.get_params([-30.0, 30.0]) == angle
    torch.manual_seed(5)
    ref = (
        torch.randperm(4).tolist(),
        *[float(torch.empty(1).uniform_(a, b)) for a, b in [(0.6, 1.4), (0.8, 1.2), (0, 2), (-0.1, 0.1)]],
    )
    ember.manual_seed(5)
    cj = T.ColorJitter(0.4, 0.2, 1, 0.1)
    fn, *vals = cj.get_params(cj.brightness, cj.contrast, cj.saturation, cj.hue)
    assert (fn.tolist(), *vals) == ref
    assert cj(x).shape == (3, 9, 9)
    torch.manual_seed(6)
    s = torch.empty(1).uniform_(0.1, 2.0).item()
    ember.manual_seed(6)
    assert T.GaussianBlur.get_params(0.1, 2.0) == s
    torch.manual_seed(8)
    applied = not (0.5 < torch.rand(1))
    ember.manual_seed(8)
    out = T.RandomApply([T.Lambda(lambda v: v * 0)], p=0.5)(x)
    assert (npy(out).sum() == 0) == applied


def test_rotation_transform_and_repr():
    x = E(img_u8(3, 8, 8))
    r = T.RandomRotation(10)
    assert r(x).shape == (3, 8, 8)
    assert repr(r) == "RandomRotation(degrees=[-10.0, 10.0], interpolation=nearest, expand=False, fill=0)"
    with pytest.raises(ValueError):
        T.RandomRotation(-1)
    with pytest.raises(TypeError):
        T.RandomRotation({1})
    with pytest.raises(ValueError):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError):
        T.ColorJitter(hue=0.7)
    with pytest.raises(TypeError):
        T.Lambda(3)


def test_compose_pipeline_and_reprs():
    im = Image.fromarray(img_u8(3, 40, 50).transpose(1, 2, 0))
    pipe = T.Compose([T.Resize(32), T.CenterCrop(28), T.ToTensor(), T.Normalize([0.5] * 3, [0.25] * 3)])
    out = pipe(im)
    assert out.shape == (3, 28, 28) and out.dtype == ember.float32
    assert repr(pipe) == (
        "Compose(\n    Resize(size=32, interpolation=bilinear, max_size=None, antialias=True)\n    CenterCrop(size=(28, 28))\n"
        "    ToTensor()\n    Normalize(mean=[0.5, 0.5, 0.5], std=[0.25, 0.25, 0.25])\n)"
    )
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"
    assert repr(T.ColorJitter(0.4)) == "ColorJitter(brightness=(0.6, 1.4), contrast=None, saturation=None, hue=None)"
    assert repr(T.Pad(2)) == "Pad(padding=2, fill=0, padding_mode=constant)"
    ch = T.RandomChoice([T.RandomVerticalFlip(1.0), T.RandomHorizontalFlip(1.0)])
    assert ch(E(img_u8())).shape == (3, 17, 23)
    assert T.ConvertImageDtype(ember.float32)(E(img_u8())).dtype == ember.float32
    assert isinstance(T.ToPILImage()(out * 0 + 0.5), Image.Image)
    assert T.PILToTensor()(im).dtype == ember.uint8
    aff = T.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5)
    assert aff(E(img_f32())).shape == (3, 17, 23)
    assert aff(im).size == (50, 40)


def test_missing_pillow_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"ember\[vision\]"):
        F._pil()
    # tensors keep working without Pillow
    assert F.hflip(E(img_u8())).shape == (3, 17, 23)
