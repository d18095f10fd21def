/* api_meta.c: the small read-only endpoints: /healthz, /metrics (Prometheus
 * text), /api/categories and /api/config (what the page needs at start:
 * language from Accept-Language, shop URL templates, categories, model). */
#include "http_impl.h"
#include "../util/zt.h"

#include <jansson.h>
#include <string.h>

void zt_api_healthz(struct zt_server *s, struct zt_req *rq)
{
    zt_reply_json(&rq->reply, 200,
                  json_pack("{s:s, s:s, s:I, s:b, s:i, s:i, s:i}", "status", "ok", "version",
                            ZT_VERSION, "products", (json_int_t)s->nproducts, "model",
                            s->model[0] != 0, "model_size", s->model_size, "workers",
                            s->o.workers, "queued", s->jobs ? zt_jobs_queued(s->jobs) : 0));
    zt_reply_header(&rq->reply, "Cache-Control", "no-store");
}

void zt_api_metrics(struct zt_server *s, struct zt_req *rq)
{
    struct zt_buf b = {0};
    if (zt_metrics_render(s->metrics, s->jobs ? zt_jobs_queued(s->jobs) : 0, s->o.workers, &b)) {
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
    if (zt_buf_puts(&b, s->categories_json) || zt_buf_puts(&b, "\n")) {
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
    json_t *cats = json_loads(s->categories_json, 0, &err);
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
