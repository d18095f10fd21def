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
