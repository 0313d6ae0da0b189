package dev.dfc.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.ir.IrDump;
import dev.dfc.compiler.ir.Program;
import dev.dfc.compiler.ir.Workflow;
import dev.dfc.compiler.parse.Parser;
import dev.dfc.compiler.source.SourceFile;
import org.junit.jupiter.api.Test;

class LoweringTest {
    private static Workflow lower(String text) {
        var parsed = Parser.parse(new SourceFile("f.dfsql", text));
        assertEquals(java.util.List.of(), parsed.diagnostics());
        Program.Unit unit = Lowering.lower(parsed.script());
        return (Workflow) unit.items().stream().filter(i -> i instanceof Workflow).findFirst().orElseThrow();
    }

    @Test
    void sequenceBecomesNumberedStatesInSourceOrder() {
        Workflow wf = lower("""
                CREATE WORKFLOW w (n int DEFAULT 5) AS
                    'SELECT $n AS a' |=> 'a'
                    ~> ('SELECT $a.x?, $a?' ~> 'SELECT * FROM $a.*') |=> 'b'
                    ~> df.sql('SELECT $b.a');
                """);
        assertEquals("""
                workflow w @%s (f.dfsql:1)
                  param n int default 5
                  state 1 SQL at 2:5 bind a next 2
                    text "SELECT "
                    ref value n
                    text " AS a"
                  state 2 SQL at 3:9 next 3
                    text "SELECT "
                    ref nullsafe a.x
                    text ", "
                    ref nullsafe a
                  state 3 SQL at 3:32 bind b next 4
                    text "SELECT * FROM "
                    ref rows a
                  state 4 SQL at 4:8 next done
                    text "SELECT "
                    ref value b.a
                """.formatted(wf.version()), IrDump.dump(wf));
    }

    @Test
    void excerptOfABoundStepIncludesItsBind() {
        Workflow wf = lower("CREATE WORKFLOW w AS 'SELECT 1' |=> 'one' ~> 'SELECT $one';");
        assertEquals("'SELECT 1' |=> 'one'", wf.states().get(0).excerpt());
        assertEquals("'SELECT $one'", wf.states().get(1).excerpt());
    }

    @Test
    void versionIsSixteenHexCharacters() {
        Workflow wf = lower("CREATE WORKFLOW w AS 'SELECT 1';");
        assertEquals(16, wf.version().length());
        assertEquals(wf.version(), wf.version().replaceAll("[^0-9a-f]", ""));
        Statement.WorkflowDef def = (Statement.WorkflowDef) Parser.parse(new SourceFile("g.dfsql",
                "CREATE WORKFLOW w AS df.sql('SELECT 1');")).script().statements().get(0);
        assertEquals(wf.version(), Canonical.version(def));
    }
}
