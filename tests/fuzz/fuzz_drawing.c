/* fuzz_drawing.c: libFuzzer harness for what a drawing costs (issue 14: a
 * solid black 4000 x 4000 PNG held a worker for minutes in thinning). The
 * input's first byte picks a drawing (PNG of any size up to the server's
 * 4096 px / 16 Mpx limits, or raw pixels of a small image); the drawing goes
 * through the split (downscale to 512, classes, thinning) as the server
 * does. It must succeed or fail with a code, the planes must be at most
 * 512 a side, and libFuzzer's -timeout (fuzz_test.sh: 10 s) catches any input
 * whose cost grows with its size again.
 * Build: make fuzz; run: build/fuzz/fuzz_drawing -max_total_time=60 -timeout=10 */
#include "../../src/img/hints.h"
#include "../../src/img/image.h"
#include "../../src/util/zt.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    const struct zt_image_limits lim = {4096, 4096, 16 << 20};
    struct zt_image d = {0}, e = {0}, hr = {0}, hm = {0};
    int rc;
    if (data[0] & 1) { /* an encoded image, as uploaded */
        rc = zt_image_decode(data + 1, size - 1, 0, &lim, &d);
        if (rc) return 0;
    } else { /* raw pixels: w from byte 1, c from byte 2, rows from the rest */
        int c = 1 + data[2] % 4, w = 1 + data[1] % 64;
        c = c == 2 ? 3 : c;
        size_t n = size - 3;
        int h = (int)(n / ((size_t)w * c));
        if (h < 1) return 0;
        if (zt_image_new(&d, w, h, c)) return 0;
        memcpy(d.px, data + 3, (size_t)w * h * c);
    }
    rc = zt_drawing_split(&d, NULL, &e, &hr, &hm);
    if (rc == ZT_OK) {
        if (e.w > 512 || e.h > 512 || e.w != hr.w || e.h != hm.h || e.c != 1) abort();
        zt_image_free(&e), zt_image_free(&hr), zt_image_free(&hm);
    } else if (rc != ZT_ENOMEM || !zt_errmsg()[0]) {
        abort();
    }
    zt_image_free(&d);
    return 0;
}
