/* dnnl_prim.h: one oneDNN 2.6 convolution or transposed-convolution
 * primitive (forward, backward-data or backward-weights) with its arguments,
 * shared by conv_dnnl.c (plain NCHW activations) and conv_blk.c (activations
 * in the tensor's own layout). An argument is the caller's buffer and, where
 * the primitive wants another layout or an output accumulates, the
 * primitive's own memory at an offset of the caller's workspace plus the
 * reorder between them (with a sum post-op to accumulate). */
#ifndef ZT_DNNL_PRIM_H
#define ZT_DNNL_PRIM_H

#include "conv.h"

#include <dnnl.h>
#include <stddef.h>
#include <stdint.h>

enum zt_dp_dir { ZT_DP_FWD, ZT_DP_BWD_DATA, ZT_DP_BWD_WEIGHTS };
enum { ZT_DP_MAX_ARGS = 4 };

struct zt_dp_arg {
    int dnnl_arg, output;
    dnnl_memory_t user;        /* the caller's layout; handle set per call */
    dnnl_memory_t prim;        /* == user when no reorder is needed */
    dnnl_primitive_t reorder;  /* user->prim (input) or prim->user (output), or NULL */
    size_t ws_off;             /* prim's buffer in the workspace when prim != user */
};

struct zt_dp {
    dnnl_primitive_desc_t pd, hint_pd; /* hint_pd: forward pd a backward pd was made from */
    dnnl_primitive_t prim;
    struct zt_dp_arg args[ZT_DP_MAX_ARGS]; /* fwd: x, w, [b], y; bwd-data: dy, w, dx;
                                             * bwd-weights: x, dy, dw, [db] */
    int nargs;
    dnnl_memory_t scratch;     /* user-mode scratchpad in the workspace; NULL if none */
    size_t scratch_off, ws_need;
    int nreorders;             /* reorder primitives made (statistics) */
};

size_t zt_dp_align64(size_t n);

/* What a convolution context owns besides its primitives: oneDNN's CPU engine
 * and stream, and one workspace (64-byte aligned, zeroed when made, grown on
 * demand) that every primitive's reordered arguments and scratchpad share. */
struct zt_dp_env {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    char *ws;
    size_t ws_size;
};
dnnl_status_t zt_dp_env_init(struct zt_dp_env *v); /* on failure: zt_dp_env_deinit */
void zt_dp_env_deinit(struct zt_dp_env *v);
/* 0 when ws holds at least need bytes (growing it), -1 out of memory (ws kept) */
int zt_dp_env_reserve(struct zt_dp_env *v, size_t need);
/* FNV-1a of a cache key's bytes (keys are memset before filling) */
uint32_t zt_dp_key_hash(const void *key, size_t n);

/* Builds m for d in direction dir (enum zt_dp_dir). xtag/ytag: the layout of
 * the caller's x/dx and y/dy (dnnl_nchw or dnnl_nChw16c); weights and biases
 * are PyTorch's plain layouts. any: let oneDNN choose the primitive's layouts
 * (its blocked JIT kernels, reorders around them), else the primitive uses
 * the caller's (oneDNN's plain gemm kernels, no reorders). On failure m is
 * left for zt_dp_free and the oneDNN status returned. */
dnnl_status_t zt_dp_build(struct zt_dp *m, dnnl_engine_t eng, const struct zt_conv_desc *d,
                          int dir, int bias, int accumulate, dnnl_format_tag_t xtag,
                          dnnl_format_tag_t ytag, int any);
void zt_dp_free(struct zt_dp *m);

/* Runs m on the caller's buffers ptr[i] (m->args order) with ws (at least
 * m->ws_need bytes). A reordered argument i lives at alt[i] instead of the
 * workspace when alt && alt[i]; input reorders whose bit is set in skip_in
 * and, with skip_out, all output reorders are not run. *late = 1 when the
 * failure came after outputs were written to (only the output reorders). */
dnnl_status_t zt_dp_exec(struct zt_dp *m, dnnl_stream_t s, char *ws, void *const *ptr,
                         void *const *alt, unsigned skip_in, int skip_out, int *late);

#endif
