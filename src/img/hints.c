/* hints.c: the colour-hint simulator: a random (or fixed) number of square
 * patches and short strokes, mostly on the garment, each filled with the
 * photo's mean colour there; seeded xoshiro256** (util/rng.h) for reproducibility. */
#include "hints.h"
#include "image.h"
#include "../util/rng.h"
#include "../util/zt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void zt_hint_params_default(struct zt_hint_params *p)
{
    *p = (struct zt_hint_params){
        .fixed_count = 0,
        .p_none = 0.1,
        .p_geom = 0.125,
        .max_hints = 64,
        .on_mask = 0.9,
        .size_min = 1,
        .size_max = 5,
        .stroke_prob = 0.25,
        .stroke_min = 3,
        .stroke_max = 8,
        .stroke_width_max = 2,
    };
}

/* --- simulator --- */

static int check(const struct zt_hint_params *p)
{
    if (p->fixed_count < 0 || p->fixed_count > 100000 || !(p->p_none >= 0 && p->p_none <= 1) ||
        !(p->p_geom > 0 && p->p_geom <= 1) || p->max_hints < 0 || p->max_hints > 100000 ||
        !(p->on_mask >= 0 && p->on_mask <= 1) || p->size_min < 1 || p->size_max < p->size_min ||
        !(p->stroke_prob >= 0 && p->stroke_prob <= 1) || p->stroke_min < 1 ||
        p->stroke_max < p->stroke_min || p->stroke_width_max < 1) {
        zt_seterr("hint parameters out of range");
        return ZT_EINVAL;
    }
    return ZT_OK;
}

/* number of hints: 0 with p_none, else Geometric(p_geom) on 1.., capped */
static int draw_count(struct zt_rng *r, const struct zt_hint_params *p)
{
    if (p->fixed_count > 0) return p->fixed_count;
    if (zt_rng_double(r) < p->p_none) return 0;
    if (p->p_geom >= 1) return ZT_MIN(1, p->max_hints);
    double u = 1.0 - zt_rng_double(r); /* (0, 1] */
    double k = 1.0 + floor(log(u) / log(1.0 - p->p_geom));
    return k > p->max_hints ? p->max_hints : (int)k;
}

struct canvas {
    int w, h;
    int32_t *stamp; /* id of the last hint that claimed each pixel */
    int32_t *pix;   /* pixels of the current hint */
    size_t npix;
};

static void claim(struct canvas *cv, int x, int y, int32_t id)
{
    if (x < 0 || y < 0 || x >= cv->w || y >= cv->h) return;
    size_t i = (size_t)y * cv->w + x;
    if (cv->stamp[i] == id) return;
    cv->stamp[i] = id;
    cv->pix[cv->npix++] = (int32_t)i;
}

static void claim_square(struct canvas *cv, double cx, double cy, int side, int32_t id)
{
    int x0 = (int)floor(cx - (side - 1) / 2.0 + 0.5), y0 = (int)floor(cy - (side - 1) / 2.0 + 0.5);
    for (int y = y0; y < y0 + side; y++)
        for (int x = x0; x < x0 + side; x++) claim(cv, x, y, id);
}

int zt_hints_simulate(const struct zt_image *photo, const struct zt_image *mask,
                      const struct zt_hint_params *p, uint64_t seed,
                      struct zt_image *hint_rgb, struct zt_image *hint_mask, int *count)
{
    struct zt_hint_params def;
    if (!p) zt_hint_params_default(&def), p = &def;
    if (!photo || !photo->px || photo->w <= 0 || photo->h <= 0) {
        zt_seterr("hints: bad photo");
        return ZT_EINVAL;
    }
    if (mask && (mask->w != photo->w || mask->h != photo->h || mask->c != 1)) {
        zt_seterr("hints: mask is %dx%dx%d, photo %dx%d", mask->w, mask->h, mask->c, photo->w,
                  photo->h);
        return ZT_EINVAL;
    }
    int rc = check(p);
    if (rc) return rc;
    int w = photo->w, h = photo->h;
    size_t n = (size_t)w * h;
    struct zt_image rgb = {0}, hr = {0}, hm = {0};
    struct canvas cv = {w, h, NULL, NULL, 0};
    int32_t *onmask = NULL;
    size_t non = 0;
    if ((rc = zt_image_convert(photo, 3, &rgb)) || (rc = zt_image_new(&hr, w, h, 3)) ||
        (rc = zt_image_new(&hm, w, h, 1)))
        goto fail;
    rc = ZT_ENOMEM;
    cv.stamp = malloc(n * sizeof *cv.stamp);
    cv.pix = malloc(n * sizeof *cv.pix);
    if (!cv.stamp || !cv.pix) goto oom;
    for (size_t i = 0; i < n; i++) cv.stamp[i] = -1;
    if (mask) {
        for (size_t i = 0; i < n; i++) non += mask->px[i] >= 128;
        if (non) {
            onmask = malloc(non * sizeof *onmask);
            if (!onmask) goto oom;
            non = 0;
            for (size_t i = 0; i < n; i++)
                if (mask->px[i] >= 128) onmask[non++] = (int32_t)i;
        }
    }
    struct zt_rng r;
    zt_rng_seed(&r, seed);
    double s = ZT_MAX(w, h) / 128.0;
    int nh = draw_count(&r, p);
    for (int k = 0; k < nh; k++) {
        /* centre: a garment pixel, or anywhere */
        double cx, cy;
        if (non && zt_rng_double(&r) < p->on_mask) {
            int32_t i = onmask[(size_t)(zt_rng_double(&r) * non)];
            cx = i % w, cy = i / w;
        } else {
            cx = zt_rng_int(&r, 0, w - 1), cy = zt_rng_int(&r, 0, h - 1);
        }
        cv.npix = 0;
        if (zt_rng_double(&r) < p->stroke_prob) {
            double len = zt_rng_int(&r, p->stroke_min, p->stroke_max) * s;
            double ang = zt_rng_double(&r) * 2.0 * M_PI;
            int wid = (int)lround(zt_rng_int(&r, 1, p->stroke_width_max) * s); /* one draw */
            wid = ZT_MAX(wid, 1);
            double dx = cos(ang), dy = sin(ang);
            for (double t = 0; t <= len; t += 0.5)
                claim_square(&cv, cx + t * dx, cy + t * dy, wid, k);
        } else {
            int side = (int)lround(zt_rng_int(&r, p->size_min, p->size_max) * s);
            side = ZT_MAX(side, 1);
            claim_square(&cv, cx, cy, side, k);
        }
        if (!cv.npix) continue;
        double sum[3] = {0};
        for (size_t j = 0; j < cv.npix; j++)
            for (int c = 0; c < 3; c++) sum[c] += rgb.px[3 * (size_t)cv.pix[j] + c];
        uint8_t col[3];
        for (int c = 0; c < 3; c++) col[c] = (uint8_t)lround(sum[c] / cv.npix);
        for (size_t j = 0; j < cv.npix; j++) {
            memcpy(hr.px + 3 * (size_t)cv.pix[j], col, 3);
            hm.px[cv.pix[j]] = 255;
        }
    }
    *hint_rgb = hr;
    *hint_mask = hm;
    hr = hm = (struct zt_image){0};
    if (count) *count = nh;
    rc = ZT_OK;
    goto fail;
oom:
    zt_seterr("out of memory simulating hints on %dx%d", w, h);
fail:
    free(cv.stamp);
    free(cv.pix);
    free(onmask);
    zt_image_free(&rgb);
    zt_image_free(&hr);
    zt_image_free(&hm);
    return rc;
}
