/* test_index.c: the vector index: top-k heap, scan kernels and f16
 * conversion against their reference loops, exact search against a brute
 * force sort (filters, pagination, ties, threads; f32 and f16 scans), the
 * index file (round trip, corrupt files), the FAISS shim (flat = exact) and
 * the approximate IVF index against exact search on clustered data. */
#include "test.h"
#include "../src/catalog/faiss_shim.h"
#include "../src/catalog/index.h"
#include "../src/catalog/index_ivf.h"
#include "../src/catalog/index_scan.h"
#include "../src/util/zt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 88172645463325252ull;
static double urand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}
static float nrand(void)
{
    double a = 0;
    for (int i = 0; i < 12; i++) a += urand();
    return (float)(a - 6);
}

/* n items in `centers` clusters, d dims, unit-normalised; category i % 5,
 * price 100 * (i % 50). */
static struct zt_index *make_index(int64_t n, int d, int centers, float spread)
{
    struct zt_index *ix = NULL;
    if (zt_index_new(d, &ix)) return NULL;
    float *c = malloc(sizeof(float) * (size_t)centers * d), *v = malloc(sizeof(float) * (size_t)d);
    for (int i = 0; i < centers * d; i++) c[i] = nrand();
    for (int64_t i = 0; i < n; i++) {
        int k = (int)(urand() * centers);
        double s = 0;
        for (int j = 0; j < d; j++) {
            v[j] = c[k * d + j] + spread * nrand();
            s += v[j] * v[j];
        }
        for (int j = 0; j < d; j++) v[j] /= (float)sqrt(s);
        char id[32];
        snprintf(id, sizeof id, "item%07lld", (long long)i);
        if (zt_index_add(ix, id, (int)(i % 5), 100 * (i % 50), v)) {
            zt_index_free(ix);
            ix = NULL;
            break;
        }
    }
    free(c);
    free(v);
    return ix;
}

/* brute force: positions passing f sorted by score desc, then position */
static const float *bf_scores;
static int cmp_bf(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    if (bf_scores[x] != bf_scores[y]) return bf_scores[x] > bf_scores[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}
static int64_t brute(const struct zt_index *ix, const float *q, const struct zt_index_filter *f,
                     float *scores, int64_t *order)
{
    int64_t n = zt_index_count(ix), m = 0;
    zt_index_scores(ix, q, 1, scores);
    for (int64_t i = 0; i < n; i++)
        if (zt_index_match(ix, i, f)) order[m++] = i;
    bf_scores = scores;
    qsort(order, (size_t)m, sizeof *order, cmp_bf);
    return m;
}

TEST(index, topk_heap)
{
    struct zt_hit room[5];
    struct zt_topk t;
    zt_topk_init(&t, room, 5);
    float s[] = {0.1f, 0.9f, 0.5f, 0.9f, -1, 0.7f, 0.3f, 0.95f};
    for (int i = 0; i < 8; i++) zt_topk_push(&t, i, s[i]);
    CHECK_EQ_INT(zt_topk_sort(&t), 5);
    /* 0.95 (7), 0.9 (1), 0.9 (3): ties by lower position, 0.7 (5), 0.5 (2) */
    int64_t want[] = {7, 1, 3, 5, 2};
    for (int i = 0; i < 5; i++) CHECK_EQ_INT(room[i].idx, want[i]);
}

TEST(index, f16_conversion)
{
    /* known bit patterns, both directions, software and dispatched */
    const float x[] = {0.0f, -0.0f, 1.0f, -2.0f, 65504.0f, 65519.0f, 65520.0f, 1e9f,
                       0x1p-24f, 0x1p-25f, 0x1.8p-24f, 0x1p-14f, 1.0f / 3, 0x1.002p0f,
                       0x1.006p0f, INFINITY};
    const uint16_t want[] = {0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x7bff, 0x7c00, 0x7c00,
                             0x0001, 0x0000, 0x0002, 0x0400, 0x3555, 0x3c00, 0x3c02, 0x7c00};
    enum { NK = sizeof x / sizeof x[0] };
    uint16_t h[NK], h2[NK];
    zt_f16_from_f32_ref(x, NK, h);
    zt_f16_from_f32(x, NK, h2);
    for (int i = 0; i < NK; i++) {
        CHECK_MSG(h[i] == want[i], "ref f16(%a) = %#x, want %#x", (double)x[i], h[i], want[i]);
        CHECK_MSG(h2[i] == want[i], "f16(%a) = %#x, want %#x", (double)x[i], h2[i], want[i]);
    }
    /* every half converts to float and back unchanged (NaNs stay NaN) */
    static uint16_t all[65536], back[65536];
    static float f[65536], f2[65536];
    for (int i = 0; i < 65536; i++) all[i] = (uint16_t)i;
    zt_f32_from_f16_ref(all, 65536, f);
    zt_f32_from_f16(all, 65536, f2);
    zt_f16_from_f32_ref(f, 65536, back);
    int bad = 0;
    for (int i = 0; i < 65536; i++) {
        int nan = (i & 0x7c00) == 0x7c00 && (i & 0x3ff);
        if (nan) bad += !isnan(f[i]) || !isnan(f2[i]);
        else bad += back[i] != all[i] || memcmp(&f[i], &f2[i], 4) != 0;
    }
    CHECK_EQ_INT(bad, 0);
    /* random floats over the whole range: software rounding = hardware */
    static float r[20000];
    static uint16_t a[20000], b[20000];
    for (int i = 0; i < 20000; i++) {
        uint32_t u = (uint32_t)(urand() * 4294967296.0);
        u = (u & 0x807fffffu) | ((uint32_t)(96 + (int)(urand() * 64)) << 23); /* 2^-31..2^32 */
        memcpy(&r[i], &u, 4);
    }
    zt_f16_from_f32_ref(r, 20000, a);
    zt_f16_from_f32(r, 20000, b);
    CHECK(!memcmp(a, b, sizeof a));
}

TEST(index, scan_kernels_match_reference)
{
    const int dims[] = {1, 7, 8, 24, 256, 261};
    for (size_t t = 0; t < sizeof dims / sizeof dims[0]; t++) {
        const int d = dims[t];
        const int64_t n = 23;
        float *v = malloc(sizeof(float) * (size_t)(n * d)), *q = malloc(sizeof(float) * (size_t)d);
        uint16_t *h = malloc(sizeof(uint16_t) * (size_t)(n * d));
        float o1[23], o2[23], o3[23], o4[23], one;
        for (int64_t i = 0; i < n * d; i++) v[i] = nrand();
        for (int j = 0; j < d; j++) q[j] = nrand();
        zt_f16_from_f32(v, (size_t)(n * d), h);
        zt_scan_f32(v, n, d, q, o1);
        zt_scan_f32_ref(v, n, d, q, o2);
        zt_scan_f16(h, n, d, q, o3);
        zt_scan_f16_ref(h, n, d, q, o4);
        for (int64_t i = 0; i < n; i++) {
            double tol = 1e-5 * sqrt((double)d) * 4;
            CHECK_NEAR(o1[i], o2[i], tol);
            CHECK_NEAR(o3[i], o4[i], tol);
            /* f16 rows: within the rounding of the values */
            CHECK_NEAR(o3[i], o1[i], 2e-3 * sqrt((double)d) * 4);
            /* a row alone scores bit for bit as inside a block */
            zt_scan_f32(v + i * d, 1, d, q, &one);
            CHECK_MSG(one == o1[i], "d %d row %lld: %.9g alone, %.9g in a block", d,
                      (long long)i, one, o1[i]);
        }
        free(v);
        free(q);
        free(h);
    }
}

/* Exact search (f32 and f16 scans, 1 and 2 threads) = the brute force
 * ranking, scores included, over pages, with and without a filter. */
static void check_modes(struct zt_index *ix, const float *q, int64_t *order, float *sc)
{
    struct zt_index_filter fs[2] = {ZT_INDEX_FILTER_ANY, {3, 500, 3000, 1, 0}};
    for (int fi = 0; fi < 2; fi++) {
        int64_t m = brute(ix, q, &fs[fi], sc, order);
        for (int mode = ZT_INDEX_SCAN_F32; mode <= ZT_INDEX_SCAN_F16; mode++) {
            CHECK_OK(zt_index_set_scan(ix, mode));
            zt_index_set_parallel_min(ix, 0); /* threads even on small sets */
            for (int nt = 1; nt <= 2; nt++) {
                struct zt_hit hits[25];
                int nh = -1;
                int64_t nm = -1;
                CHECK_OK(zt_index_search(ix, q, &fs[fi], 5, 25, nt, hits, &nh, &nm));
                CHECK_EQ_INT(nm, m);
                CHECK_EQ_INT(nh, ZT_MAX(0, ZT_MIN(25, m - 5)));
                for (int i = 0; i < nh; i++) {
                    CHECK_MSG(hits[i].idx == order[5 + i], "mode %d threads %d filter %d rank %d: %lld, want %lld",
                              mode, nt, fi, 5 + i, (long long)hits[i].idx, (long long)order[5 + i]);
                    CHECK(hits[i].score == sc[order[5 + i]]);
                }
            }
        }
    }
    CHECK_OK(zt_index_set_scan(ix, ZT_INDEX_SCAN_AUTO));
    zt_index_set_parallel_min(ix, -1);
}

TEST(index, f16_scan_is_exact)
{
    /* clustered data, and clustered data where every vector appears 40
     * times (near-ties everywhere: the f16 bound is inconclusive and the
     * search falls back to the f32 rows) and tight clusters (neighbours
     * closer than f16's resolution) */
    const int d = 40;
    const int64_t n = 4000;
    struct zt_index *ixs[3] = {make_index(n, d, 30, 0.4f), NULL, make_index(n, d, 8, 0.002f)};
    if (zt_index_new(d, &ixs[1]) == ZT_OK && ixs[0]) {
        for (int64_t i = 0; i < n; i++) {
            char id[32];
            snprintf(id, sizeof id, "dup%07lld", (long long)i);
            CHECK_OK(zt_index_add(ixs[1], id, (int)(i % 5), 100 * (i % 50),
                                  zt_index_vector(ixs[0], i / 40)));
        }
    }
    float *sc = malloc(sizeof(float) * (n + 1)), q[40]; /* + the item added below */
    int64_t *order = malloc(sizeof(int64_t) * (n + 1));
    for (int s = 0; s < 3; s++) {
        CHECK(ixs[s] != NULL);
        if (!ixs[s]) continue;
        for (int t = 0; t < 4; t++) {
            const float *base = zt_index_vector(ixs[s], (int64_t)(urand() * n));
            for (int j = 0; j < d; j++) q[j] = base[j] + (t == 0 ? nrand() : 0.01f * nrand());
            check_modes(ixs[s], q, order, sc);
        }
    }
    /* values beyond f16's range: the f16 mode quietly scans f32, still exact */
    float big[40];
    for (int j = 0; j < d; j++) big[j] = j == 3 ? 1e6f : 0.5f;
    if (ixs[0]) {
        CHECK_OK(zt_index_add(ixs[0], "zzz-big", 1, 0, big));
        for (int j = 0; j < d; j++) q[j] = nrand();
        check_modes(ixs[0], q, order, sc);
    }
    CHECK_RC(zt_index_set_scan(ixs[0], 7), ZT_EINVAL);
    for (int s = 0; s < 3; s++) zt_index_free(ixs[s]);
    free(sc);
    free(order);
}

/* zt_index_append: runs of another index's items, as zt_index_add of each
 * would give (ids, prices, categories, rows), searched exactly in every
 * scan mode (the f16 copy came along); bad ranges and dimensions refused. */
TEST(index, append_runs_equals_add)
{
    const int d = 24;
    const int64_t n = 3000;
    struct zt_index *src = make_index(n, d, 20, 0.3f), *dst = NULL, *one = NULL;
    CHECK(src != NULL);
    if (!src) return;
    CHECK_OK(zt_index_new(d, &dst));
    CHECK_OK(zt_index_new(d, &one));
    /* every item but 100..199 and 2999, in three runs and one add */
    CHECK_OK(zt_index_append(dst, src, 0, 100));
    CHECK_OK(zt_index_append(dst, src, 200, 0));
    CHECK_OK(zt_index_append(dst, src, 200, 2000));
    CHECK_OK(zt_index_add(dst, zt_index_id(src, 2200), zt_index_category(src, 2200),
                          zt_index_price(src, 2200), zt_index_vector(src, 2200)));
    CHECK_OK(zt_index_append(dst, src, 2201, 798));
    for (int64_t i = 0; i < n - 1; i++) {
        if (i >= 100 && i < 200) continue;
        CHECK_OK(zt_index_add(one, zt_index_id(src, i), zt_index_category(src, i),
                              zt_index_price(src, i), zt_index_vector(src, i)));
    }
    CHECK_EQ_INT(zt_index_count(dst), n - 101);
    int same = zt_index_count(dst) == zt_index_count(one);
    for (int64_t i = 0; same && i < zt_index_count(one); i++)
        same = !strcmp(zt_index_id(dst, i), zt_index_id(one, i)) &&
               zt_index_price(dst, i) == zt_index_price(one, i) &&
               zt_index_category(dst, i) == zt_index_category(one, i) &&
               !memcmp(zt_index_vector(dst, i), zt_index_vector(one, i), sizeof(float) * d);
    CHECK(same);
    CHECK(zt_index_find(dst, zt_index_id(src, 2500)) == 2400); /* still sorted: binary search */
    float *sc = malloc(sizeof(float) * n), q[24];
    int64_t *order = malloc(sizeof(int64_t) * n);
    for (int t = 0; t < 3; t++) {
        for (int j = 0; j < d; j++) q[j] = nrand();
        check_modes(dst, q, order, sc);
    }
    CHECK_RC(zt_index_append(dst, src, n - 10, 11), ZT_EINVAL);
    CHECK_RC(zt_index_append(dst, src, -1, 1), ZT_EINVAL);
    struct zt_index *other = NULL;
    CHECK_OK(zt_index_new(d + 1, &other));
    CHECK_RC(zt_index_append(other, src, 0, 1), ZT_EINVAL);
    zt_index_free(other);
    free(sc);
    free(order);
    zt_index_free(src);
    zt_index_free(dst);
    zt_index_free(one);
}

TEST(index, exact_matches_brute_force)
{
    const int64_t n = 3000;
    const int d = 24;
    struct zt_index *ix = make_index(n, d, 20, 0.5f);
    CHECK(ix != NULL);
    if (!ix) return;
    float *sc = malloc(sizeof(float) * n), q[24];
    int64_t *order = malloc(sizeof(int64_t) * n);
    struct zt_hit hits[40];
    zt_index_set_parallel_min(ix, 1000); /* 3000 x 24 floats: threads */
    for (int trial = 0; trial < 6; trial++) {
        for (int j = 0; j < d; j++) q[j] = nrand();
        struct zt_index_filter f = ZT_INDEX_FILTER_ANY;
        if (trial >= 2) f.category = trial % 5;
        if (trial >= 4) f.price_min = 1000, f.price_max = 2500, f.has_price_max = 1;
        int64_t m = brute(ix, q, &f, sc, order);
        for (int page = 0; page < 3; page++) {
            int nh = -1;
            int64_t nmatch = -1;
            CHECK_OK(zt_index_search(ix, q, &f, page * 10, 10, 2, hits, &nh, &nmatch));
            CHECK_EQ_INT(nmatch, m);
            CHECK_EQ_INT(nh, ZT_MIN(10, m - page * 10));
            for (int i = 0; i < nh; i++) {
                CHECK_EQ_INT(hits[i].idx, order[page * 10 + i]);
                CHECK(zt_index_match(ix, hits[i].idx, &f));
                CHECK_NEAR(hits[i].score, sc[order[page * 10 + i]], 1e-5);
            }
        }
        /* one thread and several give the same answer */
        struct zt_hit h1[40], h3[40];
        int n1, n3;
        CHECK_OK(zt_index_search(ix, q, &f, 0, 40, 1, h1, &n1, NULL));
        CHECK_OK(zt_index_search(ix, q, &f, 0, 40, 3, h3, &n3, NULL));
        CHECK_EQ_INT(n1, n3);
        for (int i = 0; i < n1 && i < n3; i++) CHECK_EQ_INT(h1[i].idx, h3[i].idx);
    }
    /* a filter nothing passes; a page past the end */
    struct zt_index_filter none = {7, 0, 0, 0, 0};
    int nh = -1;
    int64_t nm = -1;
    CHECK_OK(zt_index_search(ix, q, &none, 0, 10, 1, hits, &nh, &nm));
    CHECK_EQ_INT(nh, 0);
    CHECK_EQ_INT(nm, 0);
    CHECK_OK(zt_index_search(ix, q, NULL, n - 5, 10, 1, hits, &nh, NULL));
    CHECK_EQ_INT(nh, 5);
    CHECK_RC(zt_index_search(ix, q, NULL, 0, 0, 1, hits, &nh, NULL), ZT_EINVAL);
    CHECK_RC(zt_index_search(ix, q, NULL, -1, 10, 1, hits, &nh, NULL), ZT_EINVAL);
    /* lookups */
    CHECK_EQ_INT(zt_index_find(ix, "item0001234"), 1234);
    CHECK_EQ_INT(zt_index_find(ix, "nope"), -1);
    free(sc);
    free(order);
    zt_index_free(ix);
}

TEST(index, file_round_trip_and_corruption)
{
    struct zt_index *ix = make_index(500, 16, 5, 0.3f), *back = NULL;
    CHECK(ix != NULL);
    if (!ix) return;
    char path[1024], bad[1024];
    snprintf(path, sizeof path, "%s/ix.zti", zt_test_tmpdir());
    snprintf(bad, sizeof bad, "%s/bad.zti", zt_test_tmpdir());
    CHECK_OK(zt_index_save(ix, path));
    CHECK_OK(zt_index_load(path, &back));
    if (back) {
        CHECK_EQ_INT(zt_index_count(back), 500);
        CHECK_EQ_INT(zt_index_dim(back), 16);
        for (int64_t i = 0; i < 500; i += 37) {
            CHECK(!strcmp(zt_index_id(ix, i), zt_index_id(back, i)));
            CHECK_EQ_INT(zt_index_category(back, i), zt_index_category(ix, i));
            CHECK_EQ_INT(zt_index_price(back, i), zt_index_price(ix, i));
            CHECK(!memcmp(zt_index_vector(ix, i), zt_index_vector(back, i), 16 * sizeof(float)));
        }
        CHECK_EQ_INT(zt_index_find(back, "item0000499"), 499);
    }
    zt_index_free(back);
    back = NULL;
    /* truncated copy, and a file that is not an index */
    FILE *in = fopen(path, "rb"), *out = fopen(bad, "wb");
    CHECK(in && out);
    if (in && out) {
        char buf[4096];
        size_t got = fread(buf, 1, sizeof buf, in);
        fwrite(buf, 1, got - 100, out);
    }
    if (in) fclose(in);
    if (out) fclose(out);
    CHECK_RC(zt_index_load(bad, &back), ZT_EFORMAT);
    CHECK(back == NULL);
    out = fopen(bad, "wb");
    if (out) {
        fputs("definitely not an index file, just text", out);
        fclose(out);
    }
    CHECK_RC(zt_index_load(bad, &back), ZT_EFORMAT);
    CHECK_MSG(strstr(zt_errmsg(), "not a ztyle index") != NULL, "msg: %s", zt_errmsg());
    snprintf(bad, sizeof bad, "%s/missing.zti", zt_test_tmpdir());
    CHECK_RC(zt_index_load(bad, &back), ZT_ENOTFOUND);
    zt_index_free(ix);
}

TEST(index, faiss_flat_equals_exact)
{
    const int d = 32;
    struct zt_index *ix = make_index(2000, d, 10, 0.5f);
    struct zt_faiss *f = NULL;
    CHECK(ix != NULL);
    if (!ix) return;
    CHECK_OK(zt_faiss_new("Flat", d, &f));
    if (f) {
        CHECK_EQ_INT(zt_faiss_needs_training(f), 0);
        CHECK_OK(zt_faiss_add(f, 2000, zt_index_vector(ix, 0)));
        CHECK_EQ_INT(zt_faiss_count(f), 2000);
        float q[32], sc[10];
        int64_t pos[10];
        struct zt_hit hits[10];
        int nh;
        for (int t = 0; t < 5; t++) {
            for (int j = 0; j < d; j++) q[j] = nrand();
            CHECK_OK(zt_faiss_search(f, 1, q, 10, sc, pos));
            CHECK_OK(zt_index_search(ix, q, NULL, 0, 10, 1, hits, &nh, NULL));
            for (int i = 0; i < 10; i++) CHECK_NEAR(sc[i], hits[i].score, 1e-4);
        }
    }
    zt_faiss_free(f);
    /* errors come back as codes with FAISS's message, not exceptions */
    f = NULL;
    CHECK_RC(zt_faiss_new("NoSuchIndexType", d, &f), ZT_EINVAL);
    CHECK(f == NULL);
    CHECK_MSG(strstr(zt_errmsg(), "faiss") != NULL, "msg: %s", zt_errmsg());
    zt_index_free(ix);
}

TEST(index, ivf_agrees_with_exact)
{
    const int d = 32;
    const int64_t n = 6000;
    struct zt_index *ix = make_index(n, d, 60, 0.35f);
    struct zt_ivf *v = NULL, *back = NULL;
    CHECK(ix != NULL);
    if (!ix) return;
    CHECK_OK(zt_ivf_build(ix, 64, &v));
    if (!v) {
        zt_index_free(ix);
        return;
    }
    CHECK_EQ_INT(zt_ivf_nlist(v), 64);
    CHECK_OK(zt_ivf_set_nprobe(v, 8));
    double hit = 0, tot = 0;
    float q[32];
    struct zt_hit ex[10], ap[10];
    int ne, na;
    for (int t = 0; t < 40; t++) {
        /* queries near the data, as real queries are */
        const float *base = zt_index_vector(ix, (int64_t)(urand() * n));
        for (int j = 0; j < d; j++) q[j] = base[j] + 0.1f * nrand();
        CHECK_OK(zt_index_search(ix, q, NULL, 0, 10, 1, ex, &ne, NULL));
        CHECK_OK(zt_ivf_search(v, ix, q, NULL, 0, 10, ap, &na));
        CHECK_EQ_INT(na, 10);
        for (int i = 0; i < ne; i++)
            for (int k = 0; k < na; k++) hit += ex[i].idx == ap[k].idx;
        tot += ne;
        /* scores are true inner products, best first */
        for (int k = 1; k < na; k++) CHECK(ap[k - 1].score >= ap[k].score);
    }
    CHECK_MSG(hit / tot >= 0.9, "IVF recall@10 %.3f < 0.9", hit / tot);
    /* filters hold on approximate results too */
    struct zt_index_filter f = {2, 500, 1500, 1, 0};
    CHECK_OK(zt_ivf_search(v, ix, q, &f, 0, 10, ap, &na));
    CHECK(na > 0);
    for (int k = 0; k < na; k++) CHECK(zt_index_match(ix, ap[k].idx, &f));
    /* saved and loaded, it answers the same */
    char path[1024];
    snprintf(path, sizeof path, "%s/ix.ivf", zt_test_tmpdir());
    CHECK_OK(zt_ivf_save(v, path));
    CHECK_OK(zt_ivf_load(path, ix, &back));
    if (back) {
        CHECK_OK(zt_ivf_set_nprobe(back, 8));
        struct zt_hit b2[10];
        int nb;
        CHECK_OK(zt_ivf_search(v, ix, q, NULL, 0, 10, ap, &na));
        CHECK_OK(zt_ivf_search(back, ix, q, NULL, 0, 10, b2, &nb));
        CHECK_EQ_INT(na, nb);
        for (int k = 0; k < na && k < nb; k++) CHECK_EQ_INT(ap[k].idx, b2[k].idx);
    }
    zt_ivf_free(back);
    /* an IVF of another catalogue size is refused */
    struct zt_index *small = make_index(100, d, 3, 0.3f);
    back = NULL;
    CHECK_RC(zt_ivf_load(path, small, &back), ZT_EFORMAT);
    zt_index_free(small);
    /* every cell probed: the exact answer */
    CHECK_OK(zt_ivf_set_nprobe(v, 1000)); /* clamped to nlist */
    hit = tot = 0;
    for (int t = 0; t < 20; t++) {
        const float *base = zt_index_vector(ix, (int64_t)(urand() * n));
        for (int j = 0; j < d; j++) q[j] = base[j] + 0.3f * nrand();
        CHECK_OK(zt_index_search(ix, q, NULL, 3, 10, 1, ex, &ne, NULL));
        CHECK_OK(zt_ivf_search(v, ix, q, NULL, 3, 10, ap, &na));
        CHECK_EQ_INT(na, ne);
        for (int i = 0; i < ne && i < na; i++) {
            hit += ex[i].idx == ap[i].idx;
            CHECK(ex[i].score == ap[i].score || ex[i].idx != ap[i].idx);
        }
        tot += ne;
    }
    CHECK_MSG(hit == tot, "all cells probed: %g of %g ranks as exact", hit, tot);
    /* one cell probed and a filter few items pass: more cells are probed
     * until the page is full */
    CHECK_OK(zt_ivf_set_nprobe(v, 1));
    struct zt_index_filter rare = {4, 4800, 4900, 1, 0}; /* 1 in 50 x 1 in 5 items */
    struct zt_hit many[30];
    CHECK_OK(zt_ivf_search(v, ix, q, &rare, 0, 30, many, &na));
    CHECK_EQ_INT(na, 30);
    for (int k = 0; k < na; k++) CHECK(zt_index_match(ix, many[k].idx, &rare));
    /* damaged files are refused, not trusted */
    FILE *fp = fopen(path, "r+b");
    CHECK(fp != NULL);
    if (fp) {
        /* the last item position becomes a duplicate of the first */
        int64_t first;
        fseek(fp, -(long)sizeof(int64_t) * n, SEEK_END);
        CHECK(fread(&first, sizeof first, 1, fp) == 1);
        fseek(fp, -(long)sizeof(int64_t), SEEK_END);
        fwrite(&first, sizeof first, 1, fp);
        fclose(fp);
    }
    CHECK_RC(zt_ivf_load(path, ix, &back), ZT_EFORMAT);
    CHECK(back == NULL);
    if ((fp = fopen(path, "wb"))) {
        fputs("IxF2 not ours", fp); /* e.g. a FAISS file from before */
        fclose(fp);
    }
    CHECK_RC(zt_ivf_load(path, ix, &back), ZT_EFORMAT);
    zt_ivf_free(v);
    zt_index_free(ix);
}
