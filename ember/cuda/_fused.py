"""Fused CUDA kernels for ember's hottest GPU paths, compiled on first use through CuPy's RawModule.

On the GPU an op's cost is mostly its launches: a layer norm written with CuPy ufuncs is ~10 kernels and
as many passes over memory, here it is one. Each entry point takes CuPy arrays (C-contiguous, the dtype
the kernel covers) and returns CuPy arrays; op code reaches them only after `usable(arr)`, which is False
for NumPy arrays, for dtypes other than float32/float64, where the CuPy module lacks RawModule (the test
stand-in) and when EMBER_CUDA_FUSED=0 (then the generic CuPy path runs: scripts/gpu_check.py compares
the two and torch on the GPU).

The arithmetic follows torch's formulas and accumulates in the input's precision, as torch's CUDA kernels
accumulate float32 in float32 (results agree to rounding, not bit for bit: the order of a parallel sum
differs, and the compiler fuses multiply-adds).
"""

import math
import os

import numpy as np

from .._backend import cupy

ENABLED = os.environ.get("EMBER_CUDA_FUSED", "1") != "0"

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_CTYPE = {_F32: "float", _F64: "double"}

_SOURCE = r"""
template<typename T> __device__ __forceinline__ T neg_inf();
template<> __device__ __forceinline__ float neg_inf<float>() { return -__int_as_float(0x7f800000); }
template<> __device__ __forceinline__ double neg_inf<double>() { return -__longlong_as_double(0x7ff0000000000000LL); }

template<typename T> __device__ __forceinline__ T warp_sum(T v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}
template<typename T> __device__ __forceinline__ T warp_max(T v) {
    for (int o = 16; o > 0; o >>= 1) { T u = __shfl_down_sync(0xffffffffu, v, o); v = (u > v || u != u) ? u : v; }
    return v;
}

// Sum (or max) over the block, the result broadcast to every thread. blockDim.x is a multiple of 32, at
// most 1024; buf holds 32 values in shared memory.
template<typename T, bool MAX> __device__ T block_reduce(T v, T* buf) {
    v = MAX ? warp_max<T>(v) : warp_sum<T>(v);
    const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    __syncthreads();  // buf may still be read from the previous reduction
    if (lane == 0) buf[wid] = v;
    __syncthreads();
    if (wid == 0) {
        v = lane < nw ? buf[lane] : (MAX ? neg_inf<T>() : (T)0);
        v = MAX ? warp_max<T>(v) : warp_sum<T>(v);
        if (lane == 0) buf[0] = v;
    }
    __syncthreads();
    return buf[0];
}

// The max of a row of n and the sum of exp(x - max) over it (NaN propagates through the max).
template<typename T> __device__ void row_max_sumexp(const T* xr, long long n, T* buf, T& mx, T& s) {
    mx = neg_inf<T>();
    for (long long i = threadIdx.x; i < n; i += blockDim.x) { T v = xr[i]; mx = (v > mx || v != v) ? v : mx; }
    mx = block_reduce<T, true>(mx, buf);
    s = 0;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) s += exp(xr[i] - mx);
    s = block_reduce<T, false>(s, buf);
}

// ---- layer norm over the last n elements of each row ----
template<typename T>
__global__ void ln_fwd(const T* __restrict__ x, const T* __restrict__ w, const T* __restrict__ b,
                       T* __restrict__ y, T* __restrict__ mean_out, T* __restrict__ rstd_out,
                       long long n, T eps, int has_w, int has_b) {
    __shared__ T buf[32];
    const long long row = blockIdx.x;
    const T* xr = x + row * n;
    T* yr = y + row * n;
    T s = 0;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) s += xr[i];
    const T mean = block_reduce<T, false>(s, buf) / (T)n;
    T s2 = 0;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) { T d = xr[i] - mean; s2 += d * d; }
    const T var = block_reduce<T, false>(s2, buf) / (T)n;
    const T rstd = (T)1 / sqrt(var + eps);
    for (long long i = threadIdx.x; i < n; i += blockDim.x) {
        T v = (xr[i] - mean) * rstd;
        if (has_w) v = v * w[i];
        if (has_b) v = v + b[i];
        yr[i] = v;
    }
    if (threadIdx.x == 0) { mean_out[row] = mean; rstd_out[row] = rstd; }
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * w
template<typename T>
__global__ void ln_bwd_x(const T* __restrict__ dy, const T* __restrict__ x, const T* __restrict__ w,
                         const T* __restrict__ mean, const T* __restrict__ rstd, T* __restrict__ dx,
                         long long n, int has_w) {
    __shared__ T buf[32];
    const long long row = blockIdx.x;
    const T* xr = x + row * n;
    const T* gr = dy + row * n;
    T* dr = dx + row * n;
    const T mu = mean[row], r = rstd[row];
    T a = 0, c = 0;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) {
        T g = has_w ? gr[i] * w[i] : gr[i];
        a += g;
        c += g * ((xr[i] - mu) * r);
    }
    a = block_reduce<T, false>(a, buf) / (T)n;
    c = block_reduce<T, false>(c, buf) / (T)n;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) {
        T g = has_w ? gr[i] * w[i] : gr[i];
        T xh = (xr[i] - mu) * r;
        dr[i] = (g - a - xh * c) * r;
    }
}

// The weight and bias gradients, column sums over the rows, in one launch: block (32, 8) sums 32 columns over
// the `chunk` rows of row chunk blockIdx.y. With one chunk it writes dw and db directly; with gridDim.y
// chunks it writes its partial sums to part = [pw (gridDim.y, n) | pb (gridDim.y, n)], and the block of each
// column tile that finishes last (counted in done[blockIdx.x], which it resets to 0 for the next launch) adds
// the partial sums in chunk order into dw and db: deterministic, and the whole GPU takes part.
template<typename T>
__global__ void ln_bwd_wb(const T* __restrict__ dy, const T* __restrict__ x, const T* __restrict__ mean,
                          const T* __restrict__ rstd, T* part, T* __restrict__ dw, T* __restrict__ db, int* done,
                          long long rows, long long n, long long chunk) {
    __shared__ T sw[8][33];
    __shared__ T sb[8][33];
    __shared__ int last;
    const long long col = (long long)blockIdx.x * 32 + threadIdx.x;
    const long long r0 = (long long)blockIdx.y * chunk;
    const long long r1 = min(rows, r0 + chunk);
    const long long parts = gridDim.y;
    T aw = 0, ab = 0;
    if (col < n) {
        for (long long r = r0 + threadIdx.y; r < r1; r += 8) {
            T g = dy[r * n + col];
            aw += g * ((x[r * n + col] - mean[r]) * rstd[r]);
            ab += g;
        }
    }
    sw[threadIdx.y][threadIdx.x] = aw;
    sb[threadIdx.y][threadIdx.x] = ab;
    __syncthreads();
    if (threadIdx.y == 0 && col < n) {
        for (int k = 1; k < 8; ++k) { aw += sw[k][threadIdx.x]; ab += sb[k][threadIdx.x]; }
        if (parts == 1) {
            dw[col] = aw;
            db[col] = ab;
        } else {
            part[(long long)blockIdx.y * n + col] = aw;
            part[(parts + blockIdx.y) * n + col] = ab;
        }
    }
    if (parts == 1) return;
    __threadfence();  // this block's partial sums are visible to every block before it is counted
    __syncthreads();
    if (threadIdx.x == 0 && threadIdx.y == 0) last = atomicAdd(done + blockIdx.x, 1) == parts - 1;
    __syncthreads();
    if (!last) return;
    if (threadIdx.y == 0 && col < n) {
        const volatile T* p = part;  // written by other blocks: read past this SM's cache
        T w = 0, b = 0;
        for (long long k = 0; k < parts; ++k) { w += p[k * n + col]; b += p[(parts + k) * n + col]; }
        dw[col] = w;
        db[col] = b;
    }
    if (threadIdx.x == 0 && threadIdx.y == 0) done[blockIdx.x] = 0;
}

// ---- softmax / log_softmax over the last n elements of each row ----
template<typename T, bool LOG>
__global__ void softmax_fwd(const T* __restrict__ x, T* __restrict__ y, long long n) {
    __shared__ T buf[32];
    const long long row = blockIdx.x;
    const T* xr = x + row * n;
    T* yr = y + row * n;
    T mx, s;
    row_max_sumexp<T>(xr, n, buf, mx, s);
    if (LOG) {
        const T lse = log(s);
        for (long long i = threadIdx.x; i < n; i += blockDim.x) yr[i] = (xr[i] - mx) - lse;
    } else {
        for (long long i = threadIdx.x; i < n; i += blockDim.x) yr[i] = exp(xr[i] - mx) / s;
    }
}

// Attention's softmax over the last dim, in place (y may be x), of scale * x with, when qlen > 0, the columns
// past the row's query index (row % qlen) masked (is_causal, top-left aligned): a row whose max is not finite
// (all -inf, or holding NaN or +inf) is taken with max 0 and a zero sum as 1, so an all -inf row gives 0
// (torch's _safe_softmax); dead[row] marks those rows. scale * x is rounded once, as a separate multiply.
template<typename T> __device__ __forceinline__ T mul_rn(T a, T b);
template<> __device__ __forceinline__ float mul_rn<float>(float a, float b) { return __fmul_rn(a, b); }
template<> __device__ __forceinline__ double mul_rn<double>(double a, double b) { return __dmul_rn(a, b); }

template<typename T>
__global__ void safe_softmax(const T* x, T* y, unsigned char* dead, long long n, T scale, long long qlen) {
    __shared__ T buf[32];
    const long long row = blockIdx.x;
    const long long last = qlen > 0 ? row % qlen : n - 1;  // the last column the row may attend to
    const T* xr = x + row * n;
    T* yr = y + row * n;
    T mx = neg_inf<T>();
    for (long long i = threadIdx.x; i <= last && i < n; i += blockDim.x) {
        const T v = mul_rn<T>(xr[i], scale);
        mx = (v > mx || v != v) ? v : mx;
    }
    mx = block_reduce<T, true>(mx, buf);
    const bool d = !isfinite(mx);  // the same in every thread: mx is the block's
    if (d) mx = 0;
    T s = 0;
    for (long long i = threadIdx.x; i <= last && i < n; i += blockDim.x) s += exp(mul_rn<T>(xr[i], scale) - mx);
    s = block_reduce<T, false>(s, buf);
    if (d && s == (T)0) s = 1;
    for (long long i = threadIdx.x; i < n; i += blockDim.x)
        yr[i] = i > last ? (T)0 : exp(mul_rn<T>(xr[i], scale) - mx) / s;
    if (threadIdx.x == 0) dead[row] = d;
}

template<typename T, bool LOG>
__global__ void softmax_bwd(const T* __restrict__ dy, const T* __restrict__ y, T* __restrict__ dx, long long n,
                            T scale) {
    __shared__ T buf[32];
    const long long row = blockIdx.x;
    const T* gr = dy + row * n;
    const T* yr = y + row * n;
    T* dr = dx + row * n;
    T s = 0;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) s += LOG ? gr[i] : gr[i] * yr[i];
    s = block_reduce<T, false>(s, buf);
    for (long long i = threadIdx.x; i < n; i += blockDim.x)
        dr[i] = scale * (LOG ? gr[i] - exp(yr[i]) * s : yr[i] * (gr[i] - s));
}

// ---- cross entropy with class indices (no class weights, no label smoothing) ----
// Per row: lse = log(sum(exp(x))), nll = lse - x[target] (0 for an ignored row). count gets the number of
// rows not ignored; badrow the smallest row whose target lies outside [0, C) (it starts at m).
template<typename T>
__global__ void ce_fwd(const T* __restrict__ x, const long long* __restrict__ target, T* __restrict__ nll,
                       T* __restrict__ lse_out, int* __restrict__ count, long long* __restrict__ badrow,
                       long long C, long long ignore_index) {
    __shared__ T buf[32];
    const long long row = blockIdx.x;
    const T* xr = x + row * C;
    T mx, s;
    row_max_sumexp<T>(xr, C, buf, mx, s);
    if (threadIdx.x == 0) {
        const T lse = mx + log(s);
        lse_out[row] = lse;
        const long long t = target[row];
        if (t == ignore_index) {
            nll[row] = 0;
        } else if (t < 0 || t >= C) {
            nll[row] = 0;
            atomicMin((unsigned long long*)badrow, (unsigned long long)row);
        } else {
            nll[row] = lse - xr[t];
            atomicAdd(count, 1);
        }
    }
}

// out[0] = sum(nll) (mode 1) or sum(nll) / count (mode 2), in one block.
template<typename T>
__global__ void ce_reduce(const T* __restrict__ nll, const int* __restrict__ count, T* __restrict__ out,
                          long long m, int mode) {
    __shared__ T buf[32];
    T s = 0;
    for (long long i = threadIdx.x; i < m; i += blockDim.x) s += nll[i];
    s = block_reduce<T, false>(s, buf);
    if (threadIdx.x == 0) out[0] = mode == 2 ? s / (T)count[0] : s;
}

// dx = a * (softmax(x) - onehot(target)), a = g[row] (mode 0), g (mode 1) or g / count (mode 2); 0 when ignored.
template<typename T>
__global__ void ce_bwd(const T* __restrict__ x, const T* __restrict__ lse, const long long* __restrict__ target,
                       const T* __restrict__ g, const int* __restrict__ count, T* __restrict__ dx,
                       long long C, long long ignore_index, int mode) {
    const long long row = blockIdx.x;
    const T* xr = x + row * C;
    T* dr = dx + row * C;
    const long long t = target[row];
    T a = 0;
    if (t != ignore_index) a = mode == 0 ? g[row] : (mode == 1 ? g[0] : g[0] / (T)count[0]);
    const T l = lse[row];
    for (long long i = threadIdx.x; i < C; i += blockDim.x) {
        T p = exp(xr[i] - l);
        dr[i] = a * (i == t ? p - (T)1 : p);
    }
}

// ---- gelu: y = x * cdf(x) and, when want_grad, dg = d y / d x ----
template<typename T>
__global__ void gelu_fwd(const T* __restrict__ x, T* __restrict__ y, T* __restrict__ dg, long long n,
                         int tanh_approx, int want_grad) {
    const T k_sqrt1_2 = (T)0.70710678118654752440;
    const T k_inv_sqrt_2pi = (T)0.39894228040143267794;
    const T k_beta = (T)0.79788456080286535588;  // sqrt(2 / pi)
    const T k_kappa = (T)0.044715;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        const T v = x[i];
        if (tanh_approx) {
            const T v2 = v * v;
            const T inner = k_beta * (v + k_kappa * v2 * v);
            const T t = tanh(inner);
            y[i] = (T)0.5 * v * ((T)1 + t);
            if (want_grad)
                dg[i] = (T)0.5 * ((T)1 + t) + (T)0.5 * v * ((T)1 - t * t) * k_beta * ((T)1 + (T)3 * k_kappa * v2);
        } else {
            const T cdf = (T)0.5 * ((T)1 + erf(v * k_sqrt1_2));
            y[i] = v * cdf;
            if (want_grad) dg[i] = cdf + v * exp((T)-0.5 * v * v) * k_inv_sqrt_2pi;
        }
    }
}

// ---- Adam / AdamW, torch's single-tensor op order, many parameters in one launch ----
template<typename T>
__device__ __forceinline__ void adam_elem(T* __restrict__ w, const T* __restrict__ grad, T* __restrict__ m,
                                          T* __restrict__ v, T* __restrict__ vmax, long long i, T lr_wd_keep, T wd,
                                          T one_minus_beta1, T beta2, T one_minus_beta2, T bc2_sqrt, T eps,
                                          T step_size, int decoupled, int amsgrad) {
    T g = grad[i];
    T p = w[i];
    if (decoupled) p = p * lr_wd_keep;
    else if (wd != (T)0) g = g + wd * p;
    T mi = m[i];
    mi = mi + one_minus_beta1 * (g - mi);
    T vi = v[i] * beta2 + (g * g) * one_minus_beta2;
    m[i] = mi;
    v[i] = vi;
    if (amsgrad) { T vm = vmax[i]; vm = vi > vm ? vi : vm; vmax[i] = vm; vi = vm; }
    const T denom = sqrt(vi) / bc2_sqrt + eps;
    w[i] = p - step_size * (mi / denom);
}

// Chunk c of a multi-tensor launch (below): its tensor, returned, and its elements [start, end); the element
// counts are row `rows` of tab.
__device__ __forceinline__ long long chunk_of(const long long* tab, const long long* chunks, long long ntensors,
                                              int rows, long long chunk, long long c, long long& start,
                                              long long& end) {
    const long long t = chunks[2 * c], n = tab[rows * ntensors + t];
    start = chunks[2 * c + 1];
    end = start + chunk < n ? start + chunk : n;
    return t;
}

// tab: five rows of ntensors int64: the addresses of each parameter, its exp_avg, exp_avg_sq and
// max_exp_avg_sq (the parameter's when unused), then the element counts; gtab: the gradients' addresses (a
// separate upload: they move between steps). chunks: (tensor, start) pairs, each `chunk` elements of one
// tensor (the last may be shorter); a block takes one pair at a time.
template<typename T>
__global__ void adam_multi(const long long* __restrict__ tab, const long long* __restrict__ gtab,
                           const long long* __restrict__ chunks, long long nchunks, long long ntensors,
                           long long chunk, T lr_wd_keep, T wd, T one_minus_beta1, T beta2, T one_minus_beta2,
                           T bc2_sqrt, T eps, T step_size, int decoupled, int amsgrad) {
    for (long long c = blockIdx.x; c < nchunks; c += gridDim.x) {
        long long start, end;
        const long long t = chunk_of(tab, chunks, ntensors, 4, chunk, c, start, end);
        T* w = (T*)tab[t];
        const T* g = (const T*)gtab[t];
        T* m = (T*)tab[ntensors + t];
        T* v = (T*)tab[2 * ntensors + t];
        T* vmax = (T*)tab[3 * ntensors + t];
        for (long long i = start + threadIdx.x; i < end; i += blockDim.x)
            adam_elem<T>(w, g, m, v, vmax, i, lr_wd_keep, wd, one_minus_beta1, beta2, one_minus_beta2, bc2_sqrt,
                         eps, step_size, decoupled, amsgrad);
    }
}

// ---- batch norm over x as (N, C, L) contiguous: one block per channel c ----
// mean and biased variance over the N * L values (two passes), invstd = 1 / sqrt(var + eps); with
// update_mean / update_var the running statistics move by momentum toward the mean and the unbiased variance.
template<typename T>
__global__ void bn_stats(const T* __restrict__ x, T* __restrict__ mean, T* __restrict__ invstd,
                         T* __restrict__ rmean, T* __restrict__ rvar, long long N, long long C, long long L,
                         T eps, T momentum, int update_mean, int update_var) {
    __shared__ T buf[32];
    const long long c = blockIdx.x, M = N * L;
    T s = 0;
    for (long long i = threadIdx.x; i < M; i += blockDim.x) {
        const long long n = i / L;
        s += x[(n * C + c) * L + (i - n * L)];
    }
    const T mu = block_reduce<T, false>(s, buf) / (T)M;
    T s2 = 0;
    for (long long i = threadIdx.x; i < M; i += blockDim.x) {
        const long long n = i / L;
        const T d = x[(n * C + c) * L + (i - n * L)] - mu;
        s2 += d * d;
    }
    const T var = block_reduce<T, false>(s2, buf) / (T)M;
    if (threadIdx.x == 0) {
        mean[c] = mu;
        invstd[c] = (T)1 / sqrt(var + eps);
        if (update_mean) rmean[c] = momentum * mu + ((T)1 - momentum) * rmean[c];
        if (update_var) rvar[c] = momentum * (var * (T)M / (T)(M - 1)) + ((T)1 - momentum) * rvar[c];
    }
}

// y = (x - mean[c]) * (invstd[c] * w[c]) + b[c] over all n elements, c = (i / L) % C.
template<typename T>
__global__ void bn_apply(const T* __restrict__ x, const T* __restrict__ mean, const T* __restrict__ invstd,
                         const T* __restrict__ w, const T* __restrict__ b, T* __restrict__ y, long long n,
                         long long C, long long L, int has_w, int has_b) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        const long long c = (i / L) % C;
        const T a = has_w ? invstd[c] * w[c] : invstd[c];
        const T v = (x[i] - mean[c]) * a;
        y[i] = has_b ? v + b[c] : v;
    }
}

// Per channel (one block each): sg = sum dy, sgxc = sum dy * (x - mean); dw = sgxc * invstd when want_dw.
template<typename T>
__global__ void bn_bwd_reduce(const T* __restrict__ dy, const T* __restrict__ x, const T* __restrict__ mean,
                              const T* __restrict__ invstd, T* __restrict__ sg, T* __restrict__ sgxc,
                              T* __restrict__ dw, long long N, long long C, long long L, int want_dw) {
    __shared__ T buf[32];
    const long long c = blockIdx.x, M = N * L;
    const T mu = mean[c];
    T a = 0, b = 0;
    for (long long i = threadIdx.x; i < M; i += blockDim.x) {
        const long long n = i / L, j = (n * C + c) * L + (i - n * L);
        const T g = dy[j];
        a += g;
        b += g * (x[j] - mu);
    }
    a = block_reduce<T, false>(a, buf);
    b = block_reduce<T, false>(b, buf);
    if (threadIdx.x == 0) {
        sg[c] = a;
        sgxc[c] = b;
        if (want_dw) dw[c] = b * invstd[c];
    }
}

// dx = w invstd (dy - sg / M - (x - mean) invstd^2 sgxc / M) in training, w invstd dy in evaluation.
template<typename T>
__global__ void bn_bwd_x(const T* __restrict__ dy, const T* __restrict__ x, const T* __restrict__ mean,
                         const T* __restrict__ invstd, const T* __restrict__ w, const T* __restrict__ sg,
                         const T* __restrict__ sgxc, T* __restrict__ dx, long long n, long long C, long long L,
                         long long M, int has_w, int train) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        const long long c = (i / L) % C;
        const T r = invstd[c];
        const T a = has_w ? r * w[c] : r;
        if (train) {
            const T inv_m = (T)1 / (T)M;
            const T k = (x[i] - mean[c]) * (r * r * sgxc[c] * inv_m) + sg[c] * inv_m;
            dx[i] = (dy[i] - k) * a;
        } else {
            dx[i] = dy[i] * a;
        }
    }
}

// ---- 2-d max pooling over (planes, H, W): torch's rule, a NaN wins and a later NaN takes the index ----
template<typename T>
__global__ void maxpool2d_fwd(const T* __restrict__ x, T* __restrict__ y, long long* __restrict__ idx,
                              long long total, int H, int W, int Ho, int Wo, int kh, int kw, int sh, int sw,
                              int ph, int pw, int dh, int dw) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
        const int ow = (int)(i % Wo);
        const long long t = i / Wo;
        const int oh = (int)(t % Ho);
        const long long plane = t / Ho;
        int hs = oh * sh - ph, ws = ow * sw - pw;
        const int he = min(hs + (kh - 1) * dh + 1, H), we = min(ws + (kw - 1) * dw + 1, W);
        while (hs < 0) hs += dh;
        while (ws < 0) ws += dw;
        const T* p = x + plane * H * W;
        long long bi = (long long)hs * W + ws;
        T best = neg_inf<T>();
        for (int ih = hs; ih < he; ih += dh)
            for (int iw = ws; iw < we; iw += dw) {
                const T v = p[ih * W + iw];
                if (v > best || v != v) { best = v; bi = (long long)ih * W + iw; }
            }
        y[i] = best;
        idx[i] = bi;
    }
}

// dx (zeroed by the caller) += dy at each window's index; atomics, as windows may overlap.
template<typename T>
__global__ void maxpool2d_bwd(const T* __restrict__ dy, const long long* __restrict__ idx, T* __restrict__ dx,
                              long long total, long long HW, long long HoWo) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
        atomicAdd(dx + (i / HoWo) * HW + idx[i], dy[i]);
}
// ---- im2col / col2im for a 2-d convolution (1-d as H = 1) ----
// Columns in (C, kh, kw, N, Ho, Wo) order, or (N, C, kh, kw, Ho, Wo) with batch_first; zero where the kernel
// reads padding. x is (N, C, H, W).
template<typename T>
__global__ void im2col2d(const T* __restrict__ x, T* __restrict__ cols, long long N, long long C, int H, int W,
                         int kh, int kw, int Ho, int Wo, int sh, int sw, int ph, int pw, int dh, int dw,
                         int batch_first) {
    const long long total = N * C * kh * kw * Ho * Wo;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
        long long t = i;
        const int ow = (int)(t % Wo); t /= Wo;
        const int oh = (int)(t % Ho); t /= Ho;
        long long n, c;
        int ki, kj;
        if (batch_first) {
            kj = (int)(t % kw); t /= kw;
            ki = (int)(t % kh); t /= kh;
            c = t % C;
            n = t / C;
        } else {
            n = t % N; t /= N;
            kj = (int)(t % kw); t /= kw;
            ki = (int)(t % kh);
            c = t / kh;
        }
        const int ih = oh * sh - ph + ki * dh, iw = ow * sw - pw + kj * dw;
        cols[i] = (ih >= 0 && ih < H && iw >= 0 && iw < W) ? x[((n * C + c) * H + ih) * W + iw] : (T)0;
    }
}

// The adjoint: x[n, c, ih, iw] = the sum of the columns that read it, in kernel-offset order (no atomics).
template<typename T>
__global__ void col2im2d(const T* __restrict__ cols, T* __restrict__ x, long long N, long long C, int H, int W,
                         int kh, int kw, int Ho, int Wo, int sh, int sw, int ph, int pw, int dh, int dw,
                         int batch_first) {
    const long long total = N * C * H * W;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
        long long t = i;
        const int iw = (int)(t % W); t /= W;
        const int ih = (int)(t % H); t /= H;
        const long long c = t % C, n = t / C;
        T s = 0;
        for (int ki = 0; ki < kh; ++ki) {
            const int a = ih + ph - ki * dh;
            if (a < 0 || a % sh) continue;
            const int oh = a / sh;
            if (oh >= Ho) continue;
            for (int kj = 0; kj < kw; ++kj) {
                const int b = iw + pw - kj * dw;
                if (b < 0 || b % sw) continue;
                const int ow = b / sw;
                if (ow >= Wo) continue;
                const long long k = (long long)ki * kw + kj;
                const long long j = batch_first ? (((n * C + c) * kh * kw + k) * Ho + oh) * Wo + ow
                                                : (((c * kh * kw + k) * N + n) * Ho + oh) * Wo + ow;
                s += cols[j];
            }
        }
        x[i] = s;
    }
}
// ---- random numbers: word j of the Philox4x32-10 stream of `seed` (ember/_philox.py draws the same words) ----
__device__ __forceinline__ unsigned int philox_word(unsigned long long seed, unsigned long long j) {
    const unsigned long long blk = j >> 2;
    unsigned int c0 = (unsigned int)blk, c1 = (unsigned int)(blk >> 32), c2 = 0u, c3 = 0u;
    unsigned int k0 = (unsigned int)seed, k1 = (unsigned int)(seed >> 32);
    for (int r = 0; r < 10; ++r) {
        if (r) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        const unsigned long long p0 = 0xD2511F53ull * c0, p1 = 0xCD9E8D57ull * c2;
        const unsigned int n0 = (unsigned int)(p1 >> 32) ^ c1 ^ k0, n2 = (unsigned int)(p0 >> 32) ^ c3 ^ k1;
        c1 = (unsigned int)p1;
        c3 = (unsigned int)p0;
        c0 = n0;
        c2 = n2;
    }
    const unsigned int lane = (unsigned int)(j & 3);
    return lane == 0 ? c0 : (lane == 1 ? c1 : (lane == 2 ? c2 : c3));
}

// A uniform [0, 1) double from the low 24 bits of word j (float samples), or from the low 53 bits of the
// 64-bit value word j (high) : word j + 1 (double samples), as the generator's host side makes them.
__device__ __forceinline__ double unit24(unsigned long long seed, unsigned long long j) {
    return (double)(philox_word(seed, j) & 0xFFFFFFu) * 5.9604644775390625e-08;
}
__device__ __forceinline__ double unit53(unsigned long long seed, unsigned long long j) {
    const unsigned long long w = ((unsigned long long)philox_word(seed, j) << 32) | philox_word(seed, j + 1);
    return (double)(w & 0x1FFFFFFFFFFFFFull) * 1.1102230246251565e-16;
}

// out[i] = u * span + low in double (two roundings, as on the host), u from words offset + i (float) or
// offset + 2i, offset + 2i + 1 (double).
template<typename T>
__global__ void rng_uniform(T* __restrict__ out, long long n, unsigned long long seed, unsigned long long offset,
                            double low, double span) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        const double u = sizeof(T) == 8 ? unit53(seed, offset + 2 * (unsigned long long)i)
                                        : unit24(seed, offset + (unsigned long long)i);
        out[i] = (T)__dadd_rn(__dmul_rn(u, span), low);
    }
}

// Box-Muller in pairs: pair k takes u1, u2 (words 2k, 2k + 1 for float, 4k .. 4k + 3 for double) and gives
// out[2k] = r cos(2 pi u2) * std + mean, out[2k + 1] = r sin(2 pi u2) * std + mean, r = sqrt(-2 log(1 - u1)).
template<typename T>
__global__ void rng_normal(T* __restrict__ out, long long n, unsigned long long seed, unsigned long long offset,
                           double mean, double std) {
    const long long pairs = (n + 1) / 2;
    for (long long k = (long long)blockIdx.x * blockDim.x + threadIdx.x; k < pairs; k += (long long)gridDim.x * blockDim.x) {
        const unsigned long long j = (unsigned long long)k;
        double u1, u2;
        if (sizeof(T) == 8) {
            u1 = unit53(seed, offset + 4 * j);
            u2 = unit53(seed, offset + 4 * j + 2);
        } else {
            u1 = unit24(seed, offset + 2 * j);
            u2 = unit24(seed, offset + 2 * j + 1);
        }
        const double r = sqrt(-2.0 * log1p(-u1));
        const double theta = 6.283185307179586 * u2;
        out[2 * k] = (T)__dadd_rn(__dmul_rn(__dmul_rn(r, cos(theta)), std), mean);
        if (2 * k + 1 < n) out[2 * k + 1] = (T)__dadd_rn(__dmul_rn(__dmul_rn(r, sin(theta)), std), mean);
    }
}

// out[i] = scale where u < p, else 0; u from 53 bits (wide, two words each) or 24 bits (one word).
template<typename T>
__global__ void rng_bernoulli(T* __restrict__ out, long long n, unsigned long long seed, unsigned long long offset,
                              double p, T scale, int wide) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        const double u = wide ? unit53(seed, offset + 2 * (unsigned long long)i)
                              : unit24(seed, offset + (unsigned long long)i);
        out[i] = u < p ? scale : (T)0;
    }
}
// ---- embedding: out[i, :] = w[idx[i], :]; an index outside [0, V) sets *bad (and gives a zero row) ----
template<typename T>
__global__ void embed_fwd(const T* __restrict__ w, const long long* __restrict__ idx, T* __restrict__ out,
                          long long n, long long D, long long V, int* __restrict__ bad) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n * D; i += (long long)gridDim.x * blockDim.x) {
        const long long r = idx[i / D];
        if (r < 0 || r >= V) {
            atomicOr(bad, 1);
            out[i] = (T)0;
        } else {
            out[i] = w[r * D + i % D];
        }
    }
}

// dw (zeroed by the caller) += g's rows at their indices (atomics: indices repeat).
template<typename T>
__global__ void embed_bwd(const T* __restrict__ g, const long long* __restrict__ idx, T* __restrict__ dw,
                          long long n, long long D) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n * D; i += (long long)gridDim.x * blockDim.x)
        atomicAdd(dw + idx[i / D] * D + i % D, g[i]);
}
// ---- GradScaler: every gradient in gtab (addresses; tab: their element counts) times inv_scale in place,
// found_inf set to 1 where one holds an inf or NaN (torch's _amp_foreach_non_finite_check_and_unscale_) ----
template<typename T>
__global__ void amp_unscale(const long long* __restrict__ tab, const long long* __restrict__ gtab,
                            const long long* __restrict__ chunks, long long nchunks, long long ntensors, long long chunk,
                            const float* __restrict__ inv_scale, float* __restrict__ found_inf) {
    const float inv = *inv_scale;
    for (long long c = blockIdx.x; c < nchunks; c += gridDim.x) {
        long long start, end;
        T* g = (T*)gtab[chunk_of(tab, chunks, ntensors, 0, chunk, c, start, end)];
        for (long long i = start + threadIdx.x; i < end; i += blockDim.x) {
            const T v = g[i];
            if (!isfinite(v)) *found_inf = 1.f;
            g[i] = inv == 1.f ? v : v * (T)inv;
        }
    }
}

// torch's _amp_update_scale_, one thread: back off after an inf, grow after `interval` clean steps.
template<typename T>
__global__ void amp_update_scale(T* __restrict__ scale, int* __restrict__ growth_tracker,
                                 const float* __restrict__ found_inf, double growth, double backoff, int interval) {
    if (*found_inf != 0.f) {
        *scale = (T)((double)*scale * backoff);
        *growth_tracker = 0;
    } else {
        const int successful = *growth_tracker + 1;
        if (successful == interval) {
            const T grown = (T)((double)*scale * growth);
            if (isfinite(grown)) *scale = grown;
            *growth_tracker = 0;
        } else {
            *growth_tracker = successful;
        }
    }
}
// ---- SGD (momentum, dampening, Nesterov, weight decay, maximize), torch's single-tensor op order, all of a
// group's parameters in one launch: tab rows are the parameters, momentum buffers (the parameter's when
// unused), then the element counts; gtab the gradients. first: the buffers are new and take the gradient. ----
template<typename T>
__global__ void sgd_multi(const long long* __restrict__ tab, const long long* __restrict__ gtab,
                          const long long* __restrict__ chunks, long long nchunks, long long ntensors, long long chunk,
                          T lr, T momentum, T one_minus_dampening, T wd, int dampened, int nesterov, int maximize,
                          int first) {
    for (long long c = blockIdx.x; c < nchunks; c += gridDim.x) {
        long long start, end;
        const long long t = chunk_of(tab, chunks, ntensors, 2, chunk, c, start, end);
        T* w = (T*)tab[t];
        const T* grad = (const T*)gtab[t];
        T* buf = (T*)tab[ntensors + t];
        for (long long i = start + threadIdx.x; i < end; i += blockDim.x) {
            T g = grad[i];
            if (maximize) g = -g;
            if (wd != (T)0) g = g + wd * w[i];
            if (momentum != (T)0) {
                T b;
                if (first) {
                    b = g;
                } else {
                    b = buf[i] * momentum;
                    b = b + (dampened ? one_minus_dampening * g : g);
                }
                buf[i] = b;
                g = nesterov ? g + momentum * b : b;
            }
            w[i] = w[i] - lr * g;
        }
    }
}
// ---- the small kernels of linear layers (one launch where CuPy's ufuncs and reductions take two or more) ----

// Column sums of x (rows, n) over the rows of chunk blockIdx.y, to out[blockIdx.y, col]; block (32, 16).
template<typename T>
__global__ void col_sum(const T* __restrict__ x, T* __restrict__ out, long long rows, long long n, long long chunk) {
    __shared__ T s[16][33];
    const long long col = (long long)blockIdx.x * 32 + threadIdx.x;
    const long long r0 = (long long)blockIdx.y * chunk;
    const long long r1 = min(rows, r0 + chunk);
    T a = 0;
    if (col < n)
        for (long long r = r0 + threadIdx.y; r < r1; r += 16) a += x[r * n + col];
    s[threadIdx.y][threadIdx.x] = a;
    __syncthreads();
    if (threadIdx.y == 0 && col < n) {
        for (int k = 1; k < 16; ++k) a += s[k][threadIdx.x];
        out[(long long)blockIdx.y * n + col] = a;
    }
}

// y (rows, n) += b (n) on every row, in place.
template<typename T>
__global__ void add_bias(T* __restrict__ y, const T* __restrict__ b, long long total, long long n) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
        y[i] += b[i % n];
}

// relu: y = x where x > 0 or x is NaN, else 0. relu_bwd (torch's threshold_backward on the output r):
// dx = 0 where r <= 0, else g.
template<typename T>
__global__ void relu_fwd(const T* __restrict__ x, T* __restrict__ y, long long total) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
        const T v = x[i];
        y[i] = (v > (T)0 || v != v) ? v : (T)0;
    }
}

template<typename T>
__global__ void relu_bwd(const T* __restrict__ g, const T* __restrict__ r, T* __restrict__ dx, long long total) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
        dx[i] = r[i] <= (T)0 ? (T)0 : g[i];
}

// out = a + b elementwise (same shape, both contiguous): residual sums and gradient accumulation.
template<typename T>
__global__ void add2(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ out, long long total) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
        out[i] = a[i] + b[i];
}

// The packed in-projection's rows p (R, 3E) (+ its bias b (3E) when has_b) split into q, k, v: out (3, R, E).
template<typename T>
__global__ void qkv_split(const T* __restrict__ p, const T* __restrict__ b, T* __restrict__ out, long long R,
                          long long E, int has_b) {
    const long long RE = R * E;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < 3 * RE; i += (long long)gridDim.x * blockDim.x) {
        const long long j = i / RE, rem = i - j * RE, r = rem / E, c = j * E + (rem - r * E);
        out[i] = has_b ? p[r * 3 * E + c] + b[c] : p[r * 3 * E + c];
    }
}

// Its adjoint: d (3, R, E) -> out (R, 3E).
template<typename T>
__global__ void qkv_merge(const T* __restrict__ d, T* __restrict__ out, long long R, long long E) {
    const long long RE = R * E;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < 3 * RE; i += (long long)gridDim.x * blockDim.x) {
        const long long r = i / (3 * E), c = i - r * 3 * E, j = c / E;
        out[i] = d[j * RE + r * E + (c - j * E)];
    }
}
"""

_NAMES = [
    f"{k}<{t}>"
    for t in ("float", "double")
    for k in (
        "ln_fwd",
        "ln_bwd_x",
        "ln_bwd_wb",
        "ce_fwd",
        "ce_reduce",
        "ce_bwd",
        "gelu_fwd",
        "adam_multi",
        "safe_softmax",
        "bn_stats",
        "bn_apply",
        "bn_bwd_reduce",
        "bn_bwd_x",
        "maxpool2d_fwd",
        "maxpool2d_bwd",
        "im2col2d",
        "col2im2d",
        "rng_uniform",
        "rng_normal",
        "rng_bernoulli",
        "embed_fwd",
        "embed_bwd",
        "amp_unscale",
        "amp_update_scale",
        "sgd_multi",
        "col_sum",
        "add_bias",
        "relu_fwd",
        "relu_bwd",
        "qkv_split",
        "qkv_merge",
        "add2",
    )
] + [f"{k}<{t}, {b}>" for t in ("float", "double") for k in ("softmax_fwd", "softmax_bwd") for b in ("false", "true")]

_modules = {}  # device id -> RawModule
_has_api = None


def usable(a):
    """True when the fused kernels can run on array `a` (a CuPy float32/float64 array)."""
    global _has_api
    if not ENABLED or type(a) is np.ndarray:
        return False
    if _has_api is None:
        _has_api = isinstance(getattr(cupy(), "RawModule", None), type)
    return _has_api and a.dtype in _CTYPE


_kernels = {}  # (device id, name, dtype, flags) -> kernel


def _fn(name, dtype, *flags):
    """The kernel `name<ctype, flags...>` on the current device (the module compiled on first use)."""
    cp = cupy()
    key = (cp.cuda.runtime.getDevice(), name, dtype, flags)
    k = _kernels.get(key)
    if k is None:
        mod = _modules.get(key[0])
        if mod is None:
            mod = _modules[key[0]] = cp.RawModule(code=_SOURCE, options=("-std=c++14",), name_expressions=_NAMES)
        k = _kernels[key] = mod.get_function(f"{name}<{', '.join([_CTYPE[np.dtype(dtype)], *flags])}>")
    return k


def _empty(shape, dtype):
    """An uninitialised C-contiguous device array: CuPy's ndarray constructor directly (cupy.empty is a Python
    wrapper around it and empty_like works out an order and strides; each costs host time on every launch)."""
    return cupy().ndarray(shape, dtype)


def _row_threads(n):
    t = 32
    while t < n and t < 1024:
        t *= 2
    return t


def _flat_blocks(n, threads=256):
    return max(1, min((n + threads - 1) // threads, 8192))


def _flat(name, dtype, n, *args):
    """Launch grid-stride kernel `name<dtype>` over n items (nothing when n is 0)."""
    if n:
        _fn(name, dtype)((_flat_blocks(n),), (256,), args)


# -- linear layers ---------------------------------------------------------------------------------------

_COL_SUM_ONE_PASS = 1 << 21  # elements up to which one block column reads all the rows (one launch)
_COL_SUM_MIN_CHUNK = 1024  # rows at least in each chunk of partial sums past that


def col_sum(x2):
    """The column sums (n,) of the contiguous 2-D array x2 (rows, n): a bias gradient. One launch; two for
    large arrays (partial sums over row chunks, then their sum)."""
    rows, n = x2.shape
    dt = x2.dtype
    out = _empty(n, dt)
    if n == 0:
        return out
    if rows == 0:
        out.fill(0)
        return out
    cols = (n + 31) // 32
    parts = (
        1 if rows * n <= _COL_SUM_ONE_PASS else max(1, min(64, rows // _COL_SUM_MIN_CHUNK, (256 + cols - 1) // cols))
    )
    chunk = (rows + parts - 1) // parts
    part = out if parts == 1 else _empty(parts * n, dt)
    k = _fn("col_sum", dt)
    k((cols, parts), (32, 16), (x2, part, np.int64(rows), np.int64(n), np.int64(chunk)))
    if parts > 1:
        k((cols, 1), (32, 16), (part, out, np.int64(parts), np.int64(n), np.int64(parts)))
    return out


def add_bias_(y, b):
    """y (contiguous, last axis of b's length) += b on every row, in place."""
    _flat("add_bias", y.dtype, y.size, y, b, np.int64(y.size), np.int64(b.size))
    return y


def relu(x):
    """relu of the contiguous array x (a NaN passes)."""
    y = _empty(x.shape, x.dtype)
    _flat("relu_fwd", x.dtype, x.size, x, y, np.int64(x.size))
    return y


def relu_bwd(g, r):
    """torch's threshold_backward(g, r, 0): 0 where the relu output r is <= 0, else g (both contiguous)."""
    dx = _empty(r.shape, r.dtype)
    _flat("relu_bwd", r.dtype, r.size, g, r, dx, np.int64(r.size))
    return dx


def add_same(x, y):
    """x + y for two CuPy arrays (the caller checked) when both are contiguous, of one shape and float dtype:
    one launch (CuPy's ufunc costs about twice the host time); None otherwise."""
    if (
        y.dtype != x.dtype
        or y.shape != x.shape
        or not usable(x)
        or not x.flags.c_contiguous
        or not y.flags.c_contiguous
    ):
        return None
    out = _empty(x.shape, x.dtype)
    _flat("add2", x.dtype, x.size, x, y, out, np.int64(x.size))
    return out


def qkv_split(p, b, out):
    """The packed in-projection's rows p (R, 3E), plus its bias b (3E) or None, into out (3, R, E): q, k, v."""
    R, E3 = p.shape
    _flat(
        "qkv_split",
        p.dtype,
        p.size,
        p,
        p if b is None else b,
        out,
        np.int64(R),
        np.int64(E3 // 3),
        np.int32(b is not None),
    )
    return out


def qkv_merge(d):
    """The adjoint of qkv_split: d (3, R, E) contiguous -> (R, 3E)."""
    _, R, E = d.shape
    out = _empty((R, 3 * E), d.dtype)
    _flat("qkv_merge", d.dtype, d.size, d, out, np.int64(R), np.int64(E))
    return out


# -- layer norm ------------------------------------------------------------------------------------------


def layer_norm_fwd(x, w, b, n, eps):
    """x as (rows, n) contiguous; w and b of n elements or None. Returns (y, mean, rstd), mean/rstd (rows,)."""
    dt = x.dtype
    rows = x.size // n
    y = _empty(x.shape, x.dtype)
    mean = _empty(rows, dt)
    rstd = _empty(rows, dt)
    if rows:
        _fn("ln_fwd", dt)(
            (rows,),
            (_row_threads(n),),
            (
                x,
                x if w is None else w,
                x if b is None else b,
                y,
                mean,
                rstd,
                np.int64(n),
                dt.type(eps),
                np.int32(w is not None),
                np.int32(b is not None),
            ),
        )
    return y, mean, rstd


def layer_norm_bwd(dy, x, w, mean, rstd, n, need_x, need_w, need_b):
    """Gradients (dx, dw, db) of layer_norm_fwd for the flags given (None for the others)."""
    dt = x.dtype
    rows = x.size // n
    dx = dw = db = None
    if need_x:
        dx = _empty(x.shape, x.dtype)
        if rows:
            _fn("ln_bwd_x", dt)(
                (rows,),
                (_row_threads(n),),
                (dy, x, x if w is None else w, mean, rstd, dx, np.int64(n), np.int32(w is not None)),
            )
    if need_w or need_b:
        # row chunks enough for the GPU's width (about _LN_WB_BLOCKS blocks of at least 32 rows each); one launch
        # either way (the last block of each column tile adds the chunks' partial sums)
        tiles = (n + 31) // 32
        parts = max(1, min(_LN_WB_BLOCKS // tiles, rows // 32, 128))
        chunk = (rows + parts - 1) // parts if rows else 1
        parts = (rows + chunk - 1) // chunk if rows else 1
        # two arrays of their own (a view would cost the engine a copy when it becomes .grad)
        gw, gb = _empty(n, dt), _empty(n, dt)
        part = gw if parts == 1 else _empty(2 * parts * n, dt)
        if tiles:
            _fn("ln_bwd_wb", dt)(
                (tiles, parts),
                (32, 8),
                (dy, x, mean, rstd, part, gw, gb, _ln_wb_counters(tiles), np.int64(rows), np.int64(n), np.int64(chunk)),
            )
        if need_w:
            dw = gw
        if need_b:
            db = gb
    return dx, dw, db


_LN_WB_BLOCKS = 512  # blocks a layer norm's weight/bias gradient aims at (an H100/H200 has 132 SMs)
_counters = {}  # (device, stream) -> int32 zeros that ln_bwd_wb counts finished blocks in (and resets)


def _ln_wb_counters(tiles):
    """Zeroed int32 counters, at least `tiles` of them, for ln_bwd_wb on the current device and stream. One set
    per stream: launches on one stream run in order, so each finds them reset by the one before."""
    cp = cupy()
    key = (cp.cuda.runtime.getDevice(), cp.cuda.get_current_stream().ptr)
    c = _counters.get(key)
    if c is None or c.size < tiles:
        if len(_counters) >= 64:  # streams come and go
            _counters.clear()
        c = _counters[key] = cp.zeros(max(tiles, 64), np.int32)
    return c


# -- softmax ---------------------------------------------------------------------------------------------


def softmax_fwd(x, log):
    """softmax (log=False) or log_softmax over the last axis of the contiguous array x."""
    y = _empty(x.shape, x.dtype)
    n = x.shape[-1]
    if x.size:
        _fn("softmax_fwd", x.dtype, "true" if log else "false")((x.size // n,), (_row_threads(n),), (x, y, np.int64(n)))
    return y


def softmax_bwd(dy, y, log, scale=1.0):
    """The input gradient of softmax (log=False) or log_softmax over the last axis, times scale (attention's
    backward folds its score scale in). dy and y contiguous."""
    dx = _empty(y.shape, y.dtype)
    n = y.shape[-1]
    if y.size:
        _fn("softmax_bwd", y.dtype, "true" if log else "false")(
            (y.size // n,), (_row_threads(n),), (dy, y, dx, np.int64(n), y.dtype.type(scale))
        )
    return dx


def safe_softmax_(x, scale=1.0, causal_len=0):
    """Attention's softmax over the last axis of the contiguous array x (times scale; causal: the rows' query
    count, masking the columns past each row's query index), in place: returns (x, dead) with dead a bool
    array shaped x.shape[:-1] + (1,), True on rows whose max was not finite (all -inf rows give 0). No
    synchronisation."""
    n = x.shape[-1]
    dead = _empty(x.shape[:-1] + (1,), np.uint8)
    _fn("safe_softmax", x.dtype)(
        (x.size // n,), (_row_threads(n),), (x, x, dead, np.int64(n), x.dtype.type(scale), np.int64(causal_len))
    )
    return x, dead.view(np.bool_)


# -- cross entropy ---------------------------------------------------------------------------------------

_MODES = {"none": 0, "sum": 1, "mean": 2}


def cross_entropy_fwd(x, target, ignore_index, reduction):
    """x (m, C) contiguous, target (m,) int64. Returns (loss, lse, count, first bad row or None)."""
    cp = cupy()
    dt = x.dtype
    m, C = x.shape
    nll = _empty(m, dt)
    lse = _empty(m, dt)
    count = cp.zeros(1, np.int32)
    badrow = cp.full(1, m, np.int64)
    _fn("ce_fwd", dt)(
        (m,), (_row_threads(C),), (x, target, nll, lse, count, badrow, np.int64(C), np.int64(ignore_index))
    )
    bad = int(badrow.get()[0])  # the one synchronisation: bad targets raise here, as on the CPU
    mode = _MODES[reduction]
    if mode == 0:
        loss = nll
    else:
        loss = _empty((), dt)
        _fn("ce_reduce", dt)((1,), (_row_threads(min(m, 1024)),), (nll, count, loss, np.int64(m), np.int32(mode)))
    return loss, lse, count, (bad if bad < m else None)


def cross_entropy_bwd(g, x, lse, target, count, ignore_index, reduction):
    cp = cupy()
    m, C = x.shape
    dx = _empty(x.shape, x.dtype)
    g = cp.ascontiguousarray(g, dtype=x.dtype)
    _fn("ce_bwd", x.dtype)(
        (m,),
        (_row_threads(C),),
        (x, lse, target, g, count, dx, np.int64(C), np.int64(ignore_index), np.int32(_MODES[reduction])),
    )
    return dx


# -- gelu ------------------------------------------------------------------------------------------------


def gelu_fwd(x, approximate, want_grad):
    """(gelu(x), d gelu / dx or None) for a contiguous array x."""
    y = _empty(x.shape, x.dtype)
    dg = _empty(x.shape, x.dtype) if want_grad else y
    n = x.size
    _flat("gelu_fwd", x.dtype, n, x, y, dg, np.int64(n), np.int32(approximate == "tanh"), np.int32(want_grad))
    return y, (dg if want_grad else None)


# -- batch norm ------------------------------------------------------------------------------------------


def batch_norm_stats(x3, eps, momentum, rmean, rvar):
    """x3 (N, C, L) contiguous. Returns (mean, invstd), each (C,); running stats rmean/rvar (C arrays or None)
    are updated in place."""
    dt = x3.dtype
    N, C, L = x3.shape
    mean = _empty(C, dt)
    invstd = _empty(C, dt)
    _fn("bn_stats", dt)(
        (C,),
        (_row_threads(N * L),),
        (
            x3,
            mean,
            invstd,
            mean if rmean is None else rmean,
            invstd if rvar is None else rvar,
            np.int64(N),
            np.int64(C),
            np.int64(L),
            dt.type(eps),
            dt.type(momentum),
            np.int32(rmean is not None),
            np.int32(rvar is not None),
        ),
    )
    return mean, invstd


def batch_norm_apply(x3, mean, invstd, w, b):
    """y = (x - mean) * invstd * w + b per channel of x3 (N, C, L)."""
    y = _empty(x3.shape, x3.dtype)
    n = x3.size
    _, C, L = x3.shape
    bw = (mean if w is None else w, mean if b is None else b)
    _flat(
        "bn_apply",
        x3.dtype,
        n,
        x3,
        mean,
        invstd,
        *bw,
        y,
        np.int64(n),
        np.int64(C),
        np.int64(L),
        np.int32(w is not None),
        np.int32(b is not None),
    )
    return y


def batch_norm_bwd(g3, x3, mean, invstd, w, train, need_x, need_w, need_b):
    """Gradients (dx, dw, db) of batch norm on (N, C, L) for the flags given (None for the others)."""
    dt = x3.dtype
    N, C, L = x3.shape
    dx = dw = None
    sg = _empty(C, dt)
    sgxc = _empty(C, dt)
    if need_w:
        dw = _empty(C, dt)
    if need_w or need_b or (need_x and train):
        _fn("bn_bwd_reduce", dt)(
            (C,),
            (_row_threads(N * L),),
            (
                g3,
                x3,
                mean,
                invstd,
                sg,
                sgxc,
                sg if dw is None else dw,
                np.int64(N),
                np.int64(C),
                np.int64(L),
                np.int32(need_w),
            ),
        )
    if need_x:
        dx = _empty(x3.shape, x3.dtype)
        n = x3.size
        _flat(
            "bn_bwd_x",
            dt,
            n,
            g3,
            x3,
            mean,
            invstd,
            mean if w is None else w,
            sg,
            sgxc,
            dx,
            np.int64(n),
            np.int64(C),
            np.int64(L),
            np.int64(N * L),
            np.int32(w is not None),
            np.int32(train),
        )
    return dx, dw, (sg if need_b else None)


# -- max pooling -----------------------------------------------------------------------------------------


def max_pool2d_fwd(x4, out, K, st, pad, dil):
    """x4 (N, C, H, W) contiguous. Returns (y, idx): the window maxima and torch's indices (int64, flat within
    each plane), both (N, C, Ho, Wo)."""
    N, C, H, W = x4.shape
    Ho, Wo = out
    y = _empty((N, C, Ho, Wo), x4.dtype)
    idx = _empty((N, C, Ho, Wo), np.int64)
    geometry = (H, W, Ho, Wo, K[0], K[1], st[0], st[1], pad[0], pad[1], dil[0], dil[1])
    _flat("maxpool2d_fwd", x4.dtype, y.size, x4, y, idx, np.int64(y.size), *(np.int32(v) for v in geometry))
    return y, idx


def max_pool2d_bwd(g, idx, S):
    """dx of a 2-d max pool: g and idx (N, C, Ho, Wo) contiguous, S = (H, W)."""
    cp = cupy()
    N, C, Ho, Wo = g.shape
    dx = cp.zeros((N, C) + tuple(S), g.dtype)
    _flat("maxpool2d_bwd", g.dtype, g.size, g, idx, dx, np.int64(g.size), np.int64(S[0] * S[1]), np.int64(Ho * Wo))
    return dx


# -- convolution columns ---------------------------------------------------------------------------------


def _geometry(sp):
    """(H, W, kh, kw, Ho, Wo, sh, sw, ph, pw, dh, dw) of a 1-d or 2-d convolution (1-d as H = 1) as int32."""

    def lift(v, fill):
        return (fill,) * (2 - sp.nd) + tuple(v)

    dims = lift(sp.S, 1) + lift(sp.K, 1) + lift(sp.out, 1) + lift(sp.stride, 1) + lift(sp.lo, 0) + lift(sp.dil, 1)
    return tuple(np.int32(v) for v in dims)


def im2col(x, sp, batch_first):
    """x (N, C, *S) contiguous, 1-d or 2-d -> columns (C, *K, N, *out), or (N, C, *K, *out) batch_first."""
    N, C = x.shape[:2]
    shape = ((N, C) + tuple(sp.K) + tuple(sp.out)) if batch_first else ((C,) + tuple(sp.K) + (N,) + tuple(sp.out))
    cols = _empty(shape, x.dtype)
    _flat("im2col2d", x.dtype, cols.size, x, cols, np.int64(N), np.int64(C), *_geometry(sp), np.int32(batch_first))
    return cols


def col2im(cols, N, C, sp, batch_first):
    """The adjoint of im2col: contiguous columns in im2col's layout -> (N, C, *S)."""
    x = _empty((N, C) + tuple(sp.S), cols.dtype)
    _flat("col2im2d", cols.dtype, x.size, cols, x, np.int64(N), np.int64(C), *_geometry(sp), np.int32(batch_first))
    return x


# -- random numbers (the CUDA generator's stream: ember/_philox.py) --------------------------------------


def rng_words(kind, n, dtype):
    """How many words of the stream a draw of n samples takes (the generator's offset moves by this)."""
    wide = np.dtype(dtype) == _F64
    if kind == "normal":
        return (4 if wide else 2) * ((n + 1) // 2)
    return 2 * n if wide or kind == "bernoulli" else n  # bernoulli compares 53-bit uniforms with p


def _rng(name, shape, dtype, items, seed, offset, *params):
    """A fresh array of `shape` filled by RNG kernel `name` (one thread per element or pair: `items`)."""
    out = _empty(shape, dtype)
    if out.size:
        _flat(name, out.dtype, items, out, np.int64(out.size), np.uint64(seed), np.uint64(offset), *params)
    return out


def rng_uniform(shape, dtype, seed, offset, low, span):
    n = math.prod(shape)
    return _rng("rng_uniform", shape, dtype, n, seed, offset, np.float64(low), np.float64(span))


def rng_normal(shape, dtype, seed, offset, mean, std):
    n = math.prod(shape)
    return _rng("rng_normal", shape, dtype, (n + 1) // 2, seed, offset, np.float64(mean), np.float64(std))


def rng_bernoulli(shape, dtype, seed, offset, p, scale, wide):
    n = math.prod(shape)
    T = np.dtype(dtype).type
    return _rng("rng_bernoulli", shape, dtype, n, seed, offset, np.float64(p), T(scale), np.int32(wide))


# -- embedding -------------------------------------------------------------------------------------------


def embedding_fwd(w, idx):
    """w (V, D) contiguous, idx int64 contiguous. Returns (rows of w at idx, shaped idx.shape + (D,); whether an
    index was out of range: the one device read)."""
    cp = cupy()
    V, D = w.shape
    out = _empty(idx.shape + (D,), w.dtype)
    bad = cp.zeros(1, np.int32)
    _flat("embed_fwd", w.dtype, out.size, w, idx, out, np.int64(idx.size), np.int64(D), np.int64(V), bad)
    return out, bool(bad.get()[0])


def embedding_bwd(g2, idx, num):
    """zeros((num, D)) with row g2[i] added at row idx[i] (g2 (n, D) and idx (n,) contiguous)."""
    cp = cupy()
    n, D = g2.shape
    dw = cp.zeros((num, D), g2.dtype)
    _flat("embed_bwd", g2.dtype, g2.size, g2, idx, dw, np.int64(n), np.int64(D))
    return dw


# -- Adam ------------------------------------------------------------------------------------------------

_CHUNK = 4096  # elements per block of the multi-tensor kernels
_tables = {}  # (device, ids of the arrays of the static rows) -> _Table
UPLOADS = [0]  # table uploads so far (scripts/gpu_probe.py reports them per step)


class _Table:
    """The device side of a multi-tensor launch over one set of tensors. `tab`: the static rows (addresses of
    parameters and optimizer state, which keep their buffers from step to step) then the element counts;
    `chunks`: the (tensor, start) pairs; `gtab`: the gradients' addresses, which move between steps (a new
    gradient each backward) and are uploaded again, alone, only when they do: an asynchronous copy from the
    entry's own page-locked staging buffer (`stage`, reused once `staged` says its last copy is done).
    cupy.asarray of a host array would take a fresh page-locked block from CuPy's pool each time, and while
    the GPU is behind, the previous blocks are still in flight: a new cudaHostAlloc per step."""

    __slots__ = ("arrays", "tab", "chunks", "nchunks", "gptrs", "gtab", "stage", "staged")


def _multi_table(static, grads):
    """The _Table for a launch over tensors with the static rows `static` (lists of arrays, one per tensor;
    may be empty) and gradients `grads`; None when there is nothing to do. Cached by the identity of the static
    arrays, which the entry keeps alive (so an id cannot be reused by another array while cached)."""
    cp = cupy()
    flat = _flat_rows(static)
    dev = cp.cuda.runtime.getDevice()
    key = (dev, "arrays", *map(id, flat)) if flat else (dev, "sizes", *(g.size for g in grads))
    ent = _tables.get(key)
    if ent is None:
        sizes = [a.size for a in (static[0] if flat else grads)]
        chunks = [(t, s) for t, n in enumerate(sizes) for s in range(0, n, _CHUNK)]
        if not chunks:
            return None
        ptrs = [a.data.ptr for a in flat]
        table = cp.asarray(np.array(ptrs + sizes + [x for c in chunks for x in c], np.int64))
        m = len(ptrs) + len(sizes)
        ent = _Table()
        ent.arrays, ent.tab, ent.chunks, ent.nchunks = flat, table[:m], table[m:], len(chunks)
        ent.gptrs = ent.gtab = ent.stage = ent.staged = None
        if len(_tables) >= 8:
            _tables.clear()
        _tables[key] = ent
        UPLOADS[0] += 1
    gptrs = tuple(g.data.ptr for g in grads)
    if gptrs != ent.gptrs:
        n = len(gptrs)
        if ent.stage is None:
            ent.stage = np.frombuffer(cp.cuda.alloc_pinned_memory(8 * n), np.int64, n)
        elif ent.staged is not None:
            ent.staged.synchronize()  # the last copy out of the staging buffer (a step ago) has run
        ent.stage[:] = gptrs
        gtab = _empty(n, np.int64)  # a new buffer: the previous one may still be read by the last launch
        stream = cp.cuda.get_current_stream()
        gtab.set(ent.stage, stream)
        ent.staged = stream.record()
        ent.gtab, ent.gptrs = gtab, gptrs
        UPLOADS[0] += 1
    return ent


def _flat_rows(rows):
    return [a for r in rows for a in r]


def adam_multi(items, *, lr, beta1, beta2, eps, wd, decoupled, step):
    """One Adam/AdamW step of torch's single-tensor algorithm on every parameter in `items`, in place: a list
    of (w, g, m, v, vmax or None), all contiguous of one float dtype on the current device, each g the
    gradient already negated under maximize. One launch for all of them (after a table upload when the set
    of buffers is new)."""
    dt = items[0][0].dtype
    T = dt.type
    nt = len(items)
    amsgrad = items[0][4] is not None
    rows = ([w for w, *_ in items], [it[2] for it in items], [it[3] for it in items])
    if amsgrad:
        rows += ([it[4] for it in items],)
    else:
        rows += (rows[0],)
    ent = _multi_table(rows, [it[1] for it in items])
    if ent is None:
        return
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    _launch_multi(
        "adam_multi",
        dt,
        ent,
        nt,
        (
            T(1 - lr * wd),
            T(wd),
            T(1 - beta1),
            T(beta2),
            T(1 - beta2),
            T(math.sqrt(bias_correction2)),
            T(eps),
            T(lr / bias_correction1),
            np.int32(bool(decoupled and wd != 0)),
            np.int32(amsgrad),
        ),
    )


def _launch_multi(name, dt, ent, ntensors, scalars):
    """A multi-tensor kernel over the table entry `ent`: one block per chunk (up to 65535), then its scalars."""
    args = (ent.tab, ent.gtab, ent.chunks, np.int64(ent.nchunks), np.int64(ntensors), np.int64(_CHUNK), *scalars)
    _fn(name, dt)((min(ent.nchunks, 65535),), (256,), args)


def sgd_multi(items, *, lr, momentum, dampening, wd, nesterov, maximize, first):
    """One SGD step of torch's single-tensor algorithm on every (w, g, buf or None) in `items` (contiguous, one
    float dtype, the current device), in place; `first`: the buffers were just made and take the gradient."""
    dt = items[0][0].dtype
    T = dt.type
    ent = _multi_table(
        ([w for w, _, _ in items], [w if b is None else b for w, _, b in items]), [g for _, g, _ in items]
    )
    if ent is None:
        return
    _launch_multi(
        "sgd_multi",
        dt,
        ent,
        len(items),
        (
            T(lr),
            T(momentum),
            T(1 - dampening),
            T(wd),
            np.int32(bool(dampening)),
            np.int32(bool(nesterov)),
            np.int32(bool(maximize)),
            np.int32(bool(first)),
        ),
    )


# -- GradScaler ------------------------------------------------------------------------------------------


def amp_unscale(grads, inv_scale, found_inf):
    """grads (contiguous arrays of one float dtype on the current device) *= inv_scale in place, found_inf set
    to 1 if one holds an inf or NaN: one launch, no synchronisation. inv_scale, found_inf: float32 0-d."""
    ent = _multi_table((), grads)
    if ent is None:
        return
    _launch_multi("amp_unscale", grads[0].dtype, ent, len(grads), (inv_scale, found_inf))


def amp_update_scale(scale, growth_tracker, found_inf, growth, backoff, interval):
    """torch's _amp_update_scale_ on the device (scale float32, growth_tracker int32, found_inf float32)."""
    _fn("amp_update_scale", scale.dtype)(
        (1,), (1,), (scale, growth_tracker, found_inf, np.float64(growth), np.float64(backoff), np.int32(interval))
    )


class disabled:
    """Within the block the generic CuPy paths run (the composite of a fused op's double backward)."""

    def __enter__(self):
        global ENABLED
        self._prev, ENABLED = ENABLED, False

    def __exit__(self, *exc):
        global ENABLED
        ENABLED = self._prev
