/* backend.h: engine internals shared by the graph, the op constructors and
 * the kernels: the op enum, the recorded node, the per-backend kernel table
 * (fwd/bwd function pointers per op; NULL slot = reference kernel) and the
 * engine/graph structs. Model code includes ops.h/graph.h, not this. */
#ifndef ZT_BACKEND_H
#define ZT_BACKEND_H

#include "arena.h"
#include "conv.h"
#include "engine.h"
#include "graph.h"
#include "../util/rng.h"
#include "tensor.h"

enum zt_op {
#define X(id, lower) ZT_OP_##id,
#include "ops.def"
#undef X
    ZT_OP_COUNT
};

const char *zt_op_name(int op);

#define ZT_NODE_MAX_SRC 8

/* One recorded op. Everything in it lives in the graph's arena. */
struct zt_node {
    int op;                             /* enum zt_op */
    struct zt_node *prev;               /* previous node on the tape */
    int nsrc;
    struct zt_tensor *src[ZT_NODE_MAX_SRC]; /* inputs; optional ones may be NULL */
    struct zt_tensor *out;
    int64_t i[8];                       /* integer arguments (per op, see ops_*.c) */
    float f[4];                         /* float arguments */
    void *aux, *aux2;                   /* state saved by fwd for bwd (arena) */
    struct zt_conv_desc conv;           /* conv ops only */
};

struct zt_conv_impl {
    void *ctx;
    zt_conv_fwd_fn fwd;
    zt_conv_bwd_data_fn bwd_data;
    zt_conv_bwd_weights_fn bwd_weights;
};

struct zt_blk;

/* What a kernel may use besides its node. */
struct zt_kctx {
    int nthreads;
    struct zt_arena *arena;             /* scratch that lives until the graph resets */
    const struct zt_conv_impl *conv;
    struct zt_blk *blk;                 /* blocked-layout convolutions (conv_blk.c) or NULL */
    int graph_flags;                    /* the pass's ZT_GRAPH_* flags */
};

/* conv_blk.c: oneDNN convolutions with x/dx in layout xl and y/dy in layout
 * yl (enum zt_layout), weights and biases plain (PyTorch's layouts), for
 * engines with the blocked layout. One context per engine (not thread-safe),
 * primitives cached per (desc, direction, bias, accumulate, layouts).
 * Return ZT_OK; ZT_EINVAL when oneDNN refuses the shape or memory ran out
 * (nothing written: compute it another way); ZT_EIO when a call failed
 * after touching outputs (zt_errmsg). */
struct zt_blk *zt_blk_new(int nthreads); /* NULL + zt_errmsg on failure */
void zt_blk_free(struct zt_blk *c);      /* NULL-safe */
/* cache_w: keep the weights reordered for the next forward call with the
 * same w pointer, until zt_blk_weights_changed (inference passes only). */
int zt_blk_conv_fwd(struct zt_blk *c, const struct zt_conv_desc *d, int xl, int yl,
                    const float *x, const float *w, const float *b, float *y, int cache_w);
void zt_blk_weights_changed(struct zt_blk *c); /* NULL-safe */
int zt_blk_conv_bwd_data(struct zt_blk *c, const struct zt_conv_desc *d, int xl, int yl,
                         const float *dy, const float *w, float *dx, int accumulate);
int zt_blk_conv_bwd_weights(struct zt_blk *c, const struct zt_conv_desc *d, int xl, int yl,
                            const float *x, const float *dy, float *dw, float *db, int accumulate);

/* The gradient buffer a bwd kernel adds into for input t, or NULL. */
#define ZT_GRAD(t) ((t) && (t)->requires_grad ? (t)->grad : NULL)
/* For kernels with bwd_fresh: 1 when t's grad must be written, not added to. */
#define ZT_FRESH(t) ((t) && (t)->requires_grad && (t)->grad_fresh)
/* ... and for other inputs of such kernels: 1 when t's grad is known zero. */
#define ZT_ZEROED(t) ((t) && (t)->requires_grad && (t)->grad_fresh == 2)

/* fwd: computes n->out->data (and n->aux state) from the inputs.
 * bwd: adds dL/dsrc into src[i]->grad for every src[i] with a non-NULL grad
 * (the graph allocates them zeroed), from n->out->grad.
 * Both return ZT_OK or a code with zt_seterr. */
typedef int (*zt_kernel_fn)(const struct zt_kctx *k, struct zt_node *n);

struct zt_backend {
    const char *name;
    zt_kernel_fn fwd[ZT_OP_COUNT];
    zt_kernel_fn bwd[ZT_OP_COUNT];
    /* 1: the bwd kernel handles src[0]'s grad when it is fresh
     * (t->grad_fresh: allocated, uninitialised, or known zero) itself,
     * writing instead of adding (or zeroing first), and may write instead of
     * add into other inputs' known-zero grads (ZT_ZEROED); other inputs'
     * uninitialised grads, and every one for 0, are zero-filled by the graph
     * before the call */
    unsigned char bwd_fresh[ZT_OP_COUNT];
};

/* Reference kernels: one fwd/bwd pair per op (kernels_ref_*.c). */
#define X(id, lower)                                                       \
    int zt_ref_##lower##_fwd(const struct zt_kctx *k, struct zt_node *n); \
    int zt_ref_##lower##_bwd(const struct zt_kctx *k, struct zt_node *n);
#include "ops.def"
#undef X

/* Shape helpers of the concat and slice kernels (kernels_ref_basic.c), for
 * every backend: elements per channel of t (product of dims 2..), and x of
 * a slice node viewed as (outer, X_d, inner) around the sliced dim d. */
int64_t zt_concat_inner(const struct zt_tensor *t);
void zt_slice_dims(const struct zt_node *n, int64_t *outer, int64_t *xd, int64_t *inner);

/* Per-channel / per-plane pieces of the norm kernels, shared by the ref
 * and cpu backends (kernels_ref_nn.c). */
void zt_norm_bn_fwd_channel(struct zt_node *n, int64_t c);
void zt_norm_bn_fwd_finish(struct zt_node *n);
void zt_norm_bn_bwd_channel(struct zt_node *n, int64_t c);
void zt_norm_in_fwd_plane(struct zt_node *n, int64_t p);
void zt_norm_in_bwd_plane(struct zt_node *n, int64_t p, double *sums);
void zt_norm_in_bwd_finish(struct zt_node *n, const double *sums);
/* Resampling and pooling work plane by plane ((n, c) of x and of the output,
 * nothing shared): the reference kernels over planes [p0, p1), which the cpu
 * backend splits across threads (kernels_ref_nn.c). */
void zt_ref_upsample_bilinear_fwd_planes(struct zt_node *n, int64_t p0, int64_t p1);
void zt_ref_upsample_bilinear_bwd_planes(struct zt_node *n, int64_t p0, int64_t p1);
void zt_ref_upsample_nearest_fwd_planes(struct zt_node *n, int64_t p0, int64_t p1);
void zt_ref_upsample_nearest_bwd_planes(struct zt_node *n, int64_t p0, int64_t p1);
void zt_ref_max_pool2d_fwd_planes(struct zt_node *n, int64_t p0, int64_t p1);
void zt_ref_max_pool2d_bwd_planes(struct zt_node *n, int64_t p0, int64_t p1);
void zt_ref_avg_pool2d_fwd_planes(struct zt_node *n, int64_t p0, int64_t p1);
void zt_ref_avg_pool2d_bwd_planes(struct zt_node *n, int64_t p0, int64_t p1);
/* The same for one block cb of 16 channels of an nChw16c x (kernels_layout.c;
 * bit-identical to the per-channel NCHW functions). */
void zt_norm_bn_fwd_block16(struct zt_node *n, int64_t cb);
void zt_norm_bn_bwd_block16(struct zt_node *n, int64_t cb, int acc); /* acc 0: write dx */

extern const struct zt_backend zt_backend_ref; /* immutable tables */
extern const struct zt_backend zt_backend_cpu;

/* Device memory of a GPU backend (kernels_cuda.c), for the graph and the
 * parameter lists: block allocator for graph arenas (mem), copies (n bytes;
 * download waits for the device's queued work) and zero-fill. Each returns
 * ZT_OK or ZT_EIO with zt_errmsg. */
struct zt_devops {
    struct zt_arena_mem mem;
    int (*upload)(void *ctx, void *dst, const void *src, size_t n);
    int (*download)(void *ctx, void *dst, const void *src, size_t n);
    int (*zero)(void *ctx, void *p, size_t n);
    int (*add)(void *ctx, float *dst, const float *src, int64_t n); /* device dst += src */
    /* fused Adam over n elements (k: zt_engine_adam's constants) */
    int (*adam)(void *ctx, int64_t n, float *p, float *g, float *m, float *v, const float *k);
    int64_t (*used)(void *ctx); /* device memory in use (whole device), -1 unknown */
};

struct zt_engine {
    struct zt_backend be;               /* resolved: no NULL slots */
    const struct zt_devops *dev;        /* device memory (cuda backend), NULL for host memory */
    int kind;                           /* enum zt_backend_kind */
    int nthreads;
    struct zt_conv_impl conv;
    void *conv_owned;                   /* struct zt_dnnl * when the cpu backend made one */
    int blocked;                        /* zt_engine_set_blocked_layout: conv outputs in nChw16c */
    struct zt_blk *blk;                 /* owned, made by the first set_blocked_layout(1) */
    struct zt_rng rng;                  /* dropout */
    int profile;                        /* zt_engine_set_profile: time every kernel call */
    struct zt_prof_slot {
        int64_t calls;
        double wall, cpu;
    } prof[ZT_OP_COUNT + 1][2];         /* [op][bwd]; [ZT_OP_COUNT][1]: grad zero-fill */
};

/* kernels_cpu.c: installs the cpu backend's conv implementation (oneDNN,
 * autotuned or one fixed algorithm) into e->conv when e->kind is
 * ZT_BACKEND_CPU; frees it. */
int zt_engine_cpu_conv(struct zt_engine *e, int autotune);
void zt_engine_cpu_conv_free(struct zt_engine *e);
/* kernels_cuda.c (CUDA builds): the cuda backend's table, and its device
 * context (stream, cuBLAS, cuDNN, e->dev) made and freed with the engine. */
extern const struct zt_backend zt_backend_cuda;
int zt_engine_cuda_init(struct zt_engine *e, int tf32);
void zt_engine_cuda_free(struct zt_engine *e);

struct zt_graph {
    struct zt_engine *e;
    struct zt_arena *arena;
    struct zt_node *tail;               /* last taped node */
    int flags;                          /* ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN */
    int rc;                             /* first failure (sticky), ZT_OK */
    int nnodes;
    int borrowed;                       /* arena is another graph's (zt_graph_new_nested) */
};

/* For op constructors (ops_*.c): */
/* Fails the graph (sticky) with rc; returns NULL for convenience. */
struct zt_tensor *zt_graph_fail(struct zt_graph *g, int rc);
/* Checks that the graph is healthy and the first nreq of srcs are non-NULL
 * and all non-NULL ones contiguous; fails the graph otherwise. */
int zt_op_check(struct zt_graph *g, const char *op, int nsrc, struct zt_tensor *const *srcs,
                int nreq);
/* New node with an output of the given shape (uninitialised) in the arena;
 * srcs copied. NULL on failure (graph failed). */
struct zt_node *zt_op_node(struct zt_graph *g, int op, int ndim, const int64_t *shape,
                           int nsrc, struct zt_tensor *const *srcs);
/* Runs n's forward kernel and tapes n when its output needs a gradient.
 * Returns n->out, or NULL (graph failed). */
struct zt_tensor *zt_op_run(struct zt_graph *g, struct zt_node *n);

#endif
