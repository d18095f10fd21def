/* generator.c: inference with a generator file. */
#include "generator.h"
#include "../img/hints.h"
#include "../core/engine.h"
#include "../core/graph.h"
#include "../core/param.h"
#include "../util/rng.h"
#include "../core/tensor.h"
#include "sample.h"
#include "../img/image.h"
#include "../util/zt.h"
#include "ckpt.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int zt_gen_export(const struct zt_unet *G, const struct zt_gen_info *info, enum zt_dtype dtype,
                  const char *path, const char *const *extra)
{
    json_t *cats = json_array();
    for (int i = 0; i < info->ncat; i++) json_array_append_new(cats, json_string(info->cat[i]));
    json_t *o = json_pack("{s:s, s:i, s:i, s:i, s:i, s:s, s:b, s:i, s:o, s:s}", "arch", "unet",
                          "in_nc", G->cfg.in_nc, "out_nc", G->cfg.out_nc, "num_downs",
                          G->cfg.num_downs, "ngf", G->cfg.ngf, "norm",
                          G->cfg.norm == ZT_NORM_BATCH ? "batch" : "instance", "dropout",
                          G->cfg.use_dropout, "size", info->size, "categories", cats,
                          "edge_method", info->edge_method);
    if (o && info->category[0]) json_object_set_new(o, "category", json_string(info->category));
    /* absent = deconv: files from before the choice existed load as they were */
    if (o && G->cfg.upsample == ZT_UP_RESIZE) json_object_set_new(o, "upsample", json_string("resize"));
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    struct zt_st_writer *w = text ? zt_st_writer_new() : NULL;
    int rc = w ? ZT_OK : ZT_ENOMEM;
    if (!rc) rc = zt_ckpt_add(w, &G->params, NULL, dtype);
    if (!rc) rc = zt_st_writer_meta(w, "ztyle.model", text);
    for (int i = 0; !rc && extra && extra[i]; i += 2) rc = zt_st_writer_meta(w, extra[i], extra[i + 1]);
    if (!rc) rc = zt_st_writer_save(w, path);
    zt_st_writer_free(w);
    free(text);
    return rc;
}

int zt_gen_load(const char *path, struct zt_unet *g, struct zt_gen_info *info)
{
    struct zt_st_file f;
    int rc = zt_st_load(path, &f);
    if (rc) return rc;
    json_t *meta = f.metadata_json ? json_loads(f.metadata_json, 0, NULL) : NULL;
    json_t *model = NULL;
    const char *text = json_string_value(json_object_get(meta, "ztyle.model"));
    if (text) model = json_loads(text, 0, NULL);
    struct zt_gen_info gi = {0};
    int in_nc = 0, out_nc = 0, nd = 0, ngf = 0, dropout = 0;
    const char *arch = NULL, *norm = NULL, *em = "", *only = "", *ups = "deconv";
    json_t *cats = NULL;
    if (!model ||
        json_unpack(model, "{s:s, s:i, s:i, s:i, s:i, s:s, s:b, s:i, s:o, s?s, s?s, s?s}", "arch",
                    &arch, "in_nc", &in_nc, "out_nc", &out_nc, "num_downs", &nd, "ngf", &ngf,
                    "norm", &norm, "dropout", &dropout, "size", &gi.size, "categories", &cats,
                    "edge_method", &em, "category", &only, "upsample", &ups) ||
        strcmp(arch, "unet") || !json_is_array(cats) || json_array_size(cats) > 16 ||
        (strcmp(ups, "deconv") && strcmp(ups, "resize"))) {
        zt_seterr("%s: not a Ztyle generator (missing or bad 'ztyle.model' metadata)", path);
        rc = ZT_EFORMAT;
        goto out;
    }
    gi.ncat = (int)json_array_size(cats);
    for (int i = 0; i < gi.ncat; i++)
        snprintf(gi.cat[i], sizeof gi.cat[i], "%s", json_string_value(json_array_get(cats, i)) ?: "");
    snprintf(gi.edge_method, sizeof gi.edge_method, "%s", em);
    snprintf(gi.category, sizeof gi.category, "%s", only);
    gi.g = (struct zt_unet_cfg){in_nc, out_nc, nd, ngf,
                                strcmp(norm, "instance") ? ZT_NORM_BATCH : ZT_NORM_INSTANCE,
                                dropout, strcmp(ups, "resize") ? ZT_UP_DECONV : ZT_UP_RESIZE};
    if ((rc = zt_unet_init(g, &gi.g))) {
        zt_adderr("%s", path);
        goto out;
    }
    if ((rc = zt_ckpt_load(&g->params, &f, NULL, 1, NULL))) {
        zt_adderr("%s", path);
        zt_unet_deinit(g);
        goto out;
    }
    if (info) *info = gi;
out:
    json_decref(model);
    json_decref(meta);
    zt_st_free(&f);
    return rc;
}

struct zt_generator {
    struct zt_unet net;
    struct zt_gen_info info;
    struct zt_engine *eng;
    struct zt_graph *graph;
    float *in;      /* in_nc x size x size */
    float *out;     /* 3 x size x size: the output brought back from the GPU */
    float *buf_save; /* BN buffers, kept across an OFFICIAL-mode run */
    int64_t buf_len;
    int raw;         /* 1: the network's output as is (no zt_hints_recolour) */
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
        if (g->net.params.dev && restore) zt_engine_dev_upload(g->eng, pa->t.data, p, (int64_t)n);
        else if (g->net.params.dev) zt_engine_dev_download(g->eng, p, pa->t.data, (int64_t)n);
        else if (restore) memcpy(pa->t.data, p, n * sizeof(float));
        else memcpy(p, pa->t.data, n * sizeof(float));
        p += n;
    }
}

struct zt_generator *zt_generator_open(const char *path, int nthreads)
{
    return zt_generator_open_on(path, nthreads, ZT_BACKEND_CPU);
}

struct zt_generator *zt_generator_open_on(const char *path, int nthreads, int backend)
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
    struct zt_engine_opts eo = {.backend = backend, .nthreads = nthreads, .seed = 0, .tf32 = 1};
    g->eng = zt_engine_new(&eo);
    if (g->eng && zt_engine_on_device(g->eng) &&
        (zt_params_to_device(&g->net.params, g->eng) ||
         !(g->out = malloc(sizeof(float) * 3 * (size_t)s * s)))) {
        zt_generator_close(g);
        return NULL;
    }
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
    zt_unet_deinit(&g->net); /* before its engine: parameters may be in its device memory */
    zt_engine_free(g->eng);
    free(g->in);
    free(g->out);
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
    /* A conditioned model was only ever trained with a category plane on:
     * without one it paints a grey-brown box around the outline. Any plane
     * gives the garment on white (validation doodles of dresses and shoes,
     * the classes without a plane: gray SSIM to the photo 0.262 / 0.272
     * with none, 0.363 with each of the four, which differ by 0.001). */
    if (category < 0 && g->info.ncat > 0) category = 0;
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
    if (g->out && (rc = zt_graph_read(g->graph, y->data, g->out, zt_tensor_numel(y)))) return rc;
    if ((rc = zt_sample_decode_photo(g->out ? g->out : y->data, s, out))) return rc;
    if (!g->raw && (rc = zt_hints_recolour(out, edges, hint_rgb, hint_mask, NULL)))
        zt_image_free(out);
    return rc;
}

void zt_generator_set_raw(struct zt_generator *g, int raw) { g->raw = raw; }
