package dev.dfc.compiler.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.dfc.compiler.Compilation;
import dev.dfc.compiler.Compiler;
import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.SourceFile;
import dev.dfc.compiler.source.Span;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * 10,000 levels of nesting must be a DF4002 diagnostic, never a StackOverflowError; a chain of
 * 10,000 steps written with operators is a long workflow, not deep nesting, and compiles.
 */
class DeepNestingTest {
    private static final int LEVELS = 10_000;

    @Test
    void tenThousandChainedStepsCompile() {
        StringBuilder text = new StringBuilder("CREATE WORKFLOW deep AS 'SELECT 0'");
        for (int i = 1; i < LEVELS; i++) text.append("\n    ~> 'SELECT ").append(i).append('\'');
        text.append(";\n");
        Compilation c = Compiler.compile(List.of(new SourceFile("deep.dfsql", text.toString())));
        assertEquals(List.of(), c.diagnostics(), c.diagnostics().toString());
        assertEquals(true, c.sql().contains("WHEN " + LEVELS + " THEN"), "one state per step");
    }

    @Test
    void tenThousandNestedParenthesesFromSource() {
        String text = "CREATE WORKFLOW deep AS " + "df.seq('SELECT 1', ".repeat(LEVELS) + "'SELECT 2'"
                + ")".repeat(LEVELS) + ";\n";
        Compilation c = Compiler.compile(List.of(new SourceFile("deep.dfsql", text)));
        assertNull(c.sql());
        assertEquals(List.of("DF4002"), c.diagnostics().stream().map(Diagnostic::code).toList(), c.diagnostics().toString());
    }

    /**
     * Parentheses make no node, so they do not count toward the limit (pg_durable's 256 is a depth
     * of nodes), however many there are: 100,000 around one step compile, without a stack overflow.
     */
    @Test
    void aHundredThousandRedundantParenthesesCompile() {
        int n = 100_000;
        String text = "CREATE WORKFLOW deep AS " + "(".repeat(n) + "'SELECT 1'" + ")".repeat(n) + " ~> 'SELECT 2';\n";
        Compilation c = Compiler.compile(List.of(new SourceFile("deep.dfsql", text)));
        assertEquals(List.of(), c.diagnostics(), c.diagnostics().toString());
        assertEquals(true, c.sql().contains("WHEN 2 THEN"), "two steps");
    }

    @Test
    void parenthesesAroundNodesDoNotCount() {
        int depth = Checker.MAX_DEPTH - 1; // calls around the step, which is a level too
        String nested = "df.retry(".repeat(depth) + "'SELECT 1'" + ", 2)".repeat(depth);
        String text = "CREATE WORKFLOW at_limit AS " + "(".repeat(1000) + nested + ")".repeat(1000) + ";\n"
                + "CREATE WORKFLOW over AS df.retry(" + nested + ", 2);\n";
        Compilation c = Compiler.compile(List.of(new SourceFile("deep.dfsql", text)));
        assertEquals(List.of("DF4002 2"), c.diagnostics().stream().map(d -> d.code() + " " + d.span().line()).toList(),
                c.diagnostics().toString());
    }

    @Test
    void tenThousandLevelsBuiltByHandOnThisThread() {
        SourceFile file = new SourceFile("deep.dfsql", "'SELECT 1'");
        Span span = file.span(0, file.text().length());
        Expr body = new Expr.Str(span, "SELECT 1");
        for (int i = 0; i < LEVELS; i++) {
            body = TestAst.call("df.seq", span, null, new Expr.Str(span, "SELECT 1"), body);
        }
        TestAst t = new TestAst("deep.dfsql", "'SELECT 1'");
        List<Diagnostic> ds = Checker.check(List.of(t.script(t.workflow("deep", span, List.of(), body))),
                StringOffsets.SIMPLE);
        assertEquals(List.of("DF4002"), ds.stream().map(Diagnostic::code).toList());
    }
}
