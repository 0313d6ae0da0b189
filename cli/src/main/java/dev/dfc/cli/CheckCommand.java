package dev.dfc.cli;

import dev.dfc.cli.input.SourceLoader;
import dev.dfc.cli.report.ColorMode;
import dev.dfc.cli.report.DiagnosticFormat;
import dev.dfc.cli.report.Outcome;
import dev.dfc.compiler.Compiler;
import dev.dfc.compiler.diag.Diagnostic;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
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
            "",
            "Checks .dfsql files (syntax, names bound on every path, arity, literals) and prints each problem as file:line:col: severity[code]: message, with an excerpt, on stdout.",
            ""
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:no errors (warnings allowed)", "1:errors (or warnings with --warnings-as-errors)", "2:usage or I/O error", "3:internal error"})
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

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<String> encodingWarnings = new ArrayList<>();
        List<Diagnostic> diagnostics = Compiler.check(SourceLoader.load(files, SourceLoader.Malformed.REPLACE_AND_WARN, encodingWarnings::add), Main.internalErrors(spec));
        for (String w : encodingWarnings) spec.commandLine().getErr().println("dfc: warning: " + w);
        spec.commandLine().getErr().flush();
        format.write(diagnostics, spec.commandLine().getOut(), color.enabled());
        int code = Outcome.exitCode(diagnostics, warningsAsErrors);
        return code == ExitCode.OK && warningsAsErrors && !encodingWarnings.isEmpty() ? ExitCode.FAILED : code;
    }
}
