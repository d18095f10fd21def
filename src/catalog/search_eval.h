/* search_eval.h: search quality on drawings made from dataset photos (edge
 * map + fixed-seed hints, flattened as a shopper sends them) against a
 * catalogue holding every photo: Recall@1/5/10, mAP of the source product
 * and category precision@10, per signal and fused, with and without hints,
 * with and without the generator; optionally a grid over the fusion weights.
 * `ztyle eval-search` is a thin front end. */
#ifndef ZT_SEARCH_EVAL_H
#define ZT_SEARCH_EVAL_H

#include <stdint.h>
#include <stdio.h>

#include "search.h"

struct json_t;

/* Conditions: hints x generator (the last two only with a generator). */
enum { ZT_SEVAL_HINTS, ZT_SEVAL_NOHINTS, ZT_SEVAL_HINTS_GEN, ZT_SEVAL_NOHINTS_GEN, ZT_SEVAL_NCOND };
/* Signal sets: each signal alone (enum zt_signal), then fused. */
enum { ZT_SEVAL_FUSED = ZT_SIG_COUNT, ZT_SEVAL_NSET = ZT_SIG_COUNT + 1 };
/* Weight grid of --tune: colour x appearance x category x temp (shape 1). */
enum { ZT_SEVAL_NGRID = 6 * 6 * 6 * 3 };

struct zt_search_eval_opts {
    const char *data;              /* dataset folder */
    struct zt_searcher_opts so;    /* catalogue and generator (threads: ignored) */
    int split;                     /* ZT_SPLIT_VAL or ZT_SPLIT_TRAIN: the query photos */
    int stride;                    /* every stride-th query photo */
    int size;                      /* drawing size */
    int hints;                     /* colour hints per drawing */
    uint64_t seed;                 /* hint seed */
    struct zt_search_weights w;    /* fusion weights of the "fused" set */
    int tune;                      /* 1: also measure every grid point */
    int threads;                   /* queries in parallel */
    FILE *progress;                /* progress bar, or NULL */
};

/* Sets the defaults: validation split, stride 1, size 256, 10 hints, seed 1,
 * the search's default weights; data and catalogue as given. */
void zt_search_eval_opts_default(struct zt_search_eval_opts *o, const char *data,
                                 const char *catalog);

/* One cell: means over the queries that ran; n = 0 means "n/a". */
struct zt_search_eval_cell {
    double r1, r5, r10, map, catp;
    int n;
};

struct zt_search_eval {
    int queries, ncond;
    int64_t products;
    double seconds;
    char generator[1024]; /* model path, "" without one */
    struct zt_search_eval_cell cell[ZT_SEVAL_NCOND][ZT_SEVAL_NSET];
    struct zt_search_eval_cell *grid; /* [ncond][ZT_SEVAL_NGRID] when tuned, else NULL */
    int best[ZT_SEVAL_NCOND];         /* grid point with the best R@10 + R@1/2 + catP */
};

/* Runs the evaluation. ZT_ENOTFOUND when a query photo is not in the
 * catalogue, ZT_EINVAL for an empty catalogue, else the first query's
 * error. Caller frees out with zt_search_eval_free (also on failure). */
int zt_search_eval_run(const struct zt_search_eval_opts *o, struct zt_search_eval *out);
void zt_search_eval_free(struct zt_search_eval *e); /* NULL-safe */

/* "hints", "no hints", "hints + generator", "no hints + generator". */
const char *zt_search_eval_cond_name(int cond);
/* Grid point g -> colour, appearance, category, temp (shape = 1). */
void zt_search_eval_grid_weights(int g, float *c, float *a, float *b, float *t);

/* The report as one JSON object (caller decrefs; NULL when out of memory). */
struct json_t *zt_search_eval_json(const struct zt_search_eval_opts *o,
                                   const struct zt_search_eval *e);
/* The report as a text table onto f. */
void zt_search_eval_write_text(const struct zt_search_eval_opts *o,
                               const struct zt_search_eval *e, FILE *f);

#endif
