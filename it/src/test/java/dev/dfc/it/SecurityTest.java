package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RUNTIME.md section 5 under attack: a non-superuser (created with df.grant_usage) runs
 * workflows whose steps try to escape their submitter's privileges, reach the runtime's
 * tables and functions or another role's instances; each attack must fail with its specific
 * SQLSTATE and message. Plus: what PUBLIC gets in schema df, grant/revoke, search_path
 * shadowing, injection through result values, and superuser submission with
 * dfc.allow_superuser off, and work PostgreSQL defers to commit (deferred triggers, holdable
 * cursors), which must not run with the worker's privileges.
 */
@ClusterExtension.WithCluster
class SecurityTest {
    static final String ATTACKER = "sec_attacker";
    static final String VICTIM = "sec_victim";
    static final String SUPERUSER = "postgres";

    /** One attack: a workflow whose single step must fail with {@code sqlstate} and a message containing {@code message}. */
    record Attack(String name, String step, String sqlstate, String message) {
        @Override
        public String toString() { return name; }
    }

    static final String ROLE = "cannot set parameter \"role\" within security-definer function";
    static final String SESSION_AUTH = "cannot set parameter \"session_authorization\" within security-definer function";

    static Stream<Attack> attacks() {
        return Stream.of(
                new Attack("reset_role", "'RESET ROLE'", "42501", ROLE),
                new Attack("set_role_superuser", "'SET ROLE " + SUPERUSER + "'", "42501", ROLE),
                new Attack("set_local_role", "'SET LOCAL ROLE " + SUPERUSER + "'", "42501", ROLE),
                new Attack("set_role_victim", "'SET ROLE " + VICTIM + "'", "42501", ROLE),
                new Attack("set_session_authorization", "'SET SESSION AUTHORIZATION " + SUPERUSER + "'", "42501", SESSION_AUTH),
                new Attack("reset_session_authorization", "'RESET SESSION AUTHORIZATION'", "42501", SESSION_AUTH),
                new Attack("do_reset_role", "$s$DO $b$BEGIN RESET ROLE; END$b$$s$", "42501", ROLE),
                new Attack("do_set_role", "$s$DO $b$BEGIN SET ROLE " + SUPERUSER + "; END$b$$s$", "42501", ROLE),
                new Attack("do_session_authorization", "$s$DO $b$BEGIN SET SESSION AUTHORIZATION " + SUPERUSER + "; END$b$$s$", "42501", SESSION_AUTH),
                new Attack("do_execute_set_role", "$s$DO $b$BEGIN EXECUTE 'SET ROLE " + SUPERUSER + "'; END$b$$s$", "42501", ROLE),
                new Attack("do_execute_session_authorization",
                        "$s$DO $b$BEGIN EXECUTE 'SET SESSION AUTHORIZATION " + SUPERUSER + "'; END$b$$s$", "42501", SESSION_AUTH),
                new Attack("own_function_execute", "'SELECT sec_exec(''SET ROLE " + SUPERUSER + "'')'", "42501", ROLE),
                new Attack("set_config_role", "'SELECT set_config(''role'', ''" + SUPERUSER + "'', false)'", "42501", ROLE),
                new Attack("set_config_role_local", "'SELECT set_config(''role'', ''" + SUPERUSER + "'', true)'", "42501", ROLE),
                new Attack("set_config_session_authorization",
                        "'SELECT set_config(''session_authorization'', ''" + SUPERUSER + "'', false)'", "42501", SESSION_AUTH),
                new Attack("after_harmless_statement", "'SELECT 1; RESET ROLE'", "42501", ROLE),
                new Attack("alter_role_set_role", "'ALTER ROLE " + ATTACKER + " SET role = ''" + SUPERUSER + "'''", "42501", ROLE),
                new Attack("alter_role_superuser", "'ALTER ROLE " + ATTACKER + " SUPERUSER'", "42501",
                        "must be superuser to alter superuser roles or change superuser attribute"),
                new Attack("allow_superuser_setting", "'SET dfc.allow_superuser = on'", "42501",
                        "permission denied to set parameter \"dfc.allow_superuser\""),
                new Attack("insert_instances", "'INSERT INTO df._instances (id, workflow, version, submitter, timezone)"
                        + " VALUES (''deadbeef'', ''x'', ''y'', ''" + SUPERUSER + "'', ''UTC'')'", "42501", "permission denied for table _instances"),
                new Attack("update_results", "'UPDATE df._results SET value = ''{}'''", "42501", "permission denied for table _results"),
                new Attack("delete_queue", "'DELETE FROM df._queue'", "42501", "permission denied for table _queue"),
                new Attack("update_node_states", "'UPDATE df._node_states SET status = ''completed'''", "42501", "permission denied for table _node_states"),
                new Attack("update_versions", "'UPDATE df._versions SET function_name = ''pg_catalog.now'''", "42501", "permission denied for table _versions"),
                new Attack("update_instances_view", "'UPDATE df.instances SET status = ''completed'''", "42501", "permission denied for view instances"),
                new Attack("read_results", "'SELECT * FROM df._results'", "42501", "permission denied for table _results"),
                new Attack("read_instances_table", "'SELECT * FROM df._instances'", "42501", "permission denied for table _instances"),
                new Attack("call_run_as", "'SELECT df._run_as(10, ''SELECT 1'')'", "42501", "permission denied for function _run_as"),
                new Attack("call_claim", "'SELECT df._claim()'", "42501", "permission denied for function _claim"),
                new Attack("call_run", "'SELECT df._run(1)'", "42501", "permission denied for function _run"),
                new Attack("call_fail", "'SELECT df._fail(1, ''XX000'', ''forged'')'", "42501", "permission denied for function _fail"),
                new Attack("call_register_version", "'SELECT df._register_version(''x'', ''y'', ''df.status(text)''::regprocedure, ''[]'', ''[]'')'",
                        "42501", "permission denied for function _register_version"),
                new Attack("call_ref", "'SELECT df.ref(''00000000'', ''x'')'", "42501", "permission denied for function ref"),
                new Attack("call_grant_usage", "'SELECT df.grant_usage(''" + VICTIM + "'')'", "42501", "permission denied for function grant_usage"),
                new Attack("create_in_df", "'CREATE FUNCTION df.sec_x() RETURNS int LANGUAGE sql AS ''SELECT 1'''", "42501", "permission denied for schema df"),
                new Attack("create_in_df_workflows", "'CREATE FUNCTION df_workflows.sec_x() RETURNS int LANGUAGE sql AS ''SELECT 1'''",
                        "42501", "permission denied for schema df_workflows"),
                new Attack("terminate_worker", "'SELECT pg_terminate_backend(pg_backend_pid())'", "42501", "must be a superuser to terminate superuser process"),
                new Attack("read_server_file", "'SELECT pg_read_file(''/etc/passwd'')'", "42501", "permission denied for function pg_read_file"),
                new Attack("copy_to_program", "'COPY (SELECT 1) TO PROGRAM ''id'''", "42501", "to COPY to or from an external program"),
                new Attack("load_library", "'LOAD ''dfc'''", "42501", "access to library \"dfc\" is not allowed"),
                new Attack("lock_queue", "'LOCK TABLE df._queue'", "42501", "permission denied for table _queue"),
                new Attack("take_over_runtime_function", "'ALTER FUNCTION df._claim() OWNER TO " + ATTACKER + "'", "42501",
                        "must be owner of function _claim"),
                new Attack("transaction_control", "'COMMIT'", "2D000", "a step cannot start or end transactions"),
                new Attack("prepare_transaction", "'PREPARE TRANSACTION ''sec_x'''", "2D000", "a step cannot start or end transactions"));
    }

    private static final String SETUP = """
            CREATE TABLE IF NOT EXISTS sec_canary (id int);
            CREATE TABLE IF NOT EXISTS sec_injected (run text, v text, n int, j jsonb, a text[]);
            GRANT SELECT, INSERT ON sec_injected TO sec_attacker;
            CREATE WORKFLOW sec_whoami AS 'SELECT current_user::text AS cu, session_user::text AS su';
            CREATE WORKFLOW sec_victim_flow (secret text) AS 'SELECT $secret AS secret' |=> 's' ~> 'SELECT $s AS again';
            CREATE WORKFLOW sec_read_victim (v text) AS
                'SELECT df.status($v) AS status, df.result($v) AS result,
                        (SELECT count(*) FROM df.instance_nodes($v)) AS nodes,
                        (SELECT count(*) FROM df.instances WHERE id = $v) AS visible';
            CREATE WORKFLOW sec_await_victim (v text) AS 'SELECT df.await_instance($v, 1)';
            CREATE WORKFLOW sec_cancel_victim (v text) AS 'SELECT df.cancel($v)';
            CREATE WORKFLOW sec_signal_victim (v text) AS 'SELECT df.signal($v, ''go'')';
            CREATE WORKFLOW sec_definer AS
                'SELECT sec_admin_whoami() AS inside, current_user::text AS outside' |=> 'a'
                ~> 'SELECT current_user::text AS next_step, $a.inside AS inside';
            """;

    @BeforeAll
    static void setUp(TestCluster db) throws Exception {
        db.createRole(ATTACKER);
        db.createRole(VICTIM);
        StringBuilder corpus = new StringBuilder(SETUP);
        attacks().forEach(a -> corpus.append("CREATE WORKFLOW sec_atk_").append(a.name()).append(" AS ").append(a.step()).append(";\n"));
        db.deploy("security.dfsql", corpus.toString());
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS " + ATTACKER + " AUTHORIZATION " + ATTACKER);
            // a privileged role's SECURITY DEFINER function the attacker may call (written properly)
            s.execute("CREATE OR REPLACE FUNCTION public.sec_admin_whoami() RETURNS text LANGUAGE sql SECURITY DEFINER"
                    + " SET search_path = pg_catalog AS 'SELECT current_user::text'");
            s.execute("REVOKE ALL ON FUNCTION public.sec_admin_whoami() FROM PUBLIC");
            s.execute("GRANT EXECUTE ON FUNCTION public.sec_admin_whoami() TO " + ATTACKER);
        }
        try (Connection c = db.connectAs(ATTACKER); Statement s = c.createStatement()) {
            s.execute("CREATE OR REPLACE FUNCTION " + ATTACKER + ".sec_exec(q text) RETURNS void LANGUAGE plpgsql"
                    + " AS $$ BEGIN EXECUTE q; END $$");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attacks")
    void attackFailsWithItsSpecificError(Attack attack, TestCluster db) throws Exception {
        String id;
        try (Connection c = db.connectAs(ATTACKER)) {
            id = start(c, "sec_atk_" + attack.name(), "{}");
            assertEquals("failed", TestCluster.awaitInstance(c, id), () -> "attack " + attack + " was not refused: " + error(db, id));
        }
        assertEquals(attack.sqlstate(), errorField(db, id, "sqlstate"), () -> error(db, id));
        String message = errorField(db, id, "message");
        assertTrue(message.contains(attack.message()), () -> "expected \"" + attack.message() + "\" in: " + message);
        assertFalse(isSuperuser(db, ATTACKER), "the attacker became a superuser");
        assertEquals(0, count(db, "SELECT count(*) FROM df._instances WHERE id = 'deadbeef'"));
        assertEquals(1, count(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'sec_canary'"));
    }

    @Test
    void stepsRunAsTheSubmitterAndSecurityDefinerCallsDoNotLeakIdentity(TestCluster db) throws Exception {
        try (Connection c = db.connectAs(ATTACKER)) {
            String who = start(c, "sec_whoami", "{}");
            assertEquals("completed", TestCluster.awaitInstance(c, who), () -> error(db, who));
            assertEquals("{\"rows\":[{\"cu\":\"" + ATTACKER + "\",\"su\":\"" + SUPERUSER + "\"}],\"row_count\":1}", result(c, who));

            // a privileged role's SECURITY DEFINER function runs as its owner, and only inside it
            String def = start(c, "sec_definer", "{}");
            assertEquals("completed", TestCluster.awaitInstance(c, def), () -> error(db, def));
            assertEquals("{\"rows\":[{\"next_step\":\"" + ATTACKER + "\",\"inside\":\"" + SUPERUSER + "\"}],\"row_count\":1}", result(c, def));
            String[] nodes = nodeResults(c, def);
            assertEquals("{\"rows\":[{\"inside\":\"" + SUPERUSER + "\",\"outside\":\"" + ATTACKER + "\"}],\"row_count\":1}", nodes[0]);
        }
    }

    @Test
    void anotherRolesInstanceReadsAsAbsent(TestCluster db) throws Exception {
        String victimId;
        try (Connection v = db.connectAs(VICTIM)) {
            victimId = start(v, "sec_victim_flow", "{\"secret\": \"victim's secret\"}");
            assertEquals("completed", TestCluster.awaitInstance(v, victimId));
        }
        String victimResult = db.result(victimId);
        assertNotNull(victimResult);
        String args = "{\"v\": \"" + victimId + "\"}";

        try (Connection a = db.connectAs(ATTACKER)) {
            // directly in the attacker's session
            assertNull(scalar(a, "SELECT df.status(?)", victimId));
            assertNull(scalar(a, "SELECT df.result(?)", victimId));
            assertEquals("0", scalar(a, "SELECT count(*) FROM df.instance_nodes(?)", victimId));
            assertEquals("0", scalar(a, "SELECT count(*) FROM df.instances WHERE id = ?", victimId));
            assertEquals("0", scalar(a, "SELECT count(*) FROM df.instances WHERE submitted_by <> current_user", null));
            assertEquals("0", scalar(a, "SELECT count(*) FROM df.list_instances(NULL, 1000) WHERE submitted_by <> current_user", null));
            assertEquals("0", scalar(a, "SELECT count(*) FROM df.nodes WHERE instance_id = ? OR submitted_by <> current_user", victimId));
            SQLException cursor = assertThrows(SQLException.class, () -> scalar(a, "SELECT count(*) FROM df.list_instances(NULL, 10, NULL, ?)", victimId));
            assertEquals("P0002", cursor.getSQLState(), "another role's id as after_cursor reads as absent");
            SQLException e = assertThrows(SQLException.class, () -> scalar(a, "SELECT df.await_instance(?, 1)", victimId));
            assertEquals("P0002", e.getSQLState());
            assertTrue(e.getMessage().contains("instance not found"), e.getMessage());
            for (String fn : List.of("cancel", "signal")) {
                String sql = fn.equals("cancel") ? "SELECT df.cancel(?)" : "SELECT df.signal(?, 'go')";
                String proc = fn.equals("cancel") ? "df.cancel(text,text)" : "df.signal(text,text,text)";
                if (!exists(db, proc)) continue;
                SQLException ce = assertThrows(SQLException.class, () -> scalar(a, sql, victimId));
                if (canExecute(db, ATTACKER, proc)) {
                    assertEquals("P0002", ce.getSQLState(), ce.getMessage());
                    assertTrue(ce.getMessage().contains("instance not found"), ce.getMessage());
                } else {
                    assertEquals("42501", ce.getSQLState(), ce.getMessage());
                }
            }

            // the same from inside steps
            String read = start(a, "sec_read_victim", args);
            assertEquals("completed", TestCluster.awaitInstance(a, read), () -> error(db, read));
            assertEquals("{\"rows\":[{\"status\":null,\"result\":null,\"nodes\":0,\"visible\":0}],\"row_count\":1}", result(a, read));
            String await = start(a, "sec_await_victim", args);
            assertEquals("failed", TestCluster.awaitInstance(a, await));
            assertEquals("P0002", errorField(db, await, "sqlstate"));
            assertEquals("instance not found", errorField(db, await, "message"));
            for (String fn : List.of("cancel", "signal")) {
                String proc = fn.equals("cancel") ? "df.cancel(text,text)" : "df.signal(text,text,text)";
                if (!exists(db, proc)) continue;
                String step = start(a, "sec_" + fn + "_victim", args);
                assertEquals("failed", TestCluster.awaitInstance(a, step));
                if (canExecute(db, ATTACKER, proc)) {
                    assertEquals("P0002", errorField(db, step, "sqlstate"));
                    assertEquals("instance not found", errorField(db, step, "message"));
                } else {
                    assertEquals("42501", errorField(db, step, "sqlstate"));
                }
            }
        }
        // the victim's instance is untouched; superusers see every instance
        assertEquals("completed", suScalar(db, "SELECT status FROM df.instances WHERE id = ?", victimId));
        assertEquals(victimResult, db.result(victimId));
        try (Connection v = db.connectAs(VICTIM)) {
            assertEquals("completed", scalar(v, "SELECT df.status(?)", victimId));
            assertEquals("0", scalar(v, "SELECT count(*) FROM df.instances WHERE submitted_by <> current_user", null));
            assertEquals(victimId, scalar(v, "SELECT id FROM df.list_instances(NULL, 1000) WHERE id = ?", victimId));
            assertNotEquals("0", scalar(v, "SELECT count(*) FROM df.nodes WHERE instance_id = ?", victimId));
            // every column, the THEN node's included, as the role reads it (nothing it may not call)
            assertEquals("1:SQL:completed:t:t 2:SQL:completed:t:t 3:THEN:completed:1:2:t:t", scalar(v,
                    "SELECT string_agg(concat_ws(':', id, node_type, status, left_node, right_node, result IS NOT NULL, error, updated_at IS NOT NULL),"
                    + " ' ' ORDER BY id) FROM df.nodes WHERE instance_id = ?", victimId));
        }
    }

    /** Variables are per role: another role's are invisible, and a step cannot set its submitter's. Skipped without df.setvar. */
    @Test
    void variablesArePerRole(TestCluster db) throws Exception {
        Assumptions.assumeTrue(exists(db, "df.setvar(text,text)") && exists(db, "df.getvar(text)"), "this runtime has no variables yet");
        db.deploy("vars.dfsql", """
                CREATE WORKFLOW sec_getvar AS 'SELECT df.getvar(''sec_secret'') AS v';
                CREATE WORKFLOW sec_setvar AS 'SELECT df.setvar(''sec_planted'', ''1'')';
                """);
        try (Connection v = db.connectAs(VICTIM); Statement s = v.createStatement()) {
            s.execute("SELECT df.setvar('sec_secret', 'victim''s value')");
            assertEquals("victim's value", scalar(v, "SELECT df.getvar('sec_secret')", null));
        }
        try (Connection a = db.connectAs(ATTACKER); Statement s = a.createStatement()) {
            assertNull(scalar(a, "SELECT df.getvar('sec_secret')", null));
            SQLException e = assertThrows(SQLException.class, () -> s.execute("SELECT * FROM df._variables"));
            assertEquals("42501", e.getSQLState());
            String get = start(a, "sec_getvar", "{}");
            assertEquals("completed", TestCluster.awaitInstance(a, get), () -> error(db, get));
            assertEquals("{\"rows\":[{\"v\":null}],\"row_count\":1}", result(a, get));
            String set = start(a, "sec_setvar", "{}");
            assertEquals("failed", TestCluster.awaitInstance(a, set));
            assertEquals("55000", errorField(db, set, "sqlstate"));
            assertEquals("variables cannot be changed inside a running step", errorField(db, set, "message"));
            assertNull(scalar(a, "SELECT df.getvar('sec_planted')", null));
        }
        try (Connection v = db.connectAs(VICTIM)) {
            assertEquals("victim's value", scalar(v, "SELECT df.getvar('sec_secret')", null));
        }
    }

    @Test
    void runtimeTablesAndInternalFunctionsAreOutOfReachOfAGrantedRole(TestCluster db) throws Exception {
        String[][] denied = {
            {"SELECT * FROM df._instances", "permission denied for table _instances"},
            {"SELECT * FROM df._results", "permission denied for table _results"},
            {"SELECT * FROM df._node_states", "permission denied for table _node_states"},
            {"SELECT * FROM df._queue", "permission denied for table _queue"},
            {"SELECT * FROM df._versions", "permission denied for table _versions"},
            {"INSERT INTO df._queue (instance_id, state) VALUES ('x', 1)", "permission denied for table _queue"},
            {"UPDATE df.instances SET status = 'completed'", "permission denied for view instances"},
            {"DELETE FROM df.instances", "permission denied for view instances"},
            {"SELECT df._claim()", "permission denied for function _claim"},
            {"SELECT df._run(1)", "permission denied for function _run"},
            {"SELECT df._fail(1, 'XX000', 'forged')", "permission denied for function _fail"},
            {"SELECT df._run_as(10, 'SELECT 1')", "permission denied for function _run_as"},
            {"SELECT df._step_role()", "permission denied for function _step_role"},
            {"SELECT df._wake()", "permission denied for function _wake"},
            {"SELECT df._caller()", "permission denied for function _caller"},
            {"SELECT df._register_version('x', 'y', 'df.status(text)'::regprocedure, '[]', '[]')", "permission denied for function _register_version"},
            {"SELECT df.ref('00000000', 'x')", "permission denied for function ref"},
            {"SELECT df.ref_rows('00000000', 'x')", "permission denied for function ref_rows"},
            {"SELECT df.sql_step('SELECT 1')", "permission denied for function sql_step"},
            {"SELECT df.grant_usage('" + ATTACKER + "')", "permission denied for function grant_usage"},
            {"SELECT df.revoke_usage('" + VICTIM + "')", "permission denied for function revoke_usage"},
            {"SET dfc.allow_superuser = on", "permission denied to set parameter \"dfc.allow_superuser\""},
            {"SET dfc.list_instances_max_limit = 1000000", "permission denied to set parameter \"dfc.list_instances_max_limit\""},
        };
        try (Connection a = db.connectAs(ATTACKER); Statement s = a.createStatement()) {
            for (String[] d : denied) {
                SQLException e = assertThrows(SQLException.class, () -> s.execute(d[0]), d[0]);
                assertEquals("42501", e.getSQLState(), d[0] + ": " + e.getMessage());
                assertTrue(e.getMessage().contains(d[1]), d[0] + ": " + e.getMessage());
            }
        }
    }

    /**
     * A plan a worker session made while one submitter's step ran does not serve another's: the
     * victim may execute an inlinable SQL function and an immutable one, the attacker may not;
     * after the victim's steps (the second run of a text keeps its plan, and PL/pgSQL keeps the
     * plans of a function a step calls), the attacker's same steps still fail with 42501 (they
     * returned the victim's values: EXECUTE is checked when a plan is made). Run with df._run_as
     * in one session, the identity switch a step worker uses, so both roles share its plans.
     */
    @Test
    void plansMadeForOneSubmitterDoNotServeAnother(TestCluster db) throws Exception {
        // (roles without a schema of their own: "$user" in the search_path makes the same list for
        // both, so a plan is not made again for a different search_path)
        String victim = db.createRole("sec_plan_victim");
        String attacker = db.createRole("sec_plan_attacker");
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS sec_hr CASCADE");
            s.execute("CREATE SCHEMA sec_hr");
            s.execute("GRANT USAGE ON SCHEMA sec_hr TO " + attacker + ", " + victim);
            s.execute("CREATE FUNCTION sec_hr.secret_const() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'inlined-secret'::text $$");
            s.execute("CREATE FUNCTION sec_hr.token() RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN 'folded-secret'; END $$");
            s.execute("REVOKE ALL ON FUNCTION sec_hr.secret_const(), sec_hr.token() FROM PUBLIC");
            s.execute("GRANT EXECUTE ON FUNCTION sec_hr.secret_const(), sec_hr.token() TO " + victim);
            s.execute("CREATE FUNCTION sec_hr.report() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT sec_hr.secret_const()); END $$");
            s.execute("GRANT EXECUTE ON FUNCTION sec_hr.report() TO " + attacker + ", " + victim);
            List<String> steps = List.of("SELECT sec_hr.secret_const() AS s", "SELECT sec_hr.token() AS s", "SELECT sec_hr.report() AS s");
            for (String step : steps) {
                try (PreparedStatement as = c.prepareStatement("SELECT df._run_as(?::regrole, ?) -> 'rows' -> 0 ->> 's'")) {
                    as.setString(1, victim);
                    as.setString(2, step);
                    for (int i = 0; i < 3; i++) {
                        try (ResultSet rs = as.executeQuery()) {
                            rs.next();
                            assertTrue(rs.getString(1).endsWith("-secret"), step + ": " + rs.getString(1));
                        }
                    }
                    as.setString(1, attacker);
                    SQLException e = assertThrows(SQLException.class, as::executeQuery, step + " ran as the attacker with the victim's plan");
                    assertEquals("42501", e.getSQLState(), step + ": " + e.getMessage());
                }
            }
            s.execute("DROP SCHEMA sec_hr CASCADE");
        }
    }

    @Test
    void publicGetsNothingInSchemaDf(TestCluster db) throws Exception {
        db.deploy("public_nothing.dfsql", "CREATE WORKFLOW sec_public_nothing AS 'SELECT 1';\n");
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sec_nobody') THEN CREATE ROLE sec_nobody LOGIN; END IF; END $$");
            // as PUBLIC sees it: a role that was never granted anything
            assertEquals(List.of(), rows(c, """
                    SELECT 'schema ' || n FROM unnest(ARRAY['df', 'df_workflows']) n
                     WHERE has_schema_privilege('sec_nobody', n, 'USAGE') OR has_schema_privilege('sec_nobody', n, 'CREATE')
                    UNION ALL
                    SELECT 'function ' || p.oid::regprocedure FROM pg_proc p
                     WHERE p.pronamespace = 'df'::regnamespace AND has_function_privilege('sec_nobody', p.oid, 'EXECUTE')
                    UNION ALL
                    SELECT 'relation ' || c.oid::regclass FROM pg_class c
                     WHERE c.relnamespace = 'df'::regnamespace AND c.relkind IN ('r', 'v', 'p', 'm')
                       AND has_table_privilege('sec_nobody', c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
                    UNION ALL
                    SELECT 'sequence ' || c.oid::regclass FROM pg_class c
                     WHERE c.relnamespace = 'df'::regnamespace AND c.relkind = 'S'
                       AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege('sec_nobody', c.oid, 'USAGE,SELECT,UPDATE') END
                    UNION ALL
                    SELECT 'type ' || t.oid::regtype FROM pg_type t
                     WHERE t.typnamespace = 'df'::regnamespace AND has_type_privilege('sec_nobody', t.oid, 'USAGE')
                    UNION ALL
                    SELECT 'deployed function ' || v.function_oid FROM df._versions v
                     WHERE has_function_privilege('sec_nobody', v.function_oid, 'EXECUTE')
                       AND has_schema_privilege('sec_nobody', 'df_workflows', 'USAGE')
                    ORDER BY 1"""));
        }
        try (Connection n = db.connectAs("sec_nobody"); Statement s = n.createStatement()) {
            for (String sql : List.of("SELECT df.start('sec_whoami')", "SELECT * FROM df.instances", "SELECT df.status('00000000')")) {
                SQLException e = assertThrows(SQLException.class, () -> s.execute(sql), sql);
                assertEquals("42501", e.getSQLState(), e.getMessage());
                assertTrue(e.getMessage().contains("permission denied for schema df"), e.getMessage());
            }
        }
        // a granted role may execute the user API only: nothing internal, no table but the instances and nodes views
        try (Connection c = db.connect()) {
            assertEquals(List.of(), rows(c, """
                    SELECT 'function ' || p.oid::regprocedure FROM pg_proc p
                     WHERE p.pronamespace = 'df'::regnamespace AND has_function_privilege('sec_attacker', p.oid, 'EXECUTE')
                       AND (p.proname LIKE '\\_%' OR p.proname LIKE '%\\_step' OR p.proname IN ('grant_usage', 'revoke_usage', 'ref', 'ref_rows', 'ref_text', 'var'))
                    UNION ALL
                    SELECT 'relation ' || c.oid::regclass FROM pg_class c
                     WHERE c.relnamespace = 'df'::regnamespace AND c.relkind IN ('r', 'v', 'S', 'p', 'm') AND c.relname NOT IN ('instances', 'nodes')
                       AND has_table_privilege('sec_attacker', c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
                    UNION ALL
                    SELECT 'view instances' WHERE has_table_privilege('sec_attacker', 'df.instances', 'INSERT,UPDATE,DELETE,TRUNCATE,TRIGGER')
                    UNION ALL
                    SELECT 'view nodes' WHERE has_table_privilege('sec_attacker', 'df.nodes', 'INSERT,UPDATE,DELETE,TRUNCATE,TRIGGER')
                    UNION ALL
                    SELECT 'schema df_workflows' WHERE has_schema_privilege('sec_attacker', 'df_workflows', 'USAGE')
                    UNION ALL
                    SELECT 'create on df' WHERE has_schema_privilege('sec_attacker', 'df', 'CREATE')"""));
        }
    }

    @Test
    void grantAndRevokeUsage(TestCluster db) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sec_toggle') THEN CREATE ROLE sec_toggle LOGIN; END IF; END $$");
            s.execute("SELECT df.revoke_usage('sec_toggle')");
        }
        assertStartDenied(db, "sec_toggle");
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("SELECT df.grant_usage('sec_toggle')");
            s.execute("SELECT df.grant_usage('sec_toggle')"); // granting twice is harmless
        }
        String id;
        try (Connection t = db.connectAs("sec_toggle")) {
            id = start(t, "sec_whoami", "{}");
            assertEquals("completed", TestCluster.awaitInstance(t, id));
            assertEquals("1", scalar(t, "SELECT count(*) FROM df.instances WHERE id = ?", id));
        }
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("SELECT df.revoke_usage('sec_toggle')");
            s.execute("SELECT df.revoke_usage('sec_toggle')"); // and revoking twice
        }
        assertStartDenied(db, "sec_toggle");
        try (Connection t = db.connectAs("sec_toggle"); Statement s = t.createStatement()) {
            SQLException e = assertThrows(SQLException.class, () -> s.execute("SELECT * FROM df.instances"));
            assertEquals("42501", e.getSQLState());
        }
        // other roles keep their access
        try (Connection a = db.connectAs(ATTACKER)) {
            String other = start(a, "sec_whoami", "{}");
            assertEquals("completed", TestCluster.awaitInstance(a, other));
        }
        // the revoked role's instance stays, visible to superusers
        assertEquals("completed", suScalar(db, "SELECT status FROM df.instances WHERE id = ?", id));
    }

    private static void assertStartDenied(TestCluster db, String role) throws SQLException {
        try (Connection t = db.connectAs(role); Statement s = t.createStatement()) {
            SQLException e = assertThrows(SQLException.class, () -> s.execute("SELECT df.start('sec_whoami')"));
            assertEquals("42501", e.getSQLState(), e.getMessage());
            assertTrue(e.getMessage().contains("permission denied for schema df"), e.getMessage());
        }
    }

    @Test
    void runtimeFunctionsHaveAFixedSearchPath(TestCluster db) throws Exception {
        try (Connection c = db.connect()) {
            assertEquals(List.of(), rows(c, """
                    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                     WHERE p.pronamespace IN ('df'::regnamespace, 'df_workflows'::regnamespace) AND l.lanname <> 'c'
                       AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)
                     ORDER BY 1"""));
            // SECURITY DEFINER is only for the API that filters by caller
            assertEquals(List.of(), rows(c, """
                    SELECT p.oid::regprocedure::text FROM pg_proc p
                     WHERE p.pronamespace = 'df_workflows'::regnamespace AND p.prosecdef ORDER BY 1"""));
        }
    }

    /** User functions and operators named like those the runtime uses, first in search_path: never called by the runtime. */
    @Test
    void searchPathShadowsAreNeverCalledByTheRuntime(TestCluster db) throws Exception {
        String[] shadows = {
            "FUNCTION %s.format(text, text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.sec_shadow_log VALUES ('format', current_user); RETURN $1; END $$",
            "FUNCTION %s.replace(text, text, text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.sec_shadow_log VALUES ('replace', current_user); RETURN $1; END $$",
            "FUNCTION %s.json_typeof(json) RETURNS text LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.sec_shadow_log VALUES ('json_typeof', current_user); RETURN 'string'; END $$",
            "FUNCTION %s.jsonb_typeof(jsonb) RETURNS text LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.sec_shadow_log VALUES ('jsonb_typeof', current_user); RETURN 'object'; END $$",
            "FUNCTION %s.quote_ident(text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.sec_shadow_log VALUES ('quote_ident', current_user); RETURN $1; END $$",
            "FUNCTION %s.now() RETURNS timestamptz LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.sec_shadow_log VALUES ('now', current_user); RETURN 'infinity'; END $$",
            "FUNCTION %s.current_setting(text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.sec_shadow_log VALUES ('current_setting', current_user); RETURN 'on'; END $$",
            "FUNCTION %s.sec_concat(text, text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.sec_shadow_log VALUES ('||', current_user); RETURN $1; END $$",
            "OPERATOR %s.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = %s.sec_concat)",
            "FUNCTION %s.sec_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.sec_shadow_log VALUES ('=', current_user); RETURN true; END $$",
            "OPERATOR %s.= (LEFTARG = text, RIGHTARG = text, FUNCTION = %s.sec_eq)",
            "FUNCTION %s.sec_arrow(json, text) RETURNS json LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.sec_shadow_log VALUES ('->', current_user); RETURN NULL; END $$",
            "OPERATOR %s.-> (LEFTARG = json, RIGHTARG = text, FUNCTION = %s.sec_arrow)",
        };
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS public.sec_shadow_log (fn text, cu text)");
            s.execute("TRUNCATE public.sec_shadow_log");
            s.execute("GRANT INSERT ON public.sec_shadow_log TO PUBLIC");
        }
        db.deploy("shadow.dfsql", """
                CREATE WORKFLOW sec_shadowed (n int, s text) AS
                    'SELECT $n AS a, $s AS b' |=> 'x'
                    ~> 'SELECT count(*) AS c, min(x.b) AS b FROM $x.*' |=> 'y'
                    ~> 'SELECT $y AS c, $x.b AS b, $y.b? AS bb';
                """);
        try {
            try (Connection a = db.connectAs(ATTACKER); Statement s = a.createStatement()) {
                for (String schema : List.of(ATTACKER, "public")) {
                    for (String sh : shadows) s.execute((sh.startsWith("OPERATOR") ? "CREATE " : "CREATE OR REPLACE ") + sh.replace("%s", schema));
                }
                s.execute("SET search_path = " + ATTACKER + ", public, pg_catalog");
                String id = start(a, "sec_shadowed", "{\"n\": 7, \"s\": \"it's\"}");
                assertEquals("completed", TestCluster.awaitInstance(a, id), () -> error(db, id));
                assertEquals("{\"rows\":[{\"c\":1,\"b\":\"it's\",\"bb\":\"it's\"}],\"row_count\":1}", result(a, id));
                // the API functions too
                scalar(a, "SELECT df.status(?)", id);
                scalar(a, "SELECT count(*) FROM df.instance_nodes(?)", id);
            }
            try (Connection c = db.connect()) {
                assertEquals(List.of(), rows(c, "SELECT fn || ' called as ' || cu FROM public.sec_shadow_log ORDER BY 1"),
                        "a shadowing function or operator was called");
            }
        } finally {
            try (Connection a = db.connectAs(ATTACKER); Statement s = a.createStatement()) {
                for (String schema : List.of(ATTACKER, "public")) {
                    s.execute("DROP OPERATOR IF EXISTS " + schema + ".|| (text, text)");
                    s.execute("DROP OPERATOR IF EXISTS " + schema + ".= (text, text)");
                    s.execute("DROP OPERATOR IF EXISTS " + schema + ".-> (json, text)");
                    for (String f : List.of("format(text, text)", "replace(text, text, text)", "json_typeof(json)", "jsonb_typeof(jsonb)",
                            "quote_ident(text)", "now()", "current_setting(text)", "sec_concat(text, text)", "sec_eq(text, text)", "sec_arrow(json, text)")) {
                        s.execute("DROP FUNCTION IF EXISTS " + schema + "." + f);
                    }
                }
            }
        }
    }

    /** Values that travel through $n, $n.col, $n.* and parameters can never become SQL. */
    @Test
    void resultValuesAndParametersCannotInjectSql(TestCluster db) throws Exception {
        db.deploy("inject.dfsql", """
                CREATE WORKFLOW sec_inject (run text, p text, n int) AS
                    'SELECT $p AS "v'');x", $n AS "n) AS t; DROP TABLE sec_canary; --",
                            ARRAY[$p, ''"}\\'']::text[] AS a,
                            jsonb_build_object($p, $p) AS j' |=> 'r'
                    ~> 'INSERT INTO sec_injected (run, v, n, j, a) VALUES ($run, $r, 1 - $n, $r.j, $r.a)'
                    ~> 'INSERT INTO sec_injected (run, v, n, j, a)
                        SELECT $run, r."v'');x", r."n) AS t; DROP TABLE sec_canary; --", r.j, r.a FROM $r.* RETURNING v'
                    ~> 'SELECT v FROM sec_injected WHERE run = $run AND v = $p ORDER BY n' |=> 'back'
                    ~> 'INSERT INTO sec_injected (run, v) SELECT $run, $back';
                """);
        String[] payloads = {
            "'); DROP TABLE sec_canary; --",
            "\\'); DROP TABLE sec_canary; --",
            "x' || (SELECT pg_sleep(0))::text || '",
            "$$; DROP TABLE sec_canary; $$",
            "$p $1 %s %I {run} \" ) AS t; --",
            "'::text); DROP TABLE sec_canary; SELECT ('",
            "E'\\\\'; DROP TABLE sec_canary; --",
            "*/ DROP TABLE sec_canary; /*",
        };
        try (Connection a = db.connectAs(ATTACKER)) {
            for (int i = 0; i < payloads.length; i++) {
                String run = "inject-" + i + "-" + System.nanoTime();
                String args = "{\"run\": " + json(run) + ", \"p\": " + json(payloads[i]) + ", \"n\": -5}";
                String id = start(a, "sec_inject", args);
                assertEquals("completed", TestCluster.awaitInstance(a, id), () -> error(db, id));
                try (PreparedStatement s = a.prepareStatement("""
                        SELECT count(*) FILTER (WHERE v = ? AND (n IS NULL OR n IN (6, -5))
                                                AND (j IS NULL OR j = jsonb_build_object(?::text, ?::text))
                                                AND (a IS NULL OR a = ARRAY[?, '"}\\']::text[])),
                               count(*)
                          FROM sec_injected WHERE run = ?""")) {
                    s.setString(1, payloads[i]);
                    s.setString(2, payloads[i]);
                    s.setString(3, payloads[i]);
                    s.setString(4, payloads[i]);
                    s.setString(5, run);
                    try (ResultSet rs = s.executeQuery()) {
                        rs.next();
                        assertEquals(3, rs.getInt(2), "rows written for payload " + payloads[i]);
                        assertEquals(3, rs.getInt(1), "payload " + payloads[i] + " did not arrive intact");
                    }
                }
                assertEquals(1, count(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'sec_canary'"), "payload " + payloads[i] + " dropped a table");
            }
        }
    }

    /**
     * dfc.allow_superuser off (production default): df.start refuses superusers, and a step
     * refuses to run for an instance whose submitter is (or became) a superuser.
     */
    @Test
    void superuserSubmissionsAreRefusedWhenTheSettingIsOff(TestCluster db) throws Exception {
        db.createRole("sec_promoted");
        db.deploy("superuser.dfsql", """
                CREATE TABLE IF NOT EXISTS sec_su_effects (run text);
                CREATE WORKFLOW sec_su_flow (run text) AS
                    'SELECT pg_sleep(2)' ~> 'INSERT INTO sec_su_effects VALUES ($run)';
                """);
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("GRANT INSERT ON sec_su_effects TO sec_promoted");
        }
        String earlySuper;
        String promoted;
        try {
            // started by a superuser while allowed, then the setting goes off during the first step
            earlySuper = db.start("sec_su_flow", "{\"run\": \"early-super\"}");
            try (Connection p = db.connectAs("sec_promoted")) {
                promoted = start(p, "sec_su_flow", "{\"run\": \"promoted\"}");
            }
            setAllowSuperuser(db, false);
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.execute("ALTER ROLE sec_promoted SUPERUSER");
                SQLException e = assertThrows(SQLException.class, () -> s.execute("SELECT df.start('sec_su_flow', args => '{\"run\": \"refused\"}')"));
                assertEquals("42501", e.getSQLState());
                assertTrue(e.getMessage().contains("workflows cannot be started by a superuser"), e.getMessage());
                // SET ROLE to a non-superuser is the way: the instance is that role's
                s.execute("SET ROLE " + ATTACKER);
                String asAttacker;
                try (ResultSet rs = s.executeQuery("SELECT df.start('sec_whoami')")) {
                    rs.next();
                    asAttacker = rs.getString(1);
                }
                s.execute("RESET ROLE");
                assertEquals("completed", TestCluster.awaitInstance(c, asAttacker));
                assertEquals(ATTACKER, scalar(c, "SELECT submitted_by FROM df.instances WHERE id = ?", asAttacker));
                assertTrue(result(c, asAttacker).contains("\"cu\":\"" + ATTACKER + "\""));
            }
            for (String id : List.of(earlySuper, promoted)) {
                assertEquals("failed", db.awaitInstance(id), () -> error(db, id));
                assertEquals("42501", errorField(db, id, "sqlstate"));
                assertEquals("steps of instances submitted by a superuser are not allowed", errorField(db, id, "message"));
            }
            assertEquals(0, count(db, "SELECT count(*) FROM sec_su_effects"), "a superuser's step ran");
        } finally {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.execute("ALTER ROLE sec_promoted NOSUPERUSER");
            }
            setAllowSuperuser(db, true);
        }
        // back on: superuser instances run again (the test cluster allows them)
        String again = db.start("sec_whoami", "{}");
        assertEquals("completed", db.awaitInstance(again));
    }

    /** ALTER SYSTEM (overrides the dev cluster's dfc.conf) and reload; waits until new sessions see it. */
    static void setAllowSuperuser(TestCluster db, boolean on) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute(on ? "ALTER SYSTEM RESET dfc.allow_superuser" : "ALTER SYSTEM SET dfc.allow_superuser = off");
            s.execute("SELECT pg_reload_conf()");
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try (Connection c = db.connect()) {
                if ((on ? "on" : "off").equals(scalar(c, "SHOW dfc.allow_superuser", null))) break;
            }
            if (System.nanoTime() > deadline) fail("dfc.allow_superuser did not become " + on);
            Thread.sleep(20);
        }
        // the step workers reload on SIGHUP at the top of their loop; a no-op instance proves one did
        Thread.sleep(200);
    }

    // ---- work PostgreSQL does at commit, after the step's identity is switched back ----

    /**
     * A deferred constraint trigger queued by a step would fire at the worker's COMMIT, after
     * df._run_as switched back to the worker's superuser identity: df._run_as fires deferred
     * triggers before switching back.
     */
    @Test
    void deferredTriggerDoesNotRunAsTheWorker(TestCluster db) throws Exception {
        try (Connection a = db.connectAs(ATTACKER); Statement s = a.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS sec_deferred (x int)");
            s.execute("CREATE TABLE IF NOT EXISTS sec_deferred_log (cu text)");
            s.execute("GRANT INSERT ON sec_deferred_log TO PUBLIC");
            s.execute("CREATE OR REPLACE FUNCTION sec_deferred_fn() RETURNS trigger LANGUAGE plpgsql AS"
                    + " $$ BEGIN INSERT INTO " + ATTACKER + ".sec_deferred_log VALUES (current_user); RETURN NULL; END $$");
            s.execute("DROP TRIGGER IF EXISTS sec_deferred_t ON sec_deferred");
            s.execute("CREATE CONSTRAINT TRIGGER sec_deferred_t AFTER INSERT ON sec_deferred DEFERRABLE INITIALLY DEFERRED"
                    + " FOR EACH ROW EXECUTE FUNCTION sec_deferred_fn()");
        }
        db.deploy("deferred.dfsql", "CREATE WORKFLOW sec_deferred_flow AS 'INSERT INTO sec_deferred VALUES (1)';");
        try (Connection a = db.connectAs(ATTACKER)) {
            String id = start(a, "sec_deferred_flow", "{}");
            TestCluster.awaitInstance(a, id);
            assertEquals(List.of(), rows(a, "SELECT cu FROM " + ATTACKER + ".sec_deferred_log WHERE cu <> '" + ATTACKER + "'"),
                    "the deferred trigger ran as the worker's role");
        }
    }

    /**
     * A deferred trigger that, firing as the submitter when the step ends, defers constraints again
     * and queues one more event would have that event fire at the worker's COMMIT as the worker:
     * deferring is refused while a step's deferred triggers fire, so the step fails instead.
     */
    @Test
    void deferredTriggerCannotDeferAgainToFireAtCommit(TestCluster db) throws Exception {
        try (Connection a = db.connectAs(ATTACKER); Statement s = a.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS sec_redefer (x int)");
            s.execute("CREATE TABLE IF NOT EXISTS sec_redefer_log (cu text)");
            s.execute("GRANT INSERT ON sec_redefer_log TO PUBLIC");
            s.execute("CREATE OR REPLACE FUNCTION sec_redefer_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    + " INSERT INTO " + ATTACKER + ".sec_redefer_log VALUES (current_user);"
                    + " IF current_user = '" + ATTACKER + "' AND NEW.x < 3 THEN"
                    + "   SET CONSTRAINTS ALL DEFERRED; INSERT INTO " + ATTACKER + ".sec_redefer VALUES (NEW.x + 1);"
                    + " END IF; RETURN NULL; END $$");
            s.execute("DROP TRIGGER IF EXISTS sec_redefer_t ON sec_redefer");
            s.execute("CREATE CONSTRAINT TRIGGER sec_redefer_t AFTER INSERT ON sec_redefer DEFERRABLE INITIALLY DEFERRED"
                    + " FOR EACH ROW EXECUTE FUNCTION sec_redefer_fn()");
        }
        db.deploy("redefer.dfsql", "CREATE WORKFLOW sec_redefer_flow AS 'INSERT INTO sec_redefer VALUES (1)';");
        try (Connection a = db.connectAs(ATTACKER)) {
            String id = start(a, "sec_redefer_flow", "{}");
            TestCluster.awaitInstance(a, id);
            assertEquals(List.of(), rows(a, "SELECT cu FROM " + ATTACKER + ".sec_redefer_log WHERE cu <> '" + ATTACKER + "'"),
                    "a re-deferred trigger ran as the worker's role");
            assertEquals(List.of("failed constraints cannot be deferred while a step's deferred triggers fire"),
                    rows(a, "SELECT status || ' ' || (error ->> 'message') FROM df.instances WHERE id = '" + id + "'"));
        }
    }

    /**
     * A cursor WITH HOLD declared by a step would be materialized at the worker's COMMIT as the
     * worker's superuser and stay open in the worker's session for the next step of any role:
     * df._run_as closes cursors before switching back.
     */
    @Test
    void holdableCursorDoesNotRunAsTheWorkerNorOutliveTheStep(TestCluster db) throws Exception {
        try (Connection a = db.connectAs(ATTACKER); Statement s = a.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS sec_cursor_log (cu text)");
            s.execute("GRANT INSERT ON sec_cursor_log TO PUBLIC");
            s.execute("CREATE OR REPLACE FUNCTION sec_cursor_fn() RETURNS text LANGUAGE plpgsql AS"
                    + " $$ BEGIN INSERT INTO " + ATTACKER + ".sec_cursor_log VALUES (current_user); RETURN 'attacker data'; END $$");
            s.execute("GRANT EXECUTE ON FUNCTION sec_cursor_fn() TO PUBLIC");
        }
        db.deploy("cursor.dfsql", """
                CREATE WORKFLOW sec_cursor_declare AS 'DECLARE sec_c CURSOR WITH HOLD FOR SELECT sec_attacker.sec_cursor_fn()';
                CREATE WORKFLOW sec_cursor_fetch AS 'FETCH ALL FROM sec_c';
                """);
        try (Connection a = db.connectAs(ATTACKER)) {
            String id = start(a, "sec_cursor_declare", "{}");
            TestCluster.awaitInstance(a, id);
            assertEquals(List.of(), rows(a, "SELECT cu FROM " + ATTACKER + ".sec_cursor_log WHERE cu <> '" + ATTACKER + "'"),
                    "the cursor's query ran as the worker's role");
        }
        try (Connection v = db.connectAs(VICTIM)) {
            for (int i = 0; i < 2 * TestCluster.WORKERS + 2; i++) {
                String id = start(v, "sec_cursor_fetch", "{}");
                String status = TestCluster.awaitInstance(v, id);
                assertFalse("completed".equals(status), "another role's step read the attacker's cursor: " + result(v, id));
            }
        }
    }

    /**
     * A cheap user function in a WHERE clause on df.instances must not see other roles' rows
     * (it did while the view was not a security_barrier view).
     */
    @Test
    void instancesViewDoesNotLeakThroughCheapFunctions(TestCluster db) throws Exception {
        String victimId;
        try (Connection v = db.connectAs(VICTIM)) {
            victimId = start(v, "sec_victim_flow", "{\"secret\": \"x\"}");
            TestCluster.awaitInstance(v, victimId);
        }
        try (Connection a = db.connectAs(ATTACKER); Statement s = a.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS sec_leak (id text)");
            s.execute("CREATE OR REPLACE FUNCTION sec_leak_fn(text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS"
                    + " $$ BEGIN INSERT INTO " + ATTACKER + ".sec_leak VALUES ($1); RETURN false; END $$");
            s.execute("SELECT count(*) FROM df.instances WHERE sec_leak_fn(id)");
            assertEquals("0", scalar(a, "SELECT count(*) FROM " + ATTACKER + ".sec_leak WHERE id = ?", victimId),
                    "the attacker saw the victim's instance id through the view");
        }
    }

    // ---- helpers ----

    static String start(Connection c, String workflow, String argsJson) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT df.start(?, args => ?::jsonb)")) {
            s.setString(1, workflow);
            s.setString(2, argsJson);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    static String result(Connection c, String id) throws SQLException {
        return scalar(c, "SELECT df.result(?)", id);
    }

    static String[] nodeResults(Connection c, String id) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT result::text FROM df.instance_nodes(?) ORDER BY node_id")) {
            s.setString(1, id);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
        }
        return out.toArray(String[]::new);
    }

    /** One value of a query with at most one string parameter (null: none). */
    static String scalar(Connection c, String sql, String param) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            if (param != null) s.setString(1, param);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    static String suScalar(TestCluster db, String sql, String param) throws SQLException {
        try (Connection c = db.connect()) {
            return scalar(c, sql, param);
        }
    }

    static List<String> rows(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) out.add(rs.getString(1));
        }
        return out;
    }

    static long count(TestCluster db, String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static boolean isSuperuser(TestCluster db, String role) throws SQLException {
        return count(db, "SELECT count(*) FROM pg_roles WHERE rolname = '" + role + "' AND rolsuper") > 0;
    }

    static boolean exists(TestCluster db, String regprocedure) throws SQLException {
        try (Connection c = db.connect()) {
            return scalar(c, "SELECT to_regprocedure(?)", regprocedure) != null;
        }
    }

    static boolean canExecute(TestCluster db, String role, String regprocedure) throws SQLException {
        try (Connection c = db.connect()) {
            return "t".equals(scalar(c, "SELECT has_function_privilege('" + role + "', to_regprocedure(?), 'EXECUTE')", regprocedure));
        }
    }

    static String errorField(TestCluster db, String id, String field) throws SQLException {
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("SELECT error ->> ? FROM df.instances WHERE id = ?")) {
            s.setString(1, field);
            s.setString(2, id);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    static String error(TestCluster db, String id) {
        try (Connection c = db.connect()) {
            return "instance " + id + ": " + scalar(c, "SELECT status || ' ' || coalesce(error::text, '') FROM df.instances WHERE id = ?", id);
        } catch (SQLException e) {
            return "instance " + id + ": (" + e.getMessage() + ")";
        }
    }

    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> b.append(ch);
            }
        }
        return b.append('"').toString();
    }
}
