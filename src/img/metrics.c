/* metrics.c: SSIM and PSNR of two 8-bit images, mirroring
 * skimage.metrics.structural_similarity / peak_signal_noise_ratio. */
#include "image.h"
#include "../util/zt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SSIM_MAXWIN 11

/* Per-plane SSIM as skimage computes it: means, variances and covariance
 * from a separable window k (win taps), C1/C2 from data_range 255, S map
 * cropped by (win-1)/2 on every side and averaged. Only the uncropped part
 * is computed: there every window lies inside the image, so scipy's border
 * mode (reflect) never enters the result. x, y: (h, w) planes. */
static int ssim_plane(const double *x, const double *y, int w, int h, const double *k, int win,
                      double cov_norm, double *out)
{
    const double C1 = (0.01 * 255) * (0.01 * 255), C2 = (0.03 * 255) * (0.03 * 255);
    int ow = w - win + 1, oh = h - win + 1;
    double *hm = malloc(sizeof(double) * 5 * (size_t)ow * h); /* 5 x (h, ow) */
    if (!hm) {
        zt_seterr("ssim: out of memory");
        return ZT_ENOMEM;
    }
    size_t plane = (size_t)ow * h;
    /* horizontal pass of x, y, x*x, y*y, x*y */
    for (int r = 0; r < h; r++) {
        const double *xr = x + (size_t)r * w, *yr = y + (size_t)r * w;
        for (int c = 0; c < ow; c++) {
            double s[5] = {0, 0, 0, 0, 0};
            for (int j = 0; j < win; j++) {
                double a = xr[c + j], b = yr[c + j], kj = k[j];
                s[0] += kj * a;
                s[1] += kj * b;
                s[2] += kj * a * a;
                s[3] += kj * b * b;
                s[4] += kj * a * b;
            }
            for (int q = 0; q < 5; q++) hm[q * plane + (size_t)r * ow + c] = s[q];
        }
    }
    /* vertical pass and the SSIM map, summed */
    double total = 0;
    for (int r = 0; r < oh; r++) {
        for (int c = 0; c < ow; c++) {
            double s[5] = {0, 0, 0, 0, 0};
            for (int i = 0; i < win; i++) {
                size_t at = (size_t)(r + i) * ow + c;
                for (int q = 0; q < 5; q++) s[q] += k[i] * hm[q * plane + at];
            }
            double ux = s[0], uy = s[1];
            double vx = cov_norm * (s[2] - ux * ux), vy = cov_norm * (s[3] - uy * uy);
            double vxy = cov_norm * (s[4] - ux * uy);
            double A1 = 2 * ux * uy + C1, A2 = 2 * vxy + C2;
            double B1 = ux * ux + uy * uy + C1, B2 = vx + vy + C2;
            total += (A1 * A2) / (B1 * B2);
        }
    }
    free(hm);
    *out = total / ((double)ow * oh);
    return ZT_OK;
}

int zt_ssim(const struct zt_image *a, const struct zt_image *b, enum zt_ssim_mode mode,
            int gray, double *out)
{
    double k[SSIM_MAXWIN];
    int win;
    double cov_norm;
    if (mode == ZT_SSIM_GAUSSIAN) {
        /* scipy gaussian_filter: sigma 1.5, truncate 3.5 -> radius 5 */
        const double sigma = 1.5;
        int r = (int)(3.5 * sigma + 0.5);
        win = 2 * r + 1;
        double sum = 0;
        for (int i = -r; i <= r; i++) sum += k[i + r] = exp(-0.5 / (sigma * sigma) * i * i);
        for (int i = 0; i < win; i++) k[i] /= sum;
        cov_norm = 1.0;
    } else if (mode == ZT_SSIM_UNIFORM7) {
        win = 7;
        for (int i = 0; i < win; i++) k[i] = 1.0 / win;
        cov_norm = (double)(win * win) / (win * win - 1);
    } else {
        zt_seterr("ssim: bad mode %d", (int)mode);
        return ZT_EINVAL;
    }
    if (a->w != b->w || a->h != b->h || a->c != b->c) {
        zt_seterr("ssim: images differ in size (%dx%dx%d vs %dx%dx%d)", a->w, a->h, a->c, b->w,
                  b->h, b->c);
        return ZT_EINVAL;
    }
    if (a->w < win || a->h < win) {
        zt_seterr("ssim: images of %dx%d are smaller than the %dx%d window", a->w, a->h, win, win);
        return ZT_EINVAL;
    }
    size_t n = (size_t)a->w * a->h;
    int c = a->c, planes = gray ? 1 : c;
    double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
    int rc = ZT_OK;
    double total = 0;
    if (!x || !y) {
        zt_seterr("ssim: out of memory");
        rc = ZT_ENOMEM;
        goto done;
    }
    for (int p = 0; p < planes; p++) {
        for (size_t i = 0; i < n; i++) {
            const uint8_t *pa = a->px + i * c, *pb = b->px + i * c;
            if (gray && c >= 3) {
                x[i] = 0.299 * pa[0] + 0.587 * pa[1] + 0.114 * pa[2];
                y[i] = 0.299 * pb[0] + 0.587 * pb[1] + 0.114 * pb[2];
            } else {
                x[i] = pa[p];
                y[i] = pb[p];
            }
        }
        double s;
        if ((rc = ssim_plane(x, y, a->w, a->h, k, win, cov_norm, &s))) goto done;
        total += s;
    }
    *out = total / planes;
done:
    free(x);
    free(y);
    return rc;
}

int zt_psnr(const struct zt_image *a, const struct zt_image *b, double *out)
{
    if (a->w != b->w || a->h != b->h || a->c != b->c) {
        zt_seterr("psnr: images differ in size (%dx%dx%d vs %dx%dx%d)", a->w, a->h, a->c, b->w,
                  b->h, b->c);
        return ZT_EINVAL;
    }
    size_t n = (size_t)a->w * a->h * a->c;
    double se = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a->px[i] - b->px[i];
        se += d * d;
    }
    double mse = se / (double)n;
    *out = mse == 0 ? INFINITY : 10.0 * log10(255.0 * 255.0 / mse);
    return ZT_OK;
}
