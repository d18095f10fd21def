/* eval_styles.h: search quality on the inputs shoppers give, through the
 * same zt_search_run a request takes. Queries are made from held-out photos
 * (a dataset split, data/embedset.h) in one style:
 *   edges:  the photo's edge map with simulated colour hints;
 *   doodle: a human-like doodle (data/doodle.h) at a random size and place
 *           with colour dabs;
 *   photo:  a second shot of the product: its source photo cropped by a
 *           random zoom and place, mirrored half the time, in another
 *           light, at most 512 px (a phone frames the garment with its
 *           background); its own product is left out of the ranking, as a
 *           shopper's photo is not in the catalogue;
 *   trace:  that shot traced as the page's upload does (data/pairs.h
 *           zt_pair_trace: XDoG, GrabCut, garment only, a dozen hints) and
 *           searched as a drawing; its own product left out.
 * Or, style drawn, from drawings people made, not from photos: a folder
 * tree DIR/<class>/<image> (data/dataset.h), each drawing searched as the
 * page sends it (lines and colour in one image); with no source product,
 * only class precision and the understood class are measured.
 * Each query runs twice: with its true class given as the filter, and with
 * "Automatic" (the understood category decides). Measured per class and
 * overall: Recall@1/10 and mAP of the source product (not for photo,
 * trace and drawn, which have none to find; null in the JSON),
 * class precision@10, how often the understood class is right, and how
 * often the query's class is offered (understood or an alternative: the
 * page's one-tap chips, for when the understood class is wrong). */
#ifndef ZT_EVAL_STYLES_H
#define ZT_EVAL_STYLES_H

#include <stdint.h>
#include <stdio.h>

#include "product.h"
#include "search.h"
#include "../data/doodle.h"

struct zt_embedset;
struct zt_store;

enum zt_eval_style {
    ZT_EVAL_EDGES, ZT_EVAL_DOODLE, ZT_EVAL_PHOTO, ZT_EVAL_TRACE,
    ZT_EVAL_DRAWN, /* from folders of drawings (opts.drawings) */
    ZT_EVAL_NSTYLES
};
#define ZT_EVAL_FROM_PHOTOS 4 /* the styles before DRAWN are made from the split's photos */
int zt_eval_style_parse(const char *s, enum zt_eval_style *out); /* ZT_EINVAL if unknown */
const char *zt_eval_style_name(enum zt_eval_style s);

struct zt_eval_cell {
    int n;
    double r1, r10, map;  /* source product (edges and doodle only) */
    double catp10;        /* share of the top 10 in the query's class */
    double understood;    /* the understood class is the query's */
    double offered;       /* the query's class is understood or an alternative:
                             one tap away on the page (zt_understood_offers) */
};

/* How well the understood class's confidence is calibrated: the queries
 * where a class was named (Automatic), in ZT_EVAL_CAL_BINS equal bins of
 * their confidence; per bin how many, their confidence summed and how many
 * named the query's class. A calibrated 0.8 is right 8 times in 10. */
#define ZT_EVAL_CAL_BINS 10
struct zt_eval_calibration {
    int n[ZT_EVAL_CAL_BINS], right[ZT_EVAL_CAL_BINS];
    double conf[ZT_EVAL_CAL_BINS];
};
void zt_eval_calibration_add(struct zt_eval_calibration *c, float confidence, int right);
/* Expected calibration error: sum over bins of (n / all) x |mean confidence
 * - share right|; *named, *mean_conf and *accuracy (optional) over all the
 * queries. 0 when there are none. */
double zt_eval_calibration_ece(const struct zt_eval_calibration *c, int *named, double *mean_conf,
                               double *accuracy);

/* Doodles whose GrabCut mask and the border heuristic's agree (IoU at least
 * this): the proxy queries whose outline is most likely the garment's. */
#define ZT_EVAL_MASK_AGREE 0.8f

/* One style's figures. */
struct zt_style_result {
    struct zt_eval_cell all[2];                   /* [0] class given, [1] Automatic */
    struct zt_eval_cell agreed[2];                /* doodle: the queries whose masks agree
                                                     (ZT_EVAL_MASK_AGREE); else empty */
    struct zt_eval_cell per_class[2][ZT_CLASS_COUNT];
    /* queries of class r understood as class c (column ZT_CLASS_COUNT:
       nothing the shop sells, or no embedding model) */
    int confusion[ZT_CLASS_COUNT][ZT_CLASS_COUNT + 1];
    struct zt_eval_calibration cal;               /* Automatic */
    double p50_ms, p95_ms;                        /* Automatic search time per query */
};

#define ZT_EVAL_MAX_DRAWINGS 32 /* folders of drawings pooled in one run */

struct zt_style_eval_opts {
    const char *data;           /* dataset folder: the split's photos are the queries */
    struct zt_searcher_opts so; /* catalogue (holding every photo), generator, embedding */
    int split, stride, start;   /* validation, 1, 0: queries start, start + stride, ...
                                   (stride 2 and start 0/1 split it in halves: tune on
                                   one, report the other) */
    uint64_t seed;              /* the queries' drawings: 1 */
    int border_masks;           /* 1: doodles from the border heuristic's masks (as before
                                   December 2026); 0: GrabCut's (data/embedset.h) */
    unsigned styles;            /* bit per enum zt_eval_style; 0 = all made from photos,
                                   and drawn when drawings is set */
    const char *drawings[ZT_EVAL_MAX_DRAWINGS]; /* style drawn: folders DIR/<class>/<image>, */
    int ndrawings;                               /* pooled as one set of queries */
    struct zt_search_weights w; /* the search defaults */
    int threads;
    FILE *progress;             /* progress bar, or NULL */
    const char *sheet;          /* optional image file: a contact sheet, per query a row
                                   of its source photo, the query as searched and its 5
                                   best products (Automatic); green frames: the class was
                                   understood / the product is of the query's class */
    int sheet_rows;             /* rows per style: 24, spread over the queries */
    int sheet_wrong;            /* 1: only queries whose class was not understood */
};
void zt_style_eval_opts_default(struct zt_style_eval_opts *o, const char *data,
                                const char *catalog);

struct zt_style_eval {
    int queries;                       /* photos (the photo styles) */
    int drawn_queries;                 /* drawings (style drawn) */
    int sheet_rows;                    /* rows written to opts.sheet */
    int64_t products;
    char embed[1024], generator[1024]; /* models used, "" for none */
    int ran[ZT_EVAL_NSTYLES];
    struct zt_style_result r[ZT_EVAL_NSTYLES];
};

/* Opens the catalogue and searcher, runs every chosen style: drawn first
 * (a bad folder fails fast), then the styles made from the split's photos,
 * loaded once. */
int zt_style_eval_run(const struct zt_style_eval_opts *o, struct zt_style_eval *out);
/* Rows of a contact sheet being drawn (RGB; rows of 7 tiles: source photo,
 * query, 5 products; 6 when no query has a source photo, no_photo). */
struct zt_style_sheet {
    struct zt_image im;
    int rows, cap;       /* drawn, room for */
    int per_style, wrong_only, style_rows;
    int no_photo;
};
/* One style over an opened searcher/store and a loaded set (tests, tuning);
 * sheet (optional) gets up to sheet->per_style rows. */
int zt_style_eval_one(struct zt_searcher *sr, struct zt_store *s, const struct zt_embedset *set,
                      enum zt_eval_style style, int start, int stride, uint64_t seed,
                      const struct zt_search_weights *w, FILE *progress,
                      struct zt_style_sheet *sheet, struct zt_style_result *out);

/* Style drawn over an opened searcher/store: the drawings of the folder
 * trees dirs[0..ndirs) (DIR/<class>/<image>; other folders' images are
 * skipped), pooled; every folder must hold some; *queries: how many were
 * searched. */
int zt_style_eval_drawn(struct zt_searcher *sr, struct zt_store *s, const char *const *dirs,
                        int ndirs, const struct zt_search_weights *w, FILE *progress,
                        struct zt_style_sheet *sheet, struct zt_style_result *out, int *queries);

struct json_t;
struct json_t *zt_style_eval_json(const struct zt_style_eval_opts *o, const struct zt_style_eval *e);
void zt_style_eval_write_text(const struct zt_style_eval_opts *o, const struct zt_style_eval *e,
                              FILE *f);

#endif
