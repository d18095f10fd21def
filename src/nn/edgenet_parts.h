/* edgenet_parts.h: private building blocks shared by the DexiNed and TEED
 * models (dexined.c, teed.c): parameter creation by state_dict name,
 * conv / eval-mode BatchNorm / upsampling blocks, and arena compaction for
 * inference. Not a public API: include only from src/nn/dexined.c, teed.c. */
#ifndef ZT_EDGENET_PARTS_H
#define ZT_EDGENET_PARTS_H

#include "../core/arena.h"
#include "../core/ops.h"
#include "../core/param.h"

/* A convolution's parameters and arguments. w: (Cout, Cin/groups, k, k) for
 * conv2d, (Cin, Cout/groups, k, k) for a transposed one; b: (Cout). */
struct zt_en_conv {
    struct zt_tensor *w, *b;
    struct zt_conv_args a;
    int transposed;
};

/* BatchNorm2d parameters and buffers (eval mode: running statistics). */
struct zt_en_bn {
    struct zt_tensor *w, *b, *rm, *rv, *nbt;
};

/* UpConvBlock(cin, up_scale): up_scale x (conv 1x1, act, ConvTranspose2d
 * (k = 2^up_scale, stride 2, pad {0,0,1,3,7}[up_scale])): exactly 2^up_scale
 * times larger, 1 channel out. act: 0 ReLU (DexiNed), 1 Smish (TEED). */
#define ZT_EN_MAX_UP 4
struct zt_en_up {
    int n, act;
    struct zt_en_conv conv[ZT_EN_MAX_UP], deconv[ZT_EN_MAX_UP];
};

/* All parameters are created as buffers (no gradient buffers: inference
 * only), zero-filled; BN weight and running_var start at 1. Each returns
 * ZT_OK or ZT_ENOMEM / ZT_EINVAL with zt_errmsg set. name: "<prefix>". */
int zt_en_conv_add(struct zt_params *ps, struct zt_en_conv *c, const char *prefix, int cin,
                   int cout, int k, int stride, int pad, int groups, int transposed);
int zt_en_bn_add(struct zt_params *ps, struct zt_en_bn *bn, const char *prefix, int c);
int zt_en_up_add(struct zt_params *ps, struct zt_en_up *u, const char *prefix, int cin,
                 int up_scale, int act);

struct zt_tensor *zt_en_conv(struct zt_graph *g, const struct zt_en_conv *c, struct zt_tensor *x);
struct zt_tensor *zt_en_bn(struct zt_graph *g, const struct zt_en_bn *bn, struct zt_tensor *x);
struct zt_tensor *zt_en_up(struct zt_graph *g, const struct zt_en_up *u, struct zt_tensor *x);

/* Inference memory: ends every arena allocation made since m and gives back
 * fresh copies of the n tensors in ts (replaced in place), so a stage's
 * intermediates die once its outputs are kept. ZT_EINVAL when the pass
 * records a tape, ZT_ENOMEM; the graph's own failure code if it failed. */
int zt_en_keep(struct zt_graph *g, struct zt_arena_mark m, int n, struct zt_tensor **ts);

/* Checks a model input: (N, 3, H, W) with H, W multiples of `multiple`,
 * and an inference pass (no ZT_GRAPH_GRAD / ZT_GRAPH_TRAIN); ZT_EINVAL
 * with a message naming `model` otherwise. */
int zt_en_check_input(struct zt_graph *g, const char *model, const struct zt_tensor *x,
                      int multiple);

#endif
