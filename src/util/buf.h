/* buf.h: growable byte buffer with an upper size bound, and whole-file
 * reads/atomic writes built on it. */
#ifndef ZT_BUF_H
#define ZT_BUF_H

#include <stddef.h>
#include <stdint.h>

struct zt_buf {
    uint8_t *data; /* owned; NUL-terminated past len when len > 0 */
    size_t len, cap;
    size_t max; /* 0 = no limit; appends past it fail with ZT_ETOOBIG */
};

/* zero-initialised struct zt_buf is a valid empty buffer */
void zt_buf_deinit(struct zt_buf *b); /* NULL-safe; leaves b empty */
int zt_buf_reserve(struct zt_buf *b, size_t extra);
int zt_buf_append(struct zt_buf *b, const void *p, size_t n);
int zt_buf_puts(struct zt_buf *b, const char *s);
/* Appends s percent-encoded for a URL path segment (RFC 3986 unreserved
 * characters kept). */
int zt_buf_url_escape(struct zt_buf *b, const char *s);
/* Appends s with & < > " ' as HTML entities (text and attribute values). */
int zt_buf_html_escape(struct zt_buf *b, const char *s);
int zt_buf_printf(struct zt_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (caller frees with free()); b becomes empty. */
uint8_t *zt_buf_take(struct zt_buf *b, size_t *len);

/* Reads a whole file into b (appending). max_bytes 0 = unlimited.
 * ZT_ENOTFOUND if missing, ZT_ETOOBIG past max_bytes, ZT_EIO otherwise. */
int zt_file_read(const char *path, size_t max_bytes, struct zt_buf *b);
/* Writes data to path atomically: temp file in the same folder, fsync,
 * rename. A crash leaves either the old file or the new one. */
int zt_file_write_atomic(const char *path, const void *data, size_t len);
/* The same for a file made of several pieces written in order (a header and
 * arrays), without gathering them into one buffer first. */
struct zt_part {
    const void *data;
    size_t len;
};
int zt_file_write_atomic_parts(const char *path, const struct zt_part *parts, int nparts);
/* mkdir -p; ok if it exists. */
int zt_mkdirs(const char *path);
int zt_file_exists(const char *path);
/* Joins a and b with one '/' into out (size n). ZT_ETOOBIG if it won't fit. */
int zt_path_join(char *out, size_t n, const char *a, const char *b);

#endif
