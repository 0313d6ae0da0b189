package dev.dfc.cli.dbcheck;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Just enough of PostgreSQL's lexical rules (standard_conforming_strings on, as the runtime
 * requires) to tell SQL code from the inside of string literals, quoted identifiers, dollar
 * quotes and comments: to split a step into statements, find its first keyword, and double the
 * '?' that pgjdbc would otherwise take for a JDBC placeholder.
 */
final class SqlLexer {
    private SqlLexer() {}

    /** For each character: true when it is code, false inside a literal, quoted identifier or comment (delimiters included). */
    static boolean[] codeMask(String s) {
        boolean[] code = new boolean[s.length()];
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            char next = i + 1 < n ? s.charAt(i + 1) : '\0';
            if (c == '\'') {
                boolean escapes = i > 0 && (s.charAt(i - 1) == 'e' || s.charAt(i - 1) == 'E') && (i < 2 || !identChar(s.charAt(i - 2)));
                i = quotedEnd(s, i, '\'', escapes);
            } else if (c == '"') {
                i = quotedEnd(s, i, '"', false);
            } else if (c == '-' && next == '-') {
                int nl = s.indexOf('\n', i);
                i = nl < 0 ? n : nl;
            } else if (c == '/' && next == '*') {
                int depth = 0;
                while (i < n) {
                    if (s.startsWith("/*", i)) {
                        depth++;
                        i += 2;
                    } else if (s.startsWith("*/", i)) {
                        depth--;
                        i += 2;
                        if (depth == 0) break;
                    } else {
                        i++;
                    }
                }
            } else if (c == '$' && (i == 0 || !identChar(s.charAt(i - 1))) && dollarTagEnd(s, i) > 0) {
                String tag = s.substring(i, dollarTagEnd(s, i));
                int close = s.indexOf(tag, i + tag.length());
                i = close < 0 ? n : close + tag.length();
            } else {
                code[i] = true;
                i++;
            }
        }
        return code;
    }

    /** Past the closing quote of a literal or quoted identifier opened at {@code open} (the end of text if unclosed). */
    private static int quotedEnd(String s, int open, char quote, boolean backslashEscapes) {
        int i = open + 1;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (backslashEscapes && c == '\\') {
                i += 2;
            } else if (c == quote) {
                if (i + 1 < s.length() && s.charAt(i + 1) == quote) i += 2;
                else return i + 1;
            } else {
                i++;
            }
        }
        return s.length();
    }

    /** End of a dollar-quote tag ($$ or $name$) starting at {@code i}, or -1. */
    private static int dollarTagEnd(String s, int i) {
        int j = i + 1;
        if (j < s.length() && s.charAt(j) == '$') return j + 1;
        if (j >= s.length() || !(Character.isLetter(s.charAt(j)) || s.charAt(j) == '_')) return -1;
        while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) j++;
        return j < s.length() && s.charAt(j) == '$' ? j + 1 : -1;
    }

    private static boolean identChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    /** The statements of a text, as [start, end) ranges split at code ';' (the ';' excluded); empty ones dropped. */
    static List<int[]> statements(String s) {
        boolean[] code = codeMask(s);
        List<int[]> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= s.length(); i++) {
            if (i == s.length() || (code[i] && s.charAt(i) == ';')) {
                if (hasCode(s, code, start, i)) out.add(new int[] {start, i});
                start = i + 1;
            }
        }
        return out;
    }

    private static boolean hasCode(String s, boolean[] code, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Character.isWhitespace(s.charAt(i)) && (code[i] || s.charAt(i) == '\'' || s.charAt(i) == '"' || s.charAt(i) == '$')) return true;
        }
        return false;
    }

    /** The first word of code, upper case, skipping comments, whitespace and opening parentheses; "" when none. */
    static String firstKeyword(String s) {
        boolean[] code = codeMask(s);
        int i = 0;
        while (i < s.length() && (!code[i] || Character.isWhitespace(s.charAt(i)) || s.charAt(i) == '(')) i++;
        int start = i;
        while (i < s.length() && code[i] && Character.isLetter(s.charAt(i))) i++;
        return s.substring(start, i).toUpperCase(Locale.ROOT);
    }

    /** The text with every code '?' doubled, which pgjdbc sends to the server as one '?'. */
    static String escapeJdbcPlaceholders(String s) {
        boolean[] code = codeMask(s);
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            out.append(s.charAt(i));
            if (code[i] && s.charAt(i) == '?') out.append('?');
        }
        return out.toString();
    }
}
