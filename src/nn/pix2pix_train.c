/* pix2pix_train.c: the pix2pix models, optimizers and optimisation step. */
#include "pix2pix_train.h"
#include "../core/engine.h"
#include "../core/graph.h"
#include "../core/ops.h"
#include "../core/param.h"
#include "../util/rng.h"
#include "../core/tensor.h"
#include "../util/zt.h"
#include "init.h"
#include "optim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void zt_p2p_cfg_default(struct zt_p2p_cfg *c, int in_nc, int num_downs, int ngf)
{
    memset(c, 0, sizeof *c);
    zt_unet_cfg_default(&c->g, in_nc, 3, num_downs);
    c->g.ngf = ngf;
    zt_patchgan_cfg_default(&c->d, in_nc + 3);
    c->gan_mode = ZT_GAN_VANILLA;
    c->lambda_l1 = 100.0f;
    c->lr = 2e-4;
    c->beta1 = 0.5;
    c->beta2 = 0.999;
}

void zt_p2p_deinit(struct zt_p2p *m)
{
    if (!m) return;
    zt_optim_free(m->optG);
    zt_optim_free(m->optD);
    zt_graph_free(m->gD); /* before gG, whose arena it borrows */
    zt_graph_free(m->gG);
    zt_unet_deinit(&m->G); /* before the engine: parameters may be in its device memory */
    zt_patchgan_deinit(&m->D);
    zt_engine_free(m->eng);
    memset(m, 0, sizeof *m);
}

int zt_p2p_init(struct zt_p2p *m, const struct zt_p2p_cfg *c, int nthreads, uint64_t seed)
{
    return zt_p2p_init_on(m, c, nthreads, seed, ZT_BACKEND_CPU);
}

int zt_p2p_init_on(struct zt_p2p *m, const struct zt_p2p_cfg *c, int nthreads, uint64_t seed,
                   int backend)
{
    memset(m, 0, sizeof *m);
    m->cfg = *c;
    int rc;
    if ((rc = zt_unet_init(&m->G, &c->g))) return rc;
    if ((rc = zt_patchgan_init(&m->D, &c->d))) goto fail;
    struct zt_rng r;
    zt_rng_seed(&r, seed);
    zt_init_pix2pix(&r, &m->G.params, 0.02f);
    zt_init_pix2pix(&r, &m->D.params, 0.02f);
    struct zt_engine_opts eo = {.backend = backend, .nthreads = nthreads, .seed = seed, .tf32 = 1};
    rc = ZT_ENOMEM;
    if (!(m->eng = zt_engine_new(&eo)) || zt_engine_set_blocked_layout(m->eng, 1)) goto fail;
    /* D's step runs on G's arena between G's forward and the G step, which
     * then reuses that memory: one step holds G's pass plus the larger of the
     * two D passes, not both */
    if (!(m->gG = zt_graph_new(m->eng, 0, 0)) || !(m->gD = zt_graph_new_nested(m->gG))) goto fail;
    struct zt_adam_opts ao = {c->lr, c->beta1, c->beta2, 1e-8, 0};
    int nt = zt_engine_threads(m->eng);
    if (!(m->optG = zt_optim_adam_new(&m->G.params, &ao, nt))) goto fail;
    if (!(m->optD = zt_optim_adam_new(&m->D.params, &ao, nt))) goto fail;
    return ZT_OK;
fail:
    zt_p2p_deinit(m);
    return rc;
}

int zt_p2p_on_device(const struct zt_p2p *m) { return m->G.params.dev != NULL; }

int zt_p2p_place(struct zt_p2p *m, int on)
{
    if (!zt_engine_on_device(m->eng)) return ZT_OK;
    struct zt_engine *e = on ? m->eng : NULL;
    int rc = on ? zt_params_to_device(&m->G.params, e) : zt_params_to_host(&m->G.params);
    if (!rc) rc = on ? zt_params_to_device(&m->D.params, e) : zt_params_to_host(&m->D.params);
    if (!rc) rc = on ? zt_optim_to_device(m->optG, e) : zt_optim_to_host(m->optG);
    if (!rc) rc = on ? zt_optim_to_device(m->optD, e) : zt_optim_to_host(m->optD);
    if (rc) zt_adderr("pix2pix: moving the model %s the GPU", on ? "to" : "from");
    return rc;
}

/* A scalar's value on the host (device engines: copied back). */
static float scalar(struct zt_graph *g, const struct zt_tensor *t)
{
    float v = 0;
    zt_graph_read(g, t->data, &v, 1);
    return v;
}

void zt_p2p_set_lr(struct zt_p2p *m, double lr)
{
    zt_optim_set_lr(m->optG, lr);
    zt_optim_set_lr(m->optD, lr);
}

/* GAN loss of logits against a constant real/fake label. */
static struct zt_tensor *gan_loss(struct zt_graph *g, int mode, struct zt_tensor *pred, float label)
{
    if (!pred) return NULL;
    if (mode == ZT_GAN_VANILLA) return zt_bce_logits(g, pred, NULL, label);
    struct zt_tensor *t = zt_graph_input(g, pred->ndim, pred->shape, NULL, 0);
    if (!t) return NULL;
    if (zt_graph_on_device(g)) return zt_mse_loss(g, pred, zt_scale(g, t, 0.0f, label));
    int64_t n = zt_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) t->data[i] = label;
    return zt_mse_loss(g, pred, t);
}

static struct zt_tensor *cat2(struct zt_graph *g, struct zt_tensor *a, struct zt_tensor *b)
{
    struct zt_tensor *v[2] = {a, b};
    return a && b ? zt_concat(g, 2, v) : NULL;
}

/* The chroma term: mean |Cb, Cr of fake - of real| (YCbCr, a fixed 1x1
 * convolution) where the dilated hint mask (plane 4 of the input) is on.
 * Luminance is left to the L1: this weighs the colour a shopper asked for. */
static struct zt_tensor *chroma_loss(struct zt_graph *g, struct zt_tensor *a,
                                     struct zt_tensor *fake, struct zt_tensor *b, int s)
{
    static const float ycc[6] = {-0.168736f, -0.331264f, 0.5f, 0.5f, -0.418688f, -0.081312f};
    int64_t ws[4] = {2, 3, 1, 1};
    int r = s / 16 > 0 ? s / 16 : 1;
    struct zt_tensor *w = zt_graph_input(g, 4, ws, ycc, 0);
    struct zt_tensor *m = zt_slice(g, a, 1, 4, 1);
    if (m) m = zt_max_pool2d(g, m, 2 * r + 1, 1, r); /* dilation by r */
    struct zt_tensor *m2[2] = {m, m};
    struct zt_tensor *mm = m ? zt_concat(g, 2, m2) : NULL;
    struct zt_tensor *cf = w ? zt_to_plain(g, zt_conv2d(g, fake, w, NULL, NULL)) : NULL;
    struct zt_tensor *cb = w ? zt_to_plain(g, zt_conv2d(g, b, w, NULL, NULL)) : NULL;
    if (!mm || !cf || !cb) return NULL;
    return zt_l1_loss(g, zt_mul(g, cf, mm), zt_mul(g, cb, mm));
}

static void set_requires_grad(struct zt_params *ps, int on)
{
    for (int i = 0; i < ps->n; i++)
        if (!ps->p[i]->is_buffer) ps->p[i]->t.requires_grad = on;
}

int zt_p2p_step(struct zt_p2p *m, const float *A, const float *B, int n, int s,
                uint64_t dropout_seed, struct zt_p2p_losses *out)
{
    int64_t sa[4] = {n, m->cfg.g.in_nc, s, s}, sb[4] = {n, 3, s, s};
    int mode = m->cfg.gan_mode, rc;
    struct zt_graph *gG = m->gG, *gD = m->gD;

    /* fake = G(A) */
    zt_graph_begin(gG, ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN);
    zt_rng_seed(zt_engine_rng(m->eng), dropout_seed);
    struct zt_tensor *a = zt_graph_input(gG, 4, sa, A, 0);
    struct zt_tensor *b = zt_graph_input(gG, 4, sb, B, 0);
    struct zt_tensor *fake = zt_unet_forward(&m->G, gG, a);
    if ((rc = zt_graph_status(gG)) || !fake) return rc ? rc : ZT_EINVAL;

    /* D step on fake.detach() and real, in memory the G step reuses */
    struct zt_arena_mark mark = zt_graph_mark(gG);
    zt_graph_begin(gD, ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN);
    /* device engines: the batch is copied to the GPU once, for G's pass (a, b) */
    int dev = zt_graph_on_device(gG);
    struct zt_tensor *aD = dev ? zt_graph_wrap(gD, 4, sa, a->data, 0) : zt_graph_input(gD, 4, sa, A, 0);
    struct zt_tensor *fD = zt_graph_wrap(gD, 4, sb, fake->data, 0);
    struct zt_tensor *bD = dev ? zt_graph_wrap(gD, 4, sb, b->data, 0) : zt_graph_input(gD, 4, sb, B, 0);
    struct zt_tensor *lf = gan_loss(gD, mode, zt_patchgan_forward(&m->D, gD, cat2(gD, aD, fD)), 0.0f);
    struct zt_tensor *lr = gan_loss(gD, mode, zt_patchgan_forward(&m->D, gD, cat2(gD, aD, bD)), 1.0f);
    struct zt_tensor *ld = lf && lr ? zt_axpby(gD, 0.5f, lf, 0.5f, lr) : NULL;
    if ((rc = zt_graph_status(gD)) || !ld) return rc ? rc : ZT_EINVAL;
    if ((rc = zt_graph_backward(gD, ld))) return rc;
    zt_optim_step(m->optD);
    float loss_real = scalar(gD, lr), loss_fake = scalar(gD, lf);
    zt_arena_release(zt_graph_arena(gG), mark); /* every tensor of gD dies */

    /* G step: D frozen (no weight gradients computed) */
    set_requires_grad(&m->D.params, 0);
    struct zt_tensor *lg = gan_loss(gG, mode, zt_patchgan_forward(&m->D, gG, cat2(gG, a, fake)), 1.0f);
    struct zt_tensor *l1 = zt_l1_loss(gG, fake, b);
    struct zt_tensor *lG = lg && l1 ? zt_axpby(gG, 1.0f, lg, m->cfg.lambda_l1, l1) : NULL;
    struct zt_tensor *lc = NULL;
    if (m->cfg.lambda_chroma > 0 && lG && m->cfg.g.in_nc > 4) {
        lc = chroma_loss(gG, a, fake, b, s);
        lG = lc ? zt_axpby(gG, 1.0f, lG, m->cfg.lambda_chroma, lc) : NULL;
    }
    rc = zt_graph_status(gG);
    if (!rc && !lG) rc = ZT_EINVAL;
    if (!rc) rc = zt_graph_backward(gG, lG);
    set_requires_grad(&m->D.params, 1);
    if (rc) return rc;
    zt_optim_step(m->optG);
    zt_engine_weights_changed(m->eng); /* for inference passes that follow */
    m->steps++;
    if (out)
        *out = (struct zt_p2p_losses){scalar(gG, lg), scalar(gG, l1), loss_real, loss_fake,
                                      lc ? scalar(gG, lc) : 0.0f};
    return ZT_OK;
}
