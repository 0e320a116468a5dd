#!/usr/bin/env python
"""One prepared GPU check for ember: run it on a machine with an NVIDIA GPU (H100/H200), from the repo root.

    python scripts/gpu_check.py                 # everything, about 3-6 minutes
    python scripts/gpu_check.py --quick         # fewer op families, shorter benchmarks (~2 minutes)
    python scripts/gpu_check.py --budget 300    # hard wall-clock budget in seconds for the whole run

What it does, in order (each phase has its own deadline, so the run always ends with the summary):

 0. Setup. Makes sure the Python that runs it can import numpy, ml_dtypes and CuPy, installing what is
    missing with pip (`pip install cupy-cuda12x`, the CUDA 12 wheel, matching H100/H200 drivers). Where
    the machine has no network, put the wheels in a folder and set EMBER_WHEELS=/path/to/folder: pip then
    installs from there (--no-index --find-links). PyTorch is the oracle: the machine's own torch is used
    (a CUDA build also gives the torch-on-GPU timings; a CPU build still serves as the oracle).
 1. ember.cuda on a real device: device queries and properties, set_device/device(), synchronize,
    streams and events (elapsed_time), memory statistics (allocated/reserved/peaks/reset/summary/
    mem_get_info), RNG state (manual_seed, get/set_rng_state), autocast("cuda") policies (mm -> float16,
    softmax/sum -> float32, layer_norm -> float32, binary_cross_entropy banned) and GradScaler("cuda")
    skipping a step with an injected inf.
 2. A subset of the op table (tests/opdb) with ember's inputs on cuda:0 and CPU torch as the oracle:
    forward values/dtypes/shapes for every sample, and backward gradients for float32 samples of
    differentiable ops. It reuses tests/oracle.py by swapping its tensor factory so ember's tensors are
    created on the GPU (tests/oracle.py's DEVICE, which EMBER_TEST_DEVICE=cuda also sets). Without a GPU,
    tests/test_fake_cuda.py runs the table on tests/fakecupy, a NumPy-backed CuPy stand-in; its
    XFAIL_BY_REASON lists the cases known to fail on the CUDA path, worth re-checking here.
 2c. tests/test_fft.py's transforms and stft/istft (values, grad_fn names, first and second-order gradients)
    with ember's tensors on the GPU (cuFFT through cupyx.scipy.fft), torch on the CPU.
 3. Train-step timings (median ms/step after warm-up): an MLP, a small CNN and a small GPT, each with
    ember on cuda, torch on cuda (when the machine's torch has CUDA) and torch on cpu.
 4. A summary table: per phase passed/failed counts, the first failures, and the timings.
 5. The multi-GPU device guard on real CuPy (it runs after the timings): forced on with one GPU, the three
    train steps must give the losses they give with it off (and its cost is timed); with two GPUs, a model
    split over cuda:0 and cuda:1 must train as torch's does on the CPU.

Exit status: 0 when nothing failed, 1 when a check failed, 2 when the setup could not get CuPy or a GPU.
"""

import argparse
import importlib
import os
import subprocess
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

RESULTS = {}  # phase -> {"pass": n, "fail": n, "skip": n, "failures": [str]}
TIMINGS = []  # (model, backend, ms/step or None, note)


def log(msg):
    print(msg, flush=True)


def record(phase, ok, what="", err=None):
    r = RESULTS.setdefault(phase, {"pass": 0, "fail": 0, "skip": 0, "failures": []})
    if ok is None:
        r["skip"] += 1
    elif ok:
        r["pass"] += 1
    else:
        r["fail"] += 1
        if len(r["failures"]) < 25:
            # the first non-empty lines (NumPy's assertion messages start with a newline; the second line is
            # the caller's err_msg, e.g. "forward" or "grad 0")
            line = " | ".join([ln.strip() for ln in str(err).splitlines() if ln.strip()][:3]) if err else ""
            r["failures"].append(f"{what}: {type(err).__name__}: {line[:300]}" if err else what)


# -- 0. setup -----------------------------------------------------------------------------------------


def pip_install(*pkgs):
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    wheels = os.environ.get("EMBER_WHEELS")
    if wheels:
        cmd += ["--no-index", "--find-links", wheels]
    cmd += list(pkgs)
    log(f"[setup] {' '.join(cmd)}")
    try:
        subprocess.run(cmd, check=True, timeout=240)
        importlib.invalidate_caches()
        return True
    except Exception as e:  # noqa: BLE001
        log(f"[setup] pip failed: {e}")
        return False


def ensure(module, pkg):
    try:
        return importlib.import_module(module)
    except ImportError:
        if not pip_install(pkg):
            return None
        try:
            return importlib.import_module(module)
        except ImportError as e:
            log(f"[setup] still cannot import {module}: {e}")
            return None


def setup():
    t0 = time.time()
    ok = ensure("numpy", "numpy") is not None and ensure("ml_dtypes", "ml_dtypes") is not None
    cp = ensure("cupy", os.environ.get("EMBER_CUPY_PACKAGE", "cupy-cuda12x"))
    torch = ensure("torch", "torch")
    info = {"setup_s": round(time.time() - t0, 1)}
    if not ok or cp is None:
        return None, torch, info
    try:
        n = cp.cuda.runtime.getDeviceCount()
        props = cp.cuda.runtime.getDeviceProperties(0)
        info["gpu"] = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        info["gpus"] = n
        info["cupy"] = cp.__version__
        info["cuda_runtime"] = cp.cuda.runtime.runtimeGetVersion()
        cp.zeros(4).sum()  # compiles a kernel: proves NVRTC and the driver work
    except Exception as e:  # noqa: BLE001
        log(f"[setup] CuPy cannot use a GPU: {type(e).__name__}: {e}")
        return None, torch, info
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_cuda"] = bool(torch.cuda.is_available())
    return cp, torch, info


# -- 1. ember.cuda API ----------------------------------------------------------------------------------


def check(phase, name, fn):
    try:
        res = fn()
        if res is False:
            record(phase, False, name)
        else:
            record(phase, True)
    except Exception as e:  # noqa: BLE001
        record(phase, False, name, e)


def phase_cuda_api(deadline):
    import numpy as np

    import ember
    import ember.amp
    import ember.cuda as C
    import ember.nn.functional as F

    P = "1 ember.cuda API"
    check(P, "is_available", lambda: C.is_available() is True)
    check(P, "device_count", lambda: C.device_count() >= 1)
    check(P, "init/is_initialized", lambda: (C.init(), C.is_initialized())[1] is True)
    check(P, "current_device", lambda: C.current_device() == 0)
    check(P, "set_device(0)", lambda: C.set_device(0) is None and C.current_device() == 0)
    check(P, "device ctx", lambda: _with(C.device(0), lambda: C.current_device() == 0))
    check(P, "get_device_name", lambda: isinstance(C.get_device_name(), str) and len(C.get_device_name()) > 0)
    check(P, "get_device_capability", lambda: C.get_device_capability()[0] >= 7)
    check(P, "get_device_properties", lambda: C.get_device_properties(0).total_memory > 2**30)
    check(P, "synchronize", lambda: C.synchronize() is None)
    check(P, "mem_get_info", lambda: 0 < C.mem_get_info()[0] <= C.mem_get_info()[1])
    check(P, "is_bf16_supported is a bool", lambda: isinstance(C.is_bf16_supported(), bool))

    def memory():
        C.empty_cache()
        C.reset_peak_memory_stats()
        base = C.memory_allocated()
        x = ember.empty(64 * 2**20 // 4, device="cuda")  # 64 MiB
        assert C.memory_allocated() >= base + 64 * 2**20, (base, C.memory_allocated())
        assert C.max_memory_allocated() >= C.memory_allocated()
        assert C.memory_reserved() >= C.memory_allocated()
        del x
        assert C.memory_allocated() <= base + 1024
        assert C.max_memory_allocated() >= base + 64 * 2**20
        C.reset_peak_memory_stats()
        assert C.max_memory_allocated() < base + 64 * 2**20
        assert "memory summary" in C.memory_summary()
        C.empty_cache()

    check(P, "memory stats", memory)

    def pinned():
        x = ember.arange(1 << 20, dtype=ember.float32)
        p = x.pin_memory()
        assert p.is_pinned() and not x.is_pinned()
        y = p.to("cuda", non_blocking=True)
        C.synchronize()
        assert y.is_cuda and bool((y.cpu() == x).all())
        y.record_stream(C.Stream())
        assert ember.cuda.FloatTensor([1, 2]).is_cuda

    check(P, "pin_memory / non_blocking copy", pinned)

    def nvtx():
        n = ember.cuda.nvtx
        assert n.range_push("gpu_check") == 0
        with n.range("inner {}", 1):
            n.mark("mark")
        assert n.range_pop() == 0
        n.range_end(n.range_start("async"))

    check(P, "nvtx ranges", nvtx)

    def streams():
        s = C.Stream()
        assert C.current_stream() == C.default_stream() or isinstance(C.current_stream(), C.Stream)
        start, end = C.Event(enable_timing=True), C.Event(enable_timing=True)
        a = ember.randn(2048, 2048, device="cuda")
        with C.stream(s):
            assert C.current_stream() == s
            start.record()
            for _ in range(5):
                a = a @ a * 1e-3
            end.record()
        end.synchronize()
        assert end.query() and s.query()
        ms = start.elapsed_time(end)
        assert ms > 0, ms
        s2 = C.Stream()
        s2.wait_stream(s)
        ev = s.record_event()
        ev.synchronize()
        C.synchronize()

    check(P, "streams/events", streams)

    def rng():
        C.manual_seed(123)
        st = C.get_rng_state()
        assert C.initial_seed() == 123
        C.set_rng_state(st)
        assert bool((C.get_rng_state() == st).all())
        C.manual_seed_all(7)
        C.seed()
        assert len(C.get_rng_state_all()) == C.device_count()

    check(P, "rng state", rng)

    def tf32():
        # TF32 keeps 10 mantissa bits: a float32 GEMM's error grows from ~1e-6 to ~1e-3 relative when allowed
        rng_ = np.random.default_rng(0)
        a, b = rng_.standard_normal((512, 512)), rng_.standard_normal((512, 512))
        ref = a @ b
        errs = []
        for allow in (False, True, False):
            ember.backends.cuda.matmul.allow_tf32 = allow
            ea, eb = (ember.tensor(x.astype(np.float32), device="cuda") for x in (a, b))
            got = (ea @ eb).cpu().numpy().astype(np.float64)
            errs.append(float(np.abs(got - ref).max() / np.abs(ref).max()))
        assert errs[0] < 1e-5 and errs[2] < 1e-5, errs
        assert errs[1] > 1e-4 or C.get_device_capability()[0] < 8, errs  # TF32 needs compute capability 8.0+

    check(P, "allow_tf32 reaches cuBLAS", tf32)

    def autocast_policies():
        from ember._autocast import autocast_op

        mm = autocast_op("mm")(ember.mm)
        sm = autocast_op("softmax")(F.softmax)
        sm_ = autocast_op("sum")(ember.sum)
        ln = autocast_op("layer_norm")(F.layer_norm)
        bce = autocast_op("binary_cross_entropy")(F.binary_cross_entropy)
        x = ember.randn(8, 8, device="cuda")
        with ember.amp.autocast("cuda"):
            assert mm(x, x).dtype is ember.float16
            h = x.half()
            assert sm(h, -1).dtype is ember.float32
            assert sm_(h).dtype is ember.float32
            assert ln(h, (8,)).dtype is ember.float32
            try:
                bce(ember.rand(4, device="cuda"), ember.rand(4, device="cuda"))
                raise AssertionError("binary_cross_entropy was not banned")
            except RuntimeError as e:
                assert "unsafe to autocast" in str(e)
        assert mm(x, x).dtype is ember.float32

    check(P, "autocast('cuda') policies", autocast_policies)

    def real_ops_autocast():
        x = ember.randn(8, 8, device="cuda")
        with ember.amp.autocast("cuda"):
            return ember.matmul(x, x).dtype is ember.float16

    # informative until the lead wires the decorators: counted as skip when not yet wired
    try:
        record(P, True if real_ops_autocast() else None)
    except Exception as e:  # noqa: BLE001
        record(P, False, "real ops under autocast", e)

    def scaler():
        p = ember.nn.Parameter(ember.ones(4, device="cuda"))
        opt = ember.optim.SGD([p], lr=0.1)
        s = ember.amp.GradScaler("cuda", init_scale=8.0, growth_interval=1)
        assert s.is_enabled()
        s.scale((p * 2).sum()).backward()
        s.step(opt)
        s.update()
        assert s.get_scale() == 16.0, s.get_scale()
        assert np.allclose(p.detach().cpu().numpy(), 1 - 0.1 * 2)
        opt.zero_grad()
        s.scale((p * 2).sum()).backward()
        with ember.no_grad():
            p.grad[0] = float("inf")
        before = p.detach().cpu().numpy().copy()
        s.step(opt)
        s.update()
        assert s.get_scale() == 8.0 and np.array_equal(p.detach().cpu().numpy(), before)

    check(P, "GradScaler('cuda')", scaler)

    def tensors():
        a = ember.arange(10.0, device="cuda")
        assert a.is_cuda and a.device.type == "cuda" and a.get_device() == 0
        b = (a * 2).sum()
        assert float(b.item()) == 90.0
        assert a.cpu().is_cpu and a.to("cuda:0").is_cuda

    check(P, "tensor round trip", tensors)


def _with(ctx, fn):
    with ctx:
        return fn()


# -- 2. op table on cuda ------------------------------------------------------------------------------


QUICK_FAMILIES = ["arith", "pointwise", "reduction", "blas", "shape"]
# every tests/opdb family with ops (the others list constructors and random ops, checked elsewhere), as
# tests/test_fake_cuda.py runs them on the CPU stand-in
FULL_FAMILIES = QUICK_FAMILIES + [
    "binary",
    "joining",
    "indexing",
    "sorting",
    "shape2",
    "linalg_top",
    "complex",
    "special_top",
    "spectral",
    "numeric",
]


def phase_op_table(deadline, families):
    import numpy as np
    import torch

    import ember

    import opdb  # noqa: F401 - the package the families live in
    import oracle

    P = "2 op table on cuda (vs CPU torch)"
    orig = oracle.DEVICE
    oracle.DEVICE = "cuda"
    try:
        for fam in families:
            try:
                mod = importlib.import_module(f"opdb.{fam}")
            except Exception as e:  # noqa: BLE001
                record(P, False, f"import opdb.{fam}", e)
                continue
            for op in getattr(mod, "OPS", []):
                if time.time() > deadline:
                    record(P, None)
                    return
                for dt in op.dtypes:
                    if dt not in ("float32", "float64", "int64", "bool", "int32"):
                        continue  # CuPy has no bfloat16; float16 tolerances are op-specific
                    try:
                        samples = op.samples(np.random.default_rng(0), np.dtype(dt))
                    except Exception as e:  # noqa: BLE001
                        record(P, False, f"{op.id}-{dt} samples", e)
                        continue
                    for i, s in enumerate(samples):
                        what = f"{op.id}-{dt} sample {i} {s}"
                        try:
                            _compare_sample(op, s, dt, oracle, torch, ember, np)
                            record(P, True)
                        except Exception as e:  # noqa: BLE001
                            record(P, False, what, e)
    finally:
        oracle.DEVICE = orig


def _oracle_grad_wrong(op, s, torch):
    """Gradients the GPU machine's torch (older than the pinned 2.13) gets wrong: before 2.13, trace's backward
    of a tall matrix also wrote off the diagonal (pytorch/pytorch#171704)."""
    version = tuple(int(x) for x in torch.__version__.split("+")[0].split(".")[:2])
    if op.name.endswith("trace") and version < (2, 13):
        a = s.args[0] if s.args else None
        return a is not None and a.ndim == 2 and a.shape[0] > a.shape[1]
    return False


def _compare_sample(op, s, dt, oracle, torch, ember, np):
    rtol, atol = op.rtol, op.atol
    want_grad = op.grad and dt == "float32"
    exp, tleaves = oracle.call(op, torch, s, want_grad)
    got, eleaves = oracle.call(op, ember, s, want_grad)
    eo, go = oracle.flat_outputs(exp), oracle.flat_outputs(got)
    assert len(eo) == len(go), f"{len(go)} outputs, torch has {len(eo)}"
    # singular/eigen vectors are compared up to their sign or phase: cuSOLVER's differ from LAPACK's
    d = oracle.gauge_phases(op, go, eo)
    values = go if d is None else oracle.to_torch_gauge(op, go, eo, d)
    for g, e, v in zip(go, eo, values):
        if isinstance(e, torch.Tensor):
            assert isinstance(g, ember.Tensor), "not a tensor"
            assert oracle.dtype_name(g) == oracle.dtype_name(e), f"dtype {g.dtype} != {e.dtype}"
            assert g.is_cuda or g.numel() == 0 or not any(t.is_cuda for t in eleaves), "output left the GPU"
            if op.nondeterministic:
                continue
        oracle.assert_close(v, e, max(rtol, 1e-5), max(atol, 1e-5), "forward")
    if not want_grad or not tleaves:
        return
    tdiff = [o for o in eo if isinstance(o, torch.Tensor) and o.requires_grad]
    gdiff = [o for o in go if isinstance(o, ember.Tensor) and o.requires_grad]
    if not tdiff:
        return
    rng = np.random.default_rng(1)
    # an upstream gradient of each output's own dtype (complex outputs of real inputs: polar, eigvals)
    ups = [rng.standard_normal(tuple(o.shape)).astype(oracle.to_numpy(o).dtype) for o in tdiff]
    ups = oracle.drop_extra_columns(op, ups)
    if _oracle_grad_wrong(op, s, torch):
        return
    try:
        tg = torch.autograd.grad(tdiff, tleaves, [torch.tensor(u) for u in ups], allow_unused=True)
    except RuntimeError as e:
        if "not implemented" in str(e):  # torch has no derivative for it (aminmax): no oracle for the gradient
            return
        raise
    eups = oracle.gauge_upstream(op, ups, d)
    eg = ember.autograd.grad(
        gdiff, eleaves, [ember.tensor(u, device=o.device) for u, o in zip(eups, gdiff)], allow_unused=True
    )
    for k, (a, b) in enumerate(zip(eg, tg)):
        if b is None:
            continue
        assert a is not None, f"grad {k} is None"
        oracle.assert_close(a, b, max(rtol, 1e-4), max(atol, 1e-4), f"grad {k}")


# -- 2b. fused CUDA kernels ------------------------------------------------------------------------------------


def phase_fused(deadline):
    """ember's fused kernels (ember/cuda/_fused.py) on the GPU against torch on the CPU, forward and backward,
    with a count of the launches of each kernel (a case whose kernel never ran fails)."""
    import numpy as np
    import torch
    import torch.nn.functional as TF

    import ember
    import ember.nn.functional as EF
    from ember.cuda import _fused

    P = "2b fused kernels (vs CPU torch)"
    launched = {}
    orig_fn = _fused._fn

    def counting_fn(name, dtype, *flags):
        launched[name] = launched.get(name, 0) + 1
        return orig_fn(name, dtype, *flags)

    _fused._fn = counting_fn
    rng = np.random.default_rng(0)

    def rand(shape, dt):
        return rng.standard_normal(shape).astype(dt)

    def compare(what, kernels, t_fn, e_fn, arrays, dt, n_grad, tol=1.0):
        """t_fn/e_fn map tensors to one output; the first n_grad arrays get gradients. tol scales the
        tolerances (for long float32 reductions)."""
        if time.time() > deadline:
            record(P, None)
            return
        launched.clear()
        try:
            rtol, atol = (2e-4 * tol, 2e-5 * tol) if dt == np.float32 else (1e-9, 1e-11)
            tt = [torch.tensor(a, requires_grad=i < n_grad) for i, a in enumerate(arrays)]
            et = [ember.tensor(a, device="cuda").requires_grad_(i < n_grad) for i, a in enumerate(arrays)]
            to, eo = t_fn(*tt), e_fn(*et)
            assert eo.is_cuda and tuple(eo.shape) == tuple(to.shape), (eo.shape, to.shape)
            np.testing.assert_allclose(eo.detach().cpu().numpy(), to.detach().numpy(), rtol=rtol, atol=atol)
            if n_grad:
                g = rand(tuple(to.shape), dt)
                to.backward(torch.tensor(g))
                eo.backward(ember.tensor(g, device="cuda"))
                for i in range(n_grad):
                    np.testing.assert_allclose(
                        et[i].grad.cpu().numpy(),
                        tt[i].grad.numpy(),
                        rtol=rtol * 10,
                        atol=atol * 10,
                        err_msg=f"grad {i}",
                    )
            missing = [k for k in kernels if not launched.get(k)]
            assert not missing, f"kernels not launched: {missing} (launched {launched})"
            record(P, True)
        except Exception as e:  # noqa: BLE001
            record(P, False, what, e)

    def optimizer_steps(name, kw, lr, dt):
        """Three steps of torch.optim.<name> on the CPU and ember.optim.<name> on the GPU from the same
        gradients; the parameters must agree."""
        ws = [rand((300, 70), dt), rand((70,), dt)]
        tp = [torch.tensor(w, requires_grad=True) for w in ws]
        ep = [ember.tensor(w, device="cuda").requires_grad_(True) for w in ws]
        topt = getattr(torch.optim, name)(tp, lr=lr, **kw)
        eopt = getattr(ember.optim, name)(ep, lr=lr, **kw)
        for _ in range(3):
            gs = [rand(w.shape, dt) for w in ws]
            for p, g in zip(tp, gs):
                p.grad = torch.tensor(g)
            for p, g in zip(ep, gs):
                p.grad = ember.tensor(g, device="cuda")
            topt.step()
            eopt.step()
        rtol, atol = (1e-5, 1e-6) if dt == np.float32 else (1e-12, 1e-14)
        for e, t in zip(ep, tp):
            np.testing.assert_allclose(e.detach().cpu().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)

    try:
        for dt in (np.float32, np.float64):
            for shape, norm, affine in (
                ((2048, 256), (256,), True),
                ((7, 33), (33,), True),
                ((4, 5, 1030), (5, 1030), False),
            ):
                arrays = [rand(shape, dt)] + ([rand(norm, dt), rand(norm, dt)] if affine else [])
                kern = ["ln_fwd", "ln_bwd_x"] + (["ln_bwd_wb"] if affine else [])
                compare(
                    f"layer_norm {shape} {dt.__name__}",
                    kern,
                    lambda x, *wb, n=norm: TF.layer_norm(x, n, *wb),
                    lambda x, *wb, n=norm: EF.layer_norm(x, n, *wb),
                    arrays,
                    dt,
                    len(arrays),
                )
            compare(  # 16 column tiles x 32 row chunks, whose partial sums each tile's last block adds
                f"layer_norm (8192, 512) weight/bias in row chunks {dt.__name__}",
                ["ln_fwd", "ln_bwd_x", "ln_bwd_wb"],
                lambda x, w, b: TF.layer_norm(x, (512,), w, b),
                lambda x, w, b: EF.layer_norm(x, (512,), w, b),
                [rand((8192, 512), dt), rand((512,), dt), rand((512,), dt)],
                dt,
                3,
                tol=5.0,
            )
            for xshape, out_f in (((2048, 256), 1024), ((16, 128, 256), 256), ((5,), 37), ((40000, 64), 64)):
                compare(  # the bias added by add_bias, its gradient by col_sum (two passes for the last)
                    f"linear {xshape} -> {out_f} {dt.__name__}",
                    ["add_bias", "col_sum"],
                    TF.linear,
                    EF.linear,
                    [rand(xshape, dt), rand((out_f, xshape[-1]), dt) * 0.1, rand((out_f,), dt)],
                    dt,
                    3,
                    tol=5.0,
                )
            compare(
                f"relu (2048, 1024) {dt.__name__}",
                ["relu_fwd", "relu_bwd"],
                TF.relu,
                EF.relu,
                [rand((2048, 1024), dt)],
                dt,
                1,
            )
            compare(
                f"add same shape (2048, 256) {dt.__name__}",
                ["add2"],
                lambda a, b: a + b,
                lambda a, b: a + b,
                [rand((2048, 256), dt), rand((2048, 256), dt)],
                dt,
                2,
            )
            for log in (False, True):
                tf, ef = (TF.log_softmax, EF.log_softmax) if log else (TF.softmax, EF.softmax)
                for shape in ((16, 4, 128, 128), (3, 1030), (5, 1), (2, 3000)):
                    compare(
                        f"{'log_' if log else ''}softmax {shape} {dt.__name__}",
                        ["softmax_fwd", "softmax_bwd"],
                        lambda x, f=tf: f(x, -1),
                        lambda x, f=ef: f(x, -1),
                        [rand(shape, dt) * 3],
                        dt,
                        1,
                    )
            for (m, C), red, ign in (
                ((2048, 512), "mean", False),
                ((37, 11), "none", True),
                ((300, 1500), "sum", True),
                ((64, 10), "mean", True),
            ):
                t = rng.integers(0, C, m)
                if ign:
                    t[::3] = -100
                kern = ["ce_fwd", "ce_bwd"] + (["ce_reduce"] if red != "none" else [])
                compare(
                    f"cross_entropy {(m, C)} {red} ignore={ign} {dt.__name__}",
                    kern,
                    lambda x, t=t, r=red: TF.cross_entropy(x, torch.tensor(t), reduction=r),
                    lambda x, t=t, r=red: EF.cross_entropy(x, ember.tensor(t, device="cuda"), reduction=r),
                    [rand((m, C), dt) * 2],
                    dt,
                    1,
                )
            for mask in ("causal", "bool-dead-row", "float"):
                L = 64
                mk = {"causal": None, "bool-dead-row": rng.random((L, L)) > 0.3, "float": rand((L, L), dt)}[mask]
                if mask == "bool-dead-row":
                    mk[5] = False  # a query that attends to nothing: zeros, as torch
                causal = mask == "causal"
                compare(
                    f"sdpa {mask} {dt.__name__}",
                    ["safe_softmax"],
                    lambda q, k, v, m=mk, c=causal: TF.scaled_dot_product_attention(
                        q, k, v, attn_mask=None if m is None else torch.tensor(m), is_causal=c
                    ),
                    lambda q, k, v, m=mk, c=causal: EF.scaled_dot_product_attention(
                        q, k, v, attn_mask=None if m is None else ember.tensor(m, device="cuda"), is_causal=c
                    ),
                    [rand((4, 2, L, 16), dt) for _ in range(3)],
                    dt,
                    3,
                )
            for bf in (True, False):  # self-attention as one graph node (what a transformer layer runs)
                L, B, E = 64, 4, 64

                def mha(lib, F, x, w, b, wo, bo, bf=bf, L=L, E=E):
                    q = x.transpose(0, 1) if bf else x
                    m = lib.triu(lib.full((L, L), float("-inf"), device=x.device), diagonal=1)
                    return F.multi_head_attention_forward(
                        q,
                        q,
                        q,
                        E,
                        4,
                        w,
                        b,
                        None,
                        None,
                        False,
                        0.0,
                        wo,
                        bo,
                        need_weights=False,
                        attn_mask=m,
                        is_causal=True,
                    )[0]

                compare(
                    f"self-attention node batch_first={bf} {dt.__name__}",
                    ["safe_softmax", "softmax_bwd"],
                    lambda *a: mha(torch, TF, *a),
                    lambda *a: mha(ember, EF, *a),
                    [
                        rand((B, L, E) if bf else (L, B, E), dt),
                        rand((3 * E, E), dt) * 0.1,
                        rand((3 * E,), dt),
                        rand((E, E), dt) * 0.1,
                        rand((E,), dt),
                    ],
                    dt,
                    5,
                )
            compare(  # the one-node GEMM path with a GEMV bias gradient (no fused kernel)
                f"linear 3-d with bias {dt.__name__}",
                [],
                TF.linear,
                EF.linear,
                [rand((16, 128, 256), dt), rand((96, 256), dt), rand((96,), dt)],
                dt,
                3,
            )
            for ta, tb in ((False, True), (True, False), (True, True)):  # one strided-batched cuBLAS call each
                compare(
                    f"batched matmul of transposed operands ({ta}, {tb}) {dt.__name__}",
                    [],
                    lambda a, b, ta=ta, tb=tb: (a.transpose(-1, -2) if ta else a) @ (b.transpose(-1, -2) if tb else b),
                    lambda a, b, ta=ta, tb=tb: (a.transpose(-1, -2) if ta else a) @ (b.transpose(-1, -2) if tb else b),
                    [rand((4, 3, 33, 33), dt), rand((4, 3, 33, 33), dt)],
                    dt,
                    2,
                )
            compare(
                f"sum over leading axes {dt.__name__}",
                [],
                lambda x: x.sum((0, 1)),
                lambda x: x.sum((0, 1)),
                [rand((16, 128, 96), dt)],
                dt,
                1,
            )
            for approx in ("none", "tanh"):
                compare(
                    f"gelu {approx} {dt.__name__}",
                    ["gelu_fwd"],
                    lambda x, a=approx: TF.gelu(x, approximate=a),
                    lambda x, a=approx: EF.gelu(x, approximate=a),
                    [rand((1000, 37), dt) * 3],
                    dt,
                    1,
                )
            for shape, train in (((64, 32, 32, 32), True), ((5, 3, 7), True), ((8, 16), False), ((4, 8, 9, 9), False)):
                C = shape[1]
                rm, rv = rand((C,), dt), np.abs(rand((C,), dt)) + 0.5
                compare(  # the running statistics are compared through a second output
                    f"batch_norm {shape} train={train} {dt.__name__}",
                    ["bn_apply", "bn_bwd_x"] + (["bn_stats", "bn_bwd_reduce"] if train else []),
                    lambda x, w, b, rm=rm, rv=rv, t=train: _bn_out(torch, x, w, b, rm, rv, t),
                    lambda x, w, b, rm=rm, rv=rv, t=train: _bn_out(ember, x, w, b, rm, rv, t),
                    [rand(shape, dt) * 2 + 1, rand((C,), dt), rand((C,), dt)],
                    dt,
                    3,
                )
            for shape, kw in (
                ((64, 32, 32, 32), dict(kernel_size=2)),
                ((4, 3, 17, 15), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
                ((2, 5, 12, 12), dict(kernel_size=(3, 2), stride=1, padding=(1, 0), dilation=(2, 1))),
            ):
                x = rand(shape, dt)
                x[0, 0, 1, 1] = np.nan
                compare(
                    f"max_pool2d {shape} {kw} {dt.__name__}",
                    ["maxpool2d_fwd", "maxpool2d_bwd"],
                    lambda x, kw=kw: _pool_out(torch, x, kw),
                    lambda x, kw=kw: _pool_out(ember, x, kw),
                    [x],
                    dt,
                    1,
                )
            for xs, ws, kw in (
                ((64, 32, 16, 16), (64, 32, 3, 3), dict(padding=1)),
                ((3, 4, 7, 9), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)),
                ((4, 3, 11), (5, 3, 3), dict(stride=2, padding=2, dilation=2)),
            ):
                f = "conv2d" if len(xs) == 4 else "conv1d"
                compare(
                    f"{f} {xs} {ws} {kw} {dt.__name__}",
                    ["im2col2d", "col2im2d"],
                    lambda x, w, b, f=f, kw=kw: getattr(TF, f)(x, w, b, **kw),
                    lambda x, w, b, f=f, kw=kw: getattr(EF, f)(x, w, b, **kw),
                    [rand(xs, dt), rand(ws, dt) * 0.2, rand((ws[0],), dt)],
                    dt,
                    3,
                    tol=10.0 if xs[0] == 64 else 1.0,  # float32 sums of 16384 products for the weight gradient
                )
            for name, kw, lr, kernel in (
                ("Adam", {}, 0.01, "adam_multi"),
                ("Adam", {"weight_decay": 0.1, "amsgrad": True}, 0.01, "adam_multi"),
                ("AdamW", {"maximize": True}, 0.01, "adam_multi"),
                ("SGD", {"momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}, 0.05, "sgd_multi"),
                ("SGD", {"momentum": 0.8, "nesterov": True}, 0.05, "sgd_multi"),
            ):
                if time.time() > deadline:
                    break
                launched.clear()
                try:
                    optimizer_steps(name, kw, lr, dt)
                    assert launched.get(kernel) == 3, launched  # one launch per step for both parameters
                    record(P, True)
                except Exception as e:  # noqa: BLE001
                    record(P, False, f"{name} {kw} {dt.__name__}", e)
        for dt in (np.float32, np.float64):
            idx = rng.integers(0, 512, (16, 128))
            compare(
                f"embedding {dt.__name__}",
                ["embed_fwd", "embed_bwd"],
                lambda w, idx=idx: TF.embedding(torch.tensor(idx), w),
                lambda w, idx=idx: EF.embedding(ember.tensor(idx, device="cuda"), w),
                [rand((512, 256), dt)],
                dt,
                1,
            )
        # GradScaler: unscale in one kernel and the scale update on the device, against torch's CPU GradScaler
        launched.clear()
        try:
            ws = [rand((300, 70), np.float32), rand((70,), np.float32)]
            tp = [torch.tensor(w, requires_grad=True) for w in ws]
            ep = [ember.tensor(w, device="cuda").requires_grad_(True) for w in ws]
            topt, eopt = torch.optim.SGD(tp, lr=0.1), ember.optim.SGD(ep, lr=0.1)
            kw = dict(init_scale=1024.0, growth_factor=2.0, backoff_factor=0.25, growth_interval=2)
            ts, es = torch.amp.GradScaler("cpu", **kw), ember.amp.GradScaler("cuda", **kw)
            for step in range(4):
                ts.scale(torch.ones(()))
                es.scale(ember.ones((), device="cuda"))
                gs = [rand(w.shape, np.float32) for w in ws]
                if step == 1:
                    gs[0][3, 4] = np.inf
                for p, g in zip(tp, gs):
                    p.grad = torch.tensor(g) * ts.get_scale()
                for p, g in zip(ep, gs):
                    p.grad = ember.tensor(g, device="cuda") * es.get_scale()
                ts.step(topt)
                es.step(eopt)
                ts.update()
                es.update()
                assert es.get_scale() == ts.get_scale(), (step, es.get_scale(), ts.get_scale())
            for e, t in zip(ep, tp):
                np.testing.assert_allclose(e.detach().cpu().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
            assert launched.get("amp_unscale") == 4 and launched.get("amp_update_scale") == 4, launched
            record(P, True)
        except Exception as e:  # noqa: BLE001
            record(P, False, "GradScaler unscale/update kernels", e)
        # random numbers: the GPU's draws equal the same draws made on the host side of the CUDA generator
        for dt in (ember.float32, ember.float64):
            launched.clear()
            try:

                def draws(dt=dt):
                    ember.cuda.manual_seed(5)
                    return [
                        ember.rand(100001, device="cuda", dtype=dt),
                        ember.randn(3, 33333, device="cuda", dtype=dt),
                        ember.empty(99999, device="cuda", dtype=dt).bernoulli_(0.3),
                        ember.empty(1700, 3, device="cuda", dtype=dt).uniform_(-2.0, 5.0),
                        ember.nn.functional.dropout(ember.ones(400, 500, device="cuda", dtype=dt), 0.3),
                    ]

                dev = draws()
                assert launched.get("rng_uniform") == 2 and launched.get("rng_bernoulli") == 2, launched
                with _fused.disabled():
                    host = draws()
                for i, (d, h) in enumerate(zip(dev, host)):
                    if i == 1:
                        np.testing.assert_allclose(d.cpu().numpy(), h.cpu().numpy(), rtol=1e-5, atol=1e-6)
                    else:
                        np.testing.assert_array_equal(d.cpu().numpy(), h.cpu().numpy(), err_msg=f"draw {i}")
                z = dev[1].cpu().numpy().astype(np.float64)
                assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02, (z.mean(), z.std())
                record(P, True)
            except Exception as e:  # noqa: BLE001
                record(P, False, f"rng device vs host {dt}", e)
        # the bad-target error goes through the kernel's flag
        try:
            EF.cross_entropy(ember.randn(4, 3, device="cuda"), ember.tensor([0, 5, 1, 7], device="cuda"))
            record(P, False, "cross_entropy bad target did not raise")
        except IndexError as e:
            record(P, "Target 5 is out of bounds." in str(e), f"cross_entropy bad target message: {e}")
    finally:
        _fused._fn = orig_fn


def _bn_out(lib, x, w, b, rm, rv, train):
    """batch_norm's output, with the updated running statistics appended as extra rows (so one comparison
    covers both); the statistics live on x's device."""
    rm_t = lib.tensor(rm).to(x.device)
    rv_t = lib.tensor(rv).to(x.device)
    y = lib.nn.functional.batch_norm(x, rm_t, rv_t, w, b, train, 0.1, 1e-5)
    return lib.cat([y.reshape(-1), rm_t * 1e-3, rv_t * 1e-3])


def _pool_out(lib, x, kw):
    """max_pool2d's output with its indices appended (as floats), so one comparison covers both."""
    y, i = lib.nn.functional.max_pool2d(x, return_indices=True, **kw)
    return lib.cat([y.reshape(-1), i.reshape(-1).to(y.dtype)])


# -- 3. benchmarks --------------------------------------------------------------------------------------


def _mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))


def _cnn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 8 * 8, 10),
    )


def _gpt(lib, vocab=512, d=256, heads=4, layers=4, ctx=128):
    nn = lib.nn

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(vocab, d)
            self.pos = nn.Embedding(ctx, d)
            layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, batch_first=True, norm_first=True)
            self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
            self.ln = nn.LayerNorm(d)
            self.head = nn.Linear(d, vocab)
            mask = lib.triu(lib.full((ctx, ctx), float("-inf")), diagonal=1)
            self.register_buffer("mask", mask)

        def forward(self, idx):
            t = idx.shape[1]
            x = self.tok(idx) + self.pos(lib.arange(t, device=idx.device))
            x = self.blocks(x, mask=self.mask[:t, :t])
            return self.head(self.ln(x))

    return GPT()


def _batch(lib, kind, device, rng):
    import numpy as np

    if kind == "MLP":
        x = rng.standard_normal((256, 784)).astype(np.float32)
        y = rng.integers(0, 10, 256)
    elif kind == "CNN":
        x = rng.standard_normal((64, 3, 32, 32)).astype(np.float32)
        y = rng.integers(0, 10, 64)
    else:
        x = rng.integers(0, 512, (16, 128))
        y = rng.integers(0, 512, (16, 128))
    return lib.tensor(x).to(device), lib.tensor(y).to(device)


def _time_steps(lib, kind, device, steps, sync, warmup=3):
    import numpy as np

    lib.manual_seed(0)
    model = {"MLP": _mlp, "CNN": _cnn, "GPT": _gpt}[kind](lib).to(device)
    opt = lib.optim.AdamW(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x, y = _batch(lib, kind, device, rng)

    def step():
        opt.zero_grad()
        out = model(x)
        if kind == "GPT":
            loss = lib.nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
        else:
            loss = lib.nn.functional.cross_entropy(out, y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        loss = step()
        sync()
        times.append((time.perf_counter() - t0) * 1e3)
    assert np.isfinite(float(loss.item()))
    return float(np.median(times))


def phase_bench(deadline, quick):
    import torch

    import ember

    P = "3 train-step timings"
    steps = 5 if quick else 15
    from ember.cuda import _fused

    backends = [("ember cuda", ember, "cuda", ember.cuda.synchronize)]
    if _fused.ENABLED:
        backends.append(("ember generic", ember, "cuda", ember.cuda.synchronize))  # fused kernels off
    if torch.cuda.is_available():
        backends.append(("torch cuda", torch, "cuda", torch.cuda.synchronize))
    if not quick:
        backends.append(("torch cpu", torch, "cpu", lambda: None))
    for kind in ("MLP", "CNN", "GPT"):
        for name, lib, dev, sync in backends:
            if dev == "cpu" and kind != "MLP":
                continue  # CPU timings of the bigger models would eat the budget; the MLP gives the scale
            if time.time() > deadline:
                TIMINGS.append((kind, name, None, "skipped: phase deadline"))
                record(P, None)
                continue
            n = 3 if dev == "cpu" else steps
            try:
                prev = _fused.ENABLED
                _fused.ENABLED = prev and name != "ember generic"
                try:
                    ms = _time_steps(lib, kind, dev, n, sync, warmup=1 if dev == "cpu" else 3)
                finally:
                    _fused.ENABLED = prev
                TIMINGS.append((kind, name, ms, f"median of {n}"))
                record(P, True)
            except Exception as e:  # noqa: BLE001
                TIMINGS.append((kind, name, None, f"{type(e).__name__}: {str(e).splitlines()[0][:80]}"))
                record(P, False, f"{kind} on {name}", e)


# -- 2c. ember.fft on cuda -------------------------------------------------------------------------------------


def phase_fft(deadline):
    """tests/test_fft.py's transform and stft/istft checks (values, grad_fn names, first and second-order
    gradients) with ember's tensors on the GPU (cuFFT through cupyx.scipy.fft), torch on the CPU."""
    import test_fft as T

    P = "2c fft on cuda (vs CPU torch)"
    T.DEV = "cuda"
    cases = [(T.test_1d, (f, dt)) for f in T.ONE_D for dt in ("float32", "float64", "complex64", "complex128")]
    cases += [(T.test_nd, (f, dt)) for f in T.N_D for dt in ("float32", "float64", "complex64", "complex128")]
    cases += [(T.test_stft, (dt,)) for dt in ("float32", "float64", "complex64", "complex128")]
    cases += [(T.test_istft, (dt,)) for dt in ("float32", "float64")]
    cases += [(T.test_int_and_bool_inputs, ())]
    try:
        for fn, args in cases:
            if time.time() > deadline:
                record(P, None)
                continue
            try:
                fn("cuda", *args)
                record(P, True)
            except Exception as e:  # noqa: BLE001
                record(P, False, f"{fn.__name__}{args}", e)
    finally:
        T.DEV = "cpu"


# -- 5. the multi-GPU device guard ----------------------------------------------------------------------------


def _losses(lib, kind, steps):
    lib.manual_seed(0)
    model = {"MLP": _mlp, "CNN": _cnn, "GPT": _gpt}[kind](lib).to("cuda")
    opt = lib.optim.AdamW(model.parameters(), lr=1e-3)
    x, y = _batch(lib, kind, "cuda", __import__("numpy").random.default_rng(0))
    out = []
    for _ in range(steps):
        opt.zero_grad()
        o = model(x)
        loss = lib.nn.functional.cross_entropy(o.reshape(-1, o.shape[-1]) if kind == "GPT" else o, y.reshape(-1))
        loss.backward()
        opt.step()
        out.append(float(loss.item()))
    return out


def phase_guard(deadline):
    """The device guard (ember/_device_guard.py) on real CuPy: on one GPU it is forced on and the three train
    steps must give the same losses as with it off (its cost is timed); with two GPUs, a model split over them
    must train as torch's does on the CPU."""
    import numpy as np

    import ember
    import ember.cuda as C
    from ember import _device_guard as G

    P = "5 multi-GPU device guard"
    C.synchronize()
    for kind in ("MLP", "CNN", "GPT"):
        if time.time() > deadline:
            record(P, None)
            continue
        try:
            off = _losses(ember, kind, 4)
            G.activate()
            try:
                on = _losses(ember, kind, 4)
                ms_on = _time_steps(ember, kind, "cuda", 10, C.synchronize)
            finally:
                G.deactivate()
            ms_off = _time_steps(ember, kind, "cuda", 10, C.synchronize)
            np.testing.assert_allclose(on, off, rtol=1e-6, err_msg=f"{kind}: losses with the guard on")
            TIMINGS.append((kind, "ember guarded", ms_on, f"guard forced on; off: {ms_off:.2f} ms"))
            record(P, True)
        except Exception as e:  # noqa: BLE001
            G.deactivate()
            record(P, False, kind, e)
    if C.device_count() < 2:
        log("[guard] one GPU: the two-device check is skipped")
        record(P, None)
        return
    try:
        import torch

        torch.manual_seed(0)
        t1, t2 = torch.nn.Linear(5, 8), torch.nn.Linear(8, 3)
        e1, e2 = ember.nn.Linear(5, 8), ember.nn.Linear(8, 3)
        for t, e in ((t1, e1), (t2, e2)):
            e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
        e1.to("cuda:1"), e2.to("cuda:0")
        tp, ep = [*t1.parameters(), *t2.parameters()], [*e1.parameters(), *e2.parameters()]
        topt, eopt = torch.optim.Adam(tp, lr=0.01), ember.optim.Adam(ep, lr=0.01)
        rng = np.random.default_rng(1)
        for _ in range(3):
            x, y = rng.standard_normal((4, 5)).astype(np.float32), rng.integers(0, 3, 4)
            tl = torch.nn.functional.cross_entropy(t2(t1(torch.tensor(x)).relu()), torch.tensor(y))
            el = ember.nn.functional.cross_entropy(
                e2(e1(ember.tensor(x, device="cuda:1")).relu().to("cuda:0")), ember.tensor(y, device="cuda:0")
            )
            tl.backward(), el.backward()
            ember.nn.utils.clip_grad_norm_(ep, 0.5), torch.nn.utils.clip_grad_norm_(tp, 0.5)
            topt.step(), eopt.step()
            topt.zero_grad(), eopt.zero_grad()
            np.testing.assert_allclose(el.item(), tl.item(), rtol=1e-4)
        for t, e in zip(tp, ep):
            np.testing.assert_allclose(e.detach().cpu().numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-6)
        assert C.current_device() == 0
        record(P, True)
    except Exception as e:  # noqa: BLE001
        record(P, False, "model split over cuda:0 and cuda:1", e)


# -- 4. summary -----------------------------------------------------------------------------------------


def summary(info, t_start):
    log("\n" + "=" * 78)
    log("ember GPU check summary")
    for k, v in info.items():
        log(f"  {k}: {v}")
    log(f"  wall time: {time.time() - t_start:.0f} s")
    log("-" * 78)
    log(f"  {'phase':<40}{'pass':>8}{'fail':>8}{'skip':>8}")
    for phase in sorted(RESULTS):
        r = RESULTS[phase]
        log(f"  {phase:<40}{r['pass']:>8}{r['fail']:>8}{r['skip']:>8}")
    for phase in sorted(RESULTS):
        if RESULTS[phase]["failures"]:
            log(f"\n  first failures in {phase}:")
            for f in RESULTS[phase]["failures"]:
                log(f"    - {f}")
    if TIMINGS:
        log("-" * 78)
        log(f"  {'model':<6}{'backend':<14}{'ms/step':>10}   note")
        for kind, name, ms, note in TIMINGS:
            log(f"  {kind:<6}{name:<14}{(f'{ms:.2f}' if ms is not None else '-'):>10}   {note}")
    log("=" * 78)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer op families and benchmark steps")
    ap.add_argument("--budget", type=float, default=420.0, help="wall-clock budget in seconds (default 420)")
    ap.add_argument("--families", default=None, help="comma-separated tests/opdb families for phase 2")
    ap.add_argument("--skip", default="", help="comma-separated phases to skip: api,fused,ops,fft,bench,guard")
    args = ap.parse_args()
    t_start = time.time()
    end = t_start + args.budget
    cp, torch, info = setup()
    if cp is None:
        summary(info, t_start)
        log("No usable CuPy/GPU: nothing to check. See the setup notes at the top of this script.")
        return 2
    if torch is None:
        log("[setup] no torch: the op table and torch timings are skipped")
    skip = set(filter(None, args.skip.split(",")))
    families = args.families.split(",") if args.families else (QUICK_FAMILIES if args.quick else FULL_FAMILIES)
    # deadlines: shares of the budget (API 15%, fused 20%, ops 45%, benchmarks 20%), renormalised over
    # the phases that run
    phases = [
        ("api", 0.15, lambda d: phase_cuda_api(d)),
        ("fused", 0.2, lambda d: phase_fused(d)),
        ("ops", 0.45, lambda d: phase_op_table(d, families)),
        ("fft", 0.05, lambda d: phase_fft(d)),
        ("bench", 0.2, lambda d: phase_bench(d, args.quick)),
        ("guard", 0.1, lambda d: phase_guard(d)),
    ]
    phases = [
        p
        for p in phases
        if p[0] not in skip and not (torch is None and p[0] in ("fused", "ops", "fft", "bench", "guard"))
    ]
    for i, (key, share, fn) in enumerate(phases):
        # a phase's share of what is left, counting only the phases still to run (a skipped phase's
        # time goes to the others)
        deadline = time.time() + (end - time.time()) * share / sum(p[1] for p in phases[i:])
        log(f"[{key}] running (deadline in {deadline - time.time():.0f} s)")
        try:
            fn(deadline)
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            record(f"phase {key}", False, "crashed", e)
    summary(info, t_start)
    return 1 if any(r["fail"] for r in RESULTS.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
