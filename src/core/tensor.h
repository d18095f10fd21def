/* tensor.h: the engine's tensor: float32, up to 4-D (NCHW; 2-D (N, F) for
 * linear), shape + strides over data it does not own. Activations live in a
 * graph's arena, parameters in a struct zt_params (param.h). */
#ifndef ZT_TENSOR_H
#define ZT_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#define ZT_MAX_DIMS 4

struct zt_node;

/* Memory order of a 4-D tensor's data. PLAIN: row-major NCHW (strides).
 * BLOCKED16: oneDNN's nChw16c, only for contiguous (N, C, H, W) with C a
 * multiple of 16: element (n, c, h, w) is at
 * (((n * C/16 + c/16) * H + h) * W + w) * 16 + c % 16. Same element count,
 * no padding. Only engines with the blocked layout make such tensors (conv
 * outputs and the ops that pass them on); every other op converts its
 * inputs to PLAIN, and zt_to_plain (ops.h) does it for callers. */
enum zt_layout { ZT_LAYOUT_PLAIN = 0, ZT_LAYOUT_BLOCKED16 = 1 };

struct zt_tensor {
    int ndim;                      /* 0..4; 0 = scalar (numel 1) */
    int64_t shape[ZT_MAX_DIMS];    /* unused dims are 1 */
    int64_t stride[ZT_MAX_DIMS];   /* in elements; row-major contiguous unless a view */
    float *data;                   /* borrowed: arena memory or the owning param */
    float *grad;                   /* dL/dx, contiguous, same shape; NULL until needed; borrowed */
    int requires_grad;             /* leaf flag, or "some input requires grad" for op outputs */
    struct zt_node *node;          /* op that produced it; NULL for leaves / untaped outputs */
    const char *name;              /* optional, borrowed (params: the state_dict name) */
    int layout;                    /* enum zt_layout of data (and grad, which matches) */
    int grad_fresh;                /* engine-internal: 1 during backward, grad is allocated
                                    * but holds nothing yet (the next kernel writes it);
                                    * 2 grad is all zeros (the optimizer zeroed it), so
                                    * the next kernel may write instead of add */
};

/* Number of elements (1 for a scalar). */
int64_t zt_tensor_numel(const struct zt_tensor *t);
/* Sets ndim/shape and row-major contiguous strides; data/grad untouched. */
void zt_tensor_set_shape(struct zt_tensor *t, int ndim, const int64_t *shape);
int zt_tensor_is_contiguous(const struct zt_tensor *t);
int zt_tensor_same_shape(const struct zt_tensor *a, const struct zt_tensor *b);
/* "(2, 3, 8, 8)" into buf (size n); returns buf. */
char *zt_tensor_shape_str(const struct zt_tensor *t, char *buf, size_t n);
/* Fills *out with a view of t narrowed to [start, start+len) along dim:
 * shares data (and grad when present), keeps strides; no graph node, so a
 * view is for reading/writing buffers, not for differentiating through.
 * ZT_EINVAL when out of range. */
/* Offset of element (n, c, h, w) of an (N, C, H, W) tensor stored as nChw16c. */
static inline int64_t zt_blk16_index(int64_t C, int64_t HW, int64_t n, int64_t c, int64_t hw)
{
    return ((n * (C >> 4) + (c >> 4)) * HW + hw) * 16 + (c & 15);
}
/* Copies between NCHW and nChw16c (C % 16 == 0) with nthreads OpenMP
 * threads; adds into dst when accumulate is set. */
void zt_blk16_from_plain(const float *src, float *dst, int64_t N, int64_t C, int64_t HW,
                         int accumulate, int nthreads);
void zt_blk16_to_plain(const float *src, float *dst, int64_t N, int64_t C, int64_t HW,
                       int accumulate, int nthreads);
int zt_tensor_narrow(const struct zt_tensor *t, int dim, int64_t start, int64_t len,
                     struct zt_tensor *out);

#endif
