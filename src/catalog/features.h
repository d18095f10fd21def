/* features.h: hand-made search descriptors of a product photo and of a
 * shopper's query (drawing planes or a photo): shape (orientation histograms
 * of the line map), colour (Lab histogram over the garment, or over the
 * colour hints) and appearance (coarse Lab layout + luminance gradients of a
 * photo or a generated image), plus dominant colours and their names.
 * Pure computation: no I/O, no store. docs/internals/search.md has the
 * choices and the numbers behind them. */
#ifndef ZT_FEATURES_H
#define ZT_FEATURES_H

#include <stdint.h>

struct zt_image;

/* Side of the square (letterboxed) frame every descriptor is computed in. */
#define ZT_FEAT_SIZE 128
/* Bumped whenever a descriptor changes: ingest recomputes older rows. */
#define ZT_FEAT_VERSION 2

/* Layout of one search vector: [shape | colour | appearance | embedding],
 * each part
 * L2-normalised on its own (all zero when a query lacks that signal), so a
 * part's dot product is that signal's cosine similarity. */
enum {
    ZT_FEAT_SHAPE_DIM = 8 * 8 * 8 + 4 * 4 * 8, /* 640: 8x8 and 4x4 cells, 8 orientations */
    ZT_FEAT_COLOR_DIM = 4 * 6 * 6,             /* 144: L x a x b soft histogram */
    ZT_FEAT_APP_DIM = 8 * 8 * 3 + 4 * 4 * 8,   /* 320: Lab cell means + luminance HOG */
    ZT_FEAT_EMB_DIM = 128,                     /* the learned embedding (nn/embed.h) */
    ZT_FEAT_SHAPE_OFF = 0,
    ZT_FEAT_COLOR_OFF = ZT_FEAT_SHAPE_DIM,
    ZT_FEAT_APP_OFF = ZT_FEAT_SHAPE_DIM + ZT_FEAT_COLOR_DIM,
    ZT_FEAT_EMB_OFF = ZT_FEAT_APP_OFF + ZT_FEAT_APP_DIM,
    ZT_FEAT_DIM = ZT_FEAT_EMB_OFF + ZT_FEAT_EMB_DIM,
};

enum zt_signal {
    ZT_SIG_SHAPE = 0,
    ZT_SIG_COLOR = 1,
    ZT_SIG_APP = 2,
    ZT_SIG_EMBED = 3, /* filled by the caller that holds an embedding model */
    ZT_SIG_COUNT = 4
};
/* "shape", "colour", "appearance", "embedding": the one spelling of the
 * command line and the API */
const char *zt_signal_name(int sig);
/* Offset and length of a signal's part of the vector. */
void zt_signal_span(int sig, int *off, int *dim);

/* A dominant colour of the garment: Lab and the share of garment pixels. */
struct zt_dom_color {
    float lab[3];
    float weight;
};
#define ZT_FEAT_NDOM 3

struct zt_features {
    float v[ZT_FEAT_DIM];
    int has[ZT_SIG_COUNT];                 /* 1 where that part is filled */
    struct zt_dom_color dom[ZT_FEAT_NDOM]; /* by weight, largest first (products only) */
    /* a drawing query's line density and line ends (data/drawing.h,
     * zt_drawing_line_stats); -1 otherwise */
    float density;
    int line_ends;
};

/* Every descriptor of a product photo from its planes at ZT_FEAT_SIZE:
 * photo (S x S x 3, letterboxed on white), edges (S x S x 1, 0 = line) and
 * garment mask (S x S x 1, 255 = garment), as zt_pair_planes() makes them.
 * All borrowed. ZT_EINVAL on wrong sizes. */
int zt_features_product(const struct zt_image *photo, const struct zt_image *edges,
                        const struct zt_image *mask, struct zt_features *out);

/* Query descriptors from drawing planes (any size, square or not; they are
 * letterboxed to ZT_FEAT_SIZE on paper): edges (1ch, 0 = line) gives the
 * shape part; hint_rgb/hint_mask (3ch/1ch, may be NULL) the colour part when
 * at least one pixel is hinted; photo (3ch, may be NULL: e.g. the
 * generator's output) the appearance part; density and line_ends measure
 * the lines (zt_drawing_line_stats). */
int zt_features_query(const struct zt_image *edges, const struct zt_image *hint_rgb,
                      const struct zt_image *hint_mask, const struct zt_image *photo,
                      struct zt_features *out);

/* --- building blocks (exposed for tests and tuning) --- */

/* Shape part from an ink map (S x S floats, 1 = line, 0 = paper). */
void zt_feat_shape(const float *ink, int s, float *out);
/* Colour part from n Lab samples with weights (w NULL = 1 each). Returns
 * 0 when the total weight is 0 (out zeroed), else 1. */
int zt_feat_color(const float (*lab)[3], const float *w, int64_t n, float *out);
/* Appearance part of an S x S RGB image. */
void zt_feat_appearance(const struct zt_image *rgb, float *out);
/* Dominant colours of n Lab samples (k-means, k = ZT_FEAT_NDOM, fixed
 * start); fewer clusters get weight 0. */
void zt_feat_dominant(const float (*lab)[3], int64_t n, struct zt_dom_color *out);

/* Plain colour name of a Lab colour ("navy", "light blue", "black", ...):
 * the nearest entry of a fixed table by CIEDE2000. Borrowed static string. */
const char *zt_color_name(const float lab[3]);

#endif
