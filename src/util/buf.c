/* buf.c: growable buffers and the escaping appenders. */
#include "buf.h"
#include "zt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void zt_buf_deinit(struct zt_buf *b)
{
    if (!b) return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int zt_buf_reserve(struct zt_buf *b, size_t extra)
{
    if (b->max && (extra > b->max || b->len > b->max - extra)) {
        zt_seterr("buffer limit of %zu bytes exceeded", b->max);
        return ZT_ETOOBIG;
    }
    size_t need = b->len + extra + 1; /* +1 keeps room for a NUL */
    if (need <= b->cap) return ZT_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        zt_seterr("out of memory growing a buffer to %zu bytes", cap);
        return ZT_ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return ZT_OK;
}

int zt_buf_append(struct zt_buf *b, const void *p, size_t n)
{
    int rc = zt_buf_reserve(b, n);
    if (rc) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return ZT_OK;
}

int zt_buf_puts(struct zt_buf *b, const char *s) { return zt_buf_append(b, s, strlen(s)); }

int zt_buf_printf(struct zt_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return ZT_EINVAL;
    int rc = zt_buf_reserve(b, (size_t)n);
    if (rc) return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return ZT_OK;
}

uint8_t *zt_buf_take(struct zt_buf *b, size_t *len)
{
    uint8_t *p = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

int zt_buf_url_escape(struct zt_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = ZT_OK;
    for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            rc = zt_buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = zt_buf_append(b, e, 3);
        }
    }
    return rc;
}

int zt_buf_html_escape(struct zt_buf *b, const char *s)
{
    int rc = ZT_OK;
    for (; *s && !rc; s++) {
        switch (*s) {
        case '&': rc = zt_buf_puts(b, "&amp;"); break;
        case '<': rc = zt_buf_puts(b, "&lt;"); break;
        case '>': rc = zt_buf_puts(b, "&gt;"); break;
        case '"': rc = zt_buf_puts(b, "&quot;"); break;
        case '\'': rc = zt_buf_puts(b, "&#39;"); break;
        default: rc = zt_buf_append(b, s, 1); break;
        }
    }
    return rc;
}
