/* cmd_train_embed.c: `ztyle train-embed`: trains the search embedding
 * (catalog/embed_train.h) on a photo dataset. */
#include "cli.h"
#include "../catalog/embed_train.h"
#include "../data/dataset.h"
#include "../nn/embed.h"
#include "../util/zt.h"

#include <getopt.h>
#include <string.h>

#define CMD "train-embed"

static void help(void)
{
    printf("usage: ztyle train-embed [--data D] [--out F] [options]\n\n"
           "Trains the search embedding: a drawing tower and a photo tower mapped into one\n"
           "vector space, with a category head (the dataset's classes + \"none\"). Drawings\n"
           "are rendered afresh every step (edge maps with hints, and doodles traced from\n"
           "GrabCut garment masks). After every epoch the BatchNorm statistics are\n"
           "re-estimated, the model is saved to F.last and scored on the validation split;\n"
           "the best epoch (doodles' and edge maps' category accuracy and R@10, and the\n"
           "category accuracy on garments drawn from memory) is kept in F, and at the end\n"
           "its category confidences are calibrated on validation.\n\n"
           "options:\n"
           "  --data D       dataset with train/ and validation/ (default $ZTYLE_DATASET or\n"
           "                 " ZT_DATASET_DEFAULT ")\n"
           "  --out F        model file (default " ZT_EMBED_DEFAULT ")\n"
           "  --init F       start from this model's weights\n"
           "  --epochs N     (default 12)\n"
           "  --batch N      drawing/photo pairs per step (default 48)\n"
           "  --neg N        non-garment drawings per step (default 8)\n"
           "  --shapes N     drawings per step of garments as people draw them from\n"
           "                 memory (front views, a shoe from the side; random shapes of\n"
           "                 each class), for the category head (default 0; at most\n"
           "                 4 x --batch)\n"
           "  --lr X         peak learning rate (default 0.002)\n"
           "  --width N      first layer's channels (default 32)\n"
           "  --drawing-width N  the drawing tower's, when it differs; with --init, a\n"
           "                 wider drawing tower grown from the init's (what it computes\n"
           "                 kept; with --freeze-photo, catalogues stay valid)\n"
           "  --style S      edges, doodle or mixed (default mixed)\n"
           "  --frame F      drawings framed on their ink, the garment filling F of the\n"
           "                 side (default 0.65; 0: the whole canvas, as older models)\n"
           "  --balance P    classes drawn more evenly: a class of n photos (n_max / n)^P\n"
           "                 times as often each epoch (default 0: every photo once;\n"
           "                 1: every class equally)\n"
           "  --doodle-agree X  doodles only from training masks (GrabCut's) whose IoU\n"
           "                 with the border heuristic's mask reaches X (default 0: all);\n"
           "                 the rest get edge drawings (a mask the two disagree on often\n"
           "                 missed the garment)\n"
           "  --freeze-photo only the drawing tower learns (needs --init): the photo tower\n"
           "                 stays the init's, so catalogues it embedded need no re-ingest\n"
           "  --seed N       (default 1)\n"
           "  --threads N    (default: all cores)\n");
}

static void log_line(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

int cmd_train_embed(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'},   {"out", required_argument, 0, 'o'},
        {"init", required_argument, 0, 'i'},   {"epochs", required_argument, 0, 'e'},
        {"batch", required_argument, 0, 'b'},  {"neg", required_argument, 0, 'n'},
        {"lr", required_argument, 0, 'l'},     {"width", required_argument, 0, 'w'},
        {"style", required_argument, 0, 'y'},  {"seed", required_argument, 0, 's'},
        {"threads", required_argument, 0, 't'}, {"frame", required_argument, 0, 'f'},
        {"balance", required_argument, 0, 'B'}, {"freeze-photo", no_argument, 0, 'F'},
        {"drawing-width", required_argument, 0, 'W'}, {"doodle-agree", required_argument, 0, 'G'},
        {"shapes", required_argument, 0, 'S'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct zt_embed_train_opts o;
    zt_embed_train_opts_default(&o);
    o.data = zt_dataset_default();
    o.out = ZT_EMBED_DEFAULT;
    const char *threads = NULL;
    long v;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': help(); return ZT_EXIT_OK;
        case 'd': o.data = optarg; break;
        case 'o': o.out = optarg; break;
        case 'i': o.init = optarg; break;
        case 'e':
            if (cli_parse_int(optarg, 1, 1000, &v)) return cli_usage_error(CMD, "--epochs: '%s' is not in 1..1000", optarg);
            o.epochs = (int)v;
            break;
        case 'b':
            if (cli_parse_int(optarg, 4, 1024, &v)) return cli_usage_error(CMD, "--batch: '%s' is not in 4..1024", optarg);
            o.batch = (int)v;
            break;
        case 'n':
            if (cli_parse_int(optarg, 0, 1024, &v)) return cli_usage_error(CMD, "--neg: '%s' is not in 0..1024", optarg);
            o.neg = (int)v;
            break;
        case 'S':
            if (cli_parse_int(optarg, 0, 1024, &v)) return cli_usage_error(CMD, "--shapes: '%s' is not in 0..1024", optarg);
            o.shapes = (int)v;
            break;
        case 'l':
            if (cli_parse_double(optarg, 1e-6, 1, &o.lr)) return cli_usage_error(CMD, "--lr: '%s' is not in 1e-6..1", optarg);
            break;
        case 'w':
            if (cli_parse_int(optarg, 4, 256, &v)) return cli_usage_error(CMD, "--width: '%s' is not in 4..256", optarg);
            o.width = (int)v;
            break;
        case 'y':
            if (zt_draw_style_parse(optarg, &o.style)) return cli_usage_error(CMD, "--%s", zt_errmsg());
            break;
        case 's':
            if (cli_parse_int(optarg, 0, 2147483647L, &v)) return cli_usage_error(CMD, "--seed: '%s' is not a non-negative integer", optarg);
            o.seed = (uint64_t)v;
            break;
        case 't': threads = optarg; break;
        case 'B':
            if (cli_parse_double(optarg, 0, 1, &o.balance))
                return cli_usage_error(CMD, "--balance: '%s' is not in 0..1", optarg);
            break;
        case 'F': o.freeze_photo = 1; break;
        case 'G':
            if (cli_parse_double(optarg, 0, 1, &o.doodle_agree))
                return cli_usage_error(CMD, "--doodle-agree: '%s' is not in 0..1", optarg);
            break;
        case 'W':
            if (cli_parse_int(optarg, 4, 256, &v)) return cli_usage_error(CMD, "--drawing-width: '%s' is not in 4..256", optarg);
            o.drawing_width = (int)v;
            break;
        case 'f':
            if (cli_parse_double(optarg, 0, 1, &o.frame) || (o.frame > 0 && o.frame < 0.1))
                return cli_usage_error(CMD, "--frame: '%s' is not 0 or in 0.1..1", optarg);
            break;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (o.shapes > 4 * o.batch)
        return cli_usage_error(CMD, "--shapes: at most 4 x --batch (%d)", 4 * o.batch);
    if (o.freeze_photo && !o.init) return cli_usage_error(CMD, "--freeze-photo needs --init");
    if ((o.threads = cli_threads(threads)) <= 0) return cli_usage_error(CMD, "--threads: '%s' is not valid", threads);
    o.log = (struct zt_warn){log_line, NULL};
    o.progress = stderr;
    if (zt_embed_train(&o)) return cli_fail(CMD, "%s", zt_errmsg());
    printf("train-embed: model -> %s\n", o.out);
    return ZT_EXIT_OK;
}
