package dev.dfc.compiler.emit;

import dev.dfc.compiler.check.SqlRef;
import dev.dfc.compiler.check.SqlScanner;
import dev.dfc.compiler.ir.Program;
import dev.dfc.compiler.ir.State;
import dev.dfc.compiler.ir.Workflow;
import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.stringtemplate.v4.ST;
import org.stringtemplate.v4.STErrorListener;
import org.stringtemplate.v4.STGroup;
import org.stringtemplate.v4.STGroupFile;
import org.stringtemplate.v4.misc.STMessage;

/**
 * Renders the IR as the deploy script (templates {@code workflow.stg} and {@code deploy.stg}).
 * Java here only shapes the models the templates read; all SQL text comes from the templates and
 * {@link SqlQuoting}.
 */
public final class Emitter {
    /** Runtime version the generated code is written against; checked first by the script. */
    public static final String RUNTIME_VERSION = "0.1";

    /** PostgreSQL's identifier limit (NAMEDATALEN - 1). */
    private static final int MAX_IDENTIFIER_BYTES = 63;

    private static final String NODE_SEPARATOR = ",\n" + " ".repeat(20);

    private final STGroup workflowGroup = load("workflow.stg");
    private final STGroup deployGroup = load("deploy.stg");

    // Models read by the templates (public so ST's reflection can reach their accessors).

    public record WorkflowModel(String name, String version, String functionName, String source, int line,
            boolean scriptMode, List<StateModel> states, boolean usesInstance, String paramsJson, String nodesJson,
            boolean declaresStep) {}

    /**
     * One state; {@code template} names the template rendering its df.*_step call. A cond, if_rows
     * or break state with a bind sets it on the returned record ({@code bindOnRecord}): their
     * constructors take no p_bind. So do the condition of an if without else its mode
     * ({@code recordMode} 'if': the falsy path's result is null) and the test of a loop whose
     * condition is several nodes its mode and name ('loop' and the hidden name of the body's result).
     */
    public record StateModel(int id, int line, String excerpt, String template, String bind, boolean bindOnRecord,
            String recordMode, String recordName,
            Integer next, Integer elseNext, SqlModel sql, String text, String seconds, List<Integer> branches,
            String mode, String value, int unwind, HttpModel http, TextModel callArgs, Integer attempts, String maxSeconds) {}

    /** An HTTP call: URL, body and headers (null: none) as text with references; method and timeout literal texts or null. */
    public record HttpModel(TextModel url, String method, TextModel body, TextModel headers, String timeout) {
        boolean hasRefs() {
            return url.hasRefs() || (body != null && body.hasRefs()) || (headers != null && headers.hasRefs());
        }
    }

    /** Text that is not SQL with its references, each substituted as {@link TextRef} says. */
    public record TextModel(boolean hasRefs, String pattern, String text, List<TextRef> refs) {}

    /**
     * A reference in text that is not SQL and how its value is written: as is ({@code raw}), percent-encoded
     * ({@code url}), escaped for the inside of a JSON string ({@code jsonInner}) or as a JSON value ({@code jsonValue}).
     */
    public record TextRef(RefModel ref, boolean url, boolean jsonInner, boolean jsonValue) {}

    /** Where text that is not SQL goes, which decides how references are written into it. */
    private enum TextKind { URL, BODY, JSON }

    /** SQL text with its references: a format() pattern and its arguments, or the query as is. */
    public record SqlModel(boolean hasRefs, String pattern, String query, List<RefModel> refs) {}

    /** A {@code $} reference, or a {@code {name}} variable ({@code variable}, {@code parameter} when it names one). */
    public record RefModel(String name, String column, boolean nullsafe, boolean rows, boolean variable,
            boolean parameter, boolean ifKnown) {}

    public record UnitModel(boolean oneTransaction, List<String> deployments, List<ItemModel> items) {}

    /** Either a rendered workflow deployment or a pass-through statement (as segments). */
    public record ItemModel(String deployment, List<SegmentModel> passThrough, boolean semicolonOnOwnLine, String copyData) {}

    /** A piece of a pass-through statement: text as written, or a workflow name to quote. */
    public record SegmentModel(String text, String workflow) {}

    /** The whole deploy script for a program. */
    public String script(Program program) {
        List<String> sources = new ArrayList<>();
        List<UnitModel> units = new ArrayList<>();
        for (Program.Unit unit : program.units()) {
            sources.add(unit.sourcePath());
            List<String> deployments = new ArrayList<>();
            List<ItemModel> items = new ArrayList<>();
            for (Program.Item item : unit.items()) {
                if (item instanceof Workflow wf) {
                    String d = deployment(wf);
                    deployments.add(d);
                    items.add(new ItemModel(d, null, false, null));
                } else if (item instanceof Program.PassThrough p) {
                    items.add(new ItemModel(null, segments(p), SqlScanner.endsInLineComment(p.sql()), p.copyData()));
                }
            }
            boolean oneTransaction = !unit.hasPassThrough() && !deployments.isEmpty();
            units.add(new UnitModel(oneTransaction, deployments, items));
        }
        ST st = deployGroup.getInstanceOf("script");
        st.add("runtimeVersion", RUNTIME_VERSION);
        st.add("sources", String.join(", ", sources));
        st.add("units", units);
        return render(st);
    }

    /** The statement's text cut around its rewrites, each rewrite a workflow name. */
    private static List<SegmentModel> segments(Program.PassThrough p) {
        List<SegmentModel> out = new ArrayList<>();
        int at = 0;
        for (Program.Rewrite r : p.rewrites()) {
            if (r.start() > at) out.add(new SegmentModel(p.sql().substring(at, r.start()), null));
            out.add(new SegmentModel(null, r.workflow()));
            at = r.end();
        }
        if (at < p.sql().length() || out.isEmpty()) out.add(new SegmentModel(p.sql().substring(at), null));
        return out;
    }

    /** One workflow's function and registration, without a transaction around them. */
    public String deployment(Workflow wf) {
        WorkflowModel model = model(wf);
        ST body = workflowGroup.getInstanceOf("body");
        body.add("wf", model);
        String bodyText = render(body);
        ST st = workflowGroup.getInstanceOf("deployment");
        st.add("wf", model);
        st.add("body", bodyText);
        st.add("tag", dollarTag(bodyText));
        return render(st);
    }

    /** The function name inside schema df_workflows: {@code name@version}, the name cut to fit 63 bytes. */
    public static String functionName(Workflow wf) {
        String suffix = "@" + wf.version();
        return SqlQuoting.truncateUtf8(wf.name(), MAX_IDENTIFIER_BYTES - suffix.length()) + suffix;
    }

    private static WorkflowModel model(Workflow wf) {
        List<StateModel> states = new ArrayList<>();
        List<String> nodes = new ArrayList<>();
        boolean usesInstance = false;
        boolean declaresStep = false;
        for (int k = 0; k < wf.states().size(); k++) {
            State s = wf.states().get(k);
            Workflow.Outline outline = k < wf.outline().size() ? wf.outline().get(k) : null;
            Workflow.Children children = wf.tree() == null ? null : wf.tree().children().get(k);
            StateModel st = stateModel(s);
            usesInstance |= (st.sql() != null && st.sql().hasRefs()) || (st.http() != null && st.http().hasRefs())
                    || (st.callArgs() != null && st.callArgs().hasRefs());
            declaresStep |= st.bindOnRecord() || st.recordMode() != null;
            states.add(st);
            String query = nodeQuery(s);
            nodes.add(Json.object().field("node", s.id()).field("type", s.nodeType()).field("query", query)
                    .field("bind", visibleBind(s.bind())).field("next", s.next()).field("else_next", elseNext(s))
                    .field("branches", branches(s))
                    .field("left", children == null ? null : children.left())
                    .field("right", children == null ? null : children.right())
                    .field("line", s.line()).field("col", s.column())
                    .optional("depth", outline == null ? null : Integer.toString(outline.depth()))
                    .optional("arrow", outline == null || !outline.arrow() ? null : "true")
                    .optional("labels", outline == null || outline.labels().isEmpty() ? null : labels(outline))
                    .build());
        }
        // the THEN nodes of pg_durable's tree: no state, a status read from their subtree's states (first, last)
        for (Workflow.Then t : wf.tree() == null ? List.<Workflow.Then>of() : wf.tree().thens()) {
            nodes.add(Json.object().field("node", t.id()).field("type", "THEN").field("query", (String) null)
                    .field("bind", visibleBind(t.bind())).field("left", t.left()).field("right", t.right())
                    .field("states", List.of(t.first(), t.last())).field("line", t.line()).field("col", t.column())
                    .build());
        }
        List<String> params = new ArrayList<>();
        for (Workflow.Parameter p : wf.params()) {
            params.add(Json.object().field("name", p.name()).field("type", p.type()).field("default", p.defaultSql()).build());
        }
        return new WorkflowModel(wf.name(), wf.version(), functionName(wf), wf.sourcePath(), wf.line(),
                wf.scriptMode(), states, usesInstance,
                Json.array(params, ","), Json.array(nodes, NODE_SEPARATOR), declaresStep);
    }

    private static StateModel stateModel(State s) {
        if (s instanceof State.Sql q) return model(s, "sqlStep", sql(q.parts(), q.query()), null, null, List.of(), null, null, 0);
        if (s instanceof State.Cond c) return model(s, "condStep", sql(c.parts(), c.query()), null, null, List.of(), null, null, 0);
        if (s instanceof State.Test) return model(s, "testStep", null, null, null, List.of(), null, null, 0);
        if (s instanceof State.IfRows r) return model(s, "ifRowsStep", null, r.name(), null, List.of(), null, null, 0);
        if (s instanceof State.Fork f) return model(s, "forkStep", null, null, null, f.branches(), f.mode().sqlName(), null, 0);
        if (s instanceof State.Retry r) {
            return model(s, "retryStep", null, null, r.backoff(), List.of(r.body()), null, null, 0, null, null,
                    r.attempts(), r.maxBackoff());
        }
        if (s instanceof State.Timeout t) return model(s, "timeoutStep", null, null, t.seconds(), List.of(t.body()), null, null, 0);
        if (s instanceof State.Undo u) return model(s, "undoStep", null, null, null, List.of(u.undo()), null, null, 0);
        if (s instanceof State.Sleep z) return model(s, "sleepStep", null, null, z.seconds(), List.of(), null, null, 0);
        if (s instanceof State.Schedule c) return model(s, "scheduleStep", null, c.cron(), null, List.of(), null, null, 0);
        if (s instanceof State.Signal g) return model(s, "signalStep", null, g.name(), g.timeout(), List.of(), null, null, 0);
        if (s instanceof State.Http h) {
            // a multipart call's parts are JSON, like headers: values escaped for JSON strings
            HttpModel http = new HttpModel(text(h.url(), h.urlText(), TextKind.URL), h.method(),
                    h.body() == null ? null : text(h.body(), null, h.multipart() ? TextKind.JSON : TextKind.BODY),
                    h.headers() == null ? null : text(h.headers(), null, TextKind.JSON), h.timeout());
            return model(s, h.multipart() ? "httpMultipartStep" : "httpStep", null, null, null, List.of(), null, null, 0, http, null);
        }
        if (s instanceof State.Call c) {
            return model(s, "callStep", null, c.workflow(), null, List.of(), null, null, 0, null,
                    c.args() == null ? null : text(c.args(), null, TextKind.JSON));
        }
        State.Break b = (State.Break) s;
        return model(s, "breakStep", null, null, null, List.of(), null, json(b.value()), b.unwind());
    }

    private static StateModel model(State s, String template, SqlModel sql, String text, String seconds,
            List<Integer> branches, String mode, String value, int unwind) {
        return model(s, template, sql, text, seconds, branches, mode, value, unwind, null, null);
    }

    private static StateModel model(State s, String template, SqlModel sql, String text, String seconds,
            List<Integer> branches, String mode, String value, int unwind, HttpModel http, TextModel callArgs) {
        return model(s, template, sql, text, seconds, branches, mode, value, unwind, http, callArgs, null, null);
    }

    private static StateModel model(State s, String template, SqlModel sql, String text, String seconds,
            List<Integer> branches, String mode, String value, int unwind, HttpModel http, TextModel callArgs,
            Integer attempts, String maxSeconds) {
        boolean bindOnRecord = s.bind() != null
                && (s instanceof State.Cond || s instanceof State.Test || s instanceof State.IfRows || s instanceof State.Break);
        String recordMode = null;
        String recordName = null;
        if (s instanceof State.Cond c && c.noElse() || s instanceof State.IfRows r && r.noElse()) recordMode = "if";
        if (s instanceof State.Test t && t.saved() != null) {
            recordMode = "loop";
            recordName = t.saved();
        }
        return new StateModel(s.id(), s.line(), s.excerpt(), template, s.bind(), bindOnRecord,
                recordMode, recordName, s.next(), elseNext(s),
                sql, text, seconds, branches, mode, value, unwind, http, callArgs, attempts, maxSeconds);
    }

    /** The label lines of a state's outline, as JSON objects {"depth": d, "text": "..."}. */
    private static String labels(Workflow.Outline outline) {
        List<String> out = new ArrayList<>();
        for (Workflow.Label l : outline.labels()) out.add(Json.object().field("depth", l.depth()).field("text", l.text()).build());
        return Json.array(out, ",");
    }

    /** The entry states a state starts threads at (df.instance_nodes follows them), or null. */
    private static List<Integer> branches(State s) {
        if (s instanceof State.Fork f) return f.branches();
        if (s instanceof State.Retry r) return List.of(r.body());
        if (s instanceof State.Timeout t) return List.of(t.body());
        if (s instanceof State.Undo u) return List.of(u.undo());
        return null;
    }

    /**
     * Text that is not SQL: its format() pattern and references, or the text as is. A {@code {name}}
     * is raw text by design (LANGUAGE.md section 4), except inside a JSON string, where it is escaped.
     * A {@code $} reference carries data, so it is percent-encoded in a URL (unless it starts the
     * URL: then it supplies the scheme and host, which the runtime checks) and, in JSON (headers,
     * multipart parts, a body that starts with '{' or '['), escaped inside a string or written as a
     * JSON value outside one; in any other body it is raw.
     */
    private static TextModel text(List<State.Part> parts, String asWritten, TextKind kind) {
        SqlModel m = sql(parts, null);
        StringBuilder plain = new StringBuilder();
        for (State.Part p : parts) if (p instanceof State.Text t) plain.append(t.text());
        boolean json = kind == TextKind.JSON || (kind == TextKind.BODY && startsJson(parts));
        List<TextRef> refs = new ArrayList<>();
        boolean inString = false;
        int i = 0;
        for (State.Part p : parts) {
            if (p instanceof State.Text t) {
                inString = afterJson(t.text(), inString);
            } else {
                RefModel r = m.refs().get(refs.size());
                boolean dollar = p instanceof State.Ref;
                refs.add(new TextRef(r,
                        kind == TextKind.URL && dollar && i > 0,
                        json && inString,
                        json && !inString && dollar));
            }
            i++;
        }
        return new TextModel(m.hasRefs(), m.pattern(), asWritten != null && !m.hasRefs() ? asWritten : plain.toString(), refs);
    }

    private static boolean startsJson(List<State.Part> parts) {
        for (State.Part p : parts) {
            if (!(p instanceof State.Text t)) return false;
            String s = t.text().stripLeading();
            if (!s.isEmpty()) return s.charAt(0) == '{' || s.charAt(0) == '[';
        }
        return false;
    }

    /** Whether JSON text that starts inside a string ({@code inString}) ends inside one. */
    private static boolean afterJson(String text, boolean inString) {
        for (int k = 0; k < text.length(); k++) {
            char c = text.charAt(k);
            if (inString && c == '\\') k++;
            else if (c == '"') inString = !inString;
        }
        return inString;
    }

    /**
     * The names a node shows as bound (df.instance_nodes' result_name, df.explain): its bind without
     * the hidden {@code sys_} names the compiler adds (a loop's saved result); null when none is left.
     */
    static String visibleBind(String bind) {
        if (bind == null || !bind.contains("sys_")) return bind;
        List<String> names = new ArrayList<>();
        for (String name : bind.split(",")) if (!name.startsWith("sys_")) names.add(name);
        return names.isEmpty() ? null : String.join(",", names);
    }

    /** The text a node shows in df.instance_nodes and df.explain: its SQL, a condition's, an HTTP call's URL; or null. */
    static String nodeQuery(State s) {
        if (s instanceof State.Sql q) return q.query();
        if (s instanceof State.Cond c) return c.query();
        if (s instanceof State.Http h) return h.urlText();
        return null;
    }

    private static Integer elseNext(State s) {
        if (s instanceof State.Cond c) return c.elseNext();
        if (s instanceof State.IfRows r) return r.elseNext();
        if (s instanceof State.Test t) return t.elseNext();
        return null;
    }

    private static SqlModel sql(List<State.Part> parts, String query) {
        List<RefModel> refs = new ArrayList<>();
        for (State.Part p : parts) {
            if (p instanceof State.Ref r) {
                refs.add(new RefModel(r.name(), r.column(), r.kind() == SqlRef.Kind.NULLSAFE, r.kind() == SqlRef.Kind.ROWS,
                        false, false, false));
            } else if (p instanceof State.Var v) {
                boolean system = v.name().equals("sys_instance_id") || v.name().equals("sys_label");
                refs.add(new RefModel(v.name(), null, false, false, true, v.parameter(), v.literal() && !v.parameter() && !system));
            }
        }
        return new SqlModel(!refs.isEmpty(), SqlQuoting.formatPattern(parts), query, refs);
    }

    /** A break value as JSON text, or null. */
    private static String json(State.Value v) {
        if (v == null) return null;
        return v.type() == State.ValueType.STRING ? Json.string(v.text()) : v.text();
    }

    /** $function$, or $function_N$ when the body happens to contain that tag. */
    static String dollarTag(String body) {
        String tag = "$function$";
        for (int n = 1; body.contains(tag); n++) tag = "$function_" + n + "$";
        return tag;
    }

    private static String render(ST st) {
        StringWriter out = new StringWriter();
        try {
            st.write(new ExactWriter(out));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }

    private static STGroup load(String name) {
        STGroupFile group = new STGroupFile(Emitter.class.getResource(name), "UTF-8", '«', '»');
        group.setListener(FAIL);
        group.registerRenderer(String.class, new SqlRenderer());
        group.registerModelAdaptor(Record.class, new RecordAdaptor());
        group.load();
        return group;
    }

    /** Any template error is a compiler bug: fail loudly instead of emitting half a script. */
    private static final STErrorListener FAIL = new STErrorListener() {
        @Override
        public void compileTimeError(STMessage msg) { throw new IllegalStateException("template: " + msg); }

        @Override
        public void runTimeError(STMessage msg) { throw new IllegalStateException("template: " + msg); }

        @Override
        public void IOError(STMessage msg) { throw new IllegalStateException("template: " + msg); }

        @Override
        public void internalError(STMessage msg) { throw new IllegalStateException("template: " + msg); }
    };
}
