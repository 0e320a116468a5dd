"""The array type and the generic call mechanism of the CuPy stand-in.

Every CuPy function here is NumPy's function behind one wrapper (`function`): unwrap the stand-in arrays
(refusing NumPy arrays, as CuPy does), check they live on the current device, call NumPy with its
floating-point warnings off (GPU kernels never warn), and wrap what comes back, 0-d results included
(CuPy returns 0-d arrays where NumPy returns scalars).
"""

import numbers
import sys
import threading

import numpy as np

_NP = np.ndarray
# CuPy's dtypes: bool, signed/unsigned ints, float16/32/64, complex64/128 (no float128, object, strings,
# structured or bfloat16 arrays: CuPy 13 has no bfloat16 kernels)
_SUPPORTED = frozenset("?bBhHiIlLqQefdFD")
N_DEVICES = 2


class _State(threading.local):
    device = 0


STATE = _State()


def current_device():
    return STATE.device


def _unsupported(dtype):
    return ValueError(f"Unsupported dtype {dtype}")


# -- memory: arrays that own their data take it from the current allocator -----------------------


_allocator = None  # set by cuda.set_allocator; None: the default pool

# Work counting, for scripts/launch_count.py: None (off), or a Counter of "kind:name" -> calls, where kind is
# ufunc, fn (a function that allocated or wrote an out=), method, copy, set (item assignment, fill), raw (a
# RawModule kernel) or sync (a read of device data on the host: get, item, bool/int/float). On the GPU each
# non-sync entry is about one kernel launch; each sync stalls the host until the device is idle.
COUNTS = None
_IN_PLACE = frozenset("copyto put place putmask fill_diagonal".split())  # functions that write without allocating
WHERE = None  # (key prefix, Counter): call sites (the innermost ember frame) of the counted keys with that prefix
_ALLOCS = [0]


def count(key):
    if COUNTS is not None:
        COUNTS[key] += 1
        if WHERE is not None and key.startswith(WHERE[0]):
            f, sites = sys._getframe(1), []
            while f is not None and len(sites) < 3:
                if "/ember/" in f.f_code.co_filename:
                    sites.append(f"{f.f_code.co_filename.rsplit('/ember/', 1)[1]}:{f.f_lineno} {f.f_code.co_name}")
                f = f.f_back
            WHERE[1][f"{key} " + " < ".join(sites)] += 1


def _allocate(nbytes):
    from . import cuda  # noqa: PLC0415

    alloc = _allocator or cuda.default_pool().malloc
    _ALLOCS[0] += 1
    return alloc(nbytes)


# -- wrap / unwrap --------------------------------------------------------------------------------


def _host_error(x):
    return TypeError(f"Unsupported type {type(x)}")


def _peer_error(arr_dev, dev):
    return ValueError(
        f"The device where the array resides ({arr_dev}) is different from the current device ({dev}). "
        "Peer access is unavailable between these devices."
    )


def unwrap(x, seen, host_ok=False, check_device=True):
    """The NumPy value behind x: stand-in arrays give their buffer (recorded in `seen` so results that are
    one of them come back as the same object); NumPy arrays are refused unless `host_ok`."""
    t = type(x)
    if t is ndarray:
        if check_device and x._dev != STATE.device:
            raise _peer_error(x._dev, STATE.device)
        seen[id(x._a)] = x
        return x._a
    if t is _NP:
        if not host_ok:
            raise _host_error(x)
        return x
    if t is list or t is tuple:
        return t(unwrap(v, seen, host_ok, check_device) for v in x)
    if isinstance(x, np.generic) and x.dtype.char not in _SUPPORTED:
        raise _unsupported(x.dtype)
    return x


def _owner(a):
    while isinstance(a.base, _NP):
        a = a.base
    return a


def wrap(r, seen=None, base=None):
    """Stand-in arrays for NumPy results (0-d arrays for NumPy scalars)."""
    t = type(r)
    if t is _NP:
        if seen:
            w = seen.get(id(r))
            if w is not None:
                return w
        return _new(r, base, seen)
    if isinstance(r, np.generic):
        return _new(np.asarray(r), None, None)
    if t is tuple or t is list:
        return t(wrap(v, seen, base) for v in r)
    if isinstance(r, tuple) and hasattr(r, "_fields"):  # named tuples (linalg results)
        return t(*(wrap(v, seen, base) for v in r))
    return r


def _new(a, base, seen):
    if a.dtype.char not in _SUPPORTED:
        raise _unsupported(a.dtype)
    if not a.flags.writeable:  # CuPy has no read-only arrays (diagonal, broadcast_to... give writable views)
        try:
            a.flags.writeable = True
        except ValueError:
            pass
    out = object.__new__(ndarray)
    out._a = a
    out._dev = STATE.device
    if isinstance(a.base, _NP):  # a view: of which stand-in array's memory?
        root = _owner(a)
        cands = ([base] if base is not None else []) + (list(seen.values()) if seen else [])
        for w in cands:
            if _owner(w._a) is root:
                w = w._base if w._base is not None else w
                out._base, out._mem, out._dev = w, w._mem, w._dev
                return out
    out._base = None  # owns its memory (a view of a NumPy temporary counts as owning it)
    out._mem = _allocate(a.nbytes)
    return out


# -- the generic call ----------------------------------------------------------------------------


def _quiet(fn, args, kwargs):
    with np.errstate(all="ignore"):
        return fn(*args, **kwargs)


def function(npfn, name, host_ok=False, scalar_result=False, no_kwargs=()):
    """The CuPy function `name`, computed by NumPy's `npfn`."""

    def f(*args, **kwargs):
        for k in no_kwargs:
            if k in kwargs:
                raise TypeError(f"{name}() got an unexpected keyword argument '{k}'")
        seen = {}
        a = unwrap(args, seen, host_ok)
        kw = {k: unwrap(v, seen, host_ok) for k, v in kwargs.items()} if kwargs else kwargs
        if COUNTS is None:
            r = _quiet(npfn, a, kw)
            return r if scalar_result else wrap(r, seen)
        before = _ALLOCS[0]
        r = _quiet(npfn, a, kw)
        r = r if scalar_result else wrap(r, seen)
        if _ALLOCS[0] != before or "out" in kwargs or name in _IN_PLACE:
            count("fn:" + name)
        return r

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"CuPy's {name} (computed by NumPy's)."
    return f


# which ufuncs support which methods in CuPy, and .at's dtypes
_REDUCE = {"add": "sum", "multiply": "prod"}
_ACCUMULATE = {"add": "cumsum", "multiply": "cumprod"}
_I32_64 = ("int32", "int64", "uint32", "uint64")
_AT_DTYPES = {
    "add": _I32_64 + ("float16", "float32", "float64"),
    "subtract": ("int32", "uint32"),
    "maximum": _I32_64 + ("float32", "float64"),
    "minimum": _I32_64 + ("float32", "float64"),
    "bitwise_and": _I32_64,
    "bitwise_or": _I32_64,
    "bitwise_xor": _I32_64,
}


def _ufunc_arg(x, seen):
    t = type(x)
    if t is ndarray or t is _NP:
        return unwrap(x, seen)
    if isinstance(x, (numbers.Number, np.generic)) or x is None:
        return unwrap(x, seen)
    raise TypeError(f"Unsupported type {t}")


class ufunc:
    """A CuPy ufunc: NumPy's ufunc of the same name; arguments must be arrays of the stand-in or scalars."""

    def __init__(self, npufunc, name=None):
        self._u = npufunc
        self.__name__ = self.name = name or npufunc.__name__
        self.nin, self.nout, self.nargs = npufunc.nin, npufunc.nout, npufunc.nargs
        self.types = npufunc.types

    def __repr__(self):
        return f"<ufunc '{self.__name__}'>"

    def __call__(self, *args, out=None, **kwargs):
        seen = {}
        a = tuple(_ufunc_arg(x, seen) for x in args)
        if out is not None:
            if type(out) is tuple:
                kwargs["out"] = tuple(_ufunc_arg(o, seen) for o in out)
            else:
                kwargs["out"] = _ufunc_arg(out, seen)
        for k in ("where",):
            if k in kwargs and kwargs[k] is not True:
                kwargs[k] = _ufunc_arg(kwargs[k], seen)
        if COUNTS is not None:
            count("ufunc:" + self.name)
            if self.name == "matmul" and max(getattr(x, "ndim", 0) for x in a) > 2:
                for x in a:  # CuPy's batched matmul copies each operand that is not C-contiguous
                    if isinstance(x, _NP) and not x.flags.c_contiguous:
                        count("copy:matmul_operand")
        return wrap(_quiet(self._u, a, kwargs), seen)

    def outer(self, A, B, **kwargs):
        seen = {}
        return wrap(_quiet(self._u.outer, (unwrap(A, seen), unwrap(B, seen)), kwargs), seen)

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        m = _REDUCE.get(self.name)
        if m is None:
            raise NotImplementedError(f"`{self.name}.reduce` is not supported yet")
        return getattr(array, m)(axis, dtype, out, keepdims)

    def accumulate(self, array, axis=0, dtype=None, out=None):
        m = _ACCUMULATE.get(self.name)
        if m is None:
            raise NotImplementedError(f"`{self.name}.accumulate` is not supported yet")
        return getattr(array, m)(axis, dtype, out)

    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        if self.name != "add":
            raise NotImplementedError(f"`{self.name}.reduceat` is not supported yet")
        seen = {}
        r = _quiet(np.add.reduceat, (unwrap(array, seen), unwrap(indices, seen)), {"axis": axis, "dtype": dtype})
        if out is not None:
            out[...] = wrap(r)
            return out
        return wrap(r)

    def at(self, a, indices, b=None):
        ok = _AT_DTYPES.get(self.name)
        if ok is None:
            raise NotImplementedError(f"`{self.name}.at` is not supported yet")
        if type(a) is not ndarray:
            raise TypeError(f"Unsupported type {type(a)}")
        if a.dtype.name not in ok:
            raise TypeError(f"cupy.{self.name}.at only supports {', '.join(ok)} as data type")
        seen = {}
        idx = _index(a, indices, seen)
        vals = _ufunc_arg(b, seen) if b is not None else None
        _quiet(self._u.at, (a._a, idx) + ((vals,) if b is not None else ()), {})
        if self.name in ("maximum", "minimum") and a.dtype == np.float64:
            # CuPy's double atomicMax/atomicMin compare with fmaxf/fminf: every element they touch is stored
            # rounded to float32
            touched = a._a[idx]
            a._a[idx] = touched.astype(np.float32).astype(np.float64)


# -- indexing ------------------------------------------------------------------------------------


def _index(arr, key, seen):
    """A NumPy index for `key`: stand-in arrays unwrapped, host arrays and lists converted (as CuPy copies
    them to the device), integer arrays wrapped around the axis length (CuPy does not bounds-check them)."""
    parts = key if type(key) is tuple else (key,)
    conv = []
    for p in parts:
        if type(p) is ndarray:
            p = unwrap(p, seen)
        elif type(p) is _NP or type(p) is list:
            p = np.asarray(p)
            if p.dtype.kind not in "biu" and not (p.size == 0 and p.dtype.kind == "f"):
                raise IndexError(f"arrays used as indices must be of integer or boolean type (actual: {p.dtype.type})")
            if p.size == 0 and p.dtype.kind == "f":
                p = p.astype(np.int32)
        elif isinstance(p, np.generic) and p.dtype.kind == "b":
            p = np.asarray(p)
        conv.append(p)
    # wrap integer array indices around their axis
    ndim = arr._a.ndim
    used = sum(
        (p.ndim if p.dtype.kind == "b" else 1) if type(p) is _NP else (0 if p is None or p is Ellipsis else 1)
        for p in conv
    )
    axis = 0
    out = []
    for p in conv:
        if p is None:
            out.append(p)
            continue
        if p is Ellipsis:
            axis += ndim - used
            out.append(p)
            continue
        if type(p) is _NP and p.dtype.kind in "iu":
            n = arr._a.shape[axis] if axis < ndim else 0
            if n > 0 and p.size:
                p = p % n
            axis += 1
        elif type(p) is _NP and p.dtype.kind == "b":
            axis += p.ndim
        else:
            axis += 1
        out.append(p)
    return tuple(out) if type(key) is tuple else out[0]


def _is_view_index(key):
    parts = key if type(key) is tuple else (key,)
    return all(p is None or p is Ellipsis or type(p) is slice or type(p) is int for p in parts)


# -- ndarray -------------------------------------------------------------------------------------


class Flags:
    """cupy's flags: C_CONTIGUOUS, F_CONTIGUOUS and OWNDATA only."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, c, f, own):
        self.c_contiguous, self.f_contiguous, self.owndata = c, f, own

    @property
    def fnc(self):
        return self.f_contiguous and not self.c_contiguous

    @property
    def forc(self):
        return self.f_contiguous or self.c_contiguous

    def __getitem__(self, name):
        key = {"C_CONTIGUOUS": "c_contiguous", "F_CONTIGUOUS": "f_contiguous", "OWNDATA": "owndata"}.get(name)
        if key is None:
            raise KeyError(f"{name} is not defined for cupy.ndarray.flags")
        return getattr(self, key)


def _binop(ufname, reflected=False):
    def op(self, other):
        u = _UFUNCS[ufname]
        if type(other) is not ndarray and getattr(other, "__array_ufunc__", 0) is None:
            return NotImplemented
        return u(other, self) if reflected else u(self, other)

    return op


def _iop(ufname):
    def op(self, other):
        _UFUNCS[ufname](self, other, out=self)
        return self

    return op


_KERNEL_METHODS = (
    "sum prod mean var std max min argmax argmin all any cumsum cumprod ptp clip round trace conj conjugate dot "
    "nonzero searchsorted compress choose repeat partition argpartition argsort"
).split()
_VIEW_METHODS = "reshape transpose swapaxes squeeze ravel diagonal view".split()
_REDUCTIONS = frozenset("sum prod mean var std max min all any".split())


def _method(name, view=False):
    def m(self, *args, **kwargs):
        if name in _REDUCTIONS and ("where" in kwargs or "initial" in kwargs):
            raise TypeError(f"{name}() got an unexpected keyword argument")
        if not view and self._dev != STATE.device:
            raise _peer_error(self._dev, STATE.device)
        seen = {id(self._a): self}
        a = unwrap(args, seen)
        kw = {k: unwrap(v, seen) for k, v in kwargs.items()}
        r = _quiet(getattr(self._a, name), a, kw)
        if view:
            if COUNTS is not None and isinstance(r, _NP) and r.size and not np.may_share_memory(r, self._a):
                count("copy:" + name)  # a "view" method that had to copy (CuPy's reshape copies silently too)
            return wrap(r, seen, base=self)
        if COUNTS is not None:
            count("method:" + name)
        return wrap(r, seen)

    m.__name__ = name
    return m


class ndarray:
    """cupy.ndarray stand-in: a NumPy buffer said to live on a (simulated) CUDA device."""

    __slots__ = ("_a", "_dev", "_base", "_mem", "__weakref__")
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        dt = np.dtype(dtype)
        if dt.char not in _SUPPORTED:
            raise _unsupported(dt)
        self._a = np.empty(shape, dt, order=order)
        self._dev = STATE.device
        self._base = None
        self._mem = _allocate(self._a.nbytes)

    # -- NumPy interop, as CuPy does it
    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy array "
            "explicitly."
        )

    def __array_ufunc__(self, uf, method, *inputs, **kwargs):
        from . import MODULES as _MODULES  # noqa: PLC0415

        if "out" in kwargs:
            out = kwargs["out"]
            if len(out) != 1:
                raise ValueError("The 'out' parameter must have exactly one array value")
            kwargs["out"] = out[0]
        if method not in ("__call__", "outer", "at", "reduce", "accumulate", "reduceat"):
            return NotImplemented
        name = uf.__name__
        fn = getattr(_MODULES["cupy"], name, None) or getattr(_MODULES["cupyx.scipy.special"], name, None)
        if fn is None:
            return NotImplemented
        if method != "__call__":
            fn = getattr(fn, method, None)
            if fn is None:
                return NotImplemented
        return fn(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        from . import MODULES as _MODULES  # noqa: PLC0415

        mod = _MODULES.get("cupy" + func.__module__[len("numpy") :]) if func.__module__.startswith("numpy") else None
        fn = getattr(mod, func.__name__, None) if mod is not None else None
        if fn is None or fn is func:
            return NotImplemented
        for t in types:
            if not issubclass(t, (ndarray, _NP)):
                return NotImplemented
        return fn(*args, **kwargs)

    # -- attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    strides = property(lambda self: self._a.strides)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    base = property(lambda self: self._base)

    @property
    def flags(self):
        f = self._a.flags
        return Flags(f.c_contiguous, f.f_contiguous, self._base is None)

    @property
    def device(self):
        from .cuda import Device  # noqa: PLC0415

        return Device(self._dev)

    @property
    def data(self):
        from .cuda import MemoryPointer  # noqa: PLC0415

        return MemoryPointer(self._mem, self._a.__array_interface__["data"][0], self._dev)

    @property
    def T(self):
        return wrap(self._a.T, None, base=self)

    @property
    def mT(self):
        return wrap(np.swapaxes(self._a, -1, -2), None, base=self)

    @property
    def real(self):
        return wrap(self._a.real, None, base=self) if self._a.dtype.kind == "c" else self

    @real.setter
    def real(self, v):
        self.real[...] = v

    @property
    def imag(self):
        if self._a.dtype.kind == "c":
            return wrap(self._a.imag, None, base=self)
        return wrap(np.zeros_like(self._a))

    @imag.setter
    def imag(self, v):
        self.imag[...] = v

    @property
    def __cuda_array_interface__(self):
        ai = self._a.__array_interface__
        return {
            "shape": ai["shape"],
            "typestr": ai["typestr"],
            "data": ai["data"],
            "strides": ai["strides"],
            "version": 3,
        }

    # -- host transfers
    def get(self, stream=None, order="C", out=None, blocking=True):
        if out is not None:
            if type(out) is not _NP:
                raise TypeError("Only numpy.ndarray can be obtained from cupy.ndarray")
            np.copyto(out, self._a)
            count("sync:get")
            return out
        count("sync:get")
        return np.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None):
        if type(arr) is not _NP:
            raise TypeError("Only numpy.ndarray can be set to cupy.ndarray")
        if arr.shape != self._a.shape or arr.dtype != self._a.dtype:
            raise ValueError("Shape or dtype mismatch")
        np.copyto(self._a, arr)

    def item(self, *args):
        count("sync:item")
        return self._a.item(*args)

    def tolist(self):
        count("sync:tolist")
        return self._a.tolist()

    def tobytes(self, order="C"):
        return self._a.tobytes(order)

    # -- methods that allocate or convert
    def copy(self, order="C"):
        count("copy:copy")
        return wrap(self._a.copy(order=order))

    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        dt = np.dtype(dtype)
        if dt.char not in _SUPPORTED:
            raise _unsupported(dt)
        if self._dev != STATE.device:
            raise _peer_error(self._dev, STATE.device)
        r = _quiet(self._a.astype, (dt,), {"order": order, "copy": copy})
        if r is self._a:
            return self
        count("copy:astype")
        return wrap(r)

    def fill(self, value):
        if type(value) is _NP:
            if value.shape != ():
                raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
            value = value.item()
        elif type(value) is ndarray:
            raise TypeError(f"Unsupported type {type(value)}")
        count("set:fill")
        _quiet(self._a.fill, (value,), {})

    def flatten(self, order="C"):
        return wrap(self._a.flatten(order))

    @property
    def flat(self):
        return flatiter(self)

    def take(self, indices, axis=None, out=None):
        seen = {}
        idx = unwrap(indices, seen) if type(indices) is ndarray else indices
        n = self._a.size if axis is None else self._a.shape[axis]
        if type(idx) is _NP and n > 0:
            idx = idx % n
        r = np.take(self._a, idx, axis=axis, out=unwrap(out, seen) if out is not None else None)
        return wrap(r, seen)

    def put(self, indices, values, mode="wrap"):
        seen = {}
        np.put(self._a, unwrap(indices, seen), unwrap(values, seen), mode=mode)

    def sort(self, axis=-1, kind=None):
        self._a.sort(axis=axis)

    def scatter_add(self, slices, value):
        _UFUNCS["add"].at(self, slices, value)

    def scatter_max(self, slices, value):
        _UFUNCS["maximum"].at(self, slices, value)

    def scatter_min(self, slices, value):
        _UFUNCS["minimum"].at(self, slices, value)

    # -- container protocol
    def __len__(self):
        if self._a.ndim == 0:
            raise TypeError("len() of unsized object")
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    def __getitem__(self, key):
        seen = {}
        if _is_view_index(key):
            r = self._a[key]
            if isinstance(r, np.generic):  # CuPy gives a 0-d view
                r = self._a[(key if type(key) is tuple else (key,)) + (Ellipsis,)]
            return wrap(r, None, base=self)
        if self._dev != STATE.device:
            raise _peer_error(self._dev, STATE.device)
        r = self._a[_index(self, key, seen)]
        if isinstance(r, np.generic):
            r = np.asarray(r)
        return wrap(r, None, base=self) if r.base is not None and _owner(r) is _owner(self._a) else wrap(r)

    def __setitem__(self, key, value):
        seen = {}
        if type(value) is _NP:
            if value.shape != ():
                raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
            value = value.item()
        elif type(value) is ndarray:
            value = unwrap(value, seen)
        elif type(value) in (list, tuple):
            raise TypeError(f"Unsupported type {type(value)}")
        idx = key if _is_view_index(key) else _index(self, key, seen)
        count("set:setitem")
        with np.errstate(all="ignore"):
            self._a[idx] = value

    # -- Python conversions (no __index__: CuPy arrays are not indices)
    def __bool__(self):
        count("sync:bool")
        return bool(self._a)

    def __int__(self):
        count("sync:int")
        return int(self._a)

    def __float__(self):
        count("sync:float")
        return float(self._a)

    def __complex__(self):
        return complex(self._a)

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a.item() if self._a.ndim == 0 else self._a, spec)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        return (_from_host, (self._a.copy(), self._dev))

    # -- arithmetic
    __add__, __radd__ = _binop("add"), _binop("add", True)
    __sub__, __rsub__ = _binop("subtract"), _binop("subtract", True)
    __mul__, __rmul__ = _binop("multiply"), _binop("multiply", True)
    __matmul__, __rmatmul__ = _binop("matmul"), _binop("matmul", True)
    __truediv__, __rtruediv__ = _binop("divide"), _binop("divide", True)
    __floordiv__, __rfloordiv__ = _binop("floor_divide"), _binop("floor_divide", True)
    __mod__, __rmod__ = _binop("remainder"), _binop("remainder", True)
    __divmod__, __rdivmod__ = _binop("divmod"), _binop("divmod", True)
    __pow__, __rpow__ = _binop("power"), _binop("power", True)
    __lshift__, __rlshift__ = _binop("left_shift"), _binop("left_shift", True)
    __rshift__, __rrshift__ = _binop("right_shift"), _binop("right_shift", True)
    __and__, __rand__ = _binop("bitwise_and"), _binop("bitwise_and", True)
    __or__, __ror__ = _binop("bitwise_or"), _binop("bitwise_or", True)
    __xor__, __rxor__ = _binop("bitwise_xor"), _binop("bitwise_xor", True)
    __lt__, __le__ = _binop("less"), _binop("less_equal")
    __gt__, __ge__ = _binop("greater"), _binop("greater_equal")
    __eq__, __ne__ = _binop("equal"), _binop("not_equal")
    __iadd__, __isub__, __imul__ = _iop("add"), _iop("subtract"), _iop("multiply")
    __itruediv__, __ifloordiv__, __imod__ = _iop("divide"), _iop("floor_divide"), _iop("remainder")
    __ipow__, __ilshift__, __irshift__ = _iop("power"), _iop("left_shift"), _iop("right_shift")
    __iand__, __ior__, __ixor__ = _iop("bitwise_and"), _iop("bitwise_or"), _iop("bitwise_xor")

    def __neg__(self):
        return _UFUNCS["negative"](self)

    def __pos__(self):
        return _UFUNCS["positive"](self)

    def __abs__(self):
        return _UFUNCS["absolute"](self)

    def __invert__(self):
        return _UFUNCS["invert"](self)


for _n in _KERNEL_METHODS:
    setattr(ndarray, _n, _method(_n))
for _n in _VIEW_METHODS:
    setattr(ndarray, _n, _method(_n, view=True))


def _from_host(a, dev):
    prev = STATE.device
    STATE.device = dev
    try:
        return wrap(a)
    finally:
        STATE.device = prev


_UFUNCS = {}  # filled by the package: name -> ufunc


def to_device(a, copy, dtype=None, order="K", ndmin=0):
    """cupy.array / asarray of a host or device value on the current device."""
    if type(a) is ndarray:
        if a._dev != STATE.device:
            return wrap(np.array(a._a, dtype=dtype, order=order, ndmin=ndmin, copy=True))
        r = np.array(a._a, dtype=dtype, order=order, ndmin=ndmin, copy=copy)
        return a if r is a._a else wrap(r, {id(a._a): a})
    seen = {}
    host = unwrap(a, seen, host_ok=True, check_device=False)
    if type(host) in (list, tuple) and seen:  # nested sequences of device arrays: stack them
        host = _stack_nested(a)
    r = np.array(host, dtype=dtype, order=order, ndmin=ndmin, copy=True if copy is None else copy)
    if r.dtype == object:
        raise ValueError("Unsupported dtype object")
    return wrap(r)


def _stack_nested(a):
    if type(a) is ndarray:
        return a._a
    if type(a) in (list, tuple):
        return [_stack_nested(x) for x in a]
    return a


class flatiter:
    """CuPy's flat iterator: an int gives a 0-d copy, a slice a 1-d copy, Ellipsis all elements; tuples, bools
    and arrays as indices raise IndexError."""

    def __init__(self, a):
        self._base = a
        self._index = 0

    @property
    def base(self):
        return self._base

    def _key(self, ind):
        if ind is Ellipsis:
            return slice(None)
        if isinstance(ind, (tuple, bool)) or not (np.isscalar(ind) or isinstance(ind, slice)):
            raise IndexError("unsupported iterator index")
        return int(ind) if np.isscalar(ind) else ind

    def __getitem__(self, ind):
        return wrap(np.array(self._base._a.flat[self._key(ind)], copy=True))

    def __setitem__(self, ind, value):
        key = self._key(ind)
        if type(value) is _NP:
            raise TypeError(f"Unsupported type {type(value)}")
        with np.errstate(all="ignore"):
            self._base._a.flat[key] = unwrap(value, {}) if type(value) is ndarray else value

    def __iter__(self):
        return self

    def __next__(self):
        if self._index >= self._base.size:
            raise StopIteration
        r = self[self._index]
        self._index += 1
        return r

    def __len__(self):
        return self._base.size

    def copy(self):
        return self._base.flatten()
