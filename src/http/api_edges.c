/* api_edges.c: POST /api/edges: "upload a photo or drawing" -> an editable
 * start: the outline layer (black lines, transparent paper) and a colour
 * hint layer (RGBA) the page may keep or drop, both size x size. A photo
 * gets the training edge detector and a dozen simulated colour hints, kept
 * to the garment (zt_pair_garment_only: no hanger or background); an
 * uploaded drawing (mostly paper) is split into its lines and colours. */
#include "http_impl.h"
#include "../data/pairs.h"
#include "../img/hints.h"
#include "../nn/generator.h"
#include "../util/zt.h"

#include <jansson.h>
#include <string.h>

/* A drawing is mostly paper-white with few mid tones. */
static int looks_drawn(const struct zt_image *im)
{
    size_t n = (size_t)im->w * im->h, paper = 0, dark = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = im->px + i * 3;
        int mn = ZT_MIN(p[0], ZT_MIN(p[1], p[2])), mx = ZT_MAX(p[0], ZT_MAX(p[1], p[2]));
        if (mn >= 225) paper++;
        else if (mx <= 110) dark++;
    }
    return paper * 100 >= n * 70 && (paper + dark) * 100 >= n * 85;
}

/* 1-channel edges (0 = line) -> RGBA: opaque black lines, clear paper. */
static int lines_layer(const struct zt_image *edges, struct zt_image *out)
{
    int rc = zt_image_new(out, edges->w, edges->h, 4);
    if (rc) return rc;
    for (size_t i = 0; i < (size_t)edges->w * edges->h; i++) out->px[i * 4 + 3] = edges->px[i] < 128 ? 255 : 0;
    return ZT_OK;
}

static int add_png(json_t *root, const char *key, const struct zt_image *im)
{
    struct zt_buf png = {0}, url = {0};
    int rc = zt_image_encode_png(im, &png);
    if (!rc) rc = zt_data_url("image/png", png.data, png.len, &url);
    if (!rc && json_object_set_new(root, key, json_string((const char *)url.data))) rc = ZT_ENOMEM;
    zt_buf_deinit(&png);
    zt_buf_deinit(&url);
    return rc;
}

void zt_api_edges(struct zt_server *s, struct zt_worker *w, struct zt_req *rq)
{
    static const uint8_t white[3] = {255, 255, 255};
    struct zt_form f = {0};
    struct zt_image photo = {0}, sq = {0}, e = {0}, hr = {0}, hm = {0}, lines = {0}, hints = {0};
    struct zt_pair pair = {0};
    json_t *root = NULL;
    long size;
    int rc, drawn;
    if ((rc = zt_form_parse(rq->ctype, rq->body.data, rq->body.len, &f)) ||
        (rc = zt_form_int(&f, "size", 512, 64, 1024, &size)))
        goto fail;
    rc = zt_form_image(&f, "photo", 3, &s->lim, &photo);
    if (rc == ZT_ENOTFOUND) rc = ZT_EINVAL;
    if (rc) goto fail;
    if (zt_req_cancelled(s, rq)) goto done;
    drawn = looks_drawn(&photo);
    if (drawn) {
        struct zt_split_params sp;
        zt_split_params_default(&sp);
        sp.max_side = (int)size; /* the letterboxed square is the canvas */
        if ((rc = zt_image_letterbox(&photo, (int)size, white, &sq, NULL, NULL, NULL, NULL)) ||
            (rc = zt_drawing_split(&sq, &sp, &e, &hr, &hm)))
            goto fail;
    } else {
        enum zt_edge_method m = ZT_EDGE_XDOG;
        if (w->gen) zt_edge_method_parse(zt_generator_info(w->gen)->edge_method, &m);
        if (m != ZT_EDGE_CANNY && m != ZT_EDGE_XDOG) m = ZT_EDGE_XDOG;
        if ((rc = zt_pair_trace(&photo, (int)size, m, &s->lim, 7, &pair))) goto fail;
        e = pair.edges;
        hr = pair.hint_rgb;
        hm = pair.hint_mask;
        pair.edges = pair.hint_rgb = pair.hint_mask = (struct zt_image){0};
    }
    if (zt_req_cancelled(s, rq)) goto done;
    if ((rc = zt_edges_dilate(&e, (float)size / 256.0f)) || (rc = lines_layer(&e, &lines)) ||
        (rc = zt_hints_layer(&hr, &hm, &hints)))
        goto fail;
    rc = ZT_ENOMEM;
    if (!(root = json_pack("{s:s, s:i}", "kind", drawn ? "drawing" : "photo", "size", (int)size)))
        goto fail;
    if ((rc = add_png(root, "lines", &lines)) || (rc = add_png(root, "hints", &hints))) goto fail;
    zt_reply_json(&rq->reply, 200, root);
    root = NULL;
    zt_reply_header(&rq->reply, "Cache-Control", "no-store");
    goto done;
fail:
    if (rc == ZT_ENOMEM && !*zt_errmsg()) zt_seterr("out of memory");
    zt_reply_code(&rq->reply, rc);
done:
    json_decref(root);
    zt_form_deinit(&f);
    zt_image_free(&photo);
    zt_image_free(&sq);
    zt_image_free(&e);
    zt_image_free(&hr);
    zt_image_free(&hm);
    zt_image_free(&lines);
    zt_image_free(&hints);
    zt_pair_deinit(&pair);
    zt_server_job_done(s, rq);
}
