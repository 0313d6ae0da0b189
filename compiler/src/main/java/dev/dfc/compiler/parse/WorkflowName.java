package dev.dfc.compiler.parse;

import java.util.List;

/**
 * The name under which a workflow is registered in the runtime's catalog: its identifier parts,
 * folded as PostgreSQL folds them, joined with '.'. A part that holds a '.' or starts with '"' is
 * written quoted (as quote_ident would, '"' doubled), so that {@code "a.b"} (one name) and
 * {@code a.b} (workflow b in schema a) stay two workflows, and every catalog name reads back
 * as one list of parts; every other part is written as it is, so the names of workflows
 * deployed before stay what they were ({@code My Flow} for {@code "My Flow"}).
 * runtime-sql/080_start.sql (df._workflow_named) builds the same form from a name read as an
 * identifier.
 */
public final class WorkflowName {
    private WorkflowName() {}

    public static String catalogName(List<String> parts) {
        StringBuilder out = new StringBuilder();
        for (String part : parts) {
            if (out.length() > 0) out.append('.');
            if (part.indexOf('.') >= 0 || part.startsWith("\"")) out.append('"').append(part.replace("\"", "\"\"")).append('"');
            else out.append(part);
        }
        return out.toString();
    }
}
