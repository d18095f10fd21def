/* edgenet_parts.c: shared building blocks of the DexiNed and TEED models
 * (see edgenet_parts.h). */
#include "edgenet_parts.h"
#include "../core/graph.h"
#include "../util/zt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct zt_tensor *add(struct zt_params *ps, const char *prefix, const char *leaf,
                             int ndim, const int64_t *shape)
{
    char name[256];
    snprintf(name, sizeof name, "%s%s", prefix, leaf);
    return zt_params_add(ps, name, ndim, shape, 1);
}

int zt_en_conv_add(struct zt_params *ps, struct zt_en_conv *c, const char *prefix, int cin,
                   int cout, int k, int stride, int pad, int groups, int transposed)
{
    memset(c, 0, sizeof *c);
    int64_t ws[4] = {transposed ? cin : cout, transposed ? cout / groups : cin / groups, k, k};
    int64_t bs[1] = {cout};
    c->w = add(ps, prefix, "weight", 4, ws);
    c->b = c->w ? add(ps, prefix, "bias", 1, bs) : NULL;
    if (!c->b) return ZT_ENOMEM;
    c->a = (struct zt_conv_args){.stride = {stride, stride}, .pad = {pad, pad}, .groups = groups};
    c->transposed = transposed;
    return ZT_OK;
}

int zt_en_bn_add(struct zt_params *ps, struct zt_en_bn *bn, const char *prefix, int c)
{
    int64_t s[1] = {c};
    memset(bn, 0, sizeof *bn);
    if (!(bn->w = add(ps, prefix, "weight", 1, s)) || !(bn->b = add(ps, prefix, "bias", 1, s)) ||
        !(bn->rm = add(ps, prefix, "running_mean", 1, s)) ||
        !(bn->rv = add(ps, prefix, "running_var", 1, s)) ||
        !(bn->nbt = add(ps, prefix, "num_batches_tracked", 0, s)))
        return ZT_ENOMEM;
    for (int i = 0; i < c; i++) bn->w->data[i] = bn->rv->data[i] = 1.0f;
    return ZT_OK;
}

int zt_en_up_add(struct zt_params *ps, struct zt_en_up *u, const char *prefix, int cin,
                 int up_scale, int act)
{
    static const int pads[ZT_EN_MAX_UP + 1] = {0, 0, 1, 3, 7};
    memset(u, 0, sizeof *u);
    if (up_scale < 1 || up_scale > ZT_EN_MAX_UP) {
        zt_seterr("up block: scale %d", up_scale);
        return ZT_EINVAL;
    }
    u->n = up_scale, u->act = act;
    for (int i = 0; i < up_scale; i++) {
        int k = 1 << up_scale, cout = i == up_scale - 1 ? 1 : 16;
        char p[200];
        snprintf(p, sizeof p, "%sfeatures.%d.", prefix, 3 * i);
        if (zt_en_conv_add(ps, &u->conv[i], p, cin, cout, 1, 1, 0, 1, 0)) return ZT_ENOMEM;
        snprintf(p, sizeof p, "%sfeatures.%d.", prefix, 3 * i + 2);
        if (zt_en_conv_add(ps, &u->deconv[i], p, cout, cout, k, 2, pads[up_scale], 1, 1))
            return ZT_ENOMEM;
        cin = cout;
    }
    return ZT_OK;
}

struct zt_tensor *zt_en_conv(struct zt_graph *g, const struct zt_en_conv *c, struct zt_tensor *x)
{
    return c->transposed ? zt_conv_transpose2d(g, x, c->w, c->b, &c->a)
                         : zt_conv2d(g, x, c->w, c->b, &c->a);
}

struct zt_tensor *zt_en_bn(struct zt_graph *g, const struct zt_en_bn *bn, struct zt_tensor *x)
{
    /* eval pass: running statistics; momentum unused */
    return zt_batch_norm(g, x, bn->w, bn->b, bn->rm, bn->rv, NULL, 0.1f, 1e-5f);
}

struct zt_tensor *zt_en_up(struct zt_graph *g, const struct zt_en_up *u, struct zt_tensor *x)
{
    for (int i = 0; i < u->n; i++) {
        x = zt_en_conv(g, &u->conv[i], x);
        x = u->act ? zt_smish(g, x) : zt_relu(g, x);
        x = zt_en_conv(g, &u->deconv[i], x);
    }
    return x;
}

int zt_en_keep(struct zt_graph *g, struct zt_arena_mark m, int n, struct zt_tensor **ts)
{
    int rc = zt_graph_status(g);
    if (rc) return rc;
    if (zt_graph_flags(g) & ZT_GRAPH_GRAD) {
        zt_seterr("edge detector: inference only (the pass records a tape)");
        return ZT_EINVAL;
    }
    float *copy[8] = {0};
    struct zt_tensor hdr[8];
    ZT_ASSERT(n <= 8);
    rc = ZT_OK;
    for (int i = 0; i < n && !rc; i++) {
        hdr[i] = *ts[i];
        size_t bytes = (size_t)zt_tensor_numel(ts[i]) * sizeof(float);
        if (!(copy[i] = malloc(bytes ? bytes : 1))) rc = ZT_ENOMEM;
        else memcpy(copy[i], ts[i]->data, bytes);
    }
    if (!rc) {
        zt_arena_release(zt_graph_arena(g), m);
        for (int i = 0; i < n; i++) {
            ts[i] = zt_graph_input(g, hdr[i].ndim, hdr[i].shape, copy[i], 0);
            if (!ts[i]) rc = ZT_ENOMEM;
        }
    }
    for (int i = 0; i < n; i++) free(copy[i]);
    if (rc) zt_seterr("edge detector: out of memory");
    return rc;
}

int zt_en_check_input(struct zt_graph *g, const char *model, const struct zt_tensor *x,
                      int multiple)
{
    int rc = zt_graph_status(g);
    if (rc) return rc;
    if (zt_graph_flags(g) & (ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN)) {
        zt_seterr("%s: inference only (begin the pass with flags 0)", model);
        return ZT_EINVAL;
    }
    if (!x || x->ndim != 4 || x->shape[1] != 3 || x->shape[2] % multiple ||
        x->shape[3] % multiple || x->shape[2] < multiple || x->shape[3] < multiple) {
        char buf[64];
        zt_seterr("%s: input %s, want (N, 3, H, W) with H, W multiples of %d", model,
                  x ? zt_tensor_shape_str(x, buf, sizeof buf) : "NULL", multiple);
        return ZT_EINVAL;
    }
    return ZT_OK;
}
