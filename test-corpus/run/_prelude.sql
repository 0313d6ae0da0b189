-- Prepended to every scenario's check script by it/ScenarioTest (and usable by hand:
-- psql -v ON_ERROR_STOP=1 -f _prelude.sql -f <name>.check.sql).
\set ON_ERROR_STOP 1
\pset pager off
CREATE FUNCTION pg_temp.expect(ok boolean, what text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF ok IS NOT TRUE THEN
        RAISE EXCEPTION 'expectation failed: %', what;
    END IF;
END;
$$;
