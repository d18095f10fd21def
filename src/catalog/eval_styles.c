/* eval_styles.c: search quality per query style (eval_styles.h). */
#include "eval_styles.h"
#include "../data/embedset.h"
#include "../data/pairs.h"
#include "../util/hash.h"
#include "../util/progress.h"
#include "../util/rng.h"
#include "index.h"
#include "store.h"
#include "../data/dataset.h"
#include "../util/zt.h"

#include <math.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const char *const style_names[ZT_EVAL_NSTYLES] = {"edges", "doodle", "photo", "trace",
                                                         "drawn"};

int zt_eval_style_parse(const char *s, enum zt_eval_style *out)
{
    for (int i = 0; i < ZT_EVAL_NSTYLES; i++)
        if (s && !strcasecmp(s, style_names[i])) {
            *out = (enum zt_eval_style)i;
            return ZT_OK;
        }
    zt_seterr("style '%s': expected edges, doodle, photo, trace or drawn", s ? s : "");
    return ZT_EINVAL;
}

const char *zt_eval_style_name(enum zt_eval_style s)
{
    return (unsigned)s < ZT_EVAL_NSTYLES ? style_names[s] : "?";
}

/* Has the style's query a product of the catalogue to find (recall, mAP)?
 * Photo and trace leave their own out; drawings people made have none. */
static int finds_own(int st)
{
    return st != ZT_EVAL_PHOTO && st != ZT_EVAL_TRACE && st != ZT_EVAL_DRAWN;
}

#define QUERY_SIZE 256 /* a doodle's canvas, as the page's */
#define RANK_DEPTH 100 /* the source product is looked for in this many results */

/* Item i's source photo as a shopper uploads a second shot of it: cropped
 * (not padded: a phone frames the garment with its background) by a random
 * zoom 1..1.25 and place, mirrored half the time, another light, at most
 * UPLOAD_SIDE px. */
#define UPLOAD_SIDE 512
static int phone_shot(const struct zt_embedset *set, int i, uint64_t seed, struct zt_image *out)
{
    struct zt_image im = {0}, crop = {0};
    struct zt_rng r;
    zt_rng_seed(&r, seed);
    int rc = zt_image_load(set->it[i].path, 3, NULL, &im);
    if (rc) return rc;
    float zoom = 1 + 0.25f * zt_rng_uniform(&r);
    int cw = (int)(im.w / zoom), ch = (int)(im.h / zoom);
    int cx = (int)((im.w - cw) * zt_rng_uniform(&r)), cy = (int)((im.h - ch) * zt_rng_uniform(&r));
    int flip = zt_rng_uniform(&r) < 0.5f;
    float gain = 0.85f + 0.3f * zt_rng_uniform(&r), bias = (zt_rng_uniform(&r) - 0.5f) * 25;
    float s = (float)UPLOAD_SIDE / (float)ZT_MAX(cw, ch);
    if ((rc = zt_image_crop(&im, cx, cy, cw, ch, &crop))) goto out;
    if (s < 1) rc = zt_image_resize(&crop, ZT_MAX(1, (int)(cw * s)), ZT_MAX(1, (int)(ch * s)), out);
    else rc = zt_image_clone(&crop, out);
    if (rc) goto out;
    for (int y = 0; y < out->h; y++) {
        uint8_t *row = out->px + (size_t)y * out->w * 3;
        for (int x = 0; flip && x < out->w / 2; x++)
            for (int c = 0; c < 3; c++) {
                uint8_t t = row[3 * x + c];
                row[3 * x + c] = row[3 * (out->w - 1 - x) + c];
                row[3 * (out->w - 1 - x) + c] = t;
            }
        for (int k = 0; k < out->w * 3; k++) {
            float v = row[k] * gain + bias;
            row[k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
        }
    }
out:
    zt_image_free(&im);
    zt_image_free(&crop);
    return rc;
}

/* That shot traced as the page's upload does, lines drawn as the page's. */
static int trace_query(const struct zt_embedset *set, int i, uint64_t seed, struct zt_image *lines,
                       struct zt_image *hints)
{
    struct zt_image shot = {0};
    struct zt_pair pair = {0};
    int rc = phone_shot(set, i, seed, &shot);
    if (!rc) rc = zt_pair_trace(&shot, QUERY_SIZE, ZT_EDGE_XDOG, NULL, seed, &pair);
    if (!rc) rc = zt_edges_dilate(&pair.edges, QUERY_SIZE / 256.0f);
    if (!rc) rc = zt_hints_layer(&pair.hint_rgb, &pair.hint_mask, hints);
    if (!rc) *lines = pair.edges, pair.edges = (struct zt_image){0};
    zt_pair_deinit(&pair);
    zt_image_free(&shot);
    return rc;
}

/* One query's lines + hints (drawing styles) or photo, by style. */
static int make_query(const struct zt_embedset *set, int i, enum zt_eval_style style,
                      uint64_t seed, struct zt_image *a, struct zt_image *b)
{
    if (style == ZT_EVAL_PHOTO) return phone_shot(set, i, seed, a);
    if (style == ZT_EVAL_TRACE) return trace_query(set, i, seed, a, b);
    return zt_embedset_drawing(set, i, style == ZT_EVAL_DOODLE ? ZT_STYLE_DOODLE : ZT_STYLE_EDGES,
                               QUERY_SIZE, seed, a, b);
}

/* --- the contact sheet --- */

#define SHEET_TILE 112
#define SHEET_EDGE 4 /* frame width */
#define SHEET_HITS 5
#define SHEET_COLS (2 + SHEET_HITS) /* photo, query, products */

/* im letterboxed on white into tile (row, col), framed in rgb; no image:
 * a grey tile. Column 0, the source photo, is left out of a sheet without. */
static void sheet_tile(struct zt_style_sheet *sh, int row, int col, const struct zt_image *im,
                       const uint8_t rgb[3])
{
    if (sh->no_photo && !col--) return;
    int x0 = col * SHEET_TILE, y0 = row * SHEET_TILE, W = sh->im.w;
    for (int y = 0; y < SHEET_TILE; y++)
        for (int x = 0; x < SHEET_TILE; x++)
            memcpy(sh->im.px + 3 * ((size_t)(y0 + y) * W + x0 + x), rgb, 3);
    struct zt_image rgb3 = {0}, box = {0};
    static const uint8_t white[3] = {255, 255, 255};
    if (im && !zt_image_convert(im, 3, &rgb3) &&
        !zt_image_letterbox(&rgb3, SHEET_TILE - 2 * SHEET_EDGE, white, &box, NULL, NULL, NULL, NULL))
        zt_image_paste(&sh->im, &box, x0 + SHEET_EDGE, y0 + SHEET_EDGE);
    zt_image_free(&rgb3);
    zt_image_free(&box);
}

/* The query as the search saw it: a photo, or lines with the hint layer
 * (RGBA, or RGB where not white) painted over them. */
static int query_picture(const struct zt_image *a, const struct zt_image *b, struct zt_image *out)
{
    int rc = zt_image_convert(a, 3, out);
    if (rc || !b || !b->px || b->w != a->w || b->h != a->h || b->c < 3) return rc;
    for (size_t i = 0; i < (size_t)a->w * a->h; i++) {
        const uint8_t *h = b->px + (size_t)b->c * i;
        float al = b->c == 4 ? h[3] / 255.0f : (h[0] & h[1] & h[2]) == 255 ? 0 : 1;
        for (int c = 0; c < 3; c++)
            out->px[3 * i + c] = (uint8_t)(out->px[3 * i + c] * (1 - al) + h[c] * al + 0.5f);
    }
    return ZT_OK;
}

/* One row: the photo the query was made from (grey frame), the query,
 * framed green when its class was understood, and its best products, green
 * when of the query's class. */
static void sheet_row(struct zt_style_sheet *sh, struct zt_store *s, const struct zt_image *photo,
                      const struct zt_image *a, const struct zt_image *b,
                      const struct zt_search_result *res, int cls, int understood)
{
    static const uint8_t green[3] = {40, 170, 60}, red[3] = {210, 40, 40}, grey[3] = {200, 200, 200};
    struct zt_image q = {0};
    int row = sh->rows++;
    sh->style_rows++;
    sheet_tile(sh, row, 0, photo, grey);
    sheet_tile(sh, row, 1, query_picture(a, b, &q) ? NULL : &q, understood ? green : red);
    zt_image_free(&q);
    for (int h = 0; h < SHEET_HITS; h++) {
        struct zt_image th = {0};
        uint8_t *data = NULL;
        size_t len = 0;
        int have = h < res->n &&
                   !zt_store_media_get(s, res->hits[h].p.id, ZT_MEDIA_THUMB, &data, &len) &&
                   !zt_image_decode(data, len, 3, NULL, &th);
        free(data);
        sheet_tile(sh, row, 2 + h, have ? &th : NULL,
                   h >= res->n ? grey : zt_class_of_product(&res->hits[h].p) == cls ? green : red);
        zt_image_free(&th);
    }
}

static void add(struct zt_eval_cell *c, int rank, double catp, int understood, int offered)
{
    c->n++;
    c->r1 += rank == 1;
    c->r10 += rank >= 1 && rank <= 10;
    c->map += rank >= 1 ? 1.0 / rank : 0;
    c->catp10 += catp;
    c->understood += understood;
    c->offered += offered;
}

static void finish(struct zt_eval_cell *c)
{
    if (!c->n) return;
    c->r1 /= c->n, c->r10 /= c->n, c->map /= c->n, c->catp10 /= c->n, c->understood /= c->n;
    c->offered /= c->n;
}

void zt_eval_calibration_add(struct zt_eval_calibration *c, float confidence, int right)
{
    int b = ZT_CLAMP((int)(confidence * ZT_EVAL_CAL_BINS), 0, ZT_EVAL_CAL_BINS - 1);
    c->n[b]++;
    c->conf[b] += confidence;
    c->right[b] += right != 0;
}

double zt_eval_calibration_ece(const struct zt_eval_calibration *c, int *named, double *mean_conf,
                               double *accuracy)
{
    int all = 0, right = 0;
    double conf = 0, ece = 0;
    for (int b = 0; b < ZT_EVAL_CAL_BINS; b++) all += c->n[b], right += c->right[b], conf += c->conf[b];
    for (int b = 0; b < ZT_EVAL_CAL_BINS && all; b++)
        if (c->n[b]) ece += fabs(c->conf[b] / c->n[b] - (double)c->right[b] / c->n[b]) * c->n[b] / all;
    if (named) *named = all;
    if (mean_conf) *mean_conf = all ? conf / all : 0;
    if (accuracy) *accuracy = all ? (double)right / all : 0;
    return ece;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One query, searched twice (mode 0: its class given; 1: Automatic) and
 * added to out; own: its source product's id (NULL: none), left out of the
 * ranking when own_left_out; *ms: the Automatic search's time. */
static int measure(struct zt_searcher *sr, struct zt_store *s, const struct zt_image *a,
                   const struct zt_image *b, int is_photo, int cls, const char *own,
                   int own_left_out, int agreed, const struct zt_search_weights *w,
                   struct zt_style_sheet *sheet, const struct zt_image *sheet_photo, int take_row,
                   struct zt_style_result *out, double *ms)
{
    int rc = ZT_OK;
    for (int mode = 0; mode < 2 && !rc; mode++) {
        struct zt_search_req rq = {.filter = ZT_INDEX_FILTER_ANY, .limit = RANK_DEPTH, .weights = w};
        if (is_photo) rq.q.photo = a;
        else rq.q.drawing = a, rq.q.hints = b;
        if (mode == 0) rq.filter.group_mask = UINT64_C(1) << cls;
        struct zt_search_result res;
        double t0 = zt_now();
        if ((rc = zt_search_run(sr, s, &rq, &res))) break;
        if (mode == 1) *ms = zt_now() - t0;
        int rank = 0, same = 0, seen = 0;
        for (int h = 0; h < res.n; h++) {
            if (own && !strcmp(res.hits[h].p.id, own)) {
                if (own_left_out) continue; /* not in a shopper's catalogue */
                if (!rank) rank = seen + 1;
            }
            if (seen < 10) same += zt_class_of_product(&res.hits[h].p) == cls;
            seen++;
        }
        double catp = same / 10.0;
        int und = res.understood.known && res.understood.cls == cls;
        if (mode == 1 && sheet && sheet->style_rows < sheet->per_style && sheet->rows < sheet->cap &&
            (sheet->wrong_only ? !und : take_row))
            sheet_row(sheet, s, sheet_photo, a, is_photo ? NULL : b, &res, cls, und);
        int ucls = res.understood.known && res.understood.cls >= 0 ? res.understood.cls
                                                                    : ZT_CLASS_COUNT;
        if (mode == 1) out->confusion[cls][ucls]++;
        if (mode == 1 && ucls < ZT_CLASS_COUNT)
            zt_eval_calibration_add(&out->cal, res.understood.confidence, und);
        int offered = zt_understood_offers(&res.understood, cls);
        add(&out->all[mode], rank, catp, und, offered);
        if (agreed) add(&out->agreed[mode], rank, catp, und, offered);
        add(&out->per_class[mode][cls], rank, catp, und, offered);
        zt_search_result_free(&res);
    }
    return rc;
}

/* The cells averaged and the times' percentiles, once every query ran. */
static void summarise(struct zt_style_result *out, double *times, int nq)
{
    for (int m = 0; m < 2; m++) {
        finish(&out->all[m]);
        finish(&out->agreed[m]);
        for (int c = 0; c < ZT_CLASS_COUNT; c++) finish(&out->per_class[m][c]);
    }
    if (nq) {
        qsort(times, (size_t)nq, sizeof *times, cmp_double);
        out->p50_ms = 1e3 * times[nq / 2];
        out->p95_ms = 1e3 * times[(nq * 95) / 100 < nq ? (nq * 95) / 100 : nq - 1];
    }
}

int zt_style_eval_one(struct zt_searcher *sr, struct zt_store *s, const struct zt_embedset *set,
                      enum zt_eval_style style, int start, int stride, uint64_t seed,
                      const struct zt_search_weights *w, FILE *progress,
                      struct zt_style_sheet *sheet, struct zt_style_result *out)
{
    memset(out, 0, sizeof *out);
    if (style == ZT_EVAL_DRAWN) {
        zt_seterr("eval-search: drawn queries come from a folder (zt_style_eval_drawn)");
        return ZT_EINVAL;
    }
    int own_left_out = !finds_own(style); /* photo, trace */
    int nq = 0, total = set->n > start ? (set->n - start + stride - 1) / stride : 0, rc = ZT_OK;
    double *times = malloc(sizeof(double) * (size_t)(total ? total : 1));
    if (!times) return ZT_ENOMEM;
    struct zt_progress *pg = zt_progress_new(zt_eval_style_name(style), total, progress, 0);
    for (int i = start; i < set->n; i += stride) {
        int cls = zt_class_parse(set->classes[set->it[i].cls]);
        if (cls < 0) continue;
        struct zt_image a = {0}, b = {0};
        uint64_t qseed = zt_mix64(seed ^ zt_hash_str(set->it[i].id));
        if ((rc = make_query(set, i, style, qseed, &a, &b))) {
            zt_adderr("query %s", set->it[i].id);
            break;
        }
        int agreed = style == ZT_EVAL_DOODLE && set->it[i].mask_agree >= ZT_EVAL_MASK_AGREE;
        rc = measure(sr, s, &a, &b, style == ZT_EVAL_PHOTO, cls, set->it[i].id, own_left_out, agreed, w,
                     sheet, &set->it[i].photo,
                     sheet && nq % ZT_MAX(1, total / ZT_MAX(1, sheet->per_style)) == 0, out,
                     &times[nq]);
        zt_image_free(&a);
        zt_image_free(&b);
        if (rc) break;
        nq++;
        zt_progress_add(pg, 1);
    }
    if (!rc) summarise(out, times, nq);
    zt_progress_free(pg);
    free(times);
    return rc;
}

/* Do paths a and b name one folder (however written)? */
static int same_folder(const char *a, const char *b)
{
    struct stat sa, sb;
    return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int zt_style_eval_drawn(struct zt_searcher *sr, struct zt_store *s, const char *const *dirs,
                        int ndirs, const struct zt_search_weights *w, FILE *progress,
                        struct zt_style_sheet *sheet, struct zt_style_result *out, int *queries)
{
    memset(out, 0, sizeof *out);
    *queries = 0;
    if (ndirs < 1 || ndirs > ZT_EVAL_MAX_DRAWINGS) {
        zt_seterr("eval-search: 1 to %d folders of drawings, not %d", ZT_EVAL_MAX_DRAWINGS, ndirs);
        return ZT_EINVAL;
    }
    /* every folder opened and counted first: a bad one fails before any search */
    struct zt_dataset d[ZT_EVAL_MAX_DRAWINGS] = {{0}};
    double *times = NULL;
    int rc = ZT_OK, nq = 0, usable = 0, opened = 0;
    for (; opened < ndirs && !rc; opened++) {
        for (int k = 0; k < opened; k++) /* a set pooled twice would count twice */
            if (same_folder(dirs[k], dirs[opened])) {
                zt_seterr("%s: given twice (as %s)", dirs[opened], dirs[k]);
                rc = ZT_EINVAL;
            }
        if (rc || (rc = zt_dataset_open(dirs[opened], NULL, 0, &d[opened]))) break;
        int u = 0;
        for (int i = 0; i < d[opened].n; i++) u += zt_class_parse(d[opened].s[i].cls) >= 0;
        if (!u) {
            zt_seterr("%s: no drawing in a folder named after a class (t-shirt, pants, hat, ...)",
                      dirs[opened]);
            rc = ZT_EINVAL;
        }
        usable += u;
    }
    if (!rc && !(times = malloc(sizeof(double) * (size_t)usable))) rc = ZT_ENOMEM;
    struct zt_progress *pg = rc ? NULL : zt_progress_new("drawn", usable, progress, 0);
    for (int k = 0; k < ndirs && !rc; k++)
        for (int i = 0; i < d[k].n && !rc; i++) {
            int cls = zt_class_parse(d[k].s[i].cls);
            if (cls < 0) continue;
            struct zt_image a = {0};
            if ((rc = zt_image_load(d[k].s[i].path, 3, NULL, &a))) {
                zt_adderr("drawing %s", d[k].s[i].path);
                break;
            }
            /* the drawing as the page sends it: lines and colour in one image */
            rc = measure(sr, s, &a, NULL, 0, cls, NULL, 0, 0, w, sheet, NULL,
                         sheet && nq % ZT_MAX(1, usable / ZT_MAX(1, sheet->per_style)) == 0, out,
                         &times[nq]);
            zt_image_free(&a);
            if (rc) break;
            nq++;
            zt_progress_add(pg, 1);
        }
    if (!rc) summarise(out, times, nq);
    *queries = nq;
    zt_progress_free(pg);
    free(times);
    for (int k = 0; k < opened; k++) zt_dataset_deinit(&d[k]);
    return rc;
}

void zt_style_eval_opts_default(struct zt_style_eval_opts *o, const char *data,
                                const char *catalog)
{
    memset(o, 0, sizeof *o);
    o->data = data;
    o->so.catalog = catalog;
    o->split = ZT_SPLIT_VAL;
    o->stride = 1;
    o->seed = 1;
    zt_search_weights_default(&o->w);
}

int zt_style_eval_run(const struct zt_style_eval_opts *o, struct zt_style_eval *out)
{
    struct zt_embedset set = {0};
    struct zt_store *s = NULL;
    struct zt_searcher *sr = NULL;
    struct zt_searcher_opts so = o->so;
    struct zt_style_sheet sheet = {0};
    memset(out, 0, sizeof *out);
    so.threads = o->threads;
    int rc;
    if ((rc = zt_store_open(so.catalog, &s)) || (rc = zt_searcher_open(&so, s, &sr))) goto out;
    out->products = zt_index_count(zt_searcher_index(sr));
    if (!out->products) {
        zt_seterr("%s: the catalogue is empty", so.catalog);
        rc = ZT_EINVAL;
        goto out;
    }
    snprintf(out->embed, sizeof out->embed, "%s", zt_searcher_embed_model(sr));
    snprintf(out->generator, sizeof out->generator, "%s", zt_searcher_model(sr));
    unsigned want = o->styles ? o->styles
                              : ((1u << ZT_EVAL_FROM_PHOTOS) - 1) | (o->ndrawings ? 1u << ZT_EVAL_DRAWN : 0);
    if ((want & (1u << ZT_EVAL_DRAWN)) && !o->ndrawings) {
        zt_seterr("eval-search: style drawn needs a folder of drawings");
        rc = ZT_EINVAL;
        goto out;
    }
    int nstyles = 0;
    for (int st = 0; st < ZT_EVAL_NSTYLES; st++) nstyles += (want >> st) & 1;
    if (o->sheet) {
        sheet.per_style = o->sheet_rows > 0 ? o->sheet_rows : 24;
        sheet.cap = sheet.per_style * nstyles;
        sheet.wrong_only = o->sheet_wrong;
        sheet.no_photo = want == 1u << ZT_EVAL_DRAWN; /* drawings made by people have none */
        if ((rc = zt_image_new(&sheet.im, (SHEET_COLS - sheet.no_photo) * SHEET_TILE,
                               sheet.cap * SHEET_TILE, 3)))
            goto out;
    }
    /* the drawings first: a bad folder fails before the photos' long run */
    int loaded = 0;
    for (int k = 0; k < ZT_EVAL_NSTYLES && !rc; k++) {
        int st = k ? k - 1 : ZT_EVAL_DRAWN;
        if (!((want >> st) & 1)) continue;
        sheet.style_rows = 0;
        if (st != ZT_EVAL_DRAWN && !loaded++) {
            if ((rc = zt_embedset_load(o->data, o->split, NULL, 0, o->threads, !o->border_masks,
                                       NULL, NULL, &set)))
                break;
            out->queries = set.n > o->start ? (set.n - o->start + o->stride - 1) / o->stride : 0;
        }
        if (st == ZT_EVAL_DRAWN)
            rc = zt_style_eval_drawn(sr, s, o->drawings, o->ndrawings, &o->w, o->progress,
                                     o->sheet ? &sheet : NULL, &out->r[st], &out->drawn_queries);
        else
            rc = zt_style_eval_one(sr, s, &set, (enum zt_eval_style)st, o->start, o->stride, o->seed,
                                   &o->w, o->progress, o->sheet ? &sheet : NULL, &out->r[st]);
        out->ran[st] = !rc;
    }
    if (!rc && o->sheet && sheet.rows) { /* the rows drawn, no empty ones */
        sheet.im.h = sheet.rows * SHEET_TILE;
        if ((rc = zt_image_save(&sheet.im, o->sheet))) zt_adderr("contact sheet");
    }
    out->sheet_rows = sheet.rows;
out:
    zt_image_free(&sheet.im);
    zt_embedset_deinit(&set);
    zt_searcher_close(sr);
    zt_store_close(s);
    return rc;
}

/* The report's rows: 0 all, 1 the doodles whose masks agree (only when
 * some, not all, do: with the border heuristic's masks all agree), then one
 * per class; NULL for a row with no query. */
#define ROWS (2 + ZT_CLASS_COUNT)
static const struct zt_eval_cell *row_cell(const struct zt_style_result *r, int row, int m,
                                           const char **name)
{
    const struct zt_eval_cell *x = row == 0   ? &r->all[m]
                                   : row == 1 ? &r->agreed[m]
                                              : &r->per_class[m][row - 2];
    *name = row == 0 ? "all" : row == 1 ? "masks agree" : zt_class_name(row - 2);
    if (row == 1 && r->agreed[m].n == r->all[m].n) return NULL;
    return x->n ? x : NULL;
}

json_t *zt_style_eval_json(const struct zt_style_eval_opts *o, const struct zt_style_eval *e)
{
    json_t *top = json_pack("{s:s, s:i, s:I, s:o, s:o}", "split",
                            o->split == ZT_SPLIT_VAL ? "validation" : "train", "queries",
                            e->queries, "products", (json_int_t)e->products, "embedding",
                            e->embed[0] ? json_string(e->embed) : json_null(), "generator",
                            e->generator[0] ? json_string(e->generator) : json_null());
    if (top && e->ran[ZT_EVAL_DRAWN]) {
        json_object_set_new(top, "drawn_queries", json_integer(e->drawn_queries));
        json_t *dirs = json_array();
        for (int k = 0; dirs && k < o->ndrawings; k++) json_array_append_new(dirs, json_string(o->drawings[k]));
        json_object_set_new(top, "drawings", dirs);
    }
    for (int st = 0; top && st < ZT_EVAL_NSTYLES; st++) {
        if (!e->ran[st]) continue;
        const struct zt_style_result *r = &e->r[st];
        json_t *js = json_pack("{s:f, s:f}", "p50_ms", r->p50_ms, "p95_ms", r->p95_ms);
        for (int row = 0; js && row < ROWS; row++)
            for (int m = 0; m < 2; m++) {
                const char *cn;
                const struct zt_eval_cell *x = row_cell(r, row, m, &cn);
                if (!x) continue;
                char key[64];
                snprintf(key, sizeof key, "%s/%s", row == 1 ? "masks_agree" : cn,
                         m ? "automatic" : "given");
                int own = finds_own(st); /* else no recall: null */
                json_object_set_new(js, key, json_pack("{s:i, s:o, s:o, s:o, s:f, s:f, s:f}", "n", x->n,
                                                       "r1", own ? json_real(x->r1) : json_null(),
                                                       "r10", own ? json_real(x->r10) : json_null(),
                                                       "map", own ? json_real(x->map) : json_null(),
                                                       "catp10", x->catp10, "understood",
                                                       x->understood, "offered", x->offered));
            }
        json_t *cm = json_object();
        for (int c = 0; js && cm && c < ZT_CLASS_COUNT; c++) {
            if (!r->per_class[1][c].n) continue;
            json_t *row = json_object();
            for (int u = 0; row && u <= ZT_CLASS_COUNT; u++)
                if (r->confusion[c][u])
                    json_object_set_new(row, u < ZT_CLASS_COUNT ? zt_class_name(u) : "nothing",
                                        json_integer(r->confusion[c][u]));
            json_object_set_new(cm, zt_class_name(c), row);
        }
        json_object_set_new(js, "understood_as", cm);
        int named;
        double mc, acc, ece = zt_eval_calibration_ece(&r->cal, &named, &mc, &acc);
        json_object_set_new(js, "calibration",
                            json_pack("{s:i, s:f, s:f, s:f}", "named", named, "mean_confidence",
                                      mc, "accuracy", acc, "ece", ece));
        json_object_set_new(top, zt_eval_style_name(st), js);
    }
    return top;
}

/* Rows: the queries' classes; columns: what they were understood as
 * (only classes that occur either way). */
static void write_confusion(const struct zt_style_result *r, FILE *f)
{
    int used[ZT_CLASS_COUNT + 1] = {0};
    for (int c = 0; c < ZT_CLASS_COUNT; c++)
        for (int u = 0; u <= ZT_CLASS_COUNT; u++)
            if (r->confusion[c][u]) used[c] = used[u] = 1;
    fprintf(f, "understood as (rows: the query's class, Automatic)\n%-12s", "");
    for (int u = 0; u <= ZT_CLASS_COUNT; u++)
        if (used[u]) fprintf(f, " %7.7s", u < ZT_CLASS_COUNT ? zt_class_name(u) : "nothing");
    fputc('\n', f);
    for (int c = 0; c < ZT_CLASS_COUNT; c++) {
        if (!r->per_class[1][c].n) continue;
        fprintf(f, "%-12s", zt_class_name(c));
        for (int u = 0; u <= ZT_CLASS_COUNT; u++)
            if (used[u]) fprintf(f, " %7d", r->confusion[c][u]);
        fputc('\n', f);
    }
}

void zt_style_eval_write_text(const struct zt_style_eval_opts *o, const struct zt_style_eval *e,
                              FILE *f)
{
    fprintf(f, "eval-search --style: ");
    int photos = 0;
    for (int st = 0; st < ZT_EVAL_FROM_PHOTOS; st++) photos |= e->ran[st];
    if (photos) fprintf(f, "%d %s photos", e->queries, o->split == ZT_SPLIT_VAL ? "validation" : "train");
    if (e->ran[ZT_EVAL_DRAWN]) {
        fprintf(f, "%s%d drawings from ", photos ? " and " : "", e->drawn_queries);
        for (int k = 0; k < o->ndrawings; k++) fprintf(f, "%s%s", k ? ", " : "", o->drawings[k]);
    }
    fprintf(f, " as queries against %lld products; embedding: %s; generator: %s\n",
            (long long)e->products, e->embed[0] ? e->embed : "none",
            e->generator[0] ? e->generator : "none");
    for (int st = 0; st < ZT_EVAL_NSTYLES; st++) {
        if (!e->ran[st]) continue;
        const struct zt_style_result *r = &e->r[st];
        fprintf(f, "\nstyle %s (search p50 %.1f ms, p95 %.1f ms, Automatic)\n"
                   "%-12s %-10s %5s %6s %6s %6s %8s %10s %8s\n",
                zt_eval_style_name(st), r->p50_ms, r->p95_ms, "class", "category", "n", "R@1",
                "R@10", "mAP", "catP@10", "understood", "offered");
        for (int row = 0; row < ROWS; row++)
            for (int m = 0; m < 2; m++) {
                const char *cn, *mn = m ? "automatic" : "given";
                const struct zt_eval_cell *x = row_cell(r, row, m, &cn);
                if (!x) continue;
                if (!finds_own(st))
                    fprintf(f, "%-12s %-10s %5d %6s %6s %6s %8.3f %10.3f %8.3f\n", cn, mn, x->n,
                            "-", "-", "-", x->catp10, x->understood, x->offered);
                else
                    fprintf(f, "%-12s %-10s %5d %6.3f %6.3f %6.3f %8.3f %10.3f %8.3f\n", cn, mn,
                            x->n, x->r1, x->r10, x->map, x->catp10, x->understood, x->offered);
            }
        write_confusion(r, f);
        int named;
        double mc, acc, ece = zt_eval_calibration_ece(&r->cal, &named, &mc, &acc);
        if (named)
            fprintf(f, "confidence of the named class (Automatic, %d queries): mean %.3f, right "
                       "%.3f, calibration error (ECE, %d bins) %.3f\n",
                    named, mc, acc, ZT_EVAL_CAL_BINS, ece);
    }
}
