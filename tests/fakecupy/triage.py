"""Run the whole op table on the CuPy stand-in and group the failing samples by where in ember they fail.

    .venv/bin/python tests/fakecupy/triage.py [--families a,b] [--no-grad] [-v]

Prints samples passed/failed per family, then each failure site (innermost ember frame, exception) with
the op cases that hit it.
"""

import argparse
import collections
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--families", default=None)
    ap.add_argument("--no-grad", action="store_true")
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    import fakecupy

    fakecupy.install()
    import importlib

    import numpy as np

    import oracle

    oracle.DEVICE = "cuda"
    import test_fake_cuda as T

    fams = args.families.split(",") if args.families else None
    totals = collections.Counter()
    sites = collections.defaultdict(list)
    import pkgutil

    import opdb  # noqa: F401

    names = sorted(m.name for m in pkgutil.iter_modules(opdb.__path__) if not m.name.startswith("_"))
    for fam in names:
        if fams and fam not in fams:
            continue
        mod = importlib.import_module(f"opdb.{fam}")
        for op in getattr(mod, "OPS", []):
            for dt in op.dtypes:
                if dt in T.NO_CUDA_DTYPES:
                    continue
                for i, s in enumerate(op.samples(np.random.default_rng(0), np.dtype(dt))):
                    try:
                        T.check_sample(op, dt, s, grad=not args.no_grad)
                        totals[(fam, "pass")] += 1
                    except Exception as e:  # noqa: BLE001
                        totals[(fam, "fail")] += 1
                        tb = traceback.extract_tb(e.__traceback__)
                        frames = [f for f in tb if "/ember/" in f.filename]
                        where = f"{frames[-1].filename.split('/ember/')[-1]}:{frames[-1].lineno}" if frames else "-"
                        msg = f"{type(e).__name__}: {str(e).splitlines()[0][:150] if str(e) else ''}"
                        sites[(where, msg if where != "-" else msg[:60])].append(f"{op.id}-{dt}#{i}")
    np_, nf = 0, 0
    for fam in names:
        p, f = totals[(fam, "pass")], totals[(fam, "fail")]
        if p or f:
            print(f"{fam:<14} pass {p:5d} fail {f:5d}")
        np_, nf = np_ + p, nf + f
    print(f"{'total':<14} pass {np_:5d} fail {nf:5d}")
    for (where, msg), cases in sorted(sites.items(), key=lambda kv: -len(kv[1])):
        ops = sorted({c.split("#")[0] for c in cases})
        print(f"\n[{len(cases)}] {where}  {msg}\n    {' '.join(ops[: (100 if args.v else 12)])}")


if __name__ == "__main__":
    main()
