#!/usr/bin/env bash
# The runtime installs on a server that does not preload the worker library
# (shared_preload_libraries without dfc): creating the C functions loads the
# library into the session, which must neither end the session nor register
# workers. Starting an instance works; nothing runs it (no in-server worker).
# Run as root or as postgres: bgworker/test/no_preload.sh
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BGWORKER=$(dirname "$HERE")
ROOT=$(dirname "$BGWORKER")
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}
[ -x "$PG_CONFIG" ] || PG_CONFIG=pg_config
PORT=${PORT:-$((20000 + RANDOM % 20000))}
WORK=$(mktemp -d /tmp/dfc-no-preload.XXXXXX)
chmod 755 "$WORK"

as_pg() {
    if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
cleanup() {
    as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

make -s -C "$BGWORKER" PG_CONFIG="$PG_CONFIG" >/dev/null
mkdir -p "$WORK/lib"
cp "$BGWORKER/dfc.so" "$WORK/lib/"
cat "$ROOT"/runtime-sql/*.sql > "$WORK/runtime.sql"
chown -R postgres "$WORK" 2>/dev/null || true

as_pg "$PG_BIN/initdb" -D "$WORK/data" -A trust -U postgres >/dev/null
cat >> "$WORK/data/postgresql.conf" <<CONF
dynamic_library_path = '$WORK/lib:\$libdir'
unix_socket_directories = '$WORK'
listen_addresses = ''
port = $PORT
CONF
as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w start >/dev/null

sql() { as_pg "$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres -d postgres "$@"; }

sql -f "$WORK/runtime.sql" >/dev/null
# one session: the C functions are loaded into it, then used
got=$(sql -c "SELECT string_agg(p.proname || '=' || l.lanname, ',' ORDER BY p.proname)
                FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
               WHERE p.pronamespace = 'df'::regnamespace AND p.proname IN ('_run_as', '_wake')" \
          -c "SELECT df._wake()" \
          -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker'")
expected=$'_run_as=c,_wake=c\n\n0'
if [ "$got" != "$expected" ]; then
    echo "FAIL: runtime without preloading"; echo "  expected: $expected"; echo "  got:      $got"
    exit 1
fi
echo "no_preload: the runtime installs and loads its C functions without preloading; no workers"
