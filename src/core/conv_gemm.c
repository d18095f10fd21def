/* conv_gemm.c: convolutions as im2col + zt_sgemm (darknet's way), writing
 * and accumulating straight into the caller's plain NCHW buffers: no layout
 * reorders and no temporaries besides one column buffer. One of the AUTO
 * candidates of conv_dnnl.c; strong where weights dwarf the images. */
#include "conv.h"

#include <string.h>

/* the conv geometry of conv_ref.c: image side I (ci, ih, iw), window side
 * O (co, oh, ow), weight (co, ci/g, kh, kw); see the comment there */
struct geom {
    int n, ci, ih, iw, co, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, groups;
};

static struct geom geom_of(const struct zt_conv_desc *d)
{
    struct geom g = {.n = d->n, .kh = d->kh, .kw = d->kw, .sh = d->sh, .sw = d->sw,
                     .ph = d->ph, .pw = d->pw, .dh = d->dh, .dw = d->dw, .groups = d->groups};
    if (!d->transposed) {
        g.ci = d->cin, g.ih = d->h, g.iw = d->w;
        g.co = d->cout, g.oh = d->oh, g.ow = d->ow;
    } else {
        g.ci = d->cout, g.ih = d->oh, g.iw = d->ow;
        g.co = d->cin, g.oh = d->h, g.ow = d->w;
    }
    return g;
}

/* 1x1, stride 1, no padding: the column matrix is the image itself */
static int is_pointwise(const struct geom *g)
{
    return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0;
}

size_t zt_conv_gemm_col_floats(const struct zt_conv_desc *d)
{
    struct geom g = geom_of(d);
    if (is_pointwise(&g)) return 0;
    return (size_t)(g.ci / g.groups) * g.kh * g.kw * g.oh * g.ow;
}

/* col (cipg*kh*kw, oh*ow) = image patches of im (cipg, ih, iw), zero outside */
static void im2col(const struct geom *g, int nt, const float *im, float *col)
{
    int cipg = g->ci / g->groups;
    int64_t ohw = (int64_t)g->oh * g->ow;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int ic = 0; ic < cipg; ic++)
        for (int ky = 0; ky < g->kh; ky++)
            for (int kx = 0; kx < g->kw; kx++) {
                float *cp = col + (((int64_t)ic * g->kh + ky) * g->kw + kx) * ohw;
                const float *ip = im + (int64_t)ic * g->ih * g->iw;
                for (int oy = 0; oy < g->oh; oy++) {
                    int iy = oy * g->sh - g->ph + ky * g->dh;
                    float *row = cp + (int64_t)oy * g->ow;
                    if (iy < 0 || iy >= g->ih) {
                        memset(row, 0, sizeof(float) * (size_t)g->ow);
                        continue;
                    }
                    for (int ox = 0; ox < g->ow; ox++) {
                        int ix = ox * g->sw - g->pw + kx * g->dw;
                        row[ox] = ix >= 0 && ix < g->iw ? ip[(int64_t)iy * g->iw + ix] : 0.0f;
                    }
                }
            }
}

/* im (cipg, ih, iw) += the patches in col (the adjoint of im2col); each
 * thread owns whole channels, so there are no write races */
static void col2im(const struct geom *g, int nt, const float *col, float *im)
{
    int cipg = g->ci / g->groups;
    int64_t ohw = (int64_t)g->oh * g->ow;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int ic = 0; ic < cipg; ic++)
        for (int ky = 0; ky < g->kh; ky++)
            for (int kx = 0; kx < g->kw; kx++) {
                const float *cp = col + (((int64_t)ic * g->kh + ky) * g->kw + kx) * ohw;
                float *ip = im + (int64_t)ic * g->ih * g->iw;
                for (int oy = 0; oy < g->oh; oy++) {
                    int iy = oy * g->sh - g->ph + ky * g->dh;
                    if (iy < 0 || iy >= g->ih) continue;
                    const float *row = cp + (int64_t)oy * g->ow;
                    for (int ox = 0; ox < g->ow; ox++) {
                        int ix = ox * g->sw - g->pw + kx * g->dw;
                        if (ix >= 0 && ix < g->iw) ip[(int64_t)iy * g->iw + ix] += row[ox];
                    }
                }
            }
}

/* O[n, grp] (copg, ohw) (+)= W[grp] (copg, K) x col(I[n, grp]) (K, ohw) */
static void gather(void *ctx, const struct geom *g, const float *in, const float *wt,
                   float *out, int accumulate, float *col)
{
    int cipg = g->ci / g->groups, copg = g->co / g->groups, nt = zt_dnnl_nthreads(ctx);
    int64_t K = (int64_t)cipg * g->kh * g->kw, ohw = (int64_t)g->oh * g->ow;
    for (int n = 0; n < g->n; n++)
        for (int grp = 0; grp < g->groups; grp++) {
            const float *im = in + ((int64_t)n * g->ci + (int64_t)grp * cipg) * g->ih * g->iw;
            const float *cm = im;
            if (!is_pointwise(g)) im2col(g, nt, im, col), cm = col;
            zt_sgemm(ctx, 0, 0, copg, ohw, K, 1.0f, wt + (int64_t)grp * copg * K, K, cm, ohw,
                     accumulate ? 1.0f : 0.0f,
                     out + ((int64_t)n * g->co + (int64_t)grp * copg) * ohw, ohw);
        }
}

/* I[n, grp] (+)= col2im(W[grp]^T (K, copg) x O[n, grp] (copg, ohw)) */
static void scatter(void *ctx, const struct geom *g, const float *out, const float *wt,
                    float *in, int accumulate, float *col)
{
    int cipg = g->ci / g->groups, copg = g->co / g->groups, nt = zt_dnnl_nthreads(ctx);
    int64_t K = (int64_t)cipg * g->kh * g->kw, ohw = (int64_t)g->oh * g->ow;
    if (!accumulate) memset(in, 0, sizeof(float) * (size_t)g->n * g->ci * g->ih * g->iw);
    for (int n = 0; n < g->n; n++)
        for (int grp = 0; grp < g->groups; grp++) {
            float *im = in + ((int64_t)n * g->ci + (int64_t)grp * cipg) * g->ih * g->iw;
            int pw = is_pointwise(g); /* then add the product straight into the image */
            zt_sgemm(ctx, 1, 0, K, ohw, copg, 1.0f, wt + (int64_t)grp * copg * K, K,
                     out + ((int64_t)n * g->co + (int64_t)grp * copg) * ohw, ohw,
                     pw ? 1.0f : 0.0f, pw ? im : col, ohw);
            if (!pw) col2im(g, nt, col, im);
        }
}

/* W[grp] (copg, K) (+)= sum_n O[n, grp] (copg, ohw) x col(I[n, grp])^T (ohw, K) */
static void wgrad(void *ctx, const struct geom *g, const float *in, const float *out,
                  float *wt, int accumulate, float *col)
{
    int cipg = g->ci / g->groups, copg = g->co / g->groups, nt = zt_dnnl_nthreads(ctx);
    int64_t K = (int64_t)cipg * g->kh * g->kw, ohw = (int64_t)g->oh * g->ow;
    for (int n = 0; n < g->n; n++)
        for (int grp = 0; grp < g->groups; grp++) {
            const float *im = in + ((int64_t)n * g->ci + (int64_t)grp * cipg) * g->ih * g->iw;
            const float *cm = im;
            if (!is_pointwise(g)) im2col(g, nt, im, col), cm = col;
            zt_sgemm(ctx, 0, 1, copg, K, ohw, 1.0f,
                     out + ((int64_t)n * g->co + (int64_t)grp * copg) * ohw, ohw, cm, ohw,
                     accumulate || n > 0 ? 1.0f : 0.0f, wt + (int64_t)grp * copg * K, K);
        }
}

void zt_conv_gemm_fwd(void *ctx, const struct zt_conv_desc *d, const float *x, const float *w,
                      const float *b, float *y, float *col)
{
    struct geom g = geom_of(d);
    if (!d->transposed) gather(ctx, &g, x, w, y, 0, col);
    else scatter(ctx, &g, x, w, y, 0, col);
    if (b) zt_conv_add_bias(y, b, d->n, d->cout, (int64_t)d->oh * d->ow);
}

void zt_conv_gemm_bwd_data(void *ctx, const struct zt_conv_desc *d, const float *dy,
                           const float *w, float *dx, int accumulate, float *col)
{
    struct geom g = geom_of(d);
    if (!d->transposed) scatter(ctx, &g, dy, w, dx, accumulate, col);
    else gather(ctx, &g, dy, w, dx, accumulate, col);
}

void zt_conv_gemm_bwd_weights(void *ctx, const struct zt_conv_desc *d, const float *x,
                              const float *dy, float *dw, float *db, int accumulate, float *col)
{
    struct geom g = geom_of(d);
    if (!d->transposed) wgrad(ctx, &g, x, dy, dw, accumulate, col);
    else wgrad(ctx, &g, dy, x, dw, accumulate, col);
    if (db) zt_conv_sum_bias(dy, db, d->n, d->cout, (int64_t)d->oh * d->ow, accumulate);
}
