/* decode.c: JPEG (libjpeg-turbo, EXIF orientation via libexif), PNG (libpng)
 * and WebP (libwebp) decoding from memory, with size limits checked from the
 * header before pixels are allocated. Library errors longjmp back here. */
#include "image.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/zt.h"

#include <stdio.h> /* before jpeglib.h, which needs FILE */
#include <jpeglib.h>
#include <jerror.h>
#include <libexif/exif-data.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <webp/decode.h>

/* Files bigger than this are refused by zt_image_load before reading. */
#define MAX_FILE_BYTES ((size_t)512 << 20)
/* Progressive JPEGs with more scans than this are refused (a hostile file
 * can make libjpeg spend minutes on thousands of tiny scans). */
#define MAX_JPEG_SCANS 500

enum zt_image_format zt_image_sniff(const uint8_t *buf, size_t len)
{
    static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff) return ZT_IMAGE_FORMAT_JPEG;
    if (len >= 8 && !memcmp(buf, png_magic, 8)) return ZT_IMAGE_FORMAT_PNG;
    if (len >= 12 && !memcmp(buf, "RIFF", 4) && !memcmp(buf + 8, "WEBP", 4))
        return ZT_IMAGE_FORMAT_WEBP;
    return ZT_IMAGE_FORMAT_UNKNOWN;
}

/* Checks w x h (as it will be after orientation) against the limits. */
static int check_limits(const char *fmt, int64_t w, int64_t h, const struct zt_image_limits *lim)
{
    if (w <= 0 || h <= 0) {
        zt_seterr("%s: bad image size %lldx%lld", fmt, (long long)w, (long long)h);
        return ZT_EFORMAT;
    }
    if (w > lim->max_w || h > lim->max_h || w * h > lim->max_pixels) {
        zt_seterr("%s: image %lldx%lld exceeds the limits (%dx%d, %lld pixels)", fmt,
                  (long long)w, (long long)h, lim->max_w, lim->max_h,
                  (long long)lim->max_pixels);
        return ZT_ETOOBIG;
    }
    return ZT_OK;
}

/* --- JPEG --- */

struct jpeg_ctx {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr jerr;
    struct jpeg_progress_mgr progress;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
    struct zt_image img; /* decoded pixels (owned until handed out) */
    uint8_t *row;        /* scratch row for CMYK */
};

static void jpeg_on_error(j_common_ptr cinfo)
{
    struct jpeg_ctx *c = (struct jpeg_ctx *)cinfo->client_data;
    cinfo->err->format_message(cinfo, c->msg);
    longjmp(c->jb, 1);
}

/* Warnings (level -1) are ignored except premature end of data, which would
 * otherwise give a half-grey image; trace messages (level >= 0) are dropped. */
static void jpeg_on_message(j_common_ptr cinfo, int level)
{
    if (level >= 0) return;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        struct jpeg_ctx *c = (struct jpeg_ctx *)cinfo->client_data;
        snprintf(c->msg, sizeof c->msg, "truncated data (premature end of JPEG)");
        longjmp(c->jb, 1);
    }
    cinfo->err->num_warnings++;
}

static void jpeg_on_progress(j_common_ptr cinfo)
{
    struct jpeg_decompress_struct *d = (struct jpeg_decompress_struct *)cinfo;
    if (d->progressive_mode && d->input_scan_number > MAX_JPEG_SCANS) {
        struct jpeg_ctx *c = (struct jpeg_ctx *)cinfo->client_data;
        snprintf(c->msg, sizeof c->msg, "more than %d progressive scans", MAX_JPEG_SCANS);
        longjmp(c->jb, 1);
    }
}

/* EXIF orientation (1..8) from the saved APP1 markers; 1 if absent/bad. */
static int exif_orientation(struct jpeg_decompress_struct *cinfo)
{
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 1 || m->data_length < 6 || memcmp(m->data, "Exif\0\0", 6))
            continue;
        ExifData *ed = exif_data_new();
        if (!ed) return 1;
        /* no "fixing" of the data to the spec: we only read one tag */
        exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
        exif_data_load_data(ed, m->data, m->data_length);
        int orient = 1;
        ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
        if (e && e->format == EXIF_FORMAT_SHORT && e->components >= 1 && e->data && e->size >= 2) {
            int v = exif_get_short(e->data, exif_data_get_byte_order(ed));
            if (v >= 1 && v <= 8) orient = v;
        }
        exif_data_unref(ed);
        return orient;
    }
    return 1;
}

/* Inverted (Adobe) CMYK to RGB: r = c*k/255 etc. */
static void cmyk_to_rgb(const uint8_t *in, uint8_t *out, int w, int inverted)
{
    for (int x = 0; x < w; x++, in += 4, out += 3) {
        int cc = in[0], m = in[1], y = in[2], k = in[3];
        if (!inverted) cc = 255 - cc, m = 255 - m, y = 255 - y, k = 255 - k;
        out[0] = (uint8_t)((cc * k + 127) / 255);
        out[1] = (uint8_t)((m * k + 127) / 255);
        out[2] = (uint8_t)((y * k + 127) / 255);
    }
}

/* Runs with c living in the caller's frame, so nothing modified here is a
 * setjmp-local that longjmp could clobber. */
static int jpeg_run(struct jpeg_ctx *c, const uint8_t *buf, size_t len,
                    const struct zt_image_limits *lim, int *orient)
{
    struct jpeg_decompress_struct *d = &c->cinfo;
    d->err = jpeg_std_error(&c->jerr);
    c->jerr.error_exit = jpeg_on_error;
    c->jerr.emit_message = jpeg_on_message;
    d->client_data = c;
    if (setjmp(c->jb)) {
        zt_seterr("JPEG: %s", c->msg);
        return ZT_EFORMAT;
    }
    jpeg_create_decompress(d);
    d->client_data = c;
    c->progress.progress_monitor = jpeg_on_progress;
    d->progress = &c->progress;
    jpeg_mem_src(d, buf, (unsigned long)len);
    jpeg_save_markers(d, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(d, TRUE);

    int cmyk = d->jpeg_color_space == JCS_CMYK || d->jpeg_color_space == JCS_YCCK;
    int nc = d->num_components == 1 ? 1 : 3;
    d->out_color_space = nc == 1 ? JCS_GRAYSCALE : cmyk ? JCS_CMYK : JCS_RGB;
    *orient = exif_orientation(d);
    int64_t w = d->image_width, h = d->image_height;
    int rc = *orient >= 5 ? check_limits("JPEG", h, w, lim) : check_limits("JPEG", w, h, lim);
    if (rc) return rc;

    jpeg_start_decompress(d);
    if ((int64_t)d->output_width != w || (int64_t)d->output_height != h ||
        d->output_components != (cmyk ? 4 : nc)) {
        zt_seterr("JPEG: unexpected output geometry");
        return ZT_EFORMAT;
    }
    if ((rc = zt_image_new(&c->img, (int)w, (int)h, nc))) return rc;
    if (cmyk && !(c->row = malloc((size_t)w * 4))) {
        zt_seterr("JPEG: out of memory");
        return ZT_ENOMEM;
    }
    while (d->output_scanline < d->output_height) {
        uint8_t *dst = zt_image_at(&c->img, 0, (int)d->output_scanline);
        JSAMPROW row = cmyk ? c->row : dst;
        if (jpeg_read_scanlines(d, &row, 1) != 1) {
            zt_seterr("JPEG: no scanline read");
            return ZT_EFORMAT;
        }
        if (cmyk) cmyk_to_rgb(c->row, dst, (int)w, d->saw_Adobe_marker);
    }
    jpeg_finish_decompress(d);
    return ZT_OK;
}

static int decode_jpeg(const uint8_t *buf, size_t len, const struct zt_image_limits *lim,
                       struct zt_image *out)
{
    struct jpeg_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        zt_seterr("JPEG: out of memory");
        return ZT_ENOMEM;
    }
    int orient = 1;
    int rc = jpeg_run(c, buf, len, lim, &orient);
    jpeg_destroy_decompress(&c->cinfo);
    free(c->row);
    if (rc == ZT_OK && orient != 1) {
        struct zt_image rot;
        rc = zt_image_orient(&c->img, orient, &rot);
        zt_image_free(&c->img);
        c->img = rot;
    }
    if (rc == ZT_OK) *out = c->img;
    else zt_image_free(&c->img);
    free(c);
    return rc;
}

/* --- PNG --- */

struct png_ctx {
    png_structp png;
    png_infop info;
    const uint8_t *buf;
    size_t len, pos;
    char msg[256];
    struct zt_image img;
    png_bytep *rows;
};

static void png_on_error(png_structp png, png_const_charp msg)
{
    struct png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg) {}

static void png_on_read(png_structp png, png_bytep data, size_t n)
{
    struct png_ctx *c = png_get_io_ptr(png);
    if (n > c->len - c->pos) png_error(png, "truncated data");
    memcpy(data, c->buf + c->pos, n);
    c->pos += n;
}

static int png_run(struct png_ctx *c, const struct zt_image_limits *lim)
{
    /* refuse oversized images from the IHDR bytes, before libpng reads on */
    const uint8_t *p = c->buf + 16;
    if (c->len >= 24 && !memcmp(c->buf + 12, "IHDR", 4)) {
        int64_t w = (int64_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
        int64_t h = (int64_t)p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7];
        /* sizes past 2^31-1 are invalid PNG: libpng reports those below */
        if (w <= PNG_UINT_31_MAX && h <= PNG_UINT_31_MAX && check_limits("PNG", w, h, lim) == ZT_ETOOBIG)
            return ZT_ETOOBIG;
    }
    if (setjmp(png_jmpbuf(c->png))) {
        zt_seterr("PNG: %s", c->msg);
        return ZT_EFORMAT;
    }
    png_set_read_fn(c->png, c, png_on_read);
    png_set_user_limits(c->png, 0x7fffffff, 0x7fffffff); /* ours apply below */
    png_set_chunk_malloc_max(c->png, 8u << 20);
    png_read_info(c->png, c->info);
    png_uint_32 w = png_get_image_width(c->png, c->info);
    png_uint_32 h = png_get_image_height(c->png, c->info);
    int rc = check_limits("PNG", w, h, lim);
    if (rc) return rc;

    int ct = png_get_color_type(c->png, c->info);
    png_set_expand(c->png); /* palette -> RGB, gray < 8 bit -> 8 bit, tRNS -> alpha */
    png_set_scale_16(c->png);
    if (ct == PNG_COLOR_TYPE_GRAY_ALPHA ||
        (ct == PNG_COLOR_TYPE_GRAY && png_get_valid(c->png, c->info, PNG_INFO_tRNS)))
        png_set_gray_to_rgb(c->png); /* gray+alpha -> RGBA (we have no 2-channel images) */
    png_set_interlace_handling(c->png);
    png_read_update_info(c->png, c->info);
    int nc = png_get_channels(c->png, c->info);
    if (png_get_bit_depth(c->png, c->info) != 8 || (nc != 1 && nc != 3 && nc != 4) ||
        png_get_rowbytes(c->png, c->info) != (size_t)w * nc) {
        zt_seterr("PNG: unsupported pixel layout (%d channels)", nc);
        return ZT_EFORMAT;
    }
    if ((rc = zt_image_new(&c->img, (int)w, (int)h, nc))) return rc;
    if (!(c->rows = malloc(sizeof *c->rows * h))) {
        zt_seterr("PNG: out of memory");
        return ZT_ENOMEM;
    }
    for (png_uint_32 y = 0; y < h; y++) c->rows[y] = zt_image_at(&c->img, 0, (int)y);
    png_read_image(c->png, c->rows);
    png_read_end(c->png, NULL); /* a file cut before IEND is truncated too */
    return ZT_OK;
}

static int decode_png(const uint8_t *buf, size_t len, const struct zt_image_limits *lim,
                      struct zt_image *out)
{
    struct png_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        zt_seterr("PNG: out of memory");
        return ZT_ENOMEM;
    }
    c->buf = buf;
    c->len = len;
    int rc = ZT_ENOMEM;
    c->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, png_on_error, png_on_warning);
    if (c->png) c->info = png_create_info_struct(c->png);
    if (!c->png || !c->info) zt_seterr("PNG: out of memory");
    else rc = png_run(c, lim);
    png_destroy_read_struct(&c->png, &c->info, NULL);
    free(c->rows);
    if (rc == ZT_OK) *out = c->img;
    else zt_image_free(&c->img);
    free(c);
    return rc;
}

/* --- WebP --- */

static int decode_webp(const uint8_t *buf, size_t len, const struct zt_image_limits *lim,
                       struct zt_image *out)
{
    WebPBitstreamFeatures f;
    VP8StatusCode st = WebPGetFeatures(buf, len, &f);
    if (st != VP8_STATUS_OK) {
        zt_seterr("WebP: %s", st == VP8_STATUS_NOT_ENOUGH_DATA ? "truncated data"
                              : "corrupt or unsupported header");
        return ZT_EFORMAT;
    }
    if (f.has_animation) {
        zt_seterr("WebP: animated images are not supported");
        return ZT_EFORMAT;
    }
    int rc = check_limits("WebP", f.width, f.height, lim);
    if (rc) return rc;
    int nc = f.has_alpha ? 4 : 3;
    struct zt_image img;
    if ((rc = zt_image_new(&img, f.width, f.height, nc))) return rc;
    size_t size = (size_t)img.w * img.h * nc;
    int stride = img.w * nc;
    uint8_t *r = nc == 4 ? WebPDecodeRGBAInto(buf, len, img.px, size, stride)
                         : WebPDecodeRGBInto(buf, len, img.px, size, stride);
    if (!r) {
        zt_image_free(&img);
        zt_seterr("WebP: corrupt or truncated data");
        return ZT_EFORMAT;
    }
    *out = img;
    return ZT_OK;
}

/* --- entry points --- */

int zt_image_decode(const uint8_t *buf, size_t len, int want_c,
                    const struct zt_image_limits *lim, struct zt_image *out)
{
    static const struct zt_image_limits defaults = ZT_IMAGE_LIMITS_DEFAULT;
    if (!lim) lim = &defaults;
    if (want_c != 0 && want_c != 1 && want_c != 3 && want_c != 4) {
        zt_seterr("bad channel count %d", want_c);
        return ZT_EINVAL;
    }
    if (!buf || len == 0) {
        zt_seterr("empty file");
        return ZT_EFORMAT;
    }
    struct zt_image img;
    int rc;
    switch (zt_image_sniff(buf, len)) {
    case ZT_IMAGE_FORMAT_JPEG: rc = decode_jpeg(buf, len, lim, &img); break;
    case ZT_IMAGE_FORMAT_PNG: rc = decode_png(buf, len, lim, &img); break;
    case ZT_IMAGE_FORMAT_WEBP: rc = decode_webp(buf, len, lim, &img); break;
    default:
        zt_seterr("unknown image format (not JPEG, PNG or WebP)");
        return ZT_EFORMAT;
    }
    if (rc) return rc;
    if (want_c && want_c != img.c) {
        struct zt_image conv;
        rc = zt_image_convert(&img, want_c, &conv);
        zt_image_free(&img);
        if (rc) return rc;
        img = conv;
    }
    *out = img;
    return ZT_OK;
}

int zt_image_load(const char *path, int want_c, const struct zt_image_limits *lim,
                  struct zt_image *out)
{
    struct zt_buf b = {0};
    int rc = zt_file_read(path, MAX_FILE_BYTES, &b); /* message names the path */
    if (rc == ZT_OK) {
        rc = zt_image_decode(b.data, b.len, want_c, lim, out);
        if (rc) zt_adderr("%s", path);
    }
    zt_buf_deinit(&b);
    return rc;
}
