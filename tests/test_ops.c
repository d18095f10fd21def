/* test_ops.c: every op on a table of small shapes: finite-difference
 * gradient check (reference backend), cpu backend vs reference on forward
 * output and every input gradient, and both backends vs PyTorch 1.13
 * goldens (tests/data/ops/ops.safetensors, scripts/gen_op_goldens.py). */
#include "test.h"
#include "ops_cases.h"
#include "../src/core/engine.h"
#include "../src/core/graph.h"
#include "../src/core/ops.h"
#include "../src/util/rng.h"
#include "../src/nn/safetensors.h"
#include "../src/util/zt.h"

#include <stdlib.h>
#include <string.h>

/* --- builders: one per case; x[] are the case's inputs in order --- */

#define CA(...) (&(struct zt_conv_args){__VA_ARGS__})
static struct zt_tensor *b_conv_s2p1(struct zt_graph *g, struct zt_tensor **x)
{
    return zt_conv2d(g, x[0], x[1], x[2], CA(.stride = {2, 2}, .pad = {1, 1}));
}
static struct zt_tensor *b_conv_dil_groups(struct zt_graph *g, struct zt_tensor **x)
{
    return zt_conv2d(g, x[0], x[1], x[2], CA(.pad = {2, 1}, .dilation = {2, 1}, .groups = 2));
}
static struct zt_tensor *b_conv_nobias(struct zt_graph *g, struct zt_tensor **x)
{
    return zt_conv2d(g, x[0], x[1], NULL, CA(.stride = {1, 2}));
}
static struct zt_tensor *b_convt_s2p1(struct zt_graph *g, struct zt_tensor **x)
{
    return zt_conv_transpose2d(g, x[0], x[1], x[2], CA(.stride = {2, 2}, .pad = {1, 1}));
}
static struct zt_tensor *b_convt_groups_op(struct zt_graph *g, struct zt_tensor **x)
{
    return zt_conv_transpose2d(g, x[0], x[1], x[2],
                               CA(.stride = {2, 2}, .pad = {1, 1}, .output_padding = {1, 1}, .groups = 2));
}
static struct zt_tensor *b_bn(struct zt_graph *g, struct zt_tensor **x)
{
    return zt_batch_norm(g, x[0], x[1], x[2], x[3], x[4], x[5], 0.1f, 1e-5f);
}
static struct zt_tensor *b_bn_noaffine(struct zt_graph *g, struct zt_tensor **x)
{
    return zt_batch_norm(g, x[0], NULL, NULL, x[1], x[2], NULL, 0.1f, 1e-5f);
}
static struct zt_tensor *b_in(struct zt_graph *g, struct zt_tensor **x)
{
    return zt_instance_norm(g, x[0], NULL, NULL, 1e-5f);
}
static struct zt_tensor *b_in_affine(struct zt_graph *g, struct zt_tensor **x)
{
    return zt_instance_norm(g, x[0], x[1], x[2], 1e-5f);
}
static struct zt_tensor *b_relu(struct zt_graph *g, struct zt_tensor **x) { return zt_relu(g, x[0]); }
static struct zt_tensor *b_leaky(struct zt_graph *g, struct zt_tensor **x) { return zt_leaky_relu(g, x[0], 0.2f); }
static struct zt_tensor *b_tanh(struct zt_graph *g, struct zt_tensor **x) { return zt_tanh(g, x[0]); }
static struct zt_tensor *b_sigmoid(struct zt_graph *g, struct zt_tensor **x) { return zt_sigmoid(g, x[0]); }
static struct zt_tensor *b_smish(struct zt_graph *g, struct zt_tensor **x) { return zt_smish(g, x[0]); }
static struct zt_tensor *b_dropout_mask(struct zt_graph *g, struct zt_tensor **x)
{
    return zt_dropout_mask(g, x[0], x[1], 0.3f);
}
static struct zt_tensor *b_concat(struct zt_graph *g, struct zt_tensor **x) { return zt_concat(g, 3, x); }
static struct zt_tensor *b_concat2d(struct zt_graph *g, struct zt_tensor **x) { return zt_concat(g, 2, x); }
static struct zt_tensor *b_add(struct zt_graph *g, struct zt_tensor **x) { return zt_add(g, x[0], x[1]); }
static struct zt_tensor *b_axpby(struct zt_graph *g, struct zt_tensor **x) { return zt_axpby(g, 0.5f, x[0], -2.0f, x[1]); }
static struct zt_tensor *b_mul(struct zt_graph *g, struct zt_tensor **x) { return zt_mul(g, x[0], x[1]); }
static struct zt_tensor *b_scale(struct zt_graph *g, struct zt_tensor **x) { return zt_scale(g, x[0], 2.0f, 1.0f); }
static struct zt_tensor *b_bilinear_x2(struct zt_graph *g, struct zt_tensor **x) { return zt_upsample_bilinear(g, x[0], 6, 6, 0); }
static struct zt_tensor *b_bilinear_ac(struct zt_graph *g, struct zt_tensor **x) { return zt_upsample_bilinear(g, x[0], 5, 7, 1); }
static struct zt_tensor *b_bilinear_down(struct zt_graph *g, struct zt_tensor **x) { return zt_upsample_bilinear(g, x[0], 3, 7, 0); }
static struct zt_tensor *b_nearest_x2(struct zt_graph *g, struct zt_tensor **x) { return zt_upsample_nearest(g, x[0], 6, 6); }
static struct zt_tensor *b_nearest_odd(struct zt_graph *g, struct zt_tensor **x) { return zt_upsample_nearest(g, x[0], 7, 3); }
static struct zt_tensor *b_maxpool_k3(struct zt_graph *g, struct zt_tensor **x) { return zt_max_pool2d(g, x[0], 3, 2, 1); }
static struct zt_tensor *b_maxpool_k2(struct zt_graph *g, struct zt_tensor **x) { return zt_max_pool2d(g, x[0], 2, 2, 0); }
static struct zt_tensor *b_avgpool_inc(struct zt_graph *g, struct zt_tensor **x) { return zt_avg_pool2d(g, x[0], 3, 2, 1, 1); }
static struct zt_tensor *b_avgpool_exc(struct zt_graph *g, struct zt_tensor **x) { return zt_avg_pool2d(g, x[0], 3, 2, 1, 0); }
static struct zt_tensor *b_bilinear_big(struct zt_graph *g, struct zt_tensor **x) { return zt_upsample_bilinear(g, x[0], 96, 70, 0); }
static struct zt_tensor *b_bilinear_big_ac(struct zt_graph *g, struct zt_tensor **x) { return zt_upsample_bilinear(g, x[0], 61, 96, 1); }
static struct zt_tensor *b_nearest_big(struct zt_graph *g, struct zt_tensor **x) { return zt_upsample_nearest(g, x[0], 96, 70); }
static struct zt_tensor *b_matmul(struct zt_graph *g, struct zt_tensor **x) { return zt_matmul(g, x[0], x[1]); }
static struct zt_tensor *b_linear(struct zt_graph *g, struct zt_tensor **x) { return zt_linear(g, x[0], x[1], x[2]); }
static struct zt_tensor *b_sum(struct zt_graph *g, struct zt_tensor **x) { return zt_sum(g, x[0]); }
static struct zt_tensor *b_mean(struct zt_graph *g, struct zt_tensor **x) { return zt_mean(g, x[0]); }
static struct zt_tensor *b_l1(struct zt_graph *g, struct zt_tensor **x) { return zt_l1_loss(g, x[0], x[1]); }
static struct zt_tensor *b_mse(struct zt_graph *g, struct zt_tensor **x) { return zt_mse_loss(g, x[0], x[1]); }
static struct zt_tensor *b_bce(struct zt_graph *g, struct zt_tensor **x) { return zt_bce_logits(g, x[0], x[1], 0); }
static struct zt_tensor *b_bce_const1(struct zt_graph *g, struct zt_tensor **x) { return zt_bce_logits(g, x[0], NULL, 1.0f); }
static struct zt_tensor *b_pad_zero(struct zt_graph *g, struct zt_tensor **x) { return zt_pad2d(g, x[0], 1, 2, 0, 3, ZT_PAD_ZERO); }
static struct zt_tensor *b_pad_reflect(struct zt_graph *g, struct zt_tensor **x) { return zt_pad2d(g, x[0], 2, 1, 1, 3, ZT_PAD_REFLECT); }
static struct zt_tensor *b_slice_c(struct zt_graph *g, struct zt_tensor **x) { return zt_slice(g, x[0], 1, 1, 2); }
static struct zt_tensor *b_slice_w(struct zt_graph *g, struct zt_tensor **x) { return zt_slice(g, x[0], 3, 2, 3); }
static struct zt_tensor *b_reshape(struct zt_graph *g, struct zt_tensor **x)
{
    int64_t sh[2] = {6, -1};
    return zt_tanh(g, zt_reshape(g, x[0], 2, sh));
}

#define IN(nd, a, b, c, d, init, grad) {nd, {a, b, c, d}, init, grad}
#define X4(a, b, c, d) IN(4, a, b, c, d, INIT_UNIF, 1)
#define TRAIN (ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN)

const struct opcase zt_op_cases[] = {
    {"conv2d_s2p1", 3, {X4(2, 3, 6, 6), X4(4, 3, 4, 4), IN(1, 4, 1, 1, 1, INIT_UNIF, 1)}, TRAIN, b_conv_s2p1},
    {"conv2d_dil_groups", 3, {X4(1, 4, 7, 6), X4(6, 2, 3, 3), IN(1, 6, 1, 1, 1, INIT_UNIF, 1)}, TRAIN, b_conv_dil_groups},
    {"conv2d_nobias", 2, {X4(2, 2, 5, 6), X4(3, 2, 2, 3)}, TRAIN, b_conv_nobias},
    {"conv_transpose2d_s2p1", 3, {X4(2, 4, 3, 3), X4(4, 3, 4, 4), IN(1, 3, 1, 1, 1, INIT_UNIF, 1)}, TRAIN, b_convt_s2p1},
    {"conv_transpose2d_groups_outpad", 3, {X4(1, 4, 3, 2), X4(4, 1, 3, 3), IN(1, 2, 1, 1, 1, INIT_UNIF, 1)}, TRAIN, b_convt_groups_op},
    {"batch_norm_train", 6, {X4(3, 4, 3, 3), IN(1, 4, 1, 1, 1, INIT_POS, 1), IN(1, 4, 1, 1, 1, INIT_UNIF, 1),
                             IN(1, 4, 1, 1, 1, INIT_UNIF, 0), IN(1, 4, 1, 1, 1, INIT_POS, 0), IN(0, 1, 1, 1, 1, INIT_ZERO, 0)},
     TRAIN, b_bn},
    {"batch_norm_train_1d", 6, {IN(2, 5, 3, 1, 1, INIT_UNIF, 1), IN(1, 3, 1, 1, 1, INIT_POS, 1), IN(1, 3, 1, 1, 1, INIT_UNIF, 1),
                                IN(1, 3, 1, 1, 1, INIT_UNIF, 0), IN(1, 3, 1, 1, 1, INIT_POS, 0), IN(0, 1, 1, 1, 1, INIT_ZERO, 0)},
     TRAIN, b_bn},
    {"batch_norm_eval", 6, {X4(2, 3, 3, 2), IN(1, 3, 1, 1, 1, INIT_POS, 1), IN(1, 3, 1, 1, 1, INIT_UNIF, 1),
                            IN(1, 3, 1, 1, 1, INIT_UNIF, 0), IN(1, 3, 1, 1, 1, INIT_POS, 0), IN(0, 1, 1, 1, 1, INIT_ZERO, 0)},
     ZT_GRAPH_GRAD, b_bn},
    {"batch_norm_noaffine", 3, {X4(2, 3, 2, 3), IN(1, 3, 1, 1, 1, INIT_UNIF, 0), IN(1, 3, 1, 1, 1, INIT_POS, 0)}, TRAIN, b_bn_noaffine},
    {"instance_norm", 1, {X4(2, 3, 4, 4)}, TRAIN, b_in},
    {"instance_norm_affine", 3, {X4(2, 3, 3, 4), IN(1, 3, 1, 1, 1, INIT_POS, 1), IN(1, 3, 1, 1, 1, INIT_UNIF, 1)}, TRAIN, b_in_affine},
    {"relu", 1, {IN(4, 2, 3, 4, 4, INIT_AWAY, 1)}, TRAIN, b_relu},
    {"leaky_relu", 1, {IN(4, 2, 3, 4, 4, INIT_AWAY, 1)}, TRAIN, b_leaky},
    {"tanh", 1, {X4(2, 3, 4, 4)}, TRAIN, b_tanh},
    {"sigmoid", 1, {IN(4, 2, 3, 4, 4, INIT_WIDE, 1)}, TRAIN, b_sigmoid},
    {"dropout_mask", 2, {X4(2, 3, 4, 4), IN(4, 2, 3, 4, 4, INIT_MASK, 0)}, TRAIN, b_dropout_mask},
    {"concat", 3, {X4(2, 2, 3, 3), X4(2, 3, 3, 3), X4(2, 1, 3, 3)}, TRAIN, b_concat},
    {"concat_2d", 2, {IN(2, 3, 4, 1, 1, INIT_UNIF, 1), IN(2, 3, 2, 1, 1, INIT_UNIF, 1)}, TRAIN, b_concat2d},
    {"add", 2, {X4(2, 3, 2, 2), X4(2, 3, 2, 2)}, TRAIN, b_add},
    {"axpby", 2, {X4(2, 3, 2, 2), X4(2, 3, 2, 2)}, TRAIN, b_axpby},
    {"mul", 2, {X4(2, 3, 2, 2), X4(2, 3, 2, 2)}, TRAIN, b_mul},
    {"scale", 1, {X4(2, 3, 2, 2)}, TRAIN, b_scale},
    {"upsample_bilinear_x2", 1, {X4(2, 2, 3, 3)}, TRAIN, b_bilinear_x2},
    {"upsample_bilinear_align_corners", 1, {X4(1, 2, 3, 4)}, TRAIN, b_bilinear_ac},
    {"upsample_bilinear_down", 1, {X4(1, 2, 4, 5)}, TRAIN, b_bilinear_down},
    {"upsample_nearest_x2", 1, {X4(2, 2, 3, 3)}, TRAIN, b_nearest_x2},
    {"upsample_nearest_odd", 1, {X4(1, 2, 4, 5)}, TRAIN, b_nearest_odd},
    {"max_pool2d_k3s2p1", 1, {IN(4, 2, 2, 7, 7, INIT_DISTINCT, 1)}, TRAIN, b_maxpool_k3},
    {"max_pool2d_k2s2", 1, {IN(4, 1, 2, 6, 5, INIT_DISTINCT, 1)}, TRAIN, b_maxpool_k2},
    {"avg_pool2d_incpad", 1, {X4(2, 2, 7, 6)}, TRAIN, b_avgpool_inc},
    {"avg_pool2d_excpad", 1, {X4(1, 2, 5, 7)}, TRAIN, b_avgpool_exc},
    {"matmul", 2, {IN(2, 3, 4, 1, 1, INIT_UNIF, 1), IN(2, 4, 5, 1, 1, INIT_UNIF, 1)}, TRAIN, b_matmul},
    {"linear", 3, {IN(2, 3, 4, 1, 1, INIT_UNIF, 1), IN(2, 5, 4, 1, 1, INIT_UNIF, 1), IN(1, 5, 1, 1, 1, INIT_UNIF, 1)}, TRAIN, b_linear},
    {"sum", 1, {X4(2, 3, 2, 2)}, TRAIN, b_sum},
    {"mean", 1, {X4(2, 3, 2, 2)}, TRAIN, b_mean},
    {"l1_loss", 2, {X4(2, 3, 3, 3), IN(4, 2, 3, 3, 3, INIT_OFFSET0, 1)}, TRAIN, b_l1},
    {"mse_loss", 2, {X4(2, 3, 3, 3), X4(2, 3, 3, 3)}, TRAIN, b_mse},
    {"bce_logits", 2, {IN(4, 2, 1, 3, 3, INIT_WIDE, 1), IN(4, 2, 1, 3, 3, INIT_PROB, 0)}, TRAIN, b_bce},
    {"bce_logits_const", 1, {IN(4, 2, 1, 3, 3, INIT_WIDE, 1)}, TRAIN, b_bce_const1},
    {"pad2d_zero", 1, {X4(2, 2, 3, 4)}, TRAIN, b_pad_zero},
    {"pad2d_reflect", 1, {X4(1, 2, 4, 3)}, TRAIN, b_pad_reflect},
    {"slice_channels", 1, {X4(2, 4, 2, 3)}, TRAIN, b_slice_c},
    {"slice_width", 1, {X4(2, 2, 2, 6)}, TRAIN, b_slice_w},
    {"reshape", 1, {X4(2, 3, 2, 2)}, TRAIN, b_reshape},
};
const int zt_op_ncases = (int)ZT_ARRAY_LEN(zt_op_cases);

/* --- inputs --- */

void zt_case_inputs(const struct opcase *c, uint64_t seed, float **vals)
{
    struct zt_rng r;
    zt_rng_seed(&r, seed);
    for (int i = 0; i < c->nin; i++) {
        const struct case_in *in = &c->in[i];
        int64_t n = 1;
        for (int d = 0; d < in->ndim; d++) n *= in->shape[d];
        float *v = vals[i] = malloc((size_t)n * sizeof(float));
        for (int64_t j = 0; j < n; j++) {
            float u = zt_rng_uniform(&r);
            switch (in->init) {
            case INIT_UNIF: v[j] = 2 * u - 1; break;
            case INIT_AWAY: v[j] = (u < 0.5f ? -1.0f : 1.0f) * (0.2f + 1.6f * fabsf(u - 0.5f)); break;
            case INIT_POS: v[j] = 0.5f + u; break;
            case INIT_WIDE: v[j] = 6 * u - 3; break;
            case INIT_MASK: v[j] = u < 0.3f ? 0.0f : 1.0f; break;
            case INIT_PROB: v[j] = u; break;
            case INIT_ZERO: v[j] = 0; break;
            case INIT_OFFSET0: v[j] = vals[0][j] + (u < 0.5f ? -1.0f : 1.0f) * (0.2f + u * 0.5f); break;
            case INIT_DISTINCT: v[j] = 0.0f; break;
            }
        }
        if (in->init == INIT_DISTINCT) { /* a shuffled grid: no ties, gaps of 0.05 */
            for (int64_t j = 0; j < n; j++) v[j] = 0.05f * (float)(j - n / 2);
            for (int64_t j = n - 1; j > 0; j--) {
                int64_t k = (int64_t)(zt_rng_u64(&r) % (uint64_t)(j + 1));
                float t = v[j];
                v[j] = v[k];
                v[k] = t;
            }
        }
    }
}

struct zt_tensor *zt_case_run(const struct opcase *c, struct zt_graph *g, float **vals,
                              struct zt_tensor **xs)
{
    zt_graph_begin(g, c->flags);
    for (int i = 0; i < c->nin; i++)
        xs[i] = zt_graph_input(g, c->in[i].ndim, c->in[i].shape, vals[i], c->in[i].grad);
    return c->build(g, xs);
}

static void free_vals(const struct opcase *c, float **vals)
{
    for (int i = 0; i < c->nin; i++) free(vals[i]);
}

/* L = sum(out * r) in double */
static double weighted(const struct zt_tensor *out, const float *r)
{
    double s = 0;
    for (int64_t i = 0; i < zt_tensor_numel(out); i++) s += (double)out->data[i] * r[i];
    return s;
}

/* Analytic gradients of L = sum(out * r) vs central differences, eps 1e-2
 * on float forwards; tolerance |a - n| <= 2e-3 + 2e-2 |n| (at most 40
 * sampled elements per input). */
static void gradcheck(const struct opcase *c)
{
    struct zt_engine_opts eo = {.backend = ZT_BACKEND_REF, .nthreads = 1, .seed = 7};
    struct zt_engine *e = zt_engine_new(&eo);
    struct zt_graph *g = zt_graph_new(e, 1 << 16, 0);
    float *vals[CASE_MAX_IN] = {0};
    float *ana[CASE_MAX_IN] = {0};
    float *r = NULL;
    struct zt_tensor *xs[CASE_MAX_IN];
    zt_case_inputs(c, 1234, vals);
    struct zt_tensor *out = zt_case_run(c, g, vals, xs);
    CHECK_MSG(out != NULL, "%s: %s", c->name, zt_errmsg());
    if (!out) goto done;
    int64_t no = zt_tensor_numel(out);
    r = malloc((size_t)no * sizeof(float));
    struct zt_rng rr;
    zt_rng_seed(&rr, 99);
    zt_rng_fill_uniform(&rr, r, no, -1, 1);
    CHECK_OK(zt_graph_backward_seed(g, out, r));
    for (int i = 0; i < c->nin; i++) {
        if (!c->in[i].grad) continue;
        int64_t n = zt_tensor_numel(xs[i]);
        CHECK_MSG(xs[i]->grad != NULL, "%s: input %d got no gradient", c->name, i);
        if (!xs[i]->grad) goto done;
        ana[i] = malloc((size_t)n * sizeof(float));
        memcpy(ana[i], xs[i]->grad, (size_t)n * sizeof(float));
    }
    const float eps = 1e-2f;
    for (int i = 0; i < c->nin; i++) {
        if (!c->in[i].grad) continue;
        int64_t n = zt_tensor_numel(xs[i]), step = n > 40 ? n / 40 + 1 : 1;
        int bad = 0;
        for (int64_t j = 0; j < n && bad < 3; j += step) {
            float keep = vals[i][j];
            vals[i][j] = keep + eps;
            double lp = weighted(zt_case_run(c, g, vals, xs), r);
            vals[i][j] = keep - eps;
            double lm = weighted(zt_case_run(c, g, vals, xs), r);
            vals[i][j] = keep;
            double num = (lp - lm) / (2.0 * eps), a = ana[i][j];
            if (!(fabs(a - num) <= 2e-3 + 2e-2 * fabs(num))) {
                zt_test_fail(__FILE__, __LINE__, "%s: d/dx%d[%lld]: analytic %.6g numeric %.6g",
                             c->name, i, (long long)j, a, num);
                bad++;
            }
        }
    }
done:
    for (int i = 0; i < CASE_MAX_IN; i++) free(ana[i]);
    free(r);
    free_vals(c, vals);
    zt_graph_free(g);
    zt_engine_free(e);
}

TEST(ops, gradcheck_all)
{
    for (int i = 0; i < zt_op_ncases; i++) gradcheck(&zt_op_cases[i]);
}

/* cpu backend (2 threads, oneDNN conv) vs reference: outputs and gradients
 * within 1e-5 abs + 1e-4 rel (conv through oneDNN: 1e-4 abs). */
static void cpu_vs_ref(const struct opcase *c)
{
    struct zt_engine_opts ro = {.backend = ZT_BACKEND_REF, .nthreads = 1, .seed = 7}, co = {.backend = ZT_BACKEND_CPU, .nthreads = 2, .seed = 7};
    struct zt_engine *er = zt_engine_new(&ro), *ec = zt_engine_new(&co);
    struct zt_graph *gr = zt_graph_new(er, 0, 0), *gc = zt_graph_new(ec, 0, 0);
    float *vals[CASE_MAX_IN] = {0};
    struct zt_tensor *xr[CASE_MAX_IN], *xc[CASE_MAX_IN];
    zt_case_inputs(c, 555, vals);
    struct zt_tensor *yr = zt_case_run(c, gr, vals, xr), *yc = zt_case_run(c, gc, vals, xc);
    CHECK_MSG(yr && yc, "%s: %s", c->name, zt_errmsg());
    if (!yr || !yc) goto done;
    int64_t no = zt_tensor_numel(yr);
    float *r = malloc((size_t)no * sizeof(float));
    for (int64_t i = 0; i < no; i++) r[i] = (float)((i * 7919) % 13) / 6.0f - 1.0f;
    CHECK_OK(zt_graph_backward_seed(gr, yr, r));
    CHECK_OK(zt_graph_backward_seed(gc, yc, r));
    free(r);
    double atol = strncmp(c->name, "conv", 4) ? 1e-5 : 1e-4;
    for (int64_t i = 0; i < no; i++)
        if (!(fabs(yr->data[i] - yc->data[i]) <= atol + 1e-4 * fabs(yr->data[i]))) {
            zt_test_fail(__FILE__, __LINE__, "%s: out[%lld] ref %.8g cpu %.8g", c->name,
                         (long long)i, yr->data[i], yc->data[i]);
            break;
        }
    for (int k = 0; k < c->nin; k++) {
        if (!c->in[k].grad) continue;
        for (int64_t i = 0; i < zt_tensor_numel(xr[k]); i++)
            if (!(fabs(xr[k]->grad[i] - xc[k]->grad[i]) <= atol + 1e-4 * fabs(xr[k]->grad[i]))) {
                zt_test_fail(__FILE__, __LINE__, "%s: grad%d[%lld] ref %.8g cpu %.8g", c->name, k,
                             (long long)i, xr[k]->grad[i], xc[k]->grad[i]);
                break;
            }
    }
done:
    free_vals(c, vals);
    zt_graph_free(gr);
    zt_graph_free(gc);
    zt_engine_free(er);
    zt_engine_free(ec);
}

TEST(ops, cpu_matches_ref)
{
    for (int i = 0; i < zt_op_ncases; i++) cpu_vs_ref(&zt_op_cases[i]);
}

/* Shapes past the cpu backend's parallel threshold (32768 elements), so
 * its OpenMP paths run: cpu vs ref as above, and 1 vs 3 threads bit for bit
 * (except oneDNN sgemm, which only promises that at a fixed thread count). */
#define BIG IN(4, 2, 8, 48, 48, INIT_UNIF, 1)
#define BIGA IN(4, 2, 8, 48, 48, INIT_AWAY, 1)
#define BIGV(init, g) IN(1, 8, 1, 1, 1, init, g)
static const struct opcase big_cases[] = {
    {"relu_big", 1, {BIGA}, TRAIN, b_relu},
    {"leaky_relu_big", 1, {BIGA}, TRAIN, b_leaky},
    {"tanh_big", 1, {BIG}, TRAIN, b_tanh},
    {"sigmoid_big", 1, {BIG}, TRAIN, b_sigmoid},
    {"smish_big", 1, {IN(4, 2, 8, 48, 48, INIT_WIDE, 1)}, TRAIN, b_smish},
    {"upsample_bilinear_big", 1, {BIG}, TRAIN, b_bilinear_big},
    {"upsample_bilinear_ac_big", 1, {BIG}, TRAIN, b_bilinear_big_ac},
    {"upsample_nearest_big", 1, {BIG}, TRAIN, b_nearest_big},
    {"max_pool2d_big", 1, {BIG}, TRAIN, b_maxpool_k3},
    {"avg_pool2d_big", 1, {BIG}, TRAIN, b_avgpool_inc},
    {"avg_pool2d_exc_big", 1, {BIG}, TRAIN, b_avgpool_exc},
    {"dropout_mask_big", 2, {BIG, IN(4, 2, 8, 48, 48, INIT_MASK, 0)}, TRAIN, b_dropout_mask},
    {"axpby_big", 2, {BIG, BIG}, TRAIN, b_axpby},
    {"mul_big", 2, {BIG, BIG}, TRAIN, b_mul},
    {"scale_big", 1, {BIG}, TRAIN, b_scale},
    {"concat_big", 3, {BIG, IN(4, 2, 4, 48, 48, INIT_UNIF, 1), BIG}, TRAIN, b_concat},
    {"batch_norm_train_big", 6, {BIG, BIGV(INIT_POS, 1), BIGV(INIT_UNIF, 1), BIGV(INIT_UNIF, 0),
                                 BIGV(INIT_POS, 0), IN(0, 1, 1, 1, 1, INIT_ZERO, 0)}, TRAIN, b_bn},
    {"batch_norm_eval_big", 6, {BIG, BIGV(INIT_POS, 1), BIGV(INIT_UNIF, 1), BIGV(INIT_UNIF, 0),
                                BIGV(INIT_POS, 0), IN(0, 1, 1, 1, 1, INIT_ZERO, 0)}, ZT_GRAPH_GRAD, b_bn},
    {"instance_norm_affine_big", 3, {BIG, BIGV(INIT_POS, 1), BIGV(INIT_UNIF, 1)}, TRAIN, b_in_affine},
    {"sum_big", 1, {BIG}, TRAIN, b_sum},
    {"mean_big", 1, {BIG}, TRAIN, b_mean},
    {"l1_loss_big", 2, {BIG, IN(4, 2, 8, 48, 48, INIT_OFFSET0, 1)}, TRAIN, b_l1},
    {"mse_loss_big", 2, {BIG, BIG}, TRAIN, b_mse},
    {"bce_logits_big", 2, {IN(4, 2, 8, 48, 48, INIT_WIDE, 1), IN(4, 2, 8, 48, 48, INIT_PROB, 0)}, TRAIN, b_bce},
    {"matmul_big", 2, {IN(2, 33, 70, 1, 1, INIT_UNIF, 1), IN(2, 70, 45, 1, 1, INIT_UNIF, 1)}, TRAIN, b_matmul},
    {"linear_big", 3, {IN(2, 64, 300, 1, 1, INIT_UNIF, 1), IN(2, 128, 300, 1, 1, INIT_UNIF, 1),
                       IN(1, 128, 1, 1, 1, INIT_UNIF, 1)}, TRAIN, b_linear},
    {"bce_logits_const_big", 1, {IN(4, 2, 8, 48, 48, INIT_WIDE, 1)}, TRAIN, b_bce_const1},
};

static int bitwise_equal(const struct zt_tensor *a, const struct zt_tensor *b, int grad)
{
    const float *x = grad ? a->grad : a->data, *y = grad ? b->grad : b->data;
    return x && y && !memcmp(x, y, (size_t)zt_tensor_numel(a) * sizeof(float));
}

TEST(ops, cpu_parallel_paths)
{
    for (int c = 0; c < (int)ZT_ARRAY_LEN(big_cases); c++) {
        const struct opcase *oc = &big_cases[c];
        cpu_vs_ref(oc);
        struct zt_engine_opts o1 = {.backend = ZT_BACKEND_CPU, .nthreads = 1},
                              o3 = {.backend = ZT_BACKEND_CPU, .nthreads = 3};
        struct zt_engine *e1 = zt_engine_new(&o1), *e3 = zt_engine_new(&o3);
        struct zt_graph *g1 = zt_graph_new(e1, 0, 0), *g3 = zt_graph_new(e3, 0, 0);
        float *vals[CASE_MAX_IN] = {0};
        struct zt_tensor *x1[CASE_MAX_IN], *x3[CASE_MAX_IN];
        zt_case_inputs(oc, 77, vals);
        struct zt_tensor *y1 = zt_case_run(oc, g1, vals, x1), *y3 = zt_case_run(oc, g3, vals, x3);
        int any_threads = strncmp(oc->name, "matmul", 6) && strncmp(oc->name, "linear", 6);
        CHECK_MSG(y1 && y3, "%s: %s", oc->name, zt_errmsg());
        if (y1 && y3 && any_threads) {
            CHECK_MSG(bitwise_equal(y1, y3, 0), "%s: 1 vs 3 threads differ", oc->name);
            CHECK_OK(zt_graph_backward_seed(g1, y1, y1->data));
            CHECK_OK(zt_graph_backward_seed(g3, y3, y3->data));
            for (int i = 0; i < oc->nin; i++)
                if (oc->in[i].grad)
                    CHECK_MSG(bitwise_equal(x1[i], x3[i], 1), "%s: grad %d 1 vs 3 threads", oc->name, i);
        }
        free_vals(oc, vals);
        zt_graph_free(g1);
        zt_graph_free(g3);
        zt_engine_free(e1);
        zt_engine_free(e3);
    }
}

/* --- PyTorch goldens: same cases, inputs/gy from the file; outputs,
 * gradients and mutated buffers within 1e-5 abs + 1e-4 rel (oneDNN conv:
 * 5e-5 abs) --- */

static int close_all(const char *what, const char *cname, const float *got, const float *want,
                     int64_t n, double atol, double rtol)
{
    for (int64_t i = 0; i < n; i++)
        if (!(fabs(got[i] - want[i]) <= atol + rtol * fabs(want[i]))) {
            zt_test_fail(__FILE__, __LINE__, "%s: %s[%lld] = %.8g, torch %.8g", cname, what,
                         (long long)i, got[i], want[i]);
            return 0;
        }
    return 1;
}

static const struct zt_st_tensor *golden(const struct zt_st_file *f, const char *cname,
                                         const char *key, int64_t numel)
{
    char name[128];
    snprintf(name, sizeof name, "%s.%s", cname, key);
    const struct zt_st_tensor *t = zt_st_get(f, name);
    if (t && numel >= 0 && t->numel != numel) {
        zt_test_fail(__FILE__, __LINE__, "%s: %lld elements, want %lld", name,
                     (long long)t->numel, (long long)numel);
        return NULL;
    }
    return t;
}

static void golden_case(const struct zt_st_file *f, const struct opcase *c, int backend)
{
    struct zt_engine_opts eo = {.backend = backend, .nthreads = 2, .seed = 7};
    struct zt_engine *e = zt_engine_new(&eo);
    struct zt_graph *g = zt_graph_new(e, 0, 0);
    float *vals[CASE_MAX_IN] = {0};
    struct zt_tensor *xs[CASE_MAX_IN];
    for (int i = 0; i < c->nin; i++) {
        char key[16];
        snprintf(key, sizeof key, "in%d", i);
        int64_t n = 1;
        for (int d = 0; d < c->in[i].ndim; d++) n *= c->in[i].shape[d];
        const struct zt_st_tensor *t = golden(f, c->name, key, n);
        CHECK_MSG(t != NULL, "%s: no golden %s", c->name, key);
        if (!t) goto done;
        vals[i] = t->data;
    }
    struct zt_tensor *y = zt_case_run(c, g, vals, xs);
    CHECK_MSG(y != NULL, "%s: %s", c->name, zt_errmsg());
    if (!y) goto done;
    int64_t no = zt_tensor_numel(y);
    const struct zt_st_tensor *want = golden(f, c->name, "out", no), *gy = golden(f, c->name, "gy", no);
    CHECK_MSG(want && gy, "%s: golden out/gy missing", c->name);
    if (!want || !gy) goto done;
    double atol = backend == ZT_BACKEND_CPU && !strncmp(c->name, "conv", 4) ? 5e-5 : 1e-5;
    close_all("out", c->name, y->data, want->data, no, atol, 1e-4);
    CHECK_OK(zt_graph_backward_seed(g, y, gy->data));
    for (int i = 0; i < c->nin; i++) {
        char key[16];
        int64_t n = zt_tensor_numel(xs[i]);
        snprintf(key, sizeof key, c->in[i].grad ? "grad%d" : "after%d", i);
        const struct zt_st_tensor *t = golden(f, c->name, key, n);
        if (c->in[i].grad) {
            CHECK_MSG(t && xs[i]->grad, "%s: %s missing", c->name, key);
            if (t && xs[i]->grad) close_all(key, c->name, xs[i]->grad, t->data, n, atol, 1e-4);
        } else if (t) { /* a buffer the op updates (BatchNorm running stats) */
            close_all(key, c->name, xs[i]->data, t->data, n, 1e-6, 1e-5);
        } else { /* not mutated in torch: must not be here either */
            close_all(key, c->name, xs[i]->data, vals[i], n, 0, 0);
        }
    }
done:
    zt_graph_free(g);
    zt_engine_free(e);
}

TEST(ops, torch_golden_ref)
{
    struct zt_st_file f = {0};
    char path[4200];
    snprintf(path, sizeof path, "%s/ops/ops.safetensors", zt_test_datadir());
    CHECK_OK(zt_st_load(path, &f));
    for (int i = 0; i < zt_op_ncases && f.n; i++) golden_case(&f, &zt_op_cases[i], ZT_BACKEND_REF);
    zt_st_free(&f);
}

TEST(ops, torch_golden_cpu)
{
    struct zt_st_file f = {0};
    char path[4200];
    snprintf(path, sizeof path, "%s/ops/ops.safetensors", zt_test_datadir());
    CHECK_OK(zt_st_load(path, &f));
    for (int i = 0; i < zt_op_ncases && f.n; i++) golden_case(&f, &zt_op_cases[i], ZT_BACKEND_CPU);
    zt_st_free(&f);
}
