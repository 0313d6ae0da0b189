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

-- 40 instances: every x that committed is undone, exactly once
SELECT df.start('undo_join_failure', 'undo-join', args => jsonb_build_object('k', k)) FROM generate_series(1, 40) k;
SELECT pg_temp.wait_until('SELECT count(*) = 0 FROM df.instances WHERE label = ''undo-join'' AND status IN (''pending'', ''running'')',
                          'the undo_join_failure instances did not end', 60);
SELECT pg_temp.expect((SELECT count(*) FROM df.instances WHERE label = 'undo-join' AND status = 'failed' AND error ->> 'sqlstate' = '22012') = 40,
                      'not all failed with 22012: ' || (SELECT string_agg(DISTINCT status || ' ' || coalesce(error::text, ''), '; ') FROM df.instances WHERE label = 'undo-join'));
SELECT pg_temp.expect((SELECT count(*) FROM undo_join d WHERE d.what = 'done'
                        AND (SELECT count(*) FROM undo_join u WHERE u.k = d.k AND u.what = 'undone') <> 1) = 0,
                      'done without exactly one undo: ' || (SELECT string_agg(d.k::text || ' ' || i.id || ' ' || i.status || ' '
                                 || (SELECT string_agg(n.node_id || ':' || n.status || ':' || coalesce(n.error::text, ''), ' ') FROM df.instance_nodes(i.id) n), '; ')
                          FROM undo_join d JOIN df._results r ON r.name = 'k' AND (r.value -> 'rows' -> 0 ->> 'k')::int = d.k
                          JOIN df.instances i ON i.id = r.instance_id AND i.label = 'undo-join'
                         WHERE d.what = 'done' AND (SELECT count(*) FROM undo_join u WHERE u.k = d.k AND u.what = 'undone') <> 1));
SELECT pg_temp.expect((SELECT count(*) FROM undo_join u WHERE u.what = 'undone'
                        AND NOT EXISTS (SELECT FROM undo_join d WHERE d.k = u.k AND d.what = 'done')) = 0, 'undone without done');
SELECT pg_temp.expect(NOT EXISTS (SELECT FROM df._queue q JOIN df.instances i ON i.id = q.instance_id WHERE i.label = 'undo-join'), 'threads left');

SELECT df.start('undo_bind_shape') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'undo_bind_shape: ' || df.status(:'id') || ' ' || coalesce((SELECT error::text FROM df.instances WHERE id = :'id'), ''));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '{"rows":[{"a":1}],"row_count":1}', 'result ' || df.result(:'id'));
