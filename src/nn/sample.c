/* sample.c: images <-> the generator's float planes (see sample.h). */
#include "sample.h"
#include "../img/image.h"
#include "../util/zt.h"

#include <math.h>
#include <string.h>

int zt_sample_encode_input(const struct zt_image *edges, const struct zt_image *hint_rgb,
                           const struct zt_image *hint_mask, int category, int ncat, float *A)
{
    int s = edges->w;
    if (edges->h != s || edges->c != 1 || hint_rgb->w != s || hint_rgb->h != s ||
        hint_rgb->c != 3 || hint_mask->w != s || hint_mask->h != s || hint_mask->c != 1 ||
        category >= ncat) {
        zt_seterr("sample: planes must be %dx%d edges (1ch), hints (3ch), mask (1ch)", s, s);
        return ZT_EINVAL;
    }
    size_t n = (size_t)s * s;
    float *e = A, *r = A + n, *g = A + 2 * n, *b = A + 3 * n, *m = A + 4 * n;
    for (size_t i = 0; i < n; i++) {
        e[i] = edges->px[i] / 127.5f - 1.0f;
        int on = hint_mask->px[i] >= 128;
        const uint8_t *h = hint_rgb->px + 3 * i;
        r[i] = on ? h[0] / 127.5f - 1.0f : 0.0f;
        g[i] = on ? h[1] / 127.5f - 1.0f : 0.0f;
        b[i] = on ? h[2] / 127.5f - 1.0f : 0.0f;
        m[i] = on ? 1.0f : 0.0f;
    }
    for (int c = 0; c < ncat; c++) {
        float v = c == category ? 1.0f : 0.0f, *p = A + (size_t)(ZT_SAMPLE_BASE_CH + c) * n;
        for (size_t i = 0; i < n; i++) p[i] = v;
    }
    return ZT_OK;
}

int zt_sample_encode_photo(const struct zt_image *photo, float *B)
{
    if (photo->w != photo->h || (photo->c != 3 && photo->c != 1 && photo->c != 4)) {
        zt_seterr("sample: photo must be square RGB, got %dx%dx%d", photo->w, photo->h, photo->c);
        return ZT_EINVAL;
    }
    size_t n = (size_t)photo->w * photo->h;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++) {
            int k = photo->c == 1 ? 0 : c;
            B[c * n + i] = photo->px[i * photo->c + k] / 127.5f - 1.0f;
        }
    return ZT_OK;
}

int zt_sample_decode_photo(const float *y, int s, struct zt_image *out)
{
    int rc = zt_image_new(out, s, s, 3);
    if (rc) return rc;
    size_t n = (size_t)s * s;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++) {
            float v = (y[c * n + i] + 1.0f) * 127.5f;
            if (!(v >= 0)) v = 0; /* NaN -> 0 */
            if (v > 255) v = 255;
            out->px[3 * i + c] = (uint8_t)lrintf(v);
        }
    return ZT_OK;
}
