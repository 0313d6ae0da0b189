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
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input to the runtime API (RUNTIME.md section 2, docs/runtime.md): each call is a clear
 * error with its SQLSTATE and message, or a documented no-op, and never leaves a half-created
 * instance (no new row in df._instances, no orphan result or queue item).
 */
@ClusterExtension.WithCluster
class BadInputTest {
    static final String USER = "badin_user";

    @BeforeAll
    static void setUp(TestCluster db) throws Exception {
        db.createRole(USER);
        db.deploy("bad_input.dfsql", """
                CREATE WORKFLOW bad_typed (n int, s text, d date DEFAULT '2020-01-01') AS 'SELECT $n AS n, $s AS s, $d AS d';
                CREATE WORKFLOW bad_big (p text) AS 'SELECT length($p) AS len, md5($p) AS h';
                CREATE WORKFLOW bad_slow AS 'SELECT pg_sleep(2) AS slept';
                """);
    }

    /** A call that must fail with sqlstate and a message containing fragment, creating nothing. */
    private static void assertRefused(TestCluster db, String sql, String sqlstate, String fragment) throws Exception {
        long before = instances(db);
        try (Connection c = db.connectAs(USER); Statement s = c.createStatement()) {
            SQLException e = assertThrows(SQLException.class, () -> s.execute(sql), sql);
            assertEquals(sqlstate, e.getSQLState(), sql + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(fragment), sql + ": expected \"" + fragment + "\" in " + e.getMessage());
        }
        assertEquals(before, instances(db), "a refused call created an instance: " + sql);
        assertNoHalfCreatedRows(db);
    }

    @Test
    void startRefusesBadWorkflowsAndArguments(TestCluster db) throws Exception {
        assertRefused(db, "SELECT df.start('no_such_flow')", "42704", "workflow \"no_such_flow\" is not deployed");
        assertRefused(db, "SELECT df.start(NULL)", "42704", "is not deployed");
        assertRefused(db, "SELECT df.start('')", "42704", "workflow \"\" is not deployed");
        assertRefused(db, "SELECT df.start('bad_typed''; DROP TABLE x; --')", "42704", "is not deployed");
        // malformed JSON never reaches df.start
        assertRefused(db, "SELECT df.start('bad_typed', args => '{\"n\": 1')", "22P02", "invalid input syntax for type json");
        // JSON that is not an object
        for (String args : List.of("'[1, 2]'", "'\"n\"'", "'42'", "'null'", "NULL")) {
            assertRefused(db, "SELECT df.start('bad_typed', args => " + args + ")", "22023", "args must be a JSON object");
        }
        assertRefused(db, "SELECT df.start('bad_typed', args => '{\"n\": 1, \"s\": \"x\", \"zz\": 1}')", "22023",
                "workflow bad_typed has no parameter \"zz\"");
        assertRefused(db, "SELECT df.start('bad_typed', args => '{\"s\": \"x\"}')", "22023", "missing argument \"n\" of workflow bad_typed");
        // wrong types, each named with the parameter
        for (String n : List.of("\"abc\"", "1.5", "99999999999", "[1]", "{\"a\": 1}", "true")) {
            assertRefused(db, "SELECT df.start('bad_typed', args => '{\"n\": " + n + ", \"s\": \"x\"}')", "22023",
                    "argument \"n\" of workflow bad_typed is not a valid int");
        }
        assertRefused(db, "SELECT df.start('bad_typed', args => '{\"n\": 1, \"s\": \"x\", \"d\": \"not a date\"}')", "22023",
                "argument \"d\" of workflow bad_typed is not a valid date");
        // options
        assertRefused(db, "SELECT df.start('bad_typed', transaction_mode => 'new', args => '{\"n\": 1, \"s\": \"x\"}')", "0A000", "not supported yet");
        assertRefused(db, "SELECT df.start('bad_typed', transaction_mode => 'bogus', args => '{\"n\": 1, \"s\": \"x\"}')", "22023",
                "unknown transaction_mode \"bogus\"");
        assertRefused(db, "SELECT df.start('bad_typed', transaction_mode => NULL, args => '{\"n\": 1, \"s\": \"x\"}')", "22023",
                "unknown transaction_mode");
        assertRefused(db, "SELECT df.start('bad_typed', database => 'elsewhere', args => '{\"n\": 1, \"s\": \"x\"}')", "0A000",
                "another database is not supported yet");
    }

    @Test
    void nullParameterValuesAreAcceptedAndFailTheStepThatNeedsThem(TestCluster db) throws Exception {
        try (Connection c = db.connectAs(USER)) {
            String id = start(c, "SELECT df.start('bad_typed', args => '{\"n\": null, \"s\": null, \"d\": null}')");
            assertEquals("failed", TestCluster.awaitInstance(c, id));
            assertEquals("22004", error(db, id, "sqlstate"));
            assertEquals("$n is NULL (use $n? to allow NULL)", error(db, id, "message"));
            // the default fills a missing parameter
            String ok = start(c, "SELECT df.start('bad_typed', args => '{\"n\": 7, \"s\": \"\"}')");
            assertEquals("completed", TestCluster.awaitInstance(c, ok));
            assertEquals("{\"rows\":[{\"n\":7,\"s\":\"\",\"d\":\"2020-01-01\"}],\"row_count\":1}", scalar(c, "SELECT df.result(?)", ok));
        }
        assertNoHalfCreatedRows(db);
    }

    @Test
    void unknownInstanceIdsReadAsAbsent(TestCluster db) throws Exception {
        String longId = "x".repeat(10_000);
        try (Connection c = db.connectAs(USER)) {
            for (String id : new String[] {"00000000", "zzzzzzzz", "", "'; DROP TABLE df._instances; --", longId, null}) {
                assertNull(scalar(c, "SELECT df.status(?)", id));
                assertNull(scalar(c, "SELECT df.result(?)", id));
                assertEquals("0", scalar(c, "SELECT count(*) FROM df.instance_nodes(?)", id));
                SQLException e = assertThrows(SQLException.class, () -> scalar(c, "SELECT df.await_instance(?, 1)", id));
                assertEquals("P0002", e.getSQLState());
                assertTrue(e.getMessage().contains("instance not found"), e.getMessage());
                if (exists(db, "df.cancel(text,text)")) {
                    SQLException ce = assertThrows(SQLException.class, () -> scalar(c, "SELECT df.cancel(?)", id));
                    assertEquals("P0002", ce.getSQLState(), ce.getMessage());
                }
                if (exists(db, "df.signal(text,text,text)")) {
                    SQLException se = assertThrows(SQLException.class, () -> scalar(c, "SELECT df.signal(?, 'go')", id));
                    assertEquals("P0002", se.getSQLState(), se.getMessage());
                }
            }
        }
        assertNoHalfCreatedRows(db);
    }

    @Test
    void awaitTimeouts(TestCluster db) throws Exception {
        try (Connection c = db.connectAs(USER)) {
            String id = start(c, "SELECT df.start('bad_slow')");
            // a timeout that has passed: the current status, at once
            assertTrue(List.of("pending", "running").contains(scalar(c, "SELECT df.await_instance(?, -1)", id)));
            assertTrue(List.of("pending", "running").contains(scalar(c, "SELECT df.await_instance(?, 0)", id)));
            assertEquals("completed", TestCluster.awaitInstance(c, id));
        }
    }

    /** df.await_instance(id, NULL) is a clear error at once, not a wait until statement_timeout. */
    @Test
    void awaitWithNullTimeoutDoesNotWaitForever(TestCluster db) throws Exception {
        try (Connection c = db.connectAs(USER); Statement s = c.createStatement()) {
            String id = start(c, "SELECT df.start('bad_slow')");
            s.execute("SET statement_timeout = '1s'");
            try (PreparedStatement p = c.prepareStatement("SELECT df.await_instance(?, NULL)")) {
                p.setString(1, id);
                SQLException e = assertThrows(SQLException.class, p::executeQuery);
                assertEquals("22023", e.getSQLState(), "NULL timeout: " + e.getMessage());
            }
        }
    }

    @Test
    void cancelAndSignalOnTerminalInstancesAreNoOps(TestCluster db) throws Exception {
        boolean cancel = exists(db, "df.cancel(text,text)");
        boolean signal = exists(db, "df.signal(text,text,text)");
        if (!cancel && !signal) return; // not in this runtime yet
        try (Connection c = db.connectAs(USER)) {
            String done = start(c, "SELECT df.start('bad_typed', args => '{\"n\": 1, \"s\": \"x\"}')");
            assertEquals("completed", TestCluster.awaitInstance(c, done));
            String result = scalar(c, "SELECT df.result(?)", done);
            if (cancel) {
                scalar(c, "SELECT df.cancel(?)", done);
                assertEquals("completed", scalar(c, "SELECT df.status(?)", done), "cancelling a completed instance changed it");
                assertEquals(result, scalar(c, "SELECT df.result(?)", done));
                String slow = start(c, "SELECT df.start('bad_slow')");
                scalar(c, "SELECT df.cancel(?, 'first')", slow);
                scalar(c, "SELECT df.cancel(?, 'second')", slow);
                assertEquals("cancelled", TestCluster.awaitInstance(c, slow));
                try (Connection su = db.connect()) {
                    assertEquals("first", scalar(su, "SELECT error ->> 'reason' FROM df.instances WHERE id = ?", slow), "the second cancel changed the instance");
                    assertEquals("0", scalar(su, "SELECT count(*) FROM df._queue WHERE instance_id = ?", slow));
                }
            }
            if (signal) {
                scalar(c, "SELECT df.signal(?, 'go', '{\"late\": true}')", done);
                assertEquals("completed", scalar(c, "SELECT df.status(?)", done));
                try (Connection su = db.connect()) {
                    assertEquals("0", scalar(su, "SELECT count(*) FROM df._signals WHERE instance_id = ?", done), "a signal to a terminal instance was kept");
                }
                SQLException e = assertThrows(SQLException.class, () -> {
                    try (PreparedStatement p = c.prepareStatement("SELECT df.signal(?, NULL)")) {
                        p.setString(1, done);
                        p.execute();
                    }
                });
                assertEquals("22004", e.getSQLState(), e.getMessage());
            }
        }
        assertNoHalfCreatedRows(db);
    }

    @Test
    void oversizedPayloads(TestCluster db) throws Exception {
        String big = "0123456789abcdef".repeat(10 * 1024 * 1024 / 16); // 10 MB
        try (Connection c = db.connectAs(USER)) {
            // a 10 MB argument is stored, referenced and rendered into the step
            String id;
            try (PreparedStatement p = c.prepareStatement("SELECT df.start('bad_big', label => ?, args => jsonb_build_object('p', ?::text))")) {
                p.setString(1, big);
                p.setString(2, big);
                try (ResultSet rs = p.executeQuery()) {
                    rs.next();
                    id = rs.getString(1);
                }
            }
            assertEquals("completed", TestCluster.awaitInstance(c, id));
            assertEquals("10485760", scalar(c, "SELECT df.result(?)::json -> 'rows' -> 0 ->> 'len'", id));
            assertEquals(scalar(c, "SELECT md5(?)", big), scalar(c, "SELECT df.result(?)::json -> 'rows' -> 0 ->> 'h'", id));
            assertEquals(String.valueOf(big.length()), scalar(c, "SELECT length(label) FROM df.instances WHERE id = ?", id));
            if (exists(db, "df.signal(text,text,text)")) {
                try (PreparedStatement p = c.prepareStatement("SELECT df.signal(?, 'big', ?)")) {
                    p.setString(1, id);
                    p.setString(2, big);
                    p.execute(); // terminal instance: a no-op, whatever the size
                }
            }
            // don't leave 10 MB labels in the shared cluster for other tests' listings
            try (Connection su = db.connect(); Statement s = su.createStatement()) {
                for (String t : List.of("df._results", "df._node_states")) s.execute("DELETE FROM " + t + " WHERE instance_id = '" + id + "'");
                s.execute("DELETE FROM df._instances WHERE id = '" + id + "'");
            }
        }
        // an idempotency key too large for its index: refused, nothing created
        long before = instances(db);
        try (Connection c = db.connectAs(USER);
             PreparedStatement p = c.prepareStatement("SELECT df.start('bad_big', args => '{\"p\": \"x\"}', idempotency_key => ?)")) {
            p.setString(1, big);
            SQLException e = assertThrows(SQLException.class, p::executeQuery);
            assertEquals("54000", e.getSQLState(), e.getMessage());
        }
        assertEquals(before, instances(db));
        assertNoHalfCreatedRows(db);
    }

    // ---- helpers ----

    static long instances(TestCluster db) throws SQLException {
        try (Connection c = db.connect()) {
            return Long.parseLong(scalar(c, "SELECT count(*) FROM df._instances", null));
        }
    }

    /** No result, queue item or node state without its instance; no queue item of a terminal instance that is not running. */
    static void assertNoHalfCreatedRows(TestCluster db) throws SQLException {
        try (Connection c = db.connect()) {
            assertEquals("0", scalar(c, "SELECT count(*) FROM df._results r WHERE NOT EXISTS (SELECT FROM df._instances i WHERE i.id = r.instance_id)", null),
                    "results without an instance");
            assertEquals("0", scalar(c, "SELECT count(*) FROM df._node_states n WHERE NOT EXISTS (SELECT FROM df._instances i WHERE i.id = n.instance_id)", null),
                    "node states without an instance");
            assertEquals("0", scalar(c, "SELECT count(*) FROM df._instances i WHERE i.status IN ('pending', 'running')"
                    + " AND NOT EXISTS (SELECT FROM df._queue q WHERE q.instance_id = i.id)", null), "open instances with nothing to run");
        }
    }

    static String start(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    static String scalar(Connection c, String sql, String param) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            if (sql.contains("?")) s.setString(1, param);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    static boolean exists(TestCluster db, String regprocedure) throws SQLException {
        try (Connection c = db.connect()) {
            return scalar(c, "SELECT to_regprocedure(?)::text", regprocedure) != null;
        }
    }

    static String error(TestCluster db, String id, String field) throws SQLException {
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("SELECT error ->> ? FROM df.instances WHERE id = ?")) {
            s.setString(1, field);
            s.setString(2, id);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }
}
