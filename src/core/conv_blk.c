/* conv_blk.c: convolutions for engines with the blocked layout: oneDNN 2.6's JIT
 * primitives with activations (x, y, dx, dy) passed in the tensor's own
 * layout (nChw16c or NCHW, tensor.h), so consecutive blocked ops need no
 * reorder; weights stay in PyTorch's plain layout: reordered per call, or
 * kept reordered between inference passes (zt_blk_weights_changed). */
#include "backend.h"
#include "dnnl_prim.h"
#include "../util/zt.h"

#include <dnnl.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

enum dir { DIR_FWD = ZT_DP_FWD, DIR_BWD_DATA = ZT_DP_BWD_DATA, DIR_BWD_WEIGHTS = ZT_DP_BWD_WEIGHTS };

/* what makes two calls need different primitives; ints only, compared as bytes */
struct key {
    struct zt_conv_desc d;
    int dir, bias, accumulate, xl, yl;
};

enum { NBUCKETS = 64 };

struct entry {
    struct key key;
    struct entry *next;
    int ok;                            /* 0: oneDNN refused the shape */
    /* forward only: the weights in the primitive's layout, kept between
     * calls while (wsrc, wver) still match (inference passes) */
    float *wcache;
    const void *wsrc;
    uint64_t wver;
    size_t wbytes;
    struct zt_dp dp;
};

struct zt_blk {
    int nthreads;
    uint64_t wver;                     /* bumped by zt_blk_weights_changed */
    struct zt_dp_env env;              /* engine, stream, the shared workspace */
    struct entry *buckets[NBUCKETS];
};

struct zt_blk *zt_blk_new(int nthreads)
{
    struct zt_blk *c = calloc(1, sizeof *c);
    if (!c) {
        zt_seterr("conv_blk: out of memory");
        return NULL;
    }
    c->nthreads = nthreads > 0 ? nthreads : 1;
    dnnl_status_t st = zt_dp_env_init(&c->env);
    if (st != dnnl_success) {
        zt_seterr("conv_blk: cannot create oneDNN CPU engine/stream (status %d)", (int)st);
        zt_blk_free(c);
        return NULL;
    }
    return c;
}

static void entry_free(struct entry *e)
{
    zt_dp_free(&e->dp);
    free(e->wcache);
    free(e);
}

void zt_blk_free(struct zt_blk *c)
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


static dnnl_format_tag_t tag_of(int layout)
{
    return layout == ZT_LAYOUT_BLOCKED16 ? dnnl_nChw16c : dnnl_nchw;
}

static dnnl_status_t build(struct zt_blk *c, struct entry *m)
{
    const struct key *k = &m->key;
    return zt_dp_build(&m->dp, c->env.engine, &k->d, k->dir, k->bias, k->accumulate, tag_of(k->xl),
                       tag_of(k->yl), 1);
}


static struct entry *lookup(struct zt_blk *c, const struct zt_conv_desc *d, int dir, int bias,
                            int acc, int xl, int yl)
{
    struct key k;
    memset(&k, 0, sizeof k);
    k.d = *d;
    k.dir = dir, k.bias = bias, k.accumulate = acc, k.xl = xl, k.yl = yl;
    uint32_t b = zt_dp_key_hash(&k, sizeof k) % NBUCKETS;
    for (struct entry *e = c->buckets[b]; e; e = e->next)
        if (!memcmp(&e->key, &k, sizeof k)) return e;
    struct entry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->key = k;
    e->ok = build(c, e) == dnnl_success;
    if (!e->ok) { /* keep the key (refused shapes are not retried), drop the rest */
        struct entry *f = calloc(1, sizeof *f);
        entry_free(e);
        if (!f) return NULL;
        e = f;
        e->key = k;
    }
    e->next = c->buckets[b];
    c->buckets[b] = e;
    return e;
}

/* ZT_OK, or ZT_EINVAL (shape refused / out of memory: nothing written, the
 * caller computes another way), or ZT_EIO after outputs were touched */
void zt_blk_weights_changed(struct zt_blk *c)
{
    if (c) c->wver++;
}

/* the forward weights argument (index 1) of m in the weight cache: 1 when
 * they are already there (skip the reorder), 0 when the reorder must fill
 * it, -1 when there is no cache (out of memory: use the workspace) */
static int weight_cache(struct zt_blk *c, struct entry *m, const void *w)
{
    if (!m->dp.args[1].reorder) return -1;
    if (!m->wcache) {
        m->wbytes = dnnl_memory_desc_get_size(
            dnnl_primitive_desc_query_md(m->dp.pd, dnnl_query_exec_arg_md, DNNL_ARG_WEIGHTS));
        m->wcache = aligned_alloc(64, zt_dp_align64(m->wbytes));
        if (!m->wcache) return -1;
        m->wsrc = NULL;
    }
    if (m->wsrc == w && m->wver == c->wver) return 1;
    m->wsrc = w;
    m->wver = c->wver;
    return 0;
}

static int run(struct zt_blk *c, struct entry *m, void *const *ptr, int cache_w)
{
    if (!m || !m->ok) return ZT_EINVAL;
    int cached = cache_w ? weight_cache(c, m, ptr[1]) : -1;
    if (zt_dp_env_reserve(&c->env, m->dp.ws_need)) return ZT_EINVAL;
    int saved = omp_get_max_threads();
    omp_set_num_threads(c->nthreads);
    void *alt[ZT_DP_MAX_ARGS] = {NULL, cached >= 0 ? m->wcache : NULL, NULL, NULL};
    int late;
    dnnl_status_t st = zt_dp_exec(&m->dp, c->env.stream, c->env.ws, ptr, alt, cached == 1 ? 1u << 1 : 0u,
                                  0, &late);
    int rc = ZT_OK;
    if (st != dnnl_success && !late) rc = ZT_EINVAL;
    if (st != dnnl_success && late) {
        zt_seterr("conv_blk: executing a reorder failed (status %d)", (int)st);
        rc = ZT_EIO;
    }
    if (rc && cached >= 0) m->wsrc = NULL; /* the cache may be half-written */
    omp_set_num_threads(saved);
    return rc;
}

int zt_blk_conv_fwd(struct zt_blk *c, const struct zt_conv_desc *d, int xl, int yl,
                    const float *x, const float *w, const float *b, float *y, int cache_w)
{
    struct entry *e = lookup(c, d, DIR_FWD, b != NULL, 0, xl, yl);
    void *ptr[4] = {(void *)x, (void *)w, (void *)b, y}; /* as the args: x, w, [b], y */
    if (!b) ptr[2] = y;
    return run(c, e, ptr, cache_w);
}

int zt_blk_conv_bwd_data(struct zt_blk *c, const struct zt_conv_desc *d, int xl, int yl,
                         const float *dy, const float *w, float *dx, int accumulate)
{
    struct entry *e = lookup(c, d, DIR_BWD_DATA, 0, accumulate != 0, xl, yl);
    void *ptr[3] = {(void *)dy, (void *)w, dx};
    return run(c, e, ptr, 0);
}

int zt_blk_conv_bwd_weights(struct zt_blk *c, const struct zt_conv_desc *d, int xl, int yl,
                            const float *x, const float *dy, float *dw, float *db, int accumulate)
{
    struct entry *e = lookup(c, d, DIR_BWD_WEIGHTS, db != NULL, accumulate != 0, xl, yl);
    void *ptr[4] = {(void *)x, (void *)dy, dw, db};
    return run(c, e, ptr, 0);
}
