"""The CPU emulation of CUDA C (tests/fakecupy/cudaemu.py) that checks ember's fused kernels in CPU CI.

These tests show it models what the kernels rely on (shuffles, shared memory, barriers, atomics, the grid)
and that it reports the bugs it is there to catch: a barrier some threads skip, a missing barrier between a
shared-memory write and another warp's read, a write outside a buffer, an argument of the wrong type. Last,
a barrier deleted from ember's real kernel source makes its layer norm disagree with NumPy.
"""

import numpy as np
import pytest
from fakecupy import cudaemu

from ember.cuda import _fused

pytestmark = pytest.mark.skipif(cudaemu.compiler() is None, reason="no host C++ compiler for the CUDA emulation")

RNG = np.random.default_rng(3)

SOURCE = r"""
template<typename T> __device__ T warp_sum_down(T v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}
// out[blockIdx.x * blockDim.x + tid] gets: 0 the warp's down-sum (valid on lane 0), 1 the xor all-reduce,
// 2 lane 5's value, 3 the value of lane - 1 (own value on lane 0)
template<typename T>
__global__ void shuffles(const T* __restrict__ x, T* __restrict__ out, int mode) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    T v = x[i];
    if (mode == 0) v = warp_sum_down<T>(v);
    else if (mode == 1) { for (int m = 16; m > 0; m >>= 1) v += __shfl_xor_sync(0xffffffffu, v, m); }
    else if (mode == 2) v = __shfl_sync(0xffffffffu, v, 5);
    else v = __shfl_up_sync(0xffffffffu, v, 1);
    out[i] = v;
}
// Per block: the sum of its x through shared memory; `barrier` 0 leaves out the barrier after the
// per-warp partial sums are stored, so warp 0 may read them before the other warps wrote them.
__global__ void block_sum(const float* __restrict__ x, float* __restrict__ out, int barrier) {
    __shared__ float part[32];
    const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
    float v = warp_sum_down<float>(x[blockIdx.x * blockDim.x + threadIdx.x]);
    if (lane == 0) part[wid] = v;
    if (barrier) __syncthreads();
    if (wid == 0) {
        v = lane < (int)(blockDim.x >> 5) ? part[lane] : 0.f;
        v = warp_sum_down<float>(v);
        if (lane == 0) out[blockIdx.x] = v;
    }
}
// A __syncthreads that only the first half of the block reaches.
__global__ void divergent(float* __restrict__ out) {
    if (threadIdx.x < blockDim.x / 2) __syncthreads();
    out[threadIdx.x] = 1.f;
}
// A full-mask shuffle that lanes 16..31 never call.
__global__ void partial_warp(float* __restrict__ out) {
    if ((threadIdx.x & 31) >= 16) return;
    out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.f, 1);
}
// Writes one element past the end of out (n elements).
__global__ void overrun(float* __restrict__ out, long long n) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i <= n) out[i] = 2.f;
}
// A 2-d block over a 3-d grid: out[blockIdx.z, blockIdx.y, blockIdx.x, threadIdx.y, threadIdx.x] = linear
// index of the thread in the launch; count gets one per thread (atomics).
__global__ void grid3(long long* __restrict__ out, int* __restrict__ count) {
    const long long b = ((long long)blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
    const long long t = (long long)threadIdx.y * blockDim.x + threadIdx.x;
    out[b * blockDim.x * blockDim.y + t] = b * 1000 + t;
    atomicAdd(count, 1);
}
"""
NAMES = [
    "shuffles<float>",
    "shuffles<double>",
    "block_sum",
    "divergent",
    "partial_warp",
    "overrun",
    "grid3",
]


@pytest.fixture(scope="module")
def mod():
    return cudaemu.build(SOURCE, NAMES)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", [0, 1, 2, 3])
def test_warp_shuffles(mod, dtype, mode):
    x = RNG.standard_normal(3 * 64).astype(dtype)
    out = np.full_like(x, np.nan)
    name = "shuffles<float>" if dtype == np.float32 else "shuffles<double>"
    mod.launch(name, (3,), (64,), [x, out, np.int32(mode)])
    w = x.reshape(-1, 32)
    o = out.reshape(-1, 32)
    if mode == 0:
        np.testing.assert_allclose(o[:, 0], w.sum(1), rtol=1e-5)
    elif mode == 1:
        np.testing.assert_allclose(o, np.repeat(w.sum(1, keepdims=True), 32, 1), rtol=1e-5)
    elif mode == 2:
        np.testing.assert_array_equal(o, np.repeat(w[:, 5:6], 32, 1))
    else:
        np.testing.assert_array_equal(o[:, 1:], w[:, :-1])
        np.testing.assert_array_equal(o[:, 0], w[:, 0])


def test_block_reduction_through_shared_memory(mod):
    x = RNG.standard_normal(4 * 256).astype(np.float32)
    out = np.zeros(4, np.float32)
    mod.launch("block_sum", (4,), (256,), [x, out, np.int32(1)])
    np.testing.assert_allclose(out, x.reshape(4, 256).sum(1), rtol=1e-5)


def test_a_missing_barrier_changes_the_result(mod):
    """Without the barrier, warp 0 reads the partial sums before (even blocks) or after (odd blocks) the other
    warps store them: the two kinds of block disagree, so a missing barrier cannot pass a comparison."""
    x = np.ones(4 * 256, np.float32)
    out = np.zeros(4, np.float32)
    mod.launch("block_sum", (4,), (256,), [x, out, np.int32(0)])
    assert out[0] != 256 or out[1] != 256
    assert not np.array_equal(out[0::2], out[1::2])


def test_divergent_syncthreads_is_reported(mod):
    out = np.zeros(64, np.float32)
    with pytest.raises(AssertionError, match="never reach|different barriers"):
        mod.launch("divergent", (1,), (64,), [out])


def test_partial_warp_shuffle_is_reported(mod):
    out = np.zeros(64, np.float32)
    with pytest.raises(AssertionError, match="never reach"):
        mod.launch("partial_warp", (1,), (64,), [out])


def test_out_of_bounds_write_is_reported_and_the_buffer_kept(mod):
    out = np.zeros(100, np.float32)
    with pytest.raises(AssertionError, match="wrote outside argument 0"):
        mod.launch("overrun", (1,), (128,), [out, np.int64(100)])
    assert (out == 0).all()  # the failed launch left the caller's array as it was


def test_grid_and_block_indices_and_atomics(mod):
    out = np.full(2 * 3 * 4 * 8 * 32, -1, np.int64)
    count = np.zeros(1, np.int32)
    mod.launch("grid3", (4, 3, 2), (32, 8), [out, count])
    b = np.arange(24)[:, None]
    t = np.arange(256)[None, :]
    np.testing.assert_array_equal(out.reshape(24, 256), b * 1000 + t)
    assert count[0] == 24 * 256


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.zeros(64, np.float64), np.zeros(64, np.float32), np.int32(0)), "argument 0: array of float64"),
        ((np.zeros(64, np.float32), np.zeros(64, np.float32), 0), "argument 2: 0, the kernel takes int32"),
        ((np.zeros(64, np.float32), np.zeros(64, np.float32)), "2 arguments, the kernel takes 3"),
        ((np.zeros((8, 8), np.float32).T, np.zeros(64, np.float32), np.int32(0)), "not contiguous"),
    ],
)
def test_argument_types_are_checked(mod, args, match):
    with pytest.raises(AssertionError, match=match):
        mod.launch("shuffles<float>", (1,), (64,), list(args))


def test_signatures_come_from_the_c_declarations(mod):
    assert mod.signatures["shuffles<double>"] == ["*d", "*d", "i"]
    assert mod.signatures["grid3"] == ["*q", "*i"]
    assert mod.signatures["overrun"] == ["*f", "q"]


def _layer_norm(mod, x, eps=1e-5):
    rows, n = x.shape
    y = np.empty_like(x)
    mean = np.empty(rows, x.dtype)
    rstd = np.empty(rows, x.dtype)
    mod.launch(
        "ln_fwd<float>",
        (rows,),
        (_fused._row_threads(n),),
        [x, x, x, y, mean, rstd, np.int64(n), np.float32(eps), np.int32(0), np.int32(0)],
    )
    return y


def test_the_fused_source_runs_and_a_deleted_barrier_in_it_is_caught():
    x = RNG.standard_normal((4, 300)).astype(np.float32)
    ref = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(_layer_norm(cudaemu.build(_fused._SOURCE, _fused._NAMES), x), ref, atol=1e-5)

    guard = "    __syncthreads();  // buf may still be read from the previous reduction\n"
    assert guard in _fused._SOURCE
    broken = cudaemu.build(_fused._SOURCE.replace(guard, ""), _fused._NAMES)
    assert not np.allclose(_layer_norm(broken, x), ref, atol=1e-3)


def test_the_stand_ins_rawmodule_compares_every_launch_with_the_cuda_c(monkeypatch):
    """The stand-in RawModule (fakecupy.rawkernels) runs each launch's CUDA C beside its NumPy reference: with
    the barrier deleted from the source, the same launch that passes on the real source fails."""
    from fakecupy import _core, rawkernels  # noqa: PLC0415

    monkeypatch.setattr(rawkernels, "EMULATE", True)
    x = RNG.standard_normal((4, 300)).astype(np.float32)

    def launch(source):
        k = rawkernels.RawModule(code=source, name_expressions=_fused._NAMES).get_function("ln_fwd<float>")
        bufs = []
        for shape in [(4, 300), (4, 300), (4,), (4,)]:
            a = _core.ndarray(shape, np.float32)
            bufs.append(a)
        bufs[0]._a[...] = x
        xd, y, mean, rstd = bufs
        k((4,), (512,), (xd, xd, xd, y, mean, rstd, np.int64(300), np.float32(1e-5), np.int32(0), np.int32(0)))
        return y._a

    ref = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(launch(_fused._SOURCE), ref, atol=1e-5)
    guard = "    __syncthreads();  // buf may still be read from the previous reduction\n"
    with pytest.raises(AssertionError, match="the CUDA C and the reference differ"):
        launch(_fused._SOURCE.replace(guard, ""))
