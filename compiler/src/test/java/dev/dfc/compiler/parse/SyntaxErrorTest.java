package dev.dfc.compiler.parse;

import static dev.dfc.compiler.parse.ParseTesting.describe;
import static dev.dfc.compiler.parse.ParseTesting.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.compiler.diag.Diagnostic;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Syntax errors are diagnostics with a code, a one-line message and the position of the problem. */
class SyntaxErrorTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "→", quoteCharacter = '"', value = {
        "CREATE WORKFLOW w() AS ;                    → 1:24 DF1001 mismatched input ';', expecting expression",
        "CREATE WORKFLOW w() AS 'a' ~>               → 1:30 DF1001 unexpected end of input, expecting expression",
        "CREATE WORKFLOW w() AS 'a' 'b'              → 1:28 DF1001 mismatched input ''b'', expecting one of: ';', an operator",
        "CREATE WORKFLOW w() AS 'a' |=> b            → 1:32 DF1001 mismatched input 'b', expecting string literal",
        "CREATE WORKFLOW w() 'a'                     → 1:21 DF1001 mismatched input ''a'', expecting 'AS'",
        "CREATE WORKFLOW (x int) AS 'a'              → 1:17 DF1001 mismatched input '(', expecting identifier",
        "CREATE WORKFLOW w(x) AS 'a'                 → 1:20 DF1001 mismatched input ')', expecting type name",
        "CREATE WORKFLOW w(x int DEFAULT) AS 'a'     → 1:32 DF1001 mismatched input ')', expecting default value",
        "CREATE WORKFLOW w() AS ('a' ~> 'b'          → 1:35 DF1001 unexpected end of input, expecting one of: ')', an operator",
        "CREATE WORKFLOW w() AS df.sql(foo bar)      → 1:35 DF1001 mismatched input 'bar', expecting one of: '=>', '.', '('",
        "CREATE WORKFLOW w() AS df.sql('a',)         → 1:35 DF1001 mismatched input ')', expecting expression",
        "CREATE WORKFLOW w() AS 'a' ~> * 'b'         → 1:31 DF1001 mismatched input '*', expecting expression",
        "CREATE WORKFLOW w() AS 'a' ~> + 'b'         → 1:33 DF1001 mismatched input ''b'', expecting number",
        "CREATE WORKFLOW w() AS 'a' ~> {             → 1:31 DF1003 invalid character '{' (U+007B)",
        "CREATE WORKFLOW w() AS 'SELECT 1' ~> $a     → 1:38 DF1003 invalid character '$' (U+0024)",
        "CREATE WORKFLOW w() AS 'a' ~> 'b' CREATE TABLE t(x int) → 1:35 DF1001 mismatched input 'CREATE', expecting one of: ';', an operator",
    })
    void messageAndPosition(String source, String expected) {
        List<Diagnostic> ds = parse(source).diagnostics();
        assertEquals(expected, describe(ds));
    }

    @Test
    void referenceOutsideSqlGetsAHint() {
        Diagnostic d = parse("CREATE WORKFLOW w() AS $a").diagnostics().get(0);
        assertNotNull(d.hint());
        assertTrue(d.hint().contains("inside SQL text"), d.hint());
    }

    @Test
    void endOfInputErrorsPointAfterTheLastToken() {
        assertEquals("1:30 DF1001 unexpected end of input, expecting expression",
                describe(parse("CREATE WORKFLOW w() AS 'a' ~> -- then what?\n\n").diagnostics()));
    }

    @Test
    void diagnosticsComeInSourceOrder() {
        assertEquals("""
                1:24 DF1001 mismatched input ';', expecting expression
                2:8 DF1002 unterminated string literal""",
                describe(parse("CREATE WORKFLOW w() AS ;\nSELECT 'x").diagnostics()));
    }

    @Test
    void missingSemicolonBeforeTheNextStatementGetsAHint() {
        Diagnostic d = parse("CREATE WORKFLOW w() AS 'a' ~> 'b'\nCREATE TABLE t (x int);").diagnostics().get(0);
        assertEquals("mismatched input 'CREATE', expecting one of: ';', an operator", d.message());
        assertEquals("is a ';' missing at the end of line 1?", d.hint());
    }

    @Test
    void unquotedBindNameGetsAHint() {
        Diagnostic d = parse("CREATE WORKFLOW w() AS 'SELECT 1' |=> /* c */ one").diagnostics().get(0);
        assertEquals("a result name is a string literal: |=> 'one'", d.hint());
    }

    @Test
    void longOrMultiLineTokensAreShortenedInMessages() {
        String d = describe(parse("CREATE WORKFLOW w() AS 'a' 'first line\nsecond line of a long string'").diagnostics());
        assertEquals("1:28 DF1001 mismatched input ''first line\\nsecond line ...', expecting one of: ';', an operator", d);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "→", quoteCharacter = '"', value = {
        "SELECT 1; SELECT 'abc             → 1:18 DF1002 unterminated string literal",
        "SELECT E'abc\\'                   → 1:8 DF1002 unterminated string literal",
        "SELECT U&'abc                     → 1:8 DF1002 unterminated string literal",
        "SELECT \"abc                      → 1:8 DF1002 unterminated quoted identifier",
        "DO $body$ BEGIN END $$;           → 1:4 DF1002 unterminated dollar-quoted string $body$",
        "SELECT 1 /* a /* b */             → 1:10 DF1002 unterminated /* comment",
        "CREATE WORKFLOW w() AS 'a' ~> 'b  → 1:31 DF1002 unterminated string literal",
    })
    void unterminatedLiteralsPointAtWhereTheyStart(String source, String expected) {
        List<Diagnostic> ds = parse(source).diagnostics();
        assertEquals(expected, describe(ds));
        assertNotNull(ds.get(0).hint());
    }

    @Test
    void unterminatedSpanCoversTheOpeningDelimiter() {
        Diagnostic d = parse("SELECT $tag$ x").diagnostics().get(0);
        assertEquals("$tag$", d.span().text());
    }

    @Test
    void controlCharactersAreInvalidEvenInPassThroughSql() {
        assertEquals("1:10 DF1003 invalid character U+0001", describe(parse("SELECT 1 \u0001;").diagnostics()));
        assertEquals("", describe(parse("SELECT '\u0001'; -- \u0002\n").diagnostics()));
    }

    @Test
    void nulIsInvalidEverywhereEvenInsideLiteralsAndComments() {
        assertEquals("1:16 DF1003 invalid character U+0000",
                describe(parse("SELECT 'SELECT \u0000 1';").diagnostics()));
        assertEquals("1:31 DF1003 invalid character U+0000\n2:6 DF1003 invalid character U+0000",
                describe(parse("CREATE WORKFLOW w AS 'SELECT 1\u0000';\n-- a \u0000\n").diagnostics()));
        assertEquals("1:10 DF1003 invalid character U+0000", describe(parse("SELECT 1 \u0000;").diagnostics()));
    }

    @Test
    void createOrReplaceWorkflowIsRejectedNotPassedThrough() {
        Parser.ParseResult r = parse("create or replace /* c */ Workflow w() AS 'a';\nCREATE OR REPLACE VIEW v AS SELECT 1;");
        assertEquals("1:1 DF1004 CREATE OR REPLACE WORKFLOW is not supported", describe(r.diagnostics()));
        assertEquals("create or replace /* c */ Workflow", r.diagnostics().get(0).span().text());
        assertEquals(List.of("SQL[CREATE OR REPLACE VIEW v AS SELECT 1]"),
                r.script().statements().stream().map(SExpr::of).toList());
    }

    @Test
    void zeroLengthQuotedIdentifier() {
        assertEquals("1:17 DF1005 zero-length quoted identifier",
                describe(parse("CREATE WORKFLOW \"\"() AS 'a'").diagnostics()));
        assertEquals("", describe(parse("SELECT '\"\"', \"\"\"\"\"\"").diagnostics()));
    }

    @Test
    void recoveryAtStatementBoundariesReportsEveryBadStatement() {
        String text = """
                CREATE WORKFLOW a() AS 'x' ~> ;
                CREATE TABLE t (id int);
                CREATE WORKFLOW b(n int DEFAULT 1) AS df.sql('y' 'z');
                CREATE WORKFLOW c() AS 'fine';
                """;
        Parser.ParseResult r = parse(text);
        assertEquals("""
                1:31 DF1001 mismatched input ';', expecting expression
                3:50 DF1001 mismatched input ''z'', expecting one of: ',', ')', an operator""",
                describe(r.diagnostics()));
        assertEquals(List.of("SQL[CREATE TABLE t (id int)]", "WORKFLOW c() 'fine'"),
                r.script().statements().stream().map(SExpr::of).toList());
    }

    @Test
    void nothingIsInsertedOrDeleted() {
        // ANTLR's default strategy would "fix" these by inserting ')' or deleting 'b' and move on.
        Parser.ParseResult missing = parse("CREATE WORKFLOW w() AS df.sql('a' ; SELECT 1");
        assertEquals(1, missing.diagnostics().size());
        assertEquals(List.of("SQL[SELECT 1]"), missing.script().statements().stream().map(SExpr::of).toList());
        Parser.ParseResult extra = parse("CREATE WORKFLOW w() AS df.sql('a')) ; SELECT 1");
        assertEquals("1:35 DF1001 mismatched input ')', expecting one of: ';', an operator", describe(extra.diagnostics()));
        assertEquals(1, extra.script().statements().size());
    }
}
