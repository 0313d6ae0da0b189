-- Tables of the ceiling and the hand-rolled baseline (bench/run.sh).

-- Ceiling: the transaction shape of one step with nothing around it.
DROP TABLE IF EXISTS bench_ceiling;
CREATE TABLE bench_ceiling (id integer PRIMARY KEY, n bigint NOT NULL DEFAULT 0) WITH (fillfactor = 70);
INSERT INTO bench_ceiling (id) SELECT g FROM generate_series(1, 10000) g;

-- Baseline: a jobs table as people write it by hand. One row per job, its
-- progress in status/step columns, the last step's result kept; workers poll
-- the partial index of ready jobs and claim with FOR UPDATE SKIP LOCKED.
DROP TABLE IF EXISTS bench_jobs;
CREATE TABLE bench_jobs (
    id           bigserial PRIMARY KEY,
    status       text NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'done', 'failed')),
    step         integer NOT NULL DEFAULT 0,      -- steps done so far (3 = done)
    result       jsonb,                           -- the last step's result
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
) WITH (fillfactor = 70);
CREATE INDEX bench_jobs_ready ON bench_jobs (id) WHERE status = 'ready';

-- Latency: one row per timed start (instance id, transaction id of the start).
CREATE TABLE IF NOT EXISTS bench_latency (id text PRIMARY KEY, xid xid8 NOT NULL);

-- Smallest step: what a step costs at the least when it is written in PL/pgSQL
-- as the runtime's are (issue 5's ceiling target, docs/performance.md): claim a
-- queue item FOR UPDATE SKIP LOCKED, run the step's SQL in a subtransaction
-- (a step that raises must be recorded in the claiming transaction) with its
-- plan cached and its row as JSON, record the node's result, move the item to
-- its next state; one function called as one statement, like the ceiling.
-- Nothing else that dfc's step does: no instance row, no submitter's identity,
-- no time zone, no state function, no column types, no timestamps.
DROP TABLE IF EXISTS bench_min_queue, bench_min_nodes;
CREATE TABLE bench_min_queue (id integer PRIMARY KEY, state integer NOT NULL) WITH (fillfactor = 70);
INSERT INTO bench_min_queue SELECT g, 1 FROM generate_series(1, 10000) g;
CREATE TABLE bench_min_nodes (item integer, node integer, status text NOT NULL, result jsonb,
                              PRIMARY KEY (item, node)) WITH (fillfactor = 70);
INSERT INTO bench_min_nodes SELECT g, s, 'pending' FROM generate_series(1, 10000) g, generate_series(1, 3) s;
CREATE OR REPLACE FUNCTION bench_min_step(p_from integer)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_item  bench_min_queue;
    v_result jsonb;
BEGIN
    SELECT q.* INTO v_item FROM bench_min_queue q WHERE q.id >= p_from ORDER BY q.id LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    BEGIN
        SELECT to_jsonb(s) INTO v_result FROM (SELECT v_item.state AS step) s;
    EXCEPTION WHEN OTHERS THEN
        v_result := NULL;
    END;
    UPDATE bench_min_nodes SET status = 'completed', result = v_result WHERE item = v_item.id AND node = v_item.state;
    UPDATE bench_min_queue SET state = v_item.state % 3 + 1 WHERE id = v_item.id;
END;
$$;

-- The machine's speed beside each drain (information): a fresh backend runs a
-- fixed in-server loop, 20,000 primary-key lookups in pg_class from PL/pgSQL;
-- microseconds per lookup. It moves when the machine does (other load on the
-- host), not with dfc, so a slow drain beside a slow probe is the machine.
CREATE OR REPLACE FUNCTION bench_probe()
RETURNS numeric
LANGUAGE plpgsql
AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
    n  integer;
BEGIN
    FOR i IN 1..20000 LOOP
        SELECT count(*) INTO n FROM pg_class WHERE oid = 1259;
    END LOOP;
    RETURN round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1e6 / 20000, 2);
END;
$$;

-- Waiting load, interleaved (bench/run.sh): the rounds without waiting instances
-- and those with them alternate, so that the host's drift hits both alike.
-- Between them the parked instances' rows are moved aside (bench_set_aside)
-- and back (bench_bring_back), which is much quicker than parking them again.
DROP TABLE IF EXISTS bench_aside_instances, bench_aside_node_states, bench_aside_results, bench_aside_queue, bench_aside_signals;
CREATE TABLE bench_aside_instances (LIKE df._instances);
CREATE TABLE bench_aside_node_states (LIKE df._node_states);
CREATE TABLE bench_aside_results (LIKE df._results);
CREATE TABLE bench_aside_queue (LIKE df._queue);
CREATE TABLE bench_aside_signals (LIKE df._signals);

-- moves the rows of every instance of WORKFLOWS aside; returns how many instances
CREATE OR REPLACE FUNCTION bench_set_aside(workflows text[])
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    n bigint;
BEGIN
    WITH d AS (DELETE FROM df._instances WHERE workflow = ANY (workflows) RETURNING *)
    INSERT INTO bench_aside_instances SELECT * FROM d;
    GET DIAGNOSTICS n = ROW_COUNT;
    WITH d AS (DELETE FROM df._node_states s USING bench_aside_instances a WHERE s.instance_id = a.id RETURNING s.*)
    INSERT INTO bench_aside_node_states SELECT * FROM d;
    WITH d AS (DELETE FROM df._results s USING bench_aside_instances a WHERE s.instance_id = a.id RETURNING s.*)
    INSERT INTO bench_aside_results SELECT * FROM d;
    WITH d AS (DELETE FROM df._queue s USING bench_aside_instances a WHERE s.instance_id = a.id RETURNING s.*)
    INSERT INTO bench_aside_queue SELECT * FROM d;
    WITH d AS (DELETE FROM df._signals s USING bench_aside_instances a WHERE s.instance_id = a.id RETURNING s.*)
    INSERT INTO bench_aside_signals SELECT * FROM d;
    RETURN n;
END;
$$;

-- moves the rows set aside back; returns how many instances
CREATE OR REPLACE FUNCTION bench_bring_back()
RETURNS bigint
LANGUAGE sql
AS $$
    INSERT INTO df._instances SELECT * FROM bench_aside_instances;
    INSERT INTO df._node_states SELECT * FROM bench_aside_node_states;
    INSERT INTO df._results SELECT * FROM bench_aside_results;
    INSERT INTO df._queue SELECT * FROM bench_aside_queue;
    INSERT INTO df._signals SELECT * FROM bench_aside_signals;
    TRUNCATE bench_aside_node_states, bench_aside_results, bench_aside_queue, bench_aside_signals;
    WITH d AS (DELETE FROM bench_aside_instances RETURNING 1) SELECT count(*) FROM d;
$$;
