package dev.dfc.compiler.check;

import dev.dfc.compiler.ast.Arg;
import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.check.NodeFunctions.Signature;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.Span;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Control-flow checks of one workflow body (DF4xxx): {@code df.break} outside any loop (DF4001),
 * and steps that can never run (DF4101, a warning) because a step before them in the same sequence
 * never finishes: a loop with neither a break nor a condition, or a {@code df.break}, which leaves
 * its loop.
 *
 * <p>One walk over the node positions computes, for each node, whether it can finish normally (so
 * that what follows it in a sequence runs): a join finishes when all its branches can, a race or
 * an if when one branch or arm can; a loop when its body holds a break for it or it has a
 * condition.
 */
final class ControlFlow {
    private final List<Diagnostic> out;
    /** One entry per enclosing loop: whether a break for that loop was seen. */
    private final Deque<boolean[]> loops = new ArrayDeque<>();
    /** Undo arms of '<->' being walked. */
    private int undoDepth;
    /** The loop or break that most recently made a node unable to finish. */
    private Expr.Call blocker;

    private ControlFlow(List<Diagnostic> out) {
        this.out = out;
    }

    static void check(Expr body, List<Diagnostic> out) {
        new ControlFlow(out).finishes(body);
    }

    /** Walks a node position; true when the node can finish normally. */
    private boolean finishes(Expr e) {
        if (!(e instanceof Expr.Call call)) return true;
        Signature sig = NodeFunctions.lookup(call.function());
        if (sig == null) return true;
        Expr[] a = slots(call, sig);
        switch (sig.name()) {
            case "df.break":
                if (loops.isEmpty()) {
                    out.add(Diagnostic.error("DF4001", call.nameSpan(), "df.break outside a loop")
                            .withHint(undoDepth > 0
                                    ? "the undo of '<->' runs on its own after a later failure: df.break there can only end a loop inside the undo"
                                    : "df.break ends the innermost enclosing '@>' or df.loop; it is not inside one"));
                    return true;
                }
                loops.peek()[0] = true;
                blocker = call;
                return false;
            case "df.seq":
                return sequence(a);
            case "df.loop": {
                loops.push(new boolean[1]);
                finishes(a[0]);
                finishes(a[1]);
                boolean broken = loops.pop()[0];
                if (broken || a[1] != null) return true;
                blocker = call;
                return false;
            }
            case "df.join", "df.join3": {
                boolean all = true;
                for (Expr branch : a) all &= finishes(branch);
                return all;
            }
            case "df.race": {
                boolean any = false;
                for (Expr branch : a) any |= finishes(branch);
                return any;
            }
            case "df.if": {
                boolean condition = finishes(a[0]);
                boolean then = finishes(a[1]);
                boolean otherwise = finishes(a[2]);
                return condition && (then || otherwise);
            }
            case "df.if_rows": {
                boolean then = finishes(a[1]);
                boolean otherwise = finishes(a[2]);
                return then || otherwise;
            }
            case "df.with_undo": {
                boolean done = finishes(a[0]);
                // the undo runs on its own thread after a failure: no loop around it to leave
                Deque<boolean[]> outer = new ArrayDeque<>(loops);
                loops.clear();
                undoDepth++;
                finishes(a[1]);
                undoDepth--;
                loops.addAll(outer);
                return done;
            }
            case "df.as", "df.retry", "df.timeout":
                return finishes(a[0]);
            default:
                return true;
        }
    }

    /** A chain of ~> (however nested) as one list of steps, so a run of unreachable steps is one warning. */
    private boolean sequence(Expr[] a) {
        boolean reachable = true;
        boolean reported = false;
        for (Expr step : steps(a)) {
            if (!reachable && !reported) {
                reported = true;
                unreachable(step);
            }
            if (!finishes(step)) reachable = false;
        }
        return reachable;
    }

    private void unreachable(Expr step) {
        Span at = step.span();
        Expr.Call cause = blocker;
        if (cause != null && cause.function().equals("df.break")) {
            out.add(Diagnostic.warning("DF4101", at, "unreachable step: the df.break before it always leaves the loop")
                    .withHint("df.break at line " + cause.nameSpan().line() + " ends the loop; remove this step or move it before the break"));
        } else {
            String where = cause == null ? "" : " at line " + cause.nameSpan().line();
            out.add(Diagnostic.warning("DF4101", at, "unreachable step: the loop" + where + " before it never ends")
                    .withHint("add df.break() inside the loop, or give it a condition: df.loop(body, condition)"));
        }
    }

    /** The steps of a df.seq chain in order, without recursion (chains of thousands of steps are common). */
    private static List<Expr> steps(Expr[] a) {
        List<Expr> steps = new ArrayList<>();
        Deque<Expr> todo = new ArrayDeque<>();
        for (int i = a.length - 1; i >= 0; i--) if (a[i] != null) todo.push(a[i]);
        while (!todo.isEmpty()) {
            Expr e = todo.pop();
            if (e instanceof Expr.Call c && c.function().equals("df.seq") && c.args().size() == 2
                    && c.args().get(0).name() == null && c.args().get(1).name() == null) {
                todo.push(c.args().get(1).value());
                todo.push(c.args().get(0).value());
            } else {
                steps.add(e);
            }
        }
        return steps;
    }

    /** Arguments by parameter position, ignoring misnamed or surplus ones (the checker reports those). */
    static Expr[] slots(Expr.Call call, Signature sig) {
        int n = sig.variadic() ? Math.max(call.args().size(), sig.params().size()) : sig.params().size();
        Expr[] slots = new Expr[n];
        int next = 0;
        for (Arg a : call.args()) {
            int at = a.name() == null ? next++ : sig.positionOf(a.name());
            if (at < 0 || at >= n || slots[at] != null) continue;
            slots[at] = a.value();
        }
        return slots;
    }
}
