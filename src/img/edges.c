/* edges.c: the edge-map pipeline: parameters, letterbox pad detection,
 * method dispatch and the shared post-process (border band, mask gate,
 * thinning, speckle removal, line width) behind zt_edges_from_soft(). */
#include "edges.h"
#include "edges_impl.h"
#include "image.h"
#include "mask.h"
#include "../util/zt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void zt_edge_params_default(struct zt_edge_params *p, enum zt_edge_method method)
{
    *p = (struct zt_edge_params){
        .method = method,
        .sigma = 2.0f,
        .low = 3.0f,
        .high = 8.0f,
        .auto_thresh = 1,
        .auto_k = 3.0f,
        .color = 1,
        .xdog_sigma = 1.2f,
        .xdog_k = 1.6f,
        .xdog_p = 20.0f,
        .xdog_eps = 0.8f,
        .xdog_phi = 10.0f,
        .xdog_flat = 1,
        .suppress_pad = 1,
        .border = 3.0f,
        .min_speckle = 10.0f,
        .thin = 1,
        .line_width = 1.0f,
        .mask_gate = 1,
        .gate_margin = 8.0f,
        .soft_thresh = 0.5f,
    };
}

static const char *const method_names[] = {"canny", "xdog", "dexined", "teed"};

int zt_edge_method_parse(const char *name, enum zt_edge_method *out)
{
    for (size_t i = 0; i < ZT_ARRAY_LEN(method_names); i++)
        if (name && !strcmp(name, method_names[i])) {
            *out = (enum zt_edge_method)i;
            return ZT_OK;
        }
    zt_seterr("unknown edge method '%s' (canny, xdog, dexined, teed)", name ? name : "");
    return ZT_EINVAL;
}

const char *zt_edge_method_name(enum zt_edge_method m)
{
    return (unsigned)m < ZT_ARRAY_LEN(method_names) ? method_names[m] : "?";
}

/* --- shared helpers (edges_impl.h) --- */

float zt__edges_scale(int w, int h) { return (float)ZT_MAX(w, h) / 256.0f; }

/* value of channel ch at p, alpha composited over white */
static inline float chan(const struct zt_image *im, const uint8_t *p, int ch)
{
    float v = p[im->c >= 3 ? ch : 0];
    if (im->c == 4 || im->c == 2) {
        float a = p[im->c - 1] / 255.0f;
        v = v * a + 255.0f * (1.0f - a);
    }
    return v;
}

void zt__edges_gray(const struct zt_image *src, const int r[4], float *dst)
{
    for (int y = 0; y < r[3]; y++) {
        const uint8_t *p = zt_image_at(src, r[0], r[1] + y);
        float *d = dst + (size_t)y * r[2];
        for (int x = 0; x < r[2]; x++, p += src->c) {
            if (src->c == 1) d[x] = p[0];
            else if (src->c == 3) d[x] = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
            else
                d[x] = 0.299f * chan(src, p, 0) + 0.587f * chan(src, p, 1) +
                       0.114f * chan(src, p, 2);
        }
    }
}

void zt_edges_channel(const struct zt_image *src, const int r[4], int ch, float *dst)
{
    for (int y = 0; y < r[3]; y++) {
        const uint8_t *p = zt_image_at(src, r[0], r[1] + y);
        float *d = dst + (size_t)y * r[2];
        if (src->c == 3)
            for (int x = 0; x < r[2]; x++, p += 3) d[x] = p[ch];
        else
            for (int x = 0; x < r[2]; x++, p += src->c) d[x] = chan(src, p, ch);
    }
}

void zt__edges_blur(const float *src, float *dst, int w, int h, float sigma, float *tmp)
{
    if (sigma <= 0.01f) {
        if (dst != src) memmove(dst, src, sizeof(float) * (size_t)w * h);
        return;
    }
    enum { KMAX = 64 };
    int rad = (int)ceilf(3.0f * sigma);
    if (rad > KMAX) rad = KMAX;
    float k[2 * KMAX + 1], sum = 0;
    for (int i = -rad; i <= rad; i++) sum += k[i + rad] = expf(-0.5f * i * i / (sigma * sigma));
    for (int i = 0; i <= 2 * rad; i++) k[i] /= sum;
    /* horizontal: src -> tmp (replicated borders); the interior loops run
     * tap by tap over x so they vectorise */
    for (int y = 0; y < h; y++) {
        const float *s = src + (size_t)y * w;
        float *t = tmp + (size_t)y * w;
        int x0 = ZT_MIN(rad, w), x1 = ZT_MAX(w - rad, x0);
        for (int x = x0; x < x1; x++) t[x] = 0;
        for (int i = 0; i <= 2 * rad; i++) {
            const float *sp = s + i - rad;
            float kk = k[i];
            for (int x = x0; x < x1; x++) t[x] += kk * sp[x];
        }
        for (int x = 0; x < w; x++) {
            if (x == x0) x = x1;
            if (x >= w) break;
            float acc = 0;
            for (int i = -rad; i <= rad; i++) acc += k[i + rad] * s[ZT_CLAMP(x + i, 0, w - 1)];
            t[x] = acc;
        }
    }
    /* vertical: tmp -> dst, row at a time so the inner loop vectorises */
    for (int y = 0; y < h; y++) {
        float *d = dst + (size_t)y * w;
        for (int x = 0; x < w; x++) d[x] = 0;
        for (int i = -rad; i <= rad; i++) {
            const float *t = tmp + (size_t)ZT_CLAMP(y + i, 0, h - 1) * w;
            float kk = k[i + rad];
            for (int x = 0; x < w; x++) d[x] += kk * t[x];
        }
    }
}

/* --- letterbox pad --- */

static inline int near_col(const uint8_t *p, const uint8_t *ref, int c, int tol)
{
    for (int ch = 0; ch < ZT_MIN(c, 3); ch++)
        if (abs((int)p[ch] - (int)ref[ch]) > tol) return 0;
    return 1;
}

/* pixels of the row/column segment that differ from ref by more than tol */
static int count_off(const struct zt_image *im, int x0, int y0, int dx, int dy, int n,
                     const uint8_t *ref, int tol)
{
    int cnt = 0;
    for (int i = 0; i < n; i++)
        cnt += !near_col(zt_image_at(im, x0 + i * dx, y0 + i * dy), ref, im->c, tol);
    return cnt;
}

void zt_edges_find_pad(const struct zt_image *src, int tol, int rect[4])
{
    int w = src->w, h = src->h;
    rect[0] = 0, rect[1] = 0, rect[2] = w, rect[3] = h;
    if (w < 8 || h < 8) return;
    uint8_t ref[4] = {0};
    memcpy(ref, zt_image_at(src, 0, 0), (size_t)ZT_MIN(src->c, 4));
    /* a row is padding when at most 1% of it strays (JPEG ringing) */
    int top = 0, bot = 0, left = 0, right = 0;
    while (top < h && count_off(src, 0, top, 1, 0, w, ref, tol) <= w / 100) top++;
    if (top >= h) return; /* uniform image: nothing to strip */
    while (bot < h - top && count_off(src, 0, h - 1 - bot, 1, 0, w, ref, tol) <= w / 100) bot++;
    int y0 = top, ny = h - top - bot;
    while (left < w && count_off(src, left, y0, 0, 1, ny, ref, tol) <= ny / 100) left++;
    while (right < w - left && count_off(src, w - 1 - right, y0, 0, 1, ny, ref, tol) <= ny / 100)
        right++;
    int nx = w - left - right;
    if (nx < 4 || ny < 4) return;
    /* a letterbox pads two opposite sides; uniform colour on three or four
     * sides is an object on a plain background, which must keep its outline */
    if ((top || bot) && (left || right)) return;
    /* keep a side only where the content beside the strip is mostly not the
     * pad colour: that is where a frame line would appear */
    int in = 2; /* look past a blended row */
#define SIDE_OK(x, y, dx, dy, n) (count_off(src, x, y, dx, dy, n, ref, 2 * tol) * 2 >= (n))
    if (top && !SIDE_OK(0, ZT_MIN(top + in, h - 1), 1, 0, w)) top = 0;
    if (bot && !SIDE_OK(0, ZT_MAX(h - 1 - bot - in, 0), 1, 0, w)) bot = 0;
    if (left && !SIDE_OK(ZT_MIN(left + in, w - 1), y0, 0, 1, ny)) left = 0;
    if (right && !SIDE_OK(ZT_MAX(w - 1 - right - in, 0), y0, 0, 1, ny)) right = 0;
#undef SIDE_OK
    rect[0] = left, rect[1] = top, rect[2] = w - left - right, rect[3] = h - top - bot;
}

/* --- morphology on 0/1 planes (1 = line) --- */

static int64_t remove_small(uint8_t *e, int w, int h, int min_px)
{
    if (min_px <= 1) return 0;
    size_t n = (size_t)w * h;
    int32_t *stack = malloc(n * sizeof *stack);
    int32_t *comp = malloc(n * sizeof *comp);
    uint8_t *seen = calloc(n, 1);
    int64_t removed = -1;
    if (!stack || !comp || !seen) goto done;
    removed = 0;
    for (size_t i0 = 0; i0 < n; i0++) {
        if (!e[i0] || seen[i0]) continue;
        size_t sp = 0, nc = 0;
        stack[sp++] = (int32_t)i0;
        seen[i0] = 1;
        while (sp) {
            int32_t i = stack[--sp];
            comp[nc++] = i;
            int x = i % w, y = i / w;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                    int32_t j = yy * w + xx;
                    if (e[j] && !seen[j]) {
                        seen[j] = 1;
                        stack[sp++] = j;
                    }
                }
        }
        if ((int64_t)nc < min_px) {
            for (size_t k = 0; k < nc; k++) e[comp[k]] = 0;
            removed += (int64_t)nc;
        }
    }
done:
    free(stack);
    free(comp);
    free(seen);
    return removed;
}

/* Zhang & Suen 1984, "A fast parallel algorithm for thinning digital
 * patterns". Returns 0 or -1 on allocation failure. */
/* Zhang-Suen thinning. Each sub-pass decides on the plane as it was when the
 * sub-pass began. Only pixels whose 3x3 neighbourhood changed since they were
 * last tested in that sub-pass can change their answer, so each sub-pass
 * keeps a work list of those: the cost is linear in the pixels removed, not
 * (thickness x area) as with full scans (a solid black 4000 x 4000 drawing
 * took minutes). Same result as scanning every pixel every time. */
static int zs_deletable(const uint8_t *e, int w, int h, int x, int y, int pass)
{
#define P(xx, yy) (((xx) >= 0 && (yy) >= 0 && (xx) < w && (yy) < h) ? e[(size_t)(yy) * w + (xx)] : 0)
    /* p2..p9 clockwise from north */
    int v[8] = {P(x, y - 1), P(x + 1, y - 1), P(x + 1, y),     P(x + 1, y + 1),
                P(x, y + 1), P(x - 1, y + 1), P(x - 1, y),     P(x - 1, y - 1)};
#undef P
    int b = 0, a = 0;
    for (int i = 0; i < 8; i++) {
        b += v[i];
        a += !v[i] && v[(i + 1) & 7];
    }
    if (b < 2 || b > 6 || a != 1) return 0;
    return pass == 0 ? !((v[0] && v[2] && v[4]) || (v[2] && v[4] && v[6]))
                     : !((v[0] && v[2] && v[6]) || (v[0] && v[4] && v[6]));
}

static int thin_zs(uint8_t *e, int w, int h)
{
    size_t n = (size_t)w * h, len[2] = {0, 0};
    int32_t *list[2] = {malloc(n * sizeof(int32_t)), malloc(n * sizeof(int32_t))};
    int32_t *del = malloc(n * sizeof *del);
    uint8_t *queued = malloc(n); /* bit p: on list[p] */
    int rc = -1;
    if (!list[0] || !list[1] || !del || !queued) goto out;
    for (size_t i = 0; i < n; i++) {
        queued[i] = e[i] ? 3 : 0;
        if (e[i]) list[0][len[0]++] = list[1][len[1]++] = (int32_t)i;
    }
    for (int idle = 0, pass = 0; idle < 2; pass ^= 1) {
        size_t nd = 0;
        for (size_t k = 0; k < len[pass]; k++) {
            int32_t i = list[pass][k];
            queued[i] &= (uint8_t)~(1u << pass);
            if (e[i] && zs_deletable(e, w, h, i % w, i / w, pass)) del[nd++] = i;
        }
        len[pass] = 0;
        for (size_t k = 0; k < nd; k++) e[del[k]] = 0;
        for (size_t k = 0; k < nd; k++) { /* their neighbours may change their answer */
            int x = del[k] % w, y = del[k] / w;
            for (int yy = ZT_MAX(y - 1, 0); yy <= ZT_MIN(y + 1, h - 1); yy++)
                for (int xx = ZT_MAX(x - 1, 0); xx <= ZT_MIN(x + 1, w - 1); xx++) {
                    int32_t j = yy * w + xx;
                    if (!e[j]) continue;
                    for (int p = 0; p < 2; p++)
                        if (!(queued[j] & (1u << p))) {
                            queued[j] |= (uint8_t)(1u << p);
                            list[p][len[p]++] = j;
                        }
                }
        }
        idle = nd ? 0 : idle + 1;
    }
    rc = 0;
out:
    free(list[0]);
    free(list[1]);
    free(del);
    free(queued);
    return rc;
}

static int dilate(uint8_t *e, int w, int h, float width)
{
    int iw = (int)lroundf(width);
    if (iw <= 1) return 0;
    size_t n = (size_t)w * h;
    uint8_t *src = malloc(n);
    if (!src) return -1;
    memcpy(src, e, n);
    int lo = -(iw - 1) / 2, hi = lo + iw - 1;
    float m = (lo + hi) / 2.0f, r2 = width * width / 4.0f + 0.25f;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (!src[(size_t)y * w + x]) continue;
            for (int dy = lo; dy <= hi; dy++)
                for (int dx = lo; dx <= hi; dx++) {
                    if ((dx - m) * (dx - m) + (dy - m) * (dy - m) > r2) continue;
                    int xx = x + dx, yy = y + dy;
                    if (xx >= 0 && yy >= 0 && xx < w && yy < h) e[(size_t)yy * w + xx] = 1;
                }
        }
    free(src);
    return 0;
}

/* square dilation of a 0/1 plane by radius r, separable; 0 or -1 (OOM) */
static int box_max(uint8_t *e, int w, int h, int r)
{
    if (r <= 0) return 0;
    uint8_t *t = malloc((size_t)w * h);
    if (!t) return -1;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = e + (size_t)y * w;
        int last = -1 - r; /* last set pixel at or left of x + r */
        for (int x = 0; x < w + r; x++) {
            if (x < w && row[x]) last = x;
            int c = x - r; /* output column whose window [c-r, c+r] ends at x */
            if (c >= 0) t[(size_t)y * w + c] = last >= c - r;
        }
    }
    for (int x = 0; x < w; x++) {
        int last = -1 - r;
        for (int y = 0; y < h + r; y++) {
            if (y < h && t[(size_t)y * w + x]) last = y;
            int c = y - r;
            if (c >= 0 && c < h) e[(size_t)c * w + x] = last >= c - r;
        }
    }
    free(t);
    return 0;
}

/* 0/255 drawing <-> 0/1 line plane */
static uint8_t *plane_from_drawing(const struct zt_image *d)
{
    size_t n = (size_t)d->w * d->h;
    uint8_t *e = malloc(n);
    if (!e) return NULL;
    for (size_t i = 0; i < n; i++) e[i] = d->px[i * d->c] < 128;
    return e;
}

static void plane_to_drawing(const uint8_t *e, struct zt_image *d)
{
    size_t n = (size_t)d->w * d->h;
    for (size_t i = 0; i < n; i++) d->px[i] = e[i] ? 0 : 255;
}

int64_t zt_edges_remove_speckles(struct zt_image *drawing, int min_px)
{
    if (drawing->c != 1) return 0;
    uint8_t *e = plane_from_drawing(drawing);
    if (!e) return 0;
    int64_t r = remove_small(e, drawing->w, drawing->h, min_px);
    plane_to_drawing(e, drawing);
    free(e);
    return r < 0 ? 0 : r;
}

int zt_edges_thin(struct zt_image *drawing)
{
    if (drawing->c != 1) {
        zt_seterr("thinning needs a 1-channel drawing, got %d channels", drawing->c);
        return ZT_EINVAL;
    }
    uint8_t *e = plane_from_drawing(drawing);
    if (!e || thin_zs(e, drawing->w, drawing->h)) {
        free(e);
        zt_seterr("out of memory thinning a %dx%d drawing", drawing->w, drawing->h);
        return ZT_ENOMEM;
    }
    plane_to_drawing(e, drawing);
    free(e);
    return ZT_OK;
}

int zt_edges_dilate(struct zt_image *drawing, float width)
{
    if (drawing->c != 1) {
        zt_seterr("dilation needs a 1-channel drawing, got %d channels", drawing->c);
        return ZT_EINVAL;
    }
    uint8_t *e = plane_from_drawing(drawing);
    if (!e || dilate(e, drawing->w, drawing->h, width)) {
        free(e);
        zt_seterr("out of memory thickening a %dx%d drawing", drawing->w, drawing->h);
        return ZT_ENOMEM;
    }
    plane_to_drawing(e, drawing);
    free(e);
    return ZT_OK;
}

/* --- the shared post-process --- */

static int check_params(const struct zt_edge_params *p)
{
    if (!(p->sigma >= 0 && p->sigma <= 20) || !(p->low >= 0 && p->high >= p->low) ||
        !(p->auto_k >= 0) || !(p->xdog_sigma > 0 && p->xdog_sigma <= 20) ||
        !(p->xdog_k > 1 && p->xdog_k <= 10) || !(p->xdog_phi > 0) || !(p->border >= 0) || !(p->gate_margin >= 0 && p->gate_margin <= 64) ||
        !(p->min_speckle >= 0) || !(p->line_width >= 0 && p->line_width <= 64) ||
        !(p->soft_thresh > 0 && p->soft_thresh < 1)) {
        zt_seterr("edge parameters out of range");
        return ZT_EINVAL;
    }
    return ZT_OK;
}

/* e: w*h 0/1 plane, modified. gate: optional 0/1 plane (1 = keep). */
static int post_process(uint8_t *e, int w, int h, const struct zt_edge_params *p,
                        const int *rect, const uint8_t *gate, struct zt_image *out)
{
    float s = zt__edges_scale(w, h);
    int full[4] = {0, 0, w, h};
    const int *r = rect ? rect : full;
    int b = (int)lroundf(p->border * s);
    /* nothing outside the content rect; a band of b pixels along the image
     * border and along the pad boundary (both are the rect's edges) */
    int x0 = r[0] + b, y0 = r[1] + b, x1 = r[0] + r[2] - b, y1 = r[1] + r[3] - b;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (x < x0 || x >= x1 || y < y0 || y >= y1) e[(size_t)y * w + x] = 0;
    if (gate)
        for (size_t i = 0; i < (size_t)w * h; i++) e[i] &= gate[i];
    if (p->thin && thin_zs(e, w, h)) goto oom;
    if (remove_small(e, w, h, (int)lroundf(p->min_speckle * s)) < 0) goto oom;
    if (dilate(e, w, h, p->line_width * s)) goto oom;
    struct zt_image im;
    int rc = zt_image_new(&im, w, h, 1);
    if (rc) return rc;
    plane_to_drawing(e, &im);
    *out = im;
    return ZT_OK;
oom:
    zt_seterr("out of memory post-processing a %dx%d edge map", w, h);
    return ZT_ENOMEM;
}

int zt_edges_from_soft(const float *soft, int w, int h, const struct zt_edge_params *p,
                       const int *pad_rect, struct zt_image *out)
{
    struct zt_edge_params def;
    if (!p) zt_edge_params_default(&def, ZT_EDGE_CANNY), p = &def;
    if (w <= 0 || h <= 0 || (int64_t)w * h > ((int64_t)1 << 31)) {
        zt_seterr("bad soft edge map size %dx%d", w, h);
        return ZT_EINVAL;
    }
    int rc = check_params(p);
    if (rc) return rc;
    if (pad_rect && (pad_rect[0] < 0 || pad_rect[1] < 0 || pad_rect[2] < 0 || pad_rect[3] < 0 ||
                     pad_rect[0] + pad_rect[2] > w || pad_rect[1] + pad_rect[3] > h)) {
        zt_seterr("pad rectangle outside the %dx%d map", w, h);
        return ZT_EINVAL;
    }
    size_t n = (size_t)w * h;
    uint8_t *e = malloc(n);
    if (!e) {
        zt_seterr("out of memory for a %dx%d edge map", w, h);
        return ZT_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) e[i] = soft[i] >= p->soft_thresh; /* NaN -> 0 */
    rc = post_process(e, w, h, p, pad_rect, NULL, out);
    free(e);
    return rc;
}

int zt_edges_detect(const struct zt_image *src, const struct zt_edge_params *p,
                    struct zt_image *out)
{
    struct zt_edge_params def;
    if (!p) zt_edge_params_default(&def, ZT_EDGE_CANNY), p = &def;
    if (!src || !src->px || src->w <= 0 || src->h <= 0 || src->c < 1 || src->c > 4) {
        zt_seterr("edges: bad input image");
        return ZT_EINVAL;
    }
    int rc = check_params(p);
    if (rc) return rc;
    int neural = p->method == ZT_EDGE_DEXINED || p->method == ZT_EDGE_TEED;
    if (!neural && p->method != ZT_EDGE_CANNY && p->method != ZT_EDGE_XDOG) {
        zt_seterr("unknown edge method %d", (int)p->method);
        return ZT_EINVAL;
    }
    if (neural && (!p->net || p->net->method != p->method)) {
        zt_seterr("edge method '%s' needs its loaded weights (nn/edges_net.h)",
                  zt_edge_method_name(p->method));
        return ZT_EINVAL;
    }
    int w = src->w, h = src->h;
    float s = zt__edges_scale(w, h);
    int r[4] = {0, 0, w, h};
    if (p->suppress_pad) zt_edges_find_pad(src, 8, r);
    size_t n = (size_t)w * h, nr = (size_t)r[2] * r[3];
    float *soft = malloc(nr * sizeof *soft);
    uint8_t *e = calloc(n, 1), *gate = NULL;
    struct zt_image mask = {0};
    rc = ZT_ENOMEM;
    if (!soft || !e) {
        zt_seterr("out of memory for a %dx%d edge map", w, h);
        goto fail;
    }
    rc = p->method == ZT_EDGE_CANNY  ? zt__edges_canny(src, r, p, s, soft)
         : p->method == ZT_EDGE_XDOG ? zt__edges_xdog(src, r, p, s, soft)
                                     : p->net->soft(p->net, src, r, soft);
    if (rc) goto fail;
    for (int y = 0; y < r[3]; y++)
        for (int x = 0; x < r[2]; x++)
            e[(size_t)(y + r[1]) * w + x + r[0]] = soft[(size_t)y * r[2] + x] >= p->soft_thresh;
    if (p->mask_gate) {
        struct zt_mask_params mp;
        zt_mask_params_default(&mp);
        rc = zt_mask_garment(src, &mp, &mask);
        if (rc) goto fail;
        rc = ZT_ENOMEM;
        size_t on = 0;
        for (size_t i = 0; i < n; i++) on += mask.px[i] >= 128;
        /* a mask under 5% or over 90% of the content is a failed guess
         * (garment colour taken for background, or no background): no gate */
        double frac = (double)on / ((double)r[2] * r[3]);
        if (frac >= 0.05 && frac <= 0.90) {
            gate = malloc(n);
            if (!gate) goto fail;
            for (size_t i = 0; i < n; i++) gate[i] = mask.px[i] >= 128;
            /* keep the outline, which sits on the mask boundary */
            if (box_max(gate, w, h, (int)lroundf(p->gate_margin * s))) goto fail;
        }
    }
    rc = post_process(e, w, h, p, r, gate, out);
fail:
    free(soft);
    free(e);
    free(gate);
    zt_image_free(&mask);
    return rc;
}
