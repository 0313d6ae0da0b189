package dev.dfc.compiler.emit;

import java.io.IOException;
import java.io.Writer;
import java.util.ArrayDeque;
import java.util.Deque;
import org.stringtemplate.v4.STWriter;

/**
 * Applies template indentation like ST's AutoIndentWriter but writes every other character as
 * given: AutoIndentWriter drops '\r', which would change the text of SQL steps written with CRLF
 * line ends. No line wrapping. Public with a (Writer) constructor because ST instantiates it
 * reflectively for parenthesised sub-expressions.
 */
public final class ExactWriter implements STWriter {
    private final Writer out;
    private final Deque<String> indents = new ArrayDeque<>();
    private boolean atStartOfLine = true;
    private int index;

    public ExactWriter(Writer out) {
        this.out = out;
    }

    @Override
    public void pushIndentation(String indent) { indents.push(indent); }

    @Override
    public String popIndentation() { return indents.pop(); }

    @Override
    public void pushAnchorPoint() {}

    @Override
    public void popAnchorPoint() {}

    @Override
    public void setLineWidth(int lineWidth) {}

    @Override
    public int write(String str) throws IOException {
        int n = 0;
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            if (c == '\n') {
                atStartOfLine = true;
            } else if (atStartOfLine) {
                atStartOfLine = false;
                var it = indents.descendingIterator();
                while (it.hasNext()) {
                    String indent = it.next();
                    out.write(indent);
                    n += indent.length();
                }
            }
            out.write(c);
            n++;
        }
        index += n;
        return n;
    }

    @Override
    public int write(String str, String wrap) throws IOException { return write(str); }

    @Override
    public int writeWrap(String wrap) { return 0; }

    @Override
    public int writeSeparator(String str) throws IOException { return write(str); }

    @Override
    public int index() { return index; }
}
