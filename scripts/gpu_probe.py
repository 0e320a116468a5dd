#!/usr/bin/env python
"""Host cost per call (us) of the primitives a small model's GPU step is made of, to choose what to fuse.

    python scripts/gpu_probe.py              # each primitive alone, in a loop
    python scripts/gpu_probe.py --in-step    # the same primitives timed inside real GPT train steps
    python scripts/gpu_probe.py --sync-cost  # what the bounds checks' read-backs cost a GPT step

Launch-only timings (no synchronisation inside the timed loop): on a host-bound step this is what counts.
--in-step wraps the functions with a timer (no profiler) for 10 steps of gpu_check's GPT and prints, per
function, calls and host ms per step and us per call, with the operand layouts of the slowest matmuls.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import cupy as cp  # noqa: E402
import numpy as np  # noqa: E402

import ember  # noqa: E402


def bench(f, n=400):
    for _ in range(20):
        f()
    cp.cuda.Device().synchronize()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        best = min(best, (time.perf_counter() - t0) / n * 1e6)
        cp.cuda.Device().synchronize()
    return best


def row(name, f, n=400):
    try:
        print(f"{name:<48}{bench(f, n):8.1f} us", flush=True)
    except Exception as e:  # noqa: BLE001 - a probe that fails says why and the others go on
        print(f"{name:<48} failed: {type(e).__name__}: {e}", flush=True)


def main():
    ember.cuda.init()
    from cupy.cuda import cublas  # noqa: PLC0415

    rng = cp.random.default_rng(0)
    x = rng.standard_normal((2048, 256), dtype=cp.float32)
    y = rng.standard_normal((2048, 256), dtype=cp.float32)
    w = rng.standard_normal((1024, 256), dtype=cp.float32)
    b = rng.standard_normal((1024,), dtype=cp.float32)
    h = cp.empty((2048, 1024), cp.float32)
    z = cp.empty_like(x)
    one = cp.zeros(1, cp.int32)
    pool = cp.get_default_memory_pool()
    print("allocator:", cp.cuda.get_allocator())

    row("cuda.runtime.getDevice", cp.cuda.runtime.getDevice)
    row("cp.empty (2048,256) [tracking allocator]", lambda: cp.empty((2048, 256), cp.float32))
    row("pool.malloc 2 MiB [direct]", lambda: pool.malloc(2 << 20))
    saved = cp.cuda.get_allocator()
    cp.cuda.set_allocator(pool.malloc)
    row("cp.empty (2048,256) [pool.malloc]", lambda: cp.empty((2048, 256), cp.float32))
    cp.cuda.set_allocator(saved)
    row("x + y", lambda: x + y)
    row("cp.add(x, y, out=z)", lambda: cp.add(x, y, out=z))
    row("x.sum(0)", lambda: x.sum(0))
    row("cp.maximum(x, 0, out=z)", lambda: cp.maximum(x, 0, out=z))
    ek = cp.ElementwiseKernel("T b", "T h", "h = h + b > 0 ? h + b : (T)0", "probe_bias_relu")
    row("ElementwiseKernel bias+relu (2048,1024)", lambda: ek(b, h))
    rk = cp.RawKernel(r'extern "C" __global__ void probe_k(int* p) { if (threadIdx.x == 0) p[0] = 1; }', "probe_k")
    row("RawKernel trivial launch", lambda: rk((1,), (32,), (one,)))
    row("cp.matmul (2048,256)@(256,1024) [w.T]", lambda: cp.matmul(x, w.T))
    row("cp.matmul (2048,256)@(256,1024) out=", lambda: cp.matmul(x, w.T, out=h))
    handle = cp.cuda.device.get_cublas_handle()
    one_f, zero_f = np.array(1, np.float32), np.array(0, np.float32)

    def direct_gemm():
        # h (2048,1024) row-major = x (2048,256) @ w.T: column-major h.T = w @ x.T, i.e. gemm(T, N) on w, x
        cublas.setStream(handle, cp.cuda.get_current_stream().ptr)
        cublas.sgemm(
            handle,
            cublas.CUBLAS_OP_T,
            cublas.CUBLAS_OP_N,
            1024,
            2048,
            256,
            one_f.ctypes.data,
            w.data.ptr,
            256,
            x.data.ptr,
            256,
            zero_f.ctypes.data,
            h.data.ptr,
            1024,
        )

    row("cublas.sgemm direct (same product, out given)", direct_gemm)
    row("cp.empty + cublas.sgemm direct", lambda: (cp.empty((2048, 1024), cp.float32), direct_gemm()))
    check = cp.matmul(x, w.T)
    direct_gemm()
    print("  direct gemm max |diff| vs cp.matmul:", float(cp.abs(h - check).max()))
    row("one.get() after nothing queued (sync+copy)", lambda: one.get(), 200)
    row("bool(one.any()) ", lambda: bool(one.any()), 200)

    ex = ember.tensor(x.get(), device="cuda")
    ey = ember.tensor(y.get(), device="cuda")
    ew = ember.tensor(w.get(), device="cuda")
    eb = ember.tensor(b.get(), device="cuda")
    F = ember.nn.functional
    with ember.no_grad():
        row("ember no_grad x + y", lambda: ex + ey)
        row("ember no_grad F.linear", lambda: F.linear(ex, ew, eb))
        row("ember no_grad F.relu", lambda: F.relu(ex))
    ewg = ember.tensor(w.get(), device="cuda", requires_grad=True)
    ebg = ember.tensor(b.get(), device="cuda", requires_grad=True)
    row("ember grad F.linear fwd", lambda: F.linear(ex, ewg, ebg))
    exg = ember.tensor(x.get(), device="cuda", requires_grad=True)
    row("ember grad x + y fwd", lambda: exg + ey)

    def lin_fb():
        F.linear(exg, ewg, ebg).sum().backward()

    row("ember F.linear(x,w,b).sum().backward()", lambda: lin_fb(), 200)

    def relu_fb():
        F.relu(exg).sum().backward()

    row("ember F.relu(x).sum().backward()", lambda: relu_fb(), 200)
    try:
        import torch  # noqa: PLC0415

        tx = torch.as_tensor(x, device="cuda").requires_grad_(True)
        tw = torch.as_tensor(w, device="cuda").requires_grad_(True)
        tb = torch.as_tensor(b, device="cuda").requires_grad_(True)
        row("torch F.linear(x,w,b).sum().backward()", lambda: torch.nn.functional.linear(tx, tw, tb).sum().backward())
        row("torch F.relu(x).sum().backward()", lambda: torch.nn.functional.relu(tx).sum().backward())
        row("torch x + y (no grad)", lambda: tx.detach() + tx.detach())
    except ImportError:
        pass


def in_step(steps=10):
    import collections  # noqa: PLC0415

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gpu_profile import build  # noqa: PLC0415

    from ember.cuda import _blas, _fused  # noqa: PLC0415

    # (the package's `linear` function shadows the module of that name)
    lin, att = sys.modules["ember.nn.functional.linear"], sys.modules["ember.nn.functional.attention"]

    tot, n = collections.Counter(), collections.Counter()
    mm_by_layout = collections.defaultdict(list)

    def timed(name, fn, layouts=False):
        def w(*a, **k):
            t0 = time.perf_counter()
            r = fn(*a, **k)
            dt = time.perf_counter() - t0
            tot[name] += dt
            n[name] += 1
            if layouts:
                key = tuple((x.shape, x.strides) for x in a[:2])
                mm_by_layout[key].append(dt)
            return r

        return w

    mm = timed("_mm (cupy matmul)", lin._mm, layouts=True)
    lin._mm = att._mm = mm
    for mod, names in (
        (_fused, ("_flat", "col_sum", "layer_norm_fwd", "layer_norm_bwd", "adam_multi")),
        (_blas, ("bmm",)),
    ):
        for nm in names:
            setattr(mod, nm, timed(f"{mod.__name__.split('.')[-1]}.{nm}", getattr(mod, nm)))
    _fused._multi_table = timed("_fused._multi_table", _fused._multi_table)
    empty, empty_like = cp.empty, cp.empty_like
    cp.empty, cp.empty_like = timed("cp.empty", empty), timed("cp.empty_like", empty_like)
    _, opt, fwd = build(ember, "GPT", "cuda")
    for _ in range(3):
        opt.zero_grad()
        fwd().backward()
        opt.step()
    ember.cuda.synchronize()
    tot.clear()
    n.clear()
    mm_by_layout.clear()
    uploads = _fused.UPLOADS[0]
    t0 = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        fwd().backward()
        opt.step()
    host = (time.perf_counter() - t0) / steps * 1e3
    ember.cuda.synchronize()
    cp.empty, cp.empty_like = empty, empty_like
    uploads = _fused.UPLOADS[0] - uploads
    print(f"GPT step host time {host:.2f} ms (timers on); multi-tensor table uploads {uploads} in {steps} steps")
    for name, t in tot.most_common():
        print(
            f"  {name:<28}{n[name] / steps:6.0f} calls/step {t / steps * 1e3:7.2f} ms/step {t / n[name] * 1e6:8.1f} us/call"
        )
    print("  slowest matmul layouts (us/call, calls/step):")
    rows = sorted(mm_by_layout.items(), key=lambda kv: -sum(kv[1]) / len(kv[1]))
    for key, ts in rows[:12]:
        print(f"    {sum(ts) / len(ts) * 1e6:8.1f} {len(ts) / steps:4.0f}  {key}")


def sync_cost(rounds=8, block=5):
    """What the bounds checks' read-backs cost a GPT step: blocks of steps with the embedding's and the
    cross-entropy's checks as they are, alternated with blocks where they launch the same kernels but do not
    read the result back (experiment only: bad indices would then go unnoticed). Prints the median of the
    rounds' time ratios (without / with)."""
    from ember.cuda import _fused  # noqa: PLC0415

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gpu_profile import build  # noqa: PLC0415

    real = (_fused.embedding_fwd, _fused.cross_entropy_fwd)

    def emb(w, idx):
        V, D = w.shape
        out = _fused._empty(idx.shape + (D,), w.dtype)
        bad = cp.zeros(1, np.int32)
        _fused._flat("embed_fwd", w.dtype, out.size, w, idx, out, np.int64(idx.size), np.int64(D), np.int64(V), bad)
        return out, False

    def ce(x, target, ignore_index, reduction):
        m, C = x.shape
        nll, lse = _fused._empty(m, x.dtype), _fused._empty(m, x.dtype)
        count, badrow = cp.zeros(1, np.int32), cp.full(1, m, np.int64)
        _fused._fn("ce_fwd", x.dtype)(
            (m,), (_fused._row_threads(C),), (x, target, nll, lse, count, badrow, np.int64(C), np.int64(ignore_index))
        )
        loss = _fused._empty((), x.dtype)
        mode = _fused._MODES[reduction]
        _fused._fn("ce_reduce", x.dtype)(
            (1,), (_fused._row_threads(min(m, 1024)),), (nll, count, loss, np.int64(m), np.int32(mode))
        )
        return loss, lse, count, None

    _, opt, fwd = build(ember, "GPT", "cuda")

    def steps():
        ember.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(block):
            opt.zero_grad()
            fwd().backward()
            opt.step()
        ember.cuda.synchronize()
        return (time.perf_counter() - t0) / block * 1e3

    steps()
    ratios, with_, without = [], [], []
    for _ in range(rounds):
        _fused.embedding_fwd, _fused.cross_entropy_fwd = real
        a = steps()
        _fused.embedding_fwd, _fused.cross_entropy_fwd = emb, ce
        b = steps()
        with_.append(a)
        without.append(b)
        ratios.append(b / a)
    _fused.embedding_fwd, _fused.cross_entropy_fwd = real
    print(
        f"GPT step with the read-backs {np.median(with_):.2f} ms, without {np.median(without):.2f} ms: "
        f"ratio {np.median(ratios):.3f} (median of {rounds} rounds)"
    )


if __name__ == "__main__":
    if "--in-step" in sys.argv:
        in_step()
    elif "--sync-cost" in sys.argv:
        sync_cost()
    else:
        main()
