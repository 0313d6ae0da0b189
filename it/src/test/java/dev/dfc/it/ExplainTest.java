package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.cli.ExitCode;
import dev.dfc.cli.Main;
import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dfc explain}: offline, the tree of each workflow in a file is, line for line, what the
 * server's df.explain('workflow') prints once the file is deployed (the compiler renders it in
 * Java, the runtime in SQL: this keeps the two the same); with --db, df.explain of an instance.
 */
@ClusterExtension.WithCluster
class ExplainTest {
    /** Every node kind and layout: sequence, if with and without else and with a composite condition,
     *  join, race, loops, retry, timeout, undo, call, waits, HTTP, binds, long and multi-line text. */
    static final String FLOWS = """
            CREATE WORKFLOW explain_child (n int DEFAULT 1) AS 'SELECT $n AS n';
            CREATE WORKFLOW explain_all (k int DEFAULT 2) AS
                'SELECT $k AS k,
                        ''a long line of SQL that goes on and on, well past sixty characters'' AS t' |=> 'a' |=> 'b'
                ~> ('SELECT $a > 1' ?> 'SELECT 1 AS x' !> 'SELECT 2 AS x') |=> 'x'
                ~> ('SELECT false' ?> 'SELECT ''no else''')
                ~> (('SELECT 3 AS c' |=> 'c') ?> 'SELECT $c AS c3')
                ~> ('SELECT 4 AS j' & 'SELECT 5 AS j' & df.sleep(0.01)) |=> 'joined'
                ~> (df.wait_for_signal('go', 1) | df.sleep(0.01) | df.wait_for_schedule('*/5 * * * *'))
                ~> df.loop('SELECT 6 AS l' ~> df.if('SELECT true', df.break('done')))
                ~> df.loop('SELECT 7 AS m', 'SELECT false')
                ~> df.retry('SELECT 8 AS r', 3, backoff => '10ms')
                ~> df.timeout('SELECT 9 AS t', 5)
                ~> ('SELECT 10 AS u' <-> 'SELECT ''undo'' AS u')
                ~> df.call('explain_child', '{"n": 3}') |=> 'called'
                ~> df.http('http://127.0.0.1:9/x/é', 'GET') |=> 'h'
                ~> df.loop('SELECT 12 AS z' |=> 'z', 'SELECT 1 AS one' |=> 'o' ~> 'SELECT false') |=> 'looped'
                ~> @> ('SELECT 11' ~> df.break());
            """;

    @TempDir
    Path dir;

    @Test
    void offlineTreesAreWhatTheServerPrints(TestCluster db) throws Exception {
        Path file = dir.resolve("explain.dfsql");
        Files.writeString(file, FLOWS, StandardCharsets.UTF_8);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(ExitCode.OK, Main.run(new String[] {"explain", file.toString()}, new PrintWriter(out), new PrintWriter(err)), err::toString);
        db.deploy("explain.dfsql", FLOWS);

        List<String> offline = List.of(out.toString().split("\n\n"));
        assertEquals(2, offline.size(), out::toString);
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("SELECT df.explain(?)")) {
            for (String tree : offline) {
                Matcher m = Pattern.compile("^(\\S+) \\(version").matcher(tree);
                assertTrue(m.find(), tree);
                s.setString(1, m.group(1));
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    assertEquals(r.getString(1), tree.strip(), "dfc explain and df.explain('" + m.group(1) + "') differ");
                }
            }
        }
        assertTrue(offline.get(1).contains("|=> a |=> b") && offline.get(1).contains("║ branch 3:") && offline.get(1).contains("↩ undo:"),
                offline.get(1));
    }

    @Test
    void withDbItPrintsTheServersTreeOfAnInstance(TestCluster db) throws Exception {
        db.deploy("explain-one.dfsql", "CREATE WORKFLOW explain_one AS 'SELECT 1 AS one' ~> 'SELECT 2 AS two';");
        String id = db.start("explain_one", "{}");
        assertEquals("completed", db.awaitInstance(id));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(ExitCode.OK, Main.run(new String[] {"explain", "--db", db.url(), id}, new PrintWriter(out), new PrintWriter(err)), err::toString);
        assertEquals("explain_one (version " + version(db, "explain_one") + "), instance " + id + ": completed\n"
                + "  1   ✓ Completed SQL           SELECT 1 AS one (line 1)\n"
                + "  2   → ✓ Completed SQL           SELECT 2 AS two (line 1)\n", out.toString());

        StringWriter none = new StringWriter();
        StringWriter noneErr = new StringWriter();
        assertEquals(ExitCode.FAILED, Main.run(new String[] {"explain", "--db", db.url(), "explain_no_such"}, new PrintWriter(none), new PrintWriter(noneErr)));
        assertTrue(noneErr.toString().contains("no instance or workflow \"explain_no_such\""), noneErr::toString);
    }

    private static String version(TestCluster db, String workflow) throws Exception {
        List<String> versions = new ArrayList<>();
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("SELECT version FROM df._versions WHERE workflow = ? ORDER BY seq DESC LIMIT 1")) {
            s.setString(1, workflow);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) versions.add(r.getString(1));
            }
        }
        return versions.get(0);
    }
}
