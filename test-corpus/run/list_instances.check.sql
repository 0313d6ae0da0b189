-- five instances, each started in its own transaction, labelled for this scenario
SELECT df.start('list_instances_one', label => 'list_page', args => '{"n": 1}');
SELECT df.start('list_instances_one', label => 'list_page', args => '{"n": 2}');
SELECT df.start('list_instances_one', label => 'list_page', args => '{"n": 3}');
SELECT df.start('list_instances_one', label => 'list_page', args => '{"n": 4}');
SELECT df.start('list_instances_fail', label => 'list_page') AS failing \gset
SELECT pg_temp.expect(bool_and(df.await_instance(id, 30) IN ('completed', 'failed')), 'instances did not end')
  FROM df.instances WHERE label = 'list_page';

-- newest first: the failing one was started last
SELECT pg_temp.expect(array_agg(id) = (SELECT array_agg(id ORDER BY created_at DESC, id DESC) FROM df.instances WHERE label = 'list_page'),
                      'order: ' || array_agg(id)::text)
  FROM df.list_instances(NULL, 100, 'list_page');
SELECT pg_temp.expect((SELECT id FROM df.list_instances(NULL, 1, 'list_page')) = :'failing', 'the newest is not the last started');

-- pages of two: 2 + 2 + 1 rows, none repeated, none missing
SELECT string_agg(id, ',') AS page1, max(id) FILTER (WHERE n = 2) AS last1
  FROM (SELECT id, row_number() OVER () AS n FROM df.list_instances(NULL, 2, 'list_page')) p \gset
SELECT string_agg(id, ',') AS page2, max(id) FILTER (WHERE n = 2) AS last2
  FROM (SELECT id, row_number() OVER () AS n FROM df.list_instances(NULL, 2, 'list_page', :'last1')) p \gset
SELECT string_agg(id, ',') AS page3, count(*) AS n3
  FROM (SELECT id FROM df.list_instances(NULL, 2, 'list_page', :'last2')) p \gset
SELECT pg_temp.expect(:n3 = 1, 'third page has ' || :n3 || ' rows');
SELECT pg_temp.expect(:'page1' || ',' || :'page2' || ',' || :'page3' = string_agg(id, ',' ORDER BY created_at DESC, id DESC),
                      'pages ' || :'page1' || ' | ' || :'page2' || ' | ' || :'page3')
  FROM df.instances WHERE label = 'list_page';

-- status filter; the two-argument form; the default form
SELECT pg_temp.expect((SELECT count(*) FROM df.list_instances('completed', 100, 'list_page')) = 4, 'completed count');
SELECT pg_temp.expect((SELECT array_agg(id) FROM df.list_instances('failed', 100, 'list_page')) = ARRAY[:'failing'], 'failed filter');
SELECT pg_temp.expect((SELECT bool_and(status = 'failed') FROM df.list_instances('failed', 1000)), 'two-argument form filters');
SELECT pg_temp.expect((SELECT count(*) FROM df.list_instances()) BETWEEN 5 AND 100, 'default form');

-- errors
DO $$ BEGIN PERFORM df.list_instances(NULL, 0); RAISE EXCEPTION 'limit 0 accepted';
      EXCEPTION WHEN invalid_parameter_value THEN NULL; END $$;
DO $$ BEGIN PERFORM df.list_instances(NULL, 1001); RAISE EXCEPTION 'limit 1001 accepted';
      EXCEPTION WHEN invalid_parameter_value THEN NULL; END $$;
DO $$ BEGIN PERFORM df.list_instances('done'); RAISE EXCEPTION 'status done accepted';
      EXCEPTION WHEN invalid_parameter_value THEN NULL; END $$;
DO $$ BEGIN PERFORM df.list_instances(NULL, 10, NULL, 'ffffffff'); RAISE EXCEPTION 'unknown cursor accepted';
      EXCEPTION WHEN no_data_found THEN NULL; END $$;
-- the cap is a setting
SET dfc.list_instances_max_limit = 2000;
SELECT pg_temp.expect((SELECT count(*) FROM df.list_instances(NULL, 1500, 'list_page')) = 5, 'raised cap');
RESET dfc.list_instances_max_limit;
