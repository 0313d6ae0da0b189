package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import dev.dfc.cli.db.DbUrl;
import dev.dfc.cli.db.ScriptRunner;
import dev.dfc.cli.dev.DevCluster;
import dev.dfc.compiler.Compilation;
import dev.dfc.compiler.Compiler;
import dev.dfc.compiler.source.SourceFile;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code dfc worker} (RUNTIME.md section 4): a cluster without in-server step workers
 * (dfc.workers = 0), its steps run by {@code dfc worker} processes over JDBC: workflows of every
 * kind run to their end, an HTTP step is called from the worker, a cancel interrupts a running
 * step, kill -9 of the worker loses and repeats nothing, SIGTERM stops it cleanly.
 */
class ExternalWorkerTest {
    static DevCluster cluster;
    static final String ROLE = "ext_user";
    static HttpServer server;
    static Path logDir;
    final List<Process> workers = new ArrayList<>();

    static final String WORKFLOWS = """
            CREATE TABLE IF NOT EXISTS ext_unique (k int, step int, UNIQUE (k, step));
            CREATE TABLE IF NOT EXISTS ext_plain (k int, step int);
            GRANT SELECT, INSERT ON ext_unique, ext_plain TO ext_user;
            CREATE WORKFLOW ext_flow (k int) AS
                'WITH u AS (INSERT INTO ext_unique VALUES ($k, 1)) INSERT INTO ext_plain SELECT $k, 1 FROM pg_sleep(0.002)'
                ~> 'WITH u AS (INSERT INTO ext_unique VALUES ($k, 2)) INSERT INTO ext_plain SELECT $k, 2 FROM pg_sleep(0.002)'
                ~> 'WITH u AS (INSERT INTO ext_unique VALUES ($k, 3)) INSERT INTO ext_plain SELECT $k, 3 FROM pg_sleep(0.002)'
                ~> 'WITH u AS (INSERT INTO ext_unique VALUES ($k, 4)) INSERT INTO ext_plain SELECT $k, 4 FROM pg_sleep(0.002)';
            CREATE WORKFLOW ext_shapes AS
                ('SELECT 1 AS a' & 'SELECT 2 AS b') |=> 'both'
                ~> (df.sleep(0.2) | df.wait_for_signal('never')) |=> 'raced'
                ~> df.wait_for_signal('go', 30) |=> 'sig'
                ~> df.retry('SELECT 1 / (SELECT count(*) - 1 FROM ext_plain WHERE k = -1) AS x', 3, backoff => '50ms')
                ~> 'SELECT current_user AS who, $sig.data AS data, (SELECT count(*) FROM $both.*) AS n';
            CREATE WORKFLOW ext_long AS 'SELECT pg_sleep(60)' ~> 'SELECT 1';
            CREATE WORKFLOW ext_timeout AS df.timeout('SELECT pg_sleep(60)', 1);
            CREATE WORKFLOW ext_escape AS 'RESET ROLE; SELECT current_user AS who';
            """;

    @BeforeAll
    static void startCluster() throws Exception {
        Path root = Path.of(System.getProperty("dfc.root", "..")).toAbsolutePath().normalize();
        Path dir = Path.of("/tmp", "dfc-ext-" + ProcessHandle.current().pid());
        logDir = Files.createTempDirectory("dfc-ext-logs");
        cluster = new DevCluster(dir, root, new DevCluster.Options(0, 0, Map.of()), line -> System.err.println("[dfc-ext] " + line));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                cluster.destroy();
            } catch (RuntimeException e) {
                System.err.println("[dfc-ext] could not remove " + dir + ": " + e.getMessage());
            }
        }, "dfc-ext-cluster-shutdown"));
        cluster.start();
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ext_user') THEN CREATE ROLE ext_user LOGIN; END IF; END $$");
            s.execute("GRANT USAGE ON SCHEMA public TO ext_user");
            s.execute("SELECT df.grant_usage('ext_user', include_http => true)");
            assertEquals(0, count(s, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker'"), "in-server step workers");
        }
        Compilation compilation = Compiler.compile(List.of(new SourceFile("ext.dfsql", WORKFLOWS)));
        if (compilation.hasErrors()) fail("ext.dfsql does not compile: " + compilation.diagnostics());
        ScriptRunner.withDefaultClient(new PrintWriter(new StringWriter(), true)).apply(DbUrl.parse(cluster.url()), compilation.sql(), "ext.dfsql");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hello", exchange -> {
            byte[] body = ("{\"method\":\"" + exchange.getRequestMethod() + "\",\"key\":\""
                    + exchange.getRequestHeaders().getFirst("Idempotency-Key") + "\"}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(201, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterAll
    static void stopAll() {
        if (server != null) server.stop(0);
        if (cluster != null) cluster.destroy();
    }

    @BeforeEach
    void clean() throws Exception {
        sql("TRUNCATE ext_unique, ext_plain");
    }

    @AfterEach
    void stopWorkers() throws Exception {
        for (Process p : workers) {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
        }
    }

    @Test
    void runsEveryKindOfStepAsItsSubmitter() throws Exception {
        startWorker("--workers", "2");
        String id = startAs("ext_shapes");
        waitFor("SELECT EXISTS (SELECT FROM df._queue WHERE instance_id = '" + id + "' AND waiting = 'signal')", "the signal wait");
        try (Connection c = connectAs(ROLE); Statement s = c.createStatement()) {
            s.execute("SELECT df.signal('" + id + "', 'go', '{\"x\": 1}')");
        }
        assertEquals("completed", await(id), () -> error(id));
        assertEquals("{\"rows\":[{\"who\":\"ext_user\",\"data\":{\"x\": 1},\"n\":2}],\"row_count\":1}", sql("SELECT df.result('" + id + "')"));

        // a step cannot leave its submitter's identity
        String escape = startAs("ext_escape");
        assertEquals("failed", await(escape));
        assertTrue(sql("SELECT error ->> 'message' FROM df.instances WHERE id = '" + escape + "'").contains("cannot set parameter \"role\""),
                () -> error(escape));
    }

    @Test
    void httpStepsAreCalledFromTheWorker() throws Exception {
        startWorker("--workers", "1", "--http-allow-loopback");
        deploy("CREATE WORKFLOW ext_http AS df.http('http://127.0.0.1:" + server.getAddress().getPort() + "/hello', 'GET') |=> 'r'"
                + " ~> 'SELECT $r.status AS status, ($r.body::jsonb) ->> ''method'' AS method, ($r.body::jsonb) ->> ''key'' AS key';");
        String id = startAs("ext_http");
        assertEquals("completed", await(id), () -> error(id));
        assertEquals("{\"rows\":[{\"status\":201,\"method\":\"GET\",\"key\":\"" + id + "-1-1\"}],\"row_count\":1}", sql("SELECT df.result('" + id + "')"));
    }

    @Test
    void statementsThatRefuseTransactionBlocksRunOnTheirOwnAsTheSubmitter() throws Exception {
        sql("DROP TABLE IF EXISTS ext_maint, ext_theirs");
        sql("CREATE TABLE ext_maint (id int, v text)");
        sql("ALTER TABLE ext_maint OWNER TO " + ROLE);
        sql("GRANT CREATE ON SCHEMA public TO " + ROLE); // (its index; revoked by the last statement)
        sql("CREATE TABLE ext_theirs (id int)");
        sql("GRANT SELECT ON ext_theirs TO " + ROLE);
        deploy("""
                CREATE WORKFLOW ext_maintain AS
                    'INSERT INTO ext_maint SELECT g, ''x'' FROM generate_series(1, 50) g'
                    ~> 'VACUUM (ANALYZE) ext_maint'
                    ~> 'CREATE INDEX CONCURRENTLY ext_maint_id ON ext_maint (id)'
                    ~> 'SELECT count(*) AS n, current_user AS who FROM ext_maint';
                CREATE WORKFLOW ext_maint_theirs AS 'CREATE INDEX CONCURRENTLY ext_theirs_id ON ext_theirs (id)';
                CREATE WORKFLOW ext_maint_escape AS 'VACUUM ext_maint; RESET ROLE; CREATE TABLE ext_escaped (id int)';
                """);
        startWorker("--workers", "2");
        // (polled, not awaited: CREATE INDEX CONCURRENTLY waits for every older snapshot, which a
        // statement blocked in df.await_instance holds)
        String id = startAs("ext_maintain");
        waitFor("SELECT status IN ('completed', 'failed') FROM df._instances WHERE id = '" + id + "'", "ext_maintain");
        assertEquals("{\"rows\":[{\"n\":50,\"who\":\"ext_user\"}],\"row_count\":1}", sql("SELECT df.result('" + id + "')"), () -> error(id));
        assertEquals("t", sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ext_maint_id'::regclass"));
        waitFor("SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'ext_maint'", "the vacuum");

        String theirs = startAs("ext_maint_theirs");
        waitFor("SELECT status IN ('completed', 'failed') FROM df._instances WHERE id = '" + theirs + "'", "ext_maint_theirs");
        assertEquals("failed 42501 must be owner of table ext_theirs",
                sql("SELECT status || ' ' || (error ->> 'sqlstate') || ' ' || (error ->> 'message') FROM df.instances WHERE id = '" + theirs + "'"));

        String escape = startAs("ext_maint_escape");
        waitFor("SELECT status IN ('completed', 'failed') FROM df._instances WHERE id = '" + escape + "'", "ext_maint_escape");
        assertEquals("failed 25001 a statement that cannot run inside a transaction block must be alone in its step",
                sql("SELECT status || ' ' || (error ->> 'sqlstate') || ' ' || (error ->> 'message') FROM df.instances WHERE id = '" + escape + "'"));
        assertEquals("", sql("SELECT coalesce(to_regclass('ext_escaped')::text, '')"));
        sql("REVOKE CREATE ON SCHEMA public FROM " + ROLE);
    }

    /**
     * A cancel interrupts a statement that dfc worker runs on its own (its session is named after
     * the item meanwhile): the index build, held up by a lock the test holds, stops, and once the
     * lock is released no index appears.
     */
    @Test
    void aCancelInterruptsAStatementRunningOnItsOwn() throws Exception {
        sql("DROP TABLE IF EXISTS ext_cic");
        sql("CREATE TABLE ext_cic (id int)");
        sql("ALTER TABLE ext_cic OWNER TO " + ROLE);
        sql("GRANT CREATE ON SCHEMA public TO " + ROLE);
        deploy("""
                CREATE WORKFLOW ext_cic_build AS 'CREATE INDEX CONCURRENTLY ext_cic_id ON ext_cic (id)' ~> 'SELECT 1 AS after';
                CREATE WORKFLOW ext_cic_next AS 'SELECT current_user AS who, current_setting(''application_name'') LIKE ''dfc worker: item %'' AS named';
                """);
        startWorker("--workers", "1");
        String id;
        try (Connection holder = connect(); Statement h = holder.createStatement()) {
            holder.setAutoCommit(false);
            h.execute("LOCK TABLE ext_cic IN SHARE UPDATE EXCLUSIVE MODE");
            id = startAs("ext_cic_build");
            waitFor("SELECT EXISTS (SELECT FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY ext_cic_id%'"
                    + " AND wait_event_type = 'Lock')", "the index build to wait");
            try (Connection c = connectAs(ROLE); Statement s = c.createStatement()) {
                s.execute("SELECT df.cancel('" + id + "')");
            }
            // interrupted while the lock is still held
            waitFor("SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY ext_cic_id%' AND state = 'active')",
                    "the index build to be interrupted");
            holder.rollback();
        }
        assertEquals("cancelled", sql("SELECT df.status('" + id + "')"));
        waitFor("SELECT NOT EXISTS (SELECT FROM df._queue WHERE instance_id = '" + id + "')", "the item to go");
        assertEquals("t", sql("SELECT to_regclass('ext_cic_id') IS NULL"), "the index was built after the cancel");
        // the worker's session is back to its own role and name: it runs the next instance
        String next = startAs("ext_cic_next");
        waitFor("SELECT status = 'completed' FROM df._instances WHERE id = '" + next + "'", "the next instance");
        assertEquals("{\"rows\":[{\"who\":\"ext_user\",\"named\":true}],\"row_count\":1}", sql("SELECT df.result('" + next + "')"));
        assertEquals("0", sql("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'dfc worker: item %' AND state = 'idle'"),
                "a worker session kept an item's name");
        sql("REVOKE CREATE ON SCHEMA public FROM " + ROLE);
    }

    @Test
    void httpToLoopbackIsRefusedUnlessAllowed() throws Exception {
        startWorker("--workers", "1");
        deploy("CREATE WORKFLOW ext_http_refused AS df.http('http://127.0.0.1:" + server.getAddress().getPort() + "/hello', 'GET');");
        String id = startAs("ext_http_refused");
        assertEquals("failed", await(id));
        assertEquals("42501", sql("SELECT error ->> 'sqlstate' FROM df.instances WHERE id = '" + id + "'"), () -> error(id));
    }

    @Test
    void cancelAndTimeoutInterruptARunningStep() throws Exception {
        startWorker("--workers", "2");
        String id = startAs("ext_long");
        waitFor("SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name LIKE 'dfc worker: item %' AND query LIKE '%df._run%')",
                "the step to run");
        try (Connection c = connectAs(ROLE); Statement s = c.createStatement()) {
            s.execute("SELECT df.cancel('" + id + "')");
        }
        assertEquals("cancelled", sql("SELECT df.status('" + id + "')"));
        waitFor("SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE application_name LIKE 'dfc worker: item %')", "the step to end");

        String t = startAs("ext_timeout");
        assertEquals("failed", await(t));
        assertEquals("timed out after 1 s", sql("SELECT error ->> 'message' FROM df.instances WHERE id = '" + t + "'"), () -> error(t));
        waitFor("SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE application_name LIKE 'dfc worker: item %')", "the timed-out step to end");
        assertEquals("0", sql("SELECT count(*) FROM df._queue WHERE instance_id IN ('" + id + "', '" + t + "')"));
    }

    @Test
    void killedWorkersLoseAndRepeatNothing() throws Exception {
        int n = 150;
        try (Connection c = connectAs(ROLE); Statement s = c.createStatement()) {
            s.execute("SELECT df.start('ext_flow', 'kill', args => jsonb_build_object('k', k)) FROM generate_series(1, " + n + ") k");
        }
        for (int round = 0; round < 3; round++) {
            Process p = startWorker("--workers", "2");
            long target = (long) (n * 4 * (round + 1) / 4.0);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (Long.parseLong(sql("SELECT count(*) FROM ext_unique")) < target) {
                if (System.nanoTime() > deadline) fail("no progress; worker log: " + log(p));
                Thread.sleep(5);
            }
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // kill -9 mid-run
            workers.remove(p);
        }
        startWorker("--workers", "2");
        waitFor("SELECT count(*) = 0 FROM df.instances WHERE label = 'kill' AND status IN ('pending', 'running')", "every instance to end", 120);
        assertEquals(String.valueOf(n), sql("SELECT count(*) FROM df.instances WHERE label = 'kill' AND status = 'completed'"));
        assertEquals(String.valueOf(n * 4), sql("SELECT count(*) FROM ext_plain"), "one row per step");
        assertEquals("0", sql("SELECT count(*) FROM (SELECT k, step FROM ext_plain GROUP BY 1, 2 HAVING count(*) > 1) d"), "a step ran twice");
    }

    /**
     * df.stats (RUNTIME.md section 6) counts a dfc worker's step threads, busy threads, steps,
     * failures and steps per second, from the reports the process sends; a process that stops
     * cleanly is no longer counted.
     */
    @Test
    void dfStatsShowsTheWorkerAndItsSteps() throws Exception {
        sql("DELETE FROM df._external_workers"); // (killed by other tests: no longer reporting)
        assertEquals("0 0 0", sql("SELECT workers || ' ' || external_workers || ' ' || steps FROM df.stats"));
        deploy("CREATE WORKFLOW ext_stats_fail AS 'SELECT 1 / 0';");
        Process p = startWorker("--workers", "2");
        List<String> ids = new ArrayList<>();
        try (Connection c = connectAs(ROLE); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT df.start('ext_flow', 'stats', args => jsonb_build_object('k', k)) FROM generate_series(1, 5) k")) {
            while (r.next()) ids.add(r.getString(1));
        }
        String failing = startAs("ext_stats_fail");
        for (String id : ids) assertEquals("completed", await(id), () -> error(id));
        assertEquals("failed", await(failing));
        waitFor("SELECT workers = 2 AND external_workers = 1 AND workers_busy = 0 AND steps >= 21 AND failures = 1"
                + " AND steps_per_s > 0 AND last_step_at > now() - interval '1 minute' FROM df.stats",
                "df.stats to show the worker's 21 steps and 1 failure: " + sql("SELECT row_to_json(s)::text FROM df.stats s"));
        p.destroy(); // SIGTERM: it says it ends
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "dfc worker did not stop on SIGTERM");
        assertEquals("0 0 0", sql("SELECT workers || ' ' || external_workers || ' ' || steps FROM df.stats"), () -> log(p));
    }

    @Test
    void sigtermStopsTheWorker() throws Exception {
        Process p = startWorker("--workers", "2");
        waitFor("SELECT count(*) >= 2 FROM pg_stat_activity WHERE application_name = 'dfc worker'", "the worker's sessions");
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "dfc worker did not stop on SIGTERM");
        assertEquals(0, p.exitValue(), () -> "exit code; log: " + log(p));
        assertTrue(log(p).contains("dfc worker: stopped"), () -> log(p));
    }

    /**
     * A database whose runtime was installed without the C library (as on a server that cannot
     * load it): dfc worker runs its steps through the SQL identity switch (df._run_as_sql), as the
     * submitter, who cannot leave that identity; a df.start inside a step is the submitter's.
     */
    @Test
    void runsStepsWithoutTheCLibrary() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS ext_nolib");
            s.execute("CREATE DATABASE ext_nolib");
        }
        String nolib = "jdbc:postgresql://127.0.0.1:" + cluster.port().orElseThrow() + "/ext_nolib";
        Properties su = new Properties();
        su.setProperty("user", DevCluster.SUPERUSER);
        Compilation compilation = Compiler.compile(List.of(new SourceFile("nolib.dfsql", """
                CREATE TABLE nolib_log (who text, what text);
                GRANT SELECT, INSERT, UPDATE ON nolib_log TO ext_user;
                CREATE WORKFLOW nolib_child AS 'INSERT INTO nolib_log VALUES (current_user, ''child'') RETURNING who';
                CREATE WORKFLOW nolib_flow (n int DEFAULT 2) AS
                    'INSERT INTO nolib_log VALUES (current_user, ''first'') RETURNING who, now() AS at, 1.5::numeric(4,2) AS x' |=> 'a'
                    ~> 'SELECT 1::int2 AS i, 2.5::float8 AS f, ''NaN''::float8 AS nan, true AS b, ''{"k": [1]}''::jsonb AS j,
                               ARRAY[1, 2] AS arr, ''2026-01-02''::date AS d, NULL::text AS n, 7::numeric AS num' |=> 'types'
                    ~> 'UPDATE nolib_log SET what = what WHERE who = $a.who'
                    ~> ('SELECT 1 AS one' & 'SELECT 2 AS two') |=> 'both'
                    ~> 'SELECT df.start(''nolib_child'') AS child' |=> 'c'
                    ~> 'SELECT $a.who AS who, $a.x::numeric * $n AS x, (SELECT count(*) FROM $both.*) AS branches, (SELECT pg_typeof(at)::text FROM $a.*) AS at_type';
                CREATE WORKFLOW nolib_escape AS 'RESET ROLE; INSERT INTO nolib_log VALUES (current_user, ''escaped'')';
                CREATE WORKFLOW nolib_shadow AS
                    'SELECT set_config(''search_path'', ''ext_user, pg_catalog, public'', false) AS sp' ~> 'SELECT 1 AS after';
                CREATE WORKFLOW nolib_settings AS
                    'SELECT set_config(''search_path'', ''nobody, pg_catalog'', false), set_config(''work_mem'', ''77MB'', false), 1, 2'
                    ~> 'SELECT current_setting(''work_mem'') AS wm, current_setting(''search_path'') AS sp';
                CREATE WORKFLOW nolib_fake_cancel AS
                    'DO $$ BEGIN RAISE EXCEPTION ''canceling statement due to user request'' USING ERRCODE = ''57014''; END $$';
                CREATE WORKFLOW nolib_twice AS
                    'SELECT 1 AS a) SELECT * FROM dfc_q; INSERT INTO nolib_log VALUES (current_user, ''twice''); WITH dfc_q AS (SELECT 2 AS b';
                CREATE WORKFLOW nolib_escape_do AS 'DO $$ BEGIN EXECUTE ''SET ROLE postgres''; END $$';
                CREATE WORKFLOW nolib_role_settings AS
                    'SELECT current_setting(''dfc_rs.here'', true) AS here, current_setting(''role'') AS role, current_user AS who';
                """)));
        if (compilation.hasErrors()) fail("nolib.dfsql does not compile: " + compilation.diagnostics());
        try (Connection c = DriverManager.getConnection(nolib, su); Statement s = c.createStatement()) {
            // as on a server without the library: CREATE FUNCTION ... LANGUAGE c finds no file
            s.execute("SET dynamic_library_path = '/nonexistent'");
            s.execute(dev.dfc.cli.db.RuntimeScript.text());
            assertEquals("plpgsql", query(s, "SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = 'df._run_as(oid,text)'::regprocedure"));
            s.execute("GRANT USAGE ON SCHEMA public TO ext_user");
            s.execute("SELECT df.grant_usage('ext_user')");
            // ext_user's own schema, with an integer = that records who calls it: a step that puts it
            // first in search_path must not get it called by the runtime after the step
            s.execute("CREATE SCHEMA ext_user AUTHORIZATION ext_user");
            s.execute(compilation.sql());
        }
        Process worker = startWorker("--workers", "2");
        workers.remove(worker);
        Process nolibWorker = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.dfc.cli.Main", "worker", "--db",
                "postgresql://" + DevCluster.SUPERUSER + "@127.0.0.1:" + cluster.port().orElseThrow() + "/ext_nolib", "--workers", "2")
                .redirectErrorStream(true).redirectOutput(logDir.resolve("nolib.log").toFile()).start();
        workers.add(nolibWorker);
        worker.destroy();
        Properties user = new Properties();
        user.setProperty("user", ROLE);
        try (Connection c = DriverManager.getConnection(nolib, user); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE ext_user.shadow_calls (who text)");
            s.execute("GRANT INSERT ON ext_user.shadow_calls TO PUBLIC");
            s.execute("CREATE FUNCTION ext_user.spy_eq(integer, integer) RETURNS boolean LANGUAGE plpgsql AS"
                    + " $$ BEGIN INSERT INTO ext_user.shadow_calls VALUES (current_user); RETURN $1 OPERATOR(pg_catalog.=) $2; END $$");
            s.execute("CREATE OPERATOR ext_user.= (FUNCTION = ext_user.spy_eq, LEFTARG = integer, RIGHTARG = integer)");
            String shadow = query(s, "SELECT df.start('nolib_shadow')");
            String id = query(s, "SELECT df.start('nolib_flow')");
            String escape = query(s, "SELECT df.start('nolib_escape')");
            String escapeDo = query(s, "SELECT df.start('nolib_escape_do')");
            String settings = query(s, "SELECT df.start('nolib_settings')");
            String fake = query(s, "SELECT df.start('nolib_fake_cancel')");
            String twice = query(s, "SELECT df.start('nolib_twice')");
            for (String i : List.of(shadow, id, escape, escapeDo, settings, fake, twice)) {
                query(s, "SELECT df.await_instance('" + i + "', 60)");
            }
            assertEquals("completed", query(s, "SELECT df.status('" + id + "')"),
                    () -> "nolib_flow: " + quietly(s, "SELECT status || ' ' || coalesce(error::text, '') FROM df.instances WHERE id = '" + id + "'")
                            + "; worker log: " + readLog("nolib.log"));
            assertEquals("{\"rows\":[{\"who\":\"ext_user\",\"x\":\"3.00\",\"branches\":2,\"at_type\":\"timestamp with time zone\"}],\"row_count\":1}",
                    query(s, "SELECT df.result('" + id + "')"));
            // values encoded as the C library encodes them (RUNTIME.md section 3)
            assertEquals("{\"rows\":[{\"i\":1,\"f\":2.5,\"nan\":null,\"b\":true,\"j\":{\"k\": [1]},\"arr\":[1,2],\"d\":\"2026-01-02\",\"n\":null,\"num\":\"7\"}],\"row_count\":1}",
                    query(s, "SELECT n.result::text FROM df.instance_nodes('" + id + "') n WHERE n.result_name = 'types'"));
            // the child started inside a step is the submitter's, and ran as it
            String child = query(s, "SELECT (df.result('" + id + "')::json) IS NOT NULL");
            assertEquals("t", child);
            waitForIn(s, "SELECT count(*) = 1 FROM nolib_log WHERE what = 'child' AND who = 'ext_user'", "the child instance, as ext_user");
            for (String i : List.of(escape, escapeDo)) {
                assertEquals("failed", query(s, "SELECT df.status('" + i + "')"));
                String message = query(s, "SELECT error ->> 'message' FROM df.instances WHERE id = '" + i + "'");
                assertTrue(message.contains("cannot set parameter \"role\" within security-definer function"), message);
            }
            assertEquals("0", query(s, "SELECT count(*) FROM nolib_log WHERE what = 'escaped' OR who <> 'ext_user'"));
            // the runtime never resolved a name through the search_path a step set
            assertEquals("completed", query(s, "SELECT df.status('" + shadow + "')"), () -> quietly(s, "SELECT error::text FROM df.instances WHERE id = '" + shadow + "'"));
            assertEquals("0", query(s, "SELECT count(*) FROM ext_user.shadow_calls WHERE who <> 'ext_user'"),
                    () -> quietly(s, "SELECT string_agg(who, ',') FROM ext_user.shadow_calls"));
            // what a step SETs does not outlive it
            assertEquals("completed {\"rows\":[{\"wm\":\"4MB\",\"sp\":\"\\\"$user\\\", public\"}],\"row_count\":1}",
                    query(s, "SELECT df.status('" + settings + "') || ' ' || df.result('" + settings + "')"));
            // a step that raises the cancel's error itself fails (after a few tries), not retried forever
            assertEquals("failed 57014", query(s, "SELECT status || ' ' || (error ->> 'sqlstate') FROM df.instances WHERE id = '" + fake + "'"));
            // a text that would be several statements once wrapped never runs twice
            assertTrue(Integer.parseInt(query(s, "SELECT count(*) FROM nolib_log WHERE what = 'twice'")) <= 1);
            // the submitter's role settings (ALTER ROLE ... SET), but never role; and a search_path the
            // role sets never resolves a name of the runtime's: its format(text, text) is not called
            s.execute("CREATE FUNCTION ext_user.format(text, text) RETURNS text LANGUAGE plpgsql AS"
                    + " $$ BEGIN INSERT INTO ext_user.shadow_calls VALUES (current_user); RETURN pg_catalog.format($1, $2); END $$");
            try (Connection a = DriverManager.getConnection(nolib, su); Statement as = a.createStatement()) {
                as.execute("ALTER ROLE ext_user IN DATABASE ext_nolib SET dfc_rs.here = 'role in this database'");
                as.execute("ALTER ROLE ext_user IN DATABASE ext_nolib SET role = 'postgres'");
                as.execute("ALTER ROLE ext_user IN DATABASE ext_nolib SET search_path = ext_user, public, pg_catalog");
            }
            String roleSettings = query(s, "SELECT df.start('nolib_role_settings')");
            query(s, "SELECT df.await_instance('" + roleSettings + "', 60)");
            assertEquals("completed {\"rows\":[{\"here\":\"role in this database\",\"role\":\"none\",\"who\":\"ext_user\"}],\"row_count\":1}",
                    query(s, "SELECT df.status('" + roleSettings + "') || ' ' || df.result('" + roleSettings + "')"),
                    () -> quietly(s, "SELECT error::text FROM df.instances WHERE id = '" + roleSettings + "'"));
            assertEquals("0", query(s, "SELECT count(*) FROM ext_user.shadow_calls WHERE who <> 'ext_user'"),
                    () -> quietly(s, "SELECT string_agg(who, ',') FROM ext_user.shadow_calls"));
            // the submitter cannot reach the function that runs its steps
            try {
                s.execute("ALTER FUNCTION df_run.r" + query(s, "SELECT oid FROM pg_roles WHERE rolname = current_user") + "(text) SECURITY INVOKER");
                fail("the submitter could alter its step function");
            } catch (SQLException e) {
                assertEquals("42501", e.getSQLState(), e.getMessage());
            }
        }
    }

    static String query(Statement s, String sql) throws SQLException {
        try (ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        }
    }

    static String quietly(Statement s, String sql) {
        try {
            return query(s, sql);
        } catch (SQLException e) {
            return e.toString();
        }
    }

    static String readLog(String name) {
        try {
            return Files.readString(logDir.resolve(name));
        } catch (IOException e) {
            return e.toString();
        }
    }

    static void waitForIn(Statement s, String condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!"t".equals(query(s, condition))) {
            if (System.nanoTime() > deadline) fail("waited 60 s for " + what);
            Thread.sleep(20);
        }
    }

    // ---- helpers ----

    Process startWorker(String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.dfc.cli.Main", "worker", "--db", cluster.url()));
        cmd.addAll(List.of(extra));
        Path log = logDir.resolve("worker-" + System.nanoTime() + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        logs.put(p, log);
        workers.add(p);
        return p;
    }

    final Map<Process, Path> logs = new java.util.HashMap<>();

    String log(Process p) {
        try {
            return Files.readString(logs.get(p));
        } catch (IOException e) {
            return e.toString();
        }
    }

    static void deploy(String dfsql) {
        Compilation compilation = Compiler.compile(List.of(new SourceFile("ext-extra.dfsql", dfsql)));
        if (compilation.hasErrors()) fail("does not compile: " + compilation.diagnostics());
        ScriptRunner.withDefaultClient(new PrintWriter(new StringWriter(), true)).apply(DbUrl.parse(cluster.url()), compilation.sql(), "ext-extra.dfsql");
    }

    static String startAs(String workflow) throws SQLException {
        try (Connection c = connectAs(ROLE); Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT df.start('" + workflow + "')")) {
            r.next();
            return r.getString(1);
        }
    }

    static String await(String id) throws SQLException {
        try (Connection c = connectAs(ROLE); Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT df.await_instance('" + id + "', 60)")) {
            r.next();
            return r.getString(1);
        }
    }

    static String error(String id) {
        try {
            return sql("SELECT status || ' ' || coalesce(error::text, '') FROM df.instances WHERE id = '" + id + "'");
        } catch (SQLException e) {
            return e.toString();
        }
    }

    static void waitFor(String condition, String what) throws Exception {
        waitFor(condition, what, 60);
    }

    static void waitFor(String condition, String what, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!"t".equals(sql(condition))) {
            if (System.nanoTime() > deadline) fail("waited " + seconds + " s for " + what);
            Thread.sleep(20);
        }
    }

    static int count(Statement s, String query) throws SQLException {
        try (ResultSet r = s.executeQuery(query)) {
            r.next();
            return r.getInt(1);
        }
    }

    static Connection connect() throws SQLException {
        return connectAs(DevCluster.SUPERUSER);
    }

    static Connection connectAs(String role) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", role);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + cluster.port().orElseThrow() + "/" + DevCluster.DATABASE, p);
    }

    static String sql(String query) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            if (!s.execute(query)) return null;
            try (ResultSet r = s.getResultSet()) {
                return r.next() ? r.getString(1) : null;
            }
        }
    }
}
