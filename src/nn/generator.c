/* generator.c: inference with a generator file. */
#include "generator.h"
#include "../core/engine.h"
#include "../core/graph.h"
#include "../core/param.h"
#include "../util/rng.h"
#include "../core/tensor.h"
#include "sample.h"
#include "../img/image.h"
#include "../util/zt.h"

#include <stdlib.h>
#include <string.h>

struct zt_generator {
    struct zt_unet net;
    struct zt_gen_info info;
    struct zt_engine *eng;
    struct zt_graph *graph;
    float *in;      /* in_nc x size x size */
    float *buf_save; /* BN buffers, kept across an OFFICIAL-mode run */
    int64_t buf_len;
};

/* Copies every buffer (BN running stats) to or from g->buf_save: a
 * train-mode forward updates them, and a shared model must not drift. */
static void buffers_copy(struct zt_generator *g, int restore)
{
    float *p = g->buf_save;
    for (int i = 0; i < g->net.params.n; i++) {
        struct zt_param *pa = g->net.params.p[i];
        if (!pa->is_buffer) continue;
        size_t n = (size_t)zt_tensor_numel(&pa->t);
        if (restore) memcpy(pa->t.data, p, n * sizeof(float));
        else memcpy(p, pa->t.data, n * sizeof(float));
        p += n;
    }
}

struct zt_generator *zt_generator_open(const char *path, int nthreads)
{
    struct zt_generator *g = calloc(1, sizeof *g);
    if (!g) {
        zt_seterr("out of memory");
        return NULL;
    }
    if (zt_gen_load(path, &g->net, &g->info)) {
        free(g);
        return NULL;
    }
    int s = g->info.size;
    if (s < 32 || s > 1024 || g->info.g.in_nc != zt_sample_in_channels(g->info.ncat)) {
        zt_seterr("%s: model takes %d input channels at %d px; Ztyle drawings have %d "
                  "(edges, hint RGB, hint mask, %d categories)",
                  path, g->info.g.in_nc, s, zt_sample_in_channels(g->info.ncat), g->info.ncat);
        zt_generator_close(g);
        return NULL;
    }
    struct zt_engine_opts eo = {.backend = ZT_BACKEND_CPU, .nthreads = nthreads, .seed = 0};
    g->eng = zt_engine_new(&eo);
    /* activations stay in oneDNN's blocked layout between convolutions, and
     * the reordered weights are kept between passes (they never change here) */
    if (g->eng) zt_engine_set_blocked_layout(g->eng, 1);
    g->graph = g->eng ? zt_graph_new(g->eng, 0, 0) : NULL;
    g->in = malloc(sizeof(float) * (size_t)g->info.g.in_nc * s * s);
    for (int i = 0; i < g->net.params.n; i++)
        if (g->net.params.p[i]->is_buffer) g->buf_len += zt_tensor_numel(&g->net.params.p[i]->t);
    g->buf_save = malloc(sizeof(float) * (size_t)(g->buf_len + 1));
    if (!g->graph || !g->in || !g->buf_save) {
        zt_generator_close(g);
        return NULL;
    }
    return g;
}

void zt_generator_close(struct zt_generator *g)
{
    if (!g) return;
    zt_graph_free(g->graph);
    zt_engine_free(g->eng);
    zt_unet_deinit(&g->net);
    free(g->in);
    free(g->buf_save);
    free(g);
}

const struct zt_gen_info *zt_generator_info(const struct zt_generator *g) { return &g->info; }

int zt_generator_category(const struct zt_generator *g, const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < g->info.ncat; i++)
        if (!strcmp(g->info.cat[i], name)) return i;
    return -1;
}

int zt_generator_run(struct zt_generator *g, const struct zt_image *edges,
                     const struct zt_image *hint_rgb, const struct zt_image *hint_mask,
                     int category, enum zt_gen_mode mode, uint64_t seed, struct zt_image *out)
{
    int s = g->info.size;
    if (edges->w != s || edges->h != s) {
        zt_seterr("generator: drawing is %dx%d, the model takes %dx%d", edges->w, edges->h, s, s);
        return ZT_EINVAL;
    }
    int rc = zt_sample_encode_input(edges, hint_rgb, hint_mask, category, g->info.ncat, g->in);
    if (rc) return rc;
    zt_graph_begin(g->graph, mode == ZT_GEN_OFFICIAL ? ZT_GRAPH_TRAIN : 0);
    if (mode == ZT_GEN_OFFICIAL) zt_rng_seed(zt_engine_rng(g->eng), seed);
    int64_t shape[4] = {1, g->info.g.in_nc, s, s};
    struct zt_tensor *x = zt_graph_input(g->graph, 4, shape, g->in, 0);
    if (mode == ZT_GEN_OFFICIAL) buffers_copy(g, 0);
    struct zt_tensor *y = zt_unet_forward(&g->net, g->graph, x);
    if (mode == ZT_GEN_OFFICIAL) buffers_copy(g, 1);
    if ((rc = zt_graph_status(g->graph)) || !y) return rc ? rc : ZT_EINVAL;
    return zt_sample_decode_photo(y->data, s, out);
}
