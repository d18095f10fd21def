/* buf.h: growable byte buffer with an upper size bound, and the appenders
 * that escape text into it (URL segment, HTML). Files: fs.h. */
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

#endif
