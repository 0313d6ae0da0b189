package dev.dfc.cli.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SqlScriptTest {
    @Test
    void splitsOnSemicolonsOutsideQuotesAndComments() {
        String script = """
                -- header; not a statement
                SELECT 'a;b', "x;y", E'it\\'s; here';
                /* outer /* nested; */ still comment; */
                CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;
                DO $body$ BEGIN PERFORM 1; END $body$;
                SELECT $1::int;;
                VACUUM
                """;

        List<String> statements = SqlScript.split(script);

        assertEquals(List.of(
                "-- header; not a statement\nSELECT 'a;b', \"x;y\", E'it\\'s; here'",
                "/* outer /* nested; */ still comment; */\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$",
                "DO $body$ BEGIN PERFORM 1; END $body$",
                "SELECT $1::int",
                "VACUUM"), statements);
    }

    @Test
    void doubledQuotesStayInsideTheString() {
        assertEquals(List.of("SELECT 'it''s; fine'", "SELECT 2"), SqlScript.split("SELECT 'it''s; fine'; SELECT 2;"));
    }

    @Test
    void backslashIsDataInStandardStrings() {
        assertEquals(List.of("SELECT 'a\\'", "SELECT 'b'"), SqlScript.split("SELECT 'a\\'; SELECT 'b';"));
    }

    @Test
    void commentOnlyTailIsDropped() {
        assertEquals(List.of("SELECT 1"), SqlScript.split("SELECT 1;\n-- the end\n"));
    }
}
