SELECT df.start('signal_early') AS id \gset
SELECT df.signal(:'id', 'ready', 'plain text');  -- not JSON: delivered as a JSON string
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'status ' || df.status(:'id'));
SELECT pg_temp.expect(r->>'signal_name' = 'ready' AND r->>'timed_out' = 'false' AND r->'data' = '"plain text"', 'result ' || r::text)
  FROM (SELECT df.result(:'id')::jsonb AS r) x;

SELECT df.start('signal_timeout') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'status ' || df.status(:'id'));
SELECT pg_temp.expect(r->>'timed_out' = 'true' AND jsonb_typeof(r->'data') = 'null', 'result ' || r::text)
  FROM (SELECT df.result(:'id')::jsonb AS r) x;
