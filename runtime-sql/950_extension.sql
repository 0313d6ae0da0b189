-- Under CREATE EXTENSION dfc: have pg_dump dump the contents of the runtime's
-- tables (they are extension members, so it would skip them otherwise).
-- Outside an extension script pg_extension_config_dump refuses to run, and
-- there is nothing to do: pg_dump dumps the tables as ordinary ones.
DO $$
DECLARE
    v_table regclass;
BEGIN
    -- pg_extension_config_dump raises a plain internal error outside CREATE
    -- EXTENSION, so look first: during it, df is already an extension member.
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_namespace'::regclass
                      AND d.objid = 'df'::regnamespace
                      AND d.refclassid = 'pg_catalog.pg_extension'::regclass
                      AND d.deptype = 'e') THEN
        RETURN;
    END IF;
    FOREACH v_table IN ARRAY ARRAY['df._workflows', 'df._versions', 'df._instances', 'df._node_states',
                                   'df._results', 'df._queue', 'df._signals', 'df._variables', 'df._usage',
                                   'df._versions_seq_seq', 'df._queue_id_seq', 'df._signals_id_seq']::regclass[] LOOP
        PERFORM pg_catalog.pg_extension_config_dump(v_table, '');
    END LOOP;
END;
$$;
