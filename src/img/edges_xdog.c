/* edges_xdog.c: eXtended Difference of Gaussians (Winnemoeller, Kyprianidis
 * and Olsen 2012, "XDoG: an eXtended difference-of-Gaussians compendium"):
 * S = (1+p) G_sigma(I) - p G_{k sigma}(I), T = 1 if S >= eps else
 * 1 + tanh(phi (S - eps)), on I in 0..1. Returns 1 - T as the soft map. */
#include "edges_impl.h"
#include "../util/zt.h"

#include <math.h>
#include <stdlib.h>

int zt__edges_xdog(const struct zt_image *src, const int r[4], const struct zt_edge_params *p,
                   float scale, float *soft)
{
    int w = r[2], h = r[3];
    size_t n = (size_t)w * h;
    float *buf = malloc(4 * n * sizeof *buf);
    if (!buf) {
        zt_seterr("out of memory for XDoG on %dx%d", w, h);
        return ZT_ENOMEM;
    }
    float *in = buf, *g1 = buf + n, *g2 = buf + 2 * n, *tmp = buf + 3 * n;
    zt__edges_gray(src, r, in);
    for (size_t i = 0; i < n; i++) in[i] *= 1.0f / 255.0f;
    float s1 = p->xdog_sigma * scale;
    zt__edges_blur(in, g1, w, h, s1, tmp);
    zt__edges_blur(in, g2, w, h, s1 * p->xdog_k, tmp);
    float pp = p->xdog_p, eps = p->xdog_eps, phi = p->xdog_phi;
    for (size_t i = 0; i < n; i++) {
        /* xdog_flat: the sharpened image minus the blurred one, on white,
         * so only the DoG term (edges) can darken a pixel */
        float s = p->xdog_flat ? 1.0f + pp * (g1[i] - g2[i]) : (1.0f + pp) * g1[i] - pp * g2[i];
        float t = s >= eps ? 1.0f : 1.0f + tanhf(phi * (s - eps));
        soft[i] = ZT_CLAMP(1.0f - t, 0.0f, 1.0f);
    }
    free(buf);
    return ZT_OK;
}
