/* cmd_eval.c: `ztyle eval`: generator checkpoints on the validation split.
 * Per checkpoint: SSIM (gray, RGB), PSNR and L1 between generated and
 * original images, with a fixed-seed hint protocol and with no hints, per
 * category and overall; colour fidelity (CIEDE2000 between each hint's
 * colour and the generated pixel there); the best epoch by SSIM; a
 * cross-category matrix; an HTML report with an SSIM-vs-epoch chart and
 * sample grids. */
#include "cli.h"
#include "../data/dataset.h"
#include "../data/pairs.h"
#include "../data/trainset.h"
#include "../img/image.h"
#include "../nn/generator.h"
#include "../util/buf.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define CMD "eval"
#define MAXM 256
#define MAXCAT 16

static void help(void)
{
    printf("usage: ztyle eval (--run RUNDIR | --model M [--model M2 ...]) [options]\n\n"
           "Evaluates generator files on the validation split: for every checkpoint of a\n"
           "training run (RUNDIR/ckpt/gen_epoch_*.safetensors) or the given models, SSIM\n"
           "(scikit-image defaults: 7x7 window; gray and RGB), PSNR and L1 between the\n"
           "generated and the original photo, with N fixed-seed hints per drawing and with\n"
           "none, per category and overall; colour fidelity as the mean CIEDE2000 between\n"
           "each hint's colour and the generated pixel under it. Picks the best epoch by\n"
           "gray SSIM with hints, and for it fills a cross-category matrix (true category x\n"
           "conditioning category, or x model when several per-category models are given).\n\n"
           "options:\n"
           "  --data SRC       dataset (default $ZTYLE_DATASET, else ../shared/datasets/clothing-small)\n"
           "  --hints N        hints per drawing in the hinted protocol (default 10)\n"
           "  --seed S         hint seed (default 1)\n"
           "  --limit N        at most N validation images (default all)\n"
           "  --report F.html  write an HTML report (images beside it in F_files/)\n"
           "  --json           print one JSON object\n"
           "  --threads N      threads (default: $ZTYLE_THREADS, else all cores)\n");
}

struct agg {
    double ssim_g, ssim_rgb, psnr, l1, de;
    long n, nde;
};

static void agg_add(struct agg *a, double sg, double sr, double ps, double l1)
{
    a->ssim_g += sg, a->ssim_rgb += sr, a->psnr += ps, a->l1 += l1;
    a->n++;
}

static json_t *agg_json(const struct agg *a)
{
    double n = a->n ? (double)a->n : 1;
    return json_pack("{s:f, s:f, s:f, s:f, s:i, s:o}", "ssim_gray", a->ssim_g / n, "ssim_rgb",
                     a->ssim_rgb / n, "psnr", a->psnr / n, "l1", a->l1 / n, "n", (int)a->n,
                     "delta_e", a->nde ? json_real(a->de / a->nde) : json_null());
}

struct model_result {
    char path[1024];
    int epoch;
    /* [0] hinted, [1] no hints; per category (MAXCAT) and overall (MAXCAT) */
    struct agg a[2][MAXCAT + 1];
};

/* One val image: planes for a protocol. */
static int make_planes(const struct zt_train_item *it, int nhints, uint64_t seed,
                       struct zt_image *hr, struct zt_image *hm)
{
    if (nhints <= 0) {
        int rc = zt_image_new(hr, it->photo.w, it->photo.h, 3);
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
                    const struct zt_image *hm, struct agg *a)
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

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Generator files of a run, sorted by name (= by epoch). */
static int list_run(const char *run, char **paths, int *n)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/ckpt", run);
    DIR *d = opendir(dir);
    if (!d) {
        zt_seterr("%s: no checkpoint folder (is it a `ztyle train` run?)", dir);
        return ZT_ENOTFOUND;
    }
    struct dirent *e;
    *n = 0;
    while ((e = readdir(d)) && *n < MAXM) {
        if (strncmp(e->d_name, "gen_epoch_", 10) || !strstr(e->d_name, ".safetensors")) continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        paths[(*n)++] = strdup(p);
    }
    closedir(d);
    qsort(paths, (size_t)*n, sizeof *paths, cmp_str);
    if (*n == 0) {
        zt_seterr("%s: no gen_epoch_*.safetensors yet", dir);
        return ZT_ENOTFOUND;
    }
    return ZT_OK;
}

static int epoch_of(const char *path)
{
    const char *p = strstr(path, "gen_epoch_");
    return p ? atoi(p + 10) : 0;
}

/* Writes one sample row (drawing | generated | original) of the report. */
static void sample_row(struct zt_image *grid, int row, const struct zt_train_item *it,
                       const struct zt_image *hr, const struct zt_image *hm,
                       const struct zt_image *gen)
{
    int s = gen->w;
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++) {
            size_t i = (size_t)y * s + x;
            uint8_t *d = zt_image_at(grid, x, row * s + y);
            if (hm->px[i] >= 128) memcpy(d, hr->px + 3 * i, 3);
            else memset(d, it->edges.px[i], 3);
        }
    zt_image_paste(grid, gen, s, row * s);
    zt_image_paste(grid, &it->photo, 2 * s, row * s);
}

static void html_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

int cmd_eval(int argc, char **argv)
{
    static const struct option lo[] = {
        {"run", required_argument, 0, 'r'},    {"model", required_argument, 0, 'm'},
        {"data", required_argument, 0, 'd'},   {"hints", required_argument, 0, 'H'},
        {"seed", required_argument, 0, 'S'},   {"limit", required_argument, 0, 'l'},
        {"report", required_argument, 0, 'R'}, {"json", no_argument, 0, 'j'},
        {"threads", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *run = NULL, *data = zt_dataset_default(), *report = NULL, *threads = NULL;
    char *paths[MAXM];
    int np = 0, as_json = 0;
    long nh = 10, seed = 1, limit = -1, v;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'h':
            for (int i = 0; i < np; i++) free(paths[i]);
            help();
            return ZT_EXIT_OK;
        case 'r': run = optarg; break;
        case 'm':
            if (np < MAXM) paths[np++] = strdup(optarg);
            break;
        case 'd': data = optarg; break;
        case 'H':
            if (cli_parse_int(optarg, 1, 1000, &nh)) goto usage_hints;
            break;
        case 'S':
            if (cli_parse_int(optarg, 0, 2147483647L, &seed)) goto usage_seed;
            break;
        case 'l':
            if (cli_parse_int(optarg, 1, 100000000L, &limit)) goto usage_limit;
            break;
        case 'R': report = optarg; break;
        case 'j': as_json = 1; break;
        case 't':
            if (cli_parse_int(optarg, 1, 1024, &v)) goto usage_threads;
            threads = optarg;
            break;
        default:
            for (int i = 0; i < np; i++) free(paths[i]);
            return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc || (!run && !np) || (run && np)) {
        for (int i = 0; i < np; i++) free(paths[i]);
        return cli_usage_error(CMD, "give --run RUNDIR or one or more --model M");
    }
    if (0) {
    usage_hints:
        for (int i = 0; i < np; i++) free(paths[i]);
        return cli_usage_error(CMD, "--hints: '%s' is not in 1..1000", optarg);
    usage_seed:
        for (int i = 0; i < np; i++) free(paths[i]);
        return cli_usage_error(CMD, "--seed: '%s' is not a non-negative integer", optarg);
    usage_limit:
        for (int i = 0; i < np; i++) free(paths[i]);
        return cli_usage_error(CMD, "--limit: '%s' is not a positive integer", optarg);
    usage_threads:
        for (int i = 0; i < np; i++) free(paths[i]);
        return cli_usage_error(CMD, "--threads: '%s' is not in 1..1024", optarg);
    }
    int nth = cli_threads(threads);
    omp_set_num_threads(nth);
    int exit_code = ZT_EXIT_FAIL, rc;
    struct zt_catmap map;
    struct zt_dataset ds = {0};
    struct zt_trainset ts = {0};
    struct model_result *res = NULL;
    struct zt_generator *g = NULL;
    json_t *out = NULL;
    if (run && (rc = list_run(run, paths, &np))) {
        cli_fail(CMD, "%s", zt_errmsg());
        return ZT_EXIT_FAIL;
    }
    if ((rc = zt_catmap_default(&map))) goto fail;
    if ((rc = zt_dataset_open(data, &map, 10, &ds))) goto fail;
    res = calloc((size_t)np, sizeof *res);
    if (!res) goto fail;

    /* the first model fixes size and edge method of the validation drawings */
    if (!(g = zt_generator_open(paths[0], nth))) goto fail;
    struct zt_gen_info gi0 = *zt_generator_info(g);
    zt_generator_close(g);
    g = NULL;
    enum zt_edge_method em = ZT_EDGE_XDOG;
    if (gi0.edge_method[0] && zt_edge_method_parse(gi0.edge_method, &em)) em = ZT_EDGE_XDOG;
    const struct zt_warn warn = {cli_warn, (void *)CMD};
    fprintf(stderr, "eval: preparing validation drawings (%d px, %s edges)\n", gi0.size,
            zt_edge_method_name(em));
    if ((rc = zt_trainset_build(&ds, ZT_SPLIT_VAL, map.ncat, gi0.size, gi0.size, em, nth, NULL,
                                &warn, &ts, NULL)))
        goto fail;
    int nval = limit > 0 && limit < ts.n ? (int)limit : ts.n;
    /* with --limit, spread the picks over the categories (the set is sorted) */
    int *pick = malloc(sizeof(int) * (size_t)nval);
    if (!pick) goto fail;
    for (int i = 0; i < nval; i++) pick[i] = (int)((int64_t)i * ts.n / nval);

    struct zt_progress *prog = zt_progress_new("eval", (int64_t)np * nval, stderr, as_json);
    int best = 0;
    for (int m = 0; m < np; m++) {
        struct model_result *r = &res[m];
        snprintf(r->path, sizeof r->path, "%s", paths[m]);
        r->epoch = epoch_of(paths[m]);
        if (!(g = zt_generator_open(paths[m], nth))) {
            zt_progress_free(prog);
            free(pick);
            goto fail;
        }
        const struct zt_gen_info *gi = zt_generator_info(g);
        if (gi->size != gi0.size) {
            zt_seterr("%s: %d px, but %s is %d px; evaluate them separately", paths[m],
                      gi->size, paths[0], gi0.size);
            zt_progress_free(prog);
            free(pick);
            goto fail;
        }
        for (int k = 0; k < nval; k++) {
            const struct zt_train_item *it = &ts.it[pick[k]];
            int cat = gi->ncat ? zt_generator_category(g, map.cat[it->category]) : -1;
            for (int proto = 0; proto < 2; proto++) {
                struct zt_image hr = {0}, hm = {0}, gen = {0};
                double sg = 0, sr = 0, ps = 0;
                rc = make_planes(it, proto == 0 ? (int)nh : 0, (uint64_t)seed, &hr, &hm);
                if (!rc) rc = zt_generator_run(g, &it->edges, &hr, &hm, cat, ZT_GEN_EVAL, 0, &gen);
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
                }
                zt_image_free(&hr);
                zt_image_free(&hm);
                zt_image_free(&gen);
                if (rc) {
                    zt_progress_free(prog);
                    free(pick);
                    goto fail;
                }
            }
            zt_progress_add(prog, 1);
        }
        zt_generator_close(g);
        g = NULL;
        struct agg *b = &res[best].a[0][MAXCAT], *cur = &r->a[0][MAXCAT];
        if (cur->ssim_g / cur->n > b->ssim_g / b->n) best = m;
    }
    zt_progress_free(prog);

    /* cross-category matrix: true category x conditioning category (one
     * conditioned model) or x model (several per-category models) */
    int ncol = 0;
    char colname[MAXM][64];
    double mat[MAXCAT][MAXM] = {{0}};
    long matn[MAXCAT][MAXM] = {{0}};
    struct zt_image grid = {0};
    int nsamples = 0;
    if (!(g = zt_generator_open(paths[best], nth))) {
        free(pick);
        goto fail;
    }
    const struct zt_gen_info *gb = zt_generator_info(g);
    /* several category-conditioned files (epochs of one run) still get the
     * conditioning matrix of the best one */
    int by_model = !run && np > 1 && gb->ncat == 0;
    if (!by_model) {
        ncol = gb->ncat;
        for (int i = 0; i < ncol; i++) snprintf(colname[i], sizeof colname[i], "%s", gb->cat[i]);
    } else {
        ncol = np;
        for (int i = 0; i < np; i++) {
            const char *b = strrchr(paths[i], '/');
            snprintf(colname[i], sizeof colname[i], "%s", b ? b + 1 : paths[i]);
        }
    }
    if (report) {
        /* two samples per category from the best model */
        int per[MAXCAT] = {0};
        if (zt_image_new(&grid, 3 * gb->size, 2 * map.ncat * gb->size, 3)) {
            free(pick);
            goto fail;
        }
        uint8_t white[3] = {255, 255, 255};
        zt_image_fill(&grid, white);
        for (int k = 0; k < nval && nsamples < 2 * map.ncat; k++) {
            const struct zt_train_item *it = &ts.it[pick[k]];
            if (per[it->category] >= 2) continue;
            struct zt_image hr = {0}, hm = {0}, gen = {0};
            int cat = gb->ncat ? zt_generator_category(g, map.cat[it->category]) : -1;
            rc = make_planes(it, (int)nh, (uint64_t)seed, &hr, &hm);
            if (!rc) rc = zt_generator_run(g, &it->edges, &hr, &hm, cat, ZT_GEN_EVAL, 0, &gen);
            if (!rc) {
                sample_row(&grid, nsamples++, it, &hr, &hm, &gen);
                per[it->category]++;
            }
            zt_image_free(&hr);
            zt_image_free(&hm);
            zt_image_free(&gen);
        }
    }
    for (int col = 0; col < ncol; col++) {
        struct zt_generator *gm = g;
        if (by_model && !(gm = zt_generator_open(paths[col], nth))) {
            free(pick);
            zt_image_free(&grid);
            goto fail;
        }
        if (by_model && zt_generator_info(gm)->category[0]) /* a per-category model's name */
            snprintf(colname[col], sizeof colname[col], "%s", zt_generator_info(gm)->category);
        for (int k = 0; k < nval; k++) {
            const struct zt_train_item *it = &ts.it[pick[k]];
            struct zt_image hr = {0}, hm = {0}, gen = {0};
            double sg = 0;
            int cat = by_model ? -1 : col;
            rc = make_planes(it, (int)nh, (uint64_t)seed, &hr, &hm);
            if (!rc) rc = zt_generator_run(gm, &it->edges, &hr, &hm, cat, ZT_GEN_EVAL, 0, &gen);
            if (!rc) rc = zt_ssim(&gen, &it->photo, ZT_SSIM_UNIFORM7, 1, &sg);
            if (!rc) {
                mat[it->category][col] += sg;
                matn[it->category][col]++;
            }
            zt_image_free(&hr);
            zt_image_free(&hm);
            zt_image_free(&gen);
        }
        if (by_model) zt_generator_close(gm);
    }
    zt_generator_close(g);
    g = NULL;
    free(pick);

    /* --- output --- */
    out = json_object();
    json_t *models = json_array();
    for (int m = 0; m < np; m++) {
        json_t *cats_h = json_object(), *cats_n = json_object();
        for (int k = 0; k < map.ncat; k++) {
            if (res[m].a[0][k].n) json_object_set_new(cats_h, map.cat[k], agg_json(&res[m].a[0][k]));
            if (res[m].a[1][k].n) json_object_set_new(cats_n, map.cat[k], agg_json(&res[m].a[1][k]));
        }
        json_array_append_new(
            models, json_pack("{s:s, s:i, s:o, s:o, s:o, s:o}", "model", res[m].path, "epoch",
                              res[m].epoch, "hints", agg_json(&res[m].a[0][MAXCAT]), "no_hints",
                              agg_json(&res[m].a[1][MAXCAT]), "hints_by_category", cats_h,
                              "no_hints_by_category", cats_n));
    }
    json_object_set_new(out, "models", models);
    json_object_set_new(out, "best", json_pack("{s:s, s:i}", "model", res[best].path, "epoch",
                                               res[best].epoch));
    json_t *mj = json_object(), *cols = json_array();
    for (int col = 0; col < ncol; col++) json_array_append_new(cols, json_string(colname[col]));
    for (int k = 0; k < map.ncat; k++) {
        json_t *row = json_array();
        for (int col = 0; col < ncol; col++)
            json_array_append_new(row, matn[k][col] ? json_real(mat[k][col] / matn[k][col]) : json_null());
        json_object_set_new(mj, map.cat[k], row);
    }
    json_object_set_new(out, "matrix", json_pack("{s:s, s:o, s:o}", "columns",
                                                 by_model ? "model" : "conditioning category",
                                                 "names", cols, "ssim_gray_by_true_category", mj));
    json_object_set_new(out, "protocol",
                        json_pack("{s:i, s:I, s:i, s:s}", "hints", (int)nh, "seed",
                                  (json_int_t)seed, "images", nval, "ssim",
                                  "skimage defaults, 7x7 uniform, data_range 255"));
    if (as_json) {
        char *txt = json_dumps(out, JSON_COMPACT);
        if (txt) puts(txt);
        free(txt);
    } else {
        printf("validation: %d images, %ld hints (seed %ld); SSIM skimage default\n", nval, nh, seed);
        printf("%-44s %6s %9s %9s %8s %7s %8s %9s\n", "model", "epoch", "ssim_g+h", "ssim_rgb+h",
               "psnr+h", "l1+h", "dE+h", "ssim_g-h");
        for (int m = 0; m < np; m++) {
            struct agg *h = &res[m].a[0][MAXCAT], *n0 = &res[m].a[1][MAXCAT];
            const char *b = strrchr(res[m].path, '/');
            printf("%-44s %6d %9.4f %9.4f %8.2f %7.4f %8.2f %9.4f%s\n", b ? b + 1 : res[m].path,
                   res[m].epoch, h->ssim_g / h->n, h->ssim_rgb / h->n, h->psnr / h->n,
                   h->l1 / h->n, h->nde ? h->de / h->nde : 0.0, n0->ssim_g / n0->n,
                   m == best ? "  <- best" : "");
        }
        printf("per category (best model, gray SSIM with / without hints):\n");
        for (int k = 0; k < map.ncat; k++) {
            struct agg *h = &res[best].a[0][k], *n0 = &res[best].a[1][k];
            if (h->n) printf("  %-8s n=%-4ld %.4f / %.4f\n", map.cat[k], h->n, h->ssim_g / h->n,
                             n0->ssim_g / n0->n);
        }
        printf("cross-category matrix (gray SSIM, rows: true category, columns: %s):\n         ",
               by_model ? "model" : "conditioning");
        for (int col = 0; col < ncol; col++) printf(" %8.8s", colname[col]);
        printf("\n");
        for (int k = 0; k < map.ncat; k++) {
            printf("  %-6s ", map.cat[k]);
            for (int col = 0; col < ncol; col++)
                printf(" %8.4f", matn[k][col] ? mat[k][col] / matn[k][col] : NAN);
            printf("\n");
        }
    }
    if (report) {
        char dir[4096], png[4200];
        snprintf(dir, sizeof dir, "%s_files", report);
        snprintf(png, sizeof png, "%s/samples.png", dir);
        if (zt_mkdirs(dir) || (nsamples && zt_image_save(&grid, png))) {
            zt_image_free(&grid);
            goto fail;
        }
        zt_image_free(&grid);
        FILE *f = fopen(report, "w");
        if (!f) {
            zt_seterr("%s: cannot write", report);
            goto fail;
        }
        fprintf(f, "<!doctype html><meta charset=utf-8><title>Ztyle eval</title>"
                   "<style>body{font:14px sans-serif;margin:2em}td,th{padding:2px 8px;"
                   "text-align:right}</style><h1>Ztyle generator evaluation</h1>"
                   "<p>%d validation images, %ld hints (seed %ld) or none; gray SSIM as "
                   "scikit-image's default.</p>",
                nval, nh, seed);
        /* SSIM vs epoch chart (inline SVG) */
        double ylo = 1, yhi = 0;
        for (int m = 0; m < np; m++)
            for (int p = 0; p < 2; p++) {
                double s = res[m].a[p][MAXCAT].ssim_g / res[m].a[p][MAXCAT].n;
                ylo = fmin(ylo, s), yhi = fmax(yhi, s);
            }
        if (yhi - ylo < 0.02) yhi = ylo + 0.02;
        fprintf(f, "<svg width=640 height=300 style='background:#fafafa'>");
        for (int p = 0; p < 2; p++) {
            fprintf(f, "<polyline fill=none stroke='%s' stroke-width=2 points='",
                    p ? "#999" : "#c33");
            for (int m = 0; m < np; m++) {
                double s = res[m].a[p][MAXCAT].ssim_g / res[m].a[p][MAXCAT].n;
                fprintf(f, "%.1f,%.1f ", 40 + 580.0 * (np > 1 ? (double)m / (np - 1) : 0.5),
                        270 - 240 * (s - ylo) / (yhi - ylo));
            }
            fprintf(f, "'/>");
        }
        fprintf(f, "<text x=40 y=290>epoch %d</text><text x=560 y=290>epoch %d</text>"
                   "<text x=2 y=30>%.3f</text><text x=2 y=270>%.3f</text>"
                   "<text x=460 y=20 fill='#c33'>with hints</text>"
                   "<text x=460 y=36 fill='#999'>no hints</text></svg>",
                res[0].epoch, res[np - 1].epoch, yhi, ylo);
        fprintf(f, "<h2>Checkpoints</h2><table><tr><th>model<th>epoch<th>SSIM gray<th>SSIM "
                   "RGB<th>PSNR<th>L1<th>&Delta;E<th>SSIM gray, no hints</tr>");
        for (int m = 0; m < np; m++) {
            struct agg *h = &res[m].a[0][MAXCAT], *n0 = &res[m].a[1][MAXCAT];
            fprintf(f, "<tr%s><td>", m == best ? " style='font-weight:bold'" : "");
            html_escape(f, res[m].path);
            fprintf(f, "<td>%d<td>%.4f<td>%.4f<td>%.2f<td>%.4f<td>%.2f<td>%.4f</tr>", res[m].epoch,
                    h->ssim_g / h->n, h->ssim_rgb / h->n, h->psnr / h->n, h->l1 / h->n,
                    h->nde ? h->de / h->nde : 0.0, n0->ssim_g / n0->n);
        }
        fprintf(f, "</table><h2>Cross-category matrix</h2><table><tr><th>true \\ %s",
                by_model ? "model" : "conditioning");
        for (int col = 0; col < ncol; col++) {
            fprintf(f, "<th>");
            html_escape(f, colname[col]);
        }
        for (int k = 0; k < map.ncat; k++) {
            fprintf(f, "<tr><th>%s", map.cat[k]);
            for (int col = 0; col < ncol; col++)
                fprintf(f, "<td>%.4f", matn[k][col] ? mat[k][col] / matn[k][col] : NAN);
        }
        const char *base = strrchr(report, '/');
        fprintf(f, "</table><h2>Samples (best model): drawing | generated | original</h2>"
                   "<img src='%s_files/samples.png'>\n",
                base ? base + 1 : report);
        fclose(f);
        if (!as_json) printf("report: %s\n", report);
    }
    exit_code = ZT_EXIT_OK;
    goto done;
fail:
    cli_fail(CMD, "%s", zt_errmsg());
done:
    json_decref(out);
    zt_generator_close(g);
    free(res);
    for (int i = 0; i < np; i++) free(paths[i]);
    zt_trainset_deinit(&ts);
    zt_dataset_deinit(&ds);
    zt_catmap_deinit(&map);
    return exit_code;
}
