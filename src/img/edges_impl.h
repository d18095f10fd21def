/* edges_impl.h: private helpers shared by the edge detectors (edges.c,
 * edges_canny.c, edges_xdog.c): float planes, Gaussian blur, scale. */
#ifndef ZT_EDGES_IMPL_H
#define ZT_EDGES_IMPL_H

#include "edges.h"
#include "image.h"

/* Pixels per reference pixel: max(w, h) / 256. */
float zt__edges_scale(int w, int h);
/* Luminance (0.299R + 0.587G + 0.114B, alpha over white) of the sub-
 * rectangle r of src into dst (r[2]*r[3] floats, 0..255). */
void zt__edges_gray(const struct zt_image *src, const int r[4], float *dst);
/* Channel ch (0..2; gray images use their one channel) of the sub-rectangle
 * r, alpha over white, into dst. */
void zt_edges_channel(const struct zt_image *src, const int r[4], int ch, float *dst);
/* Separable Gaussian blur with replicated borders; src and dst may alias.
 * tmp: w*h floats of scratch. sigma <= 0 copies. */
void zt__edges_blur(const float *src, float *dst, int w, int h, float sigma, float *tmp);

/* Canny on the sub-rectangle r of src (already in pixels, not reference
 * units): sets soft[i] to 1 on edge pixels, 0 elsewhere (r[2]*r[3]). */
int zt__edges_canny(const struct zt_image *src, const int r[4], const struct zt_edge_params *p,
                    float scale, float *soft);
/* XDoG on the sub-rectangle r: soft[i] = 1 - T (1 = black line). */
int zt__edges_xdog(const struct zt_image *src, const int r[4], const struct zt_edge_params *p,
                   float scale, float *soft);

#endif
