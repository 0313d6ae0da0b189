package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A statement that runs on its own, outside its step's transaction (CREATE INDEX CONCURRENTLY), is
 * interrupted by a cancel of its instance like a running step: the index build, held up by a lock
 * the test holds, is cancelled, and once the lock is released no index appears.
 */
@ClusterExtension.WithCluster
class ToplevelCancelTest {
    @Test
    void aCancelInterruptsAStatementRunningOnItsOwn(TestCluster db) throws Exception {
        db.deploy("toplevelcancel.dfsql", """
                CREATE TABLE toplevelcancel_t (id int);
                CREATE WORKFLOW toplevelcancel_build AS
                    'CREATE INDEX CONCURRENTLY toplevelcancel_id ON toplevelcancel_t (id)' ~> 'SELECT 1 AS after';
                """);
        String id;
        try (Connection holder = db.connect(); Statement h = holder.createStatement()) {
            holder.setAutoCommit(false);
            h.execute("LOCK TABLE toplevelcancel_t IN SHARE UPDATE EXCLUSIVE MODE");
            id = db.start("toplevelcancel_build", "{}");
            waitFor(db, "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'dfc step worker'"
                    + " AND query LIKE 'CREATE INDEX CONCURRENTLY toplevelcancel_id%' AND wait_event_type = 'Lock')", "the index build to wait");
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.execute("SELECT df.cancel('" + id + "')");
            }
            // interrupted while the lock is still held
            waitFor(db, "SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY toplevelcancel_id%'"
                    + " AND state = 'active' AND backend_type = 'dfc step worker')", "the index build to be interrupted");
            holder.rollback();
        }
        assertEquals("cancelled", db.awaitInstance(id));
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT to_regclass('toplevelcancel_id') IS NULL, "
                     + "(SELECT count(*) FROM df._queue WHERE instance_id = '" + id + "')")) {
            r.next();
            assertEquals(true, r.getBoolean(1), "the index was built after the cancel");
            assertEquals(0, r.getInt(2), "items left");
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
