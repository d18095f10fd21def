/* progress.h: progress reporting for long work. On a terminal a one-line
 * bar with count, rate and ETA redrawn in place; otherwise plain lines at
 * most every few seconds. Thread-safe: workers call zt_progress_add. */
#ifndef ZT_PROGRESS_H
#define ZT_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

struct zt_progress;

/* label: borrowed, copied. total: expected units (0 = unknown).
 * out: stream to draw on (the caller's; NULL = draw nothing); quiet: draw
 * nothing. */
struct zt_progress *zt_progress_new(const char *label, int64_t total, FILE *out, int quiet);
/* Adds n finished units and redraws if due. */
void zt_progress_add(struct zt_progress *p, int64_t n);
/* Sets a free-form suffix shown after the rate (e.g. losses). Copied. */
void zt_progress_set_note(struct zt_progress *p, const char *note);
/* Final line with totals and elapsed time, then frees. NULL-safe. */
void zt_progress_free(struct zt_progress *p);
/* Monotonic seconds. */
double zt_now(void);

#endif
