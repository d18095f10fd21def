/* product.c: product field setters, validation, price parsing/formatting,
 * the category table and the product's JSON. */
#include "product.h"
#include "../util/buf.h"
#include "../util/zt.h"

#include <ctype.h>
#include <jansson.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const category_names[ZT_CATEGORY_COUNT] = {
    [ZT_CATEGORY_TOP] = "top",     [ZT_CATEGORY_PANTS] = "pants",
    [ZT_CATEGORY_SKIRT] = "skirt", [ZT_CATEGORY_HAT] = "hat",
    [ZT_CATEGORY_OTHER] = "other",
};

/* Garment classes and the category each belongs to; the index of a row is
 * the class id (product.h), "other" last. */
static const struct {
    const char *cls;
    enum zt_category cat;
} class_table[ZT_CLASS_COUNT] = {
    {"t-shirt", ZT_CATEGORY_TOP},   {"shirt", ZT_CATEGORY_TOP},  {"longsleeve", ZT_CATEGORY_TOP},
    {"outwear", ZT_CATEGORY_TOP},   {"top", ZT_CATEGORY_TOP},    {"pants", ZT_CATEGORY_PANTS},
    {"shorts", ZT_CATEGORY_PANTS},  {"skirt", ZT_CATEGORY_SKIRT}, {"dress", ZT_CATEGORY_OTHER},
    {"hat", ZT_CATEGORY_HAT},       {"shoes", ZT_CATEGORY_OTHER}, {"other", ZT_CATEGORY_OTHER},
};

void zt_product_init(struct zt_product *p)
{
    memset(p, 0, sizeof *p);
    memcpy(p->currency, ZT_DEFAULT_CURRENCY, sizeof ZT_DEFAULT_CURRENCY);
}

int zt_product_set(char *dst, size_t cap, const char *field, const char *s, size_t n)
{
    if (n == (size_t)-1) n = strlen(s);
    if (n >= cap) {
        zt_seterr("%s: %zu bytes is longer than the %zu-byte limit", field, n, cap - 1);
        return ZT_ETOOBIG;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            zt_seterr("%s: contains control character 0x%02x", field, c);
            return ZT_EINVAL;
        }
    }
    memcpy(dst, s, n);
    dst[n] = 0;
    return ZT_OK;
}

/* --- price --- */

int zt_price_parse(const char *s, int64_t *minor)
{
    const char *p = s, *end;
    while (*p == ' ') p++;
    end = p + strlen(p);
    while (end > p && end[-1] == ' ') end--;
    int len = (int)ZT_MIN(end - p, 64);
    if (p == end) {
        zt_seterr("'' is not a number");
        return ZT_EINVAL;
    }
    int neg = 0;
    const char *q = p;
    if (*q == '-' || *q == '+') neg = *q++ == '-';
    int64_t units = 0;
    int ndig = 0, ndec = 0, dec = 0, excess = 0;
    for (; q < end && isdigit((unsigned char)*q); q++, ndig++) {
        if (units > ZT_PRICE_MAX / 100) {
            zt_seterr("'%.*s' is too large", len, p);
            return ZT_EINVAL;
        }
        units = units * 10 + (*q - '0');
    }
    if (q < end && *q == '.') {
        q++;
        for (; q < end && isdigit((unsigned char)*q); q++, ndec++)
            if (ndec < 2) dec = dec * 10 + (*q - '0');
            else if (*q != '0') excess = 1; /* trailing zeros "1.500" are fine */
    }
    if (q != end || ndig == 0) {
        zt_seterr("'%.*s' is not a number", len, p);
        return ZT_EINVAL;
    }
    if (excess) {
        zt_seterr("'%.*s' has more than 2 decimals", len, p);
        return ZT_EINVAL;
    }
    if (ndec == 1) dec *= 10;
    int64_t v = units * 100 + dec;
    if (neg && v != 0) {
        zt_seterr("'%.*s' is negative", len, p);
        return ZT_EINVAL;
    }
    if (v > ZT_PRICE_MAX) {
        zt_seterr("'%.*s' is too large", len, p);
        return ZT_EINVAL;
    }
    *minor = v;
    return ZT_OK;
}

void zt_price_format(int64_t minor, char *out, size_t n)
{
    const char *sign = minor < 0 ? "-" : "";
    uint64_t m = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    snprintf(out, n, "%s%" PRIu64 ".%02u", sign, m / 100, (unsigned)(m % 100));
}

/* --- categories --- */

const char *zt_category_name(enum zt_category c)
{
    return (unsigned)c < ZT_CATEGORY_COUNT ? category_names[c] : NULL;
}

int zt_category_parse(const char *s, enum zt_category *out)
{
    for (int i = 0; i < ZT_CATEGORY_COUNT; i++)
        if (!strcasecmp(s, category_names[i])) {
            *out = (enum zt_category)i;
            return ZT_OK;
        }
    zt_seterr("'%.64s' is not one of top, pants, skirt, hat, other", s);
    return ZT_EINVAL;
}

enum zt_category zt_category_of_class(const char *cls)
{
    int k = zt_class_parse(cls);
    return k >= 0 ? class_table[k].cat : ZT_CATEGORY_OTHER;
}

const char *zt_class_name(int k) { return k >= 0 && k < ZT_CLASS_COUNT ? class_table[k].cls : NULL; }

int zt_class_parse(const char *s)
{
    for (int k = 0; s && k < ZT_CLASS_COUNT; k++)
        if (!strcasecmp(s, class_table[k].cls)) return k;
    return -1;
}

int zt_class_of_product(const struct zt_product *p)
{
    int k = zt_class_parse(p->cls);
    if (k < 0) k = zt_class_parse(p->category);
    return k < 0 ? ZT_CLASS_OTHER : k;
}

enum zt_category zt_class_category(int k)
{
    return k >= 0 && k < ZT_CLASS_COUNT ? class_table[k].cat : ZT_CATEGORY_OTHER;
}

uint64_t zt_class_mask_of_category(enum zt_category c)
{
    uint64_t m = 0;
    for (int k = 0; k < ZT_CLASS_COUNT; k++)
        if (class_table[k].cat == c) m |= UINT64_C(1) << k;
    return m;
}

/* --- validation --- */

int zt_url_check(const char *url)
{
    if (!*url) {
        zt_seterr("empty");
        return ZT_EINVAL;
    }
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f) {
            zt_seterr("'%.64s' contains whitespace or a control character", url);
            return ZT_EINVAL;
        }
    /* a scheme is ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986) */
    const char *c = url;
    if (isalpha((unsigned char)*c)) {
        while (isalnum((unsigned char)*c) || *c == '+' || *c == '-' || *c == '.') c++;
        if (*c == ':') {
            size_t slen = (size_t)(c - url);
            int http = (slen == 4 && !strncasecmp(url, "http", 4)) ||
                       (slen == 5 && !strncasecmp(url, "https", 5));
            if (!http) {
                zt_seterr("'%.64s' has scheme '%.*s'; only http, https or a relative URL", url,
                          (int)ZT_MIN(slen, 16), url);
                return ZT_EINVAL;
            }
            if (strncmp(c, "://", 3) || c[3] == 0 || c[3] == '/') {
                zt_seterr("'%.64s' has no host", url);
                return ZT_EINVAL;
            }
            return ZT_OK;
        }
    }
    if (url[0] == '/' && url[1] == '/') { /* scheme-relative: a host without http(s) */
        zt_seterr("'%.64s' is scheme-relative; use http(s):// or a path", url);
        return ZT_EINVAL;
    }
    return ZT_OK;
}

int zt_product_validate(const struct zt_product *p)
{
    if (!p->id[0]) {
        zt_seterr("id: empty");
        return ZT_EINVAL;
    }
    for (const char *c = p->id; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '/') {
            zt_seterr("id: '%.64s' contains '/' or a control character", p->id);
            return ZT_EINVAL;
        }
    if (!p->title[0]) {
        zt_seterr("title: empty");
        return ZT_EINVAL;
    }
    enum zt_category cat;
    if (zt_category_parse(p->category, &cat)) {
        zt_adderr("category");
        return ZT_EINVAL;
    }
    if (strcmp(p->category, category_names[cat])) {
        zt_seterr("category: '%s' must be lower case", p->category);
        return ZT_EINVAL;
    }
    if (p->price < 0 || p->price > ZT_PRICE_MAX) {
        zt_seterr("price: %" PRId64 " minor units is out of range", p->price);
        return ZT_EINVAL;
    }
    if (strlen(p->currency) != 3 || !isupper((unsigned char)p->currency[0]) ||
        !isupper((unsigned char)p->currency[1]) || !isupper((unsigned char)p->currency[2])) {
        zt_seterr("currency: '%.8s' is not a 3-letter code like USD", p->currency);
        return ZT_EINVAL;
    }
    if (zt_url_check(p->url)) {
        zt_adderr("url");
        return ZT_EINVAL;
    }
    if (!p->image_path[0]) {
        zt_seterr("image: empty");
        return ZT_EINVAL;
    }
    return ZT_OK;
}

json_t *zt_product_json(const struct zt_product *p, enum zt_product_links links)
{
    char price[32];
    struct zt_buf img = {0}, th = {0};
    json_t *j = NULL;
    zt_price_format(p->price, price, sizeof price);
    if (links == ZT_PRODUCT_LINKS) {
        if (zt_buf_puts(&img, "/images/") || zt_buf_url_escape(&img, p->id) ||
            zt_buf_puts(&th, "/thumbs/") || zt_buf_url_escape(&th, p->id))
            goto out;
    } else if (zt_buf_puts(&img, p->image_path) || zt_buf_puts(&th, p->thumb_path)) {
        goto out;
    }
    j = json_pack("{s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:s, s:s}", "id", p->id, "title",
                  p->title, "category", p->category, "class", p->cls, "price",
                  (double)p->price / 100.0, "price_text", price, "currency", p->currency, "url",
                  p->url, "image", (const char *)img.data, "thumbnail", (const char *)th.data);
out:
    zt_buf_deinit(&img);
    zt_buf_deinit(&th);
    return j;
}
