package dev.dfc.compiler.parse;

import static dev.dfc.compiler.parse.ParseTesting.statements;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.dfc.compiler.ast.Arg;
import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.ast.Param;
import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.source.SourceFile;
import dev.dfc.compiler.source.Span;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Names, parameters and the spans every node carries. */
class WorkflowDefinitionTest {

    private static Statement.WorkflowDef workflow(String text) {
        return (Statement.WorkflowDef) statements(text).get(0);
    }

    @Test
    void namesAreFoldedAsPostgreSQLFoldsIdentifiers() {
        assertEquals("ingest", workflow("CREATE WORKFLOW Ingest() AS 'a'").name());
        assertEquals("etl.ingest_docs", workflow("CREATE WORKFLOW ETL.Ingest_Docs() AS 'a'").name());
        assertEquals("Etl.My \"Flow\"", workflow("CREATE WORKFLOW \"Etl\".\"My \"\"Flow\"\"\"() AS 'a'").name());
        assertEquals("créé", workflow("CREATE WORKFLOW créé() AS 'a'").name());
        assertEquals("workflow", workflow("CREATE WORKFLOW workflow AS 'a'").name());
    }

    @Test
    void parametersWithMultiWordArrayAndModifiedTypes() {
        List<Param> ps = workflow("""
                CREATE WORKFLOW w (
                    batch_size int DEFAULT 100,
                    source text,
                    Ratio double  precision DEFAULT 0.5,
                    at timestamp(3) with time zone DEFAULT now(),
                    code varchar(10) DEFAULT 'a,b',
                    ids int[] DEFAULT ARRAY[1, 2],
                    grid numeric(10,2)[][],
                    doc jsonb DEFAULT '{"a": [1, 2]}'::jsonb,
                    "Quoted" public."MyType" DEFAULT (1 + (2 * 3)),
                    neg int DEFAULT -1
                ) AS 'SELECT 1'""").params();
        assertEquals(List.of(
                "batch_size int = 100",
                "source text",
                "ratio double precision = 0.5",
                "at timestamp(3) with time zone = now()",
                "code varchar(10) = 'a,b'",
                "ids int[] = ARRAY[1, 2]",
                "grid numeric(10,2)[][]",
                "doc jsonb = '{\"a\": [1, 2]}'::jsonb",
                "Quoted public.\"MyType\" = (1 + (2 * 3))",
                "neg int = -1"), ps.stream().map(SExpr::of).toList());
        assertNull(ps.get(1).defaultSql());
    }

    @Test
    void parameterSpans() {
        Param p = workflow("CREATE WORKFLOW w(\n  n  int  DEFAULT 10\n) AS 'a'").params().get(0);
        assertEquals("n  int  DEFAULT 10", p.span().text());
        assertEquals("n", p.nameSpan().text());
        assertEquals("int", p.typeSpan().text());
        assertEquals(2, p.nameSpan().line());
        assertEquals(3, p.nameSpan().column());
        assertEquals(6, p.typeSpan().column());
    }

    @Test
    void emptyAndOmittedParameterLists() {
        assertEquals(List.of(), workflow("CREATE WORKFLOW w() AS 'a'").params());
        assertEquals(List.of(), workflow("CREATE WORKFLOW w AS 'a'").params());
    }

    @Test
    void spansOfNodesHaveLineAndColumn() {
        String text = """
                -- header
                CREATE WORKFLOW quickstart (n int)
                AS
                    'SELECT 41 AS answer' |=> 'a'
                    ~> df.sleep(seconds => 1)
                    ~> 'SELECT $a + 1';
                """;
        Statement.WorkflowDef w = workflow(text);
        assertEquals(pos(2, 1), pos(w.span()));
        assertEquals("quickstart", w.nameSpan().text());
        assertEquals(pos(2, 17), pos(w.nameSpan()));
        assertEquals(text.substring(text.indexOf("CREATE"), text.lastIndexOf(';')), w.span().text());

        Expr.Call outer = (Expr.Call) w.body();
        assertEquals("df.seq", outer.function());
        assertEquals(pos(4, 5), pos(outer.span()));
        assertEquals(pos(6, 5), pos(outer.nameSpan()));
        Expr.Str last = (Expr.Str) outer.args().get(1).value();
        assertEquals(pos(6, 8), pos(last.span()));
        assertEquals("'SELECT $a + 1'", last.span().text());

        Expr.Call inner = (Expr.Call) outer.args().get(0).value();
        Expr.Call bind = (Expr.Call) inner.args().get(0).value();
        assertEquals("'SELECT 41 AS answer' |=> 'a'", bind.span().text());
        assertEquals(pos(4, 27), pos(bind.nameSpan()));

        Expr.Call sleep = (Expr.Call) inner.args().get(1).value();
        assertEquals("df.sleep(seconds => 1)", sleep.span().text());
        assertEquals("df.sleep", sleep.nameSpan().text());
        Arg named = sleep.args().get(0);
        assertEquals("seconds", named.name());
        assertEquals("seconds => 1", named.span().text());
        assertEquals(pos(5, 17), pos(named.span()));
    }

    @Test
    void spansOfOperatorsLiteralsAndCasts() {
        Statement.WorkflowDef w = workflow("CREATE WORKFLOW w() AS @> ('c' ?> -5 !> '{}'::jsonb)");
        Expr.Call loop = (Expr.Call) w.body();
        assertEquals("@> ('c' ?> -5 !> '{}'::jsonb)", loop.span().text());
        assertEquals("@>", loop.nameSpan().text());
        Expr.Call cond = (Expr.Call) loop.args().get(0).value();
        assertEquals("'c' ?> -5 !> '{}'::jsonb", cond.span().text());
        assertEquals("?>", cond.nameSpan().text());
        assertEquals("-5", cond.args().get(1).value().span().text());
        Expr.Cast cast = (Expr.Cast) cond.args().get(2).value();
        assertEquals("'{}'::jsonb", cast.span().text());
        assertEquals("jsonb", cast.type());
    }

    @Test
    void spansAreCharOffsetsEvenAfterSupplementaryCharacters() {
        String text = "SELECT '\uD83D\uDE00'; CREATE WORKFLOW w() AS 'x' ~> 'y'";
        List<Statement> s = statements(text);
        Expr.Call seq = (Expr.Call) ((Statement.WorkflowDef) s.get(1)).body();
        assertEquals("'x' ~> 'y'", seq.span().text());
        assertEquals("SELECT '\uD83D\uDE00'", s.get(0).span().text());
    }

    @Test
    void embeddedExpressionsKeepFileOffsets() {
        String sql = "SELECT df.start('SELECT 1' |=> 'a' ~> 'SELECT $a', 'job');";
        SourceFile file = new SourceFile("s.sql", sql);
        int start = sql.indexOf("'SELECT 1'");
        int end = sql.indexOf(", 'job'");
        Parser.ExpressionResult r = Parser.parseExpression(file, start, end);
        assertEquals(List.of(), r.diagnostics());
        assertEquals("(df.seq[~>] (df.as[|=>] 'SELECT 1' 'a') 'SELECT $a')", SExpr.of(r.expr()));
        assertEquals(start, r.expr().span().start());

        Parser.ExpressionResult bad = Parser.parseExpression(file, start, end - 12);
        assertNull(bad.expr());
        assertEquals("DF1001", bad.diagnostics().get(0).code());
        assertEquals(end - 12, bad.diagnostics().get(0).span().start());
    }

    private static String pos(Span s) {
        return s.line() + ":" + s.column();
    }

    private static String pos(int line, int column) {
        return line + ":" + column;
    }
}
