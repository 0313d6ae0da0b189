-- Functions implemented in C by the worker's library (bgworker/dfc.c).
-- The library is found through dynamic_library_path ('$libdir' by default).
-- Without it the runtime still installs: instances can be started and read,
-- but nothing runs them in the server (no background worker); df._run_as
-- then raises a clear error and df._wake only sends a notification for
-- external workers (dfc worker).

-- Running a step as its submitter without the C library (dfc worker on a
-- server that cannot load it). A schema that nobody but the runtime's owner
-- can use holds one function per submitter, df_run."r<role oid>", owned by
-- that submitter and SECURITY DEFINER: calling it runs the step with exactly
-- the submitter's privileges, and inside it PostgreSQL refuses SET ROLE,
-- RESET ROLE and SET SESSION AUTHORIZATION ("cannot set parameter ...
-- within security-definer function"), in DO blocks and dynamic SQL too. The
-- submitter owns the function but cannot reach it: without USAGE on df_run it
-- cannot name it to alter, replace or call it; df._run_as_sql checks its
-- definition before every call anyway, and recreates it when it differs.
-- df._running_steps says which submitter this session runs a step for (read
-- by df._step_role(), so that df.start and df.setvar inside a step act as the
-- submitter, as with the C library); steps cannot write it.
CREATE SCHEMA IF NOT EXISTS df_run;
REVOKE ALL ON SCHEMA df_run FROM PUBLIC;
COMMENT ON SCHEMA df_run IS 'dfc: one SECURITY DEFINER function per submitter, owned by it, that runs its steps (without the C library)';

CREATE TABLE IF NOT EXISTS df._running_steps (
    pid       integer PRIMARY KEY,
    submitter oid NOT NULL
);
COMMENT ON TABLE df._running_steps IS 'the submitter each session runs a step for, while df._run_as_sql runs it';

-- The body of every df_run function (the role's OID goes in its name only).
-- A statement that can be the body of a WITH query (a SELECT, VALUES, or an
-- INSERT, UPDATE or DELETE with RETURNING) is run as CREATE TEMP TABLE ... AS
-- WITH q AS (statement) SELECT * FROM q, which gives its rows and their
-- column names and types; any other statement (or several) runs as is, its
-- result the affected-row count. Which of the two is decided by explaining
-- the wrapped form (planned, not run), so no statement runs twice.
CREATE OR REPLACE FUNCTION df._step_executor_body()
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT $body$
DECLARE
    v_sql   text := pg_catalog.regexp_replace(p_sql, '[[:space:];]+$', '');
    v_rows  boolean := true;
    v_count bigint;
    v_expr  text;
    v_plan  json;
    v_names text[];
    v_probe refcursor;
    v_from  text;
    v_list  text;
    v_column integer;
BEGIN
    -- The probe also gives the statement's column names (EXPLAIN's output
    -- list of the materialized WITH query; a name that occurs twice comes
    -- back with a suffix, _1): the table below names them c1, c2, ... so that
    -- any names fit it.
    BEGIN
        -- (EXPLAIN plans without running; a cursor refuses a string of
        -- several statements -- "cannot open multi-query plan" -- where
        -- EXECUTE would run them all)
        OPEN v_probe FOR EXECUTE 'EXPLAIN (VERBOSE, FORMAT JSON) WITH dfc_q AS MATERIALIZED (' || v_sql || E'\n) SELECT * FROM dfc_q';
        FETCH v_probe INTO v_plan;
        CLOSE v_probe;
    EXCEPTION WHEN OTHERS THEN
        v_rows := false;
    END;
    IF v_rows THEN
        SELECT coalesce(pg_catalog.array_agg(CASE WHEN e.o LIKE 'dfc_q."%' THEN pg_catalog.replace(pg_catalog.substr(e.o, 8, pg_catalog.length(e.o) - 8), '""', '"')
                                                  WHEN e.o LIKE 'dfc_q.%' THEN pg_catalog.substr(e.o, 7)
                                                  ELSE e.o END ORDER BY e.n), '{}')
          INTO v_names
          FROM pg_catalog.json_array_elements_text(v_plan -> 0 -> 'Plan' -> 'Output') WITH ORDINALITY AS e(o, n);
        v_from := ' FROM dfc_q' || CASE WHEN pg_catalog.cardinality(v_names) > 0
                                    THEN ' AS dfc_r(' || (SELECT pg_catalog.string_agg('c' || g, ',') FROM pg_catalog.generate_series(1, pg_catalog.cardinality(v_names)) g) || ')'
                                    ELSE '' END;
        BEGIN
            EXECUTE 'CREATE TEMP TABLE dfc_step_rows ON COMMIT DROP AS WITH dfc_q AS (' || v_sql || E'\n) SELECT *' || v_from;
        EXCEPTION WHEN invalid_table_definition THEN
            -- 42P16: a column of a pseudo-type (SELECT pg_notify(...): void;
            -- a record), which a table cannot have; raised when the table is
            -- made, before the statement ran. Which columns: each tried on its
            -- own WITH NO DATA (planned, not run); those become their text, as
            -- the C library gives them. Then the statement runs.
            FOR v_column IN 1 .. pg_catalog.cardinality(v_names) LOOP
                BEGIN
                    EXECUTE 'CREATE TEMP TABLE dfc_step_probe AS WITH dfc_q AS (' || v_sql || E'\n) SELECT dfc_r.c' || v_column
                            || v_from || ' WITH NO DATA';
                    DROP TABLE pg_temp.dfc_step_probe;
                    v_list := pg_catalog.concat_ws(', ', v_list, 'dfc_r.c' || v_column);
                EXCEPTION WHEN invalid_table_definition THEN
                    v_list := pg_catalog.concat_ws(', ', v_list, 'dfc_r.c' || v_column || '::text AS c' || v_column);
                END;
            END LOOP;
            EXECUTE 'CREATE TEMP TABLE dfc_step_rows ON COMMIT DROP AS WITH dfc_q AS (' || v_sql || E'\n) SELECT ' || v_list || v_from;
        END;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        -- (with the settings the encoding relies on, even if the statement
        -- changed them with set_config)
        PERFORM pg_catalog.set_config('datestyle', 'ISO', true);
        PERFORM pg_catalog.set_config('intervalstyle', 'postgres', true);
        PERFORM pg_catalog.set_config('extra_float_digits', '1', true);
        -- Each value encoded as RUNTIME.md section 3 says, as the C library
        -- does: integers, floats (NaN and infinities null) and booleans as
        -- JSON, json and jsonb as they are, arrays as JSON arrays, anything
        -- else (numeric keeping its scale, dates, timestamps...) as a string
        -- of its text; keys in column order, written compactly.
        SELECT pg_catalog.string_agg(
                   pg_catalog.quote_literal(pg_catalog.to_json(v_names[a.attnum])::text || ':') || ' || ' ||
                   CASE WHEN b.oid = 'bool'::pg_catalog.regtype
                            THEN pg_catalog.format('CASE WHEN t.%1$I THEN ''true'' WHEN NOT t.%1$I THEN ''false'' ELSE ''null'' END', a.attname)
                        WHEN b.oid IN ('int2'::pg_catalog.regtype, 'int4'::pg_catalog.regtype, 'int8'::pg_catalog.regtype,
                                       'oid'::pg_catalog.regtype, 'json'::pg_catalog.regtype, 'jsonb'::pg_catalog.regtype)
                            THEN pg_catalog.format('coalesce(t.%I::text, ''null'')', a.attname)
                        WHEN b.oid IN ('float4'::pg_catalog.regtype, 'float8'::pg_catalog.regtype)
                            THEN pg_catalog.format('CASE WHEN t.%1$I IS NULL OR t.%1$I IN (''NaN'', ''Infinity'', ''-Infinity'') '
                                                   'THEN ''null'' ELSE t.%1$I::text END', a.attname)
                        -- (array elements as the scalars: float NaN and infinities null, numeric strings)
                        WHEN b.typcategory = 'A' AND b.typelem IN ('float4'::pg_catalog.regtype, 'float8'::pg_catalog.regtype)
                            THEN pg_catalog.format('coalesce(pg_catalog.regexp_replace(pg_catalog.array_to_json(t.%I)::text, '
                                                   '''"(NaN|-?Infinity)"'', ''null'', ''g''), ''null'')', a.attname)
                        WHEN b.typcategory = 'A' AND b.typelem = 'numeric'::pg_catalog.regtype
                            THEN pg_catalog.format('coalesce(pg_catalog.regexp_replace(pg_catalog.array_to_json(t.%I)::text, '
                                                   '''(-?[0-9][0-9.eE+-]*)'', ''"\1"'', ''g''), ''null'')', a.attname)
                        WHEN b.typcategory = 'A'
                            THEN pg_catalog.format('coalesce(pg_catalog.array_to_json(t.%I)::text, ''null'')', a.attname)
                        ELSE pg_catalog.format('coalesce(pg_catalog.to_json(t.%I::text)::text, ''null'')', a.attname)
                   END,
                   ' || '','' || ' ORDER BY a.attnum)
          INTO v_expr
          FROM pg_catalog.pg_attribute a
          JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
          JOIN pg_catalog.pg_type b ON b.oid = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END
         WHERE a.attrelid = 'pg_temp.dfc_step_rows'::pg_catalog.regclass AND a.attnum > 0 AND NOT a.attisdropped;
        EXECUTE 'SELECT ''{"rows":['' || coalesce(pg_catalog.string_agg(''{'' || ' || coalesce(v_expr, '''''')
                || ' || ''}'', '',''), '''') || ''],"row_count":' || v_count || '}'' FROM pg_temp.dfc_step_rows t'
           INTO result;
        SELECT ('[' || coalesce(pg_catalog.string_agg('{"name":' || pg_catalog.to_json(v_names[a.attnum])::text || ',"type":'
                   || pg_catalog.to_json(pg_catalog.format_type(a.atttypid, a.atttypmod))::text || '}', ',' ORDER BY a.attnum), '') || ']')::json
          INTO columns
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = 'pg_temp.dfc_step_rows'::pg_catalog.regclass AND a.attnum > 0 AND NOT a.attisdropped;
        DROP TABLE pg_temp.dfc_step_rows;
    ELSE
        EXECUTE p_sql;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        result := ('{"rows":[],"row_count":' || v_count || '}')::json;
        columns := '[]';
    END IF;
    -- what would run at commit, after the identity is back: deferred
    -- constraint triggers fire now, cursors kept for the next step close
    EXECUTE 'SET CONSTRAINTS ALL IMMEDIATE';
    EXECUTE 'CLOSE ALL';
END;
$body$ $$;

-- df_run."r<role>" exists and is exactly what df._run_as_sql creates.
CREATE OR REPLACE FUNCTION df._step_executor_ok(p_name text, p_role oid, p_body text)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM pg_catalog.pg_proc p
                    WHERE p.pronamespace = 'df_run'::regnamespace AND p.proname = p_name
                      AND p.prosecdef AND p.proowner = p_role AND p.prosrc = p_body AND p.proconfig IS NULL
                      AND p.prolang = (SELECT l.oid FROM pg_catalog.pg_language l WHERE l.lanname = 'plpgsql'))
$$;

CREATE OR REPLACE FUNCTION df._run_as_sql(p_role oid, p_sql text)
RETURNS json
LANGUAGE plpgsql VOLATILE STRICT
-- (a SET clause: what the step changes in the session is reverted on return)
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name    text := 'r' || p_role;
    v_body    text := df._step_executor_body();
    v_role    name;
    v_super   boolean;
    v_result  json;
    v_columns json;
    v_before  jsonb;
    v_setting record;
    v_path    text;
    v_stmt    text;
    v_names   text[];
    v_values  text[];
    v_count   integer;
BEGIN
    SELECT r.rolname, r.rolsuper INTO v_role, v_super FROM pg_catalog.pg_roles r WHERE r.oid = p_role;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role with OID % does not exist', p_role
            USING ERRCODE = 'undefined_object', DETAIL = 'The role that started this instance was dropped.';
    END IF;
    IF v_super AND NOT df._superuser_allowed() THEN
        RAISE EXCEPTION 'steps of instances submitted by a superuser are not allowed'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Set dfc.allow_superuser = on in the server configuration.';
    END IF;
    IF NOT df._step_executor_ok(v_name, p_role, v_body) THEN
        -- (one session at a time creates it; the others find it made)
        PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('dfc df_run'), p_role::integer);
    END IF;
    IF NOT df._step_executor_ok(v_name, p_role, v_body) THEN
        -- created by the runtime's owner (or a superuser), who must be a
        -- member of the submitter's role to give it the function
        EXECUTE format('DROP FUNCTION IF EXISTS df_run.%I(text)', v_name);
        EXECUTE format('CREATE FUNCTION df_run.%I(p_sql text, OUT result json, OUT columns json) '
                       'LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS %L', v_name, v_body);
        EXECUTE format('REVOKE ALL ON FUNCTION df_run.%I(text) FROM PUBLIC', v_name);
        -- (the new owner needs CREATE on the schema at the moment it is given the function)
        EXECUTE format('GRANT CREATE ON SCHEMA df_run TO %I', v_role);
        BEGIN
            EXECUTE format('ALTER FUNCTION df_run.%I(text) OWNER TO %I', v_name, v_role);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'role % cannot run steps as %', current_user, v_role
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = 'Without the dfc library, a step runs in a function owned by its submitter, which only a member of that role can create.',
                      HINT = format('GRANT %I TO %I, or run dfc worker as a superuser.', v_role, current_user);
        END;
        EXECUTE format('REVOKE CREATE ON SCHEMA df_run FROM %I', v_role);
    END IF;
    -- Plans made while another submitter's step ran are not this one's: a
    -- kept plan holds an inlined SQL function's body or an immutable
    -- function's value, whose EXECUTE privilege was checked for the role it
    -- was planned as (as the C library does; see plans_for_role in dfc.c).
    -- (df.plans_role is set before v_before below, so a step that changes it
    -- has it put back.)
    IF pg_catalog.current_setting('df.plans_role', true) IS DISTINCT FROM p_role::text THEN
        IF coalesce(pg_catalog.current_setting('df.plans_role', true), '') <> '' THEN
            DISCARD PLANS;
        END IF;
        PERFORM pg_catalog.set_config('df.plans_role', p_role::text, false);
    END IF;
    -- Settings as they are before the step: a plain SET in the step outlives
    -- this function and its SET clause (a SET clause only reverts SET LOCAL),
    -- so everything the step changed is put back below, as the C library does
    -- (else the runtime's statements after it, and the next submitter's
    -- step, would run with them: a search_path naming the submitter's schema
    -- first, say).
    SELECT jsonb_object_agg(s.name, s.setting) INTO v_before
      FROM pg_catalog.pg_settings s WHERE s.context IN ('user', 'superuser');
    -- Everything the runtime resolves by name (operators, functions) is done
    -- before the step's search_path is in place: the database's, or one the
    -- submitter set for its role, which could name a schema of its own with
    -- a format(text, text) or an = that matches better than pg_catalog's.
    -- From there on, only qualified calls with arguments of exact types, and
    -- the statement built here.
    v_stmt := pg_catalog.format('SELECT * FROM df_run.%I($1)', v_name);
    v_path := (SELECT s.reset_val FROM pg_catalog.pg_settings s WHERE s.name = 'search_path');
    INSERT INTO df._running_steps AS r (pid, submitter) VALUES (pg_catalog.pg_backend_pid(), p_role)
    ON CONFLICT (pid) DO UPDATE SET submitter = excluded.submitter;
    -- the submitter's own settings (ALTER ROLE ... SET, then ... IN DATABASE
    -- ... SET of this database, which win), as a session of that role has
    -- them and as the C library applies them (apply_role_settings and
    -- role_settings_skipped in dfc.c, which say why these are skipped)
    SELECT pg_catalog.array_agg(x.name ORDER BY x.here, x.n), pg_catalog.array_agg(x.value ORDER BY x.here, x.n)
      INTO v_names, v_values
      FROM (SELECT pg_catalog.split_part(c.item, '=', 1) AS name,
                   pg_catalog.substr(c.item, pg_catalog.strpos(c.item, '=') + 1) AS value,
                   d.setdatabase <> 0 AS here, c.n
              FROM pg_catalog.pg_db_role_setting d
             CROSS JOIN LATERAL pg_catalog.unnest(d.setconfig) WITH ORDINALITY AS c(item, n)
             WHERE d.setrole = p_role
               AND d.setdatabase IN (0, (SELECT db.oid FROM pg_catalog.pg_database db WHERE db.datname = pg_catalog.current_database()))) x
     WHERE pg_catalog.lower(x.name) NOT IN ('role', 'session_authorization', 'application_name', 'timezone', 'temp_tablespaces',
                                            'idle_in_transaction_session_timeout', 'idle_session_timeout', 'transaction_timeout');
    v_count := COALESCE(pg_catalog.cardinality(v_names), 0);
    -- the step's settings: the database's search_path ("$user" is the
    -- submitter), the role's, and what rendered literals and encoded
    -- results rely on
    PERFORM pg_catalog.set_config('search_path', v_path, true);
    FOR i IN 1 .. v_count LOOP
        BEGIN
            PERFORM pg_catalog.set_config(v_names[i], v_values[i], true);
        EXCEPTION WHEN OTHERS THEN
            NULL;   -- (read at connection only, or reserved to superusers)
        END;
    END LOOP;
    PERFORM pg_catalog.set_config('standard_conforming_strings', 'on', true);
    PERFORM pg_catalog.set_config('datestyle', 'ISO', true);
    PERFORM pg_catalog.set_config('intervalstyle', 'postgres', true);
    PERFORM pg_catalog.set_config('extra_float_digits', '1', true);
    BEGIN
        EXECUTE v_stmt INTO v_result, v_columns USING p_sql;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        -- the failed step's transaction rolls df.plans_role back, not the
        -- plans the step made as this submitter: discard those (not rolled back)
        DISCARD PLANS;
        RAISE;
    END;
    -- First of all, before any statement resolves an operator or function
    -- name: the search_path the step may have SET (its own schema first)
    -- goes. (Qualified function, literal arguments: nothing to resolve.)
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', false);
    DELETE FROM df._running_steps r WHERE r.pid = pg_catalog.pg_backend_pid();
    FOR v_setting IN
        SELECT s.name, v_before ->> s.name AS before
          FROM pg_catalog.pg_settings s
         WHERE s.context IN ('user', 'superuser') AND s.setting IS DISTINCT FROM v_before ->> s.name
           AND s.name NOT IN ('transaction_isolation', 'transaction_read_only', 'transaction_deferrable')
    LOOP
        IF v_setting.before IS NULL THEN
            EXECUTE format('RESET %I', v_setting.name);     -- (a placeholder the step defined)
        ELSE
            PERFORM pg_catalog.set_config(v_setting.name, v_setting.before, false);
        END IF;
    END LOOP;
    -- {"rows":[...],"row_count":n,"columns":[...]}, text kept as written
    RETURN (left(v_result::text, -1) || ',"columns":' || v_columns::text || '}')::json;
END;
$$;
COMMENT ON FUNCTION df._run_as_sql(oid, text)
    IS 'df._run_as without the C library: runs one statement as the given role in its df_run function (SET ROLE refused inside)';

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

    -- Without the library, a step runs as its submitter inside a SECURITY
    -- DEFINER function that the submitter owns (df._step_executor): like the
    -- C function's identity switch, that refuses SET ROLE, RESET ROLE and SET
    -- SESSION AUTHORIZATION inside the step. See df._run_as_sql below.
    CREATE OR REPLACE FUNCTION df._run_as(p_role oid, p_sql text)
    RETURNS json
    LANGUAGE plpgsql VOLATILE STRICT
    SET search_path = pg_catalog, pg_temp
    AS $body$
    BEGIN
        RETURN df._run_as_sql(p_role, p_sql);
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
        result := ('{"rows":' || (v_output -> 'rows')::text || ',"row_count":' || (v_output -> 'row_count')::text || '}')::json;
        columns := v_output -> 'columns';
    END;
    $body$;

    CREATE OR REPLACE FUNCTION df._wake()
    RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $body$ SELECT pg_catalog.pg_notify('df_wake', '') $body$;

    -- (the submitter of the step df._run_as_sql runs in this session)
    CREATE OR REPLACE FUNCTION df._step_role()
    RETURNS oid
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $body$ SELECT r.submitter FROM df._running_steps r WHERE r.pid = pg_catalog.pg_backend_pid() $body$;

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
    PERFORM pg_catalog.pg_stat_clear_snapshot();    -- (not the transaction's cached view)
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
