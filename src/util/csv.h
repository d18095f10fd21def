/* csv.h: streaming RFC 4180 CSV reader (quoted fields, "" escapes, CRLF or
 * LF, newlines inside quotes) with line numbers for error messages and a
 * bound on record size so a hostile file cannot exhaust memory. */
#ifndef ZT_CSV_H
#define ZT_CSV_H

#include <stdio.h>

struct zt_csv;

/* Reads from f (borrowed; caller closes). name is used in messages. */
struct zt_csv *zt_csv_new(FILE *f, const char *name, size_t max_record_bytes);
void zt_csv_free(struct zt_csv *c); /* NULL-safe */
/* Reads the next record. Returns 1 with nfields and fields set (borrowed,
 * valid until the next call), 0 at end of file, or a negative ZT_E* code
 * with a message "name:line: why". Blank lines are skipped. ZT_EINVAL (a
 * NUL byte in the record) skips that record only; the next call goes on. */
int zt_csv_next(struct zt_csv *c, int *nfields, char ***fields);
/* Line number where the last returned record started (1-based). */
long zt_csv_line(const struct zt_csv *c);
/* Index of a header column by name (case-sensitive), or -1. */
int zt_csv_find(int nfields, char **fields, const char *name);

#endif
