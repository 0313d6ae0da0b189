package dev.dfc.it.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.cli.CliException;
import dev.dfc.cli.ExitCode;
import dev.dfc.cli.db.DbUrl;
import dev.dfc.cli.db.ScriptRunner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Scripts are applied the same way with psql and over JDBC (used when psql is missing):
 * statement by statement, the script's own transactions decide, VACUUM works, the first
 * error stops the script with exit code 1.
 */
@ClusterExtension.WithCluster
class ScriptRunnerTest {
    static Stream<Arguments> clients() {
        return Stream.of(
                Arguments.of("psql", dev.dfc.cli.dev.PgBinaries.findPsql()),
                Arguments.of("jdbc", Optional.<Path>empty()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void scriptTransactionsAndTopLevelStatementsBehaveAsUnderPsql(String client, Optional<Path> psql, TestCluster db) throws SQLException {
        String t = "runner_" + client;
        String script = "DROP TABLE IF EXISTS " + t + ";\n"
                + "CREATE TABLE " + t + " (x int, note text);\n"
                + "BEGIN;\n"
                + "INSERT INTO " + t + " VALUES (1, 'semicolon; inside');\n"
                + "DO $$ BEGIN INSERT INTO " + t + " VALUES (2, 'from a DO block;'); END $$;\n"
                + "COMMIT;\n"
                + "VACUUM " + t + ";\n";

        new ScriptRunner(new PrintWriter(new StringWriter()), psql).apply(DbUrl.parse(db.url()), script, "test script");

        assertEquals(2, count(db, t));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void firstErrorStopsTheScriptAndRollsBackItsTransaction(String client, Optional<Path> psql, TestCluster db) throws SQLException {
        String t = "runner_fail_" + client;
        String script = "DROP TABLE IF EXISTS " + t + ";\n"
                + "CREATE TABLE " + t + " (x int);\n"
                + "BEGIN;\n"
                + "INSERT INTO " + t + " VALUES (1);\n"
                + "SELECT 1/0;\n"
                + "INSERT INTO " + t + " VALUES (2);\n"
                + "COMMIT;\n";
        StringWriter messages = new StringWriter();

        CliException e = assertThrows(CliException.class,
                () -> new ScriptRunner(new PrintWriter(messages, true), psql).apply(DbUrl.parse(db.url()), script, "test script"));

        assertEquals(ExitCode.FAILED, e.exitCode());
        assertTrue(messages.toString().contains("division by zero"), messages.toString());
        assertEquals(0, count(db, t));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void unreachableServerIsAUsageError(String client, Optional<Path> psql, TestCluster db) {
        CliException e = assertThrows(CliException.class, () -> new ScriptRunner(new PrintWriter(new StringWriter()), psql)
                .apply(DbUrl.parse("postgresql://postgres@127.0.0.1:1/dfc"), "SELECT 1;", "test script"));

        assertEquals(ExitCode.USAGE, e.exitCode());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void missingRuntimeGetsAHint(String client, Optional<Path> psql, TestCluster db) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = 'runner_no_runtime'")) {
            if (!rs.next()) s.execute("CREATE DATABASE runner_no_runtime");
        }
        DbUrl noRuntime = DbUrl.parse(db.url().replaceFirst("/dfc$", "/runner_no_runtime"));

        CliException e = assertThrows(CliException.class, () -> new ScriptRunner(new PrintWriter(new StringWriter()), psql)
                .apply(noRuntime, "SELECT df._require_runtime('0.1');\n", "deploy of x.dfsql"));

        assertEquals(ExitCode.FAILED, e.exitCode());
        assertTrue(e.getMessage().contains("hint: the dfc runtime is not installed in this database; install it with: dfc runtime --install --db "),
                e.getMessage());
    }

    private static int count(TestCluster db, String table) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
