/* kernels_cuda.cu: the engine's own CUDA kernels (elementwise, shape,
 * reductions and losses, normalisation, resampling, pooling, padding,
 * Adam) behind the C launchers of cuda_kern.h. Compiled by nvcc in
 * `make CUDA=1` builds only. Each kernel mirrors its reference loop
 * (kernels_ref_*.c); reductions accumulate in double. */
extern "C" {
#include "cuda_kern.h"
}
#include "kernels_index.h"

#include <cuda_runtime.h>
#include <math.h>

#define TPB 256
#define RED 1024 /* threads of the single-block reductions */

static unsigned blocks(int64_t n)
{
    int64_t b = (n + TPB - 1) / TPB;
    return (unsigned)(b < 1 ? 1 : b > 65535 * 8 ? 65535 * 8 : b);
}
#define LOOP(i, n) for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); \
                        i += (int64_t)blockDim.x * gridDim.x)
#define ST(s) ((cudaStream_t)(s))

static int done(void) { return (int)cudaGetLastError(); }

/* --- elementwise --- */

__device__ static float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }

__global__ void k_unary_fwd(int kind, int64_t n, const float *x, const float *aux, float a,
                            float b, float *y)
{
    LOOP(i, n)
    {
        float v = x[i], r;
        switch (kind) {
        case ZT_CU_RELU: r = v > 0 ? v : 0.0f; break;
        case ZT_CU_LEAKY: r = v > 0 ? v : v * a; break;
        case ZT_CU_TANH: r = tanhf(v); break;
        case ZT_CU_SIGMOID: r = sigm(v); break;
        case ZT_CU_SMISH: {
            float s = sigm(v);
            r = v * (s * (2.0f + s) / (s * s + 2.0f * s + 2.0f));
            break;
        }
        case ZT_CU_AFFINE: r = a * v + b; break;
        default: r = v * aux[i]; break; /* dropout */
        }
        y[i] = r;
    }
}

__global__ void k_unary_bwd(int kind, int64_t n, const float *x, const float *y,
                            const float *aux, float a, const float *dy, float *dx)
{
    LOOP(i, n)
    {
        float g = dy[i], r;
        switch (kind) {
        case ZT_CU_RELU: r = y[i] > 0 ? g : 0.0f; break;
        case ZT_CU_LEAKY: r = x[i] > 0 ? g : g * a; break;
        case ZT_CU_TANH: r = g * (1.0f - y[i] * y[i]); break;
        case ZT_CU_SIGMOID: r = g * y[i] * (1.0f - y[i]); break;
        case ZT_CU_SMISH: {
            float s = sigm(x[i]), d = s * s + 2.0f * s + 2.0f;
            float gg = s * (2.0f + s) / d, dg = 4.0f * (s + 1.0f) / (d * d) * s * (1.0f - s);
            r = g * (gg + x[i] * dg);
            break;
        }
        case ZT_CU_AFFINE: r = a * g; break;
        default: r = g * aux[i]; break;
        }
        dx[i] += r;
    }
}

extern "C" int zt_cu_unary_fwd(void *s, int kind, int64_t n, const float *x, const float *aux,
                               float a, float b, float *y)
{
    k_unary_fwd<<<blocks(n), TPB, 0, ST(s)>>>(kind, n, x, aux, a, b, y);
    return done();
}

extern "C" int zt_cu_unary_bwd(void *s, int kind, int64_t n, const float *x, const float *y,
                               const float *aux, float a, const float *dy, float *dx)
{
    k_unary_bwd<<<blocks(n), TPB, 0, ST(s)>>>(kind, n, x, y, aux, a, dy, dx);
    return done();
}

__global__ void k_axpby(int64_t n, float a, const float *x, float b, const float *z, float *y,
                        int acc)
{
    LOOP(i, n)
    {
        float r = a * x[i] + (z ? b * z[i] : 0.0f);
        y[i] = acc ? y[i] + r : r;
    }
}

extern "C" int zt_cu_axpby(void *s, int64_t n, float a, const float *x, float b, const float *z,
                           float *y, int accumulate)
{
    k_axpby<<<blocks(n), TPB, 0, ST(s)>>>(n, a, x, b, z, y, accumulate);
    return done();
}

__global__ void k_mul(int64_t n, const float *x, const float *z, float *y, int acc)
{
    LOOP(i, n) { y[i] = acc ? y[i] + x[i] * z[i] : x[i] * z[i]; }
}

extern "C" int zt_cu_mul(void *s, int64_t n, const float *x, const float *z, float *y,
                         int accumulate)
{
    k_mul<<<blocks(n), TPB, 0, ST(s)>>>(n, x, z, y, accumulate);
    return done();
}

__global__ void k_add_scalar(int64_t n, const float *g, float scale, float *dx)
{
    float v = g[0] * scale;
    LOOP(i, n) { dx[i] += v; }
}

extern "C" int zt_cu_add_scalar(void *s, int64_t n, const float *g, float scale, float *dx)
{
    k_add_scalar<<<blocks(n), TPB, 0, ST(s)>>>(n, g, scale, dx);
    return done();
}

__global__ void k_rows(int64_t rows, int64_t len, const float *src, int64_t srow, int64_t soff,
                       float *dst, int64_t drow, int64_t doff, int acc)
{
    LOOP(i, rows * len)
    {
        int64_t r = i / len, j = i % len;
        float v = src[r * srow + soff + j];
        float *d = dst + r * drow + doff + j;
        *d = acc ? *d + v : v;
    }
}

extern "C" int zt_cu_rows(void *s, int64_t rows, int64_t len, const float *src, int64_t srow,
                          int64_t soff, float *dst, int64_t drow, int64_t doff, int accumulate)
{
    k_rows<<<blocks(rows * len), TPB, 0, ST(s)>>>(rows, len, src, srow, soff, dst, drow, doff,
                                                  accumulate);
    return done();
}

__global__ void k_add_bias(int64_t N, int64_t C, int64_t inner, const float *b, float *y)
{
    LOOP(i, N * C * inner) { y[i] += b[(i / inner) % C]; }
}

extern "C" int zt_cu_add_bias(void *s, int64_t N, int64_t C, int64_t inner, const float *b,
                              float *y)
{
    k_add_bias<<<blocks(N * C * inner), TPB, 0, ST(s)>>>(N, C, inner, b, y);
    return done();
}

/* --- block reductions (double) --- */

/* Sums v over the block; every thread gets the total. sh: blockDim.x doubles. */
__device__ static double block_sum(double v, double *sh)
{
    sh[threadIdx.x] = v;
    __syncthreads();
    for (unsigned w = blockDim.x / 2; w > 0; w >>= 1) {
        if (threadIdx.x < w) sh[threadIdx.x] += sh[threadIdx.x + w];
        __syncthreads();
    }
    double r = sh[0];
    __syncthreads();
    return r;
}

/* one block per channel c */
__global__ void k_sum_bias(int64_t N, int64_t C, int64_t inner, const float *dy, float *db)
{
    __shared__ double sh[TPB];
    int64_t c = blockIdx.x;
    double a = 0;
    for (int64_t i = threadIdx.x; i < N * inner; i += blockDim.x)
        a += dy[((i / inner) * C + c) * inner + i % inner];
    a = block_sum(a, sh);
    if (threadIdx.x == 0) db[c] += (float)a;
}

extern "C" int zt_cu_sum_bias(void *s, int64_t N, int64_t C, int64_t inner, const float *dy,
                              float *db)
{
    k_sum_bias<<<(unsigned)C, TPB, 0, ST(s)>>>(N, C, inner, dy, db);
    return done();
}

__device__ static double red_term(int kind, float x, float t)
{
    switch (kind) {
    case ZT_CU_RSUM: return x;
    case ZT_CU_RL1: return fabsf(x - t);
    case ZT_CU_RMSE: return (double)(x - t) * (x - t);
    default: {
        double xi = x;
        return (xi > 0 ? xi : 0) - xi * t + log1p(exp(-fabs(xi)));
    }
    }
}

__global__ void k_reduce(int kind, int64_t n, const float *x, const float *t, float tc,
                         double div, float *out)
{
    __shared__ double sh[RED];
    double a = 0;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
        a += red_term(kind, x[i], t ? t[i] : tc);
    a = block_sum(a, sh);
    if (threadIdx.x == 0) out[0] = (float)(a / div);
}

extern "C" int zt_cu_reduce(void *s, int kind, int64_t n, const float *x, const float *t,
                            float tc, double div, float *out)
{
    k_reduce<<<1, RED, 0, ST(s)>>>(kind, n, x, t, tc, div, out);
    return done();
}

__global__ void k_loss_bwd(int kind, int64_t n, const float *x, const float *t, float tc,
                           const float *gout, float *dx, float *dt)
{
    double gd = (double)gout[0] / (double)n;
    float g = (float)gd;
    LOOP(i, n)
    {
        float ti = t ? t[i] : tc, d;
        if (kind == ZT_CU_RL1) {
            float e = x[i] - ti;
            d = e > 0 ? g : e < 0 ? -g : 0.0f;
        } else if (kind == ZT_CU_RMSE) {
            d = (float)(2.0 * (double)gout[0] / (double)n) * (x[i] - ti);
        } else {
            double sig = 1.0 / (1.0 + exp(-(double)x[i]));
            d = (float)(gd * (sig - ti));
        }
        if (dx) dx[i] += d;
        if (dt && kind != ZT_CU_RBCE) dt[i] -= d;
    }
}

extern "C" int zt_cu_loss_bwd(void *s, int kind, int64_t n, const float *x, const float *t,
                              float tc, const float *gout, float *dx, float *dt)
{
    k_loss_bwd<<<blocks(n), TPB, 0, ST(s)>>>(kind, n, x, t, tc, gout, dx, dt);
    return done();
}

/* --- normalisation: one block per group q (cuda_kern.h) --- */

__global__ void k_norm_fwd(int64_t C, int64_t ngrp, int64_t stride, int64_t len, int inst,
                           const float *x, const float *w, const float *b, float *rm, float *rv,
                           float *nbt, float momentum, float eps, int use_batch, int upd,
                           float *mean, float *invstd, float *y)
{
    __shared__ double sh[TPB];
    int64_t q = blockIdx.x, c = q % C, m = ngrp * len;
    const float *xq = x + q * len;
    float mu, is;
    if (use_batch) {
        double s = 0, ss = 0;
        for (int64_t k = threadIdx.x; k < m; k += blockDim.x) s += xq[(k / len) * stride + k % len];
        double dmu = block_sum(s, sh) / (double)m;
        for (int64_t k = threadIdx.x; k < m; k += blockDim.x) {
            double d = xq[(k / len) * stride + k % len] - dmu;
            ss += d * d;
        }
        ss = block_sum(ss, sh);
        double var = ss / (double)m;
        mu = (float)dmu;
        is = (float)(1.0 / sqrt(var + eps));
        if (threadIdx.x == 0 && upd) {
            double unbiased = m > 1 ? ss / (double)(m - 1) : var;
            rm[c] = (float)((1.0 - momentum) * rm[c] + momentum * dmu);
            rv[c] = (float)((1.0 - momentum) * rv[c] + momentum * unbiased);
            if (q == 0 && nbt) nbt[0] += 1.0f;
        }
    } else {
        mu = rm[c];
        is = (float)(1.0 / sqrt((double)rv[c] + eps));
    }
    if (threadIdx.x == 0) {
        mean[q] = mu;
        invstd[q] = is;
    }
    float g = w ? w[c] : 1.0f, bb = b ? b[c] : 0.0f;
    float sc = is * g, sft = bb - mu * sc;
    float *yq = y + q * len;
    for (int64_t k = threadIdx.x; k < m; k += blockDim.x) {
        int64_t o = (k / len) * stride + k % len;
        yq[o] = xq[o] * sc + sft;
    }
}

extern "C" int zt_cu_norm_fwd(void *s, int64_t G, int64_t C, int64_t ngrp, int64_t stride,
                              int64_t len, int inst, const float *x, const float *w,
                              const float *b, float *rm, float *rv, float *nbt, float momentum,
                              float eps, int use_batch, int upd, float *mean, float *invstd,
                              float *y)
{
    k_norm_fwd<<<(unsigned)G, TPB, 0, ST(s)>>>(C, ngrp, stride, len, inst, x, w, b, rm, rv, nbt,
                                               momentum, eps, use_batch, upd, mean, invstd, y);
    return done();
}

__global__ void k_norm_bwd(int64_t C, int64_t ngrp, int64_t stride, int64_t len, int inst,
                           const float *x, const float *w, const float *mean,
                           const float *invstd, int use_batch, const float *dy, float *dx,
                           float *dw, float *db)
{
    __shared__ double sh[TPB];
    int64_t q = blockIdx.x, c = q % C, m = ngrp * len;
    const float *xq = x + q * len, *dyq = dy + q * len;
    float mu = mean[q], is = invstd[q];
    double a = 0, bsum = 0;
    for (int64_t k = threadIdx.x; k < m; k += blockDim.x) {
        int64_t o = (k / len) * stride + k % len;
        a += dyq[o];
        bsum += (double)dyq[o] * ((xq[o] - mu) * is);
    }
    a = block_sum(a, sh);
    bsum = block_sum(bsum, sh);
    if (threadIdx.x == 0) {
        if (inst) {
            if (dw) atomicAdd(dw + c, (float)bsum);
            if (db) atomicAdd(db + c, (float)a);
        } else {
            if (dw) dw[c] += (float)bsum;
            if (db) db[c] += (float)a;
        }
    }
    if (!dx) return;
    float ka = (float)(a / (double)m), kb = (float)(bsum / (double)m);
    float gi = (w ? w[c] : 1.0f) * is;
    float *dxq = dx + q * len;
    for (int64_t k = threadIdx.x; k < m; k += blockDim.x) {
        int64_t o = (k / len) * stride + k % len;
        float xhat = (xq[o] - mu) * is;
        dxq[o] += use_batch ? gi * (dyq[o] - ka - xhat * kb) : gi * dyq[o];
    }
}

extern "C" int zt_cu_norm_bwd(void *s, int64_t G, int64_t C, int64_t ngrp, int64_t stride,
                              int64_t len, int inst, const float *x, const float *w,
                              const float *mean, const float *invstd, int use_batch,
                              const float *dy, float *dx, float *dw, float *db)
{
    k_norm_bwd<<<(unsigned)G, TPB, 0, ST(s)>>>(C, ngrp, stride, len, inst, x, w, mean, invstd,
                                               use_batch, dy, dx, dw, db);
    return done();
}

/* --- resampling (PyTorch's index rules: kernels_index.h) --- */

__global__ void k_upsample(int bil, int ac, int bwd, int64_t P, int64_t H, int64_t W, int64_t OH,
                           int64_t OW, const float *src, float *dst)
{
    LOOP(i, P * OH * OW)
    {
        int64_t ox = i % OW, oy = (i / OW) % OH, p = i / (OW * OH);
        if (!bil) {
            int64_t o = (p * H + zt_near_index(oy, H, OH)) * W + zt_near_index(ox, W, OW);
            if (bwd) atomicAdd(dst + o, src[i]);
            else dst[i] = src[o];
            continue;
        }
        int64_t y0, y1, x0, x1;
        float ly, lx;
        zt_lin_index(oy, H, OH, ac, &y0, &y1, &ly);
        zt_lin_index(ox, W, OW, ac, &x0, &x1, &lx);
        int64_t b = p * H * W;
        if (bwd) {
            float g = src[i];
            atomicAdd(dst + b + y0 * W + x0, (1 - ly) * (1 - lx) * g);
            atomicAdd(dst + b + y0 * W + x1, (1 - ly) * lx * g);
            atomicAdd(dst + b + y1 * W + x0, ly * (1 - lx) * g);
            atomicAdd(dst + b + y1 * W + x1, ly * lx * g);
        } else {
            const float *s = src + b;
            dst[i] = (1 - ly) * ((1 - lx) * s[y0 * W + x0] + lx * s[y0 * W + x1]) +
                     ly * ((1 - lx) * s[y1 * W + x0] + lx * s[y1 * W + x1]);
        }
    }
}

extern "C" int zt_cu_upsample_fwd(void *s, int bilinear, int align_corners, int64_t P, int64_t H,
                                  int64_t W, int64_t OH, int64_t OW, const float *x, float *y)
{
    k_upsample<<<blocks(P * OH * OW), TPB, 0, ST(s)>>>(bilinear, align_corners, 0, P, H, W, OH,
                                                       OW, x, y);
    return done();
}

extern "C" int zt_cu_upsample_bwd(void *s, int bilinear, int align_corners, int64_t P, int64_t H,
                                  int64_t W, int64_t OH, int64_t OW, const float *dy, float *dx)
{
    k_upsample<<<blocks(P * OH * OW), TPB, 0, ST(s)>>>(bilinear, align_corners, 1, P, H, W, OH,
                                                       OW, dy, dx);
    return done();
}

/* --- pooling --- */

__global__ void k_pool_fwd(int avg, int64_t P, int64_t H, int64_t W, int64_t OH, int64_t OW,
                           int K, int S, int PD, int cip, const float *x, float *y, int32_t *arg)
{
    LOOP(i, P * OH * OW)
    {
        int64_t ox = i % OW, oy = (i / OW) % OH, p = i / (OW * OH);
        const float *xp = x + p * H * W;
        if (avg) {
            int64_t y0, y1, x0, x1;
            float div;
            zt_avg_window(H, W, oy, ox, K, S, PD, cip, &y0, &y1, &x0, &x1, &div);
            double s = 0;
            for (int64_t yy = y0; yy < y1; yy++)
                for (int64_t xx = x0; xx < x1; xx++) s += xp[yy * W + xx];
            y[i] = (float)(s / div);
            continue;
        }
        int64_t y0 = oy * S - PD, x0 = ox * S - PD;
        float best = -INFINITY;
        int64_t bi = max(y0, (int64_t)0) * W + max(x0, (int64_t)0);
        for (int64_t yy = max(y0, (int64_t)0); yy < min(y0 + K, H); yy++)
            for (int64_t xx = max(x0, (int64_t)0); xx < min(x0 + K, W); xx++) {
                float v = xp[yy * W + xx];
                if (v > best || isnan(v)) {
                    best = v;
                    bi = yy * W + xx;
                }
            }
        y[i] = best;
        arg[i] = (int32_t)bi;
    }
}

__global__ void k_pool_bwd(int avg, int64_t P, int64_t H, int64_t W, int64_t OH, int64_t OW,
                           int K, int S, int PD, int cip, const int32_t *arg, const float *dy,
                           float *dx)
{
    LOOP(i, P * OH * OW)
    {
        int64_t ox = i % OW, oy = (i / OW) % OH, p = i / (OW * OH);
        float *dp = dx + p * H * W;
        if (!avg) {
            atomicAdd(dp + arg[i], dy[i]);
            continue;
        }
        int64_t y0, y1, x0, x1;
        float div;
        zt_avg_window(H, W, oy, ox, K, S, PD, cip, &y0, &y1, &x0, &x1, &div);
        float g = dy[i] / div;
        for (int64_t yy = y0; yy < y1; yy++)
            for (int64_t xx = x0; xx < x1; xx++) atomicAdd(dp + yy * W + xx, g);
    }
}

extern "C" int zt_cu_pool_fwd(void *s, int avg, int64_t P, int64_t H, int64_t W, int64_t OH,
                              int64_t OW, int k, int st, int pad, int cip, const float *x,
                              float *y, int32_t *arg)
{
    k_pool_fwd<<<blocks(P * OH * OW), TPB, 0, ST(s)>>>(avg, P, H, W, OH, OW, k, st, pad, cip, x,
                                                       y, arg);
    return done();
}

extern "C" int zt_cu_pool_bwd(void *s, int avg, int64_t P, int64_t H, int64_t W, int64_t OH,
                              int64_t OW, int k, int st, int pad, int cip, const int32_t *arg,
                              const float *dy, float *dx)
{
    k_pool_bwd<<<blocks(P * OH * OW), TPB, 0, ST(s)>>>(avg, P, H, W, OH, OW, k, st, pad, cip,
                                                       arg, dy, dx);
    return done();
}

/* --- pad2d (mode 0 zero, else reflect) --- */

__global__ void k_pad(int bwd, int64_t P, int64_t H, int64_t W, int64_t OH, int64_t OW,
                      int64_t left, int64_t top, int mode, const float *src, float *dst)
{
    LOOP(i, P * OH * OW)
    {
        int64_t ox = i % OW, oy = (i / OW) % OH, p = i / (OW * OH);
        int64_t sy = zt_pad_src(oy, top, H, mode), sx = zt_pad_src(ox, left, W, mode);
        if (bwd) {
            if (sy >= 0 && sx >= 0) atomicAdd(dst + (p * H + sy) * W + sx, src[i]);
        } else {
            dst[i] = sy < 0 || sx < 0 ? 0.0f : src[(p * H + sy) * W + sx];
        }
    }
}

extern "C" int zt_cu_pad_fwd(void *s, int64_t P, int64_t H, int64_t W, int64_t OH, int64_t OW,
                             int64_t left, int64_t top, int mode, const float *x, float *y)
{
    k_pad<<<blocks(P * OH * OW), TPB, 0, ST(s)>>>(0, P, H, W, OH, OW, left, top, mode, x, y);
    return done();
}

extern "C" int zt_cu_pad_bwd(void *s, int64_t P, int64_t H, int64_t W, int64_t OH, int64_t OW,
                             int64_t left, int64_t top, int mode, const float *dy, float *dx)
{
    k_pad<<<blocks(P * OH * OW), TPB, 0, ST(s)>>>(1, P, H, W, OH, OW, left, top, mode, dy, dx);
    return done();
}

/* --- fused Adam --- */

__global__ void k_adam(int64_t n, float *p, float *g, float *m, float *v, float step_size,
                       float bc2_sqrt, float b1, float c1, float b2, float c2, float wd,
                       float eps)
{
    LOOP(j, n)
    {
        float gj = g[j];
        if (wd != 0) gj = gj + wd * p[j];
        float mj = m[j] * b1 + gj * c1, vj = v[j] * b2 + c2 * gj * gj;
        m[j] = mj;
        v[j] = vj;
        float denom = sqrtf(vj) / bc2_sqrt + eps;
        p[j] = p[j] + (-step_size) * (mj / denom);
        g[j] = 0;
    }
}

extern "C" int zt_cu_adam(void *s, int64_t n, float *p, float *g, float *m, float *v,
                          float step_size, float bc2_sqrt, float b1, float c1, float b2,
                          float c2, float wd, float eps)
{
    k_adam<<<blocks(n), TPB, 0, ST(s)>>>(n, p, g, m, v, step_size, bc2_sqrt, b1, c1, b2, c2, wd,
                                         eps);
    return done();
}
