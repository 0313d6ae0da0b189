-- A pg_durable-style script, compiled unchanged in script mode (docs/language.md, "Script mode"):
--
--     ./dfc compile examples/pg_durable_script.sql -o out.sql
--     psql -v ON_ERROR_STOP=1 -f out.sql
--
-- Each df.start(<expression>, <label>) below starts a workflow written inline; dfc compiles
-- every expression into an anonymous workflow deployed just before the statement that uses it.
-- The DO blocks at the end wait for the instances and fail the script on a wrong result.
-- Running it again starts new instances; the checks read the newest instance of each label.

DROP TABLE IF EXISTS sm_payments;
DROP TABLE IF EXISTS sm_orders;
CREATE TABLE sm_orders (id int PRIMARY KEY, amount numeric NOT NULL, status text NOT NULL DEFAULT 'new');
CREATE TABLE sm_payments (order_id int REFERENCES sm_orders (id), note text);
INSERT INTO sm_orders (id, amount) VALUES (1, 10.50), (2, 20), (3, 30.25);

-- pg_durable's positional form: expression, then label
SELECT df.start('SELECT 41 AS a' |=> 'a' ~> 'SELECT $a + 1 AS answer', 'sm-answer');

-- the same expression again: the same anonymous workflow, deployed once
SELECT df.start('SELECT 41 AS a' |=> 'a' ~> 'SELECT $a + 1 AS answer', 'sm-answer-again');

-- a step that writes, its result bound and used by the next step
SELECT df.start(
    'UPDATE sm_orders SET status = ''paid'' WHERE id = 2 RETURNING id, amount' |=> 'paid'
    ~> 'INSERT INTO sm_payments (order_id, note) VALUES ($paid.id, ''paid '' || $paid.amount) RETURNING note',
    'sm-pay');

-- a whole row set as a relation, the label passed by name
SELECT df.start(
    'SELECT id, amount FROM sm_orders ORDER BY id' |=> 'orders'
    ~> 'SELECT count(*) AS n, sum(amount) AS total FROM $orders.*',
    label => 'sm-rows');

-- started in a transaction that rolls back: as in pg_durable, the instance is discarded
BEGIN;
SELECT df.start('SELECT 1 AS never', 'sm-rolled-back');
ROLLBACK;

-- a single SQL string is a one-step workflow; a function that starts one from its body
CREATE OR REPLACE FUNCTION sm_start_count(p_label text) RETURNS text
LANGUAGE plpgsql AS $fn$
BEGIN
    RETURN df.start('SELECT count(*) AS orders FROM sm_orders', p_label);
END
$fn$;
SELECT sm_start_count('sm-count');

-- a DO block that starts a workflow, commits so the workers see it, and waits for it
DO $$
DECLARE
    v_id text;
    v_status text;
BEGIN
    v_id := df.start('SELECT ''from a DO block'' AS origin', 'sm-do');
    COMMIT;
    v_status := df.await_instance(v_id, 30);
    IF v_status IS DISTINCT FROM 'completed' THEN
        RAISE EXCEPTION 'sm-do: instance % is %', v_id, v_status;
    END IF;
END
$$;

-- checks: wait for each labelled instance and compare its result
CREATE OR REPLACE FUNCTION pg_temp.sm_check(p_label text, p_path text[], p_expected text) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    v_id text;
    v_status text;
    v_actual text;
BEGIN
    SELECT id INTO v_id FROM df.instances WHERE label = p_label ORDER BY created_at DESC, id LIMIT 1;
    IF v_id IS NULL THEN
        RAISE EXCEPTION '%: no instance', p_label;
    END IF;
    v_status := df.await_instance(v_id, 30);
    IF v_status IS DISTINCT FROM 'completed' THEN
        RAISE EXCEPTION '%: instance % is % (%)', p_label, v_id, v_status,
            (SELECT error FROM df.instances WHERE id = v_id);
    END IF;
    v_actual := df.result(v_id)::jsonb #>> p_path;
    IF v_actual IS DISTINCT FROM p_expected THEN
        RAISE EXCEPTION '%: expected % at %, found % in %', p_label, p_expected, p_path, v_actual, df.result(v_id);
    END IF;
END
$fn$;

SELECT pg_temp.sm_check('sm-answer', '{rows,0,answer}', '42');
SELECT pg_temp.sm_check('sm-answer-again', '{rows,0,answer}', '42');
SELECT pg_temp.sm_check('sm-pay', '{rows,0,note}', 'paid 20');
SELECT pg_temp.sm_check('sm-rows', '{rows,0,n}', '3');
SELECT pg_temp.sm_check('sm-rows', '{rows,0,total}', '60.75');
SELECT pg_temp.sm_check('sm-count', '{rows,0,orders}', '3');
SELECT pg_temp.sm_check('sm-do', '{rows,0,origin}', 'from a DO block');

DO $$
DECLARE
    v_workflows text[];
BEGIN
    SELECT array_agg(DISTINCT workflow ORDER BY workflow) INTO v_workflows
      FROM (SELECT DISTINCT ON (label) label, workflow
              FROM df.instances
             WHERE label IN ('sm-answer', 'sm-answer-again')
             ORDER BY label, created_at DESC) newest;
    IF cardinality(v_workflows) IS DISTINCT FROM 1 OR v_workflows[1] NOT LIKE 'anon\_%' THEN
        RAISE EXCEPTION 'the same expression should start the same anonymous workflow, found %', v_workflows;
    END IF;
    IF EXISTS (SELECT FROM df.instances WHERE label = 'sm-rolled-back') THEN
        RAISE EXCEPTION 'an instance started in a rolled-back transaction exists';
    END IF;
    IF (SELECT status FROM sm_orders WHERE id = 2) IS DISTINCT FROM 'paid' THEN
        RAISE EXCEPTION 'order 2 was not paid';
    END IF;
END
$$;
