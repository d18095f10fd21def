/* ckpt.h: model weights <-> safetensors files, by state_dict name. A
 * parameter list (core/param.h) is saved under an optional name prefix
 * (several models share one training checkpoint: "G." and "D.") and loaded
 * back with shape checks; files are written atomically. */
#ifndef ZT_CKPT_H
#define ZT_CKPT_H

#include "safetensors.h"

struct zt_params;

/* Adds every tensor of ps (parameters and buffers) to w as prefix + name,
 * stored as dtype (F16/BF16 narrow on save; buffers always F32). Data is
 * borrowed until the writer saves. */
int zt_ckpt_add(struct zt_st_writer *w, const struct zt_params *ps, const char *prefix,
                enum zt_dtype dtype);
/* Copies prefix + name of every tensor in ps from f. strict: every tensor
 * of ps must be present; and with a prefix, no other tensor under that
 * prefix may be left over (ZT_EFORMAT naming the first missing/unexpected
 * key or a shape mismatch). Returns the number copied via *loaded
 * (optional). Nothing is changed on failure. */
int zt_ckpt_load(struct zt_params *ps, const struct zt_st_file *f, const char *prefix,
                 int strict, int *loaded);
/* Convenience: save one parameter list to path (metadata may be NULL:
 * NULL-terminated key, value pairs). */
int zt_ckpt_save_file(const char *path, const struct zt_params *ps, enum zt_dtype dtype,
                      const char *const *metadata);
int zt_ckpt_load_file(const char *path, struct zt_params *ps, const char *prefix, int strict);

#endif
