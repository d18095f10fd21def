/* bench_search.c: `make bench-search`: index search latency on synthetic
 * clustered unit vectors (d = 256; 10k, 100k, 1M items): the exact scan
 * (f16 copy + exact rescoring on 1 and all threads, plain f32 on 1 thread)
 * against FAISS flat search called directly and numpy (x @ q + argpartition,
 * bench/bench_search_numpy.py) in the same run, then the approximate IVF
 * index at sizes >= 1M (recall@10 against exact, build time). Optional:
 * `-c CATALOG -q DRAWING` times whole queries (drawing in, top 10 out) on a
 * real catalogue.
 * Data: C centres (default 10000) uniform on the sphere; item = centre +
 * Gaussian noise of norm about s (default 0.7), normalised (cosine to its
 * centre ~0.8); query = an item + noise of norm 0.3, normalised (a new
 * picture of a catalogue product). Usage: bench_search [-n 10000,100000,
 * 1000000] [-d 256] [-r REPEATS] [-C CENTRES] [-s SPREAD] [-l NLIST,...]
 * [-p NPROBE,...] [-N (no numpy)] [-c CATALOG -q DRAWING.png] */
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
static double urand(void)
{
    st ^= st << 13, st ^= st >> 7, st ^= st << 17;
    return (double)(st >> 11) / 9007199254740992.0;
}
/* standard normal (Box-Muller) */
static float nrand(void)
{
    double u = urand(), v = urand();
    return (float)(sqrt(-2 * log(u + 1e-300)) * cos(6.283185307179586 * v));
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

static double load1(void)
{
    double l[1] = {-1};
    getloadavg(l, 1);
    return l[0];
}

static void normalise(float *v, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++) s += (double)v[j] * v[j];
    for (int j = 0; j < d; j++) v[j] = (float)(v[j] / sqrt(s));
}

/* v = normalise(base + noise of norm ~ sigma) */
static void jitter(const float *base, float sigma, int d, float *v)
{
    for (int j = 0; j < d; j++) v[j] = base[j] + sigma / sqrtf((float)d) * nrand();
    normalise(v, d);
}

struct opts {
    int d, reps, centres, numpy, threads;
    float spread;
    const char *nlists, *nprobes;
};

/* numpy's median for n x d, from bench_search_numpy.py; -1 if it failed */
static double numpy_ms(int64_t n, int d, int reps)
{
    char cmd[512], line[256];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 bench/bench_search_numpy.py %lld %d %d 2>&1",
             (long long)n, d, reps);
    FILE *p = popen(cmd, "r");
    double ms = -1;
    if (!p) return -1;
    while (fgets(line, sizeof line, p)) {
        const char *m = strstr(line, "median_ms ");
        if (m) ms = atof(m + 10);
        else fputs(line, stderr);
    }
    pclose(p);
    return ms;
}

/* IVF builds and nprobe sweeps on nq >= 200 queries of their own (recall
 * needs more queries than a latency median) */
static void bench_ivf(struct zt_index *ix, const struct opts *o)
{
    const int d = o->d, reps = ZT_MAX(o->reps, 200);
    const int64_t n = zt_index_count(ix);
    struct zt_hit ex[10], ap[10];
    int ne, na;
    float *q = malloc(sizeof(float) * (size_t)reps * d);
    for (int r = 0; r < reps; r++)
        jitter(zt_index_vector(ix, (int64_t)(urand() * n)), 0.3f, d, q + (size_t)r * d);
    /* the exact answers, once */
    int64_t *truth = malloc(sizeof(int64_t) * 10 * (size_t)reps);
    int *ntruth = malloc(sizeof(int) * (size_t)reps);
    double *tq = malloc(sizeof(double) * (size_t)reps);
    for (int r = 0; r < reps; r++) {
        zt_index_search(ix, q + (size_t)r * d, NULL, 0, 10, o->threads, ex, &ne, NULL);
        ntruth[r] = ne;
        for (int i = 0; i < ne; i++) truth[r * 10 + i] = ex[i].idx;
    }
    for (const char *pl = o->nlists; pl && *pl;) {
        int nlist = (int)strtol(pl, (char **)&pl, 10);
        if (*pl == ',') pl++;
        if (nlist <= 0) break;
        struct zt_ivf *ivf = NULL;
        double t = zt_now();
        zt_faiss_set_threads(o->threads);
        if (zt_ivf_build(ix, nlist, &ivf)) {
            fprintf(stderr, "bench: ivf: %s\n", zt_errmsg());
            break;
        }
        printf("  ivf nlist %d: built in %.1f s (load %.1f)\n", nlist, zt_now() - t, load1());
        fflush(stdout);
        for (const char *pp = o->nprobes; pp && *pp;) {
            int nprobe = (int)strtol(pp, (char **)&pp, 10);
            if (*pp == ',') pp++;
            if (nprobe <= 0) break;
            zt_ivf_set_nprobe(ivf, nprobe);
            double hit = 0, tot = 0;
            for (int r = 0; r < reps; r++) {
                t = zt_now();
                zt_ivf_search(ivf, ix, q + (size_t)r * d, NULL, 0, 10, ap, &na);
                tq[r] = zt_now() - t;
                for (int i = 0; i < ntruth[r]; i++)
                    for (int k = 0; k < na; k++) hit += truth[r * 10 + i] == ap[k].idx;
                tot += ntruth[r];
            }
            printf("  ivf nlist %-5d nprobe %-4d %8.3f ms   recall@10 vs exact %.3f   (median "
                   "of %d; load %.1f)\n",
                   nlist, nprobe, 1e3 * median(tq, reps), hit / tot, reps, load1());
            fflush(stdout);
        }
        zt_ivf_free(ivf);
    }
    free(truth), free(ntruth), free(tq), free(q);
}

static void bench_size(int64_t n, const struct opts *o)
{
    const int d = o->d, reps = o->reps, threads = o->threads;
    struct zt_index *ix = NULL;
    if (zt_index_new(d, &ix) || zt_index_reserve(ix, n)) {
        fprintf(stderr, "bench: %s\n", zt_errmsg());
        exit(1);
    }
    double l0 = load1(), tgen = zt_now();
    float *c = malloc(sizeof(float) * (size_t)o->centres * d), *v = malloc(sizeof(float) * d);
    for (int i = 0; i < o->centres; i++) {
        for (int j = 0; j < d; j++) c[(size_t)i * d + j] = nrand();
        normalise(c + (size_t)i * d, d);
    }
    for (int64_t i = 0; i < n; i++) {
        jitter(c + (size_t)(urand() * o->centres) * d, o->spread, d, v);
        char id[24];
        snprintf(id, sizeof id, "s%09lld", (long long)i);
        zt_index_add(ix, id, (int)(i % 5), i % 20000, v);
    }
    tgen = zt_now() - tgen;
    struct zt_faiss *flat = NULL;
    zt_faiss_new("Flat", d, &flat);
    zt_faiss_add(flat, n, zt_index_vector(ix, 0));
    double *t1 = malloc(sizeof(double) * reps), *tn = malloc(sizeof(double) * reps),
           *t32 = malloc(sizeof(double) * reps), *tf = malloc(sizeof(double) * reps);
    float *q = malloc(sizeof(float) * (size_t)reps * d), sc[10];
    int64_t pos[10];
    for (int r = 0; r < reps; r++)
        jitter(zt_index_vector(ix, (int64_t)(urand() * n)), 0.3f, d, q + (size_t)r * d);
    struct zt_hit hits[10], h32[10];
    int nh, n32, differ = 0;
    zt_faiss_set_threads(threads);
    for (int r = -2; r < reps; r++) { /* two warm-up rounds */
        const float *qq = q + (size_t)(r < 0 ? 0 : r) * d;
        double t = zt_now();
        zt_index_search(ix, qq, NULL, 0, 10, 1, hits, &nh, NULL);
        double a = zt_now() - t;
        t = zt_now();
        zt_index_search(ix, qq, NULL, 0, 10, threads, hits, &nh, NULL);
        double b = zt_now() - t;
        zt_index_set_scan(ix, ZT_INDEX_SCAN_F32);
        t = zt_now();
        zt_index_search(ix, qq, NULL, 0, 10, 1, h32, &n32, NULL);
        double c32 = zt_now() - t;
        zt_index_set_scan(ix, ZT_INDEX_SCAN_AUTO);
        t = zt_now();
        zt_faiss_search(flat, 1, qq, 10, sc, pos);
        double f = zt_now() - t;
        if (r < 0) continue;
        t1[r] = a, tn[r] = b, t32[r] = c32, tf[r] = f;
        differ += n32 != nh;
        for (int i = 0; i < nh && i < n32; i++)
            differ += hits[i].idx != h32[i].idx || hits[i].score != h32[i].score;
    }
    double np = o->numpy ? numpy_ms(n, d, reps) : -1;
    printf("n=%-8lld d=%d  exact(auto) 1 thread %8.3f ms  %d threads %8.3f ms  | f32 1 thread "
           "%8.3f ms | faiss flat %8.3f ms | numpy %8.3f ms   (median of %d; load %.1f -> %.1f; "
           "data %.1f s)%s\n",
           (long long)n, d, 1e3 * median(t1, reps), threads, 1e3 * median(tn, reps),
           1e3 * median(t32, reps), 1e3 * median(tf, reps), np, reps, l0, load1(), tgen,
           differ ? "  ** auto and f32 answers DIFFER **" : "");
    fflush(stdout);
    zt_faiss_free(flat);
    if (n >= 1000000 && o->nlists) bench_ivf(ix, o);
    zt_index_free(ix);
    free(c), free(v), free(t1), free(tn), free(t32), free(tf), free(q);
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
    struct opts o = {.d = 256, .reps = 30, .centres = 10000, .numpy = 1, .spread = 0.7f,
                     .nlists = "1024", .nprobes = "4,8,16,32,64"};
    int c;
    while ((c = getopt(argc, argv, "n:d:r:C:s:l:p:Nc:q:")) != -1) {
        switch (c) {
        case 'n': sizes = optarg; break;
        case 'd': o.d = atoi(optarg); break;
        case 'r': o.reps = atoi(optarg); break;
        case 'C': o.centres = atoi(optarg); break;
        case 's': o.spread = (float)atof(optarg); break;
        case 'l': o.nlists = strcmp(optarg, "0") ? optarg : NULL; break;
        case 'p': o.nprobes = optarg; break;
        case 'N': o.numpy = 0; break;
        case 'c': catalog = optarg; break;
        case 'q': drawing = optarg; break;
        default:
            fprintf(stderr, "usage: bench_search [-n N,N] [-d D] [-r R] [-C CENTRES] [-s SPREAD] "
                            "[-l NLIST,..|0] [-p NPROBE,..] [-N] [-c CATALOG -q DRAWING]\n");
            return 2;
        }
    }
    if (o.reps < 1) o.reps = 1;
    if (o.d < 1 || o.centres < 1) return 2;
    o.threads = zt_threads_default();
    if (catalog && drawing) bench_queries(catalog, drawing, o.reps, o.threads);
    for (const char *p = sizes; p && *p;) {
        int64_t n = strtoll(p, (char **)&p, 10);
        if (n > 0) bench_size(n, &o);
        if (*p == ',') p++;
        else break;
    }
    return 0;
}
