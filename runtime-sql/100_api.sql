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

-- The functions that read instances are VOLATILE: each call reads what has
-- committed by then, so SELECT df.await_instance(id), df.result(id) sees the
-- result the wait waited for (a STABLE function would read the statement's
-- snapshot, taken before the wait).
CREATE OR REPLACE FUNCTION df.status(p_id text)
RETURNS text
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT (df._visible_instance(p_id)).status $$;
COMMENT ON FUNCTION df.status(text)
    IS 'status of an instance (pending, running, completed, failed, cancelled), NULL if not found';

CREATE OR REPLACE FUNCTION df.result(p_id text)
RETURNS text
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN i.status = 'completed' THEN coalesce(i.result::text, 'null') END
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

-- pg_durable's node table, as a view: one row per node of the graph of each
-- of the current role's instances (all of them for superusers), with
-- pg_durable's columns. The graph is dfc's state graph: left_node is the node
-- that runs next (the first branch of a fork, the then-arm of an if, a
-- loop's body), right_node the other way on (the second branch, the
-- else-arm); id is the node's number within its instance. Filter on
-- instance_id: the view reads every visible instance's version otherwise.
-- The steps that run right now (their checkpoint is not committed yet), of
-- the caller's instances (all for a superuser): a queue item that an
-- in-server step worker or a dfc worker session is running. df.nodes and
-- df.instance_nodes show these nodes as running; a node's id is its state.
CREATE OR REPLACE FUNCTION df.running_steps()
RETURNS TABLE (instance_id text, node_id integer)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- (from the few running items to their rows by primary key, not a scan
    -- of the queue; at most 18 digits: any session can pick its name)
    WITH r(id) AS (
        SELECT w.running_item FROM df._worker_stats() AS w WHERE w.running_item IS NOT NULL
        UNION
        SELECT (regexp_match(a.application_name, '^dfc worker: item ([0-9]{1,18})$'))[1]::bigint
          FROM pg_catalog.pg_stat_activity a
         WHERE a.application_name ~ '^dfc worker: item [0-9]{1,18}$'
    )
    SELECT q.instance_id, q.state
      FROM r
     CROSS JOIN LATERAL (SELECT q.instance_id, q.state FROM df._queue q WHERE q.id = r.id) q
      JOIN df._instances i ON i.id = q.instance_id
     WHERE i.submitter = df._caller() OR df._is_superuser(df._caller())
$$;
COMMENT ON FUNCTION df.running_steps()
    IS 'instance and node of each step being run right now by a step worker, of the caller''s instances (all for superusers)';

-- A THEN node (x ~> y) is no state: its status is read from the states of
-- its subtree (the node list's "states": first and last), in df.nodes and
-- df.instance_nodes alike: running while a thread of the live instance is
-- at one of them or one is running, once one has run; pending while none
-- has run; else what the latest of them to change did: failed, or completed
-- (a df.break out of it, a race it lost, a retry that ran it again all end
-- so). Its result is the value of the name it is bound to, else the latest
-- result of its subtree (what the thread carried out of it); its error the
-- latest failure's.
CREATE OR REPLACE VIEW df.nodes WITH (security_barrier) AS
    SELECT (n.x ->> 'node')::integer AS id,
           i.id AS instance_id,
           n.x ->> 'type' AS node_type,
           n.x ->> 'query' AS query,
           n.x ->> 'bind' AS result_name,
           -- pg_durable's tree (left and right, compiled); a version compiled
           -- before dfc had it: the state graph (what runs next, the other way)
           CASE WHEN n.x ? 'left' THEN (n.x ->> 'left')::integer
                ELSE coalesce((n.x -> 'branches' ->> 0)::integer, (n.x ->> 'next')::integer)
           END AS left_node,
           CASE WHEN n.x ? 'right' THEN (n.x ->> 'right')::integer
                ELSE coalesce((n.x -> 'branches' ->> 1)::integer, (n.x ->> 'else_next')::integer)
           END AS right_node,
           CASE WHEN n.x ->> 'type' = 'THEN' THEN t.status
                WHEN (n.x ->> 'node')::integer = ANY (r.nodes) THEN 'running'
                ELSE coalesce(s.status, 'pending')
           END AS status,
           -- results are json, which may hold the escape \u0000 (a NUL, from a
           -- json value or a signal) that jsonb refuses (22P05, for every read
           -- of the view): such an escape (one not itself preceded by an escaped
           -- backslash) becomes the text \u0000; adjacent ones take two passes
           CASE WHEN strpos(o.result::text, '\u0000') = 0 THEN o.result::jsonb
                ELSE regexp_replace(regexp_replace(o.result::text, '(^|[^\\])((\\\\)*)\\u0000', '\1\2\\\\u0000', 'g'),
                                    '(^|[^\\])((\\\\)*)\\u0000', '\1\2\\\\u0000', 'g')::jsonb
           END AS result,
           CASE WHEN n.x ->> 'type' = 'THEN' THEN t.error ELSE s.error END AS error,
           i.submitted_by,
           i.created_at,
           coalesce(CASE WHEN n.x ->> 'type' = 'THEN' THEN t.updated_at ELSE s.updated_at END, i.created_at) AS updated_at
      FROM df.instances i   -- (its row filter: the current role's instances)
      JOIN df._versions v ON v.workflow = i.workflow AND v.version = i.version
     CROSS JOIN LATERAL jsonb_array_elements(v.nodes) AS n(x)
      LEFT JOIN df._node_states s ON s.instance_id = i.id AND s.node_id = (n.x ->> 'node')::integer
      LEFT JOIN (SELECT rs.instance_id, array_agg(rs.node_id) AS nodes FROM df.running_steps() AS rs GROUP BY rs.instance_id) AS r
             ON r.instance_id = i.id
      -- a THEN node (see above): from the states of its subtree
      LEFT JOIN LATERAL (
            SELECT CASE WHEN l.at IS NULL AND NOT l.running THEN 'pending'
                        WHEN i.status IN ('pending', 'running')
                             AND (l.running OR EXISTS (SELECT FROM df._queue q WHERE q.instance_id = i.id
                                                          AND q.state BETWEEN (n.x -> 'states' ->> 0)::integer
                                                                          AND (n.x -> 'states' ->> 1)::integer))
                        THEN 'running'
                        WHEN l.status = 'failed' THEN 'failed'
                        ELSE 'completed'
                   END AS status,
                   CASE WHEN l.status = 'failed' THEN l.error END AS error,
                   coalesce((SELECT rs.value FROM df._results rs
                              WHERE rs.instance_id = i.id AND rs.name = split_part(n.x ->> 'bind', ',', 1)),
                            l.result) AS result,
                   l.at AS updated_at
              FROM (SELECT max(ts.updated_at) AS at,
                           coalesce(bool_or(ts.status = 'running'), false)
                               OR EXISTS (SELECT FROM unnest(r.nodes) AS rn(node)
                                           WHERE rn.node BETWEEN (n.x -> 'states' ->> 0)::integer
                                                             AND (n.x -> 'states' ->> 1)::integer) AS running,
                           (array_agg(ts.status ORDER BY ts.updated_at DESC, ts.status = 'failed' DESC))[1] AS status,
                           (array_agg(ts.error ORDER BY ts.updated_at DESC) FILTER (WHERE ts.status = 'failed'))[1] AS error,
                           (array_agg(ts.result ORDER BY ts.updated_at DESC)
                               FILTER (WHERE ts.status = 'completed' AND ts.result IS NOT NULL))[1] AS result
                      FROM df._node_states ts
                     WHERE ts.instance_id = i.id
                       AND ts.node_id BETWEEN (n.x -> 'states' ->> 0)::integer AND (n.x -> 'states' ->> 1)::integer) AS l
             WHERE n.x ->> 'type' = 'THEN'
         ) AS t ON true
     CROSS JOIN LATERAL (SELECT CASE WHEN n.x ->> 'type' IS DISTINCT FROM 'THEN' THEN s.result
                                     WHEN t.status = 'completed' THEN t.result
                                END) AS o(result);
COMMENT ON VIEW df.nodes IS 'pg_durable''s node table: the nodes of the current role''s instances, with status and result';
-- (a first version of THEN nodes had their status computed by a function)
DO $$
BEGIN
    IF to_regprocedure('df._then_status(text[], text)') IS NOT NULL THEN    -- (quietly: no NOTICE on a fresh install)
        DROP FUNCTION df._then_status(text[], text);
    END IF;
END;
$$;

-- One line of df.explain: a node with its marker.
-- One node of df.explain's tree: the label lines before it (a join's
-- "║ branch 2:", an if's "✓ then:" / "✗ else:", a loop's "↻ body:", an
-- undo's "↩ undo:", each at its depth), then the node indented by its depth,
-- after "→ " when it follows another step of a sequence, with its marker.
CREATE OR REPLACE FUNCTION df._explain_line(p_node integer, p_status text, p_type text, p_query text,
                                            p_bind text, p_line integer, p_depth integer, p_arrow boolean,
                                            p_labels jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT string_agg('      ' || repeat('  ', (l ->> 'depth')::integer) || (l ->> 'text'), E'\n' ORDER BY o)
                       FROM jsonb_array_elements(p_labels) WITH ORDINALITY AS e(l, o)) || E'\n', '')
           || format('  %s %s%s%s %s%s', rpad(p_node::text, 3), repeat('  ', coalesce(p_depth, 0)),
                     CASE WHEN p_arrow THEN '→ ' ELSE '' END,
                     CASE p_status
                         WHEN 'completed' THEN '✓ Completed'
                         WHEN 'failed' THEN '✗ Failed   '
                         WHEN 'running' THEN '⏳ Running  '
                         WHEN 'skipped' THEN '○ Skipped  '
                         ELSE '○ Pending  '
                     END,
                     rpad(p_type, 14),
                     concat_ws(' ', left(regexp_replace(p_query, '\s+', ' ', 'g'), 60),
                               '|=> ' || replace(p_bind, ',', ' |=> '), '(line ' || p_line || ')'))
$$;
COMMENT ON FUNCTION df._explain_line(integer, text, text, text, text, integer, integer, boolean, jsonb)
    IS 'a node of df.explain''s tree: its label lines, then the node indented, its status marker, type, query, bind name and source line';

CREATE OR REPLACE FUNCTION df._explain_line(p_node integer, p_status text, p_type text, p_query text,
                                            p_bind text, p_line integer)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT df._explain_line(p_node, p_status, p_type, p_query, p_bind, p_line, 0, false, NULL) $$;
COMMENT ON FUNCTION df._explain_line(integer, text, text, text, text, integer) IS 'one line of df.explain: a node, its status marker, type, query, bind name and source line';

-- df.explain(id or workflow): the nodes of an instance with a status marker
-- each, or, given a workflow name (what script mode passes for
-- df.explain(<expression>)), those of its newest version as a dry run, all
-- pending. One line per node in source order (states are numbered so),
-- indented as the expression's tree (pg_durable's layout: labels for branches,
-- arms, loop bodies and undos, "→" between the steps of a sequence).
CREATE OR REPLACE FUNCTION df.explain(p_target text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_instance df._instances := df._visible_instance(p_target);
    v_version  df._versions;
    v_lines    text;
BEGIN
    IF v_instance.id IS NOT NULL THEN
        SELECT string_agg(df._explain_line(n.node_id, n.inferred_status, n.node_type, n.query, n.result_name, n.line,
                                           (x ->> 'depth')::integer, coalesce((x ->> 'arrow')::boolean, false), x -> 'labels'),
                          E'\n' ORDER BY n.node_id)
          INTO v_lines
          FROM df.instance_nodes(v_instance.id) AS n
          LEFT JOIN df._versions v ON v.workflow = v_instance.workflow AND v.version = v_instance.version
          LEFT JOIN LATERAL (SELECT y FROM jsonb_array_elements(v.nodes) AS y WHERE (y ->> 'node')::integer = n.node_id) AS w(x) ON true
         WHERE n.node_type <> 'THEN';   -- (a sequence shows as its steps, after "→")
        RETURN format('%s (version %s), instance %s: %s', v_instance.workflow, v_instance.version,
                      v_instance.id, v_instance.status)
               || coalesce(E'\n' || v_lines, '');
    END IF;

    SELECT v.* INTO v_version
      FROM df._versions v
     WHERE v.workflow = (SELECT df._workflow_named(p_target))
     ORDER BY v.seq DESC
     LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no instance or workflow "%"', p_target
            USING ERRCODE = 'no_data_found',
                  DETAIL = 'df.explain takes the id of one of your instances or the name of a deployed workflow.';
    END IF;
    SELECT string_agg(df._explain_line((x ->> 'node')::integer, 'pending', x ->> 'type', x ->> 'query',
                                       x ->> 'bind', (x ->> 'line')::integer,
                                       (x ->> 'depth')::integer, coalesce((x ->> 'arrow')::boolean, false), x -> 'labels'),
                      E'\n' ORDER BY (x ->> 'node')::integer)
      INTO v_lines
      FROM jsonb_array_elements(v_version.nodes) AS x
     WHERE x ->> 'type' <> 'THEN';
    RETURN format('%s (version %s), dry run', v_version.workflow, v_version.version)
           || coalesce(E'\n' || v_lines, '');
END;
$$;
COMMENT ON FUNCTION df.explain(text)
    IS 'the nodes of an instance with a status marker each, or of a workflow''s newest version (dry run), one line per node';

-- A dfc worker process reports itself (and, with p_threads NULL, that it
-- ends): df.stats counts it while it reports at least every 15 seconds.
CREATE OR REPLACE FUNCTION df._external_heartbeat(p_id text, p_threads integer, p_busy integer, p_started timestamptz,
                                                  p_steps bigint, p_failures bigint, p_steps_last_minute bigint,
                                                  p_last_step timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_threads IS NULL THEN
        DELETE FROM df._external_workers w WHERE w.id = p_id;
        RETURN;
    END IF;
    INSERT INTO df._external_workers AS w (id, threads, busy, started_at, steps, failures, steps_last_minute,
                                           last_step_at, heartbeat_at)
    VALUES (p_id, p_threads, p_busy, p_started, p_steps, p_failures, p_steps_last_minute, p_last_step, now())
    ON CONFLICT (id) DO UPDATE
       SET threads = excluded.threads, busy = excluded.busy, steps = excluded.steps, failures = excluded.failures,
           steps_last_minute = excluded.steps_last_minute, last_step_at = excluded.last_step_at,
           heartbeat_at = excluded.heartbeat_at;
    -- processes that ended without saying so
    DELETE FROM df._external_workers w WHERE w.heartbeat_at < now() - interval '1 hour';
END;
$$;
COMMENT ON FUNCTION df._external_heartbeat(text, integer, integer, timestamptz, bigint, bigint, bigint, timestamptz)
    IS 'a dfc worker process reports its step threads and figures (p_threads NULL: it ends)';

-- Observability: one row about this database's step workers and queue, for
-- monitoring (superusers; docs/operations.md shows what else a monitoring
-- role needs). Worker figures count since each worker started.
CREATE OR REPLACE VIEW df.stats AS
    WITH w AS (SELECT * FROM df._worker_stats()),
         -- dfc worker processes heard from in the last 15 seconds
         x AS (SELECT * FROM df._external_workers e WHERE e.heartbeat_at > now() - interval '15 seconds'),
         -- queue items a worker is running right now (as df.running_steps): not waiting for one
         r AS (SELECT w.running_item AS id FROM w WHERE w.running_item IS NOT NULL
               UNION ALL
               SELECT (regexp_match(a.application_name, '^dfc worker: item ([0-9]{1,18})$'))[1]::bigint
                 FROM pg_catalog.pg_stat_activity a
                WHERE a.application_name ~ '^dfc worker: item [0-9]{1,18}$')
    SELECT ((SELECT count(*) FROM w) + (SELECT coalesce(sum(x.threads), 0) FROM x))::integer AS workers,
           (SELECT s.setting::integer FROM pg_catalog.pg_settings s WHERE s.name = 'dfc.workers') AS workers_configured,
           ((SELECT count(*) FROM w WHERE w.running_item IS NOT NULL) + (SELECT coalesce(sum(x.busy), 0) FROM x))::integer
               AS workers_busy,
           (SELECT count(*) FROM df._queue q WHERE q.ready_at <= now() AND NOT EXISTS (SELECT FROM r WHERE r.id = q.id)) AS runnable,
           (SELECT count(*) FROM df._queue q WHERE q.ready_at > now()) AS waiting,
           (SELECT extract(epoch FROM now() - min(q.ready_at))::double precision
              FROM df._queue q WHERE q.ready_at <= now() AND NOT EXISTS (SELECT FROM r WHERE r.id = q.id)) AS oldest_runnable_s,
           (SELECT round((coalesce(sum(w.steps_last_minute), 0)
                          + (SELECT coalesce(sum(x.steps_last_minute), 0) FROM x)) / 60.0, 1) FROM w) AS steps_per_s,
           ((SELECT coalesce(sum(w.steps), 0) FROM w) + (SELECT coalesce(sum(x.steps), 0) FROM x))::bigint AS steps,
           ((SELECT coalesce(sum(w.failures), 0) FROM w) + (SELECT coalesce(sum(x.failures), 0) FROM x))::bigint AS failures,
           greatest((SELECT max(w.last_step_at) FROM w), (SELECT max(x.last_step_at) FROM x)) AS last_step_at,
           (SELECT count(*) FROM x)::integer AS external_workers;
COMMENT ON VIEW df.stats
    IS 'step workers running (in the server and dfc worker threads) and busy, runnable and waiting queue items, steps per second over the last minute, steps and failures since the workers started, dfc worker processes';

-- Instances of the caller (all of them for superusers), newest first, as
-- pg_durable lists them. The paginated form continues after the instance
-- whose id is after_cursor: pass the id of the last row of a page to get the
-- next one (keyset order: created_at, then id, both descending, so a page
-- never repeats or skips a row while instances are being started).
CREATE OR REPLACE FUNCTION df._list_instances(p_status text, p_limit integer, p_label text, p_after_cursor text)
RETURNS SETOF df.instances
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller oid := df._caller();
    v_all    boolean := df._is_superuser(df._caller());
    -- dfc.list_instances_max_limit (bgworker/dfc.c); 1000 without the library
    v_cap    integer := coalesce(nullif(current_setting('dfc.list_instances_max_limit', true), '')::integer, 1000);
    v_after  df._instances;
BEGIN
    IF p_status IS NOT NULL
       AND p_status NOT IN ('pending', 'running', 'completed', 'failed', 'cancelled') THEN
        RAISE EXCEPTION 'unknown instance status "%"', p_status
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use pending, running, completed, failed or cancelled, or NULL for every status.';
    END IF;
    IF p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'limit must be a positive number of rows, not %', coalesce(p_limit::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_limit > v_cap THEN
        RAISE EXCEPTION 'limit % is above the largest allowed, %', p_limit, v_cap
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Page through with after_cursor (the id of the last row of a page), or have an administrator raise dfc.list_instances_max_limit.';
    END IF;
    IF p_after_cursor IS NOT NULL THEN
        v_after := df._visible_instance(p_after_cursor);
        IF v_after.id IS NULL THEN
            RAISE EXCEPTION 'instance not found'
                USING ERRCODE = 'no_data_found',
                      DETAIL = format('after_cursor "%s" is not the id of an instance visible to you.', p_after_cursor),
                      HINT = 'Pass the id of the last row of the previous page.';
        END IF;
    END IF;
    RETURN QUERY
    SELECT i.id, i.workflow, i.version, i.label, i.status, pg_get_userbyid(i.submitter),
           i.created_at, i.updated_at, i.completed_at, i.error
      FROM df._instances i
     WHERE (i.submitter = v_caller OR v_all)
       AND (p_status IS NULL OR i.status = p_status)
       AND (p_label IS NULL OR i.label = p_label)
       AND (v_after.id IS NULL OR (i.created_at, i.id) < (v_after.created_at, v_after.id))
     ORDER BY i.created_at DESC, i.id DESC
     LIMIT p_limit;
END;
$$;
COMMENT ON FUNCTION df._list_instances(text, integer, text, text)
    IS 'df.list_instances, for the caller (its parameter names are those of pg_durable, "limit" a reserved word)';

CREATE OR REPLACE FUNCTION df.list_instances(status text, "limit" integer, label text, after_cursor text DEFAULT NULL)
RETURNS SETOF df.instances
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM df._list_instances(status, "limit", label, after_cursor) $$;
COMMENT ON FUNCTION df.list_instances(text, integer, text, text)
    IS 'the caller''s instances, newest first, filtered by status and label, a page at a time (after_cursor: the last id of the previous page)';

CREATE OR REPLACE FUNCTION df.list_instances(status text DEFAULT NULL, "limit" integer DEFAULT 100)
RETURNS SETOF df.instances
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM df._list_instances(status, "limit", NULL, NULL) $$;
COMMENT ON FUNCTION df.list_instances(text, integer)
    IS 'the caller''s instances, newest first, optionally of one status; at most limit rows (default 100)';

-- An earlier runtime's df.instance_nodes has no inferred_status or attempts column:
-- changing its result needs a DROP, after which the roles that could execute
-- it get that back (below).
DO $$
BEGIN
    IF to_regprocedure('df.instance_nodes(text)') IS NOT NULL
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_proc p
                        WHERE p.oid = to_regprocedure('df.instance_nodes(text)')
                          AND 'attempts' = ANY (p.proargnames)) THEN
        CREATE TEMP TABLE dfc_instance_nodes_grants AS
        SELECT a.grantee, a.is_grantable
          FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) AS a
         WHERE p.oid = to_regprocedure('df.instance_nodes(text)')
           AND a.privilege_type = 'EXECUTE' AND a.grantee NOT IN (0, p.proowner);
        DROP FUNCTION df.instance_nodes(text);
    END IF;
END;
$$;

-- inferred_status: status, except that a node that has not run and can no
-- longer run is "skipped": an arm an if did not take, what follows a failed
-- step, the branches of a race another branch won, everything left when the
-- instance ended. A node can still run when a thread of the instance (a
-- queue item) is at it or can reach it through next, else_next and branches.
CREATE OR REPLACE FUNCTION df.instance_nodes(p_id text)
RETURNS TABLE (node_id integer, node_type text, query text, result_name text, status text,
               result json, updated_at timestamptz, line integer, error jsonb, inferred_status text,
               attempts integer)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE i AS (
        SELECT * FROM df._visible_instance(p_id) AS i WHERE i.id IS NOT NULL
    ), n AS (
        SELECT (x ->> 'node')::integer AS node, x
          FROM i
          JOIN df._versions v ON v.workflow = i.workflow AND v.version = i.version
         CROSS JOIN LATERAL jsonb_array_elements(v.nodes) AS x
    ), reachable(node) AS (
        SELECT q.state
          FROM i JOIN df._queue q ON q.instance_id = i.id
         WHERE i.status IN ('pending', 'running')
        UNION
        SELECT e.node
          FROM reachable r
          JOIN n ON n.node = r.node
         CROSS JOIN LATERAL (
                SELECT (n.x ->> 'next')::integer
                UNION ALL SELECT (n.x ->> 'else_next')::integer
                UNION ALL SELECT b::integer
                            FROM jsonb_array_elements_text(CASE jsonb_typeof(n.x -> 'branches')
                                                               WHEN 'array' THEN n.x -> 'branches' ELSE '[]' END) AS b
             ) AS e(node)
         WHERE e.node IS NOT NULL
    ), running(node) AS (
        SELECT r.node_id FROM i JOIN df.running_steps() AS r ON r.instance_id = i.id
    ), base(node, type, query, bind, status, result, updated_at, line, error, inferred, attempts) AS (
        SELECT n.node, n.x ->> 'type', n.x ->> 'query', n.x ->> 'bind',
               CASE WHEN EXISTS (SELECT FROM running r WHERE r.node = n.node) THEN 'running'
                    ELSE coalesce(s.status, 'pending')
               END,
               s.result, s.updated_at, (n.x ->> 'line')::integer, s.error,
               CASE WHEN EXISTS (SELECT FROM running r WHERE r.node = n.node) THEN 'running'
                    WHEN s.status IS NULL AND NOT EXISTS (SELECT FROM reachable r WHERE r.node = n.node)
                    THEN 'skipped'
                    ELSE coalesce(s.status, 'pending')
               END,
               s.attempts
          FROM i
         CROSS JOIN n
          LEFT JOIN df._node_states s ON s.instance_id = i.id AND s.node_id = n.node
         WHERE n.x ->> 'type' IS DISTINCT FROM 'THEN'
    )
    SELECT * FROM base
    UNION ALL
    -- THEN nodes (x ~> y), from the states of their subtree (see df.nodes);
    -- skipped when its first state is
    SELECT n.node, 'THEN', NULL, n.x ->> 'bind', t.status,
           CASE WHEN t.status = 'completed' THEN t.result END, t.updated_at, (n.x ->> 'line')::integer,
           CASE WHEN t.status = 'failed' THEN t.error END,
           CASE WHEN t.status = 'pending' AND t.first_inferred = 'skipped' THEN 'skipped' ELSE t.status END,
           NULL
      FROM i
     CROSS JOIN n
     CROSS JOIN LATERAL (
            SELECT CASE WHEN NOT l.started THEN 'pending'
                        WHEN l.active THEN 'running'
                        WHEN l.status = 'failed' THEN 'failed'
                        ELSE 'completed'
                   END AS status,
                   l.error,
                   coalesce((SELECT rs.value FROM df._results rs
                              WHERE rs.instance_id = i.id AND rs.name = split_part(n.x ->> 'bind', ',', 1)),
                            l.result) AS result,
                   l.at AS updated_at,
                   l.first_inferred
              FROM (SELECT max(b.updated_at) AS at, bool_or(b.status <> 'pending') AS started,
                           i.status IN ('pending', 'running')
                               AND (bool_or(b.status = 'running')
                                    OR EXISTS (SELECT FROM df._queue q WHERE q.instance_id = i.id
                                                  AND q.state BETWEEN (n.x -> 'states' ->> 0)::integer AND (n.x -> 'states' ->> 1)::integer))
                               AS active,
                           (array_agg(b.status ORDER BY b.updated_at DESC NULLS LAST, b.status = 'failed' DESC)
                               FILTER (WHERE b.status <> 'pending'))[1] AS status,
                           (array_agg(b.error ORDER BY b.updated_at DESC) FILTER (WHERE b.status = 'failed'))[1] AS error,
                           (array_agg(b.result ORDER BY b.updated_at DESC)
                               FILTER (WHERE b.status = 'completed' AND b.result IS NOT NULL))[1] AS result,
                           (array_agg(b.inferred ORDER BY b.node))[1] AS first_inferred
                      FROM base b
                     WHERE b.node BETWEEN (n.x -> 'states' ->> 0)::integer AND (n.x -> 'states' ->> 1)::integer) AS l
         ) AS t
     WHERE n.x ->> 'type' = 'THEN'
     ORDER BY 1
$$;
COMMENT ON FUNCTION df.instance_nodes(text)
    IS 'one row per node of an instance: type, query, bind name, status, result, source line, error, inferred status, and a df.retry''s attempts';

DO $$
DECLARE
    v_grant record;
BEGIN
    IF to_regclass('pg_temp.dfc_instance_nodes_grants') IS NOT NULL THEN
        FOR v_grant IN SELECT * FROM pg_temp.dfc_instance_nodes_grants LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION df.instance_nodes(text) TO %s%s', v_grant.grantee::regrole,
                           CASE WHEN v_grant.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
        END LOOP;
        DROP TABLE pg_temp.dfc_instance_nodes_grants;
    END IF;
END;
$$;
