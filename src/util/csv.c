/* csv.c: streaming RFC 4180 reader: one record at a time, bounded size. */
#include "csv.h"
#include "zt.h"

#include <stdlib.h>
#include <string.h>

struct zt_csv {
    FILE *f;
    char name[512];
    size_t max;
    long line, rec_line;
    char *buf;        /* field bytes, each NUL-terminated */
    size_t len, cap;
    size_t *offs;     /* field start offsets into buf */
    char **fields;
    int nf, fcap;
};

struct zt_csv *zt_csv_new(FILE *f, const char *name, size_t max_record_bytes)
{
    struct zt_csv *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->f = f;
    snprintf(c->name, sizeof c->name, "%s", name ? name : "csv");
    c->max = max_record_bytes ? max_record_bytes : (1u << 20);
    c->line = 1;
    c->fcap = 16;
    c->offs = malloc((size_t)c->fcap * sizeof *c->offs);
    c->fields = malloc((size_t)c->fcap * sizeof *c->fields);
    if (!c->offs || !c->fields) {
        zt_csv_free(c);
        return NULL;
    }
    return c;
}

void zt_csv_free(struct zt_csv *c)
{
    if (!c) return;
    free(c->buf);
    free(c->offs);
    free(c->fields);
    free(c);
}

long zt_csv_line(const struct zt_csv *c) { return c->rec_line; }

static int put(struct zt_csv *c, char ch)
{
    if (c->len + 1 >= c->max) {
        zt_seterr("%s:%ld: record longer than %zu bytes", c->name, c->rec_line, c->max);
        return ZT_ETOOBIG;
    }
    if (c->len + 1 >= c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        char *p = realloc(c->buf, cap);
        if (!p) return ZT_ENOMEM;
        c->buf = p;
        c->cap = cap;
    }
    c->buf[c->len++] = ch;
    return ZT_OK;
}

static int end_field(struct zt_csv *c)
{
    int rc = put(c, 0);
    if (rc) return rc;
    if (c->nf + 1 >= c->fcap) {
        int cap = c->fcap ? c->fcap * 2 : 16;
        if (cap > 4096) {
            zt_seterr("%s:%ld: more than 4096 fields", c->name, c->rec_line);
            return ZT_ETOOBIG;
        }
        size_t *o = realloc(c->offs, (size_t)cap * sizeof *o);
        if (!o) return ZT_ENOMEM;
        c->offs = o;
        char **fp = realloc(c->fields, (size_t)cap * sizeof *fp);
        if (!fp) return ZT_ENOMEM;
        c->fields = fp;
        c->fcap = cap;
    }
    c->nf++;
    c->offs[c->nf] = c->len; /* start of the next field */
    return ZT_OK;
}

int zt_csv_next(struct zt_csv *c, int *nfields, char ***fields)
{
    for (;;) {
        c->len = 0;
        c->nf = 0;
        c->offs[0] = 0;
        c->rec_line = c->line;
        int ch, inq = 0, any = 0, after_quote = 0, nul = 0, rc;
        for (;;) {
            ch = fgetc(c->f);
            nul |= ch == 0;
            if (ch == EOF) {
                if (inq) {
                    zt_seterr("%s:%ld: unterminated quoted field", c->name, c->rec_line);
                    return ZT_EFORMAT;
                }
                if (!any) return 0;
                break;
            }
            any = 1;
            if (inq) {
                if (ch == '"') {
                    int nx = fgetc(c->f);
                    if (nx == '"') {
                        if ((rc = put(c, '"'))) return rc;
                    } else {
                        inq = 0;
                        after_quote = 1;
                        if (nx != EOF) ungetc(nx, c->f);
                    }
                } else {
                    if (ch == '\n') c->line++;
                    if ((rc = put(c, (char)ch))) return rc;
                }
                continue;
            }
            if (ch == '\r') {
                int nx = fgetc(c->f);
                if (nx != '\n' && nx != EOF) ungetc(nx, c->f);
                ch = '\n';
            }
            if (ch == '\n') {
                c->line++;
                break;
            }
            if (ch == ',') {
                if ((rc = end_field(c))) return rc;
                after_quote = 0;
                continue;
            }
            if (ch == '"') {
                if (c->len != c->offs[c->nf] || after_quote) {
                    zt_seterr("%s:%ld: stray quote inside field %d", c->name, c->rec_line,
                              c->nf + 1);
                    return ZT_EFORMAT;
                }
                inq = 1;
                continue;
            }
            if (after_quote) {
                zt_seterr("%s:%ld: text after closing quote in field %d", c->name,
                          c->rec_line, c->nf + 1);
                return ZT_EFORMAT;
            }
            if ((rc = put(c, (char)ch))) return rc;
        }
        if ((rc = end_field(c))) return rc;
        if (nul) { /* fields are C strings: a NUL would silently cut one short */
            zt_seterr("%s:%ld: a NUL byte in the record", c->name, c->rec_line);
            return ZT_EINVAL;
        }
        if (c->nf == 1 && c->buf[0] == 0) continue; /* blank line */
        for (int i = 0; i < c->nf; i++) c->fields[i] = c->buf + c->offs[i];
        *nfields = c->nf;
        *fields = c->fields;
        return 1;
    }
}

int zt_csv_find(int nfields, char **fields, const char *name)
{
    for (int i = 0; i < nfields; i++)
        if (!strcmp(fields[i], name)) return i;
    return -1;
}
