/* index_scan.c: row-dot-query kernels of the index scan (see index_scan.h):
 * reference loops, AVX2/FMA/F16C kernels (4 rows per step, one 8-lane
 * accumulator per row), and f16 conversion. */
#include "index_scan.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#include <stdatomic.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

/* --- f16 conversion (software; F16C below when the CPU has it) --- */

static uint16_t f2h(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* inf stays inf; NaN stays a quiet NaN */
        return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u | ((ax >> 13) & 0x3ffu) : 0));
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* >= 65520 rounds to inf */
    if (ax < 0x38800000u) {
        /* below 2^-14: a subnormal half; adding 0.5 puts the half's ulp
         * (2^-24) at the float's last bit, so the FPU rounds to nearest even */
        float a, magic = 0.5f;
        memcpy(&a, &ax, 4);
        a += magic;
        uint32_t r, m;
        memcpy(&r, &a, 4);
        memcpy(&m, &magic, 4);
        return (uint16_t)(sign | (r - m));
    }
    /* normal: rebias the exponent, round the 13 dropped bits to nearest even */
    uint32_t odd = (ax >> 13) & 1u;
    ax += ((uint32_t)(15 - 127) << 23) + 0xfffu + odd;
    return (uint16_t)(sign | (ax >> 13));
}

static float h2f(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
    float f;
    if (e == 0) {
        f = (float)m * 0x1p-24f; /* zero or subnormal: exact */
        memcpy(&x, &f, 4);
        x |= sign;
    } else if (e == 31) {
        x = sign | 0x7f800000u | (m << 13);
    } else {
        x = sign | ((e + 112u) << 23) | (m << 13);
    }
    memcpy(&f, &x, 4);
    return f;
}

/* --- reference loops --- */

void zt_f16_from_f32_ref(const float *x, size_t n, uint16_t *h)
{
    for (size_t i = 0; i < n; i++) h[i] = f2h(x[i]);
}

void zt_f32_from_f16_ref(const uint16_t *h, size_t n, float *x)
{
    for (size_t i = 0; i < n; i++) x[i] = h2f(h[i]);
}

void zt_scan_f32_ref(const float *rows, int64_t n, int d, const float *q, float *out)
{
    for (int64_t i = 0; i < n; i++) {
        const float *r = rows + (size_t)i * d;
        float s = 0;
        for (int j = 0; j < d; j++) s += r[j] * q[j];
        out[i] = s;
    }
}

void zt_scan_f16_ref(const uint16_t *rows, int64_t n, int d, const float *q, float *out)
{
    for (int64_t i = 0; i < n; i++) {
        const uint16_t *r = rows + (size_t)i * d;
        float s = 0;
        for (int j = 0; j < d; j++) s += h2f(r[j]) * q[j];
        out[i] = s;
    }
}

/* --- AVX2 / FMA / F16C --- */

#if HAVE_X86
#define FAST __attribute__((target("avx2,fma,f16c")))

FAST static inline float hsum8(__m256 x)
{
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_movehdup_ps(a));
    return _mm_cvtss_f32(a);
}

/* Every row sees the same operations in the same order (8-lane FMA over
 * j < d8, hsum8, then scalar FMAs over the tail), in the 4-row and the
 * 1-row loops alike. */
FAST static void f32_fast(const float *rows, int64_t n, int d, const float *q, float *out)
{
    const int d8 = d & ~7;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float *r0 = rows + (size_t)i * d, *r1 = r0 + d, *r2 = r1 + d, *r3 = r2 + d;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < d8; j += 8) {
            __m256 x = _mm256_loadu_ps(q + j);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + j), x, a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + j), x, a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + j), x, a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + j), x, a3);
        }
        float s0 = hsum8(a0), s1 = hsum8(a1), s2 = hsum8(a2), s3 = hsum8(a3);
        for (int j = d8; j < d; j++) {
            s0 = __builtin_fmaf(r0[j], q[j], s0);
            s1 = __builtin_fmaf(r1[j], q[j], s1);
            s2 = __builtin_fmaf(r2[j], q[j], s2);
            s3 = __builtin_fmaf(r3[j], q[j], s3);
        }
        out[i] = s0, out[i + 1] = s1, out[i + 2] = s2, out[i + 3] = s3;
    }
    for (; i < n; i++) {
        const float *r = rows + (size_t)i * d;
        __m256 a = _mm256_setzero_ps();
        for (int j = 0; j < d8; j += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(r + j), _mm256_loadu_ps(q + j), a);
        float s = hsum8(a);
        for (int j = d8; j < d; j++) s = __builtin_fmaf(r[j], q[j], s);
        out[i] = s;
    }
}

FAST static inline __m256 ld16(const uint16_t *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

FAST static inline float h1(uint16_t h)
{
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}

FAST static void f16_fast(const uint16_t *rows, int64_t n, int d, const float *q, float *out)
{
    const int d8 = d & ~7;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint16_t *r0 = rows + (size_t)i * d, *r1 = r0 + d, *r2 = r1 + d, *r3 = r2 + d;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < d8; j += 8) {
            __m256 x = _mm256_loadu_ps(q + j);
            a0 = _mm256_fmadd_ps(ld16(r0 + j), x, a0);
            a1 = _mm256_fmadd_ps(ld16(r1 + j), x, a1);
            a2 = _mm256_fmadd_ps(ld16(r2 + j), x, a2);
            a3 = _mm256_fmadd_ps(ld16(r3 + j), x, a3);
        }
        float s0 = hsum8(a0), s1 = hsum8(a1), s2 = hsum8(a2), s3 = hsum8(a3);
        for (int j = d8; j < d; j++) {
            s0 = __builtin_fmaf(h1(r0[j]), q[j], s0);
            s1 = __builtin_fmaf(h1(r1[j]), q[j], s1);
            s2 = __builtin_fmaf(h1(r2[j]), q[j], s2);
            s3 = __builtin_fmaf(h1(r3[j]), q[j], s3);
        }
        out[i] = s0, out[i + 1] = s1, out[i + 2] = s2, out[i + 3] = s3;
    }
    for (; i < n; i++) {
        const uint16_t *r = rows + (size_t)i * d;
        __m256 a = _mm256_setzero_ps();
        for (int j = 0; j < d8; j += 8) a = _mm256_fmadd_ps(ld16(r + j), _mm256_loadu_ps(q + j), a);
        float s = hsum8(a);
        for (int j = d8; j < d; j++) s = __builtin_fmaf(h1(r[j]), q[j], s);
        out[i] = s;
    }
}

FAST static void f16_from_f32_fast(const float *x, size_t n, uint16_t *h)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(h + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) h[i] = f2h(x[i]);
}

FAST static void f32_from_f16_fast(const uint16_t *h, size_t n, float *x)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, ld16(h + i));
    for (; i < n; i++) x[i] = h2f(h[i]);
}

int zt_scan_fast(void)
{
    /* F16C through cpuid (leaf 1, ecx bit 29): clang's builtin does not know
     * "f16c". cpuid traps to the hypervisor in a VM, so the answer is kept. */
    static _Atomic int fast = -1;
    int f = atomic_load_explicit(&fast, memory_order_relaxed);
    if (f < 0) {
        unsigned a, b, c, d;
        f = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
            __get_cpuid(1, &a, &b, &c, &d) && (c >> 29 & 1u);
        atomic_store_explicit(&fast, f, memory_order_relaxed);
    }
    return f;
}
#else
int zt_scan_fast(void) { return 0; }
#endif

/* --- dispatch --- */

void zt_scan_f32(const float *rows, int64_t n, int d, const float *q, float *out)
{
#if HAVE_X86
    if (zt_scan_fast()) {
        f32_fast(rows, n, d, q, out);
        return;
    }
#endif
    zt_scan_f32_ref(rows, n, d, q, out);
}

void zt_scan_f16(const uint16_t *rows, int64_t n, int d, const float *q, float *out)
{
#if HAVE_X86
    if (zt_scan_fast()) {
        f16_fast(rows, n, d, q, out);
        return;
    }
#endif
    zt_scan_f16_ref(rows, n, d, q, out);
}

void zt_f16_from_f32(const float *x, size_t n, uint16_t *h)
{
#if HAVE_X86
    if (zt_scan_fast()) {
        f16_from_f32_fast(x, n, h);
        return;
    }
#endif
    zt_f16_from_f32_ref(x, n, h);
}

void zt_f32_from_f16(const uint16_t *h, size_t n, float *x)
{
#if HAVE_X86
    if (zt_scan_fast()) {
        f32_from_f16_fast(h, n, x);
        return;
    }
#endif
    zt_f32_from_f16_ref(h, n, x);
}
