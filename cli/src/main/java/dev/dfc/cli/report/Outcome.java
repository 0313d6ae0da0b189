package dev.dfc.cli.report;

import dev.dfc.cli.ExitCode;
import dev.dfc.compiler.diag.Diagnostic;
import java.util.List;

/** The exit code a list of diagnostics deserves. */
public final class Outcome {
    private Outcome() {}

    public static int exitCode(List<Diagnostic> diagnostics, boolean warningsAsErrors) {
        // DF9xxx: an exception escaped a compiler pass, a bug rather than the user's error
        if (diagnostics.stream().anyMatch(d -> d.code() != null && d.code().startsWith("DF9"))) return ExitCode.INTERNAL;
        if (diagnostics.stream().anyMatch(Diagnostic::isError)) return ExitCode.FAILED;
        if (warningsAsErrors && !diagnostics.isEmpty()) return ExitCode.FAILED;
        return ExitCode.OK;
    }
}
