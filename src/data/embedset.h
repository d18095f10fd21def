/* embedset.h: inputs of the search embedding (nn/embed.h) as floats, for
 * training, evaluation, ingest and queries alike, so every path sees one
 * format:
 *   drawing: the generator's 5 planes (sample.h, no category planes) of a
 *            drawing reduced to S x S by data/drawing.h;
 *   photo:   RGB in [-1, 1], letterboxed on white to S x S.
 * The training set keeps every photo's 128 px planes (photo, edge map,
 * garment mask) in memory; a batch renders fresh drawings from them (Canny
 * or XDoG edge maps with simulated hints, or doodles), augmented photos,
 * and drawings of things the shop does not sell (class "none"). */
#ifndef ZT_EMBEDSET_H
#define ZT_EMBEDSET_H

#include <stdint.h>

#include "doodle.h"
#include "../img/image.h"

#define ZT_EMBEDSET_FRAME 128 /* side the photos' planes are kept at */
#define ZT_EMBEDSET_MAX_CLASSES 24

/* A flattened drawing, or lines + an optional hint layer (drawing.h) ->
 * planes at size -> A (5 * size * size floats). frame 0: the whole canvas;
 * else framed on the ink at that fill (zt_planes_reframe). */
int zt_embed_encode_drawing(const struct zt_image *lines, const struct zt_image *hints, int size,
                            float frame, float *A);
/* A photo (any size, 1/3/4 channels) letterboxed on white -> B (3 * size * size). */
int zt_embed_encode_photo(const struct zt_image *photo, int size, float *B);

struct zt_embedset_item {
    struct zt_image photo, edges, mask; /* FRAME x FRAME: RGB, 1ch (0 = line), 1ch */
    int cls;                            /* class index */
    int mask_ok;                        /* the mask looks like one garment */
    float mask_agree;                   /* IoU of the mask with the border heuristic's
                                           (1 when the mask is the heuristic's): low
                                           when one of them missed the garment */
    char id[64];
    char *path;                         /* the source photo (owned) */
};

struct zt_embedset {
    int n;
    struct zt_embedset_item *it;
    int nclass;
    char classes[ZT_EMBEDSET_MAX_CLASSES][32]; /* sorted class names */
    float doodle_agree; /* 0: every usable mask is doodled; else only masks whose
                           mask_agree reaches it (the rest get edge drawings) */
};

/* Lists src (dataset.h) and prepares the items of split (enum zt_split) on
 * nthreads threads. classes: NULL = every class found (sorted); else a
 * fixed list (a model's), and items of other classes are left out.
 * grabcut: the garment masks (and so the doodles) by GrabCut (img/mask.h);
 * 0: the border heuristic alone, as before December 2026.
 * progress (optional) is called with (done, total). */
int zt_embedset_load(const char *src, int split, const char *const *classes, int nclass,
                     int nthreads, int grabcut, void (*progress)(void *, int64_t, int64_t),
                     void *pctx, struct zt_embedset *out);
void zt_embedset_deinit(struct zt_embedset *s); /* NULL-safe */

/* Drawing of item i in a style (MIXED picks by seed): lines and hint layer
 * as the page sends them. Doodles: size x size, at a random scale and
 * place; edge maps: the frame's size. Items whose mask is not usable, or
 * agrees with the heuristic's less than s->doodle_agree, get the edge style. */
int zt_embedset_drawing(const struct zt_embedset *s, int i, enum zt_draw_style style, int size,
                        uint64_t seed, struct zt_image *lines, struct zt_image *hints);
/* A doodle of something that is not a garment (star, sock, belt, bow tie,
 * heart, cross, crescent, scribble), as lines + hints at size. */
int zt_embedset_negative(int size, uint64_t seed, struct zt_image *lines,
                         struct zt_image *hints);
/* A garment of class cls drawn as people draw it from memory (shapes.h:
 * a front view, a shoe from the side), as a doodle: lines + hints at
 * size. ZT_EINVAL when no shape family exists for cls. */
int zt_embedset_shape(const char *cls, int size, uint64_t seed, struct zt_image *lines,
                      struct zt_image *hints);
/* Photo of item i, augmented (scale, shift, flip, light) when augment. */
int zt_embedset_photo(const struct zt_embedset *s, int i, int augment, uint64_t seed, int size,
                      float *B);

#endif
