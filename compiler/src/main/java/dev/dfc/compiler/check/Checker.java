package dev.dfc.compiler.check;

import dev.dfc.compiler.ast.Arg;
import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.ast.Param;
import dev.dfc.compiler.ast.Script;
import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.check.NodeFunctions.Kind;
import dev.dfc.compiler.check.NodeFunctions.Signature;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.Span;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;

/**
 * Name and shape checks over the AST, collecting every error (in the manner of jlox's Resolver):
 * node functions and their arguments, workflow and parameter names, and which names are definitely
 * bound at each reference.
 *
 * <p>Definite binding is a forward data-flow over the expression: each node maps the set of names
 * bound before it to the set bound after it. Sequence threads the set through, a join unions its
 * branches, if and race intersect theirs. What follows a loop has the names bound at every way
 * out of it: the intersection, over each {@code df.break} of that loop and (for
 * {@code df.loop(body, condition)}) the end of the condition, of the names bound there. Bound
 * results are kept per instance by name (df._results), so they outlive the loop. Parameters are
 * bound from the start.
 */
public final class Checker {
    /** pg_durable's nesting limit. */
    public static final int MAX_DEPTH = 256;

    private final StringOffsets offsets;
    private final List<Diagnostic> diagnostics = new ArrayList<>();

    // per workflow
    private final Map<String, Span> bindSites = new LinkedHashMap<>();
    private final Set<String> used = new TreeSet<>();
    private Set<String> paramNames = Set.of();
    /** One entry per enclosing loop: the names bound at each of its exits seen so far. */
    private final Deque<LoopExits> loops = new ArrayDeque<>();

    /** The names bound at every exit of a loop seen so far; null before the first exit. */
    private static final class LoopExits {
        private Set<String> bound;

        void exit(Set<String> at) {
            if (bound == null) bound = new TreeSet<>(at);
            else bound.retainAll(at);
        }
    }

    private Checker(StringOffsets offsets) {
        this.offsets = offsets;
    }

    /** Checks every workflow of every script; returns the diagnostics in discovery order. */
    public static List<Diagnostic> check(List<Script> scripts, StringOffsets offsets) {
        return check(scripts, offsets, (count, work) -> {
            Object[] results = new Object[count];
            for (int i = 0; i < count; i++) results[i] = work.apply(i);
            return results;
        });
    }

    /**
     * Runs independent pieces of work: element {@code i} of the result is {@code work.apply(i)}
     * or the exception it threw (see {@link dev.dfc.compiler.Workers#map}).
     */
    @FunctionalInterface
    public interface ForEach {
        Object[] map(int count, IntFunction<?> work);
    }

    /**
     * As {@link #check(List, StringOffsets)}, checking the workflows with {@code forEach}, e.g. on
     * several threads: workflows are checked independently, except that their names must be unique,
     * which is checked here in order, so the result is the same.
     */
    public static List<Diagnostic> check(List<Script> scripts, StringOffsets offsets, ForEach forEach) {
        List<Statement.WorkflowDef> defs = new ArrayList<>();
        for (Script script : scripts) {
            for (Statement st : script.statements()) {
                if (st instanceof Statement.WorkflowDef wf) defs.add(wf);
            }
        }
        Object[] checked = forEach.map(defs.size(), i -> {
            Checker checker = new Checker(offsets);
            checker.workflow(defs.get(i));
            return checker.diagnostics;
        });
        List<Diagnostic> diagnostics = new ArrayList<>();
        Map<String, Span> workflows = new LinkedHashMap<>();
        for (int i = 0; i < defs.size(); i++) {
            Statement.WorkflowDef wf = defs.get(i);
            Span first = workflows.putIfAbsent(wf.name(), wf.nameSpan());
            if (first != null) {
                diagnostics.add(Diagnostic.error("DF2002", wf.nameSpan(),
                        "workflow '" + wf.name() + "' is already defined")
                        .withHint("first defined at " + first));
            }
            if (checked[i] instanceof RuntimeException e) throw e;
            if (checked[i] instanceof Error e) throw e;
            @SuppressWarnings("unchecked")
            List<Diagnostic> found = (List<Diagnostic>) checked[i];
            diagnostics.addAll(found);
        }
        return List.copyOf(diagnostics);
    }

    private void workflow(Statement.WorkflowDef wf) {
        bindSites.clear();
        used.clear();
        Map<String, Param> params = new LinkedHashMap<>();
        for (Param p : wf.params()) {
            if (params.putIfAbsent(p.name(), p) != null) {
                diagnostics.add(Diagnostic.error("DF2003", p.nameSpan(),
                        "parameter '" + p.name() + "' is already declared")
                        .withHint("first declared at " + params.get(p.name()).nameSpan()));
            }
        }
        paramNames = params.keySet();
        Parameters.check(wf.params(), diagnostics);
        Expr tooDeep = firstTooDeep(wf.body());
        if (tooDeep != null) {
            Span at = tooDeep instanceof Expr.Call c ? c.nameSpan() : tooDeep.span();
            diagnostics.add(Diagnostic.error("DF4002", at,
                    "expression nests deeper than " + MAX_DEPTH + " levels")
                    .withHint("split the workflow, or use df.call to run part of it as a child workflow"));
            return;
        }
        collectBindSites(wf.body());
        Set<String> bound = new TreeSet<>(params.keySet());
        node(wf.body(), Collections.unmodifiableSet(bound));
        ControlFlow.check(wf.body(), diagnostics);
        for (Param p : params.values()) {
            if (!used.contains(p.name())) {
                diagnostics.add(Diagnostic.warning("DF2101", p.nameSpan(),
                        "parameter '" + p.name() + "' is never used"));
            }
        }
    }

    /** The first node (pre-order) deeper than MAX_DEPTH calls, found without recursion. */
    private static Expr firstTooDeep(Expr body) {
        Deque<Expr> nodes = new ArrayDeque<>();
        Deque<Integer> depths = new ArrayDeque<>();
        nodes.push(body);
        depths.push(1);
        while (!nodes.isEmpty()) {
            Expr e = nodes.pop();
            int depth = depths.pop();
            if (depth > MAX_DEPTH) return e;
            List<Expr> children = children(e);
            for (int i = children.size() - 1; i >= 0; i--) {
                nodes.push(children.get(i));
                depths.push(i == 0 && continuesChain(e, children.get(0)) ? depth : e instanceof Expr.Call ? depth + 1 : depth);
            }
        }
        return null;
    }

    /**
     * {@code a ~> b ~> c} is one chain to the reader although the left-associative tree nests:
     * a long sequence (or join, or race) written with operators is not deep nesting.
     */
    private static boolean continuesChain(Expr parent, Expr left) {
        return parent instanceof Expr.Call p && left instanceof Expr.Call l
                && p.operator() != null && l.operator() != null && p.function().equals(l.function())
                && CHAINS.contains(p.function());
    }

    private static final List<String> CHAINS = List.of("df.seq", "df.join", "df.race");

    private static List<Expr> children(Expr e) {
        if (e instanceof Expr.Call c) {
            List<Expr> out = new ArrayList<>(c.args().size());
            for (Arg a : c.args()) out.add(a.value());
            return out;
        }
        if (e instanceof Expr.Cast c) return List.of(c.value());
        return List.of();
    }

    private void collectBindSites(Expr body) {
        Deque<Expr> todo = new ArrayDeque<>();
        todo.push(body);
        while (!todo.isEmpty()) {
            Expr e = todo.pop();
            if (e instanceof Expr.Call c && c.function().equals("df.as") && c.args().size() == 2
                    && c.args().get(1).value() instanceof Expr.Str s) {
                bindSites.putIfAbsent(s.value(), s.span());
            }
            List<Expr> children = children(e);
            for (int i = children.size() - 1; i >= 0; i--) todo.push(children.get(i));
        }
    }

    /** Checks a node position; returns the names definitely bound after it runs. */
    private Set<String> node(Expr e, Set<String> bound) {
        if (e instanceof Expr.Str s) {
            sql(s, bound);
            return bound;
        }
        if (!(e instanceof Expr.Call call)) {
            diagnostics.add(Diagnostic.error("DF3003", e.span(),
                    "expected a workflow node, found " + describe(e))
                    .withHint("a step is a SQL string, a df.* node function, or an expression of them"));
            return bound;
        }
        Signature sig = NodeFunctions.lookup(call.function());
        if (sig == null) {
            Diagnostic d = Diagnostic.error("DF3001", call.nameSpan(), "unknown node function '" + call.function() + "'");
            String near = NodeFunctions.closest(call.function());
            diagnostics.add(near == null ? d : d.withHint("did you mean '" + near + "'?"));
            return bound;
        }
        if (!sig.supported()) {
            diagnostics.add(Diagnostic.error("DF3900", call.nameSpan(), "'" + sig.name() + "' is not supported yet"));
        }
        Expr[] args = arguments(call, sig);
        for (int i = 0; i < args.length; i++) {
            if (args[i] != null && sig.kindAt(i) != Kind.NODE) literal(args[i], sig, i);
        }
        Literals.check(sig.name(), args, this::inside, diagnostics);
        for (Expr.Str text : Literals.substitutedTexts(sig.name(), args)) text(text, bound);
        return flow(call, sig, args, bound);
    }

    /** Binds arguments to parameter positions; reports arity and naming errors. Missing: null. */
    private Expr[] arguments(Expr.Call call, Signature sig) {
        List<Arg> given = call.args();
        int positional = sig.variadic() ? Math.max(given.size(), sig.params().size()) : sig.params().size();
        Expr[] slots = new Expr[positional];
        int next = 0;
        boolean ok = true;
        boolean misnamed = false;
        boolean named = false;
        for (Arg a : given) {
            int at;
            if (a.name() == null && named) {
                diagnostics.add(Diagnostic.error("DF3005", a.span(), "positional argument cannot follow named argument")
                        .withHint("put the positional arguments of '" + sig.name() + "' first, or name this one too"));
                misnamed = true;
                continue;
            }
            named |= a.name() != null;
            if (a.name() == null) {
                at = next++;
            } else {
                at = sig.positionOf(a.name());
                if (at < 0) {
                    diagnostics.add(Diagnostic.error("DF3004", a.span(),
                            "'" + sig.name() + "' has no argument named '" + a.name() + "'")
                            .withHint(sig.params().isEmpty() ? null : "its arguments are " + argumentNames(sig)));
                    misnamed = true;
                    continue;
                }
                if (slots[at] != null) {
                    diagnostics.add(Diagnostic.error("DF3004", a.span(),
                            "argument '" + a.name() + "' of '" + sig.name() + "' is given twice"));
                    misnamed = true;
                    continue;
                }
            }
            if (at >= slots.length) {
                ok = false;
                continue;
            }
            slots[at] = a.value();
        }
        int present = 0;
        for (int i = 0; i < Math.min(sig.required(), slots.length); i++) if (slots[i] != null) present++;
        if (!misnamed && (!ok || present < sig.required())) {
            diagnostics.add(Diagnostic.error("DF3002", call.nameSpan(),
                    "'" + sig.name() + "' takes " + sig.arityText() + ", found " + given.size()));
        }
        return slots;
    }

    private static String argumentNames(Signature sig) {
        StringBuilder out = new StringBuilder();
        for (NodeFunctions.Param p : sig.params()) out.append(out.length() == 0 ? "" : ", ").append('\'').append(p.name()).append('\'');
        return out.toString();
    }

    private Set<String> flow(Expr.Call call, Signature sig, Expr[] a, Set<String> bound) {
        switch (sig.name()) {
            case "df.sql":
                if (a[0] instanceof Expr.Str s) sql(s, bound);
                return bound;
            case "df.seq":
                return run(a[1], run(a[0], bound));
            case "df.as": {
                Set<String> after = run(a[0], bound);
                if (!(a[1] instanceof Expr.Str name)) return after;
                if (!Names.isIdentifier(name.value())) {
                    diagnostics.add(Diagnostic.error("DF2004", name.span(),
                            "bind name '" + name.value() + "' is not an identifier")
                            .withHint("use letters, digits and '_', not starting with a digit, so '$"
                                    + "name' can refer to it"));
                    return after;
                }
                if (Parameters.isReserved(name.value())) {
                    diagnostics.add(Diagnostic.error("DF2006", name.span(), "bind name '" + name.value() + "' is reserved")
                            .withHint("names starting with 'sys_' belong to the runtime's system variables; choose another name"));
                }
                return with(after, name.value());
            }
            case "df.join", "df.join3": {
                Set<String> out = new TreeSet<>(bound);
                for (Expr branch : a) out.addAll(run(branch, bound));
                return out;
            }
            case "df.race":
                return intersection(a, bound);
            case "df.if": {
                Set<String> afterCondition = run(a[0], bound);
                return intersection(new Expr[] {a[1], a[2]}, afterCondition);
            }
            case "df.if_rows":
                if (a[0] instanceof Expr.Str name) reference(name.value(), name.span(), bound);
                return intersection(new Expr[] {a[1], a[2]}, bound);
            case "df.loop": {
                LoopExits exits = new LoopExits();
                loops.push(exits);
                Set<String> afterBody = run(a[0], bound);
                if (a[1] != null) exits.exit(run(a[1], afterBody)); // the condition was false
                loops.pop();
                // no exit: the loop never ends (DF4101 warns about what follows)
                return exits.bound == null ? bound : Collections.unmodifiableSet(exits.bound);
            }
            case "df.break":
                if (!loops.isEmpty()) loops.peek().exit(bound); // outside a loop: DF4001
                return bound;
            case "df.retry", "df.timeout":
                return run(a[0], bound);
            case "df.with_undo": {
                Set<String> after = run(a[0], bound);
                // the undo runs on its own after a later failure: a break there leaves no loop around the '<->'
                Deque<LoopExits> outer = new ArrayDeque<>(loops);
                loops.clear();
                run(a[1], after);
                loops.addAll(outer);
                return after;
            }
            default:
                return bound;
        }
    }

    private Set<String> run(Expr e, Set<String> bound) {
        return e == null ? bound : node(e, bound);
    }

    private Set<String> intersection(Expr[] branches, Set<String> bound) {
        Set<String> out = null;
        for (Expr branch : branches) {
            Set<String> b = run(branch, bound);
            if (out == null) out = new TreeSet<>(b);
            else out.retainAll(b);
        }
        return out == null ? bound : out;
    }

    private static Set<String> with(Set<String> bound, String name) {
        Set<String> out = new TreeSet<>(bound);
        out.add(name);
        return out;
    }

    private void literal(Expr e, Signature sig, int position) {
        Kind kind = sig.kindAt(position);
        if (kind == Kind.SQL && !(e instanceof Expr.Str)) {
            diagnostics.add(Diagnostic.error("DF3003", e.span(),
                    "'" + sig.name() + "' expects SQL text as a string literal, found " + describe(e)));
        } else if (kind == Kind.LITERAL && e instanceof Expr.Call) {
            diagnostics.add(Diagnostic.error("DF3003", e.span(),
                    "argument '" + sig.params().get(Math.min(position, sig.params().size() - 1)).name()
                            + "' of '" + sig.name() + "' must be a literal, found " + describe(e)));
        } else if (kind == Kind.LITERAL && !(e instanceof Expr.Str)
                && STRING_PARAMETERS.contains(sig.params().get(Math.min(position, sig.params().size() - 1)).name())) {
            diagnostics.add(Diagnostic.error("DF3003", e.span(),
                    "argument '" + sig.params().get(Math.min(position, sig.params().size() - 1)).name()
                            + "' of '" + sig.name() + "' must be a string literal, found " + describe(e)));
        }
    }

    /**
     * Literal parameters that only a string can fill: names (cron, URL and method have their own
     * checks, DF5001, DF5005, DF5003).
     */
    private static final List<String> STRING_PARAMETERS = List.of("name", "workflow");

    private static String describe(Expr e) {
        if (e instanceof Expr.Call c) return "a call to '" + c.function() + "'";
        if (e instanceof Expr.Str) return "a string";
        if (e instanceof Expr.Num) return "a number";
        if (e instanceof Expr.Bool) return "a boolean";
        if (e instanceof Expr.Null) return "NULL";
        return "a cast literal";
    }

    /** Checks the references of a SQL string against the names bound before it. */
    private void sql(Expr.Str s, Set<String> bound) {
        SqlScanner.Found found = SqlScanner.scan(s.value());
        variables(s, found.variables());
        // inside the step's literals a parameter is substituted too; other names there are not warned about
        for (VarRef v : found.literalVariables()) if (paramNames.contains(v.name())) used.add(v.name());
        List<SqlRef> refs = found.references();
        if (refs.isEmpty()) return;
        int[] raw = rawOffsets(s);
        for (SqlRef r : refs) {
            Span span = s.span();
            if (raw != null && r.end() <= raw.length) {
                span = new Span(s.span().file(), s.span().start() + raw[r.start()], s.span().start() + raw[r.end() - 1] + 1);
            }
            reference(r.name(), span, bound, s.value().substring(r.start(), r.end()));
        }
    }

    private void reference(String name, Span span, Set<String> bound) {
        reference(name, span, bound, "$" + name);
    }

    private void reference(String name, Span span, Set<String> bound, String written) {
        used.add(name);
        if (bound.contains(name)) return;
        Span site = bindSites.get(name);
        Diagnostic d;
        if (site == null) {
            List<String> known = new ArrayList<>(paramNames);
            known.addAll(bindSites.keySet());
            String near = Names.closest(name, known, Math.max(1, name.length() / 3));
            d = Diagnostic.error("DF2001", span, "'" + written + "' is not bound: no parameter or step result is named '" + name + "'");
            if (near != null) d = d.withHint("did you mean '$" + near + "'?");
        } else if (site.start() > span.start()) {
            d = Diagnostic.error("DF2001", span, "'" + written + "' is used before it is bound")
                    .withHint("'" + name + "' is bound later, at line " + site.line() + ", column " + site.column());
        } else {
            d = Diagnostic.error("DF2001", span, "'" + written + "' is not bound on every path that reaches this step")
                    .withHint("'" + name + "' is bound at line " + site.line() + ", column " + site.column()
                            + ", which does not run before this step on every path");
        }
        diagnostics.add(d);
    }

    private int[] rawOffsets(Expr.Str s) {
        try {
            int[] raw = offsets.rawOffsets(s.span().text());
            return raw != null && raw.length == s.value().length() ? raw : null;
        } catch (RuntimeException e) {
            return null;
        }
    }
    /** Checks the references and variables of a URL, body or headers string (no SQL quoting applies). */
    private void text(Expr.Str s, Set<String> bound) {
        for (SqlRef r : TextRefs.references(s.value())) {
            reference(r.name(), inside(s, r.start(), r.end()), bound, s.value().substring(r.start(), r.end()));
        }
        variables(s, TextRefs.variables(s.value()));
    }

    /** {name} must be a parameter or a system variable, or else come from df.setvar (a warning: dfc cannot know). */
    private void variables(Expr.Str s, List<VarRef> vars) {
        for (VarRef v : vars) {
            if (SYSTEM_VARIABLES.contains(v.name())) continue;
            if (paramNames.contains(v.name())) {
                used.add(v.name());
                continue;
            }
            diagnostics.add(Diagnostic.warning("DF2102", inside(s, v.start(), v.end()),
                    "'{" + v.name() + "}' is not a parameter or system variable: it must come from df.setvar")
                    .withHint("the step fails if '" + v.name() + "' is not set with df.setvar before df.start; "
                            + "the system variables are {sys_instance_id} and {sys_label}"));
        }
    }

    private static final Set<String> SYSTEM_VARIABLES = Set.of("sys_instance_id", "sys_label");

    /** The span of value characters [from, to) of a string literal; the whole literal when unknown. */
    private Span inside(Expr.Str s, int from, int to) {
        int[] raw = rawOffsets(s);
        if (raw == null || from < 0 || to > raw.length || from > to) return s.span();
        if (from == to) {
            int at = from < raw.length ? raw[from] : s.span().end() - s.span().start() - 1;
            return new Span(s.span().file(), s.span().start() + at, s.span().start() + at);
        }
        return new Span(s.span().file(), s.span().start() + raw[from], s.span().start() + raw[to - 1] + 1);
    }
}
