"""normalize, cosine_similarity, pairwise_distance, pdist."""

import numpy as np

import ember

from ..._autocast import AUTOCAST, autocast_call
from ..._ops._core import make

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "pdist"]


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """Matches `torch.nn.functional.normalize`."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    r = input / denom
    if out is not None:
        with ember.no_grad():
            out.copy_(r)
        return out
    return r


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Matches `torch.nn.functional.cosine_similarity` (norms clamped to eps outside the graph, as torch)."""
    if AUTOCAST.on:
        return autocast_call("cosine_similarity", cosine_similarity, (x1, x2, dim, eps), {})
    x1, x2 = ember.broadcast_tensors(x1, x2)
    n1 = x1.norm(2, dim, keepdim=True)
    n2 = x2.norm(2, dim, keepdim=True)
    with ember.no_grad():
        c1 = n1.clamp_min(eps) - n1
        c2 = n2.clamp_min(eps) - n2
    return ((x1 / (n1 + c1)) * (x2 / (n2 + c2))).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """Matches `torch.nn.functional.pairwise_distance`."""
    d = max(x1.dim(), x2.dim())
    if d == 0:
        return (x1 - x2 + eps).abs()
    return (x1 - x2 + eps).norm(p, d - 1, keepdim=keepdim)


def pdist(input, p=2):
    """Matches `torch.nn.functional.pdist`."""
    if AUTOCAST.on:
        return autocast_call("pdist", pdist, (input, p), {})
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    return (input[make(i)] - input[make(j)]).norm(p, 1)
