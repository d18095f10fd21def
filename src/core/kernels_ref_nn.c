/* kernels_ref_nn.c: reference kernels of the network ops: convolution
 * (through the engine's conv implementation, core/conv.h), batch/instance
 * norm, dropout, pooling and resampling. Plain loops, double accumulators
 * for reductions: the spec the cpu backend is tested against. */
#include "backend.h"
#include "kernels_index.h"
#include "../util/zt.h"

#include <math.h>
#include <string.h>

/* --- convolution: x (N, Cin, H, W), w, b (Cout) -> y (N, Cout, OH, OW) --- */

int zt_ref_conv2d_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const struct zt_tensor *b = n->src[2];
    k->conv->fwd(k->conv->ctx, &n->conv, n->src[0]->data, n->src[1]->data, b ? b->data : NULL,
                 n->out->data);
    return ZT_OK;
}

int zt_ref_conv2d_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    struct zt_tensor *x = n->src[0], *w = n->src[1], *b = n->src[2];
    float *dx = ZT_GRAD(x), *dw = ZT_GRAD(w), *db = ZT_GRAD(b);
    const float *dy = n->out->grad;
    if (dx) k->conv->bwd_data(k->conv->ctx, &n->conv, dy, w->data, dx, 1);
    if (dw || db) {
        if (!dw) { /* frozen weight, trainable bias: weight grad goes to scratch */
            dw = zt_arena_calloc(k->arena, (size_t)zt_tensor_numel(w) * sizeof(float));
            if (!dw) return ZT_ENOMEM;
        }
        k->conv->bwd_weights(k->conv->ctx, &n->conv, x->data, dy, dw, db, 1);
    }
    return ZT_OK;
}

int zt_ref_conv_transpose2d_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    return zt_ref_conv2d_fwd(k, n); /* the descriptor says transposed */
}

int zt_ref_conv_transpose2d_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    return zt_ref_conv2d_bwd(k, n);
}

/* --- batch norm: x (N, C, HW) viewed per channel c over M = N*HW values --- */

/* One channel c of the forward (shared with the cpu backend, which runs
 * channels in parallel: each channel's sums stay serial, so results do not
 * depend on the thread count). */
void zt_norm_bn_fwd_channel(struct zt_node *n, int64_t c)
{
    const struct zt_tensor *x = n->src[0], *wt = n->src[1], *bs = n->src[2];
    struct zt_tensor *rm = n->src[3], *rv = n->src[4];
    int64_t N = x->shape[0], C = x->shape[1], HW = x->ndim == 4 ? x->shape[2] * x->shape[3] : 1;
    int64_t M = N * HW;
    float momentum = n->f[0], eps = n->f[1];
    float *mean = n->aux, *invstd = n->aux2; /* (C) */
    if (n->i[0]) { /* batch statistics, two-pass in double */
        double s = 0, ss = 0;
        for (int64_t i = 0; i < N; i++)
            for (int64_t j = 0; j < HW; j++) s += x->data[(i * C + c) * HW + j];
        double mu = s / (double)M;
        for (int64_t i = 0; i < N; i++)
            for (int64_t j = 0; j < HW; j++) {
                double d = x->data[(i * C + c) * HW + j] - mu;
                ss += d * d;
            }
        double var = ss / (double)M;
        mean[c] = (float)mu;
        invstd[c] = (float)(1.0 / sqrt(var + eps));
        if (n->i[1]) { /* running stats: unbiased variance, as PyTorch */
            double unbiased = M > 1 ? ss / (double)(M - 1) : var;
            rm->data[c] = (float)((1.0 - momentum) * rm->data[c] + momentum * mu);
            rv->data[c] = (float)((1.0 - momentum) * rv->data[c] + momentum * unbiased);
        }
    } else {
        mean[c] = rm->data[c];
        invstd[c] = (float)(1.0 / sqrt((double)rv->data[c] + eps));
    }
    float g = wt ? wt->data[c] : 1.0f, b = bs ? bs->data[c] : 0.0f;
    float sc = invstd[c] * g, sh = b - mean[c] * sc;
    for (int64_t i = 0; i < N; i++) {
        const float *xp = x->data + (i * C + c) * HW;
        float *yp = n->out->data + (i * C + c) * HW;
        for (int64_t j = 0; j < HW; j++) yp[j] = xp[j] * sc + sh;
    }
}

/* After all channels: the batch counter. */
void zt_norm_bn_fwd_finish(struct zt_node *n)
{
    if (n->i[1] && n->src[5]) n->src[5]->data[0] += 1.0f;
}

int zt_ref_batch_norm_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    for (int64_t c = 0; c < n->src[0]->shape[1]; c++) zt_norm_bn_fwd_channel(n, c);
    zt_norm_bn_fwd_finish(n);
    return ZT_OK;
}

/* Shared by batch and instance norm: one group of values x[o(i)] with
 * statistics (mu, is); adds dx (batch stats: full formula; running stats:
 * dy*g*is) and returns sum(dy) and sum(dy*xhat) for the affine grads. */
static void norm_group_bwd(const float *x, const float *dy, float *dx, int64_t ngrp,
                           int64_t stride, int64_t len, float mu, float is, float g,
                           int batch_stats, double *sdy, double *sdyx)
{
    double a = 0, b = 0;
    for (int64_t i = 0; i < ngrp; i++)
        for (int64_t j = 0; j < len; j++) {
            int64_t o = i * stride + j;
            a += dy[o];
            b += (double)dy[o] * ((x[o] - mu) * is);
        }
    *sdy = a;
    *sdyx = b;
    if (!dx) return;
    double m = (double)(ngrp * len);
    float ka = (float)(a / m), kb = (float)(b / m), gi = g * is;
    for (int64_t i = 0; i < ngrp; i++)
        for (int64_t j = 0; j < len; j++) {
            int64_t o = i * stride + j;
            float xhat = (x[o] - mu) * is;
            if (batch_stats) dx[o] += gi * (dy[o] - ka - xhat * kb);
            else dx[o] += gi * dy[o];
        }
}

void zt_norm_bn_bwd_channel(struct zt_node *n, int64_t c)
{
    const struct zt_tensor *x = n->src[0], *wt = n->src[1];
    float *dx = ZT_GRAD(x), *dw = ZT_GRAD(n->src[1]), *db = ZT_GRAD(n->src[2]);
    int64_t N = x->shape[0], C = x->shape[1], HW = x->ndim == 4 ? x->shape[2] * x->shape[3] : 1;
    const float *mean = n->aux, *invstd = n->aux2;
    double sdy, sdyx;
    norm_group_bwd(x->data + c * HW, n->out->grad + c * HW, dx ? dx + c * HW : NULL, N, C * HW, HW,
                   mean[c], invstd[c], wt ? wt->data[c] : 1.0f, (int)n->i[0], &sdy, &sdyx);
    if (dw) dw[c] += (float)sdyx;
    if (db) db[c] += (float)sdy;
}

int zt_ref_batch_norm_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    for (int64_t c = 0; c < n->src[0]->shape[1]; c++) zt_norm_bn_bwd_channel(n, c);
    return ZT_OK;
}

/* --- instance norm: per (n, c) plane p of HW values --- */

void zt_norm_in_fwd_plane(struct zt_node *n, int64_t p)
{
    const struct zt_tensor *x = n->src[0], *wt = n->src[1], *bs = n->src[2];
    int64_t C = x->shape[1], HW = x->shape[2] * x->shape[3];
    float eps = n->f[0], *mean = n->aux, *invstd = n->aux2; /* (N*C) */
    const float *xp = x->data + p * HW;
    float *yp = n->out->data + p * HW;
    double s = 0, ss = 0;
    for (int64_t j = 0; j < HW; j++) s += xp[j];
    double mu = s / (double)HW;
    for (int64_t j = 0; j < HW; j++) ss += (xp[j] - mu) * (xp[j] - mu);
    mean[p] = (float)mu;
    invstd[p] = (float)(1.0 / sqrt(ss / (double)HW + eps));
    int64_t c = p % C;
    float g = wt ? wt->data[c] : 1.0f, b = bs ? bs->data[c] : 0.0f;
    float sc = invstd[p] * g, sh = b - mean[p] * sc;
    for (int64_t j = 0; j < HW; j++) yp[j] = xp[j] * sc + sh;
}

int zt_ref_instance_norm_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    for (int64_t p = 0; p < n->src[0]->shape[0] * n->src[0]->shape[1]; p++) zt_norm_in_fwd_plane(n, p);
    return ZT_OK;
}

/* Plane p's dx; its affine-grad sums go to sums[2p], sums[2p+1] (added to
 * dw/db per channel afterwards, in plane order). */
void zt_norm_in_bwd_plane(struct zt_node *n, int64_t p, double *sums)
{
    const struct zt_tensor *x = n->src[0], *wt = n->src[1];
    float *dx = ZT_GRAD(x);
    int64_t C = x->shape[1], HW = x->shape[2] * x->shape[3];
    const float *mean = n->aux, *invstd = n->aux2;
    norm_group_bwd(x->data + p * HW, n->out->grad + p * HW, dx ? dx + p * HW : NULL, 1, HW, HW,
                   mean[p], invstd[p], wt ? wt->data[p % C] : 1.0f, 1, &sums[2 * p],
                   &sums[2 * p + 1]);
}

void zt_norm_in_bwd_finish(struct zt_node *n, const double *sums)
{
    float *dw = ZT_GRAD(n->src[1]), *db = ZT_GRAD(n->src[2]);
    int64_t C = n->src[0]->shape[1], P = n->src[0]->shape[0] * C;
    for (int64_t p = 0; p < P; p++) {
        if (dw) dw[p % C] += (float)sums[2 * p + 1];
        if (db) db[p % C] += (float)sums[2 * p];
    }
}

int zt_ref_instance_norm_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    int64_t P = n->src[0]->shape[0] * n->src[0]->shape[1];
    double *sums = zt_arena_alloc(k->arena, (size_t)(2 * P) * sizeof(double));
    if (!sums) return ZT_ENOMEM;
    for (int64_t p = 0; p < P; p++) zt_norm_in_bwd_plane(n, p, sums);
    zt_norm_in_bwd_finish(n, sums);
    return ZT_OK;
}

/* --- dropout: y = x * mul, mul = keep/(1-p) drawn by the constructor --- */

int zt_ref_dropout_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data, *mul = n->aux;
    int64_t cnt = zt_tensor_numel(n->out);
    for (int64_t i = 0; i < cnt; i++) n->out->data[i] = x[i] * mul[i];
    return ZT_OK;
}

int zt_ref_dropout_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    const float *mul = n->aux, *dy = n->out->grad;
    int64_t cnt = zt_tensor_numel(n->out);
    if (dx)
        for (int64_t i = 0; i < cnt; i++) dx[i] += dy[i] * mul[i];
    return ZT_OK;
}

/* --- bilinear: x (N, C, H, W) -> (N, C, OH, OW), as F.interpolate --- */

void zt_ref_upsample_bilinear_fwd_planes(struct zt_node *n, int64_t p0, int64_t p1)
{
    const struct zt_tensor *x = n->src[0];
    int64_t H = x->shape[2], W = x->shape[3];
    int64_t OH = n->out->shape[2], OW = n->out->shape[3];
    int ac = (int)n->i[0];
    for (int64_t p = p0; p < p1; p++)
        for (int64_t oy = 0; oy < OH; oy++) {
            int64_t y0, y1;
            float ly;
            zt_lin_index(oy, H, OH, ac, &y0, &y1, &ly);
            for (int64_t ox = 0; ox < OW; ox++) {
                int64_t x0, x1;
                float lx;
                zt_lin_index(ox, W, OW, ac, &x0, &x1, &lx);
                const float *s = x->data + p * H * W;
                n->out->data[(p * OH + oy) * OW + ox] =
                    (1 - ly) * ((1 - lx) * s[y0 * W + x0] + lx * s[y0 * W + x1]) +
                    ly * ((1 - lx) * s[y1 * W + x0] + lx * s[y1 * W + x1]);
            }
        }
}

int zt_ref_upsample_bilinear_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    zt_ref_upsample_bilinear_fwd_planes(n, 0, n->src[0]->shape[0] * n->src[0]->shape[1]);
    return ZT_OK;
}

void zt_ref_upsample_bilinear_bwd_planes(struct zt_node *n, int64_t p0, int64_t p1)
{
    const struct zt_tensor *x = n->src[0];
    float *dx = ZT_GRAD(x);
    if (!dx) return;
    int64_t H = x->shape[2], W = x->shape[3];
    int64_t OH = n->out->shape[2], OW = n->out->shape[3];
    int ac = (int)n->i[0];
    for (int64_t p = p0; p < p1; p++)
        for (int64_t oy = 0; oy < OH; oy++) {
            int64_t y0, y1;
            float ly;
            zt_lin_index(oy, H, OH, ac, &y0, &y1, &ly);
            for (int64_t ox = 0; ox < OW; ox++) {
                int64_t x0, x1;
                float lx;
                zt_lin_index(ox, W, OW, ac, &x0, &x1, &lx);
                float g = n->out->grad[(p * OH + oy) * OW + ox];
                float *d = dx + p * H * W;
                d[y0 * W + x0] += (1 - ly) * (1 - lx) * g;
                d[y0 * W + x1] += (1 - ly) * lx * g;
                d[y1 * W + x0] += ly * (1 - lx) * g;
                d[y1 * W + x1] += ly * lx * g;
            }
        }
}

int zt_ref_upsample_bilinear_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    zt_ref_upsample_bilinear_bwd_planes(n, 0, n->src[0]->shape[0] * n->src[0]->shape[1]);
    return ZT_OK;
}

/* --- nearest: PyTorch's nearest_idx --- */

void zt_ref_upsample_nearest_fwd_planes(struct zt_node *n, int64_t p0, int64_t p1)
{
    const struct zt_tensor *x = n->src[0];
    int64_t H = x->shape[2], W = x->shape[3];
    int64_t OH = n->out->shape[2], OW = n->out->shape[3];
    for (int64_t p = p0; p < p1; p++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++)
                n->out->data[(p * OH + oy) * OW + ox] =
                    x->data[(p * H + zt_near_index(oy, H, OH)) * W + zt_near_index(ox, W, OW)];
}

int zt_ref_upsample_nearest_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    zt_ref_upsample_nearest_fwd_planes(n, 0, n->src[0]->shape[0] * n->src[0]->shape[1]);
    return ZT_OK;
}

void zt_ref_upsample_nearest_bwd_planes(struct zt_node *n, int64_t p0, int64_t p1)
{
    const struct zt_tensor *x = n->src[0];
    float *dx = ZT_GRAD(x);
    if (!dx) return;
    int64_t H = x->shape[2], W = x->shape[3];
    int64_t OH = n->out->shape[2], OW = n->out->shape[3];
    for (int64_t p = p0; p < p1; p++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++)
                dx[(p * H + zt_near_index(oy, H, OH)) * W + zt_near_index(ox, W, OW)] +=
                    n->out->grad[(p * OH + oy) * OW + ox];
}

int zt_ref_upsample_nearest_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    zt_ref_upsample_nearest_bwd_planes(n, 0, n->src[0]->shape[0] * n->src[0]->shape[1]);
    return ZT_OK;
}

/* --- max pool: window [o*s - p, o*s - p + k) clipped; argmax saved --- */

void zt_ref_max_pool2d_fwd_planes(struct zt_node *n, int64_t p0, int64_t p1)
{
    const struct zt_tensor *x = n->src[0];
    int64_t H = x->shape[2], W = x->shape[3];
    int64_t OH = n->out->shape[2], OW = n->out->shape[3], K = n->i[0], S = n->i[1], PD = n->i[2];
    int32_t *arg = n->aux;
    for (int64_t p = p0; p < p1; p++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++) {
                int64_t y0 = oy * S - PD, x0 = ox * S - PD;
                float best = -INFINITY;
                int64_t bi = ZT_MAX(y0, 0) * W + ZT_MAX(x0, 0);
                for (int64_t yy = ZT_MAX(y0, 0); yy < ZT_MIN(y0 + K, H); yy++)
                    for (int64_t xx = ZT_MAX(x0, 0); xx < ZT_MIN(x0 + K, W); xx++) {
                        float v = x->data[(p * H + yy) * W + xx];
                        if (v > best || isnan(v)) {
                            best = v;
                            bi = yy * W + xx;
                        }
                    }
                int64_t o = (p * OH + oy) * OW + ox;
                n->out->data[o] = best;
                arg[o] = (int32_t)bi;
            }
}

int zt_ref_max_pool2d_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    zt_ref_max_pool2d_fwd_planes(n, 0, n->src[0]->shape[0] * n->src[0]->shape[1]);
    return ZT_OK;
}

void zt_ref_max_pool2d_bwd_planes(struct zt_node *n, int64_t p0, int64_t p1)
{
    const struct zt_tensor *x = n->src[0];
    float *dx = ZT_GRAD(x);
    if (!dx) return;
    int64_t HW = x->shape[2] * x->shape[3];
    int64_t OHW = n->out->shape[2] * n->out->shape[3];
    const int32_t *arg = n->aux;
    for (int64_t p = p0; p < p1; p++)
        for (int64_t o = 0; o < OHW; o++) dx[p * HW + arg[p * OHW + o]] += n->out->grad[p * OHW + o];
}

int zt_ref_max_pool2d_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    zt_ref_max_pool2d_bwd_planes(n, 0, n->src[0]->shape[0] * n->src[0]->shape[1]);
    return ZT_OK;
}

/* --- average pool: PyTorch's divisor rule (count_include_pad) --- */

void zt_ref_avg_pool2d_fwd_planes(struct zt_node *n, int64_t p0, int64_t p1)
{
    const struct zt_tensor *x = n->src[0];
    int64_t H = x->shape[2], W = x->shape[3];
    int64_t OH = n->out->shape[2], OW = n->out->shape[3];
    for (int64_t p = p0; p < p1; p++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++) {
                int64_t y0, y1, x0, x1;
                float div;
                zt_avg_window(H, W, oy, ox, n->i[0], n->i[1], n->i[2], (int)n->i[3], &y0, &y1, &x0,
                              &x1, &div);
                double s = 0;
                for (int64_t yy = y0; yy < y1; yy++)
                    for (int64_t xx = x0; xx < x1; xx++) s += x->data[(p * H + yy) * W + xx];
                n->out->data[(p * OH + oy) * OW + ox] = (float)(s / div);
            }
}

int zt_ref_avg_pool2d_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    zt_ref_avg_pool2d_fwd_planes(n, 0, n->src[0]->shape[0] * n->src[0]->shape[1]);
    return ZT_OK;
}

void zt_ref_avg_pool2d_bwd_planes(struct zt_node *n, int64_t p0, int64_t p1)
{
    const struct zt_tensor *x = n->src[0];
    float *dx = ZT_GRAD(x);
    if (!dx) return;
    int64_t H = x->shape[2], W = x->shape[3];
    int64_t OH = n->out->shape[2], OW = n->out->shape[3];
    for (int64_t p = p0; p < p1; p++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++) {
                int64_t y0, y1, x0, x1;
                float div;
                zt_avg_window(H, W, oy, ox, n->i[0], n->i[1], n->i[2], (int)n->i[3], &y0, &y1, &x0,
                              &x1, &div);
                float g = n->out->grad[(p * OH + oy) * OW + ox] / div;
                for (int64_t yy = y0; yy < y1; yy++)
                    for (int64_t xx = x0; xx < x1; xx++) dx[(p * H + yy) * W + xx] += g;
            }
}

int zt_ref_avg_pool2d_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    zt_ref_avg_pool2d_bwd_planes(n, 0, n->src[0]->shape[0] * n->src[0]->shape[1]);
    return ZT_OK;
}
