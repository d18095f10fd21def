/* bench_engine.c: the Ztyle half of the engine benchmark (`make bench-engine`,
 * driven by bench/bench_engine.py next to PyTorch's bench/torch_pix2pix.py).
 * One configuration, thread count and mode per process, so peak RSS is per
 * run: prints one JSON line.
 *   bench_engine CONFIG THREADS fwd|train [--warmup N] [--reps N] [--budget S] [--profile 1]
 * Besides wall time, *_cpu_s is the median process CPU time (user+sys, all
 * threads) per run: steadier than wall time on a shared machine. --profile 1
 * prints a per-op table (engine profile, wall and CPU ms per run) to stderr.
 * CONFIG: unet_256 (3 in, ngf 64, 256 px), unet_128 (5 in, ngf 32, 128 px) or
 * ztyle_128 (the shipped model: 9 in, ngf 32, 128 px; training at batch 8);
 * forward at batch 1; PatchGAN n_layers 3, ndf 64; BN, dropout as the official
 * nets. */
#include "../src/core/engine.h"
#include "../src/core/graph.h"
#include "../src/util/rng.h"
#include "../src/nn/pix2pix_train.h"
#include "../src/nn/pix2pix.h"
#include "../src/util/progress.h"
#include "../src/util/zt.h"

#include "../src/core/engine.h"
#include "../src/nn/optim.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void)
{
    struct timespec c;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
    return (double)c.tv_sec + 1e-9 * (double)c.tv_nsec;
}

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

static double last_cpu_median; /* CPU seconds per run of the last median_time */
static int last_runs;

/* Median seconds of fn over up to reps runs (at least 3, then until budget). */
static double median_time(run_fn fn, void *ctx, int warmup, int reps, double budget, double *mn)
{
    for (int i = 0; i < warmup; i++) {
        double t0 = zt_now();
        if (fn(ctx)) return -1;
        if (zt_now() - t0 > budget / 5) break;
    }
    double ts[256], cs[256], sum = 0;
    int n = 0;
    while (n < reps && n < 256 && (n < 3 || sum < budget)) {
        double t0 = zt_now(), c0 = cpu_now();
        if (fn(ctx)) return -1;
        ts[n] = zt_now() - t0;
        cs[n] = cpu_now() - c0;
        sum += ts[n++];
    }
    qsort(ts, (size_t)n, sizeof *ts, cmp_d);
    qsort(cs, (size_t)n, sizeof *cs, cmp_d);
    last_cpu_median = cs[n / 2];
    last_runs = n;
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
    int batch;
};

static int run_train(void *p)
{
    struct train_ctx *c = p;
    return zt_p2p_step(c->m, c->a, c->b, c->batch, c->size, c->it++, NULL);
}

/* The engine's per-op profile over runs calls, to stderr: ms per run. */
static void print_profile(struct zt_engine *e, const char *what, int runs, double run_wall,
                          double run_cpu)
{
    struct zt_op_profile p[128];
    int n = zt_engine_profile(e, p, 128);
    double tw = 0, tc = 0;
    fprintf(stderr, "profile: %s, ms per run (%d runs)\n%-20s %4s %6s %9s %9s\n", what, runs,
            "op", "dir", "calls", "wall", "cpu");
    for (int i = 0; i < n && i < 128; i++) {
        fprintf(stderr, "%-20s %4s %6.1f %9.2f %9.2f\n", p[i].op, p[i].bwd ? "bwd" : "fwd",
                (double)p[i].calls / runs, 1e3 * p[i].wall_s / runs, 1e3 * p[i].cpu_s / runs);
        tw += p[i].wall_s;
        tc += p[i].cpu_s;
    }
    fprintf(stderr, "%-20s %4s %6s %9.2f %9.2f\n", "sum of ops", "", "", 1e3 * tw / runs,
            1e3 * tc / runs);
    fprintf(stderr, "%-20s %4s %6s %9.2f %9.2f\n", "whole run (median)", "", "", 1e3 * run_wall,
            1e3 * run_cpu);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_engine unet_256|unet_128 THREADS fwd|train [--warmup N] "
                        "[--reps N] [--budget S]\n");
        return 2;
    }
    const char *config = argv[1], *mode = argv[3];
    int threads = atoi(argv[2]), warmup = 2, reps = 10, profile = 0;
    double budget = 20;
    for (int i = 4; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--warmup")) warmup = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--budget")) budget = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--profile")) profile = atoi(argv[i + 1]);
    }
    int in_nc, nd, ngf, size, batch = 1;
    if (!strcmp(config, "unet_256")) in_nc = 3, nd = 8, ngf = 64, size = 256;
    else if (!strcmp(config, "unet_128")) in_nc = 5, nd = 7, ngf = 32, size = 128;
    else if (!strcmp(config, "ztyle_128")) in_nc = 9, nd = 7, ngf = 32, size = 128, batch = 8;
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
    size_t na = (size_t)batch * in_nc * size * size, nb = (size_t)batch * 3 * size * size;
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
        double c_train = last_cpu_median;
        c.flags = 0;
        if (profile) { /* the warm-up run counts: median_time's first run is one */
            run_fwd(&c);
            zt_engine_set_profile(m.eng, 1);
        }
        double mn2 = 0, t_eval = median_time(run_fwd, &c, 0, reps, budget, &mn2);
        double c_eval = last_cpu_median;
        if (t_train < 0 || t_eval < 0) {
            fprintf(stderr, "forward: %s\n", zt_errmsg());
            return 1;
        }
        if (profile) print_profile(m.eng, "generator forward (eval)", last_runs, t_eval, c_eval);
        printf(", \"fwd_train_s\": %.6f, \"fwd_train_min_s\": %.6f, \"fwd_eval_s\": %.6f, "
               "\"fwd_eval_min_s\": %.6f, \"fwd_train_cpu_s\": %.6f, \"fwd_eval_cpu_s\": %.6f",
               t_train, mn, t_eval, mn2, c_train, c_eval);
    } else {
        struct train_ctx c = {.m = &m, .a = a, .b = b, .size = size, .batch = batch};
        if (profile) {
            for (int i = 0; i < warmup; i++) run_train(&c);
            warmup = 0;
            zt_engine_set_profile(m.eng, 1);
        }
        double t = median_time(run_train, &c, warmup, reps, budget, &mn);
        double ct = last_cpu_median;
        if (t < 0) {
            fprintf(stderr, "train step: %s\n", zt_errmsg());
            return 1;
        }
        if (profile) {
            print_profile(m.eng, "training step", last_runs, t, ct);
            /* the optimizer steps, outside the engine: time them alone */
            double w0 = zt_now(), c0 = cpu_now();
            for (int i = 0; i < 3; i++) {
                zt_optim_step(m.optG);
                zt_optim_step(m.optD);
            }
            fprintf(stderr, "%-20s %4s %6s %9.2f %9.2f\n", "adam G+D (alone)", "", "",
                    1e3 * (zt_now() - w0) / 3, 1e3 * (cpu_now() - c0) / 3);
        }
        printf(", \"train_step_s\": %.6f, \"train_step_min_s\": %.6f, \"train_step_cpu_s\": %.6f",
               t, mn, ct);
    }
    printf(", \"maxrss_mb\": %.1f}\n", peak_rss_mb());
    free(a);
    free(b);
    zt_p2p_deinit(&m);
    return 0;
}
