/* live.c: the live catalogue: what requests search (the index, its
 * categories and counts, the catalogue version it was built from) as one
 * reference-counted snapshot, and the watcher thread that polls the store's
 * catalogue version (and wakes at once on PostgreSQL's NOTIFY) and, when
 * another process wrote, swaps in a snapshot made from the current one and
 * the store's change log (the products changed since), or rebuilt from the
 * store when the log does not reach back or holds too much. Requests in flight keep the snapshot they took;
 * the last one to let go of an old snapshot frees it. A failed rebuild
 * keeps the old snapshot and is reported by /readyz and the log. */
#include "http_impl.h"
#include "../catalog/index_store.h"
#include "../catalog/search.h"
#include "../catalog/store.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

/* {"categories": [{"name", "category", "count"}...], "total": n}: every
 * class the index holds (what the shop sells), with its coarse category. */
static int categories_json(const struct zt_index *ix, char **out)
{
    int64_t count[ZT_CLASS_COUNT] = {0};
    json_t *arr = json_array(), *root = NULL;
    int rc = ZT_ENOMEM;
    if (!arr) goto out;
    for (int64_t i = 0; i < zt_index_count(ix); i++) {
        int c = zt_index_category(ix, i);
        if (c >= 0 && c < ZT_CLASS_COUNT) count[c]++;
    }
    for (int c = 0; c < ZT_CLASS_COUNT; c++)
        if (count[c] && json_array_append_new(arr, json_pack("{s:s, s:s, s:I}", "name", zt_class_name(c), "category", zt_category_name(zt_class_category(c)), "count", (json_int_t)count[c])))
            goto out;
    root = json_pack("{s:O, s:I}", "categories", arr, "total", (json_int_t)zt_index_count(ix));
    if (root && (*out = json_dumps(root, JSON_COMPACT))) rc = ZT_OK;
out:
    json_decref(arr);
    json_decref(root);
    if (rc == ZT_ENOMEM) zt_seterr("server: out of memory");
    return rc;
}

static void live_free(struct zt_live *l)
{
    if (!l) return;
    zt_searcher_close(l->searcher);
    free(l->categories_json);
    free(l);
}

/* The index of the store's catalogue from base's and the change log; NULL
 * (and why) when it cannot be had that way: the caller rebuilds. */
static struct zt_index *delta_index(struct zt_store *st, const struct zt_live *base, char *why,
                                    int64_t *changes)
{
    const struct zt_index *bix = zt_searcher_index(base->searcher);
    struct zt_index *ix = NULL;
    /* past a quarter of the catalogue, reading the changed rows one by one
     * costs about what the full rebuild does */
    int64_t max = 1024 + zt_index_count(bix) / 4;
    if (zt_index_from_store_delta(st, bix, base->version, max, &ix, changes) && why)
        snprintf(why, 256, "%s", zt_errmsg());
    zt_clearerr();
    return ix;
}

int zt_live_build(struct zt_server *s, struct zt_store *st, int fresh,
                  const struct zt_live *base, char *why, struct zt_live **out)
{
    *out = NULL;
    if (why) why[0] = 0;
    struct zt_live *l = calloc(1, sizeof *l);
    if (!l) {
        zt_seterr("server: out of memory");
        return ZT_ENOMEM;
    }
    atomic_init(&l->refs, 1);
    l->changes = -1;
    /* the version first: the index holds at least this catalogue (a write
     * during the build shows as a newer version and another rebuild) */
    int rc = zt_store_catalog_version(st, &l->version);
    /* no generator in the searcher: every worker passes its own */
    struct zt_searcher_opts so = {.catalog = s->catalog, .model = "", .threads = s->gen_threads,
                                  .approx = 0, .fresh = fresh, .embed_model = s->embed_model};
    if (!rc && base) so.index = delta_index(st, base, why, &l->changes);
    if (!so.index) l->changes = -1;
    if (!rc && (rc = zt_searcher_open(&so, st, &l->searcher)))
        zt_adderr("search index"); /* not the URL: /readyz shows this */
    if (!rc) rc = categories_json(zt_searcher_index(l->searcher), &l->categories_json);
    if (rc) {
        live_free(l);
        return rc;
    }
    l->nproducts = zt_index_count(zt_searcher_index(l->searcher));
    *out = l;
    return ZT_OK;
}

struct zt_live *zt_live_acquire(struct zt_server *s)
{
    pthread_mutex_lock(&s->live_mu);
    struct zt_live *l = s->live;
    if (l) atomic_fetch_add(&l->refs, 1);
    pthread_mutex_unlock(&s->live_mu);
    return l;
}

void zt_live_release(struct zt_live *l)
{
    if (l && atomic_fetch_sub(&l->refs, 1) == 1) live_free(l);
}

void zt_live_set(struct zt_server *s, struct zt_live *l)
{
    pthread_mutex_lock(&s->live_mu);
    struct zt_live *old = s->live;
    s->live = l;
    pthread_mutex_unlock(&s->live_mu);
    zt_live_release(old);
}

void zt_live_status(struct zt_server *s, struct zt_live_status *out)
{
    pthread_mutex_lock(&s->live_mu);
    out->version = s->live ? s->live->version : -1;
    out->products = s->live ? s->live->nproducts : 0;
    out->store_version = s->store_version;
    out->reloads = s->reloads;
    out->reloads_incremental = s->reloads_incremental;
    out->checked_at = s->checked_at;
    snprintf(out->error, sizeof out->error, "%s", s->reload_error);
    pthread_mutex_unlock(&s->live_mu);
}

__attribute__((format(printf, 2, 3))) static void logmsg(struct zt_server *s, const char *fmt, ...)
{
    if (!s->o.log) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(s->o.log, fmt, ap);
    va_end(ap);
    fflush(s->o.log);
}

/* One poll: the store's version, and a rebuild when it moved. A new store
 * handle LISTENs (PostgreSQL) and *fd is its socket; -1 without. */
static void poll_once(struct zt_server *s, struct zt_store **st, int *fd)
{
    int64_t v = -1;
    int rc = ZT_OK;
    if (!*st && !(rc = zt_store_open(s->catalog, st)) && zt_store_listen(*st, fd))
        *fd = -1; /* no notifications: the poll still runs */
    if (!rc) rc = zt_store_catalog_version(*st, &v);
    char err[sizeof s->reload_error] = "";
    if (rc) {
        snprintf(err, sizeof err, "catalogue version: %s", zt_errmsg());
        zt_store_close(*st); /* reconnect on the next poll */
        *st = NULL;
        *fd = -1;
    }
    pthread_mutex_lock(&s->live_mu);
    int64_t have = s->live ? s->live->version : -1;
    if (!rc) s->store_version = v;
    s->checked_at = zt_now();
    pthread_mutex_unlock(&s->live_mu);
    if (!rc && v != have) {
        double t0 = zt_now();
        struct zt_live *l = NULL, *base = zt_live_acquire(s);
        char why[256];
        rc = zt_live_build(s, *st, 1, base, why, &l);
        zt_live_release(base);
        if (rc) {
            snprintf(err, sizeof err, "reload: %s", zt_errmsg());
        } else {
            /* not the URL: a PostgreSQL one may hold a password */
            if (l->changes >= 0)
                logmsg(s, "ztyle serve: catalogue reloaded: version %lld, %lld products"
                          " (incremental: %lld changed, %.3f s)\n",
                       (long long)l->version, (long long)l->nproducts, (long long)l->changes,
                       zt_now() - t0);
            else
                logmsg(s, "ztyle serve: catalogue reloaded: version %lld, %lld products"
                          " (full%s%s, %.2f s)\n",
                       (long long)l->version, (long long)l->nproducts, why[0] ? ": " : "", why,
                       zt_now() - t0);
            int incremental = l->changes >= 0;
            zt_live_set(s, l);
            pthread_mutex_lock(&s->live_mu);
            s->reloads++;
            s->reloads_incremental += incremental;
            pthread_mutex_unlock(&s->live_mu);
        }
    }
    pthread_mutex_lock(&s->live_mu);
    int changed = strcmp(err, s->reload_error) != 0;
    snprintf(s->reload_error, sizeof s->reload_error, "%s", err);
    pthread_mutex_unlock(&s->live_mu);
    if (changed && err[0]) logmsg(s, "ztyle serve: %s (still serving the old index)\n", err);
    zt_clearerr();
}

/* Wakes every reload_ms, at a NOTIFY from the store, or at the stop byte. */
static void *watch_main(void *arg)
{
    struct zt_server *s = arg;
    struct zt_store *st = NULL;
    int fd = -1;
    poll_once(s, &st, &fd); /* connects and LISTENs now, not after the first wait */
    while (!s->reload_stop) {
        /* a NOTIFY that came in while the last poll's queries ran is already
         * read off the socket (libpq queues it): look before sleeping */
        int k = 0, timeout = s->o.reload_ms;
        if (fd >= 0 && (zt_store_notified(st, &k) || k > 0)) timeout = 0;
        struct pollfd p[2] = {{.fd = s->reload_pipe[0], .events = POLLIN},
                              {.fd = fd, .events = POLLIN}};
        int n = poll(p, fd >= 0 ? 2 : 1, timeout);
        if (s->reload_stop) break;
        if (fd >= 0 && (timeout == 0 || (n > 0 && p[1].revents)) && zt_store_notified(st, &k)) {
            zt_store_close(st); /* the connection broke: reopen in poll_once */
            st = NULL;
            fd = -1;
        }
        poll_once(s, &st, &fd);
    }
    zt_store_close(st);
    return NULL;
}

int zt_live_start(struct zt_server *s)
{
    if (s->o.reload_ms < 0) return ZT_OK;
    if (pipe2(s->reload_pipe, O_CLOEXEC)) {
        s->reload_pipe[0] = s->reload_pipe[1] = -1;
        zt_seterr("server: pipe: %s", strerror(errno));
        return ZT_EIO;
    }
    if (pthread_create(&s->reload_th, NULL, watch_main, s)) {
        zt_seterr("server: cannot start the catalogue watcher");
        return ZT_ENOMEM;
    }
    s->reload_started = 1;
    return ZT_OK;
}

void zt_live_stop(struct zt_server *s)
{
    if (s->reload_started) {
        s->reload_stop = 1;
        ssize_t w = write(s->reload_pipe[1], "x", 1);
        (void)w; /* the flag alone stops it within reload_ms */
        pthread_join(s->reload_th, NULL);
        s->reload_started = 0;
    }
    for (int i = 0; i < 2; i++)
        if (s->reload_pipe[i] >= 0) close(s->reload_pipe[i]);
    s->reload_pipe[0] = s->reload_pipe[1] = -1;
}
