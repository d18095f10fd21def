/* engine.c: engine contexts: backend table resolution (NULL slot -> ref),
 * thread count, conv implementation, RNG. */
#include "backend.h"
#include "../util/parallel.h"
#include "../util/zt.h"

#include <stdlib.h>
#include <string.h>

struct zt_engine *zt_engine_new(const struct zt_engine_opts *o)
{
    struct zt_engine_opts def = {ZT_BACKEND_CPU, 0, 0, 0};
    if (!o) o = &def;
    if (o->backend != ZT_BACKEND_REF && o->backend != ZT_BACKEND_CPU) {
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
    zt_engine_cpu_conv_free(e);
    zt_blk_free(e->blk);
    free(e);
}

int zt_engine_set_blocked_layout(struct zt_engine *e, int on)
{
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
