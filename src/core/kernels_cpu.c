/* kernels_cpu.c: the "cpu" backend: OpenMP-parallel kernels for the hot
 * elementwise and normalisation ops; every NULL slot falls back to the
 * reference kernel (engine.c). Elementwise work is split by index and
 * reductions stay serial per channel/plane, so results are bit-identical
 * at any thread count. Convolutions: see zt_engine_cpu_conv. */
#include "backend.h"
#include "../util/zt.h"

#include <math.h>

#define NUMEL(t) zt_tensor_numel(t)
/* below this many elements a parallel region costs more than it saves */
#define PAR_MIN 32768

#define ELEMWISE(k, cnt, body)                                                        \
    do {                                                                              \
        int64_t cnt_ = (cnt);                                                         \
        _Pragma("omp parallel for schedule(static) num_threads(k->nthreads) if (cnt_ >= PAR_MIN)") \
        for (int64_t i = 0; i < cnt_; i++) body;                                      \
    } while (0)

static int relu_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data;
    float *y = n->out->data;
    ELEMWISE(k, NUMEL(n->out), { y[i] = x[i] > 0 ? x[i] : 0.0f; });
    return ZT_OK;
}

static int relu_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    const float *y = n->out->data, *dy = n->out->grad;
    if (dx) ELEMWISE(k, NUMEL(n->out), { dx[i] += y[i] > 0 ? dy[i] : 0.0f; });
    return ZT_OK;
}

static int leaky_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data;
    float *y = n->out->data, s = n->f[0];
    ELEMWISE(k, NUMEL(n->out), { y[i] = x[i] > 0 ? x[i] : x[i] * s; });
    return ZT_OK;
}

static int leaky_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]), s = n->f[0];
    const float *x = n->src[0]->data, *dy = n->out->grad;
    if (dx) ELEMWISE(k, NUMEL(n->out), { dx[i] += x[i] > 0 ? dy[i] : dy[i] * s; });
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
    if (dx) ELEMWISE(k, NUMEL(n->out), { dx[i] += dy[i] * (1.0f - y[i] * y[i]); });
    return ZT_OK;
}

static int axpby_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *a = n->src[0]->data, *b = n->src[1]->data;
    float *y = n->out->data, al = n->f[0], be = n->f[1];
    ELEMWISE(k, NUMEL(n->out), { y[i] = al * a[i] + be * b[i]; });
    return ZT_OK;
}

static int dropout_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data, *mul = n->aux;
    float *y = n->out->data;
    ELEMWISE(k, NUMEL(n->out), { y[i] = x[i] * mul[i]; });
    return ZT_OK;
}

static int dropout_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    const float *mul = n->aux, *dy = n->out->grad;
    if (dx) ELEMWISE(k, NUMEL(n->out), { dx[i] += dy[i] * mul[i]; });
    return ZT_OK;
}

/* norms: channels / planes in parallel, each one's sums serial */

static int bn_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    int64_t C = n->src[0]->shape[1];
#pragma omp parallel for schedule(static) num_threads(k->nthreads)
    for (int64_t c = 0; c < C; c++) zt_norm_bn_fwd_channel(n, c);
    zt_norm_bn_fwd_finish(n);
    return ZT_OK;
}

static int bn_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    int64_t C = n->src[0]->shape[1];
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

const struct zt_backend zt_backend_cpu = {
    .name = "cpu",
    .fwd = {
        [ZT_OP_RELU] = relu_fwd,
        [ZT_OP_LEAKY_RELU] = leaky_fwd,
        [ZT_OP_TANH] = tanh_fwd,
        [ZT_OP_AXPBY] = axpby_fwd,
        [ZT_OP_DROPOUT] = dropout_fwd,
        [ZT_OP_BATCH_NORM] = bn_fwd,
        [ZT_OP_INSTANCE_NORM] = in_fwd,
    },
    .bwd = {
        [ZT_OP_RELU] = relu_bwd,
        [ZT_OP_LEAKY_RELU] = leaky_bwd,
        [ZT_OP_TANH] = tanh_bwd,
        [ZT_OP_DROPOUT] = dropout_bwd,
        [ZT_OP_BATCH_NORM] = bn_bwd,
        [ZT_OP_INSTANCE_NORM] = in_bwd,
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
