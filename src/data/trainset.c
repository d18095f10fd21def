/* trainset.c: in-memory training samples and augmented batches. */
#include "trainset.h"
#include "../util/parallel.h"
#include "../util/progress.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/hash.h"
#include "../util/zt.h"
#include "doodle.h"
#include "pairs.h"
#include "../nn/sample.h"

#include <jansson.h>
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
    const struct zt_warn *warn;
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
        zt_warn_emit(j->warn, "skipping %s: %s", s->path, zt_errmsg());
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
    zt_image_free(&it->hint_rgb);
    zt_image_free(&it->hint_mask);
    free(it->id);
    free(it->path);
    memset(it, 0, sizeof *it);
}

int zt_trainset_build(const struct zt_dataset *ds, int split, int ncat, int load, int crop,
                      enum zt_edge_method method, unsigned flags, int nthreads,
                      struct zt_progress *prog, const struct zt_warn *warn,
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
    struct build_job j = {.ds = ds, .pick = pick, .ts = &ts, .prog = prog, .warn = warn};
    atomic_init(&j.skipped, 0);
    zt_pair_opts_default(&j.po, load, method);
    j.po.white_bg = (flags & ZT_TRAINSET_WHITE_BG) != 0;
    if (flags & ZT_TRAINSET_GRABCUT) j.po.mask.grabcut_iters = ZT_MASK_GRABCUT_SHAPE;
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

/* The shopper mix's planes for one cropped sample (see zt_batch_opts):
 * ZT_OK with *ed, *hr, *hm replaced; otherwise (the edge-map share, or no
 * doodle can be made of this mask) the caller simulates hints as usual. */
static int shopper_planes(const struct zt_image *ph, const struct zt_image *mk, uint64_t r,
                          struct zt_image *ed, struct zt_image *hr, struct zt_image *hm)
{
    int mode = (int)(zt_mix64(r ^ 5) % 100), s = ph->w;
    if (mode < 40) return ZT_EINVAL;
    struct zt_doodle_params dp;
    zt_doodle_params_default(&dp);
    dp.aligned = 1;
    struct zt_image e = {0}, rgb = {0}, msk = {0};
    int rc = zt_doodle_planes(ph, mk, ed, &dp, s, zt_mix64(r ^ 6), &e, &rgb, &msk, NULL);
    if (!rc && mode < 70) { /* the edge map with the doodle's dabs; no line under a dab */
        for (size_t i = 0; i < (size_t)s * s; i++) e.px[i] = msk.px[i] >= 128 ? 255 : ed->px[i];
    }
    if (rc) return rc;
    zt_image_free(ed);
    zt_image_free(hr);
    zt_image_free(hm);
    *ed = e, *hr = rgb, *hm = msk;
    return ZT_OK;
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
        int fixed = it->hint_mask.px != NULL;
        rc = zt_image_crop(&it->photo, ox, oy, s, s, &ph);
        if (!rc) rc = zt_image_crop(&it->edges, ox, oy, s, s, &ed);
        if (!rc) rc = zt_image_crop(&it->mask, ox, oy, s, s, &mk);
        if (!rc && fixed && !o->no_hints) {
            rc = zt_image_crop(&it->hint_rgb, ox, oy, s, s, &hr);
            if (!rc) rc = zt_image_crop(&it->hint_mask, ox, oy, s, s, &hm);
        }
        if (!rc && flip) {
            zt_image_flip_h(&ph);
            zt_image_flip_h(&ed);
            zt_image_flip_h(&mk);
            if (hr.px) zt_image_flip_h(&hr);
            if (hm.px) zt_image_flip_h(&hm);
        }
        if (!rc && !hm.px && o->shopper && !o->no_hints && o->fixed_hints <= 0) {
            int sr = shopper_planes(&ph, &mk, r, &ed, &hr, &hm);
            if (sr == ZT_ENOMEM) rc = sr;
            else if (sr) zt_clearerr(); /* no doodle of this mask: edge map + simulated hints */
        }
        if (!rc && !hm.px) {
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

int zt_trainset_keep_category(struct zt_trainset *ts, int cat)
{
    int w = 0;
    for (int i = 0; i < ts->n; i++) {
        if (ts->it[i].category == cat) ts->it[w++] = ts->it[i];
        else item_free(&ts->it[i]);
    }
    ts->n = w;
    if (w == 0) {
        zt_seterr("no images of the chosen category");
        return ZT_ENOTFOUND;
    }
    return ZT_OK;
}

/* --- training from `ztyle pairs` output --- */

int zt_trainset_is_pairs_dir(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/pairs.json", dir);
    if (!zt_file_exists(p)) return 0;
    snprintf(p, sizeof p, "%s/manifest.jsonl", dir);
    return zt_file_exists(p);
}

/* Resizes im to load x load (nothing when it already is) into *out. */
static int to_load(const struct zt_image *im, int load, struct zt_image *out)
{
    if (im->w == load && im->h == load) return zt_image_clone(im, out);
    return zt_image_resize(im, load, load, out);
}

/* One manifest entry -> a training item with fixed hints. */
static int pair_item(const char *dir, const char *file, const char *hints_file, int load,
                     struct zt_train_item *it)
{
    struct zt_image_limits lim = ZT_IMAGE_LIMITS_DEFAULT;
    struct zt_image ab = {0}, a = {0}, b = {0}, hl = {0}, e = {0}, hr = {0}, hm = {0};
    char p[8400];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    int rc = zt_image_load(p, 3, &lim, &ab);
    if (!rc && ab.w != 2 * ab.h) {
        zt_seterr("%s: %dx%d is not an A|B pair (width = 2 x height)", p, ab.w, ab.h);
        rc = ZT_EFORMAT;
    }
    snprintf(p, sizeof p, "%s/%s", dir, hints_file);
    if (!rc) rc = zt_image_load(p, 4, &lim, &hl);
    int s = ab.h;
    if (!rc && (hl.w != s || hl.h != s)) {
        zt_seterr("%s: hint layer is %dx%d, the pair %dx%d", p, hl.w, hl.h, s, s);
        rc = ZT_EFORMAT;
    }
    if (!rc) rc = zt_image_crop(&ab, 0, 0, s, s, &a);
    if (!rc) rc = zt_image_crop(&ab, s, 0, s, s, &b);
    if (!rc) rc = zt_image_new(&e, s, s, 1);
    if (!rc) rc = zt_image_new(&hr, s, s, 3);
    if (!rc) rc = zt_image_new(&hm, s, s, 1);
    if (!rc) {
        for (size_t i = 0; i < (size_t)s * s; i++) {
            const uint8_t *ap = a.px + 3 * i, *hp = hl.px + 4 * i;
            int hinted = hp[3] >= 128;
            /* under a hint the drawing shows the hint: no line is known there */
            e.px[i] = !hinted && (ap[0] + ap[1] + ap[2]) < 3 * 128 ? 0 : 255;
            if (hinted) {
                memcpy(hr.px + 3 * i, hp, 3);
                hm.px[i] = 255;
            }
        }
    }
    if (!rc) rc = to_load(&b, load, &it->photo);
    if (!rc) rc = to_load(&e, load, &it->edges);
    if (!rc) rc = to_load(&hr, load, &it->hint_rgb);
    if (!rc) rc = to_load(&hm, load, &it->hint_mask);
    if (!rc) rc = zt_image_new(&it->mask, load, load, 1);
    if (!rc) {
        /* resampling greys the binary planes: make them binary again */
        size_t n = (size_t)load * load;
        for (size_t i = 0; i < n; i++) {
            it->edges.px[i] = it->edges.px[i] < 192 ? 0 : 255;
            it->hint_mask.px[i] = it->hint_mask.px[i] >= 128 ? 255 : 0;
            it->mask.px[i] = 255;
        }
    }
    zt_image_free(&ab);
    zt_image_free(&a);
    zt_image_free(&b);
    zt_image_free(&hl);
    zt_image_free(&e);
    zt_image_free(&hr);
    zt_image_free(&hm);
    return rc;
}

int zt_trainset_build_pairs(const char *dir, int split, const struct zt_catmap *map, int load,
                            int crop, const struct zt_warn *warn, struct zt_trainset *out,
                            int *skipped)
{
    if (crop > load || crop < 32) {
        zt_seterr("trainset: crop %d must be in 32..load (%d)", crop, load);
        return ZT_EINVAL;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.jsonl", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        zt_seterr("%s: cannot open", path);
        return ZT_ENOTFOUND;
    }
    struct zt_trainset ts = {.load = load, .crop = crop, .ncat = map->ncat};
    zt_hint_params_default(&ts.hint);
    int cap = 0, nskip = 0, rc = ZT_OK;
    long lineno = 0;
    char *line = NULL;
    size_t lcap = 0;
    const char *want = split == ZT_SPLIT_VAL ? "val" : "train";
    while (getline(&line, &lcap, f) > 0) {
        lineno++;
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        const char *id = NULL, *sp = NULL, *cat = NULL, *file = NULL, *hints = NULL;
        if (!o || json_unpack(o, "{s:s, s:s, s?s, s:s, s:s}", "id", &id, "split", &sp,
                              "category", &cat, "file", &file, "hints_file", &hints)) {
            zt_seterr("%s:%ld: not a pairs manifest entry", path, lineno);
            json_decref(o);
            rc = ZT_EFORMAT;
            break;
        }
        int c = cat ? zt_catmap_category(map, cat) : -1;
        if (strcmp(sp, want) || c < 0) {
            json_decref(o);
            continue;
        }
        if (ts.n == cap) {
            int nc = cap ? 2 * cap : 256;
            struct zt_train_item *v = realloc(ts.it, (size_t)nc * sizeof *v);
            if (!v) {
                json_decref(o);
                rc = ZT_ENOMEM;
                break;
            }
            ts.it = v;
            cap = nc;
        }
        struct zt_train_item *it = &ts.it[ts.n];
        memset(it, 0, sizeof *it);
        if (pair_item(dir, file, hints, load, it)) {
            zt_warn_emit(warn, "skipping %s: %s", id, zt_errmsg());
            item_free(it);
            nskip++;
        } else {
            it->category = c;
            it->id = strdup(id);
            snprintf(path, sizeof path, "%s/%s", dir, file);
            it->path = strdup(path);
            ts.n++;
            if (!it->id || !it->path) rc = ZT_ENOMEM;
        }
        json_decref(o);
        if (rc) break;
    }
    free(line);
    fclose(f);
    if (skipped) *skipped = nskip;
    if (!rc && ts.n == 0) {
        zt_seterr("%s: no %s pairs of the mapped categories", dir, want);
        rc = ZT_ENOTFOUND;
    }
    if (rc) {
        zt_trainset_deinit(&ts);
        return rc;
    }
    *out = ts;
    return ZT_OK;
}
