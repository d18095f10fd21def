/* test_edges.c: edge maps (img/edges.h) on synthetic shapes: outlines come
 * back where the true boundary is, flat areas stay blank, no frame line on
 * letterboxed images, speckles, thinning, the soft-map post-process. */
#include "test.h"
#include "../src/img/edges.h"
#include "../src/img/image.h"
#include "../src/util/zt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* signed-free distance of (x, y) to the outline of the rect [x0,x1)x[y0,y1) */
static double rect_dist(int x, int y, int x0, int y0, int x1, int y1)
{
    int in = x >= x0 && x < x1 && y >= y0 && y < y1;
    if (in) return ZT_MIN(ZT_MIN(x - x0, x1 - 1 - x), ZT_MIN(y - y0, y1 - 1 - y));
    double dx = ZT_MAX(ZT_MAX(x0 - x, x - (x1 - 1)), 0), dy = ZT_MAX(ZT_MAX(y0 - y, y - (y1 - 1)), 0);
    return sqrt(dx * dx + dy * dy);
}

static void fill_rect(struct zt_image *im, int x0, int y0, int x1, int y1, const uint8_t *col)
{
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) memcpy(zt_image_at(im, x, y), col, (size_t)im->c);
}

static int64_t count_lines(const struct zt_image *d)
{
    int64_t n = 0;
    for (size_t i = 0; i < (size_t)d->w * d->h; i++) n += d->px[i] == 0;
    return n;
}

/* every line pixel within tol of the rect outline; >= cover of the outline
 * pixels have a line pixel within tol */
static void check_rect_outline(const struct zt_image *d, int x0, int y0, int x1, int y1,
                               double tol, double cover)
{
    CHECK_EQ_INT(d->c, 1);
    int bad = 0, total = 0, hit = 0;
    for (int y = 0; y < d->h; y++)
        for (int x = 0; x < d->w; x++)
            if (d->px[(size_t)y * d->w + x] == 0 && rect_dist(x, y, x0, y0, x1, y1) > tol) bad++;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            if (rect_dist(x, y, x0, y0, x1, y1) != 0) continue;
            total++;
            int found = 0;
            int t = (int)ceil(tol);
            for (int dy = -t; dy <= t && !found; dy++)
                for (int dx = -t; dx <= t && !found; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if (xx >= 0 && yy >= 0 && xx < d->w && yy < d->h &&
                        d->px[(size_t)yy * d->w + xx] == 0 && hypot(dx, dy) <= tol)
                        found = 1;
                }
            hit += found;
        }
    CHECK_MSG(bad == 0, "%d line pixels farther than %.1f from the outline", bad, tol);
    CHECK_MSG(hit >= cover * total, "outline covered %d/%d", hit, total);
}

TEST(edges, canny_rect_outline)
{
    struct zt_image im = {0}, d = {0};
    const uint8_t white[3] = {255, 255, 255}, grey[3] = {70, 80, 90};
    CHECK_OK(zt_image_new(&im, 160, 120, 3));
    zt_image_fill(&im, white);
    fill_rect(&im, 40, 30, 120, 95, grey);
    CHECK_OK(zt_edges_detect(&im, NULL, &d));
    CHECK(d.w == 160 && d.h == 120);
    check_rect_outline(&d, 40, 30, 120, 95, 2.0, 0.9);
    /* roughly one closed 1-pixel outline: not doubled, not missing */
    int64_t n = count_lines(&d);
    CHECK_MSG(n > 220 && n < 330, "%lld line pixels for a 290-pixel outline", (long long)n);
    zt_image_free(&im);
    zt_image_free(&d);
}

TEST(edges, canny_ellipse_outline)
{
    struct zt_image im = {0}, d = {0};
    CHECK_OK(zt_image_new(&im, 200, 200, 1));
    double cx = 95, cy = 104, a = 60, b = 40;
    for (int y = 0; y < 200; y++)
        for (int x = 0; x < 200; x++) {
            double r = hypot((x - cx) / a, (y - cy) / b);
            im.px[y * 200 + x] = r < 1 ? 40 : 230;
        }
    CHECK_OK(zt_edges_detect(&im, NULL, &d));
    int bad = 0, hit = 0, total = 0;
    for (int y = 0; y < 200; y++)
        for (int x = 0; x < 200; x++) {
            double r = hypot((x - cx) / a, (y - cy) / b);
            double dist = fabs(r - 1) * b; /* conservative: b is the short axis */
            if (d.px[y * 200 + x] == 0 && fabs(r - 1) * a > 2.5) bad++;
            if (dist < 0.5) {
                total++;
                int found = 0;
                for (int dy = -2; dy <= 2; dy++)
                    for (int dx = -2; dx <= 2; dx++) found |= d.px[(y + dy) * 200 + x + dx] == 0;
                hit += found;
            }
        }
    CHECK_MSG(bad == 0, "%d line pixels off the ellipse", bad);
    CHECK_MSG(hit >= 0.9 * total, "ellipse covered %d/%d", hit, total);
    zt_image_free(&im);
    zt_image_free(&d);
}

TEST(edges, xdog_rect_outline)
{
    struct zt_image im = {0}, d = {0};
    const uint8_t white[3] = {250, 250, 250}, dark[3] = {30, 60, 40};
    CHECK_OK(zt_image_new(&im, 128, 128, 3));
    zt_image_fill(&im, white);
    fill_rect(&im, 30, 34, 100, 90, dark);
    struct zt_edge_params p;
    zt_edge_params_default(&p, ZT_EDGE_XDOG);
    CHECK_OK(zt_edges_detect(&im, &p, &d));
    check_rect_outline(&d, 30, 34, 100, 90, 2.5, 0.85);
    /* the dark interior must not fill in (xdog_flat) */
    int inside = 0;
    for (int y = 40; y < 84; y++)
        for (int x = 36; x < 94; x++) inside += d.px[y * 128 + x] == 0;
    CHECK_EQ_INT(inside, 0);
    zt_image_free(&d);
    /* the textbook form (xdog_flat 0) does fill dark areas: the switch works */
    p.xdog_flat = 0;
    p.thin = 0;
    p.mask_gate = 0;
    CHECK_OK(zt_edges_detect(&im, &p, &d));
    inside = 0;
    for (int y = 40; y < 84; y++)
        for (int x = 36; x < 94; x++) inside += d.px[y * 128 + x] == 0;
    CHECK_MSG(inside > 2000, "textbook XDoG filled only %d interior pixels", inside);
    zt_image_free(&im);
    zt_image_free(&d);
}

TEST(edges, flat_and_noise_give_nothing)
{
    struct zt_image im = {0}, d = {0};
    CHECK_OK(zt_image_new(&im, 96, 80, 3));
    uint64_t s = 12345;
    for (size_t i = 0; i < (size_t)96 * 80 * 3; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        im.px[i] = (uint8_t)(140 + (int)((s >> 33) % 7) - 3); /* +-3 noise */
    }
    for (int m = 0; m < 2; m++) {
        struct zt_edge_params p;
        zt_edge_params_default(&p, m ? ZT_EDGE_XDOG : ZT_EDGE_CANNY);
        CHECK_OK(zt_edges_detect(&im, &p, &d));
        CHECK_EQ_INT(count_lines(&d), 0);
        zt_image_free(&d);
    }
    zt_image_free(&im);
}

TEST(edges, colour_edge_of_equal_luminance)
{
    /* red (255,0,0) and green (0,130,0) have the same luminance (~76) */
    struct zt_image im = {0}, d = {0};
    const uint8_t red[3] = {255, 0, 0}, green[3] = {0, 130, 0};
    CHECK_OK(zt_image_new(&im, 128, 128, 3));
    zt_image_fill(&im, red);
    fill_rect(&im, 32, 32, 96, 96, green);
    struct zt_edge_params p;
    zt_edge_params_default(&p, ZT_EDGE_CANNY);
    p.mask_gate = 0;
    CHECK_OK(zt_edges_detect(&im, &p, &d));
    check_rect_outline(&d, 32, 32, 96, 96, 2.0, 0.9);
    zt_image_free(&d);
    p.color = 0;
    CHECK_OK(zt_edges_detect(&im, &p, &d));
    CHECK_EQ_INT(count_lines(&d), 0);
    zt_image_free(&im);
    zt_image_free(&d);
}

/* A 100x60 "photo" (grey floor, dark garment) letterboxed into 128x128
 * white: the photo's top and bottom rows must not become lines. */
TEST(edges, no_frame_on_letterbox)
{
    struct zt_image photo = {0}, im = {0}, d = {0};
    const uint8_t floor_[3] = {150, 140, 120}, dark[3] = {40, 40, 60}, white[3] = {255, 255, 255};
    CHECK_OK(zt_image_new(&photo, 128, 60, 3));
    zt_image_fill(&photo, floor_);
    fill_rect(&photo, 40, 15, 90, 45, dark);
    CHECK_OK(zt_image_new(&im, 128, 128, 3));
    zt_image_fill(&im, white);
    zt_image_paste(&im, &photo, 0, 34);
    int r[4];
    zt_edges_find_pad(&im, 8, r);
    CHECK(r[0] == 0 && r[1] == 34 && r[2] == 128 && r[3] == 60);
    for (int m = 0; m < 2; m++) {
        struct zt_edge_params p;
        zt_edge_params_default(&p, m ? ZT_EDGE_XDOG : ZT_EDGE_CANNY);
        CHECK_OK(zt_edges_detect(&im, &p, &d));
        check_rect_outline(&d, 40, 49, 90, 79, 2.5, 0.85);
        zt_image_free(&d);
        /* without pad suppression the frame appears: the test can fail */
        p.suppress_pad = 0;
        p.border = 0;
        p.mask_gate = 0;
        CHECK_OK(zt_edges_detect(&im, &p, &d));
        int frame = 0;
        for (int x = 10; x < 118; x++)
            for (int y = 31; y <= 37; y++) frame += d.px[y * 128 + x] == 0;
        CHECK_MSG(frame > 80, "method %d: expected a frame line without suppression, %d px", m,
                  frame);
        zt_image_free(&d);
    }
    zt_image_free(&photo);
    zt_image_free(&im);
}

/* A garment on a plain white background near the top is not a pad: its top
 * outline must survive. */
TEST(edges, white_background_is_not_pad)
{
    struct zt_image im = {0}, d = {0};
    const uint8_t white[3] = {255, 255, 255}, blue[3] = {30, 60, 160};
    CHECK_OK(zt_image_new(&im, 128, 128, 3));
    zt_image_fill(&im, white);
    fill_rect(&im, 30, 20, 98, 110, blue);
    int r[4];
    zt_edges_find_pad(&im, 8, r);
    CHECK(r[0] == 0 && r[1] == 0 && r[2] == 128 && r[3] == 128);
    CHECK_OK(zt_edges_detect(&im, NULL, &d));
    check_rect_outline(&d, 30, 20, 98, 110, 2.0, 0.9);
    zt_image_free(&im);
    zt_image_free(&d);
}

TEST(edges, speckles_removed)
{
    struct zt_image d = {0};
    const uint8_t white = 255;
    CHECK_OK(zt_image_new(&d, 64, 64, 1));
    zt_image_fill(&d, &white);
    for (int i = 0; i < 3; i++) d.px[10 * 64 + 10 + i] = 0;          /* 3-px dash */
    for (int i = 0; i < 30; i++) d.px[(20 + i) * 64 + 20 + i] = 0;    /* diagonal line */
    d.px[60 * 64 + 60] = 0;                                          /* dot */
    CHECK_EQ_INT(zt_edges_remove_speckles(&d, 10), 4);
    CHECK_EQ_INT(count_lines(&d), 30);
    CHECK_EQ_INT(d.px[10 * 64 + 11], 255);
    CHECK_EQ_INT(d.px[30 * 64 + 30], 0);
    zt_image_free(&d);
}

TEST(edges, thin_and_dilate)
{
    struct zt_image d = {0};
    const uint8_t white = 255;
    CHECK_OK(zt_image_new(&d, 64, 32, 1));
    zt_image_fill(&d, &white);
    for (int y = 12; y < 17; y++)
        for (int x = 8; x < 56; x++) d.px[y * 64 + x] = 0; /* 5-px thick bar */
    CHECK_OK(zt_edges_thin(&d));
    /* one pixel per column in the middle part, on the centre row +-1 */
    for (int x = 14; x < 50; x++) {
        int n = 0, row = -1;
        for (int y = 0; y < 32; y++)
            if (d.px[y * 64 + x] == 0) n++, row = y;
        CHECK_MSG(n == 1 && abs(row - 14) <= 1, "column %d: %d pixels, row %d", x, n, row);
    }
    CHECK_OK(zt_edges_dilate(&d, 3));
    for (int x = 14; x < 50; x++) {
        int n = 0;
        for (int y = 0; y < 32; y++) n += d.px[y * 64 + x] == 0;
        CHECK_MSG(n == 3, "column %d: width %d after dilating to 3", x, n);
    }
    zt_image_free(&d);
}

/* Zhang-Suen as the paper states it: every pixel, every sub-pass, until
 * nothing changes. The library's work-list version must match it. */
static void thin_reference(uint8_t *e, int w, int h)
{
    uint8_t *del = malloc((size_t)w * h);
    if (!del) return;
#define P(xx, yy) (((xx) >= 0 && (yy) >= 0 && (xx) < w && (yy) < h) ? e[(yy) * w + (xx)] : 0)
    for (int changed = 1; changed;) {
        changed = 0;
        for (int pass = 0; pass < 2; pass++) {
            memset(del, 0, (size_t)w * h);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    if (!e[y * w + x]) continue;
                    int v[8] = {P(x, y - 1), P(x + 1, y - 1), P(x + 1, y), P(x + 1, y + 1),
                                P(x, y + 1), P(x - 1, y + 1), P(x - 1, y), P(x - 1, y - 1)};
                    int b = 0, a = 0;
                    for (int i = 0; i < 8; i++) b += v[i], a += !v[i] && v[(i + 1) & 7];
                    if (b < 2 || b > 6 || a != 1) continue;
                    if (pass == 0 ? (v[0] && v[2] && v[4]) || (v[2] && v[4] && v[6])
                                  : (v[0] && v[2] && v[6]) || (v[0] && v[4] && v[6]))
                        continue;
                    del[y * w + x] = 1;
                }
            for (int i = 0; i < w * h; i++)
                if (del[i]) e[i] = 0, changed = 1;
        }
    }
#undef P
    free(del);
}

TEST(edges, thin_matches_full_scan_reference)
{
    /* blobs, a solid block, lines and noise of several densities */
    uint64_t r = 12345;
    for (int round = 0; round < 6; round++) {
        int w = 40 + round * 13, h = 33 + round * 7;
        struct zt_image d = {0};
        CHECK_OK(zt_image_new(&d, w, h, 1));
        uint8_t *ref = malloc((size_t)w * h);
        CHECK(ref != NULL);
        if (!ref) return;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                r = r * 6364136223846793005ull + 1442695040888963407ull;
                int noise = (int)(r >> 60) < 2 + round * 2;
                int block = x > w / 4 && x < w / 2 && y > h / 5 && y < h - 3;
                int disk = (x - 3 * w / 4) * (x - 3 * w / 4) + (y - h / 2) * (y - h / 2) < 64;
                int on = block || disk || (round > 2 && noise) || y == 2;
                d.px[y * w + x] = on ? 0 : 255;
                ref[y * w + x] = (uint8_t)on;
            }
        CHECK_OK(zt_edges_thin(&d));
        thin_reference(ref, w, h);
        int diff = 0;
        for (int i = 0; i < w * h; i++) diff += (d.px[i] == 0) != ref[i];
        CHECK_MSG(diff == 0, "round %d (%dx%d): %d pixels differ from the reference", round, w, h, diff);
        free(ref);
        zt_image_free(&d);
    }
}

/* A solid black square used to take (side / 2) full scans; now it is linear
 * (the time is measured in bench/bench_hostile.sh, this only checks it ends
 * with a sane skeleton). */
TEST(edges, thin_solid_block)
{
    struct zt_image d = {0};
    const uint8_t black = 0;
    CHECK_OK(zt_image_new(&d, 1024, 1024, 1));
    zt_image_fill(&d, &black);
    CHECK_OK(zt_edges_thin(&d));
    int64_t n = count_lines(&d);
    CHECK_MSG(n > 0 && n < 8 * 1024, "%lld line pixels left of a solid 1024^2 block", (long long)n);
    zt_image_free(&d);
}

TEST(edges, soft_map_post_process)
{
    int w = 96, h = 96;
    float *soft = calloc((size_t)w * h, sizeof *soft);
    CHECK(soft != NULL);
    if (!soft) return;
    /* a 3-px wide vertical ridge at x = 47..49, y = 10..85 */
    for (int y = 10; y < 86; y++) {
        soft[y * w + 46] = 0.3f;
        soft[y * w + 47] = 0.8f;
        soft[y * w + 48] = 0.95f;
        soft[y * w + 49] = 0.7f;
        soft[y * w + 50] = 0.3f;
    }
    soft[20 * w + 20] = 0.9f;            /* lone speck */
    for (int x = 60; x < 90; x++) soft[70 * w + x] = 0.45f; /* below threshold */
    struct zt_edge_params p;
    zt_edge_params_default(&p, ZT_EDGE_DEXINED);
    struct zt_image d = {0};
    CHECK_OK(zt_edges_from_soft(soft, w, h, &p, NULL, &d));
    CHECK_EQ_INT(d.px[20 * w + 20], 255);
    CHECK_EQ_INT(d.px[70 * w + 75], 255);
    for (int y = 20; y < 76; y++) {
        int n = 0;
        for (int x = 0; x < w; x++) n += d.px[y * w + x] == 0;
        CHECK_MSG(n == 1, "row %d: %d line pixels after thinning", y, n);
        CHECK(d.px[y * w + 48] == 0 || d.px[y * w + 47] == 0 || d.px[y * w + 49] == 0);
    }
    zt_image_free(&d);
    /* the content rect keeps lines out of the pad */
    int rect[4] = {0, 0, 96, 40};
    CHECK_OK(zt_edges_from_soft(soft, w, h, &p, rect, &d));
    for (int y = 40; y < h; y++)
        for (int x = 0; x < w; x++) CHECK(d.px[y * w + x] == 255);
    zt_image_free(&d);
    int bad[4] = {50, 0, 60, 10};
    CHECK_RC(zt_edges_from_soft(soft, w, h, &p, bad, &d), ZT_EINVAL);
    free(soft);
}

TEST(edges, params_and_methods)
{
    enum zt_edge_method m;
    CHECK_OK(zt_edge_method_parse("xdog", &m));
    CHECK_EQ_INT(m, ZT_EDGE_XDOG);
    CHECK_RC(zt_edge_method_parse("sobel", &m), ZT_EINVAL);
    CHECK(!strcmp(zt_edge_method_name(ZT_EDGE_CANNY), "canny"));
    struct zt_image im = {0}, d = {0};
    CHECK_OK(zt_image_new(&im, 32, 32, 3));
    struct zt_edge_params p;
    zt_edge_params_default(&p, ZT_EDGE_DEXINED);
    CHECK_RC(zt_edges_detect(&im, &p, &d), ZT_EINVAL); /* not implemented yet */
    zt_edge_params_default(&p, ZT_EDGE_CANNY);
    p.high = 1, p.low = 2;
    CHECK_RC(zt_edges_detect(&im, &p, &d), ZT_EINVAL);
    zt_edge_params_default(&p, ZT_EDGE_CANNY);
    p.soft_thresh = 1.5f;
    CHECK_RC(zt_edges_detect(&im, &p, &d), ZT_EINVAL);
    CHECK(d.px == NULL);
    /* tiny images work */
    struct zt_image t = {0};
    CHECK_OK(zt_image_new(&t, 1, 1, 1));
    CHECK_OK(zt_edges_detect(&t, NULL, &d));
    CHECK(d.w == 1 && d.h == 1 && d.px[0] == 255);
    zt_image_free(&t);
    zt_image_free(&d);
    zt_image_free(&im);
}

/* Dataset smoke test: real photos give a sane line density. */
TEST(edges, dataset_density)
{
    const char *ds = zt_test_dataset();
    if (!ds) {
        CHECK_MSG(!getenv("CI"), "dataset missing in CI");
        zt_test_skip("dataset not found");
        return;
    }
    const char *files[] = {"train/dress/009b3c31-fb62-45c0-be9a-37a5c238cb88.jpg",
                           "train/dress/041c6bde-e737-46fd-9586-984c1503941f.jpg"};
    for (size_t i = 0; i < ZT_ARRAY_LEN(files); i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", ds, files[i]);
        struct zt_image im = {0}, lb = {0}, d = {0};
        const uint8_t white[3] = {255, 255, 255};
        CHECK_OK(zt_image_load(path, 3, NULL, &im));
        if (!im.px) continue;
        CHECK_OK(zt_image_letterbox(&im, 256, white, &lb, NULL, NULL, NULL, NULL));
        CHECK_OK(zt_edges_detect(&lb, NULL, &d));
        double frac = (double)count_lines(&d) / (256.0 * 256.0);
        CHECK_MSG(frac > 0.005 && frac < 0.12, "%s: line density %.4f", files[i], frac);
        zt_image_free(&im);
        zt_image_free(&lb);
        zt_image_free(&d);
    }
}
