/* pairs.c: photo -> (photo, edges, mask, hints) planes and their file forms. */
#include "pairs.h"
#include "../util/hash.h"
#include "../util/zt.h"

#include <string.h>

void zt_pair_opts_default(struct zt_pair_opts *o, int size, enum zt_edge_method method)
{
    memset(o, 0, sizeof *o);
    o->size = size;
    zt_edge_params_default(&o->edge, method);
    zt_mask_params_default(&o->mask);
    zt_hint_params_default(&o->hint);
    o->style = ZT_STYLE_EDGES;
    zt_doodle_params_default(&o->doodle);
    o->doodle.aligned = 1;
    o->lim = (struct zt_image_limits)ZT_IMAGE_LIMITS_DEFAULT;
}

uint64_t zt_pair_seed(uint64_t run_seed, const char *id)
{
    return zt_mix64(zt_hash_str(id) ^ zt_mix64(run_seed));
}

void zt_pair_deinit(struct zt_pair *p)
{
    if (!p) return;
    zt_image_free(&p->photo);
    zt_image_free(&p->edges);
    zt_image_free(&p->mask);
    zt_image_free(&p->hint_rgb);
    zt_image_free(&p->hint_mask);
    p->nhints = 0;
}

int zt_pair_planes(const struct zt_image *src, const struct zt_pair_opts *o, struct zt_pair *out)
{
    static const uint8_t white[4] = {255, 255, 255, 255};
    struct zt_pair p = {0};
    struct zt_image rgb = {0}, content = {0}, cmask = {0};
    int rc, x, y, w, h;
    if (o->size < 32 || o->size > 4096) {
        zt_seterr("pair size %d outside 32..4096", o->size);
        return ZT_EINVAL;
    }
    const struct zt_image *in = src;
    if (src->c != 3) {
        if ((rc = zt_image_convert(src, 3, &rgb))) goto fail;
        in = &rgb;
    }
    if ((rc = zt_image_letterbox(in, o->size, white, &p.photo, &x, &y, &w, &h))) goto fail;
    if ((rc = zt_edges_detect(&p.photo, &o->edge, &p.edges))) goto fail;
    /* mask on the content alone, then placed on a background canvas */
    if ((rc = zt_image_crop(&p.photo, x, y, w, h, &content))) goto fail;
    if ((rc = zt_mask_garment(&content, &o->mask, &cmask))) goto fail;
    if ((rc = zt_image_new(&p.mask, o->size, o->size, 1))) goto fail;
    zt_image_paste(&p.mask, &cmask, x, y);
    if (o->white_bg) zt_pair_white_background(&p);
    *out = p;
    p = (struct zt_pair){0};
fail:
    zt_pair_deinit(&p);
    zt_image_free(&rgb);
    zt_image_free(&content);
    zt_image_free(&cmask);
    return rc;
}

/* Replaces p's edges by a doodle's planes (same size as the pair). */
static int pair_doodle(struct zt_pair *p, const struct zt_pair_opts *o, uint64_t seed)
{
    struct zt_image e = {0}, hr = {0}, hm = {0};
    int rc = zt_doodle_planes(&p->photo, &p->mask, &p->edges, &o->doodle, o->size, seed, &e, &hr,
                              &hm, &p->nhints);
    if (!rc) {
        zt_image_free(&p->edges);
        p->edges = e, p->hint_rgb = hr, p->hint_mask = hm;
    }
    return rc;
}

int zt_pair_from_image(const struct zt_image *src, const struct zt_pair_opts *o, uint64_t seed,
                       struct zt_pair *out)
{
    struct zt_pair p = {0};
    int rc = zt_pair_planes(src, o, &p);
    if (rc) return rc;
    if (zt_draw_style_pick(o->style, seed) == ZT_STYLE_DOODLE)
        rc = pair_doodle(&p, o, seed);
    else
        rc = zt_hints_simulate(&p.photo, &p.mask, &o->hint, seed, &p.hint_rgb, &p.hint_mask,
                               &p.nhints);
    if (rc) {
        zt_pair_deinit(&p);
        return rc;
    }
    *out = p;
    return ZT_OK;
}

int zt_pair_make(const char *path, const struct zt_pair_opts *o, uint64_t seed,
                 struct zt_pair *out)
{
    struct zt_image im = {0};
    int rc = zt_image_load(path, 3, &o->lim, &im);
    if (rc) return rc;
    rc = zt_pair_from_image(&im, o, seed, out);
    if (rc) zt_adderr("%s", path);
    zt_image_free(&im);
    return rc;
}

int zt_pair_garment_only(struct zt_pair *p)
{
    int w = p->mask.w, h = p->mask.h, r = w / 64 + 1;
    if (!zt_mask_usable(&p->mask)) return 0;
#define IN(x, y) ((x) >= 0 && (y) >= 0 && (x) < w && (y) < h && p->mask.px[(size_t)(y) * w + (x)] >= 128)
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            int in = IN(x, y);
            if (in && (!IN(x - 1, y) || !IN(x + 1, y) || !IN(x, y - 1) || !IN(x, y + 1))) {
                p->edges.px[i] = 0; /* the outline */
                continue;
            }
            if (in) continue;
            int near = 0; /* within r of the garment: the edge detector's own outline */
            for (int dy = -r; dy <= r && !near; dy++)
                for (int dx = -r; dx <= r && !near; dx++) near = IN(x + dx, y + dy);
            if (near) continue;
            p->edges.px[i] = 255;
            if (p->hint_mask.px) p->hint_mask.px[i] = 0;
            if (p->hint_rgb.px) memset(p->hint_rgb.px + 3 * i, 0, 3);
        }
#undef IN
    return 1;
}

int zt_pair_trace(const struct zt_image *photo, int size, enum zt_edge_method method,
                  const struct zt_image_limits *lim, uint64_t seed, struct zt_pair *out)
{
    struct zt_pair_opts po;
    zt_pair_opts_default(&po, size, method);
    po.hint.fixed_count = 12;
    if (lim) po.lim = *lim;
    po.mask.grabcut_iters = ZT_MASK_GRABCUT_SHAPE; /* the trace is the garment's outline */
    int rc = zt_pair_from_image(photo, &po, seed, out);
    if (!rc) zt_pair_garment_only(out); /* no hanger, floor or wall in the trace */
    return rc;
}

int zt_pair_white_background(struct zt_pair *p)
{
    int w = p->mask.w, h = p->mask.h;
    size_t n = (size_t)w * h, area = 0, outline = 0, agree = 0;
    if (!zt_mask_usable(&p->mask) || !p->edges.px || p->edges.w != w || p->edges.h != h) return 0;
#define IN(x, y) ((x) >= 0 && (y) >= 0 && (x) < w && (y) < h && p->mask.px[(size_t)(y) * w + (x)] >= 128)
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (!IN(x, y)) continue;
            area++;
            if (IN(x - 1, y) && IN(x + 1, y) && IN(x, y - 1) && IN(x, y + 1)) continue;
            outline++;
            int hit = 0;
            for (int dy = -2; dy <= 2 && !hit; dy++)
                for (int dx = -2; dx <= 2 && !hit; dx++) {
                    int u = x + dx, v = y + dy;
                    hit = u >= 0 && v >= 0 && u < w && v < h && p->edges.px[(size_t)v * w + u] < 128;
                }
            agree += hit;
        }
#undef IN
    if (area < n * 12 / 100 || area > n * 92 / 100 || agree * 10 < outline * 6) return 0;
    for (size_t i = 0; i < n; i++)
        if (p->mask.px[i] < 128) memset(p->photo.px + 3 * i, 255, 3);
    return 1;
}

int zt_pair_drawing(const struct zt_pair *p, struct zt_image *out)
{
    int s = p->edges.w, rc = zt_image_new(out, s, p->edges.h, 3);
    if (rc) return rc;
    size_t n = (size_t)s * p->edges.h;
    for (size_t i = 0; i < n; i++) {
        uint8_t *d = out->px + 3 * i;
        if (p->hint_mask.px[i] >= 128) memcpy(d, p->hint_rgb.px + 3 * i, 3);
        else memset(d, p->edges.px[i], 3);
    }
    return ZT_OK;
}

int zt_pair_hint_layer(const struct zt_pair *p, struct zt_image *out)
{
    int rc = zt_image_new(out, p->hint_rgb.w, p->hint_rgb.h, 4);
    if (rc) return rc;
    size_t n = (size_t)out->w * out->h;
    for (size_t i = 0; i < n; i++) {
        int on = p->hint_mask.px[i] >= 128;
        memcpy(out->px + 4 * i, p->hint_rgb.px + 3 * i, 3);
        out->px[4 * i + 3] = on ? 255 : 0;
        if (!on) memset(out->px + 4 * i, 0, 3);
    }
    return ZT_OK;
}

int zt_pair_ab(const struct zt_pair *p, struct zt_image *out)
{
    struct zt_image a = {0};
    int rc = zt_pair_drawing(p, &a);
    if (rc) return rc;
    if ((rc = zt_image_new(out, 2 * a.w, a.h, 3)) == ZT_OK) {
        zt_image_paste(out, &a, 0, 0);
        zt_image_paste(out, &p->photo, a.w, 0);
    }
    zt_image_free(&a);
    return rc;
}
