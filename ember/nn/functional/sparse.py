"""embedding, embedding_bag, one_hot."""

import numpy as np

import ember

from ..._backend import xp_of
from ..._ops._core import GRAD, Node, attach, check_same_device, make
from ..._ops.indexing import _ufunc_at
from ..._tensor import _vc_of
from ...cuda import _fused

__all__ = ["embedding", "embedding_bag", "one_hot"]

_INDEX_KINDS = ("int64", "int32")


def _check_indices(t, opname):
    if t._data.dtype.name not in _INDEX_KINDS:
        raise RuntimeError(
            f"Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but "
            f"got ember.{_tensor_type(t)} instead (while checking arguments for {opname})"
        )


def _tensor_type(t):
    names = {
        "float32": "FloatTensor",
        "float64": "DoubleTensor",
        "float16": "HalfTensor",
        "bool": "BoolTensor",
        "uint8": "ByteTensor",
        "int8": "CharTensor",
        "int16": "ShortTensor",
        "bfloat16": "BFloat16Tensor",
    }
    return names.get(t._data.dtype.name, "Tensor")


def _norm_padding_idx(padding_idx, num):
    if padding_idx is None:
        return -1
    if padding_idx > 0:
        if padding_idx >= num:
            raise AssertionError("Padding_idx must be within num_embeddings")
    elif padding_idx < 0:
        if padding_idx < -num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = num + padding_idx
    return padding_idx


def _renorm_(weight, idx, max_norm, norm_type):
    """torch.embedding_renorm_: rows of `weight` used by `idx` with norm > max_norm are scaled down in place."""
    w = weight._data
    rows = np.unique(idx)
    sub = w[rows]
    if norm_type == float("inf"):
        norms = np.abs(sub).max(axis=1)
    else:
        norms = (np.abs(sub) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[rows[big]] = sub[big] * scale[:, None]
        _vc_of(weight).v += 1


def _rows_at(uf, r, rows, v):
    """`uf.at(r, rows, v)` for a 2-D `r`, row indices `rows` and `v` of shape (len(rows), r.shape[1]); on
    CuPy through _ufunc_at with full coordinates (its exact path for ufunc/dtype pairs CuPy lacks)."""
    if type(r) is np.ndarray:
        uf.at(r, rows, v)
        return
    xp = xp_of(r)
    _ufunc_at(uf, r, (rows[:, None], xp.arange(r.shape[1])[None, :]), v)


def _index_add_rows(flat, g2, num):
    """zeros((num, D)) with row g2[i] added at row flat[i]: sort the indices once, then one segmented
    sum (np.add.reduceat) over the gathered rows (np.add.at is one slow scalar update per element).
    On CuPy: its add.at (CuPy's add.reduceat is a difference of cumulative sums, which loses precision)."""
    if type(flat) is not np.ndarray:
        out = xp_of(g2).zeros((num, g2.shape[1]), dtype=g2.dtype)
        if flat.size and g2.shape[1]:
            _rows_at(np.add, out, flat, g2)
        return out
    out = np.zeros((num, g2.shape[1]), dtype=g2.dtype)
    if flat.size == 0 or g2.shape[1] == 0:
        return out
    order = np.argsort(flat, kind="stable")
    sf = flat[order]
    first = np.empty(sf.shape[0], dtype=bool)
    first[0] = True
    np.not_equal(sf[1:], sf[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    rows = g2[order]
    out[sf[starts]] = rows if starts.shape[0] == sf.shape[0] else np.add.reduceat(rows, starts, axis=0)
    return out


class EmbeddingBackward0(Node):
    def backward(self, g):
        idx, num = self.idx, self.num
        gd = g._data
        D = gd.shape[-1]
        flat = idx.reshape(-1)
        if GRAD.enabled:
            g2 = g.reshape(-1, D)
            scale = self._scale(flat, gd.dtype)
            if scale is not None:
                g2 = g2 * make(scale[:, None])
            return ember.zeros((num, D), dtype=g.dtype, device=g.device).index_add(0, make(flat), g2)
        g2 = gd.reshape(-1, D)
        scale = self._scale(flat, gd.dtype)
        if scale is not None:
            g2 = g2 * scale[:, None]
        if _fused.usable(g2) and flat.dtype == np.int64:
            xp = xp_of(g2)
            return make(_fused.embedding_bwd(xp.ascontiguousarray(g2), xp.ascontiguousarray(flat), num))
        return make(_index_add_rows(flat, g2, num))

    def _scale(self, flat, dt):
        scale = None
        if self.freq:
            counts = np.bincount(flat, minlength=self.num)
            scale = (1.0 / counts[flat]).astype(dt)
        if self.pad >= 0:
            keep = (flat != self.pad).astype(dt)
            scale = keep if scale is None else scale * keep
        return scale


def _out_of_range(idx, num):
    """Whether an index lies outside [0, num): on CuPy one read back from the device, not one per bound."""
    if type(idx) is np.ndarray:
        return idx.min() < 0 or idx.max() >= num
    return bool((idx.min() < 0) | (idx.max() >= num))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """Matches `torch.nn.functional.embedding` (gradients are always dense)."""
    num = weight._data.shape[0]
    padding_idx = _norm_padding_idx(padding_idx, num)
    _check_indices(input, "embedding")
    idx = input._data
    if type(idx) is not type(weight._data):
        check_same_device("embedding", weight, input)
    wd = weight._data
    if max_norm is None and _fused.usable(wd) and wd.flags.c_contiguous and idx.dtype == np.int64:
        # CuPy: the gather and the bounds check in one kernel, one device read
        rows, bad = _fused.embedding_fwd(wd, xp_of(idx).ascontiguousarray(idx))
        if bad:
            raise IndexError("index out of range in self")
        out = make(rows)
    else:
        if idx.size and _out_of_range(idx, num):
            raise IndexError("index out of range in self")
        if max_norm is not None:
            _renorm_(weight, idx, max_norm, norm_type)
        out = make(weight._data[idx])
    if GRAD.enabled and weight._requires_grad:
        node = EmbeddingBackward0()
        node.idx, node.num, node.pad, node.freq = idx, num, padding_idx, bool(scale_grad_by_freq)
        attach(out, node, (weight,))
    return out


def one_hot(tensor, num_classes=-1):
    """Matches `torch.nn.functional.one_hot`."""
    if tensor._data.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    d = tensor._data
    if num_classes == -1:
        if d.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(d.max()) + 1
    if d.size:
        if d.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if d.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    xp = xp_of(d)
    out = xp.zeros(d.shape + (num_classes,), dtype=np.int64)
    xp.put_along_axis(out, d[..., None], 1, axis=-1)
    return make(out)


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """Matches `torch.nn.functional.embedding_bag` (bags reduced by ember ops, so gradients are exact)."""
    if weight.dtype == ember.long and input.dtype.is_floating_point:
        input, weight = weight, input  # torch's backward-compatible argument order
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not None, then it must "
            f"have the same shape as the input ({tuple(input.shape)})"
        )
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length "
                f"sequences. However, found offsets of type {type(offsets)}"
            )
        B, L = input.shape
        starts = xp_of(input._data).arange(0, B * L, L, dtype=np.int64)
        flat_in = input.reshape(-1)
        psw = per_sample_weights.reshape(-1) if per_sample_weights is not None else None
        ends = starts + L
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        flat_in = input
        psw = per_sample_weights
        off = offsets._data.astype(np.int64)
        n = input.shape[0]
        if include_last_offset:
            starts, ends = off[:-1], off[1:]
        else:
            starts = off
            ends = xp_of(off).concatenate([off[1:], xp_of(off).full(1, n, dtype=np.int64)])
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if max_norm is not None:
        _renorm_(weight, flat_in._data, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' "
            f"(got mode='{mode}'). Please open a feature request on GitHub."
        )
    num = weight.shape[0]
    pad = _norm_padding_idx(padding_idx, num)
    idx = flat_in._data
    n = idx.shape[0]
    B = len(starts)
    D = weight.shape[1]
    xp = xp_of(idx)
    # bag[i], pos[i]: the bag and the input position of the i-th bagged element (bags in order)
    lengths = xp.maximum(ends - starts, 0)
    cum = xp.cumsum(lengths)
    total = int(cum[-1]) if B else 0
    ar = xp.arange(total, dtype=np.int64)
    bag = xp.searchsorted(cum, ar, side="right")
    pos = ar + (starts - (cum - lengths))[bag]
    if total != n or (n and not bool(xp.array_equal(pos, ar))):
        keep_pos = pos
    else:
        keep_pos = None
    sel = idx if keep_pos is None else idx[keep_pos]
    valid = sel != pad if pad >= 0 else None
    rows = embedding(make(sel), weight, scale_grad_by_freq=scale_grad_by_freq)
    if mode in ("sum", "mean"):
        if psw is not None:
            p = psw if keep_pos is None else psw[make(keep_pos)]
            rows = rows * p.unsqueeze(1)
        if valid is not None:
            rows = rows * make(valid.astype(weight._data.dtype)[:, None])
        out = ember.zeros((B, D), dtype=weight.dtype, device=weight.device).index_add(0, make(bag), rows)
        if mode == "mean":
            w = None if valid is None else valid.astype(np.float64)
            cnt = xp.bincount(bag, weights=w, minlength=B).astype(weight._data.dtype)
            out = out / make(xp.maximum(cnt, 1)[:, None])
        return out
    # max
    rd = rows._data
    m = len(rd)
    ok = xp.ones(m, bool) if valid is None else valid
    cand = xp.where(ok[:, None], rd, rd.dtype.type(-np.inf))
    order = xp.arange(m, dtype=np.int64)
    best = xp.full((B, D), -np.inf, dtype=rd.dtype)
    _rows_at(np.maximum, best, bag, cand)
    hit = (cand == best[bag]) & ok[:, None]
    argpos = xp.full((B, D), m, dtype=np.int64)
    _rows_at(np.minimum, argpos, bag, xp.where(hit, order[:, None], m))
    empty = argpos >= m
    pad_row = ember.zeros((1, D), dtype=weight.dtype, device=weight.device)
    return ember.cat([rows, pad_row], 0).gather(0, make(xp.where(empty, m, argpos)))
