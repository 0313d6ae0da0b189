-- Truthiness of a condition (LANGUAGE.md section 3), written once: the value
-- is the first column of the first row of the condition's result (NULL when
-- there is no row). Numeric columns reach it as JSON numbers (df._run turns
-- the string that keeps their scale back into a number).
CREATE OR REPLACE FUNCTION df._truthy(p_value json)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    CASE json_typeof(p_value)
    WHEN 'boolean' THEN
        RETURN p_value::text = 'true';
    WHEN 'number' THEN
        RETURN (p_value::text)::numeric <> 0;
    WHEN 'string' THEN
        RETURN lower(p_value #>> '{}') NOT IN ('', 'false', 'f', 'no', '0');
    WHEN 'array' THEN
        RETURN json_array_length(p_value) > 0;
    WHEN 'object' THEN
        RETURN EXISTS (SELECT FROM json_object_keys(p_value));
    ELSE
        RETURN false;   -- JSON null, or no value at all
    END CASE;
END;
$$;
COMMENT ON FUNCTION df._truthy(json) IS 'truthiness of a condition value (LANGUAGE.md section 3)';

-- Whether a condition's result holds: a result with rows (a SQL step's, a
-- called workflow's) by the first column of its first row, whose numeric
-- values (strings that keep their scale, see df._run_sql) count as numbers
-- when p_columns says so; any other result (a signal's, a join's, a break
-- value) by itself. The SQL condition of an if or loop, and the test of one
-- whose condition ran as nodes of their own (df._run).
CREATE OR REPLACE FUNCTION df._condition_holds(p_result json, p_columns json)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_first json;
BEGIN
    IF json_typeof(p_result -> 'rows') IS DISTINCT FROM 'array'
       OR coalesce(json_typeof(p_result -> 'rows' -> 0), 'object') <> 'object' THEN
        RETURN df._truthy(p_result);
    END IF;
    SELECT e.value INTO v_first FROM json_each(p_result -> 'rows' -> 0) AS e LIMIT 1;
    IF p_columns -> 0 ->> 'type' LIKE 'numeric%' AND json_typeof(v_first) = 'string' THEN
        v_first := to_json((v_first #>> '{}')::numeric);
    END IF;
    RETURN df._truthy(v_first);
END;
$$;
COMMENT ON FUNCTION df._condition_holds(json, json) IS 'whether a condition''s result is truthy (LANGUAGE.md section 3)';
