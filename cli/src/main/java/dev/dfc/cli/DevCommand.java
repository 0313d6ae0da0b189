package dev.dfc.cli;

import dev.dfc.cli.dev.Checkout;
import dev.dfc.cli.dev.DevCluster;
import dev.dfc.cli.dev.PgBinaries;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dfc dev}: a throwaway local PostgreSQL 15 with the worker and runtime, kept in .dfc/dev. */
@Command(name = "dev",
        header = "Run a local PostgreSQL with the worker and runtime, for trying things.",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        synopsisSubcommandLabel = "COMMAND",
        description = {
            "Examples:",
            "  URL=$(dfc dev start)",
            "  dfc dev psql -c 'SELECT * FROM df.instances'",
            "  dfc dev status",
            "  dfc dev stop",
            "",
            "A local PostgreSQL 15 cluster for trying workflows: the worker built from bgworker/ and loaded, database dfc with the runtime installed, trust authentication on 127.0.0.1. It lives in .dfc/dev of the checkout (as root: a symlink to /tmp/dfc-dev-*, owned by the postgres OS user, which runs the server). Not for production.",
            ""
        },
        subcommands = {
            DevCommand.Start.class,
            DevCommand.Stop.class,
            DevCommand.Status.class,
            DevCommand.Psql.class,
            DevCommand.Destroy.class
        })
final class DevCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing command: start, stop, status, psql or destroy");
    }

    DevCluster cluster(PrintWriter progress) {
        Path root = Checkout.root();
        return new DevCluster(Checkout.devClusterDir(root), root, DevCluster.Options.defaults(), line -> {
            progress.println(line);
            progress.flush();
        });
    }

    @Command(name = "start", header = "Create and start the dev cluster, or reuse the running one; prints its URL.", mixinStandardHelpOptions = true,
            description = {
                "Examples:",
                "  URL=$(dfc dev start)",
                "",
                "Creates (first time) and starts the dev cluster, or reuses the running one. Progress goes to stderr; the connection URL is the last line, alone on stdout.",
                ""
            })
    static final class Start implements Callable<Integer> {
        @ParentCommand
        DevCommand parent;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            String url = parent.cluster(spec.commandLine().getErr()).start();
            spec.commandLine().getOut().println(url);
            return ExitCode.OK;
        }
    }

    @Command(name = "stop", header = "Stop the dev cluster.", mixinStandardHelpOptions = true, description = {"Stops the dev cluster (fast shutdown: sessions are disconnected)."})
    static final class Stop implements Callable<Integer> {
        @ParentCommand
        DevCommand parent;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            boolean stopped = parent.cluster(spec.commandLine().getErr()).stop();
            spec.commandLine().getOut().println(stopped ? "stopped the dev cluster" : "the dev cluster is not running");
            return ExitCode.OK;
        }
    }

    @Command(name = "status", header = "Show whether the dev cluster runs, and its URL.", mixinStandardHelpOptions = true,
            description = {"Says whether the dev cluster runs, where it lives, and (last line) its URL."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:running", "1:stopped or not created", "2:usage or I/O error"})
    static final class Status implements Callable<Integer> {
        @ParentCommand
        DevCommand parent;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            DevCluster cluster = parent.cluster(spec.commandLine().getErr());
            DevCluster.State state = cluster.state();
            switch (state) {
                case NOT_CREATED -> {
                    out.println("not created (dfc dev start creates it in " + cluster.dir() + ")");
                    return ExitCode.FAILED;
                }
                case STOPPED -> {
                    out.println("stopped");
                    out.println("data directory: " + cluster.dataDir());
                    return ExitCode.FAILED;
                }
                default -> {
                    out.println("running" + cluster.serverPid().map(pid -> " (pid " + pid + ")").orElse(""));
                    out.println("data directory: " + cluster.dataDir());
                    out.println("server log: " + cluster.logFile());
                    out.println(cluster.url());
                    return ExitCode.OK;
                }
            }
        }
    }

    @Command(name = "psql", header = "Run psql on the dev cluster.",
            description = {
                "Examples:",
                "  dfc dev psql",
                "  dfc dev psql -c 'SELECT df.runtime_version()'",
                "",
                "Runs psql on database dfc of the running dev cluster; arguments go to psql unchanged. Exits with psql's exit code.",
                ""
            })
    static final class Psql implements Callable<Integer> {
        @ParentCommand
        DevCommand parent;

        @Parameters(arity = "0..*", paramLabel = "PSQL_ARG", description = "Passed to psql.")
        List<String> psqlArgs = new ArrayList<>();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            DevCluster cluster = parent.cluster(spec.commandLine().getErr());
            if (cluster.state() != DevCluster.State.RUNNING) {
                throw CliException.usage("the dev cluster is not running; start it with: dfc dev start");
            }
            Path psql = PgBinaries.findPsql().orElseThrow(() -> CliException.usage("psql not found; install postgresql-client-15"));
            // as options, not a URL (whose user would win over a -U in the arguments): a later -U or -d
            // among the arguments replaces these
            List<String> cmd = new ArrayList<>(List.of(psql.toString(), "-h", "127.0.0.1", "-p", String.valueOf(cluster.port().orElseThrow()),
                    "-U", DevCluster.SUPERUSER, "-d", DevCluster.DATABASE));
            cmd.addAll(psqlArgs);
            try {
                return new ProcessBuilder(cmd).inheritIO().start().waitFor();
            } catch (IOException e) {
                throw CliException.usage("cannot run " + psql + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ExitCode.USAGE;
            }
        }
    }

    @Command(name = "destroy", header = "Stop the dev cluster and delete it.", mixinStandardHelpOptions = true,
            description = {"Stops the dev cluster and deletes it with all its data; the next start creates a fresh one."})
    static final class Destroy implements Callable<Integer> {
        @ParentCommand
        DevCommand parent;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            DevCluster cluster = parent.cluster(spec.commandLine().getErr());
            cluster.destroy();
            Path link = Checkout.root().resolve(".dfc").resolve("dev");
            if (Files.isSymbolicLink(link)) Files.delete(link);
            spec.commandLine().getOut().println("deleted the dev cluster " + cluster.dir());
            return ExitCode.OK;
        }
    }
}
