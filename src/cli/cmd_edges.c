/* cmd_edges.c: `ztyle edges`: photo -> line drawing (img/edges.h), for one
 * file or a whole <class>/<image> folder tree (parallel, resumable), plus a
 * hidden --bench mode that times the detector without decode or start-up. */
#include "cli.h"
#include "../core/engine.h"
#include "../img/edges.h"
#include "../nn/edges_net.h"
#include "../img/image.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/parallel.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <getopt.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CMD "edges"

static void help(void)
{
    printf("usage: ztyle edges [options] IN OUT\n\n"
           "Turns product photos into line drawings (black lines on white, 1-channel PNG).\n"
           "IN and OUT are files, or IN is a folder tree <class>/<image> (or a flat folder)\n"
           "and OUT a folder: every image becomes OUT/<class>/<name>.png; outputs that\n"
           "already exist are skipped, so an interrupted run can be resumed.\n\n"
           "options:\n"
           "  --method M      canny (default), xdog, dexined or teed (neural detectors:\n"
           "                  they need --weights; images then go one at a time, the\n"
           "                  network using the --threads cores)\n"
           "  --weights W     DexiNed/TEED weights: the authors' released checkpoint\n"
           "                  (github.com/xavysp/DexiNed, github.com/xavysp/TEED) converted\n"
           "                  with tools/convert_dexined.py IN.pth W.safetensors\n"
           "  --size N        letterbox to N x N on white first (default: original size)\n"
           "  --width W       line width in pixels at 256-pixel scale (default 1)\n"
           "  --no-mask-gate  keep edges far from the garment mask (background texture)\n"
           "  --threads N     worker threads (default: $ZTYLE_THREADS, else all cores)\n"
           "  --json          print the summary as one JSON object on stdout\n"
           "  --bench R       time R passes over the decoded images (one thread), write\n"
           "                  nothing; OUT may be omitted. --bench-raw: plain grey Canny\n"
           "                  (no colour, auto threshold, pad, thinning or speckles);\n"
           "                  for dexined/teed: the network alone (soft map), on\n"
           "                  --threads cores\n");
}

struct item {
    char *in, *out;
};

struct job {
    struct item *it;
    size_t n, cap;
    struct zt_edge_params ep;
    int size;
    struct zt_progress *prog;
    _Atomic long written, skipped, failed;
};

/* "ztyle edges: <file>: <why>"; the loaders' messages already name the file */
static int report(const char *file)
{
    const char *msg = zt_errmsg();
    size_t n = strlen(file);
    if (!strncmp(msg, file, n) && msg[n] == ':') return cli_fail(CMD, "%s", msg);
    return cli_fail(CMD, "%s: %s", file, msg);
}

static int add_item(struct job *j, const char *in, const char *out)
{
    if (j->n == j->cap) {
        size_t cap = j->cap ? 2 * j->cap : 256;
        struct item *it = realloc(j->it, cap * sizeof *it);
        if (!it) return ZT_ENOMEM;
        j->it = it, j->cap = cap;
    }
    j->it[j->n].in = strdup(in);
    j->it[j->n].out = out ? strdup(out) : NULL;
    if (!j->it[j->n].in || (out && !j->it[j->n].out)) {
        free(j->it[j->n].in);
        free(j->it[j->n].out);
        return ZT_ENOMEM;
    }
    j->n++;
    return ZT_OK;
}

/* OUT/<sub>/<stem>.png */
static int out_path(char *dst, size_t cap, const char *outdir, const char *sub, const char *name)
{
    char stem[1024];
    snprintf(stem, sizeof stem, "%s", name);
    char *dot = strrchr(stem, '.');
    if (dot) *dot = 0;
    int k = sub ? snprintf(dst, cap, "%s/%s/%s.png", outdir, sub, stem)
                : snprintf(dst, cap, "%s/%s.png", outdir, stem);
    return k < 0 || (size_t)k >= cap ? ZT_ETOOBIG : ZT_OK;
}

/* images of IN (one level of class folders, or a flat folder) */
static int collect(struct job *j, const char *in, const char *outdir)
{
    char **names, **sub;
    int n, m, rc = zt_list_dir(in, &names, &n);
    if (rc) return rc;
    char a[4096], b[4096];
    for (int i = 0; i < n && !rc; i++) {
        if (zt_path_join(a, sizeof a, in, names[i])) continue;
        if (zt_is_dir(a)) {
            if ((rc = zt_list_dir(a, &sub, &m))) break;
            for (int k = 0; k < m && !rc; k++) {
                char c[4096];
                if (!zt_image_name_ok(sub[k]) || zt_path_join(c, sizeof c, a, sub[k])) continue;
                if (outdir && out_path(b, sizeof b, outdir, names[i], sub[k])) continue;
                rc = add_item(j, c, outdir ? b : NULL);
            }
            zt_names_free(sub, m);
        } else if (zt_image_name_ok(names[i])) {
            if (outdir && out_path(b, sizeof b, outdir, NULL, names[i])) continue;
            rc = add_item(j, a, outdir ? b : NULL);
        }
    }
    zt_names_free(names, n);
    return rc;
}

/* decode + optional letterbox */
static int load(const char *path, int size, struct zt_image *out)
{
    struct zt_image im = {0};
    int rc = zt_image_load(path, 3, NULL, &im);
    if (rc || size <= 0) {
        if (!rc) *out = im;
        return rc;
    }
    const uint8_t white[3] = {255, 255, 255};
    rc = zt_image_letterbox(&im, size, white, out, NULL, NULL, NULL, NULL);
    zt_image_free(&im);
    return rc;
}

static int parent_dirs(const char *path)
{
    char d[4096];
    snprintf(d, sizeof d, "%s", path);
    char *slash = strrchr(d, '/');
    if (!slash || slash == d) return ZT_OK;
    *slash = 0;
    return zt_mkdirs(d);
}

static int do_item(void *ctx, int64_t i, int worker)
{
    struct job *j = ctx;
    const struct item *it = &j->it[i];
    if (zt_file_exists(it->out)) {
        atomic_fetch_add(&j->skipped, 1);
        zt_progress_add(j->prog, 1);
        return ZT_OK;
    }
    struct zt_image im = {0}, ed = {0};
    int rc = load(it->in, j->size, &im);
    if (!rc) rc = zt_edges_detect(&im, &j->ep, &ed);
    if (!rc) rc = parent_dirs(it->out);
    if (!rc) rc = zt_image_save(&ed, it->out);
    if (rc) {
        report(rc == ZT_EIO ? it->out : it->in);
        atomic_fetch_add(&j->failed, 1);
    } else atomic_fetch_add(&j->written, 1);
    zt_image_free(&im);
    zt_image_free(&ed);
    zt_progress_add(j->prog, 1);
    return ZT_OK; /* one bad image does not stop the batch */
}

/* One pass of the network alone (its soft map, thrown away). */
static int net_pass(const struct job *j, const struct zt_image *im)
{
    float *soft = malloc(sizeof(float) * (size_t)im->w * im->h);
    int rc = soft ? j->ep.net->soft(j->ep.net, im, NULL, soft) : ZT_ENOMEM;
    free(soft);
    return rc;
}

/* --bench: decode everything first, then time only zt_edges_detect */
static int bench(struct job *j, int reps, int json, int net_only)
{
    struct zt_image *ims = calloc(j->n ? j->n : 1, sizeof *ims);
    if (!ims) return cli_fail(CMD, "out of memory");
    int ret = ZT_EXIT_OK;
    int64_t px = 0;
    for (size_t i = 0; i < j->n; i++) {
        if (load(j->it[i].in, j->size, &ims[i])) {
            ret = report(j->it[i].in);
            goto done;
        }
        px += (int64_t)ims[i].w * ims[i].h;
    }
    long edge_px = 0;
    /* the network's first pass creates its oneDNN primitives: not timed */
    if (net_only && j->n && net_pass(j, &ims[0])) {
        ret = report(j->it[0].in);
        goto done;
    }
    double t0 = zt_now();
    for (int r = 0; r < reps; r++)
        for (size_t i = 0; i < j->n; i++) {
            struct zt_image ed = {0};
            if (net_only) {
                if (net_pass(j, &ims[i])) {
                    ret = report(j->it[i].in);
                    goto done;
                }
                continue;
            }
            if (zt_edges_detect(&ims[i], &j->ep, &ed)) {
                ret = report(j->it[i].in);
                goto done;
            }
            if (r == 0)
                for (size_t k = 0; k < (size_t)ed.w * ed.h; k++) edge_px += ed.px[k] == 0;
            zt_image_free(&ed);
        }
    double sec = zt_now() - t0, per = j->n ? sec / reps / (double)j->n : 0;
    if (json)
        printf("{\"images\":%zu,\"reps\":%d,\"megapixels\":%.3f,\"seconds\":%.6f,"
               "\"ms_per_image\":%.4f,\"edge_pixels\":%ld}\n",
               j->n, reps, px / 1e6, sec, per * 1e3, edge_px);
    else
        printf("%zu images x %d reps: %.3f s, %.3f ms/image, %ld edge pixels\n", j->n, reps, sec,
               per * 1e3, edge_px);
done:
    for (size_t i = 0; i < j->n; i++) zt_image_free(&ims[i]);
    free(ims);
    return ret;
}

int cmd_edges(int argc, char **argv)
{
    static const struct option lo[] = {
        {"method", required_argument, 0, 'm'},  {"weights", required_argument, 0, 'W'},
        {"size", required_argument, 0, 's'},    {"width", required_argument, 0, 'w'},
        {"threads", required_argument, 0, 't'}, {"bench", required_argument, 0, 'b'},
        {"bench-raw", no_argument, 0, 'r'},     {"no-mask-gate", no_argument, 0, 'g'},
        {"json", no_argument, 0, 'j'},          {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct job j = {0};
    zt_edge_params_default(&j.ep, ZT_EDGE_CANNY);
    const char *method = "canny", *threads = NULL, *weights = NULL, *pos[2] = {0};
    struct zt_edgenet *net = NULL;
    int npos = 0, json = 0, reps = 0, raw = 0, nogate = 0, c;
    double width = -1;
    long v;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'h': help(); return ZT_EXIT_OK;
        case 'm': method = optarg; break;
        case 'W': weights = optarg; break;
        case 's':
            if (cli_parse_int(optarg, 16, 8192, &v))
                return cli_usage_error(CMD, "--size: '%s' is not in 16..8192", optarg);
            j.size = (int)v;
            break;
        case 'w':
            if (cli_parse_double(optarg, 0, 32, &width))
                return cli_usage_error(CMD, "--width: '%s' is not in 0..32", optarg);
            break;
        case 't':
            if (cli_opt_threads(CMD, optarg, &threads)) return ZT_EXIT_USAGE;
            break;
        case 'b':
            if (cli_parse_int(optarg, 1, 100000, &v))
                return cli_usage_error(CMD, "--bench: '%s' is not in 1..100000", optarg);
            reps = (int)v;
            break;
        case 'r': raw = 1; break;
        case 'g': nogate = 1; break;
        case 'j': json = 1; break;
        default: return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    for (; optind < argc; optind++) {
        if (npos == 2) return cli_usage_error(CMD, "too many arguments");
        pos[npos++] = argv[optind];
    }
    enum zt_edge_method m;
    if (zt_edge_method_parse(method, &m))
        return cli_usage_error(CMD, "unknown --method '%s' (canny, xdog, dexined, teed)", method);
    int neural = m == ZT_EDGE_DEXINED || m == ZT_EDGE_TEED;
    if (neural && !weights)
        return cli_usage_error(CMD, "--method %s needs --weights W.safetensors: the authors' "
                               "checkpoint (github.com/xavysp/%s) converted with "
                               "tools/convert_dexined.py; see the README, 'Neural edge detectors'",
                               method, m == ZT_EDGE_TEED ? "TEED" : "DexiNed");
    if (!neural && weights) return cli_usage_error(CMD, "--weights is for --method dexined or teed");
    zt_edge_params_default(&j.ep, m);
    if (width >= 0) j.ep.line_width = (float)width;
    if (nogate) j.ep.mask_gate = 0;
    if (raw) { /* what cv2.GaussianBlur + cv2.Canny do */
        j.ep.color = 0, j.ep.auto_thresh = 0, j.ep.suppress_pad = 0, j.ep.thin = 0;
        j.ep.min_speckle = 0, j.ep.border = 0, j.ep.line_width = 1, j.ep.mask_gate = 0;
    }
    if (npos < (reps ? 1 : 2)) return cli_usage_error(CMD, "need IN and OUT");
    const char *in = pos[0], *out = pos[1];
    int ret = ZT_EXIT_OK, workers = cli_threads(threads);
    if (neural) {
        /* one image at a time; the network's convolutions use the cores */
        struct zt_engine_opts eo = {ZT_BACKEND_CPU, workers, 0, 0, 0};
        if (zt_edgenet_open(m, weights, &eo, &net)) return cli_fail(CMD, "%s", zt_errmsg());
        j.ep.net = zt_edgenet_detector(net);
        workers = 1;
    }
    if (!zt_is_dir(in)) {
        if (!zt_file_exists(in)) {
            ret = cli_fail(CMD, "%s: no such file or folder", in);
            goto done;
        }
        if (add_item(&j, in, out)) {
            ret = cli_fail(CMD, "out of memory");
            goto done;
        }
        if (reps) {
            ret = bench(&j, reps, json, raw && neural);
            goto done;
        }
        struct zt_image im = {0}, ed = {0};
        int rc = load(in, j.size, &im);
        if (!rc) rc = zt_edges_detect(&im, &j.ep, &ed);
        if (!rc) rc = zt_image_save(&ed, out);
        if (rc) ret = report(rc == ZT_EIO ? out : in);
        else if (json) printf("{\"written\":1,\"skipped\":0,\"failed\":0}\n");
        zt_image_free(&im);
        zt_image_free(&ed);
        goto done;
    }
    if (collect(&j, in, reps ? NULL : out)) {
        ret = cli_fail(CMD, "cannot list the folder: %s", zt_errmsg());
        goto done;
    }
    if (reps) {
        ret = bench(&j, reps, json, raw && neural);
        goto done;
    }
    if (zt_mkdirs(out)) {
        ret = cli_fail(CMD, "%s: %s", out, zt_errmsg());
        goto done;
    }
    j.prog = zt_progress_new("edges", (int64_t)j.n, stderr, json);
    double t0 = zt_now();
    zt_parallel_for((int64_t)j.n, workers, do_item, &j);
    double sec = zt_now() - t0;
    zt_progress_free(j.prog);
    long done_n = atomic_load(&j.written), sk = atomic_load(&j.skipped), fl = atomic_load(&j.failed);
    double rate = sec > 0 ? (done_n + fl) / sec : 0;
    if (json)
        printf("{\"images\":%zu,\"written\":%ld,\"skipped\":%ld,\"failed\":%ld,\"seconds\":%.3f,"
               "\"images_per_s\":%.2f}\n",
               j.n, done_n, sk, fl, sec, rate);
    else
        fprintf(stderr, "ztyle %s: %zu images: %ld written, %ld skipped, %ld failed, %.1f images/s\n",
                CMD, j.n, done_n, sk, fl, rate);
    if (fl) ret = ZT_EXIT_FAIL;
done:
    for (size_t i = 0; i < j.n; i++) {
        free(j.it[i].in);
        free(j.it[i].out);
    }
    free(j.it);
    zt_edgenet_close(net);
    return ret;
}
