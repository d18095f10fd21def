/* test_util.c: buffers, atomic writes, parallel-for, error text. */
#include "test.h"
#include "../src/util/buf.h"
#include "../src/util/fs.h"
#include "../src/util/parallel.h"
#include "../src/util/zt.h"
#include "../src/img/image.h"

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

TEST(util, list_dir_sorted_and_errors)
{
    char dir[1024], p[1200];
    snprintf(dir, sizeof dir, "%s/ls", zt_test_tmpdir());
    const char *files[] = {"b.png", "a.jpg", ".hidden", "c"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        CHECK_OK(zt_mkdirs(dir));
        CHECK_OK(zt_file_write_atomic(p, "x", 1));
    }
    snprintf(p, sizeof p, "%s/sub", dir);
    CHECK_OK(zt_mkdirs(p));
    CHECK(zt_is_dir(dir) && zt_is_dir(p));
    snprintf(p, sizeof p, "%s/a.jpg", dir);
    CHECK(!zt_is_dir(p) && !zt_is_dir("/nonexistent/zt"));
    char **names = NULL;
    int n = -1;
    CHECK_OK(zt_list_dir(dir, &names, &n));
    CHECK_EQ_INT(n, 4); /* a.jpg b.png c sub: sorted, no dot files */
    if (n == 4) CHECK(!strcmp(names[0], "a.jpg") && !strcmp(names[1], "b.png") && !strcmp(names[3], "sub"));
    zt_names_free(names, n);
    /* errors are reported, never an empty listing */
    CHECK_RC(zt_list_dir("/nonexistent/zt", &names, &n), ZT_ENOTFOUND);
    CHECK(names == NULL && n == 0 && strstr(zt_errmsg(), "/nonexistent/zt"));
    CHECK_RC(zt_list_dir(p, &names, &n), ZT_ENOTFOUND); /* a file, not a folder */
    zt_names_free(NULL, 0);
    /* which names are images */
    CHECK(zt_image_name_ok("a.JPG") && zt_image_name_ok("x.webp") && zt_image_name_ok("y.jpeg"));
    CHECK(!zt_image_name_ok(".x.png") && !zt_image_name_ok("c") && !zt_image_name_ok("a.gif"));
}
