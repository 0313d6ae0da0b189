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
        List<State> states, boolean scriptMode, List<Outline> outline, Tree tree) implements Program.Item {
    public Workflow {
        params = List.copyOf(params);
        states = List.copyOf(states);
        outline = List.copyOf(outline);
    }

    public Workflow(String name, String version, String sourcePath, int line, List<Parameter> params,
            List<State> states, boolean scriptMode) {
        this(name, version, sourcePath, line, params, states, scriptMode, List.of(), null);
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

    /**
     * The workflow as pg_durable's tree of nodes (df.nodes' left_node and right_node): its root,
     * the children of each state (index id - 1), and the THEN nodes of its sequences, which are not
     * states and are numbered after them.
     */
    public record Tree(Integer root, List<Children> children, List<Then> thens) {
        public Tree {
            children = List.copyOf(children);
            thens = List.copyOf(thens);
        }
    }

    /** A node's children in the tree: a fork's first two branches, an if's arms, a loop's or guard's body... */
    public record Children(Integer left, Integer right) {}

    /**
     * {@code x ~> y} as a node: {@code left} and {@code right} the roots of x and y; {@code first}
     * to {@code last} the states of its subtree, whose statuses make its own.
     */
    public record Then(int id, Integer left, Integer right, int first, int last, String bind, int line, int column,
            String excerpt) {}
}
