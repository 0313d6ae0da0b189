package dev.dfc.compiler.check;

/**
 * A reference to a named result or parameter inside SQL text (LANGUAGE.md §4).
 *
 * @param column the column for {@code $name.col} and {@code $name.col?}, else null
 * @param start  offset of the '$' in the SQL text
 * @param end    offset just past the reference
 */
public record SqlRef(Kind kind, String name, String column, int start, int end) {
    public enum Kind {
        /** {@code $name} or {@code $name.col}: fails without a row or on NULL. */
        VALUE,
        /** {@code $name?} or {@code $name.col?}: NULL instead of failing. */
        NULLSAFE,
        /** {@code $name.*}: the whole row set as an inline relation. */
        ROWS
    }
}
