/* conv_blk.c: convolutions for engines with the blocked layout: oneDNN 2.6's JIT
 * primitives with activations (x, y, dx, dy) passed in the tensor's own
 * layout (nChw16c or NCHW, tensor.h), so consecutive blocked ops need no
 * reorder; weights stay in PyTorch's plain layout: reordered per call, or
 * kept reordered between inference passes (zt_blk_weights_changed). */
#include "backend.h"
#include "../util/zt.h"

#include <dnnl.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

enum dir { DIR_FWD, DIR_BWD_DATA, DIR_BWD_WEIGHTS };

/* what makes two calls need different primitives; ints only, compared as bytes */
struct key {
    struct zt_conv_desc d;
    int dir, bias, accumulate, xl, yl;
};

/* one argument: the caller's buffer (user) and, when the primitive wants
 * another layout or the output accumulates, the primitive's memory in the
 * workspace plus the reorder between them (with a sum post-op to accumulate) */
struct arg {
    int dnnl_arg, output;
    dnnl_memory_t user, prim;
    dnnl_primitive_t reorder;
    size_t ws_off;
};

enum { MAX_ARGS = 4, NBUCKETS = 64 };

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
    dnnl_primitive_desc_t pd, hint_pd;
    dnnl_primitive_t prim;
    struct arg args[MAX_ARGS];
    int nargs;
    dnnl_memory_t scratch;
    size_t scratch_off, ws_need;
};

struct zt_blk {
    int nthreads;
    uint64_t wver;                     /* bumped by zt_blk_weights_changed */
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    struct entry *buckets[NBUCKETS];
    char *ws;
    size_t ws_size;
};

struct zt_blk *zt_blk_new(int nthreads)
{
    struct zt_blk *c = calloc(1, sizeof *c);
    if (!c) {
        zt_seterr("conv_blk: out of memory");
        return NULL;
    }
    c->nthreads = nthreads > 0 ? nthreads : 1;
    dnnl_status_t st = dnnl_engine_create(&c->engine, dnnl_cpu, 0);
    if (st == dnnl_success) st = dnnl_stream_create(&c->stream, c->engine, dnnl_stream_default_flags);
    if (st != dnnl_success) {
        zt_seterr("conv_blk: cannot create oneDNN CPU engine/stream (status %d)", (int)st);
        zt_blk_free(c);
        return NULL;
    }
    return c;
}

static void entry_free(struct entry *e)
{
    for (int i = 0; i < e->nargs; i++) {
        struct arg *a = &e->args[i];
        if (a->prim && a->prim != a->user) dnnl_memory_destroy(a->prim);
        if (a->user) dnnl_memory_destroy(a->user);
        if (a->reorder) dnnl_primitive_destroy(a->reorder);
    }
    if (e->scratch) dnnl_memory_destroy(e->scratch);
    if (e->prim) dnnl_primitive_destroy(e->prim);
    if (e->pd) dnnl_primitive_desc_destroy(e->pd);
    if (e->hint_pd) dnnl_primitive_desc_destroy(e->hint_pd);
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
    if (c->stream) dnnl_stream_destroy(c->stream);
    if (c->engine) dnnl_engine_destroy(c->engine);
    free(c->ws);
    free(c);
}

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

static dnnl_status_t arg_init(struct zt_blk *c, struct entry *m, int accumulate, int dnnl_arg,
                              int output, const dnnl_memory_desc_t *user_md)
{
    struct arg *a = &m->args[m->nargs++];
    a->dnnl_arg = dnnl_arg;
    a->output = output;
    dnnl_status_t st = dnnl_memory_create(&a->user, user_md, c->engine, DNNL_MEMORY_NONE);
    if (st != dnnl_success) return st;
    const dnnl_memory_desc_t *pmd = dnnl_primitive_desc_query_md(m->pd, dnnl_query_exec_arg_md,
                                                                 dnnl_arg);
    if (!pmd) return dnnl_runtime_error;
    int acc = output && accumulate;
    if (dnnl_memory_desc_equal(pmd, user_md) && !acc) {
        a->prim = a->user;
        return dnnl_success;
    }
    st = dnnl_memory_create(&a->prim, pmd, c->engine, DNNL_MEMORY_NONE);
    if (st != dnnl_success) return st;
    a->ws_off = m->ws_need;
    m->ws_need += align64(dnnl_memory_desc_get_size(pmd));
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    if (acc) {
        st = dnnl_primitive_attr_create(&attr);
        if (st == dnnl_success) st = dnnl_post_ops_create(&ops);
        if (st == dnnl_success) st = dnnl_post_ops_append_sum(ops, 1.0f);
        if (st == dnnl_success) st = dnnl_primitive_attr_set_post_ops(attr, ops);
    }
    dnnl_primitive_desc_t rpd = NULL;
    if (st == dnnl_success)
        st = output ? dnnl_reorder_primitive_desc_create(&rpd, pmd, c->engine, user_md,
                                                         c->engine, attr)
                    : dnnl_reorder_primitive_desc_create(&rpd, user_md, c->engine, pmd,
                                                         c->engine, attr);
    if (st == dnnl_success) st = dnnl_primitive_create(&a->reorder, rpd);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (ops) dnnl_post_ops_destroy(ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return st;
}

/* oneDNN's right padding that reproduces PyTorch's output size (as conv_dnnl.c) */
static dnnl_dim_t pad_r(int64_t img, int64_t win, int k, int s, int p, int dil)
{
    int64_t exact = (win - 1) * s + (int64_t)(k - 1) * dil + 1 - img - p;
    if (exact >= 0) return exact;
    return exact + s - 1 >= 0 ? 0 : exact + s - 1;
}

#define TRY(expr)                                     \
    do {                                              \
        if ((st = (expr)) != dnnl_success) goto fail; \
    } while (0)

static dnnl_status_t act_md(dnnl_memory_desc_t *md, const dnnl_dims_t dims, int layout)
{
    return dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32,
                                        layout == ZT_LAYOUT_BLOCKED16 ? dnnl_nChw16c : dnnl_nchw);
}

static dnnl_status_t build(struct zt_blk *c, struct entry *m)
{
    const struct key *k = &m->key;
    const struct zt_conv_desc *d = &k->d;
    int tr = d->transposed, g = d->groups, dir = k->dir;
    dnnl_status_t st;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_dims_t xd = {d->n, d->cin, d->h, d->w}, yd = {d->n, d->cout, d->oh, d->ow};
    dnnl_dims_t bd = {d->cout};
    dnnl_dims_t wd = {g, d->cout / g, d->cin / g, d->kh, d->kw};
    int wnd = 5;
    dnnl_format_tag_t wtag = tr ? dnnl_giohw : dnnl_goihw;
    if (g == 1) {
        wd[0] = d->cout, wd[1] = d->cin, wd[2] = d->kh, wd[3] = d->kw;
        wnd = 4;
        wtag = tr ? dnnl_iohw : dnnl_oihw;
    }
    dnnl_memory_desc_t x_md, y_md, w_md, b_md, xa, ya, wa;
    TRY(act_md(&x_md, xd, k->xl));
    TRY(act_md(&y_md, yd, k->yl));
    TRY(dnnl_memory_desc_init_by_tag(&w_md, wnd, wd, dnnl_f32, wtag));
    TRY(dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_f32, dnnl_x));
    TRY(dnnl_memory_desc_init_by_tag(&xa, 4, xd, dnnl_f32, dnnl_format_tag_any));
    TRY(dnnl_memory_desc_init_by_tag(&ya, 4, yd, dnnl_f32, dnnl_format_tag_any));
    TRY(dnnl_memory_desc_init_by_tag(&wa, wnd, wd, dnnl_f32, dnnl_format_tag_any));
    const dnnl_memory_desc_t *bias = k->bias ? &b_md : NULL;
    dnnl_dims_t strides = {d->sh, d->sw}, dil = {d->dh - 1, d->dw - 1}, pl = {d->ph, d->pw};
    dnnl_dims_t pr = {tr ? pad_r(d->oh, d->h, d->kh, d->sh, d->ph, d->dh)
                         : pad_r(d->h, d->oh, d->kh, d->sh, d->ph, d->dh),
                      tr ? pad_r(d->ow, d->w, d->kw, d->sw, d->pw, d->dw)
                         : pad_r(d->w, d->ow, d->kw, d->sw, d->pw, d->dw)};
    TRY(dnnl_primitive_attr_create(&attr));
    TRY(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
    dnnl_convolution_desc_t fwd, bwd;
    if (!tr)
        TRY(dnnl_dilated_convolution_forward_desc_init(&fwd, dnnl_forward_training,
                                                       dnnl_convolution_direct, &xa, &wa, bias,
                                                       &ya, strides, dil, pl, pr));
    else
        TRY(dnnl_dilated_deconvolution_forward_desc_init(&fwd, dnnl_forward_training,
                                                         dnnl_deconvolution_direct, &xa, &wa,
                                                         bias, &ya, strides, dil, pl, pr));
    dnnl_primitive_desc_t fpd = NULL;
    TRY(dnnl_primitive_desc_create(&fpd, &fwd, attr, c->engine, NULL));
    if (dir == DIR_FWD) {
        m->pd = fpd;
    } else {
        m->hint_pd = fpd;
        if (dir == DIR_BWD_DATA && !tr)
            TRY(dnnl_dilated_convolution_backward_data_desc_init(
                &bwd, dnnl_convolution_direct, &xa, &wa, &ya, strides, dil, pl, pr));
        else if (dir == DIR_BWD_DATA)
            TRY(dnnl_dilated_deconvolution_backward_data_desc_init(
                &bwd, dnnl_deconvolution_direct, &xa, &wa, &ya, strides, dil, pl, pr));
        else if (!tr)
            TRY(dnnl_dilated_convolution_backward_weights_desc_init(
                &bwd, dnnl_convolution_direct, &xa, &wa, bias, &ya, strides, dil, pl, pr));
        else
            TRY(dnnl_dilated_deconvolution_backward_weights_desc_init(
                &bwd, dnnl_deconvolution_direct, &xa, &wa, bias, &ya, strides, dil, pl, pr));
        TRY(dnnl_primitive_desc_create(&m->pd, &bwd, attr, c->engine, fpd));
    }
    TRY(dnnl_primitive_create(&m->prim, m->pd));
    int acc = k->accumulate;
    switch (dir) {
    case DIR_FWD:
        TRY(arg_init(c, m, acc, DNNL_ARG_SRC, 0, &x_md));
        TRY(arg_init(c, m, acc, DNNL_ARG_WEIGHTS, 0, &w_md));
        if (bias) TRY(arg_init(c, m, acc, DNNL_ARG_BIAS, 0, &b_md));
        TRY(arg_init(c, m, acc, DNNL_ARG_DST, 1, &y_md));
        break;
    case DIR_BWD_DATA:
        TRY(arg_init(c, m, acc, DNNL_ARG_DIFF_DST, 0, &y_md));
        TRY(arg_init(c, m, acc, DNNL_ARG_WEIGHTS, 0, &w_md));
        TRY(arg_init(c, m, acc, DNNL_ARG_DIFF_SRC, 1, &x_md));
        break;
    default:
        TRY(arg_init(c, m, acc, DNNL_ARG_SRC, 0, &x_md));
        TRY(arg_init(c, m, acc, DNNL_ARG_DIFF_DST, 0, &y_md));
        TRY(arg_init(c, m, acc, DNNL_ARG_DIFF_WEIGHTS, 1, &w_md));
        if (bias) TRY(arg_init(c, m, acc, DNNL_ARG_DIFF_BIAS, 1, &b_md));
        break;
    }
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(m->pd, dnnl_query_scratchpad_md, 0);
    size_t ssize = smd ? dnnl_memory_desc_get_size(smd) : 0;
    if (ssize) {
        TRY(dnnl_memory_create(&m->scratch, smd, c->engine, DNNL_MEMORY_NONE));
        m->scratch_off = m->ws_need;
        m->ws_need += align64(ssize);
    }
fail:
    if (attr) dnnl_primitive_attr_destroy(attr);
    return st;
}

static uint32_t key_hash(const struct key *k)
{
    const unsigned char *p = (const unsigned char *)k;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < sizeof *k; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static struct entry *lookup(struct zt_blk *c, const struct zt_conv_desc *d, int dir, int bias,
                            int acc, int xl, int yl)
{
    struct key k;
    memset(&k, 0, sizeof k);
    k.d = *d;
    k.dir = dir, k.bias = bias, k.accumulate = acc, k.xl = xl, k.yl = yl;
    uint32_t b = key_hash(&k) % NBUCKETS;
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
    struct arg *a = &m->args[1];
    if (!a->reorder) return -1;
    if (!m->wcache) {
        m->wbytes = dnnl_memory_desc_get_size(
            dnnl_primitive_desc_query_md(m->pd, dnnl_query_exec_arg_md, DNNL_ARG_WEIGHTS));
        m->wcache = aligned_alloc(64, align64(m->wbytes));
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
    if (m->ws_need > c->ws_size) {
        char *p = aligned_alloc(64, align64(m->ws_need));
        if (!p) return ZT_EINVAL;
        memset(p, 0, align64(m->ws_need));
        free(c->ws);
        c->ws = p;
        c->ws_size = align64(m->ws_need);
    }
    int saved = omp_get_max_threads();
    omp_set_num_threads(c->nthreads);
    dnnl_exec_arg_t xa[MAX_ARGS + 1];
    int nx = 0;
    dnnl_status_t st = dnnl_success;
    for (int i = 0; i < m->nargs && st == dnnl_success; i++) {
        struct arg *a = &m->args[i];
        st = dnnl_memory_set_data_handle(a->user, ptr[i]);
        if (st == dnnl_success && a->prim != a->user)
            st = dnnl_memory_set_data_handle(a->prim, i == 1 && cached >= 0 ? (void *)m->wcache
                                                                            : c->ws + a->ws_off);
        xa[nx++] = (dnnl_exec_arg_t){a->dnnl_arg, a->prim};
    }
    if (st == dnnl_success && m->scratch) {
        st = dnnl_memory_set_data_handle(m->scratch, c->ws + m->scratch_off);
        xa[nx++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, m->scratch};
    }
    for (int i = 0; i < m->nargs && st == dnnl_success; i++) {
        struct arg *a = &m->args[i];
        if (a->output || !a->reorder || (i == 1 && cached == 1)) continue;
        dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, a->user}, {DNNL_ARG_TO, a->prim}};
        st = dnnl_primitive_execute(a->reorder, c->stream, 2, ra);
    }
    if (st == dnnl_success) st = dnnl_primitive_execute(m->prim, c->stream, nx, xa);
    if (st == dnnl_success) st = dnnl_stream_wait(c->stream);
    int rc = st == dnnl_success ? ZT_OK : ZT_EINVAL;
    if (rc && cached >= 0) m->wsrc = NULL; /* the cache may be half-written */
    for (int i = 0; i < m->nargs && rc == ZT_OK && st == dnnl_success; i++) {
        struct arg *a = &m->args[i];
        if (!a->output || !a->reorder) continue;
        dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, a->prim}, {DNNL_ARG_TO, a->user}};
        st = dnnl_primitive_execute(a->reorder, c->stream, 2, ra);
    }
    if (rc == ZT_OK && st == dnnl_success) st = dnnl_stream_wait(c->stream);
    if (rc == ZT_OK && st != dnnl_success) {
        zt_seterr("conv_blk: executing a reorder failed (status %d)", (int)st);
        rc = ZT_EIO;
    }
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
