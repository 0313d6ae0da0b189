SELECT df.start('join_names') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'join_names did not complete');
SELECT pg_temp.expect(df.result(:'id')::jsonb->'rows'->0->>'answer' = '42', 'result ' || df.result(:'id'));

SELECT df.start('join_failing') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'join_failing: ' || df.status(:'id'));
SELECT pg_temp.expect(error->>'sqlstate' = '22012', 'error ' || error::text) FROM df.instances WHERE id = :'id';
-- the sibling was cancelled: it did not sleep its 30 s, nothing of it is left, its next step never ran
SELECT pg_temp.expect(completed_at - created_at < interval '20 seconds', 'took ' || (completed_at - created_at))
  FROM df.instances WHERE id = :'id';
SELECT pg_temp.expect(count(*) = 0, count(*) || ' queue items left') FROM df._queue WHERE instance_id = :'id';
SELECT pg_temp.expect(count(*) = 0, 'the cancelled branch went on') FROM join_failure_log;
