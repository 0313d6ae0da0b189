-- n(id, query prefix) -> 'status/inferred_status' of the node whose query starts so (or whose type is it)
CREATE FUNCTION pg_temp.n(p_id text, p_what text) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(status || '/' || inferred_status, ',' ORDER BY node_id)
      FROM df.instance_nodes(p_id) WHERE query LIKE p_what || '%' OR node_type = p_what
$$;

SELECT df.start('inferred_if') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'if: status ' || df.status(:'id'));
SELECT pg_temp.expect(pg_temp.n(:'id', 'SELECT 1 AS taken_if_true') = 'pending/skipped', 'if: arm not taken ' || pg_temp.n(:'id', 'SELECT 1 AS taken_if_true'));
SELECT pg_temp.expect(pg_temp.n(:'id', 'SELECT 2 AS taken_if_false') = 'completed/completed', 'if: arm taken ' || pg_temp.n(:'id', 'SELECT 2 AS taken_if_false'));
-- the same nodes in pg_durable's df.nodes view: the if's condition leads left to the then-arm, right to the else-arm
SELECT pg_temp.expect(string_agg(id || ':' || node_type || ':' || coalesce(left_node::text, '-') || ':' || coalesce(right_node::text, '-') || ':' || status,
                                 ' ' ORDER BY id) = '1:IF:2:3:completed 2:SQL:-:-:pending 3:SQL:-:-:completed',
                      'df.nodes: ' || string_agg(id || ':' || node_type || ':' || coalesce(left_node::text, '-') || ':' || coalesce(right_node::text, '-') || ':' || status, ' ' ORDER BY id))
  FROM df.nodes WHERE instance_id = :'id';
SELECT pg_temp.expect(result ->> 'row_count' = '1' AND submitted_by = current_user::text AND created_at <= updated_at, 'df.nodes row ' || row_to_json(n)::text)
  FROM df.nodes n WHERE instance_id = :'id' AND id = 3;

SELECT df.start('inferred_fail') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'fail: status ' || df.status(:'id'));
SELECT pg_temp.expect(pg_temp.n(:'id', 'SELECT 1 / 0') = 'failed/failed', 'fail: failed node ' || pg_temp.n(:'id', 'SELECT 1 / 0'));
SELECT pg_temp.expect(pg_temp.n(:'id', 'SELECT 3') = 'pending/skipped', 'fail: after the failure ' || pg_temp.n(:'id', 'SELECT 3'));

SELECT df.start('inferred_race') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'race: status ' || df.status(:'id'));
SELECT pg_temp.expect(pg_temp.n(:'id', 'SELECT 1 AS fast') = 'completed/completed', 'race: winner ' || pg_temp.n(:'id', 'SELECT 1 AS fast'));
-- (the losing branch's sleep was either parked and cancelled, or never started)
SELECT pg_temp.expect(pg_temp.n(:'id', 'SLEEP') IN ('failed/failed', 'pending/skipped'), 'race: loser ' || pg_temp.n(:'id', 'SLEEP'));
SELECT pg_temp.expect(pg_temp.n(:'id', 'SELECT 2 AS slow') = 'pending/skipped', 'race: loser never ran ' || pg_temp.n(:'id', 'SELECT 2 AS slow'));

-- while an instance waits, what it can still reach stays pending
SELECT df.start('inferred_waiting') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 0.5) = 'running', 'waiting: status ' || df.status(:'id'));
SELECT pg_temp.expect(string_agg(inferred_status, ',' ORDER BY node_id) = 'running,pending,pending,pending,running',
                      'waiting: ' || string_agg(node_type || ':' || inferred_status, ',' ORDER BY node_id))
  FROM df.instance_nodes(:'id');
SELECT df.signal(:'id', 'go');
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'waiting: status after the signal ' || df.status(:'id'));
SELECT pg_temp.expect(pg_temp.n(:'id', 'SELECT 2 AS no') = 'pending/skipped' AND pg_temp.n(:'id', 'SELECT 1 AS yes') = 'completed/completed',
                      'waiting: arms ' || pg_temp.n(:'id', 'SELECT 1 AS yes') || ' ' || pg_temp.n(:'id', 'SELECT 2 AS no'));

-- df.explain: the nodes as a tree (arms labelled, steps of a sequence after an arrow) with a marker
-- each; a workflow name gives a dry run; anything else is not found
SELECT df.start('inferred_if') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'explain: status ' || df.status(:'id'));
SELECT pg_temp.expect(e LIKE 'inferred_if (version %), instance ' || :'id' || ': completed%'
                      AND e LIKE '%1   ✓ Completed IF%' AND e LIKE '%      ✓ then:' || E'\n' || '  2       ○ Skipped   SQL           SELECT 1 AS taken_if_true%'
                      AND e LIKE '%      ✗ else:' || E'\n' || '  3       ✓ Completed SQL%', 'explain:' || E'\n' || e)
  FROM (SELECT df.explain(:'id') AS e) x;
SELECT pg_temp.expect(e LIKE 'inferred_fail (version %), dry run%' AND e LIKE '%3   → ○ Pending   SQL           SELECT 3 AS after_failure%'
                      AND array_length(string_to_array(e, E'\n'), 1) = 4, 'explain dry run:' || E'\n' || e)
  FROM (SELECT df.explain('inferred_fail') AS e) x;
DO $$ BEGIN PERFORM df.explain('no_such_workflow'); RAISE EXCEPTION 'df.explain of nothing did not fail';
      EXCEPTION WHEN no_data_found THEN NULL; END $$;

SELECT df.start('inferred_running') AS id \gset
-- (df.nodes, pg_durable's view, too)
SELECT pg_temp.wait_until(format($$SELECT (SELECT status = 'running' AND inferred_status = 'running' FROM df.instance_nodes(%L) WHERE node_id = 2)
                                      AND (SELECT status = 'running' FROM df.nodes WHERE instance_id = %L AND id = 2)$$, :'id', :'id'),
                          'the sleeping step never showed as running');
SELECT pg_temp.expect(string_agg(node_id || ':' || status, ' ' ORDER BY node_id) = '1:completed 2:running 3:pending 4:running 5:running',
                      'nodes ' || string_agg(node_id || ':' || status, ' ' ORDER BY node_id))
  FROM df.instance_nodes(:'id');
SELECT pg_temp.expect(df.explain(:'id') LIKE '%⏳ Running%', 'explain ' || df.explain(:'id'));
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'inferred_running: ' || df.status(:'id'));
SELECT pg_temp.expect(string_agg(node_id || ':' || status, ' ' ORDER BY node_id) = '1:completed 2:completed 3:completed 4:completed 5:completed',
                      'nodes ' || string_agg(node_id || ':' || status, ' ' ORDER BY node_id))
  FROM df.instance_nodes(:'id');

-- df.nodes keeps working when a result holds \u0000: that escape shows as the text \u0000
SELECT df.start('inferred_nul') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'inferred_nul: ' || df.status(:'id'));
SELECT pg_temp.expect(result -> 'rows' -> 0 -> 'j' = '{"a": "x\\u0000y", "b": "\\u0000"}'::jsonb, 'df.nodes result ' || result::text)
  FROM df.nodes WHERE instance_id = :'id' AND id = 1;
SELECT pg_temp.expect(count(*) > 0, 'df.nodes unreadable') FROM df.nodes;
