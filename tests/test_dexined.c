/* test_dexined.c: the DexiNed and TEED edge detectors (nn/dexined, nn/teed,
 * img/edges_net) against the authors' architectures re-built in PyTorch:
 * state_dict keys and shapes, all side outputs and the fused map on three
 * input sizes (one not a multiple of 16) with the reference pre-processing,
 * the Smish op, weights loading and its errors, the drawing pipeline and
 * concurrent use. Goldens: scripts/gen_dexined_golden.py; DexiNed's 35M
 * weights are not stored but recomputed by the hash rule below. */
#include "test.h"
#include "../src/core/engine.h"
#include "../src/core/graph.h"
#include "../src/core/ops.h"
#include "../src/core/param.h"
#include "../src/img/edges.h"
#include "../src/nn/edges_net.h"
#include "../src/img/image.h"
#include "../src/nn/dexined.h"
#include "../src/nn/safetensors.h"
#include "../src/nn/teed.h"
#include "../src/util/zt.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const int SIZES[3][2] = {{32, 32}, {44, 37}, {64, 64}}; /* h, w */

static void data_path(char *out, size_t n, const char *file)
{
    snprintf(out, n, "%s/dexined/%s", zt_test_datadir(), file);
}

static int load_golden(const char *file, struct zt_st_file *f)
{
    char path[4096];
    data_path(path, sizeof path, file);
    int rc = zt_st_load(path, f);
    CHECK_MSG(rc == ZT_OK, "%s: %s", path, zt_errmsg());
    return rc;
}

/* --- the golden script's hash init (gen_dexined_golden.py: hash_init) --- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001B3ull;
    return h;
}

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void hash_init(struct zt_params *ps, float first_div)
{
    for (int k = 0; k < ps->n; k++) {
        const char *name = ps->p[k]->name;
        struct zt_tensor *t = &ps->p[k]->t;
        int64_t n = zt_tensor_numel(t);
        size_t len = strlen(name);
        uint64_t h = fnv1a(name);
        float scale = t->ndim == 4 ? (float)sqrt(6.0 / (double)(t->shape[1] * t->shape[2] *
                                                               t->shape[3]))
                                   : 0;
        /* 0 counter, 1 conv weight, 2 running_var, 3 BN weight, 4 bias / running_mean */
        int kind = len >= 19 && !strcmp(name + len - 19, "num_batches_tracked") ? 0
                   : t->ndim == 4                                               ? 1
                   : len >= 11 && !strcmp(name + len - 11, "running_var")       ? 2
                   : len >= 6 && !strcmp(name + len - 6, "weight")              ? 3
                                                                                : 4;
        int first = !strncmp(name, "block_1.conv1.", 14);
        for (int64_t i = 0; i < n; i++) {
            uint64_t u = mix(h + (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull) >> 53;
            float v = (float)((int)u - 1024) / 1024.0f, w;
            switch (kind) {
            case 0: w = 0; break;
            case 1: w = first ? v * scale / first_div : v * scale; break;
            case 2: w = 1.0f + 0.5f * v; break;
            case 3: w = 1.0f + 0.25f * v; break;
            default: w = 0.1f * v;
            }
            t->data[i] = w;
        }
    }
}

/* golden (H, W, 3) float image -> 3-channel 8-bit image */
static int golden_image(const struct zt_st_file *f, int h, int w, struct zt_image *im)
{
    char name[64];
    snprintf(name, sizeof name, "img%dx%d", h, w);
    const struct zt_st_tensor *t = zt_st_get(f, name);
    CHECK_MSG(t && t->numel == (int64_t)h * w * 3, "golden lacks %s", name);
    if (!t || zt_image_new(im, w, h, 3)) return -1;
    for (int64_t i = 0; i < t->numel; i++) im->px[i] = (uint8_t)t->data[i];
    return 0;
}

static double max_diff(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= m)) m = d; /* NaN wins */
    }
    return m;
}

/* every map of net on every golden size, and the soft map, within 1e-4 */
static void check_parity(struct zt_edgenet *net, const struct zt_st_file *f, int nsizes,
                         const char *what)
{
    int nm = zt_edgenet_nmaps(net);
    for (int s = 0; s < nsizes; s++) {
        int h = SIZES[s][0], w = SIZES[s][1];
        struct zt_image im = {0};
        if (golden_image(f, h, w, &im)) continue;
        float *maps = malloc(sizeof(float) * (size_t)nm * w * h);
        float *soft = malloc(sizeof(float) * (size_t)w * h);
        CHECK_OK(zt_edgenet_maps(net, &im, NULL, maps));
        for (int k = 0; k < nm; k++) {
            char name[64];
            snprintf(name, sizeof name, "out%d:%dx%d", k, h, w);
            const struct zt_st_tensor *t = zt_st_get(f, name);
            CHECK_MSG(t && t->numel == (int64_t)w * h, "golden lacks %s", name);
            if (!t) continue;
            double d = max_diff(maps + (size_t)k * w * h, t->data, t->numel);
            CHECK_MSG(d <= 1e-4, "%s %s: max |diff| %.3g", what, name, d);
        }
        CHECK_OK(zt_edgenet_soft(net, &im, NULL, soft));
        char name[64];
        snprintf(name, sizeof name, "soft:%dx%d", h, w);
        const struct zt_st_tensor *t = zt_st_get(f, name);
        if (t) {
            double d = max_diff(soft, t->data, t->numel);
            CHECK_MSG(d <= 1e-4, "%s %s: max |diff| %.3g", what, name, d);
        } else CHECK_MSG(0, "golden lacks %s", name);
        free(maps);
        free(soft);
        zt_image_free(&im);
    }
}

/* --- keys --- */

static void check_keys(struct zt_params *ps, const char *file)
{
    char path[4096], line[512];
    data_path(path, sizeof path, file);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f) return;
    int i = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = 0;
        char *sp = strchr(line, ' ');
        if (sp) *sp = 0;
        char have[128] = "";
        if (i < ps->n) {
            const struct zt_tensor *t = &ps->p[i]->t;
            int k = 0;
            for (int d = 0; d < t->ndim; d++)
                k += snprintf(have + k, sizeof have - (size_t)k, "%s%lld", d ? "x" : "",
                              (long long)t->shape[d]);
            CHECK_MSG(!strcmp(ps->p[i]->name, line), "%s: key %d: want %s, have %s", file, i,
                      line, ps->p[i]->name);
            CHECK_MSG(!strcmp(have, sp ? sp + 1 : ""), "%s: %s: shape %s, want %s", file, line,
                      have, sp ? sp + 1 : "");
        }
        i++;
    }
    fclose(f);
    CHECK_EQ_INT(ps->n, i);
}

TEST(dexined, state_dict_keys)
{
    struct zt_dexined *d = zt_dexined_new();
    struct zt_teed *t = zt_teed_new();
    CHECK(d && t);
    if (d) {
        check_keys(zt_dexined_params(d), "dexined_keys.txt");
        /* the authors' model: 35,215,245 parameters (BN buffers not counted) */
        int64_t n = 0;
        struct zt_params *ps = zt_dexined_params(d);
        for (int i = 0; i < ps->n; i++) {
            const char *nm = ps->p[i]->name;
            if (!strstr(nm, "running_") && !strstr(nm, "num_batches"))
                n += zt_tensor_numel(&ps->p[i]->t);
        }
        CHECK_EQ_INT(n, 35215245);
    }
    if (t) {
        check_keys(zt_teed_params(t), "teed_keys.txt");
        CHECK_EQ_INT(zt_params_numel(zt_teed_params(t)) + 0, 0); /* all buffers: no grads */
    }
    zt_dexined_free(d);
    zt_teed_free(t);
}

/* --- smish --- */

TEST(dexined, smish_op)
{
    struct zt_st_file f = {0};
    if (load_golden("smish.safetensors", &f)) return;
    const struct zt_st_tensor *x = zt_st_get(&f, "x"), *y = zt_st_get(&f, "y"),
                              *w = zt_st_get(&f, "w"), *dx = zt_st_get(&f, "dx");
    CHECK(x && y && w && dx);
    for (int be = 0; x && y && w && dx && be < 2; be++) {
        struct zt_engine_opts eo = {be, 2, 0, 0, 0};
        struct zt_engine *e = zt_engine_new(&eo);
        struct zt_graph *g = zt_graph_new(e, 0, 0);
        zt_graph_begin(g, ZT_GRAPH_GRAD);
        int64_t shape[1] = {x->numel};
        struct zt_tensor *xt = zt_graph_input(g, 1, shape, x->data, 1);
        struct zt_tensor *yt = zt_smish(g, xt);
        CHECK(yt != NULL);
        if (yt) {
            for (int64_t i = 0; i < x->numel; i++)
                CHECK_NEAR(yt->data[i], y->data[i], 1e-6 + 1e-5 * fabs(y->data[i]));
            CHECK_OK(zt_graph_backward_seed(g, yt, w->data));
            for (int64_t i = 0; i < x->numel; i++)
                CHECK_NEAR(xt->grad[i], dx->data[i], 1e-5 + 1e-4 * fabs(dx->data[i]));
            /* finite differences of the forward at a few points */
            for (int64_t i = 0; i < x->numel; i += 17) {
                double xv = x->data[i];
                if (fabs(xv) > 20) continue;
                double eps = 1e-2, fp, fm;
                int64_t one[1] = {1};
                float a = (float)(xv + eps), b = (float)(xv - eps);
                fp = zt_smish(g, zt_graph_input(g, 1, one, &a, 0))->data[0];
                fm = zt_smish(g, zt_graph_input(g, 1, one, &b, 0))->data[0];
                double num = (fp - fm) / (2 * eps) * w->data[i];
                CHECK_NEAR(xt->grad[i], num, 2e-3 + 2e-2 * fabs(num));
            }
        }
        zt_graph_free(g);
        zt_engine_free(e);
    }
    zt_st_free(&f);
}

/* --- parity --- */

TEST(dexined, dexined_parity)
{
    struct zt_st_file f = {0};
    if (load_golden("dexined_golden.safetensors", &f)) return;
    /* one thread: on a loaded 2-core machine OpenMP barriers cost more than they save */
    struct zt_engine_opts eo = {ZT_BACKEND_CPU, 1, 0, 0, 0};
    struct zt_edgenet *net = NULL;
    CHECK_OK(zt_edgenet_new(ZT_EDGE_DEXINED, &eo, &net));
    if (net) {
        hash_init(zt_edgenet_params(net), 128.0f);
        check_parity(net, &f, 3, "dexined cpu");
    }
    zt_edgenet_close(net);
    /* (the reference backend is left to TEED: DexiNed's 1 GFLOP at 32x32 in
     * plain loops takes half a minute under the sanitizers) */
    zt_st_free(&f);
}

TEST(dexined, teed_parity)
{
    struct zt_st_file f = {0};
    if (load_golden("teed_golden.safetensors", &f)) return;
    char path[4096];
    data_path(path, sizeof path, "teed_random.safetensors");
    for (int be = 0; be < 2; be++) {
        struct zt_engine_opts eo = {be, 2, 0, 0, 0};
        struct zt_edgenet *net = NULL;
        /* the converter's output of the golden's random-init .pth */
        CHECK_OK(zt_edgenet_open(ZT_EDGE_TEED, path, &eo, &net));
        if (!net) continue;
        /* and it holds exactly the hash-rule weights */
        struct zt_edgenet *ref = NULL;
        CHECK_OK(zt_edgenet_new(ZT_EDGE_TEED, NULL, &ref));
        struct zt_params *a = zt_edgenet_params(net), *b = zt_edgenet_params(ref);
        hash_init(b, 16.0f);
        CHECK_EQ_INT(a->n, b->n);
        for (int i = 0; i < a->n && i < b->n; i++)
            CHECK_MSG(!memcmp(a->p[i]->t.data, b->p[i]->t.data,
                              sizeof(float) * (size_t)zt_tensor_numel(&a->p[i]->t)),
                      "teed_random: %s differs from the hash rule", a->p[i]->name);
        zt_edgenet_close(ref);
        check_parity(net, &f, 3, be ? "teed cpu" : "teed ref");
        zt_edgenet_close(net);
    }
    zt_st_free(&f);
}

/* --- forward input checks --- */

TEST(dexined, forward_rejects_bad_input)
{
    struct zt_engine *e = zt_engine_new(NULL);
    struct zt_graph *g = zt_graph_new(e, 0, 0);
    struct zt_teed *t = zt_teed_new();
    struct zt_tensor *outs[ZT_TEED_NOUT];
    zt_graph_begin(g, 0);
    int64_t s1[4] = {1, 3, 12, 16}, s2[4] = {1, 1, 16, 16}, s3[4] = {1, 3, 16, 16};
    CHECK_RC(zt_teed_forward(t, g, zt_graph_input(g, 4, s1, NULL, 0), outs), ZT_EINVAL);
    CHECK(strstr(zt_errmsg(), "multiples of 8") != NULL);
    CHECK_RC(zt_teed_forward(t, g, zt_graph_input(g, 4, s2, NULL, 0), outs), ZT_EINVAL);
    CHECK_OK(zt_teed_forward(t, g, zt_graph_input(g, 4, s3, NULL, 0), outs));
    zt_graph_begin(g, ZT_GRAPH_GRAD);
    CHECK_RC(zt_teed_forward(t, g, zt_graph_input(g, 4, s3, NULL, 0), outs), ZT_EINVAL);
    CHECK(strstr(zt_errmsg(), "inference only") != NULL);
    struct zt_dexined *d = zt_dexined_new();
    struct zt_tensor *douts[ZT_DEXINED_NOUT];
    zt_graph_begin(g, 0);
    CHECK_RC(zt_dexined_forward(d, g, zt_graph_input(g, 4, s1, NULL, 0), douts), ZT_EINVAL);
    CHECK(strstr(zt_errmsg(), "multiples of 16") != NULL);
    zt_dexined_free(d);
    zt_teed_free(t);
    zt_graph_free(g);
    zt_engine_free(e);
}

/* --- weights files --- */

TEST(dexined, weights_errors)
{
    char path[4096], bad[4096];
    data_path(path, sizeof path, "teed_random.safetensors");
    struct zt_edgenet *net = NULL;
    CHECK_RC(zt_edgenet_open(ZT_EDGE_TEED, NULL, NULL, &net), ZT_EINVAL);
    CHECK(strstr(zt_errmsg(), "tools/convert_dexined.py") != NULL);
    CHECK(strstr(zt_errmsg(), "github.com/xavysp") != NULL);
    CHECK_RC(zt_edgenet_open(ZT_EDGE_CANNY, path, NULL, &net), ZT_EINVAL);
    snprintf(bad, sizeof bad, "%s/missing.safetensors", zt_test_tmpdir());
    CHECK_RC(zt_edgenet_open(ZT_EDGE_TEED, bad, NULL, &net), ZT_ENOTFOUND);
    /* TEED weights for DexiNed: named by the metadata */
    CHECK_RC(zt_edgenet_open(ZT_EDGE_DEXINED, path, NULL, &net), ZT_EFORMAT);
    CHECK_MSG(strstr(zt_errmsg(), "holds teed weights") != NULL, "%s", zt_errmsg());
    CHECK(net == NULL);

    struct zt_edgenet *good = NULL;
    CHECK_OK(zt_edgenet_open(ZT_EDGE_TEED, path, NULL, &good));
    if (!good) return;
    struct zt_params *ps = zt_edgenet_params(good);
    /* a file lacking one tensor, and one with an extra tensor: refused, weights unchanged */
    for (int pass = 0; pass < 2; pass++) {
        struct zt_st_writer *w = zt_st_writer_new();
        for (int i = pass == 0 ? 1 : 0; i < ps->n; i++)
            CHECK_OK(zt_st_writer_add(w, ps->p[i]->name, ZT_DTYPE_F32, ps->p[i]->t.ndim,
                                      ps->p[i]->t.shape, ps->p[i]->t.data));
        float one = 1;
        int64_t s1[1] = {1};
        if (pass == 1) CHECK_OK(zt_st_writer_add(w, "block_9.conv.weight", ZT_DTYPE_F32, 1, s1, &one));
        snprintf(bad, sizeof bad, "%s/bad%d.safetensors", zt_test_tmpdir(), pass);
        CHECK_OK(zt_st_writer_save(w, bad));
        zt_st_writer_free(w);
        struct zt_edgenet *fresh = NULL;
        CHECK_OK(zt_edgenet_new(ZT_EDGE_TEED, NULL, &fresh));
        CHECK_RC(zt_edgenet_load(fresh, bad), ZT_EFORMAT);
        CHECK_MSG(strstr(zt_errmsg(), pass ? "block_9.conv.weight" : ps->p[0]->name) != NULL,
                  "%s", zt_errmsg());
        CHECK(zt_edgenet_params(fresh)->p[1]->t.data[0] == 0.0f); /* nothing loaded */
        zt_edgenet_close(fresh);
    }
    zt_edgenet_close(good);
}

/* --- the drawing pipeline and threads --- */

static void test_photo(struct zt_image *im, int w, int h)
{
    zt_image_new(im, w, h, 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = zt_image_at(im, x, y);
            int in = x > w / 4 && x < 3 * w / 4 && y > h / 5 && y < 4 * h / 5;
            p[0] = in ? 200 : 240, p[1] = in ? 40 : 240, p[2] = in ? 60 : 235;
        }
}

TEST(dexined, teed_drawing)
{
    char path[4096];
    data_path(path, sizeof path, "teed_random.safetensors");
    struct zt_edgenet *net = NULL;
    CHECK_OK(zt_edgenet_open(ZT_EDGE_TEED, path, NULL, &net));
    if (!net) return;
    struct zt_image im = {0}, d1 = {0}, d2 = {0};
    test_photo(&im, 70, 50);
    struct zt_edge_params p;
    zt_edge_params_default(&p, ZT_EDGE_TEED);
    p.net = zt_edgenet_detector(net);
    p.soft_thresh = 0.52f; /* random weights: probabilities sit near 0.5 */
    p.mask_gate = 0, p.suppress_pad = 0;
    CHECK_OK(zt_edges_detect(&im, &p, &d1));
    float *soft = malloc(sizeof(float) * 70 * 50);
    CHECK_OK(zt_edgenet_soft(net, &im, NULL, soft));
    CHECK_OK(zt_edges_from_soft(soft, 70, 50, &p, NULL, &d2));
    CHECK(d1.w == 70 && d1.h == 50 && d1.c == 1);
    CHECK(d1.px && d2.px && !memcmp(d1.px, d2.px, 70 * 50));
    int lines = 0;
    for (int i = 0; d1.px && i < 70 * 50; i++) {
        CHECK(d1.px[i] == 0 || d1.px[i] == 255);
        lines += d1.px[i] == 0;
    }
    CHECK_MSG(lines > 0 && lines < 70 * 50 / 2, "%d line pixels", lines);
    /* a rectangle gives the same maps as the cropped image */
    int rect[4] = {5, 3, 40, 30};
    struct zt_image crop = {0};
    CHECK_OK(zt_image_new(&crop, 40, 30, 3));
    for (int y = 0; y < 30; y++) memcpy(zt_image_at(&crop, 0, y), zt_image_at(&im, 5, 3 + y), 120);
    float *s1 = malloc(sizeof(float) * 1200), *s2 = malloc(sizeof(float) * 1200);
    CHECK_OK(zt_edgenet_soft(net, &im, rect, s1));
    CHECK_OK(zt_edgenet_soft(net, &crop, NULL, s2));
    CHECK(!memcmp(s1, s2, sizeof(float) * 1200));
    free(s1);
    free(s2);
    zt_image_free(&crop);
    /* method and net must agree */
    zt_image_free(&d1);
    p.method = ZT_EDGE_DEXINED;
    CHECK_RC(zt_edges_detect(&im, &p, &d1), ZT_EINVAL);
    p.method = ZT_EDGE_TEED, p.net = NULL;
    CHECK_RC(zt_edges_detect(&im, &p, &d1), ZT_EINVAL);
    /* too large, bad rectangle */
    struct zt_image big = {0};
    CHECK_OK(zt_image_new(&big, 2049, 2048, 1));
    CHECK_RC(zt_edgenet_soft(net, &big, NULL, soft), ZT_ETOOBIG);
    int out_rect[4] = {60, 0, 20, 10};
    CHECK_RC(zt_edgenet_soft(net, &im, out_rect, soft), ZT_EINVAL);
    zt_image_free(&big);
    free(soft);
    zt_image_free(&im);
    zt_image_free(&d2);
    zt_edgenet_close(net);
}

struct thread_job {
    struct zt_edgenet *net;
    const struct zt_image *im;
    float *soft;
    int rc;
};

static void *thread_run(void *arg)
{
    struct thread_job *j = arg;
    for (int r = 0; r < 3 && !j->rc; r++) j->rc = zt_edgenet_soft(j->net, j->im, NULL, j->soft);
    return NULL;
}

TEST(dexined, concurrent_callers)
{
    char path[4096];
    data_path(path, sizeof path, "teed_random.safetensors");
    struct zt_engine_opts eo = {ZT_BACKEND_CPU, 1, 0, 0, 0};
    struct zt_edgenet *net = NULL;
    CHECK_OK(zt_edgenet_open(ZT_EDGE_TEED, path, &eo, &net));
    if (!net) return;
    struct zt_image im = {0};
    test_photo(&im, 48, 40);
    float *solo = malloc(sizeof(float) * 48 * 40);
    CHECK_OK(zt_edgenet_soft(net, &im, NULL, solo));
    pthread_t th[3];
    struct thread_job jobs[3];
    for (int i = 0; i < 3; i++) {
        jobs[i] = (struct thread_job){net, &im, malloc(sizeof(float) * 48 * 40), 0};
        pthread_create(&th[i], NULL, thread_run, &jobs[i]);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        CHECK_OK(jobs[i].rc);
        CHECK(!memcmp(jobs[i].soft, solo, sizeof(float) * 48 * 40));
        free(jobs[i].soft);
    }
    free(solo);
    zt_image_free(&im);
    zt_edgenet_close(net);
}
