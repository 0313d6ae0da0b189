SELECT df.start('cancel_running') AS id \gset
SELECT set_config('scenario.id', :'id', false);
-- wait (polling, with a deadline) until a step worker runs the pg_sleep
DO $$
DECLARE v_deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    WHILE NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND pid <> pg_backend_pid()) LOOP
        IF clock_timestamp() > v_deadline THEN RAISE EXCEPTION 'the step never started'; END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
END;
$$;
SELECT df.cancel(:'id', 'changed my mind');
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'cancelled', 'status ' || df.status(:'id'));
-- the running statement was interrupted
DO $$
DECLARE v_deadline timestamptz := clock_timestamp() + interval '20 seconds';
BEGIN
    WHILE EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND pid <> pg_backend_pid()) LOOP
        IF clock_timestamp() > v_deadline THEN RAISE EXCEPTION 'the cancelled step is still running'; END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
END;
$$;
-- (the interrupted step's transaction removes the item when it ends, just after the sleep)
SELECT set_config('cancel.id', :'id', false);
DO $$
DECLARE v_deadline timestamptz := clock_timestamp() + interval '20 seconds';
BEGIN
    WHILE EXISTS (SELECT 1 FROM df._queue WHERE instance_id = current_setting('cancel.id')) LOOP
        IF clock_timestamp() > v_deadline THEN RAISE EXCEPTION 'queue items left 20 s after the cancel'; END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
END;
$$;
-- idempotent on a terminal instance
SELECT df.cancel(:'id');
SELECT pg_temp.expect(df.status(:'id') = 'cancelled', 'status after a second cancel ' || df.status(:'id'));

SELECT df.start('cancel_waiting') AS id \gset
SELECT set_config('scenario.id2', :'id', false);
DO $$
DECLARE v_deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    WHILE NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND pid <> pg_backend_pid()) LOOP
        IF clock_timestamp() > v_deadline THEN RAISE EXCEPTION 'the branches never started'; END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
END;
$$;
SELECT df.cancel(:'id');
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'cancelled', 'status ' || df.status(:'id'));
DO $$
DECLARE v_deadline timestamptz := clock_timestamp() + interval '20 seconds';
BEGIN
    WHILE EXISTS (SELECT 1 FROM df._queue WHERE instance_id = current_setting('scenario.id2')) LOOP
        IF clock_timestamp() > v_deadline THEN RAISE EXCEPTION 'branches, timer or wait left after cancel'; END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
END;
$$;
SELECT pg_temp.expect(count(*) = 0, 'a cancelled step went on') FROM cancel_log;
