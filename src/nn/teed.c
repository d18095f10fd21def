/* teed.c: TEED inference on the engine, module by module as the authors'
 * ted.py (DoubleConvBlock and _DenseLayer with Smish, SingleConvBlock
 * without norm, UpConvBlock side outputs, DoubleFusion). */
#include "teed.h"
#include "edgenet_parts.h"
#include "../core/graph.h"
#include "../core/ops.h"
#include "../util/zt.h"

#include <stdlib.h>

struct zt_teed {
    struct zt_params ps;
    struct zt_en_conv b1c1, b1c2, b2c1, b2c2; /* block_1, block_2 */
    struct zt_en_conv d1, d2;                 /* dblock_3.denselayer1 */
    struct zt_en_conv side_1, pre_dense_3;
    struct zt_en_up up[3];
    struct zt_en_conv dw1, dw2;               /* block_cat (DoubleFusion) */
};

struct zt_teed *zt_teed_new(void)
{
    struct zt_teed *m = calloc(1, sizeof *m);
    if (!m) {
        zt_seterr("teed: out of memory");
        return NULL;
    }
    struct zt_params *ps = &m->ps;
    zt_params_init(ps);
    /* the authors' module (= state_dict) order */
    if (zt_en_conv_add(ps, &m->b1c1, "block_1.conv1.", 3, 16, 3, 2, 1, 1, 0) ||
        zt_en_conv_add(ps, &m->b1c2, "block_1.conv2.", 16, 16, 3, 1, 1, 1, 0) ||
        zt_en_conv_add(ps, &m->b2c1, "block_2.conv1.", 16, 32, 3, 1, 1, 1, 0) ||
        zt_en_conv_add(ps, &m->b2c2, "block_2.conv2.", 32, 32, 3, 1, 1, 1, 0) ||
        zt_en_conv_add(ps, &m->d1, "dblock_3.denselayer1.conv1.", 32, 48, 3, 1, 2, 1, 0) ||
        zt_en_conv_add(ps, &m->d2, "dblock_3.denselayer1.conv2.", 48, 48, 3, 1, 0, 1, 0) ||
        zt_en_conv_add(ps, &m->side_1, "side_1.conv.", 16, 32, 1, 2, 0, 1, 0) ||
        zt_en_conv_add(ps, &m->pre_dense_3, "pre_dense_3.conv.", 32, 48, 1, 1, 0, 1, 0) ||
        zt_en_up_add(ps, &m->up[0], "up_block_1.", 16, 1, 1) ||
        zt_en_up_add(ps, &m->up[1], "up_block_2.", 32, 1, 1) ||
        zt_en_up_add(ps, &m->up[2], "up_block_3.", 48, 2, 1) ||
        zt_en_conv_add(ps, &m->dw1, "block_cat.DWconv1.", 3, 24, 3, 1, 1, 3, 0) ||
        zt_en_conv_add(ps, &m->dw2, "block_cat.DWconv2.", 24, 24, 3, 1, 1, 24, 0)) {
        zt_adderr("teed: creating parameters");
        zt_teed_free(m);
        return NULL;
    }
    return m;
}

void zt_teed_free(struct zt_teed *m)
{
    if (!m) return;
    zt_params_deinit(&m->ps);
    free(m);
}

struct zt_params *zt_teed_params(struct zt_teed *m) { return &m->ps; }

int zt_teed_forward(struct zt_teed *m, struct zt_graph *g, struct zt_tensor *x,
                    struct zt_tensor *outs[ZT_TEED_NOUT])
{
    int rc = zt_en_check_input(g, "teed", x, ZT_TEED_MULTIPLE);
    if (rc) return rc;
    struct zt_tensor *o[ZT_TEED_NOUT] = {0};
    /* block_1: conv1 smish conv2 smish (H/2) */
    struct zt_tensor *b1 = zt_smish(g, zt_en_conv(g, &m->b1c1, x));
    b1 = zt_smish(g, zt_en_conv(g, &m->b1c2, b1));
    struct zt_tensor *b1_side = zt_en_conv(g, &m->side_1, b1);
    /* block_2: conv1 smish conv2 (no activation) */
    struct zt_tensor *b2 = zt_en_conv(g, &m->b2c2, zt_smish(g, zt_en_conv(g, &m->b2c1, b1)));
    struct zt_tensor *b2_down = zt_max_pool2d(g, b2, 3, 2, 1);
    struct zt_tensor *b2_add = zt_add(g, b2_down, b1_side);
    /* dblock_3 ([b2_add, pre_dense_3(b2_down)]): 0.5 (layer(smish(x1)) + x2) */
    struct zt_tensor *pre3 = zt_en_conv(g, &m->pre_dense_3, b2_down);
    struct zt_tensor *y = zt_en_conv(g, &m->d1, zt_smish(g, b2_add));
    y = zt_en_conv(g, &m->d2, zt_smish(g, y));
    struct zt_tensor *b3 = zt_axpby(g, 0.5f, y, 0.5f, pre3);
    o[0] = zt_en_up(g, &m->up[0], b1);
    o[1] = zt_en_up(g, &m->up[1], b2);
    o[2] = zt_en_up(g, &m->up[2], b3);
    /* DoubleFusion: a = DW1(smish(cat)), a2 = DW2(smish(a)),
     * fused = smish(sum over channels of (a2 + a)); PixelShuffle(1) is the identity */
    struct zt_tensor *a = zt_en_conv(g, &m->dw1, zt_smish(g, zt_concat(g, 3, o)));
    struct zt_tensor *s = zt_add(g, zt_en_conv(g, &m->dw2, zt_smish(g, a)), a);
    if (!s) goto fail;
    /* channel sum as a 1x1 convolution with unit weights (1, 24, 1, 1) */
    float ones[24];
    for (int i = 0; i < 24; i++) ones[i] = 1.0f;
    int64_t ws[4] = {1, 24, 1, 1};
    struct zt_tensor *w1 = zt_graph_input(g, 4, ws, ones, 0);
    o[3] = zt_smish(g, zt_conv2d(g, s, w1, NULL, NULL));
    if (!o[3]) goto fail;
    for (int i = 0; i < ZT_TEED_NOUT; i++) outs[i] = o[i];
    return ZT_OK;
fail:
    rc = zt_graph_status(g);
    if (!rc) rc = ZT_ENOMEM;
    zt_adderr("teed");
    return rc;
}
