package dev.dfc.compiler.check;

/**
 * A {@code {name}} variable reference (LANGUAGE.md §4) in SQL text, a URL, a body or headers.
 *
 * @param start   offset of the '{'
 * @param end     offset just past the '}'
 * @param literal inside a string literal, quoted identifier or dollar-quoted body of SQL text, where
 *                braces are far more often JSON or array literals: substituted only when the name is
 *                known when the step runs, else left as written
 */
public record VarRef(String name, int start, int end, boolean literal) {
    public VarRef(String name, int start, int end) {
        this(name, start, end, false);
    }
}
