/* train.h: pix2pix training from a photo dataset or a `ztyle pairs` folder
 * (`ztyle train`): edges made once per photo, colour hints simulated anew
 * for every batch, checkpoints every N epochs and on request (atomic), a
 * resumed run that replays the next step bit for bit, a CSV log per window
 * of steps. Lives in data/ because it builds the training set; the step and
 * the checkpoints are nn/pix2pix_train.h and nn/train_ckpt.h. */
#ifndef ZT_TRAIN_H
#define ZT_TRAIN_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "../img/edges.h"
#include "../util/zt.h"

struct zt_train_opts {
    const char *data, *out; /* dataset or pairs folder; the run folder */
    const char *category;   /* one model for this category; NULL = conditioned on all */
    const char *init;       /* start G from this generator file; NULL = random */
    long size, load, ngf, ndf, batch, epochs, decay, save_every, max_steps, log_every, seed;
    double lr, lambda;
    int norm, dropout, gan, resume, nthreads; /* enum zt_norm, enum zt_gan_mode */
    int upsample;                   /* enum zt_upsample (nn/pix2pix.h) */
    int backend;                    /* enum zt_backend_kind: ZT_BACKEND_CPU (0 = cpu too) or _CUDA */
    int shopper;                    /* 1: the shopper mix of inputs (zt_batch_opts) */
    int white_bg;                   /* 1: targets on white where the mask is trusted */
    int grabcut;                    /* 1: garment masks by GrabCut (img/mask.h) */
    double chroma;                  /* chroma term's weight (nn/pix2pix_train.h); 0 = off */
    enum zt_edge_method method;
    FILE *progress;                 /* progress bars, or NULL */
    struct zt_warn warn;            /* photos skipped while preparing */
    struct zt_warn note;            /* what it is doing ("preparing ...", "schedule changed ...") */
    volatile sig_atomic_t *stop;    /* set (by a signal handler) to checkpoint and return */
};

enum { ZT_TRAIN_DONE, ZT_TRAIN_SIGNALLED, ZT_TRAIN_MAX_STEPS };

struct zt_train_result {
    int64_t steps;   /* steps run in this call */
    double seconds;
    int stopped;     /* ZT_TRAIN_DONE, or why it stopped early (checkpoint written) */
    int epoch, iter; /* where a stopped run goes on: epoch (1-based), iteration */
};

/* Runs (or with resume continues) the training in o->out. Returns ZT_OK
 * also when stopped early (see res->stopped); errors as ZT_* with the
 * message naming the option or file at fault. */
int zt_train_run(const struct zt_train_opts *o, struct zt_train_result *res);

#endif
