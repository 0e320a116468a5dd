"""dtypes, torch's type-promotion rules, finfo and iinfo."""

import builtins

import ml_dtypes
import numpy as np

__all__ = [
    "dtype",
    "promote_types",
    "result_type",
    "can_cast",
    "finfo",
    "iinfo",
    "get_default_dtype",
    "set_default_dtype",
]

# categories for promotion: bool < integer < floating < complex
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """Matches `torch.dtype`."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_complex", "is_signed", "_cat", "_tname")

    def __init__(self, name, np_dtype, cat, tname):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self._cat = cat
        self.is_floating_point = cat == _FLOAT
        self.is_complex = cat == _COMPLEX
        self.is_signed = name not in ("bool", "uint8")
        self._tname = tname  # legacy tensor type name, e.g. FloatTensor

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_real(self):
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self):
        return {"float64": complex128}.get(self.name, complex64) if self._cat >= _FLOAT else self


bool = dtype("bool", np.bool_, _BOOL, "BoolTensor")  # noqa: A001
uint8 = dtype("uint8", np.uint8, _INT, "ByteTensor")
int8 = dtype("int8", np.int8, _INT, "CharTensor")
int16 = dtype("int16", np.int16, _INT, "ShortTensor")
int32 = dtype("int32", np.int32, _INT, "IntTensor")
int64 = dtype("int64", np.int64, _INT, "LongTensor")
float16 = dtype("float16", np.float16, _FLOAT, "HalfTensor")
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, _FLOAT, "BFloat16Tensor")
float32 = dtype("float32", np.float32, _FLOAT, "FloatTensor")
float64 = dtype("float64", np.float64, _FLOAT, "DoubleTensor")
complex64 = dtype("complex64", np.complex64, _COMPLEX, "ComplexFloatTensor")
complex128 = dtype("complex128", np.complex128, _COMPLEX, "ComplexDoubleTensor")

# torch's aliases
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128

ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64, complex128)
_BY_NAME = {d.name: d for d in ALL}
# numpy dtype -> ember dtype; keyed by np.dtype so lookups from arr.dtype are one dict hit
FROM_NP = {d.np: d for d in ALL}


def _dtype_by_name(name):
    return _BY_NAME[name]


def from_np(np_dtype):
    """The ember dtype of a NumPy dtype (float64 stays float64; unsupported kinds raise TypeError)."""
    d = FROM_NP.get(np_dtype)
    if d is None:
        d = FROM_NP.get(np.dtype(np_dtype))
        if d is None:
            raise TypeError(
                f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
                "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool."
            )
    return d


def _promote2(a, b):
    if a is b:
        return a
    ca, cb = a._cat, b._cat
    if ca != cb:
        if ca < cb:
            a, b, ca, cb = b, a, cb, ca
        # a is the higher category
        if ca == _COMPLEX and cb == _FLOAT and b is float64:
            return complex128
        return a
    if ca == _INT:
        if a is uint8 or b is uint8:
            other = b if a is uint8 else a
            return int16 if other is int8 else other
        return a if a.itemsize >= b.itemsize else b
    if ca == _FLOAT:
        if a.itemsize == b.itemsize == 2:
            return float32
        return a if a.itemsize >= b.itemsize else b
    if ca == _COMPLEX:
        return a if a.itemsize >= b.itemsize else b
    return a


_PROMOTE = {(a, b): _promote2(a, b) for a in ALL for b in ALL}


def promote_types(type1, type2):
    """Matches `torch.promote_types`."""
    return _PROMOTE[(type1, type2)]


_state = {"default": float32}


def get_default_dtype():
    """Matches `torch.get_default_dtype`."""
    return _state["default"]


def set_default_dtype(d):
    """Matches `torch.set_default_dtype` (float32, float64, float16 or bfloat16)."""
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _state["default"] = d


def default_complex():
    return complex128 if _state["default"] is float64 else complex64


def scalar_dtype(s):
    """dtype torch gives a tensor made from the Python scalar `s`."""
    t = type(s)
    if t is builtins.bool or t is np.bool_:
        return bool
    if t is builtins.int:
        return int64
    if t is builtins.float:
        return _state["default"]
    if t is builtins.complex:
        return default_complex()
    if isinstance(s, np.generic):
        return from_np(s.dtype)
    raise TypeError(f"expected a number, got {t.__name__}")


def _scalar_cat(s):
    t = type(s)
    if t is builtins.bool or t is np.bool_:
        return _BOOL
    if t is builtins.int or isinstance(s, np.integer):
        return _INT
    if t is builtins.float or isinstance(s, np.floating):
        return _FLOAT
    if t is builtins.complex or isinstance(s, np.complexfloating):
        return _COMPLEX
    raise TypeError(f"result_type: expected a Tensor or a number, got {t.__name__}")


def promote_with_scalar_cat(result, cat):
    """Promote a tensor dtype `result` with a Python scalar of category `cat` (torch's weak scalars)."""
    if result is None:
        return (bool, int64, _state["default"], default_complex())[cat]
    if cat <= result._cat:
        return result
    if cat == _INT:
        return int64
    if cat == _FLOAT:
        return _state["default"]
    # complex scalar
    if result._cat == _FLOAT:
        return complex128 if result is float64 else complex64
    return default_complex()


def result_type_of(args):
    """torch's three-tier promotion over Tensors (dimensioned, 0-dim) and Python scalars."""
    dim = zero = None
    scat = -1
    for a in args:
        d = getattr(a, "_data", None)
        if d is not None:
            dt = FROM_NP[d.dtype]
            if d.ndim:
                dim = dt if dim is None else _PROMOTE[(dim, dt)]
            else:
                zero = dt if zero is None else _PROMOTE[(zero, dt)]
        elif a is not None:
            c = _scalar_cat(a)
            if c > scat:
                scat = c
    if dim is None:
        res = zero
    elif zero is not None and zero._cat > dim._cat:
        res = _PROMOTE[(dim, zero)]
    else:
        res = dim
    if scat >= 0:
        res = promote_with_scalar_cat(res, scat)
    return res


def result_type(tensor1, tensor2):
    """Matches `torch.result_type`."""
    return result_type_of((tensor1, tensor2))


def can_cast(from_, to):
    """Matches `torch.can_cast` (casting that does not lower the category)."""
    return from_._cat <= to._cat


class finfo:
    """Matches `torch.finfo`."""

    def __init__(self, type=None):  # noqa: A002
        type = type or _state["default"]
        if not (type.is_floating_point or type.is_complex):
            raise TypeError(f"finfo: expected a floating point or complex dtype, got {type}")
        real = type.to_real()
        fi = ml_dtypes.finfo(real.np) if real is bfloat16 else np.finfo(real.np)
        self.bits = fi.bits
        self.eps = builtins.float(fi.eps)
        self.max = builtins.float(fi.max)
        self.min = builtins.float(fi.min)
        self.tiny = self.smallest_normal = builtins.float(fi.smallest_normal)
        self.resolution = 10.0 ** -builtins.int(fi.precision)
        self.dtype = real.name

    def __repr__(self):
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:
    """Matches `torch.iinfo`."""

    def __init__(self, type):  # noqa: A002
        if type._cat != _INT and type is not bool:
            raise TypeError(f"iinfo: expected an integer dtype, got {type}")
        ii = np.iinfo(type.np) if type is not bool else None
        self.bits = type.itemsize * 8
        self.max = builtins.int(ii.max) if ii else 1
        self.min = builtins.int(ii.min) if ii else 0
        self.dtype = type.name

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
