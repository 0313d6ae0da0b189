package dev.dfc.compiler.diag;

import dev.dfc.compiler.source.Span;

/**
 * A problem found in the user's input. User errors are values, never exceptions.
 * Codes are stable and grouped by family: DF1xxx syntax, DF2xxx names and binding,
 * DF3xxx arity and shape, DF4xxx control flow, DF5xxx literals (cron, durations, ...),
 * DF9xxx internal. Every code is documented in docs/diagnostics.md.
 */
public record Diagnostic(Severity severity, String code, String message, Span span, String hint) {
    public static Diagnostic error(String code, Span span, String message) {
        return new Diagnostic(Severity.ERROR, code, message, span, null);
    }

    public static Diagnostic warning(String code, Span span, String message) {
        return new Diagnostic(Severity.WARNING, code, message, span, null);
    }

    public Diagnostic withHint(String h) { return new Diagnostic(severity, code, message, span, h); }

    public boolean isError() { return severity == Severity.ERROR; }
}
