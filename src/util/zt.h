/* zt.h: error codes, the thread-local last-error message and assertions.
 * Included by every module. Library code returns a ZT_* code and sets a
 * message with zt_seterr(); only cli/ and http/ print it. */
#ifndef ZT_H
#define ZT_H

#include <stddef.h>
#include <stdint.h>

enum {
    ZT_OK = 0,
    ZT_EINVAL = -1,    /* bad argument or malformed input */
    ZT_ENOMEM = -2,    /* allocation failed */
    ZT_EIO = -3,       /* read/write/open failed */
    ZT_ETOOBIG = -4,   /* input exceeds a configured limit */
    ZT_ENOTFOUND = -5, /* missing file, key or row */
    ZT_EFORMAT = -6,   /* corrupt or unsupported file format */
    ZT_EINTR = -7,     /* interrupted (signal, cancel) */
    ZT_EBUSY = -8,     /* resource busy / queue full */
    ZT_EDB = -9,       /* database error */
};

/* Sets the calling thread's last-error message (printf format). Returns
 * nothing; the message stays until the next zt_seterr on this thread. */
void zt_seterr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prepends "prefix: " to the current message (adds context while unwinding). */
void zt_adderr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The calling thread's last-error message; "" when none. Borrowed. */
const char *zt_errmsg(void);
void zt_clearerr(void);
/* A sink for the problems library code skips over and goes on (a photo
 * that fails to decode in a batch of thousands): the library describes
 * them, the caller (cli/, http/) decides whether and where to print. */
struct zt_warn {
    void (*fn)(void *ctx, const char *msg); /* NULL: dropped */
    void *ctx;
};
/* Formats one message and hands it to w->fn (w may be NULL). Thread-safe
 * as far as w->fn is. */
void zt_warn_emit(const struct zt_warn *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Short name of a code: "invalid argument", "out of memory", ... */
const char *zt_strerror(int code);

/* Programmer errors only (shape mismatches while building a model).
 * User input must never reach an assertion. */
#define ZT_ASSERT(cond)                                                    \
    do {                                                                   \
        if (!(cond)) zt_assert_fail(#cond, __FILE__, __LINE__);           \
    } while (0)
_Noreturn void zt_assert_fail(const char *expr, const char *file, int line);

#define ZT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define ZT_MAX(a, b) ((a) > (b) ? (a) : (b))
#define ZT_CLAMP(x, lo, hi) ((x) < (lo) ? (lo) : (x) > (hi) ? (hi) : (x))
#define ZT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define ZT_VERSION "0.1.0"

#endif
