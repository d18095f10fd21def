/* store.c: the backend-independent half of the catalogue store: picks the
 * backend from the URL, checks arguments, schema version and transaction
 * state, then dispatches through struct zt_store_ops. */
#include "store.h"
#include "store_impl.h"
#include "../util/zt.h"

#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

struct zt_store {
    const struct zt_store_ops *ops;
    void *db;
    int version; /* schema version seen at open / after migrate */
    int in_tx;
};

const struct zt_store_col zt_store_cols[ZT_STORE_NCOLS] = {
    {"id", offsetof(struct zt_product, id), ZT_PRODUCT_ID_MAX},
    {"title", offsetof(struct zt_product, title), ZT_PRODUCT_TITLE_MAX},
    {"category", offsetof(struct zt_product, category), ZT_PRODUCT_CATEGORY_MAX},
    {"garment_class", offsetof(struct zt_product, cls), ZT_PRODUCT_CLASS_MAX},
    [ZT_STORE_COL_PRICE] = {NULL, 0, 0},
    {"currency", offsetof(struct zt_product, currency), ZT_PRODUCT_CURRENCY_MAX},
    {"url", offsetof(struct zt_product, url), ZT_PRODUCT_URL_MAX},
    {"image_path", offsetof(struct zt_product, image_path), ZT_PRODUCT_PATH_MAX},
    {"thumb_path", offsetof(struct zt_product, thumb_path), ZT_PRODUCT_PATH_MAX},
    {"edge_path", offsetof(struct zt_product, edge_path), ZT_PRODUCT_PATH_MAX},
    [ZT_STORE_COL_UPDATED_AT] = {NULL, 0, 0},
};

int zt_store_copy_col(char *dst, size_t cap, const char *col, const char *src, size_t n)
{
    if (n >= cap) {
        zt_seterr("column %s: %zu bytes does not fit (limit %zu)", col, n, cap - 1);
        return ZT_EDB;
    }
    if (n) memcpy(dst, src, n);
    dst[n] = 0;
    return ZT_OK;
}

int zt_store_set_col(struct zt_product *p, int c, const char *src, size_t n)
{
    const struct zt_store_col *k = &zt_store_cols[c];
    return zt_store_copy_col((char *)p + k->off, k->cap, k->col, src, n);
}

int zt_store_not_found(const char *what, const char *id)
{
    zt_seterr("%s: no product with id '%.128s'", what, id);
    return ZT_ENOTFOUND;
}

int zt_store_no_blob(const char *what, const char *id, const char *name)
{
    zt_seterr("get %s: product '%.128s' has no %s '%s'", what, id, what, name);
    return ZT_ENOTFOUND;
}

int zt_store_copy_blob(const char *what, const void *src, size_t n, uint8_t **data, size_t *len)
{
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) {
        zt_seterr("get %s: out of memory for %zu bytes", what, n);
        return ZT_ENOMEM;
    }
    if (n) memcpy(copy, src, n);
    *data = copy;
    *len = n;
    return ZT_OK;
}

static int is_pg_url(const char *url)
{
    return !strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13);
}

int zt_store_open(const char *url, struct zt_store **out)
{
    *out = NULL;
    if (!url || !*url) {
        zt_seterr("store: empty path or URL");
        return ZT_EINVAL;
    }
    struct zt_store *s = calloc(1, sizeof *s);
    if (!s) {
        zt_seterr("out of memory");
        return ZT_ENOMEM;
    }
    int rc = is_pg_url(url) ? zt_store_pg_open(url, &s->ops, &s->db)
                            : zt_store_sqlite_open(url, &s->ops, &s->db);
    if (rc) goto fail;
    rc = s->ops->schema_version(s->db, &s->version);
    if (rc) goto fail;
    if (s->version > ZT_STORE_SCHEMA_VERSION) {
        zt_seterr("catalogue schema version %d is newer than this build (%d); upgrade ztyle",
                  s->version, ZT_STORE_SCHEMA_VERSION);
        rc = ZT_EDB;
        goto fail;
    }
    *out = s;
    return ZT_OK;
fail:
    zt_store_close(s);
    return rc;
}

void zt_store_close(struct zt_store *s)
{
    if (!s) return;
    if (s->db) {
        if (s->in_tx) s->ops->tx(s->db, ZT_TX_ROLLBACK);
        s->ops->close(s->db);
    }
    free(s);
}

const char *zt_store_backend(const struct zt_store *s) { return s->ops->name; }

/* Every data call starts here: the schema must be current. */
static int ready(struct zt_store *s)
{
    if (s->version == ZT_STORE_SCHEMA_VERSION) return ZT_OK;
    zt_seterr("catalogue schema is at version %d, this build needs %d: run migrate first",
              s->version, ZT_STORE_SCHEMA_VERSION);
    return ZT_EDB;
}

static int check_id(const char *id)
{
    if (!id || !*id) {
        zt_seterr("id: empty");
        return ZT_EINVAL;
    }
    if (strlen(id) >= ZT_PRODUCT_ID_MAX) {
        zt_seterr("id: longer than %d bytes", ZT_PRODUCT_ID_MAX - 1);
        return ZT_EINVAL;
    }
    return ZT_OK;
}

static int check_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= ZT_PRODUCT_NAME_MAX) {
        zt_seterr("feature name: must be 1-%d bytes", ZT_PRODUCT_NAME_MAX - 1);
        return ZT_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.')) {
            zt_seterr("feature name: '%.64s' has characters outside [A-Za-z0-9_.-]", name);
            return ZT_EINVAL;
        }
    }
    return ZT_OK;
}

int zt_store_schema_version(struct zt_store *s, int *version)
{
    return s->ops->schema_version(s->db, version);
}

int zt_store_catalog_version(struct zt_store *s, int64_t *version)
{
    int rc = ready(s);
    return rc ? rc : s->ops->catalog_version(s->db, version);
}

int zt_store_listen(struct zt_store *s, int *fd)
{
    *fd = -1;
    int rc = ready(s);
    return rc || !s->ops->listen ? rc : s->ops->listen(s->db, fd);
}

int zt_store_notified(struct zt_store *s, int *n)
{
    *n = 0;
    return s->ops->notified ? s->ops->notified(s->db, n) : ZT_OK;
}

int zt_store_migrate(struct zt_store *s)
{
    return zt_store_migrate_to(s, ZT_STORE_SCHEMA_VERSION);
}

int zt_store_migrate_to(struct zt_store *s, int target)
{
    if (s->in_tx) {
        zt_seterr("migrate: not allowed inside a transaction");
        return ZT_EINVAL;
    }
    if (target < 0 || target > ZT_STORE_SCHEMA_VERSION) {
        zt_seterr("migrate: no schema version %d (this build: 0 to %d)", target,
                  ZT_STORE_SCHEMA_VERSION);
        return ZT_EINVAL;
    }
    int v, rc = s->ops->schema_version(s->db, &v);
    if (rc) return rc;
    while (v < target) {
        int before = v;
        rc = s->ops->migrate_step(s->db, &v);
        if (rc) {
            zt_adderr("migrate to schema version %d", before + 1);
            return rc;
        }
    }
    if (v > ZT_STORE_SCHEMA_VERSION) {
        zt_seterr("catalogue schema version %d is newer than this build (%d)", v,
                  ZT_STORE_SCHEMA_VERSION);
        return ZT_EDB;
    }
    s->version = v;
    return ZT_OK;
}

/* --- change log --- */

int zt_store_change_op(const char *name, size_t n)
{
    static const char *const ops[] = {"add", "update", "delete"};
    for (int i = 0; i < (int)ZT_ARRAY_LEN(ops); i++)
        if (n == strlen(ops[i]) && !memcmp(name, ops[i], n)) return i;
    return -1;
}

/* Forwards the first `left` changes; the one after only says there are more. */
struct change_cap {
    zt_store_change_fn fn;
    void *ctx;
    int64_t left;
};

static int change_capped(void *ctx, int64_t version, const char *id, int op)
{
    struct change_cap *c = ctx;
    if (c->left-- <= 0) return ZT_ETOOBIG;
    return c->fn(c->ctx, version, id, op);
}

int zt_store_changes(struct zt_store *s, int64_t since, int64_t limit, zt_store_change_fn fn,
                     void *ctx)
{
    int rc = ready(s);
    if (rc) return rc;
    if (limit <= 0 || limit >= INT64_MAX) {
        zt_seterr("changes: limit must be > 0");
        return ZT_EINVAL;
    }
    int64_t from = 0, rows = 0;
    if ((rc = s->ops->changes_from(s->db, &from))) return rc;
    if (since < from) {
        zt_seterr("changes: the log starts after version %lld, not at %lld", (long long)from,
                  (long long)since);
        return ZT_ENOTFOUND;
    }
    struct change_cap cap = {fn, ctx, limit};
    rc = s->ops->changes_page(s->db, since, limit + 1, change_capped, &cap, &rows);
    if (rc == ZT_ETOOBIG && cap.left < 0)
        zt_seterr("changes: more than %lld since version %lld", (long long)limit,
                  (long long)since);
    return rc;
}

int zt_store_changes_prune(struct zt_store *s, int64_t upto)
{
    int rc = ready(s);
    return rc ? rc : s->ops->changes_prune(s->db, upto);
}

/* --- transactions --- */

int zt_store_begin(struct zt_store *s)
{
    int rc = ready(s);
    if (rc) return rc;
    if (s->in_tx) {
        zt_seterr("begin: a transaction is already open");
        return ZT_EINVAL;
    }
    rc = s->ops->tx(s->db, ZT_TX_BEGIN);
    if (!rc) s->in_tx = 1;
    return rc;
}

int zt_store_commit(struct zt_store *s)
{
    if (!s->in_tx) {
        zt_seterr("commit: no transaction is open");
        return ZT_EINVAL;
    }
    int rc = s->ops->tx(s->db, ZT_TX_COMMIT);
    if (rc) s->ops->tx(s->db, ZT_TX_ROLLBACK); /* keeps the message of the commit */
    s->in_tx = 0;
    return rc;
}

int zt_store_rollback(struct zt_store *s)
{
    if (!s->in_tx) {
        zt_seterr("rollback: no transaction is open");
        return ZT_EINVAL;
    }
    s->in_tx = 0;
    return s->ops->tx(s->db, ZT_TX_ROLLBACK);
}

/* --- products --- */

int zt_store_upsert(struct zt_store *s, const struct zt_product *p)
{
    int rc = ready(s);
    if (rc) return rc;
    rc = zt_product_validate(p);
    if (rc) {
        zt_adderr("product '%.64s'", p->id);
        return rc;
    }
    return s->ops->upsert(s->db, p, (int64_t)time(NULL));
}

int zt_store_set_derived(struct zt_store *s, const char *id, const char *thumb_path,
                         const char *edge_path)
{
    int rc = ready(s);
    if (!rc) rc = check_id(id);
    if (rc) return rc;
    if ((thumb_path && strlen(thumb_path) >= ZT_PRODUCT_PATH_MAX) ||
        (edge_path && strlen(edge_path) >= ZT_PRODUCT_PATH_MAX)) {
        zt_seterr("derived path: longer than %d bytes", ZT_PRODUCT_PATH_MAX - 1);
        return ZT_EINVAL;
    }
    return s->ops->set_derived(s->db, id, thumb_path, edge_path, (int64_t)time(NULL));
}

int zt_store_get(struct zt_store *s, const char *id, struct zt_product *out)
{
    int rc = ready(s);
    if (!rc) rc = check_id(id);
    if (rc) return rc;
    return s->ops->get(s->db, id, out);
}

int zt_store_delete(struct zt_store *s, const char *id)
{
    int rc = ready(s);
    if (!rc) rc = check_id(id);
    if (rc) return rc;
    return s->ops->del(s->db, id);
}

static const char *filter_category(const struct zt_store_filter *f)
{
    return f && f->category && *f->category ? f->category : NULL;
}

int zt_store_list(struct zt_store *s, const struct zt_store_filter *f, int64_t limit,
                  int64_t offset, struct zt_product **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    int rc = ready(s);
    if (rc) return rc;
    if (limit <= 0 || limit > 10000 || offset < 0) {
        zt_seterr("list: limit must be 1..10000 and offset >= 0 (got %lld, %lld)",
                  (long long)limit, (long long)offset);
        return ZT_EINVAL;
    }
    return s->ops->list(s->db, filter_category(f), f ? f->price_min : 0,
                        f ? f->has_price_max : 0, f ? f->price_max : 0, limit, offset, items,
                        n);
}

int zt_store_count(struct zt_store *s, const struct zt_store_filter *f, int64_t *count)
{
    int rc = ready(s);
    if (rc) return rc;
    return s->ops->count(s->db, filter_category(f), f ? f->price_min : 0,
                         f ? f->has_price_max : 0, f ? f->price_max : 0, count);
}

/* --- features --- */

int zt_store_feature_put(struct zt_store *s, const char *id, const char *name, int version,
                         const void *data, size_t len)
{
    int rc = ready(s);
    if (!rc) rc = check_id(id);
    if (!rc) rc = check_name(name);
    if (rc) return rc;
    if (len > (size_t)256 << 20 || (len && !data)) {
        zt_seterr("feature %s: %zu bytes (limit 256 MiB, data required)", name, len);
        return ZT_EINVAL;
    }
    return s->ops->feature_put(s->db, id, name, version, data, len, (int64_t)time(NULL));
}

int zt_store_feature_get(struct zt_store *s, const char *id, const char *name, int *version,
                         uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int rc = ready(s);
    if (!rc) rc = check_id(id);
    if (!rc) rc = check_name(name);
    if (rc) return rc;
    int v = 0;
    rc = s->ops->feature_get(s->db, id, name, &v, data, len);
    if (!rc && version) *version = v;
    return rc;
}

int zt_store_feature_delete(struct zt_store *s, const char *id, const char *name)
{
    int rc = ready(s);
    if (!rc) rc = check_id(id);
    if (!rc) rc = check_name(name);
    if (rc) return rc;
    return s->ops->feature_del(s->db, id, name);
}

int zt_store_feature_each(struct zt_store *s, const char *name, zt_store_feature_fn fn,
                          void *ctx)
{
    int rc = ready(s);
    if (!rc) rc = check_name(name);
    if (rc) return rc;
    char after[ZT_PRODUCT_ID_MAX] = "", last[ZT_PRODUCT_ID_MAX];
    for (;;) {
        int rows = 0;
        last[0] = 0;
        rc = s->ops->feature_page(s->db, name, after, ZT_STORE_PAGE, fn, ctx, &rows, last);
        if (rc || rows < ZT_STORE_PAGE) return rc;
        memcpy(after, last, sizeof after);
    }
}

/* --- media --- */

const char *zt_media_kind_name(int kind)
{
    static const char *const names[ZT_MEDIA_KINDS] = {"thumb", "edges", "original"};
    return kind >= 0 && kind < ZT_MEDIA_KINDS ? names[kind] : NULL;
}

static int check_kind(int kind)
{
    if (zt_media_kind_name(kind)) return ZT_OK;
    zt_seterr("media: unknown kind %d", kind);
    return ZT_EINVAL;
}

int zt_store_media_put(struct zt_store *s, const char *id, int kind, const void *data,
                       size_t len)
{
    int rc = ready(s);
    if (!rc) rc = check_id(id);
    if (!rc) rc = check_kind(kind);
    if (rc) return rc;
    if (len == 0 || len > ZT_MEDIA_MAX || !data) {
        zt_seterr("media %s: %zu bytes (1 to %zu)", zt_media_kind_name(kind), len, ZT_MEDIA_MAX);
        return ZT_EINVAL;
    }
    return s->ops->media_put(s->db, id, zt_media_kind_name(kind), data, len,
                             (int64_t)time(NULL));
}

int zt_store_media_get(struct zt_store *s, const char *id, int kind, uint8_t **data,
                       size_t *len)
{
    *data = NULL;
    *len = 0;
    int rc = ready(s);
    if (!rc) rc = check_id(id);
    if (!rc) rc = check_kind(kind);
    if (rc) return rc;
    return s->ops->media_get(s->db, id, zt_media_kind_name(kind), data, len);
}
