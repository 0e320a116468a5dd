"""Runs CUDA C kernels on the CPU, for CPU CI: ember's fused kernel source compiled by the host C++ compiler.

The kernel source (ember/cuda/_fused.py `_SOURCE`) is compiled unchanged after a prelude that gives it the
CUDA names it uses: threadIdx/blockIdx/blockDim/gridDim, __syncthreads, the warp shuffles, __shared__, the
atomics, the bit casts and the math functions. Each CUDA thread of a block is a coroutine (ucontext) on one
OS thread; blocks run one after another. A barrier hands control back to a scheduler that releases it when
every live thread of the block (__syncthreads) or of the warp (shuffles, __syncwarp) waits there, so:

- shared memory is a function-local static, shared by the block's threads as on the GPU;
- a shuffle reads the value its source lane wrote at the same shuffle, as on the GPU;
- a barrier that not every thread reaches (a __syncthreads inside a branch some threads skip, a full-mask
  shuffle some lanes never call) is reported as an error instead of hanging or silently misbehaving.

`launch` copies each array into a buffer with guard bytes on both sides and checks them afterwards, so a
kernel that writes out of bounds is reported; reads out of bounds see the guard (NaN for floats).

What this cannot model: timing, memory ordering between blocks (blocks run in order), and the GPU's own math
library (the host libm is used; results agree to rounding).
"""

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile

import numpy as np

PRELUDE = r"""
#include <cmath>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>
#include <csetjmp>
#include <setjmp.h>
#include <ucontext.h>

using std::exp; using std::log; using std::sqrt; using std::erf; using std::tanh; using std::fabs;
using std::fmax; using std::fmin; using std::isnan; using std::isinf; using std::isfinite; using std::pow;
using std::log1p; using std::expm1; using std::floor; using std::ceil;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__
#define __shared__ static

struct dim3 { unsigned x = 1, y = 1, z = 1; };
static dim3 threadIdx, blockIdx, blockDim, gridDim;
static const int warpSize = 32;

namespace emu {
enum State { RUN, AT_BLOCK, AT_WARP, DONE };
struct Thread { ucontext_t ctx; jmp_buf jb; bool started; State state; dim3 tid; int linear; unsigned char slot[8]; };
static std::vector<Thread> threads;
static std::vector<char> stacks;
static const size_t STACK = 64 * 1024;
static ucontext_t start_ctx;
static jmp_buf sched;
static Thread* cur = nullptr;
static std::string error;
static void (*body)() = nullptr;

static void fail(const std::string& msg) {
    if (error.empty()) error = msg;
}
// A thread's switches are _setjmp/_longjmp (no signal-mask system call); ucontext only starts it on its stack.
static void wait(State s) {
    cur->state = s;
    if (!_setjmp(cur->jb)) _longjmp(sched, 1);
}
static void entry() {
    body();
    cur->state = DONE;
    _longjmp(sched, 1);
}
static void resume(Thread& t) {
    cur = &t;
    threadIdx = t.tid;
    if (_setjmp(sched)) return;
    if (t.started) _longjmp(t.jb, 1);
    t.started = true;
    setcontext(&t.ctx);
}
static int warp_size_of(int linear) {
    int n = (int)threads.size(), base = linear & ~31;
    return n - base < 32 ? n - base : 32;
}
// Runs one block. Warps run one at a time, each as far as it can (through its shuffles) before the next
// starts, in ascending warp and lane order on even blocks and descending on odd ones: a missing barrier
// between one warp's write to shared memory and another's read then gives different results on the two
// kinds of block, which the caller's comparison sees. A barrier not every live thread can reach is an error.
static bool run_block(bool reverse) {
    size_t n = threads.size(), nw = (n + 31) / 32;
    for (size_t i = 0; i < n; ++i) {
        Thread& t = threads[i];
        t.ctx = start_ctx;
        t.ctx.uc_stack.ss_sp = stacks.data() + i * STACK;
        t.ctx.uc_stack.ss_size = STACK;
        t.ctx.uc_link = nullptr;
        makecontext(&t.ctx, entry, 0);
        t.state = RUN;
        t.started = false;
    }
    for (;;) {
        for (size_t wi = 0; wi < nw; ++wi) {
            size_t w = reverse ? nw - 1 - wi : wi, lo = w * 32, hi = lo + 32 < n ? lo + 32 : n;
            for (;;) {
                for (size_t li = lo; li < hi; ++li) {
                    size_t i = reverse ? hi - 1 - (li - lo) : li;
                    if (threads[i].state != RUN) continue;
                    resume(threads[i]);
                    if (!error.empty()) return false;
                }
                size_t at_warp = 0, done = 0;
                for (size_t i = lo; i < hi; ++i) {
                    at_warp += threads[i].state == AT_WARP;
                    done += threads[i].state == DONE;
                }
                if (!at_warp) break;
                if (at_warp != hi - lo) {
                    fail(done ? "a full-mask warp operation that some lanes of warp " + std::to_string(w) +
                                    " never reach (they returned)"
                              : "lanes of warp " + std::to_string(w) + " wait at different barriers (a divergent "
                                    "warp operation or __syncthreads)");
                    return false;
                }
                for (size_t i = lo; i < hi; ++i) threads[i].state = RUN;
            }
        }
        size_t done = 0;  // every other thread waits at __syncthreads now
        for (size_t i = 0; i < n; ++i) done += threads[i].state == DONE;
        if (done == n) return true;
        if (done) {
            fail("__syncthreads that some threads of the block never reach (they returned)");
            return false;
        }
        for (size_t i = 0; i < n; ++i) threads[i].state = RUN;
    }
}
static int launch(void (*fn)(), dim3 g, dim3 b) {
    error.clear();
    size_t n = (size_t)b.x * b.y * b.z;
    if (n == 0 || n > 1024) { fail("a block of " + std::to_string(n) + " threads"); return 1; }
    if (g.x == 0 || g.y == 0 || g.z == 0) { fail("an empty grid"); return 1; }
    threads.assign(n, Thread());
    getcontext(&start_ctx);
    if (stacks.size() < n * STACK) stacks.resize(n * STACK);
    for (unsigned z = 0, k = 0; z < b.z; ++z)
        for (unsigned y = 0; y < b.y; ++y)
            for (unsigned x = 0; x < b.x; ++x, ++k) {
                threads[k].tid.x = x; threads[k].tid.y = y; threads[k].tid.z = z; threads[k].linear = k;
            }
    body = fn;
    gridDim = g;
    blockDim = b;
    for (unsigned z = 0; z < g.z; ++z)
        for (unsigned y = 0; y < g.y; ++y)
            for (unsigned x = 0; x < g.x; ++x) {
                blockIdx.x = x; blockIdx.y = y; blockIdx.z = z;
                if (!run_block((x + y + z) & 1)) return 1;
            }
    return 0;
}
static void warp_barrier(unsigned mask) {
    if (mask != 0xffffffffu || warp_size_of(cur->linear) != 32) {
        fail("a warp operation with a partial mask or a partial warp");
        wait(DONE);
    }
    wait(AT_WARP);
}
template<typename T> T shfl_from(T v, int src_of_lane(int, int), int arg) {
    static_assert(sizeof(T) <= 8, "shuffle of a value wider than 8 bytes");
    std::memcpy(cur->slot, &v, sizeof(T));
    warp_barrier(0xffffffffu);
    int lane = cur->linear & 31, src = src_of_lane(lane, arg);
    T r = v;
    if (src >= 0 && src < 32) std::memcpy(&r, threads[(cur->linear & ~31) + src].slot, sizeof(T));
    warp_barrier(0xffffffffu);
    return r;
}
static int down(int lane, int d) { return lane + d; }
static int up(int lane, int d) { return lane - d; }
static int xor_(int lane, int m) { return lane ^ m; }
static int idx(int, int s) { return s & 31; }

template<typename T> const char* code();
template<> const char* code<float>() { return "f"; }
template<> const char* code<double>() { return "d"; }
template<> const char* code<int>() { return "i"; }
template<> const char* code<long long>() { return "q"; }
template<> const char* code<unsigned char>() { return "B"; }
template<> const char* code<unsigned long long>() { return "Q"; }
template<> const char* code<float*>() { return "*f"; }
template<> const char* code<double*>() { return "*d"; }
template<> const char* code<int*>() { return "*i"; }
template<> const char* code<long long*>() { return "*q"; }
template<> const char* code<unsigned char*>() { return "*B"; }
template<typename T> std::string code_of() {
    using U = typename std::remove_cv<T>::type;
    if constexpr (std::is_pointer<U>::value) {
        using P = typename std::remove_cv<typename std::remove_pointer<U>::type>::type;
        return code<P*>();
    } else {
        return code<U>();
    }
}
template<typename... A> std::string signature(void (*)(A...)) {
    std::string s;
    ((s += code_of<A>(), s += ","), ...);
    return s;
}
static void** launch_args;
template<typename... A, size_t... I> void call(void (*k)(A...), std::index_sequence<I...>) {
    k(*static_cast<typename std::remove_cv<A>::type*>(launch_args[I])...);
}
}  // namespace emu

inline void __syncthreads() { emu::wait(emu::AT_BLOCK); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { emu::warp_barrier(mask); }
template<typename T> T __shfl_down_sync(unsigned mask, T v, int d, int = 32) {
    if (mask != 0xffffffffu) emu::fail("__shfl_down_sync with a partial mask");
    return emu::shfl_from<T>(v, emu::down, d);
}
template<typename T> T __shfl_up_sync(unsigned mask, T v, int d, int = 32) {
    if (mask != 0xffffffffu) emu::fail("__shfl_up_sync with a partial mask");
    return emu::shfl_from<T>(v, emu::up, d);
}
template<typename T> T __shfl_xor_sync(unsigned mask, T v, int m, int = 32) {
    if (mask != 0xffffffffu) emu::fail("__shfl_xor_sync with a partial mask");
    return emu::shfl_from<T>(v, emu::xor_, m);
}
template<typename T> T __shfl_sync(unsigned mask, T v, int s, int = 32) {
    if (mask != 0xffffffffu) emu::fail("__shfl_sync with a partial mask");
    return emu::shfl_from<T>(v, emu::idx, s);
}
inline float __int_as_float(int v) { float f; std::memcpy(&f, &v, 4); return f; }
inline int __float_as_int(float v) { int i; std::memcpy(&i, &v, 4); return i; }
inline double __longlong_as_double(long long v) { double f; std::memcpy(&f, &v, 8); return f; }
inline long long __double_as_longlong(double v) { long long i; std::memcpy(&i, &v, 8); return i; }
inline float rsqrtf(float v) { return 1.0f / std::sqrt(v); }
inline double rsqrt(double v) { return 1.0 / std::sqrt(v); }
inline float rsqrt(float v) { return 1.0f / std::sqrt(v); }
inline float __expf(float v) { return std::exp(v); }
// round-to-nearest double arithmetic that the CUDA compiler does not fuse (the host compiler here never does)
inline double __dmul_rn(double a, double b) { return a * b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline float __logf(float v) { return std::log(v); }
// CUDA's min/max overloads for the built-in types
#define EMU_MINMAX(T) inline T min(T a, T b) { return b < a ? b : a; } inline T max(T a, T b) { return a < b ? b : a; }
EMU_MINMAX(int) EMU_MINMAX(unsigned) EMU_MINMAX(long long) EMU_MINMAX(unsigned long long)
inline float min(float a, float b) { return std::fmin(a, b); } inline float max(float a, float b) { return std::fmax(a, b); }
inline double min(double a, double b) { return std::fmin(a, b); } inline double max(double a, double b) { return std::fmax(a, b); }
#undef EMU_MINMAX
template<typename T> T atomicAdd(T* p, T v) { T o = *p; *p = o + v; return o; }
inline void __threadfence() {}  // blocks run one after another here: their writes are already visible
template<typename T> T atomicMin(T* p, T v) { T o = *p; if (v < o) *p = v; return o; }
template<typename T> T atomicMax(T* p, T v) { T o = *p; if (v > o) *p = v; return o; }
template<typename T> T atomicOr(T* p, T v) { T o = *p; *p = o | v; return o; }
"""


def _entry_points(names):
    """C++ that names each kernel instantiation, its launcher and its signature, indexed as `names`."""
    lines = ["namespace emu_table {"]
    for i, name in enumerate(names):
        lines.append(
            f"static void body{i}() {{ emu::call(&{name}, std::make_index_sequence<std::tuple_size<decltype("
            f"emu_args(&{name}))>::value>()); }}"
        )
    lines.append("}")
    lines.append('extern "C" int emu_launch(int k, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,')
    lines.append("                          unsigned bz, void** args) {")
    lines.append("    emu::launch_args = args;")
    lines.append("    dim3 g; g.x = gx; g.y = gy; g.z = gz; dim3 b; b.x = bx; b.y = by; b.z = bz;")
    lines.append("    switch (k) {")
    for i in range(len(names)):
        lines.append(f"    case {i}: return emu::launch(emu_table::body{i}, g, b);")
    lines.append("    }")
    lines.append("    return 2;")
    lines.append("}")
    lines.append('extern "C" const char* emu_error() { return emu::error.c_str(); }')
    lines.append("static std::vector<std::string> emu_sigs = {")
    for name in names:
        lines.append(f"    emu::signature(&{name}),")
    lines.append("};")
    lines.append('extern "C" const char* emu_signature(int k) { return emu_sigs[k].c_str(); }')
    return "\n".join(lines)


_ARGS_HELPER = r"""
template<typename... A> std::tuple<A...> emu_args(void (*)(A...));
"""

_CACHE = {}


def compiler():
    """The host C++ compiler's path, or None."""
    return os.environ.get("CXX") or shutil.which("g++") or shutil.which("clang++")


def build(source, names):
    """Compiles `source` (CUDA C) with the prelude; returns a Module. Cached by source and names, on disk too
    (so parallel test workers compile once each at most)."""
    key = hashlib.sha256((PRELUDE + source + "\0".join(names)).encode()).hexdigest()[:16]
    mod = _CACHE.get(key)
    if mod is not None:
        return mod
    cxx = compiler()
    if cxx is None:
        raise RuntimeError("no C++ compiler (g++ or clang++) to build the CUDA emulation")
    cache_dir = os.path.join(tempfile.gettempdir(), "ember-cudaemu")
    os.makedirs(cache_dir, exist_ok=True)
    so = os.path.join(cache_dir, f"k{key}.so")
    if not os.path.exists(so):
        fd, cpp = tempfile.mkstemp(suffix=".cpp", dir=cache_dir)
        with os.fdopen(fd, "w") as f:
            f.write(PRELUDE + source + _ARGS_HELPER + _entry_points(names))
        tmp_so = cpp[:-4] + ".so"
        r = subprocess.run(
            [cxx, "-std=c++17", "-O1", "-U_FORTIFY_SOURCE", "-shared", "-fPIC", "-w", cpp, "-o", tmp_so],
            capture_output=True,
            text=True,
        )
        os.unlink(cpp)
        if r.returncode:
            raise RuntimeError(f"the CUDA source did not compile for the emulation:\n{r.stderr[-4000:]}")
        os.replace(tmp_so, so)  # atomic: another worker may have built the same file meanwhile
    mod = _CACHE[key] = Module(ctypes.CDLL(so), names)
    return mod


# signature letters -> NumPy dtype of the argument (arrays for "*x")
_CODES = {"f": np.float32, "d": np.float64, "i": np.int32, "q": np.int64, "B": np.uint8, "Q": np.uint64}
_GUARD = 64  # bytes of guard on each side of every array


class Module:
    def __init__(self, lib, names):
        self._lib = lib
        lib.emu_launch.restype = ctypes.c_int
        lib.emu_launch.argtypes = [ctypes.c_int] + [ctypes.c_uint] * 6 + [ctypes.POINTER(ctypes.c_void_p)]
        lib.emu_error.restype = ctypes.c_char_p
        lib.emu_signature.restype = ctypes.c_char_p
        lib.emu_signature.argtypes = [ctypes.c_int]
        self.index = {n: i for i, n in enumerate(names)}
        self.signatures = {n: lib.emu_signature(i).decode().rstrip(",").split(",") for i, n in enumerate(names)}

    def launch(self, name, grid, block, args):
        """Runs kernel `name` over `grid` x `block` on `args`: NumPy arrays (any contiguous array whose dtype is
        the pointer's element type; written in place) and NumPy scalars of the exact parameter type."""
        sig = self.signatures[name]
        if len(args) != len(sig):
            raise AssertionError(f"{name}: {len(args)} arguments, the kernel takes {len(sig)}")
        grid = tuple(grid) + (1,) * (3 - len(grid))
        block = tuple(block) + (1,) * (3 - len(block))
        keep, ptrs, guarded = [], (ctypes.c_void_p * len(args))(), {}
        for k, (a, s) in enumerate(zip(args, sig)):
            if s.startswith("*"):
                want = np.dtype(_CODES[s[1]])
                if not (isinstance(a, np.ndarray) and a.dtype == want and a.flags.c_contiguous):
                    raise AssertionError(f"{name} argument {k}: {_describe(a)}, the kernel takes a pointer to {want}")
                if id(a) not in guarded:  # the same array passed twice is one buffer, as on the device
                    buf = np.full(a.nbytes + 2 * _GUARD, 0xFF, np.uint8)
                    buf[_GUARD : _GUARD + a.nbytes] = a.reshape(-1).view(np.uint8)
                    guarded[id(a)] = (k, a, buf)
                cell = ctypes.c_void_p(guarded[id(a)][2].ctypes.data + _GUARD)
            else:
                want = np.dtype(_CODES[s])
                if not (isinstance(a, np.generic) and a.dtype == want):
                    raise AssertionError(f"{name} argument {k}: {_describe(a)}, the kernel takes {want}")
                cell = np.array(a)
            keep.append(cell)
            ptrs[k] = ctypes.addressof(cell) if isinstance(cell, ctypes.c_void_p) else cell.ctypes.data
        rc = self._lib.emu_launch(self.index[name], *grid, *block, ptrs)
        if rc:
            raise AssertionError(f"{name} grid {grid} block {block}: {self._lib.emu_error().decode()}")
        for k, a, buf in guarded.values():
            if (buf[:_GUARD] != 0xFF).any() or (buf[_GUARD + a.nbytes :] != 0xFF).any():
                raise AssertionError(f"{name} grid {grid} block {block}: wrote outside argument {k} ({a.shape})")
            a.reshape(-1).view(np.uint8)[:] = buf[_GUARD : _GUARD + a.nbytes]


def _describe(a):
    if isinstance(a, np.ndarray):
        return f"array of {a.dtype}{'' if a.flags.c_contiguous else ', not contiguous'}"
    return repr(a)
