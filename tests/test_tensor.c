/* test_tensor.c: tensor shapes/views, the arena, the RNG, the parameter
 * list and the graph's tape/error plumbing. */
#include "test.h"
#include "../src/core/arena.h"
#include "../src/core/engine.h"
#include "../src/core/graph.h"
#include "../src/core/ops.h"
#include "../src/core/param.h"
#include "../src/util/rng.h"
#include "../src/core/tensor.h"
#include "../src/util/zt.h"

#include <stdint.h>
#include <string.h>

TEST(tensor, shape_strides_narrow)
{
    struct zt_tensor t = {0};
    int64_t sh[4] = {2, 3, 4, 5};
    zt_tensor_set_shape(&t, 4, sh);
    CHECK_EQ_INT(zt_tensor_numel(&t), 120);
    CHECK_EQ_INT(t.stride[0], 60);
    CHECK_EQ_INT(t.stride[1], 20);
    CHECK_EQ_INT(t.stride[3], 1);
    CHECK(zt_tensor_is_contiguous(&t));
    char s[64];
    CHECK(!strcmp(zt_tensor_shape_str(&t, s, sizeof s), "(2, 3, 4, 5)"));
    float data[120];
    for (int i = 0; i < 120; i++) data[i] = (float)i;
    t.data = data;
    struct zt_tensor v;
    CHECK_OK(zt_tensor_narrow(&t, 1, 1, 2, &v));
    CHECK_EQ_INT(v.shape[1], 2);
    CHECK(!zt_tensor_is_contiguous(&v)); /* channel slice of a batch of 2 */
    CHECK_NEAR(v.data[0], 20.0, 0);
    CHECK_NEAR(v.data[v.stride[0] + 1 * v.stride[1] + 2 * v.stride[2] + 3], 60 + 40 + 10 + 3, 0);
    CHECK_OK(zt_tensor_narrow(&t, 0, 1, 1, &v));
    CHECK(zt_tensor_is_contiguous(&v)); /* one image of the batch */
    CHECK_RC(zt_tensor_narrow(&t, 2, 3, 2, &v), ZT_EINVAL);
    struct zt_tensor sc = {0};
    zt_tensor_set_shape(&sc, 0, NULL);
    CHECK_EQ_INT(zt_tensor_numel(&sc), 1);
}

TEST(tensor, arena_alignment_growth_reset_mark)
{
    struct zt_arena *a = zt_arena_new(1024, 0);
    CHECK(a != NULL);
    if (!a) return;
    char *p = zt_arena_alloc(a, 10), *q = zt_arena_alloc(a, 1);
    CHECK(((uintptr_t)p % ZT_ARENA_ALIGN) == 0 && ((uintptr_t)q % ZT_ARENA_ALIGN) == 0);
    CHECK(q - p == 64);
    memset(p, 1, 10);
    struct zt_arena_mark m = zt_arena_mark(a);
    char *big = zt_arena_alloc(a, 5000); /* forces a second block */
    CHECK(big != NULL);
    if (big) memset(big, 2, 5000);
    CHECK(zt_arena_reserved(a) > 1024);
    CHECK_EQ_INT(zt_arena_used(a), 128 + 5056);
    zt_arena_release(a, m);
    CHECK_EQ_INT(zt_arena_used(a), 128);
    CHECK_EQ_INT(zt_arena_reserved(a), 1024);
    CHECK(zt_arena_alloc(a, 3000) != NULL);
    size_t peak = zt_arena_peak(a);
    CHECK(peak >= 128 + 5056);
    zt_arena_reset(a); /* two blocks -> one block of the total */
    CHECK_EQ_INT(zt_arena_used(a), 0);
    char *r = zt_arena_alloc(a, 3000);
    CHECK(r != NULL);
    CHECK(zt_arena_reserved(a) >= 3000 + 1024);
    float *z = zt_arena_calloc(a, 64 * sizeof(float));
    CHECK(z && z[0] == 0.0f && z[63] == 0.0f);
    zt_arena_free(a);
    zt_arena_free(NULL);

    /* the cap turns into an error, not a crash */
    a = zt_arena_new(256, 1024);
    CHECK(a != NULL);
    if (!a) return;
    CHECK(zt_arena_alloc(a, 200) != NULL);
    CHECK(zt_arena_alloc(a, 700) != NULL);
    CHECK(zt_arena_alloc(a, 4096) == NULL);
    CHECK(strstr(zt_errmsg(), "cap") != NULL);
    zt_arena_free(a);
}

TEST(tensor, rng_reproducible_and_distributed)
{
    struct zt_rng a, b;
    zt_rng_seed(&a, 42);
    zt_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++) CHECK(zt_rng_u64(&a) == zt_rng_u64(&b));
    zt_rng_seed(&b, 43);
    CHECK(zt_rng_u64(&a) != zt_rng_u64(&b));
    /* known first output of xoshiro256** seeded by splitmix64(0) */
    zt_rng_seed(&a, 0);
    uint64_t first = zt_rng_u64(&a);
    zt_rng_seed(&b, 0);
    CHECK(first == zt_rng_u64(&b));
    enum { N = 20000 };
    static float x[N];
    zt_rng_fill_normal(&a, x, N, 1.0f, 0.02f);
    double s = 0, ss = 0;
    for (int i = 0; i < N; i++) s += x[i];
    double mu = s / N;
    for (int i = 0; i < N; i++) ss += (x[i] - mu) * (x[i] - mu);
    CHECK_NEAR(mu, 1.0, 0.001);
    CHECK_NEAR(sqrt(ss / N), 0.02, 0.0006);
    zt_rng_fill_uniform(&a, x, N, -2.0f, 2.0f);
    float lo = 9, hi = -9;
    s = 0;
    for (int i = 0; i < N; i++) {
        lo = fminf(lo, x[i]);
        hi = fmaxf(hi, x[i]);
        s += x[i];
    }
    CHECK(lo >= -2.0f && hi < 2.0f && lo < -1.99f && hi > 1.99f);
    CHECK_NEAR(s / N, 0.0, 0.03);
}

TEST(tensor, params_named_list)
{
    struct zt_params ps;
    zt_params_init(&ps);
    int64_t w[4] = {8, 3, 4, 4}, c[1] = {8};
    struct zt_tensor *wt = zt_params_add(&ps, "model.model.0.weight", 4, w, 0);
    struct zt_tensor *rm = zt_params_add(&ps, "model.model.1.running_mean", 1, c, 1);
    struct zt_tensor *nbt = zt_params_add(&ps, "model.model.1.num_batches_tracked", 0, NULL, 1);
    CHECK(wt && rm && nbt);
    if (!wt || !rm || !nbt) goto done;
    /* growing the list keeps earlier tensor pointers valid */
    for (int i = 0; i < 40; i++) {
        char name[32];
        snprintf(name, sizeof name, "p%d", i);
        CHECK(zt_params_add(&ps, name, 1, c, 0) != NULL);
    }
    CHECK(zt_params_get(&ps, "model.model.0.weight") == wt);
    CHECK(!strcmp(wt->name, "model.model.0.weight"));
    CHECK(wt->grad && wt->requires_grad && !rm->grad && !rm->requires_grad);
    CHECK_EQ_INT(zt_tensor_numel(nbt), 1);
    CHECK_EQ_INT(zt_params_numel(&ps), 8 * 3 * 16 + 40 * 8);
    CHECK(zt_params_add(&ps, "p3", 1, c, 0) == NULL); /* duplicate */
    CHECK(zt_params_get(&ps, "nope") == NULL);
    wt->grad[5] = 3;
    zt_params_zero_grad(&ps);
    CHECK(wt->grad[5] == 0);
done:
    zt_params_deinit(&ps);
    zt_params_deinit(&ps); /* idempotent */
}

/* A block that a release freed still counts: the next reset makes one block
 * big enough for the most the pass held at once, so a pass that releases
 * and re-grows (a GAN step's nested D pass) settles into one block. */
TEST(tensor, arena_reset_counts_released_blocks)
{
    struct zt_arena *a = zt_arena_new(1024, 0);
    CHECK(a != NULL);
    if (!a) return;
    for (int pass = 0; pass < 3; pass++) {
        zt_arena_reset(a);
        CHECK(zt_arena_alloc(a, 512) != NULL);
        struct zt_arena_mark m = zt_arena_mark(a);
        CHECK(zt_arena_alloc(a, 8000) != NULL); /* the nested pass */
        size_t held = zt_arena_reserved(a);
        zt_arena_release(a, m);
        CHECK(zt_arena_alloc(a, 4000) != NULL); /* the rest of the outer pass */
        if (pass == 0) CHECK(held > 1024);
        if (pass > 0) CHECK_EQ_INT(held, zt_arena_reserved(a)); /* no block added or freed */
    }
    CHECK(zt_arena_reserved(a) >= 512 + 8000);
    zt_arena_free(a);
}

TEST(tensor, nested_graph_shares_the_arena)
{
    struct zt_engine_opts eo = {.backend = ZT_BACKEND_REF, .nthreads = 1, .seed = 1};
    struct zt_engine *e = zt_engine_new(&eo);
    struct zt_graph *g = e ? zt_graph_new(e, 0, 0) : NULL;
    struct zt_graph *h = g ? zt_graph_new_nested(g) : NULL;
    CHECK(h != NULL);
    if (!h) goto done;
    int64_t sh[1] = {4};
    float xv[4] = {1, -2, 3, -4};
    zt_graph_begin(g, ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN);
    struct zt_tensor *x = zt_graph_input(g, 1, sh, xv, 1);
    struct zt_tensor *y = zt_relu(g, x);
    size_t used = zt_arena_used(zt_graph_arena(g));
    struct zt_arena_mark m = zt_graph_mark(g);
    zt_graph_begin(h, ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN); /* must not reset g's arena */
    CHECK(zt_graph_arena(h) == zt_graph_arena(g));
    CHECK(zt_arena_used(zt_graph_arena(g)) == used && y && y->data[2] == 3.0f);
    struct zt_tensor *hx = zt_graph_input(h, 1, sh, xv, 1);
    struct zt_tensor *hl = zt_sum(h, zt_relu(h, hx));
    CHECK_OK(zt_graph_backward(h, hl));
    CHECK(hx->grad && hx->grad[0] == 1 && hx->grad[1] == 0);
    zt_arena_release(zt_graph_arena(g), m);
    CHECK_EQ_INT(zt_arena_used(zt_graph_arena(g)), used);
    CHECK_EQ_INT(zt_graph_tape_len(g), 1); /* g's tape untouched */
    CHECK_OK(zt_graph_backward(g, zt_sum(g, y)));
    CHECK(x->grad && x->grad[0] == 1 && x->grad[1] == 0 && x->grad[2] == 1);
done:
    zt_graph_free(h);
    zt_graph_free(g);
    zt_engine_free(e);
}

TEST(tensor, graph_tape_and_sticky_errors)
{
    struct zt_engine_opts eo = {.backend = ZT_BACKEND_REF, .nthreads = 1, .seed = 1};
    struct zt_engine *e = zt_engine_new(&eo);
    struct zt_graph *g = e ? zt_graph_new(e, 0, 0) : NULL;
    CHECK(g != NULL);
    if (!g) goto done;
    int64_t sh[2] = {2, 3};
    float xv[6] = {1, -2, 3, -4, 5, -6};
    zt_graph_begin(g, ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN);
    struct zt_tensor *x = zt_graph_input(g, 2, sh, xv, 1);
    struct zt_tensor *c = zt_graph_input(g, 2, sh, xv, 0);
    struct zt_tensor *y = zt_relu(g, x);
    struct zt_tensor *yc = zt_relu(g, c); /* no grad needed: not taped */
    CHECK(y && yc);
    CHECK_EQ_INT(zt_graph_tape_len(g), 1);
    struct zt_tensor *l = zt_sum(g, y);
    CHECK(l && l->ndim == 0);
    CHECK_NEAR(l->data[0], 9.0, 0);
    CHECK_OK(zt_graph_backward(g, l));
    CHECK(x->grad && x->grad[0] == 1 && x->grad[1] == 0 && x->grad[4] == 1);
    CHECK(c->grad == NULL);

    /* a shape error fails the pass; later ops return NULL; begin clears it */
    int64_t sh2[2] = {3, 2};
    struct zt_tensor *z = zt_graph_input(g, 2, sh2, NULL, 1);
    CHECK(zt_add(g, x, z) == NULL);
    CHECK(strstr(zt_errmsg(), "do not match") != NULL);
    CHECK_RC(zt_graph_status(g), ZT_EINVAL);
    CHECK(zt_relu(g, x) == NULL);
    CHECK(zt_relu(g, NULL) == NULL);
    zt_graph_begin(g, 0);
    CHECK_OK(zt_graph_status(g));
    x = zt_graph_input(g, 2, sh, xv, 1);
    y = zt_relu(g, x);
    CHECK(y != NULL && zt_graph_tape_len(g) == 0); /* inference: no tape */
    CHECK_RC(zt_graph_backward(g, zt_sum(g, y)), ZT_EINVAL);
done:
    zt_graph_free(g);
    zt_engine_free(e);
}

TEST(tensor, graph_arena_cap_is_an_error)
{
    struct zt_engine_opts eo = {.backend = ZT_BACKEND_REF, .nthreads = 1, .seed = 1};
    struct zt_engine *e = zt_engine_new(&eo);
    struct zt_graph *g = e ? zt_graph_new(e, 4096, 65536) : NULL;
    CHECK(g != NULL);
    if (!g) goto done;
    zt_graph_begin(g, ZT_GRAPH_GRAD);
    int64_t sh[4] = {1, 4, 32, 32}; /* 16 KiB per tensor */
    struct zt_tensor *x = zt_graph_input(g, 4, sh, NULL, 1);
    for (int i = 0; i < 8 && x; i++) x = zt_relu(g, x);
    CHECK(x == NULL);
    CHECK_RC(zt_graph_status(g), ZT_ENOMEM);
done:
    zt_graph_free(g);
    zt_engine_free(e);
}

TEST(tensor, inference_release_keep_reuses_memory)
{
    struct zt_engine_opts eo = {.backend = ZT_BACKEND_REF, .nthreads = 1};
    struct zt_engine *e = zt_engine_new(&eo);
    struct zt_graph *g = e ? zt_graph_new(e, 1 << 20, 0) : NULL;
    CHECK(g != NULL);
    if (!g) goto done;
    int64_t sh[4] = {1, 4, 32, 32};
    zt_graph_begin(g, 0);
    struct zt_tensor *x = zt_graph_input(g, 4, sh, NULL, 0);
    for (int i = 0; x && i < 4096; i++) x->data[i] = (float)(i % 7) - 3;
    size_t base = zt_arena_used(zt_graph_arena(g));
    for (int step = 0; step < 50 && x; step++) {
        struct zt_arena_mark m = zt_graph_mark(g);
        struct zt_tensor *y = zt_scale(g, zt_tanh(g, zt_scale(g, x, 0.5f, 0)), 2.0f, 0.1f);
        x = zt_graph_release_keep(g, m, y);
        /* each step leaves exactly one tensor behind (header + data) */
        CHECK(zt_arena_used(zt_graph_arena(g)) <= base + (size_t)(step + 1) * (4096 * 4 + 128 + 64));
    }
    CHECK(x != NULL);
    if (x) { /* the values survived the releases: 50 times v = 2 tanh(v/2) + 0.1 */
        for (int i = 0; i < 7; i++) {
            float v = (float)(i % 7) - 3;
            for (int s = 0; s < 50; s++) v = 2.0f * tanhf(0.5f * v) + 0.1f;
            CHECK_NEAR(x->data[i], v, 1e-6);
            CHECK_NEAR(x->data[4095 - 7 + i], x->data[(4095 - 7 + i) % 7], 0); /* 4095 = 7 * 585 */
        }
        CHECK(x->shape[1] == 4 && x->ndim == 4);
    }
    /* refused with a tape */
    zt_graph_begin(g, ZT_GRAPH_GRAD);
    struct zt_arena_mark m = zt_graph_mark(g);
    x = zt_graph_input(g, 4, sh, NULL, 1);
    CHECK(zt_graph_release_keep(g, m, x) == NULL);
    CHECK_RC(zt_graph_status(g), ZT_EINVAL);
done:
    zt_graph_free(g);
    zt_engine_free(e);
}
