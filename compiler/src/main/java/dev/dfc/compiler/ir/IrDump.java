package dev.dfc.compiler.ir;

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
            if (s instanceof State.Sql sql && sql.bind() != null) out.append(" bind ").append(sql.bind());
            out.append(" next ").append(s.next() == null ? "done" : s.next()).append('\n');
            if (s instanceof State.Sql sql) {
                for (State.Part part : sql.parts()) {
                    if (part instanceof State.Text t) {
                        out.append("    text ").append(quote(t.text())).append('\n');
                    } else if (part instanceof State.Ref r) {
                        out.append("    ref ").append(r.kind().name().toLowerCase(java.util.Locale.ROOT))
                                .append(' ').append(r.name());
                        if (r.column() != null) out.append('.').append(r.column());
                        out.append('\n');
                    }
                }
            }
        }
        return out.toString();
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t") + '"';
    }
}
