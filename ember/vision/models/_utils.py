"""Helpers shared by the model files (torchvision.models._utils)."""


def _make_divisible(v, divisor, min_value=None):
    """Rounds ``v`` to the nearest multiple of ``divisor`` (at least ``min_value``), never going below 90% of
    ``v``, as the MobileNet/EfficientNet papers do."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v
