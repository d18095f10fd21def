/* fuzz_decode.h: the body shared by the per-format decoder harnesses
 * (fuzz_jpeg.c, fuzz_png.c, fuzz_webp.c; each its own binary with its own
 * corpus). Any input must decode or fail with ZT_EFORMAT/ZT_ETOOBIG, never
 * crash; a decoded image must be sane and survive channel conversion and a
 * PNG round trip. */
#ifndef ZT_FUZZ_DECODE_H
#define ZT_FUZZ_DECODE_H

#include "../../src/img/image.h"
#include "../../src/util/buf.h"
#include "../../src/util/zt.h"

#include <stdlib.h>
#include <string.h>

static int fuzz_decode_one(const uint8_t *data, size_t size)
{
    /* small limits keep each run fast; the limit logic itself is exercised */
    const struct zt_image_limits lim = {4096, 4096, 4 << 20};
    struct zt_image im = {0}, conv = {0}, back = {0};
    int rc = zt_image_decode(data, size, 0, &lim, &im);
    if (rc != ZT_OK) {
        if (rc != ZT_EFORMAT && rc != ZT_ETOOBIG) abort();
        if (im.px || !zt_errmsg()[0]) abort(); /* untouched, with a reason */
        return 0;
    }
    if (im.w <= 0 || im.h <= 0 || im.w > lim.max_w || im.h > lim.max_h ||
        (int64_t)im.w * im.h > lim.max_pixels || (im.c != 1 && im.c != 3 && im.c != 4))
        abort();
    struct zt_buf b = {0};
    if (zt_image_convert(&im, im.c == 3 ? 1 : 3, &conv) != ZT_OK) abort();
    if (zt_image_encode_png(&im, &b) != ZT_OK) abort();
    if (zt_image_decode(b.data, b.len, 0, &lim, &back) != ZT_OK) abort();
    if (back.w != im.w || back.h != im.h || back.c != im.c ||
        memcmp(back.px, im.px, (size_t)im.w * im.h * im.c))
        abort();
    zt_buf_deinit(&b);
    zt_image_free(&back);
    zt_image_free(&conv);
    zt_image_free(&im);
    return 0;
}

#endif
