/* init.c: parameter initialisers (see init.h). */
#include "init.h"
#include "../core/param.h"
#include "../util/rng.h"
#include "../core/tensor.h"
#include "../util/zt.h"

#include <math.h>
#include <string.h>

void zt_init_constant(struct zt_tensor *t, float v)
{
    for (int64_t i = 0, n = zt_tensor_numel(t); i < n; i++) t->data[i] = v;
}

void zt_init_uniform(struct zt_rng *r, struct zt_tensor *t, float lo, float hi)
{
    zt_rng_fill_uniform(r, t->data, zt_tensor_numel(t), lo, hi);
}

void zt_init_normal(struct zt_rng *r, struct zt_tensor *t, float mean, float std)
{
    zt_rng_fill_normal(r, t->data, zt_tensor_numel(t), mean, std);
}

int zt_init_fans(const struct zt_tensor *t, double *fan_in, double *fan_out)
{
    if (t->ndim < 2) {
        zt_seterr("init: fan in/out needs >= 2 dims, tensor has %d", t->ndim);
        return ZT_EINVAL;
    }
    double rf = 1;
    for (int i = 2; i < t->ndim; i++) rf *= (double)t->shape[i];
    *fan_in = (double)t->shape[1] * rf;
    *fan_out = (double)t->shape[0] * rf;
    return ZT_OK;
}

static int xavier_std(const struct zt_tensor *t, double gain, double *std)
{
    double fi, fo;
    int rc = zt_init_fans(t, &fi, &fo);
    if (rc) return rc;
    *std = gain * sqrt(2.0 / (fi + fo));
    return ZT_OK;
}

int zt_init_xavier_uniform(struct zt_rng *r, struct zt_tensor *t, double gain)
{
    double std;
    int rc = xavier_std(t, gain, &std);
    if (rc) return rc;
    float a = (float)(sqrt(3.0) * std);
    zt_init_uniform(r, t, -a, a);
    return ZT_OK;
}

int zt_init_xavier_normal(struct zt_rng *r, struct zt_tensor *t, double gain)
{
    double std;
    int rc = xavier_std(t, gain, &std);
    if (rc) return rc;
    zt_init_normal(r, t, 0.0f, (float)std);
    return ZT_OK;
}

static int kaiming_std(const struct zt_tensor *t, double a, int mode, double *std)
{
    double fi, fo;
    int rc = zt_init_fans(t, &fi, &fo);
    if (rc) return rc;
    double fan = mode == ZT_FAN_OUT ? fo : fi;
    *std = sqrt(2.0 / (1.0 + a * a)) / sqrt(fan);
    return ZT_OK;
}

int zt_init_kaiming_uniform(struct zt_rng *r, struct zt_tensor *t, double a, int mode)
{
    double std;
    int rc = kaiming_std(t, a, mode, &std);
    if (rc) return rc;
    float b = (float)(sqrt(3.0) * std);
    zt_init_uniform(r, t, -b, b);
    return ZT_OK;
}

int zt_init_kaiming_normal(struct zt_rng *r, struct zt_tensor *t, double a, int mode)
{
    double std;
    int rc = kaiming_std(t, a, mode, &std);
    if (rc) return rc;
    zt_init_normal(r, t, 0.0f, (float)std);
    return ZT_OK;
}

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

void zt_init_pix2pix(struct zt_rng *r, struct zt_params *ps, float gain)
{
    for (int i = 0; i < ps->n; i++) {
        struct zt_param *p = ps->p[i];
        if (p->is_buffer) continue;
        if (ends_with(p->name, ".weight") || !strcmp(p->name, "weight")) {
            if (p->t.ndim >= 2) zt_init_normal(r, &p->t, 0.0f, gain);
            else zt_init_normal(r, &p->t, 1.0f, gain);
        } else if (ends_with(p->name, ".bias") || !strcmp(p->name, "bias")) {
            zt_init_constant(&p->t, 0.0f);
        }
    }
}
