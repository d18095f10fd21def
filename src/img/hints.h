/* hints.h: colour hints, the second half of the generator's input. The
 * simulator places user-like hints on a product photo for training (as in
 * Zhang et al. 2017, "Real-time user-guided image colorization"); the
 * drawing split turns a shopper's drawing into the same three planes.
 * Planes: edges (1ch, 0 = line, 255 = paper), hint RGB (3ch, the hint colour
 * where the hint mask is set, 0 elsewhere), hint mask (1ch, 255 = hint). */
#ifndef ZT_HINTS_H
#define ZT_HINTS_H

#include <stdint.h>

struct zt_image;

/* Lengths are in pixels at a 128-pixel reference (longer side), scaled
 * with the image. Defaults after each field (zt_hint_params_default). */
struct zt_hint_params {
    int fixed_count;     /* 0: random count; N > 0: exactly N hints (eval) */
    double p_none;       /* 0.1: probability of no hints at all */
    double p_geom;       /* 0.125: otherwise count ~ Geometric(p) on 1, 2, ...
                            (mean 1/p = 8) */
    int max_hints;       /* 64: cap on the random count */
    double on_mask;      /* 0.9: share of hints centred on the garment mask
                            (the rest anywhere); no mask = anywhere */
    int size_min, size_max; /* 1, 5: square patch side, uniform */
    double stroke_prob;  /* 0.25: share of hints that are short strokes */
    int stroke_min, stroke_max; /* 3, 8: stroke length */
    int stroke_width_max;       /* 2: stroke width, uniform 1..max */
};

void zt_hint_params_default(struct zt_hint_params *p);

/* Simulates hints on photo (1, 3 or 4 channels) with the garment mask
 * (1ch, >= 128 = garment, same size; NULL = none). Each hint is filled with
 * the photo's mean colour over the hint's own pixels (rounded); a later hint
 * overwrites an earlier one where they overlap. Deterministic for a seed
 * (util/rng.h, no global state). *hint_rgb (w x h x 3) and
 * *hint_mask (w x h x 1) become new images the caller frees; *count
 * (optional) receives the number of hints. On failure outputs are untouched. */
int zt_hints_simulate(const struct zt_image *photo, const struct zt_image *mask,
                      const struct zt_hint_params *p, uint64_t seed,
                      struct zt_image *hint_rgb, struct zt_image *hint_mask, int *count);

/* --- a shopper's drawing -> (edges, hint RGB, hint mask) (hints_split.c) --- */

/* The colour rule, per pixel of the drawing (alpha composited over white),
 * with mx/mn the largest/smallest of R, G, B and chroma = mx - mn:
 *   chroma >= hint_min_chroma          -> colour hint (any brightness: navy too)
 *   else mx <= line_max_v              -> line (black or dark grey pen)
 *   else mn >= paper_min_v             -> paper
 *   else (a grey mark) within aa_radius of a line pixel -> paper (that is
 *        the line's anti-aliasing); farther away -> grey colour hint.
 * A hint pixel then takes the colour of the deepest hint pixel within
 * aa_radius (most chroma, then darkest): a dab's anti-aliased rim, mixed
 * with the paper or a line, gets the dab's own colour.
 * Defaults in brackets. */
struct zt_split_params {
    int hint_min_chroma; /* 40 */
    int line_max_v;      /* 110 */
    int paper_min_v;     /* 225 */
    int aa_radius;       /* 2 */
    int thin;            /* 1: thin the lines to 1 pixel, as training edges */
    float line_width;    /* 0: then thicken to this width in pixels (0/1 = no) */
    int max_side;        /* 512 (the page's canvas): a larger drawing is first
                            downscaled to this longer side, so the split and the
                            thinning cost at most that much whatever was sent;
                            the outputs then have the reduced size. 0 = no cap */
};

void zt_split_params_default(struct zt_split_params *p);

/* drawing: a flattened drawing, 1, 3 or 4 channels. Outputs are new images
 * the caller frees (drawing's size, or less past p->max_side); on failure
 * they are untouched. p NULL = defaults. */
int zt_drawing_split(const struct zt_image *drawing, const struct zt_split_params *p,
                     struct zt_image *edges, struct zt_image *hint_rgb,
                     struct zt_image *hint_mask);

/* Two-layer form: lines (any channels; dark after compositing over white,
 * grey < 128, is a line) and hints (RGBA: alpha >= 128 marks a hint pixel of
 * that RGB; 1 or 3 channels: pixels with any channel below paper_min_v are
 * hints). Same size, else ZT_EINVAL. */
int zt_drawing_split_layers(const struct zt_image *lines, const struct zt_image *hints,
                            const struct zt_split_params *p, struct zt_image *edges,
                            struct zt_image *hint_rgb, struct zt_image *hint_mask);

/* The inverse: hint planes (RGB + mask, 255 = hint) -> an RGBA hint layer
 * (opaque where hinted, clear elsewhere), a new image. */
int zt_hints_layer(const struct zt_image *hint_rgb, const struct zt_image *hint_mask,
                   struct zt_image *out);

/* --- the generator's output on the hint colours (hints_recolour.c) --- */

/* Lengths as shares of the image side. Defaults after each field. */
struct zt_recolour_params {
    double reach;      /* 0.15: a dab's colour weighs exp(-(d / reach)^2) at
                          geodesic distance d from it, relative to the nearest
                          dab's (so every pixel of a garment with dabs gets the
                          nearest's colour, blended only near the boundary) */
    double wall;       /* 0.5: the distance a line adds when crossed, so a
                          colour stays inside the outline that holds its dab */
    double min_inside; /* 0.04: an outline enclosing less than this share of
                          the image is open; then colours may go anywhere */
    double gap;        /* 0.1: an outline that does not enclose half of the
                          hint pixels is closed over gaps up to this share of
                          the side (a doodle's strokes stop short of meeting)
                          until it does; 0 = not */
    int max_dabs;      /* 48: at most this many dabs are followed */
    float chroma_keep; /* 0.4: share of the network's chroma variation kept
                          around the hint's colour (lightness keeps all of it) */
    int stamp;         /* 2: a dab on the garment and the pixels within this
                          many of it take the garment's shading around them,
                          not the network's there (it paints a dab's edge as
                          a ring); 0 = off */
    double paper;      /* 20: when no closing holds the dabs, the garment is
                          what the network painted: pixels further than this
                          from white (Lab), fully recoloured from twice as
                          far; 0 = off (colours fade with the distance to a
                          dab) */
};

void zt_recolour_params_default(struct zt_recolour_params *p);

/* Moves img (the generated RGB image, S x S) onto the hints' colours: per
 * dab (a connected piece of the mask of one colour) the garment around it
 * (the region the drawing's lines enclose, by geodesic distance) takes the
 * dab's colour plus the network's variation around its generated mean
 * there: lightness in full, chroma scaled by chroma_keep. Several dabs
 * blend by distance; an open outline fades with the distance to a dab
 * (an outline that holds too few of the dabs is first closed over its
 * gaps, p->gap; if none holds them, the garment is what the network
 * painted, p->paper); a dab's own pixels take its colour, and the network's
 * ring around a dab is filled in from the garment (p->stamp).
 * The network's shading stays; the garment's mean becomes the hints'.
 * No hints: img unchanged. edges, hint_rgb, hint_mask: the generator's
 * input planes (S x S; 1, 3, 1 channels). p NULL = defaults. */
int zt_hints_recolour(struct zt_image *img, const struct zt_image *edges,
                      const struct zt_image *hint_rgb, const struct zt_image *hint_mask,
                      const struct zt_recolour_params *p);

#endif
