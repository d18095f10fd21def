/* form.c: a request body as named fields, from a JSON object or from
 * multipart/form-data (own strict parser: boundaries, part headers, bounded
 * sizes), and image fields given as data URLs or raw file parts. */
#include "http_impl.h"
#include "../util/zt.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FIELDS ((int)ZT_ARRAY_LEN(((struct zt_form *)0)->f))

void zt_form_deinit(struct zt_form *f)
{
    if (!f) return;
    zt_buf_deinit(&f->store);
    memset(f, 0, sizeof *f);
}

/* Appends one field; data is copied into f->store and its offset kept in
 * len's sibling until fix_pointers runs. */
static int add_field(struct zt_form *f, const char *name, size_t name_len, const void *data,
                     size_t len, int is_string)
{
    if (f->n >= MAX_FIELDS) {
        zt_seterr("too many fields (at most %d)", MAX_FIELDS);
        return ZT_EINVAL;
    }
    if (name_len == 0 || name_len >= sizeof f->f[0].name) {
        zt_seterr("field name empty or longer than %zu bytes", sizeof f->f[0].name - 1);
        return ZT_EINVAL;
    }
    for (int i = 0; i < f->n; i++)
        if (strlen(f->f[i].name) == name_len && !memcmp(f->f[i].name, name, name_len)) {
            zt_seterr("field '%.*s' given twice", (int)name_len, name);
            return ZT_EINVAL;
        }
    struct zt_field *fd = &f->f[f->n];
    memcpy(fd->name, name, name_len);
    fd->name[name_len] = 0;
    size_t off = f->store.len;
    int rc = zt_buf_append(&f->store, data, len);
    if (!rc) rc = zt_buf_append(&f->store, "", 1); /* NUL after each value */
    if (rc) return rc;
    fd->data = (const uint8_t *)(uintptr_t)off;
    fd->len = len;
    fd->is_string = is_string;
    f->n++;
    return ZT_OK;
}

static void fix_pointers(struct zt_form *f)
{
    for (int i = 0; i < f->n; i++) f->f[i].data = f->store.data + (uintptr_t)f->f[i].data;
}

static int parse_json(const uint8_t *body, size_t len, struct zt_form *f)
{
    json_error_t err;
    json_t *root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        zt_seterr("malformed JSON at line %d, column %d: %s", err.line, err.column, err.text);
        return ZT_EINVAL;
    }
    int rc = ZT_OK;
    if (!json_is_object(root)) {
        zt_seterr("the JSON body must be an object");
        rc = ZT_EINVAL;
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        char num[64];
        switch (json_typeof(v)) {
        case JSON_STRING:
            rc = add_field(f, key, strlen(key), json_string_value(v), json_string_length(v), 1);
            break;
        case JSON_INTEGER:
            snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            rc = add_field(f, key, strlen(key), num, strlen(num), 0);
            break;
        case JSON_REAL:
            snprintf(num, sizeof num, "%.17g", json_real_value(v));
            rc = add_field(f, key, strlen(key), num, strlen(num), 0);
            break;
        case JSON_TRUE: rc = add_field(f, key, strlen(key), "1", 1, 0); break;
        case JSON_FALSE: rc = add_field(f, key, strlen(key), "0", 1, 0); break;
        case JSON_NULL: break; /* same as absent */
        default:
            zt_seterr("field '%.60s': expected a string or a number", key);
            rc = ZT_EINVAL;
        }
        if (rc) break;
    }
out:
    json_decref(root);
    return rc;
}

/* boundary=... from a multipart content type (quoted or not). */
static int get_boundary(const char *ct, char *out, size_t n)
{
    const char *p = strcasestr(ct, "boundary=");
    if (!p) goto bad;
    p += 9;
    size_t k = 0;
    if (*p == '"') {
        p++;
        while (p[k] && p[k] != '"') k++;
        if (p[k] != '"') goto bad;
    } else {
        while (p[k] && p[k] != ';' && !isspace((unsigned char)p[k])) k++;
    }
    if (k == 0 || k > 70 || k + 1 > n) goto bad;
    memcpy(out, p, k);
    out[k] = 0;
    return ZT_OK;
bad:
    zt_seterr("multipart: missing or invalid boundary");
    return ZT_EINVAL;
}

/* name="..." in a Content-Disposition value (up to the end of line e). */
static int disp_param(const char *s, const char *e, const char *key, const char **v, size_t *vn)
{
    size_t kl = strlen(key);
    for (const char *p = s; p + kl + 2 <= e; p++) {
        if (strncasecmp(p, key, kl) || p[kl] != '=' || p[kl + 1] != '"') continue;
        if (p > s && p[-1] != ' ' && p[-1] != ';' && p[-1] != '\t') continue;
        const char *q = p + kl + 2, *end = memchr(q, '"', (size_t)(e - q));
        if (!end) return 0;
        *v = q;
        *vn = (size_t)(end - q);
        return 1;
    }
    return 0;
}

static int parse_multipart(const char *ct, const uint8_t *body, size_t len, struct zt_form *f)
{
    char bnd[80], delim[84];
    int rc = get_boundary(ct, bnd, sizeof bnd);
    if (rc) return rc;
    snprintf(delim, sizeof delim, "--%s", bnd);
    size_t dl = strlen(delim);
    const uint8_t *end = body + len;
    const uint8_t *p = memmem(body, len, delim, dl);
    if (!p) goto bad;
    p += dl;
    for (;;) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') return ZT_OK; /* close delimiter */
        while (p < end && (*p == ' ' || *p == '\t')) p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') goto bad;
        p += 2;
        const uint8_t *hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!hend || hend - p > 8192) goto bad;
        const char *name = NULL, *fname = NULL;
        size_t nn = 0, fn = 0;
        for (const uint8_t *line = p; line < hend;) {
            const uint8_t *le = memmem(line, (size_t)(hend - line), "\r\n", 2);
            if (!le) le = hend;
            if ((size_t)(le - line) > 20 && !strncasecmp((const char *)line, "content-disposition:", 20)) {
                disp_param((const char *)line + 20, (const char *)le, "name", &name, &nn);
                disp_param((const char *)line + 20, (const char *)le, "filename", &fname, &fn);
            }
            line = le + 2;
        }
        if (!name) {
            zt_seterr("multipart: a part has no Content-Disposition name");
            return ZT_EINVAL;
        }
        const uint8_t *data = hend + 4;
        /* the part ends at CRLF + delimiter */
        const uint8_t *next = data;
        for (;;) {
            next = memmem(next, (size_t)(end - next), delim, dl);
            if (!next) goto bad;
            if (next - data >= 2 && next[-2] == '\r' && next[-1] == '\n') break;
            next += 1;
        }
        if ((rc = add_field(f, name, nn, data, (size_t)(next - 2 - data), fname == NULL)))
            return rc;
        p = next + dl;
    }
bad:
    zt_seterr("multipart: malformed body (boundary '%s')", bnd);
    return ZT_EINVAL;
}

int zt_form_parse(const char *content_type, const uint8_t *body, size_t len,
                  struct zt_form *out)
{
    memset(out, 0, sizeof *out);
    const char *ct = content_type ? content_type : "";
    if (!body) body = (const uint8_t *)""; /* an empty body has no buffer; memmem(NULL) is UB */
    int rc;
    if (!strncasecmp(ct, "application/json", 16)) rc = parse_json(body, len, out);
    else if (!strncasecmp(ct, "multipart/form-data", 19)) rc = parse_multipart(ct, body, len, out);
    else {
        zt_seterr("unsupported Content-Type '%.80s' (use application/json or "
                  "multipart/form-data)", *ct ? ct : "(none)");
        rc = ZT_EINVAL;
    }
    if (rc) {
        zt_form_deinit(out);
        return rc;
    }
    fix_pointers(out);
    return ZT_OK;
}

const struct zt_field *zt_form_get(const struct zt_form *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->f[i].name, name)) return &f->f[i];
    return NULL;
}

const char *zt_form_text(const struct zt_form *f, const char *name, const char *def)
{
    const struct zt_field *fd = zt_form_get(f, name);
    if (!fd) return def;
    if (strlen((const char *)fd->data) != fd->len) return def; /* embedded NUL: binary */
    return (const char *)fd->data;
}

int zt_form_int(const struct zt_form *f, const char *name, long def, long lo, long hi, long *out)
{
    const char *s = zt_form_text(f, name, NULL);
    if (!s || !*s) {
        *out = def;
        return ZT_OK;
    }
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (*e || errno || v < lo || v > hi) {
        zt_seterr("'%s' must be an integer in %ld..%ld", name, lo, hi);
        return ZT_EINVAL;
    }
    *out = v;
    return ZT_OK;
}

int zt_form_image(const struct zt_form *f, const char *name, int want_c,
                  const struct zt_image_limits *lim, struct zt_image *out)
{
    const struct zt_field *fd = zt_form_get(f, name);
    if (!fd || fd->len == 0) {
        zt_seterr("'%s' is missing", name);
        return ZT_ENOTFOUND;
    }
    struct zt_buf raw = {0};
    const uint8_t *p = fd->data;
    size_t n = fd->len;
    int rc;
    if (n >= 5 && !memcmp(p, "data:", 5)) {
        const uint8_t *comma = memchr(p, ',', ZT_MIN(n, (size_t)200));
        if (!comma) {
            zt_seterr("'%s': malformed data URL", name);
            return ZT_EINVAL;
        }
        size_t hl = (size_t)(comma - p);
        if (hl < 12 || strncasecmp((const char *)p + 5, "image/", 6) ||
            !memmem(p, hl, ";base64", 7)) {
            zt_seterr("'%s': expected a base64 data URL of an image", name);
            return ZT_EINVAL;
        }
        if ((rc = zt_base64_decode((const char *)comma + 1, n - hl - 1, &raw))) {
            zt_adderr("'%s'", name);
            goto out;
        }
        p = raw.data;
        n = raw.len;
    }
    if (n == 0 || zt_image_sniff(p, n) == ZT_IMAGE_FORMAT_UNKNOWN) {
        zt_seterr("'%s' is not a PNG, JPEG or WebP image", name);
        rc = ZT_EINVAL;
        goto out;
    }
    rc = zt_image_decode(p, n, want_c, lim, out);
    if (rc) zt_adderr("'%s'", name);
out:
    zt_buf_deinit(&raw);
    return rc;
}
