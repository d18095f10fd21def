/* pix2pix.c: U-Net generator and PatchGAN discriminator on the engine, with
 * the official module tree's parameter names. */
#include "pix2pix.h"
#include "../core/graph.h"
#include "../core/ops.h"
#include "../core/tensor.h"
#include "../util/zt.h"

#include <stdio.h>
#include <string.h>

#define BN_MOMENTUM 0.1f
#define NORM_EPS 1e-5f

/* --- shared: a norm layer's parameters --- */

static int add_norm(struct zt_params *ps, const char *prefix, int c, int norm,
                    struct zt_tensor **w, struct zt_tensor **b, struct zt_tensor **rm,
                    struct zt_tensor **rv, struct zt_tensor **nbt)
{
    *w = *b = *rm = *rv = *nbt = NULL;
    if (norm != ZT_NORM_BATCH) return ZT_OK; /* InstanceNorm2d(affine=False): nothing */
    char name[256];
    int64_t shape[1] = {c}, one[1] = {1};
    snprintf(name, sizeof name, "%sweight", prefix);
    if (!(*w = zt_params_add(ps, name, 1, shape, 0))) return ZT_ENOMEM;
    snprintf(name, sizeof name, "%sbias", prefix);
    if (!(*b = zt_params_add(ps, name, 1, shape, 0))) return ZT_ENOMEM;
    snprintf(name, sizeof name, "%srunning_mean", prefix);
    if (!(*rm = zt_params_add(ps, name, 1, shape, 1))) return ZT_ENOMEM;
    snprintf(name, sizeof name, "%srunning_var", prefix);
    if (!(*rv = zt_params_add(ps, name, 1, shape, 1))) return ZT_ENOMEM;
    for (int i = 0; i < c; i++) (*rv)->data[i] = 1.0f;
    for (int i = 0; i < c; i++) (*w)->data[i] = 1.0f;
    snprintf(name, sizeof name, "%snum_batches_tracked", prefix);
    if (!(*nbt = zt_params_add(ps, name, 0, one, 1))) return ZT_ENOMEM;
    return ZT_OK;
}

static struct zt_tensor *apply_norm(struct zt_graph *g, struct zt_tensor *x, int norm,
                                    struct zt_tensor *w, struct zt_tensor *b,
                                    struct zt_tensor *rm, struct zt_tensor *rv,
                                    struct zt_tensor *nbt)
{
    if (norm == ZT_NORM_BATCH) return zt_batch_norm(g, x, w, b, rm, rv, nbt, BN_MOMENTUM, NORM_EPS);
    return zt_instance_norm(g, x, NULL, NULL, NORM_EPS);
}

static struct zt_tensor *add_conv(struct zt_params *ps, const char *prefix, const char *what,
                                  int d0, int d1, int k)
{
    char name[256];
    int64_t shape[4] = {d0, d1, k, k};
    snprintf(name, sizeof name, "%s%s", prefix, what);
    return zt_params_add(ps, name, 4, shape, 0);
}

static struct zt_tensor *add_bias(struct zt_params *ps, const char *prefix, int c)
{
    char name[256];
    int64_t shape[1] = {c};
    snprintf(name, sizeof name, "%sbias", prefix);
    return zt_params_add(ps, name, 1, shape, 0);
}

/* --- U-Net --- */

/* The decoder's weight: ConvTranspose2d (in, out, 4, 4) or, after a
 * nearest x2, Conv2d (out, in, 3, 3). */
static struct zt_tensor *add_up(struct zt_params *ps, const char *prefix, int upsample, int in,
                                int out)
{
    return upsample == ZT_UP_RESIZE ? add_conv(ps, prefix, "weight", out, in, 3)
                                    : add_conv(ps, prefix, "weight", in, out, 4);
}

void zt_unet_cfg_default(struct zt_unet_cfg *c, int in_nc, int out_nc, int num_downs)
{
    *c = (struct zt_unet_cfg){in_nc, out_nc, num_downs, 64, ZT_NORM_BATCH, 1, ZT_UP_DECONV};
}

int zt_unet_init(struct zt_unet *u, const struct zt_unet_cfg *c)
{
    memset(u, 0, sizeof *u);
    if (c->num_downs < 5 || c->num_downs > ZT_UNET_MAX_DOWNS || c->in_nc <= 0 ||
        c->out_nc <= 0 || c->ngf <= 0 || (c->norm != ZT_NORM_BATCH && c->norm != ZT_NORM_INSTANCE) ||
        (c->upsample != ZT_UP_DECONV && c->upsample != ZT_UP_RESIZE)) {
        zt_seterr("unet: bad config (num_downs %d, in %d, out %d, ngf %d)", c->num_downs,
                  c->in_nc, c->out_nc, c->ngf);
        return ZT_EINVAL;
    }
    u->cfg = *c;
    zt_params_init(&u->params);
    int n = c->num_downs, ngf = c->ngf;
    /* channel plan, outermost (0) to innermost (n-1), as UnetGenerator */
    for (int l = 0; l < n; l++) {
        struct zt_unet_level *L = &u->lv[l];
        if (l == 0) L->outer_nc = c->out_nc, L->inner_nc = ngf, L->input_nc = c->in_nc;
        else if (l == 1) L->outer_nc = ngf, L->inner_nc = ngf * 2;
        else if (l == 2) L->outer_nc = ngf * 2, L->inner_nc = ngf * 4;
        else if (l == 3) L->outer_nc = ngf * 4, L->inner_nc = ngf * 8;
        else L->outer_nc = ngf * 8, L->inner_nc = ngf * 8;
        if (l > 0) L->input_nc = L->outer_nc;
        L->kind = l == 0 ? 0 : l == n - 1 ? 2 : 1;
        /* the num_downs - 5 blocks of ngf*8 between innermost and the
         * ngf*4 block carry dropout */
        L->dropout = c->use_dropout && L->kind == 1 && l >= 4;
    }
    int use_bias = c->norm == ZT_NORM_INSTANCE;
    char prefix[256] = "model.model.";
    int rc = ZT_ENOMEM;
    for (int l = 0; l < n; l++) {
        struct zt_unet_level *L = &u->lv[l];
        char p[300];
        if (l >= 2) {
            /* submodule sits at index 1 of the outermost Sequential, 3 elsewhere */
            size_t len = strlen(prefix);
            snprintf(prefix + len, sizeof prefix - len, "3.model.");
        } else if (l == 1) {
            snprintf(prefix, sizeof prefix, "model.model.1.model.");
        }
        snprintf(L->prefix, sizeof L->prefix, "%s", prefix);
        if (L->kind == 0) {
            snprintf(p, sizeof p, "%s0.", prefix);
            if (!(L->down_w = add_conv(&u->params, p, "weight", L->inner_nc, L->input_nc, 4)))
                goto fail;
            if (use_bias && !(L->down_b = add_bias(&u->params, p, L->inner_nc))) goto fail;
            snprintf(p, sizeof p, "%s3.", prefix);
            if (!(L->up_w = add_up(&u->params, p, c->upsample, L->inner_nc * 2, L->outer_nc)))
                goto fail;
            if (!(L->up_b = add_bias(&u->params, p, L->outer_nc))) goto fail;
        } else {
            snprintf(p, sizeof p, "%s1.", prefix);
            if (!(L->down_w = add_conv(&u->params, p, "weight", L->inner_nc, L->input_nc, 4)))
                goto fail;
            if (use_bias && !(L->down_b = add_bias(&u->params, p, L->inner_nc))) goto fail;
            int up_in = L->kind == 2 ? L->inner_nc : L->inner_nc * 2;
            int iu = L->kind == 2 ? 3 : 5, iun = L->kind == 2 ? 4 : 6;
            if (L->kind == 1) {
                snprintf(p, sizeof p, "%s2.", prefix);
                if (add_norm(&u->params, p, L->inner_nc, c->norm, &L->dn_w, &L->dn_b, &L->dn_rm,
                             &L->dn_rv, &L->dn_nbt))
                    goto fail;
            }
            snprintf(p, sizeof p, "%s%d.", prefix, iu);
            if (!(L->up_w = add_up(&u->params, p, c->upsample, up_in, L->outer_nc))) goto fail;
            if (use_bias && !(L->up_b = add_bias(&u->params, p, L->outer_nc))) goto fail;
            snprintf(p, sizeof p, "%s%d.", prefix, iun);
            if (add_norm(&u->params, p, L->outer_nc, c->norm, &L->un_w, &L->un_b, &L->un_rm,
                         &L->un_rv, &L->un_nbt))
                goto fail;
        }
    }
    return ZT_OK;
fail:
    zt_adderr("unet: creating parameters");
    zt_unet_deinit(u);
    return rc;
}

void zt_unet_deinit(struct zt_unet *u)
{
    if (!u) return;
    zt_params_deinit(&u->params);
    memset(u, 0, sizeof *u);
}

static const struct zt_conv_args DOWN = {.stride = {2, 2}, .pad = {1, 1}};
static const struct zt_conv_args SAME = {.stride = {1, 1}, .pad = {1, 1}};

/* The decoder's x2: transposed conv, or nearest resize + 3x3 conv. */
static struct zt_tensor *up(struct zt_unet *u, struct zt_graph *g, struct zt_tensor *x,
                            const struct zt_unet_level *L)
{
    if (u->cfg.upsample != ZT_UP_RESIZE) return zt_conv_transpose2d(g, x, L->up_w, L->up_b, &DOWN);
    if (!x) return NULL;
    struct zt_tensor *r = zt_upsample_nearest(g, x, (int)x->shape[2] * 2, (int)x->shape[3] * 2);
    return zt_conv2d(g, r, L->up_w, L->up_b, &SAME);
}

static struct zt_tensor *unet_block(struct zt_unet *u, struct zt_graph *g, int l,
                                    struct zt_tensor *x)
{
    struct zt_unet_level *L = &u->lv[l];
    int norm = u->cfg.norm;
    if (L->kind == 0) {
        struct zt_tensor *d = zt_conv2d(g, x, L->down_w, L->down_b, &DOWN);
        struct zt_tensor *s = unet_block(u, g, l + 1, d);
        return zt_tanh(g, up(u, g, zt_relu(g, s), L));
    }
    /* in-place LeakyReLU upstream: the skip carries it too */
    struct zt_tensor *xl = zt_leaky_relu(g, x, 0.2f);
    struct zt_tensor *d = zt_conv2d(g, xl, L->down_w, L->down_b, &DOWN);
    struct zt_tensor *inner;
    if (L->kind == 2) {
        inner = d;
    } else {
        d = apply_norm(g, d, norm, L->dn_w, L->dn_b, L->dn_rm, L->dn_rv, L->dn_nbt);
        inner = unet_block(u, g, l + 1, d);
    }
    struct zt_tensor *y = up(u, g, zt_relu(g, inner), L);
    y = apply_norm(g, y, norm, L->un_w, L->un_b, L->un_rm, L->un_rv, L->un_nbt);
    if (L->dropout) {
        if (L->drop_mask && (zt_graph_flags(g) & ZT_GRAPH_TRAIN))
            y = zt_dropout_mask(g, y, L->drop_mask, 0.5f);
        else
            y = zt_dropout(g, y, 0.5f);
    }
    struct zt_tensor *parts[2] = {xl, y};
    return zt_concat(g, 2, parts);
}

struct zt_tensor *zt_unet_forward(struct zt_unet *u, struct zt_graph *g, struct zt_tensor *x)
{
    if (!x || zt_graph_status(g)) return NULL;
    int64_t s = x->shape[2], div = (int64_t)1 << u->cfg.num_downs;
    if (x->ndim != 4 || x->shape[1] != u->cfg.in_nc || s != x->shape[3] || s % div) {
        char buf[64];
        zt_seterr("unet: input %s, want (N, %d, S, S) with S a multiple of %lld",
                  zt_tensor_shape_str(x, buf, sizeof buf), u->cfg.in_nc, (long long)div);
        return NULL;
    }
    return unet_block(u, g, 0, x);
}

/* Per axis, the 3x3 tap m after a nearest x2 that matches transposed tap k
 * (stride 2, pad 1): output 2j sees x[j-1] through k=3 and x[j] through
 * k=1, output 2j+1 sees x[j] through k=2 and x[j+1] through k=0; nearest +
 * conv gives x[j-1] v0 + x[j] (v1 + v2) and x[j] (v0 + v1) + x[j+1] v2. So
 * v0 = w3, v2 = w0 and v1 = w1 - w0 = w2 - w3, taken as their mean. */
static const float PROJ[3][4] = {{0, 0, 0, 1}, {-0.5f, 0.5f, 0.5f, -0.5f}, {1, 0, 0, 0}};

/* The weight copies below go parameter by parameter: the two lists must
 * name the same tensors in the same order. */
static int same_names(const struct zt_unet *dst, const struct zt_unet *src)
{
    for (int i = 0; i < dst->params.n; i++)
        if (strcmp(dst->params.p[i]->name, src->params.p[i]->name)) {
            zt_seterr("unet: parameter %d is %s, not %s", i, dst->params.p[i]->name,
                      src->params.p[i]->name);
            return ZT_EINVAL;
        }
    return ZT_OK;
}

int zt_unet_resize_from_deconv(struct zt_unet *dst, const struct zt_unet *src)
{
    struct zt_unet_cfg a = dst->cfg, b = src->cfg;
    a.upsample = b.upsample = 0;
    if (memcmp(&a, &b, sizeof a) || src->cfg.upsample != ZT_UP_DECONV ||
        dst->cfg.upsample != ZT_UP_RESIZE || dst->params.n != src->params.n) {
        zt_seterr("unet: a resize-conv copy needs a deconv U-Net of the same config");
        return ZT_EINVAL;
    }
    if (same_names(dst, src)) return ZT_EINVAL;
    for (int i = 0; i < dst->params.n; i++) {
        struct zt_tensor *d = &dst->params.p[i]->t;
        const struct zt_tensor *s = &src->params.p[i]->t;
        int64_t n = zt_tensor_numel(d);
        if (n == zt_tensor_numel(s) && (d->ndim != 4 || d->shape[2] == s->shape[2])) {
            memcpy(d->data, s->data, sizeof(float) * (size_t)n);
            continue;
        }
        /* an up weight: s (in, out, 4, 4) -> d (out, in, 3, 3) */
        int64_t cin = s->shape[0], cout = s->shape[1];
        for (int64_t ci = 0; ci < cin; ci++)
            for (int64_t co = 0; co < cout; co++) {
                const float *w = s->data + (ci * cout + co) * 16;
                float *v = d->data + (co * cin + ci) * 9;
                for (int my = 0; my < 3; my++)
                    for (int mx = 0; mx < 3; mx++) {
                        float acc = 0;
                        for (int ky = 0; ky < 4; ky++)
                            for (int kx = 0; kx < 4; kx++)
                                acc += PROJ[my][ky] * PROJ[mx][kx] * w[ky * 4 + kx];
                        v[my * 3 + mx] = acc;
                    }
            }
    }
    return ZT_OK;
}

int zt_unet_widen_input(struct zt_unet *dst, const struct zt_unet *src, const int *from)
{
    struct zt_unet_cfg a = dst->cfg, b = src->cfg;
    a.in_nc = b.in_nc = 0;
    if (memcmp(&a, &b, sizeof a) || dst->params.n != src->params.n) {
        zt_seterr("unet: a widened copy needs a U-Net of the same config but its input");
        return ZT_EINVAL;
    }
    if (same_names(dst, src)) return ZT_EINVAL;
    int cin = dst->cfg.in_nc, sin = src->cfg.in_nc;
    for (int c = 0; c < cin; c++)
        if (from[c] >= sin) {
            zt_seterr("unet: input channel %d from %d of %d", c, from[c], sin);
            return ZT_EINVAL;
        }
    for (int i = 0; i < dst->params.n; i++) {
        struct zt_tensor *d = &dst->params.p[i]->t;
        const struct zt_tensor *s = &src->params.p[i]->t;
        if (d != dst->lv[0].down_w) { /* every tensor but the first conv's weight */
            memcpy(d->data, s->data, sizeof(float) * (size_t)zt_tensor_numel(d));
            continue;
        }
        /* (out, in, k, k): one input column at a time */
        int64_t cout = d->shape[0], kk = d->shape[2] * d->shape[3];
        for (int64_t co = 0; co < cout; co++)
            for (int c = 0; c < cin; c++) {
                float *v = d->data + (co * cin + c) * kk;
                if (from[c] < 0) memset(v, 0, sizeof(float) * (size_t)kk);
                else memcpy(v, s->data + (co * sin + from[c]) * kk, sizeof(float) * (size_t)kk);
            }
    }
    return ZT_OK;
}

/* --- PatchGAN --- */

void zt_patchgan_cfg_default(struct zt_patchgan_cfg *c, int in_nc)
{
    *c = (struct zt_patchgan_cfg){in_nc, 64, 3, ZT_NORM_BATCH};
}

int zt_patchgan_init(struct zt_patchgan *d, const struct zt_patchgan_cfg *c)
{
    memset(d, 0, sizeof *d);
    if (c->in_nc <= 0 || c->ndf <= 0 || c->n_layers < 1 || c->n_layers > ZT_PATCHGAN_MAX_LAYERS) {
        zt_seterr("patchgan: bad config (in %d, ndf %d, n_layers %d)", c->in_nc, c->ndf,
                  c->n_layers);
        return ZT_EINVAL;
    }
    d->cfg = *c;
    zt_params_init(&d->params);
    int use_bias = c->norm == ZT_NORM_INSTANCE, idx = 0, nf = 1, nf_prev;
    /* Sequential indices: conv, lrelu | conv, norm, lrelu (x n_layers) | conv */
    d->conv[0] = (struct zt_patchgan_conv){.cin = c->in_nc, .cout = c->ndf, .stride = 2, .has_bias = 1};
    idx = 2;
    int k = 1;
    for (int n = 1; n <= c->n_layers; n++, k++) {
        nf_prev = nf;
        nf = ZT_MIN(1 << n, 8);
        d->conv[k] = (struct zt_patchgan_conv){.cin = c->ndf * nf_prev,
                                               .cout = c->ndf * nf,
                                               .stride = n < c->n_layers ? 2 : 1,
                                               .has_norm = 1,
                                               .has_bias = use_bias};
    }
    d->conv[k] = (struct zt_patchgan_conv){.cin = c->ndf * nf, .cout = 1, .stride = 1, .has_bias = 1};
    d->nconv = k + 1;
    char p[64];
    for (int i = 0; i < d->nconv; i++) {
        struct zt_patchgan_conv *cv = &d->conv[i];
        snprintf(p, sizeof p, "model.%d.", i == 0 ? 0 : idx);
        if (!(cv->w = add_conv(&d->params, p, "weight", cv->cout, cv->cin, 4))) goto fail;
        if (cv->has_bias && !(cv->b = add_bias(&d->params, p, cv->cout))) goto fail;
        if (cv->has_norm) {
            snprintf(p, sizeof p, "model.%d.", idx + 1);
            if (add_norm(&d->params, p, cv->cout, c->norm, &cv->nw, &cv->nb, &cv->rm, &cv->rv,
                         &cv->nbt))
                goto fail;
            idx += 3;
        } else if (i == 0) {
            idx = 2;
        }
    }
    return ZT_OK;
fail:
    zt_adderr("patchgan: creating parameters");
    zt_patchgan_deinit(d);
    return ZT_ENOMEM;
}

void zt_patchgan_deinit(struct zt_patchgan *d)
{
    if (!d) return;
    zt_params_deinit(&d->params);
    memset(d, 0, sizeof *d);
}

struct zt_tensor *zt_patchgan_forward(struct zt_patchgan *d, struct zt_graph *g,
                                      struct zt_tensor *x)
{
    if (!x || zt_graph_status(g)) return NULL;
    if (x->ndim != 4 || x->shape[1] != d->cfg.in_nc) {
        char buf[64];
        zt_seterr("patchgan: input %s, want (N, %d, H, W)",
                  zt_tensor_shape_str(x, buf, sizeof buf), d->cfg.in_nc);
        return NULL;
    }
    for (int i = 0; i < d->nconv; i++) {
        struct zt_patchgan_conv *cv = &d->conv[i];
        struct zt_conv_args a = {.stride = {cv->stride, cv->stride}, .pad = {1, 1}};
        x = zt_conv2d(g, x, cv->w, cv->b, &a);
        if (i == d->nconv - 1) break;
        if (cv->has_norm) x = apply_norm(g, x, d->cfg.norm, cv->nw, cv->nb, cv->rm, cv->rv, cv->nbt);
        x = zt_leaky_relu(g, x, 0.2f);
    }
    return x;
}

/* --- FLOP counts --- */

double zt_unet_flops(const struct zt_unet_cfg *c, int size)
{
    double f = 0;
    int s = size;
    struct zt_unet u;
    if (zt_unet_init(&u, c)) return 0;
    for (int l = 0; l < c->num_downs; l++) {
        const struct zt_unet_level *L = &u.lv[l];
        int o = s / 2; /* down conv output side */
        f += 2.0 * o * o * L->inner_nc * L->input_nc * 16;
        int up_in = L->kind == 2 ? L->inner_nc : L->inner_nc * 2;
        if (c->upsample == ZT_UP_RESIZE)
            f += 2.0 * s * s * up_in * L->outer_nc * 9; /* 3x3 at the output side s */
        else
            f += 2.0 * o * o * up_in * L->outer_nc * 16; /* transposed: input side o */
        s = o;
    }
    zt_unet_deinit(&u);
    return f;
}

