package dev.dfc.compiler.check;

/**
 * Maps the characters of a decoded string literal back to the literal as written, so a reference
 * inside a string can be reported at its own position. The parser's StringLiteral.decode provides
 * this for every literal form ('', E'', $$, U&'').
 */
@FunctionalInterface
public interface StringOffsets {
    /**
     * For each character of the decoded value, its offset in {@code raw}; null when unknown.
     *
     * @param raw the literal exactly as written, quotes and prefix included
     */
    int[] rawOffsets(String raw);

    /** For literals without escapes: value character i is raw character i + 1. */
    StringOffsets SIMPLE = raw -> {
        int[] offsets = new int[Math.max(0, raw.length() - 2)];
        for (int i = 0; i < offsets.length; i++) offsets[i] = i + 1;
        return offsets;
    };
}
