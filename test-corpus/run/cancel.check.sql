SELECT df.start('cancel_running') AS id \gset
-- wait (polling, with a deadline) until a step worker runs the pg_sleep
SELECT pg_temp.wait_until('SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event = ''PgSleep'' AND pid <> pg_backend_pid())',
                          'the step never started', 30);
SELECT df.cancel(:'id', 'changed my mind');
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'cancelled', 'status ' || df.status(:'id'));
-- the running statement was interrupted
SELECT pg_temp.wait_until('SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event = ''PgSleep'' AND pid <> pg_backend_pid())',
                          'the cancelled step is still running');
-- (the interrupted step's transaction removes the item when it ends, just after the sleep)
SELECT pg_temp.wait_until(format('SELECT NOT EXISTS (SELECT 1 FROM df._queue WHERE instance_id = %L)', :'id'),
                          'queue items left after the cancel');
-- the interrupted step's node is failed (cancelled), the step after it skipped, the sequence's THEN failed
SELECT pg_temp.expect(string_agg(node_id || ':' || status || ':' || inferred_status || ':' || coalesce(error ->> 'message', '-'), ' ' ORDER BY node_id)
                      = '1:failed:failed:cancelled 2:pending:skipped:- 3:failed:failed:cancelled',
                      'nodes ' || string_agg(node_id || ':' || status || ':' || inferred_status || ':' || coalesce(error ->> 'message', '-'), ' ' ORDER BY node_id))
  FROM df.instance_nodes(:'id');
-- idempotent on a terminal instance
SELECT df.cancel(:'id');
SELECT pg_temp.expect(df.status(:'id') = 'cancelled', 'status after a second cancel ' || df.status(:'id'));

SELECT df.start('cancel_waiting') AS id \gset
SELECT pg_temp.wait_until('SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event = ''PgSleep'' AND pid <> pg_backend_pid())',
                          'the branches never started', 30);
SELECT df.cancel(:'id');
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'cancelled', 'status ' || df.status(:'id'));
SELECT pg_temp.wait_until(format('SELECT NOT EXISTS (SELECT 1 FROM df._queue WHERE instance_id = %L)', :'id'),
                          'branches, timer or wait left after cancel');
SELECT pg_temp.expect(count(*) = 0, 'a cancelled step went on') FROM cancel_log;
