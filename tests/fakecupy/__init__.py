"""A strict stand-in for CuPy, backed by NumPy, so CPU-only test runs exercise ember's CUDA code paths.

`install()` puts module objects named `cupy`, `cupy.cuda`, `cupy.linalg`, `cupy.fft`, `cupy.random`,
`cupy.lib.stride_tricks`, `cupyx.scipy.special`... into `sys.modules`; ember then imports "CuPy" as usual.

What it holds to, as CuPy does:
- each module exposes only the names CuPy's sources define (`_names.py`, generated from CuPy by
  `_gen_names.py`), so calling a NumPy function CuPy lacks raises AttributeError;
- `ndarray` is its own type (not a NumPy subclass): `np.asarray(x)` / `__array__` raise TypeError,
  NumPy arrays passed to CuPy functions and ufuncs raise TypeError, NumPy functions and ufuncs
  called on its arrays dispatch to the CuPy function of the same name (`__array_function__`,
  `__array_ufunc__`) or fail where CuPy has none;
- results are 0-d arrays where NumPy gives scalars; `flags` has no `writeable`; arrays have no
  `__index__`; integer-array indices wrap around instead of raising; ufunc `.reduce`/`.accumulate` work
  only for add/multiply, `.reduceat` for add, `.at` for CuPy's scatter ops and dtypes;
- no float128/object/string arrays, and no bfloat16 (CuPy 13 has no bfloat16 kernels);
- devices: two simulated GPUs (FAKE_CUPY_DEVICES=n for another count); arrays live on the device
  current when they were made, and a kernel given an array from another device raises (no peer
  access), so code that forgets `with cupy.cuda.Device(i)` fails here.

What it does not emulate: asynchrony (every call finishes before it returns; streams and events only
keep order and time), CuPy's own numerics (results are NumPy's bit for bit, but for
float64 maximum.at/minimum.at, rounded to float32 as CuPy's atomics do, and SVD, whose singular vectors
get other signs than LAPACK's, as cuSOLVER's do), kernel compilation
(ElementwiseKernel, RawKernel, fuse raise NotImplementedError), per-function signature differences
beyond `where=`/`initial=` on reductions, and the Generator API of cupy.random beyond what NumPy's
legacy RandomState gives.
"""

import contextlib
import os
import sys
import types

import numpy as np

from . import _core, cuda
from ._core import ndarray, ufunc
from ._names import BORROWED, NAMES

__all__ = ["install", "uninstall", "ember_on_stand_in", "MODULES"]

_core.N_DEVICES = int(os.environ.get("FAKE_CUPY_DEVICES", "2"))

# CuPy functions that return Python values, not arrays
_SCALAR = frozenset(
    "ndim size shape isscalar iscomplexobj isrealobj isfortran may_share_memory shares_memory result_type "
    "can_cast common_type min_scalar_type binary_repr base_repr iterable array_repr array_str array2string "
    "issubclass_ obj2sctype issubsctype sctype2char issctype who".split()
)
# CuPy functions that take host data (NumPy arrays, lists) and copy it to the device
_HOST = frozenset("fromfile fromfunction fromiter frombuffer fromstring loadtxt genfromtxt load".split())
_REDUCTIONS = frozenset(
    "sum prod amax amin max min mean var std any all nansum nanprod nanmax nanmin nanmean nanvar nanstd".split()
)


def _not_emulated(name):
    def f(*args, **kwargs):
        raise NotImplementedError(f"cupy.{name} is not emulated by the CuPy stand-in")

    f.__name__ = name
    return f


def _fill(mod, names, npmod, borrowed, special):
    for name in names:
        if name in special:
            obj = special[name]
        elif name in borrowed:
            src, orig = borrowed[name]
            obj = getattr(sys.modules.get(src) or __import__(src, fromlist=["_"]), orig, None)
            if obj is None:
                continue
        else:
            npobj = getattr(npmod, name, None) if npmod is not None else None
            if isinstance(npobj, np.ufunc):
                obj = _core._UFUNCS.setdefault(name if npobj.__name__ == name else npobj.__name__, ufunc(npobj))
            elif isinstance(npobj, type) or isinstance(npobj, (int, float)):
                obj = npobj
            elif callable(npobj):
                obj = _core.function(
                    npobj,
                    name,
                    host_ok=name in _HOST,
                    scalar_result=name in _SCALAR,
                    no_kwargs=("where", "initial") if name in _REDUCTIONS else (),
                )
            else:
                obj = _not_emulated(name)
        setattr(mod, name, obj)


def _asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    if type(a) is ndarray:
        return a.get(stream=stream, order=order, out=out, blocking=blocking)
    temp = np.asarray(a, order=order)
    if out is not None:
        out[...] = temp
        return out
    return temp


def _get_array_module(*args):
    for a in args:
        if type(a) is ndarray:
            return MODULES["cupy"]
    return np


def _array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    return _core.to_device(obj, copy, dtype, order, ndmin)


def _asarray(a, dtype=None, order=None, *, copy=None, blocking=False):
    return _core.to_device(a, copy, dtype, order or "K")


def _take(a, indices, axis=None, out=None):
    return a.take(indices, axis, out)


def _solve(a, b):
    """cupy.linalg.solve: no broadcasting of the batch dims (b is (M,) or (..., M, K) with a's batch)."""
    if getattr(b, "ndim", 0) > 1 and getattr(a, "shape", ())[:-1] != b.shape[:-1]:
        raise ValueError("a must have (..., M, M) shape and b must have (..., M, K) for multidimensional b")
    return _core.function(np.linalg.solve, "solve")(a, b)


def _np_svd_other_signs(a, full_matrices=True, compute_uv=True):
    """NumPy's SVD with every other singular vector pair negated: still an SVD, as cuSOLVER's is, but
    with other signs than LAPACK's (cuSOLVER's do differ from LAPACK's), so tests cannot lean on them."""
    r = np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    if not compute_uv:
        return r
    u, s, vh = r
    k = s.shape[-1]
    d = np.where(np.arange(k) % 2 == 1, -1, 1).astype(u.dtype)
    u, vh = u.copy(), vh.copy()
    u[..., :, :k] *= d
    vh[..., :k, :] *= d[:, None]
    return u, s, vh


def _wrapped_along(npfn, name):
    def f(arr, indices, *rest, **kwargs):
        axis = rest[0] if rest else kwargs.get("axis", -1)
        if type(indices) is ndarray and axis is not None and arr.shape[axis] > 0:
            indices = indices % arr.shape[axis]  # CuPy wraps out-of-range indices around
        return _core.function(npfn, name)(arr, indices, *rest, **kwargs)

    return f


class _RandomState:
    """cupy.random.RandomState on NumPy's legacy RandomState: results land on the device."""

    def __init__(self, seed=None, method=None):
        self._rs = np.random.RandomState(seed)

    def __getattr__(self, name):
        fn = getattr(self._rs, name)
        return _core.function(fn, name) if callable(fn) else fn


def _random_module():
    rs = _RandomState()
    special = {
        "RandomState": _RandomState,
        "get_random_state": lambda: rs,
        "seed": lambda seed=None: rs._rs.seed(seed),
        "reset_states": lambda: None,
        "set_random_state": _not_emulated("set_random_state"),
        "default_rng": lambda seed=None: types.SimpleNamespace(
            **{n: _core.function(getattr(g, n), n) for g in [np.random.default_rng(seed)] for n in _GEN_METHODS}
        ),
    }
    mod = types.ModuleType("cupy.random")
    for name in NAMES["cupy.random"]:
        if name in special:
            setattr(mod, name, special[name])
        elif hasattr(np.random.RandomState, name):
            setattr(mod, name, _core.function(getattr(rs._rs, name), name))
        elif name in ("random", "ranf", "sample"):
            setattr(mod, name, _core.function(rs._rs.random_sample, name))
        else:
            setattr(mod, name, _not_emulated("random." + name))
    return mod


_GEN_METHODS = (
    "random integers standard_normal normal uniform exponential standard_exponential gamma beta binomial poisson "
    "permutation"
).split()


def _build():
    mods = {}
    cupy = mods["cupy"] = types.ModuleType("cupy", __doc__)
    cupy.__version__ = "13.0.0"
    cuda_mod = mods["cupy.cuda"] = types.ModuleType("cupy.cuda")
    for name in NAMES["cupy.cuda"]:
        if hasattr(cuda, name):
            setattr(cuda_mod, name, getattr(cuda, name))
    cuda_mod.runtime, cuda_mod.device, cuda_mod.memory, cuda_mod.stream = (
        cuda.runtime,
        cuda.device,
        cuda.memory,
        cuda.stream,
    )
    mods["cupy.cuda.runtime"] = cuda.runtime
    linalg = mods["cupy.linalg"] = types.ModuleType("cupy.linalg")
    fft = mods["cupy.fft"] = types.ModuleType("cupy.fft")
    lib = mods["cupy.lib"] = types.ModuleType("cupy.lib")
    st = mods["cupy.lib.stride_tricks"] = types.ModuleType("cupy.lib.stride_tricks")
    lib.stride_tricks = st
    rnd = mods["cupy.random"] = _random_module()
    cupyx = mods["cupyx"] = types.ModuleType("cupyx")
    cupyx_scipy = mods["cupyx.scipy"] = types.ModuleType("cupyx.scipy")
    special = mods["cupyx.scipy.special"] = types.ModuleType("cupyx.scipy.special")
    spfft = mods["cupyx.scipy.fft"] = types.ModuleType("cupyx.scipy.fft")
    cupyx.scipy, cupyx_scipy.special, cupyx_scipy.fft = cupyx_scipy, special, spfft
    cupyx.get_runtime_info = _not_emulated("cupyx.get_runtime_info")
    # CuPy's low-level bindings package: the strided-batched GEMM (tests/fakecupy/cublas.py)
    from . import cublas as _cublas  # noqa: PLC0415

    backends = mods["cupy_backends"] = types.ModuleType("cupy_backends")
    backends.cuda = mods["cupy_backends.cuda"] = types.ModuleType("cupy_backends.cuda")
    backends.cuda.libs = mods["cupy_backends.cuda.libs"] = types.ModuleType("cupy_backends.cuda.libs")
    backends.cuda.libs.cublas = mods["cupy_backends.cuda.libs.cublas"] = _cublas

    top_special = {
        "ndarray": ndarray,
        "ufunc": ufunc,
        "flatiter": _core.flatiter,
        "cuda": cuda_mod,
        "linalg": linalg,
        "fft": fft,
        "random": rnd,
        "lib": lib,
        "asnumpy": _asnumpy,
        "get_array_module": _get_array_module,
        "array": _array,
        "asarray": _asarray,
        "asanyarray": _asarray,
        "take": _take,
        "take_along_axis": _wrapped_along(np.take_along_axis, "take_along_axis"),
        "get_default_memory_pool": cuda.default_pool,
        "get_default_pinned_memory_pool": lambda: cuda._PINNED,
        "is_available": lambda: True,
        "testing": types.ModuleType("cupy.testing"),
    }
    _fill(cupy, NAMES["cupy"], np, BORROWED.get("cupy", {}), top_special)
    cupy.lib = lib  # CuPy's __init__ imports from cupy.lib, which binds the subpackage
    # NumPy 2 spells a few of CuPy's names differently
    for alias, target in (("round_", "round"), ("product", "prod"), ("cumproduct", "cumprod"), ("msort", "sort")):
        if alias in NAMES["cupy"] and isinstance(getattr(cupy, alias), types.FunctionType):
            if getattr(cupy, alias).__name__ == alias and not hasattr(np, alias):
                setattr(cupy, alias, getattr(cupy, target))
    _fill(
        linalg,
        NAMES["cupy.linalg"],
        np.linalg,
        BORROWED.get("cupy.linalg", {}),
        {"solve": _solve, "svd": _core.function(_np_svd_other_signs, "svd")},
    )
    _fill(fft, NAMES["cupy.fft"], np.fft, {}, {"config": types.SimpleNamespace()})
    _fill(st, NAMES["cupy.lib.stride_tricks"], np.lib.stride_tricks, {}, {})

    import scipy.fft  # noqa: PLC0415
    import scipy.special  # noqa: PLC0415

    _fill(spfft, NAMES["cupyx.scipy.fft"], scipy.fft, {}, {"fftshift": fft.fftshift, "ifftshift": fft.ifftshift})

    for name in NAMES["cupyx.scipy.special"]:
        obj = getattr(scipy.special, name, None)
        if isinstance(obj, np.ufunc):
            setattr(special, name, _core._UFUNCS.setdefault("special." + name, ufunc(obj, name)))
        elif callable(obj):
            setattr(special, name, _core.function(obj, name))
    return mods


MODULES = _build()
_saved = {}


def install():
    """Make `import cupy` (and cupyx.scipy.special, cupyx.scipy.fft) give the stand-in."""
    for name, mod in MODULES.items():
        if name not in _saved:
            _saved[name] = sys.modules.get(name)
        sys.modules[name] = mod


def uninstall():
    """Restore whatever `cupy`... were before install()."""
    for name, mod in _saved.items():
        if mod is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = mod
    _saved.clear()


@contextlib.contextmanager
def ember_on_stand_in():
    """Run ember's CUDA backend on the stand-in inside the block, then put ember.cuda's state (the CuPy
    module ember found, lazy init, queued calls and seeds, generators, memory statistics) back as it was,
    so later tests still see a machine without a GPU."""
    from ember import _backend, _device_guard  # noqa: PLC0415
    from ember.cuda import _lazy, memory  # noqa: PLC0415
    from ember.cuda import random as cuda_random  # noqa: PLC0415

    saved = (
        _backend._cupy,
        _backend._cupy_error,
        _lazy._initialized,
        list(_lazy._queued_calls),
        dict(_lazy._queued_seed),
        cuda_random.default_generators,
    )
    stat_dicts = (memory._peak_alloc, memory._peak_reserved, memory._num_allocs, memory._fraction)
    stats = [dict(d) for d in stat_dicts]
    install()
    _backend._cupy, _backend._cupy_error = None, None
    _lazy._initialized = False
    _lazy._queued_calls.clear()
    _lazy._queued_seed.clear()
    try:
        yield
    finally:
        _device_guard.deactivate()  # a test that used both simulated devices turned the guard on
        uninstall()
        (_backend._cupy, _backend._cupy_error, _lazy._initialized, calls, seeds, gens) = saved
        _lazy._queued_calls[:] = calls
        _lazy._queued_seed.clear()
        _lazy._queued_seed.update(seeds)
        cuda_random.default_generators = gens
        for d, s in zip(stat_dicts, stats):
            d.clear()
            d.update(s)
        assert "cupy" not in sys.modules or sys.modules["cupy"] is not MODULES["cupy"]
