package dev.dfc.it.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.cli.dev.DevCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The cluster life cycle behind {@code dfc dev}: create, reuse, stop, start again, destroy. */
class DevClusterTest {
    @Test
    void lifeCycle() throws Exception {
        Path root = Path.of(System.getProperty("dfc.root", "..")).toAbsolutePath().normalize();
        Path dir = Path.of("/tmp", "dfc-it-" + ProcessHandle.current().pid() + "-lifecycle");
        List<String> progress = new ArrayList<>();
        DevCluster cluster = new DevCluster(dir, root, new DevCluster.Options(0, 1, Map.of()), progress::add);
        try {
            assertEquals(DevCluster.State.NOT_CREATED, cluster.state());

            String url = cluster.start();
            assertEquals(DevCluster.State.RUNNING, cluster.state());
            assertTrue(url.matches("postgresql://postgres@127\\.0\\.0\\.1:\\d+/dfc"), url);
            long pid = cluster.serverPid().orElseThrow();
            assertTrue(progress.stream().anyMatch(l -> l.contains("allows workflow instances submitted by superusers")), progress.toString());
            try (Connection c = cluster.connect("dfc"); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT df.runtime_version(), current_setting('dfc.workers'), current_setting('dfc.allow_superuser')")) {
                rs.next();
                assertFalse(rs.getString(1).isEmpty());
                assertEquals("1", rs.getString(2));
                assertEquals("on", rs.getString(3));
            }
            assertEquals(1, stepWorkersWithin(cluster, 10_000), "the step worker runs in database dfc");

            progress.clear();
            assertEquals(url, cluster.start());
            assertEquals(pid, cluster.serverPid().orElseThrow(), "a running cluster is reused, not restarted");
            assertTrue(progress.stream().anyMatch(l -> l.contains("already running")), progress.toString());

            assertTrue(cluster.stop());
            assertEquals(DevCluster.State.STOPPED, cluster.state());
            assertFalse(cluster.stop());

            String again = cluster.start();
            assertEquals(DevCluster.State.RUNNING, cluster.state());
            try (Connection c = cluster.connect("dfc"); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT to_regnamespace('df') IS NOT NULL")) {
                rs.next();
                assertTrue(rs.getBoolean(1), "data survives a stop");
            }
            assertTrue(again.startsWith("postgresql://postgres@127.0.0.1:"));
        } finally {
            cluster.destroy();
        }
        assertFalse(Files.exists(dir));
        assertEquals(DevCluster.State.NOT_CREATED, cluster.state());
    }

    /** Polls pg_stat_activity until a step worker shows up in database dfc or the deadline passes. */
    private static int stepWorkersWithin(DevCluster cluster, long millis) throws Exception {
        long deadline = System.nanoTime() + millis * 1_000_000;
        try (Connection c = cluster.connect("dfc"); Statement s = c.createStatement()) {
            while (true) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND datname = 'dfc'")) {
                    rs.next();
                    int n = rs.getInt(1);
                    if (n > 0 || System.nanoTime() > deadline) return n;
                }
                Thread.sleep(50);
            }
        }
    }
}
