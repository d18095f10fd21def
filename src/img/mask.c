/* mask.c: garment mask from border colours: Lab k-means over the border,
 * flood fill of background-like pixels from the border, opening/closing,
 * largest component, hole filling, and a GrabCut-like refinement that
 * re-labels pixels near the boundary by nearest fg/bg colour cluster. */
#include "mask.h"
#include "edges_impl.h"
#include "grabcut_shim.h"
#include "image.h"
#include "../util/zt.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void zt_mask_params_default(struct zt_mask_params *p)
{
    *p = (struct zt_mask_params){
        .work_size = 160,
        .border_frac = 0.04f,
        .max_bg_colors = 4,
        .bg_dist = 12.0f,
        .bg_spread_k = 2.5f,
        .bg_dist_max = 30.0f,
        .smooth = 1.0f,
        .open_r = 2,
        .close_r = 3,
        .refine_iters = 2,
        .grabcut_iters = 0,
    };
}

double zt_mask_iou(const struct zt_image *a, const struct zt_image *b)
{
    if (a->w != b->w || a->h != b->h || a->c != 1 || b->c != 1) return -1;
    size_t n = (size_t)a->w * a->h, in = 0, un = 0;
    for (size_t i = 0; i < n; i++) {
        int x = a->px[i] >= 128, y = b->px[i] >= 128;
        in += x && y;
        un += x || y;
    }
    return un ? (double)in / un : 1.0;
}

/* --- k-means on Lab points --- */

#define KMAX 8

struct clusters {
    int k;
    float c[KMAX][3];
    int count[KMAX];
    float spread[KMAX]; /* RMS distance of members to the centre */
};

static inline float d2(const float *a, const float *b)
{
    float x = a[0] - b[0], y = a[1] - b[1], z = a[2] - b[2];
    return x * x + y * y + z * z;
}

static int nearest(const struct clusters *cl, const float *v, float *dist2)
{
    int best = 0;
    float bd = FLT_MAX;
    for (int j = 0; j < cl->k; j++) {
        float d = d2(v, cl->c[j]);
        if (d < bd) bd = d, best = j;
    }
    if (dist2) *dist2 = bd;
    return best;
}

/* pts: m points of 3 floats. Deterministic: the first centre is the mean,
 * each next one the point farthest from those chosen. */
static void kmeans(const float *pts, size_t m, int k, int iters, struct clusters *cl)
{
    memset(cl, 0, sizeof *cl);
    if (!m) return;
    k = ZT_CLAMP(k, 1, KMAX);
    double mean[3] = {0};
    for (size_t i = 0; i < m; i++)
        for (int d = 0; d < 3; d++) mean[d] += pts[3 * i + d];
    for (int d = 0; d < 3; d++) cl->c[0][d] = (float)(mean[d] / m);
    cl->k = 1;
    while (cl->k < k) {
        float far = 0;
        size_t fi = 0;
        for (size_t i = 0; i < m; i++) {
            float dd;
            nearest(cl, pts + 3 * i, &dd);
            if (dd > far) far = dd, fi = i;
        }
        if (far < 1.0f) break; /* all points already within 1 unit */
        memcpy(cl->c[cl->k++], pts + 3 * fi, 3 * sizeof(float));
    }
    double sum[KMAX][4];
    for (int it = 0; it <= iters; it++) {
        memset(sum, 0, sizeof sum);
        for (size_t i = 0; i < m; i++) {
            float dd;
            int j = nearest(cl, pts + 3 * i, &dd);
            for (int d = 0; d < 3; d++) sum[j][d] += pts[3 * i + d];
            sum[j][3] += dd;
            cl->count[j]++;
        }
        for (int j = 0; j < cl->k; j++) {
            if (!cl->count[j]) continue;
            cl->spread[j] = (float)sqrt(sum[j][3] / cl->count[j]);
            if (it < iters)
                for (int d = 0; d < 3; d++) cl->c[j][d] = (float)(sum[j][d] / cl->count[j]);
        }
        if (it < iters) memset(cl->count, 0, sizeof cl->count);
    }
}

/* --- binary morphology on 0/1 planes (square structuring elements) --- */

/* 1-D running max over a window of radius r along n samples with stride st:
 * out[c] = any(in[c-r .. c+r]); in and out must not alias */
static void run_max(const uint8_t *in, uint8_t *out, int n, size_t st, int r)
{
    int last = -1 - 2 * r; /* last set sample seen */
    for (int x = 0; x < n + r; x++) {
        if (x < n && in[(size_t)x * st]) last = x;
        int c = x - r; /* window [c-r, c+r] ends at x */
        if (c >= 0) out[(size_t)c * st] = last >= c - r;
    }
}

/* square dilation (is_max) or erosion of a 0/1 plane by radius r, O(w*h)
 * per call; erosion is the dilation of the complement. tmp: w*h */
static void morph(uint8_t *m, int w, int h, int r, int is_max, uint8_t *tmp)
{
    if (r <= 0) return;
    size_t n = (size_t)w * h;
    if (!is_max)
        for (size_t i = 0; i < n; i++) m[i] = !m[i];
    for (int y = 0; y < h; y++) run_max(m + (size_t)y * w, tmp + (size_t)y * w, w, 1, r);
    for (int x = 0; x < w; x++) run_max(tmp + x, m + x, h, (size_t)w, r);
    if (!is_max)
        for (size_t i = 0; i < n; i++) m[i] = !m[i];
}

/* Flood fill over pixels with pass[i] set, 4-connected, from every border
 * pixel that passes. reach[i] = 1 for reached ones. stack: w*h. */
static void fill_from_border(const uint8_t *pass, int w, int h, uint8_t *reach, int32_t *stack)
{
    size_t sp = 0, n = (size_t)w * h;
    memset(reach, 0, n);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (x && y && x < w - 1 && y < h - 1) continue;
            size_t i = (size_t)y * w + x;
            if (pass[i] && !reach[i]) reach[i] = 1, stack[sp++] = (int32_t)i;
        }
    while (sp) {
        int32_t i = stack[--sp];
        int x = i % w, y = i / w;
        int32_t nb[4] = {x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1,
                         y < h - 1 ? i + w : -1};
        for (int k = 0; k < 4; k++)
            if (nb[k] >= 0 && pass[nb[k]] && !reach[nb[k]]) reach[nb[k]] = 1, stack[sp++] = nb[k];
    }
}

/* Keeps the largest 8-connected component of m. Returns its size. */
static size_t keep_largest(uint8_t *m, int w, int h, int32_t *stack, int32_t *label)
{
    size_t n = (size_t)w * h, best_n = 0;
    int32_t best = 0, cur = 0;
    for (size_t i = 0; i < n; i++) label[i] = 0;
    for (size_t i0 = 0; i0 < n; i0++) {
        if (!m[i0] || label[i0]) continue;
        cur++;
        size_t sp = 0, cnt = 0;
        stack[sp++] = (int32_t)i0;
        label[i0] = cur;
        while (sp) {
            int32_t i = stack[--sp];
            cnt++;
            int x = i % w, y = i / w;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                    int32_t j = yy * w + xx;
                    if (m[j] && !label[j]) label[j] = cur, stack[sp++] = j;
                }
        }
        if (cnt > best_n) best_n = cnt, best = cur;
    }
    for (size_t i = 0; i < n; i++) m[i] = best && label[i] == best;
    return best_n;
}

struct work {
    int w, h;
    float *lab; /* 3 planes of w*h: L, a, b */
    uint8_t *fg, *tmp, *tmp2;
    int32_t *stack, *label;
    float *pts; /* 3*w*h scratch points */
};

static inline void lab_at(const struct work *wk, size_t i, float v[3])
{
    size_t n = (size_t)wk->w * wk->h;
    v[0] = wk->lab[i], v[1] = wk->lab[n + i], v[2] = wk->lab[2 * n + i];
}

/* opening, closing, largest component, holes filled */
static void clean(struct work *wk, const struct zt_mask_params *p)
{
    int w = wk->w, h = wk->h;
    size_t n = (size_t)w * h;
    morph(wk->fg, w, h, p->open_r, 0, wk->tmp);
    morph(wk->fg, w, h, p->open_r, 1, wk->tmp);
    morph(wk->fg, w, h, p->close_r, 1, wk->tmp);
    morph(wk->fg, w, h, p->close_r, 0, wk->tmp);
    keep_largest(wk->fg, w, h, wk->stack, wk->label);
    /* holes: background not connected to the border */
    for (size_t i = 0; i < n; i++) wk->tmp[i] = !wk->fg[i];
    fill_from_border(wk->tmp, w, h, wk->tmp2, wk->stack);
    for (size_t i = 0; i < n; i++) wk->fg[i] = !wk->tmp2[i];
}

/* Colour models of fg and bg (k-means), then pixels within a band of the
 * boundary go to the nearer model. */
static void refine(struct work *wk, const struct zt_mask_params *p)
{
    int w = wk->w, h = wk->h;
    size_t n = (size_t)w * h;
    struct clusters cf, cb;
    for (int side = 0; side < 2; side++) {
        size_t m = 0, step = 1, total = 0;
        for (size_t i = 0; i < n; i++) total += wk->fg[i] == !side;
        if (total > 2000) step = total / 2000;
        size_t seen = 0;
        for (size_t i = 0; i < n; i++)
            if (wk->fg[i] == !side && seen++ % step == 0) lab_at(wk, i, wk->pts + 3 * m++);
        kmeans(wk->pts, m, 5, 6, side ? &cb : &cf);
    }
    if (!cf.k || !cb.k) return;
    /* band: dilate(fg) & !erode(fg) */
    int band = ZT_MAX(2, (w > h ? w : h) / 32);
    memcpy(wk->tmp2, wk->fg, n);
    morph(wk->tmp2, w, h, band, 1, wk->tmp); /* tmp2 = dilated */
    uint8_t *er = malloc(n);
    if (!er) return; /* refinement is optional: keep the coarse mask */
    memcpy(er, wk->fg, n);
    morph(er, w, h, band, 0, wk->tmp);
    for (size_t i = 0; i < n; i++) {
        if (!wk->tmp2[i] || er[i]) continue;
        float v[3], df, db;
        lab_at(wk, i, v);
        nearest(&cf, v, &df);
        nearest(&cb, v, &db);
        wk->fg[i] = df < db;
    }
    free(er);
    clean(wk, p);
}

/* zt_mask_usable over a plane whose garment pixels are >= on_level. */
static int usable(const uint8_t *px, int w, int h, int on_level)
{
    int64_t on = 0, n = (int64_t)w * h;
    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (px[(size_t)y * w + x] >= on_level) {
                on++;
                x0 = ZT_MIN(x0, x), x1 = ZT_MAX(x1, x), y0 = ZT_MIN(y0, y), y1 = ZT_MAX(y1, y);
            }
    if (on <= n * 4 / 100 || on >= n * 92 / 100) return 0;
    return on * 100 < (int64_t)(x1 - x0 + 1) * (y1 - y0 + 1) * 97;
}

/* GrabCut from a rectangle 4 % inside the frame, cleaned like the heuristic's
 * mask; it replaces the heuristic's mask in wk->fg when it is usable. */
static int grabcut(struct work *wk, const struct zt_image *rgb, const struct zt_mask_params *p)
{
    int w = wk->w, h = wk->h;
    size_t n = (size_t)w * h;
    uint8_t *keep = malloc(n);
    if (!keep) {
        zt_seterr("out of memory for a %dx%d mask", w, h);
        return ZT_ENOMEM;
    }
    memcpy(keep, wk->fg, n);
    int mx = ZT_MAX(1, w * 4 / 100), my = ZT_MAX(1, h * 4 / 100);
    int rc = zt_cv_grabcut(rgb->px, w, h, mx, my, w - 2 * mx, h - 2 * my, p->grabcut_iters, wk->fg);
    if (!rc) {
        clean(wk, p);
        if (!usable(wk->fg, w, h, 1)) memcpy(wk->fg, keep, n);
    }
    free(keep);
    return rc;
}

static int check(const struct zt_mask_params *p)
{
    if (p->work_size < 0 || !(p->border_frac > 0 && p->border_frac < 0.5f) ||
        p->max_bg_colors < 1 || p->max_bg_colors > KMAX || !(p->bg_dist > 0) ||
        !(p->bg_dist_max >= p->bg_dist) || !(p->bg_spread_k >= 0) || !(p->smooth >= 0) ||
        p->open_r < 0 || p->open_r > 32 || p->close_r < 0 || p->close_r > 32 ||
        p->refine_iters < 0 || p->refine_iters > 20 || p->grabcut_iters < 0 ||
        p->grabcut_iters > 20) {
        zt_seterr("mask parameters out of range");
        return ZT_EINVAL;
    }
    return ZT_OK;
}

int zt_mask_garment(const struct zt_image *src, const struct zt_mask_params *p,
                    struct zt_image *out)
{
    struct zt_mask_params def;
    if (!p) zt_mask_params_default(&def), p = &def;
    if (!src || !src->px || src->w <= 0 || src->h <= 0) {
        zt_seterr("mask: bad input image");
        return ZT_EINVAL;
    }
    int rc = check(p);
    if (rc) return rc;
    struct zt_image rgb = {0}, small = {0}, m = {0}, big = {0};
    struct work wk = {0};
    if ((rc = zt_image_convert(src, 3, &rgb))) goto fail;
    const struct zt_image *wi = &rgb;
    int mx = ZT_MAX(src->w, src->h);
    if (p->work_size > 0 && mx > p->work_size) {
        double k = (double)p->work_size / mx;
        int ww = ZT_MAX(1, (int)lround(src->w * k)), hh = ZT_MAX(1, (int)lround(src->h * k));
        if ((rc = zt_image_resize(&rgb, ww, hh, &small))) goto fail;
        wi = &small;
    }
    int w = wi->w, h = wi->h;
    size_t n = (size_t)w * h;
    wk.w = w, wk.h = h;
    wk.lab = malloc(3 * n * sizeof(float));
    wk.pts = malloc(3 * n * sizeof(float));
    wk.fg = malloc(n), wk.tmp = malloc(n), wk.tmp2 = malloc(n);
    wk.stack = malloc(n * sizeof(int32_t)), wk.label = malloc(n * sizeof(int32_t));
    rc = ZT_ENOMEM;
    if (!wk.lab || !wk.pts || !wk.fg || !wk.tmp || !wk.tmp2 || !wk.stack || !wk.label) {
        zt_seterr("out of memory for a %dx%d mask", w, h);
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        float v[3];
        zt_rgb_to_lab(wi->px + 3 * i, v);
        wk.lab[i] = v[0], wk.lab[n + i] = v[1], wk.lab[2 * n + i] = v[2];
    }
    for (int d = 0; d < 3; d++) zt__edges_blur(wk.lab + d * n, wk.lab + d * n, w, h, p->smooth, wk.pts);
    /* background colours from the border band */
    int bw = ZT_MAX(1, (int)lroundf(p->border_frac * ZT_MAX(w, h)));
    size_t ms = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (x < bw || y < bw || x >= w - bw || y >= h - bw)
                lab_at(&wk, (size_t)y * w + x, wk.pts + 3 * ms++);
    struct clusters bg;
    kmeans(wk.pts, ms, p->max_bg_colors, 8, &bg);
    float thr[KMAX];
    for (int j = 0; j < bg.k; j++) {
        /* a colour must cover 8% of the border to count as background */
        float t = ZT_MAX(p->bg_dist, p->bg_spread_k * bg.spread[j]);
        thr[j] = bg.count[j] * 100 >= (int)ms * 8 ? ZT_MIN(t, p->bg_dist_max) : -1;
    }
    for (size_t i = 0; i < n; i++) {
        float v[3];
        lab_at(&wk, i, v);
        int is_bg = 0;
        for (int j = 0; j < bg.k && !is_bg; j++)
            is_bg = thr[j] > 0 && d2(v, bg.c[j]) < thr[j] * thr[j];
        wk.tmp[i] = (uint8_t)is_bg;
    }
    fill_from_border(wk.tmp, w, h, wk.fg, wk.stack); /* fg = reached bg, for now */
    for (size_t i = 0; i < n; i++) wk.fg[i] = !wk.fg[i];
    clean(&wk, p);
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++) cnt += wk.fg[i];
    for (int it = 0; it < p->refine_iters && cnt && cnt < n; it++) refine(&wk, p);
    cnt = 0;
    for (size_t i = 0; i < n; i++) cnt += wk.fg[i];
    if (!cnt) memset(wk.fg, 1, n); /* nothing found: no opinion */
    if (p->grabcut_iters > 0 && w >= 16 && h >= 16 && (rc = grabcut(&wk, wi, p))) goto fail;
    if ((rc = zt_image_new(&m, w, h, 1))) goto fail;
    for (size_t i = 0; i < n; i++) m.px[i] = wk.fg[i] ? 255 : 0;
    if (w != src->w || h != src->h) {
        if ((rc = zt_image_resize(&m, src->w, src->h, &big))) goto fail;
        for (size_t i = 0; i < (size_t)big.w * big.h; i++) big.px[i] = big.px[i] >= 128 ? 255 : 0;
        zt_image_free(&m);
        m = big;
        big = (struct zt_image){0};
    }
    *out = m;
    m = (struct zt_image){0};
    rc = ZT_OK;
fail:
    free(wk.lab);
    free(wk.pts);
    free(wk.fg);
    free(wk.tmp);
    free(wk.tmp2);
    free(wk.stack);
    free(wk.label);
    zt_image_free(&rgb);
    zt_image_free(&small);
    zt_image_free(&m);
    zt_image_free(&big);
    return rc;
}

int zt_mask_usable(const struct zt_image *m) { return usable(m->px, m->w, m->h, 128); }
