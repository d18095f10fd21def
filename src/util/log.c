/* log.c: leveled logging to stderr, one line per call. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

static _Atomic int level = ZT_LOG_INFO;

void zt_log_set_level(enum zt_log_level lv) { atomic_store(&level, (int)lv); }
enum zt_log_level zt_log_get_level(void) { return (enum zt_log_level)atomic_load(&level); }

void zt_log(enum zt_log_level lv, const char *fmt, ...)
{
    if ((int)lv > atomic_load(&level)) return;
    static const char *names[] = {"error", "warning", "info", "debug"};
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "ztyle: %s: %s\n", names[lv], line);
}
