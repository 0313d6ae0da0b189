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

    @Test
    void semicolonsInsideParenthesesAndBeginAtomicBodiesStayInTheStatement() {
        String rule = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))";
        assertEquals(List.of(rule, "SELECT 2"), SqlScript.split(rule + ";\nSELECT 2;"));
        String f = "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 END;\n  SELECT 2;\nEND";
        assertEquals(List.of(f, "SELECT 3"), SqlScript.split(f + ";\nSELECT 3;"));
        assertEquals(List.of("BEGIN", "SELECT 1", "END"), SqlScript.split("BEGIN; SELECT 1; END;"));
        assertEquals(List.of("SELECT E'a\\'b'", "SELECT 1)", "SELECT 2"), SqlScript.split("SELECT E'a\\'b'; SELECT 1); SELECT 2;"));
    }
}
