/* doodle.c: photo + garment mask -> a human-like drawing (doodle.h). */
#include "doodle.h"
#include "../img/hints.h"
#include "../util/rng.h"
#include "../util/zt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const style_names[] = {"edges", "doodle", "mixed"};

int zt_draw_style_parse(const char *s, enum zt_draw_style *out)
{
    for (int i = 0; i < 3; i++)
        if (s && !strcasecmp(s, style_names[i])) {
            *out = (enum zt_draw_style)i;
            return ZT_OK;
        }
    zt_seterr("style '%s': expected edges, doodle or mixed", s ? s : "");
    return ZT_EINVAL;
}

const char *zt_draw_style_name(enum zt_draw_style s)
{
    return (unsigned)s < 3 ? style_names[s] : "?";
}

enum zt_draw_style zt_draw_style_pick(enum zt_draw_style s, uint64_t seed)
{
    if (s != ZT_STYLE_MIXED) return s;
    /* a bit of the seed that the renderer's own stream does not start from */
    return (seed >> 61) & 1 ? ZT_STYLE_DOODLE : ZT_STYLE_EDGES;
}

void zt_doodle_params_default(struct zt_doodle_params *p)
{
    *p = (struct zt_doodle_params){
        .scale_min = 0.30f, .scale_max = 0.95f, .aspect = 0.20f, .rot_deg = 10.0f,
        .strokes_min = 1, .strokes_max = 5, .rdp_min = 0.008f, .rdp_max = 0.03f,
        .wobble_max = 0.012f, .jitter = 0.0015f, .drop_max = 0.12f, .p_interior = 0.4f,
        .interior_max = 0.35f, .width_min = 0.006f, .width_max = 0.02f, .p_no_hints = 0.3f,
        .hints_max = 30, .dab_min = 0.004f, .dab_max = 0.04f,
    };
}

void zt_doodle_deinit(struct zt_doodle *d)
{
    if (!d) return;
    zt_image_free(&d->lines);
    zt_image_free(&d->hints);
    d->nstrokes = d->nhints = 0;
}

struct pt {
    float x, y;
};

struct poly {
    struct pt *p;
    int n, cap;
};

static int poly_push(struct poly *pl, float x, float y)
{
    if (pl->n == pl->cap) {
        int cap = pl->cap ? 2 * pl->cap : 64;
        struct pt *np = realloc(pl->p, (size_t)cap * sizeof *np);
        if (!np) return ZT_ENOMEM;
        pl->p = np;
        pl->cap = cap;
    }
    pl->p[pl->n++] = (struct pt){x, y};
    return ZT_OK;
}

static float urand(struct zt_rng *r, float lo, float hi)
{
    return lo + (hi - lo) * zt_rng_uniform(r);
}

static int irand(struct zt_rng *r, int lo, int hi) /* inclusive */
{
    return hi <= lo ? lo : lo + (int)(zt_rng_u64(r) % (uint64_t)(hi - lo + 1));
}

/* --- outer contour: Moore-neighbour tracing of the mask's boundary --- */

static int in_mask(const struct zt_image *m, int x, int y)
{
    return x >= 0 && y >= 0 && x < m->w && y < m->h && m->px[(size_t)y * m->w + x] >= 128;
}

/* Labels the 8-connected pieces of on[] (w x h, nonzero = in): lab[i]
 * becomes 1..*npieces in the order a raster scan meets them, 0 outside;
 * size (optional, room for w*h + 1) receives each piece's pixel count. */
static int label_pieces(const char *on, int w, int h, int *lab, int *size, int *npieces)
{
    size_t n = (size_t)w * h;
    int *queue = malloc(n * sizeof *queue), np = 0;
    if (!queue) return ZT_ENOMEM;
    memset(lab, 0, n * sizeof *lab);
    for (size_t i = 0; i < n; i++) {
        if (!on[i] || lab[i]) continue;
        size_t qh = 0, qt = 0;
        lab[i] = ++np;
        queue[qt++] = (int)i;
        while (qh < qt) {
            int q = queue[qh++], qx = q % w, qy = q / w;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int nx = qx + dx, ny = qy + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                    size_t j = (size_t)ny * w + nx;
                    if (on[j] && !lab[j]) {
                        lab[j] = np;
                        queue[qt++] = (int)j;
                    }
                }
        }
        if (size) size[np] = (int)qt;
    }
    free(queue);
    *npieces = np;
    return ZT_OK;
}

/* The mask's largest 8-connected piece as a new 0/255 image (a garment
 * mask may carry specks of floor or a hanger's hook). */
static int largest_piece(const struct zt_image *m, struct zt_image *out)
{
    int w = m->w, h = m->h, np = 0, best = 0, rc;
    size_t n = (size_t)w * h;
    int *lab = malloc(n * sizeof *lab), *size = malloc((n + 1) * sizeof *size);
    char *on = malloc(n);
    if (!lab || !size || !on) {
        rc = ZT_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) on[i] = m->px[i] >= 128;
    if ((rc = label_pieces(on, w, h, lab, size, &np)) || (rc = zt_image_new(out, w, h, 1))) goto out;
    for (int k = 1; k <= np; k++)
        if (!best || size[k] > size[best]) best = k;
    for (size_t i = 0; i < n; i++) out->px[i] = best && lab[i] == best ? 255 : 0;
out:
    free(lab);
    free(size);
    free(on);
    return rc;
}

static int trace_contour(const struct zt_image *m, struct poly *out)
{
    static const int dx[8] = {1, 1, 0, -1, -1, -1, 0, 1};
    static const int dy[8] = {0, 1, 1, 1, 0, -1, -1, -1};
    int sx = -1, sy = -1;
    for (int y = 0; y < m->h && sx < 0; y++)
        for (int x = 0; x < m->w; x++)
            if (in_mask(m, x, y)) {
                sx = x, sy = y;
                break;
            }
    if (sx < 0) {
        zt_seterr("doodle: the mask has no garment pixel");
        return ZT_EINVAL;
    }
    /* Freeman 8-neighbour tracing: the search starts just past the
     * outside of the last move (dir + 7 after an even move, dir + 6 after
     * an odd one) and turns clockwise (y grows downwards) */
    int x = sx, y = sy, dir = 0, rc;
    int64_t limit = 4 * (int64_t)m->w * m->h + 8;
    if ((rc = poly_push(out, x + 0.5f, y + 0.5f))) return rc;
    for (int64_t it = 0; it < limit; it++) {
        int found = 0, first = dir + ((dir & 1) ? 6 : 7);
        for (int k = 0; k < 8; k++) {
            int d = (first + k) & 7;
            int nx = x + dx[d], ny = y + dy[d];
            if (in_mask(m, nx, ny)) {
                x = nx, y = ny, dir = d, found = 1;
                break;
            }
        }
        if (!found || (x == sx && y == sy)) break; /* single pixel, or closed */
        if ((rc = poly_push(out, x + 0.5f, y + 0.5f))) return rc;
    }
    return ZT_OK;
}

/* --- Ramer-Douglas-Peucker on an open polyline, keep[] marks survivors --- */

static float seg_dist(struct pt p, struct pt a, struct pt b)
{
    float vx = b.x - a.x, vy = b.y - a.y, l2 = vx * vx + vy * vy;
    float t = l2 > 0 ? ((p.x - a.x) * vx + (p.y - a.y) * vy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    float ex = a.x + t * vx - p.x, ey = a.y + t * vy - p.y;
    return sqrtf(ex * ex + ey * ey);
}

static int rdp(const struct pt *p, int n, float eps, char *keep)
{
    int *stack = malloc(2 * (size_t)n * sizeof *stack), top = 0;
    if (!stack) return ZT_ENOMEM;
    memset(keep, 0, (size_t)n);
    keep[0] = keep[n - 1] = 1;
    stack[top++] = 0, stack[top++] = n - 1;
    while (top) {
        int b = stack[--top], a = stack[--top], best = -1;
        float dmax = eps;
        for (int i = a + 1; i < b; i++) {
            float d = seg_dist(p[i], p[a], p[b]);
            if (d > dmax) dmax = d, best = i;
        }
        if (best >= 0) {
            keep[best] = 1;
            stack[top++] = a, stack[top++] = best;
            stack[top++] = best, stack[top++] = b;
        }
    }
    free(stack);
    return ZT_OK;
}

/* Simplified closed polygon: split at the start and the point farthest
 * from it, RDP on both halves (eps in mask pixels). */
static int simplify_closed(const struct poly *c, float eps, struct poly *out)
{
    int n = c->n, far = 0, rc = ZT_OK;
    if (n < 4) {
        for (int i = 0; i < n && !rc; i++) rc = poly_push(out, c->p[i].x, c->p[i].y);
        return rc;
    }
    float best = -1;
    for (int i = 1; i < n; i++) {
        float ex = c->p[i].x - c->p[0].x, ey = c->p[i].y - c->p[0].y, d = ex * ex + ey * ey;
        if (d > best) best = d, far = i;
    }
    struct pt *ring = malloc((size_t)(n + 1) * sizeof *ring);
    char *keep = malloc((size_t)n + 1);
    if (!ring || !keep) {
        free(ring);
        free(keep);
        return ZT_ENOMEM;
    }
    memcpy(ring, c->p, (size_t)n * sizeof *ring);
    ring[n] = c->p[0];
    if ((rc = rdp(ring, far + 1, eps, keep)) == ZT_OK)
        for (int i = 0; i < far && !rc; i++)
            if (keep[i]) rc = poly_push(out, ring[i].x, ring[i].y);
    if (!rc && (rc = rdp(ring + far, n + 1 - far, eps, keep)) == ZT_OK)
        for (int i = 0; i < n - far && !rc; i++)
            if (keep[i]) rc = poly_push(out, ring[far + i].x, ring[far + i].y);
    free(ring);
    free(keep);
    return rc;
}

/* --- placement: mask pixels -> output pixels --- */

struct xform {
    float a, b, c, d, tx, ty; /* out = [a b; c d] * in + t */
};

static struct pt xf(const struct xform *t, float x, float y)
{
    return (struct pt){t->a * x + t->b * y + t->tx, t->c * x + t->d * y + t->ty};
}

static void make_xform(const struct poly *c, int fw, int fh, int size,
                       const struct zt_doodle_params *p, struct zt_rng *r, struct xform *t)
{
    float k = (float)size / (float)(fw > fh ? fw : fh);
    if (p->aligned) {
        *t = (struct xform){k, 0, 0, k, 0, 0};
        return;
    }
    float x0 = 1e9f, y0 = 1e9f, x1 = -1e9f, y1 = -1e9f;
    for (int i = 0; i < c->n; i++) {
        x0 = fminf(x0, c->p[i].x), x1 = fmaxf(x1, c->p[i].x);
        y0 = fminf(y0, c->p[i].y), y1 = fmaxf(y1, c->p[i].y);
    }
    float bw = fmaxf(x1 - x0, 1), bh = fmaxf(y1 - y0, 1), cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    float s = urand(r, p->scale_min, p->scale_max) * size / fmaxf(bw, bh);
    float asp = expf(urand(r, -1, 1) * logf(1 + p->aspect));
    float th = urand(r, -1, 1) * p->rot_deg * (float)M_PI / 180;
    float sx = s * sqrtf(asp), sy = s / sqrtf(asp), co = cosf(th), si = sinf(th);
    t->a = co * sx, t->b = -si * sy, t->c = si * sx, t->d = co * sy;
    /* extent of the placed garment around its centre, then a random spot */
    float ex = 0, ey = 0;
    for (int i = 0; i < c->n; i++) {
        float px = c->p[i].x - cx, py = c->p[i].y - cy;
        ex = fmaxf(ex, fabsf(t->a * px + t->b * py));
        ey = fmaxf(ey, fabsf(t->c * px + t->d * py));
    }
    float m = 0.02f * size;
    float lox = ex + m, hix = size - ex - m, loy = ey + m, hiy = size - ey - m;
    float ox = lox < hix ? urand(r, lox, hix) : size / 2.0f;
    float oy = loy < hiy ? urand(r, loy, hiy) : size / 2.0f;
    t->tx = ox - (t->a * cx + t->b * cy);
    t->ty = oy - (t->c * cx + t->d * cy);
}

/* --- anti-aliased pen --- */

static void draw_seg(struct zt_image *im, struct pt a, struct pt b, float width, const uint8_t *col)
{
    float h = width / 2;
    int x0 = (int)floorf(fminf(a.x, b.x) - h - 1), x1 = (int)ceilf(fmaxf(a.x, b.x) + h + 1);
    int y0 = (int)floorf(fminf(a.y, b.y) - h - 1), y1 = (int)ceilf(fmaxf(a.y, b.y) + h + 1);
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 >= im->w) x1 = im->w - 1;
    if (y1 >= im->h) y1 = im->h - 1;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            float cov = h + 0.5f - seg_dist((struct pt){x + 0.5f, y + 0.5f}, a, b);
            if (cov <= 0) continue;
            if (cov > 1) cov = 1;
            uint8_t *px = zt_image_at(im, x, y);
            if (im->c == 1) { /* ink darkens the paper */
                int v = (int)lroundf(255 - cov * (255 - col[0]));
                if (v < px[0]) px[0] = (uint8_t)v;
            } else if (cov >= 0.5f) { /* dabs: hard-edged colour, alpha 255 */
                memcpy(px, col, 3);
                px[3] = 255;
            }
        }
}

/* Resamples a polyline every step pixels and wobbles it sideways: a slow
 * sum of two sines (the hand's drift) plus per-point jitter. */
static int wobble(const struct pt *v, int n, float step, float amp, float jit, struct zt_rng *r,
                  struct poly *out)
{
    float f1 = urand(r, 0.01f, 0.04f), f2 = urand(r, 0.05f, 0.12f);
    float p1 = urand(r, 0, 6.283f), p2 = urand(r, 0, 6.283f), s = 0;
    int rc = ZT_OK;
    for (int i = 0; i + 1 < n && !rc; i++) {
        float vx = v[i + 1].x - v[i].x, vy = v[i + 1].y - v[i].y, len = sqrtf(vx * vx + vy * vy);
        if (len < 1e-3f) continue;
        float nx = -vy / len, ny = vx / len;
        int k = (int)ceilf(len / step);
        for (int j = 0; j < k && !rc; j++, s += len / k) {
            float t = (float)j / k;
            float off = amp * (0.65f * sinf(f1 * s + p1) + 0.35f * sinf(f2 * s + p2)) +
                        jit * (float)zt_rng_normal(r);
            rc = poly_push(out, v[i].x + t * vx + off * nx, v[i].y + t * vy + off * ny);
        }
    }
    if (!rc && n) rc = poly_push(out, v[n - 1].x, v[n - 1].y);
    return rc;
}

static int draw_contour(struct zt_image *lines, const struct poly *simp, const struct xform *t,
                        const struct zt_doodle_params *p, float width, struct zt_rng *r,
                        int *nstrokes)
{
    int n = simp->n, size = lines->w, rc = ZT_OK;
    static const uint8_t ink[1] = {20};
    if (n < 2) return ZT_OK;
    struct pt *v = malloc((size_t)(n + 1) * sizeof *v);
    int *cut = malloc(((size_t)p->strokes_max + 2) * sizeof *cut);
    struct poly w = {0};
    if (!v || !cut) {
        rc = ZT_ENOMEM;
        goto out;
    }
    int start = irand(r, 0, n - 1);
    for (int i = 0; i <= n; i++) {
        struct pt q = simp->p[(start + i) % n];
        v[i] = xf(t, q.x, q.y);
    }
    /* n + 1 vertices (closed ring); ns strokes at random vertex cuts */
    int ns = irand(r, p->strokes_min, p->strokes_max);
    if (ns > n) ns = n;
    cut[0] = 0, cut[ns] = n;
    for (int i = 1; i < ns; i++) cut[i] = irand(r, 1, n - 1);
    for (int i = 1; i < ns; i++) /* insertion sort: few cuts */
        for (int j = i; j > 1 && cut[j] < cut[j - 1]; j--) {
            int tmp = cut[j];
            cut[j] = cut[j - 1], cut[j - 1] = tmp;
        }
    float drop = urand(r, 0, p->drop_max), amp = urand(r, 0, p->wobble_max) * size;
    float step = fmaxf(2.0f, size / 80.0f), piece = 10;
    *nstrokes = 0;
    for (int s = 0; s < ns && !rc; s++) {
        int a = cut[s], b = cut[s + 1];
        if (b - a < 1) continue;
        w.n = 0;
        if ((rc = wobble(v + a, b - a + 1, step, amp, p->jitter * size, r, &w))) break;
        /* overshoot or fall short at the stroke's end, as a quick hand does */
        int skip_end = irand(r, 0, 2);
        (*nstrokes)++;
        for (int i = 0; i + 1 < w.n - skip_end; i++) {
            if (i % (int)piece == 0 && zt_rng_uniform(r) < drop) {
                i += (int)piece - 1; /* a dropped piece: a gap in the line */
                continue;
            }
            draw_seg(lines, w.p[i], w.p[i + 1], width, ink);
        }
    }
out:
    free(v);
    free(cut);
    free(w.p);
    return rc;
}

/* Interior lines: the edge map's line pixels well inside the garment,
 * grouped into 8-connected pieces, each kept with probability keep, drawn
 * as segments between neighbouring kept pixels (so they stay lines at any
 * scale). */
static int draw_interior(struct zt_image *lines, const struct zt_image *mask,
                         const struct zt_image *edges, const struct xform *t, float keep,
                         float width, struct zt_rng *r)
{
    int w = mask->w, h = mask->h, rc = ZT_OK;
    static const uint8_t ink[1] = {40};
    size_t n = (size_t)w * h;
    int *lab = malloc(n * sizeof *lab), np = 0;
    char *on = calloc(n, 1), *kept = NULL;
    if (!lab || !on) {
        rc = ZT_ENOMEM;
        goto out;
    }
    const int m = 3; /* inside the garment by this many pixels */
    for (int y = m; y < h - m; y++)
        for (int x = m; x < w - m; x++) {
            if (edges->px[(size_t)y * w + x] >= 128) continue;
            int inside = in_mask(mask, x - m, y) && in_mask(mask, x + m, y) &&
                         in_mask(mask, x, y - m) && in_mask(mask, x, y + m);
            on[(size_t)y * w + x] = (char)inside;
        }
    if ((rc = label_pieces(on, w, h, lab, NULL, &np))) goto out;
    if (!(kept = malloc((size_t)np + 1))) {
        rc = ZT_ENOMEM;
        goto out;
    }
    for (int k = 1; k <= np; k++) kept[k] = zt_rng_uniform(r) < keep; /* in scan order */
    for (size_t i = 0; i < n; i++) lab[i] = lab[i] && kept[lab[i]];
    static const int ndx[4] = {1, 0, 1, -1}, ndy[4] = {0, 1, 1, 1};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (lab[(size_t)y * w + x] != 1) continue;
            struct pt a = xf(t, x + 0.5f, y + 0.5f);
            int alone = 1;
            for (int k = 0; k < 4; k++) {
                int nx = x + ndx[k], ny = y + ndy[k];
                if (nx < 0 || ny >= h || nx >= w || lab[(size_t)ny * w + nx] != 1) continue;
                draw_seg(lines, a, xf(t, nx + 0.5f, ny + 0.5f), width, ink);
                alone = 0;
            }
            if (alone) draw_seg(lines, a, a, width, ink);
        }
out:
    free(lab);
    free(kept);
    free(on);
    return rc;
}

/* Colour dabs at random garment points (a few anywhere), in the photo's
 * colour there, nudged as a palette pick would be. */
static int draw_dabs(struct zt_image *hints, const struct zt_image *photo,
                     const struct zt_image *mask, const struct xform *t,
                     const struct zt_doodle_params *p, struct zt_rng *r, int *count)
{
    int w = mask->w, h = mask->h, size = hints->w;
    *count = 0;
    if (zt_rng_uniform(r) < p->p_no_hints) return ZT_OK;
    /* mostly a few dabs, now and then many (geometric, mean about 5) */
    int n = 1;
    while (n < p->hints_max && zt_rng_uniform(r) < 0.8f) n++;
    for (int k = 0; k < n; k++) {
        int x = 0, y = 0, tries = 0, on = zt_rng_uniform(r) < 0.9f;
        do {
            x = irand(r, 0, w - 1), y = irand(r, 0, h - 1);
        } while (on && !in_mask(mask, x, y) && ++tries < 200);
        /* mean photo colour over a 5x5 patch */
        float acc[3] = {0, 0, 0};
        int cnt = 0;
        for (int dy = -2; dy <= 2; dy++)
            for (int dx = -2; dx <= 2; dx++) {
                int px = x + dx, py = y + dy;
                if (px < 0 || py < 0 || px >= w || py >= h) continue;
                const uint8_t *c = zt_image_at(photo, px, py);
                for (int j = 0; j < 3; j++) acc[j] += c[j];
                cnt++;
            }
        uint8_t rgb[3] = {0, 0, 0}, col[4];
        for (int j = 0; j < 3; j++) rgb[j] = (uint8_t)lroundf(acc[j] / (cnt ? cnt : 1));
        float hsv[3];
        zt_rgb_to_hsv(rgb, hsv);
        hsv[0] = fmodf(hsv[0] + urand(r, -8, 8) + 360, 360);
        hsv[1] = fminf(1, hsv[1] * urand(r, 0.85f, 1.35f));
        hsv[2] = fminf(1, fmaxf(0, hsv[2] + urand(r, -0.08f, 0.08f)));
        zt_hsv_to_rgb(hsv, col);
        col[3] = 255;
        struct pt c = xf(t, x + 0.5f, y + 0.5f);
        float rad = urand(r, p->dab_min, p->dab_max) * size;
        float shape = zt_rng_uniform(r);
        if (shape < 0.35f) { /* dot */
            draw_seg(hints, c, c, 2 * rad, col);
        } else if (shape < 0.6f) { /* short stroke */
            float th = urand(r, 0, 6.283f), len = urand(r, 2, 6) * rad + 3;
            struct pt e = {c.x + len * cosf(th), c.y + len * sinf(th)};
            draw_seg(hints, c, e, fmaxf(2, rad * 0.8f), col);
        } else if (shape < 0.75f) { /* square */
            int hs = (int)fmaxf(1, rad);
            for (int yy = (int)c.y - hs; yy <= (int)c.y + hs; yy++)
                for (int xx = (int)c.x - hs; xx <= (int)c.x + hs; xx++)
                    if (xx >= 0 && yy >= 0 && xx < size && yy < size) {
                        uint8_t *d = zt_image_at(hints, xx, yy);
                        memcpy(d, col, 4);
                    }
        } else if (shape < 0.9f) { /* blob: a few overlapping discs */
            int nb = irand(r, 3, 5);
            for (int b = 0; b < nb; b++) {
                struct pt q = {c.x + urand(r, -rad, rad), c.y + urand(r, -rad, rad)};
                draw_seg(hints, q, q, urand(r, 1, 2) * rad, col);
            }
        } else { /* scribble: a zigzag */
            struct pt prev = c;
            int nz = irand(r, 4, 8);
            for (int z = 0; z < nz; z++) {
                struct pt q = {c.x + urand(r, -2, 2) * rad, c.y + urand(r, -2, 2) * rad};
                draw_seg(hints, prev, q, fmaxf(2, rad * 0.5f), col);
                prev = q;
            }
        }
        (*count)++;
    }
    return ZT_OK;
}

int zt_doodle_render(const struct zt_image *photo, const struct zt_image *mask,
                     const struct zt_image *edges, const struct zt_doodle_params *p, int size,
                     uint64_t seed, struct zt_doodle *out)
{
    struct zt_doodle d = {0};
    struct poly c = {0}, simp = {0};
    struct zt_rng r;
    int rc;
    if (size < 16 || size > 4096 || !photo || photo->c < 3 || !mask || mask->c != 1 ||
        photo->w != mask->w || photo->h != mask->h ||
        (edges && (edges->c != 1 || edges->w != mask->w || edges->h != mask->h))) {
        zt_seterr("doodle: photo (RGB), mask and edges must be one size; size %d in 16..4096",
                  size);
        return ZT_EINVAL;
    }
    zt_rng_seed(&r, seed);
    struct zt_image piece = {0};
    if ((rc = largest_piece(mask, &piece))) goto fail;
    rc = trace_contour(&piece, &c);
    zt_image_free(&piece);
    if (rc) goto fail;
    float fside = (float)(mask->w > mask->h ? mask->w : mask->h);
    if ((rc = simplify_closed(&c, urand(&r, p->rdp_min, p->rdp_max) * fside, &simp))) goto fail;
    struct xform t;
    make_xform(&c, mask->w, mask->h, size, p, &r, &t);
    if ((rc = zt_image_new(&d.lines, size, size, 1))) goto fail;
    if ((rc = zt_image_new(&d.hints, size, size, 4))) goto fail;
    memset(d.lines.px, 255, (size_t)size * size);
    float width = fmaxf(1.0f, urand(&r, p->width_min, p->width_max) * size);
    if ((rc = draw_contour(&d.lines, &simp, &t, p, width, &r, &d.nstrokes))) goto fail;
    if (edges && zt_rng_uniform(&r) < p->p_interior) {
        float keep = urand(&r, 0.05f, p->interior_max);
        if ((rc = draw_interior(&d.lines, mask, edges, &t, keep, fmaxf(1, width * 0.8f), &r)))
            goto fail;
    }
    if ((rc = draw_dabs(&d.hints, photo, mask, &t, p, &r, &d.nhints))) goto fail;
    *out = d;
    d = (struct zt_doodle){0};
fail:
    zt_doodle_deinit(&d);
    free(c.p);
    free(simp.p);
    return rc;
}

int zt_doodle_flatten(const struct zt_doodle *d, struct zt_image *out)
{
    int rc = zt_image_new(out, d->lines.w, d->lines.h, 3);
    if (rc) return rc;
    size_t n = (size_t)out->w * out->h;
    for (size_t i = 0; i < n; i++) {
        uint8_t *o = out->px + 3 * i;
        const uint8_t *hp = d->hints.px + 4 * i;
        if (hp[3] >= 128) memcpy(o, hp, 3);
        else memset(o, d->lines.px[i], 3);
    }
    return ZT_OK;
}

int zt_doodle_planes(const struct zt_image *photo, const struct zt_image *mask,
                     const struct zt_image *edges, const struct zt_doodle_params *p, int size,
                     uint64_t seed, struct zt_image *out_edges, struct zt_image *hint_rgb,
                     struct zt_image *hint_mask, int *nhints)
{
    struct zt_doodle d = {0};
    struct zt_split_params sp;
    zt_split_params_default(&sp);
    int rc = zt_doodle_render(photo, mask, edges, p, size, seed, &d);
    if (!rc) rc = zt_drawing_split_layers(&d.lines, &d.hints, &sp, out_edges, hint_rgb, hint_mask);
    if (!rc && nhints) *nhints = d.nhints;
    zt_doodle_deinit(&d);
    return rc;
}
