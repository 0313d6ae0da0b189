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
            boolean scriptMode, List<StateModel> states, boolean usesInstance, String paramsJson, String nodesJson) {}

    public record StateModel(int id, int line, String excerpt, String bind, Integer next, boolean hasRefs,
            String pattern, String query, List<RefModel> refs) {}

    public record RefModel(String name, String column, boolean nullsafe, boolean rows) {}

    public record UnitModel(boolean oneTransaction, List<String> deployments, List<ItemModel> items) {}

    /** Either a rendered workflow deployment or a pass-through statement (as segments). */
    public record ItemModel(String deployment, List<SegmentModel> passThrough, boolean semicolonOnOwnLine) {}

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
                    items.add(new ItemModel(d, null, false));
                } else if (item instanceof Program.PassThrough p) {
                    items.add(new ItemModel(null, segments(p), SqlScanner.endsInLineComment(p.sql())));
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
        for (State s : wf.states()) {
            State.Sql sql = (State.Sql) s;
            List<RefModel> refs = new ArrayList<>();
            for (State.Part p : sql.parts()) {
                if (p instanceof State.Ref r) {
                    refs.add(new RefModel(r.name(), r.column(), r.kind() == SqlRef.Kind.NULLSAFE,
                            r.kind() == SqlRef.Kind.ROWS));
                }
            }
            usesInstance |= !refs.isEmpty();
            states.add(new StateModel(sql.id(), sql.line(), sql.excerpt(), sql.bind(), sql.next(), !refs.isEmpty(),
                    SqlQuoting.formatPattern(sql.parts()), sql.query(), refs));
            nodes.add(Json.object().field("node", sql.id()).field("type", sql.nodeType()).field("query", sql.query())
                    .field("bind", sql.bind()).field("next", sql.next()).field("line", sql.line())
                    .field("col", sql.column()).build());
        }
        List<String> params = new ArrayList<>();
        for (Workflow.Parameter p : wf.params()) {
            params.add(Json.object().field("name", p.name()).field("type", p.type()).field("default", p.defaultSql()).build());
        }
        return new WorkflowModel(wf.name(), wf.version(), functionName(wf), wf.sourcePath(), wf.line(),
                wf.scriptMode(), states, usesInstance,
                Json.array(params, ","), Json.array(nodes, NODE_SEPARATOR));
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
