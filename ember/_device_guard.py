"""Running each op on the GPU that holds its tensors, once more than one GPU is in use.

CuPy launches every kernel and allocates every result on its *current* device, and refuses arrays that live
on another one. torch instead runs an op on its inputs' device. With one GPU the two agree, so ember pays
nothing for this: the guard is off. It turns itself on (`activate`) the first time CUDA data is placed on a
device other than the current one (`note_placement`: `.to('cuda:1')`, `zeros(..., device='cuda:1')`), or
the current device changes while the old one holds tensors (`note_switch`: `cuda.set_device`,
`cuda.device(...)`, stream contexts). From then on:

- every public function (`ember.*`, `ember.nn.functional.*`, `linalg`, `fft`, `special`, `nn.init`, `func`,
  `nn.utils` and its parametrizations, `autograd`, `distributions`, `utils.checkpoint`) and every Tensor
  method and operator makes the device of its first CUDA tensor argument (or module argument's parameter)
  current for the call, and restores the previous one after it; so do the functions torch.func's
  transforms return (`entry_point`);
- `Module.__call__` does the same from its inputs (or, with no tensor inputs, the module's first parameter);
- the autograd engine makes each node's gradient device current before running it, and the optimizers
  each parameter's device before updating it (`follow`, restored with `restore`).

The functions are wrapped where the public namespaces and the Tensor class hold them, so a function a
program imported by name (`from ember.nn.functional import relu`) before the second device came into use
keeps calling the unguarded original; called inside a module's forward it is still guarded by the module.
"""

import contextlib
import functools
import threading
import types

ACTIVE = False

_rt = None  # cupy.cuda.runtime, once active
_cp_ndarray = None
_Tensor = _Module = _Batched = None


def note_placement(idx):
    """CUDA data is about to be placed on device idx."""
    if not ACTIVE and idx != _runtime().getDevice():
        activate()


def note_switch(old, new):
    """The current device changes from old to new."""
    if not ACTIVE and old != new:
        from ._backend import cupy  # noqa: PLC0415

        if cupy().get_default_memory_pool().used_bytes():  # the pool of `old`, the current device
            activate()


def _runtime():
    from ._backend import cupy  # noqa: PLC0415

    return cupy().cuda.runtime


def device_of_args(args, kwargs):
    """The device index of the first CUDA tensor among args (one level into lists and tuples; a module's
    first parameter or buffer) and kwargs' values, or -1."""
    T, cpa = _Tensor, _cp_ndarray
    for a in args:
        if isinstance(a, T):
            while type(a) is _Batched:  # inside vmap: the physical tensor underneath
                a = a._value
            d = a._data
            if type(d) is cpa:
                return d.device.id
        elif type(a) is list or type(a) is tuple:
            for x in a:
                if isinstance(x, T):
                    while type(x) is _Batched:
                        x = x._value
                    d = x._data
                    if type(d) is cpa:
                        return d.device.id
        elif isinstance(a, _Module):
            d = _module_device((a,))
            if d >= 0:
                return d
    if kwargs:
        return device_of_args(tuple(kwargs.values()), None)
    return -1


def _run(fn, args, kwargs, fallback=None, cross=False):
    """fn(*args, **kwargs) with the device of its first CUDA tensor argument current (or fallback(args)'s,
    when given and there is none), the previous device restored after."""
    d = device_of_args(args, kwargs)
    if d < 0 and fallback is not None:
        d = fallback(args)
    if d < 0:
        return fn(*args, **kwargs)
    cur = _rt.getDevice()
    try:
        if d == cur:
            return fn(*args, **kwargs)
        _rt.setDevice(d)
        try:
            return fn(*args, **kwargs)
        finally:
            _rt.setDevice(cur)
    except (ValueError, TypeError, RuntimeError) as e:
        if not cross:
            _raise_if_two_devices(fn, args, kwargs, e)
        raise


def guarded(fn, fallback=None):
    """fn, run by `_run` (installed in place of the public functions while the guard is on)."""
    cross = fn.__name__ in _CROSS_DEVICE

    @functools.wraps(fn)
    def call(*args, **kwargs):
        return _run(fn, args, kwargs, fallback, cross)

    call.__device_guarded__ = fn
    return call


def entry_point(fn):
    """For the functions a public function returns (torch.func's transformed functions, vjp_fn): a plain call
    while the guard is off; once it is on, run like the public functions."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if not ACTIVE:
            return fn(*args, **kwargs)
        return _run(fn, args, kwargs)

    return call


# ops that take tensors from two devices by design
_CROSS_DEVICE = frozenset(("copy_", "to", "cuda", "cpu", "__setitem__", "__deepcopy__", "tensor", "as_tensor"))


def _raise_if_two_devices(fn, args, kwargs, error):
    """An op failed with CUDA tensors from two devices among its arguments (CuPy's peer-access error, or one
    an op's own checks made of it): raise torch's error instead."""
    seen = []
    for a in (*args, *(kwargs or {}).values()):
        for t in a if type(a) is list or type(a) is tuple else (a,):
            while type(t) is _Batched:
                t = t._value
            if isinstance(t, _Tensor) and type(t._data) is _cp_ndarray:
                i = t._data.device.id
                if i not in seen:
                    seen.append(i)
    if len(seen) > 1:
        raise RuntimeError(
            f"Expected all tensors to be on the same device, but found at least two devices, cuda:{seen[0]} and "
            f"cuda:{seen[1]}! ({fn.__name__})"
        ) from error


def follow(arr, cur):
    """Make arr's device current when it is a CUDA array on another device than cur; returns the device
    now current. The caller restores the device it started on with `restore`."""
    if type(arr) is _cp_ndarray:
        d = arr.device.id
        if d != cur:
            _rt.setDevice(d)
            return d
    return cur


def current():
    return _rt.getDevice()


def each_on_device(tensors):
    """Iterate over tensors, making each one's device current while the loop body runs for it (a plain
    iterator while the guard is off); the device current before the loop is restored after it."""
    if not ACTIVE:
        return iter(tensors)
    return _each_on_device(tensors)


def _each_on_device(tensors):
    start = cur = _rt.getDevice()
    try:
        for t in tensors:
            cur = follow(t._data, cur)
            yield t
    finally:
        restore(start, cur)


_NOTHING = contextlib.nullcontext()


def on_device_of(arr):
    """A `with` block run with arr's device current: a shared no-op context while the guard is off (cheap enough
    for per-parameter loops)."""
    if not ACTIVE or type(arr) is not _cp_ndarray:
        return _NOTHING
    return _OnDevice(arr)


class _OnDevice:
    __slots__ = ("arr", "start", "cur")

    def __init__(self, arr):
        self.arr = arr

    def __enter__(self):
        self.start = _rt.getDevice()
        self.cur = follow(self.arr, self.start)

    def __exit__(self, *exc):
        restore(self.start, self.cur)


def restore(start, cur):
    if cur != start:
        _rt.setDevice(start)


def unwrapped(fn):
    """fn without its guard (for identity checks such as `activation is F.relu`)."""
    return getattr(fn, "__device_guarded__", fn)


# Tensor attributes that are not ops: construction, attribute plumbing, hashing.
_SKIP = frozenset(
    (
        "__new__",
        "__init__",
        "__del__",
        "__getattr__",
        "__getattribute__",
        "__setattr__",
        "__delattr__",
        "__hash__",
        "__init_subclass__",
        "__class_getitem__",
        "__torch_function__",
        "__len__",
        "dim",
        "size",
        "stride",
        "numel",
        "get_device",
        "is_contiguous",
        "is_floating_point",
        "is_complex",
        "element_size",
        "data_ptr",
    )
)
_COMPUTED_PROPERTIES = ("H", "mH", "real", "imag")


def _namespaces():
    import ember  # noqa: PLC0415
    from ember import autograd, distributions, fft, func, linalg, nn, special  # noqa: PLC0415
    from ember.autograd import functional as autograd_functional  # noqa: PLC0415
    from ember.nn import functional, init, parallel, utils  # noqa: PLC0415
    from ember.nn.utils import parametrizations, parametrize, rnn, stateless  # noqa: PLC0415
    from ember.utils import checkpoint  # noqa: PLC0415

    return (
        ember,
        functional,
        linalg,
        fft,
        special,
        init,
        utils,
        rnn,
        parametrizations,
        parametrize,
        stateless,
        autograd,
        autograd_functional,
        func,
        distributions,
        checkpoint,
        parallel,
        nn,
    )


_lock = threading.Lock()


def activate():
    """Install the guards (once, whichever thread gets there first)."""
    with _lock:
        if not ACTIVE:
            _install()


def _install():
    global ACTIVE, _rt, _cp_ndarray, _Tensor, _Module, _Batched
    from ._backend import cupy  # noqa: PLC0415
    from ._tensor import Tensor  # noqa: PLC0415
    from .func._vmap import BatchedTensor  # noqa: PLC0415
    from .nn.modules.module import Module  # noqa: PLC0415

    cp = cupy()
    _rt, _cp_ndarray, _Tensor, _Module, _Batched = cp.cuda.runtime, cp.ndarray, Tensor, Module, BatchedTensor
    wrappers = {}

    def wrap(fn):
        w = wrappers.get(id(fn))
        if w is None:
            w = wrappers[id(fn)] = guarded(fn)
        return w

    def replace(owner, name, old, new):
        _replaced.append((owner, name, old))
        setattr(owner, name, new)

    for name, v in list(vars(Tensor).items()):
        if name in _SKIP:
            continue
        if type(v) is types.FunctionType:
            replace(Tensor, name, v, wrap(v))
        elif name in _COMPUTED_PROPERTIES and isinstance(v, property):
            replace(Tensor, name, v, property(wrap(v.fget), v.fset and wrap(v.fset), v.fdel, v.__doc__))
    for ns in _namespaces():
        for name, v in list(vars(ns).items()):
            if type(v) is types.FunctionType and not name.startswith("_") and v.__module__.startswith("ember"):
                replace(ns, name, v, wrap(v))
    replace(Module, "__call__", Module.__call__, guarded(Module.__call__, _module_device))
    ACTIVE = True


_replaced = []  # (owner, name, original) for deactivate


def deactivate():
    """Put the unguarded functions back (for tests that simulate several devices and then leave them)."""
    global ACTIVE
    with _lock:
        while _replaced:
            owner, name, old = _replaced.pop()
            setattr(owner, name, old)
        ACTIVE = False


def _module_device(args):
    """The device of a module's first CUDA parameter or buffer (args[0] is the module), or -1."""
    m = args[0]
    for t in m.parameters():
        if type(t._data) is _cp_ndarray:
            return t._data.device.id
    for t in m.buffers():
        if t is not None and type(t._data) is _cp_ndarray:
            return t._data.device.id
    return -1
