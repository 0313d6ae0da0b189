package dev.dfc.cli.report;

import dev.dfc.compiler.diag.Diagnostic;
import java.io.PrintWriter;
import java.util.List;

/**
 * How {@code dfc check} and {@code dfc compile} print diagnostics. Only text exists today;
 * json, sarif and github (LANGUAGE.md §5) become further constants here.
 */
public enum DiagnosticFormat {
    text {
        @Override
        public void write(List<Diagnostic> diagnostics, PrintWriter out) {
            for (Diagnostic d : diagnostics) out.print(dev.dfc.compiler.diag.TextRenderer.render(d));
            long errors = diagnostics.stream().filter(Diagnostic::isError).count();
            long warnings = diagnostics.size() - errors;
            if (!diagnostics.isEmpty()) out.println(summary(errors, warnings));
            out.flush();
        }
    };

    public abstract void write(List<Diagnostic> diagnostics, PrintWriter out);

    static String summary(long errors, long warnings) {
        StringBuilder s = new StringBuilder();
        if (errors > 0) s.append(errors).append(errors == 1 ? " error" : " errors");
        if (warnings > 0) s.append(s.length() > 0 ? ", " : "").append(warnings).append(warnings == 1 ? " warning" : " warnings");
        return s.toString();
    }
}
