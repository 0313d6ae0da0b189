package dev.dfc.cli;

import dev.dfc.cli.db.DbUrl;
import dev.dfc.cli.db.RuntimeScript;
import dev.dfc.cli.db.ScriptRunner;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code dfc runtime}: the df schema's install script, printed or applied. */
@Command(name = "runtime",
        header = "Print or install the runtime (schema df).",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Examples:",
            "  dfc runtime --print > dfc-runtime.sql",
            "  dfc runtime --install --db postgresql://postgres@db.example/app",
            "",
            "The runtime (schema df: tables, queue, management API) that compiled workflows run on. Its C functions live in the worker library: for in-server step workers the server loads dfc.so (shared_preload_libraries = 'dfc', see docs/operations.md) before --install; without it the runtime installs without them and dfc worker runs the steps.",
            ""
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:printed or installed", "1:the database rejected the script", "2:usage or I/O error, database unreachable", "3:internal error"})
final class RuntimeCommand implements Callable<Integer> {
    static final class Action {
        @Option(names = "--print", required = true, description = "Print the install script to stdout.")
        boolean print;

        @Option(names = "--install", required = true, description = "Apply the install script to the database given by --db.")
        boolean install;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Action action;

    @Option(names = "--db", paramLabel = "URL", description = "Database to install into (with --install).")
    String db;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (action.print) {
            if (db != null) throw new ParameterException(spec.commandLine(), "--db is only used with --install");
            spec.commandLine().getOut().print(RuntimeScript.text());
            spec.commandLine().getOut().flush();
            return ExitCode.OK;
        }
        if (db == null) throw new ParameterException(spec.commandLine(), "--install needs --db URL");
        DbUrl url = DbUrl.parse(db);
        ScriptRunner.withDefaultClient(spec.commandLine().getErr()).apply(url, RuntimeScript.text(), "the runtime script");
        spec.commandLine().getOut().println("installed the dfc runtime into " + url.redacted());
        return ExitCode.OK;
    }
}
