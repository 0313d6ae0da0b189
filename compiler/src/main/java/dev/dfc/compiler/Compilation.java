package dev.dfc.compiler;

import dev.dfc.compiler.diag.Diagnostic;
import java.util.List;

/**
 * The outcome of {@link Compiler#compile}: every diagnostic (sorted by file, position, code) and
 * the deploy script, which is null when any diagnostic is an error.
 */
public record Compilation(List<Diagnostic> diagnostics, String sql) {
    public Compilation {
        diagnostics = List.copyOf(diagnostics);
    }

    public boolean hasErrors() {
        return diagnostics.stream().anyMatch(Diagnostic::isError);
    }
}
