SELECT df.start('join_concurrent') AS id \gset
SELECT df.await_instance(:'id', 30) AS status \gset
SELECT pg_temp.expect(:'status' = 'completed', 'status ' || :'status');
-- the join's result: one entry per branch, in branch order
SELECT pg_temp.expect(jsonb_array_length(r) = 3
                      AND r->0->'rows'->0->>'branch' = '1'
                      AND r->1->'rows'->0->>'branch' = '2'
                      AND r->2->'rows'->0->>'branch' = '3', 'join result ' || r::text)
  FROM (SELECT df.result(:'id')::jsonb AS r) x;
-- run one after the other the branches would need at least 3 s: the recorded timings show they overlapped
SELECT pg_temp.expect(completed_at - created_at < interval '2.9 seconds', 'the join took ' || (completed_at - created_at))
  FROM df.instances WHERE id = :'id';
