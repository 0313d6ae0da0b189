SELECT df.start('timeout_expires') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'timeout_expires: ' || df.status(:'id'));
SELECT pg_temp.expect(error ->> 'message' = 'timed out after 1 s' AND error ->> 'sqlstate' = '57014', 'error ' || error::text)
  FROM df.instances WHERE id = :'id';
SELECT pg_temp.expect(node_type = 'TIMEOUT' AND status = 'failed', format('timeout node: %s %s', node_type, status))
  FROM df.instance_nodes(:'id') WHERE node_id = 1;
SELECT pg_temp.expect(status = 'failed' AND error ->> 'message' = 'cancelled', format('signal wait: %s %s', status, error))
  FROM df.instance_nodes(:'id') WHERE node_id = 2;
SELECT pg_temp.expect(NOT EXISTS (SELECT FROM timeout_after), 'a step after the wait ran');
SELECT pg_temp.expect(NOT EXISTS (SELECT FROM df._queue WHERE instance_id = :'id'), 'threads left');

SELECT df.start('timeout_in_time') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'timeout_in_time: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '{"rows":[{"v":14}],"row_count":1}', 'result ' || df.result(:'id'));

SELECT df.start('timeout_running_sql') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'timeout_running_sql: ' || df.status(:'id'));
SELECT pg_temp.expect(error ->> 'message' = 'timed out after 1 s', 'error ' || error::text)
  FROM df.instances WHERE id = :'id';
SELECT pg_temp.wait_until(format('SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE query LIKE %L AND backend_type <> %L)',
                                 '%pg_sleep(60)%', 'client backend'), 'the step still sleeps');

SELECT df.start('timeout_retried') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'timeout_retried: ' || df.status(:'id')
                      || ' nodes ' || (SELECT string_agg(n.node_id || ':' || n.status || ':' || coalesce(n.attempts::text, '') || ':' || coalesce(n.error::text, ''), ' ') FROM df.instance_nodes(:'id') n)
                      || ' queue ' || coalesce((SELECT string_agg(q.id || ':' || q.state || ':' || coalesce(q.waiting, '') || ':' || q.ready_at || ':' || coalesce(q.parent_id::text, ''), ' ') FROM df._queue q WHERE q.instance_id = :'id'), 'none'));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '{"rows":[{"runs":2}],"row_count":1}', 'result ' || df.result(:'id'));
