/* cmd_eval.c: `ztyle eval`: options -> data/eval (generator checkpoints on
 * the validation split) -> a table or JSON, and optionally an HTML report. */
#include "cli.h"
#include "../data/dataset.h"
#include "../data/eval.h"
#include "../util/zt.h"

#include <getopt.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define CMD "eval"

static void help(void)
{
    printf("usage: ztyle eval (--run RUNDIR | --model M [--model M2 ...]) [options]\n\n"
           "Evaluates generator files on the validation split: for every checkpoint of a\n"
           "training run (RUNDIR/ckpt/gen_epoch_*.safetensors) or the given models, SSIM\n"
           "(scikit-image defaults: 7x7 window; gray and RGB), PSNR and L1 between the\n"
           "generated and the original photo, with N fixed-seed hints per drawing and with\n"
           "none, per category and overall; colour fidelity as CIEDE2000: hint dE between\n"
           "each hint's colour and the generated pixel under it, garment dE between the\n"
           "garment's mean colour generated and in the photo. Picks the best checkpoint by\n"
           "score = gray SSIM with hints - 0.01 x (garment dE + hint dE), and for it fills\n"
           "a cross-category matrix (true category x conditioning category, or x model\n"
           "when several per-category models are given).\n\n"
           "options:\n"
           "  --data SRC       dataset (default $ZTYLE_DATASET, else ../shared/datasets/clothing-small)\n"
           "  --hints N        hints per drawing in the hinted protocol (default 10)\n"
           "  --seed S         hint seed (default 1)\n"
           "  --style edges|doodle  drawings: the photo's edge map with simulated hints\n"
           "                   (default), or an aligned doodle with colour dabs (the\n"
           "                   drawings shoppers make)\n"
           "  --background photo|white  targets: the photos (default) or the photos on white\n"
           "                   where the garment mask is trusted (`train --background white`)\n"
           "  --raw            the network's output alone, without moving it onto the hint\n"
           "                   colours (what serve and generate do)\n"
           "  --limit N        at most N validation images (default all)\n"
           "  --report F.html  write an HTML report (images beside it in F_files/)\n"
           "  --json           print one JSON object\n"
           "  --threads N      threads (default: $ZTYLE_THREADS, else all cores)\n");
}

static void note(void *ctx, const char *msg) { fprintf(stderr, "eval: %s\n", msg); }

int cmd_eval(int argc, char **argv)
{
    static const struct option lo[] = {
        {"run", required_argument, 0, 'r'},    {"model", required_argument, 0, 'm'},
        {"data", required_argument, 0, 'd'},   {"hints", required_argument, 0, 'H'},
        {"seed", required_argument, 0, 'S'},   {"limit", required_argument, 0, 'l'},
        {"report", required_argument, 0, 'R'}, {"json", no_argument, 0, 'j'},
        {"threads", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'},
        {"style", required_argument, 0, 'y'},  {"background", required_argument, 0, 'b'},
        {"raw", no_argument, 0, 'w'},
        {0, 0, 0, 0},
    };
    const char *report = NULL, *threads = NULL, *models[ZT_EVAL_MAX_MODELS];
    struct zt_eval_opts eo = {.data = zt_dataset_default(), .models = models, .hints = 10,
                              .seed = 1, .limit = -1, .warn = {cli_warn, (void *)CMD},
                              .note = {note, NULL}};
    int as_json = 0, c;
    long v;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'h': help(); return ZT_EXIT_OK;
        case 'r': eo.run = optarg; break;
        case 'm':
            if (eo.nmodels < ZT_EVAL_MAX_MODELS) models[eo.nmodels++] = optarg;
            break;
        case 'd': eo.data = optarg; break;
        case 'H':
            if (cli_parse_int(optarg, 1, 1000, &v))
                return cli_usage_error(CMD, "--hints: '%s' is not in 1..1000", optarg);
            eo.hints = (int)v;
            break;
        case 'S':
            if (cli_parse_int(optarg, 0, 2147483647L, &v))
                return cli_usage_error(CMD, "--seed: '%s' is not a non-negative integer", optarg);
            eo.seed = (uint64_t)v;
            break;
        case 'l':
            if (cli_parse_int(optarg, 1, 100000000L, &eo.limit))
                return cli_usage_error(CMD, "--limit: '%s' is not a positive integer", optarg);
            break;
        case 'R': report = optarg; break;
        case 'j': as_json = 1; break;
        case 'y':
            if (!strcmp(optarg, "edges")) eo.doodles = 0;
            else if (!strcmp(optarg, "doodle")) eo.doodles = 1;
            else return cli_usage_error(CMD, "--style: '%s' is not edges or doodle", optarg);
            break;
        case 'b':
            if (!strcmp(optarg, "photo")) eo.white_bg = 0;
            else if (!strcmp(optarg, "white")) eo.white_bg = 1;
            else return cli_usage_error(CMD, "--background: '%s' is not photo or white", optarg);
            break;
        case 'w': eo.raw = 1; break;
        case 't':
            if (cli_opt_threads(CMD, optarg, &threads)) return ZT_EXIT_USAGE;
            break;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc || (!eo.run && !eo.nmodels) || (eo.run && eo.nmodels))
        return cli_usage_error(CMD, "give --run RUNDIR or one or more --model M");
    eo.threads = cli_threads(threads);
    omp_set_num_threads(eo.threads);
    eo.samples = report != NULL;
    eo.progress = as_json ? NULL : stderr;
    struct zt_eval *e = NULL;
    int rc = zt_eval_run(&eo, &e);
    if (!rc) {
        if (as_json) cli_print_json(zt_eval_json(e));
        else zt_eval_write_text(e, stdout);
        rc = report ? zt_eval_write_html(e, report) : ZT_OK;
        if (!rc && report && !as_json) printf("report: %s\n", report);
    }
    zt_eval_free(e);
    return rc ? cli_fail(CMD, "%s", zt_errmsg()) : ZT_EXIT_OK;
}
