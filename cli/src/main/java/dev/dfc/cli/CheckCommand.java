package dev.dfc.cli;

import dev.dfc.cli.db.DbUrl;
import dev.dfc.cli.dbcheck.ServerCheck;
import dev.dfc.cli.input.SourceLoader;
import dev.dfc.cli.report.ColorMode;
import dev.dfc.cli.report.DiagnosticFormat;
import dev.dfc.cli.report.Outcome;
import dev.dfc.compiler.Compiler;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.SourceFile;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dfc check}: every static check of compile, without producing SQL. */
@Command(name = "check",
        header = "Check .dfsql files and report problems.",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Examples:",
            "  dfc check flows/order.dfsql",
            "  dfc check --warnings-as-errors flows/*.dfsql",
            "  dfc check --format=sarif flows/*.dfsql > dfc.sarif",
            "  dfc check --db \"$URL\" flows/order.dfsql",
            "",
            "Checks .dfsql files (syntax, names bound on every path, arity, literals) and prints each problem as file:line:col: severity[code]: message, with an excerpt, on stdout.",
            "",
            "With --db, the server also parses and plans the SQL steps of every workflow without errors, inside a transaction that is rolled back: unknown tables and columns and SQL syntax errors are reported at the step (DF7001).",
            ""
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:no errors (warnings allowed)", "1:errors (or warnings with --warnings-as-errors)", "2:usage or I/O error, database unreachable", "3:internal error"})
final class CheckCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "The .dfsql files, checked together (workflow names must be unique across them).")
    List<String> files;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    DiagnosticFormat format;

    @Option(names = {"-W", "--warnings-as-errors"}, description = "Exit 1 when there are warnings.")
    boolean warningsAsErrors;

    @Option(names = "--color", paramLabel = "WHEN", defaultValue = "auto",
            description = "Colour diagnostics: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}: on a terminal, unless NO_COLOR is set).")
    ColorMode color;

    @Option(names = "--db", paramLabel = "URL",
            description = "Also have this database parse and plan each SQL step (in a transaction that is rolled back): postgresql://user@host:port/database or jdbc:postgresql://...")
    String db;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return run(files, format, warningsAsErrors, color, db,
                spec.commandLine().getOut(), spec.commandLine().getErr(), Main.internalErrors(spec));
    }

    /** The command with its options; {@link Main} also calls it directly for a plain {@code dfc check FILE...}. */
    static int run(List<String> files, DiagnosticFormat format, boolean warningsAsErrors, ColorMode color, String db,
            PrintWriter out, PrintWriter err, Consumer<Throwable> internalErrors) {
        DbUrl url = db == null ? null : DbUrl.parse(db);
        List<String> encodingWarnings = new ArrayList<>();
        List<SourceFile> sources = SourceLoader.load(files, SourceLoader.Malformed.REPLACE_AND_WARN, encodingWarnings::add);
        List<Diagnostic> diagnostics = Compiler.check(sources, internalErrors);
        for (String w : encodingWarnings) err.println("dfc: warning: " + w);
        err.flush();
        if (url != null && Outcome.exitCode(diagnostics, false) != ExitCode.INTERNAL) {
            ServerCheck.Result server = ServerCheck.run(url, Compiler.sqlSteps(sources));
            for (String note : server.notes()) err.println("dfc: note: " + note);
            err.flush();
            diagnostics = merged(diagnostics, server.diagnostics(), sources);
        }
        format.write(diagnostics, out, color.enabled());
        int code = Outcome.exitCode(diagnostics, warningsAsErrors);
        return code == ExitCode.OK && warningsAsErrors && !encodingWarnings.isEmpty() ? ExitCode.FAILED : code;
    }

    /** Both lists in one, sorted as the compiler sorts: by file (command-line order), position, code. */
    private static List<Diagnostic> merged(List<Diagnostic> a, List<Diagnostic> b, List<SourceFile> sources) {
        Map<SourceFile, Integer> order = new IdentityHashMap<>();
        for (int i = 0; i < sources.size(); i++) order.put(sources.get(i), i);
        List<Diagnostic> all = new ArrayList<>(a);
        all.addAll(b);
        all.sort(Comparator
                .comparingInt((Diagnostic d) -> d.span() == null ? -1 : order.getOrDefault(d.span().file(), sources.size()))
                .thenComparingInt(d -> d.span() == null ? -1 : d.span().start())
                .thenComparing(Diagnostic::code));
        return all;
    }
}
