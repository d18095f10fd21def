/* cli.c: shared helpers of the subcommands: error printing and parsing. */
#include "cli.h"
#include "../core/engine.h"
#include "../util/parallel.h"

#include <jansson.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ztyle %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return ZT_EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ztyle %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'ztyle %s --help'.\n", cmd);
    va_end(ap);
    return ZT_EXIT_USAGE;
}

int cli_parse_int(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int cli_parse_double(const char *s, double lo, double hi, double *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int cli_threads(const char *opt)
{
    long v;
    if (opt && cli_parse_int(opt, 1, 1024, &v) == 0) return (int)v;
    return zt_threads_default();
}

int cli_print_json(struct json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (s) printf("%s\n", s);
    free(s);
    json_decref(j);
    return s ? ZT_EXIT_OK : ZT_EXIT_FAIL;
}

void cli_warn(void *cmd, const char *msg)
{
    /* on a line of its own: a progress bar may hold the current one */
    fprintf(stderr, "\nztyle %s: %s\n", (const char *)cmd, msg);
}

int cli_opt_device(const char *cmd, const char *arg, int *backend)
{
    if (!strcmp(arg, "cpu")) {
        *backend = ZT_BACKEND_CPU;
        return ZT_EXIT_OK;
    }
    if (strcmp(arg, "cuda")) return cli_usage_error(cmd, "--device: '%s' is not cpu or cuda", arg);
    if (!zt_engine_cuda_built())
        return cli_usage_error(cmd, "--device cuda: this ztyle was built without CUDA (rebuild "
                                    "with `make CUDA=1` where nvcc and cuDNN are installed)");
    *backend = ZT_BACKEND_CUDA;
    return ZT_EXIT_OK;
}

int cli_opt_threads(const char *cmd, const char *arg, const char **threads)
{
    long v;
    if (cli_parse_int(arg, 1, 1024, &v))
        return cli_usage_error(cmd, "--threads: '%s' is not in 1..1024", arg);
    *threads = arg;
    return ZT_EXIT_OK;
}
