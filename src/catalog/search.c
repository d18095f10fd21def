/* search.c: query -> descriptors (with the generator when loaded) ->
 * weighted query vector -> exact or approximate index search -> product
 * rows with per-signal scores and timings. */
#include "search.h"
#include "index_ivf.h"
#include "index_store.h"
#include "store.h"
#include "../data/drawing.h"
#include "../data/pairs.h"
#include "../nn/sample.h"
#include "../img/hints.h"
#include "../img/image.h"
#include "../data/embedset.h"
#include "../nn/embed.h"
#include "../nn/generator.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Sparse drawings (weights.sparse_*): tuned on the validation split's even
 * half (docs/internals/search.md, "Sparse drawings") */
#define SPARSE_SHAPE 0.25f
#define SPARSE_LO 0.10f
#define SPARSE_HI 0.16f
#define SPARSE_ENDS_LO 10.0f
#define SPARSE_ENDS_HI 20.0f

void zt_search_weights_default(struct zt_search_weights *w)
{
    /* tuned on train-split queries (docs/internals/search.md): shape, colour
     * and the category vote with `eval-search --split train --tune`;
     * appearance with the first trained generator (0.1: as good as no
     * appearance with hints, better without; 0.5 cost R@1 0.13) */
    w->w[ZT_SIG_SHAPE] = 1.0f;
    w->w[ZT_SIG_COLOR] = 0.1f;
    w->w[ZT_SIG_APP] = 0.1f;
    w->w[ZT_SIG_EMBED] = 1.0f;
    w->category = 0.3f;
    w->temp = 0.01f;
    w->understood = 1.0f;
    w->filter_conf = 0.7f;
    /* 0.5 until 7 December; 0.25 costs the tuning half nothing and reads hand
     * drawings better, whose nearest photos are often another view of another class */
    w->knn = 0.25f;
    w->knn_photo = 0.85f; /* tuned on the validation split's even half */
    w->vote = 0.4f;
    w->sparse_shape = SPARSE_SHAPE;
    w->sparse_lo = SPARSE_LO;
    w->sparse_hi = SPARSE_HI;
    w->sparse_ends_lo = SPARSE_ENDS_LO;
    w->sparse_ends_hi = SPARSE_ENDS_HI;
}

/* "a,b,..." of min..max numbers in 0..1000 into v; their count, or -1 */
static int parse_floats(const char *s, float *v, int min, int max)
{
    char *end;
    int k = 0;
    for (;;) {
        v[k] = strtof(s, &end);
        if (end == s || !(v[k] >= 0 && v[k] <= 1000)) return -1;
        s = end;
        k++;
        if (!*s || k == max) break;
        if (*s++ != ',') return -1;
    }
    return *s || k < min ? -1 : k;
}

int zt_search_sparse_parse(const char *s, struct zt_search_weights *w)
{
    float v[5];
    int k = parse_floats(s, v, 3, 5);
    if (k < 0 || k == 4) return -1;
    w->sparse_shape = v[0], w->sparse_lo = v[1], w->sparse_hi = v[2];
    if (k == 5) w->sparse_ends_lo = v[3], w->sparse_ends_hi = v[4];
    return 0;
}

/* 0 at or below lo, 1 at or above hi, linear between */
static float ramp(float x, float lo, float hi)
{
    return ZT_CLAMP((x - lo) / (hi - lo), 0.0f, 1.0f);
}

float zt_search_denseness(const struct zt_features *f, const struct zt_search_weights *w)
{
    if (f->density < 0 || !(w->sparse_hi > w->sparse_lo)) return 1;
    float t = ramp(f->density, w->sparse_lo, w->sparse_hi);
    if (f->line_ends >= 0 && w->sparse_ends_hi > w->sparse_ends_lo)
        t = ZT_MAX(t, ramp((float)f->line_ends, w->sparse_ends_lo, w->sparse_ends_hi));
    return t;
}

int zt_search_weights_parse(const char *s, struct zt_search_weights *w)
{
    float v[6];
    int k = parse_floats(s, v, 3, 6);
    if (k < 0) return -1;
    for (int i = 0; i < 3; i++) w->w[i] = v[i];
    if (k >= 4) w->category = v[3];
    if (k >= 5) w->temp = v[4];
    if (k == 6) w->w[ZT_SIG_EMBED] = v[5];
    return 0;
}

void zt_search_category_votes(const struct zt_index *ix, const struct zt_hit *hits, int n,
                              float temp, float *votes)
{
    double v[ZT_CLASS_COUNT] = {0}, sum = 0;
    for (int i = 0; i < n && i < ZT_SEARCH_KNN; i++) {
        int c = zt_index_category(ix, hits[i].idx);
        double w = temp > 0 ? exp((hits[i].score - hits[0].score) / temp)
                            : hits[i].score > 0 ? hits[i].score : 0;
        if (c < 0 || c >= ZT_CLASS_COUNT) continue;
        v[c] += w;
        sum += w;
    }
    for (int c = 0; c < ZT_CLASS_COUNT; c++) votes[c] = sum > 0 ? (float)(v[c] / sum) : 0;
}

struct zt_searcher {
    struct zt_index *ix;
    struct zt_ivf *ivf;
    int threads;
    /* the searcher's own generator, for callers that bring none */
    struct zt_generator *gen;
    char model[1024];
    /* the search embedding, its classes as catalogue class ids, and the
     * classes the index holds (the ones the shop sells) */
    struct zt_embedder *emb;
    char embed_model[1024];
    int emb_cls[ZT_EMBED_MAX_CLASSES];
    int64_t embed_unknown; /* products whose embedding's model is not recorded */
    int sold[ZT_CLASS_COUNT];
    pthread_mutex_t mu, emb_mu;
};

static int open_embedder(struct zt_searcher *sr, const char *opt)
{
    const char *path = zt_embed_model_resolve(opt);
    if (!*path) return ZT_OK;
    if (!(sr->emb = zt_embedder_open(path, sr->threads))) return ZT_EFORMAT;
    const struct zt_embed_cfg *c = zt_embedder_cfg(sr->emb);
    if (c->dim != ZT_FEAT_EMB_DIM) {
        zt_seterr("%s: embedding of %d dimensions, the catalogue stores %d", path, c->dim,
                  ZT_FEAT_EMB_DIM);
        return ZT_EFORMAT;
    }
    for (int k = 0; k < c->nclass; k++) sr->emb_cls[k] = zt_class_parse(c->classes[k]);
    snprintf(sr->embed_model, sizeof sr->embed_model, "%s", path);
    return ZT_OK;
}

/* The catalogue's embeddings must come from the model that embeds the
 * queries: vectors of two models share no space, and such a search would
 * answer confidently at random. Products from before the catalogue
 * recorded the model (December 2026) are counted, not refused. */
static int check_embeddings(struct zt_searcher *sr, struct zt_store *s, const char *catalog)
{
    int64_t n[4];
    int rc = zt_catalog_embed_census(s, zt_embedder_fingerprint(sr->emb), n);
    if (rc) return rc;
    sr->embed_unknown = n[ZT_EMBED_UNKNOWN];
    if (!n[ZT_EMBED_OTHER] && !n[ZT_EMBED_NONE]) return ZT_OK;
    const char *cat = catalog ? catalog : "the catalogue";
    long long all = (long long)(n[0] + n[1] + n[2] + n[3]);
    if (n[ZT_EMBED_OTHER])
        zt_seterr("%s: %lld of %lld products were embedded by another search embedding than %s; "
                  "ingest the catalogue again with it (ingest redoes them), or search with "
                  "the one they were made with (--embed)",
                  cat, (long long)n[ZT_EMBED_OTHER], all, sr->embed_model);
    else
        zt_seterr("%s: %lld of %lld products were ingested without a search embedding; ingest "
                  "the catalogue again with %s, or search without one (--embed \"\")",
                  cat, (long long)n[ZT_EMBED_NONE], all, sr->embed_model);
    return ZT_EINVAL;
}

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
        zt_index_free(o->index);
        zt_seterr("search: out of memory");
        return ZT_ENOMEM;
    }
    pthread_mutex_init(&sr->mu, NULL);
    pthread_mutex_init(&sr->emb_mu, NULL);
    sr->threads = o->threads;
    sr->ix = o->index;
    int rc;
    if (!sr->ix && (rc = o->fresh ? zt_index_from_store(s, &sr->ix)
                                  : zt_catalog_index_open(o->catalog, s, &sr->ix, NULL)))
        goto fail;
    for (int64_t i = 0; i < zt_index_count(sr->ix); i++) {
        int c = zt_index_category(sr->ix, i);
        if (c >= 0 && c < ZT_CLASS_COUNT) sr->sold[c] = 1;
    }
    if ((rc = open_embedder(sr, o->embed_model))) goto fail;
    /* (an index handed in is a delta over one that passed the check) */
    if (sr->emb && !o->index && (rc = check_embeddings(sr, s, o->catalog))) goto fail;
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
    zt_embedder_close(sr->emb);
    pthread_mutex_destroy(&sr->mu);
    pthread_mutex_destroy(&sr->emb_mu);
    free(sr);
}

const struct zt_index *zt_searcher_index(const struct zt_searcher *sr) { return sr->ix; }
const char *zt_searcher_model(const struct zt_searcher *sr) { return sr->model; }
const char *zt_searcher_embed_model(const struct zt_searcher *sr) { return sr->embed_model; }

int64_t zt_searcher_embed_unknown(const struct zt_searcher *sr) { return sr->embed_unknown; }

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
    if ((rc = zt_planes_reframe(edges, hint_rgb, hint_mask, zt_generator_info(g)->size,
                                ZT_GEN_FRAME, &pl)))
        goto out;
    int cat = zt_search_gen_plane(g, category);
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

/* --- embedding and understanding --- */

/* Class probabilities over what the shop sells: the model's classes that
 * the index holds keep theirs, the rest (and "none") say "nothing". */
static void decide(struct zt_understood *u);

static void understand(const struct zt_searcher *sr, const float *prob, int inked,
                       struct zt_understood *u)
{
    const struct zt_embed_cfg *c = zt_embedder_cfg(sr->emb);
    memset(u, 0, sizeof *u);
    u->known = 1;
    u->cls = -1;
    u->p_none = prob[c->nclass];
    for (int k = 0; k < c->nclass; k++) {
        int id = sr->emb_cls[k];
        if (id >= 0 && sr->sold[id]) u->p[id] += prob[k];
        else u->p_none += prob[k];
    }
    if (!inked) { /* nothing drawn: nothing understood */
        memset(u->p, 0, sizeof u->p);
        u->p_none = 1;
    }
    decide(u);
}

/* The named class, its confidence and the alternatives from u->p. */
static void decide(struct zt_understood *u)
{
    u->cls = -1;
    u->nalt = 0;
    int best = -1;
    for (int k = 0; k < ZT_CLASS_COUNT; k++)
        if (u->p[k] > 0 && (best < 0 || u->p[k] > u->p[best])) best = k;
    /* a class only when it beats "nothing" and is a real bet */
    if (best >= 0 && u->p[best] > u->p_none && u->p[best] >= ZT_UNDERSTOOD_MIN) {
        u->cls = best;
        u->confidence = u->p[best];
    } else {
        u->confidence = u->p_none;
    }
    for (int a = 0; a < ZT_UNDERSTOOD_ALT; a++) {
        int nb = -1;
        for (int k = 0; k < ZT_CLASS_COUNT; k++) {
            int taken = k == u->cls;
            for (int j = 0; j < u->nalt; j++) taken |= u->alt[j].cls == k;
            if (!taken && u->p[k] > 0.01f && (nb < 0 || u->p[k] > u->p[nb])) nb = k;
        }
        if (nb < 0) break;
        u->alt[u->nalt].cls = nb;
        u->alt[u->nalt++].p = u->p[nb];
    }
}

/* Blends the category head with the classes of the catalogue's nearest
 * products in the embedding alone (softmax over similarity / temp of the
 * ZT_SEARCH_KNN best): share knn of the garment probability comes from the
 * neighbours, "nothing" stays the head's. A photo's temperature is sharper:
 * photo to photo, the closest products are mostly of its kind, and a flat
 * vote wasted them (docs/internals/search.md, "A photo's nearest products"). */
#define KNN_TEMP 0.05f
#define KNN_TEMP_PHOTO 0.01f
static int blend_neighbours(const struct zt_searcher *sr, const struct zt_features *f, float knn,
                            float temp, struct zt_understood *u)
{
    if (!u->known || u->p_none >= 1 || knn <= 0 || !f->has[ZT_SIG_EMBED]) return ZT_OK;
    float *q = calloc(ZT_FEAT_DIM, sizeof *q);
    struct zt_hit hits[ZT_SEARCH_KNN];
    int nh = 0, rc = q ? ZT_OK : ZT_ENOMEM;
    if (!rc) {
        memcpy(q + ZT_FEAT_EMB_OFF, f->v + ZT_FEAT_EMB_OFF, sizeof(float) * ZT_FEAT_EMB_DIM);
        rc = zt_index_search(sr->ix, q, NULL, 0, ZT_SEARCH_KNN, sr->threads, hits, &nh, NULL);
    }
    free(q);
    if (rc || !nh) return rc;
    double v[ZT_CLASS_COUNT] = {0}, sum = 0;
    for (int i = 0; i < nh; i++) {
        int c = zt_index_category(sr->ix, hits[i].idx);
        double w = exp((hits[i].score - hits[0].score) / temp);
        if (c < 0 || c >= ZT_CLASS_COUNT) continue;
        v[c] += w;
        sum += w;
    }
    float garment = 1 - u->p_none, head = 0;
    for (int k = 0; k < ZT_CLASS_COUNT; k++) head += u->p[k];
    for (int k = 0; k < ZT_CLASS_COUNT && sum > 0 && head > 0; k++)
        u->p[k] = garment * ((1 - knn) * u->p[k] / head + knn * (float)(v[k] / sum));
    decide(u);
    return ZT_OK;
}

/* The embedding of n views of one input (tower's planes, n x ch x S x S)
 * into f, and what they show: the views' embeddings summed and made unit
 * length, their class probabilities averaged. */
static int embed_query(struct zt_searcher *sr, int tower, const float *x, int n, int inked,
                       struct zt_features *f, struct zt_understood *u)
{
    const struct zt_embed_cfg *c = zt_embedder_cfg(sr->emb);
    int D = ZT_FEAT_EMB_DIM, P = c->nclass + 1;
    float *emb = malloc(sizeof(float) * (size_t)n * D), *prob = malloc(sizeof(float) * (size_t)n * P);
    int rc = emb && prob ? ZT_OK : ZT_ENOMEM;
    if (!rc) {
        pthread_mutex_lock(&sr->emb_mu);
        rc = zt_embedder_run(sr->emb, tower, x, n, emb, prob);
        pthread_mutex_unlock(&sr->emb_mu);
    }
    if (!rc) {
        double norm = 0;
        for (int k = 0; k < D; k++) {
            float v = 0;
            for (int i = 0; i < n; i++) v += emb[i * D + k];
            f->v[ZT_FEAT_EMB_OFF + k] = v;
            norm += (double)v * v;
        }
        for (int k = 0; k < D && norm > 0; k++) f->v[ZT_FEAT_EMB_OFF + k] /= (float)sqrt(norm);
        for (int k = 0; k < P; k++) {
            float v = 0;
            for (int i = 0; i < n; i++) v += prob[i * P + k];
            prob[k] = v / n;
        }
        f->has[ZT_SIG_EMBED] = inked;
        if (u) understand(sr, prob, inked, u);
    }
    free(emb);
    free(prob);
    return rc;
}

/* Mirrors ch planes of S x S left to right. */
static void flip_planes(const float *x, int ch, int S, float *out)
{
    for (int i = 0; i < ch * S; i++)
        for (int k = 0; k < S; k++) out[(size_t)i * S + k] = x[(size_t)i * S + S - 1 - k];
}

/* A drawing is embedded as drawn and mirrored, the two averaged: a
 * shopper's garment is as likely drawn either way round, and the average
 * is steadier (tuning half, 3 seeds: doodle class precision@10 0.754 ->
 * 0.766, R@10 0.277 -> 0.288, for 2-3 ms more). */
static int embed_drawing(struct zt_searcher *sr, const struct zt_image *edges,
                         const struct zt_image *hint_rgb, const struct zt_image *hint_mask,
                         struct zt_features *f, struct zt_understood *u)
{
    int S = zt_embedder_cfg(sr->emb)->size, rc, inked = 0;
    const size_t V = (size_t)ZT_EMBED_DRAWING_CH * S * S;
    struct zt_planes pl = {0};
    struct zt_image hr0 = {0}, hm0 = {0};
    float *x = malloc(sizeof(float) * V * 2);
    if (!x) return ZT_ENOMEM;
    if (!hint_rgb) {
        if ((rc = zt_image_new(&hr0, edges->w, edges->h, 3)) ||
            (rc = zt_image_new(&hm0, edges->w, edges->h, 1)))
            goto out;
        hint_rgb = &hr0, hint_mask = &hm0;
    }
    for (size_t i = 0; i < (size_t)edges->w * edges->h && !inked; i++) inked = edges->px[i] < 128;
    float frame = zt_embedder_cfg(sr->emb)->frame;
    rc = frame > 0 ? zt_planes_reframe(edges, hint_rgb, hint_mask, S, frame, &pl)
                   : zt_planes_reduce(edges, hint_rgb, hint_mask, S, &pl);
    if (rc) goto out;
    if ((rc = zt_sample_encode_input(&pl.edges, &pl.hint_rgb, &pl.hint_mask, -1, 0, x))) goto out;
    flip_planes(x, ZT_EMBED_DRAWING_CH, S, x + V);
    rc = embed_query(sr, ZT_TOWER_DRAWING, x, 2, inked, f, u);
out:
    free(x);
    zt_planes_deinit(&pl);
    zt_image_free(&hr0);
    zt_image_free(&hm0);
    return rc;
}

int zt_understood_offers(const struct zt_understood *u, int cls)
{
    if (!u->known || cls < 0) return 0;
    int hit = u->cls == cls;
    for (int i = 0; i < u->nalt && i < ZT_UNDERSTOOD_ALT; i++) hit |= u->alt[i].cls == cls;
    return hit;
}

/* {"category": "hat" | null, "confidence", "alternatives": [{category,
 * confidence}], "filtered"}; null when no embedding model is loaded. */
json_t *zt_understood_json(const struct zt_understood *u)
{
    if (!u->known) return json_null();
    json_t *alt = json_array();
    for (int i = 0; alt && i < u->nalt; i++)
        json_array_append_new(alt, json_pack("{s:s, s:f}", "category", zt_class_name(u->alt[i].cls),
                                             "confidence", round(u->alt[i].p * 1000) / 1000));
    if (!alt) return NULL;
    return json_pack("{s:o, s:f, s:o, s:b}", "category",
                     u->cls >= 0 ? json_string(zt_class_name(u->cls)) : json_null(), "confidence",
                     round(u->confidence * 1000) / 1000, "alternatives", alt, "filtered",
                     u->filtered);
}

/* --- query --- */

const char *zt_search_gen_category(const char *category, const struct zt_understood *u)
{
    if (category && !strcmp(category, "auto")) category = NULL;
    if (category || !u || !u->known || u->cls < 0) return category;
    return zt_class_name(u->cls);
}

int zt_search_gen_plane(const struct zt_generator *g, const char *name)
{
    if (!name) return -1;
    int k = zt_generator_category(g, name);
    if (k >= 0) return k;
    int cls = zt_class_parse(name);
    return cls >= 0 ? zt_generator_category(g, zt_category_name(zt_class_category(cls))) : -1;
}

int zt_searcher_understand_drawing(struct zt_searcher *sr, const struct zt_image *edges,
                                   const struct zt_image *hint_rgb, const struct zt_image *hint_mask,
                                   struct zt_understood *u)
{
    memset(u, 0, sizeof *u);
    u->cls = -1;
    if (!sr->emb) return ZT_OK;
    struct zt_features *f = calloc(1, sizeof *f);
    if (!f) return ZT_ENOMEM;
    int rc = embed_drawing(sr, edges, hint_rgb, hint_mask, f, u);
    free(f);
    return rc;
}

int zt_search_query_features(struct zt_searcher *sr, const struct zt_search_query *q,
                             struct zt_features *f, struct zt_image *gen_out,
                             struct zt_search_timings *t, struct zt_understood *u)
{
    struct zt_image edges = {0}, hrgb = {0}, hmask = {0}, gen = {0};
    struct zt_pair pair = {0};
    struct zt_features *emb = NULL; /* the drawing's embedding */
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
        if (!rc && sr && sr->emb) {
            int S = zt_embedder_cfg(sr->emb)->size;
            float *x = malloc(sizeof(float) * ZT_EMBED_PHOTO_CH * S * S);
            rc = x ? zt_embed_encode_photo(q->photo, S, x) : ZT_ENOMEM;
            if (!rc) rc = embed_query(sr, ZT_TOWER_PHOTO, x, 1, 1, f, u);
            free(x);
        }
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
    /* the embedding first: what it understands conditions the generator
     * when no category was asked for */
    double t2 = zt_now();
    struct zt_understood u0;
    if (!u) u = &u0;
    if (sr && sr->emb) {
        if (!(emb = calloc(1, sizeof *emb))) {
            rc = ZT_ENOMEM;
            goto out;
        }
        rc = embed_drawing(sr, &edges, hinted ? &hrgb : NULL, hinted ? &hmask : NULL, emb, u);
        if (rc) goto out;
    }
    tm.features = zt_now() - t2;
    if (sr && (sr->gen || q->gen) && !q->no_generator) {
        double t1 = zt_now();
        if ((rc = generate(sr, q->gen, zt_search_gen_category(q->category, emb ? u : NULL), &edges,
                           hinted ? &hrgb : NULL, hinted ? &hmask : NULL, &gen)))
            goto out;
        tm.generate = zt_now() - t1;
    }
    t2 = zt_now();
    rc = zt_features_query(&edges, hinted ? &hrgb : NULL, hinted ? &hmask : NULL,
                           gen.px ? &gen : NULL, f);
    if (!rc && emb) {
        memcpy(f->v + ZT_FEAT_EMB_OFF, emb->v + ZT_FEAT_EMB_OFF, sizeof(float) * ZT_FEAT_EMB_DIM);
        f->has[ZT_SIG_EMBED] = emb->has[ZT_SIG_EMBED];
    }
    tm.features += zt_now() - t2;
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
    free(emb);
    return rc;
}

void zt_search_signal_weights(const struct zt_features *f, const struct zt_search_weights *w,
                              int *used, float *wn)
{
    struct zt_search_weights def;
    if (!w) {
        zt_search_weights_default(&def);
        w = &def;
    }
    float ww[ZT_SIG_COUNT], sum = 0;
    memcpy(ww, w->w, sizeof ww);
    /* a sparse drawing leans on the embedding, not on its outline's shape */
    float t = zt_search_denseness(f, w), sparse = ZT_MIN(w->sparse_shape, ww[ZT_SIG_SHAPE]);
    ww[ZT_SIG_SHAPE] = sparse + t * (ww[ZT_SIG_SHAPE] - sparse);
    for (int k = 0; k < ZT_SIG_COUNT; k++)
        if (f->has[k] && ww[k] > 0) sum += ww[k];
    for (int k = 0; k < ZT_SIG_COUNT; k++) {
        used[k] = f->has[k] && ww[k] > 0 && sum > 0;
        wn[k] = used[k] ? ww[k] / sum : 0;
    }
}

void zt_search_query_vector(const struct zt_features *f, const struct zt_search_weights *w,
                            float *qv, int *used, float *wn)
{
    int u[ZT_SIG_COUNT];
    float a[ZT_SIG_COUNT];
    zt_search_signal_weights(f, w, u, a);
    for (int k = 0; k < ZT_SIG_COUNT; k++) {
        int off, dim;
        zt_signal_span(k, &off, &dim);
        for (int i = 0; i < dim; i++) qv[off + i] = a[k] * f->v[off + i];
        if (used) used[k] = u[k];
        if (wn) wn[k] = a[k];
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
    float votes[ZT_CLASS_COUNT] = {0};
    if (rq->limit < 1 || rq->limit > 1000 || rq->offset < 0) {
        zt_seterr("search: limit must be 1..1000 and offset >= 0");
        return ZT_EINVAL;
    }
    if ((rc = zt_search_query_features(sr, &rq->q, &f, &gen, &res->t, &res->understood)))
        goto fail;
    struct zt_search_weights dw;
    zt_search_weights_default(&dw);
    const struct zt_search_weights *wt = rq->weights ? rq->weights : &dw;
    int photo = rq->q.photo != NULL;
    if ((rc = blend_neighbours(sr, &f, photo ? wt->knn_photo : wt->knn,
                               photo ? KNN_TEMP_PHOTO : KNN_TEMP, &res->understood)))
        goto fail;
    float beta = wt->category, temp = wt->temp;
    struct zt_understood *u = &res->understood;
    struct zt_index_filter filter = rq->filter;
    int automatic = u->known && filter.category < 0 && !filter.group_mask;
    /* Automatic with an embedding: the model's belief (head, nearest
     * products, and below the fused matches' vote) boosts candidates of the
     * likely classes, and filters to one class when confident */
    float gamma = automatic ? wt->understood : 0;
    if (gamma > 0) beta = 0; /* the belief holds the neighbours' vote already */
    /* with re-ranking, a pool of candidates from rank 0 is fetched and
     * re-ranked; ranks past the pool (at most the index's 10,000 per call)
     * keep the index's order, so every page up to offset 99,900 exists */
    int rerank = beta > 0 || gamma > 0;
    int64_t want = rq->offset + rq->limit;
    int pool = rerank ? (int)ZT_MIN(ZT_MAX((int64_t)ZT_SEARCH_POOL, 4 * want), ZT_SEARCH_POOL_MAX) : 0;
    rc = ZT_ENOMEM;
    if (!(qv = malloc(sizeof(float) * ZT_FEAT_DIM * 2)) || /* ranking, voters */
        !(hits = malloc(sizeof *hits * (size_t)ZT_MAX(pool, rq->limit))) ||
        !(res->hits = calloc((size_t)rq->limit, sizeof *res->hits)))
        goto fail;
    zt_search_query_vector(&f, wt, qv, res->used, res->weights);
    res->density = f.density;
    res->line_ends = f.line_ends;
    double t1 = zt_now();
    res->matched = -1;
    if (automatic) {
        /* the fused matches' vote joins the belief; a confident class then
         * filters, so every page is of that class */
        struct zt_hit vh[ZT_SEARCH_KNN];
        int nv = 0;
        /* the voters are matched with the weights as given, shape in full
         * even for a sparse drawing: they judge its class better (edge maps)
         * or as well (doodles) */
        const float *vq = qv;
        if (zt_search_denseness(&f, wt) < 1) {
            struct zt_search_weights vw = *wt;
            vw.sparse_shape = vw.w[ZT_SIG_SHAPE];
            zt_search_query_vector(&f, &vw, qv + ZT_FEAT_DIM, NULL, NULL);
            vq = qv + ZT_FEAT_DIM;
        }
        if ((rc = index_page(sr, vq, &filter, 0, ZT_SEARCH_KNN, vh, &nv, NULL))) goto fail;
        if (wt->vote > 0 && u->p_none < 1 && nv > 0) {
            float fv[ZT_CLASS_COUNT];
            zt_search_category_votes(sr->ix, vh, nv, temp, fv);
            float garment = 1 - u->p_none, sum = 0;
            for (int k = 0; k < ZT_CLASS_COUNT; k++) sum += u->p[k];
            for (int k = 0; k < ZT_CLASS_COUNT && sum > 0; k++)
                u->p[k] = garment * ((1 - wt->vote) * u->p[k] / sum + wt->vote * fv[k]);
            decide(u);
        }
        if (u->cls >= 0 && u->confidence >= wt->filter_conf) {
            filter.group_mask = UINT64_C(1) << u->cls;
            u->filtered = 1;
        }
    }
    int more = 1; /* matches may lie past the pool */
    if (pool > 0 && rq->offset < pool) {
        if ((rc = index_page(sr, qv, &filter, 0, pool, hits, &nh, &res->matched))) goto fail;
        more = nh == pool;
        if (beta > 0) zt_search_category_votes(sr->ix, hits, nh, temp, votes);
        for (int i = 0; i < nh; i++) {
            int c = zt_index_category(sr->ix, hits[i].idx);
            if (c >= 0 && c < ZT_CLASS_COUNT) hits[i].score += beta * votes[c] + gamma * u->p[c];
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
        if ((rc = index_page(sr, qv, &filter, off, rest, hits + nh, &got, &res->matched)))
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
        h->bonus = c >= 0 && c < ZT_CLASS_COUNT ? beta * votes[c] + gamma * u->p[c] : 0;
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
