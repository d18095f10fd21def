/* api_search.c: POST /api/search: a drawing ("sketch" + optional "hints"),
 * a photo ("photo") or a catalogue product ("product": id, "more like
 * this") -> ranked products with the generated image and timings, through
 * catalog/search.h on the worker's own store handle. */
#include "http_impl.h"
#include "../catalog/index_store.h"
#include "../catalog/search.h"
#include "../catalog/store.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int price_field(const struct zt_form *f, const char *name, int64_t *out, int *set)
{
    const char *t = zt_form_text(f, name, NULL);
    *set = 0;
    if (!t || !*t) return ZT_OK;
    int rc = zt_price_parse(t, out);
    if (rc) zt_adderr("'%s'", name);
    else *set = 1;
    return rc;
}

static json_t *ms(double s) { return json_real((double)(int64_t)(s * 1e4) / 10.0); }

void zt_api_search(struct zt_server *s, struct zt_worker *w, struct zt_req *rq)
{
    struct zt_form f = {0};
    struct zt_image drawing = {0}, hints = {0}, photo = {0};
    struct zt_search_result res = {0};
    struct zt_buf png = {0}, url = {0};
    json_t *root = NULL, *arr = NULL;
    struct zt_live *live = NULL;
    long k, page;
    int rc, nq = 0;
    const char *gname; /* what the generator is conditioned on, NULL: Automatic */
    uint64_t mask;
    double t0 = zt_now();
    if ((rc = zt_form_parse(rq->ctype, rq->body.data, rq->body.len, &f)) ||
        (rc = zt_form_int(&f, "k", 24, 1, 100, &k)) ||
        (rc = zt_form_int(&f, "page", 1, 1, 1000, &page)) ||
        (rc = zt_http_category(zt_form_text(&f, "category", NULL), &gname, &mask)))
        goto fail;
    struct zt_search_req sq = {0};
    sq.filter = ZT_INDEX_FILTER_ANY;
    sq.filter.group_mask = mask;
    int has_max = 0, has_min = 0;
    if ((rc = price_field(&f, "price_min", &sq.filter.price_min, &has_min)) ||
        (rc = price_field(&f, "price_max", &sq.filter.price_max, &has_max)))
        goto fail;
    sq.filter.has_price_max = has_max;
    if (has_min && has_max && sq.filter.price_min > sq.filter.price_max) {
        zt_seterr("'price_min' is above 'price_max'");
        rc = ZT_EINVAL;
        goto fail;
    }
    sq.offset = (page - 1) * k;
    sq.limit = (int)k;
    /* "class": a garment class ("dress", "shorts", "t-shirt"): the index
     * filters on it (it wins over "category"); the generator gets its
     * plane, or its category's */
    const char *cls = zt_form_text(&f, "class", NULL);
    if (cls && *cls) {
        int ci = zt_class_parse(cls);
        if (ci < 0) {
            zt_seterr("'class': '%.40s' is not a class the shop sells (see /api/categories)", cls);
            rc = ZT_EINVAL;
            goto fail;
        }
        sq.filter.group_mask = UINT64_C(1) << ci;
        gname = zt_class_name(ci);
    }
    const char *like = zt_form_text(&f, "product", NULL);
    nq = (zt_form_get(&f, "sketch") != NULL) + (zt_form_get(&f, "photo") != NULL) + (like != NULL);
    if (nq != 1) {
        zt_seterr("give exactly one of 'sketch', 'photo' or 'product'");
        rc = ZT_EINVAL;
        goto fail;
    }
    if (like) {
        struct zt_product p;
        if (!*like || strlen(like) >= ZT_PRODUCT_ID_MAX) rc = ZT_ENOTFOUND;
        else rc = zt_store_get(w->store, like, &p);
        if (rc == ZT_ENOTFOUND) zt_seterr("'product': no product '%.80s'", like);
        if (rc) goto fail;
        if ((rc = zt_catalog_photo_load(w->store, &p, 3, &s->lim, &photo))) {
            /* the stored file's path and the decoder's words stay in the log */
            fprintf(stderr, "ztyle serve: search: product %s: %s\n", p.id, zt_errmsg());
            zt_seterr("'product': the image of '%.80s' is missing or unreadable", p.id);
            rc = ZT_ENOTFOUND;
            goto fail;
        }
        sq.q.photo = &photo;
    } else if (zt_form_get(&f, "photo")) {
        /* present but empty is a bad request, not a missing resource */
        if ((rc = zt_form_image(&f, "photo", 3, &s->lim, &photo)) == ZT_ENOTFOUND) rc = ZT_EINVAL;
        if (rc) goto fail;
        sq.q.photo = &photo;
    } else {
        if ((rc = zt_form_image(&f, "sketch", 0, &s->lim, &drawing)) == ZT_ENOTFOUND) rc = ZT_EINVAL;
        if (rc) goto fail;
        rc = zt_form_image(&f, "hints", 4, &s->lim, &hints);
        if (rc && rc != ZT_ENOTFOUND) goto fail;
        if (!rc && (hints.w != drawing.w || hints.h != drawing.h)) {
            zt_seterr("'hints' is %dx%d but 'sketch' is %dx%d: the layers must be the same size",
                      hints.w, hints.h, drawing.w, drawing.h);
            rc = ZT_EINVAL;
            goto fail;
        }
        sq.q.drawing = &drawing;
        sq.q.hints = hints.px ? &hints : NULL;
        sq.q.no_generator = zt_form_text(&f, "generate", "1")[0] == '0';
        sq.q.gen = w->gen; /* this worker's own: generations run in parallel */
        sq.q.category = gname;
    }
    if (zt_req_cancelled(s, rq)) goto done;
    double t1 = zt_now();
    /* this request's snapshot: a reload meanwhile frees it only after */
    if (!(live = zt_live_acquire(s))) {
        zt_seterr("the catalogue is not loaded");
        rc = ZT_EBUSY;
        goto fail;
    }
    if ((rc = zt_search_run(live->searcher, w->store, &sq, &res))) goto fail;
    double t2 = zt_now();
    if (zt_req_cancelled(s, rq)) goto done;
    rc = ZT_ENOMEM;
    if (!(arr = json_array())) goto fail;
    for (int i = 0; i < res.n; i++) {
        json_t *pj = zt_product_json(&res.hits[i].p, ZT_PRODUCT_LINKS);
        if (!pj || json_object_set_new(pj, "score", json_real(res.hits[i].score)) ||
            json_array_append_new(arr, pj))
            goto fail;
    }
    json_t *gen = json_null();
    if (res.generated_image) {
        if (zt_image_encode_png(res.generated_image, &png) ||
            zt_data_url("image/png", png.data, png.len, &url))
            goto fail;
        gen = json_string((const char *)url.data);
    }
    json_t *wj = json_object();
    for (int i = 0; i < ZT_SIG_COUNT; i++)
        if (res.used[i]) json_object_set_new(wj, zt_signal_name(i), json_real(res.weights[i]));
    /* how the drawing's lines were read (a sparse one ranks with less shape) */
    json_t *drw = res.density < 0 ? json_null()
                                  : json_pack("{s:f, s:i}", "line_density",
                                              round(res.density * 1000) / 1000, "line_ends",
                                              res.line_ends);
    json_t *und = zt_understood_json(&res.understood);
    if (!und || !drw) {
        json_decref(und);
        json_decref(drw);
        json_decref(gen);
        json_decref(wj);
        goto fail;
    }
    root = json_pack("{s:o, s:o, s:o, s:i, s:i, s:I, s:o, s:o, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}}",
                     "products", arr, "understood", und, "generated", gen, "page", (int)page, "k", (int)k,
                     "matched", (json_int_t)res.matched, "signals", wj, "drawing", drw, "timings", "queue",
                     ms(t0 - rq->t_queued), "decode", ms(t1 - t0), "prepare", ms(res.t.prepare),
                     "generate", ms(res.t.generate), "features", ms(res.t.features), "index",
                     ms(res.t.index), "fetch", ms(res.t.fetch), "total", ms(t2 - rq->t_queued));
    arr = NULL;
    if (!root || json_object_set_new(root, "catalog_version", json_integer(live->version)))
        goto fail;
    zt_reply_json(&rq->reply, 200, root);
    root = NULL;
    zt_reply_header(&rq->reply, "Cache-Control", "no-store");
    goto done;
fail:
    if (rc == ZT_ENOMEM && !*zt_errmsg()) zt_seterr("out of memory");
    zt_reply_code(&rq->reply, rc);
done:
    json_decref(arr);
    json_decref(root);
    zt_form_deinit(&f);
    zt_image_free(&drawing);
    zt_image_free(&hints);
    zt_image_free(&photo);
    zt_search_result_free(&res);
    zt_buf_deinit(&png);
    zt_buf_deinit(&url);
    zt_live_release(live);
    zt_server_job_done(s, rq);
}
