/* bench_gpu.c: `make bench-gpu`: Ztyle's cuda engine against PyTorch on the
 * same GPU, in one run. For a configuration (ztyle_128: the shipped
 * generator's shape, 9 inputs, ngf 32, 128 px; unet_256: 3 inputs, ngf 64,
 * 256 px; the U-Net with transposed convolutions as the official pix2pix,
 * or --resize for Ztyle's nearest x2 + 3x3 conv decoder) it times the
 * generator forward (eval mode, batch --fwd-batch) and the pix2pix
 * training step (batch --batch), medians of --reps runs after warm-up, each
 * run ending with the host holding its result (losses, output), then runs
 * bench/torch_pix2pix_gpu.py (python: $TORCH_PYTHON, else python3) and
 * prints both, the ratios (Ztyle / PyTorch images/s) and the device memory
 * in use; the last line is one JSON object.
 *   bench_gpu [--config ztyle_128|unet_256] [--batch N] [--fwd-batch N]
 *             [--reps N] [--resize] [--no-torch]
 * Needs a CUDA build (`make CUDA=1`) and a GPU; says so and exits 1 otherwise. */
#include "../src/core/engine.h"
#include "../src/core/graph.h"
#include "../src/nn/pix2pix.h"
#include "../src/nn/pix2pix_train.h"
#include "../src/util/progress.h"
#include "../src/util/rng.h"
#include "../src/util/zt.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cfg {
    const char *name;
    int in_nc, num_downs, ngf, size;
};
static const struct cfg CFGS[] = {{"ztyle_128", 9, 7, 32, 128}, {"unet_256", 3, 8, 64, 256}};

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef int (*run_fn)(void *ctx);

/* Median seconds of reps runs after warmup runs; tracks the device memory peak. */
static double median(run_fn fn, void *ctx, int warmup, int reps, struct zt_engine *e,
                     int64_t *peak)
{
    double ts[512];
    if (reps > 512) reps = 512;
    for (int i = 0; i < warmup; i++)
        if (fn(ctx)) return -1;
    for (int i = 0; i < reps; i++) {
        double t0 = zt_now();
        if (fn(ctx)) return -1;
        ts[i] = zt_now() - t0;
        int64_t u = zt_engine_dev_used(e);
        if (u > *peak) *peak = u;
    }
    qsort(ts, (size_t)reps, sizeof *ts, cmp_d);
    return ts[reps / 2];
}

struct fwd_ctx {
    struct zt_unet *g;
    struct zt_graph *graph;
    float *x, y0;
    int64_t shape[4];
};

static int run_fwd(void *p)
{
    struct fwd_ctx *c = p;
    zt_graph_begin(c->graph, 0);
    struct zt_tensor *x = zt_graph_input(c->graph, 4, c->shape, c->x, 0);
    struct zt_tensor *y = zt_unet_forward(c->g, c->graph, x);
    if (!y) return zt_graph_status(c->graph) ? zt_graph_status(c->graph) : ZT_EINVAL;
    return zt_graph_read(c->graph, y->data, &c->y0, 1); /* waits for the GPU */
}

struct train_ctx {
    struct zt_p2p *m;
    float *a, *b;
    int batch, size;
    uint64_t it;
};

static int run_train(void *p)
{
    struct train_ctx *c = p;
    struct zt_p2p_losses l;
    return zt_p2p_step(c->m, c->a, c->b, c->batch, c->size, c->it++, &l);
}

/* Runs the PyTorch half; its last stdout line parsed, or NULL. */
static json_t *run_torch(const struct cfg *c, int batch, int fwd_batch, int reps)
{
    const char *py = getenv("TORCH_PYTHON");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s bench/torch_pix2pix_gpu.py --config %s --batch %d --fwd-batch %d --reps %d",
             py && *py ? py : "python3", c->name, batch, fwd_batch, reps);
    fprintf(stderr, "bench_gpu: %s\n", cmd);
    FILE *f = popen(cmd, "r");
    if (!f) return NULL;
    char line[4096], last[4096] = "";
    while (fgets(line, sizeof line, f))
        if (line[0] == '{') snprintf(last, sizeof last, "%s", line);
    pclose(f);
    return last[0] ? json_loads(last, 0, NULL) : NULL;
}

int main(int argc, char **argv)
{
    const struct cfg *c = &CFGS[0];
    int batch = 8, fwd_batch = 1, reps = 20, resize = 0, torch = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--config") && v) {
            c = NULL;
            for (size_t k = 0; k < sizeof CFGS / sizeof CFGS[0]; k++)
                if (!strcmp(CFGS[k].name, v)) c = &CFGS[k];
            if (!c) {
                fprintf(stderr, "bench_gpu: unknown config %s (ztyle_128, unet_256)\n", v);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--batch") && v) batch = atoi(argv[++i]);
        else if (!strcmp(a, "--fwd-batch") && v) fwd_batch = atoi(argv[++i]);
        else if (!strcmp(a, "--reps") && v) reps = atoi(argv[++i]);
        else if (!strcmp(a, "--resize")) resize = 1;
        else if (!strcmp(a, "--no-torch")) torch = 0;
        else {
            fprintf(stderr, "usage: bench_gpu [--config ztyle_128|unet_256] [--batch N] "
                            "[--fwd-batch N] [--reps N] [--resize] [--no-torch]\n");
            return 2;
        }
    }
    if (batch < 1 || fwd_batch < 1 || reps < 1) {
        fprintf(stderr, "bench_gpu: batch, fwd-batch and reps must be >= 1\n");
        return 2;
    }
    struct zt_p2p_cfg pc;
    zt_p2p_cfg_default(&pc, c->in_nc, c->num_downs, c->ngf);
    pc.g.upsample = resize ? ZT_UP_RESIZE : ZT_UP_DECONV;
    struct zt_p2p m;
    if (zt_p2p_init_on(&m, &pc, 4, 1, ZT_BACKEND_CUDA) || zt_p2p_place(&m, 1)) {
        fprintf(stderr, "bench_gpu: %s\n", zt_errmsg());
        return 1;
    }
    int s = c->size;
    size_t na = (size_t)batch * c->in_nc * s * s, nb = (size_t)batch * 3 * s * s;
    float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * nb);
    struct zt_rng r;
    zt_rng_seed(&r, 1);
    zt_rng_fill_uniform(&r, A, (int64_t)na, -1, 1);
    zt_rng_fill_uniform(&r, B, (int64_t)nb, -1, 1);
    int64_t peak = zt_engine_dev_used(m.eng);

    /* forward: a graph of its own on the model's engine (weights already there) */
    struct fwd_ctx fc = {&m.G, zt_graph_new(m.eng, 0, 0), A, 0, {fwd_batch, c->in_nc, s, s}};
    if (fwd_batch > batch) fc.x = NULL; /* zeros */
    double tf = fc.graph ? median(run_fwd, &fc, 5, reps, m.eng, &peak) : -1;
    zt_graph_free(fc.graph);
    struct train_ctx tc = {&m, A, B, batch, s, 0};
    double tt = tf >= 0 ? median(run_train, &tc, 3, reps, m.eng, &peak) : -1;
    if (tf < 0 || tt < 0) {
        fprintf(stderr, "bench_gpu: %s\n", zt_errmsg());
        return 1;
    }
    double fwd_img_s = fwd_batch / tf, train_img_s = batch / tt;
    printf("ztyle   %s%s: generator forward %.2f ms at batch %d (%.1f images/s), "
           "training step %.2f ms at batch %d (%.1f images/s), device memory in use %.0f MiB\n",
           c->name, resize ? " resize" : "", 1e3 * tf, fwd_batch, fwd_img_s, 1e3 * tt, batch,
           train_img_s, (double)peak / (1 << 20));
    json_t *out = json_pack("{s:s, s:s, s:b, s:i, s:f, s:f, s:i, s:f, s:f, s:f}", "bench",
                            "bench_gpu", "config", c->name, "resize", resize, "fwd_batch",
                            fwd_batch, "fwd_ms", 1e3 * tf, "fwd_img_s", fwd_img_s, "batch", batch,
                            "train_ms", 1e3 * tt, "train_img_s", train_img_s, "used_mb",
                            (double)peak / (1 << 20));
    /* release the GPU before PyTorch measures */
    zt_p2p_deinit(&m);
    free(A);
    free(B);
    json_t *t = torch ? run_torch(c, batch, fwd_batch, reps) : NULL;
    double tfi = json_real_value(json_object_get(t, "fwd_img_s"));
    double tti = json_real_value(json_object_get(t, "train_img_s"));
    if (t && tfi > 0 && tti > 0) {
        printf("pytorch %s (%s, %s): generator forward %.2f ms (%.1f images/s), training step "
               "%.2f ms (%.1f images/s), peak allocated %.0f MiB, device memory in use %.0f MiB\n",
               c->name, json_string_value(json_object_get(t, "torch")),
               json_string_value(json_object_get(t, "gpu")),
               json_real_value(json_object_get(t, "fwd_ms")), tfi,
               json_real_value(json_object_get(t, "train_ms")), tti,
               json_real_value(json_object_get(t, "peak_alloc_mb")),
               json_real_value(json_object_get(t, "used_mb")));
        printf("ratio (ztyle / pytorch images/s): forward %.2fx, training %.2fx\n", fwd_img_s / tfi,
               train_img_s / tti);
        json_object_set_new(out, "torch", json_incref(t));
        json_object_set_new(out, "ratio_fwd", json_real(fwd_img_s / tfi));
        json_object_set_new(out, "ratio_train", json_real(train_img_s / tti));
    } else if (torch) {
        printf("pytorch: no result (%s)\n", t ? json_string_value(json_object_get(t, "error"))
                                             : "bench/torch_pix2pix_gpu.py failed");
    }
    char *js = json_dumps(out, JSON_COMPACT);
    if (js) printf("%s\n", js);
    free(js);
    json_decref(out);
    json_decref(t);
    return 0;
}
