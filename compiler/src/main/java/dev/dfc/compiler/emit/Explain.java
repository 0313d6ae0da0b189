package dev.dfc.compiler.emit;

import dev.dfc.compiler.ir.Program;
import dev.dfc.compiler.ir.State;
import dev.dfc.compiler.ir.Workflow;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code dfc explain FILE}: the tree of each workflow as a dry run, without a database, line for
 * line what the runtime's {@code df.explain('workflow')} prints once the workflow is deployed
 * (runtime-sql/100_api.sql, df._explain_line; it/ExplainTest compares the two): a header, then one
 * line per state in source order, indented by its depth in the expression, after its label lines.
 */
public final class Explain {
    private static final Pattern SPACES = Pattern.compile("\\s+");
    /** df.explain shows at most this many characters of a step's query. */
    private static final int QUERY_CHARS = 60;

    private Explain() {}

    /** Every workflow of the program, in order, a blank line between two. */
    public static String text(Program program) {
        List<String> trees = new ArrayList<>();
        for (Program.Unit unit : program.units()) {
            for (Program.Item item : unit.items()) {
                if (item instanceof Workflow wf) trees.add(dryRun(wf));
            }
        }
        return String.join("\n\n", trees) + (trees.isEmpty() ? "" : "\n");
    }

    /** One workflow's tree, every node pending (no trailing newline). */
    public static String dryRun(Workflow wf) {
        StringBuilder out = new StringBuilder();
        out.append(wf.name()).append(" (version ").append(wf.version()).append("), dry run");
        for (int k = 0; k < wf.states().size(); k++) {
            State s = wf.states().get(k);
            Workflow.Outline outline = k < wf.outline().size() ? wf.outline().get(k) : new Workflow.Outline(0, false, List.of());
            for (Workflow.Label label : outline.labels()) {
                out.append('\n').append("      ").append("  ".repeat(label.depth())).append(label.text());
            }
            out.append('\n').append("  ").append(rpad(Integer.toString(s.id()), 3)).append(' ')
                    .append("  ".repeat(outline.depth()))
                    .append(outline.arrow() ? "→ " : "")
                    .append("○ Pending  ").append(' ')
                    .append(rpad(s.nodeType(), 14));
            List<String> parts = new ArrayList<>();
            String query = Emitter.nodeQuery(s);
            if (query != null) parts.add(left(SPACES.matcher(query).replaceAll(" "), QUERY_CHARS));
            String bind = Emitter.visibleBind(s.bind());
            if (bind != null) parts.add("|=> " + bind.replace(",", " |=> "));
            parts.add("(line " + s.line() + ")");
            out.append(String.join(" ", parts));
        }
        return out.toString();
    }

    /** PostgreSQL's rpad: pads with spaces to {@code n} characters, or cuts to {@code n}. */
    private static String rpad(String s, int n) {
        int length = s.codePointCount(0, s.length());
        if (length >= n) return left(s, n);
        return s + " ".repeat(n - length);
    }

    /** PostgreSQL's left: the first {@code n} characters (code points). */
    private static String left(String s, int n) {
        if (s.codePointCount(0, s.length()) <= n) return s;
        return s.substring(0, s.offsetByCodePoints(0, n));
    }
}
