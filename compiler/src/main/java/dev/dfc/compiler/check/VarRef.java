package dev.dfc.compiler.check;

/**
 * A {@code {name}} variable reference (LANGUAGE.md §4) in SQL text, a URL, a body or headers.
 *
 * @param start offset of the '{'
 * @param end   offset just past the '}'
 */
public record VarRef(String name, int start, int end) {}
