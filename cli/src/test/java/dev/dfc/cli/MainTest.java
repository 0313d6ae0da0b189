package dev.dfc.cli;

import static dev.dfc.cli.CliTesting.dfc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.cli.db.RuntimeScript;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
    @TempDir
    Path dir;

    @Test
    void versionComesFromTheBuild() {
        CliTesting.Run run = dfc("--version");

        assertEquals(ExitCode.OK, run.exitCode());
        assertTrue(run.out().matches("(?s)dfc \\d+\\.\\d+\\.\\d+.*"), run.out());
    }

    @Test
    void helpLeadsWithExamples() {
        CliTesting.Run run = dfc("compile", "--help");

        assertEquals(ExitCode.OK, run.exitCode());
        int examples = run.out().indexOf("Examples:");
        int options = run.out().indexOf("--output");
        assertTrue(examples > 0 && examples < options, run.out());
    }

    @Test
    void noCommandIsAUsageError() {
        CliTesting.Run run = dfc();

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().contains("missing command"), run.err());
    }

    @Test
    void unknownOptionIsAUsageError() {
        CliTesting.Run run = dfc("compile", "--frobnicate", "x.dfsql");

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().contains("Try 'dfc compile --help'"), run.err());
    }

    @Test
    void compileWritesTheScriptToOutputFile() throws IOException {
        Path src = dir.resolve("w.dfsql");
        Files.writeString(src, "CREATE WORKFLOW w () AS 'SELECT 1' |=> 'a' ~> 'SELECT $a + 1';\n", StandardCharsets.UTF_8);
        Path out = dir.resolve("w.sql");

        CliTesting.Run run = dfc("compile", src.toString(), "-o", out.toString());

        assertEquals(ExitCode.OK, run.exitCode(), run.err());
        assertEquals("", run.out());
        String sql = Files.readString(out);
        assertTrue(sql.contains("df._register_version"), sql);
        assertTrue(sql.contains("df_workflows.\"w@"), sql);
    }

    @Test
    void compileWritesDiagnosticsInTheFormatAsked() throws IOException {
        Path src = dir.resolve("bad.dfsql");
        Files.writeString(src, "CREATE WORKFLOW w AS df.sleep(0);\n", StandardCharsets.UTF_8);

        CliTesting.Run run = dfc("compile", "--format=json", src.toString());

        assertEquals(ExitCode.FAILED, run.exitCode(), run.err());
        assertEquals("", run.out());
        assertTrue(run.err().contains("\"code\": \"DF5002\""), run.err());
        assertTrue(run.err().contains("\"errors\": 1"), run.err());
    }

    @Test
    void compileWithErrorsWritesNothing() throws IOException {
        Path src = dir.resolve("bad.dfsql");
        Files.writeString(src, "CREATE WORKFLOW w () AS 'SELECT $nope';\n", StandardCharsets.UTF_8);
        Path out = dir.resolve("bad.sql");

        CliTesting.Run run = dfc("compile", src.toString(), "-o", out.toString());

        assertEquals(ExitCode.FAILED, run.exitCode());
        assertTrue(run.err().startsWith(src + ":1:"), run.err());
        assertFalse(Files.exists(out));
        assertEquals("", run.out());
    }

    @Test
    void compileToStdoutIsDeterministic() throws IOException {
        Path src = dir.resolve("w.dfsql");
        Files.writeString(src, "CREATE WORKFLOW w () AS 'SELECT 1' |=> 'a' ~> 'SELECT $a + 1';\n", StandardCharsets.UTF_8);

        CliTesting.Run first = dfc("compile", src.toString());
        CliTesting.Run second = dfc("compile", src.toString());

        assertEquals(ExitCode.OK, first.exitCode(), first.err());
        assertEquals(first.out(), second.out());
    }

    @Test
    void compileRefusesMalformedUtf8() throws IOException {
        Path src = dir.resolve("latin1.dfsql");
        Files.write(src, "CREATE WORKFLOW w () AS 'SELECT ''caf\u00e9''';\n".getBytes(StandardCharsets.ISO_8859_1));

        CliTesting.Run run = dfc("compile", src.toString());

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertEquals("dfc: error: " + src + ": not valid UTF-8 at line 1 (byte offset 37)\n", run.err());
        assertEquals("", run.out());
    }

    @Test
    void compileToAMissingDirectoryIsAnIoError() throws IOException {
        Path src = dir.resolve("w.dfsql");
        Files.writeString(src, "CREATE WORKFLOW w () AS 'SELECT 1';\n", StandardCharsets.UTF_8);

        CliTesting.Run run = dfc("compile", src.toString(), "-o", dir.resolve("no/such/dir/w.sql").toString());

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().contains("cannot write"), run.err());
    }

    @Test
    void runtimePrintIsTheBundledScript() {
        CliTesting.Run run = dfc("runtime", "--print");

        assertEquals(ExitCode.OK, run.exitCode());
        assertEquals(RuntimeScript.text(), run.out());
        assertTrue(run.out().contains("CREATE SCHEMA IF NOT EXISTS df"), "runtime script looks wrong");
    }

    @Test
    void runtimeInstallNeedsDb() {
        CliTesting.Run run = dfc("runtime", "--install");

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().contains("--db"), run.err());
    }

    @Test
    void unreachableDatabaseIsExit2WithOneLine() {
        CliTesting.Run run = dfc("start", "w", "--db", "postgresql://nobody@127.0.0.1:1/none");

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().startsWith("dfc: error: cannot connect to postgresql://nobody@127.0.0.1:1/none"), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
    }

    @Test
    void badDatabaseUrlIsAUsageError() {
        CliTesting.Run run = dfc("start", "w", "--db", "mysql://x/y");

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().contains("not a PostgreSQL URL"), run.err());
    }

    @Test
    void timeoutWithoutWaitIsAUsageError() {
        CliTesting.Run run = dfc("start", "w", "--db", "postgresql://x@127.0.0.1:1/y", "--timeout", "5");

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().contains("--timeout needs --wait"), run.err());
    }
}
