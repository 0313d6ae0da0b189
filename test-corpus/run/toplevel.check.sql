-- CREATE INDEX CONCURRENTLY waits for every transaction with an older
-- snapshot, which a statement blocked in df.await_instance holds: this waits
-- from a procedure that commits between its checks instead.
CREATE PROCEDURE pg_temp.await_committing(p_id text, INOUT p_status text DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    v_deadline timestamptz := clock_timestamp() + interval '30 s';
BEGIN
    LOOP
        p_status := df.status(p_id);
        EXIT WHEN p_status IN ('completed', 'failed', 'cancelled') OR clock_timestamp() > v_deadline;
        COMMIT;
        PERFORM pg_sleep(0.05);
    END LOOP;
END;
$$;

SELECT df.start('toplevel_maintain') AS id \gset
CALL pg_temp.await_committing(:'id') \gset
SELECT pg_temp.expect(:'p_status' = 'completed',
                      'toplevel_maintain: ' || df.status(:'id') || ' ' || coalesce((SELECT error::text FROM df.instances WHERE id = :'id'), ''));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '{"rows":[{"n":100,"idx":1}],"row_count":1}', 'result ' || df.result(:'id'));
SELECT pg_temp.expect(string_agg(node_id || ':' || status || ':' || result::text, ' ' ORDER BY node_id)
                      = '1:completed:{"rows":[],"row_count":100} 2:completed:{"rows":[],"row_count":0} 3:completed:{"rows":[],"row_count":0} 4:completed:{"rows":[{"n":100,"idx":1}],"row_count":1} 5:completed:{"rows":[],"row_count":0} 6:completed:{"rows":[],"row_count":0} 7:completed:{"rows":[{"n":100,"idx":1}],"row_count":1}',
                      'nodes ' || string_agg(node_id || ':' || status || ':' || result::text, ' ' ORDER BY node_id))
  FROM df.instance_nodes(:'id');
-- the VACUUM ran (with ANALYZE), not only the index
SELECT pg_temp.wait_until($$SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'toplevel_items'$$,
                          'toplevel_items was not vacuumed and analyzed');
SELECT pg_temp.expect(indisvalid, 'the index is not valid')
  FROM pg_index WHERE indexrelid = 'toplevel_items_id'::regclass;

SELECT df.start('toplevel_in_join') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'toplevel_in_join: ' || df.status(:'id'));
SELECT pg_temp.expect(df.result(:'id')::jsonb = '{"rows":[{"c":3}],"row_count":1}', 'result ' || df.result(:'id'));

SELECT df.start('toplevel_not_alone') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'toplevel_not_alone: ' || df.status(:'id'));
SELECT pg_temp.expect(error ->> 'sqlstate' = '25001' AND error ->> 'message' = 'a statement that cannot run inside a transaction block must be alone in its step',
                      'error ' || error::text)
  FROM df.instances WHERE id = :'id';

SELECT df.start('toplevel_fails') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'toplevel_fails: ' || df.status(:'id'));
SELECT pg_temp.expect(error ->> 'sqlstate' = '42P01' AND error ->> 'message' = 'relation "toplevel_nosuch" does not exist'
                      AND (error ->> 'node')::int = 1, 'error ' || error::text)
  FROM df.instances WHERE id = :'id';
SELECT pg_temp.expect(NOT EXISTS (SELECT FROM toplevel_after), 'the step after the failed one ran');
SELECT pg_temp.expect(NOT EXISTS (SELECT FROM df._queue WHERE instance_id = :'id'), 'threads left');

CREATE ROLE toplevel_user;
SELECT df.grant_usage('toplevel_user');
SET ROLE toplevel_user;
SELECT df.start('toplevel_as_submitter') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'toplevel_as_submitter: ' || df.status(:'id'));
SELECT pg_temp.expect(error ->> 'sqlstate' = '42501' AND error ->> 'message' = 'must be owner of table toplevel_items', 'error ' || error::text)
  FROM df.instances WHERE id = :'id';
RESET ROLE;
SELECT pg_temp.expect(to_regclass('toplevel_items_v') IS NULL, 'the index was created with the worker''s privileges');

SELECT df.start('toplevel_commit') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'toplevel_commit: ' || df.status(:'id'));
SELECT pg_temp.expect(error ->> 'sqlstate' = '2D000'
                      AND error ->> 'message' = 'a step cannot start or end transactions (BEGIN, COMMIT, ROLLBACK, SAVEPOINT)', 'error ' || error::text)
  FROM df.instances WHERE id = :'id';
SELECT df.start('toplevel_copy') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'failed', 'toplevel_copy: ' || df.status(:'id'));
SELECT pg_temp.expect(error ->> 'sqlstate' = '0A000' AND error ->> 'message' = 'COPY to or from the client cannot run in a step', 'error ' || error::text)
  FROM df.instances WHERE id = :'id';
