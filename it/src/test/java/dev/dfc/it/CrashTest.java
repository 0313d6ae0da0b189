package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.dfc.cli.db.DbUrl;
import dev.dfc.cli.db.ScriptRunner;
import dev.dfc.cli.dev.DevCluster;
import dev.dfc.compiler.Compilation;
import dev.dfc.compiler.Compiler;
import dev.dfc.compiler.source.SourceFile;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * RUNTIME.md section 1 under crashes: instances whose steps each insert one row keyed by
 * (instance, step) run while the postmaster is killed with SIGKILL, a step worker is killed,
 * a step is killed inside pg_sleep, or the server is restarted cleanly; afterwards every
 * instance is completed, no (instance, step) row exists twice and none is missing.
 *
 * <p>Runs on its own throwaway cluster (/tmp/dfc-crash-PID, 4 step workers,
 * synchronous_commit on so that a commit the client saw survives a crash), so that killing
 * it never disturbs the shared test cluster. 200 instances and 3 postmaster kills by
 * default; {@code -Ddfc.crash.full=true} runs 1,000 instances and 10 kills.
 */
class CrashTest {
    static final boolean FULL = Boolean.getBoolean("dfc.crash.full");
    static final int INSTANCES = Integer.getInteger("dfc.crash.instances", FULL ? 1000 : 200);
    static final int KILLS = Integer.getInteger("dfc.crash.kills", FULL ? 10 : 3);
    static final int STEPS = 5;
    static final int WORKERS = 4;
    static final String ROLE = "crash_user";

    static DevCluster cluster;
    static final Random random = new Random(Long.getLong("dfc.crash.seed", System.nanoTime()));

    static final String WORKFLOWS = """
            CREATE TABLE IF NOT EXISTS crash_unique (k int, step int, UNIQUE (k, step));
            CREATE TABLE IF NOT EXISTS crash_plain (k int, step int);
            CREATE SEQUENCE IF NOT EXISTS crash_attempts;
            GRANT SELECT, INSERT ON crash_unique, crash_plain TO crash_user;
            GRANT USAGE, SELECT ON SEQUENCE crash_attempts TO crash_user;
            -- each step: one row in a table with UNIQUE (k, step), one in a plain table
            CREATE WORKFLOW crash_flow (k int) AS
                'WITH u AS (INSERT INTO crash_unique VALUES ($k, 1)) INSERT INTO crash_plain SELECT $k, 1 FROM pg_sleep(0.01)'
                ~> 'WITH u AS (INSERT INTO crash_unique VALUES ($k, 2)) INSERT INTO crash_plain SELECT $k, 2 FROM pg_sleep(0.01)'
                ~> 'WITH u AS (INSERT INTO crash_unique VALUES ($k, 3)) INSERT INTO crash_plain SELECT $k, 3 FROM pg_sleep(0.01)'
                ~> 'WITH u AS (INSERT INTO crash_unique VALUES ($k, 4)) INSERT INTO crash_plain SELECT $k, 4 FROM pg_sleep(0.01)'
                ~> 'WITH u AS (INSERT INTO crash_unique VALUES ($k, 5)) INSERT INTO crash_plain SELECT $k, 5 FROM pg_sleep(0.01)';
            -- the middle step sleeps long enough to be killed inside pg_sleep
            CREATE WORKFLOW crash_sleepy (k int) AS
                'WITH u AS (INSERT INTO crash_unique VALUES ($k, 1)) INSERT INTO crash_plain VALUES ($k, 1)'
                ~> 'WITH u AS (INSERT INTO crash_unique VALUES ($k, 2)) INSERT INTO crash_plain SELECT $k, 2 FROM pg_sleep(3)'
                ~> 'WITH u AS (INSERT INTO crash_unique VALUES ($k, 3)) INSERT INTO crash_plain VALUES ($k, 3)';
            -- poison: fails every time; the sequence counts attempts outside the rolled-back transaction
            CREATE WORKFLOW crash_poison (k int) AS
                'WITH u AS (INSERT INTO crash_plain VALUES ($k, 1)) SELECT 1 AS ok'
                ~> 'SELECT nextval(''crash_attempts'') / 0 AS never'
                ~> 'INSERT INTO crash_plain VALUES ($k, 3)';
            -- poison: the step ends its own backend (needs a superuser submitter)
            CREATE WORKFLOW crash_self_kill AS 'SELECT nextval(''crash_attempts''), pg_terminate_backend(pg_backend_pid())';
            """;

    @BeforeAll
    static void startCluster() throws Exception {
        Path root = Path.of(System.getProperty("dfc.root", "..")).toAbsolutePath().normalize();
        Path dir = Path.of("/tmp", "dfc-crash-" + ProcessHandle.current().pid());
        cluster = new DevCluster(dir, root, new DevCluster.Options(0, WORKERS, Map.of("synchronous_commit", "on")),
                line -> System.err.println("[dfc-crash] " + line));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                cluster.destroy();
            } catch (RuntimeException e) {
                System.err.println("[dfc-crash] could not remove " + dir + ": " + e.getMessage());
            }
        }, "dfc-crash-cluster-shutdown"));
        cluster.start();
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crash_user') THEN CREATE ROLE crash_user LOGIN; END IF; END $$");
            s.execute("GRANT USAGE ON SCHEMA public TO crash_user");
            s.execute("SELECT df.grant_usage('crash_user')");
        }
        deploy(WORKFLOWS);
        awaitWorkers(60);
    }

    @AfterAll
    static void destroyCluster() {
        if (cluster != null) cluster.destroy();
    }

    @BeforeEach
    void clean() throws Exception {
        sql("TRUNCATE crash_unique, crash_plain");
    }

    @Test
    void postmasterKilledRepeatedly() throws Exception {
        String label = "postmaster-" + System.nanoTime();
        startInstances("crash_flow", label, INSTANCES);
        List<Double> moments = randomMoments(KILLS);
        for (double moment : moments) {
            awaitProgress(moment);
            killPostmaster();
            cluster.start();
            awaitWorkers(60);
        }
        assertExactlyOnce(label, INSTANCES, STEPS);
        System.err.println("[dfc-crash] postmaster SIGKILLed " + KILLS + " times at progress " + moments + " of " + INSTANCES + " instances: "
                + "0 lost, 0 duplicate and 0 missing (instance, step) rows");
    }

    @Test
    void stepWorkerKilledRepeatedly() throws Exception {
        String label = "worker-" + System.nanoTime();
        startInstances("crash_flow", label, INSTANCES);
        List<Double> moments = randomMoments(KILLS);
        for (double moment : moments) {
            awaitProgress(moment);
            long pid = Long.parseLong(queryUntil("SELECT pid FROM pg_stat_activity WHERE backend_type = 'dfc step worker'"
                    + " ORDER BY state = 'active' DESC, random() LIMIT 1", 60));
            kill9(pid);
            // the postmaster reinitializes every backend after a child's crash; wait for the workers again
            awaitWorkers(60);
        }
        assertExactlyOnce(label, INSTANCES, STEPS);
    }

    @Test
    void stepKilledInsidePgSleep() throws Exception {
        String label = "sleepy-" + System.nanoTime();
        int n = 2 * WORKERS;
        startInstances("crash_sleepy", label, n);
        for (int i = 0; i < 2; i++) {
            long pid = Long.parseLong(queryUntil("SELECT pid FROM pg_stat_activity WHERE backend_type = 'dfc step worker'"
                    + " AND wait_event = 'PgSleep' LIMIT 1", 60));
            kill9(pid);
            awaitWorkers(60);
        }
        assertExactlyOnce(label, n, 3);
    }

    @Test
    void cleanRestartMidRun() throws Exception {
        String label = "restart-" + System.nanoTime();
        startInstances("crash_flow", label, INSTANCES);
        awaitProgress(0.1 + 0.6 * random.nextDouble());
        assertTrue(cluster.stop(), "pg_ctl stop -m fast");
        cluster.start();
        awaitWorkers(60);
        assertExactlyOnce(label, INSTANCES, STEPS);
    }

    /**
     * Timers and signal waits pending across pg_ctl stop -m fast / start: timers that came due
     * while the server was down fire once, signals sent after the restart are delivered.
     * Skipped on a runtime without df.sleep / df.wait_for_signal.
     */
    @Test
    void timersAndSignalWaitsSurviveACleanRestart() throws Exception {
        Assumptions.assumeTrue(sql("SELECT to_regprocedure('df.sleep_step(double precision,text,integer)')::text") != null
                && sql("SELECT to_regprocedure('df.signal_step(text,double precision,text,integer)')::text") != null,
                "this runtime has no timers or signal waits yet");
        deploy("""
                CREATE WORKFLOW crash_timer (k int) AS
                    'INSERT INTO crash_plain VALUES ($k, 1)' ~> df.sleep(2) ~> 'INSERT INTO crash_plain VALUES ($k, 2)';
                CREATE WORKFLOW crash_wait (k int) AS
                    'INSERT INTO crash_plain VALUES ($k, 1)' ~> df.wait_for_signal('go') ~> 'INSERT INTO crash_plain VALUES ($k, 2)';
                """);
        String label = "waits-" + System.nanoTime();
        int n = 10;
        try (Connection c = connectAs(ROLE); Statement s = c.createStatement()) {
            s.execute("SELECT df.start('crash_timer', '" + label + "', args => jsonb_build_object('k', k)) FROM generate_series(1, " + n + ") k");
            s.execute("SELECT df.start('crash_wait', '" + label + "', args => jsonb_build_object('k', k)) FROM generate_series(101, " + (100 + n) + ") k");
        }
        // every instance parked: the timer armed or the wait started
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!sql("SELECT count(*) FROM df._queue q JOIN df._instances i ON i.id = q.instance_id"
                + " WHERE i.label = '" + label + "' AND q.waiting IN ('timer', 'signal')").equals(String.valueOf(2 * n))) {
            if (System.nanoTime() > deadline) fail("the instances did not reach their waits");
            Thread.sleep(20);
        }
        assertTrue(cluster.stop(), "pg_ctl stop -m fast");
        Thread.sleep(2500); // the timers come due while the server is down
        cluster.start();
        awaitWorkers(60);
        try (Connection c = connectAs(ROLE); Statement s = c.createStatement()) {
            s.execute("SELECT df.signal(id, 'go', '{\"after\": \"restart\"}') FROM df.instances WHERE label = '" + label + "' AND workflow = 'crash_wait'");
        }
        awaitTerminal(label, 120);
        assertEquals("0", sql("SELECT count(*) FROM df.instances WHERE label = '" + label + "' AND status <> 'completed'"),
                () -> "not completed: " + quietly("SELECT string_agg(id || ' ' || status || ' ' || coalesce(error::text, ''), '; ') FROM df.instances WHERE label = '" + label + "'"));
        assertEquals(String.valueOf(4 * n), sql("SELECT count(*) FROM crash_plain"));
        assertEquals("0", sql("SELECT count(*) FROM (SELECT k, step FROM crash_plain GROUP BY 1, 2 HAVING count(*) > 1) d"));
        assertEquals(String.valueOf(n), sql("SELECT count(*) FROM df._node_states s JOIN df._instances i ON i.id = s.instance_id"
                + " WHERE i.label = '" + label + "' AND s.result ->> 'timed_out' = 'false' AND s.result -> 'data' ->> 'after' = 'restart'"),
                "signals delivered after the restart");
    }

    /**
     * A retry waiting out its backoff, a timeout waiting for its deadline and the undo it
     * registered survive a kill -9 of the postmaster: after the restart the retry runs its body
     * again (its attempts counted once each) and the timeout fires and runs the undo, once.
     */
    @Test
    void retryTimeoutAndUndoSurviveAPostmasterKill() throws Exception {
        deploy("""
                CREATE TABLE IF NOT EXISTS crash_tries (k int);
                GRANT SELECT, INSERT ON crash_tries TO crash_user;
                -- fails until its body has run three times for k (the count is committed by the step before)
                CREATE OR REPLACE FUNCTION crash_flaky(p_k int) RETURNS int LANGUAGE plpgsql AS $$
                BEGIN
                    IF (SELECT count(*) FROM crash_tries WHERE k = p_k) < 3 THEN
                        RAISE EXCEPTION 'flaky %', p_k;
                    END IF;
                    RETURN p_k;
                END;
                $$;
                CREATE WORKFLOW crash_retry (k int) AS
                    df.retry('INSERT INTO crash_tries VALUES ($k)' ~> 'SELECT crash_flaky($k) AS k', 5, backoff => '2s')
                    ~> 'INSERT INTO crash_plain VALUES ($k, 1)';
                CREATE WORKFLOW crash_timeout (k int) AS
                    ('INSERT INTO crash_plain VALUES ($k, 2)' <-> 'INSERT INTO crash_plain VALUES ($k, 3)')
                    ~> df.timeout(df.wait_for_signal('never'), 4);
                """);
        sql("TRUNCATE crash_tries");
        String label = "guards-" + System.nanoTime();
        int n = 10;
        try (Connection c = connectAs(ROLE); Statement s = c.createStatement()) {
            s.execute("SELECT df.start('crash_retry', '" + label + "', args => jsonb_build_object('k', k)) FROM generate_series(1, " + n + ") k");
            s.execute("SELECT df.start('crash_timeout', '" + label + "', args => jsonb_build_object('k', k)) FROM generate_series(101, " + (100 + n) + ") k");
        }
        // every retry has failed once and waits out its backoff; every timeout waits for its deadline
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!sql("SELECT count(*) FROM df._queue q JOIN df._instances i ON i.id = q.instance_id"
                + " WHERE i.label = '" + label + "' AND (q.waiting = 'retry' OR (q.waiting = 'fork' AND q.ready_at < 'infinity'))")
                .equals(String.valueOf(2 * n))) {
            if (System.nanoTime() > deadline) fail("the instances did not reach their backoff and deadline");
            Thread.sleep(20);
        }
        killPostmaster();
        cluster.start();
        awaitWorkers(60);
        awaitTerminal(label, 120);
        assertEquals(String.valueOf(n), sql("SELECT count(*) FROM df.instances WHERE label = '" + label + "' AND workflow = 'crash_retry' AND status = 'completed'"),
                () -> "retries: " + quietly("SELECT string_agg(id || ' ' || status || ' ' || coalesce(error::text, ''), '; ') FROM df.instances WHERE label = '" + label + "' AND workflow = 'crash_retry'"));
        assertEquals(String.valueOf(n), sql("SELECT count(*) FROM df.instances i, df.instance_nodes(i.id) x WHERE i.label = '" + label
                + "' AND x.node_type = 'RETRY' AND x.attempts = 3 AND x.status = 'completed'"), "retry nodes with 3 attempts");
        assertEquals(String.valueOf(3 * n), sql("SELECT count(*) FROM crash_tries"), "runs of the retried body");
        assertEquals(String.valueOf(n), sql("SELECT count(*) FROM df.instances WHERE label = '" + label + "' AND workflow = 'crash_timeout' AND status = 'failed'"
                + " AND error ->> 'message' = 'timed out after 4 s'"),
                () -> "timeouts: " + quietly("SELECT string_agg(id || ' ' || status || ' ' || coalesce(error::text, ''), '; ') FROM df.instances WHERE label = '" + label + "' AND workflow = 'crash_timeout'"));
        assertEquals(String.valueOf(3 * n), sql("SELECT count(*) FROM crash_plain"), "one row per step and undo");
        assertEquals("0", sql("SELECT count(*) FROM (SELECT k, step FROM crash_plain GROUP BY 1, 2 HAVING count(*) > 1) d"), "a step or undo ran twice");
        assertEquals(String.valueOf(n), sql("SELECT count(*) FROM crash_plain WHERE step = 3"), "undos run");
        assertEquals("0", sql("SELECT count(*) FROM df._queue q JOIN df._instances i ON i.id = q.instance_id WHERE i.label = '" + label + "'"), "threads left");
    }

    @Test
    void stepThatAlwaysFailsFailsItsInstanceOnce() throws Exception {
        int n = 5;
        long attempts = runPoison(n);
        assertEquals(n, attempts, "attempts of the failing step");
    }

    /**
     * A failing step runs once: its failure is recorded while the claim is held, so no other
     * worker can claim the item in between and run the step again (its non-transactional
     * effects, here nextval, would happen twice).
     */
    @Test
    void failingStepIsAttemptedExactlyOnce() throws Exception {
        int n = 40;
        assertEquals(n, runPoison(n), "attempts of the failing step for " + n + " instances");
    }

    /** Runs n crash_poison instances to their end; checks each failed once at step 2; returns the attempts of step 2. */
    static long runPoison(int n) throws Exception {
        String label = "poison-" + System.nanoTime();
        long before = attempts();
        startInstances("crash_poison", label, n);
        awaitTerminal(label, 120);
        assertEquals(String.valueOf(n), sql("SELECT count(*) FROM df.instances WHERE label = '" + label + "' AND status = 'failed'"
                + " AND error ->> 'sqlstate' = '22012' AND (error ->> 'node')::int = 2"));
        // nothing left to retry, the first step's effect kept, the last step never ran
        assertEquals("0", sql("SELECT count(*) FROM df._queue q JOIN df._instances i ON i.id = q.instance_id WHERE i.label = '" + label + "'"));
        assertEquals(String.valueOf(n), sql("SELECT count(*) FROM crash_plain WHERE step = 1"));
        assertEquals("0", sql("SELECT count(*) FROM crash_plain WHERE step = 3"));
        return attempts() - before;
    }

    /**
     * A step that terminates its own backend (a superuser's instance) ends as a failure after a
     * bounded number of tries (the worker that replaces a dead one reports the step it was
     * running; the third report fails the thread), not claimed again forever.
     */
    @Test
    void stepThatKillsItsBackendFailsAfterBoundedTries() throws Exception {
        long before = attempts();
        String id;
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT df.start('crash_self_kill')")) {
            rs.next();
            id = rs.getString(1);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        String status = null;
        while (System.nanoTime() < deadline) {
            status = queryUntil("SELECT status FROM df._instances WHERE id = '" + id + "'", 30);
            if (status.equals("failed") || status.equals("completed") || status.equals("cancelled")) break;
            Thread.sleep(200);
        }
        long attempts = attempts() - before;
        try {
            assertEquals("failed", status, "after " + attempts + " attempts in 40 s");
        } finally {
            sql("DELETE FROM df._queue WHERE instance_id = '" + id + "'");
            awaitWorkers(60);
        }
    }

    /**
     * An HTTP step is made outside any transaction: a worker killed while waiting for the response
     * leaves no outcome, and the step is claimed again once its timeout (5 s) plus 10 s have passed
     * and the request made again (at least once); the instance then completes once.
     */
    @Test
    void httpCallCutByAWorkerKillIsMadeAgain() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.createContext("/once", x -> {
            int n = calls.incrementAndGet();
            if (n == 1) {
                arrived.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = ("call " + n).getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, body.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        try {
            sql("SELECT df.grant_usage('crash_user', include_http => true)");
            deploy("CREATE WORKFLOW crash_http AS df.http('http://127.0.0.1:" + server.getAddress().getPort() + "/once', 'GET', timeout_s => 5) |=> 'r'"
                    + " ~> 'INSERT INTO crash_plain SELECT 7, count(*) FROM crash_plain WHERE k = 7 RETURNING $r.body AS body';");
            String id;
            try (Connection c = connectAs(ROLE); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT df.start('crash_http')")) {
                rs.next();
                id = rs.getString(1);
            }
            assertTrue(arrived.await(30, TimeUnit.SECONDS), "the first call did not arrive");
            long pid = Long.parseLong(queryUntil("SELECT pid FROM pg_stat_activity WHERE backend_type = 'dfc step worker'"
                    + " AND query = 'dfc: making an HTTP call'", 10));
            kill9(pid);
            release.countDown();
            awaitWorkers(60);
            assertEquals("completed", queryUntil("SELECT df.await_instance('" + id + "', 50)", 60));
            assertEquals(2, calls.get());
            assertEquals("{\"rows\":[{\"body\":\"call 2\"}],\"row_count\":1}", sql("SELECT df.result('" + id + "')"));
            assertEquals("1", sql("SELECT count(*) FROM crash_plain WHERE k = 7"));
        } finally {
            release.countDown();
            server.stop(0);
        }
    }

    /**
     * A statement that cannot run inside a transaction block runs on its own, before its
     * checkpoint: a worker killed while it runs leaves no outcome; its runner gone (and the item's
     * advisory lock with it), the item is claimed again when its lease passes and the statement
     * runs again (at least once). The instance then completes once.
     */
    @Test
    void statementRunningAloneCutByAWorkerKillRunsAgain() throws Exception {
        sql("DROP TABLE IF EXISTS crash_alone");
        sql("CREATE TABLE crash_alone (id int)");
        sql("ALTER TABLE crash_alone OWNER TO " + ROLE);
        sql("GRANT CREATE ON SCHEMA public TO " + ROLE);
        try {
            deploy("CREATE WORKFLOW crash_alone_flow AS 'CREATE INDEX CONCURRENTLY IF NOT EXISTS crash_alone_id ON crash_alone (id)'"
                    + " ~> 'INSERT INTO crash_plain VALUES (8, 1) RETURNING k';");
            String id;
            Connection holder = connect();
            try {
                // the index build waits for this lock until the worker is killed (which ends this session too)
                holder.setAutoCommit(false);
                try (Statement h = holder.createStatement()) {
                    h.execute("LOCK TABLE crash_alone IN SHARE UPDATE EXCLUSIVE MODE");
                }
                try (Connection c = connectAs(ROLE); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT df.start('crash_alone_flow')")) {
                    rs.next();
                    id = rs.getString(1);
                }
                long pid = Long.parseLong(queryUntil("SELECT pid FROM pg_stat_activity WHERE backend_type = 'dfc step worker'"
                        + " AND query LIKE 'CREATE INDEX CONCURRENTLY%' AND wait_event_type = 'Lock'", 20));
                kill9(pid);
            } finally {
                try {
                    holder.close();
                } catch (SQLException e) {
                    // ended by the restart
                }
            }
            awaitWorkers(60);
            // (polled: CREATE INDEX CONCURRENTLY waits for older snapshots, such as df.await_instance's)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!"completed".equals(queryUntil("SELECT status FROM df._instances WHERE id = '" + id + "'", 60))) {
                if (System.nanoTime() > deadline) fail("crash_alone_flow not completed: " + sql("SELECT status || ' ' || coalesce(error::text, '') FROM df.instances WHERE id = '" + id + "'"));
                Thread.sleep(50);
            }
            assertEquals("t", sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'crash_alone_id'::regclass"));
            assertEquals("1", sql("SELECT count(*) FROM crash_plain WHERE k = 8"));
            assertEquals("{\"rows\":[{\"k\":8}],\"row_count\":1}", sql("SELECT df.result('" + id + "')"));
        } finally {
            sql("REVOKE CREATE ON SCHEMA public FROM " + ROLE);
        }
    }

    // ---- helpers ----

    static void deploy(String dfsql) {
        Compilation compilation = Compiler.compile(List.of(new SourceFile("crash.dfsql", dfsql)));
        if (compilation.hasErrors() || compilation.sql() == null) fail("crash.dfsql does not compile: " + compilation.diagnostics());
        StringWriter messages = new StringWriter();
        ScriptRunner.withDefaultClient(new PrintWriter(messages, true)).apply(DbUrl.parse(cluster.url()), compilation.sql(), "crash.dfsql");
    }

    static String quietly(String query) {
        try {
            return sql(query);
        } catch (SQLException e) {
            return e.getMessage();
        }
    }

    /** Values taken from crash_attempts so far. */
    static long attempts() throws SQLException {
        return Long.parseLong(sql("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM crash_attempts"));
    }

    static void startInstances(String workflow, String label, int n) throws Exception {
        try (Connection c = connectAs(ROLE); Statement s = c.createStatement()) {
            s.execute("SELECT df.start('" + workflow + "', '" + label + "', args => jsonb_build_object('k', k)) FROM generate_series(1, " + n + ") k");
        }
    }

    /** Sorted random fractions of the run's steps, between 5% and 90%. */
    static List<Double> randomMoments(int kills) {
        List<Double> m = new ArrayList<>();
        for (int i = 0; i < kills; i++) m.add(Math.round((0.05 + 0.85 * random.nextDouble()) * 1000) / 1000.0);
        m.sort(Double::compare);
        return m;
    }

    /** Waits until that fraction of the crash_flow steps has committed (crash_unique rows). */
    static void awaitProgress(double fraction) throws Exception {
        long target = (long) Math.ceil(fraction * INSTANCES * STEPS);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (true) {
            String done = queryUntil("SELECT count(*) FROM crash_unique", 60);
            if (Long.parseLong(done) >= target) return;
            if (System.nanoTime() > deadline) fail("no progress: " + done + " of " + target + " steps after 5 minutes; log " + cluster.logFile());
            Thread.sleep(5);
        }
    }

    static void assertExactlyOnce(String label, int instances, int steps) throws Exception {
        awaitTerminal(label, FULL ? 600 : 180);
        assertEquals(String.valueOf(instances), sql("SELECT count(*) FROM df.instances WHERE label = '" + label + "'"), "instances lost");
        String notCompleted = sql("SELECT count(*) || ' ' || coalesce(string_agg(id || ' ' || status || ' ' || coalesce(error::text, ''), '; '), '')"
                + " FROM df.instances WHERE label = '" + label + "' AND status <> 'completed'");
        assertEquals("0 ", notCompleted, "instances not completed");
        assertEquals("0", sql("SELECT count(*) FROM (SELECT k, step FROM crash_plain GROUP BY 1, 2 HAVING count(*) > 1) d"), "duplicate (instance, step) rows");
        assertEquals("0", sql("SELECT count(*) FROM generate_series(1, " + instances + ") k CROSS JOIN generate_series(1, " + steps + ") s"
                + " WHERE NOT EXISTS (SELECT FROM crash_plain p WHERE p.k = k.k AND p.step = s.s)"), "missing (instance, step) rows");
        assertEquals(String.valueOf((long) instances * steps), sql("SELECT count(*) FROM crash_plain"));
        assertEquals(String.valueOf((long) instances * steps), sql("SELECT count(*) FROM crash_unique"));
    }

    static void awaitTerminal(String label, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            String open = queryUntil("SELECT count(*) FROM df.instances WHERE label = '" + label + "' AND status IN ('pending', 'running')", 60);
            if (open.equals("0")) return;
            if (System.nanoTime() > deadline) fail(open + " instances still not terminal after " + seconds + " s (stuck); log " + cluster.logFile());
            Thread.sleep(50);
        }
    }

    static void awaitWorkers(int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            try {
                if (Integer.parseInt(sql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker'")) >= WORKERS) return;
            } catch (SQLException e) {
                // restarting
            }
            if (System.nanoTime() > deadline) fail("the step workers did not come back; log " + cluster.logFile());
            Thread.sleep(50);
        }
    }

    /** SIGKILL to the postmaster, then to any of its children that outlive it, so the next start finds no attached shared memory. */
    static void killPostmaster() throws Exception {
        long pid = cluster.serverPid().orElseThrow(() -> new AssertionError("no postmaster.pid"));
        ProcessHandle pm = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("postmaster " + pid + " is not running"));
        List<ProcessHandle> children = pm.children().toList();
        kill9(pid);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pm.isAlive() || children.stream().anyMatch(ProcessHandle::isAlive)) {
            if (System.nanoTime() > deadline) {
                for (ProcessHandle child : children) if (child.isAlive()) kill9(child.pid());
                deadline = Long.MAX_VALUE;
            }
            Thread.sleep(20);
        }
    }

    static void kill9(long pid) throws Exception {
        Process p = new ProcessBuilder("kill", "-9", String.valueOf(pid)).inheritIO().start();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    static Connection connect() throws SQLException {
        return connectAs(DevCluster.SUPERUSER);
    }

    static Connection connectAs(String role) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", role);
        p.setProperty("connectTimeout", "10");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + cluster.port().orElseThrow() + "/" + DevCluster.DATABASE, p);
    }

    /** First column of the first row, as superuser. */
    static String sql(String query) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            if (!s.execute(query)) return null;
            try (ResultSet rs = s.getResultSet()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** The same, retried while the server restarts or until the query returns a row. */
    static String queryUntil(String query, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            try {
                String v = sql(query);
                if (v != null) return v;
            } catch (SQLException e) {
                last = e;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no answer to " + query + " within " + seconds + " s" + (last == null ? "" : ": " + last.getMessage()), last);
    }
}
