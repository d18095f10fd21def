/* doodle.h: human-like drawings made from a product photo, for training
 * and evaluating on the inputs shoppers give (a quick, wobbly silhouette in
 * a few strokes, off-centre, at any size, with a few colour dabs) rather
 * than on the program's own edge maps.
 *
 * From the photo's garment mask: the outer contour (Moore tracing of the
 * largest component), simplified with Ramer-Douglas-Peucker as public
 * sketch datasets store strokes, split into a few strokes, wobbled,
 * jittered and partly dropped, plus a random share of the edge map's
 * interior lines; the whole placed at a random scale, position, aspect and
 * rotation, drawn with an anti-aliased pen of random width. Colour dabs
 * (dots, short strokes, squares, blobs, scribbles) take the photo's colour
 * where they start, slightly off as a shopper picks it from a palette.
 * Deterministic for a seed. */
#ifndef ZT_DOODLE_H
#define ZT_DOODLE_H

#include <stdint.h>

#include "../img/image.h"

/* How a training or query drawing is made from a photo. */
enum zt_draw_style {
    ZT_STYLE_EDGES,  /* the edge map (canny/xdog/...) with simulated hints */
    ZT_STYLE_DOODLE, /* a doodle (this module) */
    ZT_STYLE_MIXED,  /* either, half each, chosen by the sample's seed */
};
int zt_draw_style_parse(const char *s, enum zt_draw_style *out); /* ZT_EINVAL if unknown */
const char *zt_draw_style_name(enum zt_draw_style s);
/* The style one sample gets: s itself, or for MIXED edges/doodle by seed. */
enum zt_draw_style zt_draw_style_pick(enum zt_draw_style s, uint64_t seed);

/* Lengths are fractions of the output side unless said otherwise. */
struct zt_doodle_params {
    int aligned;              /* 0; 1: keep the photo's geometry (pix2pix pairs):
                                 no scale, position, aspect or rotation change */
    float scale_min, scale_max; /* 0.30, 0.95: garment's longer side / canvas */
    float aspect;             /* 0.20: width/height changed by up to +-20 % */
    float rot_deg;            /* 10: rotation up to +-this many degrees */
    int strokes_min, strokes_max; /* 1, 5: strokes the contour is split into */
    float rdp_min, rdp_max;   /* 0.008, 0.03: RDP tolerance */
    float wobble_max;         /* 0.012: amplitude of the slow wobble */
    float jitter;             /* 0.0015: per-point jitter (std) */
    float drop_max;           /* 0.12: share of contour pieces dropped, up to */
    float p_interior;         /* 0.4: chance a drawing has interior lines */
    float interior_max;       /* 0.35: share of interior line pieces kept, up to */
    float width_min, width_max; /* 0.006, 0.02: pen width */
    float p_no_hints;         /* 0.3: chance of no colour dabs */
    int hints_max;            /* 30 */
    float dab_min, dab_max;   /* 0.004, 0.04: dab radius */
};
void zt_doodle_params_default(struct zt_doodle_params *p);

struct zt_doodle {
    struct zt_image lines; /* size x size x 1: 255 paper, dark anti-aliased strokes */
    struct zt_image hints; /* size x size x 4: dab colour, alpha 255 where dabbed */
    int nstrokes, nhints;
};

/* photo (RGB), mask (1ch, >= 128 = garment) and edges (1ch, 0 = line;
 * may be NULL: no interior lines) of the same size -> a size x size doodle.
 * A mask with no garment pixel is ZT_EINVAL. On failure *out is untouched. */
int zt_doodle_render(const struct zt_image *photo, const struct zt_image *mask,
                     const struct zt_image *edges, const struct zt_doodle_params *p, int size,
                     uint64_t seed, struct zt_doodle *out);
/* The flattened drawing (RGB): lines with the dabs painted over them. */
int zt_doodle_flatten(const struct zt_doodle *d, struct zt_image *out);
void zt_doodle_deinit(struct zt_doodle *d); /* NULL-safe */

/* A doodle of size x size as the generator's planes, split as the page
 * splits a shopper's drawing (img/hints.h defaults): *edges (1ch), *hint_rgb
 * (3ch), *hint_mask (1ch) become new images; *nhints (optional) the dab
 * count. With p->aligned the planes line up with the photo (training and
 * evaluation pairs). On failure outputs are untouched. */
int zt_doodle_planes(const struct zt_image *photo, const struct zt_image *mask,
                     const struct zt_image *edges, const struct zt_doodle_params *p, int size,
                     uint64_t seed, struct zt_image *out_edges, struct zt_image *hint_rgb,
                     struct zt_image *hint_mask, int *nhints);

#endif
