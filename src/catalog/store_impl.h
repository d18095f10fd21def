/* store_impl.h: private to src/catalog/store*.c: the function table each
 * backend (SQLite, PostgreSQL) fills in. store.c checks arguments, the
 * schema and the transaction state before calling a backend. */
#ifndef ZT_STORE_IMPL_H
#define ZT_STORE_IMPL_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

/* Products fetched per page by zt_store_feature_each. */
#define ZT_STORE_PAGE 256

enum zt_store_txop { ZT_TX_BEGIN, ZT_TX_COMMIT, ZT_TX_ROLLBACK };

/* Every function gets the backend's own handle `db`. Strings are borrowed
 * and already checked (ids non-empty and bounded, names valid). `now` is
 * unix seconds for updated_at columns. */
struct zt_store_ops {
    const char *name;
    void (*close)(void *db);
    int (*schema_version)(void *db, int *version);
    /* Applies one migration step from version `from` to from + 1 in its own
     * transaction, after re-checking the version under a lock. Sets *now_at
     * to the version after the call (may be > from + 1 if another process
     * migrated meanwhile). */
    int (*migrate_step)(void *db, int *now_at);
    int (*tx)(void *db, enum zt_store_txop op);
    int (*catalog_version)(void *db, int64_t *version);
    int (*listen)(void *db, int *fd);   /* NULL: no notifications */
    int (*notified)(void *db, int *n);
    int (*upsert)(void *db, const struct zt_product *p, int64_t now);
    /* NULL = leave, "" = clear. ZT_ENOTFOUND if no such product. */
    int (*set_derived)(void *db, const char *id, const char *thumb, const char *edge,
                       int64_t now);
    int (*get)(void *db, const char *id, struct zt_product *out);
    int (*del)(void *db, const char *id);
    /* category NULL = any; has_max 0 = no upper bound. *items malloc'd. */
    int (*list)(void *db, const char *category, int64_t pmin, int has_max, int64_t pmax,
                int64_t limit, int64_t offset, struct zt_product **items, size_t *n);
    int (*count)(void *db, const char *category, int64_t pmin, int has_max, int64_t pmax,
                 int64_t *count);
    int (*feature_put)(void *db, const char *id, const char *name, int version,
                       const void *data, size_t len, int64_t now);
    int (*feature_get)(void *db, const char *id, const char *name, int *version,
                       uint8_t **data, size_t *len);
    int (*feature_del)(void *db, const char *id, const char *name);
    /* kind: a zt_media_kind_name(); len checked. ZT_ENOTFOUND: no product. */
    int (*media_put)(void *db, const char *id, const char *kind, const void *data, size_t len,
                     int64_t now);
    int (*media_get)(void *db, const char *id, const char *kind, uint8_t **data, size_t *len);
    /* The version from which the change log is complete (*from: every change
     * with version > *from is logged). */
    int (*changes_from)(void *db, int64_t *from);
    /* Calls fn for up to `limit` changes with version > since, in version
     * order; *rows: how many. A non-zero return of fn is returned as is. */
    int (*changes_page)(void *db, int64_t since, int64_t limit, zt_store_change_fn fn,
                        void *ctx, int64_t *rows);
    int (*changes_prune)(void *db, int64_t upto);
    /* Calls fn for up to `limit` products with feature `name` and id >
     * `after` (byte order), in id order; *rows is how many were visited,
     * `last` (ZT_PRODUCT_ID_MAX bytes) receives the last id visited. A
     * non-zero return of fn is returned as is. */
    int (*feature_page)(void *db, const char *name, const char *after, int limit,
                        zt_store_feature_fn fn, void *ctx, int *rows, char *last);
};

/* Backend constructors: on success *db is the backend handle. */
int zt_store_sqlite_open(const char *path, const struct zt_store_ops **ops, void **db);
int zt_store_pg_open(const char *url, const struct zt_store_ops **ops, void **db);

/* The products table's columns in the order every backend selects them;
 * zt_store_cols[c] says where text column c goes in a struct zt_product
 * (col NULL: the integer columns price and updated_at, read by each
 * backend in its own way). */
#define ZT_STORE_PRODUCT_COLS                                                              \
    "id, title, category, garment_class, price, currency, url, image_path, thumb_path, " \
    "edge_path, updated_at"
enum { ZT_STORE_COL_PRICE = 4, ZT_STORE_COL_UPDATED_AT = 10, ZT_STORE_NCOLS = 11 };
struct zt_store_col {
    const char *col;
    size_t off, cap;
};
extern const struct zt_store_col zt_store_cols[ZT_STORE_NCOLS];

/* Copies a column value of n bytes into a field of capacity cap; ZT_EDB
 * naming the column if it does not fit (a corrupt or foreign database). */
int zt_store_copy_col(char *dst, size_t cap, const char *col, const char *src, size_t n);
/* The same for text column c of the products table into its field of p. */
int zt_store_set_col(struct zt_product *p, int c, const char *src, size_t n);

/* "add", "update", "delete" -> enum zt_store_change_op; -1 otherwise. */
int zt_store_change_op(const char *name, size_t n);

/* ZT_ENOTFOUND with "get <what>: product '<id>' has no <what> '<name>'". */
int zt_store_no_blob(const char *what, const char *id, const char *name);
/* A malloc'd copy of n bytes in *data (never NULL), or ZT_ENOMEM. */
int zt_store_copy_blob(const char *what, const void *src, size_t n, uint8_t **data, size_t *len);

/* ZT_ENOTFOUND with "<what>: no product with id '<id>'". */
int zt_store_not_found(const char *what, const char *id);

#endif
