-- Rendering of $references as SQL literals (docs/internals.md, "References").
-- Everything returned here is spliced into step SQL, so every value goes
-- through df._literal: a result value can never inject SQL.

-- A string literal with quotes doubled. Never the E'' form (which
-- quote_literal produces for backslashes): standard_conforming_strings is on,
-- so backslashes are data.
CREATE OR REPLACE FUNCTION df._quote(p_text text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN RETURN '''' || pg_catalog.replace(p_text, '''', '''''') || ''''; END; $$;

-- A JSON value (as stored in results) as an untyped SQL literal.
CREATE OR REPLACE FUNCTION df._literal(p_value json)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_text text;
BEGIN
    CASE json_typeof(p_value)
    WHEN 'string' THEN
        RETURN df._quote(p_value #>> '{}');
    WHEN 'number' THEN
        v_text := p_value::text;
        -- Parentheses keep "1-$a" from becoming the comment "1--5".
        RETURN CASE WHEN left(v_text, 1) = '-' THEN '(' || v_text || ')' ELSE v_text END;
    WHEN 'boolean' THEN
        RETURN p_value::text;
    WHEN 'object', 'array' THEN
        RETURN df._quote(p_value::text) || '::jsonb';
    ELSE
        RETURN 'NULL';
    END CASE;
END;
$$;

-- A JSON array as the text form of a PostgreSQL array ('{1,2,"a b",NULL}'),
-- nested arrays becoming nested braces. Elements are double-quoted with
-- backslash escapes; chr(92) is the backslash, spelled so that this body
-- parses the same whatever standard_conforming_strings says.
CREATE OR REPLACE FUNCTION df._array_element(p_text text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT '"' || replace(replace(p_text, chr(92), chr(92) || chr(92)), '"', chr(92) || '"') || '"' $$;

CREATE OR REPLACE FUNCTION df._array_text(p_value json)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT '{' || coalesce(string_agg(
               CASE json_typeof(e.value)
                   WHEN 'null' THEN 'NULL'
                   WHEN 'array' THEN df._array_text(e.value)
                   WHEN 'string' THEN df._array_element(e.value #>> '{}')
                   WHEN 'object' THEN df._array_element(e.value::text)
                   ELSE e.value::text
               END, ',' ORDER BY e.ordinality), '') || '}'
      FROM json_array_elements(p_value) WITH ORDINALITY AS e(value, ordinality)
$$;

-- A JSON value as a literal of the given column type (for $a.* and arrays).
CREATE OR REPLACE FUNCTION df._typed_literal(p_value json, p_type text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_value IS NULL OR json_typeof(p_value) = 'null' THEN
        RETURN 'NULL::' || p_type;
    ELSIF p_type IN ('json', 'jsonb') THEN
        RETURN df._quote(p_value::text) || '::' || p_type;
    ELSIF right(p_type, 2) = '[]' AND json_typeof(p_value) = 'array' THEN
        RETURN df._quote(df._array_text(p_value)) || '::' || p_type;
    ELSE
        RETURN df._literal(p_value) || '::' || p_type;
    END IF;
END;
$$;

-- A result that is not a SQL step's (a signal, a sleep, a join, a break
-- value, a loop that ended on one of these) in the shape references read: the
-- rows of a SQL result, and their columns. An object is one row whose
-- columns are its keys ($decision.data of a signal, $t.seconds of a sleep);
-- an array of objects (a join's branch results) is one row per element, with
-- the first element's keys as columns; anything else is one row with the
-- column "value" (df.break(7)). Column types follow the JSON values of the
-- first row: strings text, numbers numeric, booleans boolean, the rest jsonb.
CREATE OR REPLACE FUNCTION df._as_rows(p_value json, OUT value json, OUT columns json)
RETURNS record
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_rows json;
BEGIN
    IF json_typeof(p_value) = 'object' THEN
        v_rows := json_build_array(p_value);
    ELSIF json_typeof(p_value) = 'array' AND json_array_length(p_value) > 0
          AND NOT EXISTS (SELECT FROM json_array_elements(p_value) AS e WHERE json_typeof(e) <> 'object') THEN
        v_rows := p_value;
    ELSE
        v_rows := json_build_array(json_build_object('value', p_value));
    END IF;
    SELECT coalesce(json_agg(json_build_object('name', k.key, 'type',
                                 CASE json_typeof(k.value)
                                     WHEN 'string' THEN 'text'
                                     WHEN 'number' THEN 'numeric'
                                     WHEN 'boolean' THEN 'boolean'
                                     ELSE 'jsonb'
                                 END) ORDER BY k.ordinality), '[]')
      INTO columns
      FROM json_each(v_rows -> 0) WITH ORDINALITY AS k(key, value, ordinality);
    value := json_build_object('rows', v_rows, 'row_count', json_array_length(v_rows));
END;
$$;
COMMENT ON FUNCTION df._as_rows(json)
    IS 'a result that is not a SQL step''s as rows and columns, the shape $name references read';

CREATE OR REPLACE FUNCTION df._result(p_instance text, p_name text)
RETURNS df._results
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_result df._results;
BEGIN
    SELECT * INTO v_result FROM df._results r WHERE r.instance_id = p_instance AND r.name = p_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION '$% is not bound', p_name
            USING ERRCODE = 'undefined_object',
                  DETAIL = format('Instance %s has no result or parameter named "%s".', p_instance, p_name),
                  HINT = 'Bind it earlier on every path to this step with |=> ''' || p_name || '''.';
    END IF;
    RETURN v_result;
END;
$$;

-- The value of $name or $name.col in an instance, with its column's type:
-- the lookups and errors every kind of reference shares. The value is NULL
-- (SQL NULL) when it is NULL or there is no row and p_nullsafe; otherwise
-- those raise.
CREATE OR REPLACE FUNCTION df._ref_value(p_instance text, p_name text, p_col text, p_nullsafe boolean,
                                         OUT o_value json, OUT o_type text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_result df._results := df._result(p_instance, p_name);
    v_ref text := '$' || p_name || coalesce('.' || p_col, '');
    v_col text;
BEGIN
    IF p_col IS NULL THEN
        SELECT c ->> 'name', c ->> 'type' INTO v_col, o_type FROM json_array_elements(v_result.columns) AS c LIMIT 1;
    ELSE
        SELECT c ->> 'name', c ->> 'type' INTO v_col, o_type
          FROM json_array_elements(v_result.columns) AS c WHERE c ->> 'name' = p_col LIMIT 1;
        IF v_col IS NULL THEN
            RAISE EXCEPTION '$% has no column "%"', p_name, p_col
                USING ERRCODE = 'undefined_column',
                      DETAIL = format('Its columns are: %s.', coalesce(
                          (SELECT string_agg(c ->> 'name', ', ') FROM json_array_elements(v_result.columns) AS c), 'none'));
        END IF;
    END IF;

    IF v_col IS NULL OR json_array_length(v_result.value -> 'rows') = 0 THEN
        IF p_nullsafe THEN
            RETURN;
        END IF;
        RAISE EXCEPTION '% has no rows', v_ref
            USING ERRCODE = 'no_data_found',
                  HINT = format('Use %s? to get NULL when there is no row.', v_ref);
    END IF;

    IF p_col IS NULL THEN
        -- the first column by position: a name may repeat (SELECT 1 AS a, 2 AS a)
        SELECT e.value INTO o_value FROM json_each(v_result.value -> 'rows' -> 0) AS e LIMIT 1;
    ELSE
        -- the first column of that name, as its type above (-> gives the last)
        SELECT e.value INTO o_value FROM json_each(v_result.value -> 'rows' -> 0) AS e WHERE e.key = v_col LIMIT 1;
    END IF;
    IF o_value IS NULL OR json_typeof(o_value) = 'null' THEN
        o_value := NULL;
        IF p_nullsafe THEN
            RETURN;
        END IF;
        RAISE EXCEPTION '% is NULL (use %? to allow NULL)', v_ref, v_ref
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION df.ref(p_instance text, p_name text, p_col text DEFAULT NULL, p_nullsafe boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_value json;
    v_type  text;
BEGIN
    SELECT r.o_value, r.o_type INTO v_value, v_type FROM df._ref_value(p_instance, p_name, p_col, p_nullsafe) AS r;
    IF v_value IS NULL THEN
        RETURN 'NULL';
    END IF;
    -- PostgreSQL arrays travel as JSON arrays: give them back their type, so
    -- "= ANY($a)" works. A json/jsonb column keeps its type too: its value may
    -- be a JSON string or number, which must not turn into text or a number.
    IF (right(v_type, 2) = '[]' AND json_typeof(v_value) = 'array') OR v_type IN ('json', 'jsonb') THEN
        RETURN df._typed_literal(v_value, v_type);
    END IF;
    -- numeric travels as a JSON string (to keep its scale); in SQL it is a
    -- number, typed so that 7 stays numeric (7 / 2 is 3.5, not 3):
    -- 1.50::numeric, (-2)::numeric, 'NaN'::numeric
    IF json_typeof(v_value) = 'string' AND v_type ~ '^numeric(\(\d+(,\s*\d+)?\))?$' THEN
        IF (v_value #>> '{}') ~ '^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$' THEN
            RETURN CASE WHEN left(v_value #>> '{}', 1) = '-' THEN '(' || (v_value #>> '{}') || ')' ELSE v_value #>> '{}' END
                   || '::numeric';
        END IF;
        RETURN df._quote(v_value #>> '{}') || '::numeric';
    END IF;
    RETURN df._literal(v_value);
END;
$$;
COMMENT ON FUNCTION df.ref(text, text, text, boolean)
    IS 'renders $name, $name.col, $name? or $name.col? of an instance as a safe SQL literal';

CREATE OR REPLACE FUNCTION df.ref_rows(p_instance text, p_name text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_result df._results := df._result(p_instance, p_name);
    v_alias text := quote_ident(p_name);
    v_names text;
    v_rows text;
BEGIN
    IF json_array_length(v_result.columns) = 0 THEN
        -- A statement without columns (an UPDATE, say): as many empty rows as it counted.
        RETURN format('(SELECT FROM pg_catalog.generate_series(1, %s)) AS %s',
                      coalesce((v_result.value ->> 'row_count')::bigint, 0), v_alias);
    END IF;

    SELECT string_agg(quote_ident(c ->> 'name'), ', ' ORDER BY c.ordinality)
      INTO v_names
      FROM json_array_elements(v_result.columns) WITH ORDINALITY AS c(c, ordinality);

    -- values by position where the row has the column's name there (a name
    -- may repeat: SELECT 1 AS a, 2 AS a), else by name (rows of a result that
    -- is not a SQL step's, a join's say, need not have the same keys in the
    -- same order)
    SELECT string_agg('(' || (
               SELECT string_agg(df._typed_literal(coalesce(e.value, r.r -> (c.c ->> 'name')), c.c ->> 'type'), ', ' ORDER BY c.ordinality)
                 FROM json_array_elements(v_result.columns) WITH ORDINALITY AS c(c, ordinality)
                 LEFT JOIN json_each(r.r) WITH ORDINALITY AS e(key, value, ordinality)
                        ON e.ordinality = c.ordinality AND e.key = c.c ->> 'name'
           ) || ')', ', ' ORDER BY r.ordinality)
      INTO v_rows
      FROM json_array_elements(v_result.value -> 'rows') WITH ORDINALITY AS r(r, ordinality);

    IF v_rows IS NULL THEN
        -- No rows: an empty relation that still has the columns and their types.
        RETURN format('(SELECT %s WHERE false) AS %s',
                      (SELECT string_agg(format('NULL::%s AS %s', c.c ->> 'type', quote_ident(c.c ->> 'name')), ', ' ORDER BY c.ordinality)
                         FROM json_array_elements(v_result.columns) WITH ORDINALITY AS c(c, ordinality)),
                      v_alias);
    END IF;
    RETURN format('(VALUES %s) AS %s(%s)', v_rows, v_alias, v_names);
END;
$$;
COMMENT ON FUNCTION df.ref_rows(text, text)
    IS 'renders $name.* of an instance as an inline relation (VALUES ...) AS name(cols) with typed values';

-- References in the URL, body and headers of an HTTP step (not SQL): the
-- value as raw text -- a string's own text, anything else its JSON -- and
-- $name.* as the JSON array of its rows. NULL or no row fails as in SQL
-- unless p_nullsafe, which gives an empty string.
CREATE OR REPLACE FUNCTION df.ref_raw(p_instance text, p_name text, p_col text DEFAULT NULL, p_nullsafe boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_value json := (df._ref_value(p_instance, p_name, p_col, p_nullsafe)).o_value;
BEGIN
    RETURN CASE WHEN v_value IS NULL THEN '' WHEN json_typeof(v_value) = 'string' THEN v_value #>> '{}' ELSE v_value::text END;
END;
$$;
COMMENT ON FUNCTION df.ref_raw(text, text, text, boolean)
    IS 'renders $name, $name.col (and ? forms) in an HTTP step''s URL, body or headers: the value''s raw text';

CREATE OR REPLACE FUNCTION df.ref_json(p_instance text, p_name text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN coalesce((df._result(p_instance, p_name)).value -> 'rows', '[]'::json)::text;
END;
$$;
COMMENT ON FUNCTION df.ref_json(text, text)
    IS 'renders $name.* in an HTTP step''s URL, body or headers: the JSON array of its rows';

-- A substituted value inside a JSON string of an HTTP step's headers: escaped
-- as JSON would (quotes, backslashes, control characters), without the quotes.
CREATE OR REPLACE FUNCTION df.json_inner(p_text text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_json text := to_json(p_text)::text;
BEGIN
    RETURN substr(v_json, 2, length(v_json) - 2);
END;
$$;
COMMENT ON FUNCTION df.json_inner(text) IS 'escapes text for the inside of a JSON string (HTTP step headers)';

-- A $ reference's value as a JSON value (outside a string in an HTTP step's
-- JSON body, headers or parts): a string quoted and escaped, anything else as
-- it is; NULL or no row fails unless p_nullsafe, which gives null.
CREATE OR REPLACE FUNCTION df.ref_jsonval(p_instance text, p_name text, p_col text DEFAULT NULL, p_nullsafe boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN coalesce((df._ref_value(p_instance, p_name, p_col, p_nullsafe)).o_value::text, 'null');
END;
$$;
COMMENT ON FUNCTION df.ref_jsonval(text, text, text, boolean)
    IS 'renders $name, $name.col (and ? forms) as a JSON value in an HTTP step''s JSON body, headers or parts';

-- A $ reference's value inside an HTTP step's URL (after its start):
-- percent-encoded, all but the unreserved characters of RFC 3986, so that
-- data cannot change the host, path or query it is put in.
CREATE OR REPLACE FUNCTION df.url_encode(p_text text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_bytes bytea := convert_to(p_text, 'UTF8');
    v_out   text := '';
    v_byte  integer;
BEGIN
    FOR i IN 0 .. length(v_bytes) - 1 LOOP
        v_byte := get_byte(v_bytes, i);
        IF v_byte BETWEEN 48 AND 57 OR v_byte BETWEEN 65 AND 90 OR v_byte BETWEEN 97 AND 122
           OR v_byte IN (45, 46, 95, 126) THEN
            v_out := v_out || chr(v_byte);
        ELSE
            v_out := v_out || '%' || upper(lpad(to_hex(v_byte), 2, '0'));
        END IF;
    END LOOP;
    RETURN v_out;
END;
$$;
COMMENT ON FUNCTION df.url_encode(text) IS 'percent-encodes text for a URL (all but A-Z a-z 0-9 - . _ ~)';
