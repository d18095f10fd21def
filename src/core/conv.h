/* conv.h: convolution kernels on plain float NCHW buffers, the contract
 * between the engine's graph ops (core/ops) and the code that computes
 * them: a readable reference (conv_ref.c) and oneDNN (conv_dnnl.c).
 * Weights: conv2d (Cout, Cin/groups, kh, kw) as PyTorch;
 *          conv_transpose2d (Cin, Cout/groups, kh, kw) as PyTorch. */
#ifndef ZT_CONV_H
#define ZT_CONV_H

#include <stddef.h>
#include <stdint.h>

struct zt_conv_desc {
    int n, cin, h, w;        /* input  (n, cin, h, w) */
    int cout, oh, ow;        /* output (n, cout, oh, ow): filled by zt_conv_desc_init */
    int kh, kw, sh, sw, ph, pw, dh, dw, groups;
    int transposed;          /* 1: conv_transpose2d */
    int oph, opw;            /* output_padding (transposed only) */
};

/* Checks the parameters and computes oh/ow (PyTorch's formulas).
 * Returns ZT_OK or ZT_EINVAL with a message. */
int zt_conv_desc_init(struct zt_conv_desc *d);

/* Forward: y = conv(x, w) + b (b may be NULL). y is overwritten. */
typedef void (*zt_conv_fwd_fn)(void *ctx, const struct zt_conv_desc *d, const float *x,
                               const float *w, const float *b, float *y);
/* Backward data: dx (+)= conv^T(dy, w). accumulate: 0 overwrite, 1 add. */
typedef void (*zt_conv_bwd_data_fn)(void *ctx, const struct zt_conv_desc *d, const float *dy,
                                    const float *w, float *dx, int accumulate);
/* Backward weights: dw (+)= ..., db (+)= sum of dy (db may be NULL). */
typedef void (*zt_conv_bwd_weights_fn)(void *ctx, const struct zt_conv_desc *d, const float *x,
                                       const float *dy, float *dw, float *db, int accumulate);

/* Reference kernels: plain loops, the spec every fast kernel is tested against.
 * ctx is unused (NULL). */
void zt_conv_ref_fwd(void *ctx, const struct zt_conv_desc *d, const float *x, const float *w,
                     const float *b, float *y);
void zt_conv_ref_bwd_data(void *ctx, const struct zt_conv_desc *d, const float *dy,
                          const float *w, float *dx, int accumulate);
void zt_conv_ref_bwd_weights(void *ctx, const struct zt_conv_desc *d, const float *x,
                             const float *dy, float *dw, float *db, int accumulate);

/* oneDNN kernels. ctx is a struct zt_dnnl *: engine, stream, thread count,
 * a cache of primitives (and of the reorders between plain NCHW and
 * oneDNN's blocked layouts) keyed by the full desc + direction + bias +
 * accumulate + algorithm, and one scratch workspace grown to the largest
 * call (no malloc per call in steady state; AUTO's first call of a desc
 * allocates copies of accumulated outputs while it times the candidates,
 * and cuts the workspace back to what the kept implementations need). One context per model/worker: it is
 * not safe to use one from two threads at the same time.
 * Threads: oneDNN's OpenMP runtime uses the calling thread's
 * omp_get_max_threads(); each call sets omp_set_num_threads(nthreads) on
 * the calling thread and restores the previous value before returning.
 * Failures: a shape no candidate can do (oneDNN refuses some with forced
 * BLOCKED/GEMM; IM2COL takes all) or a failed workspace allocation is
 * computed by the reference kernel instead (counted in stats.fallbacks);
 * an execution failure after outputs were touched (not seen in practice)
 * counts in stats.errors and sets zt_errmsg(). */
struct zt_dnnl;
struct zt_dnnl *zt_dnnl_new(int nthreads); /* NULL + zt_errmsg on failure */
void zt_dnnl_free(struct zt_dnnl *c);     /* NULL-safe */
int zt_dnnl_nthreads(const struct zt_dnnl *c); /* 1 for NULL */
void zt_conv_dnnl_fwd(void *ctx, const struct zt_conv_desc *d, const float *x, const float *w,
                      const float *b, float *y);
void zt_conv_dnnl_bwd_data(void *ctx, const struct zt_conv_desc *d, const float *dy,
                           const float *w, float *dx, int accumulate);
void zt_conv_dnnl_bwd_weights(void *ctx, const struct zt_conv_desc *d, const float *x,
                              const float *dy, float *dw, float *db, int accumulate);

/* How a context computes a new desc (existing cache entries keep theirs):
 * BLOCKED: oneDNN's JIT kernels in its blocked layouts, with reorders from
 *   and to plain NCHW (and weight layouts) around each call;
 * GEMM: oneDNN's im2col + sgemm kernels on the plain layouts, no reorders
 *   (wins where reorders cost more than they save: large weights and small
 *   images, and most transposed convs);
 * IM2COL: zt_conv_gemm_* below (our im2col + dnnl_sgemm), which also
 *   accumulates in place instead of through a temporary;
 * AUTO (default): on the first call of a desc, all are run (warm-up + best
 *   of 3, on the caller's buffers, outputs restored) and the fastest is
 *   kept (the others must beat IM2COL by 10%); the choice can differ
 *   between runs, so results may differ in the last bits.
 * Returns ZT_OK or ZT_EINVAL. */
enum zt_dnnl_algo { ZT_DNNL_AUTO = 0, ZT_DNNL_BLOCKED = 1, ZT_DNNL_GEMM = 2, ZT_DNNL_IM2COL = 3 };
int zt_dnnl_set_algo(struct zt_dnnl *c, int algo);
/* Algorithm used by the last kernel call (0: the reference kernel). */
int zt_dnnl_last_algo(const struct zt_dnnl *c);
/* Benchmarks only: skip the reorders between plain and blocked layouts
 * (outputs are garbage) to time the primitives alone, i.e. the floor that
 * keeping activations in blocked layout would reach. */
void zt_dnnl_bench_skip_reorders(struct zt_dnnl *c, int on);

/* Counters of a context, for tests and benchmarks. */
struct zt_dnnl_stats {
    int64_t primitives_created; /* oneDNN convolution primitives built (AUTO: 2 per desc) */
    int64_t reorders_created;   /* reorder primitives built */
    int64_t cache_hits, cache_misses;
    int64_t tuned, chose_gemm;  /* AUTO decisions made, and how many picked GEMM */
    int64_t chose_im2col;       /* ... and how many picked IM2COL */
    int64_t fallbacks;          /* calls computed by the reference kernel */
    int64_t errors;             /* calls that failed half-way (outputs undefined) */
    int64_t workspace_bytes;    /* current size of the shared workspace */
};
void zt_dnnl_get_stats(const struct zt_dnnl *c, struct zt_dnnl_stats *s);

/* im2col + zt_sgemm kernels (conv_gemm.c): same contract as the kernels
 * above, computing straight into the caller's buffers; ctx is passed to
 * zt_sgemm (a struct zt_dnnl *, or NULL for reference loops); col is a
 * scratch buffer of zt_conv_gemm_col_floats(d) floats, owned by the caller. */
size_t zt_conv_gemm_col_floats(const struct zt_conv_desc *d);
/* The bias parts both the reference and the im2col kernels use (conv_ref.c):
 * t[n, c, :] += b[c], and db[c] (+)= sum over n and hw of t[n, c, :]. */
void zt_conv_add_bias(float *t, const float *b, int n, int c, int64_t hw);
void zt_conv_sum_bias(const float *t, float *db, int n, int c, int64_t hw, int accumulate);
void zt_conv_gemm_fwd(void *ctx, const struct zt_conv_desc *d, const float *x, const float *w,
                      const float *b, float *y, float *col);
void zt_conv_gemm_bwd_data(void *ctx, const struct zt_conv_desc *d, const float *dy,
                           const float *w, float *dx, int accumulate, float *col);
void zt_conv_gemm_bwd_weights(void *ctx, const struct zt_conv_desc *d, const float *x,
                              const float *dy, float *dw, float *db, int accumulate, float *col);

/* C (m x n) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C, row-major
 * (op(X) = X, or X transposed when transX is nonzero; lda etc. are row
 * strides of the stored matrices), through dnnl_sgemm with ctx's thread
 * count (ctx: struct zt_dnnl *). ctx NULL: reference loops. beta == 0
 * ignores C's old contents (NaN included), as BLAS does. */
void zt_sgemm(void *ctx, int transa, int transb, int64_t m, int64_t n, int64_t k, float alpha,
              const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
              int64_t ldc);

#endif
