package dev.dfc.it.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.cli.ExitCode;
import dev.dfc.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The database-facing commands (deploy, start, runtime) run in-process against the test cluster. */
@ClusterExtension.WithCluster
class CliAgainstClusterTest {
    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {}

    private static Run dfc(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    private static void deploy(TestCluster db, String file) {
        Run run = dfc("deploy", file, "--db", db.url());
        assertEquals(ExitCode.OK, run.exitCode(), () -> "deploy failed:\n" + run.err());
    }

    private String file(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p.toString();
    }

    @Test
    void failedInstanceIsExit1WithItsErrorAndLine(TestCluster db) throws IOException {
        String f = file("cli_fail.dfsql", "CREATE WORKFLOW cli_fail () AS\n    'SELECT 1 AS one' |=> 'a'\n    ~> 'SELECT $a / 0';\n");
        deploy(db, f);

        Run run = dfc("start", "cli_fail", "--db", db.url(), "--wait");

        assertEquals(ExitCode.FAILED, run.exitCode(), run.err());
        assertEquals("failed\n", run.out());
        assertTrue(run.err().matches("dfc: error: instance [0-9a-f]{8} failed: division by zero \\(SQLSTATE 22012\\) in the step at line 3, column \\d+\n"),
                run.err());
    }

    @Test
    void cancelledInstanceIsExit1WithTheCancelsReason(TestCluster db) throws Exception {
        String f = file("cli_cancelled.dfsql", "CREATE WORKFLOW cli_cancelled () AS df.wait_for_signal('never');\n");
        deploy(db, f);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Run> waiting = pool.submit(() -> dfc("start", "cli_cancelled", "--db", db.url(), "--wait", "--timeout", "60"));
            String id = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                while (id == null) {
                    assertTrue(System.nanoTime() < deadline, "the instance was never started");
                    try (ResultSet rs = s.executeQuery("SELECT id FROM df.instances WHERE workflow = 'cli_cancelled' AND status IN ('pending', 'running')")) {
                        if (rs.next()) id = rs.getString(1);
                    }
                    if (id == null) Thread.sleep(20);
                }
                s.execute("SELECT df.cancel('" + id + "', 'stop it')");
            }
            Run run = waiting.get(60, TimeUnit.SECONDS);
            assertEquals(ExitCode.FAILED, run.exitCode(), run.err());
            assertEquals("cancelled\n", run.out());
            assertEquals("dfc: error: instance " + id + " cancelled: cancelled (stop it)\n", run.err());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void startWithoutWaitPrintsTheId(TestCluster db) throws IOException, SQLException {
        String f = file("cli_id.dfsql", "CREATE WORKFLOW cli_id (n int) AS 'SELECT $n + 1 AS next';\n");
        deploy(db, f);

        Run run = dfc("start", "cli_id", "--db", db.url(), "--args", "{\"n\": 41}", "--label", "from-the-cli");

        assertEquals(ExitCode.OK, run.exitCode(), run.err());
        String id = run.out().strip();
        assertTrue(id.matches("[0-9a-f]{8}"), run.out());
        assertEquals("completed", db.awaitInstance(id));
        assertTrue(db.result(id).replace(" ", "").contains("\"next\":42"), db.result(id));
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT label FROM df.instances WHERE id = '" + id + "'")) {
            rs.next();
            assertEquals("from-the-cli", rs.getString(1));
        }
    }

    @Test
    void unknownWorkflowIsExit1WithTheServersMessage(TestCluster db) {
        Run run = dfc("start", "cli_no_such_workflow", "--db", db.url());

        assertEquals(ExitCode.FAILED, run.exitCode());
        assertTrue(run.err().startsWith("dfc: error: cannot start workflow cli_no_such_workflow: "), run.err());
        assertTrue(run.err().contains("cli_no_such_workflow"), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
    }

    @Test
    void waitGivesUpAtTheTimeout(TestCluster db) throws IOException {
        String f = file("cli_slow.dfsql", "CREATE WORKFLOW cli_slow () AS 'SELECT pg_sleep(3)';\n");
        deploy(db, f);
        long started = System.nanoTime();

        Run run = dfc("start", "cli_slow", "--db", db.url(), "--wait", "--timeout", "1");

        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        assertEquals(ExitCode.FAILED, run.exitCode(), run.err());
        assertTrue(run.out().equals("running\n") || run.out().equals("pending\n"), run.out());
        assertTrue(run.err().contains("after 1 s"), run.err());
        assertTrue(seconds < 3, "waited " + seconds + " s, not about 1");
    }

    @Test
    void deployWithCompileErrorsAppliesNothing(TestCluster db) throws IOException, SQLException {
        String f = file("cli_broken.dfsql", "CREATE TABLE cli_never (x int);\nCREATE WORKFLOW cli_broken () AS 'SELECT $nope';\n");

        Run run = dfc("deploy", f, "--db", db.url());

        assertEquals(ExitCode.FAILED, run.exitCode());
        assertTrue(run.err().startsWith(f + ":2:"), run.err());
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT to_regclass('cli_never') IS NULL")) {
            rs.next();
            assertTrue(rs.getBoolean(1), "nothing of a file with errors is applied");
        }
    }

    @Test
    void runtimeInstallCreatesTheRuntimeInAnotherDatabase(TestCluster db) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS cli_runtime");
            s.execute("CREATE DATABASE cli_runtime");
        }
        String url = db.url().replaceFirst("/dfc$", "/cli_runtime");

        Run first = dfc("runtime", "--install", "--db", url);
        Run again = dfc("runtime", "--install", "--db", url);

        assertEquals(ExitCode.OK, first.exitCode(), first.err());
        assertEquals("installed the dfc runtime into " + url + "\n", first.out());
        assertEquals(ExitCode.OK, again.exitCode(), "the runtime script is re-runnable: " + again.err());
    }
}
