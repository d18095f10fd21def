/* eval.h: generator files on the validation split (`ztyle eval`). Per
 * model: SSIM (gray, RGB; scikit-image defaults), PSNR and L1 between the
 * generated and the original photo, with N fixed-seed hints per drawing
 * and with none, per category and overall; colour fidelity (mean
 * CIEDE2000 between each hint's colour and the generated pixel under it);
 * garment colour error (CIEDE2000 of the garment's mean colour); the best
 * model by a declared combination (zt_eval_score); a cross-category matrix for it;
 * sample rows for a report. One writer per output format.
 * Lives in data/ (not nn/) because it reads the dataset and builds the
 * validation set (data/trainset.h); nn/ stays below data/. */
#ifndef ZT_EVAL_H
#define ZT_EVAL_H

#include <stdint.h>
#include <stdio.h>

#include "../img/image.h"
#include "../util/zt.h"

#define ZT_EVAL_MAX_MODELS 256
#define ZT_EVAL_MAX_CAT 16

struct zt_eval_opts {
    const char *data;          /* dataset folder or CSV */
    const char *run;           /* a `ztyle train` folder: its ckpt/gen_epoch_*; or NULL */
    const char *const *models; /* else these generator files (nmodels of them) */
    int nmodels;
    int hints;                 /* hints per drawing in the hinted protocol */
    uint64_t seed;             /* hint seed */
    long limit;                /* at most this many validation images; <= 0 = all */
    int threads;
    int samples;               /* 1: render sample rows of the best model (report) */
    int doodles;               /* 1: aligned doodles (data/doodle.h) with their
                                  colour dabs instead of edge maps + simulated
                                  hints: the drawings shoppers make */
    int white_bg;              /* 1: targets on white where the mask is trusted
                                  (zt_pair_white_background), as trained with
                                  `ztyle train --background white`; 0: the photos */
    int raw;                   /* 1: the network's output alone, without the hint
                                  recolour (zt_generator_set_raw) */
    FILE *progress;            /* progress bar, or NULL */
    struct zt_warn warn;       /* photos skipped while preparing the drawings */
    struct zt_warn note;       /* what it is doing ("preparing ...") */
};

/* Sums over images; means are sum / n (delta_e: de / nde over hint pixels;
 * garment dE: gde / ngde over images whose mask holds garment pixels: the
 * CIEDE2000 between the mean Lab colour of the garment in the generated
 * image and in the photo). */
struct zt_eval_agg {
    double ssim_g, ssim_rgb, psnr, l1, de, gde;
    long n, nde, ngde;
};

/* The declared combination that picks the best checkpoint: gray SSIM with
 * hints - 0.01 x (garment dE + hint dE), both with hints (a model that
 * ignores colour loses 0.01 per dE unit against one that keeps it). */
double zt_eval_score(const struct zt_eval_agg *hinted);

struct zt_eval_model {
    char path[1024];
    int epoch;                                    /* from gen_epoch_NNN, else 0 */
    struct zt_eval_agg a[2][ZT_EVAL_MAX_CAT + 1]; /* [hinted, no hints][category, overall] */
};

struct zt_eval {
    int hints;
    int doodles, white_bg, raw;                   /* the protocol (zt_eval_opts) */
    uint64_t seed;
    int nval;                                     /* validation images used */
    int ncat;                                     /* categories of the map */
    char cat[ZT_EVAL_MAX_CAT][32];
    int nmodels, best;
    struct zt_eval_model *m;                      /* nmodels, owned */
    /* cross-category matrix of gray SSIM: rows true category, columns the
     * conditioning category (one conditioned model) or the model (several
     * unconditioned per-category models: by_model) */
    int by_model, ncol;
    char colname[ZT_EVAL_MAX_MODELS][64];
    double mat[ZT_EVAL_MAX_CAT][ZT_EVAL_MAX_MODELS];
    long matn[ZT_EVAL_MAX_CAT][ZT_EVAL_MAX_MODELS];
    struct zt_image samples;                      /* drawing | generated | original rows */
    int nsamples;
};

/* Runs the evaluation. Any failure (a model that does not load, differs in
 * size from the first, or fails on an image, in any cell) fails the run:
 * ZT_ENOTFOUND (no checkpoints), ZT_EFORMAT, ZT_EINVAL, ZT_ENOMEM, ...
 * *out: caller frees with zt_eval_free; NULL on failure. */
int zt_eval_run(const struct zt_eval_opts *o, struct zt_eval **out);
void zt_eval_free(struct zt_eval *e); /* NULL-safe */

/* Generator files of a run (RUNDIR/ckpt/gen_epoch_*.safetensors), sorted by
 * name (= by epoch), at most max; caller frees each path. ZT_ENOTFOUND
 * without a checkpoint folder or file. */
int zt_eval_list_run(const char *run, char **paths, int max, int *n);

/* The report as one JSON object (caller decrefs; NULL when out of memory). */
struct json_t *zt_eval_json(const struct zt_eval *e);
/* The report as text tables onto f. */
void zt_eval_write_text(const struct zt_eval *e, FILE *f);
/* The report as an HTML page at path (SSIM-vs-epoch chart as inline SVG,
 * tables, samples) with its images in path_files/; written atomically. */
int zt_eval_write_html(const struct zt_eval *e, const char *path);

#endif
