/* bench_engine.c: the Ztyle half of the engine benchmark (`make bench-engine`,
 * driven by bench/bench_engine.py next to PyTorch's bench/torch_pix2pix.py).
 * One configuration, thread count and mode per process, so peak RSS is per
 * run: prints one JSON line.
 *   bench_engine CONFIG THREADS fwd|train [--warmup N] [--reps N] [--budget S]
 * CONFIG: unet_256 (3 in, ngf 64, 256 px) or unet_128 (5 in, ngf 32, 128 px);
 * batch 1; PatchGAN n_layers 3, ndf 64; BN, dropout as the official nets. */
#include "../src/core/engine.h"
#include "../src/core/graph.h"
#include "../src/core/rng.h"
#include "../src/nn/p2p.h"
#include "../src/nn/pix2pix.h"
#include "../src/util/progress.h"
#include "../src/util/zt.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double peak_rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double mb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) mb = atof(line + 6) / 1024.0;
    if (f) fclose(f);
    return mb;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef int (*run_fn)(void *ctx);

/* Median seconds of fn over up to reps runs (at least 3, then until budget). */
static double median_time(run_fn fn, void *ctx, int warmup, int reps, double budget, double *mn)
{
    for (int i = 0; i < warmup; i++) {
        double t0 = zt_now();
        if (fn(ctx)) return -1;
        if (zt_now() - t0 > budget / 5) break;
    }
    double ts[256], sum = 0;
    int n = 0;
    while (n < reps && n < 256 && (n < 3 || sum < budget)) {
        double t0 = zt_now();
        if (fn(ctx)) return -1;
        ts[n] = zt_now() - t0;
        sum += ts[n++];
    }
    qsort(ts, (size_t)n, sizeof *ts, cmp_d);
    if (mn) *mn = ts[0];
    return ts[n / 2];
}

struct fwd_ctx {
    struct zt_unet *g;
    struct zt_graph *graph;
    float *x;
    int64_t shape[4];
    int flags;
};

static int run_fwd(void *p)
{
    struct fwd_ctx *c = p;
    zt_graph_begin(c->graph, c->flags);
    struct zt_tensor *x = zt_graph_input(c->graph, 4, c->shape, c->x, 0);
    struct zt_tensor *y = zt_unet_forward(c->g, c->graph, x);
    return y ? ZT_OK : zt_graph_status(c->graph);
}

struct train_ctx {
    struct zt_p2p *m;
    float *a, *b;
    int size;
    uint64_t it;
};

static int run_train(void *p)
{
    struct train_ctx *c = p;
    return zt_p2p_step(c->m, c->a, c->b, 1, c->size, c->it++, NULL);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_engine unet_256|unet_128 THREADS fwd|train [--warmup N] "
                        "[--reps N] [--budget S]\n");
        return 2;
    }
    const char *config = argv[1], *mode = argv[3];
    int threads = atoi(argv[2]), warmup = 2, reps = 10;
    double budget = 20;
    for (int i = 4; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--warmup")) warmup = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--budget")) budget = atof(argv[i + 1]);
    }
    int in_nc, nd, ngf, size;
    if (!strcmp(config, "unet_256")) in_nc = 3, nd = 8, ngf = 64, size = 256;
    else if (!strcmp(config, "unet_128")) in_nc = 5, nd = 7, ngf = 32, size = 128;
    else {
        fprintf(stderr, "unknown config %s\n", config);
        return 2;
    }
    omp_set_num_threads(threads);
    struct zt_p2p_cfg pc;
    zt_p2p_cfg_default(&pc, in_nc, nd, ngf);
    struct zt_p2p m;
    if (zt_p2p_init(&m, &pc, threads, 1)) {
        fprintf(stderr, "init: %s\n", zt_errmsg());
        return 1;
    }
    size_t na = (size_t)in_nc * size * size, nb = (size_t)3 * size * size;
    float *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b);
    struct zt_rng r;
    zt_rng_seed(&r, 0);
    zt_rng_fill_uniform(&r, a, (int64_t)na, -1, 1);
    zt_rng_fill_uniform(&r, b, (int64_t)nb, -1, 1);
    double mn = 0;
    printf("{\"config\": \"%s\", \"threads\": %d, \"mode\": \"%s\"", config, threads, mode);
    if (!strcmp(mode, "fwd")) {
        struct fwd_ctx c = {&m.G, m.gG, a, {1, in_nc, size, size}, ZT_GRAPH_TRAIN};
        double t_train = median_time(run_fwd, &c, warmup, reps, budget, &mn);
        c.flags = 0;
        double mn2 = 0, t_eval = median_time(run_fwd, &c, 1, reps, budget, &mn2);
        if (t_train < 0 || t_eval < 0) {
            fprintf(stderr, "forward: %s\n", zt_errmsg());
            return 1;
        }
        printf(", \"fwd_train_s\": %.6f, \"fwd_train_min_s\": %.6f, \"fwd_eval_s\": %.6f, "
               "\"fwd_eval_min_s\": %.6f",
               t_train, mn, t_eval, mn2);
    } else {
        struct train_ctx c = {&m, a, b, size, 0};
        double t = median_time(run_train, &c, warmup, reps, budget, &mn);
        if (t < 0) {
            fprintf(stderr, "train step: %s\n", zt_errmsg());
            return 1;
        }
        printf(", \"train_step_s\": %.6f, \"train_step_min_s\": %.6f", t, mn);
    }
    printf(", \"maxrss_mb\": %.1f}\n", peak_rss_mb());
    free(a);
    free(b);
    zt_p2p_deinit(&m);
    return 0;
}
