/* graph.c: a pass over the engine: arena tensors, the tape, sticky errors,
 * op dispatch (forward at construction) and the reverse pass. */
#include "backend.h"
#include "ops.h"
#include "../util/zt.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *op_names[] = {
#define X(id, lower) #lower,
#include "ops.def"
#undef X
};
_Static_assert(sizeof op_names / sizeof op_names[0] == ZT_OP_COUNT, "op name table");

const char *zt_op_name(int op) { return op >= 0 && op < ZT_OP_COUNT ? op_names[op] : "?"; }

struct zt_graph *zt_graph_new(struct zt_engine *e, size_t arena_bytes, size_t arena_max)
{
    struct zt_graph *g = calloc(1, sizeof *g);
    if (!g) {
        zt_seterr("graph: out of memory");
        return NULL;
    }
    g->e = e;
    g->arena = zt_arena_new(arena_bytes, arena_max);
    if (!g->arena) {
        free(g);
        return NULL;
    }
    if (e->dev) { /* tensor data and grads in device memory, the rest on the host */
        struct zt_arena *d = zt_arena_new_mem(arena_bytes, arena_max, &e->dev->mem);
        if (!d) {
            zt_arena_free(g->arena);
            free(g);
            return NULL;
        }
        zt_arena_set_twin(g->arena, d);
    }
    return g;
}

struct zt_graph *zt_graph_new_nested(struct zt_graph *owner)
{
    struct zt_graph *g = calloc(1, sizeof *g);
    if (!g) {
        zt_seterr("graph: out of memory");
        return NULL;
    }
    g->e = owner->e;
    g->arena = owner->arena;
    g->borrowed = 1;
    return g;
}

void zt_graph_free(struct zt_graph *g)
{
    if (!g) return;
    if (!g->borrowed) zt_arena_free(g->arena);
    free(g);
}

void zt_graph_begin(struct zt_graph *g, int flags)
{
    /* weights reordered for inference stay valid across inference passes only */
    if (flags & ZT_GRAPH_GRAD) zt_blk_weights_changed(g->e->blk);
    if (!g->borrowed) zt_arena_reset(g->arena);
    g->tail = NULL;
    g->flags = flags;
    g->rc = ZT_OK;
    g->nnodes = 0;
}

int zt_graph_flags(const struct zt_graph *g) { return g->flags; }
int zt_graph_status(const struct zt_graph *g) { return g->rc; }
int zt_graph_tape_len(const struct zt_graph *g) { return g->nnodes; }
struct zt_arena *zt_graph_arena(struct zt_graph *g) { return g->arena; }

struct zt_tensor *zt_graph_fail(struct zt_graph *g, int rc)
{
    if (g->rc == ZT_OK) g->rc = rc ? rc : ZT_EINVAL;
    return NULL;
}

/* Tensor data and grads: the device arena on device engines. */
static float *data_alloc(struct zt_graph *g, size_t bytes)
{
    struct zt_arena *d = zt_arena_twin(g->arena);
    return zt_arena_alloc(d ? d : g->arena, bytes);
}

/* dst (tensor memory) = n bytes of host src, or zeros when src is NULL */
static int data_fill(struct zt_graph *g, void *dst, const void *src, size_t n)
{
    const struct zt_devops *d = g->e->dev;
    if (d) return src ? d->upload(d->mem.ctx, dst, src, n) : d->zero(d->mem.ctx, dst, n);
    if (src) memcpy(dst, src, n);
    else memset(dst, 0, n);
    return ZT_OK;
}

int zt_graph_on_device(const struct zt_graph *g) { return g->e->dev != NULL; }

int zt_graph_read(struct zt_graph *g, const float *src, float *dst, int64_t n)
{
    const struct zt_devops *d = g->e->dev;
    if (d) return d->download(d->mem.ctx, dst, src, (size_t)n * sizeof(float));
    memcpy(dst, src, (size_t)n * sizeof(float));
    return ZT_OK;
}

static struct zt_tensor *new_header(struct zt_graph *g, int ndim, const int64_t *shape)
{
    if (g->rc) return NULL;
    if (ndim < 0 || ndim > ZT_MAX_DIMS) {
        zt_seterr("tensor: ndim %d not in 0..%d", ndim, ZT_MAX_DIMS);
        return zt_graph_fail(g, ZT_EINVAL);
    }
    for (int i = 0; i < ndim; i++)
        if (shape[i] <= 0) {
            zt_seterr("tensor: dim %d is %lld", i, (long long)shape[i]);
            return zt_graph_fail(g, ZT_EINVAL);
        }
    struct zt_tensor *t = zt_arena_calloc(g->arena, sizeof *t);
    if (!t) return zt_graph_fail(g, ZT_ENOMEM);
    zt_tensor_set_shape(t, ndim, shape);
    return t;
}

struct zt_tensor *zt_graph_input(struct zt_graph *g, int ndim, const int64_t *shape,
                                 const float *data, int requires_grad)
{
    struct zt_tensor *t = new_header(g, ndim, shape);
    if (!t) return NULL;
    size_t bytes = (size_t)zt_tensor_numel(t) * sizeof(float);
    t->data = data_alloc(g, bytes);
    if (!t->data) return zt_graph_fail(g, ZT_ENOMEM);
    int rc = data_fill(g, t->data, data, bytes); /* the one host-to-device copy of a batch */
    if (rc) return zt_graph_fail(g, rc);
    t->requires_grad = requires_grad;
    return t;
}

struct zt_tensor *zt_graph_wrap(struct zt_graph *g, int ndim, const int64_t *shape, float *data,
                                int requires_grad)
{
    struct zt_tensor *t = new_header(g, ndim, shape);
    if (!t) return NULL;
    t->data = data;
    t->requires_grad = requires_grad;
    return t;
}

int zt_op_check(struct zt_graph *g, const char *op, int nsrc, struct zt_tensor *const *srcs,
                int nreq)
{
    if (g->rc) return g->rc;
    for (int i = 0; i < nsrc; i++) {
        if (!srcs[i]) {
            if (i < nreq) {
                zt_seterr("%s: input %d is NULL", op, i);
                zt_graph_fail(g, ZT_EINVAL);
                return g->rc;
            }
            continue;
        }
        if (!zt_tensor_is_contiguous(srcs[i])) {
            zt_seterr("%s: input %d is a strided view (ops take contiguous tensors)", op, i);
            zt_graph_fail(g, ZT_EINVAL);
            return g->rc;
        }
    }
    return ZT_OK;
}

/* --- layouts (tensor.h): which ops take blocked (nChw16c) inputs --- */

enum { L_PLAIN, L_FOLLOW, L_SAME, L_KEEP };

static int layout_rule(int op)
{
    switch (op) {
    case ZT_OP_CONV2D:
    case ZT_OP_CONV_TRANSPOSE2D: /* any x; the constructor picks the output layout */
    case ZT_OP_TO_PLAIN:
        return L_KEEP;
    case ZT_OP_BATCH_NORM: /* per channel; the cpu kernel reads both layouts */
    case ZT_OP_RELU:
    case ZT_OP_LEAKY_RELU:
    case ZT_OP_TANH:
    case ZT_OP_SIGMOID:
    case ZT_OP_SMISH:
    case ZT_OP_AFFINE:
    case ZT_OP_DROPOUT: /* elementwise (the constructor permutes the mask) */
        return L_FOLLOW;
    case ZT_OP_AXPBY:
    case ZT_OP_MUL:
    case ZT_OP_CONCAT: /* per image, channel blocks of 16 stay whole */
        return L_SAME;
    default:
        return L_PLAIN;
    }
}

struct zt_node *zt_op_node(struct zt_graph *g, int op, int ndim, const int64_t *shape, int nsrc,
                           struct zt_tensor *const *srcs)
{
    ZT_ASSERT(nsrc <= ZT_NODE_MAX_SRC);
    struct zt_tensor *in[ZT_NODE_MAX_SRC];
    int rule = layout_rule(op), layout = ZT_LAYOUT_PLAIN, mixed = 0, blocked = 0;
    for (int i = 0; i < nsrc; i++) {
        in[i] = srcs[i];
        if (!in[i]) continue;
        if (in[i]->layout != ZT_LAYOUT_PLAIN) blocked = 1;
        else mixed = 1; /* a plain input beside blocked ones */
    }
    if (blocked) {
        if (rule == L_FOLLOW) layout = in[0]->layout;
        else if (rule == L_SAME && !mixed) layout = ZT_LAYOUT_BLOCKED16;
        else if (rule != L_KEEP)
            for (int i = 0; i < nsrc; i++)
                if (in[i] && in[i]->layout != ZT_LAYOUT_PLAIN && !(in[i] = zt_to_plain(g, in[i])))
                    return NULL;
    }
    struct zt_tensor *out = new_header(g, ndim, shape);
    if (!out) return NULL;
    out->layout = layout;
    out->data = data_alloc(g, (size_t)zt_tensor_numel(out) * sizeof(float));
    struct zt_node *n = zt_arena_calloc(g->arena, sizeof *n);
    if (!out->data || !n) {
        zt_graph_fail(g, ZT_ENOMEM);
        return NULL;
    }
    n->op = op;
    n->nsrc = nsrc;
    n->out = out;
    for (int i = 0; i < nsrc; i++) {
        n->src[i] = in[i];
        if (in[i] && in[i]->requires_grad && (g->flags & ZT_GRAPH_GRAD)) out->requires_grad = 1;
    }
    return n;
}

struct zt_tensor *zt_to_plain(struct zt_graph *g, struct zt_tensor *x)
{
    if (!x || g->rc) return NULL;
    if (x->layout == ZT_LAYOUT_PLAIN) return x;
    struct zt_node *n = zt_op_node(g, ZT_OP_TO_PLAIN, x->ndim, x->shape, 1, &x);
    if (!n) return NULL;
    return zt_op_run(g, n);
}

/* --- profile (zt_engine_set_profile): wall + process CPU time per kernel --- */

static void prof_now(double t[2])
{
    struct timespec w, c;
    clock_gettime(CLOCK_MONOTONIC, &w);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
    t[0] = (double)w.tv_sec + 1e-9 * (double)w.tv_nsec;
    t[1] = (double)c.tv_sec + 1e-9 * (double)c.tv_nsec;
}

static void prof_add(struct zt_engine *e, int op, int bwd, const double t0[2])
{
    double t1[2];
    prof_now(t1);
    struct zt_prof_slot *s = &e->prof[op][bwd];
    s->calls++;
    s->wall += t1[0] - t0[0];
    s->cpu += t1[1] - t0[1];
}

static void kctx_init(struct zt_graph *g, struct zt_kctx *k)
{
    k->nthreads = g->e->nthreads;
    k->arena = g->arena;
    k->conv = &g->e->conv;
    k->blk = g->e->blk;
    k->graph_flags = g->flags;
}

struct zt_tensor *zt_op_run(struct zt_graph *g, struct zt_node *n)
{
    struct zt_kctx k;
    kctx_init(g, &k);
    double t0[2] = {0, 0};
    if (g->e->profile) prof_now(t0);
    int rc = g->e->be.fwd[n->op](&k, n);
    if (g->e->profile) prof_add(g->e, n->op, 0, t0);
    if (rc) {
        zt_adderr("%s forward", zt_op_name(n->op));
        return zt_graph_fail(g, rc);
    }
    if (n->out->requires_grad) {
        n->prev = g->tail;
        g->tail = n;
        n->out->node = n;
        g->nnodes++;
    }
    return n->out;
}

int zt_graph_backward_seed(struct zt_graph *g, struct zt_tensor *t, const float *dy)
{
    if (g->rc) return g->rc;
    if (!t) {
        zt_seterr("backward: NULL tensor");
        return g->rc = ZT_EINVAL;
    }
    if (!t->requires_grad) {
        zt_seterr("backward: the tensor does not depend on anything that requires grad");
        return g->rc = ZT_EINVAL;
    }
    int64_t nel = zt_tensor_numel(t);
    if (!t->grad) {
        t->grad = data_alloc(g, (size_t)nel * sizeof(float));
        if (!t->grad || data_fill(g, t->grad, NULL, (size_t)nel * sizeof(float)))
            return g->rc = t->grad ? ZT_EIO : ZT_ENOMEM;
    }
    const struct zt_devops *dev = g->e->dev;
    if (dev) { /* dy is host memory */
        float *d = data_alloc(g, (size_t)nel * sizeof(float));
        if (!d) return g->rc = ZT_ENOMEM;
        int rc = dev->upload(dev->mem.ctx, d, dy, (size_t)nel * sizeof(float));
        if (!rc) rc = dev->add(dev->mem.ctx, t->grad, d, nel);
        if (rc) return g->rc = rc;
    } else if (t->layout == ZT_LAYOUT_BLOCKED16) /* dy is in NCHW order */
        zt_blk16_from_plain(dy, t->grad, t->shape[0], t->shape[1], t->shape[2] * t->shape[3], 1,
                            g->e->nthreads);
    else
        for (int64_t i = 0; i < nel; i++) t->grad[i] += dy[i];
    struct zt_kctx k;
    kctx_init(g, &k);
    for (struct zt_node *n = g->tail; n; n = n->prev) {
        if (!n->out->grad) continue; /* no gradient reached this node */
        double t0[2] = {0, 0};
        if (g->e->profile) prof_now(t0);
        /* grads of activations: arena memory; zero-filled unless the kernel
         * writes a fresh one itself (bwd_fresh: src[0] only, when it is not
         * also another input of the node) */
        int own = g->e->be.bwd_fresh[n->op];
        for (int i = 0; i < n->nsrc; i++) {
            struct zt_tensor *s = n->src[i];
            if (!s || !s->requires_grad) continue;
            if (!s->grad) {
                s->grad = data_alloc(g, (size_t)zt_tensor_numel(s) * sizeof(float));
                if (!s->grad) return g->rc = ZT_ENOMEM;
                s->grad_fresh = 1;
            }
            int alias = 0; /* src[0] also another input: the kernel would add twice */
            for (int j = 1; i == 0 && j < n->nsrc; j++) alias |= n->src[j] == s;
            if (s->grad_fresh == 1 && (!own || i > 0 || alias)) {
                int rc = data_fill(g, s->grad, NULL, (size_t)zt_tensor_numel(s) * sizeof(float));
                if (rc) return g->rc = rc;
                s->grad_fresh = 0;
            } else if (s->grad_fresh == 2 && (!own || alias)) {
                s->grad_fresh = 0; /* zeros already: adding is writing */
            }
        }
        if (g->e->profile) {
            prof_add(g->e, ZT_OP_COUNT, 1, t0);
            prof_now(t0);
        }
        int rc = g->e->be.bwd[n->op](&k, n);
        if (g->e->profile) prof_add(g->e, n->op, 1, t0);
        for (int i = 0; i < n->nsrc; i++)
            if (n->src[i]) n->src[i]->grad_fresh = 0;
        if (rc) {
            zt_adderr("%s backward", zt_op_name(n->op));
            return g->rc = rc;
        }
    }
    return ZT_OK;
}

int zt_graph_backward(struct zt_graph *g, struct zt_tensor *loss)
{
    if (loss && zt_tensor_numel(loss) != 1) {
        zt_seterr("backward: loss has %lld elements, want a scalar",
                  (long long)zt_tensor_numel(loss));
        return g->rc = ZT_EINVAL;
    }
    const float one = 1.0f;
    return zt_graph_backward_seed(g, loss, &one);
}

struct zt_arena_mark zt_graph_mark(struct zt_graph *g) { return zt_arena_mark(g->arena); }

struct zt_tensor *zt_graph_release_keep(struct zt_graph *g, struct zt_arena_mark m,
                                        const struct zt_tensor *t)
{
    if (g->rc) return NULL;
    if (g->flags & ZT_GRAPH_GRAD) {
        zt_seterr("graph: release_keep in a pass that records a tape");
        return zt_graph_fail(g, ZT_EINVAL);
    }
    if (!t || !zt_tensor_is_contiguous(t)) {
        zt_seterr("graph: release_keep needs a contiguous tensor");
        return zt_graph_fail(g, ZT_EINVAL);
    }
    struct zt_tensor keep = *t;
    size_t bytes = (size_t)zt_tensor_numel(t) * sizeof(float);
    float *tmp = malloc(bytes);
    if (!tmp) {
        zt_seterr("graph: out of memory");
        return zt_graph_fail(g, ZT_ENOMEM);
    }
    int rc = zt_graph_read(g, t->data, tmp, zt_tensor_numel(t));
    if (rc) {
        free(tmp);
        return zt_graph_fail(g, rc);
    }
    zt_arena_release(g->arena, m);
    struct zt_tensor *out = zt_graph_input(g, keep.ndim, keep.shape, tmp, 0);
    free(tmp);
    if (out) {
        out->name = keep.name;
        out->layout = keep.layout;
    }
    return out;
}
