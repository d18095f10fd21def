/* pix2pix_train.h: pix2pix training on the engine: the generator and
 * discriminator pair (pix2pix.h) with their Adam optimizers, and one
 * optimisation step as the official pix2pix_model.py (D on fake.detach()
 * and real; then G with D frozen: GAN + lambda * L1, plus an optional
 * chroma term around the hints). Checkpoints of this
 * state: train_ckpt.h; the generator file the product ships: generator.h. */
#ifndef ZT_PIX2PIX_TRAIN_H
#define ZT_PIX2PIX_TRAIN_H

#include <stdint.h>

#include "pix2pix.h"

struct zt_engine;
struct zt_graph;
struct zt_optim;

enum zt_gan_mode { ZT_GAN_VANILLA = 0, ZT_GAN_LSGAN = 1 };

struct zt_p2p_cfg {
    struct zt_unet_cfg g;
    struct zt_patchgan_cfg d;
    int gan_mode;     /* enum zt_gan_mode */
    float lambda_l1;  /* 100 */
    float lambda_chroma; /* 0 = off: L1 on the YCbCr chroma (Cb, Cr) of fake
                            against real within s/16 pixels of a hint (the
                            input's hint mask plane), times this */
    double lr, beta1, beta2; /* 2e-4, 0.5, 0.999 */
};

/* Official defaults for in_nc input channels, num_downs, ngf. */
void zt_p2p_cfg_default(struct zt_p2p_cfg *c, int in_nc, int num_downs, int ngf);

struct zt_p2p_losses {
    float g_gan, g_l1, d_real, d_fake; /* g_l1 without lambda */
    float g_chroma;                    /* without lambda; 0 when off */
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
/* The same on an engine of backend (enum zt_backend_kind; cuda: TF32 on).
 * A cuda model starts with its parameters and optimizer state in host
 * memory (init, loading): zt_p2p_place(m, 1) moves them to the device
 * before stepping, zt_p2p_place(m, 0) back (checkpoints: train_ckpt.c
 * does it around a save). No-op on host engines. ZT_OK or a device error. */
int zt_p2p_init_on(struct zt_p2p *m, const struct zt_p2p_cfg *c, int nthreads, uint64_t seed,
                   int backend);
int zt_p2p_place(struct zt_p2p *m, int on_device);
int zt_p2p_on_device(const struct zt_p2p *m);
void zt_p2p_deinit(struct zt_p2p *m); /* NULL-safe */
/* One step on a batch: A (n, in_nc, s, s), B (n, 3, s, s). dropout_seed
 * seeds this step's dropout masks (so a resumed run replays them). */
int zt_p2p_step(struct zt_p2p *m, const float *A, const float *B, int n, int s,
                uint64_t dropout_seed, struct zt_p2p_losses *out);
void zt_p2p_set_lr(struct zt_p2p *m, double lr);

#endif
