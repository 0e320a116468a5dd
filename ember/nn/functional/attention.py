"""Attention: scaled_dot_product_attention (one fused graph node) and multi_head_attention_forward.

scaled_dot_product_attention computes scores, (safe) softmax, dropout and the weighted sum in NumPy
and records one node. Its backward uses NumPy when no graph is being built; under create_graph it
recomputes the probabilities with ember ops so that higher-order gradients are right.
"""

import math
import warnings

import numpy as np

import ember

from ... import _ops as O
from ..._autocast import AUTOCAST, autocast_call
from ..._backend import xp_of
from ..._ops._core import GRAD, Node, Tensor, attach, make
from ..._ops.blas import _matmul_arrays as _mm  # a CuPy product of matrices is one cuBLAS call
from ...cuda import _blas, _fused
from .activation import softmax as _softmax
from .dropout import dropout as _dropout
from .linear import _add_bias, bias_grad, linear
from .vision import pad as _pad

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_F32 = np.dtype(np.float32)


def _np_safe_softmax(s):
    """Softmax over the last dim; rows that are entirely -inf give 0 (torch's _safe_softmax)."""
    m = s.max(axis=-1, keepdims=True)
    dead = ~np.isfinite(m)
    if dead.any():
        m = np.where(dead, 0, m)
    e = np.exp(s - m)
    z = e.sum(axis=-1, keepdims=True)
    if dead.any():
        z = np.where(z == 0, 1, z)
    e /= z
    return e


_CAUSAL_CACHE = {}


def _causal_masks(L, S, dt, like):
    """(above, bias) for a causal (L, S) mask on the device of array `like`, cached per shape and device
    (read-only on the CPU): `above` is True where a query may not look (above the diagonal), `bias` the
    additive form (0 / -inf) for the create_graph path."""
    host = type(like) is np.ndarray
    key = (L, S, dt) if host else (L, S, dt, like.device.id)
    r = _CAUSAL_CACHE.get(key)
    if r is None:
        xp = np if host else xp_of(like)
        above = ~xp.tril(xp.ones((L, S), bool))
        bias = xp.where(above, dt.type(-np.inf), dt.type(0)).astype(dt)
        if host:
            above.flags.writeable = False
            bias.flags.writeable = False
        if len(_CAUSAL_CACHE) > 64:
            _CAUSAL_CACHE.clear()
        r = _CAUSAL_CACHE[key] = (above, bias)
    return r


def _device_row_max(s):
    """np.fmax.reduce(s, axis=-1, keepdims=True) on CuPy: the max over the last dim ignoring NaN (NaN only
    where a row is all NaN). CuPy's ufuncs reduce only add/multiply, and its nanmax synchronizes: the plain
    max, then nanmax only when that is not finite everywhere (some row has a NaN or an inf). Returns the
    max and whether it is finite everywhere."""
    xp = xp_of(s)
    m = s.max(axis=-1, keepdims=True)
    if bool(xp.isfinite(m).all()):  # the one synchronisation of the usual case
        return m, True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: NaN, as fmax.reduce gives
        m = xp.nanmax(s, axis=-1, keepdims=True)
    return m, bool(xp.isfinite(m).all())


def _fits(s, b):
    """Whether b broadcasts into s's shape (so that s can take the result in place)."""
    return b.ndim <= s.ndim and all(x == y or x == 1 for x, y in zip(b.shape, s.shape[s.ndim - b.ndim :]))


def _mask_out(s, masked, dt):
    """s with -inf where `masked` (a bool array), in place in the fresh score array when the shapes allow."""
    if _fits(s, masked):
        np.copyto(s, dt.type(-np.inf), where=masked)
        return s
    return np.where(masked, dt.type(-np.inf), s).astype(dt, copy=False)


def _like_layout(t, shape, dt):
    """An empty array of `shape` laid out as 4-D tensor `t` is: (B, T, H, D) memory seen as (B, H, T, D)
    when t's head stride is below its time stride (the view a fused qkv projection gives), else contiguous.
    torch's CPU flash attention follows the query's layout the same way."""
    empty = np.empty if type(t) is np.ndarray else xp_of(t).empty
    if len(shape) == 4 and t.ndim == 4 and t.strides[1] < t.strides[2] and shape[1] > 1 and shape[2] > 1:
        return empty((shape[0], shape[2], shape[1], shape[3]), dt).transpose(0, 2, 1, 3)
    return empty(shape, dt)


def _dense_like(t, shape, dt):
    """An empty array of `shape` (t's shape) with t's stride order, as torch's empty_like gives a gradient: the
    input's views then reshape its gradient without copies. Contiguous when t is not dense (broadcast)."""
    empty = np.empty if type(t) is np.ndarray else xp_of(t).empty
    if tuple(t.shape) != tuple(shape) or 0 in t.strides or t.flags.c_contiguous:
        return empty(shape, dt)
    order = sorted(range(t.ndim), key=lambda i: -t.strides[i])
    base = empty(tuple(shape[i] for i in order), dt)
    inv = [0] * t.ndim
    for k, i in enumerate(order):
        inv[i] = k
    return base.transpose(inv)


def _bmm_into(a, b, like, dt, grad=False, out=None):
    """a @ b written straight into an array laid out like `like` (see _like_layout; a gradient takes like's
    exact stride order), or into `out` when given."""
    if out is None:
        shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
        out = _dense_like(like, shape, dt) if grad else _like_layout(like, shape, dt)
    if type(a) is np.ndarray:
        np.matmul(a, b, out=out)
    elif _blas.bmm(a, b, out) is None:  # out's batch does not merge into one stride: compute, then copy in
        out[...] = _mm(a, b)
    return out


def _sdpa_backward_arrays(gd, qd, kd, vd, P, keep, scale, same, need, outs=(None, None, None)):
    """Gradients (gq, gk, gv, g_mask) of attention on arrays, for the flags in `need`: gd the output's
    gradient, P the probabilities (before dropout), keep the scaled dropout mask or None. `same`: the
    arrays are in the output's dtype (the gradients are then written laid out like q, k, v, or into
    `outs`)."""
    dt = P.dtype
    n0, n1, n2, want_m = need
    gv = gq = gk = gm = None
    oq, ok, ov = outs
    if n2:
        Pd = P if keep is None else P * keep
        Pt = np.swapaxes(Pd, -1, -2)
        gv = _bmm_into(Pt, gd, vd, dt, True, ov) if same else _mm(Pt, gd)
        Pd = Pt = None
    if n0 or n1 or want_m:
        # dS = P * (dP - rowsum(dP * P)), in place in the fresh dP (the row sums: row dot products)
        dS = _mm(gd, np.swapaxes(vd, -1, -2))
        if keep is not None:
            dS *= keep
        if not want_m and _fused.usable(dS) and P.flags.c_contiguous and dS.flags.c_contiguous:
            dS = _fused.softmax_bwd(dS, P, False, scale)  # the row sums, the product and the scale: one kernel
        else:
            if type(dS) is np.ndarray:
                dS -= np.vecdot(dS, P)[..., None]
            else:  # CuPy has no vecdot
                dS -= (dS * P).sum(axis=-1, keepdims=True)
            dS *= P
            if want_m:
                gm = dS.copy()
            dS *= dt.type(scale)
        if n0:
            gq = _bmm_into(dS, kd, qd, dt, True, oq) if same else _mm(dS, kd)
        if n1:
            dSt = np.swapaxes(dS, -1, -2)
            gk = _bmm_into(dSt, qd, kd, dt, True, ok) if same else _mm(dSt, qd)
    return gq, gk, gv, gm


def _probs_graph(q, k, scale, bias, mask, dead):
    """Attention's probabilities from tensors q and k with ember ops (a graph, for create_graph): the scaled
    scores plus the additive mask array `bias` and the float mask tensor `mask`, softmax, and zeros on the
    rows in the bool array `dead` (no finite score)."""
    s = O.matmul(q, k.transpose(-2, -1)) * scale
    if bias is not None:
        s = s + make(bias)
    if mask is not None:
        s = s + mask
    dead = None if dead is None else make(dead)
    if dead is not None:  # finite scores on the dead rows, or their NaN reaches every gradient
        s = s.masked_fill(dead, 0.0)
    P = _softmax(s, -1)
    return P if dead is None else P.masked_fill(dead, 0.0)


class ScaledDotProductFlashAttentionForCpuBackward0(Node):
    """Inputs (q, k, v, attn_mask); saved q, k, v (+ the float mask) and the probabilities."""

    def backward(self, g):
        q, k, v, mask = self.saved
        scale, keep = self.scale, self.keep
        if not GRAD.enabled and type(g._data) is type(self.P):
            P = self.P
            dt = P.dtype
            od = g._data.dtype
            gd = g._data.astype(dt, copy=False)
            qd, kd, vd = (t._data.astype(dt, copy=False) for t in (q, k, v))
            n_in = len(self.next_functions)
            need = (self.needs(0), self.needs(1), self.needs(2), n_in > 3 and self.needs(3))
            grads = _sdpa_backward_arrays(gd, qd, kd, vd, P, keep, scale, od is dt, need)
            res = tuple(None if a is None else make(a if a.dtype is od else a.astype(od)) for a in grads)
            return res[:n_in]
        # differentiable recomputation (create_graph=True)
        P = _probs_graph(q, k, scale, self.bias, mask, self.dead)
        Pd = P if keep is None else P * make(keep)
        gv = O.matmul(Pd.transpose(-2, -1), g)
        dP = O.matmul(g, v.transpose(-2, -1))
        if keep is not None:
            dP = dP * make(keep)
        dS = P * (dP - (dP * P).sum(-1, keepdim=True))
        gq = O.matmul(dS, k) * scale
        gk = O.matmul(dS.transpose(-2, -1), q) * scale
        return (gq, gk, gv, dS)[: len(self.next_functions)]

    def _release_extra(self):
        self.P = self.keep = self.bias = self.dead = None


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def _sdpa_forward_arrays(qd, kd, vd, od, sc, attn_mask, dropout_p, is_causal, query, out=None):
    """Attention on arrays qd, kd, vd (computed in their dtype dt; od the output's dtype): returns the output
    o, the probabilities P (before dropout), the scaled dropout mask `keep` (or None), the additive mask as an
    array (`bias`, for the create_graph recomputation), the rows that had no finite score (`dead`) and the
    float mask tensor when one was added (`fmask`, an input of the node). `query` gives the dropout noise's
    device and dtype; `out`, where o is written (in the output's dtype)."""
    dt = qd.dtype
    L, S = qd.shape[-2], kd.shape[-2]
    s = _mm(qd, np.swapaxes(kd, -1, -2))
    # CuPy: the scale and a causal mask go into the softmax kernel (a float mask must be added to the scaled
    # scores, so then the scale is applied here)
    fold = (
        s.size > 0
        and _fused.usable(s)
        and s.flags.c_contiguous
        and sc > 0
        and (attn_mask is None or attn_mask._data.dtype == np.bool_)
    )
    if not fold:
        s *= dt.type(sc)
    bias = None  # the additive mask as an array (for the create_graph recomputation)
    fmask = None
    if is_causal:
        above, bias = _causal_masks(L, S, dt, s)
        if not fold:
            s = _mask_out(s, above, dt)
    if attn_mask is not None:
        md = attn_mask._data
        if md.dtype == np.bool_:
            bias = np.where(md, dt.type(0), dt.type(-np.inf)).astype(dt, copy=False)
            s = _mask_out(s, ~md, dt)
        else:
            md = md.astype(dt, copy=False)
            s = np.add(s, md, out=s) if _fits(s, md) else s + md
            fmask = attn_mask
    dead = None
    if fold:
        P, dead = _fused.safe_softmax_(s, sc, L if is_causal else 0)  # one kernel, no synchronisation
        m, finite = None, False
    elif s.size and _fused.usable(s) and s.flags.c_contiguous:
        P, dead = _fused.safe_softmax_(s)  # one kernel, no synchronisation
        m, finite = None, False
    elif not s.size:
        m, finite = None, True
    elif type(s) is np.ndarray:
        m = np.fmax.reduce(s, axis=-1, keepdims=True)
        finite = np.isfinite(m).all()
    else:
        m, finite = _device_row_max(s)
    if finite:
        # softmax in place in the fresh score array (NaN rows stay NaN)
        if m is not None:
            s -= m
            np.exp(s, out=s)
            s /= s.sum(axis=-1, keepdims=True)
        P = s
    elif dead is None:
        P = _np_safe_softmax(s)
        dead_rows = ~np.isfinite(s.max(axis=-1, keepdims=True))
        if dead_rows.any():
            dead = np.broadcast_to(dead_rows, P.shape).copy()
    keep = None
    if dropout_p > 0.0:
        if dropout_p == 1.0:
            keep = xp_of(P).zeros(P.shape, dt)
        else:
            noise = ember.empty(P.shape, dtype=ember.float32 if dt == _F32 else query.dtype, device=query.device)
            noise.bernoulli_(1 - dropout_p)
            keep = noise._data.astype(dt, copy=False) / dt.type(1 - dropout_p)
        Pv = P * keep
    else:
        Pv = P
    if od is dt:
        o = _bmm_into(Pv, vd, qd, dt, out=out)
    else:
        o = _mm(Pv, vd).astype(od)
    return o, P, keep, bias, dead, fmask


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False
):
    """Matches `torch.nn.functional.scaled_dot_product_attention`."""
    if AUTOCAST.on:
        args = (query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)
        return autocast_call("scaled_dot_product_attention", scaled_dot_product_attention, args, {})
    for t, nm in ((query, "query"), (key, "key"), (value, "value")):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{nm}' must be Tensor, not {type(t).__name__}")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    _check_p(dropout_p)
    if query.dtype != key.dtype or query.dtype != value.dtype:
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead."
        )
    if enable_gqa and query.dim() >= 3 and key.dim() >= 3:
        hq, hk = query.shape[-3], key.shape[-3]
        if hk != hq:
            if hq % hk != 0:
                raise RuntimeError("Number of heads in key and value must divide the number of heads in query")
            key = key.repeat_interleave(hq // hk, -3)
            value = value.repeat_interleave(hq // value.shape[-3], -3)
    E = query.shape[-1]
    if key.shape[-1] != E:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{_lead(query)}, {E}] but got: [{_lead(key)}, {key.shape[-1]}]."
        )
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{_lead(value)}, {key.shape[-2]}] but got: [{_lead(value)}, {value.shape[-2]}]."
        )
    sc = 1.0 / math.sqrt(E) if scale is None else float(scale)
    od = query._data.dtype
    dt = _F32 if od.itemsize == 2 else od
    qd, kd, vd = (t._data.astype(dt, copy=False) for t in (query, key, value))
    o, P, keep, bias, dead, fmask = _sdpa_forward_arrays(qd, kd, vd, od, sc, attn_mask, dropout_p, is_causal, query)
    out = make(o)
    inputs = (query, key, value) if fmask is None else (query, key, value, fmask)
    if GRAD.enabled and any(t._requires_grad for t in inputs):
        node = ScaledDotProductFlashAttentionForCpuBackward0()
        node.scale, node.keep, node.p, node.P, node.bias, node.dead = sc, keep, dropout_p, P, bias, dead
        node.save(query, key, value, fmask)
        attach(out, node, inputs)
    return out


def _lead(t):
    n = 1
    for s in t.shape[:-2]:
        n *= s
    return n


# -- multi-head attention ---------------------------------------------------------------------------


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D"
                f" but found {key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D"
                f" but found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D"
                f" but found {attn_mask.dim()}-D tensor instead"
            )
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D"
                f" but found {key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D"
                f" but found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D"
                    f" but found {attn_mask.dim()}-D tensor instead"
                )
            if attn_mask.dim() == 3:
                expected_shape = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected_shape:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected_shape} but got {attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query tensor")


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """torch's F._canonical_mask: bool masks become float masks with -inf where True."""
    if mask is not None:
        is_float = mask.is_floating_point()
        if mask.dtype != ember.bool and not is_float:
            raise AssertionError(f"only bool and floating types of {mask_name} are supported")
        if check_other and other_type is not None and mask.dtype != other_type:
            warnings.warn(
                f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both instead.",
                stacklevel=3,
            )
        if not is_float:
            mask = ember.zeros_like(mask, dtype=target_type).masked_fill_(mask, float("-inf"))
    return mask


def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _in_projection_packed(q, k, v, w, b=None):
    E = q.size(-1)
    if k is v:
        if q is k:
            if q.dim() == 3 and not q.is_contiguous() and q.transpose(0, 1).is_contiguous():
                # a batch-first input seen as (L, B, E): project its memory order (no copy of the input for the
                # GEMM, nor of its gradient's partner in the backward); the .contiguous() below fixes the layout
                proj = linear(q.transpose(0, 1), w, b).transpose(0, 1)
            else:
                proj = linear(q, w, b)
            proj = proj.unflatten(-1, (3, E)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
            # unbind, not three selects: its backward is one stack, not a zeros-and-scatter per part plus sums
            return proj.unbind(0)
        w_q, w_kv = w.split([E, E * 2])
        b_q, b_kv = (None, None) if b is None else b.split([E, E * 2])
        q_proj = linear(q, w_q, b_q)
        kv_proj = linear(k, w_kv, b_kv)
        kv_proj = kv_proj.unflatten(-1, (2, E)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        k_proj, v_proj = kv_proj.unbind(0)
        return q_proj, k_proj, v_proj
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    Eq, Ek, Ev = q.size(-1), k.size(-1), v.size(-1)
    if tuple(w_q.shape) != (Eq, Eq):
        raise AssertionError(f"expecting query weights shape of {(Eq, Eq)}, but got {w_q.shape}")
    if tuple(w_k.shape) != (Eq, Ek):
        raise AssertionError(f"expecting key weights shape of {(Eq, Ek)}, but got {w_k.shape}")
    if tuple(w_v.shape) != (Eq, Ev):
        raise AssertionError(f"expecting value weights shape of {(Eq, Ev)}, but got {w_v.shape}")
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


# -- fused self-attention (one graph node for the projections, the head split and the attention) ---------

FUSE_SELF_ATTENTION = True  # tests turn it off to compare with the op-by-op path


class MultiheadSelfAttentionBackward0(Node):
    """Backward of _self_attention_fused. Inputs: query (L, B, E), in-projection weight and bias, out-projection
    weight and bias (the biases only when given). Arrays kept on the node: the in-projection's input rows X2,
    q/k/v (views of one (3, L, B, H, hd) buffer), the probabilities P, the dropout mask, and the attention
    output's rows A2; rows are in (time, batch) order throughout."""

    def backward(self, g):
        x, w, b, wo, bo = self.saved
        idx = self.idx  # input slot of each of x, w, b, wo, bo (None: not an input)
        need = [i is not None and self.needs(i) for i in idx]
        gd = g._data
        if GRAD.enabled or type(gd) is not type(self.P):
            return self._differentiable(g, x, w, b, wo, bo, need)
        L, B, E = x.shape
        H = self.heads
        hd = E // H
        xp = xp_of(gd)
        G2 = gd.reshape(L * B, E)
        res = [None] * 5
        if need[3]:
            res[3] = _mm(G2.T, self.A2)
        if need[4]:
            res[4] = bias_grad(G2)
        if need[0] or need[1] or need[2]:
            # (B, H, L, hd) views whose batch dims merge into one stride: one strided-batched GEMM each
            gA = _mm(G2, wo._data).reshape(L, B, H, hd).transpose(1, 2, 0, 3)
            dbuf = xp.empty((3, L, B, H, hd), self.P.dtype)
            outs = tuple(dbuf[i].transpose(1, 2, 0, 3) for i in range(3))
            q, k, v = self.qkv
            _sdpa_backward_arrays(gA, q, k, v, self.P, self.keep, self.scale, True, (True,) * 3 + (False,), outs)
            if _fused.usable(dbuf):  # (3, rows, E) -> (rows, 3E): one launch, not CuPy's copying reshape
                dP = _fused.qkv_merge(dbuf.reshape(3, L * B, E))
            else:
                dP = dbuf.transpose(1, 2, 0, 3, 4).reshape(L * B, 3 * E)
            dbuf = None
            if need[0]:
                res[0] = _mm(dP, w._data).reshape(L, B, E)
            if need[1]:
                res[1] = _mm(dP.T, self.X2)
            if need[2]:
                res[2] = bias_grad(dP)
        return self._by_slot([None if r is None else make(r) for r in res])

    def _differentiable(self, g, x, w, b, wo, bo, need):
        """Under create_graph: the forward again with ember ops (the same dropout mask), differentiated."""
        L, B, E = x.shape
        H = self.heads
        hd = E // H
        with ember.enable_grad():
            qkv = linear(x, w, b).unflatten(-1, (3, H, hd)).permute(2, 1, 3, 0, 4)  # (3, B, H, L, hd)
            q, k, v = qkv.unbind(0)
            P = _probs_graph(q, k, self.scale, self.bias, self.fmask, self.dead)
            if self.keep is not None:
                P = P * make(self.keep)
            a = O.matmul(P, v).permute(2, 0, 1, 3).reshape(L, B, E)
            y = linear(a, wo, bo)
        ins = [t for t, n in zip((x, w, b, wo, bo), need) if n]
        got = iter(ember.autograd.grad(y, ins, g, create_graph=True, allow_unused=True))
        return self._by_slot([next(got) if n else None for n in need])

    def _by_slot(self, res):
        """The gradients of (x, w, b, wo, bo) in the order of the node's inputs (the absent biases left out)."""
        out = [None] * len(self.next_functions)
        for r, slot in zip(res, self.idx):
            if slot is not None:
                out[slot] = r
        return tuple(out)

    def _release_extra(self):
        self.P = self.keep = self.bias = self.dead = self.fmask = self.qkv = self.X2 = self.A2 = None


def _self_attention_fused(x, H, w, b, wo, bo, attn_mask, dropout_p, is_causal):
    """Self-attention of x (L, B, E) with a packed in-projection, as multi_head_attention_forward computes it
    without weights, recorded as one graph node: the in-projection GEMM, the heads (one copy into a
    (3, L, B, H, hd) buffer), attention, the out-projection GEMM. The layouts are the op-by-op path's (rows in
    (time, batch) order; each head's q, k, v and output one stride apart, so each batched product is one
    strided-batched GEMM), and so is the output's: contiguous (L, B, E). None where a case is not covered (the
    op-by-op path then runs, and raises what it raises)."""
    X = x._data
    L, B, E = X.shape
    tensors = [t for t in (w, b, wo, bo, attn_mask) if t is not None]
    if any(not isinstance(t, Tensor) for t in tensors) or 0 in (L, B, E):
        return None
    kind = type(X)
    if any(type(t._data) is not kind for t in tensors):
        return None
    if kind is not np.ndarray and any(t._data.device.id != X.device.id for t in tensors):
        return None
    dt = X.dtype
    if dt.kind != "f" or dt.itemsize < 4 or any(t._data.dtype != dt for t in (w, b, wo, bo) if t is not None):
        return None
    if tuple(w.shape) != (3 * E, E) or tuple(wo.shape) != (E, E):
        return None
    if (b is not None and tuple(b.shape) != (3 * E,)) or (bo is not None and tuple(bo.shape) != (E,)):
        return None
    if attn_mask is not None and (
        attn_mask._requires_grad or tuple(attn_mask.shape) != (L, L) or attn_mask._data.dtype not in (dt, np.bool_)
    ):
        return None
    hd = E // H
    xp = xp_of(X)
    X2 = X.reshape(L * B, E)  # (a batch-first input seen as (L, B, E) is copied, as torch's linear copies it)
    Pr = _mm(X2, w._data.T)
    buf = xp.empty((3, L, B, H, hd), dt)
    bd = None if b is None else b._data
    if _fused.usable(Pr) and (bd is None or bd.flags.c_contiguous):
        _fused.qkv_split(Pr, bd, buf)  # the bias added on the way: one launch
    else:
        if bd is not None:
            Pr += bd
        buf[...] = Pr.reshape(L, B, 3, H, hd).transpose(2, 0, 1, 3, 4)
    Pr = None
    q, k, v = (buf[i].transpose(1, 2, 0, 3) for i in range(3))  # (B, H, L, hd)
    sc = 1.0 / math.sqrt(hd)
    o_rows = xp.empty((L, B, H, hd), dt)
    _, P, keep, bias, dead, fmask = _sdpa_forward_arrays(
        q, k, v, dt, sc, attn_mask, dropout_p, is_causal, x, o_rows.transpose(1, 2, 0, 3)
    )
    A2 = o_rows.reshape(L * B, E)
    Y2 = _mm(A2, wo._data.T)
    if bo is not None:
        _add_bias(Y2, bo._data)
    out = make(Y2.reshape(L, B, E))
    inputs = [x, w, b, wo, bo]
    if GRAD.enabled and any(t is not None and t._requires_grad for t in inputs):
        node = MultiheadSelfAttentionBackward0()
        slots, idx = [], []
        for t in inputs:
            idx.append(None if t is None else len(slots))
            if t is not None:
                slots.append(t)
        node.idx, node.heads, node.scale, node.fmask = idx, H, sc, fmask  # fmask: a float mask (no grad)
        node.P, node.keep, node.bias, node.dead, node.qkv, node.X2, node.A2 = P, keep, bias, dead, (q, k, v), X2, A2
        node.save(x, w, b, wo, bo)
        attach(out, node, tuple(slots))
    return out


def multi_head_attention_forward(
    query,
    key,
    value,
    embed_dim_to_check,
    num_heads,
    in_proj_weight,
    in_proj_bias,
    bias_k,
    bias_v,
    add_zero_attn,
    dropout_p,
    out_proj_weight,
    out_proj_bias,
    training=True,
    key_padding_mask=None,
    need_weights=True,
    attn_mask=None,
    use_separate_proj_weight=False,
    q_proj_weight=None,
    k_proj_weight=None,
    v_proj_weight=None,
    static_k=None,
    static_v=None,
    average_attn_weights=True,
    is_causal=False,
):
    """Matches `torch.nn.functional.multi_head_attention_forward` (sequence-first layout)."""
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(
        key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask", query.dtype
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module method "
            "`generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(
                f"key's sequence and batch dims {key.shape[:2]} do not match value's {value.shape[:2]}"
            )
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    if (
        FUSE_SELF_ATTENTION
        and is_batched
        and query is key
        and key is value
        and not use_separate_proj_weight
        and in_proj_weight is not None
        and not need_weights
        and not AUTOCAST.on
        and bias_k is None
        and bias_v is None
        and not add_zero_attn
        and static_k is None
        and static_v is None
        and key_padding_mask is None
        and (attn_mask is None or attn_mask.dim() == 2)
    ):
        out = _self_attention_fused(
            query,
            num_heads,
            in_proj_weight,
            in_proj_bias,
            out_proj_weight,
            out_proj_bias,
            attn_mask,
            dropout_p if training else 0.0,
            is_causal,
        )
        if out is not None:
            return out, None
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        if q_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is True but q_proj_weight is None")
        if k_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is True but k_proj_weight is None")
        if v_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is True but v_proj_weight is None")
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, b_q, b_k, b_v)
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be {(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                    f"{(bsz * num_heads, tgt_len, src_len)}."
                )
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = O.cat([k, bias_k.repeat(1, bsz, 1)])
        v = O.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = _pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = _pad(key_padding_mask, (0, 1))
    else:
        if bias_k is not None:
            raise AssertionError("bias_k is set but bias_v is None")
        if bias_v is not None:
            raise AssertionError("bias_v is set but bias_k is None")
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    if static_k is None:
        k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        if static_k.size(0) != bsz * num_heads:
            raise AssertionError(f"expecting static_k.size(0) of {bsz * num_heads}, but got {static_k.size(0)}")
        if static_k.size(2) != head_dim:
            raise AssertionError(f"expecting static_k.size(2) of {head_dim}, but got {static_k.size(2)}")
        k = static_k
    if static_v is None:
        v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        if static_v.size(0) != bsz * num_heads:
            raise AssertionError(f"expecting static_v.size(0) of {bsz * num_heads}, but got {static_v.size(0)}")
        if static_v.size(2) != head_dim:
            raise AssertionError(f"expecting static_v.size(2) of {head_dim}, but got {static_v.size(2)}")
        v = static_v
    if add_zero_attn:
        zshape = (bsz * num_heads, 1, head_dim)
        k = O.cat([k, ember.zeros(zshape, dtype=k.dtype, device=k.device)], dim=1)
        v = O.cat([v, ember.zeros(zshape, dtype=v.dtype, device=v.device)], dim=1)
        if attn_mask is not None:
            attn_mask = _pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = _pad(key_padding_mask, (0, 1))
    src_len = k.size(1)
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got {key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(
                f"Expected key_padded_mask.shape[1] to be {src_len}, but got {key_padding_mask.shape[1]}"
            )
        key_padding_mask = (
            key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len)
        )
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0
    if need_weights:
        E = q.shape[-1]
        q_scaled = q * math.sqrt(1.0 / float(E))
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        if attn_mask is not None:
            w = O.baddbmm(attn_mask, q_scaled, k.transpose(-2, -1))
        else:
            w = O.bmm(q_scaled, k.transpose(-2, -1))
        w = _softmax(w, dim=-1)
        if dropout_p > 0.0:
            w = _dropout(w, p=dropout_p)
        attn_output = O.bmm(w, v)
        attn_output = attn_output.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        attn_output = linear(attn_output, out_proj_weight, out_proj_bias)
        attn_output = attn_output.view(tgt_len, bsz, attn_output.size(1))
        w = w.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            w = w.mean(dim=1)
        if not is_batched:
            attn_output = attn_output.squeeze(1)
            w = w.squeeze(0)
        return attn_output, w
    if attn_mask is not None:
        if attn_mask.size(0) == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    attn_output = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    attn_output = attn_output.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    attn_output = linear(attn_output, out_proj_weight, out_proj_bias)
    attn_output = attn_output.view(tgt_len, bsz, attn_output.size(1))
    if not is_batched:
        attn_output = attn_output.squeeze(1)
    return attn_output, None
