"""ember.cuda, ember.cpu and ember.backends without a GPU, against torch's CPU build: which calls return
quietly (and what) and which raise (and which exception type)."""

import warnings

import pytest
import torch

import ember
import ember.backends
import ember.cpu
import ember.cuda
from ember._backend import CudaUnavailableError

pytestmark = pytest.mark.skipif(ember.cuda.is_available(), reason="checks the no-GPU behaviour")


def _run(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            return "ok", fn(), [type(x.message) for x in w]
        except Exception as e:  # noqa: BLE001 - the exception is what is compared
            return "raise", e, [type(x.message) for x in w]


# (name, call taking the library's cuda module)
QUIET = [
    ("is_available", lambda c: c.is_available()),
    ("device_count", lambda c: c.device_count()),
    ("is_initialized", lambda c: c.is_initialized()),
    ("empty_cache", lambda c: c.empty_cache()),
    ("memory_allocated", lambda c: c.memory_allocated()),
    ("memory_allocated(0)", lambda c: c.memory_allocated(0)),
    ("max_memory_allocated", lambda c: c.max_memory_allocated()),
    ("memory_reserved", lambda c: c.memory_reserved()),
    ("max_memory_reserved", lambda c: c.max_memory_reserved()),
    ("memory_stats", lambda c: dict(c.memory_stats())),
    ("manual_seed", lambda c: c.manual_seed(1)),
    ("manual_seed_all", lambda c: c.manual_seed_all(1)),
    ("seed", lambda c: c.seed()),
    ("seed_all", lambda c: c.seed_all()),
    ("get_rng_state_all", lambda c: c.get_rng_state_all()),
    ("set_rng_state_all", lambda c: c.set_rng_state_all([])),
    ("is_bf16_supported", lambda c: c.is_bf16_supported()),
    ("is_bf16_supported(False)", lambda c: c.is_bf16_supported(including_emulation=False)),
    ("is_tf32_supported", lambda c: c.is_tf32_supported()),
    ("get_arch_list", lambda c: c.get_arch_list()),
    ("get_gencode_flags", lambda c: c.get_gencode_flags()),
    ("set_device(-1)", lambda c: c.set_device(-1)),
    ("device(-1)", lambda c: c.device(-1).__enter__()),
    ("stream(None)", lambda c: c.stream(None).__enter__()),
    ("StreamContext(None)", lambda c: c.StreamContext(None).__enter__()),
    ("default_generators", lambda c: c.default_generators),
]

# torch's CPU build raises AssertionError ("Torch not compiled with CUDA enabled") or RuntimeError
RAISE = [
    ("current_device", lambda c: c.current_device()),
    ("get_device_name", lambda c: c.get_device_name()),
    ("get_device_name(0)", lambda c: c.get_device_name(0)),
    ("get_device_properties(0)", lambda c: c.get_device_properties(0)),
    ("get_device_properties()", lambda c: c.get_device_properties()),
    ("get_device_capability", lambda c: c.get_device_capability()),
    ("synchronize", lambda c: c.synchronize()),
    ("mem_get_info", lambda c: c.mem_get_info()),
    ("Stream", lambda c: c.Stream()),
    ("current_stream", lambda c: c.current_stream()),
    ("default_stream", lambda c: c.default_stream()),
    ("Event", lambda c: c.Event()),
    ("Event(timing)", lambda c: c.Event(enable_timing=True)),
    ("initial_seed", lambda c: c.initial_seed()),
    ("get_rng_state", lambda c: c.get_rng_state()),
    ("init", lambda c: c.init()),
    ("device(0).__enter__", lambda c: c.device(0).__enter__()),
    ("ipc_collect", lambda c: c.ipc_collect()),
    ("current_blas_handle", lambda c: c.current_blas_handle()),
    ("set_per_process_memory_fraction", lambda c: c.set_per_process_memory_fraction(0.5)),
    ("can_device_access_peer", lambda c: c.can_device_access_peer(0, 1)),
    ("get_sync_debug_mode", lambda c: c.get_sync_debug_mode()),
]

# torch's CPU build fails here by accident (AttributeError / KeyError from a missing binding); ember raises
# CudaUnavailableError, which names what is missing.
RAISE_ACCIDENTAL = [
    ("set_device(0)", lambda c: c.set_device(0)),
    ("reset_peak_memory_stats", lambda c: c.reset_peak_memory_stats()),
    ("reset_accumulated_memory_stats", lambda c: c.reset_accumulated_memory_stats()),
    ("memory_summary", lambda c: c.memory_summary()),
]


@pytest.mark.parametrize("name,fn", QUIET, ids=[n for n, _ in QUIET])
def test_quiet_without_cuda(name, fn):
    tk, tv, _ = _run(lambda: fn(torch.cuda))
    ek, ev, _ = _run(lambda: fn(ember.cuda))
    assert tk == "ok", f"torch raised {tv!r}"
    assert ek == "ok", f"ember raised {ev!r}"
    if name in ("stream(None)", "StreamContext(None)", "device(-1)"):
        assert ev is None and tv is None
        return
    if name == "default_generators":
        assert tuple(ev) == tuple(tv) == ()
        return
    assert ev == tv, f"{name}: ember {ev!r} != torch {tv!r}"
    assert type(ev) is type(tv) or (isinstance(tv, dict) and isinstance(ev, dict))


@pytest.mark.parametrize("name,fn", RAISE, ids=[n for n, _ in RAISE])
def test_raises_without_cuda(name, fn):
    tk, tv, _ = _run(lambda: fn(torch.cuda))
    ek, ev, _ = _run(lambda: fn(ember.cuda))
    assert tk == "raise", f"torch returned {tv!r}"
    assert ek == "raise", f"ember returned {ev!r}"
    assert isinstance(ev, type(tv)), f"{name}: ember raised {type(ev).__name__}, torch {type(tv).__name__}"
    assert isinstance(ev, CudaUnavailableError), f"{name}: {ev!r}"
    assert isinstance(ev, AssertionError) and isinstance(ev, RuntimeError)
    assert "CuPy" in str(ev)  # names what is missing


@pytest.mark.parametrize("name,fn", RAISE_ACCIDENTAL, ids=[n for n, _ in RAISE_ACCIDENTAL])
def test_raises_where_torch_cpu_build_breaks(name, fn):
    tk, tv, _ = _run(lambda: fn(torch.cuda))
    ek, ev, _ = _run(lambda: fn(ember.cuda))
    assert tk == "raise"
    assert ek == "raise" and isinstance(ev, CudaUnavailableError), f"{name}: {ev!r}"


def test_bad_device_arguments_match_torch():
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
            lib.cuda.set_device("cpu")
        with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
            lib.cuda.set_device(lib.device("cpu"))


def test_device_of_cpu_tensor_is_a_noop():
    with torch.cuda.device_of(torch.zeros(1)):
        pass
    with ember.cuda.device_of(ember.zeros(1)):
        pass


def test_deprecated_memory_aliases_warn_like_torch():
    for name in ("memory_cached", "max_memory_cached"):
        with pytest.warns(FutureWarning) as tw:
            tv = getattr(torch.cuda, name)()
        with pytest.warns(FutureWarning) as ew:
            ev = getattr(ember.cuda, name)()
        assert ev == tv == 0
        assert str(ew[0].message) == str(tw[0].message)


def test_set_rng_state_is_queued_without_cuda():
    state = ember.get_rng_state()
    assert ember.cuda.set_rng_state(state) is None
    assert torch.cuda.set_rng_state(torch.get_rng_state()) is None


def test_error_is_both_assertion_and_runtime_error():
    with pytest.raises(AssertionError):
        ember.cuda.current_device()
    with pytest.raises(RuntimeError):
        ember.cuda.current_device()
    with pytest.raises(RuntimeError):
        ember.cuda.Stream()


def test_out_of_memory_error_is_a_runtime_error():
    assert issubclass(ember.cuda.OutOfMemoryError, RuntimeError)
    assert issubclass(torch.cuda.OutOfMemoryError, RuntimeError)


def test_cuda_tensor_without_gpu_raises():
    with pytest.raises(CudaUnavailableError):
        ember.zeros(2, device="cuda")


def test_public_names_exist_in_torch_cuda():
    missing = [n for n in ember.cuda.__all__ if n not in ("CudaUnavailableError",) and not hasattr(torch.cuda, n)]
    assert not missing, missing


# -- ember.cpu -----------------------------------------------------------------------------------------


def test_cpu_module_matches_torch():
    for name in ("is_available", "device_count", "current_device"):
        assert getattr(ember.cpu, name)() == getattr(torch.cpu, name)()
    assert ember.cpu.synchronize() is None
    with ember.cpu.stream(ember.cpu.current_stream()):
        pass


# -- ember.backends ------------------------------------------------------------------------------------


def test_backends_defaults_match_torch():
    tb, eb = torch.backends, ember.backends
    for attr in (
        "allow_tf32",
        "allow_fp16_reduced_precision_reduction",
        "allow_bf16_reduced_precision_reduction",
    ):
        assert getattr(eb.cuda.matmul, attr) == getattr(tb.cuda.matmul, attr), attr
    for attr in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(eb.cudnn, attr) == getattr(tb.cudnn, attr), attr
    assert eb.mps.is_available() is tb.mps.is_available() is False
    assert eb.mps.is_built() is False
    assert eb.cudnn.is_available() is False
    assert eb.cudnn.version() is None
    assert eb.cpu.get_cpu_capability() in ("DEFAULT", "AVX2", "AVX512")
    for f in ("flash_sdp_enabled", "mem_efficient_sdp_enabled", "math_sdp_enabled", "cudnn_sdp_enabled"):
        assert getattr(eb.cuda, f)() == getattr(tb.cuda, f)()
    assert eb.cuda.is_built() in (True, False)


def test_backends_switches_are_settable():
    eb = ember.backends
    eb.cuda.matmul.allow_tf32 = True
    assert eb.cuda.matmul.allow_tf32 is True
    eb.cuda.matmul.allow_tf32 = False
    eb.cudnn.benchmark = True
    assert ember.backends.cudnn.benchmark is True
    eb.cudnn.benchmark = False
    with eb.cudnn.flags(enabled=False, deterministic=True):
        assert eb.cudnn.enabled is False and eb.cudnn.deterministic is True
    assert eb.cudnn.enabled is True and eb.cudnn.deterministic is False
    with pytest.raises(AttributeError, match="Unknown attribute foo"):
        eb.cuda.matmul.foo  # noqa: B018
    with pytest.raises(AttributeError, match="Unknown attribute foo"):
        torch.backends.cuda.matmul.foo  # noqa: B018
    with pytest.raises(AttributeError):
        eb.cuda.matmul.foo = 1
    with eb.cuda.sdp_kernel(enable_flash=False):
        assert eb.cuda.flash_sdp_enabled() is False
    assert eb.cuda.flash_sdp_enabled() is True


def test_pin_memory_without_a_gpu_is_torchs_error():
    for lib in (torch, ember):
        assert lib.ones(2).is_pinned() is False
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
            lib.ones(2).pin_memory()


def test_nvtx_without_a_gpu_is_torchs_error():
    for lib in (torch, ember):
        for f in (lambda: lib.cuda.nvtx.range_push("a"), lambda: lib.cuda.nvtx.mark("a"), lib.cuda.nvtx.range_pop):
            with pytest.raises(RuntimeError, match="NVTX functions not installed"):
                f()
