package dev.dfc.cli.report;

import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.diag.TextRenderer;
import java.io.PrintWriter;
import java.util.List;

/**
 * How {@code dfc check} prints diagnostics (LANGUAGE.md §5; {@code compile} and {@code deploy}
 * always use text). Colour applies to text only; the other formats are for machines, documented
 * in docs/cli.md, and byte-identical for the same diagnostics.
 */
public enum DiagnosticFormat {
    text {
        @Override
        public void write(List<Diagnostic> diagnostics, PrintWriter out, boolean color) {
            for (Diagnostic d : diagnostics) {
                String rendered = TextRenderer.render(d);
                out.print(color ? colorize(rendered, d) : rendered);
            }
            long errors = diagnostics.stream().filter(Diagnostic::isError).count();
            long warnings = diagnostics.size() - errors;
            if (!diagnostics.isEmpty()) out.println(summary(errors, warnings));
            out.flush();
        }
    },
    /** dfc's own JSON: one object with a diagnostics array and summary counts. */
    json {
        @Override
        public void write(List<Diagnostic> diagnostics, PrintWriter out, boolean color) {
            out.print(MachineReports.json(diagnostics));
            out.flush();
        }
    },
    /** SARIF 2.1.0, for GitHub code scanning and other SARIF viewers. */
    sarif {
        @Override
        public void write(List<Diagnostic> diagnostics, PrintWriter out, boolean color) {
            out.print(MachineReports.sarif(diagnostics));
            out.flush();
        }
    },
    /** GitHub Actions workflow commands (::error file=…::message), shown as annotations. */
    github {
        @Override
        public void write(List<Diagnostic> diagnostics, PrintWriter out, boolean color) {
            out.print(MachineReports.github(diagnostics));
            out.flush();
        }
    };

    private static final String RESET = "\u001b[0m";
    private static final String BOLD = "\u001b[1m";
    private static final String RED = "\u001b[1;31m";
    private static final String YELLOW = "\u001b[1;33m";
    private static final String CYAN = "\u001b[1;36m";

    public abstract void write(List<Diagnostic> diagnostics, PrintWriter out, boolean color);

    public void write(List<Diagnostic> diagnostics, PrintWriter out) {
        write(diagnostics, out, false);
    }

    static String summary(long errors, long warnings) {
        StringBuilder s = new StringBuilder();
        if (errors > 0) s.append(errors).append(errors == 1 ? " error" : " errors");
        if (warnings > 0) s.append(s.length() > 0 ? ", " : "").append(warnings).append(warnings == 1 ? " warning" : " warnings");
        return s.toString();
    }

    /**
     * Colours TextRenderer's layout (which itself has none): the severity label and carets in the
     * severity's colour, the location bold, the hint label cyan. The text is otherwise unchanged.
     */
    static String colorize(String rendered, Diagnostic d) {
        String tone = d.isError() ? RED : YELLOW;
        String label = d.severity().label() + "[" + d.code() + "]";
        StringBuilder out = new StringBuilder();
        String[] lines = rendered.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (i == 0) {
                int at = line.indexOf(": " + label + ":");
                line = at < 0 ? line
                        : BOLD + line.substring(0, at + 1) + RESET + " " + tone + label + RESET + ":" + BOLD
                                + line.substring(at + 2 + label.length() + 1) + RESET;
            } else if (line.matches(" *\\| *\\^+")) {
                int caret = line.indexOf('^');
                line = line.substring(0, caret) + tone + line.substring(caret) + RESET;
            } else if (line.startsWith("   hint: ")) {
                line = "   " + CYAN + "hint" + RESET + ": " + line.substring("   hint: ".length());
            }
            out.append(line);
            if (i < lines.length - 1) out.append('\n');
        }
        return out.toString();
    }
}
