/* param.c: the named parameter/buffer list of a model (see param.h). */
#include "param.h"
#include "engine.h"
#include "../util/zt.h"

#include <stdlib.h>
#include <string.h>

void zt_params_init(struct zt_params *ps) { memset(ps, 0, sizeof *ps); }

static void param_free(struct zt_param *p, struct zt_engine *dev)
{
    if (!p) return;
    free(p->name);
    if (dev) {
        zt_engine_dev_free(dev, p->t.data);
        zt_engine_dev_free(dev, p->t.grad);
    } else {
        free(p->t.data);
        free(p->t.grad);
    }
    free(p);
}

void zt_params_deinit(struct zt_params *ps)
{
    if (!ps) return;
    for (int i = 0; i < ps->n; i++) param_free(ps->p[i], ps->dev);
    free(ps->p);
    memset(ps, 0, sizeof *ps);
}

/* Moves t's data and grad to (dir 1) or from (0) e's device memory: both
 * or neither. */
static int tensor_move(struct zt_engine *e, struct zt_tensor *t, int dir)
{
    int64_t n = zt_tensor_numel(t);
    int rc = zt_engine_dev_move(e, &t->data, n, dir);
    if (!rc && (rc = zt_engine_dev_move(e, &t->grad, n, dir)))
        zt_engine_dev_move(e, &t->data, n, !dir);
    return rc;
}

struct zt_tensor *zt_params_add(struct zt_params *ps, const char *name, int ndim,
                                const int64_t *shape, int is_buffer)
{
    if (!name || ndim < 0 || ndim > ZT_MAX_DIMS) {
        zt_seterr("params: bad name or ndim %d", ndim);
        return NULL;
    }
    for (int i = 0; i < ndim; i++)
        if (shape[i] <= 0) {
            zt_seterr("params: %s: dim %d is %lld", name, i, (long long)shape[i]);
            return NULL;
        }
    if (zt_params_get(ps, name)) {
        zt_seterr("params: duplicate name %s", name);
        return NULL;
    }
    if (ps->n == ps->cap) {
        int cap = ps->cap ? ps->cap * 2 : 16;
        struct zt_param **np = realloc(ps->p, (size_t)cap * sizeof *np);
        if (!np) goto oom;
        ps->p = np;
        ps->cap = cap;
    }
    struct zt_param *p = calloc(1, sizeof *p);
    if (!p) goto oom;
    zt_tensor_set_shape(&p->t, ndim, shape);
    size_t n = (size_t)zt_tensor_numel(&p->t);
    p->name = strdup(name);
    p->t.data = calloc(n, sizeof(float));
    if (!is_buffer) p->t.grad = calloc(n, sizeof(float));
    if (!p->name || !p->t.data || (!is_buffer && !p->t.grad) ||
        (ps->dev && tensor_move(ps->dev, &p->t, 1))) { /* not moved: host memory */
        param_free(p, NULL);
        goto oom;
    }
    p->t.name = p->name;
    p->t.requires_grad = !is_buffer;
    p->is_buffer = is_buffer;
    ps->p[ps->n++] = p;
    return &p->t;
oom:
    zt_seterr("params: out of memory adding %s", name);
    return NULL;
}

struct zt_tensor *zt_params_get(const struct zt_params *ps, const char *name)
{
    for (int i = 0; i < ps->n; i++)
        if (!strcmp(ps->p[i]->name, name)) return &ps->p[i]->t;
    return NULL;
}

int64_t zt_params_numel(const struct zt_params *ps)
{
    int64_t n = 0;
    for (int i = 0; i < ps->n; i++)
        if (!ps->p[i]->is_buffer) n += zt_tensor_numel(&ps->p[i]->t);
    return n;
}

void zt_params_zero_grad(struct zt_params *ps)
{
    for (int i = 0; i < ps->n; i++)
        if (ps->p[i]->t.grad && ps->dev)
            zt_engine_dev_zero(ps->dev, ps->p[i]->t.grad, zt_tensor_numel(&ps->p[i]->t));
        else if (ps->p[i]->t.grad)
            memset(ps->p[i]->t.grad, 0, (size_t)zt_tensor_numel(&ps->p[i]->t) * sizeof(float));
}

/* Moves every tensor of ps to (e) or from (NULL) device memory: all or none. */
static int params_move(struct zt_params *ps, struct zt_engine *e)
{
    struct zt_engine *dev = e ? e : ps->dev;
    if (ps->dev == e) return ZT_OK;
    for (int i = 0; i < ps->n; i++) {
        int rc = tensor_move(dev, &ps->p[i]->t, e != NULL);
        if (rc) {
            zt_adderr("params: moving %s", ps->p[i]->name);
            while (i-- > 0) tensor_move(dev, &ps->p[i]->t, e == NULL);
            return rc;
        }
    }
    ps->dev = e;
    return ZT_OK;
}

int zt_params_to_device(struct zt_params *ps, struct zt_engine *e) { return params_move(ps, e); }
int zt_params_to_host(struct zt_params *ps) { return params_move(ps, NULL); }
