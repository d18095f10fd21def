/* eval.c: generator files on the validation split (see eval.h): measure
 * every model with and without hints, pick the best, fill its
 * cross-category matrix and sample rows; then JSON, text or HTML. */
#include "eval.h"
#include "dataset.h"
#include "doodle.h"
#include "pairs.h"
#include "trainset.h"
#include "../nn/generator.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/progress.h"

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXM ZT_EVAL_MAX_MODELS
#define MAXCAT ZT_EVAL_MAX_CAT
_Static_assert(ZT_EVAL_MAX_CAT >= ZT_MAX_CATEGORIES, "a category map fits the matrix");

static void agg_add(struct zt_eval_agg *a, double sg, double sr, double ps, double l1)
{
    a->ssim_g += sg, a->ssim_rgb += sr, a->psnr += ps, a->l1 += l1;
    a->n++;
}

static double mean(double sum, long n) { return sum / (double)n; }

double zt_eval_score(const struct zt_eval_agg *a)
{
    if (!a->n) return -1e9;
    double hde = a->nde ? a->de / a->nde : 0, gde = a->ngde ? a->gde / a->ngde : 0;
    return a->ssim_g / a->n - 0.01 * (gde + hde);
}

/* One validation image: the drawing planes for a protocol (nhints 0: none):
 * its edge map and simulated hints, or an aligned doodle (dabs when hinted). */
static int make_planes(const struct zt_train_item *it, int nhints, int doodle, uint64_t seed,
                       struct zt_image *ed, struct zt_image *hr, struct zt_image *hm)
{
    if (doodle) {
        struct zt_doodle_params dp;
        zt_doodle_params_default(&dp);
        dp.aligned = 1;
        dp.p_no_hints = nhints <= 0 ? 1.0f : 0.0f;
        int rc = zt_doodle_planes(&it->photo, &it->mask, &it->edges, &dp, it->photo.w,
                                  zt_pair_seed(seed, it->id), ed, hr, hm, NULL);
        if (rc == ZT_OK || rc == ZT_ENOMEM) return rc;
        zt_clearerr(); /* no doodle of this mask: its edge map, as a shopper's tracing */
    }
    int rc = zt_image_clone(&it->edges, ed);
    if (rc) return rc;
    if (nhints <= 0) {
        rc = zt_image_new(hr, it->photo.w, it->photo.h, 3);
        return rc ? rc : zt_image_new(hm, it->photo.w, it->photo.h, 1);
    }
    struct zt_hint_params hp;
    zt_hint_params_default(&hp);
    hp.fixed_count = nhints;
    return zt_hints_simulate(&it->photo, &it->mask, &hp, zt_pair_seed(seed, it->id), hr, hm, NULL);
}

static double l1_of(const struct zt_image *a, const struct zt_image *b)
{
    size_t n = (size_t)a->w * a->h * a->c;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += fabs((double)a->px[i] - b->px[i]);
    return s / n / 255.0;
}

static void delta_e(const struct zt_image *gen, const struct zt_image *hr,
                    const struct zt_image *hm, struct zt_eval_agg *a)
{
    size_t n = (size_t)gen->w * gen->h;
    for (size_t i = 0; i < n; i++) {
        if (hm->px[i] < 128) continue;
        float l1[3], l2[3];
        zt_rgb_to_lab(hr->px + 3 * i, l1);
        zt_rgb_to_lab(gen->px + 3 * i, l2);
        a->de += zt_delta_e2000(l1, l2);
        a->nde++;
    }
}

/* Garment colour error of one image: mean Lab over the mask, generated vs
 * photo; nothing when the mask is empty. */
static void garment_de(const struct zt_image *gen, const struct zt_image *photo,
                       const struct zt_image *mask, struct zt_eval_agg *a)
{
    size_t n = (size_t)gen->w * gen->h, k = 0;
    double sg[3] = {0}, sp[3] = {0};
    for (size_t i = 0; i < n; i++) {
        if (mask->px[i] < 128) continue;
        float lg[3], lp[3];
        zt_rgb_to_lab(gen->px + 3 * i, lg);
        zt_rgb_to_lab(photo->px + 3 * i, lp);
        for (int c = 0; c < 3; c++) sg[c] += lg[c], sp[c] += lp[c];
        k++;
    }
    if (!k) return;
    float mg[3], mp[3];
    for (int c = 0; c < 3; c++) mg[c] = (float)(sg[c] / k), mp[c] = (float)(sp[c] / k);
    a->gde += zt_delta_e2000(mg, mp);
    a->ngde++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int zt_eval_list_run(const char *run, char **paths, int max, int *n)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/ckpt", run);
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        zt_seterr("%s: no checkpoint folder (is it a `ztyle train` run?)", dir);
        return ZT_ENOTFOUND;
    }
    struct dirent *e;
    int rc = ZT_OK;
    while (!rc && (e = readdir(d)) && *n < max) {
        if (strncmp(e->d_name, "gen_epoch_", 10) || !strstr(e->d_name, ".safetensors")) continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (!(paths[*n] = strdup(p))) rc = ZT_ENOMEM;
        else (*n)++;
    }
    closedir(d);
    qsort(paths, (size_t)*n, sizeof *paths, cmp_str);
    if (!rc && *n == 0) {
        zt_seterr("%s: no gen_epoch_*.safetensors yet", dir);
        rc = ZT_ENOTFOUND;
    }
    if (rc == ZT_ENOMEM) zt_seterr("out of memory");
    return rc;
}

static int epoch_of(const char *path)
{
    const char *p = strstr(path, "gen_epoch_");
    return p ? atoi(p + 10) : 0;
}

/* What one run works on: the validation set, the picked images, the files. */
struct ctx {
    const struct zt_eval_opts *o;
    struct zt_trainset ts;
    int *pick;
    char **paths;
    int np;
};

/* Generates image it under hint protocol nhints with model g conditioned on
 * cat (-1: none). ed/hr/hm/gen: new images the caller frees (also on failure). */
static int generate(const struct ctx *c, struct zt_generator *g, const struct zt_train_item *it,
                    int nhints, int cat, struct zt_image *ed, struct zt_image *hr,
                    struct zt_image *hm, struct zt_image *gen)
{
    int rc = make_planes(it, nhints, c->o->doodles, c->o->seed, ed, hr, hm);
    if (!rc) rc = zt_generator_run(g, ed, hr, hm, cat, ZT_GEN_EVAL, 0, gen);
    if (rc) zt_adderr("%s", it->id);
    return rc;
}

/* A model of the evaluation, raw (the network alone) when asked. */
static struct zt_generator *open_gen(const struct ctx *c, const char *path)
{
    struct zt_generator *g = zt_generator_open(path, c->o->threads);
    if (g) zt_generator_set_raw(g, c->o->raw);
    return g;
}

/* Both protocols of every picked image through model m. */
static int measure_model(const struct ctx *c, struct zt_eval *e, int m, int size,
                         const char *const *cats, struct zt_progress *prog)
{
    struct zt_eval_model *r = &e->m[m];
    snprintf(r->path, sizeof r->path, "%s", c->paths[m]);
    r->epoch = epoch_of(c->paths[m]);
    struct zt_generator *g = open_gen(c, c->paths[m]);
    if (!g) return ZT_EFORMAT;
    const struct zt_gen_info *gi = zt_generator_info(g);
    int rc = ZT_OK;
    if (gi->size != size) {
        zt_seterr("%s: %d px, but %s is %d px; evaluate them separately", c->paths[m], gi->size,
                  c->paths[0], size);
        rc = ZT_EINVAL;
    }
    for (int k = 0; k < e->nval && !rc; k++) {
        const struct zt_train_item *it = &c->ts.it[c->pick[k]];
        int cat = gi->ncat ? zt_generator_category(g, cats[it->category]) : -1;
        for (int proto = 0; proto < 2 && !rc; proto++) {
            struct zt_image ed = {0}, hr = {0}, hm = {0}, gen = {0};
            double sg = 0, sr = 0, ps = 0;
            rc = generate(c, g, it, proto == 0 ? e->hints : 0, cat, &ed, &hr, &hm, &gen);
            if (!rc) rc = zt_ssim(&gen, &it->photo, ZT_SSIM_UNIFORM7, 1, &sg);
            if (!rc) rc = zt_ssim(&gen, &it->photo, ZT_SSIM_UNIFORM7, 0, &sr);
            if (!rc) rc = zt_psnr(&gen, &it->photo, &ps);
            if (!rc) {
                if (isinf(ps)) ps = 100;
                double l1 = l1_of(&gen, &it->photo);
                agg_add(&r->a[proto][it->category], sg, sr, ps, l1);
                agg_add(&r->a[proto][MAXCAT], sg, sr, ps, l1);
                if (proto == 0) {
                    delta_e(&gen, &hr, &hm, &r->a[0][it->category]);
                    delta_e(&gen, &hr, &hm, &r->a[0][MAXCAT]);
                }
                garment_de(&gen, &it->photo, &it->mask, &r->a[proto][it->category]);
                garment_de(&gen, &it->photo, &it->mask, &r->a[proto][MAXCAT]);
            }
            zt_image_free(&ed);
            zt_image_free(&hr);
            zt_image_free(&hm);
            zt_image_free(&gen);
        }
        zt_progress_add(prog, 1);
    }
    zt_generator_close(g);
    return rc;
}

/* One sample row of the report: drawing (hints over the edges) | generated
 * | original. */
/* The sheet: SAMPLE_PER_CAT rows of drawing | generated | original per
 * category, in columns of SAMPLE_ROWS rows, a gap of s/8 between columns. */
enum { SAMPLE_PER_CAT = 4, SAMPLE_ROWS = 8 };

static void sample_row(struct zt_image *grid, int n, const struct zt_train_item *it,
                       const struct zt_image *ed, const struct zt_image *hr,
                       const struct zt_image *hm, const struct zt_image *gen)
{
    int s = gen->w, x0 = (n / SAMPLE_ROWS) * (3 * s + s / 8), y0 = (n % SAMPLE_ROWS) * s;
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++) {
            size_t i = (size_t)y * s + x;
            uint8_t *d = zt_image_at(grid, x0 + x, y0 + y);
            if (hm->px[i] >= 128) memcpy(d, hr->px + 3 * i, 3);
            else memset(d, ed->px[i], 3);
        }
    zt_image_paste(grid, gen, x0 + s, y0);
    zt_image_paste(grid, &it->photo, x0 + 2 * s, y0);
}

/* SAMPLE_PER_CAT sample rows per category from the best model g. */
static int fill_samples(const struct ctx *c, struct zt_eval *e, struct zt_generator *g,
                        const struct zt_gen_info *gb)
{
    int want = SAMPLE_PER_CAT * e->ncat, s = gb->size,
        cols = (want + SAMPLE_ROWS - 1) / SAMPLE_ROWS, rows = want < SAMPLE_ROWS ? want : SAMPLE_ROWS;
    int per[MAXCAT] = {0}, rc = zt_image_new(&e->samples, cols * 3 * s + (cols - 1) * (s / 8), rows * s, 3);
    if (rc) return rc;
    uint8_t white[3] = {255, 255, 255};
    zt_image_fill(&e->samples, white);
    for (int k = 0; k < e->nval && e->nsamples < want && !rc; k++) {
        const struct zt_train_item *it = &c->ts.it[c->pick[k]];
        if (per[it->category] >= SAMPLE_PER_CAT) continue;
        struct zt_image ed = {0}, hr = {0}, hm = {0}, gen = {0};
        int cat = gb->ncat ? zt_generator_category(g, e->cat[it->category]) : -1;
        rc = generate(c, g, it, e->hints, cat, &ed, &hr, &hm, &gen);
        if (!rc) {
            sample_row(&e->samples, e->nsamples++, it, &ed, &hr, &hm, &gen);
            per[it->category]++;
        }
        zt_image_free(&ed);
        zt_image_free(&hr);
        zt_image_free(&hm);
        zt_image_free(&gen);
    }
    return rc;
}

/* The matrix column col: every picked image through model gm (conditioned
 * on category col unless by_model). */
static int fill_column(const struct ctx *c, struct zt_eval *e, struct zt_generator *gm, int col)
{
    int rc = ZT_OK;
    for (int k = 0; k < e->nval && !rc; k++) {
        const struct zt_train_item *it = &c->ts.it[c->pick[k]];
        struct zt_image ed = {0}, hr = {0}, hm = {0}, gen = {0};
        double sg = 0;
        rc = generate(c, gm, it, e->hints, e->by_model ? -1 : col, &ed, &hr, &hm, &gen);
        if (!rc) rc = zt_ssim(&gen, &it->photo, ZT_SSIM_UNIFORM7, 1, &sg);
        if (!rc) {
            e->mat[it->category][col] += sg;
            e->matn[it->category][col]++;
        }
        zt_image_free(&ed);
        zt_image_free(&hr);
        zt_image_free(&hm);
        zt_image_free(&gen);
    }
    return rc;
}

/* Cross-category matrix (and samples) of the best model: true category x
 * conditioning category, or x model for several unconditioned files. */
static int fill_matrix(const struct ctx *c, struct zt_eval *e)
{
    struct zt_generator *g = open_gen(c, c->paths[e->best]);
    if (!g) return ZT_EFORMAT;
    const struct zt_gen_info *gb = zt_generator_info(g);
    /* several category-conditioned files (epochs of one run) still get the
     * conditioning matrix of the best one */
    e->by_model = !c->o->run && c->np > 1 && gb->ncat == 0;
    e->ncol = e->by_model ? c->np : gb->ncat;
    for (int i = 0; i < e->ncol; i++) {
        const char *name = e->by_model ? strrchr(c->paths[i], '/') : gb->cat[i];
        name = !e->by_model ? name : name ? name + 1 : c->paths[i];
        snprintf(e->colname[i], sizeof e->colname[i], "%s", name);
    }
    int rc = c->o->samples ? fill_samples(c, e, g, gb) : ZT_OK;
    for (int col = 0; col < e->ncol && !rc; col++) {
        struct zt_generator *gm = e->by_model ? open_gen(c, c->paths[col]) : g;
        if (!gm) {
            rc = ZT_EFORMAT;
            break;
        }
        if (e->by_model && zt_generator_info(gm)->category[0]) /* a per-category model's name */
            snprintf(e->colname[col], sizeof e->colname[col], "%s", zt_generator_info(gm)->category);
        rc = fill_column(c, e, gm, col);
        if (gm != g) zt_generator_close(gm);
    }
    zt_generator_close(g);
    return rc;
}

/* The validation set at the first model's size and edge method. */
static int prepare(struct ctx *c, const struct zt_catmap *map, const struct zt_dataset *ds,
                   int *size)
{
    struct zt_generator *g = zt_generator_open(c->paths[0], c->o->threads);
    if (!g) return ZT_EFORMAT;
    struct zt_gen_info gi0 = *zt_generator_info(g);
    zt_generator_close(g);
    enum zt_edge_method em = ZT_EDGE_XDOG;
    if (gi0.edge_method[0] && zt_edge_method_parse(gi0.edge_method, &em)) em = ZT_EDGE_XDOG;
    *size = gi0.size;
    zt_warn_emit(&c->o->note, "preparing validation drawings (%d px, %s edges)", gi0.size,
                 zt_edge_method_name(em));
    return zt_trainset_build(ds, ZT_SPLIT_VAL, map->ncat, gi0.size, gi0.size, em,
                             c->o->white_bg ? ZT_TRAINSET_WHITE_BG : 0u,
                             c->o->threads, NULL, &c->o->warn, &c->ts, NULL);
}

int zt_eval_run(const struct zt_eval_opts *o, struct zt_eval **out)
{
    *out = NULL;
    struct ctx c = {.o = o};
    struct zt_catmap map = {0};
    struct zt_dataset ds = {0};
    struct zt_eval *e = calloc(1, sizeof *e);
    char *owned[MAXM];
    int nowned = 0, size = 0, rc = ZT_ENOMEM;
    if (!e) goto fail;
    e->hints = o->hints;
    e->seed = o->seed;
    e->doodles = o->doodles;
    e->white_bg = o->white_bg;
    e->raw = o->raw;
    if (o->run) {
        if ((rc = zt_eval_list_run(o->run, owned, MAXM, &nowned))) goto fail;
        c.paths = owned, c.np = nowned;
    } else {
        c.paths = (char **)o->models, c.np = ZT_MIN(o->nmodels, MAXM);
    }
    if (c.np <= 0) {
        zt_seterr("no generator to evaluate");
        rc = ZT_EINVAL;
        goto fail;
    }
    if ((rc = zt_catmap_default(&map)) || (rc = zt_dataset_open(o->data, &map, 10, &ds))) goto fail;
    e->ncat = map.ncat;
    for (int k = 0; k < map.ncat; k++) snprintf(e->cat[k], sizeof e->cat[k], "%s", map.cat[k]);
    rc = ZT_ENOMEM;
    if (!(e->m = calloc((size_t)c.np, sizeof *e->m))) goto fail;
    e->nmodels = c.np;
    if ((rc = prepare(&c, &map, &ds, &size))) goto fail;
    e->nval = o->limit > 0 && o->limit < c.ts.n ? (int)o->limit : c.ts.n;
    rc = ZT_ENOMEM;
    if (!(c.pick = malloc(sizeof(int) * ((size_t)e->nval + 1)))) goto fail;
    /* with a limit, spread the picks over the categories (the set is sorted) */
    for (int i = 0; i < e->nval; i++) c.pick[i] = (int)((int64_t)i * c.ts.n / e->nval);
    const char *cats[MAXCAT];
    for (int k = 0; k < map.ncat; k++) cats[k] = e->cat[k];
    struct zt_progress *prog = zt_progress_new("eval", (int64_t)c.np * e->nval, o->progress,
                                               !o->progress);
    rc = ZT_OK;
    for (int m = 0; m < c.np && !rc; m++) {
        rc = measure_model(&c, e, m, size, cats, prog);
        if (!rc && zt_eval_score(&e->m[m].a[0][MAXCAT]) > zt_eval_score(&e->m[e->best].a[0][MAXCAT]))
            e->best = m;
    }
    zt_progress_free(prog);
    if (!rc) rc = fill_matrix(&c, e);
fail:
    if (rc == ZT_ENOMEM && !*zt_errmsg()) zt_seterr("out of memory");
    for (int i = 0; i < nowned; i++) free(owned[i]);
    free(c.pick);
    zt_trainset_deinit(&c.ts);
    zt_dataset_deinit(&ds);
    zt_catmap_deinit(&map);
    if (rc) zt_eval_free(e);
    else *out = e;
    return rc;
}

void zt_eval_free(struct zt_eval *e)
{
    if (!e) return;
    free(e->m);
    zt_image_free(&e->samples);
    free(e);
}

/* --- reports --- */

static json_t *agg_json(const struct zt_eval_agg *a)
{
    double n = a->n ? (double)a->n : 1;
    return json_pack("{s:f, s:f, s:f, s:f, s:i, s:o, s:o}", "ssim_gray", a->ssim_g / n,
                     "ssim_rgb", a->ssim_rgb / n, "psnr", a->psnr / n, "l1", a->l1 / n, "n",
                     (int)a->n, "delta_e", a->nde ? json_real(a->de / a->nde) : json_null(),
                     "garment_delta_e", a->ngde ? json_real(a->gde / a->ngde) : json_null());
}

static double cell(const struct zt_eval *e, int k, int col)
{
    return e->matn[k][col] ? e->mat[k][col] / e->matn[k][col] : NAN;
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

json_t *zt_eval_json(const struct zt_eval *e)
{
    json_t *out = json_object(), *models = json_array();
    for (int m = 0; m < e->nmodels; m++) {
        const struct zt_eval_model *r = &e->m[m];
        json_t *cats_h = json_object(), *cats_n = json_object();
        for (int k = 0; k < e->ncat; k++) {
            if (r->a[0][k].n) json_object_set_new(cats_h, e->cat[k], agg_json(&r->a[0][k]));
            if (r->a[1][k].n) json_object_set_new(cats_n, e->cat[k], agg_json(&r->a[1][k]));
        }
        json_array_append_new(
            models, json_pack("{s:s, s:i, s:f, s:o, s:o, s:o, s:o}", "model", r->path, "epoch",
                              r->epoch, "score", zt_eval_score(&r->a[0][MAXCAT]), "hints",
                              agg_json(&r->a[0][MAXCAT]), "no_hints",
                              agg_json(&r->a[1][MAXCAT]), "hints_by_category", cats_h,
                              "no_hints_by_category", cats_n));
    }
    json_object_set_new(out, "models", models);
    json_object_set_new(out, "best", json_pack("{s:s, s:i}", "model", e->m[e->best].path, "epoch",
                                               e->m[e->best].epoch));
    json_t *mj = json_object(), *cols = json_array();
    for (int col = 0; col < e->ncol; col++) json_array_append_new(cols, json_string(e->colname[col]));
    for (int k = 0; k < e->ncat; k++) {
        json_t *row = json_array();
        for (int col = 0; col < e->ncol; col++)
            json_array_append_new(row, e->matn[k][col] ? json_real(cell(e, k, col)) : json_null());
        json_object_set_new(mj, e->cat[k], row);
    }
    json_object_set_new(out, "matrix", json_pack("{s:s, s:o, s:o}", "columns",
                                                 e->by_model ? "model" : "conditioning category",
                                                 "names", cols, "ssim_gray_by_true_category", mj));
    json_object_set_new(out, "protocol",
                        json_pack("{s:i, s:I, s:i, s:s, s:s, s:s, s:s, s:s}", "hints", e->hints,
                                  "seed", (json_int_t)e->seed, "images", e->nval, "ssim",
                                  "skimage defaults, 7x7 uniform, data_range 255", "drawings",
                                  e->doodles ? "doodles" : "edges", "targets",
                                  e->white_bg ? "white background" : "photos", "output",
                                  e->raw ? "network" : "network + hint recolour", "score",
                                  "ssim_gray - 0.01 * (garment_delta_e + delta_e), with hints"));
    return out;
}

void zt_eval_write_text(const struct zt_eval *e, FILE *f)
{
    fprintf(f, "validation: %d images, %s, %d hints (seed %lld), targets: %s, output: %s; SSIM "
               "skimage default; dE CIEDE2000 (hint: under each hint pixel; garment: mean colour)\n",
            e->nval, e->doodles ? "aligned doodles with dabs" : "edge maps", e->hints,
            (long long)e->seed, e->white_bg ? "photos on white where the mask is trusted" : "photos",
            e->raw ? "the network alone" : "network + hint recolour");
    fprintf(f, "%-36s %5s %8s %8s %8s %6s %6s %7s %8s %7s %7s\n", "model", "epoch", "ssim_g+h",
            "ssim_rgb+h", "psnr+h", "dE+h", "gdE+h", "ssim_g-h", "gdE-h", "score", "");
    for (int m = 0; m < e->nmodels; m++) {
        const struct zt_eval_agg *h = &e->m[m].a[0][MAXCAT], *n0 = &e->m[m].a[1][MAXCAT];
        fprintf(f, "%-36.36s %5d %8.4f %8.4f %8.2f %6.2f %6.2f %7.4f %8.2f %7.4f%s\n",
                base_name(e->m[m].path), e->m[m].epoch, mean(h->ssim_g, h->n),
                mean(h->ssim_rgb, h->n), mean(h->psnr, h->n), h->nde ? h->de / h->nde : 0.0,
                h->ngde ? h->gde / h->ngde : 0.0, mean(n0->ssim_g, n0->n),
                n0->ngde ? n0->gde / n0->ngde : 0.0, zt_eval_score(h),
                m == e->best ? "  <- best" : "");
    }
    fprintf(f, "best: the highest score = gray SSIM with hints - 0.01 x (garment dE + hint dE)\n");
    fprintf(f, "per category (best model: gray SSIM with / without hints, hint dE, garment dE "
               "with / without hints):\n");
    for (int k = 0; k < e->ncat; k++) {
        const struct zt_eval_agg *h = &e->m[e->best].a[0][k], *n0 = &e->m[e->best].a[1][k];
        if (h->n)
            fprintf(f, "  %-8s n=%-4ld %.4f / %.4f  dE %5.2f  gdE %5.2f / %5.2f\n", e->cat[k],
                    h->n, mean(h->ssim_g, h->n), mean(n0->ssim_g, n0->n),
                    h->nde ? h->de / h->nde : 0.0, h->ngde ? h->gde / h->ngde : 0.0,
                    n0->ngde ? n0->gde / n0->ngde : 0.0);
    }
    fprintf(f, "cross-category matrix (gray SSIM, rows: true category, columns: %s):\n         ",
            e->by_model ? "model" : "conditioning");
    for (int col = 0; col < e->ncol; col++) fprintf(f, " %8.8s", e->colname[col]);
    fprintf(f, "\n");
    for (int k = 0; k < e->ncat; k++) {
        fprintf(f, "  %-6s ", e->cat[k]);
        for (int col = 0; col < e->ncol; col++) /* "-": no validation photo of the category */
            if (e->matn[k][col]) fprintf(f, " %8.4f", cell(e, k, col));
            else fprintf(f, " %8s", "-");
        fprintf(f, "\n");
    }
}

/* SSIM vs epoch, with and without hints, as an inline SVG chart. */
static int html_chart(const struct zt_eval *e, struct zt_buf *b)
{
    double ylo = 1, yhi = 0;
    int np = e->nmodels, rc;
    for (int m = 0; m < np; m++)
        for (int p = 0; p < 2; p++) {
            double s = mean(e->m[m].a[p][MAXCAT].ssim_g, e->m[m].a[p][MAXCAT].n);
            ylo = fmin(ylo, s), yhi = fmax(yhi, s);
        }
    if (yhi - ylo < 0.02) yhi = ylo + 0.02;
    rc = zt_buf_puts(b, "<svg width=640 height=300 style='background:#fafafa'>");
    for (int p = 0; p < 2 && !rc; p++) {
        rc = zt_buf_printf(b, "<polyline fill=none stroke='%s' stroke-width=2 points='",
                           p ? "#999" : "#c33");
        for (int m = 0; m < np && !rc; m++) {
            double s = mean(e->m[m].a[p][MAXCAT].ssim_g, e->m[m].a[p][MAXCAT].n);
            rc = zt_buf_printf(b, "%.1f,%.1f ", 40 + 580.0 * (np > 1 ? (double)m / (np - 1) : 0.5),
                               270 - 240 * (s - ylo) / (yhi - ylo));
        }
        if (!rc) rc = zt_buf_puts(b, "'/>");
    }
    if (!rc)
        rc = zt_buf_printf(b, "<text x=40 y=290>epoch %d</text><text x=560 y=290>epoch %d</text>"
                              "<text x=2 y=30>%.3f</text><text x=2 y=270>%.3f</text>"
                              "<text x=460 y=20 fill='#c33'>with hints</text>"
                              "<text x=460 y=36 fill='#999'>no hints</text></svg>",
                           e->m[0].epoch, e->m[np - 1].epoch, yhi, ylo);
    return rc;
}

static int html_tables(const struct zt_eval *e, struct zt_buf *b)
{
    int rc = zt_buf_puts(b, "<h2>Checkpoints</h2><table><tr><th>model<th>epoch<th>score"
                            "<th>SSIM gray<th>SSIM RGB<th>PSNR<th>L1<th>hint &Delta;E"
                            "<th>garment &Delta;E<th>SSIM gray, no hints"
                            "<th>garment &Delta;E, no hints</tr>");
    for (int m = 0; m < e->nmodels && !rc; m++) {
        const struct zt_eval_agg *h = &e->m[m].a[0][MAXCAT], *n0 = &e->m[m].a[1][MAXCAT];
        rc = zt_buf_printf(b, "<tr%s><td>", m == e->best ? " style='font-weight:bold'" : "");
        if (!rc) rc = zt_buf_html_escape(b, e->m[m].path);
        if (!rc)
            rc = zt_buf_printf(b, "<td>%d<td>%.4f<td>%.4f<td>%.4f<td>%.2f<td>%.4f<td>%.2f<td>%.2f"
                                  "<td>%.4f<td>%.2f</tr>",
                               e->m[m].epoch, zt_eval_score(h), mean(h->ssim_g, h->n),
                               mean(h->ssim_rgb, h->n), mean(h->psnr, h->n), mean(h->l1, h->n),
                               h->nde ? h->de / h->nde : 0.0, h->ngde ? h->gde / h->ngde : 0.0,
                               mean(n0->ssim_g, n0->n), n0->ngde ? n0->gde / n0->ngde : 0.0);
    }
    if (!rc)
        rc = zt_buf_printf(b, "</table><h2>Cross-category matrix</h2><table><tr><th>true \\ %s",
                           e->by_model ? "model" : "conditioning");
    for (int col = 0; col < e->ncol && !rc; col++) {
        rc = zt_buf_puts(b, "<th>");
        if (!rc) rc = zt_buf_html_escape(b, e->colname[col]);
    }
    for (int k = 0; k < e->ncat && !rc; k++) {
        rc = zt_buf_printf(b, "<tr><th>%s", e->cat[k]);
        for (int col = 0; col < e->ncol && !rc; col++)
            rc = e->matn[k][col] ? zt_buf_printf(b, "<td>%.4f", cell(e, k, col))
                                 : zt_buf_puts(b, "<td>-");
    }
    return rc;
}

int zt_eval_write_html(const struct zt_eval *e, const char *path)
{
    char dir[4096], png[4200];
    snprintf(dir, sizeof dir, "%s_files", path);
    snprintf(png, sizeof png, "%s/samples.png", dir);
    int rc = zt_mkdirs(dir);
    if (!rc && e->nsamples) rc = zt_image_save(&e->samples, png);
    if (rc) return rc;
    struct zt_buf b = {0};
    rc = zt_buf_printf(&b, "<!doctype html><meta charset=utf-8><title>Ztyle eval</title>"
                           "<style>body{font:14px sans-serif;margin:2em}td,th{padding:2px 8px;"
                           "text-align:right}</style><h1>Ztyle generator evaluation</h1>"
                           "<p>%d validation images as %s on %s, %s, %d hints (seed %lld) or none; "
                           "gray SSIM as scikit-image's default; &Delta;E is CIEDE2000 (hint: "
                           "under each hint pixel; garment: mean Lab in the garment mask); "
                           "score = SSIM gray &minus; 0.01 &times; (garment + hint &Delta;E), "
                           "with hints, picks the best (bold).</p>",
                       e->nval, e->doodles ? "doodles" : "edge maps",
                       e->white_bg ? "white" : "the photo's background",
                       e->raw ? "the network alone" : "network + hint recolour", e->hints,
                       (long long)e->seed);
    if (!rc) rc = html_chart(e, &b);
    if (!rc) rc = html_tables(e, &b);
    if (!rc) rc = zt_buf_puts(&b, "</table><h2>Samples (best model): drawing | generated | "
                                  "original</h2><img src='");
    if (!rc) rc = zt_buf_html_escape(&b, base_name(path));
    if (!rc) rc = zt_buf_puts(&b, "_files/samples.png'>\n");
    if (!rc) rc = zt_file_write_atomic(path, b.data, b.len);
    else zt_seterr("out of memory");
    zt_buf_deinit(&b);
    return rc;
}
