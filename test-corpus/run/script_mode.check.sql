SELECT id FROM df.instances WHERE label = 'script-mode' ORDER BY created_at DESC LIMIT 1 \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'status ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb->'rows'->0->>'n' = '42', 'result ' || df.result(:'id'));
SELECT pg_temp.expect(workflow LIKE 'anon\_%', 'workflow ' || workflow) FROM df.instances WHERE id = :'id';
