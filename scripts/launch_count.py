"""Counts the device work of one train step of gpu_check's MLP, CNN and GPT, on the CPU, without a GPU.

On the GPU ember's step time is mostly kernel launches (each ~15-20 us of host time in CuPy) and the stalls
of host reads of device data. This runs the steps on the CuPy stand-in (tests/fakecupy) with the fused
kernels' CUDA C emulated, and counts per phase (forward, backward, optimizer) the calls that launch work
on a real GPU (ufuncs, allocating functions, copies, item assignments, RawModule kernels) and the
synchronisations (get, item, bool/int/float of device arrays). Batch sizes are small (the counts do not
depend on them). A count, not a timing: what it shows is where launches and syncs come from.

    python scripts/launch_count.py [--models MLP,CNN,GPT] [--top 25]
"""

import argparse
import collections
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, HERE)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="MLP,CNN,GPT")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--where", default=None, help="show the ember call sites of the keys with this prefix")
    args = ap.parse_args()

    import numpy as np
    from fakecupy import _core, rawkernels

    with rawkernels.installed():
        import gpu_check

        import ember

        rng = np.random.default_rng(0)
        # on the GPU these allocate from CuPy's pool but launch nothing
        no_launch = {"fn:empty", "fn:empty_like", "fn:as_strided"}
        for kind in args.models.split(","):
            ember.manual_seed(0)
            if kind == "MLP":
                model = gpu_check._mlp(ember)
                x, y = rng.standard_normal((8, 784)).astype(np.float32), rng.integers(0, 10, 8)
            elif kind == "CNN":
                model = gpu_check._cnn(ember)
                x, y = rng.standard_normal((2, 3, 32, 32)).astype(np.float32), rng.integers(0, 10, 2)
            else:
                model = gpu_check._gpt(ember, ctx=16)
                x, y = rng.integers(0, 512, (2, 16)), rng.integers(0, 512, (2, 16))
            model = model.to("cuda")
            x, y = ember.tensor(x, device="cuda"), ember.tensor(y, device="cuda")
            opt = ember.optim.AdamW(model.parameters(), lr=1e-3)
            F = ember.nn.functional
            phases = {}
            _core.WHERE = None
            for step in range(2):
                if step == 1 and args.where:
                    _core.WHERE = (
                        args.where,
                        collections.Counter(),
                    )  # the second step is counted (the first creates optimizer state)
                counts = {p: collections.Counter() for p in ("forward", "backward", "optimizer")}
                opt.zero_grad()
                _core.COUNTS = counts["forward"]
                out = model(x)
                loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
                _core.COUNTS = counts["backward"]
                loss.backward()
                _core.COUNTS = counts["optimizer"]
                opt.step()
                _core.COUNTS = None
                phases = counts
            print(f"== {kind}: one train step")
            total = collections.Counter()
            for p, c in phases.items():
                launches = sum(v for k, v in c.items() if not k.startswith("sync:") and k not in no_launch)
                syncs = sum(v for k, v in c.items() if k.startswith("sync:"))
                print(f"  {p:9s} launches {launches:5d}   syncs {syncs:3d}")
                total.update(c)
            launches = sum(v for k, v in total.items() if not k.startswith("sync:") and k not in no_launch)
            syncs = sum(v for k, v in total.items() if k.startswith("sync:"))
            print(f"  {'total':9s} launches {launches:5d}   syncs {syncs:3d}")
            print("  most frequent:", ", ".join(f"{k} {v}" for k, v in total.most_common(args.top)))
            if _core.WHERE is not None:
                for site, v in _core.WHERE[1].most_common(args.top):
                    print(f"    {v:4d}  {site}")
                _core.WHERE = None


if __name__ == "__main__":
    main()
