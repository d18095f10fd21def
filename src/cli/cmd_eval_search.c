/* cmd_eval_search.c: `ztyle eval-search`: search quality on drawings made
 * from dataset photos (edge map + fixed-seed hints, flattened as a shopper
 * sends them) against a catalogue holding every photo: Recall@1/5/10 and
 * mAP of the source product and category precision@10, per signal and
 * fused, with and without hints, with and without the generator; --tune
 * grid-searches the fusion weights (use it on the train split). */
#include "cli.h"
#include "../catalog/index_store.h"
#include "../catalog/ingest.h"
#include "../catalog/search.h"
#include "../catalog/eval_styles.h"
#include "../data/embedset.h"
#include "../nn/embed.h"
#include "../catalog/store.h"
#include "../data/dataset.h"
#include "../data/pairs.h"
#include "../util/parallel.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "eval-search"

static void help(void)
{
    printf("usage: ztyle eval-search [options]\n\n"
           "Measures search on drawings made from the dataset's photos: each query is the\n"
           "photo's edge map with N colour hints from a fixed seed, flattened into one\n"
           "drawing as a shopper sends it; the catalogue must hold every photo of the\n"
           "dataset (--ingest adds them first). Reports Recall@1/5/10 and mAP of finding\n"
           "the query's source product and the share of the top 10 in the query's\n"
           "category, for each signal alone and fused, with and without hints, and with\n"
           "and without the generator when one is available.\n\n"
           "options:\n"
           "  --data D        dataset folder (default: $ZTYLE_DATASET, else\n"
           "                  ../shared/datasets/clothing-small)\n"
           "  --catalog URL   catalogue (default: ./" ZT_CATALOG_DEFAULT ")\n"
           "  --ingest        ingest D into the catalogue first (idempotent)\n"
           "  --split S       validation (default) or train: which photos are queries\n"
           "  --stride N      every N-th query photo only (default 1)\n"
           "  --size N        drawing size (default 256)\n"
           "  --hints N       colour hints per drawing (default 10)\n"
           "  --seed S        hint seed (default 1)\n"
           "  --model M       generator (default: $ZTYLE_MODEL, else\n"
           "                  " ZT_SEARCH_MODEL_DEFAULT " when present); --no-model: none\n"
           "  --weights S,C,A[,B[,T]] fusion weights, category re-ranking and vote\n"
           "                  temperature (default: the search defaults)\n"
           "  --tune          also grid-search colour and appearance weights (shape = 1)\n"
           "  --threads N     threads (default: $ZTYLE_THREADS, else all cores)\n"
           "  --json          one JSON object with every number\n"
           "  --style S       instead: queries as shoppers make them, S = edges, doodle,\n"
           "                  photo or all (eval_styles.h): per class and overall R@1/10,\n"
           "                  mAP and class precision@10, with the class given and with\n"
           "                  Automatic, through the same search as a request\n"
           "  --embed F       search embedding model (default: $ZTYLE_EMBED, else\n"
           "                  " ZT_EMBED_DEFAULT " when present; \"\" = none)\n");
}

static void eval_progress(void *ctx, int64_t done, int64_t total)
{
    struct zt_progress *p = ctx;
    (void)total;
    if (p) zt_progress_add(p, 1);
}

/* --style: the shopper-like queries of eval_styles.h, one table per style. */
static int eval_styles(struct zt_searcher *sr, struct zt_store *s, const char *data, int split,
                       const char *styles, int stride, uint64_t seed,
                       const struct zt_search_weights *w, int nthreads, int json)
{
    struct zt_embedset set = {0};
    int rc;
    if ((rc = zt_embedset_load(data, split, NULL, 0, nthreads, NULL, NULL, &set)))
        return cli_fail(CMD, "%s", zt_errmsg());
    json_t *top = json_object();
    for (int st = 0; st < ZT_EVAL_NSTYLES; st++) {
        if (strcmp(styles, "all") && strcmp(styles, zt_eval_style_name(st))) continue;
        struct zt_search_eval ev;
        struct zt_progress *pg = zt_progress_new(zt_eval_style_name(st), (set.n + stride - 1) / stride,
                                                 stderr, json || !isatty(2));
        rc = zt_search_eval_run(sr, s, &set, st, stride, seed, w, eval_progress, pg, &ev);
        zt_progress_free(pg);
        if (rc) break;
        json_t *js = json_object();
        if (!json)
            printf("\nstyle %s: %d queries (%s split); search p50 %.1f ms, p95 %.1f ms (Automatic)\n"
                   "%-12s %-10s %5s %6s %6s %6s %8s %10s\n",
                   zt_eval_style_name(st), ev.all[1].n, split == ZT_SPLIT_VAL ? "validation" : "train",
                   ev.p50_ms, ev.p95_ms, "class", "mode", "n", "R@1", "R@10", "mAP", "catP@10", "understood");
        for (int c = -1; c < ZT_CLASS_COUNT; c++)
            for (int m = 0; m < 2; m++) {
                const struct zt_eval_cell *e = c < 0 ? &ev.all[m] : &ev.per_class[m][c];
                if (!e->n) continue;
                const char *cn = c < 0 ? "all" : zt_class_name(c), *mn = m ? "automatic" : "given";
                char key[64];
                snprintf(key, sizeof key, "%s/%s", cn, mn);
                json_object_set_new(js, key, json_pack("{s:i, s:f, s:f, s:f, s:f, s:f}", "n", e->n,
                                                       "r1", e->r1, "r10", e->r10, "map", e->map,
                                                       "catp10", e->catp10, "understood", e->understood));
                if (json) continue;
                if (st == ZT_EVAL_PHOTO)
                    printf("%-12s %-10s %5d %6s %6s %6s %8.3f %10.3f\n", cn, mn, e->n, "-", "-", "-",
                           e->catp10, e->understood);
                else
                    printf("%-12s %-10s %5d %6.3f %6.3f %6.3f %8.3f %10.3f\n", cn, mn, e->n, e->r1,
                           e->r10, e->map, e->catp10, e->understood);
            }
        json_object_set_new(js, "p50_ms", json_real(ev.p50_ms));
        json_object_set_new(top, zt_eval_style_name(st), js);
    }
    if (rc) cli_fail(CMD, "%s", zt_errmsg());
    else if (json) {
        char *str = json_dumps(top, JSON_COMPACT);
        if (str) printf("%s\n", str);
        free(str);
    }
    json_decref(top);
    zt_embedset_deinit(&set);
    return rc ? ZT_EXIT_FAIL : ZT_EXIT_OK;
}

/* conditions: hints x generator */
enum { C_HINTS = 0, C_NOHINTS = 1, C_HINTS_GEN = 2, C_NOHINTS_GEN = 3, NCOND = 4 };
static const char *const cond_names[NCOND] = {"hints", "no hints", "hints + generator",
                                               "no hints + generator"};
/* signal sets: each signal alone, then fused */
enum { SET_FUSED = ZT_SIG_COUNT, NSET = ZT_SIG_COUNT + 1 };
#define GRID_C 6
#define GRID_A 6
#define GRID_B 6
#define GRID_T 3
static const float grid_c[GRID_C] = {0, 0.05f, 0.1f, 0.2f, 0.35f, 0.5f};
static const float grid_a[GRID_A] = {0, 0.25f, 0.5f, 0.75f, 1, 1.5f};
static const float grid_b[GRID_B] = {0, 0.05f, 0.1f, 0.2f, 0.3f, 0.5f};
static const float grid_t[GRID_T] = {0, 0.01f, 0.03f};
#define NGRID (GRID_C * GRID_A * GRID_B * GRID_T)
/* grid index -> (colour, appearance, category, temp) with shape = 1 */
static void grid_weights(int g, float *c, float *a, float *b, float *t)
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
    float **scratch; /* per worker: 4 * n floats */
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
        float votes[ZT_CATEGORY_COUNT];
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
    float *sc = j->scratch[worker], *fused = sc + 3 * n;
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
                float wn[ZT_SIG_COUNT];
                int used[ZT_SIG_COUNT];
                /* normalised weights as the search applies them */
                float sum = 0;
                for (int k = 0; k < ZT_SIG_COUNT; k++) {
                    used[k] = f.has[k] && j->w.w[k] > 0;
                    if (used[k]) sum += j->w.w[k];
                }
                for (int k = 0; k < ZT_SIG_COUNT; k++) wn[k] = used[k] && sum > 0 ? j->w.w[k] / sum : 0;
                memcpy(w, wn, sizeof w);
            }
            measure(j->ix, sc, w, beta, temp, t, fused, j->room[worker], &r->rank[c][set],
                    &r->catp[c][set]);
        }
        if (j->tune)
            for (int g = 0; g < NGRID; g++) {
                float gc, ga, gb, gt;
                grid_weights(g, &gc, &ga, &gb, &gt);
                if (!f.has[ZT_SIG_APP] && ga > 0) continue; /* same as ga = 0 */
                if (gb == 0 && gt > 0) continue;           /* same as gt = 0 */
                /* normalised over the signals present, as the search does */
                float w[ZT_SIG_COUNT] = {1, f.has[ZT_SIG_COLOR] ? gc : 0, ga};
                float sum = w[0] + w[1] + w[2];
                for (int k = 0; k < ZT_SIG_COUNT; k++) w[k] /= sum;
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

struct summary {
    double r1, r5, r10, map, catp;
    int n;
};

static struct summary summarize(const struct qres *res, int nq, const int32_t *rank0,
                                const float *catp0, size_t stride_i, size_t stride_f)
{
    struct summary s = {0};
    for (int i = 0; i < nq; i++) {
        if (!res[i].ok) continue;
        int32_t r = *(const int32_t *)((const char *)rank0 + stride_i * (size_t)i);
        float cp = *(const float *)((const char *)catp0 + stride_f * (size_t)i);
        if (r < 1) return (struct summary){0};
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

static json_t *summary_json(const struct summary *s)
{
    if (!s->n) return json_null();
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:i}", "recall@1", s->r1, "recall@5", s->r5,
                     "recall@10", s->r10, "mAP", s->map, "category_precision@10", s->catp,
                     "queries", s->n);
}

int cmd_eval_search(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},    {"catalog", required_argument, NULL, 'c'},
        {"ingest", no_argument, NULL, 'I'},        {"split", required_argument, NULL, 's'},
        {"stride", required_argument, NULL, 'S'},  {"size", required_argument, NULL, 'z'},
        {"hints", required_argument, NULL, 'H'},   {"seed", required_argument, NULL, 'r'},
        {"model", required_argument, NULL, 'm'},   {"no-model", no_argument, NULL, 'n'},
        {"weights", required_argument, NULL, 'w'}, {"tune", no_argument, NULL, 'T'},
        {"threads", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
        {"style", required_argument, NULL, 'y'},   {"embed", required_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *data = zt_dataset_default(), *threads = NULL, *styles = NULL;
    struct zt_searcher_opts so = {.catalog = ZT_CATALOG_DEFAULT};
    struct job j = {0};
    long stride = 1, size = 256, nh = 10, seed = 1, v;
    int split = ZT_SPLIT_VAL, json = 0, do_ingest = 0, o;
    zt_search_weights_default(&j.w);
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'd': data = optarg; break;
        case 'c': so.catalog = optarg; break;
        case 'I': do_ingest = 1; break;
        case 's':
            if (!strcmp(optarg, "validation") || !strcmp(optarg, "val")) split = ZT_SPLIT_VAL;
            else if (!strcmp(optarg, "train")) split = ZT_SPLIT_TRAIN;
            else return cli_usage_error(CMD, "--split: 'validation' or 'train', got '%s'", optarg);
            break;
        case 'S':
            if (cli_parse_int(optarg, 1, 1000000, &stride))
                return cli_usage_error(CMD, "--stride: '%s' is not a number >= 1", optarg);
            break;
        case 'z':
            if (cli_parse_int(optarg, 64, 1024, &size))
                return cli_usage_error(CMD, "--size: '%s' is not a number in 64..1024", optarg);
            break;
        case 'H':
            if (cli_parse_int(optarg, 1, 64, &nh))
                return cli_usage_error(CMD, "--hints: '%s' is not a number in 1..64", optarg);
            break;
        case 'r':
            if (cli_parse_int(optarg, 0, 1L << 40, &seed))
                return cli_usage_error(CMD, "--seed: '%s' is not a number >= 0", optarg);
            break;
        case 'm': so.model = optarg; break;
        case 'n': so.model = ""; break;
        case 'w':
            if (zt_search_weights_parse(optarg, &j.w))
                return cli_usage_error(CMD, "--weights: expected S,C,A[,B[,T]] (numbers >= 0), got '%s'", optarg);
            break;
        case 'T': j.tune = 1; break;
        case 't':
            if (cli_parse_int(optarg, 1, 1024, &v))
                return cli_usage_error(CMD, "--threads: '%s' is not a number in 1..1024", optarg);
            threads = optarg;
            break;
        case 'j': json = 1; break;
        case 'y': {
            enum zt_eval_style es;
            if (strcmp(optarg, "all") && zt_eval_style_parse(optarg, &es))
                return cli_usage_error(CMD, "--style: edges, doodle, photo or all, got '%s'", optarg);
            styles = optarg;
            break;
        }
        case 'E': so.embed_model = optarg; break;
        case 'h': help(); return ZT_EXIT_OK;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    int nthreads = cli_threads(threads);
    /* queries run in parallel, each scan single-threaded (--style: one query at a time) */
    so.threads = styles ? nthreads : 1;
    struct zt_dataset ds = {0};
    struct zt_store *s = NULL;
    int rc = ZT_EXIT_FAIL, nq = 0;
    if (zt_dataset_open(data, NULL, 10, &ds)) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto out;
    }
    if (do_ingest) {
        struct zt_ingest_opts io = {.catalog = so.catalog, .threads = nthreads,
                                    .progress = isatty(2) ? stderr : NULL};
        struct zt_ingest_stats st;
        if (zt_catalog_ingest(data, &io, &st)) {
            cli_fail(CMD, "ingest: %s", zt_errmsg());
            goto out;
        }
        if (!json)
            printf("ingested %s: %lld products (%lld processed) in %.1f s\n", data,
                   (long long)st.written, (long long)st.computed, st.seconds);
    }
    if (cli_catalog_missing(so.catalog)) {
        cli_fail(CMD, "%s: no catalogue (ingest %s first, or add --ingest)", so.catalog, data);
        goto out;
    }
    if (zt_store_open(so.catalog, &s) || zt_store_migrate(s) || zt_searcher_open(&so, s, &j.sr)) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto out;
    }
    if (styles) {
        rc = eval_styles(j.sr, s, data, split, styles, (int)stride, (uint64_t)seed, &j.w,
                         nthreads, json);
        goto out;
    }
    j.ix = zt_searcher_index(j.sr);
    int64_t n = zt_index_count(j.ix);
    j.ncond = zt_searcher_model(j.sr)[0] ? NCOND : 2;
    j.seed = (uint64_t)seed;
    zt_pair_opts_default(&j.po, (int)size, ZT_EDGE_CANNY);
    j.po.hint.fixed_count = (int)nh;
    j.q = calloc((size_t)ds.n, sizeof *j.q);
    j.res = calloc((size_t)ds.n, sizeof *j.res);
    j.scratch = calloc((size_t)nthreads, sizeof *j.scratch);
    j.room = calloc((size_t)nthreads, sizeof *j.room);
    if (!j.q || !j.res || !j.scratch || !j.room || n == 0) {
        cli_fail(CMD, n == 0 ? "the catalogue is empty" : "out of memory");
        goto out;
    }
    for (int i = 0, k = 0; i < ds.n; i++)
        if (ds.s[i].split == split && k++ % stride == 0) j.q[nq++] = &ds.s[i];
    for (int t = 0; t < nthreads; t++)
        if (!(j.scratch[t] = malloc(sizeof(float) * 4 * (size_t)n)) ||
            !(j.room[t] = malloc(sizeof(struct zt_hit) * ZT_SEARCH_POOL))) {
            cli_fail(CMD, "out of memory");
            goto out;
        }
    j.pg = zt_progress_new("eval-search", nq, stderr, json || !isatty(2));
    double t0 = zt_now();
    int prc = zt_parallel_for(nq, nthreads, run_query, &j);
    double secs = zt_now() - t0;
    zt_progress_free(j.pg);
    if (prc) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto out;
    }
    /* report */
    const size_t si = sizeof(struct qres), sf = sizeof(struct qres);
    json_t *jr = json_object();
    if (!json)
        printf("eval-search: %d %s queries (drawings %ldpx, %ld hints, seed %ld) against %lld "
               "products, %.1f s\n"
               "weights: shape %.2f, colour %.2f, appearance %.2f, category %.2f; generator: %s\n\n"
               "%-22s %-11s %6s %6s %6s %6s %8s\n",
               nq, split == ZT_SPLIT_VAL ? "validation" : "train", size, nh, seed, (long long)n,
               secs, j.w.w[0], j.w.w[1], j.w.w[2], j.w.category,
               zt_searcher_model(j.sr)[0] ? zt_searcher_model(j.sr) : "none", "condition",
               "signal", "R@1", "R@5", "R@10", "mAP", "catP@10");
    for (int c = 0; c < j.ncond; c++) {
        json_t *jc = json_object();
        for (int set = 0; set < NSET; set++) {
            const char *name = set < ZT_SIG_COUNT ? zt_signal_name(set) : "fused";
            struct summary sm = summarize(j.res, nq, &j.res[0].rank[c][set],
                                          &j.res[0].catp[c][set], si, sf);
            int any = 0;
            for (int i = 0; i < nq; i++) any |= j.res[i].has[c][set];
            if (!any) sm.n = 0; /* no query had this signal: n/a */
            json_object_set_new(jc, name, summary_json(&sm));
            if (json) continue;
            if (!sm.n) printf("%-22s %-11s %6s\n", cond_names[c], name, "n/a");
            else
                printf("%-22s %-11s %6.3f %6.3f %6.3f %6.3f %8.3f\n", cond_names[c], name, sm.r1,
                       sm.r5, sm.r10, sm.map, sm.catp);
        }
        if (j.tune) {
            int best = 0;
            double bests = -1;
            json_t *jg = json_array();
            for (int g = 0; g < NGRID; g++) {
                struct summary sm = summarize(j.res, nq, &j.res[0].grank[c][g],
                                              &j.res[0].gcatp[c][g], si, sf);
                /* the bar's three terms: R@10, R@1 and category precision */
                double score = sm.r10 + 0.5 * sm.r1 + sm.catp;
                if (score > bests) bests = score, best = g;
                json_t *e = summary_json(&sm);
                if (json_is_object(e)) {
                    float gc, ga, gb, gt;
                    grid_weights(g, &gc, &ga, &gb, &gt);
                    json_object_set_new(e, "temp", json_real(gt));
                    json_object_set_new(e, "color", json_real(gc));
                    json_object_set_new(e, "appearance", json_real(ga));
                    json_object_set_new(e, "category", json_real(gb));
                }
                json_array_append_new(jg, e);
            }
            struct summary sm = summarize(j.res, nq, &j.res[0].grank[c][best],
                                          &j.res[0].gcatp[c][best], si, sf);
            json_object_set_new(jc, "tune", jg);
            float gc, ga, gb, gt;
            grid_weights(best, &gc, &ga, &gb, &gt);
            if (!json)
                printf("%-22s best: shape 1, colour %.2f, appearance %.2f, category %.2f, temp %.2f -> R@1 "
                       "%.3f R@5 %.3f R@10 %.3f mAP %.3f catP@10 %.3f\n",
                       cond_names[c], gc, ga, gb, gt, sm.r1, sm.r5, sm.r10, sm.map, sm.catp);
        }
        json_object_set_new(jr, cond_names[c], jc);
    }
    if (json) {
        json_t *top = json_pack("{s:s, s:i, s:I, s:i, s:i, s:i, s:[f,f,f], s:o, s:f, s:o}", "split",
                                split == ZT_SPLIT_VAL ? "validation" : "train", "queries", nq,
                                "products", (json_int_t)n,
                                "size", (int)size, "hints", (int)nh, "seed", (int)seed, "weights",
                                j.w.w[0], j.w.w[1], j.w.w[2], "generator",
                                zt_searcher_model(j.sr)[0] ? json_string(zt_searcher_model(j.sr))
                                                           : json_null(),
                                "seconds", secs, "results", jr);
        char *str = top ? json_dumps(top, JSON_COMPACT) : NULL;
        if (str) printf("%s\n", str);
        free(str);
        json_decref(top);
    } else {
        json_decref(jr);
    }
    rc = ZT_EXIT_OK;
out:
    if (j.scratch)
        for (int t = 0; t < nthreads; t++) free(j.scratch[t]);
    if (j.room)
        for (int t = 0; t < nthreads; t++) free(j.room[t]);
    free(j.scratch);
    free(j.room);
    free(j.q);
    free(j.res);
    zt_searcher_close(j.sr);
    zt_store_close(s);
    zt_dataset_deinit(&ds);
    return rc;
}
