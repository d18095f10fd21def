/* pix2pix.h: the pix2pix networks of pytorch-CycleGAN-and-pix2pix, written
 * once on the engine's ops: the U-Net generator (UnetGenerator built from
 * nested UnetSkipConnectionBlocks) and the PatchGAN discriminator
 * (NLayerDiscriminator). Parameter and buffer names are the official
 * state_dict keys, so weights move between PyTorch and Ztyle by name.
 * Quirk kept on purpose: the official down path starts with an in-place
 * LeakyReLU, so every skip connection carries LeakyReLU(encoder features). */
#ifndef ZT_PIX2PIX_H
#define ZT_PIX2PIX_H

#include "../core/param.h"

struct zt_graph;
struct zt_rng;
struct zt_tensor;

enum zt_norm { ZT_NORM_BATCH = 0, ZT_NORM_INSTANCE = 1 };

#define ZT_UNET_MAX_DOWNS 10

/* The decoder's upsampling. DECONV is the official ConvTranspose2d(4, 2, 1),
 * whose uneven kernel overlap paints a periodic checkerboard (Odena et al.
 * 2016, "Deconvolution and checkerboard artifacts"); RESIZE is nearest x2
 * then Conv2d(3, 1, 1), the same names with weights (out, in, 3, 3). */
enum zt_upsample { ZT_UP_DECONV = 0, ZT_UP_RESIZE = 1 };

struct zt_unet_cfg {
    int in_nc, out_nc;
    int num_downs;   /* 7: unet_128, 8: unet_256 */
    int ngf;         /* 64 official default */
    int norm;        /* enum zt_norm */
    int use_dropout; /* 1: Dropout(0.5) in the ngf*8 middle blocks (pix2pix default) */
    int upsample;    /* enum zt_upsample: how the decoder doubles the size */
};

struct zt_unet_level {
    int input_nc, inner_nc, outer_nc;
    int kind; /* 0 outermost, 1 middle, 2 innermost */
    int dropout;
    char prefix[160];     /* state_dict prefix of this level's Sequential, "model.model." ... */
    struct zt_tensor *drop_mask; /* optional, borrowed: fixed keep-mask (0/1) used instead of
                                    random dropout in a TRAIN pass (parity tests) */
    struct zt_tensor *down_w, *down_b;                        /* down_b: instance norm only */
    struct zt_tensor *dn_w, *dn_b, *dn_rm, *dn_rv, *dn_nbt;   /* down norm (middle) */
    struct zt_tensor *up_w, *up_b;
    struct zt_tensor *un_w, *un_b, *un_rm, *un_rv, *un_nbt;   /* up norm (not outermost) */
};

struct zt_unet {
    struct zt_unet_cfg cfg;
    struct zt_params params; /* owned: every weight, bias and BN buffer */
    struct zt_unet_level lv[ZT_UNET_MAX_DOWNS];
};

/* Fills the official defaults: unet_256 for num_downs 8, ngf 64, batch norm,
 * dropout on. */
void zt_unet_cfg_default(struct zt_unet_cfg *c, int in_nc, int out_nc, int num_downs);
/* Creates every parameter (zeroed; BN running_var = 1). ZT_EINVAL for bad
 * configs (num_downs 5..10, channels > 0). Deinit frees them. */
int zt_unet_init(struct zt_unet *u, const struct zt_unet_cfg *c);
void zt_unet_deinit(struct zt_unet *u); /* NULL-safe */
/* x (N, in_nc, S, S) with S divisible by 2^num_downs -> (N, out_nc, S, S) in
 * [-1, 1]. The graph's flags pick train mode (batch statistics, dropout) or
 * eval (running statistics, no dropout). NULL on failure (graph status). */
struct zt_tensor *zt_unet_forward(struct zt_unet *u, struct zt_graph *g, struct zt_tensor *x);

/* Copies every tensor of src (a DECONV U-Net) into dst (the same config
 * but RESIZE), each 4x4 transposed kernel projected onto the 3x3 kernel
 * after a nearest x2 that reproduces the mean of its four sub-pixel phases
 * (exact where the phases agree; what is dropped is the checkerboard).
 * A warm start for a resize-conv model from a trained deconv one.
 * ZT_EINVAL when the configs differ otherwise. */
int zt_unet_resize_from_deconv(struct zt_unet *dst, const struct zt_unet *src);
/* Copies every tensor of src into dst, a U-Net of the same config but for
 * its input channels: dst input channel c takes src's channel from[c]
 * (zeros where from[c] < 0). A warm start for a model with more (or other)
 * category planes. ZT_EINVAL when the configs differ otherwise or from[c]
 * is out of src's range. */
int zt_unet_widen_input(struct zt_unet *dst, const struct zt_unet *src, const int *from);

struct zt_patchgan_cfg {
    int in_nc;    /* input + output channels (the D sees cat(A, B)) */
    int ndf;      /* 64 */
    int n_layers; /* 3 */
    int norm;     /* enum zt_norm */
};

#define ZT_PATCHGAN_MAX_LAYERS 8

struct zt_patchgan {
    struct zt_patchgan_cfg cfg;
    struct zt_params params;
    int nconv;
    struct zt_patchgan_conv {
        int cin, cout, stride, has_norm, has_bias;
        struct zt_tensor *w, *b, *nw, *nb, *rm, *rv, *nbt;
    } conv[ZT_PATCHGAN_MAX_LAYERS + 2];
};

void zt_patchgan_cfg_default(struct zt_patchgan_cfg *c, int in_nc);
int zt_patchgan_init(struct zt_patchgan *d, const struct zt_patchgan_cfg *c);
void zt_patchgan_deinit(struct zt_patchgan *d); /* NULL-safe */
/* x (N, in_nc, S, S) -> logits (N, 1, S', S') (30x30 for S = 256, n_layers 3). */
struct zt_tensor *zt_patchgan_forward(struct zt_patchgan *d, struct zt_graph *g,
                                      struct zt_tensor *x);

/* FLOPs (2 * multiply-adds of the convolutions) of one U-Net forward pass of
 * batch 1 at size x size, for benchmarks. */
double zt_unet_flops(const struct zt_unet_cfg *c, int size);

#endif
