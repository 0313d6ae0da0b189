-- Last file: whatever the files above created, PUBLIC gets nothing in df.
-- Functions are executable by PUBLIC by default, hence the blanket revoke;
-- access is then granted per role by df.grant_usage. The step runner (the
-- background worker) connects as the bootstrap superuser and needs no grant.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA df FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA df FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA df FROM PUBLIC;
-- Types are usable by PUBLIC by default too: every type of df (df.step,
-- df._http_call, the row types of tables and views; not array types, which
-- follow their element type).
DO $$
DECLARE
    v_type regtype;
BEGIN
    FOR v_type IN SELECT t.oid FROM pg_catalog.pg_type t
                   WHERE t.typnamespace = 'df'::regnamespace AND t.typcategory <> 'A'
                     AND pg_catalog.has_type_privilege('public', t.oid, 'USAGE') LOOP
        EXECUTE format('REVOKE ALL ON TYPE %s FROM PUBLIC', v_type);
    END LOOP;
END;
$$;
-- Compiled workflow functions are created later by deploy scripts; they stay
-- out of reach because df_workflows grants USAGE to nobody. (Their EXECUTE
-- for PUBLIC stays: a dfc worker whose role owns the runtime, not the
-- functions a superuser deployed, calls them through it.)
