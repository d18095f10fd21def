/* cmd_train.c: `ztyle train`: options -> data/train (pix2pix training,
 * checkpoints, --resume); SIGINT/SIGTERM ask it to checkpoint and stop. */
#include "cli.h"
#include "../data/dataset.h"
#include "../data/train.h"
#include "../nn/pix2pix_train.h"
#include "../util/zt.h"

#include <getopt.h>
#include <omp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define CMD "train"

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { stop_requested = sig; }

static void help(void)
{
    printf("usage: ztyle train --data SRC --out RUNDIR [options]\n\n"
           "Trains the pix2pix sketch-to-photo model (U-Net generator + PatchGAN) on the\n"
           "photos of SRC (a folder tree <class>/<image> with train/ and validation/, or a\n"
           "CSV path,category[,split]). Edge maps are made once per photo; colour hints are\n"
           "simulated anew for every batch; augmentation: random crop from the load size\n"
           "and horizontal flip. SRC may also be a `ztyle pairs` output folder: then its\n"
           "drawings, photos and (fixed) hints are used as written.\n"
           "RUNDIR gets run.json (settings), log.csv (losses per\n"
           "window), ckpt/latest.safetensors (training state, written every --save-every\n"
           "epochs and on Ctrl-C / SIGTERM) and ckpt/gen_epoch_NNN.safetensors (generator\n"
           "files for `ztyle eval` / `ztyle generate`).\n\n"
           "model:\n"
           "  --size N          crop size: 128 (default, unet_128) or 256 (unet_256)\n"
           "  --load N          load size before the random crop (default size*286/256)\n"
           "  --ngf N           generator width (default 32)      --ndf N  D width (64)\n"
           "  --norm batch|instance   (default batch)          --no-dropout\n"
           "  --category C      one model for category C (top, pants, skirt, hat, dress,\n"
           "                    shoes); default: one category-conditioned model for all\n"
           "                    of them (top = t-shirt, shirt, longsleeve, outwear;\n"
           "                    pants = pants, shorts)\n"
           "  --method M        edge method for the drawings: xdog (default) or canny\n"
           "  --upsample resize|deconv  decoder upsampling: nearest x2 + 3x3 conv (default;\n"
           "                    no checkerboard) or the official transposed conv\n"
           "  --inputs shopper|classic  drawings and hints per sample: shopper (default):\n"
           "                    edge maps with simulated hints, edge maps with doodle dabs\n"
           "                    and aligned doodles with dabs; classic: edge maps with\n"
           "                    simulated hints only\n"
           "  --background white|photo  targets: the photo on white where its garment mask\n"
           "                    is trusted (default; a clean preview) or the photo as is\n"
           "  --mask grabcut|border  garment masks (white targets, doodles, hints): GrabCut\n"
           "                    (default) or the border-colour heuristic alone (runs\n"
           "                    from before December 2026)\n"
           "training:\n"
           "  --batch N         batch size (default 8)\n"
           "  --epochs N        epochs at the constant learning rate (default 50)\n"
           "  --epochs-decay N  epochs of linear decay to zero after that (default 50)\n"
           "  --lr X            Adam learning rate (default 2e-4; betas 0.5, 0.999)\n"
           "  --gan vanilla|lsgan   GAN loss (default vanilla)  --lambda-l1 X (default 100)\n"
           "  --chroma X        weight of an L1 on the chroma (YCbCr Cb, Cr) near the\n"
           "                    hints, beside the L1 (default 0: off)\n"
           "  --save-every N    checkpoint every N epochs (default 5)\n"
           "  --max-steps N     stop (with a checkpoint) after N steps in this invocation\n"
           "  --log-every N     steps per log.csv window (default 20)\n"
           "  --seed S          seed of init, order, crops, hints, dropout (default 1)\n"
           "  --resume          continue RUNDIR from ckpt/latest.safetensors\n"
           "  --init G.safetensors  start the generator from a generator file (e.g. the\n"
           "                    shipped model) instead of random weights; D starts afresh;\n"
           "                    a deconv generator into a resize run is projected onto it\n"
           "  --threads N       threads (default: $ZTYLE_THREADS, else all cores)\n"
           "  --device D        cpu (default) or cuda (builds made with `make CUDA=1`);\n"
           "                    checkpoints are the same: --resume may switch device\n");
}

static int parse(int argc, char **argv, struct zt_train_opts *o)
{
    static const struct option lo[] = {
        {"data", required_argument, 0, 'd'},       {"out", required_argument, 0, 'o'},
        {"size", required_argument, 0, 's'},       {"load", required_argument, 0, 'L'},
        {"ngf", required_argument, 0, 'g'},        {"ndf", required_argument, 0, 'D'},
        {"norm", required_argument, 0, 'n'},       {"no-dropout", no_argument, 0, 'x'},
        {"category", required_argument, 0, 'c'},   {"method", required_argument, 0, 'm'},
        {"batch", required_argument, 0, 'b'},      {"epochs", required_argument, 0, 'e'},
        {"epochs-decay", required_argument, 0, 'E'}, {"lr", required_argument, 0, 'r'},
        {"gan", required_argument, 0, 'G'},        {"lambda-l1", required_argument, 0, 'l'},
        {"save-every", required_argument, 0, 'v'}, {"max-steps", required_argument, 0, 'M'},
        {"log-every", required_argument, 0, 'w'},  {"seed", required_argument, 0, 'S'},
        {"resume", no_argument, 0, 'R'},           {"threads", required_argument, 0, 't'},
        {"init", required_argument, 0, 'I'},      {"upsample", required_argument, 0, 'U'},
        {"inputs", required_argument, 0, 'P'},    {"background", required_argument, 0, 'K'},
        {"device", required_argument, 0, 'V'},    {"mask", required_argument, 0, 'k'},
        {"chroma", required_argument, 0, 'C'},    {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    *o = (struct zt_train_opts){.size = 128, .ngf = 32, .ndf = 64, .batch = 8, .epochs = 50, .decay = 50,
                       .save_every = 5, .max_steps = -1, .log_every = 20, .seed = 1, .lr = 2e-4,
                       .lambda = 100, .norm = ZT_NORM_BATCH, .dropout = 1, .gan = ZT_GAN_VANILLA,
                       .method = ZT_EDGE_XDOG, .upsample = ZT_UP_RESIZE, .shopper = 1, .white_bg = 1,
                       .grabcut = 1};
    const char *threads = NULL;
    long v;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'h': help(); return -1;
        case 'd': o->data = optarg; break;
        case 'o': o->out = optarg; break;
#define INTOPT(ch, field, lo_, hi_, name)                                                     \
    case ch:                                                                                  \
        if (cli_parse_int(optarg, lo_, hi_, &v))                                              \
            return cli_usage_error(CMD, "--" name ": '%s' is not in %ld..%ld", optarg,        \
                                   (long)(lo_), (long)(hi_));                                 \
        o->field = v;                                                                         \
        break;
        INTOPT('s', size, 32, 512, "size")
        INTOPT('L', load, 32, 1024, "load")
        INTOPT('g', ngf, 1, 256, "ngf")
        INTOPT('D', ndf, 1, 256, "ndf")
        INTOPT('b', batch, 1, 256, "batch")
        INTOPT('e', epochs, 0, 100000, "epochs")
        INTOPT('E', decay, 0, 100000, "epochs-decay")
        INTOPT('v', save_every, 1, 100000, "save-every")
        INTOPT('M', max_steps, 1, 1000000000L, "max-steps")
        INTOPT('w', log_every, 1, 1000000, "log-every")
        INTOPT('S', seed, 0, 2147483647L, "seed")
#undef INTOPT
        case 'n':
            if (!strcmp(optarg, "batch")) o->norm = ZT_NORM_BATCH;
            else if (!strcmp(optarg, "instance")) o->norm = ZT_NORM_INSTANCE;
            else return cli_usage_error(CMD, "--norm: '%s' is not batch or instance", optarg);
            break;
        case 'x': o->dropout = 0; break;
        case 'c': o->category = optarg; break;
        case 'm':
            if (zt_edge_method_parse(optarg, &o->method) || o->method > ZT_EDGE_XDOG)
                return cli_usage_error(CMD, "--method: '%s' is not xdog or canny", optarg);
            break;
        case 'r':
            if (cli_parse_double(optarg, 1e-8, 1.0, &o->lr))
                return cli_usage_error(CMD, "--lr: '%s' is not in 1e-8..1", optarg);
            break;
        case 'l':
            if (cli_parse_double(optarg, 0, 1e6, &o->lambda))
                return cli_usage_error(CMD, "--lambda-l1: '%s' is not a number >= 0", optarg);
            break;
        case 'C':
            if (cli_parse_double(optarg, 0, 1e6, &o->chroma))
                return cli_usage_error(CMD, "--chroma: '%s' is not a number >= 0", optarg);
            break;
        case 'k':
            if (!strcmp(optarg, "grabcut") || !strcmp(optarg, "border"))
                o->grabcut = !strcmp(optarg, "grabcut");
            else
                return cli_usage_error(CMD, "--mask: '%s' is not grabcut or border", optarg);
            break;
        case 'G':
            if (!strcmp(optarg, "vanilla")) o->gan = ZT_GAN_VANILLA;
            else if (!strcmp(optarg, "lsgan")) o->gan = ZT_GAN_LSGAN;
            else return cli_usage_error(CMD, "--gan: '%s' is not vanilla or lsgan", optarg);
            break;
        case 'R': o->resume = 1; break;
        case 'I': o->init = optarg; break;
        case 'U':
            if (!strcmp(optarg, "resize")) o->upsample = ZT_UP_RESIZE;
            else if (!strcmp(optarg, "deconv")) o->upsample = ZT_UP_DECONV;
            else return cli_usage_error(CMD, "--upsample: '%s' is not resize or deconv", optarg);
            break;
        case 'P':
            if (!strcmp(optarg, "shopper")) o->shopper = 1;
            else if (!strcmp(optarg, "classic")) o->shopper = 0;
            else return cli_usage_error(CMD, "--inputs: '%s' is not shopper or classic", optarg);
            break;
        case 'K':
            if (!strcmp(optarg, "white")) o->white_bg = 1;
            else if (!strcmp(optarg, "photo")) o->white_bg = 0;
            else return cli_usage_error(CMD, "--background: '%s' is not white or photo", optarg);
            break;
        case 't':
            if (cli_opt_threads(CMD, optarg, &threads)) return ZT_EXIT_USAGE;
            break;
        case 'V':
            if (cli_opt_device(CMD, optarg, &o->backend)) return ZT_EXIT_USAGE;
            break;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o->data || !o->out) return cli_usage_error(CMD, "--data and --out are required");
    if (o->init && o->resume)
        return cli_usage_error(CMD, "--init starts a new run; --resume continues one");
    int div = o->size >= 256 ? 256 : 128;
    if (o->size != 128 && o->size != 256)
        return cli_usage_error(CMD, "--size: %ld; the U-Nets take 128 or 256", o->size);
    (void)div;
    if (!o->load) o->load = (o->size * 286 + 128) / 256;
    if (o->load < o->size) return cli_usage_error(CMD, "--load must be >= --size");
    o->nthreads = cli_threads(threads);
    return 0;
}

static void note(void *ctx, const char *msg) { fprintf(stderr, "train: %s\n", msg); }

int cmd_train(int argc, char **argv)
{
    struct zt_train_opts o;
    int prc = parse(argc, argv, &o);
    if (prc) return prc < 0 ? ZT_EXIT_OK : prc;
    if (o.category) { /* a usage error, before any work */
        struct zt_catmap map;
        char names[ZT_MAX_CATEGORIES * 34];
        if (zt_catmap_default(&map)) return cli_fail(CMD, "%s", zt_errmsg());
        int known = zt_catmap_category(&map, o.category) >= 0;
        zt_catmap_names(&map, names, sizeof names);
        zt_catmap_deinit(&map);
        if (!known) return cli_usage_error(CMD, "--category: '%s' is not one of %s", o.category, names);
    }
    /* library kernels pass their thread count explicitly; this caps what
     * oneDNN's own helper regions take on this thread */
    omp_set_num_threads(o.nthreads);
    o.progress = stderr;
    o.warn = (struct zt_warn){cli_warn, (void *)CMD};
    o.note = (struct zt_warn){note, NULL};
    o.stop = &stop_requested;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct zt_train_result r;
    if (zt_train_run(&o, &r)) return cli_fail(CMD, "%s", zt_errmsg());
    if (r.stopped) {
        fprintf(stderr, "train: %s after %lld steps; saved %s/ckpt/latest.safetensors "
                        "(epoch %d, iteration %d); continue with --resume\n",
                r.stopped == ZT_TRAIN_SIGNALLED ? "interrupted" : "stopped", (long long)r.steps,
                o.out, r.epoch, r.iter);
        return r.stopped == ZT_TRAIN_SIGNALLED ? 130 : ZT_EXIT_OK;
    }
    printf("train: %lld steps in %.1f s (%.2f images/s); generator files in %s/ckpt\n",
           (long long)r.steps, r.seconds, r.seconds > 0 ? r.steps * o.batch / r.seconds : 0,
           o.out);
    return ZT_EXIT_OK;
}
