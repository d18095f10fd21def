/* store_pg.c: the PostgreSQL catalogue backend over libpq: text
 * parameters through PQexecParams, bytea blobs as binary parameters and
 * results, schema steps recorded in table schema_version under an
 * advisory lock. Same semantics as store_sqlite.c. */
#include "store_impl.h"
#include "../util/zt.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Schema steps; step i takes schema_version i to i + 1. Ids use the "C"
 * collation so that ORDER BY id is byte order, as in SQLite. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE products ("
    " id TEXT COLLATE \"C\" PRIMARY KEY,"
    " title TEXT NOT NULL,"
    " category TEXT NOT NULL CHECK (category IN ('top','pants','skirt','hat','other')),"
    " garment_class TEXT NOT NULL DEFAULT '',"
    " price BIGINT NOT NULL CHECK (price >= 0),"
    " currency TEXT NOT NULL,"
    " url TEXT NOT NULL,"
    " image_path TEXT NOT NULL,"
    " thumb_path TEXT NOT NULL DEFAULT '',"
    " edge_path TEXT NOT NULL DEFAULT '',"
    " updated_at BIGINT NOT NULL);"
    "CREATE INDEX products_category_price ON products(category, price);"
    "CREATE TABLE features ("
    " product_id TEXT COLLATE \"C\" NOT NULL REFERENCES products(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " data BYTEA NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " PRIMARY KEY (product_id, name));"
    "CREATE INDEX features_name_product ON features(name, product_id);",
    /* 1 -> 2: the catalogue version, bumped by a statement trigger in the
     * writing transaction (the row lock orders concurrent writers), and a
     * NOTIFY that reaches listeners when that transaction commits */
    "CREATE TABLE catalog_version (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " version BIGINT NOT NULL);"
    "INSERT INTO catalog_version VALUES (1, 0);"
    "CREATE FUNCTION ztyle_catalog_bump() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN UPDATE catalog_version SET version = version + 1;"
    " PERFORM pg_notify('ztyle_catalog', ''); RETURN NULL; END $$;"
    "CREATE TRIGGER products_version AFTER INSERT OR UPDATE OR DELETE ON products"
    " FOR EACH STATEMENT EXECUTE FUNCTION ztyle_catalog_bump();"
    "CREATE TRIGGER features_version AFTER INSERT OR UPDATE OR DELETE ON features"
    " FOR EACH STATEMENT EXECUTE FUNCTION ztyle_catalog_bump();",
    /* 2 -> 3: media bytes per product (no version trigger: nothing searched
     * depends on them); stored uncompressed: JPEG/PNG do not shrink */
    "CREATE TABLE media ("
    " product_id TEXT COLLATE \"C\" NOT NULL REFERENCES products(id) ON DELETE CASCADE,"
    " kind TEXT NOT NULL CHECK (kind IN ('thumb','edges','original')),"
    " data BYTEA NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " PRIMARY KEY (product_id, kind));"
    "ALTER TABLE media ALTER COLUMN data SET STORAGE EXTERNAL;",
    /* 3 -> 4: the change log. The version now moves per row, in a row
     * trigger that logs the change with the version it made (the row lock
     * on catalog_version orders concurrent writers, so a snapshot at
     * version V has seen every change logged at or below V); the NOTIFY
     * stays per statement. log_from: the log holds every change after it. */
    "CREATE TABLE catalog_changes (version BIGINT NOT NULL,"
    " product_id TEXT COLLATE \"C\" NOT NULL,"
    " op TEXT NOT NULL CHECK (op IN ('add','update','delete')));"
    "CREATE INDEX catalog_changes_version ON catalog_changes(version);"
    "ALTER TABLE catalog_version ADD COLUMN log_from BIGINT NOT NULL DEFAULT 0;"
    "UPDATE catalog_version SET log_from = version;"
    "CREATE FUNCTION ztyle_catalog_change() RETURNS trigger LANGUAGE plpgsql AS $$"
    " DECLARE v BIGINT; pid TEXT; o TEXT := 'update'; gone TEXT;"
    " BEGIN"
    "  IF TG_TABLE_NAME = 'products' THEN"
    "   IF TG_OP = 'DELETE' THEN pid := OLD.id; o := 'delete';"
    "   ELSE pid := NEW.id; IF TG_OP = 'INSERT' THEN o := 'add'; END IF; END IF;"
    "   IF TG_OP = 'UPDATE' THEN IF OLD.id <> NEW.id THEN gone := OLD.id; END IF; END IF;"
    "  ELSE"
    "   IF TG_OP = 'DELETE' THEN pid := OLD.product_id; ELSE pid := NEW.product_id; END IF;"
    "   IF TG_OP = 'UPDATE' THEN IF OLD.product_id <> NEW.product_id THEN"
    "    gone := OLD.product_id; END IF; END IF;"
    "  END IF;"
    "  UPDATE catalog_version SET version = version + 1 WHERE id = 1 RETURNING version INTO v;"
    "  INSERT INTO catalog_changes VALUES (v, pid, o);"
    "  IF gone IS NOT NULL THEN INSERT INTO catalog_changes VALUES (v, gone,"
    "   CASE TG_TABLE_NAME WHEN 'products' THEN 'delete' ELSE 'update' END); END IF;"
    "  RETURN NULL;"
    " END $$;"
    "CREATE FUNCTION ztyle_catalog_notify() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN PERFORM pg_notify('ztyle_catalog', ''); RETURN NULL; END $$;"
    "DROP TRIGGER products_version ON products;"
    "DROP TRIGGER features_version ON features;"
    "DROP FUNCTION ztyle_catalog_bump();"
    "CREATE TRIGGER products_change AFTER INSERT OR UPDATE OR DELETE ON products"
    " FOR EACH ROW EXECUTE FUNCTION ztyle_catalog_change();"
    "CREATE TRIGGER features_change AFTER INSERT OR UPDATE OR DELETE ON features"
    " FOR EACH ROW EXECUTE FUNCTION ztyle_catalog_change();"
    "CREATE TRIGGER products_notify AFTER INSERT OR UPDATE OR DELETE ON products"
    " FOR EACH STATEMENT EXECUTE FUNCTION ztyle_catalog_notify();"
    "CREATE TRIGGER features_notify AFTER INSERT OR UPDATE OR DELETE ON features"
    " FOR EACH STATEMENT EXECUTE FUNCTION ztyle_catalog_notify();",
};
_Static_assert(sizeof migrations / sizeof migrations[0] == ZT_STORE_SCHEMA_VERSION,
               "one migration step per schema version");

/* Key of the advisory lock that serialises migrations ("ZTYL"). */
#define MIGRATE_LOCK "1515477324"

#define FILTER                                                                             \
    " WHERE ($1::text IS NULL OR category = $1::text) AND price >= $2::bigint"            \
    " AND ($3::int = 0 OR price <= $4::bigint)"

#define BYTEAOID 17

/* Statements with parameters are prepared once per connection (named
 * "zt<i>"), keyed by the address of their static SQL text. */
#define PREP_MAX 32

struct pg {
    PGconn *c;
    char where[256]; /* "postgres db@host:port" for messages (no password) */
    const char *prep[PREP_MAX];
    int nprep;
};

static void no_notices(void *arg, const char *msg) { (void)arg, (void)msg; }

/* Sets "<where>: <what>: <libpq message>" without the trailing newline. */
static int pg_error(struct pg *g, const char *what, const PGresult *r)
{
    const char *m = r ? PQresultErrorMessage(r) : "";
    if (!m || !*m) m = PQerrorMessage(g->c);
    int n = (int)strlen(m);
    while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' ')) n--;
    zt_seterr("%s: %s: %.*s", g->where, what, n, m);
    return ZT_EDB;
}

/* Runs sql (a string literal: its address keys the statement cache) with
 * n text/binary params; *out (if non-NULL) gets the result on success, to
 * PQclear. resfmt 1 = binary results. */
static int pq(struct pg *g, const char *what, const char *sql, int n, const char *const *vals,
              const int *lens, const int *fmts, const Oid *types, int resfmt, PGresult **out)
{
    PGresult *r;
    int i = 0;
    char name[16];
    while (i < g->nprep && g->prep[i] != sql) i++;
    if (n > 0 && i == g->nprep && i < PREP_MAX) { /* first use: prepare */
        snprintf(name, sizeof name, "zt%d", i);
        r = PQprepare(g->c, name, sql, n, types);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            pg_error(g, what, r);
            PQclear(r);
            return ZT_EDB;
        }
        PQclear(r);
        g->prep[g->nprep++] = sql;
    }
    if (i < g->nprep) {
        snprintf(name, sizeof name, "zt%d", i);
        r = PQexecPrepared(g->c, name, n, vals, lens, fmts, resfmt);
    } else {
        r = PQexecParams(g->c, sql, n, types, vals, lens, fmts, resfmt);
    }
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        pg_error(g, what, r);
        PQclear(r);
        return ZT_EDB;
    }
    if (out) *out = r;
    else PQclear(r);
    return ZT_OK;
}

/* Plain text-parameter query. */
static int pqt(struct pg *g, const char *what, const char *sql, int n, const char *const *vals,
               PGresult **out)
{
    return pq(g, what, sql, n, vals, NULL, NULL, NULL, 0, out);
}

static int changed(PGresult *r) { return atoi(PQcmdTuples(r)); }

static void pg_close(void *dbv)
{
    struct pg *g = dbv;
    PQfinish(g->c);
    free(g);
}

static int read_version(struct pg *g, int *v)
{
    PGresult *r;
    int rc = pqt(g, "read schema version", "SELECT to_regclass('schema_version') IS NOT NULL", 0,
                 NULL, &r);
    if (rc) return rc;
    int exists = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    *v = 0;
    if (!exists) return ZT_OK;
    rc = pqt(g, "read schema version", "SELECT coalesce(max(version), 0) FROM schema_version",
             0, NULL, &r);
    if (rc) return rc;
    *v = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return ZT_OK;
}

static int pg_schema_version(void *dbv, int *v) { return read_version(dbv, v); }

static int pg_migrate_step(void *dbv, int *now_at)
{
    struct pg *g = dbv;
    int v, rc;
    if ((rc = pqt(g, "migrate", "BEGIN", 0, NULL, NULL))) return rc;
    if ((rc = pqt(g, "migrate", "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")", 0, NULL,
                  NULL)) ||
        (rc = pqt(g, "migrate", "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)",
                  0, NULL, NULL)) ||
        (rc = read_version(g, &v)))
        goto fail;
    if (v < 0 || v > (int)ZT_ARRAY_LEN(migrations)) {
        zt_seterr("%s: schema_version %d is not a Ztyle schema version", g->where, v);
        rc = ZT_EDB;
        goto fail;
    }
    if (v < (int)ZT_ARRAY_LEN(migrations)) {
        char next[16];
        snprintf(next, sizeof next, "%d", v + 1);
        const char *p[1] = {next};
        PGresult *r = PQexec(g->c, migrations[v]);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            rc = pg_error(g, "migrate", r);
            PQclear(r);
            goto fail;
        }
        PQclear(r);
        if ((rc = pqt(g, "migrate", "DELETE FROM schema_version", 0, NULL, NULL)) ||
            (rc = pqt(g, "migrate", "INSERT INTO schema_version VALUES ($1::int)", 1, p, NULL)))
            goto fail;
        v++;
    }
    if ((rc = pqt(g, "migrate", "COMMIT", 0, NULL, NULL))) return rc;
    *now_at = v;
    return ZT_OK;
fail:
    PQclear(PQexec(g->c, "ROLLBACK"));
    return rc;
}

static int pg_tx(void *dbv, enum zt_store_txop op)
{
    static const char *const sql[] = {"BEGIN", "COMMIT", "ROLLBACK"};
    struct pg *g = dbv;
    PGresult *r;
    int rc = pqt(g, sql[op], sql[op], 0, NULL, &r);
    if (rc) return rc;
    /* COMMIT of a transaction that had an error rolls back and says so */
    if (op == ZT_TX_COMMIT && !strcmp(PQcmdStatus(r), "ROLLBACK")) {
        zt_seterr("%s: commit: the transaction was rolled back after an earlier error",
                  g->where);
        rc = ZT_EDB;
    }
    PQclear(r);
    return rc;
}

static int pg_upsert(void *dbv, const struct zt_product *p, int64_t now)
{
    struct pg *g = dbv;
    char price[24], ts[24];
    snprintf(price, sizeof price, "%" PRId64, p->price);
    snprintf(ts, sizeof ts, "%" PRId64, now);
    const char *v[11] = {p->id,  p->title,      p->category,   p->cls,
                         price,  p->currency,   p->url,        p->image_path,
                         p->thumb_path, p->edge_path, ts};
    return pqt(g, "upsert",
               "INSERT INTO products (" ZT_STORE_PRODUCT_COLS ") VALUES"
               " ($1, $2, $3, $4, $5::bigint, $6, $7, $8, $9, $10, $11::bigint)"
               " ON CONFLICT (id) DO UPDATE SET title = excluded.title,"
               " category = excluded.category, garment_class = excluded.garment_class,"
               " price = excluded.price, currency = excluded.currency, url = excluded.url,"
               " image_path = excluded.image_path,"
               " thumb_path = CASE WHEN excluded.thumb_path <> '' THEN excluded.thumb_path"
               "   ELSE products.thumb_path END,"
               " edge_path = CASE WHEN excluded.edge_path <> '' THEN excluded.edge_path"
               "   ELSE products.edge_path END,"
               " updated_at = excluded.updated_at",
               11, v, NULL);
}

static int pg_set_derived(void *dbv, const char *id, const char *thumb, const char *edge,
                          int64_t now)
{
    struct pg *g = dbv;
    char ts[24];
    snprintf(ts, sizeof ts, "%" PRId64, now);
    const char *v[4] = {id, thumb, edge, ts};
    PGresult *r;
    int rc = pqt(g, "set derived paths",
                 "UPDATE products SET thumb_path = coalesce($2::text, thumb_path),"
                 " edge_path = coalesce($3::text, edge_path), updated_at = $4::bigint"
                 " WHERE id = $1",
                 4, v, &r);
    if (rc) return rc;
    int n = changed(r);
    PQclear(r);
    return n ? ZT_OK : zt_store_not_found("set derived paths", id);
}

/* Fills p from row i of a text-format ZT_STORE_PRODUCT_COLS result. */
static int read_product(PGresult *r, int i, struct zt_product *p)
{
    for (int c = 0; c < ZT_STORE_NCOLS; c++) {
        if (!zt_store_cols[c].col) continue;
        int rc = zt_store_set_col(p, c, PQgetvalue(r, i, c), (size_t)PQgetlength(r, i, c));
        if (rc) return rc;
    }
    p->price = strtoll(PQgetvalue(r, i, ZT_STORE_COL_PRICE), NULL, 10);
    p->updated_at = strtoll(PQgetvalue(r, i, ZT_STORE_COL_UPDATED_AT), NULL, 10);
    return ZT_OK;
}

static int pg_get(void *dbv, const char *id, struct zt_product *out)
{
    struct pg *g = dbv;
    const char *v[1] = {id};
    PGresult *r;
    int rc = pqt(g, "get", "SELECT " ZT_STORE_PRODUCT_COLS " FROM products WHERE id = $1", 1, v, &r);
    if (rc) return rc;
    rc = PQntuples(r) ? read_product(r, 0, out) : zt_store_not_found("get", id);
    PQclear(r);
    return rc;
}

static int pg_del(void *dbv, const char *id)
{
    struct pg *g = dbv;
    const char *v[1] = {id};
    PGresult *r;
    int rc = pqt(g, "delete", "DELETE FROM products WHERE id = $1", 1, v, &r);
    if (rc) return rc;
    int n = changed(r);
    PQclear(r);
    return n ? ZT_OK : zt_store_not_found("delete", id);
}

struct filter_args {
    char pmin[24], has_max[4], pmax[24], limit[24], offset[24];
    const char *v[6];
};

static void filter_args(struct filter_args *a, const char *cat, int64_t pmin, int has_max,
                        int64_t pmax, int64_t limit, int64_t offset)
{
    snprintf(a->pmin, sizeof a->pmin, "%" PRId64, pmin);
    snprintf(a->has_max, sizeof a->has_max, "%d", has_max != 0);
    snprintf(a->pmax, sizeof a->pmax, "%" PRId64, pmax);
    snprintf(a->limit, sizeof a->limit, "%" PRId64, limit);
    snprintf(a->offset, sizeof a->offset, "%" PRId64, offset);
    const char *v[6] = {cat, a->pmin, a->has_max, a->pmax, a->limit, a->offset};
    memcpy(a->v, v, sizeof v);
}

static int pg_list(void *dbv, const char *cat, int64_t pmin, int has_max, int64_t pmax,
                   int64_t limit, int64_t offset, struct zt_product **items, size_t *n)
{
    struct pg *g = dbv;
    struct filter_args a;
    filter_args(&a, cat, pmin, has_max, pmax, limit, offset);
    PGresult *r;
    int rc = pqt(g, "list",
                 "SELECT " ZT_STORE_PRODUCT_COLS " FROM products" FILTER
                 " ORDER BY id LIMIT $5::bigint OFFSET $6::bigint",
                 6, a.v, &r);
    if (rc) return rc;
    int rows = PQntuples(r);
    struct zt_product *v = NULL;
    if (rows > 0) {
        v = calloc((size_t)rows, sizeof *v);
        if (!v) {
            zt_seterr("list: out of memory");
            rc = ZT_ENOMEM;
            goto out;
        }
        for (int i = 0; i < rows && !rc; i++) rc = read_product(r, i, &v[i]);
        if (rc) {
            free(v);
            goto out;
        }
    }
    *items = v;
    *n = (size_t)rows;
out:
    PQclear(r);
    return rc;
}

static int pg_count(void *dbv, const char *cat, int64_t pmin, int has_max, int64_t pmax,
                    int64_t *count)
{
    struct pg *g = dbv;
    struct filter_args a;
    filter_args(&a, cat, pmin, has_max, pmax, 0, 0);
    PGresult *r;
    int rc = pqt(g, "count", "SELECT count(*) FROM products" FILTER, 4, a.v, &r);
    if (rc) return rc;
    *count = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return ZT_OK;
}

/* One bigint from a text query with params v (n of them). */
static int query_int64(struct pg *g, const char *what, const char *sql, int n, const char *const *v,
                    int64_t *out)
{
    PGresult *r;
    int rc = pqt(g, what, sql, n, v, &r);
    if (rc) return rc;
    *out = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return ZT_OK;
}

static int pg_catalog_version(void *dbv, int64_t *version)
{
    return query_int64(dbv, "catalogue version", "SELECT version FROM catalog_version WHERE id = 1",
                    0, NULL, version);
}

static int pg_changes_from(void *dbv, int64_t *from)
{
    return query_int64(dbv, "change log", "SELECT log_from FROM catalog_version WHERE id = 1", 0,
                    NULL, from);
}

static int pg_changes_page(void *dbv, int64_t since, int64_t limit, zt_store_change_fn fn,
                           void *ctx, int64_t *rows)
{
    struct pg *g = dbv;
    char a[24], b[24], id[ZT_PRODUCT_ID_MAX];
    snprintf(a, sizeof a, "%" PRId64, since);
    snprintf(b, sizeof b, "%" PRId64, limit);
    const char *v[2] = {a, b};
    PGresult *r;
    int rc = pqt(g, "read change log",
                 "SELECT version, product_id, op FROM catalog_changes WHERE version > $1::bigint"
                 " ORDER BY version LIMIT $2::bigint",
                 2, v, &r);
    if (rc) return rc;
    for (int i = 0; i < PQntuples(r) && !rc; i++) {
        rc = zt_store_copy_col(id, sizeof id, "product_id", PQgetvalue(r, i, 1),
                               (size_t)PQgetlength(r, i, 1));
        if (rc) break;
        (*rows)++;
        rc = fn(ctx, strtoll(PQgetvalue(r, i, 0), NULL, 10), id,
                zt_store_change_op(PQgetvalue(r, i, 2), (size_t)PQgetlength(r, i, 2)));
    }
    PQclear(r);
    return rc;
}

static int pg_changes_prune(void *dbv, int64_t upto)
{
    struct pg *g = dbv;
    char a[24];
    snprintf(a, sizeof a, "%" PRId64, upto);
    const char *v[1] = {a};
    /* one statement: readers see the raised log_from with the rows gone */
    return pqt(g, "prune change log",
               "WITH d AS (DELETE FROM catalog_changes WHERE version <= $1::bigint)"
               " UPDATE catalog_version SET log_from = greatest(log_from, $1::bigint)"
               " WHERE id = 1",
               1, v, NULL);
}

static int pg_listen(void *dbv, int *fd)
{
    struct pg *g = dbv;
    int rc = pqt(g, "listen", "LISTEN ztyle_catalog", 0, NULL, NULL);
    if (!rc) *fd = PQsocket(g->c);
    return rc;
}

static int pg_notified(void *dbv, int *n)
{
    struct pg *g = dbv;
    PGnotify *nt;
    if (!PQconsumeInput(g->c)) {
        zt_seterr("%s: notifications: %s", g->where, PQerrorMessage(g->c));
        return ZT_EDB;
    }
    while ((nt = PQnotifies(g->c))) {
        (*n)++;
        PQfreemem(nt);
    }
    return ZT_OK;
}

/* Runs an INSERT ... SELECT ... WHERE EXISTS (product) whose parameter
 * `blob` (of n) is the bytea data and the others text; ZT_ENOTFOUND naming
 * id when no row was written. */
static int put_blob(struct pg *g, const char *what, const char *sql, int n, const char **v,
                    int blob, const void *data, size_t len)
{
    if (len > INT32_MAX) {
        zt_seterr("%s: %zu bytes is too large for one parameter", what, len);
        return ZT_EINVAL;
    }
    int lens[8] = {0}, fmts[8] = {0};
    Oid types[8] = {0};
    v[blob] = len ? (const char *)data : "";
    lens[blob] = (int)len;
    fmts[blob] = 1;
    types[blob] = BYTEAOID;
    PGresult *r;
    int rc = pq(g, what, sql, n, v, lens, fmts, types, 0, &r);
    if (rc) return rc;
    int k = changed(r);
    PQclear(r);
    return k ? ZT_OK : zt_store_not_found(what, v[0]);
}

static int pg_feature_put(void *dbv, const char *id, const char *name, int version,
                          const void *data, size_t len, int64_t now)
{
    char ver[16], ts[24];
    snprintf(ver, sizeof ver, "%d", version);
    snprintf(ts, sizeof ts, "%" PRId64, now);
    const char *v[5] = {id, name, ver, NULL, ts};
    return put_blob(dbv, "put feature",
                    "INSERT INTO features (product_id, name, version, data, updated_at)"
                    " SELECT $1, $2, $3::int, $4, $5::bigint"
                    " WHERE EXISTS (SELECT 1 FROM products WHERE id = $1)"
                    " ON CONFLICT (product_id, name) DO UPDATE SET version = excluded.version,"
                    " data = excluded.data, updated_at = excluded.updated_at",
                    5, v, 3, data, len);
}

static int pg_media_put(void *dbv, const char *id, const char *kind, const void *data,
                        size_t len, int64_t now)
{
    char ts[24];
    snprintf(ts, sizeof ts, "%" PRId64, now);
    const char *v[4] = {id, kind, NULL, ts};
    return put_blob(dbv, "put media",
                    "INSERT INTO media (product_id, kind, data, updated_at)"
                    " SELECT $1, $2, $3, $4::bigint"
                    " WHERE EXISTS (SELECT 1 FROM products WHERE id = $1)"
                    " ON CONFLICT (product_id, kind) DO UPDATE SET data = excluded.data,"
                    " updated_at = excluded.updated_at",
                    4, v, 2, data, len);
}

/* int4 column of a binary-format result. */
static int bin_int(PGresult *r, int i, int c)
{
    uint32_t be;
    if (PQgetlength(r, i, c) != 4) return 0;
    memcpy(&be, PQgetvalue(r, i, c), 4);
    return (int)ntohl(be);
}

static int pg_feature_get(void *dbv, const char *id, const char *name, int *version,
                          uint8_t **data, size_t *len)
{
    struct pg *g = dbv;
    const char *v[2] = {id, name};
    PGresult *r;
    int rc = pq(g, "get feature",
                "SELECT data, version FROM features WHERE product_id = $1 AND name = $2", 2, v,
                NULL, NULL, NULL, 1, &r);
    if (rc) return rc;
    if (!PQntuples(r)) rc = zt_store_no_blob("feature", id, name);
    else if (!(rc = zt_store_copy_blob("feature", PQgetvalue(r, 0, 0),
                                       (size_t)PQgetlength(r, 0, 0), data, len)))
        *version = bin_int(r, 0, 1);
    PQclear(r);
    return rc;
}

static int pg_media_get(void *dbv, const char *id, const char *kind, uint8_t **data,
                        size_t *len)
{
    struct pg *g = dbv;
    const char *v[2] = {id, kind};
    PGresult *r;
    int rc = pq(g, "get media", "SELECT data FROM media WHERE product_id = $1 AND kind = $2",
                2, v, NULL, NULL, NULL, 1, &r);
    if (rc) return rc;
    rc = PQntuples(r) ? zt_store_copy_blob("media", PQgetvalue(r, 0, 0),
                                           (size_t)PQgetlength(r, 0, 0), data, len)
                      : zt_store_no_blob("media", id, kind);
    PQclear(r);
    return rc;
}

static int pg_feature_del(void *dbv, const char *id, const char *name)
{
    struct pg *g = dbv;
    const char *v[2] = {id, name};
    PGresult *r;
    int rc = pqt(g, "delete feature", "DELETE FROM features WHERE product_id = $1 AND name = $2",
                 2, v, &r);
    if (rc) return rc;
    int n = changed(r);
    PQclear(r);
    if (!n) {
        zt_seterr("delete feature: product '%.128s' has no feature '%s'", id, name);
        return ZT_ENOTFOUND;
    }
    return ZT_OK;
}

static int pg_feature_page(void *dbv, const char *name, const char *after, int limit,
                           zt_store_feature_fn fn, void *ctx, int *rows, char *last)
{
    struct pg *g = dbv;
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *v[3] = {name, after, lim};
    PGresult *r;
    int rc = pq(g, "walk features",
                "SELECT product_id, version, data FROM features WHERE name = $1"
                " AND product_id > $2 ORDER BY product_id LIMIT $3::int",
                3, v, NULL, NULL, NULL, 1, &r);
    if (rc) return rc;
    int nt = PQntuples(r);
    for (int i = 0; i < nt && !rc; i++) {
        rc = zt_store_copy_col(last, ZT_PRODUCT_ID_MAX, "product_id", PQgetvalue(r, i, 0),
                               (size_t)PQgetlength(r, i, 0));
        if (rc) break;
        (*rows)++;
        rc = fn(ctx, last, bin_int(r, i, 1), PQgetvalue(r, i, 2), (size_t)PQgetlength(r, i, 2));
    }
    PQclear(r);
    return rc;
}

static const struct zt_store_ops pg_ops = {
    .name = "postgres",
    .close = pg_close,
    .schema_version = pg_schema_version,
    .migrate_step = pg_migrate_step,
    .catalog_version = pg_catalog_version,
    .listen = pg_listen,
    .notified = pg_notified,
    .tx = pg_tx,
    .upsert = pg_upsert,
    .set_derived = pg_set_derived,
    .get = pg_get,
    .del = pg_del,
    .list = pg_list,
    .count = pg_count,
    .feature_put = pg_feature_put,
    .feature_get = pg_feature_get,
    .feature_del = pg_feature_del,
    .feature_page = pg_feature_page,
    .media_put = pg_media_put,
    .media_get = pg_media_get,
    .changes_from = pg_changes_from,
    .changes_page = pg_changes_page,
    .changes_prune = pg_changes_prune,
};

int zt_store_pg_open(const char *url, const struct zt_store_ops **ops, void **db)
{
    struct pg *g = calloc(1, sizeof *g);
    if (!g) {
        zt_seterr("out of memory");
        return ZT_ENOMEM;
    }
    g->c = PQconnectdb(url);
    if (!g->c) {
        zt_seterr("postgres: out of memory connecting");
        free(g);
        return ZT_ENOMEM;
    }
    PQsetNoticeProcessor(g->c, no_notices, NULL); /* library code prints nothing */
    if (PQstatus(g->c) != CONNECTION_OK) {
        snprintf(g->where, sizeof g->where, "postgres");
        pg_error(g, "connect", NULL);
        pg_close(g);
        return ZT_EDB;
    }
    const char *host = PQhost(g->c);
    snprintf(g->where, sizeof g->where, "postgres %s@%s:%s", PQdb(g->c),
             host && *host ? host : "localhost", PQport(g->c));
    if (PQsetClientEncoding(g->c, "UTF8")) {
        pg_error(g, "set client encoding", NULL);
        pg_close(g);
        return ZT_EDB;
    }
    *ops = &pg_ops;
    *db = g;
    return ZT_OK;
}
