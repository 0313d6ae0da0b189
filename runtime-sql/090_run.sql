-- Running one step (docs/internals.md, "Running one step" and "Control flow,
-- waits and cancellation"). The step runner calls, in one transaction,
-- df._claim() then df._run(item), and commits; if that raises it rolls back
-- and calls df._fail in a new transaction. This is the hot path: a SQL step
-- touches one queue row, one node row, at most one result row and the
-- instance row only when the instance starts or ends (or starts an undo).
--
-- Lock order, everywhere: a thread's item, then its parent's (bottom-up),
-- then the instance row. Whatever goes the other way (df.cancel, cancelling
-- a subtree) skips locked items (SKIP LOCKED) and interrupts them instead.

-- The claim takes the first runnable item in (ready_at, id) order that no
-- other runner holds (SKIP LOCKED). Finished items are deleted, but their
-- index entries stay until the next vacuum of df._queue, exactly where claims
-- start: under load, thousands of them, and walking those made the claim cost
-- as much as the step. So each runner starts where its last claim was
-- (df.claim_from, a session setting): an item keeps its place while its
-- instance advances, so the same instance continues there, and the entries
-- behind are mostly finished items. Items can still appear behind that point
-- (a start that committed late, an item another runner held when this one
-- passed it): a claim from the head of the queue finds them when nothing is
-- runnable from the point on, and at least every 50 ms.
--
-- An item keeps its place while its thread advances, so a thread that never
-- waits (an endless loop) would be claimed again and again ahead of every
-- later item: with as many of them as runners, nothing else would run. So a
-- runner that has claimed the same item for more than 20 ms in a row moves it
-- to the back of the queue (ready_at = now()): it runs this step, then takes
-- its turn behind what became runnable meanwhile. (A thread whose steps are
-- short and few never gets there, and its updates stay HOT.)
--
-- The plan of the claim is cached for the worker's session, possibly from when
-- the queue was empty, when a sequential scan and a sort looked cheapest: with
-- a deep queue that costs milliseconds per claim. Only the index walk in
-- (ready_at, id) order stays cheap at every depth, so it is the only one
-- allowed. (Every other statement of the hot path looks rows up by primary
-- key, one table at a time, so that no plan of it depends on statistics:
-- those of a queue are routinely taken while it is drained and say it is
-- empty.)
CREATE OR REPLACE FUNCTION df._claim()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $$
DECLARE
    -- {epoch of the last claim from the head, ready_at, id of the last claim,
    --  epoch of the first of this runner's claims of that item in a row}
    v_from    text[] := string_to_array(current_setting('df.claim_from', true), '|');
    v_now     double precision := extract(epoch FROM clock_timestamp());
    v_head    boolean := cardinality(v_from) IS DISTINCT FROM 4
                         OR v_now - v_from[1]::double precision NOT BETWEEN 0 AND 0.05;
    v_item    bigint;
    v_ready   timestamptz;
    v_since   double precision;
    v_void    text;
BEGIN
    LOOP
        SELECT q.id, q.ready_at INTO v_item, v_ready
          FROM df._queue q
         WHERE q.ready_at <= now()
           AND (q.ready_at, q.id + 0) >= (CASE WHEN v_head THEN '-infinity' ELSE v_from[2]::timestamptz END,
                                         CASE WHEN v_head THEN 0 ELSE v_from[3]::bigint END)
         ORDER BY q.ready_at, q.id + 0
         LIMIT 1
           FOR UPDATE SKIP LOCKED;
        EXIT WHEN v_item IS NOT NULL OR v_head;
        v_head := true;     -- nothing from the runner's point on: from the head
    END LOOP;
    v_since := CASE WHEN v_item::text = v_from[3] THEN v_from[4]::double precision ELSE v_now END;
    IF v_now - v_since NOT BETWEEN 0 AND 0.02 THEN
        UPDATE df._queue SET ready_at = now() WHERE id = v_item;    -- to the back (see above)
        v_since := v_now;
    END IF;
    v_void := set_config('df.claim_from',
                         coalesce(CASE WHEN v_head THEN v_now::text ELSE v_from[1] END
                                  || '|' || v_ready || '|' || v_item || '|' || v_since, ''), false);
    RETURN v_item;
END;
$$;
COMMENT ON FUNCTION df._claim() IS 'locks one runnable queue item (FOR UPDATE SKIP LOCKED) and returns its id, or NULL';

-- When the earliest parked item (timer, signal timeout) comes due, so that an
-- idle worker sleeps until then rather than a whole nap. Called when a claim
-- found nothing; it also removes a few items that can never run again (see
-- below), which only exist after rare races.
CREATE OR REPLACE FUNCTION df._next_due()
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $$
DECLARE
    v_due   timestamptz;
    v_now   double precision := extract(epoch FROM clock_timestamp());
    v_sweep text[] := string_to_array(current_setting('df.sweep_from', true), '|');
    v_from  bigint;
    v_last  bigint;
    v_seen  integer := 0;
    v_item  df._queue;
    v_live  boolean;
BEGIN
    -- Parked forever (a fork, a wait without timeout) although the instance
    -- ended or the fork it belongs to moved on: left when a cancel or a race
    -- had to skip an item another transaction was holding for an instant.
    -- Swept a batch of 500 items (in id order, from where the last batch
    -- ended) at most once a second per runner, so that an idle runner's cost
    -- does not grow with the number of waiting instances; each item checked
    -- by primary key. v_sweep: {epoch of the last batch, its last id}.
    IF cardinality(v_sweep) IS DISTINCT FROM 2 OR v_now - v_sweep[1]::double precision NOT BETWEEN 0 AND 1 THEN
        v_from := coalesce(v_sweep[2]::bigint, 0);
        FOR v_item IN SELECT q.* FROM df._queue q WHERE q.id > v_from ORDER BY q.id LIMIT 500 LOOP
            v_seen := v_seen + 1;
            v_last := v_item.id;
            CONTINUE WHEN v_item.ready_at <> 'infinity';
            SELECT i.status IN ('pending', 'running') INTO v_live FROM df._instances i WHERE i.id = v_item.instance_id;
            IF NOT coalesce(v_live, false) OR NOT df._thread_live(v_item) THEN
                PERFORM df._cancel_calls(v_item.instance_id, ARRAY[v_item.id]);
                DELETE FROM df._queue q
                 WHERE q.id = (SELECT l.id FROM df._queue l WHERE l.id = v_item.id AND l.ready_at = 'infinity'
                                  FOR UPDATE SKIP LOCKED);
            END IF;
        END LOOP;
        PERFORM set_config('df.sweep_from', v_now || '|' || CASE WHEN v_seen < 500 THEN 0 ELSE v_last END, false);
    END IF;

    SELECT q.ready_at INTO v_due
      FROM df._queue q
     WHERE q.ready_at > now() AND q.ready_at < 'infinity'
     ORDER BY q.ready_at
     LIMIT 1;
    RETURN v_due;
END;
$$;
COMMENT ON FUNCTION df._next_due() IS 'time the earliest parked queue item comes due, or NULL';

-- A branch thread is live while its parent still waits for the fork it
-- belongs to; otherwise (race decided, break, failure) it is stale and must
-- be dropped without doing anything.
CREATE OR REPLACE FUNCTION df._thread_live(p_item df._queue)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN p_item.parent_id IS NULL
        OR EXISTS (SELECT FROM df._queue p
                    WHERE p.id = p_item.parent_id AND p.waiting = 'fork' AND p.fork_seq = p_item.parent_seq);
END;
$$;

-- The df.step of a state of an instance, rendered by its version's function.
CREATE OR REPLACE FUNCTION df._render(p_instance text, p_state integer)
RETURNS df.step
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_function oid;
BEGIN
    SELECT coalesce(i.step_function, v.function_oid) INTO v_function
      FROM df._instances i
      JOIN df._versions v ON v.workflow = i.workflow AND v.version = i.version
     WHERE i.id = p_instance;
    RETURN df._call(v_function, p_instance, p_state);
END;
$$;

-- Signatures of an earlier build of this file (quietly: no NOTICE on a fresh install).
DO $$
BEGIN
    IF to_regprocedure('df._set_node(text, integer, text, json, jsonb)') IS NOT NULL THEN
        DROP FUNCTION df._set_node(text, integer, text, json, jsonb);
    END IF;
    IF to_regprocedure('df._deliver(df._queue, json)') IS NOT NULL THEN
        DROP FUNCTION df._deliver(df._queue, json);
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION df._set_node(p_instance text, p_node integer, p_status text, p_result json,
                                        p_error jsonb DEFAULT NULL, p_columns json DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO df._node_states AS n (instance_id, node_id, status, result, error, columns, updated_at)
    VALUES (p_instance, p_node, p_status, p_result, p_error, p_columns, clock_timestamp())
    ON CONFLICT (instance_id, node_id)
    DO UPDATE SET status = excluded.status, result = excluded.result, error = excluded.error,
                  columns = excluded.columns, updated_at = excluded.updated_at;
END;
$$;

-- A thread's current result: the result of its result node, with that
-- node's columns, else the value it carries (columns NULL).
CREATE OR REPLACE FUNCTION df._thread_result(p_item df._queue, OUT value json, OUT columns json)
RETURNS record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    value := p_item.result;
    IF p_item.result_node IS NOT NULL THEN
        SELECT n.result, n.columns INTO value, columns
          FROM df._node_states n
         WHERE n.instance_id = p_item.instance_id AND n.node_id = p_item.result_node;
    END IF;
END;
$$;

-- Binds a thread's current result to a name (a loop's exit, an UNDO after x).
CREATE OR REPLACE FUNCTION df._bind_thread_result(p_item df._queue, p_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM df._bind(p_item.instance_id, p_name, r.value, r.columns) FROM df._thread_result(p_item) AS r;
END;
$$;

-- Binds a result to a name. A SQL step's result comes with its columns (an
-- array, empty for a statement without a select list); any other result
-- (p_columns NULL) is stored as rows and columns (df._as_rows), so that
-- $name, $name.col and $name.* read it like a SQL result. A result bound
-- twice (x |=> 'a' |=> 'b') comes with both names, comma-separated. A
-- hidden name (sys_..., a loop's saved result, which no reference reads)
-- keeps the result as it is.
CREATE OR REPLACE FUNCTION df._bind(p_instance text, p_name text, p_value json, p_columns json DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_value   json := coalesce(p_value, 'null'::json);
    v_columns json := p_columns;
BEGIN
    -- (several names, or a hidden one; the common case, one name, without the set-returning query)
    IF strpos(p_name, ',') > 0 OR p_name LIKE 'sys\_%' THEN
        INSERT INTO df._results AS r (instance_id, name, value, columns)
        SELECT p_instance, n.name, CASE WHEN n.name LIKE 'sys\_%' THEN v_value ELSE a.value END,
               CASE WHEN n.name LIKE 'sys\_%' THEN coalesce(p_columns, 'null') ELSE a.columns END
          FROM unnest(string_to_array(p_name, ',')) AS n(name)
         CROSS JOIN LATERAL (SELECT v_value AS value, p_columns AS columns WHERE p_columns IS NOT NULL
                             UNION ALL
                             SELECT x.value, x.columns FROM df._as_rows(v_value) AS x WHERE p_columns IS NULL) AS a
        ON CONFLICT (instance_id, name)
        DO UPDATE SET value = excluded.value, columns = excluded.columns;
        RETURN;
    END IF;
    IF v_columns IS NULL THEN
        SELECT r.value, r.columns INTO v_value, v_columns FROM df._as_rows(v_value) AS r;
    END IF;
    INSERT INTO df._results AS r (instance_id, name, value, columns)
    VALUES (p_instance, p_name, v_value, v_columns)
    ON CONFLICT (instance_id, name)
    DO UPDATE SET value = excluded.value, columns = excluded.columns;
END;
$$;

-- The running nodes among p_states of a thread that was removed show failed
-- (cancelled): a race's loser, a thread of a cancelled or failed instance.
CREATE OR REPLACE FUNCTION df._nodes_cancelled(p_instance text, p_states integer[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE df._node_states n
       SET status = 'failed', error = '{"message": "cancelled"}', updated_at = clock_timestamp()
     WHERE n.instance_id = p_instance AND n.node_id = ANY (p_states) AND n.status = 'running';
END;
$$;

-- Threads removed before they ran their next state: those that were at the
-- UNDO state after an x of x <-> y had completed x, so y is registered as the
-- UNDO step would have (once x has completed, its undo is kept, whatever
-- happens to the thread).
CREATE OR REPLACE FUNCTION df._keep_undos(p_instance text, p_states integer[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO df._undos AS u (instance_id, node, seq)
    SELECT p_instance, (x -> 'branches' ->> 0)::integer, nextval('df._undo_seq')
      FROM df._instances i
      JOIN df._versions v ON v.workflow = i.workflow AND v.version = i.version
     CROSS JOIN LATERAL jsonb_array_elements(v.nodes) AS x
     WHERE i.id = p_instance AND i.status IN ('pending', 'running')
       AND x ->> 'type' = 'UNDO' AND (x ->> 'node')::integer = ANY (p_states)
    ON CONFLICT (instance_id, node) DO UPDATE SET seq = excluded.seq;
END;
$$;

-- Threads p_items of p_instance are being removed (a race they lost, a
-- timeout, a failed sibling, the end or failure of the instance, the sweep
-- of items left parked): the instances those waiting in a df.call started
-- are cancelled, as a cancel of the caller cancels them. Locks in the order
-- df.cancel takes them: the calling instance's row, then the child's (then
-- its caller's thread, df._wake_caller, as the child's own end does).
CREATE OR REPLACE FUNCTION df._cancel_calls(p_instance text, p_items bigint[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_children text[];
    v_child    text;
BEGIN
    SELECT array_agg(q.result #>> '{}') INTO v_children
      FROM df._queue q WHERE q.id = ANY (p_items) AND q.waiting = 'call';
    IF v_children IS NULL THEN
        RETURN;
    END IF;
    PERFORM FROM df._instances i WHERE i.id = p_instance FOR NO KEY UPDATE;
    FOREACH v_child IN ARRAY v_children LOOP
        PERFORM df._cancel_instance(v_child, format('its call in instance %s was cancelled', p_instance));
    END LOOP;
END;
$$;

-- Removes the threads below p_root (not p_root itself): deletes those no
-- transaction holds, interrupts the others (running steps), whose failure is
-- then discarded by df._fail. Their running nodes show failed (cancelled).
CREATE OR REPLACE FUNCTION df._cancel_threads(p_instance text, p_root bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_all     bigint[];
    v_deleted bigint[];
    v_states  integer[];
    v_calls   bigint[];
    v_item    bigint;
BEGIN
    IF p_root IS NULL THEN
        SELECT array_agg(q.id) INTO v_all FROM df._queue q WHERE q.instance_id = p_instance;
    ELSE
        WITH RECURSIVE sub(id) AS (
            SELECT q.id FROM df._queue q WHERE q.parent_id = p_root
            UNION ALL
            SELECT q.id FROM df._queue q JOIN sub s ON q.parent_id = s.id)
        SELECT array_agg(sub.id) INTO v_all FROM sub;
    END IF;
    IF v_all IS NULL THEN
        RETURN;
    END IF;
    PERFORM df._cancel_calls(p_instance, v_all);
    WITH gone AS (
        DELETE FROM df._queue q
         WHERE q.id IN (SELECT l.id FROM df._queue l WHERE l.id = ANY (v_all) FOR UPDATE SKIP LOCKED)
        RETURNING q.id, q.state, q.waiting)
    SELECT array_agg(gone.id), array_agg(gone.state), array_agg(gone.id) FILTER (WHERE gone.waiting IN ('http', 'toplevel'))
      INTO v_deleted, v_states, v_calls FROM gone;
    PERFORM df._nodes_cancelled(p_instance, v_states);
    IF v_states IS NOT NULL THEN
        PERFORM df._keep_undos(p_instance, v_states);
    END IF;
    FOREACH v_item IN ARRAY v_all LOOP
        -- a running step, or an HTTP call or a statement running on its own
        -- (their items are parked, not locked)
        IF v_deleted IS NULL OR NOT v_item = ANY (v_deleted) OR v_item = ANY (coalesce(v_calls, '{}')) THEN
            PERFORM df._interrupt(v_item);
        END IF;
    END LOOP;
END;
$$;

-- An instance started by df.call ended (completed, failed, cancelled): the
-- call waiting for it (p_item, the instance's parent_item) runs again to take
-- its outcome. (Callers pass parent_item from the update that ended the
-- instance, so an instance without a caller costs nothing more.)
CREATE OR REPLACE FUNCTION df._wake_caller(p_item bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_item IS NULL THEN
        RETURN;
    END IF;
    UPDATE df._queue q SET ready_at = now() WHERE q.id = p_item AND q.waiting = 'call';
    IF FOUND THEN
        PERFORM df._wake();
    END IF;
END;
$$;

-- A thread has completed a step: it goes to p_next, or ends when p_next is
-- NULL. Its current result becomes node p_result_node's result when that is
-- set, else p_result; p_result, when given, is that result.
CREATE OR REPLACE FUNCTION df._advance(p_item df._queue, p_next integer, p_result_node integer, p_result json,
                                       p_status text DEFAULT 'running')
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_final   json := p_result;
    v_columns json;
BEGIN
    IF p_next IS NOT NULL THEN
        -- Only the changed columns really change, so the update of a running
        -- thread stays HOT (ready_at, indexed, is already in the past).
        UPDATE df._queue
           SET state = p_next, result_node = p_result_node,
               result = CASE WHEN p_result_node IS NULL THEN p_result END,
               waiting = NULL, wait_until = NULL, pending = NULL, branch_results = NULL,
               ready_at = least(ready_at, now())
         WHERE id = p_item.id;
        IF p_status = 'pending' THEN
            UPDATE df._instances SET status = 'running', updated_at = clock_timestamp()
             WHERE id = p_item.instance_id AND status = 'pending';
        END IF;
        RETURN;
    END IF;

    IF p_result_node IS NOT NULL AND (p_result IS NULL OR p_item.parent_id IS NOT NULL) THEN
        SELECT n.result, n.columns INTO v_final, v_columns
          FROM df._node_states n
         WHERE n.instance_id = p_item.instance_id AND n.node_id = p_result_node;
    END IF;
    DELETE FROM df._queue WHERE id = p_item.id;
    IF p_item.parent_id IS NULL AND p_item.undoing THEN
        -- an undo ended: back to the driver (the next undo, or the end)
        PERFORM df._fail_instance(p_item.instance_id, NULL);
    ELSIF p_item.parent_id IS NULL THEN
        PERFORM df._end_instance(p_item.instance_id, 'completed', v_final, NULL);
        -- Threads left behind by a fork (a race's loser that parked while the
        -- race was decided, skipped then because its step held its item) go
        -- with the instance: found now, after the instance row's lock, which
        -- every thread takes before it parks (df._live_for_parking).
        IF p_item.fork_seq > 0 THEN
            PERFORM df._cancel_threads(p_item.instance_id, NULL);
        END IF;
    ELSE
        PERFORM df._deliver(p_item, v_final, v_columns);
    END IF;
END;
$$;

-- A branch thread ended with p_result (a SQL result has p_columns): the fork
-- may be decided.
CREATE OR REPLACE FUNCTION df._deliver(p_child df._queue, p_result json, p_columns json)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_parent  df._queue;
    v_fork    df.step;
    v_value   json;
    v_columns json;
BEGIN
    SELECT q.* INTO v_parent FROM df._queue q WHERE q.id = p_child.parent_id FOR UPDATE;
    IF NOT FOUND OR v_parent.waiting IS DISTINCT FROM 'fork' OR v_parent.fork_seq <> p_child.parent_seq THEN
        RETURN;     -- stale: the fork was decided without this branch
    END IF;
    v_fork := df._render(v_parent.instance_id, v_parent.state);
    IF v_fork.mode = 'join' THEN
        v_parent.branch_results[p_child.branch] := p_result;
        IF v_parent.pending > 1 THEN
            UPDATE df._queue
               SET pending = pending - 1, branch_results = v_parent.branch_results
             WHERE id = v_parent.id;
            RETURN;
        END IF;
        v_value := array_to_json(v_parent.branch_results);
    ELSE
        -- a race's winner, or the body of a retry or timeout
        v_value := p_result;
        v_columns := p_columns;
        PERFORM df._cancel_threads(v_parent.instance_id, v_parent.id);
    END IF;
    -- (the fork's node keeps the columns of a SQL result, so that a bind
    -- later in the thread -- a loop's exit, an UNDO -- keeps its shape)
    PERFORM df._set_node(v_parent.instance_id, v_parent.state, 'completed', v_value, NULL, v_columns);
    IF v_fork.bind IS NOT NULL THEN
        PERFORM df._bind(v_parent.instance_id, v_fork.bind, v_value, v_columns);
    END IF;
    PERFORM df._advance(v_parent, v_fork.next, v_parent.state, v_value);
END;
$$;

-- A thread failed with p_error (its node is already marked): its branches
-- are cancelled, and the failure propagates to its fork: a join fails, a
-- race fails once all its branches have; the root thread fails the instance.
CREATE OR REPLACE FUNCTION df._fail_thread(p_item df._queue, p_error jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_parent   df._queue;
    v_fork     df.step;
    v_attempts integer;
BEGIN
    PERFORM df._cancel_threads(p_item.instance_id, p_item.id);
    DELETE FROM df._queue WHERE id = p_item.id;
    IF p_item.parent_id IS NULL THEN
        PERFORM df._fail_instance(p_item.instance_id, p_error);
        RETURN;
    END IF;
    SELECT q.* INTO v_parent FROM df._queue q WHERE q.id = p_item.parent_id FOR UPDATE;
    IF NOT FOUND OR v_parent.waiting IS DISTINCT FROM 'fork' OR v_parent.fork_seq <> p_item.parent_seq THEN
        RETURN;
    END IF;
    v_fork := df._render(v_parent.instance_id, v_parent.state);
    IF v_fork.mode = 'race' AND v_parent.pending > 1 THEN
        UPDATE df._queue SET pending = pending - 1 WHERE id = v_parent.id;
        RETURN;
    END IF;
    IF v_fork.mode = 'retry' THEN
        -- runs left: the body runs again after the backoff (df._run forks it
        -- anew when the item comes due); the node shows the last error
        UPDATE df._node_states n
           SET error = p_error, updated_at = clock_timestamp()
         WHERE n.instance_id = v_parent.instance_id AND n.node_id = v_parent.state
        RETURNING coalesce(n.attempts, 1) INTO v_attempts;
        IF coalesce(v_attempts, 1) < v_fork.attempts THEN
            -- (like any parking thread: not when the instance ended or the
            -- retry's own fork moved on while this step ran)
            IF NOT df._live_for_parking(v_parent) THEN
                PERFORM df._nodes_cancelled(v_parent.instance_id, ARRAY[v_parent.state]);
                RETURN;
            END IF;
            UPDATE df._queue
               SET waiting = 'retry', pending = NULL, branch_results = NULL,
                   ready_at = now() + make_interval(secs => least(v_fork.seconds * power(2, least(v_attempts - 1, 60)),
                                                                  v_fork.max_seconds))
             WHERE id = v_parent.id;
            RETURN;
        END IF;
        p_error := p_error || jsonb_build_object('attempts', v_attempts);
    END IF;
    PERFORM df._set_node(v_parent.instance_id, v_parent.state, 'failed', NULL, p_error);
    PERFORM df._fail_thread(v_parent, p_error);
END;
$$;

-- The root thread of an instance failed with p_error, or (NULL) one of its
-- undos ended. A workflow without x <-> y fails now. One with it keeps
-- running with the first error recorded, its undo phase: a driver thread
-- (state 0, marked undoing) first waits until every thread of the failed
-- body is gone -- a thread at an UNDO state registers its undo as it goes, so
-- an x that completed while the failure happened is undone too -- then runs
-- the registered undos one at a time, last registered first (each as the
-- driver's thread, back to the driver when it ends, completed or failed),
-- and then fails the instance with the first error (df._undo_driver).
CREATE OR REPLACE FUNCTION df._fail_instance(p_instance text, p_error jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_failing boolean;
    v_undos   boolean;
BEGIN
    SELECT i.error IS NOT NULL INTO v_failing FROM df._instances i
     WHERE i.id = p_instance AND i.status IN ('pending', 'running') FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN;     -- ended already (cancelled while this step ran)
    END IF;
    IF NOT v_failing THEN
        SELECT EXISTS (SELECT FROM df._instances i
                         JOIN df._versions v ON v.workflow = i.workflow AND v.version = i.version
                        CROSS JOIN LATERAL jsonb_array_elements(v.nodes) AS x
                        WHERE i.id = p_instance AND x ->> 'type' = 'UNDO')
          INTO v_undos;
        IF NOT v_undos THEN
            PERFORM df._end_instance(p_instance, 'failed', NULL, p_error);
            RETURN;
        END IF;
        UPDATE df._instances SET error = p_error, status = 'running', updated_at = clock_timestamp()
         WHERE id = p_instance;
    END IF;
    INSERT INTO df._queue (instance_id, state, undoing) VALUES (p_instance, 0, true);
    PERFORM df._wake();
END;
$$;

-- The instance ended (not over a cancel that committed while this step
-- ran): its status, result or error (the first one, if its undos ran), the
-- signals nothing will wait for any more dropped, a df.call waiting for it
-- woken.
CREATE OR REPLACE FUNCTION df._end_instance(p_instance text, p_status text, p_result json, p_error jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller bigint;
BEGIN
    UPDATE df._instances
       SET status = p_status, result = p_result, error = coalesce(error, p_error),
           completed_at = clock_timestamp(), updated_at = clock_timestamp()
     WHERE id = p_instance AND status IN ('pending', 'running')
    RETURNING parent_item INTO v_caller;
    DELETE FROM df._signals s WHERE s.instance_id = p_instance;
    IF v_caller IS NOT NULL THEN
        PERFORM df._wake_caller(v_caller);
    END IF;
END;
$$;

-- The driver of an instance's undo phase (see df._fail_instance), run by
-- df._run for its item (state 0, undoing).
CREATE OR REPLACE FUNCTION df._undo_driver(p_item df._queue)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_states integer[];
    v_undo   integer;
BEGIN
    PERFORM df._cancel_calls(p_item.instance_id,
                             ARRAY(SELECT q.id FROM df._queue q WHERE q.instance_id = p_item.instance_id AND NOT q.undoing));
    -- the failed body's threads that are left: removed (a thread at an UNDO
    -- state keeps its undo); one another transaction holds (a step running,
    -- interrupted when the failure committed) is waited for
    WITH gone AS (
        DELETE FROM df._queue q
         WHERE q.id IN (SELECT l.id FROM df._queue l
                         WHERE l.instance_id = p_item.instance_id AND NOT l.undoing FOR UPDATE SKIP LOCKED)
        RETURNING q.state)
    SELECT array_agg(gone.state) INTO v_states FROM gone;
    IF v_states IS NOT NULL THEN
        PERFORM df._nodes_cancelled(p_item.instance_id, v_states);
        PERFORM df._keep_undos(p_item.instance_id, v_states);
    END IF;
    IF EXISTS (SELECT FROM df._queue q WHERE q.instance_id = p_item.instance_id AND NOT q.undoing) THEN
        UPDATE df._queue SET ready_at = clock_timestamp() + interval '50 ms' WHERE id = p_item.id;
        RETURN;
    END IF;
    DELETE FROM df._undos u
     WHERE (u.instance_id, u.node) = (SELECT l.instance_id, l.node FROM df._undos l
                                       WHERE l.instance_id = p_item.instance_id ORDER BY l.seq DESC LIMIT 1)
    RETURNING u.node INTO v_undo;
    IF v_undo IS NOT NULL THEN
        -- this thread runs the undo now, and comes back here when it ends
        UPDATE df._queue
           SET state = v_undo, result = NULL, result_node = NULL, ready_at = least(ready_at, now())
         WHERE id = p_item.id;
        RETURN;
    END IF;
    DELETE FROM df._queue WHERE id = p_item.id;
    PERFORM df._end_instance(p_item.instance_id, 'failed', NULL, NULL);
END;
$$;

-- Before a thread parks (a timer, a signal wait, an HTTP call, a df.call):
-- says whether its fork still waits for it (a branch) and its instance still
-- runs, locking the instance's row; if not, removes the item. A
-- df.cancel that committed while this step ran skipped the item (it was
-- locked) and its interrupt came too late to stop the step, so without this
-- the item would stay parked, with nothing to remove it, until it came due.
-- The lock serializes with df.cancel (which locks that row first) and with
-- df.signal: a signal is either seen by the wait or stored before it parks.
CREATE OR REPLACE FUNCTION df._live_for_parking(p_item df._queue)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_status   text;
BEGIN
    -- A branch parks only while its fork still waits for it. (Checked
    -- without locking the parent's row: locking it here deadlocked with
    -- sibling branches delivering to it. A decision that commits between
    -- this check and this transaction's commit still leaves the item parked,
    -- until the instance ends (df._advance removes what a fork left) or it
    -- comes due, when df._run drops it.)
    IF p_item.parent_id IS NOT NULL AND NOT df._thread_live(p_item) THEN
        DELETE FROM df._queue q WHERE q.id = p_item.id;
        RETURN false;
    END IF;
    SELECT i.status INTO v_status FROM df._instances i WHERE i.id = p_item.instance_id FOR NO KEY UPDATE;
    IF v_status IN ('pending', 'running') THEN
        RETURN true;
    END IF;
    DELETE FROM df._queue q WHERE q.id = p_item.id;
    RETURN false;
END;
$$;

-- What df._run hands the step runner for an HTTP step: the call to make once
-- the step's transaction has committed (RUNTIME.md section 3, "HTTP"), and
-- then to report with df._http_done(item, token, ...). NULL for every other
-- step.
DO $$
BEGIN
    IF to_regtype('df._http_call') IS NULL THEN
        CREATE TYPE df._http_call AS (item bigint, token timestamptz, url text, method text, body text,
                                      headers text[], timeout_ms integer);
    END IF;
    -- the parts of a multipart call (added since): names, contents, file names, content types
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = (SELECT t.typrelid FROM pg_catalog.pg_type t WHERE t.oid = 'df._http_call'::regtype)
                      AND a.attname = 'part_names' AND NOT a.attisdropped) THEN
        ALTER TYPE df._http_call ADD ATTRIBUTE part_names text[], ADD ATTRIBUTE part_data bytea[],
                                 ADD ATTRIBUTE part_filenames text[], ADD ATTRIBUTE part_types text[];
    END IF;
    -- the step's bind name and next state, handed back with the outcome (added since)
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = (SELECT t.typrelid FROM pg_catalog.pg_type t WHERE t.oid = 'df._http_call'::regtype)
                      AND a.attname = 'bind' AND NOT a.attisdropped) THEN
        ALTER TYPE df._http_call ADD ATTRIBUTE bind text, ADD ATTRIBUTE next integer;
    END IF;
    -- a statement that cannot run inside a transaction block, to run on its
    -- own (then url is NULL): its SQL and the role to run it as (added since)
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = (SELECT t.typrelid FROM pg_catalog.pg_type t WHERE t.oid = 'df._http_call'::regtype)
                      AND a.attname = 'sql' AND NOT a.attisdropped) THEN
        ALTER TYPE df._http_call ADD ATTRIBUTE sql text, ADD ATTRIBUTE submitter oid;
    END IF;
    -- (earlier runtimes: df._run returned nothing)
    IF (SELECT p.prorettype FROM pg_catalog.pg_proc p WHERE p.oid = to_regprocedure('df._run(bigint)')) = 'void'::regtype THEN
        DROP FUNCTION df._run(bigint);
    END IF;
END;
$$;

-- The statements a step runs on its own, outside its transaction, when they
-- refuse to run inside one (RUNTIME.md 1.3): maintenance and DDL commands that
-- run no code of the submitter's choosing around them (not DO, CALL or
-- SELECT: a DO block that runs VACUUM fails as it would in psql). A dfc
-- worker switches to the submitter with SET ROLE for these, which a DO block
-- could undo.
CREATE OR REPLACE FUNCTION df._runs_alone(p_sql text)
RETURNS boolean
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p_sql ~* ('^(\s|--[^\n]*(\n|$)|/\*([^*]|\*+[^*/])*\*+/)*'
                     '(vacuum|analyze|cluster|reindex|create\s+(unique\s+)?index\s+concurrently|drop\s+index\s+concurrently'
                     '|(create|drop|alter)\s+(database|tablespace|subscription)|alter\s+system)\M')
$$;
COMMENT ON FUNCTION df._runs_alone(text)
    IS 'whether a step''s statement that refused to run in a transaction block runs on its own instead (VACUUM, CREATE INDEX CONCURRENTLY, ...)';

-- The advisory lock a runner holds on a queue item while its statement runs on
-- its own (df._run, df._toplevel_done): the item in the low half of the key,
-- in the high half a number drawn at random when the runtime was installed
-- and kept where only the runtime reads it (df._lock_salt). Any role can take
-- any advisory lock: with a key it could compute, a role could hold the
-- lock of another role's item ahead of time and make a runner wait.
CREATE TABLE IF NOT EXISTS df._lock_salt (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    salt     integer NOT NULL
);
COMMENT ON TABLE df._lock_salt IS 'the random high half of the runtime''s advisory lock keys';
INSERT INTO df._lock_salt (salt)
VALUES ((pg_catalog.random() * 2147483646)::integer + 1)
ON CONFLICT (only_row) DO NOTHING;

CREATE OR REPLACE FUNCTION df._alone_lock_key(p_item bigint)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ((SELECT l.salt FROM df._lock_salt l)::bigint << 32) | (p_item & 4294967295);
END;
$$;
COMMENT ON FUNCTION df._alone_lock_key(bigint)
    IS 'the advisory lock key of a queue item whose statement runs on its own';

CREATE OR REPLACE FUNCTION df._run(p_item bigint)
RETURNS df._http_call
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_item      df._queue;
    v_status    text;
    v_submitter oid;
    v_timezone  text;
    v_function_oid regprocedure;
    v_void      text;
    v_step      df.step;
    v_output    record;
    v_result    json;
    v_holds     boolean;
    v_columns   json;
    v_due       timestamptz;
    v_target    df._queue;
    v_parent    df._queue;
    v_seq       integer;
    v_count     integer;
    v_sqlstate  text;
    v_message   text;
    v_detail    text;
    v_hint      text;
    v_call      df._http_call;
    v_child     text;
    v_child_status text;
    v_child_error  jsonb;
    v_failing   boolean;
    v_prev      text;
    v_toplevel  boolean := false;
BEGIN
    -- One table at a time, by primary key (see df._claim).
    SELECT q.* INTO v_item FROM df._queue q WHERE q.id = p_item;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT i.status, i.submitter, i.timezone, i.step_function, i.error IS NOT NULL
      INTO v_status, v_submitter, v_timezone, v_function_oid, v_failing
      FROM df._instances i
     WHERE i.id = v_item.instance_id;
    IF v_function_oid IS NULL THEN
        -- started by an earlier runtime
        SELECT v.function_oid INTO v_function_oid
          FROM df._instances i
          JOIN df._versions v ON v.workflow = i.workflow AND v.version = i.version
         WHERE i.id = v_item.instance_id;
    END IF;
    IF v_status NOT IN ('pending', 'running')
       OR (v_item.waiting = 'fork' AND v_item.ready_at = 'infinity')
       OR (v_failing AND NOT v_item.undoing)
       OR (v_item.parent_id IS NOT NULL AND NOT df._thread_live(v_item)) THEN
        -- cancelled, a branch of a fork that was decided without it, or a
        -- thread of a failed instance that runs its undos
        PERFORM df._cancel_calls(v_item.instance_id, ARRAY[p_item]);
        DELETE FROM df._queue WHERE id = p_item;
        IF v_item.undoing AND v_item.state = 0 AND v_status NOT IN ('pending', 'running') THEN
            RETURN NULL;    -- the driver of a cancelled undo phase
        END IF;
        PERFORM df._nodes_cancelled(v_item.instance_id, ARRAY[v_item.state]);
        IF v_item.waiting IS NULL THEN
            PERFORM df._keep_undos(v_item.instance_id, ARRAY[v_item.state]);
        END IF;
        RETURN NULL;
    END IF;
    IF v_item.undoing AND v_item.state = 0 THEN
        PERFORM df._undo_driver(v_item);
        RETURN NULL;
    END IF;
    IF v_item.waiting = 'toplevel' THEN
        -- A statement running on its own (below) whose outcome has not come
        -- by ready_at: while its runner holds the item's advisory lock it
        -- still runs (a long VACUUM), so it gets more time; a runner that
        -- died released the lock, and the statement runs again (at least once).
        -- (also the key of runtimes before df._lock_salt, which a runner
        -- started before an upgrade holds)
        IF NOT pg_try_advisory_xact_lock(df._alone_lock_key(p_item))
           OR NOT pg_try_advisory_xact_lock((6579811::bigint << 32) | (p_item & 4294967295)) THEN
            UPDATE df._queue SET ready_at = clock_timestamp() + interval '10 s' WHERE id = p_item;
            RETURN NULL;
        END IF;
        UPDATE df._queue SET waiting = NULL, wait_until = NULL WHERE id = p_item;
        v_item.waiting := NULL;
        v_item.wait_until := NULL;
    END IF;
    -- The step itself (rendering it and, for SQL, running it as the
    -- submitter) runs in a subtransaction: when it raises, its effects are
    -- rolled back and the failure is recorded in this same transaction, which
    -- still holds the claim, so no other runner can run the failed step again
    -- in between. Everything that checkpoints the item (queue, node, instance
    -- rows) happens outside it, in the claiming transaction itself: a row
    -- locked by the claim and then updated by a subtransaction would cost
    -- every step a MultiXact. A cancel (query_canceled) is caught too; only
    -- what cannot be caught (the worker ending) falls back to the step runner,
    -- which records the failure in a new transaction.
    BEGIN
        -- (Whether the submitter may run steps at all -- a superuser only
        -- with dfc.allow_superuser -- is checked again by df._run_as each time
        -- it runs a step's SQL: the role may have become a superuser, or the
        -- setting may have been turned off, since the start.)
        -- The time zone captured at start; the function's SET clause restores it on exit.
        IF v_timezone <> current_setting('TimeZone') THEN
            PERFORM set_config('TimeZone', v_timezone, true);
        END IF;

        v_step := df._call(v_function_oid, v_item.instance_id, v_item.state);
        IF v_step.kind IN ('sql', 'cond') AND v_step.sql IS NULL THEN
            RAISE EXCEPTION 'workflow function % rendered no SQL for state %', v_function_oid, v_item.state
                USING ERRCODE = 'data_exception',
                      HINT = 'Recompile and redeploy the workflow.';
        END IF;

        IF v_step.kind IN ('sql', 'cond') THEN
            v_output := df._run_sql(v_submitter, v_step.sql);
        ELSIF v_step.kind = 'http' THEN
            v_call := df._http_request(v_submitter, v_step);
        ELSIF v_step.kind = 'call' AND v_item.waiting IS DISTINCT FROM 'call' THEN
            -- started as the submitter, exactly as a step's own df.start would be
            v_output := df._run_sql(v_submitter, format('SELECT df.start(%L, args => %L::jsonb) AS id',
                                                        v_step.name, coalesce(v_step.args, '{}'::jsonb)));
        END IF;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        GET STACKED DIAGNOSTICS v_sqlstate = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
        IF v_sqlstate = '25001' AND v_step.kind = 'sql'
           AND v_message ~ '(cannot run inside a transaction block|cannot run inside a subtransaction|cannot be executed from a function)$'
           AND df._runs_alone(v_step.sql) THEN
            -- VACUUM, CREATE INDEX CONCURRENTLY and the like: run on their
            -- own, outside this transaction (below)
            v_toplevel := true;
        ELSIF v_sqlstate = '57014' AND v_message = 'canceling statement due to user request'
           AND current_setting('application_name') = 'dfc worker: item ' || p_item THEN
            -- a dfc worker's step interrupted by df._interrupt, which signals
            -- before its transaction commits: not a failure; rolled back, the
            -- item is claimed again and dropped if it was cancelled
            RAISE;
        ELSE
            RAISE LOG 'dfc step failed (queue item %): %', p_item, v_message;
            PERFORM df._fail(p_item, v_sqlstate, v_message, nullif(v_detail, ''), nullif(v_hint, ''));
            RETURN NULL;
        END IF;
    END;

    IF v_toplevel THEN
        -- A statement that cannot run inside a transaction block (RUNTIME.md
        -- 1.3): the step runner runs it on its own once this transaction has
        -- committed, as the submitter, and reports the outcome with
        -- df._toplevel_done, which checks the token. It holds the item's
        -- advisory lock (session level, taken here) until then; see above
        -- for a runner that dies. At least once, like an HTTP call.
        IF NOT df._live_for_parking(v_item) THEN
            RETURN NULL;
        END IF;
        v_call.item := p_item;
        v_call.token := clock_timestamp();
        v_call.bind := v_step.bind;
        v_call.next := v_step.next;
        v_call.sql := v_step.sql;
        v_call.submitter := v_submitter;
        IF NOT pg_try_advisory_lock(df._alone_lock_key(p_item)) THEN
            -- (its xact lock above is this session's; only another session
            -- holding the key, which it cannot know, gets here: never wait)
            RAISE EXCEPTION 'the runtime''s advisory lock for queue item % is held by another session', p_item
                USING ERRCODE = 'lock_not_available';
        END IF;
        UPDATE df._queue
           SET waiting = 'toplevel', wait_until = v_call.token, ready_at = clock_timestamp() + interval '10 s'
         WHERE id = p_item;
        PERFORM df._set_node(v_item.instance_id, v_item.state, 'running', NULL);
        PERFORM df._mark_running(v_item.instance_id, v_status);
        RETURN v_call;
    END IF;

    CASE v_step.kind
    WHEN 'sql', 'cond' THEN
        -- The runtime keeps the columns apart; the result shows rows and row_count.
        v_result := v_output.result;
        -- A branch whose fork was decided while its step ran: discard it.
        IF v_item.parent_id IS NOT NULL AND NOT df._thread_live(v_item) THEN
            DELETE FROM df._queue WHERE id = p_item;
            RETURN NULL;
        END IF;
        v_void := df._set_node(v_item.instance_id, v_item.state, 'completed', v_result, NULL, v_output.columns);
        IF v_step.kind = 'sql' THEN
            IF v_step.bind IS NOT NULL THEN
                v_void := df._bind(v_item.instance_id, v_step.bind, v_result, v_output.columns);
            END IF;
            v_void := df._advance(v_item, v_step.next, v_item.state, v_result, v_status);
            RETURN NULL;
        END IF;
        -- cond: the first column of the first row decides; the thread's
        -- result is unchanged
        IF df._condition_holds(v_result, v_output.columns) THEN
            v_void := df._advance(v_item, v_step.next, v_item.result_node, v_item.result, v_status);
        ELSIF v_step.mode = 'if' THEN
            -- an if without else, no arm taken: the if's result is null
            IF v_step.bind IS NOT NULL THEN
                v_void := df._bind(v_item.instance_id, v_step.bind, NULL);
            END IF;
            v_void := df._advance(v_item, v_step.else_next, NULL, NULL, v_status);
        ELSE
            IF v_step.bind IS NOT NULL THEN
                -- the exit of df.loop(body, cond): the loop's result (the
                -- thread's, with its columns when a SQL node's) is bound
                PERFORM df._bind_thread_result(v_item, v_step.bind);
            END IF;
            -- A false condition never changes the thread's result: the exit of
            -- df.loop(body, cond) keeps the last iteration's result, also when
            -- the loop ends the workflow (else_next NULL).
            v_void := df._advance(v_item, v_step.else_next, v_item.result_node, v_item.result, v_status);
        END IF;

    WHEN 'test' THEN
        -- The test of an if's or a loop's condition that ran as nodes of
        -- their own: the thread's result decides. Rows (a SQL step's, or a called
        -- workflow's): the first column of the first row, as for a SQL
        -- condition; any other result (a signal, a join, a break value): the
        -- value itself.
        SELECT df._condition_holds(r.value, r.columns) INTO v_holds FROM df._thread_result(v_item) AS r;
        PERFORM df._set_node(v_item.instance_id, v_item.state, 'completed', json_build_object('truthy', v_holds));
        IF v_holds THEN
            PERFORM df._advance(v_item, v_step.next, v_item.result_node, v_item.result, v_status);
        ELSIF v_step.mode = 'loop' THEN
            -- a loop's test: the loop ends with the last iteration's result,
            -- which its body bound to the hidden name v_step.name
            -- (kept as it was: JSON null for none, columns only for a SQL result)
            SELECT CASE WHEN json_typeof(r.value) <> 'null' THEN r.value END,
                   CASE WHEN json_typeof(r.columns) = 'array' THEN r.columns END
              INTO v_result, v_columns
              FROM df._results r
             WHERE r.instance_id = v_item.instance_id AND r.name = v_step.name;
            IF v_step.bind IS NOT NULL THEN
                PERFORM df._bind(v_item.instance_id, v_step.bind, v_result, v_columns);
            END IF;
            PERFORM df._advance(v_item, v_step.else_next, NULL, v_result, v_status);
        ELSE
            IF v_step.bind IS NOT NULL THEN
                PERFORM df._bind(v_item.instance_id, v_step.bind, NULL);
            END IF;
            PERFORM df._advance(v_item, v_step.else_next, NULL, NULL, v_status);
        END IF;

    WHEN 'if_rows' THEN
        SELECT json_array_length(r.value -> 'rows') INTO v_count
          FROM df._results r
         WHERE r.instance_id = v_item.instance_id AND r.name = v_step.name;
        IF NOT FOUND THEN
            RAISE EXCEPTION '$% is not bound', v_step.name
                USING ERRCODE = 'undefined_object',
                      HINT = 'df.if_rows names a result bound earlier with |=>.';
        END IF;
        PERFORM df._set_node(v_item.instance_id, v_item.state, 'completed',
                             json_build_object('row_count', coalesce(v_count, 0)));
        PERFORM df._advance(v_item, CASE WHEN coalesce(v_count, 0) > 0 THEN v_step.next ELSE v_step.else_next END,
                            v_item.result_node, v_item.result, v_status);

    WHEN 'fork' THEN
        IF v_item.waiting = 'fork' THEN
            -- a df.timeout's deadline (only a timeout's fork waits until a
            -- finite time): its body has not ended; it is cancelled and the
            -- timeout fails
            IF v_step.mode IS DISTINCT FROM 'timeout' THEN
                DELETE FROM df._queue WHERE id = p_item;
                RETURN NULL;
            END IF;
            PERFORM df._cancel_threads(v_item.instance_id, p_item);
            v_message := format('timed out after %s s', v_step.seconds);
            PERFORM df._fail(p_item, '57014', v_message, NULL,
                             'df.timeout cancelled what it guards; give it more seconds, or handle the failure (df.retry, a race)');
            RETURN NULL;
        END IF;
        IF coalesce(cardinality(v_step.branches), 0) = 0 THEN
            RAISE EXCEPTION 'workflow function % rendered a fork without branches for state %', v_function_oid, v_item.state
                USING ERRCODE = 'data_exception';
        END IF;
        v_seq := v_item.fork_seq + 1;
        INSERT INTO df._queue (instance_id, state, parent_id, branch, parent_seq, undoing)
        SELECT v_item.instance_id, b.state, p_item, b.ord, v_seq, v_item.undoing
          FROM unnest(v_step.branches) WITH ORDINALITY AS b(state, ord);
        UPDATE df._queue
           SET waiting = 'fork', fork_seq = v_seq, pending = cardinality(v_step.branches),
               branch_results = array_fill(NULL::json, ARRAY[cardinality(v_step.branches)]),
               ready_at = CASE WHEN v_step.mode = 'timeout'
                               THEN now() + make_interval(secs => greatest(v_step.seconds, 0))
                               ELSE 'infinity' END
         WHERE id = p_item;
        IF v_item.waiting = 'retry' THEN
            -- a retry's next run: the node keeps running, one attempt more
            UPDATE df._node_states n SET attempts = coalesce(n.attempts, 1) + 1, updated_at = clock_timestamp()
             WHERE n.instance_id = v_item.instance_id AND n.node_id = v_item.state;
        ELSE
            PERFORM df._set_node(v_item.instance_id, v_item.state, 'running', NULL);
            IF v_step.mode = 'retry' THEN
                UPDATE df._node_states n SET attempts = 1
                 WHERE n.instance_id = v_item.instance_id AND n.node_id = v_item.state;
            END IF;
        END IF;
        PERFORM df._mark_running(v_item.instance_id, v_status);
        PERFORM df._wake();

    WHEN 'undo' THEN
        -- x <-> y after x: y is registered (once per node: a loop that runs
        -- x again moves it last), unless this thread is itself undoing
        IF NOT v_item.undoing THEN
            INSERT INTO df._undos AS u (instance_id, node, seq)
            VALUES (v_item.instance_id, v_step.branches[1], nextval('df._undo_seq'))
            ON CONFLICT (instance_id, node) DO UPDATE SET seq = excluded.seq;
        END IF;
        PERFORM df._set_node(v_item.instance_id, v_item.state, 'completed', json_build_object('undo', v_step.branches[1]));
        IF v_step.bind IS NOT NULL THEN
            -- (x <-> y) |=> 'name' binds x's result
            PERFORM df._bind_thread_result(v_item, v_step.bind);
        END IF;
        PERFORM df._advance(v_item, v_step.next, v_item.result_node, v_item.result, v_status);

    WHEN 'sleep', 'schedule' THEN
        IF v_item.waiting = 'timer' THEN
            v_result := CASE v_step.kind
                            WHEN 'sleep' THEN json_build_object('slept', true, 'seconds', v_step.seconds)
                            ELSE '{"scheduled":true}'::json
                        END;
            PERFORM df._set_node(v_item.instance_id, v_item.state, 'completed', v_result);
            IF v_step.bind IS NOT NULL THEN
                PERFORM df._bind(v_item.instance_id, v_step.bind, v_result);
            END IF;
            PERFORM df._advance(v_item, v_step.next, NULL, v_result, v_status);
        ELSE
            -- A late wake-up (after downtime) fires once: the next due time
            -- is computed from the moment this step runs, not from the last.
            v_due := CASE v_step.kind
                         WHEN 'sleep' THEN now() + make_interval(secs => greatest(v_step.seconds, 0))
                         ELSE df._cron_next(v_step.cron, now(), v_timezone)
                     END;
            IF v_due IS NULL THEN
                RAISE EXCEPTION 'cron expression "%" does not fire in the next nine years', v_step.cron
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF NOT df._live_for_parking(v_item) THEN
                RETURN NULL;
            END IF;
            UPDATE df._queue SET waiting = 'timer', ready_at = v_due WHERE id = p_item;
            PERFORM df._set_node(v_item.instance_id, v_item.state, 'running', NULL);
            PERFORM df._mark_running(v_item.instance_id, v_status);
        END IF;

    WHEN 'signal' THEN
        -- Serialized with df.signal on the instance row: a signal is either
        -- seen here or stored before this wait parks, never lost between.
        IF NOT df._live_for_parking(v_item) THEN
            RETURN NULL;
        END IF;
        DELETE FROM df._signals s
         WHERE s.id = (SELECT s2.id FROM df._signals s2
                        WHERE s2.instance_id = v_item.instance_id AND s2.name = v_step.name
                        ORDER BY s2.id LIMIT 1)
        RETURNING json_build_object('signal_name', v_step.name, 'timed_out', false, 'data', s.data) INTO v_result;
        IF v_result IS NULL AND v_item.waiting = 'signal' AND v_item.wait_until <= now() THEN
            v_result := json_build_object('signal_name', v_step.name, 'timed_out', true, 'data', NULL);
        END IF;
        IF v_result IS NOT NULL THEN
            PERFORM df._set_node(v_item.instance_id, v_item.state, 'completed', v_result);
            IF v_step.bind IS NOT NULL THEN
                -- data is JSON whatever the signal carried (typed by value it
                -- would be text for a plain-text signal, jsonb for an object)
                PERFORM df._bind(v_item.instance_id, v_step.bind,
                                 json_build_object('rows', json_build_array(v_result), 'row_count', 1),
                                 '[{"name":"signal_name","type":"text"},{"name":"timed_out","type":"boolean"},{"name":"data","type":"jsonb"}]');
            END IF;
            PERFORM df._advance(v_item, v_step.next, NULL, v_result, v_status);
        ELSIF v_item.waiting = 'signal' THEN
            -- woken for another signal's name: wait on
            UPDATE df._queue SET ready_at = coalesce(wait_until, 'infinity') WHERE id = p_item;
        ELSE
            v_due := now() + make_interval(secs => v_step.seconds);
            UPDATE df._queue
               SET waiting = 'signal', wait_until = v_due, ready_at = coalesce(v_due, 'infinity')
             WHERE id = p_item;
            PERFORM df._set_node(v_item.instance_id, v_item.state, 'running', NULL);
            PERFORM df._mark_running(v_item.instance_id, v_status);
        END IF;

    WHEN 'break' THEN
        -- Leave v_step.unwind forks: the thread that forked the outermost one
        -- continues at the loop's exit; every thread below it is cancelled.
        v_target := v_item;
        FOR i IN 1 .. coalesce(v_step.unwind, 0) LOOP
            SELECT q.* INTO v_parent FROM df._queue q WHERE q.id = v_target.parent_id FOR UPDATE;
            IF NOT FOUND OR v_parent.waiting IS DISTINCT FROM 'fork' OR v_parent.fork_seq <> v_target.parent_seq THEN
                DELETE FROM df._queue WHERE id = p_item;
                RETURN NULL;
            END IF;
            PERFORM df._set_node(v_parent.instance_id, v_parent.state, 'completed', v_step.value);
            v_target := v_parent;
        END LOOP;
        PERFORM df._set_node(v_item.instance_id, v_item.state, 'completed', v_step.value);
        IF v_target.id <> v_item.id THEN
            PERFORM df._cancel_threads(v_item.instance_id, v_target.id);
        END IF;
        IF v_step.bind IS NOT NULL THEN
            PERFORM df._bind(v_item.instance_id, v_step.bind, v_step.value);
        END IF;
        PERFORM df._advance(v_target, v_step.next, NULL, coalesce(v_step.value, 'null'::json), v_status);

    WHEN 'call' THEN
        IF v_item.waiting IS DISTINCT FROM 'call' THEN
            -- the child just started: link it to this thread and wait for it
            v_child := v_output.result -> 'rows' -> 0 ->> 'id';
            IF NOT df._live_for_parking(v_item) THEN
                PERFORM df.cancel(v_child, 'the calling instance was cancelled');
                RETURN NULL;
            END IF;
            UPDATE df._instances SET parent_id = v_item.instance_id, parent_item = p_item WHERE id = v_child;
            UPDATE df._queue SET waiting = 'call', ready_at = 'infinity', result = to_json(v_child), result_node = NULL
             WHERE id = p_item;
            PERFORM df._set_node(v_item.instance_id, v_item.state, 'running', json_build_object('instance', v_child));
            PERFORM df._mark_running(v_item.instance_id, v_status);
            RETURN NULL;
        END IF;
        -- woken: the child ended (df._wake_caller)
        v_child := v_item.result #>> '{}';
        SELECT i.status, i.result, i.error INTO v_child_status, v_result, v_child_error
          FROM df._instances i WHERE i.id = v_child;
        IF v_child_status = 'completed' THEN
            v_result := coalesce(v_result, 'null'::json);
            PERFORM df._set_node(v_item.instance_id, v_item.state, 'completed', v_result);
            IF v_step.bind IS NOT NULL THEN
                -- a SQL result keeps its shape; its columns are read from its first row
                IF json_typeof(v_result -> 'rows') = 'array' AND json_array_length(v_result -> 'rows') > 0 THEN
                    SELECT r.columns INTO v_columns FROM df._as_rows(v_result -> 'rows') AS r;
                    PERFORM df._bind(v_item.instance_id, v_step.bind, v_result, v_columns);
                ELSE
                    PERFORM df._bind(v_item.instance_id, v_step.bind, v_result);
                END IF;
            END IF;
            PERFORM df._advance(v_item, v_step.next, NULL, v_result, v_status);
        ELSIF v_child_status IN ('failed', 'cancelled') THEN
            -- (raised past the step's subtransaction: the step runner records it with df._fail)
            RAISE EXCEPTION 'called workflow % (instance %) %: %', v_step.name, v_child, v_child_status,
                            coalesce(v_child_error ->> 'message', v_child_status)
                USING ERRCODE = CASE WHEN v_child_status = 'failed' THEN coalesce(v_child_error ->> 'sqlstate', 'P0001')
                                     ELSE '57014' END;
        ELSE
            UPDATE df._queue SET ready_at = 'infinity' WHERE id = p_item;     -- woken too early: wait on
        END IF;

    WHEN 'http' THEN
        -- The step runner makes the call after this transaction commits and
        -- reports the outcome with df._http_done, which checks the token. If
        -- none arrives by ready_at (the runner died), the item is claimed
        -- again and the call made again: at least once, never in a transaction.
        IF NOT df._live_for_parking(v_item) THEN
            RETURN NULL;
        END IF;
        v_call.item := p_item;
        v_call.token := clock_timestamp();
        v_call.bind := v_step.bind;
        v_call.next := v_step.next;
        UPDATE df._queue
           SET waiting = 'http', wait_until = v_call.token,
               ready_at = clock_timestamp() + make_interval(secs => v_call.timeout_ms / 1000.0 + 10)
         WHERE id = p_item;
        SELECT n.status INTO v_prev FROM df._node_states n
         WHERE n.instance_id = v_item.instance_id AND n.node_id = v_item.state;
        PERFORM df._set_node(v_item.instance_id, v_item.state, 'running', NULL);
        -- A call made again after a crash keeps its attempt (and key), and so
        -- does a new run after a failed one (df.retry: the server may have
        -- done what the failed call asked); a run after a completed one (a
        -- loop's next iteration) counts one more.
        UPDATE df._node_states n
           SET http_attempts = n.http_attempts + CASE WHEN (v_item.waiting = 'http' OR v_prev = 'failed') AND n.http_attempts > 0
                                                      THEN 0 ELSE 1 END
         WHERE n.instance_id = v_item.instance_id AND n.node_id = v_item.state
        RETURNING n.http_attempts INTO v_count;
        IF NOT EXISTS (SELECT FROM unnest(v_call.headers) AS h WHERE lower(h) LIKE 'idempotency-key:%') THEN
            v_call.headers := v_call.headers
                || format('Idempotency-Key: %s-%s-%s', v_item.instance_id, v_item.state, v_count);
        END IF;
        PERFORM df._mark_running(v_item.instance_id, v_status);
        RETURN v_call;

    ELSE
        RAISE EXCEPTION 'step kind "%" is not supported by this runtime', v_step.kind
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Upgrade the dfc runtime.';
    END CASE;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION df._run(bigint)
    IS 'runs the step of a claimed queue item as its submitter and checkpoints it (one transaction); for an HTTP step, returns the call to make after commit';

-- The item an outcome reported in a new transaction is for (an HTTP call's, a
-- statement's that ran on its own), locked, with its instance's status: NULL
-- when the item moved on (cancelled, a decided race, an older call or run),
-- and removed when its instance ended or its thread can no longer run.
CREATE OR REPLACE FUNCTION df._awaited_item(p_item bigint, p_waiting text, p_token timestamptz,
                                            OUT o_item df._queue, OUT o_status text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT q.* INTO o_item FROM df._queue q WHERE q.id = p_item FOR UPDATE;
    IF NOT FOUND OR o_item.waiting IS DISTINCT FROM p_waiting OR o_item.wait_until IS DISTINCT FROM p_token THEN
        o_item := NULL;
        RETURN;
    END IF;
    SELECT i.status INTO o_status FROM df._instances i WHERE i.id = o_item.instance_id;
    IF o_status NOT IN ('pending', 'running') OR NOT df._thread_live(o_item) THEN
        DELETE FROM df._queue WHERE id = p_item;
        o_item := NULL;
    END IF;
END;
$$;
COMMENT ON FUNCTION df._awaited_item(bigint, text, timestamptz)
    IS 'the parked item an outcome is for, locked, with its instance''s status; NULL when it moved on';

-- The outcome of a statement df._run handed the step runner to run on its own
-- (a VACUUM, a CREATE INDEX CONCURRENTLY), in a new transaction: completes the
-- node with {"rows":[],"row_count":n} and moves the thread on, or fails it
-- with the statement's error. An outcome for an item that moved on
-- (cancelled, a decided race, a run given up on) is dropped. Releases the
-- item's advisory lock taken by df._run.
CREATE OR REPLACE FUNCTION df._toplevel_done(p_item bigint, p_token timestamptz, p_bind text, p_next integer,
                                             p_row_count bigint, p_error text DEFAULT NULL, p_sqlstate text DEFAULT NULL,
                                             p_detail text DEFAULT NULL, p_hint text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_awaited  record;
    v_item     df._queue;
    v_status   text;
    v_result   json;
    v_void     boolean;
BEGIN
    v_void := pg_advisory_unlock(df._alone_lock_key(p_item));
    SELECT * INTO v_awaited FROM df._awaited_item(p_item, 'toplevel', p_token);
    v_item := v_awaited.o_item;
    v_status := v_awaited.o_status;
    IF v_item.id IS NULL THEN
        RETURN;
    END IF;
    IF p_error IS NOT NULL THEN
        RAISE LOG 'dfc step failed (queue item %): %', p_item, p_error;
        PERFORM df._fail(p_item, coalesce(p_sqlstate, 'XX000'), p_error, p_detail, p_hint);
        RETURN;
    END IF;
    v_result := format('{"rows":[],"row_count":%s}', coalesce(p_row_count, 0))::json;
    PERFORM df._set_node(v_item.instance_id, v_item.state, 'completed', v_result);
    IF p_bind IS NOT NULL THEN
        PERFORM df._bind(v_item.instance_id, p_bind, v_result);
    END IF;
    PERFORM df._advance(v_item, p_next, NULL, v_result, v_status);
END;
$$;
COMMENT ON FUNCTION df._toplevel_done(bigint, timestamptz, text, integer, bigint, text, text, text, text)
    IS 'records the outcome of a step''s statement that ran outside a transaction block and moves its thread on (step runner, new transaction)';

CREATE OR REPLACE FUNCTION df._mark_running(p_instance text, p_status text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_status = 'pending' THEN
        UPDATE df._instances SET status = 'running', updated_at = clock_timestamp()
         WHERE id = p_instance AND status = 'pending';
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION df._fail(p_item bigint, p_sqlstate text, p_message text, p_detail text DEFAULT NULL, p_hint text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_item    df._queue;
    v_status  text;
    v_failing boolean;
    v_node    jsonb;
    v_error   jsonb;
BEGIN
    -- Gone (the instance was cancelled) or taken by another runner: not ours to fail.
    SELECT q.* INTO v_item
      FROM df._queue q
     WHERE q.id = p_item
       FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT i.status, i.error IS NOT NULL INTO v_status, v_failing FROM df._instances i WHERE i.id = v_item.instance_id;
    IF v_status NOT IN ('pending', 'running') OR (v_failing AND NOT v_item.undoing) OR NOT df._thread_live(v_item) THEN
        -- cancelled (an interrupted step lands here), or a branch of a
        -- decided fork: nothing failed that anyone waits for (an UNDO step
        -- interrupted so: its x completed, its undo is kept). The node shows
        -- it was cancelled, as a parked wait dropped by the cancel does.
        DELETE FROM df._queue WHERE id = p_item;
        PERFORM df._set_node(v_item.instance_id, v_item.state, 'failed', NULL, '{"message": "cancelled"}');
        PERFORM df._keep_undos(v_item.instance_id, ARRAY[v_item.state]);
        RETURN;
    END IF;

    SELECT n INTO v_node
      FROM df._instances i
      JOIN df._versions v ON v.workflow = i.workflow AND v.version = i.version
     CROSS JOIN LATERAL jsonb_array_elements(v.nodes) AS n
     WHERE i.id = v_item.instance_id AND (n ->> 'node')::integer = v_item.state;

    v_error := jsonb_build_object(
        'message', p_message, 'sqlstate', p_sqlstate, 'detail', p_detail, 'hint', p_hint,
        'node', v_item.state, 'line', v_node -> 'line', 'col', v_node -> 'col');

    PERFORM df._set_node(v_item.instance_id, v_item.state, 'failed', NULL, v_error);
    PERFORM df._fail_thread(v_item, v_error);
    PERFORM df._step_failed();
    -- (and for a dfc worker, which reads it back: failures in this session)
    PERFORM set_config('df.session_failures',
                       (coalesce(nullif(current_setting('df.session_failures', true), ''), '0')::bigint + 1)::text, false);
END;
$$;
COMMENT ON FUNCTION df._fail(bigint, text, text, text, text)
    IS 'marks the node and thread of a queue item failed after its step raised, propagating to forks (new transaction)';

-- A step worker exited while running the step of p_item (a step that ended
-- its own backend, say); the next worker of the same slot reports it. The
-- step is rolled back with the worker's transaction, so it is safe to run it
-- again, but a step that ends its worker every time would be claimed
-- forever: the third time, its thread fails like a step that raised.
CREATE OR REPLACE FUNCTION df._step_ended_worker(p_item bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_crashes integer;
BEGIN
    UPDATE df._queue q SET crashes = q.crashes + 1 WHERE q.id = p_item RETURNING q.crashes INTO v_crashes;
    IF v_crashes >= 3 THEN
        PERFORM df._fail(p_item, '57P01',
                         format('the step ended the worker process running it %s times', v_crashes),
                         'A step must not terminate its own backend or crash the server.',
                         NULL);
    END IF;
END;
$$;
COMMENT ON FUNCTION df._step_ended_worker(bigint)
    IS 'counts a step that ended its step worker; fails its thread the third time (called by the next worker)';
