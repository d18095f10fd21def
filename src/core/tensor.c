/* tensor.c: shape/stride helpers of struct zt_tensor (no allocation here). */
#include "tensor.h"
#include "../util/zt.h"

#include <stdio.h>
#include <string.h>

int64_t zt_tensor_numel(const struct zt_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

void zt_tensor_set_shape(struct zt_tensor *t, int ndim, const int64_t *shape)
{
    ZT_ASSERT(ndim >= 0 && ndim <= ZT_MAX_DIMS);
    t->ndim = ndim;
    for (int i = 0; i < ZT_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 1;
    int64_t s = 1;
    for (int i = ZT_MAX_DIMS - 1; i >= 0; i--) {
        t->stride[i] = s;
        if (i < ndim) s *= t->shape[i];
    }
}

int zt_tensor_is_contiguous(const struct zt_tensor *t)
{
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->stride[i] != s) return 0;
        s *= t->shape[i];
    }
    return 1;
}

int zt_tensor_same_shape(const struct zt_tensor *a, const struct zt_tensor *b)
{
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

char *zt_tensor_shape_str(const struct zt_tensor *t, char *buf, size_t n)
{
    size_t off = 0;
    if (n == 0) return buf;
    buf[0] = 0;
    off += (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < t->ndim && off < n; i++)
        off += (size_t)snprintf(buf + off, n - off, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
    if (off < n) snprintf(buf + off, n - off, ")");
    return buf;
}

int zt_tensor_narrow(const struct zt_tensor *t, int dim, int64_t start, int64_t len,
                     struct zt_tensor *out)
{
    if (t->layout != ZT_LAYOUT_PLAIN) {
        zt_seterr("narrow: the tensor is in a blocked layout (zt_to_plain it first)");
        return ZT_EINVAL;
    }
    if (dim < 0 || dim >= t->ndim || start < 0 || len < 0 || start + len > t->shape[dim]) {
        zt_seterr("narrow: dim %d [%lld, +%lld) out of range", dim, (long long)start,
                  (long long)len);
        return ZT_EINVAL;
    }
    *out = *t;
    out->shape[dim] = len;
    out->data = t->data ? t->data + start * t->stride[dim] : NULL;
    /* grad is always contiguous with the tensor's own shape */
    int64_t gs = 1;
    for (int i = t->ndim - 1; i > dim; i--) gs *= t->shape[i];
    out->grad = t->grad ? t->grad + start * gs : NULL;
    out->node = NULL;
    return ZT_OK;
}

/* --- nChw16c <-> NCHW: one (n, 16-channel block) per item, in parallel --- */

void zt_blk16_from_plain(const float *src, float *dst, int64_t N, int64_t C, int64_t HW,
                         int accumulate, int nthreads)
{
    int64_t CB = C / 16;
#pragma omp parallel for schedule(static) num_threads(nthreads) if (N * C * HW >= 65536)
    for (int64_t b = 0; b < N * CB; b++) {
        const float *s = src + b * 16 * HW; /* (n, cb*16 .. +16) planes are consecutive */
        float *d = dst + b * 16 * HW;
        if (accumulate) {
            for (int64_t hw = 0; hw < HW; hw++)
                for (int j = 0; j < 16; j++) d[hw * 16 + j] += s[j * HW + hw];
        } else {
            for (int64_t hw = 0; hw < HW; hw++)
                for (int j = 0; j < 16; j++) d[hw * 16 + j] = s[j * HW + hw];
        }
    }
}

void zt_blk16_to_plain(const float *src, float *dst, int64_t N, int64_t C, int64_t HW,
                       int accumulate, int nthreads)
{
    int64_t CB = C / 16;
#pragma omp parallel for schedule(static) num_threads(nthreads) if (N * C * HW >= 65536)
    for (int64_t b = 0; b < N * CB; b++) {
        const float *s = src + b * 16 * HW;
        float *d = dst + b * 16 * HW;
        if (accumulate) {
            for (int j = 0; j < 16; j++)
                for (int64_t hw = 0; hw < HW; hw++) d[j * HW + hw] += s[hw * 16 + j];
        } else {
            for (int j = 0; j < 16; j++)
                for (int64_t hw = 0; hw < HW; hw++) d[j * HW + hw] = s[hw * 16 + j];
        }
    }
}
