/* cmd_ssim.c: `ztyle ssim A B`: SSIM (gray and RGB) and PSNR of two
 * same-size images, as skimage computes them (img/metrics.c). */
#include "cli.h"
#include "../img/image.h"
#include "../util/zt.h"

#include <getopt.h>
#include <math.h>

#define CMD "ssim"

static void help(void)
{
    printf("usage: ztyle ssim [options] A B\n\n"
           "Compares two images of the same size (JPEG, PNG or WebP; alpha is composited\n"
           "over white) and prints SSIM on gray (0.299R+0.587G+0.114B) and RGB (mean over\n"
           "channels) and PSNR in dB, data range 255. By default SSIM is skimage's\n"
           "structural_similarity default: 7x7 uniform window, sample covariance.\n\n"
           "options:\n"
           "  --gaussian   Gaussian window (sigma 1.5, 11x11), population covariance\n"
           "               (Wang et al. 2004); images must be at least 11x11\n"
           "  --json       print one object {\"ssim_gray\", \"ssim_rgb\", \"psnr\"};\n"
           "               psnr is null for identical images (infinite)\n");
}

int cmd_ssim(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"gaussian", no_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, gaussian = 0, o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'j': json = 1; break;
        case 'g': gaussian = 1; break;
        case 'h': help(); return ZT_EXIT_OK;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2) return cli_usage_error(CMD, "expected two images, got %d", argc - optind);
    const char *pa = argv[optind], *pb = argv[optind + 1];
    struct zt_image a = {0}, b = {0};
    int rc = ZT_EXIT_FAIL;
    /* zt_image_load's message already starts with the path */
    if (zt_image_load(pa, 3, NULL, &a)) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto out;
    }
    if (zt_image_load(pb, 3, NULL, &b)) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto out;
    }
    if (a.w != b.w || a.h != b.h) {
        cli_fail(CMD, "%s: size %dx%d differs from %s (%dx%d)", pb, b.w, b.h, pa, a.w, a.h);
        goto out;
    }
    enum zt_ssim_mode mode = gaussian ? ZT_SSIM_GAUSSIAN : ZT_SSIM_UNIFORM7;
    double sg, srgb, psnr;
    if (zt_ssim(&a, &b, mode, 1, &sg) || zt_ssim(&a, &b, mode, 0, &srgb) ||
        zt_psnr(&a, &b, &psnr)) {
        cli_fail(CMD, "%s: %s", pa, zt_errmsg());
        goto out;
    }
    if (json) {
        printf("{\"ssim_gray\": %.8f, \"ssim_rgb\": %.8f, \"psnr\": ", sg, srgb);
        if (isfinite(psnr)) printf("%.6f}\n", psnr);
        else printf("null}\n");
    } else {
        printf("ssim_gray %.6f\nssim_rgb  %.6f\n", sg, srgb);
        if (isfinite(psnr)) printf("psnr      %.4f dB\n", psnr);
        else printf("psnr      inf (identical)\n");
    }
    rc = ZT_EXIT_OK;
out:
    zt_image_free(&a);
    zt_image_free(&b);
    return rc;
}
