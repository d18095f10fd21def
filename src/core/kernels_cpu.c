/* kernels_cpu.c: the "cpu" backend: OpenMP kernels for the hot elementwise,
 * normalisation, concat and reduction/loss ops, oneDNN for matmul (sgemm)
 * and convolutions (zt_engine_cpu_conv); NULL slots fall back to the
 * reference kernels (engine.c). Elementwise work is split by index, norm
 * sums stay serial per channel/plane and whole-tensor sums use fixed
 * blocks: those are bit-identical at any thread count; oneDNN ones are
 * reproducible at a fixed thread count. */
#include "backend.h"
#include "../util/zt.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#define NUMEL(t) zt_tensor_numel(t)
/* below this many elements a parallel region costs more than it saves */
#define PAR_MIN 32768

#define ELEMWISE(k, cnt, ...)                                                        \
    do {                                                                              \
        int64_t cnt_ = (cnt);                                                         \
        _Pragma("omp parallel for schedule(static) num_threads(k->nthreads) if (cnt_ >= PAR_MIN)") \
        for (int64_t i = 0; i < cnt_; i++) __VA_ARGS__                                      \
    } while (0)

/* Runs body once per thread on a contiguous range [lo, hi) of [0, cnt)
 * (multiples of 64 elements): the body calls a range function whose
 * pointers are restrict-qualified, so the loops vectorise (the outlined
 * OpenMP body alone does not tell the compiler that buffers do not alias).
 * Elementwise: the result does not depend on the split. */
#define PAR_RANGE(k, cnt, lo, hi, ...)                                                  \
    do {                                                                              \
        int64_t cnt_ = (cnt);                                                         \
        int nt_ = cnt_ >= PAR_MIN ? (k)->nthreads : 1;                                 \
        _Pragma("omp parallel num_threads(nt_) if (nt_ > 1)")                         \
        {                                                                             \
            int64_t t_ = omp_get_thread_num(), T_ = omp_get_num_threads();             \
            int64_t per_ = ((cnt_ + T_ - 1) / T_ + 63) & ~(int64_t)63;                 \
            int64_t lo = ZT_MIN(cnt_, t_ * per_), hi = ZT_MIN(cnt_, lo + per_);          \
            if (lo < hi) __VA_ARGS__                                                  \
        }                                                                             \
    } while (0)

typedef const float *restrict cfp;
typedef float *restrict fp;

/* the range functions: y = f(x) (or dx += ...) over n elements */
static void relu_f(cfp x, fp y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0.0f;
}
/* backward range functions: acc 1 adds into dx, 0 writes it (fresh grads) */
static void relu_b(cfp y, cfp dy, fp dx, int64_t n, int acc)
{
    if (acc)
        for (int64_t i = 0; i < n; i++) dx[i] += y[i] > 0 ? dy[i] : 0.0f;
    else
        for (int64_t i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0.0f;
}
/* both sides computed, then selected; a branch on random signs is slow, and
 * with -ftrapping-math the compiler will not speculate x * s on its own */
#define NO_TRAP __attribute__((optimize("no-trapping-math")))
NO_TRAP static void leaky_f(cfp x, fp y, int64_t n, float s)
{
    for (int64_t i = 0; i < n; i++) {
        float a = x[i], b = x[i] * s;
        y[i] = a > 0 ? a : b;
    }
}
NO_TRAP static void leaky_b(cfp x, cfp dy, fp dx, int64_t n, float s, int acc)
{
    if (acc)
        for (int64_t i = 0; i < n; i++) {
            float a = dy[i], b = dy[i] * s;
            dx[i] += x[i] > 0 ? a : b;
        }
    else
        for (int64_t i = 0; i < n; i++) {
            float a = dy[i], b = dy[i] * s;
            dx[i] = x[i] > 0 ? a : b;
        }
}
static void mul_f(cfp a, cfp b, fp y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = a[i] * b[i];
}
static void muladd_f(cfp a, cfp b, fp y, int64_t n) /* y += a * b */
{
    for (int64_t i = 0; i < n; i++) y[i] += a[i] * b[i];
}
static void mul_or_add_f(cfp a, cfp b, fp y, int64_t n, int acc)
{
    if (acc) muladd_f(a, b, y, n);
    else mul_f(a, b, y, n);
}
static void axpby_f(cfp a, cfp b, fp y, int64_t n, float al, float be)
{
    for (int64_t i = 0; i < n; i++) y[i] = al * a[i] + be * b[i];
}
static void scaleadd_f(cfp x, fp y, int64_t n, float a) /* y += a * x */
{
    for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}
static void affine_f(cfp x, fp y, int64_t n, float a, float b)
{
    for (int64_t i = 0; i < n; i++) y[i] = a * x[i] + b;
}
static void tanh_b(cfp y, cfp dy, fp dx, int64_t n, int acc)
{
    if (acc)
        for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * (1.0f - y[i] * y[i]);
    else
        for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}
static void sigmoid_b(cfp y, cfp dy, fp dx, int64_t n)
{
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * y[i] * (1.0f - y[i]);
}

/* Smish as kernels_ref_smish.c computes it (y = x g(s), s = sigmoid(x)),
 * the same float operations in the same order: identical results */
static void smish_f(cfp x, fp y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float s = 1.0f / (1.0f + expf(-x[i]));
        y[i] = x[i] * (s * (2.0f + s) / (s * s + 2.0f * s + 2.0f));
    }
}
static void smish_b(cfp x, cfp dy, fp dx, int64_t n, int acc)
{
    for (int64_t i = 0; i < n; i++) {
        float s = 1.0f / (1.0f + expf(-x[i])), d = s * s + 2.0f * s + 2.0f;
        float g = s * (2.0f + s) / d, dg = 4.0f * (s + 1.0f) / (d * d) * s * (1.0f - s);
        float v = dy[i] * (g + x[i] * dg);
        dx[i] = acc ? dx[i] + v : v;
    }
}

static int relu_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data;
    float *y = n->out->data;
    PAR_RANGE(k, NUMEL(n->out), lo, hi, { relu_f(x + lo, y + lo, hi - lo); });
    return ZT_OK;
}

static int relu_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    const float *y = n->out->data, *dy = n->out->grad;
    int acc = !ZT_FRESH(n->src[0]);
    if (dx) PAR_RANGE(k, NUMEL(n->out), lo, hi, { relu_b(y + lo, dy + lo, dx + lo, hi - lo, acc); });
    return ZT_OK;
}

static int leaky_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data;
    float *y = n->out->data, s = n->f[0];
    PAR_RANGE(k, NUMEL(n->out), lo, hi, { leaky_f(x + lo, y + lo, hi - lo, s); });
    return ZT_OK;
}

static int leaky_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]), s = n->f[0];
    const float *x = n->src[0]->data, *dy = n->out->grad;
    int acc = !ZT_FRESH(n->src[0]);
    if (dx) PAR_RANGE(k, NUMEL(n->out), lo, hi, { leaky_b(x + lo, dy + lo, dx + lo, hi - lo, s, acc); });
    return ZT_OK;
}

static int tanh_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data;
    float *y = n->out->data;
    ELEMWISE(k, NUMEL(n->out), { y[i] = tanhf(x[i]); });
    return ZT_OK;
}

static int tanh_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    const float *y = n->out->data, *dy = n->out->grad;
    int acc = !ZT_FRESH(n->src[0]);
    if (dx) PAR_RANGE(k, NUMEL(n->out), lo, hi, { tanh_b(y + lo, dy + lo, dx + lo, hi - lo, acc); });
    return ZT_OK;
}

static int axpby_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *a = n->src[0]->data, *b = n->src[1]->data;
    float *y = n->out->data, al = n->f[0], be = n->f[1];
    PAR_RANGE(k, NUMEL(n->out), lo, hi, { axpby_f(a + lo, b + lo, y + lo, hi - lo, al, be); });
    return ZT_OK;
}

static int dropout_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data, *mul = n->aux;
    float *y = n->out->data;
    PAR_RANGE(k, NUMEL(n->out), lo, hi, { mul_f(x + lo, mul + lo, y + lo, hi - lo); });
    return ZT_OK;
}

static int dropout_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    const float *mul = n->aux, *dy = n->out->grad;
    int acc = !ZT_FRESH(n->src[0]);
    if (dx)
        PAR_RANGE(k, NUMEL(n->out), lo, hi, { mul_or_add_f(dy + lo, mul + lo, dx + lo, hi - lo, acc); });
    return ZT_OK;
}

static int smish_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data;
    float *y = n->out->data;
    PAR_RANGE(k, NUMEL(n->out), lo, hi, { smish_f(x + lo, y + lo, hi - lo); });
    return ZT_OK;
}

static int smish_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    const float *x = n->src[0]->data, *dy = n->out->grad;
    int acc = !ZT_FRESH(n->src[0]);
    if (dx) PAR_RANGE(k, NUMEL(n->out), lo, hi, { smish_b(x + lo, dy + lo, dx + lo, hi - lo, acc); });
    return ZT_OK;
}

static int sigmoid_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data;
    float *y = n->out->data;
    ELEMWISE(k, NUMEL(n->out), { y[i] = 1.0f / (1.0f + expf(-x[i])); });
    return ZT_OK;
}

static int sigmoid_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    const float *y = n->out->data, *dy = n->out->grad;
    if (dx) PAR_RANGE(k, NUMEL(n->out), lo, hi, { sigmoid_b(y + lo, dy + lo, dx + lo, hi - lo); });
    return ZT_OK;
}

/* da and db may be the same buffer (a == b): one loop each */
static int axpby_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *da = ZT_GRAD(n->src[0]), *db = ZT_GRAD(n->src[1]), al = n->f[0], be = n->f[1];
    const float *dy = n->out->grad;
    if (da) PAR_RANGE(k, NUMEL(n->out), lo, hi, { scaleadd_f(dy + lo, da + lo, hi - lo, al); });
    if (db) PAR_RANGE(k, NUMEL(n->out), lo, hi, { scaleadd_f(dy + lo, db + lo, hi - lo, be); });
    return ZT_OK;
}

static int mul_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *a = n->src[0]->data, *b = n->src[1]->data;
    float *y = n->out->data;
    PAR_RANGE(k, NUMEL(n->out), lo, hi, { mul_f(a + lo, b + lo, y + lo, hi - lo); });
    return ZT_OK;
}

static int mul_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *da = ZT_GRAD(n->src[0]), *db = ZT_GRAD(n->src[1]);
    const float *a = n->src[0]->data, *b = n->src[1]->data, *dy = n->out->grad;
    if (da) PAR_RANGE(k, NUMEL(n->out), lo, hi, { muladd_f(dy + lo, b + lo, da + lo, hi - lo); });
    if (db) PAR_RANGE(k, NUMEL(n->out), lo, hi, { muladd_f(dy + lo, a + lo, db + lo, hi - lo); });
    return ZT_OK;
}

static int affine_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data;
    float *y = n->out->data, a = n->f[0], b = n->f[1];
    PAR_RANGE(k, NUMEL(n->out), lo, hi, { affine_f(x + lo, y + lo, hi - lo, a, b); });
    return ZT_OK;
}

static int affine_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]), a = n->f[0];
    const float *dy = n->out->grad;
    if (dx) PAR_RANGE(k, NUMEL(n->out), lo, hi, { scaleadd_f(dy + lo, dx + lo, hi - lo, a); });
    return ZT_OK;
}

/* concat along dim 1: one (batch item, input) block per task; the same
 * code serves nChw16c, whose per-item data is also channel-major in blocks
 * of 16 (all inputs blocked, 16k channels each) */
static int concat_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    int64_t N = n->out->shape[0], inner = NUMEL(n->out) / (N * n->out->shape[1]);
    int64_t row = n->out->shape[1] * inner, off[ZT_NODE_MAX_SRC + 1] = {0};
    int S = n->nsrc;
    for (int s = 0; s < S; s++) off[s + 1] = off[s] + n->src[s]->shape[1] * inner;
#pragma omp parallel for collapse(2) schedule(static) num_threads(k->nthreads) if (N * row >= PAR_MIN)
    for (int64_t i = 0; i < N; i++)
        for (int s = 0; s < S; s++) {
            int64_t blk = off[s + 1] - off[s];
            memcpy(n->out->data + i * row + off[s], n->src[s]->data + i * blk,
                   (size_t)blk * sizeof(float));
        }
    return ZT_OK;
}

/* bwd_fresh: src[0]'s grad may be fresh (written, not added to) */
static int concat_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    int64_t N = n->out->shape[0], inner = NUMEL(n->out) / (N * n->out->shape[1]);
    int64_t row = n->out->shape[1] * inner, off[ZT_NODE_MAX_SRC + 1] = {0};
    int S = n->nsrc, fresh0 = ZT_FRESH(n->src[0]), alias = 0;
    for (int s = 0; s < S; s++) off[s + 1] = off[s] + n->src[s]->shape[1] * inner;
    for (int s = 0; s < S; s++) /* concat(a, a): both blocks add into one grad, serially */
        for (int t = s + 1; t < S; t++) alias |= n->src[s] == n->src[t];
#pragma omp parallel for collapse(2) schedule(static) num_threads(k->nthreads) if (N * row >= PAR_MIN && !alias)
    for (int64_t i = 0; i < N; i++)
        for (int s = 0; s < S; s++) {
            int64_t blk = off[s + 1] - off[s];
            float *dx = ZT_GRAD(n->src[s]);
            const float *g = n->out->grad + i * row + off[s];
            if (!dx) continue;
            if (s == 0 && fresh0) memcpy(dx + i * blk, g, (size_t)blk * sizeof(float));
            else
                for (int64_t j = 0; j < blk; j++) dx[i * blk + j] += g[j];
        }
    return ZT_OK;
}

/* matmul / linear through zt_sgemm (dnnl_sgemm on the engine's oneDNN
 * context): a (M, K), b (K, N) or, transposed, (N, K); bias (N) */
static int matmul_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const struct zt_tensor *a = n->src[0], *b = n->src[1], *bias = n->src[2];
    int64_t M = a->shape[0], K = a->shape[1], N = n->out->shape[1];
    int tb = (int)n->i[0];
    float *y = n->out->data;
    if (bias)
        for (int64_t i = 0; i < M; i++) memcpy(y + i * N, bias->data, (size_t)N * sizeof(float));
    zt_sgemm(k->conv->ctx, 0, tb, M, N, K, 1.0f, a->data, K, b->data, tb ? K : N,
             bias ? 1.0f : 0.0f, y, N);
    return ZT_OK;
}

static int matmul_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    const struct zt_tensor *a = n->src[0], *b = n->src[1];
    float *da = ZT_GRAD(n->src[0]), *db = ZT_GRAD(n->src[1]), *dbias = ZT_GRAD(n->src[2]);
    const float *dy = n->out->grad;
    int64_t M = a->shape[0], K = a->shape[1], N = n->out->shape[1];
    int tb = (int)n->i[0];
    void *c = k->conv->ctx;
    if (da) /* da (M, K) += dy (M, N) @ op(b)^T */
        zt_sgemm(c, 0, !tb, M, K, N, 1.0f, dy, N, b->data, tb ? K : N, 1.0f, da, K);
    if (db && !tb) /* db (K, N) += a^T @ dy */
        zt_sgemm(c, 1, 0, K, N, M, 1.0f, a->data, K, dy, N, 1.0f, db, N);
    if (db && tb) /* db (N, K) += dy^T @ a */
        zt_sgemm(c, 1, 0, N, K, M, 1.0f, dy, N, a->data, K, 1.0f, db, K);
    if (dbias)
#pragma omp parallel for schedule(static) num_threads(k->nthreads) if (M * N >= PAR_MIN)
        for (int64_t j = 0; j < N; j++) {
            double s = 0;
            for (int64_t i = 0; i < M; i++) s += dy[i * N + j];
            dbias[j] += (float)s;
        }
    return ZT_OK;
}

/* --- whole-tensor reductions: fixed 4096-element blocks summed in
 * parallel (double), block sums added in block order: the result does not
 * depend on the thread count --- */

#define BLK 4096
enum { R_SUM, R_L1, R_MSE, R_BCE };

static double block_sum(int kind, const float *x, const float *t, float tc, int64_t lo, int64_t hi)
{
    double s = 0;
    switch (kind) {
    case R_SUM:
        for (int64_t i = lo; i < hi; i++) s += x[i];
        break;
    case R_L1:
        for (int64_t i = lo; i < hi; i++) s += fabsf(x[i] - t[i]);
        break;
    case R_MSE:
        for (int64_t i = lo; i < hi; i++) s += (double)(x[i] - t[i]) * (x[i] - t[i]);
        break;
    default:
        for (int64_t i = lo; i < hi; i++) {
            double xi = x[i], ti = t ? t[i] : tc;
            s += (xi > 0 ? xi : 0) - xi * ti + log1p(exp(-fabs(xi)));
        }
    }
    return s;
}

static int reduce_fwd(const struct zt_kctx *k, struct zt_node *n, int kind, int mean)
{
    const float *x = n->src[0]->data, *t = n->nsrc > 1 && n->src[1] ? n->src[1]->data : NULL;
    int64_t cnt = NUMEL(n->src[0]), nb = (cnt + BLK - 1) / BLK;
    double *part = zt_arena_alloc(k->arena, (size_t)nb * sizeof(double));
    if (!part) return ZT_ENOMEM;
#pragma omp parallel for schedule(static) num_threads(k->nthreads) if (cnt >= PAR_MIN)
    for (int64_t b = 0; b < nb; b++)
        part[b] = block_sum(kind, x, t, n->f[0], b * BLK, b * BLK + BLK < cnt ? b * BLK + BLK : cnt);
    double s = 0;
    for (int64_t b = 0; b < nb; b++) s += part[b];
    n->out->data[0] = (float)(mean ? s / (double)cnt : s);
    return ZT_OK;
}

static int sum_fwd(const struct zt_kctx *k, struct zt_node *n) { return reduce_fwd(k, n, R_SUM, 0); }
static int mean_fwd(const struct zt_kctx *k, struct zt_node *n) { return reduce_fwd(k, n, R_SUM, 1); }
static int l1_fwd(const struct zt_kctx *k, struct zt_node *n) { return reduce_fwd(k, n, R_L1, 1); }
static int mse_fwd(const struct zt_kctx *k, struct zt_node *n) { return reduce_fwd(k, n, R_MSE, 1); }
static int bce_fwd(const struct zt_kctx *k, struct zt_node *n) { return reduce_fwd(k, n, R_BCE, 1); }

static int l1_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data, *t = n->src[1]->data;
    float *dx = ZT_GRAD(n->src[0]), *dt = ZT_GRAD(n->src[1]);
    float g = (float)(n->out->grad[0] / (double)NUMEL(n->src[0]));
    ELEMWISE(k, NUMEL(n->src[0]), {
        float d = x[i] - t[i], sg = d > 0 ? g : d < 0 ? -g : 0.0f;
        if (dx) dx[i] += sg;
        if (dt) dt[i] -= sg;
    });
    return ZT_OK;
}

static int bce_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data, *t = n->src[1] ? n->src[1]->data : NULL;
    float *dx = ZT_GRAD(n->src[0]), tc = n->f[0];
    double g = n->out->grad[0] / (double)NUMEL(n->src[0]);
    if (dx) ELEMWISE(k, NUMEL(n->src[0]), {
        double sig = 1.0 / (1.0 + exp(-(double)x[i]));
        dx[i] += (float)(g * (sig - (t ? t[i] : tc)));
    });
    return ZT_OK;
}

/* --- convolutions with blocked operands (engines with the blocked layout):
 * conv_blk.c; all-plain calls go to the engine's conv implementation
 * through the reference op kernels --- */

/* t's data (or grad) as NCHW: itself when plain, else an arena copy */
static float *as_plain(const struct zt_kctx *k, const struct zt_tensor *t, const float *p)
{
    if (t->layout == ZT_LAYOUT_PLAIN) return (float *)p;
    float *q = zt_arena_alloc(k->arena, (size_t)NUMEL(t) * sizeof(float));
    if (q)
        zt_blk16_to_plain(p, q, t->shape[0], t->shape[1], t->shape[2] * t->shape[3], 0,
                          k->nthreads);
    return q;
}

/* i[0] == 1 (small outputs, see ops_nn.c): im2col + sgemm (conv_gemm.c) on
 * plain buffers, output plain; a blocked x is converted once, and the plain
 * copy is kept in aux for backward-weights */
static int gemm_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const struct zt_tensor *x = n->src[0], *w = n->src[1], *b = n->src[2];
    float *xp = as_plain(k, x, x->data);
    float *col = zt_arena_alloc(k->arena, zt_conv_gemm_col_floats(&n->conv) * sizeof(float));
    if (!xp || !col) return ZT_ENOMEM;
    n->aux = xp;
    zt_conv_gemm_fwd(k->conv->ctx, &n->conv, xp, w->data, b ? b->data : NULL, n->out->data, col);
    return ZT_OK;
}

static int gemm_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    struct zt_tensor *x = n->src[0], *w = n->src[1], *b = n->src[2];
    float *dx = ZT_GRAD(x), *dw = ZT_GRAD(w), *db = ZT_GRAD(b);
    float *col = zt_arena_alloc(k->arena, zt_conv_gemm_col_floats(&n->conv) * sizeof(float));
    if (!col) return ZT_ENOMEM;
    int acc = !ZT_FRESH(x);
    if (dx && x->layout == ZT_LAYOUT_PLAIN) {
        zt_conv_gemm_bwd_data(k->conv->ctx, &n->conv, n->out->grad, w->data, dx, acc, col);
    } else if (dx) {
        float *t = zt_arena_alloc(k->arena, (size_t)NUMEL(x) * sizeof(float));
        if (!t) return ZT_ENOMEM;
        zt_conv_gemm_bwd_data(k->conv->ctx, &n->conv, n->out->grad, w->data, t, 0, col);
        zt_blk16_from_plain(t, dx, x->shape[0], x->shape[1], x->shape[2] * x->shape[3], acc,
                            k->nthreads);
    }
    if (dw || db) {
        int wacc = !((!dw || ZT_ZEROED(w)) && (!db || ZT_ZEROED(b)));
        if (!dw) {
            dw = zt_arena_calloc(k->arena, (size_t)NUMEL(w) * sizeof(float));
            if (!dw) return ZT_ENOMEM;
        }
        zt_conv_gemm_bwd_weights(k->conv->ctx, &n->conv, n->aux, n->out->grad, dw, db, wacc, col);
    }
    return ZT_OK;
}

static int conv_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const struct zt_tensor *x = n->src[0], *w = n->src[1], *b = n->src[2], *y = n->out;
    if (n->i[0] == 1) return gemm_fwd(k, n);
    if (x->layout == ZT_LAYOUT_PLAIN && y->layout == ZT_LAYOUT_PLAIN)
        return zt_ref_conv2d_fwd(k, n);
    int infer = !(k->graph_flags & ZT_GRAPH_GRAD);
    int rc = k->blk ? zt_blk_conv_fwd(k->blk, &n->conv, x->layout, y->layout, x->data, w->data,
                                      b ? b->data : NULL, y->data, infer)
                    : ZT_EINVAL;
    if (rc != ZT_EINVAL) return rc;
    /* oneDNN refused the shape: through NCHW copies */
    float *xp = as_plain(k, x, x->data);
    float *yp = y->layout == ZT_LAYOUT_PLAIN ? y->data
                                             : zt_arena_alloc(k->arena, (size_t)NUMEL(y) * sizeof(float));
    if (!xp || !yp) return ZT_ENOMEM;
    k->conv->fwd(k->conv->ctx, &n->conv, xp, w->data, b ? b->data : NULL, yp);
    if (yp != y->data)
        zt_blk16_from_plain(yp, y->data, y->shape[0], y->shape[1], y->shape[2] * y->shape[3], 0,
                            k->nthreads);
    return ZT_OK;
}

static int conv_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    struct zt_tensor *x = n->src[0], *w = n->src[1], *b = n->src[2], *y = n->out;
    if (n->i[0] == 1) return gemm_bwd(k, n);
    int acc = !ZT_FRESH(x);
    if (x->layout == ZT_LAYOUT_PLAIN && y->layout == ZT_LAYOUT_PLAIN) {
        if (!acc) memset(x->grad, 0, (size_t)NUMEL(x) * sizeof(float));
        return zt_ref_conv2d_bwd(k, n);
    }
    float *dx = ZT_GRAD(x), *dw = ZT_GRAD(w), *db = ZT_GRAD(b);
    const float *dy = y->grad;
    /* weight/bias grads the optimizer just zeroed: written, not added to */
    int wacc = !((!dw || ZT_ZEROED(w)) && (!db || ZT_ZEROED(b)));
    if ((dw || db) && !dw) { /* frozen weight, trainable bias: weight grad to scratch */
        dw = zt_arena_calloc(k->arena, (size_t)NUMEL(w) * sizeof(float));
        if (!dw) return ZT_ENOMEM;
    }
    int rc = ZT_OK;
    if (dx) {
        rc = k->blk ? zt_blk_conv_bwd_data(k->blk, &n->conv, x->layout, y->layout, dy, w->data, dx, acc)
                    : ZT_EINVAL;
        if (rc == ZT_EINVAL) {
            if (!acc) memset(dx, 0, (size_t)NUMEL(x) * sizeof(float));
            float *dyp = as_plain(k, y, dy);
            float *dxp = zt_arena_calloc(k->arena, (size_t)NUMEL(x) * sizeof(float));
            if (!dyp || !dxp) return ZT_ENOMEM;
            k->conv->bwd_data(k->conv->ctx, &n->conv, dyp, w->data, dxp, 0);
            if (x->layout == ZT_LAYOUT_PLAIN)
                for (int64_t i = 0; i < NUMEL(x); i++) dx[i] += dxp[i];
            else
                zt_blk16_from_plain(dxp, dx, x->shape[0], x->shape[1], x->shape[2] * x->shape[3], 1,
                                    k->nthreads);
            rc = ZT_OK;
        }
        if (rc) return rc;
    }
    if (dw) {
        rc = k->blk ? zt_blk_conv_bwd_weights(k->blk, &n->conv, x->layout, y->layout, x->data, dy,
                                              dw, db, wacc)
                    : ZT_EINVAL;
        if (rc == ZT_EINVAL) {
            float *xp = as_plain(k, x, x->data), *dyp = as_plain(k, y, dy);
            if (!xp || !dyp) return ZT_ENOMEM;
            k->conv->bwd_weights(k->conv->ctx, &n->conv, xp, dyp, dw, db, wacc);
            rc = ZT_OK;
        }
    }
    return rc;
}

/* norms: channels / planes in parallel, each one's sums serial */

static int bn_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    int64_t C = n->src[0]->shape[1];
    if (n->src[0]->layout == ZT_LAYOUT_BLOCKED16) {
#pragma omp parallel for schedule(static) num_threads(k->nthreads)
        for (int64_t cb = 0; cb < C / 16; cb++) zt_norm_bn_fwd_block16(n, cb);
        zt_norm_bn_fwd_finish(n);
        return ZT_OK;
    }
#pragma omp parallel for schedule(static) num_threads(k->nthreads)
    for (int64_t c = 0; c < C; c++) zt_norm_bn_fwd_channel(n, c);
    zt_norm_bn_fwd_finish(n);
    return ZT_OK;
}

static int bn_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    int64_t C = n->src[0]->shape[1];
    int fresh = ZT_FRESH(n->src[0]);
    if (n->src[0]->layout == ZT_LAYOUT_BLOCKED16) {
#pragma omp parallel for schedule(static) num_threads(k->nthreads)
        for (int64_t cb = 0; cb < C / 16; cb++) zt_norm_bn_bwd_block16(n, cb, !fresh);
        return ZT_OK;
    }
    if (fresh) memset(n->src[0]->grad, 0, (size_t)NUMEL(n->src[0]) * sizeof(float));
#pragma omp parallel for schedule(static) num_threads(k->nthreads)
    for (int64_t c = 0; c < C; c++) zt_norm_bn_bwd_channel(n, c);
    return ZT_OK;
}

static int in_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    int64_t P = n->src[0]->shape[0] * n->src[0]->shape[1];
#pragma omp parallel for schedule(static) num_threads(k->nthreads)
    for (int64_t p = 0; p < P; p++) zt_norm_in_fwd_plane(n, p);
    return ZT_OK;
}

static int in_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    int64_t P = n->src[0]->shape[0] * n->src[0]->shape[1];
    double *sums = zt_arena_alloc(k->arena, (size_t)(2 * P) * sizeof(double));
    if (!sums) return ZT_ENOMEM;
#pragma omp parallel for schedule(static) num_threads(k->nthreads)
    for (int64_t p = 0; p < P; p++) zt_norm_in_bwd_plane(n, p, sums);
    zt_norm_in_bwd_finish(n, sums);
    return ZT_OK;
}

/* resampling and pooling: the reference's per-plane bodies, planes split
 * across threads (each plane is computed exactly as the reference does) */
typedef void (*planes_fn)(struct zt_node *n, int64_t p0, int64_t p1);
static int by_planes(const struct zt_kctx *k, struct zt_node *n, planes_fn f)
{
    const struct zt_tensor *x = n->src[0];
    int64_t P = x->shape[0] * x->shape[1];
    int nt = NUMEL(x) + NUMEL(n->out) >= PAR_MIN && P > 1 ? k->nthreads : 1;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int64_t p = 0; p < P; p++) f(n, p, p + 1);
    return ZT_OK;
}
#define PLANES(name)                                                                   \
    static int name##_cpu(const struct zt_kctx *k, struct zt_node *n)                  \
    {                                                                                  \
        return by_planes(k, n, zt_ref_##name##_planes);                                \
    }
PLANES(upsample_bilinear_fwd)
PLANES(upsample_bilinear_bwd)
PLANES(upsample_nearest_fwd)
PLANES(upsample_nearest_bwd)
PLANES(max_pool2d_fwd)
PLANES(max_pool2d_bwd)
PLANES(avg_pool2d_fwd)
PLANES(avg_pool2d_bwd)
#undef PLANES

const struct zt_backend zt_backend_cpu = {
    .name = "cpu",
    .bwd_fresh = {
        [ZT_OP_CONV2D] = 1,
        [ZT_OP_CONV_TRANSPOSE2D] = 1,
        [ZT_OP_BATCH_NORM] = 1,
        [ZT_OP_RELU] = 1,
        [ZT_OP_LEAKY_RELU] = 1,
        [ZT_OP_TANH] = 1,
        [ZT_OP_SMISH] = 1,
        [ZT_OP_DROPOUT] = 1,
        [ZT_OP_CONCAT] = 1,
    },
    .fwd = {
        [ZT_OP_CONV2D] = conv_fwd,
        [ZT_OP_CONV_TRANSPOSE2D] = conv_fwd,
        [ZT_OP_RELU] = relu_fwd,
        [ZT_OP_LEAKY_RELU] = leaky_fwd,
        [ZT_OP_TANH] = tanh_fwd,
        [ZT_OP_AXPBY] = axpby_fwd,
        [ZT_OP_DROPOUT] = dropout_fwd,
        [ZT_OP_BATCH_NORM] = bn_fwd,
        [ZT_OP_INSTANCE_NORM] = in_fwd,
        [ZT_OP_SIGMOID] = sigmoid_fwd,
        [ZT_OP_SMISH] = smish_fwd,
        [ZT_OP_UPSAMPLE_BILINEAR] = upsample_bilinear_fwd_cpu,
        [ZT_OP_UPSAMPLE_NEAREST] = upsample_nearest_fwd_cpu,
        [ZT_OP_MAX_POOL2D] = max_pool2d_fwd_cpu,
        [ZT_OP_AVG_POOL2D] = avg_pool2d_fwd_cpu,
        [ZT_OP_MATMUL] = matmul_fwd,
        [ZT_OP_MUL] = mul_fwd,
        [ZT_OP_AFFINE] = affine_fwd,
        [ZT_OP_CONCAT] = concat_fwd,
        [ZT_OP_SUM] = sum_fwd,
        [ZT_OP_MEAN] = mean_fwd,
        [ZT_OP_L1_LOSS] = l1_fwd,
        [ZT_OP_MSE_LOSS] = mse_fwd,
        [ZT_OP_BCE_LOGITS] = bce_fwd,
    },
    .bwd = {
        [ZT_OP_CONV2D] = conv_bwd,
        [ZT_OP_CONV_TRANSPOSE2D] = conv_bwd,
        [ZT_OP_RELU] = relu_bwd,
        [ZT_OP_LEAKY_RELU] = leaky_bwd,
        [ZT_OP_TANH] = tanh_bwd,
        [ZT_OP_DROPOUT] = dropout_bwd,
        [ZT_OP_BATCH_NORM] = bn_bwd,
        [ZT_OP_INSTANCE_NORM] = in_bwd,
        [ZT_OP_SIGMOID] = sigmoid_bwd,
        [ZT_OP_SMISH] = smish_bwd,
        [ZT_OP_UPSAMPLE_BILINEAR] = upsample_bilinear_bwd_cpu,
        [ZT_OP_UPSAMPLE_NEAREST] = upsample_nearest_bwd_cpu,
        [ZT_OP_MAX_POOL2D] = max_pool2d_bwd_cpu,
        [ZT_OP_AVG_POOL2D] = avg_pool2d_bwd_cpu,
        [ZT_OP_MATMUL] = matmul_bwd,
        [ZT_OP_AXPBY] = axpby_bwd,
        [ZT_OP_MUL] = mul_bwd,
        [ZT_OP_AFFINE] = affine_bwd,
        [ZT_OP_CONCAT] = concat_bwd,
        [ZT_OP_L1_LOSS] = l1_bwd,
        [ZT_OP_BCE_LOGITS] = bce_bwd,
    },
};

/* Convolutions of the cpu backend go through oneDNN (conv_dnnl.c), with one
 * primitive cache per engine; the ref backend keeps the reference loops.
 * Without autotune the algorithm is fixed (BLOCKED) for reproducibility. */
int zt_engine_cpu_conv(struct zt_engine *e, int autotune)
{
    if (e->kind != ZT_BACKEND_CPU) return ZT_OK;
    struct zt_dnnl *d = zt_dnnl_new(e->nthreads);
    if (!d) {
        zt_adderr("engine");
        return ZT_ENOMEM;
    }
    e->conv_owned = d;
    /* AUTO picks by timing, so two runs may pick differently */
    if (zt_dnnl_set_algo(d, autotune ? ZT_DNNL_AUTO : ZT_DNNL_BLOCKED)) {
        zt_dnnl_free(d);
        e->conv_owned = NULL;
        return ZT_EINVAL;
    }
    e->conv = (struct zt_conv_impl){d, zt_conv_dnnl_fwd, zt_conv_dnnl_bwd_data,
                                    zt_conv_dnnl_bwd_weights};
    return ZT_OK;
}

void zt_engine_cpu_conv_free(struct zt_engine *e)
{
    zt_dnnl_free(e->conv_owned);
    e->conv_owned = NULL;
}
