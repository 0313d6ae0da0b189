package dev.dfc.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dfc.compiler.check.SqlRef;
import dev.dfc.compiler.ir.State;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SqlQuotingTest {
    @Test
    void literalDoublesQuotesAndKeepsBackslashes() {
        assertEquals("'it''s'", SqlQuoting.literal("it's"));
        assertEquals("'C:\\temp'", SqlQuoting.literal("C:\\temp"));
        assertEquals("''", SqlQuoting.literal(""));
        assertEquals("'héllo ✓'", SqlQuoting.literal("héllo ✓"));
        assertEquals("'$$x$$'", SqlQuoting.literal("$$x$$"));
    }

    @Test
    void identQuotesOnlyWhenNeeded() {
        assertEquals("orders", SqlQuoting.ident("orders"));
        assertEquals("a$b", SqlQuoting.ident("a$b"));
        assertEquals("\"Orders\"", SqlQuoting.ident("Orders"));
        assertEquals("\"select\"", SqlQuoting.ident("select"));
        assertEquals("\"x@1\"", SqlQuoting.ident("x@1"));
        assertEquals("\"a\"\"b\"", SqlQuoting.ident("a\"b"));
        assertEquals("\"1a\"", SqlQuoting.ident("1a"));
    }

    @Test
    void commentKeepsFirstLineAndShortens() {
        assertEquals("SELECT 1...", SqlQuoting.comment("SELECT 1\nFROM t"));
        assertEquals("SELECT 1", SqlQuoting.comment("SELECT 1\n"));
        assertEquals("a b", SqlQuoting.comment("a\tb"));
        String longText = "x".repeat(100);
        assertEquals("x".repeat(SqlQuoting.COMMENT_WIDTH - 3) + "...", SqlQuoting.comment(longText));
    }

    @Test
    void formatPatternEscapesPercent() {
        List<State.Part> parts = List.of(new State.Text("SELECT 100 % "), new State.Ref(SqlRef.Kind.VALUE, "a", null),
                new State.Text(" AS pct, '%s'"));
        assertEquals("SELECT 100 %% %s AS pct, '%%s'", SqlQuoting.formatPattern(parts));
    }

    @Test
    void truncatesAtCharacterBoundary() {
        String name = "é".repeat(40); // 80 bytes
        String cut = SqlQuoting.truncateUtf8(name, 46);
        assertEquals(23, cut.length());
        assertEquals(46, cut.getBytes(StandardCharsets.UTF_8).length);
        assertEquals("abc", SqlQuoting.truncateUtf8("abc", 46));
    }

    @Test
    void functionNameFitsIdentifierLimit() {
        var wf = new dev.dfc.compiler.ir.Workflow("x".repeat(80), "0123456789abcdef", "f.dfsql", 1, List.of(), List.of());
        String fn = Emitter.functionName(wf);
        assertEquals(63, fn.getBytes(StandardCharsets.UTF_8).length);
        assertEquals("x".repeat(46) + "@0123456789abcdef", fn);
    }
}
