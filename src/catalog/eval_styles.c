/* eval_styles.c: search quality per query style (eval_styles.h). */
#include "eval_styles.h"
#include "../data/embedset.h"
#include "../data/sample.h"
#include "../util/hash.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const style_names[ZT_EVAL_NSTYLES] = {"edges", "doodle", "photo"};

int zt_eval_style_parse(const char *s, enum zt_eval_style *out)
{
    for (int i = 0; i < ZT_EVAL_NSTYLES; i++)
        if (s && !strcasecmp(s, style_names[i])) {
            *out = (enum zt_eval_style)i;
            return ZT_OK;
        }
    zt_seterr("style '%s': expected edges, doodle or photo", s ? s : "");
    return ZT_EINVAL;
}

const char *zt_eval_style_name(enum zt_eval_style s)
{
    return (unsigned)s < ZT_EVAL_NSTYLES ? style_names[s] : "?";
}

#define QUERY_SIZE 256 /* a doodle's canvas, as the page's */
#define PHOTO_SIZE 256 /* the re-framed photo */
#define RANK_DEPTH 100 /* the source product is looked for in this many results */

/* One query's lines + hints (drawing styles) or photo, by style. */
static int make_query(const struct zt_embedset *set, int i, enum zt_eval_style style,
                      uint64_t seed, struct zt_image *a, struct zt_image *b)
{
    if (style == ZT_EVAL_PHOTO) {
        float *x = malloc(sizeof(float) * 3 * PHOTO_SIZE * PHOTO_SIZE);
        if (!x) return ZT_ENOMEM;
        int rc = zt_embedset_photo(set, i, 1, seed, PHOTO_SIZE, x);
        if (!rc) rc = zt_sample_decode_photo(x, PHOTO_SIZE, a);
        free(x);
        return rc;
    }
    return zt_embedset_drawing(set, i, style == ZT_EVAL_DOODLE ? ZT_STYLE_DOODLE : ZT_STYLE_EDGES,
                               QUERY_SIZE, seed, a, b);
}

static void add(struct zt_eval_cell *c, int rank, double catp, int understood)
{
    c->n++;
    c->r1 += rank == 1;
    c->r10 += rank >= 1 && rank <= 10;
    c->map += rank >= 1 ? 1.0 / rank : 0;
    c->catp10 += catp;
    c->understood += understood;
}

static void finish(struct zt_eval_cell *c)
{
    if (!c->n) return;
    c->r1 /= c->n, c->r10 /= c->n, c->map /= c->n, c->catp10 /= c->n, c->understood /= c->n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int zt_search_eval_run(struct zt_searcher *sr, struct zt_store *s, const struct zt_embedset *set,
                       enum zt_eval_style style, int stride, uint64_t seed,
                       const struct zt_search_weights *w,
                       void (*progress)(void *, int64_t, int64_t), void *pctx,
                       struct zt_search_eval *out)
{
    memset(out, 0, sizeof *out);
    out->style = style;
    int nq = 0, total = (set->n + stride - 1) / stride, rc = ZT_OK;
    double *times = malloc(sizeof(double) * (size_t)(total ? total : 1));
    if (!times) return ZT_ENOMEM;
    for (int i = 0; i < set->n; i += stride) {
        int cls = zt_class_parse(set->classes[set->it[i].cls]);
        if (cls < 0) continue;
        struct zt_image a = {0}, b = {0};
        uint64_t qseed = zt_mix64(seed ^ zt_hash_str(set->it[i].id));
        if ((rc = make_query(set, i, style, qseed, &a, &b))) {
            zt_adderr("query %s", set->it[i].id);
            break;
        }
        for (int mode = 0; mode < 2 && !rc; mode++) {
            struct zt_search_req rq = {.filter = ZT_INDEX_FILTER_ANY, .limit = RANK_DEPTH,
                                       .weights = w};
            if (style == ZT_EVAL_PHOTO) rq.q.photo = &a;
            else rq.q.drawing = &a, rq.q.hints = &b;
            if (mode == 0) rq.filter.group_mask = UINT64_C(1) << cls;
            struct zt_search_result res;
            double t0 = zt_now();
            if ((rc = zt_search_run(sr, s, &rq, &res))) break;
            if (mode == 1) times[nq] = zt_now() - t0;
            int rank = 0, same = 0, seen = 0;
            for (int h = 0; h < res.n; h++) {
                if (!strcmp(res.hits[h].p.id, set->it[i].id)) {
                    if (style == ZT_EVAL_PHOTO) continue; /* not in a shopper's catalogue */
                    if (!rank) rank = seen + 1;
                }
                if (seen < 10) same += zt_class_of_product(&res.hits[h].p) == cls;
                seen++;
            }
            double catp = same / 10.0;
            int und = res.understood.known && res.understood.cls == cls;
            add(&out->all[mode], rank, catp, und);
            add(&out->per_class[mode][cls], rank, catp, und);
            zt_search_result_free(&res);
        }
        zt_image_free(&a);
        zt_image_free(&b);
        if (rc) break;
        nq++;
        if (progress) progress(pctx, nq, total);
    }
    if (!rc) {
        for (int m = 0; m < 2; m++) {
            finish(&out->all[m]);
            for (int c = 0; c < ZT_CLASS_COUNT; c++) finish(&out->per_class[m][c]);
        }
        if (nq) {
            qsort(times, (size_t)nq, sizeof *times, cmp_double);
            out->p50_ms = 1e3 * times[nq / 2];
            out->p95_ms = 1e3 * times[(nq * 95) / 100 < nq ? (nq * 95) / 100 : nq - 1];
        }
    }
    free(times);
    return rc;
}
