/* train_ckpt.c: training checkpoints (networks + optimizer moments in one
 * safetensors file) and the rules --resume applies before loading one. */
#include "train_ckpt.h"
#include "ckpt.h"
#include "generator.h"
#include "optim.h"
#include "safetensors.h"
#include "../core/engine.h"
#include "../core/param.h"
#include "../core/tensor.h"
#include "../util/zt.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_optim(struct zt_st_writer *w, struct zt_optim *opt, const struct zt_params *ps,
                     const char *pre)
{
    char name[512];
    int k = 0;
    for (int i = 0; i < ps->n; i++) {
        const struct zt_param *p = ps->p[i];
        if (p->is_buffer) continue;
        int64_t shape[ZT_MAX_DIMS];
        for (int d = 0; d < p->t.ndim; d++) shape[d] = p->t.shape[d];
        static const char *slot[2] = {"exp_avg", "exp_avg_sq"};
        for (int sl = 0; sl < 2; sl++) {
            float *st = zt_optim_state(opt, k, sl);
            if (!st) continue;
            snprintf(name, sizeof name, "%s.%s.%s", pre, slot[sl], p->name);
            int rc = zt_st_writer_add(w, name, ZT_DTYPE_F32, p->t.ndim, shape, st);
            if (rc) return rc;
        }
        k++;
    }
    return ZT_OK;
}

int zt_p2p_save(const struct zt_p2p *m, const char *path, const char *const *meta)
{
    struct zt_st_writer *w = zt_st_writer_new();
    if (!w) return ZT_ENOMEM;
    char steps[32];
    snprintf(steps, sizeof steps, "%lld", (long long)m->steps);
    int rc = zt_ckpt_add(w, &m->G.params, "G.", ZT_DTYPE_F32);
    if (!rc) rc = zt_ckpt_add(w, &m->D.params, "D.", ZT_DTYPE_F32);
    if (!rc) rc = add_optim(w, m->optG, &m->G.params, "optG");
    if (!rc) rc = add_optim(w, m->optD, &m->D.params, "optD");
    if (!rc) rc = zt_st_writer_meta(w, "ztyle.steps", steps);
    for (int i = 0; !rc && meta && meta[i]; i += 2) rc = zt_st_writer_meta(w, meta[i], meta[i + 1]);
    if (!rc) rc = zt_st_writer_save(w, path);
    zt_st_writer_free(w);
    return rc;
}

static int load_optim(struct zt_optim *opt, const struct zt_params *ps, const char *pre,
                      const struct zt_st_file *f, int check_only)
{
    char name[512];
    int k = 0;
    for (int i = 0; i < ps->n; i++) {
        const struct zt_param *p = ps->p[i];
        if (p->is_buffer) continue;
        static const char *slot[2] = {"exp_avg", "exp_avg_sq"};
        for (int sl = 0; sl < 2; sl++) {
            float *st = zt_optim_state(opt, k, sl);
            if (!st) continue;
            snprintf(name, sizeof name, "%s.%s.%s", pre, slot[sl], p->name);
            const struct zt_st_tensor *t = zt_st_get(f, name);
            if (!t || t->numel != zt_tensor_numel(&p->t)) {
                zt_seterr("checkpoint lacks or mis-sizes '%s'", name);
                return ZT_EFORMAT;
            }
            if (!check_only) memcpy(st, t->data, (size_t)t->numel * sizeof(float));
        }
        k++;
    }
    return ZT_OK;
}

int zt_p2p_load(struct zt_p2p *m, const char *path, char **meta_json)
{
    struct zt_st_file f;
    int rc = zt_st_load(path, &f);
    if (rc) return rc;
    long long steps = -1;
    json_t *meta = f.metadata_json ? json_loads(f.metadata_json, 0, NULL) : NULL;
    const char *st = json_string_value(json_object_get(meta, "ztyle.steps"));
    if (!st || sscanf(st, "%lld", &steps) != 1 || steps < 0) {
        zt_seterr("%s: not a Ztyle training checkpoint (no ztyle.steps)", path);
        rc = ZT_EFORMAT;
        goto out;
    }
    /* check all, then copy: a bad file changes nothing */
    if ((rc = load_optim(m->optG, &m->G.params, "optG", &f, 1)) ||
        (rc = load_optim(m->optD, &m->D.params, "optD", &f, 1)))
        goto fail_msg;
    if ((rc = zt_ckpt_load(&m->G.params, &f, "G.", 1, NULL))) goto fail_msg;
    if ((rc = zt_ckpt_load(&m->D.params, &f, "D.", 1, NULL))) goto fail_msg;
    load_optim(m->optG, &m->G.params, "optG", &f, 0);
    load_optim(m->optD, &m->D.params, "optD", &f, 0);
    zt_engine_weights_changed(m->eng);
    zt_optim_set_steps(m->optG, steps);
    zt_optim_set_steps(m->optD, steps);
    m->steps = steps;
    if (meta_json) *meta_json = f.metadata_json ? strdup(f.metadata_json) : NULL;
    goto out;
fail_msg:
    zt_adderr("%s", path);
out:
    json_decref(meta);
    zt_st_free(&f);
    return rc;
}

int zt_train_ckpt_save(struct zt_p2p *m, const char *out, int epoch, int iter, const char *run,
                       const struct zt_gen_info *gi, int export_gen)
{
    char path[4096], e[32], it[32];
    snprintf(path, sizeof path, "%s/ckpt/latest.safetensors", out);
    snprintf(e, sizeof e, "%d", epoch);
    snprintf(it, sizeof it, "%d", iter);
    const char *meta[] = {"ztyle.epoch", e, "ztyle.iter", it, "ztyle.run", run, NULL};
    /* a model on the GPU comes back for the save (the same file either way) */
    int dev = zt_p2p_on_device(m), rc = dev ? zt_p2p_place(m, 0) : ZT_OK;
    if (!rc) rc = zt_p2p_save(m, path, meta);
    if (!rc && export_gen) {
        snprintf(path, sizeof path, "%s/ckpt/gen_epoch_%03d.safetensors", out, epoch);
        const char *extra[] = {"ztyle.epoch", e, NULL};
        rc = zt_gen_export(&m->G, gi, ZT_DTYPE_F16, path, extra);
    }
    if (dev) {
        int rc2 = zt_p2p_place(m, 1);
        if (!rc) rc = rc2;
    }
    return rc;
}

/* --- resuming --- */

int zt_train_ckpt_counters(const char *meta_json, const char *path, int *epoch, int *iter)
{
    json_t *mj = meta_json ? json_loads(meta_json, 0, NULL) : NULL;
    const char *e = json_string_value(json_object_get(mj, "ztyle.epoch"));
    const char *it = json_string_value(json_object_get(mj, "ztyle.iter"));
    int rc = ZT_OK;
    if (!e || !it) {
        zt_seterr("%s lacks the epoch/iteration counters", path);
        rc = ZT_EFORMAT;
    } else {
        *epoch = atoi(e);
        *iter = atoi(it);
    }
    json_decref(mj);
    return rc;
}

int zt_train_resume_check(const json_t *have, const json_t *want, struct zt_resume_diff *d)
{
    /* The schedule may be shortened or extended and the data folder moved (a copy
     * on another machine); everything that shapes the model or the samples must match. */
    static const char *const free_keys[] = {"data", "epochs", "epochs_decay", "train_set"};
    json_t *a = json_deep_copy(have), *b = json_deep_copy(want);
    for (size_t k = 0; a && b && k < ZT_ARRAY_LEN(free_keys); k++) {
        json_object_del(a, free_keys[k]);
        json_object_del(b, free_keys[k]);
    }
    int same = a && b && json_equal(a, b);
    json_decref(a);
    json_decref(b);
    memset(d, 0, sizeof *d);
    d->was_epochs = (long)json_integer_value(json_object_get(have, "epochs"));
    d->was_decay = (long)json_integer_value(json_object_get(have, "epochs_decay"));
    d->was_data = json_string_value(json_object_get(have, "data"));
    const char *data = json_string_value(json_object_get(want, "data"));
    d->new_schedule = d->was_epochs != (long)json_integer_value(json_object_get(want, "epochs")) ||
                      d->was_decay != (long)json_integer_value(json_object_get(want, "epochs_decay"));
    d->moved = !d->was_data || !data || strcmp(d->was_data, data);
    if (same) return ZT_OK;
    zt_seterr("was made with other settings; give the same options as the original run (only "
              "--data, --epochs and --epochs-decay may change)");
    return ZT_EINVAL;
}

int zt_train_resume_fits(int epoch, int iter, int total_epochs)
{
    if (epoch > total_epochs || (epoch == total_epochs && iter)) {
        zt_seterr("the run is already past epoch %d (--epochs + --epochs-decay); give a longer "
                  "schedule", total_epochs);
        return ZT_EINVAL;
    }
    return ZT_OK;
}
