"""Random sampling: rand/randn/randint/randperm/normal/bernoulli/multinomial/poisson, the *_like
variants, and the in-place fills (uniform_, normal_, random_, exponential_, geometric_, cauchy_,
log_normal_, bernoulli_). Every draw goes through a method of ember.Generator (ember/_generator.py)."""

import math
import numbers

import numpy as np

from .. import _dtype as D
from .._backend import to_device
from .._device import as_device
from .._generator import default_generator
from ._core import GRAD, Node, Tensor, attach, bind, inplace, make, scalar_type_name
from ._core import check_inplace as _check_inplace
from .creation import _sizes, zeros_like

__all__ = [
    "rand",
    "randn",
    "randint",
    "randperm",
    "normal",
    "bernoulli",
    "multinomial",
    "poisson",
    "rand_like",
    "randn_like",
    "randint_like",
]


def _gen(generator, device=None):
    """The generator a draw for `device` uses: the one given (of the device's type, as torch checks), else the
    default generator of the device (a CUDA device's own Philox generator, the CPU's default otherwise)."""
    dev = as_device(device)
    if generator is not None:
        if generator.device.type != dev.type:
            raise RuntimeError(f"Expected a '{dev.type}' device type for generator but found '{generator.device.type}'")
        return generator
    if dev.type == "cuda":
        from ..cuda.random import generator_for  # noqa: PLC0415 - ember.cuda imports the ops

        return generator_for(dev)
    return default_generator


def _not_implemented(kernel, dt):
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{scalar_type_name(dt)}'")


# -- backward nodes: random outputs do not depend on their parameters ----------------------


class _ZeroGrad(Node):
    def backward(self, g):
        n = len(self.next_functions)
        return tuple(zeros_like(g) if self.needs(i) else None for i in range(n)) if n > 1 else zeros_like(g)


class UniformBackward0(_ZeroGrad):
    pass


class NormalBackward0(_ZeroGrad):
    pass


class NormalBackward1(_ZeroGrad):
    pass


class NormalBackward2(_ZeroGrad):
    pass


class NormalBackward3(_ZeroGrad):
    pass


class RandomBackward0(_ZeroGrad):
    pass


class RandomBackward1(_ZeroGrad):
    pass


class RandomBackward2(_ZeroGrad):
    pass


class ExponentialBackward0(_ZeroGrad):
    pass


class GeometricBackward0(_ZeroGrad):
    pass


class CauchyBackward0(_ZeroGrad):
    pass


class LogNormalBackward0(_ZeroGrad):
    pass


class BernoulliBackward0(_ZeroGrad):
    pass


class BernoulliBackward1(_ZeroGrad):
    pass


class BernoulliBackward2(_ZeroGrad):
    pass


class PoissonBackward0(_ZeroGrad):
    pass


# -- helpers -------------------------------------------------------------------------------


def _finish(arr, device, requires_grad, out=None, opname="op"):
    dev = as_device(device)
    if dev.type != "cpu":
        arr = to_device(arr, dev)
    if out is not None:
        if tuple(out._data.shape) != tuple(arr.shape):
            out._data = to_device(np.empty(arr.shape, out._data.dtype), out.device)
        return inplace(out, arr.astype(out._data.dtype, copy=False), None, (out,), opname)
    t = make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_sample(gen, shape, dt, kind, kernel, device=None, **kw):
    """Samples of a float or complex dtype; complex draws interleaved (real, imag) pairs. A CUDA generator
    draws float32/float64 samples on the GPU (the same numbers its host side would give)."""
    if dt._cat == D._FLOAT:
        if device is not None and device.type == "cuda" and hasattr(gen, "device_sample"):
            r = gen.device_sample(kind, shape, dt.np, device, **kw)
            if r is not None:
                return r
        return getattr(gen, kind)(shape, dt.np, **kw)
    if dt._cat == D._COMPLEX:
        real = dt.to_real().np
        if kind == "normal":
            kw = {"mean": kw.get("mean", 0.0), "std": kw.get("std", 1.0) * math.sqrt(0.5)}
        parts = getattr(gen, kind)(tuple(shape) + (2,), real, **kw)
        return np.ascontiguousarray(parts).view(dt.np).reshape(shape)
    _not_implemented("check_uniform_bounds" if kind == "uniform" else "normal_kernel_cpu", dt)


def _write(self, arr, node_cls, opname, extra=()):
    """In-place fill of `self` with `arr`; random fills of a leaf that requires grad raise as in torch."""
    if GRAD.enabled and self._requires_grad:
        _check_inplace(self, opname)
        node = node_cls()
        return inplace(self, arr, node, (self,) + tuple(extra), opname)
    return inplace(self, arr, None, (self,), opname)


def _size_arg(size, opname):
    if len(size) == 1 and isinstance(size[0], (tuple, list)) or len(size) == 1 and type(size[0]).__name__ == "Size":
        size = tuple(size[0])
    return _sizes(tuple(size), opname)


# -- factories -----------------------------------------------------------------------------


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """Matches `torch.rand`."""
    shape = _size_arg(size, "rand")
    dt = dtype or D.get_default_dtype()
    dev = as_device(device)
    arr = _float_sample(_gen(generator, dev), shape, dt, "uniform", "check_uniform_bounds", dev)
    return _finish(arr, device, requires_grad, out, "rand")


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """Matches `torch.randn`."""
    shape = _size_arg(size, "randn")
    dt = dtype or D.get_default_dtype()
    dev = as_device(device)
    arr = _float_sample(_gen(generator, dev), shape, dt, "normal", "normal_kernel_cpu", dev, mean=0.0, std=1.0)
    return _finish(arr, device, requires_grad, out, "randn")


_C_NAMES = {
    "bool": "bool",
    "uint8": "unsigned char",
    "int8": "signed char",
    "int16": "short",
    "int32": "int",
    "int64": "long",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "float32": "float",
    "float64": "double",
}


def _check_from_to(low, high, dt, opname="random_"):
    if not low < high:
        raise RuntimeError(f"{opname} expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if dt._cat <= D._INT:
        if dt is D.bool:
            lo, hi = 0, 1
        else:
            info = np.iinfo(dt.np)
            lo, hi = int(info.min), int(info.max)
        if not lo <= low <= hi:
            raise RuntimeError(f"from is out of bounds for {_C_NAMES[dt.name]}")
        if not lo <= high - 1 <= hi:
            raise RuntimeError(f"to - 1 is out of bounds for {_C_NAMES[dt.name]}")
    elif dt._cat == D._COMPLEX:
        _not_implemented("random_from_to_range_calc", dt)


def _as_int(x, opname, name):
    if isinstance(x, Tensor):
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        if isinstance(x, float) and x == int(x):
            return int(x)
        raise TypeError(f"{opname}(): argument '{name}' must be int, not {type(x).__name__}")
    return int(x)


def randint(
    *args,
    low=None,
    high=None,
    size=None,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
):
    """Matches `torch.randint(low=0, high, size)`."""
    args = list(args)
    if size is None:
        if not args:
            raise TypeError("randint() missing required argument 'size'")
        size = args.pop()
    if high is None:
        if not args:
            raise TypeError("randint() missing required argument 'high'")
        high = args.pop()
    if low is None:
        low = args.pop() if args else 0
    if args:
        raise TypeError("randint() received an invalid combination of arguments")
    low, high = _as_int(low, "randint", "low"), _as_int(high, "randint", "high")
    shape = _sizes(tuple(size) if isinstance(size, (tuple, list)) else (size,), "randint")
    dt = dtype or D.int64
    _check_from_to(low, high, dt)
    arr = _gen(generator, device).randint(shape, low, high, dt.np)
    return _finish(arr, device, requires_grad, out, "randint")


def randperm(
    n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False
):
    """Matches `torch.randperm`."""
    n = _as_int(n, "randperm", "n")
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dt = dtype or D.int64
    if dt._cat <= D._INT and dt is not D.int64 and n > 0:
        if dt is D.bool or n - 1 > int(np.iinfo(dt.np).max):
            raise RuntimeError(f"n is too large for result tensor type: '{dt._tname.replace('Tensor', '')}'")
    arr = _gen(generator, device).permutation(n).astype(dt.np)
    return _finish(arr, device, requires_grad, out, "randperm")


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    """Matches `torch.rand_like`."""
    dt = dtype or input.dtype
    dev = input.device if device is None else as_device(device)
    arr = _float_sample(_gen(generator, dev), input._data.shape, dt, "uniform", "check_uniform_bounds", dev)
    return _finish(arr, dev, requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    """Matches `torch.randn_like`."""
    dt = dtype or input.dtype
    dev = input.device if device is None else as_device(device)
    arr = _float_sample(
        _gen(generator, dev), input._data.shape, dt, "normal", "normal_kernel_cpu", dev, mean=0.0, std=1.0
    )
    return _finish(arr, dev, requires_grad)


def randint_like(
    input,
    low=0,
    high=None,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    memory_format=None,
):
    """Matches `torch.randint_like(input, low=0, high)`."""
    if high is None:
        low, high = 0, low
    low, high = _as_int(low, "randint_like", "low"), _as_int(high, "randint_like", "high")
    dt = dtype or input.dtype
    _check_from_to(low, high, dt)
    dev = input.device if device is None else as_device(device)
    arr = _gen(generator, dev).randint(input._data.shape, low, high, dt.np)
    return _finish(arr, dev, requires_grad)


# -- normal ----------------------------------------------------------------------------------


def _check_std_scalar(std):
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_num_str(std)}")


def _num_str(x):
    return str(int(x)) if isinstance(x, float) and x == int(x) and math.isfinite(x) else str(x)


def _check_float_tensor(t, kernel):
    if t.dtype._cat < D._FLOAT:
        _not_implemented(kernel, t.dtype)


def normal(
    mean=0.0,
    std=1.0,
    size=None,
    *,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
):
    """Matches `torch.normal`: (Tensor, Tensor), (Tensor, float), (float, Tensor), (float, float, size)."""
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    gen = _gen(generator, (mean if mt else std).device if mt or st else device)
    if not mt and not st:
        if size is None:
            raise TypeError(
                "normal() received an invalid combination of arguments - got (float, float), but expected one of:\n"
                " * (Tensor mean, Tensor std)\n * (Tensor mean, float std)\n * (float mean, Tensor std)\n"
                " * (float mean, float std, tuple of ints size)"
            )
        _check_std_scalar(std)
        shape = _size_arg((size,), "normal")
        dt = dtype or D.get_default_dtype()
        dev = as_device(device)
        arr = _float_sample(gen, shape, dt, "normal", "normal_kernel_cpu", dev, mean=mean, std=std)
        return _finish(arr, dev, requires_grad, out, "normal")
    if mt and st:
        dt = mean.dtype  # torch: the output takes mean's dtype
        _check_float_tensor(mean, "normal_kernel_cpu")
        _check_float_tensor(std, "normal_kernel_cpu")
        if (std._data < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = np.broadcast_shapes(mean._data.shape, std._data.shape)
        m, s = mean._data.astype(dt.np, copy=False), std._data.astype(dt.np, copy=False)
        node_cls, inputs = NormalBackward3, (mean, std)
    elif mt:
        dt = mean.dtype
        _check_float_tensor(mean, "normal_kernel_cpu")
        _check_std_scalar(std)
        shape = mean._data.shape
        m, s = mean._data, dt.np.type(std)
        node_cls, inputs = NormalBackward1, (mean,)
    else:
        dt = std.dtype
        _check_float_tensor(std, "normal_kernel_cpu")
        if (std._data < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = std._data.shape
        m, s = dt.np.type(mean), std._data
        node_cls, inputs = NormalBackward2, (std,)
    z = gen.normal(tuple(shape), dt.np)
    if not isinstance(m, np.ndarray) and not isinstance(s, np.ndarray):
        arr = z
    else:
        xs = (s if isinstance(s, np.ndarray) else np.asarray(s)).__array__()
        xm = m if isinstance(m, np.ndarray) else np.asarray(m)
        arr = (z * _host(xs) + _host(xm)).astype(dt.np, copy=False)
    dev = (mean if mt else std).device
    if out is not None:
        return _finish(arr, dev, False, out, "normal")
    res = _finish(arr, dev, False)
    if GRAD.enabled and any(t._requires_grad for t in inputs):
        attach(res, node_cls(), inputs)
    return res


def _host(a):
    return a if type(a) is np.ndarray else a.get()


# -- bernoulli / multinomial / poisson -----------------------------------------------------


def bernoulli(input, p=None, *, generator=None, out=None):
    """Matches `torch.bernoulli(input)` (probabilities in input) and `torch.bernoulli(input, p)`."""
    gen = _gen(generator, input.device)
    dt = input.dtype
    if p is not None:
        _check_p(p)
        if dt._cat < D._FLOAT and dt is not D.bool and dt._cat != D._INT:
            _not_implemented("bernoulli_scalar_cpu_", dt)
        arr = gen.bernoulli(np.full(input._data.shape, p, np.float64), dt.np)
        return _finish(arr, input.device, False, out, "bernoulli")
    if dt._cat != D._FLOAT:
        _not_implemented("bernoulli_tensor_cpu_p_", dt)
    pa = _host(input._data)
    if ((pa < 0) | (pa > 1)).any():
        raise RuntimeError(
            "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be improved?  "
            "If so, please report an enhancement request to PyTorch.)"
        )
    arr = gen.bernoulli(pa, dt.np)
    res = _finish(arr, input.device, False, out, "bernoulli")
    if out is None and GRAD.enabled and input._requires_grad:
        attach(res, BernoulliBackward0(), (input,))
    return res


def _check_p(p):
    if isinstance(p, Tensor):
        return
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_num_str(p)}")


def _bernoulli_(self, p=0.5, *, generator=None):
    gen = _gen(generator, self.device)
    dt = self.dtype
    if dt._cat == D._COMPLEX:
        _not_implemented("bernoulli_scalar_cpu_", dt)
    if isinstance(p, Tensor):
        if p.dtype._cat != D._FLOAT:
            _not_implemented("bernoulli_tensor_cpu_p_", p.dtype)
        pa = _host(p._data)
        if ((pa < 0) | (pa > 1)).any():
            raise RuntimeError(
                "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be "
                "improved?  If so, please report an enhancement request to PyTorch.)"
            )
        pa = np.broadcast_to(pa, self._data.shape)
        arr = gen.bernoulli(pa, dt.np)
        return _write(self, _like_device(self, arr), BernoulliBackward1, "bernoulli_", (p,))
    _check_p(p)
    arr = None
    if self.device.type == "cuda" and hasattr(gen, "device_sample"):
        arr = gen.device_sample("bernoulli", self._data.shape, dt.np, self.device, p=float(p), scale=1.0)
    if arr is None:
        arr = gen.bernoulli(np.full(self._data.shape, p, np.float64), dt.np)
    return _write(self, _like_device(self, arr), BernoulliBackward2, "bernoulli_")


def _scaled_bernoulli_cuda(shape, dtype, device, p, scale):
    """A CUDA tensor of `scale` where a draw of bernoulli(p) is 1, else 0, drawn in one kernel as
    `empty(...).bernoulli_(p).mul_(scale)` would draw it (dropout's mask); None off the GPU path."""
    dev = as_device(device)
    gen = _gen(None, dev)
    if dev.type != "cuda" or not hasattr(gen, "device_sample"):
        return None
    arr = gen.device_sample("bernoulli", tuple(shape), dtype.np, dev, p=float(p), scale=scale)
    return None if arr is None else make(arr)


def _bernoulli_method(self, p=None, *, generator=None):
    return bernoulli(self, p, generator=generator)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Matches `torch.multinomial`."""
    dt = input.dtype
    if dt._cat != D._FLOAT:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {scalar_type_name(dt)}")
    nd = input._data.ndim
    if nd not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    num_samples = _as_int(num_samples, "multinomial", "num_samples")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = input._data.shape[-1]
    if not replacement and num_samples > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    p = _host(input._data).astype(np.float64).reshape(-1, k)
    if not np.isfinite(p).all() or (p < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (p.sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    idx = _gen(generator, input.device).multinomial(p, num_samples, replacement)
    if nd == 1:
        idx = idx.reshape(num_samples)
    return _finish(idx, input.device, False, out, "multinomial")


def poisson(input, generator=None):
    """Matches `torch.poisson`."""
    dt = input.dtype
    if dt._cat != D._FLOAT:
        _not_implemented("poisson_cpu", dt)
    rates = _host(input._data)
    if (rates < 0).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    arr = _gen(generator, input.device).poisson(rates.astype(np.float64), dt.np)
    res = _finish(arr, input.device, False)
    if GRAD.enabled and input._requires_grad:
        attach(res, PoissonBackward0(), (input,))
    return res


# -- in-place fills ------------------------------------------------------------------------


def _like_device(self, arr):
    return arr if type(self._data) is np.ndarray else to_device(arr, self.device)


def _float_only(self, kernel):
    dt = self.dtype
    if dt._cat < D._FLOAT:
        _not_implemented(kernel, dt)
    return dt


def _uniform_(self, from_=0.0, to=1.0, *, generator=None, **kw):
    if "from" in kw:
        from_ = kw.pop("from")
    dt = _float_only(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={_num_str(from_)} > to={_num_str(to)}"
        )
    gen = _gen(generator, self.device)
    arr = _float_sample(gen, self._data.shape, dt, "uniform", "check_uniform_bounds", self.device, low=from_, high=to)
    return _write(self, _like_device(self, arr), UniformBackward0, "uniform_")


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    dt = _float_only(self, "normal_kernel_cpu")
    _check_std_scalar(std)
    gen = _gen(generator, self.device)
    arr = _float_sample(gen, self._data.shape, dt, "normal", "normal_kernel_cpu", self.device, mean=mean, std=std)
    return _write(self, _like_device(self, arr), NormalBackward0, "normal_")


def _random_(self, *args, generator=None, **kw):
    dt = self.dtype
    if dt._cat == D._COMPLEX:
        _not_implemented("random_", dt)
    args = list(args)
    if "from" in kw:
        args.insert(0, kw.pop("from"))
    if "to" in kw:
        args.append(kw.pop("to"))
    gen = _gen(generator, self.device)
    if not args:
        arr = gen.random_full(self._data.shape, dt.np)
        node = RandomBackward2
    else:
        if len(args) == 1:
            low, high = 0, args[0]
            node = RandomBackward1
        else:
            low, high = args
            node = RandomBackward0
        low, high = _as_int(low, "random_", "from"), _as_int(high, "random_", "to")
        _check_from_to(low, high, dt)
        arr = gen.randint(self._data.shape, low, high, dt.np)
    return _write(self, _like_device(self, arr), node, "random_")


def _exponential_(self, lambd=1.0, *, generator=None):
    dt = self.dtype
    if dt._cat < D._FLOAT:
        raise RuntimeError(
            "Exponential distribution is a continuous probability distribution. dtype must be a floating point "
            f"but you specified {scalar_type_name(dt)}"
        )
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_num_str(lambd)}")
    arr = _gen(generator, self.device).exponential(self._data.shape, dt.np, lambd)
    return _write(self, _like_device(self, arr), ExponentialBackward0, "exponential_")


def _geometric_(self, p, *, generator=None):
    dt = self.dtype
    if dt._cat == D._COMPLEX:
        _not_implemented("geometric_cpu", dt)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_num_str(p)}")
    arr = _gen(generator, self.device).geometric(self._data.shape, dt.np, p)
    return _write(self, _like_device(self, arr), GeometricBackward0, "geometric_")


def _cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    dt = self.dtype
    if dt._cat < D._FLOAT:
        cname = {"int64": "long int", "int16": "short int"}.get(dt.name, _C_NAMES[dt.name])
        raise RuntimeError(
            "Cauchy distribution is a continuous probability distribution. dtype must be a floating point but "
            f"you specified {cname}"
        )
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_num_str(sigma)}")
    arr = _gen(generator, self.device).cauchy(self._data.shape, dt.np, median, sigma)
    return _write(self, _like_device(self, arr), CauchyBackward0, "cauchy_")


def _log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    dt = _float_only(self, "log_normal_cpu")
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_num_str(std)}")
    arr = _gen(generator, self.device).log_normal(self._data.shape, dt.np, mean, std)
    return _write(self, _like_device(self, arr), LogNormalBackward0, "log_normal_")


def _multinomial_method(self, num_samples, replacement=False, *, generator=None):
    return multinomial(self, num_samples, replacement, generator=generator)


bind("uniform_", _uniform_)
bind("normal_", _normal_)
bind("random_", _random_)
bind("exponential_", _exponential_)
bind("geometric_", _geometric_)
bind("cauchy_", _cauchy_)
bind("log_normal_", _log_normal_)
bind("bernoulli_", _bernoulli_)
bind("bernoulli", _bernoulli_method)
bind("multinomial", _multinomial_method)
