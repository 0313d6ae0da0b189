-- The value a compiled state-machine function returns for one state: what to
-- run and how to checkpoint it (docs/internals.md, "df.step").

DO $$
BEGIN
    IF to_regtype('df.step') IS NULL THEN
        CREATE TYPE df.step AS (
            kind text,      -- 'sql' for now; later 'sleep', 'signal', 'fork', 'join', ...
            sql  text,      -- kind 'sql': the statement, references already substituted
            bind text,      -- name the step's result is bound to, or NULL
            next integer    -- state that runs after this one; NULL when the workflow is done
        );
    END IF;
END;
$$;
COMMENT ON TYPE df.step IS 'one rendered workflow step: kind, SQL, bind name, next state';

CREATE OR REPLACE FUNCTION df.sql_step(p_sql text, p_bind text DEFAULT NULL, p_next integer DEFAULT NULL)
RETURNS df.step
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
-- PL/pgSQL rather than SQL: called once per step, and a non-inlined SQL
-- function is parsed and planned again in every transaction.
AS $$ BEGIN RETURN ROW('sql', p_sql, p_bind, p_next)::df.step; END; $$;
COMMENT ON FUNCTION df.sql_step(text, text, integer) IS 'builds the df.step of a SQL step (used by compiled workflows)';
