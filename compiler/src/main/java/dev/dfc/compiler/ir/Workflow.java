package dev.dfc.compiler.ir;

import java.util.List;

/**
 * One workflow version as a state machine: numbered states in source order, state 1 the entry.
 *
 * @param name    canonical name, e.g. "etl.ingest"
 * @param version    first 16 hex characters of the SHA-256 of the workflow's canonical source
 * @param scriptMode true for an anonymous workflow compiled from a script-mode call at {@code line}
 */
public record Workflow(String name, String version, String sourcePath, int line, List<Parameter> params,
        List<State> states, boolean scriptMode, List<Outline> outline) implements Program.Item {
    public Workflow {
        params = List.copyOf(params);
        states = List.copyOf(states);
        outline = List.copyOf(outline);
    }

    public Workflow(String name, String version, String sourcePath, int line, List<Parameter> params,
            List<State> states, boolean scriptMode) {
        this(name, version, sourcePath, line, params, states, scriptMode, List.of());
    }

    public Workflow(String name, String version, String sourcePath, int line, List<Parameter> params,
            List<State> states) {
        this(name, version, sourcePath, line, params, states, false);
    }

    /**
     * Where state {@code id} (index id - 1) stands in the expression's tree, for df.explain's
     * layout: its depth, whether it follows another step of a sequence (an arrow), and the label
     * lines printed before it ("║ branch 2:", "✓ then:", "↻ body:"...), each at its depth.
     */
    public record Outline(int depth, boolean arrow, List<Label> labels) {
        public Outline {
            labels = List.copyOf(labels);
        }
    }

    public record Label(int depth, String text) {}

    /** A workflow parameter; {@code defaultSql} is the default's SQL text as written, or null. */
    public record Parameter(String name, String type, String defaultSql) {}
}
