package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.cli.ExitCode;
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
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dfc check --db}: the server parses and plans each step, errors come back at the step's
 * position in the .dfsql file, and the check leaves nothing behind.
 */
@ClusterExtension.WithCluster
class CheckDbTest {
    /** Pass-through DDL the steps rely on; the check creates it inside its rolled-back transaction. */
    private static final String TABLES = """
            CREATE TABLE chkdb_orders (id serial PRIMARY KEY, customer text NOT NULL, total numeric, placed_at timestamptz);
            CREATE TABLE chkdb_audit (order_id int, note text, at timestamptz DEFAULT now());
            """;

    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {}

    private static Run dfc(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    private String file(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p.toString();
    }

    @Test
    void correctFileWithParametersAndEarlierResultsPassesAndLeavesNothingBehind(TestCluster db) throws Exception {
        String path = file("ok.dfsql", TABLES + """
                CREATE WORKFLOW chkdb_ok (customer text, since timestamptz, n int, ratio numeric, ids int[]) AS
                    'SELECT id, total, placed_at FROM chkdb_orders
                      WHERE customer = $customer AND placed_at > $since AND id = ANY($ids) LIMIT $n' |=> 'recent'
                    ~> 'SELECT count(*) AS c, max(recent.total) * $ratio AS top, min(recent.id) AS first_id FROM $recent.*
                         WHERE recent.placed_at < now() AND ''{"a": 1}''::jsonb ? ''a''' |=> 'stats'
                    ~> 'INSERT INTO chkdb_audit (order_id, note)
                        SELECT $recent.id, ''top '' || $stats.top FROM chkdb_orders
                         WHERE total > $stats.top AND $stats.c > 0
                        RETURNING order_id' |=> 'logged'
                    ~> (('SELECT $logged.order_id? IS NULL') ?> 'DELETE FROM chkdb_audit WHERE order_id = $logged' !> 'SELECT 1')
                    ~> 'SELECT repeat(''x'', $stats.c), $customer || $customer, $stats.c + 1 > $n'
                    ~> 'UPDATE chkdb_orders SET total = total + 1 WHERE id = $recent.id; SELECT 2';
                """);

        Run run = dfc("check", "--db", db.url(), path);

        assertEquals(ExitCode.OK, run.exitCode(), run.out() + run.err());
        assertEquals("", run.out());
        assertEquals("", run.err());
        assertFalse(tableExists(db, "chkdb_orders"), "the pass-through CREATE TABLE was rolled back");
        assertFalse(tableExists(db, "chkdb_audit"), "the pass-through CREATE TABLE was rolled back");
    }

    @Test
    void unknownColumnUnknownTableAndSyntaxErrorAreReportedAtTheStep(TestCluster db) throws Exception {
        String path = file("bad.dfsql", TABLES + """
                CREATE WORKFLOW chkdb_bad (n int) AS
                    'SELECT id, custmer FROM chkdb_orders WHERE id = $n'
                    ~> 'SELECT * FROM chkdb_nosuch'
                    ~> 'SELECT 1 FROM chkdb_orders WHRE id = 1';
                """);

        Run run = dfc("check", "--db", db.url(), path);

        assertEquals(ExitCode.FAILED, run.exitCode(), run.out() + run.err());
        List<String> firstLines = run.out().lines().filter(l -> l.startsWith(path)).toList();
        assertEquals(List.of(
                path + ":4:17: error[DF7001]: error from the server: column \"custmer\" does not exist",
                path + ":5:23: error[DF7001]: error from the server: relation \"chkdb_nosuch\" does not exist",
                path + ":6:41: error[DF7001]: error from the server: syntax error at or near \"id\""), firstLines, run.out());
        assertTrue(run.out().contains("""
                    4 |     'SELECT id, custmer FROM chkdb_orders WHERE id = $n'
                      |                 ^^^^^^^
                   hint: Perhaps you meant to reference the column "chkdb_orders.customer". (SQLSTATE 42703)
                """), run.out());
        assertTrue(run.out().contains("hint: SQLSTATE 42P01\n"), run.out());
        assertTrue(run.out().endsWith("3 errors\n"), run.out());
        assertFalse(tableExists(db, "chkdb_orders"));
    }

    @Test
    void errorPositionsMapThroughEscapesPlaceholdersAndWideCharacters(TestCluster db) throws Exception {
        String text = TABLES + """
                CREATE WORKFLOW chkdb_pos (label text) AS
                    'SELECT id, total FROM chkdb_orders' |=> 'o'
                    ~> 'SELECT ''é🎉'', $label || $o.total, $o.nope'
                    ~> E'SELECT \\'a\\\\b\\', $o.id +\\n nosuchcol'
                    ~> $$SELECT 'é🎉' FROM chkdb_orders WHERE missing_col$$
                    ~> 'SELECT 1 FROM chkdb_orders WHERE id = ';
                """;
        String path = file("pos.dfsql", text);
        List<String> lines = text.lines().toList();

        Run run = dfc("check", "--db", db.url(), path);

        assertEquals(ExitCode.FAILED, run.exitCode(), run.out() + run.err());
        List<String> firstLines = run.out().lines().filter(l -> l.startsWith(path)).toList();
        // columns count UTF-16 units of the source as written: the emoji is two, an escape is its spelling
        assertEquals(List.of(
                // $o.nope: the earlier step's columns are known (id, total), so this is found before the server
                path + ":5:" + (lines.get(4).indexOf("$o.nope") + 1) + ": error[DF7002]: the result 'o' has no column 'nope'",
                path + ":6:" + (lines.get(5).indexOf("nosuchcol") + 1) + ": error[DF7001]: error from the server: column \"nosuchcol\" does not exist",
                path + ":7:" + (lines.get(6).indexOf("missing_col") + 1) + ": error[DF7001]: error from the server: column \"missing_col\" does not exist",
                path + ":8:" + (lines.get(7).lastIndexOf('\'') + 1) + ": error[DF7001]: error from the server: syntax error at end of input"),
                firstLines, run.out());
        assertTrue(run.out().contains("hint: its columns are: id, total\n"), run.out());
    }

    @Test
    void jsonFormatCarriesTheServerErrors(TestCluster db) throws Exception {
        String path = file("json.dfsql", TABLES + "CREATE WORKFLOW chkdb_json () AS 'SELECT nope FROM chkdb_orders';\n");

        Run run = dfc("check", "--format=json", "--db", db.url(), path);

        assertEquals(ExitCode.FAILED, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("""
                      "line": 3,
                      "column": 42,
                      "endLine": 3,
                      "endColumn": 46,
                      "severity": "error",
                      "code": "DF7001",
                      "message": "error from the server: column \\"nope\\" does not exist",
                      "hint": "SQLSTATE 42703"
                """), run.out());
    }

    @Test
    void aResultBoundTwiceHasItsColumnsUnderBothNames(TestCluster db) throws Exception {
        String path = file("twice.dfsql", TABLES + """
                CREATE WORKFLOW chkdb_twice () AS
                    'SELECT id, total FROM chkdb_orders' |=> 'a' |=> 'b'
                    ~> 'SELECT $a.total + $b.total, $b.nope';
                """);

        Run run = dfc("check", "--db", db.url(), path);

        assertEquals(ExitCode.FAILED, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("error[DF7002]: the result 'b' has no column 'nope'"), run.out());
        assertTrue(run.out().endsWith("1 error\n"), run.out()); // $a.total and $b.total are fine
    }

    @Test
    void stepsAfterAFailingStepAndNonExplainableStatementsAreStillChecked(TestCluster db) throws Exception {
        String path = file("more.dfsql", TABLES + """
                CREATE WORKFLOW chkdb_more () AS
                    'CREATE TABLE chkdb_made (k int)'
                    ~> 'INSERT INTO chkdb_made VALUES (1)'
                    ~> 'TRUNCATE chkdb_made' ~> 'NOTIFY chkdb_channel'
                    ~> 'VACUUM chkdb_made WRONG';
                """);

        Run run = dfc("check", "--db", db.url(), path);

        assertEquals(ExitCode.FAILED, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().startsWith(path + ":7:27: error[DF7001]: error from the server: syntax error at or near \"WRONG\""), run.out());
        assertTrue(run.out().endsWith("1 error\n"), run.out());
        assertFalse(tableExists(db, "chkdb_made"), "a DDL step runs only inside the rolled-back transaction");
    }

    @Test
    void stepsArePlannedNotRunAndOnlyDdlPassThroughRuns(TestCluster db) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE SEQUENCE IF NOT EXISTS chkdb_seq");
            s.execute("SELECT setval('chkdb_seq', 41)");
        }
        // a sequence is not transactional: any nextval that ran would show after the rollback
        String path = file("norun.dfsql", """
                SELECT nextval('chkdb_seq');
                DO $$ BEGIN PERFORM nextval('chkdb_seq'); END $$;
                CREATE TABLE chkdb_norun (k bigint DEFAULT nextval('chkdb_seq'));
                CREATE WORKFLOW chkdb_norun () AS
                    'SELECT nextval(''chkdb_seq'') AS n' |=> 'a'
                    ~> 'INSERT INTO chkdb_norun (k) VALUES (nextval(''chkdb_seq'')), ($a) RETURNING k'
                    ~> 'WITH x AS (SELECT nextval(''chkdb_seq'')) SELECT * FROM x';
                """);

        Run run = dfc("check", "--db", db.url(), path);

        assertEquals(ExitCode.OK, run.exitCode(), run.out() + run.err());
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT last_value FROM chkdb_seq")) {
            rs.next();
            assertEquals(41, rs.getLong(1), "no nextval ran");
        }
        assertFalse(tableExists(db, "chkdb_norun"));
    }

    @Test
    void theExamplesPass(TestCluster db) {
        for (String example : List.of("examples/quickstart.dfsql", "examples/pg_durable_script.sql")) {
            Run run = dfc("check", "--db", db.url(), db.root().resolve(example).toString());

            assertEquals(ExitCode.OK, run.exitCode(), example + ":\n" + run.out() + run.err());
            assertEquals("", run.out(), example);
        }
    }

    @Test
    void readOnlyDatabaseStillChecksDdlStepsSyntax(TestCluster db) throws Exception {
        String url = db.url() + (db.url().contains("?") ? "&" : "?") + "options=-c%20default_transaction_read_only%3Don";
        String text = """
                CREATE TABLE chkdb_ro (k int);
                CREATE WORKFLOW chkdb_ro () AS
                    'CREATE TABLE chkdb_ro_step (k int)' ~> 'INSERT INTO chkdb_orders_nosuch VALUES (1)'
                    ~> 'CREATE TABLE chkdb_ro_bad (k int';
                """;
        String path = file("ro.dfsql", text);
        List<String> lines = text.lines().toList();

        Run run = dfc("check", "--db", url, path);

        assertEquals(ExitCode.FAILED, run.exitCode(), run.out() + run.err());
        List<String> firstLines = run.out().lines().filter(l -> l.startsWith(path)).toList();
        assertEquals(List.of(
                path + ":3:" + (lines.get(2).indexOf("chkdb_orders_nosuch") + 1) + ": error[DF7001]: error from the server: relation \"chkdb_orders_nosuch\" does not exist",
                path + ":4:" + (lines.get(3).lastIndexOf('\'') + 1) + ": error[DF7001]: error from the server: syntax error at end of input"),
                firstLines, run.out());
    }

    @Test
    void workflowWithStaticErrorsIsNotSentToTheServer(TestCluster db) throws Exception {
        String path = file("static.dfsql", """
                CREATE WORKFLOW chkdb_static () AS 'SELECT * FROM chkdb_nosuch WHERE x = $unbound';
                """);

        Run run = dfc("check", "--db", db.url(), path);

        assertEquals(ExitCode.FAILED, run.exitCode());
        assertTrue(run.out().contains("DF2001"), run.out());
        assertFalse(run.out().contains("DF7001"), run.out());
    }

    @Test
    void waitAndBreakResultsAreCheckedWithTheirColumns(TestCluster db) throws Exception {
        String path = file("waits.dfsql", TABLES + """
                CREATE WORKFLOW chkdb_waits () AS
                    df.wait_for_signal('approve') |=> 'decision'
                    ~> df.sleep(1) |=> 't'
                    ~> (@> ('SELECT 1' ~> df.break(7))) |=> 'b'
                    ~> 'INSERT INTO chkdb_audit (order_id, note)
                        SELECT $b + 1, ($decision.data ->> ''by'') || $decision || $t.seconds * 2
                          FROM $decision.*
                         WHERE $decision.timed_out IS NOT TRUE AND $t.slept AND decision.data ? ''by'''
                    ~> 'SELECT $decision.by';
                """);

        Run run = dfc("check", "--db", db.url(), path);

        // typed as the runtime binds them: no "operator is not unique: unknown ->> unknown" on data
        assertEquals(ExitCode.FAILED, run.exitCode(), run.out() + run.err());
        assertEquals(1, run.out().lines().filter(l -> l.contains("error[")).count(), run.out());
        assertTrue(run.out().contains(path + ":11:16: error[DF7002]: the result 'decision' has no column 'by'"), run.out());
        assertTrue(run.out().contains("its columns are: signal_name, timed_out, data"), run.out());
        assertFalse(run.err().contains("not checked"), run.err());
    }

    @Test
    void unknownRowSetOrVariableSkipsTheStepWithANote(TestCluster db) throws Exception {
        String path = file("skip.dfsql", """
                CREATE WORKFLOW chkdb_skip () AS
                    ('SELECT 1 AS a' & 'SELECT 2 AS b') |=> 'both'
                    ~> 'SELECT * FROM $both.*'
                    ~> 'SELECT * FROM {table_name}';
                """);

        Run run = dfc("check", "--db", db.url(), path);

        assertEquals(ExitCode.OK, run.exitCode(), run.out() + run.err());
        assertTrue(run.err().contains("dfc: note: " + path + ":3:8: step not checked against the database: the columns of $both.* are not known"), run.err());
        assertTrue(run.err().contains("dfc: note: " + path + ":4:8: step not checked against the database: it uses a {variable}"), run.err());
    }

    private static boolean tableExists(TestCluster db, String name) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT to_regclass('public." + name + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
