/* image.h: 8-bit images: ownership, decoding (JPEG/PNG/WebP, EXIF
 * orientation, size limits), encoding, geometry and colour conversion.
 * No tensors here (see img/convert.h). */
#ifndef ZT_IMAGE_H
#define ZT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct zt_buf;

/* px: h*w*c bytes, row-major, interleaved channels, owned.
 * c is 1 (gray), 3 (RGB) or 4 (RGBA). */
struct zt_image {
    int w, h, c;
    uint8_t *px;
};

/* Limits checked from the header, before any pixel buffer is allocated. */
struct zt_image_limits {
    int max_w, max_h;    /* default 20000 each */
    int64_t max_pixels;  /* default 50,000,000 */
};
#define ZT_IMAGE_LIMITS_DEFAULT {20000, 20000, 50000000}

/* Allocates a zeroed w x h x c image into *out. ZT_EINVAL for bad sizes. */
int zt_image_new(struct zt_image *out, int w, int h, int c);
/* Frees px and zeroes the struct. NULL-safe. */
void zt_image_free(struct zt_image *im);
int zt_image_clone(const struct zt_image *src, struct zt_image *out);
/* Fills every pixel with the first c bytes of val. */
void zt_image_fill(struct zt_image *im, const uint8_t *val);
static inline uint8_t *zt_image_at(const struct zt_image *im, int x, int y)
{
    return im->px + ((size_t)y * im->w + x) * im->c;
}

/* --- decode / encode (img/decode.c, img/encode.c) --- */

enum zt_image_format {
    ZT_IMAGE_FORMAT_UNKNOWN = 0,
    ZT_IMAGE_FORMAT_JPEG,
    ZT_IMAGE_FORMAT_PNG,
    ZT_IMAGE_FORMAT_WEBP,
};
/* Format from the magic bytes at the start of buf. */
enum zt_image_format zt_image_sniff(const uint8_t *buf, size_t len);

/* Decodes PNG/JPEG/WebP bytes (format sniffed from magic). want_c 0 keeps
 * the file's channels (gray stays 1, palette/RGB -> 3, alpha -> 4, so gray+
 * alpha -> RGBA; 16-bit PNG is scaled to 8 bits, CMYK JPEG converted to RGB);
 * 1/3/4 converts as zt_image_convert. JPEG EXIF orientation is applied (the
 * limits apply to the rotated size). lim NULL = defaults. Returns ZT_OK,
 * ZT_EFORMAT (corrupt/unknown/truncated, incl. a JPEG that ends early; also
 * animated WebP), ZT_ETOOBIG (limits, from the header before any pixel
 * allocation), ZT_EINVAL (bad want_c) or ZT_ENOMEM; on failure *out is
 * untouched. buf is borrowed. Thread-safe (no shared state). */
int zt_image_decode(const uint8_t *buf, size_t len, int want_c,
                    const struct zt_image_limits *lim, struct zt_image *out);
/* Reads and decodes a file; the error message names the path. */
int zt_image_load(const char *path, int want_c, const struct zt_image_limits *lim,
                  struct zt_image *out);
/* Encodes to PNG (any c) or JPEG (c 1 or 3, else ZT_EINVAL; quality 1..100),
 * appended to out (the caller's buffer; a failed encode appends nothing). */
int zt_image_encode_png(const struct zt_image *im, struct zt_buf *out);
int zt_image_encode_jpeg(const struct zt_image *im, int quality, struct zt_buf *out);
/* Saves by extension (.png, .jpg/.jpeg at quality 90; case-insensitive),
 * atomically. ZT_EINVAL for other extensions. */
int zt_image_save(const struct zt_image *im, const char *path);

/* --- geometry (img/geom.c) --- */

/* Resizes to w x h into a new image. Separable triangle filter whose support
 * widens with the scale when shrinking (antialiased, as PIL's BILINEAR
 * resize; within 1 level of PIL), plain bilinear when enlarging. */
int zt_image_resize(const struct zt_image *src, int w, int h, struct zt_image *out);
/* Scales the longer side to size and pads to size x size with bg (c bytes),
 * centred. *sx,*sy,*sw,*sh (optional) receive the placed content rect. */
int zt_image_letterbox(const struct zt_image *src, int size, const uint8_t *bg,
                       struct zt_image *out, int *sx, int *sy, int *sw, int *sh);
int zt_image_crop(const struct zt_image *src, int x, int y, int w, int h, struct zt_image *out);
void zt_image_flip_h(struct zt_image *im); /* in place */
/* Pastes src into dst at (x, y), clipped; channels must match. */
void zt_image_paste(struct zt_image *dst, const struct zt_image *src, int x, int y);
/* Applies EXIF orientation 1..8 (2 mirror, 3 rotate 180, 4 flip, 5 transpose,
 * 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise) into a
 * new image *out (5..8 swap w and h). ZT_EINVAL for other values. */
int zt_image_orient(const struct zt_image *src, int orientation, struct zt_image *out);

/* --- colour (img/color.c) --- */

/* Channel conversion 1/3/4 -> want_c (gray = 0.299R+0.587G+0.114B, rounded;
 * alpha composited over white when dropping it). */
int zt_image_convert(const struct zt_image *src, int want_c, struct zt_image *out);
/* Per-pixel conversions on floats. rgb in 0..255.
 * Lab: CIE L*a*b*, D65, sRGB companding (as skimage.color.rgb2lab).
 * HSV: h in [0,360), s and v in [0,1]. */
void zt_rgb_to_lab(const uint8_t rgb[3], float lab[3]);
void zt_lab_to_rgb(const float lab[3], uint8_t rgb[3]);
void zt_rgb_to_hsv(const uint8_t rgb[3], float hsv[3]);
void zt_hsv_to_rgb(const float hsv[3], uint8_t rgb[3]);
/* CIEDE2000 colour difference between two Lab colours. */
float zt_delta_e2000(const float lab1[3], const float lab2[3]);

/* --- quality metrics (img/metrics.c) --- */

enum zt_ssim_mode {
    ZT_SSIM_UNIFORM7 = 0, /* skimage default: 7x7 uniform window, sample cov */
    ZT_SSIM_GAUSSIAN = 1, /* sigma 1.5, 11x11 window, use_sample_covariance=False */
};
/* SSIM of two same-size images, data_range 255, mean over channels.
 * For gray, both are converted with 0.299R+0.587G+0.114B first (float,
 * not rounded). Returns ZT_EINVAL on size mismatch or images smaller
 * than the window. */
int zt_ssim(const struct zt_image *a, const struct zt_image *b, enum zt_ssim_mode mode,
            int gray, double *out);
/* PSNR over all channels (data_range 255); +inf for identical images. */
int zt_psnr(const struct zt_image *a, const struct zt_image *b, double *out);

/* 1 when a file name has an extension this module decodes (.jpg, .jpeg,
 * .png, .webp; any case) and is not hidden (leading '.'). */
int zt_image_name_ok(const char *name);

#endif
