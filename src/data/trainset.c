/* trainset.c: in-memory training samples and augmented batches. */
#include "trainset.h"
#include "../util/parallel.h"
#include "../util/progress.h"
#include "../util/hash.h"
#include "../util/zt.h"
#include "pairs.h"
#include "sample.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct build_job {
    const struct zt_dataset *ds;
    const int *pick;
    struct zt_trainset *ts;
    struct zt_pair_opts po;
    struct zt_progress *prog;
    _Atomic int skipped;
};

static int build_one(void *ctx, int64_t k, int worker)
{
    struct build_job *j = ctx;
    const struct zt_sample *s = &j->ds->s[j->pick[k]];
    struct zt_train_item *it = &j->ts->it[k];
    struct zt_image im = {0};
    struct zt_pair p = {0};
    int rc = zt_image_load(s->path, 3, &j->po.lim, &im);
    if (!rc) rc = zt_pair_planes(&im, &j->po, &p);
    zt_image_free(&im);
    if (rc) {
        fprintf(stderr, "ztyle: warning: skipping %s: %s\n", s->path, zt_errmsg());
        atomic_fetch_add(&j->skipped, 1);
    } else {
        it->photo = p.photo;
        it->edges = p.edges;
        it->mask = p.mask;
        it->category = s->category;
        it->id = strdup(s->id);
        it->path = strdup(s->path);
        if (!it->id || !it->path) {
            zt_pair_deinit(&p);
            zt_seterr("out of memory");
            return ZT_ENOMEM;
        }
    }
    zt_progress_add(j->prog, 1);
    return ZT_OK;
}

static void item_free(struct zt_train_item *it)
{
    zt_image_free(&it->photo);
    zt_image_free(&it->edges);
    zt_image_free(&it->mask);
    free(it->id);
    free(it->path);
    memset(it, 0, sizeof *it);
}

int zt_trainset_build(const struct zt_dataset *ds, int split, int ncat, int load, int crop,
                      enum zt_edge_method method, int nthreads, struct zt_progress *prog,
                      struct zt_trainset *out, int *skipped)
{
    if (crop > load || crop < 32) {
        zt_seterr("trainset: crop %d must be in 32..load (%d)", crop, load);
        return ZT_EINVAL;
    }
    struct zt_trainset ts = {.load = load, .crop = crop, .ncat = ncat};
    zt_hint_params_default(&ts.hint);
    int *pick = malloc(sizeof(int) * (size_t)(ds->n ? ds->n : 1)), n = 0;
    if (!pick) return ZT_ENOMEM;
    for (int i = 0; i < ds->n; i++)
        if (ds->s[i].split == split && ds->s[i].category >= 0) pick[n++] = i;
    if (n == 0) {
        free(pick);
        zt_seterr("no %s images of the mapped categories", split == ZT_SPLIT_VAL ? "val" : "train");
        return ZT_ENOTFOUND;
    }
    ts.it = calloc((size_t)n, sizeof *ts.it);
    if (!ts.it) {
        free(pick);
        return ZT_ENOMEM;
    }
    ts.n = n;
    struct build_job j = {.ds = ds, .pick = pick, .ts = &ts, .prog = prog};
    atomic_init(&j.skipped, 0);
    zt_pair_opts_default(&j.po, load, method);
    int rc = zt_parallel_for(n, nthreads, build_one, &j);
    free(pick);
    if (rc) {
        zt_trainset_deinit(&ts);
        return rc;
    }
    /* drop the skipped ones, keeping order */
    int w = 0;
    for (int i = 0; i < ts.n; i++)
        if (ts.it[i].id) ts.it[w++] = ts.it[i];
    ts.n = w;
    if (skipped) *skipped = atomic_load(&j.skipped);
    if (ts.n == 0) {
        zt_trainset_deinit(&ts);
        zt_seterr("no usable images");
        return ZT_ENOTFOUND;
    }
    *out = ts;
    return ZT_OK;
}

void zt_trainset_deinit(struct zt_trainset *ts)
{
    if (!ts) return;
    for (int i = 0; i < ts->n; i++) item_free(&ts->it[i]);
    free(ts->it);
    memset(ts, 0, sizeof *ts);
}

int zt_trainset_batch(const struct zt_trainset *ts, const int *idx, int n, uint64_t seed,
                      const struct zt_batch_opts *o, float *A, float *B)
{
    int s = ts->crop, ncat = o->conditioned ? ts->ncat : 0;
    size_t in_sz = (size_t)zt_sample_in_channels(ncat) * s * s, out_sz = (size_t)3 * s * s;
    struct zt_hint_params hp = ts->hint;
    if (o->fixed_hints > 0) hp.fixed_count = o->fixed_hints;
    int rc = ZT_OK;
    for (int k = 0; k < n && !rc; k++) {
        const struct zt_train_item *it = &ts->it[idx[k]];
        uint64_t r = zt_pair_seed(seed, it->id);
        int range = ts->load - s, ox = range / 2, oy = range / 2, flip = 0;
        if (o->augment) {
            ox = range ? (int)(zt_mix64(r ^ 1) % (uint64_t)(range + 1)) : 0;
            oy = range ? (int)(zt_mix64(r ^ 2) % (uint64_t)(range + 1)) : 0;
            flip = (int)(zt_mix64(r ^ 3) & 1);
        }
        struct zt_image ph = {0}, ed = {0}, mk = {0}, hr = {0}, hm = {0};
        rc = zt_image_crop(&it->photo, ox, oy, s, s, &ph);
        if (!rc) rc = zt_image_crop(&it->edges, ox, oy, s, s, &ed);
        if (!rc) rc = zt_image_crop(&it->mask, ox, oy, s, s, &mk);
        if (!rc && flip) {
            zt_image_flip_h(&ph);
            zt_image_flip_h(&ed);
            zt_image_flip_h(&mk);
        }
        if (!rc) {
            if (o->no_hints) {
                rc = zt_image_new(&hr, s, s, 3);
                if (!rc) rc = zt_image_new(&hm, s, s, 1);
            } else {
                rc = zt_hints_simulate(&ph, &mk, &hp, zt_mix64(r ^ 4), &hr, &hm, NULL);
            }
        }
        if (!rc)
            rc = zt_sample_encode_input(&ed, &hr, &hm, ncat ? it->category : -1, ncat,
                                        A + k * in_sz);
        if (!rc) rc = zt_sample_encode_photo(&ph, B + k * out_sz);
        zt_image_free(&ph);
        zt_image_free(&ed);
        zt_image_free(&mk);
        zt_image_free(&hr);
        zt_image_free(&hm);
    }
    return rc;
}
