package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * The step loop's plans must not depend on statistics. A queue's statistics are routinely
 * taken while it is drained, and then say it is empty (reltuples 0 over many pages): every
 * plan then costs one row per table, and a lookup by id could be planned as a walk of a whole
 * index, making every step a scan of the queue (a bulk start then made no progress at all).
 * Here the runtime tables are given exactly those statistics (autovacuum held off so that they
 * stay), 20,000 one-step instances are started in one statement, and they must all complete
 * within a deadline that is many times what they need (about 3 s on 2 workers).
 */
@ClusterExtension.WithCluster
class PlanStabilityTest {
    static final int INSTANCES = 20_000;
    static final long DEADLINE_MS = 180_000;
    static final String[] TABLES = {"df._queue", "df._instances", "df._node_states", "df._results"};

    @Test
    void aBulkStartDrainsWithStatisticsThatSayTheQueueIsEmpty(TestCluster db) throws Exception {
        db.deploy("plan_stability.dfsql", "CREATE WORKFLOW plan_one () AS 'SELECT 1 AS one';\n");
        String label = "plan-" + System.nanoTime();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            for (String t : TABLES) {
                s.execute("ALTER TABLE " + t + " SET (autovacuum_enabled = false)");
            }
            try {
                // drained-queue statistics: no live rows over the pages the tables have
                // (at least one, so that the density is 0 rather than unknown); updating
                // pg_class invalidates the workers' cached plans, which are planned again
                for (String t : TABLES) {
                    s.execute("UPDATE pg_catalog.pg_class SET reltuples = 0, relpages = greatest(relpages, 1)"
                            + " WHERE oid = '" + t + "'::regclass");
                }
                s.execute("SELECT count(df.start('plan_one', label => '" + label + "')) FROM generate_series(1, "
                        + INSTANCES + ")");
                long deadline = System.currentTimeMillis() + DEADLINE_MS;
                long open;
                while ((open = count(s, "SELECT count(*) FROM df._instances WHERE label = '" + label
                        + "' AND status IN ('pending', 'running')")) > 0) {
                    if (System.currentTimeMillis() > deadline) {
                        fail(open + " of " + INSTANCES + " instances still open after " + DEADLINE_MS / 1000
                                + " s: the step loop's plans depend on statistics");
                    }
                    Thread.sleep(200);
                }
                assertEquals(INSTANCES, count(s, "SELECT count(*) FROM df._instances WHERE label = '" + label
                        + "' AND status = 'completed'"));
            } finally {
                for (String t : TABLES) {
                    s.execute("ALTER TABLE " + t + " RESET (autovacuum_enabled)");
                    s.execute("ANALYZE " + t);
                }
            }
        }
    }

    /**
     * A start's cost must not grow with the instances started before it: 8,000 starts in one
     * statement read no more buffers per start than 1,000 do (with twice the margin). A lookup
     * planned as a sequential scan of the instances (df._keyed_instance's, made for a start
     * without idempotency key) made a bulk start quadratic: 20,000 starts took 16 s instead of 2.
     * Buffers, not time: the count does not depend on the machine's load.
     */
    @Test
    void aBulkStartCostsTheSamePerInstanceAtAnySize(TestCluster db) throws Exception {
        db.deploy("plan_stability_start.dfsql", "CREATE WORKFLOW plan_start () AS 'SELECT 1 AS one';\n");
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("ANALYZE df._instances");
            double small = buffersPerStart(s, 1_000);
            double large = buffersPerStart(s, 8_000);
            if (large > 2 * small) {
                fail(String.format("8,000 starts read %.1f buffers per start, 1,000 starts %.1f: a start's cost grows"
                        + " with the instances before it", large, small));
            }
        }
    }

    /** Shared buffers read or hit per df.start over {@code n} starts in one statement (EXPLAIN's count). */
    private static double buffersPerStart(Statement s, int n) throws SQLException {
        try (ResultSet rs = s.executeQuery("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT count(df.start('plan_start',"
                + " label => 'plan-start')) FROM generate_series(1, " + n + ")")) {
            rs.next();
            String plan = rs.getString(1);
            return (field(plan, "Shared Hit Blocks") + field(plan, "Shared Read Blocks")) / (double) n;
        }
    }

    /** The first value of a numeric field of EXPLAIN's JSON (the top node's). */
    private static long field(String json, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + name + "\": (\\d+)").matcher(json);
        if (!m.find()) throw new AssertionError("no " + name + " in " + json);
        return Long.parseLong(m.group(1));
    }

    private static long count(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
