package dev.dfc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.compiler.source.SourceFile;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Compiler.sqlSteps: what dfc check --db sends to the server, and where each character came from. */
class SqlStepsTest {
    @Test
    void passThroughAndStepsInOrderWithBindsParamsAndSourceOffsets() {
        String text = """
                CREATE TABLE t (a int);
                CREATE WORKFLOW w (n int) AS
                    'SELECT a FROM t WHERE a = $n' |=> 'x'
                    ~> df.sql(E'SELECT \\'\\\\\\', $x')
                    ~> ('SELECT true' ?> 'SELECT 1' |=> 'y' !> 'SELECT 2' |=> 'y');
                """;
        SourceFile file = new SourceFile("f.dfsql", text);

        SqlSteps steps = Compiler.sqlSteps(List.of(file));

        assertEquals(2, steps.items().size());
        SqlSteps.PassThrough p = (SqlSteps.PassThrough) steps.items().get(0);
        assertEquals("CREATE TABLE t (a int)", p.sql());
        SqlSteps.Workflow w = (SqlSteps.Workflow) steps.items().get(1);
        assertEquals("w", w.name());
        assertEquals(List.of(new SqlSteps.Param("n", "int")), w.params());
        assertEquals(List.of("SELECT a FROM t WHERE a = $n", "SELECT '\\', $x", "SELECT true", "SELECT 1", "SELECT 2"),
                w.steps().stream().map(SqlSteps.Step::sql).toList());
        assertEquals(List.of("SQL", "SQL", "IF", "SQL", "SQL"), w.steps().stream().map(SqlSteps.Step::nodeType).toList());
        assertEquals(List.of("x"), w.steps().get(0).binds());
        assertEquals(List.of("y"), w.steps().get(4).binds());
        // every character maps to where it is written, escapes included
        SqlSteps.Step escaped = w.steps().get(1);
        for (int i = 0; i < escaped.sql().length(); i++) {
            int at = escaped.sourceOffsets()[i];
            char written = text.charAt(at);
            assertTrue(written == escaped.sql().charAt(i) || written == '\\', "char " + i + " maps to '" + written + "'");
        }
        assertEquals(text.indexOf("$x"), escaped.sourceOffsets()[escaped.refs().get(0).start()]);
        assertEquals(text.indexOf("E'SELECT"), escaped.literal().start());
    }

    @Test
    void workflowsWithErrorsAreLeftOutAndOthersKept() {
        SourceFile file = new SourceFile("f.dfsql", """
                CREATE WORKFLOW bad () AS 'SELECT $nope';
                CREATE WORKFLOW good () AS 'SELECT 1';
                """);

        SqlSteps steps = Compiler.sqlSteps(List.of(file));

        assertEquals(List.of("good"), steps.items().stream().map(i -> ((SqlSteps.Workflow) i).name()).toList());
    }

    @Test
    void aFileWithSyntaxErrorsGivesNothing() {
        SqlSteps steps = Compiler.sqlSteps(List.of(new SourceFile("f.dfsql", "CREATE TABLE t (a int);\nCREATE WORKFLOW w () AS ~>;\n")));

        assertEquals(List.of(), steps.items());
    }
}
