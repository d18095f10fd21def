/* kernels_ref_smish.c: reference kernels of the ops in ops_smish.c.
 * Smish (Wang et al. 2022, TEED's activation): y = x tanh(ln(1 + sigmoid(x))).
 * With s = sigmoid(x) and u = 1 + s, tanh(ln u) = (u^2 - 1) / (u^2 + 1), so
 * y = x g with g = s (2 + s) / (s^2 + 2s + 2): one exp, no log or tanh, and
 * stable at both ends (g ~ s as x -> -inf, g -> 3/5 as x -> +inf). */
#include "backend.h"
#include "ops.h"
#include "../util/zt.h"

#include <math.h>

static inline float sig(float x) { return 1.0f / (1.0f + expf(-x)); }

int zt_ref_smish_fwd(const struct zt_kctx *k, struct zt_node *n)
{
    const float *x = n->src[0]->data;
    float *y = n->out->data;
    for (int64_t i = 0, c = zt_tensor_numel(n->out); i < c; i++) {
        float s = sig(x[i]);
        y[i] = x[i] * (s * (2.0f + s) / (s * s + 2.0f * s + 2.0f));
    }
    return ZT_OK;
}

/* dy/dx = g + x dg/ds ds/dx, dg/ds = 4 (s + 1) / D^2 with D = s^2 + 2s + 2,
 * ds/dx = s (1 - s). */
int zt_ref_smish_bwd(const struct zt_kctx *k, struct zt_node *n)
{
    float *dx = ZT_GRAD(n->src[0]);
    const float *x = n->src[0]->data, *dy = n->out->grad;
    if (!dx) return ZT_OK;
    for (int64_t i = 0, c = zt_tensor_numel(n->out); i < c; i++) {
        float s = sig(x[i]), d = s * s + 2.0f * s + 2.0f;
        float g = s * (2.0f + s) / d, dg = 4.0f * (s + 1.0f) / (d * d) * s * (1.0f - s);
        dx[i] += dy[i] * (g + x[i] * dg);
    }
    return ZT_OK;
}
