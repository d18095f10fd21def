/* ingest_parse.c: CSV (over util/csv.c) and JSON Lines (jansson) product
 * feeds -> validated struct zt_product, one row per call, with
 * "<file>:<line>: <field>: <why>" errors. */
#include "ingest_parse.h"
#include "../util/csv.h"
#include "../util/zt.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum col { C_ID, C_TITLE, C_CATEGORY, C_PRICE, C_URL, C_IMAGE, C_CLASS, C_CURRENCY, C_N };

static const struct {
    const char *name;
    int required;
} cols[C_N] = {
    [C_ID] = {"id", 1},       [C_TITLE] = {"title", 1}, [C_CATEGORY] = {"category", 1},
    [C_PRICE] = {"price", 1}, [C_URL] = {"url", 1},     [C_IMAGE] = {"image", 1},
    [C_CLASS] = {"class", 0}, [C_CURRENCY] = {"currency", 0},
};

struct zt_ingest {
    FILE *f;
    int own_f;
    char name[512];
    enum zt_ingest_format fmt;
    int stopped; /* 0, or the code of the error that stopped parsing */
    long line;   /* line of the last row */
    /* CSV */
    struct zt_csv *csv;
    int header_done, nheader;
    int colidx[C_N]; /* header position of each known column, -1 if absent */
    /* JSONL */
    long next_line; /* line number of the next line to read */
    char *buf;
    size_t len, cap;
};

/* --- shared: one value -> product field --- */

static const char *trim(const char *s, size_t *n)
{
    while (*n && (*s == ' ' || *s == '\t')) s++, (*n)--;
    while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t')) (*n)--;
    return s;
}

/* Sets column c of p from text v (n bytes). Message "<col>: <why>". */
static int set_value(struct zt_product *p, enum col c, const char *v, size_t n)
{
    const char *name = cols[c].name;
    char tmp[64];
    v = trim(v, &n);
    if (n == 0) {
        if (!cols[c].required) return ZT_OK; /* keep the default */
        zt_seterr("%s: empty", name);
        return ZT_EINVAL;
    }
    switch (c) {
    case C_ID: return zt_product_set(p->id, sizeof p->id, name, v, n);
    case C_TITLE: { /* titles may span lines in a feed; store them on one */
        if (n >= sizeof p->title) return zt_product_set(p->title, sizeof p->title, name, v, n);
        char t[ZT_PRODUCT_TITLE_MAX];
        for (size_t i = 0; i < n; i++) t[i] = v[i] == '\n' || v[i] == '\r' ? ' ' : v[i];
        return zt_product_set(p->title, sizeof p->title, name, t, n);
    }
    case C_URL: return zt_product_set(p->url, sizeof p->url, name, v, n);
    case C_IMAGE: return zt_product_set(p->image_path, sizeof p->image_path, name, v, n);
    case C_CLASS: return zt_product_set(p->cls, sizeof p->cls, name, v, n);
    case C_CATEGORY: {
        enum zt_category cat;
        snprintf(tmp, sizeof tmp, "%.*s", (int)ZT_MIN(n, sizeof tmp - 1), v);
        if (n >= sizeof tmp || zt_category_parse(tmp, &cat)) {
            zt_seterr("%s: '%.32s' is not one of top, pants, skirt, hat, other", name, tmp);
            return ZT_EINVAL;
        }
        snprintf(p->category, sizeof p->category, "%s", zt_category_name(cat));
        return ZT_OK;
    }
    case C_PRICE: {
        char num[64];
        snprintf(num, sizeof num, "%.*s", (int)ZT_MIN(n, sizeof num - 1), v);
        if (n >= sizeof num) {
            zt_seterr("%s: '%.32s...' is not a number", name, num);
            return ZT_EINVAL;
        }
        if (zt_price_parse(num, &p->price)) {
            zt_adderr("%s", name);
            return ZT_EINVAL;
        }
        return ZT_OK;
    }
    case C_CURRENCY: {
        if (n != 3) {
            zt_seterr("%s: '%.*s' is not a 3-letter code like USD", name, (int)ZT_MIN(n, 16), v);
            return ZT_EINVAL;
        }
        for (size_t i = 0; i < 3; i++) {
            char ch = v[i];
            if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
            if (ch < 'A' || ch > 'Z') {
                zt_seterr("%s: '%.3s' is not a 3-letter code like USD", name, v);
                return ZT_EINVAL;
            }
            p->currency[i] = ch;
        }
        p->currency[3] = 0;
        return ZT_OK;
    }
    default: break;
    }
    return ZT_OK;
}

/* Final checks of a filled row; prefixes any message with name:line. */
static int finish_row(struct zt_ingest *in, struct zt_product *p, int rc)
{
    if (!rc) rc = zt_product_validate(p);
    if (rc) {
        zt_adderr("%s:%ld", in->name, in->line);
        return ZT_EINVAL; /* any value problem rejects only this row */
    }
    return ZT_OK;
}

/* --- CSV --- */

static int csv_header(struct zt_ingest *in)
{
    int nf, rc;
    char **fl;
    rc = zt_csv_next(in->csv, &nf, &fl);
    if (rc == 0) {
        zt_seterr("%s: empty file: a header row naming the columns is required", in->name);
        return ZT_EFORMAT;
    }
    if (rc < 0) return rc;
    in->line = zt_csv_line(in->csv);
    for (int c = 0; c < C_N; c++) in->colidx[c] = -1;
    for (int i = 0; i < nf; i++) {
        const char *h = fl[i];
        if (i == 0 && !strncmp(h, "\xEF\xBB\xBF", 3)) h += 3; /* UTF-8 BOM */
        size_t n = strlen(h);
        h = trim(h, &n);
        for (int c = 0; c < C_N; c++) {
            if (strlen(cols[c].name) != n || strncasecmp(h, cols[c].name, n)) continue;
            if (in->colidx[c] >= 0) {
                zt_seterr("%s:%ld: column '%s' appears twice in the header", in->name,
                          in->line, cols[c].name);
                return ZT_EFORMAT;
            }
            in->colidx[c] = i;
        }
    }
    for (int c = 0; c < C_N; c++)
        if (cols[c].required && in->colidx[c] < 0) {
            zt_seterr("%s:%ld: missing required column '%s' (header needs id, title, category,"
                      " price, url, image)",
                      in->name, in->line, cols[c].name);
            return ZT_EFORMAT;
        }
    in->nheader = nf;
    in->header_done = 1;
    return ZT_OK;
}

static int csv_next(struct zt_ingest *in, struct zt_product *out)
{
    int nf, rc;
    char **fl;
    if (!in->header_done && (rc = csv_header(in))) return rc;
    rc = zt_csv_next(in->csv, &nf, &fl);
    if (rc == 0) return ZT_INGEST_END;
    if (rc < 0) return rc;
    in->line = zt_csv_line(in->csv);
    if (nf != in->nheader) {
        zt_seterr("%s:%ld: expected %d fields like the header, got %d", in->name, in->line,
                  in->nheader, nf);
        return ZT_EINVAL;
    }
    zt_product_init(out);
    rc = ZT_OK;
    for (int c = 0; c < C_N && !rc; c++)
        if (in->colidx[c] >= 0) rc = set_value(out, (enum col)c, fl[in->colidx[c]],
                                               strlen(fl[in->colidx[c]]));
    return finish_row(in, out, rc);
}

/* --- JSON Lines --- */

/* Reads one line (without its newline) into in->buf. 1 = got a line,
 * 0 = end of file, < 0 = error. */
static int read_line(struct zt_ingest *in)
{
    int ch, any = 0;
    in->len = 0;
    in->line = in->next_line;
    while ((ch = getc(in->f)) != EOF) {
        any = 1;
        if (ch == '\n') break;
        if (in->len >= ZT_INGEST_LINE_MAX) {
            zt_seterr("%s:%ld: line longer than %d bytes", in->name, in->line,
                      ZT_INGEST_LINE_MAX);
            return ZT_ETOOBIG;
        }
        if (in->len + 1 >= in->cap) {
            size_t cap = in->cap ? in->cap * 2 : 4096;
            char *p = realloc(in->buf, cap);
            if (!p) {
                zt_seterr("%s:%ld: out of memory", in->name, in->line);
                return ZT_ENOMEM;
            }
            in->buf = p;
            in->cap = cap;
        }
        in->buf[in->len++] = (char)ch;
    }
    if (ferror(in->f)) {
        zt_seterr("%s:%ld: read error: %s", in->name, in->line, strerror(errno));
        return ZT_EIO;
    }
    if (!any) return 0;
    in->next_line++;
    if (in->len && in->buf[in->len - 1] == '\r') in->len--;
    return 1;
}

/* Text of a JSON value for column c into tmp, or a message. */
static int json_value(enum col c, json_t *v, struct zt_product *p)
{
    char tmp[64];
    switch (json_typeof(v)) {
    case JSON_STRING: return set_value(p, c, json_string_value(v), json_string_length(v));
    case JSON_NULL: return set_value(p, c, "", 0);
    case JSON_INTEGER:
        if (c != C_ID && c != C_PRICE) break;
        snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return set_value(p, c, tmp, strlen(tmp));
    case JSON_REAL: {
        if (c != C_PRICE) break;
        double d = json_real_value(v), cents = round(d * 100.0);
        if (d < 0) {
            zt_seterr("price: '%g' is negative", d);
            return ZT_EINVAL;
        }
        if (!(cents <= (double)ZT_PRICE_MAX)) {
            zt_seterr("price: '%g' is too large", d);
            return ZT_EINVAL;
        }
        if (fabs(d * 100.0 - cents) > 1e-6) {
            zt_seterr("price: '%.10g' has more than 2 decimals", d);
            return ZT_EINVAL;
        }
        p->price = (int64_t)cents;
        return ZT_OK;
    }
    default: break;
    }
    zt_seterr("%s: expected a %s", cols[c].name,
              c == C_PRICE ? "number or a string" : c == C_ID ? "string or an integer"
                                                             : "string");
    return ZT_EINVAL;
}

static int jsonl_next(struct zt_ingest *in, struct zt_product *out)
{
    int rc;
    const char *s;
    size_t n;
    do { /* skip blank lines */
        rc = read_line(in);
        if (rc <= 0) return rc == 0 ? ZT_INGEST_END : rc;
        s = in->buf;
        n = in->len;
        if (in->line == 1 && n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) s += 3, n -= 3;
        while (n && (*s == ' ' || *s == '\t')) s++, n--;
    } while (n == 0);
    json_error_t err;
    json_t *obj = json_loadb(s, n, JSON_REJECT_DUPLICATES, &err);
    if (!obj) {
        zt_seterr("%s:%ld: bad JSON at column %d: %s", in->name, in->line, err.column,
                  err.text);
        return ZT_EINVAL;
    }
    zt_product_init(out);
    rc = ZT_OK;
    if (!json_is_object(obj)) {
        zt_seterr("expected a JSON object");
        rc = ZT_EINVAL;
        goto done;
    }
    json_t *found[C_N] = {0};
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        for (int c = 0; c < C_N; c++) {
            if (strcasecmp(key, cols[c].name)) continue;
            if (found[c]) {
                zt_seterr("%s: key given twice", cols[c].name);
                rc = ZT_EINVAL;
                goto done;
            }
            found[c] = v;
        }
    }
    for (int c = 0; c < C_N && !rc; c++) {
        if (found[c]) rc = json_value((enum col)c, found[c], out);
        else if (cols[c].required) {
            zt_seterr("%s: missing", cols[c].name);
            rc = ZT_EINVAL;
        }
    }
done:
    json_decref(obj);
    return finish_row(in, out, rc);
}

/* --- public --- */

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcasecmp(s + n - m, suf);
}

int zt_ingest_open_file(FILE *f, const char *name, enum zt_ingest_format fmt,
                        struct zt_ingest **out)
{
    *out = NULL;
    struct zt_ingest *in = calloc(1, sizeof *in);
    if (!in) {
        zt_seterr("out of memory");
        return ZT_ENOMEM;
    }
    in->f = f;
    snprintf(in->name, sizeof in->name, "%s", name ? name : "feed");
    if (fmt == ZT_INGEST_AUTO)
        fmt = has_suffix(in->name, ".jsonl") || has_suffix(in->name, ".ndjson")
                  ? ZT_INGEST_JSONL
                  : ZT_INGEST_CSV;
    in->fmt = fmt;
    in->next_line = 1;
    if (fmt == ZT_INGEST_CSV) {
        in->csv = zt_csv_new(f, in->name, ZT_INGEST_LINE_MAX);
        if (!in->csv) {
            zt_seterr("out of memory");
            free(in);
            return ZT_ENOMEM;
        }
    } else if (fmt != ZT_INGEST_JSONL) {
        zt_seterr("ingest: unknown feed format %d", (int)fmt);
        free(in);
        return ZT_EINVAL;
    }
    *out = in;
    return ZT_OK;
}

int zt_ingest_open(const char *path, enum zt_ingest_format fmt, struct zt_ingest **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        zt_seterr("%s: %s", path, strerror(errno));
        return errno == ENOENT ? ZT_ENOTFOUND : ZT_EIO;
    }
    int rc = zt_ingest_open_file(f, path, fmt, out);
    if (rc) {
        fclose(f);
        return rc;
    }
    (*out)->own_f = 1;
    return ZT_OK;
}

void zt_ingest_close(struct zt_ingest *in)
{
    if (!in) return;
    zt_csv_free(in->csv);
    if (in->own_f) fclose(in->f);
    free(in->buf);
    free(in);
}

int zt_ingest_next(struct zt_ingest *in, struct zt_product *out)
{
    if (in->stopped) {
        zt_seterr("%s: parsing stopped after an earlier error", in->name);
        return in->stopped;
    }
    int rc = in->fmt == ZT_INGEST_CSV ? csv_next(in, out) : jsonl_next(in, out);
    if (rc < 0 && rc != ZT_EINVAL) {
        if (rc == ZT_ENOMEM && !*zt_errmsg()) zt_seterr("%s: out of memory", in->name);
        in->stopped = rc;
    }
    return rc;
}

long zt_ingest_line(const struct zt_ingest *in) { return in->line; }

enum zt_ingest_format zt_ingest_format(const struct zt_ingest *in) { return in->fmt; }
