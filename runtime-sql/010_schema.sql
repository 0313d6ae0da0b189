-- dfc runtime: schemas and version guard.
--
-- The runtime script is the concatenation, in file-name order, of
-- runtime-sql/*.sql. It is installed with psql -f, over JDBC as one script, or
-- as CREATE EXTENSION dfc; every file must be re-runnable on a database that
-- already has the runtime.

CREATE SCHEMA IF NOT EXISTS df;
COMMENT ON SCHEMA df IS 'dfc runtime: workflow catalog, instances, queue and API';

-- Compiled workflows live apart from the runtime so that deploy scripts never
-- need to create objects in df itself.
CREATE SCHEMA IF NOT EXISTS df_workflows;
COMMENT ON SCHEMA df_workflows IS 'dfc: state-machine functions of deployed workflow versions';

-- Nothing in df is for PUBLIC; roles get access through df.grant_usage.
REVOKE ALL ON SCHEMA df FROM PUBLIC;
REVOKE ALL ON SCHEMA df_workflows FROM PUBLIC;

CREATE OR REPLACE FUNCTION df.runtime_version()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT '0.1'::text $$;
COMMENT ON FUNCTION df.runtime_version() IS 'version of the installed dfc runtime';

-- Called first by every compiled script, after a DO block that says so when
-- the runtime is missing altogether; here we refuse another major version.
CREATE OR REPLACE FUNCTION df._require_runtime(p_version text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_installed text := df.runtime_version();
BEGIN
    IF split_part(p_version, '.', 1) <> split_part(v_installed, '.', 1)
       OR (split_part(p_version, '.', 1) = '0'
           AND split_part(p_version, '.', 2) <> split_part(v_installed, '.', 2)) THEN
        RAISE EXCEPTION 'dfc runtime % is installed, this script needs %', v_installed, p_version
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'Compiled workflows only run on a runtime of the same major version (0.x: same minor).',
                  HINT = 'Upgrade the runtime (ALTER EXTENSION dfc UPDATE or dfc runtime --install) or recompile with a matching dfc.';
    END IF;
END;
$$;
COMMENT ON FUNCTION df._require_runtime(text) IS 'guard at the top of compiled scripts: fails unless the runtime version is compatible';
