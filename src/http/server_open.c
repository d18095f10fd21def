/* server_open.c: starting and closing the server: options, the catalogue
 * (schema; the first live snapshot, live.c, and its watcher), per-worker generators and store handles, the
 * shop URL templates, the listening address and the daemon. */
#include "http_impl.h"
#include "../catalog/search.h"
#include "../catalog/store.h"
#include "../core/engine.h"
#include "../nn/embed.h"
#include "../nn/generator.h"
#include "../util/parallel.h"
#include "../util/zt.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int zt_server_start_daemon(struct zt_server *s, const struct sockaddr *addr, int ipv6);

void zt_server_opts_default(struct zt_server_opts *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = 8080;
    o->queue = -1;
}

static int gen_threads(const struct zt_server *s)
{
    int cores = zt_threads_default();
    int t = cores / (s->o.workers > 0 ? s->o.workers : 1);
    return t < 1 ? 1 : t;
}

static int init_worker(struct zt_server *s, struct zt_worker *w)
{
    int rc = zt_store_open(s->catalog, &w->store);
    if (rc) return rc;
    if (s->model[0]) {
        int be = s->o.gen_backend ? s->o.gen_backend : ZT_BACKEND_CPU;
        if (!(w->gen = zt_generator_open_on(s->model, gen_threads(s), be))) return ZT_EFORMAT;
        if (w->id == 0) s->model_size = zt_generator_info(w->gen)->size;
    }
    return ZT_OK;
}

static void deinit_worker(struct zt_server *s, struct zt_worker *w)
{
    (void)s;
    zt_generator_close(w->gen);
    zt_store_close(w->store);
    w->gen = NULL;
    w->store = NULL;
}

/* Shop templates: a JSON object {"shops": [{"name", "url"}...]} where url
 * holds {query}; checked here so a broken file fails the start. */
static int load_shops(struct zt_server *s)
{
    json_error_t err;
    json_t *root;
    const char *what = s->o.shops;
    if (what && *what) {
        root = json_load_file(what, JSON_REJECT_DUPLICATES, &err);
    } else {
        const struct zt_asset *a = zt_asset_find("config/shops.json");
        what = "config/shops.json (embedded)";
        if (!a) {
            zt_seterr("%s is missing from the build", what);
            return ZT_ENOTFOUND;
        }
        root = json_loadb((const char *)a->data, a->len, JSON_REJECT_DUPLICATES, &err);
    }
    if (!root) {
        zt_seterr("%s: %s (line %d)", what, err.text, err.line);
        return ZT_EFORMAT;
    }
    json_t *shops = json_object_get(root, "shops");
    size_t i;
    json_t *v;
    int rc = ZT_OK;
    if (!json_is_array(shops)) rc = ZT_EFORMAT;
    json_array_foreach(shops, i, v)
    {
        const char *url = json_string_value(json_object_get(v, "url"));
        if (!json_is_string(json_object_get(v, "name")) || !url || !strstr(url, "{query}") ||
            (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)))
            rc = ZT_EFORMAT;
    }
    if (rc) zt_seterr("%s: expected {\"shops\": [{\"name\": ..., \"url\": \"https://...{query}...\"}]}", what);
    else if (!(s->shops_json = json_dumps(root, JSON_COMPACT))) rc = ZT_ENOMEM;
    json_decref(root);
    return rc;
}

/* host + port -> the address the daemon binds (microhttpd takes the port of
 * MHD_OPTION_SOCK_ADDR, not its port argument, when both are given) */
static int resolve(const char *host, int port, struct sockaddr_storage *ss, int *ipv6)
{
    memset(ss, 0, sizeof *ss);
    const char *h = !strcmp(host, "localhost") ? "127.0.0.1" : host;
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, h, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *ipv6 = 0;
        return ZT_OK;
    }
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", h);
    size_t n = strlen(tmp);
    char *p = tmp;
    if (n > 2 && tmp[0] == '[' && tmp[n - 1] == ']') {
        tmp[n - 1] = 0;
        p++;
    }
    if (inet_pton(AF_INET6, p, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *ipv6 = 1;
        return ZT_OK;
    }
    zt_seterr("--host: '%s' is not an IPv4/IPv6 address or localhost", host);
    return ZT_EINVAL;
}

int zt_server_open(const struct zt_server_opts *o, struct zt_server **out)
{
    *out = NULL;
    struct zt_server *s = calloc(1, sizeof *s);
    struct zt_store *st = NULL;
    int rc = ZT_ENOMEM;
    if (!s) {
        zt_seterr("server: out of memory");
        return rc;
    }
    pthread_mutex_init(&s->store_mu, NULL);
    pthread_mutex_init(&s->conn_mu, NULL);
    pthread_cond_init(&s->watch_cv, NULL);
    pthread_mutex_init(&s->live_mu, NULL);
    s->reload_pipe[0] = s->reload_pipe[1] = -1;
    s->o = *o;
    if (s->o.workers <= 0) s->o.workers = zt_threads_default();
    if (s->o.io_threads <= 0) s->o.io_threads = 2;
    if (s->o.queue < 0) s->o.queue = 64;
    if (s->o.reload_ms == 0) s->o.reload_ms = 1000;
    if (s->o.max_wait_ms == 0) s->o.max_wait_ms = 500;
    if (s->o.max_wait_ms < 0) s->o.max_wait_ms = 0; /* no bound */
    if (!s->o.max_body) s->o.max_body = 8u << 20;
    if (s->o.timeout_s <= 0) s->o.timeout_s = 30;
    if (s->o.max_side <= 0) s->o.max_side = 4096;
    if (s->o.max_pixels <= 0) s->o.max_pixels = 16 << 20;
    if (s->o.header_timeout_s <= 0) s->o.header_timeout_s = 10;
    if (s->o.max_connections <= 0) s->o.max_connections = 1000;
    if (s->o.max_per_ip <= 0) s->o.max_per_ip = 64;
    s->lim = (struct zt_image_limits){s->o.max_side, s->o.max_side, s->o.max_pixels};
    snprintf(s->host, sizeof s->host, "%s", o->host ? o->host : "127.0.0.1");
    s->o.host = s->host;
    /* copied below; o's strings are borrowed */
    s->o.catalog = s->o.model = s->o.shops = s->o.embed_model = NULL;
    /* the Host names: --host (a wildcard address names nothing) and --allow-host */
    int v6 = strchr(s->host, ':') && s->host[0] != '[';
    int wild = !strcmp(s->host, "0.0.0.0") || !strcmp(s->host, "::") || !strcmp(s->host, "[::]");
    snprintf(s->host_names, sizeof s->host_names, "%s%s%s,%s", v6 ? "[" : "",
             wild ? "" : s->host, v6 ? "]" : "", o->allow_hosts ? o->allow_hosts : "");
    snprintf(s->allow_origins, sizeof s->allow_origins, "%s", o->allow_origins ? o->allow_origins : "");
    snprintf(s->metrics_token, sizeof s->metrics_token, "%s", o->metrics_token ? o->metrics_token : "");
    s->o.allow_hosts = s->host_names;
    s->o.allow_origins = s->allow_origins;
    s->o.metrics_token = s->metrics_token;
    if (!o->catalog || !*o->catalog) {
        zt_seterr("server: no catalogue given");
        rc = ZT_EINVAL;
        goto fail;
    }
    snprintf(s->catalog, sizeof s->catalog, "%s", o->catalog);
    snprintf(s->model, sizeof s->model, "%s", o->model ? o->model : "");
    snprintf(s->embed_model, sizeof s->embed_model, "%s", zt_embed_model_resolve(o->embed_model));
    if (!(s->metrics = zt_metrics_new())) goto fail;
    s->o.shops = o->shops;
    if ((rc = load_shops(s))) goto fail;
    s->o.shops = NULL;
    if ((rc = zt_store_open(s->catalog, &st)) || (rc = zt_store_migrate(st))) {
        zt_adderr("catalogue %s", s->catalog);
        goto fail;
    }
    s->gen_threads = gen_threads(s);
    struct zt_live *l;
    if ((rc = zt_live_build(s, st, 0, NULL, NULL, &l))) {
        zt_adderr("catalogue %s", s->catalog);
        goto fail;
    }
    zt_live_set(s, l);
    zt_store_close(st);
    st = NULL;
    if ((rc = zt_live_start(s))) goto fail;
    if ((rc = zt_jobs_start(s, s->o.workers, s->o.queue, init_worker, deinit_worker, &s->jobs)) ||
        (rc = zt_guard_start(s)))
        goto fail;
    struct sockaddr_storage ss;
    int ipv6 = 0;
    if ((rc = resolve(s->host, s->o.port, &ss, &ipv6))) goto fail;
    if ((rc = zt_server_start_daemon(s, (const struct sockaddr *)&ss, ipv6))) goto fail;
    *out = s;
    return ZT_OK;
fail:
    zt_store_close(st);
    zt_server_close(s);
    return rc;
}

void zt_server_close(struct zt_server *s)
{
    if (!s) return;
    zt_server_stop(s, 0);
    zt_guard_stop(s);
    zt_jobs_stop(s->jobs);
    zt_live_stop(s);
    zt_live_set(s, NULL);
    for (int i = 0; i < s->nstores; i++) zt_store_close(s->stores[i]);
    pthread_mutex_destroy(&s->store_mu);
    pthread_mutex_destroy(&s->conn_mu);
    pthread_cond_destroy(&s->watch_cv);
    pthread_mutex_destroy(&s->live_mu);
    zt_metrics_free(s->metrics);
    free(s->shops_json);
    free(s);
}
