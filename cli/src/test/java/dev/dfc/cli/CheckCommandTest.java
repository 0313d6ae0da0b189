package dev.dfc.cli;

import static dev.dfc.cli.CliTesting.dfc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckCommandTest {
    @TempDir
    Path dir;

    private String file(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p.toString();
    }

    @Test
    void syntaxErrorIsReportedWithPositionAndCodeAndExit1() throws IOException {
        String path = file("broken.dfsql", "CREATE WORKFLOW w () AS\n    'SELECT 1' ~> ~> 'SELECT 2';\n");

        CliTesting.Run run = dfc("check", path);

        assertEquals(ExitCode.FAILED, run.exitCode(), run.err());
        String first = run.out().lines().findFirst().orElse("");
        assertTrue(first.matches("\\Q" + path + "\\E:2:19: error\\[DF1\\d{3}]: .+"), "first line: " + first);
        assertTrue(run.out().contains("    2 |     'SELECT 1' ~> ~> 'SELECT 2';"), run.out());
        assertTrue(run.out().contains("^^"), run.out());
        assertNoStackTrace(run);
    }

    @Test
    void pathIsPrintedAsGivenOnTheCommandLine() throws IOException {
        file("rel.dfsql", "CREATE WORKFLOW w () AS 'SELECT 1' ~>;\n");
        String relative = Path.of("").toAbsolutePath().relativize(dir.resolve("rel.dfsql")).toString();

        CliTesting.Run run = dfc("check", relative);

        assertEquals(ExitCode.FAILED, run.exitCode());
        assertTrue(run.out().startsWith(relative + ":1:"), run.out());
    }

    @Test
    void cleanFileExits0WithNoOutput() throws IOException {
        String path = file("ok.dfsql", "CREATE WORKFLOW w () AS 'SELECT 1' |=> 'a' ~> 'SELECT $a';\n");

        CliTesting.Run run = dfc("check", path);

        assertEquals(ExitCode.OK, run.exitCode(), run.out() + run.err());
        assertEquals("", run.out());
        assertEquals("", run.err());
    }

    @Test
    void missingFileIsOneLineAndExit2() {
        CliTesting.Run run = dfc("check", dir.resolve("nope.dfsql").toString());

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().contains("nope.dfsql: no such file"), run.err());
        assertNoStackTrace(run);
    }

    @Test
    void directoryIsAnIoError() {
        CliTesting.Run run = dfc("check", dir.toString());

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().contains("is a directory"), run.err());
    }

    @Test
    void malformedUtf8IsAWarningForCheck() throws IOException {
        Path p = dir.resolve("latin1.dfsql");
        Files.write(p, new byte[] {'-', '-', ' ', 'c', 'a', 'f', (byte) 0xe9, '\n', 'S', 'E', 'L', 'E', 'C', 'T', ' ', '1', ';', '\n'});

        CliTesting.Run run = dfc("check", p.toString());
        CliTesting.Run strict = dfc("check", "--warnings-as-errors", p.toString());

        assertEquals(ExitCode.OK, run.exitCode(), run.err());
        assertEquals("dfc: warning: " + p + ": not valid UTF-8 at line 1 (byte offset 6); read malformed bytes as U+FFFD\n", run.err());
        assertEquals(ExitCode.FAILED, strict.exitCode());
        assertNoStackTrace(run);
    }

    @Test
    void malformedUtf8StillGetsTheOtherDiagnostics() throws IOException {
        Path p = dir.resolve("mixed.dfsql");
        Files.write(p, ("CREATE WORKFLOW w () AS 'SELECT \u00ff' ~> ~> 'x';\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));

        CliTesting.Run run = dfc("check", p.toString());

        assertEquals(ExitCode.FAILED, run.exitCode());
        assertTrue(run.err().contains("not valid UTF-8"), run.err());
        assertTrue(run.out().startsWith(p + ":1:"), run.out());
    }

    @Test
    void unknownFormatIsAUsageError() throws IOException {
        String path = file("ok.dfsql", "SELECT 1;\n");

        CliTesting.Run run = dfc("check", "--format", "yaml", path);

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().contains("--format"), run.err());
        assertTrue(run.err().contains("text, json, sarif, github"), run.err());
    }

    @Test
    void unreachableDatabaseIsOneLineAndExit2() throws IOException {
        String path = file("ok.dfsql", "CREATE WORKFLOW w () AS 'SELECT 1';\n");

        CliTesting.Run run = dfc("check", "--db", "postgresql://nobody:secret@127.0.0.1:1/nodb", path);

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().startsWith("dfc: error: cannot connect to postgresql://nobody:***@127.0.0.1:1/nodb: "), run.err());
        assertEquals("", run.out());
        assertNoStackTrace(run);
    }

    @Test
    void badDatabaseUrlIsAUsageErrorBeforeAnyCheck() throws IOException {
        CliTesting.Run run = dfc("check", "--db", "mysql://x/y", file("broken.dfsql", "CREATE WORKFLOW w () AS ;\n"));

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().contains("not a PostgreSQL URL"), run.err());
        assertEquals("", run.out());
    }

    @Test
    void stacktraceOptionIsAcceptedAndStillNoTraceForUserErrors() {
        CliTesting.Run run = dfc("check", "--stacktrace", dir.resolve("nope.dfsql").toString());

        assertEquals(ExitCode.USAGE, run.exitCode());
        // a user error with --stacktrace shows where it was raised, for bug reports
        assertTrue(run.err().contains("CliException"), run.err());
    }

    @Test
    void colorAlwaysOnlyAddsEscapesToThePlainText() throws IOException {
        String path = file("broken.dfsql", "CREATE WORKFLOW w () AS 'SELECT 1' ~> ~> 'SELECT 2';\n");

        CliTesting.Run plain = dfc("check", "--color", "never", path);
        CliTesting.Run colored = dfc("check", "--color", "always", path);

        assertEquals(ExitCode.FAILED, colored.exitCode());
        assertFalse(plain.out().contains("\u001b["), plain.out());
        assertTrue(colored.out().contains("\u001b[1;31merror[DF1"), colored.out());
        assertEquals(plain.out(), colored.out().replaceAll("\u001b\\[[0-9;]*m", ""));
    }

    private static void assertNoStackTrace(CliTesting.Run run) {
        assertFalse(run.err().contains("\tat "), run.err());
        assertFalse(run.out().contains("\tat "), run.out());
        assertFalse(run.err().contains("Exception"), run.err());
    }

    @Test
    void plainCheckWithoutPicocliReportsExactlyAsPicocliDoes() throws IOException {
        // `check FILE...` runs without picocli (Main.plainCheck); `check -- FILE...` goes through it
        String broken = file("p_broken.dfsql", "CREATE WORKFLOW w () AS\n    'SELECT 1' ~> ~> 'SELECT 2';\n");
        String clean = file("p_ok.dfsql", "CREATE WORKFLOW v () AS 'SELECT 1' |=> 'a' ~> 'SELECT $a';\n");
        String twice = file("p_twice.dfsql", "CREATE WORKFLOW v () AS 'SELECT 1';\n");
        Path bad = dir.resolve("p_bad.dfsql");
        Files.write(bad, "CREATE WORKFLOW u () AS 'SELECT \u00e9 1' ~>;\n".replace('\u00e9', '\u0001').getBytes(StandardCharsets.UTF_8));
        byte[] bytes = Files.readAllBytes(bad);
        bytes[bytes.length - 10] = (byte) 0xff;
        Files.write(bad, bytes);
        String missing = dir.resolve("p_missing.dfsql").toString();
        String[][] cases = {
            {clean}, {broken}, {bad.toString()}, {clean, twice, broken}, {broken, missing}, {bad.toString(), dir.toString()},
        };
        for (String[] files : cases) {
            String[] plain = new String[files.length + 1];
            String[] picocli = new String[files.length + 2];
            plain[0] = picocli[0] = "check";
            picocli[1] = "--";
            System.arraycopy(files, 0, plain, 1, files.length);
            System.arraycopy(files, 0, picocli, 2, files.length);
            assertEquals(dfc(picocli), dfc(plain), String.join(" ", files));
        }
        assertEquals(ExitCode.FAILED, dfc("check", clean, twice).exitCode());
        assertTrue(dfc("check", bad.toString()).err().contains("not valid UTF-8"));
    }
}
