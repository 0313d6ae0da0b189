package dev.dfc.compiler.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The node functions of LANGUAGE.md §3 with the shape of their arguments, so the checker can tell
 * an unknown function from one this compiler does not support yet, and a wrong arity or argument
 * kind from a right one.
 */
public final class NodeFunctions {
    /** What an argument position accepts. */
    public enum Kind {
        /** A workflow node: a node-function call, or a string meaning df.sql(string). */
        NODE,
        /** SQL text (df.sql's query): a string literal, scanned for references. */
        SQL,
        /** A configuration literal: name, seconds, cron, URL, JSON... Never auto-wrapped. */
        LITERAL
    }

    /** One parameter of a node function. */
    public record Param(String name, Kind kind) {}

    /**
     * @param params   positional parameters; the first {@code required} are mandatory
     * @param variadic true when further arguments of the last parameter's kind may follow
     * @param supported false for constructs of the language this compiler cannot lower yet
     */
    public record Signature(String name, List<Param> params, int required, boolean variadic, boolean supported) {
        public int maxArgs() { return variadic ? Integer.MAX_VALUE : params.size(); }

        public Kind kindAt(int position) {
            return params.get(Math.min(position, params.size() - 1)).kind();
        }

        /** Position of a named parameter, or -1. */
        public int positionOf(String paramName) {
            for (int i = 0; i < params.size(); i++) if (params.get(i).name().equals(paramName)) return i;
            return -1;
        }

        public String arityText() {
            if (variadic) return "at least " + plural(required);
            if (required == params.size()) return plural(required);
            return required + " to " + plural(params.size());
        }

        private static String plural(int n) { return n + (n == 1 ? " argument" : " arguments"); }
    }

    private static final Map<String, Signature> TABLE = new TreeMap<>();

    static {
        Kind n = Kind.NODE, l = Kind.LITERAL;
        add("df.sql", true, 1, false, "query", Kind.SQL);
        add("df.seq", true, 2, false, "first", n, "then", n);
        add("df.as", true, 2, false, "node", n, "name", l);
        add("df.join", true, 2, true, "branch1", n, "branch2", n);
        add("df.join3", true, 3, false, "branch1", n, "branch2", n, "branch3", n);
        add("df.race", true, 2, true, "branch1", n, "branch2", n);
        add("df.if", true, 2, false, "condition", n, "then", n, "else", n);
        add("df.if_rows", true, 3, false, "name", l, "then", n, "else", n);
        add("df.loop", true, 1, false, "body", n, "condition", n);
        add("df.break", true, 0, false, "value", l);
        add("df.sleep", true, 1, false, "seconds", l);
        add("df.wait_for_schedule", true, 1, false, "cron", l);
        add("df.wait_for_signal", true, 1, false, "name", l, "timeout_s", l);
        add("df.http", true, 1, false, "url", l, "method", l, "body", l, "headers", l, "timeout_s", l);
        add("df.http_multipart", true, 1, false, "url", l, "method", l, "parts", l, "headers", l, "timeout_s", l);
        add("df.retry", true, 2, false, "node", n, "attempts", l, "backoff", l, "max_backoff", l);
        add("df.timeout", true, 2, false, "node", n, "seconds", l);
        add("df.call", true, 1, false, "workflow", l, "args", l);
        add("df.with_undo", true, 2, false, "node", n, "undo", n);
    }

    private NodeFunctions() {}

    private static void add(String name, boolean supported, int required, boolean variadic, Object... nameKinds) {
        List<Param> params = new ArrayList<>();
        for (int i = 0; i < nameKinds.length; i += 2) params.add(new Param((String) nameKinds[i], (Kind) nameKinds[i + 1]));
        TABLE.put(name, new Signature(name, List.copyOf(params), required, variadic, supported));
    }

    /** The signature of a node function, or null when there is no such function. */
    public static Signature lookup(String name) {
        return TABLE.get(name);
    }

    /** The known function closest to a misspelt name, or null when none is close. */
    public static String closest(String name) {
        return Names.closest(name, TABLE.keySet(), Math.max(2, name.length() / 3));
    }
}
