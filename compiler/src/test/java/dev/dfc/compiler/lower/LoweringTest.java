package dev.dfc.compiler.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.ir.IrDump;
import dev.dfc.compiler.ir.Program;
import dev.dfc.compiler.ir.State;
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
                  node 5 THEN at 3:9 left 2 right 3 states 2-3 bind b
                  node 6 THEN at 2:5 left 1 right 5 states 1-3
                  node 7 THEN at 2:5 left 6 right 4 states 1-4
                """.formatted(wf.version()), IrDump.dump(wf));
    }

    /** pg_durable's tree: every node's children as "id:left,right", THEN nodes after the states. */
    private static String tree(Workflow wf) {
        StringBuilder out = new StringBuilder("root " + wf.tree().root());
        for (int k = 0; k < wf.tree().children().size(); k++) {
            Workflow.Children c = wf.tree().children().get(k);
            if (c.left() != null || c.right() != null) out.append(' ').append(k + 1).append(':').append(c.left()).append(',').append(c.right());
        }
        for (Workflow.Then t : wf.tree().thens()) {
            out.append(" THEN ").append(t.id()).append(':').append(t.left()).append(',').append(t.right()).append(' ').append(t.first()).append('-').append(t.last());
        }
        return out.toString();
    }

    @Test
    void treeHasAThenPerSequenceAndTheChildrenOfEachNode() {
        // a retry's body, an if's arms, a join's branches: the roots of those parts
        assertEquals("root 1 1:2,null 2:8,5 5:6,7 THEN 8:3,4 3-4", tree(lower("""
                CREATE WORKFLOW w AS
                    df.retry('SELECT true' ?> ('SELECT 1' ~> 'SELECT 2') !> ('SELECT 3' & 'SELECT 4'), 3);
                """)));
        // x <-> y is x then its UNDO (whose child is y); a loop's test has the body and its condition
        assertEquals("root 10 2:3,null 7:4,9 THEN 8:1,2 1-3 THEN 9:5,6 5-6 THEN 10:8,7 1-7", tree(lower("""
                CREATE WORKFLOW w AS
                    ('SELECT 1 AS a' <-> 'SELECT 2') ~> df.loop('SELECT 3', 'SELECT 4' ~> 'SELECT false');
                """)));
        // a loop without a condition has no node of its own: its body is the root
        assertEquals("root 3 THEN 3:1,2 1-2", tree(lower("""
                CREATE WORKFLOW w AS
                    @> ('SELECT 1' ~> 'SELECT 2');
                """)));
    }

    @Test
    void variablesSplitTheTextLikeReferencesAndParametersAreMarked() {
        Workflow wf = lower("""
                CREATE WORKFLOW w (t text) AS
                    'SELECT {col}, $t FROM {t}_{sys_label} WHERE x = ''{col}'' -- {col}'
                    ~> 'SELECT {sys_instance_id} /* {t} */, "{t}", $${t}$$, ''{"a":1}''::jsonb';
                """);
        assertEquals("""
                workflow w @%s (f.dfsql:1)
                  param t text
                  state 1 SQL at 2:5 next 2
                    text "SELECT "
                    var col
                    text ", "
                    ref value t
                    text " FROM "
                    var parameter t
                    text "_"
                    var sys_label
                    text " WHERE x = '"
                    var in-literal col
                    text "' -- {col}"
                  state 2 SQL at 3:8 next done
                    text "SELECT "
                    var sys_instance_id
                    text " /* {t} */, \\""
                    var in-literal parameter t
                    text "\\", $$"
                    var in-literal parameter t
                    text "$$, '{\\"a\\":1}'::jsonb"
                  node 3 THEN at 2:5 left 1 right 2 states 1-2
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

    /** The IR dump without the header lines (workflow, params). */
    private static String states(String text) {
        String dump = IrDump.dump(lower(text));
        StringBuilder out = new StringBuilder();
        for (String line : dump.split("\n")) if (line.startsWith("  state") || line.startsWith("    ")) out.append(line).append('\n');
        return out.toString();
    }

    @Test
    void ifThenElseIsACondThenTheArms() {
        assertEquals("""
                  state 1 IF at 2:6 next 2 else 3
                    text "SELECT true"
                  state 2 SQL at 2:23 next 4
                    text "SELECT 1"
                  state 3 SQL at 2:37 next 4
                    text "SELECT 2"
                  state 4 SQL at 3:8 next done
                    text "SELECT 3"
                """, states("""
                CREATE WORKFLOW w AS
                    ('SELECT true' ?> 'SELECT 1' !> 'SELECT 2')
                    ~> 'SELECT 3';
                """));
    }

    @Test
    void ifWithoutElseLeavesThroughTheCondition() {
        assertEquals("""
                  state 1 IF at 1:36 next 2 else 3
                    text "SELECT "
                    ref value n
                    text " > 0"
                  state 2 SQL at 1:53 next 3
                    text "SELECT 1"
                  state 3 SQL at 1:68 next done
                    text "SELECT 2"
                """,
                states("CREATE WORKFLOW w (n int) AS df.if('SELECT $n > 0', 'SELECT 1') ~> 'SELECT 2';"));
    }

    @Test
    void bindOnAnIfGoesOnEveryExitIncludingTheFalsyCondition() {
        Workflow wf = lower("CREATE WORKFLOW w AS ('SELECT true' ?> 'SELECT 1') |=> 'r' ~> 'SELECT $r';");
        assertEquals("r", wf.states().get(0).bind());
        assertEquals("r", wf.states().get(1).bind());
        assertEquals(3, ((State.Cond) wf.states().get(0)).elseNext());
        assertEquals(3, wf.states().get(1).next());
    }

    @Test
    void joinChainWrittenWithTheOperatorIsOneFork() {
        assertEquals("""
                  state 1 JOIN at 1:23 branches 2,3,4 bind r next 5
                  state 2 SQL at 1:23 next done
                    text "SELECT 1"
                  state 3 SQL at 1:36 next done
                    text "SELECT 2"
                  state 4 SQL at 1:49 next done
                    text "SELECT 3"
                  state 5 SQL at 1:72 next done
                    text "SELECT "
                    ref value r
                """, states("CREATE WORKFLOW w AS ('SELECT 1' & 'SELECT 2' & 'SELECT 3') |=> 'r' ~> 'SELECT $r';"));
    }

    @Test
    void parenthesizedJoinInsideAJoinStaysNested() {
        assertEquals("""
                  state 1 RACE at 1:22 branches 2,5 next done
                  state 2 RACE at 1:23 branches 3,4 next done
                  state 3 SQL at 1:23 next done
                    text "SELECT 1"
                  state 4 SQL at 1:36 next done
                    text "SELECT 2"
                  state 5 SQL at 1:50 next done
                    text "SELECT 3"
                """, states("CREATE WORKFLOW w AS ('SELECT 1' | 'SELECT 2') | 'SELECT 3';"));
        Workflow flat = lower("CREATE WORKFLOW w AS 'SELECT 1' | 'SELECT 2' | 'SELECT 3';");
        Workflow fn = lower("CREATE WORKFLOW w AS df.race('SELECT 1', 'SELECT 2', 'SELECT 3');");
        Workflow nested = lower("CREATE WORKFLOW w AS ('SELECT 1' | 'SELECT 2') | 'SELECT 3';");
        assertEquals(fn.version(), flat.version());
        org.junit.jupiter.api.Assertions.assertNotEquals(flat.version(), nested.version());
    }

    @Test
    void loopWithoutConditionHasABackEdgeAndLeavesByBreak() {
        assertEquals("""
                  state 1 SQL at 2:10 bind n next 2
                    text "SELECT 1 AS n"
                  state 2 IF at 2:38 next 3 else 1
                    text "SELECT "
                    ref value n
                    text " > 5"
                  state 3 BREAK at 2:57 value string "done" unwind 0 next 4
                  state 4 SQL at 3:8 next done
                    text "SELECT 2"
                """, states("""
                CREATE WORKFLOW w AS
                    (@> ('SELECT 1 AS n' |=> 'n' ~> ('SELECT $n > 5' ?> df.break('done'))))
                    ~> 'SELECT 2';
                """));
    }

    @Test
    void loopWithConditionEndsInALoopCond() {
        assertEquals("""
                  state 1 SQL at 1:30 next 2
                    text "SELECT 1"
                  state 2 LOOP at 1:42 bind r next 1 else done
                    text "SELECT false"
                """, states("CREATE WORKFLOW w AS df.loop('SELECT 1', 'SELECT false') |=> 'r';"));
    }

    @Test
    void breakInsideAJoinBranchUnwindsTheFork() {
        assertEquals("""
                  state 1 JOIN at 2:10 branches 2,3 next 1
                  state 2 SQL at 2:10 next done
                    text "SELECT 1"
                  state 3 BREAK at 2:23 value number 7 unwind 1 next 4
                  state 4 SQL at 3:8 next done
                    text "SELECT 2"
                """, states("""
                CREATE WORKFLOW w AS
                    (@> ('SELECT 1' & df.break(7)))
                    ~> 'SELECT 2';
                """));
    }

    @Test
    void nestedLoopsBreakToTheInnermost() {
        assertEquals("""
                  state 1 SQL at 1:31 next 2
                    text "SELECT 1"
                  state 2 BREAK at 1:45 unwind 0 next 3
                  state 3 SQL at 1:61 next 1
                    text "SELECT 2"
                """, states("CREATE WORKFLOW w AS @> ((@> ('SELECT 1' ~> df.break())) ~> 'SELECT 2');"));
    }

    @Test
    void loopInsideARaceBranchEndsItsThread() {
        assertEquals("""
                  state 1 RACE at 1:23 branches 2,4 bind w next done
                  state 2 SQL at 1:31 next 3
                    text "SELECT 1"
                  state 3 LOOP at 1:43 next 2 else done
                    text "SELECT true"
                  state 4 SLEEP at 1:60 seconds 60 next done
                """, states("CREATE WORKFLOW w AS (df.loop('SELECT 1', 'SELECT true') | df.sleep(60)) |=> 'w';"));
    }

    @Test
    void waitsAndIfRows() {
        assertEquals("""
                  state 1 SQL at 2:5 bind b next 2
                    text "SELECT 1"
                  state 2 IF_ROWS at 3:8 rows of b next 3 else 4
                  state 3 WAIT_SCHEDULE at 3:24 cron "0 9 * * 1" next 5
                  state 4 SIGNAL at 3:59 signal "go" timeout 3600 bind s next 5
                  state 5 SIGNAL at 4:8 signal "stop" next done
                """, states("""
                CREATE WORKFLOW w AS
                    'SELECT 1' |=> 'b'
                    ~> df.if_rows('b', df.wait_for_schedule('0 9 * * 1'), df.wait_for_signal('go', 3600) |=> 's')
                    ~> df.wait_for_signal('stop');
                """));
    }

    @Test
    void namedBranchesKeepTheirParameterOrder() {
        assertEquals("""
                  state 1 JOIN at 1:22 branches 2,3 next done
                  state 2 SQL at 1:64 next done
                    text "SELECT 1"
                  state 3 SQL at 1:41 next done
                    text "SELECT 2"
                """, states("CREATE WORKFLOW w AS df.join(branch2 => 'SELECT 2', branch1 => 'SELECT 1');"));
    }
}
