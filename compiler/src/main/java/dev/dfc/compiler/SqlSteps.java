package dev.dfc.compiler;

import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.ast.Script;
import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.check.Checker;
import dev.dfc.compiler.check.SqlRef;
import dev.dfc.compiler.check.SqlScanner;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.ir.State;
import dev.dfc.compiler.lower.Lowering;
import dev.dfc.compiler.parse.Parser;
import dev.dfc.compiler.parse.ScriptMode;
import dev.dfc.compiler.parse.StringLiteral;
import dev.dfc.compiler.source.SourceFile;
import dev.dfc.compiler.source.Span;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The SQL a database can check ahead of deploy ({@code dfc check --db}): for every file in input
 * order, its pass-through statements and, for each workflow that passed the static checks, its
 * parameters and SQL steps in state order, with where every character of a step's SQL comes from
 * in the source, so a server's error position can be shown in the .dfsql file.
 */
public record SqlSteps(List<Item> items) {
    public SqlSteps {
        items = List.copyOf(items);
    }

    public sealed interface Item permits PassThrough, Workflow {}

    /** A statement for PostgreSQL as written, without its terminating ';'. */
    public record PassThrough(Span span, String sql) implements Item {}

    /**
     * A workflow without errors; {@code span} is its definition (or, in script mode, its expression).
     * {@code otherBinds} are the binds of states that run no SQL (a join, a race, a wait, a break or
     * an if's own condition path), in state order, a name repeated as often as it is bound.
     */
    public record Workflow(String name, Span span, List<Param> params, List<Step> steps, List<OtherBind> otherBinds)
            implements Item {
        public Workflow {
            params = List.copyOf(params);
            steps = List.copyOf(steps);
            otherBinds = List.copyOf(otherBinds);
        }
    }

    /** A parameter and its type as written. */
    public record Param(String name, String type) {}

    /** A column of a result: its name and PostgreSQL type. */
    public record Column(String name, String type) {}

    /**
     * A name bound to the result of a state that runs no SQL, with the columns references read it
     * with (runtime-sql, df._as_rows), or null when they depend on values known only at run time
     * (a join's or race's result, an if's, a JSON break value).
     */
    public record OtherBind(String name, List<Column> columns) {
        public OtherBind {
            columns = columns == null ? null : List.copyOf(columns);
        }
    }

    /**
     * The SQL of a step or of a condition (an if's or a loop's).
     *
     * @param state         the state number (states are numbered in source order)
     * @param nodeType      "SQL", "IF" or "LOOP"
     * @param sql           the decoded SQL text, references as written
     * @param refs          its references, offsets into {@code sql}
     * @param literal       the string literal holding it in the source
     * @param sourceOffsets for each character of {@code sql}, its offset in the source file
     * @param binds         the names the state's result is bound to (usually none or one)
     */
    public record Step(int state, String nodeType, String sql, List<SqlRef> refs, Span literal, int[] sourceOffsets,
            List<String> binds) {
        public Step {
            refs = List.copyOf(refs);
            binds = List.copyOf(binds);
        }
    }

    /** The names of a state's bind (several, comma-separated, when its result is bound twice). */
    private static List<String> names(String bind) {
        return bind == null ? List.of() : List.of(bind.split(","));
    }

    /** Parses and checks like {@link Compiler#check}; workflows with any error are left out. Runs on the caller's thread. */
    static SqlSteps collect(List<SourceFile> files) {
        List<Script> scripts = new ArrayList<>();
        for (SourceFile file : files) {
            Parser.ParseResult parsed = Parser.parse(file);
            if (parsed.script() != null && parsed.diagnostics().stream().noneMatch(Diagnostic::isError)) scripts.add(parsed.script());
        }
        ScriptMode.Expansion expanded = ScriptMode.expand(scripts);
        List<Diagnostic> errors = new ArrayList<>();
        for (Diagnostic d : expanded.diagnostics()) if (d.isError()) errors.add(d);
        for (Diagnostic d : Checker.check(expanded.scripts(), raw -> StringLiteral.decode(raw).rawOffsets())) {
            if (d.isError()) errors.add(d);
        }
        boolean unplaced = errors.stream().anyMatch(d -> d.span() == null);
        List<Item> items = new ArrayList<>();
        for (Script script : expanded.scripts()) {
            for (Statement st : script.statements()) {
                if (st instanceof Statement.PassThrough p) {
                    items.add(new PassThrough(p.span(), p.sql()));
                } else if (st instanceof Statement.WorkflowDef wf && !unplaced && errors.stream().noneMatch(d -> within(d.span(), wf.span()))) {
                    items.add(workflow(wf));
                }
            }
        }
        return new SqlSteps(items);
    }

    private static boolean within(Span inner, Span outer) {
        return inner.file() == outer.file() && inner.start() >= outer.start() && inner.start() <= outer.end();
    }

    private static Workflow workflow(Statement.WorkflowDef wf) {
        SourceFile file = wf.span().file();
        dev.dfc.compiler.ir.Workflow lowered = Lowering.workflow(wf, file.path());
        Map<Integer, Expr.Str> literals = new HashMap<>(); // looked up only, never iterated
        collectLiterals(wf.body(), literals);
        List<Step> steps = new ArrayList<>();
        List<OtherBind> otherBinds = new ArrayList<>();
        for (State s : lowered.states()) {
            String sql;
            String nodeType = s.nodeType();
            if (s instanceof State.Sql q) {
                sql = q.query();
            } else if (s instanceof State.Cond c) {
                sql = c.query();
            } else {
                for (String name : names(s.bind())) otherBinds.add(new OtherBind(name, columns(s)));
                continue;
            }
            Expr.Str literal = literals.get(offset(file, s.line(), s.column()));
            if (literal == null) throw new IllegalStateException("no string literal for the SQL of state " + s.id() + " at " + s.line() + ":" + s.column());
            StringLiteral.Decoded decoded = StringLiteral.decode(literal.span().text());
            int[] offsets = new int[sql.length()];
            for (int i = 0; i < offsets.length; i++) {
                offsets[i] = literal.span().start() + (decoded.value().equals(sql) ? decoded.rawOffset(i) : 0);
            }
            steps.add(new Step(s.id(), nodeType, sql, SqlScanner.references(sql), literal.span(), offsets, names(s.bind())));
        }
        List<Param> params = new ArrayList<>();
        for (var p : lowered.params()) params.add(new Param(p.name(), p.type()));
        return new Workflow(wf.name(), wf.span(), params, steps, otherBinds);
    }

    /** The columns of the result of a state that runs no SQL, as the runtime binds it; null when not known before it runs. */
    private static List<Column> columns(State s) {
        if (s instanceof State.Signal) {
            return List.of(new Column("signal_name", "text"), new Column("timed_out", "boolean"), new Column("data", "jsonb"));
        } else if (s instanceof State.Sleep) {
            return List.of(new Column("slept", "boolean"), new Column("seconds", "numeric"));
        } else if (s instanceof State.Schedule) {
            return List.of(new Column("scheduled", "boolean"));
        } else if (s instanceof State.Break b) {
            if (b.value() == null) return List.of(new Column("value", "jsonb"));
            return switch (b.value().type()) {
                case STRING -> List.of(new Column("value", "text"));
                case NUMBER -> List.of(new Column("value", "numeric"));
                case BOOLEAN -> List.of(new Column("value", "boolean"));
                case JSON -> null; // an object's keys become the columns
            };
        }
        return null;
    }

    /** Every literal that can hold a step's SQL, keyed by where its state's origin starts: the string itself, or its df.sql call. */
    private static void collectLiterals(Expr e, Map<Integer, Expr.Str> out) {
        if (e instanceof Expr.Str s) {
            out.putIfAbsent(s.span().start(), s);
        } else if (e instanceof Expr.Cast c) {
            collectLiterals(c.value(), out);
        } else if (e instanceof Expr.Call call) {
            if (call.function().equals("df.sql")) {
                for (var a : call.args()) {
                    if ((a.name() == null || a.name().equals("query")) && a.value() instanceof Expr.Str s) {
                        out.put(call.span().start(), s);
                        break;
                    }
                }
            }
            for (var a : call.args()) collectLiterals(a.value(), out);
        }
    }

    /** The offset of a 1-based line and column. */
    private static int offset(SourceFile file, int line, int column) {
        String text = file.text();
        int at = 0;
        for (int l = 1; l < line; l++) at = text.indexOf('\n', at) + 1;
        return at + column - 1;
    }
}
