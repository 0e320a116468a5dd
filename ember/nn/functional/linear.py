"""Linear maps: linear (x @ W.T + b as one BLAS call with one fused graph node) and bilinear."""

import numpy as np

from ... import _ops as O
from ..._autocast import autocast_op
from ..._backend import ones_like_rows
from ..._ops._core import GRAD, Node, Tensor, arr, attach, make, scalar_type_name
from ..._ops.blas import _matmul_arrays as _mm  # one cuBLAS call on the GPU; half precision accumulates in float32
from ...cuda import _fused

__all__ = ["linear", "bilinear"]


def _add_bias(r, bd):
    """r += bd on r's rows, in place (one fused launch on the GPU: CuPy's in-place add costs twice its host time)."""
    if (
        _fused.usable(r)
        and bd.ndim == 1
        and bd.shape[0] == r.shape[-1]
        and r.flags.c_contiguous
        and bd.flags.c_contiguous
    ):
        _fused.add_bias_(r, bd)
    else:
        r += bd


def bias_grad(g2):
    """The column sums of g2 (rows, n): a bias's gradient (a GEMV with a ones vector on the CPU: BLAS, and more
    accurate than a row-by-row sum; one reduction launch on the GPU)."""
    if _fused.usable(g2) and g2.flags.c_contiguous:
        return _fused.col_sum(g2)
    if g2.dtype.kind == "f" and g2.itemsize >= 4:
        return ones_like_rows(g2, g2.shape[0]) @ g2
    return g2.sum(0)


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


class _LinearBackward(Node):
    """Backward of linear: saved input x (any rank >= 1) and weight W (out, in); one node for the fused op."""

    def backward(self, g):
        x, w = self.saved
        n0, n1, n2 = self.needs(0), self.needs(1), len(self.next_functions) > 2 and self.needs(2)
        if not GRAD.enabled and type(g._data) is type(x._data):
            # the batch folded into the rows: one 2-D GEMM for each gradient, whatever the input's rank
            gd, xd, wd = g._data, x._data, w._data
            out_f, in_f = wd.shape
            rows = xd.size // in_f if in_f else _prod(xd.shape[:-1])
            g2 = gd.reshape(rows, out_f)
            gx = make(_mm(g2, wd).reshape(xd.shape)) if n0 else None
            gw = make(_mm(g2.T, xd.reshape(rows, in_f))) if n1 else None
            if len(self.next_functions) == 2:
                return gx, gw
            gb = None
            if n2:
                gb = make(bias_grad(g2))
            return gx, gw, gb
        out_f, in_f = w.shape
        g2 = g.reshape(-1, out_f)
        gx = O.matmul(g, w) if n0 else None
        gw = O.mm(g2.t(), x.reshape(-1, in_f)) if n1 else None
        if len(self.next_functions) == 2:
            return gx, gw
        return gx, gw, g2.sum(0) if n2 else None


class AddmmBackward0(_LinearBackward):
    pass


class MmBackward0(_LinearBackward):
    pass


class ViewBackward0(_LinearBackward):
    pass


class UnsafeViewBackward0(_LinearBackward):
    pass


class SqueezeBackward4(_LinearBackward):
    pass


def _node_cls(ndim, has_bias):
    if ndim == 2:
        return AddmmBackward0 if has_bias else MmBackward0
    if ndim == 1:
        return ViewBackward0 if has_bias else SqueezeBackward4
    return ViewBackward0 if has_bias else UnsafeViewBackward0


def _tname(d):
    return scalar_type_name(d.dtype).lower()


def _one_place(xd, wd, bias):
    """Whether input, weight and bias arrays live on one device (the fused path's precondition)."""
    t = type(xd)
    if type(wd) is not t or (bias is not None and type(bias._data) is not t):
        return False
    if t is np.ndarray:
        return True
    dev = xd.device.id
    return wd.device.id == dev and (bias is None or bias._data.device.id == dev)


@autocast_op("linear")
def linear(input, weight, bias=None):
    """Matches `torch.nn.functional.linear`: input @ weight.T + bias."""
    if not isinstance(input, Tensor):
        raise TypeError(f"linear(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not isinstance(weight, Tensor):
        raise TypeError(f"linear(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"linear(): argument 'bias' (position 3) must be Tensor, not {type(bias).__name__}")
    xd, wd = input._data, weight._data
    if xd.ndim == 0 or wd.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {xd.ndim}D and {wd.ndim}D")
    if wd.ndim != 2 or not _one_place(xd, wd, bias):
        out = O.matmul(input, weight.t())  # (the generic ops raise the mixed-device errors)
        return out if bias is None else out + bias
    if xd.dtype != wd.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_tname(xd)} != {_tname(wd)}")
    out_f, in_f = wd.shape
    if xd.shape[-1] != in_f:
        rows = 1
        for s in xd.shape[:-1]:
            rows *= s
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{xd.shape[-1]} and {in_f}x{out_f})")
    # the batch folded into the rows: one 2-D GEMM (a 3-D matmul is one small GEMM per matrix)
    r = _mm(xd.reshape(_prod(xd.shape[:-1]), in_f), wd.T) if xd.ndim > 2 else _mm(xd, wd.T)
    if bias is not None:
        bd = bias._data
        if bd.dtype != xd.dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_tname(bd)} != {_tname(xd)}")
        if bd.ndim > 1 or (bd.ndim == 1 and bd.shape[0] not in (1, out_f)):
            rows = r.size // max(out_f, 1) if out_f else 0
            raise RuntimeError(
                f"The expanded size of the tensor ({out_f}) must match the existing size ({bd.shape[-1]}) at "
                f"non-singleton dimension 1.  Target sizes: [{rows}, {out_f}].  Tensor sizes: "
                f"[{', '.join(map(str, bd.shape))}]"
            )
        if r.ndim == 0:
            r = arr(r + bd)
        else:
            _add_bias(r, bd)
    if xd.ndim > 2:
        r = r.reshape(xd.shape[:-1] + (out_f,))
    out = make(arr(r))
    if GRAD.enabled and (input._requires_grad or weight._requires_grad or (bias is not None and bias._requires_grad)):
        node = _node_cls(xd.ndim, bias is not None)()
        node.save(input, weight)
        attach(out, node, (input, weight) if bias is None else (input, weight, bias))
    return out


@autocast_op("bilinear")
def bilinear(input1, input2, weight, bias=None):
    """Matches `torch.nn.functional.bilinear`: y = x1^T A x2 + b."""
    for t, nm, pos in ((input1, "input1", 1), (input2, "input2", 2), (weight, "weight", 3)):
        if not isinstance(t, Tensor):
            raise TypeError(f"bilinear(): argument '{nm}' (position {pos}) must be Tensor, not {type(t).__name__}")
    s1, s2, sw = tuple(input1.shape), tuple(input2.shape), tuple(weight.shape)
    if len(s1) != len(s2):
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {len(s1)} and {len(s2)}")
    for i in range(len(s1) - 1):
        if s1[i] != s2[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got {s1[i]} and {s2[i]}")
    if len(sw) != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, but got {len(sw)}")
    if s1[-1] != sw[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {s1[-1]} but expected {sw[1]}")
    if s2[-1] != sw[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {s2[-1]} but expected {sw[2]}")
    if bias is not None and tuple(bias.shape) != (sw[0],):
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias.shape[-1] if bias.ndim else 0} but "
            f"expected {sw[0]}"
        )
    lead = s1[:-1]
    x1 = input1.reshape(-1, s1[-1])
    x2 = input2.reshape(-1, s2[-1])
    # (N, in1) @ (in1, out*in2) -> (N, out, in2), then contract in2 with x2
    t = O.mm(x1, weight.permute(1, 0, 2).reshape(sw[1], sw[0] * sw[2])).reshape(-1, sw[0], sw[2])
    y = O.bmm(t, x2.unsqueeze(2)).squeeze(2)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, sw[0])
