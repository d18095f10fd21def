/* reply.c: building responses: the one JSON error body shape, the single
 * place where ZT_E* codes become HTTP statuses, HTML escaping, base64 and
 * data URLs. */
#include "http_impl.h"
#include "../util/zt.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void zt_reply_deinit(struct zt_reply *r)
{
    if (!r) return;
    zt_buf_deinit(&r->body);
    memset(r, 0, sizeof *r);
}

static void reset_body(struct zt_reply *r)
{
    zt_buf_deinit(&r->body);
    r->static_body = NULL;
    r->static_len = 0;
}

void zt_reply_json(struct zt_reply *r, int status, void *json)
{
    json_t *j = json;
    reset_body(r);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
    json_decref(j);
    if (!s) {
        r->status = 500;
        r->ctype = "application/json";
        zt_buf_puts(&r->body, "{\"error\":\"internal\",\"message\":\"out of memory\",\"status\":500}");
        return;
    }
    r->status = status ? status : 200;
    r->ctype = "application/json";
    if (zt_buf_puts(&r->body, s) || zt_buf_puts(&r->body, "\n")) r->status = 500;
    free(s);
}

void zt_reply_error(struct zt_reply *r, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    zt_reply_json(r, status, json_pack("{s:s, s:s, s:i}", "error", code, "message", msg,
                                       "status", status));
}

void zt_reply_code(struct zt_reply *r, int rc)
{
    const char *m = zt_errmsg();
    if (!*m) m = zt_strerror(rc);
    switch (rc) {
    case ZT_EINVAL:
    case ZT_EFORMAT: zt_reply_error(r, 400, "bad_request", "%s", m); break;
    case ZT_ENOTFOUND: zt_reply_error(r, 404, "not_found", "%s", m); break;
    case ZT_ETOOBIG: zt_reply_error(r, 413, "too_large", "%s", m); break;
    case ZT_EBUSY:
        zt_reply_error(r, 503, "busy", "%s", m);
        zt_reply_header(r, "Retry-After", "1");
        break;
    case ZT_EINTR: zt_reply_error(r, 503, "shutting_down", "%s", m); break;
    default: /* the details (paths, database words) go to the log, not to the client */
        fprintf(stderr, "ztyle serve: internal error: %s\n", m);
        zt_reply_error(r, 500, "internal", "internal error; the server log has the details");
        break;
    }
}

void zt_reply_bytes(struct zt_reply *r, int status, const char *ctype, struct zt_buf *take)
{
    reset_body(r);
    r->status = status;
    r->ctype = ctype;
    r->body = *take;
    *take = (struct zt_buf){0};
}

void zt_reply_static(struct zt_reply *r, const char *ctype, const void *data, size_t len)
{
    reset_body(r);
    r->status = 200;
    r->ctype = ctype;
    r->static_body = data;
    r->static_len = len;
}

void zt_reply_header(struct zt_reply *r, const char *name, const char *value)
{
    size_t used = strlen(r->headers);
    snprintf(r->headers + used, sizeof r->headers - used, "%s: %s\n", name, value);
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int zt_base64_encode(const uint8_t *p, size_t n, struct zt_buf *out)
{
    int rc = zt_buf_reserve(out, (n + 2) / 3 * 4 + 1);
    if (rc) return rc;
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        q[0] = B64[v >> 18 & 63];
        q[1] = B64[v >> 12 & 63];
        q[2] = i + 1 < n ? B64[v >> 6 & 63] : '=';
        q[3] = i + 2 < n ? B64[v & 63] : '=';
        if ((rc = zt_buf_append(out, q, 4))) return rc;
    }
    return ZT_OK;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

int zt_base64_decode(const char *s, size_t n, struct zt_buf *out)
{
    int rc = zt_buf_reserve(out, n / 4 * 3 + 3);
    if (rc) return rc;
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64val(c);
        if (v < 0 || pad) {
            zt_seterr("base64: invalid character at offset %zu", i);
            return ZT_EINVAL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            uint8_t byte = (uint8_t)(acc >> bits);
            if ((rc = zt_buf_append(out, &byte, 1))) return rc;
        }
    }
    if (pad > 2 || bits >= 6) {
        zt_seterr("base64: truncated input");
        return ZT_EINVAL;
    }
    return ZT_OK;
}

int zt_data_url(const char *mime, const uint8_t *p, size_t n, struct zt_buf *out)
{
    int rc = zt_buf_printf(out, "data:%s;base64,", mime);
    return rc ? rc : zt_base64_encode(p, n, out);
}
