/* fuzz_form.c: libFuzzer harness for the server's request bodies
 * (src/http/form.c): any bytes as JSON or as multipart/form-data must parse
 * or fail with ZT_EINVAL and a message, never crash or leak; parsed fields
 * must lie inside the form's own storage; image fields must decode or fail
 * cleanly under small limits.
 * Build: make fuzz; run: build/fuzz/fuzz_form -max_total_time=120 */
#include "../../src/http/http_impl.h"
#include "../../src/util/zt.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const char *types[] = {"application/json", "multipart/form-data; boundary=XyZ",
                                  "multipart/form-data; boundary=\"a b\"", "text/plain"};
    const char *ct = types[data[0] % 4];
    struct zt_form f;
    int rc = zt_form_parse(ct, data + 1, size - 1, &f);
    if (rc) {
        if (rc != ZT_EINVAL && rc != ZT_ENOMEM) abort();
        if (f.n != 0 || !zt_errmsg()[0]) abort();
        return 0;
    }
    const struct zt_image_limits lim = {512, 512, 1 << 16};
    for (int i = 0; i < f.n; i++) {
        const struct zt_field *fd = &f.f[i];
        if (fd->data < f.store.data || fd->data + fd->len >= f.store.data + f.store.len + 1 ||
            fd->data[fd->len] != 0)
            abort();
        struct zt_image im = {0};
        if (zt_form_image(&f, fd->name, 0, &lim, &im) == ZT_OK &&
            (im.w <= 0 || im.h <= 0 || (int64_t)im.w * im.h > lim.max_pixels))
            abort();
        zt_image_free(&im);
        long v;
        zt_form_int(&f, fd->name, 0, -5, 5, &v);
    }
    zt_form_deinit(&f);
    return 0;
}
