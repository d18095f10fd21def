/* cuda_kern.h: the C side of the engine's own CUDA kernels (kernels_cuda.cu,
 * compiled by nvcc only in `make CUDA=1` builds). Every launcher enqueues on
 * stream s (a cudaStream_t passed as void *) and returns 0, or the CUDA
 * error code of the launch (cudaGetLastError). All pointers are device-
 * accessible (managed or device memory); n counts floats. Math follows the
 * reference kernels (kernels_ref_*.c); reductions accumulate in double. */
#ifndef ZT_CUDA_KERN_H
#define ZT_CUDA_KERN_H

#include <stdint.h>

/* Elementwise ops with one input (ZT_CU_*): forward y = f(x) (with f[0],
 * f[1] the node's float arguments: leaky slope, affine a/b), backward
 * dx += dy * f'(x) from x, y and aux (dropout's multiplier). */
enum {
    ZT_CU_RELU, ZT_CU_LEAKY, ZT_CU_TANH, ZT_CU_SIGMOID, ZT_CU_SMISH, ZT_CU_AFFINE, ZT_CU_DROPOUT
};
int zt_cu_unary_fwd(void *s, int kind, int64_t n, const float *x, const float *aux, float a,
                    float b, float *y);
int zt_cu_unary_bwd(void *s, int kind, int64_t n, const float *x, const float *y,
                    const float *aux, float a, const float *dy, float *dx);
/* y = a*x + b*z (z may be NULL when b == 0); y may alias neither. With
 * accumulate, y += a*x + b*z. */
int zt_cu_axpby(void *s, int64_t n, float a, const float *x, float b, const float *z, float *y,
                int accumulate);
/* y (+)= x * z */
int zt_cu_mul(void *s, int64_t n, const float *x, const float *z, float *y, int accumulate);
/* dx += *g * scale for all n (g: one device float; sum/mean backward) */
int zt_cu_add_scalar(void *s, int64_t n, const float *g, float scale, float *dx);
/* Rows copy: dst[r*drow + doff + j] (+)= src[r*srow + soff + j], r < rows,
 * j < len (concat, slice). */
int zt_cu_rows(void *s, int64_t rows, int64_t len, const float *src, int64_t srow, int64_t soff,
               float *dst, int64_t drow, int64_t doff, int accumulate);
/* bias[c] broadcast: y[(i*C + c)*inner + j] += b[c] (conv bias, matmul bias with inner 1) */
int zt_cu_add_bias(void *s, int64_t N, int64_t C, int64_t inner, const float *b, float *y);
/* db[c] += sum over i, j of dy[(i*C + c)*inner + j] */
int zt_cu_sum_bias(void *s, int64_t N, int64_t C, int64_t inner, const float *dy, float *db);

/* Whole-tensor reductions into out[0] (one float), divided by div:
 * SUM x; L1 |x - t|; MSE (x - t)^2; BCE with logits against t (or the
 * constant tc when t is NULL). Deterministic (one block, fixed order). */
enum { ZT_CU_RSUM, ZT_CU_RL1, ZT_CU_RMSE, ZT_CU_RBCE };
int zt_cu_reduce(void *s, int kind, int64_t n, const float *x, const float *t, float tc,
                 double div, float *out);
/* Loss backward: g = *gout / n; L1: dx += sign(x-t) g, dt -= same; MSE: 2g(x-t);
 * BCE: dx += g (sigmoid(x) - t). dx or dt may be NULL. */
int zt_cu_loss_bwd(void *s, int kind, int64_t n, const float *x, const float *t, float tc,
                   const float *gout, float *dx, float *dt);

/* Normalisation over groups: group q (of G) holds x[q*len + i*stride + j]
 * for i < ngrp, j < len, and uses channel q % C's affine weights:
 *   batch norm: G = C, ngrp = N, stride = C*HW, len = HW (inst 0);
 *   instance norm: G = N*C, ngrp = 1, stride = HW, len = HW (inst 1).
 * fwd: use_batch 1: two-pass batch statistics (double) into mean/invstd[q],
 * and, with upd, running mean/var (unbiased) with momentum and *nbt += 1;
 * use_batch 0: statistics from rm/rv. Then y = (x - mean) * invstd * w + b. */
int zt_cu_norm_fwd(void *s, int64_t G, int64_t C, int64_t ngrp, int64_t stride, int64_t len,
                   int inst, const float *x, const float *w, const float *b, float *rm, float *rv,
                   float *nbt, float momentum, float eps, int use_batch, int upd, float *mean,
                   float *invstd, float *y);
/* bwd: dx += (use_batch: full formula; else dy*w*invstd), dw[chan] += sum(dy*xhat),
 * db[chan] += sum(dy) (atomics when several groups share a channel). */
int zt_cu_norm_bwd(void *s, int64_t G, int64_t C, int64_t ngrp, int64_t stride, int64_t len,
                   int inst, const float *x, const float *w, const float *mean,
                   const float *invstd, int use_batch, const float *dy, float *dx, float *dw,
                   float *db);

/* Resampling, pooling and padding over P = N*C planes (H, W) -> (OH, OW).
 * Backward kernels add into dx (atomics where outputs share inputs). */
int zt_cu_upsample_fwd(void *s, int bilinear, int align_corners, int64_t P, int64_t H, int64_t W,
                       int64_t OH, int64_t OW, const float *x, float *y);
int zt_cu_upsample_bwd(void *s, int bilinear, int align_corners, int64_t P, int64_t H, int64_t W,
                       int64_t OH, int64_t OW, const float *dy, float *dx);
/* kind 0 max (arg: flat argmax in the plane), 1 avg (cip: count_include_pad) */
int zt_cu_pool_fwd(void *s, int avg, int64_t P, int64_t H, int64_t W, int64_t OH, int64_t OW,
                   int k, int st, int pad, int cip, const float *x, float *y, int32_t *arg);
int zt_cu_pool_bwd(void *s, int avg, int64_t P, int64_t H, int64_t W, int64_t OH, int64_t OW,
                   int k, int st, int pad, int cip, const int32_t *arg, const float *dy,
                   float *dx);
/* pad2d: left, top offsets, mode ZT_PAD_ZERO (0) or reflect */
int zt_cu_pad_fwd(void *s, int64_t P, int64_t H, int64_t W, int64_t OH, int64_t OW, int64_t left,
                  int64_t top, int mode, const float *x, float *y);
int zt_cu_pad_bwd(void *s, int64_t P, int64_t H, int64_t W, int64_t OH, int64_t OW, int64_t left,
                  int64_t top, int mode, const float *dy, float *dx);

/* Fused Adam (torch.optim.Adam single-tensor math, as src/nn/optim.c) over
 * n elements, grad zeroed in the same pass. */
int zt_cu_adam(void *s, int64_t n, float *p, float *g, float *m, float *v, float step_size,
               float bc2_sqrt, float b1, float c1, float b2, float c2, float wd, float eps);

#endif
