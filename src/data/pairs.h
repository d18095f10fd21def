/* pairs.h: one training example from one photo: the photo letterboxed to a
 * square, its edge map, garment mask and simulated colour hints, and the
 * two file forms built from them (the flattened drawing a shopper would
 * send, and pix2pix's "aligned" A|B image). Shared by `ztyle pairs`,
 * `ztyle sheet` and the trainer, so training and files see one format. */
#ifndef ZT_PAIRS_H
#define ZT_PAIRS_H

#include <stdint.h>

#include "doodle.h"
#include "../img/edges.h"
#include "../img/hints.h"
#include "../img/image.h"
#include "../img/mask.h"

struct zt_pair_opts {
    int size;                    /* output side: 256 or 128 (any >= 32 works) */
    struct zt_edge_params edge;
    struct zt_mask_params mask;
    struct zt_hint_params hint;
    struct zt_image_limits lim;  /* decode limits */
    enum zt_draw_style style;    /* ZT_STYLE_EDGES: edge map + simulated hints;
                                    DOODLE: a doodle (doodle.h) split into the
                                    same planes; MIXED: either, by the seed */
    struct zt_doodle_params doodle; /* aligned = 1 by default: pairs keep the
                                       photo's geometry */
    int white_bg;                /* 1: the photo on white where its mask is
                                    trusted (zt_pair_white_background); 0 default */
};

/* Defaults: size, method's edge defaults, default mask and hint params. */
void zt_pair_opts_default(struct zt_pair_opts *o, int size, enum zt_edge_method method);

struct zt_pair {
    struct zt_image photo;     /* size x size x 3, letterboxed on white */
    struct zt_image edges;     /* size x size x 1, 0 = line, 255 = paper */
    struct zt_image mask;      /* size x size x 1, 255 = garment */
    struct zt_image hint_rgb;  /* size x size x 3 */
    struct zt_image hint_mask; /* size x size x 1, 255 = hint */
    int nhints;
};

/* Per-image seed from a run seed and the image id (stable across runs,
 * thread counts and dataset order). */
uint64_t zt_pair_seed(uint64_t run_seed, const char *id);

/* photo, edges and mask only (hint planes left empty). */
int zt_pair_planes(const struct zt_image *photo, const struct zt_pair_opts *o,
                   struct zt_pair *out);
/* Builds every plane from an already decoded photo (1/3/4 channels). The
 * mask is computed on the un-padded content so the white letterbox is not
 * mistaken for background colour. With a doodle style the edges and hint
 * planes are the doodle's, split as a shopper's drawing is (hints.h). On
 * failure *out is untouched. */
int zt_pair_from_image(const struct zt_image *photo, const struct zt_pair_opts *o,
                       uint64_t seed, struct zt_pair *out);
/* Loads path (EXIF applied, limits from o) and calls zt_pair_from_image. */
int zt_pair_make(const char *path, const struct zt_pair_opts *o, uint64_t seed,
                 struct zt_pair *out);
void zt_pair_deinit(struct zt_pair *p); /* NULL-safe */

/* Keeps the garment only, as a shopper's trace of a photo should: edge
 * and hint pixels farther than a few pixels outside the garment mask become
 * paper (the hanger, the floor, the wall), and the mask's outline is drawn
 * in. Returns 0 and leaves p as it is when the mask is not usable
 * (zt_mask_usable), else 1. */
int zt_pair_garment_only(struct zt_pair *p);

/* What the page's upload makes of a photo ("trace its outline"): the edge
 * map by method at size, a dozen simulated colour hints, the garment mask
 * by GrabCut, kept to the garment (zt_pair_garment_only). lim: decode
 * limits, NULL = defaults. On failure *out is untouched. */
int zt_pair_trace(const struct zt_image *photo, int size, enum zt_edge_method method,
                  const struct zt_image_limits *lim, uint64_t seed, struct zt_pair *out);

/* The garment on white, as the preview should show it: photo pixels
 * outside the mask become white when the mask is trusted: usable
 * (zt_mask_usable), 12-92 % of the frame, and at least 60 % of its outline
 * within two pixels of an edge of the photo (a mask that caught only a print
 * or a shadow fails). Returns 1 when applied, 0 (p unchanged) otherwise. */
int zt_pair_white_background(struct zt_pair *p);

/* The flattened drawing: black lines on white with the hint colours painted
 * over them (RGB). Note that a near-black or near-white hint is ambiguous
 * in this form; the exact planes travel beside it as the RGBA hint layer. */
int zt_pair_drawing(const struct zt_pair *p, struct zt_image *out);
/* RGBA hint layer: hint colour with alpha 255 where hinted, 0 elsewhere
 * (the form `ztyle generate --hints` and the web page send). */
int zt_pair_hint_layer(const struct zt_pair *p, struct zt_image *out);
/* pix2pix "aligned" image: drawing (A) | photo (B), 2*size x size x 3. */
int zt_pair_ab(const struct zt_pair *p, struct zt_image *out);

#endif
