package dev.dfc.compiler.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dfc.compiler.Compiler;
import dev.dfc.compiler.source.SourceFile;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The checks of LANGUAGE.md §5 beyond names and shapes: control flow (DF4001, DF4101), literals
 * (DF5001-DF5005), variables (DF2102), parameter types and reserved names (DF2005, DF2006).
 * DF3900 is left out of the expectations, so a case does not change when a construct becomes
 * supported: these checks run whether or not it is.
 */
class StaticChecksTest {
    private static List<String> check(String body) {
        return checkWorkflow("CREATE WORKFLOW w (p int) AS " + body + ";\n");
    }

    private static List<String> checkWorkflow(String text) {
        return Compiler.check(List.of(new SourceFile("w.dfsql", text))).stream()
                .filter(d -> !d.code().equals("DF3900"))
                .map(d -> d.code() + " " + d.span().text() + " " + d.message())
                .toList();
    }

    @Test
    void bindingTheSameNameTwiceOnOnePathIsFine() {
        assertEquals(List.of(), check("'SELECT $p' |=> 'a' ~> 'SELECT $a + 1' |=> 'a' ~> 'SELECT $a'"));
    }

    @Test
    void breakOutsideAnyLoop() {
        assertEquals(List.of("DF4001 df.break df.break outside a loop"), check("'SELECT $p' ~> df.break()"));
        assertEquals(List.of("DF4001 df.break df.break outside a loop"), check("'SELECT $p' & df.break()"));
        assertEquals(List.of("DF4001 df.break df.break outside a loop"), check("'SELECT $p' | df.break(1)"));
        assertEquals(List.of("DF4001 df.break df.break outside a loop"),
                check("df.if('SELECT $p', df.break(), 'SELECT 1')"));
        // a loop after the break does not enclose it
        assertEquals(List.of("DF4001 df.break df.break outside a loop"),
                check("df.break() ~> df.loop('SELECT $p' ~> df.break())"));
    }

    @Test
    void breakAtAnyDepthInsideALoopIsFine() {
        assertEquals(List.of(), check(
                "@> ('SELECT $p' ~> ('SELECT 2' & df.if('SELECT true', 'SELECT 3' ~> df.break(), 'SELECT 4') | 'SELECT 5'))"));
        assertEquals(List.of(), check("(@> df.retry(df.timeout('SELECT $p' ~> df.break(), 5), 3)) ~> 'SELECT 2'"));
    }

    @Test
    void stepsAfterALoopWithoutBreakNeverRun() {
        assertEquals(List.of("DF4101 'SELECT 2' unreachable step: the loop at line 1 before it never ends"),
                check("(@> 'SELECT $p') ~> 'SELECT 2'"));
        assertEquals(List.of("DF4101 'SELECT 2' unreachable step: the loop at line 1 before it never ends"),
                check("df.loop('SELECT $p') ~> 'SELECT 2'"));
        // '@>' binds loosest: this loops over both steps, nothing follows the loop
        assertEquals(List.of(), check("@> 'SELECT $p' ~> 'SELECT 2'"));
        // one warning for the whole rest of the chain
        assertEquals(List.of("DF4101 'SELECT 2' unreachable step: the loop at line 1 before it never ends"),
                check("(@> 'SELECT $p') ~> 'SELECT 2' ~> 'SELECT 3' ~> ('SELECT 4' ~> 'SELECT 5')"));
        // a join waits for its endless branch; a race does not
        assertEquals(List.of("DF4101 'SELECT 2' unreachable step: the loop at line 1 before it never ends"),
                check("((@> 'SELECT $p') & 'SELECT 1') ~> 'SELECT 2'"));
        assertEquals(List.of(), check("((@> 'SELECT $p') | 'SELECT 1') ~> 'SELECT 2'"));
        // a break in an inner loop ends only the inner loop
        assertEquals(List.of("DF4101 'SELECT 2' unreachable step: the loop at line 1 before it never ends"),
                check("(@> (@> 'SELECT $p' ~> df.break())) ~> 'SELECT 2'"));
    }

    @Test
    void loopsThatEndAreFine() {
        assertEquals(List.of(), check("(@> 'SELECT $p' ~> df.break()) ~> 'SELECT 2'"));
        assertEquals(List.of(), check("df.loop('SELECT $p', 'SELECT false') ~> 'SELECT 2'"));
        assertEquals(List.of(), check("(@> df.if('SELECT $p', df.break(), 'SELECT 1')) ~> 'SELECT 2'"));
    }

    @Test
    void stepsAfterABreakNeverRun() {
        assertEquals(List.of("DF4101 'SELECT 2' unreachable step: the df.break before it always leaves the loop"),
                check("@> 'SELECT $p' ~> df.break() ~> 'SELECT 2'"));
    }

    @Test
    void malformedSequencesDoNotConfuseTheWalk() {
        assertEquals(List.of("DF3002 df.seq 'df.seq' takes 2 arguments, found 3"),
                check("df.seq('SELECT $p', 'SELECT 2', 'SELECT 3') ~> 'SELECT 4'"));
    }

    @Test
    void cronIsCheckedWhereverItIs() {
        assertEquals(List.of("DF5001 61 invalid cron minute: 61 is out of range 0-59"),
                check("'SELECT $p' ~> df.wait_for_schedule('61 * * * *')"));
        // the caret follows escapes back to the source
        assertEquals(List.of("DF5001 \\x4dON/2 invalid cron day-of-week: a step needs a range or '*' before it"),
                check("'SELECT $p' & df.wait_for_schedule(cron => E'0 9 * * \\x4dON/2')"));
        assertEquals(List.of("DF5001 42 cron expression must be a string, found a number"),
                check("'SELECT $p' ~> df.wait_for_schedule(42)"));
        assertEquals(List.of(),
                check("'SELECT $p' ~> df.wait_for_schedule('@daily') ~> df.wait_for_schedule('*/5 9-17 * * MON-FRI')"));
    }

    @Test
    void durations() {
        assertEquals(List.of("DF5002 0 'seconds' of 'df.sleep' must be positive, found 0"), check("'SELECT $p' ~> df.sleep(0)"));
        assertEquals(List.of("DF5002 -5 'seconds' of 'df.sleep' must be positive, found -5"), check("'SELECT $p' ~> df.sleep(-5)"));
        assertEquals(List.of("DF5002 31622401 'seconds' of 'df.sleep' is more than 366 days (31622400 seconds), found 31622401"),
                check("'SELECT $p' ~> df.sleep(31622401)"));
        assertEquals(List.of(), check("'SELECT $p' ~> df.sleep(31622400) ~> df.sleep('1.5') ~> df.sleep(0.25)"));
        assertEquals(List.of("DF5002 'soon' 'seconds' of 'df.sleep' must be a number of seconds, found a string"),
                check("'SELECT $p' ~> df.sleep('soon')"));
        assertEquals(List.of("DF5002 0 'timeout_s' of 'df.wait_for_signal' must be positive, found 0"),
                check("'SELECT $p' ~> df.wait_for_signal('go', 0)"));
        assertEquals(List.of(), check("'SELECT $p' ~> df.wait_for_signal('go', NULL) ~> df.wait_for_signal('go')"));
        assertEquals(List.of("DF5002 3601 'timeout_s' of 'df.http' is more than 1 hour (3600 seconds), found 3601"),
                check("'SELECT $p' ~> df.http('https://example.com', timeout_s => 3601)"));
        assertEquals(List.of("DF5002 -1 'seconds' of 'df.timeout' must be positive, found -1"),
                check("df.timeout('SELECT $p', -1)"));
    }

    @Test
    void retryAttemptsAndBackoff() {
        assertEquals(List.of(), check("df.retry('SELECT $p', 3, backoff => '500ms', max_backoff => '2h')"));
        assertEquals(List.of("DF5002 0 'attempts' of 'df.retry' must be a positive integer, found 0"),
                check("df.retry('SELECT $p', 0)"));
        assertEquals(List.of("DF5002 2.5 'attempts' of 'df.retry' must be a positive integer, found 2.5"),
                check("df.retry('SELECT $p', 2.5)"));
        assertEquals(List.of("DF5002 'fast' 'backoff' of 'df.retry' is not a duration: 'fast'",
                        "DF5002 '0s' 'max_backoff' of 'df.retry' must be positive, found '0s'"),
                check("df.retry('SELECT $p', 3, 'fast', '0s')"));
        assertEquals(List.of("DF5002 10 'backoff' of 'df.retry' must be a duration string, found a number"),
                check("df.retry('SELECT $p', 3, backoff => 10)"));
    }

    @Test
    void httpMethodHeadersAndUrl() {
        assertEquals(List.of(), check("'SELECT $p' ~> df.http('https://example.com/a', 'get', NULL, "
                + "'{\"Content-Type\": \"application/json\", \"X-Id\": \"{sys_instance_id}\"}'::jsonb, 10)"));
        assertEquals(List.of("DF5003 'FETCH' unknown http method 'FETCH'"),
                check("'SELECT $p' ~> df.http('https://example.com', 'FETCH')"));
        assertEquals(List.of("DF5004 1 header 'X-Count' must have a string value, found a number"),
                check("'SELECT $p' ~> df.http('https://example.com', 'POST', NULL, '{\"X-Count\": 1}')"));
        assertEquals(List.of("DF5004 } malformed headers json: expected a header name in double quotes"),
                check("'SELECT $p' ~> df.http('https://example.com', 'POST', NULL, '{\"A\": \"b\",}')"));
        assertEquals(List.of("DF5004 [\"A\"] headers must be a JSON object, found an array"),
                check("'SELECT $p' ~> df.http('https://example.com', 'POST', NULL, '[\"A\"]')"));
        assertEquals(List.of("DF5005 'example.com/hook' url 'example.com/hook' has no http:// or https:// scheme"),
                check("'SELECT $p' ~> df.http('example.com/hook')"));
        assertEquals(List.of("DF5005 'localhost:8080/x' url 'localhost:8080/x' has no http:// or https:// scheme"),
                check("'SELECT $p' ~> df.http('localhost:8080/x')"));
        assertEquals(List.of("DF5005 ftp url scheme 'ftp' is not http or https"),
                check("'SELECT $p' ~> df.http('ftp://example.com/x')"));
        // the scheme is only known at run time
        assertEquals(List.of(), check("'SELECT $p AS u' |=> 'u' ~> df.http('$u') ~> df.http('{sys_label}/x')"));
    }

    @Test
    void referencesInUrlsAndBodiesAreChecked() {
        assertEquals(List.of("DF2001 $id '$id' is not bound: no parameter or step result is named 'id'"),
                check("'SELECT $p' ~> df.http('https://example.com/orders/$id')"));
        assertEquals(List.of(), checkWorkflow(
                "CREATE WORKFLOW w (id int, token text) AS df.http('https://example.com/$id', 'PUT', '{\"a\": 1}', "
                        + "'{\"Authorization\": \"Bearer {token}\"}');"));
    }

    @Test
    void variablesOutsideTheStepsOwnLiterals() {
        assertEquals(List.of("DF2102 {tbl} '{tbl}' is not a parameter or system variable: it must come from df.setvar"),
                check("'SELECT * FROM {tbl} WHERE id = $p'"));
        // JSON, arrays, comments and quoted text are not variables; parameters and system variables are known
        assertEquals(List.of(), check("'SELECT $p, ''{tbl}'', ''{\"a\":1}''::jsonb, ''{1,2}''::int[], "
                + "$$ {x} $$, \"{z}\" /* {y} */, {sys_instance_id}, {sys_label}'"));
        assertEquals(List.of(), checkWorkflow("CREATE WORKFLOW w (tbl text) AS 'SELECT * FROM {tbl}';"));
        assertEquals(List.of("DF2102 {who} '{who}' is not a parameter or system variable: it must come from df.setvar"),
                check("'SELECT $p' ~> df.http('https://example.com/{who}')"));
    }

    @Test
    void parameterTypes() {
        assertEquals(List.of(), checkWorkflow("CREATE WORKFLOW w (a int, b double precision, c timestamp(3) with time zone, "
                + "d numeric(10,2)[], e myschema.mytype, f character varying(20), g interval day to second(2), "
                + "h \"Odd Type\", i int array, j text[3][], k geometry(Point, 4326)) "
                + "AS 'SELECT $a, $b, $c, $d, $e, $f, $g, $h, $i, $j, $k';"));
        assertEquals(List.of("DF2005 int b text parameter type 'int b text' is not a type name"),
                checkWorkflow("CREATE WORKFLOW w (a int b text) AS 'SELECT $a';"));
        assertEquals(List.of("DF2005 a.b.c parameter type 'a.b.c' has more than a schema and a name"),
                checkWorkflow("CREATE WORKFLOW w (a a.b.c) AS 'SELECT $a';"));
        assertEquals(List.of("DF2005 select 'select' is a reserved word, not a type name"),
                checkWorkflow("CREATE WORKFLOW w (a select) AS 'SELECT $a';"));
        assertEquals(List.of("DF2005 numeric(1)(2) parameter type 'numeric(1)(2)' has more than one modifier list"),
                checkWorkflow("CREATE WORKFLOW w (a numeric(1)(2)) AS 'SELECT $a';"));
    }

    @Test
    void reservedNames() {
        assertEquals(List.of("DF2006 sys_label parameter name 'sys_label' is reserved"),
                checkWorkflow("CREATE WORKFLOW w (sys_label text) AS 'SELECT $sys_label';"));
        assertEquals(List.of("DF2006 'sys_instance_id' bind name 'sys_instance_id' is reserved"),
                check("'SELECT $p' |=> 'sys_instance_id' ~> 'SELECT $sys_instance_id'"));
    }
}
