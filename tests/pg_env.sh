#!/usr/bin/env bash
# pg_env.sh: a throwaway PostgreSQL cluster for the catalogue store tests.
# Sourced:    . tests/pg_env.sh; zt_pg_start && trap zt_pg_stop EXIT
#             (exports ZTYLE_TEST_PG=postgresql:///ztyle_test?host=...)
# Standalone: eval "$(tests/pg_env.sh start)"; ...; tests/pg_env.sh stop "$ZT_PG_DIR"
# Uses Debian's server binaries (/usr/lib/postgresql/*/bin). The cluster
# lives in a fresh build/pg/cluster.XXXXXX (data, log and unix socket), so
# parallel runs never collide; it listens on the unix socket only (no TCP,
# so no port can clash). As root, initdb/postgres run as user postgres.

zt_pg_bin() { # newest installed server version's bin folder
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$d" ] && [ -x "$d/initdb" ] || { echo "pg_env: no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql)" >&2; return 1; }
    echo "$d"
}

zt_pg_start() {
    local bin root dir sock port=54329 as=()
    bin=$(zt_pg_bin) || return 1
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    mkdir -p "$root/build/pg" || return 1
    dir=$(mktemp -d "$root/build/pg/cluster.XXXXXX") || return 1
    sock="$dir"
    if [ ${#sock} -gt 90 ]; then # unix socket paths are limited to 107 bytes
        sock=$(mktemp -d /tmp/ztpg.XXXXXX) || return 1
    fi
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || { echo "pg_env: running as root but there is no user 'postgres' to run the server" >&2; return 1; }
        chown postgres: "$dir" "$sock" || return 1
        as=(runuser -u postgres --)
        "${as[@]}" test -w "$dir" -a -w "$sock" || { echo "pg_env: user postgres cannot write $dir (a parent folder is not world-searchable?)" >&2; rm -rf "$dir"; return 1; }
    fi
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U ztyle -A trust -E UTF8 --locale=C --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; echo "pg_env: initdb failed" >&2; return 1; }
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -k $sock -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || { cat "$dir/server.log" >&2; echo "pg_env: server did not start" >&2; return 1; }
    "$bin/createdb" -h "$sock" -p "$port" -U ztyle ztyle_test || { echo "pg_env: createdb failed" >&2; zt_pg_stop_dir "$dir"; return 1; }
    export ZT_PG_DIR="$dir" ZT_PG_SOCK="$sock"
    export ZTYLE_TEST_PG="postgresql:///ztyle_test?host=$sock&port=$port&user=ztyle"
    echo "pg_env: cluster in $dir, ZTYLE_TEST_PG=$ZTYLE_TEST_PG" >&2
}

zt_pg_stop_dir() { # stops the cluster in $1 and deletes it
    local dir=$1 bin as=()
    [ -n "$dir" ] && [ -d "$dir/data" ] || return 0
    bin=$(zt_pg_bin) || return 1
    [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 ||
        "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$dir"
}

zt_pg_stop() {
    zt_pg_stop_dir "${ZT_PG_DIR:-}"
    case "${ZT_PG_SOCK:-}" in /tmp/ztpg.*) rm -rf "$ZT_PG_SOCK" ;; esac
    unset ZT_PG_DIR ZT_PG_SOCK ZTYLE_TEST_PG
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then # run, not sourced
    case "${1:-}" in
    start)
        zt_pg_start || exit 1
        printf 'export ZT_PG_DIR=%q ZT_PG_SOCK=%q ZTYLE_TEST_PG=%q\n' "$ZT_PG_DIR" "$ZT_PG_SOCK" "$ZTYLE_TEST_PG"
        ;;
    stop)
        ZT_PG_DIR=${2:-${ZT_PG_DIR:-}} zt_pg_stop
        ;;
    *)
        echo "usage: tests/pg_env.sh start | stop [cluster-dir]   (or source it)" >&2
        exit 2
        ;;
    esac
fi
