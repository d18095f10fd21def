/* bench_replica.c: `make bench-replica`: what one `ztyle serve` replica costs
 * at catalogue sizes the demo does not reach, on a synthetic SQLite store of
 * N products, each with a random search feature (ZT_FEAT_DIM f32, as ingest
 * writes; no media: their bytes per product are measured on the demo
 * catalogue, docs/internals/scale.md). Reports: the time to write the store
 * (products + features, 1000 per transaction), its bytes per product, the
 * full index build from the store (what a replica does at start and did on
 * every reload before the change log), the index's resident bytes, one exact
 * query, and an incremental reload after C changed products (a quarter
 * deleted, a quarter added, half repriced) against the full rebuild of the
 * same state. The store is kept (build/bench/replica-N.db) and reused by the
 * next run of the same N (the changes move it on; the counts stay).
 * Usage: bench_replica [-n 100000] [-c 100] [-d DIR] [-t THREADS] */
#include "../src/catalog/features.h"
#include "../src/catalog/index.h"
#include "../src/catalog/index_store.h"
#include "../src/catalog/store.h"
#include "../src/util/fs.h"
#include "../src/util/progress.h"
#include "../src/util/zt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static float frand(void)
{
    rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
    return (float)((double)(rs >> 11) / 9007199254740992.0) - 0.5f;
}

/* Resident bytes of this process now (/proc/self/statm). */
static int64_t rss(void)
{
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
        fclose(f);
    }
    return (int64_t)res * sysconf(_SC_PAGESIZE);
}

/* CPU seconds (user + system) this process has used: the wall clock on a
 * shared machine also counts the time other jobs held the cores. */
static double cpu(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + (double)u.ru_stime.tv_sec +
           u.ru_stime.tv_usec * 1e-6;
}

static int fail(const char *what)
{
    fprintf(stderr, "bench_replica: %s: %s\n", what, zt_errmsg());
    return 1;
}

/* Writes product i (and its feature when feat) in the open transaction. */
static int put(struct zt_store *s, int64_t i, int64_t price, int feat)
{
    static const char *const cats[] = {"top", "pants", "skirt", "hat", "other"};
    static const char *const cls[] = {"t-shirt", "pants", "skirt", "hat", "dress"};
    struct zt_product p;
    zt_product_init(&p);
    snprintf(p.id, sizeof p.id, "p%09lld", (long long)i);
    snprintf(p.title, sizeof p.title, "Synthetic product %lld", (long long)i);
    snprintf(p.category, sizeof p.category, "%s", cats[i % 5]);
    snprintf(p.cls, sizeof p.cls, "%s", cls[i % 5]);
    p.price = price;
    snprintf(p.url, sizeof p.url, "/product/p%09lld", (long long)i);
    snprintf(p.image_path, sizeof p.image_path, "/photos/p%09lld.jpg", (long long)i);
    snprintf(p.thumb_path, sizeof p.thumb_path, "thumbs/p%09lld.jpg", (long long)i);
    snprintf(p.edge_path, sizeof p.edge_path, "edges/p%09lld.png", (long long)i);
    int rc = zt_store_upsert(s, &p);
    if (rc || !feat) return rc;
    static float v[ZT_FEAT_DIM];
    for (int k = 0; k < ZT_FEAT_DIM; k++) v[k] = frand();
    return zt_store_feature_put(s, p.id, ZT_FEATURE_SEARCH, ZT_FEAT_VERSION, v, sizeof v);
}

static double build_store(struct zt_store *s, int64_t n)
{
    double t0 = zt_now();
    for (int64_t i = 0; i < n;) {
        if (zt_store_begin(s)) return -1;
        for (int64_t e = i + 1000 < n ? i + 1000 : n; i < e; i++)
            if (put(s, i, 990 + (i % 191) * 100, 1)) {
                zt_store_rollback(s);
                return -1;
            }
        if (zt_store_commit(s)) return -1;
        if (i % 100000 == 0) fprintf(stderr, "  %lld products written\n", (long long)i);
    }
    return zt_now() - t0;
}

/* C changes: deletes, adds (ids past n) and price changes, one transaction. */
static int change(struct zt_store *s, int64_t n, int64_t c, int64_t round)
{
    if (zt_store_begin(s)) return ZT_EDB;
    for (int64_t j = 0; j < c; j++) {
        int64_t i = (j * 7919 + round * 104729) % n;
        char id[32];
        int rc;
        snprintf(id, sizeof id, "p%09lld", (long long)i);
        if (j % 4 == 0) {
            rc = zt_store_delete(s, id);
            if (rc == ZT_ENOTFOUND) rc = ZT_OK; /* deleted by an earlier run */
        } else if (j % 4 == 1) rc = put(s, n + round * c + j, 500, 1);
        else rc = put(s, i, 100 + j, 0);
        if (rc) {
            zt_store_rollback(s);
            return rc;
        }
    }
    return zt_store_commit(s);
}

int main(int argc, char **argv)
{
    int64_t n = 100000, c = 100;
    const char *dir = "build/bench";
    int threads = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-n")) n = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "-c")) c = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "-d")) dir = argv[i + 1];
        else if (!strcmp(argv[i], "-t")) threads = atoi(argv[i + 1]);
    }
    if (n < 10 || c < 4 || c > n) {
        fprintf(stderr, "usage: bench_replica [-n N >= 10] [-c CHANGES 4..N] [-d DIR] [-t THREADS]\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/replica-%lld.db", dir, (long long)n);
    if (zt_mkdirs(dir)) return fail(dir);
    struct zt_store *w = NULL, *r = NULL;
    if (zt_store_open(path, &w) || zt_store_migrate(w)) return fail(path);
    int64_t have = 0;
    if (zt_store_count(w, NULL, &have)) return fail("count");
    printf("bench_replica: %lld products, feature %d f32 (%zu bytes), store %s\n", (long long)n,
           ZT_FEAT_DIM, sizeof(float) * ZT_FEAT_DIM, path);
    if (have < n) {
        double t = build_store(w, n);
        if (t < 0) return fail("write the store");
        printf("write store            %8.1f s  (%.0f products/s, products + features only)\n", t,
               (double)n / t);
    } else {
        printf("write store            (reused: %lld products)\n", (long long)have);
    }
    struct stat sb;
    if (stat(path, &sb) == 0)
        printf("store file             %8.1f MB  (%.0f bytes/product)\n", (double)sb.st_size / 1e6,
               (double)sb.st_size / (double)n);

    if (zt_store_open(path, &r)) return fail("open reader");
    struct zt_index *base = NULL, *delta = NULL, *full = NULL;
    int64_t v0 = 0, v1 = 0, nchanged = 0, m0 = rss();
    if (zt_store_catalog_version(r, &v0)) return fail("version");
    double t0 = zt_now(), c0 = cpu();
    if (zt_index_from_store(r, &base)) return fail("full build");
    double t_full = zt_now() - t0, c_full = cpu() - c0;
    int64_t m1 = rss();
    printf("full build (start)     %8.2f s  (cpu %.2f s; %lld items, %.0f items/s)\n", t_full,
           c_full, (long long)zt_index_count(base), (double)zt_index_count(base) / t_full);
    printf("index resident         %8.1f MB  (%.0f bytes/item: f32 rows + f16 copy + ids)\n",
           (double)(m1 - m0) / 1e6, (double)(m1 - m0) / (double)zt_index_count(base));

    static float q[ZT_FEAT_DIM];
    for (int k = 0; k < ZT_FEAT_DIM; k++) q[k] = frand();
    struct zt_hit hits[10];
    int nh = 0;
    t0 = zt_now();
    for (int rep = 0; rep < 3; rep++)
        if (zt_index_search(base, q, NULL, 0, 10, threads, hits, &nh, NULL)) return fail("search");
    printf("exact query (%d thr)    %8.1f ms  (top 10 of %lld, d = %d)\n", threads,
           (zt_now() - t0) / 3 * 1e3, (long long)zt_index_count(base), ZT_FEAT_DIM);

    /* the floor of a copy-on-write reload: copying the index, nothing read */
    struct zt_index *copy = NULL;
    t0 = zt_now();
    c0 = cpu();
    if (zt_index_new(ZT_FEAT_DIM, &copy) || zt_index_append(copy, base, 0, zt_index_count(base)))
        return fail("copy");
    printf("copy of the index      %8.3f s  (cpu %.3f s: memory only, the floor of an incremental reload)\n",
           zt_now() - t0, cpu() - c0);
    zt_index_free(copy);

    int64_t round = v0 % 1000003;
    if (change(w, n, c, round)) return fail("changes");
    if (zt_store_catalog_version(r, &v1)) return fail("version");
    t0 = zt_now();
    c0 = cpu();
    if (zt_index_from_store_delta(r, base, v0, n, &delta, &nchanged)) return fail("delta");
    double t_delta = zt_now() - t0, c_delta = cpu() - c0;
    zt_index_free(base); /* at 1M, three indexes at once would not fit in 22 GB */
    base = NULL;
    t0 = zt_now();
    c0 = cpu();
    if (zt_index_from_store(r, &full)) return fail("full rebuild");
    double t_re = zt_now() - t0, c_re = cpu() - c0;
    int same = zt_index_count(delta) == zt_index_count(full);
    for (int64_t i = 0; same && i < zt_index_count(full); i++)
        same = !strcmp(zt_index_id(delta, i), zt_index_id(full, i)) &&
               zt_index_price(delta, i) == zt_index_price(full, i);
    printf("reload after %lld changes (%lld products, versions %lld..%lld):\n", (long long)c,
           (long long)nchanged, (long long)v0, (long long)v1);
    printf("  incremental          %8.3f s  (cpu %.3f s)\n", t_delta, c_delta);
    printf("  full rebuild         %8.2f s  (cpu %.2f s; %.0fx the incremental)\n", t_re, c_re,
           t_re / t_delta);
    printf("  same items           %s\n", same ? "yes" : "NO");
    zt_index_free(base);
    zt_index_free(delta);
    zt_index_free(full);
    zt_store_close(r);
    zt_store_close(w);
    return same ? 0 : 1;
}
