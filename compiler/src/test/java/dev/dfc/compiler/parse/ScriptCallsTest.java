package dev.dfc.compiler.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.compiler.parse.ScriptCalls.Call;
import dev.dfc.compiler.parse.ScriptCalls.Context;
import dev.dfc.compiler.parse.ScriptCalls.Kind;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Finding script-mode calls in pass-through SQL, and telling names from expressions. */
class ScriptCallsTest {

    /** Each call as "function kind [first argument]" (RUNTIME_VALUE: "... culprit"). */
    private static List<String> calls(String sql) {
        return ScriptCalls.find(sql).stream().map(c -> describe(sql, c)).collect(Collectors.toList());
    }

    private static String describe(String sql, Call c) {
        String s = c.function() + " " + c.kind() + " [" + sql.substring(c.argStart(), c.argEnd()) + "]";
        if (c.context() != Context.STATEMENT) s += " in " + c.context();
        if (c.kind() == Kind.RUNTIME_VALUE) s += " " + c.culprit() + "@" + sql.substring(c.culpritStart(), c.culpritEnd());
        return s;
    }

    @Test
    void positionalCallKeepsTheOtherArguments() {
        String sql = "SELECT df.start('SELECT 1' |=> 'a' ~> 'SELECT $a + 1', 'my-job')";
        assertEquals(List.of("df.start EXPRESSION ['SELECT 1' |=> 'a' ~> 'SELECT $a + 1']"), calls(sql));
        Call c = ScriptCalls.find(sql).get(0);
        assertEquals("df.start", sql.substring(c.nameStart(), c.nameEnd()));
    }

    @Test
    void namedArgumentsAfterTheExpression() {
        assertEquals(List.of("df.start EXPRESSION ['SELECT 1']"),
                calls("SELECT df.start('SELECT 1', label => 'x', args => '{\"a\": 1}')"));
    }

    @Test
    void nestedParenthesesAndCommasInsideNodeCalls() {
        assertEquals(List.of("df.start EXPRESSION [(('SELECT 1') ~> df.seq('a, b', ('SELECT (2)')))]"),
                calls("SELECT df.start((('SELECT 1') ~> df.seq('a, b', ('SELECT (2)'))), 'l')"));
    }

    @Test
    void explainAndCaseInsensitiveAndQuotedNames() {
        assertEquals(List.of("df.explain EXPRESSION ['SELECT 1' ~> 'SELECT 2']", "df.start EXPRESSION ['SELECT 3']",
                        "df.start EXPRESSION ['SELECT 4']"),
                calls("SELECT df.explain('SELECT 1' ~> 'SELECT 2'), DF . Start ( 'SELECT 3' ), \"df\".\"start\"('SELECT 4')"));
    }

    @Test
    void nameOrExpression() {
        assertEquals(List.of("df.start NAME ['ingest_documents']"), calls("SELECT df.start('ingest_documents')"));
        assertEquals(List.of("df.start NAME ['etl.ingest']"), calls("SELECT df.start('etl.ingest', 'l')"));
        assertEquals(List.of("df.start NAME ['select']"), calls("SELECT df.start('select')"));
        assertEquals(List.of("df.start NAME [$$Etl.\"My Flow\"$$]"), calls("SELECT df.start($$Etl.\"My Flow\"$$)"));
        assertEquals(List.of("df.start EXPRESSION ['SELECT 1']"), calls("SELECT df.start('SELECT 1')"));
        assertEquals(List.of("df.start EXPRESSION ['a.b.c']"), calls("SELECT df.start('a.b.c')"));
        assertEquals(List.of("df.start EXPRESSION ['ingest' ~> 'other']"), calls("SELECT df.start('ingest' ~> 'other')"));
        assertEquals(List.of("df.start EXPRESSION [df.sql('ingest')]"), calls("SELECT df.start(df.sql('ingest'))"));
        assertTrue(ScriptCalls.isWorkflowName("etl.ingest"));
        assertFalse(ScriptCalls.isWorkflowName("SELECT 1"));
        assertFalse(ScriptCalls.isWorkflowName("1abc"));
    }

    @Test
    void notCallsInStringsCommentsAndQuotedIdentifiers() {
        assertEquals(List.of(), calls("SELECT 'df.start(''SELECT 1'')', E'df.start(\\'x\\' ~> \\'y\\')', "
                + "$$df.start('SELECT 2')$$ AS \"df.start('SELECT 3')\" -- df.start('SELECT 4')\n"
                + "/* df.start('SELECT 5') /* nested */ df.start('SELECT 6') */"));
    }

    @Test
    void notCallsWhenNamingTheFunction() {
        assertEquals(List.of(), calls("COMMENT ON FUNCTION df.start(text, text) IS 'x'"));
        assertEquals(List.of(), calls("DROP FUNCTION IF EXISTS df.start(text)"));
        assertEquals(List.of(), calls("SELECT my.df.start('SELECT 1'), mydf.start('SELECT 2'), df.started('SELECT 3')"));
        assertEquals(List.of(), calls("SELECT df.start()"));
    }

    @Test
    void firstArgumentGivenByNameIsLeftAlone() {
        assertEquals(List.of(), calls("SELECT df.start(workflow => v_name, label => 'x')"));
    }

    @Test
    void callsInDoBlocks() {
        String sql = "DO $$\nDECLARE v text := df.start('SELECT 1', 'a');\nBEGIN\n"
                + "  PERFORM df.start('SELECT 2' ~> 'SELECT 3'); -- df.start('SELECT 4')\n"
                + "  RAISE NOTICE 'df.start(''SELECT 5'')';\n"
                + "  EXECUTE $q$SELECT df.start('SELECT 6')$q$;\n"
                + "END $$";
        assertEquals(List.of("df.start EXPRESSION ['SELECT 1'] in DOLLAR_QUOTED_BODY",
                "df.start EXPRESSION ['SELECT 2' ~> 'SELECT 3'] in DOLLAR_QUOTED_BODY"), calls(sql));
    }

    @Test
    void callsInFunctionBodies() {
        String sql = "CREATE OR REPLACE FUNCTION f(p text) RETURNS text LANGUAGE plpgsql AS $body$\n"
                + "BEGIN RETURN df.start('SELECT 1' |=> 'a' ~> 'SELECT $a', p); END\n$body$";
        assertEquals(List.of("df.start EXPRESSION ['SELECT 1' |=> 'a' ~> 'SELECT $a'] in DOLLAR_QUOTED_BODY"), calls(sql));
        assertEquals(List.of("df.start EXPRESSION ['SELECT 1'] in DOLLAR_QUOTED_BODY"),
                calls("CREATE PROCEDURE p() AS $$ SELECT df.start('SELECT 1') $$ LANGUAGE sql"));
    }

    @Test
    void otherLanguagesAndPlainStringsAreNotCode() {
        assertEquals(List.of(), calls("CREATE FUNCTION f() RETURNS text LANGUAGE plpython3u AS $$ df.start('SELECT 1') $$"));
        assertEquals(List.of(), calls("SELECT $$ df.start('SELECT 1') $$"));
        assertEquals(List.of(), calls("INSERT INTO t VALUES ($$ df.start('SELECT 1') $$)"));
    }

    @Test
    void singleQuotedBodiesAreFoundAtTheirRawPosition() {
        String sql = "DO 'BEGIN PERFORM df.start(''SELECT 1'' ~> ''SELECT 2''); END'";
        List<Call> found = ScriptCalls.find(sql);
        assertEquals(1, found.size());
        assertEquals(Context.SINGLE_QUOTED_BODY, found.get(0).context());
        assertEquals(Kind.EXPRESSION, found.get(0).kind());
        assertEquals("df.start", sql.substring(found.get(0).nameStart(), found.get(0).nameEnd()));
        assertEquals(Kind.NAME, ScriptCalls.find("DO 'BEGIN PERFORM df.start(''by_name''); END'").get(0).kind());
    }

    @Test
    void valuesKnownOnlyAtRunTime() {
        assertEquals(List.of("df.start RUNTIME_VALUE [format('SELECT %s', 1)] format()@format"),
                calls("SELECT df.start(format('SELECT %s', 1))"));
        assertEquals(List.of("df.start RUNTIME_VALUE ['SELECT ' || n] '||'@||"), calls("SELECT df.start('SELECT ' || n)"));
        assertEquals(List.of("df.start RUNTIME_VALUE [$1] the parameter $1@$1"), calls("PREPARE p AS SELECT df.start($1)"));
        assertEquals(List.of("df.explain RUNTIME_VALUE [v_sql] 'v_sql'@v_sql"), calls("SELECT df.explain(v_sql)"));
        assertEquals(List.of("df.start RUNTIME_VALUE ['SELECT 1' ~> t.col] 't.col'@t"), calls("SELECT df.start('SELECT 1' ~> t.col)"));
        assertEquals(List.of("df.start RUNTIME_VALUE [pg_catalog.concat('a')] pg_catalog.concat()@pg_catalog"),
                calls("SELECT df.start(pg_catalog.concat('a'))"));
    }

    @Test
    void psqlVariablesAreRuntimeValuesButCastsAndAssignmentsAreNot() {
        assertEquals(List.of("df.start RUNTIME_VALUE [:'wf'] the psql variable :'wf'@:'wf'"), calls("SELECT df.start(:'wf', 'l')"));
        assertEquals(List.of("df.explain RUNTIME_VALUE [:id] the psql variable :id@:id"), calls("SELECT df.explain(:id)"));
        assertEquals(List.of("df.start EXPRESSION ['SELECT 1'::text] in DOLLAR_QUOTED_BODY"),
                calls("DO $$ DECLARE v text; BEGIN v:=df.start('SELECT 1'::text); END $$"));
    }

    @Test
    void explainTakesAnInstanceIdToo() {
        assertEquals(List.of("df.explain NAME ['0a1b2c3d']"), calls("SELECT df.explain('0a1b2c3d')"));
        assertEquals(List.of("df.start EXPRESSION ['0a1b2c3d']"), calls("SELECT df.start('0a1b2c3d')"));
    }

    @Test
    void literalsCastsAndNamedNodeArgumentsAreNotRuntimeValues() {
        assertEquals(List.of("df.start EXPRESSION [df.retry('SELECT 1', 3, backoff => '1s') ~> df.sleep(NULL::int)]"),
                calls("SELECT df.start(df.retry('SELECT 1', 3, backoff => '1s') ~> df.sleep(NULL::int))"));
        assertEquals(List.of("df.start EXPRESSION ['SELECT 1'::text]"), calls("SELECT df.start('SELECT 1'::text)"));
        assertEquals(List.of("df.start EXPRESSION [df.http('u', 'POST', '{}'::double precision)]"),
                calls("SELECT df.start(df.http('u', 'POST', '{}'::double precision))"));
    }

    @Test
    void transactionControlOfTopLevelStatements() {
        for (String open : List.of("BEGIN", "begin transaction isolation level serializable", "START TRANSACTION")) {
            assertEquals(ScriptCalls.TransactionControl.OPEN, ScriptCalls.transactionControl(open), open);
        }
        for (String close : List.of("COMMIT", "end", "ROLLBACK", "abort", "rollback work", "PREPARE TRANSACTION 'x'")) {
            assertEquals(ScriptCalls.TransactionControl.CLOSE, ScriptCalls.transactionControl(close), close);
        }
        for (String none : List.of("ROLLBACK TO SAVEPOINT s", "rollback to s", "COMMIT AND CHAIN", "SAVEPOINT s",
                "SELECT 'BEGIN'", "-- BEGIN\nSELECT 1", "DO $$ BEGIN END $$", "")) {
            assertEquals(ScriptCalls.TransactionControl.NONE, ScriptCalls.transactionControl(none), none);
        }
    }

    /** Every prefix of tricky text (unterminated strings, comments, bodies, calls cut short) is read without failing. */
    @Test
    void neverFailsOnTruncatedText() {
        String text = "DO $b$ DECLARE v text := df.start(E'SELECT \\'x\\'' ~> $q$SELECT 1$q$, \"l\"); BEGIN "
                + "PERFORM df.explain(:'id' || df.start(format('%s', $1))); /* df.start( /* */ */ END $b$;"
                + " CREATE FUNCTION f() LANGUAGE sql AS 'SELECT df.start(''SELECT 1'' ~> ''x'')'; SELECT df.start(('a'), 'b')::text";
        for (int end = 0; end <= text.length(); end++) {
            String sql = text.substring(0, end);
            int previous = -1;
            for (Call c : ScriptCalls.find(sql)) {
                assertTrue(c.nameStart() >= previous && c.nameStart() < c.nameEnd() && c.argStart() <= c.argEnd()
                        && c.argEnd() <= sql.length(), sql + " -> " + c);
                previous = c.nameStart();
            }
        }
    }

    @Test
    void anonymousNamesAreStableAndDependOnTheText() {
        String a = ScriptMode.anonymousName("'SELECT 1' ~> 'SELECT 2'");
        assertEquals(a, ScriptMode.anonymousName("'SELECT 1' ~> 'SELECT 2'"));
        assertTrue(a.matches("anon_[0-9a-f]{12}"), a);
        assertFalse(a.equals(ScriptMode.anonymousName("'SELECT 1' ~> 'SELECT 3'")));
        assertEquals(ScriptMode.anonymousName("'a'\n~> 'b'"), ScriptMode.anonymousName("'a'\r\n~> 'b'"));
    }
}
