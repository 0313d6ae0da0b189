package dev.dfc.compiler.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.compiler.Compiler;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.SourceFile;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Checks through the real parser; each case lists the codes and messages it must produce. */
class CheckerTest {
    private static List<String> check(String body) {
        String text = "CREATE WORKFLOW w (p int) AS " + body + ";\n";
        return Compiler.check(List.of(new SourceFile("w.dfsql", text))).stream()
                .map(d -> d.code() + " " + d.span().text() + " " + d.message())
                .toList();
    }

    @Test
    void parametersAndEarlierBindsAreBound() {
        assertEquals(List.of(), check("'SELECT $p AS a' |=> 'a' ~> 'SELECT $a, $a.a, $a?, $a.a?, * FROM $a.*'"));
    }

    @Test
    void bindAppliesToTheLastStepOfAGroup() {
        assertEquals(List.of(), check("('SELECT $p' ~> 'SELECT 2 AS b') |=> 'b' ~> 'SELECT $b'"));
    }

    @Test
    void referenceBeforeItsBindIsAnError() {
        assertEquals(List.of("DF2001 $a '$a' is used before it is bound"),
                check("'SELECT $a, $p' ~> 'SELECT 1' |=> 'a'"));
    }

    @Test
    void aNameBoundInOneIfArmIsNotBoundAfterTheIf() {
        assertEquals(List.of(
                "DF2001 $a '$a' is not bound on every path that reaches this step"),
                check("df.if('SELECT $p > 0', 'SELECT 1' |=> 'a', 'SELECT 2') ~> 'SELECT $a'"));
    }

    @Test
    void aNameBoundInBothIfArmsIsBound() {
        assertEquals(List.of(),
                check("df.if('SELECT $p > 0', 'SELECT 1' |=> 'a', 'SELECT 2' |=> 'a') ~> 'SELECT $a'"));
    }

    @Test
    void joinBindsEveryBranchButRaceOnlyWhatAllBranchesBind() {
        assertEquals(List.of(),
                check("('SELECT $p' |=> 'a' & 'SELECT 2' |=> 'b') ~> 'SELECT $a, $b'"));
        assertEquals(List.of(
                "DF2001 $a '$a' is not bound on every path that reaches this step"),
                check("('SELECT $p' |=> 'a' | 'SELECT 2' |=> 'b') ~> 'SELECT $a'"));
    }

    @Test
    void aLoopBindsForWhatFollowsWhatEveryWayOutOfItBinds() {
        // the only way out is the condition, after the body bound 'a'
        assertEquals(List.of(), check("df.loop('SELECT $p' |=> 'a', 'SELECT false') ~> 'SELECT $a'"));
        // a break before the bind is another way out, without 'a'
        assertEquals(List.of(
                "DF2001 $a '$a' is not bound on every path that reaches this step"),
                check("df.loop(('SELECT $p' ?> df.break() !> 'SELECT 1') ~> 'SELECT 2' |=> 'a', 'SELECT false') ~> 'SELECT $a'"));
        // a break inside an undo is no way out of the loop around the '<->' (it is DF4001)
        assertTrue(check("df.loop(('SELECT $p' <-> df.break()) ~> 'SELECT 2' |=> 'a', 'SELECT false') ~> 'SELECT $a'")
                .stream().noneMatch(d -> d.startsWith("DF2001")));
    }

    @Test
    void didYouMeanForFunctionsAndNames() {
        var ds = Compiler.check(List.of(new SourceFile("w.dfsql",
                "CREATE WORKFLOW w (customer int) AS df.sqll('SELECT 1') ~> 'SELECT $custmer';")));
        assertEquals(List.of("did you mean 'df.sql'?", "did you mean '$customer'?"),
                ds.stream().filter(Diagnostic::isError).map(Diagnostic::hint).toList());
    }

    @Test
    void aParameterUsedInsideALiteralIsUsedAndOtherNamesThereAreNotWarnedAbout() {
        var ds = Compiler.compile(List.of(new SourceFile("w.dfsql",
                "CREATE WORKFLOW w (p text) AS 'SELECT ''{p}'' AS p, ''{a}''::text[] AS arr, ''{sys_label}'' AS l';")));
        assertEquals(List.of(), ds.diagnostics());
    }

    @Test
    void unusedParameterIsAWarningOnly() {
        var ds = Compiler.compile(List.of(new SourceFile("w.dfsql", "CREATE WORKFLOW w (p int) AS 'SELECT 1';")));
        assertEquals(List.of("DF2101"), ds.diagnostics().stream().map(Diagnostic::code).toList());
        assertEquals(false, ds.diagnostics().get(0).isError());
        assertEquals(true, ds.sql() != null);
    }

    @Test
    void bindingOneResultTwiceBindsBothNames() {
        assertEquals(List.of(), check("'SELECT $p' |=> 'a' |=> 'b' ~> 'SELECT $a, $b'"));
        assertEquals(List.of(), check("('SELECT $p > 0' ?> ('SELECT 1' |=> 'a') !> 'SELECT 2') |=> 'b' ~> 'SELECT $b'"));
    }
}
