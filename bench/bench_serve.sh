#!/usr/bin/env bash
# bench_serve.sh: load benchmark of `ztyle serve` with wrk (Debian's wrk,
# `scripts/setup.sh --dev`): POST /api/search and /api/generate at 8, 32 and
# 128 connections for $DURATION seconds each (admission control answers
# what cannot be served within --max-wait with 503 at once), then a
# deliberate overload (64 connections, queue 2). Prints requests/s, served
# (200) requests/s, p50/p99 latency over every answer, errors (must be 0;
# 503 counted apart) and the server's RSS. `make bench-serve`.
# Issue 14's target: at 128 connections served >= 50/s with p99 <= 1 s.
#   ZTYLE=build/release/ztyle  CATALOG=... (default: the demo catalogue,
#   built on first start)  MODEL=... (default: serve's own choice)
#   DURATION=30  CONNS="8 32 128"  WORKERS=(cores)  OUT=build/bench/serve.txt
#   ENDPOINTS="search generate"  SERVE_ARGS= (more `ztyle serve` flags)
set -eu
cd "$(dirname "$0")/.."
Z=${ZTYLE:-build/release/ztyle}
DURATION=${DURATION:-30}
CONNS=${CONNS:-8 32 128}
ENDPOINTS=${ENDPOINTS:-search generate}
OUT=${OUT:-build/bench/serve.txt}
T=build/bench/serve
mkdir -p "$T" "$(dirname "$OUT")"
command -v wrk >/dev/null || { echo "bench_serve: wrk not found (scripts/setup.sh --dev)" >&2; exit 1; }
args=(serve --port 0 --max-per-ip 1000) # all the load comes from one address
[ -n "${CATALOG:-}" ] && args+=(--catalog "$CATALOG")
[ -n "${MODEL:-}" ] && args+=(--model "$MODEL")
[ -n "${WORKERS:-}" ] && args+=(--workers "$WORKERS")
# shellcheck disable=SC2206
args+=(${SERVE_ARGS:-})
"$Z" "${args[@]}" >"$T/server.out" 2>"$T/server.err" &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
URL=""
for _ in $(seq 1 3000); do # the demo catalogue may be built first
    URL=$(sed -n 's|.*listening on \(http://[^ ]*\)/ .*|\1|p' "$T/server.out")
    [ -n "$URL" ] && break
    kill -0 $PID 2>/dev/null || { cat "$T/server.err" >&2; exit 1; }
    sleep 0.2
done
[ -n "$URL" ] || { echo "bench_serve: server did not start" >&2; exit 1; }
rss() { awk '/VmRSS/ {print $2 / 1024 " MiB"}' /proc/$PID/status; }

# the query: a drawing of a top with two colour hints (stdlib python)
/usr/bin/python3 - "$T" <<'PY'
import base64, json, struct, sys, zlib
t = sys.argv[1]
def chunk(k, d): return struct.pack('>I', len(d)) + k + d + struct.pack('>I', zlib.crc32(k + d) & 0xffffffff)
def png(w, h, ctype, px):
    rows = b''.join(b'\0' + b''.join(px(x, y) for x in range(w)) for y in range(h))
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, ctype, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b'')
def line(x, y):
    body = (150 <= x <= 362 and 100 <= y <= 460) and not (154 <= x <= 358 and 104 <= y <= 456)
    sleeve = (60 <= x <= 150 or 362 <= x <= 452) and 100 <= y <= 104
    return b'\0\0\0\xff' if body or sleeve else bytes(4)
def hint(x, y):
    if (x - 256) ** 2 + (y - 250) ** 2 <= 144: return bytes([31, 41, 92, 255])
    if (x - 220) ** 2 + (y - 380) ** 2 <= 100: return bytes([240, 240, 240, 255])
    return bytes(4)
u = lambda b: 'data:image/png;base64,' + base64.b64encode(b).decode()
q = {'sketch': u(png(512, 512, 6, line)), 'hints': u(png(512, 512, 6, hint)), 'category': 'top'}
json.dump(q, open(f'{t}/generate.json', 'w'))
json.dump(dict(q, k=24), open(f'{t}/search.json', 'w'))
PY
curl -sf "$URL/healthz" >"$T/health.json"
{
    echo "bench_serve: $(date -u +%FT%TZ) $(nproc) cores, $(cat "$T/health.json")"
    echo "duration ${DURATION}s per run; wrk threads = min(conns, 2)"
} | tee "$OUT"
for ep in $ENDPOINTS; do
    curl -sf -o /dev/null -H 'Content-Type: application/json' --data-binary @"$T/$ep.json" "$URL/api/$ep" ||
        { echo "bench_serve: /api/$ep does not answer 200 (no model? MODEL=...)" | tee -a "$OUT"; continue; }
    echo "/api/$ep: RSS before $(rss)" | tee -a "$OUT"
    for c in $CONNS; do
        th=$((c < 2 ? c : 2))
        r=$(BODY=$T/$ep.json wrk -t"$th" -c"$c" -d"${DURATION}s" --timeout 30s -s bench/serve_post.lua "$URL/api/$ep" | grep '^RESULT')
        echo "  conns=$c ${r#RESULT } rss=$(rss)" | tee -a "$OUT"
    done
    echo "/api/$ep: RSS after $(rss)" | tee -a "$OUT"
done
# deliberate overload: more connections than workers + queue can hold
kill $PID; wait $PID 2>/dev/null || true
"$Z" "${args[@]}" --queue 2 >"$T/server.out" 2>"$T/server.err" &
PID=$!
URL=""
for _ in $(seq 1 300); do
    URL=$(sed -n 's|.*listening on \(http://[^ ]*\)/ .*|\1|p' "$T/server.out")
    [ -n "$URL" ] && break
    sleep 0.2
done
r=$(BODY=$T/search.json wrk -t2 -c64 -d"$((DURATION / 3 + 1))s" --timeout 30s -s bench/serve_post.lua "$URL/api/search" | grep '^RESULT')
echo "overload /api/search, queue 2, conns=64: ${r#RESULT } (503s expected, errors must be 0) rss=$(rss)" | tee -a "$OUT"
kill -TERM $PID
wait $PID
echo "server stopped cleanly; results in $OUT"
