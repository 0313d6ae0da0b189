package dev.dfc.compiler.diag;

import dev.dfc.compiler.source.SourceFile;
import dev.dfc.compiler.source.Span;

/**
 * Renders a diagnostic as plain text, the one format of STYLE.md:
 *
 * <pre>
 * flows/order.dfsql:12:17: error[DF1003]: unknown node function 'df.retyr'
 *    12 |     fetch ~> df.retyr(3) ~> store
 *       |              ^^^^^^^^
 *    hint: did you mean 'df.retry'?
 * </pre>
 *
 * Tabs in the excerpt are expanded to the next multiple of {@value #TAB_WIDTH} columns, and the
 * carets are placed with the same expansion so they stay under the span. No colour: the CLI adds it.
 */
public final class TextRenderer {
    static final int TAB_WIDTH = 4;
    private static final int MIN_GUTTER = 5;

    private TextRenderer() {}

    /** The diagnostic as text, every line (the last included) ending in '\n'. */
    public static String render(Diagnostic d) {
        StringBuilder out = new StringBuilder();
        Span span = d.span();
        out.append(span == null ? "dfc" : span.file().path() + ":" + span.line() + ":" + span.column());
        out.append(": ").append(d.severity().label()).append('[').append(d.code()).append("]: ")
                .append(oneLine(d.message())).append('\n');
        if (span != null) excerpt(out, span);
        if (d.hint() != null) out.append("   hint: ").append(oneLine(d.hint())).append('\n');
        return out.toString();
    }

    private static void excerpt(StringBuilder out, Span span) {
        SourceFile file = span.file();
        int line = span.line();
        String text = file.lineText(line);
        int startCol = span.column() - 1;
        int lineEnd = text.length();
        int endCol = span.end() > span.start() && file.line(span.end()) == line
                ? Math.min(span.column() - 1 + (span.end() - span.start()), lineEnd)
                : span.end() > span.start() ? lineEnd : startCol;
        String number = Integer.toString(line);
        int gutter = Math.max(MIN_GUTTER, number.length() + 1);
        int caretFrom = expandedWidth(text, Math.min(startCol, lineEnd));
        int caretTo = expandedWidth(text, Math.max(Math.min(endCol, lineEnd), Math.min(startCol, lineEnd)));
        out.append(" ".repeat(gutter - number.length())).append(number).append(" | ")
                .append(expandTabs(text)).append('\n');
        out.append(" ".repeat(gutter)).append(" | ").append(" ".repeat(caretFrom))
                .append("^".repeat(Math.max(1, caretTo - caretFrom))).append('\n');
    }

    /** Display width of the first {@code chars} characters of a line, tabs expanded. */
    static int expandedWidth(String line, int chars) {
        int width = 0;
        for (int i = 0; i < chars; i++) {
            char c = line.charAt(i);
            if (Character.isLowSurrogate(c)) continue; // one column per code point
            width = c == '\t' ? (width / TAB_WIDTH + 1) * TAB_WIDTH : width + 1;
        }
        return width;
    }

    /**
     * The line as displayed: tabs expanded, and control characters (a lone CR, NUL, line and
     * paragraph separators...) shown as their Unicode control pictures, one column each, so the
     * excerpt stays one line and the carets stay aligned.
     */
    static String expandTabs(String line) {
        StringBuilder sb = new StringBuilder();
        int width = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\t') {
                int spaces = TAB_WIDTH - width % TAB_WIDTH;
                sb.append(" ".repeat(spaces));
                width += spaces;
                continue;
            }
            sb.append(visible(c));
            if (!Character.isLowSurrogate(c)) width++;
        }
        return sb.toString();
    }

    /** A character that would break or hide part of a one-line message, made visible. */
    private static char visible(char c) {
        if (c < 0x20) return (char) (0x2400 + c);
        if (c == 0x7f) return '\u2421';
        if (c == '\u0085' || c == '\u2028' || c == '\u2029') return '\u2424';
        return c;
    }

    private static String oneLine(String s) {
        String flat = s.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ');
        StringBuilder sb = new StringBuilder(flat.length());
        for (int i = 0; i < flat.length(); i++) {
            char c = flat.charAt(i);
            sb.append(c == '\t' ? ' ' : visible(c));
        }
        return sb.toString();
    }
}
