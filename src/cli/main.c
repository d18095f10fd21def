/* main.c: `ztyle <subcommand> [options]`: dispatches through the command
 * table; `ztyle --help` lists it. One file per subcommand (cmd_*.c). */
#include "cli.h"
#include "../util/zt.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct zt_cmd commands[] = {
    /* one row per subcommand, alphabetical; the NULL row ends the table */
    {"catalog", cmd_catalog, "catalogue products: list, show, rm (operator view, --json)"},
    {"edges", cmd_edges, "photos -> line drawings (Canny/XDoG), one file or a folder tree"},
    {"eval", cmd_eval, "generator checkpoints on the validation split: SSIM, PSNR, matrix, report"},
    {"eval-search", cmd_eval_search, "search quality: Recall@k, mAP, category precision on drawings"},
    {"generate", cmd_generate, "drawing(s) -> photo-like image(s) with a generator file"},
    {"ingest", cmd_ingest, "product feed (CSV/JSONL) or photo folder -> catalogue, features, index"},
    {"pairs", cmd_pairs, "dataset -> pix2pix aligned training pairs (drawing | photo)"},
    {"search", cmd_search, "drawing or photo -> best matching products (scores, timings)"},
    {"serve", cmd_serve, "the web app and JSON API: draw, preview, search (demo catalogue by default)"},
    {"sheet", cmd_sheet, "contact sheet PNG: photo | edges | drawing | mask for a few images"},
    {"ssim", cmd_ssim, "SSIM (gray, RGB) and PSNR of two same-size images"},
    {"train-embed", cmd_train_embed, "train the search embedding (drawings and photos in one space)"},
    {"train", cmd_train, "train the pix2pix sketch-to-photo model (resumable)"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: ztyle <command> [options]\n"
               "       ztyle <command> --help\n"
               "       ztyle --version\n\n"
               "Ztyle turns a drawing of a garment into a photo-like image and finds\n"
               "matching products.\n\ncommands:\n");
    for (size_t i = 0; commands[i].name; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nParallel commands take --threads N (default: $ZTYLE_THREADS, else all cores).\n"
               "Exit status: 0 ok, 1 failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
    /* OpenMP workers spin between parallel regions by default; on a busy
     * machine (a server, or cores shared with other work) the spinning
     * steals the cores the work needs: a training step ran 2x slower here.
     * libgomp reads OMP_WAIT_POLICY when it loads, before main, so set it
     * and re-execute once. OMP_WAIT_POLICY=active in the environment wins. */
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "passive", 1);
        execv("/proc/self/exe", argv);
        /* exec failed: go on with the default policy */
    }
    if (argc < 2) {
        usage(stderr);
        return ZT_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return ZT_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("ztyle %s\n", ZT_VERSION);
        return ZT_EXIT_OK;
    }
    for (size_t i = 0; commands[i].name; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "ztyle: unknown command '%s'\nTry 'ztyle --help'.\n", argv[1]);
    return ZT_EXIT_USAGE;
}
