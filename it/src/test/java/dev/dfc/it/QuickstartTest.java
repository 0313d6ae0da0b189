package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dfc.cli.Main;
import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's quickstart: examples/quickstart.dfsql compiles, deploys, runs and completes with the documented result. */
@ClusterExtension.WithCluster
class QuickstartTest {
    @Test
    void quickstartCompletesWithTheDocumentedResult(TestCluster db) throws Exception {
        db.deployFile("examples/quickstart.dfsql");
        String name = "Ada " + System.nanoTime();

        String id = db.start("quickstart", "{\"name\": \"" + name + "\"}");

        assertEquals("completed", db.awaitInstance(id));
        assertEquals(List.of("Hello, " + name + "!", "1", "1"), summary(db, db.result(id)));
    }

    @Test
    void quickstartThroughTheCli(TestCluster db) throws SQLException {
        String file = db.root().resolve("examples/quickstart.dfsql").toString();
        String name = "Grace " + System.nanoTime();

        Run deploy = dfc("deploy", file, "--db", db.url());
        assertEquals(0, deploy.exitCode(), deploy.err());
        Run start = dfc("start", "quickstart", "--db", db.url(), "--args", "{\"name\": \"" + name + "\"}", "--wait", "--timeout", "30");

        assertEquals(0, start.exitCode(), start.err());
        List<String> lines = start.out().lines().toList();
        assertEquals(2, lines.size(), start.out());
        assertEquals("completed", lines.get(0));
        assertEquals(List.of("Hello, " + name + "!", "1", "1"), summary(db, lines.get(1)));
    }

    /** message, times_greeted and row_count of a quickstart result, read by the server's JSON functions. */
    private static List<String> summary(TestCluster db, String resultJson) throws SQLException {
        try (Connection c = db.connect();
             PreparedStatement s = c.prepareStatement(
                     "SELECT r->'rows'->0->>'message', r->'rows'->0->>'times_greeted', r->>'row_count' FROM (SELECT ?::jsonb AS r) j")) {
            s.setString(1, resultJson);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return List.of(String.valueOf(rs.getString(1)), String.valueOf(rs.getString(2)), String.valueOf(rs.getString(3)));
            }
        }
    }

    private record Run(int exitCode, String out, String err) {}

    private static Run dfc(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }
}
