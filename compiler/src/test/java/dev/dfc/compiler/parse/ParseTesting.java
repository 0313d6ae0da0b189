package dev.dfc.compiler.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.SourceFile;
import java.util.List;
import java.util.stream.Collectors;

/** Shared helpers for the parser tests. */
final class ParseTesting {
    private ParseTesting() {}

    static Parser.ParseResult parse(String text) {
        return Parser.parse(new SourceFile("test.dfsql", text));
    }

    /** Parses a file that must be clean and returns its statements. */
    static List<Statement> statements(String text) {
        Parser.ParseResult r = parse(text);
        assertTrue(r.diagnostics().isEmpty(), () -> "unexpected diagnostics for " + text + ":\n" + describe(r.diagnostics()));
        return r.script().statements();
    }

    /** The body of a one-workflow file whose body is {@code body}. */
    static Expr body(String body) {
        List<Statement> s = statements("CREATE WORKFLOW w() AS " + body + ";");
        assertEquals(1, s.size());
        return ((Statement.WorkflowDef) s.get(0)).body();
    }

    static String tree(String body) {
        return SExpr.of(body(body));
    }

    static String describe(List<Diagnostic> diagnostics) {
        return diagnostics.stream()
                .map(d -> d.span().line() + ":" + d.span().column() + " " + d.code() + " " + d.message())
                .collect(Collectors.joining("\n"));
    }
}
