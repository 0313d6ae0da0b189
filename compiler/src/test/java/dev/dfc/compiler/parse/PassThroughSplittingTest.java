package dev.dfc.compiler.parse;

import static dev.dfc.compiler.parse.ParseTesting.statements;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dfc.compiler.ast.Statement;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Statement boundaries follow PostgreSQL's lexical rules, never a naive search for ';'. */
class PassThroughSplittingTest {

    private static List<String> split(String text) {
        return statements(text).stream().map(SExpr::of).collect(Collectors.toList());
    }

    /** psql sends the lines after COPY … FROM STDIN as data, up to a line \.: they are not SQL. */
    @Test
    void copyFromStdinDataIsPartOfItsStatement() {
        String text = "COPY t (a, b) FROM stdin;  -- pg_dump\n1\tit's\n2\t$$ /* \" ;\n\\.\nSELECT 2;\n"
                + "copy t from STDIN csv;\r\n3,\"x\"\r\n\\.\r\nCREATE WORKFLOW w AS 'SELECT 3';\n"
                + "COPY t FROM 'stdin';\nCOPY t TO stdout;\nCOPY t FROM STDIN;\n4\tno end'";
        Parser.ParseResult r = Parser.parse(new dev.dfc.compiler.source.SourceFile("t.dfsql", text));
        assertEquals(List.of(), r.diagnostics());
        List<Statement> st = r.script().statements();
        assertEquals(List.of("SQL[COPY t (a, b) FROM stdin]", "SQL[SELECT 2]", "SQL[copy t from STDIN csv]", "WORKFLOW w() 'SELECT 3'",
                "SQL[COPY t FROM 'stdin']", "SQL[COPY t TO stdout]", "SQL[COPY t FROM STDIN]"),
                st.stream().map(SExpr::of).toList());
        assertEquals("  -- pg_dump\n1\tit's\n2\t$$ /* \" ;\n\\.\n", ((Statement.PassThrough) st.get(0)).copyData());
        assertEquals("\r\n3,\"x\"\r\n\\.\r\n", ((Statement.PassThrough) st.get(2)).copyData());
        assertEquals(null, ((Statement.PassThrough) st.get(4)).copyData());
        assertEquals("\n4\tno end'", ((Statement.PassThrough) st.get(6)).copyData());
    }

    @Test
    void aNulInCopyDataIsAnError() {
        Parser.ParseResult r = Parser.parse(new dev.dfc.compiler.source.SourceFile("t.dfsql", "COPY t FROM stdin;\na\0b\n\\.\nSELECT 1;"));
        assertEquals(List.of("DF1003 2:2"), r.diagnostics().stream().map(d -> d.code() + " " + d.span().line() + ":" + d.span().column()).toList());
    }

    @Test
    void doBlockWithSemicolonsInsideDollarQuotes() {
        assertEquals(List.of("SQL[DO $$ BEGIN PERFORM 1; END $$]", "SQL[SELECT 2]"),
                split("DO $$ BEGIN PERFORM 1; END $$;\nSELECT 2;"));
    }

    @Test
    void functionBodyWithTaggedDollarQuote() {
        assertEquals(List.of("SQL[CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql]", "SQL[SELECT f()]"),
                split("CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\nSELECT f();"));
    }

    @Test
    void dollarQuoteTagsMustMatch() {
        assertEquals(List.of("SQL[SELECT $a$ x $b$ ; $$ ; $a$]", "SQL[SELECT 2]"),
                split("SELECT $a$ x $b$ ; $$ ; $a$; SELECT 2"));
    }

    @Test
    void semicolonsInStringsQuotedIdentifiersAndLineComments() {
        assertEquals(List.of("SQL[SELECT 'a;b', \"x;y\" -- c;\n, 2]", "SQL[SELECT 3]"),
                split("SELECT 'a;b', \"x;y\" -- c;\n, 2;\nSELECT 3;"));
    }

    @Test
    void doubledQuotesInsideStringsAndIdentifiers() {
        assertEquals(List.of("SQL[SELECT 'it'';s', \"a\"\";b\"]", "SQL[SELECT 2]"),
                split("SELECT 'it'';s', \"a\"\";b\"; SELECT 2"));
    }

    @Test
    void escapeStringWithBackslashQuote() {
        assertEquals(List.of("SQL[SELECT E'it\\'s; here', e'\\\\']", "SQL[SELECT 2]"),
                split("SELECT E'it\\'s; here', e'\\\\'; SELECT 2"));
    }

    @Test
    void unicodeEscapeString() {
        assertEquals(List.of("SQL[SELECT U&'d\\0061t;a']", "SQL[SELECT 2]"), split("SELECT U&'d\\0061t;a'; SELECT 2"));
    }

    @Test
    void nestedBlockComments() {
        assertEquals(List.of("SQL[SELECT /* a /* ; */ ; */ 1]", "SQL[SELECT 2]"),
                split("SELECT /* a /* ; */ ; */ 1; SELECT 2;"));
    }

    @Test
    void lastStatementNeedsNoSemicolonAndEmptyStatementsVanish() {
        assertEquals(List.of("SQL[SELECT 1]", "SQL[SELECT 2]"), split(";; SELECT 1;;\n ; SELECT 2\n"));
        assertEquals(List.of(), split("  -- only a comment\n/* and another */ ;"));
        assertEquals(List.of(), split(""));
    }

    @Test
    void surroundingCommentsAndWhitespaceAreTrimmedInnerOnesKept() {
        assertEquals(List.of("SQL[CREATE TABLE t (\n  id int -- key\n)]"),
                split("-- the table\n  CREATE TABLE t (\n  id int -- key\n) /* trailing */ ;\n"));
    }

    @Test
    void positionalParametersAndDollarsInIdentifiers() {
        assertEquals(List.of("SQL[PREPARE p AS SELECT $1, a$b$c FROM t]", "SQL[EXECUTE p(1)]"),
                split("PREPARE p AS SELECT $1, a$b$c FROM t; EXECUTE p(1);"));
    }

    @Test
    void workflowsAndSqlKeepTheirOrder() {
        assertEquals(List.of("SQL[CREATE TABLE t (x int)]", "WORKFLOW w() 'SELECT 1'", "SQL[SELECT df.start('w')]"),
                split("CREATE TABLE t (x int);\nCREATE WORKFLOW w() AS 'SELECT 1';\nSELECT df.start('w');"));
    }

    @Test
    void createWorkflowIsRecognisedAcrossCommentsAndCase() {
        assertEquals(List.of("WORKFLOW w() 'a'"), split("create /* c */ Workflow w() AS 'a'"));
        assertEquals(List.of("SQL[CREATE TABLE workflow (create int)]", "SQL[CREATE]"),
                split("CREATE TABLE workflow (create int); CREATE"));
    }

    @Test
    void workflowOperatorsInsideSqlArePlainText() {
        assertEquals(List.of("SQL[SELECT df.start('SELECT 1' |=> 'a' ~> 'SELECT $a + 1', 'my-job')]"),
                split("SELECT df.start('SELECT 1' |=> 'a' ~> 'SELECT $a + 1', 'my-job');"));
        assertEquals(List.of("SQL[SELECT '{\"a\":1}'::jsonb @> '{}' AND x ~ 'y' AND 1 <> 2 # 3 ? `x`]"),
                split("SELECT '{\"a\":1}'::jsonb @> '{}' AND x ~ 'y' AND 1 <> 2 # 3 ? `x`;"));
    }

    @Test
    void semicolonsInsideParenthesesDoNotEndTheStatement() {
        String rule = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))";
        assertEquals(List.of("SQL[" + rule + "]", "SQL[SELECT 2]"), split(rule + ";\nSELECT 2;"));
        // psql never lets the depth go below zero: a stray ')' does not swallow the next ';'
        assertEquals(List.of("SQL[SELECT 1)]", "SQL[SELECT 2]"), split("SELECT 1); SELECT 2;"));
    }

    @Test
    void beginAtomicBodyOfAFunctionOrProcedureIsOneStatement() {
        String f = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END";
        assertEquals(List.of("SQL[" + f + "]", "SQL[SELECT 3]"), split(f + ";\nSELECT 3;"));
        String p = "create or replace procedure p() begin atomic insert into t values (1); end";
        assertEquals(List.of("SQL[" + p + "]", "SQL[SELECT 3]"), split(p + "; SELECT 3"));
    }

    @Test
    void beginOutsideARoutineDefinitionIsNotABlock() {
        assertEquals(List.of("SQL[BEGIN]", "SQL[SELECT 1]", "SQL[END]"), split("BEGIN; SELECT 1; END;"));
        assertEquals(List.of("SQL[CREATE TABLE begin (x int)]", "SQL[SELECT 1]"), split("CREATE TABLE begin (x int); SELECT 1;"));
        // CASE … END outside a BEGIN block of a routine does not count either
        assertEquals(List.of("SQL[CREATE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql]", "SQL[SELECT 2]"),
                split("CREATE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql; SELECT 2;"));
    }

    @Test
    void passThroughSpanIsTheTrimmedStatement() {
        Statement s = statements("\n\n  SELECT 1 ;").get(0);
        assertEquals(3, s.span().line());
        assertEquals(3, s.span().column());
        assertEquals("SELECT 1", s.span().text());
    }
}
