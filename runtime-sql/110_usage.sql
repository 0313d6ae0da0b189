-- Access management: nothing in df is granted to PUBLIC (see 900_privileges.sql);
-- an administrator lets a role use workflows with df.grant_usage.

CREATE OR REPLACE FUNCTION df.grant_usage(p_role regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Schema usage to reach the API; the API functions are SECURITY DEFINER
    -- and filter by the caller, so no table privilege is granted.
    EXECUTE format('GRANT USAGE ON SCHEMA df TO %s', p_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION df.start(text, text, text, text, jsonb, text), df.status(text),
                        df.result(text), df.await_instance(text, double precision), df.instance_nodes(text),
                        df.signal(text, text, text), df.cancel(text, text),
                        df.setvar(text, text), df.getvar(text), df.unsetvar(text), df.clearvars(),
                        df.runtime_version() TO %s', p_role);
    -- The view is owned by the runtime owner and filters on current_user.
    EXECUTE format('GRANT SELECT ON df.instances TO %s', p_role);
END;
$$;
COMMENT ON FUNCTION df.grant_usage(regrole) IS 'lets a role start workflows and read its own instances';

CREATE OR REPLACE FUNCTION df.revoke_usage(p_role regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA df FROM %s', p_role);
    EXECUTE format('REVOKE SELECT ON df.instances FROM %s', p_role);
    EXECUTE format('REVOKE USAGE ON SCHEMA df FROM %s', p_role);
END;
$$;
COMMENT ON FUNCTION df.revoke_usage(regrole) IS 'undoes df.grant_usage';
