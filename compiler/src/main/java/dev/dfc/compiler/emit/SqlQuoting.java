package dev.dfc.compiler.emit;

import dev.dfc.compiler.ir.State;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The only place generated SQL is quoted. Templates reach it through {@link SqlRenderer}
 * ({@code format="literal"}, {@code format="ident"}, {@code format="comment"}).
 */
public final class SqlQuoting {
    private static final Pattern PLAIN_IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_$]*");

    /** PostgreSQL 15 keywords that cannot be used as bare column or function names. */
    private static final Set<String> RESERVED = Set.of(
            "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization",
            "binary", "both", "case", "cast", "check", "collate", "collation", "column", "concurrently",
            "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
            "current_schema", "current_time", "current_timestamp", "current_user", "default", "deferrable",
            "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "freeze",
            "from", "full", "grant", "group", "having", "ilike", "in", "initially", "inner", "intersect",
            "into", "is", "isnull", "join", "lateral", "leading", "left", "like", "limit", "localtime",
            "localtimestamp", "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order",
            "outer", "overlaps", "placing", "primary", "references", "returning", "right", "select",
            "session_user", "similar", "some", "symmetric", "table", "tablesample", "then", "to",
            "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when",
            "where", "window", "with");

    /** Longest step excerpt in a comment, in characters. */
    static final int COMMENT_WIDTH = 72;

    private SqlQuoting() {}

    /** A standard SQL string literal: quotes doubled, backslashes are data (never E''). */
    public static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /** An identifier, double-quoted only when it would not read back as itself bare. */
    public static String ident(String s) {
        if (PLAIN_IDENTIFIER.matcher(s).matches() && !RESERVED.contains(s)) return s;
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

    /**
     * Text safe inside a {@code --} comment: the first line only, control characters as spaces,
     * shortened with "..." past {@value #COMMENT_WIDTH} characters.
     */
    public static String comment(String s) {
        int eol = 0;
        while (eol < s.length() && s.charAt(eol) != '\n' && s.charAt(eol) != '\r') eol++;
        boolean more = eol < s.length() && !s.substring(eol).isBlank();
        StringBuilder out = new StringBuilder();
        s.substring(0, eol).stripTrailing().codePoints()
                .forEach(cp -> out.appendCodePoint(Character.isISOControl(cp) ? ' ' : cp));
        if (out.codePointCount(0, out.length()) > COMMENT_WIDTH) {
            out.setLength(out.offsetByCodePoints(0, COMMENT_WIDTH - 3));
            more = true;
        }
        if (more) out.append("...");
        return out.toString();
    }

    /**
     * The pattern for PL/pgSQL {@code format()} from SQL text parts: text with '%' doubled, each
     * reference or variable as {@code %s} (its rendering is already a quoted literal or relation,
     * or, for a variable, raw text by design).
     */
    public static String formatPattern(List<State.Part> parts) {
        StringBuilder out = new StringBuilder();
        for (State.Part p : parts) {
            if (p instanceof State.Text t) out.append(t.text().replace("%", "%%"));
            else out.append("%s");
        }
        return out.toString();
    }

    /** Cuts a name, at a character boundary, to at most {@code maxBytes} bytes of UTF-8. */
    public static String truncateUtf8(String s, int maxBytes) {
        int bytes = 0;
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + len > maxBytes) break;
            bytes += len;
            i += Character.charCount(cp);
        }
        return s.substring(0, i);
    }
}
