package dev.dfc.compiler.lower;

import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.ast.Param;
import dev.dfc.compiler.ast.Script;
import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.check.SqlRef;
import dev.dfc.compiler.check.SqlScanner;
import dev.dfc.compiler.ir.Program;
import dev.dfc.compiler.ir.State;
import dev.dfc.compiler.ir.Workflow;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a checked AST into the state-machine IR; the one place that decides how control flow maps
 * to states. Each node lowers to a fragment: its entry state and the states that leave it (whose
 * {@code next} is patched to whatever follows). States are numbered in source order.
 *
 * <p>Input must have passed the checker without errors: shapes are trusted here.
 */
public final class Lowering {
    private final String sourcePath;
    private final List<Pending> states = new ArrayList<>();

    private Lowering(String sourcePath) {
        this.sourcePath = sourcePath;
    }

    /** Lowers every statement of a script. */
    public static Program.Unit lower(Script script) {
        List<Program.Item> items = new ArrayList<>();
        for (Statement st : script.statements()) {
            if (st instanceof Statement.WorkflowDef wf) items.add(workflow(wf, script.file().path()));
            else if (st instanceof Statement.PassThrough p) items.add(passThrough(p));
        }
        return new Program.Unit(script.file().path(), items);
    }

    public static Workflow workflow(Statement.WorkflowDef wf, String sourcePath) {
        Lowering lowering = new Lowering(sourcePath);
        lowering.node(wf.body());
        List<State> states = new ArrayList<>();
        for (Pending p : lowering.states) states.add(p.freeze());
        List<Workflow.Parameter> params = new ArrayList<>();
        for (Param p : wf.params()) params.add(new Workflow.Parameter(p.name(), p.type(), p.defaultSql()));
        return new Workflow(wf.name(), Canonical.version(wf), sourcePath, wf.span().line(), params, states,
                wf.scriptMode());
    }

    private static Program.PassThrough passThrough(Statement.PassThrough p) {
        List<Program.Rewrite> rewrites = new ArrayList<>();
        for (Statement.Rewrite r : p.rewrites()) rewrites.add(new Program.Rewrite(r.start(), r.end(), r.workflow()));
        return new Program.PassThrough(p.sql(), rewrites);
    }

    /** A state under construction: {@code next} and {@code bind} are patched as fragments are joined. */
    private static final class Pending {
        final int id;
        final Expr.Str query;
        final Expr origin;
        String excerpt;
        String bind;
        Integer next;

        Pending(int id, Expr.Str query, Expr origin) {
            this.id = id;
            this.query = query;
            this.origin = origin;
            this.excerpt = origin.span().text();
        }

        State freeze() {
            return new State.Sql(id, query.value(), parts(query.value()), bind, next,
                    origin.span().line(), origin.span().column(), excerpt);
        }
    }

    /** Entry state and the states whose successor is whatever follows the fragment. */
    private record Fragment(Pending entry, List<Pending> exits) {}

    private Fragment node(Expr e) {
        if (e instanceof Expr.Str s) return step(s, s);
        Expr.Call call = (Expr.Call) e;
        switch (call.function()) {
            case "df.sql":
                return step((Expr.Str) call.args().get(0).value(), call);
            case "df.seq": {
                Fragment first = node(arg(call, 0, "first"));
                Fragment then = node(arg(call, 1, "then"));
                for (Pending exit : first.exits()) exit.next = then.entry().id;
                return new Fragment(first.entry(), then.exits());
            }
            case "df.as": {
                Expr inner = arg(call, 0, "node");
                Fragment f = node(inner);
                String name = ((Expr.Str) arg(call, 1, "name")).value();
                for (Pending exit : f.exits()) {
                    exit.bind = name;
                    if (exit.origin == inner) exit.excerpt = call.span().text();
                }
                return f;
            }
            default:
                throw new IllegalStateException("cannot lower " + call.function() + " (the checker should have refused it)");
        }
    }

    private Fragment step(Expr.Str query, Expr origin) {
        Pending p = new Pending(states.size() + 1, query, origin);
        states.add(p);
        return new Fragment(p, List.of(p));
    }

    /** The argument at a position, or given by name. */
    private static Expr arg(Expr.Call call, int position, String name) {
        for (var a : call.args()) if (name.equals(a.name())) return a.value();
        int i = 0;
        for (var a : call.args()) {
            if (a.name() == null && i++ == position) return a.value();
        }
        throw new IllegalStateException(call.function() + " lacks argument " + name);
    }

    /** Splits SQL text into literal text and references. */
    static List<State.Part> parts(String sql) {
        List<State.Part> parts = new ArrayList<>();
        int at = 0;
        for (SqlRef r : SqlScanner.references(sql)) {
            if (r.start() > at) parts.add(new State.Text(sql.substring(at, r.start())));
            parts.add(new State.Ref(r.kind(), r.name(), r.column()));
            at = r.end();
        }
        if (at < sql.length() || parts.isEmpty()) parts.add(new State.Text(sql.substring(at)));
        return parts;
    }
}
