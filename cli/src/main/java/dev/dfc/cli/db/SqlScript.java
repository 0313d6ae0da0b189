package dev.dfc.cli.db;

import dev.dfc.compiler.parse.PsqlStatementEnd;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a SQL script into statements the way psql does: a ';' ends a statement only
 * outside quotes ('...', E'...', "..."), dollar-quoted strings ($$...$$, $tag$...$tag$),
 * comments (-- and nested /* *&#47;) and parentheses, and, in a statement that starts
 * CREATE [OR REPLACE] FUNCTION|PROCEDURE, outside a BEGIN ATOMIC ... END body (psql's
 * heuristic in src/fe_utils/psqlscan.l: at parenthesis depth 0, BEGIN opens a block, CASE
 * opens one only inside a block, END closes one). Used to apply a script over JDBC one statement
 * at a time when psql is not installed, so BEGIN/COMMIT and VACUUM behave as under psql.
 */
public final class SqlScript {
    private SqlScript() {}

    /** The statements of a script, trimmed, without their ';', empty ones (and comment-only ones) dropped. */
    public static List<String> split(String sql) {
        List<String> out = new ArrayList<>();
        int start = 0;
        boolean hasCode = false;
        PsqlStatementEnd statementEnd = new PsqlStatementEnd();
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                while (i < n && sql.charAt(i) != '\n') i++;
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int depth = 1;
                i += 2;
                while (i < n && depth > 0) {
                    if (sql.startsWith("/*", i)) { depth++; i += 2; }
                    else if (sql.startsWith("*/", i)) { depth--; i += 2; }
                    else i++;
                }
            } else if (c == '\'') {
                boolean escapes = i > 0 && (sql.charAt(i - 1) == 'E' || sql.charAt(i - 1) == 'e')
                        && (i < 2 || !isIdentChar(sql.charAt(i - 2)));
                i = skipQuoted(sql, i + 1, '\'', escapes);
                hasCode = true;
            } else if (c == '"') {
                i = skipQuoted(sql, i + 1, '"', false);
                hasCode = true;
            } else if (c == '$' && (i == 0 || !isIdentChar(sql.charAt(i - 1)))) {
                int end = dollarTagEnd(sql, i);
                if (end > 0) {
                    String tag = sql.substring(i, end);
                    int close = sql.indexOf(tag, end);
                    i = close < 0 ? n : close + tag.length();
                } else {
                    i++;
                }
                hasCode = true;
            } else if (c == ';' && statementEnd.semicolonEnds()) {
                if (hasCode) out.add(sql.substring(start, i).strip());
                i++;
                start = i;
                hasCode = false;
                statementEnd = new PsqlStatementEnd();
            } else if (c == '(' || c == ')') {
                if (c == '(') statementEnd.openParen();
                else statementEnd.closeParen();
                hasCode = true;
                i++;
            } else if (Character.isLetter(c) || c == '_') {
                int end = i;
                while (end < n && isIdentChar(sql.charAt(end))) end++;
                statementEnd.word(sql.substring(i, end));
                hasCode = true;
                i = end;
            } else {
                if (!Character.isWhitespace(c)) hasCode = true;
                i++;
            }
        }
        if (hasCode) out.add(sql.substring(start).strip());
        return out;
    }

    private static int skipQuoted(String sql, int i, char quote, boolean backslashEscapes) {
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            if (backslashEscapes && c == '\\') { i += 2; continue; }
            if (c == quote) {
                if (i + 1 < n && sql.charAt(i + 1) == quote) { i += 2; continue; }
                return i + 1;
            }
            i++;
        }
        return n;
    }

    /** End (exclusive) of a dollar-quote opening tag starting at i, or -1 when '$' starts no tag ($1, a lone $). */
    private static int dollarTagEnd(String sql, int i) {
        int j = i + 1;
        int n = sql.length();
        if (j < n && sql.charAt(j) == '$') return j + 1;
        if (j >= n || !(Character.isLetter(sql.charAt(j)) || sql.charAt(j) == '_')) return -1;
        while (j < n && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) j++;
        return j < n && sql.charAt(j) == '$' ? j + 1 : -1;
    }

    private static boolean isIdentChar(char c) { return Character.isLetterOrDigit(c) || c == '_' || c == '$'; }
}
