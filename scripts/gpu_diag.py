#!/usr/bin/env python
"""Is a train step bound by the host (Python + launches) or by the GPU? Run on a GPU machine, from the repo root.

    python scripts/gpu_diag.py [--models GPT,CNN] [--steps 10]
    python scripts/gpu_diag.py --models MLP,CNN,GPT --interleaved 8   # the ember/torch ratio only

For each workload of scripts/gpu_check.py, with ember and with torch on cuda:
  - host ms/step (the time until the step's Python returns, no synchronize) and total ms/step (with a
    synchronize after each step): host close to total means the host bounds the step;
  - through torch.profiler (CUPTI sees every kernel of the process, CuPy's included): kernel launches
    per step, GPU busy ms per step, and the kernels that take the most GPU time;
  - the CUDA runtime/driver calls per step seen on the host (launches, memcpys, synchronizations).
"""

import argparse
import collections
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import numpy as np  # noqa: E402
from gpu_profile import build  # noqa: E402


def warm_step(lib, kind, sync):
    """One train step of the workload on cuda (zero_grad, forward, backward, AdamW), run 3 times to warm up."""
    _, opt, fwd = build(lib, kind, "cuda")

    def step():
        opt.zero_grad()
        fwd().backward()
        opt.step()

    for _ in range(3):
        step()
    sync()
    return step


def host_and_total(lib, kind, steps, sync):
    step = warm_step(lib, kind, sync)
    host, total = [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        t1 = time.perf_counter()
        sync()
        t2 = time.perf_counter()
        host.append(t1 - t0)
        total.append(t2 - t0)
    return 1e3 * float(np.median(host)), 1e3 * float(np.median(total)), step


def interleaved(kind, rounds, steps):
    """ember and torch train steps alternated in blocks (ember block, torch block, ...), so that a drift in the
    machine's speed hits both: median ms/step of each, the median of the per-round ratios, and the ratio of the
    fastest blocks (a host-bound step's own cost, least disturbed by a slowing host)."""
    import torch

    import ember

    runs = [
        (warm_step(lib, kind, sync), sync, [])
        for lib, sync in ((ember, ember.cuda.synchronize), (torch, torch.cuda.synchronize))
    ]
    for _ in range(rounds):
        for step, sync, times in runs:
            sync()
            t0 = time.perf_counter()
            for _ in range(steps):
                step()
            sync()
            times.append((time.perf_counter() - t0) / steps * 1e3)
    e, t = runs[0][2], runs[1][2]
    ratio = float(np.median([a / b for a, b in zip(e, t)]))
    return float(np.median(e)), float(np.median(t)), ratio, min(e) / min(t)


def kernels(step, sync, steps):
    import torch
    from torch.profiler import ProfilerActivity, profile

    sync()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(steps):
            step()
        sync()
    gpu = collections.Counter()
    gpu_n = collections.Counter()
    api = collections.Counter()
    for e in prof.events():
        dt = getattr(e, "device_type", None)
        if dt == torch.autograd.DeviceType.CUDA:
            dur = getattr(e, "device_time", None)
            if dur is None:
                dur = getattr(e, "cuda_time", 0.0)
            gpu[e.name] += dur
            gpu_n[e.name] += 1
        elif e.name.startswith(("cuda", "cu")) and not e.name.startswith("cudnn"):
            api[e.name] += 1
    n_k = sum(gpu_n.values())
    busy = sum(gpu.values())
    lines = [f"    kernels/step {n_k / steps:.0f}   GPU busy ms/step {busy / steps / 1e3:.2f}"]
    lines.append("    host API calls/step: " + ", ".join(f"{k} {v / steps:.0f}" for k, v in api.most_common(8)))
    for name, us in gpu.most_common(14):
        lines.append(f"    {us / steps:8.1f} us/step  x{gpu_n[name] / steps:4.0f}  {name[:90]}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="GPT,CNN")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--interleaved", type=int, default=0, help="rounds of alternated blocks of 5 steps (0: off)")
    args = ap.parse_args()
    import torch

    import ember

    if args.interleaved:
        for kind in args.models.split(","):
            e, t, r, rmin = interleaved(kind, args.interleaved, 5)
            print(
                f"== {kind} interleaved: ember {e:.2f} ms/step, torch {t:.2f} ms/step, ratio {r:.2f} "
                f"(median of the rounds' ratios; of the fastest blocks {rmin:.2f})",
                flush=True,
            )
        return 0
    for kind in args.models.split(","):
        for name, lib, sync in (
            ("ember", ember, ember.cuda.synchronize),
            ("torch", torch, torch.cuda.synchronize),
        ):
            t0 = time.time()
            h, t, step = host_and_total(lib, kind, args.steps, sync)
            print(
                f"== {kind} {name}: host {h:.2f} ms/step, total {t:.2f} ms/step ({time.time() - t0:.0f} s)", flush=True
            )
            try:
                print(kernels(step, sync, 3), flush=True)
            except Exception as e:  # noqa: BLE001
                print(f"    profiler failed: {type(e).__name__}: {e}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
