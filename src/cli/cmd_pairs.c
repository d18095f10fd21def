/* cmd_pairs.c: `ztyle pairs`: options -> data/pairs_dir (a dataset ->
 * pix2pix "aligned" training pairs, hint layers and a manifest) -> a
 * summary line or JSON. */
#include "cli.h"
#include "../data/pairs_dir.h"
#include "../util/zt.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define CMD "pairs"

static void help(void)
{
    printf("usage: ztyle pairs --data SRC --out DIR [options]\n\n"
           "Writes aligned training pairs in the layout of the official pix2pix code\n"
           "(pytorch-CycleGAN-and-pix2pix, --dataset_mode aligned): DIR/train/<id>.png and\n"
           "DIR/val/<id>.png, each the drawing (A: edge map with the simulated colour hints\n"
           "painted on) beside the photo (B). DIR/hints/<split>/<id>.png holds the exact\n"
           "hint layer (RGBA, alpha = hint mask), DIR/manifest.jsonl one line per pair\n"
           "(id, split, category, class, source, files, seed), DIR/pairs.json the settings.\n"
           "Existing pairs are skipped, so a killed run resumes where it stopped.\n\n"
           "SRC is a folder tree <class>/<image> (train/ and validation/ subfolders are\n"
           "used as splits) or a CSV with columns path,category[,split].\n\n"
           "options:\n"
           "  --size N          output side, 256 (default) or 128\n"
           "  --method M        edge method: canny, xdog (default), dexined or teed\n"
           "  --weights W       DexiNed/TEED weights (.safetensors; see ztyle edges --help)\n"
           "  --style S         drawing: edges (default: the edge map + simulated hints),\n"
           "                    doodle (a human-like doodle on the photo's outline, with\n"
           "                    colour dabs) or mixed (half each, by the image's seed)\n"
           "  --seed S          run seed for the hints (default 1)\n"
           "  --catmap FILE     class -> category map (default: top = t-shirt, shirt,\n"
           "                    longsleeve, outwear; pants = pants, shorts; skirt; hat;\n"
           "                    dress; shoes)\n"
           "  --all-classes     also write classes the map leaves unmapped\n"
           "  --val-percent P   validation share when SRC has no split (default 10)\n"
           "  --limit N         at most N images (for a quick look)\n"
           "  --force           overwrite pairs made with other settings\n"
           "  --threads N       worker threads (default: $ZTYLE_THREADS, else all cores)\n"
           "  --json            print the summary as one JSON object\n");
}

int cmd_pairs(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'},    {"out", required_argument, 0, 'o'},
        {"size", required_argument, 0, 's'},    {"method", required_argument, 0, 'm'},
        {"seed", required_argument, 0, 'S'},    {"catmap", required_argument, 0, 'c'},
        {"all-classes", no_argument, 0, 'a'},   {"val-percent", required_argument, 0, 'v'},
        {"limit", required_argument, 0, 'l'},   {"force", no_argument, 0, 'f'},
        {"threads", required_argument, 0, 't'}, {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},          {"weights", required_argument, 0, 'W'},
        {"style", required_argument, 0, 'y'},
        {0, 0, 0, 0},
    };
    const char *threads = NULL;
    struct zt_pairs_dir_opts po = {.size = 256, .method = ZT_EDGE_XDOG, .seed = 1,
                                   .val_percent = 10, .limit = -1, .progress = stderr,
                                   .warn = {cli_warn, (void *)CMD}};
    long v;
    int as_json = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': help(); return ZT_EXIT_OK;
        case 'd': po.data = optarg; break;
        case 'o': po.out = optarg; break;
        case 's':
            if (cli_parse_int(optarg, 32, 1024, &v))
                return cli_usage_error(CMD, "--size: '%s' is not a size in 32..1024", optarg);
            po.size = (int)v;
            break;
        case 'm':
            if (zt_edge_method_parse(optarg, &po.method))
                return cli_usage_error(CMD, "--method: '%s' is not canny, xdog, dexined or teed", optarg);
            break;
        case 'W': po.weights = optarg; break;
        case 'y':
            if (zt_draw_style_parse(optarg, &po.style)) return cli_usage_error(CMD, "--%s", zt_errmsg());
            break;
        case 'S':
            if (cli_parse_int(optarg, 0, 2147483647L, &v))
                return cli_usage_error(CMD, "--seed: '%s' is not a non-negative integer", optarg);
            po.seed = (uint64_t)v;
            break;
        case 'c': po.catmap = optarg; break;
        case 'a': po.all_classes = 1; break;
        case 'v':
            if (cli_parse_int(optarg, 0, 100, &v))
                return cli_usage_error(CMD, "--val-percent: '%s' is not in 0..100", optarg);
            po.val_percent = (int)v;
            break;
        case 'l':
            if (cli_parse_int(optarg, 1, 100000000L, &po.limit))
                return cli_usage_error(CMD, "--limit: '%s' is not a positive integer", optarg);
            break;
        case 'f': po.force = 1; break;
        case 't':
            if (cli_opt_threads(CMD, optarg, &threads)) return ZT_EXIT_USAGE;
            break;
        case 'j': as_json = 1; break;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!po.data || !po.out) return cli_usage_error(CMD, "--data and --out are required");
    int neural = po.method == ZT_EDGE_DEXINED || po.method == ZT_EDGE_TEED;
    if (neural && !po.weights)
        return cli_usage_error(CMD, "--method %s needs --weights W.safetensors (the authors' "
                               "checkpoint converted with tools/convert_dexined.py; README, "
                               "'Neural edge detectors')", zt_edge_method_name(po.method));
    if (!neural && po.weights) return cli_usage_error(CMD, "--weights is for --method dexined or teed");
    po.threads = cli_threads(threads);
    struct zt_pairs_dir_stats st;
    if (zt_pairs_dir_write(&po, &st)) return cli_fail(CMD, "%s", zt_errmsg());
    double rate = st.seconds > 0 ? st.written / st.seconds : 0;
    if (as_json)
        printf("{\"pairs\": %d, \"written\": %ld, \"skipped\": %ld, \"failed\": %ld, "
               "\"seconds\": %.3f, \"images_per_s\": %.2f, \"threads\": %d}\n",
               st.pairs, st.written, st.skipped, st.failed, st.seconds, rate, po.threads);
    else
        printf("pairs: %d (written %ld, skipped %ld, failed %ld) in %.1f s, %.1f images/s on "
               "%d threads -> %s\n",
               st.pairs, st.written, st.skipped, st.failed, st.seconds, rate, po.threads, po.out);
    return st.failed ? ZT_EXIT_FAIL : ZT_EXIT_OK;
}
