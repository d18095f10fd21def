/* dnnl_prim.c: building and running one oneDNN convolution primitive with
 * its argument reorders (dnnl_prim.h). */
#include "dnnl_prim.h"

#include <stdlib.h>
#include <string.h>

size_t zt_dp_align64(size_t n) { return (n + 63) & ~(size_t)63; }

dnnl_status_t zt_dp_env_init(struct zt_dp_env *v)
{
    dnnl_status_t st = dnnl_engine_create(&v->engine, dnnl_cpu, 0);
    if (st == dnnl_success) st = dnnl_stream_create(&v->stream, v->engine, dnnl_stream_default_flags);
    return st;
}

void zt_dp_env_deinit(struct zt_dp_env *v)
{
    if (v->stream) dnnl_stream_destroy(v->stream);
    if (v->engine) dnnl_engine_destroy(v->engine);
    free(v->ws);
    memset(v, 0, sizeof *v);
}

int zt_dp_env_reserve(struct zt_dp_env *v, size_t need)
{
    if (need <= v->ws_size) return 0;
    char *p = aligned_alloc(64, zt_dp_align64(need));
    if (!p) return -1;
    /* zeroed once, so nothing ever reads garbage (possibly denormals, which
     * are slow): only zt_dnnl_bench_skip_reorders reads unwritten buffers */
    memset(p, 0, zt_dp_align64(need));
    free(v->ws);
    v->ws = p;
    v->ws_size = zt_dp_align64(need);
    return 0;
}

uint32_t zt_dp_key_hash(const void *key, size_t n)
{
    const unsigned char *p = key;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* creates the memories (and reorder) of one argument; user_md is the caller's layout */
static dnnl_status_t arg_init(struct zt_dp *m, dnnl_engine_t eng, int accumulate, int dnnl_arg,
                              int output, const dnnl_memory_desc_t *user_md)
{
    struct zt_dp_arg *a = &m->args[m->nargs++];
    a->dnnl_arg = dnnl_arg;
    a->output = output;
    dnnl_status_t st = dnnl_memory_create(&a->user, user_md, eng, DNNL_MEMORY_NONE);
    if (st != dnnl_success) return st;
    const dnnl_memory_desc_t *pmd = dnnl_primitive_desc_query_md(m->pd, dnnl_query_exec_arg_md,
                                                                 dnnl_arg);
    if (!pmd) return dnnl_runtime_error;
    int acc = output && accumulate;
    if (dnnl_memory_desc_equal(pmd, user_md) && !acc) {
        a->prim = a->user;
        return dnnl_success;
    }
    st = dnnl_memory_create(&a->prim, pmd, eng, DNNL_MEMORY_NONE);
    if (st != dnnl_success) return st;
    a->ws_off = m->ws_need;
    m->ws_need += zt_dp_align64(dnnl_memory_desc_get_size(pmd));
    /* the reorder back to the caller's buffer adds to it when accumulating */
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    if (acc) {
        st = dnnl_primitive_attr_create(&attr);
        if (st == dnnl_success) st = dnnl_post_ops_create(&ops);
        if (st == dnnl_success) st = dnnl_post_ops_append_sum(ops, 1.0f);
        if (st == dnnl_success) st = dnnl_primitive_attr_set_post_ops(attr, ops);
    }
    dnnl_primitive_desc_t rpd = NULL;
    if (st == dnnl_success)
        st = output ? dnnl_reorder_primitive_desc_create(&rpd, pmd, eng, user_md, eng, attr)
                    : dnnl_reorder_primitive_desc_create(&rpd, user_md, eng, pmd, eng, attr);
    if (st == dnnl_success) st = dnnl_primitive_create(&a->reorder, rpd);
    if (st == dnnl_success) m->nreorders++;
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (ops) dnnl_post_ops_destroy(ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return st;
}

/* oneDNN needs padding_r such that (I - ker + pl + pr) / s + 1 == O (floor);
 * any pr in [exact, exact + s - 1] fits: take the smallest one >= 0 (oneDNN
 * rejects negative padding), else the largest. I is the image side (conv
 * src, deconv dst), O the window side. */
static dnnl_dim_t pad_r(int64_t img, int64_t win, int k, int s, int p, int dil)
{
    int64_t exact = (win - 1) * s + (int64_t)(k - 1) * dil + 1 - img - p;
    if (exact >= 0) return exact;
    return exact + s - 1 >= 0 ? 0 : exact + s - 1;
}

#define TRY(expr)                                     \
    do {                                              \
        if ((st = (expr)) != dnnl_success) goto fail; \
    } while (0)

dnnl_status_t zt_dp_build(struct zt_dp *m, dnnl_engine_t eng, const struct zt_conv_desc *d,
                          int dir, int bias_on, int accumulate, dnnl_format_tag_t xtag,
                          dnnl_format_tag_t ytag, int any)
{
    int tr = d->transposed, g = d->groups;
    dnnl_status_t st;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_dims_t xd = {d->n, d->cin, d->h, d->w}, yd = {d->n, d->cout, d->oh, d->ow};
    dnnl_dims_t bd = {d->cout};
    /* weights: logical (g, oc/g, ic/g, kh, kw) with oc/ic the primitive's own dst/src
     * channels; PyTorch's conv layout is goihw, its transposed layout giohw */
    dnnl_dims_t wd = {g, d->cout / g, d->cin / g, d->kh, d->kw};
    int wnd = 5;
    dnnl_format_tag_t wtag = tr ? dnnl_giohw : dnnl_goihw;
    if (g == 1) {
        wd[0] = d->cout, wd[1] = d->cin, wd[2] = d->kh, wd[3] = d->kw;
        wnd = 4;
        wtag = tr ? dnnl_iohw : dnnl_oihw;
    }
    dnnl_memory_desc_t x_md, y_md, w_md, b_md, xa, ya, wa;
    TRY(dnnl_memory_desc_init_by_tag(&x_md, 4, xd, dnnl_f32, xtag));
    TRY(dnnl_memory_desc_init_by_tag(&y_md, 4, yd, dnnl_f32, ytag));
    TRY(dnnl_memory_desc_init_by_tag(&w_md, wnd, wd, dnnl_f32, wtag));
    TRY(dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_f32, dnnl_x));
    if (!any) {
        xa = x_md, ya = y_md, wa = w_md;
    } else {
        TRY(dnnl_memory_desc_init_by_tag(&xa, 4, xd, dnnl_f32, dnnl_format_tag_any));
        TRY(dnnl_memory_desc_init_by_tag(&ya, 4, yd, dnnl_f32, dnnl_format_tag_any));
        TRY(dnnl_memory_desc_init_by_tag(&wa, wnd, wd, dnnl_f32, dnnl_format_tag_any));
    }
    const dnnl_memory_desc_t *bias = bias_on ? &b_md : NULL;
    dnnl_dims_t strides = {d->sh, d->sw}, dil = {d->dh - 1, d->dw - 1}, pl = {d->ph, d->pw};
    dnnl_dims_t pr = {tr ? pad_r(d->oh, d->h, d->kh, d->sh, d->ph, d->dh)
                         : pad_r(d->h, d->oh, d->kh, d->sh, d->ph, d->dh),
                      tr ? pad_r(d->ow, d->w, d->kw, d->sw, d->pw, d->dw)
                         : pad_r(d->w, d->ow, d->kw, d->sw, d->pw, d->dw)};
    TRY(dnnl_primitive_attr_create(&attr));
    TRY(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));

    /* the forward pd: the primitive itself, or the hint for a backward one
     * (kept alive beside it) */
    dnnl_convolution_desc_t fwd, bwd; /* dnnl_deconvolution_desc_t is the same type */
    if (!tr)
        TRY(dnnl_dilated_convolution_forward_desc_init(&fwd, dnnl_forward_training,
                                                       dnnl_convolution_direct, &xa, &wa, bias,
                                                       &ya, strides, dil, pl, pr));
    else
        TRY(dnnl_dilated_deconvolution_forward_desc_init(&fwd, dnnl_forward_training,
                                                         dnnl_deconvolution_direct, &xa, &wa,
                                                         bias, &ya, strides, dil, pl, pr));
    dnnl_primitive_desc_t fpd = NULL;
    TRY(dnnl_primitive_desc_create(&fpd, &fwd, attr, eng, NULL));
    if (dir == ZT_DP_FWD) {
        m->pd = fpd;
    } else {
        m->hint_pd = fpd;
        if (dir == ZT_DP_BWD_DATA && !tr)
            TRY(dnnl_dilated_convolution_backward_data_desc_init(
                &bwd, dnnl_convolution_direct, &xa, &wa, &ya, strides, dil, pl, pr));
        else if (dir == ZT_DP_BWD_DATA)
            TRY(dnnl_dilated_deconvolution_backward_data_desc_init(
                &bwd, dnnl_deconvolution_direct, &xa, &wa, &ya, strides, dil, pl, pr));
        else if (!tr)
            TRY(dnnl_dilated_convolution_backward_weights_desc_init(
                &bwd, dnnl_convolution_direct, &xa, &wa, bias, &ya, strides, dil, pl, pr));
        else
            TRY(dnnl_dilated_deconvolution_backward_weights_desc_init(
                &bwd, dnnl_deconvolution_direct, &xa, &wa, bias, &ya, strides, dil, pl, pr));
        TRY(dnnl_primitive_desc_create(&m->pd, &bwd, attr, eng, fpd));
    }
    TRY(dnnl_primitive_create(&m->prim, m->pd));

    switch (dir) {
    case ZT_DP_FWD:
        TRY(arg_init(m, eng, accumulate, DNNL_ARG_SRC, 0, &x_md));
        TRY(arg_init(m, eng, accumulate, DNNL_ARG_WEIGHTS, 0, &w_md));
        if (bias) TRY(arg_init(m, eng, accumulate, DNNL_ARG_BIAS, 0, &b_md));
        TRY(arg_init(m, eng, accumulate, DNNL_ARG_DST, 1, &y_md));
        break;
    case ZT_DP_BWD_DATA:
        TRY(arg_init(m, eng, accumulate, DNNL_ARG_DIFF_DST, 0, &y_md));
        TRY(arg_init(m, eng, accumulate, DNNL_ARG_WEIGHTS, 0, &w_md));
        TRY(arg_init(m, eng, accumulate, DNNL_ARG_DIFF_SRC, 1, &x_md));
        break;
    default:
        TRY(arg_init(m, eng, accumulate, DNNL_ARG_SRC, 0, &x_md));
        TRY(arg_init(m, eng, accumulate, DNNL_ARG_DIFF_DST, 0, &y_md));
        TRY(arg_init(m, eng, accumulate, DNNL_ARG_DIFF_WEIGHTS, 1, &w_md));
        if (bias) TRY(arg_init(m, eng, accumulate, DNNL_ARG_DIFF_BIAS, 1, &b_md));
        break;
    }
    const dnnl_memory_desc_t *smd =
        dnnl_primitive_desc_query_md(m->pd, dnnl_query_scratchpad_md, 0);
    size_t ssize = smd ? dnnl_memory_desc_get_size(smd) : 0;
    if (ssize) {
        TRY(dnnl_memory_create(&m->scratch, smd, eng, DNNL_MEMORY_NONE));
        m->scratch_off = m->ws_need;
        m->ws_need += zt_dp_align64(ssize);
    }
fail:
    if (attr) dnnl_primitive_attr_destroy(attr);
    return st;
}

void zt_dp_free(struct zt_dp *m)
{
    for (int i = 0; i < m->nargs; i++) {
        struct zt_dp_arg *a = &m->args[i];
        if (a->prim && a->prim != a->user) dnnl_memory_destroy(a->prim);
        if (a->user) dnnl_memory_destroy(a->user);
        if (a->reorder) dnnl_primitive_destroy(a->reorder);
    }
    if (m->scratch) dnnl_memory_destroy(m->scratch);
    if (m->prim) dnnl_primitive_destroy(m->prim);
    if (m->pd) dnnl_primitive_desc_destroy(m->pd);
    if (m->hint_pd) dnnl_primitive_desc_destroy(m->hint_pd);
    memset(m, 0, sizeof *m);
}

dnnl_status_t zt_dp_exec(struct zt_dp *m, dnnl_stream_t s, char *ws, void *const *ptr,
                         void *const *alt, unsigned skip_in, int skip_out, int *late)
{
    dnnl_exec_arg_t xa[ZT_DP_MAX_ARGS + 1];
    int nx = 0;
    dnnl_status_t st = dnnl_success;
    *late = 0;
    for (int i = 0; i < m->nargs && st == dnnl_success; i++) {
        struct zt_dp_arg *a = &m->args[i];
        st = dnnl_memory_set_data_handle(a->user, ptr[i]);
        if (st == dnnl_success && a->prim != a->user)
            st = dnnl_memory_set_data_handle(a->prim, alt && alt[i] ? alt[i] : ws + a->ws_off);
        xa[nx++] = (dnnl_exec_arg_t){a->dnnl_arg, a->prim};
    }
    if (st == dnnl_success && m->scratch) {
        st = dnnl_memory_set_data_handle(m->scratch, ws + m->scratch_off);
        xa[nx++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, m->scratch};
    }
    for (int i = 0; i < m->nargs && st == dnnl_success; i++) {
        struct zt_dp_arg *a = &m->args[i];
        if (a->output || !a->reorder || (skip_in >> i & 1u)) continue;
        dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, a->user}, {DNNL_ARG_TO, a->prim}};
        st = dnnl_primitive_execute(a->reorder, s, 2, ra);
    }
    if (st == dnnl_success) st = dnnl_primitive_execute(m->prim, s, nx, xa);
    if (st == dnnl_success) st = dnnl_stream_wait(s);
    if (st != dnnl_success) return st;
    for (int i = 0; i < m->nargs && st == dnnl_success && !skip_out; i++) {
        struct zt_dp_arg *a = &m->args[i];
        if (!a->output || !a->reorder) continue;
        dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, a->prim}, {DNNL_ARG_TO, a->user}};
        st = dnnl_primitive_execute(a->reorder, s, 2, ra);
    }
    if (st == dnnl_success) st = dnnl_stream_wait(s);
    if (st != dnnl_success) *late = 1;
    return st;
}
