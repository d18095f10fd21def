/* ingest_parse.h: streaming parsers for product feeds (CSV with a header
 * row, or JSON Lines) that yield validated products one at a time. No
 * database access and no image work here; `ztyle ingest` drives them.
 *
 * Schema (CSV header names / JSON keys, case-insensitive in CSV):
 *   required: id, title, category, price, url, image
 *   optional: class, currency (default USD)
 * Unknown columns/keys are ignored (feeds carry extra data we do not use).
 * Values are trimmed of surrounding spaces and tabs. Prices are decimal
 * text ("19.90"; JSON numbers too), non-negative, at most 2 decimals, and
 * become integer minor units. url must be http(s):// or relative. The
 * image path is stored as written (ingest resolves it against the feed's
 * folder). Errors read "<name>:<line>: <field>: <why>", e.g.
 * "products.csv:17: price: 'abc' is not a number". */
#ifndef ZT_INGEST_PARSE_H
#define ZT_INGEST_PARSE_H

#include "product.h"

#include <stdio.h>

enum zt_ingest_format {
    ZT_INGEST_AUTO,  /* by extension: .jsonl/.ndjson -> JSONL, else CSV */
    ZT_INGEST_CSV,   /* RFC 4180, header row required */
    ZT_INGEST_JSONL, /* one JSON object per line */
};

/* Longest record (CSV, quoted newlines included) or line (JSONL). */
#define ZT_INGEST_LINE_MAX (1 << 20)

/* Returned by zt_ingest_next when the feed is exhausted. */
#define ZT_INGEST_END 1

struct zt_ingest;

/* Opens a feed file. name in messages is the path as given. On success
 * *out is the caller's, to close with zt_ingest_close(). ZT_ENOTFOUND /
 * ZT_EIO if the file cannot be opened. The CSV header is read by the first
 * zt_ingest_next, so header errors come from there. */
int zt_ingest_open(const char *path, enum zt_ingest_format fmt, struct zt_ingest **out);
/* Same over an open stream: f is borrowed (caller closes it after
 * zt_ingest_close); name (copied) is used in messages and for AUTO. */
int zt_ingest_open_file(FILE *f, const char *name, enum zt_ingest_format fmt,
                        struct zt_ingest **out);
/* Closes the parser (and the file if zt_ingest_open opened it). NULL-safe. */
void zt_ingest_close(struct zt_ingest *in);

/* Reads the next product into *out. Returns:
 *   ZT_OK          *out is a valid product (zt_product_validate passes);
 *   ZT_INGEST_END  no more rows;
 *   ZT_EINVAL      this row is invalid (bad value, missing value, wrong
 *                  field count, bad JSON); the next call goes on with the
 *                  next row, so a caller can report and skip bad rows;
 *   ZT_EFORMAT, ZT_ETOOBIG, ZT_EIO, ZT_ENOMEM
 *                  the stream itself is broken (bad header, unterminated
 *                  quote, record over ZT_INGEST_LINE_MAX, read error):
 *                  parsing stops and later calls return the same code.
 * *out is undefined unless ZT_OK. zt_errmsg() names file, line and field. */
int zt_ingest_next(struct zt_ingest *in, struct zt_product *out);

/* Line where the last row returned (or rejected) starts, 1-based. */
long zt_ingest_line(const struct zt_ingest *in);
/* Format actually used (AUTO resolved). */
enum zt_ingest_format zt_ingest_format(const struct zt_ingest *in);

#endif
