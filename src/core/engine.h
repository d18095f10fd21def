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
/* Blocked layout (cpu backend; off by default): convolutions whose output
 * has 16x16 pixels or more and 16k channels leave it in oneDNN's nChw16c
 * layout (tensor.h), and BatchNorm, activations, dropout and channel concat
 * keep it, so chains of them need no reorders (much faster for CNNs such as
 * pix2pix); smaller convolutions run as im2col + sgemm; other ops convert
 * their inputs to NCHW. Callers reading ->data of intermediate tensors must
 * check t->layout (or use zt_to_plain). Same results up to the float
 * rounding of the convolutions, reproducible at a fixed thread count.
 * Takes effect for ops made afterwards. ZT_OK, ZT_ENOMEM, or ZT_EINVAL for
 * the ref backend. */
int zt_engine_set_blocked_layout(struct zt_engine *e, int on);
/* With the blocked layout, inference passes (no ZT_GRAPH_GRAD) keep the
 * weights of their big convolutions reordered for oneDNN from one pass to
 * the next (keyed by the weight's data pointer), and every training pass
 * drops them at zt_graph_begin. Call this after changing parameter values
 * in place between inference passes (loading a checkpoint into a live
 * model, an optimizer step outside a training pass). */
void zt_engine_weights_changed(struct zt_engine *e);

/* The engine's RNG (dropout masks); borrowed, e.g. to reseed. */
struct zt_rng *zt_engine_rng(struct zt_engine *e);

/* Per-op profile (benchmarks, docs/internals/engine.md "Performance"): while
 * on, every forward and backward kernel call of graphs on e adds its wall
 * and process CPU time (all threads) to a slot per (op, direction); the
 * zero-fill of activation gradients before backward counts as op
 * "grad_zero". Turning it on or off clears the counters. */
struct zt_op_profile {
    const char *op; /* op name (static) */
    int bwd;        /* 0 forward, 1 backward */
    int64_t calls;
    double wall_s, cpu_s;
};
void zt_engine_set_profile(struct zt_engine *e, int on);
/* Copies up to max non-empty slots into out (op order, forward first);
 * returns how many there are. */
int zt_engine_profile(const struct zt_engine *e, struct zt_op_profile *out, int max);

#endif
