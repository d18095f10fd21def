/* test_p2p.c: the pix2pix step, resume and generator files. */
#include "test.h"
#include "../src/core/param.h"
#include "../src/core/tensor.h"
#include "../src/nn/generator.h"
#include "../src/nn/pix2pix_train.h"
#include "../src/nn/train_ckpt.h"
#include "../src/util/buf.h"
#include "../src/util/fs.h"
#include "../src/util/zt.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* A tiny config: 32x32, num_downs 5, ngf 4, ndf 4. */
static void tiny_cfg(struct zt_p2p_cfg *c, int in_nc)
{
    zt_p2p_cfg_default(c, in_nc, 5, 4);
    c->d.ndf = 4;
}

/* Synthetic pairs: A = a square outline, B = the square filled in a colour. */
static void synth(float *A, float *B, int n, int s, int in_nc)
{
    size_t hw = (size_t)s * s;
    for (int k = 0; k < n; k++) {
        int x0 = 4 + 3 * k, y0 = 6 + 2 * k, x1 = x0 + 14, y1 = y0 + 12;
        float *a = A + (size_t)k * in_nc * hw, *b = B + (size_t)k * 3 * hw;
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++) {
                int inside = x >= x0 && x <= x1 && y >= y0 && y <= y1;
                int edge = inside && (x == x0 || x == x1 || y == y0 || y == y1);
                a[y * s + x] = edge ? -1.0f : 1.0f;
                for (int c = 1; c < in_nc; c++) a[c * hw + y * s + x] = 0;
                b[y * s + x] = inside ? 0.8f : 1.0f;
                b[hw + y * s + x] = inside ? -0.6f : 1.0f;
                b[2 * hw + y * s + x] = inside ? -0.2f * k : 1.0f;
            }
    }
}

TEST(p2p, training_lowers_l1)
{
    enum { N = 2, S = 32, IN = 5 };
    struct zt_p2p_cfg c;
    tiny_cfg(&c, IN);
    c.lr = 1e-3;
    struct zt_p2p m;
    CHECK_OK(zt_p2p_init(&m, &c, 2, 7));
    float *A = malloc(sizeof(float) * N * IN * S * S), *B = malloc(sizeof(float) * N * 3 * S * S);
    synth(A, B, N, S, IN);
    struct zt_p2p_losses first = {0}, l = {0};
    for (int it = 0; it < 60; it++) {
        CHECK_OK(zt_p2p_step(&m, A, B, N, S, (uint64_t)it, &l));
        if (it == 0) first = l;
    }
    CHECK_MSG(l.g_l1 < 0.5f * first.g_l1, "L1 %.4f -> %.4f", first.g_l1, l.g_l1);
    CHECK(l.d_real > 0 && l.d_fake > 0 && l.g_gan > 0);
    CHECK_EQ_INT(m.steps, 60);
    free(A);
    free(B);
    zt_p2p_deinit(&m);
}

/* The chroma term: zero where nothing is hinted; with the L1 off, it alone
 * (beside the GAN) pulls the colour near a dab toward the photo's. */
TEST(p2p, chroma_term_near_hints)
{
    enum { N = 2, S = 32, IN = 5 };
    size_t hw = (size_t)S * S;
    struct zt_p2p_cfg c;
    tiny_cfg(&c, IN);
    c.lr = 1e-3;
    c.lambda_l1 = 0;
    c.lambda_chroma = 100;
    struct zt_p2p m;
    CHECK_OK(zt_p2p_init(&m, &c, 2, 7));
    float *A = malloc(sizeof(float) * N * IN * hw), *B = malloc(sizeof(float) * N * 3 * hw);
    synth(A, B, N, S, IN);
    struct zt_p2p_losses first = {0}, l = {0};
    CHECK_OK(zt_p2p_step(&m, A, B, N, S, 0, &l));
    CHECK(l.g_chroma == 0.0f); /* no hint planes: nothing to weigh */
    for (int k = 0; k < N; k++) /* a 3x3 dab of the garment's colour in each square */
        for (int y = 11 + 2 * k; y < 14 + 2 * k; y++)
            for (int x = 9 + 3 * k; x < 12 + 3 * k; x++) {
                float *a = A + (size_t)k * IN * hw;
                for (int ch = 0; ch < 3; ch++) a[(1 + ch) * hw + y * S + x] = B[(size_t)k * 3 * hw + ch * hw + y * S + x];
                a[4 * hw + y * S + x] = 1;
            }
    for (int it = 1; it < 80; it++) {
        CHECK_OK(zt_p2p_step(&m, A, B, N, S, (uint64_t)it, &l));
        if (it == 1) first = l;
    }
    CHECK_MSG(first.g_chroma > 0 && l.g_chroma < 0.5f * first.g_chroma, "chroma %.4f -> %.4f",
              first.g_chroma, l.g_chroma);
    zt_p2p_deinit(&m);
    c.lambda_chroma = 0; /* off: reported as 0 */
    CHECK_OK(zt_p2p_init(&m, &c, 2, 7));
    CHECK_OK(zt_p2p_step(&m, A, B, N, S, 0, &l));
    CHECK(l.g_chroma == 0.0f);
    free(A);
    free(B);
    zt_p2p_deinit(&m);
}

TEST(p2p, resume_replays_next_step)
{
    enum { N = 2, S = 32, IN = 9 };
    struct zt_p2p_cfg c;
    tiny_cfg(&c, IN);
    float *A = malloc(sizeof(float) * N * IN * S * S), *B = malloc(sizeof(float) * N * 3 * S * S);
    synth(A, B, N, S, IN);
    struct zt_p2p m, r;
    CHECK_OK(zt_p2p_init(&m, &c, 1, 3));
    for (int it = 0; it < 3; it++) CHECK_OK(zt_p2p_step(&m, A, B, N, S, (uint64_t)it, NULL));
    char path[4096];
    snprintf(path, sizeof path, "%s/p2p.ckpt.safetensors", zt_test_tmpdir());
    const char *meta[] = {"ztyle.epoch", "4", NULL};
    CHECK_OK(zt_p2p_save(&m, path, meta));
    struct zt_p2p_losses lm, lr;
    CHECK_OK(zt_p2p_step(&m, A, B, N, S, 3, &lm));

    CHECK_OK(zt_p2p_init(&r, &c, 1, 999)); /* other init: all of it must come from the file */
    char *mj = NULL;
    CHECK_OK(zt_p2p_load(&r, path, &mj));
    CHECK(mj && strstr(mj, "\"ztyle.epoch\":\"4\""));
    free(mj);
    CHECK_EQ_INT(r.steps, 3);
    CHECK_OK(zt_p2p_step(&r, A, B, N, S, 3, &lr));
    CHECK(lm.g_gan == lr.g_gan && lm.g_l1 == lr.g_l1 && lm.d_real == lr.d_real &&
          lm.d_fake == lr.d_fake);
    for (int i = 0; i < m.G.params.n; i++) {
        struct zt_tensor *a = &m.G.params.p[i]->t, *b = &r.G.params.p[i]->t;
        CHECK(memcmp(a->data, b->data, sizeof(float) * (size_t)zt_tensor_numel(a)) == 0);
    }
    /* a truncated checkpoint is refused and changes nothing */
    struct zt_buf buf = {0};
    CHECK_OK(zt_file_read(path, 0, &buf));
    CHECK_OK(zt_file_write_atomic(path, buf.data, buf.len / 2));
    float before = r.G.params.p[0]->t.data[0];
    CHECK(zt_p2p_load(&r, path, NULL) != ZT_OK);
    CHECK(r.G.params.p[0]->t.data[0] == before);
    zt_buf_deinit(&buf);
    free(A);
    free(B);
    zt_p2p_deinit(&m);
    zt_p2p_deinit(&r);
}

TEST(p2p, generator_file)
{
    struct zt_p2p_cfg c;
    tiny_cfg(&c, 9);
    struct zt_p2p m;
    CHECK_OK(zt_p2p_init(&m, &c, 1, 5));
    struct zt_gen_info gi = {.size = 32, .ncat = 4, .edge_method = "xdog"};
    const char *cats[] = {"top", "pants", "skirt", "hat"};
    for (int i = 0; i < 4; i++) snprintf(gi.cat[i], sizeof gi.cat[i], "%s", cats[i]);
    gi.g = c.g;
    char path[4096];
    snprintf(path, sizeof path, "%s/gen.safetensors", zt_test_tmpdir());
    CHECK_OK(zt_gen_export(&m.G, &gi, ZT_DTYPE_F16, path, NULL));
    struct zt_unet g;
    struct zt_gen_info li;
    CHECK_OK(zt_gen_load(path, &g, &li));
    CHECK(li.ncat == 4 && !strcmp(li.cat[2], "skirt") && li.size == 32 && li.g.in_nc == 9);
    CHECK(!strcmp(li.edge_method, "xdog"));
    CHECK(li.category[0] == 0); /* conditioned: no single category */
    /* f16 storage: weights within f16 rounding */
    for (int i = 0; i < g.params.n; i++) {
        struct zt_tensor *a = &m.G.params.p[i]->t, *b = zt_params_get(&g.params, m.G.params.p[i]->name);
        CHECK(b != NULL);
        if (!b) continue;
        for (int64_t k = 0; k < zt_tensor_numel(a); k++)
            CHECK_NEAR(a->data[k], b->data[k], 1e-3 * (1 + fabs(a->data[k])));
    }
    zt_unet_deinit(&g);
    /* a per-category model keeps the category it learned */
    gi.ncat = 0;
    gi.g.in_nc = 5;
    snprintf(gi.category, sizeof gi.category, "hat");
    struct zt_p2p m5;
    tiny_cfg(&c, 5);
    CHECK_OK(zt_p2p_init(&m5, &c, 1, 5));
    CHECK_OK(zt_gen_export(&m5.G, &gi, ZT_DTYPE_F32, path, NULL));
    CHECK_OK(zt_gen_load(path, &g, &li));
    CHECK(li.ncat == 0 && li.g.in_nc == 5 && !strcmp(li.category, "hat"));
    zt_unet_deinit(&g);
    zt_p2p_deinit(&m5);
    /* a training checkpoint is not a generator file */
    snprintf(path, sizeof path, "%s/train.safetensors", zt_test_tmpdir());
    CHECK_OK(zt_p2p_save(&m, path, NULL));
    CHECK_RC(zt_gen_load(path, &g, &li), ZT_EFORMAT);
    CHECK(strstr(zt_errmsg(), "not a Ztyle generator") != NULL);
    zt_p2p_deinit(&m);
}

/* --- resuming a run (train_ckpt.h) --- */

TEST(p2p, resume_check_rules)
{
    json_t *have = json_pack("{s:s, s:i, s:i, s:i, s:s, s:{s:i}}", "data", "/a/data", "epochs", 50,
                             "epochs_decay", 50, "ngf", 32, "norm", "batch", "train_set",
                             "images", 10);
    json_t *want = json_deep_copy(have);
    struct zt_resume_diff d;
    CHECK_OK(zt_train_resume_check(have, want, &d));
    CHECK(!d.new_schedule && !d.moved);
    /* the schedule and the data folder may change, and are reported */
    json_object_set_new(want, "epochs", json_integer(60));
    json_object_set_new(want, "data", json_string("/b/data"));
    json_object_del(want, "train_set");
    CHECK_OK(zt_train_resume_check(have, want, &d));
    CHECK(d.new_schedule && d.moved && d.was_epochs == 50 && d.was_decay == 50);
    CHECK(d.was_data && !strcmp(d.was_data, "/a/data"));
    /* anything that shapes the model or the samples may not */
    json_object_set_new(want, "ngf", json_integer(16));
    CHECK_RC(zt_train_resume_check(have, want, &d), ZT_EINVAL);
    CHECK(strstr(zt_errmsg(), "other settings") != NULL);
    json_object_set_new(want, "ngf", json_integer(32));
    json_object_set_new(want, "norm", json_string("instance"));
    CHECK_RC(zt_train_resume_check(have, want, &d), ZT_EINVAL);
    json_object_del(want, "norm");
    CHECK_RC(zt_train_resume_check(have, want, &d), ZT_EINVAL); /* a key gone counts too */
    /* a record without "data" counts as moved */
    json_object_del(have, "data");
    json_object_set_new(want, "norm", json_string("batch"));
    CHECK_OK(zt_train_resume_check(have, want, &d));
    CHECK(d.moved && d.was_data == NULL);
    json_decref(have);
    json_decref(want);
    /* the checkpoint must have steps left in the schedule */
    CHECK_OK(zt_train_resume_fits(3, 5, 4));
    CHECK_OK(zt_train_resume_fits(4, 0, 4)); /* finished: nothing left but not past */
    CHECK_RC(zt_train_resume_fits(4, 1, 4), ZT_EINVAL);
    CHECK_RC(zt_train_resume_fits(5, 0, 4), ZT_EINVAL);
    CHECK(strstr(zt_errmsg(), "past epoch 4") != NULL);
}

TEST(p2p, checkpoint_counters_roundtrip)
{
    struct zt_p2p_cfg c;
    tiny_cfg(&c, 5);
    struct zt_p2p m;
    CHECK_OK(zt_p2p_init(&m, &c, 1, 9));
    char out[1024], path[1200];
    snprintf(out, sizeof out, "%s/ckrun", zt_test_tmpdir());
    snprintf(path, sizeof path, "%s/ckpt", out);
    CHECK_OK(zt_mkdirs(path));
    struct zt_gen_info gi = {.g = c.g, .size = 32, .edge_method = "xdog"};
    CHECK_OK(zt_train_ckpt_save(&m, out, 3, 7, "{\"seed\": 1}", &gi, 1));
    snprintf(path, sizeof path, "%s/ckpt/gen_epoch_003.safetensors", out);
    CHECK(zt_file_exists(path));
    snprintf(path, sizeof path, "%s/ckpt/latest.safetensors", out);
    char *meta = NULL;
    CHECK_OK(zt_p2p_load(&m, path, &meta));
    int e = -1, it = -1;
    CHECK_OK(zt_train_ckpt_counters(meta, path, &e, &it));
    CHECK_EQ_INT(e, 3);
    CHECK_EQ_INT(it, 7);
    free(meta);
    /* metadata without the counters is refused, naming the file */
    CHECK_RC(zt_train_ckpt_counters("{\"ztyle.epoch\": \"3\"}", "x.safetensors", &e, &it), ZT_EFORMAT);
    CHECK(strstr(zt_errmsg(), "x.safetensors lacks") != NULL);
    CHECK_RC(zt_train_ckpt_counters(NULL, "x.safetensors", &e, &it), ZT_EFORMAT);
    zt_p2p_deinit(&m);
}
