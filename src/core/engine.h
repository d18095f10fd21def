/* engine.h: an engine context: which backend computes the ops, how many
 * OpenMP threads it uses, and its dropout RNG. One per model/worker thread;
 * several engines can run concurrently in one process (no global state). */
#ifndef ZT_ENGINE_H
#define ZT_ENGINE_H

#include <stdint.h>

enum zt_backend_kind {
    ZT_BACKEND_REF = 0, /* reference loops, single-threaded: the spec */
    ZT_BACKEND_CPU = 1, /* OpenMP kernels (+ oneDNN conv); missing kernels fall back to ref */
};

struct zt_engine_opts {
    int backend;   /* enum zt_backend_kind */
    int nthreads;  /* <= 0: zt_threads_default() */
    uint64_t seed; /* dropout RNG seed */
    int autotune;  /* cpu: let oneDNN conv time its candidate algorithms per shape
                    * (faster, but results may differ in the last bits between runs);
                    * 0 = one fixed algorithm: bit-reproducible at a fixed thread count */
};

struct zt_engine;
struct zt_rng;

/* o NULL = {ZT_BACKEND_CPU, default threads, seed 0, no autotune}. NULL + zt_errmsg on
 * failure. Caller frees with zt_engine_free. */
struct zt_engine *zt_engine_new(const struct zt_engine_opts *o);
void zt_engine_free(struct zt_engine *e); /* NULL-safe */
int zt_engine_threads(const struct zt_engine *e);
const char *zt_engine_backend_name(const struct zt_engine *e);
/* The engine's RNG (dropout masks); borrowed, e.g. to reseed. */
struct zt_rng *zt_engine_rng(struct zt_engine *e);

#endif
