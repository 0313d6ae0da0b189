#!/usr/bin/env bash
# dfc benchmarks (issue 5): step throughput, latency, waiting load, compiler and
# worker memory, each as a ratio against a baseline measured in the same run.
#
#     bench/run.sh            # default sizes, under 15 minutes
#     bench/run.sh --quick    # small sizes, under 2 minutes: checks the harness works (CI), not speed
#
# Builds the CLI jar and the worker, starts its own throwaway PostgreSQL 15 cluster in
# /tmp (as the postgres OS user when run as root), prints a table (figure, value,
# target, pass/miss) and writes bench/results/latest.json. Environment:
#   PG_BIN=/usr/lib/postgresql/15/bin   server binaries (pgbench, initdb, ...)
#   BENCH_FSYNC=off                     fsync of the cluster (off, as the dev cluster: figures
#                                       measure CPU cost, not this machine's disk)
#   BENCH_PROFILE=1                     also load pg_stat_statements and print the top
#                                       statements of the dfc drain with 2 workers
#   KEEP=1                              keep the cluster (and print how to reach it)
# See docs/performance.md for what each figure means.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
JAR=$ROOT/cli/target/dfc.jar

QUICK=0
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK=1 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/run.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
    esac
done

# Sizes. --quick scales everything down; its figures are labelled and not judged.
if [ "$QUICK" = 1 ]; then
    MODE=quick
    DRAIN_N=500          # three-step instances per drain (3 steps each)
    PGBENCH_T=2          # seconds of each ceiling run
    LAT_N=100            # sequential one-step starts
    WAIT_N=2000          # instances waiting (half on a timer, half on a signal)
    CHECK_N=100          # generated .dfsql files for dfc check
    MEM_LOW=1000         # worker steps of the first memory sample
    MEM_HIGH=20000       # ... and of the second
    REPEAT=1             # runs of the compiler and JVM timings (median)
else
    MODE=default
    DRAIN_N=${BENCH_DRAIN_N:-20000}
    PGBENCH_T=${BENCH_PGBENCH_T:-10}
    LAT_N=${BENCH_LAT_N:-1000}
    WAIT_N=${BENCH_WAIT_N:-100000}
    CHECK_N=${BENCH_CHECK_N:-1000}
    MEM_LOW=${BENCH_MEM_LOW:-10000}
    MEM_HIGH=${BENCH_MEM_HIGH:-1000000}
    REPEAT=3
fi

T_BEGIN=$SECONDS
log() { printf '[%4ds] %s\n' $((SECONDS - T_BEGIN)) "$*" >&2; }
die() { echo "bench/run.sh: $*" >&2; exit 1; }

as_pg() {
    if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

for tool in initdb pg_ctl pgbench psql; do
    [ -x "$PG_BIN/$tool" ] || die "$PG_BIN/$tool not found (PostgreSQL 15 server binaries; set PG_BIN)"
done
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then die "running as root needs the postgres OS user"; fi

# ---------------------------------------------------------------------------
# Build
log "building the CLI jar and the worker"
"$ROOT/dfc" --version >/dev/null
make -s -C "$ROOT/bgworker" PG_CONFIG="$PG_BIN/pg_config" >/dev/null

# ---------------------------------------------------------------------------
# Cluster
WORK=$(mktemp -d /tmp/dfc-bench.XXXXXX)
chmod 755 "$WORK"
DATA=$WORK/data
SERVER_LOG=$WORK/server.log
PORT=$(awk 'BEGIN { srand(); print 20000 + int(rand() * 20000) }')
while (echo >/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null; do PORT=$((PORT + 1)); done
URL="postgresql://postgres@127.0.0.1:$PORT/bench"

cleanup() {
    local rc=$?
    if [ "${KEEP:-0}" = 1 ]; then
        echo "cluster kept: $PG_BIN/psql -h $WORK -p $PORT -U postgres bench   (log: $SERVER_LOG)" >&2
    else
        as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$WORK"
    fi
    [ $rc = 0 ] || echo "bench/run.sh: failed (exit $rc); server log: $SERVER_LOG (KEEP=1 keeps it)" >&2
    exit $rc
}
trap cleanup EXIT

mkdir -p "$WORK/lib"
cp "$ROOT/bgworker/dfc.so" "$WORK/lib/"
chown -R postgres: "$WORK" 2>/dev/null || true
as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null

PRELOAD=dfc
[ "${BENCH_PROFILE:-0}" = 1 ] && PRELOAD="dfc,pg_stat_statements"
cat >> "$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORK'
port = $PORT
max_connections = 50
shared_preload_libraries = '$PRELOAD'
dynamic_library_path = '$WORK/lib:\$libdir'
dfc.database = 'bench'
dfc.allow_superuser = on
fsync = ${BENCH_FSYNC:-off}
track_commit_timestamp = on
pg_stat_statements.track = all
include_if_exists = 'workers.conf'
EOF

# start_server WORKERS: (re)starts the server with that many step workers
CURRENT_WORKERS=""
start_server() {
    echo "dfc.workers = $1" > "$DATA/workers.conf"
    chown postgres: "$DATA/workers.conf" 2>/dev/null || true
    if [ -n "$CURRENT_WORKERS" ]; then as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; fi
    as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$SERVER_LOG" -w -t 60 start >/dev/null
    CURRENT_WORKERS=$1
    if [ "$1" -gt 0 ]; then
        wait_until "SELECT count(*) = $1 FROM pg_stat_activity WHERE backend_type = 'dfc step worker'" 30
    fi
}

# psql on database bench: bare values, stop at the first error
sql() { PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres -d "${DB:-bench}" "$@"; }

# wait_until SQL TIMEOUT_S: polls (every 0.2 s) until SQL returns t
wait_until() {
    local deadline=$((SECONDS + $2))
    until [ "$(sql -c "$1" 2>/dev/null || true)" = t ]; do
        [ $SECONDS -lt "$deadline" ] || die "timed out after $2 s waiting for: $1"
        sleep 0.2
    done
}

# calc EXPR: floating-point arithmetic
calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }

log "cluster in $WORK, port $PORT (fsync ${BENCH_FSYNC:-off}), mode $MODE"
start_server 0
DB=postgres sql -c "CREATE DATABASE bench"
java -jar "$JAR" runtime --install --db "$URL" >/dev/null
java -jar "$JAR" deploy "$HERE/workflows/bench.dfsql" --db "$URL" >/dev/null
sql -f "$HERE/sql/setup.sql" >/dev/null

# ---------------------------------------------------------------------------
# Results: figure name -> value, kept in order; printed and written as JSON at the end
declare -A VALUE
NAMES=()
record() { VALUE[$1]=$2; NAMES+=("$1"); log "$1 = $2"; }

# pgbench_run SCRIPT CLIENTS ARGS...: prints "tps latency_ms"
pgbench_run() {
    local script=$1 clients=$2; shift 2
    local jobs=$(( clients < 2 ? clients : 2 )) out
    out=$("$PG_BIN/pgbench" -h "$WORK" -p "$PORT" -U postgres -n -M prepared -c "$clients" -j "$jobs" -f "$script" "$@" bench 2>&1) \
        || { echo "$out" >&2; die "pgbench failed"; }
    local tps lat
    tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out")
    lat=$(sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' <<<"$out")
    [ -n "$tps" ] && [ -n "$lat" ] || { echo "$out" >&2; die "cannot read pgbench's output"; }
    echo "$tps $lat"
}

# ---------------------------------------------------------------------------
# Ceiling and baseline (no step workers running)
for c in 1 2 4; do
    sql -c "VACUUM ANALYZE bench_ceiling" >/dev/null
    read -r tps lat < <(pgbench_run "$HERE/sql/ceiling.pgbench" "$c" -T "$PGBENCH_T")
    record "ceiling_tps_c$c" "$tps"
    [ $c = 1 ] && record "commit_latency_ms" "$lat"
done
for c in 1 2 4; do
    sql -c "TRUNCATE bench_jobs" -c "INSERT INTO bench_jobs (status) SELECT 'ready' FROM generate_series(1, $DRAIN_N + 2 * $c)" -c "VACUUM ANALYZE bench_jobs" >/dev/null
    read -r tps lat < <(pgbench_run "$HERE/sql/baseline.pgbench" "$c" -t $(( 3 * DRAIN_N / c )))
    record "baseline_steps_s_c$c" "$tps"
done

# ---------------------------------------------------------------------------
# dfc: drain DRAIN_N three-step instances, started in one transaction while the
# workers run (they are woken at its commit); steps/s from that commit's timestamp to
# the last completion's (track_commit_timestamp).
reset_df() {
    sql -c "TRUNCATE df._instances, df._node_states, df._results, df._queue, df._signals" -c "VACUUM ANALYZE df._instances, df._node_states, df._results, df._queue" >/dev/null
}

# drain: prints steps/s of one drain of DRAIN_N instances of bench_three
drain() {
    local out xid
    out=$(sql -c "BEGIN" -c "SELECT pg_current_xact_id()" -c "SELECT count(df.start('bench_three')) FROM generate_series(1, $DRAIN_N)" -c "COMMIT")
    xid=${out%%$'\n'*}
    wait_until "SELECT NOT EXISTS (SELECT 1 FROM df._instances WHERE workflow = 'bench_three' AND status IN ('pending', 'running'))" 900
    local bad
    bad=$(sql -c "SELECT count(*) FILTER (WHERE status <> 'completed') || ' of ' || count(*) FROM df._instances WHERE workflow = 'bench_three'")
    [ "${bad%% *}" = 0 ] || die "drain: $bad instances did not complete (see $SERVER_LOG)"
    sql -c "SELECT round(3 * count(*) / extract(epoch FROM max(pg_xact_commit_timestamp(xmin)) - pg_xact_commit_timestamp('$xid'::xid8::text::xid))::numeric, 1)
              FROM df._instances WHERE workflow = 'bench_three'"
}

for w in 1 4 2; do
    log "dfc: $w step worker(s)"
    start_server "$w"
    reset_df
    [ "${BENCH_PROFILE:-0}" = 1 ] && [ "$w" = 2 ] && sql -c "SELECT pg_stat_statements_reset()" >/dev/null
    record "dfc_steps_s_w$w" "$(drain)"
done
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
    sql -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
    echo "== top statements of the drain with 2 workers (pg_stat_statements, track = all)" >&2
    sql -P footer=off -c "SELECT calls, round(total_exec_time::numeric, 0) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS query
                            FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15" -F ' | ' >&2
fi
