SELECT df.start('bound_results_signal', args => '{"run": "signal"}') AS id \gset
SELECT df.signal(:'id', 'approve', '{"by": "alice"}');
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'signal: status ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb -> 'rows' -> 0 ->> 'answer' = 'rows', 'signal: df.if_rows saw no row: ' || df.result(:'id'));
SELECT pg_temp.expect(string_agg(what || '=' || v, ' ' ORDER BY what) = 'by=alice name=approve star=alice timed_out=false',
                      'signal: ' || coalesce(string_agg(what || '=' || v, ' ' ORDER BY what), 'nothing logged'))
  FROM bound_results_log WHERE run = 'signal';

SELECT df.start('bound_results_timeout', args => '{"run": "timeout"}') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'timeout: status ' || df.status(:'id'));
SELECT pg_temp.expect(error ->> 'message' LIKE '%$d.data is NULL%', 'timeout: error ' || error::text)
  FROM df.instances WHERE id = :'id';
SELECT pg_temp.expect(string_agg(what || '=' || v, ' ') = 'data?=null', 'timeout: ' || coalesce(string_agg(what || '=' || v, ' '), 'nothing logged'))
  FROM bound_results_log WHERE run = 'timeout';

SELECT df.start('bound_results_sleep', args => '{"run": "sleep"}') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'sleep: status ' || df.status(:'id'));
SELECT pg_temp.expect(string_agg(what || '=' || v, ' ' ORDER BY what) = 'seconds=1.00 slept=true',
                      'sleep: ' || coalesce(string_agg(what || '=' || v, ' ' ORDER BY what), 'nothing logged'))
  FROM bound_results_log WHERE run = 'sleep';

SELECT df.start('bound_results_join', args => '{"run": "join"}') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'join: status ' || df.status(:'id'));
SELECT pg_temp.expect(string_agg(what || '=' || v, ' ' ORDER BY what) = 'branches=2 first=1 row_counts=1,1',
                      'join: ' || coalesce(string_agg(what || '=' || v, ' ' ORDER BY what), 'nothing logged'))
  FROM bound_results_log WHERE run = 'join';

SELECT df.start('bound_results_break', args => '{"run": "break"}') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'break: status ' || df.status(:'id'));
SELECT pg_temp.expect(string_agg(what || '=' || v, ' ') = 'break=8', 'break: ' || coalesce(string_agg(what || '=' || v, ' '), 'nothing logged'))
  FROM bound_results_log WHERE run = 'break';

SELECT df.start('bound_results_text', args => '{"run": "text"}') AS id \gset
SELECT df.signal(:'id', 'note', 'plain words');
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'text: status ' || df.status(:'id'));
SELECT pg_temp.expect(string_agg(what || '=' || v, ' ' ORDER BY what) = 'text=plain words type=string',
                      'text: ' || coalesce(string_agg(what || '=' || v, ' ' ORDER BY what), 'nothing logged'))
  FROM bound_results_log WHERE run = 'text';

SELECT df.start('bound_results_twice') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'twice: status ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '{"rows":[{"ab":14,"d":8}],"row_count":1}', 'twice: ' || df.result(:'id'));

SET TimeZone = 'UTC';
SELECT df.start('bound_results_numeric') AS id \gset
RESET TimeZone;
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'bound_results_numeric: ' || df.status(:'id')
                      || coalesce((SELECT error::text FROM df.instances WHERE id = :'id'), ''));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '{"rows":[{"a":"2.50","b":"-0.50000000000000000000","c":"3.5","t":"2024-01-02 03:04:05+00","d":"2024-01-31","nan":"NaN"}],"row_count":1}',
                      'result ' || df.result(:'id'));

SELECT df.start('bound_results_json_params', args => '{"j": "hello", "z": "0", "ids": [1, 2], "tags": ["a b", "c\"d"]}') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'bound_results_json_params: ' || df.status(:'id')
                      || coalesce((SELECT error::text FROM df.instances WHERE id = :'id'), ''));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '{"rows":[{"j":"hello","z":"0","ids":[1,2],"tags":["a b","c\"d"],"has_two":true}],"row_count":1}',
                      'result ' || df.result(:'id'));
SELECT df.start('bound_results_json_params', args => '{"j": {"k": [1]}, "z": 5, "ids": "{3,4}", "tags": "{x}"}') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'bound_results_json_params 2: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '{"rows":[{"j":{"k":[1]},"z":5,"ids":[3,4],"tags":["x"],"has_two":false}],"row_count":1}',
                      'result ' || df.result(:'id'));

SELECT df.start('bound_results_dup_columns') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'bound_results_dup_columns: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id') = '{"rows":[{"first":1,"first_a":1,"star":"{\"a\":1,\"a\":2,\"b\":\"x\"}"}],"row_count":1}', 'result ' || df.result(:'id'));

SELECT df.start('bound_results_arrays') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'bound_results_arrays: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id') = '{"rows":[{"f":[null,1.5,null],"n":["1.50","-2"],"m":[[1,2],[3,4]],"t":["a\"b",null]}],"row_count":1}',
                      'result ' || df.result(:'id'));

SELECT df.start('bound_results_join_star') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'bound_results_join_star: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id') = '{"rows":[{"n":2,"with_count":1}],"row_count":1}', 'result ' || df.result(:'id'));
