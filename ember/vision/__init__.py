"""ember.vision: torchvision's API (models, transforms, datasets, utils, io) on ember.

``import ember.vision as torchvision`` then ``torchvision.models.resnet18(weights=...)``,
``torchvision.transforms.Compose([...])``, ``torchvision.datasets.MNIST(root, download=True)``.
Pillow (``pip install ember[vision]``) is needed only for PIL images and image files.
"""

from . import datasets, io, models, ops, transforms, utils

__version__ = "0.28.0+ember"

_image_backend = "PIL"

__all__ = ["datasets", "io", "models", "ops", "transforms", "utils", "get_image_backend", "set_image_backend"]


def set_image_backend(backend):
    """Only "PIL" is available."""
    global _image_backend
    if backend not in ["PIL", "accimage"]:
        raise ValueError(f"Invalid backend '{backend}'. Options are 'PIL' and 'accimage'")
    if backend != "PIL":
        raise ValueError("ember.vision supports only the 'PIL' image backend")
    _image_backend = backend


def get_image_backend():
    return _image_backend
