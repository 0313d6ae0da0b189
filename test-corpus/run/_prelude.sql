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
-- Polls a query of one boolean until it returns true, at most `seconds`; on time-out raises `what`.
CREATE FUNCTION pg_temp.wait_until(query text, what text, seconds double precision DEFAULT 20) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_deadline timestamptz := clock_timestamp() + make_interval(secs => seconds);
    v_ok boolean;
BEGIN
    LOOP
        EXECUTE query INTO v_ok;
        EXIT WHEN v_ok;
        IF clock_timestamp() > v_deadline THEN
            RAISE EXCEPTION 'timed out after % s: %', seconds, what;
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
END;
$$;
