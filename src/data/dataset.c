/* dataset.c: listing image datasets (folder trees and CSVs) and folding
 * classes into categories. */
#include "dataset.h"
#include "../img/image.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/csv.h"
#include "../util/zt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* --- category map --- */

static int map_add_class(struct zt_catmap *m, const char *cls, int cat)
{
    char (*c)[64] = realloc(m->cls, (size_t)(m->nclass + 1) * sizeof *c);
    if (!c) return ZT_ENOMEM;
    m->cls = c;
    int *cc = realloc(m->cls_cat, (size_t)(m->nclass + 1) * sizeof *cc);
    if (!cc) return ZT_ENOMEM;
    m->cls_cat = cc;
    snprintf(m->cls[m->nclass], 64, "%s", cls);
    m->cls_cat[m->nclass] = cat;
    m->nclass++;
    return ZT_OK;
}

static int map_add_category(struct zt_catmap *m, const char *name)
{
    int i = zt_catmap_category(m, name);
    if (i >= 0) return i;
    if (m->ncat >= ZT_MAX_CATEGORIES) {
        zt_seterr("more than %d categories", ZT_MAX_CATEGORIES);
        return ZT_ETOOBIG;
    }
    snprintf(m->cat[m->ncat], sizeof m->cat[0], "%s", name);
    return m->ncat++;
}

/* rows: category, then its classes (NULL-terminated) */
static int map_from_rows(struct zt_catmap *m, const char *const (*rows)[6], size_t nrows)
{
    memset(m, 0, sizeof *m);
    for (size_t r = 0; r < nrows; r++) {
        int cat = map_add_category(m, rows[r][0]);
        for (int k = 1; k < 6 && rows[r][k]; k++)
            if (map_add_class(m, rows[r][k], cat)) {
                zt_catmap_deinit(m);
                zt_seterr("out of memory");
                return ZT_ENOMEM;
            }
    }
    return ZT_OK;
}

int zt_catmap_default(struct zt_catmap *m)
{
    static const char *const rows[][6] = {
        {"top", "t-shirt", "shirt", "longsleeve", "outwear", NULL},
        {"pants", "pants", "shorts", NULL},
        {"skirt", "skirt", NULL},
        {"hat", "hat", NULL},
        {"dress", "dress", NULL},
        {"shoes", "shoes", NULL},
    };
    return map_from_rows(m, rows, ZT_ARRAY_LEN(rows));
}

int zt_catmap_v1(struct zt_catmap *m)
{
    static const char *const rows[][6] = {
        {"top", "t-shirt", "shirt", "longsleeve", NULL},
        {"pants", "pants", NULL},
        {"skirt", "skirt", NULL},
        {"hat", "hat", NULL},
    };
    return map_from_rows(m, rows, ZT_ARRAY_LEN(rows));
}

void zt_catmap_names(const struct zt_catmap *m, char *buf, size_t n)
{
    size_t at = 0;
    if (n) buf[0] = 0;
    for (int k = 0; k < m->ncat && at < n; k++) {
        int w = snprintf(buf + at, n - at, "%s%s", k ? ", " : "", m->cat[k]);
        if (w < 0) break;
        at += (size_t)w;
    }
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
    return s;
}

int zt_catmap_load(const char *path, struct zt_catmap *m)
{
    memset(m, 0, sizeof *m);
    FILE *f = fopen(path, "r");
    if (!f) {
        zt_seterr("%s: %s", path, strerror(errno));
        return ZT_ENOTFOUND;
    }
    char line[4096];
    int lineno = 0, rc = ZT_OK;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *s = trim(line);
        if (!*s) continue;
        char *colon = strchr(s, ':');
        if (!colon) {
            zt_seterr("%s:%d: expected 'category: class, class, ...'", path, lineno);
            rc = ZT_EFORMAT;
            goto out;
        }
        *colon = 0;
        char *cat = trim(s);
        if (!*cat || strlen(cat) >= sizeof m->cat[0]) {
            zt_seterr("%s:%d: bad category name", path, lineno);
            rc = ZT_EFORMAT;
            goto out;
        }
        int ci = map_add_category(m, cat);
        if (ci < 0) {
            zt_adderr("%s:%d", path, lineno);
            rc = ci;
            goto out;
        }
        char *save = NULL;
        for (char *tok = strtok_r(colon + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            char *cls = trim(tok);
            if (!*cls) continue;
            if (strlen(cls) >= 64) {
                zt_seterr("%s:%d: class name too long", path, lineno);
                rc = ZT_EFORMAT;
                goto out;
            }
            int prev = zt_catmap_lookup(m, cls);
            if (prev >= 0 && prev != ci) {
                zt_seterr("%s:%d: class '%s' already maps to '%s'", path, lineno, cls,
                          m->cat[prev]);
                rc = ZT_EFORMAT;
                goto out;
            }
            if ((rc = map_add_class(m, cls, ci))) goto out;
        }
    }
    if (m->ncat == 0) {
        zt_seterr("%s: no categories", path);
        rc = ZT_EFORMAT;
    }
out:
    fclose(f);
    if (rc) zt_catmap_deinit(m);
    return rc;
}

void zt_catmap_deinit(struct zt_catmap *m)
{
    if (!m) return;
    free(m->cls);
    free(m->cls_cat);
    memset(m, 0, sizeof *m);
}

int zt_catmap_lookup(const struct zt_catmap *m, const char *cls)
{
    for (int i = 0; i < m->nclass; i++)
        if (!strcmp(m->cls[i], cls)) return m->cls_cat[i];
    return zt_catmap_category(m, cls);
}

int zt_catmap_category(const struct zt_catmap *m, const char *name)
{
    for (int i = 0; i < m->ncat; i++)
        if (!strcmp(m->cat[i], name)) return i;
    return -1;
}

/* --- dataset listing --- */

static char *id_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot > base ? (size_t)(dot - base) : strlen(base);
    char *id = malloc(n + 1);
    if (id) {
        memcpy(id, base, n);
        id[n] = 0;
    }
    return id;
}

static int push(struct zt_dataset *d, int *cap, const char *path, const char *cls,
                const struct zt_catmap *map, int split)
{
    if (d->n == *cap) {
        int nc = *cap ? *cap * 2 : 256;
        struct zt_sample *s = realloc(d->s, (size_t)nc * sizeof *s);
        if (!s) return ZT_ENOMEM;
        d->s = s;
        *cap = nc;
    }
    struct zt_sample *s = &d->s[d->n];
    s->path = strdup(path);
    s->cls = strdup(cls);
    s->id = id_of(path);
    if (!s->path || !s->cls || !s->id) {
        free(s->path);
        free(s->cls);
        free(s->id);
        zt_seterr("out of memory");
        return ZT_ENOMEM;
    }
    s->category = map ? zt_catmap_lookup(map, cls) : -1;
    s->split = split;
    d->n++;
    return ZT_OK;
}

/* Adds <root>/<class>/<image> entries; split -1 = decide by hash. */
static int scan_tree(struct zt_dataset *d, int *cap, const char *root,
                     const struct zt_catmap *map, int split, int val_percent)
{
    char **classes = NULL;
    int nclasses = 0, rc = zt_list_dir(root, &classes, &nclasses);
    if (rc) return rc;
    for (int c = 0; c < nclasses && !rc; c++) {
        char cdir[4096];
        snprintf(cdir, sizeof cdir, "%s/%s", root, classes[c]);
        if (!zt_is_dir(cdir)) continue;
        char **files = NULL;
        int nfiles = 0;
        if ((rc = zt_list_dir(cdir, &files, &nfiles))) break;
        for (int f = 0; f < nfiles && !rc; f++) {
            if (!zt_image_name_ok(files[f])) continue;
            char p[4096];
            if (snprintf(p, sizeof p, "%s/%s", cdir, files[f]) >= (int)sizeof p) continue;
            int sp = split;
            if (sp < 0) sp = (int)(zt_hash_str(files[f]) % 100) < val_percent ? ZT_SPLIT_VAL
                                                                              : ZT_SPLIT_TRAIN;
            rc = push(d, cap, p, classes[c], map, sp);
        }
        zt_names_free(files, nfiles);
    }
    zt_names_free(classes, nclasses);
    return rc;
}

static int load_csv(struct zt_dataset *d, int *cap, const char *path,
                    const struct zt_catmap *map, int val_percent)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        zt_seterr("%s: %s", path, strerror(errno));
        return errno == ENOENT ? ZT_ENOTFOUND : ZT_EIO;
    }
    char base[4096];
    snprintf(base, sizeof base, "%s", path);
    char *slash = strrchr(base, '/');
    if (slash) slash[1] = 0;
    else base[0] = 0;
    struct zt_csv *c = zt_csv_new(f, path, 1 << 20);
    int rc = c ? ZT_OK : ZT_ENOMEM, nf, ip = -1, ic = -1, is = -1;
    char **fl;
    int r = c ? zt_csv_next(c, &nf, &fl) : 0;
    if (c && r <= 0) {
        if (r == 0) zt_seterr("%s: empty file (expected a header 'path,category')", path);
        rc = r ? r : ZT_EFORMAT;
        goto out;
    }
    if (c) {
        ip = zt_csv_find(nf, fl, "path");
        ic = zt_csv_find(nf, fl, "category");
        if (ic < 0) ic = zt_csv_find(nf, fl, "class");
        is = zt_csv_find(nf, fl, "split");
        if (ip < 0 || ic < 0) {
            zt_seterr("%s:1: header needs columns 'path' and 'category'", path);
            rc = ZT_EFORMAT;
            goto out;
        }
    }
    while (c && (r = zt_csv_next(c, &nf, &fl)) == 1) {
        long line = zt_csv_line(c);
        if (nf <= ip || nf <= ic || (is >= 0 && nf <= is)) {
            zt_seterr("%s:%ld: %d fields, the header has more", path, line, nf);
            rc = ZT_EFORMAT;
            goto out;
        }
        if (!fl[ip][0]) {
            zt_seterr("%s:%ld: path: empty", path, line);
            rc = ZT_EFORMAT;
            goto out;
        }
        char p[4096];
        if (fl[ip][0] == '/') snprintf(p, sizeof p, "%s", fl[ip]);
        else snprintf(p, sizeof p, "%s%s", base, fl[ip]);
        int sp;
        if (is >= 0 && fl[is][0]) {
            if (!strcmp(fl[is], "train")) sp = ZT_SPLIT_TRAIN;
            else if (!strcmp(fl[is], "val") || !strcmp(fl[is], "validation")) sp = ZT_SPLIT_VAL;
            else {
                zt_seterr("%s:%ld: split: '%s' is not train/val", path, line, fl[is]);
                rc = ZT_EFORMAT;
                goto out;
            }
        } else {
            sp = (int)(zt_hash_str(p) % 100) < val_percent ? ZT_SPLIT_VAL : ZT_SPLIT_TRAIN;
        }
        if ((rc = push(d, cap, p, fl[ic], map, sp))) goto out;
    }
    if (r < 0) rc = r;
out:
    zt_csv_free(c);
    fclose(f);
    return rc;
}

static int cmp_sample(const void *a, const void *b)
{
    const struct zt_sample *x = a, *y = b;
    if (x->split != y->split) return x->split - y->split;
    int c = strcmp(x->cls, y->cls);
    return c ? c : strcmp(x->id, y->id);
}

int zt_dataset_open(const char *src, const struct zt_catmap *map, int val_percent,
                    struct zt_dataset *out)
{
    struct zt_dataset d = {0};
    int cap = 0, rc;
    const char *dot = strrchr(src, '.');
    if (dot && !strcasecmp(dot, ".csv") && !zt_is_dir(src)) {
        rc = load_csv(&d, &cap, src, map, val_percent);
    } else if (zt_is_dir(src)) {
        char tr[4096], va[4096];
        snprintf(tr, sizeof tr, "%s/train", src);
        snprintf(va, sizeof va, "%s/validation", src);
        if (!zt_is_dir(va)) snprintf(va, sizeof va, "%s/val", src);
        if (zt_is_dir(tr)) {
            rc = scan_tree(&d, &cap, tr, map, ZT_SPLIT_TRAIN, val_percent);
            if (!rc && zt_is_dir(va)) rc = scan_tree(&d, &cap, va, map, ZT_SPLIT_VAL, val_percent);
        } else {
            rc = scan_tree(&d, &cap, src, map, -1, val_percent);
        }
    } else {
        zt_seterr("%s: not a folder or a .csv file", src);
        rc = zt_file_exists(src) ? ZT_EINVAL : ZT_ENOTFOUND;
    }
    if (!rc && d.n == 0) {
        zt_seterr("%s: no images found (expected <class>/<image>.jpg|png)", src);
        rc = ZT_ENOTFOUND;
    }
    if (rc) {
        zt_dataset_deinit(&d);
        return rc;
    }
    qsort(d.s, (size_t)d.n, sizeof *d.s, cmp_sample);
    *out = d;
    return ZT_OK;
}

const char *zt_dataset_default(void)
{
    const char *env = getenv("ZTYLE_DATASET");
    return env && *env ? env : ZT_DATASET_DEFAULT;
}

void zt_dataset_deinit(struct zt_dataset *d)
{
    if (!d) return;
    for (int i = 0; i < d->n; i++) {
        free(d->s[i].path);
        free(d->s[i].id);
        free(d->s[i].cls);
    }
    free(d->s);
    memset(d, 0, sizeof *d);
}
