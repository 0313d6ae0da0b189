package dev.dfc.compiler.ir;

import java.util.List;
import java.util.Locale;

/** A stable, readable text form of the IR, for golden tests and debugging. */
public final class IrDump {
    private IrDump() {}

    public static String dump(Workflow wf) {
        StringBuilder out = new StringBuilder();
        out.append("workflow ").append(wf.name()).append(" @").append(wf.version())
                .append(" (").append(wf.sourcePath()).append(':').append(wf.line()).append(")\n");
        for (Workflow.Parameter p : wf.params()) {
            out.append("  param ").append(p.name()).append(' ').append(p.type());
            if (p.defaultSql() != null) out.append(" default ").append(p.defaultSql());
            out.append('\n');
        }
        for (State s : wf.states()) {
            out.append("  state ").append(s.id()).append(' ').append(s.nodeType())
                    .append(" at ").append(s.line()).append(':').append(s.column());
            attributes(out, s);
            if (s.bind() != null) out.append(" bind ").append(s.bind());
            out.append(" next ").append(target(s.next()));
            if (s instanceof State.Cond c) out.append(" else ").append(target(c.elseNext()));
            if (s instanceof State.IfRows r) out.append(" else ").append(target(r.elseNext()));
            if (s instanceof State.Test t) out.append(" else ").append(target(t.elseNext()));
            out.append('\n');
            if (s instanceof State.Sql sql) parts(out, sql.parts());
            if (s instanceof State.Cond c) parts(out, c.parts());
            if (s instanceof State.Call c && c.args() != null) {
                out.append("    args\n");
                parts(out, c.args());
            }
            if (s instanceof State.Http h) {
                out.append("    url\n");
                parts(out, h.url());
                if (h.body() != null) {
                    out.append(h.multipart() ? "    parts\n" : "    body\n");
                    parts(out, h.body());
                }
                if (h.headers() != null) {
                    out.append("    headers\n");
                    parts(out, h.headers());
                }
            }
        }
        if (wf.tree() != null) {
            for (Workflow.Then t : wf.tree().thens()) {
                out.append("  node ").append(t.id()).append(" THEN at ").append(t.line()).append(':').append(t.column())
                        .append(" left ").append(target(t.left())).append(" right ").append(target(t.right()))
                        .append(" states ").append(t.first()).append('-').append(t.last());
                if (t.bind() != null) out.append(" bind ").append(t.bind());
                out.append('\n');
            }
        }
        return out.toString();
    }

    /** What a state needs besides bind and next, in one line. */
    private static void attributes(StringBuilder out, State s) {
        if (s instanceof State.IfRows r) {
            out.append(" rows of ").append(r.name());
        } else if (s instanceof State.Fork f) {
            out.append(" branches");
            String sep = " ";
            for (int b : f.branches()) {
                out.append(sep).append(b);
                sep = ",";
            }
        } else if (s instanceof State.Retry r) {
            out.append(" body ").append(r.body()).append(" attempts ").append(r.attempts())
                    .append(" backoff ").append(r.backoff()).append(" max_backoff ").append(r.maxBackoff());
        } else if (s instanceof State.Timeout t) {
            out.append(" body ").append(t.body()).append(" seconds ").append(t.seconds());
        } else if (s instanceof State.Undo u) {
            out.append(" undo ").append(u.undo());
        } else if (s instanceof State.Sleep sl) {
            out.append(" seconds ").append(sl.seconds());
        } else if (s instanceof State.Schedule sc) {
            out.append(" cron ").append(quote(sc.cron()));
        } else if (s instanceof State.Signal sg) {
            out.append(" signal ").append(quote(sg.name()));
            if (sg.timeout() != null) out.append(" timeout ").append(sg.timeout());
        } else if (s instanceof State.Call c) {
            out.append(" workflow ").append(quote(c.workflow()));
        } else if (s instanceof State.Http h) {
            if (h.multipart()) out.append(" multipart");
            out.append(" method ").append(h.method() == null ? "POST" : h.method());
            if (h.timeout() != null) out.append(" timeout ").append(h.timeout());
        } else if (s instanceof State.Break b) {
            if (b.value() != null) {
                out.append(" value ").append(b.value().type().name().toLowerCase(Locale.ROOT)).append(' ')
                        .append(b.value().type() == State.ValueType.STRING ? quote(b.value().text()) : b.value().text());
            }
            out.append(" unwind ").append(b.unwind());
        }
    }

    private static String target(Integer state) {
        return state == null ? "done" : state.toString();
    }

    private static void parts(StringBuilder out, List<State.Part> parts) {
        for (State.Part part : parts) {
            if (part instanceof State.Text t) {
                out.append("    text ").append(quote(t.text())).append('\n');
            } else if (part instanceof State.Ref r) {
                out.append("    ref ").append(r.kind().name().toLowerCase(Locale.ROOT)).append(' ').append(r.name());
                if (r.column() != null) out.append('.').append(r.column());
                out.append('\n');
            } else if (part instanceof State.Var v) {
                out.append("    var ").append(v.literal() ? "in-literal " : "").append(v.parameter() ? "parameter " : "")
                        .append(v.name()).append('\n');
            }
        }
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t") + '"';
    }
}
