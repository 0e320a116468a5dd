#!/usr/bin/env python
"""Where an ember train step spends its time on the GPU: run on a machine with an NVIDIA GPU, from the repo root.

    python scripts/gpu_profile.py [--models MLP,CNN,GPT] [--steps 10] [--out DIR]

For each of scripts/gpu_check.py's train-step workloads it prints the median ms/step of ember on cuda
and of torch on cuda, ember's split into forward / backward / optimizer step (a synchronize after
each), and a cProfile of ember's steps (top functions by own time: Python overhead versus CuPy
kernel launches). With --out, the full profile listings are written there as text.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import gpu_check as G  # noqa: E402
import numpy as np  # noqa: E402


def build(lib, kind, device):
    lib.manual_seed(0)
    model = {"MLP": G._mlp, "CNN": G._cnn, "GPT": G._gpt}[kind](lib).to(device)
    opt = lib.optim.AdamW(model.parameters(), lr=1e-3)
    x, y = G._batch(lib, kind, device, np.random.default_rng(0))
    F = lib.nn.functional

    def fwd():
        out = model(x)
        if kind == "GPT":
            out = out.reshape(-1, out.shape[-1])
            return F.cross_entropy(out, y.reshape(-1))
        return F.cross_entropy(out, y)

    return model, opt, fwd


def split(lib, kind, steps, sync):
    _, opt, fwd = build(lib, kind, "cuda")
    rows = {"zero_grad+forward": [], "backward": [], "optimizer": [], "step": []}
    for i in range(steps + 3):
        sync()
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = fwd()
        sync()
        t1 = time.perf_counter()
        loss.backward()
        sync()
        t2 = time.perf_counter()
        opt.step()
        sync()
        t3 = time.perf_counter()
        if i >= 3:
            rows["zero_grad+forward"].append(t1 - t0)
            rows["backward"].append(t2 - t1)
            rows["optimizer"].append(t3 - t2)
            rows["step"].append(t3 - t0)
    return {k: 1e3 * float(np.median(v)) for k, v in rows.items()}


def profile(lib, kind, steps, sync):
    _, opt, fwd = build(lib, kind, "cuda")
    for _ in range(3):
        opt.zero_grad()
        fwd().backward()
        opt.step()
    sync()
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(steps):
        opt.zero_grad()
        fwd().backward()
        opt.step()
    sync()
    pr.disable()
    s = io.StringIO()
    st = pstats.Stats(pr, stream=s)
    st.sort_stats("tottime").print_stats(40)
    st.sort_stats("cumulative").print_stats(40)
    return s.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="MLP,CNN,GPT")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    import torch

    import ember

    cp = ember._backend.cupy()
    print("gpu:", cp.cuda.runtime.getDeviceProperties(0)["name"], "cupy", cp.__version__, "torch", torch.__version__)
    for kind in args.models.split(","):
        t0 = time.time()
        e = split(ember, kind, args.steps, ember.cuda.synchronize)
        t = split(torch, kind, args.steps, torch.cuda.synchronize)
        print(f"\n== {kind} (ms, median of {args.steps}; {time.time() - t0:.0f} s)")
        for k in e:
            print(f"  {k:<20} ember {e[k]:8.2f}   torch {t[k]:8.2f}   ratio {e[k] / t[k]:5.2f}")
        text = profile(ember, kind, args.steps, ember.cuda.synchronize)
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            with open(os.path.join(args.out, f"profile_{kind}.txt"), "w") as f:
                f.write(text)
        print("\n".join(text.splitlines()[:60]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
