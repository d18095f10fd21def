/* safetensors.h: reading and writing the safetensors format
 * (8-byte little-endian header length, JSON header, raw little-endian
 * tensor bytes) with F32/F16/BF16 tensors. Independent of core tensors:
 * callers get names, shapes and float32 data. */
#ifndef ZT_SAFETENSORS_H
#define ZT_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

struct zt_buf;

/* F32/F16/BF16 are read and written. The others are read only, widened to
 * float32 (exact for |integers| <= 2^24; F64 rounded to nearest), so that
 * e.g. a PyTorch state_dict with I64 "num_batches_tracked" loads. Any other
 * dtype in a file is rejected with ZT_EFORMAT naming it. */
enum zt_dtype {
    ZT_DTYPE_F32 = 0,
    ZT_DTYPE_F16 = 1,
    ZT_DTYPE_BF16 = 2,
    ZT_DTYPE_F64 = 3,
    ZT_DTYPE_I64 = 4,
    ZT_DTYPE_I32 = 5,
    ZT_DTYPE_I16 = 6,
    ZT_DTYPE_I8 = 7,
    ZT_DTYPE_U8 = 8,
    ZT_DTYPE_BOOL = 9,
};
/* "F32", "BF16", ...; "?" for an unknown value. Static string. */
const char *zt_dtype_name(enum zt_dtype d);

#define ZT_ST_MAX_DIMS 8
#define ZT_ST_MAX_HEADER (100u * 1000u * 1000u) /* bytes of JSON header */

struct zt_st_tensor {
    char *name;                   /* owned by the file */
    enum zt_dtype dtype;          /* dtype as stored in the file */
    int ndim;                     /* 0 (scalar) .. ZT_ST_MAX_DIMS */
    int64_t shape[ZT_ST_MAX_DIMS];
    int64_t numel;                /* product of shape; 1 for a scalar */
    float *data;                  /* numel floats, widened to float32, owned by the file;
                                     NULL when numel == 0 */
};

struct zt_st_file {
    int n;
    struct zt_st_tensor *t;       /* sorted by name (strcmp) */
    char *metadata_json;          /* the "__metadata__" object as compact JSON text
                                     (keys in file order), or NULL when absent */
};

/* Parses a whole file / buffer into *out (overwritten; free with
 * zt_st_free, also after a failure). Every header field is validated:
 * header length (<= ZT_ST_MAX_HEADER and inside the buffer), a JSON object,
 * unique non-empty names, known dtype, shape of non-negative integers with
 * no overflow, data_offsets [begin, end] with end-begin = numel*itemsize,
 * and, as the reference implementation checks, the ranges tile the data
 * buffer exactly (no overlap, no gap, nothing after the last tensor).
 * "__metadata__" must map strings to strings. Any problem gives ZT_EFORMAT
 * with a message naming the tensor and field; ZT_ENOMEM/ZT_EIO as usual.
 * buf is borrowed (no alignment needed). */
int zt_st_load(const char *path, struct zt_st_file *out);
int zt_st_parse(const uint8_t *buf, size_t len, struct zt_st_file *out);
void zt_st_free(struct zt_st_file *f); /* NULL-safe; leaves *f empty */
/* Borrowed pointer to the named tensor, or NULL. */
const struct zt_st_tensor *zt_st_get(const struct zt_st_file *f, const char *name);

/* Writer: add tensors (name copied; shape copied; data borrowed until
 * zt_st_writer_save returns), each stored as dtype F32, F16 or BF16
 * (float32 data narrowed on save, round-to-nearest-even), then save
 * atomically (temp + fsync + rename).
 * File layout, as the reference implementation writes it: "__metadata__"
 * first (if any, keys in insertion order), then tensors ordered by dtype
 * descending in the reference's Dtype order (F32, then BF16, then F16),
 * then by name (strcmp); data in
 * that same order, contiguous; the JSON header (compact, no spaces) is
 * padded with spaces to a multiple of 8 bytes, so every tensor is aligned
 * to its element size relative to the file start.
 * add/meta: ZT_EINVAL on a bad argument (empty or duplicate name, the
 * reserved name "__metadata__", ndim outside 0..ZT_ST_MAX_DIMS, negative
 * dim, numel overflow, NULL data with numel > 0, read-only dtype). */
struct zt_st_writer;
struct zt_st_writer *zt_st_writer_new(void); /* NULL on out of memory */
int zt_st_writer_add(struct zt_st_writer *w, const char *name, enum zt_dtype dtype, int ndim,
                     const int64_t *shape, const float *data);
/* Optional string key/value metadata ("__metadata__"). Both copied;
 * a key added twice is ZT_EINVAL. */
int zt_st_writer_meta(struct zt_st_writer *w, const char *key, const char *value);
/* Appends the whole file image to out (the caller owns out). */
int zt_st_writer_serialize(struct zt_st_writer *w, struct zt_buf *out);
int zt_st_writer_save(struct zt_st_writer *w, const char *path);
void zt_st_writer_free(struct zt_st_writer *w); /* NULL-safe */

/* f16/bf16 <-> f32 conversions. Widening is exact (NaN payloads kept).
 * Narrowing rounds to nearest, ties to even, overflows to +-inf, and makes
 * subnormals as IEEE 754 says; NaN gives what PyTorch 1.13's CPU
 * .half()/.bfloat16() give: sign|0x7E00 for F16, 0xFFFF for BF16. */
float zt_f16_to_f32(uint16_t h);
uint16_t zt_f32_to_f16(float f);
float zt_bf16_to_f32(uint16_t h);
uint16_t zt_f32_to_bf16(float f);

#endif
