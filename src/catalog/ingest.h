/* ingest.h: the ingest pipeline behind `ztyle ingest`: a product feed (CSV
 * or JSON Lines, ingest_parse.h) or a folder tree <class>/<image> goes into
 * the store in batches (one transaction each: upsert + features), with the
 * image work (decode, letterbox, edges, mask, descriptors, thumbnail) done
 * in parallel; then the search index is rebuilt beside the store.
 *
 * Idempotent: products are upserted by id, and a product whose image path
 * is unchanged and whose features are current (ZT_FEAT_VERSION) is not
 * recomputed. Crash-safe: a kill loses at most the open batch; the index
 * files are removed before the first write and rewritten at the end, so a
 * re-run finishes the job and a search in between rebuilds the index. */
#ifndef ZT_INGEST_H
#define ZT_INGEST_H

#include <stdint.h>
#include <stdio.h>

/* Catalogue versions of change log an ingest leaves (older rows pruned;
 * about three versions per product written). */
#define ZT_INGEST_LOG_KEEP (INT64_C(1) << 20)

struct zt_ingest_opts {
    const char *catalog; /* store URL (path or postgres://) */
    int threads;         /* image workers; <= 0: zt_threads_default() */
    int batch;           /* products per transaction; 0 = 64 */
    int force;           /* recompute features even when current */
    FILE *progress;      /* progress bar stream; NULL = none */
    /* Search embedding model (nn/embed.h) computed for every product:
     * NULL = zt_embed_model_resolve's default, "" = none. */
    const char *embed_model;
    /* Currency of a folder tree's products (ISO 4217, e.g. "KRW"; their
     * made-up prices follow it, zt_demo_price_in); NULL = ZT_DEFAULT_CURRENCY.
     * A feed's rows carry their own. */
    const char *currency;
    /* Optional hooks (ctx is passed back): a rejected row or image, with
     * its message ("feed.csv:12: price: 'x' is not a number"); and every
     * product written inside the open transaction (n = products written so
     * far in this run), e.g. to report or, in tests, to crash on purpose. */
    void (*on_reject)(void *ctx, const char *msg);
    void (*on_written)(void *ctx, int64_t n);
    void *ctx;
};

struct zt_ingest_stats {
    int64_t rows;      /* products read from the source */
    int64_t rejected;  /* rows or images refused (reported through on_reject) */
    int64_t computed;  /* products whose features were computed */
    int64_t unchanged; /* products whose features were already current */
    int64_t written;   /* products upserted */
    int64_t indexed;   /* items in the rebuilt index */
    double seconds;
};

/* Ingests source: a directory (folder tree: id = file name without
 * extension, class = folder, category from the class, title from the
 * dominant colour and class ("Navy pants"), a stable made-up price from a
 * hash of the id in o->currency, url "/product/<id>") or a feed file (.csv,
 * .jsonl, .ndjson; image paths relative to the feed's folder). Image paths are
 * stored absolute. Returns ZT_OK when the source was read to its end (even
 * with rejected rows: see stats), or the first fatal error (bad header,
 * store failure, unreadable source). st may be NULL. */
int zt_catalog_ingest(const char *source, const struct zt_ingest_opts *o,
                      struct zt_ingest_stats *st);

/* The made-up demo price of an id: 9.90 .. 199.90 in steps of 1.00. */
int64_t zt_demo_price(const char *id);
/* The same in a currency: KRW and JPY (no decimals) in whole thousands,
 * 9,000 .. 199,000; any other currency as zt_demo_price. Minor units. */
int64_t zt_demo_price_in(const char *id, const char *currency);

#endif
