"""ember.backends.cuda (matches `torch.backends.cuda`)."""

import contextlib
import importlib.util
import warnings

import numpy as np

from ... import _backend

__all__ = [
    "is_built",
    "matmul",
    "cuBLASModule",
    "preferred_linalg_library",
    "preferred_blas_library",
    "flash_sdp_enabled",
    "enable_flash_sdp",
    "mem_efficient_sdp_enabled",
    "enable_mem_efficient_sdp",
    "math_sdp_enabled",
    "enable_math_sdp",
    "cudnn_sdp_enabled",
    "enable_cudnn_sdp",
    "sdp_kernel",
    "SDPBackend",
]


def is_built():
    """Matches `torch.backends.cuda.is_built`: whether ember's CUDA backend (CuPy) is installed."""
    return importlib.util.find_spec("cupy") is not None


class cuBLASModule:
    """`torch.backends.cuda.matmul`: allow_tf32 (False), allow_fp16_reduced_precision_reduction (True),
    allow_bf16_reduced_precision_reduction (True)."""

    _defaults = {
        "allow_tf32": False,
        "allow_fp16_reduced_precision_reduction": True,
        "allow_bf16_reduced_precision_reduction": True,
        "allow_fp16_accumulation": False,
        "fp32_precision": "none",
    }

    def __init__(self):
        object.__setattr__(self, "_values", dict(self._defaults))

    def __getattr__(self, name):
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name, value):
        if name not in self._values:
            raise AttributeError(f"Unknown attribute {name}")
        self._values[name] = value
        if name in ("allow_tf32", "fp32_precision") and _backend._cupy is not None:
            _apply_tf32(_backend._cupy)

    def _tf32(self):
        return bool(self._values["allow_tf32"]) or self._values["fp32_precision"] == "tf32"


matmul = cuBLASModule()


def _apply_tf32(cp):
    """CuPy's float32 GEMMs (cuBLAS) in TF32 when matmul.allow_tf32 is set, in full float32 otherwise: CuPy's
    compute type for float32, which its dot/matmul/tensordot pass to cuBLAS."""
    try:
        from cupy._core import _routines_linalg as linalg  # noqa: PLC0415 - CuPy internals, no public setter
    except ImportError:
        if matmul._tf32():
            warnings.warn(
                "ember.backends.cuda.matmul.allow_tf32 is set but this CuPy has no compute-type setting; "
                "float32 matmuls stay in full precision",
                stacklevel=3,
            )
        return
    linalg.set_compute_type(np.float32, linalg.COMPUTE_TYPE_TF32 if matmul._tf32() else linalg.COMPUTE_TYPE_DEFAULT)


_backend.on_load.append(_apply_tf32)

_linalg_library = "default"
_blas_library = "cublas"
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def preferred_linalg_library(backend=None):
    """Matches `torch.backends.cuda.preferred_linalg_library` (recorded; CuPy's cuSOLVER is used)."""
    global _linalg_library
    if backend is not None:
        if not isinstance(backend, str) or backend.lower() not in ("default", "cusolver", "magma"):
            raise RuntimeError(f"Unknown input value {backend!r}")
        _linalg_library = backend.lower()
    return _linalg_library


def preferred_blas_library(backend=None):
    """Matches `torch.backends.cuda.preferred_blas_library` (recorded; CuPy's cuBLAS is used)."""
    global _blas_library
    if backend is not None:
        _blas_library = str(backend).lower()
    return _blas_library


class SDPBackend:
    """torch's SDPBackend values."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


def flash_sdp_enabled():
    return _sdp["flash"]


def enable_flash_sdp(enabled):
    _sdp["flash"] = bool(enabled)


def mem_efficient_sdp_enabled():
    return _sdp["mem_efficient"]


def enable_mem_efficient_sdp(enabled):
    _sdp["mem_efficient"] = bool(enabled)


def math_sdp_enabled():
    return _sdp["math"]


def enable_math_sdp(enabled):
    _sdp["math"] = bool(enabled)


def cudnn_sdp_enabled():
    return _sdp["cudnn"]


def enable_cudnn_sdp(enabled):
    _sdp["cudnn"] = bool(enabled)


@contextlib.contextmanager
def sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True, enable_cudnn=True):
    """Matches `torch.backends.cuda.sdp_kernel` (recorded: ember has one attention kernel)."""
    prev = dict(_sdp)
    _sdp.update(flash=enable_flash, math=enable_math, mem_efficient=enable_mem_efficient, cudnn=enable_cudnn)
    try:
        yield {}
    finally:
        _sdp.update(prev)
