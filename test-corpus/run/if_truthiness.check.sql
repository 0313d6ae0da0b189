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
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'if_no_else_bind: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb->'rows'->0->>'r_is_null' = 'true', 'bound ' || df.result(:'id'));
SELECT df.start('if_no_else_last') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'if_no_else_last: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id') IS NULL, 'result ' || coalesce(df.result(:'id'), 'NULL'));
