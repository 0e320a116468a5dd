"""Helpers shared by the distributions: argument broadcasting, probs <-> logits, lazy properties, parameter
mixins, special functions that promote integer input to the default dtype, and private differentiable linear
algebra / gamma sampling."""

import math
from functools import update_wrapper
from numbers import Number

import numpy as np

import ember
from ember.autograd import Function

__all__ = [
    "broadcast_all",
    "logits_to_probs",
    "probs_to_logits",
    "clamp_probs",
    "lazy_property",
    "tril_matrix_to_vec",
    "vec_to_tril_matrix",
    "euler_constant",
]

euler_constant = 0.57721566490153286060


def _is_tensor(v):
    return isinstance(v, ember.Tensor)


def broadcast_all(*values):
    """Matches `torch.distributions.utils.broadcast_all`."""
    if not all(_is_tensor(v) or isinstance(v, Number) for v in values):
        raise ValueError(
            "Input arguments must all be instances of Number, torch.Tensor or objects implementing __torch_function__."
        )
    if not all(_is_tensor(v) for v in values):
        opts = {"dtype": ember.get_default_dtype()}
        for v in values:
            if _is_tensor(v):
                opts = {"dtype": v.dtype, "device": v.device}
                break
        values = [v if _is_tensor(v) else ember.tensor(v, **opts) for v in values]
    return ember.broadcast_tensors(*values)


def _standard_normal(shape, dtype, device):
    return ember.empty(tuple(shape), dtype=dtype, device=device).normal_()


def _sum_rightmost(value, dim):
    if dim == 0:
        return value
    return value.reshape(value.shape[: value.dim() - dim] + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary=False):
    if is_binary:
        return ember.sigmoid(logits)
    return ember.softmax(logits, dim=-1)


def clamp_probs(probs):
    eps = ember.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    ps = clamp_probs(probs)
    if is_binary:
        return ember.log(ps) - ember.log1p(-ps)
    return ember.log(ps)


class lazy_property:
    """A property computed on first access and then stored on the instance (as torch's)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with ember.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    def __init__(self, wrapped):
        property.__init__(self, wrapped)


def tril_matrix_to_vec(mat, diag=0):
    n = mat.shape[-1]
    if not (-n <= diag < n):
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    rows, cols = np.tril_indices(n, diag)
    flat = mat.reshape(mat.shape[:-2] + (n * n,))
    return flat[..., ember.tensor(rows * n + cols)]


def vec_to_tril_matrix(vec, diag=0):
    m = vec.shape[-1]
    n = 0
    while len(np.tril_indices(n, diag)[0]) < m:
        n += 1
    if len(np.tril_indices(n, diag)[0]) != m:
        raise ValueError(
            f"The size of last dimension is {m} which cannot be expressed as the lower triangular part of a square "
            "D x D matrix."
        )
    rows, cols = np.tril_indices(n, diag)
    idx = ember.tensor(rows * n + cols, device=vec.device).expand(vec.shape)
    flat = ember.zeros(vec.shape[:-1] + (n * n,), dtype=vec.dtype, device=vec.device)
    return flat.scatter(-1, idx, vec).reshape(vec.shape[:-1] + (n, n))


# -- numpy bridges ---------------------------------------------------------------------------


def _np(t):
    return t.detach().cpu().numpy()


def _from(a, like):
    """A tensor of `like`'s dtype and device holding the NumPy array `a`."""
    a = np.asarray(a)
    out = ember.from_numpy(a if a.flags.c_contiguous else a.copy())
    return out.to(device=like.device, dtype=like.dtype)


# -- special functions ------------------------------------------------------------------------------------


def _float(x):
    return x if x.is_floating_point() else x.to(ember.get_default_dtype())


def lgamma(x):
    return ember.lgamma(_float(x))


def digamma(x):
    return ember.digamma(_float(x))


def polygamma(n, x):
    return ember.polygamma(n, _float(x))


def mvlgamma(x, p):
    """Multivariate log-gamma of dimension p (sum of shifted lgammas)."""
    shifts = ember.arange(p, dtype=x.dtype, device=x.device) * -0.5
    return lgamma(x.unsqueeze(-1) + shifts).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


def betaln(a, b):
    return lgamma(a) + lgamma(b) - lgamma(a + b)


# -- linear algebra (private: ember has no linalg yet) ---------------------------------------------------


def _mT(x):
    return x.transpose(-2, -1)


class _CholeskyFn(Function):
    @staticmethod
    def forward(ctx, a):
        arr = _np(a)
        try:
            lo = np.linalg.cholesky(arr)
        except np.linalg.LinAlgError:
            raise RuntimeError(
                "linalg.cholesky: The factorization could not be completed because the input is not positive-definite."
            ) from None
        out = _from(lo, a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, gl):
        (lo,) = ctx.saved_tensors
        phi = ember.tril(_mT(lo).matmul(gl))
        phi = 0.5 * (phi + _mT(ember.tril(phi, -1)))
        ga = solve_triangular(_mT(lo), phi, upper=True)
        # right solve: X L = ga  <=>  L^T X^T = ga^T
        return _mT(solve_triangular(_mT(lo), _mT(ga), upper=True))


class _SolveTriangularFn(Function):
    @staticmethod
    def forward(ctx, a, b, upper):
        an, bn = _np(a), _np(b)
        an = np.triu(an) if upper else np.tril(an)
        shape = np.broadcast_shapes(an.shape[:-2], bn.shape[:-2])
        x = np.linalg.solve(np.broadcast_to(an, shape + an.shape[-2:]), np.broadcast_to(bn, shape + bn.shape[-2:]))
        out = _from(x, b if b.dtype == a.dtype else a)
        ctx.save_for_backward(a, out)
        ctx.upper = upper
        return out

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        upper = ctx.upper
        gb = solve_triangular(_mT(a), g, upper=not upper)
        ga = -gb.matmul(_mT(x))
        ga = ember.triu(ga) if upper else ember.tril(ga)
        return ga, gb, None


def cholesky(a):
    return _CholeskyFn.apply(a)


def solve_triangular(a, b, upper=False):
    """Solves a X = b for triangular a (batched, differentiable in both)."""
    return _SolveTriangularFn.apply(a, b, upper)


def cholesky_inverse(lo):
    eye = ember.eye(lo.shape[-1], dtype=lo.dtype, device=lo.device)
    linv = solve_triangular(lo, eye.expand(lo.shape), upper=False)
    return _mT(linv).matmul(linv)


def _precision_to_scale_tril(p):
    lf = cholesky(ember.flip(p, (-2, -1)))
    l_inv = ember.transpose(ember.flip(lf, (-2, -1)), -2, -1)
    eye = ember.eye(p.shape[-1], dtype=p.dtype, device=p.device)
    return solve_triangular(l_inv, eye.expand(l_inv.shape), upper=False)


def _scale_tril_of(scale_tril, covariance_matrix, precision_matrix):
    """The Cholesky factor of a covariance given by whichever one of the three is not None (scale_tril first)."""
    if scale_tril is not None:
        return scale_tril
    if covariance_matrix is not None:
        return cholesky(covariance_matrix)
    return _precision_to_scale_tril(precision_matrix)


# -- gamma sampling with implicit reparameterisation ----------------------------------------------------


def _sample_standard_gamma_np(alpha, gen):
    """Marsaglia-Tsang draws of Gamma(alpha, 1) (float64 array alpha > 0) from ember generator `gen`."""
    a = np.asarray(alpha, np.float64)
    flat = a.reshape(-1)
    boost = flat < 1.0
    d = np.where(boost, flat + 1.0, flat) - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    out = np.empty_like(flat)
    todo = np.arange(flat.size)
    f64 = np.dtype(np.float64)
    while todo.size:
        n = todo.size
        z = gen.normal((n,), f64)
        u = gen.uniform((n,), f64)
        dd, cc = d[todo], c[todo]
        v = (1.0 + cc * z) ** 3
        with np.errstate(invalid="ignore", divide="ignore"):
            ok = (v > 0) & (np.log(u) < 0.5 * z * z + dd - dd * v + dd * np.log(v))
        out[todo[ok]] = (dd * v)[ok]
        todo = todo[~ok]
    if boost.any():
        idx = np.nonzero(boost)[0]
        u = gen.uniform((idx.size,), f64)
        with np.errstate(divide="ignore", under="ignore"):
            out[idx] *= u ** (1.0 / flat[idx])
    return out.reshape(a.shape)


def _standard_gamma_grad_np(x, alpha):
    """d x / d alpha for x ~ Gamma(alpha, 1) at fixed CDF value: -(dF/dalpha) / pdf (the implicit gradient)."""
    from scipy import special  # noqa: PLC0415

    x = np.asarray(x, np.float64)
    alpha = np.asarray(alpha, np.float64)
    h = 1e-5 * np.maximum(alpha, 1e-3)
    dfda = (special.gammainc(alpha + h, x) - special.gammainc(alpha - h, x)) / (2 * h)
    with np.errstate(divide="ignore", under="ignore", over="ignore", invalid="ignore"):
        logpdf = (alpha - 1) * np.log(x) - x - special.gammaln(alpha)
        res = -dfda / np.exp(logpdf)
    return np.nan_to_num(res, nan=0.0, posinf=0.0, neginf=0.0)


class _StandardGammaFn(Function):
    @staticmethod
    def forward(ctx, alpha):
        arr = _sample_standard_gamma_np(_np(alpha), ember.default_generator)
        out = _from(arr, alpha)
        tiny = ember.finfo(alpha.dtype).tiny
        out = out.clamp(min=tiny)
        ctx.save_for_backward(alpha, out)
        return out

    @staticmethod
    def backward(ctx, g):
        alpha, x = ctx.saved_tensors
        return g * _from(_standard_gamma_grad_np(_np(x), _np(alpha)), alpha)


def standard_gamma(alpha):
    """Gamma(alpha, 1) samples of alpha's shape; differentiable w.r.t. alpha by implicit reparameterisation."""
    return _StandardGammaFn.apply(alpha)


class LocScaleParams:
    """The loc / scale pair of the location-scale families (Normal, Laplace, Cauchy), broadcast together."""

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        if isinstance(loc, Number) and isinstance(scale, Number):
            batch_shape = ember.Size()
        else:
            batch_shape = self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def _expand_params(self, new, batch_shape):
        """The rest of expand once `new` is made: loc and scale expanded, then the distribution initialised."""
        batch_shape = ember.Size(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        super(LocScaleParams, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new


class ScaleTrilParams:
    """scale_tril and covariance_matrix of the distributions that keep a Cholesky factor
    `_unbroadcasted_scale_tril` (MultivariateNormal, Wishart), expanded to their `_matrix_shape()`."""

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        lo = self._unbroadcasted_scale_tril
        return ember.matmul(lo, _mT(lo)).expand(self._matrix_shape())


class CategoricalParams:
    """probs, logits, param_shape and _new of the distributions built on a Categorical (Multinomial,
    OneHotCategorical, ExpRelaxedCategorical), read from their `_categorical`."""

    def _new(self, *args, **kwargs):
        return self._categorical._new(*args, **kwargs)

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def param_shape(self):
        return self._categorical.param_shape


class RelaxedParams:
    """temperature, logits and probs of a relaxed (Concrete) distribution, read from its base distribution."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


_NO_COUNT = object()


class BinaryProbsLogits:
    """probs and logits of a two-outcome parameter: whichever was not given is derived lazily from the other."""

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)


class BinaryParams(BinaryProbsLogits):
    """The probs / logits pair of the two-outcome distributions (Bernoulli, Binomial, NegativeBinomial,
    LogitRelaxedBernoulli, ContinuousBernoulli): exactly one is given, the other is derived lazily."""

    def _set_params(self, probs, logits, total_count=_NO_COUNT):
        """Store probs or logits (broadcast with total_count, which takes its dtype) and return the batch shape."""
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name, value = ("probs", probs) if probs is not None else ("logits", logits)
        if total_count is _NO_COUNT:
            (param,) = broadcast_all(value)
            batch_shape = ember.Size() if isinstance(value, Number) else param.size()
        else:
            total_count, param = broadcast_all(total_count, value)
            self.total_count = total_count.type_as(param)
            batch_shape = param.size()
        setattr(self, name, param)
        self._param = param
        return batch_shape

    def _expand_params(self, new, cls, batch_shape):
        """The rest of cls.expand once `new` is made: total_count, probs or logits expanded, then initialised."""
        batch_shape = ember.Size(batch_shape)
        if "total_count" in self.__dict__:
            new.total_count = self.total_count.expand(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
            new._param = new.logits
        super(cls, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _new(self, *args, **kwargs):
        return self._param.new_empty(*args, **kwargs)

    @property
    def param_shape(self):
        return self._param.size()
