/* search.h: visual search over the catalogue, shared by `ztyle search`,
 * `ztyle eval-search` and the server. A query (a shopper's drawing with
 * optional colour hints, or a photo) becomes descriptors (features.h); when
 * a generator model is loaded, the drawing is first turned into a
 * photo-like image whose appearance is matched too. Signals are fused as a
 * weighted sum of cosine similarities, which is one inner product with a
 * weighted query vector, so one index scan ranks by the fused score.
 *
 * Threading: a searcher (index + optional generator) is read-only after
 * open except its generator, which runs under the searcher's own lock; so
 * many threads may call zt_search_run on one searcher, each with its own
 * store handle and, to generate in parallel, its own generator
 * (zt_search_query.gen). */
#ifndef ZT_SEARCH_H
#define ZT_SEARCH_H

#include <stdint.h>

#include "features.h"
#include "index.h"
#include "product.h"
#include "../nn/generator.h"

struct zt_generator;
struct zt_image;
struct zt_store;
struct zt_searcher;

/* Generator file used when none is named and it exists. */
#define ZT_SEARCH_MODEL_DEFAULT ZT_MODEL_DEFAULT

/* Fusion weights per signal (enum zt_signal); only the signals a query has
 * count, and the used weights are renormalised to sum 1. */
struct zt_search_weights {
    float w[ZT_SIG_COUNT];
    /* Category re-ranking: the ZT_SEARCH_KNN best items vote for their
     * category (weighted by score); each candidate then gains
     * category * (vote share of its own category). 0 = off. */
    float category;
    /* Vote weight of a neighbour: exp((score - best score) / temp), so a
     * small temp lets the closest matches decide; 0 = max(score, 0). */
    float temp;
    /* Understood category (from the embedding's category head): above
     * filter_conf the results are only that class; below it every
     * candidate gains understood * (probability of its class). */
    float understood;
    float filter_conf;
    /* Share of the understood class's probability that comes from the
     * classes of the nearest products in the embedding (the rest from the
     * embedding's category head): knn for a drawing, knn_photo for a photo
     * (photo to photo, the nearest products are the same garment's kind,
     * so they count for more and the closest ones decide). */
    float knn, knn_photo;
    /* Then share of it from the classes of the best fused matches (their
     * vote, as category re-ranking counts it). */
    float vote;
    /* Sparse drawings: an outline with few inner lines in a few strokes (a
     * shopper's doodle) matches the catalogue's edge maps by shape poorly,
     * so at line density (data/drawing.h) sparse_lo and below the ranking's
     * shape weight is at most sparse_shape; at sparse_hi and above the
     * weights are as given; linear between. Many line ends (an edge map's
     * broken fragments) make a drawing dense as well: from sparse_ends_lo
     * ends up to full at sparse_ends_hi (off when sparse_ends_hi <=
     * sparse_ends_lo). The fused matches that vote on the class are still
     * found with the weights as given. Photos are dense. Off when
     * sparse_hi <= sparse_lo. */
    float sparse_shape, sparse_lo, sparse_hi, sparse_ends_lo, sparse_ends_hi;
};
#define ZT_SEARCH_KNN 20
/* A class is named only when at least this likely (and likelier than
 * "nothing the shop sells"). */
#define ZT_UNDERSTOOD_MIN 0.3f
/* Candidates re-ranked: max(ZT_SEARCH_POOL, 4 * (offset + limit)), at most
 * ZT_SEARCH_POOL_MAX (one index call); later ranks keep the index's order. */
#define ZT_SEARCH_POOL 256
#define ZT_SEARCH_POOL_MAX 10000
/* The documented defaults (docs/internals/search.md, tuned on the train
 * split): shape 1, colour 0.1, appearance 0.1, category 0.3, temp 0.01. */
void zt_search_weights_default(struct zt_search_weights *w);
/* How dense f's query is for the weights: the larger of its line density's
 * share (0 at or below w->sparse_lo, 1 at or above w->sparse_hi) and its
 * line ends' (likewise for sparse_ends_*); 1 for a photo or with the rule
 * off. */
float zt_search_denseness(const struct zt_features *f, const struct zt_search_weights *w);
/* Parses "W,LO,HI[,ELO,EHI]" into w's sparse_shape, sparse_lo, sparse_hi
 * and sparse_ends_lo, sparse_ends_hi (each
 * 0..1000). Returns 0, or -1 for malformed text. */
int zt_search_sparse_parse(const char *s, struct zt_search_weights *w);
/* Parses "S,C,A[,B[,T[,E]]]" (shape, colour, appearance weights, then
 * optionally the category re-ranking weight, vote temperature and the
 * embedding's weight; each 0..1000) into w, keeping w's other fields.
 * Returns 0, or -1 for malformed text. */
int zt_search_weights_parse(const char *s, struct zt_search_weights *w);
/* Vote share per class (ZT_CLASS_COUNT floats, summing to 1 unless n is 0)
 * of the first min(n, ZT_SEARCH_KNN) hits (best first), weighted as
 * weights.temp says. */
void zt_search_category_votes(const struct zt_index *ix, const struct zt_hit *hits, int n,
                              float temp, float *votes);

struct zt_searcher_opts {
    const char *catalog; /* store URL: its media folder holds the index */
    /* Generator: NULL = $ZTYLE_MODEL, else ZT_SEARCH_MODEL_DEFAULT when that
     * file exists, else none; "" = none; a path = that file (must load). */
    const char *model;
    int threads;         /* scan and generator threads; <= 0 = all cores */
    int approx;          /* 1: FAISS IVF (built or loaded beside the index) */
    /* Search embedding (nn/embed.h): NULL = zt_embed_model_resolve's
     * default, "" = none, a path = that file (must load). */
    const char *embed_model;
    /* 1: build the index from the store, neither loading nor saving the
     * index file (a reload after another process wrote: the file may be
     * one that a concurrent rebuild saved from an older snapshot) */
    int fresh;
    /* An index to search instead of loading or building one (made by
     * zt_index_from_store_delta, say): taken over, also on failure. */
    struct zt_index *index;
};

/* Opens the index (index_store.h: loaded or rebuilt from s, borrowed for
 * the call only), the embedding and the generator. Refuses (ZT_EINVAL) a
 * catalogue holding products that another embedding model (or none)
 * embedded: index_store.h ZT_FEATURE_EMBED_MODEL. Caller closes. */
int zt_searcher_open(const struct zt_searcher_opts *o, struct zt_store *s,
                     struct zt_searcher **out);
void zt_searcher_close(struct zt_searcher *sr); /* NULL-safe */
/* Borrowed views. model_path is "" without a generator. */
const struct zt_index *zt_searcher_index(const struct zt_searcher *sr);
const char *zt_searcher_model(const struct zt_searcher *sr);
const char *zt_searcher_embed_model(const struct zt_searcher *sr); /* "" without */
/* Products whose embedding's model the catalogue does not record (ingested
 * before December 2026): they may be another model's. zt_searcher_open
 * refuses a catalogue with products known to be another model's (or none). */
int64_t zt_searcher_embed_unknown(const struct zt_searcher *sr);

/* One query. Exactly one of drawing / photo. */
struct zt_search_query {
    const struct zt_image *drawing; /* flattened drawing: dark lines, coloured hints */
    const struct zt_image *hints;   /* optional separate hint layer (RGBA, or RGB on
                                       white); then drawing holds the lines only */
    const struct zt_image *photo;   /* a product photo as the query */
    int no_hints;                   /* ignore colour hints */
    int no_generator;               /* do not run the generator for this query */
    const char *category;           /* generator conditioning: "top", ...; NULL or
                                       "auto" = the understood class's, else the
                                       model's first (nn/generator.h) */
    struct zt_generator *gen;       /* optional: the caller's own generator (one per
                                       worker thread), used without the searcher's lock */
};

struct zt_search_req {
    struct zt_search_query q;
    struct zt_index_filter filter; /* ZT_INDEX_FILTER_ANY for none */
    int64_t offset;                /* pagination */
    int limit;                     /* 1..1000 */
    const struct zt_search_weights *weights; /* NULL = defaults */
};

struct zt_search_hit {
    struct zt_product p;          /* the product row (fetched from the store) */
    float score;                  /* fused + bonus */
    float bonus;                  /* category re-ranking bonus (weights.category) */
    float sig[ZT_SIG_COUNT];      /* per-signal cosine similarity */
};

/* What the search understood the query to show: a class the catalogue
 * sells, or nothing it sells (cls -1), with calibrated probabilities over
 * the sold classes ("none" holds the rest). known = 0 without an
 * embedding model. */
#define ZT_UNDERSTOOD_ALT 3
struct zt_understood {
    int known;
    int cls;            /* zt_class_name(); -1 = nothing the shop sells */
    float confidence;   /* probability of cls, or of "nothing" when cls is -1 */
    int nalt;
    struct {
        int cls;
        float p;
    } alt[ZT_UNDERSTOOD_ALT]; /* the next most likely sold classes */
    int filtered;       /* results restricted to cls (confident, no category given) */
    float p[ZT_CLASS_COUNT]; /* probability per class (0 for unsold) */
    float p_none;
};

/* 1 when cls is the understood class or one of its alternatives: the
 * categories the page offers as one-tap chips beside the results. */
int zt_understood_offers(const struct zt_understood *u, int cls);
/* {"category": "hat" | null, "confidence", "alternatives": [{category,
 * confidence}...], "filtered"}, or JSON null when !u->known; NULL on out
 * of memory. Shared by the API and `ztyle search --json`. */
struct json_t;
struct json_t *zt_understood_json(const struct zt_understood *u);
/* What a drawing (lines, optional hint planes, any size) shows, as search
 * understands it; u->known 0 without an embedding model. */
int zt_searcher_understand_drawing(struct zt_searcher *sr, const struct zt_image *edges,
                                   const struct zt_image *hint_rgb, const struct zt_image *hint_mask,
                                   struct zt_understood *u);
/* The generator's category for a query: the one asked for (a class or a
 * category name), else the understood class's name (u may be NULL), else
 * NULL; zt_search_gen_plane turns it into a plane. */
const char *zt_search_gen_category(const char *category, const struct zt_understood *u);
/* g's category plane for name, a class or a category: the plane of that
 * name (dress, shoes on a model that has them), else the class's category's
 * (outwear -> top), else -1 (zt_generator_run then uses its first). */
struct zt_generator;
int zt_search_gen_plane(const struct zt_generator *g, const char *name);

struct zt_search_timings {
    double prepare;  /* decode-free part: split, letterbox */
    double generate; /* generator forward pass (0 without) */
    double features; /* descriptors (and the embedding) */
    double index;    /* scan / approximate search */
    double fetch;    /* product rows */
    double total;
};

struct zt_search_result {
    int n;                        /* hits returned */
    struct zt_search_hit *hits;   /* owned, n of them, best first */
    int64_t matched;              /* items passing the filter (exact search only; -1) */
    int used[ZT_SIG_COUNT];       /* signals the query had */
    float weights[ZT_SIG_COUNT];  /* normalised weights actually used */
    float density;                /* the drawing's line density; -1 for a photo */
    int line_ends;                /* the drawing's line ends; -1 for a photo */
    int generated;                /* the generator ran */
    struct zt_image *generated_image; /* owned when generated (S x S RGB), else NULL */
    struct zt_understood understood;
    struct zt_search_timings t;
};
void zt_search_result_free(struct zt_search_result *r); /* NULL-safe */

/* Runs a query: features, index search with the filter and page, product
 * rows from s (a product deleted since the index was built is skipped).
 * On failure *res is empty. */
int zt_search_run(struct zt_searcher *sr, struct zt_store *s, const struct zt_search_req *rq,
                  struct zt_search_result *res);

/* --- pieces used by eval-search --- */

/* Descriptors of a query (generator included when loaded and not
 * disabled); *gen_out (optional) receives the generated image (caller
 * frees it with zt_image_free) when it ran. */
int zt_search_query_features(struct zt_searcher *sr, const struct zt_search_query *q,
                             struct zt_features *f, struct zt_image *gen_out,
                             struct zt_search_timings *t, struct zt_understood *u);
/* Which signals f's query uses under weights w (w NULL: the defaults), and
 * their weights normalised over those, the shape weight lowered for a
 * sparse drawing (zt_search_denseness): used[] and wn[], ZT_SIG_COUNT each. */
void zt_search_signal_weights(const struct zt_features *f, const struct zt_search_weights *w,
                              int *used, float *wn);
/* Weighted query vector (ZT_FEAT_DIM): f's parts times
 * zt_search_signal_weights'; used[] and wn[] (optional) receive them. */
void zt_search_query_vector(const struct zt_features *f, const struct zt_search_weights *w,
                            float *qv, int *used, float *wn);

#endif
