/* p2p.h: pix2pix training and inference on the engine: the generator and
 * discriminator pair with their Adam optimizers, one optimisation step as
 * the official pix2pix_model.py (D on fake.detach() and real; then G with D
 * frozen: GAN + lambda * L1), training checkpoints (weights, optimizer
 * state, counters; atomic) and the generator-only model file the product
 * ships and loads (weights + a JSON description in the metadata). */
#ifndef ZT_P2P_H
#define ZT_P2P_H

#include <stdint.h>

#include "pix2pix.h"
#include "safetensors.h"

struct zt_engine;
struct zt_graph;
struct zt_optim;

enum zt_gan_mode { ZT_GAN_VANILLA = 0, ZT_GAN_LSGAN = 1 };

struct zt_p2p_cfg {
    struct zt_unet_cfg g;
    struct zt_patchgan_cfg d;
    int gan_mode;     /* enum zt_gan_mode */
    float lambda_l1;  /* 100 */
    double lr, beta1, beta2; /* 2e-4, 0.5, 0.999 */
};

/* Official defaults for in_nc input channels, num_downs, ngf. */
void zt_p2p_cfg_default(struct zt_p2p_cfg *c, int in_nc, int num_downs, int ngf);

struct zt_p2p_losses {
    float g_gan, g_l1, d_real, d_fake; /* g_l1 without lambda */
};

struct zt_p2p {
    struct zt_p2p_cfg cfg;
    struct zt_unet G;
    struct zt_patchgan D;
    struct zt_optim *optG, *optD;
    struct zt_engine *eng;
    struct zt_graph *gG, *gD;
    int64_t steps;
};

/* Builds both networks with the pix2pix init (N(0, 0.02)) from seed, the
 * optimizers and one engine of nthreads. Caller deinits. */
int zt_p2p_init(struct zt_p2p *m, const struct zt_p2p_cfg *c, int nthreads, uint64_t seed);
void zt_p2p_deinit(struct zt_p2p *m); /* NULL-safe */
/* One step on a batch: A (n, in_nc, s, s), B (n, 3, s, s). dropout_seed
 * seeds this step's dropout masks (so a resumed run replays them). */
int zt_p2p_step(struct zt_p2p *m, const float *A, const float *B, int n, int s,
                uint64_t dropout_seed, struct zt_p2p_losses *out);
void zt_p2p_set_lr(struct zt_p2p *m, double lr);

/* Training checkpoint: "G.*", "D.*", "optG.exp_avg.*", "optG.exp_avg_sq.*",
 * likewise optD, metadata "ztyle.steps" plus the caller's key/value pairs
 * (NULL-terminated; may be NULL). Atomic. */
int zt_p2p_save(const struct zt_p2p *m, const char *path, const char *const *meta);
/* Loads a checkpoint saved by zt_p2p_save into an initialised m of the same
 * config; *meta_json (optional) receives the metadata JSON (caller frees). */
int zt_p2p_load(struct zt_p2p *m, const char *path, char **meta_json);

/* --- the shipped generator --- */

struct zt_gen_info {
    struct zt_unet_cfg g;
    int size;                /* training crop size */
    int ncat;                /* 0: unconditioned */
    char cat[16][32];        /* category names, one-hot order */
    char edge_method[16];
    char category[32];       /* per-category model: the category it learned ("" otherwise) */
};

/* Writes G's weights (dtype F16/F32; BN buffers F32) with metadata key
 * "ztyle.model" = JSON of info. extra: NULL-terminated key/value pairs. */
int zt_gen_export(const struct zt_unet *G, const struct zt_gen_info *info, enum zt_dtype dtype,
                  const char *path, const char *const *extra);
/* Loads a generator file: reads the metadata, builds the U-Net, loads the
 * weights (strict). ZT_EFORMAT with a clear message for files that are not
 * Ztyle generators or are corrupt. Caller deinits g. */
int zt_gen_load(const char *path, struct zt_unet *g, struct zt_gen_info *info);

#endif
