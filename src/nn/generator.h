/* generator.h: a loaded sketch-to-photo generator ready to run: the U-Net
 * from a Ztyle generator file, its own engine and graph, and the one call
 * that turns drawing planes into a photo-like image. One per thread (the
 * server keeps one per worker); the weights file is read once per load. */
#ifndef ZT_GENERATOR_H
#define ZT_GENERATOR_H

#include "p2p.h"

struct zt_image;

struct zt_generator;

/* The shipped default model (relative to the working directory). */
#define ZT_MODEL_DEFAULT "models/ztyle-p2p-128.safetensors"

enum zt_gen_mode {
    ZT_GEN_EVAL = 0,     /* running BN statistics, no dropout (default) */
    ZT_GEN_OFFICIAL = 1, /* the official test.py: batch statistics, dropout on */
};

/* Loads path (zt_gen_load) and makes an engine of nthreads. NULL + zt_errmsg. */
struct zt_generator *zt_generator_open(const char *path, int nthreads);
void zt_generator_close(struct zt_generator *g); /* NULL-safe */
const struct zt_gen_info *zt_generator_info(const struct zt_generator *g);
/* Category index by name ("top"...), -1 for "auto"/NULL/unknown. */
int zt_generator_category(const struct zt_generator *g, const char *name);

/* edges (1ch), hint_rgb (3ch), hint_mask (1ch), all size x size where size
 * is the model's (info->size); category -1 = none/automatic. *out becomes a
 * new size x size RGB image. seed drives dropout in OFFICIAL mode. */
int zt_generator_run(struct zt_generator *g, const struct zt_image *edges,
                     const struct zt_image *hint_rgb, const struct zt_image *hint_mask,
                     int category, enum zt_gen_mode mode, uint64_t seed, struct zt_image *out);

#endif
