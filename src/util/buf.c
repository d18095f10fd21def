/* buf.c: growable buffers, whole-file reads and atomic file writes. */
#include "buf.h"
#include "zt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int zt_file_read(const char *path, size_t max_bytes, struct zt_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        zt_seterr("%s: %s", path, strerror(errno));
        return errno == ENOENT ? ZT_ENOTFOUND : ZT_EIO;
    }
    int rc = ZT_OK;
    uint8_t chunk[65536];
    size_t n, total = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        total += n;
        if (max_bytes && total > max_bytes) {
            zt_seterr("%s: larger than the %zu-byte limit", path, max_bytes);
            rc = ZT_ETOOBIG;
            goto out;
        }
        if ((rc = zt_buf_append(b, chunk, n))) goto out;
    }
    if (ferror(f)) {
        zt_seterr("%s: read error: %s", path, strerror(errno));
        rc = ZT_EIO;
    }
out:
    fclose(f);
    return rc;
}

int zt_file_write_atomic_parts(const char *path, const struct zt_part *parts, int nparts)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        zt_seterr("%s: path too long", path);
        return ZT_EINVAL;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        zt_seterr("%s: %s", tmp, strerror(errno));
        return ZT_EIO;
    }
    for (int k = 0; k < nparts; k++) {
        const uint8_t *p = parts[k].data;
        size_t left = parts[k].len;
        while (left) {
            ssize_t w = write(fd, p, left);
            if (w < 0) {
                if (errno == EINTR) continue;
                zt_seterr("%s: write: %s", tmp, strerror(errno));
                close(fd);
                unlink(tmp);
                return ZT_EIO;
            }
            p += w;
            left -= (size_t)w;
        }
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        zt_seterr("%s: %s", tmp, strerror(errno));
        unlink(tmp);
        return ZT_EIO;
    }
    if (rename(tmp, path) != 0) {
        zt_seterr("%s: rename: %s", path, strerror(errno));
        unlink(tmp);
        return ZT_EIO;
    }
    return ZT_OK;
}

int zt_file_write_atomic(const char *path, const void *data, size_t len)
{
    const struct zt_part one = {data, len};
    return zt_file_write_atomic_parts(path, &one, 1);
}

int zt_mkdirs(const char *path)
{
    char p[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof p) {
        zt_seterr("bad directory path '%s'", path);
        return ZT_EINVAL;
    }
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] == '/' || p[i] == 0) {
            char c = p[i];
            p[i] = 0;
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                zt_seterr("mkdir %s: %s", p, strerror(errno));
                return ZT_EIO;
            }
            p[i] = c;
        }
    }
    return ZT_OK;
}

int zt_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int zt_path_join(char *out, size_t n, const char *a, const char *b)
{
    size_t la = strlen(a);
    int slash = la > 0 && a[la - 1] != '/';
    int w = snprintf(out, n, "%s%s%s", a, slash ? "/" : "", b);
    if (w < 0 || (size_t)w >= n) {
        zt_seterr("path too long: %s/%s", a, b);
        return ZT_ETOOBIG;
    }
    return ZT_OK;
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
