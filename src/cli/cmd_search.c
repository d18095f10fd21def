/* cmd_search.c: `ztyle search`: a drawing (lines + optional colour hints)
 * or a photo in, the best matching products out, with per-signal scores
 * and timings (catalog/search.h does the work). */
#include "cli.h"
#include "../catalog/index_store.h"
#include "../catalog/search.h"
#include "../catalog/store.h"
#include "../img/image.h"
#include "../util/progress.h"
#include "../nn/embed.h"
#include "../util/zt.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define CMD "search"

static void help(void)
{
    printf("usage: ztyle search (--sketch LINES.png [--hints HINTS.png] | --image PHOTO)\n"
           "                    [--category C] [-k N] [--json] [--model M] [options]\n\n"
           "Finds the catalogue products that best match a drawing or a photo. A drawing\n"
           "is black lines on white with coloured dots or strokes as colour hints (or the\n"
           "lines alone, with the hints as a separate RGBA layer in --hints). When a\n"
           "generator model is available the drawing is first turned into a photo-like\n"
           "image. Scores fuse shape (lines vs. product edge maps), colour (hints vs.\n"
           "garment colours) and appearance (generated image or photo vs. product photos)\n"
           "as a weighted sum of cosine similarities (default weights shape 1, colour 0.1,\n"
           "appearance 0.1, renormalised over the signals the query has); then the\n"
           "best matches vote for a category and its products gain up to 0.3.\n\n"
           "options:\n"
           "  --catalog URL     SQLite file or postgres://... (default: ./" ZT_CATALOG_DEFAULT ")\n"
           "  --category C      only this category (top, pants, skirt, hat, other) or class\n"
           "                    (t-shirt, shirt, longsleeve, outwear, shorts, dress, shoes, ...);\n"
           "                    without it the category is understood from the query\n"
           "  --min-price P, --max-price P   inclusive price range (\"19.90\")\n"
           "  -k N              results per page (default 10, at most 1000)\n"
           "  --offset N        skip the first N results (pagination)\n"
           "  --model M         generator file (default: $ZTYLE_MODEL, else\n"
           "                    " ZT_SEARCH_MODEL_DEFAULT " when present)\n"
           "  --no-model        do not use a generator\n"
           "  --no-hints        ignore the colour hints of the drawing\n"
           "  --weights S,C,A[,B[,T[,E]]]  fusion weights: shape, colour, appearance[,\n"
           "                    category re-ranking weight[, vote temperature[, embedding]]]\n"
           "  --embed F         search embedding model (default: $ZTYLE_EMBED, else\n"
           "                    " ZT_EMBED_DEFAULT " when present; \"\" = none)\n"
           "  --approx          approximate index (FAISS IVF) instead of the exact scan\n"
           "  --save-generated F  write the generated image to F (PNG/JPEG)\n"
           "  --threads N       threads (default: $ZTYLE_THREADS, else all cores)\n"
           "  --json            one JSON object: \"results\" (id, title, category, class,\n"
           "                    price, price_text, currency, url, image, thumbnail, score,\n"
           "                    scores) and\n"
           "                    \"timings\" (milliseconds)\n");
}

static double ms(double s) { return s * 1000.0; }

/* The product's JSON (the API's shape, with file paths) plus the scores. */
static json_t *hit_json(const struct zt_search_hit *h, const struct zt_search_result *r)
{
    json_t *j = zt_product_json(&h->p, ZT_PRODUCT_PATHS), *sc = json_object();
    for (int k = 0; k < ZT_SIG_COUNT; k++)
        json_object_set_new(sc, zt_signal_name(k), r->used[k] ? json_real(h->sig[k]) : json_null());
    json_object_set_new(j, "score", json_real(h->score));
    json_object_set_new(j, "scores", sc);
    return j;
}

/* What the command measured itself, beside the search's own timings. */
struct run {
    const char *file, *model; /* the query; the generator used, or NULL */
    int64_t offset;
    int approx;
    double t_decode, t_open;
};

static int print_json(const struct run *u, const struct zt_search_result *res)
{
    json_t *arr = json_array();
    for (int i = 0; i < res->n; i++) json_array_append_new(arr, hit_json(&res->hits[i], res));
    json_t *wj = json_object();
    for (int k = 0; k < ZT_SIG_COUNT; k++)
        json_object_set_new(wj, zt_signal_name(k), json_real(res->weights[k]));
    json_t *tj = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "decode", ms(u->t_decode),
                           "open", ms(u->t_open), "prepare", ms(res->t.prepare), "generate",
                           ms(res->t.generate), "features", ms(res->t.features), "index",
                           ms(res->t.index), "fetch", ms(res->t.fetch), "search", ms(res->t.total));
    return cli_print_json(json_pack("{s:o, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:s}", "results",
                                    arr, "understood", zt_understood_json(&res->understood),
                                    "offset", (json_int_t)u->offset, "matched",
                                    (json_int_t)res->matched, "weights", wj, "generator",
                                    u->model ? json_string(u->model) : json_null(), "timings", tj,
                                    "approximate", json_boolean(u->approx), "query", u->file));
}

static void print_text(const struct run *u, const struct zt_search_result *res)
{
    for (int i = 0; i < res->n; i++) {
        const struct zt_search_hit *h = &res->hits[i];
        char price[32];
        zt_price_format(h->p.price, price, sizeof price);
        printf("%3lld  %.4f  %-38s %-24s %-6s %9s %s  %s  [", (long long)(u->offset + i + 1),
               h->score, h->p.id, h->p.title, h->p.category, price, h->p.currency, h->p.url);
        for (int k = 0; k < ZT_SIG_COUNT; k++)
            if (res->used[k]) printf("%s%s %.3f", k ? " " : "", zt_signal_name(k), h->sig[k]);
        printf("]\n");
    }
    const struct zt_understood *und = &res->understood;
    if (und->known)
        printf("understood: %s (%.0f %%)%s\n",
               und->cls >= 0 ? zt_class_name(und->cls) : "nothing the shop sells",
               100 * und->confidence, und->filtered ? ", results of that class only" : "");
    printf("%d results%s; generator: %s\n", res->n, res->matched >= 0 ? "" : " (approximate)",
           u->model ? u->model : "none");
    printf("timings: decode %.1f ms, open %.1f ms, prepare %.1f ms, generate %.1f ms, "
           "features %.1f ms, index %.2f ms, fetch %.1f ms, search %.1f ms\n",
           ms(u->t_decode), ms(u->t_open), ms(res->t.prepare), ms(res->t.generate),
           ms(res->t.features), ms(res->t.index), ms(res->t.fetch), ms(res->t.total));
}

int cmd_search(int argc, char **argv)
{
    static const struct option opts[] = {
        {"sketch", required_argument, NULL, 's'},    {"hints", required_argument, NULL, 'H'},
        {"image", required_argument, NULL, 'i'},     {"catalog", required_argument, NULL, 'c'},
        {"category", required_argument, NULL, 'g'},  {"min-price", required_argument, NULL, 'm'},
        {"max-price", required_argument, NULL, 'M'}, {"offset", required_argument, NULL, 'o'},
        {"model", required_argument, NULL, 'e'},     {"no-model", no_argument, NULL, 'n'},
        {"embed", required_argument, NULL, 'E'},
        {"no-hints", no_argument, NULL, 'x'},        {"weights", required_argument, NULL, 'w'},
        {"approx", no_argument, NULL, 'a'},          {"save-generated", required_argument, NULL, 'G'},
        {"threads", required_argument, NULL, 't'},   {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    const char *sketch = NULL, *hints = NULL, *photo = NULL, *threads = NULL, *save_gen = NULL;
    struct zt_searcher_opts so = {.catalog = ZT_CATALOG_DEFAULT};
    struct zt_search_req rq = {.filter = ZT_INDEX_FILTER_ANY, .limit = 10};
    struct zt_search_weights w;
    zt_search_weights_default(&w);
    int json = 0, o;
    long v;
    enum zt_category cat;
    int cls;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "hk:", opts, NULL)) != -1) {
        switch (o) {
        case 's': sketch = optarg; break;
        case 'H': hints = optarg; break;
        case 'i': photo = optarg; break;
        case 'c': so.catalog = optarg; break;
        case 'g':
            if ((cls = zt_class_parse(optarg)) < 0)
                return cli_usage_error(CMD, "--category: unknown category '%s'", optarg);
            /* a category name takes its classes, a class itself */
            rq.filter.group_mask = zt_category_parse(optarg, &cat) ? UINT64_C(1) << cls
                                                                   : zt_class_mask_of_category(cat);
            break;
        case 'm':
            if (zt_price_parse(optarg, &rq.filter.price_min))
                return cli_usage_error(CMD, "--min-price: %s", zt_errmsg());
            break;
        case 'M':
            if (zt_price_parse(optarg, &rq.filter.price_max))
                return cli_usage_error(CMD, "--max-price: %s", zt_errmsg());
            rq.filter.has_price_max = 1;
            break;
        case 'k':
            if (cli_parse_int(optarg, 1, 1000, &v))
                return cli_usage_error(CMD, "-k: '%s' is not a number in 1..1000", optarg);
            rq.limit = (int)v;
            break;
        case 'o':
            if (cli_parse_int(optarg, 0, 99000, &v))
                return cli_usage_error(CMD, "--offset: '%s' is not a number in 0..99000", optarg);
            rq.offset = v;
            break;
        case 'e': so.model = optarg; break;
        case 'n': so.model = ""; break;
        case 'E': so.embed_model = optarg; break;
        case 'x': rq.q.no_hints = 1; break;
        case 'w':
            if (zt_search_weights_parse(optarg, &w))
                return cli_usage_error(CMD, "--weights: expected S,C,A[,B[,T]] (numbers >= 0), got '%s'",
                                       optarg);
            break;
        case 'a': so.approx = 1; break;
        case 'G': save_gen = optarg; break;
        case 't':
            if (cli_opt_threads(CMD, optarg, &threads)) return ZT_EXIT_USAGE;
            break;
        case 'j': json = 1; break;
        case 'h': help(); return ZT_EXIT_OK;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!sketch == !photo) return cli_usage_error(CMD, "give --sketch or --image (one of them)");
    if (hints && !sketch) return cli_usage_error(CMD, "--hints goes with --sketch");
    if (cli_catalog_missing(so.catalog))
        return cli_fail(CMD, "%s: no catalogue (run ztyle ingest first)", so.catalog);
    so.threads = cli_threads(threads);
    rq.weights = &w;
    double t0 = zt_now();
    struct zt_image im = {0}, hi = {0};
    struct zt_store *s = NULL;
    struct zt_searcher *sr = NULL;
    struct zt_search_result res = {0};
    int rc = ZT_EXIT_FAIL;
    const char *file = sketch ? sketch : photo;
    if (zt_image_load(file, 0, NULL, &im)) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto out;
    }
    if (hints && zt_image_load(hints, 0, NULL, &hi)) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto out;
    }
    double t_decode = zt_now() - t0;
    if (sketch) {
        rq.q.drawing = &im;
        rq.q.hints = hints ? &hi : NULL;
    } else {
        rq.q.photo = &im;
    }
    double t1 = zt_now();
    if (zt_store_open(so.catalog, &s) || zt_store_migrate(s) || zt_searcher_open(&so, s, &sr)) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto out;
    }
    double t_open = zt_now() - t1;
    if (zt_search_run(sr, s, &rq, &res)) {
        cli_fail(CMD, "%s: %s", file, zt_errmsg());
        goto out;
    }
    if (save_gen && res.generated_image && zt_image_save(res.generated_image, save_gen)) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto out;
    }
    struct run u = {.file = file, .model = res.generated ? zt_searcher_model(sr) : NULL,
                    .offset = rq.offset, .approx = so.approx, .t_decode = t_decode,
                    .t_open = t_open};
    if (json) print_json(&u, &res);
    else print_text(&u, &res);
    rc = ZT_EXIT_OK;
out:
    zt_search_result_free(&res);
    zt_searcher_close(sr);
    zt_store_close(s);
    zt_image_free(&im);
    zt_image_free(&hi);
    return rc;
}
