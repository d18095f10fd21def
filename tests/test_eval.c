/* test_eval.c: generator evaluation (data/eval.h, `ztyle eval`) on the
 * mini dataset with tiny random generators written here: checkpoints of a
 * run, the matrix, the three report formats, and failures that fail the run. */
#include "test.h"
#include "../src/data/eval.h"
#include "../src/nn/generator.h"
#include "../src/nn/pix2pix_train.h"
#include "../src/nn/train_ckpt.h"
#include "../src/util/buf.h"
#include "../src/util/fs.h"
#include "../src/util/zt.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* A random tiny generator file (num_downs 5, ngf 4) of side size; ncat 4
 * (conditioned on the default map's categories) or 0 (per-category cat). */
static void tiny_gen(const char *path, int size, int ncat, const char *cat, uint64_t seed)
{
    static const char *cats[] = {"top", "pants", "skirt", "hat"};
    struct zt_p2p_cfg c;
    zt_p2p_cfg_default(&c, 5 + ncat, 5, 4);
    c.d.ndf = 4;
    struct zt_p2p m;
    CHECK_OK(zt_p2p_init(&m, &c, 1, seed));
    struct zt_gen_info gi = {.size = size, .ncat = ncat, .edge_method = "canny"};
    for (int i = 0; i < ncat; i++) snprintf(gi.cat[i], sizeof gi.cat[i], "%s", cats[i]);
    if (cat) snprintf(gi.category, sizeof gi.category, "%s", cat);
    gi.g = c.g;
    CHECK_OK(zt_gen_export(&m.G, &gi, ZT_DTYPE_F32, path, NULL));
    zt_p2p_deinit(&m);
}

static void mini(char *out, size_t n) { snprintf(out, n, "%s/mini", zt_test_datadir()); }

TEST(eval, run_checkpoints_reports)
{
    char run[1024], dir[1100], p1[1200], p2[1200], data[1024], html[1200];
    snprintf(run, sizeof run, "%s/evalrun", zt_test_tmpdir());
    snprintf(dir, sizeof dir, "%s/ckpt", run);
    CHECK_OK(zt_mkdirs(dir));
    snprintf(p1, sizeof p1, "%s/gen_epoch_002.safetensors", dir);
    snprintf(p2, sizeof p2, "%s/gen_epoch_001.safetensors", dir);
    tiny_gen(p1, 32, 4, NULL, 1);
    tiny_gen(p2, 32, 4, NULL, 2);
    mini(data, sizeof data);
    struct zt_eval_opts o = {.data = data, .run = run, .hints = 5, .seed = 1, .limit = -1,
                             .threads = 2, .samples = 1};
    struct zt_eval *e = NULL;
    CHECK_OK(zt_eval_run(&o, &e));
    if (!e) return;
    CHECK_EQ_INT(e->nmodels, 2);
    CHECK_EQ_INT(e->m[0].epoch, 1); /* sorted by name = by epoch */
    CHECK_EQ_INT(e->m[1].epoch, 2);
    CHECK(e->nval > 0);
    CHECK(!e->by_model);
    CHECK_EQ_INT(e->ncol, 4); /* the conditioning categories */
    CHECK(!strcmp(e->colname[3], "hat"));
    long cells = 0;
    for (int k = 0; k < e->ncat; k++)
        for (int c = 0; c < e->ncol; c++) cells += e->matn[k][c];
    CHECK_EQ_INT(cells, (long)e->nval * e->ncol); /* every image in every column */
    const struct zt_eval_agg *h = &e->m[e->best].a[0][ZT_EVAL_MAX_CAT];
    CHECK_EQ_INT(h->n, e->nval);
    CHECK(h->ssim_g / h->n > -1 && h->ssim_g / h->n <= 1);
    CHECK(h->nde > 0); /* hint pixels were compared */
    CHECK(e->nsamples > 0);
    json_t *j = zt_eval_json(e);
    CHECK(j && json_array_size(json_object_get(j, "models")) == 2);
    CHECK(json_object_get(json_object_get(j, "matrix"), "ssim_gray_by_true_category") != NULL);
    json_decref(j);
    snprintf(html, sizeof html, "%s/rep.html", zt_test_tmpdir());
    CHECK_OK(zt_eval_write_html(e, html));
    struct zt_buf b = {0};
    CHECK_OK(zt_file_read(html, 1 << 20, &b));
    CHECK(b.data && strstr((char *)b.data, "<svg") && strstr((char *)b.data, "rep.html_files/samples.png"));
    zt_buf_deinit(&b);
    snprintf(html, sizeof html, "%s/rep.html_files/samples.png", zt_test_tmpdir());
    CHECK(zt_file_exists(html));
    zt_eval_free(e);
}

TEST(eval, per_category_models_by_model)
{
    char a[1200], b[1200], data[1024];
    snprintf(a, sizeof a, "%s/gen-hat.safetensors", zt_test_tmpdir());
    snprintf(b, sizeof b, "%s/gen-pants.safetensors", zt_test_tmpdir());
    tiny_gen(a, 32, 0, "hat", 3);
    tiny_gen(b, 32, 0, "pants", 4);
    mini(data, sizeof data);
    const char *models[] = {a, b};
    struct zt_eval_opts o = {.data = data, .models = models, .nmodels = 2, .hints = 3,
                             .seed = 1, .limit = 3, .threads = 2};
    struct zt_eval *e = NULL;
    CHECK_OK(zt_eval_run(&o, &e));
    if (!e) return;
    CHECK_EQ_INT(e->nval, 3);
    CHECK(e->by_model);
    CHECK_EQ_INT(e->ncol, 2);
    CHECK(!strcmp(e->colname[0], "hat") && !strcmp(e->colname[1], "pants"));
    CHECK_EQ_INT(e->nsamples, 0); /* not asked for */
    zt_eval_free(e);
}

TEST(eval, failures_fail_the_run)
{
    char a[1200], big[1200], data[1024], none[1200];
    snprintf(a, sizeof a, "%s/gen32.safetensors", zt_test_tmpdir());
    snprintf(big, sizeof big, "%s/gen64.safetensors", zt_test_tmpdir());
    tiny_gen(a, 32, 4, NULL, 5);
    tiny_gen(big, 64, 4, NULL, 6);
    mini(data, sizeof data);
    /* models of two sizes cannot share the validation drawings */
    const char *models[] = {a, big};
    struct zt_eval_opts o = {.data = data, .models = models, .nmodels = 2, .hints = 3,
                             .seed = 1, .limit = 2, .threads = 1};
    struct zt_eval *e = (struct zt_eval *)1;
    CHECK_RC(zt_eval_run(&o, &e), ZT_EINVAL);
    CHECK(e == NULL);
    CHECK(strstr(zt_errmsg(), "evaluate them separately") != NULL);
    /* a file that is not a generator */
    snprintf(none, sizeof none, "%s/none.safetensors", zt_test_tmpdir());
    models[1] = none;
    CHECK(zt_eval_run(&o, &e) != ZT_OK);
    CHECK(e == NULL);
    /* a run without checkpoints */
    o.run = zt_test_tmpdir(), o.nmodels = 0;
    CHECK_RC(zt_eval_run(&o, &e), ZT_ENOTFOUND);
    CHECK(strstr(zt_errmsg(), "no checkpoint folder") != NULL);
}
