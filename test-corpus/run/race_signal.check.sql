SELECT df.start('race_signal') AS id \gset
SELECT pg_sleep(1);  -- part of the scenario: the signal comes one second after the start
SELECT df.signal(:'id', 'go', '{"approved": true}');
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'status ' || df.status(:'id'));
SELECT pg_temp.expect(r->>'signal_name' = 'go' AND r->>'timed_out' = 'false' AND r->'data'->>'approved' = 'true', 'result ' || r::text)
  FROM (SELECT df.result(:'id')::jsonb AS r) x;
SELECT pg_temp.expect(completed_at - created_at < interval '30 seconds', 'took ' || (completed_at - created_at))
  FROM df.instances WHERE id = :'id';
-- the losing 60 s timer is gone from the runtime's tables
SELECT pg_temp.expect(count(*) = 0, count(*) || ' queue items (timers) left') FROM df._queue WHERE instance_id = :'id';
