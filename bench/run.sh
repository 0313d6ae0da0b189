#!/usr/bin/env bash
# dfc benchmarks (issue 5): step throughput, latency, waiting load, compiler and
# worker memory, each as a ratio against a baseline measured in the same run.
#
#     bench/run.sh            # default sizes, under 15 minutes
#     bench/run.sh --quick    # small sizes, under 2 minutes: checks the harness works (CI), not speed
#     bench/run.sh --throughput-only   # only the throughput rounds (BENCH_WORKERS), e.g. for an A/B
#
# Builds the CLI jar and the worker, starts its own throwaway PostgreSQL 15 cluster in
# /tmp (as the postgres OS user when run as root), prints a table (figure, value,
# target, pass/miss) and writes bench/results/latest.json. Environment:
#   PG_BIN=/usr/lib/postgresql/15/bin   server binaries (pgbench, initdb, ...)
#   BENCH_FSYNC=off                     fsync of the cluster (off, as the dev cluster: figures
#                                       measure CPU cost, not this machine's disk)
#   BENCH_PROFILE=1                     also load pg_stat_statements and print the top
#                                       statements of the dfc drain with 2 workers
#   BENCH_DFC_SO=/path/dfc.so           use this worker library instead of building bgworker/
#   BENCH_WORKERS="1 4 2"               the worker counts of the throughput phase, in order
#   BENCH_LOCALE=C                      the cluster's locale (initdb --locale), e.g. C.UTF-8
#   BENCH_WARMUP=1                      with --throughput-only: the 2-worker phase warms up first, as
#                                       in a full run (the memory phase's mix of steps)
#   KEEP=1                              keep the cluster (and print how to reach it)
# See docs/performance.md for what each figure means.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
JAR=$ROOT/cli/target/dfc.jar

QUICK=0
THROUGHPUT_ONLY=0
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK=1 ;;
        --throughput-only) THROUGHPUT_ONLY=1 ;;
        -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
    ROUNDS=1             # rounds of ceiling / baseline / dfc drain per worker count (median)
else
    MODE=default
    DRAIN_N=${BENCH_DRAIN_N:-10000}
    PGBENCH_T=${BENCH_PGBENCH_T:-5}
    LAT_N=${BENCH_LAT_N:-1000}
    WAIT_N=${BENCH_WAIT_N:-100000}
    CHECK_N=${BENCH_CHECK_N:-1000}
    MEM_LOW=${BENCH_MEM_LOW:-10000}
    MEM_HIGH=${BENCH_MEM_HIGH:-1000000}
    REPEAT=3
    ROUNDS=${BENCH_ROUNDS:-5}
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
if [ -n "${BENCH_DFC_SO:-}" ]; then
    WORKER_LIB=$BENCH_DFC_SO    # another build of the worker, to compare (A/B)
else
    make -s -C "$ROOT/bgworker" PG_CONFIG="$PG_BIN/pg_config" >/dev/null
    WORKER_LIB=$ROOT/bgworker/dfc.so
fi

# The machine's cost of a system call and of starting a process, printed beside the figures:
# the ceiling and the baseline make several round trips over a socket per transaction and dfc
# makes none, so how the three compare moves with the first; the JVM start with the second.
t0=$(date +%s%N)
dd if=/dev/zero of=/dev/null bs=1 count=100000 2>/dev/null    # a read and a write per byte
SYSCALL_US=$(awk "BEGIN { printf \"%.2f\", ($(date +%s%N) - $t0) / 200000 / 1000 }")
t0=$(date +%s%N)
for _ in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done
PROCESS_MS=$(awk "BEGIN { printf \"%.1f\", ($(date +%s%N) - $t0) / 10 / 1e6 }")
log "machine: a system call $SYSCALL_US µs, a process $PROCESS_MS ms"

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
cp "$WORKER_LIB" "$WORK/lib/dfc.so"
chown -R postgres: "$WORK" 2>/dev/null || true
as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale="${BENCH_LOCALE:-C}" --no-sync >/dev/null

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
pg_stat_statements.track_planning = on
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
[ "${BENCH_PROFILE:-0}" = 1 ] && sql -c "CREATE EXTENSION pg_stat_statements" >/dev/null
java -jar "$JAR" runtime --install --db "$URL" >/dev/null
java -jar "$JAR" deploy "$HERE/workflows/bench.dfsql" --db "$URL" >/dev/null
sql -f "$HERE/sql/setup.sql" >/dev/null

# ---------------------------------------------------------------------------
# Results: figure name -> value, kept in order; printed and written as JSON at the end
declare -A VALUE
NAMES=()
record() { VALUE[$1]=$2; NAMES+=("$1"); log "$1 = $2"; }
v_of() { echo "${VALUE[$1]}"; }

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
# dfc: drain DRAIN_N three-step instances, started in one transaction while the
# workers run (they are woken at its commit); steps/s from that commit's timestamp to
# the last completion's (track_commit_timestamp).
reset_df() {
    sql -c "TRUNCATE df._instances, df._node_states, df._results, df._queue, df._signals" >/dev/null
    vacuum_df
}
vacuum_df() { sql -c "VACUUM ANALYZE df._instances, df._node_states, df._results, df._queue" >/dev/null; }

# drain: prints steps/s of one drain of DRAIN_N instances of bench_three (and removes them)
drain() {
    local out xid bad
    # (also the cost of df.start itself, in a bulk start: microseconds per instance, appended to start_us)
    out=$(sql -c "BEGIN" -c "SELECT pg_current_xact_id()" -c "SELECT set_config('bench.t0', clock_timestamp()::text, true)" \
              -c "SELECT count(df.start('bench_three')) FROM generate_series(1, $DRAIN_N)" \
              -c "SELECT round(extract(epoch FROM clock_timestamp() - current_setting('bench.t0')::timestamptz) * 1e6 / $DRAIN_N, 1)" \
              -c "COMMIT")
    xid=${out%%$'\n'*}
    echo "${out##*$'\n'}" >> "$WORK/start_us"
    # drained when no queue item is runnable (waiting instances are parked in the future)
    wait_until "SELECT NOT EXISTS (SELECT 1 FROM df._queue WHERE ready_at <= now())" 900
    bad=$(sql -c "SELECT count(*) FILTER (WHERE status <> 'completed') || ' of ' || count(*) FROM df._instances WHERE workflow = 'bench_three'")
    [ "${bad%% *}" = 0 ] || die "drain: $bad instances did not complete (see $SERVER_LOG)"
    sql -c "SELECT round(3 * count(*) / extract(epoch FROM max(pg_xact_commit_timestamp(xmin)) - pg_xact_commit_timestamp('$xid'::xid8::text::xid))::numeric)
              FROM df._instances WHERE workflow = 'bench_three'"
    sql -c "DELETE FROM df._node_states n USING df._instances i WHERE i.id = n.instance_id AND i.workflow = 'bench_three'" \
        -c "DELETE FROM df._instances WHERE workflow = 'bench_three'" \
        -c "VACUUM ANALYZE df._instances, df._node_states, df._queue" >/dev/null
}

# ceiling CLIENTS: prints "tx/s latency_ms" of PGBENCH_T seconds of the ceiling transaction
# (a step's shape: claim FOR UPDATE SKIP LOCKED, trivial update, commit)
ceiling() {
    sql -c "VACUUM ANALYZE bench_ceiling" >/dev/null
    pgbench_run "$HERE/sql/ceiling.pgbench" "$1" -T "$PGBENCH_T"
}

# ceiling_one CLIENTS: the same as one statement in one round trip (information; its
# latency at one client is the one-commit latency of the latency figures)
ceiling_one() {
    sql -c "VACUUM ANALYZE bench_ceiling" >/dev/null
    pgbench_run "$HERE/sql/ceiling_one.pgbench" "$1" -T "$PGBENCH_T"
}

# min_step CLIENTS: prints tx/s of PGBENCH_T seconds of the smallest PL/pgSQL step (information:
# what any runtime written in PL/pgSQL pays at the least for a step; docs/performance.md)
min_step() {
    sql -c "VACUUM ANALYZE bench_min_queue, bench_min_nodes" >/dev/null
    local tps lat
    read -r tps lat < <(pgbench_run "$HERE/sql/min_step.pgbench" "$1" -T "$PGBENCH_T")
    printf '%.0f\n' "$tps"
}

# baseline CLIENTS: prints steps/s of the hand-rolled workers draining DRAIN_N jobs (3 steps each)
baseline() {
    sql -c "TRUNCATE bench_jobs" -c "INSERT INTO bench_jobs (status) SELECT 'ready' FROM generate_series(1, $DRAIN_N + 2 * $1)" \
        -c "VACUUM ANALYZE bench_jobs" >/dev/null
    local tps lat
    read -r tps lat < <(pgbench_run "$HERE/sql/baseline.pgbench" "$1" -t $(( 3 * DRAIN_N / $1 )))
    printf '%.0f\n' "$tps"
}

# probe: the machine's speed now (bench_probe in setup.sql, a fresh backend), µs per lookup
probe() { sql -c "SELECT bench_probe()"; }

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Memory: the step workers' resident memory (/proc/PID/status) after MEM_LOW steps and
# after MEM_HIGH steps, counting every step the workers of the 2-worker server run
# (STEPS_RUN). Extra steps come from bench_loop instances (1 + 2 * n steps each).
STEPS_RUN=0
# run_loops STEPS: runs about STEPS steps of bench_loop on the workers
run_loops() {
    local loops=10 iters=$(( $1 / 20 ))
    [ "$iters" -ge 1 ] || iters=1
    sql -c "TRUNCATE bench_loops" -c "SELECT count(df.start('bench_loop', args => jsonb_build_object('run', g, 'n', $iters))) FROM generate_series(1, $loops) g" >/dev/null
    wait_until "SELECT NOT EXISTS (SELECT 1 FROM df._instances WHERE workflow = 'bench_loop' AND status IN ('pending', 'running'))" 1800
    [ "$(sql -c "SELECT count(*) FROM df._instances WHERE workflow = 'bench_loop' AND status = 'completed'")" = "$loops" ] \
        || die "memory: the loop instances did not complete (see $SERVER_LOG)"
    STEPS_RUN=$(( STEPS_RUN + loops * (1 + 2 * iters) ))
}
# warm_up STEPS: about STEPS steps of every kind the later phases run (three-step and
# one-step instances, parking on a timer and on a signal, then loops), so that the first
# memory sample is taken once every code path has been through the workers
warm_up() {
    local n3=$(( $1 / 10 )) n1=$(( $1 / 100 )) np=$(( $1 / 200 ))
    sql -c "SELECT count(df.start('bench_three')) FROM generate_series(1, $n3)" \
        -c "SELECT count(df.start('bench_one')) FROM generate_series(1, $n1)" \
        -c "SELECT count(df.start(CASE WHEN g % 2 = 0 THEN 'bench_sleeper' ELSE 'bench_waiter' END)) FROM generate_series(1, $(( 2 * np ))) g" >/dev/null
    wait_until "SELECT NOT EXISTS (SELECT 1 FROM df._queue WHERE ready_at <= now()) AND (SELECT count(*) FROM df._queue WHERE waiting IS NOT NULL) = $(( 2 * np ))" 300
    STEPS_RUN=$(( STEPS_RUN + 3 * n3 + n1 + 2 * np ))
    run_loops $(( $1 - STEPS_RUN ))
}
# worker_memory: "max VmRSS, max RssAnon" (kB) over the step workers
worker_memory() {
    local pid r=0 a=0 vr va
    for pid in $(sql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'dfc step worker'"); do
        read -r vr va < <(awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } END { print r, a }' "/proc/$pid/status")
        [ "$vr" -gt "$r" ] && r=$vr
        [ "$va" -gt "$a" ] && a=$va
    done
    echo "$r $a"
}

# ---------------------------------------------------------------------------
# Throughput: with 1, 4, then 2 step workers (a restart each), ROUNDS rounds of
# ceiling (as many clients as workers), hand-rolled baseline (same), dfc drain,
# interleaved so that the machine's load drifts alike for all three; medians.
WORKER_COUNTS=${BENCH_WORKERS:-1 4 2}
[ "$THROUGHPUT_ONLY" = 1 ] || [ "$WORKER_COUNTS" = "1 4 2" ] || die "BENCH_WORKERS needs --throughput-only"
for w in $WORKER_COUNTS; do
    log "throughput with $w step worker(s) / client(s), $ROUNDS round(s)"
    start_server "$w"
    reset_df
    if [ "$w" = 2 ] && { [ "$THROUGHPUT_ONLY" = 0 ] || [ "${BENCH_WARMUP:-0}" = 1 ]; }; then
        warm_up "$MEM_LOW"
        read -r rss_low anon_low < <(worker_memory)
        mem_low_steps=$STEPS_RUN
        reset_df
        [ "${BENCH_PROFILE:-0}" = 1 ] && sql -c "SELECT pg_stat_statements_reset()" >/dev/null
    fi
    c_tps=(); o_tps=(); o_lat=(); m_tps=(); b_tps=(); d_tps=(); p_us=()
    : > "$WORK/start_us"
    for _ in $(seq 1 "$ROUNDS"); do
        read -r tps lat < <(ceiling "$w")
        c_tps+=("$tps")
        read -r tps lat < <(ceiling_one "$w")
        o_tps+=("$tps"); o_lat+=("$lat")
        m_tps+=("$(min_step "$w")")
        b_tps+=("$(baseline "$w")")
        p_us+=("$(probe)")
        d_tps+=("$(drain)")
        [ "$w" = 2 ] && STEPS_RUN=$(( STEPS_RUN + 3 * DRAIN_N ))
        log "  round: ceiling ${c_tps[-1]%.*} tx/s (one statement ${o_tps[-1]%.*}), smallest step ${m_tps[-1]} tx/s, baseline ${b_tps[-1]} steps/s, dfc ${d_tps[-1]} steps/s; probe ${p_us[-1]} µs"
    done
    record "ceiling_tps_c$w" "$(printf '%.0f' "$(median "${c_tps[@]}")")"
    record "ceiling_one_tps_c$w" "$(printf '%.0f' "$(median "${o_tps[@]}")")"
    [ "$w" = 1 ] && record "commit_latency_ms" "$(median "${o_lat[@]}")"
    record "min_step_tps_c$w" "$(median "${m_tps[@]}")"
    record "baseline_steps_s_c$w" "$(median "${b_tps[@]}")"
    record "dfc_steps_s_w$w" "$(median "${d_tps[@]}")"
    record "probe_us_w$w" "$(median "${p_us[@]}")"
    # shellcheck disable=SC2046
    record "start_us_w$w" "$(median $(cat "$WORK/start_us"))"
done
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
    echo "== top statements of the drains with 2 workers (pg_stat_statements, track = all)" >&2
    sql -P footer=off -F ' | ' -c "SELECT calls, round(total_exec_time::numeric) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms,
                                          left(regexp_replace(query, '\s+', ' ', 'g'), 100) AS query
                                     FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15" >&2
fi
if [ "$THROUGHPUT_ONLY" = 1 ]; then
    # (no table, no JSON: the medians per worker count, and the rounds above)
    for w in $WORKER_COUNTS; do
        echo "$w worker(s): ceiling $(v_of "ceiling_tps_c$w") tx/s (one statement $(v_of "ceiling_one_tps_c$w")), smallest step $(v_of "min_step_tps_c$w") tx/s," \
             "baseline $(v_of "baseline_steps_s_c$w") steps/s, dfc $(v_of "dfc_steps_s_w$w") steps/s," \
             "df.start $(v_of "start_us_w$w") us per instance, probe $(v_of "probe_us_w$w") us (medians)"
    done
    exit 0
fi

# ---------------------------------------------------------------------------
# Latency on the idle 2-worker system: LAT_N sequential starts of a one-step workflow,
# each awaited before the next; start -> completed is the time between the commit of
# the start and the commit of the step that completed the instance (commit timestamps,
# so the client's polling in df.await_instance adds nothing).
log "latency: $LAT_N sequential one-step instances"
for _ in $(seq 1 "$LAT_N"); do
    echo "SELECT df.start('bench_one') AS id, pg_current_xact_id() AS x \gset"
    echo "SELECT df.await_instance(:'id', 30) AS st \gset"
    echo "INSERT INTO bench_latency VALUES (:'id', :'x');"
done > "$WORK/latency.sql"
sql -c "TRUNCATE bench_latency" -f "$WORK/latency.sql" >/dev/null
read -r lat_n lat_p50 lat_p95 lat_p99 < <(sql -F ' ' -c "
    SELECT count(*), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3),
           round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)::numeric, 3),
           round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 3)
      FROM (SELECT extract(epoch FROM pg_xact_commit_timestamp(i.xmin) - pg_xact_commit_timestamp(l.xid::text::xid)) * 1000 AS ms
              FROM bench_latency l JOIN df._instances i ON i.id = l.id AND i.status = 'completed') s")
[ "$lat_n" = "$LAT_N" ] || die "latency: only $lat_n of $LAT_N instances completed"
STEPS_RUN=$(( STEPS_RUN + LAT_N ))
record latency_p50_ms "$lat_p50"
record latency_p95_ms "$lat_p95"
record latency_p99_ms "$lat_p99"

# ---------------------------------------------------------------------------
# Waiting load: 2-worker drains with WAIT_N other instances parked (half on a one-day
# df.sleep timer, half on a df.wait_for_signal without timeout) and without them,
# alternating round by round (W N, N W, W N, ...), so that the host's drift hits both
# alike. The parked instances are parked once; for the drains without them their rows
# are moved aside (bench_set_aside in setup.sql) and back (bench_bring_back), each
# followed by a VACUUM ANALYZE, which takes a few seconds where parking takes 20-40.
log "waiting load: parking $WAIT_N instances"
reset_df
chunk=10000
for ((started = 0; started < WAIT_N; started += chunk)); do
    k=$(( WAIT_N - started < chunk ? WAIT_N - started : chunk ))
    sql -c "SELECT count(df.start(CASE WHEN g % 2 = 0 THEN 'bench_sleeper' ELSE 'bench_waiter' END)) FROM generate_series(1, $k) g" >/dev/null
done
wait_until "SELECT count(*) = $WAIT_N FROM df._queue WHERE waiting IS NOT NULL" 900
STEPS_RUN=$(( STEPS_RUN + WAIT_N ))
vacuum_df
PARKED=yes
# park_state yes|no: the parked instances in the queue or set aside
park_state() {
    [ "$1" = "$PARKED" ] && return
    if [ "$1" = no ]; then
        [ "$(sql -c "SELECT bench_set_aside('{bench_sleeper,bench_waiter}')")" = "$WAIT_N" ] || die "waiting load: could not set the parked instances aside"
    else
        [ "$(sql -c "SELECT bench_bring_back()")" = "$WAIT_N" ] || die "waiting load: could not bring the parked instances back"
    fi
    vacuum_df
    PARKED=$1
}
w_tps=(); wp_us=(); n_tps=(); np_us=(); pair_ratios=()
for ((round = 1; round <= ROUNDS; round++)); do
    order="yes no"
    [ $(( round % 2 )) = 0 ] && order="no yes"
    for state in $order; do
        park_state "$state"
        if [ "$state" = yes ]; then
            wp_us+=("$(probe)"); w_tps+=("$(drain)")
        else
            np_us+=("$(probe)"); n_tps+=("$(drain)")
        fi
        STEPS_RUN=$(( STEPS_RUN + 3 * DRAIN_N ))
    done
    pair_ratios+=("$(calc "${w_tps[-1]} / ${n_tps[-1]}")")
    log "  round: dfc ${w_tps[-1]} steps/s with $WAIT_N waiting, ${n_tps[-1]} without (${pair_ratios[-1]}); probe ${wp_us[-1]} and ${np_us[-1]} µs"
done
park_state yes
record dfc_steps_s_w2_waiting "$(median "${w_tps[@]}")"
record dfc_steps_s_w2_none "$(median "${n_tps[@]}")"
# the judged ratio: the median of the rounds' ratios (each round's two drains run seconds
# apart, so the host's drift between rounds cancels out)
record waiting_ratio "$(median "${pair_ratios[@]}")"
record probe_us_w2_waiting "$(median "${wp_us[@]}")"
record probe_us_w2_none "$(median "${np_us[@]}")"
record waiting_instances "$(sql -c "SELECT count(*) FROM df._queue WHERE waiting IS NOT NULL")"

read -r rss_mid anon_mid < <(worker_memory)
mem_mid_steps=$STEPS_RUN

# ---------------------------------------------------------------------------
# Memory, last sample: top the 2-worker server's steps up to MEM_HIGH.
log "memory: $STEPS_RUN steps so far, running loops up to $MEM_HIGH"
reset_df
[ "$STEPS_RUN" -lt "$MEM_HIGH" ] && run_loops $(( MEM_HIGH - STEPS_RUN ))
read -r rss_high anon_high < <(worker_memory)
record mem_low_steps "$mem_low_steps"
record mem_mid_steps "$mem_mid_steps"
record mem_high_steps "$STEPS_RUN"
record rss_kb_low "$rss_low"
record rss_kb_high "$rss_high"
record rss_anon_kb_low "$anon_low"
record rss_anon_kb_mid "$anon_mid"
record rss_anon_kb_high "$anon_high"

# ---------------------------------------------------------------------------
# Compiler: ./dfc check over CHECK_N generated files in one invocation, against a bare
# JVM start-up (java -version); median of REPEAT runs each.
log "compiler: dfc check over $CHECK_N files"
mkdir -p "$WORK/check"
for i in $(seq 1 "$CHECK_N"); do
    cat > "$WORK/check/wf_$i.dfsql" <<DFSQL
CREATE TABLE IF NOT EXISTS greetings_$i (id bigserial PRIMARY KEY, name text);

CREATE WORKFLOW wf_$i (name text DEFAULT 'world', n integer DEFAULT 3)
AS
    'INSERT INTO greetings_$i (name) VALUES (\$name) RETURNING id, name' |=> 'g'
    ~> 'SELECT count(*) AS c FROM greetings_$i WHERE name = \$g.name' |=> 'h'
    ~> ('SELECT \$h > \$n' ?> 'SELECT ''many'' AS kind' !> 'SELECT ''few'' AS kind') |=> 'k'
    ~> ('SELECT 1 AS a' & 'SELECT 2 AS b') |=> 'both'
    ~> df.loop('UPDATE greetings_$i SET name = name WHERE id = \$g RETURNING id' |=> 'u', 'SELECT false')
    ~> 'SELECT g.id, \$k AS kind, \$h AS times FROM \$g.*';
DFSQL
done
# seconds CMD...: wall-clock seconds of one run (output discarded, must succeed)
seconds() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || die "failed: $*"
    t1=$(date +%s%N)
    awk "BEGIN { printf \"%.3f\", ($t1 - $t0) / 1e9 }"
}
check_runs=(); jvm_runs=()
for _ in $(seq 1 "$REPEAT"); do
    jvm_runs+=("$(seconds java -version)")
    # as users run it: the ./dfc launcher (class-data archive, C1 only; see docs/cli.md)
    check_runs+=("$(seconds "$ROOT/dfc" check "$WORK"/check/*.dfsql)")
done
record jvm_start_s "$(median "${jvm_runs[@]}")"
record check_s "$(median "${check_runs[@]}")"

# ---------------------------------------------------------------------------
# dfc worker: the same drains run by `dfc worker` (2 step threads over JDBC) on the
# server restarted without in-server step workers; beside the in-server figure, no target.
log "dfc worker: $ROUNDS drain(s) with 2 step threads, no in-server workers"
reset_df
start_server 0
"$ROOT/dfc" worker --db "$URL" --workers 2 2>"$WORK/dfc-worker.log" &
DFC_WORKER_PID=$!
wait_until "SELECT count(*) >= 2 FROM pg_stat_activity WHERE application_name = 'dfc worker'" 60
x_tps=()
for _ in $(seq 1 "$ROUNDS"); do
    x_tps+=("$(drain)")
    log "  round: dfc worker ${x_tps[-1]} steps/s"
done
kill -TERM "$DFC_WORKER_PID"
wait "$DFC_WORKER_PID" || die "dfc worker did not stop cleanly (see $WORK/dfc-worker.log)"
record dfc_worker_steps_s_w2 "$(median "${x_tps[@]}")"

# ---------------------------------------------------------------------------
# Report
log "done in $((SECONDS - T_BEGIN)) s"
v() { echo "${VALUE[$1]}"; }
ROWS=()    # "figure|value|target|op|limit|note"
row() { ROWS+=("$1|$2|$3|$4|$5|$6"); }
r() { awk "BEGIN { printf \"%.2f\", $1 }"; }
row "dfc steps/s ÷ ceiling, 2 workers"        "$(r "$(v dfc_steps_s_w2) / $(v ceiling_tps_c2)")" ">= 0.70" ge 0.70 "$(v dfc_steps_s_w2) ÷ $(v ceiling_tps_c2) tx/s"
row "  (dfc ÷ one-statement ceiling)"         "$(r "$(v dfc_steps_s_w2) / $(v ceiling_one_tps_c2)")" "" "" "" "$(v dfc_steps_s_w2) ÷ $(v ceiling_one_tps_c2) tx/s"
row "  (smallest PL/pgSQL step ÷ ceiling)"    "$(r "$(v min_step_tps_c2) / $(v ceiling_tps_c2)")" "" "" "" "$(v min_step_tps_c2) ÷ $(v ceiling_tps_c2) tx/s"
row "  (dfc ÷ smallest PL/pgSQL step)"        "$(r "$(v dfc_steps_s_w2) / $(v min_step_tps_c2)")" "" "" "" "$(v dfc_steps_s_w2) ÷ $(v min_step_tps_c2) steps/s"
row "dfc steps/s ÷ baseline, 2 workers"       "$(r "$(v dfc_steps_s_w2) / $(v baseline_steps_s_c2)")" ">= 1.0" ge 1.0 "$(v dfc_steps_s_w2) ÷ $(v baseline_steps_s_c2) steps/s"
row "latency p50 ÷ one commit"                "$(r "$(v latency_p50_ms) / $(v commit_latency_ms)")" "<= 10" le 10 "$(v latency_p50_ms) ms ÷ $(v commit_latency_ms) ms"
row "latency p99 ÷ one commit"                "$(r "$(v latency_p99_ms) / $(v commit_latency_ms)")" "<= 40" le 40 "$(v latency_p99_ms) ms ÷ $(v commit_latency_ms) ms"
row "throughput, $(v waiting_instances) waiting ÷ none" "$(r "$(v waiting_ratio)")" ">= 0.9" ge 0.9 "median of ${#pair_ratios[@]} rounds' ratios (with ÷ without, alternating)"
row "  (median with ÷ median without)" "$(r "$(v dfc_steps_s_w2_waiting) / $(v dfc_steps_s_w2_none)")" "" "" "" "$(v dfc_steps_s_w2_waiting) ÷ $(v dfc_steps_s_w2_none) steps/s"
row "  (machine speed, waiting ÷ none)" "$(r "$(v probe_us_w2_none) / $(v probe_us_w2_waiting)")" "" "" "" "probe $(v probe_us_w2_none) ÷ $(v probe_us_w2_waiting) µs per lookup: below 1, the machine was slower with them waiting"
row "dfc check $CHECK_N files ÷ JVM start-up" "$(r "$(v check_s) / $(v jvm_start_s)")" "<= 5" le 5 "$(v check_s) s ÷ $(v jvm_start_s) s"
row "worker memory $(v mem_high_steps) ÷ $(v mem_low_steps) steps (2 workers)" "$(r "$(v rss_anon_kb_high) / $(v rss_anon_kb_low)")" "<= 1.05" le 1.05 "private (RssAnon) $(v rss_anon_kb_high) ÷ $(v rss_anon_kb_low) kB"
row "  (private, $(v mem_high_steps) ÷ $(v mem_mid_steps) steps)" "$(r "$(v rss_anon_kb_high) / $(v rss_anon_kb_mid)")" "" "" "" "$(v rss_anon_kb_high) ÷ $(v rss_anon_kb_mid) kB"
row "  (VmRSS, incl. shared buffers touched)" "$(r "$(v rss_kb_high) / $(v rss_kb_low)")" "" "" "" "$(v rss_kb_high) ÷ $(v rss_kb_low) kB"
row "dfc worker steps/s ÷ in-server, 2 workers" "$(r "$(v dfc_worker_steps_s_w2) / $(v dfc_steps_s_w2)")" "" "" "" "$(v dfc_worker_steps_s_w2) ÷ $(v dfc_steps_s_w2) steps/s"
for w in 1 4; do
    row "dfc ÷ ceiling, $w worker(s)"  "$(r "$(v dfc_steps_s_w$w) / $(v ceiling_tps_c$w)")" "" "" "" "$(v dfc_steps_s_w$w) ÷ $(v ceiling_tps_c$w)"
    row "dfc ÷ baseline, $w worker(s)" "$(r "$(v dfc_steps_s_w$w) / $(v baseline_steps_s_c$w)")" "" "" "" "$(v dfc_steps_s_w$w) ÷ $(v baseline_steps_s_c$w)"
done
row "df.start, µs per instance (bulk of $DRAIN_N)" "$(v start_us_w2)" "" "" "" "in the start transactions of the 2-worker drains"
row "latency p95 ÷ one commit" "$(r "$(v latency_p95_ms) / $(v commit_latency_ms)")" "" "" "" "$(v latency_p95_ms) ms ÷ $(v commit_latency_ms) ms"

verdict() {  # value op limit
    case "$2" in
        ge) awk "BEGIN { exit !($1 >= $3) }" && echo pass || echo miss ;;
        le) awk "BEGIN { exit !($1 <= $3) }" && echo pass || echo miss ;;
        *) echo "" ;;
    esac
}

MACHINE="$(nproc) CPUs, $(awk '/^MemTotal:/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) RAM, $(sql -c "SELECT split_part(version(), ',', 1)"); a system call $SYSCALL_US µs, a process $PROCESS_MS ms"
echo
echo "dfc benchmarks ($MODE mode$([ "$QUICK" = 1 ] && echo ": sizes scaled down, figures not meaningful"); $MACHINE; fsync ${BENCH_FSYNC:-off})"
printf '%-44s %7s  %-8s %-6s %s\n' figure value target result detail
results_json=""
for line in "${ROWS[@]}"; do
    IFS='|' read -r name value target op limit note <<<"$line"
    res=$(verdict "$value" "$op" "$limit")
    printf '%-44s %7s  %-8s %-6s %s\n' "$name" "$value" "$target" "$res" "$note"
    [ -n "$op" ] || continue
    results_json+="${results_json:+,}
    {\"figure\": \"$name\", \"value\": $value, \"target\": \"$target\", \"result\": \"$res\", \"detail\": \"$note\"}"
done

mkdir -p "$HERE/results"
measurements=""
for k in "${NAMES[@]}"; do measurements+="${measurements:+, }\"$k\": ${VALUE[$k]}"; done
cat > "$HERE/results/latest.json" <<JSON
{
  "mode": "$MODE",
  "finished_at": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "commit": "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "machine": {"nproc": $(nproc), "mem_total_kb": $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo), "postgres": "$(sql -c "SELECT current_setting('server_version')")", "fsync": "${BENCH_FSYNC:-off}", "syscall_us": $SYSCALL_US, "process_ms": $PROCESS_MS},
  "sizes": {"drain_instances": $DRAIN_N, "steps_per_instance": 3, "ceiling_seconds": $PGBENCH_T, "latency_starts": $LAT_N, "waiting_instances": $WAIT_N, "check_files": $CHECK_N, "memory_steps": [$MEM_LOW, $MEM_HIGH]},
  "figures": [$results_json
  ],
  "measurements": {$measurements}
}
JSON
echo
echo "written: bench/results/latest.json (took $((SECONDS - T_BEGIN)) s)"
