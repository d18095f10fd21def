/* conv_dnnl.c: convolution and transposed convolution (fwd, bwd-data,
 * bwd-weights) through oneDNN 2.6's C API, with a primitive cache keyed by
 * the full descriptor + direction. Plain NCHW in and out: per desc, either
 * oneDNN's blocked JIT kernels with cached reorders around them, its
 * plain-layout gemm kernels, or conv_gemm.c's im2col + dnnl_sgemm,
 * whichever ran fastest (docs/internals/conv.md). */
#include "conv.h"
#include "dnnl_prim.h"
#include "../util/zt.h"

#include <dnnl.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum dir { DIR_FWD = ZT_DP_FWD, DIR_BWD_DATA = ZT_DP_BWD_DATA, DIR_BWD_WEIGHTS = ZT_DP_BWD_WEIGHTS };

/* everything that makes two calls need different primitives; ints only, so
 * it is compared and hashed as bytes (always memset before filling) */
struct key {
    struct zt_conv_desc d;
    int dir, bias, accumulate, algo;
};

enum { MAX_ARGS = ZT_DP_MAX_ARGS, NBUCKETS = 64, TUNE_ROUNDS = 3, MAX_CAND = 3 };
#define IM2COL_BONUS 1.1 /* AUTO: others must beat IM2COL's time by this factor */

/* one way of computing a key: ZT_DNNL_BLOCKED or ZT_DNNL_GEMM (a oneDNN
 * primitive and its arguments), or ZT_DNNL_IM2COL (conv_gemm.c: no
 * primitive; ws_need is its column buffer) */
struct impl {
    int algo;
    struct zt_dp dp;           /* BLOCKED / GEMM: the primitive; IM2COL: only dp.ws_need */
};

struct entry {
    struct key key;
    struct entry *next;        /* hash chain */
    struct impl cand[MAX_CAND];
    int ncand;                 /* 0: use the reference; > 1: time them all on the next call */
};

struct zt_dnnl {
    int nthreads, algo, skip_reorders, last_algo;
    struct zt_dp_env env;      /* engine, stream, the shared workspace */
    struct entry *buckets[NBUCKETS];
    size_t ws_chosen;          /* largest need of the implementations AUTO kept */
    struct zt_dnnl_stats stats;
};

/* --- context --- */

struct zt_dnnl *zt_dnnl_new(int nthreads)
{
    if (nthreads < 1) {
        zt_seterr("dnnl: thread count %d must be >= 1", nthreads);
        return NULL;
    }
    struct zt_dnnl *c = calloc(1, sizeof *c);
    if (!c) {
        zt_seterr("dnnl: out of memory");
        return NULL;
    }
    c->nthreads = nthreads;
    c->algo = ZT_DNNL_AUTO;
    dnnl_status_t st = zt_dp_env_init(&c->env);
    if (st != dnnl_success) {
        zt_seterr("dnnl: cannot create CPU engine/stream (status %d)", (int)st);
        zt_dnnl_free(c);
        return NULL;
    }
    return c;
}

static void impl_free(struct impl *m)
{
    zt_dp_free(&m->dp);
    m->algo = 0;
}

static void entry_free(struct entry *e)
{
    for (int i = 0; i < e->ncand; i++) impl_free(&e->cand[i]);
    free(e);
}

void zt_dnnl_free(struct zt_dnnl *c)
{
    if (!c) return;
    for (int b = 0; b < NBUCKETS; b++)
        for (struct entry *e = c->buckets[b], *next; e; e = next) {
            next = e->next;
            entry_free(e);
        }
    zt_dp_env_deinit(&c->env);
    free(c);
}

int zt_dnnl_nthreads(const struct zt_dnnl *c) { return c ? c->nthreads : 1; }

int zt_dnnl_set_algo(struct zt_dnnl *c, int algo)
{
    if (algo < ZT_DNNL_AUTO || algo > ZT_DNNL_IM2COL) {
        zt_seterr("dnnl: unknown algorithm %d", algo);
        return ZT_EINVAL;
    }
    c->algo = algo;
    return ZT_OK;
}

int zt_dnnl_last_algo(const struct zt_dnnl *c) { return c->last_algo; }

void zt_dnnl_bench_skip_reorders(struct zt_dnnl *c, int on) { c->skip_reorders = on != 0; }

void zt_dnnl_get_stats(const struct zt_dnnl *c, struct zt_dnnl_stats *s)
{
    *s = c->stats;
    s->workspace_bytes = (int64_t)c->env.ws_size;
}

/* --- building an implementation --- */


/* makes m for key k with algorithm algo: BLOCKED lets oneDNN pick every
 * layout (its JIT kernels, blocked; reorders around them), GEMM asks for
 * plain layouts (im2col + sgemm inside oneDNN, no reorders), IM2COL only
 * reserves its column buffer. On failure leaves m for impl_free and returns
 * the oneDNN status. */
static dnnl_status_t impl_build(struct zt_dnnl *c, const struct key *k, int algo, struct impl *m)
{
    m->algo = algo;
    if (algo == ZT_DNNL_IM2COL) {
        m->dp.ws_need = zt_dp_align64(sizeof(float) * zt_conv_gemm_col_floats(&k->d));
        return dnnl_success;
    }
    dnnl_status_t st = zt_dp_build(&m->dp, c->env.engine, &k->d, k->dir, k->bias, k->accumulate,
                                   dnnl_nchw, dnnl_nchw, algo != ZT_DNNL_GEMM);
    if (m->dp.prim) c->stats.primitives_created++;
    c->stats.reorders_created += m->dp.nreorders;
    return st;
}

/* --- cache --- */


/* the entry for (d, dir, bias, accumulate, ctx's algo), built on first use
 * with one candidate implementation per algorithm allowed (IM2COL always
 * builds, so the reference is left only for forced BLOCKED/GEMM); NULL only
 * when out of memory */
static struct entry *lookup(struct zt_dnnl *c, const struct zt_conv_desc *d, int dir, int bias,
                            int accumulate)
{
    struct key k;
    memset(&k, 0, sizeof k);
    k.d = *d;
    k.dir = dir, k.bias = bias, k.accumulate = accumulate, k.algo = c->algo;
    uint32_t b = zt_dp_key_hash(&k, sizeof k) % NBUCKETS;
    for (struct entry *e = c->buckets[b]; e; e = e->next)
        if (!memcmp(&e->key, &k, sizeof k)) {
            c->stats.cache_hits++;
            return e;
        }
    c->stats.cache_misses++;
    struct entry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->key = k;
    static const int algos[MAX_CAND] = {ZT_DNNL_BLOCKED, ZT_DNNL_GEMM, ZT_DNNL_IM2COL};
    for (int i = 0; i < MAX_CAND; i++) {
        if (c->algo != ZT_DNNL_AUTO && c->algo != algos[i]) continue;
        struct impl *m = &e->cand[e->ncand];
        if (impl_build(c, &k, algos[i], m) == dnnl_success) e->ncand++;
        else impl_free(m); /* unsupported: 0 candidates means the reference */
    }
    e->next = c->buckets[b];
    c->buckets[b] = e;
    return e;
}

/* --- execution --- */

/* IM2COL: ptr as for the kernels' primitives (see the zt_conv_dnnl_* below) */
static void im2col_run(struct zt_dnnl *c, const struct key *k, void *const *ptr)
{
    float *col = (float *)(void *)c->env.ws;
    if (k->dir == DIR_FWD)
        zt_conv_gemm_fwd(c, &k->d, ptr[0], ptr[1], k->bias ? ptr[2] : NULL, ptr[3], col);
    else if (k->dir == DIR_BWD_DATA)
        zt_conv_gemm_bwd_data(c, &k->d, ptr[0], ptr[1], ptr[2], k->accumulate, col);
    else
        zt_conv_gemm_bwd_weights(c, &k->d, ptr[0], ptr[1], ptr[2], k->bias ? ptr[3] : NULL,
                                 k->accumulate, col);
}

/* runs m for key k with the caller's buffers ptr[i] (same order as m->args);
 * returns 0, or -1 before anything was written to an output (the caller may
 * then use the reference), or -2 after (outputs may be partial: an error) */
static int impl_run(struct zt_dnnl *c, const struct key *k, struct impl *m, void *const *ptr)
{
    if (zt_dp_env_reserve(&c->env, m->dp.ws_need)) return -1;
    if (m->algo == ZT_DNNL_IM2COL) {
        im2col_run(c, k, ptr);
        return 0;
    }
    int late;
    dnnl_status_t st = zt_dp_exec(&m->dp, c->env.stream, c->env.ws, ptr, NULL,
                                  c->skip_reorders ? ~0u : 0u, c->skip_reorders, &late);
    if (st == dnnl_success) return 0;
    if (!late) return -1;
    c->stats.errors++;
    zt_seterr("dnnl: executing a convolution failed (status %d)", (int)st);
    return -2;
}

/* wall time: thread CPU time would shrug off other processes, but in some
 * sandboxes (this project's CI) it is counted in 4 ms scheduler ticks */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ZT_DNNL_AUTO, first call of a key: times every candidate on the caller's
 * buffers (warm-up + best of 3, taking turns; accumulating outputs saved
 * and restored around each run), keeps the fastest in cand[0], frees the
 * others, then computes the real result. Returns as impl_run. */
static int tune(struct zt_dnnl *c, struct entry *e, void *const *ptr)
{
    const struct key *k = &e->key;
    void *saved[MAX_ARGS] = {0};
    size_t sizes[MAX_ARGS] = {0};
    int ok = 1;
    if (k->accumulate) { /* the outputs: dx, or dw and db (NULL db: no bias) */
        const struct zt_conv_desc *d = &k->d;
        if (k->dir == DIR_BWD_DATA) sizes[2] = sizeof(float) * (size_t)d->n * d->cin * d->h * d->w;
        else {
            sizes[2] = sizeof(float) * (size_t)d->cin * (d->cout / d->groups) * d->kh * d->kw;
            if (k->bias) sizes[3] = sizeof(float) * (size_t)d->cout;
        }
        for (int i = 0; i < MAX_ARGS; i++) {
            if (!sizes[i]) continue;
            saved[i] = malloc(sizes[i]);
            if (!saved[i]) ok = 0;
            else memcpy(saved[i], ptr[i], sizes[i]);
        }
    }
    double best[MAX_CAND];
    for (int j = 0; j < MAX_CAND; j++) best[j] = 1e30;
    for (int r = 0; ok && r < 1 + TUNE_ROUNDS; r++) /* round 0 warms up */
        for (int j = 0; j < e->ncand; j++) {
            if (best[j] < 0) continue; /* failed before */
            for (int i = 0; i < MAX_ARGS; i++)
                if (saved[i]) memcpy(ptr[i], saved[i], sizes[i]);
            double t0 = now_s();
            int rc = impl_run(c, k, &e->cand[j], ptr);
            double t = now_s() - t0;
            if (rc) best[j] = -1;
            else if (r > 0 && t < best[j]) best[j] = t;
        }
    /* IM2COL gets a 10% head start: it needs no temporaries and the least
     * workspace, and on a busy machine near-ties are noise */
    for (int j = 0; j < e->ncand; j++)
        if (best[j] > 0 && e->cand[j].algo == ZT_DNNL_IM2COL) best[j] *= 1.0 / IM2COL_BONUS;
    int win = 0;
    for (int j = 1; ok && j < e->ncand; j++)
        if (best[j] >= 0 && (best[win] < 0 || best[j] < best[win])) win = j;
    if (win) {
        struct impl tmp = e->cand[0];
        e->cand[0] = e->cand[win];
        e->cand[win] = tmp;
    }
    for (int j = 1; j < e->ncand; j++) impl_free(&e->cand[j]);
    e->ncand = 1;
    c->stats.tuned++;
    if (e->cand[0].algo == ZT_DNNL_GEMM) c->stats.chose_gemm++;
    if (e->cand[0].algo == ZT_DNNL_IM2COL) c->stats.chose_im2col++;
    for (int i = 0; i < MAX_ARGS; i++)
        if (saved[i]) memcpy(ptr[i], saved[i], sizes[i]);
    for (int i = 0; i < MAX_ARGS; i++) free(saved[i]);
    return impl_run(c, k, &e->cand[0], ptr);
}

/* computes e with ptr (as impl_run); -1: nothing written, use the reference */
static int run(struct zt_dnnl *c, struct entry *e, void *const *ptr)
{
    if (!e || e->ncand == 0) {
        c->stats.fallbacks++;
        c->last_algo = 0;
        return -1;
    }
    int saved = omp_get_max_threads();
    omp_set_num_threads(c->nthreads); /* oneDNN's OpenMP runtime reads the caller's setting */
    int tuning = e->ncand > 1;
    int rc = tuning ? tune(c, e, ptr) : impl_run(c, &e->key, &e->cand[0], ptr);
    if (tuning) {
        /* the losers' needs (oneDNN's gemm scratchpads: 100+ MB) go with them:
         * shrink to what the chosen implementations need so far */
        c->ws_chosen = ZT_MAX(c->ws_chosen, zt_dp_align64(e->cand[0].dp.ws_need));
        if (c->env.ws_size > c->ws_chosen) {
            free(c->env.ws);
            c->env.ws = NULL;
            c->env.ws_size = 0;
        }
    }
    omp_set_num_threads(saved);
    c->last_algo = e->cand[0].algo;
    if (rc == -1) {
        c->stats.fallbacks++;
        c->last_algo = 0;
    }
    return rc;
}

/* --- the kernels --- */

void zt_conv_dnnl_fwd(void *ctx, const struct zt_conv_desc *d, const float *x, const float *w,
                      const float *b, float *y)
{
    struct zt_dnnl *c = ctx;
    struct entry *e = lookup(c, d, DIR_FWD, b != NULL, 0);
    void *ptr[4] = {(void *)x, (void *)w, b ? (void *)b : y, y}; /* as the impl's args */
    if (run(c, e, ptr) == -1) zt_conv_ref_fwd(NULL, d, x, w, b, y);
}

void zt_conv_dnnl_bwd_data(void *ctx, const struct zt_conv_desc *d, const float *dy,
                           const float *w, float *dx, int accumulate)
{
    struct zt_dnnl *c = ctx;
    struct entry *e = lookup(c, d, DIR_BWD_DATA, 0, accumulate != 0);
    void *ptr[3] = {(void *)dy, (void *)w, dx};
    if (run(c, e, ptr) == -1) zt_conv_ref_bwd_data(NULL, d, dy, w, dx, accumulate);
}

void zt_conv_dnnl_bwd_weights(void *ctx, const struct zt_conv_desc *d, const float *x,
                              const float *dy, float *dw, float *db, int accumulate)
{
    struct zt_dnnl *c = ctx;
    struct entry *e = lookup(c, d, DIR_BWD_WEIGHTS, db != NULL, accumulate != 0);
    void *ptr[4] = {(void *)x, (void *)dy, dw, db};
    if (run(c, e, ptr) == -1) zt_conv_ref_bwd_weights(NULL, d, x, dy, dw, db, accumulate);
}
