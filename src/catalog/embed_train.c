/* embed_train.c: the search embedding's training loop and scores. */
#include "embed_train.h"
#include "../util/rng.h"
#include "../data/dataset.h"
#include "../data/embedset.h"
#include "../data/shapes.h"
#include "../nn/embed.h"
#include "../util/hash.h"
#include "../util/parallel.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOODLE_SIZE 192 /* canvas the training doodles are drawn on */
#define WIDEN_NOISE 0.05f /* a widened tower's copied channels, nudged apart */

void zt_embed_train_opts_default(struct zt_embed_train_opts *o)
{
    *o = (struct zt_embed_train_opts){
        .epochs = 12, .batch = 48, .neg = 8, .size = 96, .dim = 128, .width = 32,
        .lr = 2e-3, .style = ZT_STYLE_MIXED, .seed = 1, .threads = 0, .frame = 0.65,
    };
}

/* --- one batch of inputs, rendered in parallel --- */

struct batch_ctx {
    const struct zt_embedset *set;
    const int *items; /* n items; then nneg negatives; then nshape shapes */
    int n, nneg, S;
    enum zt_draw_style style;
    uint64_t seed;
    int augment;
    float *xd, *xp; /* xp may be NULL */
    float frame;    /* the model's (nn/embed.h); training varies it +-15 % */
    int nshape;
    const int *shape_cls; /* nshape class indices of set (data/shapes.h) */
};

static int draw_item(const struct batch_ctx *c, int k, float *A)
{
    struct zt_image lines = {0}, hints = {0};
    uint64_t sd = zt_mix64(c->seed ^ zt_mix64((uint64_t)k + 1));
    int rc = k < c->n ? zt_embedset_drawing(c->set, c->items[k], c->style, DOODLE_SIZE,
                                            zt_mix64(sd ^ (uint64_t)c->items[k]), &lines, &hints)
             : k < c->n + c->nneg
                 ? zt_embedset_negative(DOODLE_SIZE, sd, &lines, &hints)
                 : zt_embedset_shape(c->set->classes[c->shape_cls[k - c->n - c->nneg]],
                                     DOODLE_SIZE, sd, &lines, &hints);
    float frame = c->frame;
    if (frame > 0 && c->augment) /* a stray dab or a long strap moves the ink's box */
        frame = fminf(0.95f, frame * (0.85f + 0.3f * (float)(zt_mix64(sd ^ 0xf7a3e) >> 40) / (float)(1 << 24)));
    if (!rc) rc = zt_embed_encode_drawing(&lines, &hints, c->S, frame, A);
    zt_image_free(&lines);
    zt_image_free(&hints);
    return rc;
}

static int batch_one(void *vctx, int64_t i, int worker)
{
    const struct batch_ctx *c = vctx;
    int k = (int)i, S = c->S, rc;
    if ((rc = draw_item(c, k, c->xd + (size_t)k * ZT_EMBED_DRAWING_CH * S * S))) return rc;
    if (c->xp && k < c->n)
        rc = zt_embedset_photo(c->set, c->items[k], c->augment,
                               zt_mix64(c->seed ^ 0x9e37 ^ (uint64_t)k), S,
                               c->xp + (size_t)k * ZT_EMBED_PHOTO_CH * S * S);
    return rc;
}

static int render_batch(struct batch_ctx *c, int threads)
{
    return zt_parallel_for(c->n + c->nneg + c->nshape, threads, batch_one, c);
}

/* --- scores --- */

/* Embeds every drawing and photo of set (no augmentation) in chunks. */
static int embed_all(struct zt_embedder *e, const struct zt_embedset *set,
                     enum zt_draw_style style, uint64_t seed, int threads, int nneg, float *ed,
                     float *pd, float *ep, float *pp)
{
    const struct zt_embed_cfg *cfg = zt_embedder_cfg(e);
    int S = cfg->size, D = cfg->dim, K = cfg->nclass + 1, chunk = 64, rc = ZT_OK;
    int total = set->n + nneg;
    int *items = malloc((size_t)set->n * sizeof *items);
    float *xd = malloc((size_t)chunk * ZT_EMBED_DRAWING_CH * S * S * sizeof(float));
    float *xp = malloc((size_t)chunk * ZT_EMBED_PHOTO_CH * S * S * sizeof(float));
    if (!items || !xd || !xp) {
        rc = ZT_ENOMEM;
        goto out;
    }
    for (int i = 0; i < set->n; i++) items[i] = i;
    for (int b = 0; b < total && !rc; b += chunk) {
        int m = total - b < chunk ? total - b : chunk;
        int ni = b < set->n ? (set->n - b < m ? set->n - b : m) : 0;
        /* drawings b .. b+m: items first, then negatives (numbered on) */
        struct batch_ctx c = {set, items + (b < set->n ? b : 0), ni, m - ni, S, style,
                              zt_mix64(seed ^ (uint64_t)b), 0, xd, ni ? xp : NULL, cfg->frame, 0, NULL};
        if ((rc = render_batch(&c, threads))) break;
        if ((rc = zt_embedder_run(e, ZT_TOWER_DRAWING, xd, m, ed + (size_t)b * D,
                                  pd + (size_t)b * K)))
            break;
        if (ni)
            rc = zt_embedder_run(e, ZT_TOWER_PHOTO, xp, ni, ep + (size_t)b * D,
                                 pp + (size_t)b * K);
    }
out:
    free(items);
    free(xd);
    free(xp);
    return rc;
}

static int argmax(const float *p, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (p[i] > p[b]) b = i;
    return b;
}

#define SCORE_NEG 64 /* negatives scored beside a set */
#define BN_BATCHES 16 /* batches the running statistics are re-estimated on, every epoch */

int zt_embed_score_set(struct zt_embedder *e, const struct zt_embedset *set,
                       enum zt_draw_style style, uint64_t seed, int threads,
                       struct zt_embed_score *out)
{
    const struct zt_embed_cfg *cfg = zt_embedder_cfg(e);
    int n = set->n, D = cfg->dim, K = cfg->nclass + 1, rc;
    int tot = n + SCORE_NEG;
    float *ed = malloc((size_t)tot * D * sizeof(float)), *pd = malloc((size_t)tot * K * sizeof(float));
    float *ep = malloc((size_t)n * D * sizeof(float)), *pp = malloc((size_t)n * K * sizeof(float));
    if (!ed || !pd || !ep || !pp) {
        rc = ZT_ENOMEM;
        goto out;
    }
    if ((rc = embed_all(e, set, style, seed, threads, SCORE_NEG, ed, pd, ep, pp))) goto out;
    memset(out, 0, sizeof *out);
    out->n = n;
    for (int i = 0; i < n; i++) {
        const float *q = ed + (size_t)i * D;
        double own = 0;
        for (int d = 0; d < D; d++) own += q[d] * ep[(size_t)i * D + d];
        int rank = 1;
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            double s = 0;
            for (int d = 0; d < D; d++) s += q[d] * ep[(size_t)j * D + d];
            rank += s > own;
        }
        out->r1 += rank == 1;
        out->r10 += rank <= 10;
        out->mrr += 1.0 / rank;
        int cd = argmax(pd + (size_t)i * K, K), cp = argmax(pp + (size_t)i * K, K);
        out->cat_acc += cd == set->it[i].cls;
        out->garment_none += cd == cfg->nclass;
        out->photo_cat_acc += cp == set->it[i].cls;
    }
    for (int i = n; i < tot; i++) out->none_rate += argmax(pd + (size_t)i * K, K) == cfg->nclass;
    out->r1 /= n, out->r10 /= n, out->mrr /= n, out->cat_acc /= n, out->photo_cat_acc /= n;
    out->garment_none /= n;
    out->none_rate /= SCORE_NEG;
out:
    free(ed);
    free(pd);
    free(ep);
    free(pp);
    return rc;
}

#define SCORE_SHAPES 24 /* shapes per class with a family (data/shapes.h) scored */

/* Category accuracy of the drawing head on fixed-seed shapes (garments as
 * people draw them from memory) of the classes with a family; -1: none. */
static int score_shapes(struct zt_embedder *e, const struct zt_embedset *set, int threads,
                        double *acc)
{
    const struct zt_embed_cfg *cfg = zt_embedder_cfg(e);
    int S = cfg->size, K = cfg->nclass + 1, cls[ZT_EMBEDSET_MAX_CLASSES * SCORE_SHAPES], m = 0;
    for (int k = 0; k < set->nclass; k++)
        if (zt_shape_known(set->classes[k]))
            for (int j = 0; j < SCORE_SHAPES; j++) cls[m++] = k;
    *acc = -1;
    if (!m) return ZT_OK;
    float *xd = malloc((size_t)m * ZT_EMBED_DRAWING_CH * S * S * sizeof(float));
    float *pd = malloc((size_t)m * K * sizeof(float)), *ed = malloc((size_t)m * cfg->dim * sizeof(float));
    int rc = ZT_ENOMEM;
    if (xd && pd && ed) {
        struct batch_ctx c = {set, NULL, 0, 0, S, ZT_STYLE_DOODLE, 0x5a9e5, 0, xd, NULL,
                              cfg->frame, m, cls};
        if (!(rc = render_batch(&c, threads)) &&
            !(rc = zt_embedder_run(e, ZT_TOWER_DRAWING, xd, m, ed, pd))) {
            int ok = 0;
            for (int i = 0; i < m; i++) ok += argmax(pd + (size_t)i * K, K) == cls[i];
            *acc = (double)ok / m;
        }
    }
    free(xd);
    free(pd);
    free(ed);
    return rc;
}

double zt_embed_epoch_score(const struct zt_embed_score *doodles, const struct zt_embed_score *edges,
                            double shapes)
{
    /* the shapes count too: the photos' doodles hold few drawings a person
     * could name, and on those alone a fine-tune kept its first epoch
     * while later ones read hand drawings better */
    return doodles->cat_acc + doodles->r10 + edges->cat_acc + edges->r10 + (shapes >= 0 ? shapes : 0);
}

/* Softmax temperature minimising the negative log-likelihood of labels
 * under probabilities p computed at temperature 1 (log p = logits + c). */
static float fit_temperature(const float *p, const int *labels, int n, int K)
{
    float best_t = 1;
    double best = INFINITY;
    for (float t = 0.5f; t <= 4.0f; t += 0.05f) {
        double nll = 0;
        for (int i = 0; i < n; i++) {
            const float *pi = p + (size_t)i * K;
            double mx = -INFINITY, z = 0;
            for (int k = 0; k < K; k++) mx = fmax(mx, log(fmax(pi[k], 1e-30)) / t);
            for (int k = 0; k < K; k++) z += exp(log(fmax(pi[k], 1e-30)) / t - mx);
            nll -= log(fmax(pi[labels[i]], 1e-30)) / t - mx - log(z);
        }
        if (nll < best) best = nll, best_t = t;
    }
    return best_t;
}

static int calibrate(const char *path, const struct zt_embedset *val, uint64_t seed,
                     int threads, float cal[2])
{
    struct zt_embedder *e = zt_embedder_open(path, threads);
    if (!e) return ZT_EIO;
    const struct zt_embed_cfg *cfg = zt_embedder_cfg(e);
    int n = val->n, tot = n + SCORE_NEG, D = cfg->dim, K = cfg->nclass + 1, rc;
    float *ed = malloc((size_t)tot * D * sizeof(float)), *pd = malloc((size_t)tot * K * sizeof(float));
    float *ep = malloc((size_t)n * D * sizeof(float)), *pp = malloc((size_t)n * K * sizeof(float));
    int *lab = malloc((size_t)tot * sizeof *lab);
    if (!ed || !pd || !ep || !pp || !lab) {
        rc = ZT_ENOMEM;
        goto out;
    }
    if ((rc = embed_all(e, val, ZT_STYLE_MIXED, seed, threads, SCORE_NEG, ed, pd, ep, pp)))
        goto out;
    for (int i = 0; i < tot; i++) lab[i] = i < n ? val->it[i].cls : cfg->nclass;
    cal[0] = fit_temperature(pd, lab, tot, K);
    cal[1] = fit_temperature(pp, lab, n, K);
out:
    free(ed);
    free(pd);
    free(ep);
    free(pp);
    free(lab);
    zt_embedder_close(e);
    return rc;
}

/* --- the loop --- */

struct load_log {
    struct zt_progress *p;
    int64_t last;
};

static void load_progress(void *ctx, int64_t done, int64_t total)
{
    struct load_log *l = ctx;
    if (l->p && done > l->last) {
        zt_progress_add(l->p, done - l->last);
        l->last = done;
    }
}

static int load_set(const struct zt_embed_train_opts *o, int split, const struct zt_embedset *like,
                    struct zt_embedset *out)
{
    const char *names[ZT_EMBEDSET_MAX_CLASSES];
    for (int k = 0; like && k < like->nclass; k++) names[k] = like->classes[k];
    struct load_log l = {zt_progress_new(split == ZT_SPLIT_TRAIN ? "photos (train)" : "photos (val)",
                                         0, o->progress, 0), 0};
    int rc = zt_embedset_load(o->data, split, like ? names : NULL, like ? like->nclass : 0,
                              o->threads, 1, load_progress, &l, out);
    zt_progress_free(l.p);
    return rc;
}

/* Photos per class into count; returns the largest count. */
static int class_counts(const struct zt_embedset *tr, int *count)
{
    int most = 0;
    memset(count, 0, sizeof(int) * ZT_EMBEDSET_MAX_CLASSES);
    for (int i = 0; i < tr->n; i++) count[tr->it[i].cls]++;
    for (int k = 0; k < tr->nclass; k++) most = ZT_MAX(most, count[k]);
    return most;
}

static int in_batch(const int *order, int from, int to, int item)
{
    for (int q = from; q < to; q++)
        if (order[q] == item) return 1;
    return 0;
}

int zt_embed_epoch_order(const struct zt_embedset *tr, double balance, int B, struct zt_rng *r,
                         int *order, int cap, int *n_out)
{
    int count[ZT_EMBEDSET_MAX_CLASSES], most = class_counts(tr, count), n = 0;
    for (int i = 0; i < tr->n; i++) {
        double f = balance > 0 ? pow((double)most / count[tr->it[i].cls], balance) : 1;
        int rep = (int)f + (zt_rng_uniform(r) < f - (int)f);
        for (int k = 0; k < rep && n < cap; k++) order[n++] = i;
    }
    for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
        int j = (int)(zt_rng_u64(r) % (uint64_t)(i + 1)), tmp = order[i];
        order[i] = order[j], order[j] = tmp;
    }
    /* a repeat inside a batch would be its own negative in the contrastive
     * loss: swap it with a random item of another batch that neither batch
     * then holds twice */
    for (int p = 0; balance > 0 && p < n; p++) {
        int b0 = p / B * B;
        if (!in_batch(order, b0, p, order[p])) continue;
        for (int tries = 0; tries < 64 && n > B; tries++) {
            int j = (int)(zt_rng_u64(r) % (uint64_t)n), bj = j / B * B;
            if (bj == b0 || in_batch(order, bj, ZT_MIN(bj + B, n), order[p]) ||
                in_batch(order, b0, ZT_MIN(b0 + B, n), order[j]))
                continue;
            int tmp = order[p];
            order[p] = order[j], order[j] = tmp;
            break;
        }
    }
    *n_out = n;
    return ZT_OK;
}

int zt_embed_train(const struct zt_embed_train_opts *o)
{
    struct zt_embedset tr = {0}, va = {0};
    struct zt_embed m = {0};
    struct zt_embed_trainer *t = NULL;
    int *order = NULL, *ld = NULL, *lp = NULL, *scls = NULL, rc;
    float *xd = NULL, *xp = NULL;
    if (o->batch < 4 || o->neg < 0 || o->shapes < 0 || o->shapes > 4 * o->batch || o->epochs < 1 ||
        o->balance < 0 || o->balance > 1) {
        zt_seterr("train-embed: batch >= 4, neg >= 0, shapes in 0..4 x batch, epochs >= 1, balance in 0..1");
        return ZT_EINVAL;
    }
    if (o->freeze_photo && !o->init) {
        zt_seterr("train-embed: freezing the photo tower needs a model to start from (--init)");
        return ZT_EINVAL;
    }
    if ((rc = load_set(o, ZT_SPLIT_TRAIN, NULL, &tr))) goto out;
    if ((rc = load_set(o, ZT_SPLIT_VAL, &tr, &va))) goto out;
    int bad = 0, unsure = 0;
    tr.doodle_agree = (float)o->doodle_agree;
    for (int i = 0; i < tr.n; i++) {
        bad += !tr.it[i].mask_ok;
        unsure += tr.it[i].mask_ok && tr.it[i].mask_agree < tr.doodle_agree;
    }
    zt_warn_emit(&o->log, "train %d photos (%d with an unusable mask, %d whose mask agrees under %.2f "
                 "with the heuristic's: edge-style drawings only), val %d, %d classes",
                 tr.n, bad, unsure, o->doodle_agree, va.n, tr.nclass);
    if (o->init) {
        if ((rc = zt_embed_load(o->init, &m))) goto out;
        if (m.cfg.nclass != tr.nclass) {
            zt_seterr("%s: %d classes, the data has %d", o->init, m.cfg.nclass, tr.nclass);
            rc = ZT_EINVAL;
            goto out;
        }
        m.cfg.cal_temp[0] = 1;
        if (!o->freeze_photo) m.cfg.cal_temp[1] = 1;
        m.cfg.frame = (float)o->frame;
        int w0 = m.cfg.dwidth ? m.cfg.dwidth : m.cfg.width;
        if (o->drawing_width && o->drawing_width != w0) {
            struct zt_embed wide;
            if ((rc = zt_embed_widen_drawing(&m, o->drawing_width, WIDEN_NOISE, o->seed, &wide)))
                goto out;
            zt_embed_deinit(&m);
            m = wide;
            zt_warn_emit(&o->log, "drawing tower widened from %d to %d channels (what it computes kept)",
                         w0, o->drawing_width);
        }
    } else {
        struct zt_embed_cfg cfg;
        zt_embed_cfg_default(&cfg);
        cfg.size = o->size, cfg.dim = o->dim, cfg.width = o->width, cfg.nclass = tr.nclass;
        cfg.dwidth = o->drawing_width == o->width ? 0 : o->drawing_width;
        cfg.frame = (float)o->frame;
        for (int k = 0; k < tr.nclass; k++) snprintf(cfg.classes[k], ZT_EMBED_CLASS_MAX, "%s", tr.classes[k]);
        if ((rc = zt_embed_init(&m, &cfg))) goto out;
        zt_embed_init_weights(&m, o->seed);
    }
    int S = m.cfg.size, B = o->batch, N = o->neg, NS = o->shapes, fam[ZT_EMBEDSET_MAX_CLASSES], nfam = 0;
    for (int k = 0; k < tr.nclass; k++)
        if (zt_shape_known(tr.classes[k])) fam[nfam++] = k;
    if (!nfam) NS = 0;
    if (o->shapes && !nfam)
        zt_warn_emit(&o->log, "no class of the data has a shape family: --shapes ignored");
    /* an epoch's length: every photo once, more when classes are balanced */
    int cap = tr.n, nord = tr.n;
    if (o->balance > 0) {
        int count[ZT_EMBEDSET_MAX_CLASSES], most = class_counts(&tr, count);
        double len = 0;
        for (int k = 0; k < tr.nclass; k++)
            if (count[k]) len += count[k] * pow((double)most / count[k], o->balance);
        cap = (int)len + tr.nclass + 1;
    }
    /* (balanced: the coins make an epoch a little shorter or longer) */
    int steps = (o->balance > 0 ? (int)(cap * 0.98) : tr.n) / B, total = steps * o->epochs;
    order = malloc((size_t)cap * sizeof *order);
    ld = malloc((size_t)(B + N + NS) * sizeof *ld);
    scls = malloc((size_t)(NS ? NS : 1) * sizeof *scls);
    lp = malloc((size_t)B * sizeof *lp);
    xd = malloc((size_t)(B + N + NS) * ZT_EMBED_DRAWING_CH * S * S * sizeof(float));
    xp = malloc((size_t)B * ZT_EMBED_PHOTO_CH * S * S * sizeof(float));
    if (!order || !ld || !lp || !xd || !xp || !scls) {
        rc = ZT_ENOMEM;
        goto out;
    }
    if ((rc = zt_embed_trainer_new(&m, o->lr, o->threads, o->freeze_photo, &t))) goto out;
    uint64_t photo_fp = zt_embed_photo_fingerprint(&m);
    struct zt_rng r;
    zt_rng_seed(&r, o->seed);
    int64_t step = 0;
    double t0 = zt_now(), best = -1;
    int best_ep = 0;
    char last[4200];
    snprintf(last, sizeof last, "%s.last", o->out);
    for (int ep = 0; ep < o->epochs; ep++) {
        if ((rc = zt_embed_epoch_order(&tr, o->balance, B, &r, order, cap, &nord))) goto out;
        struct zt_embed_losses acc = {0};
        int nacc = 0;
        for (int s = 0; s < steps && (s + 1) * B <= nord; s++, step++) {
            int warm = 100;
            double lr = step < warm ? o->lr * (step + 1) / warm
                                    : o->lr * (0.02 + 0.98 * 0.5 * (1 + cos(M_PI * (double)(step - warm) / (double)(total - warm > 1 ? total - warm : 1))));
            zt_embed_trainer_set_lr(t, lr);
            struct batch_ctx c = {&tr, order + (size_t)s * B, B, N, S, o->style,
                                  zt_mix64(o->seed ^ zt_mix64((uint64_t)step + 1)), 1, xd, xp,
                                  m.cfg.frame, NS, scls};
            /* the shapes' classes in turn over those with a family */
            for (int k = 0; k < NS; k++) scls[k] = fam[(step * NS + k) % nfam];
            if ((rc = render_batch(&c, o->threads))) goto out;
            for (int k = 0; k < B; k++) ld[k] = lp[k] = tr.it[order[s * B + k]].cls;
            for (int k = 0; k < N; k++) ld[B + k] = tr.nclass;
            for (int k = 0; k < NS; k++) ld[B + N + k] = scls[k];
            struct zt_embed_losses l;
            if ((rc = zt_embed_train_step(t, xd, B + N + NS, ld, xp, B, lp, &l))) goto out;
            acc.contrastive += l.contrastive, acc.cls_drawing += l.cls_drawing;
            acc.cls_photo += l.cls_photo, acc.acc_drawing += l.acc_drawing;
            acc.acc_photo += l.acc_photo, acc.r1 += l.r1;
            nacc++;
            if ((s + 1) % 20 == 0 || s + 1 == steps) {
                zt_warn_emit(&o->log, "epoch %d/%d step %d/%d lr %.2g: contrastive %.3f cls %.3f/%.3f "
                         "batch acc %.2f/%.2f r1 %.2f (%.0f s)", ep + 1, o->epochs, s + 1, steps,
                      lr, acc.contrastive / nacc, acc.cls_drawing / nacc, acc.cls_photo / nacc,
                      acc.acc_drawing / nacc, acc.acc_photo / nacc, acc.r1 / nacc, zt_now() - t0);
                acc = (struct zt_embed_losses){0};
                nacc = 0;
            }
        }
        /* running statistics re-estimated with the epoch's final weights */
        for (int k = 0; k < BN_BATCHES && k < steps; k++) {
            for (int j = 0; j < NS; j++) scls[j] = fam[(k * NS + j) % nfam]; /* every family */
            struct batch_ctx c = {&tr, order + (size_t)k * B, B, N, S, o->style,
                                  zt_mix64(o->seed ^ 0xb4 ^ zt_mix64((uint64_t)(ep * BN_BATCHES + k + 1))),
                                  1, xd, xp, m.cfg.frame, NS, scls};
            if ((rc = render_batch(&c, o->threads)) ||
                (rc = zt_embed_trainer_bn_stats(t, ZT_TOWER_DRAWING, xd, B + N + NS, k)) ||
                (rc = zt_embed_trainer_bn_stats(t, ZT_TOWER_PHOTO, xp, B, k)))
                goto out;
        }
        if ((rc = zt_embed_save(last, &m, 0))) goto out;
        struct zt_embedder *e = zt_embedder_open(last, o->threads);
        if (!e) {
            rc = ZT_EIO;
            goto out;
        }
        struct zt_embed_score sd, se;
        double shape_acc;
        rc = zt_embed_score_set(e, &va, ZT_STYLE_DOODLE, 77, o->threads, &sd);
        if (!rc) rc = zt_embed_score_set(e, &va, ZT_STYLE_EDGES, 77, o->threads, &se);
        if (!rc) rc = score_shapes(e, &va, o->threads, &shape_acc);
        zt_embedder_close(e);
        if (rc) goto out;
        zt_warn_emit(&o->log, "epoch %d val: doodle R@1 %.3f R@10 %.3f cat %.3f | edges R@1 %.3f R@10 %.3f "
                 "cat %.3f | photo cat %.3f | none: negatives %.2f, garments %.3f | shapes cat %.3f",
              ep + 1, sd.r1, sd.r10, sd.cat_acc, se.r1, se.r10, se.cat_acc, sd.photo_cat_acc,
              sd.none_rate, sd.garment_none, shape_acc);
        /* the validation figures swing from epoch to epoch: the best one is kept */
        double score = zt_embed_epoch_score(&sd, &se, shape_acc);
        if (score > best && (rc = zt_embed_save(o->out, &m, 0))) goto out;
        if (score > best) best = score, best_ep = ep + 1;
    }
    zt_warn_emit(&o->log, "kept epoch %d (doodle and edge-map category + R@10 + shapes category sum %.3f); the last is %s",
                 best_ep, best, last);
    float cal[2];
    struct zt_embed bm;
    if ((rc = calibrate(o->out, &va, 78, o->threads, cal))) goto out;
    if ((rc = zt_embed_load(o->out, &bm))) goto out;
    bm.cfg.cal_temp[0] = cal[0];
    if (!o->freeze_photo) bm.cfg.cal_temp[1] = cal[1];
    else cal[1] = bm.cfg.cal_temp[1];
    int same = zt_embed_photo_fingerprint(&bm) == photo_fp;
    rc = zt_embed_save(o->out, &bm, 0);
    zt_embed_deinit(&bm);
    if (rc) goto out;
    zt_warn_emit(&o->log, "calibrated category temperatures (validation): drawing %.2f, photo %.2f%s", cal[0],
          cal[1], o->freeze_photo ? " (the init's)" : "");
    if (o->freeze_photo && !same) {
        zt_seterr("train-embed: the frozen photo tower changed");
        rc = ZT_EINVAL;
    } else if (o->freeze_photo) {
        zt_warn_emit(&o->log, "photo tower frozen: catalogues embedded with %s stay valid", o->init);
    }
out:
    zt_embed_trainer_free(t);
    zt_embed_deinit(&m);
    zt_embedset_deinit(&tr);
    zt_embedset_deinit(&va);
    free(order);
    free(ld);
    free(scls);
    free(lp);
    free(xd);
    free(xp);
    return rc;
}
