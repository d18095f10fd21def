/* test_store.c: catalogue store tests. Every STORE_TEST body runs twice,
 * once on SQLite (a fresh file) and once on PostgreSQL (a fresh schema in
 * the cluster named by $ZTYLE_TEST_PG, see tests/pg_env.sh). Without
 * ZTYLE_TEST_PG the pg variants are skipped (zt_test_skip) and fail in CI. */
#include "test.h"
#include "../src/catalog/store.h"
#include "../src/util/zt.h"

#include <libpq-fe.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- backends: each makes a fresh empty database for one test --- */

struct backend {
    const char *name;
    /* Fills url; 1 = ran, 0 = skipped (reason printed). */
    int (*fresh)(const char *test, char *url, size_t n);
    void (*cleanup)(const char *test);
    /* Runs raw SQL against the database at url (test setup only). */
    int (*raw)(const char *url, const char *sql);
};

static int sqlite_fresh(const char *test, char *url, size_t n)
{
    static const char *const sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/store_%s.db%s", zt_test_tmpdir(), test, sfx[i]);
        unlink(p);
    }
    snprintf(url, n, "%s/store_%s.db", zt_test_tmpdir(), test);
    return 1;
}

static void sqlite_cleanup(const char *test) { (void)test; }

static int sqlite_raw(const char *url, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(url, &db) == SQLITE_OK &&
             sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    if (!rc) zt_test_fail(__FILE__, __LINE__, "sqlite raw: %s", sqlite3_errmsg(db));
    sqlite3_close(db);
    return rc ? 0 : -1;
}

static void pg_schema(const char *test, char *out, size_t n)
{
    snprintf(out, n, "zt_%s_%d", test, (int)getpid());
}

static void quiet(void *arg, const char *msg) { (void)arg, (void)msg; }

static int pg_raw_base(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    PQsetNoticeProcessor(c, quiet, NULL);
    int ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
        PGresult *r = PQexec(c, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
    }
    if (!ok) zt_test_fail(__FILE__, __LINE__, "pg raw '%s': %s", sql, PQerrorMessage(c));
    PQfinish(c);
    return ok ? 0 : -1;
}

static int pg_fresh(const char *test, char *url, size_t n)
{
    const char *base = getenv("ZTYLE_TEST_PG");
    if (!base || !*base) {
        const char *ci = getenv("CI");
        if (ci && !strcmp(ci, "true"))
            zt_test_fail(__FILE__, __LINE__,
                         "ZTYLE_TEST_PG is not set; CI must run the PostgreSQL store tests "
                         "(make test starts a cluster with tests/pg_env.sh)");
        else
            zt_test_skip("pg: ZTYLE_TEST_PG not set (make test starts a cluster with "
                         "tests/pg_env.sh)");
        return 0;
    }
    char schema[128], sql[512];
    pg_schema(test, schema, sizeof schema);
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema,
             schema);
    if (pg_raw_base(base, sql)) return 0;
    /* the store connects with search_path set to the test's schema */
    snprintf(url, n, "%s%coptions=-csearch_path%%3D%s", base, strchr(base, '?') ? '&' : '?',
             schema);
    return 1;
}

static void pg_cleanup(const char *test)
{
    char schema[128], sql[256];
    pg_schema(test, schema, sizeof schema);
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    pg_raw_base(getenv("ZTYLE_TEST_PG"), sql);
}

static const struct backend sqlite_backend = {"sqlite", sqlite_fresh, sqlite_cleanup, sqlite_raw};
static const struct backend pg_backend = {"pg", pg_fresh, pg_cleanup, pg_raw_base};

typedef void (*store_body)(const struct backend *b, const char *url);

static void run_backend(const struct backend *b, const char *test, store_body body)
{
    char url[2048];
    if (!b->fresh(test, url, sizeof url)) return;
    body(b, url);
    b->cleanup(test);
}

/* Defines one body and registers it as store/<name>_sqlite and _pg. */
#define STORE_TEST(name)                                                               \
    static void body_##name(const struct backend *b, const char *url);                 \
    TEST(store, name##_sqlite) { run_backend(&sqlite_backend, #name, body_##name); }   \
    TEST(store, name##_pg) { run_backend(&pg_backend, #name, body_##name); }           \
    static void body_##name(const struct backend *b, const char *url)

/* --- helpers --- */


static void make_product(struct zt_product *p, int i)
{
    static const char *const cats[] = {"top", "pants", "skirt", "hat", "other"};
    static const char *const cls[] = {"t-shirt", "pants", "skirt", "hat", "dress"};
    zt_product_init(p);
    snprintf(p->id, sizeof p->id, "p%04d", i);
    snprintf(p->title, sizeof p->title, "Product \"%d\", naïve café", i);
    snprintf(p->category, sizeof p->category, "%s", cats[i % 5]);
    snprintf(p->cls, sizeof p->cls, "%s", cls[i % 5]);
    p->price = 100 * i + i % 100; /* p0007 costs 7.07 */
    snprintf(p->url, sizeof p->url, "https://shop.example/p/%d?ref=a&b='c'", i);
    snprintf(p->image_path, sizeof p->image_path, "images/p%04d.jpg", i);
}

static int product_eq(const struct zt_product *a, const struct zt_product *b)
{
    return !strcmp(a->id, b->id) && !strcmp(a->title, b->title) &&
           !strcmp(a->category, b->category) && !strcmp(a->cls, b->cls) &&
           a->price == b->price && !strcmp(a->currency, b->currency) &&
           !strcmp(a->url, b->url) && !strcmp(a->image_path, b->image_path) &&
           !strcmp(a->thumb_path, b->thumb_path) && !strcmp(a->edge_path, b->edge_path);
}

/* Opens and migrates; NULL (test failed) on error. */
static struct zt_store *open_ready(const char *url)
{
    struct zt_store *s = NULL;
    int rc = zt_store_open(url, &s);
    if (rc) {
        zt_test_fail(__FILE__, __LINE__, "open %s: %s", url, zt_errmsg());
        return NULL;
    }
    rc = zt_store_migrate(s);
    if (rc) {
        zt_test_fail(__FILE__, __LINE__, "migrate: %s", zt_errmsg());
        zt_store_close(s);
        return NULL;
    }
    return s;
}

static int64_t count_all(struct zt_store *s)
{
    int64_t n = -1;
    CHECK_OK(zt_store_count(s, NULL, &n));
    return n;
}

/* --- tests --- */

STORE_TEST(migrate_fresh_and_reopen)
{
    struct zt_store *s = NULL;
    struct zt_product p;
    int v = -1;
    CHECK_OK(zt_store_open(url, &s));
    if (!s) return;
    CHECK(!strcmp(zt_store_backend(s), b == &pg_backend ? "postgres" : "sqlite"));
    CHECK_OK(zt_store_schema_version(s, &v));
    CHECK_EQ_INT(v, 0);
    make_product(&p, 1);
    CHECK_RC(zt_store_upsert(s, &p), ZT_EDB); /* not migrated yet */
    CHECK(strstr(zt_errmsg(), "run migrate") != NULL);
    CHECK_OK(zt_store_migrate(s));
    CHECK_OK(zt_store_schema_version(s, &v));
    CHECK_EQ_INT(v, ZT_STORE_SCHEMA_VERSION);
    CHECK_OK(zt_store_migrate(s)); /* idempotent */
    CHECK_OK(zt_store_upsert(s, &p));
    zt_store_close(s);

    /* reopen: schema current, usable without migrating, data there */
    s = NULL;
    CHECK_OK(zt_store_open(url, &s));
    if (!s) return;
    CHECK_OK(zt_store_schema_version(s, &v));
    CHECK_EQ_INT(v, ZT_STORE_SCHEMA_VERSION);
    CHECK_EQ_INT(count_all(s), 1);
    CHECK_OK(zt_store_migrate(s));
    CHECK_EQ_INT(count_all(s), 1);
    zt_store_close(s);

    /* a database from a newer build is refused with a clear message */
    CHECK_OK(b->raw(url, b == &pg_backend ? "UPDATE schema_version SET version = 99"
                                          : "PRAGMA user_version = 99"));
    s = NULL;
    CHECK_RC(zt_store_open(url, &s), ZT_EDB);
    CHECK(s == NULL);
    CHECK_MSG(strstr(zt_errmsg(), "newer than this build") != NULL, "msg: %s", zt_errmsg());
}

STORE_TEST(upsert_idempotent)
{
    struct zt_store *s = open_ready(url);
    if (!s) return;
    struct zt_product p, got;
    make_product(&p, 7);
    CHECK_OK(zt_store_upsert(s, &p));
    CHECK_OK(zt_store_upsert(s, &p));
    CHECK_EQ_INT(count_all(s), 1);
    CHECK_OK(zt_store_get(s, "p0007", &got));
    CHECK(product_eq(&p, &got));
    CHECK_EQ_INT(got.price, 707);
    CHECK(got.updated_at > 1600000000);

    /* changed fields replace the old ones */
    snprintf(p.title, sizeof p.title, "New title");
    p.price = 1990;
    snprintf(p.currency, sizeof p.currency, "EUR");
    CHECK_OK(zt_store_upsert(s, &p));
    CHECK_OK(zt_store_get(s, "p0007", &got));
    CHECK(!strcmp(got.title, "New title"));
    CHECK_EQ_INT(got.price, 1990);
    CHECK(!strcmp(got.currency, "EUR"));
    CHECK_EQ_INT(count_all(s), 1);

    /* derived paths: set, kept by an upsert without them, cleared on request */
    CHECK_OK(zt_store_set_derived(s, "p0007", "thumbs/p0007.jpg", "edges/p0007.png"));
    CHECK_OK(zt_store_upsert(s, &p));
    CHECK_OK(zt_store_get(s, "p0007", &got));
    CHECK(!strcmp(got.thumb_path, "thumbs/p0007.jpg"));
    CHECK(!strcmp(got.edge_path, "edges/p0007.png"));
    CHECK_OK(zt_store_set_derived(s, "p0007", NULL, ""));
    CHECK_OK(zt_store_get(s, "p0007", &got));
    CHECK(!strcmp(got.thumb_path, "thumbs/p0007.jpg"));
    CHECK(!strcmp(got.edge_path, ""));
    snprintf(p.edge_path, sizeof p.edge_path, "edges/v2.png");
    CHECK_OK(zt_store_upsert(s, &p));
    CHECK_OK(zt_store_get(s, "p0007", &got));
    CHECK(!strcmp(got.edge_path, "edges/v2.png"));
    CHECK_RC(zt_store_set_derived(s, "nope", "a", "b"), ZT_ENOTFOUND);

    /* invalid products are refused before reaching the database */
    struct zt_product bad = p;
    snprintf(bad.id, sizeof bad.id, "x1");
    bad.price = -1;
    CHECK_RC(zt_store_upsert(s, &bad), ZT_EINVAL);
    CHECK_MSG(strstr(zt_errmsg(), "price") != NULL, "msg: %s", zt_errmsg());
    bad = p;
    snprintf(bad.id, sizeof bad.id, "x2");
    snprintf(bad.category, sizeof bad.category, "shoes");
    CHECK_RC(zt_store_upsert(s, &bad), ZT_EINVAL);
    bad = p;
    snprintf(bad.id, sizeof bad.id, "x3");
    snprintf(bad.url, sizeof bad.url, "javascript:alert(1)");
    CHECK_RC(zt_store_upsert(s, &bad), ZT_EINVAL);
    CHECK_EQ_INT(count_all(s), 1);
    zt_store_close(s);
}

STORE_TEST(get_delete)
{
    struct zt_store *s = open_ready(url);
    if (!s) return;
    struct zt_product p, got;
    for (int i = 0; i < 3; i++) {
        make_product(&p, i);
        CHECK_OK(zt_store_upsert(s, &p));
    }
    CHECK_RC(zt_store_get(s, "missing-sku", &got), ZT_ENOTFOUND);
    CHECK_MSG(strstr(zt_errmsg(), "missing-sku") != NULL, "msg: %s", zt_errmsg());
    CHECK_RC(zt_store_get(s, "", &got), ZT_EINVAL);
    CHECK_OK(zt_store_delete(s, "p0001"));
    CHECK_RC(zt_store_get(s, "p0001", &got), ZT_ENOTFOUND);
    CHECK_RC(zt_store_delete(s, "p0001"), ZT_ENOTFOUND);
    CHECK_OK(zt_store_get(s, "p0002", &got));
    CHECK_EQ_INT(count_all(s), 2);
    /* SQL metacharacters in ids are plain data */
    make_product(&p, 9);
    snprintf(p.id, sizeof p.id, "x'); DROP TABLE products; --");
    CHECK_OK(zt_store_upsert(s, &p));
    CHECK_OK(zt_store_get(s, "x'); DROP TABLE products; --", &got));
    CHECK_EQ_INT(count_all(s), 3);
    zt_store_close(s);
}

STORE_TEST(list_filter_paginate)
{
    struct zt_store *s = open_ready(url);
    if (!s) return;
    struct zt_product p;
    /* insert in a scrambled order; list must come back sorted by id */
    CHECK_OK(zt_store_begin(s));
    for (int k = 0; k < 25; k++) {
        make_product(&p, (k * 7) % 25);
        CHECK_OK(zt_store_upsert(s, &p));
    }
    /* byte order of ids: "B" < "_" < "a" (C collation on both backends) */
    static const char *const odd[] = {"a", "_", "B"};
    for (int k = 0; k < 3; k++) {
        make_product(&p, 100 + k);
        snprintf(p.id, sizeof p.id, "%s", odd[k]);
        CHECK_OK(zt_store_upsert(s, &p));
    }
    CHECK_OK(zt_store_commit(s));
    CHECK_EQ_INT(count_all(s), 28);

    /* pages of 10 cover everything once, in id order */
    char seen[28][ZT_PRODUCT_ID_MAX];
    int nseen = 0;
    for (int64_t off = 0;; off += 10) {
        struct zt_product *items = NULL;
        size_t n = 0;
        CHECK_OK(zt_store_list(s, NULL, 10, off, &items, &n));
        for (size_t i = 0; i < n && nseen < 28; i++) memcpy(seen[nseen++], items[i].id, ZT_PRODUCT_ID_MAX);
        free(items);
        if (n < 10) break;
    }
    CHECK_EQ_INT(nseen, 28);
    CHECK(!strcmp(seen[0], "B") && !strcmp(seen[1], "_") && !strcmp(seen[2], "a"));
    CHECK(!strcmp(seen[3], "p0000") && !strcmp(seen[27], "p0024"));
    for (int i = 1; i < nseen; i++) CHECK_MSG(strcmp(seen[i - 1], seen[i]) < 0, "order at %d", i);

    /* category filter: i % 5 == 1 -> pants: 1, 6, 11, 16, 21 and 101 */
    struct zt_store_filter f = {.category = "pants"};
    int64_t c = 0;
    CHECK_OK(zt_store_count(s, &f, &c));
    CHECK_EQ_INT(c, 6);
    struct zt_product *items = NULL;
    size_t n = 0;
    CHECK_OK(zt_store_list(s, &f, 3, 1, &items, &n));
    CHECK_EQ_INT(n, 3);
    if (n == 3) CHECK(!strcmp(items[0].id, "p0001") && !strcmp(items[2].id, "p0011"));
    for (size_t i = 0; i < n; i++) CHECK(!strcmp(items[i].category, "pants"));
    free(items);

    /* price range, inclusive: 5.05 (p0005) .. 10.10 (p0010) */
    f = (struct zt_store_filter){.price_min = 505, .price_max = 1010, .has_price_max = 1};
    CHECK_OK(zt_store_count(s, &f, &c));
    CHECK_EQ_INT(c, 6);
    /* both filters: tops (i % 5 == 0) between 0 and 15.15 -> p0000, p0005, p0010, p0015 */
    f = (struct zt_store_filter){.category = "top", .price_max = 1515, .has_price_max = 1};
    CHECK_OK(zt_store_list(s, &f, 100, 0, &items, &n));
    CHECK_EQ_INT(n, 4);
    if (n == 4) CHECK(!strcmp(items[3].id, "p0015"));
    free(items);
    /* price_max 0 with has_price_max: only free products */
    f = (struct zt_store_filter){.has_price_max = 1};
    CHECK_OK(zt_store_count(s, &f, &c));
    CHECK_EQ_INT(c, 1);
    /* past the end: empty, not an error */
    CHECK_OK(zt_store_list(s, NULL, 10, 1000, &items, &n));
    CHECK_EQ_INT(n, 0);
    CHECK(items == NULL);
    CHECK_RC(zt_store_list(s, NULL, 0, 0, &items, &n), ZT_EINVAL);
    CHECK_RC(zt_store_list(s, NULL, 10, -1, &items, &n), ZT_EINVAL);
    zt_store_close(s);
}

struct walk {
    int n, stop_at;
    char last[ZT_PRODUCT_ID_MAX];
    int ordered, data_ok;
};

static int walk_fn(void *ctx, const char *id, int version, const void *data, size_t len)
{
    struct walk *w = ctx;
    if (w->n && strcmp(w->last, id) >= 0) w->ordered = 0;
    snprintf(w->last, sizeof w->last, "%s", id);
    /* each vector is 4 floats: id number, version, 0, -1 */
    float v[4];
    int num = atoi(id + 1);
    if (len != sizeof v) w->data_ok = 0;
    else {
        memcpy(v, data, sizeof v);
        if (v[0] != (float)num || v[1] != (float)version || v[2] != 0.0f || v[3] != -1.0f)
            w->data_ok = 0;
    }
    if (++w->n == w->stop_at) return ZT_EINTR;
    return ZT_OK;
}

STORE_TEST(features)
{
    struct zt_store *s = open_ready(url);
    if (!s) return;
    struct zt_product p;
    /* 600 products (more than two walk pages); every third has no "emb" */
    CHECK_OK(zt_store_begin(s));
    int with = 0;
    for (int i = 0; i < 600; i++) {
        make_product(&p, i);
        CHECK_OK(zt_store_upsert(s, &p));
        if (i % 3 == 2) continue;
        float v[4] = {(float)i, (float)(i % 4), 0.0f, -1.0f};
        CHECK_OK(zt_store_feature_put(s, p.id, "emb", i % 4, v, sizeof v));
        with++;
    }
    CHECK_OK(zt_store_commit(s));

    uint8_t *data = NULL;
    size_t len = 0;
    int ver = -1;
    CHECK_OK(zt_store_feature_get(s, "p0004", "emb", &ver, &data, &len));
    CHECK_EQ_INT(ver, 0);
    CHECK_EQ_INT(len, 16);
    float v[4] = {0};
    if (len == 16) memcpy(v, data, 16);
    CHECK(v[0] == 4.0f && v[3] == -1.0f);
    free(data);

    /* replace: new version and bytes (with NULs and high bytes) */
    static const uint8_t blob[] = {0, 1, 0, 255, 0x80, 0, 7};
    CHECK_OK(zt_store_feature_put(s, "p0004", "emb", 3, blob, sizeof blob));
    CHECK_OK(zt_store_feature_get(s, "p0004", "emb", &ver, &data, &len));
    CHECK_EQ_INT(ver, 3);
    CHECK(len == sizeof blob && !memcmp(data, blob, sizeof blob));
    free(data);
    /* empty blob and a second name on the same product */
    CHECK_OK(zt_store_feature_put(s, "p0004", "hist.rgb", 1, NULL, 0));
    CHECK_OK(zt_store_feature_get(s, "p0004", "hist.rgb", NULL, &data, &len));
    CHECK(data != NULL && len == 0);
    free(data);
    float back[4] = {4, 0, 0, -1};
    CHECK_OK(zt_store_feature_put(s, "p0004", "emb", 0, back, sizeof back));

    /* missing feature, missing product, bad name */
    CHECK_RC(zt_store_feature_get(s, "p0002", "emb", &ver, &data, &len), ZT_ENOTFOUND);
    CHECK(data == NULL);
    CHECK_RC(zt_store_feature_put(s, "ghost", "emb", 1, v, 16), ZT_ENOTFOUND);
    CHECK_MSG(strstr(zt_errmsg(), "ghost") != NULL, "msg: %s", zt_errmsg());
    CHECK_RC(zt_store_feature_put(s, "p0004", "bad name!", 1, v, 16), ZT_EINVAL);
    CHECK_RC(zt_store_feature_delete(s, "p0002", "emb"), ZT_ENOTFOUND);

    /* an ENOTFOUND inside a transaction does not spoil it (PG aborts a
     * transaction on any SQL error, so the store must not cause one) */
    CHECK_OK(zt_store_begin(s));
    CHECK_RC(zt_store_feature_put(s, "ghost", "emb", 1, v, 16), ZT_ENOTFOUND);
    make_product(&p, 900);
    CHECK_OK(zt_store_upsert(s, &p));
    CHECK_OK(zt_store_commit(s));
    CHECK_EQ_INT(count_all(s), 601);

    /* walk: every product with "emb", once, in id order, across pages */
    struct walk w = {.ordered = 1, .data_ok = 1};
    CHECK_OK(zt_store_feature_each(s, "emb", walk_fn, &w));
    CHECK_EQ_INT(w.n, with);
    CHECK(w.ordered);
    CHECK(w.data_ok);
    CHECK(!strcmp(w.last, "p0598"));
    /* a callback's non-zero return stops the walk and comes back */
    w = (struct walk){.ordered = 1, .data_ok = 1, .stop_at = 300};
    CHECK_RC(zt_store_feature_each(s, "emb", walk_fn, &w), ZT_EINTR);
    CHECK_EQ_INT(w.n, 300);
    w = (struct walk){.ordered = 1, .data_ok = 1};
    CHECK_OK(zt_store_feature_each(s, "nothing", walk_fn, &w));
    CHECK_EQ_INT(w.n, 0);

    /* deleting a product deletes its features (ON DELETE CASCADE) */
    CHECK_OK(zt_store_delete(s, "p0004"));
    CHECK_RC(zt_store_feature_get(s, "p0004", "emb", &ver, &data, &len), ZT_ENOTFOUND);
    CHECK_RC(zt_store_feature_get(s, "p0004", "hist.rgb", &ver, &data, &len), ZT_ENOTFOUND);
    w = (struct walk){.ordered = 1, .data_ok = 1};
    CHECK_OK(zt_store_feature_each(s, "emb", walk_fn, &w));
    CHECK_EQ_INT(w.n, with - 1);
    /* re-creating the product does not resurrect them */
    make_product(&p, 4);
    CHECK_OK(zt_store_upsert(s, &p));
    CHECK_RC(zt_store_feature_get(s, "p0004", "emb", &ver, &data, &len), ZT_ENOTFOUND);
    CHECK_OK(zt_store_feature_delete(s, "p0006", "emb"));
    CHECK_RC(zt_store_feature_get(s, "p0006", "emb", &ver, &data, &len), ZT_ENOTFOUND);
    zt_store_close(s);
}

STORE_TEST(transactions)
{
    struct zt_store *s = open_ready(url);
    struct zt_store *r = open_ready(url); /* a second connection, reading */
    if (!s || !r) goto out;
    struct zt_product p;
    CHECK_RC(zt_store_commit(s), ZT_EINVAL);
    CHECK_RC(zt_store_rollback(s), ZT_EINVAL);
    CHECK_OK(zt_store_begin(s));
    CHECK_RC(zt_store_begin(s), ZT_EINVAL);
    CHECK_RC(zt_store_migrate(s), ZT_EINVAL);
    for (int i = 0; i < 3; i++) {
        make_product(&p, i);
        CHECK_OK(zt_store_upsert(s, &p));
    }
    CHECK_EQ_INT(count_all(s), 3);
    CHECK_EQ_INT(count_all(r), 0); /* not visible before commit */
    CHECK_OK(zt_store_rollback(s));
    CHECK_EQ_INT(count_all(s), 0);

    CHECK_OK(zt_store_begin(s));
    make_product(&p, 10);
    CHECK_OK(zt_store_upsert(s, &p));
    CHECK_OK(zt_store_feature_put(s, p.id, "emb", 1, "abcd", 4));
    CHECK_OK(zt_store_commit(s));
    CHECK_EQ_INT(count_all(r), 1);

    /* rollback undoes a delete, cascade included */
    CHECK_OK(zt_store_begin(s));
    CHECK_OK(zt_store_delete(s, "p0010"));
    CHECK_EQ_INT(count_all(s), 0);
    CHECK_OK(zt_store_rollback(s));
    uint8_t *d = NULL;
    size_t n = 0;
    CHECK_OK(zt_store_feature_get(s, "p0010", "emb", NULL, &d, &n));
    CHECK(n == 4 && !memcmp(d, "abcd", 4));
    free(d);

    /* closing with an open transaction rolls it back */
    CHECK_OK(zt_store_begin(s));
    make_product(&p, 11);
    CHECK_OK(zt_store_upsert(s, &p));
    zt_store_close(s);
    s = NULL;
    CHECK_EQ_INT(count_all(r), 1);
out:
    zt_store_close(s);
    zt_store_close(r);
}

STORE_TEST(reopen_persists)
{
    struct zt_store *s = open_ready(url);
    if (!s) return;
    struct zt_product p[5], got;
    for (int i = 0; i < 5; i++) {
        make_product(&p[i], 40 + i);
        if (i == 2) {
            snprintf(p[i].thumb_path, sizeof p[i].thumb_path, "thumbs/x.jpg");
            snprintf(p[i].cls, sizeof p[i].cls, "%s", "");
            p[i].price = 0;
        }
        CHECK_OK(zt_store_upsert(s, &p[i]));
    }
    CHECK_OK(zt_store_feature_put(s, p[1].id, "emb", 5, "xyz", 3));
    zt_store_close(s);
    s = open_ready(url);
    if (!s) return;
    for (int i = 0; i < 5; i++) {
        CHECK_OK(zt_store_get(s, p[i].id, &got));
        CHECK_MSG(product_eq(&p[i], &got), "product %s differs after reopen", p[i].id);
    }
    uint8_t *d = NULL;
    size_t n = 0;
    int ver = 0;
    CHECK_OK(zt_store_feature_get(s, p[1].id, "emb", &ver, &d, &n));
    CHECK(ver == 5 && n == 3 && !memcmp(d, "xyz", 3));
    free(d);
    zt_store_close(s);
}

/* Ingests products 0..n-1 in batches of 20 (upsert + feature per product),
 * one transaction per batch. With kill_after >= 0 the process SIGKILLs
 * itself after that many upserts, in the middle of a batch. */
static int ingest(const char *url, int n, int kill_after)
{
    struct zt_store *s = NULL;
    int rc = zt_store_open(url, &s);
    if (!rc) rc = zt_store_migrate(s);
    for (int i = 0; i < n && !rc; i++) {
        struct zt_product p;
        make_product(&p, i);
        if (i % 20 == 0) rc = zt_store_begin(s);
        if (!rc) rc = zt_store_upsert(s, &p);
        if (!rc) rc = zt_store_feature_put(s, p.id, "emb", 1, &i, sizeof i);
        if (i == kill_after) raise(SIGKILL);
        if (!rc && (i % 20 == 19 || i == n - 1)) rc = zt_store_commit(s);
    }
    zt_store_close(s);
    return rc;
}

STORE_TEST(kill9_mid_ingest)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        ingest(url, 100, 50); /* dies in batch 3 after 11 of its 20 upserts */
        _exit(3);             /* not reached */
    }
    int st = 0;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "child status %d", st);
    struct zt_store *s = open_ready(url);
    if (!s) return;
    /* only the two committed batches, each product with its feature */
    CHECK_EQ_INT(count_all(s), 40);
    struct zt_product p;
    CHECK_OK(zt_store_get(s, "p0039", &p));
    CHECK_RC(zt_store_get(s, "p0040", &p), ZT_ENOTFOUND);
    int nfeat = 0;
    for (int i = 0; i < 40; i++) {
        char id[16];
        uint8_t *d = NULL;
        size_t n = 0;
        snprintf(id, sizeof id, "p%04d", i);
        if (!zt_store_feature_get(s, id, "emb", NULL, &d, &n) && n == sizeof(int)) nfeat++;
        free(d);
    }
    CHECK_EQ_INT(nfeat, 40);
    zt_store_close(s);
    /* a re-run finishes the job; upserts make the redone batch harmless */
    CHECK_OK(ingest(url, 100, -1));
    s = open_ready(url);
    if (!s) return;
    CHECK_EQ_INT(count_all(s), 100);
    CHECK_OK(zt_store_get(s, "p0099", &p));
    zt_store_close(s);
}

/* Every committed write moves the catalogue version, as another handle (a
 * server in another process) sees it; a rolled-back one does not. */
STORE_TEST(catalog_version)
{
    (void)b;
    struct zt_store *w = open_ready(url), *r = open_ready(url);
    if (!w || !r) goto out;
    int64_t v0 = -1, v1 = -1, v2 = -1, v3 = -1, v4 = -1;
    CHECK_OK(zt_store_catalog_version(r, &v0));
    CHECK(v0 >= 0);
    struct zt_product p;
    make_product(&p, 1);
    CHECK_OK(zt_store_upsert(w, &p));
    CHECK_OK(zt_store_catalog_version(r, &v1));
    CHECK(v1 > v0);
    CHECK_OK(zt_store_begin(w));
    p.price = 99900;
    CHECK_OK(zt_store_upsert(w, &p));
    CHECK_OK(zt_store_rollback(w));
    CHECK_OK(zt_store_catalog_version(r, &v2));
    CHECK_EQ_INT(v2, v1);
    CHECK_OK(zt_store_begin(w));
    CHECK_OK(zt_store_upsert(w, &p));
    CHECK_OK(zt_store_feature_put(w, p.id, "f", 1, "abcd", 4));
    CHECK_OK(zt_store_catalog_version(r, &v3));
    CHECK_EQ_INT(v3, v1); /* not before the commit */
    CHECK_OK(zt_store_commit(w));
    CHECK_OK(zt_store_catalog_version(r, &v3));
    CHECK(v3 > v1);
    CHECK_OK(zt_store_delete(w, p.id));
    CHECK_OK(zt_store_catalog_version(r, &v4));
    CHECK(v4 > v3);
out:
    zt_store_close(w);
    zt_store_close(r);
}

/* Media: bytes in, the same bytes out (NULs, high bytes), replaced by a
 * second put, refused for an unknown product or kind or a bad size, not a
 * catalogue change, and gone with the product. */
STORE_TEST(media)
{
    (void)b;
    struct zt_store *s = open_ready(url);
    if (!s) return;
    struct zt_product p;
    make_product(&p, 1);
    CHECK_OK(zt_store_upsert(s, &p));
    static const uint8_t thumb[] = {0xff, 0xd8, 0xff, 0, 1, 0x80, 0};
    static const uint8_t edges[] = {0x89, 'P', 'N', 'G', 0};
    uint8_t *big = calloc(1, ZT_MEDIA_MAX + 1);
    int64_t v0 = -1, v1 = -1;
    CHECK_OK(zt_store_catalog_version(s, &v0));
    CHECK_OK(zt_store_media_put(s, p.id, ZT_MEDIA_THUMB, thumb, sizeof thumb));
    CHECK_OK(zt_store_media_put(s, p.id, ZT_MEDIA_EDGES, "old", 3));
    CHECK_OK(zt_store_media_put(s, p.id, ZT_MEDIA_EDGES, edges, sizeof edges));
    CHECK_OK(zt_store_media_put(s, p.id, ZT_MEDIA_ORIGINAL, big, ZT_MEDIA_MAX));
    CHECK_OK(zt_store_catalog_version(s, &v1));
    CHECK_EQ_INT(v1, v0); /* nothing a search reads changed */
    uint8_t *d = NULL;
    size_t n = 0;
    CHECK_OK(zt_store_media_get(s, p.id, ZT_MEDIA_THUMB, &d, &n));
    CHECK(n == sizeof thumb && d && !memcmp(d, thumb, n));
    free(d);
    CHECK_OK(zt_store_media_get(s, p.id, ZT_MEDIA_EDGES, &d, &n));
    CHECK(n == sizeof edges && d && !memcmp(d, edges, n));
    free(d);
    CHECK_OK(zt_store_media_get(s, p.id, ZT_MEDIA_ORIGINAL, &d, &n));
    CHECK(n == ZT_MEDIA_MAX && d && !memcmp(d, big, n));
    free(d);
    /* refusals */
    CHECK_RC(zt_store_media_put(s, p.id, ZT_MEDIA_ORIGINAL, big, ZT_MEDIA_MAX + 1), ZT_EINVAL);
    CHECK_RC(zt_store_media_put(s, p.id, ZT_MEDIA_THUMB, thumb, 0), ZT_EINVAL);
    CHECK_RC(zt_store_media_put(s, p.id, ZT_MEDIA_KINDS, thumb, 1), ZT_EINVAL);
    CHECK_RC(zt_store_media_put(s, "ghost", ZT_MEDIA_THUMB, thumb, 1), ZT_ENOTFOUND);
    CHECK_MSG(strstr(zt_errmsg(), "ghost") != NULL, "msg: %s", zt_errmsg());
    make_product(&p, 2);
    CHECK_OK(zt_store_upsert(s, &p));
    CHECK_RC(zt_store_media_get(s, p.id, ZT_MEDIA_THUMB, &d, &n), ZT_ENOTFOUND);
    CHECK(d == NULL);
    CHECK_MSG(strstr(zt_errmsg(), "thumb") != NULL, "msg: %s", zt_errmsg());
    /* inside a transaction with the product, and rolled back with it */
    make_product(&p, 3);
    CHECK_OK(zt_store_begin(s));
    CHECK_OK(zt_store_upsert(s, &p));
    CHECK_OK(zt_store_media_put(s, p.id, ZT_MEDIA_THUMB, thumb, sizeof thumb));
    CHECK_OK(zt_store_rollback(s));
    CHECK_RC(zt_store_media_get(s, p.id, ZT_MEDIA_THUMB, &d, &n), ZT_ENOTFOUND);
    /* an upsert of the product keeps them; a delete takes them along */
    make_product(&p, 1);
    p.price = 5;
    CHECK_OK(zt_store_upsert(s, &p));
    CHECK_OK(zt_store_media_get(s, p.id, ZT_MEDIA_THUMB, &d, &n));
    free(d);
    CHECK_OK(zt_store_delete(s, p.id));
    for (int k = 0; k < ZT_MEDIA_KINDS; k++)
        CHECK_RC(zt_store_media_get(s, p.id, k, &d, &n), ZT_ENOTFOUND);
    CHECK_OK(zt_store_upsert(s, &p));
    CHECK_RC(zt_store_media_get(s, p.id, ZT_MEDIA_THUMB, &d, &n), ZT_ENOTFOUND);
    free(big);
    zt_store_close(s);
}

struct changes {
    int n;
    int64_t last_version;
    int ordered;
    char ids[16][16];
    int ops[16];
};

static int change_fn(void *ctx, int64_t version, const char *id, int op)
{
    struct changes *c = ctx;
    if (version < c->last_version) c->ordered = 0;
    c->last_version = version;
    if (c->n < 16) {
        snprintf(c->ids[c->n], sizeof c->ids[0], "%s", id);
        c->ops[c->n] = op;
    }
    c->n++;
    return ZT_OK;
}

/* 1 when the log has (id, op) */
static int has_change(const struct changes *c, const char *id, int op)
{
    for (int i = 0; i < c->n && i < 16; i++)
        if (!strcmp(c->ids[i], id) && c->ops[i] == op) return 1;
    return 0;
}

/* The change log: every committed write to a product or its features, with
 * the version it made, in version order; nothing from a rollback or from
 * media; a limit; pruning makes an older reader rebuild. */
STORE_TEST(change_log)
{
    (void)b;
    struct zt_store *w = open_ready(url), *r = open_ready(url);
    if (!w || !r) goto out;
    int64_t v0 = -1, v1 = -1;
    CHECK_OK(zt_store_catalog_version(r, &v0));
    struct zt_product p;
    make_product(&p, 1);
    CHECK_OK(zt_store_upsert(w, &p)); /* add */
    make_product(&p, 2);
    CHECK_OK(zt_store_begin(w));
    CHECK_OK(zt_store_upsert(w, &p)); /* add */
    CHECK_OK(zt_store_feature_put(w, p.id, "f", 1, "abcd", 4)); /* update */
    CHECK_OK(zt_store_commit(w));
    CHECK_OK(zt_store_begin(w));
    make_product(&p, 3);
    CHECK_OK(zt_store_upsert(w, &p));
    CHECK_OK(zt_store_rollback(w)); /* not logged */
    CHECK_OK(zt_store_media_put(w, "p0001", ZT_MEDIA_THUMB, "x", 1)); /* not logged */
    make_product(&p, 1);
    p.price = 1;
    CHECK_OK(zt_store_upsert(w, &p)); /* update */
    CHECK_OK(zt_store_delete(w, "p0002")); /* delete (and its feature: update) */
    CHECK_OK(zt_store_catalog_version(r, &v1));
    struct changes c = {.ordered = 1};
    CHECK_OK(zt_store_changes(r, v0, 100, change_fn, &c));
    CHECK(c.ordered);
    CHECK_MSG(c.n == 6, "%d changes", c.n);
    CHECK(c.last_version == v1); /* the last change made the current version */
    CHECK(has_change(&c, "p0001", ZT_CHANGE_ADD) && has_change(&c, "p0002", ZT_CHANGE_ADD));
    CHECK(has_change(&c, "p0002", ZT_CHANGE_UPDATE) && has_change(&c, "p0001", ZT_CHANGE_UPDATE));
    CHECK(has_change(&c, "p0002", ZT_CHANGE_DELETE) && !has_change(&c, "p0003", ZT_CHANGE_ADD));
    /* since the current version: nothing */
    c = (struct changes){.ordered = 1};
    CHECK_OK(zt_store_changes(r, v1, 100, change_fn, &c));
    CHECK_EQ_INT(c.n, 0);
    /* more than the limit: ZT_ETOOBIG after exactly `limit` calls */
    c = (struct changes){.ordered = 1};
    CHECK_RC(zt_store_changes(r, v0, 4, change_fn, &c), ZT_ETOOBIG);
    CHECK_EQ_INT(c.n, 4);
    /* pruned: a reader from before the cut is told to rebuild */
    CHECK_OK(zt_store_changes_prune(w, v1 - 1));
    c = (struct changes){.ordered = 1};
    CHECK_RC(zt_store_changes(r, v0, 100, change_fn, &c), ZT_ENOTFOUND);
    CHECK_EQ_INT(c.n, 0);
    CHECK_OK(zt_store_changes(r, v1 - 1, 100, change_fn, &c));
    CHECK_EQ_INT(c.n, 1);
out:
    zt_store_close(w);
    zt_store_close(r);
}

/* A catalogue written at schema 2 (before media and the change log): its
 * rows survive the migration and the new tables work on them. */
STORE_TEST(migrate_from_schema2)
{
    (void)b;
    struct zt_store *s = NULL;
    CHECK_OK(zt_store_open(url, &s));
    if (!s) return;
    CHECK_OK(zt_store_migrate_to(s, 2));
    CHECK_RC(zt_store_migrate_to(s, ZT_STORE_SCHEMA_VERSION + 1), ZT_EINVAL);
    zt_store_close(s);
    /* what a schema-2 build wrote */
    CHECK_OK(b->raw(url, "INSERT INTO products VALUES"
                         " ('old1', 'Old', 'top', 't-shirt', 1990, 'USD', '/p/old1',"
                         " '/img/old1.jpg', 'thumbs/old1.jpg', 'edges/old1.png', 1);"
                         "INSERT INTO features VALUES ('old1', 'emb', 1, 'ab', 1)"));
    s = NULL;
    CHECK_OK(zt_store_open(url, &s));
    if (!s) return;
    int v = -1;
    CHECK_OK(zt_store_schema_version(s, &v));
    CHECK_EQ_INT(v, 2);
    int64_t cv0 = -1, cv1 = -1;
    struct zt_product p;
    CHECK_RC(zt_store_get(s, "old1", &p), ZT_EDB); /* run migrate first */
    CHECK_OK(zt_store_migrate(s));
    CHECK_OK(zt_store_schema_version(s, &v));
    CHECK_EQ_INT(v, ZT_STORE_SCHEMA_VERSION);
    CHECK_OK(zt_store_get(s, "old1", &p));
    CHECK(!strcmp(p.title, "Old") && p.price == 1990 && !strcmp(p.thumb_path, "thumbs/old1.jpg"));
    uint8_t *d = NULL;
    size_t n = 0;
    CHECK_OK(zt_store_feature_get(s, "old1", "emb", NULL, &d, &n));
    CHECK(n == 2 && d && d[1] == 'b');
    free(d);
    CHECK_RC(zt_store_media_get(s, "old1", ZT_MEDIA_THUMB, &d, &n), ZT_ENOTFOUND);
    CHECK_OK(zt_store_catalog_version(s, &cv0));
    CHECK_OK(zt_store_media_put(s, "old1", ZT_MEDIA_THUMB, "jpeg", 4));
    CHECK_OK(zt_store_media_get(s, "old1", ZT_MEDIA_THUMB, &d, &n));
    CHECK(n == 4 && d && !memcmp(d, "jpeg", 4));
    free(d);
    CHECK_OK(zt_store_delete(s, "old1"));
    CHECK_RC(zt_store_media_get(s, "old1", ZT_MEDIA_THUMB, &d, &n), ZT_ENOTFOUND);
    CHECK_OK(zt_store_catalog_version(s, &cv1));
    CHECK(cv1 > cv0);
    /* the change log starts at the migration: an older reader rebuilds */
    struct changes c = {.ordered = 1};
    CHECK_RC(zt_store_changes(s, 0, 100, change_fn, &c), ZT_ENOTFOUND);
    CHECK_OK(zt_store_changes(s, cv0, 100, change_fn, &c));
    CHECK(has_change(&c, "old1", ZT_CHANGE_DELETE));
    zt_store_close(s);
}

/* --- not per backend --- */

TEST(store, open_errors)
{
    struct zt_store *s = NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/no/such/dir/x.db", zt_test_tmpdir());
    CHECK_RC(zt_store_open(path, &s), ZT_EDB);
    CHECK(s == NULL);
    CHECK_MSG(strstr(zt_errmsg(), path) != NULL, "msg: %s", zt_errmsg());
    CHECK_RC(zt_store_open("", &s), ZT_EINVAL);
    /* a file that is not a database */
    snprintf(path, sizeof path, "%s/not_a_db.db", zt_test_tmpdir());
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        for (int i = 0; i < 512; i++) fputs("garbage!", f);
        fclose(f);
    }
    CHECK_RC(zt_store_open(path, &s), ZT_EDB);
    CHECK(s == NULL);
    CHECK_MSG(strstr(zt_errmsg(), "not a database") != NULL, "msg: %s", zt_errmsg());
    /* nothing listens on this socket folder */
    snprintf(path, sizeof path, "postgresql:///x?host=%s/nopg&connect_timeout=2",
             zt_test_tmpdir());
    CHECK_RC(zt_store_open(path, &s), ZT_EDB);
    CHECK(s == NULL);
    CHECK_MSG(strstr(zt_errmsg(), "connect") != NULL, "msg: %s", zt_errmsg());
    zt_store_close(NULL);
}
