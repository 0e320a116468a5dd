"""Weights enums and the model registry, with torchvision's API (`torchvision.models._api`)."""

import os
import sys
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any

from ...hub import load_state_dict_from_url
from ._meta import _IMAGENET_CATEGORIES

__all__ = ["WeightsEnum", "Weights", "get_model", "get_model_builder", "get_model_weights", "get_weight", "list_models"]


@dataclass
class Weights:
    """Matches `torchvision.models.Weights`: where a checkpoint lives, its preprocessing and its metadata."""

    url: str
    transforms: Any
    meta: dict

    def __eq__(self, other):
        if not isinstance(other, Weights):
            return NotImplemented
        if self.url != other.url or self.meta != other.meta:
            return False
        if isinstance(self.transforms, partial) and isinstance(other.transforms, partial):
            return (
                self.transforms.func == other.transforms.func
                and self.transforms.args == other.transforms.args
                and self.transforms.keywords == other.transforms.keywords
            )
        return self.transforms == other.transforms

    __hash__ = object.__hash__


class WeightsEnum(Enum):
    """Matches `torchvision.models.WeightsEnum`: members hold a `Weights`; `DEFAULT` aliases the best one."""

    @classmethod
    def verify(cls, obj):
        if obj is not None:
            if type(obj) is str:
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(
                    f"Invalid Weight class provided; expected {cls.__name__} but received {obj.__class__.__name__}."
                )
        return obj

    def get_state_dict(self, *args, **kwargs):
        return load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


def _is_path(obj):
    return isinstance(obj, os.PathLike) or (
        isinstance(obj, str) and (os.sep in obj or obj.endswith((".pth", ".pt", ".bin")) or os.path.isfile(obj))
    )


def _resolve_weights(enum_cls, weights):
    """``None``, a member of ``enum_cls`` (or its name), or a path to a checkpoint file. Returns
    ``(weights_enum_member_or_None, path_or_None)``."""
    if weights is None:
        return None, None
    if _is_path(weights):
        return None, os.fspath(weights)
    return enum_cls.verify(weights), None


def _ovewrite_named_param(kwargs, param, new_value):
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got {kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _prepare(enum_cls, weights, kwargs):
    """Shared prologue of every builder: checks ``weights`` and fixes ``num_classes`` from its categories."""
    weights, path = _resolve_weights(enum_cls, weights)
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    return weights, path


def _load_weights(model, weights, path, progress, fix_keys=None):
    if weights is None and path is None:
        return model
    if path is not None:
        from ... import load

        state_dict = load(path, map_location="cpu", weights_only=True)
        if (
            isinstance(state_dict, dict)
            and "state_dict" in state_dict
            and not any(k.endswith("weight") for k in state_dict)
        ):
            state_dict = state_dict["state_dict"]
    else:
        state_dict = weights.get_state_dict(progress=progress, check_hash=True)
    if fix_keys is not None:
        state_dict = fix_keys(state_dict)
    model.load_state_dict(state_dict)
    return model


BUILTIN_MODELS = {}


def register_model(name=None):
    def wrapper(fn):
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn

    return wrapper


def list_models(module=None, include=None, exclude=None):
    """Matches `torchvision.models.list_models` (``include``/``exclude`` are fnmatch patterns)."""
    import fnmatch

    all_models = {
        k for k, v in BUILTIN_MODELS.items() if module is None or v.__module__.rsplit(".", 1)[0] == module.__name__
    }
    if include:
        models = set()
        for pat in [include] if isinstance(include, str) else include:
            models |= set(fnmatch.filter(all_models, pat))
    else:
        models = all_models
    if exclude:
        for pat in [exclude] if isinstance(exclude, str) else exclude:
            models -= set(fnmatch.filter(all_models, pat))
    return sorted(models)


def get_model_builder(name):
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError as e:
        raise ValueError(f"Unknown model {name}") from e


def get_model(name, **config):
    """Matches `torchvision.models.get_model`."""
    return get_model_builder(name)(**config)


def get_model_weights(name):
    """Matches `torchvision.models.get_model_weights`: the weights enum class of a model (by name or builder)."""
    model = get_model_builder(name) if isinstance(name, str) else name
    ann = getattr(model, "_weights_enum", None)
    if ann is None:
        raise ValueError(f"The weight enum of {model} could not be found.")
    return ann


def get_weight(name):
    """Matches `torchvision.models.get_weight`: ``"ResNet50_Weights.IMAGENET1K_V2"`` to the enum member."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    models_pkg = sys.modules[__name__.rsplit(".", 1)[0]]
    enum_cls = getattr(models_pkg, enum_name, None)
    if enum_cls is None or not (isinstance(enum_cls, type) and issubclass(enum_cls, WeightsEnum)):
        raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be retrieved.")
    return enum_cls[value_name]


def _weights_for(enum_cls):
    """Decorator recording a builder's weights enum (torchvision reads it from the annotation)."""

    def wrap(fn):
        fn._weights_enum = enum_cls
        return fn

    return wrap


_COMMON_META_IMAGENET = {"categories": _IMAGENET_CATEGORIES}
