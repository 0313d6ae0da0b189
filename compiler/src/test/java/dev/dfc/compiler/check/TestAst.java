package dev.dfc.compiler.check;

import dev.dfc.compiler.ast.Arg;
import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.ast.Param;
import dev.dfc.compiler.ast.Script;
import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.parse.StringLiteral;
import dev.dfc.compiler.source.SourceFile;
import dev.dfc.compiler.source.Span;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds ASTs by hand over a real source text, so passes can be tested without the parser: each
 * node's span is found by searching its text in the source, left to right.
 */
public final class TestAst {
    public final SourceFile file;
    private int cursor;

    public TestAst(String path, String text) {
        this.file = new SourceFile(path, text);
    }

    public Span find(String text) {
        int at = file.text().indexOf(text, cursor);
        if (at < 0) throw new IllegalArgumentException("not in source after " + cursor + ": " + text);
        cursor = at + text.length();
        return file.span(at, at + text.length());
    }

    public Span findFrom(int from, String text) {
        cursor = from;
        return find(text);
    }

    public Expr.Str str(String raw) {
        Span span = find(raw);
        return new Expr.Str(span, StringLiteral.decode(raw).value());
    }

    public static Expr.Call call(String function, Span nameSpan, String operator, Expr... args) {
        List<Arg> list = new ArrayList<>();
        for (Expr a : args) list.add(new Arg(a.span(), null, a));
        Span span = nameSpan;
        for (Expr a : args) span = span.to(a.span());
        return new Expr.Call(span, function, nameSpan, list, operator);
    }

    /** {@code x ~> y}, the operator span found after x. */
    public Expr.Call seq(Expr x, Expr y) {
        return call("df.seq", new Span(file, x.span().end(), x.span().end()), "~>", x, y);
    }

    public Expr.Call as(Expr x, Expr.Str name) {
        return call("df.as", new Span(file, x.span().end(), name.span().start()), "|=>", x, name);
    }

    public Param param(String name, String type) {
        Span n = find(name);
        Span t = find(type);
        return new Param(n.to(t), name, n, type, t, null);
    }

    public Statement.WorkflowDef workflow(String name, Span nameSpan, List<Param> params, Expr body) {
        return new Statement.WorkflowDef(file.span(0, body.span().end()), name, nameSpan, params, body);
    }

    public Script script(Statement... statements) {
        return new Script(file, List.of(statements));
    }
}
