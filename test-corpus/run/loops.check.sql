SELECT 'loop-' || md5(random()::text) AS run \gset

SELECT df.start('loop_break', args => jsonb_build_object('run', :'run' || 'b', 'upto', 5)) AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'loop_break: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '"done"', 'loop_break result ' || df.result(:'id'));
SELECT pg_temp.expect(n = 5, 'loop_break counted ' || n) FROM loop_counter WHERE run = :'run' || 'b';

SELECT df.start('loop_condition', args => jsonb_build_object('run', :'run' || 'c', 'upto', 4)) AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'loop_condition: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb->'rows'->0->>'n' = '4', 'loop_condition result ' || df.result(:'id'));
SELECT pg_temp.expect(n = 4, 'loop_condition counted ' || n) FROM loop_counter WHERE run = :'run' || 'c';

SELECT df.start('loop_nested', args => jsonb_build_object('run', :'run' || 'n')) AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'loop_nested: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '"outer done"', 'loop_nested result ' || df.result(:'id'));
SELECT pg_temp.expect(string_agg(outer_i || '.' || inner_i, ' ' ORDER BY outer_i, inner_i) = '1.1 1.2 2.1 2.2 3.1 3.2',
                      'iterations ' || string_agg(outer_i || '.' || inner_i, ' ' ORDER BY outer_i, inner_i))
  FROM loop_nested_log WHERE run = :'run' || 'n';

SELECT df.start('loop_break_in_join', args => jsonb_build_object('run', :'run' || 'j')) AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'loop_break_in_join: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '"from a branch"', 'loop_break_in_join result ' || df.result(:'id'));
SELECT pg_temp.expect(n = 3, 'loop_break_in_join counted ' || n) FROM loop_counter WHERE run = :'run' || 'j';
SELECT pg_temp.expect(count(*) = 0, count(*) || ' queue items left') FROM df._queue WHERE instance_id = :'id';

SELECT df.start('loop_in_race', args => jsonb_build_object('run', :'run' || 'r')) AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'loop_in_race: ' || df.status(:'id'));
SELECT (df.result(:'id')::jsonb->'rows'->0->>'n')::int AS n_at_end \gset
SELECT pg_temp.expect(:n_at_end >= 1, 'the loop never ran');
SELECT pg_temp.expect(count(*) = 0, count(*) || ' queue items left: the loop was not cancelled') FROM df._queue WHERE instance_id = :'id';
SELECT pg_temp.expect(n = :n_at_end, 'the cancelled loop went on counting: ' || n) FROM loop_counter WHERE run = :'run' || 'r';

SELECT df.start('loop_failing', args => jsonb_build_object('run', :'run' || 'f')) AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'loop_failing: ' || df.status(:'id'));
SELECT pg_temp.expect(error->>'sqlstate' = '22012', 'error ' || error::text) FROM df.instances WHERE id = :'id';
SELECT pg_temp.expect(n = 3, 'loop_failing counted ' || n) FROM loop_counter WHERE run = :'run' || 'f';

SELECT df.start('loop_composite', args => jsonb_build_object('run', :'run' || 'c')) AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'loop_composite: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '{"rows":[{"last_n":3}],"row_count":1}', 'loop_composite ' || df.result(:'id'));
SELECT pg_temp.expect(count(*) = 3, 'loop_composite iterations: ' || count(*)) FROM loop_composite_log WHERE run = :'run' || 'c';
SELECT pg_temp.expect((SELECT string_agg(node_type || ' ' || coalesce(result_name, '-') || ' ' || coalesce(result::text, '-'), '; ' ORDER BY node_id)
                         FROM df.instance_nodes(:'id') WHERE node_type = 'LOOP' OR node_id = 1)
                      = 'SQL - {"rows":[{"n":3}],"row_count":1}; LOOP last {"truthy" : false}',
                      'nodes: ' || (SELECT string_agg(node_type || ' ' || coalesce(result_name, '-') || ' ' || coalesce(result::text, '-'), '; ' ORDER BY node_id)
                                      FROM df.instance_nodes(:'id') WHERE node_type = 'LOOP' OR node_id = 1));
SELECT df.start('loop_composite_raw') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'loop_composite_raw: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb ->> 'slept' = 'true', 'loop_composite_raw ' || df.result(:'id'));
