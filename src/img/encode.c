/* encode.c: PNG (libpng) and JPEG (libjpeg-turbo) encoding into a zt_buf,
 * and zt_image_save (format by file extension, atomic write). */
#include "image.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/zt.h"

#include <stdio.h> /* before jpeglib.h, which needs FILE */
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int check_image(const struct zt_image *im, const char *what)
{
    if (!im || !im->px || im->w <= 0 || im->h <= 0 || (im->c != 1 && im->c != 3 && im->c != 4)) {
        zt_seterr("%s: bad image", what);
        return ZT_EINVAL;
    }
    return ZT_OK;
}

/* --- PNG --- */

struct png_wctx {
    png_structp png;
    png_infop info;
    struct zt_buf *out;
    int rc; /* first append failure */
    char msg[256];
};

static void png_on_error(png_structp png, png_const_charp msg)
{
    struct png_wctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg) {}

static void png_on_write(png_structp png, png_bytep data, size_t n)
{
    struct png_wctx *c = png_get_io_ptr(png);
    int rc = zt_buf_append(c->out, data, n);
    if (rc) {
        c->rc = rc;
        png_error(png, "cannot grow the output buffer");
    }
}

static void png_on_flush(png_structp png) {}

static int png_wrun(struct png_wctx *c, const struct zt_image *im)
{
    if (setjmp(png_jmpbuf(c->png))) {
        if (c->rc) return c->rc; /* message set by zt_buf */
        zt_seterr("PNG encode: %s", c->msg);
        return ZT_EFORMAT;
    }
    static const int types[5] = {0, PNG_COLOR_TYPE_GRAY, 0, PNG_COLOR_TYPE_RGB,
                                 PNG_COLOR_TYPE_RGB_ALPHA};
    png_set_write_fn(c->png, c, png_on_write, png_on_flush);
    png_set_compression_level(c->png, 6);
    png_set_IHDR(c->png, c->info, (png_uint_32)im->w, (png_uint_32)im->h, 8, types[im->c],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(c->png, c->info);
    for (int y = 0; y < im->h; y++) png_write_row(c->png, zt_image_at(im, 0, y));
    png_write_end(c->png, NULL);
    return ZT_OK;
}

int zt_image_encode_png(const struct zt_image *im, struct zt_buf *out)
{
    int rc = check_image(im, "PNG encode");
    if (rc) return rc;
    struct png_wctx *c = calloc(1, sizeof *c);
    if (!c) {
        zt_seterr("PNG encode: out of memory");
        return ZT_ENOMEM;
    }
    c->out = out;
    size_t len0 = out->len;
    rc = ZT_ENOMEM;
    c->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, c, png_on_error, png_on_warning);
    if (c->png) c->info = png_create_info_struct(c->png);
    if (!c->png || !c->info) zt_seterr("PNG encode: out of memory");
    else rc = png_wrun(c, im);
    png_destroy_write_struct(&c->png, &c->info);
    free(c);
    if (rc) out->len = len0; /* drop a partial encoding */
    return rc;
}

/* --- JPEG --- */

struct jpeg_wctx {
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
    unsigned char *mem; /* libjpeg's growing output (malloc'd by jpeg_mem_dest) */
    unsigned long memlen;
};

static void jpeg_on_error(j_common_ptr cinfo)
{
    struct jpeg_wctx *c = (struct jpeg_wctx *)cinfo->client_data;
    cinfo->err->format_message(cinfo, c->msg);
    longjmp(c->jb, 1);
}

static void jpeg_on_message(j_common_ptr cinfo, int level) {}

static int jpeg_wrun(struct jpeg_wctx *c, const struct zt_image *im, int quality)
{
    struct jpeg_compress_struct *d = &c->cinfo;
    d->err = jpeg_std_error(&c->jerr);
    c->jerr.error_exit = jpeg_on_error;
    c->jerr.emit_message = jpeg_on_message;
    d->client_data = c;
    if (setjmp(c->jb)) {
        zt_seterr("JPEG encode: %s", c->msg);
        return ZT_EFORMAT;
    }
    jpeg_create_compress(d);
    d->client_data = c;
    jpeg_mem_dest(d, &c->mem, &c->memlen);
    d->image_width = (JDIMENSION)im->w;
    d->image_height = (JDIMENSION)im->h;
    d->input_components = im->c;
    d->in_color_space = im->c == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(d);
    jpeg_set_quality(d, quality, TRUE);
    jpeg_start_compress(d, TRUE);
    while (d->next_scanline < d->image_height) {
        JSAMPROW row = zt_image_at(im, 0, (int)d->next_scanline);
        jpeg_write_scanlines(d, &row, 1);
    }
    jpeg_finish_compress(d);
    return ZT_OK;
}

int zt_image_encode_jpeg(const struct zt_image *im, int quality, struct zt_buf *out)
{
    int rc = check_image(im, "JPEG encode");
    if (rc) return rc;
    if (im->c == 4 || quality < 1 || quality > 100) {
        zt_seterr("JPEG encode: %s", im->c == 4 ? "RGBA images cannot be saved as JPEG"
                                                : "quality must be in 1..100");
        return ZT_EINVAL;
    }
    struct jpeg_wctx *c = calloc(1, sizeof *c);
    if (!c) {
        zt_seterr("JPEG encode: out of memory");
        return ZT_ENOMEM;
    }
    rc = jpeg_wrun(c, im, quality);
    jpeg_destroy_compress(&c->cinfo);
    if (rc == ZT_OK) rc = zt_buf_append(out, c->mem, c->memlen);
    free(c->mem);
    free(c);
    return rc;
}

/* --- save --- */

int zt_image_save(const struct zt_image *im, const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && slash && dot < slash) dot = NULL;
    struct zt_buf b = {0};
    int rc;
    if (dot && !strcasecmp(dot, ".png")) rc = zt_image_encode_png(im, &b);
    else if (dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg")))
        rc = zt_image_encode_jpeg(im, 90, &b);
    else {
        zt_seterr("%s: unknown extension (use .png, .jpg or .jpeg)", path);
        return ZT_EINVAL;
    }
    if (rc) zt_adderr("%s", path);
    else rc = zt_file_write_atomic(path, b.data, b.len);
    zt_buf_deinit(&b);
    return rc;
}
