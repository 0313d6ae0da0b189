CREATE TEMP TABLE runs AS
    SELECT c.id, c.v, c.expected, df.start('if_truthiness', args => jsonb_build_object('id', c.id)) AS inst
      FROM (SELECT id, v, expected FROM if_truth_cases UNION ALL SELECT 99, NULL, false) c;
SELECT pg_temp.expect(bool_and(df.await_instance(inst, 30) = 'completed'), 'not all completed') FROM runs;
SELECT pg_temp.expect(bool_and((df.result(inst)::jsonb->'rows'->0->>'taken')::boolean = expected),
                      'wrong arm for: ' || string_agg(coalesce(v::text, 'NULL') || ' (id ' || id || ')', ', ')
                          FILTER (WHERE (df.result(inst)::jsonb->'rows'->0->>'taken')::boolean IS DISTINCT FROM expected))
  FROM runs;

SELECT df.start('if_native', args => '{"b": true, "n": 0, "t": "no"}') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'if_native: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb->'rows'->0->>'bits' = '1000', 'bits ' || df.result(:'id'));
SELECT df.start('if_native', args => '{"b": false, "n": -3, "t": "yes"}') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'if_native: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb->'rows'->0->>'bits' = '0110', 'bits ' || df.result(:'id'));

SELECT df.start('if_no_else') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'if_no_else: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb->'rows'->0->>'step' = 'after', 'result ' || df.result(:'id'));
SELECT pg_temp.expect(count(*) = 0, 'the then arm ran') FROM if_no_else_log;

SELECT df.start('if_no_else_bind') AS id \gset
-- awaited and read in one statement: df.result reads what committed during the wait
SELECT pg_temp.expect(s = 'completed' AND r::jsonb->'rows'->0->>'r_is_null' = 'true', 'if_no_else_bind: ' || s || ' ' || coalesce(r, 'NULL'))
  FROM (SELECT df.await_instance(:'id', 30) AS s, df.result(:'id') AS r OFFSET 0) x;
SELECT df.start('if_no_else_last') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'if_no_else_last: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id') = 'null', 'result ' || coalesce(df.result(:'id'), 'NULL'));

-- conditions of several nodes
SELECT df.start('if_cond_bound') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'if_cond_bound: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb->'rows'->0->>'had' = 'true', 'if_cond_bound ' || df.result(:'id'));
SELECT pg_temp.expect((SELECT string_agg(node_id || ' ' || node_type || ' ' || status || ' ' || coalesce(result::text, '-'), '; ' ORDER BY node_id)
                         FROM df.instance_nodes(:'id'))
                      = '1 SQL completed {"rows":[{"big":true,"second":false}],"row_count":1}; 2 IF completed {"truthy" : true}; 3 SQL completed {"rows":[{"had":true}],"row_count":1}; 4 SQL pending -; 5 THEN completed {"rows":[{"had":true}],"row_count":1}',
                      'nodes: ' || (SELECT string_agg(node_id || ' ' || node_type || ' ' || status || ' ' || coalesce(result::text, '-'), '; ' ORDER BY node_id)
                                      FROM df.instance_nodes(:'id')));
SELECT df.start('if_cond_numeric_zero') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'if_cond_numeric_zero: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb->'rows'->0->>'arm' = 'else', 'if_cond_numeric_zero ' || df.result(:'id'));
SELECT df.start('if_cond_sequence') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'if_cond_sequence: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb->'rows'->0->>'r_is_null' = 'true', 'if_cond_sequence ' || df.result(:'id'));
SELECT df.start('if_cond_signal') AS id \gset
SELECT pg_temp.wait_until(format('SELECT EXISTS (SELECT FROM df.instance_nodes(%L) WHERE node_type = %L AND status = %L)', :'id', 'SIGNAL', 'running'),
                          'the signal wait did not start');
SELECT df.signal(:'id', 'go', '{"ok": true}');
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'if_cond_signal: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb->'rows'->0->>'arm' = 'signalled', 'if_cond_signal ' || df.result(:'id'));
SELECT df.start('if_cond_break') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'if_cond_break: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb->'rows'->0->>'arm' = 'else', 'if_cond_break ' || df.result(:'id'));
