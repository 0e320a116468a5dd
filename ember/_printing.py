"""repr/str of tensors, formatted exactly as torch formats them (torch/_tensor_str.py), and the
print options (`set_printoptions`, `get_printoptions`, `printoptions`).

Formatting works on a NumPy copy of the tensor's data (CuPy data is fetched first): the element
strings come from Python's float formatting of the exact values, as in torch.
"""

import contextlib
import dataclasses
import math

import numpy as np

from . import _dtype as D

__all__ = ["set_printoptions", "get_printoptions", "printoptions", "tensor_repr"]


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool = None


PRINT_OPTS = _PrinterOptions()

_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Matches `torch.set_printoptions`."""
    if profile is not None and profile in _PROFILES:
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """Matches `torch.get_printoptions`: a dict that can be passed back to set_printoptions."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Matches `torch._tensor_str.printoptions`: print options changed inside the block only."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# -- element formatting ---------------------------------------------------------------------


class _Formatter:
    """Chooses int / fixed / scientific mode and the column width for the values of `a`."""

    def __init__(self, a, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        prec = PRINT_OPTS.precision
        flat = a.reshape(-1)
        if not floating:
            for v in set(flat.tolist()):
                self.max_width = max(self.max_width, len(f"{v}"))
            return
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return
        absd = np.abs(vals).astype(np.float64)
        vmin = float(absd.min())
        vmax = float(absd.max())
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = vmax / vmin > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        uniq = set(vals.astype(np.float64).tolist())
        if self.sci_mode:
            w = max(len(f"{v:.{prec}e}") for v in uniq)
        elif self.int_mode:
            w = max(len(f"{v:.0f}") for v in uniq) + 1
        else:
            w = max(len(f"{v:.{prec}f}") for v in uniq)
        self.max_width = max(self.max_width, w)

    def width(self):
        return self.max_width

    def format(self, value):
        if self.floating:
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{PRINT_OPTS.precision}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _complex_str(val, f1, f2):
    real_str = f1.format(val.real)
    imag_str = (f2.format(val.imag) + "j").lstrip()
    if imag_str[0] == "+" or imag_str[0] == "-":
        return real_str + imag_str
    return real_str + "+" + imag_str


def _val(val, f1, f2):
    return f1.format(val) if f2 is None else _complex_str(val, f1, f2)


def _vector_str(a, indent, summarize, f1, f2):
    element_length = f1.width() + 2
    if f2 is not None:
        element_length += f2.width() + 1
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = [_val(v, f1, f2) for v in a[:e].tolist()] + [" ..."] + [_val(v, f1, f2) for v in a[-e:].tolist()]
    else:
        data = [_val(v, f1, f2) for v in a.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _str_with_formatter(a, indent, summarize, f1, f2):
    dim = a.ndim
    if dim == 0:
        return _val(a.item(), f1, f2)
    if dim == 1:
        return _vector_str(a, indent, summarize, f1, f2)
    e = PRINT_OPTS.edgeitems
    n = a.shape[0]
    if summarize and n > 2 * e:
        slices = (
            [_str_with_formatter(a[i], indent + 1, summarize, f1, f2) for i in range(e)]
            + ["..."]
            + [_str_with_formatter(a[i], indent + 1, summarize, f1, f2) for i in range(n - e, n)]
        )
    else:
        slices = [_str_with_formatter(a[i], indent + 1, summarize, f1, f2) for i in range(n)]
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized(a):
    """The elements that the summarized print shows (the formatter sizes its columns on them)."""
    dim = a.ndim
    e = PRINT_OPTS.edgeitems
    if dim == 0:
        return a
    if dim == 1:
        if a.shape[0] > 2 * e:
            return np.concatenate((a[:e], a[-e:]))
        return a
    if not e:
        return np.empty([0] * dim, dtype=a.dtype)
    n = a.shape[0]
    idx = list(range(e)) + list(range(n - e, n)) if n > 2 * e else range(n)
    return np.stack([_summarized(a[i]) for i in idx])


def _host_array(t):
    a = t._data
    if type(a) is not np.ndarray:
        a = a.get()
    if a.dtype.kind == "V" or a.dtype == D.bfloat16.np:
        a = a.astype(np.float32)  # exact: bfloat16 values are float32 values
    return a


def tensor_str(a, indent):
    """The bracketed contents for array `a` (NumPy), as torch's `_tensor_str`."""
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    if a.dtype.kind == "c":
        re, im = a.real, a.imag
        f1 = _Formatter(_summarized(re) if summarize else re, True)
        f2 = _Formatter(_summarized(im) if summarize else im, True)
        return _str_with_formatter(a, indent, summarize, f1, f2)
    f = _Formatter(_summarized(a) if summarize else a, a.dtype.kind == "f")
    return _str_with_formatter(a, indent, summarize, f, None)


def _add_suffixes(s, suffixes, indent):
    parts = [s]
    last_line_len = len(s) - s.rfind("\n") + 1
    for suffix in suffixes:
        n = len(suffix)
        if last_line_len + n + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + n
        else:
            parts.append(", " + suffix)
            last_line_len += n + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t, *, tensor_contents=None):
    """torch's `Tensor.__repr__` text, with `ember.` where torch writes `torch.`."""
    from ._tensor import Tensor  # noqa: PLC0415 - _tensor imports this module lazily too

    cls = type(t)
    is_plain = cls is Tensor or cls.__name__ == "Parameter"
    prefix = "tensor(" if is_plain else f"{cls.__name__}("
    indent = len(prefix)
    suffixes = []
    dev = t.device
    if dev.type != "cpu":
        suffixes.append(f"device='{dev}'")
    dtype = t.dtype
    default = D.get_default_dtype()
    has_default_dtype = dtype in (default, D.default_complex(), D.int64, D.bool)
    if t._data.size == 0:
        if t._data.ndim != 1:
            suffixes.append("size=" + str(tuple(t._data.shape)))
        if dtype is not default:
            suffixes.append("dtype=" + str(dtype))
        body = "[]" if tensor_contents is None else tensor_contents
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(t._data.shape)))
        if not has_default_dtype:
            suffixes.append("dtype=" + str(dtype))
        body = tensor_str(_host_array(t), indent) if tensor_contents is None else tensor_contents
    try:
        fn = t.grad_fn
        name = type(fn).__name__ if fn is not None else None
    except RuntimeError:
        name = "Invalid"
    if name is not None:
        suffixes.append(f"grad_fn=<{name}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
