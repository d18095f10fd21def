/* test_pix2pix.c: the U-Net generator and PatchGAN discriminator against the
 * official architecture in PyTorch: state_dict names, and outputs from the
 * same weights in eval and train (batch statistics + fixed dropout masks)
 * modes, with the BatchNorm running statistics after a train-mode pass.
 * Goldens: scripts/gen_pix2pix_golden.py. */
#include "test.h"
#include "../src/core/engine.h"
#include "../src/core/graph.h"
#include "../src/core/param.h"
#include "../src/core/tensor.h"
#include "../src/core/ops.h"
#include "../src/nn/ckpt.h"
#include "../src/nn/generator.h"
#include "../src/nn/pix2pix_train.h"
#include "../src/nn/train_ckpt.h"
#include "../src/nn/pix2pix.h"
#include "../src/util/rng.h"
#include "../src/util/zt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Compares the model's names with a golden key file as sets. */
static void check_keys(const struct zt_params *ps, const char *file)
{
    char path[4096], line[512];
    snprintf(path, sizeof path, "%s/pix2pix/%s", zt_test_datadir(), file);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f) return;
    char *want[256];
    int nw = 0;
    while (nw < 256 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0]) want[nw++] = strdup(line);
    }
    fclose(f);
    char *have[256];
    int nh = 0;
    for (int i = 0; i < ps->n && nh < 256; i++) have[nh++] = ps->p[i]->name;
    CHECK_EQ_INT(nh, nw);
    qsort(want, (size_t)nw, sizeof *want, cmp_str);
    qsort(have, (size_t)nh, sizeof *have, cmp_str);
    for (int i = 0; i < nw && i < nh; i++)
        CHECK_MSG(!strcmp(want[i], have[i]), "%s: key %d: want %s, have %s", file, i, want[i],
                  have[i]);
    for (int i = 0; i < nw; i++) free(want[i]);
}

TEST(pix2pix, state_dict_names)
{
    struct zt_unet_cfg uc;
    struct zt_unet u;
    zt_unet_cfg_default(&uc, 3, 3, 8);
    CHECK_OK(zt_unet_init(&u, &uc));
    check_keys(&u.params, "keys_unet256.txt");
    zt_unet_deinit(&u);
    zt_unet_cfg_default(&uc, 5, 3, 7);
    uc.ngf = 32;
    CHECK_OK(zt_unet_init(&u, &uc));
    check_keys(&u.params, "keys_unet128.txt");
    zt_unet_deinit(&u);
    struct zt_patchgan_cfg dc;
    struct zt_patchgan d;
    zt_patchgan_cfg_default(&dc, 6);
    CHECK_OK(zt_patchgan_init(&d, &dc));
    check_keys(&d.params, "keys_patchgan.txt");
    zt_patchgan_deinit(&d);
}

TEST(pix2pix, flops)
{
    /* the figure for unet_256, ngf 64: 12.1 GFLOP per forward */
    struct zt_unet_cfg uc;
    zt_unet_cfg_default(&uc, 3, 3, 8);
    double f = zt_unet_flops(&uc, 256);
    CHECK_MSG(f > 11.9e9 && f < 12.3e9, "unet_256 forward: %.3g FLOP", f);
    struct zt_unet u;
    uc.num_downs = 4;
    CHECK_RC(zt_unet_init(&u, &uc), ZT_EINVAL);
}

static double max_abs_diff(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = a[i] - b[i];
        if (d < 0) d = -d;
        if (!(d <= m)) m = d; /* NaN propagates as a failure */
    }
    return m;
}

static const struct zt_st_tensor *need(const struct zt_st_file *f, const char *name)
{
    const struct zt_st_tensor *t = zt_st_get(f, name);
    CHECK_MSG(t != NULL, "golden lacks %s", name);
    return t;
}

/* Checks every BN buffer against the golden's "after:" values. */
static void check_buffers(const struct zt_params *ps, const struct zt_st_file *f)
{
    char name[512];
    for (int i = 0; i < ps->n; i++) {
        if (!ps->p[i]->is_buffer) continue;
        snprintf(name, sizeof name, "after:%s", ps->p[i]->name);
        const struct zt_st_tensor *t = need(f, name);
        if (!t) continue;
        double d = max_abs_diff(ps->p[i]->t.data, t->data, t->numel);
        CHECK_MSG(d < 1e-5, "%s differs by %g", name, d);
    }
}

/* converted: the weights come from the generator file tools/convert_pix2pix.py
 * made of the PyTorch checkpoint, read by zt_gen_load as the product does. */
static void run_parity(int backend, int converted)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pix2pix/unet_small.safetensors", zt_test_datadir());
    struct zt_st_file f;
    CHECK_OK(zt_st_load(path, &f));
    struct zt_unet_cfg uc;
    zt_unet_cfg_default(&uc, 5, 3, 6);
    uc.ngf = 2;
    struct zt_unet u;
    if (converted) {
        char cp[4096];
        snprintf(cp, sizeof cp, "%s/pix2pix/unet_small_converted.safetensors", zt_test_datadir());
        struct zt_gen_info gi;
        CHECK_OK(zt_gen_load(cp, &u, &gi));
        CHECK(gi.g.in_nc == 5 && gi.g.num_downs == 6 && gi.g.ngf == 2 && gi.g.use_dropout &&
              gi.g.norm == ZT_NORM_BATCH && gi.size == 64);
    } else {
        CHECK_OK(zt_unet_init(&u, &uc));
        CHECK_OK(zt_ckpt_load(&u.params, &f, "w:", 1, NULL));
    }
    struct zt_engine_opts eo = {.backend = backend, .nthreads = 2, .seed = 1};
    struct zt_engine *e = zt_engine_new(&eo);
    struct zt_graph *g = zt_graph_new(e, 0, 0);
    const struct zt_st_tensor *x = need(&f, "x"), *ye = need(&f, "y_eval"),
                              *yt = need(&f, "y_train");
    if (!x || !ye || !yt || !e || !g) goto out;

    zt_graph_begin(g, 0); /* eval: running statistics, no dropout */
    struct zt_tensor *in = zt_graph_input(g, 4, x->shape, x->data, 0);
    struct zt_tensor *y = zt_unet_forward(&u, g, in);
    CHECK_OK(zt_graph_status(g));
    if (y) CHECK_NEAR(max_abs_diff(y->data, ye->data, ye->numel), 0, 1e-4);

    /* train mode: batch statistics, the golden's dropout masks */
    zt_graph_begin(g, ZT_GRAPH_TRAIN);
    int masks = 0;
    for (int l = 0; l < uc.num_downs; l++) {
        if (!u.lv[l].dropout) continue;
        char name[256];
        snprintf(name, sizeof name, "mask:%s7", u.lv[l].prefix);
        const struct zt_st_tensor *m = need(&f, name);
        if (!m) continue;
        u.lv[l].drop_mask = zt_graph_wrap(g, 4, m->shape, m->data, 0);
        masks++;
    }
    CHECK_EQ_INT(masks, 1);
    in = zt_graph_input(g, 4, x->shape, x->data, 0);
    y = zt_unet_forward(&u, g, in);
    CHECK_OK(zt_graph_status(g));
    if (y) CHECK_NEAR(max_abs_diff(y->data, yt->data, yt->numel), 0, 1e-4);
    check_buffers(&u.params, &f);
out:
    zt_graph_free(g);
    zt_engine_free(e);
    zt_unet_deinit(&u);
    zt_st_free(&f);
}

TEST(pix2pix, unet_parity_ref) { run_parity(ZT_BACKEND_REF, 0); }
TEST(pix2pix, unet_parity_cpu) { run_parity(ZT_BACKEND_CPU, 0); }
/* an official checkpoint converted by tools/convert_pix2pix.py: both test-time modes */
TEST(pix2pix, converted_checkpoint_parity) { run_parity(ZT_BACKEND_CPU, 1); }

TEST(pix2pix, patchgan_parity)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pix2pix/patchgan_small.safetensors", zt_test_datadir());
    struct zt_st_file f;
    CHECK_OK(zt_st_load(path, &f));
    struct zt_patchgan_cfg dc;
    zt_patchgan_cfg_default(&dc, 8);
    dc.ndf = 8;
    struct zt_patchgan d;
    CHECK_OK(zt_patchgan_init(&d, &dc));
    CHECK_OK(zt_ckpt_load(&d.params, &f, "w:", 1, NULL));
    struct zt_engine *e = zt_engine_new(NULL);
    struct zt_graph *g = zt_graph_new(e, 0, 0);
    const struct zt_st_tensor *x = need(&f, "x"), *ye = need(&f, "y_eval"),
                              *yt = need(&f, "y_train");
    if (x && ye && yt && e && g) {
        zt_graph_begin(g, 0);
        struct zt_tensor *y = zt_patchgan_forward(&d, g, zt_graph_input(g, 4, x->shape, x->data, 0));
        CHECK(y && y->shape[1] == 1 && y->shape[2] == ye->shape[2]);
        if (y) CHECK_NEAR(max_abs_diff(y->data, ye->data, ye->numel), 0, 1e-4);
        zt_graph_begin(g, ZT_GRAPH_TRAIN);
        y = zt_patchgan_forward(&d, g, zt_graph_input(g, 4, x->shape, x->data, 0));
        if (y) CHECK_NEAR(max_abs_diff(y->data, yt->data, yt->numel), 0, 1e-4);
        check_buffers(&d.params, &f);
    }
    zt_graph_free(g);
    zt_engine_free(e);
    zt_patchgan_deinit(&d);
    zt_st_free(&f);
}

TEST(pix2pix, ckpt_roundtrip_and_errors)
{
    struct zt_patchgan_cfg dc;
    zt_patchgan_cfg_default(&dc, 4);
    dc.ndf = 4;
    struct zt_patchgan a, b;
    CHECK_OK(zt_patchgan_init(&a, &dc));
    CHECK_OK(zt_patchgan_init(&b, &dc));
    for (int i = 0; i < a.params.n; i++) {
        struct zt_tensor *t = &a.params.p[i]->t;
        for (int64_t k = 0; k < zt_tensor_numel(t); k++) t->data[k] = (float)(i * 0.5 + k * 0.25);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/pg.safetensors", zt_test_tmpdir());
    const char *meta[] = {"arch", "patchgan", NULL};
    CHECK_OK(zt_ckpt_save_file(path, &a.params, ZT_DTYPE_F32, meta));
    CHECK_OK(zt_ckpt_load_file(path, &b.params, NULL, 1));
    for (int i = 0; i < a.params.n; i++) {
        struct zt_tensor *ta = &a.params.p[i]->t, *tb = &b.params.p[i]->t;
        CHECK(memcmp(ta->data, tb->data, (size_t)zt_tensor_numel(ta) * sizeof(float)) == 0);
    }
    /* another architecture: clear error, nothing changed */
    struct zt_patchgan c;
    dc.ndf = 8;
    CHECK_OK(zt_patchgan_init(&c, &dc));
    float before = c.params.p[0]->t.data[0];
    CHECK_RC(zt_ckpt_load_file(path, &c.params, NULL, 1), ZT_EFORMAT);
    CHECK(strstr(zt_errmsg(), "shape mismatch") != NULL);
    CHECK(c.params.p[0]->t.data[0] == before);
    zt_patchgan_deinit(&a);
    zt_patchgan_deinit(&b);
    zt_patchgan_deinit(&c);
}

/* --- one whole training step against PyTorch (step_small.safetensors) --- */

static void step_cfg(struct zt_p2p_cfg *c)
{
    zt_p2p_cfg_default(c, 5, 5, 2);
    c->g.use_dropout = 0;
    c->d.ndf = 4;
}

static double rel_err(const float *a, const float *b, int64_t n)
{
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        num += (a[i] - b[i]) * (double)(a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

TEST(pix2pix, training_step_matches_pytorch)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pix2pix/step_small.safetensors", zt_test_datadir());
    struct zt_st_file f;
    CHECK_OK(zt_st_load(path, &f));
    struct zt_p2p_cfg c;
    step_cfg(&c);
    struct zt_p2p m;
    CHECK_OK(zt_p2p_init(&m, &c, 2, 1));
    CHECK_OK(zt_ckpt_load(&m.G.params, &f, "G:", 1, NULL));
    CHECK_OK(zt_ckpt_load(&m.D.params, &f, "D:", 1, NULL));
    const struct zt_st_tensor *A = need(&f, "A"), *B = need(&f, "B"), *L = need(&f, "losses");
    if (!A || !B || !L) goto out;
    struct zt_p2p_losses l;
    CHECK_OK(zt_p2p_step(&m, A->data, B->data, 2, 32, 0, &l));
    CHECK_NEAR(l.g_gan, L->data[0], 1e-4 * fabs(L->data[0]) + 1e-6);
    CHECK_NEAR(l.g_l1, L->data[1], 1e-4 * fabs(L->data[1]) + 1e-6);
    CHECK_NEAR(l.d_real, L->data[2], 1e-4 * fabs(L->data[2]) + 1e-6);
    CHECK_NEAR(l.d_fake, L->data[3], 1e-4 * fabs(L->data[3]) + 1e-6);
    /* updated weights (and BN running statistics) after both Adam steps */
    struct zt_params *lists[2] = {&m.G.params, &m.D.params};
    const char *pre[2] = {"G1:", "D1:"};
    int checked = 0;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < lists[k]->n; i++) {
            struct zt_param *p = lists[k]->p[i];
            char name[512];
            snprintf(name, sizeof name, "%s%s", pre[k], p->name);
            const struct zt_st_tensor *t = need(&f, name);
            if (!t) continue;
            double d = max_abs_diff(p->t.data, t->data, t->numel);
            CHECK_MSG(d < 2e-6, "%s differs by %g", name, d);
            checked++;
        }
    CHECK(checked > 30);
out:
    zt_p2p_deinit(&m);
    zt_st_free(&f);
}

/* The same step by hand on the graph API, to look at the gradients before
 * the optimizer consumes them. */
TEST(pix2pix, training_step_gradients_match_pytorch)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pix2pix/step_small.safetensors", zt_test_datadir());
    struct zt_st_file f;
    CHECK_OK(zt_st_load(path, &f));
    struct zt_p2p_cfg c;
    step_cfg(&c);
    struct zt_unet G;
    struct zt_patchgan D;
    CHECK_OK(zt_unet_init(&G, &c.g));
    CHECK_OK(zt_patchgan_init(&D, &c.d));
    CHECK_OK(zt_ckpt_load(&G.params, &f, "G:", 1, NULL));
    CHECK_OK(zt_ckpt_load(&D.params, &f, "D:", 1, NULL));
    struct zt_engine *e = zt_engine_new(NULL);
    struct zt_graph *gg = zt_graph_new(e, 0, 0), *gd = zt_graph_new(e, 0, 0);
    const struct zt_st_tensor *A = need(&f, "A"), *B = need(&f, "B");
    if (!A || !B || !e || !gg || !gd) goto out;
    zt_graph_begin(gg, ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN);
    struct zt_tensor *a = zt_graph_input(gg, 4, A->shape, A->data, 0);
    struct zt_tensor *b = zt_graph_input(gg, 4, B->shape, B->data, 0);
    struct zt_tensor *fake = zt_unet_forward(&G, gg, a);
    CHECK(fake != NULL);
    if (!fake) goto out;
    /* D: fake.detach() and real */
    zt_graph_begin(gd, ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN);
    struct zt_tensor *ad = zt_graph_input(gd, 4, A->shape, A->data, 0);
    struct zt_tensor *fd = zt_graph_wrap(gd, 4, B->shape, fake->data, 0);
    struct zt_tensor *bd = zt_graph_input(gd, 4, B->shape, B->data, 0);
    struct zt_tensor *v1[2] = {ad, fd}, *v2[2] = {ad, bd};
    struct zt_tensor *lf = zt_bce_logits(gd, zt_patchgan_forward(&D, gd, zt_concat(gd, 2, v1)), NULL, 0);
    struct zt_tensor *lr = zt_bce_logits(gd, zt_patchgan_forward(&D, gd, zt_concat(gd, 2, v2)), NULL, 1);
    CHECK_OK(zt_graph_backward(gd, zt_axpby(gd, 0.5f, lf, 0.5f, lr)));
    int checked = 0;
    char name[512];
    for (int i = 0; i < D.params.n; i++) {
        struct zt_param *p = D.params.p[i];
        if (p->is_buffer) continue;
        snprintf(name, sizeof name, "gradD:%s", p->name);
        const struct zt_st_tensor *t = need(&f, name);
        if (!t) continue;
        double r = rel_err(p->t.grad, t->data, t->numel);
        CHECK_MSG(r < 1e-4, "%s: relative error %g", name, r);
        checked++;
    }
    /* G: D frozen. PyTorch's G step sees D after its Adam update; the
     * gradient check uses D's stepped weights from the golden */
    CHECK_OK(zt_ckpt_load(&D.params, &f, "D1:", 1, NULL));
    for (int i = 0; i < D.params.n; i++) D.params.p[i]->t.requires_grad = 0;
    struct zt_tensor *v3[2] = {a, fake};
    struct zt_tensor *lg = zt_bce_logits(gg, zt_patchgan_forward(&D, gg, zt_concat(gg, 2, v3)), NULL, 1);
    struct zt_tensor *l1 = zt_l1_loss(gg, fake, b);
    CHECK_OK(zt_graph_backward(gg, zt_axpby(gg, 1.0f, lg, 100.0f, l1)));
    for (int i = 0; i < G.params.n; i++) {
        struct zt_param *p = G.params.p[i];
        if (p->is_buffer) continue;
        snprintf(name, sizeof name, "gradG:%s", p->name);
        const struct zt_st_tensor *t = need(&f, name);
        if (!t) continue;
        double r = rel_err(p->t.grad, t->data, t->numel);
        CHECK_MSG(r < 1e-4, "%s: relative error %g", name, r);
        checked++;
    }
    CHECK(checked > 20);
out:
    zt_graph_free(gg);
    zt_graph_free(gd);
    zt_engine_free(e);
    zt_unet_deinit(&G);
    zt_patchgan_deinit(&D);
    zt_st_free(&f);
}

/* The resize-conv warm start: each up level's 3x3 kernel after a nearest x2
 * gives, on a locally constant input, the mean of the 4x4 transposed
 * kernel's four sub-pixel phases; every other tensor is copied as is. */
TEST(pix2pix, resize_from_deconv_keeps_the_phase_mean)
{
    struct zt_unet_cfg dc, rc;
    zt_unet_cfg_default(&dc, 5, 3, 5);
    dc.ngf = 2;
    rc = dc;
    rc.upsample = ZT_UP_RESIZE;
    struct zt_unet du, ru;
    CHECK_OK(zt_unet_init(&du, &dc));
    CHECK_OK(zt_unet_init(&ru, &rc));
    struct zt_rng r;
    zt_rng_seed(&r, 3);
    for (int i = 0; i < du.params.n; i++) {
        struct zt_tensor *t = &du.params.p[i]->t;
        for (int64_t k = 0; k < zt_tensor_numel(t); k++) t->data[k] = (float)(zt_rng_double(&r) - 0.5);
    }
    CHECK_OK(zt_unet_resize_from_deconv(&ru, &du));
    CHECK_RC(zt_unet_resize_from_deconv(&du, &ru), ZT_EINVAL); /* wrong direction */
    int checked = 0;
    for (int i = 0; i < du.params.n; i++) {
        const struct zt_tensor *a = &du.params.p[i]->t, *b = &ru.params.p[i]->t;
        if (a->ndim == 4 && a->shape[2] == 4 && b->shape[2] == 3 && strstr(du.params.p[i]->name, "weight") &&
            zt_tensor_numel(a) != zt_tensor_numel(b))
            continue; /* an up kernel: checked below */
        CHECK(zt_tensor_numel(a) == zt_tensor_numel(b));
        CHECK(!memcmp(a->data, b->data, sizeof(float) * (size_t)zt_tensor_numel(a)));
    }
    struct zt_engine_opts eo = {.backend = ZT_BACKEND_REF, .nthreads = 1, .seed = 1};
    struct zt_engine *e = zt_engine_new(&eo);
    struct zt_graph *g = zt_graph_new(e, 0, 0);
    CHECK(e && g);
    for (int l = 0; l < dc.num_downs && g; l++) {
        struct zt_unet_level *D = &du.lv[l], *R = &ru.lv[l];
        if (!D->up_w || !R->up_w) continue;
        int64_t cin = D->up_w->shape[0];
        CHECK(R->up_w->shape[1] == cin && R->up_w->shape[2] == 3);
        enum { H = 6 };
        float *xs = malloc(sizeof(float) * (size_t)cin * H * H);
        for (int64_t c = 0; c < cin; c++) /* one constant value per channel */
            for (int k = 0; k < H * H; k++) xs[c * H * H + k] = (float)(c % 3) - 0.7f;
        zt_graph_begin(g, 0);
        const int64_t shape[4] = {1, cin, H, H};
        struct zt_tensor *x = zt_graph_input(g, 4, shape, xs, 0);
        const struct zt_conv_args dec = {.stride = {2, 2}, .pad = {1, 1}}, same = {.pad = {1, 1}};
        struct zt_tensor *yd = zt_conv_transpose2d(g, x, D->up_w, NULL, &dec);
        struct zt_tensor *yr = zt_conv2d(g, zt_upsample_nearest(g, x, 2 * H, 2 * H), R->up_w, NULL, &same);
        CHECK_OK(zt_graph_status(g));
        if (yd && yr) {
            int64_t co = yd->shape[1];
            double worst = 0;
            for (int64_t c = 0; c < co; c++) /* interior 2x2 blocks, away from the zero padding */
                for (int by = 1; by < H - 1; by++)
                    for (int bx = 1; bx < H - 1; bx++) {
                        const float *pd = yd->data + c * 4 * H * H, *pr = yr->data + c * 4 * H * H;
                        double mean = 0;
                        for (int p = 0; p < 4; p++) mean += pd[(2 * by + p / 2) * 2 * H + 2 * bx + p % 2] / 4;
                        for (int p = 0; p < 4; p++) {
                            double d = fabs(pr[(2 * by + p / 2) * 2 * H + 2 * bx + p % 2] - mean);
                            if (!(d <= worst)) worst = d;
                        }
                    }
            CHECK_MSG(worst < 1e-4, "level %d: resize-conv differs from the phase mean by %g", l, worst);
            checked++;
        }
        free(xs);
    }
    CHECK_EQ_INT(checked, dc.num_downs);
    zt_graph_free(g);
    zt_engine_free(e);
    zt_unet_deinit(&du);
    zt_unet_deinit(&ru);
}

/* Runs u (eval mode) on a fixed 32x32 input with category plane cat of
 * ncat on; out gets 3 x 32 x 32. */
static void widen_forward(struct zt_unet *u, int ncat, int cat, float *out)
{
    enum { S = 32 };
    int cin = u->cfg.in_nc;
    float *xs = calloc((size_t)cin * S * S, sizeof(float));
    for (int c = 0; c < cin - ncat; c++)
        for (int k = 0; k < S * S; k++) xs[c * S * S + k] = (float)((k * 7 + c * 13) % 17) / 8.0f - 1;
    for (int k = 0; k < S * S; k++) xs[(cin - ncat + cat) * S * S + k] = 1;
    struct zt_engine_opts eo = {.backend = ZT_BACKEND_REF, .nthreads = 1, .seed = 1};
    struct zt_engine *e = zt_engine_new(&eo);
    struct zt_graph *g = zt_graph_new(e, 0, 0);
    CHECK(e && g);
    if (g) {
        zt_graph_begin(g, 0);
        const int64_t shape[4] = {1, cin, S, S};
        struct zt_tensor *y = zt_unet_forward(u, g, zt_graph_input(g, 4, shape, xs, 0));
        CHECK_OK(zt_graph_status(g));
        if (y) memcpy(out, y->data, sizeof(float) * 3 * S * S);
    }
    zt_graph_free(g);
    zt_engine_free(e);
    free(xs);
}

/* The warm start onto more category planes: a kept plane computes what it
 * did, a new plane taken from the first computes what the first did, a
 * plane from nowhere (-1) what no plane did. */
TEST(pix2pix, widen_input_keeps_the_planes_it_maps)
{
    struct zt_unet_cfg sc, dc;
    zt_unet_cfg_default(&sc, 5 + 2, 3, 5);
    sc.ngf = 2;
    sc.upsample = ZT_UP_RESIZE;
    dc = sc;
    dc.in_nc = 5 + 4;
    struct zt_unet su, du;
    CHECK_OK(zt_unet_init(&su, &sc));
    CHECK_OK(zt_unet_init(&du, &dc));
    struct zt_rng r;
    zt_rng_seed(&r, 4);
    for (int i = 0; i < su.params.n; i++) {
        if (su.params.p[i]->is_buffer) continue; /* BN statistics stay valid */
        struct zt_tensor *t = &su.params.p[i]->t;
        for (int64_t k = 0; k < zt_tensor_numel(t); k++) t->data[k] = (float)(zt_rng_double(&r) - 0.5);
    }
    const int from[9] = {0, 1, 2, 3, 4, 6, 5, 5, -1}; /* planes swapped, a copy, a blank */
    CHECK_OK(zt_unet_widen_input(&du, &su, from));
    enum { N = 3 * 32 * 32 };
    static float a[N], b[N], c[N];
    widen_forward(&su, 2, 1, a);
    widen_forward(&du, 4, 0, b);
    CHECK(!memcmp(a, b, sizeof a)); /* dst plane 0 is src plane 1 */
    widen_forward(&su, 2, 0, a);
    widen_forward(&du, 4, 1, b);
    widen_forward(&du, 4, 2, c);
    CHECK(!memcmp(a, b, sizeof a) && !memcmp(a, c, sizeof a)); /* planes 1, 2 are src plane 0 */
    widen_forward(&du, 4, 3, b);
    CHECK(memcmp(a, b, sizeof a)); /* a blank plane is none of them */
    const int bad[9] = {0, 1, 2, 3, 4, 5, 6, 7, 5}; /* src has 7 channels */
    CHECK_RC(zt_unet_widen_input(&du, &su, bad), ZT_EINVAL);
    struct zt_unet_cfg wc = dc;
    wc.ngf = 4;
    struct zt_unet wu;
    CHECK_OK(zt_unet_init(&wu, &wc));
    CHECK_RC(zt_unet_widen_input(&wu, &su, from), ZT_EINVAL); /* another width */
    zt_unet_deinit(&wu);
    zt_unet_deinit(&su);
    zt_unet_deinit(&du);
}
