"""The op table: one OpInfo per public op, with sample inputs. Families live in tests/opdb/<family>.py,
each exporting OPS (a list of OpInfo) and, optionally, NOT_OPS ({name: reason} for public
functions that are not ops checked here, e.g. constructors tested in their own files)."""

import importlib
import pkgutil
from dataclasses import dataclass, field

import numpy as np


class S:
    """One sample: positional and keyword arguments. np.ndarray arguments become tensors on both sides
    (floating/complex ones require grad when the op is differentiable); lists of arrays become lists of
    tensors; T(...) marks an array that must stay a tensor without grad."""

    def __init__(self, *args, **kwargs):
        self.args = args
        self.kwargs = kwargs

    def __repr__(self):
        def short(a):
            if isinstance(a, np.ndarray):
                return f"array{list(a.shape)}:{a.dtype}"
            if isinstance(a, (list, tuple)):
                return repr(type(a)(short(x) for x in a))
            return repr(a)

        return (
            f"S({', '.join(short(a) for a in self.args)}{', ' if self.kwargs else ''}"
            + ", ".join(f"{k}={short(v)}" for k, v in self.kwargs.items())
            + ")"
        )


class NoGrad:
    """An array argument that never requires grad (indices, masks, ...)."""

    def __init__(self, a):
        self.a = np.asarray(a)


@dataclass
class OpInfo:
    name: str  # public name: ember.<name> / torch.<name>, or "Tensor.<method>"
    samples: object  # callable(rng, dtype) -> list of S
    dtypes: tuple = ("float32", "float64")
    grad: bool = True  # compare backward against torch
    gradcheck: bool = True  # numerical gradcheck in float64
    gradgrad: bool = True  # second-order gradients against torch
    rtol: float = 1.3e-6
    atol: float = 1e-5
    grad_fn: bool = True  # compare type(out.grad_fn).__name__ with torch
    method: bool = False  # call as a method on the first argument
    torch_name: str = None  # when torch's name differs
    inplace: bool = False  # an in-place method: compared on clones
    nondeterministic: bool = False  # output depends on RNG: only shape/dtype compared
    skip: dict = field(default_factory=dict)  # {"check name": "reason"}
    aliases: tuple = ()  # other public names this entry also covers
    # outputs (U, S, V) ("V") or (U, S, Vh) ("Vh") whose singular vectors carry a sign/phase gauge: on a
    # device other than the CPU (another solver than LAPACK) they are compared up to it (oracle.py)
    gauge: str = None

    @property
    def id(self):
        return self.name + (".method" if self.method else "")


@dataclass
class ErrorInput:
    """Bad input: ember must raise the same exception type as torch and leave its inputs untouched."""

    name: str
    sample: S
    method: bool = False
    inplace: bool = False


def _load():
    ops, not_ops = [], {}
    import opdb

    for m in sorted(pkgutil.iter_modules(opdb.__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"opdb.{m.name}")
        ops.extend(getattr(mod, "OPS", []))
        not_ops.update(getattr(mod, "NOT_OPS", {}))
    return ops, not_ops


def _load_errors():
    import opdb

    out = []
    for m in sorted(pkgutil.iter_modules(opdb.__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"opdb.{m.name}")
        out.extend(getattr(mod, "ERRORS", []))
    return out


ERRORS = _load_errors()


OPS, NOT_OPS = _load()
