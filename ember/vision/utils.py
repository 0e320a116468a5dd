"""torchvision.utils: make_grid and save_image."""

import math

import numpy as np

from .. import full, no_grad, stack
from .._tensor import Tensor

__all__ = ["make_grid", "save_image"]


@no_grad()
def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tiles a batch (B, C, H, W) (or a list of images) into one image, ``nrow`` per row."""
    if not isinstance(tensor, Tensor):
        if isinstance(tensor, list):
            for t in tensor:
                if not isinstance(t, Tensor):
                    raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        else:
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if isinstance(tensor, list):
        tensor = stack(tensor, dim=0)
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        if tensor.size(0) == 1:
            tensor = tensor.repeat(3, 1, 1)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = tensor.repeat(1, 3, 1, 1)
    if normalize is True:
        tensor = tensor.clone()
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")

        def norm_ip(img, low, high):
            img.clamp_(min=low, max=high)
            img.sub_(low).div_(max(high - low, 1e-5))

        def norm_range(t, value_range):
            if value_range is not None:
                norm_ip(t, value_range[0], value_range[1])
            else:
                norm_ip(t, float(t.min()), float(t.max()))

        if scale_each is True:
            for t in tensor:
                norm_range(t, value_range)
        else:
            norm_range(tensor, value_range)
    if not isinstance(tensor, Tensor):
        raise TypeError("tensor should be of type torch.Tensor")
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    nmaps = tensor.size(0)
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    num_channels = tensor.size(1)
    grid = full((num_channels, height * ymaps + padding, width * xmaps + padding), pad_value, dtype=tensor.dtype)
    g = grid.numpy()
    src = tensor.numpy()
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            top, left = y * height + padding, x * width + padding
            g[:, top : top + height - padding, left : left + width - padding] = src[k]
            k = k + 1
    return grid


@no_grad()
def save_image(tensor, fp, format=None, **kwargs):
    """Saves a tensor (or a batch, tiled with `make_grid`) as an image file through Pillow."""
    from .transforms.functional import _pil

    Image = _pil()
    grid = make_grid(tensor, **kwargs)
    arr = grid.numpy().astype(np.float32) if grid.is_floating_point() else grid.numpy()
    ndarr = np.clip(arr * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    im = Image.fromarray(ndarr)
    im.save(fp, format=format)
