/* cmd_sheet.c: `ztyle sheet`: a contact sheet (photo | edges | drawing with
 * hints | garment mask) for a few dataset images, to see what training sees;
 * with --shapes, the garments the embedding learns as drawn from memory. */
#include "cli.h"
#include "../catalog/product.h"
#include "../data/dataset.h"
#include "../data/doodle.h"
#include "../data/embedset.h"
#include "../data/pairs.h"
#include "../data/shapes.h"
#include "../util/zt.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define CMD "sheet"

static void help(void)
{
    printf("usage: ztyle sheet --data SRC --out SHEET.png [options]\n"
           "       ztyle sheet --shapes --out SHEET.png [--n N --size N --seed S]\n\n"
           "Renders one row per image: photo | edge map | drawing (edges + simulated\n"
           "colour hints) | garment mask, for N images spread over the categories.\n"
           "With --shapes: one row per class, N garments drawn from memory as the\n"
           "embedding trains on them (data/shapes.h), doodled, with their dabs.\n\n"
           "options:\n"
           "  --n N          rows (default 12)\n"
           "  --size N       tile side (default 256)\n"
           "  --method M     canny or xdog (default xdog)\n"
           "  --seed S       hint seed (default 1)\n"
           "  --split S      train (default) or val\n"
           "  --style S      edges (default), doodle or mixed: how the drawing is made\n"
           "  --free         doodles at a random scale, position and angle (as search\n"
           "                 sees them) instead of on the photo's geometry\n"
           "  --shapes       garments drawn from memory instead of dataset images\n");
}

/* --shapes: a row per class, n garments drawn from memory each */
static int shapes_sheet(const char *out, int n, int s, uint64_t seed)
{
    const char *cls[ZT_CLASS_COUNT];
    int ncls = 0;
    for (int k = 0; k < ZT_CLASS_COUNT; k++) /* the classes with a shape family */
        if (zt_shape_known(zt_class_name(k))) cls[ncls++] = zt_class_name(k);
    struct zt_image sheet = {0};
    int rc = zt_image_new(&sheet, n * s, ncls * s, 3);
    if (rc) return cli_fail(CMD, "%s", zt_errmsg());
    for (int c = 0; c < ncls && !rc; c++)
        for (int k = 0; k < n && !rc; k++) {
            struct zt_doodle d = {0};
            struct zt_image rgb = {0};
            rc = zt_embedset_shape(cls[c], s, seed * 1000003u + (uint64_t)(c * 1000 + k),
                                   &d.lines, &d.hints);
            if (!rc) rc = zt_doodle_flatten(&d, &rgb);
            if (!rc) zt_image_paste(&sheet, &rgb, k * s, c * s);
            zt_doodle_deinit(&d);
            zt_image_free(&rgb);
        }
    if (!rc) rc = zt_image_save(&sheet, out);
    zt_image_free(&sheet);
    if (rc) return cli_fail(CMD, "%s", zt_errmsg());
    printf("sheet: %d classes x %d garments drawn from memory -> %s\n", ncls, n, out);
    return ZT_EXIT_OK;
}

static int gray_to_rgb(const struct zt_image *g, struct zt_image *out)
{
    return zt_image_convert(g, 3, out);
}

int cmd_sheet(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'}, {"out", required_argument, 0, 'o'},
        {"n", required_argument, 0, 'n'},    {"size", required_argument, 0, 's'},
        {"method", required_argument, 0, 'm'}, {"seed", required_argument, 0, 'S'},
        {"split", required_argument, 0, 'p'}, {"help", no_argument, 0, 'h'},
        {"style", required_argument, 0, 'y'}, {"free", no_argument, 0, 'F'},
        {"shapes", no_argument, 0, 'H'},     {0, 0, 0, 0},
    };
    const char *data = NULL, *out = NULL;
    long n = 12, size = 256, seed = 1;
    int split = ZT_SPLIT_TRAIN;
    enum zt_edge_method method = ZT_EDGE_XDOG;
    enum zt_draw_style style = ZT_STYLE_EDGES;
    int free_place = 0, shapes = 0;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': help(); return ZT_EXIT_OK;
        case 'd': data = optarg; break;
        case 'o': out = optarg; break;
        case 'n':
            if (cli_parse_int(optarg, 1, 200, &n))
                return cli_usage_error(CMD, "--n: '%s' is not in 1..200", optarg);
            break;
        case 's':
            if (cli_parse_int(optarg, 32, 1024, &size))
                return cli_usage_error(CMD, "--size: '%s' is not in 32..1024", optarg);
            break;
        case 'm':
            if (zt_edge_method_parse(optarg, &method) || method > ZT_EDGE_XDOG)
                return cli_usage_error(CMD, "--method: '%s' is not canny or xdog", optarg);
            break;
        case 'S':
            if (cli_parse_int(optarg, 0, 2147483647L, &seed))
                return cli_usage_error(CMD, "--seed: '%s' is not a non-negative integer", optarg);
            break;
        case 'p':
            if (!strcmp(optarg, "train")) split = ZT_SPLIT_TRAIN;
            else if (!strcmp(optarg, "val")) split = ZT_SPLIT_VAL;
            else return cli_usage_error(CMD, "--split: '%s' is not train or val", optarg);
            break;
        case 'y':
            if (zt_draw_style_parse(optarg, &style)) return cli_usage_error(CMD, "--%s", zt_errmsg());
            break;
        case 'F': free_place = 1; break;
        case 'H': shapes = 1; break;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (shapes) {
        if (data) return cli_usage_error(CMD, "--shapes draws from memory: no --data");
        if (!out) return cli_usage_error(CMD, "--out is required");
        if (n > 32) return cli_usage_error(CMD, "--shapes: --n %ld is over 32 a row", n);
        return shapes_sheet(out, (int)n, (int)size, (uint64_t)seed);
    }
    if (!data || !out) return cli_usage_error(CMD, "--data and --out are required");

    struct zt_catmap map;
    struct zt_dataset ds = {0};
    struct zt_image sheet = {0};
    int exit_code = ZT_EXIT_FAIL, rc;
    if ((rc = zt_catmap_default(&map))) return cli_fail(CMD, "%s", zt_errmsg());
    if ((rc = zt_dataset_open(data, &map, 10, &ds))) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto done;
    }
    /* round-robin over categories so every category shows up */
    int *pick = calloc((size_t)n, sizeof *pick), npick = 0;
    if (!pick) goto done;
    int *next = calloc((size_t)map.ncat, sizeof *next);
    for (int round = 0; next && npick < n && round < ds.n; round++) {
        int added = 0;
        for (int cat = 0; cat < map.ncat && npick < n; cat++) {
            int seen = 0;
            for (int i = 0; i < ds.n; i++) {
                if (ds.s[i].category != cat || ds.s[i].split != split) continue;
                /* spread picks through the class instead of taking the first few */
                if (seen++ == next[cat] * 7) {
                    pick[npick++] = i;
                    next[cat]++;
                    added = 1;
                    break;
                }
            }
        }
        if (!added) break;
    }
    free(next);
    if (npick == 0) {
        free(pick);
        cli_fail(CMD, "%s: no images of the mapped categories in that split", data);
        goto done;
    }
    int s = (int)size;
    if ((rc = zt_image_new(&sheet, 4 * s, npick * s, 3))) {
        free(pick);
        cli_fail(CMD, "%s", zt_errmsg());
        goto done;
    }
    struct zt_pair_opts po;
    zt_pair_opts_default(&po, s, method);
    po.style = style;
    po.doodle.aligned = !free_place;
    if (free_place) po.mask.grabcut_iters = ZT_MASK_GRABCUT_SHAPE; /* the search's doodles' masks */
    for (int r = 0; r < npick; r++) {
        const struct zt_sample *sm = &ds.s[pick[r]];
        struct zt_pair p = {0};
        struct zt_image e = {0}, d = {0}, m = {0};
        rc = zt_pair_make(sm->path, &po, zt_pair_seed((uint64_t)seed, sm->id), &p);
        if (!rc) rc = gray_to_rgb(&p.edges, &e);
        if (!rc) rc = zt_pair_drawing(&p, &d);
        if (!rc) rc = gray_to_rgb(&p.mask, &m);
        if (!rc) {
            zt_image_paste(&sheet, &p.photo, 0, r * s);
            zt_image_paste(&sheet, &e, s, r * s);
            zt_image_paste(&sheet, &d, 2 * s, r * s);
            zt_image_paste(&sheet, &m, 3 * s, r * s);
        } else {
            fprintf(stderr, "ztyle sheet: %s\n", zt_errmsg());
        }
        zt_pair_deinit(&p);
        zt_image_free(&e);
        zt_image_free(&d);
        zt_image_free(&m);
    }
    free(pick);
    if ((rc = zt_image_save(&sheet, out))) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto done;
    }
    printf("sheet: %d rows (photo | edges | drawing | mask) -> %s\n", npick, out);
    exit_code = ZT_EXIT_OK;
done:
    zt_image_free(&sheet);
    zt_dataset_deinit(&ds);
    zt_catmap_deinit(&map);
    return exit_code;
}
