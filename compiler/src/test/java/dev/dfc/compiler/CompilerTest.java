package dev.dfc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.compiler.ast.Arg;
import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.ast.Script;
import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.SourceFile;
import dev.dfc.compiler.source.Span;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompilerTest {
    private static final String FLOW = """
            CREATE TABLE IF NOT EXISTS t (x int);
            CREATE WORKFLOW a (n int DEFAULT 1) AS 'SELECT $n AS v' |=> 'v' ~> 'INSERT INTO t VALUES ($v)';
            CREATE WORKFLOW b AS 'SELECT 1';
            """;

    @Test
    void compilingTwiceGivesIdenticalOutput() {
        String one = Compiler.compile(List.of(new SourceFile("f.dfsql", FLOW))).sql();
        String two = Compiler.compile(List.of(new SourceFile("f.dfsql", FLOW))).sql();
        assertNotNull(one);
        assertEquals(one, two);
    }

    @Test
    void versionDependsOnMeaningNotSpelling() {
        String ops = Compiler.compile(List.of(new SourceFile("f.dfsql",
                "CREATE WORKFLOW w AS 'SELECT 1' |= 'a' ~ 'SELECT $a';"))).sql();
        String fn = Compiler.compile(List.of(new SourceFile("f.dfsql",
                "CREATE WORKFLOW w AS\n  df.seq(df.sql('SELECT 1') |=> 'a', 'SELECT $a') -- same\n;"))).sql();
        String other = Compiler.compile(List.of(new SourceFile("f.dfsql",
                "CREATE WORKFLOW w AS 'SELECT 2' |=> 'a' ~> 'SELECT $a';"))).sql();
        assertEquals(version(ops), version(fn));
        assertTrue(!version(ops).equals(version(other)));
    }

    private static String version(String sql) {
        int at = sql.indexOf("p_version  => '") + "p_version  => '".length();
        return sql.substring(at, at + 16);
    }

    @Test
    void diagnosticsAreSortedByFileThenPosition() {
        SourceFile f1 = new SourceFile("z.dfsql", "CREATE WORKFLOW w AS 'SELECT $b' ~> 'SELECT $a';");
        SourceFile f2 = new SourceFile("a.dfsql", "CREATE WORKFLOW w AS df.nope('x');");
        List<Diagnostic> ds = Compiler.check(List.of(f1, f2));
        assertEquals(List.of("z.dfsql:1:30 DF2001", "z.dfsql:1:45 DF2001", "a.dfsql:1:17 DF2002", "a.dfsql:1:22 DF3001"),
                ds.stream().map(d -> d.span() + " " + d.code()).toList());
    }

    @Test
    void severalFilesMakeOneScriptWithOneRuntimeGuard() {
        String sql = Compiler.compile(List.of(new SourceFile("one.dfsql", "CREATE WORKFLOW one AS 'SELECT 1';"),
                new SourceFile("two.dfsql", "CREATE WORKFLOW two AS 'SELECT 2';"))).sql();
        assertEquals(1, sql.split("SELECT df._require_runtime", -1).length - 1);
        assertTrue(sql.indexOf("'one'") < sql.indexOf("'two'"));
    }

    @Test
    void anExceptionInsideAPassBecomesDF9001() {
        SourceFile file = new SourceFile("bad.dfsql", "CREATE WORKFLOW w AS df.seq(x, y);");
        Span span = file.span(0, file.text().length());
        // a malformed AST no parser produces: an argument without a value
        Expr body = new Expr.Call(span, "df.seq", span, List.of(new Arg(span, null, null), new Arg(span, null, null)), null);
        Script script = new Script(file, List.of(new Statement.WorkflowDef(span, "w", span, List.of(), body)));
        List<Throwable> seen = new java.util.ArrayList<>();
        Compilation c = Compiler.compileScripts(List.of(script), List.of(), List.of(file), true, seen::add);
        assertEquals(1, seen.size());
        assertNull(c.sql());
        assertEquals(List.of("DF9001"), c.diagnostics().stream().map(Diagnostic::code).toList());
        assertTrue(c.diagnostics().get(0).message().startsWith("internal compiler error: NullPointerException"));
    }

    @Test
    void syntaxErrorsStopTheFileButNotOthers() {
        Compilation c = Compiler.compile(List.of(new SourceFile("bad.dfsql", "CREATE WORKFLOW w AS ~> ;"),
                new SourceFile("good.dfsql", "CREATE WORKFLOW g AS 'SELECT $nope';")));
        assertNull(c.sql());
        List<String> codes = c.diagnostics().stream().map(Diagnostic::code).toList();
        assertTrue(codes.get(0).startsWith("DF1"), codes.toString());
        assertEquals("DF2001", codes.get(codes.size() - 1));
    }

    @Test
    void guardSaysClearlyWhenTheRuntimeIsMissing() {
        String sql = Compiler.compile(List.of(new SourceFile("one.dfsql", "CREATE WORKFLOW one AS 'SELECT 1';"))).sql();
        int guard = sql.indexOf("IF to_regprocedure('df._require_runtime(text)') IS NULL THEN");
        assertTrue(guard > 0 && guard < sql.indexOf("SELECT df._require_runtime('"), sql);
        assertTrue(sql.contains("RAISE EXCEPTION 'the dfc runtime is not installed in this database'"), sql);
        assertTrue(sql.contains("HINT = 'Install it with dfc runtime --install --db URL, or CREATE EXTENSION dfc.'"), sql);
    }
}
