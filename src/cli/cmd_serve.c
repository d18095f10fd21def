/* cmd_serve.c: `ztyle serve`: the web app and JSON API (http/server.h) on a
 * catalogue; without --catalog, the demo catalogue, built from the demo
 * dataset on first start. Runs until SIGINT/SIGTERM, then finishes the
 * requests in flight. */
#include "cli.h"
#include "../catalog/features.h"
#include "../nn/embed.h"
#include "../data/dataset.h"
#include "../catalog/index_store.h"
#include "../catalog/ingest.h"
#include "../catalog/search.h"
#include "../http/server.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/zt.h"

#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "serve"
#define DEMO_CATALOG "ztyle-demo/catalog.db"
#define DEMO_DATASET ZT_DATASET_DEFAULT

static void help(void)
{
    printf("usage: ztyle serve [options]\n\n"
           "Serves the drawing page, product images and the JSON API (docs/API.md) on\n"
           "http://HOST:PORT/. Stops on Ctrl-C or SIGTERM after the requests in flight.\n\n"
           "Without --catalog it serves the demo catalogue (" DEMO_CATALOG ", or\n"
           "$ZTYLE_DEMO_CATALOG), which it builds on first start from the demo dataset:\n"
           "--dataset DIR, else $ZTYLE_DATASET, else " DEMO_DATASET ".\n\n"
           "options:\n"
           "  --host ADDR       address to listen on (default 127.0.0.1)\n"
           "  --port N          port (default 8080; 0 = any free port, printed at start)\n"
           "  --catalog URL     SQLite file or postgres://... built by `ztyle ingest`\n"
           "  --dataset DIR     demo dataset folder (train/ and validation/ inside)\n"
           "  --model FILE      generator file (default: $ZTYLE_MODEL, else\n"
           "                    " ZT_MODEL_DEFAULT " when present);\n"
           "                    --model none: no generator\n"
           "  --embed FILE      search embedding (default: $ZTYLE_EMBED, else\n"
           "                    " ZT_EMBED_DEFAULT " when present; \"\" = none);\n"
           "                    the catalogue must have been ingested with it\n"
           "  --shops FILE      shop link templates (default: the built-in config/shops.json)\n"
           "  --workers N       compute workers for generate/search (default: cores)\n"
           "  --device D        cpu (default) or cuda: where the workers run the generator\n"
           "                    (builds made with `make CUDA=1`)\n"
           "  --io-threads N    HTTP threads (default 2)\n"
           "  --queue N         requests that may wait for a worker at most (default 64)\n"
           "  --max-wait MS     admission: a request is queued only when its expected wait\n"
           "                    (measured run time x requests ahead / workers) is under\n"
           "                    MS, else 503 + Retry-After (default 500; 0 = no bound)\n"
           "  --max-body MB     request body limit (default 8)\n"
           "  --timeout S       per-request time limit in seconds: body upload, and queue\n"
           "                    wait plus work (503 past it); idle connections (default 30)\n"
           "  --header-timeout S  request line and headers must arrive within S (default 10)\n"
           "  --max-connections N  open connections at most (default 1000)\n"
           "  --max-per-ip N    open connections from one client address (default 64)\n"
           "  --allow-host LIST more names the server answers to in Host (comma-separated,\n"
           "                    * = any); localhost, 127.0.0.1, [::1] and --host always\n"
           "  --allow-origin LIST  other sites allowed to POST (comma-separated origins,\n"
           "                    e.g. https://shop.example); the page's own origin always\n"
           "  --metrics-token T /metrics from other than loopback needs\n"
           "                    'Authorization: Bearer T' (default: loopback only)\n"
           "  --reload-ms MS    how often the catalogue version is checked: a write by\n"
           "                    another process (ingest, catalog rm) is searched after at\n"
           "                    most MS plus a rebuild (default 1000; 0 = never)\n");
}

static int exists_dir(const char *p)
{
    char t[PATH_MAX];
    return snprintf(t, sizeof t, "%s/train", p) < (int)sizeof t && zt_file_exists(t);
}

/* The demo dataset: flag, environment, ../shared beside the working folder
 * or beside the checkout the binary was built in. NULL if none exists. */
static const char *find_dataset(const char *flag, char *buf, size_t n, char *looked, size_t ln)
{
    const char *env = getenv("ZTYLE_DATASET");
    looked[0] = 0;
    if (flag) {
        snprintf(looked, ln, "%s (--dataset)", flag);
        return exists_dir(flag) ? flag : NULL;
    }
    if (env && *env) {
        snprintf(looked, ln, "%s ($ZTYLE_DATASET)", env);
        return exists_dir(env) ? env : NULL;
    }
    snprintf(looked, ln, "%s", DEMO_DATASET);
    if (exists_dir(DEMO_DATASET)) return DEMO_DATASET;
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = 0; /* <repo>/build/<mode>/ztyle -> <repo>/../shared/... */
        char *d = dirname(dirname(dirname(exe)));
        snprintf(buf, n, "%s/%s", d, DEMO_DATASET);
        size_t used = strlen(looked);
        snprintf(looked + used, ln - used, ", %s", buf);
        if (exists_dir(buf)) return buf;
    }
    return NULL;
}

static void on_reject(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "ztyle serve: skipped: %s\n", msg);
}

/* The demo shop is Korean: prices in won. The ready-marker holds a version
 * line (currency, feature version, a hash of the search embedding model),
 * so a demo catalogue built by an older build (USD prices, older features,
 * another embedding) is brought up to date on the next start (ingest is an
 * upsert: current features are kept, only what changed is recomputed; a new
 * embedding model recomputes every product). */
#define DEMO_CURRENCY "KRW"

static void demo_marker(const char *embed, char *out, size_t n, uint64_t *embed_hash)
{
    const char *path = zt_embed_model_resolve(embed);
    uint64_t h = 0;
    if (*path && zt_embed_file_fingerprint(path, &h)) h = 0;
    zt_clearerr();
    *embed_hash = h;
    snprintf(out, n, "ok %s features %d embed %016llx\n", DEMO_CURRENCY, ZT_FEAT_VERSION,
             (unsigned long long)h);
}

/* Builds the demo catalogue unless its ready-marker says it is current. */
static int demo_catalog(const char *catalog, const char *dataset_flag, const char *embed,
                        int threads)
{
    char marker[PATH_MAX], dsbuf[PATH_MAX], looked[2 * PATH_MAX + 64], dir[PATH_MAX];
    snprintf(marker, sizeof marker, "%s.ready", catalog);
    char want[128], emb[40];
    uint64_t eh;
    demo_marker(embed, want, sizeof want, &eh);
    snprintf(emb, sizeof emb, " embed %016llx\n", (unsigned long long)eh);
    struct zt_buf mk = {0};
    int have = !zt_file_read(marker, 128, &mk);
    int current = have && mk.len == strlen(want) && !memcmp(mk.data, want, mk.len);
    /* the products' embeddings come from another model: recompute them all */
    int force = have && (mk.len < strlen(emb) || memcmp(mk.data + mk.len - strlen(emb), emb, strlen(emb)));
    zt_buf_deinit(&mk);
    if (current) return ZT_EXIT_OK;
    const char *ds = find_dataset(dataset_flag, dsbuf, sizeof dsbuf, looked, sizeof looked);
    if (!ds) {
        fprintf(stderr,
                "ztyle serve: no catalogue and no demo dataset (looked in %s).\n"
                "  Either get the demo data, the CC0 \"clothing dataset small\"\n"
                "  (github.com/alexeygrigorev/clothing-dataset-small), and pass\n"
                "  --dataset DIR or set ZTYLE_DATASET=DIR (the folder holding train/ and\n"
                "  validation/); the demo catalogue is then built on first start.\n"
                "  Or serve your own catalogue: `ztyle ingest --catalog shop.db FEED.csv`,\n"
                "  then `ztyle serve --catalog shop.db`.\n",
                looked);
        return ZT_EXIT_FAIL;
    }
    snprintf(dir, sizeof dir, "%s", catalog);
    if (zt_mkdirs(dirname(dir))) return cli_fail(CMD, "%s: %s", catalog, zt_errmsg());
    if (zt_file_exists(marker))
        fprintf(stderr, "ztyle serve: updating the demo catalogue %s from %s (prices in won%s)\n",
                catalog, ds, force ? ", a new search embedding" : "");
    else
        fprintf(stderr, "ztyle serve: first start: building the demo catalogue %s from %s\n",
                catalog, ds);
    struct zt_ingest_opts io = {0};
    io.catalog = catalog;
    io.threads = threads;
    io.progress = stderr;
    io.on_reject = on_reject;
    io.currency = DEMO_CURRENCY;
    io.force = force;
    io.embed_model = embed;
    struct zt_ingest_stats st;
    if (zt_catalog_ingest(ds, &io, &st))
        return cli_fail(CMD, "building the demo catalogue: %s", zt_errmsg());
    fprintf(stderr, "ztyle serve: demo catalogue ready: %lld products (%lld skipped) in %.0f s\n",
            (long long)st.written, (long long)st.rejected, st.seconds);
    if (zt_file_write_atomic(marker, want, strlen(want)))
        return cli_fail(CMD, "%s: %s", marker, zt_errmsg());
    return ZT_EXIT_OK;
}

static const char *pick_model(const char *flag)
{
    if (flag) return !strcmp(flag, "none") ? "" : flag;
    const char *env = getenv("ZTYLE_MODEL");
    if (env && *env) return env;
    if (zt_file_exists(ZT_MODEL_DEFAULT)) return ZT_MODEL_DEFAULT;
    return "";
}

int cmd_serve(int argc, char **argv)
{
    static const struct option lo[] = {
        {"host", required_argument, 0, 'H'},    {"port", required_argument, 0, 'p'},
        {"catalog", required_argument, 0, 'c'}, {"dataset", required_argument, 0, 'd'},
        {"model", required_argument, 0, 'm'},   {"shops", required_argument, 0, 's'},
        {"workers", required_argument, 0, 'w'}, {"io-threads", required_argument, 0, 'i'},
        {"queue", required_argument, 0, 'q'},   {"max-body", required_argument, 0, 'b'},
        {"timeout", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'},
        {"header-timeout", required_argument, 0, 'T'}, {"max-connections", required_argument, 0, 'C'},
        {"max-per-ip", required_argument, 0, 'P'}, {"max-wait", required_argument, 0, 'W'}, {"allow-host", required_argument, 0, 'A'},
        {"allow-origin", required_argument, 0, 'O'}, {"metrics-token", required_argument, 0, 'K'},
        {"reload-ms", required_argument, 0, 'R'}, {"device", required_argument, 0, 'V'},
        {"embed", required_argument, 0, 'E'},
        {0, 0, 0, 0},
    };
    struct zt_server_opts so;
    zt_server_opts_default(&so);
    const char *dataset = NULL, *model = NULL;
    long v;
    int c;
    optind = 1;
    opterr = 0;
#define NUM(lo_, hi_, dst)                                                                    \
    do {                                                                                      \
        if (cli_parse_int(optarg, lo_, hi_, &v))                                              \
            return cli_usage_error(CMD, "%s: '%s' is not in %ld..%ld", argv[optind - 1],      \
                                   optarg, (long)(lo_), (long)(hi_));                         \
        dst = v;                                                                              \
    } while (0)
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'h': help(); return ZT_EXIT_OK;
        case 'H': so.host = optarg; break;
        case 'p': NUM(0, 65535, so.port); break;
        case 'c': so.catalog = optarg; break;
        case 'd': dataset = optarg; break;
        case 'm': model = optarg; break;
        case 'E': so.embed_model = optarg; break;
        case 's': so.shops = optarg; break;
        case 'w': NUM(1, 256, so.workers); break;
        case 'i': NUM(1, 64, so.io_threads); break;
        case 'q': NUM(0, 100000, so.queue); break;
        case 'b': NUM(1, 1024, so.max_body); so.max_body <<= 20; break;
        case 't': NUM(1, 3600, so.timeout_s); break;
        case 'T': NUM(1, 3600, so.header_timeout_s); break;
        case 'C': NUM(1, 100000, so.max_connections); break;
        case 'W':
            NUM(0, 3600000, so.max_wait_ms);
            if (!so.max_wait_ms) so.max_wait_ms = -1; /* 0 on the command line: no bound */
            break;
        case 'P': NUM(1, 100000, so.max_per_ip); break;
        case 'A': so.allow_hosts = optarg; break;
        case 'O': so.allow_origins = optarg; break;
        case 'K': so.metrics_token = optarg; break;
        case 'R':
            NUM(0, 3600000, so.reload_ms);
            if (!so.reload_ms) so.reload_ms = -1; /* 0 on the command line: never */
            break;
        case 'V':
            if (cli_opt_device(CMD, optarg, &so.gen_backend)) return ZT_EXIT_USAGE;
            break;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
#undef NUM
    if (optind != argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!so.catalog) {
        const char *env = getenv("ZTYLE_DEMO_CATALOG");
        so.catalog = env && *env ? env : DEMO_CATALOG;
        so.demo = 1;
        int rc = demo_catalog(so.catalog, dataset, so.embed_model, cli_threads(NULL));
        if (rc) return rc;
    }
    const char *delay = getenv("ZTYLE_SERVE_TEST_DELAY_MS"); /* test hook (tests/http_test.sh) */
    if (delay && cli_parse_int(delay, 0, 60000, &v) == 0) so.test_delay_ms = (int)v;
    so.model = pick_model(model);
    so.log = stderr;
    if (!*so.model)
        fprintf(stderr, "ztyle serve: no generator model (looked for $ZTYLE_MODEL, %s): "
                        "previews are off and search uses the drawing alone\n",
                ZT_MODEL_DEFAULT);
    /* the signals are taken by sigwait below; threads started from here on
     * inherit the mask, so none of them is interrupted */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct zt_server *srv;
    if (zt_server_open(&so, &srv)) return cli_fail(CMD, "%s", zt_errmsg());
    const char *h = so.host;
    int v6 = strchr(h, ':') != NULL && h[0] != '[';
    printf("ztyle serve: listening on http://%s%s%s:%d/ (catalogue %s%s, model %s)\n",
           v6 ? "[" : "", h, v6 ? "]" : "", zt_server_port(srv), so.catalog,
           so.demo ? ", demo" : "", *so.model ? so.model : "none");
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "ztyle serve: %s: finishing the requests in flight\n",
            sig == SIGINT ? "interrupted" : "terminated");
    zt_server_stop(srv, so.timeout_s > 0 ? so.timeout_s : 30);
    zt_server_close(srv);
    fprintf(stderr, "ztyle serve: stopped\n");
    return ZT_EXIT_OK;
}
