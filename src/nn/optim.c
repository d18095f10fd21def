/* optim.c: Adam and SGD (torch.optim 1.13 single-tensor semantics) as fused
 * per-element loops: update and zero-grad in one pass, OpenMP over elements. */
#include "optim.h"
#include "../core/engine.h"
#include "../core/param.h"
#include "../util/zt.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

enum { KIND_ADAM, KIND_SGD };

struct slot {
    struct zt_tensor *p; /* borrowed from the params list */
    int64_t n;
    float *s0, *s1;      /* owned state */
};

struct zt_optim {
    int kind, nthreads, np;
    int64_t steps;
    struct zt_adam_opts adam;
    struct zt_sgd_opts sgd;
    struct slot *sl;
    struct zt_engine *dev; /* borrowed: state in its device memory, or NULL */
};

static struct zt_optim *optim_new(struct zt_params *ps, int kind, int nstate, int nthreads)
{
    struct zt_optim *o = calloc(1, sizeof *o);
    if (!o) goto oom;
    o->kind = kind;
    o->nthreads = nthreads > 0 ? nthreads : 1;
    o->sl = calloc((size_t)(ps->n ? ps->n : 1), sizeof *o->sl);
    if (!o->sl) goto oom;
    for (int i = 0; i < ps->n; i++) {
        struct zt_param *p = ps->p[i];
        if (p->is_buffer || !p->t.grad || !p->t.requires_grad) continue;
        struct slot *s = &o->sl[o->np++];
        s->p = &p->t;
        s->n = zt_tensor_numel(&p->t);
        s->s0 = calloc((size_t)s->n, sizeof(float));
        if (nstate > 1) s->s1 = calloc((size_t)s->n, sizeof(float));
        if (!s->s0 || (nstate > 1 && !s->s1)) goto oom;
    }
    return o;
oom:
    zt_optim_free(o);
    zt_seterr("optim: out of memory");
    return NULL;
}

void zt_optim_free(struct zt_optim *o)
{
    if (!o) return;
    for (int i = 0; o->sl && i < o->np; i++) {
        if (o->dev) {
            zt_engine_dev_free(o->dev, o->sl[i].s0);
            zt_engine_dev_free(o->dev, o->sl[i].s1);
            continue;
        }
        free(o->sl[i].s0);
        free(o->sl[i].s1);
    }
    free(o->sl);
    free(o);
}

struct zt_optim *zt_optim_adam_new(struct zt_params *ps, const struct zt_adam_opts *a,
                                   int nthreads)
{
    if (!(a->lr >= 0) || !(a->beta1 >= 0 && a->beta1 < 1) || !(a->beta2 >= 0 && a->beta2 < 1) ||
        !(a->eps >= 0) || !(a->weight_decay >= 0)) {
        zt_seterr("adam: bad hyper-parameters (lr %g, betas %g %g, eps %g, wd %g)", (double)a->lr,
                  (double)a->beta1, (double)a->beta2, (double)a->eps, (double)a->weight_decay);
        return NULL;
    }
    struct zt_optim *o = optim_new(ps, KIND_ADAM, 2, nthreads);
    if (o) o->adam = *a;
    return o;
}

struct zt_optim *zt_optim_sgd_new(struct zt_params *ps, const struct zt_sgd_opts *s, int nthreads)
{
    if (!(s->lr >= 0) || !(s->momentum >= 0) || !(s->weight_decay >= 0) ||
        (s->nesterov && (s->momentum <= 0 || s->dampening != 0))) {
        zt_seterr("sgd: bad hyper-parameters (nesterov needs momentum > 0 and dampening 0)");
        return NULL;
    }
    struct zt_optim *o = optim_new(ps, KIND_SGD, 1, nthreads);
    if (o) o->sgd = *s;
    return o;
}

/* Runs fn over [0, n) split in one contiguous range per thread (multiples
 * of 64): per-element math, so the split does not change any result. */
#define SPLIT(nthreads, n, lo, hi, ...)                                                 \
    do {                                                                              \
        int64_t n_ = (n);                                                             \
        int nt_ = n_ >= 65536 ? (nthreads) : 1;                                       \
        _Pragma("omp parallel num_threads(nt_) if (nt_ > 1)")                         \
        {                                                                             \
            int64_t t_ = omp_get_thread_num(), T_ = omp_get_num_threads();             \
            int64_t per_ = ((n_ + T_ - 1) / T_ + 63) & ~(int64_t)63;                   \
            int64_t lo = t_ * per_ < n_ ? t_ * per_ : n_;                             \
            int64_t hi = lo + per_ < n_ ? lo + per_ : n_;                             \
            if (lo < hi) __VA_ARGS__                                                  \
        }                                                                             \
    } while (0)

struct adam_k {
    float step_size, bc2_sqrt, b1, c1, b2, c2, wd, eps;
};

/* One range of one tensor: restrict pointers and no errno for sqrtf (v is
 * never negative; the Makefile builds this file with -fno-math-errno), so
 * the loop vectorises; same float operations, in the same order, as the
 * scalar loop (IEEE: identical results). */
static void adam_range(float *restrict p, float *restrict g, float *restrict m, float *restrict v, int64_t n,
           const struct adam_k *k)
{
    float step_size = k->step_size, bc2_sqrt = k->bc2_sqrt, b1 = k->b1, c1 = k->c1, b2 = k->b2;
    float c2 = k->c2, wd = k->wd, eps = k->eps;
    for (int64_t j = 0; j < n; j++) {
        float gj = g[j];
        if (wd != 0) gj = gj + wd * p[j];
        m[j] = m[j] * b1 + gj * c1;
        v[j] = v[j] * b2 + c2 * gj * gj;
        float denom = sqrtf(v[j]) / bc2_sqrt + eps;
        p[j] = p[j] + (-step_size) * (m[j] / denom);
        g[j] = 0;
    }
}

/* torch.optim.Adam, _single_tensor_adam: bias corrections in double, the
 * element math in float in the same order. */
static void adam_step(struct zt_optim *o)
{
    const struct zt_adam_opts *a = &o->adam;
    double step = (double)o->steps;
    double bc1 = 1.0 - pow(a->beta1, step), bc2 = 1.0 - pow(a->beta2, step);
    /* torch passes python doubles as scalars; float tensor ops round them to float */
    struct adam_k k = {(float)(a->lr / bc1), (float)sqrt(bc2), (float)a->beta1,
                       (float)(1.0 - a->beta1), (float)a->beta2, (float)(1.0 - a->beta2),
                       (float)a->weight_decay, (float)a->eps};
    for (int i = 0; i < o->np; i++) {
        struct slot *s = &o->sl[i];
        float *p = s->p->data, *g = s->p->grad, *m = s->s0, *v = s->s1;
        if (o->dev) { /* a failed launch shows at the next device call */
            const float kk[8] = {k.step_size, k.bc2_sqrt, k.b1, k.c1, k.b2, k.c2, k.wd, k.eps};
            zt_engine_adam(o->dev, s->n, p, g, m, v, kk);
            s->p->grad_fresh = 2;
            continue;
        }
        SPLIT(o->nthreads, s->n, lo, hi, { adam_range(p + lo, g + lo, m + lo, v + lo, hi - lo, &k); });
        s->p->grad_fresh = 2; /* zeroed: the next backward may write instead of add */
    }
}

/* torch.optim.SGD, _single_tensor_sgd. */
static void sgd_step(struct zt_optim *o)
{
    const struct zt_sgd_opts *a = &o->sgd;
    int first = o->steps == 1;
    float lr = (float)a->lr, mu = (float)a->momentum, c = (float)(1.0 - a->dampening);
    float wd = (float)a->weight_decay;
    for (int i = 0; i < o->np; i++) {
        struct slot *s = &o->sl[i];
        float *p = s->p->data, *g = s->p->grad, *buf = s->s0;
#pragma omp parallel for schedule(static) num_threads(o->nthreads) if (s->n >= 65536)
        for (int64_t j = 0; j < s->n; j++) {
            float d = g[j];
            if (wd != 0) d = d + wd * p[j];
            if (mu != 0) {
                buf[j] = first ? d : buf[j] * mu + c * d;
                d = a->nesterov ? d + mu * buf[j] : buf[j];
            }
            p[j] = p[j] + (-lr) * d;
            g[j] = 0;
        }
        s->p->grad_fresh = 2;
    }
}

void zt_optim_step(struct zt_optim *o)
{
    o->steps++;
    if (o->kind == KIND_ADAM) adam_step(o);
    else sgd_step(o);
}

/* Moves every slot's state to (e) or from (NULL) device memory: all or none. */
static int optim_move(struct zt_optim *o, struct zt_engine *e)
{
    struct zt_engine *dev = e ? e : o->dev;
    if (o->dev == e) return ZT_OK;
    if (o->kind != KIND_ADAM || !zt_engine_on_device(dev)) {
        zt_seterr("optim: only Adam steps on a device engine");
        return ZT_EINVAL;
    }
    for (int i = 0; i < o->np; i++) {
        struct slot *s = &o->sl[i];
        int rc = zt_engine_dev_move(dev, &s->s0, s->n, e != NULL);
        if (!rc && (rc = zt_engine_dev_move(dev, &s->s1, s->n, e != NULL)))
            zt_engine_dev_move(dev, &s->s0, s->n, e == NULL);
        if (rc) {
            while (i-- > 0) {
                zt_engine_dev_move(dev, &o->sl[i].s0, o->sl[i].n, e == NULL);
                zt_engine_dev_move(dev, &o->sl[i].s1, o->sl[i].n, e == NULL);
            }
            return rc;
        }
    }
    o->dev = e;
    return ZT_OK;
}

int zt_optim_to_device(struct zt_optim *o, struct zt_engine *e) { return optim_move(o, e); }
int zt_optim_to_host(struct zt_optim *o) { return optim_move(o, NULL); }

void zt_optim_set_lr(struct zt_optim *o, double lr)
{
    if (o->kind == KIND_ADAM) o->adam.lr = lr;
    else o->sgd.lr = lr;
}

int64_t zt_optim_steps(const struct zt_optim *o) { return o->steps; }
int zt_optim_nparams(const struct zt_optim *o) { return o->np; }
void zt_optim_set_steps(struct zt_optim *o, int64_t steps) { o->steps = steps; }

float *zt_optim_state(struct zt_optim *o, int i, int slot)
{
    if (i < 0 || i >= o->np || slot < 0 || slot > 1) return NULL;
    return slot == 0 ? o->sl[i].s0 : o->sl[i].s1;
}

double zt_lr_lambda_linear(int epoch, int epoch_count, int n_epochs, int n_epochs_decay)
{
    int over = epoch + epoch_count - n_epochs;
    return 1.0 - (double)(over > 0 ? over : 0) / (double)(n_epochs_decay + 1);
}
