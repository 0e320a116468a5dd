"""Top-level special functions torch exposes on `torch.` and as Tensor methods."""

from .. import special as _S
from ._core import bind

__all__ = ["lgamma", "digamma", "polygamma", "i0", "sinc", "mvlgamma", "igamma", "igammac"]


def lgamma(input, *, out=None):
    """Matches `torch.lgamma`."""
    return _S.gammaln(input, out=out)


def digamma(input, *, out=None):
    """Matches `torch.digamma`."""
    return _S.digamma(input)


def polygamma(n, input, *, out=None):
    """Matches `torch.polygamma`."""
    return _S.polygamma(n, input)


def i0(input, *, out=None):
    """Matches `torch.i0`."""
    return _S.i0(input)


def sinc(input, *, out=None):
    """Matches `torch.sinc`."""
    return _S.sinc(input)


def mvlgamma(input, p, *, out=None):
    """Matches `torch.mvlgamma`."""
    return _S.multigammaln(input, p)


def igamma(input, other, *, out=None):
    """Matches `torch.igamma`."""
    return _S.gammainc(input, other)


def igammac(input, other, *, out=None):
    """Matches `torch.igammac`."""
    return _S.gammaincc(input, other)


bind("lgamma", lgamma)
bind("digamma", digamma)
bind("polygamma", lambda self, n: _S.polygamma(n, self))
bind("i0", i0)
bind("sinc", sinc)
bind("mvlgamma", mvlgamma)
bind("igamma", igamma)
bind("igammac", igammac)
