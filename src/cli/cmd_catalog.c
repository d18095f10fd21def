/* cmd_catalog.c: `ztyle catalog list|show|rm|media`: an operator's view of
 * the catalogue store (products, derived files, media, features), text or
 * --json, and a product's stored media written out to a file. */
#include "cli.h"
#include "../catalog/features.h"
#include "../catalog/index_store.h"
#include "../catalog/store.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/zt.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define CMD "catalog"

static void help(void)
{
    printf("usage: ztyle catalog list [--category C] [--min-price P] [--max-price P]\n"
           "                          [--limit N] [--offset N] [--json]\n"
           "       ztyle catalog show ID [--json]\n"
           "       ztyle catalog rm ID... \n"
           "       ztyle catalog media ID thumb|edges|original FILE\n\n"
           "Lists products (in id order, with pagination), shows one product with its\n"
           "derived files, stored media and features, removes products (their features\n"
           "and media go with them; the search index is rebuilt on the next search), or\n"
           "writes a product's stored thumbnail, edge map or original photo to FILE.\n\n"
           "options:\n"
           "  --catalog URL   SQLite file or postgres://... (default: ./" ZT_CATALOG_DEFAULT ")\n"
           "  --category C    top, pants, skirt, hat or other\n"
           "  --min-price P, --max-price P   inclusive price range (\"19.90\")\n"
           "  --limit N       at most N products (default 50, at most 10000)\n"
           "  --offset N      skip the first N (default 0)\n"
           "  --json          one JSON object: {\"total\", \"offset\", \"products\": [...]}\n");
}

/* The product's JSON (catalog, with file paths) plus the store's fields. */
static json_t *product_json(const struct zt_product *p)
{
    json_t *j = zt_product_json(p, ZT_PRODUCT_PATHS);
    json_object_set_new(j, "edges", json_string(p->edge_path));
    json_object_set_new(j, "updated_at", json_integer(p->updated_at));
    return j;
}

static int do_list(struct zt_store *s, const struct zt_store_filter *f, long limit, long offset,
                   int json)
{
    struct zt_product *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    if (zt_store_count(s, f, &total) || zt_store_list(s, f, limit, offset, &items, &n))
        return cli_fail(CMD, "%s", zt_errmsg());
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) json_array_append_new(arr, product_json(&items[i]));
        cli_print_json(json_pack("{s:I, s:I, s:o}", "total", (json_int_t)total, "offset",
                             (json_int_t)offset, "products", arr));
    } else {
        for (size_t i = 0; i < n; i++) {
            char price[32];
            zt_price_format(items[i].price, price, sizeof price);
            printf("%-40s %-6s %-11s %9s %s  %s\n", items[i].id, items[i].category, items[i].cls,
                   price, items[i].currency, items[i].title);
        }
        printf("%zu of %lld products (offset %ld)\n", n, (long long)total, offset);
    }
    free(items);
    return ZT_EXIT_OK;
}

static int do_show(struct zt_store *s, const char *id, int json)
{
    struct zt_product p;
    if (zt_store_get(s, id, &p)) return cli_fail(CMD, "%s", zt_errmsg());
    uint8_t *d = NULL;
    size_t len = 0;
    int ver = 0;
    json_t *feats = json_object();
    if (!zt_store_feature_get(s, id, ZT_FEATURE_SEARCH, &ver, &d, &len))
        json_object_set_new(feats, ZT_FEATURE_SEARCH,
                            json_pack("{s:i, s:I}", "version", ver, "bytes", (json_int_t)len));
    free(d);
    d = NULL;
    json_t *dom = json_array();
    if (!zt_store_feature_get(s, id, ZT_FEATURE_DOMINANT, &ver, &d, &len) &&
        len == sizeof(float) * 4 * ZT_FEAT_NDOM) {
        float v[4 * ZT_FEAT_NDOM];
        memcpy(v, d, sizeof v);
        for (int k = 0; k < ZT_FEAT_NDOM; k++)
            if (v[4 * k + 3] > 0)
                json_array_append_new(dom, json_pack("{s:s, s:[f,f,f], s:f}", "name",
                                                     zt_color_name(v + 4 * k), "lab", v[4 * k],
                                                     v[4 * k + 1], v[4 * k + 2], "share",
                                                     v[4 * k + 3]));
    }
    free(d);
    json_t *media = json_object();
    for (int k = 0; k < ZT_MEDIA_KINDS; k++) {
        d = NULL;
        if (!zt_store_media_get(s, id, k, &d, &len))
            json_object_set_new(media, zt_media_kind_name(k), json_integer((json_int_t)len));
        free(d);
    }
    zt_clearerr();
    json_t *j = product_json(&p);
    json_object_set_new(j, "media_bytes", media);
    json_object_set_new(j, "features", feats);
    json_object_set_new(j, "colours", dom);
    if (json) {
        cli_print_json(j);
        return ZT_EXIT_OK;
    }
    char price[32];
    zt_price_format(p.price, price, sizeof price);
    printf("id        %s\ntitle     %s\ncategory  %s\nclass     %s\nprice     %s %s\n"
           "url       %s\nimage     %s\nthumb     %s\nedges     %s\n",
           p.id, p.title, p.category, p.cls, price, p.currency, p.url, p.image_path,
           p.thumb_path, p.edge_path);
    size_t i;
    json_t *c;
    printf("colours  ");
    json_array_foreach(dom, i, c) printf(" %s (%.0f%%)", json_string_value(json_object_get(c, "name")),
                                         100 * json_real_value(json_object_get(c, "share")));
    printf("\n");
    json_decref(j);
    return ZT_EXIT_OK;
}

static int do_media(struct zt_store *s, const char *id, const char *kind, const char *path)
{
    int k = 0;
    while (k < ZT_MEDIA_KINDS && strcmp(zt_media_kind_name(k), kind)) k++;
    if (k == ZT_MEDIA_KINDS)
        return cli_usage_error(CMD, "media: unknown kind '%s' (thumb, edges, original)", kind);
    uint8_t *d = NULL;
    size_t len = 0;
    int rc = zt_store_media_get(s, id, k, &d, &len);
    if (!rc) rc = zt_file_write_atomic(path, d, len);
    free(d);
    if (rc) return cli_fail(CMD, "%s", zt_errmsg());
    printf("wrote %s (%zu bytes)\n", path, len);
    return ZT_EXIT_OK;
}

static int do_rm(struct zt_store *s, const char *catalog, int n, char **ids)
{
    if (zt_catalog_index_invalidate(catalog)) return cli_fail(CMD, "%s", zt_errmsg());
    int bad = 0;
    for (int i = 0; i < n; i++) {
        if (zt_store_delete(s, ids[i])) {
            fprintf(stderr, "ztyle catalog: %s\n", zt_errmsg());
            bad = 1;
        } else {
            printf("removed %s\n", ids[i]);
        }
    }
    return bad ? ZT_EXIT_FAIL : ZT_EXIT_OK;
}

int cmd_catalog(int argc, char **argv)
{
    static const struct option opts[] = {
        {"catalog", required_argument, NULL, 'c'},   {"category", required_argument, NULL, 'g'},
        {"min-price", required_argument, NULL, 'm'}, {"max-price", required_argument, NULL, 'M'},
        {"limit", required_argument, NULL, 'l'},     {"offset", required_argument, NULL, 'o'},
        {"json", no_argument, NULL, 'j'},            {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *catalog = ZT_CATALOG_DEFAULT;
    struct zt_store_filter f = {0};
    long limit = 50, offset = 0;
    int json = 0, o;
    enum zt_category cat;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'c': catalog = optarg; break;
        case 'g':
            if (zt_category_parse(optarg, &cat))
                return cli_usage_error(CMD, "--category: unknown category '%s'", optarg);
            f.category = zt_category_name(cat);
            break;
        case 'm':
            if (zt_price_parse(optarg, &f.price_min))
                return cli_usage_error(CMD, "--min-price: %s", zt_errmsg());
            break;
        case 'M':
            if (zt_price_parse(optarg, &f.price_max))
                return cli_usage_error(CMD, "--max-price: %s", zt_errmsg());
            f.has_price_max = 1;
            break;
        case 'l':
            if (cli_parse_int(optarg, 1, 10000, &limit))
                return cli_usage_error(CMD, "--limit: '%s' is not a number in 1..10000", optarg);
            break;
        case 'o':
            if (cli_parse_int(optarg, 0, 1L << 40, &offset))
                return cli_usage_error(CMD, "--offset: '%s' is not a number >= 0", optarg);
            break;
        case 'j': json = 1; break;
        case 'h': help(); return ZT_EXIT_OK;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) return cli_usage_error(CMD, "expected list, show or rm");
    const char *sub = argv[optind++];
    int nargs = argc - optind;
    if (!strcmp(sub, "list") && nargs != 0) return cli_usage_error(CMD, "list takes no arguments");
    if (!strcmp(sub, "show") && nargs != 1) return cli_usage_error(CMD, "show takes one ID");
    if (!strcmp(sub, "rm") && nargs < 1) return cli_usage_error(CMD, "rm takes one or more IDs");
    if (!strcmp(sub, "media") && nargs != 3)
        return cli_usage_error(CMD, "media takes ID, KIND and FILE");
    if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "rm") && strcmp(sub, "media"))
        return cli_usage_error(CMD, "unknown subcommand '%s' (list, show, rm, media)", sub);
    if (cli_catalog_missing(catalog)) return cli_fail(CMD, "%s: no catalogue (run ztyle ingest first)", catalog);
    struct zt_store *s = NULL;
    if (zt_store_open(catalog, &s) || zt_store_migrate(s)) {
        int r = cli_fail(CMD, "%s", zt_errmsg());
        zt_store_close(s);
        return r;
    }
    int rc;
    if (!strcmp(sub, "list")) rc = do_list(s, &f, limit, offset, json);
    else if (!strcmp(sub, "show")) rc = do_show(s, argv[optind], json);
    else if (!strcmp(sub, "media")) rc = do_media(s, argv[optind], argv[optind + 1], argv[optind + 2]);
    else rc = do_rm(s, catalog, nargs, argv + optind);
    zt_store_close(s);
    return rc;
}

int cli_catalog_missing(const char *catalog)
{
    if (!strncmp(catalog, "postgres://", 11) || !strncmp(catalog, "postgresql://", 13)) return 0;
    return !zt_file_exists(catalog);
}
