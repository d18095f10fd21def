/* search.c: query -> descriptors (with the generator when loaded) ->
 * weighted query vector -> exact or approximate index search -> product
 * rows with per-signal scores and timings. */
#include "search.h"
#include "index_ivf.h"
#include "index_store.h"
#include "store.h"
#include "../data/drawing.h"
#include "../data/pairs.h"
#include "../data/sample.h"
#include "../img/hints.h"
#include "../img/image.h"
#include "../nn/generator.h"
#include "../util/buf.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void zt_search_weights_default(struct zt_search_weights *w)
{
    /* tuned on train-split queries (docs/internals/search.md): shape, colour
     * and the category vote with `eval-search --split train --tune`;
     * appearance with the first trained generator (0.1: as good as no
     * appearance with hints, better without; 0.5 cost R@1 0.13) */
    w->w[ZT_SIG_SHAPE] = 1.0f;
    w->w[ZT_SIG_COLOR] = 0.1f;
    w->w[ZT_SIG_APP] = 0.1f;
    w->category = 0.3f;
    w->temp = 0.01f;
}

int zt_search_weights_parse(const char *s, struct zt_search_weights *w)
{
    char *end;
    float v[5];
    int k = 0;
    for (;;) {
        v[k] = strtof(s, &end);
        if (end == s || !(v[k] >= 0 && v[k] <= 1000)) return -1;
        s = end;
        k++;
        if (!*s || k == 5) break;
        if (*s++ != ',') return -1;
    }
    if (*s || k < 3) return -1;
    for (int i = 0; i < 3; i++) w->w[i] = v[i];
    if (k >= 4) w->category = v[3];
    if (k == 5) w->temp = v[4];
    return 0;
}

void zt_search_category_votes(const struct zt_index *ix, const struct zt_hit *hits, int n,
                              float temp, float *votes)
{
    double v[ZT_CATEGORY_COUNT] = {0}, sum = 0;
    for (int i = 0; i < n && i < ZT_SEARCH_KNN; i++) {
        int c = zt_index_category(ix, hits[i].idx);
        double w = temp > 0 ? exp((hits[i].score - hits[0].score) / temp)
                            : hits[i].score > 0 ? hits[i].score : 0;
        if (c < 0 || c >= ZT_CATEGORY_COUNT) continue;
        v[c] += w;
        sum += w;
    }
    for (int c = 0; c < ZT_CATEGORY_COUNT; c++) votes[c] = sum > 0 ? (float)(v[c] / sum) : 0;
}

struct zt_searcher {
    struct zt_index *ix;
    struct zt_ivf *ivf;
    int threads;
    /* the searcher's own generator, for callers that bring none */
    struct zt_generator *gen;
    char model[1024];
    pthread_mutex_t mu;
};

static int open_generator(struct zt_searcher *sr, const char *path)
{
    if (!(sr->gen = zt_generator_open(path, sr->threads))) return ZT_EFORMAT;
    snprintf(sr->model, sizeof sr->model, "%s", path);
    return ZT_OK;
}

int zt_searcher_open(const struct zt_searcher_opts *o, struct zt_store *s,
                     struct zt_searcher **out)
{
    *out = NULL;
    struct zt_searcher *sr = calloc(1, sizeof *sr);
    if (!sr) {
        zt_seterr("search: out of memory");
        return ZT_ENOMEM;
    }
    pthread_mutex_init(&sr->mu, NULL);
    sr->threads = o->threads;
    int rc;
    if ((rc = zt_catalog_index_open(o->catalog, s, &sr->ix, NULL))) goto fail;
    if (o->approx && zt_index_count(sr->ix) > 0) {
        char path[4096];
        if ((rc = zt_catalog_media_path(o->catalog, "index.ivf", path, sizeof path))) goto fail;
        if (zt_ivf_load(path, sr->ix, &sr->ivf) != ZT_OK) {
            if ((rc = zt_ivf_build(sr->ix, 0, &sr->ivf))) goto fail;
            zt_ivf_save(sr->ivf, path); /* best effort, as the exact index */
            zt_clearerr();
        }
    }
    const char *model = o->model;
    if (!model) {
        const char *env = getenv("ZTYLE_MODEL");
        if (env && *env) model = env;
        else if (zt_file_exists(ZT_SEARCH_MODEL_DEFAULT)) model = ZT_SEARCH_MODEL_DEFAULT;
        else model = "";
    }
    if (*model && (rc = open_generator(sr, model))) goto fail;
    *out = sr;
    return ZT_OK;
fail:
    zt_searcher_close(sr);
    return rc;
}

void zt_searcher_close(struct zt_searcher *sr)
{
    if (!sr) return;
    zt_index_free(sr->ix);
    zt_ivf_free(sr->ivf);
    zt_generator_close(sr->gen);
    pthread_mutex_destroy(&sr->mu);
    free(sr);
}

const struct zt_index *zt_searcher_index(const struct zt_searcher *sr) { return sr->ix; }
const char *zt_searcher_model(const struct zt_searcher *sr) { return sr->model; }

int zt_searcher_set_nprobe(struct zt_searcher *sr, int nprobe)
{
    if (!sr->ivf) {
        zt_seterr("search: no approximate index");
        return ZT_EINVAL;
    }
    return zt_ivf_set_nprobe(sr->ivf, nprobe);
}

void zt_search_result_free(struct zt_search_result *r)
{
    if (!r) return;
    free(r->hits);
    if (r->generated_image) {
        zt_image_free(r->generated_image);
        free(r->generated_image);
    }
    memset(r, 0, sizeof *r);
}

/* --- generator --- */

/* Drawing planes (any size) -> generated S x S photo: reduced to the
 * model's size as `ztyle generate` does, then the caller's generator, or
 * the searcher's own under its lock. */
static int generate(struct zt_searcher *sr, struct zt_generator *own, const char *category,
                    const struct zt_image *edges, const struct zt_image *hint_rgb,
                    const struct zt_image *hint_mask, struct zt_image *out)
{
    struct zt_generator *g = own ? own : sr->gen;
    struct zt_image hr0 = {0}, hm0 = {0};
    struct zt_planes pl = {0};
    int rc;
    if (!hint_rgb || !hint_mask) {
        if ((rc = zt_image_new(&hr0, edges->w, edges->h, 3)) ||
            (rc = zt_image_new(&hm0, edges->w, edges->h, 1)))
            goto out;
        hint_rgb = &hr0;
        hint_mask = &hm0;
    }
    if ((rc = zt_planes_reduce(edges, hint_rgb, hint_mask, zt_generator_info(g)->size, &pl)))
        goto out;
    int cat = zt_generator_category(g, category);
    if (!own) pthread_mutex_lock(&sr->mu);
    rc = zt_generator_run(g, &pl.edges, &pl.hint_rgb, &pl.hint_mask, cat, ZT_GEN_EVAL, 0, out);
    if (!own) pthread_mutex_unlock(&sr->mu);
    if (rc) zt_adderr("generator");
out:
    zt_planes_deinit(&pl);
    zt_image_free(&hr0);
    zt_image_free(&hm0);
    return rc;
}

/* --- query --- */

int zt_search_query_features(struct zt_searcher *sr, const struct zt_search_query *q,
                             struct zt_features *f, struct zt_image *gen_out,
                             struct zt_search_timings *t)
{
    struct zt_image edges = {0}, hrgb = {0}, hmask = {0}, gen = {0};
    struct zt_pair pair = {0};
    struct zt_search_timings tm = {0};
    double t0 = zt_now();
    int rc;
    if ((q->drawing != NULL) == (q->photo != NULL)) {
        zt_seterr("search: give a drawing or a photo");
        return ZT_EINVAL;
    }
    if (q->photo) {
        /* a photo query: the same planes and descriptors as a product */
        struct zt_pair_opts po;
        zt_pair_opts_default(&po, ZT_FEAT_SIZE, ZT_EDGE_CANNY);
        if ((rc = zt_pair_planes(q->photo, &po, &pair))) goto out;
        tm.prepare = zt_now() - t0;
        double t1 = zt_now();
        rc = zt_features_product(&pair.photo, &pair.edges, &pair.mask, f);
        tm.features = zt_now() - t1;
        goto out;
    }
    struct zt_split_params sp;
    zt_split_params_default(&sp);
    if (q->hints) rc = zt_drawing_split_layers(q->drawing, q->hints, &sp, &edges, &hrgb, &hmask);
    else rc = zt_drawing_split(q->drawing, &sp, &edges, &hrgb, &hmask);
    if (rc) goto out;
    tm.prepare = zt_now() - t0;
    int hinted = 0;
    if (!q->no_hints)
        for (size_t i = 0; i < (size_t)hmask.w * hmask.h && !hinted; i++) hinted = hmask.px[i] >= 128;
    if (sr && (sr->gen || q->gen) && !q->no_generator) {
        double t1 = zt_now();
        if ((rc = generate(sr, q->gen, q->category, &edges, hinted ? &hrgb : NULL,
                           hinted ? &hmask : NULL, &gen)))
            goto out;
        tm.generate = zt_now() - t1;
    }
    double t2 = zt_now();
    rc = zt_features_query(&edges, hinted ? &hrgb : NULL, hinted ? &hmask : NULL,
                           gen.px ? &gen : NULL, f);
    tm.features = zt_now() - t2;
    if (!rc && gen_out && gen.px) {
        *gen_out = gen;
        gen = (struct zt_image){0};
    }
out:
    if (t) *t = tm;
    zt_image_free(&edges);
    zt_image_free(&hrgb);
    zt_image_free(&hmask);
    zt_image_free(&gen);
    zt_pair_deinit(&pair);
    return rc;
}

void zt_search_query_vector(const struct zt_features *f, const struct zt_search_weights *w,
                            float *qv, int *used, float *wn)
{
    struct zt_search_weights def;
    if (!w) {
        zt_search_weights_default(&def);
        w = &def;
    }
    float sum = 0;
    for (int k = 0; k < ZT_SIG_COUNT; k++)
        if (f->has[k] && w->w[k] > 0) sum += w->w[k];
    for (int k = 0; k < ZT_SIG_COUNT; k++) {
        int off, dim;
        zt_signal_span(k, &off, &dim);
        int on = f->has[k] && w->w[k] > 0 && sum > 0;
        float a = on ? w->w[k] / sum : 0;
        for (int i = 0; i < dim; i++) qv[off + i] = a * f->v[off + i];
        if (used) used[k] = on;
        if (wn) wn[k] = a;
    }
}

static float part_dot(const float *a, const float *b, int sig)
{
    int off, dim;
    zt_signal_span(sig, &off, &dim);
    float s = 0;
    for (int i = 0; i < dim; i++) s += a[off + i] * b[off + i];
    return s;
}

/* hits [off, off + lim) of the index (IVF when built) */
static int index_page(struct zt_searcher *sr, const float *qv, const struct zt_index_filter *f,
                      int64_t off, int lim, struct zt_hit *hits, int *nh, int64_t *matched)
{
    if (sr->ivf) return zt_ivf_search(sr->ivf, sr->ix, qv, f, off, lim, hits, nh);
    return zt_index_search(sr->ix, qv, f, off, lim, sr->threads, hits, nh, matched);
}

int zt_search_run(struct zt_searcher *sr, struct zt_store *s, const struct zt_search_req *rq,
                  struct zt_search_result *res)
{
    memset(res, 0, sizeof *res);
    double t0 = zt_now();
    struct zt_features f;
    struct zt_image gen = {0};
    struct zt_hit *hits = NULL;
    float *qv = NULL;
    int nh = 0, rc;
    float votes[ZT_CATEGORY_COUNT] = {0};
    if (rq->limit < 1 || rq->limit > 1000 || rq->offset < 0) {
        zt_seterr("search: limit must be 1..1000 and offset >= 0");
        return ZT_EINVAL;
    }
    if ((rc = zt_search_query_features(sr, &rq->q, &f, &gen, &res->t))) goto fail;
    struct zt_search_weights dw;
    zt_search_weights_default(&dw);
    const struct zt_search_weights *wt = rq->weights ? rq->weights : &dw;
    float beta = wt->category, temp = wt->temp;
    /* with re-ranking, a pool of candidates from rank 0 is fetched and
     * re-ranked; ranks past the pool (at most the index's 10,000 per call)
     * keep the index's order, so every page up to offset 99,900 exists */
    int64_t want = rq->offset + rq->limit;
    int pool = beta > 0 ? (int)ZT_MIN(ZT_MAX((int64_t)ZT_SEARCH_POOL, 4 * want), ZT_SEARCH_POOL_MAX) : 0;
    rc = ZT_ENOMEM;
    if (!(qv = malloc(sizeof(float) * ZT_FEAT_DIM)) ||
        !(hits = malloc(sizeof *hits * (size_t)ZT_MAX(pool, rq->limit))) ||
        !(res->hits = calloc((size_t)rq->limit, sizeof *res->hits)))
        goto fail;
    zt_search_query_vector(&f, rq->weights, qv, res->used, res->weights);
    double t1 = zt_now();
    res->matched = -1;
    int more = 1; /* matches may lie past the pool */
    if (pool > 0 && rq->offset < pool) {
        if ((rc = index_page(sr, qv, &rq->filter, 0, pool, hits, &nh, &res->matched))) goto fail;
        more = nh == pool;
        zt_search_category_votes(sr->ix, hits, nh, temp, votes);
        for (int i = 0; i < nh; i++) {
            int c = zt_index_category(sr->ix, hits[i].idx);
            if (c >= 0 && c < ZT_CATEGORY_COUNT) hits[i].score += beta * votes[c];
        }
        struct zt_topk tk = {nh, nh, hits};
        zt_topk_sort(&tk);
        /* the page out of the re-ranked pool */
        int start = (int)ZT_MIN(rq->offset, (int64_t)nh);
        int cnt = ZT_MIN(rq->limit, nh - start);
        memmove(hits, hits + start, sizeof *hits * (size_t)cnt);
        nh = cnt;
    }
    /* the rest of the page, past the pool (or all of it without re-ranking) */
    int64_t off = ZT_MAX(rq->offset, (int64_t)pool);
    int rest = (int)(want - off);
    if (rest > 0 && more) {
        int got = 0;
        if ((rc = index_page(sr, qv, &rq->filter, off, rest, hits + nh, &got, &res->matched)))
            goto fail;
        nh += got;
    }
    res->t.index = zt_now() - t1;
    double t2 = zt_now();
    for (int i = 0; i < nh; i++) {
        struct zt_search_hit *h = &res->hits[res->n];
        const char *id = zt_index_id(sr->ix, hits[i].idx);
        rc = zt_store_get(s, id, &h->p);
        if (rc == ZT_ENOTFOUND) continue; /* deleted since the index was built */
        if (rc) goto fail;
        const float *v = zt_index_vector(sr->ix, hits[i].idx);
        h->score = hits[i].score;
        int c = zt_index_category(sr->ix, hits[i].idx);
        h->bonus = beta > 0 && c >= 0 && c < ZT_CATEGORY_COUNT ? beta * votes[c] : 0;
        for (int k = 0; k < ZT_SIG_COUNT; k++)
            h->sig[k] = res->used[k] ? part_dot(f.v, v, k) : 0;
        res->n++;
    }
    res->t.fetch = zt_now() - t2;
    if (gen.px) {
        rc = ZT_ENOMEM;
        if (!(res->generated_image = malloc(sizeof gen))) goto fail;
        *res->generated_image = gen;
        gen = (struct zt_image){0};
        res->generated = 1;
    }
    res->t.total = zt_now() - t0;
    free(qv);
    free(hits);
    return ZT_OK;
fail:
    if (rc == ZT_ENOMEM && !*zt_errmsg()) zt_seterr("search: out of memory");
    free(qv);
    free(hits);
    zt_image_free(&gen);
    zt_search_result_free(res);
    return rc;
}
