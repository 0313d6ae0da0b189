package dev.dfc.cli.dbcheck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dfc.compiler.check.SqlRef;
import java.util.List;
import org.junit.jupiter.api.Test;

class SqlLexerTest {
    private static List<String> statements(String s) {
        return SqlLexer.statements(s).stream().map(r -> s.substring(r[0], r[1])).toList();
    }

    @Test
    void splitsOnlyAtSemicolonsInCode() {
        assertEquals(List.of("SELECT ';'", " SELECT \";\"", " SELECT $$;$$", " SELECT E'\\';'", " SELECT 1 /* ; /* ; */ ; */"),
                statements("SELECT ';'; SELECT \";\"; SELECT $$;$$; SELECT E'\\';'; SELECT 1 /* ; /* ; */ ; */;"));
        assertEquals(List.of("SELECT 1 -- ;\n"), statements("SELECT 1 -- ;\n"));
        assertEquals(List.of("UPDATE t SET a = 1", " SELECT 2"), statements("UPDATE t SET a = 1; SELECT 2; ; -- done"));
    }

    @Test
    void backslashEndsAStandardStringButNotAnEscapeString() {
        assertEquals(List.of("SELECT 'a\\'", " SELECT 2"), statements("SELECT 'a\\'; SELECT 2"));
        assertEquals(List.of("SELECT e'a\\'; SELECT 2'"), statements("SELECT e'a\\'; SELECT 2'"));
    }

    @Test
    void firstKeywordSkipsCommentsAndParentheses() {
        assertEquals("SELECT", SqlLexer.firstKeyword("  -- hi\n /* x */ ((select 1))"));
        assertEquals("WITH", SqlLexer.firstKeyword("with a as (select 1) select * from a"));
        assertEquals("", SqlLexer.firstKeyword("-- nothing"));
    }

    @Test
    void onlyCodeQuestionMarksAreDoubled() {
        assertEquals("SELECT '?', \"?\", $q$?$q$, j ?? 'a' -- ?\n", SqlLexer.escapeJdbcPlaceholders("SELECT '?', \"?\", $q$?$q$, j ? 'a' -- ?\n"));
        assertEquals("SELECT a$b$ ?? 1", SqlLexer.escapeJdbcPlaceholders("SELECT a$b$ ? 1"), "a$b$ is an identifier, not a dollar quote");
    }

    @Test
    void placeholdersRememberWhereEachCharacterCameFrom() {
        String sql = "SELECT $a, $b.*";
        List<SqlRef> refs = List.of(new SqlRef(SqlRef.Kind.VALUE, "a", null, 7, 9), new SqlRef(SqlRef.Kind.ROWS, "b", null, 11, 15));

        Placeholders.Substituted sub = Placeholders.substitute(sql, refs, List.of("NULL::int", "R"));

        assertEquals("SELECT NULL::int, R", sub.text());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 9, 10, 11, 15}, sub.origins());
    }

    @Test
    void placeholderTypesFollowTheLiteralsTheRuntimeSplices() {
        assertEquals("NULL::int", Placeholders.scalar("int4"));
        assertEquals("NULL::int", Placeholders.scalar("Integer"));
        assertEquals("NULL::int", Placeholders.scalar("int8"), "a bare literal that fits is an int4");
        assertEquals("NULL::numeric", Placeholders.scalar("numeric(10, 2)"));
        assertEquals("NULL::numeric", Placeholders.scalar("double precision"));
        assertEquals("NULL::boolean", Placeholders.scalar("bool"));
        assertEquals("NULL::jsonb", Placeholders.scalar("jsonb"));
        assertEquals("NULL::text[]", Placeholders.scalar("text[]"));
        assertEquals("NULL::_int4", Placeholders.scalar("_int4"));
        // spliced as a quoted string literal, whose type the server infers from the context
        assertEquals("NULL", Placeholders.scalar("text"));
        assertEquals("NULL", Placeholders.scalar("timestamp with time zone"));
        assertEquals("NULL", Placeholders.scalar(null));
    }

    @Test
    void rowsBecomeAnEmptyRelationWithTheColumns() {
        assertEquals("(SELECT NULL::int4 AS \"id\", NULL::text AS \"Na\"\"me\" WHERE false) AS \"src\"",
                Placeholders.relation("src", List.of(new Placeholders.Column("id", "int4"), new Placeholders.Column("Na\"me", "text"))));
        assertEquals("(SELECT  WHERE false) AS \"x\"", Placeholders.relation("x", List.of()));
    }
}
