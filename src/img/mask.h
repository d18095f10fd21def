/* mask.h: garment / background segmentation by a border-colour heuristic
 * (photos of one garment on a floor, bed or plain backdrop): background
 * colours from the image border, Lab distance, flood fill from the border,
 * morphological cleanup, largest component, holes filled; optional
 * refinement with colour models; optional GrabCut (OpenCV) in its place
 * where it finds one garment. Used by hints, search and the doodles. */
#ifndef ZT_MASK_H
#define ZT_MASK_H

struct zt_image;

struct zt_mask_params {
    int work_size;     /* 160: longer side the heuristic runs at (0 = full
                          size); the mask is scaled back to the input */
    float border_frac; /* 0.04: band of the border sampled for background */
    int max_bg_colors; /* 4: k of the k-means over border colours */
    float bg_dist;     /* 12: Lab distance (CIE76) under which a pixel is
                          background-like (raised per colour by its spread) */
    float bg_spread_k; /* 2.5: per-colour threshold = max(bg_dist,
                          k * the colour's RMS spread), capped by bg_dist_max */
    float bg_dist_max; /* 30 */
    float smooth;      /* 1.0: Gaussian sigma on Lab before the distances
                          (work-size pixels), damps fabric/floor texture */
    int open_r;        /* 2: opening radius (work-size pixels) */
    int close_r;       /* 3: closing radius */
    int refine_iters;  /* 2: colour-model refinement rounds (0 = off) */
    int grabcut_iters; /* 0 = off; else GrabCut rounds (OpenCV, img/grabcut_shim.h)
                          from a rectangle 4 % inside the frame, kept when it
                          gives a usable mask (zt_mask_usable), else the
                          heuristic's. Slower (about 20 ms at 128 px) and
                          much better on textured floors and dark garments:
                          shape work (doodles) turns it on. */
};

/* GrabCut rounds for shape work (the doodles, their sheets). */
#define ZT_MASK_GRABCUT_SHAPE 5

void zt_mask_params_default(struct zt_mask_params *p);

/* Garment mask of src (1, 3 or 4 channels). *out becomes a new w x h x 1
 * image, 255 = garment, 0 = background; caller frees it with
 * zt_image_free(). p NULL = defaults. When no background is found (e.g. the
 * garment fills the frame) the mask is all 255. On failure *out is
 * untouched. */
int zt_mask_garment(const struct zt_image *src, const struct zt_mask_params *p,
                    struct zt_image *out);

/* Does a garment mask (1ch, >= 128 = in) look like one garment? Not when
 * it covers under 4 % or over 92 % of the image, or fills its own bounding
 * box (a rectangle: the photo's frame, not a garment): then the background
 * heuristic failed and shape work should not trust it. */
int zt_mask_usable(const struct zt_image *mask);

/* Intersection over union of two same-size 1-channel masks (>= 128 = in);
 * 1 when both are empty; -1 on a size mismatch. */
double zt_mask_iou(const struct zt_image *a, const struct zt_image *b);

#endif
