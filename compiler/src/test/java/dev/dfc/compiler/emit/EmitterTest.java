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
    void rendersVariablesAsRawTextInOrderWithReferences() {
        String sql = emit("""
                CREATE WORKFLOW w (t text) AS
                    'INSERT INTO {tbl} SELECT $t, 100%, {sys_label} FROM {t} WHERE s = ''{tbl}'''
                    ~> 'SELECT ''{tbl}'', ''{sys_instance_id}'', ''{t}'', ''{1,2}''';
                """);
        // inside a string literal: a parameter or system variable always, another name only when
        // the instance captured it (else the text stays as written: '{a}' may be an array)
        assertTrue(sql.contains("RETURN df.sql_step(format('INSERT INTO %s SELECT %s, 100%%, %s FROM %s WHERE s = ''%s''', "
                + "df.var(p_instance, 'tbl'), df.ref(p_instance, 't'), df.var(p_instance, 'sys_label'), "
                + "df.ref_text(p_instance, 't'), df.var_or_text(p_instance, 'tbl')), p_next => 2);"), sql);
        assertTrue(sql.contains("RETURN df.sql_step(format('SELECT ''%s'', ''%s'', ''%s'', ''{1,2}''', df.var_or_text(p_instance, 'tbl'), "
                + "df.var(p_instance, 'sys_instance_id'), df.ref_text(p_instance, 't')), p_next => NULL);"), sql);
        assertTrue(sql.contains("LANGUAGE plpgsql STABLE"), sql);
    }

    @Test
    void outputIsDeterministic() {
        String one = new Emitter().script(new Program(List.of(Lowering.lower(demo()))));
        String two = new Emitter().script(new Program(List.of(Lowering.lower(demo()))));
        assertEquals(one, two);
    }

    private static String emit(String text) {
        var parsed = dev.dfc.compiler.parse.Parser.parse(new dev.dfc.compiler.source.SourceFile("f.dfsql", text));
        assertEquals(List.of(), parsed.diagnostics());
        return new Emitter().script(new Program(List.of(Lowering.lower(parsed.script()))));
    }

    @Test
    void controlFlowStatesUseTheRuntimeConstructorsWithNamedArguments() {
        String sql = emit("""
                CREATE WORKFLOW w AS
                    ('SELECT 1 AS a' |=> 'a' & df.sleep(2)) |=> 'both'
                    ~> ('SELECT $a > 0' ?> df.wait_for_schedule('0 2 * * *') !> df.wait_for_signal('go', 60))
                    ~> df.if_rows('a', 'SELECT 2', 'SELECT 3');
                """);
        assertTrue(sql.contains("RETURN df.fork_step(ARRAY[2, 3], p_mode => 'join', p_bind => 'both', p_next => 4);"), sql);
        assertTrue(sql.contains("RETURN df.sleep_step(2, p_next => NULL);"), sql);
        assertTrue(sql.contains("RETURN df.cond_step(format('SELECT %s > 0', df.ref(p_instance, 'a')), p_next => 5, p_else_next => 6);"), sql);
        assertTrue(sql.contains("RETURN df.schedule_step('0 2 * * *', p_next => 7);"), sql);
        assertTrue(sql.contains("RETURN df.signal_step('go', p_timeout => 60, p_next => 7);"), sql);
        assertTrue(sql.contains("RETURN df.if_rows_step('a', p_next => 8, p_else_next => 9);"), sql);
        assertTrue(sql.contains("\"type\":\"JOIN\",\"query\":null,\"bind\":\"both\",\"next\":4,\"else_next\":null,\"branches\":[2,3]"), sql);
        assertTrue(!sql.contains("v_step"), sql);
    }

    @Test
    void aBindOnACondOrBreakIsSetOnTheRecord() {
        String sql = emit("CREATE WORKFLOW w AS (@> ('SELECT 1' & df.break('x'))) |=> 'r' ~> df.loop('SELECT 2', 'SELECT false') |=> 's';");
        assertTrue(sql.contains("DECLARE\n    v_step df.step;\nBEGIN"), sql);
        assertTrue(sql.contains("""
                        v_step := df.break_step('"x"'::json, p_unwind => 1, p_next => 4);
                        v_step.bind := 'r';
                        RETURN v_step;
                """), sql);
        assertTrue(sql.contains("""
                        v_step := df.cond_step('SELECT false', p_next => 4, p_else_next => NULL);
                        v_step.bind := 's';
                """), sql);
    }
}
