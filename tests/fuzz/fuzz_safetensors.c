/* fuzz_safetensors.c: libFuzzer harness for the safetensors reader. Any input
 * must parse or fail with ZT_EFORMAT; a file that parses must survive a
 * write -> parse round trip with the same names, shapes, metadata and values.
 * Build: make fuzz; run: build/fuzz/fuzz_safetensors CORPUS -max_total_time=180
 * (seed CORPUS with tests/data/safetensors/). */
#include "../../src/nn/safetensors.h"
#include "../../src/util/buf.h"
#include "../../src/util/zt.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int same_value(float a, float b)
{
    if (isnan(a)) return isnan(b) != 0; /* narrowing canonicalises NaN payloads */
    return memcmp(&a, &b, sizeof a) == 0;
}

static void roundtrip(const struct zt_st_file *f)
{
    struct zt_st_writer *w = zt_st_writer_new();
    struct zt_buf b = {0};
    struct zt_st_file g;
    memset(&g, 0, sizeof g);
    if (!w) abort();
    for (int i = 0; i < f->n; i++) {
        const struct zt_st_tensor *t = &f->t[i];
        enum zt_dtype d = t->dtype <= ZT_DTYPE_BF16 ? t->dtype : ZT_DTYPE_F32;
        if (zt_st_writer_add(w, t->name, d, t->ndim, t->shape, t->data)) abort();
    }
    if (f->metadata_json) {
        json_t *m = json_loads(f->metadata_json, 0, NULL);
        const char *k;
        json_t *v;
        if (!m) abort();
        json_object_foreach(m, k, v)
        {
            if (zt_st_writer_meta(w, k, json_string_value(v))) abort();
        }
        json_decref(m);
    }
    int rc = zt_st_writer_serialize(w, &b);
    if (rc == ZT_ETOOBIG || rc == ZT_ENOMEM) goto out;
    if (rc || zt_st_parse(b.data, b.len, &g)) abort();
    if (g.n != f->n) abort();
    if (!f->metadata_json != !g.metadata_json) abort();
    if (f->metadata_json && strcmp(f->metadata_json, g.metadata_json)) abort();
    for (int i = 0; i < f->n; i++) {
        const struct zt_st_tensor *a = &f->t[i], *c = &g.t[i];
        if (strcmp(a->name, c->name) || a->ndim != c->ndim || a->numel != c->numel) abort();
        if (memcmp(a->shape, c->shape, sizeof(int64_t) * (size_t)a->ndim)) abort();
        if (zt_st_get(&g, a->name) != c) abort();
        for (int64_t j = 0; j < a->numel; j++)
            if (!same_value(a->data[j], c->data[j])) abort();
    }
out:
    zt_st_free(&g);
    zt_buf_deinit(&b);
    zt_st_writer_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct zt_st_file f;
    int rc = zt_st_parse(data, size, &f);
    if (rc == ZT_OK) roundtrip(&f);
    else if (rc != ZT_EFORMAT && rc != ZT_ENOMEM) abort();
    else if (!zt_errmsg()[0]) abort(); /* every failure says why */
    zt_st_free(&f);
    return 0;
}
