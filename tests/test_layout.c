/* test_layout.c: engines with the blocked layout (zt_engine_set_blocked_layout) (activations in oneDNN's nChw16c,
 * src/core/tensor.h) against plain NCHW engines: the index formula and
 * conversions, BatchNorm bit-identical in both layouts, and whole small
 * networks (convolutions both ways, BN, activations, dropout, skip concat,
 * losses) giving the same outputs and gradients. Suite "ops". */
#include "test.h"
#include "../src/core/engine.h"
#include "../src/core/graph.h"
#include "../src/core/ops.h"
#include "../src/util/rng.h"
#include "../src/core/param.h"
#include "../src/nn/optim.h"
#include "../src/nn/pix2pix_train.h"
#include "../src/util/zt.h"

#include <stdlib.h>
#include <string.h>

static struct zt_engine *engine(int blocked, int nthreads)
{
    struct zt_engine_opts o = {.backend = ZT_BACKEND_CPU, .nthreads = nthreads, .seed = 7};
    struct zt_engine *e = zt_engine_new(&o);
    if (e && zt_engine_set_blocked_layout(e, blocked)) {
        zt_engine_free(e);
        return NULL;
    }
    return e;
}

static double rel_diff(const float *a, const float *b, int64_t n)
{
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

TEST(ops, blocked_index_and_conversions)
{
    int64_t N = 2, C = 32, HW = 15, n = N * C * HW;
    float *p = malloc(n * sizeof *p), *b = malloc(n * sizeof *b), *q = malloc(n * sizeof *q);
    for (int64_t i = 0; i < n; i++) p[i] = (float)i;
    zt_blk16_from_plain(p, b, N, C, HW, 0, 2);
    int bad = 0;
    for (int64_t in = 0; in < N; in++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t hw = 0; hw < HW; hw++)
                bad += b[zt_blk16_index(C, HW, in, c, hw)] != p[(in * C + c) * HW + hw];
    CHECK_EQ_INT(bad, 0);
    /* the layout the oneDNN docs give for nChw16c: channel block outermost after n */
    CHECK(b[16] == p[1]);               /* (0, 0, hw 1) */
    CHECK(b[1] == p[HW]);               /* (0, 1, hw 0) */
    CHECK(b[16 * HW] == p[16 * HW]);    /* (0, 16, 0): block 1 starts after block 0 */
    zt_blk16_to_plain(b, q, N, C, HW, 0, 1);
    CHECK(!memcmp(p, q, n * sizeof *p));
    zt_blk16_to_plain(b, q, N, C, HW, 1, 1); /* accumulate: 2p */
    bad = 0;
    for (int64_t i = 0; i < n; i++) bad += q[i] != 2 * p[i];
    CHECK_EQ_INT(bad, 0);
    free(p);
    free(b);
    free(q);
}

/* A small network touching every layout-aware path: x (2, 3, S, S) ->
 * conv 3->32 s2 (blocked out) -> BN -> LeakyReLU (the skip) -> conv 32->32
 * s1 k4 (odd size, as PatchGAN's fourth conv) -> BN -> dropout -> conv s2
 * to < 16x16 pixels (im2col path, plain out) -> ReLU -> transposed conv
 * back up (blocked) -> LeakyReLU -> transposed conv k3 with bias (u);
 * concat(skip, ReLU(skip)) -> ReLU -> transposed conv 64->16 -> conv 16->3
 * (plain out) -> tanh -> L1 to a target, + 0.01 (mean(cat^2) + mean(u^2)).
 * Returns the loss; *out the image. */
static struct zt_tensor *net(struct zt_graph *g, struct zt_tensor **w, struct zt_tensor **bn,
                             struct zt_tensor *x, struct zt_tensor *target,
                             struct zt_tensor **out)
{
    struct zt_conv_args s2 = {.stride = {2, 2}, .pad = {1, 1}}, s1 = {.stride = {1, 1}, .pad = {1, 1}};
    struct zt_tensor *h = zt_conv2d(g, x, w[0], w[1], &s2);              /* 32 x S/2 */
    h = zt_batch_norm(g, h, bn[0], bn[1], bn[2], bn[3], NULL, 0.1f, 1e-5f);
    struct zt_tensor *skip = zt_leaky_relu(g, h, 0.2f);
    h = zt_conv2d(g, skip, w[2], NULL, &s1);                             /* 32 x S/2-1 */
    h = zt_batch_norm(g, h, bn[4], bn[5], bn[6], bn[7], NULL, 0.1f, 1e-5f);
    h = zt_dropout(g, h, 0.5f);
    h = zt_conv2d(g, h, w[3], NULL, &s2);                                /* 32 x small */
    h = zt_relu(g, h);
    struct zt_conv_args up = {.stride = {2, 2}, .pad = {1, 1}, .output_padding = {0, 0}};
    h = zt_conv_transpose2d(g, h, w[4], NULL, &up);                      /* 32 x ... */
    h = zt_leaky_relu(g, h, 0.2f);
    struct zt_tensor *u = zt_conv_transpose2d(g, h, w[5], w[6], &s1);    /* 32 x 18, biased */
    struct zt_tensor *parts[2] = {skip, zt_relu(g, skip)};
    struct zt_tensor *cat = zt_concat(g, 2, parts);                      /* 64 x S/2 */
    h = zt_conv_transpose2d(g, zt_relu(g, cat), w[7], NULL, &s2);        /* 16 x S */
    h = zt_conv2d(g, h, w[8], w[9], &s1);                                /* 3 x S-1 */
    *out = zt_tanh(g, h);
    struct zt_tensor *l = zt_l1_loss(g, *out, target);
    /* blocked operands of mean/mul: converted by the ops themselves */
    struct zt_tensor *e1 = zt_mean(g, zt_mul(g, cat, cat)), *e2 = zt_mean(g, zt_mul(g, u, u));
    struct zt_tensor *extra = e1 && e2 ? zt_axpby(g, 1.0f, e1, 1.0f, e2) : NULL;
    return l && extra ? zt_axpby(g, 1.0f, l, 0.01f, extra) : NULL;
}

static void run_net(int blocked, int nthreads, int S, float *out_y, float *out_grads,
                    int64_t *ngrad)
{
    struct zt_engine *e = engine(blocked, nthreads);
    struct zt_graph *g = zt_graph_new(e, 0, 0);
    struct zt_rng r;
    zt_rng_seed(&r, 11);
    static const int64_t ws[10][4] = {{32, 3, 4, 4}, {32, 1, 1, 1}, {32, 32, 4, 4}, {32, 32, 4, 4},
                                      {32, 32, 4, 4}, {32, 32, 3, 3}, {32, 1, 1, 1}, {64, 16, 4, 4},
                                      {3, 16, 4, 4}, {3, 1, 1, 1}};
    float *store[18];
    struct zt_tensor *w[10], *bn[8];
    zt_graph_begin(g, ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN);
    for (int i = 0; i < 10; i++) {
        int64_t n = ws[i][0] * ws[i][1] * ws[i][2] * ws[i][3];
        store[i] = malloc(n * sizeof(float));
        zt_rng_fill_uniform(&r, store[i], n, -0.2f, 0.2f);
        int bias = ws[i][1] == 1 && ws[i][2] == 1;
        int64_t shape[4] = {ws[i][0], ws[i][1], ws[i][2], ws[i][3]};
        w[i] = zt_graph_input(g, bias ? 1 : 4, shape, store[i], 1);
    }
    for (int i = 0; i < 8; i++) {
        int64_t c[1] = {32};
        float v[32];
        for (int j = 0; j < 32; j++) v[j] = (i % 4) == 3 ? 1.0f + 0.01f * j : 0.1f * (i % 4) + 0.01f * j;
        bn[i] = zt_graph_input(g, 1, c, v, i % 4 < 2);
    }
    int64_t xs[4] = {2, 3, S, S}, ts[4] = {2, 3, S - 1, S - 1};
    int64_t nx = 2 * 3 * S * S, nt = 2 * 3 * (S - 1) * (S - 1);
    float *xd = malloc(nx * sizeof(float)), *td = malloc(nt * sizeof(float));
    zt_rng_fill_uniform(&r, xd, nx, -1, 1);
    zt_rng_fill_uniform(&r, td, nt, -1, 1);
    struct zt_tensor *x = zt_graph_input(g, 4, xs, xd, 1), *t = zt_graph_input(g, 4, ts, td, 0);
    struct zt_tensor *y = NULL, *loss = net(g, w, bn, x, t, &y);
    CHECK_OK(zt_graph_status(g));
    if (loss) {
        CHECK_EQ_INT(y->layout, ZT_LAYOUT_PLAIN);
        memcpy(out_y, y->data, nt * sizeof(float));
        CHECK_OK(zt_graph_backward(g, loss));
        int64_t k = 0;
        for (int i = 0; i < 10; i++) {
            int64_t n = zt_tensor_numel(w[i]);
            memcpy(out_grads + k, w[i]->grad, n * sizeof(float));
            k += n;
        }
        for (int i = 0; i < 8; i++)
            if (bn[i]->requires_grad) {
                memcpy(out_grads + k, bn[i]->grad, 32 * sizeof(float));
                k += 32;
            } else { /* running stats after the update */
                memcpy(out_grads + k, bn[i]->data, 32 * sizeof(float));
                k += 32;
            }
        memcpy(out_grads + k, x->grad, nx * sizeof(float));
        *ngrad = k + nx;
    }
    for (int i = 0; i < 10; i++) free(store[i]);
    free(xd);
    free(td);
    zt_graph_free(g);
    zt_engine_free(e);
}

TEST(ops, blocked_layout_net_matches_plain)
{
    int S = 40;
    int64_t ny = 2 * 3 * (S - 1) * (S - 1), ng = 0, ng2 = 0;
    float *y0 = malloc(ny * sizeof(float)), *y1 = malloc(ny * sizeof(float));
    float *g0 = calloc(200000, sizeof(float)), *g1 = calloc(200000, sizeof(float));
    float *y2 = malloc(ny * sizeof(float)), *g2 = calloc(200000, sizeof(float));
    run_net(0, 2, S, y0, g0, &ng);
    run_net(1, 2, S, y1, g1, &ng2);
    CHECK_EQ_INT(ng, ng2);
    CHECK(ng > 1000 && ng < 200000);
    double dy = rel_diff(y1, y0, ny), dg = rel_diff(g1, g0, ng);
    CHECK_MSG(dy < 1e-5, "output differs: rel %g", dy);
    CHECK_MSG(dg < 1e-4, "gradients differ: rel %g", dg);
    /* per block of the gradient vector too, so one small tensor cannot hide;
     * relative to the block's size, or 1e-3 of the whole vector's RMS for
     * near-zero blocks (a conv bias before BN has a gradient of rounding noise) */
    double rms = 0;
    for (int64_t i = 0; i < ng; i++) rms += (double)g0[i] * g0[i];
    rms = sqrt(rms / ng);
    for (int64_t k = 0; k < ng; k += 512) {
        int64_t n = ng - k < 512 ? ng - k : 512;
        double num = 0, den = 0;
        for (int64_t i = k; i < k + n; i++) {
            num += ((double)g1[i] - g0[i]) * ((double)g1[i] - g0[i]);
            den += (double)g0[i] * g0[i];
        }
        double scale = sqrt(den / n) > 1e-3 * rms ? sqrt(den / n) : 1e-3 * rms;
        double d = sqrt(num / n) / scale;
        CHECK_MSG(d < 1e-3, "gradients [%lld, +%lld) differ: rel %g", (long long)k, (long long)n, d);
    }
    /* reproducible bit for bit at a fixed thread count */
    run_net(1, 2, S, y2, g2, &ng2);
    CHECK(!memcmp(y1, y2, ny * sizeof(float)));
    CHECK(!memcmp(g1, g2, ng * sizeof(float)));
    free(y0);
    free(y1);
    free(y2);
    free(g0);
    free(g1);
    free(g2);
}

/* BatchNorm sums each channel in NCHW order in both layouts: bit-identical. */
TEST(ops, blocked_batch_norm_bit_identical)
{
    struct zt_engine *e = engine(1, 2);
    struct zt_graph *g = zt_graph_new(e, 0, 0);
    struct zt_rng r;
    zt_rng_seed(&r, 3);
    int64_t xs[4] = {2, 32, 9, 7}, n = 2 * 32 * 9 * 7, c1[1] = {32};
    float *xd = malloc(n * sizeof(float)), *bx = malloc(n * sizeof(float));
    float *dyd = malloc(n * sizeof(float)), *bdy = malloc(n * sizeof(float));
    zt_rng_fill_uniform(&r, xd, n, -2, 3);
    zt_rng_fill_uniform(&r, dyd, n, -1, 1);
    zt_blk16_from_plain(xd, bx, 2, 32, 63, 0, 1);
    zt_blk16_from_plain(dyd, bdy, 2, 32, 63, 0, 1);
    float out[2][4096], gx[2][4096], gw[2][32], rm[2][32];
    for (int pass = 0; pass < 2; pass++) {
        zt_graph_begin(g, ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN);
        float wv[32], bv[32], zero[32] = {0}, one[32];
        for (int i = 0; i < 32; i++) wv[i] = 0.5f + 0.03f * i, bv[i] = 0.1f * i, one[i] = 1;
        struct zt_tensor *x = zt_graph_input(g, 4, xs, pass ? bx : xd, 1);
        if (pass) x->layout = ZT_LAYOUT_BLOCKED16;
        struct zt_tensor *w = zt_graph_input(g, 1, c1, wv, 1), *b = zt_graph_input(g, 1, c1, bv, 1);
        struct zt_tensor *m = zt_graph_input(g, 1, c1, zero, 0), *v = zt_graph_input(g, 1, c1, one, 0);
        struct zt_tensor *y = zt_batch_norm(g, x, w, b, m, v, NULL, 0.1f, 1e-5f);
        CHECK_OK(zt_graph_status(g));
        if (!y) break;
        CHECK_EQ_INT(y->layout, pass ? ZT_LAYOUT_BLOCKED16 : ZT_LAYOUT_PLAIN);
        CHECK_OK(zt_graph_backward_seed(g, y, dyd)); /* seed in NCHW order either way */
        if (pass) {
            zt_blk16_to_plain(y->data, out[1], 2, 32, 63, 0, 1);
            zt_blk16_to_plain(x->grad, gx[1], 2, 32, 63, 0, 1);
        } else {
            memcpy(out[0], y->data, n * sizeof(float));
            memcpy(gx[0], x->grad, n * sizeof(float));
        }
        memcpy(gw[pass], w->grad, sizeof gw[pass]);
        memcpy(rm[pass], m->data, sizeof rm[pass]);
    }
    CHECK(!memcmp(out[0], out[1], n * sizeof(float)));
    CHECK(!memcmp(gx[0], gx[1], n * sizeof(float)));
    CHECK(!memcmp(gw[0], gw[1], sizeof gw[0]));
    CHECK(!memcmp(rm[0], rm[1], sizeof rm[0]));
    free(xd);
    free(bx);
    free(dyd);
    free(bdy);
    zt_graph_free(g);
    zt_engine_free(e);
}

/* Inference passes keep big convolutions' weights reordered between passes;
 * zt_engine_weights_changed (and any training pass) drops them. */
TEST(ops, blocked_weight_cache)
{
    struct zt_engine *e = engine(1, 2), *ref = engine(0, 1);
    struct zt_graph *g = zt_graph_new(e, 0, 0), *gr = zt_graph_new(ref, 0, 0);
    struct zt_rng r;
    zt_rng_seed(&r, 5);
    int64_t xs[4] = {1, 16, 34, 34}, ws[4] = {32, 16, 4, 4}, nx = 16 * 34 * 34, nw = 32 * 16 * 16;
    int64_t ny = 32 * 17 * 17;
    float *x = malloc(nx * sizeof(float)), *w = malloc(nw * sizeof(float));
    float *y[4], *want = malloc(ny * sizeof(float));
    zt_rng_fill_uniform(&r, x, nx, -1, 1);
    zt_rng_fill_uniform(&r, w, nw, -0.1f, 0.1f);
    struct zt_conv_args a = {.stride = {2, 2}, .pad = {1, 1}};
    for (int pass = 0; pass < 4; pass++) {
        if (pass == 1 || pass == 2) /* new weights, in place */
            for (int64_t i = 0; i < nw; i++) w[i] = -w[i] * 0.5f;
        if (pass == 1) zt_engine_weights_changed(e);
        if (pass == 2) { /* a training pass drops the cache too */
            zt_graph_begin(g, ZT_GRAPH_GRAD);
        }
        zt_graph_begin(g, 0);
        struct zt_tensor *xt = zt_graph_input(g, 4, xs, x, 0);
        struct zt_tensor *wt = zt_graph_wrap(g, 4, ws, w, 0);
        struct zt_tensor *yt = zt_to_plain(g, zt_conv2d(g, xt, wt, NULL, &a));
        CHECK_OK(zt_graph_status(g));
        y[pass] = malloc(ny * sizeof(float));
        if (yt) memcpy(y[pass], yt->data, ny * sizeof(float));
        /* the plain engine from scratch */
        zt_graph_begin(gr, 0);
        struct zt_tensor *yr = zt_conv2d(gr, zt_graph_input(gr, 4, xs, x, 0),
                                         zt_graph_wrap(gr, 4, ws, w, 0), NULL, &a);
        CHECK_OK(zt_graph_status(gr));
        if (yr) memcpy(want, yr->data, ny * sizeof(float));
        double d = rel_diff(y[pass], want, ny);
        CHECK_MSG(d < 1e-5, "pass %d: rel diff %g from a fresh plain engine", pass, d);
    }
    CHECK(memcmp(y[0], y[1], ny * sizeof(float))); /* the weights did change */
    CHECK(!memcmp(y[2], y[3], ny * sizeof(float))); /* pass 3 reused pass 2's cache */
    for (int i = 0; i < 4; i++) free(y[i]);
    free(want);
    free(x);
    free(w);
    zt_graph_free(g);
    zt_graph_free(gr);
    zt_engine_free(e);
    zt_engine_free(ref);
}

/* After an optimizer step the weight grads are known zero, and the first
 * backward-weights call writes them instead of adding (blocked path, conv
 * 32x34x34 -> 32x17x17, and im2col path, 32x17x17 -> 32x8x8): the grads of
 * a second backward must equal those of a model whose grads were never
 * flagged (accumulating into zeros). */
static void two_layer_grads(struct zt_engine *e, struct zt_params *ps, const float *x, int step,
                            struct zt_optim *opt)
{
    struct zt_graph *g = zt_graph_new(e, 0, 0);
    int64_t xs[4] = {1, 16, 34, 34};
    struct zt_conv_args a = {.stride = {2, 2}, .pad = {1, 1}};
    for (int it = 0; it < step; it++) {
        zt_graph_begin(g, ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN);
        struct zt_tensor *h = zt_conv2d(g, zt_graph_input(g, 4, xs, x, 0), &ps->p[0]->t, &ps->p[1]->t, &a);
        h = zt_leaky_relu(g, h, 0.2f);
        h = zt_conv2d(g, h, &ps->p[2]->t, NULL, &a);
        struct zt_tensor *l = zt_mean(g, zt_mul(g, h, h));
        CHECK_OK(zt_graph_status(g));
        if (l) CHECK_OK(zt_graph_backward(g, l));
        if (opt && it + 1 < step) zt_optim_step(opt);
    }
    zt_graph_free(g);
}

TEST(ops, blocked_zeroed_param_grads_written)
{
    struct zt_engine *e = engine(1, 2);
    struct zt_params a, b;
    zt_params_init(&a);
    zt_params_init(&b);
    int64_t w1[4] = {32, 16, 4, 4}, b1[1] = {32}, w2[4] = {32, 32, 4, 4};
    struct zt_tensor *t[3] = {zt_params_add(&a, "w1", 4, w1, 0), zt_params_add(&a, "b1", 1, b1, 0),
                              zt_params_add(&a, "w2", 4, w2, 0)};
    struct zt_tensor *u[3] = {zt_params_add(&b, "w1", 4, w1, 0), zt_params_add(&b, "b1", 1, b1, 0),
                              zt_params_add(&b, "w2", 4, w2, 0)};
    struct zt_rng r;
    zt_rng_seed(&r, 9);
    for (int i = 0; i < 3; i++) zt_rng_fill_uniform(&r, t[i]->data, zt_tensor_numel(t[i]), -0.1f, 0.1f);
    float *x = malloc(16 * 34 * 34 * sizeof(float));
    zt_rng_fill_uniform(&r, x, 16 * 34 * 34, -1, 1);
    struct zt_sgd_opts so = {0.5, 0, 0, 0, 0};
    struct zt_optim *opt = zt_optim_sgd_new(&a, &so, 2);
    two_layer_grads(e, &a, x, 2, opt); /* backward, step (grads zeroed, flagged), backward */
    CHECK_EQ_INT(t[0]->grad_fresh, 0);  /* consumed by the second backward */
    for (int i = 0; i < 3; i++) /* same weights, grads zero but not flagged */
        memcpy(u[i]->data, t[i]->data, zt_tensor_numel(t[i]) * sizeof(float));
    two_layer_grads(e, &b, x, 1, NULL);
    for (int i = 0; i < 3; i++) {
        int64_t n = zt_tensor_numel(t[i]), bad = 0;
        double mx = 0;
        for (int64_t j = 0; j < n; j++) {
            bad += t[i]->grad[j] != u[i]->grad[j];
            mx = fmax(mx, fabs(t[i]->grad[j]));
        }
        CHECK_MSG(bad == 0, "param %d: %lld grads differ", i, (long long)bad);
        CHECK(mx > 0);
    }
    zt_optim_free(opt);
    free(x);
    zt_params_deinit(&a);
    zt_params_deinit(&b);
    zt_engine_free(e);
}
