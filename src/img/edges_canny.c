/* edges_canny.c: Canny (1986): Gaussian smoothing, Sobel gradient (per
 * channel, strongest wins), non-maximum suppression and hysteresis, with
 * thresholds optionally raised from the gradient median (texture). */
#include "edges_impl.h"
#include "../util/zt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Sobel of the blurred plane b (w x h, replicated borders). Keeps, per
 * pixel, the gradient with the larger magnitude between (gx, gy) already in
 * mag/gxo/gyo and this plane's (first plane: first = 1). */
static void sobel_max(const float *b, int w, int h, float *mag, float *gxo, float *gyo, int first)
{
    for (int y = 0; y < h; y++) {
        const float *rm = b + (size_t)ZT_MAX(y - 1, 0) * w;
        const float *r0 = b + (size_t)y * w;
        const float *rp = b + (size_t)ZT_MIN(y + 1, h - 1) * w;
        float *m = mag + (size_t)y * w, *ox = gxo + (size_t)y * w, *oy = gyo + (size_t)y * w;
        /* interior columns without clamping (vectorises) */
        for (int x = 1; x < w - 1; x++) {
            float gx = (rm[x + 1] - rm[x - 1]) + 2.0f * (r0[x + 1] - r0[x - 1]) + (rp[x + 1] - rp[x - 1]);
            float gy = (rp[x - 1] - rm[x - 1]) + 2.0f * (rp[x] - rm[x]) + (rp[x + 1] - rm[x + 1]);
            float mm = gx * gx + gy * gy;
            int take = first || mm > m[x];
            m[x] = take ? mm : m[x];
            ox[x] = take ? gx : ox[x];
            oy[x] = take ? gy : oy[x];
        }
        for (int x = 0; x < w; x += (w > 1 ? w - 1 : 1)) {
            int xl = x > 0 ? x - 1 : 0, xr = x < w - 1 ? x + 1 : w - 1;
            float gx = (rm[xr] - rm[xl]) + 2.0f * (r0[xr] - r0[xl]) + (rp[xr] - rp[xl]);
            float gy = (rp[xl] - rm[xl]) + 2.0f * (rp[x] - rm[x]) + (rp[xr] - rm[xr]);
            float mm = gx * gx + gy * gy;
            if (first || mm > m[x]) {
                m[x] = mm;
                ox[x] = gx;
                oy[x] = gy;
            }
        }
    }
}

/* median of sqrt(v[i]) * norm over v[0..n), for values in [0, vmax), by a
 * 4096-bin histogram */
static float hist_median(const float *v, size_t n, float vmax, float norm)
{
    enum { NB = 4096 };
    uint32_t *hist = calloc(NB, sizeof *hist);
    if (!hist || !n) {
        free(hist);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        int b = (int)(sqrtf(v[i]) * norm / vmax * NB);
        hist[ZT_CLAMP(b, 0, NB - 1)]++;
    }
    size_t acc = 0, half = n / 2;
    int b = 0;
    for (; b < NB; b++)
        if ((acc += hist[b]) > half) break;
    free(hist);
    return (b + 0.5f) * vmax / NB;
}

int zt__edges_canny(const struct zt_image *src, const int r[4], const struct zt_edge_params *p,
                    float scale, float *soft)
{
    int w = r[2], h = r[3];
    size_t n = (size_t)w * h;
    float *buf = malloc(5 * n * sizeof *buf);
    uint8_t *st = NULL;
    int32_t *stack = NULL;
    if (!buf) goto oom;
    float *pl = buf, *tmp = buf + n, *mag = buf + 2 * n, *gx = buf + 3 * n, *gy = buf + 4 * n;
    float sigma = p->sigma * scale;
    int nch = p->color && src->c >= 3 ? 3 : 1;
    for (int ch = 0; ch < nch; ch++) {
        if (nch == 1) zt__edges_gray(src, r, pl);
        else zt_edges_channel(src, r, ch, pl);
        zt__edges_blur(pl, pl, w, h, sigma, tmp);
        sobel_max(pl, w, h, mag, gx, gy, ch == 0);
    }
    /* mag holds |Sobel|^2; thresholds are |grad| in grey levels per
     * reference pixel (Sobel = 8 x derivative), compared squared */
    float norm = scale / 8.0f;
    float hi = p->high, lo = p->low;
    if (p->auto_thresh && p->auto_k > 0) {
        float med = hist_median(mag, n, 256.0f, norm);
        float f = p->auto_k * med / (hi > 0 ? hi : 1);
        if (f > 1) hi *= f, lo *= f;
    }
    hi /= norm, lo /= norm;
    hi *= hi, lo *= lo;
    /* non-maximum suppression into st: 0 none, 1 weak, 2 strong */
    st = calloc(n, 1);
    stack = malloc(n * sizeof *stack);
    if (!st || !stack) goto oom;
    const float t1 = 0.41421356f, t2 = 2.41421356f;
    size_t sp = 0;
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++) {
            size_t i = (size_t)y * w + x;
            float m = mag[i];
            if (m < lo) continue;
            float ax = fabsf(gx[i]), ay = fabsf(gy[i]);
            float a, b;
            if (ay <= ax * t1) a = mag[i - 1], b = mag[i + 1];
            else if (ay >= ax * t2) a = mag[i - w], b = mag[i + w];
            else if ((gx[i] > 0) == (gy[i] > 0)) a = mag[i - w - 1], b = mag[i + w + 1];
            else a = mag[i - w + 1], b = mag[i + w - 1];
            if (!(m > a && m >= b)) continue;
            if (m >= hi) {
                st[i] = 2;
                stack[sp++] = (int32_t)i;
            } else st[i] = 1;
        }
    /* hysteresis: grow strong pixels through 8-connected weak ones */
    while (sp) {
        int32_t i = stack[--sp];
        const int32_t off[8] = {-w - 1, -w, -w + 1, -1, 1, w - 1, w, w + 1};
        for (int k = 0; k < 8; k++) {
            int32_t j = i + off[k]; /* st is 0 on the 1-pixel frame: no wrap */
            if (j >= 0 && (size_t)j < n && st[j] == 1) {
                st[j] = 2;
                stack[sp++] = j;
            }
        }
    }
    for (size_t i = 0; i < n; i++) soft[i] = st[i] == 2 ? 1.0f : 0.0f;
    free(buf);
    free(st);
    free(stack);
    return ZT_OK;
oom:
    free(buf);
    free(st);
    free(stack);
    zt_seterr("out of memory for Canny on %dx%d", w, h);
    return ZT_ENOMEM;
}
