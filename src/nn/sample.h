/* sample.h: the one tensor format the generator sees, for training, eval,
 * `ztyle generate` and the server alike. Input planes (C, S, S), values:
 *   0      edges: paper +1, line -1          (px / 127.5 - 1)
 *   1..3   hint RGB in [-1, 1] where hinted, 0 elsewhere
 *   4      hint mask: 1 where hinted, 0 elsewhere
 *   5..    category one-hot planes (conditioned model only)
 * Output / target: RGB (3, S, S) in [-1, 1]. */
#ifndef ZT_SAMPLE_H
#define ZT_SAMPLE_H

struct zt_image;

#define ZT_SAMPLE_BASE_CH 5

/* Input channels for ncat categories (0 = unconditioned). */
static inline int zt_sample_in_channels(int ncat) { return ZT_SAMPLE_BASE_CH + ncat; }

/* Writes the input planes of one sample into A (in_channels * S * S floats).
 * edges, hint_rgb, hint_mask: S x S, 1/3/1 channels. category in
 * [0, ncat) or -1 (all category planes 0 = "automatic"). ZT_EINVAL on
 * size/channel mismatch. */
int zt_sample_encode_input(const struct zt_image *edges, const struct zt_image *hint_rgb,
                           const struct zt_image *hint_mask, int category, int ncat, float *A);
/* RGB (or gray/RGBA) S x S image -> (3, S, S) in [-1, 1]. */
int zt_sample_encode_photo(const struct zt_image *photo, float *B);
/* (3, S, S) in [-1, 1] -> new S x S RGB image (rounded, clamped). */
int zt_sample_decode_photo(const float *y, int s, struct zt_image *out);

#endif
