package dev.dfc.compiler.lower;

import dev.dfc.compiler.ast.Arg;
import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.ast.Param;
import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.check.NodeFunctions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The canonical source of a workflow (code generation, name, parameters, body in function form, a
 * bare string written as df.sql) and its version hash. Spelling that does not change meaning — operators vs
 * function form, {@code ~} vs {@code ~>}, layout, comments — does not change the version.
 */
public final class Canonical {
    /**
     * Part of every version hash. Bump it when the generated function changes shape (signature,
     * meaning of its result), so a new compiler never tries to replace an installed version's
     * function with an incompatible one under the same name.
     */
    static final int CODEGEN_GENERATION = 1;

    private Canonical() {}

    public static String text(Statement.WorkflowDef wf) {
        StringBuilder out = new StringBuilder();
        out.append("dfc codegen ").append(CODEGEN_GENERATION).append('\n');
        out.append("workflow ").append(quote(wf.name())).append('\n');
        for (Param p : wf.params()) {
            out.append("param ").append(quote(p.name())).append(' ').append(quote(p.type()));
            if (p.defaultSql() != null) out.append(" default ").append(quote(p.defaultSql()));
            out.append('\n');
        }
        out.append("body ");
        expr(out, wf.body(), true);
        return out.append('\n').toString();
    }

    /** First 16 hex characters of the SHA-256 of {@link #text}. */
    public static String version(Statement.WorkflowDef wf) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text(wf).getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder();
            for (int i = 0; i < 8; i++) hex.append(String.format("%02x", hash[i] & 0xff));
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static void expr(StringBuilder out, Expr e, boolean nodePosition) {
        if (e instanceof Expr.Str s) {
            if (nodePosition) out.append("df.sql(").append(quote(s.value())).append(')');
            else out.append(quote(s.value()));
        } else if (e instanceof Expr.Call c && c.operator() != null
                && (c.function().equals("df.join") || c.function().equals("df.race"))) {
            // a & b & c is one fork of three branches, as lowered: df.join(a, b, c)
            out.append(c.function()).append('(');
            String sep = "";
            for (Expr branch : Lowering.branches(c)) {
                out.append(sep);
                sep = ", ";
                expr(out, branch, true);
            }
            out.append(')');
        } else if (e instanceof Expr.Call c) {
            out.append(c.function()).append('(');
            NodeFunctions.Signature sig = NodeFunctions.lookup(c.function());
            String sep = "";
            int position = 0;
            for (Arg a : c.args()) {
                out.append(sep);
                sep = ", ";
                int at = a.name() == null ? position++ : sig.positionOf(a.name());
                if (a.name() != null) out.append(a.name()).append(" => ");
                expr(out, a.value(), sig.kindAt(at) == NodeFunctions.Kind.NODE);
            }
            out.append(')');
        } else if (e instanceof Expr.Num n) {
            out.append(n.text());
        } else if (e instanceof Expr.Bool b) {
            out.append(b.value());
        } else if (e instanceof Expr.Null) {
            out.append("NULL");
        } else if (e instanceof Expr.Cast c) {
            expr(out, c.value(), false);
            out.append("::").append(c.type());
        }
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "''") + "'";
    }
}
