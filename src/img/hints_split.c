/* hints_split.c: a shopper's drawing -> the generator's input planes (edges,
 * hint RGB, hint mask), from one flattened image or from two layers, with
 * the colour rule documented in hints.h. */
#include "hints.h"
#include "edges.h"
#include "image.h"
#include "../util/zt.h"

#include <stdlib.h>
#include <string.h>

void zt_split_params_default(struct zt_split_params *p)
{
    *p = (struct zt_split_params){
        .hint_min_chroma = 40,
        .line_max_v = 110,
        .paper_min_v = 225,
        .aa_radius = 2,
        .thin = 1,
        .line_width = 0,
        .max_side = 512,
    };
}

static int check(const struct zt_split_params *p)
{
    if (p->hint_min_chroma < 0 || p->hint_min_chroma > 255 || p->line_max_v < 0 ||
        p->paper_min_v <= p->line_max_v || p->paper_min_v > 256 || p->aa_radius < 0 ||
        p->aa_radius > 16 || !(p->line_width >= 0 && p->line_width <= 64) || p->max_side < 0) {
        zt_seterr("drawing split parameters out of range");
        return ZT_EINVAL;
    }
    return ZT_OK;
}

/* outputs allocated together; on failure none is kept */
static int alloc3(int w, int h, struct zt_image *e, struct zt_image *hr, struct zt_image *hm)
{
    int rc;
    if ((rc = zt_image_new(e, w, h, 1)) || (rc = zt_image_new(hr, w, h, 3)) ||
        (rc = zt_image_new(hm, w, h, 1))) {
        zt_image_free(e);
        zt_image_free(hr);
        zt_image_free(hm);
        return rc;
    }
    memset(e->px, 255, (size_t)w * h);
    return ZT_OK;
}

/* src, or a copy downscaled to max_side (the longer side) in *tmp */
static int cap_size(const struct zt_image *src, int max_side, struct zt_image *tmp,
                    const struct zt_image **out)
{
    *out = src;
    int longer = ZT_MAX(src->w, src->h);
    if (!max_side || longer <= max_side) return ZT_OK;
    int w = (int)ZT_MAX((int64_t)src->w * max_side / longer, 1);
    int h = (int)ZT_MAX((int64_t)src->h * max_side / longer, 1);
    int rc = zt_image_resize(src, w, h, tmp);
    if (!rc) *out = tmp;
    return rc;
}

/* thinning / width of the line plane, as for training edges */
static int finish_lines(struct zt_image *e, const struct zt_split_params *p)
{
    int rc = ZT_OK;
    if (p->thin) rc = zt_edges_thin(e);
    if (!rc && p->line_width > 1) rc = zt_edges_dilate(e, p->line_width);
    return rc;
}

enum { PAPER = 0, LINE = 1, HINT = 2, GREY = 3 };

/* Depth of a hint colour: chroma first, then darkness. A dab's anti-aliased
 * rim mixes its colour with the paper (lighter, less chroma) or with a line
 * (darker, less chroma), so the dab's own colour scores highest. */
static int hint_depth(const uint8_t *q)
{
    int mx = ZT_MAX(q[0], ZT_MAX(q[1], q[2])), mn = ZT_MIN(q[0], ZT_MIN(q[1], q[2]));
    return 4 * (mx - mn) + 255 - mx;
}

/* Each hint pixel takes the colour of the deepest hint pixel within r. Kept
 * as drawn, a dab's rim lightens the dab once reduced (three navy dots on a
 * 512-px drawing: mean hint colour 50,65,120 at 128 px, not 31,47,107), and
 * the recolour reads the rim as dabs of their own: a lavender garment. */
static void unblend_rims(const struct zt_image *rgb, const uint8_t *cls, int r, struct zt_image *hr)
{
    int w = rgb->w, h = rgb->h;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x, best = i;
            if (cls[i] != HINT) continue;
            int bd = hint_depth(rgb->px + 3 * i);
            for (int v = ZT_MAX(y - r, 0); v <= ZT_MIN(y + r, h - 1); v++)
                for (int u = ZT_MAX(x - r, 0); u <= ZT_MIN(x + r, w - 1); u++) {
                    size_t j = (size_t)v * w + u;
                    int d = cls[j] == HINT ? hint_depth(rgb->px + 3 * j) : -1;
                    if (d > bd) bd = d, best = j;
                }
            memcpy(hr->px + 3 * i, rgb->px + 3 * best, 3);
        }
}

int zt_drawing_split(const struct zt_image *drawing, const struct zt_split_params *p,
                     struct zt_image *edges, struct zt_image *hint_rgb,
                     struct zt_image *hint_mask)
{
    struct zt_split_params def;
    if (!p) zt_split_params_default(&def), p = &def;
    if (!drawing || !drawing->px || drawing->w <= 0 || drawing->h <= 0) {
        zt_seterr("drawing split: bad drawing");
        return ZT_EINVAL;
    }
    struct zt_image small = {0};
    int rc = check(p);
    if (!rc) rc = cap_size(drawing, p->max_side, &small, &drawing);
    if (rc) return rc;
    int w = drawing->w, h = drawing->h;
    size_t n = (size_t)w * h;
    struct zt_image rgb = {0}, e = {0}, hr = {0}, hm = {0};
    uint8_t *cls = malloc(n), *nearl = NULL;
    rc = ZT_ENOMEM;
    if (!cls) goto oom;
    if ((rc = zt_image_convert(drawing, 3, &rgb)) || (rc = alloc3(w, h, &e, &hr, &hm))) goto fail;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *q = rgb.px + 3 * i;
        int mx = ZT_MAX(q[0], ZT_MAX(q[1], q[2])), mn = ZT_MIN(q[0], ZT_MIN(q[1], q[2]));
        if (mx - mn >= p->hint_min_chroma) cls[i] = HINT;
        else if (mx <= p->line_max_v) cls[i] = LINE;
        else if (mn >= p->paper_min_v) cls[i] = PAPER;
        else cls[i] = GREY;
    }
    /* grey next to a line is anti-aliasing; a separate grey mark is a hint */
    nearl = calloc(n, 1);
    rc = ZT_ENOMEM;
    if (!nearl) goto oom;
    int ar = p->aa_radius;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (cls[(size_t)y * w + x] != LINE) continue;
            for (int yy = ZT_MAX(y - ar, 0); yy <= ZT_MIN(y + ar, h - 1); yy++)
                memset(nearl + (size_t)yy * w + ZT_MAX(x - ar, 0), 1,
                       (size_t)(ZT_MIN(x + ar, w - 1) - ZT_MAX(x - ar, 0) + 1));
        }
    for (size_t i = 0; i < n; i++) {
        if (cls[i] == GREY) cls[i] = nearl[i] ? PAPER : HINT;
        if (cls[i] == LINE) e.px[i] = 0;
        else if (cls[i] == HINT) hm.px[i] = 255;
    }
    unblend_rims(&rgb, cls, ar, &hr);
    if ((rc = finish_lines(&e, p))) goto fail;
    *edges = e, *hint_rgb = hr, *hint_mask = hm;
    e = hr = hm = (struct zt_image){0};
    rc = ZT_OK;
    goto fail;
oom:
    zt_seterr("out of memory splitting a %dx%d drawing", w, h);
fail:
    free(cls);
    free(nearl);
    zt_image_free(&small);
    zt_image_free(&rgb);
    zt_image_free(&e);
    zt_image_free(&hr);
    zt_image_free(&hm);
    return rc;
}

int zt_drawing_split_layers(const struct zt_image *lines, const struct zt_image *hints,
                            const struct zt_split_params *p, struct zt_image *edges,
                            struct zt_image *hint_rgb, struct zt_image *hint_mask)
{
    struct zt_split_params def;
    if (!p) zt_split_params_default(&def), p = &def;
    if (!lines || !hints || !lines->px || !hints->px || lines->w != hints->w ||
        lines->h != hints->h || lines->w <= 0 || lines->h <= 0) {
        zt_seterr("drawing layers: missing or of different sizes");
        return ZT_EINVAL;
    }
    struct zt_image gray = {0}, e = {0}, hr = {0}, hm = {0}, small_l = {0}, small_h = {0};
    int rc = check(p);
    if (rc || (rc = cap_size(lines, p->max_side, &small_l, &lines)) ||
        (rc = cap_size(hints, p->max_side, &small_h, &hints)))
        goto fail;
    int w = lines->w, h = lines->h;
    size_t n = (size_t)w * h;
    if ((rc = zt_image_convert(lines, 1, &gray)) || (rc = alloc3(w, h, &e, &hr, &hm))) goto fail;
    for (size_t i = 0; i < n; i++) e.px[i] = gray.px[i] < 128 ? 0 : 255;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *q = hints->px + i * hints->c;
        int on;
        if (hints->c == 4) on = q[3] >= 128;
        else if (hints->c == 3) on = q[0] < p->paper_min_v || q[1] < p->paper_min_v || q[2] < p->paper_min_v;
        else on = q[0] < p->paper_min_v;
        if (!on) continue;
        for (int c = 0; c < 3; c++) hr.px[3 * i + c] = q[hints->c >= 3 ? c : 0];
        hm.px[i] = 255;
    }
    if ((rc = finish_lines(&e, p))) goto fail;
    *edges = e, *hint_rgb = hr, *hint_mask = hm;
    e = hr = hm = (struct zt_image){0};
fail:
    zt_image_free(&small_l);
    zt_image_free(&small_h);
    zt_image_free(&gray);
    zt_image_free(&e);
    zt_image_free(&hr);
    zt_image_free(&hm);
    return rc;
}

int zt_hints_layer(const struct zt_image *hint_rgb, const struct zt_image *hint_mask,
                   struct zt_image *out)
{
    if (hint_rgb->c != 3 || hint_mask->c != 1 || hint_rgb->w != hint_mask->w ||
        hint_rgb->h != hint_mask->h) {
        zt_seterr("hint layer: expected RGB and mask planes of one size");
        return ZT_EINVAL;
    }
    int rc = zt_image_new(out, hint_rgb->w, hint_rgb->h, 4);
    if (rc) return rc;
    for (size_t i = 0; i < (size_t)hint_rgb->w * hint_rgb->h; i++) {
        if (hint_mask->px[i] < 128) continue;
        memcpy(out->px + i * 4, hint_rgb->px + i * 3, 3);
        out->px[i * 4 + 3] = 255;
    }
    return ZT_OK;
}
