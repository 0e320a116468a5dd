"""The safetensors format (matches `safetensors.torch`): save_file / load_file / save / load / safe_open.

A file is an 8-byte little-endian header length N, N bytes of JSON (`{"name": {"dtype": "F32", "shape": [...],
"data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}`, padded with spaces to 8 bytes), then the data,
offsets relative to its start. Tensors are written contiguously (non-contiguous ones are copied), little-endian.
"""

import json
import os
import struct

import numpy as np

from .. import _dtype as D
from .._device import device as _Device
from .._tensor import make

__all__ = ["save_file", "load_file", "save", "load", "safe_open", "SafetensorError"]

_CODES = {
    D.bool: "BOOL",
    D.uint8: "U8",
    D.int8: "I8",
    D.int16: "I16",
    D.int32: "I32",
    D.int64: "I64",
    D.float16: "F16",
    D.bfloat16: "BF16",
    D.float32: "F32",
    D.float64: "F64",
    D.complex64: "C64",
}
_FROM_CODE = {v: k for k, v in _CODES.items()}
_MAX_HEADER = 100_000_000


class SafetensorError(Exception):
    """Matches `safetensors.SafetensorError`."""


def _host_bytes(t):
    a = t._data
    if type(a) is not np.ndarray:
        a = a.get()
    a = np.ascontiguousarray(a)
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("<"))
    return a.reshape(-1).view(np.uint8)


def _serialize(tensors, metadata):
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            raise ValueError("metadata must be a dict of [str, str]")
    items = []
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise ValueError(f"Key `{name}` is invalid, expected str")
        dtype = D.FROM_NP[t._data.dtype]
        code = _CODES.get(dtype)
        if code is None:
            raise ValueError(f"safetensors has no dtype code for {dtype}")
        items.append((name, t, dtype, code))
    # larger element sizes first keeps every tensor aligned to its element size; then by name (as safetensors does)
    items.sort(key=lambda x: (-x[2].itemsize, x[0]))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    blobs, off = [], 0
    for name, t, _dtype, code in items:
        b = _host_bytes(t)
        header[name] = {"dtype": code, "shape": list(t._data.shape), "data_offsets": [off, off + b.shape[0]]}
        blobs.append(b)
        off += b.shape[0]
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h, blobs


def save(tensors, metadata=None):
    """Matches `safetensors.torch.save`: the file's bytes."""
    head, blobs = _serialize(tensors, metadata)
    return head + b"".join(b.tobytes() for b in blobs)


def save_file(tensors, filename, metadata=None):
    """Matches `safetensors.torch.save_file`."""
    head, blobs = _serialize(tensors, metadata)
    with open(filename, "wb") as f:
        f.write(head)
        for b in blobs:
            f.write(memoryview(b))


def _parse_header(head_len_bytes, read_header, total):
    if len(head_len_bytes) != 8:
        raise SafetensorError("Error while deserializing header: HeaderTooSmall")
    (n,) = struct.unpack("<Q", head_len_bytes)
    if n > _MAX_HEADER:
        raise SafetensorError("Error while deserializing header: HeaderTooLarge")
    if 8 + n > total:
        raise SafetensorError("Error while deserializing header: InvalidHeaderLength")
    raw = read_header(n)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorError(f"Error while deserializing header: InvalidHeaderDeserialization ({e})") from None
    if not isinstance(header, dict):
        raise SafetensorError("Error while deserializing header: InvalidHeaderDeserialization")
    metadata = header.pop("__metadata__", None)
    data_len = total - 8 - n
    entries = {}
    spans = []
    for name, info in header.items():
        try:
            dtype = _FROM_CODE[info["dtype"]]
            shape = tuple(int(s) for s in info["shape"])
            begin, end = (int(x) for x in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise SafetensorError(f"Error while deserializing header: invalid entry for tensor {name!r}") from None
        numel = 1
        for s in shape:
            if s < 0:
                raise SafetensorError(f"Error while deserializing header: invalid shape for tensor {name!r}")
            numel *= s
        if begin < 0 or end < begin or end > data_len or end - begin != numel * dtype.itemsize:
            raise SafetensorError(f"Error while deserializing header: InvalidOffset({name!r})")
        entries[name] = (dtype, shape, begin, end)
        spans.append((begin, end))
    spans.sort()
    pos = 0
    for b, e in spans:
        if b != pos:
            raise SafetensorError("Error while deserializing header: InvalidOffset (data is not contiguous)")
        pos = e
    if pos != data_len:
        raise SafetensorError("Error while deserializing header: MetadataIncompleteBuffer")
    return 8 + n, entries, metadata


def _to_device(arr, device):
    if device is None or str(device) == "cpu":
        return make(arr)
    from .._backend import to_device  # noqa: PLC0415 - only for non-cpu loads

    return make(to_device(arr, _Device(device) if not isinstance(device, int) else _Device("cuda", device)))


def load(data, device="cpu"):
    """Matches `safetensors.torch.load`: tensors from the file's bytes."""
    data = bytes(data)
    start, entries, _ = _parse_header(data[:8], lambda n: data[8 : 8 + n], len(data))
    out = {}
    for name, (dtype, shape, b, e) in entries.items():
        arr = np.frombuffer(data, dtype=dtype.np, count=(e - b) // dtype.itemsize, offset=start + b).reshape(shape)
        out[name] = _to_device(arr.copy(), device)
    return out


class safe_open:  # noqa: N801 - the name safetensors uses
    """Matches `safetensors.safe_open(filename, framework="pt", device="cpu")`: lazy access to one file."""

    def __init__(self, filename, framework="pt", device="cpu"):
        if framework not in ("pt", "pytorch", "torch", "numpy", "np"):
            raise SafetensorError(f"framework {framework!r} is not supported; use 'pt'")
        self._framework = framework
        self._device = device
        self._f = open(filename, "rb")  # noqa: SIM115
        total = os.fstat(self._f.fileno()).st_size
        try:
            self._start, self._entries, self._metadata = _parse_header(self._f.read(8), self._f.read, total)
        except Exception:
            self._f.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._f.close()

    def keys(self):
        return sorted(self._entries)

    def offset_keys(self):
        return sorted(self._entries, key=lambda k: self._entries[k][2])

    def metadata(self):
        return self._metadata

    def _array(self, name):
        if name not in self._entries:
            raise SafetensorError(f"File does not contain tensor {name}")
        dtype, shape, b, e = self._entries[name]
        arr = np.empty(shape, dtype=dtype.np)
        self._f.seek(self._start + b)
        if e > b:
            got = self._f.readinto(memoryview(arr.reshape(-1).view(np.uint8)))
            if got != e - b:
                raise SafetensorError(f"File ended early while reading tensor {name}")
        return arr

    def get_tensor(self, name):
        arr = self._array(name)
        if self._framework in ("numpy", "np"):
            return arr
        return _to_device(arr, self._device)


def load_file(filename, device="cpu"):
    """Matches `safetensors.torch.load_file`."""
    with safe_open(filename, framework="pt", device=device) as f:
        return {k: f.get_tensor(k) for k in f.offset_keys()}
