"""Recurrent layers: RNNBase, RNN, LSTM, GRU and the cells RNNCell, LSTMCell, GRUCell.

Per layer and direction, the input projection of ALL time steps is one `F.linear` (one BLAS call, one
graph node). The recurrence over time is one fused graph node (`_recurrence`): its forward loops over
time steps in NumPy (one recurrent matmul plus a handful of in-place array ops per step) and its
backward is hand-written backpropagation through time in NumPy. Packed sequences run through the same
loop: the data is time-major and step t uses the first batch_sizes[t] rows of the state.
An LSTM layer without projections whose batch size never changes (every unpacked input) takes the
fused path `_lstm_layer` instead: one node for the input projection and the recurrence together,
feature-major inside, with its work arrays reused across calls (see there).
Double backward through the recurrence is not supported (the backward builds no graph).
"""

import math
import numbers
import warnings

import numpy as np

import ember

from ... import _ops as O
from ..._autocast import AUTOCAST, autocast_call
from ..._backend import xp_of
from ..._dtype import promote_types
from ..._ops._core import GRAD, Node, attach_multi, make
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_F32 = np.dtype(np.float32)


# -- work buffers -----------------------------------------------------------------------------------

# The fused LSTM layer needs a few MB of work arrays per call (gates of every step, their gradients). Fresh
# arrays that size come from mmap and are page-faulted in on first touch, every call, which costs as much as
# the arithmetic; they are handed back here when their node is done with them (after its backward, or at
# the end of a no-grad forward) and reused by the next call of the same shape. Arrays that escape (outputs,
# gradients) never come from here.
_POOL = {}
_POOL_MAX = 64  # arrays kept in all; past that the pool starts over


def _take(shape, dt):
    try:
        return _POOL[(shape, dt)].pop()
    except (KeyError, IndexError):
        return np.empty(shape, dt)


def _give(*arrays):
    if sum(map(len, _POOL.values())) + len(arrays) > _POOL_MAX:
        _POOL.clear()
    for a in arrays:
        _POOL.setdefault((a.shape, a.dtype), []).append(a)


# -- the fused recurrence ---------------------------------------------------------------------------


class _RecurrenceBackward(Node):
    """Backward of one layer/direction of an RNN over all its time steps (BPTT in NumPy).

    Inputs: (xw, h0, c0, w_hh, b_hh, w_hr); outputs: (out, h_n, c_n)."""

    def backward(self, gout, ghn, gcn=None):
        st = self.st
        self.saved  # noqa: B018 - version checks of the saved weights / outputs
        if "Wcat" in st:
            return _lstm_layer_backward(self, st, gout, ghn, gcn)
        dt = st["dtype"]
        xp = st["xp"]
        go = None if gout is None else xp.asarray(gout._data, dtype=dt).reshape(st["N"], -1)
        dh = xp.zeros(st["hshape"], dt) if ghn is None else xp.array(ghn._data, dtype=dt)
        mode = st["mode"]
        if mode == "LSTM":
            dc = xp.zeros(st["cshape"], dt) if gcn is None else xp.array(gcn._data, dtype=dt)
            res = _lstm_backward(st, go, dh, dc)
        elif mode == "GRU":
            res = _gru_backward(st, go, dh)
        else:
            res = _rnn_backward(st, go, dh)
        gx, gh0, gc0, gwhh, gbhh, gwhr = res
        cast = st["out_dtype"]

        def mk(a, i):
            if a is None or not self.needs(i):
                return None
            return make(xp.ascontiguousarray(a, dtype=cast))

        gx = None if gx is None else gx.reshape(st["xw_shape"])
        return mk(gx, 0), mk(gh0, 1), mk(gc0, 2), mk(gwhh, 3), mk(gbhh, 4), mk(gwhr, 5)

    def _release_extra(self):
        st = self.st
        self.st = None
        if st is not None and "Wcat" in st:
            _give(st["Wcat"], st["Z"], st["A"], st["P"], st["TC"])


class MkldnnRnnLayerBackward0(_RecurrenceBackward):
    pass


class StackBackward0(_RecurrenceBackward):
    pass


def _arr(t, dt):
    a = t._data
    return a if a.dtype == dt else a.astype(dt)


def _recurrence(mode, xw, steps, h0, c0, w_hh, b_hh, w_hr, reverse):
    """One layer, one direction. xw: (..., G) input projections (time-major rows, N in all);
    steps: list of (row offset, batch size) in time order; h0: (B, P); c0: (B, H) for LSTM.
    Returns (out (N, P), h_n (B, P), c_n (B, H) or None)."""
    out_dtype = xw._data.dtype
    dt = _F32 if out_dtype.itemsize == 2 else out_dtype
    X = _arr(xw, dt).reshape(-1, xw.shape[-1])
    whh = _arr(w_hh, dt)
    bhh = None if b_hh is None else _arr(b_hh, dt)
    whr = None if w_hr is None else _arr(w_hr, dt)
    xp = xp_of(X)
    h = xp.array(_arr(h0, dt))
    order = steps[::-1] if reverse else steps
    st = {"xp": xp, "mode": mode, "dtype": dt, "out_dtype": out_dtype, "N": X.shape[0], "xw_shape": xw._data.shape}
    st["hshape"] = h.shape
    st["order"] = order
    st["whh"] = whh
    if mode == "LSTM":
        c = xp.array(_arr(c0, dt))
        st["cshape"] = c.shape
        out, c = _lstm_forward(st, X, h, c, whh, bhh, whr)
        cn = make(c.astype(out_dtype, copy=False))
    elif mode == "GRU":
        out = _gru_forward(st, X, h, whh, bhh)
        cn = None
    else:
        out = _rnn_forward(st, X, h, whh, bhh, mode == "RNN_RELU")
        cn = None
    out_t = make(out.astype(out_dtype, copy=False))
    hn = make(h.astype(out_dtype, copy=False))
    inputs = (xw, h0, c0, w_hh, b_hh, w_hr)
    if GRAD.enabled and any(t is not None and t._requires_grad for t in inputs):
        node = MkldnnRnnLayerBackward0() if mode == "LSTM" else StackBackward0()
        node.st = st
        outs = (out_t, hn, cn) if mode == "LSTM" else (out_t, hn)
        attach_multi(outs, node, inputs)
        node.save(w_hh, w_hr, out_t)
    return out_t, hn, cn


def _lstm_forward(st, X, h, c, whh, bhh, whr):
    xp = st["xp"]
    N, G = X.shape
    H = G // 4
    P = h.shape[1]
    dt = X.dtype
    # sigmoid(x) = 0.5 * tanh(x / 2) + 0.5: gates i, f, o are pre-scaled by 1/2 (exact), so one tanh
    # over all four gates and one multiply-add give every activation
    s = xp.full(G, 0.5, dt)
    s[2 * H : 3 * H] = 1.0
    shift = xp.full(G, 0.5, dt)
    shift[2 * H : 3 * H] = 0.0
    A = X + bhh if bhh is not None else X.copy()
    A *= s
    WT = xp.ascontiguousarray((whh * s[:, None]).T)
    Hprev = xp.empty((N, P), dt)
    Cprev = xp.empty((N, H), dt)
    TC = xp.empty((N, H), dt)
    M = xp.empty((N, H), dt)
    out = M if whr is None else xp.empty((N, P), dt)
    WrT = None if whr is None else xp.ascontiguousarray(whr.T)
    mul, tanh, matmul = xp.multiply, xp.tanh, xp.matmul
    order = st["order"]
    if whr is None and all(order[k + 1][1] <= order[k][1] for k in range(len(order) - 1)):
        return _lstm_forward_views(st, A, h, c, WT, s, shift, TC, M)
    for o, bs in order:
        e = o + bs
        hp = h[:bs]
        cp = c[:bs]
        a = A[o:e]
        Hprev[o:e] = hp
        Cprev[o:e] = cp
        a += matmul(hp, WT)
        tanh(a, out=a)
        a *= s
        a += shift
        mul(a[:, H : 2 * H], cp, out=cp)
        cp += mul(a[:, :H], a[:, 2 * H : 3 * H])
        tc = tanh(cp, out=TC[o:e])
        m = mul(a[:, 3 * H :], tc, out=M[o:e])
        if WrT is None:
            hp[...] = m
        else:
            hp[...] = matmul(m, WrT, out=out[o:e])
    st.update(A=A, Hprev=Hprev, Cprev=Cprev, TC=TC, M=M, whr=whr)
    return out, c


def _lstm_forward_views(st, A, h, c, WT, s, shift, TC, M):
    """Batch sizes never grow in processing order (every unpacked sequence, and the forward direction of
    packed ones): the previous states are views of the previous step's rows, so nothing is copied per
    step; Hprev / Cprev for the backward are gathered in bulk there."""
    xp = st["xp"]
    N, G = A.shape
    H = G // 4
    B = h.shape[0]
    C = xp.empty((N, H), A.dtype)
    h0, c0 = h.copy(), c.copy()
    mul, tanh, matmul = xp.multiply, xp.tanh, xp.matmul
    prev = -1
    for o, bs in st["order"]:
        e = o + bs
        if prev < 0:
            hp, cp = h0[:bs], c0[:bs]
        else:
            hp, cp = M[prev : prev + bs], C[prev : prev + bs]
        a = A[o:e]
        a += matmul(hp, WT)
        tanh(a, out=a)
        a *= s
        a += shift
        cn = mul(a[:, H : 2 * H], cp, out=C[o:e])
        cn += mul(a[:, :H], a[:, 2 * H : 3 * H])
        mul(a[:, 3 * H :], tanh(cn, out=TC[o:e]), out=M[o:e])
        prev = o
    # row b of each step's previous state: h0 row b at the first step, else the previous step's row b
    idx = xp.empty(N, xp.int64)
    last = xp.arange(B)
    prev = -1
    for o, bs in st["order"]:
        idx[o : o + bs] = xp.arange(bs) + (0 if prev < 0 else B + prev)
        last[:bs] = xp.arange(bs) + B + o
        prev = o
    h[...] = xp.concatenate([h0, M])[last]
    c[...] = xp.concatenate([c0, C])[last]
    st.update(A=A, TC=TC, M=M, whr=None, gather=(idx, h0, c0, C))
    return M, c


def _lstm_backward(st, go, dh, dc):
    xp = st["xp"]
    if "gather" in st:
        idx, h0, c0, C = st["gather"]
        st["Hprev"] = xp.concatenate([h0, st["M"]])[idx]
        st["Cprev"] = xp.concatenate([c0, C])[idx]
    A, Hprev, Cprev, TC, M, whh, whr = (st[k] for k in ("A", "Hprev", "Cprev", "TC", "M", "whh", "whr"))
    N, G = A.shape
    H = G // 4
    dt = A.dtype
    D = A * (1 - A)  # sigmoid'(x) for i, f, o
    g = A[:, 2 * H : 3 * H]
    D[:, 2 * H : 3 * H] = 1 - g * g  # tanh'(x) for g
    # per-step: d(pre i,f,g) = dc * [g, c_prev, i] * D ; d(pre o) = dm * tanh(c) * D_o
    QD = xp.empty((N, 3, H), dt)
    QD[:, 0] = g
    QD[:, 1] = Cprev
    QD[:, 2] = A[:, :H]
    QD *= D[:, : 3 * H].reshape(N, 3, H)
    TD = TC * D[:, 3 * H :]
    OD = A[:, 3 * H :] * (1 - TC * TC)  # d c / d m through h = o * tanh(c)
    F_ = A[:, H : 2 * H]
    dX = xp.empty((N, G), dt)
    dX3 = dX.reshape(N, 4, H)
    dHP = None if whr is None else xp.empty((N, whr.shape[0]), dt)
    mul, matmul = xp.multiply, xp.matmul
    for o, bs in reversed(st["order"]):
        e = o + bs
        dhp = dh[:bs]
        if go is not None:
            dhp += go[o:e]
        if whr is not None:
            dHP[o:e] = dhp
            dm = matmul(dhp, whr)
        else:
            dm = dhp
        dcp = dc[:bs]
        dcp += mul(dm, OD[o:e])
        mul(dcp[:, None, :], QD[o:e], out=dX3[o:e, :3])
        mul(dm, TD[o:e], out=dX3[o:e, 3])
        dcp *= F_[o:e]
        matmul(dX[o:e], whh, out=dhp)
    gwhh = matmul(dX.T, Hprev)
    gbhh = dX.sum(0)
    gwhr = None if whr is None else matmul(dHP.T, M)
    return dX, dh, dc, gwhh, gbhh, gwhr


def _lstm_layer(x2, T, B, w_ih, b_ih, h0, c0, w_hh, b_hh, reverse):
    """One LSTM layer/direction whose batch size is the same at every step, input projection included.

    Everything inside is feature-major (step, features, batch): each step's gate slices are contiguous and
    the recurrent GEMM is W @ h, the orientation OpenBLAS is fastest at for a batch of a few dozen columns.
    The input projection is folded into the recurrent GEMM: Z[k] = [h_{k-1}; x_k; 1] (K rows) and
    Wcat = [W_hh | W_ih | b_ih + b_hh] (G, K), so a step is one GEMM writing its pre-activations in place.
    The internal gate order is [o, i, f, g] (torch's [i, f, g, o] rolled by one block): the sigmoid gates
    are contiguous (sigmoid(x) = 0.5 * tanh(x / 2) + 0.5 with the 1/2 folded into their rows of Wcat, so one
    tanh covers all four gates), and so are the gates whose gradient is dc times something. A[k] holds the
    gates of step k followed by the cell state c_{k-1} it starts from, so [i, f] * [g, c_{k-1}] is one
    multiply. Per step: one GEMM and seven array ops, all in place.
    x2: (T*B, I) time-major rows. Returns (out (T*B, H), h_n (B, H), c_n (B, H))."""
    xd = x2._data
    out_dtype = xd.dtype
    dt = _F32 if out_dtype.itemsize == 2 else out_dtype
    whh = _arr(w_hh, dt)
    wih = _arr(w_ih, dt)
    G, H = whh.shape
    I = wih.shape[1]
    H2, H3 = 2 * H, 3 * H
    has_b = b_ih is not None
    K = H + I + 1 if has_b else H + I
    Wcat = _take((G, K), dt)
    Wcat[:H, :H] = whh[H3:]
    Wcat[H:, :H] = whh[:H3]
    Wcat[:H, H : H + I] = wih[H3:]
    Wcat[H:, H : H + I] = wih[:H3]
    if has_b:
        bsum = _arr(b_ih, dt) + _arr(b_hh, dt)
        Wcat[:H, -1] = bsum[H3:]
        Wcat[H:, -1] = bsum[:H3]
    Wcat[:H3] *= 0.5
    x3 = xd.reshape(T, B, I)
    if reverse:
        x3 = x3[::-1]
    Z = _take((T + 1, K, B), dt)
    Z[:T, H : H + I] = x3.transpose(0, 2, 1)
    if has_b:
        Z[:T, -1] = 1
    h0d = _arr(h0, dt)
    Z[0, :H] = h0d.T
    A = _take((T + 1, G + H, B), dt)
    A[0, G:] = _arr(c0, dt).T
    P = _take((T, H2, B), dt)  # [i g, f c_{k-1}] of every step
    TC = _take((T, H, B), dt)  # tanh(c_k)
    mul, tanh, matmul = np.multiply, np.tanh, np.matmul
    first = 1 if h0d.any() else 0
    if not first:  # zero initial state: the first step is the input projection alone
        a = A[0, :G]
        matmul(Wcat[:, H:], Z[0, H:], out=a)
    for k in range(T):
        a = A[k]
        gates = a[:G]
        if k or first:
            matmul(Wcat, Z[k], out=gates)
        tanh(gates, out=gates)
        sg = a[:H3]
        sg *= 0.5
        sg += 0.5
        p = mul(a[H:H3], a[H3:], out=P[k])
        c = np.add(p[:H], p[H:], out=A[k + 1, G:])
        mul(a[:H], tanh(c, out=TC[k]), out=Z[k + 1, :H])
    hseq = Z[1:, :H]
    if reverse:
        hseq = hseq[::-1]
    out = np.empty((T, B, H), out_dtype)
    np.copyto(out, hseq.transpose(0, 2, 1), casting="unsafe")
    out_t = make(out.reshape(T * B, H))
    hn = make(Z[T, :H].T.astype(out_dtype))
    cn = make(A[T, G:].T.astype(out_dtype))
    inputs = (x2, w_ih, b_ih, h0, c0, w_hh, b_hh)
    if GRAD.enabled and any(t is not None and t._requires_grad for t in inputs):
        node = MkldnnRnnLayerBackward0()
        node.st = {"Wcat": Wcat, "Z": Z, "A": A, "P": P, "TC": TC, "whh": whh, "wih": wih}
        node.st.update(dtype=dt, out_dtype=out_dtype, reverse=reverse, has_b=has_b)
        attach_multi((out_t, hn, cn), node, inputs)
        node.save(x2, w_ih, w_hh, out_t)
    else:
        _give(Wcat, Z, A, P, TC)
    return out_t, hn, cn


_CHUNK = 10  # steps per chunk of the LSTM backward: its work arrays stay in cache


def _lstm_layer_backward(node, st, gout, ghn, gcn):
    """BPTT for `_lstm_layer`, in chunks of steps taken from the last: a chunk's gate-gradient factors
    are computed in bulk, then each of its steps is five or six in-place array ops and one GEMM
    (W_hh^T @ dA_k); the chunk's weight, bias and input gradients are then one GEMM each."""
    A, P, TC, Z = st["A"], st["P"], st["TC"], st["Z"]
    dt, reverse, has_b = st["dtype"], st["reverse"], st["has_b"]
    T, H, B = TC.shape
    G = 4 * H
    H2, H3 = 2 * H, 3 * H
    K = Z.shape[1]
    mul, matmul, sub = np.multiply, np.matmul, np.subtract
    nx, nwih, nbih, nwhh, nbhh = (node.needs(i) for i in (0, 1, 2, 5, 6))
    nW = nwih or nbih or nwhh or nbhh
    need_h0 = node.needs(3)
    dh = np.zeros((H, B), dt) if ghn is None else np.array(ghn._data.T, dtype=dt, order="C")
    dc = np.zeros((H, B), dt) if gcn is None else np.array(gcn._data.T, dtype=dt, order="C")
    # the output gradient, feature-major, for the steps where it is not zero (often only the last one)
    GO, gk = None, [-1] * T
    if gout is not None:
        go3 = gout._data.reshape(T, B, H)
        if reverse:
            go3 = go3[::-1]
        nz = np.flatnonzero(go3.reshape(T, -1).any(1))
        if len(nz):
            GO = _take((len(nz), H, B), dt)
            np.copyto(GO, (go3 if len(nz) == T else go3[nz]).transpose(0, 2, 1), casting="unsafe")
            for j, k in enumerate(nz.tolist()):
                gk[k] = j
    whh = st["whh"]
    whhT = _take((H, G), dt)
    whhT[:, :H] = whh[H3:].T
    whhT[:, H:] = whh[:H3].T
    CH = min(T, _CHUNK)
    D = _take((CH, G, B), dt)
    OD = _take((CH, H, B), dt)
    dA = _take((CH, G, B), dt)
    tmp = np.empty((H, B), dt)
    if nW or nx:
        dA2 = _take((G, CH * B), dt)
    if nW:
        Z2 = _take((K, CH * B), dt)
        dW = _take((G, K), dt)
        part = _take((G, K), dt)
    if nx:
        wih = st["wih"]
        wihp = np.concatenate([wih[H3:], wih[:H3]])
        gx = np.empty((T * B, wih.shape[1]), dt)
    for hi in range(T, 0, -CH):
        lo = max(hi - CH, 0)
        n = hi - lo
        # The factors of steps lo..hi-1: the gradients of the pre-activations are dh * D_o for o and
        # dc * D_ifg for i, f, g, with D = [tanh(c) o', g i', c_prev f', i g'] = [h (1 - o),
        # i g (1 - i), f c_prev (1 - f), i - i g g]; dc collects dh * OD, OD = o (1 - tanh(c)^2) = o - h tanh(c)
        Ag, Hs, Pc = A[lo:hi], Z[lo + 1 : hi + 1, :H], P[lo:hi]
        Dc, ODc, dAc = D[:n], OD[:n], dA[:n]
        sub(1, Ag[:, :H3], out=Dc[:, :H3])
        Dc[:, :H] *= Hs
        Dc[:, H:H3] *= Pc
        Dg = Dc[:, H3:]
        mul(Pc[:, :H], Ag[:, H3:G], out=Dg)
        sub(Ag[:, H:H2], Dg, out=Dg)
        mul(Hs, TC[lo:hi], out=ODc)
        sub(Ag[:, :H], ODc, out=ODc)
        Dm = Dc[:, H:].reshape(n, 3, H, B)
        dAm = dAc[:, H:].reshape(n, 3, H, B)
        for j in range(n - 1, -1, -1):
            q = gk[lo + j]
            if q >= 0:
                dh += GO[q]
            mul(dh, ODc[j], out=tmp)
            dc += tmp
            mul(dc, Dm[j], out=dAm[j])
            mul(dh, Dc[j, :H], out=dAc[j, :H])
            dc *= Ag[j, H2:H3]
            if lo + j or need_h0:
                matmul(whhT, dAc[j], out=dh)
        if nW or nx:
            d2 = dA2[:, : n * B]
            np.copyto(d2.reshape(G, n, B), dAc.transpose(1, 0, 2))
            if nW:
                z2 = Z2[:, : n * B]
                np.copyto(z2.reshape(K, n, B), Z[lo:hi].transpose(1, 0, 2))
                if hi == T:
                    matmul(d2, z2.T, out=dW)
                else:
                    dW += matmul(d2, z2.T, out=part)
            if nx:
                matmul(d2.T, wihp, out=gx[lo * B : hi * B])
    _give(D, OD, dA, whhT, *(() if GO is None else (GO,)))
    cast = st["out_dtype"]

    def mk(a):
        return make(np.ascontiguousarray(a, dtype=cast))

    gxt = gwih = gbih = gh0 = gc0 = gwhh = gbhh = None
    if nW:
        gW = part  # rows back to torch's gate order [i, f, g, o]
        gW[:H3] = dW[H:]
        gW[H3:] = dW[:H]
        if nwhh:
            gwhh = mk(gW[:, :H])
        if nwih:
            gwih = mk(gW[:, H : K - 1 if has_b else K])
        if nbih:
            gbih = mk(gW[:, -1])
        if nbhh:
            gbhh = make(gW[:, -1].astype(cast))
        _give(Z2, dW, part)
    if nW or nx:
        _give(dA2)
    if nx:
        gxt = mk(gx.reshape(T, B, -1)[::-1].reshape(T * B, -1) if reverse else gx)
    if need_h0:
        gh0 = mk(dh.T)
    if node.needs(4):
        gc0 = mk(dc.T)
    return gxt, gwih, gbih, gh0, gc0, gwhh, gbhh


def _gru_forward(st, X, h, whh, bhh):
    xp = st["xp"]
    N, G = X.shape
    H = G // 3
    B, P = h.shape
    dt = X.dtype
    s = xp.full(G, 0.5, dt)
    s[2 * H :] = 1.0
    A = X.copy()
    if bhh is not None:
        A[:, : 2 * H] += bhh[: 2 * H]
        bn = bhh[2 * H :]
    else:
        bn = xp.zeros(H, dt)
    A[:, : 2 * H] *= 0.5
    WT = xp.ascontiguousarray((whh * s[:, None]).T)
    Hprev = xp.empty((N, P), dt)
    HN = xp.empty((N, H), dt)
    out = xp.empty((N, H), dt)
    mul, add, tanh, matmul, sub = xp.multiply, xp.add, xp.tanh, xp.matmul, xp.subtract
    for o, bs in st["order"]:
        e = o + bs
        hp = h[:bs]
        Hprev[o:e] = hp
        hh = matmul(hp, WT)
        hn = add(hh[:, 2 * H :], bn, out=HN[o:e])
        a = A[o:e]
        rz = a[:, : 2 * H]
        rz += hh[:, : 2 * H]
        tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        n = a[:, 2 * H :]
        n += mul(a[:, :H], hn)
        tanh(n, out=n)
        t = sub(hp, n)
        t *= a[:, H : 2 * H]
        add(t, n, out=hp)
        out[o:e] = hp
    st.update(A=A, Hprev=Hprev, HN=HN)
    return out


def _gru_backward(st, go, dh):
    xp = st["xp"]
    A, Hprev, HN, whh = st["A"], st["Hprev"], st["HN"], st["whh"]
    N, G = A.shape
    H = G // 3
    dt = A.dtype
    r, z, n = A[:, :H], A[:, H : 2 * H], A[:, 2 * H :]
    En = (1 - z) * (1 - n * n)  # d pre_n / d h'
    Ez = (Hprev - n) * z * (1 - z)  # d pre_z / d h'
    Er = HN * r * (1 - r)  # d pre_r / d pre_n
    dX = xp.empty((N, G), dt)
    dHH = xp.empty((N, G), dt)
    mul, matmul = xp.multiply, xp.matmul
    for o, bs in reversed(st["order"]):
        e = o + bs
        dhp = dh[:bs]
        if go is not None:
            dhp += go[o:e]
        dn = mul(dhp, En[o:e], out=dX[o:e, 2 * H :])
        mul(dhp, Ez[o:e], out=dHH[o:e, H : 2 * H])
        mul(dn, Er[o:e], out=dHH[o:e, :H])
        mul(dn, r[o:e], out=dHH[o:e, 2 * H :])
        dhp *= z[o:e]
        dhp += matmul(dHH[o:e], whh)
    dX[:, : 2 * H] = dHH[:, : 2 * H]
    gwhh = matmul(dHH.T, Hprev)
    gbhh = dHH.sum(0)
    return dX, dh, None, gwhh, gbhh, None


def _rnn_forward(st, X, h, whh, bhh, relu):
    xp = st["xp"]
    N = X.shape[0]
    dt = X.dtype
    A = X + bhh if bhh is not None else X.copy()
    WT = xp.ascontiguousarray(whh.T)
    Hprev = xp.empty((N, h.shape[1]), dt)
    matmul = xp.matmul
    for o, bs in st["order"]:
        e = o + bs
        hp = h[:bs]
        Hprev[o:e] = hp
        a = A[o:e]
        a += matmul(hp, WT)
        if relu:
            xp.maximum(a, 0, out=a)
        else:
            xp.tanh(a, out=a)
        hp[...] = a
    st.update(A=A, Hprev=Hprev, relu=relu)
    return A


def _rnn_backward(st, go, dh):
    xp = st["xp"]
    A, Hprev, whh = st["A"], st["Hprev"], st["whh"]
    D = (A > 0).astype(A.dtype) if st["relu"] else 1 - A * A
    dX = xp.empty_like(A)
    mul, matmul = xp.multiply, xp.matmul
    for o, bs in reversed(st["order"]):
        e = o + bs
        dhp = dh[:bs]
        if go is not None:
            dhp += go[o:e]
        d = mul(dhp, D[o:e], out=dX[o:e])
        matmul(d, whh, out=dhp)
    return dX, dh, None, matmul(dX.T, Hprev), dX.sum(0), None


# -- modules ----------------------------------------------------------------------------------------


def _autocast_gates(xw, state):
    """Under autocast torch's GRU and LSTM cells (and the LSTM with projections) compute their gates with
    lower-precision linears, then combine them with the state (c for LSTM, h for GRU) in the wider of the two
    dtypes: the cell runs, and returns its states, in that dtype. Returns (gates, the autocast dtype or None)."""
    if xw.dtype == state.dtype or not xw.is_floating_point():
        return xw, None
    wide = promote_types(xw.dtype, state.dtype)
    return (xw, None) if wide == xw.dtype else (xw.to(wide), xw.dtype)


def _apply_permutation(tensor, permutation, dim=1):
    return tensor.index_select(dim, permutation)


class RNNBase(Module):
    """Matches `torch.nn.RNNBase`: parameters weight_ih_l{k}[_reverse], weight_hh_l{k}, bias_ih_l{k},
    bias_hh_l{k}, weight_hr_l{k} registered in torch's order and initialised U(-1/sqrt(H), 1/sqrt(H))."""

    __constants__ = [
        "mode",
        "input_size",
        "hidden_size",
        "num_layers",
        "bias",
        "batch_first",
        "dropout",
        "bidirectional",
        "proj_size",
    ]
    __jit_unused_properties__ = ["all_weights"]

    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode == "LSTM":
            gate_size = 4 * hidden_size
        elif mode == "GRU":
            gate_size = 3 * hidden_size
        elif mode in ("RNN_TANH", "RNN_RELU"):
            gate_size = hidden_size
        else:
            raise ValueError("Unrecognized RNN mode: " + mode)
        fk = {"device": device, "dtype": dtype}
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                real_hidden_size = proj_size if proj_size > 0 else hidden_size
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                params = [
                    Parameter(ember.empty((gate_size, layer_input_size), **fk)),
                    Parameter(ember.empty((gate_size, real_hidden_size), **fk)),
                ]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    params += [Parameter(ember.empty(gate_size, **fk)), Parameter(ember.empty(gate_size, **fk))]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    params.append(Parameter(ember.empty((proj_size, hidden_size), **fk)))
                    names.append("weight_hr_l{}{}")
                suffix = "_reverse" if direction == 1 else ""
                names = [x.format(layer, suffix) for x in names]
                for name, param in zip(names, params):
                    setattr(self, name, param)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self._init_flat_weights()
        self.reset_parameters()

    def _init_flat_weights(self):
        self._flat_weights = [getattr(self, wn) if hasattr(self, wn) else None for wn in self._flat_weights_names]

    def __setattr__(self, attr, value):
        if "_flat_weights_names" in self.__dict__ and attr in self._flat_weights_names:
            idx = self._flat_weights_names.index(attr)
            self._flat_weights[idx] = value
        super().__setattr__(attr, value)

    def flatten_parameters(self):
        """No-op (a cuDNN memory-layout hint in torch)."""

    def _apply(self, fn, recurse=True):
        ret = super()._apply(fn, recurse)
        self._init_flat_weights()
        return ret

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def all_weights(self):
        return [[getattr(self, weight) for weight in weights] for weights in self._all_weights]

    def check_input(self, input, batch_sizes):
        w0 = getattr(self, self._flat_weights_names[0])
        if input.dtype != w0.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({w0.dtype}). "
                f"Convert input: input.to({w0.dtype}), or convert model: model.to({input.dtype})"
            )
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.size(-1)}"
            )

    def get_expected_hidden_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        h = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, h)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx, permutation)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def __setstate__(self, d):
        super().__setstate__(d)
        if "proj_size" not in d:
            self.proj_size = 0
        self._init_flat_weights()

    # -- the stacked, bidirectional recurrence -----------------------------------------------------

    def _run(self, x2, steps, hx, cx, weights=None):
        """x2: (N, input_size) time-major rows; hx: (L*D, B, P); cx: (L*D, B, H) or None; weights: the flat
        weights in `_flat_weights_names` order (default: the module's own)."""
        if AUTOCAST.on and weights is None and self.mode == "LSTM" and not self.proj_size:
            if x2.device.type == "cpu" and AUTOCAST.enabled.get("cpu", False):
                # torch's CPU LSTM is mkldnn_rnn_layer, on autocast's lower-precision list: input, states and
                # weights are cast to the autocast dtype and the layer runs in it
                ws = [getattr(self, n) for n in self._flat_weights_names]
                return autocast_call("mkldnn_rnn_layer", self._run, (x2, steps, hx, cx, ws), {})
        D = 2 if self.bidirectional else 1
        mode = self.mode
        names = self._flat_weights_names
        per = len(names) // (self.num_layers * D)
        has_b = self.bias
        proj = self.proj_size > 0
        layer_in = x2
        hns, cns = [], []
        # LSTM without projections whose batch size never changes: the fused layer (input projection inside)
        fused = mode == "LSTM" and not proj and steps[0][1] == steps[-1][1] and type(x2._data) is np.ndarray
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                idx = layer * D + d
                ws = (
                    [getattr(self, n) for n in names[idx * per : (idx + 1) * per]]
                    if weights is None
                    else weights[idx * per : (idx + 1) * per]
                )
                w_ih, w_hh = ws[0], ws[1]
                b_ih, b_hh = (ws[2], ws[3]) if has_b else (None, None)
                w_hr = ws[-1] if proj else None
                if fused:
                    out, hn, cn = _lstm_layer(
                        layer_in, len(steps), steps[0][1], w_ih, b_ih, hx[idx], cx[idx], w_hh, b_hh, d == 1
                    )
                    outs.append(out)
                    hns.append(hn)
                    cns.append(cn)
                    continue
                xw = F.linear(layer_in, w_ih, b_ih)
                low = None
                if AUTOCAST.on and mode != "RNN_TANH" and mode != "RNN_RELU":
                    xw, low = _autocast_gates(xw, hx if cx is None else cx)
                out, hn, cn = _recurrence(
                    mode, xw, steps, hx[idx], None if cx is None else cx[idx], w_hh, b_hh, w_hr, d == 1
                )
                if low is not None and w_hr is not None:
                    out, hn = out.to(low), hn.to(low)  # the projection is a linear: lower precision
                outs.append(out)
                hns.append(hn)
                cns.append(cn)
            layer_in = outs[0] if D == 1 else O.cat(outs, 1)
            if self.dropout != 0 and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        hn = hns[0].unsqueeze(0) if len(hns) == 1 else O.stack(hns, 0)
        cn = None
        if cx is not None:
            cn = cns[0].unsqueeze(0) if len(cns) == 1 else O.stack(cns, 0)
        return layer_in, hn, cn

    def _forward_impl(self, input, hx, cx):
        """Shared forward: returns (output, h_n, c_n) with torch's packing / batching conventions."""
        mode = self.mode
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        D = 2 if self.bidirectional else 1
        real_h = self.proj_size if self.proj_size > 0 else self.hidden_size
        lstm = mode == "LSTM"
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            bs = [int(b) for b in np.asarray(batch_sizes.numpy()).reshape(-1)]
            B = bs[0]
            if hx is None:
                hx = ember.zeros(self.num_layers * D, B, real_h, dtype=data.dtype, device=data.device)
                if lstm:
                    cx = ember.zeros(self.num_layers * D, B, self.hidden_size, dtype=data.dtype, device=data.device)
            elif sorted_indices is not None:
                hx = _apply_permutation(hx, sorted_indices)
                if lstm:
                    cx = _apply_permutation(cx, sorted_indices)
            self.check_input(data, batch_sizes)
            self._check_hidden(data, batch_sizes, hx, cx)
            offs = np.concatenate([[0], np.cumsum(bs)[:-1]])
            steps = [(int(o), b) for o, b in zip(offs, bs)]
            out, hn, cn = self._run(data, steps, hx, cx)
            if unsorted_indices is not None:
                hn = _apply_permutation(hn, unsorted_indices)
                if lstm:
                    cn = _apply_permutation(cn, unsorted_indices)
            return PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices), hn, cn
        if input.dim() not in (2, 3):
            if name == "RNN":
                raise ValueError(f"RNN: Expected input to be 2D or 3D, got {input.dim()}D tensor instead")
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
        if hx is not None:
            if lstm:
                if is_batched and (hx.dim() != 3 or cx.dim() != 3):
                    raise RuntimeError(
                        "For batched 3-D input, hx and cx should also be 3-D but got "
                        f"({hx.dim()}-D, {cx.dim()}-D) tensors"
                    )
                if not is_batched and (hx.dim() != 2 or cx.dim() != 2):
                    raise RuntimeError(
                        "For unbatched 2-D input, hx and cx should also be 2-D but got "
                        f"({hx.dim()}-D, {cx.dim()}-D) tensors"
                    )
                if not is_batched:
                    hx, cx = hx.unsqueeze(1), cx.unsqueeze(1)
            else:
                if is_batched and hx.dim() != 3:
                    raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
                if not is_batched:
                    if hx.dim() != 2:
                        raise RuntimeError(
                            f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor"
                        )
                    hx = hx.unsqueeze(1)
        B = input.size(0) if self.batch_first else input.size(1)
        if hx is None:
            hx = ember.zeros(self.num_layers * D, B, real_h, dtype=input.dtype, device=input.device)
            if lstm:
                cx = ember.zeros(self.num_layers * D, B, self.hidden_size, dtype=input.dtype, device=input.device)
        self.check_input(input, None)
        self._check_hidden(input, None, hx, cx)
        x = input.transpose(0, 1) if self.batch_first else input
        T = x.shape[0]
        steps = [(t * B, B) for t in range(T)]
        out, hn, cn = self._run(x.reshape(T * B, x.shape[2]), steps, hx, cx)
        out = out.reshape(T, B, out.shape[-1])
        if self.batch_first:
            out = out.transpose(0, 1)
        if not is_batched:
            out = out.squeeze(batch_dim)
            hn = hn.squeeze(1)
            if lstm:
                cn = cn.squeeze(1)
        return out, hn, cn

    def _check_hidden(self, input, batch_sizes, hx, cx):
        if self.mode == "LSTM":
            self.check_hidden_size(
                hx, self.get_expected_hidden_size(input, batch_sizes), "Expected hidden[0] size {}, got {}"
            )
            exp = self.get_expected_hidden_size(input, batch_sizes)[:2] + (self.hidden_size,)
            self.check_hidden_size(cx, exp, "Expected hidden[1] size {}, got {}")
        else:
            self.check_hidden_size(hx, self.get_expected_hidden_size(input, batch_sizes))


class RNN(RNNBase):
    """Matches `torch.nn.RNN` (Elman RNN, tanh or relu)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        out, hn, _ = self._forward_impl(input, hx, None)
        return out, hn


class LSTM(RNNBase):
    """Matches `torch.nn.LSTM` (with proj_size)."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        exp = self.get_expected_hidden_size(input, batch_sizes)
        return exp[:2] + (self.hidden_size,)

    def forward(self, input, hx=None):
        if hx is not None:
            h0, c0 = hx
        else:
            h0 = c0 = None
        out, hn, cn = self._forward_impl(input, h0, c0)
        return out, (hn, cn)


class GRU(RNNBase):
    """Matches `torch.nn.GRU`."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        out, hn, _ = self._forward_impl(input, hx, None)
        return out, hn


# -- cells ------------------------------------------------------------------------------------------


class RNNCellBase(Module):
    """Matches `torch.nn.RNNCellBase`: weight_ih, weight_hh, bias_ih, bias_hh."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        fk = {"device": device, "dtype": dtype}
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(ember.empty((num_chunks * hidden_size, input_size), **fk))
        self.weight_hh = Parameter(ember.empty((num_chunks * hidden_size, hidden_size), **fk))
        if bias:
            self.bias_ih = Parameter(ember.empty(num_chunks * hidden_size, **fk))
            self.bias_hh = Parameter(ember.empty(num_chunks * hidden_size, **fk))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check(self, input, hxs):
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected {self.input_size}")
        for i, h in enumerate(hxs):
            if h.size(0) != input.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{i} batch size {h.size(0)}")
            if h.size(1) != self.hidden_size:
                raise RuntimeError(
                    f"hidden{i} has inconsistent hidden_size: got {h.size(1)}, expected {self.hidden_size}"
                )

    def _step(self, mode, input, hx, cx):
        xw = F.linear(input, self.weight_ih, self.bias_ih)
        if AUTOCAST.on and mode != "RNN_TANH" and mode != "RNN_RELU":
            xw, _ = _autocast_gates(xw, hx if cx is None else cx)
        out, _, cn = _recurrence(mode, xw, [(0, input.size(0))], hx, cx, self.weight_hh, self.bias_hh, None, False)
        return out, cn

    def _prep(self, name, input, hx):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = ember.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
        elif not is_batched:
            hx = hx.unsqueeze(0)
        return input, hx, is_batched


class RNNCell(RNNCellBase):
    """Matches `torch.nn.RNNCell`."""

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, hx, is_batched = self._prep("RNNCell", input, hx)
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self._check(input, (hx,))
        ret, _ = self._step(mode, input, hx, None)
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """Matches `torch.nn.LSTMCell`: returns (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got {value.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = ember.zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
            hx = (zeros, zeros)
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check(input, hx)
        h, c = self._step("LSTM", input, hx[0], hx[1])
        if not is_batched:
            return h.squeeze(0), c.squeeze(0)
        return h, c


class GRUCell(RNNCellBase):
    """Matches `torch.nn.GRUCell`."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, hx, is_batched = self._prep("GRUCell", input, hx)
        self._check(input, (hx,))
        ret, _ = self._step("GRU", input, hx, None)
        return ret if is_batched else ret.squeeze(0)
