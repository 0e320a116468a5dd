"""ember: a deep-learning framework with PyTorch's public API, on NumPy (CPU) and CuPy (CUDA)."""

from . import _dtype
from ._device import device
from ._dtype import (
    bfloat16,
    bool,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    dtype,
    finfo,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    result_type,
    can_cast,
    set_default_dtype,
    short,
    uint8,
)
from ._tensor import Size, Tensor
from . import _ops
from ._ops import *  # noqa: F403
from ._ops.creation import (
    BFloat16Tensor,
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from . import autograd, cuda, nn, optim, return_types, utils
from ._generator import Generator, default_generator
from ._printing import get_printoptions, printoptions, set_printoptions
from .random import get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from ._nn_methods import *  # noqa: F403 - softmax, relu... and torch's top-level forms of nn.functional ops
from . import fft, linalg, serialization, special
from ._threads import get_num_interop_threads, get_num_threads, set_num_interop_threads, set_num_threads
from .serialization import load, save
from . import random  # after `from ._ops import *`, which binds the op module ember._ops.random here
from .autograd import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly
from .autograd import enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled
from ._toplevel import (
    compile,
    get_float32_matmul_precision,
    is_nonzero,
    is_same_size,
    is_signed,
    set_float32_matmul_precision,
)

__version__ = "0.1.0"


def is_tensor(obj):
    """Matches `torch.is_tensor`."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    """Matches `torch.is_floating_point`."""
    return input.dtype.is_floating_point


def is_complex(input):
    """Matches `torch.is_complex`."""
    return input.dtype.is_complex


def numel(input):
    """Matches `torch.numel`."""
    return input.numel()


from ._autocast import (  # noqa: E402
    get_autocast_dtype,
    is_autocast_cache_enabled,
    is_autocast_enabled,
    set_autocast_cache_enabled,
    set_autocast_dtype,
    set_autocast_enabled,
)

# Submodules that few programs need are imported on first use, to keep `import ember` fast.
_LAZY = {"distributions", "func", "amp", "backends", "cpu", "vision", "hub"}


def __getattr__(name):
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        return importlib.import_module(f"{__name__}.{name}")
    if name == "autocast":
        from .amp import autocast  # noqa: PLC0415

        return autocast
    if name == "vmap":
        from .func import vmap  # noqa: PLC0415

        return vmap
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


__all__ = [n for n in dir() if not n.startswith("_")] + sorted(_LAZY)
