-- Under CREATE EXTENSION dfc: have pg_dump dump the contents of the runtime's
-- tables (they are extension members, so it would skip them otherwise).
-- Outside an extension script pg_extension_config_dump refuses to run: on a
-- database without the extension there is nothing to do (pg_dump dumps the
-- tables as ordinary ones); on one installed with CREATE EXTENSION dfc, this
-- is the runtime script run again over it (an upgrade, dfc runtime --install):
-- what the script created anew in df joins the extension, as if the extension
-- script had created it, so that pg_dump and DROP EXTENSION treat it alike.
DO $$
DECLARE
    v_table  regclass;
    v_member record;
BEGIN
    -- during CREATE EXTENSION (and after it), df is an extension member
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_namespace'::regclass
                      AND d.objid = 'df'::regnamespace
                      AND d.refclassid = 'pg_catalog.pg_extension'::regclass
                      AND d.deptype = 'e') THEN
        RETURN;
    END IF;
    BEGIN
        FOREACH v_table IN ARRAY ARRAY['df._workflows', 'df._versions', 'df._instances', 'df._node_states',
                                       'df._results', 'df._queue', 'df._signals', 'df._variables', 'df._usage',
                                       'df._versions_seq_seq', 'df._queue_id_seq', 'df._signals_id_seq']::regclass[] LOOP
            PERFORM pg_catalog.pg_extension_config_dump(v_table, '');
        END LOOP;
    EXCEPTION WHEN feature_not_supported THEN
        -- ("... can only be called from an SQL script executed by CREATE EXTENSION")
        FOR v_member IN
            SELECT 'FUNCTION ' || p.oid::regprocedure AS what
              FROM pg_catalog.pg_proc p
             WHERE p.pronamespace = 'df'::regnamespace
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                                WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
            UNION ALL
            SELECT CASE c.relkind WHEN 'v' THEN 'VIEW ' WHEN 'S' THEN 'SEQUENCE ' ELSE 'TABLE ' END || c.oid::regclass
              FROM pg_catalog.pg_class c
             WHERE c.relnamespace = 'df'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S')
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                                WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            UNION ALL
            SELECT 'TYPE ' || t.oid::regtype
              FROM pg_catalog.pg_type t
             WHERE t.typnamespace = 'df'::regnamespace AND t.typcategory <> 'A'
               AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                                WHERE d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
        LOOP
            EXECUTE 'ALTER EXTENSION dfc ADD ' || v_member.what;
        END LOOP;
    END;
END;
$$;
