package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A loop with a short sleep runs 100,000 iterations (-Ddfc.loop.iterations to change) in bounded
 * space: the instance's rows in every table of schema df are the same after 1,000 iterations and
 * near the end, and the tables' total size does not grow with the number of iterations.
 */
@ClusterExtension.WithCluster
class BoundedLoopTest {
    private static final int ITERATIONS = Integer.getInteger("dfc.loop.iterations", 100_000);
    private static final int EARLY = Math.min(1_000, ITERATIONS / 4);
    private static final int LATE = ITERATIONS - Math.max(1, ITERATIONS / 100);

    /**
     * More endless loops than step workers do not starve other instances: a thread that a runner
     * has claimed again and again for 20 ms goes to the back of the queue (without that, each
     * loop kept its place ahead of every later item and the other instance never ran).
     */
    @Test
    void endlessLoopsOnEveryWorkerLetOtherInstancesRun(TestCluster db) throws Exception {
        db.deploy("endless.dfsql", """
                CREATE WORKFLOW endless_loop AS @> 'SELECT 1';
                CREATE WORKFLOW endless_other AS 'SELECT 1 AS one';
                """);
        List<String> loops = new ArrayList<>();
        try {
            for (int i = 0; i <= TestCluster.WORKERS; i++) loops.add(db.start("endless_loop", "{}"));
            String ids = "'" + String.join("', '", loops) + "'";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            // every loop has run steps (status running): the workers are busy with them
            while (count(db, "SELECT count(*) FROM df._node_states WHERE instance_id IN (" + ids + ") AND node_id = 1") < loops.size()) {
                assertTrue(System.nanoTime() < deadline, "the loops did not all start");
                Thread.sleep(20);
            }
            String other = db.start("endless_other", "{}");
            assertEquals("completed", db.awaitInstance(other));
            assertEquals(loops.size(), count(db, "SELECT count(*) FROM df._instances WHERE id IN (" + ids + ") AND status = 'running'"));
        } finally {
            try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("SELECT df.cancel(?)")) {
                for (String id : loops) {
                    s.setString(1, id);
                    s.execute();
                }
            }
        }
    }

    @Test
    void aLoopRunsForeverInBoundedSpace(TestCluster db) throws Exception {
        db.deploy("bounded_loop.dfsql", """
                CREATE TABLE IF NOT EXISTS bounded_counter (run text PRIMARY KEY, n bigint NOT NULL);

                CREATE WORKFLOW bounded_loop (run text, upto int) AS
                    'INSERT INTO bounded_counter VALUES ($run, 0)'
                    ~> (@> ('UPDATE bounded_counter SET n = n + 1 WHERE run = $run RETURNING n' |=> 'n'
                            ~> df.sleep(0.001)
                            ~> ('SELECT $n >= $upto' ?> df.break('done'))));
                """);
        String run = "bounded-" + System.nanoTime();
        String id = db.start("bounded_loop", "{\"run\": \"" + run + "\", \"upto\": " + ITERATIONS + "}");

        awaitCounter(db, run, EARLY, TimeUnit.MINUTES.toNanos(5));
        Map<String, Long> early = liveRows(db, id);
        long earlySize = dfSize(db);

        awaitCounter(db, run, LATE, TimeUnit.MINUTES.toNanos(40));
        Map<String, Long> late = liveRows(db, id);
        long lateSize = dfSize(db);

        awaitCounter(db, run, ITERATIONS, TimeUnit.MINUTES.toNanos(40));
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("SELECT df.await_instance(?, 600)")) {
            s.setString(1, id);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                assertEquals("completed", rs.getString(1));
            }
        }
        assertEquals("\"done\"", db.result(id).replace(" ", ""));
        long nodes = count(db, "SELECT count(*) FROM df.instance_nodes('" + id + "')");
        long nodeStates = count(db, "SELECT count(*) FROM df._node_states WHERE instance_id = '" + id + "'");

        // The instance's rows in every df table are the same after 1,000 iterations as near the
        // end: each iteration replaces the state of the one before.
        assertEquals(early, late, "rows of the instance in df's tables grew with iterations");
        assertTrue(nodeStates <= nodes, nodeStates + " node states for " + nodes + " nodes");
        // Total size of df's relations: dead row versions are reused (HOT, vacuum); a runtime that
        // kept a row per iteration would need far more than this for 100,000 iterations.
        long allowed = earlySize * 2 + 4L * 1024 * 1024;
        assertTrue(lateSize <= allowed, "df's relations grew from " + earlySize + " to " + lateSize + " bytes between iteration "
                + EARLY + " and " + LATE + " (allowed " + allowed + ")");
        System.err.printf("[bounded-loop] %d iterations: df relations %d bytes after %d iterations, %d bytes after %d; rows %s%n",
                ITERATIONS, earlySize, EARLY, lateSize, LATE, late);
    }

    private static void awaitCounter(TestCluster db, String run, long atLeast, long timeoutNanos) throws Exception {
        long deadline = System.nanoTime() + timeoutNanos;
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("SELECT n FROM bounded_counter WHERE run = ?")) {
            s.setString(1, run);
            while (true) {
                try (ResultSet rs = s.executeQuery()) {
                    if (rs.next() && rs.getLong(1) >= atLeast) return;
                }
                if (System.nanoTime() > deadline) throw new AssertionError("the loop did not reach " + atLeast + " iterations in time");
                Thread.sleep(200); // poll interval, bounded by the deadline
            }
        }
    }

    /** Rows per df table that has an instance_id column, for this instance. */
    private static Map<String, Long> liveRows(TestCluster db, String id) throws SQLException {
        Map<String, Long> rows = new LinkedHashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet tables = s.executeQuery("""
                     SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'instance_id' AND NOT a.attisdropped
                      WHERE n.nspname = 'df' AND c.relkind = 'r' ORDER BY 1""")) {
            while (tables.next()) {
                String table = tables.getString(1);
                try (PreparedStatement count = c.prepareStatement("SELECT count(*) FROM df.\"" + table.replace("\"", "\"\"") + "\" WHERE instance_id = ?")) {
                    count.setString(1, id);
                    try (ResultSet rs = count.executeQuery()) {
                        rs.next();
                        rows.put(table, rs.getLong(1));
                    }
                }
            }
        }
        return rows;
    }

    private static long count(TestCluster db, String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long dfSize(TestCluster db) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("""
                     SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname = 'df' AND c.relkind = 'r'""")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
