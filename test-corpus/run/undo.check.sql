SELECT df.start('undo_on_failure') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'undo_on_failure: ' || df.status(:'id'));
SELECT pg_temp.expect(error ->> 'sqlstate' = '22012', 'error ' || error::text) FROM df.instances WHERE id = :'id';
SELECT pg_temp.expect((SELECT string_agg(regexp_replace(what, '[0-9]+', 'N'), ',' ORDER BY id) FROM undo_log)
                      = 'reserve,charge,refund N,release N',
                      'log: ' || (SELECT string_agg(what, ',' ORDER BY id) FROM undo_log));
SELECT pg_temp.expect((SELECT what FROM undo_log WHERE what LIKE 'refund%') = 'refund ' || (SELECT id FROM undo_log WHERE what = 'charge'),
                      'refund names the charge');

TRUNCATE undo_log;
SELECT df.start('undo_not_needed') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'undo_not_needed: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '{"rows":[{"v":6}],"row_count":1}', 'result ' || df.result(:'id'));
SELECT pg_temp.expect(NOT EXISTS (SELECT FROM undo_log), 'an undo ran');
SELECT pg_temp.expect(inferred_status = 'skipped', 'undo node: ' || inferred_status)
  FROM df.instance_nodes(:'id') WHERE node_id = 3;

SELECT df.start('undo_failing') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'undo_failing: ' || df.status(:'id'));
SELECT pg_temp.expect(error ->> 'sqlstate' = '42883', 'error ' || error::text) FROM df.instances WHERE id = :'id';
SELECT pg_temp.expect((SELECT string_agg(what, ',') FROM undo_log) = 'first registered', 'log: ' || (SELECT string_agg(what, ',') FROM undo_log));
SELECT pg_temp.expect(status = 'failed' AND error ->> 'sqlstate' = '22012', format('failing undo: %s %s', status, error))
  FROM df.instance_nodes(:'id') WHERE query = 'SELECT 1 / 0';
