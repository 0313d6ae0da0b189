package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * 50 concurrent clients signalling and cancelling the same instances: no signal lost or
 * delivered twice, no deadlock, every instance terminal. Skipped on a runtime without
 * df.signal, df.cancel and signal waits. On failure it prints the queue, signal and node
 * state of the instances left parked.
 */
@ClusterExtension.WithCluster
class ConcurrencyTest {
    static final int CLIENTS = 50;
    static final int WAITS = 5;
    static final String USER = "conc_user";

    @Test
    void fiftyClientsSignalAndCancelTheSameInstances(TestCluster db) throws Exception {
        try (Connection c = db.connect()) {
            Assumptions.assumeTrue(exists(c, "df.signal(text,text,text)") && exists(c, "df.cancel(text,text)")
                    && exists(c, "df.signal_step(text,double precision,text,integer)"), "this runtime has no signals or cancel yet");
        }
        db.createRole(USER);
        StringBuilder flow = new StringBuilder("""
                CREATE TABLE IF NOT EXISTS conc_rx (k int, n int);
                GRANT SELECT, INSERT ON conc_rx TO conc_user;
                CREATE WORKFLOW conc_waits (k int) AS
                    'SELECT $k AS k'""");
        for (int i = 1; i <= WAITS; i++) {
            flow.append("\n    ~> df.wait_for_signal('go') ~> 'INSERT INTO conc_rx VALUES ($k, ").append(i).append(")'");
        }
        db.deploy("concurrency.dfsql", flow + ";\n");
        String label = "conc-" + System.nanoTime();
        Path log = db.devCluster() == null ? null : db.devCluster().logFile();
        long deadlocksBefore = deadlocks(log);

        // A: only signalled, exactly WAITS signals each; B: signalled and cancelled by everyone
        List<String> a = startMany(db, label + "-a", 1, 40);
        List<String> b = startMany(db, label + "-b", 1001, 20);
        ConcurrentLinkedQueue<String> signalsForA = new ConcurrentLinkedQueue<>();
        List<String> all = new ArrayList<>();
        for (String id : a) for (int i = 0; i < WAITS; i++) all.add(id);
        Collections.shuffle(all, new Random(42));
        signalsForA.addAll(all);

        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < CLIENTS; t++) {
            int client = t;
            futures.add(pool.submit(() -> {
                Random random = new Random(client);
                try (Connection c = db.connectAs(USER);
                     PreparedStatement signal = c.prepareStatement("SELECT df.signal(?, 'go', ?)");
                     PreparedStatement cancel = c.prepareStatement("SELECT df.cancel(?, ?)")) {
                    go.await();
                    List<String> mine = new ArrayList<>(b);
                    Collections.shuffle(mine, random);
                    for (String id; (id = signalsForA.poll()) != null; ) {
                        call(signal, id, "{\"client\": " + client + "}", errors);
                        if (!mine.isEmpty()) {
                            String victim = mine.remove(mine.size() - 1);
                            call(signal, victim, "{}", errors);
                            if (random.nextInt(3) == 0) call(cancel, victim, "client " + client, errors);
                        }
                    }
                    for (String victim : mine) {
                        call(signal, victim, "{}", errors);
                        call(cancel, victim, "client " + client, errors);
                    }
                } catch (Exception e) {
                    errors.add(e.toString());
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : futures) f.get(5, TimeUnit.MINUTES);
        pool.shutdown();
        assertEquals(List.of(), new ArrayList<>(errors), "client errors (deadlocks would show here)");

        try (Connection c = db.connectAs(USER)) {
            for (String id : a) assertEquals("completed", TestCluster.awaitInstance(c, id), () -> diagnose(db, id));
            for (String id : b) assertTrue(List.of("completed", "cancelled").contains(TestCluster.awaitInstance(c, id)), id);
        }
        try (Connection su = db.connect()) {
            // every signal of A consumed exactly once: WAITS rows each, none left over
            assertEquals(String.valueOf(a.size() * WAITS), scalar(su, "SELECT count(*) FROM conc_rx WHERE k BETWEEN 1 AND 40"));
            assertEquals("0", scalar(su, "SELECT count(*) FROM (SELECT k, n FROM conc_rx GROUP BY 1, 2 HAVING count(*) > 1) d"));
            assertEquals("0", scalar(su, "SELECT count(*) FROM df._signals s JOIN df._instances i ON i.id = s.instance_id WHERE i.label = '" + label + "-a'"),
                    "signals left over: one was delivered twice");
            // B: nothing left to run, no signal kept for a terminal instance
            assertEquals("0", scalar(su, "SELECT count(*) FROM df._queue q JOIN df._instances i ON i.id = q.instance_id WHERE i.label LIKE '" + label + "%'"));
            assertEquals("0", scalar(su, "SELECT count(*) FROM df._signals s JOIN df._instances i ON i.id = s.instance_id WHERE i.label = '" + label + "-b'"
                    + " AND i.status = 'cancelled'"));
        }
        assertEquals(deadlocksBefore, deadlocks(log), "the server log reports a deadlock");
    }

    /**
     * Two sessions of one role start with the same idempotency key at the same time: the second
     * waits for the first and, once it commits, returns its instance (it used to fail with a
     * unique violation, 23505).
     */
    @Test
    void twoStartsWithOneIdempotencyKeyAtOnceGiveOneInstance(TestCluster db) throws Exception {
        db.createRole(USER);
        db.deploy("idempotent.dfsql", "CREATE WORKFLOW conc_once (n int) AS 'SELECT $n AS n';\n");
        String key = "conc-key-" + System.nanoTime();
        String start = "SELECT df.start('conc_once', args => '{\"n\": 1}', idempotency_key => '" + key + "')";
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection first = db.connectAs(USER); Connection second = db.connectAs(USER); Connection su = db.connect()) {
            first.setAutoCommit(false);
            String firstId = scalar(first, start);
            Future<String> secondId = pool.submit(() -> scalar(second, start));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!"1".equals(scalar(su, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%" + key + "%'"))) {
                assertTrue(System.nanoTime() < deadline, "the second df.start never waited for the first");
                assertTrue(!secondId.isDone(), "the second df.start did not wait for the first: " + secondId);
                Thread.sleep(20);
            }
            first.commit();
            assertEquals(firstId, secondId.get(30, TimeUnit.SECONDS));
            assertEquals("1", scalar(su, "SELECT count(*) FROM df._instances WHERE idempotency_key = '" + key + "'"));
            assertEquals("completed", scalar(su, "SELECT df.await_instance('" + firstId + "')"));
        } finally {
            pool.shutdownNow();
        }
    }

    private static String diagnose(TestCluster db, String id) {
        try (Connection su = db.connect()) {
            return id + ": queue " + scalar(su, "SELECT json_agg(q)::text FROM df._queue q WHERE q.instance_id = '" + id + "'")
                    + "; signals " + scalar(su, "SELECT json_agg(s)::text FROM df._signals s WHERE s.instance_id = '" + id + "'")
                    + "; nodes " + scalar(su, "SELECT json_agg(n ORDER BY node_id)::text FROM df._node_states n WHERE n.instance_id = '" + id + "'")
                    + "; now " + scalar(su, "SELECT now()::text");
        } catch (SQLException e) {
            return id + ": " + e.getMessage();
        }
    }

    private static void call(PreparedStatement s, String id, String arg, ConcurrentLinkedQueue<String> errors) {
        try {
            s.setString(1, id);
            s.setString(2, arg);
            s.execute();
        } catch (SQLException e) {
            errors.add(e.getSQLState() + " " + e.getMessage());
        }
    }

    private static List<String> startMany(TestCluster db, String label, int from, int n) throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Connection c = db.connectAs(USER); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT df.start('conc_waits', '" + label + "', args => jsonb_build_object('k', k))"
                     + " FROM generate_series(" + from + ", " + (from + n - 1) + ") k")) {
            while (rs.next()) ids.add(rs.getString(1));
        }
        return ids;
    }

    private static long deadlocks(Path log) throws Exception {
        if (log == null || !Files.exists(log)) return 0;
        try (var lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
            return lines.filter(l -> l.contains("deadlock detected")).count();
        } catch (java.io.UncheckedIOException e) {
            fail("cannot read " + log + ": " + e.getMessage());
            return 0;
        }
    }

    private static boolean exists(Connection c, String proc) throws SQLException {
        return scalar(c, "SELECT to_regprocedure('" + proc + "')::text") != null;
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
