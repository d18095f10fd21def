/* test_pairs.c: training-pair planes, their file forms and determinism. */
#include "test.h"
#include "../src/data/pairs.h"
#include "../src/data/trainset.h"
#include "../src/util/buf.h"
#include "../src/util/fs.h"
#include "../src/util/zt.h"

#include <string.h>

/* A blue "garment" (ellipse) on a grey floor, not square. */
static void synth_photo(struct zt_image *im)
{
    CHECK_OK(zt_image_new(im, 160, 120, 3));
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) {
            double dx = (x - 80) / 45.0, dy = (y - 60) / 40.0;
            uint8_t *p = zt_image_at(im, x, y);
            if (dx * dx + dy * dy < 1) p[0] = 30, p[1] = 50, p[2] = 170;
            else p[0] = p[1] = p[2] = (uint8_t)(150 + (x * 7 + y * 3) % 5);
        }
}

TEST(pairs, planes_and_forms)
{
    struct zt_image photo;
    synth_photo(&photo);
    struct zt_pair_opts o;
    zt_pair_opts_default(&o, 128, ZT_EDGE_XDOG);
    o.hint.fixed_count = 10;
    struct zt_pair p;
    CHECK_OK(zt_pair_from_image(&photo, &o, 42, &p));
    CHECK(p.photo.w == 128 && p.photo.h == 128 && p.photo.c == 3);
    CHECK(p.edges.c == 1 && p.mask.c == 1 && p.hint_rgb.c == 3 && p.hint_mask.c == 1);
    CHECK_EQ_INT(p.nhints, 10);
    /* letterbox: 160x120 -> 128x96 content, white bands top and bottom */
    CHECK(zt_image_at(&p.photo, 64, 2)[0] == 255 && zt_image_at(&p.photo, 64, 125)[2] == 255);
    /* the mask sees the ellipse, not the white band nor the floor */
    CHECK(zt_image_at(&p.mask, 64, 64)[0] == 255);
    CHECK(zt_image_at(&p.mask, 64, 2)[0] == 0);
    CHECK(zt_image_at(&p.mask, 3, 64)[0] == 0);
    /* some line pixels, mostly paper */
    long lines = 0;
    for (int i = 0; i < 128 * 128; i++) lines += p.edges.px[i] < 128;
    CHECK_MSG(lines > 100 && lines < 128 * 128 / 5, "line pixels: %ld", lines);

    struct zt_image d, ab, layer;
    CHECK_OK(zt_pair_drawing(&p, &d));
    CHECK_OK(zt_pair_ab(&p, &ab));
    CHECK_OK(zt_pair_hint_layer(&p, &layer));
    CHECK(ab.w == 256 && ab.h == 128 && layer.c == 4);
    long hinted = 0;
    for (int i = 0; i < 128 * 128; i++) {
        int on = p.hint_mask.px[i] >= 128;
        hinted += on;
        const uint8_t *dp = d.px + 3 * i;
        if (on) CHECK(memcmp(dp, p.hint_rgb.px + 3 * i, 3) == 0 && layer.px[4 * i + 3] == 255);
        else CHECK(dp[0] == p.edges.px[i] && dp[2] == p.edges.px[i] && layer.px[4 * i + 3] == 0);
    }
    CHECK(hinted >= 10);
    /* B half of AB is the photo */
    CHECK(memcmp(zt_image_at(&ab, 128 + 64, 64), zt_image_at(&p.photo, 64, 64), 3) == 0);
    CHECK(memcmp(zt_image_at(&ab, 10, 70), zt_image_at(&d, 10, 70), 3) == 0);

    /* same seed -> same bytes; another seed -> other hints */
    struct zt_pair q, r;
    CHECK_OK(zt_pair_from_image(&photo, &o, 42, &q));
    CHECK_OK(zt_pair_from_image(&photo, &o, 43, &r));
    CHECK(memcmp(q.hint_rgb.px, p.hint_rgb.px, 128 * 128 * 3) == 0);
    CHECK(memcmp(q.edges.px, p.edges.px, 128 * 128) == 0);
    CHECK(memcmp(r.hint_mask.px, p.hint_mask.px, 128 * 128) != 0);
    zt_pair_deinit(&p);
    zt_pair_deinit(&q);
    zt_pair_deinit(&r);
    zt_pair_deinit(NULL);
    zt_image_free(&d);
    zt_image_free(&ab);
    zt_image_free(&layer);
    zt_image_free(&photo);
}

TEST(pairs, seeds_stable)
{
    CHECK(zt_pair_seed(1, "abc") == zt_pair_seed(1, "abc"));
    CHECK(zt_pair_seed(1, "abc") != zt_pair_seed(2, "abc"));
    CHECK(zt_pair_seed(1, "abc") != zt_pair_seed(1, "abd"));
}

TEST(pairs, bad_inputs)
{
    struct zt_pair_opts o;
    zt_pair_opts_default(&o, 128, ZT_EDGE_CANNY);
    struct zt_pair p;
    char path[4096];
    snprintf(path, sizeof path, "%s/missing.jpg", zt_test_tmpdir());
    CHECK_RC(zt_pair_make(path, &o, 1, &p), ZT_ENOTFOUND);
    CHECK(strstr(zt_errmsg(), "missing.jpg") != NULL);
    o.size = 8;
    struct zt_image im;
    CHECK_OK(zt_image_new(&im, 40, 40, 3));
    CHECK_RC(zt_pair_from_image(&im, &o, 1, &p), ZT_EINVAL);
    zt_image_free(&im);
}

/* A pairs folder written by hand: one pair whose planes are known. */
TEST(pairs, trainset_from_pairs_output)
{
    char dir[4096], p[4200];
    snprintf(dir, sizeof dir, "%s/pairsdir", zt_test_tmpdir());
    snprintf(p, sizeof p, "%s/train", dir);
    CHECK_OK(zt_mkdirs(p));
    snprintf(p, sizeof p, "%s/hints/train", dir);
    CHECK_OK(zt_mkdirs(p));
    const int S = 64;
    struct zt_image ab, hl;
    CHECK_OK(zt_image_new(&ab, 2 * S, S, 3));
    CHECK_OK(zt_image_new(&hl, S, S, 4));
    uint8_t white[3] = {255, 255, 255};
    zt_image_fill(&ab, white);
    for (int y = 0; y < S; y++) {
        memset(zt_image_at(&ab, 20, y), 0, 3);               /* a vertical line in A */
        uint8_t *b = zt_image_at(&ab, S + y % S, y);
        b[0] = 200, b[1] = 10, b[2] = 10;                     /* something in B */
    }
    for (int y = 30; y < 34; y++)
        for (int x = 40; x < 44; x++) {
            uint8_t *h = zt_image_at(&hl, x, y), *a = zt_image_at(&ab, x, y);
            h[0] = 10, h[1] = 20, h[2] = 200, h[3] = 255;
            a[0] = 10, a[1] = 20, a[2] = 200;
        }
    snprintf(p, sizeof p, "%s/train/x1.png", dir);
    CHECK_OK(zt_image_save(&ab, p));
    snprintf(p, sizeof p, "%s/hints/train/x1.png", dir);
    CHECK_OK(zt_image_save(&hl, p));
    const char *man = "{\"id\":\"x1\",\"split\":\"train\",\"category\":\"pants\",\"class\":\"pants\","
                      "\"file\":\"train/x1.png\",\"hints_file\":\"hints/train/x1.png\"}\n"
                      "{\"id\":\"x2\",\"split\":\"val\",\"category\":\"pants\",\"class\":\"pants\","
                      "\"file\":\"val/x2.png\",\"hints_file\":\"hints/val/x2.png\"}\n";
    snprintf(p, sizeof p, "%s/manifest.jsonl", dir);
    CHECK_OK(zt_file_write_atomic(p, man, strlen(man)));
    snprintf(p, sizeof p, "%s/pairs.json", dir);
    CHECK_OK(zt_file_write_atomic(p, "{}", 2));
    CHECK(zt_trainset_is_pairs_dir(dir));

    struct zt_catmap map;
    CHECK_OK(zt_catmap_default(&map));
    struct zt_trainset ts;
    int skipped = -1;
    CHECK_OK(zt_trainset_build_pairs(dir, ZT_SPLIT_TRAIN, &map, S, S, NULL, &ts, &skipped));
    CHECK_EQ_INT(ts.n, 1);
    CHECK_EQ_INT(skipped, 0);
    if (ts.n == 1) {
        struct zt_train_item *it = &ts.it[0];
        CHECK_EQ_INT(it->category, 1);
        CHECK(zt_image_at(&it->edges, 20, 5)[0] == 0 && zt_image_at(&it->edges, 21, 5)[0] == 255);
        CHECK(zt_image_at(&it->edges, 41, 31)[0] == 255); /* under the hint: no line */
        CHECK(zt_image_at(&it->hint_mask, 41, 31)[0] == 255 && zt_image_at(&it->hint_mask, 10, 10)[0] == 0);
        CHECK(zt_image_at(&it->hint_rgb, 41, 31)[2] == 200);
        CHECK(memcmp(zt_image_at(&it->photo, 7, 7), zt_image_at(&ab, S + 7, 7), 3) == 0);
        /* a batch without augmentation carries the fixed hints into the input planes */
        float A[5 * 64 * 64], B[3 * 64 * 64];
        int idx = 0;
        struct zt_batch_opts bo = {0};
        CHECK_OK(zt_trainset_batch(&ts, &idx, 1, 1, &bo, A, B));
        CHECK(A[4 * S * S + 31 * S + 41] == 1.0f && A[4 * S * S + 10 * S + 10] == 0.0f);
        CHECK(A[20] == -1.0f && A[21] == 1.0f);
    }
    /* the val entry points at missing files: skipped with a warning, not fatal */
    struct zt_trainset tv;
    CHECK_RC(zt_trainset_build_pairs(dir, ZT_SPLIT_VAL, &map, S, S, NULL, &tv, &skipped), ZT_ENOTFOUND);
    CHECK_EQ_INT(skipped, 1);
    CHECK_OK(zt_trainset_keep_category(&ts, 1));
    CHECK_RC(zt_trainset_keep_category(&ts, 0), ZT_ENOTFOUND);
    zt_trainset_deinit(&ts);
    zt_catmap_deinit(&map);
    zt_image_free(&ab);
    zt_image_free(&hl);
}

/* Tracing a photo keeps the garment: background lines go, the outline comes. */
TEST(pairs, garment_only)
{
    struct zt_pair p = {0};
    CHECK_OK(zt_image_new(&p.edges, 64, 64, 1));
    CHECK_OK(zt_image_new(&p.mask, 64, 64, 1));
    CHECK_OK(zt_image_new(&p.hint_rgb, 64, 64, 3));
    CHECK_OK(zt_image_new(&p.hint_mask, 64, 64, 1));
    memset(p.edges.px, 255, 64 * 64);
    for (int y = 16; y < 48; y++) /* a T: body and sleeves */
        for (int x = 12; x < 52; x++)
            if ((x >= 20 && x < 44) || y < 26) p.mask.px[y * 64 + x] = 255;
    for (int x = 0; x < 64; x++) p.edges.px[4 * 64 + x] = 0;   /* a hanger's rail */
    for (int y = 20; y < 40; y++) p.edges.px[y * 64 + 30] = 0; /* a seam inside */
    p.hint_mask.px[2 * 64 + 2] = 255;                           /* a dab on the wall */
    p.hint_mask.px[30 * 64 + 32] = 255;                         /* one on the garment */
    CHECK(zt_pair_garment_only(&p) == 1);
    for (int x = 0; x < 64; x++) CHECK(p.edges.px[4 * 64 + x] == 255);
    for (int y = 20; y < 40; y++) CHECK(p.edges.px[y * 64 + 30] == 0);
    CHECK(p.edges.px[16 * 64 + 30] == 0 && p.edges.px[47 * 64 + 30] == 0); /* the outline */
    CHECK(p.hint_mask.px[2 * 64 + 2] == 0 && p.hint_mask.px[30 * 64 + 32] == 255);
    /* a mask that is the whole frame's rectangle: left alone */
    memset(p.mask.px, 0, 64 * 64);
    for (int y = 8; y < 56; y++)
        for (int x = 8; x < 56; x++) p.mask.px[y * 64 + x] = 255;
    memset(p.edges.px, 255, 64 * 64);
    CHECK(zt_pair_garment_only(&p) == 0);
    for (int i = 0; i < 64 * 64; i++) CHECK(p.edges.px[i] == 255);
    zt_pair_deinit(&p);
}
