-- Who is calling. The API functions are SECURITY DEFINER (they read the
-- runtime's tables), and inside them current_user is the runtime owner: the
-- caller's current_user cannot be observed. What can be is the session's
-- effective role: the "role" setting after SET ROLE, else the session user.
-- That is the identity whose privileges the session holds outside any
-- SECURITY DEFINER function, so it is what we record and check.
-- Inside a running step the session is the worker's (a superuser) while
-- current_user is the submitter; df._step_role() (kept in C memory, not in a
-- setting a user could change) says who that submitter is.
-- These helpers are PL/pgSQL rather than SQL: a SQL function that cannot be
-- inlined (SET clause) is parsed and planned again in every transaction.
CREATE OR REPLACE FUNCTION df._caller()
RETURNS oid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN coalesce(
        df._step_role(),
        (SELECT r.oid
           FROM pg_catalog.pg_roles r
          WHERE r.rolname = CASE pg_catalog.current_setting('role')
                                WHEN 'none' THEN session_user
                                ELSE pg_catalog.current_setting('role')
                            END));
END;
$$;
COMMENT ON FUNCTION df._caller() IS 'OID of the role calling the df API (see the comment in 060_caller.sql)';

CREATE OR REPLACE FUNCTION df._is_superuser(p_role oid)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN RETURN coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = p_role), false); END; $$;

-- dfc.allow_superuser is defined by the library; without it, it reads as off.
CREATE OR REPLACE FUNCTION df._superuser_allowed()
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN coalesce(lower(pg_catalog.current_setting('dfc.allow_superuser', true)), 'off')
           IN ('on', 'true', 'yes', '1');
END;
$$;
