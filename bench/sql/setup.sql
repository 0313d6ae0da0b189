-- Tables of the ceiling and the hand-rolled baseline (bench/run.sh).

-- Ceiling: the transaction shape of one step with nothing around it.
DROP TABLE IF EXISTS bench_ceiling;
CREATE TABLE bench_ceiling (id integer PRIMARY KEY, n bigint NOT NULL DEFAULT 0) WITH (fillfactor = 70);
INSERT INTO bench_ceiling (id) SELECT g FROM generate_series(1, 10000) g;

-- Baseline: a jobs table as people write it by hand. One row per job, its
-- progress in status/step columns, the last step's result kept; workers poll
-- the partial index of ready jobs and claim with FOR UPDATE SKIP LOCKED.
DROP TABLE IF EXISTS bench_jobs;
CREATE TABLE bench_jobs (
    id           bigserial PRIMARY KEY,
    status       text NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'done', 'failed')),
    step         integer NOT NULL DEFAULT 0,      -- steps done so far (3 = done)
    result       jsonb,                           -- the last step's result
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
) WITH (fillfactor = 70);
CREATE INDEX bench_jobs_ready ON bench_jobs (id) WHERE status = 'ready';

-- Latency: one row per timed start (instance id, transaction id of the start).
CREATE TABLE IF NOT EXISTS bench_latency (id text PRIMARY KEY, xid xid8 NOT NULL);
