-- Access management: nothing in df is granted to PUBLIC (see 900_privileges.sql);
-- an administrator lets a role use workflows with df.grant_usage.

-- Roles given df.grant_usage, and whether their workflows may make HTTP
-- calls (read by the HTTP executor; HTTP steps are refused otherwise).
CREATE TABLE IF NOT EXISTS df._usage (
    role         regrole PRIMARY KEY,
    include_http boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE df._usage IS 'roles allowed to use dfc (df.grant_usage), with their HTTP permission';

-- The one-argument form of the first runtime version: replaced by the one
-- below (keeping both would make df.grant_usage('r') ambiguous).
DO $$
BEGIN
    IF to_regprocedure('df.grant_usage(regrole)') IS NOT NULL THEN    -- (quietly: no NOTICE on a fresh install)
        DROP FUNCTION df.grant_usage(regrole);
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION df.grant_usage(p_role regrole, include_http boolean DEFAULT false, with_grant boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- with_grant: the role may pass the same access on to other roles
    v_option text := CASE WHEN with_grant THEN ' WITH GRANT OPTION' ELSE '' END;
BEGIN
    IF p_role IS NULL OR include_http IS NULL OR with_grant IS NULL THEN
        RAISE EXCEPTION 'df.grant_usage arguments must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- Schema usage to reach the API; the API functions are SECURITY DEFINER
    -- and filter by the caller, so no table privilege is granted.
    EXECUTE format('GRANT USAGE ON SCHEMA df TO %s%s', p_role, v_option);
    EXECUTE format('GRANT EXECUTE ON FUNCTION df.start(text, text, text, text, jsonb, text), df.status(text),
                        df.result(text), df.await_instance(text, double precision), df.instance_nodes(text),
                        df.list_instances(text, integer), df.list_instances(text, integer, text, text), df.explain(text),
                        df.signal(text, text, text), df.cancel(text, text),
                        df.setvar(text, text), df.getvar(text), df.unsetvar(text), df.clearvars(),
                        df.running_steps(), df.runtime_version() TO %s%s', p_role, v_option);
    -- The views are owned by the runtime owner and filter on current_user
    -- (df.nodes calls df.running_steps(), with the caller's privileges).
    EXECUTE format('GRANT SELECT ON df.instances, df.nodes TO %s%s', p_role, v_option);
    INSERT INTO df._usage AS u (role, include_http) VALUES (p_role, include_http)
    ON CONFLICT (role) DO UPDATE SET include_http = excluded.include_http;
END;
$$;
COMMENT ON FUNCTION df.grant_usage(regrole, boolean, boolean)
    IS 'lets a role start workflows and read its own instances (include_http: its workflows may call HTTP; with_grant: it may grant the same)';

CREATE OR REPLACE FUNCTION df.revoke_usage(p_role regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA df FROM %s CASCADE', p_role);
    EXECUTE format('REVOKE SELECT ON df.instances, df.nodes FROM %s CASCADE', p_role);
    EXECUTE format('REVOKE USAGE ON SCHEMA df FROM %s CASCADE', p_role);
    DELETE FROM df._usage u WHERE u.role = p_role;
END;
$$;
COMMENT ON FUNCTION df.revoke_usage(regrole) IS 'undoes df.grant_usage';

-- Re-running the runtime script (an upgrade) gives the roles granted usage
-- before it whatever df.grant_usage grants now: functions and views added
-- since (df.list_instances, df.nodes, ...), and those recreated by the
-- upgrade. A role that could pass its access on keeps that option.
DO $$
DECLARE
    v_usage record;
BEGIN
    FOR v_usage IN SELECT u.role, u.include_http FROM df._usage u LOOP
        PERFORM df.grant_usage(v_usage.role, v_usage.include_http,
                               pg_catalog.has_function_privilege(v_usage.role::oid, 'df.status(text)',
                                                                 'EXECUTE WITH GRANT OPTION'));
    END LOOP;
    -- df.nodes calls df.running_steps() with its reader's privileges: every
    -- role that may read the view (also one given SELECT by a plain GRANT,
    -- a monitoring role say) may call it, with the same grant option
    FOR v_usage IN SELECT a.grantee::regrole AS role, bool_or(a.is_grantable) AS grantable
                     FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
                    WHERE c.oid = 'df.nodes'::regclass AND a.privilege_type = 'SELECT' AND a.grantee <> 0
                    GROUP BY a.grantee LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION df.running_steps() TO %s%s', v_usage.role,
                       CASE WHEN v_usage.grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
END;
$$;
