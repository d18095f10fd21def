/* ckpt.c: parameter lists to and from safetensors, by name. */
#include "ckpt.h"
#include "../core/param.h"
#include "../core/tensor.h"
#include "../util/zt.h"

#include <stdio.h>
#include <string.h>

int zt_ckpt_add(struct zt_st_writer *w, const struct zt_params *ps, const char *prefix,
                enum zt_dtype dtype)
{
    char name[512];
    for (int i = 0; i < ps->n; i++) {
        const struct zt_param *p = ps->p[i];
        snprintf(name, sizeof name, "%s%s", prefix ? prefix : "", p->name);
        int64_t shape[ZT_MAX_DIMS];
        for (int d = 0; d < p->t.ndim; d++) shape[d] = p->t.shape[d];
        int rc = zt_st_writer_add(w, name, p->is_buffer ? ZT_DTYPE_F32 : dtype, p->t.ndim, shape,
                                  p->t.data);
        if (rc) return rc;
    }
    return ZT_OK;
}

static int shapes_match(const struct zt_tensor *t, const struct zt_st_tensor *s)
{
    /* a scalar may be stored as shape [] or [1] */
    if (zt_tensor_numel(t) != s->numel) return 0;
    if (t->ndim == 0 || (t->ndim == 1 && t->shape[0] == 1)) return s->numel == 1;
    if (t->ndim != s->ndim) return 0;
    for (int d = 0; d < t->ndim; d++)
        if (t->shape[d] != s->shape[d]) return 0;
    return 1;
}

int zt_ckpt_load(struct zt_params *ps, const struct zt_st_file *f, const char *prefix,
                 int strict, int *loaded)
{
    const char *pre = prefix ? prefix : "";
    size_t plen = strlen(pre);
    char name[512];
    int n = 0;
    /* check everything first so a failure changes nothing */
    for (int i = 0; i < ps->n; i++) {
        snprintf(name, sizeof name, "%s%s", pre, ps->p[i]->name);
        const struct zt_st_tensor *s = zt_st_get(f, name);
        if (!s) {
            if (strict) {
                zt_seterr("checkpoint lacks '%s'", name);
                return ZT_EFORMAT;
            }
            continue;
        }
        if (!shapes_match(&ps->p[i]->t, s)) {
            char buf[64];
            zt_seterr("checkpoint '%s': shape mismatch (model %s)", name,
                      zt_tensor_shape_str(&ps->p[i]->t, buf, sizeof buf));
            return ZT_EFORMAT;
        }
    }
    if (strict && plen) {
        for (int k = 0; k < f->n; k++) {
            if (strncmp(f->t[k].name, pre, plen)) continue;
            if (!zt_params_get(ps, f->t[k].name + plen)) {
                zt_seterr("checkpoint has '%s', which the model does not", f->t[k].name);
                return ZT_EFORMAT;
            }
        }
    }
    for (int i = 0; i < ps->n; i++) {
        snprintf(name, sizeof name, "%s%s", pre, ps->p[i]->name);
        const struct zt_st_tensor *s = zt_st_get(f, name);
        if (!s) continue;
        memcpy(ps->p[i]->t.data, s->data, (size_t)s->numel * sizeof(float));
        n++;
    }
    if (loaded) *loaded = n;
    return ZT_OK;
}

int zt_ckpt_save_file(const char *path, const struct zt_params *ps, enum zt_dtype dtype,
                      const char *const *metadata)
{
    struct zt_st_writer *w = zt_st_writer_new();
    if (!w) {
        zt_seterr("out of memory");
        return ZT_ENOMEM;
    }
    int rc = zt_ckpt_add(w, ps, NULL, dtype);
    for (int i = 0; !rc && metadata && metadata[i]; i += 2)
        rc = zt_st_writer_meta(w, metadata[i], metadata[i + 1]);
    if (!rc) rc = zt_st_writer_save(w, path);
    zt_st_writer_free(w);
    return rc;
}

int zt_ckpt_load_file(const char *path, struct zt_params *ps, const char *prefix, int strict)
{
    struct zt_st_file f;
    int rc = zt_st_load(path, &f);
    if (rc) return rc;
    rc = zt_ckpt_load(ps, &f, prefix, strict, NULL);
    if (rc) zt_adderr("%s", path);
    zt_st_free(&f);
    return rc;
}
