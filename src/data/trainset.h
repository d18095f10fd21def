/* trainset.h: the training images held in memory, prepared once (photo
 * letterboxed to the load size, its edge map and garment mask), and batches
 * cut from them with pix2pix's augmentation (random crop to the crop size,
 * horizontal flip) and colour hints re-simulated for every batch. All the
 * randomness of a batch comes from its seed, so a resumed run replays it. */
#ifndef ZT_TRAINSET_H
#define ZT_TRAINSET_H

#include <stdint.h>

#include "../img/edges.h"
#include "../img/hints.h"
#include "../img/image.h"
#include "dataset.h"
#include "../util/zt.h"

struct zt_progress;

struct zt_train_item {
    struct zt_image photo, edges, mask; /* load x load; 3, 1, 1 channels */
    /* fixed hints (from `ztyle pairs` output): load x load, 3 and 1 channels;
     * empty when hints are simulated per batch */
    struct zt_image hint_rgb, hint_mask;
    int category;
    char *id;   /* owned */
    char *path; /* owned: source photo */
};

struct zt_trainset {
    int n;
    struct zt_train_item *it; /* owned */
    int load, crop;
    int ncat;                 /* categories of the catmap (one-hot width) */
    struct zt_hint_params hint;
};

/* Prepares every sample of ds in split whose category is mapped (>= 0) at
 * load x load with the edge method, on nthreads; flags: ZT_TRAINSET_WHITE_BG,
 * each photo on white where its mask is trusted (zt_pair_white_background);
 * ZT_TRAINSET_GRABCUT, the masks (white targets, doodles, where hints go)
 * by GrabCut (img/mask.h) instead of the border heuristic alone. Photos that
 * fail to decode are skipped, each reported through warn (may be NULL) and
 * counted in *skipped.
 * prog (optional) gets one unit per sample. crop <= load. */
#define ZT_TRAINSET_WHITE_BG 1u
#define ZT_TRAINSET_GRABCUT 2u
int zt_trainset_build(const struct zt_dataset *ds, int split, int ncat, int load, int crop,
                      enum zt_edge_method method, unsigned flags, int nthreads,
                      struct zt_progress *prog, const struct zt_warn *warn,
                      struct zt_trainset *out, int *skipped);
/* The same from a `ztyle pairs` output folder (pairs.json, manifest.jsonl,
 * <split>/<id>.png = drawing | photo, hints/<split>/<id>.png = RGBA hint
 * layer): the photo is the B half, the edges the A half's dark pixels
 * outside hints, the hints the layer's; all resized to load. Hints stay
 * fixed (as written), the augmentation still applies. Entries whose
 * category is not in map are skipped; unreadable entries are reported
 * through warn and counted in *skipped. */
int zt_trainset_build_pairs(const char *dir, int split, const struct zt_catmap *map, int load,
                            int crop, const struct zt_warn *warn, struct zt_trainset *out,
                            int *skipped);
/* Drops every item not of category cat (freeing them). ZT_ENOTFOUND when
 * none is left. */
int zt_trainset_keep_category(struct zt_trainset *ts, int cat);
/* True when dir looks like `ztyle pairs` output. */
int zt_trainset_is_pairs_dir(const char *dir);
void zt_trainset_deinit(struct zt_trainset *ts); /* NULL-safe */

struct zt_batch_opts {
    int augment;     /* 1: random crop + flip (training); 0: centre crop, no flip */
    int conditioned; /* 1: category one-hot planes (ncat of them) */
    int no_hints;    /* 1: empty hint planes (evaluation without hints) */
    int fixed_hints; /* > 0: exactly this many hints (evaluation protocol) */
    int shopper;     /* 1 (training): the inputs shoppers give, per sample by its
                        seed: 40 % edge map + simulated hints (img/hints.h), 30 %
                        edge map + doodle dabs (dots, strokes, squares, blobs,
                        scribbles, 0-30, some off the garment, palette-nudged
                        colours), 30 % an aligned doodle (data/doodle.h) with its
                        dabs, split as the page's drawings are; lines under a dab
                        are paper, as on the page */
};

/* Fills A (n x in_ch x crop x crop) and B (n x 3 x crop x crop) for items
 * idx[0..n). Sample k's randomness comes from zt_pair_seed(seed, id). */
int zt_trainset_batch(const struct zt_trainset *ts, const int *idx, int n, uint64_t seed,
                      const struct zt_batch_opts *o, float *A, float *B);

#endif
