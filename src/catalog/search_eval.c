/* search_eval.c: search quality on drawings made from dataset photos (see
 * search_eval.h): each query is scored against every catalogue vector once
 * per signal, then ranked under each weighting exactly as zt_search_run
 * ranks (zt_search_signal_weights: sparse drawings too), so the grid costs
 * a re-rank, not a search. */
#include "search_eval.h"
#include "index.h"
#include "store.h"
#include "../data/dataset.h"
#include "../data/pairs.h"
#include "../util/parallel.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define NCOND ZT_SEVAL_NCOND
#define NSET ZT_SEVAL_NSET
enum { C_HINTS = ZT_SEVAL_HINTS, C_HINTS_GEN = ZT_SEVAL_HINTS_GEN };
static const char *const cond_names[NCOND] = {"hints", "no hints", "hints + generator",
                                               "no hints + generator"};

const char *zt_search_eval_cond_name(int cond)
{
    return cond >= 0 && cond < NCOND ? cond_names[cond] : "?";
}

void zt_search_eval_opts_default(struct zt_search_eval_opts *o, const char *data,
                                 const char *catalog)
{
    *o = (struct zt_search_eval_opts){.data = data, .so = {.catalog = catalog},
                                      .split = ZT_SPLIT_VAL, .stride = 1, .size = 256,
                                      .hints = 10, .seed = 1, .threads = 1};
    zt_search_weights_default(&o->w);
}

#define GRID_C 6
#define GRID_A 6
#define GRID_B 6
#define GRID_T 3
static const float grid_c[GRID_C] = {0, 0.05f, 0.1f, 0.2f, 0.35f, 0.5f};
static const float grid_a[GRID_A] = {0, 0.25f, 0.5f, 0.75f, 1, 1.5f};
static const float grid_b[GRID_B] = {0, 0.05f, 0.1f, 0.2f, 0.3f, 0.5f};
static const float grid_t[GRID_T] = {0, 0.01f, 0.03f};
#define NGRID ZT_SEVAL_NGRID
_Static_assert(GRID_C * GRID_A * GRID_B * GRID_T == ZT_SEVAL_NGRID, "grid size");
/* grid index -> (colour, appearance, category, temp) with shape = 1 */
void zt_search_eval_grid_weights(int g, float *c, float *a, float *b, float *t)
{
    *t = grid_t[g % GRID_T];
    g /= GRID_T;
    *b = grid_b[g % GRID_B];
    g /= GRID_B;
    *a = grid_a[g % GRID_A];
    *c = grid_c[g / GRID_A];
}

struct qres {
    int ok;
    char has[NCOND][NSET];
    int32_t rank[NCOND][NSET];
    float catp[NCOND][NSET];
    int32_t grank[NCOND][NGRID];
    float gcatp[NCOND][NGRID];
};

struct job {
    struct zt_searcher *sr;
    const struct zt_index *ix;
    const struct zt_sample **q;
    struct qres *res;
    struct zt_pair_opts po;
    uint64_t seed;
    int ncond;
    int tune;
    struct zt_search_weights w;
    float **scratch; /* per worker: (ZT_SIG_COUNT + 1) * n floats: scores, then fused */
    struct zt_hit **room;
    struct zt_progress *pg;
};

/* Per-signal scores of every item for features f into s[k][i]. */
static void signal_scores(const struct zt_index *ix, const struct zt_features *f, float *s)
{
    int64_t n = zt_index_count(ix);
    for (int64_t i = 0; i < n; i++) {
        const float *v = zt_index_vector(ix, i);
        for (int k = 0; k < ZT_SIG_COUNT; k++) {
            int off, dim;
            zt_signal_span(k, &off, &dim);
            float a = 0;
            if (f->has[k])
                for (int j = 0; j < dim; j++) a += f->v[off + j] * v[off + j];
            s[k * n + i] = a;
        }
    }
}

/* Rank of target t and category precision@10 under weights w (per signal)
 * and category re-ranking beta, exactly as zt_search_run ranks: the top
 * ZT_SEARCH_POOL by fused score, re-ranked with the category votes of the
 * first ZT_SEARCH_KNN; a target outside the pool keeps its fused rank. */
static void measure(const struct zt_index *ix, const float *s, const float *w, float beta,
                    float temp, int64_t t, float *fused, struct zt_hit *room, int32_t *rank, float *catp)
{
    int64_t n = zt_index_count(ix);
    for (int64_t i = 0; i < n; i++) {
        float a = 0;
        for (int k = 0; k < ZT_SIG_COUNT; k++)
            if (w[k] != 0) a += w[k] * s[k * n + i];
        fused[i] = a;
    }
    int32_t r = 1;
    float ft = fused[t];
    struct zt_topk tk;
    zt_topk_init(&tk, room, ZT_SEARCH_POOL);
    for (int64_t i = 0; i < n; i++) {
        if (fused[i] > ft || (fused[i] == ft && i < t)) r++;
        zt_topk_push(&tk, i, fused[i]);
    }
    int got = zt_topk_sort(&tk);
    if (beta > 0) {
        float votes[ZT_CLASS_COUNT];
        zt_search_category_votes(ix, room, got, temp, votes);
        for (int i = 0; i < got; i++) room[i].score += beta * votes[zt_index_category(ix, room[i].idx)];
        zt_topk_sort(&tk);
        for (int i = 0; i < got; i++)
            if (room[i].idx == t) r = i + 1;
    }
    int same = 0, cat = zt_index_category(ix, t), top = ZT_MIN(got, 10);
    for (int i = 0; i < top; i++) same += zt_index_category(ix, room[i].idx) == cat;
    *rank = r;
    *catp = top ? (float)same / (float)top : 0;
}

static int run_query(void *ctx, int64_t qi, int worker)
{
    struct job *j = ctx;
    const struct zt_sample *sm = j->q[qi];
    struct qres *r = &j->res[qi];
    struct zt_pair pair = {0};
    struct zt_image drawing = {0};
    int64_t n = zt_index_count(j->ix);
    float *sc = j->scratch[worker], *fused = sc + ZT_SIG_COUNT * n;
    int rc;
    int64_t t = zt_index_find(j->ix, sm->id);
    if (t < 0) {
        zt_seterr("%s: not in the catalogue (ingest the dataset first, or use --ingest)", sm->id);
        return ZT_ENOTFOUND;
    }
    if ((rc = zt_pair_make(sm->path, &j->po, zt_pair_seed(j->seed, sm->id), &pair))) return rc;
    if ((rc = zt_pair_drawing(&pair, &drawing))) goto out;
    for (int c = 0; c < j->ncond; c++) {
        struct zt_search_query q = {0};
        int hints = c == C_HINTS || c == C_HINTS_GEN;
        q.drawing = hints ? &drawing : &pair.edges;
        q.no_hints = !hints;
        q.no_generator = c < C_HINTS_GEN;
        struct zt_features f;
        if ((rc = zt_search_query_features(j->sr, &q, &f, NULL, NULL, NULL))) goto out;
        signal_scores(j->ix, &f, sc);
        for (int set = 0; set < NSET; set++) {
            float w[ZT_SIG_COUNT] = {0}, beta = 0, temp = 0;
            if (set < ZT_SIG_COUNT) {
                if (!f.has[set]) {
                    /* the drawing lost this signal (e.g. every hint read as
                     * line or paper): ranked last, as an honest miss */
                    r->rank[c][set] = (int32_t)n;
                    r->catp[c][set] = 0;
                    continue;
                }
                r->has[c][set] = 1;
                w[set] = 1;
            } else {
                r->has[c][set] = 1;
                beta = j->w.category;
                temp = j->w.temp;
                int used[ZT_SIG_COUNT];
                /* the weights as the search applies them (sparse drawings too) */
                zt_search_signal_weights(&f, &j->w, used, w);
            }
            measure(j->ix, sc, w, beta, temp, t, fused, j->room[worker], &r->rank[c][set],
                    &r->catp[c][set]);
        }
        if (j->tune)
            for (int g = 0; g < NGRID; g++) {
                float gc, ga, gb, gt;
                zt_search_eval_grid_weights(g, &gc, &ga, &gb, &gt);
                if (!f.has[ZT_SIG_APP] && ga > 0) continue; /* same as ga = 0 */
                if (gb == 0 && gt > 0) continue;           /* same as gt = 0 */
                /* normalised over the signals present, as the search does */
                struct zt_search_weights gw = j->w;
                gw.w[ZT_SIG_SHAPE] = 1, gw.w[ZT_SIG_COLOR] = gc, gw.w[ZT_SIG_APP] = ga;
                gw.w[ZT_SIG_EMBED] = 0;
                float w[ZT_SIG_COUNT];
                int used[ZT_SIG_COUNT];
                zt_search_signal_weights(&f, &gw, used, w);
                measure(j->ix, sc, w, gb, gt, t, fused, j->room[worker], &r->grank[c][g],
                        &r->gcatp[c][g]);
            }
    }
    r->ok = 1;
out:
    zt_progress_add(j->pg, 1);
    if (rc) zt_adderr("%s", sm->path);
    zt_pair_deinit(&pair);
    zt_image_free(&drawing);
    return rc;
}

/* Means over the queries that ran of rank/catp, read with a stride from the
 * first query's cell (the per-query records are an array of struct qres). */
static struct zt_search_eval_cell summarize(const struct qres *res, int nq, const int32_t *rank0,
                                            const float *catp0)
{
    const size_t stride = sizeof(struct qres);
    struct zt_search_eval_cell s = {0};
    for (int i = 0; i < nq; i++) {
        if (!res[i].ok) continue;
        int32_t r = *(const int32_t *)((const char *)rank0 + stride * (size_t)i);
        float cp = *(const float *)((const char *)catp0 + stride * (size_t)i);
        if (r < 1) return (struct zt_search_eval_cell){0};
        s.n++;
        s.r1 += r <= 1;
        s.r5 += r <= 5;
        s.r10 += r <= 10;
        s.map += 1.0 / r;
        s.catp += cp;
    }
    if (s.n) {
        s.r1 /= s.n, s.r5 /= s.n, s.r10 /= s.n, s.map /= s.n, s.catp /= s.n;
    }
    return s;
}

/* Per-query records -> the report's cells, grid and best grid points. */
static int summarize_all(const struct job *j, int nq, struct zt_search_eval *e)
{
    const struct qres *res = j->res;
    for (int c = 0; c < j->ncond; c++) {
        for (int set = 0; set < NSET; set++) {
            struct zt_search_eval_cell sm = summarize(res, nq, &res[0].rank[c][set],
                                                      &res[0].catp[c][set]);
            int any = 0;
            for (int i = 0; i < nq; i++) any |= res[i].has[c][set];
            if (!any) sm.n = 0; /* no query had this signal: n/a */
            e->cell[c][set] = sm;
        }
        if (!j->tune) continue;
        double bests = -1;
        for (int g = 0; g < NGRID; g++) {
            struct zt_search_eval_cell sm = summarize(res, nq, &res[0].grank[c][g],
                                                      &res[0].gcatp[c][g]);
            /* the bar's three terms: R@10, R@1 and category precision */
            double score = sm.r10 + 0.5 * sm.r1 + sm.catp;
            if (score > bests) bests = score, e->best[c] = g;
            e->grid[(size_t)c * NGRID + (size_t)g] = sm;
        }
    }
    return ZT_OK;
}

static void job_free(struct job *j, int nthreads)
{
    if (j->scratch)
        for (int t = 0; t < nthreads; t++) free(j->scratch[t]);
    if (j->room)
        for (int t = 0; t < nthreads; t++) free(j->room[t]);
    free(j->scratch);
    free(j->room);
    free(j->q);
    free(j->res);
}

int zt_search_eval_run(const struct zt_search_eval_opts *o, struct zt_search_eval *e)
{
    memset(e, 0, sizeof *e);
    int nthreads = o->threads > 0 ? o->threads : 1, nq = 0, rc;
    struct zt_searcher_opts so = o->so;
    so.threads = 1; /* queries run in parallel; each scan is single-threaded */
    struct zt_dataset ds = {0};
    struct zt_store *s = NULL;
    struct job j = {.seed = o->seed, .tune = o->tune, .w = o->w};
    if ((rc = zt_dataset_open(o->data, NULL, 10, &ds))) goto out;
    if ((rc = zt_store_open(so.catalog, &s)) || (rc = zt_store_migrate(s)) ||
        (rc = zt_searcher_open(&so, s, &j.sr)))
        goto out;
    j.ix = zt_searcher_index(j.sr);
    int64_t n = zt_index_count(j.ix);
    snprintf(e->generator, sizeof e->generator, "%s", zt_searcher_model(j.sr));
    e->products = n;
    e->ncond = j.ncond = e->generator[0] ? NCOND : 2;
    zt_pair_opts_default(&j.po, o->size, ZT_EDGE_CANNY);
    j.po.hint.fixed_count = o->hints;
    if (n == 0) {
        zt_seterr("the catalogue is empty");
        rc = ZT_EINVAL;
        goto out;
    }
    rc = ZT_ENOMEM;
    j.q = calloc((size_t)ds.n + 1, sizeof *j.q);
    j.res = calloc((size_t)ds.n + 1, sizeof *j.res);
    j.scratch = calloc((size_t)nthreads, sizeof *j.scratch);
    j.room = calloc((size_t)nthreads, sizeof *j.room);
    if (o->tune) e->grid = calloc((size_t)NCOND * NGRID, sizeof *e->grid);
    if (!j.q || !j.res || !j.scratch || !j.room || (o->tune && !e->grid)) goto oom;
    for (int i = 0, k = 0; i < ds.n; i++)
        if (ds.s[i].split == o->split && k++ % o->stride == 0) j.q[nq++] = &ds.s[i];
    for (int t = 0; t < nthreads; t++)
        if (!(j.scratch[t] = malloc(sizeof(float) * (ZT_SIG_COUNT + 1) * (size_t)n)) ||
            !(j.room[t] = malloc(sizeof(struct zt_hit) * ZT_SEARCH_POOL)))
            goto oom;
    j.pg = zt_progress_new("eval-search", nq, o->progress, !o->progress);
    double t0 = zt_now();
    rc = zt_parallel_for(nq, nthreads, run_query, &j);
    e->seconds = zt_now() - t0;
    zt_progress_free(j.pg);
    e->queries = nq;
    if (!rc) rc = summarize_all(&j, nq, e);
    goto out;
oom:
    zt_seterr("out of memory");
out:
    job_free(&j, nthreads);
    zt_searcher_close(j.sr);
    zt_store_close(s);
    zt_dataset_deinit(&ds);
    return rc;
}

void zt_search_eval_free(struct zt_search_eval *e)
{
    if (!e) return;
    free(e->grid);
    e->grid = NULL;
}

/* --- reports --- */

static const char *split_name(int split) { return split == ZT_SPLIT_VAL ? "validation" : "train"; }

static json_t *cell_json(const struct zt_search_eval_cell *s)
{
    if (!s->n) return json_null();
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:i}", "recall@1", s->r1, "recall@5", s->r5,
                     "recall@10", s->r10, "mAP", s->map, "category_precision@10", s->catp,
                     "queries", s->n);
}

static const char *set_name(int set) { return set < ZT_SIG_COUNT ? zt_signal_name(set) : "fused"; }

json_t *zt_search_eval_json(const struct zt_search_eval_opts *o, const struct zt_search_eval *e)
{
    json_t *jr = json_object();
    for (int c = 0; c < e->ncond; c++) {
        json_t *jc = json_object();
        for (int set = 0; set < NSET; set++)
            json_object_set_new(jc, set_name(set), cell_json(&e->cell[c][set]));
        if (e->grid) {
            json_t *jg = json_array();
            for (int g = 0; g < NGRID; g++) {
                json_t *x = cell_json(&e->grid[(size_t)c * NGRID + (size_t)g]);
                if (json_is_object(x)) {
                    float gc, ga, gb, gt;
                    zt_search_eval_grid_weights(g, &gc, &ga, &gb, &gt);
                    json_object_set_new(x, "temp", json_real(gt));
                    json_object_set_new(x, zt_signal_name(ZT_SIG_COLOR), json_real(gc));
                    json_object_set_new(x, "appearance", json_real(ga));
                    json_object_set_new(x, "category", json_real(gb));
                }
                json_array_append_new(jg, x);
            }
            json_object_set_new(jc, "tune", jg);
        }
        json_object_set_new(jr, cond_names[c], jc);
    }
    return json_pack("{s:s, s:i, s:I, s:i, s:i, s:i, s:[f,f,f], s:o, s:f, s:o}", "split",
                     split_name(o->split), "queries", e->queries, "products",
                     (json_int_t)e->products, "size", o->size, "hints", o->hints, "seed",
                     (int)o->seed, "weights", o->w.w[0], o->w.w[1], o->w.w[2], "generator",
                     e->generator[0] ? json_string(e->generator) : json_null(), "seconds",
                     e->seconds, "results", jr);
}

void zt_search_eval_write_text(const struct zt_search_eval_opts *o, const struct zt_search_eval *e,
                               FILE *f)
{
    fprintf(f,
            "eval-search: %d %s queries (drawings %dpx, %d hints, seed %lld) against %lld "
            "products, %.1f s\n"
            "weights: shape %.2f, colour %.2f, appearance %.2f, category %.2f; generator: %s\n\n"
            "%-22s %-11s %6s %6s %6s %6s %8s\n",
            e->queries, split_name(o->split), o->size, o->hints, (long long)o->seed,
            (long long)e->products, e->seconds, o->w.w[0], o->w.w[1], o->w.w[2], o->w.category,
            e->generator[0] ? e->generator : "none", "condition", "signal", "R@1", "R@5", "R@10",
            "mAP", "catP@10");
    for (int c = 0; c < e->ncond; c++) {
        for (int set = 0; set < NSET; set++) {
            const struct zt_search_eval_cell *sm = &e->cell[c][set];
            if (!sm->n) fprintf(f, "%-22s %-11s %6s\n", cond_names[c], set_name(set), "n/a");
            else
                fprintf(f, "%-22s %-11s %6.3f %6.3f %6.3f %6.3f %8.3f\n", cond_names[c],
                        set_name(set), sm->r1, sm->r5, sm->r10, sm->map, sm->catp);
        }
        if (!e->grid) continue;
        const struct zt_search_eval_cell *sm = &e->grid[(size_t)c * NGRID + (size_t)e->best[c]];
        float gc, ga, gb, gt;
        zt_search_eval_grid_weights(e->best[c], &gc, &ga, &gb, &gt);
        fprintf(f,
                "%-22s best: shape 1, colour %.2f, appearance %.2f, category %.2f, temp %.2f -> "
                "R@1 %.3f R@5 %.3f R@10 %.3f mAP %.3f catP@10 %.3f\n",
                cond_names[c], gc, ga, gb, gt, sm->r1, sm->r5, sm->r10, sm->map, sm->catp);
    }
}
