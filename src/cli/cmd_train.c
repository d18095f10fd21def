/* cmd_train.c: `ztyle train`: pix2pix training from a photo dataset, edges
 * made once and colour hints re-simulated for every batch; checkpoints every
 * N epochs and on SIGINT/SIGTERM (atomic), --resume continues exactly where
 * the last checkpoint stopped, a progress bar with the four losses and a CSV
 * log per iteration window. */
#include "cli.h"
#include "../data/dataset.h"
#include "../nn/sample.h"
#include "../data/trainset.h"
#include "../nn/ckpt.h"
#include "../nn/optim.h"
#include "../nn/generator.h"
#include "../nn/pix2pix_train.h"
#include "../nn/train_ckpt.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/hash.h"
#include "../util/parallel.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <getopt.h>
#include <omp.h>
#include <jansson.h>
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
           "  --category C      one model for category C (top, pants, skirt, hat); default:\n"
           "                    one category-conditioned model for all of them\n"
           "  --method M        edge method for the drawings: xdog (default) or canny\n"
           "training:\n"
           "  --batch N         batch size (default 8)\n"
           "  --epochs N        epochs at the constant learning rate (default 50)\n"
           "  --epochs-decay N  epochs of linear decay to zero after that (default 50)\n"
           "  --lr X            Adam learning rate (default 2e-4; betas 0.5, 0.999)\n"
           "  --gan vanilla|lsgan   GAN loss (default vanilla)  --lambda-l1 X (default 100)\n"
           "  --save-every N    checkpoint every N epochs (default 5)\n"
           "  --max-steps N     stop (with a checkpoint) after N steps in this invocation\n"
           "  --log-every N     steps per log.csv window (default 20)\n"
           "  --seed S          seed of init, order, crops, hints, dropout (default 1)\n"
           "  --resume          continue RUNDIR from ckpt/latest.safetensors\n"
           "  --init G.safetensors  start the generator from a generator file (e.g. the\n"
           "                    shipped model) instead of random weights; D starts afresh\n"
           "  --threads N       threads (default: $ZTYLE_THREADS, else all cores)\n");
}

struct opts {
    const char *data, *out, *category, *init;
    long size, load, ngf, ndf, batch, epochs, decay, save_every, max_steps, log_every, seed;
    double lr, lambda;
    int norm, dropout, gan, resume, nthreads;
    enum zt_edge_method method;
};

/* The training photos a run saw, as run.json's "train_set": their number and
 * a hash of their (category, id) in order, so a resumed run with --data
 * elsewhere is refused when the photos (and so the sample order) differ. */
static json_t *train_set_json(const struct zt_trainset *ts)
{
    uint64_t h = (uint64_t)ts->n;
    for (int i = 0; i < ts->n; i++)
        h = zt_mix3(h, zt_hash_str(ts->it[i].id), (uint64_t)ts->it[i].category);
    char fp[17];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)h);
    return json_pack("{s:i, s:s}", "images", ts->n, "fingerprint", fp);
}

/* The settings a resumed run must share with the original. */
static json_t *run_json(const struct opts *o, int in_nc, const struct zt_catmap *map, int ncat)
{
    json_t *cats = json_array();
    for (int i = 0; i < ncat; i++) json_array_append_new(cats, json_string(map->cat[i]));
    return json_pack("{s:s, s:s?, s:i, s:i, s:i, s:i, s:i, s:s, s:b, s:i, s:i, s:i, s:f, s:s, "
                     "s:f, s:I, s:s, s:o, s:i}",
                     "data", o->data, "category", o->category, "size", (int)o->size, "load",
                     (int)o->load, "ngf", (int)o->ngf, "ndf", (int)o->ndf, "in_nc", in_nc, "norm",
                     o->norm == ZT_NORM_BATCH ? "batch" : "instance", "dropout", o->dropout,
                     "batch", (int)o->batch, "epochs", (int)o->epochs, "epochs_decay",
                     (int)o->decay, "lr", o->lr, "gan", o->gan == ZT_GAN_LSGAN ? "lsgan" : "vanilla",
                     "lambda_l1", o->lambda, "seed", (json_int_t)o->seed, "edge_method",
                     zt_edge_method_name(o->method), "categories", cats, "num_downs",
                     o->size >= 256 ? 8 : 7);
}

static int parse(int argc, char **argv, struct opts *o)
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
        {"init", required_argument, 0, 'I'},
        {"help", no_argument, 0, 'h'},             {0, 0, 0, 0},
    };
    *o = (struct opts){.size = 128, .ngf = 32, .ndf = 64, .batch = 8, .epochs = 50, .decay = 50,
                       .save_every = 5, .max_steps = -1, .log_every = 20, .seed = 1, .lr = 2e-4,
                       .lambda = 100, .norm = ZT_NORM_BATCH, .dropout = 1, .gan = ZT_GAN_VANILLA,
                       .method = ZT_EDGE_XDOG};
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
        case 'G':
            if (!strcmp(optarg, "vanilla")) o->gan = ZT_GAN_VANILLA;
            else if (!strcmp(optarg, "lsgan")) o->gan = ZT_GAN_LSGAN;
            else return cli_usage_error(CMD, "--gan: '%s' is not vanilla or lsgan", optarg);
            break;
        case 'R': o->resume = 1; break;
        case 'I': o->init = optarg; break;
        case 't':
            if (cli_opt_threads(CMD, optarg, &threads)) return ZT_EXIT_USAGE;
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

static int write_log_header(const char *path)
{
    if (zt_file_exists(path)) return ZT_OK;
    const char *h = "epoch,iter,step,images,g_gan,g_l1,d_real,d_fake,lr,images_per_s,elapsed_s\n";
    return zt_file_write_atomic(path, h, strlen(h));
}

/* Fisher-Yates with a splitmix-style stream: the epoch's sample order. */
static void shuffle(int *v, int n, uint64_t seed)
{
    for (int i = 0; i < n; i++) v[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(zt_mix3(seed, (uint64_t)i, 77) % (uint64_t)(i + 1));
        int t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

int cmd_train(int argc, char **argv)
{
    struct opts o;
    int prc = parse(argc, argv, &o);
    if (prc) return prc < 0 ? ZT_EXIT_OK : prc;
    /* library kernels pass their thread count explicitly; this caps what
     * oneDNN's own helper regions take on this thread */
    omp_set_num_threads(o.nthreads);

    struct zt_catmap map;
    struct zt_dataset ds = {0};
    struct zt_trainset ts = {0};
    struct zt_p2p m = {0};
    float *A = NULL, *B = NULL;
    int *order = NULL, exit_code = ZT_EXIT_FAIL, rc;
    json_t *run = NULL, *kept_set = NULL; /* kept_set: a resumed run's "train_set" */
    char *run_text = NULL, *meta = NULL;
    struct zt_progress *prog = NULL;
    if ((rc = zt_catmap_default(&map))) return cli_fail(CMD, "%s", zt_errmsg());
    int only = -1;
    if (o.category && (only = zt_catmap_category(&map, o.category)) < 0) {
        zt_catmap_deinit(&map);
        return cli_usage_error(CMD, "--category: '%s' is not one of top, pants, skirt, hat",
                               o.category);
    }
    int from_pairs = zt_trainset_is_pairs_dir(o.data);
    if (from_pairs) {
        /* the pairs' own edge method is what the drawings were made with */
        char pj[4096];
        snprintf(pj, sizeof pj, "%s/pairs.json", o.data);
        json_t *pjs = json_load_file(pj, 0, NULL);
        const char *pm = json_string_value(json_object_get(pjs, "method"));
        if (pm) zt_edge_method_parse(pm, &o.method);
        json_decref(pjs);
    } else if ((rc = zt_dataset_open(o.data, &map, 10, &ds))) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto done;
    }
    if (only >= 0) /* a per-category model sees only its category */
        for (int i = 0; i < ds.n; i++)
            if (ds.s[i].category != only) ds.s[i].category = -1;
    int ncat = only >= 0 ? 0 : map.ncat, in_nc = zt_sample_in_channels(ncat);

    char path[4096];
    snprintf(path, sizeof path, "%s/ckpt", o.out);
    if ((rc = zt_mkdirs(path))) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto done;
    }
    run = run_json(&o, in_nc, &map, ncat);
    run_text = run ? json_dumps(run, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    if (!run_text) {
        cli_fail(CMD, "out of memory");
        goto done;
    }
    snprintf(path, sizeof path, "%s/run.json", o.out);
    int rewrite_run = 0;
    if (o.resume) {
        json_error_t je;
        json_t *have = json_load_file(path, 0, &je);
        if (!have) {
            cli_fail(CMD, "--resume: %s: %s", path, je.text);
            goto done;
        }
        struct zt_resume_diff d;
        int same = zt_train_resume_check(have, run, &d) == ZT_OK;
        if (same && d.new_schedule)
            fprintf(stderr, "train: schedule changed from %ld+%ld to %ld+%ld epochs\n",
                    d.was_epochs, d.was_decay, o.epochs, o.decay);
        if (same && d.was_data && d.moved)
            fprintf(stderr, "train: data now read from %s (was %s)\n", o.data, d.was_data);
        kept_set = json_incref(json_object_get(have, "train_set"));
        json_decref(have);
        if (!same) {
            cli_fail(CMD, "--resume: %s %s", path, zt_errmsg());
            goto done;
        }
        rewrite_run = d.new_schedule || d.moved; /* after the data is read (below) */
    } else {
        char lp[4200];
        snprintf(lp, sizeof lp, "%s/ckpt/latest.safetensors", o.out);
        if (zt_file_exists(lp)) {
            cli_fail(CMD, "%s already holds a run; use --resume to continue it or another --out",
                     o.out);
            goto done;
        }
        if ((rc = zt_file_write_atomic(path, run_text, strlen(run_text)))) {
            cli_fail(CMD, "%s", zt_errmsg());
            goto done;
        }
    }

    /* model first: a bad config fails before minutes of data preparation */
    struct zt_p2p_cfg pc;
    zt_p2p_cfg_default(&pc, in_nc, o.size >= 256 ? 8 : 7, (int)o.ngf);
    pc.g.norm = pc.d.norm = o.norm;
    pc.g.use_dropout = o.dropout;
    pc.d.ndf = (int)o.ndf;
    pc.gan_mode = o.gan;
    pc.lambda_l1 = (float)o.lambda;
    pc.lr = o.lr;
    if ((rc = zt_p2p_init(&m, &pc, o.nthreads, (uint64_t)o.seed))) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto done;
    }
    int start_epoch = 0, start_iter = 0;
    if (o.init && (rc = zt_ckpt_load_file(o.init, &m.G.params, NULL, 1))) {
        cli_fail(CMD, "--init: %s", zt_errmsg());
        goto done;
    }
    if (o.resume) {
        snprintf(path, sizeof path, "%s/ckpt/latest.safetensors", o.out);
        if ((rc = zt_p2p_load(&m, path, &meta))) {
            cli_fail(CMD, "--resume: %s", zt_errmsg());
            goto done;
        }
        if ((rc = zt_train_ckpt_counters(meta, path, &start_epoch, &start_iter)) ||
            (rc = zt_train_resume_fits(start_epoch, start_iter, (int)(o.epochs + o.decay)))) {
            cli_fail(CMD, "--resume: %s", zt_errmsg());
            goto done;
        }
    }

    int skipped = 0;
    const struct zt_warn warn = {cli_warn, (void *)CMD};
    fprintf(stderr, "train: preparing %s at %ld px (%s edges%s)\n", o.data, o.load,
            zt_edge_method_name(o.method), from_pairs ? ", fixed hints of the pairs" : "");
    if (from_pairs) {
        rc = zt_trainset_build_pairs(o.data, ZT_SPLIT_TRAIN, &map, (int)o.load, (int)o.size,
                                     &warn, &ts, &skipped);
        if (!rc && only >= 0) /* a per-category model sees only its category */
            rc = zt_trainset_keep_category(&ts, only);
    } else {
        int64_t nprep = 0;
        for (int i = 0; i < ds.n; i++)
            nprep += ds.s[i].split == ZT_SPLIT_TRAIN && ds.s[i].category >= 0;
        prog = zt_progress_new("prepare", nprep, stderr, 0);
        rc = zt_trainset_build(&ds, ZT_SPLIT_TRAIN, map.ncat, (int)o.load, (int)o.size, o.method,
                               o.nthreads, prog, &warn, &ts, &skipped);
        zt_progress_free(prog);
        prog = NULL;
    }
    if (rc) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto done;
    }
    int nb = ts.n / (int)o.batch;
    if (nb == 0) {
        cli_fail(CMD, "%d training images, fewer than one batch of %ld", ts.n, o.batch);
        goto done;
    }
    /* run.json records the photos (a new run, or one from before the record)
     * and follows a resume's new schedule or data folder - once the checkpoint
     * fits the schedule and the data is read and is the run's */
    json_t *photos = train_set_json(&ts);
    if (!photos) {
        cli_fail(CMD, "out of memory");
        goto done;
    }
    if (kept_set && !json_equal(kept_set, photos)) {
        json_decref(photos);
        cli_fail(CMD, "--resume: the data holds other training photos than this run was trained "
                      "on (%d now, %lld then)", ts.n,
                 (long long)json_integer_value(json_object_get(kept_set, "images")));
        goto done;
    }
    if (!kept_set || rewrite_run) {
        json_object_set_new(run, "train_set", photos);
        free(run_text);
        run_text = json_dumps(run, JSON_INDENT(2) | JSON_SORT_KEYS);
        snprintf(path, sizeof path, "%s/run.json", o.out);
        rc = run_text ? zt_file_write_atomic(path, run_text, strlen(run_text)) : ZT_ENOMEM;
        if (rc) {
            cli_fail(CMD, "%s", run_text ? zt_errmsg() : "out of memory");
            goto done;
        }
    } else {
        json_decref(photos);
    }
    size_t asz = (size_t)o.batch * in_nc * o.size * o.size, bsz = (size_t)o.batch * 3 * o.size * o.size;
    A = malloc(asz * sizeof *A);
    B = malloc(bsz * sizeof *B);
    order = malloc((size_t)ts.n * sizeof *order);
    if (!A || !B || !order) {
        cli_fail(CMD, "out of memory for batches");
        goto done;
    }
    struct zt_gen_info gi = {.g = pc.g, .size = (int)o.size, .ncat = ncat};
    for (int i = 0; i < ncat; i++) snprintf(gi.cat[i], sizeof gi.cat[i], "%s", map.cat[i]);
    snprintf(gi.edge_method, sizeof gi.edge_method, "%s", zt_edge_method_name(o.method));
    if (o.category) snprintf(gi.category, sizeof gi.category, "%s", o.category);
    snprintf(path, sizeof path, "%s/log.csv", o.out);
    if ((rc = write_log_header(path))) {
        cli_fail(CMD, "%s", zt_errmsg());
        goto done;
    }
    FILE *log = fopen(path, "a");
    if (!log) {
        cli_fail(CMD, "%s: cannot append", path);
        goto done;
    }

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int total_epochs = (int)(o.epochs + o.decay);
    int64_t total_steps = (int64_t)(total_epochs - start_epoch) * nb - start_iter;
    fprintf(stderr, "train: %d images (%d skipped), batch %ld, %d steps/epoch, epochs %d..%d, "
                    "%d threads, G %.1fM params\n",
            ts.n, skipped, o.batch, nb, start_epoch + 1, total_epochs, o.nthreads,
            zt_params_numel(&m.G.params) / 1e6);
    prog = zt_progress_new("train", total_steps, stderr, 0);
    struct zt_batch_opts bo = {.augment = 1, .conditioned = ncat > 0};
    double t0 = zt_now(), win_t = t0;
    struct zt_p2p_losses acc = {0}, l;
    int win_n = 0;
    int64_t done_steps = 0;
    int epoch = start_epoch, it = start_iter, interrupted = 0;
    for (; epoch < total_epochs && !interrupted; epoch++, it = 0) {
        double lr = o.lr * zt_lr_lambda_linear(epoch, 1, (int)o.epochs, (int)o.decay);
        zt_p2p_set_lr(&m, lr);
        shuffle(order, ts.n, zt_mix3((uint64_t)o.seed, (uint64_t)epoch, 1));
        for (; it < nb; it++) {
            if (stop_requested || (o.max_steps > 0 && done_steps >= o.max_steps)) {
                interrupted = 1;
                break;
            }
            uint64_t bseed = zt_mix3((uint64_t)o.seed, (uint64_t)epoch, (uint64_t)it + 2);
            if ((rc = zt_trainset_batch(&ts, order + (size_t)it * o.batch, (int)o.batch, bseed,
                                        &bo, A, B)) ||
                (rc = zt_p2p_step(&m, A, B, (int)o.batch, (int)o.size, bseed, &l))) {
                fclose(log);
                cli_fail(CMD, "step %lld: %s", (long long)m.steps, zt_errmsg());
                goto done;
            }
            done_steps++;
            acc.g_gan += l.g_gan, acc.g_l1 += l.g_l1, acc.d_real += l.d_real, acc.d_fake += l.d_fake;
            win_n++;
            char note[160];
            snprintf(note, sizeof note, "ep %d G_GAN %.3f G_L1 %.4f D_real %.3f D_fake %.3f",
                     epoch + 1, l.g_gan, l.g_l1, l.d_real, l.d_fake);
            zt_progress_set_note(prog, note);
            zt_progress_add(prog, 1);
            if (win_n == o.log_every) {
                double now = zt_now();
                fprintf(log, "%d,%d,%lld,%lld,%.5f,%.5f,%.5f,%.5f,%.3g,%.2f,%.1f\n", epoch + 1,
                        it + 1, (long long)m.steps, (long long)m.steps * o.batch,
                        acc.g_gan / win_n, acc.g_l1 / win_n, acc.d_real / win_n,
                        acc.d_fake / win_n, lr, win_n * o.batch / (now - win_t), now - t0);
                fflush(log);
                acc = (struct zt_p2p_losses){0};
                win_n = 0;
                win_t = now;
            }
        }
        if (interrupted) break;
        int last = epoch + 1 == total_epochs;
        if ((epoch + 1) % o.save_every == 0 || last) {
            if ((rc = zt_train_ckpt_save(&m, o.out, epoch + 1, 0, run_text, &gi, 1))) {
                fclose(log);
                cli_fail(CMD, "checkpoint: %s", zt_errmsg());
                goto done;
            }
        }
    }
    fclose(log);
    zt_progress_free(prog);
    prog = NULL;
    if (interrupted) {
        /* mid-epoch: resume at (epoch, it) */
        if ((rc = zt_train_ckpt_save(&m, o.out, epoch, it, run_text, &gi, 0))) {
            cli_fail(CMD, "checkpoint: %s", zt_errmsg());
            goto done;
        }
        fprintf(stderr, "train: %s after %lld steps; saved %s/ckpt/latest.safetensors "
                        "(epoch %d, iteration %d); continue with --resume\n",
                stop_requested ? "interrupted" : "stopped", (long long)done_steps, o.out,
                epoch + 1, it);
        exit_code = stop_requested ? 130 : ZT_EXIT_OK;
        goto done;
    }
    double dt = zt_now() - t0;
    printf("train: %lld steps in %.1f s (%.2f images/s); generator files in %s/ckpt\n",
           (long long)done_steps, dt, dt > 0 ? done_steps * o.batch / dt : 0, o.out);
    exit_code = ZT_EXIT_OK;
done:
    zt_progress_free(prog);
    free(A);
    free(B);
    free(order);
    free(meta);
    free(run_text);
    json_decref(run);
    json_decref(kept_set);
    zt_p2p_deinit(&m);
    zt_trainset_deinit(&ts);
    zt_dataset_deinit(&ds);
    zt_catmap_deinit(&map);
    return exit_code;
}
