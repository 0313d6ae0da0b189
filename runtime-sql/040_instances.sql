-- Instances, their per-node state, named results and the runnable-work queue.
-- Every table that grows with instances is keyed by instance id first, so the
-- design partitions (or distributes) by instance.

CREATE TABLE IF NOT EXISTS df._instances (
    id              text PRIMARY KEY,
    workflow        text NOT NULL,
    version         text NOT NULL,
    label           text,
    -- 'pending', 'running', 'completed', 'failed' or 'cancelled'. Written by
    -- the runtime only; not a CHECK constraint, which every step's update
    -- would pay for (its expression is rebuilt per statement).
    status          text NOT NULL DEFAULT 'pending',
    -- A role reference rather than a name: roles can be renamed, and steps
    -- run as this role. regrole (not oid) so that pg_dump restores it by name.
    submitter       regrole NOT NULL,
    timezone        text NOT NULL,
    idempotency_key text,
    result          json,
    error           jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    FOREIGN KEY (workflow, version) REFERENCES df._versions (workflow, version)
);
CREATE UNIQUE INDEX IF NOT EXISTS _instances_idempotency_key
    ON df._instances (submitter, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS _instances_submitter ON df._instances (submitter, created_at);
COMMENT ON TABLE df._instances IS 'workflow instances (read through the df.instances view)';
-- The version's state-machine function, copied at start so that running a
-- step reads one row (NULL for instances started by an older runtime: looked
-- up in df._versions).
ALTER TABLE df._instances ADD COLUMN IF NOT EXISTS step_function regprocedure;

-- Only nodes that have run get a row: a node without one is pending, so
-- starting an instance writes nothing per node.
-- No foreign key to df._instances here and in df._results: its check would
-- cost every step a lookup and a row lock on the instance. Whatever deletes
-- instances (retention) deletes their node states and results too.
CREATE TABLE IF NOT EXISTS df._node_states (
    instance_id text NOT NULL,
    node_id     integer NOT NULL,
    -- 'pending', 'running', 'completed' or 'failed' (no CHECK: see df._instances)
    status      text NOT NULL,
    -- json, not jsonb: keys keep the query's column order.
    result      json,
    error       jsonb,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instance_id, node_id)
);
COMMENT ON TABLE df._node_states IS 'state of each node of an instance that has run';

CREATE TABLE IF NOT EXISTS df._results (
    instance_id text NOT NULL,
    name        text NOT NULL,
    -- {"rows":[...],"row_count":n}, as the step returned it
    value       json NOT NULL,
    -- [{"name":..,"type":..}, ...] in select-list order: $a is the first one,
    -- and $a.* casts to these types
    columns     json NOT NULL,
    PRIMARY KEY (instance_id, name)
);
COMMENT ON TABLE df._results IS 'named results ($name) and parameters of each instance';

-- No foreign key to df._instances either: the row is inserted by the
-- function that inserts the instance, and the check's plan, cached while the
-- table was small, turned a bulk start into a scan of df._instances per start.
CREATE TABLE IF NOT EXISTS df._queue (
    id          bigserial PRIMARY KEY,
    instance_id text NOT NULL,
    state       integer NOT NULL,
    -- The next step keeps its item and its place: moving to the next state
    -- only changes "state", an unindexed column, so the update stays HOT.
    ready_at    timestamptz NOT NULL DEFAULT now()
)
-- Room on each page for those HOT updates; vacuum early, since claims from
-- the head of the index (df._claim) walk the finished items' entries there.
WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
      autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 1000);
-- The claim's index: runnable order, ready_at then id. The id is indexed as
-- the expression id + 0 so that a lookup by id (WHERE id = $1) can only use
-- the primary key: with a plain id column here, a lookup by id could be
-- planned as a walk of this whole index -- priced as cheap when the queue's
-- statistics were taken while it was drained (reltuples 0) -- and was, costing
-- each step a scan of the queue.
DO $$
BEGIN
    IF (SELECT pg_catalog.pg_get_indexdef(x.indexrelid)
          FROM pg_catalog.pg_index x WHERE x.indexrelid = to_regclass('df._queue_claim'))
       NOT LIKE '%(ready_at, ((id + 0)))%' THEN
        DROP INDEX df._queue_claim;
    END IF;
END;
$$;
CREATE INDEX IF NOT EXISTS _queue_claim ON df._queue (ready_at, (id + 0));
CREATE INDEX IF NOT EXISTS _queue_instance ON df._queue (instance_id);
COMMENT ON TABLE df._queue IS 'runnable work: one item per instance branch that has a step to run';

-- Threads (docs/internals.md, "Threads"): a queue item is one sequential path
-- through an instance's states. Columns added after 0.1's first release are
-- added here, so re-running the script over an older install upgrades it.
ALTER TABLE df._queue
    -- the forking thread of a branch thread, its branch number (1-based) and
    -- the fork it belongs to (the parent's fork_seq when it forked): a thread
    -- whose parent moved on (race decided, break, failure) is stale
    ADD COLUMN IF NOT EXISTS parent_id      bigint,
    ADD COLUMN IF NOT EXISTS branch         integer,
    ADD COLUMN IF NOT EXISTS parent_seq     integer,
    -- forks made by this thread so far
    ADD COLUMN IF NOT EXISTS fork_seq       integer NOT NULL DEFAULT 0,
    -- parked: 'fork' (waiting for branches), 'timer' (sleep, schedule armed),
    -- 'signal' (waiting for a signal); NULL: runnable at ready_at
    ADD COLUMN IF NOT EXISTS waiting        text,
    ADD COLUMN IF NOT EXISTS wait_until     timestamptz,
    -- a fork's branches not yet ended, and the results of those that have
    ADD COLUMN IF NOT EXISTS pending        integer,
    ADD COLUMN IF NOT EXISTS branch_results json[],
    -- the thread's current result: the result of node result_node (in
    -- df._node_states) when set, else the value in result
    ADD COLUMN IF NOT EXISTS result_node    integer,
    ADD COLUMN IF NOT EXISTS result         json,
    -- times the step of this item ended the worker process running it
    -- (df._step_ended_worker): a poison step fails after a few
    ADD COLUMN IF NOT EXISTS crashes        integer NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS _queue_parent ON df._queue (parent_id) WHERE parent_id IS NOT NULL;
-- The columns of a SQL node's result, so that a thread's result bound later
-- (a loop's exit, a race's winner) keeps them for $name references.
ALTER TABLE df._node_states ADD COLUMN IF NOT EXISTS columns json;
-- an instance started by df.call: the calling instance and its queue item,
-- woken when this one ends; cancelling the caller cancels it
ALTER TABLE df._instances ADD COLUMN IF NOT EXISTS parent_id text;
ALTER TABLE df._instances ADD COLUMN IF NOT EXISTS parent_item bigint;
CREATE INDEX IF NOT EXISTS _instances_parent ON df._instances (parent_id) WHERE parent_id IS NOT NULL;
-- how many times an HTTP node's call was started (a loop runs it again): the
-- attempt in its Idempotency-Key, the same when a call is made again after a crash
ALTER TABLE df._node_states ADD COLUMN IF NOT EXISTS http_attempts integer NOT NULL DEFAULT 0;

-- df.retry: the runs of its body so far (its last error is the node's error
-- while it waits to run again)
ALTER TABLE df._node_states ADD COLUMN IF NOT EXISTS attempts integer;
-- x <-> y: the undos registered so far (y's entry state), run last first
-- (seq) when the instance fails, each as a root thread marked undoing, with
-- its branches (docs/runtime.md, "Retry, timeout and undo"). A table of its
-- own, not a column of df._instances: registering must not lock the instance
-- row, which is locked last (see 090_run.sql).
CREATE TABLE IF NOT EXISTS df._undos (
    instance_id text NOT NULL,
    node        integer NOT NULL,
    seq         bigint NOT NULL,
    PRIMARY KEY (instance_id, node)
);
CREATE SEQUENCE IF NOT EXISTS df._undo_seq;
COMMENT ON TABLE df._undos IS 'undos (y of x <-> y) registered by each instance and not run yet';
ALTER TABLE df._queue ADD COLUMN IF NOT EXISTS undoing boolean NOT NULL DEFAULT false;

-- Signals sent with df.signal that no wait has consumed yet. A wait consumes
-- (deletes) the oldest of its name; cancel and retention delete the rest.
CREATE TABLE IF NOT EXISTS df._signals (
    id          bigserial PRIMARY KEY,
    instance_id text NOT NULL REFERENCES df._instances (id) ON DELETE CASCADE,
    name        text NOT NULL,
    data        json,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS _signals_instance ON df._signals (instance_id, name, id);
COMMENT ON TABLE df._signals IS 'signals delivered to instances and not yet consumed by a wait';

-- dfc worker processes (RUNTIME.md section 4), each reporting itself every
-- few seconds (df._external_heartbeat): df.stats counts those heard from
-- lately with the in-server step workers. A process that ends cleanly
-- removes its row; others are removed an hour after they were last heard.
CREATE TABLE IF NOT EXISTS df._external_workers (
    id                text PRIMARY KEY,       -- host, process id and start of the dfc worker
    threads           integer NOT NULL,       -- its step threads
    busy              integer NOT NULL,       -- of those, running a step at the last report
    started_at        timestamptz NOT NULL,
    steps             bigint NOT NULL,        -- since it started
    failures          bigint NOT NULL,
    steps_last_minute bigint NOT NULL,
    last_step_at      timestamptz,
    heartbeat_at      timestamptz NOT NULL
);
COMMENT ON TABLE df._external_workers IS 'dfc worker processes and their figures, as they last reported them';

-- Upgrades: constraints of earlier runtimes that this one does without, the
-- status CHECKs (see df._instances) and df._queue's foreign key (see
-- df._queue); dropped quietly (no NOTICE on a fresh install).
DO $$
DECLARE
    v_constraint record;
BEGIN
    FOR v_constraint IN
        SELECT c.conrelid::regclass AS rel, c.conname
          FROM pg_catalog.pg_constraint c
         WHERE (c.conrelid, c.conname) IN (('df._instances'::regclass, '_instances_status_check'),
                                           ('df._node_states'::regclass, '_node_states_status_check'),
                                           ('df._queue'::regclass, '_queue_instance_id_fkey'))
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', v_constraint.rel, v_constraint.conname);
    END LOOP;
END;
$$;
