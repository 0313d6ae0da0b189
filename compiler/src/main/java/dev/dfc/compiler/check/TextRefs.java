package dev.dfc.compiler.check;

import java.util.ArrayList;
import java.util.List;

/**
 * References in text that is not SQL (a URL, a request body, headers): there is no quoting to
 * respect, so every {@code $name} form and every {@code {name}} counts. In SQL text the
 * {@link SqlScanner} decides instead.
 */
public final class TextRefs {
    private TextRefs() {}

    /** Every {@code {identifier}} in the text. '{"a":1}' or '{1,2}' are not variables: no identifier between the braces. */
    public static List<VarRef> variables(String text) {
        List<VarRef> out = new ArrayList<>();
        for (int i = text.indexOf('{'); i >= 0; i = text.indexOf('{', i + 1)) {
            VarRef v = variableAt(text, i);
            if (v != null) out.add(v);
        }
        return out;
    }

    /** The variable {@code {identifier}} whose '{' is at {@code open}, or null. */
    static VarRef variableAt(String text, int open) {
        int end = identEnd(text, open + 1);
        if (end < 0 || end >= text.length() || text.charAt(end) != '}') return null;
        return new VarRef(text.substring(open + 1, end), open, end + 1);
    }

    /** Every {@code $name} reference, longest form first: {@code $n.*}, {@code $n.c?}, {@code $n.c}, {@code $n?}, {@code $n}. */
    public static List<SqlRef> references(String text) {
        List<SqlRef> out = new ArrayList<>();
        int i = 0;
        while ((i = text.indexOf('$', i)) >= 0) {
            int nameEnd = identEnd(text, i + 1);
            if (nameEnd < 0) {
                i++;
                continue;
            }
            String name = text.substring(i + 1, nameEnd);
            SqlRef ref;
            if (at(text, nameEnd) == '.' && at(text, nameEnd + 1) == '*') {
                ref = new SqlRef(SqlRef.Kind.ROWS, name, null, i, nameEnd + 2);
            } else if (at(text, nameEnd) == '.' && identEnd(text, nameEnd + 1) >= 0) {
                int colEnd = identEnd(text, nameEnd + 1);
                String col = text.substring(nameEnd + 1, colEnd);
                ref = at(text, colEnd) == '?'
                        ? new SqlRef(SqlRef.Kind.NULLSAFE, name, col, i, colEnd + 1)
                        : new SqlRef(SqlRef.Kind.VALUE, name, col, i, colEnd);
            } else if (at(text, nameEnd) == '?') {
                ref = new SqlRef(SqlRef.Kind.NULLSAFE, name, null, i, nameEnd + 1);
            } else {
                ref = new SqlRef(SqlRef.Kind.VALUE, name, null, i, nameEnd);
            }
            out.add(ref);
            i = ref.end();
        }
        return out;
    }

    private static char at(String s, int p) {
        return p < s.length() ? s.charAt(p) : '\0';
    }

    /** End of an identifier [A-Za-z_][A-Za-z0-9_]* starting at p, or -1. */
    static int identEnd(String s, int p) {
        if (p >= s.length() || !start(s.charAt(p))) return -1;
        p++;
        while (p < s.length() && (start(s.charAt(p)) || (s.charAt(p) >= '0' && s.charAt(p) <= '9'))) p++;
        return p;
    }

    private static boolean start(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }
}
