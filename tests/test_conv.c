/* test_conv.c: convolution kernels (suite "conv"): the reference against
 * PyTorch golden data, its own adjoint and finite differences; oneDNN against
 * the reference over a table of shapes; descriptor errors; primitive cache. */
#include "test.h"
#include "../src/core/conv.h"
#include "../src/util/buf.h"
#include "../src/util/fs.h"
#include "../src/util/zt.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* --- helpers --- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static float frand(void) /* uniform in [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 40) * (1.0 / (1 << 23))) * 1.0f - 1.0f;
}

static float *rand_buf(int64_t n)
{
    float *p = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) p[i] = frand();
    return p;
}

static double dot(const float *a, const float *b, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

static int64_t x_size(const struct zt_conv_desc *d) { return (int64_t)d->n * d->cin * d->h * d->w; }
static int64_t y_size(const struct zt_conv_desc *d)
{
    return (int64_t)d->n * d->cout * d->oh * d->ow;
}
static int64_t w_size(const struct zt_conv_desc *d)
{
    return (int64_t)d->cin * (d->cout / d->groups) * d->kh * d->kw;
}

/* max |a-b| / (max|b| + 1e-3): relative to the scale of the reference */
static double rel_err(const float *a, const float *b, int64_t n)
{
    double m = 0, s = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (e > m || e != e) m = e != e ? INFINITY : e;
        if (fabs(b[i]) > s) s = fabs(b[i]);
    }
    return m / (s + 1e-3);
}

static void desc_str(const struct zt_conv_desc *d, char *s, size_t n)
{
    snprintf(s, n, "%s n%d c%d->%d %dx%d k%dx%d s%dx%d p%dx%d d%dx%d g%d op%dx%d",
             d->transposed ? "convT" : "conv", d->n, d->cin, d->cout, d->h, d->w, d->kh, d->kw,
             d->sh, d->sw, d->ph, d->pw, d->dh, d->dw, d->groups, d->oph, d->opw);
}

/* square convenience constructor */
static struct zt_conv_desc mk(int tr, int n, int cin, int cout, int h, int w, int k, int s,
                              int p, int dil, int g, int op)
{
    struct zt_conv_desc d = {.n = n, .cin = cin, .h = h, .w = w, .cout = cout, .kh = k, .kw = k,
                             .sh = s, .sw = s, .ph = p, .pw = p, .dh = dil, .dw = dil,
                             .groups = g, .transposed = tr, .oph = op, .opw = op};
    return d;
}

/* --- descriptor --- */

TEST(conv, desc_sizes)
{
    struct zt_conv_desc d = mk(0, 1, 3, 64, 256, 256, 4, 2, 1, 1, 1, 0);
    CHECK_OK(zt_conv_desc_init(&d));
    CHECK_EQ_INT(d.oh, 128);
    CHECK_EQ_INT(d.ow, 128);
    d = mk(1, 1, 128, 3, 128, 128, 4, 2, 1, 1, 1, 0);
    CHECK_OK(zt_conv_desc_init(&d));
    CHECK_EQ_INT(d.oh, 256);
    /* floor: (7 + 2 - 2*(3-1) - 1) / 2 + 1 = 3 */
    d = mk(0, 1, 1, 1, 7, 7, 3, 2, 1, 2, 1, 0);
    CHECK_OK(zt_conv_desc_init(&d));
    CHECK_EQ_INT(d.oh, 3);
    /* transposed: (5-1)*3 - 2*2 + 2*(3-1) + 1 + 1 = 14 */
    d = mk(1, 1, 2, 2, 5, 5, 3, 3, 2, 2, 2, 1);
    CHECK_OK(zt_conv_desc_init(&d));
    CHECK_EQ_INT(d.oh, 14);
    /* non-square */
    d = (struct zt_conv_desc){.n = 2, .cin = 4, .h = 9, .w = 6, .cout = 6, .kh = 3, .kw = 1,
                              .sh = 2, .sw = 1, .ph = 1, .pw = 0, .dh = 1, .dw = 1, .groups = 2};
    CHECK_OK(zt_conv_desc_init(&d));
    CHECK_EQ_INT(d.oh, 5);
    CHECK_EQ_INT(d.ow, 6);
}

TEST(conv, desc_errors)
{
    struct zt_conv_desc d;
#define BAD(expr, substr)                                                                   \
    do {                                                                                    \
        d = mk(0, 1, 4, 4, 8, 8, 3, 1, 1, 1, 1, 0);                                         \
        expr;                                                                               \
        zt_clearerr();                                                                      \
        CHECK_RC(zt_conv_desc_init(&d), ZT_EINVAL);                                         \
        CHECK_MSG(strstr(zt_errmsg(), substr) != NULL, "%s: message '%s' lacks '%s'", #expr, \
                  zt_errmsg(), substr);                                                     \
    } while (0)
    BAD(d.n = 0, "must all be >= 1");
    BAD(d.cin = -1, "must all be >= 1");
    BAD(d.h = 0, "must all be >= 1");
    BAD(d.cout = 0, "must all be >= 1");
    BAD(d.kw = 0, "kernel");
    BAD(d.sh = 0, "stride");
    BAD(d.pw = -1, "padding");
    BAD(d.dh = 0, "dilation");
    BAD(d.groups = 0, "groups");
    BAD(d.groups = 3, "groups");
    BAD((d.groups = 2, d.cout = 5), "groups");
    BAD(d.oph = 1, "output_padding");
    BAD((d.h = 2, d.ph = 0), "smaller than the dilated kernel");
    BAD((d.w = 4, d.pw = 0, d.dw = 2), "smaller than the dilated kernel");
    BAD(d.transposed = 2, "transposed");
    /* transposed: output_padding < max(stride, dilation) */
    BAD((d.transposed = 1, d.sh = 2, d.oph = 2), "output_padding");
    BAD((d.transposed = 1, d.opw = 1), "output_padding");
    BAD((d.transposed = 1, d.oph = -1), "output_padding");
    BAD((d.transposed = 1, d.h = 1, d.w = 1, d.kh = d.kw = 1, d.ph = 1), "too small");
    BAD((d.h = 1 << 30, d.w = 1 << 30), "too large");
#undef BAD
    CHECK_RC(zt_conv_desc_init(NULL), ZT_EINVAL);
    /* allowed: output_padding below dilation even when not below stride */
    d = mk(1, 1, 2, 2, 4, 4, 3, 1, 0, 2, 1, 1);
    CHECK_OK(zt_conv_desc_init(&d));
    CHECK_EQ_INT(d.oh, 4 - 1 + 4 + 1 + 1);
}

/* --- reference: adjoint and finite differences --- */

/* shapes for the reference self-checks (tiny, cover every parameter) */
static const struct zt_conv_desc ref_cases[] = {
    {.n = 1, .cin = 2, .h = 5, .w = 4, .cout = 3, .kh = 3, .kw = 2, .sh = 1, .sw = 2, .ph = 1,
     .pw = 0, .dh = 1, .dw = 1, .groups = 1},
    {.n = 2, .cin = 4, .h = 7, .w = 6, .cout = 2, .kh = 3, .kw = 3, .sh = 2, .sw = 1, .ph = 2,
     .pw = 1, .dh = 2, .dw = 1, .groups = 2},
    {.n = 1, .cin = 3, .h = 4, .w = 5, .cout = 6, .kh = 2, .kw = 3, .sh = 2, .sw = 2, .ph = 1,
     .pw = 1, .dh = 1, .dw = 2, .groups = 3, .transposed = 1, .oph = 1, .opw = 0},
    {.n = 2, .cin = 4, .h = 3, .w = 3, .cout = 4, .kh = 4, .kw = 4, .sh = 2, .sw = 2, .ph = 1,
     .pw = 1, .dh = 1, .dw = 1, .groups = 4, .transposed = 1},
    {.n = 1, .cin = 2, .h = 3, .w = 4, .cout = 2, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .ph = 0,
     .pw = 2, .dh = 2, .dw = 2, .groups = 1, .transposed = 1, .oph = 1, .opw = 1},
};

TEST(conv, ref_adjoint)
{
    for (size_t ci = 0; ci < ZT_ARRAY_LEN(ref_cases); ci++) {
        struct zt_conv_desc d = ref_cases[ci];
        char name[160];
        CHECK_OK(zt_conv_desc_init(&d));
        desc_str(&d, name, sizeof name);
        int64_t nx = x_size(&d), ny = y_size(&d), nw = w_size(&d);
        float *x = rand_buf(nx), *w = rand_buf(nw), *dy = rand_buf(ny);
        float *y = rand_buf(ny), *dx = rand_buf(nx), *dw = rand_buf(nw);
        zt_conv_ref_fwd(NULL, &d, x, w, NULL, y);
        zt_conv_ref_bwd_data(NULL, &d, dy, w, dx, 0);
        zt_conv_ref_bwd_weights(NULL, &d, x, dy, dw, NULL, 0);
        double lhs = dot(y, dy, ny);
        /* <conv(x, w), dy> == <x, conv^T(dy, w)> == <w, dW(x, dy)> */
        CHECK_MSG(fabs(lhs - dot(x, dx, nx)) <= 1e-4 * (1 + fabs(lhs)), "%s: <y,dy>=%g <x,dx>=%g",
                  name, lhs, dot(x, dx, nx));
        CHECK_MSG(fabs(lhs - dot(w, dw, nw)) <= 1e-4 * (1 + fabs(lhs)), "%s: <y,dy>=%g <w,dw>=%g",
                  name, lhs, dot(w, dw, nw));
        CHECK_MSG(fabs(lhs) > 1e-3, "%s: degenerate test", name);
        free(x), free(w), free(dy), free(y), free(dx), free(dw);
    }
}

/* L(x, w, b) = <fwd(x, w, b), r>: central differences vs the backward kernels */
TEST(conv, ref_finite_diff)
{
    for (size_t ci = 0; ci < ZT_ARRAY_LEN(ref_cases); ci++) {
        struct zt_conv_desc d = ref_cases[ci];
        char name[160];
        CHECK_OK(zt_conv_desc_init(&d));
        desc_str(&d, name, sizeof name);
        int64_t nx = x_size(&d), ny = y_size(&d), nw = w_size(&d);
        float *x = rand_buf(nx), *w = rand_buf(nw), *b = rand_buf(d.cout), *r = rand_buf(ny);
        float *y = malloc(sizeof(float) * ny), *dx = malloc(sizeof(float) * nx);
        float *dw = malloc(sizeof(float) * nw), *db = malloc(sizeof(float) * d.cout);
        zt_conv_ref_bwd_data(NULL, &d, r, w, dx, 0);
        zt_conv_ref_bwd_weights(NULL, &d, x, r, dw, db, 0);
        const float eps = 0.01f;
        float *params[3] = {x, w, b}, *grads[3] = {dx, dw, db};
        int64_t sizes[3] = {nx, nw, d.cout};
        for (int p = 0; p < 3; p++)
            for (int64_t i = 0; i < sizes[p]; i += 1 + sizes[p] / 13) {
                float keep = params[p][i];
                params[p][i] = keep + eps;
                zt_conv_ref_fwd(NULL, &d, x, w, b, y);
                double lp = dot(y, r, ny);
                params[p][i] = keep - eps;
                zt_conv_ref_fwd(NULL, &d, x, w, b, y);
                double lm = dot(y, r, ny);
                params[p][i] = keep;
                double fd = (lp - lm) / (2 * eps);
                CHECK_MSG(fabs(fd - grads[p][i]) <= 2e-3 * (1 + fabs(fd)),
                          "%s: param %d[%lld]: finite diff %g, backward %g", name, p,
                          (long long)i, fd, grads[p][i]);
            }
        free(x), free(w), free(b), free(r), free(y), free(dx), free(dw), free(db);
    }
}

/* conv_transpose2d forward is conv2d backward-data with the roles swapped */
TEST(conv, ref_transpose_is_adjoint)
{
    struct zt_conv_desc c = mk(0, 2, 4, 6, 9, 8, 3, 2, 1, 1, 2, 0);
    CHECK_OK(zt_conv_desc_init(&c));
    struct zt_conv_desc t = mk(1, 2, 6, 4, c.oh, c.ow, 3, 2, 1, 1, 2, 0);
    t.oph = (c.h + 2 * c.ph - 3) % 2, t.opw = (c.w + 2 * c.pw - 3) % 2;
    CHECK_OK(zt_conv_desc_init(&t));
    CHECK_EQ_INT(t.oh, c.h);
    CHECK_EQ_INT(t.ow, c.w);
    float *w = rand_buf(w_size(&c)), *dy = rand_buf(y_size(&c));
    float *a = rand_buf(x_size(&c)), *bb = rand_buf(x_size(&c));
    zt_conv_ref_bwd_data(NULL, &c, dy, w, a, 0);
    zt_conv_ref_fwd(NULL, &t, dy, w, NULL, bb);
    CHECK(rel_err(bb, a, x_size(&c)) < 1e-6);
    /* accumulate adds */
    zt_conv_ref_bwd_data(NULL, &c, dy, w, a, 1);
    for (int64_t i = 0; i < x_size(&c); i++) bb[i] *= 2;
    CHECK(rel_err(a, bb, x_size(&c)) < 1e-6);
    free(w), free(dy), free(a), free(bb);
}

/* --- reference vs PyTorch 1.13 (tests/data/conv/make_golden.py) --- */

/* copies n bytes at *pos of f into dst; 0 or -1 when f is too short */
static int take(const struct zt_buf *f, size_t *pos, void *dst, size_t n)
{
    if (*pos + n > f->len) return -1;
    memcpy(dst, f->data + *pos, n);
    *pos += n;
    return 0;
}

TEST(conv, ref_torch_golden)
{
    char path[4096];
    struct zt_buf f = {0};
    CHECK_OK(zt_path_join(path, sizeof path, zt_test_datadir(), "conv/golden.bin"));
    CHECK_OK(zt_file_read(path, 1 << 20, &f));
    size_t pos = 0;
    int32_t ncases = 0;
    CHECK(take(&f, &pos, &ncases, 4) == 0);
    CHECK_EQ_INT(ncases, 8);
    for (int c = 0; c < ncases; c++) {
        int32_t v[17];
        if (take(&f, &pos, v, sizeof v)) break;
        struct zt_conv_desc d = {.transposed = v[0], .n = v[1], .cin = v[2], .cout = v[3],
                                 .h = v[4], .w = v[5], .kh = v[6], .kw = v[7], .sh = v[8],
                                 .sw = v[9], .ph = v[10], .pw = v[11], .dh = v[12],
                                 .dw = v[13], .groups = v[14], .oph = v[15], .opw = v[16]};
        CHECK_OK(zt_conv_desc_init(&d));
        char name[160];
        desc_str(&d, name, sizeof name);
        int64_t sz[8] = {x_size(&d), w_size(&d), d.cout, y_size(&d),
                         y_size(&d), x_size(&d), w_size(&d), d.cout};
        float *a[8]; /* x w b dy | y dx dw db (torch) */
        int short_read = 0;
        for (int i = 0; i < 8; i++) {
            a[i] = malloc(sizeof(float) * (size_t)sz[i]);
            short_read |= take(&f, &pos, a[i], sizeof(float) * (size_t)sz[i]);
        }
        if (!short_read) {
            float *y = malloc(sizeof(float) * sz[4]), *dx = malloc(sizeof(float) * sz[5]);
            float *dw = malloc(sizeof(float) * sz[6]), *db = malloc(sizeof(float) * d.cout);
            zt_conv_ref_fwd(NULL, &d, a[0], a[1], a[2], y);
            zt_conv_ref_bwd_data(NULL, &d, a[3], a[1], dx, 0);
            zt_conv_ref_bwd_weights(NULL, &d, a[0], a[3], dw, db, 0);
            const float *got[4] = {y, dx, dw, db};
            static const char *what[4] = {"y", "dx", "dw", "db"};
            for (int i = 0; i < 4; i++) {
                double e = rel_err(got[i], a[4 + i], sz[4 + i]);
                CHECK_MSG(e < 1e-5, "%s: %s differs from torch, rel err %g", name, what[i], e);
            }
            free(y), free(dx), free(dw), free(db);
        }
        for (int i = 0; i < 8; i++) free(a[i]);
    }
    CHECK_MSG(pos == f.len, "golden.bin: read %zu of %zu bytes", pos, f.len);
    zt_buf_deinit(&f);
}

/* --- oneDNN vs reference --- */

static const struct zt_conv_desc dnnl_cases[] = {
#define C(tr_, n_, ci_, co_, h_, w_, k_, s_, p_, d_, g_, op_)                                \
    {.transposed = tr_, .n = n_, .cin = ci_, .cout = co_, .h = h_, .w = w_, .kh = k_,        \
     .kw = k_, .sh = s_, .sw = s_, .ph = p_, .pw = p_, .dh = d_, .dw = d_, .groups = g_,     \
     .oph = op_, .opw = op_}
    /* tr n  cin cout h   w  k  s  p  d  g  op */
    C(0, 1, 3, 8, 9, 11, 3, 1, 1, 1, 1, 0),
    C(0, 3, 4, 6, 7, 7, 1, 2, 0, 1, 2, 0),
    C(0, 1, 8, 8, 10, 9, 4, 2, 1, 1, 4, 0),
    C(0, 3, 2, 5, 13, 12, 7, 1, 2, 1, 1, 0),
    C(0, 1, 4, 4, 11, 10, 3, 2, 2, 2, 2, 0),
    C(0, 1, 3, 16, 16, 16, 4, 2, 1, 1, 1, 0), /* unet encoder, small */
    C(0, 3, 16, 32, 5, 5, 3, 1, 0, 1, 4, 0),
    C(1, 1, 8, 4, 5, 6, 4, 2, 1, 1, 1, 0), /* unet decoder, small */
    C(1, 3, 4, 6, 4, 5, 3, 2, 1, 1, 2, 1),
    C(1, 1, 4, 4, 6, 5, 3, 1, 2, 2, 4, 1),
    C(1, 1, 2, 3, 5, 5, 7, 1, 3, 1, 1, 0),
    C(1, 1, 6, 6, 4, 4, 1, 2, 0, 1, 2, 1),
    C(1, 3, 32, 16, 3, 3, 4, 2, 1, 1, 1, 0),
    C(0, 3, 8, 6, 5, 7, 1, 1, 0, 1, 2, 0), /* pointwise: no im2col */
    C(1, 2, 6, 4, 4, 3, 1, 1, 0, 2, 1, 0),
#undef C
    /* non-square everything */
    {.n = 2, .cin = 4, .h = 9, .w = 7, .cout = 6, .kh = 3, .kw = 1, .sh = 2, .sw = 1, .ph = 1,
     .pw = 0, .dh = 1, .dw = 2, .groups = 2},
    {.n = 1, .cin = 4, .h = 5, .w = 6, .cout = 2, .kh = 4, .kw = 2, .sh = 2, .sw = 1, .ph = 1,
     .pw = 0, .dh = 1, .dw = 2, .groups = 2, .transposed = 1, .oph = 1, .opw = 0},
    /* output_padding >= stride (allowed as it is < dilation): negative right padding */
    {.n = 1, .cin = 2, .h = 4, .w = 4, .cout = 2, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .ph = 0,
     .pw = 0, .dh = 3, .dw = 3, .groups = 1, .transposed = 1, .oph = 2, .opw = 2},
};

/* compares every kernel of c against the reference on d; returns fallbacks used */
static void check_dnnl_case(struct zt_dnnl *c, const struct zt_conv_desc *d, const char *name)
{
    int64_t nx = x_size(d), ny = y_size(d), nw = w_size(d), nb = d->cout;
    float *x = rand_buf(nx), *w = rand_buf(nw), *b = rand_buf(nb), *dy = rand_buf(ny);
    float *r = rand_buf(ny), *o = rand_buf(ny); /* fwd: ref, dnnl */
    float *dx0 = rand_buf(nx), *rdx = malloc(sizeof(float) * nx), *odx = malloc(sizeof(float) * nx);
    float *dw0 = rand_buf(nw), *rdw = malloc(sizeof(float) * nw), *odw = malloc(sizeof(float) * nw);
    float *db0 = rand_buf(nb), *rdb = malloc(sizeof(float) * nb), *odb = malloc(sizeof(float) * nb);
    const double tol = 1e-4;
    double e;
    for (int bias = 0; bias < 2; bias++) {
        zt_conv_ref_fwd(NULL, d, x, w, bias ? b : NULL, r);
        zt_conv_dnnl_fwd(c, d, x, w, bias ? b : NULL, o);
        e = rel_err(o, r, ny);
        CHECK_MSG(e < tol, "%s: fwd (bias %d) rel err %g", name, bias, e);
    }
    for (int acc = 0; acc < 2; acc++) {
        memcpy(rdx, dx0, sizeof(float) * nx);
        memcpy(odx, dx0, sizeof(float) * nx);
        zt_conv_ref_bwd_data(NULL, d, dy, w, rdx, acc);
        zt_conv_dnnl_bwd_data(c, d, dy, w, odx, acc);
        e = rel_err(odx, rdx, nx);
        CHECK_MSG(e < tol, "%s: bwd_data (acc %d) rel err %g", name, acc, e);
        for (int bias = 0; bias < 2; bias++) {
            memcpy(rdw, dw0, sizeof(float) * nw);
            memcpy(odw, dw0, sizeof(float) * nw);
            memcpy(rdb, db0, sizeof(float) * nb);
            memcpy(odb, db0, sizeof(float) * nb);
            zt_conv_ref_bwd_weights(NULL, d, x, dy, rdw, bias ? rdb : NULL, acc);
            zt_conv_dnnl_bwd_weights(c, d, x, dy, odw, bias ? odb : NULL, acc);
            e = rel_err(odw, rdw, nw);
            CHECK_MSG(e < tol, "%s: bwd_weights (acc %d bias %d) dw rel err %g", name, acc, bias,
                      e);
            e = rel_err(odb, rdb, nb);
            CHECK_MSG(e < tol, "%s: bwd_weights (acc %d bias %d) db rel err %g", name, acc, bias,
                      e);
        }
    }
    free(x), free(w), free(b), free(dy), free(r), free(o);
    free(dx0), free(rdx), free(odx), free(dw0), free(rdw), free(odw), free(db0), free(rdb),
        free(odb);
}

/* every step-th case of the table (AUTO runs each kernel 7 times: slow under ASan) */
static void dnnl_vs_ref(int algo, size_t step)
{
    struct zt_dnnl *c = zt_dnnl_new(1);
    CHECK(c != NULL);
    if (!c) return;
    CHECK_OK(zt_dnnl_set_algo(c, algo));
    for (size_t i = 0; i < ZT_ARRAY_LEN(dnnl_cases); i += step) {
        struct zt_conv_desc d = dnnl_cases[i];
        char name[160];
        CHECK_OK(zt_conv_desc_init(&d));
        desc_str(&d, name, sizeof name);
        struct zt_dnnl_stats s0, s1;
        zt_dnnl_get_stats(c, &s0);
        check_dnnl_case(c, &d, name);
        zt_dnnl_get_stats(c, &s1);
        /* only the last case (negative right padding) may need the reference */
        if (i + 1 < ZT_ARRAY_LEN(dnnl_cases))
            CHECK_MSG(s1.fallbacks == s0.fallbacks,
                      "%s (algo %d): %lld calls fell back to the reference", name, algo,
                      (long long)(s1.fallbacks - s0.fallbacks));
        CHECK_EQ_INT(s1.errors, 0);
    }
    zt_dnnl_free(c);
}

TEST(conv, dnnl_vs_ref_blocked) { dnnl_vs_ref(ZT_DNNL_BLOCKED, 1); }
TEST(conv, dnnl_vs_ref_gemm) { dnnl_vs_ref(ZT_DNNL_GEMM, 1); }
TEST(conv, dnnl_vs_ref_im2col) { dnnl_vs_ref(ZT_DNNL_IM2COL, 1); }
/* AUTO runs all three on the first call: accumulating outputs must be restored
 * (cases 0, 3, .., 15: conv and transposed) */
TEST(conv, dnnl_vs_ref_auto) { dnnl_vs_ref(ZT_DNNL_AUTO, 3); }

/* two threads give the same answers, and the caller's OpenMP setting survives */
TEST(conv, dnnl_threads)
{
    struct zt_dnnl *c = zt_dnnl_new(2);
    CHECK(c != NULL);
    if (!c) return;
    CHECK_EQ_INT(zt_dnnl_nthreads(c), 2);
    int before = omp_get_max_threads();
    struct zt_conv_desc d = mk(0, 2, 8, 16, 12, 12, 3, 1, 1, 1, 1, 0);
    CHECK_OK(zt_conv_desc_init(&d));
    check_dnnl_case(c, &d, "2 threads conv");
    d = mk(1, 2, 16, 8, 6, 6, 4, 2, 1, 1, 1, 0);
    CHECK_OK(zt_conv_desc_init(&d));
    check_dnnl_case(c, &d, "2 threads convT");
    CHECK_EQ_INT(omp_get_max_threads(), before);
    struct zt_dnnl_stats s;
    zt_dnnl_get_stats(c, &s);
    CHECK_EQ_INT(s.fallbacks, 0);
    zt_dnnl_free(c);
    CHECK(zt_dnnl_new(0) == NULL);
    zt_dnnl_free(NULL);
}

/* the same desc twice -> no new primitive, no new reorder, no workspace growth */
TEST(conv, dnnl_cache)
{
    struct zt_dnnl *c = zt_dnnl_new(1);
    CHECK(c != NULL);
    if (!c) return;
    CHECK_OK(zt_dnnl_set_algo(c, ZT_DNNL_BLOCKED)); /* one primitive per key */
    struct zt_conv_desc d = mk(0, 1, 4, 8, 8, 8, 4, 2, 1, 1, 1, 0);
    CHECK_OK(zt_conv_desc_init(&d));
    float *x = rand_buf(x_size(&d)), *w = rand_buf(w_size(&d)), *b = rand_buf(d.cout);
    float *y = rand_buf(y_size(&d)), *dw = rand_buf(w_size(&d)), *db = rand_buf(d.cout);
    struct zt_dnnl_stats s0, s1, s2;
    zt_conv_dnnl_fwd(c, &d, x, w, b, y);
    zt_conv_dnnl_bwd_weights(c, &d, x, y, dw, db, 1);
    zt_dnnl_get_stats(c, &s0);
    CHECK_EQ_INT(s0.primitives_created, 2);
    CHECK_EQ_INT(s0.cache_misses, 2);
    CHECK_EQ_INT(s0.cache_hits, 0);
    CHECK(s0.workspace_bytes > 0);
    for (int i = 0; i < 3; i++) {
        struct zt_conv_desc d2 = mk(0, 1, 4, 8, 8, 8, 4, 2, 1, 1, 1, 0); /* equal, not same */
        CHECK_OK(zt_conv_desc_init(&d2));
        zt_conv_dnnl_fwd(c, &d2, x, w, b, y);
        zt_conv_dnnl_bwd_weights(c, &d2, x, y, dw, db, 1);
    }
    zt_dnnl_get_stats(c, &s1);
    CHECK_EQ_INT(s1.primitives_created, 2);
    CHECK_EQ_INT(s1.reorders_created, s0.reorders_created);
    CHECK_EQ_INT(s1.cache_hits, 6);
    CHECK_EQ_INT(s1.workspace_bytes, s0.workspace_bytes);
    /* no bias, or overwrite instead of accumulate, is another primitive */
    zt_conv_dnnl_fwd(c, &d, x, w, NULL, y);
    zt_conv_dnnl_bwd_weights(c, &d, x, y, dw, db, 0);
    zt_dnnl_get_stats(c, &s2);
    CHECK_EQ_INT(s2.primitives_created, 4);
    CHECK_EQ_INT(s2.fallbacks, 0);
    CHECK_EQ_INT(zt_dnnl_last_algo(c), ZT_DNNL_BLOCKED);
    /* AUTO: both candidates built and timed once, the loser freed; then hits */
    CHECK_OK(zt_dnnl_set_algo(c, ZT_DNNL_AUTO));
    CHECK_RC(zt_dnnl_set_algo(c, 7), ZT_EINVAL);
    CHECK_RC(zt_dnnl_set_algo(c, -1), ZT_EINVAL);
    for (int i = 0; i < 3; i++) zt_conv_dnnl_bwd_weights(c, &d, x, y, dw, db, 1);
    zt_dnnl_get_stats(c, &s1);
    CHECK_EQ_INT(s1.primitives_created, 6);
    CHECK_EQ_INT(s1.tuned, 1);
    CHECK_EQ_INT(s1.cache_hits, s2.cache_hits + 2);
    CHECK(zt_dnnl_last_algo(c) >= ZT_DNNL_BLOCKED && zt_dnnl_last_algo(c) <= ZT_DNNL_IM2COL);
    CHECK_EQ_INT(zt_dnnl_last_algo(c) == ZT_DNNL_GEMM, s1.chose_gemm);
    CHECK_EQ_INT(zt_dnnl_last_algo(c) == ZT_DNNL_IM2COL, s1.chose_im2col);
    /* after tuning the workspace is what the kept algorithm alone needs */
    int64_t ws_alone = -1;
    for (int algo = ZT_DNNL_BLOCKED; algo <= ZT_DNNL_IM2COL; algo++) {
        struct zt_dnnl *c1 = zt_dnnl_new(1);
        CHECK_OK(zt_dnnl_set_algo(c1, algo));
        zt_conv_dnnl_bwd_weights(c1, &d, x, y, dw, db, 1);
        zt_dnnl_get_stats(c1, &s2);
        if (algo == zt_dnnl_last_algo(c)) ws_alone = s2.workspace_bytes;
        zt_dnnl_free(c1);
    }
    CHECK_EQ_INT(s1.workspace_bytes, ws_alone);
    free(x), free(w), free(b), free(y), free(dw), free(db);
    zt_dnnl_free(c);
}

/* im2col kernels with reference sgemm loops (ctx NULL), against the reference */
TEST(conv, im2col_no_ctx)
{
    for (size_t i = 0; i < ZT_ARRAY_LEN(ref_cases); i++) {
        struct zt_conv_desc d = ref_cases[i];
        char name[160];
        CHECK_OK(zt_conv_desc_init(&d));
        desc_str(&d, name, sizeof name);
        int64_t nx = x_size(&d), ny = y_size(&d), nw = w_size(&d);
        float *x = rand_buf(nx), *w = rand_buf(nw), *b = rand_buf(d.cout), *dy = rand_buf(ny);
        float *col = malloc(sizeof(float) * zt_conv_gemm_col_floats(&d));
        float *r = rand_buf(ny), *o = rand_buf(ny), *rdx = rand_buf(nx);
        float *odx = malloc(sizeof(float) * nx);
        float *rdw = rand_buf(nw), *odw = malloc(sizeof(float) * nw);
        float *rdb = rand_buf(d.cout), *odb = malloc(sizeof(float) * d.cout);
        memcpy(odx, rdx, sizeof(float) * nx);
        memcpy(odw, rdw, sizeof(float) * nw);
        memcpy(odb, rdb, sizeof(float) * d.cout);
        zt_conv_ref_fwd(NULL, &d, x, w, b, r);
        zt_conv_gemm_fwd(NULL, &d, x, w, b, o, col);
        CHECK_MSG(rel_err(o, r, ny) < 1e-5, "%s: fwd", name);
        zt_conv_ref_bwd_data(NULL, &d, dy, w, rdx, 1);
        zt_conv_gemm_bwd_data(NULL, &d, dy, w, odx, 1, col);
        CHECK_MSG(rel_err(odx, rdx, nx) < 1e-5, "%s: bwd_data", name);
        zt_conv_ref_bwd_weights(NULL, &d, x, dy, rdw, rdb, 1);
        zt_conv_gemm_bwd_weights(NULL, &d, x, dy, odw, odb, 1, col);
        CHECK_MSG(rel_err(odw, rdw, nw) < 1e-5, "%s: bwd_weights dw", name);
        CHECK_MSG(rel_err(odb, rdb, d.cout) < 1e-5, "%s: bwd_weights db", name);
        free(x), free(w), free(b), free(dy), free(col), free(r), free(o), free(rdx), free(odx);
        free(rdw), free(odw), free(rdb), free(odb);
    }
}

/* --- sgemm --- */

TEST(conv, sgemm)
{
    struct zt_dnnl *c = zt_dnnl_new(2);
    CHECK(c != NULL);
    const int64_t m = 13, n = 17, k = 11, pad = 3;
    float *a = rand_buf((m + pad) * (k + pad)), *b = rand_buf((k + pad) * (n + pad));
    float *c0 = rand_buf(m * (n + pad)), *c1 = malloc(sizeof(float) * m * (n + pad));
    float *c2 = malloc(sizeof(float) * m * (n + pad));
    int64_t ldc = n + pad;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int bi = 0; bi < 3; bi++) {
                float beta = bi == 0 ? 0.0f : bi == 1 ? 1.0f : -0.5f;
                int64_t lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad;
                memcpy(c1, c0, sizeof(float) * m * ldc);
                if (beta == 0) c1[0] = NAN; /* beta 0 ignores C */
                memcpy(c2, c1, sizeof(float) * m * ldc);
                zt_sgemm(NULL, ta, tb, m, n, k, 0.75f, a, lda, b, ldb, beta, c1, ldc);
                zt_sgemm(c, ta, tb, m, n, k, 0.75f, a, lda, b, ldb, beta, c2, ldc);
                double maxe = 0;
                for (int64_t i = 0; i < m; i++)
                    for (int64_t j = 0; j < n; j++) {
                        double want = beta * (beta == 0 ? 0 : c0[i * ldc + j]);
                        for (int64_t p = 0; p < k; p++)
                            want += 0.75 * (ta ? a[p * lda + i] : a[i * lda + p]) *
                                    (tb ? b[j * ldb + p] : b[p * ldb + j]);
                        maxe = fmax(maxe, fabs(c1[i * ldc + j] - want));
                        maxe = fmax(maxe, fabs(c2[i * ldc + j] - want));
                        if (isnan(c1[i * ldc + j]) || isnan(c2[i * ldc + j])) maxe = INFINITY;
                    }
                CHECK_MSG(maxe < 1e-5, "sgemm ta %d tb %d beta %g: max err %g", ta, tb, beta,
                          maxe);
                /* the padding columns of C are untouched */
                for (int64_t i = 0; i < m; i++)
                    CHECK(c1[i * ldc + n] == c0[i * ldc + n] && c2[i * ldc + n] == c0[i * ldc + n]);
            }
    free(a), free(b), free(c0), free(c1), free(c2);
    zt_dnnl_free(c);
}
