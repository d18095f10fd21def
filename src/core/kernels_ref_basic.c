/* kernels_ref_basic.c: reference kernels of the elementwise, shape,
 * matmul, reduction and loss ops. Plain loops over contiguous buffers;
 * reductions accumulate in double in index order. */
#include "backend.h"
#include "kernels_index.h"
#include "ops.h"
#include "../util/zt.h"

#include <math.h>
#include <string.h>

#define NUMEL(t) zt_tensor_numel(t)

/* --- activations: y = f(x); bwd dx += dy * f'(x) --- */

int zt_ref_relu_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data;
    float *y = n->out->data;
    for (int64_t i = 0, c = NUMEL(n->out); i < c; i++) y[i] = x[i] > 0 ? x[i] : 0.0f;
    return ZT_OK;
}

int zt_ref_relu_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    const float *y = n->out->data, *dy = n->out->grad;
    if (dx)
        for (int64_t i = 0, c = NUMEL(n->out); i < c; i++) dx[i] += y[i] > 0 ? dy[i] : 0.0f;
    return ZT_OK;
}

int zt_ref_leaky_relu_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data;
    float *y = n->out->data, s = n->f[0];
    for (int64_t i = 0, c = NUMEL(n->out); i < c; i++) y[i] = x[i] > 0 ? x[i] : x[i] * s;
    return ZT_OK;
}

int zt_ref_leaky_relu_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]), s = n->f[0];
    const float *x = n->src[0]->data, *dy = n->out->grad;
    if (dx)
        for (int64_t i = 0, c = NUMEL(n->out); i < c; i++) dx[i] += x[i] > 0 ? dy[i] : dy[i] * s;
    return ZT_OK;
}

int zt_ref_tanh_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data;
    float *y = n->out->data;
    for (int64_t i = 0, c = NUMEL(n->out); i < c; i++) y[i] = tanhf(x[i]);
    return ZT_OK;
}

int zt_ref_tanh_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    const float *y = n->out->data, *dy = n->out->grad;
    if (dx)
        for (int64_t i = 0, c = NUMEL(n->out); i < c; i++) dx[i] += dy[i] * (1.0f - y[i] * y[i]);
    return ZT_OK;
}

int zt_ref_sigmoid_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data;
    float *y = n->out->data;
    for (int64_t i = 0, c = NUMEL(n->out); i < c; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
    return ZT_OK;
}

int zt_ref_sigmoid_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    const float *y = n->out->data, *dy = n->out->grad;
    if (dx)
        for (int64_t i = 0, c = NUMEL(n->out); i < c; i++) dx[i] += dy[i] * y[i] * (1.0f - y[i]);
    return ZT_OK;
}

/* --- y = alpha*a + beta*b ; y = a*b ; y = a*x + b --- */

int zt_ref_axpby_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *a = n->src[0]->data, *b = n->src[1]->data;
    float *y = n->out->data, al = n->f[0], be = n->f[1];
    for (int64_t i = 0, c = NUMEL(n->out); i < c; i++) y[i] = al * a[i] + be * b[i];
    return ZT_OK;
}

int zt_ref_axpby_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *da = ZT_GRAD(n->src[0]), *db = ZT_GRAD(n->src[1]);
    const float *dy = n->out->grad;
    int64_t c = NUMEL(n->out);
    if (da)
        for (int64_t i = 0; i < c; i++) da[i] += n->f[0] * dy[i];
    if (db)
        for (int64_t i = 0; i < c; i++) db[i] += n->f[1] * dy[i];
    return ZT_OK;
}

int zt_ref_mul_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *a = n->src[0]->data, *b = n->src[1]->data;
    float *y = n->out->data;
    for (int64_t i = 0, c = NUMEL(n->out); i < c; i++) y[i] = a[i] * b[i];
    return ZT_OK;
}

int zt_ref_mul_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *da = ZT_GRAD(n->src[0]), *db = ZT_GRAD(n->src[1]);
    const float *a = n->src[0]->data, *b = n->src[1]->data, *dy = n->out->grad;
    int64_t c = NUMEL(n->out);
    if (da)
        for (int64_t i = 0; i < c; i++) da[i] += dy[i] * b[i];
    if (db)
        for (int64_t i = 0; i < c; i++) db[i] += dy[i] * a[i];
    return ZT_OK;
}

int zt_ref_affine_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data;
    float *y = n->out->data;
    for (int64_t i = 0, c = NUMEL(n->out); i < c; i++) y[i] = n->f[0] * x[i] + n->f[1];
    return ZT_OK;
}

int zt_ref_affine_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    const float *dy = n->out->grad;
    if (dx)
        for (int64_t i = 0, c = NUMEL(n->out); i < c; i++) dx[i] += n->f[0] * dy[i];
    return ZT_OK;
}

/* --- concat along dim 1: each input is (outer=N, Ci*inner) blocks --- */

int64_t zt_concat_inner(const struct zt_tensor *t)
{
    int64_t s = 1;
    for (int d = 2; d < t->ndim; d++) s *= t->shape[d];
    return s;
}

int zt_ref_concat_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    int64_t N = n->out->shape[0], inner = zt_concat_inner(n->out), row = n->out->shape[1] * inner;
    int64_t off = 0;
    for (int s = 0; s < n->nsrc; s++) {
        int64_t blk = n->src[s]->shape[1] * inner;
        for (int64_t i = 0; i < N; i++)
            memcpy(n->out->data + i * row + off, n->src[s]->data + i * blk, (size_t)blk * sizeof(float));
        off += blk;
    }
    return ZT_OK;
}

int zt_ref_concat_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    int64_t N = n->out->shape[0], inner = zt_concat_inner(n->out), row = n->out->shape[1] * inner;
    int64_t off = 0;
    for (int s = 0; s < n->nsrc; s++) {
        int64_t blk = n->src[s]->shape[1] * inner;
        float *dx = ZT_GRAD(n->src[s]);
        if (dx)
            for (int64_t i = 0; i < N; i++)
                for (int64_t j = 0; j < blk; j++) dx[i * blk + j] += n->out->grad[i * row + off + j];
        off += blk;
    }
    return ZT_OK;
}

/* --- slice along dim d: x viewed as (outer, X_d, inner) --- */

void zt_slice_dims(const struct zt_node *n, int64_t *outer, int64_t *xd, int64_t *inner)
{
    const struct zt_tensor *x = n->src[0];
    int d = (int)n->i[0];
    *outer = 1;
    *inner = 1;
    for (int i = 0; i < d; i++) *outer *= x->shape[i];
    for (int i = d + 1; i < x->ndim; i++) *inner *= x->shape[i];
    *xd = x->shape[d];
}

int zt_ref_slice_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    int64_t outer, xd, inner, len = n->out->shape[n->i[0]], st = n->i[1];
    zt_slice_dims(n, &outer, &xd, &inner);
    for (int64_t o = 0; o < outer; o++)
        memcpy(n->out->data + o * len * inner, n->src[0]->data + (o * xd + st) * inner,
               (size_t)(len * inner) * sizeof(float));
    return ZT_OK;
}

int zt_ref_slice_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    if (!dx) return ZT_OK;
    int64_t outer, xd, inner, len = n->out->shape[n->i[0]], st = n->i[1];
    zt_slice_dims(n, &outer, &xd, &inner);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < len * inner; j++)
            dx[(o * xd + st) * inner + j] += n->out->grad[o * len * inner + j];
    return ZT_OK;
}

/* --- reshape: the output shares x's data; the gradient is copied back --- */

int zt_ref_reshape_fwd(const struct zt_kctx *k, struct zt_node *n) { return ZT_OK; }

int zt_ref_reshape_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    if (dx)
        for (int64_t i = 0, c = NUMEL(n->out); i < c; i++) dx[i] += n->out->grad[i];
    return ZT_OK;
}

/* --- pad2d: out (N, C, H+t+b, W+l+r); source index of an output pixel --- */

int zt_ref_pad2d_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const struct zt_tensor *x = n->src[0];
    int64_t P = x->shape[0] * x->shape[1], H = x->shape[2], W = x->shape[3];
    int64_t OH = n->out->shape[2], OW = n->out->shape[3];
    int mode = (int)n->i[4];
    for (int64_t p = 0; p < P; p++)
        for (int64_t oy = 0; oy < OH; oy++) {
            int64_t sy = zt_pad_src(oy, n->i[2], H, mode);
            for (int64_t ox = 0; ox < OW; ox++) {
                int64_t sx = zt_pad_src(ox, n->i[0], W, mode);
                n->out->data[(p * OH + oy) * OW + ox] =
                    sy < 0 || sx < 0 ? 0.0f : x->data[(p * H + sy) * W + sx];
            }
        }
    return ZT_OK;
}

int zt_ref_pad2d_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    const struct zt_tensor *x = n->src[0];
    float *dx = ZT_GRAD(x);
    if (!dx) return ZT_OK;
    int64_t P = x->shape[0] * x->shape[1], H = x->shape[2], W = x->shape[3];
    int64_t OH = n->out->shape[2], OW = n->out->shape[3];
    int mode = (int)n->i[4];
    for (int64_t p = 0; p < P; p++)
        for (int64_t oy = 0; oy < OH; oy++) {
            int64_t sy = zt_pad_src(oy, n->i[2], H, mode);
            for (int64_t ox = 0; ox < OW; ox++) {
                int64_t sx = zt_pad_src(ox, n->i[0], W, mode);
                if (sy >= 0 && sx >= 0) dx[(p * H + sy) * W + sx] += n->out->grad[(p * OH + oy) * OW + ox];
            }
        }
    return ZT_OK;
}

/* --- matmul: a (M, K), b (K, N) or (N, K) when transposed, bias (N) --- */

int zt_ref_matmul_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const struct zt_tensor *a = n->src[0], *b = n->src[1], *bias = n->src[2];
    int64_t M = a->shape[0], K = a->shape[1], N = n->out->shape[1];
    int tb = (int)n->i[0];
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = bias ? bias->data[j] : 0.0;
            for (int64_t q = 0; q < K; q++)
                s += (double)a->data[i * K + q] * b->data[tb ? j * K + q : q * N + j];
            n->out->data[i * N + j] = (float)s;
        }
    return ZT_OK;
}

int zt_ref_matmul_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    const struct zt_tensor *a = n->src[0], *b = n->src[1];
    float *da = ZT_GRAD(n->src[0]), *db = ZT_GRAD(n->src[1]), *dbias = ZT_GRAD(n->src[2]);
    const float *dy = n->out->grad;
    int64_t M = a->shape[0], K = a->shape[1], N = n->out->shape[1];
    int tb = (int)n->i[0];
    if (da) /* da (M, K) += dy (M, N) @ b^T */
        for (int64_t i = 0; i < M; i++)
            for (int64_t q = 0; q < K; q++) {
                double s = 0;
                for (int64_t j = 0; j < N; j++)
                    s += (double)dy[i * N + j] * b->data[tb ? j * K + q : q * N + j];
                da[i * K + q] += (float)s;
            }
    if (db) /* db (K, N) (or (N, K)) += a^T @ dy */
        for (int64_t q = 0; q < K; q++)
            for (int64_t j = 0; j < N; j++) {
                double s = 0;
                for (int64_t i = 0; i < M; i++) s += (double)a->data[i * K + q] * dy[i * N + j];
                db[tb ? j * K + q : q * N + j] += (float)s;
            }
    if (dbias)
        for (int64_t j = 0; j < N; j++) {
            double s = 0;
            for (int64_t i = 0; i < M; i++) s += dy[i * N + j];
            dbias[j] += (float)s;
        }
    return ZT_OK;
}

/* --- sum / mean of all elements -> scalar --- */

int zt_ref_sum_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    double s = 0;
    for (int64_t i = 0, c = NUMEL(n->src[0]); i < c; i++) s += n->src[0]->data[i];
    n->out->data[0] = (float)s;
    return ZT_OK;
}

int zt_ref_sum_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]), g = n->out->grad[0];
    if (dx)
        for (int64_t i = 0, c = NUMEL(n->src[0]); i < c; i++) dx[i] += g;
    return ZT_OK;
}

int zt_ref_mean_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    zt_ref_sum_fwd(k, n);
    n->out->data[0] = (float)((double)n->out->data[0] / (double)NUMEL(n->src[0]));
    return ZT_OK;
}

int zt_ref_mean_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    int64_t c = NUMEL(n->src[0]);
    float g = (float)(n->out->grad[0] / (double)c);
    if (dx)
        for (int64_t i = 0; i < c; i++) dx[i] += g;
    return ZT_OK;
}

/* --- losses: mean over elements of x vs target --- */

int zt_ref_l1_loss_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data, *t = n->src[1]->data;
    int64_t c = NUMEL(n->src[0]);
    double s = 0;
    for (int64_t i = 0; i < c; i++) s += fabsf(x[i] - t[i]);
    n->out->data[0] = (float)(s / (double)c);
    return ZT_OK;
}

int zt_ref_l1_loss_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data, *t = n->src[1]->data;
    float *dx = ZT_GRAD(n->src[0]), *dt = ZT_GRAD(n->src[1]);
    int64_t c = NUMEL(n->src[0]);
    float g = (float)(n->out->grad[0] / (double)c);
    for (int64_t i = 0; i < c; i++) {
        float d = x[i] - t[i], sg = d > 0 ? g : d < 0 ? -g : 0.0f;
        if (dx) dx[i] += sg;
        if (dt) dt[i] -= sg;
    }
    return ZT_OK;
}

int zt_ref_mse_loss_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data, *t = n->src[1]->data;
    int64_t c = NUMEL(n->src[0]);
    double s = 0;
    for (int64_t i = 0; i < c; i++) s += (double)(x[i] - t[i]) * (x[i] - t[i]);
    n->out->data[0] = (float)(s / (double)c);
    return ZT_OK;
}

int zt_ref_mse_loss_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data, *t = n->src[1]->data;
    float *dx = ZT_GRAD(n->src[0]), *dt = ZT_GRAD(n->src[1]);
    int64_t c = NUMEL(n->src[0]);
    float g = (float)(2.0 * n->out->grad[0] / (double)c);
    for (int64_t i = 0; i < c; i++) {
        float d = g * (x[i] - t[i]);
        if (dx) dx[i] += d;
        if (dt) dt[i] -= d;
    }
    return ZT_OK;
}

int zt_ref_bce_logits_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data, *t = n->src[1] ? n->src[1]->data : NULL;
    int64_t c = NUMEL(n->src[0]);
    double s = 0;
    for (int64_t i = 0; i < c; i++) {
        double xi = x[i], ti = t ? t[i] : n->f[0];
        s += (xi > 0 ? xi : 0) - xi * ti + log1p(exp(-fabs(xi)));
    }
    n->out->data[0] = (float)(s / (double)c);
    return ZT_OK;
}

int zt_ref_bce_logits_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data, *t = n->src[1] ? n->src[1]->data : NULL;
    float *dx = ZT_GRAD(n->src[0]);
    int64_t c = NUMEL(n->src[0]);
    double g = n->out->grad[0] / (double)c;
    if (dx)
        for (int64_t i = 0; i < c; i++) {
            double sig = 1.0 / (1.0 + exp(-(double)x[i]));
            dx[i] += (float)(g * (sig - (t ? t[i] : n->f[0])));
        }
    return ZT_OK;
}
