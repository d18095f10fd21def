/* kernels_layout.c: kernels for the blocked (nChw16c) layout of engines with
  * the blocked layout: to_plain (reference kernels; no other backend needs its
 * own) and BatchNorm on nChw16c for the cpu backend, which sums every
 * channel in the same order as the NCHW kernels (kernels_ref_nn.c), so
 * both layouts give bit-identical results. */
#include "backend.h"
#include "../util/zt.h"

#include <math.h>

/* --- to_plain: y (NCHW) = x (nChw16c); dx (nChw16c) += dy --- */

int zt_ref_to_plain_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const struct zt_tensor *x = n->src[0];
    zt_blk16_to_plain(x->data, n->out->data, x->shape[0], x->shape[1], x->shape[2] * x->shape[3],
                      0, k->nthreads);
    return ZT_OK;
}

int zt_ref_to_plain_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    const struct zt_tensor *x = n->src[0];
    float *dx = ZT_GRAD(x);
    if (dx)
        zt_blk16_from_plain(n->out->grad, dx, x->shape[0], x->shape[1],
                            x->shape[2] * x->shape[3], 1, k->nthreads);
    return ZT_OK;
}

/* --- batch norm on nChw16c: one block of 16 channels per call; each
 * channel's sums run over (n, hw) in NCHW order, in double, as
 * zt_norm_bn_fwd_channel / norm_group_bwd do --- */

void zt_norm_bn_fwd_block16(struct zt_node *n, int64_t cb)
{
    const struct zt_tensor *x = n->src[0], *wt = n->src[1], *bs = n->src[2];
    struct zt_tensor *rm = n->src[3], *rv = n->src[4];
    int64_t N = x->shape[0], C = x->shape[1], HW = x->shape[2] * x->shape[3], CB = C / 16;
    int64_t M = N * HW;
    float momentum = n->f[0], eps = n->f[1];
    float *mean = (float *)n->aux + cb * 16, *invstd = (float *)n->aux2 + cb * 16;
    if (n->i[0]) {
        double s[16] = {0}, ss[16] = {0}, mu[16];
        for (int64_t i = 0; i < N; i++) {
            const float *xp = x->data + (i * CB + cb) * HW * 16;
            for (int64_t j = 0; j < HW; j++)
                for (int l = 0; l < 16; l++) s[l] += xp[j * 16 + l];
        }
        for (int l = 0; l < 16; l++) mu[l] = s[l] / (double)M;
        for (int64_t i = 0; i < N; i++) {
            const float *xp = x->data + (i * CB + cb) * HW * 16;
            for (int64_t j = 0; j < HW; j++)
                for (int l = 0; l < 16; l++) {
                    double d = xp[j * 16 + l] - mu[l];
                    ss[l] += d * d;
                }
        }
        for (int l = 0; l < 16; l++) {
            int64_t c = cb * 16 + l;
            double var = ss[l] / (double)M;
            mean[l] = (float)mu[l];
            invstd[l] = (float)(1.0 / sqrt(var + eps));
            if (n->i[1]) {
                double unbiased = M > 1 ? ss[l] / (double)(M - 1) : var;
                rm->data[c] = (float)((1.0 - momentum) * rm->data[c] + momentum * mu[l]);
                rv->data[c] = (float)((1.0 - momentum) * rv->data[c] + momentum * unbiased);
            }
        }
    } else {
        for (int l = 0; l < 16; l++) {
            int64_t c = cb * 16 + l;
            mean[l] = rm->data[c];
            invstd[l] = (float)(1.0 / sqrt((double)rv->data[c] + eps));
        }
    }
    float sc[16], sh[16];
    for (int l = 0; l < 16; l++) {
        int64_t c = cb * 16 + l;
        float g = wt ? wt->data[c] : 1.0f, b = bs ? bs->data[c] : 0.0f;
        sc[l] = invstd[l] * g;
        sh[l] = b - mean[l] * sc[l];
    }
    for (int64_t i = 0; i < N; i++) {
        const float *xp = x->data + (i * CB + cb) * HW * 16;
        float *yp = n->out->data + (i * CB + cb) * HW * 16;
        for (int64_t j = 0; j < HW; j++)
            for (int l = 0; l < 16; l++) yp[j * 16 + l] = xp[j * 16 + l] * sc[l] + sh[l];
    }
}

void zt_norm_bn_bwd_block16(struct zt_node *n, int64_t cb, int acc)
{
    const struct zt_tensor *x = n->src[0], *wt = n->src[1];
    float *dx = ZT_GRAD(x), *dw = ZT_GRAD(n->src[1]), *db = ZT_GRAD(n->src[2]);
    int64_t N = x->shape[0], C = x->shape[1], HW = x->shape[2] * x->shape[3], CB = C / 16;
    const float *mean = (const float *)n->aux + cb * 16, *invstd = (const float *)n->aux2 + cb * 16;
    const float *dy = n->out->grad;
    double a[16] = {0}, b[16] = {0};
    for (int64_t i = 0; i < N; i++) {
        int64_t o0 = (i * CB + cb) * HW * 16;
        for (int64_t j = 0; j < HW; j++)
            for (int l = 0; l < 16; l++) {
                int64_t o = o0 + j * 16 + l;
                a[l] += dy[o];
                b[l] += (double)dy[o] * ((x->data[o] - mean[l]) * invstd[l]);
            }
    }
    for (int l = 0; l < 16; l++) {
        if (dw) dw[cb * 16 + l] += (float)b[l];
        if (db) db[cb * 16 + l] += (float)a[l];
    }
    if (!dx) return;
    double m = (double)(N * HW);
    float ka[16], kb[16], gi[16];
    for (int l = 0; l < 16; l++) {
        ka[l] = (float)(a[l] / m);
        kb[l] = (float)(b[l] / m);
        gi[l] = (wt ? wt->data[cb * 16 + l] : 1.0f) * invstd[l];
    }
    int batch_stats = (int)n->i[0];
    for (int64_t i = 0; i < N; i++) {
        int64_t o0 = (i * CB + cb) * HW * 16;
        for (int64_t j = 0; j < HW; j++)
            for (int l = 0; l < 16; l++) {
                int64_t o = o0 + j * 16 + l;
                float xhat = (x->data[o] - mean[l]) * invstd[l];
                float v = batch_stats ? gi[l] * (dy[o] - ka[l] - xhat * kb[l]) : gi[l] * dy[o];
                dx[o] = acc ? dx[o] + v : v;
            }
    }
}
