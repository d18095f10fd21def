/* param.c: the named parameter/buffer list of a model (see param.h). */
#include "param.h"
#include "../util/zt.h"

#include <stdlib.h>
#include <string.h>

void zt_params_init(struct zt_params *ps) { memset(ps, 0, sizeof *ps); }

static void param_free(struct zt_param *p)
{
    if (!p) return;
    free(p->name);
    free(p->t.data);
    free(p->t.grad);
    free(p);
}

void zt_params_deinit(struct zt_params *ps)
{
    if (!ps) return;
    for (int i = 0; i < ps->n; i++) param_free(ps->p[i]);
    free(ps->p);
    memset(ps, 0, sizeof *ps);
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
    if (!p->name || !p->t.data || (!is_buffer && !p->t.grad)) {
        param_free(p);
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
        if (ps->p[i]->t.grad)
            memset(ps->p[i]->t.grad, 0, (size_t)zt_tensor_numel(&ps->p[i]->t) * sizeof(float));
}
