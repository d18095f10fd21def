/* cli.h: what every `ztyle` subcommand shares: the command table entry,
 * error printing in the "ztyle <cmd>: <what>: <why>" form, and option
 * parsing helpers. Exit codes: 0 ok, 1 runtime failure, 2 usage error. */
#ifndef ZT_CLI_H
#define ZT_CLI_H

#include <stdio.h>

enum { ZT_EXIT_OK = 0, ZT_EXIT_FAIL = 1, ZT_EXIT_USAGE = 2 };

struct zt_cmd {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
    const char *summary;               /* one line for `ztyle --help` */
};

/* Prints "ztyle <cmd>: <msg>" to stderr; returns ZT_EXIT_FAIL. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "ztyle <cmd>: <msg>" plus a hint to run --help; returns ZT_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses a whole-string integer in [lo, hi]; 0 on success. */
int cli_parse_int(const char *s, long lo, long hi, long *out);
int cli_parse_double(const char *s, double lo, double hi, double *out);
/* --threads value or $ZTYLE_THREADS or core count. */
int cli_threads(const char *opt);
/* --threads N: N must be in 1..1024; keeps arg in *threads for cli_threads.
 * ZT_EXIT_OK, or ZT_EXIT_USAGE after printing the usage error. */
int cli_opt_threads(const char *cmd, const char *arg, const char **threads);
/* --device cpu|cuda into *backend (enum zt_backend_kind). cuda on a build
 * without the CUDA backend is a usage error saying so. ZT_EXIT_OK, or
 * ZT_EXIT_USAGE after printing the error. */
int cli_opt_device(const char *cmd, const char *arg, int *backend);

/* 1 when catalog is a SQLite path that does not exist (cmd_catalog.c), so
 * read-only commands do not create an empty catalogue by accident. */
int cli_catalog_missing(const char *catalog);
/* Prints j as one compact line and decrefs it (NULL-safe: out of memory
 * prints nothing). ZT_EXIT_OK, or ZT_EXIT_FAIL when nothing was printed. */
struct json_t;
int cli_print_json(struct json_t *j);
/* A struct zt_warn sink: prints "ztyle <cmd>: msg" on stderr; ctx is the
 * command name. */
void cli_warn(void *cmd, const char *msg);

/* Subcommands (src/cli/cmd_*.c), one declaration each. */
int cmd_catalog(int argc, char **argv);
int cmd_edges(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_eval_search(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_pairs(int argc, char **argv);
int cmd_train_embed(int argc, char **argv);
int cmd_sheet(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_ssim(int argc, char **argv);
int cmd_train(int argc, char **argv);

#endif
