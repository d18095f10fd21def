/* err.c: the thread-local last-error message behind zt_seterr/zt_errmsg. */
#include "zt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char errbuf[1024];

void zt_seterr(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
}

void zt_adderr(const char *fmt, ...)
{
    char prefix[512], old[sizeof errbuf];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, errbuf, sizeof old);
    snprintf(errbuf, sizeof errbuf, "%s: %s", prefix, old);
}

const char *zt_errmsg(void) { return errbuf; }

void zt_clearerr(void) { errbuf[0] = 0; }

const char *zt_strerror(int code)
{
    switch (code) {
    case ZT_OK: return "ok";
    case ZT_EINVAL: return "invalid argument";
    case ZT_ENOMEM: return "out of memory";
    case ZT_EIO: return "i/o error";
    case ZT_ETOOBIG: return "too big";
    case ZT_ENOTFOUND: return "not found";
    case ZT_EFORMAT: return "bad format";
    case ZT_EINTR: return "interrupted";
    case ZT_EBUSY: return "busy";
    case ZT_EDB: return "database error";
    default: return "unknown error";
    }
}

void zt_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "ztyle: internal error: assertion '%s' failed at %s:%d\n",
            expr, file, line);
    abort();
}

void zt_warn_emit(const struct zt_warn *w, const char *fmt, ...)
{
    if (!w || !w->fn) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    w->fn(w->ctx, msg);
}
