#!/usr/bin/env bash
# fuzz_test.sh: every libFuzzer harness (tests/fuzz/fuzz_*.c) for a bounded
# time (FUZZ_SECONDS each, default 20; an input over 10 s is a finding too),
# seeded from tests/data and, for the drawing harness, issue 14's solid
# black 4000x4000 PNG. A crash, leak, sanitizer report or slow input fails.
# Needs clang with libFuzzer (scripts/setup.sh); without it the run says so
# and counts it skipped. make test runs it once: the harnesses are ASan+UBSan
# builds already, so the pass with ZTYLE=build/asan/... skips.
set -u
cd "$(dirname "$0")/.."
SECS=${FUZZ_SECONDS:-20}
T=build/test-tmp/fuzz
pass=0
fail=0
case "${ZTYLE:-}" in *asan*) echo "fuzz: runs once, in the release pass"; echo "0 passed, 0 failed, 0 skipped"; exit 0 ;; esac
mkdir -p "$T" build/logs
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return (int)(d && n) * 0; }\n' >"$T/probe.c"
if ! command -v clang >/dev/null 2>&1 || ! clang -fsanitize=fuzzer "$T/probe.c" -o "$T/probe" >/dev/null 2>&1; then
    echo "  SKIPPED fuzz: no clang with libFuzzer (scripts/setup.sh installs it)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
if ! make -s fuzz >build/logs/fuzz-build.log 2>&1; then
    tail -20 build/logs/fuzz-build.log
    echo "  FAIL fuzz: build (build/logs/fuzz-build.log)"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi
# seeds: small images for the decoders, the test weights, the hostile drawing
/usr/bin/python3 - "$T/seed-drawing" <<'PY'
import os, struct, sys, zlib
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
def chunk(k, v): return struct.pack('>I', len(v)) + k + v + struct.pack('>I', zlib.crc32(k + v) & 0xffffffff)
def png(w, h, rows):
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)) + \
        chunk(b'IDAT', zlib.compress(b''.join(b'\0' + rows(y) for y in range(h)), 9)) + chunk(b'IEND', b'')
open(f'{d}/black4000', 'wb').write(b'\x01' + png(4000, 4000, lambda y: bytes(4000)))
open(f'{d}/lines', 'wb').write(b'\x01' + png(300, 200, lambda y: bytes(300) if y % 50 == 0 else b'\xff' * 300))
open(f'{d}/raw', 'wb').write(b'\x00\x3f\x00' + bytes(64 * 64))
PY
seeds() {
    case $1 in
    fuzz_png) echo tests/data/img ;;
    fuzz_safetensors) echo tests/data/safetensors ;;
    fuzz_drawing) echo "$T/seed-drawing" ;;
    esac
}
for bin in build/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    rm -rf "$T/$name" && mkdir -p "$T/$name"
    extra=()
    [ -f "tests/fuzz/$name.dict" ] && extra+=(-dict="tests/fuzz/$name.dict")
    log=build/logs/fuzz-$name.log
    # shellcheck disable=SC2046
    if ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=3072 \
        -artifact_prefix="$T/$name-" "${extra[@]}" "$T/$name" $(seeds "$name") >"$log" 2>&1; then
        pass=$((pass + 1))
        echo "  fuzz: $name: $(sed -n "s/^Done \([0-9]*\) runs.*/\1/p" "$log" | tail -1) runs in $SECS s, no finding"
    else
        fail=$((fail + 1))
        echo "  FAIL fuzz: $name: $(grep -E 'ERROR|SUMMARY|timeout' "$log" | head -3 | tr '\n' ' ') (build/logs/fuzz-$name.log, input in $T/$name-*)"
    fi
done
echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
