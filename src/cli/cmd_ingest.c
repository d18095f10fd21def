/* cmd_ingest.c: `ztyle ingest SOURCE`: a product feed (CSV/JSONL) or a
 * folder tree of photos into the catalogue, with features, thumbnails and
 * the search index (catalog/ingest.h does the work). */
#include "cli.h"
#include "../catalog/index_store.h"
#include "../catalog/ingest.h"
#include "../nn/embed.h"
#include "../util/zt.h"

#include <getopt.h>
#include <jansson.h>
#include <unistd.h>

#define CMD "ingest"

static void help(void)
{
    printf("usage: ztyle ingest [options] SOURCE\n\n"
           "Adds or updates products in the catalogue. SOURCE is a product feed (.csv with\n"
           "a header row, or .jsonl/.ndjson; fields id, title, category, price, url, image,\n"
           "optional class and currency; image paths relative to the feed's folder) or a\n"
           "folder tree <class>/<image> (id = file name without extension; title from the\n"
           "dominant colour and the class, e.g. \"Navy pants\"; a made-up stable price; url\n"
           "/product/<id>). Products are upserted by id, so a re-run is idempotent and\n"
           "finishes an interrupted run; unchanged images are not processed again.\n"
           "Thumbnails, edge maps and the search index go to the media folder beside the\n"
           "catalogue (<catalog>.media/, or $ZTYLE_MEDIA / ./ztyle-media for PostgreSQL).\n"
           "Rejected rows are reported as FILE:LINE: FIELD: WHY and skipped; the exit\n"
           "status is then 1, after every good row is stored.\n\n"
           "options:\n"
           "  --catalog URL   SQLite file or postgres://... (default: ./" ZT_CATALOG_DEFAULT ")\n"
           "  --batch N       products per transaction (default 64)\n"
           "  --force         recompute features of unchanged products (also after a new\n"
           "                  search embedding model: the index must hold its vectors)\n"
           "  --embed F       search embedding model computed for every product (default:\n"
           "                  $ZTYLE_EMBED, else " ZT_EMBED_DEFAULT " when present; \"\" = none)\n"
           "  --threads N     image workers (default: $ZTYLE_THREADS, else all cores)\n"
           "  --quiet         no progress bar\n"
           "  --json          print the summary as one JSON object\n");
}

static void on_reject(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "ztyle ingest: %s\n", msg);
}

int cmd_ingest(int argc, char **argv)
{
    static const struct option opts[] = {
        {"catalog", required_argument, NULL, 'c'}, {"batch", required_argument, NULL, 'b'},
        {"force", no_argument, NULL, 'f'},         {"threads", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},         {"json", no_argument, NULL, 'j'},
        {"embed", required_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    struct zt_ingest_opts io = {0};
    io.catalog = ZT_CATALOG_DEFAULT;
    const char *threads = NULL;
    int json = 0, quiet = 0, o;
    long v;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'c': io.catalog = optarg; break;
        case 'b':
            if (cli_parse_int(optarg, 1, 100000, &v))
                return cli_usage_error(CMD, "--batch: '%s' is not a number in 1..100000", optarg);
            io.batch = (int)v;
            break;
        case 'f': io.force = 1; break;
        case 'E': io.embed_model = optarg; break;
        case 't': threads = optarg; break;
        case 'q': quiet = 1; break;
        case 'j': json = 1; break;
        case 'h': help(); return ZT_EXIT_OK;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1) return cli_usage_error(CMD, "expected one SOURCE, got %d", argc - optind);
    if (threads && cli_parse_int(threads, 1, 1024, &v))
        return cli_usage_error(CMD, "--threads: '%s' is not a number in 1..1024", threads);
    io.threads = cli_threads(threads);
    io.progress = quiet || !isatty(2) ? NULL : stderr;
    io.on_reject = on_reject;
    struct zt_ingest_stats st;
    int rc = zt_catalog_ingest(argv[optind], &io, &st);
    if (rc) return cli_fail(CMD, "%s", zt_errmsg());
    if (json) {
        json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f}", "catalog", io.catalog,
                              "rows", (json_int_t)st.rows, "rejected", (json_int_t)st.rejected,
                              "computed", (json_int_t)st.computed, "unchanged",
                              (json_int_t)st.unchanged, "written", (json_int_t)st.written,
                              "indexed", (json_int_t)st.indexed, "seconds", st.seconds,
                              "products_per_s", st.seconds > 0 ? st.computed / st.seconds : 0.0);
        cli_print_json(j);
    } else {
        printf("ingest: %lld rows, %lld written (%lld processed, %lld unchanged), %lld rejected, "
               "%lld in the index, %.1f s (%.1f products/s)\n",
               (long long)st.rows, (long long)st.written, (long long)st.computed,
               (long long)st.unchanged, (long long)st.rejected, (long long)st.indexed, st.seconds,
               st.seconds > 0 ? st.computed / st.seconds : 0.0);
    }
    if (st.rejected) {
        fprintf(stderr, "ztyle ingest: %lld row(s) rejected\n", (long long)st.rejected);
        return ZT_EXIT_FAIL;
    }
    return ZT_EXIT_OK;
}
