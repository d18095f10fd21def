/* index_scan.h: the inner kernels of the index scan: many rows dotted with
 * one query (a gemv), on f32 rows or on f16 rows (half the bytes), plus
 * f32 <-> f16 conversion. Each has a plain reference loop and an AVX2/FMA/
 * F16C version chosen at run time (CPU check), so the ASan build, built
 * without -march, runs the same fast code. Nothing here allocates. */
#ifndef ZT_INDEX_SCAN_H
#define ZT_INDEX_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* out[i] = rows[i] . q for i in [0, n); rows is n x d row-major. A row's
 * result does not depend on n or on the row's position (so rescoring one row
 * gives bit for bit what a full scan gave it). */
void zt_scan_f32(const float *rows, int64_t n, int d, const float *q, float *out);
/* The same on f16 rows (IEEE binary16 bit patterns), accumulated in f32. */
void zt_scan_f16(const uint16_t *rows, int64_t n, int d, const float *q, float *out);

/* Reference loops (what the fast kernels are tested against). */
void zt_scan_f32_ref(const float *rows, int64_t n, int d, const float *q, float *out);
void zt_scan_f16_ref(const uint16_t *rows, int64_t n, int d, const float *q, float *out);

/* Round to nearest even (f16 saturates to +-inf past 65504, as the
 * hardware does); both directions, n values. */
void zt_f16_from_f32(const float *x, size_t n, uint16_t *h);
void zt_f32_from_f16(const uint16_t *h, size_t n, float *x);
void zt_f16_from_f32_ref(const float *x, size_t n, uint16_t *h);
void zt_f32_from_f16_ref(const uint16_t *h, size_t n, float *x);
/* 1 when the fast kernels run on this CPU. */
int zt_scan_fast(void);

#endif
