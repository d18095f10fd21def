/* engine.h: an engine context: which backend computes the ops, how many
 * OpenMP threads it uses, and its dropout RNG. One per model/worker thread;
 * several engines can run concurrently in one process (no global state). */
#ifndef ZT_ENGINE_H
#define ZT_ENGINE_H

#include <stdint.h>

enum zt_backend_kind {
    ZT_BACKEND_REF = 0, /* reference loops, single-threaded: the spec */
    ZT_BACKEND_CPU = 1, /* OpenMP kernels (+ oneDNN conv); missing kernels fall back to ref */
    ZT_BACKEND_CUDA = 2, /* `make CUDA=1` builds: cuDNN, cuBLAS and own kernels on one GPU;
                          * activations in device memory (graph.h: zt_graph_read) */
};

struct zt_engine_opts {
    int backend;   /* enum zt_backend_kind */
    int nthreads;  /* <= 0: zt_threads_default() */
    uint64_t seed; /* dropout RNG seed */
    int autotune;  /* cpu: let oneDNN conv time its candidate algorithms per shape
                    * (faster, but results may differ in the last bits between runs);
                    * 0 = one fixed algorithm: bit-reproducible at a fixed thread count */
    int tf32;      /* cuda: convolutions and matmuls may use TF32 tensor cores (faster;
                    * ~1e-3 relative error); 0 = full FP32 */
};

struct zt_engine;
struct zt_rng;

/* o NULL = {ZT_BACKEND_CPU, default threads, seed 0, no autotune}. NULL + zt_errmsg on
 * failure. Caller frees with zt_engine_free. */
struct zt_engine *zt_engine_new(const struct zt_engine_opts *o);
void zt_engine_free(struct zt_engine *e); /* NULL-safe */
/* 1 when this build has the CUDA backend (`make CUDA=1`), else 0; the
 * backend still needs a GPU at zt_engine_new. */
int zt_engine_cuda_built(void);
int zt_engine_backend(const struct zt_engine *e); /* enum zt_backend_kind */
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
int zt_engine_set_blocked_layout(struct zt_engine *e, int on); /* cuda: no-op, ZT_OK */
/* With the blocked layout, inference passes (no ZT_GRAPH_GRAD) keep the
 * weights of their big convolutions reordered for oneDNN from one pass to
 * the next (keyed by the weight's data pointer), and every training pass
 * drops them at zt_graph_begin. Call this after changing parameter values
 * in place between inference passes (loading a checkpoint into a live
 * model, an optimizer step outside a training pass). */
void zt_engine_weights_changed(struct zt_engine *e);

/* Device memory, for what must live beside a device engine's activations
 * (parameters, optimizer state). zt_engine_on_device: 1 for engines whose
 * tensors live in device memory (cuda), 0 otherwise, where the rest fail
 * with ZT_EINVAL (dev_alloc: NULL). Copies count floats; copies to the host
 * wait for the queued work. Errors: ZT_ENOMEM, ZT_EIO with zt_errmsg. */
int zt_engine_on_device(const struct zt_engine *e);
float *zt_engine_dev_alloc(struct zt_engine *e, int64_t n);
void zt_engine_dev_free(struct zt_engine *e, float *p); /* NULL-safe */
int zt_engine_dev_upload(struct zt_engine *e, float *dst, const float *src, int64_t n);
int zt_engine_dev_download(struct zt_engine *e, float *dst, const float *src, int64_t n);
int zt_engine_dev_zero(struct zt_engine *e, float *p, int64_t n);
/* Bytes of device memory in use on the engine's GPU (all of it: this
 * process, its CUDA context, others), for benchmarks; -1 without one. */
int64_t zt_engine_dev_used(const struct zt_engine *e);
/* Moves the n floats at *p (NULL: nothing to do) from host memory (malloc)
 * to new device memory (to_device 1) or back (0), freeing the old buffer
 * and replacing *p; on failure *p is unchanged. */
int zt_engine_dev_move(struct zt_engine *e, float **p, int64_t n, int to_device);
/* Fused Adam step on device memory (nn/optim.c's math): k = {step_size,
 * sqrt(bc2), beta1, 1 - beta1, beta2, 1 - beta2, weight_decay, eps}; g zeroed. */
int zt_engine_adam(struct zt_engine *e, int64_t n, float *p, float *g, float *m, float *v,
                   const float k[8]);

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
