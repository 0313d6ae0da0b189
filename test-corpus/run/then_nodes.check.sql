-- t(id) -> the instance's nodes as 'node:type:left:right:status/inferred' (instance_nodes joined with df.nodes)
CREATE FUNCTION pg_temp.t(p_id text) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(n.node_id || ':' || n.node_type || ':' || coalesce(d.left_node::text, '-') || ':'
                      || coalesce(d.right_node::text, '-') || ':' || n.status || '/' || n.inferred_status
                      || CASE WHEN d.status IS DISTINCT FROM n.status THEN ' (df.nodes: ' || d.status || ')' ELSE '' END,
                      ' ' ORDER BY n.node_id)
      FROM df.instance_nodes(p_id) n
      LEFT JOIN df.nodes d ON d.instance_id = p_id AND d.id = n.node_id
$$;

-- a completed sequence: every THEN completed, with the last step's result and a bound name
SELECT df.start('then_nodes_done') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'done: status ' || df.status(:'id'));
SELECT pg_temp.expect(pg_temp.t(:'id') = '1:SQL:-:-:completed/completed 2:SQL:-:-:completed/completed '
                      || '3:JOIN:4:5:completed/completed 4:SQL:-:-:completed/completed 5:SQL:-:-:completed/completed '
                      || '6:THEN:1:2:completed/completed 7:THEN:6:3:completed/completed',
                      'done: ' || pg_temp.t(:'id'));
SELECT pg_temp.expect(result_name = 'pair' AND result -> 'rows' -> 0 ->> 'b' = '2' AND line = 4,
                      'done: THEN 6 ' || row_to_json(n)::text)
  FROM df.instance_nodes(:'id') n WHERE node_id = 6;
SELECT pg_temp.expect(result_name = 'pair' AND result -> 'rows' -> 0 ->> 'b' = '2' AND query IS NULL AND error IS NULL,
                      'done: df.nodes THEN 6 ' || row_to_json(n)::text)
  FROM df.nodes n WHERE instance_id = :'id' AND id = 6;
SELECT pg_temp.expect(jsonb_array_length(result) = 2, 'done: THEN 7 has the join''s result ' || result::text)
  FROM df.nodes WHERE instance_id = :'id' AND id = 7;
-- df.explain shows a sequence as its steps after "→", not as THEN lines
SELECT pg_temp.expect(df.explain(:'id') NOT LIKE '%THEN%' AND df.explain(:'id') LIKE '%→ ✓ Completed SQL           SELECT 2 AS b%',
                      'done: explain ' || df.explain(:'id'));
SELECT pg_temp.expect(df.explain('then_nodes_done') NOT LIKE '%THEN%', 'done: dry run ' || df.explain('then_nodes_done'));

-- a failed step fails the THENs above it, with its error; what follows is skipped
SELECT df.start('then_nodes_fail') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'fail: status ' || df.status(:'id'));
SELECT pg_temp.expect(pg_temp.t(:'id') = '1:SQL:-:-:completed/completed 2:SQL:-:-:failed/failed 3:SQL:-:-:pending/skipped '
                      || '4:THEN:1:2:failed/failed 5:THEN:4:3:failed/failed',
                      'fail: ' || pg_temp.t(:'id'));
SELECT pg_temp.expect(error ->> 'sqlstate' = '22012' AND result IS NULL, 'fail: THEN 5 ' || row_to_json(n)::text)
  FROM df.nodes n WHERE instance_id = :'id' AND id = 5;

-- the if's arms are its left and right: the arm not taken is a skipped THEN
SELECT df.start('then_nodes_arms') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'arms: status ' || df.status(:'id'));
SELECT pg_temp.expect(pg_temp.t(:'id') = '1:IF:6:7:completed/completed 2:SQL:-:-:pending/skipped 3:SQL:-:-:pending/skipped '
                      || '4:SQL:-:-:completed/completed 5:SQL:-:-:completed/completed '
                      || '6:THEN:2:3:pending/skipped 7:THEN:4:5:completed/completed',
                      'arms: ' || pg_temp.t(:'id'));

-- while the instance waits in the middle of a sequence, its THENs are running
SELECT df.start('then_nodes_waiting') AS id \gset
SELECT pg_temp.wait_until(format($$SELECT status = 'running' FROM df.instance_nodes(%L) WHERE node_id = 2$$, :'id'),
                          'waiting: the signal wait did not start');
SELECT pg_temp.expect(pg_temp.t(:'id') = '1:SQL:-:-:completed/completed 2:SIGNAL:-:-:running/running 3:SQL:-:-:pending/pending '
                      || '4:THEN:1:2:running/running 5:THEN:4:3:running/running',
                      'waiting: ' || pg_temp.t(:'id'));
SELECT df.signal(:'id', 'go');
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'waiting: status after the signal ' || df.status(:'id'));
SELECT pg_temp.expect(pg_temp.t(:'id') LIKE '%4:THEN:1:2:completed/completed 5:THEN:4:3:completed/completed',
                      'waiting: after the signal ' || pg_temp.t(:'id'));

-- a df.break out of the middle of a sequence: once the instance completed, that THEN did too
SELECT df.start('then_nodes_break') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'break: status ' || df.status(:'id'));
SELECT pg_temp.expect(pg_temp.t(:'id') = '1:SQL:-:-:completed/completed 2:IF:3:-:completed/completed 3:BREAK:-:-:completed/completed '
                      || '4:SQL:-:-:pending/skipped 5:THEN:1:2:completed/completed 6:THEN:5:4:completed/completed',
                      'break: ' || pg_temp.t(:'id'));

-- the last part is an if whose arm fails: the THEN fails with the arm's error
SELECT df.start('then_nodes_arm_fails') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'arm_fails: status ' || df.status(:'id'));
SELECT pg_temp.expect(pg_temp.t(:'id') = '1:SQL:-:-:completed/completed 2:IF:3:-:completed/completed 3:SQL:-:-:failed/failed '
                      || '4:THEN:1:2:failed/failed', 'arm_fails: ' || pg_temp.t(:'id'));
SELECT pg_temp.expect(error ->> 'sqlstate' = '22012', 'arm_fails: THEN error ' || coalesce(error::text, 'NULL'))
  FROM df.nodes WHERE instance_id = :'id' AND id = 4;

-- ... whose arm waits: the THEN is running until the arm is done, then has the arm's result
SELECT df.start('then_nodes_arm_waits') AS id \gset
SELECT pg_temp.wait_until(format($$SELECT status = 'running' FROM df.instance_nodes(%L) WHERE node_id = 3$$, :'id'),
                          'arm_waits: the signal wait did not start');
SELECT pg_temp.expect(pg_temp.t(:'id') LIKE '%4:THEN:1:2:running/running', 'arm_waits: ' || pg_temp.t(:'id'));
SELECT df.signal(:'id', 'then_go', '{"n": 7}');
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'arm_waits: status ' || df.status(:'id'));
SELECT pg_temp.expect(status = 'completed' AND result ->> 'signal_name' = 'then_go', 'arm_waits: THEN ' || row_to_json(n)::text)
  FROM df.nodes n WHERE instance_id = :'id' AND id = 4;

-- a bound composite if: its THEN's result is what the name got
SELECT df.start('then_nodes_bound_if') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'bound_if: status ' || df.status(:'id'));
SELECT pg_temp.expect(string_agg(node_id || ':' || coalesce(result_name, '-') || ':' || (result -> 'rows' -> 0)::text, ' ' ORDER BY node_id)
                      = '6:-:{"?column?":true} 7:r:{"five":5} 8:-:{"r":5}',
                      'bound_if: ' || string_agg(node_id || ':' || coalesce(result_name, '-') || ':' || coalesce((result -> 'rows' -> 0)::text, result::text, 'NULL'), ' ' ORDER BY node_id))
  FROM df.instance_nodes(:'id') WHERE node_type = 'THEN';

-- a sequence run again by its retry: completed with the last run's result
SELECT df.start('then_nodes_retry') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'retry: status ' || df.status(:'id'));
SELECT pg_temp.expect(status = 'completed' AND result -> 'rows' -> 0 ->> 'x' = '1', 'retry: THEN ' || row_to_json(n)::text)
  FROM df.instance_nodes(:'id') n WHERE node_type = 'THEN';

-- a race: the winner's THEN completed with its result, the loser's cancelled or skipped
SELECT df.start('then_nodes_race') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'race: status ' || df.status(:'id'));
SELECT pg_temp.expect(pg_temp.t(:'id') ~ ('^1:RACE:6:7:completed/completed 2:SQL:-:-:completed/completed 3:SQL:-:-:completed/completed '
                                          || '4:SLEEP:-:-:(failed/failed|pending/skipped) 5:SQL:-:-:pending/skipped '
                                          || '6:THEN:2:3:completed/completed 7:THEN:4:5:(failed/failed|pending/skipped)$'),
                      'race: ' || pg_temp.t(:'id'));
SELECT pg_temp.expect(result -> 'rows' -> 0 ->> 'fast2' = '2', 'race: winner THEN ' || row_to_json(n)::text)
  FROM df.nodes n WHERE instance_id = :'id' AND id = 6;
