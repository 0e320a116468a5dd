"""Random number generators: `Generator` and the module's `default_generator`.

Every random draw in ember goes through a method of `Generator`, so the engine behind it can change
without touching op code. The engine is a 32-bit Mersenne Twister (MT19937) seeded as PyTorch's CPU
generator seeds it, and the methods turn its 32-bit words into samples with PyTorch's CPU formulas
where they are simple (uniform floats from 24/53 mantissa bits, `random() % range` integers, the
Box-Muller normals with PyTorch's 16-wide blocks, Fisher-Yates randperm), so that `rand`, `randint`,
`randperm` and (up to float rounding in the last bit) `randn` give PyTorch's numbers for the same
seed. The other distributions draw from the same stream with NumPy's samplers.

`get_state()` returns PyTorch's 5056-byte CPU generator state layout, so states can be exchanged with
`torch.get_rng_state()` / `torch.set_rng_state()`.
"""

import math
import os

import numpy as np

from . import _philox
from ._device import as_device

__all__ = ["Generator", "default_generator", "DEFAULT_SEED"]

DEFAULT_SEED = 67280421310721
_N = 624
_STATE_SIZE = 5056
_U64 = (1 << 64) - 1
_TWO_PI = 2.0 * math.pi
_F64 = np.dtype(np.float64)
_F32 = np.dtype(np.float32)

# float mantissa digits (std::numeric_limits<T>::digits)
_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}


def _digits(npdt):
    return _DIGITS["bfloat16" if npdt.kind == "V" or npdt.name == "bfloat16" else npdt.name]


def _unit_bits(npdt):
    """Bits per uniform sample: half and bfloat16 are sampled as float (24 bits) and rounded."""
    return 53 if npdt == np.float64 else 24


def _check_seed(seed):
    try:
        seed = int(seed)
    except (TypeError, ValueError):
        raise TypeError(f"manual_seed expected a long, but got {type(seed).__name__}") from None
    if not -(1 << 63) <= seed <= _U64:
        raise ValueError("Overflow when unpacking long long")
    return seed & _U64


def _state_array(new_state):
    """The bytes of a generator state tensor, checked as torch checks them (a ByteTensor)."""
    from ._tensor import Tensor  # noqa: PLC0415

    if not isinstance(new_state, Tensor):
        raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
    if new_state.dtype.name != "uint8":
        raise RuntimeError(f"expected a torch.ByteTensor, but got {new_state.dtype._tname.replace('Tensor', '')}")
    return np.ascontiguousarray(new_state.__array__())


class Generator:
    """Matches `torch.Generator`. A CUDA device gives a CudaGenerator (a Philox stream, as torch's CUDA
    generators are)."""

    def __new__(cls, device="cpu"):
        if cls is Generator and as_device(device).type == "cuda":
            return object.__new__(CudaGenerator)
        return object.__new__(cls)

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self._bg = np.random.MT19937()
        self._np = np.random.Generator(self._bg)
        self.manual_seed(DEFAULT_SEED)

    def __repr__(self):
        return f"<ember.Generator object at {hex(id(self))}>"

    # -- seeding and state ------------------------------------------------------------------
    def manual_seed(self, seed):
        seed = _check_seed(seed)
        self._bg._legacy_seeding(seed & 0xFFFFFFFF)
        self._seed = seed
        self._fresh = True  # no draw since seeding (PyTorch's state says next=0 then)
        self._next_double_normal = None
        self._next_float_normal = None
        return self

    def seed(self):
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        from ._ops.creation import tensor  # noqa: PLC0415 - creation imports nothing from here

        return tensor(self._state_bytes())

    def _state_bytes(self):
        st = self._bg.state["state"]
        pos = int(st["pos"])
        buf = bytearray(_STATE_SIZE)
        mv = memoryview(buf)
        np.frombuffer(mv[0:8], np.uint64)[0] = self._seed
        np.frombuffer(mv[8:16], np.int32)[:] = (_N + 1 - pos, 1)  # left, seeded
        np.frombuffer(mv[16:24], np.uint64)[0] = 0 if self._fresh else pos  # next
        np.frombuffer(mv[24 : 24 + 8 * _N], np.uint64)[:] = st["key"]
        off = 24 + 8 * _N
        if self._next_double_normal is not None:
            np.frombuffer(mv[off + 8 : off + 16], np.float64)[0] = self._next_double_normal
            np.frombuffer(mv[off + 24 : off + 28], np.int32)[0] = 1
        if self._next_float_normal is not None:
            np.frombuffer(mv[off + 32 : off + 36], np.float32)[0] = self._next_float_normal
            buf[off + 36] = 1
        return np.frombuffer(bytes(buf), np.uint8).copy()

    def set_state(self, new_state):
        a = _state_array(new_state)
        if a.size != _STATE_SIZE:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {_STATE_SIZE} but found the input RNG state size "
                f"to be {a.size}"
            )
        raw = a.tobytes()
        seed = int(np.frombuffer(raw[0:8], np.uint64)[0])
        left, seeded = (int(v) for v in np.frombuffer(raw[8:16], np.int32))
        nxt = int(np.frombuffer(raw[16:24], np.uint64)[0]) & 0xFFFFFFFF
        key = np.frombuffer(raw[24 : 24 + 8 * _N], np.uint64).astype(np.uint32)
        if not (1 <= left <= _N and seeded and (left == 1 or nxt + left == _N + 1)):
            raise RuntimeError("Invalid mt19937 state")
        off = 24 + 8 * _N
        self._bg.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N + 1 - left}}
        self._seed = seed
        self._fresh = left == 1 and nxt == 0
        dvalid = int(np.frombuffer(raw[off + 24 : off + 28], np.int32)[0])
        self._next_double_normal = float(np.frombuffer(raw[off + 8 : off + 16], np.float64)[0]) if dvalid else None
        self._next_float_normal = (
            float(np.frombuffer(raw[off + 32 : off + 36], np.float32)[0]) if raw[off + 36] else None
        )
        return self

    def clone_state(self):
        g = Generator(self.device)
        g.set_state(self.get_state())
        return g

    # -- raw words --------------------------------------------------------------------------
    def random_u32(self, n):
        """n 32-bit words of the stream (uint64 array holding uint32 values)."""
        if n:
            self._fresh = False
        return self._bg.random_raw(n) if n else np.empty(0, np.uint64)

    def random_u64(self, n):
        """n 64-bit words, each made of two 32-bit words (high word first), as PyTorch's random64()."""
        w = self.random_u32(2 * n).reshape(n, 2)
        return (w[:, 0] << np.uint64(32)) | w[:, 1]

    # -- samplers (all return NumPy arrays on the CPU) --------------------------------------
    def _unit(self, n, npdt):
        """n uniform [0, 1) values from the low mantissa-width bits of each word, in float64."""
        d = _unit_bits(npdt)
        w = self.random_u64(n) if d == 53 else self.random_u32(n)
        return (w & np.uint64((1 << d) - 1)).astype(np.float64) * (2.0**-d)

    def uniform(self, shape, npdt, low=0.0, high=1.0):
        n = math.prod(shape)
        x = self._unit(n, npdt)
        if npdt == np.float64:
            if low == 0.0 and high == 1.0:
                out = x
            else:  # x * (to - from) + from, one rounding as PyTorch's fused multiply-add
                r = np.longdouble(high - low)
                out = (x.astype(np.longdouble) * r + np.longdouble(low)).astype(np.float64)
        else:
            # PyTorch samples half/bfloat16/float in float: x * (to - from) + from with from/to as floats
            # and one rounding (exact in double, then rounded to float), then rounds to the dtype
            lo, hi = float(np.float32(low)), float(np.float32(high))
            out = (x * float(np.float32(hi - lo)) + lo).astype(np.float32).astype(npdt)
            if npdt != np.float32:  # a sample that rounds up to `to` in half/bfloat16 becomes `from`
                top = np.array(high).astype(npdt)
                out[out == top] = np.array(low).astype(npdt)
        return out.astype(npdt, copy=False).reshape(shape)

    def _normal_serial(self, n):
        """PyTorch's one-at-a-time Box-Muller in double: each pair of 53-bit uniforms gives a cosine sample
        and a sine sample that the generator keeps for the next draw."""
        out = np.empty(n, np.float64)
        i = 0
        if n and self._next_double_normal is not None:
            out[0] = self._next_double_normal
            self._next_double_normal = None
            i = 1
        pairs = (n - i + 1) // 2
        if pairs:
            w = self.random_u64(2 * pairs).reshape(pairs, 2)
            u = (w & np.uint64((1 << 53) - 1)).astype(np.float64) * 2.0**-53
            r = np.sqrt(-2.0 * np.log1p(-u[:, 1]))
            theta = _TWO_PI * u[:, 0]
            z = np.stack((r * np.cos(theta), r * np.sin(theta)), axis=1).reshape(-1)
            out[i:] = z[: n - i]
            if (n - i) % 2:
                self._next_double_normal = float(z[-1])
        return out

    def normal(self, shape, npdt, mean=0.0, std=1.0):
        """Samples of N(mean, std) for scalar mean and std, as PyTorch's CPU normal_ draws them: one at a
        time in double below 16 elements, else uniforms turned into normals 16 at a time (the last block
        redrawn when the size is not a multiple of 16)."""
        n = math.prod(shape)
        if n < 16:
            return (self._normal_serial(n) * std + mean).astype(npdt).reshape(shape)
        is32 = npdt == np.float32
        u = self._unit(n, npdt)
        tail = self._unit(16, npdt) if n % 16 else None
        fill = _box_muller16_f32 if is32 else _box_muller16_f64
        blocks = u[: n - n % 16].reshape(-1, 2, 8)
        if len(blocks) <= _CHUNK:
            z = fill(blocks).reshape(-1)
        else:  # many NumPy passes per value: work in cache-sized chunks
            z = np.empty(len(blocks) * 16, dtype=_F32C if is32 else np.float64)
            zb = z.reshape(-1, 2, 8)
            for i in range(0, len(blocks), _CHUNK):
                zb[i : i + _CHUNK] = fill(blocks[i : i + _CHUNK])
        if tail is not None:  # the redrawn last block overwrites the last 16 values
            z = np.concatenate((z[: n - 16], fill(tail.reshape(1, 2, 8)).reshape(-1)))
        if is32:
            out = _fma32(z, np.float32(std), np.float32(mean))
        else:
            # (radius * cos) * std + mean with a fused multiply-add (one rounding, via long double)
            out = (z.astype(np.longdouble) * np.longdouble(std) + np.longdouble(mean)).astype(np.float64)
        return out.astype(npdt, copy=False).reshape(shape)

    def randint(self, shape, low, high, npdt):
        """Integers in [low, high): `word % (high - low) + low`, with 64-bit words for wide ranges."""
        n = math.prod(shape)
        rng = high - low
        wide = rng >= (1 << 32) and (npdt.kind == "f" or npdt.kind == "V" or npdt == np.int64)
        w = self.random_u64(n) if wide else self.random_u32(n)
        v = (w % np.uint64(rng)).astype(np.int64) if rng < (1 << 63) else (w % np.uint64(rng)).view(np.int64)
        out = v + np.int64(low) if -(1 << 63) <= low < (1 << 63) else v
        return out.astype(npdt).reshape(shape)

    def random_full(self, shape, npdt):
        """`random_()` with no range: [0, 2**mantissa] for floats, [0, max] for integers, {0, 1} for bool."""
        n = math.prod(shape)
        if npdt.kind == "b":
            return (self.random_u32(n) % np.uint64(2)).astype(np.bool_).reshape(shape)
        if npdt.kind in "fV":
            d = _digits(npdt)
            w = self.random_u64(n) if d == 53 else self.random_u32(n)
            return (w % np.uint64((1 << d) + 1)).astype(np.float64).astype(npdt).reshape(shape)
        info = np.iinfo(npdt)
        w = self.random_u64(n) if npdt == np.int64 else self.random_u32(n)
        return (w % np.uint64(int(info.max) + 1)).astype(npdt).reshape(shape)

    def permutation(self, n):
        """PyTorch's randperm: Fisher-Yates swaps with `random() % (n - i)`."""
        r = np.arange(n, dtype=np.int64)
        if n > 1:
            z = (self.random_u32(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).astype(np.int64).tolist()
            lst = r.tolist()
            for i, zi in enumerate(z):
                j = zi + i
                lst[i], lst[j] = lst[j], lst[i]
            r = np.array(lst, dtype=np.int64)
        return r

    def exponential(self, shape, npdt, lambd=1.0):
        u = self._unit(math.prod(shape), _F64)
        return (-1.0 / lambd * np.log1p(-u)).astype(npdt).reshape(shape)

    def geometric(self, shape, npdt, p):
        u = self._unit(math.prod(shape), _F64)
        with np.errstate(divide="ignore"):
            return np.ceil(np.log(u) / math.log1p(-p)).astype(npdt).reshape(shape)

    def cauchy(self, shape, npdt, median=0.0, sigma=1.0):
        u = self._unit(math.prod(shape), _F64)
        return (median + sigma * np.tan(math.pi * (u - 0.5))).astype(npdt).reshape(shape)

    def log_normal(self, shape, npdt, mean=1.0, std=2.0):
        z = self._normal_serial(math.prod(shape)) * std + mean
        return np.exp(z).astype(npdt).reshape(shape)

    def bernoulli(self, p, npdt):
        """1 where a uniform draw is below p (an array; float64 p draws 53-bit uniforms, others 24-bit)."""
        u = self._unit(p.size, _F64 if p.dtype == np.float64 else _F32).reshape(p.shape)
        return (u < p).astype(npdt)

    def poisson(self, rates, npdt):
        self._fresh = False
        return self._np.poisson(rates.astype(np.float64)).astype(npdt)

    def multinomial(self, probs, num_samples, replacement):
        """Indices sampled from the rows of 2-D `probs` (non-negative, each row with a positive sum)."""
        rows, k = probs.shape
        p = probs.astype(np.float64)
        if not replacement or num_samples == 1:  # torch takes the race for one sample either way
            # the exponential race: argsort of p / E over E ~ Exp(1) gives weighted draws without replacement
            e = self.exponential((rows, k), np.dtype(np.float64))
            with np.errstate(divide="ignore"):
                keys = p / e
            return np.argsort(-keys, axis=1, kind="stable")[:, :num_samples].astype(np.int64)
        cdf = np.cumsum(p, axis=1)
        cdf /= cdf[:, -1:]
        u = self._unit(rows * num_samples, np.dtype(np.float64)).reshape(rows, num_samples)
        out = np.empty((rows, num_samples), np.int64)
        for r in range(rows):
            out[r] = np.searchsorted(cdf[r], u[r], side="right")
        return np.minimum(out, k - 1)


def _low_span(npdt, low, high):
    """The (low, high - low) a CUDA uniform sample is scaled by: doubles for float64, else float32-rounded ends
    and span, as torch samples float in float."""
    if npdt == np.float64:
        return float(low), float(high) - float(low)
    lo = float(np.float32(low))
    return lo, float(np.float32(float(np.float32(high)) - lo))


class CudaGenerator(Generator):
    """A CUDA device's generator: a Philox4x32-10 stream (ember/_philox.py) whose state is a seed and an offset,
    16 bytes as torch's CUDA generator state. Every sampler of Generator works from its words on the host; the
    samplers the GPU draws itself (uniform, normal, bernoulli: ember/cuda/_fused.py) take the same words at the
    same offsets, so a draw gives the same numbers on either side. The numbers differ from torch's CUDA numbers
    for the same seed (torch's kernels lay the words out by their launch shape)."""

    def __init__(self, device="cuda"):
        self.device = as_device(device)
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed):
        self._seed = _check_seed(seed)
        self._offset = 0
        return self

    def _state_bytes(self):
        return np.array([self._seed, self._offset], np.uint64).view(np.uint8).copy()

    def set_state(self, new_state):
        a = _state_array(new_state)
        if a.size not in (16, 8):  # torch also takes a seed alone (the offset then 0)
            raise RuntimeError("RNG state is wrong size")
        v = np.frombuffer(a.tobytes() + bytes(16 - a.size), np.uint64)
        self._seed, self._offset = int(v[0]), int(v[1])
        return self

    def clone_state(self):
        g = CudaGenerator(self.device)
        g._seed, g._offset = self._seed, self._offset
        return g

    def advance(self, n):
        """The offset at which a draw of n words starts; the state moves past them."""
        start = self._offset
        self._offset = (start + n) & _U64
        return start

    def random_u32(self, n):
        return _philox.words(self._seed, self.advance(n), n) if n else np.empty(0, np.uint64)

    def uniform(self, shape, npdt, low=0.0, high=1.0):
        """u * (high - low) + low in double (two roundings), as the device kernel computes it."""
        x = self._unit(math.prod(shape), npdt)
        lo, span = _low_span(npdt, low, high)
        out = (x * span + lo).astype(npdt)
        if npdt != np.float32 and npdt != np.float64:  # a half/bfloat16 sample rounded up to `high` becomes `low`
            out[out == np.array(high).astype(npdt)] = np.array(low).astype(npdt)
        return out.reshape(shape)

    def _normal_serial(self, n):
        return self._box_muller(n, _F64)

    def _box_muller(self, n, npdt):
        """Normals in pairs from pairs of uniforms (the device kernel's layout): cos and sin of one angle."""
        pairs = (n + 1) // 2
        u = self._unit(2 * pairs, npdt).reshape(pairs, 2)
        r = np.sqrt(-2.0 * np.log1p(-u[:, 0]))
        theta = _TWO_PI * u[:, 1]
        return np.stack((r * np.cos(theta), r * np.sin(theta)), axis=1).reshape(-1)[:n]

    def normal(self, shape, npdt, mean=0.0, std=1.0):
        z = self._box_muller(math.prod(shape), npdt)
        return (z * float(std) + float(mean)).astype(npdt).reshape(shape)

    def poisson(self, rates, npdt):
        seed = self.random_u32(4)
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(w) for w in seed])))
        return rng.poisson(rates.astype(np.float64)).astype(npdt)

    # -- draws on the device (None where the GPU path does not apply: the caller then samples on the host) --
    def device_sample(self, kind, shape, npdt, device, **kw):
        """A CuPy array of samples drawn on `device` for kind "uniform" (low, high), "normal" (mean, std) or
        "bernoulli" (p, scale), or None."""
        from .cuda import _fused  # noqa: PLC0415

        npdt = np.dtype(npdt)
        if npdt != _F32 and npdt != _F64 or not _fused.ENABLED:
            return None
        cp = _fused.cupy()
        if not isinstance(getattr(cp, "RawModule", None), type):
            return None
        n = math.prod(shape)
        start = self.advance(_fused.rng_words(kind, n, npdt))
        with cp.cuda.Device(cp.cuda.runtime.getDevice() if device.index is None else device.index):
            if kind == "uniform":
                lo, span = _low_span(npdt, kw.get("low", 0.0), kw.get("high", 1.0))
                return _fused.rng_uniform(shape, npdt, self._seed, start, lo, span)
            if kind == "normal":
                return _fused.rng_normal(shape, npdt, self._seed, start, float(kw["mean"]), float(kw["std"]))
            return _fused.rng_bernoulli(shape, npdt, self._seed, start, float(kw["p"]), kw["scale"], True)


# -- PyTorch's 16-wide Box-Muller blocks -----------------------------------------------------
# blocks: (k, 2, 8) uniforms; the first 8 of each block give log radii, the last 8 the angles.

_F32C = np.float32


_CHUNK = 4096  # blocks of 16 normals per chunk when sampling many: temporaries stay in cache


def _fma32(a, b, c):
    """float32 fused multiply-add (exact product and sum in double, one rounding to float)."""
    return (np.asarray(a, _F32C).astype(np.float64) * np.float64(b) + np.asarray(c, _F32C).astype(np.float64)).astype(
        _F32C
    )


def _log_f32(x):
    """Cephes-style float32 log, evaluated as PyTorch's AVX2 kernel evaluates it (with fused multiply-adds)."""
    x = np.maximum(x, _F32C(1.1754944e-38))
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(_F32C) + _F32C(1)
    m = ((bits & ~0x7F800000) | _F32C(0.5).view(np.int32)).view(_F32C)
    small = m < _F32C(0.707106781186547524)
    m = (m - _F32C(1)) + np.where(small, m, _F32C(0))
    e = e - small.astype(_F32C)
    z = m * m
    y = np.full_like(m, _F32C(7.0376836292e-2))
    for c in (
        -1.1514610310e-1,
        1.1676998740e-1,
        -1.2420140846e-1,
        1.4249322787e-1,
        -1.6668057665e-1,
        2.0000714765e-1,
        -2.4999993993e-1,
        3.3333331174e-1,
    ):
        y = _fma32(y, m, _F32C(c))
    y = _fma32(y * m, z, e * _F32C(-2.12194440e-4))
    y = _fma32(-z, _F32C(0.5), y)
    return _fma32(e, _F32C(0.693359375), m + y)


def _sincos_f32(x):
    """Cephes-style float32 sine and cosine (x >= 0), as PyTorch's AVX2 kernel evaluates them."""
    j = ((x * _F32C(1.27323954473516)).astype(np.int32) + 1) & ~1
    y = j.astype(_F32C)
    x = _fma32(y, _F32C(-0.78515625), x)
    x = _fma32(y, _F32C(-2.4187564849853515625e-4), x)
    x = _fma32(y, _F32C(-3.77489497744594108e-8), x)
    z = x * x
    yc = _fma32(_fma32(_F32C(2.443315711809948e-5), z, _F32C(-1.388731625493765e-3)), z, _F32C(4.166664568298827e-2))
    yc = _fma32(yc * z, z, -(z * _F32C(0.5))) + _F32C(1)
    ys = _fma32(_fma32(_F32C(-1.9515295891e-4), z, _F32C(8.3321608736e-3)), z, _F32C(-1.6666654611e-1))
    ys = _fma32(ys * z, x, x)
    poly = (j & 2) == 0
    s = np.where(poly, ys, yc)
    c = np.where(poly, yc, ys)
    return np.where((j & 4) != 0, -s, s), np.where(((j - 2) & 4) == 0, -c, c)


def _box_muller16_f32(blocks):
    b = blocks.astype(_F32C)
    r = np.sqrt(_F32C(-2) * _log_f32(_F32C(1) - b[:, 0]))
    s, c = _sincos_f32(_F32C(2.0 * math.pi) * b[:, 1])
    return np.stack((r * c, r * s), axis=1)


def _box_muller16_f64(blocks):
    r = np.sqrt(-2.0 * np.log(1.0 - blocks[:, 0]))
    theta = _TWO_PI * blocks[:, 1]
    return np.stack((r * np.cos(theta), r * np.sin(theta)), axis=1)


default_generator = Generator()
