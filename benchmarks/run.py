"""Benchmark ember against PyTorch on the same workload code.

    python benchmarks/run.py [--only NAME[,NAME...]] [--json out.json] [--repeat N] [--threads N]
    python benchmarks/run.py --profile mlp          # cProfile one workload in ember, in this process

Every workload runs in its own fresh subprocess, once with `import ember as L` and once with `import torch as L`,
alternating ember, torch, ember, torch... for N rounds. A run warms up, then times steps until `--budget`
seconds have passed (at least 3 steps) and reports the median step time and its peak RSS
(resource.getrusage in the child; DataLoader worker processes are not included). The table shows the median over
rounds for each library and the median of the paired per-round ratios ember/torch, always as a time ratio:
above 1 means ember is slower, also for the batches/s rows. A workload that fails in a library is shown as
FAILED with the last line of its error; the others still run.

Threads: by default both libraries keep their own defaults (torch: its intra-op pool; ember: NumPy's BLAS
pool). `--threads N` sets OMP/OPENBLAS/MKL_NUM_THREADS=N for both and calls torch.set_num_threads(N).
"""

import argparse
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RESULT_TAG = "BENCH_RESULT "
LIBS = ("ember", "torch")


# ----------------------------------------------------------------------------------------------- child side


def _peak_rss_mb():
    import resource  # noqa: PLC0415 - the child imports it after the library, which keeps the import timing clean

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _build(name, L):
    sys.path.insert(0, HERE)
    from workloads import WORKLOADS  # noqa: PLC0415

    module, options, _ = WORKLOADS[name]
    return importlib.import_module(f"workloads.{module}").build(L, **options)


def _time_steps(workload, budget, min_steps=3, max_steps=10000):
    for _ in range(workload.warmup):
        workload.step()
    times = []
    clock = time.perf_counter
    start = clock()
    while len(times) < min_steps or (clock() - start < budget and len(times) < max_steps):
        t0 = clock()
        workload.step()
        times.append(clock() - t0)
    return times


def _import_lib(lib, threads):
    L = importlib.import_module(lib)
    if threads and lib == "torch":
        L.set_num_threads(threads)
    return L


def child(name, lib, budget, threads):
    result = {"name": name, "lib": lib}
    try:
        if name == "import":
            t0 = time.perf_counter()
            L = _import_lib(lib, threads)
            result["seconds"] = time.perf_counter() - t0
            result.update(steps=1, unit="s", scale=1.0, count=1, rate=False)
        else:
            L = _import_lib(lib, threads)
            workload = _build(name, L)
            times = _time_steps(workload, budget)
            result["seconds"] = statistics.median(times)
            result["steps"] = len(times)
            result["notes"] = workload.notes
            result.update(
                unit=workload.unit, scale=workload.scale, count=workload.count, rate=workload.unit.endswith("/s")
            )
        result["version"] = getattr(L, "__version__", "?")
    except BaseException as e:  # report, never crash the runner
        import traceback  # noqa: PLC0415

        traceback.print_exc()
        result["error"] = f"{type(e).__name__}: {e}".strip().splitlines()[-1]
    result["rss_mb"] = _peak_rss_mb()
    print(RESULT_TAG + json.dumps(result), flush=True)
    return 0 if "error" not in result else 1


# ---------------------------------------------------------------------------------------------- runner side


def _run_child(name, lib, args):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", name, "--lib", lib, "--budget", str(args.budget)]
    env = dict(os.environ)
    if args.threads:
        cmd += ["--threads", str(args.threads)]
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(args.threads)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, env=env, cwd=HERE)
    except subprocess.TimeoutExpired:
        return {"name": name, "lib": lib, "error": f"timed out after {args.timeout:.0f} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG) :])
    last = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    return {"name": name, "lib": lib, "error": last[-1].strip() if last else f"exit code {proc.returncode}"}


def _fmt(v):
    if v is None:
        return "-"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _display(seconds, r):
    """The shown value for a median step time: a time in the run's unit, or a rate."""
    return r["count"] / seconds if r["rate"] else seconds * r["scale"]


def summarize(name, description, runs):
    first_ok = next((r for r in runs if "error" not in r), None)
    row = {"name": name, "description": description, "unit": first_ok["unit"] if first_ok else "?"}
    for lib in LIBS:
        mine = [r for r in runs if r["lib"] == lib]
        ok = [r for r in mine if "error" not in r]
        errors = [r["error"] for r in mine if "error" in r]
        row[lib] = {
            "rounds_seconds": [r["seconds"] for r in ok],
            "median_seconds": statistics.median([r["seconds"] for r in ok]) if ok else None,
            "peak_rss_mb": max(r["rss_mb"] for r in mine) if mine and "rss_mb" in mine[0] else None,
            "error": errors[0] if errors else None,
            "notes": next((r.get("notes") for r in ok if r.get("notes")), ""),
            "version": next((r.get("version") for r in ok), None),
        }
        m = row[lib]["median_seconds"]
        row[lib]["median"] = None if m is None else _display(m, ok[0])
    by_round = {}
    for r in runs:
        by_round.setdefault(r["round"], {})[r["lib"]] = r
    ratios = [
        p["ember"]["seconds"] / p["torch"]["seconds"]
        for p in by_round.values()
        if all(lib in p and "error" not in p[lib] for lib in LIBS)
    ]
    row["ratio"] = statistics.median(ratios) if ratios else None
    return row


def render(rows):
    head = ["workload", "unit", "ember", "torch", "ember/torch", "ember peak RSS", "torch peak RSS"]
    lines = []
    for row in rows:
        cells = [row["name"], row["unit"]]
        for lib in LIBS:
            err = row[lib]["error"]
            cells.append(f"FAILED: {err}" if err and row[lib]["median"] is None else _fmt(row[lib]["median"]))
        cells.append("-" if row["ratio"] is None else f"{row['ratio']:.2f}")
        for lib in LIBS:
            rss = row[lib]["peak_rss_mb"]
            cells.append("-" if rss is None else f"{rss:.0f} MB")
        lines.append(cells)
    widths = [max(len(str(c)) for c in col) for col in zip(head, *lines)]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |"]
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for cells in lines:
        out.append(
            "| " + " | ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))) + " |"
        )
    return "\n".join(out)


def _selected(only):
    sys.path.insert(0, HERE)
    from workloads import WORKLOADS  # noqa: PLC0415

    if not only:
        return list(WORKLOADS)
    names = [n.strip() for item in only for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        raise SystemExit(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    return names


def _compile_ember():
    """pip byte-compiles an installed torch; an editable ember may have no .pyc files (or run under
    PYTHONDONTWRITEBYTECODE), so compile it once, or the import workload times the compiler."""
    import compileall  # noqa: PLC0415
    import importlib.util  # noqa: PLC0415

    spec = importlib.util.find_spec("ember")
    if spec is not None and spec.submodule_search_locations:
        for path in spec.submodule_search_locations:
            compileall.compile_dir(path, quiet=1)


def main(args):
    sys.path.insert(0, HERE)
    from workloads import WORKLOADS  # noqa: PLC0415

    _compile_ember()

    names = _selected(args.only)
    load_before = os.getloadavg()
    t_start = time.time()
    rows = []
    for name in names:
        runs, failed = [], set()
        for rnd in range(args.repeat):
            for lib in LIBS:
                if lib in failed:
                    continue
                r = _run_child(name, lib, args)
                r["round"] = rnd
                runs.append(r)
                if "error" in r:
                    failed.add(lib)
                shown = r["error"] if "error" in r else f"{r['seconds'] * 1e3:.3f} ms/step"
                print(f"  [{name} round {rnd + 1}/{args.repeat}] {lib}: {shown}", file=sys.stderr, flush=True)
        rows.append(summarize(name, WORKLOADS[name][2], runs))
    load_after = os.getloadavg()
    versions = {lib: next((r[lib]["version"] for r in rows if r[lib]["version"]), "?") for lib in LIBS}
    meta = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "threads": args.threads or "library defaults",
        "repeat": args.repeat,
        "budget_s": args.budget,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "wall_s": time.time() - t_start,
        "versions": versions,
    }
    print(
        f"ember {versions['ember']} vs torch {versions['torch']}, Python {meta['python']}, {meta['cpus']} CPUs, "
        f"threads: {meta['threads']}, {args.repeat} rounds, load average "
        f"{load_before[0]:.1f} -> {load_after[0]:.1f}, {meta['wall_s']:.0f} s"
    )
    print(render(rows))
    for r in rows:
        notes = {lib: r[lib]["notes"] for lib in LIBS if r[lib]["notes"]}
        if len(set(notes.values())) == 1:
            print(f"  {r['name']}: {next(iter(notes.values()))}")
        else:
            for lib, note in notes.items():
                print(f"  {r['name']} ({lib}): {note}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": rows}, f, indent=2)
    return 0


def profile(name, lib, budget, top):
    import cProfile  # noqa: PLC0415
    import pstats  # noqa: PLC0415

    L = importlib.import_module(lib)
    workload = _build(name, L)
    for _ in range(workload.warmup):
        workload.step()
    prof = cProfile.Profile()
    steps = 0
    start = time.perf_counter()
    prof.enable()
    while steps < 3 or time.perf_counter() - start < budget:
        workload.step()
        steps += 1
    prof.disable()
    stats = pstats.Stats(prof).stats
    total = sum(v[2] for v in stats.values()) or 1.0
    print(f"{name} in {lib}: {steps} steps profiled; share of total time (own = tottime, cum = cumtime)")
    print(f"{'own %':>7} {'cum %':>7} {'calls':>9}  function")
    for (file, line, func), (_cc, nc, tt, ct, _callers) in sorted(stats.items(), key=lambda kv: -kv[1][2])[:top]:
        where = func if file == "~" else f"{os.path.relpath(file) if file.startswith('/') else file}:{line}({func})"
        print(f"{100 * tt / total:7.1f} {100 * ct / total:7.1f} {nc:9d}  {where}")
    return 0


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", action="append", help="workload name(s), comma separated; repeatable")
    p.add_argument("--json", help="also write the results to this JSON file")
    p.add_argument("--repeat", type=int, default=3, help="rounds of ember, torch runs per workload (default 3)")
    p.add_argument("--threads", type=int, default=0, help="thread count for both libraries (default: their own)")
    p.add_argument("--budget", type=float, default=0.5, help="seconds of timed steps per run (default 0.5)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds before a run is killed (default 600)")
    p.add_argument("--profile", metavar="NAME", help="cProfile workload NAME in this process and print hotspots")
    p.add_argument("--profile-lib", default="ember", choices=LIBS, help="library for --profile (default ember)")
    p.add_argument("--top", type=int, default=25, help="rows of --profile output (default 25)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--lib", choices=LIBS, help=argparse.SUPPRESS)
    return p.parse_args(argv)


if __name__ == "__main__":
    a = parse_args()
    if a.child:
        sys.exit(child(a.child, a.lib, a.budget, a.threads))
    if a.profile:
        sys.exit(profile(a.profile, a.profile_lib, max(a.budget, 2.0), a.top))
    sys.exit(main(a))
