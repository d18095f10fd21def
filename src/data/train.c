/* train.c: `ztyle train`'s work (see train.h): the run folder and its
 * settings, the training set, the model, the loop over epochs and batches
 * with its log, and the checkpoints. */
#include "train.h"
#include "dataset.h"
#include "trainset.h"
#include "../core/engine.h"
#include "../nn/ckpt.h"
#include "../nn/generator.h"
#include "../nn/optim.h"
#include "../nn/pix2pix_train.h"
#include "../nn/sample.h"
#include "../nn/train_ckpt.h"
#include "../util/fs.h"
#include "../util/hash.h"
#include "../util/progress.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The training photos a run saw, as run.json's "train_set": their number and
 * a hash of their (category, id) in order, so a resumed run with --data
 * elsewhere is refused when the photos (and so the sample order) differ. */
static json_t *train_set_json(const struct zt_trainset *ts)
{
    uint64_t h = (uint64_t)ts->n;
    for (int i = 0; i < ts->n; i++)
        h = zt_mix3(h, zt_hash_str(ts->it[i].id), (uint64_t)ts->it[i].category);
    char fp[17];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)h);
    return json_pack("{s:i, s:s}", "images", ts->n, "fingerprint", fp);
}

/* The settings a resumed run must share with the original. */
static json_t *run_json(const struct zt_train_opts *o, int in_nc, const struct zt_catmap *map, int ncat,
                        int v1_map)
{
    json_t *cats = json_array();
    for (int i = 0; i < ncat; i++) json_array_append_new(cats, json_string(map->cat[i]));
    json_t *r = json_pack("{s:s, s:s?, s:i, s:i, s:i, s:i, s:i, s:s, s:b, s:i, s:i, s:i, s:f, s:s, "
                     "s:f, s:I, s:s, s:o, s:i}",
                     "data", o->data, "category", o->category, "size", (int)o->size, "load",
                     (int)o->load, "ngf", (int)o->ngf, "ndf", (int)o->ndf, "in_nc", in_nc, "norm",
                     o->norm == ZT_NORM_BATCH ? "batch" : "instance", "dropout", o->dropout,
                     "batch", (int)o->batch, "epochs", (int)o->epochs, "epochs_decay",
                     (int)o->decay, "lr", o->lr, "gan", o->gan == ZT_GAN_LSGAN ? "lsgan" : "vanilla",
                     "lambda_l1", o->lambda, "seed", (json_int_t)o->seed, "edge_method",
                     zt_edge_method_name(o->method), "categories", cats, "num_downs",
                     o->size >= 256 ? 8 : 7);
    /* written only when not the earlier behaviour, so older runs still resume */
    if (r && o->upsample == ZT_UP_RESIZE) json_object_set_new(r, "upsample", json_string("resize"));
    if (r && o->shopper) json_object_set_new(r, "inputs", json_string("shopper"));
    if (r && o->white_bg) json_object_set_new(r, "background", json_string("white"));
    if (r && o->grabcut) json_object_set_new(r, "mask", json_string("grabcut"));
    if (r && o->chroma > 0) json_object_set_new(r, "lambda_chroma", json_real(o->chroma));
    if (r && !v1_map) json_object_set_new(r, "catmap", json_integer(2));
    return r;
}

static int write_log_header(const char *path)
{
    if (zt_file_exists(path)) return ZT_OK;
    const char *h = "epoch,iter,step,images,g_gan,g_l1,d_real,d_fake,lr,images_per_s,elapsed_s\n";
    return zt_file_write_atomic(path, h, strlen(h));
}

/* Fisher-Yates with a splitmix-style stream: the epoch's sample order. */
static void shuffle(int *v, int n, uint64_t seed)
{
    for (int i = 0; i < n; i++) v[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(zt_mix3(seed, (uint64_t)i, 77) % (uint64_t)(i + 1));
        int t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* A new run writes run.json (refused where a run already is); a resumed one
 * checks it (*kept_set: its record of the photos; *rewrite_run: run.json
 * must follow a new schedule or data folder once the data is read). */
static int check_run(const struct zt_train_opts *o, json_t *run, const char *run_text,
                     json_t **kept_set, int *rewrite_run)
{
    char path[4096];
    int rc = ZT_OK;
    snprintf(path, sizeof path, "%s/run.json", o->out);
    if (o->resume) {
        json_error_t je;
        json_t *have = json_load_file(path, 0, &je);
        if (!have) {
            zt_seterr("--resume: %s: %s", path, je.text);
            return ZT_EFORMAT;
        }
        struct zt_resume_diff d;
        rc = zt_train_resume_check(have, run, &d);
        if (!rc && d.new_schedule)
            zt_warn_emit(&o->note, "schedule changed from %ld+%ld to %ld+%ld epochs",
                         d.was_epochs, d.was_decay, o->epochs, o->decay);
        if (!rc && d.was_data && d.moved)
            zt_warn_emit(&o->note, "data now read from %s (was %s)", o->data, d.was_data);
        *kept_set = json_incref(json_object_get(have, "train_set"));
        json_decref(have);
        if (rc) {
            zt_seterr("--resume: %s was made with other settings; give the same options as the "
                      "original run (only --data, --epochs and --epochs-decay may change)", path);
            return rc;
        }
        *rewrite_run = d.new_schedule || d.moved; /* after the data is read */
    } else {
        char lp[4200];
        snprintf(lp, sizeof lp, "%s/ckpt/latest.safetensors", o->out);
        if (zt_file_exists(lp)) {
            zt_seterr("%s already holds a run; use --resume to continue it or another --out",
                      o->out);
            return ZT_EINVAL;
        }
        rc = zt_file_write_atomic(path, run_text, strlen(run_text));
    }
    return rc;
}

/* G's weights from a generator file: by name; a deconv generator projected
 * onto a resize-conv G (zt_unet_resize_from_deconv); one with other category
 * planes widened onto G's (zt_unet_widen_input): a plane the file has by
 * name keeps its weights, a new one starts as the file's first plane, which
 * is what the product gave such a category before (nn/generator.h). */
static int init_generator(const char *path, struct zt_unet *G, const struct zt_catmap *map, int ncat)
{
    if (G->cfg.upsample != ZT_UP_RESIZE) return zt_ckpt_load_file(path, &G->params, NULL, 1);
    struct zt_unet src;
    struct zt_gen_info gi;
    if (zt_gen_load(path, &src, &gi)) { /* not a generator file (a bare state dict): by name */
        zt_clearerr();
        return zt_ckpt_load_file(path, &G->params, NULL, 1);
    }
    int rc;
    if (gi.g.upsample == ZT_UP_DECONV) {
        rc = zt_unet_resize_from_deconv(G, &src);
    } else if (gi.g.in_nc != G->cfg.in_nc && gi.g.in_nc == zt_sample_in_channels(gi.ncat) &&
               G->cfg.in_nc == zt_sample_in_channels(ncat)) {
        int from[ZT_SAMPLE_BASE_CH + ZT_MAX_CATEGORIES];
        for (int c = 0; c < ZT_SAMPLE_BASE_CH; c++) from[c] = c;
        for (int k = 0; k < ncat; k++) {
            int j = 0;
            while (j < gi.ncat && strcmp(gi.cat[j], map->cat[k])) j++;
            from[ZT_SAMPLE_BASE_CH + k] = j < gi.ncat ? ZT_SAMPLE_BASE_CH + j
                                          : gi.ncat   ? ZT_SAMPLE_BASE_CH
                                                      : -1;
        }
        rc = zt_unet_widen_input(G, &src, from);
    } else {
        rc = zt_ckpt_load_file(path, &G->params, NULL, 1);
    }
    zt_unet_deinit(&src);
    return rc;
}

/* The models (G from o->init when given) and, when resuming, the
 * checkpoint's state and counters. */
static int open_model(const struct zt_train_opts *o, const struct zt_catmap *map, int ncat,
                      struct zt_p2p_cfg *pc, struct zt_p2p *m, int *start_epoch, int *start_iter)
{
    char path[4096], *meta = NULL;
    int rc, in_nc = zt_sample_in_channels(ncat);
    zt_p2p_cfg_default(pc, in_nc, o->size >= 256 ? 8 : 7, (int)o->ngf);
    pc->g.norm = pc->d.norm = o->norm;
    pc->g.use_dropout = o->dropout;
    pc->g.upsample = o->upsample;
    pc->d.ndf = (int)o->ndf;
    pc->gan_mode = o->gan;
    pc->lambda_l1 = (float)o->lambda;
    pc->lambda_chroma = (float)o->chroma;
    pc->lr = o->lr;
    int be = o->backend == ZT_BACKEND_CUDA ? ZT_BACKEND_CUDA : ZT_BACKEND_CPU;
    if ((rc = zt_p2p_init_on(m, pc, o->nthreads, (uint64_t)o->seed, be))) return rc;
    if (o->init && (rc = init_generator(o->init, &m->G, map, ncat))) {
        zt_adderr("--init");
        goto out;
    }
    if (o->resume) {
        snprintf(path, sizeof path, "%s/ckpt/latest.safetensors", o->out);
        if ((rc = zt_p2p_load(m, path, &meta))) {
            zt_adderr("--resume");
            goto out;
        }
        if ((rc = zt_train_ckpt_counters(meta, path, start_epoch, start_iter)) ||
            (rc = zt_train_resume_fits(*start_epoch, *start_iter, (int)(o->epochs + o->decay)))) {
            zt_adderr("--resume");
            goto out;
        }
    }
    rc = zt_p2p_place(m, 1); /* cuda: parameters and Adam state to the GPU */
out:
    free(meta);
    return rc;
}

/* A run recorded before the six-category map (no "catmap" in its
 * run.json) resumes with the four categories it was made with. */
static int run_has_v1_map(const char *out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/run.json", out);
    json_t *have = json_load_file(path, 0, NULL);
    int v1 = have && !json_object_get(have, "catmap");
    json_decref(have);
    return v1;
}

int zt_train_run(const struct zt_train_opts *opts, struct zt_train_result *res)
{
    struct zt_train_opts oc = *opts, *o = &oc; /* the pairs' edge method may replace o->method */
    memset(res, 0, sizeof *res);

    struct zt_catmap map;
    struct zt_dataset ds = {0};
    struct zt_trainset ts = {0};
    struct zt_p2p m = {0};
    float *A = NULL, *B = NULL;
    int *order = NULL, rc;
    json_t *run = NULL, *kept_set = NULL; /* kept_set: a resumed run's "train_set" */
    char *run_text = NULL;
    struct zt_progress *prog = NULL;
    FILE *log = NULL;
    int v1_map = o->resume && run_has_v1_map(o->out);
    if ((rc = v1_map ? zt_catmap_v1(&map) : zt_catmap_default(&map))) return rc;
    int only = -1;
    if (o->category && (only = zt_catmap_category(&map, o->category)) < 0) {
        char names[ZT_MAX_CATEGORIES * 34];
        zt_catmap_names(&map, names, sizeof names);
        zt_seterr("--category: '%s' is not one of %s", o->category, names);
        zt_catmap_deinit(&map);
        return ZT_EINVAL;
    }
    int from_pairs = zt_trainset_is_pairs_dir(o->data);
    if (from_pairs) {
        /* the pairs' own edge method is what the drawings were made with */
        char pj[4096];
        snprintf(pj, sizeof pj, "%s/pairs.json", o->data);
        json_t *pjs = json_load_file(pj, 0, NULL);
        const char *pm = json_string_value(json_object_get(pjs, "method"));
        if (pm) zt_edge_method_parse(pm, &o->method);
        json_decref(pjs);
    } else if ((rc = zt_dataset_open(o->data, &map, 10, &ds))) {
        goto done;
    }
    if (only >= 0) /* a per-category model sees only its category */
        for (int i = 0; i < ds.n; i++)
            if (ds.s[i].category != only) ds.s[i].category = -1;
    int ncat = only >= 0 ? 0 : map.ncat, in_nc = zt_sample_in_channels(ncat);

    char path[4096];
    snprintf(path, sizeof path, "%s/ckpt", o->out);
    if ((rc = zt_mkdirs(path))) goto done;
    run = run_json(o, in_nc, &map, ncat, v1_map);
    run_text = run ? json_dumps(run, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    if (!run_text) goto oom;
    int rewrite_run = 0;
    if ((rc = check_run(o, run, run_text, &kept_set, &rewrite_run))) goto done;

    /* model first: a bad config fails before minutes of data preparation */
    struct zt_p2p_cfg pc;
    int start_epoch = 0, start_iter = 0;
    if ((rc = open_model(o, &map, ncat, &pc, &m, &start_epoch, &start_iter))) goto done;

    int skipped = 0;
    zt_warn_emit(&o->note, "preparing %s at %ld px (%s edges%s)", o->data, o->load,
                 zt_edge_method_name(o->method), from_pairs ? ", fixed hints of the pairs" : "");
    if (from_pairs) {
        rc = zt_trainset_build_pairs(o->data, ZT_SPLIT_TRAIN, &map, (int)o->load, (int)o->size,
                                     &o->warn, &ts, &skipped);
        if (!rc && only >= 0) /* a per-category model sees only its category */
            rc = zt_trainset_keep_category(&ts, only);
    } else {
        int64_t nprep = 0;
        for (int i = 0; i < ds.n; i++)
            nprep += ds.s[i].split == ZT_SPLIT_TRAIN && ds.s[i].category >= 0;
        prog = zt_progress_new("prepare", nprep, o->progress, !o->progress);
        rc = zt_trainset_build(&ds, ZT_SPLIT_TRAIN, map.ncat, (int)o->load, (int)o->size, o->method,
                               (o->white_bg ? ZT_TRAINSET_WHITE_BG : 0u) |
                                   (o->grabcut ? ZT_TRAINSET_GRABCUT : 0u),
                               o->nthreads, prog, &o->warn, &ts, &skipped);
        zt_progress_free(prog);
        prog = NULL;
    }
    if (rc) goto done;
    int nb = ts.n / (int)o->batch;
    if (nb == 0) {
        zt_seterr("%d training images, fewer than one batch of %ld", ts.n, o->batch);
        rc = ZT_EINVAL;
        goto done;
    }
    /* run.json records the photos (a new run, or one from before the record)
     * and follows a resume's new schedule or data folder - once the checkpoint
     * fits the schedule and the data is read and is the run's */
    json_t *photos = train_set_json(&ts);
    if (!photos) goto oom;
    if (kept_set && !json_equal(kept_set, photos)) {
        json_decref(photos);
        zt_seterr("--resume: the data holds other training photos than this run was trained "
                  "on (%d now, %lld then)", ts.n,
                  (long long)json_integer_value(json_object_get(kept_set, "images")));
        rc = ZT_EINVAL;
        goto done;
    }
    if (!kept_set || rewrite_run) {
        json_object_set_new(run, "train_set", photos);
        free(run_text);
        run_text = json_dumps(run, JSON_INDENT(2) | JSON_SORT_KEYS);
        snprintf(path, sizeof path, "%s/run.json", o->out);
        if (!run_text) goto oom;
        if ((rc = zt_file_write_atomic(path, run_text, strlen(run_text)))) goto done;
    } else {
        json_decref(photos);
    }
    size_t asz = (size_t)o->batch * in_nc * o->size * o->size, bsz = (size_t)o->batch * 3 * o->size * o->size;
    A = malloc(asz * sizeof *A);
    B = malloc(bsz * sizeof *B);
    order = malloc((size_t)ts.n * sizeof *order);
    if (!A || !B || !order) goto oom;
    struct zt_gen_info gi = {.g = pc.g, .size = (int)o->size, .ncat = ncat};
    for (int i = 0; i < ncat; i++) snprintf(gi.cat[i], sizeof gi.cat[i], "%s", map.cat[i]);
    snprintf(gi.edge_method, sizeof gi.edge_method, "%s", zt_edge_method_name(o->method));
    if (o->category) snprintf(gi.category, sizeof gi.category, "%s", o->category);
    snprintf(path, sizeof path, "%s/log.csv", o->out);
    if ((rc = write_log_header(path))) goto done;
    if (!(log = fopen(path, "a"))) {
        zt_seterr("%s: cannot append", path);
        rc = ZT_EIO;
        goto done;
    }
    int total_epochs = (int)(o->epochs + o->decay);
    int64_t total_steps = (int64_t)(total_epochs - start_epoch) * nb - start_iter;
    zt_warn_emit(&o->note, "%d images (%d skipped), batch %ld, %d steps/epoch, epochs %d..%d, "
                 "%d threads%s, G %.1fM params",
                 ts.n, skipped, o->batch, nb, start_epoch + 1, total_epochs, o->nthreads,
                 zt_p2p_on_device(&m) ? ", on the GPU" : "", zt_params_numel(&m.G.params) / 1e6);
    prog = zt_progress_new("train", total_steps, o->progress, !o->progress);
    struct zt_batch_opts bo = {.augment = 1, .conditioned = ncat > 0, .shopper = o->shopper};
    double t0 = zt_now(), win_t = t0;
    struct zt_p2p_losses acc = {0}, l;
    int win_n = 0;
    int64_t done_steps = 0;
    int epoch = start_epoch, it = start_iter, interrupted = 0;
    for (; epoch < total_epochs && !interrupted; epoch++, it = 0) {
        double lr = o->lr * zt_lr_lambda_linear(epoch, 1, (int)o->epochs, (int)o->decay);
        zt_p2p_set_lr(&m, lr);
        shuffle(order, ts.n, zt_mix3((uint64_t)o->seed, (uint64_t)epoch, 1));
        for (; it < nb; it++) {
            if ((o->stop && *o->stop) || (o->max_steps > 0 && done_steps >= o->max_steps)) {
                interrupted = 1;
                break;
            }
            uint64_t bseed = zt_mix3((uint64_t)o->seed, (uint64_t)epoch, (uint64_t)it + 2);
            if ((rc = zt_trainset_batch(&ts, order + (size_t)it * o->batch, (int)o->batch, bseed,
                                        &bo, A, B)) ||
                (rc = zt_p2p_step(&m, A, B, (int)o->batch, (int)o->size, bseed, &l))) {
                zt_adderr("step %lld", (long long)m.steps);
                goto done;
            }
            done_steps++;
            acc.g_gan += l.g_gan, acc.g_l1 += l.g_l1, acc.d_real += l.d_real, acc.d_fake += l.d_fake;
            win_n++;
            char note[160];
            snprintf(note, sizeof note, "ep %d G_GAN %.3f G_L1 %.4f D_real %.3f D_fake %.3f",
                     epoch + 1, l.g_gan, l.g_l1, l.d_real, l.d_fake);
            zt_progress_set_note(prog, note);
            zt_progress_add(prog, 1);
            if (win_n == o->log_every) {
                double now = zt_now();
                fprintf(log, "%d,%d,%lld,%lld,%.5f,%.5f,%.5f,%.5f,%.3g,%.2f,%.1f\n", epoch + 1,
                        it + 1, (long long)m.steps, (long long)m.steps * o->batch,
                        acc.g_gan / win_n, acc.g_l1 / win_n, acc.d_real / win_n,
                        acc.d_fake / win_n, lr, win_n * o->batch / (now - win_t), now - t0);
                fflush(log);
                acc = (struct zt_p2p_losses){0};
                win_n = 0;
                win_t = now;
            }
        }
        if (interrupted) break;
        int last = epoch + 1 == total_epochs;
        if ((epoch + 1) % o->save_every == 0 || last) {
            if ((rc = zt_train_ckpt_save(&m, o->out, epoch + 1, 0, run_text, &gi, 1))) {
                zt_adderr("checkpoint");
                goto done;
            }
        }
    }
    zt_progress_free(prog);
    prog = NULL;
    res->steps = done_steps;
    res->seconds = zt_now() - t0;
    res->epoch = epoch + 1;
    res->iter = it;
    /* mid-epoch: resume at (epoch, it) */
    if (interrupted && (rc = zt_train_ckpt_save(&m, o->out, epoch, it, run_text, &gi, 0)))
        zt_adderr("checkpoint");
    else if (interrupted)
        res->stopped = o->stop && *o->stop ? ZT_TRAIN_SIGNALLED : ZT_TRAIN_MAX_STEPS;
    goto done;
oom:
    zt_seterr("out of memory");
    rc = ZT_ENOMEM;
done:
    if (log) fclose(log);
    zt_progress_free(prog);
    free(A);
    free(B);
    free(order);
    free(run_text);
    json_decref(run);
    json_decref(kept_set);
    zt_p2p_deinit(&m);
    zt_trainset_deinit(&ts);
    zt_dataset_deinit(&ds);
    zt_catmap_deinit(&map);
    return rc;
}
