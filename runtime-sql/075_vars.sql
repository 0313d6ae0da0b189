-- Variables (RUNTIME.md section 2, LANGUAGE.md section 4): {name} in step SQL.
-- A role sets text variables with df.setvar; df.start copies the caller's
-- variables into the instance, so later changes never reach a started
-- instance. Rendering splices them as raw text, by design (table names,
-- fragments), as pg_durable does: whoever sets a variable writes SQL that
-- runs with their own privileges, and nobody else's variables are visible.

CREATE TABLE IF NOT EXISTS df._variables (
    -- regrole, as df._instances.submitter: survives renames, dumps by name
    role  regrole NOT NULL,
    name  text NOT NULL,
    value text NOT NULL,
    CONSTRAINT _variables_pkey PRIMARY KEY (role, name)
);
COMMENT ON TABLE df._variables IS 'df.setvar variables of each role (read through df.getvar)';

-- The variables an instance was started with, as a JSON object of strings.
ALTER TABLE df._instances ADD COLUMN IF NOT EXISTS vars jsonb NOT NULL DEFAULT '{}';

-- Refuses what df.var could never render, and what a step would set for its
-- submitter behind their back. df._step_role() is set by the C library while
-- a step runs (df._run_as), so this holds for steps of the in-server worker.
CREATE OR REPLACE FUNCTION df._var_caller(p_name text, p_setting boolean)
RETURNS oid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller oid;
BEGIN
    IF p_setting AND df._step_role() IS NOT NULL THEN
        RAISE EXCEPTION 'variables cannot be changed inside a running step'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Variables are captured when df.start runs and stay fixed during the run.',
                  HINT = 'Pass the value to the next step with |=> and $name, or as an argument of df.start.';
    END IF;
    v_caller := df._caller();
    IF v_caller IS NULL THEN
        RAISE EXCEPTION 'cannot determine the calling role' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_name IS NOT NULL AND p_name !~ '^[A-Za-z_][A-Za-z0-9_]*$' THEN
        RAISE EXCEPTION 'variable name "%" is not an identifier', p_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use letters, digits and _, not starting with a digit, so that {name} can refer to it.';
    END IF;
    IF p_setting AND left(lower(p_name), 4) = 'sys_' THEN
        RAISE EXCEPTION 'variable name "%" is reserved', p_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Names starting with sys_ are the runtime''s system variables ({sys_instance_id}, {sys_label}).';
    END IF;
    RETURN v_caller;
END;
$$;

-- Parameter names as pg_durable's, for calls with named arguments. A build of
-- 25 Nov 2026 named them p_name/p_value, which CREATE OR REPLACE cannot rename:
-- drop those (grants go with them; df.grant_usage gives them again).
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_proc p
                WHERE p.pronamespace = 'df'::regnamespace
                  AND p.proname IN ('setvar', 'getvar', 'unsetvar') AND p.proargnames[1] = 'p_name') THEN
        DROP FUNCTION IF EXISTS df.setvar(text, text), df.getvar(text), df.unsetvar(text);
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION df.setvar(name text, value text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller oid := df._var_caller(setvar.name, true);
BEGIN
    IF setvar.name IS NULL OR setvar.value IS NULL THEN
        RAISE EXCEPTION 'df.setvar needs a name and a value, not NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Remove a variable with df.unsetvar(name).';
    END IF;
    INSERT INTO df._variables AS v (role, name, value)
    VALUES (v_caller, setvar.name, setvar.value)
    -- by constraint: the columns' names are also this function's parameters
    ON CONFLICT ON CONSTRAINT _variables_pkey DO UPDATE SET value = excluded.value;
END;
$$;
COMMENT ON FUNCTION df.setvar(text, text)
    IS 'sets a variable of the calling role; instances started later render {name} as its raw text';

CREATE OR REPLACE FUNCTION df.getvar(name text)
RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller oid := df._var_caller(NULL, false);
BEGIN
    RETURN (SELECT v.value FROM df._variables v WHERE v.role = v_caller AND v.name = getvar.name);
END;
$$;
COMMENT ON FUNCTION df.getvar(text) IS 'the calling role''s variable, or NULL when it is not set';

CREATE OR REPLACE FUNCTION df.unsetvar(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller oid := df._var_caller(NULL, true);
BEGIN
    DELETE FROM df._variables v WHERE v.role = v_caller AND v.name = unsetvar.name;
END;
$$;
COMMENT ON FUNCTION df.unsetvar(text) IS 'removes a variable of the calling role (no error when it is not set)';

CREATE OR REPLACE FUNCTION df.clearvars()
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller oid := df._var_caller(NULL, true);
BEGIN
    DELETE FROM df._variables v WHERE v.role = v_caller;
END;
$$;
COMMENT ON FUNCTION df.clearvars() IS 'removes every variable of the calling role';

-- What df.start stores in df._instances.vars.
CREATE OR REPLACE FUNCTION df._captured_vars(p_role oid)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN coalesce((SELECT jsonb_object_agg(v.name, v.value) FROM df._variables v WHERE v.role = p_role), '{}');
END;
$$;

-- {name} in a step (docs/internals.md, "References"): raw text, not a literal.
-- {sys_label} of an instance started without a label is the empty string, so
-- that text like 'run {sys_label}' still renders.
CREATE OR REPLACE FUNCTION df.var(p_instance text, p_name text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_vars  jsonb;
    v_label text;
BEGIN
    IF p_name = 'sys_instance_id' THEN
        RETURN p_instance;
    END IF;
    SELECT i.vars, i.label INTO v_vars, v_label FROM df._instances i WHERE i.id = p_instance;
    IF p_name = 'sys_label' THEN
        RETURN coalesce(v_label, '');
    END IF;
    IF v_vars ? p_name THEN
        RETURN v_vars ->> p_name;
    END IF;
    RAISE EXCEPTION 'variable {%} is not set', p_name
        USING ERRCODE = 'undefined_object',
              DETAIL = format('Instance %s was started without a variable named "%s"; variables are captured when df.start runs.',
                              p_instance, p_name),
              HINT = format('Run SELECT df.setvar(%L, ...) as the submitting role before df.start.', p_name);
END;
$$;
COMMENT ON FUNCTION df.var(text, text)
    IS 'renders {name} of an instance: the raw text of a variable captured at start, {sys_instance_id} or {sys_label}';

-- {name} written inside a string literal, quoted identifier or dollar-quoted
-- body of a step's SQL: the variable's text when the instance captured one of
-- that name, else the text as written ('{a}'::text[] is an array literal).
CREATE OR REPLACE FUNCTION df.var_or_text(p_instance text, p_name text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT i.vars ->> p_name FROM df._instances i WHERE i.id = p_instance), '{' || p_name || '}')
$$;
COMMENT ON FUNCTION df.var_or_text(text, text)
    IS 'renders {name} written inside a literal of step SQL: the captured variable''s raw text, or {name} itself when none';

-- {name} naming a workflow parameter (or a result bound to that name): the
-- raw text of its first column, as $name would read it but not quoted.
CREATE OR REPLACE FUNCTION df.ref_text(p_instance text, p_name text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_result df._results := df._result(p_instance, p_name);
    v_col    text;
    v_value  json;
BEGIN
    SELECT c ->> 'name' INTO v_col FROM json_array_elements(v_result.columns) AS c LIMIT 1;
    v_value := v_result.value -> 'rows' -> 0 -> v_col;
    IF v_value IS NULL OR json_typeof(v_value) = 'null' THEN
        RAISE EXCEPTION '{%} is NULL or has no row', p_name
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'A {name} naming a parameter renders its text; pass a value for it to df.start.';
    END IF;
    RETURN CASE json_typeof(v_value) WHEN 'string' THEN v_value #>> '{}' ELSE v_value::text END;
END;
$$;
COMMENT ON FUNCTION df.ref_text(text, text)
    IS 'renders {name} naming a parameter: the raw text of its value';
