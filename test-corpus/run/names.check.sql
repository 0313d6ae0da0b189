SELECT pg_temp.expect(string_agg(DISTINCT workflow COLLATE "C", ',' ORDER BY workflow COLLATE "C")
                      = '"names_etl.Dotted",names Mixed Flow,names_etl.Dotted,names_etl.Load,names_folded',
                      'registered as ' || string_agg(DISTINCT workflow, ','))
  FROM df._versions WHERE workflow ILIKE 'names%' OR workflow ILIKE '"names%';

SELECT df.start('"names Mixed Flow"') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed' AND df.result(:'id')::jsonb -> 'rows' -> 0 ->> 'a' = '1', 'quoted: ' || df.status(:'id'));
SELECT df.start('names Mixed Flow') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'as stored: ' || df.status(:'id'));
SELECT df.start('Names_Folded') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed' AND df.result(:'id')::jsonb -> 'rows' -> 0 ->> 'a' = '2', 'folded: ' || df.status(:'id'));
SELECT pg_temp.expect(workflow = 'names_folded', 'instance of ' || workflow) FROM df.instances WHERE id = :'id';
SELECT df.start('names_etl."Load"') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed' AND df.result(:'id')::jsonb -> 'rows' -> 0 ->> 'a' = '3', 'qualified: ' || df.status(:'id'));
SELECT pg_temp.expect(df.explain('"names Mixed Flow"') LIKE 'names Mixed Flow (version %', 'explain ' || df.explain('"names Mixed Flow"'));
DO $$
BEGIN
    PERFORM df.start('"Names_Folded"');   -- quoted: case kept, so no such workflow
    RAISE EXCEPTION 'a quoted name was folded';
EXCEPTION WHEN undefined_object THEN NULL;
END $$;
-- a dot inside a quoted name is part of the name, not a schema separator
SELECT df.start('"names_etl.Dotted"') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed' AND df.result(:'id')::jsonb -> 'rows' -> 0 ->> 'a' = '4', 'quoted dotted: ' || df.status(:'id') || ' ' || coalesce(df.result(:'id')::text, ''));
SELECT pg_temp.expect(workflow = '"names_etl.Dotted"', 'instance of ' || workflow) FROM df.instances WHERE id = :'id';
SELECT df.start('names_etl."Dotted"') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed' AND df.result(:'id')::jsonb -> 'rows' -> 0 ->> 'a' = '5', 'qualified dotted: ' || df.status(:'id') || ' ' || coalesce(df.result(:'id')::text, ''));
SELECT df.start('names_etl.Dotted') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed' AND df.result(:'id')::jsonb -> 'rows' -> 0 ->> 'a' = '5', 'as stored: ' || df.status(:'id') || ' ' || coalesce(df.result(:'id')::text, ''));
SELECT pg_temp.expect(df.explain('"names_etl.Dotted"') LIKE '"names_etl.Dotted" (version %', 'explain ' || df.explain('"names_etl.Dotted"'));
SELECT pg_temp.expect(df.explain('names_etl."Dotted"') LIKE 'names_etl.Dotted (version %', 'explain ' || df.explain('names_etl."Dotted"'));
