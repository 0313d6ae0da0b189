-- Reading instances. An id that does not exist or belongs to another role
-- reads as absent; superusers see everything.

CREATE OR REPLACE FUNCTION df._visible_instance(p_id text)
RETURNS df._instances
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller   oid := df._caller();
    v_instance df._instances;
BEGIN
    SELECT i.* INTO v_instance
      FROM df._instances i
     WHERE i.id = p_id
       AND (i.submitter = v_caller OR df._is_superuser(v_caller));
    RETURN v_instance;
END;
$$;

CREATE OR REPLACE FUNCTION df.status(p_id text)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT (df._visible_instance(p_id)).status $$;
COMMENT ON FUNCTION df.status(text)
    IS 'status of an instance (pending, running, completed, failed, cancelled), NULL if not found';

CREATE OR REPLACE FUNCTION df.result(p_id text)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN i.status = 'completed' THEN i.result::text END
      FROM df._visible_instance(p_id) AS i
$$;
COMMENT ON FUNCTION df.result(text)
    IS 'result JSON of a completed instance ({"rows":[...],"row_count":n} for a SQL step), NULL otherwise';

-- Polls rather than waiting on a notification: each check is a new snapshot,
-- and the sleep grows from 1 ms to 50 ms so short workflows return promptly.
CREATE OR REPLACE FUNCTION df.await_instance(p_id text, timeout_s double precision DEFAULT 30)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_deadline timestamptz;
    v_sleep    double precision := 0.001;
    v_status   text;
BEGIN
    IF timeout_s IS NULL OR timeout_s IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8) THEN
        RAISE EXCEPTION 'timeout_s must be a finite number of seconds, not %', coalesce(timeout_s::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the longest time to wait, e.g. df.await_instance(id, 300); a negative or zero timeout returns the current status at once.';
    END IF;
    v_deadline := clock_timestamp() + make_interval(secs => timeout_s);
    LOOP
        v_status := (df._visible_instance(p_id)).status;
        IF v_status IS NULL THEN
            RAISE EXCEPTION 'instance not found'
                USING ERRCODE = 'no_data_found',
                      DETAIL = format('No instance with id "%s" is visible to you.', p_id);
        END IF;
        IF v_status IN ('completed', 'failed', 'cancelled') OR clock_timestamp() >= v_deadline THEN
            RETURN v_status;
        END IF;
        PERFORM pg_sleep(v_sleep);
        v_sleep := least(v_sleep * 2, 0.05);
    END LOOP;
END;
$$;
COMMENT ON FUNCTION df.await_instance(text, double precision)
    IS 'waits until an instance is terminal or timeout_s passes; returns its status (must be called after the start committed)';

-- security_barrier: the row filter runs before any condition of the caller's
-- query, so a cheap leaky function in a WHERE clause cannot see other roles' rows.
CREATE OR REPLACE VIEW df.instances WITH (security_barrier) AS
    SELECT i.id, i.workflow, i.version, i.label, i.status,
           pg_catalog.pg_get_userbyid(i.submitter) AS submitted_by,
           i.created_at, i.updated_at, i.completed_at, i.error
      FROM df._instances i
     WHERE i.submitter = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)
        OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user);
COMMENT ON VIEW df.instances IS 'workflow instances of the current role (all of them for superusers)';

CREATE OR REPLACE FUNCTION df.instance_nodes(p_id text)
RETURNS TABLE (node_id integer, node_type text, query text, result_name text, status text,
               result json, updated_at timestamptz, line integer, error jsonb)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT (n ->> 'node')::integer, n ->> 'type', n ->> 'query', n ->> 'bind',
           coalesce(s.status, 'pending'), s.result, s.updated_at, (n ->> 'line')::integer, s.error
      FROM df._visible_instance(p_id) AS i
      JOIN df._versions v ON v.workflow = i.workflow AND v.version = i.version
     CROSS JOIN LATERAL jsonb_array_elements(v.nodes) AS n
      LEFT JOIN df._node_states s ON s.instance_id = i.id AND s.node_id = (n ->> 'node')::integer
     ORDER BY 1
$$;
COMMENT ON FUNCTION df.instance_nodes(text)
    IS 'one row per node of an instance: type, query, bind name, status, result, source line, error';
