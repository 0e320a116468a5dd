"""ember's CUDA code paths on tests/fakecupy, the NumPy-backed CuPy stand-in: part of the op table with
ember's tensors on 'cuda:0' against CPU torch (forward; backward with grad_fn names for float and complex
samples; the table's bad inputs), plus ember.cuda's device, stream, event and memory calls.

The stand-in is switched on only while these tests run (ember's array-module seam imports it as `cupy`)
and everything is put back afterwards, so the rest of the suite still sees a machine without CUDA.
`EMBER_FAKE_CUPY=1 EMBER_TEST_DEVICE=cuda pytest tests/test_ops.py` runs the whole table the same way.
"""

import fakecupy
import numpy as np
import pytest
import torch

import ember
import ember.cuda

import oracle
from op_db import ERRORS, OPS, NoGrad
from oracle import assert_close, call, check_error, dtype_name, flat_outputs

# op-table families run here (all but the factory-only ones: ~20 s on one core)
FAMILIES = (
    "arith",
    "binary",
    "blas",
    "complex",
    "indexing",
    "joining",
    "linalg_top",
    "numeric",
    "pointwise",
    "reduction",
    "shape",
    "shape2",
    "sorting",
    "special_top",
    "spectral",
)
# dtypes CuPy has no kernels for
NO_CUDA_DTYPES = ("bfloat16",)
# dtypes whose samples are differentiated too
GRAD_DTYPES = ("float32", "float64", "complex64", "complex128")

# why each "<op id>-<dtype>" case fails on the cuda path (ember bugs in files this suite's owner does not
# edit, or what CuPy lacks); strict, so a fix shows up here as XPASS: then drop the entry
XFAIL_BY_REASON = {}
XFAIL = {case: reason for reason, cases in XFAIL_BY_REASON.items() for case in cases}


def _family(op):
    return getattr(op, "_family", None)


def _tag_families():
    import importlib  # noqa: PLC0415

    for fam in FAMILIES:
        mod = importlib.import_module(f"opdb.{fam}")
        for op in getattr(mod, "OPS", []) + getattr(mod, "ERRORS", []):
            op._family = fam


_tag_families()
CASES = [(op, dt) for op in OPS if _family(op) in FAMILIES for dt in op.dtypes if dt not in NO_CUDA_DTYPES]
ERROR_CASES = [e for e in ERRORS if _family(e) in FAMILIES]


@pytest.fixture(scope="module", autouse=True)
def fake_cuda():
    """Switch ember onto the CuPy stand-in for this module, and back afterwards."""
    saved = oracle.DEVICE
    oracle.DEVICE = "cuda"
    try:
        with fakecupy.ember_on_stand_in():
            yield
    finally:
        oracle.DEVICE = saved


def _samples(op, dt):
    return op.samples(np.random.default_rng(0), np.dtype(dt))


def _tol(op, dt):
    if dt == "float16":
        return max(op.rtol, 1e-2), max(op.atol, 1e-2)
    return op.rtol, op.atol


def _on_cuda(t, what):
    assert t.device.type == "cuda", f"{what}: landed on {t.device}"
    assert type(t._data).__module__.startswith("fakecupy"), f"{what}: holds a {type(t._data).__name__}"


def _has_arrays(a):
    """Whether sample arguments hold arrays (which become tensors on the test device)."""
    if isinstance(a, (np.ndarray, NoGrad)):
        return True
    if isinstance(a, (list, tuple)):
        return any(_has_arrays(x) for x in a)
    if isinstance(a, dict):
        return any(_has_arrays(x) for x in a.values())
    return False


def check_sample(op, dt, s, grad=True):
    """Forward (and, for float/complex differentiable ops, backward) of one sample on cuda vs CPU torch."""
    rtol, atol = _tol(op, dt)
    want_grad = grad and op.grad and dt in GRAD_DTYPES
    exp, tleaves = call(op, torch, s, want_grad)
    got, eleaves = call(op, ember, s, want_grad)
    eo, go = flat_outputs(exp), flat_outputs(got)
    assert len(eo) == len(go), f"{len(go)} outputs, torch has {len(eo)}"
    on_cuda = _has_arrays(s.args) or _has_arrays(s.kwargs)
    d = oracle.gauge_phases(op, go, eo)  # singular vectors: compared up to their sign/phase
    values = go if d is None else oracle.to_torch_gauge(op, go, eo, d)
    for k, (g, e, v) in enumerate(zip(go, eo, values)):
        what = f"output {k}"
        if isinstance(e, torch.Tensor):
            assert isinstance(g, ember.Tensor), f"{what}: not a tensor"
            if on_cuda:
                _on_cuda(g, what)
            assert dtype_name(g) == dtype_name(e), f"{what}: dtype {g.dtype} != torch {e.dtype}"
            assert tuple(g.shape) == tuple(e.shape), f"{what}: shape {tuple(g.shape)} != {tuple(e.shape)}"
            if op.nondeterministic:
                continue
        assert_close(v, e, rtol, atol, what)
    if not want_grad or not tleaves:
        return
    tdiff = [o for o in eo if isinstance(o, torch.Tensor) and o.requires_grad]
    gdiff = [o for o in go if isinstance(o, ember.Tensor) and o.requires_grad]
    assert len(tdiff) == len(gdiff), f"{len(gdiff)} differentiable outputs, torch has {len(tdiff)}"
    if op.grad_fn:
        for g, e in zip(gdiff, tdiff):
            assert type(g.grad_fn).__name__ == type(e.grad_fn).__name__, (
                f"grad_fn {type(g.grad_fn).__name__}, torch has {type(e.grad_fn).__name__}"
            )
    if not tdiff:
        return
    rng = np.random.default_rng(1)
    ups = [rng.standard_normal(tuple(o.shape)).astype(oracle.to_numpy(o).dtype) for o in tdiff]
    ups = oracle.drop_extra_columns(op, ups)
    tg = torch.autograd.grad(tdiff, tleaves, [torch.tensor(u) for u in ups], allow_unused=True)
    eups = oracle.gauge_upstream(op, ups, d)
    eg = ember.autograd.grad(
        gdiff, eleaves, [ember.tensor(u, device=o.device) for u, o in zip(eups, gdiff)], allow_unused=True
    )
    for k, (g, e) in enumerate(zip(eg, tg)):
        what = f"grad of input {k}"
        if e is None:
            continue
        assert g is not None, f"{what}: missing"
        _on_cuda(g, what)
        assert dtype_name(g) == dtype_name(e), f"{what}: dtype {g.dtype} != torch {e.dtype}"
        assert_close(g, e, rtol * 10, atol * 10, what)


def _case_keys():
    """ "<op id>-<dtype>", with "#k" for the k-th further entry of the same op id (a few ops have several)."""
    seen, keys = {}, []
    for op, dt in CASES:
        key = f"{op.id}-{dt}"
        k = seen[key] = seen.get(key, -1) + 1
        keys.append(key if k == 0 else f"{key}#{k}")
    return keys


KEYS = _case_keys()


@pytest.mark.parametrize("op,dt,key", [(op, dt, key) for (op, dt), key in zip(CASES, KEYS)], ids=KEYS)
def test_op_on_fake_cuda(op, dt, key):
    reason = XFAIL.get(key)
    for i, s in enumerate(_samples(op, dt)):
        try:
            check_sample(op, dt, s)
        except AssertionError as e:
            if reason:
                pytest.xfail(reason)
            raise AssertionError(f"{key} sample {i} {s}: {e}") from None
        except Exception:
            if reason:
                pytest.xfail(reason)  # imperative: cheaper than rendering hundreds of expected tracebacks
            raise
    if reason:
        pytest.fail(f"{key} passes now (strict xfail: {reason}); drop it from XFAIL_BY_REASON")


def _error_keys():
    """ "<op id>-error", with "#k" for the k-th further bad input of the same op."""
    seen, keys = {}, []
    for e in ERROR_CASES:
        key = f"{e.name}{'.method' if e.method else ''}-error"
        k = seen[key] = seen.get(key, -1) + 1
        keys.append(key if k == 0 else f"{key}#{k}")
    return keys


ERROR_KEYS = _error_keys()


@pytest.mark.parametrize("err,key", list(zip(ERROR_CASES, ERROR_KEYS)), ids=ERROR_KEYS)
def test_error_on_fake_cuda(err, key):
    """The op table's bad inputs with ember's tensors on cuda: torch's exception type, inputs untouched."""
    reason = XFAIL.get(key)
    try:
        check_error(err)
    except Exception:
        if reason:
            pytest.xfail(reason)
        raise
    if reason:
        pytest.fail(f"{key} passes now (strict xfail: {reason}); drop it from XFAIL_BY_REASON")
