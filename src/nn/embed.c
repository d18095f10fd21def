/* embed.c: the search embedding's towers, loss, training step and runtime. */
#include "embed.h"
#include "ckpt.h"
#include "init.h"
#include "optim.h"
#include "safetensors.h"
#include "../core/engine.h"
#include "../core/graph.h"
#include "../core/ops.h"
#include "../util/rng.h"
#include "../core/tensor.h"
#include "../util/fs.h"
#include "../util/hash.h"
#include "../util/zt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BN_MOMENTUM 0.1f
#define BN_EPS 1e-5f
#define META_KEY "ztyle.embed"
#define EMBED_DROPOUT 0.2f

static const int layer_stride[ZT_EMBED_LAYERS] = {2, 1, 2, 1, 2, 1, 2};
static const int layer_mult[ZT_EMBED_LAYERS] = {1, 1, 2, 2, 4, 4, 8};

void zt_embed_cfg_default(struct zt_embed_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->size = 96;
    c->dim = 128;
    c->width = 32;
    c->temp = 0.07f;
    c->cal_temp[0] = c->cal_temp[1] = 1.0f;
}

static int nout(const struct zt_embed_cfg *c) { return c->dim + c->nclass + 1; }

static int tower_width(const struct zt_embed_cfg *c, int tower)
{
    return tower == ZT_TOWER_DRAWING && c->dwidth > 0 ? c->dwidth : c->width;
}

static struct zt_tensor *add(struct zt_params *ps, const char *pre, const char *name, int ndim,
                             const int64_t *shape, int buffer)
{
    char full[128];
    snprintf(full, sizeof full, "%s.%s", pre, name);
    return zt_params_add(ps, full, ndim, shape, buffer);
}

int zt_embed_init(struct zt_embed *m, const struct zt_embed_cfg *c)
{
    memset(m, 0, sizeof *m);
    if (c->size < 32 || c->size % 16 || c->dim < 8 || c->dim > 1024 || c->width < 4 ||
        c->width > 256 || (c->dwidth && (c->dwidth < 4 || c->dwidth > 256)) || c->nclass < 1 ||
        c->nclass > ZT_EMBED_MAX_CLASSES) {
        zt_seterr("embed: bad config (size %d multiple of 16, dim %d, width %d/%d, %d classes)",
                  c->size, c->dim, c->width, c->dwidth, c->nclass);
        return ZT_EINVAL;
    }
    m->cfg = *c;
    m->bn_momentum = BN_MOMENTUM;
    zt_params_init(&m->params);
    for (int t = 0; t < 2; t++) {
        struct zt_embed_tower *tw = &m->tower[t];
        const char *pre0 = t == ZT_TOWER_DRAWING ? "drawing" : "photo";
        tw->in_ch = t == ZT_TOWER_DRAWING ? ZT_EMBED_DRAWING_CH : ZT_EMBED_PHOTO_CH;
        int cin = tw->in_ch, w = tower_width(c, t);
        for (int l = 0; l < ZT_EMBED_LAYERS; l++) {
            char pre[64];
            snprintf(pre, sizeof pre, "%s.conv%d", pre0, l);
            int cout = w * layer_mult[l];
            int64_t ws[4] = {cout, cin, 3, 3}, cs[1] = {cout}, one[1] = {1};
            tw->conv[l].cin = cin, tw->conv[l].cout = cout, tw->conv[l].stride = layer_stride[l];
            if (!(tw->conv[l].w = add(&m->params, pre, "weight", 4, ws, 0)) ||
                !(tw->conv[l].bw = add(&m->params, pre, "bn.weight", 1, cs, 0)) ||
                !(tw->conv[l].bb = add(&m->params, pre, "bn.bias", 1, cs, 0)) ||
                !(tw->conv[l].rm = add(&m->params, pre, "bn.running_mean", 1, cs, 1)) ||
                !(tw->conv[l].rv = add(&m->params, pre, "bn.running_var", 1, cs, 1)) ||
                !(tw->conv[l].nbt = add(&m->params, pre, "bn.num_batches_tracked", 0, one, 1)))
                goto nomem;
            for (int i = 0; i < cout; i++) tw->conv[l].bw->data[i] = tw->conv[l].rv->data[i] = 1;
            cin = cout;
        }
        int64_t fs[2] = {nout(c), cin}, bs[1] = {nout(c)};
        if (!(tw->fc_w = add(&m->params, pre0, "fc.weight", 2, fs, 0)) ||
            !(tw->fc_b = add(&m->params, pre0, "fc.bias", 1, bs, 0)))
            goto nomem;
    }
    return ZT_OK;
nomem:
    zt_params_deinit(&m->params);
    return ZT_ENOMEM;
}

void zt_embed_deinit(struct zt_embed *m)
{
    if (!m) return;
    zt_params_deinit(&m->params);
    memset(m, 0, sizeof *m);
}

void zt_embed_init_weights(struct zt_embed *m, uint64_t seed)
{
    struct zt_rng r;
    zt_rng_seed(&r, seed);
    for (int t = 0; t < 2; t++) {
        for (int l = 0; l < ZT_EMBED_LAYERS; l++)
            zt_init_kaiming_normal(&r, m->tower[t].conv[l].w, 0, ZT_FAN_OUT);
        zt_init_normal(&r, m->tower[t].fc_w, 0, 0.01f);
    }
}

/* dst = src (tensors of one shape). */
static void copy_tensor(struct zt_tensor *dst, const struct zt_tensor *src)
{
    memcpy(dst->data, src->data, sizeof(float) * (size_t)zt_tensor_numel(src));
}

int zt_embed_widen_drawing(const struct zt_embed *src, int width, float noise, uint64_t seed,
                           struct zt_embed *out)
{
    struct zt_embed_cfg c = src->cfg;
    int w0 = tower_width(&c, ZT_TOWER_DRAWING);
    if (width < w0) {
        zt_seterr("embed: the drawing tower can only grow (%d -> %d)", w0, width);
        return ZT_EINVAL;
    }
    c.dwidth = width == c.width ? 0 : width;
    int rc = zt_embed_init(out, &c);
    if (rc) return rc;
    /* the photo tower and every tensor the widening leaves alone */
    for (int i = 0; i < src->params.n; i++) {
        const struct zt_param *p = src->params.p[i];
        if (strncmp(p->name, "drawing.", 8)) copy_tensor(zt_params_get(&out->params, p->name), &p->t);
    }
    struct zt_rng r;
    zt_rng_seed(&r, seed);
    const struct zt_embed_tower *a = &src->tower[ZT_TOWER_DRAWING];
    struct zt_embed_tower *b = &out->tower[ZT_TOWER_DRAWING];
    int *from = NULL, *prev = NULL, *count = NULL, *pcount = NULL;
    rc = ZT_ENOMEM;
    int cmax = width * layer_mult[ZT_EMBED_LAYERS - 1];
    if (!(from = malloc(sizeof(int) * (size_t)cmax)) || !(prev = malloc(sizeof(int) * (size_t)cmax)) ||
        !(count = calloc((size_t)cmax, sizeof(int))) || !(pcount = calloc((size_t)cmax, sizeof(int))))
        goto out;
    /* the input planes are not widened: each is its own, once */
    for (int i = 0; i < b->in_ch; i++) prev[i] = i, pcount[i] = 1;
    for (int l = 0; l < ZT_EMBED_LAYERS; l++) {
        int ca = a->conv[l].cout, cb = b->conv[l].cout, cin = b->conv[l].cin, ain = a->conv[l].cin;
        memset(count, 0, sizeof(int) * (size_t)ca);
        for (int j = 0; j < cb; j++) {
            from[j] = j < ca ? j : (int)(zt_rng_u64(&r) % (uint64_t)ca);
            count[from[j]]++;
        }
        double sd = 0;
        int64_t nw = zt_tensor_numel(a->conv[l].w);
        for (int64_t k = 0; k < nw; k++) sd += (double)a->conv[l].w->data[k] * a->conv[l].w->data[k];
        float amp = noise * (float)sqrt(sd / (double)nw);
        for (int j = 0; j < cb; j++) {
            for (int i = 0; i < cin; i++)
                for (int k = 0; k < 9; k++) {
                    float v = a->conv[l].w->data[((size_t)from[j] * ain + prev[i]) * 9 + k] /
                              (float)pcount[prev[i]];
                    if (j >= ca) v += amp * (float)zt_rng_normal(&r); /* a copy: nudged */
                    b->conv[l].w->data[((size_t)j * cin + i) * 9 + k] = v;
                }
            b->conv[l].bw->data[j] = a->conv[l].bw->data[from[j]];
            b->conv[l].bb->data[j] = a->conv[l].bb->data[from[j]];
            b->conv[l].rm->data[j] = a->conv[l].rm->data[from[j]];
            b->conv[l].rv->data[j] = a->conv[l].rv->data[from[j]];
        }
        b->conv[l].nbt->data[0] = a->conv[l].nbt->data[0];
        memcpy(prev, from, sizeof(int) * (size_t)cb);
        memcpy(pcount, count, sizeof(int) * (size_t)ca);
    }
    /* the linear layer reads the pooled last layer: a copied feature's
     * weight split among its copies */
    int O = nout(&c), fa = a->conv[ZT_EMBED_LAYERS - 1].cout, fb = b->conv[ZT_EMBED_LAYERS - 1].cout;
    for (int o = 0; o < O; o++)
        for (int i = 0; i < fb; i++)
            b->fc_w->data[(size_t)o * fb + i] = a->fc_w->data[(size_t)o * fa + prev[i]] / (float)pcount[prev[i]];
    copy_tensor(b->fc_b, a->fc_b);
    rc = ZT_OK;
out:
    free(from);
    free(prev);
    free(count);
    free(pcount);
    if (rc) {
        zt_embed_deinit(out);
        zt_seterr("embed: out of memory");
    }
    return rc;
}

struct zt_tensor *zt_embed_forward(struct zt_embed *m, struct zt_graph *g, int tower,
                                   struct zt_tensor *x)
{
    struct zt_embed_tower *tw = &m->tower[tower];
    for (int l = 0; l < ZT_EMBED_LAYERS && x; l++) {
        int s = tw->conv[l].stride;
        struct zt_conv_args a = {.stride = {s, s}, .pad = {1, 1}};
        x = zt_conv2d(g, x, tw->conv[l].w, NULL, &a);
        x = zt_batch_norm(g, x, tw->conv[l].bw, tw->conv[l].bb, tw->conv[l].rm, tw->conv[l].rv,
                          tw->conv[l].nbt, m->bn_momentum, BN_EPS);
        x = zt_relu(g, x);
    }
    if (!x) return NULL;
    int side = (int)x->shape[2];
    x = zt_avg_pool2d(g, x, side, side, 0, 1);
    x = zt_to_plain(g, x);
    if (!x) return NULL;
    int64_t shape[2] = {x->shape[0], x->shape[1]};
    x = zt_reshape(g, x, 2, shape);
    x = zt_dropout(g, x, EMBED_DROPOUT); /* training only: 2,700 photos overfit fast */
    return zt_linear(g, x, tw->fc_w, tw->fc_b);
}

static void softmax(const float *x, int n, float t, float *p)
{
    float mx = -INFINITY, s = 0;
    for (int i = 0; i < n; i++) mx = fmaxf(mx, x[i] / t);
    for (int i = 0; i < n; i++) s += p[i] = expf(x[i] / t - mx);
    for (int i = 0; i < n; i++) p[i] /= s;
}

void zt_embed_finish(const struct zt_embed_cfg *c, int tower, const float *row, float *emb,
                     float *prob)
{
    if (emb) {
        double s = 0;
        for (int i = 0; i < c->dim; i++) s += (double)row[i] * row[i];
        float inv = s > 0 ? (float)(1 / sqrt(s)) : 0;
        for (int i = 0; i < c->dim; i++) emb[i] = row[i] * inv;
    }
    if (prob) softmax(row + c->dim, c->nclass + 1, c->cal_temp[tower], prob);
}

/* --- files --- */

int zt_embed_save(const char *path, const struct zt_embed *m, int f16)
{
    const struct zt_embed_cfg *c = &m->cfg;
    char meta[2048], *p = meta;
    size_t left = sizeof meta;
    int k = snprintf(p, left, "size=%d;dim=%d;width=%d;temp=%.6g;cal0=%.6g;cal1=%.6g;",
                     c->size, c->dim, c->width, c->temp, c->cal_temp[0], c->cal_temp[1]);
    p += k, left -= (size_t)k;
    if (c->frame > 0) { /* older readers ignore unknown keys; written only when on */
        k = snprintf(p, left, "frame=%.4g;", c->frame);
        p += k, left -= (size_t)k;
    }
    if (c->dwidth > 0 && c->dwidth != c->width) {
        k = snprintf(p, left, "dwidth=%d;", c->dwidth);
        p += k, left -= (size_t)k;
    }
    k = snprintf(p, left, "classes=");
    p += k, left -= (size_t)k;
    for (int i = 0; i < c->nclass && left > 1; i++) {
        k = snprintf(p, left, "%s%s", i ? "," : "", c->classes[i]);
        if (k < 0 || (size_t)k >= left) break;
        p += k, left -= (size_t)k;
    }
    const char *md[] = {META_KEY, meta, NULL};
    return zt_ckpt_save_file(path, &m->params, f16 ? ZT_DTYPE_F16 : ZT_DTYPE_F32, md);
}

/* The value of "ztyle.embed" in the metadata JSON (values hold no quotes). */
static int meta_value(const char *json, char *out, size_t cap)
{
    const char *k = json ? strstr(json, "\"" META_KEY "\":\"") : NULL;
    if (!k) return ZT_EFORMAT;
    k += strlen("\"" META_KEY "\":\"");
    const char *e = strchr(k, '"');
    if (!e || (size_t)(e - k) >= cap) return ZT_EFORMAT;
    memcpy(out, k, (size_t)(e - k));
    out[e - k] = 0;
    return ZT_OK;
}

static int parse_cfg(char *s, struct zt_embed_cfg *c)
{
    zt_embed_cfg_default(c);
    for (char *save = NULL, *kv = strtok_r(s, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) return ZT_EFORMAT;
        *eq++ = 0;
        if (!strcmp(kv, "size")) c->size = atoi(eq);
        else if (!strcmp(kv, "dim")) c->dim = atoi(eq);
        else if (!strcmp(kv, "width")) c->width = atoi(eq);
        else if (!strcmp(kv, "temp")) c->temp = strtof(eq, NULL);
        else if (!strcmp(kv, "cal0")) c->cal_temp[0] = strtof(eq, NULL);
        else if (!strcmp(kv, "cal1")) c->cal_temp[1] = strtof(eq, NULL);
        else if (!strcmp(kv, "frame")) c->frame = strtof(eq, NULL);
        else if (!strcmp(kv, "dwidth")) c->dwidth = atoi(eq);
        else if (!strcmp(kv, "classes")) {
            c->nclass = 0;
            for (char *s2 = NULL, *n = strtok_r(eq, ",", &s2); n; n = strtok_r(NULL, ",", &s2)) {
                if (c->nclass >= ZT_EMBED_MAX_CLASSES || strlen(n) >= ZT_EMBED_CLASS_MAX)
                    return ZT_EFORMAT;
                strcpy(c->classes[c->nclass++], n);
            }
        }
    }
    if (!(c->cal_temp[0] > 0) || !(c->cal_temp[1] > 0) || !(c->frame >= 0 && c->frame <= 1))
        return ZT_EFORMAT;
    return ZT_OK;
}

int zt_embed_load(const char *path, struct zt_embed *m)
{
    struct zt_st_file f = {0};
    struct zt_embed_cfg c;
    char meta[2048];
    int rc = zt_st_load(path, &f);
    if (rc) goto out;
    if ((rc = meta_value(f.metadata_json, meta, sizeof meta)) || (rc = parse_cfg(meta, &c))) {
        zt_seterr("%s: not a Ztyle embedding model (metadata '" META_KEY "' missing or bad)",
                  path);
        goto out;
    }
    if ((rc = zt_embed_init(m, &c))) goto out;
    if ((rc = zt_ckpt_load(&m->params, &f, NULL, 1, NULL))) {
        zt_adderr("%s", path);
        zt_embed_deinit(m);
    }
out:
    zt_st_free(&f);
    return rc;
}

/* --- training --- */

struct zt_embed_trainer {
    struct zt_embed *m;
    struct zt_engine *eng;
    struct zt_graph *g[2];
    struct zt_optim *opt;
    int frozen; /* the photo tower */
};

/* A tower's trainable tensors (requires_grad as given). */
static void tower_requires_grad(struct zt_embed_tower *tw, int on)
{
    for (int l = 0; l < ZT_EMBED_LAYERS; l++)
        tw->conv[l].w->requires_grad = tw->conv[l].bw->requires_grad =
            tw->conv[l].bb->requires_grad = on;
    tw->fc_w->requires_grad = tw->fc_b->requires_grad = on;
}

int zt_embed_trainer_new(struct zt_embed *m, double lr, int nthreads, int freeze_photo,
                         struct zt_embed_trainer **out)
{
    struct zt_embed_trainer *t = calloc(1, sizeof *t);
    if (!t) return ZT_ENOMEM;
    t->m = m;
    t->frozen = freeze_photo != 0;
    /* the optimizer binds only what requires a gradient now */
    tower_requires_grad(&m->tower[ZT_TOWER_PHOTO], !t->frozen);
    struct zt_engine_opts eo = {ZT_BACKEND_CPU, nthreads, 1, 0, 0};
    struct zt_adam_opts ao = {lr, 0.9, 0.999, 1e-8, 1e-4};
    if (!(t->eng = zt_engine_new(&eo)) || !(t->g[0] = zt_graph_new(t->eng, 0, 0)) ||
        !(t->g[1] = zt_graph_new(t->eng, 0, 0)) ||
        !(t->opt = zt_optim_adam_new(&m->params, &ao, nthreads))) {
        zt_embed_trainer_free(t);
        return ZT_ENOMEM;
    }
    *out = t;
    return ZT_OK;
}

void zt_embed_trainer_free(struct zt_embed_trainer *t)
{
    if (!t) return;
    if (t->frozen) tower_requires_grad(&t->m->tower[ZT_TOWER_PHOTO], 1);
    zt_optim_free(t->opt);
    zt_graph_free(t->g[0]);
    zt_graph_free(t->g[1]);
    zt_engine_free(t->eng);
    free(t);
}

void zt_embed_trainer_set_lr(struct zt_embed_trainer *t, double lr) { zt_optim_set_lr(t->opt, lr); }
int zt_embed_trainer_photo_frozen(const struct zt_embed_trainer *t) { return t->frozen; }

/* Cross-entropy of softmax(z) against one class; adds w * (p - onehot) to dz. */
static double ce_grad(const float *z, int n, int label, float w, float *dz, int *correct)
{
    float p[ZT_EMBED_MAX_CLASSES + 1];
    softmax(z, n, 1, p);
    int best = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] > p[best]) best = i;
        dz[i] += w * (p[i] - (i == label));
    }
    *correct += best == label;
    return -log(fmax(p[label], 1e-30));
}

/* Gradient through u = z / |z|: dz = (du - u (u . du)) / |z|. */
static void norm_backward(const float *z, const float *u, const float *du, int d, float *dz)
{
    double n2 = 0, dot = 0;
    for (int i = 0; i < d; i++) n2 += (double)z[i] * z[i], dot += (double)u[i] * du[i];
    float inv = n2 > 0 ? (float)(1 / sqrt(n2)) : 0;
    for (int i = 0; i < d; i++) dz[i] = (du[i] - u[i] * (float)dot) * inv;
}

/* Share of the contrastive target spread over same-class photos, so the
 * space keeps classes together while the own product stays first. */
#define SAME_CLASS_SHARE 0.3f
#define CLS_WEIGHT 0.5f

int zt_embed_loss(const struct zt_embed_cfg *c, const float *yd, int nd, const int *ld,
                  const float *yp, int np, const int *lp, float *dyd, float *dyp,
                  struct zt_embed_losses *out)
{
    int D = c->dim, K = c->nclass + 1, O = nout(c), rc = ZT_OK;
    if (np < 2 || nd < np) {
        zt_seterr("embed loss: need >= 2 pairs and nd >= np");
        return ZT_EINVAL;
    }
    const float *y[2] = {yd, yp};
    float *dy[2] = {dyd, dyp};
    int ns[2] = {nd, np};
    float *u[2], *du[2], *sim = malloc((size_t)np * np * sizeof *sim);
    u[0] = malloc((size_t)nd * D * sizeof(float));
    u[1] = malloc((size_t)np * D * sizeof(float));
    du[0] = calloc((size_t)nd * D, sizeof(float));
    du[1] = calloc((size_t)np * D, sizeof(float));
    float *tgt = malloc((size_t)np * sizeof *tgt), *pr = malloc((size_t)np * sizeof *pr);
    if (!sim || !u[0] || !u[1] || !du[0] || !du[1] || !tgt || !pr) {
        rc = ZT_ENOMEM;
        goto out;
    }
    memset(dyd, 0, (size_t)nd * O * sizeof(float));
    memset(dyp, 0, (size_t)np * O * sizeof(float));
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < ns[k]; i++)
            zt_embed_finish(c, k, y[k] + (size_t)i * O, u[k] + (size_t)i * D, NULL);
    /* similarity logits over the paired part */
    for (int i = 0; i < np; i++)
        for (int j = 0; j < np; j++) {
            float s = 0;
            for (int d = 0; d < D; d++) s += u[0][(size_t)i * D + d] * u[1][(size_t)j * D + d];
            sim[(size_t)i * np + j] = s / c->temp;
        }
    double lcon = 0;
    int r1 = 0;
    /* rows (drawing -> photos) and columns (photo -> drawings), each half */
    for (int dir = 0; dir < 2; dir++)
        for (int i = 0; i < np; i++) {
            int li = dir ? lp[i] : ld[i], nsame = 0, best = 0;
            for (int j = 0; j < np; j++) {
                pr[j] = dir ? sim[(size_t)j * np + i] : sim[(size_t)i * np + j];
                nsame += (dir ? ld[j] : lp[j]) == li;
            }
            float mx = -INFINITY, z = 0;
            for (int j = 0; j < np; j++) mx = fmaxf(mx, pr[j]);
            for (int j = 0; j < np; j++) z += pr[j] = expf(pr[j] - mx);
            for (int j = 0; j < np; j++) {
                pr[j] /= z;
                int same = (dir ? ld[j] : lp[j]) == li;
                tgt[j] = (j == i ? 1 - SAME_CLASS_SHARE : 0) +
                         (same ? SAME_CLASS_SHARE / (float)(nsame ? nsame : 1) : 0);
                if (tgt[j] > 0) lcon -= 0.5 / np * tgt[j] * log(fmax(pr[j], 1e-30));
                if (pr[j] > pr[best]) best = j;
                /* d loss / d sim_ij, then through sim = u0 . u1 / temp */
                float g = 0.5f / (float)np * (pr[j] - tgt[j]) / c->temp;
                int a = dir ? j : i, b = dir ? i : j; /* drawing a, photo b */
                for (int d = 0; d < D; d++) {
                    du[0][(size_t)a * D + d] += g * u[1][(size_t)b * D + d];
                    du[1][(size_t)b * D + d] += g * u[0][(size_t)a * D + d];
                }
            }
            if (!dir) r1 += best == i;
        }
    double lcls[2] = {0, 0};
    int corr[2] = {0, 0};
    const int *lab[2] = {ld, lp};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < ns[k]; i++) {
            const float *row = y[k] + (size_t)i * O;
            if (i < np)
                norm_backward(row, u[k] + (size_t)i * D, du[k] + (size_t)i * D, D,
                              dy[k] + (size_t)i * O);
            lcls[k] += ce_grad(row + D, K, lab[k][i], CLS_WEIGHT / (float)ns[k],
                               dy[k] + (size_t)i * O + D, &corr[k]) / ns[k];
        }
    if (out) {
        out->contrastive = lcon;
        out->cls_drawing = lcls[0];
        out->cls_photo = lcls[1];
        out->total = lcon + CLS_WEIGHT * (lcls[0] + lcls[1]);
        out->acc_drawing = (double)corr[0] / nd;
        out->acc_photo = (double)corr[1] / np;
        out->r1 = (double)r1 / np;
    }
out:
    free(sim);
    free(tgt);
    free(pr);
    for (int k = 0; k < 2; k++) free(u[k]), free(du[k]);
    return rc;
}

int zt_embed_train_step(struct zt_embed_trainer *t, const float *xd, int nd, const int *ld,
                        const float *xp, int np, const int *lp, struct zt_embed_losses *out)
{
    struct zt_embed *m = t->m;
    const struct zt_embed_cfg *c = &m->cfg;
    int S = c->size, O = nout(c), rc;
    if (np < 2 || nd < np) {
        zt_seterr("embed step: need >= 2 pairs and nd >= np");
        return ZT_EINVAL;
    }
    struct zt_tensor *y[2];
    const float *xs[2] = {xd, xp};
    int ns[2] = {nd, np}, ch[2] = {ZT_EMBED_DRAWING_CH, ZT_EMBED_PHOTO_CH};
    for (int k = 0; k < 2; k++) {
        /* a frozen photo tower: eval mode, its running statistics, no tape */
        int frozen = k == ZT_TOWER_PHOTO && t->frozen;
        zt_graph_begin(t->g[k], frozen ? 0 : ZT_GRAPH_GRAD | ZT_GRAPH_TRAIN);
        int64_t shape[4] = {ns[k], ch[k], S, S};
        struct zt_tensor *x = zt_graph_input(t->g[k], 4, shape, xs[k], 0);
        y[k] = x ? zt_embed_forward(m, t->g[k], k, x) : NULL;
        if (!y[k] || (y[k] = zt_to_plain(t->g[k], y[k])) == NULL)
            return zt_graph_status(t->g[k]) ? zt_graph_status(t->g[k]) : ZT_ENOMEM;
    }
    float *dy[2] = {malloc((size_t)nd * O * sizeof(float)), malloc((size_t)np * O * sizeof(float))};
    if (!dy[0] || !dy[1]) rc = ZT_ENOMEM;
    else rc = zt_embed_loss(c, y[0]->data, nd, ld, y[1]->data, np, lp, dy[0], dy[1], out);
    for (int k = 0; k < 2 && !rc; k++)
        if (!(k == ZT_TOWER_PHOTO && t->frozen)) rc = zt_graph_backward_seed(t->g[k], y[k], dy[k]);
    if (!rc) zt_optim_step(t->opt);
    free(dy[0]);
    free(dy[1]);
    return rc;
}

int zt_embed_trainer_bn_stats(struct zt_embed_trainer *t, int tower, const float *x, int n, int k)
{
    struct zt_embed *m = t->m;
    int S = m->cfg.size;
    if (tower == ZT_TOWER_PHOTO && t->frozen) return ZT_OK;
    int64_t shape[4] = {n, tower == ZT_TOWER_DRAWING ? ZT_EMBED_DRAWING_CH : ZT_EMBED_PHOTO_CH, S, S};
    struct zt_graph *g = t->g[tower];
    zt_graph_begin(g, ZT_GRAPH_TRAIN); /* batch statistics, running ones updated; no tape */
    m->bn_momentum = 1.0f / (float)(k + 1);
    struct zt_tensor *xi = zt_graph_input(g, 4, shape, x, 0);
    struct zt_tensor *y = xi ? zt_embed_forward(m, g, tower, xi) : NULL;
    m->bn_momentum = BN_MOMENTUM;
    if (!y) return zt_graph_status(g) ? zt_graph_status(g) : ZT_ENOMEM;
    return zt_graph_status(g);
}

/* --- inference --- */

const char *zt_embed_model_resolve(const char *opt)
{
    if (opt) return opt;
    const char *env = getenv("ZTYLE_EMBED");
    if (env) return env;
    return zt_file_exists(ZT_EMBED_DEFAULT) ? ZT_EMBED_DEFAULT : "";
}

static uint64_t fnv_tensor(uint64_t h, const struct zt_tensor *t)
{
    return t ? zt_hash_more(h, t->data, sizeof(float) * (size_t)zt_tensor_numel(t)) : h;
}

uint64_t zt_embed_photo_fingerprint(const struct zt_embed *m)
{
    const struct zt_embed_tower *t = &m->tower[ZT_TOWER_PHOTO];
    int shape[2] = {m->cfg.size, m->cfg.dim};
    uint64_t h = zt_hash_bytes(shape, sizeof shape);
    for (int l = 0; l < ZT_EMBED_LAYERS; l++) {
        h = fnv_tensor(h, t->conv[l].w);
        h = fnv_tensor(h, t->conv[l].bw);
        h = fnv_tensor(h, t->conv[l].bb);
        h = fnv_tensor(h, t->conv[l].rm);
        h = fnv_tensor(h, t->conv[l].rv);
    }
    h = fnv_tensor(fnv_tensor(h, t->fc_w), t->fc_b);
    return h ? h : 1;
}

int zt_embed_file_fingerprint(const char *path, uint64_t *out)
{
    struct zt_embed m;
    int rc = zt_embed_load(path, &m);
    if (rc) return rc;
    *out = zt_embed_photo_fingerprint(&m);
    zt_embed_deinit(&m);
    return ZT_OK;
}

struct zt_embedder {
    struct zt_embed m;
    struct zt_engine *eng;
    struct zt_graph *g;
    uint64_t fingerprint;
};

struct zt_embedder *zt_embedder_open(const char *path, int nthreads)
{
    struct zt_embedder *e = calloc(1, sizeof *e);
    if (!e) {
        zt_seterr("out of memory");
        return NULL;
    }
    struct zt_engine_opts eo = {ZT_BACKEND_CPU, nthreads, 1, 0, 0};
    if (zt_embed_load(path, &e->m)) {
        free(e);
        return NULL;
    }
    e->fingerprint = zt_embed_photo_fingerprint(&e->m);
    if (!(e->eng = zt_engine_new(&eo)) || !(e->g = zt_graph_new(e->eng, 0, 0))) {
        zt_embedder_close(e);
        return NULL;
    }
    return e;
}

void zt_embedder_close(struct zt_embedder *e)
{
    if (!e) return;
    zt_graph_free(e->g);
    zt_engine_free(e->eng);
    zt_embed_deinit(&e->m);
    free(e);
}

const struct zt_embed_cfg *zt_embedder_cfg(const struct zt_embedder *e) { return &e->m.cfg; }

uint64_t zt_embedder_fingerprint(const struct zt_embedder *e) { return e->fingerprint; }

int zt_embedder_run(struct zt_embedder *e, int tower, const float *x, int n, float *emb,
                    float *prob)
{
    const struct zt_embed_cfg *c = &e->m.cfg;
    int S = c->size, O = nout(c);
    int64_t shape[4] = {n, tower == ZT_TOWER_DRAWING ? ZT_EMBED_DRAWING_CH : ZT_EMBED_PHOTO_CH, S, S};
    zt_graph_begin(e->g, 0);
    struct zt_tensor *in = zt_graph_input(e->g, 4, shape, x, 0);
    struct zt_tensor *y = in ? zt_embed_forward(&e->m, e->g, tower, in) : NULL;
    if (y) y = zt_to_plain(e->g, y);
    if (!y) return zt_graph_status(e->g) ? zt_graph_status(e->g) : ZT_ENOMEM;
    for (int i = 0; i < n; i++)
        zt_embed_finish(c, tower, y->data + (size_t)i * O, emb ? emb + (size_t)i * c->dim : NULL,
                        prob ? prob + (size_t)i * (c->nclass + 1) : NULL);
    return ZT_OK;
}
