package dev.dfc.compiler.parse;

import java.util.List;
import java.util.Locale;

/**
 * psql's rule for where a statement ends (src/fe_utils/psqlscan.l): at a ';' outside parentheses
 * and outside the {@code BEGIN … END} body of {@code CREATE [OR REPLACE] FUNCTION|PROCEDURE} (there
 * BEGIN opens a block, CASE does inside one, END closes one; counted only outside parentheses).
 * Fed what psql sees of one statement, in order: parentheses and words (identifiers and keywords,
 * not quoted identifiers, strings or comments). Used by the parser to split pass-through SQL and by
 * the CLI's JDBC script runner, so that both split where psql does.
 */
public final class PsqlStatementEnd {
    private static final List<String> ROUTINE_HEAD = List.of("create", "or", "replace", "function", "procedure");

    private int parens;
    private int blocks;
    private int words;
    private final char[] leading = new char[4]; // first letters of the first four words, when routine-heading words

    public void openParen() {
        parens++;
    }

    public void closeParen() {
        if (parens > 0) parens--;
    }

    public void word(String text) {
        String word = text.toLowerCase(Locale.ROOT);
        if (words < leading.length && ROUTINE_HEAD.contains(word)) leading[words] = word.charAt(0);
        words++;
        boolean routine = leading[0] == 'c' && (leading[1] == 'f' || leading[1] == 'p'
                || (leading[1] == 'o' && leading[2] == 'r' && (leading[3] == 'f' || leading[3] == 'p')));
        if (routine && parens == 0) {
            if (word.equals("begin")) blocks++;
            else if (word.equals("case") && blocks > 0) blocks++;
            else if (word.equals("end") && blocks > 0) blocks--;
        }
    }

    /** Whether a ';' here ends the statement. */
    public boolean semicolonEnds() {
        return parens == 0 && blocks == 0;
    }
}
