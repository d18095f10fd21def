/* kernels_cuda.c: the cuda backend (`make CUDA=1` builds only): the device
 * context of an engine (one stream, cuBLAS and cuDNN handles, a workspace,
 * cuDNN algorithm choices), device memory for graph arenas and parameter
 * lists (struct zt_devops, plain cudaMalloc), and the kernel table:
 * convolutions through cuDNN (NCHW), matmul through cuBLAS, everything else
 * through the own kernels of kernels_cuda.cu (cuda_kern.h). Every op has a
 * device kernel: a reference fallback could not read device memory. Work is
 * queued on the stream; host reads go through zt_graph_read, which waits. */
#include "backend.h"
#include "cuda_kern.h"
#include "ops.h"
#include "../util/zt.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <stdlib.h>
#include <string.h>

#define NUMEL(t) zt_tensor_numel(t)
#define WS_MAX ((size_t)2 << 30) /* largest cuDNN workspace an algorithm may ask for */
#define NALGO 128                /* cached algorithm choices (distinct conv shapes) */

struct algo {
    struct zt_conv_desc d;
    int dir;       /* 0 forward, 1 backward data, 2 backward filter (of the cuDNN conv) */
    int algo, math;
    size_t ws;
};

struct zt_cuda {
    cudaStream_t stream;
    cublasHandle_t blas;
    cudnnHandle_t dnn;
    void *ws;
    size_t ws_size;
    int tf32;
    int nalgo;
    struct algo algos[NALGO];
    struct zt_devops ops;
};

static int cu_fail(cudaError_t e, const char *what)
{
    if (e == cudaSuccess) return ZT_OK;
    zt_seterr("cuda: %s: %s", what, cudaGetErrorString(e));
    return ZT_EIO;
}

static int dnn_fail(cudnnStatus_t st, const char *what)
{
    if (st == CUDNN_STATUS_SUCCESS) return ZT_OK;
    zt_seterr("cudnn: %s: %s", what, cudnnGetErrorString(st));
    return ZT_EIO;
}

static int blas_fail(cublasStatus_t st, const char *what)
{
    if (st == CUBLAS_STATUS_SUCCESS) return ZT_OK;
    zt_seterr("cublas: %s: status %d", what, (int)st);
    return ZT_EIO;
}

/* a launcher's result (cuda_kern.h) */
static int kfail(int rc, const char *what) { return cu_fail((cudaError_t)rc, what); }

/* --- device memory (struct zt_devops) --- */

static void *dev_alloc(void *ctx, size_t n)
{
    void *p = NULL;
    if (cudaMalloc(&p, n ? n : 256) != cudaSuccess) {
        (void)cudaGetLastError(); /* clear the sticky-free error state */
        zt_seterr("cuda: out of device memory allocating %zu bytes", n);
        return NULL;
    }
    return p;
}

static void dev_free(void *ctx, void *p) { cudaFree(p); }

static void dev_zero_v(void *ctx, void *p, size_t n)
{
    struct zt_cuda *c = ctx;
    cudaMemsetAsync(p, 0, n, c->stream);
}

static int dev_zero(void *ctx, void *p, size_t n)
{
    struct zt_cuda *c = ctx;
    return cu_fail(cudaMemsetAsync(p, 0, n, c->stream), "memset");
}

static int dev_upload(void *ctx, void *dst, const void *src, size_t n)
{
    struct zt_cuda *c = ctx;
    return cu_fail(cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, c->stream), "upload");
}

static int dev_download(void *ctx, void *dst, const void *src, size_t n)
{
    struct zt_cuda *c = ctx;
    int rc = cu_fail(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, c->stream), "download");
    if (!rc) rc = cu_fail(cudaStreamSynchronize(c->stream), "download");
    return rc;
}

static int dev_add(void *ctx, float *dst, const float *src, int64_t n)
{
    struct zt_cuda *c = ctx;
    return kfail(zt_cu_axpby(c->stream, n, 1.0f, src, 0.0f, NULL, dst, 1), "add");
}

static int dev_adam(void *ctx, int64_t n, float *p, float *g, float *m, float *v, const float *k)
{
    struct zt_cuda *c = ctx;
    return kfail(zt_cu_adam(c->stream, n, p, g, m, v, k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]),
                 "adam");
}

static int64_t dev_used(void *ctx)
{
    size_t free_b = 0, total = 0;
    if (cudaMemGetInfo(&free_b, &total) != cudaSuccess) {
        (void)cudaGetLastError();
        return -1;
    }
    return (int64_t)(total - free_b);
}

/* --- engine context --- */

int zt_engine_cuda_init(struct zt_engine *e, int tf32)
{
    int ndev = 0;
    if (cudaGetDeviceCount(&ndev) != cudaSuccess || ndev < 1) {
        (void)cudaGetLastError();
        zt_seterr("cuda: no GPU found (CUDA build, but no usable device or driver)");
        return ZT_EINVAL;
    }
    struct zt_cuda *c = calloc(1, sizeof *c);
    if (!c) {
        zt_seterr("cuda: out of memory");
        return ZT_ENOMEM;
    }
    int rc = cu_fail(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking), "stream");
    if (!rc) rc = blas_fail(cublasCreate(&c->blas), "create");
    if (!rc) rc = blas_fail(cublasSetStream(c->blas, c->stream), "set stream");
    if (!rc)
        rc = blas_fail(cublasSetMathMode(c->blas, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH
                                                         : CUBLAS_DEFAULT_MATH),
                       "math mode");
    if (!rc) rc = dnn_fail(cudnnCreate(&c->dnn), "create");
    if (!rc) rc = dnn_fail(cudnnSetStream(c->dnn, c->stream), "set stream");
    if (rc) {
        if (c->dnn) cudnnDestroy(c->dnn);
        if (c->blas) cublasDestroy(c->blas);
        if (c->stream) cudaStreamDestroy(c->stream);
        free(c);
        return rc;
    }
    c->tf32 = tf32 != 0;
    c->ops = (struct zt_devops){{dev_alloc, dev_free, dev_zero_v, c}, dev_upload, dev_download,
                                dev_zero, dev_add, dev_adam, dev_used};
    e->dev = &c->ops;
    e->conv = (struct zt_conv_impl){c, NULL, NULL, NULL}; /* kernels find c in k->conv->ctx */
    return ZT_OK;
}

void zt_engine_cuda_free(struct zt_engine *e)
{
    struct zt_cuda *c = e->conv.ctx;
    if (!c) return;
    cudaStreamSynchronize(c->stream);
    cudaFree(c->ws);
    cudnnDestroy(c->dnn);
    cublasDestroy(c->blas);
    cudaStreamDestroy(c->stream);
    free(c);
    e->conv.ctx = NULL;
    e->dev = NULL;
}

#define CTX(k) ((struct zt_cuda *)(k)->conv->ctx)
#define S(k) (CTX(k)->stream)
#define D(t) ((t) ? (t)->data : NULL)

/* Device scratch that lives until the graph resets. */
static void *scratch(const struct zt_kctx *k, size_t n)
{
    struct zt_arena *d = zt_arena_twin(k->arena);
    return d ? zt_arena_alloc(d, n) : NULL;
}

/* --- convolutions through cuDNN ---
 * A cuDNN convolution maps side A (N, Ac, Ah, Aw) to side B (N, Bc, Bh, Bw)
 * with filter (Bc, Ac/groups, kh, kw). conv2d: A = x, B = y; the transposed
 * conv runs it backwards: A = y, B = x, and its weight (Cin, Cout/groups, kh,
 * kw) is exactly that filter. */

struct convd {
    cudnnTensorDescriptor_t a, b;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t c;
};

static void convd_free(struct convd *v)
{
    if (v->a) cudnnDestroyTensorDescriptor(v->a);
    if (v->b) cudnnDestroyTensorDescriptor(v->b);
    if (v->w) cudnnDestroyFilterDescriptor(v->w);
    if (v->c) cudnnDestroyConvolutionDescriptor(v->c);
}

static int convd_init(struct convd *v, const struct zt_conv_desc *d)
{
    memset(v, 0, sizeof *v);
    int ac = d->transposed ? d->cout : d->cin, ah = d->transposed ? d->oh : d->h;
    int aw = d->transposed ? d->ow : d->w;
    int bc = d->transposed ? d->cin : d->cout, bh = d->transposed ? d->h : d->oh;
    int bw = d->transposed ? d->w : d->ow;
    cudnnStatus_t st = cudnnCreateTensorDescriptor(&v->a);
    if (!st) st = cudnnCreateTensorDescriptor(&v->b);
    if (!st) st = cudnnCreateFilterDescriptor(&v->w);
    if (!st) st = cudnnCreateConvolutionDescriptor(&v->c);
    if (!st) st = cudnnSetTensor4dDescriptor(v->a, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d->n, ac, ah, aw);
    if (!st) st = cudnnSetTensor4dDescriptor(v->b, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d->n, bc, bh, bw);
    if (!st)
        st = cudnnSetFilter4dDescriptor(v->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, bc,
                                        ac / d->groups, d->kh, d->kw);
    if (!st)
        st = cudnnSetConvolution2dDescriptor(v->c, d->ph, d->pw, d->sh, d->sw, d->dh, d->dw,
                                             CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT);
    if (!st) st = cudnnSetConvolutionGroupCount(v->c, d->groups);
    if (st) convd_free(v);
    return dnn_fail(st, "convolution descriptors");
}

static int ws_grow(struct zt_cuda *c, size_t n)
{
    if (n <= c->ws_size) return ZT_OK;
    int rc = cu_fail(cudaStreamSynchronize(c->stream), "workspace");
    if (rc) return rc;
    cudaFree(c->ws);
    c->ws = NULL;
    c->ws_size = 0;
    if (cudaMalloc(&c->ws, n) != cudaSuccess) {
        (void)cudaGetLastError();
        zt_seterr("cuda: out of device memory for a %zu-byte cuDNN workspace", n);
        return ZT_ENOMEM;
    }
    c->ws_size = n;
    return ZT_OK;
}

/* The algorithm for (d, dir): cuDNN's heuristics, first candidate that
 * succeeds within WS_MAX (FMA math only unless tf32), cached per shape. */
static const struct algo *pick(struct zt_cuda *c, const struct zt_conv_desc *d, int dir,
                               const struct convd *v)
{
    for (int i = 0; i < c->nalgo; i++)
        if (c->algos[i].dir == dir && !memcmp(&c->algos[i].d, d, sizeof *d)) return &c->algos[i];
    struct algo a = {*d, dir, -1, CUDNN_FMA_MATH, 0};
    int got = 0;
    /* the heuristics rank for the descriptor's math type: FMA only without TF32 */
    cudnnStatus_t st = cudnnSetConvolutionMathType(v->c, c->tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH);
    if (st) {
        dnn_fail(st, "math type");
        return NULL;
    }
    if (dir == 0) {
        cudnnConvolutionFwdAlgoPerf_t p[16];
        st = cudnnGetConvolutionForwardAlgorithm_v7(c->dnn, v->a, v->w, v->c, v->b, 16, &got, p);
        for (int i = 0; !st && i < got && a.algo < 0; i++)
            if (p[i].status == CUDNN_STATUS_SUCCESS && p[i].memory <= WS_MAX)
                a.algo = (int)p[i].algo, a.math = (int)p[i].mathType, a.ws = p[i].memory;
    } else if (dir == 1) {
        cudnnConvolutionBwdDataAlgoPerf_t p[16];
        st = cudnnGetConvolutionBackwardDataAlgorithm_v7(c->dnn, v->w, v->b, v->c, v->a, 16, &got, p);
        for (int i = 0; !st && i < got && a.algo < 0; i++)
            if (p[i].status == CUDNN_STATUS_SUCCESS && p[i].memory <= WS_MAX)
                a.algo = (int)p[i].algo, a.math = (int)p[i].mathType, a.ws = p[i].memory;
    } else {
        cudnnConvolutionBwdFilterAlgoPerf_t p[16];
        st = cudnnGetConvolutionBackwardFilterAlgorithm_v7(c->dnn, v->a, v->b, v->c, v->w, 16, &got, p);
        for (int i = 0; !st && i < got && a.algo < 0; i++)
            if (p[i].status == CUDNN_STATUS_SUCCESS && p[i].memory <= WS_MAX)
                a.algo = (int)p[i].algo, a.math = (int)p[i].mathType, a.ws = p[i].memory;
    }
    if (!c->tf32) a.math = CUDNN_FMA_MATH; /* whatever the entry says: full FP32 */
    if (st || a.algo < 0) {
        if (st) dnn_fail(st, "algorithm search");
        else zt_seterr("cudnn: no convolution algorithm for this shape");
        return NULL;
    }
    if (c->nalgo == NALGO) c->nalgo = 0; /* full: start over (shapes of a model repeat) */
    c->algos[c->nalgo] = a;
    return &c->algos[c->nalgo++];
}

/* One cuDNN call: dir 0 B = conv(A) (+ beta B); 1 A = conv^T(B); 2 dW += ... */
static int cudnn_run(struct zt_cuda *c, const struct zt_conv_desc *d, int dir, const float *a,
                     const float *w, const float *b, float *out, float beta)
{
    struct convd v;
    int rc = convd_init(&v, d);
    if (rc) return rc;
    const struct algo *al = pick(c, d, dir, &v);
    rc = al ? ws_grow(c, al->ws) : ZT_EIO;
    if (!rc) rc = dnn_fail(cudnnSetConvolutionMathType(v.c, (cudnnMathType_t)al->math), "math");
    const float one = 1.0f;
    if (!rc && dir == 0)
        rc = dnn_fail(cudnnConvolutionForward(c->dnn, &one, v.a, a, v.w, w, v.c,
                                              (cudnnConvolutionFwdAlgo_t)al->algo, c->ws, al->ws,
                                              &beta, v.b, out),
                      "forward");
    else if (!rc && dir == 1)
        rc = dnn_fail(cudnnConvolutionBackwardData(c->dnn, &one, v.w, w, v.b, b, v.c,
                                                   (cudnnConvolutionBwdDataAlgo_t)al->algo, c->ws,
                                                   al->ws, &beta, v.a, out),
                      "backward data");
    else if (!rc)
        rc = dnn_fail(cudnnConvolutionBackwardFilter(c->dnn, &one, v.a, a, v.b, b, v.c,
                                                     (cudnnConvolutionBwdFilterAlgo_t)al->algo,
                                                     c->ws, al->ws, &beta, v.w, out),
                      "backward filter");
    convd_free(&v);
    return rc;
}

static int conv_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const struct zt_conv_desc *d = &n->conv;
    const float *x = n->src[0]->data, *w = n->src[1]->data;
    float *y = n->out->data;
    int rc = d->transposed ? cudnn_run(CTX(k), d, 1, NULL, w, x, y, 0.0f)
                           : cudnn_run(CTX(k), d, 0, x, w, NULL, y, 0.0f);
    if (!rc && n->src[2])
        rc = kfail(zt_cu_add_bias(S(k), d->n, d->cout, (int64_t)d->oh * d->ow, n->src[2]->data, y),
                   "conv bias");
    return rc;
}

static int conv_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    const struct zt_conv_desc *d = &n->conv;
    struct zt_tensor *x = n->src[0], *w = n->src[1], *b = n->src[2];
    float *dx = ZT_GRAD(x), *dw = ZT_GRAD(w), *db = ZT_GRAD(b);
    const float *dy = n->out->grad;
    int rc = ZT_OK;
    if (dx)
        rc = d->transposed ? cudnn_run(CTX(k), d, 0, dy, w->data, NULL, dx, 1.0f)
                           : cudnn_run(CTX(k), d, 1, NULL, w->data, dy, dx, 1.0f);
    if (!rc && dw)
        rc = d->transposed ? cudnn_run(CTX(k), d, 2, dy, NULL, x->data, dw, 1.0f)
                           : cudnn_run(CTX(k), d, 2, x->data, NULL, dy, dw, 1.0f);
    if (!rc && db)
        rc = kfail(zt_cu_sum_bias(S(k), d->n, d->cout, (int64_t)d->oh * d->ow, dy, db), "conv bias");
    return rc;
}

/* --- matmul through cuBLAS (row-major as column-major transposes) ---
 * y (M, N) = a (M, K) b (K, N) (b (N, K) when i[0]) + bias (N) */

static int matmul_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const struct zt_tensor *a = n->src[0], *b = n->src[1], *bias = n->src[2];
    int M = (int)a->shape[0], K = (int)a->shape[1], N = (int)n->out->shape[1], tb = (int)n->i[0];
    float *y = n->out->data, one = 1.0f, beta = 0.0f;
    if (bias) { /* y = bias broadcast, then += a b */
        int rc = kfail(zt_cu_rows(S(k), M, N, bias->data, 0, 0, y, N, 0, 0), "matmul bias");
        if (rc) return rc;
        beta = 1.0f;
    }
    /* y^T (N, M) = op(b^T) (N, K) a^T (K, M) */
    return blas_fail(cublasSgemm(CTX(k)->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, CUBLAS_OP_N, N, M,
                                 K, &one, b->data, tb ? K : N, a->data, K, &beta, y, N),
                     "matmul");
}

static int matmul_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    const struct zt_tensor *a = n->src[0], *b = n->src[1];
    float *da = ZT_GRAD(n->src[0]), *db = ZT_GRAD(n->src[1]), *dbias = ZT_GRAD(n->src[2]);
    const float *dy = n->out->grad;
    int M = (int)a->shape[0], K = (int)a->shape[1], N = (int)n->out->shape[1], tb = (int)n->i[0];
    const float one = 1.0f;
    int rc = ZT_OK;
    if (da) /* da^T (K, M) += op(b) (K, N) dy^T (N, M) */
        rc = blas_fail(cublasSgemm(CTX(k)->blas, tb ? CUBLAS_OP_N : CUBLAS_OP_T, CUBLAS_OP_N, K,
                                   M, N, &one, b->data, tb ? K : N, dy, N, &one, da, K),
                       "matmul da");
    if (!rc && db && !tb) /* db^T (N, K) += dy^T (N, M) a (M, K) */
        rc = blas_fail(cublasSgemm(CTX(k)->blas, CUBLAS_OP_N, CUBLAS_OP_T, N, K, M, &one, dy, N,
                                   a->data, K, &one, db, N),
                       "matmul db");
    if (!rc && db && tb) /* db^T (K, N) += a^T (K, M) dy (M, N) */
        rc = blas_fail(cublasSgemm(CTX(k)->blas, CUBLAS_OP_N, CUBLAS_OP_T, K, N, M, &one, a->data,
                                   K, dy, N, &one, db, K),
                       "matmul db");
    if (!rc && dbias) rc = kfail(zt_cu_sum_bias(S(k), M, N, 1, dy, dbias), "matmul bias");
    return rc;
}

/* --- elementwise --- */

static int unary_fwd(const struct zt_kctx *k, struct zt_node *n, int kind)
{
    return kfail(zt_cu_unary_fwd(S(k), kind, NUMEL(n->out), n->src[0]->data, n->aux, n->f[0],
                                 n->f[1], n->out->data),
                 zt_op_name(n->op));
}

static int unary_bwd(const struct zt_kctx *k, struct zt_node *n, int kind)
{
    float *dx = ZT_GRAD(n->src[0]);
    if (!dx) return ZT_OK;
    return kfail(zt_cu_unary_bwd(S(k), kind, NUMEL(n->out), n->src[0]->data, n->out->data,
                                 n->aux, n->f[0], n->out->grad, dx),
                 zt_op_name(n->op));
}

#define UNARY(lower, KIND)                                                                 \
    static int lower##_fwd(const struct zt_kctx *k, struct zt_node *n)                    \
    {                                                                                      \
        return unary_fwd(k, n, KIND);                                                      \
    }                                                                                      \
    static int lower##_bwd(const struct zt_kctx *k, struct zt_node *n)                    \
    {                                                                                      \
        return unary_bwd(k, n, KIND);                                                      \
    }
UNARY(relu, ZT_CU_RELU)
UNARY(leaky_relu, ZT_CU_LEAKY)
UNARY(tanh, ZT_CU_TANH)
UNARY(sigmoid, ZT_CU_SIGMOID)
UNARY(smish, ZT_CU_SMISH)
UNARY(affine, ZT_CU_AFFINE)

/* dropout: the constructor drew the multiplier on the host (n->aux); it
 * goes to device scratch once, and n->aux then points there for backward */
static int dropout_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    size_t bytes = (size_t)NUMEL(n->out) * sizeof(float);
    float *d = scratch(k, bytes);
    if (!d) return ZT_ENOMEM;
    int rc = cu_fail(cudaMemcpyAsync(d, n->aux, bytes, cudaMemcpyHostToDevice, S(k)), "dropout mask");
    if (rc) return rc;
    n->aux = d;
    return unary_fwd(k, n, ZT_CU_DROPOUT);
}

static int dropout_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    return unary_bwd(k, n, ZT_CU_DROPOUT);
}

static int axpby_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    return kfail(zt_cu_axpby(S(k), NUMEL(n->out), n->f[0], n->src[0]->data, n->f[1],
                             n->src[1]->data, n->out->data, 0),
                 "axpby");
}

static int axpby_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *da = ZT_GRAD(n->src[0]), *db = ZT_GRAD(n->src[1]);
    int64_t c = NUMEL(n->out);
    int rc = ZT_OK;
    if (da) rc = kfail(zt_cu_axpby(S(k), c, n->f[0], n->out->grad, 0, NULL, da, 1), "axpby");
    if (!rc && db) rc = kfail(zt_cu_axpby(S(k), c, n->f[1], n->out->grad, 0, NULL, db, 1), "axpby");
    return rc;
}

static int mul_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    return kfail(zt_cu_mul(S(k), NUMEL(n->out), n->src[0]->data, n->src[1]->data, n->out->data, 0),
                 "mul");
}

static int mul_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *da = ZT_GRAD(n->src[0]), *db = ZT_GRAD(n->src[1]);
    int64_t c = NUMEL(n->out);
    int rc = ZT_OK;
    if (da) rc = kfail(zt_cu_mul(S(k), c, n->out->grad, n->src[1]->data, da, 1), "mul");
    if (!rc && db) rc = kfail(zt_cu_mul(S(k), c, n->out->grad, n->src[0]->data, db, 1), "mul");
    return rc;
}

/* --- shape ops --- */

static int concat_run(const struct zt_kctx *k, struct zt_node *n, int bwd)
{
    int64_t N = n->out->shape[0], inner = zt_concat_inner(n->out), row = n->out->shape[1] * inner;
    int64_t off = 0;
    for (int s = 0; s < n->nsrc; s++) {
        int64_t blk = n->src[s]->shape[1] * inner;
        float *dx = ZT_GRAD(n->src[s]);
        int rc = ZT_OK;
        if (!bwd)
            rc = zt_cu_rows(S(k), N, blk, n->src[s]->data, blk, 0, n->out->data, row, off, 0);
        else if (dx)
            rc = zt_cu_rows(S(k), N, blk, n->out->grad, row, off, dx, blk, 0, 1);
        if (rc) return kfail(rc, "concat");
        off += blk;
    }
    return ZT_OK;
}
static int concat_fwd(const struct zt_kctx *k, struct zt_node *n) { return concat_run(k, n, 0); }
static int concat_bwd(const struct zt_kctx *k, struct zt_node *n) { return concat_run(k, n, 1); }

static int slice_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    int64_t outer, xd, inner, len = n->out->shape[n->i[0]], st = n->i[1];
    zt_slice_dims(n, &outer, &xd, &inner);
    return kfail(zt_cu_rows(S(k), outer, len * inner, n->src[0]->data, xd * inner, st * inner,
                            n->out->data, len * inner, 0, 0),
                 "slice");
}

static int slice_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    if (!dx) return ZT_OK;
    int64_t outer, xd, inner, len = n->out->shape[n->i[0]], st = n->i[1];
    zt_slice_dims(n, &outer, &xd, &inner);
    return kfail(zt_cu_rows(S(k), outer, len * inner, n->out->grad, len * inner, 0, dx, xd * inner,
                            st * inner, 1),
                 "slice");
}

static int reshape_fwd(const struct zt_kctx *k, struct zt_node *n) { return ZT_OK; }

static int reshape_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    if (!dx) return ZT_OK;
    return kfail(zt_cu_axpby(S(k), NUMEL(n->out), 1.0f, n->out->grad, 0, NULL, dx, 1), "reshape");
}

/* no blocked layout on this backend: to_plain is a copy */
static int to_plain_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    return kfail(zt_cu_axpby(S(k), NUMEL(n->out), 1.0f, n->src[0]->data, 0, NULL, n->out->data, 0),
                 "to_plain");
}
static int to_plain_bwd(const struct zt_kctx *k, struct zt_node *n) { return reshape_bwd(k, n); }

static int pad2d_run(const struct zt_kctx *k, struct zt_node *n, int bwd)
{
    const struct zt_tensor *x = n->src[0];
    int64_t P = x->shape[0] * x->shape[1], H = x->shape[2], W = x->shape[3];
    int64_t OH = n->out->shape[2], OW = n->out->shape[3];
    if (!bwd)
        return kfail(zt_cu_pad_fwd(S(k), P, H, W, OH, OW, n->i[0], n->i[2], (int)n->i[4], x->data,
                                   n->out->data),
                     "pad2d");
    float *dx = ZT_GRAD(x);
    if (!dx) return ZT_OK;
    return kfail(zt_cu_pad_bwd(S(k), P, H, W, OH, OW, n->i[0], n->i[2], (int)n->i[4],
                               n->out->grad, dx),
                 "pad2d");
}
static int pad2d_fwd(const struct zt_kctx *k, struct zt_node *n) { return pad2d_run(k, n, 0); }
static int pad2d_bwd(const struct zt_kctx *k, struct zt_node *n) { return pad2d_run(k, n, 1); }

/* --- reductions and losses --- */

static int reduce_fwd(const struct zt_kctx *k, struct zt_node *n, int kind, int mean)
{
    const struct zt_tensor *x = n->src[0], *t = n->nsrc > 1 ? n->src[1] : NULL;
    int64_t c = NUMEL(x);
    return kfail(zt_cu_reduce(S(k), kind, c, x->data, D(t), n->f[0], mean ? (double)c : 1.0,
                              n->out->data),
                 zt_op_name(n->op));
}

static int loss_bwd(const struct zt_kctx *k, struct zt_node *n, int kind)
{
    const struct zt_tensor *t = n->src[1];
    float *dx = ZT_GRAD(n->src[0]), *dt = ZT_GRAD(t);
    if (!dx && !dt) return ZT_OK;
    return kfail(zt_cu_loss_bwd(S(k), kind, NUMEL(n->src[0]), n->src[0]->data, D(t), n->f[0],
                                n->out->grad, dx, dt),
                 zt_op_name(n->op));
}

static int sum_fwd(const struct zt_kctx *k, struct zt_node *n) { return reduce_fwd(k, n, ZT_CU_RSUM, 0); }
static int mean_fwd(const struct zt_kctx *k, struct zt_node *n) { return reduce_fwd(k, n, ZT_CU_RSUM, 1); }

static int sum_mean_bwd(const struct zt_kctx *k, struct zt_node *n, int mean)
{
    float *dx = ZT_GRAD(n->src[0]);
    if (!dx) return ZT_OK;
    int64_t c = NUMEL(n->src[0]);
    return kfail(zt_cu_add_scalar(S(k), c, n->out->grad, mean ? (float)(1.0 / (double)c) : 1.0f, dx),
                 zt_op_name(n->op));
}
static int sum_bwd(const struct zt_kctx *k, struct zt_node *n) { return sum_mean_bwd(k, n, 0); }
static int mean_bwd(const struct zt_kctx *k, struct zt_node *n) { return sum_mean_bwd(k, n, 1); }

static int l1_loss_fwd(const struct zt_kctx *k, struct zt_node *n) { return reduce_fwd(k, n, ZT_CU_RL1, 1); }
static int l1_loss_bwd(const struct zt_kctx *k, struct zt_node *n) { return loss_bwd(k, n, ZT_CU_RL1); }
static int mse_loss_fwd(const struct zt_kctx *k, struct zt_node *n) { return reduce_fwd(k, n, ZT_CU_RMSE, 1); }
static int mse_loss_bwd(const struct zt_kctx *k, struct zt_node *n) { return loss_bwd(k, n, ZT_CU_RMSE); }
static int bce_logits_fwd(const struct zt_kctx *k, struct zt_node *n) { return reduce_fwd(k, n, ZT_CU_RBCE, 1); }
static int bce_logits_bwd(const struct zt_kctx *k, struct zt_node *n) { return loss_bwd(k, n, ZT_CU_RBCE); }

/* --- normalisation: statistics in device scratch (n->aux/aux2 replaced) --- */

static int norm_fwd(const struct zt_kctx *k, struct zt_node *n, int inst)
{
    const struct zt_tensor *x = n->src[0];
    int64_t N = x->shape[0], C = x->shape[1], HW = x->ndim == 4 ? x->shape[2] * x->shape[3] : 1;
    int64_t G = inst ? N * C : C;
    float *mean = scratch(k, (size_t)G * sizeof(float)), *invstd = scratch(k, (size_t)G * sizeof(float));
    if (!mean || !invstd) return ZT_ENOMEM;
    n->aux = mean;
    n->aux2 = invstd;
    if (inst)
        return kfail(zt_cu_norm_fwd(S(k), G, C, 1, HW, HW, 1, x->data, D(n->src[1]), D(n->src[2]),
                                    NULL, NULL, NULL, 0, n->f[0], 1, 0, mean, invstd, n->out->data),
                     "instance_norm");
    return kfail(zt_cu_norm_fwd(S(k), G, C, N, C * HW, HW, 0, x->data, D(n->src[1]), D(n->src[2]),
                                D(n->src[3]), D(n->src[4]), D(n->src[5]), n->f[0], n->f[1],
                                (int)n->i[0], (int)n->i[1], mean, invstd, n->out->data),
                 "batch_norm");
}

static int norm_bwd(const struct zt_kctx *k, struct zt_node *n, int inst)
{
    const struct zt_tensor *x = n->src[0];
    float *dx = ZT_GRAD(x), *dw = ZT_GRAD(n->src[1]), *db = ZT_GRAD(n->src[2]);
    if (!dx && !dw && !db) return ZT_OK;
    int64_t N = x->shape[0], C = x->shape[1], HW = x->ndim == 4 ? x->shape[2] * x->shape[3] : 1;
    if (inst)
        return kfail(zt_cu_norm_bwd(S(k), N * C, C, 1, HW, HW, 1, x->data, D(n->src[1]), n->aux,
                                    n->aux2, 1, n->out->grad, dx, dw, db),
                     "instance_norm");
    return kfail(zt_cu_norm_bwd(S(k), C, C, N, C * HW, HW, 0, x->data, D(n->src[1]), n->aux,
                                n->aux2, (int)n->i[0], n->out->grad, dx, dw, db),
                 "batch_norm");
}
static int batch_norm_fwd(const struct zt_kctx *k, struct zt_node *n) { return norm_fwd(k, n, 0); }
static int batch_norm_bwd(const struct zt_kctx *k, struct zt_node *n) { return norm_bwd(k, n, 0); }
static int instance_norm_fwd(const struct zt_kctx *k, struct zt_node *n) { return norm_fwd(k, n, 1); }
static int instance_norm_bwd(const struct zt_kctx *k, struct zt_node *n) { return norm_bwd(k, n, 1); }

/* --- resampling and pooling --- */

#define PLANES(n) (n)->src[0]->shape[0] * (n)->src[0]->shape[1], (n)->src[0]->shape[2], \
                  (n)->src[0]->shape[3], (n)->out->shape[2], (n)->out->shape[3]

static int ups_fwd(const struct zt_kctx *k, struct zt_node *n, int bil)
{
    return kfail(zt_cu_upsample_fwd(S(k), bil, bil && n->i[0], PLANES(n), n->src[0]->data,
                                    n->out->data),
                 zt_op_name(n->op));
}

static int ups_bwd(const struct zt_kctx *k, struct zt_node *n, int bil)
{
    float *dx = ZT_GRAD(n->src[0]);
    if (!dx) return ZT_OK;
    return kfail(zt_cu_upsample_bwd(S(k), bil, bil && n->i[0], PLANES(n), n->out->grad, dx),
                 zt_op_name(n->op));
}
static int upsample_bilinear_fwd(const struct zt_kctx *k, struct zt_node *n) { return ups_fwd(k, n, 1); }
static int upsample_bilinear_bwd(const struct zt_kctx *k, struct zt_node *n) { return ups_bwd(k, n, 1); }
static int upsample_nearest_fwd(const struct zt_kctx *k, struct zt_node *n) { return ups_fwd(k, n, 0); }
static int upsample_nearest_bwd(const struct zt_kctx *k, struct zt_node *n) { return ups_bwd(k, n, 0); }

static int pool_fwd(const struct zt_kctx *k, struct zt_node *n, int avg)
{
    int32_t *arg = NULL;
    if (!avg) { /* argmax in device scratch instead of the constructor's host buffer */
        if (!(arg = scratch(k, (size_t)NUMEL(n->out) * sizeof(int32_t)))) return ZT_ENOMEM;
        n->aux = arg;
    }
    return kfail(zt_cu_pool_fwd(S(k), avg, PLANES(n), (int)n->i[0], (int)n->i[1], (int)n->i[2],
                                (int)n->i[3], n->src[0]->data, n->out->data, arg),
                 zt_op_name(n->op));
}

static int pool_bwd(const struct zt_kctx *k, struct zt_node *n, int avg)
{
    float *dx = ZT_GRAD(n->src[0]);
    if (!dx) return ZT_OK;
    return kfail(zt_cu_pool_bwd(S(k), avg, PLANES(n), (int)n->i[0], (int)n->i[1], (int)n->i[2],
                                (int)n->i[3], n->aux, n->out->grad, dx),
                 zt_op_name(n->op));
}
static int max_pool2d_fwd(const struct zt_kctx *k, struct zt_node *n) { return pool_fwd(k, n, 0); }
static int max_pool2d_bwd(const struct zt_kctx *k, struct zt_node *n) { return pool_bwd(k, n, 0); }
static int avg_pool2d_fwd(const struct zt_kctx *k, struct zt_node *n) { return pool_fwd(k, n, 1); }
static int avg_pool2d_bwd(const struct zt_kctx *k, struct zt_node *n) { return pool_bwd(k, n, 1); }

static int conv2d_fwd(const struct zt_kctx *k, struct zt_node *n) { return conv_fwd(k, n); }
static int conv2d_bwd(const struct zt_kctx *k, struct zt_node *n) { return conv_bwd(k, n); }
static int conv_transpose2d_fwd(const struct zt_kctx *k, struct zt_node *n) { return conv_fwd(k, n); }
static int conv_transpose2d_bwd(const struct zt_kctx *k, struct zt_node *n) { return conv_bwd(k, n); }

/* Every op of ops.def (a missing one fails to compile). */
const struct zt_backend zt_backend_cuda = {
    .name = "cuda",
#define X(id, lower) [ZT_OP_##id] = lower##_fwd,
    .fwd = {
#include "ops.def"
    },
#undef X
#define X(id, lower) [ZT_OP_##id] = lower##_bwd,
    .bwd = {
#include "ops.def"
    },
#undef X
};
