package dev.dfc.compiler.lower;

import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.ast.Param;
import dev.dfc.compiler.ast.Script;
import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.check.Literals;
import dev.dfc.compiler.check.NodeFunctions;
import dev.dfc.compiler.check.SqlRef;
import dev.dfc.compiler.check.SqlScanner;
import dev.dfc.compiler.check.TextRefs;
import dev.dfc.compiler.check.VarRef;
import dev.dfc.compiler.ir.Program;
import dev.dfc.compiler.ir.State;
import dev.dfc.compiler.ir.Workflow;
import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns a checked AST into the state-machine IR; the one place that decides how control flow maps
 * to states. Each node lowers to a fragment: its entry state and the states that leave it (whose
 * {@code next} is patched to whatever follows). States are numbered in source order.
 *
 * <p>Input must have passed the checker without errors: shapes are trusted here.
 */
public final class Lowering {
    private final String sourcePath;
    /** Names of the workflow's parameters: {@code {name}} naming one renders the parameter's text. */
    private final Set<String> params;
    private final List<Pending> states = new ArrayList<>();
    private final Deque<LoopScope> loops = new ArrayDeque<>();
    /** Forks entered (branches being lowered) at this point of the lowering. */
    private int forks;
    /** Depth in the expression's tree of the next state added (df.explain's layout). */
    private int depth;
    /** Whether the next state added follows another step of a sequence. */
    private boolean arrow;
    /** Label lines to print before the next state added. */
    private final List<Workflow.Label> labels = new ArrayList<>();
    /** Loops whose condition is several nodes so far: numbers their hidden names (sys_loop_1, ...). */
    private int savedResults;
    /** The THEN nodes of the tree, in the order made (children before parents); numbered after the states. */
    private final List<Then> thens = new ArrayList<>();

    private Lowering(String sourcePath, Set<String> params) {
        this.sourcePath = sourcePath;
        this.params = params;
    }

    /** Lowers every statement of a script. */
    public static Program.Unit lower(Script script) {
        List<Program.Item> items = new ArrayList<>();
        for (Statement st : script.statements()) {
            if (st instanceof Statement.WorkflowDef wf) items.add(workflow(wf, wf.span().file().path()));
            else if (st instanceof Statement.PassThrough p) items.add(passThrough(p));
        }
        return new Program.Unit(script.file().path(), items);
    }

    public static Workflow workflow(Statement.WorkflowDef wf, String sourcePath) {
        Set<String> paramNames = new TreeSet<>();
        for (Param p : wf.params()) paramNames.add(p.name());
        Lowering lowering = new Lowering(sourcePath, paramNames);
        Fragment body = lowering.node(wf.body());
        List<State> states = new ArrayList<>();
        List<Workflow.Outline> outline = new ArrayList<>();
        List<Workflow.Children> children = new ArrayList<>();
        int n = lowering.states.size();
        for (Then t : lowering.thens) t.id = ++n;
        for (Pending p : lowering.states) {
            states.add(p.freeze(paramNames));
            outline.add(p.outline);
            children.add(new Workflow.Children(id(p.left), id(p.right)));
        }
        List<Workflow.Then> thens = new ArrayList<>();
        for (Then t : lowering.thens) {
            thens.add(new Workflow.Then(t.id, id(t.left), id(t.right), t.first, t.last, t.bind,
                    t.origin.span().line(), t.origin.span().column(), t.origin.span().text()));
        }
        List<Workflow.Parameter> params = new ArrayList<>();
        for (Param p : wf.params()) params.add(new Workflow.Parameter(p.name(), p.type(), p.defaultSql()));
        return new Workflow(wf.name(), Canonical.version(wf), sourcePath, wf.span().line(), params, states,
                wf.scriptMode(), outline, new Workflow.Tree(id(body.root()), children, thens));
    }

    /** The number of a node of the tree (a state or a THEN), or null. */
    private static Integer id(Object node) {
        if (node == null) return null;
        return node instanceof Pending p ? p.id : ((Then) node).id;
    }

    /**
     * A THEN node of pg_durable's tree ({@code x ~> y}, and the "x, then the if / undo / loop
     * test" that dfc's lowering makes of some nodes): no state of its own; its status is read from
     * the states of its subtree, {@code first} to {@code last} (the states the expression that
     * made it lowered to, which are numbered consecutively).
     */
    private static final class Then {
        final Expr origin;
        final Object left;
        final Object right;
        int first;
        int last;
        String bind;
        int id;

        Then(Expr origin, Object left, Object right) {
            this.origin = origin;
            this.left = left;
            this.right = right;
        }
    }

    /** A THEN node over {@code left} then {@code right} (null when either side is missing: the other). */
    private Object then(Expr origin, Object left, Object right) {
        if (left == null) return right;
        if (right == null) return left;
        Then t = new Then(origin, left, right);
        thens.add(t);
        return t;
    }

    private static Program.PassThrough passThrough(Statement.PassThrough p) {
        List<Program.Rewrite> rewrites = new ArrayList<>();
        for (Statement.Rewrite r : p.rewrites()) rewrites.add(new Program.Rewrite(r.start(), r.end(), r.workflow()));
        return new Program.PassThrough(p.sql(), rewrites, copyData(p.copyData()));
    }

    /**
     * COPY data as the script needs it: ending with the line {@code \.}, which the source may leave
     * out at the end of its file (psql ends the data there), since more of the script follows.
     */
    private static String copyData(String data) {
        if (data == null) return null;
        String lastLine = data.substring(data.lastIndexOf('\n', data.length() - 2) + 1);
        if (lastLine.equals("\\.\n") || lastLine.equals("\\.\r\n")) return data;
        if (lastLine.equals("\\.") || lastLine.equals("\\.\r")) return data + "\n";
        return data + (data.isEmpty() || data.endsWith("\n") ? "" : "\n") + "\\.\n";
    }

    /** A state under construction: {@code next}, {@code elseNext} and {@code bind} are patched as fragments are joined. */
    private static final class Pending {
        final int id;
        final Kind kind;
        final Expr origin;
        String excerpt;
        String bind;
        Integer next;
        Integer elseNext;
        boolean noElse;
        /** Children in pg_durable's tree (df.nodes' left_node and right_node): a Pending, a Then or null. */
        Object left;
        Object right;
        // kind-specific facts, set once by the lowering of the node
        String text;
        String number;
        List<Integer> branches = List.of();
        State.Value value;
        int unwind;
        int attempts;
        String maxBackoff;
        Workflow.Outline outline;

        Pending(int id, Kind kind, Expr origin) {
            this.id = id;
            this.kind = kind;
            this.origin = origin;
            this.excerpt = origin.span().text();
        }

        State freeze(Set<String> params) {
            int line = origin.span().line();
            int col = origin.span().column();
            return switch (kind) {
                case SQL -> new State.Sql(id, text, parts(text, params), bind, next, line, col, excerpt);
                case IF, LOOP -> new State.Cond(id, kind.name(), text, parts(text, params), bind, next, elseNext, noElse, line, col, excerpt);
                case TEST -> new State.Test(id, "IF", null, bind, next, elseNext, line, col, excerpt);
                case LOOP_TEST -> new State.Test(id, "LOOP", text, bind, next, elseNext, line, col, excerpt);
                case IF_ROWS -> new State.IfRows(id, text, bind, next, elseNext, noElse, line, col, excerpt);
                case JOIN -> new State.Fork(id, branches, State.ForkMode.JOIN, bind, next, line, col, excerpt);
                case RACE -> new State.Fork(id, branches, State.ForkMode.RACE, bind, next, line, col, excerpt);
                case SLEEP -> new State.Sleep(id, number, bind, next, line, col, excerpt);
                case SCHEDULE -> new State.Schedule(id, text, bind, next, line, col, excerpt);
                case SIGNAL -> new State.Signal(id, text, number, bind, next, line, col, excerpt);
                case BREAK -> new State.Break(id, value, unwind, bind, next, line, col, excerpt);
                case RETRY -> new State.Retry(id, branches.get(0), attempts, number, maxBackoff, bind, next, line, col, excerpt);
                case TIMEOUT -> new State.Timeout(id, branches.get(0), number, bind, next, line, col, excerpt);
                case UNDO -> new State.Undo(id, branches.get(0), bind, next, line, col, excerpt);
                case HTTP -> http((Expr.Call) origin, params, bind, line, col);
                case CALL -> {
                    Expr.Call call = (Expr.Call) origin;
                    String args = string(optionalArg(call, 1, "args"));
                    yield new State.Call(id, string(arg(call, 0, "workflow")), args == null ? null : textParts(args, params),
                            bind, next, line, col, excerpt);
                }
            };
        }

        private State.Http http(Expr.Call call, Set<String> params, String bind, int line, int col) {
            String method = string(optionalArg(call, 1, "method"));
            boolean multipart = call.function().equals("df.http_multipart");
            String body = string(optionalArg(call, 2, multipart ? "parts" : "body"));
            String headers = string(optionalArg(call, 3, "headers"));
            Expr timeout = optionalArg(call, 4, "timeout_s");
            String url = string(arg(call, 0, "url"));
            return new State.Http(id, url, textParts(url, params),
                    method == null ? null : method.toUpperCase(java.util.Locale.ROOT),
                    body == null ? null : textParts(body, params), headers == null ? null : textParts(headers, params),
                    timeout == null || timeout instanceof Expr.Null ? null : number(timeout), multipart, bind, next, line, col, excerpt);
        }
    }

    private enum Kind { SQL, IF, TEST, LOOP, LOOP_TEST, IF_ROWS, JOIN, RACE, SLEEP, SCHEDULE, SIGNAL, BREAK, HTTP, CALL, RETRY, TIMEOUT, UNDO }

    /**
     * A way out of a fragment: a state's {@code next}, or the {@code elseNext} of a condition whose
     * falsy path leaves the fragment (an if without else).
     */
    private record Exit(Pending state, boolean elseEdge) {
        void patch(int target) {
            if (elseEdge) state.elseNext = target;
            else state.next = target;
        }
    }

    /**
     * Entry state and the exits whose successor is whatever follows the fragment; {@code root} is
     * the fragment's node in pg_durable's tree (a Pending or a Then).
     */
    private record Fragment(Pending entry, List<Exit> exits, Object root) {}

    /** A loop being lowered: its breaks become its exits; {@code forks} counts the forks around it. */
    private record LoopScope(int forks, List<Pending> breaks) {}

    /** Lowers a node; the THEN nodes it makes itself cover the states it lowered to. */
    private Fragment node(Expr e) {
        int first = states.size() + 1;
        int made = thens.size();
        Fragment f = lowerNode(e);
        for (int k = made; k < thens.size(); k++) {
            Then t = thens.get(k);
            if (t.first == 0) { // (not one of a nested node's, which has its own range)
                t.first = first;
                t.last = states.size();
            }
        }
        return f;
    }

    private Fragment lowerNode(Expr e) {
        if (e instanceof Expr.Str s) return single(Kind.SQL, s, s.value());
        Expr.Call call = (Expr.Call) e;
        switch (call.function()) {
            case "df.sql":
                return single(Kind.SQL, call, ((Expr.Str) arg(call, 0, "query")).value());
            case "df.seq": {
                Fragment first = node(arg(call, 0, "first"));
                arrow = true;
                Fragment then = node(arg(call, 1, "then"));
                for (Exit exit : first.exits()) exit.patch(then.entry().id);
                return new Fragment(first.entry(), then.exits(), then(call, first.root(), then.root()));
            }
            case "df.as": {
                Expr inner = arg(call, 0, "node");
                Fragment f = node(inner);
                String name = ((Expr.Str) arg(call, 1, "name")).value();
                for (Exit exit : f.exits()) {
                    // (a result bound twice, x |=> 'a' |=> 'b': every name, comma-separated)
                    exit.state().bind = withName(exit.state().bind, name);
                    if (exit.state().origin == inner) exit.state().excerpt = call.span().text();
                }
                if (f.root() instanceof Then t) t.bind = withName(t.bind, name);
                return f;
            }
            case "df.if": {
                Expr test = arg(call, 0, "condition");
                if (isSql(test)) return arms(condition(Kind.IF, test), call);
                // a condition of several nodes (or not SQL): they run, then a TEST state decides
                Fragment c = node(test);
                arrow = true;
                Pending decide = add(Kind.TEST, call);
                for (Exit exit : c.exits()) exit.patch(decide.id);
                Fragment arms = arms(decide, call);
                return new Fragment(c.entry(), arms.exits(), then(call, c.root(), decide));
            }
            case "df.if_rows": {
                Pending test = add(Kind.IF_ROWS, call);
                test.text = ((Expr.Str) arg(call, 0, "name")).value();
                return arms(test, call);
            }
            case "df.join", "df.join3":
                return fork(Kind.JOIN, call);
            case "df.race":
                return fork(Kind.RACE, call);
            case "df.loop":
                return loop(call);
            case "df.break":
                return breakOut(call);
            case "df.sleep":
                return wait(Kind.SLEEP, call, null, number(arg(call, 0, "seconds")));
            case "df.wait_for_schedule":
                return wait(Kind.SCHEDULE, call, ((Expr.Str) arg(call, 0, "cron")).value(), null);
            case "df.wait_for_signal": {
                Expr timeout = optionalArg(call, 1, "timeout_s");
                return wait(Kind.SIGNAL, call, ((Expr.Str) arg(call, 0, "name")).value(),
                        timeout == null || timeout instanceof Expr.Null ? null : number(timeout));
            }
            case "df.http", "df.http_multipart":
                return single(Kind.HTTP, call, null);
            case "df.call":
                return single(Kind.CALL, call, null);
            case "df.retry": {
                Pending retry = guarded(Kind.RETRY, call);
                retry.attempts = new BigDecimal(number(arg(call, 1, "attempts"))).intValueExact();
                retry.number = duration(optionalArg(call, 2, "backoff"), "1");
                retry.maxBackoff = duration(optionalArg(call, 3, "max_backoff"), "300");
                return new Fragment(retry, List.of(new Exit(retry, false)), retry);
            }
            case "df.timeout": {
                Pending timeout = guarded(Kind.TIMEOUT, call);
                timeout.number = number(arg(call, 1, "seconds"));
                return new Fragment(timeout, List.of(new Exit(timeout, false)), timeout);
            }
            case "df.with_undo":
                return withUndo(call);
            default:
                throw new IllegalStateException("cannot lower " + call.function() + " (the checker should have refused it)");
        }
    }

    /**
     * A retry or timeout: its state first, then its body as the one branch of a fork (its thread
     * ends where the body ends; a break inside leaves the fork like a join's).
     */
    private Pending guarded(Kind kind, Expr.Call call) {
        Pending p = add(kind, call);
        forks++;
        Fragment body = nested(arg(call, 0, "node"), null);
        forks--;
        p.branches = List.of(body.entry().id);
        p.left = body.root();
        return p;
    }

    /**
     * {@code x <-> y}: x, then an UNDO state that registers y and continues; y is lowered as a
     * thread of its own (its exits stay open), run only if the instance fails later. No loop
     * encloses y (the checker refuses a df.break in it that would leave one).
     */
    private Fragment withUndo(Expr.Call call) {
        Fragment done = node(arg(call, 0, "node"));
        arrow = true;
        Pending undo = add(Kind.UNDO, call);
        for (Exit exit : done.exits()) exit.patch(undo.id);
        Deque<LoopScope> outer = new ArrayDeque<>(loops);
        loops.clear();
        depth++;
        Fragment compensation = nested(arg(call, 1, "undo"), "↩ undo:");
        depth--;
        loops.addAll(outer);
        undo.branches = List.of(compensation.entry().id);
        undo.left = compensation.root();
        return new Fragment(done.entry(), List.of(new Exit(undo, false)), then(call, done.root(), undo));
    }

    /** Seconds of a df.retry duration ('500ms', '1s', '5m'...) as numeric text; {@code otherwise} when absent or NULL. */
    private static String duration(Expr e, String otherwise) {
        if (e instanceof Expr.Cast c) return duration(c.value(), otherwise);
        if (e == null || e instanceof Expr.Null) return otherwise;
        BigDecimal seconds = e instanceof Expr.Str s ? Literals.duration(s.value()) : null;
        if (seconds == null) {
            throw new IllegalStateException("expected a duration, found " + e.span().text() + " (the checker should have refused it)");
        }
        return seconds.stripTrailingZeros().toPlainString();
    }

    /** A one-state fragment that continues at its own {@code next}. */
    private Fragment single(Kind kind, Expr origin, String text) {
        Pending p = add(kind, origin);
        p.text = text;
        return new Fragment(p, List.of(new Exit(p, false)), p);
    }

    private Fragment wait(Kind kind, Expr.Call call, String text, String number) {
        Fragment f = single(kind, call, text);
        f.entry().number = number;
        return f;
    }

    /**
     * The arms of an if after its condition state, in order. Without an else arm the condition's
     * falsy path is itself an exit of the if, on which the if's result is null (as an else arm
     * that gave null).
     */
    private Fragment arms(Pending cond, Expr.Call call) {
        List<Exit> exits = new ArrayList<>();
        depth++;
        Fragment then = nested(arg(call, 1, "then"), "✓ then:");
        cond.next = then.entry().id;
        cond.left = then.root();
        exits.addAll(then.exits());
        Expr otherwise = optionalArg(call, 2, "else");
        if (otherwise == null) {
            cond.noElse = true;
            exits.add(new Exit(cond, true));
        } else {
            Fragment other = nested(otherwise, "✗ else:");
            cond.elseNext = other.entry().id;
            cond.right = other.root();
            exits.addAll(other.exits());
        }
        depth--;
        return new Fragment(cond, exits, cond);
    }

    /** A condition state running the SQL of {@code test} (a string or a df.sql call). */
    private Pending condition(Kind kind, Expr test) {
        Pending cond = add(kind, test);
        cond.text = test instanceof Expr.Str s ? s.value() : ((Expr.Str) arg((Expr.Call) test, 0, "query")).value();
        return cond;
    }

    /** Whether a condition is SQL text, written as a string or as df.sql: one cond state runs it. */
    private static boolean isSql(Expr e) {
        return e instanceof Expr.Str || (e instanceof Expr.Call c && c.function().equals("df.sql"));
    }

    /** The fork state first, then each branch; a branch's exits stay open: its thread ends there. */
    private Fragment fork(Kind kind, Expr.Call call) {
        Pending fork = add(kind, call);
        List<Integer> entries = new ArrayList<>();
        forks++;
        depth++;
        int n = 0;
        List<Object> roots = new ArrayList<>();
        for (Expr branch : branches(call)) {
            Fragment f = nested(branch, "║ branch " + (++n) + ":");
            entries.add(f.entry().id);
            roots.add(f.root());
        }
        depth--;
        forks--;
        fork.branches = List.copyOf(entries);
        fork.left = roots.get(0);
        fork.right = roots.size() > 1 ? roots.get(1) : null;
        return new Fragment(fork, List.of(new Exit(fork, false)), fork);
    }

    /**
     * The branches of a join or race: the arguments in order, with a chain written with the
     * operator ({@code a & b & c}, parsed as {@code (a & b) & c}) flattened into one fork, unless
     * the inner operand was parenthesized.
     */
    static List<Expr> branches(Expr.Call call) {
        if (call.operator() == null) {
            // in parameter order, so df.join(branch2 => y, branch1 => x) still lists x first
            NodeFunctions.Signature sig = NodeFunctions.lookup(call.function());
            TreeMap<Integer, Expr> byPosition = new TreeMap<>();
            int position = 0;
            for (var a : call.args()) byPosition.put(a.name() == null ? position++ : sig.positionOf(a.name()), a.value());
            return new ArrayList<>(byPosition.values());
        }
        List<Expr> out = new ArrayList<>();
        Deque<Expr> rights = new ArrayDeque<>();
        Expr.Call at = call;
        while (true) {
            rights.push(at.args().get(1).value());
            Expr left = at.args().get(0).value();
            if (left instanceof Expr.Call l && l.operator() != null && l.function().equals(call.function())
                    && l.span().start() == at.span().start()) {
                at = l;
            } else {
                out.add(left);
                break;
            }
        }
        out.addAll(rights);
        return out;
    }

    /**
     * The body (back-edge from its exits to its entry), or the body then a LOOP condition whose
     * truthy path is the back-edge. The loop's exits: the condition's falsy path and its breaks. A
     * condition of several nodes runs as states of its own after the body (a df.break in it leaves
     * this loop), then a LOOP test decides; the body's result, with which the loop ends, is bound
     * meanwhile to a hidden name.
     */
    private Fragment loop(Expr.Call call) {
        LoopScope scope = new LoopScope(forks, new ArrayList<>());
        loops.push(scope);
        Fragment body = nested(arg(call, 0, "body"), "↻ body:");
        List<Exit> exits = new ArrayList<>();
        Expr test = optionalArg(call, 1, "condition");
        Object root = body.root();
        if (test == null) {
            loops.pop();
            for (Exit exit : body.exits()) exit.patch(body.entry().id);
        } else if (isSql(test)) {
            loops.pop();
            Pending cond = condition(Kind.LOOP, test);
            for (Exit exit : body.exits()) exit.patch(cond.id);
            cond.next = body.entry().id;
            cond.left = body.root();
            root = cond;
            exits.add(new Exit(cond, true));
        } else {
            Fragment c = node(test);
            loops.pop();
            for (Exit exit : body.exits()) exit.patch(c.entry().id);
            if (!c.exits().isEmpty()) { // (a condition that always breaks needs no test)
                String saved = "sys_loop_" + (++savedResults);
                for (Exit exit : body.exits()) exit.state().bind = withName(exit.state().bind, saved);
                arrow = true;
                Pending decide = add(Kind.LOOP_TEST, call);
                decide.text = saved;
                for (Exit exit : c.exits()) exit.patch(decide.id);
                decide.next = body.entry().id;
                decide.left = body.root();
                decide.right = c.root();
                root = decide;
                exits.add(new Exit(decide, true));
            } else {
                root = then(call, body.root(), c.root());
            }
        }
        for (Pending b : scope.breaks()) exits.add(new Exit(b, false));
        return new Fragment(body.entry(), exits, root);
    }

    /** A state's bind with one more name (comma-separated; a name already there is not repeated). */
    private static String withName(String bind, String name) {
        if (bind == null) return name;
        return List.of(bind.split(",")).contains(name) ? bind : bind + "," + name;
    }

    /** A break has no exit of its own: it is an exit of its innermost loop. */
    private Fragment breakOut(Expr.Call call) {
        LoopScope scope = loops.peek();
        if (scope == null) throw new IllegalStateException("df.break outside a loop (the checker should have refused it)");
        Pending p = add(Kind.BREAK, call);
        Expr v = optionalArg(call, 0, "value");
        p.value = v == null ? null : value(v);
        p.unwind = forks - scope.forks();
        scope.breaks().add(p);
        return new Fragment(p, List.of(), p);
    }

    private Pending add(Kind kind, Expr origin) {
        Pending p = new Pending(states.size() + 1, kind, origin);
        p.outline = new Workflow.Outline(depth, arrow, labels);
        arrow = false;
        labels.clear();
        states.add(p);
        return p;
    }

    /** Lowers {@code e} one level deeper in the tree, after a label line (null: none). */
    private Fragment nested(Expr e, String label) {
        // (a loop that follows a step has no state of its own to carry the arrow: its label does)
        if (label != null) labels.add(new Workflow.Label(depth, (arrow ? "→ " : "") + label));
        depth++;
        arrow = false;
        try {
            return node(e);
        } finally {
            depth--;
        }
    }

    /** A break value as JSON-typed literal; NULL is no value. */
    private static State.Value value(Expr e) {
        if (e instanceof Expr.Str s) return new State.Value(State.ValueType.STRING, s.value());
        if (e instanceof Expr.Num n) return new State.Value(State.ValueType.NUMBER, new BigDecimal(n.text()).toString());
        if (e instanceof Expr.Bool b) return new State.Value(State.ValueType.BOOLEAN, Boolean.toString(b.value()));
        if (e instanceof Expr.Null) return null;
        if (e instanceof Expr.Cast c && c.value() instanceof Expr.Str s) {
            String type = c.type().toLowerCase(Locale.ROOT);
            boolean json = type.equals("json") || type.equals("jsonb");
            return new State.Value(json ? State.ValueType.JSON : State.ValueType.STRING, s.value());
        }
        if (e instanceof Expr.Cast c) return value(c.value());
        throw new IllegalStateException("df.break value is not a literal (the checker should have refused it)");
    }

    /** Seconds as numeric text: a number, or a string holding one. */
    private static String number(Expr e) {
        if (e instanceof Expr.Cast c) return number(c.value());
        String text = e instanceof Expr.Num n ? n.text() : e instanceof Expr.Str s ? s.value().strip() : null;
        try {
            if (text != null) return new BigDecimal(text).toString();
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalStateException("expected a number of seconds, found " + e.span().text()
                + " (the checker should have refused it)");
    }

    /** The argument at a position, or given by name. */
    private static Expr arg(Expr.Call call, int position, String name) {
        Expr e = optionalArg(call, position, name);
        if (e == null) throw new IllegalStateException(call.function() + " lacks argument " + name);
        return e;
    }

    /** The argument at a position, or given by name; null when absent. */
    private static Expr optionalArg(Expr.Call call, int position, String name) {
        for (var a : call.args()) if (name.equals(a.name())) return a.value();
        int i = 0;
        for (var a : call.args()) {
            if (a.name() == null && i++ == position) return a.value();
        }
        return null;
    }

    /**
     * Splits SQL text into literal text, references and variables (both found by the
     * {@link SqlScanner}, so neither counts inside the SQL's own literals and comments). A
     * {@code {name}} naming a parameter becomes a parameter variable.
     */
    /** The string literal of an argument (looking through a cast such as '…'::jsonb), or null when NULL or absent. */
    private static String string(Expr e) {
        if (e instanceof Expr.Cast c) return string(c.value());
        if (e == null || e instanceof Expr.Null) return null;
        if (e instanceof Expr.Str s) return s.value();
        throw new IllegalStateException("expected a string, found " + e.span().text() + " (the checker should have refused it)");
    }

    /** Text that is not SQL (a URL, body, headers) split into literal text, references and variables (TextRefs). */
    static List<State.Part> textParts(String text, Set<String> params) {
        TreeMap<Integer, Object> found = new TreeMap<>();
        for (SqlRef r : TextRefs.references(text)) found.put(r.start(), r);
        for (VarRef v : TextRefs.variables(text)) found.putIfAbsent(v.start(), v);
        return split(text, found, params);
    }

    static List<State.Part> parts(String sql, Set<String> params) {
        TreeMap<Integer, Object> found = new TreeMap<>(); // by offset; references and variables never overlap
        SqlScanner.Found scanned = SqlScanner.scan(sql);
        for (SqlRef r : scanned.references()) found.put(r.start(), r);
        for (VarRef v : scanned.variables()) found.put(v.start(), v);
        for (VarRef v : scanned.literalVariables()) found.put(v.start(), v);
        return split(sql, found, params);
    }

    private static List<State.Part> split(String sql, TreeMap<Integer, Object> found, Set<String> params) {
        List<State.Part> parts = new ArrayList<>();
        int at = 0;
        for (Object o : found.values()) {
            int start = o instanceof SqlRef r ? r.start() : ((VarRef) o).start();
            if (start < at) continue; // (a {name} inside a reference's text cannot happen; be safe)
            if (start > at) parts.add(new State.Text(sql.substring(at, start)));
            if (o instanceof SqlRef r) {
                parts.add(new State.Ref(r.kind(), r.name(), r.column()));
                at = r.end();
            } else {
                VarRef v = (VarRef) o;
                parts.add(new State.Var(v.name(), params.contains(v.name()), v.literal()));
                at = v.end();
            }
        }
        if (at < sql.length() || parts.isEmpty()) parts.add(new State.Text(sql.substring(at)));
        return parts;
    }
}
