/* index_store.c: the catalogue's index files and their rebuild from the store. */
#include "index_store.h"
#include "features.h"
#include "product.h"
#include "store.h"
#include "../img/image.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/zt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int is_pg(const char *url)
{
    return !strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13);
}

int zt_catalog_media_dir(const char *catalog, char *out, size_t n)
{
    int w;
    if (is_pg(catalog)) {
        const char *m = getenv("ZTYLE_MEDIA");
        w = snprintf(out, n, "%s", m && *m ? m : "ztyle-media");
    } else {
        w = snprintf(out, n, "%s.media", catalog);
    }
    if (w < 0 || (size_t)w >= n) {
        zt_seterr("%s: media path too long", catalog);
        return ZT_ETOOBIG;
    }
    return ZT_OK;
}

int zt_catalog_media_path(const char *catalog, const char *name, char *out, size_t n)
{
    char dir[4096];
    int rc = zt_catalog_media_dir(catalog, dir, sizeof dir);
    return rc ? rc : zt_path_join(out, n, dir, name);
}

int zt_catalog_photo_load(struct zt_store *s, const struct zt_product *p, int want_c,
                          const struct zt_image_limits *lim, struct zt_image *out)
{
    uint8_t *d = NULL;
    size_t n = 0;
    int rc = zt_store_media_get(s, p->id, ZT_MEDIA_ORIGINAL, &d, &n);
    if (rc == ZT_ENOTFOUND) return zt_image_load(p->image_path, want_c, lim, out);
    if (!rc && (rc = zt_image_decode(d, n, want_c, lim, out)))
        zt_adderr("stored original of '%.128s'", p->id);
    free(d);
    return rc;
}

struct row {
    char *id; /* owned */
    int cat;
    int64_t price;
};

struct walk {
    struct row *rows;
    size_t n;
    size_t next; /* rows and features both come in id order: merge */
    struct zt_index *ix;
    int64_t stale; /* features of another version or length */
};

static int on_feature(void *ctx, const char *id, int version, const void *data, size_t len)
{
    struct walk *w = ctx;
    while (w->next < w->n && strcmp(w->rows[w->next].id, id) < 0) w->next++;
    if (w->next >= w->n || strcmp(w->rows[w->next].id, id) != 0) return ZT_OK;
    if (version != ZT_FEAT_VERSION || len != sizeof(float) * ZT_FEAT_DIM) {
        w->stale++;
        return ZT_OK;
    }
    float v[ZT_FEAT_DIM];
    memcpy(v, data, sizeof v);
    const struct row *r = &w->rows[w->next];
    return zt_index_add(w->ix, id, r->cat, r->price, v);
}

int zt_index_from_store(struct zt_store *s, struct zt_index **out)
{
    *out = NULL;
    struct walk w = {0};
    struct zt_product *page = NULL;
    int64_t total = 0;
    int rc;
    if ((rc = zt_store_count(s, NULL, &total))) return rc;
    rc = ZT_ENOMEM;
    if (total > 0 && !(w.rows = calloc((size_t)total, sizeof *w.rows))) goto fail;
    for (int64_t off = 0; off < total;) {
        size_t got = 0;
        if ((rc = zt_store_list(s, NULL, 2000, off, &page, &got))) goto fail;
        if (got == 0) break;
        for (size_t i = 0; i < got && w.n < (size_t)total; i++) {
            struct row *r = &w.rows[w.n];
            r->cat = zt_class_of_product(&page[i]);
            r->price = page[i].price;
            if (!(r->id = strdup(page[i].id))) {
                rc = ZT_ENOMEM;
                goto fail;
            }
            w.n++;
        }
        off += (int64_t)got;
        free(page);
        page = NULL;
    }
    if ((rc = zt_index_new(ZT_FEAT_DIM, &w.ix))) goto fail;
    if (w.n && (rc = zt_index_reserve(w.ix, (int64_t)w.n))) goto fail;
    if ((rc = zt_store_feature_each(s, ZT_FEATURE_SEARCH, on_feature, &w))) goto fail;
    *out = w.ix;
    w.ix = NULL;
    rc = ZT_OK;
fail:
    if (rc == ZT_ENOMEM) zt_seterr("index: out of memory");
    free(page);
    for (size_t i = 0; i < w.n; i++) free(w.rows[i].id);
    free(w.rows);
    zt_index_free(w.ix);
    return rc;
}

/* --- incremental: the base index and the products changed since --- */

struct changed {
    char *id;  /* owned */
    int live;  /* still in the catalogue with a current search feature */
    int cat;
    int64_t price;
    float *v;  /* owned, ZT_FEAT_DIM when live */
};

struct delta {
    struct changed *c;
    size_t n, cap;
};

static int on_change(void *ctx, int64_t version, const char *id, int op)
{
    (void)version, (void)op; /* the product's state now is what counts */
    struct delta *d = ctx;
    if (d->n == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 64;
        struct changed *nc = realloc(d->c, ncap * sizeof *nc);
        if (!nc) return ZT_ENOMEM;
        d->c = nc;
        d->cap = ncap;
    }
    memset(&d->c[d->n], 0, sizeof d->c[0]);
    if (!(d->c[d->n].id = strdup(id))) return ZT_ENOMEM;
    d->n++;
    return ZT_OK;
}

static int cmp_changed(const void *a, const void *b)
{
    return strcmp(((const struct changed *)a)->id, ((const struct changed *)b)->id);
}

/* The changed product's row and search feature now (live = 0 when gone). */
static int read_changed(struct zt_store *s, struct changed *c)
{
    struct zt_product p;
    uint8_t *data = NULL;
    size_t len = 0;
    int ver = 0, rc = zt_store_get(s, c->id, &p);
    if (!rc) rc = zt_store_feature_get(s, c->id, ZT_FEATURE_SEARCH, &ver, &data, &len);
    if (rc == ZT_ENOTFOUND) {
        zt_clearerr();
        return ZT_OK;
    }
    if (rc) return rc;
    if (ver == ZT_FEAT_VERSION && len == sizeof(float) * ZT_FEAT_DIM) {
        c->live = 1;
        c->cat = zt_class_of_product(&p);
        c->price = p.price;
        c->v = (float *)data; /* malloc'd by the store: kept */
        return ZT_OK;
    }
    free(data); /* another version or length: not indexed, as in a rebuild */
    return ZT_OK;
}

static int add_changed(struct zt_index *ix, const struct changed *c)
{
    return c->live ? zt_index_add(ix, c->id, c->cat, c->price, c->v) : ZT_OK;
}

int zt_index_from_store_delta(struct zt_store *s, const struct zt_index *base, int64_t since,
                              int64_t max_changes, struct zt_index **out, int64_t *nchanged)
{
    *out = NULL;
    struct delta d = {0};
    struct zt_index *ix = NULL;
    int rc = ZT_EINVAL;
    if (zt_index_dim(base) != ZT_FEAT_DIM) {
        zt_seterr("index: base of dimension %d, the catalogue has %d", zt_index_dim(base),
                  ZT_FEAT_DIM);
        return rc;
    }
    if ((rc = zt_store_changes(s, since, max_changes, on_change, &d))) goto fail;
    /* one entry per product, in id order */
    if (d.n) qsort(d.c, d.n, sizeof *d.c, cmp_changed);
    size_t u = 0;
    for (size_t i = 0; i < d.n; i++) {
        if (u && !strcmp(d.c[u - 1].id, d.c[i].id)) {
            free(d.c[i].id);
            continue;
        }
        d.c[u++] = d.c[i];
    }
    d.n = u;
    for (size_t i = 0; i < d.n; i++)
        if ((rc = read_changed(s, &d.c[i]))) goto fail;
    /* merge: base items (in id order) not changed, and the changed live ones */
    int64_t nb = zt_index_count(base);
    if ((rc = zt_index_new(ZT_FEAT_DIM, &ix)) || (rc = zt_index_reserve(ix, nb + (int64_t)d.n)))
        goto fail;
    /* runs of unchanged base items go over in blocks (zt_index_append) */
    size_t j = 0;
    int64_t run = 0;
    for (int64_t i = 0; i < nb; i++) {
        const char *id = zt_index_id(base, i);
        struct changed key = {.id = (char *)id};
        int gone = d.n && bsearch(&key, d.c, d.n, sizeof *d.c, cmp_changed);
        if (!gone && (j >= d.n || strcmp(d.c[j].id, id) > 0)) continue;
        if ((rc = zt_index_append(ix, base, run, i - run))) goto fail;
        while (j < d.n && strcmp(d.c[j].id, id) < 0)
            if ((rc = add_changed(ix, &d.c[j++]))) goto fail;
        run = gone ? i + 1 : i;
    }
    if ((rc = zt_index_append(ix, base, run, nb - run))) goto fail;
    while (j < d.n)
        if ((rc = add_changed(ix, &d.c[j++]))) goto fail;
    if (nchanged) *nchanged = (int64_t)d.n;
    *out = ix;
    ix = NULL;
fail:
    if (rc == ZT_ENOMEM) zt_seterr("index: out of memory");
    for (size_t i = 0; i < d.n; i++) {
        free(d.c[i].id);
        free(d.c[i].v);
    }
    free(d.c);
    zt_index_free(ix);
    return rc;
}

int zt_catalog_index_open(const char *catalog, struct zt_store *s, struct zt_index **out,
                          int *rebuilt)
{
    char path[4096], dir[4096];
    struct zt_index *ix = NULL;
    int rc;
    *out = NULL;
    if (rebuilt) *rebuilt = 0;
    if ((rc = zt_catalog_media_path(catalog, "index.zti", path, sizeof path))) return rc;
    int64_t nprod = 0;
    if ((rc = zt_store_count(s, NULL, &nprod))) return rc;
    if (zt_index_load(path, &ix) == ZT_OK) {
        /* every product ingest stored has its feature, so the counts agree
         * unless someone wrote to the store without ingest */
        if (zt_index_count(ix) == nprod && zt_index_dim(ix) == ZT_FEAT_DIM) {
            *out = ix;
            return ZT_OK;
        }
        zt_index_free(ix);
        ix = NULL;
    }
    if ((rc = zt_index_from_store(s, &ix))) return rc;
    if (rebuilt) *rebuilt = 1;
    if (!zt_catalog_media_dir(catalog, dir, sizeof dir) && !zt_mkdirs(dir))
        zt_index_save(ix, path); /* best effort: a read-only folder still searches */
    zt_clearerr();
    *out = ix;
    return ZT_OK;
}

int zt_catalog_index_invalidate(const char *catalog)
{
    static const char *const names[] = {"index.zti", "index.ivf"};
    for (size_t i = 0; i < ZT_ARRAY_LEN(names); i++) {
        char path[4096];
        int rc = zt_catalog_media_path(catalog, names[i], path, sizeof path);
        if (rc) return rc;
        if (unlink(path) != 0 && errno != ENOENT) {
            zt_seterr("%s: %s", path, strerror(errno));
            return ZT_EIO;
        }
    }
    return ZT_OK;
}

/* --- which model embedded a product --- */

static enum zt_embed_origin origin_of(const uint8_t *d, size_t len, uint64_t fp)
{
    if (len != 8) return ZT_EMBED_UNKNOWN;
    uint64_t v = 0;
    for (int k = 7; k >= 0; k--) v = v << 8 | d[k];
    return v == fp ? ZT_EMBED_SAME : v == 0 ? ZT_EMBED_NONE : ZT_EMBED_OTHER;
}

int zt_catalog_embed_origin(struct zt_store *s, const char *id, uint64_t fp,
                            enum zt_embed_origin *out)
{
    uint8_t *d = NULL;
    size_t len = 0;
    int rc = zt_store_feature_get(s, id, ZT_FEATURE_EMBED_MODEL, NULL, &d, &len);
    *out = ZT_EMBED_UNKNOWN;
    if (rc == ZT_ENOTFOUND) {
        zt_clearerr();
        return ZT_OK;
    }
    if (!rc) *out = origin_of(d, len, fp);
    free(d);
    return rc;
}

int zt_catalog_embed_put(struct zt_store *s, const char *id, uint64_t fp)
{
    uint8_t d[8];
    for (int k = 0; k < 8; k++) d[k] = (uint8_t)(fp >> (8 * k));
    return zt_store_feature_put(s, id, ZT_FEATURE_EMBED_MODEL, 1, d, sizeof d);
}

struct census {
    uint64_t fp;
    int64_t *count;
};

static int on_origin(void *ctx, const char *id, int version, const void *data, size_t len)
{
    struct census *c = ctx;
    c->count[origin_of(data, len, c->fp)]++;
    return ZT_OK;
}

int zt_catalog_embed_census(struct zt_store *s, uint64_t fp, int64_t count[4])
{
    int64_t total = 0;
    memset(count, 0, 4 * sizeof *count);
    struct census c = {fp, count};
    int rc = zt_store_count(s, NULL, &total);
    if (!rc) rc = zt_store_feature_each(s, ZT_FEATURE_EMBED_MODEL, on_origin, &c);
    if (rc) return rc;
    int64_t seen = count[0] + count[1] + count[2] + count[3];
    count[ZT_EMBED_UNKNOWN] += total > seen ? total - seen : 0;
    return ZT_OK;
}
