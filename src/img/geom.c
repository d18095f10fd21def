/* geom.c: geometry of 8-bit images: separable antialiased resize (triangle
 * filter widened by the scale when shrinking, as PIL's BILINEAR resize),
 * letterbox, crop, flip, paste and EXIF orientation. */
#include "image.h"
#include "../util/zt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* --- resize --- */

/* Filter taps of one axis: output i reads in[start[i] .. start[i]+n[i]) with
 * weights w[i*ksize ..], which sum to 1. */
struct taps {
    int ksize;
    int *start, *n;
    float *w;
};

static void taps_free(struct taps *t)
{
    free(t->start);
    free(t->n);
    free(t->w);
}

static int taps_init(struct taps *t, int in, int out)
{
    double scale = (double)in / out;
    double fscale = scale > 1.0 ? scale : 1.0;
    double support = 1.0 * fscale; /* triangle filter has support 1 */
    t->ksize = (int)ceil(support) * 2 + 1;
    t->start = malloc(sizeof(int) * (size_t)out);
    t->n = malloc(sizeof(int) * (size_t)out);
    t->w = malloc(sizeof(float) * (size_t)out * (size_t)t->ksize);
    if (!t->start || !t->n || !t->w) {
        taps_free(t);
        zt_seterr("resize: out of memory");
        return ZT_ENOMEM;
    }
    for (int i = 0; i < out; i++) {
        double center = (i + 0.5) * scale;
        int lo = (int)(center - support + 0.5), hi = (int)(center + support + 0.5);
        if (lo < 0) lo = 0;
        if (hi > in) hi = in;
        if (hi - lo > t->ksize) hi = lo + t->ksize;
        float *w = t->w + (size_t)i * t->ksize;
        double sum = 0;
        for (int k = 0; k < hi - lo; k++) {
            double x = fabs((k + lo - center + 0.5) / fscale);
            w[k] = (float)(x < 1.0 ? 1.0 - x : 0.0);
            sum += w[k];
        }
        if (sum > 0)
            for (int k = 0; k < hi - lo; k++) w[k] = (float)(w[k] / sum);
        if (hi <= lo || sum <= 0) { /* cannot happen for in, out >= 1; stay safe */
            lo = ZT_CLAMP((int)center, 0, in - 1);
            hi = lo + 1;
            w[0] = 1.0f;
        }
        t->start[i] = lo;
        t->n[i] = hi - lo;
    }
    return ZT_OK;
}

/* One row of the horizontal pass: in (src w, C) -> o (w, C). */
static inline __attribute__((always_inline)) void hrow(const uint8_t *in, float *o,
                                                       const struct taps *t, int w, const int C)
{
    for (int x = 0; x < w; x++, o += C) {
        const float *wk = t->w + (size_t)x * t->ksize;
        const uint8_t *p = in + (size_t)t->start[x] * C;
        float s[4] = {0, 0, 0, 0};
        for (int k = 0; k < t->n[x]; k++, p += C)
            for (int ch = 0; ch < C; ch++) s[ch] += wk[k] * p[ch];
        for (int ch = 0; ch < C; ch++) o[ch] = s[ch];
    }
}

static inline uint8_t to_u8(float v)
{
    return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)(v + 0.5f);
}

int zt_image_resize(const struct zt_image *src, int w, int h, struct zt_image *out)
{
    if (w <= 0 || h <= 0) {
        zt_seterr("resize: bad target size %dx%d", w, h);
        return ZT_EINVAL;
    }
    if (w == src->w && h == src->h) return zt_image_clone(src, out);
    int c = src->c, rc;
    struct taps tx = {0}, ty = {0};
    float *tmp = NULL, *acc = NULL;
    struct zt_image dst = {0};
    if ((rc = taps_init(&tx, src->w, w)) || (rc = taps_init(&ty, src->h, h))) goto fail;
    if ((rc = zt_image_new(&dst, w, h, c))) goto fail;
    size_t rowlen = (size_t)w * c;
    tmp = malloc(sizeof(float) * rowlen * (size_t)src->h); /* (src->h, w, c) */
    acc = malloc(sizeof(float) * rowlen);
    if (!tmp || !acc) {
        zt_seterr("resize: out of memory");
        rc = ZT_ENOMEM;
        goto fail;
    }
    /* horizontal pass: (src->h, src->w, c) -> tmp (src->h, w, c) */
    for (int y = 0; y < src->h; y++) {
        const uint8_t *in = zt_image_at(src, 0, y);
        float *o = tmp + (size_t)y * rowlen;
        switch (c) { /* constant channel counts let the compiler unroll */
        case 1: hrow(in, o, &tx, w, 1); break;
        case 3: hrow(in, o, &tx, w, 3); break;
        default: hrow(in, o, &tx, w, 4); break;
        }
    }
    /* vertical pass: tmp -> dst (h, w, c), one accumulated row at a time */
    for (int y = 0; y < h; y++) {
        const float *wk = ty.w + (size_t)y * ty.ksize;
        memset(acc, 0, sizeof(float) * rowlen);
        for (int k = 0; k < ty.n[y]; k++) {
            const float *row = tmp + (size_t)(ty.start[y] + k) * rowlen;
            float wt = wk[k];
            for (size_t i = 0; i < rowlen; i++) acc[i] += wt * row[i];
        }
        uint8_t *o = zt_image_at(&dst, 0, y);
        for (size_t i = 0; i < rowlen; i++) o[i] = to_u8(acc[i]);
    }
    *out = dst;
    dst.px = NULL;
fail:
    zt_image_free(&dst);
    taps_free(&tx);
    taps_free(&ty);
    free(tmp);
    free(acc);
    return rc;
}

/* --- letterbox, crop, flip, paste --- */

int zt_image_letterbox(const struct zt_image *src, int size, const uint8_t *bg,
                       struct zt_image *out, int *sx, int *sy, int *sw, int *sh)
{
    if (size <= 0) {
        zt_seterr("letterbox: bad size %d", size);
        return ZT_EINVAL;
    }
    int longer = ZT_MAX(src->w, src->h);
    int nw = (int)((int64_t)src->w * size * 2 + longer) / (2 * longer); /* rounded */
    int nh = (int)((int64_t)src->h * size * 2 + longer) / (2 * longer);
    nw = ZT_CLAMP(nw, 1, size);
    nh = ZT_CLAMP(nh, 1, size);
    struct zt_image scaled = {0}, dst = {0};
    int rc = zt_image_resize(src, nw, nh, &scaled);
    if (rc) return rc;
    if ((rc = zt_image_new(&dst, size, size, src->c))) goto fail;
    if (bg) zt_image_fill(&dst, bg);
    int x0 = (size - nw) / 2, y0 = (size - nh) / 2;
    zt_image_paste(&dst, &scaled, x0, y0);
    if (sx) *sx = x0;
    if (sy) *sy = y0;
    if (sw) *sw = nw;
    if (sh) *sh = nh;
    *out = dst;
fail:
    zt_image_free(&scaled);
    return rc;
}

int zt_image_crop(const struct zt_image *src, int x, int y, int w, int h, struct zt_image *out)
{
    if (x < 0 || y < 0 || w <= 0 || h <= 0 || x > src->w - w || y > src->h - h) {
        zt_seterr("crop: rect %dx%d+%d+%d outside the %dx%d image", w, h, x, y, src->w, src->h);
        return ZT_EINVAL;
    }
    int rc = zt_image_new(out, w, h, src->c);
    if (rc) return rc;
    for (int r = 0; r < h; r++)
        memcpy(zt_image_at(out, 0, r), zt_image_at(src, x, y + r), (size_t)w * src->c);
    return ZT_OK;
}

void zt_image_flip_h(struct zt_image *im)
{
    int c = im->c;
    for (int y = 0; y < im->h; y++) {
        uint8_t *l = zt_image_at(im, 0, y), *r = zt_image_at(im, im->w - 1, y);
        for (; l < r; l += c, r -= c)
            for (int ch = 0; ch < c; ch++) {
                uint8_t t = l[ch];
                l[ch] = r[ch];
                r[ch] = t;
            }
    }
}

void zt_image_paste(struct zt_image *dst, const struct zt_image *src, int x, int y)
{
    ZT_ASSERT(dst->c == src->c);
    int x0 = ZT_MAX(x, 0), y0 = ZT_MAX(y, 0);
    int x1 = (int)ZT_MIN((int64_t)x + src->w, dst->w), y1 = (int)ZT_MIN((int64_t)y + src->h, dst->h);
    if (x1 <= x0 || y1 <= y0) return;
    for (int r = y0; r < y1; r++)
        memcpy(zt_image_at(dst, x0, r), zt_image_at(src, x0 - x, r - y),
               (size_t)(x1 - x0) * dst->c);
}

/* --- EXIF orientation --- */

int zt_image_orient(const struct zt_image *src, int orientation, struct zt_image *out)
{
    if (orientation < 1 || orientation > 8) {
        zt_seterr("bad EXIF orientation %d", orientation);
        return ZT_EINVAL;
    }
    int swap = orientation >= 5;
    int W = swap ? src->h : src->w, H = swap ? src->w : src->h, c = src->c;
    struct zt_image dst;
    int rc = zt_image_new(&dst, W, H, c);
    if (rc) return rc;
    for (int y = 0; y < H; y++) {
        uint8_t *o = zt_image_at(&dst, 0, y);
        for (int x = 0; x < W; x++, o += c) {
            int sx, sy; /* source pixel of output (x, y) */
            switch (orientation) {
            case 1: sx = x, sy = y; break;
            case 2: sx = W - 1 - x, sy = y; break;
            case 3: sx = W - 1 - x, sy = H - 1 - y; break;
            case 4: sx = x, sy = H - 1 - y; break;
            case 5: sx = y, sy = x; break;
            case 6: sx = y, sy = W - 1 - x; break;
            case 7: sx = H - 1 - y, sy = W - 1 - x; break;
            default: sx = H - 1 - y, sy = x; break;
            }
            memcpy(o, zt_image_at(src, sx, sy), (size_t)c);
        }
    }
    *out = dst;
    return ZT_OK;
}
