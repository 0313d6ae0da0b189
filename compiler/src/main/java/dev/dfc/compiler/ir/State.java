package dev.dfc.compiler.ir;

import dev.dfc.compiler.check.SqlRef;
import java.util.List;

/** One step of a workflow: what the runtime runs in one transaction, and where it goes next. */
public sealed interface State {
    /** 1-based state number; 1 is the entry. */
    int id();

    /** The state after this one, or null when the workflow is done. */
    Integer next();

    /** Node type as shown by df.instance_nodes, e.g. "SQL". */
    String nodeType();

    /** Source position of the step (1-based). */
    int line();

    int column();

    /** The step's source text, as written, for comments. */
    String excerpt();

    /**
     * A SQL statement whose references are substituted when the step runs.
     *
     * @param query the SQL text with references as written
     * @param parts the same text split into literal text and references
     * @param bind  the name the result is bound to, or null
     */
    record Sql(int id, String query, List<Part> parts, String bind, Integer next, int line, int column,
            String excerpt) implements State {
        public Sql {
            parts = List.copyOf(parts);
        }

        @Override
        public String nodeType() { return "SQL"; }
    }

    /** A piece of SQL text. */
    sealed interface Part {}

    record Text(String text) implements Part {}

    /** A reference: {@code $name} / {@code $name.column} (VALUE), with '?' (NULLSAFE), {@code $name.*} (ROWS). */
    record Ref(SqlRef.Kind kind, String name, String column) implements Part {}
}
