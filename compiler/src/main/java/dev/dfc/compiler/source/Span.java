package dev.dfc.compiler.source;

/** A half-open range [start, end) of character offsets in a source file. */
public record Span(SourceFile file, int start, int end) {
    public int line() { return file.line(start); }

    public int column() { return file.column(start); }

    public String text() { return file.text().substring(start, Math.min(end, file.text().length())); }

    /** The smallest span covering both. */
    public Span to(Span other) { return new Span(file, Math.min(start, other.start), Math.max(end, other.end)); }

    @Override
    public String toString() { return file.path() + ":" + line() + ":" + column(); }
}
