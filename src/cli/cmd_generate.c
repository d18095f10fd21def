/* cmd_generate.c: `ztyle generate`: drawing(s) -> photo-like image(s) with a
 * generator file; one drawing, or every drawing of a folder. */
#include "cli.h"
#include "../catalog/search.h"
#include "../data/drawing.h"
#include "../img/image.h"
#include "../core/engine.h"
#include "../nn/generator.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <dirent.h>
#include <getopt.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define CMD "generate"

static void help(void)
{
    printf("usage: ztyle generate [--model M] [--category C] --sketch LINES.png [--hints HINTS.png] OUT.png\n"
           "       ztyle generate [--model M] [--category C] --sketch DIR OUTDIR\n\n"
           "Turns a drawing into a photo-like garment with a pix2pix generator file.\n"
           "The drawing is either one flattened image (black lines and coloured marks on\n"
           "white; rule: saturated pixels are colour hints, dark grey/black pixels are lines,\n"
           "near-white is paper) or, with --hints, a lines image plus an RGBA hints layer\n"
           "whose alpha marks hint pixels (so black hints are possible). Any size: it is\n"
           "padded to a square and reduced to the model's size. In the folder form every\n"
           "*.png of DIR except *.hints.png is a drawing, with NAME.hints.png as its hints\n"
           "layer when present; outputs are OUTDIR/NAME.png.\n\n"
           "options:\n"
           "  --model M      generator file (default $ZTYLE_MODEL, else " ZT_MODEL_DEFAULT ")\n"
           "  --category C   a category of the model (the shipped one: top, pants, skirt,\n"
           "                 hat, dress, shoes), a class (outwear: its category's) or\n"
           "                 auto (default: the model's first category; it never\n"
           "                 trained without one)\n"
           "  --official     the official pix2pix test-time behaviour: batch statistics and\n"
           "                 dropout on (default: inference mode, running statistics)\n"
           "  --seed S       dropout seed for --official (default 1)\n"
           "  --raw          the network's output alone: without moving its colours onto\n"
           "                 the hints' (what serve and search show)\n"
           "  --threads N    threads (default: $ZTYLE_THREADS, else all cores)\n"
           "  --device D     cpu (default) or cuda (builds made with `make CUDA=1`)\n");
}

static int load_opt(const char *path, struct zt_image *im)
{
    struct zt_image_limits lim = ZT_IMAGE_LIMITS_DEFAULT;
    return zt_image_load(path, 0, &lim, im);
}

static int one(struct zt_generator *g, const char *sketch, const char *hints, int cat,
               enum zt_gen_mode mode, uint64_t seed, const char *out)
{
    struct zt_image lines = {0}, hl = {0}, res = {0};
    struct zt_planes pl = {0};
    int rc = load_opt(sketch, &lines);
    if (!rc && hints) rc = load_opt(hints, &hl);
    if (!rc && hints && hl.c != 4) {
        zt_seterr("%s: the hints layer must be RGBA (alpha marks hint pixels)", hints);
        rc = ZT_EINVAL;
    }
    if (!rc && hints && (hl.w != lines.w || hl.h != lines.h)) {
        zt_seterr("%s is %dx%d but %s is %dx%d", hints, hl.w, hl.h, sketch, lines.w, lines.h);
        rc = ZT_EINVAL;
    }
    if (!rc) rc = zt_drawing_planes(&lines, hints ? &hl : NULL, zt_generator_info(g)->size, ZT_GEN_FRAME, &pl);
    if (!rc) rc = zt_generator_run(g, &pl.edges, &pl.hint_rgb, &pl.hint_mask, cat, mode, seed, &res);
    if (!rc) rc = zt_image_save(&res, out);
    zt_image_free(&lines);
    zt_image_free(&hl);
    zt_image_free(&res);
    zt_planes_deinit(&pl);
    return rc;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcasecmp(s + a - b, suf);
}

int cmd_generate(int argc, char **argv)
{
    static const struct option lo[] = {
        {"model", required_argument, 0, 'm'},  {"category", required_argument, 0, 'c'},
        {"sketch", required_argument, 0, 's'}, {"hints", required_argument, 0, 'H'},
        {"official", no_argument, 0, 'O'},     {"seed", required_argument, 0, 'S'},
        {"threads", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'},
        {"raw", no_argument, 0, 'r'},           {"device", required_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    int backend = ZT_BACKEND_CPU;
    const char *model = getenv("ZTYLE_MODEL"), *category = NULL, *sketch = NULL, *hints = NULL,
               *threads = NULL;
    if (!model || !*model) model = ZT_MODEL_DEFAULT;
    enum zt_gen_mode mode = ZT_GEN_EVAL;
    long seed = 1;
    int raw = 0;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'h': help(); return ZT_EXIT_OK;
        case 'm': model = optarg; break;
        case 'c': category = optarg; break;
        case 's': sketch = optarg; break;
        case 'H': hints = optarg; break;
        case 'O': mode = ZT_GEN_OFFICIAL; break;
        case 'r': raw = 1; break;
        case 'S':
            if (cli_parse_int(optarg, 0, 2147483647L, &seed))
                return cli_usage_error(CMD, "--seed: '%s' is not a non-negative integer", optarg);
            break;
        case 't':
            if (cli_opt_threads(CMD, optarg, &threads)) return ZT_EXIT_USAGE;
            break;
        case 'V':
            if (cli_opt_device(CMD, optarg, &backend)) return ZT_EXIT_USAGE;
            break;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!sketch) return cli_usage_error(CMD, "--sketch is required");
    if (optind != argc - 1) return cli_usage_error(CMD, "give exactly one output path");
    const char *out = argv[optind];
    int folder = zt_is_dir(sketch);
    if (folder && hints) return cli_usage_error(CMD, "--hints goes with a single --sketch file");
    int nth = cli_threads(threads);
    omp_set_num_threads(nth);
    if (!zt_file_exists(model))
        return cli_fail(CMD, "%s: no such model file; train one with `ztyle train` or give "
                             "--model", model);
    struct zt_generator *g = zt_generator_open_on(model, nth, backend);
    if (!g) return cli_fail(CMD, "%s", zt_errmsg());
    zt_generator_set_raw(g, raw);
    int cat = -1;
    if (category && strcmp(category, "auto")) {
        cat = zt_search_gen_plane(g, category);
        if (cat < 0) {
            int ncat = zt_generator_info(g)->ncat;
            zt_generator_close(g);
            return cli_usage_error(CMD, "--category: '%s' is not a category of this model%s",
                                   category, ncat ? "" : " (it has none)");
        }
    }
    int exit_code = ZT_EXIT_OK;
    if (!folder) {
        if (one(g, sketch, hints, cat, mode, (uint64_t)seed, out))
            exit_code = cli_fail(CMD, "%s", zt_errmsg());
        zt_generator_close(g);
        return exit_code;
    }
    if (zt_mkdirs(out)) {
        zt_generator_close(g);
        return cli_fail(CMD, "%s", zt_errmsg());
    }
    DIR *d = opendir(sketch);
    if (!d) {
        zt_generator_close(g);
        return cli_fail(CMD, "%s: cannot open folder", sketch);
    }
    struct dirent *e;
    int n = 0, failed = 0;
    while ((e = readdir(d))) {
        if (!ends_with(e->d_name, ".png") || ends_with(e->d_name, ".hints.png")) continue;
        char in[4096], hp[4096], op[4096], stem[1024];
        snprintf(stem, sizeof stem, "%.*s", (int)(strlen(e->d_name) - 4), e->d_name);
        snprintf(in, sizeof in, "%s/%s", sketch, e->d_name);
        snprintf(hp, sizeof hp, "%s/%s.hints.png", sketch, stem);
        snprintf(op, sizeof op, "%s/%s.png", out, stem);
        if (one(g, in, zt_file_exists(hp) ? hp : NULL, cat, mode, (uint64_t)seed, op)) {
            fprintf(stderr, "ztyle generate: %s\n", zt_errmsg());
            failed++;
        }
        n++;
    }
    closedir(d);
    zt_generator_close(g);
    printf("generate: %d drawings, %d failed -> %s\n", n, failed, out);
    return failed ? ZT_EXIT_FAIL : ZT_EXIT_OK;
}
