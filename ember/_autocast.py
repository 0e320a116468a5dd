"""Autocast (automatic mixed precision): the state, torch's per-device op lists, and the hook ops call.

State: per device type an enabled flag and a lower-precision dtype (torch's defaults: float16 for
cuda, bfloat16 for cpu), the weight-cast cache switch and the nesting depth. `AUTOCAST.on` is True
while autocast is enabled for any device type: it is the one attribute an op reads when autocast is
off, so the hook costs nothing measurable outside autocast regions.

Hooking an op. Three ways, by how hot the op is and where it lives:

1. Hot ops (pointwise, reductions, softmax, cat/stack, norms...): the first line of the function,
   which costs one attribute check and no extra Python frame when autocast is off:

       def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
           if AUTOCAST.on and out is None:
               return autocast_call("sum", sum, (input, dim, keepdim), {"dtype": dtype})

   `autocast_call` runs the function again with autocast off, whether or not the op has a policy for
   the tensors' device type, so the hook does not recurse; that is also torch's behaviour for an op
   with its own kernel (the ops it is made of are not autocast). `out=` calls are not autocast
   (torch lists only the out-of-place overloads). Names may depend on the arguments, as torch's
   dispatch does (F.pad: "reflection_pad2d"; F.interpolate: "interpolate" or, for mode='area',
   "adaptive_avg_pool3d").

2. Ops torch builds from other ops in Python, and the losses: the `autocast_op(name)` decorator.
   When the op has no policy for the device type, the original runs with autocast still on, so the
   listed ops it is made of are autocast as in torch. (Ops torch builds from mm/bmm but ember
   computes in one op take the policy those give: CPU_LOWER_COMPOSITE, and a contracting einsum
   autocasts as "bmm".)

3. Ops defined in the hot files ember/_ops/pointwise.py, arith.py and complex.py (exp, log, ...,
   reciprocal, polar, view_as_complex; see `_SWAPPED`) are hooked from here, so those files carry no
   autocast code at all: while autocast is enabled for a device type whose lists name one of them, its
   public references (`ember.exp`, `ember.arccos`, `ember.special.expm1`, the `Tensor.exp` method...,
   every attribute of ember, ember.Tensor and ember.special that is the function) are swapped for a
   wrapper (`_sync_swaps`, run by `set_autocast_enabled`), and restored when autocast is disabled
   again (the outermost region exits). Outside autocast they cost nothing. What is not swapped: the
   functions' module globals, so ember's own implementations that call `exp` directly are not autocast
   (as torch's kernels), and references a caller took before autocast was enabled (`from ember import
   exp` at import time).

Policies (torch's CastPolicy, aten/src/ATen/autocast_mode.h):
  lower     floating tensors (not float64) on the autocast device are cast to the autocast dtype
  fp32      ... cast to float32
  fp32_set_opt_dtype   when the first tensor is eligible, the op gets dtype=float32 unless dtype is given
  promote   eligible tensors are cast to the widest floating dtype among them
  banned    raises (binary_cross_entropy under cuda autocast)
The op then runs with autocast off (torch excludes the autocast dispatch key while the cast op
runs), so the ops it is made of are not cast again.

Casts use `Tensor.to(dtype)` (differentiable: ToCopyBackward0). Casts of float32 leaf tensors that
require grad (model weights) to the lower-precision dtype are cached until the outermost autocast
region exits, as torch does, when the cache is enabled.
"""

import functools

import numpy as np

from . import _dtype as D

__all__ = [
    "AUTOCAST",
    "autocast_op",
    "autocast_call",
    "autocast_args",
    "policy_for",
    "CPU_LOWER",
    "CPU_FP32",
    "CPU_PROMOTE",
    "CPU_LOWER_COMPOSITE",
    "CUDA_LOWER",
    "CUDA_FP32",
    "CUDA_FP32_SET_OPT_DTYPE",
    "CUDA_PROMOTE",
    "CUDA_BANNED",
]

# torch's device types (c10 DeviceType names, in its error message order)
DEVICE_TYPES = (
    "cpu",
    "cuda",
    "ipu",
    "xpu",
    "mkldnn",
    "opengl",
    "opencl",
    "ideep",
    "hip",
    "ve",
    "fpga",
    "maia",
    "xla",
    "lazy",
    "vulkan",
    "mps",
    "meta",
    "hpu",
    "mtia",
    "privateuseone",
)

# device types torch can autocast, with their default lower-precision dtype
_DEFAULT_DTYPES = {
    "cpu": "bfloat16",
    "cuda": "float16",
    "mps": "float16",
    "xpu": "float16",
    "hpu": "bfloat16",
    "xla": "bfloat16",
    "mtia": "float16",
    "maia": "bfloat16",
    "ipu": "float16",
    "privateuseone": "float16",
}


class _AutocastState:
    __slots__ = ("on", "enabled", "dtype", "cache_enabled", "nesting", "cache")

    def __init__(self):
        self.on = False  # autocast enabled for at least one device type
        self.enabled = dict.fromkeys(_DEFAULT_DTYPES, False)
        self.dtype = {k: getattr(D, v) for k, v in _DEFAULT_DTYPES.items()}
        self.cache_enabled = True
        self.nesting = 0
        self.cache = {}  # id(leaf) -> (leaf, cast copy)

    def refresh(self):
        self.on = any(self.enabled.values())


AUTOCAST = _AutocastState()


def check_device_type(device_type, what="device string"):
    """torch's device-type validation (RuntimeError naming the known types)."""
    if device_type not in DEVICE_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of {what}: {device_type}")
    return device_type


def is_autocast_available(device_type):
    """Matches `torch.amp.is_autocast_available`."""
    check_device_type(device_type)
    return device_type in _DEFAULT_DTYPES


def _state_key(device_type, fn):
    if not isinstance(device_type, str):
        raise TypeError(f"{fn}(): argument 'device_type' (position 1) must be str, not {type(device_type).__name__}")
    check_device_type(device_type)
    if device_type not in _DEFAULT_DTYPES:
        raise RuntimeError("unsupported scalarType")
    return device_type


def is_autocast_enabled(device_type=None):
    """Matches `torch.is_autocast_enabled` (no argument: cuda)."""
    return AUTOCAST.enabled[_state_key("cuda" if device_type is None else device_type, "is_autocast_enabled")]


def set_autocast_enabled(device_type, enabled=None):
    """Matches `torch.set_autocast_enabled(device_type, enabled)` and the legacy `(enabled)` form (cuda)."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
        if not isinstance(enabled, bool):
            raise TypeError(
                f"set_autocast_enabled(): argument 'enabled' (position 1) must be bool, not {type(enabled).__name__}"
            )
    if not isinstance(enabled, bool):
        raise TypeError(
            f"set_autocast_enabled(): argument 'enabled' (position 2) must be bool, not {type(enabled).__name__}"
        )
    AUTOCAST.enabled[_state_key(device_type, "set_autocast_enabled")] = enabled
    AUTOCAST.refresh()
    _sync_swaps()


def get_autocast_dtype(device_type):
    """Matches `torch.get_autocast_dtype`."""
    return AUTOCAST.dtype[_state_key(device_type, "get_autocast_dtype")]


def set_autocast_dtype(device_type, dtype):
    """Matches `torch.set_autocast_dtype`."""
    if not isinstance(dtype, D.dtype):
        raise TypeError(
            f"set_autocast_dtype(): argument 'dtype' (position 2) must be torch.dtype, not {type(dtype).__name__}"
        )
    AUTOCAST.dtype[_state_key(device_type, "set_autocast_dtype")] = dtype


def is_autocast_cache_enabled():
    """Matches `torch.is_autocast_cache_enabled`."""
    return AUTOCAST.cache_enabled


def set_autocast_cache_enabled(enabled):
    """Matches `torch.set_autocast_cache_enabled`."""
    AUTOCAST.cache_enabled = bool(enabled)


def clear_autocast_cache():
    """Matches `torch.clear_autocast_cache`."""
    AUTOCAST.cache.clear()


def autocast_increment_nesting():
    """Matches `torch.autocast_increment_nesting`."""
    AUTOCAST.nesting += 1
    return AUTOCAST.nesting


def autocast_decrement_nesting():
    """Matches `torch.autocast_decrement_nesting`."""
    AUTOCAST.nesting -= 1
    return AUTOCAST.nesting


# -- torch's op lists (aten/src/ATen/autocast_mode.cpp, autocast_mode.h), by ember function name --------

# CPU (AutocastCPU)
CPU_LOWER = frozenset(
    """conv1d conv2d conv3d bmm mm linalg_vecdot baddbmm addmm _addmm_activation addbmm linear _convolution
    matmul conv_tbc mkldnn_rnn_layer conv_transpose1d conv_transpose2d conv_transpose3d prelu
    scaled_dot_product_attention _native_multi_head_attention""".split()
)
CPU_FP32 = frozenset(
    """avg_pool3d binary_cross_entropy grid_sampler grid_sample polar prod quantile nanquantile stft cdist
    grid_sampler_2d grid_sampler_3d trace view_as_complex cholesky cholesky_inverse cholesky_solve inverse lu_solve
    orgqr ormqr pinverse max_pool3d max_unpool2d max_unpool3d adaptive_avg_pool3d reflection_pad1d
    reflection_pad2d replication_pad1d replication_pad2d replication_pad3d mse_loss cosine_embedding_loss
    nll_loss nll_loss2d hinge_embedding_loss poisson_nll_loss smooth_l1_loss cross_entropy_loss cross_entropy
    l1_loss huber_loss margin_ranking_loss soft_margin_loss triplet_margin_loss multi_margin_loss ctc_loss kl_div
    multilabel_margin_loss binary_cross_entropy_with_logits fft_fft fft_ifft fft_fft2 fft_ifft2 fft_fftn
    fft_ifftn fft_rfft fft_irfft fft_rfft2 fft_irfft2 fft_rfftn fft_irfftn fft_hfft fft_ihfft linalg_cond
    linalg_matrix_rank linalg_solve linalg_cholesky linalg_svdvals linalg_eigvals linalg_eigvalsh linalg_inv
    linalg_householder_product linalg_tensorinv linalg_tensorsolve fake_quantize_per_tensor_affine geqrf
    _lu_with_info qr svd triangular_solve fractional_max_pool2d fractional_max_pool3d adaptive_max_pool3d
    linalg_qr linalg_cholesky_ex linalg_svd linalg_eig linalg_eigh linalg_lstsq linalg_inv_ex""".split()
)
CPU_PROMOTE = frozenset("stack cat index_copy".split())
# torch builds these from mm/bmm, which are lower_precision_fp on cpu (ember computes them in one op)
CPU_LOWER_COMPOSITE = frozenset("tensordot chain_matmul linalg_multi_dot".split())

# CUDA (Autocast): AT_FORALL_LOWER_PRECISION_FP, AT_FORALL_FP32, AT_FORALL_FP32_SET_OPT_DTYPE, AT_FORALL_PROMOTE
CUDA_LOWER = frozenset(
    """_convolution conv1d conv2d conv3d conv_tbc conv_transpose1d conv_transpose2d conv_transpose3d convolution
    prelu addmm addmv addr matmul einsum mm mv linalg_vecdot linear addbmm baddbmm bmm chain_matmul
    linalg_multi_dot _thnn_fused_lstm_cell _thnn_fused_gru_cell lstm_cell gru_cell rnn_tanh_cell rnn_relu_cell
    _scaled_dot_product_flash_attention scaled_dot_product_attention cudnn_convolution
    cudnn_convolution_transpose""".split()
)
CUDA_FP32 = frozenset(
    """acos asin cosh erfinv exp expm1 log log10 log2 log1p reciprocal rsqrt sinh tan pow softplus layer_norm
    native_layer_norm rms_norm group_norm frobenius_norm nuclear_norm cosine_similarity poisson_nll_loss
    cosine_embedding_loss nll_loss nll_loss2d hinge_embedding_loss kl_div l1_loss smooth_l1_loss huber_loss
    mse_loss margin_ranking_loss multilabel_margin_loss soft_margin_loss triplet_margin_loss multi_margin_loss
    binary_cross_entropy_with_logits dist pdist cdist renorm logsumexp upsample_nearest1d
    _upsample_nearest_exact1d upsample_nearest2d _upsample_nearest_exact2d upsample_nearest3d
    _upsample_nearest_exact3d upsample_linear1d upsample_bilinear2d _upsample_bilinear2d_aa upsample_trilinear3d
    upsample_bicubic2d _upsample_bicubic2d_aa norm interpolate cross_entropy""".split()
)
# (norm: torch.norm runs linalg_vector_norm (fp32_set_opt_dtype) or norm (fp32_append_dtype): float32 out
# either way; interpolate: every upsample_* kernel is fp32; cross_entropy: torch's cross_entropy_loss is
# log_softmax (fp32_set_opt_dtype) then nll_loss (fp32), which ember fuses into one op.)
CUDA_FP32_SET_OPT_DTYPE = frozenset(
    "prod softmax log_softmax cumprod cumsum linalg_vector_norm linalg_matrix_norm sum".split()
)
CUDA_PROMOTE = frozenset(
    "addcdiv addcmul atan2 bilinear cross dot vdot grid_sampler grid_sample index_put tensordot scatter_add".split()
)
CUDA_BANNED = frozenset(["binary_cross_entropy"])

_POLICY_NAMES = {
    "lower": "lower",
    "lower_precision_fp": "lower",
    "fp32": "fp32",
    "fp32_set_opt_dtype": "fp32_set_opt_dtype",
    "promote": "promote",
    "banned": "banned",
}


def policy_for(name, device_type):
    """The cast policy of op `name` under `device_type` autocast ('cpu' or 'cuda'), or None."""
    if name in _POLICY_NAMES:
        return _POLICY_NAMES[name]
    if device_type == "cpu":
        if name in CPU_LOWER:
            return "lower"
        if name in CPU_FP32:
            return "fp32"
        if name in CPU_PROMOTE:
            return "promote"
        if name in CPU_LOWER_COMPOSITE:
            return "lower"
        return None
    if name in CUDA_LOWER:
        return "lower"
    if name in CUDA_FP32:
        return "fp32"
    if name in CUDA_FP32_SET_OPT_DTYPE:
        return "fp32_set_opt_dtype"
    if name in CUDA_PROMOTE:
        return "promote"
    if name in CUDA_BANNED:
        return "banned"
    return None


_BCE_BANNED = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using torch.nn.functional.binary_cross_entropy_with_logits\n"
    "or torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
    "safe to autocast."
)

# -- casting ------------------------------------------------------------------------------------------

_Tensor = None


def _tensor_type():
    global _Tensor
    if _Tensor is None:
        from ._tensor import Tensor  # noqa: PLC0415 - _tensor imports ops lazily; keep this module a leaf

        _Tensor = Tensor
    return _Tensor


def _device_type(t):
    return "cpu" if type(t._data) is np.ndarray else "cuda"


def _first_tensor(args, kwargs):
    T = _tensor_type()
    for a in args:
        if isinstance(a, T):
            return a
        if isinstance(a, (list, tuple)):
            for x in a:
                if isinstance(x, T):
                    return x
    for a in kwargs.values():
        if isinstance(a, T):
            return a
    return None


def _eligible(t, device_type):
    dt = t.dtype
    return dt.is_floating_point and dt is not D.float64 and _device_type(t) == device_type


def _cast(t, to, device_type):
    """torch's cached_cast for one tensor."""
    if not _eligible(t, device_type) or t.dtype is to:
        return t
    if (
        AUTOCAST.cache_enabled
        and to is AUTOCAST.dtype[device_type]
        and t.dtype is D.float32
        and t._requires_grad
        and t._grad_fn is None
        and t._base is None
    ):
        hit = AUTOCAST.cache.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
        c = t.to(to)
        AUTOCAST.cache[id(t)] = (t, c)
        return c
    return t.to(to)


def _map(x, to, device_type, T):
    if isinstance(x, T):
        return _cast(x, to, device_type)
    if isinstance(x, (list, tuple)) and any(isinstance(e, T) for e in x):
        return type(x)(_cast(e, to, device_type) if isinstance(e, T) else e for e in x)
    return x


def _promote_dtype(args, kwargs, device_type, T):
    """Widest eligible floating dtype: float32 if any eligible tensor is float32, else the autocast dtype."""
    low = AUTOCAST.dtype[device_type]

    def visit(x):
        if isinstance(x, T):
            return _eligible(x, device_type) and x.dtype is D.float32
        if isinstance(x, (list, tuple)):
            return any(visit(e) for e in x)
        return False

    if any(visit(a) for a in args) or any(visit(v) for v in kwargs.values()):
        return D.float32
    return low


def autocast_args(opname, args, kwargs, device_type=None):
    """The (args, kwargs) op `opname` runs with under the current autocast state. Returns them unchanged
    when autocast is off for the tensors' device type or the op has no policy there."""
    if not AUTOCAST.on:
        return args, kwargs
    if device_type is None:
        first = _first_tensor(args, kwargs)
        if first is None:
            return args, kwargs
        device_type = _device_type(first)
    if not AUTOCAST.enabled.get(device_type, False):
        return args, kwargs
    policy = policy_for(opname, device_type)
    if policy is None:
        return args, kwargs
    return _apply(policy, args, kwargs, device_type)


def _apply(policy, args, kwargs, device_type):
    T = _tensor_type()
    if policy == "lower":
        to = AUTOCAST.dtype[device_type]
    elif policy == "fp32":
        to = D.float32
    elif policy == "promote":
        to = _promote_dtype(args, kwargs, device_type, T)
    elif policy == "fp32_set_opt_dtype":
        first = _first_tensor(args, kwargs)
        if first is not None and _eligible(first, device_type) and kwargs.get("dtype") is None:
            kwargs = dict(kwargs)
            kwargs["dtype"] = D.float32
        return args, kwargs
    elif policy == "banned":
        raise RuntimeError(_BCE_BANNED)
    else:
        raise ValueError(f"unknown autocast policy {policy!r}")
    args = tuple(_map(a, to, device_type, T) for a in args)
    if kwargs:
        kwargs = {k: _map(v, to, device_type, T) for k, v in kwargs.items()}
    return args, kwargs


def _target(opname, args, kwargs):
    """(policy, device type) of a call of op `opname`; policy None when autocast leaves it alone."""
    first = _first_tensor(args, kwargs)
    if first is None:
        return None, None
    device_type = _device_type(first)
    if not AUTOCAST.enabled.get(device_type, False):
        return None, device_type
    return policy_for(opname, device_type), device_type


def _run_off(fn, args, kwargs):
    AUTOCAST.on = False
    try:
        return fn(*args, **kwargs)
    finally:
        AUTOCAST.refresh()


def autocast_call(opname, fn, args, kwargs):
    """Run `fn(*args, **kwargs)` as op `opname` under autocast: cast the arguments by the op's policy for
    the tensors' device type, then run it with autocast off (so its inner ops are not cast again). Without
    a policy it runs with autocast off too: this is the call an op's first line makes (see the module
    docstring), where `fn` is the op itself."""
    policy, device_type = _target(opname, args, kwargs)
    if policy is not None:
        args, kwargs = _apply(policy, args, kwargs, device_type)
    return _run_off(fn, args, kwargs)


def autocast_op(name):
    """Decorator: make the function op `name` of torch's autocast lists (e.g. "mm", "linear", "conv2d",
    "cross_entropy"), or give a policy for every device type ("lower", "fp32", "promote").
    Outside autocast it costs one attribute check (and a Python frame: hot ops hook their first line
    instead). Without a policy for the device type the function runs with autocast still on, so the
    ops it is made of are autocast (torch's composite ops)."""

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if AUTOCAST.on:
                policy, device_type = _target(name, args, kwargs)
                if policy is not None:
                    args, kwargs = _apply(policy, args, kwargs, device_type)
                    return _run_off(fn, args, kwargs)
            return fn(*args, **kwargs)

        wrapper.__autocast_op__ = name
        return wrapper

    return deco


# -- ops hooked from here: swapped in while autocast is enabled (module docstring, way 3) --------------

_SWAPPED = (
    "acos",
    "asin",
    "cosh",
    "erfinv",
    "exp",
    "expm1",
    "log",
    "log10",
    "log2",
    "log1p",
    "reciprocal",
    "rsqrt",
    "sinh",
    "tan",
    "polar",
    "view_as_complex",
)
_swap_sites = {}  # name -> (original function, [(namespace, attribute)]), found on first use
_swapped = {}  # name -> wrapper, while installed


def _swap_wrapper(name, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if AUTOCAST.on and kwargs.get("out") is None:
            return autocast_call(name, fn, args, kwargs)
        return fn(*args, **kwargs)

    wrapper.__autocast_op__ = name
    return wrapper


def _sites(name):
    hit = _swap_sites.get(name)
    if hit is None:
        import ember  # noqa: PLC0415 - this module is imported by ember's __init__
        import ember.special  # noqa: PLC0415

        fn = getattr(ember, name)
        places = [
            (ns, attr) for ns in (ember, ember.Tensor, ember.special) for attr, v in list(vars(ns).items()) if v is fn
        ]
        hit = _swap_sites[name] = (fn, places)
    return hit


def _sync_swaps():
    """Install the wrappers of the `_SWAPPED` ops that have a policy on an enabled device type; restore
    the others."""
    on = [dev for dev, enabled in AUTOCAST.enabled.items() if enabled]
    for name in _SWAPPED:
        want = any(policy_for(name, dev) is not None for dev in on)
        if want == (name in _swapped):
            continue
        fn, places = _sites(name)
        if want:
            w = _swapped[name] = _swap_wrapper(name, fn)
            for ns, attr in places:
                if getattr(ns, attr, None) is fn:
                    setattr(ns, attr, w)
        else:
            w = _swapped.pop(name)
            for ns, attr in places:
                if getattr(ns, attr, None) is w:
                    setattr(ns, attr, fn)
