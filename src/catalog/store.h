/* store.h: the product catalogue store. One opaque handle over SQLite (a
 * file path) or PostgreSQL (a postgres:// URL); both give the same
 * semantics and run the same tests. No SQL in this interface.
 *
 * Threading: a store handle is one database connection. It must not be
 * used from two threads at the same time; open one handle per thread
 * (SQLite in WAL mode lets several handles read while one writes).
 * Errors: ZT_EDB for database failures (zt_errmsg() has the driver's
 * message), ZT_ENOTFOUND for a missing product/feature, ZT_EINVAL for an
 * invalid product or argument. */
#ifndef ZT_STORE_H
#define ZT_STORE_H

#include "product.h"

#include <stddef.h>
#include <stdint.h>

struct zt_store;

/* Schema version this build writes (and the highest it can read). */
#define ZT_STORE_SCHEMA_VERSION 4

/* Opens a store. url is "postgres://..." or "postgresql://..." (a libpq
 * URI, e.g. "postgresql:///ztyle?host=/run/postgresql") for PostgreSQL,
 * anything else is a SQLite file path (created if missing, WAL mode,
 * foreign keys on, 5 s busy timeout). Does not change the schema: call
 * zt_store_migrate() before using a new or older database; every other
 * call fails with ZT_EDB until the schema is current. On success *out is
 * the caller's, to close with zt_store_close(); on failure *out is NULL. */
int zt_store_open(const char *url, struct zt_store **out);
/* Closes the connection; rolls back an open transaction. NULL-safe. */
void zt_store_close(struct zt_store *s);
/* "sqlite" or "postgres". */
const char *zt_store_backend(const struct zt_store *s);

/* Brings the schema up to ZT_STORE_SCHEMA_VERSION, one transaction per
 * step (SQLite: PRAGMA user_version; PostgreSQL: table schema_version,
 * under an advisory lock so concurrent migrators wait for each other).
 * Idempotent. ZT_EDB if the database is newer than this build or a step
 * fails (that step is rolled back). Not allowed inside a transaction. */
int zt_store_migrate(struct zt_store *s);
/* The same up to schema version `target` (0..ZT_STORE_SCHEMA_VERSION; an
 * older database stays older: data calls refuse it). For tests of the
 * migrations, and tools that must write an older schema. */
int zt_store_migrate_to(struct zt_store *s, int target);
/* Current schema version of the database (0 = empty). */
int zt_store_schema_version(struct zt_store *s, int *version);

/* The catalogue version: a counter the database bumps (by trigger) in the
 * same transaction as every change to a product or a feature, from any
 * process. It only grows; equal versions mean the same catalogue. What a
 * change adds to it is not specified (per row on SQLite, per statement on
 * PostgreSQL). PostgreSQL also sends NOTIFY ztyle_catalog on commit. */
int zt_store_catalog_version(struct zt_store *s, int64_t *version);
/* Change notifications, where the backend has them: PostgreSQL LISTENs on
 * this connection and *fd is its socket, to poll for reading; then
 * zt_store_notified() reads what arrived (*n: notifications since the last
 * call). SQLite has none: *fd is -1 and callers poll the version. */
int zt_store_listen(struct zt_store *s, int *fd);
int zt_store_notified(struct zt_store *s, int *n);

/* --- the change log: which products changed at which catalogue version,
 * written by the same triggers that move the version (schema 4), so that
 * a replica can apply only what changed since its snapshot --- */

enum zt_store_change_op { ZT_CHANGE_ADD, ZT_CHANGE_UPDATE, ZT_CHANGE_DELETE };
/* One log row; id is borrowed for the call. A product's features changing
 * is an UPDATE of the product. Return ZT_OK to go on. */
typedef int (*zt_store_change_fn)(void *ctx, int64_t version, const char *id, int op);
/* Calls fn for every change with version > since, in version order (one
 * product may come several times). ZT_ENOTFOUND when the log does not
 * reach back to since (pruned, or written before schema 4): the caller
 * rebuilds from the products instead. ZT_ETOOBIG (after at most `limit`
 * calls) when there are more than limit changes. The callback must not
 * use the same store handle. */
int zt_store_changes(struct zt_store *s, int64_t since, int64_t limit, zt_store_change_fn fn,
                     void *ctx);
/* Drops the log rows at or below version `upto` (keeps the log bounded;
 * a replica older than that rebuilds in full). */
int zt_store_changes_prune(struct zt_store *s, int64_t upto);

/* --- transactions: group a batch of writes (ingest commits per batch, so a
 * crash loses at most the open batch and a re-run redoes it by upsert) --- */
int zt_store_begin(struct zt_store *s);    /* ZT_EINVAL if one is open */
int zt_store_commit(struct zt_store *s);   /* ZT_EINVAL if none is open */
int zt_store_rollback(struct zt_store *s); /* ZT_EINVAL if none is open */

/* --- products --- */

/* Inserts p or replaces the product with the same id (validated first,
 * ZT_EINVAL with "<field>: <why>" if invalid). Catalogue fields are
 * overwritten; the derived thumb_path/edge_path are overwritten only when
 * non-empty in p, so a re-ingest of the CSV keeps computed data (use
 * zt_store_set_derived() to clear them). Sets updated_at to now. Features
 * of the product are kept. p is borrowed. */
int zt_store_upsert(struct zt_store *s, const struct zt_product *p);
/* Sets the derived paths of an existing product (NULL = leave as is,
 * "" = clear) and its updated_at. ZT_ENOTFOUND if id is not stored. */
int zt_store_set_derived(struct zt_store *s, const char *id, const char *thumb_path,
                         const char *edge_path);
/* Copies the product into *out. ZT_ENOTFOUND if id is not stored. */
int zt_store_get(struct zt_store *s, const char *id, struct zt_product *out);
/* Deletes the product and (by cascade) its features. ZT_ENOTFOUND if id
 * is not stored. */
int zt_store_delete(struct zt_store *s, const char *id);

/* Filter for list/count; a zeroed struct matches everything. */
struct zt_store_filter {
    const char *category; /* NULL or "" = any; else exact category name */
    int64_t price_min;    /* minor units, inclusive */
    int64_t price_max;    /* minor units, inclusive; 0 = no upper bound */
    int has_price_max;    /* set to 1 for price_max to apply (so 0 is usable) */
};

/* Products matching f (NULL = all) in id order (byte order, identical on
 * both backends), skipping `offset`, at most `limit` (> 0, at most
 * 10000). *items is a malloc'd array the caller frees with free() (NULL
 * when *n is 0). */
int zt_store_list(struct zt_store *s, const struct zt_store_filter *f, int64_t limit,
                  int64_t offset, struct zt_product **items, size_t *n);
int zt_store_count(struct zt_store *s, const struct zt_store_filter *f, int64_t *count);

/* --- features: named blobs per product (an embedding as little-endian
 * f32 bytes, a colour histogram, ...), each with a version so that a
 * changed extractor can be detected and re-run --- */

/* Stores data (len bytes, borrowed) as feature `name` of product `id`,
 * replacing an older one. ZT_ENOTFOUND if the product is not stored.
 * name: 1-64 bytes of [A-Za-z0-9_.-]. */
int zt_store_feature_put(struct zt_store *s, const char *id, const char *name, int version,
                         const void *data, size_t len);
/* Copies feature `name` of `id`: *data is malloc'd (caller frees with
 * free(); non-NULL even when *len is 0), *version may be NULL.
 * ZT_ENOTFOUND if the product or the feature is missing. */
int zt_store_feature_get(struct zt_store *s, const char *id, const char *name, int *version,
                         uint8_t **data, size_t *len);
/* Deletes one feature. ZT_ENOTFOUND if absent. */
int zt_store_feature_delete(struct zt_store *s, const char *id, const char *name);

/* Called once per product having the feature, in id order. All pointers
 * are borrowed for the call. Return ZT_OK to go on; anything else stops
 * the walk and is returned by zt_store_feature_each. The callback must not
 * use the same store handle. */
typedef int (*zt_store_feature_fn)(void *ctx, const char *id, int version, const void *data,
                                   size_t len);
/* Walks every product that has feature `name` (building a search index).
 * Reads in pages, so memory stays bounded on large catalogues. */
int zt_store_feature_each(struct zt_store *s, const char *name, zt_store_feature_fn fn,
                          void *ctx);

/* --- media: the image bytes a replica serves (thumbnail, edge map, the
 * original photo), kept in the store so that every replica, on any
 * machine, serves them without a shared folder. Keyed by (product, kind);
 * deleted with the product (cascade). Writing media does not move the
 * catalogue version: nothing searched depends on it. --- */

enum zt_media_kind { ZT_MEDIA_THUMB, ZT_MEDIA_EDGES, ZT_MEDIA_ORIGINAL, ZT_MEDIA_KINDS };
/* Largest blob stored (an original above it stays a file, see ingest.h). */
#define ZT_MEDIA_MAX ((size_t)8 << 20)
/* "thumb", "edges", "original"; NULL for anything else. */
const char *zt_media_kind_name(int kind);

/* Stores len bytes (borrowed, 1..ZT_MEDIA_MAX) as media `kind` of product
 * id, replacing older ones. ZT_ENOTFOUND if the product is not stored,
 * ZT_EINVAL for a bad kind or size. */
int zt_store_media_put(struct zt_store *s, const char *id, int kind, const void *data,
                       size_t len);
/* Copies media `kind` of id: *data is malloc'd (caller frees with free()).
 * ZT_ENOTFOUND if the product or that media is missing. */
int zt_store_media_get(struct zt_store *s, const char *id, int kind, uint8_t **data,
                       size_t *len);

#endif
