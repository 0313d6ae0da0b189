package dev.dfc.cli;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The dfc command line. Every command writes to the streams of its CommandLine, so tests run
 * commands in-process through {@link #run}. User errors ({@link CliException}, bad options)
 * print one line and exit 1 or 2; any other exception is a bug: exit 3, stack trace only with
 * {@code --stacktrace}.
 */
@Command(name = "dfc",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        synopsisSubcommandLabel = "COMMAND",
        description = {
            "Compiles .dfsql workflows to PL/pgSQL state machines and runs them on PostgreSQL.",
            "",
            "Examples:",
            "  dfc check flows/*.dfsql",
            "  dfc compile flows/order.dfsql -o order.sql",
            "  URL=$(dfc dev start)",
            "  dfc deploy examples/quickstart.dfsql --db \"$URL\"",
            "  dfc start quickstart --db \"$URL\" --wait",
            ""
        },
        subcommands = {
            CheckCommand.class,
            CompileCommand.class,
            DeployCommand.class,
            StartCommand.class,
            RuntimeCommand.class,
            DevCommand.class,
            CommandLine.HelpCommand.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:errors found, deploy rejected, or the workflow failed",
            "2:usage or I/O error (bad option, unreadable file, unreachable database)",
            "3:internal error (a bug in dfc; rerun with --stacktrace)"
        },
        footer = {"", "Documentation: docs/cli.md"})
public final class Main implements Runnable {
    @Option(names = "--stacktrace", scope = ScopeType.INHERIT,
            description = "Print the stack trace of an error (for bug reports).")
    boolean stacktrace;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command");
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        int code = run(args, out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs dfc with the given arguments and streams; returns the exit code (see {@link ExitCode}). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        int code = commandLine(out, err).execute(args);
        out.flush();
        err.flush();
        return code;
    }

    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpAutoWidth(true);
        separateHeaderFromUsage(cl);
        cl.getSubcommands().get("dev").getSubcommands().get("psql").setUnmatchedOptionsArePositionalParams(true);
        cl.setParameterExceptionHandler(Main::onUsageError);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> onError(ex, commandLine, parseResult));
        cl.setExitCodeExceptionMapper(ex -> ex instanceof CliException c ? c.exitCode() : ExitCode.INTERNAL);
        return cl;
    }

    /** Blank lines around every command's Usage line, so header, synopsis and examples stand apart. */
    private static void separateHeaderFromUsage(CommandLine cl) {
        if (cl.getCommandSpec().usageMessage().header().length > 0) cl.getCommandSpec().usageMessage().synopsisHeading("%nUsage: ");
        cl.getCommandSpec().usageMessage().descriptionHeading("%n");
        for (CommandLine sub : cl.getSubcommands().values()) separateHeaderFromUsage(sub);
    }

    private static int onUsageError(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println("dfc: " + ex.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return ExitCode.USAGE;
    }

    private static int onError(Exception ex, CommandLine cl, ParseResult parseResult) {
        PrintWriter err = cl.getErr();
        boolean trace = wantsStacktrace(parseResult);
        if (ex instanceof CliException user) {
            err.println("dfc: error: " + user.getMessage());
            if (trace) ex.printStackTrace(err);
            err.flush();
            return user.exitCode();
        }
        err.println("dfc: internal error: " + ex);
        if (trace) ex.printStackTrace(err);
        else err.println("This is a bug in dfc. Rerun with --stacktrace and report the output.");
        err.flush();
        return ExitCode.INTERNAL;
    }

    /**
     * Where the compiler reports the exception behind a DF9001 diagnostic: printed to the
     * command's error stream when {@code --stacktrace} was given, dropped otherwise.
     */
    static java.util.function.Consumer<Throwable> internalErrors(CommandSpec command) {
        return t -> {
            if (wantsStacktrace(command.root().commandLine().getParseResult())) {
                t.printStackTrace(command.commandLine().getErr());
                command.commandLine().getErr().flush();
            }
        };
    }

    private static boolean wantsStacktrace(ParseResult parseResult) {
        for (ParseResult pr = parseResult; pr != null; pr = pr.subcommand()) {
            if (pr.hasMatchedOption("--stacktrace")) return true;
        }
        return false;
    }
}
