/* test_data.c: CSV reader, category map and dataset listing. */
#include "test.h"
#include "../src/data/dataset.h"
#include "../src/util/buf.h"
#include "../src/util/fs.h"
#include "../src/util/csv.h"
#include "../src/util/zt.h"

#include <stdlib.h>
#include <string.h>

static FILE *mem(const char *s) { return fmemopen((void *)s, strlen(s), "r"); }

TEST(data, csv_quoting)
{
    FILE *f = mem("a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\"two\nlines\"\n\nlast,,\n");
    struct zt_csv *c = zt_csv_new(f, "t.csv", 0);
    int nf;
    char **fl;
    CHECK_EQ_INT(zt_csv_next(c, &nf, &fl), 1);
    CHECK(nf == 3 && !strcmp(fl[2], "c"));
    CHECK_EQ_INT(zt_csv_next(c, &nf, &fl), 1);
    CHECK_EQ_INT(nf, 3);
    CHECK(!strcmp(fl[0], "x,1"));
    CHECK(!strcmp(fl[1], "say \"hi\""));
    CHECK(!strcmp(fl[2], "two\nlines"));
    CHECK_EQ_INT(zt_csv_line(c), 2);
    CHECK_EQ_INT(zt_csv_next(c, &nf, &fl), 1); /* blank line skipped */
    CHECK_EQ_INT(zt_csv_line(c), 5);
    CHECK(nf == 3 && !strcmp(fl[0], "last") && !fl[1][0] && !fl[2][0]);
    CHECK_EQ_INT(zt_csv_next(c, &nf, &fl), 0);
    zt_csv_free(c);
    fclose(f);
}

TEST(data, csv_errors)
{
    int nf;
    char **fl;
    FILE *f = mem("a,b\n1,\"open\n2,3\n");
    struct zt_csv *c = zt_csv_new(f, "u.csv", 0);
    CHECK_EQ_INT(zt_csv_next(c, &nf, &fl), 1);
    CHECK_RC(zt_csv_next(c, &nf, &fl), ZT_EFORMAT);
    CHECK(strstr(zt_errmsg(), "u.csv:2: unterminated") != NULL);
    zt_csv_free(c);
    fclose(f);

    f = mem("a,b\nx\"y,1\n");
    c = zt_csv_new(f, "s.csv", 0);
    CHECK_EQ_INT(zt_csv_next(c, &nf, &fl), 1);
    CHECK_RC(zt_csv_next(c, &nf, &fl), ZT_EFORMAT);
    CHECK(strstr(zt_errmsg(), "s.csv:2: stray quote") != NULL);
    zt_csv_free(c);
    fclose(f);

    f = mem("\"ab\"c,d\n");
    c = zt_csv_new(f, "q.csv", 0);
    CHECK_RC(zt_csv_next(c, &nf, &fl), ZT_EFORMAT);
    zt_csv_free(c);
    fclose(f);

    char big[300];
    memset(big, 'x', sizeof big - 2);
    big[sizeof big - 2] = '\n';
    big[sizeof big - 1] = 0;
    f = mem(big);
    c = zt_csv_new(f, "big.csv", 100);
    CHECK_RC(zt_csv_next(c, &nf, &fl), ZT_ETOOBIG);
    zt_csv_free(c);
    fclose(f);
}

TEST(data, catmap_default)
{
    struct zt_catmap m;
    CHECK_OK(zt_catmap_default(&m));
    CHECK_EQ_INT(m.ncat, 6);
    static const char *const cls[] = {"t-shirt", "shirt", "longsleeve", "outwear", "pants",
                                       "shorts", "skirt", "hat", "dress", "shoes"};
    static const int cat[] = {0, 0, 0, 0, 1, 1, 2, 3, 4, 5};
    for (size_t i = 0; i < ZT_ARRAY_LEN(cls); i++) /* every class of the demo data */
        CHECK_MSG(zt_catmap_lookup(&m, cls[i]) == cat[i], "%s", cls[i]);
    CHECK_EQ_INT(zt_catmap_lookup(&m, "socks"), -1);
    CHECK_EQ_INT(zt_catmap_lookup(&m, "top"), 0);
    CHECK_EQ_INT(zt_catmap_category(&m, "shoes"), 5);
    zt_catmap_deinit(&m);
    /* the map old runs resume with */
    CHECK_OK(zt_catmap_v1(&m));
    CHECK_EQ_INT(m.ncat, 4);
    CHECK_EQ_INT(zt_catmap_lookup(&m, "longsleeve"), 0);
    CHECK_EQ_INT(zt_catmap_lookup(&m, "hat"), 3);
    CHECK_EQ_INT(zt_catmap_lookup(&m, "outwear"), -1);
    CHECK_EQ_INT(zt_catmap_lookup(&m, "shoes"), -1);
    char names[64], small[8];
    zt_catmap_names(&m, names, sizeof names);
    CHECK(!strcmp(names, "top, pants, skirt, hat"));
    zt_catmap_names(&m, small, sizeof small); /* truncated, still a string */
    CHECK(!strcmp(small, "top, pa"));
    zt_catmap_deinit(&m);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    CHECK_OK(zt_file_write_atomic(p, text, strlen(text)));
}

TEST(data, catmap_file)
{
    const char *t = zt_test_tmpdir();
    write_file(t, "map.txt", "# comment\nupper: t-shirt, shirt\nlower: pants,shorts # x\n");
    char p[4096];
    snprintf(p, sizeof p, "%s/map.txt", t);
    struct zt_catmap m;
    CHECK_OK(zt_catmap_load(p, &m));
    CHECK_EQ_INT(m.ncat, 2);
    CHECK_EQ_INT(zt_catmap_lookup(&m, "shorts"), 1);
    CHECK_EQ_INT(zt_catmap_lookup(&m, "shirt"), 0);
    zt_catmap_deinit(&m);
    write_file(t, "bad.txt", "upper: a\njunk line\n");
    snprintf(p, sizeof p, "%s/bad.txt", t);
    CHECK_RC(zt_catmap_load(p, &m), ZT_EFORMAT);
    CHECK(strstr(zt_errmsg(), "bad.txt:2:") != NULL);
    write_file(t, "dup.txt", "a: x\nb: x\n");
    snprintf(p, sizeof p, "%s/dup.txt", t);
    CHECK_RC(zt_catmap_load(p, &m), ZT_EFORMAT);
    CHECK(strstr(zt_errmsg(), "dup.txt:2:") != NULL);
}

TEST(data, dataset_tree_and_csv)
{
    char root[4096], d[4200];
    snprintf(root, sizeof root, "%s/ds", zt_test_tmpdir());
    const char *files[] = {"train/pants/p1.jpg", "train/pants/p2.PNG", "train/hat/h1.jpg",
                           "train/hat/notes.txt", "validation/hat/h9.jpeg", "train/shoes/s1.jpg",
                           "train/socks/k1.jpg"};
    for (size_t i = 0; i < ZT_ARRAY_LEN(files); i++) {
        snprintf(d, sizeof d, "%s/%s", root, files[i]);
        char *slash = strrchr(d, '/');
        *slash = 0;
        CHECK_OK(zt_mkdirs(d));
        *slash = '/';
        CHECK_OK(zt_file_write_atomic(d, "x", 1));
    }
    struct zt_catmap m;
    CHECK_OK(zt_catmap_default(&m));
    struct zt_dataset ds;
    CHECK_OK(zt_dataset_open(root, &m, 10, &ds));
    CHECK_EQ_INT(ds.n, 6);
    /* sorted (split, class, id); a class the map does not know is kept, unmapped */
    CHECK(!strcmp(ds.s[0].id, "h1") && ds.s[0].category == 3 && ds.s[0].split == ZT_SPLIT_TRAIN);
    CHECK(!strcmp(ds.s[1].id, "p1") && ds.s[1].category == 1);
    CHECK(!strcmp(ds.s[3].cls, "shoes") && ds.s[3].category == 5);
    CHECK(!strcmp(ds.s[4].cls, "socks") && ds.s[4].category == -1);
    CHECK(!strcmp(ds.s[5].id, "h9") && ds.s[5].split == ZT_SPLIT_VAL);
    zt_dataset_deinit(&ds);

    /* CSV with relative paths and an explicit split */
    write_file(root, "list.csv", "path,category,split\ntrain/pants/p1.jpg,pants,val\n"
                                 "\"train/hat/h1.jpg\",hat,train\n");
    snprintf(d, sizeof d, "%s/list.csv", root);
    CHECK_OK(zt_dataset_open(d, &m, 10, &ds));
    CHECK_EQ_INT(ds.n, 2);
    CHECK(strstr(ds.s[0].path, "/ds/train/hat/h1.jpg") != NULL);
    CHECK_EQ_INT(ds.s[1].split, ZT_SPLIT_VAL);
    zt_dataset_deinit(&ds);

    write_file(root, "bad.csv", "path,category,split\na.jpg,hat,train\nb.jpg,hat,test\n");
    snprintf(d, sizeof d, "%s/bad.csv", root);
    CHECK_RC(zt_dataset_open(d, &m, 10, &ds), ZT_EFORMAT);
    CHECK(strstr(zt_errmsg(), "bad.csv:3: split") != NULL);
    write_file(root, "nohdr.csv", "file,kind\na.jpg,hat\n");
    snprintf(d, sizeof d, "%s/nohdr.csv", root);
    CHECK_RC(zt_dataset_open(d, &m, 10, &ds), ZT_EFORMAT);
    CHECK(strstr(zt_errmsg(), "nohdr.csv:1: header") != NULL);
    CHECK_RC(zt_dataset_open("/nonexistent/zt", &m, 10, &ds), ZT_ENOTFOUND);
    zt_catmap_deinit(&m);
}

TEST(data, clothing_small_listing)
{
    const char *ds_path = zt_test_dataset();
    if (!ds_path) {
        /* CI always has ../shared: absence there is a failure, not a skip */
        CHECK_MSG(!getenv("CI"), "dataset ../shared/datasets/clothing-small missing in CI");
        zt_test_skip("dataset not found");
        return;
    }
    struct zt_catmap m;
    CHECK_OK(zt_catmap_default(&m));
    struct zt_dataset ds;
    CHECK_OK(zt_dataset_open(ds_path, &m, 10, &ds));
    int per_cat[6] = {0}, val = 0;
    for (int i = 0; i < ds.n; i++) {
        if (ds.s[i].category >= 0) per_cat[ds.s[i].category]++;
        val += ds.s[i].split == ZT_SPLIT_VAL;
    }
    CHECK_EQ_INT(ds.n, 3409);
    CHECK_EQ_INT(val, 341);
    CHECK_EQ_INT(per_cat[0], 795 + 290 + 455 + 184 + 81 + 29 + 49 + 24);
    CHECK_EQ_INT(per_cat[1], 468 + 202 + 49 + 25);
    CHECK_EQ_INT(per_cat[2], 112 + 12);
    CHECK_EQ_INT(per_cat[3], 123 + 14);
    CHECK_EQ_INT(per_cat[4], 241 + 32);
    CHECK_EQ_INT(per_cat[5], 198 + 26);
    zt_dataset_deinit(&ds);
    zt_catmap_deinit(&m);
}
