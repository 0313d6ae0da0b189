package dev.dfc.compiler.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SqlScannerTest {
    private static List<String> refs(String sql) {
        return SqlScanner.references(sql).stream()
                .map(r -> r.kind() + " " + r.name() + (r.column() == null ? "" : "." + r.column())
                        + " " + sql.substring(r.start(), r.end()))
                .toList();
    }

    @Test
    void longestFormWins() {
        assertEquals(List.of(
                "ROWS a $a.*",
                "NULLSAFE a.col $a.col?",
                "VALUE a.col $a.col",
                "NULLSAFE a $a?",
                "VALUE a $a"),
                refs("SELECT * FROM $a.* WHERE x = $a.col? AND y = $a.col AND z = $a? AND w = $a"));
    }

    @Test
    void referencesEndAtNonIdentifierCharacters() {
        assertEquals(List.of("VALUE a_1 $a_1", "VALUE b $b"), refs("SELECT $a_1+$b::int"));
        assertEquals(List.of("VALUE a $a"), refs("SELECT $a.1"));
    }

    @Test
    void quotedTextIsNotAReference() {
        assertEquals(List.of("VALUE real $real"), refs("SELECT '$no', 'it''s $no', \"$no\", \"a\"\"$no\", $real"));
        assertEquals(List.of("VALUE real $real"), refs("SELECT E'\\' $no', $real"));
        // without E, a backslash is data: the string ends at the second quote
        assertEquals(List.of("VALUE yes $yes"), refs("SELECT '\\', $yes"));
    }

    @Test
    void commentsAreNotReferences() {
        assertEquals(List.of("VALUE real $real"), refs("SELECT -- $no\n $real /* $no /* nested $no */ $no */"));
    }

    @Test
    void dollarQuotesAreNotReferences() {
        assertEquals(List.of("VALUE real $real"), refs("SELECT $$ $no $$, $tag$ $no $$ $no $tag$, $real"));
        assertEquals(List.of("VALUE real $real"), refs("DO $body$ BEGIN PERFORM $no; END $body$; SELECT $real"));
    }

    @Test
    void positionalParametersAndIdentifierDollarsAreNotReferences() {
        assertEquals(List.of(), refs("SELECT $1, $23, foo$bar, x$1"));
    }

    @Test
    void unterminatedDollarTagIsAReference() {
        assertEquals(List.of("VALUE a $a"), refs("SELECT $a$"));
    }

    @Test
    void detectsTrailingLineComment() {
        assertTrue(SqlScanner.endsInLineComment("SELECT 1 -- note"));
        assertFalse(SqlScanner.endsInLineComment("SELECT 1 -- note\n"));
        assertFalse(SqlScanner.endsInLineComment("SELECT '--'"));
        assertFalse(SqlScanner.endsInLineComment("SELECT $$ -- $$"));
    }
}
