/* ops_nn.c: constructors of the network ops: convolutions, normalisation,
 * dropout, pooling and resampling. Shape checks and node arguments only;
 * the math is in kernels_ref_*.c (and faster backends). */
#include "backend.h"
#include "ops.h"
#include "../util/zt.h"

#include <stdint.h>
#include <string.h>

#define SRCS(...) ((struct zt_tensor *const[]){__VA_ARGS__})
#define NSRC(...) ((int)(sizeof SRCS(__VA_ARGS__) / sizeof(struct zt_tensor *)))
#define CHECK_SRCS(g, name, nreq, ...) zt_op_check(g, name, NSRC(__VA_ARGS__), SRCS(__VA_ARGS__), nreq)

static struct zt_tensor *bad(struct zt_graph *g, const char *op, const char *what,
                             const struct zt_tensor *t)
{
    char s[64] = "NULL";
    if (t) zt_tensor_shape_str(t, s, sizeof s);
    zt_seterr("%s: %s %s", op, what, s);
    return zt_graph_fail(g, ZT_EINVAL);
}

static int is_vec(const struct zt_tensor *t, int64_t c)
{
    return !t || (t->ndim == 1 && t->shape[0] == c);
}

/* --- convolution --- */

/* blocked-layout engines: convolutions with fewer output pixels than this
 * run as im2col + sgemm on plain buffers (docs/internals/engine.md) */
#ifndef ZT_BLK_MIN_PIXELS
#define ZT_BLK_MIN_PIXELS 256
#endif

static struct zt_tensor *conv_common(struct zt_graph *g, int transposed, struct zt_tensor *x,
                                     struct zt_tensor *w, struct zt_tensor *b,
                                     const struct zt_conv_args *a)
{
    const char *op = transposed ? "conv_transpose2d" : "conv2d";
    if (CHECK_SRCS(g, op, 2, x, w, b)) return NULL;
    struct zt_conv_args z = {{0, 0}, {0, 0}, {0, 0}, {0, 0}, 0};
    if (!a) a = &z;
    if (x->ndim != 4) return bad(g, op, "wants x (N, C, H, W), got", x);
    if (w->ndim != 4) return bad(g, op, "wants a 4-D weight, got", w);
    for (int i = 0; i < 4; i++)
        if (x->shape[i] > INT32_MAX / 4 || w->shape[i] > INT32_MAX / 4)
            return bad(g, op, "dimension too large:", x->shape[i] > INT32_MAX / 4 ? x : w);
    struct zt_conv_desc d = {0};
    d.n = (int)x->shape[0];
    d.cin = (int)x->shape[1];
    d.h = (int)x->shape[2];
    d.w = (int)x->shape[3];
    d.groups = a->groups ? a->groups : 1;
    d.kh = (int)w->shape[2];
    d.kw = (int)w->shape[3];
    d.sh = a->stride[0] ? a->stride[0] : 1;
    d.sw = a->stride[1] ? a->stride[1] : 1;
    d.ph = a->pad[0];
    d.pw = a->pad[1];
    d.dh = a->dilation[0] ? a->dilation[0] : 1;
    d.dw = a->dilation[1] ? a->dilation[1] : 1;
    d.transposed = transposed;
    if (!transposed) {
        d.cout = (int)w->shape[0];
        if (w->shape[1] * d.groups != d.cin) return bad(g, op, "weight does not match x channels:", w);
    } else {
        d.cout = (int)(w->shape[1] * d.groups);
        if (w->shape[0] != d.cin) return bad(g, op, "weight does not match x channels:", w);
        d.oph = a->output_padding[0];
        d.opw = a->output_padding[1];
    }
    if (!is_vec(b, d.cout)) return bad(g, op, "bias shape", b);
    int rc = zt_conv_desc_init(&d);
    if (rc) {
        zt_adderr("%s", op);
        return zt_graph_fail(g, rc);
    }
    int64_t shape[4] = {d.n, d.cout, d.oh, d.ow};
    struct zt_node *n = zt_op_node(g, transposed ? ZT_OP_CONV_TRANSPOSE2D : ZT_OP_CONV2D, 4, shape,
                                   3, SRCS(x, w, b));
    if (!n) return NULL;
    n->conv = d;
    /* blocked-layout engines (kernels_cpu.c): outputs of 16x16 pixels or more
     * with 16k channels stay in nChw16c (tensor.h; oneDNN's JIT kernels, no
     * reorders of activations); smaller ones, where reordering the big
     * weights would cost more than the JIT kernels save, run as im2col +
     * sgemm on plain buffers (i[0] = 1) */
    if (g->e->blocked) {
        if ((int64_t)d.oh * d.ow < ZT_BLK_MIN_PIXELS) n->i[0] = 1;
        else if (d.cout % 16 == 0 && d.groups == 1 && !d.oph && !d.opw)
            n->out->layout = ZT_LAYOUT_BLOCKED16;
    }
    return zt_op_run(g, n);
}

struct zt_tensor *zt_conv2d(struct zt_graph *g, struct zt_tensor *x, struct zt_tensor *w,
                            struct zt_tensor *b, const struct zt_conv_args *a)
{
    return conv_common(g, 0, x, w, b, a);
}

struct zt_tensor *zt_conv_transpose2d(struct zt_graph *g, struct zt_tensor *x,
                                      struct zt_tensor *w, struct zt_tensor *b,
                                      const struct zt_conv_args *a)
{
    return conv_common(g, 1, x, w, b, a);
}

/* --- normalisation --- */

struct zt_tensor *zt_batch_norm(struct zt_graph *g, struct zt_tensor *x, struct zt_tensor *weight,
                                struct zt_tensor *bias, struct zt_tensor *running_mean,
                                struct zt_tensor *running_var,
                                struct zt_tensor *num_batches_tracked, float momentum, float eps)
{
    const char *op = "batch_norm";
    if (CHECK_SRCS(g, op, 1, x, weight, bias, running_mean, running_var, num_batches_tracked))
        return NULL;
    if (x->ndim != 4 && x->ndim != 2) return bad(g, op, "wants (N, C, H, W) or (N, C), got", x);
    int64_t c = x->shape[1];
    if (!is_vec(weight, c) || !is_vec(bias, c)) return bad(g, op, "weight/bias must be (C), x", x);
    if (!is_vec(running_mean, c) || !is_vec(running_var, c) || !running_mean != !running_var)
        return bad(g, op, "running_mean/var must both be (C) or both NULL, x", x);
    if (num_batches_tracked && zt_tensor_numel(num_batches_tracked) != 1)
        return bad(g, op, "num_batches_tracked must have 1 element, got", num_batches_tracked);
    int train = (zt_graph_flags(g) & ZT_GRAPH_TRAIN) != 0;
    int use_batch = train || !running_mean;
    int64_t m = zt_tensor_numel(x) / c;
    if (use_batch && m < 2 && train) {
        zt_seterr("batch_norm: expected more than 1 value per channel when training, x has %lld",
                  (long long)m);
        return zt_graph_fail(g, ZT_EINVAL);
    }
    struct zt_node *n = zt_op_node(g, ZT_OP_BATCH_NORM, x->ndim, x->shape, 6,
                                   SRCS(x, weight, bias, running_mean, running_var,
                                        num_batches_tracked));
    if (!n) return NULL;
    n->f[0] = momentum;
    n->f[1] = eps;
    n->i[0] = use_batch;
    n->i[1] = train && running_mean; /* update running stats */
    n->aux = zt_arena_alloc(g->arena, (size_t)c * sizeof(float));  /* mean (C) */
    n->aux2 = zt_arena_alloc(g->arena, (size_t)c * sizeof(float)); /* invstd (C) */
    if (!n->aux || !n->aux2) return zt_graph_fail(g, ZT_ENOMEM);
    return zt_op_run(g, n);
}

struct zt_tensor *zt_instance_norm(struct zt_graph *g, struct zt_tensor *x,
                                   struct zt_tensor *weight, struct zt_tensor *bias, float eps)
{
    const char *op = "instance_norm";
    if (CHECK_SRCS(g, op, 1, x, weight, bias)) return NULL;
    if (x->ndim != 4) return bad(g, op, "wants (N, C, H, W), got", x);
    int64_t c = x->shape[1], nc = x->shape[0] * c;
    if (!is_vec(weight, c) || !is_vec(bias, c)) return bad(g, op, "weight/bias must be (C), x", x);
    struct zt_node *n = zt_op_node(g, ZT_OP_INSTANCE_NORM, 4, x->shape, 3, SRCS(x, weight, bias));
    if (!n) return NULL;
    n->f[0] = eps;
    n->aux = zt_arena_alloc(g->arena, (size_t)nc * sizeof(float));  /* mean (N*C) */
    n->aux2 = zt_arena_alloc(g->arena, (size_t)nc * sizeof(float)); /* invstd (N*C) */
    if (!n->aux || !n->aux2) return zt_graph_fail(g, ZT_ENOMEM);
    return zt_op_run(g, n);
}

/* --- dropout --- */

static struct zt_tensor *dropout_common(struct zt_graph *g, struct zt_tensor *x,
                                        struct zt_tensor *mask, float p)
{
    const char *op = "dropout";
    if (!(p >= 0.0f && p < 1.0f)) {
        zt_seterr("dropout: p = %g not in [0, 1)", (double)p);
        return zt_graph_fail(g, ZT_EINVAL);
    }
    if (mask && !zt_tensor_same_shape(x, mask)) return bad(g, op, "mask must match x, mask", mask);
    if (mask && !(mask = zt_to_plain(g, mask))) return NULL;
    struct zt_node *n = zt_op_node(g, ZT_OP_DROPOUT, x->ndim, x->shape, 1, SRCS(x));
    if (!n) return NULL;
    int64_t cnt = zt_tensor_numel(x);
    float *mul = zt_arena_alloc(g->arena, (size_t)cnt * sizeof(float)); /* mask/(1-p), like x */
    if (!mul) return zt_graph_fail(g, ZT_ENOMEM);
    float scale = 1.0f / (1.0f - p);
    if (mask) {
        const float *mk = mask->data;
        if (g->e->dev) { /* device engines: the mask comes back to the host first */
            float *h = zt_arena_alloc(g->arena, (size_t)cnt * sizeof(float));
            if (!h) return zt_graph_fail(g, ZT_ENOMEM);
            int rc = zt_graph_read(g, mk, h, cnt);
            if (rc) return zt_graph_fail(g, rc);
            mk = h;
        }
        for (int64_t i = 0; i < cnt; i++) mul[i] = mk[i] != 0.0f ? scale : 0.0f;
    } else {
        /* serial draw: the mask does not depend on the thread count */
        struct zt_rng *r = zt_engine_rng(g->e);
        for (int64_t i = 0; i < cnt; i++) mul[i] = zt_rng_uniform(r) >= p ? scale : 0.0f;
    }
    if (n->out->layout == ZT_LAYOUT_BLOCKED16) { /* drawn in NCHW order, used in x's */
        float *blk = zt_arena_alloc(g->arena, (size_t)cnt * sizeof(float));
        if (!blk) return zt_graph_fail(g, ZT_ENOMEM);
        zt_blk16_from_plain(mul, blk, x->shape[0], x->shape[1], x->shape[2] * x->shape[3], 0,
                            g->e->nthreads);
        mul = blk;
    }
    n->f[0] = p;
    n->aux = mul;
    return zt_op_run(g, n);
}

struct zt_tensor *zt_dropout(struct zt_graph *g, struct zt_tensor *x, float p)
{
    if (CHECK_SRCS(g, "dropout", 1, x)) return NULL;
    if (!(zt_graph_flags(g) & ZT_GRAPH_TRAIN) || p == 0.0f) return x;
    return dropout_common(g, x, NULL, p);
}

struct zt_tensor *zt_dropout_mask(struct zt_graph *g, struct zt_tensor *x,
                                  struct zt_tensor *mask, float p)
{
    if (CHECK_SRCS(g, "dropout", 2, x, mask)) return NULL;
    return dropout_common(g, x, mask, p);
}

/* --- pooling and resampling --- */

struct zt_tensor *zt_upsample_bilinear(struct zt_graph *g, struct zt_tensor *x, int oh, int ow,
                                       int align_corners)
{
    if (CHECK_SRCS(g, "upsample_bilinear", 1, x)) return NULL;
    if (x->ndim != 4 || oh < 1 || ow < 1) return bad(g, "upsample_bilinear", "needs 4-D x and size >= 1, x", x);
    int64_t shape[4] = {x->shape[0], x->shape[1], oh, ow};
    struct zt_node *n = zt_op_node(g, ZT_OP_UPSAMPLE_BILINEAR, 4, shape, 1, SRCS(x));
    if (!n) return NULL;
    n->i[0] = align_corners != 0;
    return zt_op_run(g, n);
}

struct zt_tensor *zt_upsample_nearest(struct zt_graph *g, struct zt_tensor *x, int oh, int ow)
{
    if (CHECK_SRCS(g, "upsample_nearest", 1, x)) return NULL;
    if (x->ndim != 4 || oh < 1 || ow < 1) return bad(g, "upsample_nearest", "needs 4-D x and size >= 1, x", x);
    int64_t shape[4] = {x->shape[0], x->shape[1], oh, ow};
    struct zt_node *n = zt_op_node(g, ZT_OP_UPSAMPLE_NEAREST, 4, shape, 1, SRCS(x));
    if (!n) return NULL;
    return zt_op_run(g, n);
}

static int pool_shape(struct zt_graph *g, const char *op, const struct zt_tensor *x, int k,
                      int s, int p, int64_t *shape)
{
    if (x->ndim != 4 || k < 1 || s < 1 || p < 0 || 2 * p > k) {
        zt_seterr("%s: needs 4-D x, kernel/stride >= 1 and 0 <= pad <= kernel/2 (k %d s %d p %d)",
                  op, k, s, p);
        zt_graph_fail(g, ZT_EINVAL);
        return -1;
    }
    int64_t oh = (x->shape[2] + 2 * p - k) / s + 1, ow = (x->shape[3] + 2 * p - k) / s + 1;
    if (x->shape[2] + 2 * p < k || x->shape[3] + 2 * p < k) {
        bad(g, op, "input smaller than the kernel:", x);
        return -1;
    }
    shape[0] = x->shape[0];
    shape[1] = x->shape[1];
    shape[2] = oh;
    shape[3] = ow;
    return 0;
}

struct zt_tensor *zt_max_pool2d(struct zt_graph *g, struct zt_tensor *x, int k, int stride,
                                int pad)
{
    int64_t shape[4];
    if (CHECK_SRCS(g, "max_pool2d", 1, x)) return NULL;
    if (pool_shape(g, "max_pool2d", x, k, stride, pad, shape)) return NULL;
    struct zt_node *n = zt_op_node(g, ZT_OP_MAX_POOL2D, 4, shape, 1, SRCS(x));
    if (!n) return NULL;
    n->i[0] = k;
    n->i[1] = stride;
    n->i[2] = pad;
    /* argmax (flat index into the input plane) per output element */
    n->aux = zt_arena_alloc(g->arena, (size_t)zt_tensor_numel(n->out) * sizeof(int32_t));
    if (!n->aux) return zt_graph_fail(g, ZT_ENOMEM);
    return zt_op_run(g, n);
}

struct zt_tensor *zt_avg_pool2d(struct zt_graph *g, struct zt_tensor *x, int k, int stride,
                                int pad, int count_include_pad)
{
    int64_t shape[4];
    if (CHECK_SRCS(g, "avg_pool2d", 1, x)) return NULL;
    if (pool_shape(g, "avg_pool2d", x, k, stride, pad, shape)) return NULL;
    struct zt_node *n = zt_op_node(g, ZT_OP_AVG_POOL2D, 4, shape, 1, SRCS(x));
    if (!n) return NULL;
    n->i[0] = k;
    n->i[1] = stride;
    n->i[2] = pad;
    n->i[3] = count_include_pad != 0;
    return zt_op_run(g, n);
}
