/* pairs_dir.c: a dataset -> a `ztyle pairs` folder (see pairs_dir.h):
 * one pair per picked photo on the worker pool, then the manifest. */
#include "pairs_dir.h"
#include "dataset.h"
#include "pairs.h"
#include "../core/engine.h"
#include "../nn/edges_net.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/parallel.h"
#include "../util/progress.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct job {
    const struct zt_dataset *ds;
    const struct zt_catmap *map;
    int *pick; /* dataset indices to do */
    int n;
    const char *out;
    struct zt_pair_opts opts;
    uint64_t seed;
    struct zt_progress *prog;
    const struct zt_warn *warn;
    _Atomic long written, skipped, failed;
};

static const char *split_dir(int split) { return split == ZT_SPLIT_VAL ? "val" : "train"; }

static int do_one(void *ctx, int64_t k, int worker)
{
    struct job *j = ctx;
    const struct zt_sample *s = &j->ds->s[j->pick[k]];
    char ab_path[4096], hint_path[4096];
    snprintf(ab_path, sizeof ab_path, "%s/%s/%s.png", j->out, split_dir(s->split), s->id);
    snprintf(hint_path, sizeof hint_path, "%s/hints/%s/%s.png", j->out, split_dir(s->split),
             s->id);
    if (zt_file_exists(ab_path) && zt_file_exists(hint_path)) {
        atomic_fetch_add(&j->skipped, 1);
        zt_progress_add(j->prog, 1);
        return ZT_OK;
    }
    struct zt_pair p = {0};
    struct zt_image ab = {0}, layer = {0};
    int rc = zt_pair_make(s->path, &j->opts, zt_pair_seed(j->seed, s->id), &p);
    if (!rc) rc = zt_pair_ab(&p, &ab);
    if (!rc) rc = zt_pair_hint_layer(&p, &layer);
    /* the hint layer first: a pair counts as done only when the AB file exists */
    if (!rc) rc = zt_image_save(&layer, hint_path);
    if (!rc) rc = zt_image_save(&ab, ab_path);
    if (rc) {
        /* a bad photo is reported and skipped; the run goes on */
        zt_warn_emit(j->warn, "%s", zt_errmsg());
        atomic_fetch_add(&j->failed, 1);
    } else {
        atomic_fetch_add(&j->written, 1);
    }
    zt_pair_deinit(&p);
    zt_image_free(&ab);
    zt_image_free(&layer);
    zt_progress_add(j->prog, 1);
    return ZT_OK;
}

/* The settings that change the pixels; a resumed run must match them. */
static json_t *settings_json(const struct job *j, const char *data)
{
    return json_pack("{s:i, s:s, s:s, s:I, s:s, s:s}", "size", j->opts.size, "method",
                     zt_edge_method_name(j->opts.edge.method), "style",
                     zt_draw_style_name(j->opts.style), "seed", (json_int_t)j->seed, "data", data,
                     "format", "aligned-AB: A = drawing (edges + hints), B = photo");
}

static int check_settings(const char *out, json_t *want, int force)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pairs.json", out);
    if (zt_file_exists(path) && !force) {
        json_error_t err;
        json_t *have = json_load_file(path, 0, &err);
        if (!have) {
            zt_seterr("%s: %s (line %d); use --force to start over", path, err.text, err.line);
            return ZT_EFORMAT;
        }
        int same = json_equal(json_object_get(have, "size"), json_object_get(want, "size")) &&
                   json_equal(json_object_get(have, "method"), json_object_get(want, "method")) &&
                   json_equal(json_object_get(have, "seed"), json_object_get(want, "seed"));
        json_decref(have);
        if (!same) {
            zt_seterr("%s: was made with other settings (size/method/seed); use another --out "
                      "or --force", path);
            return ZT_EINVAL;
        }
    }
    char *text = json_dumps(want, JSON_INDENT(2) | JSON_SORT_KEYS);
    int rc = text ? zt_file_write_atomic(path, text, strlen(text)) : ZT_ENOMEM;
    free(text);
    return rc;
}

static int write_manifest(const struct job *j)
{
    struct zt_buf b = {0};
    int rc = ZT_OK;
    for (int k = 0; k < j->n && !rc; k++) {
        const struct zt_sample *s = &j->ds->s[j->pick[k]];
        char ab[4200], hint[4200];
        snprintf(ab, sizeof ab, "%s/%s.png", split_dir(s->split), s->id);
        snprintf(hint, sizeof hint, "hints/%s/%s.png", split_dir(s->split), s->id);
        char path[8400];
        snprintf(path, sizeof path, "%s/%s", j->out, ab);
        if (!zt_file_exists(path)) continue; /* failed photos are not listed */
        char seedhex[24];
        snprintf(seedhex, sizeof seedhex, "%016llx",
                 (unsigned long long)zt_pair_seed(j->seed, s->id));
        json_t *o = json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s}", "id", s->id, "split",
                              split_dir(s->split), "category",
                              s->category >= 0 ? j->map->cat[s->category] : NULL, "class",
                              s->cls, "source", s->path, "file", ab, "hints_file", hint, "seed",
                              seedhex);
        char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
        rc = line ? zt_buf_printf(&b, "%s\n", line) : ZT_ENOMEM;
        free(line);
        json_decref(o);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.jsonl", j->out);
    if (!rc) rc = zt_file_write_atomic(path, b.data ? (char *)b.data : "", b.len);
    if (rc) zt_adderr("manifest");
    zt_buf_deinit(&b);
    return rc;
}

/* The photos to do: mapped ones (or all), at most limit. */
static int pick(const struct zt_dataset *ds, const struct zt_pairs_dir_opts *o, int *out)
{
    int n = 0;
    for (int i = 0; i < ds->n && (o->limit < 0 || n < o->limit); i++)
        if (o->all_classes || ds->s[i].category >= 0) out[n++] = i;
    return n;
}

static int make_dirs(const char *out)
{
    char dir[4200];
    const char *sub[] = {"train", "val", "hints/train", "hints/val"};
    int rc = ZT_OK;
    for (size_t i = 0; i < ZT_ARRAY_LEN(sub) && !rc; i++) {
        snprintf(dir, sizeof dir, "%s/%s", out, sub[i]);
        rc = zt_mkdirs(dir);
    }
    return rc;
}

int zt_pairs_dir_write(const struct zt_pairs_dir_opts *o, struct zt_pairs_dir_stats *st)
{
    memset(st, 0, sizeof *st);
    struct zt_edgenet *net = NULL;
    struct zt_catmap map = {0};
    struct zt_dataset ds = {0};
    struct job j = {.ds = &ds, .map = &map, .out = o->out, .seed = o->seed, .warn = &o->warn};
    json_t *settings = NULL;
    int neural = o->method == ZT_EDGE_DEXINED || o->method == ZT_EDGE_TEED;
    /* one engine thread per worker: the workers already fill the cores */
    struct zt_engine_opts eo = {ZT_BACKEND_CPU, 1, 0, 0, 0};
    int rc = neural ? zt_edgenet_open(o->method, o->weights, &eo, &net) : ZT_OK;
    if (rc) return rc;
    if ((rc = o->catmap ? zt_catmap_load(o->catmap, &map) : zt_catmap_default(&map))) goto out;
    if ((rc = zt_dataset_open(o->data, &map, o->val_percent, &ds))) goto out;
    rc = ZT_ENOMEM;
    if (!(j.pick = malloc(((size_t)ds.n + 1) * sizeof *j.pick))) goto out;
    if ((j.n = pick(&ds, o, j.pick)) == 0) {
        zt_seterr("%s: no images of the mapped categories (use --all-classes?)", o->data);
        rc = ZT_ENOTFOUND;
        goto out;
    }
    zt_pair_opts_default(&j.opts, o->size, o->method);
    j.opts.style = o->style;
    j.opts.edge.net = zt_edgenet_detector(net);
    if ((rc = make_dirs(o->out))) goto out;
    rc = ZT_ENOMEM;
    if (!(settings = settings_json(&j, o->data))) goto out;
    if ((rc = check_settings(o->out, settings, o->force))) goto out;
    atomic_init(&j.written, 0);
    atomic_init(&j.skipped, 0);
    atomic_init(&j.failed, 0);
    j.prog = zt_progress_new("pairs", j.n, o->progress, !o->progress);
    double t0 = zt_now();
    rc = zt_parallel_for(j.n, o->threads, do_one, &j);
    st->seconds = zt_now() - t0;
    zt_progress_free(j.prog);
    if (!rc) rc = write_manifest(&j);
    st->pairs = j.n;
    st->written = atomic_load(&j.written);
    st->skipped = atomic_load(&j.skipped);
    st->failed = atomic_load(&j.failed);
out:
    json_decref(settings);
    free(j.pick);
    zt_dataset_deinit(&ds);
    zt_catmap_deinit(&map);
    zt_edgenet_close(net);
    return rc;
}
