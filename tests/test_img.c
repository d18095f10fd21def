/* test_img.c: the image module: every decoder path (JPEG, PNG colour types,
 * WebP), hostile inputs, limits, EXIF orientation, encode round trips,
 * geometry, colour spaces and SSIM/PSNR against skimage golden values
 * (tests/data/img, made by scripts/gen_img_golden.py). */
#include "test.h"
#include "../src/img/image.h"
#include "../src/util/buf.h"
#include "../src/util/fs.h"
#include "../src/util/zt.h"

#include <stdio.h> /* before jpeglib.h */
#include <dirent.h>
#include <jansson.h>
#include <jpeglib.h>
#include <libexif/exif-data.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <webp/encode.h>

/* --- fixture builders --- */

static void png_append(png_structp png, png_bytep d, size_t n)
{
    zt_buf_append(png_get_io_ptr(png), d, n);
}
static void png_noflush(png_structp png) {}

/* Encodes rows (h rows of rowbytes) with libpng in the given colour type and
 * bit depth; pal/npal and trns/ntrns optional. Returns bytes in *out. */
static void make_png(struct zt_buf *out, int w, int h, int ctype, int depth, int interlace,
                     const uint8_t *data, size_t rowbytes, const png_color *pal, int npal,
                     const uint8_t *trns, int ntrns)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        zt_test_fail(__FILE__, __LINE__, "libpng failed building a fixture");
        png_destroy_write_struct(&png, &info);
        return;
    }
    png_set_write_fn(png, out, png_append, png_noflush);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, ctype,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (pal) png_set_PLTE(png, info, pal, npal);
    if (trns) png_set_tRNS(png, info, trns, ntrns, NULL);
    png_write_info(png, info);
    if (depth == 16) png_set_swap(png); /* rows hold host-order uint16 below */
    int passes = png_set_interlace_handling(png);
    for (int p = 0; p < passes; p++)
        for (int y = 0; y < h; y++) png_write_row(png, data + (size_t)y * rowbytes);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
}

/* w x h RGB gradient with distinct values per pixel. */
static void fill_pattern(struct zt_image *im)
{
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++)
            for (int c = 0; c < im->c; c++)
                zt_image_at(im, x, y)[c] = (uint8_t)(x * 7 + y * 13 + c * 50);
}

static double mean_abs_diff(const struct zt_image *a, const struct zt_image *b)
{
    size_t n = (size_t)a->w * a->h * a->c;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += abs((int)a->px[i] - (int)b->px[i]);
    return s / n;
}

static int max_abs_diff(const struct zt_image *a, const struct zt_image *b)
{
    size_t n = (size_t)a->w * a->h * a->c;
    int m = 0;
    for (size_t i = 0; i < n; i++) m = ZT_MAX(m, abs((int)a->px[i] - (int)b->px[i]));
    return m;
}

/* A JPEG of im (RGB) with an EXIF APP1 carrying orientation v (0 = no
 * EXIF); progressive if prog. */
static void make_exif_jpeg(const struct zt_image *im, int v, int prog, struct zt_buf *out)
{
    unsigned char *exif_bytes = NULL;
    unsigned int exif_len = 0;
    if (v) {
        ExifData *ed = exif_data_new();
        exif_data_set_byte_order(ed, v % 2 ? EXIF_BYTE_ORDER_INTEL : EXIF_BYTE_ORDER_MOTOROLA);
        ExifEntry *e = exif_entry_new();
        exif_content_add_entry(ed->ifd[EXIF_IFD_0], e);
        exif_entry_initialize(e, EXIF_TAG_ORIENTATION);
        exif_set_short(e->data, exif_data_get_byte_order(ed), (ExifShort)v);
        exif_entry_unref(e);
        exif_data_save_data(ed, &exif_bytes, &exif_len);
        exif_data_unref(ed);
        CHECK(exif_bytes && exif_len > 6);
    }
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    unsigned char *mem = NULL;
    unsigned long memlen = 0;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &mem, &memlen);
    cinfo.image_width = (JDIMENSION)im->w;
    cinfo.image_height = (JDIMENSION)im->h;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, 95, TRUE);
    if (prog) jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    if (exif_bytes) jpeg_write_marker(&cinfo, JPEG_APP0 + 1, exif_bytes, exif_len);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = zt_image_at(im, 0, (int)cinfo.next_scanline);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    zt_buf_append(out, mem, memlen);
    free(mem);
    free(exif_bytes);
}

static json_t *load_golden(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/img/golden.json", zt_test_datadir());
    json_error_t err;
    json_t *doc = json_load_file(path, 0, &err);
    CHECK_MSG(doc != NULL, "%s: %s", path, err.text);
    return doc;
}

static int load_data(const char *name, int want_c, struct zt_image *im)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/img/%s", zt_test_datadir(), name);
    return zt_image_load(path, want_c, NULL, im);
}

/* --- sniffing and PNG colour types --- */

TEST(img, sniff)
{
    static const uint8_t jpg[] = {0xff, 0xd8, 0xff, 0xe0};
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    static const uint8_t webp[] = "RIFF\x10\0\0\0WEBPVP8L";
    CHECK_EQ_INT(zt_image_sniff(jpg, sizeof jpg), ZT_IMAGE_FORMAT_JPEG);
    CHECK_EQ_INT(zt_image_sniff(png, sizeof png), ZT_IMAGE_FORMAT_PNG);
    CHECK_EQ_INT(zt_image_sniff(png, 7), ZT_IMAGE_FORMAT_UNKNOWN);
    CHECK_EQ_INT(zt_image_sniff(webp, 16), ZT_IMAGE_FORMAT_WEBP);
    CHECK_EQ_INT(zt_image_sniff((const uint8_t *)"GIF89a", 6), ZT_IMAGE_FORMAT_UNKNOWN);
}

TEST(img, png_color_types)
{
    enum { W = 5, H = 3 };
    uint8_t data[W * H * 8];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 37 + 11);
    struct zt_image im;
    for (int il = 0; il < 2; il++) {
        /* gray 8-bit */
        struct zt_buf b = {0};
        make_png(&b, W, H, PNG_COLOR_TYPE_GRAY, 8, il, data, W, NULL, 0, NULL, 0);
        CHECK_OK(zt_image_decode(b.data, b.len, 0, NULL, &im));
        CHECK(im.w == W && im.h == H && im.c == 1);
        CHECK(im.px && !memcmp(im.px, data, W * H));
        zt_image_free(&im);
        zt_buf_deinit(&b);

        /* gray + alpha -> RGBA */
        make_png(&b, W, H, PNG_COLOR_TYPE_GRAY_ALPHA, 8, il, data, W * 2, NULL, 0, NULL, 0);
        CHECK_OK(zt_image_decode(b.data, b.len, 0, NULL, &im));
        CHECK(im.c == 4);
        for (int i = 0; im.px && i < W * H; i++) {
            CHECK(im.px[i * 4] == data[i * 2] && im.px[i * 4 + 2] == data[i * 2]);
            CHECK(im.px[i * 4 + 3] == data[i * 2 + 1]);
        }
        zt_image_free(&im);
        zt_buf_deinit(&b);

        /* RGB and RGBA exact */
        for (int c = 3; c <= 4; c++) {
            make_png(&b, W, H, c == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGB_ALPHA, 8, il, data,
                     (size_t)W * c, NULL, 0, NULL, 0);
            CHECK_OK(zt_image_decode(b.data, b.len, 0, NULL, &im));
            CHECK(im.c == c && im.px && !memcmp(im.px, data, (size_t)W * H * c));
            zt_image_free(&im);
            zt_buf_deinit(&b);
        }

        /* palette, without and with tRNS */
        png_color pal[4] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {10, 20, 30}};
        uint8_t idx[W * H], trns[4] = {255, 0, 128, 255};
        for (int i = 0; i < W * H; i++) idx[i] = (uint8_t)(i % 4);
        for (int t = 0; t < 2; t++) {
            make_png(&b, W, H, PNG_COLOR_TYPE_PALETTE, 8, il, idx, W, pal, 4, t ? trns : NULL, 4);
            CHECK_OK(zt_image_decode(b.data, b.len, 0, NULL, &im));
            CHECK(im.c == (t ? 4 : 3));
            for (int i = 0; im.px && i < W * H; i++) {
                const uint8_t *p = im.px + (size_t)i * im.c;
                const png_color *e = &pal[i % 4];
                CHECK(p[0] == e->red && p[1] == e->green && p[2] == e->blue);
                if (t) CHECK(p[3] == trns[i % 4]);
            }
            zt_image_free(&im);
            zt_buf_deinit(&b);
        }

        /* 16-bit RGB: scaled to 8 bits with rounding (v * 255 / 65535) */
        uint16_t d16[W * H * 3];
        for (int i = 0; i < W * H * 3; i++) d16[i] = (uint16_t)(i * 4099 + 7);
        make_png(&b, W, H, PNG_COLOR_TYPE_RGB, 16, il, (const uint8_t *)d16, W * 6, NULL, 0, NULL, 0);
        CHECK_OK(zt_image_decode(b.data, b.len, 0, NULL, &im));
        CHECK(im.c == 3);
        for (int i = 0; im.px && i < W * H * 3; i++)
            CHECK_MSG(abs(im.px[i] - (int)(d16[i] * 255.0 / 65535 + 0.5)) <= 0, "16-bit sample %d: %d vs %u", i,
                      im.px[i], d16[i]);
        zt_image_free(&im);
        zt_buf_deinit(&b);

        /* 1-bit gray expands to 0/255 */
        uint8_t bits[H] = {0xa8, 0x50, 0xf8}; /* 10101, 01010, 11111 */
        make_png(&b, W, H, PNG_COLOR_TYPE_GRAY, 1, il, bits, 1, NULL, 0, NULL, 0);
        CHECK_OK(zt_image_decode(b.data, b.len, 0, NULL, &im));
        CHECK(im.c == 1);
        for (int y = 0; im.px && y < H; y++)
            for (int x = 0; x < W; x++)
                CHECK(*zt_image_at(&im, x, y) == ((bits[y] >> (7 - x)) & 1 ? 255 : 0));
        zt_image_free(&im);
        zt_buf_deinit(&b);
    }
}

TEST(img, want_channels)
{
    struct zt_image rgba, im;
    CHECK_OK(zt_image_new(&rgba, 2, 1, 4));
    uint8_t px[8] = {200, 100, 50, 255, 200, 100, 50, 0};
    memcpy(rgba.px, px, 8);
    struct zt_buf b = {0};
    CHECK_OK(zt_image_encode_png(&rgba, &b));
    CHECK_OK(zt_image_decode(b.data, b.len, 3, NULL, &im));
    CHECK(im.c == 3 && im.px[0] == 200 && im.px[1] == 100 && im.px[2] == 50);
    CHECK(im.px[3] == 255 && im.px[4] == 255 && im.px[5] == 255); /* transparent -> white */
    zt_image_free(&im);
    CHECK_OK(zt_image_decode(b.data, b.len, 1, NULL, &im));
    /* 0.299*200 + 0.587*100 + 0.114*50 = 124.2 -> 124 */
    CHECK(im.c == 1 && im.px[0] == 124 && im.px[1] == 255);
    zt_image_free(&im);
    CHECK_RC(zt_image_decode(b.data, b.len, 2, NULL, &im), ZT_EINVAL);
    zt_buf_deinit(&b);
    zt_image_free(&rgba);
}

/* --- JPEG / WebP / encode round trips --- */

TEST(img, png_roundtrip)
{
    for (int c = 1; c <= 4; c++) {
        if (c == 2) continue;
        struct zt_image a, d;
        CHECK_OK(zt_image_new(&a, 17, 9, c));
        fill_pattern(&a);
        struct zt_buf b = {0};
        CHECK_OK(zt_image_encode_png(&a, &b));
        CHECK_OK(zt_image_decode(b.data, b.len, 0, NULL, &d));
        CHECK(d.w == 17 && d.h == 9 && d.c == c && !memcmp(a.px, d.px, 17 * 9 * (size_t)c));
        zt_image_free(&d);
        zt_image_free(&a);
        zt_buf_deinit(&b);
    }
}

TEST(img, jpeg_rgb_gray)
{
    for (int c = 1; c <= 3; c += 2) {
        struct zt_image a, d;
        CHECK_OK(zt_image_new(&a, 40, 24, c));
        for (int y = 0; y < 24; y++) /* smooth, so JPEG keeps it close */
            for (int x = 0; x < 40; x++)
                for (int ch = 0; ch < c; ch++) zt_image_at(&a, x, y)[ch] = (uint8_t)(x * 4 + y * 2 + ch * 30);
        struct zt_buf b = {0};
        CHECK_OK(zt_image_encode_jpeg(&a, 95, &b));
        CHECK(b.len > 100 && zt_image_sniff(b.data, b.len) == ZT_IMAGE_FORMAT_JPEG);
        CHECK_OK(zt_image_decode(b.data, b.len, 0, NULL, &d));
        CHECK(d.w == 40 && d.h == 24 && d.c == c);
        if (d.px) CHECK_MSG(mean_abs_diff(&a, &d) < 2.0, "c=%d mean diff %g", c, mean_abs_diff(&a, &d));
        zt_image_free(&d);
        /* gray JPEG asked as RGB, RGB JPEG asked as gray */
        CHECK_OK(zt_image_decode(b.data, b.len, c == 1 ? 3 : 1, NULL, &d));
        CHECK(d.c == (c == 1 ? 3 : 1) && d.w == 40);
        zt_image_free(&d);
        zt_image_free(&a);
        zt_buf_deinit(&b);
    }
    struct zt_image rgba;
    struct zt_buf b = {0};
    CHECK_OK(zt_image_new(&rgba, 4, 4, 4));
    CHECK_RC(zt_image_encode_jpeg(&rgba, 90, &b), ZT_EINVAL);
    rgba.c = 3;
    CHECK_RC(zt_image_encode_jpeg(&rgba, 0, &b), ZT_EINVAL);
    zt_image_free(&rgba);
}

TEST(img, jpeg_cmyk)
{
    /* Adobe (inverted) CMYK as Photoshop writes it: stored c = 255 - C, so
     * (200,100,50, k=255) is RGB (200,100,50) and k=128 halves it */
    enum { W = 16, H = 8 };
    uint8_t px[W * H * 4];
    for (int i = 0; i < W * H; i++) {
        uint8_t v[4] = {200, 100, 50, (uint8_t)(i % W < W / 2 ? 255 : 128)};
        memcpy(px + i * 4, v, 4);
    }
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    unsigned char *mem = NULL;
    unsigned long memlen = 0;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &mem, &memlen);
    cinfo.image_width = W, cinfo.image_height = H;
    cinfo.input_components = 4;
    cinfo.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, 95, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < H) {
        JSAMPROW row = px + (size_t)cinfo.next_scanline * W * 4;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    struct zt_image im;
    CHECK_OK(zt_image_decode(mem, memlen, 0, NULL, &im));
    CHECK(im.c == 3 && im.w == W && im.h == H);
    if (im.px) {
        const uint8_t *a = zt_image_at(&im, 2, 4), *b = zt_image_at(&im, 13, 4);
        CHECK_MSG(abs(a[0] - 200) <= 3 && abs(a[1] - 100) <= 3 && abs(a[2] - 50) <= 3, "%d %d %d",
                  a[0], a[1], a[2]);
        CHECK_MSG(abs(b[0] - 100) <= 3 && abs(b[1] - 50) <= 3 && abs(b[2] - 25) <= 3, "%d %d %d",
                  b[0], b[1], b[2]);
    }
    zt_image_free(&im);
    free(mem);
}

TEST(img, webp)
{
    struct zt_image a, d;
    CHECK_OK(zt_image_new(&a, 21, 13, 4));
    fill_pattern(&a);
    for (int i = 0; i < 21 * 13; i++) a.px[i * 4 + 3] |= 1; /* alpha 0 lets the encoder drop RGB */
    uint8_t *enc = NULL;
    size_t n = WebPEncodeLosslessRGBA(a.px, a.w, a.h, a.w * 4, &enc);
    CHECK(n > 0);
    CHECK_OK(zt_image_decode(enc, n, 0, NULL, &d));
    CHECK(d.c == 4 && d.w == 21 && d.h == 13 && d.px && !memcmp(a.px, d.px, 21 * 13 * 4));
    zt_image_free(&d);
    WebPFree(enc);

    struct zt_image rgb;
    CHECK_OK(zt_image_convert(&a, 3, &rgb));
    /* (0,50,100) at alpha 151 over white: (v*151 + 255*104 + 127) / 255 */
    CHECK(rgb.px[0] == 104 && rgb.px[1] == 134 && rgb.px[2] == 163);
    n = WebPEncodeLosslessRGB(rgb.px, rgb.w, rgb.h, rgb.w * 3, &enc);
    CHECK_OK(zt_image_decode(enc, n, 0, NULL, &d));
    CHECK(d.c == 3 && d.px && !memcmp(rgb.px, d.px, 21 * 13 * 3));
    zt_image_free(&d);
    WebPFree(enc);

    for (int y = 0; y < rgb.h; y++) /* smooth content for the lossy codec */
        for (int x = 0; x < rgb.w; x++)
            for (int ch = 0; ch < 3; ch++) zt_image_at(&rgb, x, y)[ch] = (uint8_t)(60 + x * 3 + y * 2 + ch * 20);
    n = WebPEncodeRGB(rgb.px, rgb.w, rgb.h, rgb.w * 3, 95, &enc);
    CHECK_OK(zt_image_decode(enc, n, 0, NULL, &d));
    CHECK(d.c == 3 && d.w == 21);
    if (d.px) CHECK_MSG(mean_abs_diff(&rgb, &d) < 4.0, "lossy webp diff %g", mean_abs_diff(&rgb, &d));
    zt_image_free(&d);
    WebPFree(enc);
    zt_image_free(&rgb);
    zt_image_free(&a);
}

/* --- hostile inputs --- */

/* Every prefix in lens (and zero bytes) must give ZT_EFORMAT. */
static void check_truncations(const char *what, const uint8_t *buf, size_t len)
{
    size_t cuts[] = {1, 2, 3, 8, 12, 20, 40, len / 4, len / 2, len * 3 / 4, len - 20, len - 3, len - 2, len - 1};
    struct zt_image im = {0};
    CHECK_RC(zt_image_decode(buf, 0, 0, NULL, &im), ZT_EFORMAT);
    for (size_t i = 0; i < ZT_ARRAY_LEN(cuts); i++) {
        if (cuts[i] >= len) continue;
        int rc = zt_image_decode(buf, cuts[i], 0, NULL, &im);
        CHECK_MSG(rc == ZT_EFORMAT, "%s cut at %zu of %zu: rc %d (%s)", what, cuts[i], len, rc, zt_errmsg());
        CHECK(im.px == NULL); /* untouched on failure */
        if (rc == ZT_OK) zt_image_free(&im);
    }
}

TEST(img, truncated_and_corrupt)
{
    struct zt_image a, im = {0};
    CHECK_OK(zt_image_new(&a, 32, 24, 3));
    fill_pattern(&a);
    struct zt_buf jpg = {0}, png = {0};
    CHECK_OK(zt_image_encode_jpeg(&a, 90, &jpg));
    CHECK_OK(zt_image_encode_png(&a, &png));
    uint8_t *webp = NULL;
    size_t nwebp = WebPEncodeRGB(a.px, a.w, a.h, a.w * 3, 80, &webp);
    uint8_t *webpl = NULL;
    size_t nwebpl = WebPEncodeLosslessRGB(a.px, a.w, a.h, a.w * 3, &webpl);
    check_truncations("jpeg", jpg.data, jpg.len);
    struct zt_buf prog = {0}, base = {0};
    struct zt_image ib = {0};
    make_exif_jpeg(&a, 0, 1, &prog); /* same coefficients as base, rearranged in scans */
    make_exif_jpeg(&a, 0, 0, &base);
    CHECK_OK(zt_image_decode(prog.data, prog.len, 0, NULL, &im));
    CHECK_OK(zt_image_decode(base.data, base.len, 0, NULL, &ib));
    CHECK(prog.len != base.len && im.px && ib.px && max_abs_diff(&ib, &im) <= 1);
    zt_image_free(&im);
    zt_image_free(&ib);
    zt_buf_deinit(&base);
    check_truncations("progressive jpeg", prog.data, prog.len);
    zt_buf_deinit(&prog);
    check_truncations("png", png.data, png.len);
    check_truncations("webp", webp, nwebp);
    check_truncations("webp lossless", webpl, nwebpl);
    CHECK(strstr(zt_errmsg(), "WebP") != NULL);
    CHECK_RC(zt_image_decode(jpg.data, jpg.len / 2, 0, NULL, &im), ZT_EFORMAT);
    CHECK_MSG(strstr(zt_errmsg(), "truncated") != NULL, "message: %s", zt_errmsg());

    /* garbage, with and without a valid magic in front */
    uint8_t junk[4096];
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (uint8_t)((s = s * 1103515245 + 12345) >> 16);
    CHECK_RC(zt_image_decode(junk, sizeof junk, 0, NULL, &im), ZT_EFORMAT);
    CHECK(strstr(zt_errmsg(), "unknown image format") != NULL);
    const uint8_t *magic[3] = {jpg.data, png.data, webp};
    size_t mlen[3] = {4, 8, 16};
    for (int f = 0; f < 3; f++) {
        memcpy(junk, magic[f], mlen[f]);
        CHECK_RC(zt_image_decode(junk, sizeof junk, 0, NULL, &im), ZT_EFORMAT);
    }

    /* flipped bytes anywhere must never crash; a success must be a sane image */
    struct zt_buf *bufs[2] = {&jpg, &png};
    for (int f = 0; f < 2; f++) {
        for (size_t pos = 2; pos < bufs[f]->len; pos += 7) {
            uint8_t *copy = malloc(bufs[f]->len);
            memcpy(copy, bufs[f]->data, bufs[f]->len);
            copy[pos] ^= 0x5a;
            int rc = zt_image_decode(copy, bufs[f]->len, 0, NULL, &im);
            CHECK(rc == ZT_OK || rc == ZT_EFORMAT || rc == ZT_ETOOBIG);
            if (rc == ZT_OK) {
                CHECK(im.w > 0 && im.h > 0 && im.px);
                zt_image_free(&im);
            }
            free(copy);
        }
    }
    WebPFree(webp);
    WebPFree(webpl);
    zt_buf_deinit(&jpg);
    zt_buf_deinit(&png);
    zt_image_free(&a);
}

/* CRC-32 as PNG chunks use it (bitwise; fixtures only) */
static uint32_t crc32_png(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

TEST(img, too_big)
{
    struct zt_image a, im = {0};
    CHECK_OK(zt_image_new(&a, 16, 8, 3));
    fill_pattern(&a);

    /* PNG: IHDR claiming 100000 x 100000 (valid CRC), cut right after IHDR:
     * the refusal must come from the header, before any pixel data is read */
    struct zt_buf png = {0};
    CHECK_OK(zt_image_encode_png(&a, &png));
    CHECK(!memcmp(png.data + 12, "IHDR", 4));
    put_be32(png.data + 16, 100000);
    put_be32(png.data + 20, 100000);
    put_be32(png.data + 29, crc32_png(png.data + 12, 17));
    CHECK_RC(zt_image_decode(png.data, 33, 0, NULL, &im), ZT_ETOOBIG);
    CHECK(strstr(zt_errmsg(), "100000x100000") != NULL);
    CHECK_RC(zt_image_decode(png.data, png.len, 0, NULL, &im), ZT_ETOOBIG);
    CHECK(im.px == NULL);

    /* JPEG: SOF0 claiming 60000 x 60000 (JPEG's fields are 16-bit) */
    struct zt_buf jpg = {0};
    CHECK_OK(zt_image_encode_jpeg(&a, 90, &jpg));
    size_t sof = 0;
    for (size_t i = 2; i + 9 < jpg.len; i++)
        if (jpg.data[i] == 0xff && jpg.data[i + 1] == 0xc0) {
            sof = i;
            break;
        }
    CHECK(sof > 0);
    jpg.data[sof + 5] = 60000 >> 8, jpg.data[sof + 6] = 60000 & 255;
    jpg.data[sof + 7] = 60000 >> 8, jpg.data[sof + 8] = 60000 & 255;
    CHECK_RC(zt_image_decode(jpg.data, jpg.len, 0, NULL, &im), ZT_ETOOBIG);

    /* WebP lossless: VP8L header with 14-bit width-1/height-1 = 16383 */
    uint8_t *webp = NULL;
    size_t n = WebPEncodeLosslessRGB(a.px, a.w, a.h, a.w * 3, &webp);
    CHECK(n > 25 && !memcmp(webp + 12, "VP8L", 4) && webp[20] == 0x2f);
    uint32_t bits = (uint32_t)webp[21] | (uint32_t)webp[22] << 8 | (uint32_t)webp[23] << 16 |
                    (uint32_t)webp[24] << 24;
    bits |= 0x3fffu | 0x3fffu << 14; /* width-1 and height-1 fields all ones */
    webp[21] = (uint8_t)bits, webp[22] = (uint8_t)(bits >> 8), webp[23] = (uint8_t)(bits >> 16),
    webp[24] = (uint8_t)(bits >> 24);
    CHECK_RC(zt_image_decode(webp, n, 0, NULL, &im), ZT_ETOOBIG);
    WebPFree(webp);

    /* caller limits: width, height, pixel count */
    struct zt_buf ok = {0};
    CHECK_OK(zt_image_encode_png(&a, &ok));
    struct zt_image_limits l1 = {15, 100, 1000}, l2 = {100, 7, 1000}, l3 = {100, 100, 127},
                           l4 = {16, 8, 128};
    CHECK_RC(zt_image_decode(ok.data, ok.len, 0, &l1, &im), ZT_ETOOBIG);
    CHECK_RC(zt_image_decode(ok.data, ok.len, 0, &l2, &im), ZT_ETOOBIG);
    CHECK_RC(zt_image_decode(ok.data, ok.len, 0, &l3, &im), ZT_ETOOBIG);
    CHECK_OK(zt_image_decode(ok.data, ok.len, 0, &l4, &im));
    zt_image_free(&im);
    zt_buf_deinit(&ok);
    zt_buf_deinit(&png);
    zt_buf_deinit(&jpg);
    zt_image_free(&a);
}

/* --- EXIF orientation --- */

TEST(img, exif_orientation)
{
    /* 32x16 source in four quadrants: TL red, TR green, BL blue, BR white */
    static const uint8_t R[3] = {255, 0, 0}, G[3] = {0, 255, 0}, B[3] = {0, 0, 255},
                         W[3] = {255, 255, 255};
    const uint8_t *quad[4] = {R, G, B, W};
    struct zt_image src;
    CHECK_OK(zt_image_new(&src, 32, 16, 3));
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 32; x++) memcpy(zt_image_at(&src, x, y), quad[(y >= 8) * 2 + (x >= 16)], 3);
    /* expected colours at the output's TL, TR, BL, BR corners per orientation */
    const uint8_t *want[9][4] = {
        {0},          {R, G, B, W}, {G, R, W, B}, {W, B, G, R}, {B, W, R, G},
        {R, B, G, W}, {B, R, W, G}, {W, G, B, R}, {G, W, R, B},
    };
    for (int v = 0; v <= 8; v++) {
        struct zt_buf b = {0};
        make_exif_jpeg(&src, v, v == 6, &b); /* 6: progressive too */
        struct zt_image im;
        CHECK_OK(zt_image_decode(b.data, b.len, 0, NULL, &im));
        zt_buf_deinit(&b);
        int swap = v >= 5;
        CHECK_MSG(im.w == (swap ? 16 : 32) && im.h == (swap ? 32 : 16), "orientation %d: %dx%d", v,
                  im.w, im.h);
        if (!im.px) continue;
        int qx[2] = {im.w / 4, im.w * 3 / 4}, qy[2] = {im.h / 4, im.h * 3 / 4};
        for (int q = 0; q < 4; q++) {
            const uint8_t *p = zt_image_at(&im, qx[q % 2], qy[q / 2]);
            const uint8_t *e = want[v ? v : 1][q];
            CHECK_MSG(abs(p[0] - e[0]) < 40 && abs(p[1] - e[1]) < 40 && abs(p[2] - e[2]) < 40,
                      "orientation %d corner %d: got %d,%d,%d want %d,%d,%d", v, q, p[0], p[1],
                      p[2], e[0], e[1], e[2]);
        }
        zt_image_free(&im);
    }
    zt_image_free(&src);

    /* exact pixels on a 3x2 gray image: 0 1 2 / 3 4 5 */
    struct zt_image t, o;
    CHECK_OK(zt_image_new(&t, 3, 2, 1));
    for (int i = 0; i < 6; i++) t.px[i] = (uint8_t)i;
    static const uint8_t exp[9][6] = {{0},
                                      {0, 1, 2, 3, 4, 5}, {2, 1, 0, 5, 4, 3}, {5, 4, 3, 2, 1, 0},
                                      {3, 4, 5, 0, 1, 2}, {0, 3, 1, 4, 2, 5}, {3, 0, 4, 1, 5, 2},
                                      {5, 2, 4, 1, 3, 0}, {2, 5, 1, 4, 0, 3}};
    for (int v = 1; v <= 8; v++) {
        CHECK_OK(zt_image_orient(&t, v, &o));
        CHECK(o.w == (v >= 5 ? 2 : 3));
        CHECK_MSG(!memcmp(o.px, exp[v], 6), "orient %d: %d %d %d %d %d %d", v, o.px[0], o.px[1],
                  o.px[2], o.px[3], o.px[4], o.px[5]);
        zt_image_free(&o);
    }
    CHECK_RC(zt_image_orient(&t, 9, &o), ZT_EINVAL);
    zt_image_free(&t);
}

/* --- geometry --- */

TEST(img, resize_constant_and_sizes)
{
    struct zt_image a, r;
    CHECK_OK(zt_image_new(&a, 37, 23, 3));
    uint8_t col[3] = {17, 200, 99};
    zt_image_fill(&a, col);
    int sizes[][2] = {{1, 1}, {5, 3}, {36, 22}, {37, 23}, {80, 9}, {200, 150}, {3, 100}};
    for (size_t i = 0; i < ZT_ARRAY_LEN(sizes); i++) {
        CHECK_OK(zt_image_resize(&a, sizes[i][0], sizes[i][1], &r));
        CHECK(r.w == sizes[i][0] && r.h == sizes[i][1] && r.c == 3);
        for (int p = 0; r.px && p < r.w * r.h; p++)
            CHECK_MSG(!memcmp(r.px + p * 3, col, 3), "%dx%d pixel %d not constant", r.w, r.h, p);
        zt_image_free(&r);
    }
    CHECK_RC(zt_image_resize(&a, 0, 5, &r), ZT_EINVAL);
    zt_image_free(&a);
}

TEST(img, resize_antialias)
{
    /* 1-pixel checkerboard shrunk 8x must average to mid grey everywhere;
     * point sampling would give pure black/white */
    struct zt_image a, r;
    CHECK_OK(zt_image_new(&a, 64, 64, 1));
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++) *zt_image_at(&a, x, y) = (x + y) % 2 ? 255 : 0;
    CHECK_OK(zt_image_resize(&a, 8, 8, &r));
    for (int i = 0; i < 64; i++) CHECK_MSG(abs(r.px[i] - 128) <= 4, "pixel %d = %d", i, r.px[i]);
    zt_image_free(&r);
    CHECK_OK(zt_image_resize(&a, 13, 7, &r)); /* non-integer factors */
    for (int i = 0; i < 13 * 7; i++) CHECK_MSG(abs(r.px[i] - 128) <= 12, "pixel %d = %d", i, r.px[i]);
    zt_image_free(&r);
    zt_image_free(&a);
}

TEST(img, resize_matches_pil)
{
    json_t *doc = load_golden();
    struct zt_image src;
    CHECK_OK(load_data("resize_src.png", 3, &src));
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, "resize"), i, e) {
        int w = (int)json_integer_value(json_object_get(e, "w"));
        int h = (int)json_integer_value(json_object_get(e, "h"));
        struct zt_image want, got;
        CHECK_OK(load_data(json_string_value(json_object_get(e, "file")), 3, &want));
        CHECK_OK(zt_image_resize(&src, w, h, &got));
        CHECK(want.w == w && want.h == h && got.w == w && got.h == h);
        if (want.px && got.px)
            CHECK_MSG(max_abs_diff(&want, &got) <= 1, "%dx%d: max diff %d vs PIL", w, h,
                      max_abs_diff(&want, &got));
        zt_image_free(&want);
        zt_image_free(&got);
    }
    zt_image_free(&src);
    json_decref(doc);
}

TEST(img, letterbox)
{
    struct zt_image a, o;
    CHECK_OK(zt_image_new(&a, 100, 50, 3));
    uint8_t red[3] = {255, 0, 0}, bg[3] = {1, 2, 3};
    zt_image_fill(&a, red);
    int sx, sy, sw, sh;
    CHECK_OK(zt_image_letterbox(&a, 64, bg, &o, &sx, &sy, &sw, &sh));
    CHECK(o.w == 64 && o.h == 64 && o.c == 3);
    CHECK(sx == 0 && sy == 16 && sw == 64 && sh == 32);
    CHECK(!memcmp(zt_image_at(&o, 10, 15), bg, 3) && !memcmp(zt_image_at(&o, 10, 48), bg, 3));
    CHECK(!memcmp(zt_image_at(&o, 0, 16), red, 3) && !memcmp(zt_image_at(&o, 63, 47), red, 3));
    zt_image_free(&o);
    zt_image_free(&a);

    /* tall, odd padding: 30x70 -> 35: content 15x35 at x=10 */
    CHECK_OK(zt_image_new(&a, 30, 70, 1));
    uint8_t g = 77, z = 0;
    zt_image_fill(&a, &g);
    CHECK_OK(zt_image_letterbox(&a, 35, &z, &o, &sx, &sy, &sw, &sh));
    CHECK(sx == 10 && sy == 0 && sw == 15 && sh == 35);
    CHECK(*zt_image_at(&o, 9, 5) == 0 && *zt_image_at(&o, 10, 5) == 77 && *zt_image_at(&o, 24, 34) == 77 &&
          *zt_image_at(&o, 25, 34) == 0);
    zt_image_free(&o);
    zt_image_free(&a);
}

TEST(img, crop_flip_paste)
{
    struct zt_image a, c, p;
    CHECK_OK(zt_image_new(&a, 6, 4, 1));
    for (int i = 0; i < 24; i++) a.px[i] = (uint8_t)i;
    CHECK_OK(zt_image_crop(&a, 2, 1, 3, 2, &c));
    static const uint8_t cw[6] = {8, 9, 10, 14, 15, 16};
    CHECK(c.w == 3 && c.h == 2 && !memcmp(c.px, cw, 6));
    zt_image_flip_h(&c);
    static const uint8_t fw[6] = {10, 9, 8, 16, 15, 14};
    CHECK(!memcmp(c.px, fw, 6));
    CHECK_RC(zt_image_crop(&a, 4, 0, 3, 2, &p), ZT_EINVAL);
    CHECK_RC(zt_image_crop(&a, -1, 0, 3, 2, &p), ZT_EINVAL);
    /* paste clipped at the top-left and at the bottom-right */
    CHECK_OK(zt_image_new(&p, 4, 3, 1));
    zt_image_paste(&p, &c, -1, -1); /* only c(1..2, 1) lands at (0..1, 0) */
    CHECK(p.px[0] == 15 && p.px[1] == 14 && p.px[2] == 0 && p.px[4] == 0);
    zt_image_paste(&p, &c, 3, 2); /* only c(0,0) lands at (3,2) */
    CHECK(p.px[11] == 10 && p.px[10] == 0);
    zt_image_paste(&p, &c, 10, 10); /* fully outside: no-op */
    zt_image_free(&p);
    zt_image_free(&c);
    zt_image_free(&a);
}

/* --- colour --- */

TEST(img, lab_golden)
{
    json_t *doc = load_golden();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, "lab"), i, e) {
        json_t *rgbj = json_object_get(e, "rgb"), *labj = json_object_get(e, "lab");
        uint8_t rgb[3], back[3];
        float lab[3];
        for (int k = 0; k < 3; k++) rgb[k] = (uint8_t)json_integer_value(json_array_get(rgbj, k));
        zt_rgb_to_lab(rgb, lab);
        for (int k = 0; k < 3; k++) CHECK_NEAR(lab[k], json_real_value(json_array_get(labj, k)), 1e-3);
        zt_lab_to_rgb(lab, back);
        CHECK(!memcmp(rgb, back, 3));
    }
    json_array_foreach(json_object_get(doc, "ciede2000"), i, e) {
        float l1[3], l2[3];
        for (int k = 0; k < 3; k++) {
            l1[k] = (float)json_number_value(json_array_get(json_object_get(e, "lab1"), k));
            l2[k] = (float)json_number_value(json_array_get(json_object_get(e, "lab2"), k));
        }
        CHECK_NEAR(zt_delta_e2000(l1, l2), json_real_value(json_object_get(e, "de")), 1e-3);
        CHECK_NEAR(zt_delta_e2000(l2, l1), json_real_value(json_object_get(e, "de")), 1e-3);
    }
    json_decref(doc);
    /* Sharma et al. 2005 test pairs 1 and 17 */
    float s1[3] = {50, 2.6772f, -79.7751f}, s2[3] = {50, 0, -82.7485f};
    CHECK_NEAR(zt_delta_e2000(s1, s2), 2.0425, 1e-4);
    float s3[3] = {50, 2.5f, 0}, s4[3] = {73, 25, -18};
    CHECK_NEAR(zt_delta_e2000(s3, s4), 27.1492, 1e-4);
    CHECK_NEAR(zt_delta_e2000(s1, s1), 0.0, 1e-6);
}

TEST(img, lab_hsv_roundtrip)
{
    int bad_lab = 0, bad_hsv = 0;
    for (int r = 0; r < 256; r += 5)
        for (int g = 0; g < 256; g += 3)
            for (int b = 0; b < 256; b += 7) {
                uint8_t rgb[3] = {(uint8_t)r, (uint8_t)g, (uint8_t)b}, back[3];
                float v[3];
                zt_rgb_to_lab(rgb, v);
                zt_lab_to_rgb(v, back);
                bad_lab += memcmp(rgb, back, 3) != 0;
                zt_rgb_to_hsv(rgb, v);
                bad_hsv += !(v[0] >= 0 && v[0] < 360 && v[1] >= 0 && v[1] <= 1 && v[2] >= 0 && v[2] <= 1);
                zt_hsv_to_rgb(v, back);
                bad_hsv += memcmp(rgb, back, 3) != 0;
            }
    CHECK_EQ_INT(bad_lab, 0);
    CHECK_EQ_INT(bad_hsv, 0);
    struct { uint8_t rgb[3]; float hsv[3]; } known[] = {
        {{255, 0, 0}, {0, 1, 1}},       {{0, 255, 0}, {120, 1, 1}},   {{0, 0, 255}, {240, 1, 1}},
        {{255, 255, 0}, {60, 1, 1}},    {{255, 0, 255}, {300, 1, 1}}, {{128, 128, 128}, {0, 0, 128 / 255.0f}},
        {{255, 128, 0}, {30.117647f, 1, 1}}, {{0, 0, 0}, {0, 0, 0}},
    };
    for (size_t i = 0; i < ZT_ARRAY_LEN(known); i++) {
        float v[3];
        zt_rgb_to_hsv(known[i].rgb, v);
        for (int k = 0; k < 3; k++) CHECK_NEAR(v[k], known[i].hsv[k], 1e-4);
    }
}

/* --- metrics --- */

TEST(img, ssim_golden)
{
    json_t *doc = load_golden();
    size_t i;
    json_t *e;
    CHECK(json_array_size(json_object_get(doc, "ssim")) == 3);
    json_array_foreach(json_object_get(doc, "ssim"), i, e) {
        struct zt_image a, b;
        CHECK_OK(load_data(json_string_value(json_object_get(e, "a")), 3, &a));
        CHECK_OK(load_data(json_string_value(json_object_get(e, "b")), 3, &b));
        double v;
        CHECK_OK(zt_ssim(&a, &b, ZT_SSIM_UNIFORM7, 0, &v));
        CHECK_NEAR(v, json_real_value(json_object_get(e, "ssim_rgb")), 1e-4);
        CHECK_OK(zt_ssim(&a, &b, ZT_SSIM_UNIFORM7, 1, &v));
        CHECK_NEAR(v, json_real_value(json_object_get(e, "ssim_gray")), 1e-4);
        CHECK_OK(zt_ssim(&a, &b, ZT_SSIM_GAUSSIAN, 0, &v));
        CHECK_NEAR(v, json_real_value(json_object_get(e, "ssim_rgb_gauss")), 1e-4);
        CHECK_OK(zt_ssim(&a, &b, ZT_SSIM_GAUSSIAN, 1, &v));
        CHECK_NEAR(v, json_real_value(json_object_get(e, "ssim_gray_gauss")), 1e-4);
        CHECK_OK(zt_psnr(&a, &b, &v));
        CHECK_NEAR(v, json_real_value(json_object_get(e, "psnr")), 1e-4);
        zt_image_free(&a);
        zt_image_free(&b);
    }
    json_decref(doc);
}

TEST(img, ssim_identical_and_errors)
{
    struct zt_image a, b, small;
    CHECK_OK(load_data("ssim_48x40_noise_a.png", 0, &a));
    CHECK(a.w == 48 && a.h == 40);
    double v;
    for (int gray = 0; gray < 2; gray++) {
        CHECK_OK(zt_ssim(&a, &a, ZT_SSIM_UNIFORM7, gray, &v));
        CHECK_NEAR(v, 1.0, 1e-12);
        CHECK_OK(zt_ssim(&a, &a, ZT_SSIM_GAUSSIAN, gray, &v));
        CHECK_NEAR(v, 1.0, 1e-12);
    }
    CHECK_OK(zt_psnr(&a, &a, &v));
    CHECK(isinf(v) && v > 0);
    CHECK_OK(zt_image_crop(&a, 0, 0, 47, 40, &b));
    CHECK_RC(zt_ssim(&a, &b, ZT_SSIM_UNIFORM7, 0, &v), ZT_EINVAL);
    CHECK_RC(zt_psnr(&a, &b, &v), ZT_EINVAL);
    CHECK_OK(zt_image_crop(&a, 0, 0, 10, 10, &small));
    CHECK_OK(zt_ssim(&small, &small, ZT_SSIM_UNIFORM7, 0, &v));
    CHECK_RC(zt_ssim(&small, &small, ZT_SSIM_GAUSSIAN, 0, &v), ZT_EINVAL); /* 11x11 window */
    zt_image_free(&small);
    zt_image_free(&b);
    zt_image_free(&a);
}

/* --- files --- */

TEST(img, save_load)
{
    struct zt_image a, d;
    CHECK_OK(zt_image_new(&a, 20, 10, 3));
    fill_pattern(&a);
    char path[4096];
    snprintf(path, sizeof path, "%s/img_rt.png", zt_test_tmpdir());
    CHECK_OK(zt_image_save(&a, path));
    CHECK_OK(zt_image_load(path, 0, NULL, &d));
    CHECK(d.w == 20 && d.c == 3 && !memcmp(a.px, d.px, 600));
    zt_image_free(&d);
    snprintf(path, sizeof path, "%s/img_rt.JPG", zt_test_tmpdir());
    CHECK_OK(zt_image_save(&a, path));
    CHECK_OK(zt_image_load(path, 0, NULL, &d));
    CHECK(d.w == 20 && d.h == 10 && d.c == 3);
    zt_image_free(&d);
    snprintf(path, sizeof path, "%s/img_rt.gif", zt_test_tmpdir());
    CHECK_RC(zt_image_save(&a, path), ZT_EINVAL);
    CHECK_RC(zt_image_load("/nonexistent/x.png", 0, NULL, &d), ZT_ENOTFOUND);
    CHECK(strstr(zt_errmsg(), "/nonexistent/x.png") != NULL);
    /* a corrupt file: the message names the path and the format */
    snprintf(path, sizeof path, "%s/bad.png", zt_test_tmpdir());
    struct zt_buf b = {0};
    CHECK_OK(zt_image_encode_png(&a, &b));
    CHECK_OK(zt_file_write_atomic(path, b.data, b.len / 2));
    CHECK_RC(zt_image_load(path, 0, NULL, &d), ZT_EFORMAT);
    CHECK_MSG(strstr(zt_errmsg(), "bad.png: PNG:") != NULL, "message: %s", zt_errmsg());
    zt_buf_deinit(&b);
    zt_image_free(&a);
}

TEST(img, dataset_photos)
{
    const char *ds = zt_test_dataset();
    if (!ds) {
        CHECK_MSG(getenv("CI") == NULL, "dataset missing in CI");
        zt_test_skip("dataset not found");
        return;
    }
    /* the first few photos of one class decode, and letterbox to 256 */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/validation/dress", ds);
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "cannot list %s", dir);
    int n = 0;
    struct dirent *de;
    while (d && n < 5 && (de = readdir(d))) {
        if (!strstr(de->d_name, ".jpg")) continue;
        char path[4700];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct zt_image im, lb;
        uint8_t white[3] = {255, 255, 255};
        CHECK_OK(zt_image_load(path, 3, NULL, &im));
        CHECK(im.w >= 16 && im.h >= 16 && im.c == 3);
        CHECK_OK(zt_image_letterbox(&im, 256, white, &lb, NULL, NULL, NULL, NULL));
        CHECK(lb.w == 256 && lb.h == 256);
        zt_image_free(&lb);
        zt_image_free(&im);
        n++;
    }
    if (d) closedir(d);
    CHECK_MSG(n == 5, "decoded %d photos from %s", n, dir);
}
