-- Catalog of deployed workflows and their versions.

CREATE TABLE IF NOT EXISTS df._workflows (
    name       text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE df._workflows IS 'deployed workflow names';

CREATE TABLE IF NOT EXISTS df._versions (
    workflow      text NOT NULL REFERENCES df._workflows (name),
    version       text NOT NULL,
    -- Registration order: the highest one of a workflow is what df.start uses.
    seq           bigserial NOT NULL UNIQUE,
    -- The state-machine function, both as regprocedure (called by OID through
    -- df._call; pg_dump restores it by name) and as a quoted,
    -- schema-qualified name ready to be spliced into EXECUTE.
    function_oid  regprocedure NOT NULL,
    function_name text NOT NULL,
    params        jsonb NOT NULL DEFAULT '[]',
    nodes         jsonb NOT NULL DEFAULT '[]',
    source        text,
    registered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow, version)
);
DO $$
BEGIN
    IF (SELECT a.atttypid FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = 'df._versions'::regclass AND a.attname = 'function_oid') = 'oid'::regtype THEN
        ALTER TABLE df._versions ALTER COLUMN function_oid TYPE regprocedure;
    END IF;
END;
$$;
COMMENT ON TABLE df._versions IS 'workflow versions: function, parameters and static node list';

CREATE OR REPLACE FUNCTION df._register_version(
    p_workflow text,
    p_version  text,
    p_function regprocedure,
    p_params   jsonb,
    p_nodes    jsonb,
    p_source   text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_param jsonb;
    v_function_name text;
BEGIN
    IF jsonb_typeof(p_params) IS DISTINCT FROM 'array' OR jsonb_typeof(p_nodes) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'p_params and p_nodes must be JSON arrays'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR v_param IN SELECT value FROM jsonb_array_elements(p_params) LOOP
        -- to_regtype also rejects text that is not a type name, so the type can
        -- later be spliced into a cast safely.
        IF to_regtype(v_param ->> 'type') IS NULL THEN
            RAISE EXCEPTION 'parameter "%" of workflow % has unknown type "%"',
                    v_param ->> 'name', p_workflow, v_param ->> 'type'
                USING ERRCODE = 'undefined_object',
                      HINT = 'Create the type before deploying the workflow.';
        END IF;
    END LOOP;

    SELECT format('%I.%I', n.nspname, p.proname)
      INTO v_function_name
      FROM pg_catalog.pg_proc p
      JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
     WHERE p.oid = p_function;

    INSERT INTO df._workflows (name) VALUES (p_workflow) ON CONFLICT DO NOTHING;
    -- Re-registering a version changes nothing, so applying a script twice is
    -- a no-op; except that the node list of a version compiled by an older
    -- dfc (without pg_durable's tree, THEN nodes) is replaced, as the script
    -- has just replaced its function.
    INSERT INTO df._versions AS v (workflow, version, function_oid, function_name, params, nodes, source)
    VALUES (p_workflow, p_version, p_function, v_function_name, p_params, p_nodes, p_source)
    ON CONFLICT (workflow, version) DO UPDATE SET nodes = excluded.nodes
     WHERE v.nodes IS DISTINCT FROM excluded.nodes;
END;
$$;
COMMENT ON FUNCTION df._register_version(text, text, regprocedure, jsonb, jsonb, text)
    IS 'registers a compiled workflow version (idempotent); called by deploy scripts';
