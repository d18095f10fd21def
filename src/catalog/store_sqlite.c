/* store_sqlite.c: the SQLite catalogue backend: one file, WAL journal,
 * foreign keys on, busy timeout, schema steps by PRAGMA user_version, and
 * prepared statements cached per connection (prepared on first use). */
#include "store_impl.h"
#include "../util/zt.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Trigger pieces of step 3 -> 4: move the version, then log the change
 * with the version it made. */
#define BUMP " UPDATE catalog_version SET version = version + 1;"
#define AT " FROM catalog_version WHERE id = 1"

/* Schema steps; step i takes user_version i to i + 1. Never edit a step
 * that has shipped: append a new one and bump ZT_STORE_SCHEMA_VERSION. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE products ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " title TEXT NOT NULL,"
    " category TEXT NOT NULL CHECK (category IN ('top','pants','skirt','hat','other')),"
    " garment_class TEXT NOT NULL DEFAULT '',"
    " price INTEGER NOT NULL CHECK (price >= 0),"
    " currency TEXT NOT NULL,"
    " url TEXT NOT NULL,"
    " image_path TEXT NOT NULL,"
    " thumb_path TEXT NOT NULL DEFAULT '',"
    " edge_path TEXT NOT NULL DEFAULT '',"
    " updated_at INTEGER NOT NULL);"
    "CREATE INDEX products_category_price ON products(category, price);"
    "CREATE TABLE features ("
    " product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " data BLOB NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " PRIMARY KEY (product_id, name));"
    "CREATE INDEX features_name_product ON features(name, product_id);",
    /* 1 -> 2: the catalogue version, bumped by triggers in the writing
     * transaction itself, so any writer (any process, any build) counts */
    "CREATE TABLE catalog_version (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " version INTEGER NOT NULL);"
    "INSERT INTO catalog_version VALUES (1, 0);"
    "CREATE TRIGGER products_ins_version AFTER INSERT ON products"
    " BEGIN UPDATE catalog_version SET version = version + 1; END;"
    "CREATE TRIGGER products_upd_version AFTER UPDATE ON products"
    " BEGIN UPDATE catalog_version SET version = version + 1; END;"
    "CREATE TRIGGER products_del_version AFTER DELETE ON products"
    " BEGIN UPDATE catalog_version SET version = version + 1; END;"
    "CREATE TRIGGER features_ins_version AFTER INSERT ON features"
    " BEGIN UPDATE catalog_version SET version = version + 1; END;"
    "CREATE TRIGGER features_upd_version AFTER UPDATE ON features"
    " BEGIN UPDATE catalog_version SET version = version + 1; END;"
    "CREATE TRIGGER features_del_version AFTER DELETE ON features"
    " BEGIN UPDATE catalog_version SET version = version + 1; END;",
    /* 2 -> 3: media bytes (thumbnail, edge map, original photo) per product,
     * so that a replica on any machine serves them; no version trigger:
     * media changes nothing a search reads */
    "CREATE TABLE media ("
    " product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,"
    " kind TEXT NOT NULL CHECK (kind IN ('thumb','edges','original')),"
    " data BLOB NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " PRIMARY KEY (product_id, kind));",
    /* 3 -> 4: the change log, written by the triggers that move the version
     * (each row carries the version its change made), and log_from: the
     * log holds every change after it (pruning raises it) */
    "CREATE TABLE catalog_changes (version INTEGER NOT NULL, product_id TEXT NOT NULL,"
    " op TEXT NOT NULL CHECK (op IN ('add','update','delete')));"
    "CREATE INDEX catalog_changes_version ON catalog_changes(version);"
    "ALTER TABLE catalog_version ADD COLUMN log_from INTEGER NOT NULL DEFAULT 0;"
    "UPDATE catalog_version SET log_from = version;"
    "DROP TRIGGER products_ins_version; DROP TRIGGER products_upd_version;"
    "DROP TRIGGER products_del_version; DROP TRIGGER features_ins_version;"
    "DROP TRIGGER features_upd_version; DROP TRIGGER features_del_version;"
    "CREATE TRIGGER products_ins_version AFTER INSERT ON products BEGIN" BUMP
    " INSERT INTO catalog_changes SELECT version, NEW.id, 'add'" AT "; END;"
    "CREATE TRIGGER products_upd_version AFTER UPDATE ON products BEGIN" BUMP
    " INSERT INTO catalog_changes SELECT version, NEW.id, 'update'" AT ";"
    " INSERT INTO catalog_changes SELECT version, OLD.id, 'delete'" AT " AND OLD.id <> NEW.id; END;"
    "CREATE TRIGGER products_del_version AFTER DELETE ON products BEGIN" BUMP
    " INSERT INTO catalog_changes SELECT version, OLD.id, 'delete'" AT "; END;"
    "CREATE TRIGGER features_ins_version AFTER INSERT ON features BEGIN" BUMP
    " INSERT INTO catalog_changes SELECT version, NEW.product_id, 'update'" AT "; END;"
    "CREATE TRIGGER features_upd_version AFTER UPDATE ON features BEGIN" BUMP
    " INSERT INTO catalog_changes SELECT version, NEW.product_id, 'update'" AT ";"
    " INSERT INTO catalog_changes SELECT version, OLD.product_id, 'update'" AT
    " AND OLD.product_id <> NEW.product_id; END;"
    "CREATE TRIGGER features_del_version AFTER DELETE ON features BEGIN" BUMP
    " INSERT INTO catalog_changes SELECT version, OLD.product_id, 'update'" AT "; END;",
};
_Static_assert(sizeof migrations / sizeof migrations[0] == ZT_STORE_SCHEMA_VERSION,
               "one migration step per schema version");

#define FILTER                                                                             \
    " WHERE (?1 IS NULL OR category = ?1) AND price >= ?2 AND (?3 = 0 OR price <= ?4)"

/* The statement cache: one slot per query, prepared on first use. */
enum stmt_id {
    S_BEGIN, S_COMMIT, S_ROLLBACK, S_UPSERT, S_SET_DERIVED, S_GET, S_DELETE, S_LIST, S_COUNT,
    S_FEAT_PUT, S_FEAT_GET, S_FEAT_DEL, S_FEAT_PAGE, S_CAT_VERSION, S_MEDIA_PUT, S_MEDIA_GET,
    S_LOG_FROM, S_CHANGES, S_PRUNE_FROM, S_PRUNE, S_COUNT_STMTS
};

static const char *const stmt_sql[S_COUNT_STMTS] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_CAT_VERSION] = "SELECT version FROM catalog_version WHERE id = 1",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_UPSERT] =
        "INSERT INTO products (" ZT_STORE_PRODUCT_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"
        " ON CONFLICT(id) DO UPDATE SET title = excluded.title, category = excluded.category,"
        " garment_class = excluded.garment_class, price = excluded.price,"
        " currency = excluded.currency, url = excluded.url, image_path = excluded.image_path,"
        " thumb_path = CASE WHEN excluded.thumb_path <> '' THEN excluded.thumb_path"
        "   ELSE products.thumb_path END,"
        " edge_path = CASE WHEN excluded.edge_path <> '' THEN excluded.edge_path"
        "   ELSE products.edge_path END,"
        " updated_at = excluded.updated_at",
    [S_SET_DERIVED] = "UPDATE products SET thumb_path = coalesce(?2, thumb_path),"
                      " edge_path = coalesce(?3, edge_path), updated_at = ?4 WHERE id = ?1",
    [S_GET] = "SELECT " ZT_STORE_PRODUCT_COLS " FROM products WHERE id = ?1",
    [S_DELETE] = "DELETE FROM products WHERE id = ?1",
    [S_LIST] = "SELECT " ZT_STORE_PRODUCT_COLS " FROM products" FILTER " ORDER BY id LIMIT ?5 OFFSET ?6",
    [S_COUNT] = "SELECT count(*) FROM products" FILTER,
    [S_FEAT_PUT] = "INSERT INTO features (product_id, name, version, data, updated_at)"
                   " SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM products WHERE id = ?1)"
                   " ON CONFLICT(product_id, name) DO UPDATE SET version = excluded.version,"
                   " data = excluded.data, updated_at = excluded.updated_at",
    [S_FEAT_GET] = "SELECT version, data FROM features WHERE product_id = ?1 AND name = ?2",
    [S_FEAT_DEL] = "DELETE FROM features WHERE product_id = ?1 AND name = ?2",
    [S_MEDIA_PUT] = "INSERT INTO media (product_id, kind, data, updated_at)"
                    " SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM products WHERE id = ?1)"
                    " ON CONFLICT(product_id, kind) DO UPDATE SET data = excluded.data,"
                    " updated_at = excluded.updated_at",
    [S_MEDIA_GET] = "SELECT data FROM media WHERE product_id = ?1 AND kind = ?2",
    [S_LOG_FROM] = "SELECT log_from FROM catalog_version WHERE id = 1",
    [S_CHANGES] = "SELECT version, product_id, op FROM catalog_changes WHERE version > ?1"
                  " ORDER BY version LIMIT ?2",
    /* log_from first: a reader between the two statements rebuilds in full */
    [S_PRUNE_FROM] = "UPDATE catalog_version SET log_from = max(log_from, ?1) WHERE id = 1",
    [S_PRUNE] = "DELETE FROM catalog_changes WHERE version <= ?1",
    [S_FEAT_PAGE] = "SELECT product_id, version, data FROM features"
                    " WHERE name = ?1 AND product_id > ?2 ORDER BY product_id LIMIT ?3",
};

struct sq {
    sqlite3 *db;
    char path[512]; /* for messages */
    sqlite3_stmt *stmt[S_COUNT_STMTS];
};

static int db_error(struct sq *q, const char *what)
{
    zt_seterr("%s: %s: %s", q->path, what, sqlite3_errmsg(q->db));
    return ZT_EDB;
}

/* Cached statement, reset and unbound; NULL with the message set. */
static sqlite3_stmt *stmt(struct sq *q, enum stmt_id id)
{
    if (!q->stmt[id]) {
        if (sqlite3_prepare_v3(q->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                               &q->stmt[id], NULL) != SQLITE_OK) {
            db_error(q, "prepare");
            return NULL;
        }
    }
    return q->stmt[id];
}

/* Resets st for the next use; returns rc unchanged (for `return done(...)`). */
static int done(sqlite3_stmt *st, int rc)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* Runs a statement that returns no rows; *changes = rows changed. */
static int run(struct sq *q, sqlite3_stmt *st, const char *what, int *changes)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return done(st, db_error(q, what));
    if (changes) *changes = sqlite3_changes(q->db);
    return done(st, ZT_OK);
}

static int exec(struct sq *q, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(q->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        zt_seterr("%s: %s", q->path, msg ? msg : sqlite3_errmsg(q->db));
        sqlite3_free(msg);
        return ZT_EDB;
    }
    return ZT_OK;
}

static void sq_close(void *dbv)
{
    struct sq *q = dbv;
    for (int i = 0; i < S_COUNT_STMTS; i++) sqlite3_finalize(q->stmt[i]);
    sqlite3_close(q->db);
    free(q);
}

static int user_version(struct sq *q, int *v)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return db_error(q, "read user_version");
    int rc = sqlite3_step(st) == SQLITE_ROW ? ZT_OK : db_error(q, "read user_version");
    if (!rc) *v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc;
}

static int sq_schema_version(void *dbv, int *v) { return user_version(dbv, v); }

static int sq_migrate_step(void *dbv, int *now_at)
{
    struct sq *q = dbv;
    int v, rc = exec(q, "BEGIN IMMEDIATE"); /* write lock: concurrent migrators queue */
    if (rc) return rc;
    rc = user_version(q, &v);
    if (rc) goto fail;
    if (v < 0 || v > (int)ZT_ARRAY_LEN(migrations)) {
        zt_seterr("%s: user_version %d is not a Ztyle schema version", q->path, v);
        rc = ZT_EDB;
        goto fail;
    }
    if (v < (int)ZT_ARRAY_LEN(migrations)) {
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
        if ((rc = exec(q, migrations[v])) || (rc = exec(q, bump))) goto fail;
        v++;
    }
    if ((rc = exec(q, "COMMIT"))) goto fail;
    *now_at = v;
    return ZT_OK;
fail:
    sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int sq_tx(void *dbv, enum zt_store_txop op)
{
    struct sq *q = dbv;
    static const enum stmt_id ids[] = {S_BEGIN, S_COMMIT, S_ROLLBACK};
    static const char *const what[] = {"begin", "commit", "rollback"};
    sqlite3_stmt *st = stmt(q, ids[op]);
    if (!st) return ZT_EDB;
    if (op == ZT_TX_ROLLBACK && sqlite3_get_autocommit(q->db)) return done(st, ZT_OK);
    return run(q, st, what[op], NULL);
}

static int sq_upsert(void *dbv, const struct zt_product *p, int64_t now)
{
    struct sq *q = dbv;
    sqlite3_stmt *st = stmt(q, S_UPSERT);
    if (!st) return ZT_EDB;
    bind_text(st, 1, p->id);
    bind_text(st, 2, p->title);
    bind_text(st, 3, p->category);
    bind_text(st, 4, p->cls);
    sqlite3_bind_int64(st, 5, p->price);
    bind_text(st, 6, p->currency);
    bind_text(st, 7, p->url);
    bind_text(st, 8, p->image_path);
    bind_text(st, 9, p->thumb_path);
    bind_text(st, 10, p->edge_path);
    sqlite3_bind_int64(st, 11, now);
    return run(q, st, "upsert", NULL);
}

static int sq_set_derived(void *dbv, const char *id, const char *thumb, const char *edge,
                          int64_t now)
{
    struct sq *q = dbv;
    sqlite3_stmt *st = stmt(q, S_SET_DERIVED);
    if (!st) return ZT_EDB;
    int changes = 0;
    bind_text(st, 1, id);
    bind_text(st, 2, thumb);
    bind_text(st, 3, edge);
    sqlite3_bind_int64(st, 4, now);
    int rc = run(q, st, "set derived paths", &changes);
    return rc ? rc : changes ? ZT_OK : zt_store_not_found("set derived paths", id);
}

/* Fills p from a row of ZT_STORE_PRODUCT_COLS. */
static int read_product(sqlite3_stmt *st, struct zt_product *p)
{
    for (int i = 0; i < ZT_STORE_NCOLS; i++) {
        if (!zt_store_cols[i].col) continue;
        const char *t = (const char *)sqlite3_column_text(st, i);
        size_t n = (size_t)sqlite3_column_bytes(st, i);
        int rc = zt_store_set_col(p, i, t ? t : "", t ? n : 0);
        if (rc) return rc;
    }
    p->price = sqlite3_column_int64(st, ZT_STORE_COL_PRICE);
    p->updated_at = sqlite3_column_int64(st, ZT_STORE_COL_UPDATED_AT);
    return ZT_OK;
}

static int sq_get(void *dbv, const char *id, struct zt_product *out)
{
    struct sq *q = dbv;
    sqlite3_stmt *st = stmt(q, S_GET);
    if (!st) return ZT_EDB;
    bind_text(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return done(st, zt_store_not_found("get", id));
    if (rc != SQLITE_ROW) return done(st, db_error(q, "get"));
    return done(st, read_product(st, out));
}

static int sq_del(void *dbv, const char *id)
{
    struct sq *q = dbv;
    sqlite3_stmt *st = stmt(q, S_DELETE);
    if (!st) return ZT_EDB;
    int changes = 0;
    bind_text(st, 1, id);
    int rc = run(q, st, "delete", &changes);
    return rc ? rc : changes ? ZT_OK : zt_store_not_found("delete", id);
}

static void bind_filter(sqlite3_stmt *st, const char *cat, int64_t pmin, int has_max,
                        int64_t pmax)
{
    bind_text(st, 1, cat);
    sqlite3_bind_int64(st, 2, pmin);
    sqlite3_bind_int(st, 3, has_max != 0);
    sqlite3_bind_int64(st, 4, pmax);
}

static int sq_list(void *dbv, const char *cat, int64_t pmin, int has_max, int64_t pmax,
                   int64_t limit, int64_t offset, struct zt_product **items, size_t *n)
{
    struct sq *q = dbv;
    sqlite3_stmt *st = stmt(q, S_LIST);
    if (!st) return ZT_EDB;
    bind_filter(st, cat, pmin, has_max, pmax);
    sqlite3_bind_int64(st, 5, limit);
    sqlite3_bind_int64(st, 6, offset);
    struct zt_product *v = NULL;
    size_t len = 0, cap = 0;
    int rc, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct zt_product *nv = realloc(v, ncap * sizeof *v);
            if (!nv) {
                zt_seterr("list: out of memory");
                rc = ZT_ENOMEM;
                goto fail;
            }
            v = nv;
            cap = ncap;
        }
        if ((rc = read_product(st, &v[len]))) goto fail;
        len++;
    }
    if (s != SQLITE_DONE) {
        rc = db_error(q, "list");
        goto fail;
    }
    *items = v;
    *n = len;
    return done(st, ZT_OK);
fail:
    free(v);
    return done(st, rc);
}

static int sq_count(void *dbv, const char *cat, int64_t pmin, int has_max, int64_t pmax,
                    int64_t *count)
{
    struct sq *q = dbv;
    sqlite3_stmt *st = stmt(q, S_COUNT);
    if (!st) return ZT_EDB;
    bind_filter(st, cat, pmin, has_max, pmax);
    if (sqlite3_step(st) != SQLITE_ROW) return done(st, db_error(q, "count"));
    *count = sqlite3_column_int64(st, 0);
    return done(st, ZT_OK);
}

static int sq_catalog_version(void *dbv, int64_t *version)
{
    struct sq *q = dbv;
    sqlite3_stmt *st = stmt(q, S_CAT_VERSION);
    if (!st) return ZT_EDB;
    if (sqlite3_step(st) != SQLITE_ROW) return done(st, db_error(q, "catalogue version"));
    *version = sqlite3_column_int64(st, 0);
    return done(st, ZT_OK);
}

static int sq_changes_from(void *dbv, int64_t *from)
{
    struct sq *q = dbv;
    sqlite3_stmt *st = stmt(q, S_LOG_FROM);
    if (!st) return ZT_EDB;
    if (sqlite3_step(st) != SQLITE_ROW) return done(st, db_error(q, "change log"));
    *from = sqlite3_column_int64(st, 0);
    return done(st, ZT_OK);
}

static int sq_changes_page(void *dbv, int64_t since, int64_t limit, zt_store_change_fn fn,
                           void *ctx, int64_t *rows)
{
    struct sq *q = dbv;
    sqlite3_stmt *st = stmt(q, S_CHANGES);
    if (!st) return ZT_EDB;
    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int64(st, 2, limit);
    char id[ZT_PRODUCT_ID_MAX];
    int s, rc;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 1);
        const char *op = (const char *)sqlite3_column_text(st, 2);
        if ((rc = zt_store_copy_col(id, sizeof id, "product_id", t ? t : "",
                                    t ? (size_t)sqlite3_column_bytes(st, 1) : 0)))
            return done(st, rc);
        (*rows)++;
        rc = fn(ctx, sqlite3_column_int64(st, 0), id,
                zt_store_change_op(op ? op : "", op ? (size_t)sqlite3_column_bytes(st, 2) : 0));
        if (rc) return done(st, rc);
    }
    return done(st, s == SQLITE_DONE ? ZT_OK : db_error(q, "read change log"));
}

static int sq_changes_prune(void *dbv, int64_t upto)
{
    struct sq *q = dbv;
    static const enum stmt_id ids[] = {S_PRUNE_FROM, S_PRUNE};
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st = stmt(q, ids[i]);
        if (!st) return ZT_EDB;
        sqlite3_bind_int64(st, 1, upto);
        int rc = run(q, st, "prune change log", NULL);
        if (rc) return rc;
    }
    return ZT_OK;
}

static int sq_feature_put(void *dbv, const char *id, const char *name, int version,
                          const void *data, size_t len, int64_t now)
{
    struct sq *q = dbv;
    sqlite3_stmt *st = stmt(q, S_FEAT_PUT);
    if (!st) return ZT_EDB;
    static const char empty[1];
    int changes = 0;
    bind_text(st, 1, id);
    bind_text(st, 2, name);
    sqlite3_bind_int(st, 3, version);
    sqlite3_bind_blob64(st, 4, len ? data : empty, len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    int rc = run(q, st, "put feature", &changes);
    return rc ? rc : changes ? ZT_OK : zt_store_not_found("put feature", id);
}

static int sq_feature_get(void *dbv, const char *id, const char *name, int *version,
                          uint8_t **data, size_t *len)
{
    struct sq *q = dbv;
    sqlite3_stmt *st = stmt(q, S_FEAT_GET);
    if (!st) return ZT_EDB;
    bind_text(st, 1, id);
    bind_text(st, 2, name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return done(st, zt_store_no_blob("feature", id, name));
    if (rc != SQLITE_ROW) return done(st, db_error(q, "get feature"));
    *version = sqlite3_column_int(st, 0);
    return done(st, zt_store_copy_blob("feature", sqlite3_column_blob(st, 1),
                                       (size_t)sqlite3_column_bytes(st, 1), data, len));
}

static int sq_media_put(void *dbv, const char *id, const char *kind, const void *data,
                        size_t len, int64_t now)
{
    struct sq *q = dbv;
    sqlite3_stmt *st = stmt(q, S_MEDIA_PUT);
    if (!st) return ZT_EDB;
    int changes = 0;
    bind_text(st, 1, id);
    bind_text(st, 2, kind);
    sqlite3_bind_blob64(st, 3, data, len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    int rc = run(q, st, "put media", &changes);
    return rc ? rc : changes ? ZT_OK : zt_store_not_found("put media", id);
}

static int sq_media_get(void *dbv, const char *id, const char *kind, uint8_t **data,
                        size_t *len)
{
    struct sq *q = dbv;
    sqlite3_stmt *st = stmt(q, S_MEDIA_GET);
    if (!st) return ZT_EDB;
    bind_text(st, 1, id);
    bind_text(st, 2, kind);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return done(st, zt_store_no_blob("media", id, kind));
    if (rc != SQLITE_ROW) return done(st, db_error(q, "get media"));
    return done(st, zt_store_copy_blob("media", sqlite3_column_blob(st, 0),
                                       (size_t)sqlite3_column_bytes(st, 0), data, len));
}

static int sq_feature_del(void *dbv, const char *id, const char *name)
{
    struct sq *q = dbv;
    sqlite3_stmt *st = stmt(q, S_FEAT_DEL);
    if (!st) return ZT_EDB;
    int changes = 0;
    bind_text(st, 1, id);
    bind_text(st, 2, name);
    int rc = run(q, st, "delete feature", &changes);
    if (rc) return rc;
    if (!changes) {
        zt_seterr("delete feature: product '%.128s' has no feature '%s'", id, name);
        return ZT_ENOTFOUND;
    }
    return ZT_OK;
}

static int sq_feature_page(void *dbv, const char *name, const char *after, int limit,
                           zt_store_feature_fn fn, void *ctx, int *rows, char *last)
{
    struct sq *q = dbv;
    sqlite3_stmt *st = stmt(q, S_FEAT_PAGE);
    if (!st) return ZT_EDB;
    bind_text(st, 1, name);
    bind_text(st, 2, after);
    sqlite3_bind_int(st, 3, limit);
    int s, rc;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        size_t idn = (size_t)sqlite3_column_bytes(st, 0);
        if ((rc = zt_store_copy_col(last, ZT_PRODUCT_ID_MAX, "product_id", id ? id : "",
                                    id ? idn : 0)))
            return done(st, rc);
        const void *b = sqlite3_column_blob(st, 2);
        size_t n = (size_t)sqlite3_column_bytes(st, 2);
        (*rows)++;
        rc = fn(ctx, last, sqlite3_column_int(st, 1), b ? b : "", n);
        if (rc) return done(st, rc);
    }
    if (s != SQLITE_DONE) return done(st, db_error(q, "walk features"));
    return done(st, ZT_OK);
}

static const struct zt_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .schema_version = sq_schema_version,
    .migrate_step = sq_migrate_step,
    .catalog_version = sq_catalog_version,
    .tx = sq_tx,
    .upsert = sq_upsert,
    .set_derived = sq_set_derived,
    .get = sq_get,
    .del = sq_del,
    .list = sq_list,
    .count = sq_count,
    .feature_put = sq_feature_put,
    .feature_get = sq_feature_get,
    .feature_del = sq_feature_del,
    .feature_page = sq_feature_page,
    .media_put = sq_media_put,
    .media_get = sq_media_get,
    .changes_from = sq_changes_from,
    .changes_page = sq_changes_page,
    .changes_prune = sq_changes_prune,
};

int zt_store_sqlite_open(const char *path, const struct zt_store_ops **ops, void **db)
{
    struct sq *q = calloc(1, sizeof *q);
    if (!q) {
        zt_seterr("out of memory");
        return ZT_ENOMEM;
    }
    snprintf(q->path, sizeof q->path, "%s", path);
    int rc = ZT_EDB;
    if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        if (q->db) db_error(q, "open");
        else zt_seterr("%s: open: out of memory", path);
        goto fail;
    }
    sqlite3_extended_result_codes(q->db, 1);
    sqlite3_busy_timeout(q->db, 5000);
    /* WAL: readers do not block the writer, and a killed writer leaves the
     * last committed state. NORMAL sync is crash-safe for the application
     * (a power loss may drop the last commits, never corrupt). */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(q->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        db_error(q, "enable WAL");
        goto fail;
    }
    const char *mode = (const char *)sqlite3_column_text(st, 0);
    int wal = mode && !strcmp(mode, "wal");
    sqlite3_finalize(st);
    if (!wal) {
        zt_seterr("%s: cannot switch to WAL journal mode (is it on a network filesystem?)",
                  path);
        goto fail;
    }
    if ((rc = exec(q, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL"))) goto fail;
    *ops = &sqlite_ops;
    *db = q;
    return ZT_OK;
fail:
    sq_close(q);
    return rc ? rc : ZT_EDB;
}
