SELECT df.start('if_rows_probe', args => '{"n": 3}') AS some \gset
SELECT df.start('if_rows_probe', args => '{"n": 0}') AS none \gset
SELECT pg_temp.expect(df.await_instance(:'some', 30) = 'completed' AND df.await_instance(:'none', 30) = 'completed', 'not completed');
SELECT pg_temp.expect(df.result(:'some')::jsonb->'rows'->0->>'answer' = 'some', 'n=3: ' || df.result(:'some'));
SELECT pg_temp.expect(df.result(:'none')::jsonb->'rows'->0->>'answer' = 'none', 'n=0: ' || df.result(:'none'));
