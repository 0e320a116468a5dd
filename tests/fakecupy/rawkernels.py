"""An emulated `cupy.RawModule` for ember's fused CUDA kernels (ember/cuda/_fused.py), for CPU CI.

Each kernel has a NumPy reference of what its C source computes, and every launch is checked against the
kernel's signature: the number of arguments, stand-in arrays of the kernel's element type where it takes
pointers, NumPy scalars of the exact C type where it takes values, and a grid and block of the shape the
kernel indexes. So CPU tests exercise the Python side of the fused paths (which kernel, which arguments,
which outputs are read back, the autograd nodes around them) against torch.

Where a host C++ compiler exists (and EMBER_FAKE_CUDA_EMU is not 0), every launch also runs the kernel's
real CUDA C on the CPU (cudaemu.py: one coroutine per CUDA thread, barriers and shuffles emulated, guard
bytes around every buffer) on copies of its arguments, and every buffer it leaves must match the
reference's to rounding. So the CUDA C's indexing, reductions and barriers are checked on every CPU run;
scripts/gpu_check.py (fused phase) checks it on a real GPU.
"""

import collections
import contextlib
import os
import re

import numpy as np
from scipy import special

from . import _core, cudaemu
from ._core import ndarray

EMULATE = os.environ.get("EMBER_FAKE_CUDA_EMU", "1") != "0" and cudaemu.compiler() is not None

# Signature letters: p pointer to T, q pointer to int64, I pointer to int32, B pointer to uint8, T scalar,
# L int64, i int32.
_SIGS = {
    "ln_fwd": "ppppppLTii",
    "ln_bwd_x": "ppppppLi",
    "ln_bwd_wb": "pppppppILLL",
    "softmax_fwd": "ppL",
    "softmax_bwd": "pppLT",
    "safe_softmax": "ppBLTL",
    "ce_fwd": "pqppIqLL",
    "ce_reduce": "pIpLi",
    "ce_bwd": "ppqpIpLLi",
    "gelu_fwd": "pppLii",
}

CALLS = collections.Counter()  # kernel base name -> launches


@contextlib.contextmanager
def installed():
    """ember on the CuPy stand-in with this RawModule, so its fused paths run (ember's kernel caches are reset
    on the way in and out). Yields CALLS, cleared."""
    from ember.cuda import _fused  # noqa: PLC0415

    from . import ember_on_stand_in  # noqa: PLC0415

    with ember_on_stand_in():
        import cupy  # the stand-in, installed by ember_on_stand_in  # noqa: PLC0415

        saved = cupy.__dict__.get("RawModule")
        cupy.RawModule = RawModule
        _fused._has_api, _fused._modules, _fused._kernels = None, {}, {}
        CALLS.clear()
        try:
            yield CALLS
        finally:
            if saved is None:
                del cupy.RawModule
            else:
                cupy.RawModule = saved
            _fused._has_api, _fused._modules, _fused._kernels = None, {}, {}


class RawModule:
    def __init__(self, code, options=(), name_expressions=()):
        assert isinstance(code, str) and "__global__" in code
        self.names = set(name_expressions)
        self.emu = cudaemu.build(code, list(name_expressions)) if EMULATE else None

    def get_function(self, name):
        if name not in self.names:
            raise KeyError(f"{name} was not among the module's name expressions")
        m = re.fullmatch(r"(\w+)<(float|double)(?:, (true|false))?>", name)
        dtype = np.dtype(np.float32 if m.group(2) == "float" else np.float64)
        return _Kernel(m.group(1), dtype, m.group(3) == "true", self.emu, name)


class _Kernel:
    def __init__(self, base, dtype, flag, emu=None, name=None):
        self.base, self.dtype, self.flag, self.emu, self.name = base, dtype, flag, emu, name

    def __call__(self, grid, block, args):
        assert isinstance(grid, tuple) and isinstance(block, tuple), (grid, block)
        assert all(isinstance(v, int) and v > 0 for v in grid + block), (grid, block)
        if self.base not in _SIGS:  # a kernel with no NumPy reference: its CUDA C runs, emulated, on the buffers
            assert self.emu is not None, f"{self.base} has no NumPy reference and no C++ compiler can emulate it"
            assert all(type(a) is ndarray or isinstance(a, np.generic) for a in args), args
            CALLS[self.base] += 1
            _core.count("raw:" + self.base)
            self.emu.launch(self.name, grid, block, [a._a if type(a) is ndarray else a for a in args])
            return
        sig = _SIGS[self.base]
        assert len(args) == len(sig), f"{self.base}: {len(args)} arguments, the kernel takes {len(sig)}"
        vals = []
        for k, (a, s) in enumerate(zip(args, sig)):
            want = {"p": self.dtype, "q": np.dtype(np.int64), "I": np.dtype(np.int32), "B": np.dtype(np.uint8)}.get(s)
            if want is not None:
                assert type(a) is ndarray, f"{self.base} argument {k}: {type(a).__name__}, not a device array"
                assert a.dtype == want, f"{self.base} argument {k}: {a.dtype}, the kernel takes {want}"
                assert a._a.flags.c_contiguous, f"{self.base} argument {k} is not contiguous"
                vals.append(a._a.reshape(-1))
            else:
                want = {"T": self.dtype, "L": np.dtype(np.int64), "i": np.dtype(np.int32)}[s]
                assert isinstance(a, np.generic) and a.dtype == want, f"{self.base} argument {k}: {a!r}, want {want}"
                vals.append(a.item())
        if self.base in ("ln_fwd", "ln_bwd_x", "softmax_fwd", "softmax_bwd", "safe_softmax", "ce_fwd", "ce_bwd"):
            assert len(grid) == 1 and len(block) == 1 and block[0] % 32 == 0 and block[0] <= 1024, (grid, block)
        CALLS[self.base] += 1
        _core.count("raw:" + self.base)
        emulated = None
        if self.emu is not None:
            copies = {}  # one copy per buffer: a kernel may get the same buffer twice (an unused pointer)
            emulated = [copies.setdefault(id(a._a), a._a.copy()) if type(a) is ndarray else a for a in args]
            self.emu.launch(self.name, grid, block, emulated)
        with np.errstate(all="ignore"):
            getattr(self, "_" + self.base)(grid, *vals)
        if emulated is not None:
            for k, (a, c) in enumerate(zip(args, emulated)):
                if type(a) is ndarray:
                    _agree(self.name, k, c, a._a)

    # each reference works on flat NumPy views of the device buffers, as the C code indexes them

    def _ln_fwd(self, grid, x, w, b, y, mean, rstd, n, eps, has_w, has_b):
        rows = grid[0]
        X = x[: rows * n].reshape(rows, n)
        mu = X.sum(1) / self.dtype.type(n)
        var = ((X - mu[:, None]) ** 2).sum(1) / self.dtype.type(n)
        r = self.dtype.type(1) / np.sqrt(var + self.dtype.type(eps))
        Y = (X - mu[:, None]) * r[:, None]
        if has_w:
            Y = Y * w[:n]
        if has_b:
            Y = Y + b[:n]
        y[: rows * n] = Y.reshape(-1)
        mean[:rows], rstd[:rows] = mu, r

    def _ln_bwd_x(self, grid, dy, x, w, mean, rstd, dx, n, has_w):
        rows = grid[0]
        G = dy[: rows * n].reshape(rows, n)
        if has_w:
            G = G * w[:n]
        xh = (x[: rows * n].reshape(rows, n) - mean[:rows, None]) * rstd[:rows, None]
        a = G.sum(1, keepdims=True) / self.dtype.type(n)
        c = (G * xh).sum(1, keepdims=True) / self.dtype.type(n)
        dx[: rows * n] = ((G - a - xh * c) * rstd[:rows, None]).reshape(-1)

    def _ln_bwd_wb(self, grid, dy, x, mean, rstd, part, dw, db, done, rows, n, chunk):
        assert grid[0] == (n + 31) // 32 and grid[0] * 32 >= n
        parts = grid[1] if len(grid) > 1 else 1
        assert parts * chunk >= rows and (parts - 1) * chunk < rows, "the row chunks do not cover the rows once"
        assert done.size >= grid[0] and not done.any(), "the block counters are not all zero"
        G = dy[: rows * n].reshape(rows, n)
        xh = (x[: rows * n].reshape(rows, n) - mean[:rows, None]) * rstd[:rows, None]
        pw, pb = np.zeros((parts, n), dw.dtype), np.zeros((parts, n), dw.dtype)
        for p in range(parts):
            r0, r1 = p * chunk, min(rows, (p + 1) * chunk)
            pw[p] = (G[r0:r1] * xh[r0:r1]).sum(0)
            pb[p] = G[r0:r1].sum(0)
        if parts > 1:
            part[: 2 * parts * n] = np.concatenate([pw.reshape(-1), pb.reshape(-1)])
        dw[:n], db[:n] = pw.sum(0), pb.sum(0)

    def _softmax_fwd(self, grid, x, y, n):
        rows = grid[0]
        X = x[: rows * n].reshape(rows, n)
        z = X - X.max(1, keepdims=True)
        s = np.exp(z).sum(1, keepdims=True)
        y[: rows * n] = (z - np.log(s) if self.flag else np.exp(z) / s).reshape(-1)

    def _softmax_bwd(self, grid, dy, y, dx, n, scale):
        rows = grid[0]
        G, Y = dy[: rows * n].reshape(rows, n), y[: rows * n].reshape(rows, n)
        if self.flag:
            r = G - np.exp(Y) * G.sum(1, keepdims=True)
        else:
            r = Y * (G - (G * Y).sum(1, keepdims=True))
        dx[: rows * n] = (self.dtype.type(scale) * r).reshape(-1)

    def _safe_softmax(self, grid, x, y, dead, n, scale, qlen):
        rows = grid[0]
        X = x[: rows * n].reshape(rows, n) * self.dtype.type(scale)
        if qlen > 0:  # causal: columns past the row's query index are masked
            X = np.where(np.arange(n)[None, :] > (np.arange(rows) % qlen)[:, None], -np.inf, X).astype(self.dtype)
        mx = X.max(1, keepdims=True)
        d = ~np.isfinite(mx)
        mx = np.where(d, 0, mx)
        e = np.exp(X - mx)
        z = e.sum(1, keepdims=True)
        z = np.where(d & (z == 0), 1, z)
        y[: rows * n] = (e / z).reshape(-1)
        dead[:rows] = d.reshape(-1)

    def _ce_fwd(self, grid, x, target, nll, lse, count, badrow, C, ignore):
        m = grid[0]
        X = x[: m * C].reshape(m, C)
        mx = X.max(1)
        l = mx + np.log(np.exp(X - mx[:, None]).sum(1))
        lse[:m] = l
        t = target[:m]
        ok = (t != ignore) & (t >= 0) & (t < C)
        bad = (t != ignore) & ~ok
        nll[:m] = np.where(ok, l - X[np.arange(m), np.where(ok, t, 0)], 0)
        count[0] += int(ok.sum())
        if bad.any():
            badrow[0] = min(int(badrow[0]), int(np.argmax(bad)))

    def _ce_reduce(self, grid, nll, count, out, m, mode):
        s = nll[:m].sum(dtype=self.dtype)
        out[0] = s / self.dtype.type(count[0]) if mode == 2 else s

    def _ce_bwd(self, grid, x, lse, target, g, count, dx, C, ignore, mode):
        m = grid[0]
        X = x[: m * C].reshape(m, C)
        t = target[:m]
        if mode == 0:
            a = g[:m].copy()
        else:
            a = np.full(m, g[0] if mode == 1 else g[0] / self.dtype.type(count[0]), self.dtype)
        a = np.where(t != ignore, a, 0).astype(self.dtype)
        P = np.exp(X - lse[:m, None])
        hot = np.arange(C)[None, :] == t[:, None]
        dx[: m * C] = (a[:, None] * np.where(hot, P - 1, P)).reshape(-1)

    def _gelu_fwd(self, grid, x, y, dg, n, tanh_approx, want_grad):
        v = x[:n]
        T = self.dtype.type
        if tanh_approx:
            beta, kappa = T(0.79788456080286535588), T(0.044715)
            t = np.tanh(beta * (v + kappa * v * v * v))
            y[:n] = T(0.5) * v * (1 + t)
            if want_grad:
                dg[:n] = T(0.5) * (1 + t) + T(0.5) * v * (1 - t * t) * beta * (1 + 3 * kappa * v * v)
        else:
            cdf = T(0.5) * (1 + special.erf(v * T(0.70710678118654752440)))
            if want_grad:
                dg[:n] = cdf + v * np.exp(T(-0.5) * v * v) * T(0.39894228040143267794)
            y[:n] = v * cdf


def _agree(name, k, c, ref):
    """The CUDA C's result c for buffer k equals the reference's, exactly for integers, to rounding for floats
    (parallel sums run in another order; libm differs from NumPy by an ulp or so)."""
    if c.dtype.kind != "f":
        assert np.array_equal(c, ref), f"{name} argument {k}: CUDA C gives {c.ravel()[:8]}, reference {ref.ravel()[:8]}"
        return
    tol = 2e-5 if c.dtype == np.float32 else 1e-12
    finite = np.isfinite(ref)
    scale = float(np.abs(ref[finite]).max()) if finite.any() else 1.0
    same_kind = (np.isnan(c) == np.isnan(ref)).all() and (np.isposinf(c) == np.isposinf(ref)).all()
    close = np.abs(c[finite] - ref[finite]) <= tol * (np.abs(ref[finite]) + max(scale, 1.0))
    if not (same_kind and close.all()):
        bad = np.flatnonzero(~np.isclose(c, ref, rtol=tol, atol=tol * max(scale, 1.0), equal_nan=True))[:8]
        raise AssertionError(
            f"{name} argument {k}: the CUDA C and the reference differ at flat indices {bad}: "
            f"{c.ravel()[bad]} vs {ref.ravel()[bad]}"
        )
