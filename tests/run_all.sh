#!/usr/bin/env bash
# run_all.sh: `make test`. Builds release and ASan+UBSan, runs the unit tests
# under both, then the include-order check and the shell tests
# (tests/*_test.sh) with both binaries, and prints one combined
# "N passed, N failed, N skipped" line last.
set -u
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
total_pass=0
total_fail=0
total_skip=0
add_counts() { # parses the last "N passed, N failed, N skipped" line of a log
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$1" | tail -n 1)
    if [ -z "$line" ]; then
        echo "run_all: $2 printed no summary line (crashed?)" >&2
        total_fail=$((total_fail + 1))
        return
    fi
    total_pass=$((total_pass + $(echo "$line" | awk '{print $1}')))
    total_fail=$((total_fail + $(echo "$line" | awk '{print $3}')))
    total_skip=$((total_skip + $(echo "$line" | awk '{print $5}')))
}
mkdir -p build/logs
# A throwaway PostgreSQL cluster for the catalogue store tests, unless
# ZTYLE_TEST_PG already names a server; stopped and deleted on exit.
if [ -z "${ZTYLE_TEST_PG:-}" ]; then
    . tests/pg_env.sh
    if zt_pg_start >build/logs/pg.log 2>&1; then
        trap zt_pg_stop EXIT
        trap "exit 130" INT TERM # so the EXIT trap also runs on Ctrl-C
    else
        echo "run_all: PostgreSQL did not start (build/logs/pg.log); pg store tests skip (fail in CI)" >&2
    fi
fi
for mode in release asan; do
    echo "== build ($mode)"
    if ! make -s -j"$jobs" MODE=$mode all >build/logs/build-$mode.log 2>&1; then
        cat build/logs/build-$mode.log
        echo "run_all: build ($mode) failed" >&2
        total_fail=$((total_fail + 1))
        continue
    fi
    echo "== unit tests ($mode)"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        OMP_WAIT_POLICY=passive ZT_TEST_TMP=build/test-tmp/$mode build/$mode/zt_test 2>&1 | tee build/logs/test-$mode.log | grep -E 'FAIL|SKIPPED|passed' || true
    add_counts build/logs/test-$mode.log "zt_test ($mode)"
done
echo "== include order"
bash tests/include_order.sh 2>&1 | tee build/logs/include-order.log | grep -E 'FAIL|passed' || true
add_counts build/logs/include-order.log "include order"
# shell tests run the release binary and the sanitizer one (ZTYLE=...)
for mode in release asan; do
    [ -x build/$mode/ztyle ] || continue
    for t in tests/*_test.sh; do
        [ -e "$t" ] || continue
        echo "== $t ($mode)"
        log="build/logs/$(basename "$t" .sh)-$mode.log"
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
            ZTYLE=build/$mode/ztyle bash "$t" 2>&1 | tee "$log" | grep -E 'FAIL|SKIPPED|passed' || true
        add_counts "$log" "$t ($mode)"
    done
done
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
