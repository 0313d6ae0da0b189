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
