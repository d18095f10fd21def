/* test.h: the tiny test harness. TEST(suite, name) defines and registers a
 * test; CHECK* record failures without stopping the test. One binary
 * (zt_test) runs all suites, or those named on the command line, and ends
 * with "N passed, N failed, N skipped". */
#ifndef ZT_TEST_H
#define ZT_TEST_H

#include <math.h>
#include <stdio.h>

typedef void (*zt_test_fn)(void);
void zt_test_register(const char *suite, const char *name, zt_test_fn fn);
void zt_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Marks the running test as skipped: it cannot run here (no dataset, no
 * PostgreSQL) and says why. Skipped tests are counted apart, never as
 * passed; a failure in the same test still counts it as failed. */
void zt_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Folder for scratch files of the running test (created, emptied per run). */
const char *zt_test_tmpdir(void);
/* Path of the repo's tests/data folder. */
const char *zt_test_datadir(void);
/* Path of ../shared/datasets/clothing-small, or NULL when absent. Tests that
 * need it must FAIL when it is absent in CI ($CI set), not skip silently. */
const char *zt_test_dataset(void);

#define TEST(suite, name)                                                         \
    static void test_##suite##_##name(void);                                      \
    __attribute__((constructor)) static void reg_##suite##_##name(void)           \
    {                                                                             \
        zt_test_register(#suite, #name, test_##suite##_##name);                   \
    }                                                                             \
    static void test_##suite##_##name(void)

#define CHECK(cond)                                                               \
    do {                                                                          \
        if (!(cond)) zt_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);        \
    } while (0)
#define CHECK_MSG(cond, ...)                                                      \
    do {                                                                          \
        if (!(cond)) zt_test_fail(__FILE__, __LINE__, __VA_ARGS__);               \
    } while (0)
/* rc must be ZT_OK; prints zt_errmsg() otherwise. */
#define CHECK_OK(expr)                                                            \
    do {                                                                          \
        int rc_ = (expr);                                                         \
        if (rc_ != 0)                                                             \
            zt_test_fail(__FILE__, __LINE__, "%s returned %d: %s", #expr, rc_,    \
                         zt_errmsg());                                            \
    } while (0)
#define CHECK_RC(expr, want)                                                      \
    do {                                                                          \
        int rc_ = (expr);                                                         \
        if (rc_ != (want))                                                        \
            zt_test_fail(__FILE__, __LINE__, "%s returned %d, want %d (%s)",      \
                         #expr, rc_, (int)(want), zt_errmsg());                   \
    } while (0)
#define CHECK_NEAR(a, b, tol)                                                     \
    do {                                                                          \
        double a_ = (a), b_ = (b);                                                \
        if (!(fabs(a_ - b_) <= (tol)))                                            \
            zt_test_fail(__FILE__, __LINE__, "%s = %.8g, %s = %.8g, |diff| > %g", \
                         #a, a_, #b, b_, (double)(tol));                          \
    } while (0)
#define CHECK_EQ_INT(a, b)                                                        \
    do {                                                                          \
        long long a_ = (long long)(a), b_ = (long long)(b);                       \
        if (a_ != b_)                                                             \
            zt_test_fail(__FILE__, __LINE__, "%s = %lld, want %lld", #a, a_, b_); \
    } while (0)

#endif
