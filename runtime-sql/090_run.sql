-- Running one step (docs/internals.md, "Running one step"). The step runner
-- calls, in one transaction, df._claim() then df._run(item), and commits; if
-- that raises it rolls back and calls df._fail in a new transaction. This is
-- the hot path: it touches one queue row, one node row, at most one result
-- row and the instance row only when the instance starts or ends.

-- The plan of the claim is cached for the worker's session, possibly from when
-- the queue was empty, when a sequential scan and a sort looked cheapest: with
-- a deep queue that costs milliseconds per claim. Only the index walk in
-- (ready_at, id) order stays cheap at every depth, so it is the only one allowed.
CREATE OR REPLACE FUNCTION df._claim()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $$
DECLARE
    v_item bigint;
BEGIN
    SELECT q.id INTO v_item
      FROM df._queue q
     WHERE q.ready_at <= now()
     ORDER BY q.ready_at, q.id
     LIMIT 1
       FOR UPDATE SKIP LOCKED;
    RETURN v_item;
END;
$$;
COMMENT ON FUNCTION df._claim() IS 'locks one runnable queue item (FOR UPDATE SKIP LOCKED) and returns its id, or NULL';

CREATE OR REPLACE FUNCTION df._run(p_item bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_instance  text;
    v_state     integer;
    v_status    text;
    v_submitter oid;
    v_timezone  text;
    v_function  text;
    v_superuser boolean;
    v_step      df.step;
    v_output    json;
    v_result    json;
BEGIN
    SELECT q.instance_id, q.state, i.status, i.submitter, i.timezone, v.function_name, r.rolsuper
      INTO v_instance, v_state, v_status, v_submitter, v_timezone, v_function, v_superuser
      FROM df._queue q
      JOIN df._instances i ON i.id = q.instance_id
      JOIN df._versions v ON v.workflow = i.workflow AND v.version = i.version
      LEFT JOIN pg_catalog.pg_roles r ON r.oid = i.submitter
     WHERE q.id = p_item;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF v_status NOT IN ('pending', 'running') THEN
        DELETE FROM df._queue WHERE id = p_item;
        RETURN;
    END IF;
    -- Checked again here, not only at start: the role may have become a
    -- superuser, or the setting may have been turned off, since.
    IF v_superuser
       AND coalesce(lower(current_setting('dfc.allow_superuser', true)), 'off') NOT IN ('on', 'true', 'yes', '1') THEN
        RAISE EXCEPTION 'steps of instances submitted by a superuser are not allowed'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set dfc.allow_superuser = on in the server configuration.';
    END IF;
    -- The time zone captured at start; the function's SET clause restores it on exit.
    IF v_timezone <> current_setting('TimeZone') THEN
        PERFORM set_config('TimeZone', v_timezone, true);
    END IF;

    EXECUTE format('SELECT * FROM %s($1, $2)', v_function) INTO v_step USING v_instance, v_state;
    IF v_step.kind = 'sql' AND v_step.sql IS NULL THEN
        RAISE EXCEPTION 'workflow function % rendered no SQL for state %', v_function, v_state
            USING ERRCODE = 'data_exception',
                  HINT = 'Recompile and redeploy the workflow.';
    ELSIF v_step.kind IS DISTINCT FROM 'sql' THEN
        RAISE EXCEPTION 'step kind "%" is not supported by this runtime', v_step.kind
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Upgrade the dfc runtime.';
    END IF;

    v_output := df._run_as(v_submitter, v_step.sql);
    -- The runtime keeps the columns apart; the result shows rows and row_count.
    v_result := ('{"rows":' || (v_output -> 'rows')::text
                 || ',"row_count":' || (v_output -> 'row_count')::text || '}')::json;

    INSERT INTO df._node_states AS n (instance_id, node_id, status, result, updated_at)
    VALUES (v_instance, v_state, 'completed', v_result, clock_timestamp())
    ON CONFLICT (instance_id, node_id)
    DO UPDATE SET status = 'completed', result = excluded.result, error = NULL, updated_at = excluded.updated_at;

    IF v_step.bind IS NOT NULL THEN
        INSERT INTO df._results AS r (instance_id, name, value, columns)
        VALUES (v_instance, v_step.bind, v_result, v_output -> 'columns')
        ON CONFLICT (instance_id, name)
        DO UPDATE SET value = excluded.value, columns = excluded.columns;
    END IF;

    IF v_step.next IS NULL THEN
        DELETE FROM df._queue WHERE id = p_item;
        UPDATE df._instances
           SET status = 'completed', result = v_result, completed_at = clock_timestamp(), updated_at = clock_timestamp()
         WHERE id = v_instance;
    ELSE
        UPDATE df._queue SET state = v_step.next WHERE id = p_item;
        IF v_status = 'pending' THEN
            UPDATE df._instances SET status = 'running', updated_at = clock_timestamp() WHERE id = v_instance;
        END IF;
    END IF;
END;
$$;
COMMENT ON FUNCTION df._run(bigint)
    IS 'runs the step of a claimed queue item as its submitter and checkpoints it (one transaction)';

CREATE OR REPLACE FUNCTION df._fail(p_item bigint, p_sqlstate text, p_message text, p_detail text DEFAULT NULL, p_hint text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_instance text;
    v_state    integer;
    v_node     jsonb;
    v_error    jsonb;
BEGIN
    -- Gone (the instance was cancelled) or taken by another runner: not ours to fail.
    SELECT q.instance_id, q.state INTO v_instance, v_state
      FROM df._queue q
     WHERE q.id = p_item
       FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    SELECT n INTO v_node
      FROM df._instances i
      JOIN df._versions v ON v.workflow = i.workflow AND v.version = i.version
     CROSS JOIN LATERAL jsonb_array_elements(v.nodes) AS n
     WHERE i.id = v_instance AND (n ->> 'node')::integer = v_state;

    v_error := jsonb_build_object(
        'message', p_message, 'sqlstate', p_sqlstate, 'detail', p_detail, 'hint', p_hint,
        'node', v_state, 'line', v_node -> 'line', 'col', v_node -> 'col');

    INSERT INTO df._node_states (instance_id, node_id, status, error, updated_at)
    VALUES (v_instance, v_state, 'failed', v_error, clock_timestamp())
    ON CONFLICT (instance_id, node_id)
    DO UPDATE SET status = 'failed', result = NULL, error = excluded.error, updated_at = excluded.updated_at;
    DELETE FROM df._queue WHERE id = p_item;
    UPDATE df._instances
       SET status = 'failed', error = v_error, completed_at = clock_timestamp(), updated_at = clock_timestamp()
     WHERE id = v_instance AND status IN ('pending', 'running');
END;
$$;
COMMENT ON FUNCTION df._fail(bigint, text, text, text, text)
    IS 'marks the node and instance of a queue item failed after its step raised (runs in a new transaction)';
