"""Helpers shared by the model files (torchvision.models._utils)."""

from ... import nn


def _make_divisible(v, divisor, min_value=None):
    """Rounds ``v`` to the nearest multiple of ``divisor`` (at least ``min_value``), never going below 90% of
    ``v``, as the MobileNet/EfficientNet papers do."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _init_mobile_weights(model, init_linear_weight):
    """MobileNet/EfficientNet init, in module order: kaiming-normal (fan_out) conv weights, unit norm weights,
    zero biases; ``init_linear_weight(m)`` fills each Linear's weight."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            init_linear_weight(m)
            nn.init.zeros_(m.bias)
