SELECT df.start('wait_sleep') AS id \gset
SELECT pg_temp.expect(df.await_instance(:'id', 30) = 'completed', 'wait_sleep: ' || df.status(:'id'));
SELECT pg_temp.expect(completed_at - created_at >= interval '0.3 seconds', 'did not wait: ' || (completed_at - created_at))
  FROM df.instances WHERE id = :'id';
SELECT pg_temp.expect(df.result(:'id')::jsonb->'rows'->0->>'state' = 'woke', 'result ' || df.result(:'id'));

-- The schedule's timer is due at the next 5-minute boundary of the captured time zone.
SET TimeZone = 'Asia/Kolkata';  -- UTC+05:30: a half-hour offset makes a wrong zone visible
SELECT df.start('wait_schedule') AS id \gset
RESET TimeZone;
SELECT set_config('scenario.id', :'id', false);
DO $$
DECLARE
    v_id text := current_setting('scenario.id');
    v_due timestamptz;
    v_deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    LOOP
        SELECT max(ready_at) INTO v_due FROM df._queue WHERE instance_id = v_id AND ready_at > now() + interval '1 second';
        EXIT WHEN v_due IS NOT NULL OR clock_timestamp() > v_deadline;
        PERFORM pg_sleep(0.05);  -- poll interval, bounded by the deadline
    END LOOP;
    PERFORM pg_temp.expect(v_due IS NOT NULL, 'no timer armed for the schedule');
    PERFORM pg_temp.expect(extract(minute FROM v_due AT TIME ZONE 'Asia/Kolkata')::int % 5 = 0
                           AND extract(second FROM v_due AT TIME ZONE 'Asia/Kolkata') = 0
                           AND v_due - now() <= interval '5 minutes',
                           'timer due at ' || v_due);
END;
$$;
SELECT pg_temp.expect(df.status(:'id') IN ('pending', 'running'), 'status ' || df.status(:'id'));
SELECT df.cancel(:'id', 'scenario done');
SELECT pg_temp.expect(df.status(:'id') = 'cancelled', 'status ' || df.status(:'id'));
SELECT pg_temp.expect(count(*) = 0, 'timer left after cancel') FROM df._queue WHERE instance_id = :'id';
