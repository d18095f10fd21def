/* features.c: search descriptors (shape, colour, appearance), dominant
 * colours and colour names. See features.h for the vector layout. */
#include "features.h"
#include "../data/drawing.h"
#include "../img/image.h"
#include "../util/zt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const signal_names[ZT_SIG_COUNT] = {"shape", "colour", "appearance",
                                                       "embedding"};

const char *zt_signal_name(int sig)
{
    return sig >= 0 && sig < ZT_SIG_COUNT ? signal_names[sig] : "?";
}

void zt_signal_span(int sig, int *off, int *dim)
{
    static const int offs[] = {ZT_FEAT_SHAPE_OFF, ZT_FEAT_COLOR_OFF, ZT_FEAT_APP_OFF,
                               ZT_FEAT_EMB_OFF};
    static const int dims[] = {ZT_FEAT_SHAPE_DIM, ZT_FEAT_COLOR_DIM, ZT_FEAT_APP_DIM,
                               ZT_FEAT_EMB_DIM};
    *off = offs[sig];
    *dim = dims[sig];
}

/* --- small numeric helpers --- */

static void l2_normalize(float *v, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)v[i] * v[i];
    if (s <= 1e-20) {
        memset(v, 0, sizeof(float) * (size_t)n);
        return;
    }
    float inv = (float)(1.0 / sqrt(s));
    for (int i = 0; i < n; i++) v[i] *= inv;
}

static void scale(float *v, int n, float k)
{
    for (int i = 0; i < n; i++) v[i] *= k;
}

/* Separable Gaussian blur of an s x s map into out (tmp: s*s scratch). */
static void blur(const float *in, int s, float sigma, float *tmp, float *out)
{
    float k[16];
    int r = (int)ceilf(3 * sigma);
    if (r > 7) r = 7;
    float sum = 0;
    for (int i = -r; i <= r; i++) sum += k[i + r] = expf(-(float)(i * i) / (2 * sigma * sigma));
    for (int i = 0; i <= 2 * r; i++) k[i] /= sum;
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++) {
            float a = 0;
            for (int i = -r; i <= r; i++) {
                int xx = ZT_CLAMP(x + i, 0, s - 1);
                a += k[i + r] * in[y * s + xx];
            }
            tmp[y * s + x] = a;
        }
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++) {
            float a = 0;
            for (int i = -r; i <= r; i++) {
                int yy = ZT_CLAMP(y + i, 0, s - 1);
                a += k[i + r] * tmp[yy * s + x];
            }
            out[y * s + x] = a;
        }
}

/* Orientation histograms (unsigned, nb bins, soft in angle) of the gradient
 * of map (s x s) on a cells x cells grid; out has cells*cells*nb floats. */
static void orient_hist(const float *map, int s, int cells, int nb, float *out)
{
    memset(out, 0, sizeof(float) * (size_t)cells * cells * nb);
    for (int y = 1; y < s - 1; y++)
        for (int x = 1; x < s - 1; x++) {
            float gx = map[y * s + x + 1] - map[y * s + x - 1];
            float gy = map[(y + 1) * s + x] - map[(y - 1) * s + x];
            float m = sqrtf(gx * gx + gy * gy);
            if (m < 1e-6f) continue;
            float a = atan2f(gy, gx);
            if (a < 0) a += (float)M_PI;
            float fb = a / (float)M_PI * nb - 0.5f;
            int b0 = (int)floorf(fb);
            float t = fb - b0;
            int b1 = b0 + 1;
            b0 = (b0 + nb) % nb;
            b1 = b1 % nb;
            int cy = y * cells / s, cx = x * cells / s;
            float *h = out + ((size_t)cy * cells + cx) * nb;
            h[b0] += m * (1 - t);
            h[b1] += m * t;
        }
}

/* --- shape --- */

void zt_feat_shape(const float *ink, int s, float *out)
{
    size_t n = (size_t)s * s;
    float *tmp = malloc(n * sizeof(float) * 2);
    if (!tmp) { /* degrade to an empty descriptor rather than fail */
        memset(out, 0, sizeof(float) * ZT_FEAT_SHAPE_DIM);
        return;
    }
    float *bl = tmp + n;
    blur(ink, s, 1.5f * s / 128, tmp, bl);
    float *fine = out, *coarse = out + 8 * 8 * 8;
    orient_hist(bl, s, 8, 8, fine);
    orient_hist(bl, s, 4, 8, coarse);
    for (int i = 0; i < ZT_FEAT_SHAPE_DIM; i++) out[i] = sqrtf(out[i]);
    l2_normalize(fine, 8 * 8 * 8);
    l2_normalize(coarse, 4 * 4 * 8);
    scale(out, ZT_FEAT_SHAPE_DIM, (float)M_SQRT1_2);
    free(tmp);
}

/* --- colour --- */

/* Soft bin position of v on nb bins over [lo, hi]. */
static void soft_bin(float v, float lo, float hi, int nb, int *b0, float *t)
{
    float f = (v - lo) / (hi - lo) * nb - 0.5f;
    if (f < 0) f = 0;
    if (f > nb - 1) f = (float)(nb - 1);
    *b0 = (int)floorf(f);
    if (*b0 >= nb - 1) *b0 = nb - 2;
    *t = f - *b0;
}

int zt_feat_color(const float (*lab)[3], const float *w, int64_t n, float *out)
{
    enum { NL = 4, NA = 6, NB = 6 };
    memset(out, 0, sizeof(float) * ZT_FEAT_COLOR_DIM);
    double total = 0;
    for (int64_t i = 0; i < n; i++) {
        float wt = w ? w[i] : 1.0f;
        if (wt <= 0) continue;
        int l0, a0, b0;
        float tl, ta, tb;
        soft_bin(lab[i][0], 0, 100, NL, &l0, &tl);
        soft_bin(lab[i][1], -60, 60, NA, &a0, &ta);
        soft_bin(lab[i][2], -60, 60, NB, &b0, &tb);
        for (int dl = 0; dl < 2; dl++)
            for (int da = 0; da < 2; da++)
                for (int db = 0; db < 2; db++) {
                    float c = wt * (dl ? tl : 1 - tl) * (da ? ta : 1 - ta) * (db ? tb : 1 - tb);
                    out[((l0 + dl) * NA + (a0 + da)) * NB + (b0 + db)] += c;
                }
        total += wt;
    }
    if (total <= 0) return 0;
    for (int i = 0; i < ZT_FEAT_COLOR_DIM; i++) out[i] = sqrtf(out[i] / (float)total);
    l2_normalize(out, ZT_FEAT_COLOR_DIM);
    return 1;
}

/* --- appearance --- */

void zt_feat_appearance(const struct zt_image *rgb, float *out)
{
    int s = rgb->w, h = rgb->h;
    memset(out, 0, sizeof(float) * ZT_FEAT_APP_DIM);
    float *lum = malloc(sizeof(float) * (size_t)s * h);
    if (!lum || s != h) {
        free(lum);
        return;
    }
    float *cellv = out, *hog = out + 8 * 8 * 3;
    int cnt[64] = {0};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < s; x++) {
            const uint8_t *p = zt_image_at(rgb, x, y);
            float lab[3];
            zt_rgb_to_lab(p, lab);
            lum[y * s + x] = lab[0] / 100.0f;
            int c = (y * 8 / h) * 8 + x * 8 / s;
            cellv[c * 3 + 0] += (lab[0] - 50) / 50;
            cellv[c * 3 + 1] += lab[1] / 50;
            cellv[c * 3 + 2] += lab[2] / 50;
            cnt[c]++;
        }
    for (int c = 0; c < 64; c++)
        for (int k = 0; k < 3; k++) cellv[c * 3 + k] /= cnt[c] ? cnt[c] : 1;
    orient_hist(lum, s, 4, 8, hog);
    for (int i = 0; i < 128; i++) hog[i] = sqrtf(hog[i]);
    l2_normalize(cellv, 8 * 8 * 3);
    l2_normalize(hog, 128);
    scale(out, ZT_FEAT_APP_DIM, (float)M_SQRT1_2);
    free(lum);
}

/* --- dominant colours --- */

void zt_feat_dominant(const float (*lab)[3], int64_t n, struct zt_dom_color *out)
{
    enum { K = ZT_FEAT_NDOM, ITERS = 10, MAXS = 4096 };
    memset(out, 0, sizeof(*out) * K);
    if (n <= 0) return;
    int64_t step = n > MAXS ? n / MAXS : 1;
    float c[K][3];
    int k = 0;
    /* farthest-point start from the first sample: deterministic */
    memcpy(c[k++], lab[0], sizeof c[0]);
    while (k < K) {
        float best = -1;
        int64_t bi = 0;
        for (int64_t i = 0; i < n; i += step) {
            float dmin = 1e30f;
            for (int j = 0; j < k; j++) {
                float d = 0;
                for (int q = 0; q < 3; q++) d += (lab[i][q] - c[j][q]) * (lab[i][q] - c[j][q]);
                dmin = fminf(dmin, d);
            }
            if (dmin > best) best = dmin, bi = i;
        }
        if (best < 25) break; /* fewer distinct colours than K */
        memcpy(c[k++], lab[bi], sizeof c[0]);
    }
    double sum[K][3], cnt[K];
    for (int it = 0; it < ITERS; it++) {
        memset(sum, 0, sizeof sum);
        memset(cnt, 0, sizeof cnt);
        for (int64_t i = 0; i < n; i += step) {
            int bj = 0;
            float bd = 1e30f;
            for (int j = 0; j < k; j++) {
                float d = 0;
                for (int q = 0; q < 3; q++) d += (lab[i][q] - c[j][q]) * (lab[i][q] - c[j][q]);
                if (d < bd) bd = d, bj = j;
            }
            for (int q = 0; q < 3; q++) sum[bj][q] += lab[i][q];
            cnt[bj]++;
        }
        for (int j = 0; j < k; j++)
            if (cnt[j] > 0)
                for (int q = 0; q < 3; q++) c[j][q] = (float)(sum[j][q] / cnt[j]);
    }
    double tot = 0;
    for (int j = 0; j < k; j++) tot += cnt[j];
    for (int j = 0; j < k; j++) {
        memcpy(out[j].lab, c[j], sizeof c[j]);
        out[j].weight = tot > 0 ? (float)(cnt[j] / tot) : 0;
    }
    /* largest first (insertion sort on 3 items) */
    for (int i = 1; i < K; i++)
        for (int j = i; j > 0 && out[j].weight > out[j - 1].weight; j--) {
            struct zt_dom_color t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
}

/* --- colour names --- */

static const struct {
    const char *name;
    uint8_t rgb[3];
} color_table[] = {
    {"black", {25, 25, 28}},      {"white", {245, 245, 242}},   {"grey", {128, 128, 128}},
    {"light grey", {195, 195, 195}}, {"charcoal", {65, 65, 70}}, {"navy", {28, 36, 72}},
    {"blue", {40, 85, 185}},      {"light blue", {145, 185, 225}}, {"denim", {80, 105, 140}},
    {"red", {190, 30, 40}},       {"burgundy", {110, 25, 45}},  {"pink", {235, 150, 175}},
    {"orange", {235, 125, 35}},   {"yellow", {235, 205, 55}},   {"beige", {215, 195, 160}},
    {"brown", {110, 70, 40}},     {"khaki", {160, 145, 100}},   {"olive", {100, 100, 45}},
    {"green", {45, 135, 65}},     {"teal", {25, 120, 120}},     {"purple", {105, 55, 135}},
};

const char *zt_color_name(const float lab[3])
{
    float best = 1e30f;
    const char *name = "grey";
    for (size_t i = 0; i < ZT_ARRAY_LEN(color_table); i++) {
        float l2[3];
        zt_rgb_to_lab(color_table[i].rgb, l2);
        float d = zt_delta_e2000(lab, l2);
        if (d < best) best = d, name = color_table[i].name;
    }
    return name;
}

/* --- whole descriptors --- */

static int check_plane(const struct zt_image *im, int s, int c, const char *what)
{
    if (!im || !im->px || im->w != s || im->h != s || im->c != c) {
        zt_seterr("features: %s must be %dx%dx%d", what, s, s, c);
        return ZT_EINVAL;
    }
    return ZT_OK;
}

int zt_features_product(const struct zt_image *photo, const struct zt_image *edges,
                        const struct zt_image *mask, struct zt_features *out)
{
    const int s = ZT_FEAT_SIZE;
    int rc;
    if ((rc = check_plane(photo, s, 3, "photo")) || (rc = check_plane(edges, s, 1, "edges")) ||
        (rc = check_plane(mask, s, 1, "mask")))
        return rc;
    memset(out, 0, sizeof *out);
    out->density = -1;
    out->line_ends = -1;
    size_t n = (size_t)s * s;
    float *ink = malloc(n * sizeof(float));
    float(*lab)[3] = malloc(n * sizeof *lab);
    if (!ink || !lab) {
        free(ink);
        free(lab);
        zt_seterr("features: out of memory");
        return ZT_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) ink[i] = 1.0f - edges->px[i] / 255.0f;
    zt_feat_shape(ink, s, out->v + ZT_FEAT_SHAPE_OFF);
    /* colour over the garment; the whole content when the mask is empty */
    int64_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (mask->px[i] >= 128) zt_rgb_to_lab(photo->px + i * 3, lab[m++]);
    if (m == 0)
        for (size_t i = 0; i < n; i++) zt_rgb_to_lab(photo->px + i * 3, lab[m++]);
    zt_feat_color((const float(*)[3])lab, NULL, m, out->v + ZT_FEAT_COLOR_OFF);
    zt_feat_dominant((const float(*)[3])lab, m, out->dom);
    zt_feat_appearance(photo, out->v + ZT_FEAT_APP_OFF);
    out->has[ZT_SIG_SHAPE] = out->has[ZT_SIG_COLOR] = out->has[ZT_SIG_APP] = 1;
    free(ink);
    free(lab);
    return ZT_OK;
}

int zt_features_query(const struct zt_image *edges, const struct zt_image *hint_rgb,
                      const struct zt_image *hint_mask, const struct zt_image *photo,
                      struct zt_features *out)
{
    static const uint8_t paper[4] = {255, 255, 255, 255};
    const int s = ZT_FEAT_SIZE;
    struct zt_image e1 = {0}, eb = {0}, ph = {0}, p3 = {0};
    float *ink = NULL;
    float(*lab)[3] = NULL;
    int rc;
    if (!edges || !edges->px) {
        zt_seterr("features: a query needs an edge plane");
        return ZT_EINVAL;
    }
    memset(out, 0, sizeof *out);
    out->density = -1; /* until measured */
    out->line_ends = -1;
    const struct zt_image *e = edges;
    if (e->c != 1) {
        if ((rc = zt_image_convert(edges, 1, &e1))) goto fail;
        e = &e1;
    }
    struct zt_line_stats ls;
    if ((rc = zt_drawing_line_stats(e, &ls))) goto fail;
    out->density = ls.density;
    out->line_ends = ls.ends;
    if ((rc = zt_image_letterbox(e, s, paper, &eb, NULL, NULL, NULL, NULL))) goto fail;
    rc = ZT_ENOMEM;
    size_t n = (size_t)s * s;
    if (!(ink = malloc(n * sizeof(float)))) goto fail;
    for (size_t i = 0; i < n; i++) ink[i] = 1.0f - eb.px[i] / 255.0f;
    zt_feat_shape(ink, s, out->v + ZT_FEAT_SHAPE_OFF);
    out->has[ZT_SIG_SHAPE] = 1;
    if (hint_rgb && hint_mask && hint_rgb->px && hint_mask->px) {
        if (hint_rgb->w != hint_mask->w || hint_rgb->h != hint_mask->h || hint_rgb->c != 3 ||
            hint_mask->c != 1) {
            zt_seterr("features: hint planes differ in size or channels");
            rc = ZT_EINVAL;
            goto fail;
        }
        /* colours at the drawing's own resolution: no resampling blends
         * hint colours with the black "no hint" fill */
        size_t hn = (size_t)hint_rgb->w * hint_rgb->h;
        if (!(lab = malloc(hn * sizeof *lab))) goto fail;
        int64_t m = 0;
        for (size_t i = 0; i < hn; i++)
            if (hint_mask->px[i] >= 128) zt_rgb_to_lab(hint_rgb->px + i * 3, lab[m++]);
        out->has[ZT_SIG_COLOR] =
            zt_feat_color((const float(*)[3])lab, NULL, m, out->v + ZT_FEAT_COLOR_OFF);
        if (m) zt_feat_dominant((const float(*)[3])lab, m, out->dom);
    }
    if (photo && photo->px) {
        const struct zt_image *p = photo;
        if (p->c != 3) {
            if ((rc = zt_image_convert(photo, 3, &p3))) goto fail;
            p = &p3;
        }
        if ((rc = zt_image_letterbox(p, s, paper, &ph, NULL, NULL, NULL, NULL))) goto fail;
        zt_feat_appearance(&ph, out->v + ZT_FEAT_APP_OFF);
        out->has[ZT_SIG_APP] = 1;
    }
    rc = ZT_OK;
fail:
    if (rc == ZT_ENOMEM) zt_seterr("features: out of memory");
    free(ink);
    free(lab);
    zt_image_free(&e1);
    zt_image_free(&eb);
    zt_image_free(&ph);
    zt_image_free(&p3);
    return rc;
}
