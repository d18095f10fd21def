/* test_util.c: buffers, atomic writes, parallel-for, error text. */
#include "test.h"
#include "../src/util/buf.h"
#include "../src/util/parallel.h"
#include "../src/util/zt.h"

#include <stdatomic.h>
#include <string.h>

TEST(util, buf_limit)
{
    struct zt_buf b = {.max = 8};
    CHECK_OK(zt_buf_puts(&b, "1234"));
    CHECK_OK(zt_buf_printf(&b, "%d", 5678));
    CHECK_EQ_INT(b.len, 8);
    CHECK(strcmp((char *)b.data, "12345678") == 0);
    CHECK_RC(zt_buf_puts(&b, "9"), ZT_ETOOBIG);
    CHECK_EQ_INT(b.len, 8);
    zt_buf_deinit(&b);
    zt_buf_deinit(NULL);
}

TEST(util, file_roundtrip)
{
    char path[4096];
    CHECK_OK(zt_path_join(path, sizeof path, zt_test_tmpdir(), "sub/dir"));
    CHECK_OK(zt_mkdirs(path));
    CHECK_OK(zt_path_join(path, sizeof path, path, "f.bin"));
    CHECK_OK(zt_file_write_atomic(path, "hello", 5));
    struct zt_buf b = {0};
    CHECK_OK(zt_file_read(path, 0, &b));
    CHECK(b.len == 5 && memcmp(b.data, "hello", 5) == 0);
    zt_buf_deinit(&b);
    CHECK_RC(zt_file_read(path, 3, &b), ZT_ETOOBIG);
    zt_buf_deinit(&b);
    CHECK_RC(zt_file_read("/nonexistent/zt", 0, &b), ZT_ENOTFOUND);
    CHECK(strstr(zt_errmsg(), "/nonexistent/zt") != NULL);
}

struct sum_ctx {
    _Atomic long sum;
};

static int add_item(void *ctx, int64_t i, int worker)
{
    struct sum_ctx *c = ctx;
    atomic_fetch_add(&c->sum, (long)i);
    return ZT_OK;
}

static int fail_at_7(void *ctx, int64_t i, int worker)
{
    if (i == 7) {
        zt_seterr("item %d broke", (int)i);
        return ZT_EIO;
    }
    return ZT_OK;
}

TEST(util, parallel_for)
{
    struct sum_ctx c;
    atomic_init(&c.sum, 0);
    CHECK_OK(zt_parallel_for(1000, 4, add_item, &c));
    CHECK_EQ_INT(atomic_load(&c.sum), 999 * 1000 / 2);
    zt_clearerr();
    CHECK_RC(zt_parallel_for(100, 3, fail_at_7, NULL), ZT_EIO);
    CHECK(strcmp(zt_errmsg(), "item 7 broke") == 0);
}

TEST(util, adderr)
{
    zt_seterr("inner");
    zt_adderr("outer %d", 1);
    CHECK(strcmp(zt_errmsg(), "outer 1: inner") == 0);
}
