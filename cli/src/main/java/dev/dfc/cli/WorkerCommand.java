package dev.dfc.cli;

import dev.dfc.cli.db.DbUrl;
import dev.dfc.cli.worker.AddressPolicy;
import dev.dfc.cli.worker.Worker;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code dfc worker}: runs steps from outside the server (RUNTIME.md section 4). */
@Command(name = "worker",
        header = "Run workflow steps from outside the server, over a database connection.",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Examples:",
            "  dfc worker --db \"$URL\"",
            "  dfc worker --db \"$URL\" --workers 4 --http-allow-private",
            "",
            "Does the job of the in-server worker (bgworker/) for servers that cannot load it: each step thread claims a runnable step, runs it as its submitter and checkpoints it, one transaction per step; HTTP steps are called from here. Idle threads wake on df_wake notifications (LISTEN) or when a timer comes due. Runs until SIGTERM or SIGINT, letting running steps finish. Several dfc workers, and the in-server worker, may serve one database together.",
            "",
            "Connect as the role that installed the runtime, or a superuser (docs/operations.md, \"dfc worker\").",
            ""
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped by SIGTERM or SIGINT", "2:usage error, database unreachable, runtime missing or role not allowed", "3:internal error"})
final class WorkerCommand implements Callable<Integer> {
    @Option(names = "--db", required = true, paramLabel = "URL", description = "postgresql://user@host:port/database (or jdbc:postgresql://...).")
    String db;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "2", description = "Step threads, each with its own connection (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--http-allow-loopback", description = "Let HTTP steps reach loopback addresses (as dfc.http_allow_loopback does for the in-server worker).")
    boolean allowLoopback;

    @Option(names = "--http-allow-private", description = "Let HTTP steps reach private, link-local and other non-public addresses (as dfc.http_allow_private).")
    boolean allowPrivate;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if (workers < 1 || workers > 64) throw new ParameterException(spec.commandLine(), "--workers must be between 1 and 64");
        DbUrl url = DbUrl.parse(db);
        PrintWriter err = spec.commandLine().getErr();
        Worker.Stop stop = new Worker.Stop();
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM / SIGINT: let the running steps finish, then exit 0
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stop.request());
            } catch (IllegalArgumentException e) {
                // not available here: the shutdown hook below stops the worker (exit 143)
            }
        }
        // (any other way the JVM shuts down: at most a minute for the running steps)
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.request();
            try {
                stopped.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                // exiting anyway
            }
        }, "dfc-worker-stop"));
        try {
            new Worker(url, workers, new AddressPolicy(allowLoopback, allowPrivate), err, stop).run();
        } finally {
            err.println("dfc worker: stopped");
            err.flush();
            stopped.countDown();
        }
        return ExitCode.OK;
    }
}
