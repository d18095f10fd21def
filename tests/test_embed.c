/* test_embed.c: doodle renderer, search embedding (loss gradients, files,
 * learning) and its use in ingest and search (understood category). */
#include "test.h"
#include "../src/catalog/embed_train.h"
#include "../src/catalog/index.h"
#include "../src/catalog/index_store.h"
#include "../src/core/tensor.h"
#include "../src/catalog/ingest.h"
#include "../src/catalog/search.h"
#include "../src/catalog/store.h"
#include "../src/util/rng.h"
#include "../src/data/doodle.h"
#include "../src/data/dataset.h"
#include "../src/data/embedset.h"
#include "../src/data/pairs.h"
#include "../src/data/shapes.h"
#include "../src/nn/ckpt.h"
#include "../src/nn/embed.h"
#include "../src/util/zt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A 128 px "t-shirt": body and sleeves, red on white, with its mask. */
static void tshirt(struct zt_image *photo, struct zt_image *mask)
{
    zt_image_new(photo, 128, 128, 3);
    zt_image_new(mask, 128, 128, 1);
    memset(photo->px, 255, 128 * 128 * 3);
    for (int y = 0; y < 128; y++)
        for (int x = 0; x < 128; x++) {
            int body = x >= 40 && x < 88 && y >= 24 && y < 110;
            int sleeves = y >= 24 && y < 50 && x >= 16 && x < 112;
            if (!body && !sleeves) continue;
            mask->px[y * 128 + x] = 255;
            uint8_t *p = zt_image_at(photo, x, y);
            p[0] = 200, p[1] = 30, p[2] = 40;
        }
}

static void ink_bbox(const struct zt_image *im, int *x0, int *y0, int *x1, int *y1, int *n)
{
    *x0 = *y0 = 1 << 30, *x1 = *y1 = -1, *n = 0;
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++)
            if (im->px[y * im->w + x] < 128) {
                (*n)++;
                if (x < *x0) *x0 = x;
                if (x > *x1) *x1 = x;
                if (y < *y0) *y0 = y;
                if (y > *y1) *y1 = y;
            }
}

TEST(doodle, seeded_placed_and_scaled)
{
    struct zt_image photo = {0}, mask = {0};
    tshirt(&photo, &mask);
    struct zt_doodle_params p;
    zt_doodle_params_default(&p);
    struct zt_doodle a = {0}, b = {0}, c = {0};
    const int S = 200;
    CHECK_OK(zt_doodle_render(&photo, &mask, NULL, &p, S, 5, &a));
    CHECK_OK(zt_doodle_render(&photo, &mask, NULL, &p, S, 5, &b));
    CHECK_OK(zt_doodle_render(&photo, &mask, NULL, &p, S, 6, &c));
    CHECK(a.lines.px && !memcmp(a.lines.px, b.lines.px, S * S));
    CHECK(a.hints.px && !memcmp(a.hints.px, b.hints.px, S * S * 4));
    CHECK(memcmp(a.lines.px, c.lines.px, S * S) != 0);
    zt_doodle_deinit(&a);
    zt_doodle_deinit(&b);
    zt_doodle_deinit(&c);
    /* over many seeds: inside the canvas, at small and large sizes, in 1..5
     * strokes, at most 30 dabs, with and without dabs */
    int small = 0, large = 0, nohint = 0, hinted = 0;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        struct zt_doodle d = {0};
        CHECK_OK(zt_doodle_render(&photo, &mask, NULL, &p, S, seed, &d));
        if (!d.lines.px) continue;
        int x0, y0, x1, y1, n;
        ink_bbox(&d.lines, &x0, &y0, &x1, &y1, &n);
        CHECK_MSG(n > 50, "seed %d: %d ink pixels", (int)seed, n);
        int side = (x1 - x0 > y1 - y0 ? x1 - x0 : y1 - y0) + 1;
        CHECK_MSG(side >= 0.25 * S && side <= S, "seed %d: drawing %d px on %d", (int)seed, side, S);
        CHECK(x0 >= 0 && y0 >= 0 && x1 < S && y1 < S);
        small += side < 0.5 * S;
        large += side > 0.75 * S;
        CHECK(d.nstrokes >= 1 && d.nstrokes <= 5);
        CHECK(d.nhints >= 0 && d.nhints <= 30);
        nohint += d.nhints == 0;
        hinted += d.nhints > 0;
        if (d.nhints) { /* dabs take the colour where they start, nudged: the
                          garment's red, or the white paper for a few */
            int red = 0, any = 0;
            for (int i = 0; i < S * S; i++) {
                const uint8_t *h = d.hints.px + 4 * i;
                if (!h[3] || (h[0] > 200 && h[1] > 200 && h[2] > 200)) continue;
                any++;
                red += h[0] > h[1] + 60 && h[0] > h[2] + 60;
            }
            CHECK_MSG(red * 10 >= any * 7, "seed %d: %d of %d dab pixels red", (int)seed, red, any);
        }
        zt_doodle_deinit(&d);
    }
    CHECK(small > 0 && large > 0 && nohint > 0 && hinted > 0);
    zt_image_free(&photo);
    zt_image_free(&mask);
}

static int in_mask_at(const struct zt_image *m, int x, int y)
{
    return x >= 0 && y >= 0 && x < m->w && y < m->h && m->px[y * m->w + x];
}

TEST(doodle, aligned_follows_the_outline)
{
    struct zt_image photo = {0}, mask = {0};
    tshirt(&photo, &mask);
    struct zt_doodle_params p;
    zt_doodle_params_default(&p);
    p.aligned = 1;
    struct zt_doodle d = {0};
    CHECK_OK(zt_doodle_render(&photo, &mask, NULL, &p, 128, 9, &d));
    /* every ink pixel lies near the garment's boundary (wobble, RDP and pen
     * width bound the distance) */
    int far = 0, n = 0;
    const int r = 9;
    for (int y = 0; y < 128; y++)
        for (int x = 0; x < 128; x++) {
            if (d.lines.px[y * 128 + x] >= 128) continue;
            n++;
            int near = 0;
            for (int dy = -r; dy <= r && !near; dy++)
                for (int dx = -r; dx <= r && !near; dx++) {
                    int a = x + dx, b = y + dy;
                    /* a boundary: the pixel and its right or lower neighbour differ */
                    near = in_mask_at(&mask, a, b) != in_mask_at(&mask, a + 1, b) ||
                           in_mask_at(&mask, a, b) != in_mask_at(&mask, a, b + 1);
                }
            far += !near;
        }
    CHECK(n > 100);
    CHECK_MSG(far == 0, "%d of %d ink pixels far from the outline", far, n);
    /* flattened: dabs over the lines */
    struct zt_image flat = {0};
    CHECK_OK(zt_doodle_flatten(&d, &flat));
    for (int i = 0; i < 128 * 128; i++)
        if (d.hints.px[4 * i + 3]) CHECK(!memcmp(flat.px + 3 * i, d.hints.px + 4 * i, 3));
    zt_image_free(&flat);
    zt_doodle_deinit(&d);
    /* no garment: a clear error */
    memset(mask.px, 0, 128 * 128);
    CHECK_RC(zt_doodle_render(&photo, &mask, NULL, &p, 128, 9, &d), ZT_EINVAL);
    zt_image_free(&photo);
    zt_image_free(&mask);
}

TEST(doodle, style_names_and_negatives)
{
    enum zt_draw_style s;
    CHECK_OK(zt_draw_style_parse("doodle", &s));
    CHECK(s == ZT_STYLE_DOODLE);
    CHECK_RC(zt_draw_style_parse("sketchy", &s), ZT_EINVAL);
    int doodles = 0;
    for (uint64_t seed = 0; seed < 64; seed++)
        doodles += zt_draw_style_pick(ZT_STYLE_MIXED, seed * 0x9e3779b97f4a7c15ULL) == ZT_STYLE_DOODLE;
    CHECK(doodles > 16 && doodles < 48);
    for (uint64_t seed = 1; seed <= 8; seed++) {
        struct zt_image l = {0}, h = {0};
        CHECK_OK(zt_embedset_negative(160, seed, &l, &h));
        int x0, y0, x1, y1, n;
        ink_bbox(&l, &x0, &y0, &x1, &y1, &n);
        CHECK(n > 30);
        zt_image_free(&l);
        zt_image_free(&h);
    }
}

/* Runs of garment pixels on row y of a mask, and the widest row's width. */
static int mask_runs(const struct zt_image *m, int y)
{
    int runs = 0;
    for (int x = 0; x < m->w; x++)
        runs += m->px[(size_t)y * m->w + x] && (x == 0 || !m->px[(size_t)y * m->w + x - 1]);
    return runs;
}

static int mask_width(const struct zt_image *m, int y)
{
    int x0 = -1, x1 = -1;
    for (int x = 0; x < m->w; x++)
        if (m->px[(size_t)y * m->w + x]) x1 = x, x0 = x0 < 0 ? x : x0;
    return x0 < 0 ? 0 : x1 - x0 + 1;
}

/* Garments drawn from memory (data/shapes.h): every family renders one
 * garment of a plausible size, seeded, its interior lines on the garment,
 * and with what defines its class: two legs at the hem of trousers and
 * shorts, shorts squat and trousers long, a skirt's hem wider than its
 * waist, a top's sleeves wider than its hem. */
TEST(doodle, shapes_have_their_class_silhouette)
{
    static const char *const cls[] = {"t-shirt", "shirt", "longsleeve", "outwear", "pants",
                                      "shorts", "skirt", "dress", "hat", "shoes"};
    const int F = 128;
    for (int c = 0; c < 10; c++) {
        CHECK(zt_shape_known(cls[c]));
        for (uint64_t seed = 1; seed <= 12; seed++) {
            struct zt_image p = {0}, m = {0}, e = {0}, p2 = {0}, m2 = {0}, e2 = {0};
            CHECK_OK(zt_shape_render(cls[c], F, seed, &p, &m, &e));
            CHECK_OK(zt_shape_render(cls[c], F, seed, &p2, &m2, &e2));
            if (!m.px || !m2.px) continue;
            CHECK(!memcmp(m.px, m2.px, (size_t)F * F) && !memcmp(p.px, p2.px, (size_t)F * F * 3) &&
                  !memcmp(e.px, e2.px, (size_t)F * F));
            int area = 0, y0 = -1, y1 = -1, lines = 0, lines_in = 0;
            for (int y = 0; y < F; y++)
                for (int x = 0; x < F; x++) {
                    int in = m.px[(size_t)y * F + x] != 0;
                    area += in;
                    if (in) y1 = y, y0 = y0 < 0 ? y : y0;
                    if (!e.px[(size_t)y * F + x]) lines++, lines_in += in;
                }
            CHECK_MSG(area > F * F / 20 && area < F * F * 3 / 4, "%s seed %d: area %d", cls[c],
                      (int)seed, area);
            CHECK_MSG(lines_in >= lines * 9 / 10, "%s seed %d: %d of %d line pixels on the garment",
                      cls[c], (int)seed, lines_in, lines);
            if (c <= 3) /* a top always has a neckline, placket or zip */
                CHECK_MSG(lines > 0, "%s seed %d: no interior line", cls[c], (int)seed);
            int h = y1 - y0 + 1, wmax = 0, ywide = y0;
            for (int y = y0; y <= y1; y++)
                if (mask_width(&m, y) >= wmax) wmax = mask_width(&m, y), ywide = y;
            int hem = y1 - h / 20; /* just above the bottom */
            if (c == 4 || c == 5) {
                CHECK_MSG(mask_runs(&m, hem) == 2, "%s seed %d: %d runs at the hem", cls[c],
                          (int)seed, mask_runs(&m, hem));
                CHECK_MSG(c == 4 ? h > wmax * 3 / 2 : h < wmax * 6 / 5, "%s seed %d: %d high, %d wide",
                          cls[c], (int)seed, h, wmax);
            }
            if (c == 6) /* the widest row in the lower third: the hem may dip */
                CHECK_MSG(ywide > y1 - h / 3 && wmax > mask_width(&m, y0 + 1),
                          "skirt seed %d: widest %d at row %d, waist %d", (int)seed, wmax, ywide,
                          mask_width(&m, y0 + 1));
            if (c <= 3) /* the sleeves reach out beyond the body, in the frame */
                CHECK_MSG(mask_width(&m, hem) < wmax && wmax > F / 2 && wmax <= F * 23 / 25,
                          "%s seed %d: widest %d, hem %d",
                          cls[c], (int)seed, wmax, mask_width(&m, hem));
            struct zt_image l = {0}, hh = {0};
            CHECK_OK(zt_embedset_shape(cls[c], 160, seed, &l, &hh));
            int x0_, y0_, x1_, y1_, n;
            if (l.px) {
                ink_bbox(&l, &x0_, &y0_, &x1_, &y1_, &n);
                CHECK(n > 30);
            }
            zt_image_free(&l);
            zt_image_free(&hh);
            zt_image_free(&p), zt_image_free(&m), zt_image_free(&e);
            zt_image_free(&p2), zt_image_free(&m2), zt_image_free(&e2);
        }
    }
    struct zt_image p = {0}, m = {0}, e = {0};
    CHECK(zt_shape_known("T-Shirt")); /* class names match as zt_class_parse does */
    CHECK(!zt_shape_known("socks"));
    CHECK_RC(zt_shape_render("socks", F, 1, &p, &m, &e), ZT_EINVAL);
    CHECK(strstr(zt_errmsg(), "socks") != NULL);
    CHECK(!p.px && !m.px && !e.px);
}

/* The doodles' masks against the border heuristic's: every item has an
 * agreement in [0, 1] (GrabCut masks; 1 for the heuristic's own), and a set
 * asking for more agreement than a mask has draws it as an edge map (the
 * frame's size) instead of a doodle (the canvas's). */
TEST(doodle, mask_agreement_gates_doodles)
{
    char src[1024];
    snprintf(src, sizeof src, "%s/mini", zt_test_datadir());
    struct zt_embedset g = {0}, h = {0};
    CHECK_OK(zt_embedset_load(src, ZT_SPLIT_TRAIN, NULL, 0, 2, 1, NULL, NULL, &g));
    CHECK_OK(zt_embedset_load(src, ZT_SPLIT_TRAIN, NULL, 0, 2, 0, NULL, NULL, &h));
    int usable = 0;
    for (int i = 0; i < g.n; i++) {
        CHECK_MSG(g.it[i].mask_agree >= 0 && g.it[i].mask_agree <= 1, "agreement %g", g.it[i].mask_agree);
        CHECK(h.it[i].mask_agree == 1);
        if (!g.it[i].mask_ok) continue;
        usable++;
        for (int strict = 0; strict < 2; strict++) {
            g.doodle_agree = strict ? 1.5f : 0;
            struct zt_image l = {0}, hl = {0};
            CHECK_OK(zt_embedset_drawing(&g, i, ZT_STYLE_DOODLE, 192, 5, &l, &hl));
            CHECK_EQ_INT(l.w, strict ? g.it[i].photo.w : 192);
            zt_image_free(&l);
            zt_image_free(&hl);
        }
    }
    CHECK(usable > 0);
    zt_embedset_deinit(&g);
    zt_embedset_deinit(&h);
}

/* --- the embedding --- */

static void tiny_cfg(struct zt_embed_cfg *c, int dim, int nclass)
{
    zt_embed_cfg_default(c);
    c->size = 32, c->dim = dim, c->width = 4, c->nclass = nclass;
    for (int k = 0; k < nclass; k++) snprintf(c->classes[k], ZT_EMBED_CLASS_MAX, "class%d", k);
}

/* A tiny model with seeded weights and its trainer (NULL on failure, checked
 * by the caller's CHECKs). */
static struct zt_embed_trainer *tiny_trainer(struct zt_embed *m, int dim, uint64_t seed, double lr,
                                             int freeze_photo)
{
    struct zt_embed_cfg c;
    tiny_cfg(&c, dim, 2);
    struct zt_embed_trainer *t = NULL;
    CHECK_OK(zt_embed_init(m, &c));
    zt_embed_init_weights(m, seed);
    CHECK_OK(zt_embed_trainer_new(m, lr, 1, freeze_photo, &t));
    return t;
}

/* The loss's gradient against central finite differences. */
/* The figure train-embed keeps the best epoch by: epochs 1 and 11 of the
 * --shapes 48 fine-tune (docs/internals/search.md) tie on the proxy's
 * doodles and edge maps; the garments drawn from memory decide. */
TEST(embed, epoch_score_counts_the_shapes)
{
    struct zt_embed_score d1 = {.r10 = 0.824, .cat_acc = 0.774}, e1 = {.r10 = 0.912, .cat_acc = 0.751};
    struct zt_embed_score d11 = {.r10 = 0.827, .cat_acc = 0.765}, e11 = {.r10 = 0.909, .cat_acc = 0.760};
    CHECK(fabs(zt_embed_epoch_score(&d1, &e1, -1) - 3.261) < 1e-9); /* no shapes scored */
    CHECK(fabs(zt_embed_epoch_score(&d1, &e1, -1) - zt_embed_epoch_score(&d11, &e11, -1)) < 1e-9);
    CHECK(fabs(zt_embed_epoch_score(&d1, &e1, 0.850) - 4.111) < 1e-9);
    CHECK(zt_embed_epoch_score(&d11, &e11, 0.892) > zt_embed_epoch_score(&d1, &e1, 0.850));
    struct zt_embed_score better = d1; /* each proxy term counts */
    better.r10 += 0.01;
    CHECK(zt_embed_epoch_score(&better, &e1, 0.85) > zt_embed_epoch_score(&d1, &e1, 0.85));
}

TEST(embed, loss_gradient)
{
    struct zt_embed_cfg c;
    tiny_cfg(&c, 6, 3);
    c.temp = 0.5f;
    const int nd = 5, np = 4, O = c.dim + c.nclass + 1;
    int ld[5] = {0, 1, 1, 2, 3}, lp[4] = {0, 1, 1, 2};
    float yd[5 * 10], yp[4 * 10], gd[5 * 10], gp[4 * 10], tmp_d[5 * 10], tmp_p[4 * 10];
    struct zt_rng r;
    zt_rng_seed(&r, 3);
    zt_rng_fill_normal(&r, yd, nd * O, 0, 1);
    zt_rng_fill_normal(&r, yp, np * O, 0, 1);
    struct zt_embed_losses l;
    CHECK_OK(zt_embed_loss(&c, yd, nd, ld, yp, np, lp, gd, gp, &l));
    CHECK(l.total > 0);
    float *ys[2] = {yd, yp}, *gs[2] = {gd, gp};
    int ns[2] = {nd, np};
    double worst = 0;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < ns[k] * O; i++) {
            const float h = 1e-2f, v = ys[k][i];
            struct zt_embed_losses a, b;
            ys[k][i] = v + h;
            zt_embed_loss(&c, yd, nd, ld, yp, np, lp, tmp_d, tmp_p, &a);
            ys[k][i] = v - h;
            zt_embed_loss(&c, yd, nd, ld, yp, np, lp, tmp_d, tmp_p, &b);
            ys[k][i] = v;
            double num = (a.total - b.total) / (2 * h), err = fabs(num - gs[k][i]);
            if (err > worst) worst = err;
            CHECK_MSG(err < 2e-3 + 2e-2 * fabs(num), "tower %d elem %d: grad %g, numeric %g", k, i,
                      gs[k][i], num);
        }
    CHECK(worst < 0.05);
    CHECK_RC(zt_embed_loss(&c, yd, 1, ld, yp, 1, lp, gd, gp, NULL), ZT_EINVAL);
}

TEST(embed, file_roundtrip_and_errors)
{
    struct zt_embed_cfg c;
    tiny_cfg(&c, 8, 2);
    c.cal_temp[0] = 1.5f, c.cal_temp[1] = 0.75f;
    c.frame = 0.65f;
    struct zt_embed m;
    CHECK_OK(zt_embed_init(&m, &c));
    zt_embed_init_weights(&m, 11);
    char path[1024], bad[1024];
    snprintf(path, sizeof path, "%s/embed.safetensors", zt_test_tmpdir());
    snprintf(bad, sizeof bad, "%s/plain.safetensors", zt_test_tmpdir());
    CHECK_OK(zt_embed_save(path, &m, 0));
    struct zt_embedder *e = zt_embedder_open(path, 1);
    CHECK(e != NULL);
    if (e) {
        const struct zt_embed_cfg *lc = zt_embedder_cfg(e);
        CHECK(lc->size == 32 && lc->dim == 8 && lc->nclass == 2);
        CHECK(!strcmp(lc->classes[1], "class1"));
        CHECK_NEAR(lc->cal_temp[0], 1.5, 1e-6);
        CHECK_NEAR(lc->cal_temp[1], 0.75, 1e-6);
        CHECK_NEAR(lc->frame, 0.65, 1e-6);
        float x[2 * 5 * 32 * 32], emb[2 * 8], prob[2 * 3];
        struct zt_rng r;
        zt_rng_seed(&r, 1);
        zt_rng_fill_uniform(&r, x, 2 * 5 * 32 * 32, -1, 1);
        CHECK_OK(zt_embedder_run(e, ZT_TOWER_DRAWING, x, 2, emb, prob));
        for (int i = 0; i < 2; i++) {
            double n2 = 0, ps = 0;
            for (int d = 0; d < 8; d++) n2 += emb[i * 8 + d] * emb[i * 8 + d];
            for (int k = 0; k < 3; k++) ps += prob[i * 3 + k];
            CHECK_NEAR(n2, 1, 1e-4);
            CHECK_NEAR(ps, 1, 1e-5);
        }
        zt_embedder_close(e);
    }
    /* a model without framing (as before December 2026) reads back as 0 */
    m.cfg.frame = 0;
    CHECK_OK(zt_embed_save(path, &m, 0));
    struct zt_embed m2;
    CHECK_OK(zt_embed_load(path, &m2));
    CHECK(m2.cfg.frame == 0.0f);
    zt_embed_deinit(&m2);
    /* a weights file that is not an embedding model; a missing file */
    CHECK_OK(zt_ckpt_save_file(bad, &m.params, ZT_DTYPE_F32, NULL));
    CHECK(zt_embedder_open(bad, 1) == NULL);
    CHECK(strstr(zt_errmsg(), "not a Ztyle embedding model") != NULL);
    CHECK(zt_embedder_open("/nonexistent/embed.safetensors", 1) == NULL);
    CHECK_OK(strcmp(zt_embed_model_resolve(""), ""));
    zt_embed_deinit(&m);
}

/* A few steps on one batch: the towers learn to pair drawing i with photo i. */
/* Pairs of drawings and photos with a bright square at spot i in both. */
enum { SQ_N = 8, SQ_S = 32 };
static void square_pairs(float *xd, float *xp, int *ld, int *lp)
{
    const int N = SQ_N, S = SQ_S;
    struct zt_rng r;
    zt_rng_seed(&r, 4);
    for (int i = 0; i < N; i++) {
        ld[i] = lp[i] = i % 2;
        for (int k = 0; k < 5 * S * S; k++) xd[i * 5 * S * S + k] = -1 + 0.1f * zt_rng_uniform(&r);
        for (int k = 0; k < 3 * S * S; k++) xp[i * 3 * S * S + k] = -1 + 0.1f * zt_rng_uniform(&r);
        int ox = (i % 4) * 8, oy = (i / 4) * 16;
        for (int y = oy; y < oy + 8; y++)
            for (int x = ox; x < ox + 8; x++) {
                xd[i * 5 * S * S + y * S + x] = 1;
                for (int ch = 0; ch < 3; ch++) xp[i * 3 * S * S + ch * S * S + y * S + x] = 1;
            }
    }
}

/* steps training steps on the square pairs; the first and last losses. */
static void run_squares(struct zt_embed_trainer *t, int steps, struct zt_embed_losses *first,
                        struct zt_embed_losses *last)
{
    enum { N = SQ_N, S = SQ_S };
    float *xd = malloc(sizeof(float) * N * 5 * S * S), *xp = malloc(sizeof(float) * N * 3 * S * S);
    int ld[N], lp[N];
    square_pairs(xd, xp, ld, lp);
    for (int step = 0; step < steps && t; step++) {
        CHECK_OK(zt_embed_train_step(t, xd, N, ld, xp, N, lp, last));
        if (step == 0) *first = *last;
    }
    free(xd);
    free(xp);
}

TEST(embed, train_step_learns)
{
    struct zt_embed m;
    struct zt_embed_trainer *t = tiny_trainer(&m, 16, 2, 3e-3, 0);
    struct zt_embed_losses first = {0}, last = {0};
    run_squares(t, 60, &first, &last);
    CHECK_MSG(last.total < 0.7 * first.total, "loss %g -> %g", first.total, last.total);
    CHECK_MSG(last.r1 >= 0.75, "batch R@1 %g", last.r1);
    zt_embed_trainer_free(t);
    zt_embed_deinit(&m);
}

/* A frozen photo tower: the drawing tower learns against it, and the photo
 * tower (weights, running statistics, fingerprint) stays as it was, so a
 * catalogue it embedded stays valid. */
TEST(embed, frozen_photo_tower_stays)
{
    struct zt_embed m;
    struct zt_embed_trainer *t = tiny_trainer(&m, 16, 2, 3e-3, 1);
    /* running statistics of a trained tower: not the init's 0 / 1 */
    for (int l = 0; l < ZT_EMBED_LAYERS; l++)
        for (int c = 0; c < m.tower[1].conv[l].cout; c++)
            m.tower[1].conv[l].rm->data[c] = 0.01f * c, m.tower[1].conv[l].rv->data[c] = 1 + 0.02f * c;
    uint64_t fp = zt_embed_photo_fingerprint(&m);
    const struct zt_tensor *wd = m.tower[0].conv[0].w;
    float d0 = wd->data[0];
    struct zt_embed_losses first = {0}, last = {0};
    run_squares(t, 60, &first, &last);
    float *xp = calloc((size_t)SQ_N * 3 * SQ_S * SQ_S, sizeof(float));
    if (t) {
        CHECK(zt_embed_trainer_photo_frozen(t));
        CHECK_OK(zt_embed_trainer_bn_stats(t, ZT_TOWER_PHOTO, xp, SQ_N, 0)); /* left alone */
    }
    free(xp);
    CHECK_MSG(last.contrastive < 0.8 * first.contrastive, "contrastive %g -> %g", first.contrastive,
              last.contrastive);
    CHECK(wd->data[0] != d0);
    CHECK_MSG(zt_embed_photo_fingerprint(&m) == fp, "the frozen photo tower changed");
    CHECK(m.tower[1].conv[3].rm->data[5] == 0.01f * 5);
    zt_embed_trainer_free(t);
    CHECK(m.tower[1].fc_w->requires_grad && m.tower[1].conv[0].w->requires_grad);
    zt_embed_deinit(&m);
}

/* A drawing tower grown wider computes what it did (eval mode, through
 * the file and the runtime), the photo tower untouched; noise tells the
 * copies apart; it never shrinks. */
TEST(embed, widened_drawing_tower_keeps_its_function)
{
    struct zt_embed_cfg c;
    tiny_cfg(&c, 8, 3);
    struct zt_embed a, b, n, tiny;
    CHECK_OK(zt_embed_init(&a, &c));
    zt_embed_init_weights(&a, 9);
    struct zt_rng r;
    zt_rng_seed(&r, 10);
    for (int t = 0; t < 2; t++) /* trained-looking BatchNorm */
        for (int l = 0; l < ZT_EMBED_LAYERS; l++) {
            zt_rng_fill_uniform(&r, a.tower[t].conv[l].rm->data, a.tower[t].conv[l].cout, -0.2f, 0.2f);
            zt_rng_fill_uniform(&r, a.tower[t].conv[l].rv->data, a.tower[t].conv[l].cout, 0.5f, 2);
            zt_rng_fill_uniform(&r, a.tower[t].conv[l].bb->data, a.tower[t].conv[l].cout, -0.1f, 0.3f);
        }
    zt_rng_fill_uniform(&r, a.tower[0].fc_b->data, c.dim + c.nclass + 1, -0.5f, 0.5f);
    CHECK_OK(zt_embed_widen_drawing(&a, 7, 0, 3, &b));
    CHECK_OK(zt_embed_widen_drawing(&a, 7, 0.05f, 3, &n));
    CHECK_EQ_INT(b.cfg.dwidth, 7);
    CHECK_EQ_INT((int)b.tower[0].conv[6].w->shape[0], 7 * 8);
    CHECK_EQ_INT((int)b.tower[1].conv[6].w->shape[0], 4 * 8);
    CHECK(zt_embed_photo_fingerprint(&b) == zt_embed_photo_fingerprint(&a));
    CHECK_RC(zt_embed_widen_drawing(&b, 5, 0, 3, &tiny), ZT_EINVAL);
    char pa[1100], pb[1100], pn[1100];
    snprintf(pa, sizeof pa, "%s/narrow.safetensors", zt_test_tmpdir());
    snprintf(pb, sizeof pb, "%s/wide.safetensors", zt_test_tmpdir());
    snprintf(pn, sizeof pn, "%s/wide-noise.safetensors", zt_test_tmpdir());
    CHECK_OK(zt_embed_save(pa, &a, 0));
    CHECK_OK(zt_embed_save(pb, &b, 0));
    CHECK_OK(zt_embed_save(pn, &n, 0));
    struct zt_embedder *ea = zt_embedder_open(pa, 1), *eb = zt_embedder_open(pb, 1),
                       *en = zt_embedder_open(pn, 1);
    CHECK(ea && eb && en);
    enum { N = 3, S = 32 };
    float *x = malloc(sizeof(float) * N * 5 * S * S), ya[N * 8], yb[N * 8], yn[N * 8], pa4[N * 4],
          pb4[N * 4], pn4[N * 4];
    zt_rng_fill_uniform(&r, x, N * 5 * S * S, -1, 1);
    if (ea && eb && en) {
        CHECK_EQ_INT(zt_embedder_cfg(eb)->dwidth, 7);
        CHECK_OK(zt_embedder_run(ea, ZT_TOWER_DRAWING, x, N, ya, pa4));
        CHECK_OK(zt_embedder_run(eb, ZT_TOWER_DRAWING, x, N, yb, pb4));
        CHECK_OK(zt_embedder_run(en, ZT_TOWER_DRAWING, x, N, yn, pn4));
        double d = 0, dn = 0, dp = 0;
        for (int i = 0; i < N * 8; i++) d = fmax(d, fabs(ya[i] - yb[i])), dn = fmax(dn, fabs(ya[i] - yn[i]));
        for (int i = 0; i < N * 4; i++) dp = fmax(dp, fabs(pa4[i] - pb4[i]));
        CHECK_MSG(d < 1e-4 && dp < 1e-4, "widened tower differs by %g (probabilities %g)", d, dp);
        CHECK_MSG(dn > 1e-6 && dn < 0.5, "noise moved the embedding by %g", dn);
        CHECK(zt_embedder_fingerprint(ea) == zt_embedder_fingerprint(eb)); /* catalogues stay valid */
    }
    zt_embedder_close(ea);
    zt_embedder_close(eb);
    zt_embedder_close(en);
    free(x);
    zt_embed_deinit(&a);
    zt_embed_deinit(&b);
    zt_embed_deinit(&n);
}

/* Re-estimated BatchNorm statistics: two batches averaged give the running
 * mean the two as one batch give; no weight moves. */
TEST(embed, bn_stats_average_the_batches)
{
    struct zt_embed m;
    struct zt_embed_trainer *t = tiny_trainer(&m, 8, 5, 1e-3, 0);
    enum { N = 4, S = 32, PL = 5 * S * S };
    float *x = malloc(sizeof(float) * 2 * N * PL);
    struct zt_rng r;
    zt_rng_seed(&r, 6);
    zt_rng_fill_uniform(&r, x, 2 * N * PL, -1, 1);
    for (int i = N * PL; i < 2 * N * PL; i++) x[i] = 0.5f * x[i] + 0.3f; /* another mean */
    const struct zt_tensor *w0 = m.tower[0].conv[0].w, *rm = m.tower[0].conv[0].rm;
    int C = (int)rm->shape[0];
    float *wcopy = malloc(sizeof(float) * (size_t)zt_tensor_numel(w0)), one[64], two[64];
    memcpy(wcopy, w0->data, sizeof(float) * (size_t)zt_tensor_numel(w0));
    if (t) {
        CHECK_OK(zt_embed_trainer_bn_stats(t, ZT_TOWER_DRAWING, x, 2 * N, 0));
        memcpy(one, rm->data, sizeof(float) * (size_t)C);
        CHECK_OK(zt_embed_trainer_bn_stats(t, ZT_TOWER_DRAWING, x, N, 0));
        CHECK_OK(zt_embed_trainer_bn_stats(t, ZT_TOWER_DRAWING, x + N * PL, N, 1));
        memcpy(two, rm->data, sizeof(float) * (size_t)C);
        double diff = 0, size = 0;
        for (int k = 0; k < C; k++) diff += fabs(one[k] - two[k]), size += fabs(one[k]);
        CHECK_MSG(diff < 1e-4 * (size + 1) && size > 0, "running means differ by %g (size %g)", diff, size);
        CHECK(!memcmp(wcopy, w0->data, sizeof(float) * (size_t)zt_tensor_numel(w0)));
        CHECK(m.bn_momentum == 0.1f); /* training's momentum is back */
    }
    free(x);
    free(wcopy);
    zt_embed_trainer_free(t);
    zt_embed_deinit(&m);
}

/* --- in ingest and search --- */

/* A random model over the mini dataset's classes (dim as the catalogue's). */
static void mini_model(struct zt_embed *m, uint64_t seed)
{
    static const char *cls[] = {"hat", "pants", "shoes", "skirt", "t-shirt"};
    struct zt_embed_cfg c;
    tiny_cfg(&c, ZT_FEAT_EMB_DIM, 5);
    for (int k = 0; k < 5; k++) snprintf(c.classes[k], ZT_EMBED_CLASS_MAX, "%s", cls[k]);
    CHECK_OK(zt_embed_init(m, &c));
    zt_embed_init_weights(m, seed);
}

TEST(embed, search_understood)
{
    struct zt_embed m;
    mini_model(&m, 7);
    char model[1024], url[1024], src[1024];
    snprintf(model, sizeof model, "%s/embed.safetensors", zt_test_tmpdir());
    snprintf(url, sizeof url, "%s/emb.db", zt_test_tmpdir());
    snprintf(src, sizeof src, "%s/mini", zt_test_datadir());
    CHECK_OK(zt_embed_save(model, &m, 1));
    zt_embed_deinit(&m);
    struct zt_ingest_opts io = {.catalog = url, .threads = 2, .embed_model = model};
    struct zt_ingest_stats st;
    CHECK_OK(zt_catalog_ingest(src, &io, &st));
    CHECK_EQ_INT(st.indexed, 15);
    struct zt_store *s = NULL;
    struct zt_searcher *sr = NULL;
    struct zt_searcher_opts so = {.catalog = url, .model = "", .embed_model = model, .threads = 1};
    CHECK_OK(zt_store_open(url, &s));
    CHECK_OK(zt_searcher_open(&so, s, &sr));
    if (!sr) {
        zt_store_close(s);
        return;
    }
    CHECK(!strcmp(zt_searcher_embed_model(sr), model));
    /* every product holds a unit embedding */
    const struct zt_index *ix = zt_searcher_index(sr);
    for (int64_t i = 0; i < zt_index_count(ix); i++) {
        const float *v = zt_index_vector(ix, i) + ZT_FEAT_EMB_OFF;
        double n2 = 0;
        for (int d = 0; d < ZT_FEAT_EMB_DIM; d++) n2 += v[d] * v[d];
        CHECK_NEAR(n2, 1, 1e-3);
    }
    /* a drawing: the embedding counts and something is understood */
    struct zt_image drawing = {0};
    CHECK_OK(zt_image_new(&drawing, 120, 120, 3));
    memset(drawing.px, 255, 120 * 120 * 3);
    for (int i = 20; i < 100; i++) {
        memset(zt_image_at(&drawing, i, 20), 0, 3);
        memset(zt_image_at(&drawing, i, 99), 0, 3);
        memset(zt_image_at(&drawing, 20, i), 0, 3);
        memset(zt_image_at(&drawing, 99, i), 0, 3);
    }
    struct zt_search_req rq = {.q = {.drawing = &drawing}, .filter = ZT_INDEX_FILTER_ANY, .limit = 15};
    struct zt_search_result res;
    CHECK_OK(zt_search_run(sr, s, &rq, &res));
    CHECK(res.used[ZT_SIG_EMBED]);
    const struct zt_understood *u = &res.understood;
    CHECK(u->known);
    double psum = u->p_none;
    for (int k = 0; k < ZT_CLASS_COUNT; k++) psum += u->p[k];
    CHECK_NEAR(psum, 1, 1e-4);
    CHECK(u->p[zt_class_parse("dress")] == 0); /* not sold here */
    if (u->cls >= 0) CHECK(u->confidence >= ZT_UNDERSTOOD_MIN && u->p[u->cls] == u->confidence);
    for (int i = 0; i < res.n; i++) CHECK(res.hits[i].sig[ZT_SIG_EMBED] <= 1.0001f);
    if (u->filtered)
        for (int i = 0; i < res.n; i++) CHECK(zt_class_of_product(&res.hits[i].p) == u->cls);
    zt_search_result_free(&res);
    /* a class as the filter: only that class comes back */
    rq.filter.group_mask = UINT64_C(1) << zt_class_parse("shoes");
    CHECK_OK(zt_search_run(sr, s, &rq, &res));
    CHECK(res.n == 3);
    for (int i = 0; i < res.n; i++) CHECK(!strcmp(res.hits[i].p.cls, "shoes"));
    zt_search_result_free(&res);
    /* a model framing drawings on their ink: the same box drawn elsewhere and
     * smaller on the canvas is understood the same by the category head (the
     * unframed one is not) */
    {
        struct zt_embed fm;
        char fmodel[1100];
        snprintf(fmodel, sizeof fmodel, "%s/embed-framed.safetensors", zt_test_tmpdir());
        CHECK_OK(zt_embed_load(model, &fm));
        fm.cfg.frame = 0.65f;
        CHECK_OK(zt_embed_save(fmodel, &fm, 1));
        zt_embed_deinit(&fm);
        struct zt_searcher *fr = NULL;
        struct zt_searcher_opts fo = so;
        fo.embed_model = fmodel;
        CHECK_OK(zt_searcher_open(&fo, s, &fr));
        struct zt_image moved = {0};
        CHECK_OK(zt_image_new(&moved, 120, 120, 3));
        memset(moved.px, 255, 120 * 120 * 3);
        for (int i = 0; i < 80; i++) /* the box at (20..99) at 3/4 size from (4, 50) */
            for (int j = 0; j < 80; j++)
                if (drawing.px[3 * ((20 + j) * 120 + 20 + i)] == 0)
                    memset(zt_image_at(&moved, 4 + i * 3 / 4, 50 + j * 3 / 4), 0, 3);
        struct zt_search_weights hw;
        zt_search_weights_default(&hw);
        hw.knn = hw.vote = 0; /* the head alone */
        float p[2][2][ZT_CLASS_COUNT + 1];
        for (int f = 0; f < 2 && fr; f++)
            for (int v = 0; v < 2; v++) {
                struct zt_search_req q2 = rq;
                q2.q.drawing = v ? &moved : &drawing;
                q2.filter = ZT_INDEX_FILTER_ANY;
                q2.weights = &hw;
                CHECK_OK(zt_search_run(f ? fr : sr, s, &q2, &res));
                memcpy(p[f][v], res.understood.p, sizeof(float) * ZT_CLASS_COUNT);
                p[f][v][ZT_CLASS_COUNT] = res.understood.p_none;
                zt_search_result_free(&res);
            }
        double d0 = 0, d1 = 0;
        for (int k = 0; k <= ZT_CLASS_COUNT; k++)
            d0 += fabs(p[0][0][k] - p[0][1][k]), d1 += fabs(p[1][0][k] - p[1][1][k]);
        CHECK_MSG(d1 < 0.02 && d1 < d0 / 2, "understood moved by %.4f framed, %.4f not", d1, d0);
        zt_image_free(&moved);
        zt_searcher_close(fr);
    }
    /* a drawing and its mirror image are understood alike (the drawing is
     * embedded both ways round and averaged): an L and a J */
    {
        struct zt_image l = {0}, j = {0};
        CHECK_OK(zt_image_new(&l, 120, 120, 3));
        CHECK_OK(zt_image_new(&j, 120, 120, 3));
        memset(l.px, 255, 120 * 120 * 3);
        for (int i = 10; i < 100; i++) {
            for (int t = 0; t < 3; t++) {
                memset(zt_image_at(&l, 15 + t, i), 0, 3);      /* the stem */
                memset(zt_image_at(&l, i - 5, 97 + t), 0, 3);  /* the foot */
                if (i < 50) memset(zt_image_at(&l, 60 + t, i + 20), 0, 3);
            }
        }
        for (int y = 0; y < 120; y++)
            for (int x = 0; x < 120; x++) memcpy(zt_image_at(&j, 119 - x, y), zt_image_at(&l, x, y), 3);
        struct zt_search_weights hw;
        zt_search_weights_default(&hw);
        hw.knn = hw.vote = 0; /* the head alone */
        float p[2][ZT_CLASS_COUNT + 1];
        for (int v = 0; v < 2; v++) {
            struct zt_search_req q2 = rq;
            q2.q.drawing = v ? &j : &l;
            q2.filter = ZT_INDEX_FILTER_ANY;
            q2.weights = &hw;
            CHECK_OK(zt_search_run(sr, s, &q2, &res));
            memcpy(p[v], res.understood.p, sizeof(float) * ZT_CLASS_COUNT);
            p[v][ZT_CLASS_COUNT] = res.understood.p_none;
            zt_search_result_free(&res);
        }
        double d = 0;
        for (int k = 0; k <= ZT_CLASS_COUNT; k++) d += fabs(p[0][k] - p[1][k]);
        CHECK_MSG(d < 1e-4, "the mirror image is understood %.5f apart", d);
        zt_image_free(&l);
        zt_image_free(&j);
    }
    /* the nearest products' share: knn_photo for a photo, knn for a drawing;
     * each query heeds its own only. A photo's neighbours alone name the
     * class of its own product, the nearest of all. */
    {
        char path[1024];
        snprintf(path, sizeof path, "%s/mini/train/hat/hat-t0.png", zt_test_datadir());
        struct zt_image photo = {0};
        CHECK_OK(zt_image_load(path, 3, NULL, &photo));
        float p[4][ZT_CLASS_COUNT];
        for (int v = 0; v < 4; v++) {
            struct zt_search_weights hw;
            zt_search_weights_default(&hw);
            hw.vote = 0;
            hw.knn = v == 0 ? 1 : 0;       /* photo, head alone; drawing: off */
            hw.knn_photo = v == 0 || v == 3 ? 0 : 1; /* photo, neighbours alone */
            struct zt_search_req q2 = {.q = {.photo = v < 2 ? &photo : NULL,
                                             .drawing = v < 2 ? NULL : &drawing},
                                       .filter = ZT_INDEX_FILTER_ANY, .limit = 5, .weights = &hw};
            CHECK_OK(zt_search_run(sr, s, &q2, &res));
            memcpy(p[v], res.understood.p, sizeof p[v]);
            zt_search_result_free(&res);
        }
        double dp = 0, dd = 0;
        int best = 0;
        for (int k = 0; k < ZT_CLASS_COUNT; k++) {
            dp += fabs(p[0][k] - p[1][k]), dd += fabs(p[2][k] - p[3][k]);
            if (p[1][k] > p[1][best]) best = k;
        }
        CHECK_MSG(dp > 1e-3, "a photo's knn_photo share moved nothing (%.5f)", dp);
        CHECK_MSG(dd < 1e-6, "a drawing heeded knn_photo (%.5f)", dd);
        CHECK_EQ_INT(best, zt_class_parse("hat"));
        zt_image_free(&photo);
    }
    /* a blank canvas: nothing understood, no embedding signal */
    memset(drawing.px, 255, 120 * 120 * 3);
    rq.filter = ZT_INDEX_FILTER_ANY;
    CHECK_OK(zt_search_run(sr, s, &rq, &res));
    CHECK(res.understood.known && res.understood.cls == -1);
    CHECK(!res.used[ZT_SIG_EMBED]);
    zt_search_result_free(&res);
    zt_image_free(&drawing);
    zt_searcher_close(sr);
    zt_store_close(s);
}

/* A catalogue records which model embedded each product: the fingerprint
 * follows the photo tower only; a searcher refuses a catalogue embedded by
 * another model or by none, and ingest (without --force) redoes products
 * that another model embedded. */
TEST(embed, catalogue_knows_its_model)
{
    struct zt_embed m;
    mini_model(&m, 11);
    char a[1024], b[1100], url[1024], url0[1024], src[1024];
    snprintf(a, sizeof a, "%s/fp-a.safetensors", zt_test_tmpdir());
    snprintf(b, sizeof b, "%s/fp-b.safetensors", zt_test_tmpdir());
    snprintf(url, sizeof url, "%s/fp.db", zt_test_tmpdir());
    snprintf(url0, sizeof url0, "%s/fp-none.db", zt_test_tmpdir());
    snprintf(src, sizeof src, "%s/mini", zt_test_datadir());
    uint64_t f0 = zt_embed_photo_fingerprint(&m), f1, fa, fb;
    CHECK_OK(zt_embed_save(a, &m, 0));
    m.tower[ZT_TOWER_DRAWING].conv[0].w->data[0] += 1; /* the drawing tower: same catalogue */
    m.cfg.frame = 0.5f;
    CHECK(zt_embed_photo_fingerprint(&m) == f0);
    m.tower[ZT_TOWER_PHOTO].conv[0].w->data[0] += 1;   /* the photo tower: another */
    f1 = zt_embed_photo_fingerprint(&m);
    CHECK(f1 != f0 && f1 != 0);
    CHECK_OK(zt_embed_save(b, &m, 0));
    zt_embed_deinit(&m);
    CHECK_OK(zt_embed_file_fingerprint(a, &fa));
    CHECK_OK(zt_embed_file_fingerprint(b, &fb));
    CHECK(fa == f0 && fb == f1);
    /* ingested with A */
    struct zt_ingest_opts io = {.catalog = url, .threads = 2, .embed_model = a};
    struct zt_ingest_stats st;
    CHECK_OK(zt_catalog_ingest(src, &io, &st));
    CHECK_EQ_INT(st.computed, 15);
    struct zt_store *s = NULL;
    CHECK_OK(zt_store_open(url, &s));
    int64_t n[4];
    CHECK_OK(zt_catalog_embed_census(s, fa, n));
    CHECK(n[ZT_EMBED_SAME] == 15 && n[ZT_EMBED_OTHER] == 0 && n[ZT_EMBED_UNKNOWN] == 0);
    struct zt_searcher *sr = NULL;
    struct zt_searcher_opts so = {.catalog = url, .model = "", .embed_model = a, .threads = 1};
    CHECK_OK(zt_searcher_open(&so, s, &sr)); /* its own model */
    CHECK(sr && zt_searcher_embed_unknown(sr) == 0);
    zt_searcher_close(sr);
    so.embed_model = "";
    CHECK_OK(zt_searcher_open(&so, s, &sr)); /* no embedding: nothing to disagree with */
    zt_searcher_close(sr);
    so.embed_model = b, sr = NULL;
    CHECK_RC(zt_searcher_open(&so, s, &sr), ZT_EINVAL);
    CHECK(sr == NULL && strstr(zt_errmsg(), "15 of 15 products were embedded by another"));
    /* a product from before the record: counted, not refused */
    CHECK_OK(zt_store_feature_delete(s, "hat-t0", ZT_FEATURE_EMBED_MODEL));
    so.embed_model = a;
    CHECK_OK(zt_searcher_open(&so, s, &sr));
    CHECK(sr && zt_searcher_embed_unknown(sr) == 1);
    zt_searcher_close(sr);
    zt_store_close(s);
    /* ingest again with B, no --force: every product is redone */
    io.embed_model = b;
    CHECK_OK(zt_catalog_ingest(src, &io, &st));
    CHECK_EQ_INT(st.computed, 15);
    CHECK_EQ_INT(st.unchanged, 0);
    CHECK_OK(zt_catalog_ingest(src, &io, &st)); /* and then they are current */
    CHECK_EQ_INT(st.unchanged, 15);
    CHECK_OK(zt_store_open(url, &s));
    so.embed_model = b;
    CHECK_OK(zt_searcher_open(&so, s, &sr));
    zt_searcher_close(sr);
    zt_store_close(s);
    /* a catalogue ingested without an embedding, searched with one */
    struct zt_ingest_opts io0 = {.catalog = url0, .threads = 2, .embed_model = ""};
    CHECK_OK(zt_catalog_ingest(src, &io0, &st));
    CHECK_OK(zt_store_open(url0, &s));
    so.catalog = url0, so.embed_model = a, sr = NULL;
    CHECK_RC(zt_searcher_open(&so, s, &sr), ZT_EINVAL);
    CHECK(strstr(zt_errmsg(), "without a search embedding") != NULL);
    zt_store_close(s);
}

/* train-embed --balance: an epoch draws each class about equally at 1,
 * every photo once at 0, and never puts one photo twice in a batch. */
TEST(embed, epoch_order_balances_classes)
{
    struct zt_embedset tr = {0};
    int per[3] = {40, 10, 5}, n = 0;
    tr.nclass = 3;
    tr.it = calloc(55, sizeof *tr.it);
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < per[k]; i++) tr.it[n++].cls = k;
    tr.n = n;
    int order[200], got = 0, cnt[3], seen[55];
    struct zt_rng r;
    zt_rng_seed(&r, 9);
    for (int b = 0; b < 2; b++) {
        CHECK_OK(zt_embed_epoch_order(&tr, b ? 1.0 : 0.0, 8, &r, order, 200, &got));
        memset(cnt, 0, sizeof cnt);
        memset(seen, 0, sizeof seen);
        for (int i = 0; i < got; i++) cnt[tr.it[order[i]].cls]++, seen[order[i]]++;
        if (!b) {
            CHECK_EQ_INT(got, 55);
            for (int i = 0; i < 55; i++) CHECK(seen[i] == 1);
        } else {
            CHECK_EQ_INT(got, 120); /* 40 x 1, 10 x 4, 5 x 8 */
            CHECK(cnt[0] == 40 && cnt[1] == 40 && cnt[2] == 40);
        }
        int dup = 0;
        for (int i = 0; i < got; i++)
            for (int j = i / 8 * 8; j < i; j++) dup += order[j] == order[i];
        CHECK_MSG(dup == 0, "balance %d: %d repeats inside a batch", b, dup);
    }
    CHECK_OK(zt_embed_epoch_order(&tr, 1.0, 8, &r, order, 50, &got)); /* capped */
    CHECK_EQ_INT(got, 50);
    free(tr.it);
}
