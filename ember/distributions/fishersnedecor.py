"""Fisher-Snedecor (F) distribution: the ratio of two scaled chi-squared variables."""

import math
from numbers import Number

import ember

from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import broadcast_all, lgamma

__all__ = ["FisherSnedecor"]


class FisherSnedecor(Distribution):
    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        # X_i ~ Gamma(df_i / 2, df_i) is chi2(df_i) / df_i, so X_1 / X_2 ~ F(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        if isinstance(df1, Number) and isinstance(df2, Number):
            batch_shape = ember.Size()
        else:
            batch_shape = self.df1.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(FisherSnedecor, _instance)
        batch_shape = ember.Size(batch_shape)
        new.df1 = self.df1.expand(batch_shape)
        new.df2 = self.df2.expand(batch_shape)
        new._gamma1 = self._gamma1.expand(batch_shape)
        new._gamma2 = self._gamma2.expand(batch_shape)
        super(FisherSnedecor, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    # Undefined moments are nan; df2 itself is replaced by nan there (as torch does), so the other
    # parameter's gradient at those entries is nan too.
    def _df2_or_nan(self, bound):
        return ember.where(self.df2 > bound, self.df2, ember.full_like(self.df2, math.nan))

    @property
    def mean(self):
        df2 = self._df2_or_nan(2)
        return df2 / (df2 - 2)

    @property
    def mode(self):
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return ember.where(self.df1 > 2, mode, ember.full_like(mode, math.nan))

    @property
    def variance(self):
        df1, df2 = self.df1, self._df2_or_nan(4)
        return 2 * df2.pow(2) * (df1 + df2 - 2) / (df1 * (df2 - 2).pow(2) * (df2 - 4))

    def rsample(self, sample_shape=ember.Size()):
        shape = self._extended_shape(sample_shape)
        x1 = self._gamma1.rsample(sample_shape).reshape(tuple(shape))
        x2 = self._gamma2.rsample(sample_shape).reshape(tuple(shape))
        tiny = ember.finfo(x2.dtype).tiny
        return (x1 / x2.clamp(min=tiny)).clamp(min=tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        h1 = self.df1 * 0.5
        h2 = self.df2 * 0.5
        ratio = self.df1 / self.df2
        log_norm = lgamma(h1 + h2) - lgamma(h1) - lgamma(h2)
        return log_norm + h1 * ratio.log() + (h1 - 1) * ember.log(value) - (h1 + h2) * ember.log1p(ratio * value)
