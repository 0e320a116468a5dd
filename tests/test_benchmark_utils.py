"""ember.utils.benchmark against torch.utils.benchmark, and a smoke test of benchmarks/run.py.

Formatting is compared on deterministic fake measurements (fixed raw_times built in both libraries); the
printed text must be torch's with "torch" replaced by "ember" and object addresses masked. Nothing here
asserts how fast anything is.
"""

import importlib.util
import json
import os
import random
import re
import subprocess
import sys

import pytest
import torch
import torch.utils.benchmark as tb

import ember
import ember.utils.benchmark as eb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def norm(text):
    return re.sub(r"0x[0-9a-fA-F]+", "0xADDR", text).replace("torch", "ember")


def spec_kwargs(**kw):
    base = dict(stmt="x + y", setup="pass")
    base.update(kw)
    return base


def pair(number_per_run, raw_times, **kw):
    kw = spec_kwargs(**kw)
    return (
        tb.Measurement(number_per_run, list(raw_times), tb.TaskSpec(**kw)),
        eb.Measurement(number_per_run, list(raw_times), eb.TaskSpec(**kw)),
    )


REPR_CASES = [
    (1, [1.5e-6], {}),
    (100, [2.34e-4, 2.30e-4], {"label": "add", "sub_label": "float"}),
    (10, [1e-5, 1.1e-5, 1.05e-5, 1.2e-5], {"description": "n=4", "setup": "x = 1"}),
    (10, [1e-5, 1.3e-5, 1.05e-5, 2.2e-5, 1e-5], {"stmt": "a = 1\nb = a + 2", "setup": "x = 1\ny = 2"}),
    (1, [0.5, 0.52, 0.51, 0.53, 0.5, 0.9], {"num_threads": 4, "sub_label": "big"}),
    (1000, [3e-6, 3.001e-6, 3.002e-6, 3.0e-6], {"label": "tiny", "env": "A"}),
    (1, [12.0, 12.5, 13.0, 11.0], {"label": "seconds"}),
    (1, [1e-9, 1.4e-9, 1.1e-9, 1.2e-9], {"stmt": "pass"}),
]


@pytest.mark.parametrize("npr,raw,kw", REPR_CASES)
def test_measurement_repr_and_stats_match_torch(npr, raw, kw):
    t, e = pair(npr, raw, **kw)
    assert norm(repr(t)) == norm(repr(e))
    assert repr(e).startswith("<ember.utils.benchmark.utils.common.Measurement object at 0x")
    assert e.times == t.times
    assert e.median == pytest.approx(t.median, rel=1e-12)
    assert e.mean == pytest.approx(t.mean, rel=1e-12)
    assert e.iqr == pytest.approx(t.iqr, rel=1e-9, abs=1e-18)
    assert e.significant_figures == t.significant_figures
    assert e.has_warnings == t.has_warnings
    assert e.meets_confidence(0.2) == t.meets_confidence(0.2)
    assert e.title == t.title
    assert e.as_row_name == t.as_row_name
    # TaskSpec fields read through the Measurement
    assert (e.stmt, e.label, e.sub_label, e.env, e.num_threads) == (t.stmt, t.label, t.sub_label, t.env, t.num_threads)


def test_measurement_repr_exact_text():
    _, e = pair(100, [2.30e-6 * 100, 2.34e-6 * 100, 2.40e-6 * 100, 2.35e-6 * 100], label="label")
    text = re.sub(r"0x[0-9a-f]+", "0x...", repr(e))
    assert text == (
        "<ember.utils.benchmark.utils.common.Measurement object at 0x...>\n"
        "label\n"
        "  Median: 2.35 us\n"
        "  IQR:    0.03 us (2.33 to 2.36)\n"
        "  4 measurements, 100 runs per measurement, 1 thread"
    )


def test_measurement_merge_and_metadata():
    raws = [[1e-3, 2e-3], [3e-3]]
    ts = [tb.Measurement(n, r, tb.TaskSpec("a", "pass")) for n, r in zip((1, 2), raws)]
    es = [eb.Measurement(n, r, eb.TaskSpec("a", "pass")) for n, r in zip((1, 2), raws)]
    es.append(eb.Measurement(1, [5e-3], eb.TaskSpec("b", "pass"), metadata={"k": 1}))
    ts.append(tb.Measurement(1, [5e-3], tb.TaskSpec("b", "pass"), metadata={"k": 1}))
    mt, me = tb.Measurement.merge(ts), eb.Measurement.merge(es)
    assert [(m.number_per_run, m.raw_times, m.stmt, m.metadata) for m in me] == [
        (m.number_per_run, m.raw_times, m.stmt, m.metadata) for m in mt
    ]
    assert es[-1].metadata == {"k": 1}


def test_helpers_match_torch():
    for t in (3e-10, 1e-9, 4.2e-8, 1e-6, 5e-5, 1e-3, 0.5, 1.0, 42.0):
        assert eb.select_unit(t) == tb.select_unit(t)
    for u in ("ns", "us", "ms", "s"):
        assert eb.unit_to_english(u) == tb.unit_to_english(u)
    for x, n in ((3.14159, 2), (123456.0, 3), (0.00123456, 1), (9.99, 2), (-2.5, 1)):
        assert eb.trim_sigfig(x, n) == tb.trim_sigfig(x, n)
    with pytest.raises(AssertionError):
        eb.trim_sigfig(1.0, 1.5)
    assert eb.ordered_unique([3, 1, 3, 2, 1]) == tb.ordered_unique([3, 1, 3, 2, 1])


def _tables(builder, *modes):
    out = []
    for lib in (tb, eb):
        c = lib.Compare(builder(lib))
        for mode in modes:
            if mode == "trim":
                c.trim_significant_figures()
            elif mode == "color":
                c.colorize()
            elif mode == "rowcolor":
                c.colorize(rowwise=True)
            elif mode == "warn":
                c.highlight_warnings()
        out.append(str(c))
    return out


def _grid(lib):
    ms = []
    for threads in (1, 4):
        for sub in ("float", "int"):
            for k, desc in enumerate(("n=1", "n=16", "n=1024")):
                base = (1 + k) ** 2 * 1e-6 / threads * (2 if sub == "int" else 1)
                raw = [base * (1 + 0.03 * i) for i in range(7)]
                if desc == "n=16" and sub == "int":
                    raw = [base * (1 + 0.4 * (i % 3)) for i in range(7)]  # high variance
                if (threads, sub, desc) == (4, "int", "n=1"):
                    continue  # an empty cell
                spec = lib.TaskSpec(
                    "torch.add(x, y)", "pass", label="add", sub_label=sub, description=desc, num_threads=threads
                )
                ms.append(lib.Measurement(10, raw, spec))
    spec = lib.TaskSpec("x * y", "pass", label="mul", description="n=1")
    ms.append(lib.Measurement(1, [2e-3, 2.1e-3, 2.05e-3], spec))
    return ms


@pytest.mark.parametrize(
    "modes", [(), ("trim",), ("color",), ("rowcolor",), ("warn",), ("trim", "color", "warn"), ("rowcolor", "warn")]
)
def test_compare_matches_torch(modes):
    t, e = _tables(_grid, *modes)
    assert norm(t) == norm(e)


def test_compare_layout_text():
    def build(lib):
        return [
            lib.Measurement(1, [1.0e-5, 1.1e-5, 1.2e-5], lib.TaskSpec("x + y", "pass", label="add", description="a")),
            lib.Measurement(1, [3.0e-5, 3.1e-5, 3.2e-5], lib.TaskSpec("x + y", "pass", label="add", description="b")),
        ]

    t, e = _tables(build)
    assert t == e
    assert e == (
        "[----------- add -----------]\n"
        "             |   a    |   b  \n"
        "1 threads: ------------------\n"
        "      x + y  |  11.0  |  31.0\n"
        "\n"
        "Times are in microseconds (us).\n"
    )


def test_compare_envs_and_replicates_match_torch():
    def build(lib):
        ms = []
        for env in ("before", "after-change"):
            for stmt in ("a", "b"):
                for rep in range(2):  # replicates are merged
                    raw = [(1 + rep) * 1e-4 * (1.5 if env == "before" else 1) * (1 + 0.01 * i) for i in range(5)]
                    ms.append(
                        lib.Measurement(100, raw, lib.TaskSpec(stmt, "pass", label="L", env=env, description="d"))
                    )
        return ms

    for modes in ((), ("trim", "color")):
        t, e = _tables(build, *modes)
        assert norm(t) == norm(e)


def test_compare_random_measurements_match_torch():
    rng = random.Random(1234)
    for trial in range(150):

        def build(lib, seed=trial):
            r = random.Random(seed)
            ms = []
            for _ in range(r.randint(1, 6)):
                base = 10 ** r.uniform(-8.5, 0.5)
                spread = r.choice([0.0, 0.01, 0.05, 0.15, 0.5])
                raw = [base * (1 + spread * r.random()) for _ in range(r.choice([1, 2, 3, 4, 7, 20]))]
                spec = lib.TaskSpec(
                    r.choice(["x+y", "x*y", "a\nb"]),
                    r.choice(["pass", "x=1", "x=1\ny=2"]),
                    label=r.choice(["add", "mul"]),
                    sub_label=r.choice([None, "float", "int"]),
                    description=r.choice(["n=1", "n=4", "n=16"]),
                    num_threads=r.choice([1, 1, 2, 4]),
                )
                ms.append(lib.Measurement(r.choice([1, 10, 100]), raw, spec))
            return ms

        modes = rng.sample(["trim", "color", "rowcolor", "warn"], rng.randint(0, 2))
        t, e = _tables(build, *modes)
        assert norm(t) == norm(e), (trial, modes)
        for a, b in zip(build(tb), build(eb)):
            assert norm(repr(a)) == norm(repr(b))


def test_compare_errors_and_print(capsys):
    with pytest.raises(ValueError, match="Expected an instance of `Measurement`"):
        eb.Compare([1.0])
    m = eb.Measurement(1, [1e-3, 1.1e-3], eb.TaskSpec("x", "pass", label="L", description="d"))
    c = eb.Compare([m])
    c.extend_results([eb.Measurement(1, [2e-3], eb.TaskSpec("y", "pass", label="L", description="d"))])
    c.print()
    out = capsys.readouterr().out
    assert out == str(c) + "\n"
    assert "Times are in milliseconds (ms)." in out and "  x  " in out and "  y  " in out
    with pytest.raises(ValueError):
        eb.Compare([m]).extend_results(["nope"])
    assert [c.value for c in eb.Colorize] == [c.value for c in tb.Colorize]


# ------------------------------------------------------------------------------------------------- Timer


def test_timer_timeit_and_task_spec():
    x = ember.ones(4)
    t = eb.Timer(
        "y = x + 1", setup="z = 2", globals={"x": x}, label="L", sub_label="s", description="d", env="e", num_threads=1
    )
    m = t.timeit(50)
    assert isinstance(m, eb.Measurement)
    assert m.number_per_run == 50 and len(m.raw_times) == 1 and m.raw_times[0] > 0
    assert (m.stmt, m.setup, m.label, m.sub_label, m.description, m.env, m.num_threads) == (
        "y = x + 1",
        "z = 2",
        "L",
        "s",
        "d",
        "e",
        1,
    )
    assert m.times == [m.raw_times[0] / 50]
    assert "1 measurement, 50 runs , 1 thread" in repr(m)


def test_timer_default_globals_and_dedent():
    # `torch` in stmt/setup means ember (so `import ember as torch` programs port unchanged)
    t = eb.Timer(
        """
        y = torch.add(x, 1)
        """,
        setup="""
            x = torch.ones(3)
        """,
    )
    m = t.timeit(5)
    assert m.stmt == "y = torch.add(x, 1)" and m.setup == "x = torch.ones(3)"
    assert eb.Timer("ember.zeros(1)").timeit(2).raw_times[0] > 0
    assert eb.Timer("t = torch", globals={"torch": "mine"}).timeit(1).number_per_run == 1


def test_timer_autoranges():
    t = eb.Timer("sum(range(50))", label="sum")
    m = t.blocked_autorange(min_run_time=0.02)
    assert m.number_per_run >= 1 and len(m.raw_times) >= 1
    assert sum(m.raw_times) >= 0.02
    calls = []
    m = t.blocked_autorange(callback=lambda n, s: calls.append((n, s)), min_run_time=0.01)
    assert len(calls) == len(m.raw_times) and all(n == m.number_per_run for n, _ in calls)
    m = t.adaptive_autorange(threshold=0.5, min_run_time=0.01, max_run_time=0.5)
    assert len(m.raw_times) >= 1 and m.median > 0


def test_timer_errors_match_torch():
    for lib in (tb, eb):
        with pytest.raises(ValueError, match="only a `str` stmt"):
            lib.Timer(stmt=lambda: None)
        with pytest.raises(ValueError, match="Invalid language"):
            lib.Timer(language="fortran")
        with pytest.raises(ValueError, match="global_setup is C\\+\\+ only"):
            lib.Timer(global_setup="#include <x>")
        t = lib.Timer()
        with pytest.raises(NotImplementedError, match="blocked_autorange"):
            t.repeat()
        with pytest.raises(NotImplementedError, match="blocked_autorange"):
            t.autorange()
    with pytest.raises(NotImplementedError):
        eb.Timer("x", language="c++")


def test_timer_synchronizes_cuda_when_cupy_is_in_use(monkeypatch):
    import types

    from ember import _backend

    calls = []
    runtime = types.SimpleNamespace(deviceSynchronize=lambda: calls.append(1))
    monkeypatch.setattr(_backend, "_cupy", types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime)))
    eb.Timer("pass").timeit(10)
    assert len(calls) == 4  # before and after the warmup block and the timed block
    monkeypatch.setattr(_backend, "_cupy", None)
    eb.Timer("pass").timeit(10)
    assert len(calls) == 4


def test_set_torch_threads_restores():
    from ember.utils.benchmark.utils import _threads

    before = _threads.get_num_threads()
    with eb.set_torch_threads(1):
        if before is not None:
            assert _threads.get_num_threads() == 1
    assert _threads.get_num_threads() == before
    assert callable(eb.timer) and eb.timer() > 0
    assert torch.get_num_threads() >= 1  # torch untouched


def test_public_names():
    assert set(eb.__all__) <= set(dir(eb))
    for name in eb.__all__:
        assert hasattr(tb, name), name
    assert ember.utils.benchmark is eb


# ---------------------------------------------------------------------------------------- benchmarks/run.py


def _load_runner():
    spec = importlib.util.spec_from_file_location("bench_run", os.path.join(ROOT, "benchmarks", "run.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_runner_reports_failures_without_crashing():
    run = _load_runner()
    runs = [
        {"lib": "ember", "round": 0, "error": "NotImplementedError: LSTM", "rss_mb": 50.0},
        {"lib": "torch", "round": 0, "seconds": 0.01, "rss_mb": 300.0, "unit": "ms/step", "scale": 1e3}
        | {"count": 1, "rate": False, "notes": "", "version": "x"},
    ]
    row = run.summarize("lstm", "desc", runs)
    assert row["ratio"] is None and row["ember"]["error"] == "NotImplementedError: LSTM"
    text = run.render([row])
    assert "FAILED: NotImplementedError: LSTM" in text and "10.0" in text


def test_runner_smoke_per_op(tmp_path):
    out = tmp_path / "res.json"
    cmd = [sys.executable, "benchmarks/run.py", "--only", "per_op", "--repeat", "1", "--budget", "0.05"]
    proc = subprocess.run([*cmd, "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "| per_op " in proc.stdout and "ember/torch" in proc.stdout
    data = json.loads(out.read_text())
    (row,) = data["results"]
    assert row["name"] == "per_op" and row["unit"] == "us/op"
    for lib in ("ember", "torch"):
        assert row[lib]["error"] is None, row[lib]["error"]
        assert row[lib]["median"] > 0 and row[lib]["peak_rss_mb"] > 0
    assert row["ratio"] > 0
