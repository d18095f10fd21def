#!/usr/bin/env bash
# front_test.sh: deploy/haproxy.cfg in front of two `ztyle serve` replicas on
# one catalogue (PostgreSQL when ZTYLE_TEST_PG names a server, else one SQLite
# file), issue 16: searches go through the front while a third process
# ingests and one replica is killed with SIGKILL; every search must answer
# 200 (the proxy retries on the other replica) and the survivor must converge
# on the new catalogue. Skipped, and counted as skipped, without haproxy.
# Needs curl and python3. Prints "N passed, N failed, N skipped" last.
SUITE=front
. "$(dirname "$0")/suite.sh"
HAPROXY=$(command -v haproxy || ls /usr/sbin/haproxy 2>/dev/null)
if [ -z "$HAPROXY" ]; then
    skip "haproxy is not installed (apt-get install haproxy)"
    summary
    exit 0
fi
py() { $PY -c "import json,sys; d=json.load(open('$1')); sys.exit(0 if ($2) else 1)" 2>/dev/null; }

mkdir -p "$T/first" "$T/more"
cp -r tests/data/mini/train/hat tests/data/mini/train/pants "$T/first/"
cp -r tests/data/mini/train/skirt tests/data/mini/train/t-shirt "$T/more/"
$PY - "$T" <<'EOF' || bad "fixtures"
import base64, json, sys
t = sys.argv[1]
def url(p): return 'data:image/png;base64,' + base64.b64encode(open(p, 'rb').read()).decode()
json.dump({'photo': url('tests/data/mini/train/hat/hat-t0.png'), 'k': 100}, open(f'{t}/hat.json', 'w'))
EOF

SCHEMA=""
if [ -n "${ZTYLE_TEST_PG:-}" ] && command -v psql >/dev/null &&
    psql "$ZTYLE_TEST_PG" -qc "DROP SCHEMA IF EXISTS ztfront_$$ CASCADE; CREATE SCHEMA ztfront_$$" >/dev/null 2>&1; then
    SCHEMA=ztfront_$$
    CAT="$ZTYLE_TEST_PG&options=-csearch_path%3D$SCHEMA"
    export ZTYLE_MEDIA=$T/media
    echo "  front: catalogue on PostgreSQL"
else
    CAT=$T/shop.db
    echo "  front: catalogue on SQLite (ZTYLE_TEST_PG not set)"
fi
"$Z" ingest --catalog "$CAT" --quiet --embed "" "$T/first" >"$T/ingest1.log" 2>&1 || bad "first ingest: $(tail -3 "$T/ingest1.log")"

# start_replica NAME: sets RPID and RPORT
start_replica() {
    "$Z" serve --port 0 --catalog "$CAT" --model none --embed "" --workers 1 --reload-ms 300 >"$T/$1.out" 2>"$T/$1.err" &
    RPID=$!
    PIDS+=("$RPID")
    RPORT=""
    for _ in $(seq 1 300); do
        RPORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/$1.out")
        [ -n "$RPORT" ] && return 0
        kill -0 "$RPID" 2>/dev/null || break
        sleep 0.1
    done
    bad "replica $1 did not start: $(tail -5 "$T/$1.err")"
    return 1
}
start_replica a || { summary; exit 1; }
APID=$RPID APORT=$RPORT
start_replica b || { summary; exit 1; }
BPID=$RPID BPORT=$RPORT

# the deploy file, on loopback: its bind, its servers, and faster checks
# (still longer than a reload: a replica behind for a moment stays in)
FPORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|^    bind :80|    bind 127.0.0.1:$FPORT|" -e '/^    server r[0-9]/d' \
    -e 's|inter 2s fall 3 rise 2|inter 500ms fall 3 rise 1|' deploy/haproxy.cfg >"$T/haproxy.cfg"
printf '    server a 127.0.0.1:%s check\n    server b 127.0.0.1:%s check\n' "$APORT" "$BPORT" >>"$T/haproxy.cfg"
if "$HAPROXY" -c -f "$T/haproxy.cfg" >"$T/haproxy-check.log" 2>&1; then ok; else bad "haproxy -c: $(tail -3 "$T/haproxy-check.log")"; fi
"$HAPROXY" -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
HPID=$!
PIDS+=("$HPID")
FRONT=http://127.0.0.1:$FPORT
for _ in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$FRONT/readyz")" = 200 ] && break
    sleep 0.1
done
if [ "$(curl -s -o "$T/r0" -w '%{http_code}' --max-time 5 "$FRONT/readyz")" = 200 ]; then ok; else bad "front /readyz: $(cat "$T/r0") $(tail -5 "$T/haproxy.log")"; fi

# searches through the front while another process ingests and replica a dies
codes=$T/codes
: >"$codes"
(for _ in $(seq 1 150); do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -H 'Content-Type: application/json' \
        --data-binary @"$T/hat.json" "$FRONT/api/search" >>"$codes"
    sleep 0.02
done) &
SPID=$!
sleep 0.5
"$Z" ingest --catalog "$CAT" --quiet --embed "" "$T/more" >"$T/ingest2.log" 2>&1 || bad "second ingest: $(tail -3 "$T/ingest2.log")"
sleep 0.5
kill -KILL "$APID"
wait "$APID" 2>/dev/null
wait "$SPID"
n200=$(grep -c '^200$' "$codes")
nall=$(wc -l <"$codes")
if [ "$nall" = 150 ] && [ "$n200" = 150 ]; then ok; else bad "searches through the front: $n200 of $nall answered 200: $(sort "$codes" | uniq -c | tr '\n' ' ')"; fi
echo "  front: $n200 of $nall searches answered 200 across an ingest and a SIGKILL"
if grep -q "replicas/a is DOWN.*Connection refused" "$T/haproxy.log"; then ok; else bad "the proxy never saw replica a go: $(tail -3 "$T/haproxy.log")"; fi

# the survivor converged on the new catalogue, and the front answers with it
conv=0
for _ in $(seq 1 100); do
    curl -s -o "$T/rb" --max-time 5 "http://127.0.0.1:$BPORT/readyz"
    py "$T/rb" "d['status'] == 'ready' and d['products'] == 8" && { conv=1; break; }
    sleep 0.1
done
if [ "$conv" = 1 ]; then ok; else bad "replica b did not converge: $(cat "$T/rb")"; fi
curl -s -o "$T/cats" --max-time 5 "$FRONT/api/categories"
if py "$T/cats" "d['total'] == 8"; then ok; else bad "front categories: $(cat "$T/cats")"; fi
# a replica started now, on the same catalogue, serves it too
start_replica c && {
    curl -s -o "$T/rc" --max-time 5 "http://127.0.0.1:$RPORT/readyz"
    if py "$T/rc" "d['status'] == 'ready' and d['products'] == 8"; then ok; else bad "replica c: $(cat "$T/rc")"; fi
    kill -TERM "$RPID"
    wait "$RPID" || bad "replica c: exit status after SIGTERM"
}
kill -TERM "$BPID"
wait "$BPID" || bad "replica b: exit status after SIGTERM"
kill "$HPID" 2>/dev/null
wait "$HPID" 2>/dev/null
[ -n "$SCHEMA" ] && psql "$ZTYLE_TEST_PG" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1
summary
[ "$fail" -eq 0 ]
