package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every scenario of {@code test-corpus/run/} end to end on the shared cluster with the C
 * worker: the scenario's {@code .dfsql} is compiled and applied, then its {@code .check.sql}
 * (after {@code _prelude.sql}) is run with psql; any failed expectation or error fails the test.
 * See test-corpus/run/README.md.
 */
@ClusterExtension.WithCluster
class ScenarioTest {
    @TestFactory
    Stream<DynamicTest> scenarios(TestCluster db) throws IOException {
        Path dir = db.root().resolve("test-corpus/run");
        List<Path> workflows;
        try (Stream<Path> files = Files.list(dir)) {
            workflows = files.filter(f -> f.getFileName().toString().endsWith(".dfsql")).sorted().toList();
        }
        assertFalse(workflows.isEmpty(), "no scenarios in " + dir);
        return workflows.stream().map(wf -> DynamicTest.dynamicTest(name(wf), () -> run(db, dir, wf)));
    }

    private static void run(TestCluster db, Path dir, Path workflow) throws Exception {
        Path check = dir.resolve(name(workflow) + ".check.sql");
        assertTrue(Files.isRegularFile(check), "scenario " + workflow.getFileName() + " has no " + check.getFileName());
        db.deploy("run/" + workflow.getFileName(), Files.readString(workflow, StandardCharsets.UTF_8));

        ProcessBuilder pb = new ProcessBuilder(psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.url(),
                "-f", dir.resolve("_prelude.sql").toString(), "-f", check.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "scenario " + name(workflow) + " did not finish");
        assertEquals(0, p.exitValue(), "scenario " + name(workflow) + " failed:\n" + output);
    }

    private static String name(Path workflow) {
        String f = workflow.getFileName().toString();
        return f.substring(0, f.length() - ".dfsql".length());
    }

    private static String psql() {
        for (String dir : new String[] {"/usr/lib/postgresql/15/bin", "/usr/bin"}) {
            if (Files.isExecutable(Path.of(dir, "psql"))) return dir + "/psql";
        }
        return "psql";
    }
}
