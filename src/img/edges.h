/* edges.h: photo -> line drawing (thin black lines on white), the sketch
 * side of the training pairs: Canny and XDoG detectors, a shared post-
 * process (speckles, border/pad suppression, thinning, line width) that also
 * turns a soft edge map (e.g. from a neural detector) into a drawing. */
#ifndef ZT_EDGES_H
#define ZT_EDGES_H

#include <stdint.h>

struct zt_image;

/* The learned detectors (DexiNed/TEED, nn/edges_net.h) fill a soft map and
 * reuse the post-process; zt_edges_detect() needs params.net for them. */
enum zt_edge_method {
    ZT_EDGE_CANNY = 0,
    ZT_EDGE_XDOG = 1,
    ZT_EDGE_DEXINED = 2, /* needs params.net (nn/edges_net.h) */
    ZT_EDGE_TEED = 3,    /* needs params.net */
};

/* Every length below is in pixels at a 256-pixel reference (the longer side
 * of the image); the code scales it by max(w, h) / 256, so a 1024-pixel
 * photo gets the same drawing as its 256-pixel thumbnail, only finer.
 * Gradient thresholds are in grey levels (0..255) per reference pixel.
 * zt_edge_params_default() fills the values quoted after each field; the
 * reasons are in docs/internals/edges.md. */
struct zt_edge_params {
    enum zt_edge_method method; /* CANNY */

    /* --- Canny --- */
    float sigma;      /* 2.0: Gaussian smoothing before the gradient */
    float low, high;  /* 3.0, 8.0: hysteresis thresholds on |grad| */
    int auto_thresh;  /* 1: raise both with the image's gradient median */
    float auto_k;     /* 3.0: high = max(high, auto_k * median|grad|),
                         low scaled by the same factor */
    int color;        /* 1: gradient = strongest of R, G, B (catches colour
                         edges of equal brightness); 0: luminance only */

    /* --- XDoG (Winnemoeller et al. 2012) --- */
    float xdog_sigma; /* 1.2: inner Gaussian */
    float xdog_k;     /* 1.6: outer sigma = k * sigma */
    float xdog_p;     /* 20: sharpening, S = (1+p) G_s - p G_ks on I in 0..1 */
    float xdog_eps;   /* 0.8: soft threshold level */
    float xdog_phi;   /* 10: tanh steepness; T = 1 + tanh(phi (S - eps)) */
    int xdog_flat;    /* 1: use 1 + p (G_s - G_ks) instead of S, so dark
                         flat areas (black garments) do not fill black */

    /* --- shared post-process --- */
    int suppress_pad;  /* 1: find a uniform letterbox pad and draw no frame */
    float border;      /* 3.0: drop edges this close to the image border and
                          to the pad boundary */
    float min_speckle; /* 10: drop 8-connected pieces with fewer pixels
                          (a length; scaled linearly) */
    int thin;          /* 1: Zhang-Suen thinning to 1-pixel lines */
    float line_width;  /* 1.0: final line width (1 = as thin as they come) */
    int mask_gate;     /* 1: drop edges farther than gate_margin from the
                          garment mask (img/mask.h): kills floor/carpet
                          texture. Skipped when the mask covers < 5% or
                          > 90% of the content (a failed guess) */
    float gate_margin; /* 8.0 */
    float soft_thresh; /* 0.5: zt_edges_from_soft cut (and XDoG's) */

    /* --- DexiNed / TEED --- */
    struct zt_edge_detector *net; /* NULL; for those methods the loaded
                                     detector (nn/edges_net.h), borrowed, of
                                     the same method */
};

/* A learned detector as this module sees it: its method and its soft edge
 * map of the rectangle rect (x, y, w, h) of src, w * h probabilities.
 * nn/edges_net.h makes the DexiNed and TEED ones; the interface keeps img/
 * free of the networks (img/ includes only util/). */
struct zt_edge_detector {
    enum zt_edge_method method;
    int (*soft)(struct zt_edge_detector *d, const struct zt_image *src, const int *rect,
                float *soft);
};

/* Channel ch (0..2; gray images use their one channel) of the sub-
 * rectangle r of src, alpha over white, into dst (r[2]*r[3] floats, 0..255). */
void zt_edges_channel(const struct zt_image *src, const int r[4], int ch, float *dst);

/* Fills *p with the defaults for method (XDoG turns thinning on too). */
void zt_edge_params_default(struct zt_edge_params *p, enum zt_edge_method method);
/* "canny", "xdog", ... -> method; ZT_EINVAL for unknown names. */
int zt_edge_method_parse(const char *name, enum zt_edge_method *out);
const char *zt_edge_method_name(enum zt_edge_method m);

/* Line drawing of src (1, 3 or 4 channels; alpha composited over white).
 * *out becomes a new w x h x 1 image, 0 = line, 255 = paper; the caller
 * frees it with zt_image_free(). p NULL = Canny defaults. On failure *out
 * is untouched. ZT_EINVAL for bad params, or a DexiNed/TEED method without
 * a matching p->net. */
int zt_edges_detect(const struct zt_image *src, const struct zt_edge_params *p,
                    struct zt_image *out);

/* Soft edge map (w*h floats, 1 = edge, 0 = none; borrowed) -> drawing with
 * the post-process of p: threshold at p->soft_thresh, border band, thinning,
 * speckle removal, line width. The learned detectors plug in here.
 * pad_rect (x, y, w, h; NULL = whole image) is where content lies. */
int zt_edges_from_soft(const float *soft, int w, int h, const struct zt_edge_params *p,
                       const int *pad_rect, struct zt_image *out);

/* --- building blocks (in-place on a 1-channel drawing, 0 = line) --- */

/* Removes 8-connected line pieces with fewer than min_px pixels. Returns
 * the number of pixels removed. */
int64_t zt_edges_remove_speckles(struct zt_image *drawing, int min_px);
/* Zhang-Suen thinning to 1-pixel-wide 8-connected lines. */
int zt_edges_thin(struct zt_image *drawing);
/* Thickens lines to about width pixels (disk brush). width <= 1: no-op. */
int zt_edges_dilate(struct zt_image *drawing, float width);

/* The content rectangle of a letterboxed image: strips uniform rows and
 * columns (within tol of the corner colour) from each side, but only on a
 * side where the content next to the strip mostly differs from the pad
 * colour (so a plain white product background is not taken for padding),
 * and only on two opposite sides (uniform colour on three or four sides is
 * an object on a plain background).
 * rect = x, y, w, h; the whole image when there is no pad. */
void zt_edges_find_pad(const struct zt_image *src, int tol, int rect[4]);

#endif
