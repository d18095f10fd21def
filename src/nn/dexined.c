/* dexined.c: DexiNed inference on the engine, module by module as the
 * authors' model.py (DoubleConvBlock, _DenseBlock of _DenseLayers,
 * SingleConvBlock side/pre-dense paths, UpConvBlock side outputs, 1x1 fusion). */
#include "dexined.h"
#include "edgenet_parts.h"
#include "../core/graph.h"
#include "../core/ops.h"
#include "../util/zt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* DoubleConvBlock: conv1 (3x3, stride) bn1 relu conv2 (3x3) bn2 [relu] */
struct dcb {
    struct zt_en_conv c1, c2;
    struct zt_en_bn b1, b2;
    int act;
};

/* SingleConvBlock: conv 1x1 (stride) bn */
struct scb {
    struct zt_en_conv c;
    struct zt_en_bn bn;
};

/* _DenseLayer: relu(x1) -> conv1 (3x3, pad 2) norm1 relu conv2 (3x3, pad 0) norm2 */
struct dense_layer {
    struct zt_en_conv c1, c2;
    struct zt_en_bn n1, n2;
};

struct dense_block {
    int n;
    struct dense_layer l[3];
};

struct zt_dexined {
    struct zt_params ps;
    struct dcb block_1, block_2;
    struct dense_block dblock[4]; /* dblock_3 .. dblock_6 */
    struct scb side[5];           /* side_1 .. side_5 (side_5 unused, as upstream) */
    struct scb pre_dense[5];      /* pre_dense_2 .. pre_dense_6 */
    struct zt_en_up up[6];        /* up_block_1 .. up_block_6 */
    struct scb block_cat;         /* conv used, bn present in the checkpoint but skipped */
};

static int dcb_add(struct zt_params *ps, struct dcb *d, const char *name, int cin, int mid,
                   int cout, int stride, int act)
{
    char p[128];
    d->act = act;
    snprintf(p, sizeof p, "%s.conv1.", name);
    if (zt_en_conv_add(ps, &d->c1, p, cin, mid, 3, stride, 1, 1, 0)) return ZT_ENOMEM;
    snprintf(p, sizeof p, "%s.bn1.", name);
    if (zt_en_bn_add(ps, &d->b1, p, mid)) return ZT_ENOMEM;
    snprintf(p, sizeof p, "%s.conv2.", name);
    if (zt_en_conv_add(ps, &d->c2, p, mid, cout, 3, 1, 1, 1, 0)) return ZT_ENOMEM;
    snprintf(p, sizeof p, "%s.bn2.", name);
    return zt_en_bn_add(ps, &d->b2, p, cout);
}

static int scb_add(struct zt_params *ps, struct scb *s, const char *name, int cin, int cout,
                   int stride)
{
    char p[128];
    snprintf(p, sizeof p, "%s.conv.", name);
    if (zt_en_conv_add(ps, &s->c, p, cin, cout, 1, stride, 0, 1, 0)) return ZT_ENOMEM;
    snprintf(p, sizeof p, "%s.bn.", name);
    return zt_en_bn_add(ps, &s->bn, p, cout);
}

static int dense_add(struct zt_params *ps, struct dense_block *b, const char *name, int n,
                     int cin, int cout)
{
    b->n = n;
    for (int i = 0; i < n; i++) {
        struct dense_layer *l = &b->l[i];
        char p[128];
        snprintf(p, sizeof p, "%s.denselayer%d.conv1.", name, i + 1);
        if (zt_en_conv_add(ps, &l->c1, p, cin, cout, 3, 1, 2, 1, 0)) return ZT_ENOMEM;
        snprintf(p, sizeof p, "%s.denselayer%d.norm1.", name, i + 1);
        if (zt_en_bn_add(ps, &l->n1, p, cout)) return ZT_ENOMEM;
        snprintf(p, sizeof p, "%s.denselayer%d.conv2.", name, i + 1);
        if (zt_en_conv_add(ps, &l->c2, p, cout, cout, 3, 1, 0, 1, 0)) return ZT_ENOMEM;
        snprintf(p, sizeof p, "%s.denselayer%d.norm2.", name, i + 1);
        if (zt_en_bn_add(ps, &l->n2, p, cout)) return ZT_ENOMEM;
        cin = cout;
    }
    return ZT_OK;
}

struct zt_dexined *zt_dexined_new(void)
{
    struct zt_dexined *m = calloc(1, sizeof *m);
    if (!m) {
        zt_seterr("dexined: out of memory");
        return NULL;
    }
    struct zt_params *ps = &m->ps;
    zt_params_init(ps);
    /* creation order = the authors' module order = their state_dict order */
    static const int dense_n[4] = {2, 3, 3, 3}, dense_in[4] = {128, 256, 512, 512},
                     dense_out[4] = {256, 512, 512, 256};
    static const int side_io[5][3] = {{64, 128, 2}, {128, 256, 2}, {256, 512, 2},
                                      {512, 512, 1}, {512, 256, 1}};
    static const int pre_io[5][3] = {{128, 256, 2}, {128, 256, 1}, {256, 512, 1},
                                     {512, 512, 1}, {512, 256, 1}};
    static const int up_io[6][2] = {{64, 1}, {128, 1}, {256, 2}, {512, 3}, {512, 4}, {256, 4}};
    char name[64];
    if (dcb_add(ps, &m->block_1, "block_1", 3, 32, 64, 2, 1) ||
        dcb_add(ps, &m->block_2, "block_2", 64, 128, 128, 1, 0))
        goto fail;
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "dblock_%d", i + 3);
        if (dense_add(ps, &m->dblock[i], name, dense_n[i], dense_in[i], dense_out[i])) goto fail;
    }
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "side_%d", i + 1);
        if (scb_add(ps, &m->side[i], name, side_io[i][0], side_io[i][1], side_io[i][2]))
            goto fail;
    }
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "pre_dense_%d", i + 2);
        if (scb_add(ps, &m->pre_dense[i], name, pre_io[i][0], pre_io[i][1], pre_io[i][2]))
            goto fail;
    }
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof name, "up_block_%d.", i + 1);
        if (zt_en_up_add(ps, &m->up[i], name, up_io[i][0], up_io[i][1], 0)) goto fail;
    }
    if (scb_add(ps, &m->block_cat, "block_cat", 6, 1, 1)) goto fail;
    return m;
fail:
    zt_adderr("dexined: creating parameters");
    zt_dexined_free(m);
    return NULL;
}

void zt_dexined_free(struct zt_dexined *m)
{
    if (!m) return;
    zt_params_deinit(&m->ps);
    free(m);
}

struct zt_params *zt_dexined_params(struct zt_dexined *m) { return &m->ps; }

/* --- forward --- */

static struct zt_tensor *dcb_fwd(struct zt_graph *g, const struct dcb *d, struct zt_tensor *x)
{
    x = zt_relu(g, zt_en_bn(g, &d->b1, zt_en_conv(g, &d->c1, x)));
    x = zt_en_bn(g, &d->b2, zt_en_conv(g, &d->c2, x));
    return d->act ? zt_relu(g, x) : x;
}

static struct zt_tensor *scb_fwd(struct zt_graph *g, const struct scb *s, struct zt_tensor *x)
{
    return zt_en_bn(g, &s->bn, zt_en_conv(g, &s->c, x));
}

/* _DenseBlock([x1, x2]): per layer x1 = 0.5 (layer(relu(x1)) + x2); x2 fixed.
 * Each layer's intermediates are dropped once its output is kept. */
static struct zt_tensor *dense_fwd(struct zt_graph *g, const struct dense_block *b,
                                   struct zt_tensor *x1, struct zt_tensor *x2)
{
    for (int i = 0; i < b->n && x1; i++) {
        const struct dense_layer *l = &b->l[i];
        struct zt_arena_mark m = zt_arena_mark(zt_graph_arena(g));
        struct zt_tensor *y = zt_relu(g, x1);
        y = zt_relu(g, zt_en_bn(g, &l->n1, zt_en_conv(g, &l->c1, y)));
        y = zt_en_bn(g, &l->n2, zt_en_conv(g, &l->c2, y));
        x1 = zt_axpby(g, 0.5f, y, 0.5f, x2);
        if (!x1 || zt_en_keep(g, m, 1, &x1)) return NULL;
    }
    return x1;
}

int zt_dexined_forward(struct zt_dexined *m, struct zt_graph *g, struct zt_tensor *x,
                       struct zt_tensor *outs[ZT_DEXINED_NOUT])
{
    int rc = zt_en_check_input(g, "dexined", x, ZT_DEXINED_MULTIPLE);
    if (rc) return rc;
    struct zt_arena *ar = zt_graph_arena(g);
    struct zt_tensor *o[ZT_DEXINED_NOUT] = {0};

    /* blocks 1-2 (H/2) */
    struct zt_arena_mark mk = zt_arena_mark(ar);
    struct zt_tensor *b1 = dcb_fwd(g, &m->block_1, x);
    o[0] = zt_en_up(g, &m->up[0], b1);
    struct zt_tensor *b1_side = scb_fwd(g, &m->side[0], b1);
    struct zt_tensor *b2 = dcb_fwd(g, &m->block_2, b1);
    o[1] = zt_en_up(g, &m->up[1], b2);
    struct zt_tensor *b2_down = zt_max_pool2d(g, b2, 3, 2, 1);
    struct zt_tensor *b2_add = zt_add(g, b2_down, b1_side);
    struct zt_tensor *k1[4] = {o[0], o[1], b2_down, b2_add};
    if (!b2_add || zt_en_keep(g, mk, 4, k1)) goto fail;
    o[0] = k1[0], o[1] = k1[1], b2_down = k1[2], b2_add = k1[3];

    /* block 3 (H/4) */
    mk = zt_arena_mark(ar);
    struct zt_tensor *b2_side = scb_fwd(g, &m->side[1], b2_add);
    struct zt_tensor *b3 = dense_fwd(g, &m->dblock[0], b2_add, scb_fwd(g, &m->pre_dense[1], b2_down));
    o[2] = zt_en_up(g, &m->up[2], b3);
    struct zt_tensor *b3_down = zt_max_pool2d(g, b3, 3, 2, 1);
    struct zt_tensor *b3_add = zt_add(g, b3_down, b2_side);
    struct zt_tensor *b3_side = scb_fwd(g, &m->side[2], b3_add);
    struct zt_tensor *b2_half = scb_fwd(g, &m->pre_dense[0], b2_down);
    struct zt_tensor *pre4 = scb_fwd(g, &m->pre_dense[2], zt_add(g, b3_down, b2_half));
    struct zt_tensor *k2[4] = {o[2], b3_add, b3_side, pre4};
    if (!pre4 || !b3_side || zt_en_keep(g, mk, 4, k2)) goto fail;
    o[2] = k2[0], b3_add = k2[1], b3_side = k2[2], pre4 = k2[3];

    /* block 4 (H/8) */
    mk = zt_arena_mark(ar);
    struct zt_tensor *b4 = dense_fwd(g, &m->dblock[1], b3_add, pre4);
    o[3] = zt_en_up(g, &m->up[3], b4);
    struct zt_tensor *b4_down = zt_max_pool2d(g, b4, 3, 2, 1);
    struct zt_tensor *b4_add = zt_add(g, b4_down, b3_side);
    struct zt_tensor *b4_side = scb_fwd(g, &m->side[3], b4_add);
    struct zt_tensor *pre5 = scb_fwd(g, &m->pre_dense[3], b4_down);
    struct zt_tensor *k3[4] = {o[3], b4_add, b4_side, pre5};
    if (!pre5 || !b4_side || zt_en_keep(g, mk, 4, k3)) goto fail;
    o[3] = k3[0], b4_add = k3[1], b4_side = k3[2], pre5 = k3[3];

    /* blocks 5-6 (H/16) */
    mk = zt_arena_mark(ar);
    struct zt_tensor *b5 = dense_fwd(g, &m->dblock[2], b4_add, pre5);
    o[4] = zt_en_up(g, &m->up[4], b5);
    struct zt_tensor *b5_add = zt_add(g, b5, b4_side);
    struct zt_tensor *b6 = dense_fwd(g, &m->dblock[3], b5_add, scb_fwd(g, &m->pre_dense[4], b5));
    o[5] = zt_en_up(g, &m->up[5], b6);
    struct zt_tensor *k4[2] = {o[4], o[5]};
    if (!o[5] || !o[4] || zt_en_keep(g, mk, 2, k4)) goto fail;
    o[4] = k4[0], o[5] = k4[1];

    /* fusion: 1x1 conv of the six maps (block_cat.bn is not applied, as upstream) */
    o[6] = zt_en_conv(g, &m->block_cat.c, zt_concat(g, 6, o));
    if (!o[6]) goto fail;
    for (int i = 0; i < ZT_DEXINED_NOUT; i++) outs[i] = o[i];
    return ZT_OK;
fail:
    rc = zt_graph_status(g);
    if (!rc) rc = ZT_ENOMEM;
    zt_adderr("dexined");
    return rc;
}
