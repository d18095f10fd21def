/* ops_basic.c: constructors of elementwise, shape, linear-algebra,
 * reduction and loss ops. Shape checks and node arguments only. */
#include "backend.h"
#include "ops.h"
#include "../util/zt.h"

#include <string.h>

#define SRCS(...) ((struct zt_tensor *const[]){__VA_ARGS__})
#define NSRC(...) ((int)(sizeof SRCS(__VA_ARGS__) / sizeof(struct zt_tensor *)))
#define CHECK_SRCS(g, name, nreq, ...) zt_op_check(g, name, NSRC(__VA_ARGS__), SRCS(__VA_ARGS__), nreq)

static struct zt_tensor *mismatch(struct zt_graph *g, const char *op, const struct zt_tensor *a,
                                  const struct zt_tensor *b)
{
    char sa[64], sb[64];
    zt_seterr("%s: shapes %s and %s do not match", op, zt_tensor_shape_str(a, sa, sizeof sa),
              zt_tensor_shape_str(b, sb, sizeof sb));
    return zt_graph_fail(g, ZT_EINVAL);
}

static struct zt_tensor *unary(struct zt_graph *g, int op, struct zt_tensor *x, float f0, float f1)
{
    if (CHECK_SRCS(g, zt_op_name(op), 1, x)) return NULL;
    struct zt_node *n = zt_op_node(g, op, x->ndim, x->shape, 1, SRCS(x));
    if (!n) return NULL;
    n->f[0] = f0;
    n->f[1] = f1;
    return zt_op_run(g, n);
}

struct zt_tensor *zt_relu(struct zt_graph *g, struct zt_tensor *x) { return unary(g, ZT_OP_RELU, x, 0, 0); }
struct zt_tensor *zt_leaky_relu(struct zt_graph *g, struct zt_tensor *x, float slope)
{
    return unary(g, ZT_OP_LEAKY_RELU, x, slope, 0);
}
struct zt_tensor *zt_tanh(struct zt_graph *g, struct zt_tensor *x) { return unary(g, ZT_OP_TANH, x, 0, 0); }
struct zt_tensor *zt_sigmoid(struct zt_graph *g, struct zt_tensor *x) { return unary(g, ZT_OP_SIGMOID, x, 0, 0); }
struct zt_tensor *zt_scale(struct zt_graph *g, struct zt_tensor *x, float a, float b)
{
    return unary(g, ZT_OP_AFFINE, x, a, b);
}

struct zt_tensor *zt_axpby(struct zt_graph *g, float alpha, struct zt_tensor *a, float beta,
                           struct zt_tensor *b)
{
    if (CHECK_SRCS(g, "add", 2, a, b)) return NULL;
    if (!zt_tensor_same_shape(a, b)) return mismatch(g, "add", a, b);
    struct zt_node *n = zt_op_node(g, ZT_OP_AXPBY, a->ndim, a->shape, 2, SRCS(a, b));
    if (!n) return NULL;
    n->f[0] = alpha;
    n->f[1] = beta;
    return zt_op_run(g, n);
}

struct zt_tensor *zt_add(struct zt_graph *g, struct zt_tensor *a, struct zt_tensor *b)
{
    return zt_axpby(g, 1.0f, a, 1.0f, b);
}

struct zt_tensor *zt_mul(struct zt_graph *g, struct zt_tensor *a, struct zt_tensor *b)
{
    if (CHECK_SRCS(g, "mul", 2, a, b)) return NULL;
    if (!zt_tensor_same_shape(a, b)) return mismatch(g, "mul", a, b);
    struct zt_node *n = zt_op_node(g, ZT_OP_MUL, a->ndim, a->shape, 2, SRCS(a, b));
    if (!n) return NULL;
    return zt_op_run(g, n);
}

/* --- shape --- */

struct zt_tensor *zt_concat(struct zt_graph *g, int cnt, struct zt_tensor *const *xs)
{
    if (cnt < 1 || cnt > ZT_NODE_MAX_SRC) {
        zt_seterr("concat: %d inputs, want 1..%d", cnt, ZT_NODE_MAX_SRC);
        return zt_graph_fail(g, ZT_EINVAL);
    }
    if (zt_op_check(g, "concat", cnt, xs, cnt)) return NULL;
    if (xs[0]->ndim < 2) return mismatch(g, "concat (dim 1)", xs[0], xs[0]);
    int64_t shape[ZT_MAX_DIMS];
    memcpy(shape, xs[0]->shape, sizeof shape);
    shape[1] = 0;
    for (int i = 0; i < cnt; i++) {
        if (xs[i]->ndim != xs[0]->ndim) return mismatch(g, "concat", xs[0], xs[i]);
        for (int d = 0; d < xs[0]->ndim; d++)
            if (d != 1 && xs[i]->shape[d] != xs[0]->shape[d]) return mismatch(g, "concat", xs[0], xs[i]);
        shape[1] += xs[i]->shape[1];
    }
    struct zt_node *n = zt_op_node(g, ZT_OP_CONCAT, xs[0]->ndim, shape, cnt, xs);
    if (!n) return NULL;
    return zt_op_run(g, n);
}

struct zt_tensor *zt_slice(struct zt_graph *g, struct zt_tensor *x, int dim, int64_t start,
                           int64_t len)
{
    if (CHECK_SRCS(g, "slice", 1, x)) return NULL;
    if (dim < 0 || dim >= x->ndim || start < 0 || len < 1 || start + len > x->shape[dim]) {
        char s[64];
        zt_seterr("slice: dim %d [%lld, +%lld) outside %s", dim, (long long)start, (long long)len,
                  zt_tensor_shape_str(x, s, sizeof s));
        return zt_graph_fail(g, ZT_EINVAL);
    }
    int64_t shape[ZT_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[dim] = len;
    struct zt_node *n = zt_op_node(g, ZT_OP_SLICE, x->ndim, shape, 1, SRCS(x));
    if (!n) return NULL;
    n->i[0] = dim;
    n->i[1] = start;
    return zt_op_run(g, n);
}

struct zt_tensor *zt_reshape(struct zt_graph *g, struct zt_tensor *x, int ndim,
                             const int64_t *shape)
{
    if (CHECK_SRCS(g, "reshape", 1, x)) return NULL;
    int64_t sh[ZT_MAX_DIMS], known = 1, total = zt_tensor_numel(x);
    int infer = -1;
    if (ndim < 0 || ndim > ZT_MAX_DIMS) goto bad;
    for (int i = 0; i < ndim; i++) {
        sh[i] = shape[i];
        if (shape[i] == -1 && infer < 0) infer = i;
        else if (shape[i] < 1) goto bad;
        else known *= shape[i];
    }
    if (infer >= 0) {
        if (total % known) goto bad;
        sh[infer] = total / known;
    }
    struct zt_tensor tmp = {0};
    zt_tensor_set_shape(&tmp, ndim, sh);
    if (zt_tensor_numel(&tmp) != total) goto bad;
    struct zt_node *n = zt_op_node(g, ZT_OP_RESHAPE, 0, NULL, 1, SRCS(x));
    if (!n) return NULL;
    zt_tensor_set_shape(n->out, ndim, sh);
    n->out->data = n->src[0]->data; /* a view: no copy (of the plain input) */
    return zt_op_run(g, n);
bad:
    zt_seterr("reshape: cannot view %lld elements as the requested %d-D shape", (long long)total, ndim);
    return zt_graph_fail(g, ZT_EINVAL);
}

struct zt_tensor *zt_pad2d(struct zt_graph *g, struct zt_tensor *x, int left, int right, int top,
                           int bottom, int mode)
{
    if (CHECK_SRCS(g, "pad2d", 1, x)) return NULL;
    if (x->ndim != 4 || left < 0 || right < 0 || top < 0 || bottom < 0 ||
        (mode != ZT_PAD_ZERO && mode != ZT_PAD_REFLECT) ||
        (mode == ZT_PAD_REFLECT && (ZT_MAX(left, right) >= x->shape[3] ||
                                    ZT_MAX(top, bottom) >= x->shape[2]))) {
        char s[64];
        zt_seterr("pad2d: bad padding (%d, %d, %d, %d) mode %d for %s", left, right, top, bottom,
                  mode, zt_tensor_shape_str(x, s, sizeof s));
        return zt_graph_fail(g, ZT_EINVAL);
    }
    int64_t shape[4] = {x->shape[0], x->shape[1], x->shape[2] + top + bottom,
                        x->shape[3] + left + right};
    struct zt_node *n = zt_op_node(g, ZT_OP_PAD2D, 4, shape, 1, SRCS(x));
    if (!n) return NULL;
    n->i[0] = left;
    n->i[1] = right;
    n->i[2] = top;
    n->i[3] = bottom;
    n->i[4] = mode;
    return zt_op_run(g, n);
}

/* --- linear algebra and reductions --- */

static struct zt_tensor *matmul_common(struct zt_graph *g, const char *op, struct zt_tensor *a,
                                       struct zt_tensor *b, struct zt_tensor *bias, int transb)
{
    if (CHECK_SRCS(g, op, 2, a, b, bias)) return NULL;
    if (a->ndim != 2 || b->ndim != 2) return mismatch(g, op, a, b);
    int64_t k = a->shape[1], kb = transb ? b->shape[1] : b->shape[0];
    int64_t m = transb ? b->shape[0] : b->shape[1];
    if (k != kb) return mismatch(g, op, a, b);
    if (bias && (bias->ndim != 1 || bias->shape[0] != m)) return mismatch(g, op, b, bias);
    int64_t shape[2] = {a->shape[0], m};
    struct zt_node *n = zt_op_node(g, ZT_OP_MATMUL, 2, shape, 3, SRCS(a, b, bias));
    if (!n) return NULL;
    n->i[0] = transb;
    return zt_op_run(g, n);
}

struct zt_tensor *zt_matmul(struct zt_graph *g, struct zt_tensor *a, struct zt_tensor *b)
{
    return matmul_common(g, "matmul", a, b, NULL, 0);
}

struct zt_tensor *zt_linear(struct zt_graph *g, struct zt_tensor *x, struct zt_tensor *w,
                            struct zt_tensor *b)
{
    return matmul_common(g, "linear", x, w, b, 1);
}

static struct zt_tensor *reduce(struct zt_graph *g, int op, struct zt_tensor *x)
{
    if (CHECK_SRCS(g, zt_op_name(op), 1, x)) return NULL;
    struct zt_node *n = zt_op_node(g, op, 0, NULL, 1, SRCS(x));
    if (!n) return NULL;
    return zt_op_run(g, n);
}

struct zt_tensor *zt_sum(struct zt_graph *g, struct zt_tensor *x) { return reduce(g, ZT_OP_SUM, x); }
struct zt_tensor *zt_mean(struct zt_graph *g, struct zt_tensor *x) { return reduce(g, ZT_OP_MEAN, x); }

/* --- losses --- */

static struct zt_tensor *loss2(struct zt_graph *g, int op, struct zt_tensor *x,
                               struct zt_tensor *t, int need_t, float tconst)
{
    if (CHECK_SRCS(g, zt_op_name(op), need_t ? 2 : 1, x, t)) return NULL;
    if (t && !zt_tensor_same_shape(x, t)) return mismatch(g, zt_op_name(op), x, t);
    struct zt_node *n = zt_op_node(g, op, 0, NULL, 2, SRCS(x, t));
    if (!n) return NULL;
    n->f[0] = tconst;
    return zt_op_run(g, n);
}

struct zt_tensor *zt_l1_loss(struct zt_graph *g, struct zt_tensor *x, struct zt_tensor *target)
{
    return loss2(g, ZT_OP_L1_LOSS, x, target, 1, 0);
}

struct zt_tensor *zt_mse_loss(struct zt_graph *g, struct zt_tensor *x, struct zt_tensor *target)
{
    return loss2(g, ZT_OP_MSE_LOSS, x, target, 1, 0);
}

struct zt_tensor *zt_bce_logits(struct zt_graph *g, struct zt_tensor *x, struct zt_tensor *target,
                                float t)
{
    return loss2(g, ZT_OP_BCE_LOGITS, x, target, 0, t);
}
