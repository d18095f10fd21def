/* hints_recolour.c: the generator's output moved onto the shopper's hint
 * colours (hints.h: zt_hints_recolour). A network trained with an L1 loss
 * pulls an unusual colour toward the dataset's common ones (brown toward
 * red, green toward denim blue); this step keeps the network's shading and
 * shifts its colour, in Lab, by what each hint asks for, spread over the
 * region the drawing encloses. */
#include "hints.h"
#include "image.h"
#include "../util/zt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void zt_recolour_params_default(struct zt_recolour_params *p)
{
    *p = (struct zt_recolour_params){
        .reach = 0.15, .wall = 0.5, .min_inside = 0.04, .gap = 0.1, .max_dabs = 48,
        .chroma_keep = 0.4f, .stamp = 2, .paper = 20};
}

/* A binary heap of (cost, pixel) for Dijkstra over the grid. */
struct heap {
    int n, cap;
    float *c;
    int *i;
};

static int heap_push(struct heap *h, float c, int i)
{
    if (h->n == h->cap) {
        int cap = h->cap ? 2 * h->cap : 1024;
        float *nc = realloc(h->c, sizeof(float) * (size_t)cap);
        if (!nc) return ZT_ENOMEM;
        h->c = nc;
        int *ni = realloc(h->i, sizeof(int) * (size_t)cap);
        if (!ni) return ZT_ENOMEM;
        h->i = ni, h->cap = cap;
    }
    int k = h->n++;
    while (k > 0 && h->c[(k - 1) / 2] > c) {
        h->c[k] = h->c[(k - 1) / 2], h->i[k] = h->i[(k - 1) / 2];
        k = (k - 1) / 2;
    }
    h->c[k] = c, h->i[k] = i;
    return ZT_OK;
}

static void heap_pop(struct heap *h, float *c, int *i)
{
    *c = h->c[0], *i = h->i[0];
    float lc = h->c[--h->n];
    int li = h->i[h->n], k = 0;
    for (;;) {
        int m = 2 * k + 1;
        if (m >= h->n) break;
        if (m + 1 < h->n && h->c[m + 1] < h->c[m]) m++;
        if (h->c[m] >= lc) break;
        h->c[k] = h->c[m], h->i[k] = h->i[m];
        k = m;
    }
    h->c[k] = lc, h->i[k] = li;
}

/* Geodesic distance from the pixels labelled d: 1 per step (1.41 diagonal),
 * plus wall for stepping onto a line pixel, so a colour stays inside the
 * outline that holds its dab. */
static int geodesic(int s, const int *label, int d, const uint8_t *line, float wall, float *dist,
                    struct heap *h)
{
    size_t n = (size_t)s * s;
    h->n = 0;
    for (size_t i = 0; i < n; i++) {
        dist[i] = INFINITY;
        if (label[i] == d) {
            dist[i] = 0;
            if (heap_push(h, 0, (int)i)) return ZT_ENOMEM;
        }
    }
    while (h->n) {
        float c;
        int i;
        heap_pop(h, &c, &i);
        if (c > dist[i]) continue;
        int x = i % s, y = i / s;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                int u = x + dx, v = y + dy;
                if ((!dx && !dy) || u < 0 || v < 0 || u >= s || v >= s) continue;
                int j = v * s + u;
                float nc = c + (dx && dy ? 1.41421f : 1.0f) + (line[j] ? wall : 0.0f);
                if (nc < dist[j]) {
                    dist[j] = nc;
                    if (heap_push(h, nc, j)) return ZT_ENOMEM;
                }
            }
    }
    return ZT_OK;
}

/* inside[i] = 1 where the drawing encloses pixel i: not reachable from the
 * border through paper once the lines are thickened by one pixel (closing
 * the small gaps of a quick outline). */
static void enclosed(int s, const uint8_t *line, uint8_t *inside, int *queue)
{
    size_t n = (size_t)s * s;
    uint8_t *wall = inside; /* reused: 2 = wall, 1 = outside reached, 0 = not reached */
    memset(wall, 0, n);
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++) {
            if (!line[y * s + x]) continue;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int u = x + dx, v = y + dy;
                    if (u >= 0 && v >= 0 && u < s && v < s) wall[v * s + u] = 2;
                }
        }
    int qh = 0, qt = 0;
    for (int k = 0; k < s; k++) {
        int b[4] = {k, (s - 1) * s + k, k * s, k * s + s - 1};
        for (int e = 0; e < 4; e++)
            if (!wall[b[e]]) wall[b[e]] = 1, queue[qt++] = b[e];
    }
    while (qh < qt) {
        int i = queue[qh++], x = i % s, y = i / s;
        const int nb[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
        for (int e = 0; e < 4; e++) {
            int u = x + nb[e][0], v = y + nb[e][1];
            if (u < 0 || v < 0 || u >= s || v >= s || wall[v * s + u]) continue;
            wall[v * s + u] = 1, queue[qt++] = v * s + u;
        }
    }
    /* not reached (the enclosed paper) and the walls next to it are inside */
    for (size_t i = 0; i < n; i++) inside[i] = wall[i] != 1;
}

/* enclosed(); *closed = it encloses at least min_inside of the image;
 * returns whether it also holds half of the hint pixels (a doodle whose
 * strokes miss each other often encloses only a small loop, and the dabs
 * lie outside it). */
static int encloses(int s, const uint8_t *line, const struct zt_image *hint_mask, double min_inside,
                    uint8_t *inside, int *queue, int *closed)
{
    size_t n = (size_t)s * s, nin = 0, hints = 0, held = 0;
    enclosed(s, line, inside, queue);
    for (size_t i = 0; i < n; i++) {
        nin += inside[i];
        if (hint_mask->px[i] < 128) continue;
        hints++;
        held += inside[i];
    }
    *closed = nin >= (size_t)(min_inside * (double)n);
    return *closed && 2 * held >= hints;
}

/* out = line closed by a square of radius t (dilated, then eroded): gaps
 * up to 2t wide bridged, the outline otherwise as drawn. tmp: s * s. */
static void close_lines(int s, const uint8_t *line, int t, uint8_t *out, uint8_t *tmp)
{
    for (int pass = 0; pass < 4; pass++) { /* dilate x, y; erode x, y */
        const uint8_t *src = pass == 0 ? line : pass & 1 ? tmp : out;
        uint8_t *dst = pass & 1 ? out : tmp;
        int dilate = pass < 2, vert = pass & 1;
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++) {
                int v = !dilate;
                for (int k = -t; k <= t; k++) {
                    int u = vert ? y + k : x + k;
                    if (u < 0 || u >= s) continue;
                    uint8_t q = src[vert ? u * s + x : y * s + u];
                    v = dilate ? v | q : v & q;
                }
                dst[y * s + x] = (uint8_t)v;
            }
    }
}

/* The garment as the network painted it: trained to paint it on white, the
 * network marks where the garment is even where the outline does not.
 * inside[i] = pixel i is further than paper from white in Lab; ink[i], how
 * much of the hint's colour it takes: 0 there, 1 from twice as far (a faint
 * haze the network paints beside a garment is not the garment). */
static void painted(size_t n, const float *lab, float paper, uint8_t *inside, float *ink)
{
    for (size_t i = 0; i < n; i++) {
        float dl = 100.0f - lab[3 * i], a = lab[3 * i + 1], b = lab[3 * i + 2];
        float dw = sqrtf(dl * dl + a * a + b * b);
        inside[i] = dw >= paper;
        ink[i] = ZT_CLAMP((dw - paper) / paper, 0.0f, 1.0f);
    }
}

/* The network echoes a dab: it paints the dab's edge as a ring, or a spot
 * of its own shade. On the garment, the dab's pixels and those within r of
 * it (the zone) are filled in from the garment around them, ring by ring
 * from the zone's edge inwards (each pixel the mean of its neighbours
 * already known: the garment outside the zone, same piece, not a line), so
 * the network's shading runs on under the dab. filled[i] = 1 where it did;
 * past STAMP_DEPTH rings (the inside of a big scribble) a pixel keeps its
 * own. */
/* out = the mean Lab of (x, y)'s 8 neighbours that are known (zone 2) on
 * its garment; returns how many there were (out untouched when none). */
static int known_mean(int s, int x, int y, const uint8_t *zone, const int *blob, const float *lab,
                      float *out)
{
    int i = y * s + x, k = 0;
    double acc[3] = {0, 0, 0};
    for (int v = ZT_MAX(y - 1, 0); v <= ZT_MIN(y + 1, s - 1); v++)
        for (int u = ZT_MAX(x - 1, 0); u <= ZT_MIN(x + 1, s - 1); u++) {
            int j = v * s + u;
            if (j == i || zone[j] != 2 || blob[j] != blob[i]) continue;
            for (int c = 0; c < 3; c++) acc[c] += lab[3 * (size_t)j + c];
            k++;
        }
    for (int c = 0; c < 3 && k; c++) out[c] = (float)(acc[c] / k);
    return k;
}

#define STAMP_DEPTH 8
#define STAMP_SMOOTH 32
static int fill_stamps(int s, const int *label, const uint8_t *line, const int *blob, int r,
                       float *lab, uint8_t *filled)
{
    size_t n = (size_t)s * s;
    uint8_t *zone = calloc(n, 1); /* 1 = to fill, 2 = known */
    float *next = malloc(sizeof(float) * 3 * n);
    if (!zone || !next) {
        free(zone);
        free(next);
        return ZT_ENOMEM;
    }
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++) {
            if (label[y * s + x] < 0) continue;
            for (int v = ZT_MAX(y - r, 0); v <= ZT_MIN(y + r, s - 1); v++)
                for (int u = ZT_MAX(x - r, 0); u <= ZT_MIN(x + r, s - 1); u++) {
                    int j = v * s + u;
                    if (blob[j] >= 0 && !line[j]) zone[j] = 1;
                }
        }
    for (size_t i = 0; i < n; i++)
        if (!zone[i] && blob[i] >= 0 && !line[i] && label[i] < 0) zone[i] = 2;
    for (int pass = 0; pass < STAMP_DEPTH; pass++) {
        int any = 0;
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++) {
                int i = y * s + x;
                if (zone[i] != 1 || known_mean(s, x, y, zone, blob, lab, next + 3 * (size_t)i) < 2)
                    continue;
                filled[i] = 1, any = 1;
            }
        if (!any) break;
        for (size_t i = 0; i < n; i++) /* this ring is known for the next */
            if (zone[i] == 1 && filled[i]) {
                memcpy(lab + 3 * i, next + 3 * i, sizeof(float) * 3);
                zone[i] = 2;
            }
    }
    /* the rings leave facets: smoothed to the harmonic fill of the garment
     * around (Jacobi steps, the known pixels fixed) */
    for (int it = 0; it < STAMP_SMOOTH; it++) {
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++) {
                size_t i = (size_t)y * s + x;
                if (filled[i] && !known_mean(s, x, y, zone, blob, lab, next + 3 * i))
                    memcpy(next + 3 * i, lab + 3 * i, sizeof(float) * 3);
            }
        for (size_t i = 0; i < n; i++)
            if (filled[i]) memcpy(lab + 3 * i, next + 3 * i, sizeof(float) * 3);
    }
    free(zone);
    free(next);
    return ZT_OK;
}

int zt_hints_recolour(struct zt_image *img, const struct zt_image *edges,
                      const struct zt_image *hint_rgb, const struct zt_image *hint_mask,
                      const struct zt_recolour_params *p)
{
    int s = img->w;
    if (img->h != s || img->c != 3 || edges->w != s || edges->h != s || edges->c != 1 ||
        hint_rgb->w != s || hint_rgb->h != s || hint_rgb->c != 3 || hint_mask->w != s ||
        hint_mask->h != s || hint_mask->c != 1) {
        zt_seterr("recolour: the image and planes must be %dx%d (3, 1, 3, 1 channels)", s, s);
        return ZT_EINVAL;
    }
    struct zt_recolour_params dp;
    if (!p) zt_recolour_params_default(&dp), p = &dp;
    size_t n = (size_t)s * s;
    int any = 0;
    for (size_t i = 0; i < n && !any; i++) any = hint_mask->px[i] >= 128;
    if (!any) return ZT_OK;

    int rc = ZT_ENOMEM, nd = 0;
    int *label = malloc(sizeof(int) * n), *queue = malloc(sizeof(int) * n);
    uint8_t *line = malloc(n), *inside = malloc(n), *filled = NULL, *closed_line = NULL, *tmp = NULL;
    float *lab = malloc(sizeof(float) * 3 * n), *all = NULL, *ink = NULL;
    int *blob = NULL;
    float(*ref)[3] = NULL;
    double(*dab)[8] = NULL; /* per dab: hint L a b, generated L a b sums, pixels, its garment */
    struct heap h = {0};
    if (!label || !queue || !line || !inside || !lab) goto out;
    for (size_t i = 0; i < n; i++) {
        line[i] = edges->px[i] < 128;
        label[i] = -1;
        zt_rgb_to_lab(img->px + 3 * i, lab + 3 * i);
    }
    /* dabs: 8-connected pieces of the hint mask of one colour (within 24
     * levels per channel of where the piece started) */
    for (size_t i0 = 0; i0 < n; i0++) {
        if (hint_mask->px[i0] < 128 || label[i0] >= 0) continue;
        double(*nd_dab)[8] = realloc(dab, sizeof *dab * (size_t)(nd + 1));
        if (!nd_dab) goto out;
        dab = nd_dab;
        memset(dab[nd], 0, sizeof dab[nd]);
        const uint8_t *col = hint_rgb->px + 3 * i0;
        int qh = 0, qt = 0;
        queue[qt++] = (int)i0, label[i0] = nd;
        while (qh < qt) {
            int i = queue[qh++], x = i % s, y = i / s;
            float hl[3];
            zt_rgb_to_lab(hint_rgb->px + 3 * (size_t)i, hl);
            for (int c = 0; c < 3; c++) dab[nd][c] += hl[c], dab[nd][3 + c] += lab[3 * (size_t)i + c];
            dab[nd][6]++;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int u = x + dx, v = y + dy;
                    if (u < 0 || v < 0 || u >= s || v >= s) continue;
                    int j = v * s + u;
                    const uint8_t *cj = hint_rgb->px + 3 * (size_t)j;
                    if (label[j] >= 0 || hint_mask->px[j] < 128 || abs(cj[0] - col[0]) > 24 ||
                        abs(cj[1] - col[1]) > 24 || abs(cj[2] - col[2]) > 24)
                        continue; /* one dab: its anti-aliased rim too, not a touching colour */
                    label[j] = nd, queue[qt++] = j;
                }
        }
        nd++;
    }
    /* where the colours may go: the region the outline encloses (all of
     * it: a dab says what colour the garment is); else the garment the
     * network painted; else (paper 0), for an open outline, fading with
     * the distance to the nearest dab. A dab always colours its own pixels */
    int closed, holds = encloses(s, line, hint_mask, p->min_inside, inside, queue, &closed);
    /* a doodle's gaps: the lines closed by t (one more each time) until
     * they hold the dabs; the geodesic walls stay the lines as drawn */
    int tmax = (int)ceil(p->gap * s / 2);
    if (!holds && tmax >= 2) {
        if (!(closed_line = malloc(n)) || !(tmp = malloc(n))) goto out;
        int c2 = 0;
        for (int t = 2; t <= tmax && !holds; t++) {
            close_lines(s, line, t, closed_line, tmp);
            holds = encloses(s, closed_line, hint_mask, p->min_inside, inside, queue, &c2);
        }
        if (holds) closed = 1;
        else if (p->paper <= 0) encloses(s, line, hint_mask, p->min_inside, inside, queue, &c2);
    }
    /* no closing holds the dabs (strokes far apart, a sketch of loose
     * lines): the garment is what the network painted on the paper, each
     * connected piece of it a garment of its own */
    if (!holds && p->paper > 0) {
        if (!(ink = malloc(sizeof(float) * n))) goto out;
        painted(n, lab, (float)p->paper, inside, ink);
        for (size_t i = 0; i < n; i++) inside[i] |= label[i] >= 0;
        closed = 1;
    }
    if (!closed) memset(inside, 1, n);
    /* garments: the connected pieces of the enclosed region, walls
     * included (a seam splits the inside, not the garment); a pixel takes
     * the colours of the dabs on its own garment */
    if (!(blob = malloc(sizeof(int) * n))) goto out;
    int nblob = 0;
    for (size_t i = 0; i < n; i++) blob[i] = -1;
    for (size_t i0 = 0; i0 < n; i0++) {
        if (!inside[i0] || blob[i0] >= 0) continue;
        int qh = 0, qt = 0;
        queue[qt++] = (int)i0, blob[i0] = nblob;
        while (qh < qt) {
            int i = queue[qh++], x = i % s, y = i / s;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int u = x + dx, v = y + dy;
                    if (u < 0 || v < 0 || u >= s || v >= s) continue;
                    int j = v * s + u;
                    if (inside[j] && blob[j] < 0) blob[j] = nblob, queue[qt++] = j;
                }
        }
        nblob++;
    }
    for (int d = 0; d < nd; d++) dab[d][7] = -1;
    for (size_t i = 0; i < n; i++) /* a dab's garment: where it lies */
        if (label[i] >= 0 && blob[i] >= 0) dab[label[i]][7] = blob[i];
    if (p->stamp > 0) {
        if (!(filled = calloc(n, 1))) goto out;
        if ((rc = fill_stamps(s, label, line, blob, p->stamp, lab, filled))) goto out;
        rc = ZT_ENOMEM;
    }
    float sigma = (float)(p->reach * s), wall = (float)(p->wall * s);
    if (nd > p->max_dabs) nd = p->max_dabs; /* the first ones, top to bottom */
    if (!(all = malloc(sizeof(float) * n * (size_t)nd))) goto out;
    for (int d = 0; d < nd; d++)
        if ((rc = geodesic(s, label, d, line, wall, all + (size_t)d * n, &h))) goto out;
    rc = ZT_ENOMEM;
    /* the colour each dab corrects: the generated mean over the garment
     * around it (weighted by distance, the dab itself left out). The
     * network often paints the hint's colour under the dab alone; measured
     * there, the correction would leave the rest of the garment as it was */
    if (!(ref = calloc((size_t)nd, sizeof *ref))) goto out;
    for (int d = 0; d < nd; d++) {
        double acc[4] = {0, 0, 0, 0};
        for (size_t i = 0; i < n; i++) {
            if (label[i] >= 0 || !inside[i] || blob[i] != dab[d][7]) continue;
            float r = all[(size_t)d * n + i] / sigma, w = expf(-r * r);
            for (int c = 0; c < 3; c++) acc[c] += w * lab[3 * i + c];
            acc[3] += w;
        }
        for (int c = 0; c < 3; c++) /* nothing around it: its own pixels */
            ref[d][c] = acc[3] > 1e-3 ? (float)(acc[c] / acc[3]) : (float)(dab[d][3 + c] / dab[d][6]);
    }
    for (size_t i = 0; i < n; i++) {
        if (!inside[i] && label[i] < 0) continue;
        int own = label[i] < nd ? label[i] : -1; /* past max_dabs: as the garment */
        float dmin = INFINITY;
        for (int d = 0; d < nd; d++)
            if (own >= 0 || !inside[i] ? own == d : dab[d][7] == blob[i])
                dmin = fminf(dmin, all[(size_t)d * n + i]);
        if (!isfinite(dmin)) continue;
        /* weights relative to the nearest dab, so the nearest always counts */
        float wsum = 0, sh[3] = {0, 0, 0};
        for (int d = 0; d < nd; d++) {
            float dd = all[(size_t)d * n + i];
            /* a dab's own pixels: its colour; inside: the dabs inside (one
             * on the background says nothing of the garment) */
            if (own >= 0 || !inside[i] ? own != d : dab[d][7] != blob[i]) continue;
            float w = expf(-(dd * dd - dmin * dmin) / (sigma * sigma));
            if (w < 1e-4f) continue;
            wsum += w;
            /* the hint's colour with the network's variation around its
             * reference: lightness in full (the shading), chroma shrunk
             * (a red network paints red unevenly; brown should not be) */
            for (int c = 0; c < 3; c++) {
                float r0 = label[i] == d && !(filled && filled[i]) ? (float)(dab[d][3 + c] / dab[d][6])
                                                                    : ref[d][c];
                sh[c] += w * ((float)(dab[d][c] / dab[d][6]) +
                              (c ? p->chroma_keep : 1.0f) * (lab[3 * i + c] - r0));
            }
        }
        if (wsum <= 0) continue;
        float conf = label[i] >= 0 ? 1.0f
                     : ink       ? ink[i]
                     : closed    ? 1.0f
                                 : expf(-dmin * dmin / (sigma * sigma)), l[3];
        for (int c = 0; c < 3; c++) l[c] = lab[3 * i + c] + conf * (sh[c] / wsum - lab[3 * i + c]);
        l[0] = ZT_CLAMP(l[0], 0.0f, 100.0f);
        zt_lab_to_rgb(l, img->px + 3 * i);
    }
    rc = ZT_OK;
out:
    if (rc == ZT_ENOMEM) zt_seterr("recolour: out of memory");
    free(label);
    free(queue);
    free(line);
    free(inside);
    free(filled);
    free(closed_line);
    free(tmp);
    free(lab);
    free(all);
    free(ink);
    free(blob);
    free(ref);
    free(dab);
    free(h.c);
    free(h.i);
    return rc;
}
