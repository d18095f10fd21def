/* gemm.c: zt_sgemm, row-major single-precision matrix multiply through
 * oneDNN's dnnl_sgemm (row-major since oneDNN 1.0), with plain reference
 * loops when no context is given. */
#include "conv.h"

#include <dnnl.h>
#include <omp.h>

/* element (i, j) of op(X) for row-major X with row stride ld */
#define OP(x, tr, i, j, ld) \
    ((tr) ? (x)[(int64_t)(j) * (ld) + (i)] : (x)[(int64_t)(i) * (ld) + (j)])

static void sgemm_ref(int transa, int transb, int64_t m, int64_t n, int64_t k, float alpha,
                      const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                      float *c, int64_t ldc)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double acc = 0;
            for (int64_t p = 0; p < k; p++)
                acc += (double)OP(a, transa, i, p, lda) * OP(b, transb, p, j, ldb);
            float *cp = c + i * ldc + j;
            *cp = beta == 0 ? alpha * (float)acc : alpha * (float)acc + beta * *cp;
        }
}

void zt_sgemm(void *ctx, int transa, int transb, int64_t m, int64_t n, int64_t k, float alpha,
              const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
              int64_t ldc)
{
    if (m <= 0 || n <= 0) return;
    if (ctx && k > 0) {
        int saved = omp_get_max_threads();
        omp_set_num_threads(zt_dnnl_nthreads(ctx));
        dnnl_status_t st = dnnl_sgemm(transa ? 'T' : 'N', transb ? 'T' : 'N', m, n, k, alpha, a,
                                      lda, b, ldb, beta, c, ldc);
        omp_set_num_threads(saved);
        if (st == dnnl_success) return;
        /* bad leading dimensions etc.: the loops below give the defined answer */
    }
    sgemm_ref(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
