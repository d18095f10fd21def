/* main.c: test runner. `zt_test` runs every registered test; `zt_test img
 * edges` runs those suites; `zt_test img/ssim_golden` one test. Prints one
 * line per failure or skip and ends with "N passed, N failed, N skipped". */
#include "test.h"
#include "../src/util/buf.h"
#include "../src/util/fs.h"
#include "../src/util/zt.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct entry {
    const char *suite, *name;
    zt_test_fn fn;
};

static struct entry tests[1024];
static int ntests;
static int cur_failed, cur_skipped;
static const struct entry *cur;
static char tmpdir[4096], datadir[4096];

void zt_test_register(const char *suite, const char *name, zt_test_fn fn)
{
    if (ntests < (int)ZT_ARRAY_LEN(tests)) tests[ntests++] = (struct entry){suite, name, fn};
    else {
        fprintf(stderr, "too many tests\n");
        exit(2);
    }
}

void zt_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "  FAIL %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    cur_failed++;
}

void zt_test_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "  SKIPPED %s/%s: ", cur->suite, cur->name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    cur_skipped++;
}

const char *zt_test_tmpdir(void) { return tmpdir; }
const char *zt_test_datadir(void) { return datadir; }

const char *zt_test_dataset(void)
{
    static char path[4096];
    const char *env = getenv("ZTYLE_DATASET");
    if (env && *env) snprintf(path, sizeof path, "%s", env);
    else snprintf(path, sizeof path, "../shared/datasets/clothing-small");
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/train", path);
    return zt_file_exists(probe) ? path : NULL;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int c = strcmp(x->suite, y->suite);
    return c ? c : strcmp(x->name, y->name);
}

static int selected(const struct entry *e, int argc, char **argv)
{
    if (argc <= 1) return 1;
    for (int i = 1; i < argc; i++) {
        char full[512];
        snprintf(full, sizeof full, "%s/%s", e->suite, e->name);
        if (!strcmp(argv[i], e->suite) || !strcmp(argv[i], full)) return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    /* tests run from the repo root (make test does that) */
    const char *dd = getenv("ZT_TEST_DATA");
    snprintf(datadir, sizeof datadir, "%s", dd ? dd : "tests/data");
    const char *td = getenv("ZT_TEST_TMP");
    snprintf(tmpdir, sizeof tmpdir, "%s", td ? td : "build/test-tmp");
    if (zt_mkdirs(tmpdir)) {
        fprintf(stderr, "cannot create %s: %s\n", tmpdir, zt_errmsg());
        return 2;
    }
    qsort(tests, (size_t)ntests, sizeof tests[0], cmp_entry);
    int passed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < ntests; i++) {
        if (!selected(&tests[i], argc, argv)) continue;
        cur_failed = cur_skipped = 0;
        cur = &tests[i];
        zt_clearerr();
        fprintf(stderr, "%s/%s\n", tests[i].suite, tests[i].name);
        tests[i].fn();
        if (cur_failed) {
            failed++;
            fprintf(stderr, "FAILED %s/%s\n", tests[i].suite, tests[i].name);
        } else if (cur_skipped) {
            skipped++;
        } else {
            passed++;
        }
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
