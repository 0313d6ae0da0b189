-- Signals and cancellation (RUNTIME.md section 2). Both lock the instance
-- row first: a signal wait takes the same lock, so a signal is either
-- consumed by a wait or stored for the next one, never lost or doubled.

CREATE OR REPLACE FUNCTION df.signal(id text, name text, data text DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_status text;
    v_data   json;
BEGIN
    IF (df._visible_instance(signal.id)).id IS NULL THEN
        RAISE EXCEPTION 'instance not found'
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('No instance with id "%s" is visible to you.', signal.id);
    END IF;
    IF signal.name IS NULL THEN
        RAISE EXCEPTION 'signal name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT i.status INTO v_status FROM df._instances i WHERE i.id = signal.id FOR NO KEY UPDATE;
    IF v_status NOT IN ('pending', 'running') THEN
        RETURN;     -- nothing will ever wait for it
    END IF;
    BEGIN
        v_data := signal.data::json;
    EXCEPTION WHEN invalid_text_representation THEN
        v_data := to_json(signal.data);
    END;
    INSERT INTO df._signals (instance_id, name, data) VALUES (signal.id, signal.name, v_data);
    -- Wake the instance's parked waits; each takes the oldest signal of its
    -- name, if any is left, and otherwise parks again. A wait being run right
    -- now (locked) will see the signal once it has the instance lock.
    UPDATE df._queue q
       SET ready_at = now()
     WHERE q.id IN (SELECT w.id FROM df._queue w
                     WHERE w.instance_id = signal.id AND w.waiting = 'signal'
                       FOR UPDATE SKIP LOCKED);
    PERFORM df._wake();
END;
$$;
COMMENT ON FUNCTION df.signal(text, text, text)
    IS 'sends a signal to an instance (valid JSON data kept as JSON, other text as a JSON string); kept until a wait consumes it';

CREATE OR REPLACE FUNCTION df.cancel(id text, reason text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (df._visible_instance(cancel.id)).id IS NULL THEN
        RAISE EXCEPTION 'instance not found'
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('No instance with id "%s" is visible to you.', cancel.id);
    END IF;
    PERFORM df._cancel_instance(cancel.id, cancel.reason);
END;
$$;
COMMENT ON FUNCTION df.cancel(text, text)
    IS 'cancels an instance: status cancelled, every branch, timer and wait dropped, running steps interrupted; no-op when terminal';

-- df.cancel once the caller may: also the runtime's own cancel of an
-- instance started by df.call whose call was dropped (df._cancel_calls).
CREATE OR REPLACE FUNCTION df._cancel_instance(id text, reason text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_status text;
    v_child  text;
    v_caller bigint;
BEGIN
    SELECT i.status INTO v_status FROM df._instances i WHERE i.id = _cancel_instance.id FOR UPDATE;
    IF v_status NOT IN ('pending', 'running') THEN
        RETURN;     -- already terminal: cancelling again changes nothing
    END IF;
    UPDATE df._instances i
       SET status = 'cancelled',
           -- (cancelled while running its undos: the failure that started them is kept)
           error = jsonb_build_object('message', 'cancelled', 'reason', _cancel_instance.reason)
                   || CASE WHEN i.error IS NOT NULL THEN jsonb_build_object('failed_with', i.error) ELSE '{}' END,
           completed_at = clock_timestamp(), updated_at = clock_timestamp()
     WHERE i.id = _cancel_instance.id
    RETURNING i.parent_item INTO v_caller;
    -- the instances it started with df.call end with it (before its threads,
    -- which would cancel them as dropped calls)
    FOR v_child IN SELECT i.id FROM df._instances i
                    WHERE i.parent_id = _cancel_instance.id AND i.status IN ('pending', 'running') LOOP
        PERFORM df._cancel_instance(v_child, 'the calling instance ' || _cancel_instance.id || ' was cancelled');
    END LOOP;
    -- Every thread, timer and wait; running steps are interrupted at commit.
    PERFORM df._cancel_threads(_cancel_instance.id, NULL);
    DELETE FROM df._signals s WHERE s.instance_id = _cancel_instance.id;
    -- one that called it learns it ended
    PERFORM df._wake_caller(v_caller);
    PERFORM df._wake();
END;
$$;

-- Retention: terminal instances whose end is older than dfc.retention (a
-- server setting, 7 days by default, 0 keeps them forever) are removed with
-- everything that belongs to them, a small batch at a time. The first step
-- worker calls this about once a second; each call looks at the next 1,000
-- instances in id order (df.retention_from, a session setting, remembers
-- where) and removes at most 500, so a pass over all instances costs index
-- lookups by primary key only, and no index on the end time is needed (one
-- would make every instance's last update non-HOT).
CREATE OR REPLACE FUNCTION df._expire_instances()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- (plans cached while the tables' statistics say empty must still use the indexes)
SET enable_seqscan = off
AS $$
DECLARE
    -- (seconds; without the library the setting is unknown: the default)
    v_seconds bigint := coalesce((SELECT s.setting::bigint FROM pg_catalog.pg_settings s WHERE s.name = 'dfc.retention'),
                                 604800);
    v_from    text := coalesce(current_setting('df.retention_from', true), '');
    v_last    text;
    v_seen    integer := 0;
    v_removed integer := 0;
    v_item    record;
BEGIN
    IF v_seconds <= 0 THEN
        RETURN 0;
    END IF;
    FOR v_item IN
        SELECT i.id, i.status, i.completed_at FROM df._instances i WHERE i.id > v_from ORDER BY i.id LIMIT 1000
    LOOP
        v_seen := v_seen + 1;
        v_last := v_item.id;
        -- (an end time that is missing keeps the instance)
        CONTINUE WHEN v_item.status NOT IN ('completed', 'failed', 'cancelled')
                   OR NOT coalesce(v_item.completed_at < now() - make_interval(secs => v_seconds), false);
        -- (not one a transaction holds: a df.signal or df.cancel of it, say)
        PERFORM FROM df._instances i WHERE i.id = v_item.id FOR UPDATE SKIP LOCKED;
        CONTINUE WHEN NOT FOUND;
        DELETE FROM df._node_states n WHERE n.instance_id = v_item.id;
        DELETE FROM df._results r WHERE r.instance_id = v_item.id;
        DELETE FROM df._undos u WHERE u.instance_id = v_item.id;
        DELETE FROM df._signals s WHERE s.instance_id = v_item.id;
        DELETE FROM df._queue q WHERE q.instance_id = v_item.id;
        DELETE FROM df._instances i WHERE i.id = v_item.id;
        v_removed := v_removed + 1;
        EXIT WHEN v_removed >= 500;
    END LOOP;
    -- a short batch reached the end: start over from the first id next time
    PERFORM set_config('df.retention_from', CASE WHEN v_seen < 1000 AND v_removed < 500 THEN '' ELSE v_last END, false);
    RETURN v_removed;
END;
$$;
COMMENT ON FUNCTION df._expire_instances()
    IS 'removes a batch of terminal instances older than dfc.retention, with their nodes, results and signals (called by the step workers)';
