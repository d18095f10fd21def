/* test_pairs.c: training-pair planes, their file forms and determinism. */
#include "test.h"
#include "../src/data/pairs.h"
#include "../src/data/trainset.h"
#include "../src/util/buf.h"
#include "../src/util/fs.h"
#include "../src/util/zt.h"

#include <stdio.h>
#include <stdlib.h>
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

/* The preview's target: the garment on white, only where the mask is
 * trusted (its outline follows the photo's edges). */
TEST(pairs, white_background)
{
    struct zt_pair p = {0};
    CHECK_OK(zt_image_new(&p.photo, 64, 64, 3));
    CHECK_OK(zt_image_new(&p.edges, 64, 64, 1));
    CHECK_OK(zt_image_new(&p.mask, 64, 64, 1));
    for (int i = 0; i < 64 * 64; i++) p.photo.px[3 * i] = 200, p.photo.px[3 * i + 1] = 120; /* a warm wall */
    memset(p.edges.px, 255, 64 * 64);
    for (int y = 16; y < 48; y++) /* a T: body and sleeves */
        for (int x = 12; x < 52; x++)
            if ((x >= 20 && x < 44) || y < 26) p.mask.px[y * 64 + x] = 255;
    /* no edges along its outline: a mask that caught a print or a shadow */
    CHECK(zt_pair_white_background(&p) == 0);
    CHECK(p.photo.px[0] == 200 && p.photo.px[1] == 120);
    for (int y = 0; y < 64; y++) /* the photo's edges along the outline */
        for (int x = 0; x < 64; x++) {
            int in = p.mask.px[y * 64 + x] >= 128, edge = 0;
            for (int d = 0; d < 4 && in; d++) {
                int u = x + (d == 0) - (d == 1), v = y + (d == 2) - (d == 3);
                edge |= u < 0 || v < 0 || u >= 64 || v >= 64 || p.mask.px[v * 64 + u] < 128;
            }
            if (edge) p.edges.px[y * 64 + x] = 0;
        }
    CHECK(zt_pair_white_background(&p) == 1);
    CHECK(p.photo.px[0] == 255 && p.photo.px[1] == 255 && p.photo.px[2] == 255);
    const uint8_t *in = p.photo.px + 3 * (30 * 64 + 32);
    CHECK(in[0] == 200 && in[1] == 120 && in[2] == 0); /* the garment keeps its colour */
    /* a mask of 6 % of the frame is not trusted */
    memset(p.mask.px, 0, 64 * 64);
    for (int y = 28; y < 44; y++)
        for (int x = 28; x < 44; x++) p.mask.px[y * 64 + x] = 255;
    for (int i = 0; i < 64 * 64; i++) p.photo.px[3 * i] = 10;
    CHECK(zt_pair_white_background(&p) == 0);
    CHECK(p.photo.px[0] == 10);
    zt_pair_deinit(&p);
}

/* The shopper mix (zt_batch_opts.shopper): about 30 % of the samples are
 * doodles (lines that are not the photo's edge map), the rest keep the edge
 * map; hints are set where the mask says, in [-1, 1], and the same seed
 * gives the same batch. Without it every sample is the edge map. */
TEST(pairs, shopper_mix)
{
    enum { S = 64, N = 60 };
    struct zt_trainset ts = {.load = S, .crop = S, .ncat = 0};
    zt_hint_params_default(&ts.hint);
    ts.it = calloc(N, sizeof *ts.it);
    CHECK(ts.it != NULL);
    if (!ts.it) return;
    ts.n = N;
    for (int k = 0; k < N; k++) {
        struct zt_train_item *it = &ts.it[k];
        char id[16];
        snprintf(id, sizeof id, "s%d", k);
        it->id = strdup(id);
        CHECK_OK(zt_image_new(&it->photo, S, S, 3));
        CHECK_OK(zt_image_new(&it->edges, S, S, 1));
        CHECK_OK(zt_image_new(&it->mask, S, S, 1));
        memset(it->photo.px, 255, S * S * 3);
        memset(it->edges.px, 255, S * S);
        int arm = 8 + k % 5; /* sleeves of a few lengths */
        for (int y = 14; y < 52; y++)
            for (int x = 20 - arm; x < 44 + arm; x++)
                if ((x >= 20 && x < 44) || y < 26) {
                    it->mask.px[y * S + x] = 255;
                    uint8_t *p = it->photo.px + 3 * (y * S + x);
                    p[0] = 30, p[1] = 40, p[2] = (uint8_t)(120 + k);
                }
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                if (it->mask.px[y * S + x] < 128) continue;
                int edge = 0;
                for (int d = 0; d < 4; d++) {
                    int u = x + (d == 0) - (d == 1), v = y + (d == 2) - (d == 3);
                    edge |= it->mask.px[v * S + u] < 128;
                }
                if (edge) it->edges.px[y * S + x] = 0;
            }
    }
    int idx[N];
    for (int k = 0; k < N; k++) idx[k] = k;
    size_t in = (size_t)5 * S * S;
    float *A = malloc(sizeof(float) * in * N), *A2 = malloc(sizeof(float) * in * N),
          *B = malloc(sizeof(float) * 3 * S * S * N);
    CHECK(A && A2 && B);
    struct zt_batch_opts bo = {.shopper = 1};
    CHECK_OK(zt_trainset_batch(&ts, idx, N, 11, &bo, A, B));
    CHECK_OK(zt_trainset_batch(&ts, idx, N, 11, &bo, A2, B));
    CHECK(!memcmp(A, A2, sizeof(float) * in * N));
    int doodles = 0, hinted = 0;
    for (int k = 0; k < N; k++) {
        const float *a = A + k * in;
        int differ = 0, nh = 0;
        for (int i = 0; i < S * S; i++) {
            float e = ts.it[k].edges.px[i] / 127.5f - 1.0f, m = a[4 * S * S + i];
            CHECK(m == 0.0f || m == 1.0f);
            if (m == 1.0f) {
                nh++;
                for (int c = 1; c <= 3; c++) CHECK(a[c * S * S + i] >= -1.0f && a[c * S * S + i] <= 1.0f);
            } else {
                for (int c = 1; c <= 3; c++) CHECK(a[c * S * S + i] == 0.0f);
            }
            differ += a[i] != e && m == 0.0f; /* lines away from a dab */
        }
        doodles += differ > 20;
        hinted += nh > 0;
    }
    CHECK_MSG(doodles >= N * 15 / 100 && doodles <= N * 45 / 100, "%d doodles of %d", doodles, N);
    CHECK_MSG(hinted >= N / 2, "%d hinted of %d", hinted, N);
    bo.shopper = 0; /* the classic mix: the edge map every time */
    CHECK_OK(zt_trainset_batch(&ts, idx, N, 11, &bo, A, B));
    for (int k = 0; k < N; k++)
        for (int i = 0; i < S * S; i++)
            if (A[k * in + i] != ts.it[k].edges.px[i] / 127.5f - 1.0f) {
                CHECK_MSG(0, "sample %d: pixel %d is not the edge map", k, i);
                k = N;
                break;
            }
    free(A);
    free(A2);
    free(B);
    zt_trainset_deinit(&ts);
}
