SELECT df.setvar('tbl', 'variables_target_a');
SELECT df.start('variables_insert', 'first') AS a \gset
SELECT df.setvar('tbl', 'variables_target_b');   -- later starts see the new value; the first keeps its own
SELECT df.start('variables_insert', 'second') AS b \gset
SELECT pg_temp.expect(df.await_instance(:'a', 30) = 'completed', 'a: ' || df.status(:'a'));
SELECT pg_temp.expect(df.await_instance(:'b', 30) = 'completed', 'b: ' || df.status(:'b'));
SELECT pg_temp.expect(count(*) = 1, 'variables_target_a has ' || count(*) || ' rows') FROM variables_target_a;
SELECT pg_temp.expect(count(*) = 1, 'variables_target_b has ' || count(*) || ' rows') FROM variables_target_b;
SELECT pg_temp.expect(df.getvar('tbl') = 'variables_target_b', 'getvar ' || df.getvar('tbl'));
SELECT df.clearvars();
SELECT pg_temp.expect(df.getvar('tbl') IS NULL, 'clearvars left ' || df.getvar('tbl'));

SELECT df.setvar('who', 'someone');
SELECT df.start('variables_in_literals', 'lbl') AS id \gset
SELECT df.clearvars();
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'variables_in_literals: ' || df.status(:'id')
                      || coalesce((SELECT error::text FROM df.instances WHERE id = :'id'), ''));
SELECT pg_temp.expect(df.result(:'id')::jsonb = jsonb_build_object('rows', jsonb_build_array(jsonb_build_object(
                          'id', :'id', 'label', 'lbl', 'who', 'someone', 'p', 'param', 'kept', '{nosuch}',
                          'arr', jsonb_build_array('a'), 'j', jsonb_build_object('k', 1))), 'row_count', 1),
                      'result ' || df.result(:'id'));
