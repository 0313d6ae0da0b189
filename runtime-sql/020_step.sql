-- The value a compiled state-machine function returns for one state: what to
-- run and how to checkpoint it (docs/internals.md, "df.step" and "Control
-- flow, waits and cancellation").

-- Created on a fresh database; on an existing install the attributes added
-- since are appended in order, so the type always ends up the same shape.
-- (Compiled functions only ever build it through the constructors below.)
DO $$
DECLARE
    v_attribute record;
BEGIN
    IF to_regtype('df.step') IS NULL THEN
        CREATE TYPE df.step AS (kind text, sql text, bind text, next integer);
    END IF;
    FOR v_attribute IN
        SELECT a.name, a.type
          FROM (VALUES (1, 'else_next', 'integer'), (2, 'branches', 'integer[]'), (3, 'mode', 'text'),
                       (4, 'seconds', 'double precision'), (5, 'cron', 'text'), (6, 'name', 'text'),
                       (7, 'value', 'json'), (8, 'unwind', 'integer'), (9, 'url', 'text'), (10, 'method', 'text'),
                       (11, 'body', 'text'), (12, 'headers', 'jsonb'), (13, 'parts', 'jsonb'),
                       (14, 'args', 'jsonb'), (15, 'attempts', 'integer'),
                       (16, 'max_seconds', 'double precision')) AS a(ord, name, type)
         WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute pa
                            WHERE pa.attrelid = (SELECT t.typrelid FROM pg_catalog.pg_type t WHERE t.oid = 'df.step'::regtype)
                              AND pa.attname = a.name AND NOT pa.attisdropped)
         ORDER BY a.ord
    LOOP
        EXECUTE format('ALTER TYPE df.step ADD ATTRIBUTE %I %s', v_attribute.name, v_attribute.type);
    END LOOP;
END;
$$;
COMMENT ON TYPE df.step IS 'one rendered workflow step: kind, SQL, bind name, next state, and the facts of control-flow kinds';

-- The constructors are PL/pgSQL rather than SQL: called once per step, and a
-- non-inlined SQL function is parsed and planned again in every transaction.
CREATE OR REPLACE FUNCTION df.sql_step(p_sql text, p_bind text DEFAULT NULL, p_next integer DEFAULT NULL)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step df.step;
BEGIN
    v_step.kind := 'sql';
    v_step.sql := p_sql;
    v_step.bind := p_bind;
    v_step.next := p_next;
    RETURN v_step;
END;
$$;
COMMENT ON FUNCTION df.sql_step(text, text, integer) IS 'builds the df.step of a SQL step (used by compiled workflows)';

CREATE OR REPLACE FUNCTION df.cond_step(p_sql text, p_next integer, p_else_next integer)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step df.step;
BEGIN
    v_step.kind := 'cond';
    v_step.sql := p_sql;
    v_step.next := p_next;
    v_step.else_next := p_else_next;
    RETURN v_step;
END;
$$;
COMMENT ON FUNCTION df.cond_step(text, integer, integer)
    IS 'builds a condition step: runs the SQL, goes to p_next when its first value is truthy, else to p_else_next';

CREATE OR REPLACE FUNCTION df.test_step(p_next integer, p_else_next integer)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step df.step;
BEGIN
    v_step.kind := 'test';
    v_step.next := p_next;
    v_step.else_next := p_else_next;
    RETURN v_step;
END;
$$;
COMMENT ON FUNCTION df.test_step(integer, integer)
    IS 'builds the test of an if whose condition is nodes of its own: goes to p_next when the thread''s result is truthy, else to p_else_next';

CREATE OR REPLACE FUNCTION df.if_rows_step(p_name text, p_next integer, p_else_next integer)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step df.step;
BEGIN
    v_step.kind := 'if_rows';
    v_step.name := p_name;
    v_step.next := p_next;
    v_step.else_next := p_else_next;
    RETURN v_step;
END;
$$;
COMMENT ON FUNCTION df.if_rows_step(text, integer, integer)
    IS 'builds a df.if_rows step: goes to p_next when result p_name has rows, else to p_else_next';

CREATE OR REPLACE FUNCTION df.fork_step(p_branches integer[], p_mode text, p_bind text DEFAULT NULL, p_next integer DEFAULT NULL)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step df.step;
BEGIN
    IF p_mode IS NULL OR p_mode NOT IN ('join', 'race') THEN
        RAISE EXCEPTION 'fork mode must be ''join'' or ''race'', not %', coalesce(p_mode, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_step.kind := 'fork';
    v_step.branches := p_branches;
    v_step.mode := p_mode;
    v_step.bind := p_bind;
    v_step.next := p_next;
    RETURN v_step;
END;
$$;
COMMENT ON FUNCTION df.fork_step(integer[], text, text, integer)
    IS 'builds a fork step: runs the branches (entry states) as threads, joined (all) or raced (first wins)';

-- df.retry: the body (an entry state) runs as the one branch of a fork; when
-- it fails, it runs again after p_backoff seconds, doubled after each failure
-- up to p_max_backoff, until p_attempts runs have failed.
CREATE OR REPLACE FUNCTION df.retry_step(p_body integer, p_attempts integer, p_backoff double precision DEFAULT 1,
                                         p_max_backoff double precision DEFAULT 300,
                                         p_bind text DEFAULT NULL, p_next integer DEFAULT NULL)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step df.step;
BEGIN
    IF p_attempts IS NULL OR p_attempts < 1 THEN
        RAISE EXCEPTION 'df.retry needs at least 1 attempt, not %', coalesce(p_attempts::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_step.kind := 'fork';
    v_step.mode := 'retry';
    v_step.branches := ARRAY[p_body];
    v_step.attempts := p_attempts;
    v_step.seconds := greatest(coalesce(p_backoff, 1), 0);
    v_step.max_seconds := greatest(coalesce(p_max_backoff, 300), 0);
    v_step.bind := p_bind;
    v_step.next := p_next;
    RETURN v_step;
END;
$$;
COMMENT ON FUNCTION df.retry_step(integer, integer, double precision, double precision, text, integer)
    IS 'builds a df.retry step: runs the body again after a failure, with exponential backoff, up to p_attempts runs';

-- df.timeout: the body runs as the one branch of a fork that fails when it
-- has not ended p_seconds after it started.
CREATE OR REPLACE FUNCTION df.timeout_step(p_body integer, p_seconds double precision,
                                           p_bind text DEFAULT NULL, p_next integer DEFAULT NULL)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step df.step;
BEGIN
    v_step.kind := 'fork';
    v_step.mode := 'timeout';
    v_step.branches := ARRAY[p_body];
    v_step.seconds := p_seconds;
    v_step.bind := p_bind;
    v_step.next := p_next;
    RETURN v_step;
END;
$$;
COMMENT ON FUNCTION df.timeout_step(integer, double precision, text, integer)
    IS 'builds a df.timeout step: fails (57014) when the body has not ended p_seconds after it started';

-- x <-> y, after x: registers p_undo (y's entry state) to run if the
-- instance fails later; the thread's result (x's) goes on unchanged.
CREATE OR REPLACE FUNCTION df.undo_step(p_undo integer, p_bind text DEFAULT NULL, p_next integer DEFAULT NULL)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step df.step;
BEGIN
    v_step.kind := 'undo';
    v_step.branches := ARRAY[p_undo];
    v_step.bind := p_bind;
    v_step.next := p_next;
    RETURN v_step;
END;
$$;
COMMENT ON FUNCTION df.undo_step(integer, text, integer)
    IS 'builds the step after x in x <-> y: registers y to run if the instance fails later';

CREATE OR REPLACE FUNCTION df.sleep_step(p_seconds double precision, p_bind text DEFAULT NULL, p_next integer DEFAULT NULL)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step df.step;
BEGIN
    v_step.kind := 'sleep';
    v_step.seconds := p_seconds;
    v_step.bind := p_bind;
    v_step.next := p_next;
    RETURN v_step;
END;
$$;
COMMENT ON FUNCTION df.sleep_step(double precision, text, integer) IS 'builds a df.sleep step';

CREATE OR REPLACE FUNCTION df.schedule_step(p_cron text, p_bind text DEFAULT NULL, p_next integer DEFAULT NULL)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step df.step;
BEGIN
    v_step.kind := 'schedule';
    v_step.cron := p_cron;
    v_step.bind := p_bind;
    v_step.next := p_next;
    RETURN v_step;
END;
$$;
COMMENT ON FUNCTION df.schedule_step(text, text, integer) IS 'builds a df.wait_for_schedule step';

CREATE OR REPLACE FUNCTION df.signal_step(p_name text, p_timeout double precision DEFAULT NULL,
                                          p_bind text DEFAULT NULL, p_next integer DEFAULT NULL)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step df.step;
BEGIN
    v_step.kind := 'signal';
    v_step.name := p_name;
    v_step.seconds := p_timeout;
    v_step.bind := p_bind;
    v_step.next := p_next;
    RETURN v_step;
END;
$$;
COMMENT ON FUNCTION df.signal_step(text, double precision, text, integer) IS 'builds a df.wait_for_signal step';

CREATE OR REPLACE FUNCTION df.break_step(p_value json, p_unwind integer, p_next integer DEFAULT NULL)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step df.step;
BEGIN
    v_step.kind := 'break';
    v_step.value := p_value;
    v_step.unwind := coalesce(p_unwind, 0);
    v_step.next := p_next;
    RETURN v_step;
END;
$$;
COMMENT ON FUNCTION df.break_step(json, integer, integer)
    IS 'builds a df.break step: leaves p_unwind enclosing forks and continues at the loop exit with p_value';

-- An HTTP call (RUNTIME.md section 3, "HTTP"): p_url, p_body and p_headers
-- come with their references already substituted; p_timeout in seconds (NULL:
-- the default). Checked and performed by the runtime (096_http.sql), outside
-- any transaction.
CREATE OR REPLACE FUNCTION df.http_step(p_url text, p_method text DEFAULT 'POST', p_body text DEFAULT NULL,
                                        p_headers jsonb DEFAULT NULL, p_timeout double precision DEFAULT NULL,
                                        p_bind text DEFAULT NULL, p_next integer DEFAULT NULL)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step df.step;
BEGIN
    v_step.kind := 'http';
    v_step.url := p_url;
    v_step.method := coalesce(p_method, 'POST');
    v_step.body := p_body;
    v_step.headers := p_headers;
    v_step.seconds := p_timeout;
    v_step.bind := p_bind;
    v_step.next := p_next;
    RETURN v_step;
END;
$$;
COMMENT ON FUNCTION df.http_step(text, text, text, jsonb, double precision, text, integer)
    IS 'builds a df.http step (used by compiled workflows)';

-- A multipart/form-data HTTP call: p_parts is a JSON array of parts, each
-- {"name": ..., "value": text} or {"name": ..., "value_base64": ...}, with an
-- optional "filename" and "content_type" (checked by df._http_request).
CREATE OR REPLACE FUNCTION df.http_multipart_step(p_url text, p_method text DEFAULT 'POST', p_parts jsonb DEFAULT NULL,
                                                  p_headers jsonb DEFAULT NULL, p_timeout double precision DEFAULT NULL,
                                                  p_bind text DEFAULT NULL, p_next integer DEFAULT NULL)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step df.step;
BEGIN
    v_step := df.http_step(p_url, p_method, NULL, p_headers, p_timeout, p_bind, p_next);
    v_step.parts := coalesce(p_parts, '[]'::jsonb);
    RETURN v_step;
END;
$$;
COMMENT ON FUNCTION df.http_multipart_step(text, text, jsonb, jsonb, double precision, text, integer)
    IS 'builds a df.http_multipart step (used by compiled workflows)';

-- A call of another workflow (df.call): started as a child instance of the
-- same submitter with p_args, waited for; its result is the child's.
CREATE OR REPLACE FUNCTION df.call_step(p_workflow text, p_args jsonb DEFAULT NULL, p_bind text DEFAULT NULL, p_next integer DEFAULT NULL)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_step df.step;
BEGIN
    v_step.kind := 'call';
    v_step.name := p_workflow;
    v_step.args := coalesce(p_args, '{}'::jsonb);
    v_step.bind := p_bind;
    v_step.next := p_next;
    RETURN v_step;
END;
$$;
COMMENT ON FUNCTION df.call_step(text, jsonb, text, integer) IS 'builds a df.call step (used by compiled workflows)';
