package dev.dfc.compiler.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dfc.compiler.source.SourceFile;
import org.junit.jupiter.api.Test;

class TextRendererTest {
    private static final SourceFile FILE = new SourceFile("flows/order.dfsql",
            "line one\nline two\nline three\nline four\nline five\nline six\nline seven\nline eight\n"
                    + "line nine\nline ten\nline eleven\n    fetch ~> df.retyr(3) ~> store\n\tx\t~> $y\nlast");

    @Test
    void rendersTheStyleGuideFormat() {
        int at = FILE.text().indexOf("df.retyr");
        Diagnostic d = Diagnostic.error("DF3001", FILE.span(at, at + 8), "unknown node function 'df.retyr'")
                .withHint("did you mean 'df.retry'?");
        assertEquals("""
                flows/order.dfsql:12:14: error[DF3001]: unknown node function 'df.retyr'
                   12 |     fetch ~> df.retyr(3) ~> store
                      |              ^^^^^^^^
                   hint: did you mean 'df.retry'?
                """, TextRenderer.render(d));
    }

    @Test
    void controlCharactersAreShownAsPicturesAndKeepCaretsAligned() {
        dev.dfc.compiler.source.SourceFile f = new dev.dfc.compiler.source.SourceFile("x.dfsql", "a\rb\u0000c\u2028 $z\n");
        int at = f.text().indexOf("$z");
        Diagnostic d = Diagnostic.error("DF2001", f.span(at, at + 2), "bad \u0001 input");
        assertEquals("x.dfsql:1:8: error[DF2001]: bad \u2401 input\n"
                + "    1 | a\u240db\u2400c\u2424 $z\n"
                + "      |        ^^\n", TextRenderer.render(d));
    }

    @Test
    void emptySpanGetsOneCaretAndWarningsSayWarning() {
        Diagnostic d = Diagnostic.warning("DF2101", FILE.span(2, 2), "something");
        assertEquals("""
                flows/order.dfsql:1:3: warning[DF2101]: something
                    1 | line one
                      |   ^
                """, TextRenderer.render(d));
    }

    @Test
    void multiLineSpanUnderlinesToEndOfFirstLine() {
        int at = FILE.text().indexOf("two");
        Diagnostic d = Diagnostic.error("DF2001", FILE.span(at, at + 12), "m");
        assertEquals("""
                flows/order.dfsql:2:6: error[DF2001]: m
                    2 | line two
                      |      ^^^
                """, TextRenderer.render(d));
    }

    @Test
    void tabsKeepCaretsAligned() {
        int at = FILE.text().indexOf("$y");
        Diagnostic d = Diagnostic.error("DF2001", FILE.span(at, at + 2), "m");
        // "\tx\t~> $y": tab to column 4, "x", tab to column 8, "~> " then "$y" at display column 11
        assertEquals("""
                flows/order.dfsql:13:7: error[DF2001]: m
                   13 |     x   ~> $y
                      |            ^^
                """, TextRenderer.render(d));
    }

    @Test
    void spanAtEndOfFileWithoutNewline() {
        int end = FILE.text().length();
        Diagnostic d = Diagnostic.error("DF1001", FILE.span(end, end), "unexpected end of input");
        assertEquals("""
                flows/order.dfsql:14:5: error[DF1001]: unexpected end of input
                   14 | last
                      |     ^
                """, TextRenderer.render(d));
    }

    @Test
    void charactersOutsideTheBmpTakeOneColumn() {
        SourceFile f = new SourceFile("u.dfsql", "'😀 $x'");
        int at = f.text().indexOf("$x");
        assertEquals("""
                u.dfsql:1:5: error[DF2001]: m
                    1 | '😀 $x'
                      |    ^^
                """, TextRenderer.render(Diagnostic.error("DF2001", f.span(at, at + 2), "m")));
    }

    @Test
    void noSpan() {
        assertEquals("dfc: error[DF9001]: boom\n", TextRenderer.render(Diagnostic.error("DF9001", null, "boom")));
    }
}
