/* train_ckpt.h: a training run's checkpoints and what --resume checks:
 * the training state (both networks, both optimizers' moments, the step
 * counter; atomic), the run's counters in its metadata, and the rules for
 * continuing a run (same settings except the schedule and the data folder,
 * a schedule the checkpoint fits in). */
#ifndef ZT_TRAIN_CKPT_H
#define ZT_TRAIN_CKPT_H

#include "pix2pix_train.h"

struct json_t;

/* Training checkpoint: "G.*", "D.*", "optG.exp_avg.*", "optG.exp_avg_sq.*",
 * likewise optD, metadata "ztyle.steps" plus the caller's key/value pairs
 * (NULL-terminated; may be NULL). Atomic. */
int zt_p2p_save(const struct zt_p2p *m, const char *path, const char *const *meta);
/* Loads a checkpoint saved by zt_p2p_save into an initialised m of the same
 * config; *meta_json (optional) receives the metadata JSON (caller frees). */
int zt_p2p_load(struct zt_p2p *m, const char *path, char **meta_json);

/* A run's checkpoint: OUT/ckpt/latest.safetensors (the state, with
 * metadata ztyle.epoch/ztyle.iter = where to go on, ztyle.run = the run's
 * settings text) and, with export_gen, OUT/ckpt/gen_epoch_NNN.safetensors
 * (the generator file of that epoch, F16). */
struct zt_gen_info;
int zt_train_ckpt_save(struct zt_p2p *m, const char *out, int epoch, int iter, const char *run,
                       const struct zt_gen_info *gi, int export_gen);

/* The run's counters a checkpoint's metadata (zt_p2p_load's meta_json)
 * carries: "ztyle.epoch" and "ztyle.iter" (the next step is iteration iter
 * of epoch epoch, 0-based). ZT_EFORMAT naming path when either is missing. */
int zt_train_ckpt_counters(const char *meta_json, const char *path, int *epoch, int *iter);

/* What a resumed run may change: the schedule and where the data is read. */
struct zt_resume_diff {
    int new_schedule;         /* epochs or epochs_decay differ */
    int moved;                /* data differs (or was not recorded) */
    long was_epochs, was_decay;
    const char *was_data;     /* borrowed from have; NULL when absent */
};
/* Compares a run's recorded settings (run.json: have) with a resume's
 * (want). Keys "data", "epochs", "epochs_decay" and "train_set" may differ
 * (reported in *d); any other difference is ZT_EINVAL. */
int zt_train_resume_check(const struct json_t *have, const struct json_t *want,
                          struct zt_resume_diff *d);
/* ZT_OK when a checkpoint at (epoch, iter) has steps left in a schedule of
 * total_epochs; ZT_EINVAL (with a message) when the run is already past it. */
int zt_train_resume_fits(int epoch, int iter, int total_epochs);

#endif
