"""`ember.save` / `ember.load` in PyTorch's checkpoint formats, without torch.

Files written here load with real `torch.load` (and the reverse): the zip format (an uncompressed zip holding
`<archive>/data.pkl`, one `<archive>/data/<key>` record per storage, 64-byte aligned, plus `byteorder`,
`version`...) and the legacy non-zip format (`_use_new_zipfile_serialization=False`).

The pickle names torch's globals (`torch._utils._rebuild_tensor_v2`, `torch FloatStorage`, `torch Size`...), written
as stand-ins by a pickler of our own, so nothing here imports torch. Tensors that share memory (views, state_dict
entries that are views of one buffer) are saved as one storage with offsets and strides, as torch does, and load
back as NumPy views of one array.

`load` defaults to `weights_only=True` (torch 2.6+): a restricted unpickler that resolves only an allow-list of
globals (extend it with `add_safe_globals` / `safe_globals`); anything else raises `pickle.UnpicklingError` before
any of the payload runs, and tensor geometry that points outside its storage is refused.
"""

import _codecs
import _compat_pickle
import collections
import contextlib
import io
import os
import pickle
import struct
import sys
import uuid
import warnings
import zipfile

import numpy as np

from . import _dtype as D
from ._backend import contiguous_strides, cuda_available, device_of, to_device, xp_of
from ._device import device as _Device
from ._ops._core import view_of
from ._ops.shape2 import as_strided
from ._tensor import Size, Tensor, _init, _ptr, make
from .nn.parameter import Buffer, Parameter

__all__ = [
    "save",
    "load",
    "add_safe_globals",
    "safe_globals",
    "get_safe_globals",
    "clear_safe_globals",
    "get_unsafe_globals_in_checkpoint",
    "DEFAULT_PROTOCOL",
]

DEFAULT_PROTOCOL = 2
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
_ALIGN = 64
_CHUNK = 1 << 26

_STORAGE_NAMES = {
    D.bool: "BoolStorage",
    D.uint8: "ByteStorage",
    D.int8: "CharStorage",
    D.int16: "ShortStorage",
    D.int32: "IntStorage",
    D.int64: "LongStorage",
    D.float16: "HalfStorage",
    D.bfloat16: "BFloat16Storage",
    D.float32: "FloatStorage",
    D.float64: "DoubleStorage",
    D.complex64: "ComplexFloatStorage",
    D.complex128: "ComplexDoubleStorage",
}

_DTYPE_ALIASES = {
    "float": D.float32,
    "double": D.float64,
    "half": D.float16,
    "long": D.int64,
    "int": D.int32,
    "short": D.int16,
    "cfloat": D.complex64,
    "cdouble": D.complex128,
}


# ----------------------------------------------------------------------------------------------------------------
# saving
# ----------------------------------------------------------------------------------------------------------------
class _Global:
    """A stand-in for a global the pickle must name (e.g. torch._utils._rebuild_tensor_v2) but we cannot import."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module = module
        self.name = name

    def __call__(self, *args):  # pickle's save_reduce wants a callable; this one is only ever written
        raise TypeError(f"{self.module}.{self.name} is a stand-in for pickling")


_GLOBALS = {}


def _g(module, name):
    g = _GLOBALS.get((module, name))
    if g is None:
        g = _GLOBALS[(module, name)] = _Global(module, name)
    return g


_REBUILD_V2 = _g("torch._utils", "_rebuild_tensor_v2")


class _SavedStorage:
    """One storage being saved: `flat` is a uint8 array over its bytes (host or device)."""

    __slots__ = ("key", "dtype", "numel", "location", "flat", "owner")

    def __init__(self, key, dtype, flat, owner):
        self.key = key
        self.dtype = dtype
        self.numel = flat.shape[0] // dtype.itemsize
        self.location = "cpu" if type(flat) is np.ndarray else f"cuda:{flat.device.id}"
        self.flat = flat
        self.owner = owner  # keeps the owner array alive while saving (its id is a dict key)

    def host_bytes(self):
        b = self.flat[: self.numel * self.dtype.itemsize]
        if type(b) is not np.ndarray:
            b = b.get()
        if sys.byteorder != "little" and self.dtype.itemsize > 1:
            b = b.view(self.dtype.np).byteswap().view(np.uint8)
        return b


def _owner(a):
    """The array that owns a's memory: the end of its chain of array bases."""
    b = a.base
    while b is not None:
        if hasattr(b, "strides") and hasattr(b, "dtype"):
            a = b
        elif not hasattr(b, "__array_interface__"):  # as_strided's DummyArray wrapper: look through it
            break
        b = getattr(b, "base", None)
    return a


class _SaveState:
    def __init__(self, legacy):
        self.legacy = legacy
        self.by_owner = {}  # id(owner array) -> _SavedStorage
        self.storages = []  # in order of first use (torch numbers keys the same way)

    def _new(self, dtype, flat, owner):
        s = _SavedStorage(str(len(self.storages)), dtype, flat, owner)
        self.storages.append(s)
        return s

    def _own_copy(self, a, dtype):
        xp = xp_of(a)
        flat = xp.ascontiguousarray(a).reshape(-1).view(xp.uint8)
        return self._new(dtype, flat, flat), 0, contiguous_strides(a.shape)

    def storage_of(self, t):
        """(storage, storage_offset, stride) of tensor t, sharing one storage among tensors on one buffer."""
        a = t._data
        dtype = D.FROM_NP[a.dtype]
        isz = a.itemsize
        if a.size == 0:
            return self._own_copy(a, dtype)
        o = _owner(a)
        rec = self.by_owner.get(id(o))
        if rec is None:
            if not (o.flags.c_contiguous or o.flags.f_contiguous):
                return self._own_copy(a, dtype)
            flat = o.ravel(order="K").view(xp_of(o).uint8)
            rec = self.by_owner[id(o)] = self._new(dtype, flat, o)
        elif rec.dtype != dtype:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data as different types")
        diff = _ptr(a) - _ptr(rec.flat)
        stride = []
        ok = diff >= 0 and diff % isz == 0
        end = diff // isz
        for n, s in zip(a.shape, a.strides):
            if n == 1:
                stride.append(1)  # any stride works for a dim of size 1; keep it non-negative
                continue
            if s < 0 or s % isz:
                ok = False
                break
            stride.append(s // isz)
            end += (n - 1) * (s // isz)
        if not ok or end >= rec.numel:
            return self._own_copy(a, dtype)
        if a.ndim and all(n == 1 for n in a.shape):
            stride = list(contiguous_strides(a.shape))
        return rec, diff // isz, tuple(stride)

    def reduce_tensor(self, t):
        if isinstance(t, Parameter):
            data = make(t._data)
            state = getattr(t, "__dict__", None)
            if state:
                return (
                    _g("torch._utils", "_rebuild_parameter_with_state"),
                    (data, t._requires_grad, collections.OrderedDict(), dict(state)),
                )
            return (_g("torch._utils", "_rebuild_parameter"), (data, t._requires_grad, collections.OrderedDict()))
        storage, offset, stride = self.storage_of(t)
        args = (storage, offset, tuple(t._data.shape), stride, t._requires_grad, collections.OrderedDict())
        cls = type(t)
        state = getattr(t, "__dict__", None) if cls is not Buffer else None
        if (cls is Tensor or cls is Buffer) and not state:
            return (_REBUILD_V2, args)
        new_type = _g("torch", "Tensor") if cls is Tensor or cls is Buffer else cls
        return (_g("torch._tensor", "_rebuild_from_type_v2"), (_REBUILD_V2, new_type, args, dict(state or {})))


def _write_global(pickler, module, name):
    if pickler.proto >= 4:
        pickler.save(module)
        pickler.save(name)
        pickler.write(pickle.STACK_GLOBAL)
    else:
        pickler.write(pickle.GLOBAL + module.encode("utf-8") + b"\n" + name.encode("utf-8") + b"\n")


def _save_stand_in(pickler, obj):
    _write_global(pickler, obj.module, obj.name)
    pickler.memoize(obj)


def _save_dtype(pickler, obj):
    _write_global(pickler, "torch", obj.name)
    pickler.memoize(obj)


class _TorchPickler(pickle._Pickler):
    """Pure-Python pickler (it can write globals it cannot import) that writes ember objects as torch's."""

    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[_Global] = _save_stand_in
    dispatch[D.dtype] = _save_dtype

    def __init__(self, file, protocol, state):
        super().__init__(file, protocol)
        self._state = state

    def persistent_id(self, obj):
        if type(obj) is _SavedStorage:
            pid = ("storage", _g("torch", _STORAGE_NAMES[obj.dtype]), obj.key, obj.location, obj.numel)
            return pid + (None,) if self._state.legacy else pid
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._state.reduce_tensor(obj)
        t = type(obj)
        if t is Size:
            return (_g("torch", "Size"), (tuple(obj),))
        if t is _Device:
            return (_g("torch", "device"), (obj.type,) if obj.index is None else (obj.type, obj.index))
        return NotImplemented


def _is_path(f):
    return isinstance(f, (str, os.PathLike))


def _archive_name(f):
    if _is_path(f):
        name = os.path.splitext(os.path.basename(os.fspath(f)))[0]
        return name or "archive"
    return "archive"


class _ZipWriter:
    """Writes stored (uncompressed) records with their data aligned to 64 bytes, as torch's writer does."""

    def __init__(self, f, archive):
        self.zf = zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self.prefix = archive + "/"

    def write(self, name, chunks, size):
        zi = zipfile.ZipInfo(self.prefix + name, date_time=(1980, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_STORED
        zi.file_size = size
        fname = zi.filename.encode("utf-8")
        zip64 = size * 1.05 > zipfile.ZIP64_LIMIT
        pos = self.zf.fp.tell()
        pad = -(pos + 30 + len(fname) + 4 + (20 if zip64 else 0)) % _ALIGN
        zi.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
        with self.zf.open(zi, "w", force_zip64=zip64) as w:
            for c in chunks:
                w.write(c)

    def write_bytes(self, name, data):
        self.write(name, (data,), len(data))

    def close(self):
        self.zf.close()


def _chunks(b):
    for i in range(0, b.shape[0], _CHUNK):
        yield memoryview(b[i : i + _CHUNK])


def save(
    obj,
    f,
    pickle_module=pickle,
    pickle_protocol=DEFAULT_PROTOCOL,
    _use_new_zipfile_serialization=True,
    _disable_byteorder_record=False,
):
    """Matches `torch.save`: writes `obj` in PyTorch's format, readable by `torch.load` and `ember.load`.

    `pickle_module` is accepted for signature compatibility; the pickle is always written by ember's own pickler
    (it names torch's globals without importing torch).
    """
    state = _SaveState(legacy=not _use_new_zipfile_serialization)
    opened = None
    if _is_path(f):
        opened = f = open(f, "wb")  # noqa: SIM115
    try:
        if _use_new_zipfile_serialization:
            _save_zip(
                obj, f, _archive_name(opened.name if opened else f), pickle_protocol, state, _disable_byteorder_record
            )
        else:
            _save_legacy(obj, f, pickle_protocol, state)
    finally:
        if opened is not None:
            opened.close()


def _save_zip(obj, f, archive, protocol, state, no_byteorder):
    buf = io.BytesIO()
    _TorchPickler(buf, protocol, state).dump(obj)
    zw = _ZipWriter(f, archive)
    zw.write_bytes("data.pkl", buf.getvalue())
    zw.write_bytes(".format_version", b"1")
    zw.write_bytes(".storage_alignment", b"64")
    if not no_byteorder:
        zw.write_bytes("byteorder", b"little")
    for s in state.storages:
        b = s.host_bytes()
        zw.write("data/" + s.key, _chunks(b), b.shape[0])
    zw.write_bytes("version", b"3\n")
    zw.write_bytes(".data/serialization_id", str(uuid.uuid4().int).zfill(40)[:40].encode())
    zw.close()


def _save_legacy(obj, f, protocol, state):
    sys_info = {
        "protocol_version": PROTOCOL_VERSION,
        "little_endian": True,
        "type_sizes": {"short": 2, "int": 4, "long": 4},
    }
    pickle.dump(MAGIC_NUMBER, f, protocol=protocol)
    pickle.dump(PROTOCOL_VERSION, f, protocol=protocol)
    pickle.dump(sys_info, f, protocol=protocol)
    _TorchPickler(f, protocol, state).dump(obj)
    by_key = {s.key: s for s in state.storages}
    keys = sorted(by_key)
    pickle.dump(keys, f, protocol=protocol)
    for k in keys:
        s = by_key[k]
        f.write(struct.pack("<q", s.numel))
        for c in _chunks(s.host_bytes()):
            f.write(c)


# ----------------------------------------------------------------------------------------------------------------
# the allow-list
# ----------------------------------------------------------------------------------------------------------------
_user_safe_globals = {}


def _global_name(obj):
    return f"{getattr(obj, '__module__', None)}.{getattr(obj, '__qualname__', getattr(obj, '__name__', None))}"


def add_safe_globals(safe_globals):
    """Matches `torch.serialization.add_safe_globals`: objects (or `(obj, "module.name")` pairs) that
    `load(weights_only=True)` may resolve."""
    for item in safe_globals:
        if isinstance(item, tuple):
            obj, name = item
        else:
            obj, name = item, _global_name(item)
        _user_safe_globals[name] = obj


def get_safe_globals():
    """Matches `torch.serialization.get_safe_globals`."""
    return list(_user_safe_globals.values())


def clear_safe_globals():
    """Matches `torch.serialization.clear_safe_globals`."""
    _user_safe_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Matches `torch.serialization.safe_globals`: the globals are allowed inside the `with` block only."""
    saved = dict(_user_safe_globals)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _user_safe_globals.clear()
        _user_safe_globals.update(saved)


# ----------------------------------------------------------------------------------------------------------------
# loading
# ----------------------------------------------------------------------------------------------------------------
class _StorageType:
    """What `torch FloatStorage` (etc.) resolves to in a pickle: just the dtype."""

    __slots__ = ("dtype", "name")

    def __init__(self, name, dtype):
        self.name = name
        self.dtype = dtype

    def __repr__(self):
        return f"StorageType(dtype={self.dtype})"


_STORAGE_TYPES = {name: _StorageType(name, dt) for dt, name in _STORAGE_NAMES.items()}
_STORAGE_TYPES["UntypedStorage"] = _StorageType("UntypedStorage", D.uint8)


class UntypedStorage:
    """The storage `load` hands to a `map_location` callable: a flat array of the storage's elements."""

    __slots__ = ("_arr", "dtype", "_root", "__weakref__")

    def __init__(self, arr, dtype):
        self._arr = arr
        self.dtype = dtype
        self._root = None

    @property
    def device(self):
        return device_of(self._arr)

    @property
    def is_cuda(self):
        return type(self._arr) is not np.ndarray

    def nbytes(self):
        return self._arr.nbytes

    def size(self):
        return self._arr.shape[0]

    def __len__(self):
        return self._arr.shape[0]

    def element_size(self):
        return self.dtype.itemsize

    def data_ptr(self):
        return _ptr(self._arr)

    def to(self, device=None, non_blocking=False):
        dev = _Device(device) if device is not None else device_of(self._arr)
        if dev.type == "cuda" and not cuda_available():
            raise RuntimeError(_NO_CUDA)
        arr = to_device(self._arr, dev)
        return self if arr is self._arr else UntypedStorage(arr, self.dtype)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = _Device("cuda", device)
        return self.to(device)

    def __repr__(self):
        return f"ember.storage.UntypedStorage(dtype={self.dtype}, device={self.device}, size={self.size()})"


_NO_CUDA = (
    "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you are running "
    "on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to map your storages to "
    "the CPU."
)


def _restore_to(storage, location):
    loc = str(location)
    try:
        dev = _Device(loc)
    except (RuntimeError, TypeError):
        dev = None
    if dev is None or dev.type not in ("cpu", "cuda"):
        raise RuntimeError(
            f"don't know how to restore data location of torch.storage.UntypedStorage (tagged with {loc})"
        )
    if dev.type == "cuda" and not cuda_available():
        raise RuntimeError(_NO_CUDA)
    return storage.to(dev)


def _make_restore(map_location):
    if map_location is None:
        return _restore_to
    if isinstance(map_location, (str, bytes, _Device)):
        target = map_location.decode() if isinstance(map_location, bytes) else str(map_location)
        return lambda s, loc: _restore_to(s, target)
    if isinstance(map_location, dict):

        def restore(s, loc):
            return _restore_to(s, str(map_location.get(loc, loc)))

        return restore
    if callable(map_location):

        def restore(s, loc):
            r = map_location(s, loc)
            if r is None:
                return _restore_to(s, loc)
            if not isinstance(r, UntypedStorage):
                raise TypeError(f"map_location should return a storage or None, got {type(r).__name__}")
            return r

        return restore
    raise ValueError(f"map_location should be a str, a device, a dict or a callable, got {type(map_location)}")


def _bad(msg):
    raise pickle.UnpicklingError(f"Weights only load failed. {msg}")


def _check_geometry(storage, offset, size, stride):
    if type(offset) is not int or not isinstance(size, (tuple, list)) or not isinstance(stride, (tuple, list)):
        _bad("Tensor geometry must be an int offset and tuples of ints for size and stride.")
    if len(size) != len(stride):
        _bad(f"Tensor size {list(size)} and stride {list(stride)} have different lengths.")
    numel = 1
    last = offset
    for n, s in zip(size, stride):
        if type(n) is not int or type(s) is not int or n < 0 or s < 0:
            _bad(f"Invalid tensor size {list(size)} or stride {list(stride)}.")
        numel *= n
        last += (n - 1) * s
    if offset < 0:
        _bad(f"Invalid storage offset {offset}.")
    if numel and last >= storage._arr.shape[0]:
        _bad(
            f"Tensor with size {list(size)}, stride {list(stride)} and storage offset {offset} is out of bounds "
            f"for its storage of {storage._arr.shape[0]} elements."
        )
    return numel


def _is_contig(size, stride):
    acc = 1
    for n, s in zip(reversed(size), reversed(stride)):
        if n != 1 and s != acc:
            return False
        acc *= n
    return True


def _tensor_on(storage, offset, size, stride, requires_grad):
    """A tensor over `storage`; tensors on one storage are ember views of one root (they share memory)."""
    if not isinstance(storage, UntypedStorage):
        _bad(f"Expected a storage to rebuild a tensor from, got {type(storage).__name__}.")
    numel = _check_geometry(storage, offset, size, stride)
    arr = storage._arr
    xp = xp_of(arr)
    size = tuple(size)
    if numel == 0:
        t = make(xp.empty(size, dtype=arr.dtype))
    else:
        root = storage._root
        if root is None and not requires_grad and offset == 0 and numel == arr.shape[0] and _is_contig(size, stride):
            t = storage._root = make(arr.reshape(size))
        else:
            if root is None:
                root = storage._root = make(arr)
            isz = arr.itemsize
            start = arr[offset:]
            va = xp.lib.stride_tricks.as_strided(start, shape=size, strides=tuple(s * isz for s in stride))
            stride = tuple(stride)
            t = view_of(root, va, lambda b: as_strided(b, size, stride, offset))
    if requires_grad:
        if type(requires_grad) is not bool:
            _bad("requires_grad must be a bool.")
        t.requires_grad_(True)
    return t


def _set_state(obj, state):
    if not state:
        return
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    for part in (state, slots):
        if part:
            for k, v in part.items():
                if not isinstance(k, str) or k.startswith("__"):
                    _bad(f"Refusing to set attribute {k!r}.")
                try:
                    setattr(obj, k, v)
                except AttributeError:
                    warnings.warn(f"ember.load: cannot set attribute {k!r} on a {type(obj).__name__}", stacklevel=3)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    return _tensor_on(storage, storage_offset, size, stride, requires_grad)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    if not isinstance(storage, UntypedStorage) or not isinstance(dtype, D.dtype):
        _bad("Invalid arguments to _rebuild_tensor_v3.")
    if storage.dtype != dtype:
        raw = storage._arr.view(xp_of(storage._arr).uint8)
        n = raw.shape[0] // dtype.itemsize
        storage = UntypedStorage(raw[: n * dtype.itemsize].view(dtype.np), dtype)
    return _tensor_on(storage, storage_offset, size, stride, requires_grad)


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _tensor_on(storage, storage_offset, size, stride, False)


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    if not isinstance(data, Tensor):
        _bad(f"Parameter data must be a tensor, got {type(data).__name__}.")
    if type(requires_grad) is not bool:
        _bad("requires_grad must be a bool.")
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    p = _rebuild_parameter(data, requires_grad)
    _set_state(p, state)
    return p


def _rebuild_from_type_v2(func, new_type, args, state):
    if not isinstance(args, tuple):
        _bad("_rebuild_from_type_v2 expects a tuple of arguments.")
    ret = func(*args)
    if isinstance(new_type, type) and issubclass(new_type, Tensor) and type(ret) is not new_type:
        if new_type is Parameter:
            ret = Parameter(ret, ret._requires_grad)
        else:
            t = object.__new__(new_type)
            _init(t, ret._data)
            t._vc, t._base, t._x, t._requires_grad = ret._vc, ret._base, ret._x, ret._requires_grad
            ret = t
    setstate = getattr(type(ret), "__setstate__", None)
    if setstate is not None and state:
        ret.__setstate__(state)
    else:
        _set_state(ret, state)
    return ret


def _get_layout(name):
    if name != "torch.strided":
        _bad(f"Unsupported tensor layout {name!r}: ember has strided tensors only.")
    return "strided"


def _torch_globals():
    rc = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "torch.nn.parameter.Parameter": Parameter,
        "torch.serialization._get_layout": _get_layout,
        "torch.Size": Size,
        "torch.Tensor": Tensor,
        "torch.device": _Device,
        "_codecs.encode": _codecs.encode,
        "builtins.bytearray": bytearray,
        "builtins.set": set,
        "builtins.complex": complex,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch.storage.UntypedStorage": _STORAGE_TYPES["UntypedStorage"],
    }
    for dt in D.ALL:
        rc["torch." + dt.name] = dt
    for alias, dt in _DTYPE_ALIASES.items():
        rc["torch." + alias] = dt
    for name, st in _STORAGE_TYPES.items():
        rc["torch." + name] = st
    return rc


_TORCH_GLOBALS = _torch_globals()
# ember's own spellings of the same objects (pickles ember wrote with weights_only=False paths)
_TORCH_GLOBALS.update({_global_name(o): o for o in (Parameter, Size, Tensor, _Device) if _global_name(o)})


def _unsupported(module, name):
    full = f"{module}.{name}"
    short = name.rsplit(".", 1)[-1]
    return pickle.UnpicklingError(
        "Weights only load failed. In PyTorch 2.6, the default value of the `weights_only` argument in `torch.load` "
        "changed from `False` to `True`; ember.load follows it. Re-running `ember.load` with `weights_only` set to "
        "`False` will likely succeed, but it can result in arbitrary code execution. Do it only if you got the file "
        f"from a trusted source.\nWeightsUnpickler error: Unsupported global: GLOBAL {full} was not an allowed "
        f"global by default. Please use `ember.serialization.add_safe_globals([{short}])` or the "
        f"`ember.serialization.safe_globals([{short}])` context manager to allowlist this global if you trust this "
        "class/function."
    )


_BUILD_OK = (dict, Tensor)


def _fix_names(unpickler, module, name):
    """Python 2 names in protocol < 3 pickles (`__builtin__.complex`), mapped as pickle's fix_imports does."""
    if getattr(unpickler, "fix_imports", True):
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
    return module, name


class _WeightsUnpickler(pickle._Unpickler):
    """Resolves only allow-listed globals; BUILD only on dicts, tensors and allow-listed classes' instances."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, persistent_load, **kwargs):
        super().__init__(file, **kwargs)
        self._pload = persistent_load

    def persistent_load(self, pid):
        if self._pload is None:
            raise pickle.UnpicklingError("Weights only load failed. Unexpected persistent id in this pickle.")
        return self._pload(pid)

    def find_class(self, module, name):
        module, name = _fix_names(self, module, name)
        full = f"{module}.{name}"
        obj = _TORCH_GLOBALS.get(full)
        if obj is None:
            obj = _user_safe_globals.get(full)
        if obj is None:
            raise _unsupported(module, name)
        return obj

    def _load_build(self):
        inst = self.stack[-2]
        allowed = tuple(o for o in _user_safe_globals.values() if isinstance(o, type))
        if isinstance(inst, type) or not (isinstance(inst, _BUILD_OK) or (allowed and isinstance(inst, allowed))):
            raise pickle.UnpicklingError(
                f"Weights only load failed. Can only build Tensor, Parameter, OrderedDict or types allowlisted via "
                f"`add_safe_globals`, but got {type(inst)}"
            )
        if not isinstance(inst, _BUILD_OK) and getattr(type(inst), "__setstate__", None) is not None:
            return pickle._Unpickler.load_build(self)  # an allow-listed class with its own __setstate__
        state = self.stack[-1]
        parts = state if isinstance(state, tuple) and len(state) == 2 else (state,)
        for part in parts:
            if part is None:
                continue
            if not isinstance(part, dict):
                raise pickle.UnpicklingError(f"Weights only load failed. Unsupported BUILD state {type(part)}")
            for k in part:
                if not isinstance(k, str) or k.startswith("__") or (isinstance(inst, Tensor) and k.startswith("_")):
                    raise pickle.UnpicklingError(f"Weights only load failed. Refusing to set attribute {k!r}")
        return pickle._Unpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = _load_build


class _FullUnpickler(pickle.Unpickler):
    """weights_only=False: torch's names map to ember's, everything else imports as usual (trusted files only)."""

    def __init__(self, file, persistent_load, **kwargs):
        super().__init__(file, **kwargs)
        self._pload = persistent_load

    def persistent_load(self, pid):
        return self._pload(pid)

    def find_class(self, module, name):
        module, name = _fix_names(self, module, name)
        full = f"{module}.{name}"
        obj = _TORCH_GLOBALS.get(full)
        if obj is not None:
            return obj
        if module == "torch" or module.startswith("torch."):
            import importlib  # noqa: PLC0415

            try:
                mod = importlib.import_module("ember" + module[5:])
                for part in name.split("."):
                    mod = getattr(mod, part)
                return mod
            except (ImportError, AttributeError):
                raise pickle.UnpicklingError(f"ember.load: ember has no equivalent of {full}") from None
        return super().find_class(module, name)


def _decode(x):
    return x.decode("ascii") if isinstance(x, bytes) else x


class _Loader:
    """Turns persistent ids into storages for one load."""

    def __init__(self, restore, read_record, swap=False):
        self.restore = restore
        self.swap = swap  # a big-endian file: swap each storage's bytes (on the host) before restoring
        self.read_record = read_record  # key -> uint8 host array of the record's bytes, or None
        self.raw = {}
        self.typed = {}

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) not in (5, 6) or _decode(pid[0]) != "storage":
            _bad(f"Unsupported persistent id {pid!r}.")
        stype, key, location, numel = pid[1], _decode(pid[2]), _decode(pid[3]), pid[4]
        if not isinstance(stype, _StorageType):
            _bad(f"Unsupported storage type {stype!r}.")
        if not isinstance(key, str) or not isinstance(location, str) or type(numel) is not int or numel < 0:
            _bad(f"Invalid storage id {pid!r}.")
        dtype = stype.dtype
        got = self.typed.get((key, dtype))
        if got is not None:
            return got
        raw = self.raw.get(key)
        if raw is None:
            raw = self.raw[key] = self.read_record(key)
        nbytes = numel * dtype.itemsize
        if raw.shape[0] < nbytes:
            _bad(f"Storage {key!r} holds {raw.shape[0]} bytes, {nbytes} expected.")
        arr = raw[:nbytes].view(dtype.np)
        if self.swap and dtype.itemsize > 1:
            arr = arr.byteswap()
        storage = self.restore(UntypedStorage(arr, dtype), location)
        self.typed[(key, dtype)] = storage
        return storage


def _open_read(f):
    if _is_path(f):
        return open(f, "rb"), True  # noqa: SIM115
    if not hasattr(f, "read") or not hasattr(f, "seek"):
        raise AttributeError(f"ember.load expects a path or a seekable file-like object, got {type(f).__name__}")
    return f, False


def _read_exact(f, offset, n):
    f.seek(offset)
    buf = np.empty(n, dtype=np.uint8)
    if hasattr(f, "readinto"):
        got = f.readinto(memoryview(buf))
    else:
        data = f.read(n)
        got = len(data)
        buf[:got] = np.frombuffer(data, dtype=np.uint8)
    if got != n:
        raise RuntimeError(f"ember.load: file ended early (wanted {n} bytes at offset {offset}, got {got})")
    return buf


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Matches `torch.load`: reads files written by `torch.save` or `ember.save` (zip or legacy format).

    `weights_only` defaults to True (torch 2.6+): only tensors, containers, primitive types and allow-listed
    globals load; anything else raises `pickle.UnpicklingError` without running.
    """
    if weights_only is None:
        weights_only = pickle_module is None and os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0") in ("0", "")
    if weights_only and pickle_module is not None:
        raise RuntimeError(
            "Can not safely load weights when explicit pickle_module is specified. Set weights_only to False "
            "only if you trust the file."
        )
    if "encoding" not in pickle_load_args:
        pickle_load_args["encoding"] = "utf-8"
    restore = _make_restore(map_location)
    fh, opened = _open_read(f)
    try:
        start = fh.tell()
        head = fh.read(4)
        fh.seek(start)
        if head == b"PK\x03\x04":
            mm = None
            if mmap:
                if not opened:
                    raise ValueError("f must be a file path in order to use the mmap argument")
                mm = np.memmap(fh, dtype=np.uint8, mode="c")
            return _load_zip(fh, mm, restore, weights_only, pickle_load_args)
        if mmap:
            raise RuntimeError(
                "mmap can only be used with files saved with `torch.save(_use_new_zipfile_serialization=True), "
                "please torch.save your checkpoint with this option in order to use mmap."
            )
        return _load_legacy(fh, restore, weights_only, pickle_load_args)
    finally:
        if opened:
            fh.close()


def _unpickler(fh, pload, weights_only, pickle_load_args):
    cls = _WeightsUnpickler if weights_only else _FullUnpickler
    return cls(fh, pload, **pickle_load_args)


def _load_zip(fh, mm, restore, weights_only, pickle_load_args):
    zf = zipfile.ZipFile(fh)
    names = zf.namelist()
    if not names or "/" not in names[0]:
        raise RuntimeError("ember.load: not a PyTorch zip checkpoint (no archive folder)")
    prefix = names[0].split("/", 1)[0] + "/"
    infos = {i.filename: i for i in zf.infolist()}
    if prefix + "data.pkl" not in infos:
        raise RuntimeError(f"ember.load: PytorchStreamReader failed locating file data.pkl in {prefix[:-1]!r}")
    order = infos.get(prefix + "byteorder")
    swap = order is not None and zf.read(order).strip() == b"big"

    def read_record(key):
        info = infos.get(prefix + "data/" + key)
        if info is None:
            _bad(f"Storage record data/{key} is missing from the archive.")
        if info.compress_type != zipfile.ZIP_STORED:
            return np.frombuffer(bytearray(zf.read(info)), dtype=np.uint8)
        fh.seek(info.header_offset)
        hdr = fh.read(30)
        if len(hdr) != 30 or hdr[:4] != b"PK\x03\x04":
            raise RuntimeError("ember.load: corrupt zip record header")
        fnl, exl = struct.unpack("<HH", hdr[26:30])
        off = info.header_offset + 30 + fnl + exl
        if mm is not None:
            return mm[off : off + info.file_size].view(np.ndarray)
        return _read_exact(fh, off, info.file_size)

    pload = _Loader(restore, read_record, swap).persistent_load
    data = io.BytesIO(zf.read(prefix + "data.pkl"))
    return _unpickler(data, pload, weights_only, pickle_load_args).load()


def _load_legacy(fh, restore, weights_only, pickle_load_args):
    def small():
        return _WeightsUnpickler(fh, None, **pickle_load_args).load()

    try:
        magic = small()
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError) as e:
        raise pickle.UnpicklingError(f"ember.load: not a PyTorch checkpoint ({e})") from None
    if magic != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    proto = small()
    if proto != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {proto}")
    small()  # sys_info
    pickle_start = fh.tell()

    # pass 1: storages as host placeholders, filled from the records that follow the pickle
    host = {}

    def pload_host(pid):
        if not isinstance(pid, tuple) or len(pid) != 6 or _decode(pid[0]) != "storage":
            if isinstance(pid, tuple) and len(pid) == 4 and _decode(pid[0]) == "module" and not weights_only:
                return pid[1]
            _bad(f"Unsupported persistent id {pid!r}.")
        stype, key, location, numel, view = pid[1], _decode(pid[2]), _decode(pid[3]), pid[4], pid[5]
        if not isinstance(stype, _StorageType) or not isinstance(key, str) or type(numel) is not int or numel < 0:
            _bad(f"Invalid storage id {pid!r}.")
        if not isinstance(location, str):
            _bad(f"Invalid storage location {location!r}.")
        entry = host.get(key)
        if entry is None:
            entry = host[key] = [UntypedStorage(np.empty(numel, dtype=stype.dtype.np), stype.dtype), location, {}]
        s = entry[0]
        if view is not None:
            if not (isinstance(view, tuple) and len(view) == 3):
                _bad(f"Invalid storage view {view!r}.")
            vkey, voff, vsize = _decode(view[0]), view[1], view[2]
            if type(voff) is not int or type(vsize) is not int or voff < 0 or vsize < 0:
                _bad(f"Invalid storage view {view!r}.")
            if voff + vsize > s._arr.shape[0]:
                _bad(f"Storage view {view!r} is out of bounds.")
            v = entry[2].get(vkey)
            if v is None:
                v = entry[2][vkey] = UntypedStorage(s._arr[voff : voff + vsize], s.dtype)
            return v
        return s

    result = _unpickler(fh, pload_host, weights_only, pickle_load_args).load()
    keys = small()
    if not isinstance(keys, list):
        _bad("Invalid storage key list.")
    for k in keys:
        k = _decode(k)
        entry = host.get(k)
        if entry is None:
            _bad(f"Storage key {k!r} is not used by the pickle.")
        arr = entry[0]._arr
        (n,) = struct.unpack("<q", fh.read(8))
        if n != arr.shape[0]:
            _bad(f"Storage {k!r} has {n} elements in the file, {arr.shape[0]} in the pickle.")
        arr.view(np.uint8)[:] = _read_exact(fh, fh.tell(), arr.nbytes)
    # restore locations; a second pass over the pickle when any storage moved off the host
    restored = {k: restore(e[0], e[1]) for k, e in host.items()}
    if all(restored[k] is host[k][0] for k in host):
        return result
    end = fh.tell()
    fh.seek(pickle_start)

    def pload_dev(pid):
        key, view = _decode(pid[2]), pid[5]
        s = restored[key]
        if view is not None:
            vkey = _decode(view[0])
            v = host[key][2].get(("dev", vkey))
            if v is None:
                v = host[key][2][("dev", vkey)] = UntypedStorage(s._arr[view[1] : view[1] + view[2]], s.dtype)
            return v
        return s

    result = _unpickler(fh, pload_dev, weights_only, pickle_load_args).load()
    fh.seek(end)
    return result


def get_unsafe_globals_in_checkpoint(f):
    """Matches `torch.serialization.get_unsafe_globals_in_checkpoint`: the globals in the checkpoint's pickle
    that `load(weights_only=True)` would refuse."""
    import pickletools  # noqa: PLC0415

    fh, opened = _open_read(f)
    try:
        start = fh.tell()
        head = fh.read(4)
        fh.seek(start)
        if head == b"PK\x03\x04":
            zf = zipfile.ZipFile(fh)
            name = next(n for n in zf.namelist() if n.endswith("/data.pkl"))
            streams = [io.BytesIO(zf.read(name))]
        else:
            streams = [fh] * 5
        found = set()
        for s in streams:
            strings = []
            try:
                for op, arg, _ in pickletools.genops(s):
                    if op.name in ("GLOBAL", "INST"):
                        found.add(arg.replace(" ", "."))
                    elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                        found.add(f"{strings[-2]}.{strings[-1]}")
                    if isinstance(arg, str):
                        strings.append(arg)
            except Exception:  # noqa: BLE001 - the storage bytes of legacy files are not a pickle
                break
        return sorted(g for g in found if g not in _TORCH_GLOBALS and g not in _user_safe_globals)
    finally:
        if opened:
            fh.close()
