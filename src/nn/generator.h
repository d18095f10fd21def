/* generator.h: a loaded sketch-to-photo generator ready to run: the U-Net
 * from a Ztyle generator file, its own engine and graph, and the one call
 * that turns drawing planes into a photo-like image. One per thread (the
 * server keeps one per worker); the weights file is read once per load.
 * Also the generator file format itself (zt_gen_export / zt_gen_load). */
#ifndef ZT_GENERATOR_H
#define ZT_GENERATOR_H

#include "pix2pix.h"
#include "safetensors.h"

struct zt_image;

/* --- the generator file the product ships: weights + a JSON description --- */

struct zt_gen_info {
    struct zt_unet_cfg g;
    int size;                /* training crop size */
    int ncat;                /* 0: unconditioned */
    char cat[16][32];        /* category names, one-hot order */
    char edge_method[16];
    char category[32];       /* per-category model: the category it learned ("" otherwise) */
};

/* Writes G's weights (dtype F16/F32; BN buffers F32) with metadata key
 * "ztyle.model" = JSON of info. extra: NULL-terminated key/value pairs. */
int zt_gen_export(const struct zt_unet *G, const struct zt_gen_info *info, enum zt_dtype dtype,
                  const char *path, const char *const *extra);
/* Loads a generator file: reads the metadata, builds the U-Net, loads the
 * weights (strict). ZT_EFORMAT with a clear message for files that are not
 * Ztyle generators or are corrupt. Caller deinits g. */
int zt_gen_load(const char *path, struct zt_unet *g, struct zt_gen_info *info);

struct zt_generator;

/* The shipped default model (relative to the working directory). */
#define ZT_MODEL_DEFAULT "models/ztyle-p2p-128.safetensors"

enum zt_gen_mode {
    ZT_GEN_EVAL = 0,     /* running BN statistics, no dropout (default) */
    ZT_GEN_OFFICIAL = 1, /* the official test.py: batch statistics, dropout on */
};

/* Loads path (zt_gen_load) and makes an engine of nthreads. NULL + zt_errmsg. */
struct zt_generator *zt_generator_open(const char *path, int nthreads);
/* The same on an engine of backend (enum zt_backend_kind): cuda keeps the
 * weights on the GPU (TF32 convolutions) and copies each output back. */
struct zt_generator *zt_generator_open_on(const char *path, int nthreads, int backend);
void zt_generator_close(struct zt_generator *g); /* NULL-safe */
const struct zt_gen_info *zt_generator_info(const struct zt_generator *g);
/* Category index by name ("top"...), -1 for "auto"/NULL/unknown. */
int zt_generator_category(const struct zt_generator *g, const char *name);

/* edges (1ch), hint_rgb (3ch), hint_mask (1ch), all size x size where size
 * is the model's (info->size); category -1 = none/automatic: a model with
 * category planes then gets its first one's (it never trained without
 * one; none gives a grey-brown box, any one the garment on white). *out becomes a
 * new size x size RGB image: the network's output moved onto the hint
 * colours (img/hints.h: zt_hints_recolour) unless the generator is raw.
 * seed drives dropout in OFFICIAL mode. */
int zt_generator_run(struct zt_generator *g, const struct zt_image *edges,
                     const struct zt_image *hint_rgb, const struct zt_image *hint_mask,
                     int category, enum zt_gen_mode mode, uint64_t seed, struct zt_image *out);
/* raw 1: zt_generator_run returns the network's output as is (evaluation
 * of the network alone, `--raw`); 0 (default): recoloured. */
void zt_generator_set_raw(struct zt_generator *g, int raw);

#endif
