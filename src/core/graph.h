/* graph.h: one forward(/backward) pass. Op constructors (ops.h) run their
 * forward kernel at once and, when gradients are on and an input needs one,
 * record a node on the graph's tape; zt_graph_backward walks the tape in
 * reverse. Every activation, node and gradient of the pass lives in the
 * graph's arena and dies at the next zt_graph_begin. */
#ifndef ZT_GRAPH_H
#define ZT_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "tensor.h"

struct zt_engine;
struct zt_arena;
struct zt_graph;

enum {
    ZT_GRAPH_GRAD = 1,  /* record the tape (training step); off = inference */
    ZT_GRAPH_TRAIN = 2, /* training-mode ops: BN batch stats, dropout active */
};

/* e: borrowed, must outlive the graph. arena_bytes: first arena block
 * (0 = 1 MiB; it grows). arena_max: cap (0 = none). NULL + zt_errmsg on
 * failure. Caller frees with zt_graph_free. */
struct zt_graph *zt_graph_new(struct zt_engine *e, size_t arena_bytes, size_t arena_max);
void zt_graph_free(struct zt_graph *g); /* NULL-safe */
/* A second tape on owner's arena, for a pass nested in the owner's (a GAN's
 * discriminator step between the generator's forward and backward): its
 * begin does not reset the arena; the caller ends its allocations with
 * zt_graph_mark(owner) before it begins and zt_arena_release() after its
 * last use, so the owner's pass reuses that memory. Must not outlive owner. */
struct zt_graph *zt_graph_new_nested(struct zt_graph *owner);
/* Starts a pass: clears the tape, the error and the arena (every tensor of
 * the previous pass dies); flags = ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN or 0. */
void zt_graph_begin(struct zt_graph *g, int flags);
int zt_graph_flags(const struct zt_graph *g);
/* ZT_OK, or the first failure of an op in this pass (sticky: every later op
 * returns NULL, so model code may check once at the end). */
int zt_graph_status(const struct zt_graph *g);
int zt_graph_tape_len(const struct zt_graph *g);
struct zt_arena *zt_graph_arena(struct zt_graph *g);

/* New arena tensor: data copied from data (NULL: zero-filled). Leaves with
 * requires_grad get their grad (arena) in backward. NULL on failure. */
struct zt_tensor *zt_graph_input(struct zt_graph *g, int ndim, const int64_t *shape,
                                 const float *data, int requires_grad);
/* Arena tensor header over caller memory (borrowed, no copy; must outlive the pass):
 * tensor memory of the same engine (device memory on device engines). */
struct zt_tensor *zt_graph_wrap(struct zt_graph *g, int ndim, const int64_t *shape, float *data,
                                int requires_grad);
/* Copies n floats of tensor memory src (a tensor's data or grad, which is
 * device memory on device engines; the layout is the tensor's) to host dst,
 * after the work queued before it. ZT_OK, or a code with zt_errmsg. */
int zt_graph_read(struct zt_graph *g, const float *src, float *dst, int64_t n);
/* 1 when g's tensors live in device memory (its engine is cuda). */
int zt_graph_on_device(const struct zt_graph *g);

/* Inference memory reuse: zt_graph_mark() remembers the arena position;
 * zt_graph_release_keep(g, m, t) ends every allocation made since m and
 * returns a fresh copy of t (made after the release; its data and shape,
 * no grad, no node), so a chain of inference ops can run in the memory of
 * one block at a time. Only for passes without a tape (flags without
 * ZT_GRAPH_GRAD): a tape would point into released memory (ZT_EINVAL).
 * NULL on failure (graph failed). */
struct zt_arena_mark zt_graph_mark(struct zt_graph *g);
struct zt_tensor *zt_graph_release_keep(struct zt_graph *g, struct zt_arena_mark m,
                                        const struct zt_tensor *t);

/* Reverse pass from a scalar loss (seed dL/dloss = 1). Gradients are added
 * into every reachable tensor's grad: parameters' persistent grad buffers
 * accumulate (zero them in the optimizer step), activations get arena ones.
 * Call once per pass. Returns ZT_OK or the failure. */
int zt_graph_backward(struct zt_graph *g, struct zt_tensor *loss);
/* Same with an explicit upstream gradient dy (numel of t floats, copied). */
int zt_graph_backward_seed(struct zt_graph *g, struct zt_tensor *t, const float *dy);

#endif
