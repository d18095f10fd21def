# suite.sh: the preamble the shell suites that start servers share; source it
# with SUITE set ("live", "front"): the binary under test ($Z, default the
# release build), a fresh scratch folder $T, the pass/fail/skip counters with
# ok/bad/skip, python ($PY), and server processes in PIDS killed on exit.
# summary prints the "N passed, N failed, N skipped" line run_all.sh reads.
set -u
Z=${ZTYLE:-build/release/ztyle}
T=build/test-tmp/$SUITE-$(basename "$(dirname "$Z")")
rm -rf "$T" && mkdir -p "$T"
pass=0
fail=0
skipped=0
ok() { pass=$((pass + 1)); }
skip() { skipped=$((skipped + 1)); echo "  SKIPPED $SUITE: $*"; }
bad() { fail=$((fail + 1)); echo "  FAIL $SUITE: $*"; }
summary() { echo "$pass passed, $fail failed, $skipped skipped"; }
PY=$(command -v /usr/bin/python3 || command -v python3)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
