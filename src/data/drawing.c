/* drawing.c: drawings -> generator planes (split, pad to square, reduce). */
#include "drawing.h"
#include "../img/edges.h"
#include "../img/hints.h"
#include "../util/zt.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void zt_planes_deinit(struct zt_planes *p)
{
    if (!p) return;
    zt_image_free(&p->edges);
    zt_image_free(&p->hint_rgb);
    zt_image_free(&p->hint_mask);
}

/* The square [ox, ox + side) x [oy, oy + side) of the planes (outside them:
 * paper) reduced to size x size. */
static int reduce_square(const struct zt_image *edges, const struct zt_image *hint_rgb,
                         const struct zt_image *hint_mask, int ox, int oy, int side, int size,
                         struct zt_planes *out)
{
    int w = edges->w, h = edges->h;
    if (hint_rgb->w != w || hint_rgb->h != h || hint_mask->w != w || hint_mask->h != h ||
        edges->c != 1 || hint_rgb->c != 3 || hint_mask->c != 1 || size < 8) {
        zt_seterr("drawing planes: sizes or channels differ");
        return ZT_EINVAL;
    }
    struct zt_planes p = {0};
    int rc;
    if ((rc = zt_image_new(&p.edges, size, size, 1)) ||
        (rc = zt_image_new(&p.hint_rgb, size, size, 3)) ||
        (rc = zt_image_new(&p.hint_mask, size, size, 1))) {
        zt_planes_deinit(&p);
        return rc;
    }
    for (int Y = 0; Y < size; Y++) {
        int y0 = (int)((int64_t)Y * side / size) + oy, y1 = (int)((int64_t)(Y + 1) * side / size) + oy;
        if (y1 <= y0) y1 = y0 + 1;
        for (int X = 0; X < size; X++) {
            int x0 = (int)((int64_t)X * side / size) + ox, x1 = (int)((int64_t)(X + 1) * side / size) + ox;
            if (x1 <= x0) x1 = x0 + 1;
            int line = 0;
            long nh = 0, sr = 0, sg = 0, sb = 0;
            for (int y = ZT_MAX(y0, 0); y < ZT_MIN(y1, h); y++)
                for (int x = ZT_MAX(x0, 0); x < ZT_MIN(x1, w); x++) {
                    size_t i = (size_t)y * w + x;
                    if (edges->px[i] < 128) line = 1;
                    if (hint_mask->px[i] >= 128) {
                        nh++;
                        sr += hint_rgb->px[3 * i];
                        sg += hint_rgb->px[3 * i + 1];
                        sb += hint_rgb->px[3 * i + 2];
                    }
                }
            size_t o = (size_t)Y * size + X;
            p.edges.px[o] = line ? 0 : 255;
            if (nh) {
                p.hint_mask.px[o] = 255;
                p.hint_rgb.px[3 * o] = (uint8_t)((sr + nh / 2) / nh);
                p.hint_rgb.px[3 * o + 1] = (uint8_t)((sg + nh / 2) / nh);
                p.hint_rgb.px[3 * o + 2] = (uint8_t)((sb + nh / 2) / nh);
            }
        }
    }
    *out = p;
    return ZT_OK;
}

int zt_planes_reduce(const struct zt_image *edges, const struct zt_image *hint_rgb,
                     const struct zt_image *hint_mask, int size, struct zt_planes *out)
{
    /* the square that holds the drawing, centred; outside it is paper */
    int w = edges->w, h = edges->h, side = w > h ? w : h;
    return reduce_square(edges, hint_rgb, hint_mask, -(side - w) / 2, -(side - h) / 2, side, size,
                         out);
}

/* The box around the ink of a 1-channel edges plane (< 128 = line) and,
 * when given, a hint mask of its size (>= 128 = hint): *x0, *y0 its first
 * pixel, *x1, *y1 its last; *x1 = -1 when there is none. */
static void ink_box(const struct zt_image *edges, const struct zt_image *hint_mask, int *x0,
                    int *y0, int *x1, int *y1)
{
    int w = edges->w, h = edges->h;
    *x0 = w, *y0 = h, *x1 = -1, *y1 = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (edges->px[i] >= 128 && !(hint_mask && hint_mask->px[i] >= 128)) continue;
            *x0 = ZT_MIN(*x0, x), *x1 = ZT_MAX(*x1, x), *y0 = ZT_MIN(*y0, y), *y1 = ZT_MAX(*y1, y);
        }
}

int zt_planes_reframe(const struct zt_image *edges, const struct zt_image *hint_rgb,
                      const struct zt_image *hint_mask, int size, float fill,
                      struct zt_planes *out)
{
    int w = edges->w, h = edges->h, x0, y0, x1 = -1, y1;
    if (!(fill > 0.05f && fill <= 1.0f)) {
        zt_seterr("drawing planes: fill %.3g is not in (0.05, 1]", (double)fill);
        return ZT_EINVAL;
    }
    if (hint_mask->w == w && hint_mask->h == h && edges->c == 1 && hint_mask->c == 1)
        ink_box(edges, hint_mask, &x0, &y0, &x1, &y1);
    if (x1 < 0) return zt_planes_reduce(edges, hint_rgb, hint_mask, size, out); /* blank */
    int bw = x1 - x0 + 1, bh = y1 - y0 + 1, big = ZT_MAX(bw, bh);
    /* at least size / 2 pixels: a speck is not blown up into blocks */
    int side = ZT_MAX((int)ceilf((float)big / fill), ZT_MIN(size / 2, ZT_MAX(w, h)));
    return reduce_square(edges, hint_rgb, hint_mask, x0 + bw / 2 - side / 2, y0 + bh / 2 - side / 2,
                         side, size, out);
}

int zt_drawing_planes(const struct zt_image *lines, const struct zt_image *hints, int size,
                      float frame, struct zt_planes *out)
{
    struct zt_image e = {0}, hr = {0}, hm = {0};
    int rc = hints ? zt_drawing_split_layers(lines, hints, NULL, &e, &hr, &hm)
                   : zt_drawing_split(lines, NULL, &e, &hr, &hm);
    if (!rc) rc = frame > 0 ? zt_planes_reframe(&e, &hr, &hm, size, frame, out)
                            : zt_planes_reduce(&e, &hr, &hm, size, out);
    zt_image_free(&e);
    zt_image_free(&hr);
    zt_image_free(&hm);
    return rc;
}

/* Line pixels among the 8 neighbours of (x, y) in a 1-channel image. */
static int line_neighbours(const struct zt_image *im, int x, int y)
{
    int k = 0;
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            int xx = x + dx, yy = y + dy;
            k += (dx || dy) && xx >= 0 && yy >= 0 && xx < im->w && yy < im->h &&
                 im->px[(size_t)yy * im->w + xx] < 128;
        }
    return k;
}

int zt_drawing_line_stats(const struct zt_image *edges, struct zt_line_stats *out)
{
    enum { G = ZT_DENSITY_GRID };
    int x0, y0, x1, y1, rc;
    memset(out, 0, sizeof *out);
    if (edges->c != 1) {
        zt_seterr("line stats: a 1-channel drawing, got %d channels", edges->c);
        return ZT_EINVAL;
    }
    ink_box(edges, NULL, &x0, &y0, &x1, &y1);
    if (x1 < 0) return ZT_OK;
    /* the box, thinned: a thick pen covers no more cells than a thin one */
    struct zt_image box = {0};
    int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    if ((rc = zt_image_crop(edges, x0, y0, bw, bh, &box)) || (rc = zt_edges_thin(&box))) {
        zt_image_free(&box);
        return rc;
    }
    float side = (float)ZT_MAX(bw, bh) / ZT_DENSITY_FILL, cell = side / G;
    /* the box centred in the frame: its corner in frame coordinates */
    float fx = (side - (float)bw) / 2, fy = (side - (float)bh) / 2;
    unsigned char hit[G * G] = {0};
    int n = 0;
    for (int y = 0; y < bh; y++)
        for (int x = 0; x < bw; x++) {
            if (box.px[(size_t)y * bw + x] >= 128) continue;
            int cx = ZT_CLAMP((int)(((float)x + 0.5f + fx) / cell), 0, G - 1);
            int cy = ZT_CLAMP((int)(((float)y + 0.5f + fy) / cell), 0, G - 1);
            n += !hit[cy * G + cx];
            hit[cy * G + cx] = 1;
            out->ends += line_neighbours(&box, x, y) == 1;
        }
    zt_image_free(&box);
    out->density = (float)n / (G * G);
    return ZT_OK;
}
