/* test_hints.c: colour-hint simulation (determinism, placement on the mask,
 * mean colour, count distribution), the garment mask on synthetic and real
 * photos (the heuristic and GrabCut),
 * and the drawing split (flattened and two-layer). */
#include "test.h"
#include "../src/img/hints.h"
#include "../src/img/image.h"
#include "../src/img/mask.h"
#include "../src/util/zt.h"

#include <stdlib.h>
#include <string.h>

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* textured photo: every pixel different, so a wrong mean shows */
static void noise_photo(struct zt_image *im, int w, int h, uint64_t seed)
{
    CHECK_OK(zt_image_new(im, w, h, 3));
    for (size_t i = 0; i < (size_t)w * h * 3; i++) im->px[i] = (uint8_t)lcg(&seed);
}

/* mask: 255 in [x0,x1)x[y0,y1) */
static void rect_mask(struct zt_image *m, int w, int h, int x0, int y0, int x1, int y1)
{
    CHECK_OK(zt_image_new(m, w, h, 1));
    for (int y = y0; y < y1; y++) memset(m->px + (size_t)y * w + x0, 255, (size_t)(x1 - x0));
}

TEST(hints, deterministic_per_seed)
{
    struct zt_image ph = {0}, m = {0}, r1 = {0}, m1 = {0}, r2 = {0}, m2 = {0}, r3 = {0}, m3 = {0};
    noise_photo(&ph, 128, 96, 7);
    rect_mask(&m, 128, 96, 30, 20, 100, 80);
    struct zt_hint_params p;
    zt_hint_params_default(&p);
    p.fixed_count = 10;
    int n1 = 0, n2 = 0, n3 = 0;
    CHECK_OK(zt_hints_simulate(&ph, &m, &p, 42, &r1, &m1, &n1));
    CHECK_OK(zt_hints_simulate(&ph, &m, &p, 42, &r2, &m2, &n2));
    CHECK_OK(zt_hints_simulate(&ph, &m, &p, 43, &r3, &m3, &n3));
    CHECK(n1 == 10 && n2 == 10 && n3 == 10);
    CHECK(r1.c == 3 && m1.c == 1 && r1.w == 128 && m1.h == 96);
    CHECK(!memcmp(r1.px, r2.px, 128 * 96 * 3) && !memcmp(m1.px, m2.px, 128 * 96));
    CHECK(memcmp(m1.px, m3.px, 128 * 96) != 0);
    /* RGB is 0 wherever the mask is 0 */
    int stray = 0;
    for (int i = 0; i < 128 * 96; i++)
        if (!m1.px[i]) stray += r1.px[3 * i] | r1.px[3 * i + 1] | r1.px[3 * i + 2];
    CHECK_EQ_INT(stray, 0);
    zt_image_free(&ph), zt_image_free(&m);
    zt_image_free(&r1), zt_image_free(&m1), zt_image_free(&r2), zt_image_free(&m2);
    zt_image_free(&r3), zt_image_free(&m3);
}

TEST(hints, mostly_on_mask)
{
    /* 1-pixel patches, 2000 of them: on-mask share of hint pixels should be
     * about 0.9 + 0.1 * (mask area share) */
    struct zt_image ph = {0}, m = {0}, hr = {0}, hm = {0};
    noise_photo(&ph, 128, 128, 3);
    rect_mask(&m, 128, 128, 32, 32, 96, 96); /* 25% of the image */
    struct zt_hint_params p;
    zt_hint_params_default(&p);
    p.fixed_count = 2000;
    p.size_max = 1;
    p.stroke_prob = 0;
    CHECK_OK(zt_hints_simulate(&ph, &m, &p, 99, &hr, &hm, NULL));
    int on = 0, off = 0;
    for (int i = 0; i < 128 * 128; i++)
        if (hm.px[i]) *(m.px[i] ? &on : &off) += 1;
    double frac = (double)on / (on + off);
    CHECK_MSG(frac > 0.88 && frac < 0.96, "on-mask share %.3f (%d on, %d off)", frac, on, off);
    zt_image_free(&hr), zt_image_free(&hm);
    /* without a mask hints go anywhere: about 25% land in that square */
    CHECK_OK(zt_hints_simulate(&ph, NULL, &p, 99, &hr, &hm, NULL));
    on = off = 0;
    for (int i = 0; i < 128 * 128; i++)
        if (hm.px[i]) *(m.px[i] ? &on : &off) += 1;
    frac = (double)on / (on + off);
    CHECK_MSG(frac > 0.2 && frac < 0.3, "unmasked share in the square %.3f", frac);
    zt_image_free(&ph), zt_image_free(&m), zt_image_free(&hr), zt_image_free(&hm);
}

TEST(hints, colour_is_patch_mean)
{
    struct zt_image ph = {0}, hr = {0}, hm = {0};
    noise_photo(&ph, 256, 200, 11);
    struct zt_hint_params p;
    zt_hint_params_default(&p);
    p.fixed_count = 1;
    p.stroke_prob = 0.5;
    int strokes_or_big = 0;
    for (uint64_t seed = 1; seed <= 30; seed++) {
        CHECK_OK(zt_hints_simulate(&ph, NULL, &p, seed, &hr, &hm, NULL));
        double sum[3] = {0};
        int cnt = 0;
        for (int i = 0; i < 256 * 200; i++)
            if (hm.px[i]) {
                cnt++;
                for (int c = 0; c < 3; c++) sum[c] += ph.px[3 * i + c];
            }
        CHECK(cnt > 0);
        strokes_or_big += cnt > 4;
        for (int i = 0; i < 256 * 200; i++)
            if (hm.px[i])
                for (int c = 0; c < 3; c++) CHECK_NEAR(hr.px[3 * i + c], sum[c] / cnt, 0.5);
        zt_image_free(&hr), zt_image_free(&hm);
    }
    CHECK(strokes_or_big > 10); /* sizes are scaled with the image (2x here) */
    zt_image_free(&ph);
}

TEST(hints, count_distribution)
{
    struct zt_image ph = {0}, hr = {0}, hm = {0};
    noise_photo(&ph, 32, 32, 5);
    struct zt_hint_params p;
    zt_hint_params_default(&p);
    int zeros = 0, runs = 3000, big = 0;
    double sum = 0;
    for (int s = 0; s < runs; s++) {
        int n = -1;
        CHECK_OK(zt_hints_simulate(&ph, NULL, &p, (uint64_t)s * 7919u, &hr, &hm, &n));
        CHECK(n >= 0 && n <= p.max_hints);
        int any = 0;
        for (int i = 0; i < 32 * 32; i++) any |= hm.px[i];
        CHECK((n == 0) == (any == 0));
        if (!n) zeros++;
        else sum += n;
        big += n > 24;
        zt_image_free(&hr), zt_image_free(&hm);
    }
    double pz = (double)zeros / runs, mean = sum / (runs - zeros);
    CHECK_MSG(pz > 0.08 && pz < 0.12, "P(no hints) %.3f, want ~0.1", pz);
    CHECK_MSG(mean > 7.3 && mean < 8.7, "mean count %.2f, want ~8 (geometric p=1/8)", mean);
    /* P(G > 24) = (7/8)^24 = 0.04 of the nonzero runs */
    CHECK_MSG(big > 60 && big < 160, "%d runs above 24 hints", big);
    p.p_none = 1;
    int n = -1;
    CHECK_OK(zt_hints_simulate(&ph, NULL, &p, 1, &hr, &hm, &n));
    CHECK_EQ_INT(n, 0);
    zt_image_free(&hr), zt_image_free(&hm);
    p.p_geom = 0;
    CHECK_RC(zt_hints_simulate(&ph, NULL, &p, 1, &hr, &hm, &n), ZT_EINVAL);
    CHECK(hr.px == NULL);
    zt_image_free(&ph);
}

/* A garment-like shape (rectangle body + sleeves) on a plain floor with a
 * little noise, and a shadowy second floor colour along one side. */
TEST(hints, mask_synthetic_garment)
{
    int w = 200, h = 160;
    struct zt_image im = {0}, truth = {0}, m = {0};
    CHECK_OK(zt_image_new(&im, w, h, 3));
    CHECK_OK(zt_image_new(&truth, w, h, 1));
    uint64_t s = 77;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int body = x >= 70 && x < 130 && y >= 30 && y < 140;
            int sleeves = y >= 30 && y < 60 && x >= 35 && x < 165;
            int g = body || sleeves;
            uint8_t *q = zt_image_at(&im, x, y);
            int nz = (int)(lcg(&s) % 11) - 5;
            if (g) q[0] = (uint8_t)(180 + nz), q[1] = (uint8_t)(40 + nz), q[2] = (uint8_t)(50 + nz);
            else if (x < 20) q[0] = q[1] = q[2] = (uint8_t)(120 + nz); /* shadow strip */
            else q[0] = (uint8_t)(200 + nz), q[1] = (uint8_t)(190 + nz), q[2] = (uint8_t)(170 + nz);
            truth.px[y * w + x] = g ? 255 : 0;
        }
    CHECK_OK(zt_mask_garment(&im, NULL, &m));
    CHECK(m.w == w && m.h == h && m.c == 1);
    double iou = zt_mask_iou(&m, &truth);
    CHECK_MSG(iou > 0.9, "IoU %.3f", iou);
    zt_image_free(&m);
    /* without refinement and at full size too */
    struct zt_mask_params mp;
    zt_mask_params_default(&mp);
    mp.refine_iters = 0;
    mp.work_size = 0;
    CHECK_OK(zt_mask_garment(&im, &mp, &m));
    iou = zt_mask_iou(&m, &truth);
    CHECK_MSG(iou > 0.9, "IoU %.3f without refinement", iou);
    /* a garment with a hole (a bag handle...) keeps its hole filled */
    zt_image_free(&m);
    mp.bg_dist = -1;
    CHECK_RC(zt_mask_garment(&im, &mp, &m), ZT_EINVAL);
    CHECK(m.px == NULL);
    zt_image_free(&im);
    zt_image_free(&truth);
}

/* A dark garment on a wooden floor: planks of different browns with grain
 * and dark gaps between them, some as dark as the garment. GrabCut (on for
 * shape work) finds it; the mask is the same on every call. */
static void wood_floor_garment(struct zt_image *im, struct zt_image *truth, int w, int h)
{
    CHECK_OK(zt_image_new(im, w, h, 3));
    CHECK_OK(zt_image_new(truth, w, h, 1));
    uint64_t s = 5;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int body = x >= 75 && x < 125 && y >= 35 && y < 135;
            int sleeves = y >= 35 && y < 65 && x >= 40 && x < 160;
            int g = body || sleeves, plank = y / 23, gap = y % 23 == 0;
            int nz = (int)(lcg(&s) % 31) - 15, grain = (x * (plank + 3)) % 17 < 3 ? -25 : 0;
            uint8_t *q = zt_image_at(im, x, y);
            if (g) {
                q[0] = (uint8_t)(45 + nz / 3), q[1] = (uint8_t)(48 + nz / 3), q[2] = (uint8_t)(70 + nz / 3);
            } else if (gap) {
                q[0] = q[1] = q[2] = (uint8_t)(40 + nz / 3);
            } else {
                int base = plank % 3 == 2 ? 70 + nz / 2 : 120 + (plank % 3) * 25 + grain + nz;
                q[0] = (uint8_t)base, q[1] = (uint8_t)(base * 7 / 10), q[2] = (uint8_t)(base * 4 / 10);
            }
            truth->px[(size_t)y * w + x] = g ? 255 : 0;
        }
}

TEST(hints, mask_grabcut_textured_floor)
{
    int w = 200, h = 170;
    struct zt_image im = {0}, truth = {0}, m = {0}, m2 = {0}, heur = {0}, other = {0}, om = {0};
    wood_floor_garment(&im, &truth, w, h);
    struct zt_mask_params mp;
    zt_mask_params_default(&mp);
    CHECK_OK(zt_mask_garment(&im, &mp, &heur));
    mp.grabcut_iters = ZT_MASK_GRABCUT_SHAPE;
    CHECK_OK(zt_mask_garment(&im, &mp, &m));
    CHECK(m.w == w && m.h == h && m.c == 1);
    double iou = zt_mask_iou(&m, &truth), iou_h = zt_mask_iou(&heur, &truth);
    CHECK_MSG(iou > 0.85 && iou >= iou_h, "IoU %.3f with GrabCut, %.3f without", iou, iou_h);
    CHECK(zt_mask_usable(&m));
    /* the same mask after another photo went through the same thread */
    noise_photo(&other, 90, 70, 3);
    CHECK_OK(zt_mask_garment(&other, &mp, &om));
    CHECK_OK(zt_mask_garment(&im, &mp, &m2));
    CHECK(m2.px && memcmp(m.px, m2.px, (size_t)w * h) == 0);
    /* GrabCut's mask is kept only when usable, else the heuristic's stays */
    zt_image_free(&m2);
    zt_image_free(&heur);
    CHECK_OK(zt_mask_garment(&other, NULL, &heur));
    CHECK(om.w == 90 && om.h == 70);
    CHECK(zt_mask_usable(&om) || memcmp(om.px, heur.px, (size_t)90 * 70) == 0);
    mp.grabcut_iters = 21;
    CHECK_RC(zt_mask_garment(&im, &mp, &m2), ZT_EINVAL);
    zt_image_free(&im);
    zt_image_free(&truth);
    zt_image_free(&m);
    zt_image_free(&m2);
    zt_image_free(&heur);
    zt_image_free(&other);
    zt_image_free(&om);
}

TEST(hints, mask_dataset_photo)
{
    const char *ds = zt_test_dataset();
    if (!ds) {
        CHECK_MSG(!getenv("CI"), "dataset missing in CI");
        zt_test_skip("dataset not found");
        return;
    }
    /* a grey dress on a red bed sheet: the mask is a blob in the middle */
    char path[4096];
    snprintf(path, sizeof path, "%s/train/dress/009b3c31-fb62-45c0-be9a-37a5c238cb88.jpg", ds);
    struct zt_image im = {0}, m = {0};
    CHECK_OK(zt_image_load(path, 3, NULL, &im));
    if (!im.px) return;
    CHECK_OK(zt_mask_garment(&im, NULL, &m));
    size_t on = 0, n = (size_t)m.w * m.h;
    for (size_t i = 0; i < n; i++) on += m.px[i] != 0;
    CHECK_MSG(on > n / 5 && on < n * 4 / 5, "mask covers %zu of %zu", on, n);
    CHECK(m.px[(m.h / 2) * m.w + m.w / 2] == 255); /* the centre is dress */
    CHECK(m.px[0] == 0 && m.px[n - 1] == 0);       /* the corners are not */
    zt_image_free(&im);
    zt_image_free(&m);
    /* a red knitted hat on a grey floor: the heuristic keeps only a sliver
     * of it; GrabCut finds the hat */
    snprintf(path, sizeof path, "%s/validation/hat/8f809fea-1f7d-4695-be36-a061bd77c170.jpg", ds);
    CHECK_OK(zt_image_load(path, 3, NULL, &im));
    if (!im.px) return;
    struct zt_mask_params mp;
    zt_mask_params_default(&mp);
    for (int gc = 0; gc < 2; gc++) {
        mp.grabcut_iters = gc ? ZT_MASK_GRABCUT_SHAPE : 0;
        CHECK_OK(zt_mask_garment(&im, &mp, &m));
        n = (size_t)m.w * m.h, on = 0;
        for (size_t i = 0; i < n; i++) on += m.px[i] != 0;
        if (!gc) CHECK_MSG(on < n * 15 / 100, "heuristic mask covers %zu of %zu", on, n);
        if (gc) {
            CHECK_MSG(on > n / 4 && on < n * 65 / 100, "GrabCut mask covers %zu of %zu", on, n);
            CHECK(m.px[(m.h / 2) * m.w + m.w / 2] == 255 && m.px[0] == 0 && m.px[n - 1] == 0);
        }
        zt_image_free(&m);
    }
    zt_image_free(&im);
}

/* A drawing: a 3-pixel black rectangle outline with a grey anti-aliasing
 * fringe, a red dot, a navy dot, a grey dot away from the lines. */
static void make_drawing(struct zt_image *d, struct zt_image *lines, struct zt_image *layer)
{
    const uint8_t white[4] = {255, 255, 255, 255}, clear[4] = {0, 0, 0, 0};
    CHECK_OK(zt_image_new(d, 128, 128, 3));
    CHECK_OK(zt_image_new(lines, 128, 128, 1));
    CHECK_OK(zt_image_new(layer, 128, 128, 4));
    zt_image_fill(d, white);
    zt_image_fill(lines, white);
    zt_image_fill(layer, clear);
    for (int y = 0; y < 128; y++)
        for (int x = 0; x < 128; x++) {
            int in_outer = x >= 20 && x < 108 && y >= 20 && y < 108;
            int in_inner = x >= 23 && x < 105 && y >= 23 && y < 105;
            int fr_outer = x >= 19 && x < 109 && y >= 19 && y < 109;
            int fr_inner = x >= 24 && x < 104 && y >= 24 && y < 104;
            uint8_t *q = zt_image_at(d, x, y);
            if (in_outer && !in_inner) memset(q, 10, 3), lines->px[y * 128 + x] = 0;
            else if (fr_outer && !fr_inner) memset(q, 160, 3); /* fringe */
        }
    const struct {
        int x, y, s;
        uint8_t c[3];
    } dots[] = {{50, 50, 5, {220, 30, 30}}, {70, 80, 4, {20, 30, 100}}, {40, 75, 4, {128, 128, 128}}};
    for (size_t k = 0; k < ZT_ARRAY_LEN(dots); k++)
        for (int y = dots[k].y; y < dots[k].y + dots[k].s; y++)
            for (int x = dots[k].x; x < dots[k].x + dots[k].s; x++) {
                memcpy(zt_image_at(d, x, y), dots[k].c, 3);
                uint8_t *q = zt_image_at(layer, x, y);
                memcpy(q, dots[k].c, 3);
                q[3] = 255;
            }
}

static void check_split(const struct zt_image *e, const struct zt_image *hr,
                        const struct zt_image *hm, const struct zt_image *d)
{
    /* hints: exactly the three dots (25 + 16 + 16 px), with their colours */
    int nh = 0, wrong = 0;
    for (int i = 0; i < 128 * 128; i++) {
        if (!hm->px[i]) continue;
        nh++;
        wrong += memcmp(hr->px + 3 * i, d->px + 3 * i, 3) != 0;
    }
    CHECK_EQ_INT(nh, 57);
    CHECK_EQ_INT(wrong, 0);
    CHECK_EQ_INT(hm->px[52 * 128 + 52], 255);
    CHECK_EQ_INT(hm->px[77 * 128 + 41], 255); /* grey dot */
    /* lines: thinned to one pixel, on the 3-pixel stroke's middle +-1 */
    int nl = 0, off = 0;
    for (int y = 0; y < 128; y++)
        for (int x = 0; x < 128; x++) {
            if (e->px[y * 128 + x]) continue;
            nl++;
            int dx = ZT_MIN(abs(x - 21), abs(x - 106)), dy = ZT_MIN(abs(y - 21), abs(y - 106));
            off += ZT_MIN(dx, dy) > 1;
        }
    CHECK_EQ_INT(off, 0);
    CHECK_MSG(nl > 300 && nl < 380, "%d line pixels for an 85x85 outline", nl);
}

TEST(hints, drawing_split)
{
    struct zt_image d = {0}, lines = {0}, layer = {0}, e = {0}, hr = {0}, hm = {0};
    make_drawing(&d, &lines, &layer);
    CHECK_OK(zt_drawing_split(&d, NULL, &e, &hr, &hm));
    check_split(&e, &hr, &hm, &d);
    zt_image_free(&e), zt_image_free(&hr), zt_image_free(&hm);
    CHECK_OK(zt_drawing_split_layers(&lines, &layer, NULL, &e, &hr, &hm));
    check_split(&e, &hr, &hm, &d);
    /* the planes back to a layer (the page's "trace" answer) split the same */
    struct zt_image back = {0}, e2 = {0}, hr2 = {0}, hm2 = {0};
    CHECK_OK(zt_hints_layer(&hr, &hm, &back));
    CHECK_OK(zt_drawing_split_layers(&lines, &back, NULL, &e2, &hr2, &hm2));
    CHECK(!memcmp(hm.px, hm2.px, (size_t)hm.w * hm.h) && !memcmp(hr.px, hr2.px, (size_t)hr.w * hr.h * 3));
    zt_image_free(&back), zt_image_free(&e2), zt_image_free(&hr2), zt_image_free(&hm2);
    CHECK_RC(zt_hints_layer(&hm, &hm, &back), ZT_EINVAL); /* not RGB */
    zt_image_free(&e), zt_image_free(&hr), zt_image_free(&hm);
    /* aa_radius 0: the fringe turns into grey hints, so the rule matters */
    struct zt_split_params sp;
    zt_split_params_default(&sp);
    sp.aa_radius = 0;
    CHECK_OK(zt_drawing_split(&d, &sp, &e, &hr, &hm));
    int nh = 0;
    for (int i = 0; i < 128 * 128; i++) nh += hm.px[i] != 0;
    CHECK_MSG(nh > 57 + 300, "%d hint pixels with aa_radius 0", nh);
    zt_image_free(&e), zt_image_free(&hr), zt_image_free(&hm);
    struct zt_image small = {0};
    CHECK_OK(zt_image_new(&small, 64, 64, 4));
    CHECK_RC(zt_drawing_split_layers(&lines, &small, NULL, &e, &hr, &hm), ZT_EINVAL);
    zt_image_free(&small);
    zt_image_free(&d), zt_image_free(&lines), zt_image_free(&layer);
}

/* Dabs as a drawing program exports them: anti-aliased, their rim mixed
 * with the paper, or with the black outline where a dab overlaps it. Every
 * hint pixel keeps its dab's own colour; before, a navy dot's rim made the
 * reduced hint lighter and the recoloured garment lavender. */
TEST(hints, drawing_split_takes_a_dab_colour_not_its_rim)
{
    enum { S = 256 };
    static const uint8_t navy[3] = {31, 47, 107}, red[3] = {192, 57, 43};
    const struct {
        float cx, cy, r;
        const uint8_t *c;
    } dab[] = {{100, 100, 12, navy}, {22, 150, 9, red}, {180, 80, 2, navy}};
    struct zt_image d = {0}, e = {0}, hr = {0}, hm = {0};
    CHECK_OK(zt_image_new(&d, S, S, 3));
    memset(d.px, 255, (size_t)S * S * 3);
    for (int y = 20; y < 236; y++) /* the outline: a 3-pixel black box */
        for (int x = 20; x < 236; x++)
            if (x < 23 || x >= 233 || y < 23 || y >= 233) memset(zt_image_at(&d, x, y), 0, 3);
    for (size_t k = 0; k < ZT_ARRAY_LEN(dab); k++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) { /* coverage ramps over 2 pixels */
                float a = (dab[k].r + 1 - hypotf(x - dab[k].cx, y - dab[k].cy)) / 2;
                if (a <= 0) continue;
                a = ZT_MIN(a, 1.0f);
                uint8_t *q = zt_image_at(&d, x, y);
                for (int c = 0; c < 3; c++) q[c] = (uint8_t)lrintf(a * dab[k].c[c] + (1 - a) * q[c]);
            }
    CHECK_OK(zt_drawing_split(&d, NULL, &e, &hr, &hm));
    int n[3] = {0, 0, 0}, other = 0;
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            size_t i = (size_t)y * S + x;
            if (!hm.px[i]) continue;
            int k = hypotf(x - 100.f, y - 100.f) < 16 ? 0 : hypotf(x - 22.f, y - 150.f) < 13 ? 1 : 2;
            n[k]++;
            other += memcmp(hr.px + 3 * i, dab[k].c, 3) != 0;
        }
    CHECK_MSG(other == 0, "%d hint pixels not of their dab's colour", other);
    CHECK_MSG(n[0] > 452 && n[1] > 254 && n[2] > 4, "hint pixels per dab %d %d %d", n[0], n[1], n[2]);
    zt_image_free(&e), zt_image_free(&hr), zt_image_free(&hm);
    zt_image_free(&d);
}

/* A drawing past max_side is downscaled before the split, so a huge solid
 * black upload costs what a page-sized one does (issue 14, item 1). */
TEST(hints, drawing_split_caps_size)
{
    struct zt_image d = {0}, lines = {0}, hints = {0}, e = {0}, hr = {0}, hm = {0};
    const uint8_t black[4] = {0, 0, 0, 255}, clear[4] = {0, 0, 0, 0};
    CHECK_OK(zt_image_new(&d, 2000, 1000, 3));
    zt_image_fill(&d, black);
    CHECK_OK(zt_drawing_split(&d, NULL, &e, &hr, &hm));
    CHECK_EQ_INT(e.w, 512);
    CHECK_EQ_INT(e.h, 256);
    CHECK(hr.w == 512 && hm.h == 256);
    zt_image_free(&e), zt_image_free(&hr), zt_image_free(&hm);
    CHECK_OK(zt_image_new(&lines, 1000, 3000, 4));
    CHECK_OK(zt_image_new(&hints, 1000, 3000, 4));
    zt_image_fill(&lines, black);
    zt_image_fill(&hints, clear);
    CHECK_OK(zt_drawing_split_layers(&lines, &hints, NULL, &e, &hr, &hm));
    CHECK(e.w == 170 && e.h == 512 && hm.w == 170 && hm.h == 512);
    zt_image_free(&e), zt_image_free(&hr), zt_image_free(&hm);
    /* max_side 0: no cap */
    struct zt_split_params sp;
    zt_split_params_default(&sp);
    sp.max_side = 0;
    CHECK_OK(zt_drawing_split_layers(&lines, &hints, &sp, &e, &hr, &hm));
    CHECK(e.w == 1000 && e.h == 3000);
    zt_image_free(&e), zt_image_free(&hr), zt_image_free(&hm);
    zt_image_free(&d), zt_image_free(&lines), zt_image_free(&hints);
}

/* The mean Lab colour of img over the rectangle [x0, x1) x [y0, y1). */
static void rect_mean_lab(const struct zt_image *img, int x0, int y0, int x1, int y1, float m[3])
{
    double acc[3] = {0};
    float lab[3];
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++, n++) {
            zt_rgb_to_lab(img->px + 3 * ((size_t)y * img->w + x), lab);
            for (int c = 0; c < 3; c++) acc[c] += lab[c];
        }
    for (int c = 0; c < 3; c++) m[c] = (float)(acc[c] / n);
}

/* The generated image onto the hint colours: a pink garment inside an
 * outline with one brown dab becomes brown all over, its shading kept;
 * the white outside and a second garment without a dab stay as they were;
 * no hints change nothing; a dab on the background colours only itself. */
TEST(hints, recolour_follows_the_dabs)
{
    enum { S = 64 };
    static const uint8_t pink[3] = {230, 60, 120}, brown[3] = {139, 69, 19};
    struct zt_image img = {0}, ed = {0}, hr = {0}, hm = {0};
    CHECK_OK(zt_image_new(&img, S, S, 3));
    CHECK_OK(zt_image_new(&ed, S, S, 1));
    CHECK_OK(zt_image_new(&hr, S, S, 3));
    CHECK_OK(zt_image_new(&hm, S, S, 1));
    memset(img.px, 255, S * S * 3);
    memset(ed.px, 255, S * S);
    for (int y = 8; y <= 40; y++) /* the garment: a square outline, shaded pink inside */
        for (int x = 8; x <= 40; x++) {
            uint8_t *p = img.px + 3 * (y * S + x);
            if (x == 8 || x == 40 || y == 8 || y == 40) {
                ed.px[y * S + x] = 0;
                memset(p, 0, 3);
            } else {
                for (int c = 0; c < 3; c++) p[c] = (uint8_t)(pink[c] * (0.8 + 0.2 * (x - 8) / 32.0));
            }
        }
    for (int y = 48; y < 60; y++) /* a second garment, no dab: a grey box outline */
        for (int x = 48; x < 60; x++)
            if (x == 48 || x == 59 || y == 48 || y == 59) ed.px[y * S + x] = 0;
            else memset(img.px + 3 * (y * S + x), 128, 3);
    struct zt_image before = {0};
    CHECK_OK(zt_image_new(&before, S, S, 3));
    memcpy(before.px, img.px, S * S * 3);
    CHECK_OK(zt_hints_recolour(&img, &ed, &hr, &hm, NULL)); /* no hints */
    CHECK(!memcmp(img.px, before.px, S * S * 3));
    for (int y = 22; y < 26; y++)
        for (int x = 22; x < 26; x++) hm.px[y * S + x] = 255, memcpy(hr.px + 3 * (y * S + x), brown, 3);
    CHECK_OK(zt_hints_recolour(&img, &ed, &hr, &hm, NULL));
    float want[3], lab[3], l0[3], l1[3];
    zt_rgb_to_lab(brown, want);
    float m[3];
    rect_mean_lab(&img, 10, 10, 39, 39, m);
    CHECK_MSG(zt_delta_e2000(m, want) < 3, "garment mean is %.1f dE from the hint", zt_delta_e2000(m, want));
    zt_rgb_to_lab(img.px + 3 * (30 * S + 12), l0); /* the shading survives: left darker than right */
    zt_rgb_to_lab(img.px + 3 * (30 * S + 37), l1);
    CHECK(l1[0] > l0[0] + 2);
    CHECK(img.px[3 * (2 * S + 2)] == 255 && img.px[3 * (2 * S + 2) + 2] == 255); /* outside: white */
    CHECK(!memcmp(img.px + 3 * (54 * S + 54), before.px + 3 * (54 * S + 54), 3)); /* the other box */
    /* a dab on the background only: the garment keeps its colour */
    memcpy(img.px, before.px, S * S * 3);
    memset(hm.px, 0, S * S);
    for (int y = 2; y < 5; y++)
        for (int x = 50; x < 53; x++) hm.px[y * S + x] = 255, memcpy(hr.px + 3 * (y * S + x), brown, 3);
    CHECK_OK(zt_hints_recolour(&img, &ed, &hr, &hm, NULL));
    CHECK(!memcmp(img.px + 3 * (24 * S + 24), before.px + 3 * (24 * S + 24), 3));
    zt_rgb_to_lab(img.px + 3 * (3 * S + 51), lab);
    CHECK(zt_delta_e2000(lab, want) < 3); /* the dab itself */
    CHECK_RC(zt_hints_recolour(&img, &hm, &hr, &ed, NULL), ZT_OK); /* same sizes: runs */
    struct zt_image small = {0};
    CHECK_OK(zt_image_new(&small, 32, 32, 1));
    CHECK_RC(zt_hints_recolour(&img, &small, &hr, &hm, NULL), ZT_EINVAL);
    zt_image_free(&small);
    zt_image_free(&before);
    zt_image_free(&img);
    zt_image_free(&ed);
    zt_image_free(&hr);
    zt_image_free(&hm);
}

/* A recolour test's canvas: a white S x S image, no lines, no hints. */
static void recolour_canvas(int s, struct zt_image *img, struct zt_image *ed, struct zt_image *hr,
                            struct zt_image *hm)
{
    CHECK_OK(zt_image_new(img, s, s, 3));
    CHECK_OK(zt_image_new(ed, s, s, 1));
    CHECK_OK(zt_image_new(hr, s, s, 3));
    CHECK_OK(zt_image_new(hm, s, s, 1));
    memset(img->px, 255, (size_t)s * s * 3);
    memset(ed->px, 255, (size_t)s * s);
    memset(hm->px, 0, (size_t)s * s);
}

static void recolour_canvas_free(struct zt_image *img, struct zt_image *ed, struct zt_image *hr,
                                 struct zt_image *hm)
{
    zt_image_free(img);
    zt_image_free(ed);
    zt_image_free(hr);
    zt_image_free(hm);
}

/* A doodle's strokes stop short of meeting: the outline's gap is closed,
 * so the whole garment takes the dab's colour instead of a fading patch
 * around it, and the paper outside stays paper. */
TEST(hints, recolour_closes_a_doodles_gap)
{
    enum { S = 64 };
    static const uint8_t pink[3] = {230, 60, 120}, brown[3] = {139, 69, 19};
    struct zt_image img = {0}, ed = {0}, hr = {0}, hm = {0}, out = {0};
    recolour_canvas(S, &img, &ed, &hr, &hm);
    for (int y = 8; y <= 56; y++)
        for (int x = 8; x <= 56; x++) {
            int edge = x == 8 || x == 56 || y == 8 || y == 56, gap = x == 56 && y >= 28 && y < 34;
            if (edge && !gap) ed.px[y * S + x] = 0, memset(img.px + 3 * (y * S + x), 0, 3);
            else if (!edge) memcpy(img.px + 3 * (y * S + x), pink, 3);
        }
    for (int y = 14; y < 18; y++)
        for (int x = 14; x < 18; x++) hm.px[y * S + x] = 255, memcpy(hr.px + 3 * (y * S + x), brown, 3);
    struct zt_recolour_params rp;
    zt_recolour_params_default(&rp);
    CHECK(rp.gap * S >= 6);
    float want[3], lab[3];
    zt_rgb_to_lab(brown, want);
    for (int closing = 0; closing <= 1; closing++) {
        rp.gap = closing ? 0.1 : 0;
        rp.paper = 0; /* the closing alone */
        CHECK_OK(zt_image_clone(&img, &out));
        CHECK_OK(zt_hints_recolour(&out, &ed, &hr, &hm, &rp));
        zt_rgb_to_lab(out.px + 3 * (50 * S + 50), lab); /* the far corner of the garment */
        float far = zt_delta_e2000(lab, want);
        if (closing) CHECK_MSG(far < 3, "the far corner is %.1f dE from the dab", far);
        else CHECK_MSG(far > 10, "open, the far corner should keep its pink (%.1f dE)", far);
        const uint8_t *q = out.px + 3 * (30 * S + 60); /* outside, by the gap */
        CHECK(q[0] == 255 && q[1] == 255 && q[2] == 255);
        zt_image_free(&out);
    }
    recolour_canvas_free(&img, &ed, &hr, &hm);
}

/* The network paints a dab's edge as a ring (a stamp on the preview); the
 * recolour fills the dab and its rim from the garment around, so the ring
 * goes and the shading across the garment stays. */
TEST(hints, recolour_hides_the_ring_a_dab_leaves)
{
    enum { S = 64 };
    static const uint8_t pink[3] = {230, 60, 120}, navy[3] = {31, 47, 107};
    struct zt_image img = {0}, ed = {0}, hr = {0}, hm = {0}, out = {0};
    recolour_canvas(S, &img, &ed, &hr, &hm);
    for (int y = 8; y <= 56; y++)
        for (int x = 8; x <= 56; x++) {
            uint8_t *p = img.px + 3 * (y * S + x);
            float r = hypotf(x - 32.f, y - 32.f);
            if (x == 8 || x == 56 || y == 8 || y == 56) ed.px[y * S + x] = 0, memset(p, 0, 3);
            else /* shaded left to right, a dark ring around the dab */
                for (int c = 0; c < 3; c++)
                    p[c] = (uint8_t)(pink[c] * (0.8 + 0.2 * (x - 8) / 48.0) * (r >= 3.5f && r < 5 ? 0.5 : 1));
        }
    for (int y = 29; y < 35; y++)
        for (int x = 29; x < 35; x++)
            if (hypotf(x - 31.5f, y - 31.5f) < 3.5f) hm.px[y * S + x] = 255, memcpy(hr.px + 3 * (y * S + x), navy, 3);
    struct zt_recolour_params rp;
    zt_recolour_params_default(&rp);
    CHECK(rp.stamp > 0);
    for (int stamp = 0; stamp <= 1; stamp++) {
        CHECK_OK(zt_image_clone(&img, &out));
        rp.stamp = stamp ? 2 : 0;
        CHECK_OK(zt_hints_recolour(&out, &ed, &hr, &hm, &rp));
        /* lightness on the ring against the garment 10 px farther out */
        static const int at[3][4] = {{28, 32, 18, 32}, {36, 32, 46, 32}, {32, 28, 32, 18}};
        float ring[3], off[3], worst = 0;
        for (int k = 0; k < 3; k++) {
            zt_rgb_to_lab(out.px + 3 * (at[k][1] * S + at[k][0]), ring);
            zt_rgb_to_lab(out.px + 3 * (at[k][3] * S + at[k][2]), off);
            worst = fmaxf(worst, fabsf(ring[0] - off[0]));
        }
        if (stamp) CHECK_MSG(worst < 6, "the ring is still %.1f L darker", worst);
        else CHECK_MSG(worst > 12, "without the fill the ring should show (%.1f L)", worst);
        zt_image_free(&out);
    }
    recolour_canvas_free(&img, &ed, &hr, &hm);
}

/* A sketch of loose lines that no closing makes hold its dab: the garment
 * is what the network painted, so all of it takes the dab's colour, while
 * the paper and a faint haze beside the garment stay as painted. Without
 * it (paper 0) the colour fades within a few pixels of the dab. */
TEST(hints, recolour_takes_the_garment_the_network_painted)
{
    enum { S = 64 };
    static const uint8_t pink[3] = {230, 60, 120}, brown[3] = {139, 69, 19},
                         haze[3] = {250, 236, 240};
    struct zt_image img = {0}, ed = {0}, hr = {0}, hm = {0}, out = {0};
    recolour_canvas(S, &img, &ed, &hr, &hm);
    for (int y = 8; y <= 56; y++) /* painted: a shaded pink garment */
        for (int x = 8; x <= 40; x++)
            for (int c = 0; c < 3; c++)
                img.px[3 * (y * S + x) + c] = (uint8_t)(pink[c] * (0.8 + 0.2 * (x - 8) / 32.0));
    for (int y = 8; y <= 56; y++) /* beside it, a haze; drawn: two loose strokes */
        for (int x = 41; x <= 46; x++) memcpy(img.px + 3 * (y * S + x), haze, 3);
    for (int y = 8; y <= 56; y++) ed.px[y * S + 8] = 0, memset(img.px + 3 * (y * S + 8), 0, 3);
    for (int x = 8; x <= 24; x++) ed.px[8 * S + x] = 0, memset(img.px + 3 * (8 * S + x), 0, 3);
    for (int y = 14; y < 18; y++)
        for (int x = 14; x < 18; x++) hm.px[y * S + x] = 255, memcpy(hr.px + 3 * (y * S + x), brown, 3);
    struct zt_recolour_params rp;
    zt_recolour_params_default(&rp);
    CHECK(rp.paper > 0);
    float want[3];
    zt_rgb_to_lab(brown, want);
    for (int painted = 0; painted <= 1; painted++) {
        rp.paper = painted ? 20 : 0;
        CHECK_OK(zt_image_clone(&img, &out));
        CHECK_OK(zt_hints_recolour(&out, &ed, &hr, &hm, &rp));
        float m[3]; /* the garment's mean colour */
        rect_mean_lab(&out, 10, 10, 41, 57, m);
        float de = zt_delta_e2000(m, want);
        if (painted) CHECK_MSG(de < 3, "the garment is %.1f dE from the dab", de);
        else CHECK_MSG(de > 10, "unpainted, the garment should keep its pink (%.1f dE)", de);
        CHECK(!memcmp(out.px + 3 * (30 * S + 44), haze, 3));
        const uint8_t *q = out.px + 3 * (30 * S + 56); /* the paper */
        CHECK(q[0] == 255 && q[1] == 255 && q[2] == 255);
        zt_image_free(&out);
    }
    recolour_canvas_free(&img, &ed, &hr, &hm);
}
