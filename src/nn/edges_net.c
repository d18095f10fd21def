/* edges_net.c: DexiNed / TEED glue: weights loading, a thread-safe pool of
 * per-worker engines, the authors' pre-processing, soft maps for the
 * shared drawing post-process (img/edges.c, through struct zt_edge_detector). */
#include "edges_net.h"
#include "ckpt.h"
#include "dexined.h"
#include "safetensors.h"
#include "teed.h"
#include "../core/engine.h"
#include "../core/graph.h"
#include "../core/ops.h"
#include "../core/param.h"
#include "../img/image.h"
#include "../util/zt.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One worker's engine and graph; the pool hands each caller its own. */
struct worker {
    struct zt_engine *e;
    struct zt_graph *g;
    struct worker *next;
};

struct zt_edgenet {
    struct zt_edge_detector det; /* first: what img/edges.c calls */
    enum zt_edge_method method;
    struct zt_dexined *dexined; /* one of the two, owned */
    struct zt_teed *teed;
    struct zt_engine_opts eo;
    int has_eo;
    pthread_mutex_t mu;
    struct worker *idle; /* guarded by mu */
};

/* The authors' test-time means, B, G, R (DexiNed main.py --mean_pixel_values;
 * TEED dataset.py, dataset CLASSIC). */
static const float MEAN_DEXINED[3] = {103.939f, 116.779f, 123.68f};
static const float MEAN_TEED[3] = {104.007f, 116.669f, 122.679f};

static int detector_soft(struct zt_edge_detector *d, const struct zt_image *src, const int *rect,
                         float *soft);

static const char *WEIGHTS_HELP =
    "the official weights are the authors' checkpoints (github.com/xavysp/DexiNed, "
    "github.com/xavysp/TEED), converted with tools/convert_dexined.py; see the README, "
    "'Neural edge detectors'";

int zt_edgenet_new(enum zt_edge_method method, const struct zt_engine_opts *eo,
                   struct zt_edgenet **out)
{
    if (method != ZT_EDGE_DEXINED && method != ZT_EDGE_TEED) {
        zt_seterr("edge method '%s' is not a neural detector", zt_edge_method_name(method));
        return ZT_EINVAL;
    }
    struct zt_edgenet *net = calloc(1, sizeof *net);
    if (!net) goto oom;
    net->method = method;
    net->det = (struct zt_edge_detector){method, detector_soft};
    if (eo) net->eo = *eo, net->has_eo = 1;
    if (pthread_mutex_init(&net->mu, NULL)) {
        free(net);
        goto oom;
    }
    if (method == ZT_EDGE_DEXINED ? !(net->dexined = zt_dexined_new())
                                  : !(net->teed = zt_teed_new())) {
        zt_edgenet_close(net);
        return ZT_ENOMEM;
    }
    *out = net;
    return ZT_OK;
oom:
    zt_seterr("edge detector: out of memory");
    return ZT_ENOMEM;
}

void zt_edgenet_close(struct zt_edgenet *net)
{
    if (!net) return;
    for (struct worker *w = net->idle, *nx; w; w = nx) {
        nx = w->next;
        zt_graph_free(w->g);
        zt_engine_free(w->e);
        free(w);
    }
    zt_dexined_free(net->dexined);
    zt_teed_free(net->teed);
    pthread_mutex_destroy(&net->mu);
    free(net);
}

enum zt_edge_method zt_edgenet_method(const struct zt_edgenet *net) { return net->method; }

struct zt_edge_detector *zt_edgenet_detector(struct zt_edgenet *net) { return net ? &net->det : NULL; }

struct zt_params *zt_edgenet_params(struct zt_edgenet *net)
{
    return net->dexined ? zt_dexined_params(net->dexined) : zt_teed_params(net->teed);
}

int zt_edgenet_nmaps(const struct zt_edgenet *net)
{
    return net->method == ZT_EDGE_DEXINED ? ZT_DEXINED_NOUT : ZT_TEED_NOUT;
}

/* "ztyle_model":"<name>" in the file's metadata, if any */
static int metadata_model(const struct zt_st_file *f, char *name, size_t n)
{
    const char *key = "\"ztyle_model\":\"";
    const char *p = f->metadata_json ? strstr(f->metadata_json, key) : NULL;
    if (!p) return 0;
    p += strlen(key);
    size_t k = strcspn(p, "\"");
    if (k >= n) k = n - 1;
    memcpy(name, p, k);
    name[k] = 0;
    return 1;
}

int zt_edgenet_load(struct zt_edgenet *net, const char *path)
{
    const char *mname = zt_edge_method_name(net->method);
    struct zt_st_file f = {0};
    int rc = zt_st_load(path, &f);
    if (rc) goto done;
    char other[32];
    if (metadata_model(&f, other, sizeof other) && strcmp(other, mname)) {
        zt_seterr("%s: holds %s weights, not %s", path, other, mname);
        rc = ZT_EFORMAT;
        goto done;
    }
    struct zt_params *ps = zt_edgenet_params(net);
    for (int i = 0; i < f.n; i++)
        if (!zt_params_get(ps, f.t[i].name)) {
            zt_seterr("%s: '%s' is not a %s tensor (%s)", path, f.t[i].name, mname,
                      WEIGHTS_HELP);
            rc = ZT_EFORMAT;
            goto done;
        }
    rc = zt_ckpt_load(ps, &f, NULL, 1, NULL);
    if (rc) zt_adderr("%s: not %s weights", path, mname);
done:
    zt_st_free(&f);
    return rc;
}

int zt_edgenet_open(enum zt_edge_method method, const char *weights,
                    const struct zt_engine_opts *eo, struct zt_edgenet **out)
{
    if (!weights || !*weights) {
        zt_seterr("edge method '%s' needs a weights file: %s", zt_edge_method_name(method),
                  WEIGHTS_HELP);
        return ZT_EINVAL;
    }
    struct zt_edgenet *net = NULL;
    int rc = zt_edgenet_new(method, eo, &net);
    if (!rc) rc = zt_edgenet_load(net, weights);
    if (rc) {
        zt_edgenet_close(net);
        return rc;
    }
    *out = net;
    return ZT_OK;
}

/* --- worker pool --- */

static struct worker *acquire(struct zt_edgenet *net)
{
    pthread_mutex_lock(&net->mu);
    struct worker *w = net->idle;
    if (w) net->idle = w->next;
    pthread_mutex_unlock(&net->mu);
    if (w) return w;
    if (!(w = calloc(1, sizeof *w))) goto oom;
    if (!(w->e = zt_engine_new(net->has_eo ? &net->eo : NULL)) ||
        !(w->g = zt_graph_new(w->e, (size_t)64 << 20, 0))) {
        zt_engine_free(w->e);
        free(w);
        return NULL;
    }
    return w;
oom:
    zt_seterr("edge detector: out of memory");
    return NULL;
}

static void release(struct zt_edgenet *net, struct worker *w)
{
    zt_graph_begin(w->g, 0); /* drop this pass's activations' contents */
    pthread_mutex_lock(&net->mu);
    w->next = net->idle;
    net->idle = w;
    pthread_mutex_unlock(&net->mu);
}

/* --- running --- */

static int check_rect(const struct zt_image *src, const int *rect, int r[4])
{
    if (!src || !src->px || src->w <= 0 || src->h <= 0 || src->c < 1 || src->c > 4) {
        zt_seterr("edge detector: bad input image");
        return ZT_EINVAL;
    }
    if (rect) memcpy(r, rect, 4 * sizeof *r);
    else r[0] = r[1] = 0, r[2] = src->w, r[3] = src->h;
    if (r[0] < 0 || r[1] < 0 || r[2] <= 0 || r[3] <= 0 || r[0] + r[2] > src->w ||
        r[1] + r[3] > src->h) {
        zt_seterr("edge detector: rectangle outside the %dx%d image", src->w, src->h);
        return ZT_EINVAL;
    }
    if ((int64_t)r[2] * r[3] > ZT_EDGENET_MAX_PIXELS) {
        zt_seterr("edge detector: %dx%d is over the %d-pixel limit (resize first)", r[2], r[3],
                  ZT_EDGENET_MAX_PIXELS);
        return ZT_ETOOBIG;
    }
    return ZT_OK;
}

/* (1, 3, PH, PW) input: B, G, R planes minus the mean, edge-replicated from
 * the w x h rectangle to the padded size */
static struct zt_tensor *make_input(struct zt_graph *g, const struct zt_image *src,
                                    const int r[4], const float mean[3], int mult)
{
    int w = r[2], h = r[3], pw = (w + mult - 1) / mult * mult, ph = (h + mult - 1) / mult * mult;
    int64_t shape[4] = {1, 3, ph, pw};
    struct zt_tensor *x = zt_graph_input(g, 4, shape, NULL, 0);
    float *plane = malloc((size_t)w * h * sizeof *plane);
    if (!x || !plane) {
        free(plane);
        zt_seterr("edge detector: out of memory");
        return NULL;
    }
    for (int c = 0; c < 3; c++) {
        zt_edges_channel(src, r, 2 - c, plane); /* BGR order */
        float *d = x->data + (size_t)c * ph * pw;
        for (int y = 0; y < ph; y++) {
            const float *s = plane + (size_t)ZT_MIN(y, h - 1) * w;
            float *dr = d + (size_t)y * pw;
            for (int xx = 0; xx < w; xx++) dr[xx] = s[xx] - mean[c];
            for (int xx = w; xx < pw; xx++) dr[xx] = s[w - 1] - mean[c];
        }
    }
    free(plane);
    return x;
}

/* runs the net; copies map k (all when k < 0) cropped to w x h into dst,
 * sigmoid applied when sig */
static int run(struct zt_edgenet *net, const struct zt_image *src, const int *rect, int k,
               int sig, float *dst)
{
    int r[4];
    int rc = check_rect(src, rect, r);
    if (rc) return rc;
    struct worker *wk = acquire(net);
    if (!wk) return ZT_ENOMEM;
    struct zt_graph *g = wk->g;
    zt_graph_begin(g, 0);
    int dex = net->method == ZT_EDGE_DEXINED;
    struct zt_tensor *x =
        make_input(g, src, r, dex ? MEAN_DEXINED : MEAN_TEED, dex ? ZT_DEXINED_MULTIPLE : ZT_TEED_MULTIPLE);
    struct zt_tensor *outs[ZT_DEXINED_NOUT] = {0};
    if (!x) rc = ZT_ENOMEM;
    else if (dex) rc = zt_dexined_forward(net->dexined, g, x, outs);
    else rc = zt_teed_forward(net->teed, g, x, outs);
    if (!rc) {
        int n = zt_edgenet_nmaps(net), w = r[2], h = r[3];
        int64_t pw = x->shape[3];
        for (int m = k < 0 ? 0 : k, j = 0; m < (k < 0 ? n : k + 1); m++, j++) {
            const float *s = outs[m]->data;
            float *d = dst + (size_t)j * w * h;
            for (int y = 0; y < h; y++)
                for (int xx = 0; xx < w; xx++) {
                    float v = s[(size_t)y * pw + xx];
                    d[(size_t)y * w + xx] = sig ? 1.0f / (1.0f + expf(-v)) : v;
                }
        }
    }
    release(net, wk);
    return rc;
}

int zt_edgenet_maps(struct zt_edgenet *net, const struct zt_image *src, const int *rect,
                    float *maps)
{
    return run(net, src, rect, -1, 0, maps);
}

int zt_edgenet_soft(struct zt_edgenet *net, const struct zt_image *src, const int *rect,
                    float *soft)
{
    return run(net, src, rect, zt_edgenet_nmaps(net) - 1, 1, soft);
}

/* The zt_edge_detector face: det is the first member of the net. */
static int detector_soft(struct zt_edge_detector *d, const struct zt_image *src, const int *rect,
                         float *soft)
{
    return zt_edgenet_soft((struct zt_edgenet *)d, src, rect, soft);
}
