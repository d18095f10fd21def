/* cmd_pairs.c: `ztyle pairs`: a dataset -> pix2pix "aligned" training pairs
 * (drawing | photo PNGs under train/ and val/), RGBA hint layers beside them
 * and a JSONL manifest. Parallel, resumable, never leaves half files. */
#include "cli.h"
#include "../data/dataset.h"
#include "../data/pairs.h"
#include "../core/engine.h"
#include "../img/edges_net.h"
#include "../util/buf.h"
#include "../util/parallel.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <getopt.h>
#include <jansson.h>
#include <stdatomic.h>
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
           "  --seed S          run seed for the hints (default 1)\n"
           "  --catmap FILE     class -> category map (default: top = t-shirt, shirt,\n"
           "                    longsleeve; pants; skirt; hat)\n"
           "  --all-classes     also write classes the map leaves unmapped\n"
           "  --val-percent P   validation share when SRC has no split (default 10)\n"
           "  --limit N         at most N images (for a quick look)\n"
           "  --force           overwrite pairs made with other settings\n"
           "  --threads N       worker threads (default: $ZTYLE_THREADS, else all cores)\n"
           "  --json            print the summary as one JSON object\n");
}

struct job {
    const struct zt_dataset *ds;
    const struct zt_catmap *map;
    int *pick; /* dataset indices to do */
    int n;
    const char *out;
    struct zt_pair_opts opts;
    uint64_t seed;
    struct zt_progress *prog;
    _Atomic long written, skipped, failed;
};

static const char *split_dir(int split) { return split == ZT_SPLIT_VAL ? "val" : "train"; }

static int do_one(void *ctx, int64_t k, int worker)
{
    struct job *j = ctx;
    const struct zt_sample *s = &j->ds->s[j->pick[k]];
    char ab_path[4096], hint_path[4096];
    snprintf(ab_path, sizeof ab_path, "%s/%s/%s.png", j->out, split_dir(s->split), s->id);
    snprintf(hint_path, sizeof hint_path, "%s/hints/%s/%s.png", j->out, split_dir(s->split),
             s->id);
    if (zt_file_exists(ab_path) && zt_file_exists(hint_path)) {
        atomic_fetch_add(&j->skipped, 1);
        zt_progress_add(j->prog, 1);
        return ZT_OK;
    }
    struct zt_pair p = {0};
    struct zt_image ab = {0}, layer = {0};
    int rc = zt_pair_make(s->path, &j->opts, zt_pair_seed(j->seed, s->id), &p);
    if (!rc) rc = zt_pair_ab(&p, &ab);
    if (!rc) rc = zt_pair_hint_layer(&p, &layer);
    /* the hint layer first: a pair counts as done only when the AB file exists */
    if (!rc) rc = zt_image_save(&layer, hint_path);
    if (!rc) rc = zt_image_save(&ab, ab_path);
    if (rc) {
        /* a bad photo is reported and skipped; the run goes on */
        fprintf(stderr, "\nztyle pairs: %s\n", zt_errmsg());
        atomic_fetch_add(&j->failed, 1);
    } else {
        atomic_fetch_add(&j->written, 1);
    }
    zt_pair_deinit(&p);
    zt_image_free(&ab);
    zt_image_free(&layer);
    zt_progress_add(j->prog, 1);
    return ZT_OK;
}

/* The settings that change the pixels; a resumed run must match them. */
static json_t *settings_json(const struct job *j, const char *data)
{
    return json_pack("{s:i, s:s, s:I, s:s, s:s}", "size", j->opts.size, "method",
                     zt_edge_method_name(j->opts.edge.method), "seed", (json_int_t)j->seed,
                     "data", data, "format", "aligned-AB: A = drawing (edges + hints), B = photo");
}

static int check_settings(const char *out, json_t *want, int force)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/pairs.json", out);
    if (zt_file_exists(path) && !force) {
        json_error_t err;
        json_t *have = json_load_file(path, 0, &err);
        if (!have) return cli_fail(CMD, "%s: %s (line %d); use --force to start over", path,
                                   err.text, err.line);
        int same = json_equal(json_object_get(have, "size"), json_object_get(want, "size")) &&
                   json_equal(json_object_get(have, "method"), json_object_get(want, "method")) &&
                   json_equal(json_object_get(have, "seed"), json_object_get(want, "seed"));
        json_decref(have);
        if (!same)
            return cli_fail(CMD, "%s: was made with other settings (size/method/seed); use "
                                 "another --out or --force", path);
    }
    char *text = json_dumps(want, JSON_INDENT(2) | JSON_SORT_KEYS);
    int rc = text ? zt_file_write_atomic(path, text, strlen(text)) : ZT_ENOMEM;
    free(text);
    if (rc) return cli_fail(CMD, "%s", zt_errmsg());
    return ZT_EXIT_OK;
}

static int write_manifest(const struct job *j)
{
    struct zt_buf b = {0};
    int rc = ZT_OK;
    for (int k = 0; k < j->n && !rc; k++) {
        const struct zt_sample *s = &j->ds->s[j->pick[k]];
        char ab[4200], hint[4200];
        snprintf(ab, sizeof ab, "%s/%s.png", split_dir(s->split), s->id);
        snprintf(hint, sizeof hint, "hints/%s/%s.png", split_dir(s->split), s->id);
        char path[8400];
        snprintf(path, sizeof path, "%s/%s", j->out, ab);
        if (!zt_file_exists(path)) continue; /* failed photos are not listed */
        char seedhex[24];
        snprintf(seedhex, sizeof seedhex, "%016llx",
                 (unsigned long long)zt_pair_seed(j->seed, s->id));
        json_t *o = json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s}", "id", s->id, "split",
                              split_dir(s->split), "category",
                              s->category >= 0 ? j->map->cat[s->category] : NULL, "class",
                              s->cls, "source", s->path, "file", ab, "hints_file", hint, "seed",
                              seedhex);
        char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
        rc = line ? zt_buf_printf(&b, "%s\n", line) : ZT_ENOMEM;
        free(line);
        json_decref(o);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.jsonl", j->out);
    if (!rc) rc = zt_file_write_atomic(path, b.data ? (char *)b.data : "", b.len);
    zt_buf_deinit(&b);
    return rc;
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
        {0, 0, 0, 0},
    };
    const char *data = NULL, *out = NULL, *catmap = NULL, *threads = NULL, *weights = NULL;
    struct zt_edgenet *net = NULL;
    long size = 256, seed = 1, valp = 10, limit = -1;
    int all = 0, force = 0, as_json = 0;
    enum zt_edge_method method = ZT_EDGE_XDOG;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': help(); return ZT_EXIT_OK;
        case 'd': data = optarg; break;
        case 'o': out = optarg; break;
        case 's':
            if (cli_parse_int(optarg, 32, 1024, &size))
                return cli_usage_error(CMD, "--size: '%s' is not a size in 32..1024", optarg);
            break;
        case 'm':
            if (zt_edge_method_parse(optarg, &method))
                return cli_usage_error(CMD, "--method: '%s' is not canny, xdog, dexined or teed", optarg);
            break;
        case 'W': weights = optarg; break;
        case 'S':
            if (cli_parse_int(optarg, 0, 2147483647L, &seed))
                return cli_usage_error(CMD, "--seed: '%s' is not a non-negative integer", optarg);
            break;
        case 'c': catmap = optarg; break;
        case 'a': all = 1; break;
        case 'v':
            if (cli_parse_int(optarg, 0, 100, &valp))
                return cli_usage_error(CMD, "--val-percent: '%s' is not in 0..100", optarg);
            break;
        case 'l':
            if (cli_parse_int(optarg, 1, 100000000L, &limit))
                return cli_usage_error(CMD, "--limit: '%s' is not a positive integer", optarg);
            break;
        case 'f': force = 1; break;
        case 't':
            threads = optarg;
            long tv;
            if (cli_parse_int(optarg, 1, 1024, &tv))
                return cli_usage_error(CMD, "--threads: '%s' is not in 1..1024", optarg);
            break;
        case 'j': as_json = 1; break;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!data || !out) return cli_usage_error(CMD, "--data and --out are required");
    int neural = method == ZT_EDGE_DEXINED || method == ZT_EDGE_TEED;
    if (neural && !weights)
        return cli_usage_error(CMD, "--method %s needs --weights W.safetensors (the authors' "
                               "checkpoint converted with tools/convert_dexined.py; README, "
                               "'Neural edge detectors')", zt_edge_method_name(method));
    if (!neural && weights) return cli_usage_error(CMD, "--weights is for --method dexined or teed");
    /* one engine thread per worker: the workers already fill the cores */
    struct zt_engine_opts eo = {ZT_BACKEND_CPU, 1, 0, 0};
    if (neural && zt_edgenet_open(method, weights, &eo, &net)) return cli_fail(CMD, "%s", zt_errmsg());

    struct zt_catmap map;
    int rc = catmap ? zt_catmap_load(catmap, &map) : zt_catmap_default(&map);
    if (rc) {
        zt_edgenet_close(net);
        return cli_fail(CMD, "%s", zt_errmsg());
    }
    struct zt_dataset ds = {0};
    struct job j = {.ds = &ds, .map = &map, .out = out, .seed = (uint64_t)seed};
    int exit_code = ZT_EXIT_FAIL;
    json_t *settings = NULL;
    if ((rc = zt_dataset_open(data, &map, (int)valp, &ds))) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto done;
    }
    j.pick = malloc((size_t)ds.n * sizeof *j.pick);
    if (!j.pick) {
        cli_fail(CMD, "out of memory");
        goto done;
    }
    for (int i = 0; i < ds.n && (limit < 0 || j.n < limit); i++)
        if (all || ds.s[i].category >= 0) j.pick[j.n++] = i;
    if (j.n == 0) {
        cli_fail(CMD, "%s: no images of the mapped categories (use --all-classes?)", data);
        goto done;
    }
    zt_pair_opts_default(&j.opts, (int)size, method);
    j.opts.edge.net = net;
    char dir[4200];
    const char *sub[] = {"train", "val", "hints/train", "hints/val"};
    for (size_t i = 0; i < ZT_ARRAY_LEN(sub); i++) {
        snprintf(dir, sizeof dir, "%s/%s", out, sub[i]);
        if (zt_mkdirs(dir)) {
            cli_fail(CMD, "%s", zt_errmsg());
            goto done;
        }
    }
    settings = settings_json(&j, data);
    if (!settings || check_settings(out, settings, force) != ZT_EXIT_OK) goto done;

    int nth = cli_threads(threads);
    atomic_init(&j.written, 0);
    atomic_init(&j.skipped, 0);
    atomic_init(&j.failed, 0);
    j.prog = zt_progress_new("pairs", j.n, stderr, 0);
    double t0 = zt_now();
    rc = zt_parallel_for(j.n, nth, do_one, &j);
    double dt = zt_now() - t0;
    zt_progress_free(j.prog);
    if (rc) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto done;
    }
    if ((rc = write_manifest(&j))) {
        cli_fail(CMD, "manifest: %s", zt_errmsg());
        goto done;
    }
    long w = atomic_load(&j.written), sk = atomic_load(&j.skipped), f = atomic_load(&j.failed);
    double rate = dt > 0 ? w / dt : 0;
    if (as_json)
        printf("{\"pairs\": %d, \"written\": %ld, \"skipped\": %ld, \"failed\": %ld, "
               "\"seconds\": %.3f, \"images_per_s\": %.2f, \"threads\": %d}\n",
               j.n, w, sk, f, dt, rate, nth);
    else
        printf("pairs: %d (written %ld, skipped %ld, failed %ld) in %.1f s, %.1f images/s on "
               "%d threads -> %s\n",
               j.n, w, sk, f, dt, rate, nth, out);
    exit_code = f ? ZT_EXIT_FAIL : ZT_EXIT_OK;
done:
    json_decref(settings);
    free(j.pick);
    zt_dataset_deinit(&ds);
    zt_catmap_deinit(&map);
    zt_edgenet_close(net);
    return exit_code;
}
