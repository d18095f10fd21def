/* bench_conv.c: times the convolutions of a pix2pix unet_256 generator
 * (ngf 64, batch 1, 3x256x256) through the oneDNN kernels: forward,
 * backward-data, backward-weights (accumulating, as the graph calls them) per
 * layer, at 1 and 2 threads, with GFLOP/s.
 * Variants: AUTO (what the engine uses), BLOCKED with reorders, GEMM, IM2COL
 * and BLOCKED without reorders (the floor of keeping activations blocked).
 * Usage: bench_conv [-r reps] [-t 1,2] [-v] [-c]   (make bench-conv ARGS="...") */
#include "../src/core/conv.h"
#include "../src/util/progress.h"
#include "../src/util/zt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct layer {
    const char *name;
    struct zt_conv_desc d;
    int bias;          /* pix2pix with batch norm: only the outermost up-conv has one */
    int need_dx;       /* the first conv's input is the image: no gradient needed */
};

enum { NLAYERS = 16 };

/* encoder: Conv2d 4x4 s2 p1 3->64->128->256->512 x5; decoder: ConvTranspose2d
 * 4x4 s2 p1, input channels doubled by the skip concatenation (except the innermost) */
static void unet_layers(struct layer *L)
{
    static const int enc[9] = {3, 64, 128, 256, 512, 512, 512, 512, 512};
    static const char *enames[8] = {"e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8"};
    static const char *dnames[8] = {"d8", "d7", "d6", "d5", "d4", "d3", "d2", "d1"};
    int size = 256;
    for (int i = 0; i < 8; i++) {
        L[i] = (struct layer){enames[i],
                              {.n = 1, .cin = enc[i], .cout = enc[i + 1], .h = size, .w = size,
                               .kh = 4, .kw = 4, .sh = 2, .sw = 2, .ph = 1, .pw = 1, .dh = 1,
                               .dw = 1, .groups = 1},
                              0, i > 0};
        size /= 2;
    }
    /* decoder j (innermost first) outputs enc[7 - j] channels (3 at the end) */
    for (int j = 0; j < 8; j++) {
        int cin = j == 0 ? 512 : 2 * enc[8 - j];
        int cout = enc[7 - j];
        L[8 + j] = (struct layer){dnames[j],
                                  {.n = 1, .cin = cin, .cout = cout, .h = size, .w = size,
                                   .kh = 4, .kw = 4, .sh = 2, .sw = 2, .ph = 1, .pw = 1,
                                   .dh = 1, .dw = 1, .groups = 1, .transposed = 1},
                                  j == 7, 1};
        size *= 2;
    }
}

static double flops(const struct zt_conv_desc *d) /* one direction */
{
    const struct zt_conv_desc *x = d;
    double macs = x->transposed
                      ? (double)x->n * x->cin * x->h * x->w * (x->cout / x->groups) * x->kh * x->kw
                      : (double)x->n * x->cout * x->oh * x->ow * (x->cin / x->groups) * x->kh *
                            x->kw;
    return 2 * macs;
}

static float *buf(int64_t n)
{
    float *p = malloc(sizeof(float) * (size_t)n);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (int64_t i = 0; i < n; i++) p[i] = (float)((i * 7919) % 1000) * 1e-3f - 0.5f;
    return p;
}

struct bufs {
    float *x, *w, *b, *y, *dx, *dw, *db;
};

/* -c: the calling thread's CPU time instead of wall time. Only where the
 * kernel accounts CPU time finely: some sandboxes count 4 ms ticks. */
static int use_cpu_clock;
static double clock_s(void)
{
    if (!use_cpu_clock) return zt_now();
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum { NVAR = 5 };
static const struct {
    const char *name;
    int algo, floor;
} variants[NVAR] = {
    {"auto (plain NCHW in/out)", ZT_DNNL_AUTO, 0},
    {"blocked + reorders", ZT_DNNL_BLOCKED, 0},
    {"gemm (plain layouts)", ZT_DNNL_GEMM, 0},
    {"im2col + dnnl_sgemm", ZT_DNNL_IM2COL, 0},
    {"blocked, no reorders (floor)", ZT_DNNL_BLOCKED, 1},
};

/* one call of direction k of layer l with context c; the backward calls
 * accumulate, as the engine's graph calls them (gradients are summed) */
static void call(struct zt_dnnl *c, const struct layer *l, const struct bufs *B, int k)
{
    const struct zt_conv_desc *d = &l->d;
    if (k == 0) zt_conv_dnnl_fwd(c, d, B->x, B->w, l->bias ? B->b : NULL, B->y);
    else if (k == 1) zt_conv_dnnl_bwd_data(c, d, B->y, B->w, B->dx, 1);
    else zt_conv_dnnl_bwd_weights(c, d, B->x, B->y, B->dw, l->bias ? B->db : NULL, 1);
}

/* best-of-reps seconds t[v][k] of every variant v and direction k for layer
 * l; the variants take turns inside each round so that load from other
 * processes hits them alike. Round 0 builds (and tunes) primitives and, for
 * the floor, fills the blocked buffers before reorders are skipped. */
static void time_layer(struct zt_dnnl **ctx, const struct layer *l, const struct bufs *B,
                       int reps, double t[NVAR][3], int used[3])
{
    for (int v = 0; v < NVAR; v++)
        for (int k = 0; k < 3; k++) t[v][k] = 1e30;
    used[1] = 0;
    for (int r = 0; r < reps + 1; r++)
        for (int k = 0; k < 3; k++) {
            if (k == 1 && !l->need_dx) continue;
            for (int v = 0; v < NVAR; v++) {
                zt_dnnl_bench_skip_reorders(ctx[v], variants[v].floor && r > 0);
                double t0 = clock_s();
                call(ctx[v], l, B, k);
                double dt = clock_s() - t0;
                if (v == 0) used[k] = zt_dnnl_last_algo(ctx[v]);
                if (r > 0) t[v][k] = ZT_MIN(t[v][k], dt);
            }
        }
}

static const char *algo_name(int a)
{
    return a == ZT_DNNL_BLOCKED  ? "blocked"
           : a == ZT_DNNL_GEMM   ? "gemm"
           : a == ZT_DNNL_IM2COL ? "im2col"
           : a                   ? "?"
                                 : "ref";
}

/* all layers at nt threads: per-layer table of variant `show` (or all with
 * verbose) and a summary of every variant */
static void run_threads(const struct layer *L, const struct bufs *B, int nt, int reps,
                        int verbose)
{
    struct zt_dnnl *ctx[NVAR];
    for (int v = 0; v < NVAR; v++) {
        ctx[v] = zt_dnnl_new(nt);
        if (!ctx[v] || zt_dnnl_set_algo(ctx[v], variants[v].algo)) {
            fprintf(stderr, "%s\n", zt_errmsg());
            exit(1);
        }
    }
    double lt[NLAYERS][NVAR][3], tot[NVAR][3] = {{0}}, ftot[3] = {0};
    int used[NLAYERS][3];
    for (int i = 0; i < NLAYERS; i++) {
        time_layer(ctx, &L[i], B, reps, lt[i], used[i]);
        double f = flops(&L[i].d);
        for (int k = 0; k < 3; k++) {
            if (k == 1 && !L[i].need_dx) continue;
            ftot[k] += f;
            for (int v = 0; v < NVAR; v++) tot[v][k] += lt[i][v][k];
        }
    }
    printf("\n=== threads %d\n", nt);
    for (int v = 0; v < NVAR; v++) {
        if (v && !verbose) break;
        printf("\n%s:\n%-4s %-28s %9s %7s %9s %7s %9s %7s%s\n", variants[v].name, "", "shape",
               "fwd ms", "GF/s", "bwd-d ms", "GF/s", "bwd-w ms", "GF/s",
               v == 0 ? "  algo f/d/w" : "");
        for (int i = 0; i < NLAYERS; i++) {
            const struct zt_conv_desc *d = &L[i].d;
            double f = flops(d);
            char shape[64];
            snprintf(shape, sizeof shape, "%s %d->%d %dx%d->%dx%d", d->transposed ? "T" : "C",
                     d->cin, d->cout, d->h, d->w, d->oh, d->ow);
            printf("%-4s %-28s", L[i].name, shape);
            for (int k = 0; k < 3; k++) {
                if (k == 1 && !L[i].need_dx) printf(" %9s %7s", "-", "-");
                else printf(" %9.2f %7.1f", lt[i][v][k] * 1e3, f / lt[i][v][k] * 1e-9);
            }
            if (v == 0)
                printf("  %s/%s/%s", algo_name(used[i][0]),
                       L[i].need_dx ? algo_name(used[i][1]) : "-", algo_name(used[i][2]));
            printf("\n");
        }
        printf("%-33s %9.1f %7.1f %9.1f %7.1f %9.1f %7.1f\n", "total", tot[v][0] * 1e3,
               ftot[0] / tot[v][0] * 1e-9, tot[v][1] * 1e3, ftot[1] / tot[v][1] * 1e-9,
               tot[v][2] * 1e3, ftot[2] / tot[v][2] * 1e-9);
        struct zt_dnnl_stats s;
        zt_dnnl_get_stats(ctx[v], &s);
        printf("primitives %lld, reorders %lld, hits %lld, misses %lld, tuned %lld (gemm %lld, "
               "im2col %lld), fallbacks %lld, workspace %.1f MB\n",
               (long long)s.primitives_created, (long long)s.reorders_created,
               (long long)s.cache_hits, (long long)s.cache_misses, (long long)s.tuned,
               (long long)s.chose_gemm, (long long)s.chose_im2col, (long long)s.fallbacks,
               s.workspace_bytes / 1e6);
    }
    double fl = ftot[0] + ftot[1] + ftot[2];
    double floor_all = tot[NVAR - 1][0] + tot[NVAR - 1][1] + tot[NVAR - 1][2];
    printf("\nthreads %d summary (ms: fwd + bwd-data + bwd-weights = all, GFLOP/s)\n", nt);
    for (int v = 0; v < NVAR; v++) {
        double all = tot[v][0] + tot[v][1] + tot[v][2];
        printf("  %-30s %7.1f + %7.1f + %7.1f = %7.1f ms  %6.1f GF/s  %.2fx floor\n",
               variants[v].name, tot[v][0] * 1e3, tot[v][1] * 1e3, tot[v][2] * 1e3, all * 1e3,
               fl / all * 1e-9, all / floor_all);
    }
    for (int v = 0; v < NVAR; v++) zt_dnnl_free(ctx[v]);
}

int main(int argc, char **argv)
{
    int reps = 5, verbose = 0;
    const char *tlist = "1,2";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-r") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) tlist = argv[++i];
        else if (!strcmp(argv[i], "-v")) verbose = 1;
        else if (!strcmp(argv[i], "-c")) use_cpu_clock = 1;
        else {
            fprintf(stderr, "usage: bench_conv [-r reps] [-t 1,2] [-v] [-c]\n"
                            "  -v: per-layer tables for every variant, not just auto\n"
                            "  -c: time with the calling thread's CPU time (shared machines;\n"
                            "      exact at 1 thread, the caller's share at more; useless\n"
                            "      where CPU time is counted in scheduler ticks)\n");
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    struct layer L[NLAYERS];
    unet_layers(L);
    int64_t mx = 0, my = 0, mw = 0;
    for (int i = 0; i < NLAYERS; i++) {
        if (zt_conv_desc_init(&L[i].d)) {
            fprintf(stderr, "%s: %s\n", L[i].name, zt_errmsg());
            return 1;
        }
        const struct zt_conv_desc *d = &L[i].d;
        mx = ZT_MAX(mx, (int64_t)d->n * d->cin * d->h * d->w);
        my = ZT_MAX(my, (int64_t)d->n * d->cout * d->oh * d->ow);
        mw = ZT_MAX(mw, (int64_t)d->cin * d->cout / d->groups * d->kh * d->kw);
    }
    struct bufs B = {buf(mx), buf(mw), buf(512), buf(my), buf(mx), buf(mw), buf(512)};
    printf("unet_256 convolutions (ngf 64, batch 1, 3x256x256; no bwd-data for e1), oneDNN 2.6,\n"
           "%s time, best of %d runs per call, variants interleaved; reference floor (all\n"
           "convs in blocked layout, measured elsewhere): 413 ms at 1 thread, 219 ms at 2\n",
           use_cpu_clock ? "calling thread's CPU" : "wall", reps);
    const char *p = tlist;
    while (*p) {
        int nt = atoi(p);
        if (nt < 1) break;
        run_threads(L, &B, nt, reps, verbose);
        p = strchr(p, ',');
        if (!p) break;
        p++;
    }
    free(B.x), free(B.w), free(B.b), free(B.y), free(B.dx), free(B.dw), free(B.db);
    return 0;
}
