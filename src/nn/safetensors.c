/* safetensors.c: strict safetensors reader (jansson for the JSON header,
 * every field validated, data widened to float32) and writer (F32/F16/BF16,
 * reference layout, atomic save), plus the f16/bf16 conversions. */
#include "safetensors.h"

#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/zt.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* --- dtypes --- */

struct dtype_info {
    const char *name;
    size_t size;
    int rank; /* position in the reference's Dtype enum: writer orders by it, descending */
};

static const struct dtype_info dtypes[] = {
    [ZT_DTYPE_F32] = {"F32", 4, 12},  [ZT_DTYPE_F16] = {"F16", 2, 8},
    [ZT_DTYPE_BF16] = {"BF16", 2, 9}, [ZT_DTYPE_F64] = {"F64", 8, 13},
    [ZT_DTYPE_I64] = {"I64", 8, 14},  [ZT_DTYPE_I32] = {"I32", 4, 10},
    [ZT_DTYPE_I16] = {"I16", 2, 6},   [ZT_DTYPE_I8] = {"I8", 1, 3},
    [ZT_DTYPE_U8] = {"U8", 1, 2},     [ZT_DTYPE_BOOL] = {"BOOL", 1, 0},
};

static int dtype_valid(enum zt_dtype d) { return (unsigned)d < ZT_ARRAY_LEN(dtypes); }

const char *zt_dtype_name(enum zt_dtype d) { return dtype_valid(d) ? dtypes[d].name : "?"; }

static int writable(enum zt_dtype d)
{
    return d == ZT_DTYPE_F32 || d == ZT_DTYPE_F16 || d == ZT_DTYPE_BF16;
}

/* --- f16 / bf16 conversions --- */

static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

float zt_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    if (exp == 0) {
        /* zero or subnormal: mant * 2^-24, exact in float32 */
        float v = (float)mant * u2f(0x33800000u); /* 2^-24 */
        return u2f(f2u(v) | sign);
    }
    if (exp == 31) return u2f(sign | 0x7f800000u | (mant << 13)); /* inf / NaN */
    return u2f(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t zt_f32_to_f16(float f)
{
    uint32_t x = f2u(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t a = x & 0x7fffffffu;
    if (a > 0x7f800000u) return sign | 0x7e00; /* NaN: canonical quiet, as torch */
    if (a >= 0x477ff000u) return sign | 0x7c00; /* >= 65520 rounds to inf (and inf) */
    if (a >= 0x38800000u) {                     /* normal f16 range: >= 2^-14 */
        uint32_t r = a + 0xfffu + ((a >> 13) & 1); /* round to nearest even at bit 13 */
        return sign | (uint16_t)((r - 0x38000000u) >> 13); /* rebias 127 -> 15 */
    }
    if (a <= 0x33000000u) return sign; /* <= 2^-25 (a tie at 2^-25) rounds to zero */
    /* subnormal f16: value = m * 2^(e-150), in units of 2^-24 that is m >> (126-e) */
    uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - e; /* 14..24 */
    uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1))) q++; /* may carry into the smallest normal */
    return sign | (uint16_t)q;
}

float zt_bf16_to_f32(uint16_t h) { return u2f((uint32_t)h << 16); }

uint16_t zt_f32_to_bf16(float f)
{
    uint32_t x = f2u(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return 0xffff; /* NaN: what torch 1.13 CPU gives */
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1)) >> 16);
}

/* --- little-endian helpers --- */

static uint64_t rd_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void wr_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Widens n elements of dtype d at src (unaligned, little-endian) into dst. */
static void widen(enum zt_dtype d, const uint8_t *src, int64_t n, float *dst)
{
    size_t sz = dtypes[d].size;
    for (int64_t i = 0; i < n; i++, src += sz) {
        uint64_t v = rd_le(src, sz);
        switch (d) {
        case ZT_DTYPE_F32: dst[i] = u2f((uint32_t)v); break;
        case ZT_DTYPE_F16: dst[i] = zt_f16_to_f32((uint16_t)v); break;
        case ZT_DTYPE_BF16: dst[i] = zt_bf16_to_f32((uint16_t)v); break;
        case ZT_DTYPE_F64: {
            double x;
            memcpy(&x, &v, 8);
            dst[i] = (float)x;
            break;
        }
        case ZT_DTYPE_I64: dst[i] = (float)(int64_t)v; break;
        case ZT_DTYPE_I32: dst[i] = (float)(int32_t)(uint32_t)v; break;
        case ZT_DTYPE_I16: dst[i] = (float)(int16_t)(uint16_t)v; break;
        case ZT_DTYPE_I8: dst[i] = (float)(int8_t)(uint8_t)v; break;
        case ZT_DTYPE_U8: dst[i] = (float)v; break;
        case ZT_DTYPE_BOOL: dst[i] = v ? 1.0f : 0.0f; break;
        }
    }
}

/* --- reader --- */

struct range {
    uint64_t begin, end;
    int idx; /* into out->t */
};

static int cmp_range(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

static int cmp_tensor_name(const void *a, const void *b)
{
    return strcmp(((const struct zt_st_tensor *)a)->name, ((const struct zt_st_tensor *)b)->name);
}

/* Checks a non-negative JSON integer; *v gets it. */
static int get_uint(const json_t *j, uint64_t *v)
{
    if (!json_is_integer(j) || json_integer_value(j) < 0) return -1;
    *v = (uint64_t)json_integer_value(j);
    return 0;
}

#define BAD(...)                                                                               \
    do {                                                                                       \
        zt_seterr("safetensors: " __VA_ARGS__);                                                \
        return ZT_EFORMAT;                                                                     \
    } while (0)

/* Validates one tensor entry; fills t (not its name/data) and r. */
static int parse_entry(const char *name, const json_t *val, uint64_t dlen, struct zt_st_tensor *t,
                       struct range *r)
{
    if (!*name) BAD("a tensor has an empty name");
    if (!json_is_object(val)) BAD("tensor \"%s\": entry is not a JSON object", name);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)val, k, v)
    {
        if (strcmp(k, "dtype") && strcmp(k, "shape") && strcmp(k, "data_offsets"))
            BAD("tensor \"%s\": unknown field \"%s\"", name, k);
    }
    const json_t *jd = json_object_get(val, "dtype");
    const json_t *js = json_object_get(val, "shape");
    const json_t *jo = json_object_get(val, "data_offsets");
    if (!jd || !json_is_string(jd)) BAD("tensor \"%s\": \"dtype\" missing or not a string", name);
    const char *ds = json_string_value(jd);
    int found = 0;
    for (size_t i = 0; i < ZT_ARRAY_LEN(dtypes); i++) {
        if (!strcmp(ds, dtypes[i].name)) {
            t->dtype = (enum zt_dtype)i;
            found = 1;
        }
    }
    if (!found) BAD("tensor \"%s\": unsupported dtype \"%.40s\"", name, ds);
    if (!js || !json_is_array(js)) BAD("tensor \"%s\": \"shape\" missing or not an array", name);
    size_t nd = json_array_size(js);
    if (nd > ZT_ST_MAX_DIMS)
        BAD("tensor \"%s\": shape has %zu dims (max %d)", name, nd, ZT_ST_MAX_DIMS);
    t->ndim = (int)nd;
    uint64_t numel = 1, nbytes;
    for (size_t i = 0; i < nd; i++) {
        uint64_t d;
        if (get_uint(json_array_get(js, i), &d))
            BAD("tensor \"%s\": shape[%zu] is not a non-negative integer", name, i);
        if (__builtin_mul_overflow(numel, d, &numel) || numel > (uint64_t)INT64_MAX)
            BAD("tensor \"%s\": shape overflows at shape[%zu]", name, i);
        t->shape[i] = (int64_t)d;
    }
    if (__builtin_mul_overflow(numel, (uint64_t)dtypes[t->dtype].size, &nbytes))
        BAD("tensor \"%s\": shape overflows (bytes)", name);
    t->numel = (int64_t)numel;
    if (!jo || !json_is_array(jo) || json_array_size(jo) != 2)
        BAD("tensor \"%s\": \"data_offsets\" missing or not [begin, end]", name);
    if (get_uint(json_array_get(jo, 0), &r->begin) || get_uint(json_array_get(jo, 1), &r->end))
        BAD("tensor \"%s\": data_offsets are not non-negative integers", name);
    if (r->begin > r->end)
        BAD("tensor \"%s\": data_offsets begin %llu > end %llu", name,
            (unsigned long long)r->begin, (unsigned long long)r->end);
    if (r->end > dlen)
        BAD("tensor \"%s\": data_offsets end %llu is past the %llu-byte data buffer", name,
            (unsigned long long)r->end, (unsigned long long)dlen);
    if (r->end - r->begin != nbytes)
        BAD("tensor \"%s\": data_offsets span %llu bytes but shape x %s needs %llu", name,
            (unsigned long long)(r->end - r->begin), dtypes[t->dtype].name,
            (unsigned long long)nbytes);
    return ZT_OK;
}

static int parse_meta(const json_t *val, char **out)
{
    if (!json_is_object(val)) BAD("\"__metadata__\" is not a JSON object");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)val, k, v)
    {
        if (!json_is_string(v)) BAD("\"__metadata__\" value of \"%s\" is not a string", k);
    }
    *out = json_dumps(val, JSON_COMPACT);
    if (!*out) {
        zt_seterr("safetensors: out of memory dumping metadata");
        return ZT_ENOMEM;
    }
    return ZT_OK;
}

int zt_st_parse(const uint8_t *buf, size_t len, struct zt_st_file *out)
{
    int rc = ZT_EFORMAT;
    json_t *root = NULL;
    struct range *ranges = NULL;
    memset(out, 0, sizeof *out);
    if (len < 8) {
        zt_seterr("safetensors: %zu bytes is shorter than the 8-byte header length", len);
        goto fail;
    }
    uint64_t hlen = rd_le(buf, 8);
    if (hlen > ZT_ST_MAX_HEADER) {
        zt_seterr("safetensors: header length %llu exceeds the %u-byte limit",
                  (unsigned long long)hlen, ZT_ST_MAX_HEADER);
        goto fail;
    }
    if (hlen > len - 8) {
        zt_seterr("safetensors: header length %llu is past the end of the %zu-byte file",
                  (unsigned long long)hlen, len);
        goto fail;
    }
    json_error_t jerr;
    root = json_loadb((const char *)buf + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        zt_seterr("safetensors: header is not valid JSON: %s (at byte %d)", jerr.text,
                  jerr.position);
        goto fail;
    }
    if (!json_is_object(root)) {
        zt_seterr("safetensors: header is not a JSON object");
        goto fail;
    }
    uint64_t dlen = len - 8 - hlen;
    const uint8_t *data = buf + 8 + hlen;
    size_t n = json_object_size(root);
    rc = ZT_ENOMEM;
    out->t = calloc(n ? n : 1, sizeof *out->t);
    ranges = calloc(n ? n : 1, sizeof *ranges);
    if (!out->t || !ranges) {
        zt_seterr("safetensors: out of memory for %zu tensors", n);
        goto fail;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        if (!strcmp(key, "__metadata__")) {
            if ((rc = parse_meta(val, &out->metadata_json))) goto fail;
            continue;
        }
        struct zt_st_tensor *t = &out->t[out->n];
        struct range *r = &ranges[out->n];
        if ((rc = parse_entry(key, val, dlen, t, r))) goto fail;
        r->idx = out->n;
        if (!(t->name = strdup(key))) {
            rc = ZT_ENOMEM;
            zt_seterr("safetensors: out of memory");
            goto fail;
        }
        out->n++;
    }
    /* the ranges must tile [0, dlen) exactly, as the reference validates */
    rc = ZT_EFORMAT;
    qsort(ranges, (size_t)out->n, sizeof *ranges, cmp_range);
    uint64_t pos = 0;
    for (int i = 0; i < out->n; i++) {
        const char *nm = out->t[ranges[i].idx].name;
        if (ranges[i].begin < pos) {
            zt_seterr("safetensors: tensor \"%s\": data_offsets [%llu, %llu] overlap tensor "
                      "\"%s\"", nm, (unsigned long long)ranges[i].begin,
                      (unsigned long long)ranges[i].end, out->t[ranges[i - 1].idx].name);
            goto fail;
        }
        if (ranges[i].begin > pos) {
            zt_seterr("safetensors: tensor \"%s\": data_offsets begin %llu leaves a gap after "
                      "byte %llu", nm, (unsigned long long)ranges[i].begin,
                      (unsigned long long)pos);
            goto fail;
        }
        pos = ranges[i].end;
    }
    if (pos != dlen) {
        zt_seterr("safetensors: tensors cover %llu bytes but the data buffer has %llu",
                  (unsigned long long)pos, (unsigned long long)dlen);
        goto fail;
    }
    /* widen */
    rc = ZT_ENOMEM;
    for (int i = 0; i < out->n; i++) {
        struct zt_st_tensor *t = &out->t[ranges[i].idx];
        if (t->numel == 0) continue;
        if (!(t->data = malloc((size_t)t->numel * sizeof(float)))) {
            zt_seterr("safetensors: tensor \"%s\": out of memory for %lld floats", t->name,
                      (long long)t->numel);
            goto fail;
        }
        widen(t->dtype, data + ranges[i].begin, t->numel, t->data);
    }
    qsort(out->t, (size_t)out->n, sizeof *out->t, cmp_tensor_name);
    free(ranges);
    json_decref(root);
    return ZT_OK;
fail:
    free(ranges);
    json_decref(root);
    zt_st_free(out);
    return rc;
}

int zt_st_load(const char *path, struct zt_st_file *out)
{
    memset(out, 0, sizeof *out);
    struct zt_buf b = {0};
    int rc = zt_file_read(path, 0, &b);
    if (rc == ZT_OK) rc = zt_st_parse(b.data ? b.data : (const uint8_t *)"", b.len, out);
    if (rc) zt_adderr("%s", path);
    zt_buf_deinit(&b);
    return rc;
}

void zt_st_free(struct zt_st_file *f)
{
    if (!f) return;
    for (int i = 0; i < f->n; i++) {
        free(f->t[i].name);
        free(f->t[i].data);
    }
    free(f->t);
    free(f->metadata_json);
    memset(f, 0, sizeof *f);
}

const struct zt_st_tensor *zt_st_get(const struct zt_st_file *f, const char *name)
{
    if (!f || !name || f->n <= 0) return NULL;
    struct zt_st_tensor key = {.name = (char *)name};
    return bsearch(&key, f->t, (size_t)f->n, sizeof *f->t, cmp_tensor_name);
}

/* --- writer --- */

struct wtensor {
    char *name;
    enum zt_dtype dtype;
    int ndim;
    int64_t shape[ZT_ST_MAX_DIMS];
    int64_t numel;
    const float *data; /* borrowed */
};

struct zt_st_writer {
    struct wtensor *t;
    int n, cap;
    json_t *meta; /* object, insertion order */
};

struct zt_st_writer *zt_st_writer_new(void)
{
    struct zt_st_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->meta = json_object())) {
        free(w);
        zt_seterr("safetensors: out of memory");
        return NULL;
    }
    return w;
}

void zt_st_writer_free(struct zt_st_writer *w)
{
    if (!w) return;
    for (int i = 0; i < w->n; i++) free(w->t[i].name);
    free(w->t);
    json_decref(w->meta);
    free(w);
}

int zt_st_writer_add(struct zt_st_writer *w, const char *name, enum zt_dtype dtype, int ndim,
                     const int64_t *shape, const float *data)
{
    if (!name || !*name || !strcmp(name, "__metadata__")) {
        zt_seterr("safetensors writer: empty or reserved tensor name");
        return ZT_EINVAL;
    }
    if (!writable(dtype)) {
        zt_seterr("safetensors writer: tensor \"%s\": cannot write dtype %s", name,
                  zt_dtype_name(dtype));
        return ZT_EINVAL;
    }
    if (ndim < 0 || ndim > ZT_ST_MAX_DIMS || (ndim > 0 && !shape)) {
        zt_seterr("safetensors writer: tensor \"%s\": bad ndim %d", name, ndim);
        return ZT_EINVAL;
    }
    json_t *probe = json_string(name);
    json_decref(probe);
    if (!probe) {
        zt_seterr("safetensors writer: tensor name is not valid UTF-8");
        return ZT_EINVAL;
    }
    for (int i = 0; i < w->n; i++) {
        if (!strcmp(w->t[i].name, name)) {
            zt_seterr("safetensors writer: duplicate tensor name \"%s\"", name);
            return ZT_EINVAL;
        }
    }
    struct wtensor t = {.dtype = dtype, .ndim = ndim, .numel = 1, .data = data};
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || __builtin_mul_overflow(t.numel, shape[i], &t.numel) ||
            t.numel > INT64_MAX / 8) {
            zt_seterr("safetensors writer: tensor \"%s\": bad or overflowing shape[%d]", name, i);
            return ZT_EINVAL;
        }
        t.shape[i] = shape[i];
    }
    if (t.numel > 0 && !data) {
        zt_seterr("safetensors writer: tensor \"%s\": NULL data", name);
        return ZT_EINVAL;
    }
    if (w->n == w->cap) {
        int cap = w->cap ? 2 * w->cap : 16;
        struct wtensor *p = realloc(w->t, (size_t)cap * sizeof *p);
        if (!p) goto oom;
        w->t = p;
        w->cap = cap;
    }
    if (!(t.name = strdup(name))) goto oom;
    w->t[w->n++] = t;
    return ZT_OK;
oom:
    zt_seterr("safetensors writer: out of memory");
    return ZT_ENOMEM;
}

int zt_st_writer_meta(struct zt_st_writer *w, const char *key, const char *value)
{
    if (!key || !value || json_object_get(w->meta, key)) {
        zt_seterr("safetensors writer: missing or duplicate metadata key \"%s\"",
                  key ? key : "(null)");
        return ZT_EINVAL;
    }
    json_t *s = json_string(value);
    if (!s || json_object_set_new(w->meta, key, s)) {
        zt_seterr("safetensors writer: metadata \"%s\": not valid UTF-8 or out of memory", key);
        return ZT_EINVAL;
    }
    return ZT_OK;
}

static int cmp_wtensor(const void *a, const void *b)
{
    const struct wtensor *x = *(const struct wtensor *const *)a;
    const struct wtensor *y = *(const struct wtensor *const *)b;
    int rx = dtypes[x->dtype].rank, ry = dtypes[y->dtype].rank;
    if (rx != ry) return rx > ry ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void narrow(const struct wtensor *t, uint8_t *dst)
{
    for (int64_t i = 0; i < t->numel; i++) {
        switch (t->dtype) {
        case ZT_DTYPE_F32: wr_le(dst + 4 * i, f2u(t->data[i]), 4); break;
        case ZT_DTYPE_F16: wr_le(dst + 2 * i, zt_f32_to_f16(t->data[i]), 2); break;
        default: wr_le(dst + 2 * i, zt_f32_to_bf16(t->data[i]), 2); break;
        }
    }
}

int zt_st_writer_serialize(struct zt_st_writer *w, struct zt_buf *out)
{
    int rc = ZT_ENOMEM;
    const struct wtensor **order = calloc(w->n ? (size_t)w->n : 1, sizeof *order);
    json_t *root = json_object();
    char *hdr = NULL;
    if (!order || !root) goto oom;
    for (int i = 0; i < w->n; i++) order[i] = &w->t[i];
    qsort(order, (size_t)w->n, sizeof *order, cmp_wtensor);
    if (json_object_size(w->meta) && json_object_set(root, "__metadata__", w->meta)) goto oom;
    uint64_t off = 0;
    for (int i = 0; i < w->n; i++) {
        const struct wtensor *t = order[i];
        uint64_t nbytes = (uint64_t)t->numel * dtypes[t->dtype].size, end;
        if (__builtin_add_overflow(off, nbytes, &end) || end > SIZE_MAX / 2) {
            zt_seterr("safetensors writer: total data size overflows");
            rc = ZT_ETOOBIG;
            goto fail;
        }
        json_t *shape = json_array();
        if (!shape) goto oom;
        for (int d = 0; d < t->ndim; d++) {
            if (json_array_append_new(shape, json_integer(t->shape[d]))) {
                json_decref(shape);
                goto oom;
            }
        }
        /* "o" steals shape; keys keep this order in the output */
        json_t *e = json_pack("{s:s,s:o,s:[I,I]}", "dtype", dtypes[t->dtype].name, "shape", shape,
                              "data_offsets", (json_int_t)off, (json_int_t)end);
        if (!e || json_object_set_new(root, t->name, e)) goto oom;
        off = end;
    }
    if (!(hdr = json_dumps(root, JSON_COMPACT))) goto oom;
    size_t hl = strlen(hdr), pad = (8 - hl % 8) % 8;
    if ((uint64_t)hl + pad > ZT_ST_MAX_HEADER) {
        zt_seterr("safetensors writer: header of %zu bytes is over the limit", hl);
        rc = ZT_ETOOBIG;
        goto fail;
    }
    size_t total = 8 + hl + pad + (size_t)off;
    if ((rc = zt_buf_reserve(out, total))) goto fail;
    uint8_t *p = out->data + out->len;
    wr_le(p, hl + pad, 8);
    memcpy(p + 8, hdr, hl);
    memset(p + 8 + hl, ' ', pad);
    p += 8 + hl + pad;
    for (int i = 0; i < w->n; i++) {
        narrow(order[i], p);
        p += (size_t)order[i]->numel * dtypes[order[i]->dtype].size;
    }
    out->len += total;
    out->data[out->len] = 0;
    rc = ZT_OK;
    goto fail;
oom:
    zt_seterr("safetensors writer: out of memory");
    rc = ZT_ENOMEM;
fail:
    free(hdr);
    json_decref(root);
    free(order);
    return rc;
}

int zt_st_writer_save(struct zt_st_writer *w, const char *path)
{
    struct zt_buf b = {0};
    int rc = zt_st_writer_serialize(w, &b);
    if (rc == ZT_OK) rc = zt_file_write_atomic(path, b.data, b.len);
    zt_buf_deinit(&b);
    return rc;
}
