#!/usr/bin/env bash
# End-to-end test of the dfc runtime (runtime-sql/) and step workers (bgworker/)
# on a throwaway PostgreSQL cluster. Run as root or as postgres:
#
#     bgworker/test/run.sh            # builds bgworker/, exits non-zero on any mismatch
#     KEEP=1 bgworker/test/run.sh     # keeps the cluster (and prints how to reach it)
#
# Needs PostgreSQL server binaries (PG_BIN, default /usr/lib/postgresql/15/bin)
# and the `postgres` OS user. Deploys the hand-compiled workflows of
# workflows.sql (source: workflows.dfsql), so it does not need the compiler.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BGWORKER=$(dirname "$HERE")
ROOT=$(dirname "$BGWORKER")
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}
[ -x "$PG_CONFIG" ] || PG_CONFIG=pg_config
PORT=${PORT:-$((20000 + RANDOM % 20000))}

WORK=$(mktemp -d /tmp/dfc-bgworker-test.XXXXXX)
DATA=$WORK/data
LOG=$WORK/server.log
chmod 755 "$WORK"

as_pg() {
    if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

TEMP_EXTENSION=()     # extension files this script put into the server's share directory
cleanup() {
    local rc=$?
    [ ${#TEMP_EXTENSION[@]} -eq 0 ] || rm -f "${TEMP_EXTENSION[@]}"
    if [ "${KEEP:-0}" = 1 ]; then
        echo "cluster kept: psql -h $WORK -p $PORT -U postgres postgres   (log: $LOG)"
    else
        as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$WORK"
    fi
    exit $rc
}
trap cleanup EXIT

FAILURES=0
fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok   $*"; }

# psql as a given role (in database $DB, default postgres); -X: no psqlrc,
# -A -t: bare values, ON_ERROR_STOP.
sql_as() {
    local role=$1; shift
    PGOPTIONS='-c client_min_messages=warning' as_pg "$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U "$role" -d "${DB:-postgres}" "$@"
}
sql() { sql_as postgres "$@"; }

# check NAME ACTUAL EXPECTED
check() {
    if [ "$2" == "$3" ]; then pass "$1"; else fail "$1"$'\n'"  expected: $3"$'\n'"  actual:   $2"; fi
}

# check_error NAME EXPECTED-SUBSTRING ROLE SQL: the statement must fail with that message.
check_error() {
    local out
    if out=$(sql_as "$3" -c "$4" 2>&1); then
        fail "$1: succeeded, expected an error containing: $2"
    elif [[ "$out" == *"$2"* ]]; then
        pass "$1"
    else
        fail "$1"$'\n'"  expected error containing: $2"$'\n'"  actual: $out"
    fi
}

echo "== build"
make -s -C "$BGWORKER" PG_CONFIG="$PG_CONFIG" >/dev/null
mkdir -p "$WORK/lib"
cp "$BGWORKER/dfc.so" "$WORK/lib/"
cat "$ROOT"/runtime-sql/*.sql > "$WORK/runtime.sql"
cp "$HERE/workflows.sql" "$HERE/control.sql" "$WORK/"
chown -R postgres: "$WORK"

echo "== cluster in $WORK (port $PORT)"
as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres -A trust --no-sync >/dev/null
cat >> "$DATA/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$WORK'
port = $PORT
shared_preload_libraries = 'dfc'
dynamic_library_path = '$WORK/lib:\$libdir'
dfc.database = 'postgres'
dfc.workers = 3
dfc.allow_superuser = on
fsync = off
EOF
as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w start >/dev/null

# wait_for NAME SQL EXPECTED [TIMEOUT_S]: polls until SQL returns EXPECTED.
wait_for() {
    local deadline=$((SECONDS + ${4:-10})) out=""
    while [ $SECONDS -lt $deadline ]; do
        out=$(sql -c "$2" 2>/dev/null || true)
        [ "$out" == "$3" ] && { pass "$1"; return 0; }
        sleep 0.1
    done
    fail "$1 (last: $out)"
}

echo "== workers before the runtime exists"
wait_for "three step workers in pg_stat_activity" \
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker'" 3
wait_for "workers log once that the runtime is missing" \
    "SELECT count(*) FROM regexp_matches(pg_read_file('$LOG'), 'runtime is not installed', 'g')" 3

echo "== install the runtime (twice: it is re-runnable)"
sql -f "$WORK/runtime.sql" >/dev/null
sql -f "$WORK/runtime.sql" >/dev/null
check "runtime_version" "$(sql -c "SELECT df.runtime_version()")" "0.1"
check "df._run_as is the C function" "$(sql -c "SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = 'df._run_as(oid,text)'::regprocedure")" "c"
check_error "_require_runtime refuses another version" "dfc runtime 0.1 is installed, this script needs 1.0" postgres \
    "SELECT df._require_runtime('1.0')"
check "PUBLIC has no access to schema df" "$(sql -c "SELECT has_schema_privilege('public', 'df', 'USAGE')")" "f"

echo "== plpgsql_check over the runtime's PL/pgSQL functions"
check "plpgsql_check finds no errors or warnings" "$(sql <<'EOF'
CREATE EXTENSION IF NOT EXISTS plpgsql_check;
SELECT coalesce(string_agg(format('%s: %s %s', p.oid::regprocedure, c.level, c.message), E'\n'), 'none')
  FROM pg_proc p
  JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
 CROSS JOIN LATERAL plpgsql_check_function_tb(p.oid, fatal_errors => false) AS c
 WHERE p.pronamespace = 'df'::regnamespace
   AND c.level IN ('error', 'warning')
   -- df._run calls the workflow's function by a name known only at run time
   AND c.message <> 'cannot determinate a result of dynamic SQL';
EOF
)" "none"

echo "== application objects and roles"
(sql <<'EOF'
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
SELECT df.grant_usage('alice');
SELECT df.grant_usage('bob');
CREATE SCHEMA app;
CREATE TABLE app.items (id int, name text, tag text);
CREATE TABLE public.effects (what text);
GRANT USAGE ON SCHEMA app TO alice;
GRANT SELECT, INSERT ON app.items, public.effects TO alice;
EOF
) >/dev/null
sql -f "$WORK/workflows.sql" >/dev/null
sql -f "$WORK/workflows.sql" >/dev/null
check "re-deploying registers nothing new" "$(sql -c "SELECT count(*) FROM df._versions")" "14"

# start ROLE WORKFLOW [ARGS-JSON]: prints the new instance id (committed).
start() {
    local args=${3:-'{}'}
    sql_as "$1" -c "SELECT df.start('$2', args => '$args')"
}
await() {
    sql_as "$1" -c "SELECT df.await_instance('$2', 20)"
}

# an upgrade gives roles granted usage earlier what grant_usage grants now
sql -c "REVOKE EXECUTE ON FUNCTION df.explain(text), df.list_instances(text, integer) FROM alice; REVOKE SELECT ON df.nodes FROM alice" >/dev/null
sql -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'watcher') THEN CREATE ROLE watcher LOGIN; END IF; END \$\$;
        GRANT USAGE ON SCHEMA df TO watcher; GRANT SELECT ON df.nodes TO watcher;
        REVOKE EXECUTE ON FUNCTION df.running_steps() FROM watcher" >/dev/null
sql -f "$WORK/runtime.sql" >/dev/null
check "re-running the runtime script lets a role given SELECT on df.nodes by a plain GRANT read it" \
    "$(sql_as watcher -c "SELECT count(*) >= 0 FROM df.nodes")" "t"
check "re-running the runtime script re-grants usage" "$(sql -c "SELECT has_function_privilege('alice', 'df.explain(text)', 'EXECUTE') AND has_function_privilege('alice', 'df.list_instances(text,integer)', 'EXECUTE') AND has_table_privilege('alice', 'df.nodes', 'SELECT') AND NOT has_function_privilege('alice', 'df.status(text)', 'EXECUTE WITH GRANT OPTION')")" "t"

echo "== three-step workflow as a non-superuser"
id=$(start alice demo '{"tag": "alice"}')
check "id is 8 lowercase hex" "$([[ $id =~ ^[0-9a-f]{8}$ ]] && echo yes)" "yes"
check "demo completes" "$(await alice "$id")" "completed"
check "demo result" "$(sql_as alice -c "SELECT df.result('$id')")" \
    '{"rows":[{"c":3,"total":6,"first":1,"first_name":"row 1","note":null,"inserted":3}],"row_count":1}'
check "demo effects" "$(sql -c "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM app.items WHERE tag = 'alice'")" \
    "1:row 1,2:row 2,3:row 3"
check "demo instance row" "$(sql_as alice -c "SELECT workflow, version, status, submitted_by, completed_at IS NOT NULL, error IS NULL FROM df.instances WHERE id = '$id'")" \
    "demo|5ab93a5caeb4270a|completed|alice|t|t"
check "demo nodes" "$(sql_as alice -c "SELECT string_agg(node_id || ':' || node_type || ':' || coalesce(result_name, '-') || ':' || status || ':' || line, ' ' ORDER BY node_id) FROM df.instance_nodes('$id')")" \
    "1:SQL:a:completed:5 2:SQL:b:completed:6 3:SQL:-:completed:7"
check "step 2 result keeps RETURNING rows" "$(sql_as alice -c "SELECT result FROM df.instance_nodes('$id') WHERE node_id = 2")" \
    '{"rows":[{"id":1},{"id":2},{"id":3}],"row_count":3}'
check "parameter with default stored as a typed result" "$(sql -c "SELECT value::text || ' ' || columns::text FROM df._results WHERE instance_id = '$id' AND name = 'n'")" \
    '{"rows" : [{"n" : 3}], "row_count" : 1} [{"name" : "n", "type" : "integer"}]'

echo "== isolation between roles"
check "bob cannot see alice's status" "$(sql_as bob -c "SELECT coalesce(df.status('$id'), 'NULL')")" "NULL"
check "bob cannot read alice's result" "$(sql_as bob -c "SELECT coalesce(df.result('$id'), 'NULL')")" "NULL"
check "bob's df.instances is empty" "$(sql_as bob -c "SELECT count(*) FROM df.instances")" "0"
check_error "bob awaiting alice's instance: not found" "instance not found" bob "SELECT df.await_instance('$id', 1)"
check_error "bob cannot read the tables" "permission denied" bob "SELECT * FROM df._instances"
check_error "await of an unknown id" "instance not found" alice "SELECT df.await_instance('00000000', 1)"

echo "== started by a superuser (dfc.allow_superuser = on) and via SET ROLE"
id2=$(start postgres demo '{"tag": "root", "n": "2"}')
check "superuser instance completes" "$(await postgres "$id2")" "completed"
check "superuser instance result" "$(sql -c "SELECT df.result('$id2')::json -> 'rows' -> 0 ->> 'inserted'")" "2"
id3=$(sql -c "SET ROLE alice; SELECT df.start('one')" | tail -1)
check "SET ROLE alice: instance is alice's" "$(sql -c "SELECT submitted_by FROM df.instances WHERE id = '$id3'")" "alice"
check "SET ROLE alice: step runs as alice" "$(await alice "$id3"; sql_as alice -c "SELECT df.result('$id3')")" \
    $'completed\n{"rows":[{"answer":42,"who":"alice"}],"row_count":1}'
check_error "superuser refused when dfc.allow_superuser is off" "workflows cannot be started by a superuser" postgres \
    "SET dfc.allow_superuser = off; SELECT df.start('one')"
check_error "non-superuser cannot change dfc.allow_superuser" "permission denied to set parameter" alice \
    "SET dfc.allow_superuser = on"

echo "== start errors create nothing"
before=$(sql -c "SELECT count(*) FROM df._instances")
check_error "unknown workflow" 'workflow "nope" is not deployed' alice "SELECT df.start('nope')"
check_error "missing required parameter" 'missing argument "tag" of workflow demo' alice "SELECT df.start('demo')"
check_error "unknown argument" 'workflow demo has no parameter "bogus"' alice \
    "SELECT df.start('demo', args => '{\"tag\": \"x\", \"bogus\": 1}')"
check_error "uncastable argument" 'argument "n" of workflow demo is not a valid integer' alice \
    "SELECT df.start('demo', args => '{\"tag\": \"x\", \"n\": \"ten\"}')"
check_error "other database refused" "another database is not supported yet" alice \
    "SELECT df.start('one', database => 'template1')"
check_error "transaction_mode new refused" "transaction_mode => 'new' is not supported yet" alice \
    "SELECT df.start('one', transaction_mode => 'new')"
check "rollback discards a start" "$(sql_as alice -c "BEGIN; SELECT df.start('one') IS NOT NULL; ROLLBACK;" >/dev/null; sql -c "SELECT count(*) FROM df._instances")" "$before"
check "nothing was created" "$(sql -c "SELECT count(*) FROM df._instances")" "$before"
k1=$(sql_as alice -c "SELECT df.start('one', idempotency_key => 'k-1')")
k2=$(sql_as alice -c "SELECT df.start('one', idempotency_key => 'k-1')")
check "idempotency key returns the same instance" "$k2" "$k1"

echo "== literals: quotes, backslashes, unicode, NULL, numbers, booleans, JSON, arrays"
id=$(start alice literals)
check "literals completes" "$(await alice "$id")" "completed"
check "values survive \$v.col" "$(sql_as alice -c "SELECT result FROM df.instance_nodes('$id') WHERE node_id = 2")" \
    '{"rows":[{"s":"it'"'"'s a \\back\\slash, ünïcødé ✓ \"dq\"","neg":-5,"one_minus_neg":6,"num":"12.50","flag":true,"off":false,"doc":{"k": [1, "two"], "q": "it'"'"'s"},"nothing":null,"arr":[3,-1,2],"has_two":true,"fl":"1.5","d":"2024-02-29"}],"row_count":1}'
check "values survive \$v.* with their types" "$(sql_as alice -c "SELECT df.result('$id')")" \
    '{"rows":[{"same_s":true,"same_doc":true,"num":"12.50","arr":[3,-1,2],"tarr":["a b",null,"c\"d"],"nan":null,"next_day":"2024-03-01","u":"00000000-0000-0000-0000-00000000000a","num_type":"numeric","tarr_type":"text[]"}],"row_count":1}'
check "rendered \$v.s never uses E''" "$(sql -c "SELECT df.ref('$id', 'v', 's')")" \
    "'it''s a \\back\\slash, ünïcødé ✓ \"dq\"'"
check "rendered negative number" "$(sql -c "SELECT df.ref('$id', 'v', 'neg')")" "(-5)"
check "rendered JSON object" "$(sql -c "SELECT df.ref('$id', 'v', 'doc')")" \
    "'{\"k\": [1, \"two\"], \"q\": \"it''s\"}'::jsonb"
check "rendered \$v?" "$(sql -c "SELECT df.ref('$id', 'v', 'nothing', true)")" "NULL"
check_error "\$v.nothing without ?" 'is NULL (use $v.nothing? to allow NULL)' postgres "SELECT df.ref('$id', 'v', 'nothing')"
check_error "unknown column" '$v has no column "x"' postgres "SELECT df.ref('$id', 'v', 'x')"
check_error "unknown name" '$nope is not bound' postgres "SELECT df.ref('$id', 'nope')"

echo "== NULL and empty row sets"
id=$(start alice nullref)
check "NULL without ? fails the instance" "$(await alice "$id")" "failed"
check "NULL error message" "$(sql_as alice -c "SELECT error ->> 'message' FROM df.instances WHERE id = '$id'")" \
    '$z is NULL (use $z? to allow NULL)'
id=$(start alice empty)
check "empty row set completes" "$(await alice "$id")" "completed"
check "empty relation keeps its columns and types" "$(sql_as alice -c "SELECT df.result('$id')")" \
    '{"rows":[{"c":0,"null_safe":true,"t":"none"}],"row_count":1}'
check "empty relation rendering" "$(sql -c "SELECT df.ref_rows('$id', 'e')")" \
    '(SELECT NULL::integer AS id, NULL::text AS name, NULL::timestamp with time zone AS at WHERE false) AS e'
check_error "\$e with no rows" '$e has no rows' postgres "SELECT df.ref('$id', 'e')"

echo "== a failing second step"
id=$(start alice failing)
check "failing instance fails" "$(await alice "$id")" "failed"
check "step 1 committed, step 2 rolled back" "$(sql -c "SELECT string_agg(what, ',') FROM effects")" "step1"
check "error has message, SQLSTATE, node and line" \
    "$(sql_as alice -c "SELECT concat_ws('|', error ->> 'message', error ->> 'sqlstate', error ->> 'node', error ->> 'line', error ->> 'col') FROM df.instances WHERE id = '$id'")" \
    "division by zero|22012|2|28|8"
check "node states after failure" "$(sql_as alice -c "SELECT string_agg(node_id || ':' || status, ' ' ORDER BY node_id) FROM df.instance_nodes('$id')")" \
    "1:completed 2:failed"
check "queue is empty" "$(sql -c "SELECT count(*) FROM df._queue")" "0"

echo "== steps cannot change identity or touch the runtime"
for wf in escape_reset escape_set escape_do; do
    id=$(start alice $wf)
    check "$wf fails" "$(await alice "$id")" "failed"
    check "$wf error" "$(sql_as alice -c "SELECT error ->> 'sqlstate' || ' ' || (error ->> 'message') FROM df.instances WHERE id = '$id'")" \
        "42501 cannot set parameter \"$( [ $wf = escape_do ] && echo session_authorization || echo role )\" within security-definer function"
done

id=$(start alice escape_df)
check "a step cannot write the runtime's tables" "$(await alice "$id"; sql_as alice -c "SELECT error ->> 'message' FROM df.instances WHERE id = '$id'")" \
    $'failed\npermission denied for table _queue'
check "the queue survived" "$(sql -c "SELECT count(*) FROM df._queue")" "0"

echo "== plans of step SQL (dfc.step_plans)"
# a text is prepared the second time it runs; a session keeps the 16 used last
check "dfc.step_plans defaults to 16" "$(sql -c "SHOW dfc.step_plans")" "16"
check "at most dfc.step_plans plans, the most recent ones" "$(sql <<'SQL'
SELECT count(df._run_as('alice'::regrole, 'SELECT ' || g || ' AS n')) FROM generate_series(1, 100) g, generate_series(1, 2) k;
SELECT count(*) || ' ' || count(*) FILTER (WHERE ident IN ('SELECT 85 AS n', 'SELECT 100 AS n'))
  FROM pg_backend_memory_contexts WHERE name = 'CachedPlanSource' AND ident LIKE 'SELECT % AS n';
SQL
)" $'200\n16 2'
check "a text of several statements is never prepared" "$(sql <<'SQL'
SELECT count(df._run_as('alice'::regrole, 'SELECT 1 AS a; SELECT 2 AS b')) FROM generate_series(1, 3);
SELECT count(*) FROM pg_backend_memory_contexts WHERE name = 'CachedPlanSource' AND ident LIKE 'SELECT 1 AS a%';
SQL
)" $'3\n0'

echo "== a step leaves nothing behind in the worker's session"
# Only meaningful when both steps ran on the same worker: with several idle
# workers the second step may go to another one, so try a few times.
for attempt in 1 2 3 4 5 6 7 8 9 10; do
    id=$(start alice leaky)
    await alice "$id" >/dev/null
    [ "$(sql_as alice -c "SELECT df.result('$id')::json -> 'rows' -> 0 ->> 'same_worker'")" = true ] && break
done
check "leaky completes" "$(sql_as alice -c "SELECT df.status('$id')")" "completed"
check "settings, temp tables, prepared statements, advisory locks are gone" "$(sql_as alice -c "SELECT df.result('$id')")" \
    '{"rows":[{"same_worker":true,"datestyle":"ISO, MDY","no_temp":true,"prepared":0,"advisory":0}],"row_count":1}'

echo "== df.start inside a step is attributed to the step's submitter"
id=$(start alice nested)
check "nested completes" "$(await alice "$id")" "completed"
child=$(sql_as alice -c "SELECT df.result('$id')::json -> 'rows' -> 0 ->> 'child'")
check "child instance belongs to alice, not to the worker's superuser" "$(await alice "$child"; sql -c "SELECT submitted_by FROM df.instances WHERE id = '$child'")" \
    $'completed\nalice'

echo "== wake-up latency (idle workers, 1-step workflow)"
# One session, so that df.start is already compiled: created_at (the start's
# transaction time) is then within a fraction of a millisecond of its commit.
ids=$(sql_as alice <<'EOF'
SELECT df.start('one') AS warm \gset
SELECT df.await_instance(:'warm') \gset
SELECT pg_sleep(0.3) \gset
SELECT df.start('one') AS i1 \gset
SELECT df.await_instance(:'i1'), pg_sleep(0.3) \gset
SELECT df.start('one') AS i2 \gset
SELECT df.await_instance(:'i2'), pg_sleep(0.3) \gset
SELECT df.start('one') AS i3 \gset
SELECT df.await_instance(:'i3'), pg_sleep(0.3) \gset
SELECT df.start('one') AS i4 \gset
SELECT df.await_instance(:'i4'), pg_sleep(0.3) \gset
SELECT df.start('one') AS i5 \gset
SELECT df.await_instance(:'i5') \gset
SELECT format('%L,%L,%L,%L,%L', :'i1', :'i2', :'i3', :'i4', :'i5');
EOF
)
lat=$(sql -c "SELECT string_agg(round(extract(epoch FROM completed_at - created_at) * 1000, 1)::text, ' ' ORDER BY created_at)
                FROM df.instances WHERE id IN ($ids)")
check "the five timed instances completed" "$(sql -c "SELECT count(*) FROM df.instances WHERE id IN ($ids) AND status = 'completed'")" "5"
echo "     start-to-completion (ms): $lat"

echo "== SIGHUP and pg_stat_activity"
pids=$(sql -c "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM pg_stat_activity WHERE backend_type = 'dfc step worker'")
sql -c "SELECT pg_reload_conf()" >/dev/null
for p in ${pids//,/ }; do kill -HUP "$p"; done
id=$(start alice one)
check "a workflow completes after SIGHUP" "$(await alice "$id")" "completed"
check "workers survived SIGHUP" "$(sql -c "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM pg_stat_activity WHERE backend_type = 'dfc step worker'")" "$pids"

echo "== killed workers are restarted; database settings cannot break quoting or encoding"
# Workers read database settings when they connect: standard_conforming_strings
# off is unsafe for '...' literals with backslashes, the others change how
# results are encoded, unless the runtime forces them for steps.
sql -c "ALTER DATABASE postgres SET standard_conforming_strings = off" >/dev/null
sql -c "ALTER DATABASE postgres SET datestyle = 'SQL, DMY'" >/dev/null
sql -c "ALTER DATABASE postgres SET extra_float_digits = -10" >/dev/null
sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'dfc step worker'" >/dev/null
wait_for "terminated workers come back" \
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND pid NOT IN ($pids)" 3 20
check "new sessions, workers included, get standard_conforming_strings off" "$(sql -c "SHOW standard_conforming_strings")" "off"
id=$(start alice literals)
check "literals still round-trip" "$(await alice "$id"; sql_as alice -c "SELECT df.result('$id')")" \
    $'completed\n{"rows":[{"same_s":true,"same_doc":true,"num":"12.50","arr":[3,-1,2],"tarr":["a b",null,"c\\"d"],"nan":null,"next_day":"2024-03-01","u":"00000000-0000-0000-0000-00000000000a","num_type":"numeric","tarr_type":"text[]"}],"row_count":1}'
id=$(sql_as alice -c "SELECT df.start('demo', args => \$j\${\"tag\": \"a\\\\'b\", \"n\": 2}\$j\$)")
check "an argument with a backslash and a quote, from a session with it off" "$(await alice "$id"; sql -c "SELECT count(*) FROM app.items WHERE tag = \$t\$a\\'b\$t\$")" \
    $'completed\n2'
id=$(start alice one_float)
check "dates in ISO form, floats exact" "$(await alice "$id"; sql_as alice -c "SELECT df.result('$id')")" \
    $'completed\n{"rows":[{"d":"2024-02-29","third":0.3333333333333333,"ts":"2024-02-29 13:45:00"}],"row_count":1}'
sql -c "ALTER DATABASE postgres RESET ALL" >/dev/null

echo "== retention: finished instances older than dfc.retention (7 days) are removed"
old=$(start alice demo '{"tag": "old"}')
recent=$(start alice demo '{"tag": "recent"}')
await alice "$old" >/dev/null; await alice "$recent" >/dev/null
check "dfc.retention defaults to 7 days" "$(sql -c "SHOW dfc.retention")" "7d"
sql -c "UPDATE df._instances SET completed_at = now() - interval '8 days' WHERE id = '$old'" >/dev/null
wait_for "the old instance is gone, with its nodes and results" \
    "SELECT (SELECT count(*) FROM df._instances WHERE id = '$old') + (SELECT count(*) FROM df._node_states WHERE instance_id = '$old') + (SELECT count(*) FROM df._results WHERE instance_id = '$old')" 0 60
check "the recent one stays" "$(sql -c "SELECT status || ' ' || (SELECT count(*) > 0 FROM df._node_states WHERE instance_id = '$recent') FROM df._instances WHERE id = '$recent'")" "completed true"

echo "== the runtime without the dfc library"
sql -c "CREATE DATABASE nolib" >/dev/null
out=$(PGOPTIONS='-c dynamic_library_path=/nonexistent' as_pg "$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 \
          -h "$WORK" -p "$PORT" -U postgres -d nolib -f "$WORK/runtime.sql" 2>&1)
check "installs with a notice" "$(grep -c 'dfc library not found' <<<"$out")" "1"
check "df._run_as is the SQL identity switch" "$(sql -d nolib -c "SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = 'df._run_as(oid,text)'::regprocedure")" "plpgsql"
sql -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nolib_user') THEN CREATE ROLE nolib_user; END IF; END \$\$" >/dev/null
check "a step runs as its submitter, with its rows and columns" \
    "$(DB=nolib sql -c "SELECT df._run_as('nolib_user'::regrole, 'SELECT current_user AS u, 2::smallint AS n')")" \
    '{"rows":[{"u":"nolib_user","n":2}],"row_count":1,"columns":[{"name":"u","type":"name"},{"name":"n","type":"smallint"}]}'
sql -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nolib_other') THEN CREATE ROLE nolib_other; END IF; END \$\$" >/dev/null
DB=nolib sql -c "CREATE FUNCTION public.nl_secret() RETURNS text LANGUAGE sql IMMUTABLE AS \$\$ SELECT 'nl-secret'::text \$\$;
                 REVOKE ALL ON FUNCTION public.nl_secret() FROM PUBLIC; GRANT EXECUTE ON FUNCTION public.nl_secret() TO nolib_user;
                 CREATE FUNCTION public.nl_report() RETURNS text LANGUAGE plpgsql AS \$\$ BEGIN RETURN (SELECT public.nl_secret()); END \$\$" >/dev/null
# (nolib_other's first step makes its df_run function, DDL that resets the plan cache by itself:
# the check is on the turn after)
got=$(DB=nolib sql -c "SELECT df._run_as('nolib_other'::regrole, 'SELECT 1 AS one') -> 'rows' -> 0 ->> 'one'" \
                 -c "SELECT df._run_as('nolib_user'::regrole, 'SELECT public.nl_report() AS s') -> 'rows' -> 0 ->> 's'" \
                 -c "SELECT df._run_as('nolib_user'::regrole, 'SELECT public.nl_report() AS s') -> 'rows' -> 0 ->> 's'" \
                 -c "SELECT df._run_as('nolib_other'::regrole, 'SELECT public.nl_report() AS s') -> 'rows' -> 0 ->> 's'" 2>&1 || true)
check "plans made for one submitter's step do not serve another's (PL/pgSQL keeps them per session)" \
    "$(echo "$got" | head -3 | tr '\n' ' ')$(echo "$got" | grep -c 'permission denied for function nl_secret')" "1 nl-secret nl-secret 1"
check "a column of a pseudo-type (void, record) is its text, as with the library" \
    "$(DB=nolib sql -c "SELECT df._run_as('nolib_user'::regrole, 'SELECT pg_notify(''chan'', ''hi''), 5 AS n, row(1, ''a'') AS r') -> 'rows'")" \
    '[{"pg_notify":"","n":5,"r":"(1,a)"}]'
DB=nolib check_error "RESET ROLE is refused inside it" "cannot set parameter \"role\" within security-definer function" postgres \
    "SELECT df._run_as('nolib_user'::regrole, 'RESET ROLE')"

echo "== upgrade: the runtime script over the 0.1 skeleton's (commit 4b32619), with an instance in flight"
if git -C "$ROOT" cat-file -e 4b32619 2>/dev/null; then
    for f in $(git -C "$ROOT" ls-tree --name-only 4b32619 runtime-sql/); do git -C "$ROOT" show "4b32619:$f"; done > "$WORK/old-runtime.sql"
    chown postgres: "$WORK/old-runtime.sql"
    sql -c "CREATE DATABASE upgrade" >/dev/null
    DB=upgrade sql -f "$WORK/old-runtime.sql" >/dev/null
    DB=upgrade sql -f "$WORK/workflows.sql" >/dev/null
    old_id=$(DB=upgrade sql -c "SELECT df.start('demo', args => '{\"tag\": \"upgrade\"}')")
    DB=upgrade sql -c "CREATE SCHEMA app; CREATE TABLE app.items (id int, name text, tag text)" >/dev/null
    DB=upgrade sql -c "SELECT df.grant_usage('alice')" >/dev/null
    check "old df.step has 4 attributes" "$(DB=upgrade sql -c "SELECT count(*) FROM pg_attribute WHERE attrelid = 'df.step'::regclass AND attnum > 0")" "4"
    DB=upgrade sql -f "$WORK/runtime.sql" >/dev/null
    DB=upgrade sql -f "$WORK/runtime.sql" >/dev/null
    check "df.step gained the control-flow, HTTP and retry attributes, in order" "$(DB=upgrade sql -c "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'df.step'::regclass AND attnum > 0 AND NOT attisdropped")" \
        "kind,sql,bind,next,else_next,branches,mode,seconds,cron,name,value,unwind,url,method,body,headers,parts,args,attempts,max_seconds"
    check "df.instance_nodes gained inferred_status; alice may still execute it" "$(DB=upgrade sql -c "SELECT 'inferred_status' = ANY (proargnames) FROM pg_proc WHERE oid = 'df.instance_nodes(text)'::regprocedure; SELECT has_function_privilege('alice', 'df.instance_nodes(text)', 'EXECUTE')")" \
        $'t\nt'
    check "df._queue gained the thread columns; df._signals exists" "$(DB=upgrade sql -c "SELECT (SELECT count(*) FROM pg_attribute WHERE attrelid = 'df._queue'::regclass AND attname IN ('parent_id', 'waiting', 'result_node')) || ' ' || (to_regclass('df._signals') IS NOT NULL)")" "3 true"
    # no workers in this database: run the in-flight instance's steps by hand
    check "the instance started before the upgrade runs to completion" "$(DB=upgrade sql -c "SELECT df._run(df._claim()); SELECT df._run(df._claim()); SELECT df._run(df._claim()); SELECT status || ' ' || (result -> 'rows' -> 0 ->> 'inserted') FROM df._instances WHERE id = '$old_id'" | tail -1)" \
        "completed 3"
    DB=upgrade sql -f "$WORK/control.sql" >/dev/null
    id=$(DB=upgrade sql -c "SELECT df.start('if_no_else', args => '{\"q\": \"SELECT true\"}')")
    check "new kinds run on the upgraded runtime" "$(DB=upgrade sql -c "SELECT df._run(df._claim()); SELECT df._run(df._claim()); SELECT df._run(df._claim()); SELECT status || ' ' || (result -> 'rows' -> 0 ->> 'arm') FROM df._instances WHERE id = '$id'" | tail -1)" \
        "completed then"
else
    echo "     skipped: commit 4b32619 is not in this repository"
fi

SHAREDIR=$("$PG_CONFIG" --sharedir)
# As root on a server without the extension (CI): its control and script files go into the
# share directory for this test and are removed at exit. (Not the library: CREATE EXTENSION
# then installs the runtime without it, as on a server that has the files but not dfc.so in
# $libdir; this cluster's workers load theirs from $WORK/lib.)
if [ "$(id -u)" = 0 ] && [ ! -e "$SHAREDIR/extension/dfc.control" ] && [ -w "$SHAREDIR/extension" ]; then
    cp "$BGWORKER/dfc.control" "$BGWORKER/dfc--0.1.sql" "$SHAREDIR/extension/"
    TEMP_EXTENSION=("$SHAREDIR/extension/dfc.control" "$SHAREDIR/extension/dfc--0.1.sql")
fi
if [ -f "$SHAREDIR/extension/dfc.control" ] && cmp -s "$SHAREDIR/extension/dfc--0.1.sql" "$BGWORKER/dfc--0.1.sql"; then
    echo "== CREATE EXTENSION dfc"
    sql -c "CREATE DATABASE ext" >/dev/null
    check "CREATE EXTENSION dfc" "$(sql -d ext -c "CREATE EXTENSION dfc; SELECT df.runtime_version(), (SELECT count(*) FROM pg_depend d WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dfc') AND d.deptype = 'e') > 20")" \
        $'0.1|t'
    check "pg_dump keeps the runtime's table contents" "$(sql -d ext -c "SELECT array_length(extconfig, 1) FROM pg_extension WHERE extname = 'dfc'")" "12"
    # the runtime script run again over the extension (dfc runtime --install: an upgrade)
    # succeeds, and what it creates anew joins the extension (as if new: taken out of it)
    sql -d ext -c "ALTER EXTENSION dfc DROP FUNCTION df.running_steps()" >/dev/null
    if DB=ext sql -f "$WORK/runtime.sql" >/dev/null 2>"$WORK/rerun.err"; then pass "the runtime script runs again over CREATE EXTENSION dfc"
    else fail "the runtime script runs again over CREATE EXTENSION dfc: $(grep -m1 ERROR "$WORK/rerun.err")"; fi
    check "what the script created anew is an extension member" "$(sql -d ext -c "SELECT count(*) FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = 'df.running_steps()'::regprocedure AND d.deptype = 'e'")" "1"
    check "DROP EXTENSION dfc" "$(sql -d ext -c "DROP EXTENSION dfc; SELECT to_regnamespace('df') IS NULL")" "t"
else
    echo "== CREATE EXTENSION dfc: skipped (run make -C bgworker install first)"
fi

echo "== df._call: compiled functions only, runtime owner only"
check_error "df._call refuses a function of another signature" "does not take (text, integer) and return df.step" postgres \
    "SELECT df._call('pg_catalog.abs(integer)'::regprocedure, 'x', 1)"
check_error "df._call refuses an OID that is no function" "function with OID 1 does not exist" postgres \
    "SELECT df._call(1, 'x', 1)"
check_error "df._call is not granted to users" "permission denied for function _call" alice \
    "SELECT df._call(0, 'x', 1)"

echo "== a new version wins for new starts"
id_old=$(start alice one)
sql >/dev/null <<'EOF'
BEGIN;
CREATE OR REPLACE FUNCTION df_workflows."one@00000000000000v2"(p_instance text, p_state integer)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
-- Generated by dfc from bgworker/test/run.sh, workflow one. Do not edit.
BEGIN
    CASE p_state
    WHEN 1 THEN
        -- line 1: 'SELECT 43 AS answer'
        RETURN df.sql_step('SELECT 43 AS answer', p_next => NULL);
    END CASE;
    RAISE EXCEPTION 'workflow % has no state % (instance %)', 'one', p_state, p_instance;
END;
$function$;
SELECT df._register_version(
    p_workflow => 'one',
    p_version  => '00000000000000v2',
    p_function => 'df_workflows."one@00000000000000v2"(text,integer)'::regprocedure,
    p_params   => '[]'::jsonb,
    p_nodes    => '[{"node":1,"type":"SQL","query":"SELECT 43 AS answer","bind":null,"next":null,"line":1,"col":1}]'::jsonb,
    p_source   => 'bgworker/test/run.sh');
COMMIT;
EOF
id_new=$(start alice one)
check "new start uses the new version" "$(await alice "$id_new"; sql_as alice -c "SELECT version || ' ' || df.result('$id_new') FROM df.instances WHERE id = '$id_new'")" \
    $'completed\n00000000000000v2 {"rows":[{"answer":43}],"row_count":1}'
check "the earlier instance kept its version" "$(await alice "$id_old"; sql_as alice -c "SELECT version FROM df.instances WHERE id = '$id_old'")" \
    $'completed\n9a8673f2ffd2353d'
sql -f "$WORK/workflows.sql" >/dev/null
id_again=$(start alice one)
check "re-applying the old script does not make the old version newest" "$(sql_as alice -c "SELECT version FROM df.instances WHERE id = '$id_again'")" \
    "00000000000000v2"

echo "== control flow, waits, signals and cancellation (control.sql, hand-compiled)"
sql -f "$WORK/control.sql" >/dev/null
(sql <<'SQL'
CREATE TABLE app.counters (run text, name text, n int, PRIMARY KEY (run, name));
GRANT SELECT, INSERT, UPDATE ON app.counters TO alice;
CREATE SEQUENCE app.attempts;
GRANT USAGE ON SEQUENCE app.attempts TO alice;
SQL
) >/dev/null

# queue_rows ID: queue items, parked or not, left for an instance
queue_rows() { sql -c "SELECT count(*) FROM df._queue WHERE instance_id = '$1'"; }

echo "-- df._truthy, table-driven (LANGUAGE.md section 3)"
check "every truthiness case" "$(sql <<'SQL'
SELECT coalesce(string_agg(format('%s: expected %s', v, expected), '; '), 'all as expected')
  FROM (VALUES ('true', true), ('false', false),
               ('1', true), ('0', false), ('-2.5', true), ('0.0', false), ('1e-9', true),
               ('"yes"', true), ('"x"', true), ('""', false), ('"false"', false), ('"FALSE"', false),
               ('"f"', false), ('"F"', false), ('"no"', false), ('"No"', false), ('"0"', false),
               ('"0.0"', true), ('" "', true), ('"true"', true),
               ('[]', false), ('[0]', true), ('{}', false), ('{"a":null}', true),
               ('null', false), (NULL, false)) AS t(v, expected)
 WHERE df._truthy(t.v::json) IS DISTINCT FROM t.expected
SQL
)" "all as expected"

echo "-- if/else on each class of condition value"
ifcases=(
    "SELECT true|then" "SELECT false|else" "SELECT NULL::boolean|else"
    "SELECT 3|then" "SELECT 0|else" "SELECT 0.00::numeric(5,2)|else" "SELECT 2.50::numeric|then"
    "SELECT (-1)::float8|then" "SELECT 0::float8|else"
    "SELECT 'yes'::text|then" "SELECT ''::text|else" "SELECT 'False'::text|else" "SELECT 'f'|else"
    "SELECT 'NO'|else" "SELECT '0'::varchar|else"
    "SELECT '[]'::json|else" "SELECT '[1]'::jsonb|then" "SELECT '{}'::jsonb|else" "SELECT '{\"a\":1}'::json|then"
    "SELECT 1 WHERE false|else" "SELECT NULL|else"
    "SELECT 0 AS a, 1 AS b|else" "SELECT x FROM (VALUES (1), (0)) AS v(x)|then"
)
declare -A ifids=()
for c in "${ifcases[@]}"; do
    q=${c%|*}
    ifids[$c]=$(sql_as alice -c "SELECT df.start('iftest', args => jsonb_build_object('q', \$q\$$q\$q\$))")
done
for c in "${ifcases[@]}"; do
    q=${c%|*}; arm=${c##*|}
    check "if ($q) takes $arm" "$(await alice "${ifids[$c]}"; sql_as alice -c "SELECT df.result('${ifids[$c]}')::json -> 'rows' -> 0 ->> 'arm'")" \
        $'completed\n'"$arm"
done
id=$(sql_as alice -c "SELECT df.start('iftest', args => '{\"q\": \"SELECT 1\"}')")
check "the condition's node keeps its own result, the arm's is the instance's" "$(await alice "$id"; sql_as alice -c "SELECT string_agg(node_id || ':' || node_type || ':' || status || ':' || coalesce(result::text, '-'), ' ' ORDER BY node_id) FROM df.instance_nodes('$id')")" \
    $'completed\n1:IF:completed:{"rows":[{"?column?":1}],"row_count":1} 2:SQL:completed:{"rows":[{"arm":"then"}],"row_count":1} 3:SQL:pending:-'
id=$(sql_as alice -c "SELECT df.start('if_no_else', args => '{\"q\": \"SELECT false\"}')")
check "a false if without else passes on the result from before it" "$(await alice "$id"; sql_as alice -c "SELECT df.result('$id')")" \
    $'completed\n{"rows":[{"seven":7}],"row_count":1}'
id=$(sql_as alice -c "SELECT df.start('if_no_else', args => '{\"q\": \"SELECT 0 / 0\"}')")
check "a failing condition fails the instance (the failed step ran once)" "$(await alice "$id"; sql_as alice -c "SELECT error ->> 'message' || ' @' || (error ->> 'node') FROM df.instances WHERE id = '$id'")" \
    $'failed\ndivision by zero @2'

sql_as alice -c "SELECT count(df.start('fail_counted')) FROM generate_series(1, 30)" >/dev/null
wait_for "30 failing instances failed" "SELECT count(*) FROM df._instances WHERE workflow = 'fail_counted' AND status = 'failed'" 30 60
check "each failing step ran exactly once with 3 workers (sequence advanced 30 times)" "$(sql -c "SELECT last_value FROM app.attempts")" "30"

echo "-- if_rows"
id=$(start alice ifrows '{"n": 2}')
id0=$(start alice ifrows '{"n": 0}')
check "if_rows with rows" "$(await alice "$id"; sql_as alice -c "SELECT df.result('$id')::json -> 'rows' -> 0 ->> 'arm'")" $'completed\nrows'
check "if_rows without rows" "$(await alice "$id0"; sql_as alice -c "SELECT df.result('$id0')::json -> 'rows' -> 0 ->> 'arm'")" $'completed\nnone'

echo "-- join of three 1 s steps on three workers"
id=$(start alice join3)
check "join completes" "$(await alice "$id")" "completed"
check "join result: branch results in branch order" "$(sql_as alice -c "SELECT df.result('$id')")" \
    '[{"rows":[{"s":"","b":1}],"row_count":1},{"rows":[{"s":"","b":2}],"row_count":1},{"rows":[{"s":"","b":3}],"row_count":1}]'
elapsed=$(sql -c "SELECT round(extract(epoch FROM completed_at - created_at)::numeric, 3) FROM df._instances WHERE id = '$id'")
check "three 1 s branches ran in parallel (created_at to completed_at < 1.5 s, was ${elapsed} s)" \
    "$(sql -c "SELECT $elapsed < 1.5")" "t"
check "join nodes" "$(sql_as alice -c "SELECT string_agg(node_id || ':' || node_type || ':' || status, ' ' ORDER BY node_id) FROM df.instance_nodes('$id')")" \
    "1:JOIN:completed 2:SQL:completed 3:SQL:completed 4:SQL:completed"
check "nothing left in the queue" "$(queue_rows "$id")" "0"

echo "-- race between a 60 s sleep and a signal sent after 1 s"
id=$(start alice race_signal)
wait_for "the race is parked: a timer and a wait" \
    "SELECT string_agg(coalesce(waiting, '-'), ',' ORDER BY id) FROM df._queue WHERE instance_id = '$id'" "fork,timer,signal"
sleep 1
t_signal=$(sql -c "SELECT clock_timestamp()")
sql_as alice -c "SELECT df.signal('$id', 'go', '{\"k\": [1, 2]}')" >/dev/null
check "the signal branch wins" "$(await alice "$id"; sql_as alice -c "SELECT df.result('$id')")" \
    $'completed\n{"signal_name" : "go", "timed_out" : false, "data" : {"k": [1, 2]}}'
check "it completed promptly after the signal (< 0.5 s)" \
    "$(sql -c "SELECT completed_at - '$t_signal'::timestamptz < interval '0.5 s' FROM df._instances WHERE id = '$id'")" "t"
check "no timer or other row left" "$(queue_rows "$id") $(sql -c "SELECT count(*) FROM df._signals WHERE instance_id = '$id'")" "0 0"
check "the winner's result is bound" "$(sql -c "SELECT value -> 'rows' -> 0 ->> 'signal_name' FROM df._results WHERE instance_id = '$id' AND name = 'w'")" "go"
check "race nodes: the loser shows cancelled" "$(sql_as alice -c "SELECT string_agg(node_id || ':' || node_type || ':' || status || coalesce(':' || (error ->> 'message'), ''), ' ' ORDER BY node_id) FROM df.instance_nodes('$id')")" \
    "1:RACE:completed 2:SLEEP:failed:cancelled 3:SIGNAL:completed"

echo "-- signals: sent before the wait, consumed once each, in order; JSON or text"
id=$(start alice early_signal)
sql_as alice -c "SELECT df.signal('$id', 'a', '{\"n\": 1}'); SELECT df.signal('$id', 'a', 'plain text'); SELECT df.signal('$id', 'other')" >/dev/null
check "both early signals reached their waits, in order" "$(await alice "$id"; sql -c "SELECT (SELECT (value -> 'rows' -> 0)::text FROM df._results WHERE instance_id = '$id' AND name = 'first') || ' ' || df.result('$id')")" \
    $'completed\n{"signal_name" : "a", "timed_out" : false, "data" : {"n": 1}} {"signal_name" : "a", "timed_out" : false, "data" : "plain text"}'
check "both 'a' signals were consumed" "$(sql -c "SELECT count(*) FROM df._signals WHERE instance_id = '$id' AND name = 'a'")" "0"
id=$(start alice signal_timeout)
check "a wait times out" "$(await alice "$id"; sql_as alice -c "SELECT df.result('$id')")" \
    $'completed\n{"signal_name" : "never", "timed_out" : true, "data" : null}'
check "timed out after about 0.5 s" "$(sql -c "SELECT completed_at - created_at BETWEEN interval '0.45 s' AND interval '1.2 s' FROM df._instances WHERE id = '$id'")" "t"
sql -c "SELECT format('     a 0.5 s signal timeout completed the instance after %s ms', round(extract(epoch FROM completed_at - created_at) * 1000)) FROM df._instances WHERE id = '$id'"
check_error "signal to another role's instance: not found" "instance not found" bob "SELECT df.signal('$id', 'a')"
check_error "signal to an unknown instance: not found" "instance not found" alice "SELECT df.signal('ffffffff', 'a')"

echo "-- concurrent signals to concurrent waits: none lost, none twice"
# 20 waits in parallel (a join of 20 signal waits is what the runtime sees: 20 threads)
id=$(start alice early_signal)
for k in $(seq 1 10); do sql_as alice -c "SELECT df.signal('$id', 'a', '$k')" >/dev/null & done; wait
check "two waits took two of ten concurrent signals; the rest went with the instance's end" "$(await alice "$id"; sql -c "SELECT count(*) FROM df._signals WHERE instance_id = '$id'")" \
    $'completed\n0'
for round in 1 2 3; do
    id=$(start alice many_waits)
    # signals race with the five waits parking (some arrive before, some after)
    for k in 1 2 3 4 5; do sql_as alice -c "SELECT df.signal('$id', 's', '$k')" >/dev/null & done; wait
    check "five concurrent waits, five concurrent signals: each delivered exactly once (round $round)" \
        "$(await alice "$id"; sql_as alice -c "SELECT string_agg(e ->> 'data', ',' ORDER BY (e ->> 'data')::int) || ' timed_out=' || bool_or((e ->> 'timed_out')::boolean) FROM json_array_elements(df.result('$id')::json) AS e"; sql -c "SELECT count(*) FROM df._signals WHERE instance_id = '$id'")" \
        $'completed\n1,2,3,4,5 timed_out=false\n0'
done

echo "-- 300 instances of joins and races at once"
t0=$(sql -c "SELECT clock_timestamp()")
sql_as alice -c "SELECT count(df.start('fork_mix')) FROM generate_series(1, 300)" >/dev/null
wait_for "all 300 completed" "SELECT count(*) FROM df._instances WHERE workflow = 'fork_mix' AND status = 'completed'" 300 120
check "every join result in branch order, every race decided once, nothing left" "$(sql -c "
    SELECT count(*) FILTER (WHERE (r.value -> 'rows')::text = '[{\"rows\":[{\"b\":1}],\"row_count\":1},{\"rows\":[{\"b\":2}],\"row_count\":1},{\"rows\":[{\"b\":3}],\"row_count\":1}]')
           || ' ' || (SELECT count(*) FROM df._queue q JOIN df._instances i ON i.id = q.instance_id WHERE i.workflow = 'fork_mix')
           || ' ' || count(*) FILTER (WHERE i.result::text = '{\"rows\":[{\"done\":\"ok\"}],\"row_count\":1}')
      FROM df._instances i JOIN df._results r ON r.instance_id = i.id AND r.name = 'j' WHERE i.workflow = 'fork_mix'")" "300 0 300"
sql -c "SELECT format('     300 instances x 8 steps (two forks, five branches) in %s ms with 3 workers: %s steps/s',
                      round(extract(epoch FROM max(completed_at) - '$t0'::timestamptz) * 1000),
                      round(300 * 8 / extract(epoch FROM max(completed_at) - '$t0'::timestamptz)))
          FROM df._instances WHERE workflow = 'fork_mix'"

echo "-- df.stats: workers, queue, steps per second, failures"
id=$(start alice failing)
await alice "$id" >/dev/null
check "df.stats after the burst and a failed step" "$(sql -c "SELECT workers || ' ' || workers_configured || ' ' || (steps >= 2400) || ' ' || (failures >= 1) || ' ' || (steps_per_s > 0) || ' ' || (runnable >= 0 AND waiting >= 0) || ' ' || (last_step_at > now() - interval '1 minute') FROM df.stats")" \
    "3 3 true true true true true"
check "df.stats is for superusers only" "$(sql_as alice -c "SELECT 1 FROM df.stats" 2>&1 | grep -c 'permission denied')" "1"

echo "-- nested loops with break"
id=$(start alice nested_loops '{"run": "nest"}')
check "nested loops: break values and iteration counts" "$(await alice "$id"; sql_as alice -c "SELECT df.result('$id')"; sql -c "SELECT string_agg(name || '=' || n, ' ' ORDER BY name) FROM app.counters WHERE run = 'nest'")" \
    $'completed\n{"outer":"done"}\ninner=4 outer=3 total=12'

echo "-- break inside a join branch inside a loop"
id=$(start alice break_in_join '{"run": "bij"}')
check "the break leaves the join and the loop" "$(await alice "$id"; sql_as alice -c "SELECT df.result('$id')")" \
    $'completed\n{"rows":[{"n":3}],"row_count":1}'
wait_for "the sleeping sibling was interrupted or dropped: no queue rows" "SELECT count(*) FROM df._queue WHERE instance_id = '$id'" 0
check "no worker is still sleeping for it" "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND wait_event = 'PgSleep'")" "0"

echo "-- a failing join branch cancels its siblings; races"
id=$(start alice failing_join)
wait_for "both branches are running (in pg_sleep)" \
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND wait_event = 'PgSleep'" 2
check "the join fails with the branch's error" "$(await alice "$id"; sql_as alice -c "SELECT concat_ws('|', error ->> 'message', error ->> 'node') FROM df.instances WHERE id = '$id'")" \
    $'failed\ndivision by zero|4'
check "and fails fast (< 5 s, not 30)" "$(sql -c "SELECT completed_at - created_at < interval '5 s' FROM df._instances WHERE id = '$id'")" "t"
wait_for "the sibling's pg_sleep was interrupted" \
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND wait_event = 'PgSleep'" 0 5
check "nothing left in the queue" "$(queue_rows "$id")" "0"
id=$(start alice race_one_fails)
check "a race with one failing branch completes with the other (bound, \$r.w)" "$(await alice "$id"; sql_as alice -c "SELECT df.result('$id')")" \
    $'completed\n{"rows":[{"won":"survivor"}],"row_count":1}'
id=$(start alice race_all_fail)
check "a race fails when all branches fail" "$(await alice "$id"; sql_as alice -c "SELECT concat_ws('|', error ->> 'message', error ->> 'node') FROM df.instances WHERE id = '$id'")" \
    $'failed\ndivision by zero|4'

echo "-- cancel"
sql -c "DELETE FROM effects" >/dev/null
id=$(start alice sleepy)
wait_for "the step is in pg_sleep" \
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND wait_event = 'PgSleep'" 1
check_error "bob cannot cancel alice's instance" "instance not found" bob "SELECT df.cancel('$id')"
sql -c "SELECT df._interrupt(id + 1000) FROM df._queue WHERE instance_id = '$id'" >/dev/null
sleep 0.3
check "an interrupt for an item no worker runs stops nothing" \
    "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND wait_event = 'PgSleep'")" "1"
t_cancel=$(sql -c "SELECT clock_timestamp()")
sql_as alice -c "SELECT df.cancel('$id', 'test over')" >/dev/null
check "status cancelled, reason kept" "$(sql_as alice -c "SELECT status || ' ' || (error ->> 'reason') FROM df.instances WHERE id = '$id'")" "cancelled test over"
wait_for "the running pg_sleep was interrupted" \
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND wait_event = 'PgSleep'" 0 5
wait_for "nothing left in the queue" "SELECT count(*) FROM df._queue WHERE instance_id = '$id'" 0 5
check "the step after it never ran" "$(sql -c "SELECT string_agg(what, ',') FROM effects")" "sleepy"
check "the interruption was not recorded as a failure" "$(sql_as alice -c "SELECT status FROM df.instances WHERE id = '$id'")" "cancelled"
sql_as alice -c "SELECT df.cancel('$id', 'again')" >/dev/null
check "cancel twice: no error, unchanged" "$(sql_as alice -c "SELECT status || ' ' || (error ->> 'reason') FROM df.instances WHERE id = '$id'")" "cancelled test over"
id=$(start alice one)
await alice "$id" >/dev/null
sql_as alice -c "SELECT df.cancel('$id')" >/dev/null
check "cancel of a completed instance changes nothing" "$(sql_as alice -c "SELECT df.status('$id')")" "completed"
id=$(start alice race_signal)
wait_for "a parked race" "SELECT count(*) FROM df._queue WHERE instance_id = '$id'" 3
sql_as alice -c "SELECT df.signal('$id', 'unrelated')" >/dev/null
sql_as alice -c "SELECT df.cancel('$id')" >/dev/null
check "cancel drops the fork, its timer, its wait and pending signals" "$(queue_rows "$id") $(sql -c "SELECT count(*) FROM df._signals WHERE instance_id = '$id'") $(sql_as alice -c "SELECT df.status('$id')")" \
    "0 0 cancelled"

ids=$(sql_as alice -c "SELECT string_agg(quote_literal(df.start('join3')), ',') FROM generate_series(1, 10)")
wait_for "three of thirty branches are running" \
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND wait_event = 'PgSleep'" 3
sql_as alice -c "SELECT count(df.cancel(id)) FROM df.instances WHERE id IN ($ids)" >/dev/null
check "ten joins cancelled at once" "$(sql -c "SELECT string_agg(DISTINCT status, ',') FROM df._instances WHERE id IN ($ids)")" "cancelled"
wait_for "their thirty threads are gone, running ones interrupted" \
    "SELECT (SELECT count(*) FROM df._queue WHERE instance_id IN ($ids)) + (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND wait_event = 'PgSleep')" 0 10

echo "-- schedule: the timer is set to the next cron match in the instance's time zone"
due=$(sql -c "SELECT date_trunc('minute', now()) + interval '2 minutes'")
cron=$(sql -c "SELECT format('%s %s * * *', extract(minute FROM t), extract(hour FROM t)) FROM (SELECT '$due'::timestamptz AT TIME ZONE 'America/New_York' AS t) s")
expected=$(sql -c "SELECT to_char('$due'::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00'")
id=$(sql_as alice -c "SET TimeZone = 'America/New_York'; SELECT df.start('sched', args => jsonb_build_object('cron', '$cron'))" | tail -1)
wait_for "the timer is armed for the next match, 2 minutes from now (cron '$cron')" \
    "SELECT waiting || ' ' || to_char(ready_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00' FROM df._queue WHERE instance_id = '$id'" "timer $expected"
check "the node shows running" "$(sql_as alice -c "SELECT node_type || ':' || status FROM df.instance_nodes('$id') WHERE node_id = 1")" "WAIT_SCHEDULE:running"
sql_as alice -c "SELECT df.cancel('$id')" >/dev/null
check "cancel removes the timer" "$(queue_rows "$id")" "0"

echo "-- a schedule overdue after downtime fires once, then waits for the next match"
id=$(start alice sched_loop '{"run": "late"}')
wait_for "the schedule's timer is armed" "SELECT waiting FROM df._queue WHERE instance_id = '$id'" "timer"
# as if the server had been down for five minutes: five slots missed
sql -c "UPDATE df._queue SET ready_at = now() - interval '5 minutes' WHERE instance_id = '$id'" >/dev/null
wait_for "it fired and is armed again for the next minute" \
    "SELECT (SELECT n FROM app.counters WHERE run = 'late' AND name = 'fired') || ' ' || waiting || ' ' || (ready_at > now() AND ready_at <= date_trunc('minute', now()) + interval '1 minute') FROM df._queue WHERE instance_id = '$id'" "1 timer true"
rearmed=$(sql -c "SELECT ready_at FROM df._queue WHERE instance_id = '$id'")
sleep 0.5
check "once, not once per missed slot" "$(sql -c "SELECT n = 1 OR now() >= '$rearmed' FROM app.counters WHERE run = 'late' AND name = 'fired'")" "t"
sql_as alice -c "SELECT df.cancel('$id')" >/dev/null

echo "-- cron evaluator over test-corpus/cron/cases.tsv (shared with the compiler's validator)"
if [ -f "$ROOT/test-corpus/cron/cases.tsv" ]; then
    grep -v -e '^#' -e '^$' "$ROOT/test-corpus/cron/cases.tsv" | tail -n +2 > "$WORK/cron.tsv"
    chown postgres: "$WORK/cron.tsv"
    check "every case agrees" "$(sql <<SQL
CREATE TEMP TABLE cron_cases (expr text, valid boolean, from_ text, tz text, expected text);
\copy cron_cases FROM '$WORK/cron.tsv'
CREATE FUNCTION pg_temp.outcome(c cron_cases) RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
    IF c.from_ = '' THEN
        PERFORM df._cron_parse(c.expr);
        RETURN 'valid';
    END IF;
    RETURN to_char(df._cron_next(c.expr, c.from_::timestamptz, c.tz) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS');
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN 'invalid: ' || SQLERRM;
END;
\$\$;
SELECT count(*) || ' cases, ' || coalesce(string_agg(format('[%s] %s', expr, outcome), '; ') FILTER (WHERE NOT ok), 'all agree')
  FROM (SELECT c.expr, pg_temp.outcome(c) AS outcome,
               CASE WHEN NOT c.valid THEN pg_temp.outcome(c) LIKE 'invalid: %'
                    WHEN c.from_ = '' THEN pg_temp.outcome(c) = 'valid'
                    ELSE pg_temp.outcome(c) = to_char(c.expected::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') END AS ok
          FROM cron_cases c) s;
SQL
)" "$(grep -c . "$WORK/cron.tsv") cases, all agree"
    check_error "an invalid cron names the field" "invalid cron day-of-week: range 5-0 is reversed" postgres "SELECT df._cron_parse('* * * * 5-0')"
else
    fail "test-corpus/cron/cases.tsv is missing"
fi

echo "-- a loop of 20,000 iterations runs in bounded space"
id=$(start alice counter '{"run": "big", "n": 20000}')
# df_rows: rows of df's per-instance tables for the instance
df_rows() { sql -c "SELECT (SELECT count(*) FROM df._node_states WHERE instance_id = '$id') || ' ' || (SELECT count(*) FROM df._results WHERE instance_id = '$id') || ' ' || (SELECT count(*) FROM df._queue WHERE instance_id = '$id') || ' ' || (SELECT count(*) FROM df._signals WHERE instance_id = '$id')"; }
wait_for "iteration 1000 reached" "SELECT n >= 1000 FROM app.counters WHERE run = 'big' AND name = 'c'" t 60
rows_early=$(df_rows)
wait_for "iteration 15000 reached" "SELECT n >= 15000 FROM app.counters WHERE run = 'big' AND name = 'c'" t 300
rows_late=$(df_rows)
check "df rows at iteration 15000 = at iteration 1000 (node states, results, queue, signals)" "$rows_late" "$rows_early"
wait_for "the loop completes" "SELECT status FROM df._instances WHERE id = '$id'" completed 300
check "its result" "$(sql_as alice -c "SELECT df.result('$id')")" '{"rows":[{"final":20000}],"row_count":1}'
sql -c "SELECT format('     20,000 iterations (40,001 steps) in %s s: %s steps/s on one thread',
                      round(extract(epoch FROM completed_at - created_at)::numeric, 1),
                      round(40001 / extract(epoch FROM completed_at - created_at)))
          FROM df._instances WHERE id = '$id'"
check "queue sequence: no item per iteration" "$(sql -c "SELECT count(*) FROM df._queue")" "0"

echo "== throughput (figures only, nothing asserted)"
N=${BENCH_N:-5000}
t0=$(sql -c "SELECT extract(epoch FROM clock_timestamp())")
sql_as alice -c "SELECT count(df.start('one')) FROM generate_series(1, $N)" >/dev/null
wait_for "$N one-step instances drained" \
    "SELECT count(*) FROM df._instances WHERE workflow = 'one' AND status IN ('pending', 'running')" 0 120
sql -c "SELECT format('     %s one-step instances: %s steps/s with 3 workers (last completion %s ms after the start committed)',
                      count(*), round(count(*) / extract(epoch FROM max(completed_at) - min(created_at))),
                      round(extract(epoch FROM max(completed_at) - min(created_at)) * 1000))
          FROM df._instances WHERE workflow = 'one' AND created_at >= to_timestamp($t0)"
id=$(sql_as alice -c "SELECT string_agg(df.start('demo', args => format('{\"tag\": \"bench%s\", \"n\": 5}', g)::jsonb), ',') FROM generate_series(1, 500) g")
wait_for "500 three-step instances drained" \
    "SELECT count(*) FROM df._instances WHERE workflow = 'demo' AND status IN ('pending', 'running')" 0 120
sql -c "SELECT format('     %s three-step instances: %s steps/s with 3 workers',
                      count(*), round(3 * count(*) / extract(epoch FROM max(completed_at) - min(created_at))))
          FROM df._instances WHERE workflow = 'demo' AND label IS NULL AND created_at >= to_timestamp($t0)"
check "no step ran twice (5 items per instance)" "$(sql -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE n = 5) FROM (SELECT tag, count(*) AS n FROM app.items WHERE tag LIKE 'bench%' GROUP BY tag) t")" \
    "500 500"
check "all bench instances completed" "$(sql -c "SELECT count(*) FROM df._instances WHERE status <> 'completed' AND workflow IN ('one', 'demo') AND created_at >= to_timestamp($t0)")" "0"

echo "== a worker terminated in the middle of a step: the step runs again, once"
id=$(start alice slow)
check "await_instance returns the current status at its timeout" "$(sql_as alice -c "SELECT df.await_instance('$id', 0.05) IN ('pending', 'running')")" "t"
wait_for "the step is running" \
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND wait_event = 'PgSleep'" 1
check "df.stats does not count a step that runs as runnable" "$(sql -c "SELECT runnable || ' ' || (oldest_runnable_s IS NULL) || ' ' || workers_busy FROM df.stats")" \
    "0 true 1"
sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND wait_event = 'PgSleep'" >/dev/null
check "the instance still completes" "$(await alice "$id")" "completed"
check "its effect is there exactly once" "$(sql -c "SELECT count(*) FROM effects WHERE what = 'slow'")" "1"

if grep -q -E "PANIC|TRAP|server process .* was terminated by signal" "$LOG"; then
    fail "server log has crashes: $(grep -E 'PANIC|TRAP|terminated by signal' "$LOG" | head -3)"
fi

echo "== a worker killed with SIGKILL mid-step: crash recovery, then the step runs again, once"
sql -c "DELETE FROM effects WHERE what = 'slow'" >/dev/null
id=$(start alice slow)
wait_for "the step is running" \
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND wait_event = 'PgSleep'" 1
kill -KILL "$(sql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND wait_event = 'PgSleep'")"
# (connections fail while the server reinitializes: wait_for retries them)
wait_for "the instance completes after crash recovery" "SELECT status FROM df._instances WHERE id = '$id'" completed 60
check "its effect is there exactly once" "$(sql -c "SELECT count(*) FROM effects WHERE what = 'slow'")" "1"

echo
if [ "$FAILURES" -gt 0 ]; then
    echo "$FAILURES check(s) failed (log: $LOG)"
    KEEP=1
    exit 1
fi
echo "all checks passed"
