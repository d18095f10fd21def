/* test_ingest_parse.c: product feed parsing (CSV and JSON Lines), price
 * and URL rules, and the exact "<file>:<line>: <field>: <why>" messages. */
#include "test.h"
#include "../src/catalog/ingest_parse.h"
#include "../src/util/zt.h"

#include <stdlib.h>
#include <string.h>

#define HDR "id,title,category,price,url,image\n"

/* Parser over an in-memory feed named `name` (fmt from its extension). */
struct feed {
    FILE *f;
    struct zt_ingest *in;
};

static int feed_open(struct feed *fd, const char *name, const char *text, size_t len)
{
    fd->in = NULL;
    fd->f = fmemopen((void *)text, len, "r");
    if (!fd->f) {
        zt_test_fail(__FILE__, __LINE__, "fmemopen failed");
        return -1;
    }
    int rc = zt_ingest_open_file(fd->f, name, ZT_INGEST_AUTO, &fd->in);
    if (rc) {
        zt_test_fail(__FILE__, __LINE__, "open: %s", zt_errmsg());
        fclose(fd->f);
        return -1;
    }
    return 0;
}

static void feed_close(struct feed *fd)
{
    zt_ingest_close(fd->in);
    if (fd->f) fclose(fd->f);
}

/* One expected zt_ingest_next result: rc, and for errors the exact
 * message (or a prefix of it when the message ends in "*"). */
struct step {
    int rc;
    const char *msg_or_id;
};

static void expect_steps(const char *name, const char *text, const struct step *steps, int n)
{
    struct feed fd;
    if (feed_open(&fd, name, text, strlen(text))) return;
    for (int i = 0; i < n; i++) {
        struct zt_product p;
        int rc = zt_ingest_next(fd.in, &p);
        const char *want = steps[i].msg_or_id;
        if (rc != steps[i].rc) {
            zt_test_fail(__FILE__, __LINE__, "%s step %d: rc %d, want %d (%s)", name, i, rc,
                         steps[i].rc, zt_errmsg());
            break;
        }
        if (rc == ZT_OK) {
            CHECK_MSG(!strcmp(p.id, want), "%s step %d: id '%s', want '%s'", name, i, p.id,
                      want);
        } else if (rc != ZT_INGEST_END) {
            size_t wl = strlen(want);
            int prefix = wl && want[wl - 1] == '*';
            int ok = prefix ? !strncmp(zt_errmsg(), want, wl - 1) : !strcmp(zt_errmsg(), want);
            CHECK_MSG(ok, "%s step %d: message\n    '%s'\n  want\n    '%s'", name, i,
                      zt_errmsg(), want);
        }
    }
    feed_close(&fd);
}

TEST(ingest_parse, csv_valid_rows)
{
    /* BOM, CRLF, reordered and unknown columns, quoting (comma, newline,
     * doubled quote), blank lines, optional class/currency, spaces */
    static const char text[] =
        "\xEF\xBB\xBF" "Image,ID,title,Extra,category,price,url,class,currency\r\n"
        "img/a.jpg,a1,\"Shirt, blue\",x,Top,19.9,https://shop.example/a1,shirt,eur\r\n"
        "\r\n"
        "img/b.jpg,b2,\"Line one\nline \"\"two\"\"\",,pants, 5 ,/p/b2,,\n"
        "  img/c.jpg ,c3,Cap,,hat,0,p/c3,,USD";
    struct feed fd;
    struct zt_product p;
    if (feed_open(&fd, "products.csv", text, strlen(text))) return;
    CHECK_EQ_INT(zt_ingest_format(fd.in), ZT_INGEST_CSV);
    CHECK_OK(zt_ingest_next(fd.in, &p));
    CHECK_EQ_INT(zt_ingest_line(fd.in), 2);
    CHECK(!strcmp(p.id, "a1"));
    CHECK(!strcmp(p.title, "Shirt, blue"));
    CHECK(!strcmp(p.category, "top"));
    CHECK(!strcmp(p.cls, "shirt"));
    CHECK_EQ_INT(p.price, 1990);
    CHECK(!strcmp(p.currency, "EUR"));
    CHECK(!strcmp(p.url, "https://shop.example/a1"));
    CHECK(!strcmp(p.image_path, "img/a.jpg"));
    CHECK(p.thumb_path[0] == 0 && p.edge_path[0] == 0);

    CHECK_OK(zt_ingest_next(fd.in, &p));
    CHECK_EQ_INT(zt_ingest_line(fd.in), 4); /* the record starts on line 4 */
    CHECK(!strcmp(p.title, "Line one line \"two\"")); /* newlines become spaces */
    CHECK(!strcmp(p.category, "pants"));
    CHECK_EQ_INT(p.price, 500);
    CHECK(!strcmp(p.currency, "USD")); /* empty -> default */
    CHECK(!strcmp(p.cls, ""));

    CHECK_OK(zt_ingest_next(fd.in, &p));
    CHECK_EQ_INT(zt_ingest_line(fd.in), 6);
    CHECK(!strcmp(p.image_path, "img/c.jpg")); /* trimmed */
    CHECK_EQ_INT(p.price, 0);
    CHECK_RC(zt_ingest_next(fd.in, &p), ZT_INGEST_END);
    CHECK_RC(zt_ingest_next(fd.in, &p), ZT_INGEST_END);
    feed_close(&fd);
}

TEST(ingest_parse, csv_bad_values_name_line_and_field)
{
    static const char text[] = HDR
        "ok1,T,top,1,https://x.example/1,a.jpg\n"      /* 2 */
        "bad1,T,top,abc,https://x.example/1,a.jpg\n"   /* 3 */
        "bad2,T,top,-5,https://x.example/1,a.jpg\n"    /* 4 */
        "bad3,T,top,1.234,https://x.example/1,a.jpg\n" /* 5 */
        "bad4,T,shoes,1,https://x.example/1,a.jpg\n"   /* 6 */
        "bad5,T,top,1,ftp://x.example/1,a.jpg\n"       /* 7 */
        "bad6,T,top,1,javascript:alert(1),a.jpg\n"     /* 8 */
        "bad7,T,top,1,https://x.example/1,\n"          /* 9 */
        "a/b,T,top,1,https://x.example/1,a.jpg\n"      /* 10 */
        ",T,top,1,https://x.example/1,a.jpg\n"         /* 11 */
        "bad8,T,top,1,https://x.example/1\n"           /* 12 */
        "bad9,,top,1,https://x.example/1,a.jpg\n"      /* 13 */
        "bad10,T,top,1,https:///path,a.jpg\n"          /* 14 */
        "bad11,T,top,1,https://x.example/1,a.jpg,extra\n" /* 15 */
        "ok2,T,skirt,1.50,https://x.example/2,b.jpg\n"; /* 16 */
    static const struct step steps[] = {
        {ZT_OK, "ok1"},
        {ZT_EINVAL, "products.csv:3: price: 'abc' is not a number"},
        {ZT_EINVAL, "products.csv:4: price: '-5' is negative"},
        {ZT_EINVAL, "products.csv:5: price: '1.234' has more than 2 decimals"},
        {ZT_EINVAL, "products.csv:6: category: 'shoes' is not one of top, pants, skirt, hat, other"},
        {ZT_EINVAL, "products.csv:7: url: 'ftp://x.example/1' has scheme 'ftp'; only http, "
                    "https or a relative URL"},
        {ZT_EINVAL, "products.csv:8: url: 'javascript:alert(1)' has scheme 'javascript'; only "
                    "http, https or a relative URL"},
        {ZT_EINVAL, "products.csv:9: image: empty"},
        {ZT_EINVAL, "products.csv:10: id: 'a/b' contains '/' or a control character"},
        {ZT_EINVAL, "products.csv:11: id: empty"},
        {ZT_EINVAL, "products.csv:12: expected 6 fields like the header, got 5"},
        {ZT_EINVAL, "products.csv:13: title: empty"},
        {ZT_EINVAL, "products.csv:14: url: 'https:///path' has no host"},
        {ZT_EINVAL, "products.csv:15: expected 6 fields like the header, got 7"},
        {ZT_OK, "ok2"}, /* bad rows are skipped, parsing goes on */
        {ZT_INGEST_END, NULL},
    };
    expect_steps("products.csv", text, steps, (int)ZT_ARRAY_LEN(steps));
}

TEST(ingest_parse, csv_broken_streams_stop)
{
    /* missing required column: reported on the header line, then sticky */
    static const struct step missing[] = {
        {ZT_EFORMAT, "p.csv:1: missing required column 'price' (header needs id, title, "
                     "category, price, url, image)"},
        {ZT_EFORMAT, "p.csv: parsing stopped after an earlier error"},
    };
    expect_steps("p.csv", "id,title,category,url,image\nx,T,top,/u,a.jpg\n", missing, 2);
    /* duplicate column */
    static const struct step dup[] = {
        {ZT_EFORMAT, "p.csv:2: column 'id' appears twice in the header"},
    };
    expect_steps("p.csv", "\nid,title,category,price,url,image,ID\n", dup, 1);
    /* empty file */
    static const struct step empty[] = {
        {ZT_EFORMAT, "p.csv: empty file: a header row naming the columns is required"},
    };
    expect_steps("p.csv", "", empty, 1);
    /* unterminated quote opened on line 3 (reported where its record starts) */
    static const struct step unterminated[] = {
        {ZT_OK, "a"},
        {ZT_EFORMAT, "p.csv:3: unterminated quoted field"},
        {ZT_EFORMAT, "p.csv: parsing stopped after an earlier error"},
    };
    expect_steps("p.csv",
                 HDR "a,T,top,1,/u,a.jpg\n"
                     "b,\"T,top,1,/u,a.jpg\n"
                     "c,T,top,1,/u,a.jpg\n",
                 unterminated, 3);
    /* stray quote */
    static const struct step stray[] = {
        {ZT_EFORMAT, "p.csv:2: stray quote inside field 2"},
    };
    expect_steps("p.csv", HDR "b,T\"x,top,1,/u,a.jpg\n", stray, 1);
}

TEST(ingest_parse, overlong_records)
{
    size_t big = ZT_INGEST_LINE_MAX + 100;
    const char *hdr = HDR "a,T,top,1,/u,a.jpg\n";
    for (int jsonl = 0; jsonl < 2; jsonl++) {
        const char *h = jsonl ? "{\"id\":\"a\",\"title\":\"T\",\"category\":\"top\",\"price\":1,"
                                "\"url\":\"/u\",\"image\":\"a.jpg\"}\n"
                              : hdr;
        size_t hl = strlen(h);
        char *text = malloc(hl + big + 2);
        if (!text) return;
        memcpy(text, h, hl);
        memset(text + hl, 'x', big);
        memcpy(text + hl + big, "\n", 2);
        struct feed fd;
        struct zt_product p;
        if (!feed_open(&fd, jsonl ? "p.jsonl" : "p.csv", text, strlen(text))) {
            CHECK_OK(zt_ingest_next(fd.in, &p));
            CHECK_RC(zt_ingest_next(fd.in, &p), ZT_ETOOBIG);
            if (jsonl)
                CHECK_MSG(!strcmp(zt_errmsg(), "p.jsonl:2: line longer than 1048576 bytes"),
                          "msg: %s", zt_errmsg());
            else
                CHECK_MSG(!strcmp(zt_errmsg(), "p.csv:3: record longer than 1048576 bytes"),
                          "msg: %s", zt_errmsg());
            CHECK_RC(zt_ingest_next(fd.in, &p), ZT_ETOOBIG); /* stays stopped */
            feed_close(&fd);
        }
        free(text);
    }
}

TEST(ingest_parse, jsonl_rows_and_errors)
{
    static const char text[] =
        "{\"id\":\"j1\",\"title\":\"Tee\",\"category\":\"top\",\"class\":\"t-shirt\","
        "\"price\":19.9,\"url\":\"https://s.example/j1\",\"image\":\"j1.jpg\",\"stock\":3}\n" /* 1 */
        "\n"                                                                             /* 2 */
        "  {\"id\":42,\"title\":\"Int id\",\"category\":\"hat\",\"price\":\"7.5\","
        "\"url\":\"/p/42\",\"image\":\"42.jpg\",\"currency\":\"gbp\"}\r\n"              /* 3 */
        "{\"id\":\"j3\",\"title\":\"x\",\n"                                              /* 4 */
        "[1,2]\n"                                                                        /* 5 */
        "{\"id\":\"j4\",\"title\":\"T\",\"category\":\"top\",\"url\":\"/u\",\"image\":\"a.jpg\"}\n" /* 6 */
        "{\"id\":\"j5\",\"title\":\"T\",\"category\":\"top\",\"price\":1.234,\"url\":\"/u\","
        "\"image\":\"a.jpg\"}\n"                                                         /* 7 */
        "{\"id\":\"j6\",\"title\":\"T\",\"category\":\"top\",\"price\":true,\"url\":\"/u\","
        "\"image\":\"a.jpg\"}\n"                                                         /* 8 */
        "{\"id\":\"j7\",\"title\":\"T\",\"category\":\"top\",\"price\":-2,\"url\":\"/u\","
        "\"image\":\"a.jpg\"}\n"                                                         /* 9 */
        "{\"id\":\"j8\",\"id\":\"j9\"}\n"                                                /* 10 */
        "{\"id\":\"j10\",\"title\":\"T\",\"category\":\"top\",\"price\":100,\"url\":\"/u\","
        "\"image\":\"a.jpg\",\"class\":null}";                                          /* 11 */
    static const struct step steps[] = {
        {ZT_OK, "j1"},
        {ZT_OK, "42"},
        {ZT_EINVAL, "feed.jsonl:4: bad JSON at column *"},
        {ZT_EINVAL, "feed.jsonl:5: expected a JSON object"},
        {ZT_EINVAL, "feed.jsonl:6: price: missing"},
        {ZT_EINVAL, "feed.jsonl:7: price: '1.234' has more than 2 decimals"},
        {ZT_EINVAL, "feed.jsonl:8: price: expected a number or a string"},
        {ZT_EINVAL, "feed.jsonl:9: price: '-2' is negative"},
        {ZT_EINVAL, "feed.jsonl:10: bad JSON at column *"},
        {ZT_OK, "j10"},
        {ZT_INGEST_END, NULL},
    };
    expect_steps("feed.jsonl", text, steps, (int)ZT_ARRAY_LEN(steps));

    /* field values of the good rows */
    struct feed fd;
    struct zt_product p;
    if (feed_open(&fd, "feed.jsonl", text, strlen(text))) return;
    CHECK_EQ_INT(zt_ingest_format(fd.in), ZT_INGEST_JSONL);
    CHECK_OK(zt_ingest_next(fd.in, &p));
    CHECK_EQ_INT(p.price, 1990);
    CHECK(!strcmp(p.cls, "t-shirt") && !strcmp(p.currency, "USD"));
    CHECK_OK(zt_ingest_next(fd.in, &p));
    CHECK_EQ_INT(zt_ingest_line(fd.in), 3);
    CHECK_EQ_INT(p.price, 750);
    CHECK(!strcmp(p.currency, "GBP") && !strcmp(p.category, "hat") && !strcmp(p.url, "/p/42"));
    feed_close(&fd);
}

TEST(ingest_parse, open_file_and_streaming)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/feed_big.csv", zt_test_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("id,title,category,price,url,image,notes\n", f);
    for (int i = 0; i < 5000; i++)
        fprintf(f, "sku%05d,\"Item %d, \"\"special\"\"\",%s,%d.%02d,https://s.example/%d,"
                   "img/%d.jpg,\"multi\nline\"\n",
                i, i, i % 2 ? "top" : "skirt", i, i % 100, i, i);
    fclose(f);
    struct zt_ingest *in = NULL;
    CHECK_OK(zt_ingest_open(path, ZT_INGEST_AUTO, &in));
    if (!in) return;
    struct zt_product p;
    int n = 0, rc;
    int64_t sum = 0;
    while ((rc = zt_ingest_next(in, &p)) == ZT_OK) {
        if (n == 4999) CHECK_EQ_INT(zt_ingest_line(in), 2 + 2 * 4999);
        sum += p.price;
        n++;
    }
    CHECK_EQ_INT(rc, ZT_INGEST_END);
    CHECK_EQ_INT(n, 5000);
    int64_t want = 0;
    for (int i = 0; i < 5000; i++) want += 100 * i + i % 100;
    CHECK_EQ_INT(sum, want);
    zt_ingest_close(in);

    snprintf(path, sizeof path, "%s/does-not-exist.jsonl", zt_test_tmpdir());
    CHECK_RC(zt_ingest_open(path, ZT_INGEST_AUTO, &in), ZT_ENOTFOUND);
    CHECK(in == NULL);
    CHECK(strstr(zt_errmsg(), "does-not-exist.jsonl") != NULL);
}

TEST(ingest_parse, price_rules)
{
    static const struct {
        const char *s;
        int64_t want; /* -1 = rejected */
    } cases[] = {
        {"0", 0},          {"19", 1900},       {"19.9", 1990},    {"19.90", 1990},
        {" 7.05 ", 705},   {"1.500", 150},     {"+3", 300},       {"-0", 0},
        {"100000000000", 10000000000000},      {"100000000000.01", -1},
        {"1.234", -1},     {"-1", -1},         {"abc", -1},       {"", -1},
        {".5", -1},        {"5.", 500},        {"1e3", -1},       {"1,5", -1},
        {"99999999999999999999999", -1},       {"0x10", -1},
    };
    for (size_t i = 0; i < ZT_ARRAY_LEN(cases); i++) {
        int64_t v = -1;
        int rc = zt_price_parse(cases[i].s, &v);
        if (cases[i].want < 0) CHECK_MSG(rc == ZT_EINVAL, "'%s' accepted as %lld", cases[i].s, (long long)v);
        else CHECK_MSG(rc == ZT_OK && v == cases[i].want, "'%s' -> rc %d, %lld (%s)", cases[i].s,
                       rc, (long long)v, zt_errmsg());
    }
    char buf[32];
    zt_price_format(1990, buf, sizeof buf);
    CHECK(!strcmp(buf, "19.90"));
    zt_price_format(5, buf, sizeof buf);
    CHECK(!strcmp(buf, "0.05"));
    zt_price_format(10000000000000, buf, sizeof buf);
    CHECK(!strcmp(buf, "100000000000.00"));
}

TEST(ingest_parse, url_and_category_rules)
{
    static const struct {
        const char *url;
        int ok;
    } urls[] = {
        {"https://shop.example/p/1", 1}, {"HTTP://shop.example", 1}, {"/p/1", 1},
        {"p/1?x=1", 1},                  {"../p/1", 1},               {"ftp://x", 0},
        {"javascript:alert(1)", 0},      {"data:text/html,x", 0},     {"//evil.example/x", 0},
        {"/\\evil.example", 0},        {"\\\\evil.example/x", 0},   {"http:\\\\evil.example/", 0},
        {"https://shop.example\\@evil.example/", 0}, {"/a%5Cb", 1},
        {"https://", 0},                 {"https:/x", 0},             {"http://a b", 0},
        {"", 0},
    };
    for (size_t i = 0; i < ZT_ARRAY_LEN(urls); i++)
        CHECK_MSG((zt_url_check(urls[i].url) == ZT_OK) == urls[i].ok, "url '%s'", urls[i].url);
    enum zt_category c;
    CHECK_OK(zt_category_parse("SKIRT", &c));
    CHECK_EQ_INT(c, ZT_CATEGORY_SKIRT);
    CHECK_RC(zt_category_parse("shoe", &c), ZT_EINVAL);
    CHECK_EQ_INT(zt_category_of_class("t-shirt"), ZT_CATEGORY_TOP);
    CHECK_EQ_INT(zt_category_of_class("Longsleeve"), ZT_CATEGORY_TOP);
    CHECK_EQ_INT(zt_category_of_class("shorts"), ZT_CATEGORY_PANTS);
    CHECK_EQ_INT(zt_category_of_class("dress"), ZT_CATEGORY_OTHER);
    CHECK_EQ_INT(zt_category_of_class("spacesuit"), ZT_CATEGORY_OTHER);
    /* field setter: limits and control characters */
    struct zt_product p;
    zt_product_init(&p);
    char longid[200];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = 0;
    CHECK_RC(zt_product_set(p.id, sizeof p.id, "id", longid, (size_t)-1), ZT_ETOOBIG);
    CHECK(p.id[0] == 0);
    CHECK_RC(zt_product_set(p.title, sizeof p.title, "title", "a\x01" "b", (size_t)-1), ZT_EINVAL);
    CHECK(strstr(zt_errmsg(), "title: contains control character 0x01") != NULL);
    CHECK_OK(zt_product_set(p.title, sizeof p.title, "title", "tab\there", (size_t)-1));
}

/* A NUL byte in a CSV record rejects that row (issue 14: it silently cut
 * the id short, "ab\0cd" became "ab"); the next rows go on. */
TEST(ingest_parse, csv_nul_byte_rejects_the_row)
{
    static const char text[] = HDR "ab\0cd,T,top,1,/p/1,a.jpg\n"
                                   "ok1,T,top,1,/p/2,a.jpg\n";
    struct feed fd;
    if (feed_open(&fd, "nul.csv", text, sizeof text - 1)) return;
    struct zt_product p;
    CHECK_RC(zt_ingest_next(fd.in, &p), ZT_EINVAL);
    CHECK_MSG(strstr(zt_errmsg(), "nul.csv:2: a NUL byte") != NULL, "%s", zt_errmsg());
    CHECK_OK(zt_ingest_next(fd.in, &p));
    CHECK(!strcmp(p.id, "ok1"));
    CHECK_RC(zt_ingest_next(fd.in, &p), ZT_INGEST_END);
    feed_close(&fd);
}
