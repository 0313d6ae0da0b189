package dev.dfc.cli;

import static dev.dfc.cli.CliTesting.dfc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dfc dev on a checkout without a cluster (no server is started here; it/ tests the life cycle). */
class DevCommandTest {
    @TempDir
    Path checkout;

    private String previousRoot;

    @BeforeEach
    void fakeCheckout() throws IOException {
        Files.createDirectories(checkout.resolve("bgworker"));
        Files.createDirectories(checkout.resolve("runtime-sql"));
        previousRoot = System.getProperty("dfc.root");
        System.setProperty("dfc.root", checkout.toString());
    }

    @AfterEach
    void restoreRoot() throws IOException {
        if (previousRoot == null) System.clearProperty("dfc.root");
        else System.setProperty("dfc.root", previousRoot);
        Path link = checkout.resolve(".dfc/dev");
        if (Files.isSymbolicLink(link)) {
            Path target = Files.readSymbolicLink(link);
            if (Files.isDirectory(target) && target.getFileName().toString().startsWith("dfc-dev-")) Files.delete(target);
        }
    }

    @Test
    void statusOfANewCheckoutIsNotCreatedWithExit1() {
        CliTesting.Run run = dfc("dev", "status");

        assertEquals(ExitCode.FAILED, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("not created (dfc dev start creates it in "), run.out());
        assertTrue(Files.exists(checkout.resolve(".dfc/dev"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void stopWhenNothingRunsIsFine() {
        CliTesting.Run run = dfc("dev", "stop");

        assertEquals(ExitCode.OK, run.exitCode(), run.err());
        assertEquals("the dev cluster is not running\n", run.out());
    }

    @Test
    void psqlWithoutAClusterIsAUsageError() {
        CliTesting.Run run = dfc("dev", "psql", "-c", "SELECT 1");

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertEquals("dfc: error: the dev cluster is not running; start it with: dfc dev start\n", run.err());
    }

    @Test
    void startWithoutAWorkerMakefileSaysWhatIsMissing() {
        CliTesting.Run run = dfc("dev", "start");

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().startsWith("dfc: error: cannot build the worker: "), run.err());
        assertTrue(run.err().contains("bgworker/Makefile not found"), run.err());
        assertEquals("", run.out());
    }

    @Test
    void outsideACheckoutIsAUsageError() {
        System.setProperty("dfc.root", checkout.resolve("bgworker").toString());

        CliTesting.Run run = dfc("dev", "status");

        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().contains("is not a dfc checkout"), run.err());
    }
}
