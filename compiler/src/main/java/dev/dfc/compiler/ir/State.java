package dev.dfc.compiler.ir;

import dev.dfc.compiler.check.SqlRef;
import java.util.List;

/**
 * One state of a workflow: what the runtime does in one transaction, and where the thread goes
 * next (docs/internals.md, "Control flow, waits and cancellation"). Each variant maps to one
 * {@code df.step} kind.
 */
public sealed interface State {
    /** 1-based state number; 1 is the entry. */
    int id();

    /**
     * The name the state's result (or, for a cond or break, the thread's result) is bound to, or
     * null; several names, comma-separated, when the result is bound more than once ({@code x |=> 'a' |=> 'b'}).
     */
    String bind();

    /** The state after this one (for a condition: when truthy), or null when the thread ends. */
    Integer next();

    /** Node type as shown by df.instance_nodes, e.g. "SQL", "IF", "JOIN". */
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
     */
    record Sql(int id, String query, List<Part> parts, String bind, Integer next, int line, int column,
            String excerpt) implements State {
        public Sql {
            parts = List.copyOf(parts);
        }

        @Override
        public String nodeType() { return "SQL"; }
    }

    /**
     * A condition: runs SQL, goes to {@code next} when its result is truthy, else to {@code elseNext}
     * (null: the thread ends). The condition of an if ({@code nodeType} "IF") or of a loop ("LOOP").
     * {@code noElse}: an if without else, whose falsy path leaves the if with a null result.
     */
    record Cond(int id, String nodeType, String query, List<Part> parts, String bind, Integer next,
            Integer elseNext, boolean noElse, int line, int column, String excerpt) implements State {
        public Cond {
            parts = List.copyOf(parts);
        }
    }

    /**
     * The test of a condition that is not one SQL step but nodes of its own (a bound step, a
     * sequence, a signal wait...): they run first, then this decides from the thread's result, as a
     * {@link Cond} decides from its SQL's. An if's ({@code nodeType} "IF"; its falsy path gives null
     * when there is no else arm), or a loop's ("LOOP"): truthy goes back to the body; falsy ends the
     * loop with the last iteration's result, which the body's exits bound to the hidden name
     * {@code saved} (a {@code sys_} name, which no workflow can bind).
     */
    record Test(int id, String nodeType, String saved, String bind, Integer next, Integer elseNext, int line, int column,
            String excerpt) implements State {}

    /** df.if_rows: truthy when the result {@code name} has at least one row; no SQL runs. {@code noElse} as for {@link Cond}. */
    record IfRows(int id, String name, String bind, Integer next, Integer elseNext, boolean noElse, int line, int column,
            String excerpt) implements State {
        @Override
        public String nodeType() { return "IF_ROWS"; }
    }

    /** A join or race: each branch runs as its own thread from its entry state. */
    record Fork(int id, List<Integer> branches, ForkMode mode, String bind, Integer next, int line, int column,
            String excerpt) implements State {
        public Fork {
            branches = List.copyOf(branches);
        }

        @Override
        public String nodeType() { return mode == ForkMode.JOIN ? "JOIN" : "RACE"; }
    }

    enum ForkMode {
        JOIN, RACE;

        /** The mode as the runtime spells it. */
        public String sqlName() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    /** df.sleep; {@code seconds} is a numeric literal's text. */
    record Sleep(int id, String seconds, String bind, Integer next, int line, int column, String excerpt)
            implements State {
        @Override
        public String nodeType() { return "SLEEP"; }
    }

    /** df.wait_for_schedule with a 5-field cron expression. */
    record Schedule(int id, String cron, String bind, Integer next, int line, int column, String excerpt)
            implements State {
        @Override
        public String nodeType() { return "WAIT_SCHEDULE"; }
    }

    /** df.wait_for_signal; {@code timeout} is a numeric literal's text, or null for none. */
    record Signal(int id, String name, String timeout, String bind, Integer next, int line, int column,
            String excerpt) implements State {
        @Override
        public String nodeType() { return "SIGNAL"; }
    }

    /**
     * df.break: leaves {@code unwind} enclosing forks and continues at {@code next}, the innermost
     * loop's exit, with {@code value} (null when none) as the thread's result.
     */
    record Break(int id, Value value, int unwind, String bind, Integer next, int line, int column, String excerpt)
            implements State {
        @Override
        public String nodeType() { return "BREAK"; }
    }

    /**
     * df.http (df.http_multipart: {@code multipart}, and {@code body} is the JSON array of parts):
     * the URL, body (null: none) and headers (null: none) as text with their references,
     * substituted when the step runs (as raw text; in the headers, escaped for a JSON string);
     * {@code method} (null: POST) and {@code timeout} (a numeric literal's text, null: the default).
     */
    record Http(int id, String urlText, List<Part> url, String method, List<Part> body, List<Part> headers, String timeout,
            boolean multipart, String bind, Integer next, int line, int column, String excerpt) implements State {
        public Http {
            url = List.copyOf(url);
            body = body == null ? null : List.copyOf(body);
            headers = headers == null ? null : List.copyOf(headers);
        }

        @Override
        public String nodeType() { return "HTTP"; }
    }

    /**
     * df.call: starts {@code workflow} as a child instance with {@code args} (a JSON object with
     * references, null: none) and waits for it; its result is the child's result.
     */
    record Call(int id, String workflow, List<Part> args, String bind, Integer next, int line, int column, String excerpt)
            implements State {
        public Call {
            args = args == null ? null : List.copyOf(args);
        }

        @Override
        public String nodeType() { return "CALL"; }
    }

    /**
     * df.retry: runs {@code body} (an entry state) as one branch thread; when it fails and fewer than
     * {@code attempts} runs were made, runs it again after {@code backoff} seconds, doubled after
     * each failure up to {@code maxBackoff} (numeric texts). Its result is the body's.
     */
    record Retry(int id, int body, int attempts, String backoff, String maxBackoff, String bind, Integer next,
            int line, int column, String excerpt) implements State {
        @Override
        public String nodeType() { return "RETRY"; }
    }

    /**
     * df.timeout: runs {@code body} as one branch thread; when it has not ended {@code seconds} (a
     * numeric text) after it started, cancels it and fails. Its result is the body's.
     */
    record Timeout(int id, int body, String seconds, String bind, Integer next, int line, int column, String excerpt)
            implements State {
        @Override
        public String nodeType() { return "TIMEOUT"; }
    }

    /**
     * {@code x <-> y} (df.with_undo), after x: registers {@code undo}, the entry state of y, to run
     * if the instance fails later; the thread's result (x's) is unchanged.
     */
    record Undo(int id, int undo, String bind, Integer next, int line, int column, String excerpt) implements State {
        @Override
        public String nodeType() { return "UNDO"; }
    }

    /** A literal value given to df.break; {@code text} is a number's or JSON's text, or a string's value. */
    record Value(ValueType type, String text) {}

    enum ValueType { STRING, NUMBER, BOOLEAN, JSON }

    /** A piece of SQL text. */
    sealed interface Part {}

    record Text(String text) implements Part {}

    /** A reference: {@code $name} / {@code $name.column} (VALUE), with '?' (NULLSAFE), {@code $name.*} (ROWS). */
    record Ref(SqlRef.Kind kind, String name, String column) implements Part {}

    /**
     * A variable {@code {name}}, substituted as raw text: a variable captured at start or a system
     * variable, or, when {@code parameter} is true, the text of the workflow parameter of that name.
     * {@code literal}: written inside a string literal, quoted identifier or dollar-quoted body, where
     * a name that is neither a parameter, a system variable nor captured stays as written.
     */
    record Var(String name, boolean parameter, boolean literal) implements Part {}
}
