/* fuzz_png.c: libFuzzer harness for zt_image_decode on PNG input. Any input
 * must decode or fail with ZT_EFORMAT/ZT_ETOOBIG, never crash; a decoded
 * image must be sane and survive channel conversion and a PNG round trip.
 * Build: make fuzz; seeds: /usr/bin/python3 scripts/gen_img_golden.py
 * --fuzz-seeds build/fuzz-corpus; run: build/fuzz/fuzz_png -max_total_time=180
 * -rss_limit_mb=2048 build/fuzz-corpus/png */
#include "fuzz_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_decode_one(data, size); }
