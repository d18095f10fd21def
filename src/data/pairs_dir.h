/* pairs_dir.h: writes a `ztyle pairs` folder: aligned drawing | photo PNGs
 * under train/ and val/ (the layout of pytorch-CycleGAN-and-pix2pix,
 * --dataset_mode aligned), the RGBA hint layers under hints/<split>/, a
 * JSONL manifest and the settings in pairs.json. Parallel and resumable:
 * existing pairs are kept, files are written atomically. (Reading such a
 * folder for training is data/trainset.h.) */
#ifndef ZT_PAIRS_DIR_H
#define ZT_PAIRS_DIR_H

#include <stdint.h>
#include <stdio.h>

#include "doodle.h"
#include "../img/edges.h"
#include "../util/zt.h"

struct zt_pairs_dir_opts {
    const char *data;            /* dataset folder or CSV (data/dataset.h) */
    const char *out;             /* output folder, created */
    const char *catmap;          /* class -> category map file; NULL = default */
    const char *weights;         /* DexiNed/TEED weights for a neural method */
    int size;                    /* output side */
    enum zt_edge_method method;
    enum zt_draw_style style;    /* edges (default), doodle or mixed (doodle.h; doodles
                                    keep the photo's geometry, as pix2pix needs) */
    uint64_t seed;               /* run seed of the hints */
    int val_percent;             /* validation share when data has no split */
    long limit;                  /* at most this many images; < 0 = all */
    int all_classes;             /* also classes the map leaves unmapped */
    int force;                   /* overwrite a folder made with other settings */
    int threads;
    FILE *progress;              /* progress bar, or NULL */
    struct zt_warn warn;         /* one message per photo that failed (skipped) */
};

struct zt_pairs_dir_stats {
    int pairs;                   /* images picked */
    long written, skipped, failed; /* skipped: already there; failed: bad photos */
    double seconds;
};

/* Writes the folder. ZT_ENOTFOUND when no image is of a mapped category,
 * ZT_EINVAL when out/pairs.json records other settings (size, method, seed)
 * and force is off; photos that fail are counted in st->failed and reported
 * through o->warn, and the run goes on. */
int zt_pairs_dir_write(const struct zt_pairs_dir_opts *o, struct zt_pairs_dir_stats *st);

#endif
