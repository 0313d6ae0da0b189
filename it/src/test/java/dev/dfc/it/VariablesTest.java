package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Variables end to end (RUNTIME.md section 2, LANGUAGE.md section 4): df.setvar as an ordinary
 * role, {name} rendered as raw text from the variables captured at df.start, per role, fixed
 * for the run, refused inside a step, and an unknown one failing the step clearly.
 */
@ClusterExtension.WithCluster
class VariablesTest {
    /** Advisory lock key held by the test while an instance must stay in its first step. */
    private static final long LOCK_KEY = 7_310_001L;

    private static final String WORKFLOWS = """
            CREATE TABLE IF NOT EXISTS vars_a (note text, n bigint);
            CREATE TABLE IF NOT EXISTS vars_b (note text, n bigint);
            GRANT SELECT, INSERT ON vars_a, vars_b TO vars_user, vars_other;

            -- {tbl} is a table name; the system variables name a table of the run's own
            CREATE WORKFLOW vars_effects (note text)
            AS
                'CREATE TABLE vars_{sys_label}_{sys_instance_id} AS SELECT count(*) AS n FROM {tbl}'
                ~> 'INSERT INTO {tbl} (note, n) SELECT $note, n FROM vars_{sys_label}_{sys_instance_id}';

            -- blocks in its first step until the test releases the lock, then renders {tbl}
            CREATE WORKFLOW vars_capture (note text)
            AS
                'SELECT pg_advisory_xact_lock(%d)'
                ~> 'INSERT INTO {tbl} (note) VALUES ($note)';

            -- {name} naming a parameter: the parameter's text
            CREATE WORKFLOW vars_param (t text, note text)
            AS
                'INSERT INTO {t} (note) VALUES ($note)';

            CREATE WORKFLOW vars_set_inside
            AS
                'SELECT df.setvar(''tbl'', ''vars_b'')';

            CREATE WORKFLOW vars_clear_inside
            AS
                'SELECT df.clearvars()';

            CREATE WORKFLOW vars_unknown
            AS
                'SELECT * FROM {vars_never_set}';
            """.formatted(LOCK_KEY);

    @BeforeAll
    static void deploy() throws SQLException {
        TestCluster db = TestCluster.get();
        db.createRole("vars_user");
        db.createRole("vars_other");
        db.deploy("vars.dfsql", WORKFLOWS);
    }

    @Test
    void variableNamesATableAndSystemVariablesNameTheRunsTable(TestCluster db) throws Exception {
        String note = "effects-" + System.nanoTime();
        String id;
        try (Connection user = db.connectAs("vars_user")) {
            setvar(user, "tbl", "vars_a");
            assertEquals("vars_a", getvar(user, "tbl"));
            id = start(user, "vars_effects", "nightly", "{\"note\": \"" + note + "\"}");
            assertEquals("completed", TestCluster.awaitInstance(user, id), () -> error(db, id));
        }
        try (Connection c = db.connect()) {
            long before = queryLong(c, "SELECT n FROM vars_nightly_" + id);
            assertEquals(1, queryLong(c, "SELECT count(*) FROM vars_a WHERE note = '" + note + "' AND n = " + before));
            assertEquals(0, queryLong(c, "SELECT count(*) FROM vars_b WHERE note = '" + note + "'"));
            assertEquals("vars_user", queryText(c, "SELECT tableowner FROM pg_tables WHERE tablename = 'vars_nightly_" + id + "'"));
        }
    }

    @Test
    void instanceWithoutLabelRendersSysLabelAsEmptyText(TestCluster db) throws Exception {
        String note = "nolabel-" + System.nanoTime();
        String id;
        try (Connection user = db.connectAs("vars_user")) {
            setvar(user, "tbl", "vars_a");
            id = start(user, "vars_effects", null, "{\"note\": \"" + note + "\"}");
            assertEquals("completed", TestCluster.awaitInstance(user, id), () -> error(db, id));
        }
        try (Connection c = db.connect()) {
            assertEquals(1, queryLong(c, "SELECT count(*) FROM pg_tables WHERE tablename = 'vars__" + id + "'"));
        }
    }

    @Test
    void variablesArePerRole(TestCluster db) throws Exception {
        String note = "roles-" + System.nanoTime();
        try (Connection user = db.connectAs("vars_user"); Connection other = db.connectAs("vars_other")) {
            setvar(user, "tbl", "vars_a");
            setvar(other, "tbl", "vars_b");
            setvar(other, "only_other", "x");
            assertEquals("vars_a", getvar(user, "tbl"));
            assertEquals("vars_b", getvar(other, "tbl"));
            assertNull(getvar(user, "only_other"));

            String id = start(user, "vars_capture", "roles", "{\"note\": \"" + note + "\"}");
            assertEquals("completed", TestCluster.awaitInstance(user, id), () -> error(db, id));

            // unset and clear touch the caller's variables only
            exec(other, "SELECT df.unsetvar('only_other')");
            assertNull(getvar(other, "only_other"));
            exec(other, "SELECT df.clearvars()");
            assertNull(getvar(other, "tbl"));
            assertEquals("vars_a", getvar(user, "tbl"));
        }
        try (Connection c = db.connect()) {
            assertEquals(1, queryLong(c, "SELECT count(*) FROM vars_a WHERE note = '" + note + "'"));
            assertEquals(0, queryLong(c, "SELECT count(*) FROM vars_b WHERE note = '" + note + "'"));
        }
    }

    @Test
    void variablesAreCapturedAtStart(TestCluster db) throws Exception {
        String note = "capture-" + System.nanoTime();
        String id;
        try (Connection lock = db.connect(); Connection user = db.connectAs("vars_user")) {
            exec(lock, "SELECT pg_advisory_lock(" + LOCK_KEY + ")");
            try {
                setvar(user, "tbl", "vars_a");
                id = start(user, "vars_capture", "capture", "{\"note\": \"" + note + "\"}");
                awaitLockWaiter(lock, 30_000);
                // changed after start, while the instance is inside its first step
                setvar(user, "tbl", "vars_b");
                exec(user, "SELECT df.unsetvar('tbl')");
                setvar(user, "tbl", "vars_b");
            } finally {
                exec(lock, "SELECT pg_advisory_unlock(" + LOCK_KEY + ")");
            }
            assertEquals("completed", TestCluster.awaitInstance(user, id), () -> error(db, id));
        }
        try (Connection c = db.connect()) {
            assertEquals(1, queryLong(c, "SELECT count(*) FROM vars_a WHERE note = '" + note + "'"));
            assertEquals(0, queryLong(c, "SELECT count(*) FROM vars_b WHERE note = '" + note + "'"));
        }
    }

    @Test
    void parameterInBracesIsItsText(TestCluster db) throws Exception {
        String note = "param-" + System.nanoTime();
        try (Connection user = db.connectAs("vars_user")) {
            String id = start(user, "vars_param", null, "{\"t\": \"vars_b\", \"note\": \"" + note + "\"}");
            assertEquals("completed", TestCluster.awaitInstance(user, id), () -> error(db, id));
        }
        try (Connection c = db.connect()) {
            assertEquals(1, queryLong(c, "SELECT count(*) FROM vars_b WHERE note = '" + note + "'"));
        }
    }

    @Test
    void changingVariablesInsideAStepFailsTheStep(TestCluster db) throws Exception {
        try (Connection user = db.connectAs("vars_user")) {
            setvar(user, "tbl", "vars_a");
            for (String workflow : List.of("vars_set_inside", "vars_clear_inside")) {
                String id = start(user, workflow, null, "{}");
                assertEquals("failed", TestCluster.awaitInstance(user, id), workflow);
                assertEquals("variables cannot be changed inside a running step", errorField(db, id, "message"), workflow);
            }
            assertEquals("vars_a", getvar(user, "tbl"));
        }
    }

    @Test
    void unknownVariableFailsTheStepNamingIt(TestCluster db) throws Exception {
        try (Connection user = db.connectAs("vars_user")) {
            String id = start(user, "vars_unknown", null, "{}");
            assertEquals("failed", TestCluster.awaitInstance(user, id));
            assertEquals("variable {vars_never_set} is not set", errorField(db, id, "message"));
            assertEquals("42704", errorField(db, id, "sqlstate"));
        }
    }

    @Test
    void badNamesAndNullValuesAreRefused(TestCluster db) throws Exception {
        try (Connection user = db.connectAs("vars_user")) {
            assertEquals("22023", sqlState(() -> setvar(user, "sys_label", "x")));
            assertEquals("22023", sqlState(() -> setvar(user, "not a name", "x")));
            assertEquals("22004", sqlState(() -> setvar(user, "tbl", null)));
            // pg_durable's parameter names, for named arguments
            exec(user, "SELECT df.setvar(name => 'named', value => 'v')");
            assertEquals("v", getvar(user, "named"));
            exec(user, "SELECT df.unsetvar(name => 'named')");
            assertNull(getvar(user, "named"));
        }
    }

    @Test
    void rolesWithoutUsageCannotUseVariables(TestCluster db) throws Exception {
        try (Connection c = db.connect()) {
            exec(c, "DO $$ BEGIN CREATE ROLE vars_nogrant LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
            List<String> public_ = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT p.proname FROM pg_proc p
                     WHERE p.pronamespace = 'df'::regnamespace
                       AND p.proname IN ('setvar', 'getvar', 'unsetvar', 'clearvars', 'var', 'ref_text')
                       AND has_function_privilege('public', p.oid, 'EXECUTE')""");
                 ResultSet rs = s.executeQuery()) {
                while (rs.next()) public_.add(rs.getString(1));
            }
            assertEquals(List.of(), public_, "executable by PUBLIC");
        }
        try (Connection nogrant = db.connectAs("vars_nogrant")) {
            assertEquals("42501", sqlState(() -> setvar(nogrant, "tbl", "vars_a")));
        }
    }

    @Test
    void generatedFunctionsPassPlpgsqlCheck(TestCluster db) throws Exception {
        List<String> functions = new ArrayList<>();
        try (Connection c = db.connect(); var s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT function_oid::regprocedure::text FROM df._versions WHERE workflow LIKE 'vars\\_%' ORDER BY 1")) {
            while (rs.next()) functions.add(rs.getString(1));
        }
        assertEquals(6, functions.size(), functions.toString());
        for (String f : functions) assertEquals(List.of(), db.plpgsqlCheck(f), "plpgsql_check on " + f);
    }

    // helpers

    private static void setvar(Connection c, String name, String value) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT df.setvar(?, ?)")) {
            s.setString(1, name);
            s.setString(2, value);
            s.execute();
        }
    }

    private static String getvar(Connection c, String name) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT df.getvar(?)")) {
            s.setString(1, name);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static String start(Connection c, String workflow, String label, String argsJson) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT df.start(?, ?, args => ?::jsonb)")) {
            s.setString(1, workflow);
            s.setString(2, label);
            s.setString(3, argsJson);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** Polls (no fixed sleep) until a session waits for the test's advisory lock: the instance is in its first step. */
    private static void awaitLockWaiter(Connection c, long millis) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (queryLong(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = "
                + LOCK_KEY + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())") == 0) {
            if (System.nanoTime() > deadline) throw new AssertionError("no step waited for the advisory lock within " + millis + " ms");
            Thread.sleep(20);
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (var s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static long queryLong(Connection c, String sql) throws SQLException {
        try (var s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return rs.getLong(1);
        }
    }

    private static String queryText(Connection c, String sql) throws SQLException {
        try (var s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private interface SqlAction {
        void run() throws SQLException;
    }

    private static String sqlState(SqlAction action) {
        return assertThrows(SQLException.class, action::run).getSQLState();
    }

    private static String errorField(TestCluster db, String id, String field) throws SQLException {
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("SELECT error->>? FROM df.instances WHERE id = ?")) {
            s.setString(1, field);
            s.setString(2, id);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static String error(TestCluster db, String id) {
        try {
            return "instance " + id + " error: " + errorField(db, id, "message");
        } catch (SQLException e) {
            return "instance " + id + " (error unreadable: " + e.getMessage() + ")";
        }
    }
}
