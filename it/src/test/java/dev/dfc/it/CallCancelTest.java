package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A df.timeout that drops a thread waiting in a df.call cancels the child instance; a df.cancel of
 * the caller at that same moment must not deadlock with it (both take the caller's instance row
 * before the child's). The interleaving is forced with a row lock held by the test.
 */
@ClusterExtension.WithCluster
class CallCancelTest {
    @Test
    void aCancelWhileATimeoutCancelsTheCalledChildDoesNotDeadlock(TestCluster db) throws Exception {
        db.deploy("callcancel.dfsql", """
                CREATE WORKFLOW callcancel_child AS df.wait_for_signal('never');
                CREATE WORKFLOW callcancel_parent AS df.timeout(df.call('callcancel_child'), 1);
                """);
        String id = db.start("callcancel_parent", "{}");
        try (Connection x = db.connect(); Statement sx = x.createStatement()) {
            waitFor(db, "SELECT EXISTS (SELECT FROM df._instances WHERE parent_id = '" + id + "' AND status = 'running')", "the child");
            // the timeout node's state row, which the timeout's step updates last (df._fail), after
            // it has cancelled the child: held, the step waits there with its other locks taken
            x.setAutoCommit(false);
            sx.execute("SELECT FROM df._node_states WHERE instance_id = '" + id + "' AND node_id = 1 FOR UPDATE");
            waitFor(db, "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND wait_event_type = 'Lock')",
                    "the timeout's step to wait for the held row");
            CompletableFuture<String> cancel = CompletableFuture.supplyAsync(() -> {
                try (Connection y = db.connect(); Statement sy = y.createStatement()) {
                    sy.execute("SET application_name = 'callcancel'");
                    sy.execute("SELECT df.cancel('" + id + "')");
                    return "ok";
                } catch (SQLException e) {
                    return e.getSQLState() + " " + e.getMessage();
                }
            });
            waitFor(db, "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'callcancel' AND wait_event_type = 'Lock')",
                    "the cancel to wait");
            x.rollback();
            assertEquals("ok", cancel.get(30, TimeUnit.SECONDS), "df.cancel");
        }
        assertEquals("failed", db.awaitInstance(id));
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT i.error ->> 'sqlstate', (SELECT string_agg(status, ',') FROM df._instances WHERE parent_id = i.id)"
                     + " FROM df._instances i WHERE i.id = '" + id + "'")) {
            r.next();
            assertEquals("57014", r.getString(1), "the timeout's failure (not a deadlock)");
            assertEquals("cancelled", r.getString(2), "the child");
        }
    }

    private static void waitFor(TestCluster db, String condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            while (true) {
                try (ResultSet r = s.executeQuery(condition)) {
                    r.next();
                    if (r.getBoolean(1)) return;
                }
                if (System.nanoTime() > deadline) fail("waited 30 s for " + what);
                Thread.sleep(20);
            }
        }
    }
}
