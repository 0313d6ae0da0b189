package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.cli.Main;
import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walking skeleton end to end on a real cluster with the C worker: `dfc compile` output
 * applied with `psql -v ON_ERROR_STOP=1 -f`, instances started with df.start and awaited
 * with df.await_instance, table effects checked in the database.
 */
@ClusterExtension.WithCluster
class WalkingSkeletonTest {
    /** Every awkward value a result can carry into the next step's SQL text. */
    private static final String NASTY = "it's \"quoted\" \\ back\\slash \\n ünïcödé 🎉 '); DROP TABLE skel_src; --";

    private static final String WORKFLOWS = """
            -- Source rows whose values travel through $references into later steps.
            CREATE TABLE IF NOT EXISTS skel_src (k int PRIMARY KEY, s text, i int, f float8, n numeric, b bool, j jsonb, nul text);
            CREATE TABLE IF NOT EXISTS skel_out (run text, k int, s text, i int, f float8, n numeric, b bool, j jsonb, nul text, cnt bigint);
            GRANT SELECT ON skel_src TO skel_user;
            GRANT SELECT, INSERT ON skel_out TO skel_user;

            -- $n, $n.col, $n? / $n.col?, and $n.* in three steps.
            CREATE WORKFLOW skel (run text, k int)
            AS
                'SELECT s, i, f, n, b, j, nul FROM skel_src WHERE k = $k' |=> 'src'
                ~> 'SELECT count(*) AS cnt, min(src.i) AS min_i FROM $src.* WHERE src.s IS NOT NULL' |=> 'c'
                ~> 'INSERT INTO skel_out (run, k, s, i, f, n, b, j, nul, cnt)
                    VALUES ($run, $k, $src, $src.i, $src.f, $src.n, $src.b, $src.j, $src.nul?, $c.cnt)
                    RETURNING s, i, b';

            -- NULL without '?': the third step must fail, naming the reference.
            CREATE WORKFLOW skel_null_strict (run text, k int)
            AS
                'SELECT nul FROM skel_src WHERE k = $k' |=> 'src'
                ~> 'SELECT 1 AS one'
                ~> 'INSERT INTO skel_out (run, nul) VALUES ($run, $src)';

            -- An empty row set: $none.* is an empty relation, $none? is NULL.
            CREATE WORKFLOW skel_empty (run text)
            AS
                'SELECT k, s FROM skel_src WHERE false' |=> 'none'
                ~> 'SELECT count(*) AS cnt FROM $none.*' |=> 'c'
                ~> 'INSERT INTO skel_out (run, cnt, s) VALUES ($run, $c, $none.s?)';
            """;

    @TempDir
    Path tmp;

    @Test
    void threeStepsPassValuesSafelyThroughEveryReferenceForm(TestCluster db) throws Exception {
        db.createRole("skel_user");
        applyWithPsql(db, compileWithCli(WORKFLOWS, "skel.dfsql"));
        try (Connection c = db.connect(); PreparedStatement ins = c.prepareStatement(
                "INSERT INTO skel_src VALUES (?, ?, ?, ?, ?::numeric, ?, ?::jsonb, NULL) ON CONFLICT (k) DO NOTHING")) {
            Object[][] rows = {
                {1, NASTY, -42, -1.5e300, "12.50", true, "{\"a\": [1, \"x'y\"], \"b\": null}"},
                {2, "", 0, 0.0, "-0.001", false, "[]"},
                {3, "日本語 $k $$ %s %I ${x}", 2147483647, 3.25, "99999999999999999999.999", true, "\"just a string\""},
            };
            for (Object[] r : rows) {
                for (int i = 0; i < r.length; i++) ins.setObject(i + 1, r[i]);
                ins.executeUpdate();
            }
        }

        for (int k = 1; k <= 3; k++) {
            String run = "run-" + k + "-" + System.nanoTime();
            String id;
            try (Connection user = db.connectAs("skel_user")) {
                id = start(user, "skel", "{\"run\": \"" + run + "\", \"k\": " + k + "}");
                assertEquals("completed", TestCluster.awaitInstance(user, id), () -> error(db, id));
            }
            // the values written by step 3 are exactly the source values, compared inside PostgreSQL
            try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("""
                    SELECT count(*) FROM skel_out o JOIN skel_src r ON r.k = o.k
                     WHERE o.run = ? AND o.s = r.s AND o.i = r.i AND o.f = r.f AND o.n = r.n AND o.b = r.b
                       AND o.j = r.j AND o.nul IS NULL AND o.cnt = 1""")) {
                s.setString(1, run);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    assertEquals(1, rs.getInt(1), "row " + k + " did not arrive intact: " + dump(db, run));
                }
            }
            String result = db.result(id);
            assertNotNull(result);
            try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement(
                    "SELECT r->>'row_count', r->'rows'->0->>'s' = (SELECT s FROM skel_src WHERE k = ?), jsonb_typeof(r->'rows'->0->'i'), jsonb_typeof(r->'rows'->0->'b') FROM (SELECT ?::jsonb r) x")) {
                s.setInt(1, k);
                s.setString(2, result);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    assertEquals("1", rs.getString(1), result);
                    assertTrue(rs.getBoolean(2), result);
                    assertEquals("number", rs.getString(3), result);
                    assertEquals("boolean", rs.getString(4), result);
                }
            }
        }
        assertEquals(1, count(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'skel_src'"), "the injection attempt dropped a table");
    }

    @Test
    void nullWithoutQuestionMarkFailsAndEmptyRowSetsWork(TestCluster db) throws Exception {
        db.createRole("skel_user");
        applyWithPsql(db, compileWithCli(WORKFLOWS, "skel.dfsql"));
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO skel_src (k, s) VALUES (100, 'has a NULL nul') ON CONFLICT (k) DO NOTHING");
        }
        String run = "null-" + System.nanoTime();
        String strict = db.start("skel_null_strict", "{\"run\": \"" + run + "\", \"k\": 100}");
        assertEquals("failed", db.awaitInstance(strict));
        String message = errorField(db, strict, "message");
        assertTrue(message.contains("$src") && message.toLowerCase().contains("null"), message);
        assertEquals(0, count(db, "SELECT count(*) FROM skel_out WHERE run = '" + run + "'"));

        String empty = db.start("skel_empty", "{\"run\": \"" + run + "\"}");
        assertEquals("completed", db.awaitInstance(empty), () -> error(db, empty));
        assertEquals(1, count(db, "SELECT count(*) FROM skel_out WHERE run = '" + run + "' AND cnt = 0 AND s IS NULL"));
    }

    @Test
    void sameInputSameOutputReapplyIsNoOpAndChangesAddVersions(TestCluster db) throws Exception {
        String v1 = """
                CREATE TABLE IF NOT EXISTS skel_gate (id int);
                CREATE WORKFLOW skel_versioned AS
                    'SELECT pg_advisory_xact_lock(4242) AS locked' ~> 'SELECT ''v1'' AS version';
                """;
        String v2 = v1.replace("'v1'", "'v2'");
        String out1 = compileWithCli(v1, "versioned.dfsql");
        String out1again = compileWithCli(v1, "versioned.dfsql");
        assertArrayEquals(Files.readAllBytes(Path.of(out1)), Files.readAllBytes(Path.of(out1again)), "compiling twice gave different bytes");

        applyWithPsql(db, out1);
        long versions = count(db, "SELECT count(*) FROM df._versions WHERE workflow = 'skel_versioned'");
        applyWithPsql(db, out1);
        assertEquals(versions, count(db, "SELECT count(*) FROM df._versions WHERE workflow = 'skel_versioned'"), "re-applying added a version");
        assertEquals(1, versions);

        String oldId;
        try (Connection gate = db.connect(); Statement g = gate.createStatement()) {
            // hold the lock so the instance is stuck in its first step while v2 is deployed
            g.execute("SELECT pg_advisory_lock(4242)");
            oldId = db.start("skel_versioned", "{}");
            waitUntilStepIsBlocked(db);
            applyWithPsql(db, compileWithCli(v2, "versioned.dfsql"));
            assertEquals(2, count(db, "SELECT count(*) FROM df._versions WHERE workflow = 'skel_versioned'"));
            g.execute("SELECT pg_advisory_unlock(4242)");
        }
        String newId = db.start("skel_versioned", "{}");
        assertEquals("completed", db.awaitInstance(oldId), () -> error(db, oldId));
        assertEquals("completed", db.awaitInstance(newId), () -> error(db, newId));
        assertTrue(db.result(oldId).contains("\"v1\""), db.result(oldId));
        assertTrue(db.result(newId).contains("\"v2\""), db.result(newId));
        assertNotEquals(version(db, oldId), version(db, newId));
    }

    @Test
    void failingSecondStepKeepsTheFirstAndRecordsTheError(TestCluster db) throws Exception {
        String flow = """
                CREATE TABLE IF NOT EXISTS skel_effects (run text, step int);

                CREATE WORKFLOW skel_failing (run text)
                AS
                    'INSERT INTO skel_effects VALUES ($run, 1)'
                    ~> 'WITH ins AS (INSERT INTO skel_effects VALUES ($run, 2) RETURNING 1)
                        SELECT 1 / (SELECT count(*) - 1 FROM ins) AS boom'
                    ~> 'INSERT INTO skel_effects VALUES ($run, 3)';
                """;
        applyWithPsql(db, compileWithCli(flow, "failing.dfsql"));
        String run = "fail-" + System.nanoTime();
        String id = db.start("skel_failing", "{\"run\": \"" + run + "\"}");

        assertEquals("failed", db.awaitInstance(id));
        assertEquals(List.of(1), steps(db, run), "step 1 must be committed, steps 2 and 3 not");
        assertEquals("division by zero", errorField(db, id, "message"));
        assertEquals("22012", errorField(db, id, "sqlstate"));
        assertEquals("6", errorField(db, id, "line"), "the failing step starts on line 6 of failing.dfsql");
        assertNull(db.result(id));
    }

    @Test
    void generatedFunctionsPassPlpgsqlCheck(TestCluster db) throws Exception {
        db.createRole("skel_user");
        applyWithPsql(db, compileWithCli(WORKFLOWS, "skel.dfsql"));
        db.deployFile("examples/quickstart.dfsql");
        List<String> functions = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'df_workflows' ORDER BY 1")) {
            while (rs.next()) functions.add(rs.getString(1));
        }
        assertTrue(functions.size() >= 4, "expected the deployed workflow functions, found " + functions);
        for (String f : functions) {
            assertEquals(List.of(), db.plpgsqlCheck(f), "plpgsql_check on " + f);
        }
    }

    // --- helpers -------------------------------------------------------------------------

    /** Runs `dfc compile FILE -o OUT` in-process; returns the output path. */
    private String compileWithCli(String dfsql, String name) throws IOException {
        Path src = tmp.resolve(name);
        Files.writeString(src, dfsql, StandardCharsets.UTF_8);
        Path out = Files.createTempFile(tmp, "out", ".sql");
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.run(new String[] {"compile", src.toString(), "-o", out.toString()}, new PrintWriter(o), new PrintWriter(e));
        assertEquals(0, code, "dfc compile failed:\n" + e);
        return out.toString();
    }

    /** psql -v ON_ERROR_STOP=1 -f FILE, the way a user deploys. */
    private static void applyWithPsql(TestCluster db, String file) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.url(), "-f", file);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "psql did not finish");
        assertEquals(0, p.exitValue(), "psql -f " + file + " failed:\n" + output);
    }

    private static String psql() {
        for (String dir : new String[] {"/usr/lib/postgresql/15/bin", "/usr/bin"}) {
            if (Files.isExecutable(Path.of(dir, "psql"))) return dir + "/psql";
        }
        return "psql";
    }

    private static String start(Connection c, String workflow, String args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT df.start(?, args => ?::jsonb)")) {
            s.setString(1, workflow);
            s.setString(2, args);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** Polls (with a deadline) until a dfc step worker waits on the advisory lock. */
    private static void waitUntilStepIsBlocked(TestCluster db) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (count(db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = 4242") > 0) return;
            Thread.sleep(20); // poll interval, bounded by the deadline above
        }
        throw new AssertionError("no step blocked on the advisory lock within 30 s");
    }

    private static long count(TestCluster db, String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<Integer> steps(TestCluster db, String run) throws SQLException {
        List<Integer> steps = new ArrayList<>();
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("SELECT step FROM skel_effects WHERE run = ? ORDER BY step")) {
            s.setString(1, run);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) steps.add(rs.getInt(1));
            }
        }
        return steps;
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

    private static String version(TestCluster db, String id) throws SQLException {
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("SELECT version FROM df.instances WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static String error(TestCluster db, String id) {
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("SELECT status, error::text FROM df.instances WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? "instance " + id + " " + rs.getString(1) + ": " + rs.getString(2) : "instance " + id + " not found";
            }
        } catch (SQLException e) {
            return "cannot read instance " + id + ": " + e.getMessage();
        }
    }

    private static String dump(TestCluster db, String run) {
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("SELECT row_to_json(o)::text FROM skel_out o WHERE run = ?")) {
            s.setString(1, run);
            try (ResultSet rs = s.executeQuery()) {
                StringBuilder b = new StringBuilder();
                while (rs.next()) b.append(rs.getString(1)).append('\n');
                return b.toString();
            }
        } catch (SQLException e) {
            return e.getMessage();
        }
    }
}
