/* test_safetensors.c: safetensors reader/writer: round trips per dtype, the
 * torch-written golden file (scripts/gen_safetensors_fixture.py), f16/bf16
 * rounding against a math reference, and malformed files. */
#include "test.h"
#include "../src/nn/safetensors.h"
#include "../src/util/buf.h"
#include "../src/util/fs.h"
#include "../src/util/zt.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* --- conversions against a rounding reference written with libm --- */

/* nearbyint rounds half to even in the default rounding mode */
static uint16_t ref_f16(float f)
{
    uint16_t sign = (bits_of(f) >> 16) & 0x8000;
    if (isnan(f)) return sign | 0x7e00;
    double a = fabs((double)f);
    if (a >= 65520.0) return sign | 0x7c00;
    if (a < ldexp(1.0, -14)) return sign | (uint16_t)nearbyint(a * ldexp(1.0, 24));
    int ex;
    frexp(a, &ex); /* a = m * 2^ex, m in [0.5, 1) */
    int e = ex - 1;
    double q = nearbyint(ldexp(a, 10 - e)); /* [1024, 2048] */
    if (q == 2048) {
        q = 1024;
        e++;
    }
    if (e + 15 >= 31) return sign | 0x7c00;
    return sign | (uint16_t)(((e + 15) << 10) | ((int)q - 1024));
}

static uint16_t ref_bf16(float f)
{
    if (isnan(f)) return 0xffff;
    uint16_t sign = (bits_of(f) >> 16) & 0x8000;
    double a = fabs((double)f);
    if (isinf(a)) return sign | 0x7f80;
    if (a < ldexp(1.0, -126)) return sign | (uint16_t)nearbyint(a * ldexp(1.0, 133));
    int ex;
    frexp(a, &ex);
    int e = ex - 1;
    double q = nearbyint(ldexp(a, 7 - e)); /* [128, 256] */
    if (q == 256) {
        q = 128;
        e++;
    }
    if (e + 127 >= 255) return sign | 0x7f80;
    return sign | (uint16_t)(((e + 127) << 7) | ((int)q - 128));
}

TEST(safetensors, conversions_vs_reference)
{
    /* every 16-bit pattern widens exactly and narrows back to itself */
    for (uint32_t h = 0; h < 65536; h++) {
        float f = zt_f16_to_f32((uint16_t)h);
        int nan = ((h >> 10) & 0x1f) == 0x1f && (h & 0x3ff);
        CHECK_MSG(nan == (isnan(f) != 0), "f16 0x%04x nan-ness", h);
        uint16_t back = zt_f32_to_f16(f);
        if (nan) CHECK_MSG(back == ((h & 0x8000) | 0x7e00), "f16 nan 0x%04x -> 0x%04x", h, back);
        else CHECK_MSG(back == h, "f16 0x%04x -> %g -> 0x%04x", h, f, back);
        float g = zt_bf16_to_f32((uint16_t)h);
        CHECK_MSG(bits_of(g) == h << 16, "bf16 widen 0x%04x", h);
        uint16_t bb = zt_f32_to_bf16(g);
        if (isnan(g)) CHECK_MSG(bb == 0xffff, "bf16 nan 0x%04x -> 0x%04x", h, bb);
        else CHECK_MSG(bb == h, "bf16 0x%04x -> 0x%04x", h, bb);
    }
    /* f16 widening matches arithmetic */
    CHECK(zt_f16_to_f32(0x0001) == ldexpf(1.0f, -24));
    CHECK(zt_f16_to_f32(0x7bff) == 65504.0f);
    CHECK(zt_f16_to_f32(0xc000) == -2.0f);
    /* a strided sweep over all float32 bit patterns, both signs, vs libm rounding */
    int bad16 = 0, bad16b = 0;
    for (uint64_t u = 0; u < (1ull << 32); u += 1021) {
        float f = from_bits((uint32_t)u);
        if (zt_f32_to_f16(f) != ref_f16(f) && bad16++ < 5)
            CHECK_MSG(0, "f16(0x%08x) = 0x%04x, ref 0x%04x", (uint32_t)u, zt_f32_to_f16(f),
                      ref_f16(f));
        if (zt_f32_to_bf16(f) != ref_bf16(f) && bad16b++ < 5)
            CHECK_MSG(0, "bf16(0x%08x) = 0x%04x, ref 0x%04x", (uint32_t)u, zt_f32_to_bf16(f),
                      ref_bf16(f));
    }
    CHECK_EQ_INT(bad16, 0);
    CHECK_EQ_INT(bad16b, 0);
    /* hand-picked ties */
    CHECK(zt_f32_to_f16(from_bits(0x3f801000)) == 0x3c00); /* 1+2^-11 -> 1 */
    CHECK(zt_f32_to_f16(from_bits(0x3f803000)) == 0x3c02); /* 1+3*2^-11 -> up */
    CHECK(zt_f32_to_f16(65520.0f) == 0x7c00);
    CHECK(zt_f32_to_f16(ldexpf(1.0f, -25)) == 0x0000);
    CHECK(zt_f32_to_f16(ldexpf(3.0f, -25)) == 0x0002);
    CHECK(zt_f32_to_bf16(FLT_MAX) == 0x7f80);
    CHECK(zt_f32_to_bf16(from_bits(0x3f808000)) == 0x3f80);
    CHECK(zt_f32_to_bf16(from_bits(0x3f818000)) == 0x3f82);
}

/* --- round trips --- */

static void path_in_tmp(char *out, size_t n, const char *name)
{
    CHECK_OK(zt_path_join(out, n, zt_test_tmpdir(), name));
}

TEST(safetensors, roundtrip_each_dtype)
{
    enum { N = 1000 };
    float *v = malloc(N * sizeof *v);
    for (int i = 0; i < N; i++) v[i] = (float)sin(i * 0.37) * ldexpf(1.0f, i % 40 - 20);
    v[0] = INFINITY;
    v[1] = -0.0f;
    v[2] = NAN;
    v[3] = 1e-42f;
    const enum zt_dtype dts[] = {ZT_DTYPE_F32, ZT_DTYPE_F16, ZT_DTYPE_BF16};
    for (size_t k = 0; k < ZT_ARRAY_LEN(dts); k++) {
        char path[4096], name[64];
        snprintf(name, sizeof name, "rt_%s.safetensors", zt_dtype_name(dts[k]));
        path_in_tmp(path, sizeof path, name);
        struct zt_st_writer *w = zt_st_writer_new();
        CHECK(w != NULL);
        int64_t shape[3] = {10, 25, 4};
        float scalar = 7.25f;
        CHECK_OK(zt_st_writer_add(w, "layer.weight", dts[k], 3, shape, v));
        CHECK_OK(zt_st_writer_add(w, "a.scalar", dts[k], 0, NULL, &scalar));
        int64_t zshape[2] = {3, 0};
        CHECK_OK(zt_st_writer_add(w, "zero", dts[k], 2, zshape, NULL));
        CHECK_OK(zt_st_writer_add(w, "f32.other", ZT_DTYPE_F32, 1, shape, v + 5));
        CHECK_OK(zt_st_writer_meta(w, "format", "pt"));
        CHECK_OK(zt_st_writer_meta(w, "note", "caf\xc3\xa9 \"q\""));
        CHECK_OK(zt_st_writer_save(w, path));
        zt_st_writer_free(w);

        struct zt_st_file f;
        CHECK_OK(zt_st_load(path, &f));
        CHECK_EQ_INT(f.n, 4);
        /* sorted by name */
        for (int i = 1; i < f.n; i++) CHECK(strcmp(f.t[i - 1].name, f.t[i].name) < 0);
        const struct zt_st_tensor *t = zt_st_get(&f, "layer.weight");
        CHECK(t && t->dtype == dts[k] && t->ndim == 3 && t->numel == N);
        if (t) {
            CHECK(t->shape[0] == 10 && t->shape[1] == 25 && t->shape[2] == 4);
            for (int i = 0; i < N; i++) {
                float want = dts[k] == ZT_DTYPE_F32   ? v[i]
                             : dts[k] == ZT_DTYPE_F16 ? zt_f16_to_f32(zt_f32_to_f16(v[i]))
                                                      : zt_bf16_to_f32(zt_f32_to_bf16(v[i]));
                if (bits_of(t->data[i]) != bits_of(want)) {
                    CHECK_MSG(0, "%s [%d]: %g != %g", zt_dtype_name(dts[k]), i, t->data[i], want);
                    break;
                }
            }
            if (dts[k] != ZT_DTYPE_F32) /* narrowing did change something */
                CHECK(bits_of(t->data[7]) != bits_of(v[7]));
        }
        t = zt_st_get(&f, "a.scalar");
        CHECK(t && t->ndim == 0 && t->numel == 1 && t->data && t->data[0] == 7.25f);
        t = zt_st_get(&f, "zero");
        CHECK(t && t->ndim == 2 && t->numel == 0 && t->data == NULL && t->shape[1] == 0);
        t = zt_st_get(&f, "f32.other");
        CHECK(t && t->dtype == ZT_DTYPE_F32 && t->numel == 10 && t->data[3] == v[8]);
        CHECK(zt_st_get(&f, "missing") == NULL);
        CHECK(f.metadata_json &&
              !strcmp(f.metadata_json, "{\"format\":\"pt\",\"note\":\"caf\xc3\xa9 \\\"q\\\"\"}"));
        zt_st_free(&f);
        zt_st_free(&f); /* twice is fine */
        zt_st_free(NULL);

        /* layout: header length a multiple of 8, padded with spaces, F32 first */
        struct zt_buf b = {0};
        CHECK_OK(zt_file_read(path, 0, &b));
        uint64_t hl = 0;
        for (int i = 0; i < 8; i++) hl |= (uint64_t)b.data[i] << (8 * i);
        CHECK(hl % 8 == 0 && hl < b.len);
        CHECK(b.data[8] == '{');
        const char *h = (const char *)b.data + 8;
        CHECK(strstr(h, "\"__metadata__\"") == h + 1);
        if (dts[k] != ZT_DTYPE_F32) {
            const char *p32 = strstr(h, "\"f32.other\""), *p16 = strstr(h, "\"a.scalar\"");
            CHECK(p32 && p16 && p32 < p16);
        }
        zt_buf_deinit(&b);
    }
    free(v);
}

TEST(safetensors, writer_rejects_bad_args)
{
    struct zt_st_writer *w = zt_st_writer_new();
    float x[4] = {1, 2, 3, 4};
    int64_t s1[1] = {4}, neg[1] = {-1}, big[3] = {INT64_MAX / 2, 4, 1};
    CHECK_OK(zt_st_writer_add(w, "x", ZT_DTYPE_F32, 1, s1, x));
    CHECK_RC(zt_st_writer_add(w, "x", ZT_DTYPE_F16, 1, s1, x), ZT_EINVAL);
    CHECK(strstr(zt_errmsg(), "duplicate") != NULL);
    CHECK_RC(zt_st_writer_add(w, "", ZT_DTYPE_F32, 1, s1, x), ZT_EINVAL);
    CHECK_RC(zt_st_writer_add(w, "__metadata__", ZT_DTYPE_F32, 1, s1, x), ZT_EINVAL);
    CHECK_RC(zt_st_writer_add(w, "bad\xff", ZT_DTYPE_F32, 1, s1, x), ZT_EINVAL);
    CHECK_RC(zt_st_writer_add(w, "i", ZT_DTYPE_I64, 1, s1, x), ZT_EINVAL);
    CHECK_RC(zt_st_writer_add(w, "n", ZT_DTYPE_F32, 1, neg, x), ZT_EINVAL);
    CHECK_RC(zt_st_writer_add(w, "o", ZT_DTYPE_F32, 3, big, x), ZT_EINVAL);
    CHECK_RC(zt_st_writer_add(w, "d", ZT_DTYPE_F32, 9, big, x), ZT_EINVAL);
    CHECK_RC(zt_st_writer_add(w, "null", ZT_DTYPE_F32, 1, s1, NULL), ZT_EINVAL);
    CHECK_OK(zt_st_writer_meta(w, "k", "v"));
    CHECK_RC(zt_st_writer_meta(w, "k", "w"), ZT_EINVAL);
    CHECK_RC(zt_st_writer_meta(w, "k2", "\xc3"), ZT_EINVAL);
    CHECK_RC(zt_st_writer_save(w, "/nonexistent-dir/x.safetensors"), ZT_EIO);
    zt_st_writer_free(w);
    zt_st_writer_free(NULL);
    struct zt_st_file f;
    CHECK_RC(zt_st_load("/nonexistent-dir/x.safetensors", &f), ZT_ENOTFOUND);
    zt_st_free(&f);
}

/* --- the torch-written golden file --- */

TEST(safetensors, torch_fixture)
{
    char path[4096];
    CHECK_OK(zt_path_join(path, sizeof path, zt_test_datadir(),
                          "safetensors/torch_written.safetensors"));
    struct zt_st_file f;
    CHECK_OK(zt_st_load(path, &f));
    CHECK_EQ_INT(f.n, 7);
    const struct zt_st_tensor *src = zt_st_get(&f, "src"), *h = zt_st_get(&f, "src_f16"),
                              *b = zt_st_get(&f, "src_bf16");
    CHECK(src && h && b);
    if (!src || !h || !b) goto out;
    CHECK(src->dtype == ZT_DTYPE_F32 && h->dtype == ZT_DTYPE_F16 && b->dtype == ZT_DTYPE_BF16);
    CHECK(src->numel > 500 && h->numel == src->numel && b->numel == src->numel);
    /* widening is injective, so equal float bits mean equal f16/bf16 bits */
    int bad = 0, nsub = 0, ninf = 0, nnan = 0;
    for (int64_t i = 0; i < src->numel; i++) {
        float s = src->data[i];
        float o16 = zt_f16_to_f32(zt_f32_to_f16(s)), o16b = zt_bf16_to_f32(zt_f32_to_bf16(s));
        if (bits_of(o16) != bits_of(h->data[i]) && bad++ < 8)
            CHECK_MSG(0, "f16 [%lld] 0x%08x: ours 0x%04x, torch 0x%04x", (long long)i,
                      bits_of(s), zt_f32_to_f16(s), zt_f32_to_f16(h->data[i]));
        if (bits_of(o16b) != bits_of(b->data[i]) && bad++ < 8)
            CHECK_MSG(0, "bf16 [%lld] 0x%08x: ours 0x%04x, torch 0x%08x", (long long)i,
                      bits_of(s), zt_f32_to_bf16(s), bits_of(b->data[i]));
        nsub += h->data[i] != 0 && fabsf(h->data[i]) < ldexpf(1.0f, -14);
        ninf += isinf(h->data[i]) != 0;
        nnan += isnan(b->data[i]) != 0;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(nsub > 5 && ninf >= 4 && nnan == 2); /* the probes did probe */
    const struct zt_st_tensor *t = zt_st_get(&f, "conv.weight");
    CHECK(t && t->ndim == 4 && t->shape[0] == 4 && t->shape[1] == 3 && t->shape[3] == 2);
    if (t)
        for (int i = 0; i < 48; i++) CHECK(t->data[i] == (i - 20) / 8.0f);
    t = zt_st_get(&f, "conv.bias");
    CHECK(t && t->dtype == ZT_DTYPE_BF16 && t->numel == 4);
    if (t) CHECK(t->data[0] == -1.5f && t->data[1] == 0 && t->data[2] == 2.25f && t->data[3] == 9984.0f);
    t = zt_st_get(&f, "scale");
    CHECK(t && t->dtype == ZT_DTYPE_F16 && t->ndim == 0 && t->data[0] == 0.333251953125f);
    t = zt_st_get(&f, "empty");
    CHECK(t && t->numel == 0 && t->ndim == 2 && t->shape[0] == 0 && t->shape[1] == 3);
    CHECK(f.metadata_json &&
          !strcmp(f.metadata_json,
                  "{\"format\":\"pt\",\"generator\":\"gen_safetensors_fixture.py\"}"));

    /* our writer reproduces the Python (reference-layout) file byte for byte */
    struct zt_st_writer *w = zt_st_writer_new();
    for (int i = 0; i < f.n; i++)
        CHECK_OK(zt_st_writer_add(w, f.t[i].name, f.t[i].dtype, f.t[i].ndim, f.t[i].shape,
                                  f.t[i].data));
    CHECK_OK(zt_st_writer_meta(w, "format", "pt"));
    CHECK_OK(zt_st_writer_meta(w, "generator", "gen_safetensors_fixture.py"));
    struct zt_buf ours = {0}, theirs = {0};
    CHECK_OK(zt_st_writer_serialize(w, &ours));
    CHECK_OK(zt_file_read(path, 0, &theirs));
    CHECK_EQ_INT(ours.len, theirs.len);
    CHECK(ours.len == theirs.len && memcmp(ours.data, theirs.data, ours.len) == 0);
    zt_buf_deinit(&ours);
    zt_buf_deinit(&theirs);
    zt_st_writer_free(w);
out:
    zt_st_free(&f);
}

/* --- malformed input --- */

/* Builds 8-byte length + header + data into b (declared length = strlen(json)
 * unless hlen_override >= 0). */
static void make_file(struct zt_buf *b, const char *json, const void *data, size_t dlen,
                      long long hlen_override)
{
    b->len = 0;
    uint64_t hl = hlen_override >= 0 ? (uint64_t)hlen_override : strlen(json);
    uint8_t le[8];
    for (int i = 0; i < 8; i++) le[i] = (uint8_t)(hl >> (8 * i));
    CHECK_OK(zt_buf_append(b, le, 8));
    CHECK_OK(zt_buf_puts(b, json));
    CHECK_OK(zt_buf_append(b, data, dlen));
}

/* Expects ZT_EFORMAT and a message containing want (if not NULL). */
static void expect_bad(const struct zt_buf *b, const char *want, int line)
{
    struct zt_st_file f;
    int rc = zt_st_parse(b->data, b->len, &f);
    if (rc != ZT_EFORMAT) zt_test_fail(__FILE__, line, "rc %d, want ZT_EFORMAT", rc);
    else if (want && !strstr(zt_errmsg(), want))
        zt_test_fail(__FILE__, line, "message \"%s\" lacks \"%s\"", zt_errmsg(), want);
    CHECK(f.n == 0 && f.t == NULL && f.metadata_json == NULL);
    zt_st_free(&f);
}
#define EXPECT_BAD(json, dlen, want)                                                   \
    do {                                                                               \
        make_file(&b, json, data, dlen, -1);                                           \
        expect_bad(&b, want, __LINE__);                                                \
    } while (0)

TEST(safetensors, malformed_headers)
{
    uint8_t data[64] = {0};
    struct zt_buf b = {0};
    struct zt_st_file f;
    /* sanity: the good one parses */
    make_file(&b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", data, 8, -1);
    CHECK_OK(zt_st_parse(b.data, b.len, &f));
    zt_st_free(&f);

    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]", 8, "JSON");
    EXPECT_BAD("[1,2]", 0, "not a JSON object");
    EXPECT_BAD("", 0, "JSON");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2,
               "F8_E4M3");
    EXPECT_BAD("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "\"a\"");
    EXPECT_BAD("{\"a\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "dtype");
    EXPECT_BAD("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "dtype");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "shape[0]");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", 4, "shape[0]");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4, "shape");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8, "shape");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
               4, "dims");
    /* shape overflow: numel and bytes */
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,0],"
               "\"data_offsets\":[0,0]}}", 0, "overflow");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],"
               "\"data_offsets\":[0,0]}}", 0, "overflow");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],"
               "\"data_offsets\":[0,0]}}", 0, "JSON");
    /* offsets */
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, "data_offsets");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", 8, "data_offsets");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "begin");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8, "data_offsets");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 8, "past");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "needs 8");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[6,10]}}", 10, "overlap");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "overlap");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[10,14]}}", 14, "gap");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 9, "cover");
    /* names, fields, metadata */
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
               "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "duplicate");
    EXPECT_BAD("{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "empty name");
    EXPECT_BAD("{\"a\":[]}", 0, "\"a\"");
    EXPECT_BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4,
               "unknown field");
    EXPECT_BAD("{\"__metadata__\":{\"k\":1}}", 0, "__metadata__");
    EXPECT_BAD("{\"__metadata__\":[]}", 0, "__metadata__");
    EXPECT_BAD("{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, NULL);
    EXPECT_BAD("{\"a\xff\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "JSON");

    /* header lengths: huge, over the 100 MB cap, past the end, too short */
    const char *ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    long long lens[] = {(long long)(UINT64_MAX >> 1), 100000001LL, (long long)strlen(ok) + 5,
                        (long long)strlen(ok) - 1, 0};
    for (size_t i = 0; i < ZT_ARRAY_LEN(lens); i++) {
        make_file(&b, ok, data, 4, lens[i]);
        expect_bad(&b, NULL, __LINE__);
    }
    make_file(&b, ok, data, 4, (long long)(UINT64_MAX >> 1));
    b.data[7] = 0xff; /* top bit too */
    expect_bad(&b, "header length", __LINE__);
    CHECK_RC(zt_st_parse(b.data, 0, &f), ZT_EFORMAT);
    CHECK_RC(zt_st_parse(b.data, 7, &f), ZT_EFORMAT);
    zt_st_free(&f);
    zt_buf_deinit(&b);
}

TEST(safetensors, widened_dtypes)
{
    /* I64 -3, I32 70000, I16 -2, I8 -1, U8 200, BOOL 1/0, F64 0.1 */
    uint8_t d[8 + 4 + 2 + 1 + 1 + 2 + 8] = {0};
    int64_t i64 = -3;
    int32_t i32 = 70000;
    int16_t i16 = -2;
    double f64 = 0.1;
    memcpy(d, &i64, 8);
    memcpy(d + 8, &i32, 4);
    memcpy(d + 12, &i16, 2);
    d[14] = 0xff;
    d[15] = 200;
    d[16] = 1;
    d[17] = 0;
    memcpy(d + 18, &f64, 8);
    struct zt_buf b = {0};
    make_file(&b,
              "{\"i64\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
              "\"i32\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12]},"
              "\"i16\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[12,14]},"
              "\"i8\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[14,15]},"
              "\"u8\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[15,16]},"
              "\"b\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[16,18]},"
              "\"f64\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[18,26]}}",
              d, sizeof d, -1);
    struct zt_st_file f;
    CHECK_OK(zt_st_parse(b.data, b.len, &f));
    CHECK_EQ_INT(f.n, 7);
    const struct zt_st_tensor *t;
    CHECK((t = zt_st_get(&f, "i64")) && t->dtype == ZT_DTYPE_I64 && t->data[0] == -3.0f);
    CHECK((t = zt_st_get(&f, "i32")) && t->data[0] == 70000.0f);
    CHECK((t = zt_st_get(&f, "i16")) && t->data[0] == -2.0f);
    CHECK((t = zt_st_get(&f, "i8")) && t->data[0] == -1.0f);
    CHECK((t = zt_st_get(&f, "u8")) && t->data[0] == 200.0f);
    CHECK((t = zt_st_get(&f, "b")) && t->data[0] == 1.0f && t->data[1] == 0.0f);
    CHECK((t = zt_st_get(&f, "f64")) && t->data[0] == 0.1f && t->ndim == 2);
    CHECK(f.metadata_json == NULL);
    zt_st_free(&f);
    zt_buf_deinit(&b);
}

TEST(safetensors, truncated_and_extended)
{
    /* a valid file cut at every length, and with bytes appended, must fail cleanly */
    struct zt_st_writer *w = zt_st_writer_new();
    float v[6] = {1, -2, 3.5f, 0, 1e-3f, 65504};
    int64_t s[2] = {2, 3};
    CHECK_OK(zt_st_writer_add(w, "w", ZT_DTYPE_F32, 2, s, v));
    CHECK_OK(zt_st_writer_add(w, "h", ZT_DTYPE_F16, 2, s, v));
    CHECK_OK(zt_st_writer_add(w, "b", ZT_DTYPE_BF16, 1, s + 1, v));
    CHECK_OK(zt_st_writer_meta(w, "k", "v"));
    struct zt_buf b = {0};
    CHECK_OK(zt_st_writer_serialize(w, &b));
    zt_st_writer_free(w);
    struct zt_st_file f;
    CHECK_OK(zt_st_parse(b.data, b.len, &f));
    CHECK_EQ_INT(f.n, 3);
    zt_st_free(&f);
    int fails = 0;
    for (size_t cut = 0; cut < b.len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1); /* exact size so ASan sees overreads */
        memcpy(copy, b.data, cut);
        int rc = zt_st_parse(copy, cut, &f);
        if (rc != ZT_EFORMAT && fails++ < 3) CHECK_MSG(0, "cut at %zu: rc %d", cut, rc);
        zt_st_free(&f);
        free(copy);
    }
    CHECK_EQ_INT(fails, 0);
    CHECK_OK(zt_buf_append(&b, "\0", 1));
    CHECK_RC(zt_st_parse(b.data, b.len, &f), ZT_EFORMAT);
    /* every single-byte corruption of the header either parses or fails cleanly */
    b.len--;
    size_t hl = b.data[0] | (size_t)b.data[1] << 8;
    for (size_t i = 8; i < 8 + hl; i++) {
        uint8_t old = b.data[i];
        b.data[i] = (uint8_t)(old ^ 0x5a);
        int rc = zt_st_parse(b.data, b.len, &f);
        CHECK(rc == ZT_OK || rc == ZT_EFORMAT);
        zt_st_free(&f);
        b.data[i] = old;
    }
    zt_buf_deinit(&b);
}
