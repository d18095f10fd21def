/* conv_ref.c: reference convolution kernels (plain loops, PyTorch semantics)
 * and zt_conv_desc_init. The spec every fast kernel is tested against:
 * readable first, fast never. */
#include "conv.h"
#include "../util/zt.h"

#include <limits.h>
#include <string.h>

/* --- descriptor --- */

int zt_conv_desc_init(struct zt_conv_desc *d)
{
    if (!d) {
        zt_seterr("conv: NULL descriptor");
        return ZT_EINVAL;
    }
    if (d->n < 1 || d->cin < 1 || d->h < 1 || d->w < 1 || d->cout < 1) {
        zt_seterr("conv: input (%d, %d, %d, %d) and cout %d must all be >= 1", d->n, d->cin,
                  d->h, d->w, d->cout);
        return ZT_EINVAL;
    }
    if (d->kh < 1 || d->kw < 1) {
        zt_seterr("conv: kernel %dx%d must be >= 1", d->kh, d->kw);
        return ZT_EINVAL;
    }
    if (d->sh < 1 || d->sw < 1) {
        zt_seterr("conv: stride %dx%d must be >= 1", d->sh, d->sw);
        return ZT_EINVAL;
    }
    if (d->ph < 0 || d->pw < 0) {
        zt_seterr("conv: padding %dx%d must be >= 0", d->ph, d->pw);
        return ZT_EINVAL;
    }
    if (d->dh < 1 || d->dw < 1) {
        zt_seterr("conv: dilation %dx%d must be >= 1", d->dh, d->dw);
        return ZT_EINVAL;
    }
    if (d->groups < 1 || d->cin % d->groups || d->cout % d->groups) {
        zt_seterr("conv: groups %d must be >= 1 and divide cin %d and cout %d", d->groups,
                  d->cin, d->cout);
        return ZT_EINVAL;
    }
    if (d->transposed != 0 && d->transposed != 1) {
        zt_seterr("conv: transposed must be 0 or 1, got %d", d->transposed);
        return ZT_EINVAL;
    }
    int64_t oh, ow;
    if (!d->transposed) {
        if (d->oph || d->opw) {
            zt_seterr("conv: output_padding %dx%d is only for transposed convolutions", d->oph,
                      d->opw);
            return ZT_EINVAL;
        }
        /* PyTorch Conv2d: floor((h + 2p - d(k-1) - 1) / s) + 1 */
        int64_t eh = (int64_t)d->h + 2 * (int64_t)d->ph - (int64_t)d->dh * (d->kh - 1) - 1;
        int64_t ew = (int64_t)d->w + 2 * (int64_t)d->pw - (int64_t)d->dw * (d->kw - 1) - 1;
        if (eh < 0 || ew < 0) {
            zt_seterr("conv: input %dx%d (padded %lldx%lld) is smaller than the dilated "
                      "kernel %lldx%lld",
                      d->h, d->w, (long long)d->h + 2LL * d->ph, (long long)d->w + 2LL * d->pw,
                      (long long)d->dh * (d->kh - 1) + 1, (long long)d->dw * (d->kw - 1) + 1);
            return ZT_EINVAL;
        }
        oh = eh / d->sh + 1;
        ow = ew / d->sw + 1;
    } else {
        /* PyTorch: output padding must be smaller than either stride or dilation */
        if (d->oph < 0 || d->opw < 0 || (d->oph >= d->sh && d->oph >= d->dh) ||
            (d->opw >= d->sw && d->opw >= d->dw)) {
            zt_seterr("conv: output_padding %dx%d must be >= 0 and smaller than either "
                      "stride %dx%d or dilation %dx%d",
                      d->oph, d->opw, d->sh, d->sw, d->dh, d->dw);
            return ZT_EINVAL;
        }
        /* PyTorch ConvTranspose2d: (h - 1)s - 2p + d(k-1) + op + 1 */
        oh = ((int64_t)d->h - 1) * d->sh - 2 * (int64_t)d->ph + (int64_t)d->dh * (d->kh - 1) +
             d->oph + 1;
        ow = ((int64_t)d->w - 1) * d->sw - 2 * (int64_t)d->pw + (int64_t)d->dw * (d->kw - 1) +
             d->opw + 1;
        if (oh < 1 || ow < 1) {
            zt_seterr("conv: transposed output size %lldx%lld is too small (padding %dx%d too "
                      "large for input %dx%d)",
                      (long long)oh, (long long)ow, d->ph, d->pw, d->h, d->w);
            return ZT_EINVAL;
        }
    }
    if (oh > INT_MAX || ow > INT_MAX) {
        zt_seterr("conv: output size %lldx%lld too large", (long long)oh, (long long)ow);
        return ZT_EINVAL;
    }
    /* element counts must fit int64 comfortably; 2^40 floats is already 4 TiB */
    const int64_t lim = (int64_t)1 << 40;
    int64_t nin = (int64_t)d->n * d->cin, nout = (int64_t)d->n * d->cout;
    if (nin * d->h > lim / d->w || nout * oh > lim / ow ||
        (int64_t)d->cin * (d->cout / d->groups) > lim / ((int64_t)d->kh * d->kw)) {
        zt_seterr("conv: tensor sizes too large");
        return ZT_EINVAL;
    }
    d->oh = (int)oh;
    d->ow = (int)ow;
    return ZT_OK;
}

/* --- geometry shared by conv and transposed conv ---
 *
 * A transposed convolution is the adjoint of an ordinary one, so both are
 * described by one "conv geometry": an image side I (n, ci, ih, iw) and a
 * window side O (n, co, oh, ow); window position (oy, ox) reads image pixels
 * (oy*sh - ph + ky*dh, ox*sw - pw + kx*dw), channels are split in groups, and
 * the weight is (co, ci/groups, kh, kw). For conv2d, I = x and O = y; for
 * conv_transpose2d, I = y and O = x, and PyTorch's weight (cin, cout/g, kh, kw)
 * is exactly that (co, ci/g, kh, kw) layout. Three loops then cover all six
 * kernels:
 *   gather : O  = sum_w W * I      (conv fwd, transposed bwd-data)
 *   scatter: I += sum_w W * O      (conv bwd-data, transposed fwd)
 *   wgrad  : W += sum   O * I      (bwd-weights of both) */
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

/* O[n, oc, oy, ox] (+)= sum_{ic, ky, kx} W[oc, ic, ky, kx] * I[n, g*cipg + ic, iy, ix] */
static void gather(const struct geom *g, const float *in, const float *wt, float *out,
                   int accumulate)
{
    int cipg = g->ci / g->groups, copg = g->co / g->groups;
    for (int n = 0; n < g->n; n++)
        for (int oc = 0; oc < g->co; oc++) {
            int grp = oc / copg;
            for (int oy = 0; oy < g->oh; oy++)
                for (int ox = 0; ox < g->ow; ox++) {
                    double acc = 0;
                    for (int ic = 0; ic < cipg; ic++) {
                        const float *ip =
                            in + ((int64_t)n * g->ci + grp * cipg + ic) * g->ih * g->iw;
                        const float *wp = wt + ((int64_t)oc * cipg + ic) * g->kh * g->kw;
                        for (int ky = 0; ky < g->kh; ky++) {
                            int iy = oy * g->sh - g->ph + ky * g->dh;
                            if (iy < 0 || iy >= g->ih) continue;
                            for (int kx = 0; kx < g->kw; kx++) {
                                int ix = ox * g->sw - g->pw + kx * g->dw;
                                if (ix < 0 || ix >= g->iw) continue;
                                acc += (double)wp[ky * g->kw + kx] * ip[(int64_t)iy * g->iw + ix];
                            }
                        }
                    }
                    float *op = out + (((int64_t)n * g->co + oc) * g->oh + oy) * g->ow + ox;
                    *op = accumulate ? *op + (float)acc : (float)acc;
                }
        }
}

/* I[n, g*cipg + ic, iy, ix] (+)= sum over windows of W[oc, ic, ky, kx] * O[n, oc, oy, ox] */
static void scatter(const struct geom *g, const float *out, const float *wt, float *in,
                    int accumulate)
{
    int cipg = g->ci / g->groups, copg = g->co / g->groups;
    if (!accumulate) memset(in, 0, sizeof(float) * (size_t)g->n * g->ci * g->ih * g->iw);
    for (int n = 0; n < g->n; n++)
        for (int oc = 0; oc < g->co; oc++) {
            int grp = oc / copg;
            for (int ic = 0; ic < cipg; ic++) {
                float *ip = in + ((int64_t)n * g->ci + grp * cipg + ic) * g->ih * g->iw;
                const float *wp = wt + ((int64_t)oc * cipg + ic) * g->kh * g->kw;
                const float *op = out + ((int64_t)n * g->co + oc) * g->oh * g->ow;
                for (int oy = 0; oy < g->oh; oy++)
                    for (int ox = 0; ox < g->ow; ox++) {
                        float o = op[(int64_t)oy * g->ow + ox];
                        for (int ky = 0; ky < g->kh; ky++) {
                            int iy = oy * g->sh - g->ph + ky * g->dh;
                            if (iy < 0 || iy >= g->ih) continue;
                            for (int kx = 0; kx < g->kw; kx++) {
                                int ix = ox * g->sw - g->pw + kx * g->dw;
                                if (ix < 0 || ix >= g->iw) continue;
                                ip[(int64_t)iy * g->iw + ix] += wp[ky * g->kw + kx] * o;
                            }
                        }
                    }
            }
        }
}

/* W[oc, ic, ky, kx] (+)= sum_{n, oy, ox} O[n, oc, oy, ox] * I[n, g*cipg + ic, iy, ix] */
static void wgrad(const struct geom *g, const float *in, const float *out, float *wt,
                  int accumulate)
{
    int cipg = g->ci / g->groups, copg = g->co / g->groups;
    for (int oc = 0; oc < g->co; oc++) {
        int grp = oc / copg;
        for (int ic = 0; ic < cipg; ic++)
            for (int ky = 0; ky < g->kh; ky++)
                for (int kx = 0; kx < g->kw; kx++) {
                    double acc = 0;
                    for (int n = 0; n < g->n; n++) {
                        const float *ip =
                            in + ((int64_t)n * g->ci + grp * cipg + ic) * g->ih * g->iw;
                        const float *op = out + ((int64_t)n * g->co + oc) * g->oh * g->ow;
                        for (int oy = 0; oy < g->oh; oy++) {
                            int iy = oy * g->sh - g->ph + ky * g->dh;
                            if (iy < 0 || iy >= g->ih) continue;
                            for (int ox = 0; ox < g->ow; ox++) {
                                int ix = ox * g->sw - g->pw + kx * g->dw;
                                if (ix < 0 || ix >= g->iw) continue;
                                acc += (double)op[(int64_t)oy * g->ow + ox] *
                                       ip[(int64_t)iy * g->iw + ix];
                            }
                        }
                    }
                    float *wp = wt + (((int64_t)oc * cipg + ic) * g->kh + ky) * g->kw + kx;
                    *wp = accumulate ? *wp + (float)acc : (float)acc;
                }
    }
}

/* t[n, c, :, :] += b[c] for t (n, c, hw) */
void zt_conv_add_bias(float *t, const float *b, int n, int c, int64_t hw)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < c; j++) {
            float *p = t + ((int64_t)i * c + j) * hw;
            for (int64_t k = 0; k < hw; k++) p[k] += b[j];
        }
}

/* db[c] (+)= sum_{n, hw} t[n, c, hw] */
void zt_conv_sum_bias(const float *t, float *db, int n, int c, int64_t hw, int accumulate)
{
    for (int j = 0; j < c; j++) {
        double acc = 0;
        for (int i = 0; i < n; i++) {
            const float *p = t + ((int64_t)i * c + j) * hw;
            for (int64_t k = 0; k < hw; k++) acc += p[k];
        }
        db[j] = accumulate ? db[j] + (float)acc : (float)acc;
    }
}

/* --- the six kernels --- */

/* x: (n, cin, h, w)  w: conv (cout, cin/g, kh, kw) | transposed (cin, cout/g, kh, kw)
 * b: (cout) or NULL  y: (n, cout, oh, ow) */
void zt_conv_ref_fwd(void *ctx, const struct zt_conv_desc *d, const float *x, const float *w,
                     const float *b, float *y)
{
    (void)ctx;
    struct geom g = geom_of(d);
    if (!d->transposed) gather(&g, x, w, y, 0);
    else scatter(&g, x, w, y, 0);
    if (b) zt_conv_add_bias(y, b, d->n, d->cout, (int64_t)d->oh * d->ow);
}

/* dy: (n, cout, oh, ow)  dx: (n, cin, h, w) */
void zt_conv_ref_bwd_data(void *ctx, const struct zt_conv_desc *d, const float *dy,
                          const float *w, float *dx, int accumulate)
{
    (void)ctx;
    struct geom g = geom_of(d);
    if (!d->transposed) scatter(&g, dy, w, dx, accumulate);
    else gather(&g, dy, w, dx, accumulate);
}

/* x: (n, cin, h, w)  dy: (n, cout, oh, ow)  dw: like w  db: (cout) or NULL */
void zt_conv_ref_bwd_weights(void *ctx, const struct zt_conv_desc *d, const float *x,
                             const float *dy, float *dw, float *db, int accumulate)
{
    (void)ctx;
    struct geom g = geom_of(d);
    if (!d->transposed) wgrad(&g, x, dy, dw, accumulate);
    else wgrad(&g, dy, x, dw, accumulate);
    if (db) zt_conv_sum_bias(dy, db, d->n, d->cout, (int64_t)d->oh * d->ow, accumulate);
}
