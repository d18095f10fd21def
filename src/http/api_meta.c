/* api_meta.c: the small read-only endpoints: /healthz, /metrics (Prometheus
 * text), /readyz (the index is current), /api/categories and /api/config (what the page needs at start:
 * language from Accept-Language, shop URL templates, categories, model). */
#include "http_impl.h"
#include "../catalog/store.h"
#include "../util/zt.h"

#include <jansson.h>
#include <string.h>

void zt_api_healthz(struct zt_server *s, struct zt_req *rq)
{
    struct zt_live_status ls;
    zt_live_status(s, &ls);
    zt_reply_json(&rq->reply, 200,
                  json_pack("{s:s, s:s, s:I, s:b, s:i, s:i, s:i}", "status", "ok", "version",
                            ZT_VERSION, "products", (json_int_t)ls.products, "model",
                            s->model[0] != 0, "model_size", s->model_size, "workers",
                            s->o.workers, "queued", s->jobs ? zt_jobs_queued(s->jobs) : 0));
    zt_reply_header(&rq->reply, "Cache-Control", "no-store");
}

/* 200 when the index holds the catalogue version the store has now, 503
 * while it is behind (a reload pending or failed) or the store cannot be
 * read; the body says which version is served and by how much it lags. */
void zt_api_readyz(struct zt_server *s, struct zt_req *rq)
{
    struct zt_live_status ls;
    zt_live_status(s, &ls);
    int64_t now = -1;
    struct zt_store *st = zt_server_store_acquire(s);
    int rc = st ? zt_store_catalog_version(st, &now) : ZT_EDB;
    char why[sizeof ls.error + 64];
    snprintf(why, sizeof why, "%s", ls.error);
    if (rc) snprintf(why, sizeof why, "catalogue: %.200s", zt_errmsg());
    zt_server_store_release(s, rc ? NULL : st);
    if (rc) zt_store_close(st); /* a broken connection is not pooled */
    int ready = !rc && ls.version == now && !s->stopped;
    json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I}", "status", ready ? "ready" : "behind",
                          "catalog_version", (json_int_t)ls.version, "store_version",
                          (json_int_t)now, "behind", (json_int_t)(rc ? -1 : now - ls.version),
                          "products", (json_int_t)ls.products);
    if (j)
        json_object_set_new(j, "reloads",
                            json_pack("{s:I, s:I}", "incremental",
                                      (json_int_t)ls.reloads_incremental, "full",
                                      (json_int_t)(ls.reloads - ls.reloads_incremental)));
    if (j && why[0]) json_object_set_new(j, "error", json_string(why));
    if (j && s->stopped) json_object_set_new(j, "error", json_string("shutting down"));
    zt_reply_json(&rq->reply, ready ? 200 : 503, j);
    zt_reply_header(&rq->reply, "Cache-Control", "no-store");
    if (!ready) zt_reply_header(&rq->reply, "Retry-After", "1");
}

void zt_api_metrics(struct zt_server *s, struct zt_req *rq)
{
    struct zt_buf b = {0};
    struct zt_live_status ls;
    zt_live_status(s, &ls);
    if (zt_metrics_render(s->metrics, s->jobs ? zt_jobs_queued(s->jobs) : 0, s->o.workers, &b) ||
        zt_buf_printf(&b,
                      "# HELP ztyle_catalog_reloads_total New indexes swapped in: from the change log, or rebuilt.\n"
                      "# TYPE ztyle_catalog_reloads_total counter\n"
                      "ztyle_catalog_reloads_total{kind=\"incremental\"} %lld\n"
                      "ztyle_catalog_reloads_total{kind=\"full\"} %lld\n"
                      "# HELP ztyle_catalog_version Catalogue version of the index being searched.\n"
                      "# TYPE ztyle_catalog_version gauge\n"
                      "ztyle_catalog_version %lld\n",
                      (long long)ls.reloads_incremental,
                      (long long)(ls.reloads - ls.reloads_incremental), (long long)ls.version)) {
        zt_buf_deinit(&b);
        zt_reply_error(&rq->reply, 500, "internal", "out of memory");
        return;
    }
    zt_reply_bytes(&rq->reply, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
    zt_reply_header(&rq->reply, "Cache-Control", "no-store");
}

void zt_api_categories(struct zt_server *s, struct zt_req *rq)
{
    struct zt_buf b = {0};
    struct zt_live *l = zt_live_acquire(s);
    int rc = !l || zt_buf_puts(&b, l->categories_json) || zt_buf_puts(&b, "\n");
    zt_live_release(l);
    if (rc) {
        zt_buf_deinit(&b);
        zt_reply_error(&rq->reply, 500, "internal", "out of memory");
        return;
    }
    zt_reply_bytes(&rq->reply, 200, "application/json", &b);
}

void zt_api_config(struct zt_server *s, struct zt_req *rq)
{
    json_error_t err;
    json_t *shops = json_loads(s->shops_json, 0, &err);
    struct zt_live *l = zt_live_acquire(s);
    json_t *cats = l ? json_loads(l->categories_json, 0, &err) : NULL;
    zt_live_release(l);
    zt_reply_json(&rq->reply, 200,
                  json_pack("{s:s, s:o?, s:o?, s:b, s:i, s:b, s:I, s:i}", "lang", rq->lang,
                            "shops", json_incref(json_object_get(shops, "shops")), "categories",
                            json_incref(json_object_get(cats, "categories")), "model",
                            s->model[0] != 0, "model_size", s->model_size, "demo", s->o.demo,
                            "max_body", (json_int_t)s->o.max_body, "max_side", s->o.max_side));
    json_decref(shops);
    json_decref(cats);
    zt_reply_header(&rq->reply, "Cache-Control", "no-store");
    zt_reply_header(&rq->reply, "Vary", "Accept-Language");
}
