package dev.dfc.compiler.parse;

import dev.dfc.compiler.ast.Arg;
import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.ast.Param;
import dev.dfc.compiler.ast.Statement;
import java.util.stream.Collectors;

/** Prints an AST as a compact s-expression so tests can assert tree shapes in one line. */
final class SExpr {
    private SExpr() {}

    static String of(Expr e) {
        if (e instanceof Expr.Call c) {
            String args = c.args().stream().map(SExpr::of).collect(Collectors.joining(" "));
            return "(" + c.function() + (c.operator() == null ? "" : "[" + c.operator() + "]")
                    + (args.isEmpty() ? "" : " " + args) + ")";
        }
        if (e instanceof Expr.Str s) return "'" + s.value().replace("'", "''") + "'";
        if (e instanceof Expr.Num n) return n.text();
        if (e instanceof Expr.Bool b) return String.valueOf(b.value());
        if (e instanceof Expr.Null) return "null";
        if (e instanceof Expr.Cast c) return "(:: " + of(c.value()) + " " + c.type() + ")";
        throw new AssertionError(e);
    }

    static String of(Arg a) {
        return a.name() == null ? of(a.value()) : a.name() + "=>" + of(a.value());
    }

    static String of(Statement s) {
        if (s instanceof Statement.PassThrough p) return "SQL[" + p.sql() + "]";
        Statement.WorkflowDef w = (Statement.WorkflowDef) s;
        String params = w.params().stream().map(SExpr::of).collect(Collectors.joining(", "));
        return "WORKFLOW " + w.name() + "(" + params + ") " + of(w.body());
    }

    static String of(Param p) {
        return p.name() + " " + p.type() + (p.defaultSql() == null ? "" : " = " + p.defaultSql());
    }
}
