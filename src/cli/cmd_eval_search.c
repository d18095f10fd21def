/* cmd_eval_search.c: `ztyle eval-search`: options -> catalog/search_eval
 * (search quality on drawings made from dataset photos) -> a table or JSON;
 * --ingest first ingests the dataset. */
#include "cli.h"
#include "../catalog/ingest.h"
#include "../catalog/eval_styles.h"
#include "../catalog/search_eval.h"
#include "../catalog/index_store.h"
#include "../data/dataset.h"
#include "../nn/embed.h"
#include "../util/fs.h"
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
           "                  photo, trace (a second shot of the photo traced as the\n"
           "                  page's upload does), drawn (--drawings) or all\n"
           "                  (catalog/eval_styles.h): per\n"
           "                  class and overall R@1/10, mAP, class precision@10 and the\n"
           "                  understood class (and how often the query's class is\n"
           "                  offered: understood or an alternative, the page's chips),\n"
           "                  with the class given and with Automatic,\n"
           "                  and how well the named class's confidence is calibrated\n"
           "                  (mean confidence, share right, ECE), through the same\n"
           "                  search as a request (--split, --stride, --seed, --model,\n"
           "                  --weights, --threads and --json apply)\n"
           "  --drawings DIR  --style drawn (implied): queries are drawings people made,\n"
           "                  DIR/<class>/<image> (lines and colour as the page sends\n"
           "                  them; repeat it, up to %d folders, each once, to pool\n"
           "                  several sets: one set of queries, one report); class\n"
           "                  precision@10 and the understood class per class, given\n"
           "                  and Automatic; with --style all, beside the\n"
           "                  styles made from photos (--split, --start, --stride and\n"
           "                  --seed choose photos, not drawings)\n"
           "  --start N       --style: the first query photo (default 0; with --stride 2,\n"
           "                  0 and 1 are the two halves)\n"
           "  --understood G, --filter-conf F, --knn K, --knn-photo K, --vote V  the\n"
           "                  understood class: its boost of the candidates, the confidence\n"
           "                  above which it filters, the shares of the nearest products in\n"
           "                  the embedding (drawings, photos) and of the best fused\n"
           "                  matches (search defaults)\n"
           "  --sparse W,LO,HI[,ELO,EHI]  sparse drawings: at line density LO and\n"
           "                  below, the ranking's shape weight is at most W; at HI and\n"
           "                  above the weights hold; linear between; and likewise\n"
           "                  dense from ELO line ends to EHI (search defaults; HI <=\n"
           "                  LO: off; EHI <= ELO: line ends not counted)\n"
           "  --sheet F       --style: a contact sheet (PNG or JPEG): per query a row of\n"
           "                  the query as searched and its 5 best products (Automatic),\n"
           "                  framed green where the class was understood / the product is\n"
           "                  of the query's class, red where not\n"
           "  --sheet-rows N  rows per style (default 24, spread over the queries)\n"
           "  --sheet-wrong   only the queries whose class was not understood\n"
           "  --mask M        --style: the garment masks the doodles trace: grabcut\n"
           "                  (default; the doodles whose mask the heuristic's agrees with,\n"
           "                  IoU >= 0.8, get a row of their own: \"masks agree\") or\n"
           "                  border (the heuristic, as before December 2026)\n"
           "  --embed F       search embedding model (default: $ZTYLE_EMBED, else\n"
           "                  " ZT_EMBED_DEFAULT " when present; \"\" = none)\n",
           ZT_EVAL_MAX_DRAWINGS);
}

/* --style: options -> catalog/eval_styles -> table or JSON. */
struct sheet_opts {
    const char *path;
    int rows, wrong;
};

static int run_styles(const struct zt_search_eval_opts *eo, unsigned styles, int start,
                      int border, const char *const *drawings, int ndrawings,
                      const struct sheet_opts *sh, int json)
{
    struct zt_style_eval_opts so;
    struct zt_style_eval e;
    zt_style_eval_opts_default(&so, eo->data, eo->so.catalog);
    so.sheet = sh->path, so.sheet_rows = sh->rows, so.sheet_wrong = sh->wrong;
    so.so = eo->so;
    so.split = eo->split, so.stride = eo->stride, so.start = start, so.seed = eo->seed;
    so.styles = styles, so.w = eo->w, so.threads = eo->threads, so.progress = eo->progress;
    so.border_masks = border, so.ndrawings = ndrawings;
    for (int k = 0; k < ndrawings; k++) so.drawings[k] = drawings[k];
    int rc = zt_style_eval_run(&so, &e);
    if (rc) return cli_fail(CMD, "%s", zt_errmsg());
    if (json) return cli_print_json(zt_style_eval_json(&so, &e)) ? ZT_EXIT_FAIL : ZT_EXIT_OK;
    zt_style_eval_write_text(&so, &e, stdout);
    if (sh->path) printf("\ncontact sheet: %d rows -> %s\n", e.sheet_rows, e.sheet_rows ? sh->path : "(none written)");
    return ZT_EXIT_OK;
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
        {"start", required_argument, NULL, 'A'},
        {"understood", required_argument, NULL, 'U'}, {"filter-conf", required_argument, NULL, 'F'},
        {"knn", required_argument, NULL, 'K'}, {"knn-photo", required_argument, NULL, 'k'},
        {"vote", required_argument, NULL, 'V'},
        {"mask", required_argument, NULL, 'M'}, {"sparse", required_argument, NULL, 'Z'},
        {"sheet", required_argument, NULL, 'P'}, {"sheet-rows", required_argument, NULL, 'R'},
        {"sheet-wrong", no_argument, NULL, 'W'}, {"drawings", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *threads = NULL;
    struct zt_search_eval_opts eo;
    zt_search_eval_opts_default(&eo, zt_dataset_default(), ZT_CATALOG_DEFAULT);
    long v;
    int json = 0, do_ingest = 0, o;
    unsigned styles = 0;
    int border = 0, all = 0;
    const char *drawings[ZT_EVAL_MAX_DRAWINGS];
    int ndrawings = 0, start = 0;
    struct sheet_opts sheet = {NULL, 24, 0};
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'd': eo.data = optarg; break;
        case 'c': eo.so.catalog = optarg; break;
        case 'I': do_ingest = 1; break;
        case 's':
            if (!strcmp(optarg, "validation") || !strcmp(optarg, "val")) eo.split = ZT_SPLIT_VAL;
            else if (!strcmp(optarg, "train")) eo.split = ZT_SPLIT_TRAIN;
            else return cli_usage_error(CMD, "--split: 'validation' or 'train', got '%s'", optarg);
            break;
        case 'S':
            if (cli_parse_int(optarg, 1, 1000000, &v))
                return cli_usage_error(CMD, "--stride: '%s' is not a number >= 1", optarg);
            eo.stride = (int)v;
            break;
        case 'z':
            if (cli_parse_int(optarg, 64, 1024, &v))
                return cli_usage_error(CMD, "--size: '%s' is not a number in 64..1024", optarg);
            eo.size = (int)v;
            break;
        case 'H':
            if (cli_parse_int(optarg, 1, 64, &v))
                return cli_usage_error(CMD, "--hints: '%s' is not a number in 1..64", optarg);
            eo.hints = (int)v;
            break;
        case 'r':
            if (cli_parse_int(optarg, 0, 1L << 40, &v))
                return cli_usage_error(CMD, "--seed: '%s' is not a number >= 0", optarg);
            eo.seed = (uint64_t)v;
            break;
        case 'm': eo.so.model = optarg; break;
        case 'n': eo.so.model = ""; break;
        case 'w':
            if (zt_search_weights_parse(optarg, &eo.w))
                return cli_usage_error(CMD, "--weights: expected S,C,A[,B[,T]] (numbers >= 0), got '%s'", optarg);
            break;
        case 'Z':
            if (zt_search_sparse_parse(optarg, &eo.w))
                return cli_usage_error(CMD, "--sparse: expected W,LO,HI[,ELO,EHI] (numbers 0..1000), got '%s'", optarg);
            break;
        case 'T': eo.tune = 1; break;
        case 't':
            if (cli_opt_threads(CMD, optarg, &threads)) return ZT_EXIT_USAGE;
            break;
        case 'j': json = 1; break;
        case 'y': {
            enum zt_eval_style es;
            if (!strcmp(optarg, "all")) styles |= (1u << ZT_EVAL_FROM_PHOTOS) - 1, all = 1;
            else if (zt_eval_style_parse(optarg, &es) == ZT_OK) styles |= 1u << es;
            else return cli_usage_error(CMD, "--style: edges, doodle, photo, trace, drawn or all, got '%s'", optarg);
            break;
        }
        case 'E': eo.so.embed_model = optarg; break;
        case 'M':
            if (strcmp(optarg, "grabcut") && strcmp(optarg, "border"))
                return cli_usage_error(CMD, "--mask: '%s' is not grabcut or border", optarg);
            border = !strcmp(optarg, "border");
            break;
        case 'U':
        case 'F':
        case 'K':
        case 'k':
        case 'V': {
            double x;
            const char *name = o == 'U'   ? "--understood"
                               : o == 'F' ? "--filter-conf"
                               : o == 'K' ? "--knn"
                               : o == 'k' ? "--knn-photo"
                                          : "--vote";
            if (cli_parse_double(optarg, 0, 1000, &x))
                return cli_usage_error(CMD, "%s: '%s' is not a number >= 0", name, optarg);
            if (o == 'U') eo.w.understood = (float)x;
            else if (o == 'F') eo.w.filter_conf = (float)x;
            else if (o == 'K') eo.w.knn = (float)x;
            else if (o == 'k') eo.w.knn_photo = (float)x;
            else eo.w.vote = (float)x;
            break;
        }
        case 'A':
            if (cli_parse_int(optarg, 0, 1000000, &v))
                return cli_usage_error(CMD, "--start: '%s' is not a number >= 0", optarg);
            start = (int)v;
            break;
        case 'P': sheet.path = optarg; break;
        case 'R':
            if (cli_parse_int(optarg, 1, 1000, &v))
                return cli_usage_error(CMD, "--sheet-rows: '%s' is not in 1..1000", optarg);
            sheet.rows = (int)v;
            break;
        case 'W': sheet.wrong = 1; break;
        case 'D':
            if (ndrawings == ZT_EVAL_MAX_DRAWINGS)
                return cli_usage_error(CMD, "--drawings: at most %d folders", ZT_EVAL_MAX_DRAWINGS);
            if (!zt_is_dir(optarg)) return cli_usage_error(CMD, "--drawings: '%s' is not a folder", optarg);
            drawings[ndrawings++] = optarg;
            break;
        case 'h': help(); return ZT_EXIT_OK;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (ndrawings && (all || !styles)) styles |= 1u << ZT_EVAL_DRAWN;
    if ((styles & (1u << ZT_EVAL_DRAWN)) && !ndrawings)
        return cli_usage_error(CMD, "--style drawn needs --drawings DIR");
    if (ndrawings && !(styles & (1u << ZT_EVAL_DRAWN)))
        return cli_usage_error(CMD, "--drawings goes with --style drawn or all");
    if (sheet.path && !styles) return cli_usage_error(CMD, "--sheet needs --style");
    eo.threads = cli_threads(threads);
    eo.progress = json || !isatty(2) ? NULL : stderr;
    if (do_ingest) {
        struct zt_ingest_opts io = {.catalog = eo.so.catalog, .threads = eo.threads,
                                    .embed_model = eo.so.embed_model,
                                    .progress = isatty(2) ? stderr : NULL};
        struct zt_ingest_stats st;
        if (zt_catalog_ingest(eo.data, &io, &st)) return cli_fail(CMD, "ingest: %s", zt_errmsg());
        if (!json)
            printf("ingested %s: %lld products (%lld processed) in %.1f s\n", eo.data,
                   (long long)st.written, (long long)st.computed, st.seconds);
    }
    if (cli_catalog_missing(eo.so.catalog))
        return cli_fail(CMD, "%s: no catalogue (ingest %s first, or add --ingest)", eo.so.catalog,
                        eo.data);
    if (styles) return run_styles(&eo, styles, start, border, drawings, ndrawings, &sheet, json);
    struct zt_search_eval e;
    int rc = zt_search_eval_run(&eo, &e);
    if (rc) cli_fail(CMD, "%s", zt_errmsg());
    else if (json) rc = cli_print_json(zt_search_eval_json(&eo, &e));
    else zt_search_eval_write_text(&eo, &e, stdout);
    zt_search_eval_free(&e);
    return rc ? ZT_EXIT_FAIL : ZT_EXIT_OK;
}
