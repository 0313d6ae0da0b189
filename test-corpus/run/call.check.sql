-- the child runs with the caller's arguments; its result comes back as the call's, rows and columns
SELECT df.start('call_parent') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'call_parent: ' || df.status(:'id') || ' ' || coalesce((SELECT error::text FROM df.instances WHERE id = :'id'), ''));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '{"rows":[{"got":42,"label":"it''s \"q\""}],"row_count":1}', 'result ' || df.result(:'id'));
SELECT pg_temp.expect((SELECT count(*) FROM df.instances c JOIN df._instances i ON i.id = c.id
                        WHERE i.parent_id = :'id' AND c.workflow = 'call_child' AND c.status = 'completed') = 1,
                      'no completed child of ' || :'id');
SELECT pg_temp.expect((SELECT node_type || ' ' || status FROM df.instance_nodes(:'id') WHERE node_id = 2) = 'CALL completed',
                      'call node: ' || (SELECT node_type || ' ' || status FROM df.instance_nodes(:'id') WHERE node_id = 2));

-- a failed child fails the call with its error
SELECT df.start('call_failing_parent') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'call_failing_parent: ' || df.status(:'id'));
SELECT pg_temp.expect(error ->> 'sqlstate' = '22012' AND error ->> 'message' LIKE 'called workflow call_failing_child (instance %) failed: division by zero',
                      'error ' || error::text)
  FROM df.instances WHERE id = :'id';

-- cancelling the caller cancels the child it waits for
SELECT df.start('call_waiting_parent') AS id \gset
SELECT pg_temp.wait_until(format('SELECT EXISTS (SELECT FROM df._instances WHERE parent_id = %L AND status = %L)', :'id', 'running'),
                          'the child did not start');
SELECT df.cancel(:'id');
SELECT pg_temp.expect((SELECT string_agg(status, ',') FROM df._instances WHERE parent_id = :'id') = 'cancelled',
                      'child after cancel: ' || (SELECT string_agg(status, ',') FROM df._instances WHERE parent_id = :'id'));

-- an unknown workflow fails the call with df.start's error
SELECT df.start('call_missing') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'call_missing: ' || df.status(:'id'));
SELECT pg_temp.expect(error ->> 'message' LIKE '%call_no_such_workflow%', 'error ' || error::text) FROM df.instances WHERE id = :'id';

-- a race's losing call, a timed-out call and the call beside a failed branch of a join: the child
-- instance is cancelled with its thread, not left waiting forever
SELECT df.start('call_race_parent') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'call_race_parent: ' || df.status(:'id'));
SELECT pg_temp.wait_until(format('SELECT (SELECT string_agg(status, '','') FROM df._instances WHERE parent_id = %L) = %L',
                                 :'id', 'cancelled'),
                          'the race''s losing child is not cancelled: '
                          || coalesce((SELECT string_agg(status, ',') FROM df._instances WHERE parent_id = :'id'), 'none'));
SELECT df.start('call_timeout_parent') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'call_timeout_parent: ' || df.status(:'id'));
SELECT pg_temp.wait_until(format('SELECT (SELECT string_agg(status, '','') FROM df._instances WHERE parent_id = %L) = %L',
                                 :'id', 'cancelled'),
                          'the timed-out child is not cancelled');
SELECT df.start('call_join_parent') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'call_join_parent: ' || df.status(:'id'));
SELECT pg_temp.wait_until(format('SELECT (SELECT string_agg(status, '','') FROM df._instances WHERE parent_id = %L) = %L',
                                 :'id', 'cancelled'),
                          'the child beside the failed branch is not cancelled');
SELECT pg_temp.expect((SELECT error ->> 'reason' FROM df._instances WHERE parent_id = :'id') LIKE '%' || :'id' || '%',
                      'reason: ' || (SELECT error::text FROM df._instances WHERE parent_id = :'id'));
