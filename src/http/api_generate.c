/* api_generate.c: POST /api/generate: a drawing (outline layer + optional
 * RGBA colour-hint layer, or one flattened drawing) -> the generator's
 * photo-like PNG; and the drawing helpers the other endpoints share. */
#include "http_impl.h"
#include "../catalog/product.h"
#include "../catalog/search.h"
#include "../data/drawing.h"
#include "../nn/generator.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int zt_http_category(const char *name, const char **gen, uint64_t *mask)
{
    *gen = NULL;
    if (mask) *mask = 0;
    if (!name || !*name || !strcasecmp(name, "auto")) return ZT_OK;
    enum zt_category c;
    int k = zt_class_parse(name);
    if (k >= 0) { /* a class (also "top", "pants", ...: then its whole category) */
        int is_class = zt_category_parse(name, &c) != ZT_OK;
        if (is_class) c = zt_class_category(k);
        if (mask) *mask = is_class ? UINT64_C(1) << k : zt_class_mask_of_category(c);
        *gen = is_class ? zt_class_name(k) : zt_category_name(c);
    } else {
        zt_seterr("'category': '%.40s' is not a category the shop sells (see /api/categories) "
                  "or auto", name);
        return ZT_EINVAL;
    }
    zt_clearerr();
    return ZT_OK;
}

int zt_http_drawing_planes(const struct zt_form *f, const struct zt_image_limits *lim,
                           struct zt_planes *out)
{
    struct zt_image lines = {0}, hints = {0};
    int rc = zt_form_image(f, "sketch", 0, lim, &lines);
    if (rc == ZT_ENOTFOUND) rc = ZT_EINVAL; /* a missing field is a bad request */
    if (rc) goto out;
    rc = zt_form_image(f, "hints", 4, lim, &hints);
    if (rc == ZT_ENOTFOUND) rc = ZT_OK;
    if (rc) goto out;
    if (hints.px && (hints.w != lines.w || hints.h != lines.h)) {
        zt_seterr("'hints' is %dx%d but 'sketch' is %dx%d: the layers must be the same size",
                  hints.w, hints.h, lines.w, lines.h);
        rc = ZT_EINVAL;
        goto out;
    }
    /* split at full resolution (the square holding the drawing), reduced
     * later as `ztyle generate` and search do: a resampled plane would grey
     * thin lines and darken hint colours at a dab's rim */
    rc = zt_drawing_planes(&lines, hints.px ? &hints : NULL, ZT_MAX(lines.w, lines.h), 0, out);
out:
    zt_image_free(&lines);
    zt_image_free(&hints);
    return rc;
}

void zt_api_generate(struct zt_server *s, struct zt_worker *w, struct zt_req *rq)
{
    struct zt_form f = {0};
    struct zt_planes pl = {0}, full = {0};
    struct zt_image out = {0};
    struct zt_buf png = {0};
    int rc;
    const char *gname; /* the category or class asked for, NULL: Automatic */
    uint64_t allowed; /* 0: Automatic */
    double t0 = zt_now();
    if (!w->gen) {
        zt_reply_error(&rq->reply, 503, "no_model",
                       "no generator model is loaded (start the server with --model FILE)");
        goto done;
    }
    if ((rc = zt_form_parse(rq->ctype, rq->body.data, rq->body.len, &f)) ||
        (rc = zt_http_category(zt_form_text(&f, "category", NULL), &gname, &allowed)))
        goto fail;
    int size = zt_generator_info(w->gen)->size;
    if ((rc = zt_http_drawing_planes(&f, &s->lim, &full))) goto fail;
    if (zt_req_cancelled(s, rq)) goto done;
    if (!allowed) {
        /* Automatic: the category search understands (without one the
         * generator falls back to its first plane, nn/generator.h) */
        struct zt_live *live = zt_live_acquire(s);
        struct zt_understood u;
        if (live && live->searcher &&
            !zt_searcher_understand_drawing(live->searcher, &full.edges, &full.hint_rgb,
                                            &full.hint_mask, &u))
            gname = zt_search_gen_category(NULL, &u);
        zt_clearerr();
        if (live) zt_live_release(live);
    }
    int gcat = zt_search_gen_plane(w->gen, gname);
    if ((rc = zt_planes_reframe(&full.edges, &full.hint_rgb, &full.hint_mask, size, ZT_GEN_FRAME,
                                &pl)))
        goto fail;
    double t1 = zt_now();
    if ((rc = zt_generator_run(w->gen, &pl.edges, &pl.hint_rgb, &pl.hint_mask, gcat, ZT_GEN_EVAL, 0, &out))) goto fail;
    double t2 = zt_now();
    if (zt_req_cancelled(s, rq)) goto done;
    if ((rc = zt_image_encode_png(&out, &png))) goto fail;
    zt_reply_bytes(&rq->reply, 200, "image/png", &png);
    char timing[160];
    snprintf(timing, sizeof timing, "queue;dur=%.1f, prepare;dur=%.1f, generate;dur=%.1f",
             (t0 - rq->t_queued) * 1e3, (t1 - t0) * 1e3, (t2 - t1) * 1e3);
    zt_reply_header(&rq->reply, "Server-Timing", timing);
    zt_reply_header(&rq->reply, "Cache-Control", "no-store");
    goto done;
fail:
    zt_reply_code(&rq->reply, rc);
done:
    zt_form_deinit(&f);
    zt_planes_deinit(&pl);
    zt_planes_deinit(&full);
    zt_image_free(&out);
    zt_buf_deinit(&png);
    zt_server_job_done(s, rq);
}
