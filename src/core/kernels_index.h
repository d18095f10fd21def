/* kernels_index.h: index rules shared by the reference kernels
 * (kernels_ref_*.c) and the CUDA kernels (kernels_cuda.cu), written once:
 * PyTorch's source pixels of bilinear and nearest resampling, the source of
 * a padded pixel, and average-pool windows with PyTorch's divisor rule.
 * ZT_HD makes them host + device functions under nvcc. */
#ifndef ZT_KERNELS_INDEX_H
#define ZT_KERNELS_INDEX_H

#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define ZT_HD __host__ __device__
#else
#define ZT_HD
#endif

/* Bilinear: source index pair and weight along one axis, PyTorch's
 * area_pixel_compute_source_index in float. */
static inline ZT_HD void zt_lin_index(int64_t dst, int64_t in, int64_t out, int ac, int64_t *i0,
                                      int64_t *i1, float *l1)
{
    float scale = ac ? (out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f) : (float)in / (float)out;
    float src = ac ? scale * (float)dst : scale * ((float)dst + 0.5f) - 0.5f;
    if (src < 0) src = 0;
    *i0 = (int64_t)src;
    if (*i0 > in - 1) *i0 = in - 1;
    *i1 = *i0 + (*i0 < in - 1 ? 1 : 0);
    *l1 = src - (float)*i0;
}

/* Nearest: PyTorch's nearest_idx (exact for x1 and x2). */
static inline ZT_HD int64_t zt_near_index(int64_t dst, int64_t in, int64_t out)
{
    if (out == in) return dst;
    if (out == 2 * in) return dst >> 1;
    float scale = (float)in / (float)out;
    int64_t i = (int64_t)floorf((float)dst * scale);
    return i < in - 1 ? i : in - 1;
}

/* pad2d: the source index of output index o, -1 for a zero (mode 0: zero
 * padding, else reflect). */
static inline ZT_HD int64_t zt_pad_src(int64_t o, int64_t before, int64_t len, int mode)
{
    int64_t i = o - before;
    if (mode == 0) return i >= 0 && i < len ? i : -1;
    if (i < 0) i = -i;
    if (i >= len) i = 2 * (len - 1) - i;
    return i;
}

/* Average pool: the window [y0, y1) x [x0, x1) of output (oy, ox) clipped
 * to the input, and its divisor (count_include_pad: the window clipped to
 * the padded input, PyTorch's rule). */
static inline ZT_HD void zt_avg_window(int64_t H, int64_t W, int64_t oy, int64_t ox, int64_t K,
                                       int64_t S, int64_t PD, int cip, int64_t *y0, int64_t *y1,
                                       int64_t *x0, int64_t *x1, float *div)
{
    int64_t hs = oy * S - PD, ws = ox * S - PD;
    int64_t he = hs + K < H + PD ? hs + K : H + PD, we = ws + K < W + PD ? ws + K : W + PD;
    int64_t pool = (he - hs) * (we - ws);
    *y0 = hs > 0 ? hs : 0;
    *x0 = ws > 0 ? ws : 0;
    *y1 = he < H ? he : H;
    *x1 = we < W ? we : W;
    *div = (float)(cip ? pool : (*y1 - *y0) * (*x1 - *x0));
}

#endif
