/* bench_search.c: `make bench-search`: index search latency on synthetic
 * clustered vectors (d = 256; 10k, 100k, 1M items): the exact scan (1 and
 * all threads) against FAISS flat search called directly in the same run,
 * and the approximate IVF index at the largest size (recall@10 against
 * exact). Optional: `-c CATALOG -q DRAWING` times whole queries (drawing in,
 * top 10 out) on a real catalogue. Usage: bench_search [-n 10000,100000,1000000]
 * [-d 256] [-r REPEATS] [-c CATALOG -q DRAWING.png] */
#include "../src/catalog/faiss_shim.h"
#include "../src/catalog/index.h"
#include "../src/catalog/index_ivf.h"
#include "../src/catalog/search.h"
#include "../src/catalog/store.h"
#include "../src/img/image.h"
#include "../src/util/parallel.h"
#include "../src/util/progress.h"
#include "../src/util/zt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t st = 0x9e3779b97f4a7c15ull;
static float nrand(void)
{
    double a = 0;
    for (int i = 0; i < 4; i++) {
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        a += (double)(st >> 11) / 9007199254740992.0;
    }
    return (float)((a - 2) * 1.732);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[n / 2];
}

static void bench_size(int64_t n, int d, int reps, int threads)
{
    struct zt_index *ix = NULL;
    if (zt_index_new(d, &ix) || zt_index_reserve(ix, n)) {
        fprintf(stderr, "bench: %s\n", zt_errmsg());
        exit(1);
    }
    const int centers = 1000;
    float *c = malloc(sizeof(float) * (size_t)centers * d), *v = malloc(sizeof(float) * d);
    for (int i = 0; i < centers * d; i++) c[i] = nrand();
    for (int64_t i = 0; i < n; i++) {
        int k = (int)(i * 7919 % centers);
        double s = 0;
        for (int j = 0; j < d; j++) {
            v[j] = c[k * d + j] + 0.6f * nrand();
            s += v[j] * v[j];
        }
        for (int j = 0; j < d; j++) v[j] /= (float)sqrt(s);
        char id[24];
        snprintf(id, sizeof id, "s%09lld", (long long)i);
        zt_index_add(ix, id, (int)(i % 5), i % 20000, v);
    }
    struct zt_faiss *flat = NULL;
    zt_faiss_new("Flat", d, &flat);
    zt_faiss_add(flat, n, zt_index_vector(ix, 0));
    double *t1 = malloc(sizeof(double) * reps), *tn = malloc(sizeof(double) * reps),
           *tf = malloc(sizeof(double) * reps);
    float *q = malloc(sizeof(float) * (size_t)reps * d), sc[10];
    int64_t pos[10];
    for (int r = 0; r < reps; r++) {
        const float *b = zt_index_vector(ix, (int64_t)r * 7777 % n);
        for (int j = 0; j < d; j++) q[r * d + j] = b[j] + 0.2f * nrand();
    }
    struct zt_hit hits[10];
    int nh;
    for (int r = 0; r < reps; r++) {
        const float *qq = q + (size_t)r * d;
        double t = zt_now();
        zt_index_search(ix, qq, NULL, 0, 10, 1, hits, &nh, NULL);
        t1[r] = zt_now() - t;
        t = zt_now();
        zt_index_search(ix, qq, NULL, 0, 10, threads, hits, &nh, NULL);
        tn[r] = zt_now() - t;
        zt_faiss_set_threads(threads);
        t = zt_now();
        zt_faiss_search(flat, 1, qq, 10, sc, pos);
        tf[r] = zt_now() - t;
    }
    printf("n=%-8lld d=%d  exact 1 thread %8.3f ms   exact %d threads %8.3f ms   faiss flat "
           "%8.3f ms   (median of %d single queries)\n",
           (long long)n, d, 1e3 * median(t1, reps), threads, 1e3 * median(tn, reps),
           1e3 * median(tf, reps), reps);
    fflush(stdout);
    if (n >= 1000000) {
        struct zt_ivf *ivf = NULL;
        double t = zt_now();
        if (zt_ivf_build(ix, 1024, &ivf)) {
            fprintf(stderr, "bench: ivf: %s\n", zt_errmsg());
        } else {
            printf("ivf: nlist 1024, built in %.1f s\n", zt_now() - t);
            int probes[] = {8, 16, 32, 64};
            for (int p = 0; p < 4; p++) {
                zt_ivf_set_nprobe(ivf, probes[p]);
                double hit = 0;
                struct zt_hit ap[10];
                int na;
                for (int r = 0; r < reps; r++) {
                    const float *qq = q + (size_t)r * d;
                    zt_index_search(ix, qq, NULL, 0, 10, threads, hits, &nh, NULL);
                    t = zt_now();
                    zt_ivf_search(ivf, ix, qq, NULL, 0, 10, ap, &na);
                    tf[r] = zt_now() - t;
                    for (int i = 0; i < nh; i++)
                        for (int k = 0; k < na; k++) hit += hits[i].idx == ap[k].idx;
                }
                printf("ivf nprobe %-3d %8.3f ms   recall@10 vs exact %.3f\n", probes[p],
                       1e3 * median(tf, reps), hit / (10.0 * reps));
            }
        }
        zt_ivf_free(ivf);
    }
    zt_faiss_free(flat);
    zt_index_free(ix);
    free(c), free(v), free(t1), free(tn), free(tf), free(q);
}

static void bench_queries(const char *catalog, const char *drawing, int reps, int threads)
{
    struct zt_store *s = NULL;
    struct zt_searcher *sr = NULL;
    struct zt_image im = {0};
    struct zt_searcher_opts so = {.catalog = catalog, .model = NULL, .threads = threads};
    if (zt_store_open(catalog, &s) || zt_searcher_open(&so, s, &sr) ||
        zt_image_load(drawing, 0, NULL, &im)) {
        fprintf(stderr, "bench: %s\n", zt_errmsg());
        exit(1);
    }
    double *t = malloc(sizeof(double) * reps), *ti = malloc(sizeof(double) * reps);
    for (int r = 0; r < reps; r++) {
        struct zt_search_req rq = {.q = {.drawing = &im}, .filter = ZT_INDEX_FILTER_ANY,
                                   .limit = 10};
        struct zt_search_result res;
        double t0 = zt_now();
        if (zt_search_run(sr, s, &rq, &res)) {
            fprintf(stderr, "bench: %s\n", zt_errmsg());
            exit(1);
        }
        t[r] = zt_now() - t0;
        ti[r] = res.t.index;
        zt_search_result_free(&res);
    }
    printf("query (drawing in, top 10 out) on %lld products: %.2f ms (index scan %.3f ms), "
           "generator: %s; median of %d\n",
           (long long)zt_index_count(zt_searcher_index(sr)), 1e3 * median(t, reps),
           1e3 * median(ti, reps), zt_searcher_model(sr)[0] ? zt_searcher_model(sr) : "none",
           reps);
    free(t), free(ti);
    zt_image_free(&im);
    zt_searcher_close(sr);
    zt_store_close(s);
}

int main(int argc, char **argv)
{
    const char *sizes = "10000,100000,1000000", *catalog = NULL, *drawing = NULL;
    int d = 256, reps = 30, o;
    while ((o = getopt(argc, argv, "n:d:r:c:q:")) != -1) {
        switch (o) {
        case 'n': sizes = optarg; break;
        case 'd': d = atoi(optarg); break;
        case 'r': reps = atoi(optarg); break;
        case 'c': catalog = optarg; break;
        case 'q': drawing = optarg; break;
        default:
            fprintf(stderr, "usage: bench_search [-n N,N] [-d D] [-r R] [-c CATALOG -q DRAWING]\n");
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    int threads = zt_threads_default();
    if (catalog && drawing) bench_queries(catalog, drawing, reps, threads);
    for (const char *p = sizes; p && *p;) {
        int64_t n = strtoll(p, (char **)&p, 10);
        if (n > 0) bench_size(n, d, reps, threads);
        if (*p == ',') p++;
        else break;
    }
    return 0;
}
