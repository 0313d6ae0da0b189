package dev.dfc.compiler.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.ast.Script;
import dev.dfc.compiler.check.Checker;
import dev.dfc.compiler.check.StringOffsets;
import dev.dfc.compiler.check.TestAst;
import dev.dfc.compiler.ir.Program;
import dev.dfc.compiler.lower.Lowering;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmitterTest {
    static Script demo() {
        TestAst t = new TestAst("compile/demo.dfsql", """
                CREATE WORKFLOW demo (n int) AS
                    'SELECT $n AS a, 50% AS pct' |=> 'a'
                    ~> 'SELECT $a.a?, $a? FROM $a.* WHERE ''$x'' = $a.pct';
                """);
        var nameSpan = t.find("demo");
        var n = t.param("n", "int");
        Expr.Str s1 = t.str("'SELECT $n AS a, 50% AS pct'");
        Expr.Str a = t.str("'a'");
        Expr.Str s2 = t.str("'SELECT $a.a?, $a? FROM $a.* WHERE ''$x'' = $a.pct'");
        var body = t.seq(t.as(s1, a), s2);
        return t.script(t.workflow("demo", nameSpan, List.of(n), body));
    }

    @Test
    void rendersAllReferenceForms() {
        Script script = demo();
        assertEquals(List.of(), Checker.check(List.of(script), StringOffsets.SIMPLE));
        String sql = new Emitter().script(new Program(List.of(Lowering.lower(script))));
        assertTrue(sql.contains("format('SELECT %s AS a, 50%% AS pct', df.ref(p_instance, 'n'))"), sql);
        assertTrue(sql.contains("df.ref(p_instance, 'a', 'a', true), df.ref(p_instance, 'a', NULL, true)"), sql);
        assertTrue(sql.contains("df.ref_rows(p_instance, 'a')"), sql);
        assertTrue(sql.contains("''$x'' = %s"), sql);
    }

    @Test
    void outputIsDeterministic() {
        String one = new Emitter().script(new Program(List.of(Lowering.lower(demo()))));
        String two = new Emitter().script(new Program(List.of(Lowering.lower(demo()))));
        assertEquals(one, two);
    }
}
