package dev.dfc.cli.report;

import dev.dfc.compiler.source.Span;

/**
 * Where a diagnostic is, as the machine-readable formats give it: 1-based lines and columns,
 * columns counted in UTF-16 code units (what the text format prints too), the end exclusive: the
 * position just after the last character. An empty span has end == start.
 */
record Region(String path, int line, int column, int endLine, int endColumn) {
    static Region of(Span span) {
        if (span == null) return null;
        int end = Math.max(span.start(), span.end());
        return new Region(span.file().path(), span.line(), span.column(), span.file().line(end), span.file().column(end));
    }

    /** The path with forward slashes, as a URI reference (percent-encoded where a URI needs it, ':' too, so no
     * segment reads as a scheme; a Windows drive path becomes a file:/// URI). */
    String uri() {
        String p = path.replace('\\', '/');
        StringBuilder out = new StringBuilder();
        if (p.matches("^[A-Za-z]:/.*")) {
            out.append("file:///").append(p, 0, 2);
            p = p.substring(2);
        }
        byte[] bytes = p.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte b : bytes) {
            int c = b & 0xff;
            boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._~/!$&'()*+,;=@".indexOf(c) >= 0;
            if (plain) out.append((char) c);
            else out.append('%').append(String.format("%02X", c));
        }
        return out.toString();
    }
}
