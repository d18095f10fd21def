#!/usr/bin/env bash
# live_test.sh: a running `ztyle serve` follows writes made by other
# processes without a restart (issue 16): `ztyle ingest` of new products and
# `ztyle catalog rm` of one reach /api/categories, /healthz, /readyz and
# search within a bounded wait; /readyz says 503 while the index is behind
# and 200 with the catalogue version once it is current. On SQLite always;
# on PostgreSQL too when ZTYLE_TEST_PG names a server (else skipped), there
# with a one-minute poll, so that the NOTIFY is what wakes the server.
# Needs curl and python3. Prints "N passed, N failed, N skipped" last.
SUITE=live
. "$(dirname "$0")/suite.sh"
WAIT_S=${ZT_LIVE_WAIT_S:-20} # generous for the sanitizer build; the SQLite case is timed apart

# get PATH: body in $T/body, status printed
get() { curl -s -o "$T/body" -w '%{http_code}' --max-time 30 "$URL$1"; }
# py EXPR: EXPR over d = the JSON in $T/body
py() { $PY -c "import json,sys; d=json.load(open('$T/body')); sys.exit(0 if ($1) else 1)" 2>/dev/null; }
# until_true WHAT PATH EXPR [METHOD_ARGS...]: polls until EXPR holds on the body of PATH
until_true() {
    local what=$1 path=$2 expr=$3 t0
    shift 3
    t0=$(date +%s%N)
    while :; do
        curl -s -o "$T/body" --max-time 30 "$@" "$URL$path" && py "$expr" && break
        if [ $(($(date +%s%N) - t0)) -gt $((WAIT_S * 1000000000)) ]; then
            bad "$what: not within ${WAIT_S} s: ($expr) on $(head -c 400 "$T/body")"
            return 1
        fi
        sleep 0.1
    done
    ok
    local ms=$((($(date +%s%N) - t0) / 1000000))
    ELAPSED=$((ms / 1000)).$(printf '%03d' $((ms % 1000)))
}

# the first catalogue: hats and pants; skirts and t-shirts come later
mkdir -p "$T/first" "$T/more"
cp -r tests/data/mini/train/hat tests/data/mini/train/pants "$T/first/"
cp -r tests/data/mini/train/skirt tests/data/mini/train/t-shirt "$T/more/"
$PY - "$T" <<'EOF' || bad "fixtures"
import base64, json, sys
t = sys.argv[1]
def url(p): return 'data:image/png;base64,' + base64.b64encode(open(p, 'rb').read()).decode()
json.dump({'photo': url('tests/data/mini/train/skirt/skirt-t0.png'), 'k': 100}, open(f'{t}/skirt.json', 'w'))
json.dump({'photo': url('tests/data/mini/train/skirt/skirt-t0.png'), 'k': 100, 'price_max': 2}, open(f'{t}/cheap.json', 'w'))
EOF

# serve NAME CAT [ARGS...]: starts `ztyle serve` on CAT in the background;
# sets URL and SPID (empty URL: it did not start, reported)
serve() {
    local name=$1 cat=$2
    shift 2
    "$Z" serve --port 0 --catalog "$cat" --model none --embed "" --workers 1 "$@" >"$T/$name.out" 2>"$T/$name.err" &
    SPID=$!
    PIDS+=("$SPID")
    URL=""
    for _ in $(seq 1 300); do
        URL=$(sed -n 's|.*listening on \(http://127.0.0.1:[0-9]*\)/.*|\1|p' "$T/$name.out")
        [ -n "$URL" ] && break
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$URL" ] || bad "$name: server did not start: $(tail -5 "$T/$name.err")"
}

# run_case NAME CATALOG RELOAD_MS: the whole sequence on one catalogue
run_case() {
    local name=$1 cat=$2 reload_ms=$3
    export ZTYLE_MEDIA=$T/$name-media # PostgreSQL's media folder; SQLite's is beside the file
    "$Z" ingest --catalog "$cat" --quiet --embed "" "$T/first" >"$T/$name-ingest1.log" 2>&1 ||
        { bad "$name: first ingest: $(tail -3 "$T/$name-ingest1.log")"; return; }
    serve "$name" "$cat" --reload-ms "$reload_ms"
    [ -n "$URL" ] || return
    local pid=$SPID

    # ready, and the version it holds
    local st v0
    st=$(get /readyz)
    if [ "$st" = 200 ] && py "d['status'] == 'ready' and d['behind'] == 0 and d['products'] == 4 and d['reloads'] == {'incremental': 0, 'full': 0}"; then ok; else bad "$name: /readyz at start: $st $(cat "$T/body")"; fi
    v0=$($PY -c "import json; print(json.load(open('$T/body'))['catalog_version'])" 2>/dev/null || echo -1)
    st=$(get /healthz)
    if [ "$st" = 200 ] && py "d['status'] == 'ok' and d['products'] == 4"; then ok; else bad "$name: /healthz: $st $(cat "$T/body")"; fi
    get /api/categories >/dev/null
    if py "d['total'] == 4 and not any(c['name'] == 'skirt' for c in d['categories'])"; then ok; else bad "$name: categories at start: $(cat "$T/body")"; fi

    # another process adds skirts and t-shirts
    "$Z" ingest --catalog "$cat" --quiet --embed "" "$T/more" >"$T/$name-ingest2.log" 2>&1 ||
        { bad "$name: second ingest: $(tail -3 "$T/$name-ingest2.log")"; return; }
    until_true "$name: categories after ingest" /api/categories \
        "d['total'] == 8 and [c['count'] for c in d['categories'] if c['name'] == 'skirt'] == [2]" &&
        echo "  live ($name): ingest -> /api/categories in ${ELAPSED} s"
    # applied from the change log, not rebuilt (issue 16)
    until_true "$name: /readyz after ingest" /readyz "d['status'] == 'ready' and d['catalog_version'] > $v0 and d['reloads']['incremental'] >= 1 and d['reloads']['full'] == 0"
    until_true "$name: /healthz after ingest" /healthz "d['products'] == 8"
    until_true "$name: a skirt is found" /api/search \
        "d['catalog_version'] > $v0 and 'skirt-t0' in [p['id'] for p in d['products']]" \
        -H 'Content-Type: application/json' --data-binary @"$T/skirt.json"

    # ... and removes one
    "$Z" catalog rm --catalog "$cat" skirt-t0 >"$T/$name-rm.log" 2>&1 || bad "$name: catalog rm: $(cat "$T/$name-rm.log")"
    until_true "$name: categories after rm" /api/categories \
        "d['total'] == 7 and [c['count'] for c in d['categories'] if c['name'] == 'skirt'] == [1]"
    until_true "$name: the removed skirt is gone from search" /api/search \
        "len(d['products']) == 7 and 'skirt-t0' not in [p['id'] for p in d['products']] and 'skirt-t1' in [p['id'] for p in d['products']]" \
        -H 'Content-Type: application/json' --data-binary @"$T/skirt.json"
    if grep -q "catalogue reloaded: version [0-9]*, 7 products (incremental: 1 changed" "$T/$name.err"; then ok; else bad "$name: no incremental reload line in the log: $(tail -3 "$T/$name.err")"; fi
    # a price change by another process (a feed row for hat-t0, same photo)
    # reaches the price filter; still incremental
    printf 'id,title,category,price,url,image\nhat-t0,Cheap hat,hat,1.00,/product/hat-t0,%s\n' \
        "$(realpath "$T/first/hat/hat-t0.png")" >"$T/$name-price.csv"
    "$Z" ingest --catalog "$cat" --quiet --embed "" "$T/$name-price.csv" >"$T/$name-price.log" 2>&1 ||
        bad "$name: price ingest: $(tail -3 "$T/$name-price.log")"
    until_true "$name: price_max sees the new price" /api/search \
        "[p['id'] for p in d['products']] == ['hat-t0'] and d['products'][0]['price'] == 1" \
        -H 'Content-Type: application/json' --data-binary @"$T/cheap.json"
    until_true "$name: every reload so far incremental" /readyz \
        "d['status'] == 'ready' and d['reloads']['incremental'] >= 3 and d['reloads']['full'] == 0"

    # searches keep succeeding while snapshots are swapped under them
    local spid codes=$T/$name-codes
    : >"$codes"
    (for _ in $(seq 1 200); do
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -H 'Content-Type: application/json' \
            --data-binary @"$T/skirt.json" "$URL/api/search" >>"$codes"
    done) &
    spid=$!
    for i in 1 2 3; do
        "$Z" catalog rm --catalog "$cat" skirt-t1 >/dev/null 2>&1
        sleep 0.4
        "$Z" ingest --catalog "$cat" --quiet --embed "" "$T/more" >/dev/null 2>&1 || bad "$name: re-ingest $i"
        sleep 0.4
    done
    wait "$spid"
    local n200 nall
    n200=$(grep -c '^200$' "$codes")
    nall=$(wc -l <"$codes")
    if [ "$nall" -gt 0 ] && [ "$n200" = "$nall" ]; then ok; else bad "$name: searches during reloads: $n200 of $nall answered 200: $(sort "$codes" | uniq -c | tr '\n' ' ')"; fi
    until_true "$name: converged after the reloads" /api/categories "d['total'] == 8"
    until_true "$name: the price change survived the reloads" /api/search \
        "[p['id'] for p in d['products']] == ['hat-t0']" \
        -H 'Content-Type: application/json' --data-binary @"$T/cheap.json"
    echo "  live ($name): $nall searches during $(grep -c 'catalogue reloaded' "$T/$name.err") reloads, all 200"

    kill -TERM "$pid"
    wait "$pid"
    local rc=$?
    if [ "$rc" -eq 0 ]; then ok; else bad "$name: server exited $rc after SIGTERM: $(tail -20 "$T/$name.err")"; fi
}

# /readyz says 503 while behind: no polling (--reload-ms 0), then a write
behind_case() {
    local cat=$T/behind.db
    "$Z" ingest --catalog "$cat" --quiet --embed "" "$T/first" >"$T/behind-ingest.log" 2>&1 || { bad "behind: ingest"; return; }
    serve behind "$cat" --reload-ms 0
    [ -n "$URL" ] || return
    local pid=$SPID
    "$Z" catalog rm --catalog "$cat" hat-t0 >/dev/null 2>&1 || bad "behind: catalog rm"
    local st
    st=$(get /readyz)
    if [ "$st" = 503 ] && py "d['status'] == 'behind' and d['behind'] > 0 and d['store_version'] > d['catalog_version']"; then ok; else bad "behind: /readyz: $st $(cat "$T/body")"; fi
    st=$(get /healthz)
    if [ "$st" = 200 ] && py "d['status'] == 'ok' and d['products'] == 4"; then ok; else bad "behind: /healthz: $st $(cat "$T/body")"; fi
    kill -TERM "$pid"
    wait "$pid" || bad "behind: exit status after SIGTERM"
}

# a rebuild that fails (a title longer than any product holds: the store
# says the database is corrupt) keeps the old index answering, /readyz 503
# with the error, one log line; a repaired row brings it back
failure_case() {
    local cat=$T/broken.db
    command -v sqlite3 >/dev/null || { skip "failure: no sqlite3 command"; return; }
    "$Z" ingest --catalog "$cat" --quiet --embed "" "$T/first" >"$T/broken-ingest.log" 2>&1 || { bad "failure: ingest"; return; }
    serve broken "$cat" --reload-ms 200
    [ -n "$URL" ] || return
    local pid=$SPID
    sqlite3 "$cat" "UPDATE products SET title = printf('%.9000c', 'x') WHERE id = 'hat-t1'" || bad "failure: sqlite3 update"
    until_true "failure: /readyz says the reload failed" /readyz \
        "d['status'] == 'behind' and d['behind'] > 0 and 'reload' in d.get('error', '') and d['products'] == 4"
    # (a search would read the broken row itself and answer 500)
    until_true "failure: the old snapshot still answers" /api/categories "d['total'] == 4"
    if [ "$(grep -c 'still serving the old index' "$T/broken.err")" = 1 ]; then ok; else bad "failure: want one log line: $(tail -3 "$T/broken.err")"; fi
    sqlite3 "$cat" "UPDATE products SET title = 'Hat' WHERE id = 'hat-t1'" || bad "failure: sqlite3 repair"
    until_true "failure: ready again after the repair" /readyz "d['status'] == 'ready' and 'error' not in d"
    kill -TERM "$pid"
    wait "$pid" || bad "failure: exit status after SIGTERM"
}

# a replica on an "empty machine": another process ingested; this server has
# an empty media folder of its own and the photo files are gone, so the
# thumbnail, edge map and photo can only come from the store (issue 16)
media_case() {
    local name=$1 cat=$2
    mkdir -p "$T/$name-photos"
    cp -r tests/data/mini/train/hat "$T/$name-photos/"
    ZTYLE_MEDIA=$T/$name-ingest-media "$Z" ingest --catalog "$cat" --quiet --embed "" "$T/$name-photos" \
        >"$T/$name-ingest.log" 2>&1 || { bad "$name: ingest: $(tail -3 "$T/$name-ingest.log")"; return; }
    cp "$T/$name-photos/hat/hat-t0.png" "$T/$name-original.png"
    rm -rf "$T/$name-photos" "$T/$name-ingest-media" "$cat.media"
    mkdir -p "$T/$name-empty-media"
    ZTYLE_MEDIA=$T/$name-empty-media serve "$name" "$cat" --reload-ms 0
    [ -n "$URL" ] || return
    local route ctype
    for route in thumbs:image/jpeg edges:image/png images:image/png; do
        ctype=$(curl -s -o "$T/$name-${route%%:*}" -w '%{http_code} %{content_type}' --max-time 30 "$URL/${route%%:*}/hat-t0")
        if [ "$ctype" = "200 ${route#*:}" ] && [ -s "$T/$name-${route%%:*}" ] &&
            "$Z" ssim "$T/$name-${route%%:*}" "$T/$name-${route%%:*}" >/dev/null 2>&1; then ok; else bad "$name: /${route%%:*}/hat-t0 from the store: $ctype, $(wc -c <"$T/$name-${route%%:*}") bytes"; fi
    done
    if cmp -s "$T/$name-images" "$T/$name-original.png"; then ok; else bad "$name: /images is not the original file"; fi
    # a client holding the thumbnail gets 304 by its ETag
    local etag st
    etag=$(curl -s -D - -o /dev/null --max-time 30 "$URL/thumbs/hat-t0" | sed -n 's/^[Ee][Tt]ag: *\([^\r]*\).*/\1/p')
    st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "If-None-Match: $etag" "$URL/thumbs/hat-t0")
    if [ -n "$etag" ] && [ "$st" = 304 ]; then ok; else bad "$name: If-None-Match '$etag': $st"; fi
    # "more like this" decodes the stored original too
    st=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 30 -H 'Content-Type: application/json' -d '{"product":"hat-t0","k":2}' "$URL/api/search")
    if [ "$st" = 200 ] && py "d['products'][0]['id'] == 'hat-t0'"; then ok; else bad "$name: search like hat-t0: $st $(head -c 300 "$T/body")"; fi
    st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$URL/edges/no-such-product")
    if [ "$st" = 404 ]; then ok; else bad "$name: /edges of an unknown product: $st"; fi
    if [ -z "$(ls -A "$T/$name-empty-media")" ] || [ "$(ls "$T/$name-empty-media")" = index.zti ]; then ok; else bad "$name: media folder has files: $(ls "$T/$name-empty-media")"; fi
    kill -TERM "$SPID"
    wait "$SPID" || bad "$name: exit status after SIGTERM"
}

run_case sqlite "$T/shop.db" 300
behind_case
failure_case
media_case media-sqlite "$T/media.db"
if [ -n "${ZTYLE_TEST_PG:-}" ]; then
    # a fresh database schema: the store tests' server, its own search_path
    SCHEMA=ztlive_$$
    if command -v psql >/dev/null && psql "$ZTYLE_TEST_PG" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE; CREATE SCHEMA $SCHEMA" >/dev/null 2>&1; then
        # polling once a minute: only LISTEN/NOTIFY can make the waits below
        run_case pg "$ZTYLE_TEST_PG&options=-csearch_path%3D$SCHEMA" 60000
        psql "$ZTYLE_TEST_PG" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE; CREATE SCHEMA $SCHEMA" >/dev/null 2>&1
        media_case media-pg "$ZTYLE_TEST_PG&options=-csearch_path%3D$SCHEMA"
        psql "$ZTYLE_TEST_PG" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1
    else
        skip "pg: cannot create a schema on $ZTYLE_TEST_PG (psql?)"
    fi
else
    skip "pg: ZTYLE_TEST_PG not set (make test starts a cluster with tests/pg_env.sh)"
fi
summary
[ "$fail" -eq 0 ]
