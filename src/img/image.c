/* image.c: allocation and trivial whole-image operations of struct zt_image. */
#include "image.h"
#include "../util/zt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int zt_image_new(struct zt_image *out, int w, int h, int c)
{
    if (w <= 0 || h <= 0 || (c != 1 && c != 3 && c != 4) || (int64_t)w * h > ((int64_t)1 << 31)) {
        zt_seterr("bad image size %dx%dx%d", w, h, c);
        return ZT_EINVAL;
    }
    uint8_t *px = calloc((size_t)w * h, (size_t)c);
    if (!px) {
        zt_seterr("out of memory for a %dx%dx%d image", w, h, c);
        return ZT_ENOMEM;
    }
    *out = (struct zt_image){w, h, c, px};
    return ZT_OK;
}

void zt_image_free(struct zt_image *im)
{
    if (!im) return;
    free(im->px);
    memset(im, 0, sizeof *im);
}

int zt_image_clone(const struct zt_image *src, struct zt_image *out)
{
    int rc = zt_image_new(out, src->w, src->h, src->c);
    if (rc) return rc;
    memcpy(out->px, src->px, (size_t)src->w * src->h * src->c);
    return ZT_OK;
}

void zt_image_fill(struct zt_image *im, const uint8_t *val)
{
    size_t n = (size_t)im->w * im->h;
    for (size_t i = 0; i < n; i++) memcpy(im->px + i * im->c, val, (size_t)im->c);
}

int zt_image_name_ok(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || name[0] == '.') return 0;
    return !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png") ||
           !strcasecmp(dot, ".webp");
}
