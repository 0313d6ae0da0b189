-- Functions implemented in C by the worker's library (bgworker/dfc.c).
-- The library is found through dynamic_library_path ('$libdir' by default).
-- Without it the runtime still installs: instances can be started and read,
-- but nothing runs them in the server (no background worker); df._run_as
-- then raises a clear error and df._wake only sends a notification for
-- external workers (dfc worker).

DO $$
BEGIN
    CREATE OR REPLACE FUNCTION df._run_as(p_role oid, p_sql text)
    RETURNS json
    LANGUAGE c VOLATILE STRICT
    AS 'dfc', 'dfc_run_as';

    CREATE OR REPLACE FUNCTION df._run_sql(p_role oid, p_sql text, OUT result json, OUT columns json)
    RETURNS record
    LANGUAGE c VOLATILE STRICT
    AS 'dfc', 'dfc_run_sql';

    CREATE OR REPLACE FUNCTION df._wake()
    RETURNS void
    LANGUAGE c VOLATILE
    AS 'dfc', 'dfc_wake';

    CREATE OR REPLACE FUNCTION df._step_role()
    RETURNS oid
    LANGUAGE c STABLE
    AS 'dfc', 'dfc_step_role';

    CREATE OR REPLACE FUNCTION df._interrupt_workers(p_item bigint)
    RETURNS void
    LANGUAGE c VOLATILE STRICT
    AS 'dfc', 'dfc_interrupt';

    CREATE OR REPLACE FUNCTION df._call(p_function oid, p_instance text, p_state integer)
    RETURNS df.step
    LANGUAGE c VOLATILE
    AS 'dfc', 'dfc_call2';

    CREATE OR REPLACE FUNCTION df._step_failed()
    RETURNS void
    LANGUAGE c VOLATILE
    AS 'dfc', 'dfc_step_failed';

    CREATE OR REPLACE FUNCTION df._worker_stats(OUT worker integer, OUT pid integer, OUT started_at timestamptz,
                                                OUT running_item bigint, OUT steps bigint, OUT failures bigint,
                                                OUT steps_last_minute bigint, OUT last_step_at timestamptz)
    RETURNS SETOF record
    LANGUAGE c VOLATILE
    AS 'dfc', 'dfc_worker_stats';
EXCEPTION WHEN undefined_file THEN
    RAISE NOTICE 'dfc library not found: installing the runtime without the in-server worker'
        USING HINT = 'Install bgworker/ (make install) and add dfc to shared_preload_libraries, or run dfc worker.';

    CREATE OR REPLACE FUNCTION df._run_as(p_role oid, p_sql text)
    RETURNS json
    LANGUAGE plpgsql VOLATILE STRICT
    SET search_path = pg_catalog, pg_temp
    AS $body$
    BEGIN
        RAISE EXCEPTION 'the dfc library is not installed in this server'
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'Steps run as their submitter through df._run_as, which is implemented in C.',
                  HINT = 'Install bgworker/ (make install), then re-run the runtime script.';
    END;
    $body$;

    CREATE OR REPLACE FUNCTION df._run_sql(p_role oid, p_sql text, OUT result json, OUT columns json)
    RETURNS record
    LANGUAGE plpgsql VOLATILE STRICT
    SET search_path = pg_catalog, pg_temp
    AS $body$
    DECLARE
        v_output json := df._run_as(p_role, p_sql);
    BEGIN
        result := json_build_object('rows', v_output -> 'rows', 'row_count', v_output -> 'row_count');
        columns := v_output -> 'columns';
    END;
    $body$;

    CREATE OR REPLACE FUNCTION df._wake()
    RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $body$ SELECT pg_catalog.pg_notify('df_wake', '') $body$;

    CREATE OR REPLACE FUNCTION df._step_role()
    RETURNS oid
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $body$ SELECT NULL::oid $body$;

    -- Without the library no step worker runs in this server (dfc worker's
    -- sessions are interrupted by df._interrupt below).
    CREATE OR REPLACE FUNCTION df._interrupt_workers(p_item bigint)
    RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT
    SET search_path = pg_catalog, pg_temp
    AS $body$ BEGIN NULL; END; $body$;

    CREATE OR REPLACE FUNCTION df._call(p_function oid, p_instance text, p_state integer)
    RETURNS df.step
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $body$
    DECLARE
        v_step df.step;
    BEGIN
        EXECUTE format('SELECT * FROM %s($1, $2)', p_function::regproc) INTO v_step USING p_instance, p_state;
        RETURN v_step;
    END;
    $body$;

    -- (no step workers in this server: nothing to count)
    CREATE OR REPLACE FUNCTION df._step_failed()
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $body$ BEGIN NULL; END; $body$;

    CREATE OR REPLACE FUNCTION df._worker_stats(OUT worker integer, OUT pid integer, OUT started_at timestamptz,
                                                OUT running_item bigint, OUT steps bigint, OUT failures bigint,
                                                OUT steps_last_minute bigint, OUT last_step_at timestamptz)
    RETURNS SETOF record
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $body$ BEGIN RETURN; END; $body$;
END;
$$;
COMMENT ON FUNCTION df._run_as(oid, text)
    IS 'runs one statement as the given role (SET ROLE refused inside) and returns {rows,row_count,columns}';
COMMENT ON FUNCTION df._run_sql(oid, text)
    IS 'df._run_as, its result split: {rows,row_count} and the columns';
COMMENT ON FUNCTION df._wake()
    IS 'at commit, wakes this database''s step workers; also NOTIFY df_wake for external workers';
COMMENT ON FUNCTION df._step_role()
    IS 'submitter of the step being run by this backend, or NULL outside steps';
COMMENT ON FUNCTION df._call(oid, text, integer)
    IS 'calls a compiled workflow function (instance, state) by OID: the step of that state';
COMMENT ON FUNCTION df._step_failed()
    IS 'counts a failed step in the statistics of the step worker running it (df._fail calls it; a no-op elsewhere)';
COMMENT ON FUNCTION df._worker_stats()
    IS 'the step workers of this database: pid, start, running item, steps and failures since start, steps in the last minute';
COMMENT ON FUNCTION df._interrupt_workers(bigint)
    IS 'at commit, cancels the statement of the in-server step worker running this queue item, if one still does';

-- Cancels the step running queue item p_item: in an in-server step worker at
-- commit (df._interrupt_workers), in a dfc worker session right away. A dfc
-- worker names the item in its application_name while the step runs; its
-- df._run gives up a step cancelled so (the whole transaction rolls back and
-- the item is claimed again, then dropped if its cancel or race committed),
-- so a cancel that arrives before this transaction commits, or too late and
-- hits the next step, costs a retry, not a failure. Not allowed to signal
-- that session (a role other than the worker's, without pg_signal_backend):
-- the step runs to its end and its result is discarded.
CREATE OR REPLACE FUNCTION df._interrupt(p_item bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_pid integer;
BEGIN
    PERFORM df._interrupt_workers(p_item);
    FOR v_pid IN SELECT a.pid FROM pg_catalog.pg_stat_activity a
                  WHERE a.application_name = 'dfc worker: item ' || p_item AND a.pid <> pg_backend_pid() LOOP
        BEGIN
            PERFORM pg_catalog.pg_cancel_backend(v_pid);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE LOG 'dfc: not allowed to interrupt the dfc worker session % running queue item %', v_pid, p_item;
        END;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION df._interrupt(bigint)
    IS 'cancels the statement running this queue item: an in-server step worker''s at commit, a dfc worker session''s now';
