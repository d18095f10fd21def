/* engine.c: engine contexts: backend table resolution (NULL slot -> ref),
 * thread count, conv implementation, RNG. */
#include "backend.h"
#include "../util/parallel.h"
#include "../util/zt.h"

#include <stdlib.h>
#include <string.h>

struct zt_engine *zt_engine_new(const struct zt_engine_opts *o)
{
    struct zt_engine_opts def = {ZT_BACKEND_CPU, 0, 0, 0, 0};
    if (!o) o = &def;
    if (o->backend == ZT_BACKEND_CUDA && !zt_engine_cuda_built()) {
        zt_seterr("engine: this build has no CUDA backend (rebuild with `make CUDA=1`, "
                  "which needs nvcc and cuDNN)");
        return NULL;
    }
    if (o->backend != ZT_BACKEND_REF && o->backend != ZT_BACKEND_CPU &&
        o->backend != ZT_BACKEND_CUDA) {
        zt_seterr("engine: unknown backend %d", o->backend);
        return NULL;
    }
    struct zt_engine *e = calloc(1, sizeof *e);
    if (!e) {
        zt_seterr("engine: out of memory");
        return NULL;
    }
    e->kind = o->backend;
    e->nthreads = o->nthreads > 0 ? o->nthreads : zt_threads_default();
    const struct zt_backend *be = o->backend == ZT_BACKEND_CPU ? &zt_backend_cpu : &zt_backend_ref;
#ifdef ZT_CUDA
    if (o->backend == ZT_BACKEND_CUDA) {
        /* every op has a device kernel: a host fallback could not read device memory */
        e->be = zt_backend_cuda;
        if (zt_engine_cuda_init(e, o->tf32)) {
            free(e);
            return NULL;
        }
        zt_rng_seed(&e->rng, o->seed);
        return e;
    }
#endif
    e->be = *be;
    for (int i = 0; i < ZT_OP_COUNT; i++) {
        if (!e->be.fwd[i]) e->be.fwd[i] = zt_backend_ref.fwd[i];
        if (!e->be.bwd[i]) {
            e->be.bwd[i] = zt_backend_ref.bwd[i];
            e->be.bwd_fresh[i] = 0;
        }
        ZT_ASSERT(e->be.fwd[i] && e->be.bwd[i]);
    }
    e->conv = (struct zt_conv_impl){NULL, zt_conv_ref_fwd, zt_conv_ref_bwd_data,
                                    zt_conv_ref_bwd_weights};
    if (zt_engine_cpu_conv(e, o->autotune)) {
        free(e);
        return NULL;
    }

    zt_rng_seed(&e->rng, o->seed);
    return e;
}

void zt_engine_free(struct zt_engine *e)
{
    if (!e) return;
#ifdef ZT_CUDA
    if (e->kind == ZT_BACKEND_CUDA) zt_engine_cuda_free(e);
#endif
    zt_engine_cpu_conv_free(e);
    zt_blk_free(e->blk);
    free(e);
}

int zt_engine_cuda_built(void)
{
#ifdef ZT_CUDA
    return 1;
#else
    return 0;
#endif
}

int zt_engine_backend(const struct zt_engine *e) { return e->kind; }

int zt_engine_set_blocked_layout(struct zt_engine *e, int on)
{
    if (e->kind == ZT_BACKEND_CUDA) return ZT_OK; /* cuDNN takes NCHW */
    if (on && e->kind != ZT_BACKEND_CPU) {
        zt_seterr("engine: the blocked layout needs the cpu backend");
        return ZT_EINVAL;
    }
    if (on && !e->blk && !(e->blk = zt_blk_new(e->nthreads))) return ZT_ENOMEM;
    e->blocked = on != 0;
    return ZT_OK;
}

void zt_engine_weights_changed(struct zt_engine *e) { zt_blk_weights_changed(e->blk); }

int zt_engine_threads(const struct zt_engine *e) { return e->nthreads; }
struct zt_rng *zt_engine_rng(struct zt_engine *e) { return &e->rng; }

void zt_engine_set_profile(struct zt_engine *e, int on)
{
    e->profile = on != 0;
    memset(e->prof, 0, sizeof e->prof);
}

int zt_engine_profile(const struct zt_engine *e, struct zt_op_profile *out, int max)
{
    int n = 0;
    for (int op = 0; op <= ZT_OP_COUNT; op++)
        for (int b = 0; b < 2; b++) {
            const struct zt_prof_slot *s = &e->prof[op][b];
            if (!s->calls) continue;
            if (n < max)
                out[n] = (struct zt_op_profile){op < ZT_OP_COUNT ? zt_op_name(op) : "grad_zero",
                                                b, s->calls, s->wall, s->cpu};
            n++;
        }
    return n;
}

/* --- device memory (engines with e->dev) --- */

static int no_dev(void)
{
    zt_seterr("engine: no device memory on this backend");
    return ZT_EINVAL;
}

int zt_engine_on_device(const struct zt_engine *e) { return e->dev != NULL; }

float *zt_engine_dev_alloc(struct zt_engine *e, int64_t n)
{
    if (!e->dev) {
        no_dev();
        return NULL;
    }
    return e->dev->mem.alloc(e->dev->mem.ctx, (size_t)n * sizeof(float));
}

void zt_engine_dev_free(struct zt_engine *e, float *p)
{
    if (p && e->dev) e->dev->mem.free(e->dev->mem.ctx, p);
}

int zt_engine_dev_upload(struct zt_engine *e, float *dst, const float *src, int64_t n)
{
    return e->dev ? e->dev->upload(e->dev->mem.ctx, dst, src, (size_t)n * sizeof(float)) : no_dev();
}

int zt_engine_dev_download(struct zt_engine *e, float *dst, const float *src, int64_t n)
{
    return e->dev ? e->dev->download(e->dev->mem.ctx, dst, src, (size_t)n * sizeof(float)) : no_dev();
}

int zt_engine_dev_zero(struct zt_engine *e, float *p, int64_t n)
{
    return e->dev ? e->dev->zero(e->dev->mem.ctx, p, (size_t)n * sizeof(float)) : no_dev();
}

int64_t zt_engine_dev_used(const struct zt_engine *e)
{
    return e->dev ? e->dev->used(e->dev->mem.ctx) : -1;
}

int zt_engine_dev_move(struct zt_engine *e, float **p, int64_t n, int to_device)
{
    if (!e->dev) return no_dev();
    if (!*p) return ZT_OK;
    float *q = to_device ? zt_engine_dev_alloc(e, n) : malloc((size_t)(n ? n : 1) * sizeof(float));
    if (!q) {
        if (!to_device) zt_seterr("engine: out of memory");
        return ZT_ENOMEM;
    }
    int rc = to_device ? zt_engine_dev_upload(e, q, *p, n) : zt_engine_dev_download(e, q, *p, n);
    if (rc) {
        if (to_device) zt_engine_dev_free(e, q);
        else free(q);
        return rc;
    }
    if (to_device) free(*p);
    else zt_engine_dev_free(e, *p);
    *p = q;
    return ZT_OK;
}

int zt_engine_adam(struct zt_engine *e, int64_t n, float *p, float *g, float *m, float *v,
                   const float k[8])
{
    return e->dev ? e->dev->adam(e->dev->mem.ctx, n, p, g, m, v, k) : no_dev();
}
