/* p2p.c: the pix2pix optimisation step, checkpoints and generator files. */
#include "p2p.h"
#include "../core/engine.h"
#include "../core/graph.h"
#include "../core/ops.h"
#include "../core/param.h"
#include "../util/rng.h"
#include "../core/tensor.h"
#include "../util/zt.h"
#include "ckpt.h"
#include "init.h"
#include "optim.h"

#include <jansson.h>
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
    zt_engine_free(m->eng);
    zt_unet_deinit(&m->G);
    zt_patchgan_deinit(&m->D);
    memset(m, 0, sizeof *m);
}

int zt_p2p_init(struct zt_p2p *m, const struct zt_p2p_cfg *c, int nthreads, uint64_t seed)
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
    struct zt_engine_opts eo = {.backend = ZT_BACKEND_CPU, .nthreads = nthreads, .seed = seed};
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
    int64_t n = zt_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) t->data[i] = label;
    return zt_mse_loss(g, pred, t);
}

static struct zt_tensor *cat2(struct zt_graph *g, struct zt_tensor *a, struct zt_tensor *b)
{
    struct zt_tensor *v[2] = {a, b};
    return a && b ? zt_concat(g, 2, v) : NULL;
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
    struct zt_tensor *aD = zt_graph_input(gD, 4, sa, A, 0);
    struct zt_tensor *fD = zt_graph_wrap(gD, 4, sb, fake->data, 0);
    struct zt_tensor *bD = zt_graph_input(gD, 4, sb, B, 0);
    struct zt_tensor *lf = gan_loss(gD, mode, zt_patchgan_forward(&m->D, gD, cat2(gD, aD, fD)), 0.0f);
    struct zt_tensor *lr = gan_loss(gD, mode, zt_patchgan_forward(&m->D, gD, cat2(gD, aD, bD)), 1.0f);
    struct zt_tensor *ld = lf && lr ? zt_axpby(gD, 0.5f, lf, 0.5f, lr) : NULL;
    if ((rc = zt_graph_status(gD)) || !ld) return rc ? rc : ZT_EINVAL;
    if ((rc = zt_graph_backward(gD, ld))) return rc;
    zt_optim_step(m->optD);
    float loss_real = lr->data[0], loss_fake = lf->data[0];
    zt_arena_release(zt_graph_arena(gG), mark); /* every tensor of gD dies */

    /* G step: D frozen (no weight gradients computed) */
    set_requires_grad(&m->D.params, 0);
    struct zt_tensor *lg = gan_loss(gG, mode, zt_patchgan_forward(&m->D, gG, cat2(gG, a, fake)), 1.0f);
    struct zt_tensor *l1 = zt_l1_loss(gG, fake, b);
    struct zt_tensor *lG = lg && l1 ? zt_axpby(gG, 1.0f, lg, m->cfg.lambda_l1, l1) : NULL;
    rc = zt_graph_status(gG);
    if (!rc && !lG) rc = ZT_EINVAL;
    if (!rc) rc = zt_graph_backward(gG, lG);
    set_requires_grad(&m->D.params, 1);
    if (rc) return rc;
    zt_optim_step(m->optG);
    zt_engine_weights_changed(m->eng); /* for inference passes that follow */
    m->steps++;
    if (out) *out = (struct zt_p2p_losses){lg->data[0], l1->data[0], loss_real, loss_fake};
    return ZT_OK;
}

/* --- checkpoints --- */

static int add_optim(struct zt_st_writer *w, struct zt_optim *opt, const struct zt_params *ps,
                     const char *pre)
{
    char name[512];
    int k = 0;
    for (int i = 0; i < ps->n; i++) {
        const struct zt_param *p = ps->p[i];
        if (p->is_buffer) continue;
        int64_t shape[ZT_MAX_DIMS];
        for (int d = 0; d < p->t.ndim; d++) shape[d] = p->t.shape[d];
        static const char *slot[2] = {"exp_avg", "exp_avg_sq"};
        for (int sl = 0; sl < 2; sl++) {
            float *st = zt_optim_state(opt, k, sl);
            if (!st) continue;
            snprintf(name, sizeof name, "%s.%s.%s", pre, slot[sl], p->name);
            int rc = zt_st_writer_add(w, name, ZT_DTYPE_F32, p->t.ndim, shape, st);
            if (rc) return rc;
        }
        k++;
    }
    return ZT_OK;
}

int zt_p2p_save(const struct zt_p2p *m, const char *path, const char *const *meta)
{
    struct zt_st_writer *w = zt_st_writer_new();
    if (!w) return ZT_ENOMEM;
    char steps[32];
    snprintf(steps, sizeof steps, "%lld", (long long)m->steps);
    int rc = zt_ckpt_add(w, &m->G.params, "G.", ZT_DTYPE_F32);
    if (!rc) rc = zt_ckpt_add(w, &m->D.params, "D.", ZT_DTYPE_F32);
    if (!rc) rc = add_optim(w, m->optG, &m->G.params, "optG");
    if (!rc) rc = add_optim(w, m->optD, &m->D.params, "optD");
    if (!rc) rc = zt_st_writer_meta(w, "ztyle.steps", steps);
    for (int i = 0; !rc && meta && meta[i]; i += 2) rc = zt_st_writer_meta(w, meta[i], meta[i + 1]);
    if (!rc) rc = zt_st_writer_save(w, path);
    zt_st_writer_free(w);
    return rc;
}

static int load_optim(struct zt_optim *opt, const struct zt_params *ps, const char *pre,
                      const struct zt_st_file *f, int check_only)
{
    char name[512];
    int k = 0;
    for (int i = 0; i < ps->n; i++) {
        const struct zt_param *p = ps->p[i];
        if (p->is_buffer) continue;
        static const char *slot[2] = {"exp_avg", "exp_avg_sq"};
        for (int sl = 0; sl < 2; sl++) {
            float *st = zt_optim_state(opt, k, sl);
            if (!st) continue;
            snprintf(name, sizeof name, "%s.%s.%s", pre, slot[sl], p->name);
            const struct zt_st_tensor *t = zt_st_get(f, name);
            if (!t || t->numel != zt_tensor_numel(&p->t)) {
                zt_seterr("checkpoint lacks or mis-sizes '%s'", name);
                return ZT_EFORMAT;
            }
            if (!check_only) memcpy(st, t->data, (size_t)t->numel * sizeof(float));
        }
        k++;
    }
    return ZT_OK;
}

int zt_p2p_load(struct zt_p2p *m, const char *path, char **meta_json)
{
    struct zt_st_file f;
    int rc = zt_st_load(path, &f);
    if (rc) return rc;
    long long steps = -1;
    json_t *meta = f.metadata_json ? json_loads(f.metadata_json, 0, NULL) : NULL;
    const char *st = json_string_value(json_object_get(meta, "ztyle.steps"));
    if (!st || sscanf(st, "%lld", &steps) != 1 || steps < 0) {
        zt_seterr("%s: not a Ztyle training checkpoint (no ztyle.steps)", path);
        rc = ZT_EFORMAT;
        goto out;
    }
    /* check all, then copy: a bad file changes nothing */
    if ((rc = load_optim(m->optG, &m->G.params, "optG", &f, 1)) ||
        (rc = load_optim(m->optD, &m->D.params, "optD", &f, 1)))
        goto fail_msg;
    if ((rc = zt_ckpt_load(&m->G.params, &f, "G.", 1, NULL))) goto fail_msg;
    if ((rc = zt_ckpt_load(&m->D.params, &f, "D.", 1, NULL))) goto fail_msg;
    load_optim(m->optG, &m->G.params, "optG", &f, 0);
    load_optim(m->optD, &m->D.params, "optD", &f, 0);
    zt_engine_weights_changed(m->eng);
    zt_optim_set_steps(m->optG, steps);
    zt_optim_set_steps(m->optD, steps);
    m->steps = steps;
    if (meta_json) *meta_json = f.metadata_json ? strdup(f.metadata_json) : NULL;
    goto out;
fail_msg:
    zt_adderr("%s", path);
out:
    json_decref(meta);
    zt_st_free(&f);
    return rc;
}

/* --- generator files --- */

int zt_gen_export(const struct zt_unet *G, const struct zt_gen_info *info, enum zt_dtype dtype,
                  const char *path, const char *const *extra)
{
    json_t *cats = json_array();
    for (int i = 0; i < info->ncat; i++) json_array_append_new(cats, json_string(info->cat[i]));
    json_t *o = json_pack("{s:s, s:i, s:i, s:i, s:i, s:s, s:b, s:i, s:o, s:s}", "arch", "unet",
                          "in_nc", G->cfg.in_nc, "out_nc", G->cfg.out_nc, "num_downs",
                          G->cfg.num_downs, "ngf", G->cfg.ngf, "norm",
                          G->cfg.norm == ZT_NORM_BATCH ? "batch" : "instance", "dropout",
                          G->cfg.use_dropout, "size", info->size, "categories", cats,
                          "edge_method", info->edge_method);
    if (o && info->category[0]) json_object_set_new(o, "category", json_string(info->category));
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    struct zt_st_writer *w = text ? zt_st_writer_new() : NULL;
    int rc = w ? ZT_OK : ZT_ENOMEM;
    if (!rc) rc = zt_ckpt_add(w, &G->params, NULL, dtype);
    if (!rc) rc = zt_st_writer_meta(w, "ztyle.model", text);
    for (int i = 0; !rc && extra && extra[i]; i += 2) rc = zt_st_writer_meta(w, extra[i], extra[i + 1]);
    if (!rc) rc = zt_st_writer_save(w, path);
    zt_st_writer_free(w);
    free(text);
    return rc;
}

int zt_gen_load(const char *path, struct zt_unet *g, struct zt_gen_info *info)
{
    struct zt_st_file f;
    int rc = zt_st_load(path, &f);
    if (rc) return rc;
    json_t *meta = f.metadata_json ? json_loads(f.metadata_json, 0, NULL) : NULL;
    json_t *model = NULL;
    const char *text = json_string_value(json_object_get(meta, "ztyle.model"));
    if (text) model = json_loads(text, 0, NULL);
    struct zt_gen_info gi = {0};
    int in_nc = 0, out_nc = 0, nd = 0, ngf = 0, dropout = 0;
    const char *arch = NULL, *norm = NULL, *em = "", *only = "";
    json_t *cats = NULL;
    if (!model ||
        json_unpack(model, "{s:s, s:i, s:i, s:i, s:i, s:s, s:b, s:i, s:o, s?s, s?s}", "arch", &arch,
                    "in_nc", &in_nc, "out_nc", &out_nc, "num_downs", &nd, "ngf", &ngf, "norm",
                    &norm, "dropout", &dropout, "size", &gi.size, "categories", &cats,
                    "edge_method", &em, "category", &only) ||
        strcmp(arch, "unet") || !json_is_array(cats) || json_array_size(cats) > 16) {
        zt_seterr("%s: not a Ztyle generator (missing or bad 'ztyle.model' metadata)", path);
        rc = ZT_EFORMAT;
        goto out;
    }
    gi.ncat = (int)json_array_size(cats);
    for (int i = 0; i < gi.ncat; i++)
        snprintf(gi.cat[i], sizeof gi.cat[i], "%s", json_string_value(json_array_get(cats, i)) ?: "");
    snprintf(gi.edge_method, sizeof gi.edge_method, "%s", em);
    snprintf(gi.category, sizeof gi.category, "%s", only);
    gi.g = (struct zt_unet_cfg){in_nc, out_nc, nd, ngf,
                                strcmp(norm, "instance") ? ZT_NORM_BATCH : ZT_NORM_INSTANCE,
                                dropout};
    if ((rc = zt_unet_init(g, &gi.g))) {
        zt_adderr("%s", path);
        goto out;
    }
    if ((rc = zt_ckpt_load(&g->params, &f, NULL, 1, NULL))) {
        zt_adderr("%s", path);
        zt_unet_deinit(g);
        goto out;
    }
    if (info) *info = gi;
out:
    json_decref(model);
    json_decref(meta);
    zt_st_free(&f);
    return rc;
}
