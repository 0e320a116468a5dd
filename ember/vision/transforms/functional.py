"""torchvision.transforms.functional: the same functions for PIL images and image tensors (..., C, H, W).

Tensor paths are written with ember ops (differentiable where torchvision's are); PIL paths call Pillow, which
is imported lazily (``pip install ember[vision]``).
"""

import math
import numbers
import warnings
from enum import Enum

import numpy as np

from ... import (
    as_tensor,
    cat,
    float32,
    float64,
    from_numpy,
    get_default_dtype,
    iinfo,
    int32,
    int64,
    ones,
    tensor,
    where,
    zeros_like,
)
from ... import bool as _bool
from ... import nn as _nn
from ..._tensor import Tensor

__all__ = [
    "InterpolationMode",
    "get_dimensions",
    "get_image_size",
    "get_image_num_channels",
    "to_tensor",
    "pil_to_tensor",
    "to_pil_image",
    "convert_image_dtype",
    "normalize",
    "resize",
    "pad",
    "crop",
    "center_crop",
    "resized_crop",
    "hflip",
    "vflip",
    "rotate",
    "affine",
    "rgb_to_grayscale",
    "to_grayscale",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "adjust_hue",
    "adjust_gamma",
    "gaussian_blur",
    "invert",
    "erase",
]


def _pil():
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(
            "ember.vision needs Pillow for PIL images: install it with `pip install ember[vision]` (or `pip install pillow`)"
        ) from e
    return Image


def _is_pil_image(img):
    try:
        from PIL import Image
    except ImportError:
        return False
    return isinstance(img, Image.Image)


class InterpolationMode(Enum):
    """Matches `torchvision.transforms.InterpolationMode`."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_MODES = {"nearest": 0, "nearest-exact": 0, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5, "lanczos": 1}


def _interpolation_modes_from_int(i):
    inverse = {
        0: InterpolationMode.NEAREST,
        2: InterpolationMode.BILINEAR,
        3: InterpolationMode.BICUBIC,
        4: InterpolationMode.BOX,
        5: InterpolationMode.HAMMING,
        1: InterpolationMode.LANCZOS,
    }
    return inverse[i]


def _check_interp(interpolation):
    if isinstance(interpolation, int):
        interpolation = _interpolation_modes_from_int(interpolation)
    elif isinstance(interpolation, str):
        interpolation = InterpolationMode(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError(
            "Argument interpolation should be a InterpolationMode or a corresponding Pillow integer constant"
        )
    return interpolation


# ----------------------------------------------------------------------------------------------- helpers


def _assert_image_tensor(img):
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def _check_img(img):
    if not isinstance(img, Tensor) and not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


def get_dimensions(img):
    """[channels, height, width] of a PIL image or an image tensor."""
    if isinstance(img, Tensor):
        _assert_image_tensor(img)
        channels = 1 if img.ndim == 2 else img.shape[-3]
        height, width = img.shape[-2:]
        return [channels, height, width]
    if _is_pil_image(img):
        channels = len(img.getbands())
        width, height = img.size
        return [channels, height, width]
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_size(img):
    """[width, height]."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


def _max_value(dtype):

    if dtype.is_floating_point:
        return 1.0
    if dtype == _bool:
        return 1
    return iinfo(dtype).max


def _assert_channels(img, permitted):
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {c}")


def _cast_squeeze_in(img, req_dtypes):
    need_squeeze = False
    if img.ndim < 4:
        img = img.unsqueeze(dim=0)
        need_squeeze = True
    out_dtype = img.dtype
    need_cast = False
    if out_dtype not in req_dtypes:
        need_cast = True
        img = img.to(req_dtypes[0])
    return img, need_cast, need_squeeze, out_dtype


def _cast_squeeze_out(img, need_cast, need_squeeze, out_dtype):
    if need_squeeze:
        img = img.squeeze(dim=0)
    if need_cast:
        if not out_dtype.is_floating_point:
            img = img.round()
        img = img.to(out_dtype)
    return img


def _as_batch(img):
    """View an image tensor (..., C, H, W) as (N, C, H, W)."""
    shape = img.shape
    if img.ndim == 2:
        return img.reshape(1, 1, *shape), shape
    return img.reshape(-1, shape[-3], shape[-2], shape[-1]), shape


# ----------------------------------------------------------------------------------------------- conversions


def to_tensor(pic):
    """PIL image or HWC ndarray -> float CHW tensor in [0, 1] (uint8 input is divided by 255)."""

    if not (_is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray):
        if pic.ndim not in {2, 3}:
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        arr = np.ascontiguousarray(pic.transpose((2, 0, 1)))
    else:
        mode_to_nptype = {"I": np.int32, "I;16": np.int16 if np.little_endian else np.dtype(">i2"), "F": np.float32}
        arr = np.array(pic, mode_to_nptype.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            arr = 255 * arr
        arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
        arr = np.ascontiguousarray(arr.transpose((2, 0, 1)))
    if arr.dtype == np.uint8:
        dt = np.float64 if get_default_dtype().itemsize == 8 else np.float32
        arr = arr.astype(dt) / dt(255)
    return from_numpy(arr)


def pil_to_tensor(pic):
    """PIL image -> CHW tensor of the image's own dtype (no scaling)."""

    if not _is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return from_numpy(np.ascontiguousarray(arr.transpose((2, 0, 1))))


def to_pil_image(pic, mode=None):
    """CHW tensor or HWC ndarray -> PIL image (float data is scaled by 255 unless ``mode == "F"``)."""
    Image = _pil()
    if isinstance(pic, Tensor):
        if pic.ndim not in {2, 3}:
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic.unsqueeze(0)
        if pic.shape[-3] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-3]} channels.")
        if pic.is_floating_point() and mode != "F":
            pic = pic.mul(255).byte()
        npimg = np.transpose(pic.detach().cpu().numpy(), (1, 2, 0))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in {2, 3}:
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = np.expand_dims(pic, 2)
        if pic.shape[-1] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
        npimg = pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if npimg.shape[2] == 1:
        expected_mode = None
        npimg = npimg[:, :, 0]
        if npimg.dtype == np.uint8:
            expected_mode = "L"
        elif npimg.dtype == np.int16:
            expected_mode = "I;16"
        elif npimg.dtype == np.int32:
            expected_mode = "I"
        elif npimg.dtype == np.float32:
            expected_mode = "F"
        if mode is not None and mode != expected_mode:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {np.dtype}. Should be {expected_mode}")
        mode = expected_mode
    elif npimg.shape[2] == 2:
        permitted = ["LA"]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for 2D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = "LA"
    elif npimg.shape[2] == 4:
        permitted = ["RGBA", "CMYK", "RGBX"]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for 4D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = "RGBA"
    else:
        permitted = ["RGB", "YCbCr", "HSV"]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for 3D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = "RGB"
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    if mode == "I;16":
        return Image.fromarray(np.ascontiguousarray(npimg), mode)
    img = Image.fromarray(np.ascontiguousarray(npimg))
    return img if img.mode == mode else img.convert(mode)


def convert_image_dtype(image, dtype=None):
    """Converts an image tensor's dtype, rescaling values (float in [0, 1], integers in [0, max])."""

    if dtype is None:
        dtype = float32
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)

        if (image.dtype == float32 and dtype in (int32, int64)) or (image.dtype.itemsize == 8 and dtype == int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        eps = 1e-3
        max_val = float(_max_value(dtype))
        return image.mul(max_val + 1.0 - eps).to(dtype)
    input_max = float(_max_value(image.dtype))
    if dtype.is_floating_point:
        return image.to(dtype) / input_max
    output_max = float(_max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return image.div(factor, rounding_mode="floor").to(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return image.to(dtype) * factor


def normalize(tensor, mean, std, inplace=False):
    """(tensor - mean) / std per channel of a float image tensor (..., C, H, W)."""

    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(
            f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = {tensor.size()}"
        )
    if not inplace:
        tensor = tensor.clone()
    dtype = tensor.dtype
    mean = as_tensor(mean, dtype=dtype, device=tensor.device)
    std = as_tensor(std, dtype=dtype, device=tensor.device)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


# ----------------------------------------------------------------------------------------------- geometry


def _compute_resized_output_size(image_size, size, max_size=None):
    h, w = image_size
    if size is None or len(size) == 1:
        short, long = (w, h) if w <= h else (h, w)
        if size is None:
            if max_size is None:
                raise ValueError("If size is None, then max_size must be specified")
            new_long = max_size
            new_short = int(max_size * short / long)
        else:
            requested_new_short = size if isinstance(size, int) else size[0]
            new_short, new_long = requested_new_short, int(requested_new_short * long / short)
            if max_size is not None:
                if max_size <= requested_new_short:
                    raise ValueError(
                        f"max_size = {max_size} must be strictly greater than the requested "
                        f"size for the smaller edge size = {size}"
                    )
                if new_long > max_size:
                    new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]


def _aa_filter(kind):
    if kind == "bilinear":

        def f(x):
            return np.maximum(1.0 - np.abs(x), 0.0)

        return f, 1.0
    a = -0.5  # PIL's (and torch's antialiased) bicubic

    def g(x):
        x = np.abs(x)
        return np.where(
            x < 1.0,
            ((a + 2.0) * x - (a + 3.0)) * x * x + 1,
            np.where(x < 2.0, (((x - 5) * x + 8) * x - 4) * a, 0.0),
        )

    return g, 2.0


def _aa_matrix(n_in, n_out, kind, dtype):
    """The (n_out, n_in) antialiased resampling matrix torch's ``_upsample_*_aa`` (and PIL) use."""
    fn, support0 = _aa_filter(kind)
    scale = n_in / n_out
    support = support0 * scale if scale >= 1.0 else support0
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    center = scale * (np.arange(n_out) + 0.5)
    xmin = np.maximum((center - support + 0.5).astype(np.int64), 0)
    xmax = np.minimum((center + support + 0.5).astype(np.int64), n_in)
    j = np.arange(n_in)
    inside = (j[None, :] >= xmin[:, None]) & (j[None, :] < xmax[:, None])
    w = fn((j[None, :] - center[:, None] + 0.5) * invscale) * inside
    total = w.sum(1, keepdims=True)
    w = np.where(total != 0, w / np.where(total == 0, 1, total), 0.0)
    return w.astype(dtype)


def _resize_tensor(img, size, interpolation, antialias):

    mode = interpolation.value
    if mode in ("box", "hamming", "lanczos"):
        raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")
    if antialias is None:
        antialias = False
    if mode not in ("bilinear", "bicubic"):
        antialias = False
    x, shape = _as_batch(img)
    x, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(x, [float32, float64])
    oh, ow = size
    if antialias:
        dt = np.float64 if x.dtype == float64 else np.float32
        mh = from_numpy(_aa_matrix(x.shape[-2], oh, mode, dt))
        mw = from_numpy(_aa_matrix(x.shape[-1], ow, mode, dt).T.copy())
        x = mh.matmul(x).matmul(mw)
    else:
        align = False if mode in ("bilinear", "bicubic") else None
        x = _nn.functional.interpolate(x, size=[oh, ow], mode=mode, align_corners=align)
    if mode == "bicubic" and out_dtype.is_floating_point is False:
        x = x.clamp(min=0, max=255)
    x = _cast_squeeze_out(x, need_cast, need_squeeze, out_dtype)
    return x.reshape(*shape[:-2], oh, ow)


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resizes to ``size`` ((h, w), or the smaller edge when an int / 1-sequence), as torchvision's `F.resize`.
    Tensors use torch's antialiased bilinear/bicubic filter (PIL's) when ``antialias`` is true."""
    interpolation = _check_interp(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in [1, 2]:
            raise ValueError(
                f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element tuple/list"
            )
        if max_size is not None and len(size) != 1:
            raise ValueError(
                "max_size should only be passed if size specifies the length of the smaller edge, "
                "i.e. size should be an int or a sequence of length 1 in torchscript mode."
            )
    _check_img(img)
    _, image_height, image_width = get_dimensions(img)
    if isinstance(size, int):
        size = [size]
    output_size = _compute_resized_output_size((image_height, image_width), size, max_size)
    if [image_height, image_width] == output_size:
        return img
    if not isinstance(img, Tensor):
        if antialias is False:
            warnings.warn(
                "Anti-alias option is always applied for PIL Image input. Argument antialias is ignored.", stacklevel=2
            )
        return img.resize(tuple(output_size[::-1]), _PIL_MODES[interpolation.value])
    return _resize_tensor(img, output_size, interpolation, antialias)


def _parse_fill(fill, img, name="fillcolor"):
    num_channels = get_dimensions(img)[0]
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and num_channels > 1:
        fill = tuple([fill] * num_channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * num_channels
        elif len(fill) != num_channels:
            raise ValueError(
                f"The number of elements in 'fill' does not match the number of channels of the image "
                f"({len(fill)} != {num_channels})"
            )
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def _pad_index(n, lo, hi, mode):
    idx = np.arange(-lo, n + hi)
    if mode == "edge":
        return np.clip(idx, 0, n - 1)
    if mode == "reflect":
        period = 2 * (n - 1) if n > 1 else 1
        m = np.mod(idx, period)
        return np.where(m >= n, period - m, m)
    period = 2 * n  # symmetric
    m = np.mod(idx, period)
    return np.where(m >= n, period - 1 - m, m)


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pads the borders (``padding``: int, (lr, tb) or (l, t, r, b)); ``padding_mode`` constant, edge, reflect
    or symmetric. Negative padding crops tensors."""
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, list):
        padding = tuple(padding)
    if isinstance(padding, tuple) and len(padding) not in [1, 2, 4]:
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if isinstance(padding, int):
        pl = pr = pt = pb = padding
    elif len(padding) == 1:
        pl = pr = pt = pb = padding[0]
    elif len(padding) == 2:
        pl = pr = padding[0]
        pt = pb = padding[1]
    else:
        pl, pt, pr, pb = padding
    _check_img(img)
    if not isinstance(img, Tensor):
        Image = _pil()
        if padding_mode == "constant":
            from PIL import ImageOps

            opts = _parse_fill(fill, img, name="fill")
            if img.mode == "P":
                palette = img.getpalette()
                image = ImageOps.expand(img, border=(pl, pt, pr, pb), **opts)
                image.putpalette(palette)
                return image
            return ImageOps.expand(img, border=(pl, pt, pr, pb), **opts)
        npmode = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}[padding_mode]
        if img.mode == "P":
            palette = img.getpalette()
            arr = np.pad(np.asarray(img), ((pt, pb), (pl, pr)), npmode)
            out = Image.fromarray(arr)
            out.putpalette(palette)
            return out
        arr = np.asarray(img)
        if arr.ndim == 3:
            arr = np.pad(arr, ((pt, pb), (pl, pr), (0, 0)), npmode)
        else:
            arr = np.pad(arr, ((pt, pb), (pl, pr)), npmode)
        return Image.fromarray(arr)
    if padding_mode == "constant":
        if fill is None:
            fill = 0
        if isinstance(fill, (tuple, list)):
            if len(fill) != 1:
                raise ValueError("Only a single fill value is supported for tensors with padding_mode='constant'")
            fill = fill[0]
        x, shape = _as_batch(img)
        out = _nn.functional.pad(x, [pl, pr, pt, pb], mode="constant", value=float(fill))
        return out.reshape(*shape[:-2], out.shape[-2], out.shape[-1])
    # Negative padding crops first, as torch's pad does.
    h, w = img.shape[-2:]
    crop_l, crop_r, crop_t, crop_b = (-min(p, 0) for p in (pl, pr, pt, pb))
    if crop_l or crop_r or crop_t or crop_b:
        img = img[..., crop_t : h - crop_b, crop_l : w - crop_r]
        pl, pr, pt, pb = max(pl, 0), max(pr, 0), max(pt, 0), max(pb, 0)
        h, w = img.shape[-2:]
    if padding_mode == "reflect" and (pl >= w or pr >= w or pt >= h or pb >= h):
        raise RuntimeError(
            "Padding size should be less than the corresponding input dimension, but got: "
            f"padding ({pl}, {pr}) at dimension {img.ndim - 1} of input {list(img.shape)}"
        )

    ih = from_numpy(_pad_index(h, pt, pb, padding_mode))
    iw = from_numpy(_pad_index(w, pl, pr, padding_mode))
    return img.index_select(-2, ih).index_select(-1, iw)


def crop(img, top, left, height, width):
    """Crops the box (top, left, height, width); tensor boxes past the border are zero-padded."""
    _check_img(img)
    if not isinstance(img, Tensor):
        return img.crop((left, top, left + width, top + height))
    _, h, w = get_dimensions(img)
    right = left + width
    bottom = top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [
            max(-left + min(0, right), 0),
            max(-top + min(0, bottom), 0),
            max(right - max(w, left), 0),
            max(bottom - max(h, top), 0),
        ]
        return pad(img[..., max(top, 0) : bottom, max(left, 0) : right], padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


def center_crop(img, output_size):
    """Crops the center (padding with zeros when the image is smaller than ``output_size``)."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = output_size
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [
            (crop_width - image_width) // 2 if crop_width > image_width else 0,
            (crop_height - image_height) // 2 if crop_height > image_height else 0,
            (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
            (crop_height - image_height + 1) // 2 if crop_height > image_height else 0,
        ]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    """`crop` then `resize`."""
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def hflip(img):
    """Flips left-right."""
    _check_img(img)
    if not isinstance(img, Tensor):
        return img.transpose(_pil().Transpose.FLIP_LEFT_RIGHT)
    return img.flip(-1)


def vflip(img):
    """Flips top-bottom."""
    _check_img(img)
    if not isinstance(img, Tensor):
        return img.transpose(_pil().Transpose.FLIP_TOP_BOTTOM)
    return img.flip(-2)


def _get_inverse_affine_matrix(center, angle, translate, scale, shear, inverted=True):
    rot = math.radians(angle)
    sx = math.radians(shear[0])
    sy = math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        matrix = [d, -b, 0.0, -c, a, 0.0]
        matrix = [x / scale for x in matrix]
        matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
        matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
        matrix[2] += cx
        matrix[5] += cy
    else:
        matrix = [a, b, 0.0, c, d, 0.0]
        matrix = [x * scale for x in matrix]
        matrix[2] += matrix[0] * (-cx) + matrix[1] * (-cy)
        matrix[5] += matrix[3] * (-cx) + matrix[4] * (-cy)
        matrix[2] += cx + tx
        matrix[5] += cy + ty
    return matrix


def _compute_affine_output_size(matrix, w, h):
    pts = np.array(
        [[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]],
        dtype=np.float32,
    )
    theta = np.array(matrix, dtype=np.float32).reshape(2, 3)
    new_pts = pts @ theta.T
    min_vals, max_vals = new_pts.min(0), new_pts.max(0)
    tol = np.float32(1e-4)
    cmax = np.ceil(np.trunc(max_vals / tol) * tol)
    cmin = np.floor(np.trunc(min_vals / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def _linspace(start, end, steps, dt):
    """torch.linspace's values: the first half counted up from ``start``, the second down from ``end``."""
    if steps == 1:
        return np.array([start], dtype=dt)
    start, end = dt.type(start), dt.type(end)
    step = (end - start) / dt.type(steps - 1)
    i = np.arange(steps)
    half = steps // 2
    return np.where(i < half, start + step * i.astype(dt), end - step * (steps - 1 - i).astype(dt)).astype(dt)


def _gen_affine_grid(theta, w, h, ow, oh):
    d = 0.5
    dt = theta.dtype
    base = np.empty((1, oh, ow, 3), dtype=dt)
    base[..., 0] = _linspace(-ow * 0.5 + d, ow * 0.5 + d - 1, ow, dt)
    base[..., 1] = _linspace(-oh * 0.5 + d, oh * 0.5 + d - 1, oh, dt)[:, None]
    base[..., 2] = 1
    r = (theta.transpose(0, 2, 1) / np.array([0.5 * w, 0.5 * h], dtype=dt))[0]
    b = base.reshape(oh * ow, 3)
    # Summed term by term in the grid's dtype, as torch's bmm does, so half-pixel ties round the same way.
    out = b[:, 0:1] * r[0] + b[:, 1:2] * r[1] + b[:, 2:3] * r[2]
    return out.reshape(1, oh, ow, 2)


def _apply_grid_transform(img, grid, mode, fill):

    x, shape = _as_batch(img)
    out_dtype = x.dtype
    need_cast = not x.is_floating_point()
    need_squeeze = False
    if need_cast:
        x = x.float()
    grid_t = from_numpy(grid.astype(np.float64 if x.dtype.itemsize == 8 else np.float32))
    if x.shape[0] > 1:
        grid_t = grid_t.expand(x.shape[0], grid.shape[1], grid.shape[2], grid.shape[3])
    if fill is not None:
        mask = ones((x.shape[0], 1, x.shape[2], x.shape[3]), dtype=x.dtype)
        x = cat((x, mask), dim=1)
    x = _nn.functional.grid_sample(x, grid_t, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        mask = x[:, -1:, :, :]
        x = x[:, :-1, :, :]
        mask = mask.expand_as(x)
        fill_list, len_fill = (fill, len(fill)) if isinstance(fill, (tuple, list)) else ([float(fill)], 1)
        fill_img = tensor(fill_list, dtype=x.dtype).view(1, len_fill, 1, 1).expand_as(x)
        if mode == "nearest":
            x = where(mask < 0.5, fill_img, x)
        else:
            x = x * mask + (1.0 - mask) * fill_img
    x = _cast_squeeze_out(x, need_cast, need_squeeze, out_dtype)
    return x.reshape(*shape[:-2], x.shape[-2], x.shape[-1])


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    """Rotates by ``angle`` degrees counter-clockwise around ``center`` (default: the image center)."""
    interpolation = _check_interp(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    _check_img(img)
    if not isinstance(img, Tensor):
        opts = _parse_fill(fill, img)
        return img.rotate(angle, _PIL_MODES[interpolation.value], expand, center, **opts)
    center_f = [0.0, 0.0]
    if center is not None:
        _, height, width = get_dimensions(img)
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _get_inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    return _affine_tensor(img, matrix, interpolation, fill, expand)


def _affine_tensor(img, matrix, interpolation, fill, expand=False):
    if interpolation.value not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{interpolation.value}' is unsupported with Tensor input")
    w, h = img.shape[-1], img.shape[-2]
    ow, oh = _compute_affine_output_size(matrix, w, h) if expand else (w, h)
    dt = np.float64 if (img.is_floating_point() and img.dtype.itemsize == 8) else np.float32
    theta = np.array(matrix, dtype=dt).reshape(1, 2, 3)
    grid = _gen_affine_grid(theta, w=w, h=h, ow=ow, oh=oh)
    return _apply_grid_transform(img, grid, interpolation.value, fill)


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    """Affine transformation keeping the image center invariant (torchvision's `F.affine`)."""
    interpolation = _check_interp(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    if isinstance(angle, int):
        angle = float(angle)
    translate = [float(t) for t in translate]
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = [float(s) for s in shear]
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    _, height, width = get_dimensions(img)
    if not isinstance(img, Tensor):
        if center is None:
            center = [width * 0.5, height * 0.5]
        matrix = _get_inverse_affine_matrix(center, angle, translate, scale, shear)
        opts = _parse_fill(fill, img)
        return img.transform((width, height), _pil().Transform.AFFINE, matrix, _PIL_MODES[interpolation.value], **opts)
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    translate_f = [1.0 * t for t in translate]
    matrix = _get_inverse_affine_matrix(center_f, angle, translate_f, scale, shear)
    return _affine_tensor(img, matrix, interpolation, fill)


# ----------------------------------------------------------------------------------------------- color


def _blend(img1, img2, ratio):
    ratio = float(ratio)
    bound = _max_value(img1.dtype)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def rgb_to_grayscale(img, num_output_channels=1):
    """ITU-R 601-2 luma (0.2989 R + 0.587 G + 0.114 B); ``num_output_channels`` 1 or 3."""
    _check_img(img)
    if not isinstance(img, Tensor):
        return to_grayscale(img, num_output_channels)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        r, g, b = img.unbind(dim=-3)
        l_img = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype)
        l_img = l_img.unsqueeze(dim=-3)
    else:
        l_img = img.clone()
    if num_output_channels == 3:
        return l_img.expand(img.shape)
    return l_img


def to_grayscale(img, num_output_channels=1):
    """PIL image to grayscale (mode L, or RGB with three equal channels)."""
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        Image = _pil()
        np_img = np.array(img.convert("L"), dtype=np.uint8)
        np_img = np.dstack([np_img, np_img, np_img])
        return Image.fromarray(np_img, "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


def _enhance(img, name, factor):
    from PIL import ImageEnhance

    return getattr(ImageEnhance, name)(img).enhance(factor)


def adjust_brightness(img, brightness_factor):
    """Multiplies intensities by ``brightness_factor`` (clamped to the dtype's range)."""
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _check_img(img)
    if not isinstance(img, Tensor):
        return _enhance(img, "Brightness", brightness_factor)
    _assert_channels(img, [1, 3])

    return _blend(img, zeros_like(img), brightness_factor)


def adjust_contrast(img, contrast_factor):
    """Blends with the mean gray level."""
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _check_img(img)
    if not isinstance(img, Tensor):
        return _enhance(img, "Contrast", contrast_factor)
    _assert_channels(img, [3, 1])

    c = get_dimensions(img)[0]
    dtype = img.dtype if img.is_floating_point() else float32
    if c == 3:
        mean = rgb_to_grayscale(img).to(dtype).mean(dim=(-3, -2, -1), keepdim=True)
    else:
        mean = img.to(dtype).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor):
    """Blends with the grayscale image."""
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _check_img(img)
    if not isinstance(img, Tensor):
        return _enhance(img, "Color", saturation_factor)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb2hsv(img):
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    maxc = img.max(axis=-3)
    minc = img.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    cr_divisor = np.where(eqc, ones, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = hr + hg + hb
    h = np.fmod(h / 6.0 + 1.0, 1.0)
    return h, s, maxc


def _hsv2rgb(h, s, v):
    dt = h.dtype
    i = np.floor(h * dt.type(6.0))
    f = h * dt.type(6.0) - i
    i = i.astype(np.int32) % 6
    one = dt.type(1.0)
    p = np.clip(v * (one - s), 0.0, 1.0)
    q = np.clip(v * (one - s * f), 0.0, 1.0)
    t = np.clip(v * (one - s * (one - f)), 0.0, 1.0)
    choices_r = np.stack((v, q, p, p, t, v))
    choices_g = np.stack((t, v, v, q, p, p))
    choices_b = np.stack((p, p, t, v, v, q))
    idx = i[None]
    r = np.take_along_axis(choices_r, idx, 0)[0]
    g = np.take_along_axis(choices_g, idx, 0)[0]
    b = np.take_along_axis(choices_b, idx, 0)[0]
    return np.stack((r, g, b), axis=-3)


def adjust_hue(img, hue_factor):
    """Shifts the hue by ``hue_factor`` (in [-0.5, 0.5]) through HSV."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _check_img(img)
    if not isinstance(img, Tensor):
        Image = _pil()
        input_mode = img.mode
        if input_mode in {"L", "1", "I", "F"}:
            return img
        h, s, v = img.convert("HSV").split()
        np_h = np.array(h, dtype=np.uint8)
        with np.errstate(over="ignore"):
            np_h += np.int32(hue_factor * 255).astype(np.uint8)
        h = Image.fromarray(np_h, "L")
        return Image.merge("HSV", (h, s, v)).convert(input_mode)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img

    orig_dtype = img.dtype
    x = convert_image_dtype(img, float32)
    h, s, v = _rgb2hsv(x.detach().numpy())
    h = np.fmod(h + np.float32(hue_factor), np.float32(1.0))
    h = np.where(h < 0, h + np.float32(1.0), h)  # torch's % is a floored modulo
    out = from_numpy(_hsv2rgb(h.astype(np.float32), s, v).astype(np.float32))
    return convert_image_dtype(out, orig_dtype)


def adjust_gamma(img, gamma, gain=1):
    """gain * I ** gamma on [0, 1] intensities."""
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    _check_img(img)
    if not isinstance(img, Tensor):
        input_mode = img.mode
        img = img.convert("RGB")
        gamma_map = [int((255 + 1 - 1e-3) * gain * pow(ele / 255.0, gamma)) for ele in range(256)] * 3
        img = img.point(gamma_map)
        return img.convert(input_mode)

    result = img
    dtype = img.dtype
    if not img.is_floating_point():
        result = convert_image_dtype(result, float32)
    result = (gain * result**gamma).clamp(0, 1)
    return convert_image_dtype(result, dtype)


def invert(img):
    """max_value - img."""
    _check_img(img)
    if not isinstance(img, Tensor):
        from PIL import ImageOps

        return ImageOps.invert(img)
    _assert_channels(img, [1, 3])
    if img.is_floating_point():
        return 1.0 - img
    return (_max_value(img.dtype) - img).to(img.dtype)


def _get_gaussian_kernel1d(kernel_size, sigma, dt):
    ksize_half = (kernel_size - 1) * 0.5
    x = np.linspace(-ksize_half, ksize_half, kernel_size, dtype=np.float64).astype(dt)
    pdf = np.exp(dt.type(-0.5) * (x / dt.type(sigma)) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma=None):
    """Gaussian blur with reflect padding (torchvision's `F.gaussian_blur`)."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}")
    for ksize in kernel_size:
        if ksize % 2 == 0 or ksize < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if sigma is not None and not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if isinstance(sigma, (list, tuple)) and len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    _check_img(img)
    if not isinstance(img, Tensor):
        t_img = pil_to_tensor(img)
        output = gaussian_blur(t_img, kernel_size, sigma)
        return to_pil_image(output, mode=img.mode)

    dt = np.dtype(np.float64) if (img.is_floating_point() and img.dtype.itemsize == 8) else np.dtype(np.float32)
    kx = _get_gaussian_kernel1d(kernel_size[0], sigma[0], dt)
    ky = _get_gaussian_kernel1d(kernel_size[1], sigma[1], dt)
    kernel = (ky[:, None] @ kx[None, :]).astype(dt)
    x, shape = _as_batch(img)
    kdtype = float32 if dt == np.float32 else x.dtype
    x, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(x, [kdtype])
    c = x.shape[-3]
    k = from_numpy(np.ascontiguousarray(np.broadcast_to(kernel, (c, 1) + kernel.shape)))
    padding = [kernel_size[0] // 2, kernel_size[0] // 2, kernel_size[1] // 2, kernel_size[1] // 2]
    x = _nn.functional.pad(x, padding, mode="reflect")
    x = _nn.functional.conv2d(x, k, groups=c)
    x = _cast_squeeze_out(x, need_cast, need_squeeze, out_dtype)
    return x.reshape(shape)


def erase(img, i, j, h, w, v, inplace=False):
    """Replaces the box (i, j, h, w) of a tensor image with ``v``."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    if not inplace:
        img = img.clone()
    img[..., i : i + h, j : j + w] = v
    return img
