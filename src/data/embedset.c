/* embedset.c: the search embedding's inputs and training batches (embedset.h). */
#include "embedset.h"
#include "dataset.h"
#include "drawing.h"
#include "pairs.h"
#include "shapes.h"
#include "../nn/sample.h"
#include "../util/rng.h"
#include "../img/edges.h"
#include "../img/hints.h"
#include "../img/mask.h"
#include "../util/hash.h"
#include "../util/parallel.h"
#include "../util/zt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t WHITE[4] = {255, 255, 255, 255};

int zt_embed_encode_drawing(const struct zt_image *lines, const struct zt_image *hints, int size,
                            float frame, float *A)
{
    struct zt_planes p = {0};
    int rc = zt_drawing_planes(lines, hints, size, frame, &p);
    if (rc) return rc;
    rc = zt_sample_encode_input(&p.edges, &p.hint_rgb, &p.hint_mask, -1, 0, A);
    zt_planes_deinit(&p);
    return rc;
}

int zt_embed_encode_photo(const struct zt_image *photo, int size, float *B)
{
    struct zt_image rgb = {0}, lb = {0};
    const struct zt_image *in = photo;
    int rc = ZT_OK, x, y, w, h;
    if (photo->c != 3) {
        if ((rc = zt_image_convert(photo, 3, &rgb))) return rc;
        in = &rgb;
    }
    if (!(rc = zt_image_letterbox(in, size, WHITE, &lb, &x, &y, &w, &h)))
        rc = zt_sample_encode_photo(&lb, B);
    zt_image_free(&rgb);
    zt_image_free(&lb);
    return rc;
}

void zt_embedset_deinit(struct zt_embedset *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        zt_image_free(&s->it[i].photo);
        zt_image_free(&s->it[i].edges);
        zt_image_free(&s->it[i].mask);
        free(s->it[i].path);
    }
    free(s->it);
    memset(s, 0, sizeof *s);
}

struct load_ctx {
    const struct zt_dataset *ds;
    const int *pick;
    struct zt_embedset *out;
    struct zt_pair_opts po;
    void (*progress)(void *, int64_t, int64_t);
    void *pctx;
    int64_t done, total;
};

/* it->mask_agree: IoU of its (GrabCut) mask with the border heuristic's
 * on the same frame. */
static int mask_agreement(struct zt_embedset_item *it)
{
    struct zt_image h = {0};
    int rc = zt_mask_garment(&it->photo, NULL, &h);
    if (rc) return rc;
    size_t both = 0, any = 0;
    for (size_t i = 0; i < (size_t)h.w * h.h; i++) {
        int a = it->mask.px[i] >= 128, b = h.px[i] >= 128;
        both += a && b, any += a || b;
    }
    it->mask_agree = any ? (float)((double)both / (double)any) : 1;
    zt_image_free(&h);
    return ZT_OK;
}

static int load_one(void *vctx, int64_t i, int worker)
{
    struct load_ctx *c = vctx;
    const struct zt_sample *sm = &c->ds->s[c->pick[i]];
    struct zt_embedset_item *it = &c->out->it[i];
    struct zt_image im = {0};
    struct zt_pair p = {0};
    int rc = zt_image_load(sm->path, 3, &c->po.lim, &im);
    if (!rc) rc = zt_pair_planes(&im, &c->po, &p);
    zt_image_free(&im);
    if (rc) {
        zt_adderr("%s", sm->path);
        return rc;
    }
    it->photo = p.photo, it->edges = p.edges, it->mask = p.mask;
    it->mask_ok = zt_mask_usable(&p.mask);
    it->mask_agree = 1;
    if (c->po.mask.grabcut_iters > 0 && (rc = mask_agreement(it))) return rc;
    snprintf(it->id, sizeof it->id, "%s", sm->id);
    if (!(it->path = strdup(sm->path))) return ZT_ENOMEM;
    int64_t done = __atomic_add_fetch(&c->done, 1, __ATOMIC_RELAXED);
    if (c->progress && worker == 0) c->progress(c->pctx, done, c->total);
    return ZT_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(a, b); }

int zt_embedset_load(const char *src, int split, const char *const *classes, int nclass,
                     int nthreads, int grabcut, void (*progress)(void *, int64_t, int64_t),
                     void *pctx, struct zt_embedset *out)
{
    struct zt_catmap map;
    struct zt_dataset ds = {0};
    struct zt_embedset s = {0};
    int *pick = NULL, rc;
    if ((rc = zt_catmap_default(&map))) return rc;
    if ((rc = zt_dataset_open(src, &map, 10, &ds))) goto out;
    if (classes) {
        if (nclass > ZT_EMBEDSET_MAX_CLASSES) {
            zt_seterr("embedset: %d classes (at most %d)", nclass, ZT_EMBEDSET_MAX_CLASSES);
            rc = ZT_EINVAL;
            goto out;
        }
        for (int k = 0; k < nclass; k++) snprintf(s.classes[k], 32, "%s", classes[k]);
        s.nclass = nclass;
    } else {
        for (int i = 0; i < ds.n; i++) {
            int k = 0;
            while (k < s.nclass && strcmp(s.classes[k], ds.s[i].cls)) k++;
            if (k < s.nclass) continue;
            if (s.nclass == ZT_EMBEDSET_MAX_CLASSES) {
                zt_seterr("%s: more than %d classes", src, ZT_EMBEDSET_MAX_CLASSES);
                rc = ZT_EINVAL;
                goto out;
            }
            snprintf(s.classes[s.nclass++], 32, "%s", ds.s[i].cls);
        }
        qsort(s.classes, (size_t)s.nclass, sizeof s.classes[0], cmp_str);
    }
    if (!(pick = malloc((size_t)(ds.n ? ds.n : 1) * sizeof *pick)) ||
        !(s.it = calloc((size_t)(ds.n ? ds.n : 1), sizeof *s.it))) {
        rc = ZT_ENOMEM;
        goto out;
    }
    for (int i = 0; i < ds.n; i++) {
        if (ds.s[i].split != split) continue;
        int k = 0;
        while (k < s.nclass && strcmp(s.classes[k], ds.s[i].cls)) k++;
        if (k == s.nclass) continue;
        s.it[s.n].cls = k;
        pick[s.n++] = i;
    }
    if (s.n == 0) {
        zt_seterr("%s: no images in that split", src);
        rc = ZT_ENOTFOUND;
        goto out;
    }
    struct load_ctx c = {.ds = &ds, .pick = pick, .out = &s, .progress = progress,
                         .pctx = pctx, .total = s.n};
    zt_pair_opts_default(&c.po, ZT_EMBEDSET_FRAME, ZT_EDGE_CANNY);
    if (grabcut) c.po.mask.grabcut_iters = ZT_MASK_GRABCUT_SHAPE; /* doodles trace the mask */
    if ((rc = zt_parallel_for(s.n, nthreads, load_one, &c))) goto out;
    if (progress) progress(pctx, s.n, s.n);
    *out = s;
    s = (struct zt_embedset){0};
out:
    zt_embedset_deinit(&s);
    free(pick);
    zt_dataset_deinit(&ds);
    zt_catmap_deinit(&map);
    return rc;
}

/* Edge-map drawing: the photo's edge map and simulated hints as the
 * page's two layers, at the frame's size (the planes are reduced later). */
static int edge_drawing(const struct zt_embedset_item *it, uint64_t seed, struct zt_image *lines,
                        struct zt_image *hints)
{
    struct zt_hint_params hp;
    struct zt_image hr = {0}, hm = {0}, xdog = {0};
    zt_hint_params_default(&hp);
    /* half Canny (the catalogue's own detector), half XDoG (the page's trace
     * of an upload and the generator's training edges) */
    const struct zt_image *edges = &it->edges;
    int rc = ZT_OK;
    if ((seed >> 60) & 1) {
        struct zt_edge_params ep;
        zt_edge_params_default(&ep, ZT_EDGE_XDOG);
        if ((rc = zt_edges_detect(&it->photo, &ep, &xdog))) return rc;
        edges = &xdog;
    }
    rc = zt_hints_simulate(&it->photo, &it->mask, &hp, seed, &hr, &hm, NULL);
    if (!rc) rc = zt_hints_layer(&hr, &hm, hints);
    if (!rc && (rc = zt_image_clone(edges, lines))) zt_image_free(hints);
    zt_image_free(&xdog);
    zt_image_free(&hr);
    zt_image_free(&hm);
    return rc;
}

int zt_embedset_drawing(const struct zt_embedset *s, int i, enum zt_draw_style style, int size,
                        uint64_t seed, struct zt_image *lines, struct zt_image *hints)
{
    const struct zt_embedset_item *it = &s->it[i];
    if (zt_draw_style_pick(style, seed) == ZT_STYLE_EDGES || !it->mask_ok ||
        it->mask_agree < s->doodle_agree)
        return edge_drawing(it, seed, lines, hints);
    struct zt_doodle_params dp;
    struct zt_doodle d = {0};
    zt_doodle_params_default(&dp);
    int rc = zt_doodle_render(&it->photo, &it->mask, &it->edges, &dp, size, seed, &d);
    if (rc) return rc;
    *lines = d.lines, *hints = d.hints;
    return ZT_OK;
}

/* --- things the shop does not sell --- */

enum { NEG_STAR, NEG_SOCK, NEG_BELT, NEG_BOWTIE, NEG_HEART, NEG_CROSS, NEG_CRESCENT, NEG_N };

/* Is (x, y) in [0,1]^2 inside shape kind (p: shape parameters)? */
static int neg_inside(int kind, const float *p, float x, float y)
{
    float cx = x - 0.5f, cy = y - 0.5f, r = sqrtf(cx * cx + cy * cy);
    switch (kind) {
    case NEG_STAR: {
        float a = atan2f(cy, cx) + p[1], k = p[0]; /* points */
        float t = fabsf(fmodf(a * k / (2 * (float)M_PI) + 100.5f, 1.0f) - 0.5f) * 2;
        return r < 0.2f + 0.28f * (1 - t);
    }
    case NEG_SOCK: {
        static const float v[6][2] = {{0.30f, 0.05f}, {0.58f, 0.05f}, {0.58f, 0.62f},
                                      {0.92f, 0.78f}, {0.85f, 0.95f}, {0.30f, 0.92f}};
        return zt_poly_inside(v, 6, x, y);
    }
    case NEG_BELT:
        return fabsf(cy) < 0.06f && fabsf(cx) < 0.47f;
    case NEG_BOWTIE: {
        static const float v[6][2] = {{0.05f, 0.2f}, {0.5f, 0.42f}, {0.95f, 0.2f},
                                      {0.95f, 0.8f}, {0.5f, 0.58f}, {0.05f, 0.8f}};
        return zt_poly_inside(v, 6, x, y);
    }
    case NEG_HEART: {
        float hx = cx * 2.4f, hy = -cy * 2.4f + 0.2f, q = hx * hx + hy * hy - 1;
        return q * q * q - hx * hx * hy * hy * hy < 0;
    }
    case NEG_CROSS:
        return (fabsf(cx) < 0.1f && fabsf(cy) < 0.45f) || (fabsf(cy) < 0.1f && fabsf(cx) < 0.35f);
    default: { /* crescent */
        float dx = cx - 0.16f, dy = cy - 0.06f;
        return r < 0.45f && sqrtf(dx * dx + dy * dy) > 0.36f;
    }
    }
}

int zt_embedset_negative(int size, uint64_t seed, struct zt_image *lines, struct zt_image *hints)
{
    const int F = ZT_EMBEDSET_FRAME;
    struct zt_rng r;
    struct zt_image photo = {0}, mask = {0};
    struct zt_doodle d = {0};
    struct zt_doodle_params dp;
    zt_rng_seed(&r, seed);
    int kind = (int)(zt_rng_u64(&r) % NEG_N), rc;
    float p[2] = {(float)(5 + zt_rng_u64(&r) % 3), zt_rng_uniform(&r) * 6.283f};
    if ((rc = zt_image_new(&photo, F, F, 3)) || (rc = zt_image_new(&mask, F, F, 1))) goto out;
    uint8_t col[3];
    for (int k = 0; k < 3; k++) col[k] = (uint8_t)(zt_rng_u64(&r) % 256);
    for (int y = 0; y < F; y++)
        for (int x = 0; x < F; x++) {
            int in = neg_inside(kind, p, (x + 0.5f) / F, (y + 0.5f) / F);
            mask.px[(size_t)y * F + x] = in ? 255 : 0;
            memcpy(photo.px + 3 * ((size_t)y * F + x), in ? col : WHITE, 3);
        }
    zt_doodle_params_default(&dp);
    dp.p_interior = 0;
    if (!(rc = zt_doodle_render(&photo, &mask, NULL, &dp, size, zt_mix64(seed ^ 7), &d))) {
        *lines = d.lines, *hints = d.hints;
    }
out:
    zt_image_free(&photo);
    zt_image_free(&mask);
    return rc;
}

int zt_embedset_shape(const char *cls, int size, uint64_t seed, struct zt_image *lines,
                      struct zt_image *hints)
{
    struct zt_image photo = {0}, mask = {0}, edges = {0};
    struct zt_doodle d = {0};
    struct zt_doodle_params dp;
    int rc = zt_shape_render(cls, ZT_EMBEDSET_FRAME, seed, &photo, &mask, &edges);
    if (rc) return rc;
    zt_doodle_params_default(&dp);
    dp.p_interior = 0.6f, dp.interior_max = 1.0f; /* a drawn shape's few lines are meant */
    if (!(rc = zt_doodle_render(&photo, &mask, &edges, &dp, size, zt_mix64(seed ^ 11), &d)))
        *lines = d.lines, *hints = d.hints;
    zt_image_free(&photo);
    zt_image_free(&mask);
    zt_image_free(&edges);
    return rc;
}

/* --- photos --- */

int zt_embedset_photo(const struct zt_embedset *s, int i, int augment, uint64_t seed, int size,
                      float *B)
{
    const struct zt_image *src = &s->it[i].photo;
    if (!augment) return zt_embed_encode_photo(src, size, B);
    struct zt_rng r;
    zt_rng_seed(&r, seed);
    /* a random zoom (0.75..1.15), shift (+-10 %), mirror and light, sampled
     * bilinearly on white: phone photos are framed loosely */
    float zoom = 0.75f + 0.4f * zt_rng_uniform(&r);
    float sx = (zt_rng_uniform(&r) - 0.5f) * 0.2f, sy = (zt_rng_uniform(&r) - 0.5f) * 0.2f;
    int flip = zt_rng_uniform(&r) < 0.5f;
    float gain = 0.85f + 0.3f * zt_rng_uniform(&r), bias = (zt_rng_uniform(&r) - 0.5f) * 0.2f;
    int W = src->w, H = src->h, plane = size * size;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            float u = ((x + 0.5f) / size - 0.5f - sx) / zoom + 0.5f;
            float v = ((y + 0.5f) / size - 0.5f - sy) / zoom + 0.5f;
            if (flip) u = 1 - u;
            float fx = u * W - 0.5f, fy = v * H - 0.5f;
            int x0 = (int)floorf(fx), y0 = (int)floorf(fy);
            float ax = fx - x0, ay = fy - y0;
            for (int c = 0; c < 3; c++) {
                float acc = 0;
                for (int k = 0; k < 4; k++) {
                    int xx = x0 + (k & 1), yy = y0 + (k >> 1);
                    float wgt = ((k & 1) ? ax : 1 - ax) * ((k >> 1) ? ay : 1 - ay);
                    float val = (xx < 0 || yy < 0 || xx >= W || yy >= H)
                                    ? 255.0f
                                    : src->px[3 * ((size_t)yy * W + xx) + c];
                    acc += wgt * val;
                }
                float o = (acc / 127.5f - 1) * gain + bias;
                B[c * plane + y * size + x] = o < -1 ? -1 : o > 1 ? 1 : o;
            }
        }
    return ZT_OK;
}
