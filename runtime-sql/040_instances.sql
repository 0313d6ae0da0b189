-- Instances, their per-node state, named results and the runnable-work queue.
-- Every table that grows with instances is keyed by instance id first, so the
-- design partitions (or distributes) by instance.

CREATE TABLE IF NOT EXISTS df._instances (
    id              text PRIMARY KEY,
    workflow        text NOT NULL,
    version         text NOT NULL,
    label           text,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
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

-- Only nodes that have run get a row: a node without one is pending, so
-- starting an instance writes nothing per node.
-- No foreign key to df._instances here and in df._results: its check would
-- cost every step a lookup and a row lock on the instance. Whatever deletes
-- instances (retention) deletes their node states and results too.
CREATE TABLE IF NOT EXISTS df._node_states (
    instance_id text NOT NULL,
    node_id     integer NOT NULL,
    status      text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
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

CREATE TABLE IF NOT EXISTS df._queue (
    id          bigserial PRIMARY KEY,
    instance_id text NOT NULL REFERENCES df._instances (id) ON DELETE CASCADE,
    state       integer NOT NULL,
    -- The next step keeps its item and its place: moving to the next state
    -- only changes "state", an unindexed column, so the update stays HOT.
    ready_at    timestamptz NOT NULL DEFAULT now()
)
-- Room on each page for those HOT updates; vacuum early, since every claim
-- walks the index from its head, where the finished items' entries pile up.
WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
      autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 1000);
CREATE INDEX IF NOT EXISTS _queue_claim ON df._queue (ready_at, id);
CREATE INDEX IF NOT EXISTS _queue_instance ON df._queue (instance_id);
COMMENT ON TABLE df._queue IS 'runnable work: one item per instance branch that has a step to run';
