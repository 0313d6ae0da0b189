-- succeeds at the third run: attempts 3, the last error kept on the node until it completes
SELECT df.start('retry_succeeds') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'retry_succeeds: ' || df.status(:'id') || ' ' || coalesce((SELECT error::text FROM df.instances WHERE id = :'id'), ''));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '{"rows":[{"n":3,"first":3}],"row_count":1}', 'result ' || df.result(:'id'));
SELECT pg_temp.expect((SELECT count(*) FROM retry_tries) = 3, 'tries: ' || (SELECT count(*) FROM retry_tries));
SELECT pg_temp.expect(node_type = 'RETRY' AND status = 'completed' AND attempts = 3 AND error IS NULL,
                      format('retry node: %s %s attempts %s error %s', node_type, status, attempts, error))
  FROM df.instance_nodes(:'id') WHERE node_id = 1;
-- the backoff doubles: 100 ms, then 200 ms, between the runs
SELECT pg_temp.expect((SELECT max(at) - min(at) FROM retry_tries) >= interval '300 ms',
                      'runs too close together: ' || (SELECT (max(at) - min(at))::text FROM retry_tries));

-- gives up after 3 runs with the body's error, and the number of attempts
SELECT df.start('retry_gives_up') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'retry_gives_up: ' || df.status(:'id'));
SELECT pg_temp.expect(error ->> 'sqlstate' = '22012' AND error ->> 'message' = 'division by zero' AND (error ->> 'attempts')::int = 3,
                      'error ' || error::text)
  FROM df.instances WHERE id = :'id';
SELECT pg_temp.expect(status = 'failed' AND attempts = 3 AND error ->> 'message' = 'division by zero',
                      format('retry node: %s attempts %s error %s', status, attempts, error))
  FROM df.instance_nodes(:'id') WHERE node_id = 1;
SELECT pg_temp.expect(inferred_status = 'skipped', 'after the retry: ' || inferred_status)
  FROM df.instance_nodes(:'id') WHERE node_id = 3;

SELECT df.start('retry_in_loop') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'retry_in_loop: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '{"rows":[{"i":3}],"row_count":1}', 'result ' || df.result(:'id'));
SELECT pg_temp.expect(attempts = 1, 'attempts in the last iteration: ' || attempts)
  FROM df.instance_nodes(:'id') WHERE node_type = 'RETRY';

SELECT df.start('retry_break') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'retry_break: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '"out"', 'result ' || df.result(:'id'));
