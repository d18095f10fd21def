/* safetensors.h: reading and writing the safetensors format
 * (8-byte little-endian header length, JSON header, raw little-endian
 * tensor bytes) with F32/F16/BF16 tensors. Independent of core tensors:
 * callers get names, shapes and float32 data. */
#ifndef ZT_SAFETENSORS_H
#define ZT_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

enum zt_dtype { ZT_DTYPE_F32 = 0, ZT_DTYPE_F16 = 1, ZT_DTYPE_BF16 = 2 };

#define ZT_ST_MAX_DIMS 8

struct zt_st_tensor {
    char *name;                   /* owned by the file */
    enum zt_dtype dtype;          /* dtype as stored in the file */
    int ndim;
    int64_t shape[ZT_ST_MAX_DIMS];
    int64_t numel;
    float *data;                  /* widened to float32, owned by the file */
};

struct zt_st_file {
    int n;
    struct zt_st_tensor *t;       /* sorted by name */
    char *metadata_json;          /* the "__metadata__" object as JSON text, or NULL */
};

/* Parses a whole file / buffer. Every header field is validated (dtype,
 * shape, offsets inside the data, no overlaps, header size cap 100 MB);
 * ZT_EFORMAT with a message naming the problem otherwise. */
int zt_st_load(const char *path, struct zt_st_file *out);
int zt_st_parse(const uint8_t *buf, size_t len, struct zt_st_file *out);
void zt_st_free(struct zt_st_file *f); /* NULL-safe */
/* Borrowed pointer to the named tensor, or NULL. */
const struct zt_st_tensor *zt_st_get(const struct zt_st_file *f, const char *name);

/* Writer: add tensors (data borrowed until zt_st_writer_save returns),
 * each stored as dtype (float32 data narrowed on save, round-to-nearest-even),
 * then save atomically (temp + fsync + rename). */
struct zt_st_writer;
struct zt_st_writer *zt_st_writer_new(void);
int zt_st_writer_add(struct zt_st_writer *w, const char *name, enum zt_dtype dtype, int ndim,
                     const int64_t *shape, const float *data);
/* Optional string key/value metadata ("__metadata__"). */
int zt_st_writer_meta(struct zt_st_writer *w, const char *key, const char *value);
int zt_st_writer_save(struct zt_st_writer *w, const char *path);
void zt_st_writer_free(struct zt_st_writer *w); /* NULL-safe */

/* f16/bf16 <-> f32 conversions. */
float zt_f16_to_f32(uint16_t h);
uint16_t zt_f32_to_f16(float f);
float zt_bf16_to_f32(uint16_t h);
uint16_t zt_f32_to_bf16(float f);

#endif
