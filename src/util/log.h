/* log.h: leveled logging to stderr. The log level is the one piece of
 * process-global mutable state besides the thread-local error text. */
#ifndef ZT_LOG_H
#define ZT_LOG_H

enum zt_log_level { ZT_LOG_ERROR, ZT_LOG_WARN, ZT_LOG_INFO, ZT_LOG_DEBUG };

void zt_log_set_level(enum zt_log_level lv);
enum zt_log_level zt_log_get_level(void);
void zt_log(enum zt_log_level lv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define zt_warn(...) zt_log(ZT_LOG_WARN, __VA_ARGS__)
#define zt_info(...) zt_log(ZT_LOG_INFO, __VA_ARGS__)
#define zt_debug(...) zt_log(ZT_LOG_DEBUG, __VA_ARGS__)

#endif
