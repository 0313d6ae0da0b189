package dev.dfc.compiler.parse;

import static dev.dfc.compiler.parse.ParseTesting.body;
import static dev.dfc.compiler.parse.ParseTesting.tree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.dfc.compiler.ast.Expr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExpressionParsingTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "→", quoteCharacter = '"', value = {
        "'a' ~> 'b' → (df.seq[~>] 'a' 'b')",
        "'a' ~ 'b' → (df.seq[~] 'a' 'b')",
        "'a' |=> 'n' → (df.as[|=>] 'a' 'n')",
        "'a' |= 'n' → (df.as[|=] 'a' 'n')",
        "'a' & 'b' → (df.join[&] 'a' 'b')",
        "'a' | 'b' → (df.race[|] 'a' 'b')",
        "'c' ?> 'a' !> 'b' → (df.if[?>] 'c' 'a' 'b')",
        "'c' ?> 'a' → (df.if[?>] 'c' 'a')",
        "@> 'a' → (df.loop[@>] 'a')",
        "'a' <-> 'b' → (df.with_undo[<->] 'a' 'b')",
    })
    void everyOperatorInEverySpelling(String source, String expected) {
        assertEquals(expected, tree(source));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "→", quoteCharacter = '"', value = {
        // left associativity of every binary operator
        "'a' ~> 'b' ~> 'c' → (df.seq[~>] (df.seq[~>] 'a' 'b') 'c')",
        "'a' & 'b' & 'c' → (df.join[&] (df.join[&] 'a' 'b') 'c')",
        "'a' | 'b' | 'c' → (df.race[|] (df.race[|] 'a' 'b') 'c')",
        "'a' <-> 'b' <-> 'c' → (df.with_undo[<->] (df.with_undo[<->] 'a' 'b') 'c')",
        "'a' |=> 'x' |=> 'y' → (df.as[|=>] (df.as[|=>] 'a' 'x') 'y')",
        // the table, pairwise: tighter operator first
        "'a' <-> 'b' |=> 'n' → (df.as[|=>] (df.with_undo[<->] 'a' 'b') 'n')",
        "'a' & 'b' |=> 'n' → (df.join[&] 'a' (df.as[|=>] 'b' 'n'))",
        "'a' |=> 'n' & 'b' → (df.join[&] (df.as[|=>] 'a' 'n') 'b')",
        "'a' | 'b' & 'c' → (df.race[|] 'a' (df.join[&] 'b' 'c'))",
        "'a' & 'b' | 'c' → (df.race[|] (df.join[&] 'a' 'b') 'c')",
        "'a' ~> 'b' | 'c' → (df.seq[~>] 'a' (df.race[|] 'b' 'c'))",
        "'a' | 'b' ~> 'c' → (df.seq[~>] (df.race[|] 'a' 'b') 'c')",
        "'a' ~> 'b' <-> 'u' ~> 'c' → (df.seq[~>] (df.seq[~>] 'a' (df.with_undo[<->] 'b' 'u')) 'c')",
        "'c' ?> 'a' ~> 'b' !> 'd' ~> 'e' → (df.if[?>] 'c' (df.seq[~>] 'a' 'b') (df.seq[~>] 'd' 'e'))",
        "'x' ~> 'c' ?> 'a' !> 'b' → (df.if[?>] (df.seq[~>] 'x' 'c') 'a' 'b')",
        "@> 'a' ~> 'b' → (df.loop[@>] (df.seq[~>] 'a' 'b'))",
        "@> 'c' ?> 'a' !> 'b' → (df.loop[@>] (df.if[?>] 'c' 'a' 'b'))",
        "'a' ~> @> 'b' ~> 'c' → (df.seq[~>] 'a' (df.loop[@>] (df.seq[~>] 'b' 'c')))",
        // ?> !> is right-associative; a dangling !> belongs to the nearest ?>
        "'c1' ?> 'a' !> 'c2' ?> 'b' !> 'd' → (df.if[?>] 'c1' 'a' (df.if[?>] 'c2' 'b' 'd'))",
        "'c1' ?> 'c2' ?> 'a' !> 'b' → (df.if[?>] 'c1' (df.if[?>] 'c2' 'a' 'b'))",
        // parentheses override everything
        "('a' ~> 'b') & 'c' → (df.join[&] (df.seq[~>] 'a' 'b') 'c')",
        "(@> 'a') ~> 'b' → (df.seq[~>] (df.loop[@>] 'a') 'b')",
        "((('a'))) → 'a'",
        // mixed spellings
        "'a' ~ 'b' ~> 'c' |= 'n' → (df.seq[~>] (df.seq[~] 'a' 'b') (df.as[|=] 'c' 'n'))",
        // casts bind tightest
        "'{}'::jsonb ~> 'b' → (df.seq[~>] (:: '{}' jsonb) 'b')",
        "@> 'a'::text → (df.loop[@>] (:: 'a' text))",
    })
    void precedenceAndAssociativity(String source, String expected) {
        assertEquals(expected, tree(source));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "→", quoteCharacter = '"', value = {
        "df.sql('SELECT 1') → (df.sql 'SELECT 1')",
        "DF.SQL('x') → (df.sql 'x')",
        "df.sleep(5) → (df.sleep 5)",
        "df.sleep(-1.5e3) → (df.sleep -1.5e3)",
        "df.sleep(.5) → (df.sleep .5)",
        "df.sleep(+5) → (df.sleep 5)",
        "df.break(+ 2.5) → (df.break 2.5)",
        "df.break() → (df.break)",
        "df.break(NULL) → (df.break null)",
        "df.f(true, FALSE) → (df.f true false)",
        "df.retry('x', 3, backoff => '1s', max_backoff => '5m') → (df.retry 'x' 3 backoff=>'1s' max_backoff=>'5m')",
        "df.http('http://x', headers => '{\"a\":1}'::jsonb) → (df.http 'http://x' headers=>(:: '{\"a\":1}' jsonb))",
        "df.no_such_node('x') → (df.no_such_node 'x')",
        "df.if('c', 'a' ~> 'b', df.loop('x')) → (df.if 'c' (df.seq[~>] 'a' 'b') (df.loop 'x'))",
        "df.join('a', 'b') ~> df.race('c', 'd') → (df.seq[~>] (df.join 'a' 'b') (df.race 'c' 'd'))",
        "'x'::timestamp with time zone → (:: 'x' timestamp with time zone)",
        "'x'::varchar(10)[] → (:: 'x' varchar(10)[])",
        "\"DF\".\"Sql\"('x') → (DF.Sql 'x')",
    })
    void atomsAndNodeCalls(String source, String expected) {
        assertEquals(expected, tree(source));
    }

    @Test
    void nodeCallsKeepOperatorNull() {
        Expr.Call c = (Expr.Call) body("df.seq('a', 'b')");
        assertNull(c.operator());
        assertEquals("df.seq", c.nameSpan().text());
    }

    @Test
    void functionFormsWhoseNamesAreKeywordsParse() {
        assertEquals("(df.seq (df.as 'a' 'x') (df.sql 'b'))", tree("df.seq(df.as('a', 'x'), df.sql('b'))"));
        assertEquals("(df.if 'c' 'a' 'b')", tree("DF.IF('c', 'a', 'b')"));
    }

    @Test
    void keywordsAreCaseInsensitive() {
        assertEquals("(df.f null true false)", tree("df.f(Null, tRUE, False)"));
        assertEquals(1, ParseTesting.statements("create Workflow w() as 'a'").size());
    }

    @Test
    void bindNameIsAStringArgument() {
        Expr.Call c = (Expr.Call) body("'SELECT 1' |=> 'one'");
        Expr.Str name = (Expr.Str) c.args().get(1).value();
        assertEquals("one", name.value());
        assertEquals("'one'", name.span().text());
        assertEquals("|=>", c.nameSpan().text());
    }
}
