-- df.start: creates an instance of the newest version of a workflow.

-- One parameter value, cast to its declared type and encoded as a step result
-- would encode it (RUNTIME.md section 3). p_expr is SQL: "$1" for an argument
-- (its text is bound as p_arg, never spliced: df.start runs as the runtime
-- owner), or the DEFAULT expression written in the workflow, which comes from
-- the deploy script and is as trusted as the function it deployed.
CREATE OR REPLACE FUNCTION df._param_json(p_expr text, p_type text, p_arg text DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
AS $$
DECLARE
    v_type regtype := to_regtype(p_type);
    v_json json;
BEGIN
    -- numeric as a string that keeps its scale; dates and times in
    -- PostgreSQL's ISO form ("2024-01-02 03:04:05+00"), as a step's columns,
    -- not to_json's ("2024-01-02T03:04:05+00:00")
    IF v_type IN ('numeric'::regtype, 'date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype,
                  'time'::regtype, 'timetz'::regtype) THEN
        EXECUTE format('SELECT pg_catalog.to_json(CAST((%s) AS %s)::text)', p_expr, p_type) INTO v_json USING p_arg;
    ELSIF v_type IN ('real'::regtype, 'double precision'::regtype) THEN
        EXECUTE format('SELECT CASE WHEN v IN (''NaN'', ''Infinity'', ''-Infinity'') THEN NULL ELSE pg_catalog.to_json(v) END
                          FROM (SELECT CAST((%s) AS %s) AS v) AS s', p_expr, p_type) INTO v_json USING p_arg;
    ELSE
        EXECUTE format('SELECT pg_catalog.to_json(CAST((%s) AS %s))', p_expr, p_type) INTO v_json USING p_arg;
    END IF;
    RETURN v_json;
END;
$$;

-- The deployed workflow a name given to df.start or df.explain means: the
-- name as written when a workflow has it, else the name read as PostgreSQL
-- reads an identifier ('"My Flow"' is My Flow, 'Nightly' is nightly,
-- 'etl."Load"' is etl.Load, '"a.b"' is "a.b": a part holding . or starting
-- with " is stored quoted), as CREATE WORKFLOW stored it; NULL for none.
CREATE OR REPLACE FUNCTION df._workflow_named(p_name text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name text;
BEGIN
    IF EXISTS (SELECT FROM df._versions v WHERE v.workflow = p_name) THEN
        RETURN p_name;
    END IF;
    BEGIN
        -- the catalog's form of the name (the compiler's WorkflowName): a part holding '.' or
        -- starting with '"' is quoted, so '"a.b"' is workflow "a.b", not b in schema a
        SELECT string_agg(CASE WHEN t.part ~ '^"|[.]' THEN '"' || replace(t.part, '"', '""') || '"' ELSE t.part END,
                          '.' ORDER BY t.n)
          INTO v_name
          FROM unnest(parse_ident(p_name)) WITH ORDINALITY AS t(part, n);
    EXCEPTION WHEN OTHERS THEN
        RETURN NULL;    -- not an identifier
    END;
    IF EXISTS (SELECT FROM df._versions v WHERE v.workflow = v_name) THEN
        RETURN v_name;
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION df._workflow_named(text)
    IS 'the deployed workflow a name means: as written, else read as an identifier (quotes, case folding; a part holding . or starting with " is stored quoted)';

-- The instance a role started with an idempotency key (NULL: none, or no key).
-- Without a key there is nothing to look up (df.start does not call it): the lookup's generic plan is
-- made once per session, maybe while df._instances looked empty, and a
-- sequential scan then made a bulk start quadratic (20,000 starts in one
-- statement: 16 s, each scanning the instances the statement had added).
-- With one, only the unique index on (submitter, idempotency_key) is allowed.
CREATE OR REPLACE FUNCTION df._keyed_instance(p_role oid, p_key text)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $$
BEGIN
    IF p_key IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN (SELECT i.id FROM df._instances i
             WHERE i.submitter = p_role AND i.idempotency_key = p_key AND i.idempotency_key IS NOT NULL);
END;
$$;

CREATE OR REPLACE FUNCTION df.start(
    workflow         text,
    label            text DEFAULT NULL,
    database         text DEFAULT NULL,
    transaction_mode text DEFAULT 'caller',
    args             jsonb DEFAULT '{}',
    idempotency_key  text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller  oid := df._caller();
    v_version df._versions;
    v_id      text;
    v_param   jsonb;
    v_name    text;
    v_type    text;
    v_arg     jsonb;
    v_expr    text;
    v_text    text;
    v_value   json;
    v_unknown text;
BEGIN
    IF v_caller IS NULL THEN
        RAISE EXCEPTION 'cannot determine the calling role' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF df._is_superuser(v_caller) AND NOT df._superuser_allowed() THEN
        RAISE EXCEPTION 'workflows cannot be started by a superuser'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Steps run with the privileges of the role that started the instance.',
                  HINT = 'Start it as an ordinary role (SET ROLE), or set dfc.allow_superuser = on.';
    END IF;
    IF start.database IS NOT NULL AND start.database <> current_database() THEN
        RAISE EXCEPTION 'starting a workflow in another database is not supported yet'
            USING ERRCODE = 'feature_not_supported',
                  HINT = format('Connect to database %s and start it there.', start.database);
    END IF;
    IF start.transaction_mode = 'new' THEN
        RAISE EXCEPTION 'transaction_mode => ''new'' is not supported yet'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Start the workflow and commit (transaction_mode => ''caller'').';
    ELSIF start.transaction_mode IS DISTINCT FROM 'caller' THEN
        RAISE EXCEPTION 'unknown transaction_mode "%"', start.transaction_mode
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use ''caller''.';
    END IF;

    IF start.idempotency_key IS NOT NULL THEN
        v_id := df._keyed_instance(v_caller, start.idempotency_key);
        IF v_id IS NOT NULL THEN
            RETURN v_id;
        END IF;
    END IF;

    SELECT * INTO v_version
      FROM df._versions v
     WHERE v.workflow = (SELECT df._workflow_named(start.workflow))
     ORDER BY v.seq DESC
     LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow "%" is not deployed', start.workflow
            USING ERRCODE = 'undefined_object',
                  HINT = 'Deploy it first: dfc compile file.dfsql | psql';
    END IF;

    IF jsonb_typeof(start.args) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'args must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example args => ''{"batch_size": 50}''.';
    END IF;
    SELECT string_agg(format('"%s"', k), ', ' ORDER BY k) INTO v_unknown
      FROM jsonb_object_keys(start.args) AS k
     WHERE NOT EXISTS (SELECT FROM jsonb_array_elements(v_version.params) p WHERE p ->> 'name' = k);
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION 'workflow % has no parameter %', start.workflow, v_unknown
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Its parameters are: %s.', coalesce(
                      (SELECT string_agg(p ->> 'name', ', ') FROM jsonb_array_elements(v_version.params) p), 'none'));
    END IF;

    LOOP
        v_id := left(replace(gen_random_uuid()::text, '-', ''), 8);
        INSERT INTO df._instances (id, workflow, version, label, submitter, timezone, idempotency_key, vars, step_function)
        VALUES (v_id, v_version.workflow, v_version.version, start.label, v_caller,
                current_setting('TimeZone'), start.idempotency_key, df._captured_vars(v_caller),
                v_version.function_oid)
        ON CONFLICT DO NOTHING;
        EXIT WHEN FOUND;
        -- Either the id is taken (draw another) or a concurrent df.start of the
        -- same role with the same idempotency key committed first (the insert
        -- waited for it): return that instance, as if it had been found above.
        IF start.idempotency_key IS NOT NULL THEN
            v_id := df._keyed_instance(v_caller, start.idempotency_key);
            IF v_id IS NOT NULL THEN
                RETURN v_id;
            END IF;
        END IF;
    END LOOP;

    FOR v_param IN SELECT value FROM jsonb_array_elements(v_version.params) LOOP
        v_name := v_param ->> 'name';
        v_type := v_param ->> 'type';
        v_arg := start.args -> v_name;
        v_text := NULL;
        IF v_arg IS NOT NULL THEN
            v_expr := '$1';
            -- a json or jsonb parameter takes the JSON value as it is ("hello"
            -- stays a string); an array parameter a JSON array as its elements;
            -- otherwise JSON strings as their text, other values as their JSON text
            v_text := CASE
                          WHEN jsonb_typeof(v_arg) = 'null' THEN NULL
                          WHEN to_regtype(v_type) IN ('json'::regtype, 'jsonb'::regtype) THEN v_arg::text
                          WHEN jsonb_typeof(v_arg) = 'array'
                               AND (SELECT t.typcategory = 'A' FROM pg_catalog.pg_type t WHERE t.oid = to_regtype(v_type))
                               THEN df._array_text(v_arg::json)
                          WHEN jsonb_typeof(v_arg) = 'string' THEN v_arg #>> '{}'
                          ELSE v_arg::text
                      END;
        ELSIF v_param ->> 'default' IS NOT NULL THEN
            -- The default is an SQL expression from the workflow source
            -- ("10", "now()", "NULL"); "default":null means there is none.
            v_expr := v_param ->> 'default';
        ELSE
            RAISE EXCEPTION 'missing argument "%" of workflow %', v_name, start.workflow
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('Pass it: args => ''{"%s": ...}''.', v_name);
        END IF;
        BEGIN
            v_value := df._param_json(v_expr, v_type, v_text);
        EXCEPTION WHEN OTHERS THEN
            RAISE EXCEPTION 'argument "%" of workflow % is not a valid %', v_name, start.workflow, v_type
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = SQLERRM;
        END;
        INSERT INTO df._results (instance_id, name, value, columns)
        VALUES (v_id, v_name,
                json_build_object('rows', json_build_array(json_build_object(v_name, v_value)), 'row_count', 1),
                json_build_array(json_build_object('name', v_name, 'type', format_type(to_regtype(v_type), NULL))));
    END LOOP;

    INSERT INTO df._queue (instance_id, state) VALUES (v_id, 1);
    PERFORM df._wake();
    RETURN v_id;
END;
$$;
COMMENT ON FUNCTION df.start(text, text, text, text, jsonb, text)
    IS 'starts an instance of the newest version of a workflow in the caller''s transaction; returns its id';
