#!/usr/bin/env python
"""Per-call cost on the GPU of the operations a train step is made of: CuPy directly, ember, torch.

    python scripts/gpu_micro.py

For each case: microseconds per call for launching alone (the CPU's share: what bounds a small model's
step) and launching plus finishing (synchronised after the batch). Shapes are the GPT workload's.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import cupy as cp  # noqa: E402
import torch  # noqa: E402

import ember  # noqa: E402


def bench(f, n=300):
    for _ in range(10):
        f()
    cp.cuda.Device().synchronize()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(n):
        f()
    t1 = time.perf_counter()
    cp.cuda.Device().synchronize()
    torch.cuda.synchronize()
    t2 = time.perf_counter()
    return (t1 - t0) / n * 1e6, (t2 - t0) / n * 1e6


def main():
    rng = cp.random.default_rng(0)
    cases = {
        "mm (2048,256)@(256,768)": ((2048, 256), (256, 768)),
        "mm (2048,256)@(768,256).T": ((2048, 256), (768, 256), "T"),
        "bmm (64,128,64)@(64,64,128)": ((64, 128, 64), (64, 64, 128)),
        "bmm (64,128,128)@(64,128,64)": ((64, 128, 128), (64, 128, 64)),
    }
    print(f"{'case':<34}{'cupy launch/total':>20}{'ember launch/total':>22}{'torch launch/total':>22}")
    for name, spec in cases.items():
        a = rng.standard_normal(spec[0], dtype=cp.float32)
        b = rng.standard_normal(spec[1], dtype=cp.float32)
        if len(spec) == 3:
            b = b.T
        ta, tb = torch.as_tensor(a, device="cuda"), torch.as_tensor(b, device="cuda")
        ea, eb = ember.tensor(a.get(), device="cuda"), ember.tensor(b.get(), device="cuda")
        if len(spec) == 3:
            tb, eb = torch.as_tensor(b.T.copy(), device="cuda").T, ember.tensor(b.T.get(), device="cuda").T
        r = [
            bench(lambda a=a, b=b: cp.matmul(a, b)),
            bench(lambda a=ea, b=eb: ember.matmul(a, b)),
            bench(lambda a=ta, b=tb: torch.matmul(a, b)),
        ]
        print(f"{name:<34}" + "".join(f"{x:>10.1f}/{y:<10.1f}" for x, y in r))
    x = rng.standard_normal((2048, 256), dtype=cp.float32)
    y = rng.standard_normal((2048, 256), dtype=cp.float32)
    tx, ty = torch.as_tensor(x, device="cuda"), torch.as_tensor(y, device="cuda")
    ex, ey = ember.tensor(x.get(), device="cuda"), ember.tensor(y.get(), device="cuda")
    for name, fc, fe, ft in (
        ("add (2048,256)", lambda: x + y, lambda: ex + ey, lambda: tx + ty),
        ("sum(-1) (2048,256)", lambda: x.sum(-1), lambda: ex.sum(-1), lambda: tx.sum(-1)),
        ("mean(-1) (2048,256)", lambda: x.mean(-1), lambda: ex.mean(-1), lambda: tx.mean(-1)),
        (
            "empty (2048,256)",
            lambda: cp.empty((2048, 256), cp.float32),
            lambda: ember.empty(2048, 256, device="cuda"),
            lambda: torch.empty(2048, 256, device="cuda"),
        ),
    ):
        r = [bench(fc), bench(fe), bench(ft)]
        print(f"{name:<34}" + "".join(f"{a:>10.1f}/{b:<10.1f}" for a, b in r))
    ex.requires_grad_(True)

    def ember_grad_step():
        (ex * ey).sum().backward()

    def torch_grad_step():
        (tx * ty).sum().backward()

    tx.requires_grad_(True)
    r = [bench(ember_grad_step, 100), bench(torch_grad_step, 100)]
    print(f"{'mul+sum fwd+bwd (2048,256)':<34}{'':>20}" + "".join(f"{a:>10.1f}/{b:<10.1f}" for a, b in r))


if __name__ == "__main__":
    main()
