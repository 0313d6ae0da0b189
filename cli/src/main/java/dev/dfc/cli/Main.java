package dev.dfc.cli;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import dev.dfc.cli.report.ColorMode;
import dev.dfc.cli.report.DiagnosticFormat;
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
            "  dfc explain flows/order.dfsql",
            "  URL=$(dfc dev start)",
            "  dfc deploy examples/quickstart.dfsql --db \"$URL\"",
            "  dfc start quickstart --db \"$URL\" --wait",
            "  dfc worker --db \"$URL\"",
            ""
        },
        // the subcommands are added by commandLine(), see subcommands()
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:errors found, deploy rejected, or the workflow failed",
            "2:usage or I/O error (bad option, unreadable file, unreachable database)",
            "3:internal error (a bug in dfc; rerun with --stacktrace)"
        },
        footer = {"", "Documentation: docs/cli.md"})
public final class Main implements Runnable {
    /**
     * The subcommands, in the order of the usage help. Building picocli's model of a command costs
     * reflection over its class, so a run whose command is known from its first argument builds
     * only that one (see {@link #commandLine(PrintWriter, PrintWriter, String[])}). A method, not a
     * constant, so that {@link #plainCheck} loads none of these classes.
     */
    private static List<Class<?>> subcommands() {
        return List.of(
                CheckCommand.class,
                CompileCommand.class,
                ExplainCommand.class,
                DeployCommand.class,
                StartCommand.class,
                RuntimeCommand.class,
                DevCommand.class,
                WorkerCommand.class,
                CommandLine.HelpCommand.class);
    }

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
        Integer plain = plainCheck(args, out, err);
        int code = plain != null ? plain : commandLine(out, err, args).execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /**
     * {@code dfc check FILE...} without options, the common case and the one run over many files,
     * runs without building picocli's model of the command line: that takes about as long as
     * checking a thousand files, and picocli's classes (compiled for Java 5) cannot be in the
     * class-data sharing archive. Only when picocli would read every argument after {@code check}
     * as a file, with the defaults of every option: none is empty or starts with {@code -} (an
     * option, {@code --}) or {@code @} (an argument file), and no {@code picocli.*} system property
     * is set. Errors are reported as {@link #onError} reports them. Null: run through picocli.
     */
    static Integer plainCheck(String[] args, PrintWriter out, PrintWriter err) {
        if (args.length < 2 || !args[0].equals("check")) return null;
        for (int i = 1; i < args.length; i++) {
            if (args[i].isEmpty() || args[i].charAt(0) == '-' || args[i].charAt(0) == '@') return null;
        }
        for (String property : System.getProperties().stringPropertyNames()) {
            if (property.startsWith("picocli.")) return null;
        }
        try {
            return CheckCommand.run(new ArrayList<>(Arrays.asList(args).subList(1, args.length)),
                    DiagnosticFormat.text, false, ColorMode.auto, null, out, err, t -> { });
        } catch (Exception ex) {
            return onError(ex, err, false);
        }
    }

    /** The command line with every subcommand. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(out, err, new String[0]);
    }

    /**
     * The command line for {@code args}: when the first argument (after any {@code --stacktrace})
     * names a subcommand other than {@code help}, only that subcommand is added, since parsing
     * cannot reach the others; otherwise (no command, a root option such as {@code --help}, an
     * unknown command, {@code help}, an {@code @file}) all of them.
     */
    static CommandLine commandLine(PrintWriter out, PrintWriter err, String[] args) {
        CommandLine cl = new CommandLine(new Main());
        String command = null;
        for (String arg : args) {
            if (!arg.equals("--stacktrace")) {
                command = arg;
                break;
            }
        }
        for (Class<?> sub : subcommands()) {
            String name = sub.getAnnotation(Command.class).name();
            if (command == null || command.equals("help") || !isSubcommand(command) || command.equals(name)) {
                cl.addSubcommand(sub);
            }
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpAutoWidth(true);
        separateHeaderFromUsage(cl);
        CommandLine dev = cl.getSubcommands().get("dev");
        if (dev != null) dev.getSubcommands().get("psql").setUnmatchedOptionsArePositionalParams(true);
        cl.setParameterExceptionHandler(Main::onUsageError);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> onError(ex, commandLine, parseResult));
        cl.setExitCodeExceptionMapper(ex -> ex instanceof CliException c ? c.exitCode() : ExitCode.INTERNAL);
        return cl;
    }

    private static boolean isSubcommand(String arg) {
        for (Class<?> sub : subcommands()) {
            if (sub.getAnnotation(Command.class).name().equals(arg)) return true;
        }
        return false;
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
        return onError(ex, cl.getErr(), wantsStacktrace(parseResult));
    }

    private static int onError(Exception ex, PrintWriter err, boolean trace) {
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
