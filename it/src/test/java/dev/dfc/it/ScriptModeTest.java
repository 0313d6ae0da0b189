package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.cli.Main;
import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Script mode end to end: a pg_durable-style script (examples/pg_durable_script.sql) whose
 * df.start calls carry inline workflow expressions is compiled with {@code dfc compile} and run
 * with {@code psql -v ON_ERROR_STOP=1 -f} without edits; its own DO blocks wait for the instances
 * and raise on a wrong result, so psql's exit status is the verdict.
 */
@ClusterExtension.WithCluster
class ScriptModeTest {
    private static final String EXAMPLE = "examples/pg_durable_script.sql";

    @Test
    void pgDurableScriptCompilesAndRunsUnderPsqlTwice(TestCluster db, @TempDir Path tmp) throws Exception {
        Path out = compile(db.root().resolve(EXAMPLE), tmp.resolve("out.sql"));
        String sql = Files.readString(out, StandardCharsets.UTF_8);
        assertTrue(sql.contains("SELECT df.start('anon_"), sql);
        assertFalse(sql.contains("df.start('SELECT"), "an inline expression was left in the script:\n" + sql);

        Psql first = psql(db, out);
        assertEquals(0, first.exitCode(), "the compiled script failed:\n" + first.output());
        Psql again = psql(db, out);
        assertEquals(0, again.exitCode(), "re-running the compiled script failed:\n" + again.output());
    }

    @Test
    void theScriptsChecksFailOnAWrongResult(TestCluster db, @TempDir Path tmp) throws Exception {
        String wrong = Files.readString(db.root().resolve(EXAMPLE), StandardCharsets.UTF_8)
                .replace("'{rows,0,answer}', '42');", "'{rows,0,answer}', '43');");
        Path src = tmp.resolve("wrong.sql");
        Files.writeString(src, wrong, StandardCharsets.UTF_8);

        Psql run = psql(db, compile(src, tmp.resolve("wrong_out.sql")));

        assertNotEquals(0, run.exitCode(), "a wrong expectation must stop the script:\n" + run.output());
        assertTrue(run.output().contains("sm-answer: expected 43"), run.output());
    }

    private static Path compile(Path src, Path out) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.run(new String[] {"compile", src.toString(), "-o", out.toString()}, new PrintWriter(o), new PrintWriter(e));
        assertEquals(0, code, "dfc compile failed:\n" + e);
        return out;
    }

    private record Psql(int exitCode, String output) {}

    /** psql -v ON_ERROR_STOP=1 -f FILE, as a user runs the script. */
    private static Psql psql(TestCluster db, Path file) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(psqlBinary(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.url(), "-f", file.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "psql did not finish");
        return new Psql(p.exitValue(), output);
    }

    private static String psqlBinary() {
        for (String dir : new String[] {"/usr/lib/postgresql/15/bin", "/usr/bin"}) {
            if (Files.isExecutable(Path.of(dir, "psql"))) return dir + "/psql";
        }
        return "psql";
    }
}
