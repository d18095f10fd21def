/* test_gpu.c: the cuda backend (`make CUDA=1`) on a GPU against the
 * reference kernels: every op of the op table (tests/ops_cases.h) plus
 * smish, forward, gradients and in-place updates (BN running stats) within
 * 1e-3 (FP32: TF32 off); device arenas (mark/release, release_keep);
 * parameters and Adam moved to the device; a pix2pix step (transposed-conv
 * and resize U-Nets, BatchNorm and InstanceNorm) and the generator against
 * the cpu engine. Without a CUDA build or a GPU each test is SKIPPED
 * (counted apart, never passed): `make test-gpu` runs this suite.
 * ZT_GPU_TEST_BACKEND=cpu runs the same tests with the cpu engine in the
 * GPU's place: a check of the tests themselves where there is no GPU. */
#include "test.h"
#include "ops_cases.h"
#include "../src/core/backend.h" /* device_plumbing_on_host fakes a device */
#include "../src/core/engine.h"
#include "../src/core/graph.h"
#include "../src/core/ops.h"
#include "../src/core/param.h"
#include "../src/core/tensor.h"
#include "../src/img/image.h"
#include "../src/nn/generator.h"
#include "../src/nn/optim.h"
#include "../src/nn/pix2pix_train.h"
#include "../src/nn/safetensors.h"
#include "../src/util/rng.h"
#include "../src/util/zt.h"

#include <stdlib.h>
#include <string.h>

static int gpu_backend = ZT_BACKEND_CUDA; /* the backend under test */

/* A cuda engine in full FP32, or NULL after marking the test skipped. */
static struct zt_engine *gpu_engine(void)
{
    const char *be = getenv("ZT_GPU_TEST_BACKEND");
    if (be && !strcmp(be, "cpu")) {
        gpu_backend = ZT_BACKEND_CPU;
        struct zt_engine_opts o = {.backend = ZT_BACKEND_CPU, .nthreads = 2, .seed = 7};
        return zt_engine_new(&o);
    }
    if (!zt_engine_cuda_built()) {
        zt_test_skip("no CUDA backend in this build (`make CUDA=1` needs nvcc and cuDNN)");
        return NULL;
    }
    setenv("NVIDIA_TF32_OVERRIDE", "0", 1); /* cuBLAS/cuDNN: no TF32 anywhere */
    struct zt_engine_opts o = {.backend = ZT_BACKEND_CUDA, .nthreads = 1, .seed = 7};
    struct zt_engine *e = zt_engine_new(&o);
    if (!e) zt_test_skip("no GPU: %s", zt_errmsg());
    return e;
}

static int close_to(double got, double want, double tol)
{
    return fabs(got - want) <= tol + tol * fabs(want);
}

/* n floats of device tensor memory vs host want; reports the first miss. */
static void check_dev(struct zt_graph *g, const float *dev, const float *want, int64_t n,
                      double tol, const char *what, const char *name)
{
    float *h = malloc(sizeof(float) * (size_t)(n ? n : 1));
    CHECK_OK(zt_graph_read(g, dev, h, n));
    for (int64_t i = 0; i < n; i++)
        if (!close_to(h[i], want[i], tol)) {
            zt_test_fail(__FILE__, __LINE__, "%s: %s[%lld] gpu %.8g ref %.8g", name, what,
                         (long long)i, h[i], want[i]);
            break;
        }
    free(h);
}

/* --- every op: gpu vs ref --- */

static struct zt_tensor *b_smish(struct zt_graph *g, struct zt_tensor **x) { return zt_smish(g, x[0]); }

static const struct opcase extra_cases[] = {
    {"smish", 1, {{4, {2, 3, 4, 4}, INIT_WIDE, 1}}, ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN, b_smish},
};

static void gpu_vs_ref(struct zt_engine *eg, const struct opcase *c)
{
    struct zt_engine_opts ro = {.backend = ZT_BACKEND_REF, .nthreads = 1, .seed = 7};
    struct zt_engine *er = zt_engine_new(&ro);
    struct zt_graph *gr = zt_graph_new(er, 0, 0), *gg = zt_graph_new(eg, 0, 0);
    float *vals[CASE_MAX_IN] = {0};
    struct zt_tensor *xr[CASE_MAX_IN], *xg[CASE_MAX_IN];
    zt_case_inputs(c, 555, vals);
    struct zt_tensor *yr = zt_case_run(c, gr, vals, xr), *yg = zt_case_run(c, gg, vals, xg);
    CHECK_MSG(yr && yg, "%s: %s", c->name, zt_errmsg());
    if (yr && yg) {
        int64_t no = zt_tensor_numel(yr);
        float *r = malloc((size_t)no * sizeof(float));
        for (int64_t i = 0; i < no; i++) r[i] = (float)((i * 7919) % 13) / 6.0f - 1.0f;
        int grad = yr->requires_grad;
        if (grad) {
            CHECK_OK(zt_graph_backward_seed(gr, yr, r));
            CHECK_OK(zt_graph_backward_seed(gg, yg, r));
        }
        free(r);
        check_dev(gg, yg->data, yr->data, no, 1e-3, "out", c->name);
        for (int k = 0; k < c->nin; k++) {
            int64_t n = zt_tensor_numel(xr[k]);
            /* inputs updated in place (running mean/var) */
            check_dev(gg, xg[k]->data, xr[k]->data, n, 1e-3, "input after", c->name);
            if (grad && c->in[k].grad) {
                CHECK_MSG(xg[k]->grad != NULL, "%s: input %d got no gradient", c->name, k);
                if (xg[k]->grad) check_dev(gg, xg[k]->grad, xr[k]->grad, n, 1e-3, "grad", c->name);
            }
        }
    }
    for (int i = 0; i < c->nin; i++) free(vals[i]);
    zt_graph_free(gr);
    zt_graph_free(gg);
    zt_engine_free(er);
}

TEST(gpu, ops_match_ref)
{
    struct zt_engine *e = gpu_engine();
    if (!e) return;
    for (int i = 0; i < zt_op_ncases; i++) gpu_vs_ref(e, &zt_op_cases[i]);
    for (size_t i = 0; i < sizeof extra_cases / sizeof extra_cases[0]; i++)
        gpu_vs_ref(e, &extra_cases[i]);
    zt_engine_free(e);
}

/* Bigger shapes than the table's: many blocks per kernel, cuDNN's real
 * algorithms, the U-Net's resize block (nearest x2 + 3x3 conv). */
TEST(gpu, unet_blocks_match_ref)
{
    struct zt_engine *eg = gpu_engine();
    if (!eg) return;
    struct zt_engine_opts co = {.backend = ZT_BACKEND_CPU, .nthreads = 2, .seed = 7};
    struct zt_engine *ec = zt_engine_new(&co);
    struct zt_graph *gc = zt_graph_new(ec, 0, 0), *gg = zt_graph_new(eg, 0, 0);
    struct zt_rng rng;
    zt_rng_seed(&rng, 3);
    int64_t xs[4] = {2, 16, 32, 32}, ws[4] = {32, 16, 4, 4}, us[4] = {16, 32, 3, 3}, bs[1] = {32};
    float *x = malloc(sizeof(float) * 2 * 16 * 32 * 32), *w = malloc(sizeof(float) * 32 * 16 * 16);
    float *u = malloc(sizeof(float) * 16 * 32 * 9), *b = malloc(sizeof(float) * 32);
    zt_rng_fill_uniform(&rng, x, 2 * 16 * 32 * 32, -1, 1);
    zt_rng_fill_uniform(&rng, w, 32 * 16 * 16, -0.1f, 0.1f);
    zt_rng_fill_uniform(&rng, u, 16 * 32 * 9, -0.1f, 0.1f);
    zt_rng_fill_uniform(&rng, b, 32, -0.1f, 0.1f);
    struct zt_tensor *out[2] = {NULL, NULL}, *in[2][4];
    struct zt_graph *gs[2] = {gc, gg};
    const struct zt_conv_args down = {.stride = {2, 2}, .pad = {1, 1}};
    const struct zt_conv_args same = {.stride = {1, 1}, .pad = {1, 1}};
    for (int k = 0; k < 2; k++) {
        struct zt_graph *g = gs[k];
        zt_graph_begin(g, ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN);
        in[k][0] = zt_graph_input(g, 4, xs, x, 1);
        in[k][1] = zt_graph_input(g, 4, ws, w, 1);
        in[k][2] = zt_graph_input(g, 4, us, u, 1);
        in[k][3] = zt_graph_input(g, 1, bs, b, 1);
        /* down: conv 4x4 s2 + LeakyReLU + BN (2, 32, 16, 16); up: nearest x2 + conv 3x3 */
        struct zt_tensor *d = zt_leaky_relu(g, zt_conv2d(g, in[k][0], in[k][1], in[k][3], &down), 0.2f);
        d = zt_batch_norm(g, d, NULL, NULL, NULL, NULL, NULL, 0.1f, 1e-5f);
        struct zt_tensor *up = zt_upsample_nearest(g, zt_relu(g, d), 32, 32);
        struct zt_tensor *y = zt_conv2d(g, up, in[k][2], NULL, &same); /* (2, 16, 32, 32) */
        struct zt_tensor *t = zt_instance_norm(g, y, NULL, NULL, 1e-5f);
        struct zt_tensor *parts[2] = {in[k][0], zt_tanh(g, t)};
        out[k] = zt_l1_loss(g, zt_concat(g, 2, parts), zt_graph_input(g, 4, (int64_t[]){2, 32, 32, 32}, NULL, 0));
        CHECK_MSG(out[k] != NULL, "block %d: %s", k, zt_errmsg());
        if (out[k]) CHECK_OK(zt_graph_backward(g, out[k]));
    }
    if (out[0] && out[1]) {
        check_dev(gg, out[1]->data, out[0]->data, 1, 1e-3, "loss", "unet block");
        for (int i = 0; i < 4; i++)
            check_dev(gg, in[1][i]->grad, in[0][i]->grad, zt_tensor_numel(in[0][i]), 1e-3, "grad",
                      "unet block");
    }
    free(x);
    free(w);
    free(u);
    free(b);
    zt_graph_free(gc);
    zt_graph_free(gg);
    zt_engine_free(ec);
    zt_engine_free(eg);
}

/* --- device memory: arenas, parameters, Adam --- */

TEST(gpu, arena_mark_release_keep)
{
    struct zt_engine *e = gpu_engine();
    if (!e) return;
    struct zt_graph *g = zt_graph_new(e, 1 << 12, 0); /* small: several blocks */
    zt_graph_begin(g, 0);
    float v[64];
    for (int i = 0; i < 64; i++) v[i] = (float)i;
    int64_t s[1] = {64};
    struct zt_arena_mark m = zt_graph_mark(g);
    struct zt_tensor *a = zt_graph_input(g, 1, s, v, 0);
    for (int i = 0; i < 50; i++) a = zt_scale(g, a, 1.0f, 1.0f); /* 50 blocks' worth */
    struct zt_tensor *k = zt_graph_release_keep(g, m, a);
    CHECK(k != NULL);
    float want[64];
    for (int i = 0; i < 64; i++) want[i] = (float)i + 50.0f;
    if (k) check_dev(g, k->data, want, 64, 0, "kept", "release_keep");
    zt_graph_begin(g, 0); /* reset: one block, still usable */
    a = zt_graph_input(g, 1, s, v, 0);
    CHECK(a != NULL);
    if (a) check_dev(g, a->data, v, 64, 0, "after reset", "arena");
    zt_graph_free(g);
    zt_engine_free(e);
}

TEST(gpu, adam_on_device_matches_cpu)
{
    struct zt_engine *e = gpu_engine();
    if (!e) return;
    struct zt_params ph, pd;
    zt_params_init(&ph);
    zt_params_init(&pd);
    int64_t s[2] = {300, 7};
    struct zt_tensor *th = zt_params_add(&ph, "w", 2, s, 0), *td = zt_params_add(&pd, "w", 2, s, 0);
    zt_params_add(&pd, "rm", 1, s, 1); /* a buffer moves too */
    struct zt_rng r;
    zt_rng_seed(&r, 11);
    zt_rng_fill_uniform(&r, th->data, 2100, -1, 1);
    memcpy(td->data, th->data, sizeof(float) * 2100);
    struct zt_adam_opts ao = {1e-2, 0.5, 0.999, 1e-8, 1e-4};
    struct zt_optim *oh = zt_optim_adam_new(&ph, &ao, 1), *od = zt_optim_adam_new(&pd, &ao, 1);
    int dev = zt_engine_on_device(e);
    if (dev) CHECK_OK(zt_params_to_device(&pd, e));
    if (dev) CHECK_OK(zt_optim_to_device(od, e));
    float *g = malloc(sizeof(float) * 2100);
    for (int step = 0; step < 5; step++) {
        zt_rng_fill_uniform(&r, g, 2100, -1, 1);
        memcpy(th->grad, g, sizeof(float) * 2100);
        if (dev) CHECK_OK(zt_engine_dev_upload(e, td->grad, g, 2100));
        else memcpy(td->grad, g, sizeof(float) * 2100);
        zt_optim_step(oh);
        zt_optim_step(od);
    }
    CHECK_OK(zt_optim_to_host(od));
    CHECK_OK(zt_params_to_host(&pd));
    if (!dev) { /* the cpu stand-in: no device to move to */
        CHECK_RC(zt_params_to_device(&pd, e), ZT_EINVAL);
    }
    for (int i = 0; i < 2100; i++)
        if (!close_to(td->data[i], th->data[i], 1e-5)) {
            zt_test_fail(__FILE__, __LINE__, "w[%d] gpu %.8g cpu %.8g", i, td->data[i], th->data[i]);
            break;
        }
    for (int i = 0; i < 2100; i++) CHECK(td->grad[i] == 0.0f); /* zeroed by the step */
    float *m0 = zt_optim_state(od, 0, 1), *m1 = zt_optim_state(oh, 0, 1);
    CHECK(m0 && m1 && close_to(m0[5], m1[5], 1e-5));
    /* SGD has no device step */
    struct zt_sgd_opts so = {0.1, 0, 0, 0, 0};
    struct zt_optim *os = zt_optim_sgd_new(&ph, &so, 1);
    CHECK_RC(zt_optim_to_device(os, e), ZT_EINVAL); /* (and no device at all on cpu) */
    zt_optim_free(os);
    free(g);
    zt_optim_free(oh);
    zt_optim_free(od);
    zt_params_deinit(&ph);
    zt_params_deinit(&pd);
    zt_engine_free(e);
}

/* --- pix2pix and the generator: cuda engine vs cpu engine --- */

static void synth(float *A, float *B, int n, int s, int in_nc)
{
    struct zt_rng r;
    zt_rng_seed(&r, 5);
    zt_rng_fill_uniform(&r, A, (int64_t)n * in_nc * s * s, -1, 1);
    zt_rng_fill_uniform(&r, B, (int64_t)n * 3 * s * s, -1, 1);
}

static void p2p_case(int upsample, int norm)
{
    enum { N = 2, S = 32, IN = 5 };
    struct zt_p2p_cfg c;
    zt_p2p_cfg_default(&c, IN, 5, 8);
    c.d.ndf = 8;
    c.g.upsample = upsample;
    c.g.norm = c.d.norm = norm;
    struct zt_p2p mc, mg;
    CHECK_OK(zt_p2p_init_on(&mc, &c, 2, 7, ZT_BACKEND_CPU));
    int rc = zt_p2p_init_on(&mg, &c, 2, 7, gpu_backend);
    CHECK_OK(rc);
    if (rc) {
        zt_p2p_deinit(&mc);
        return;
    }
    CHECK_OK(zt_p2p_place(&mg, 1));
    float *A = malloc(sizeof(float) * N * IN * S * S), *B = malloc(sizeof(float) * N * 3 * S * S);
    synth(A, B, N, S, IN);
    struct zt_p2p_losses lc, lg;
    for (int step = 0; step < 2; step++) {
        CHECK_OK(zt_p2p_step(&mc, A, B, N, S, 100 + (uint64_t)step, &lc));
        CHECK_OK(zt_p2p_step(&mg, A, B, N, S, 100 + (uint64_t)step, &lg));
        /* step 0 sees identical weights: 1e-3; step 1 after one Adam step,
         * where a gradient of opposite sign moves a weight by 2 lr */
        double tol = step ? 2e-2 : 1e-3;
        CHECK_MSG(close_to(lg.g_l1, lc.g_l1, tol) && close_to(lg.g_gan, lc.g_gan, tol) &&
                      close_to(lg.d_real, lc.d_real, tol) && close_to(lg.d_fake, lc.d_fake, tol),
                  "up %d norm %d step %d: gpu %g %g %g %g cpu %g %g %g %g", upsample, norm, step,
                  lg.g_l1, lg.g_gan, lg.d_real, lg.d_fake, lc.g_l1, lc.g_gan, lc.d_real, lc.d_fake);
    }
    /* back on the host (as for a checkpoint): weights nearly the same */
    CHECK_OK(zt_p2p_place(&mg, 0));
    int64_t far = 0, tot = 0;
    for (int i = 0; i < mc.G.params.n; i++) {
        const struct zt_tensor *a = &mc.G.params.p[i]->t, *b = &mg.G.params.p[i]->t;
        for (int64_t j = 0; j < zt_tensor_numel(a); j++, tot++) far += fabs(a->data[j] - b->data[j]) > 1e-4;
    }
    CHECK_MSG(far * 100 <= tot, "up %d norm %d: %lld of %lld weights differ by > 1e-4", upsample,
              norm, (long long)far, (long long)tot);
    CHECK_OK(zt_p2p_place(&mg, 1)); /* and back again: training goes on */
    CHECK_OK(zt_p2p_step(&mg, A, B, N, S, 200, &lg));
    free(A);
    free(B);
    zt_p2p_deinit(&mg);
    zt_p2p_deinit(&mc);
}

TEST(gpu, p2p_step_matches_cpu)
{
    struct zt_engine *e = gpu_engine();
    if (!e) return;
    zt_engine_free(e);
    p2p_case(ZT_UP_DECONV, ZT_NORM_BATCH);
    p2p_case(ZT_UP_RESIZE, ZT_NORM_BATCH);
    p2p_case(ZT_UP_RESIZE, ZT_NORM_INSTANCE);
}

TEST(gpu, generator_matches_cpu)
{
    struct zt_engine *e = gpu_engine();
    if (!e) return;
    zt_engine_free(e);
    struct zt_p2p_cfg c;
    zt_p2p_cfg_default(&c, 5, 5, 8);
    c.g.upsample = ZT_UP_RESIZE;
    struct zt_p2p m;
    CHECK_OK(zt_p2p_init(&m, &c, 1, 3));
    char path[1024];
    snprintf(path, sizeof path, "%s/gen.safetensors", zt_test_tmpdir());
    struct zt_gen_info gi = {.g = c.g, .size = 32, .edge_method = "xdog"};
    CHECK_OK(zt_gen_export(&m.G, &gi, ZT_DTYPE_F32, path, NULL));
    zt_p2p_deinit(&m);
    struct zt_generator *gc = zt_generator_open_on(path, 1, ZT_BACKEND_CPU);
    struct zt_generator *gg = zt_generator_open_on(path, 1, gpu_backend);
    CHECK_MSG(gc && gg, "%s", zt_errmsg());
    struct zt_image edges = {0}, hrgb = {0}, hmask = {0}, oc = {0}, og = {0};
    CHECK_OK(zt_image_new(&edges, 32, 32, 1));
    CHECK_OK(zt_image_new(&hrgb, 32, 32, 3));
    CHECK_OK(zt_image_new(&hmask, 32, 32, 1));
    for (int i = 0; i < 32 * 32; i++) {
        edges.px[i] = (uint8_t)((i * 37) % 255);
        hmask.px[i] = i % 97 < 5 ? 255 : 0; /* a few hint pixels */
        for (int k = 0; k < 3; k++) hrgb.px[3 * i + k] = (uint8_t)(40 + 60 * k);
    }
    for (int mode = 0; gc && gg && mode < 2; mode++) {
        CHECK_OK(zt_generator_run(gc, &edges, &hrgb, &hmask, -1, mode, 9, &oc));
        CHECK_OK(zt_generator_run(gg, &edges, &hrgb, &hmask, -1, mode, 9, &og));
        int bad = 0;
        for (int i = 0; oc.px && og.px && i < oc.w * oc.h * oc.c; i++) bad += abs(oc.px[i] - og.px[i]) > 1;
        CHECK_MSG(bad == 0, "mode %d: %d pixels differ by more than 1", mode, bad);
        zt_image_free(&oc);
        zt_image_free(&og);
    }
    zt_image_free(&edges);
    zt_image_free(&hrgb);
    zt_image_free(&hmask);
    zt_generator_close(gc);
    zt_generator_close(gg);
}

/* --- the device plumbing, without a GPU ---
 * A reference engine whose "device memory" is host memory behind a fake
 * struct zt_devops: graphs get their device twin arena, inputs, grads and
 * seeds go through upload/zero/add, results through zt_graph_read,
 * parameters and Adam state move back and forth. Everything must match a
 * plain reference engine exactly. (Sets engine internals: backend.h.) */

struct fake_dev {
    int64_t allocs, live;
};

static void *fk_alloc(void *ctx, size_t n)
{
    struct fake_dev *f = ctx;
    f->allocs++;
    f->live++;
    return aligned_alloc(64, (n + 63) / 64 * 64 + 64);
}
static void fk_free(void *ctx, void *p)
{
    ((struct fake_dev *)ctx)->live--;
    free(p);
}
static void fk_zero_v(void *ctx, void *p, size_t n) { memset(p, 0, n); }
static int fk_copy(void *ctx, void *d, const void *s, size_t n)
{
    memcpy(d, s, n);
    return ZT_OK;
}
static int fk_zero(void *ctx, void *p, size_t n)
{
    memset(p, 0, n);
    return ZT_OK;
}
static int fk_add(void *ctx, float *d, const float *s, int64_t n)
{
    for (int64_t i = 0; i < n; i++) d[i] += s[i];
    return ZT_OK;
}
/* the same float operations as nn/optim.c and the device kernel */
static int fk_adam(void *ctx, int64_t n, float *p, float *g, float *m, float *v, const float *k)
{
    for (int64_t j = 0; j < n; j++) {
        float gj = g[j];
        if (k[6] != 0) gj = gj + k[6] * p[j];
        m[j] = m[j] * k[2] + gj * k[3];
        v[j] = v[j] * k[4] + k[5] * gj * gj;
        float denom = sqrtf(v[j]) / k[1] + k[7];
        p[j] = p[j] + (-k[0]) * (m[j] / denom);
        g[j] = 0;
    }
    return ZT_OK;
}
static int64_t fk_used(void *ctx) { return ((struct fake_dev *)ctx)->live; }

TEST(gpu, device_plumbing_on_host)
{
    struct fake_dev fd = {0, 0};
    const struct zt_devops ops = {{fk_alloc, fk_free, fk_zero_v, &fd}, fk_copy, fk_copy, fk_zero,
                                  fk_add, fk_adam, fk_used};
    struct zt_engine_opts ro = {.backend = ZT_BACKEND_REF, .nthreads = 1, .seed = 7};
    struct zt_engine *ed = zt_engine_new(&ro), *er = zt_engine_new(&ro);
    ed->dev = &ops;
    CHECK(zt_engine_on_device(ed) && !zt_engine_on_device(er));
    /* every op case: identical results through the device paths */
    for (int i = 0; i < zt_op_ncases; i++) {
        const struct opcase *c = &zt_op_cases[i];
        struct zt_graph *gd = zt_graph_new(ed, 1 << 12, 0), *gr = zt_graph_new(er, 1 << 12, 0);
        CHECK(zt_graph_on_device(gd) && !zt_graph_on_device(gr));
        float *vals[CASE_MAX_IN] = {0};
        struct zt_tensor *xd[CASE_MAX_IN], *xr[CASE_MAX_IN];
        zt_case_inputs(c, 555, vals);
        struct zt_tensor *yd = zt_case_run(c, gd, vals, xd), *yr = zt_case_run(c, gr, vals, xr);
        CHECK_MSG(yd && yr, "%s: %s", c->name, zt_errmsg());
        if (yd && yr && yr->requires_grad) {
            int64_t no = zt_tensor_numel(yr);
            float *r = malloc((size_t)no * sizeof(float));
            for (int64_t k = 0; k < no; k++) r[k] = (float)((k * 7919) % 13) / 6.0f - 1.0f;
            CHECK_OK(zt_graph_backward_seed(gd, yd, r));
            CHECK_OK(zt_graph_backward_seed(gr, yr, r));
            free(r);
            for (int k = 0; k < c->nin; k++)
                if (c->in[k].grad && xd[k]->grad)
                    check_dev(gd, xd[k]->grad, xr[k]->grad, zt_tensor_numel(xr[k]), 0, "grad", c->name);
        }
        if (yd && yr) check_dev(gd, yd->data, yr->data, zt_tensor_numel(yr), 0, "out", c->name);
        for (int k = 0; k < c->nin; k++) free(vals[k]);
        zt_graph_free(gd);
        zt_graph_free(gr);
    }
    CHECK(fd.allocs > 0);
    CHECK_EQ_INT(fd.live, 0); /* every device block went back */
    /* mark / release / release_keep / reset with the twin */
    struct zt_graph *g = zt_graph_new(ed, 1 << 12, 0);
    zt_graph_begin(g, 0);
    int64_t s[1] = {300};
    float v[300], want[300];
    for (int i = 0; i < 300; i++) v[i] = (float)i, want[i] = (float)i + 20;
    struct zt_tensor *a = zt_graph_input(g, 1, s, v, 0);
    struct zt_arena_mark m = zt_graph_mark(g);
    for (int i = 0; i < 20; i++) a = zt_scale(g, a, 1.0f, 1.0f);
    int64_t before = fd.live;
    struct zt_tensor *k = zt_graph_release_keep(g, m, a);
    CHECK(k != NULL && fd.live <= before);
    if (k) check_dev(g, k->data, want, 300, 0, "kept", "release_keep");
    zt_graph_begin(g, 0);
    CHECK_EQ_INT(fd.live, 1); /* one block after a reset */
    zt_graph_free(g);
    /* parameters and Adam: moved there and back, stepped there */
    struct zt_params pd, ph;
    zt_params_init(&pd);
    zt_params_init(&ph);
    int64_t ws[2] = {50, 3};
    struct zt_tensor *td = zt_params_add(&pd, "w", 2, ws, 0), *th = zt_params_add(&ph, "w", 2, ws, 0);
    zt_params_add(&pd, "rm", 1, ws, 1);
    for (int i = 0; i < 150; i++) td->data[i] = th->data[i] = 0.01f * (float)(i - 75);
    struct zt_adam_opts ao = {1e-2, 0.5, 0.999, 1e-8, 1e-3};
    struct zt_optim *od = zt_optim_adam_new(&pd, &ao, 1), *oh = zt_optim_adam_new(&ph, &ao, 1);
    CHECK_OK(zt_params_to_device(&pd, ed));
    CHECK_OK(zt_params_to_device(&pd, ed)); /* already there: nothing */
    CHECK_OK(zt_optim_to_device(od, ed));
    int64_t live = fd.live;
    CHECK_EQ_INT(live, 2 + 1 + 2); /* w data + grad, rm, Adam's two moments */
    for (int step = 0; step < 3; step++) {
        for (int i = 0; i < 150; i++) th->grad[i] = (float)((i * 31 + step) % 17) / 8.0f - 1.0f;
        CHECK_OK(zt_engine_dev_upload(ed, td->grad, th->grad, 150));
        zt_optim_step(od);
        zt_optim_step(oh);
    }
    CHECK_OK(zt_optim_to_host(od));
    CHECK_OK(zt_params_to_host(&pd));
    CHECK_EQ_INT(fd.live, 0);
    CHECK(!memcmp(td->data, th->data, sizeof(float) * 150));
    CHECK(!memcmp(zt_optim_state(od, 0, 1), zt_optim_state(oh, 0, 1), sizeof(float) * 150));
    /* freed while on the device: the device's free */
    CHECK_OK(zt_params_to_device(&pd, ed));
    CHECK_OK(zt_optim_to_device(od, ed));
    zt_optim_free(od);
    zt_params_deinit(&pd);
    CHECK_EQ_INT(fd.live, 0);
    zt_optim_free(oh);
    zt_params_deinit(&ph);
    ed->dev = NULL;
    zt_engine_free(ed);
    zt_engine_free(er);
}
