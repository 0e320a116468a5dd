"""torchvision.io image reading/writing, through Pillow."""

import io as _pyio
from enum import Enum

import numpy as np

from .. import from_numpy, uint8
from .._tensor import Tensor

__all__ = [
    "ImageReadMode",
    "read_file",
    "write_file",
    "decode_image",
    "read_image",
    "encode_png",
    "encode_jpeg",
    "write_png",
    "write_jpeg",
    "decode_png",
    "decode_jpeg",
]


class ImageReadMode(Enum):
    """Matches `torchvision.io.ImageReadMode`."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4


def read_file(path):
    """The file's bytes as a 1-D uint8 tensor."""
    with open(path, "rb") as f:
        data = f.read()
    return from_numpy(np.frombuffer(data, dtype=np.uint8).copy())


def write_file(filename, data):
    with open(filename, "wb") as f:
        f.write(data.numpy().tobytes())


_MODES = {
    ImageReadMode.GRAY: "L",
    ImageReadMode.GRAY_ALPHA: "LA",
    ImageReadMode.RGB: "RGB",
    ImageReadMode.RGB_ALPHA: "RGBA",
}


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decodes an encoded image (a uint8 tensor of file bytes, or a path) to a (C, H, W) uint8 tensor."""
    from .transforms.functional import _pil

    Image = _pil()
    if isinstance(mode, str):
        mode = ImageReadMode[mode.upper()]
    if not isinstance(input, Tensor):
        input = read_file(str(input))
    if input.dtype != uint8 or input.dim() != 1:
        raise RuntimeError("Expected a 1-D uint8 tensor of encoded image bytes")
    img = Image.open(_pyio.BytesIO(input.numpy().tobytes()))
    if apply_exif_orientation:
        from PIL import ImageOps

        img = ImageOps.exif_transpose(img)
    if mode != ImageReadMode.UNCHANGED:
        img = img.convert(_MODES[mode])
    elif img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif img.mode not in ("L", "LA", "RGB", "RGBA", "I;16"):
        img = img.convert("RGB")
    arr = np.array(img)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


decode_png = decode_image
decode_jpeg = decode_image


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Reads a JPEG/PNG/GIF/WebP... file into a (C, H, W) uint8 tensor."""
    return decode_image(read_file(path), mode, apply_exif_orientation)


def _encode(input, fmt, **kw):
    from .transforms.functional import _pil

    Image = _pil()
    if input.dtype != uint8:
        raise RuntimeError(f"Input tensor dtype should be uint8, got {input.dtype}")
    if input.dim() != 3:
        raise RuntimeError(f"Input data should be a 3-dimensional tensor, got {input.dim()} dimensions")
    arr = input.numpy().transpose(1, 2, 0)
    if arr.shape[2] == 1:
        arr = arr[:, :, 0]
    buf = _pyio.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr)).save(buf, format=fmt, **kw)
    return from_numpy(np.frombuffer(buf.getvalue(), dtype=np.uint8).copy())


def encode_png(input, compression_level=6):
    return _encode(input, "PNG", compress_level=compression_level)


def encode_jpeg(input, quality=75):
    return _encode(input, "JPEG", quality=quality)


def write_png(input, filename, compression_level=6):
    write_file(filename, encode_png(input, compression_level))


def write_jpeg(input, filename, quality=75):
    write_file(filename, encode_jpeg(input, quality))
