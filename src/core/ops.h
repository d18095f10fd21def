/* ops.h: op constructors, the vocabulary models are written in. Each checks
 * shapes, computes its output at once (on the graph's engine backend) into
 * the graph's arena and, when gradients are on, records itself for
 * zt_graph_backward. Returned tensors belong to the graph's arena.
 * Failure (bad shape, out of memory): NULL, zt_errmsg() says why, and the
 * graph is failed (zt_graph_status): every later op returns NULL too, so a
 * model may check once at the end. Inputs must be contiguous.
 * Layout: images (N, C, H, W); linear (N, F); weights as PyTorch. */
#ifndef ZT_OPS_H
#define ZT_OPS_H

#include "graph.h"
#include "tensor.h"

/* --- convolution (kernels behind core/conv.h) --- */

/* Zero/omitted fields mean: stride 1, pad 0, dilation 1, groups 1, output_padding 0. */
struct zt_conv_args {
    int stride[2], pad[2], dilation[2], output_padding[2]; /* {h, w} */
    int groups;
};
/* x (N, Cin, H, W), w (Cout, Cin/groups, kh, kw), b (Cout) or NULL -> (N, Cout, OH, OW). a NULL = defaults. */
struct zt_tensor *zt_conv2d(struct zt_graph *g, struct zt_tensor *x, struct zt_tensor *w,
                            struct zt_tensor *b, const struct zt_conv_args *a);
/* x (N, Cin, H, W), w (Cin, Cout/groups, kh, kw), b (Cout) or NULL
 * -> OH = (H-1)*stride - 2*pad + dil*(kh-1) + output_padding + 1. */
struct zt_tensor *zt_conv_transpose2d(struct zt_graph *g, struct zt_tensor *x,
                                      struct zt_tensor *w, struct zt_tensor *b,
                                      const struct zt_conv_args *a);

/* --- normalisation --- */

/* BatchNorm2d over (N, C, H, W) (or BatchNorm1d over (N, C)). weight/bias (C)
 * or NULL (affine=False). In a ZT_GRAPH_TRAIN pass: batch statistics, and
 * when running_mean/var are given they are updated in place as PyTorch
 * (r = (1-momentum) r + momentum * stat, unbiased variance) and
 * num_batches_tracked (1 element, may be NULL) += 1. Otherwise: running
 * statistics (batch ones when running_mean is NULL). */
struct zt_tensor *zt_batch_norm(struct zt_graph *g, struct zt_tensor *x, struct zt_tensor *weight,
                                struct zt_tensor *bias, struct zt_tensor *running_mean,
                                struct zt_tensor *running_var,
                                struct zt_tensor *num_batches_tracked, float momentum, float eps);
/* InstanceNorm2d: per (n, c) statistics over H, W (biased variance); no
 * running stats (PyTorch default); weight/bias (C) or NULL (affine=False). */
struct zt_tensor *zt_instance_norm(struct zt_graph *g, struct zt_tensor *x,
                                   struct zt_tensor *weight, struct zt_tensor *bias, float eps);

/* --- elementwise --- */

struct zt_tensor *zt_relu(struct zt_graph *g, struct zt_tensor *x);
struct zt_tensor *zt_leaky_relu(struct zt_graph *g, struct zt_tensor *x, float slope);
struct zt_tensor *zt_tanh(struct zt_graph *g, struct zt_tensor *x);
struct zt_tensor *zt_sigmoid(struct zt_graph *g, struct zt_tensor *x);
/* Smish (TEED): x * tanh(ln(1 + sigmoid(x))). ops_smish.c */
struct zt_tensor *zt_smish(struct zt_graph *g, struct zt_tensor *x);
/* Dropout: in a ZT_GRAPH_TRAIN pass zeroes each element with probability p
 * (mask from the engine RNG, drawn serially: same at any thread count) and
 * scales the rest by 1/(1-p); identity (returns x) otherwise. */
struct zt_tensor *zt_dropout(struct zt_graph *g, struct zt_tensor *x, float p);
/* Dropout with a given keep-mask (same shape, 0 or 1), in any mode: x*mask/(1-p). */
struct zt_tensor *zt_dropout_mask(struct zt_graph *g, struct zt_tensor *x,
                                  struct zt_tensor *mask, float p);
/* alpha*a + beta*b (same shapes). */
struct zt_tensor *zt_axpby(struct zt_graph *g, float alpha, struct zt_tensor *a, float beta,
                           struct zt_tensor *b);
struct zt_tensor *zt_add(struct zt_graph *g, struct zt_tensor *a, struct zt_tensor *b);
struct zt_tensor *zt_mul(struct zt_graph *g, struct zt_tensor *a, struct zt_tensor *b);
/* a*x + b with constants a, b. */
struct zt_tensor *zt_scale(struct zt_graph *g, struct zt_tensor *x, float a, float b);

/* --- shape --- */

/* Concatenation along dim 1 (channels) of n >= 1 tensors (n <= 8) equal in
 * every other dim. */
struct zt_tensor *zt_concat(struct zt_graph *g, int n, struct zt_tensor *const *xs);
/* Copy of x[start : start+len] along dim. */
struct zt_tensor *zt_slice(struct zt_graph *g, struct zt_tensor *x, int dim, int64_t start,
                           int64_t len);
/* x in NCHW order: x itself when it is already plain, else a converted copy
 * (engines with the blocked layout keep conv/BN/activation outputs in nChw16c,
 * tensor.h; ops convert their inputs themselves, this is for code that
 * reads ->data). Differentiable. */
struct zt_tensor *zt_to_plain(struct zt_graph *g, struct zt_tensor *x);
/* Same data, new shape (one dim may be -1). Shares x's data. */
struct zt_tensor *zt_reshape(struct zt_graph *g, struct zt_tensor *x, int ndim,
                             const int64_t *shape);
enum { ZT_PAD_ZERO = 0, ZT_PAD_REFLECT = 1 };
/* Pads H and W of (N, C, H, W) as F.pad(x, (left, right, top, bottom), mode). */
struct zt_tensor *zt_pad2d(struct zt_graph *g, struct zt_tensor *x, int left, int right, int top,
                           int bottom, int mode);

/* --- resampling and pooling (N, C, H, W) --- */

/* F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=ac). */
struct zt_tensor *zt_upsample_bilinear(struct zt_graph *g, struct zt_tensor *x, int oh, int ow,
                                       int align_corners);
/* F.interpolate(x, size=(oh, ow), mode="nearest"). */
struct zt_tensor *zt_upsample_nearest(struct zt_graph *g, struct zt_tensor *x, int oh, int ow);
/* nn.MaxPool2d(k, stride, pad) (floor mode, dilation 1). */
struct zt_tensor *zt_max_pool2d(struct zt_graph *g, struct zt_tensor *x, int k, int stride,
                                int pad);
/* nn.AvgPool2d(k, stride, pad, count_include_pad) (floor mode). */
struct zt_tensor *zt_avg_pool2d(struct zt_graph *g, struct zt_tensor *x, int k, int stride,
                                int pad, int count_include_pad);

/* --- linear algebra and reductions --- */

/* a (M, K) @ b (K, N) -> (M, N). */
struct zt_tensor *zt_matmul(struct zt_graph *g, struct zt_tensor *a, struct zt_tensor *b);
/* nn.Linear: x (N, in) @ w (out, in)^T + b (out) or NULL -> (N, out). */
struct zt_tensor *zt_linear(struct zt_graph *g, struct zt_tensor *x, struct zt_tensor *w,
                            struct zt_tensor *b);
/* Sum / mean of all elements -> scalar (ndim 0). */
struct zt_tensor *zt_sum(struct zt_graph *g, struct zt_tensor *x);
struct zt_tensor *zt_mean(struct zt_graph *g, struct zt_tensor *x);

/* --- losses (mean reduction) -> scalar --- */

struct zt_tensor *zt_l1_loss(struct zt_graph *g, struct zt_tensor *x, struct zt_tensor *target);
struct zt_tensor *zt_mse_loss(struct zt_graph *g, struct zt_tensor *x, struct zt_tensor *target);
/* BCEWithLogitsLoss: mean(max(x,0) - x*t + log(1 + exp(-|x|))); target is a
 * tensor (no gradient flows to it) or, with target NULL, the constant t. */
struct zt_tensor *zt_bce_logits(struct zt_graph *g, struct zt_tensor *x, struct zt_tensor *target,
                                float t);

#endif
