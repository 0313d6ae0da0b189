package dev.dfc.compiler.check;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds {@code $name} references in SQL text with PostgreSQL's lexical rules, so that a '$' inside
 * a quoted string, quoted identifier, comment or dollar-quoted string is text, not a reference.
 * Positional parameters ({@code $1}), dollar-quote tags and '$' inside identifiers ({@code a$b})
 * are not references either. The longest form wins: {@code $n.*}, {@code $n.c?}, {@code $n.c},
 * {@code $n?}, {@code $n}. It also finds {@code {name}} variables outside those.
 */
public final class SqlScanner {
    private final String sql;
    private int pos;
    private final List<SqlRef> refs = new ArrayList<>();
    private final List<VarRef> vars = new ArrayList<>();
    private final List<VarRef> literalVars = new ArrayList<>();
    private boolean inLineComment;

    private SqlScanner(String sql) {
        this.sql = sql;
    }

    /** The references in a SQL text, in order. */
    public static List<SqlRef> references(String sql) {
        SqlScanner s = new SqlScanner(sql);
        s.scan();
        return List.copyOf(s.refs);
    }

    /**
     * The {@code {name}} variables in a SQL text, in order: only those in the SQL itself, not inside
     * its string literals, quoted identifiers, comments or dollar-quoted bodies, where braces are
     * JSON ('{"a":1}') or array literals ('{a,b}') far more often than variables.
     */
    public static List<VarRef> variables(String sql) {
        SqlScanner s = new SqlScanner(sql);
        s.scan();
        return List.copyOf(s.vars);
    }

    /**
     * The references and the variables of a SQL text, found in one pass; {@code literalVariables}
     * are the {@code {name}}s inside its string literals, quoted identifiers and dollar-quoted
     * bodies ({@link VarRef#literal()}).
     */
    public record Found(List<SqlRef> references, List<VarRef> variables, List<VarRef> literalVariables) {}

    /** {@link #references} and {@link #variables} of the same text at once. */
    public static Found scan(String sql) {
        SqlScanner s = new SqlScanner(sql);
        s.scan();
        return new Found(List.copyOf(s.refs), List.copyOf(s.vars), List.copyOf(s.literalVars));
    }

    /** True when the text ends inside a {@code --} comment, so a ';' appended to it would be commented out. */
    public static boolean endsInLineComment(String sql) {
        SqlScanner s = new SqlScanner(sql);
        s.scan();
        return s.inLineComment;
    }

    private void scan() {
        while (pos < sql.length()) {
            char c = sql.charAt(pos);
            inLineComment = false;
            if (c == '\'') {
                quoted('\'', false);
            } else if (c == '"') {
                quoted('"', false);
            } else if (c == '-' && peek(1) == '-') {
                lineComment();
            } else if (c == '/' && peek(1) == '*') {
                blockComment();
            } else if (c == '$') {
                dollar();
            } else if (isIdentStart(c)) {
                int start = pos;
                while (pos < sql.length() && isIdentCont(sql.charAt(pos))) pos++;
                boolean escapeString = pos - start == 1 && (c == 'e' || c == 'E') && peek(0) == '\'';
                if (escapeString) quoted('\'', true);
            } else if (c == '{') {
                VarRef v = TextRefs.variableAt(sql, pos);
                if (v != null) vars.add(v);
                pos = v != null ? v.end() : pos + 1;
            } else if (isDigit(c)) {
                // a number; '$' right after digits is not a reference start in PostgreSQL either
                while (pos < sql.length() && (isIdentCont(sql.charAt(pos)) || sql.charAt(pos) == '.')) pos++;
            } else {
                pos++;
            }
        }
    }

    private void quoted(char quote, boolean backslashEscapes) {
        pos++;
        while (pos < sql.length()) {
            char c = sql.charAt(pos);
            if (backslashEscapes && c == '\\') {
                pos += 2;
            } else if (c == '{') {
                pos = literalVariable(pos);
            } else if (c == quote) {
                if (peek(1) == quote) {
                    pos += 2;
                } else {
                    pos++;
                    return;
                }
            } else {
                pos++;
            }
        }
    }

    private void lineComment() {
        while (pos < sql.length() && sql.charAt(pos) != '\n') pos++;
        inLineComment = pos == sql.length();
    }

    private void blockComment() {
        int depth = 0;
        while (pos < sql.length()) {
            if (sql.startsWith("/*", pos)) {
                depth++;
                pos += 2;
            } else if (sql.startsWith("*/", pos)) {
                depth--;
                pos += 2;
                if (depth == 0) return;
            } else {
                pos++;
            }
        }
    }

    private void dollar() {
        int start = pos;
        int p = pos + 1;
        if (p < sql.length() && isDigit(sql.charAt(p))) {
            while (p < sql.length() && isDigit(sql.charAt(p))) p++;
            pos = p;
            return;
        }
        // dollar-quote opener: $$ or $tag$ (tag without '$'), only when a closing tag follows
        int t = p;
        if (t < sql.length() && isIdentStart(sql.charAt(t))) {
            t++;
            while (t < sql.length() && isIdentCont(sql.charAt(t)) && sql.charAt(t) != '$') t++;
        }
        if (t < sql.length() && sql.charAt(t) == '$') {
            String tag = sql.substring(start, t + 1);
            int close = sql.indexOf(tag, t + 1);
            if (close >= 0) {
                int b = t + 1;
                while ((b = sql.indexOf('{', b)) >= 0 && b < close) b = literalVariable(b);
                pos = close + tag.length();
                return;
            }
        }
        if (reference(start)) return;
        pos = start + 1;
    }

    /** A {@code {name}} at the '{' at p inside a literal, recorded; the position after it. */
    private int literalVariable(int p) {
        VarRef v = TextRefs.variableAt(sql, p);
        if (v == null) return p + 1;
        literalVars.add(new VarRef(v.name(), v.start(), v.end(), true));
        return v.end();
    }

    private boolean reference(int start) {
        int nameEnd = identEnd(start + 1);
        if (nameEnd < 0) return false;
        String name = sql.substring(start + 1, nameEnd);
        if (peekAt(nameEnd) == '.' && peekAt(nameEnd + 1) == '*') {
            return add(SqlRef.Kind.ROWS, name, null, start, nameEnd + 2);
        }
        if (peekAt(nameEnd) == '.') {
            int colEnd = identEnd(nameEnd + 1);
            if (colEnd >= 0) {
                String col = sql.substring(nameEnd + 1, colEnd);
                if (peekAt(colEnd) == '?') return add(SqlRef.Kind.NULLSAFE, name, col, start, colEnd + 1);
                return add(SqlRef.Kind.VALUE, name, col, start, colEnd);
            }
        }
        if (peekAt(nameEnd) == '?') return add(SqlRef.Kind.NULLSAFE, name, null, start, nameEnd + 1);
        return add(SqlRef.Kind.VALUE, name, null, start, nameEnd);
    }

    private boolean add(SqlRef.Kind kind, String name, String column, int start, int end) {
        refs.add(new SqlRef(kind, name, column, start, end));
        pos = end;
        return true;
    }

    /** End of a reference name [A-Za-z_][A-Za-z0-9_]* starting at p, or -1. */
    private int identEnd(int p) {
        if (p >= sql.length() || !isAsciiIdentStart(sql.charAt(p))) return -1;
        p++;
        while (p < sql.length() && (isAsciiIdentStart(sql.charAt(p)) || isDigit(sql.charAt(p)))) p++;
        return p;
    }

    private char peek(int ahead) { return peekAt(pos + ahead); }

    private char peekAt(int p) { return p < sql.length() ? sql.charAt(p) : '\0'; }

    private static boolean isDigit(char c) { return c >= '0' && c <= '9'; }

    private static boolean isAsciiIdentStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }

    /** PostgreSQL's ident_start: letters, '_' and any non-ASCII character. */
    private static boolean isIdentStart(char c) { return isAsciiIdentStart(c) || c >= 0x80; }

    private static boolean isIdentCont(char c) { return isIdentStart(c) || isDigit(c) || c == '$'; }
}
