package dev.dfc.compiler.parse;

import static dev.dfc.compiler.parse.ParseTesting.body;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dfc.compiler.ast.Expr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StringLiteralTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "→", quoteCharacter = '"', value = {
        "'plain'                → plain",
        "'it''s'                → it's",
        "''                     → ''",
        "$$it's $a$$            → it's $a",
        "$tag$a $$ b$tag$       → a $$ b",
        "$TAG$x$TAG$            → x",
        "E'a\\tb'               → a\tb",
        "e'it\\'s'              → it's",
        "E'it''s'               → it's",
        "E'\\x41\\x4a\\101'   → AJA",
        "E'\\u00e9\\U0001F600'  → \u00e9\uD83D\uDE00",
        "E'\\q\\$'              → q$",
        "U&'d\\0061t\\+000061'  → data",
        "u&'\\\\ ok'''          → \\ ok'",
        "U&'d!0061t!+000061!!\\' UESCAPE '!' → data!\\",
        "u&'d#0061ta'uescape'#' → data",
    })
    void decodesEveryForm(String raw, String expected) {
        assertEquals(expected.equals("''") ? "" : expected, StringLiteral.decode(raw).value());
    }

    @Test
    void decodesControlCharacterEscapes() {
        assertEquals("\n\r\b\f\\\t\u0007", StringLiteral.decode("E'\\n\\r\\b\\f\\\\\\t\\7'").value());
    }

    @Test
    void offsetsOfAPlainString() {
        StringLiteral.Decoded d = StringLiteral.decode("'a''b'");
        assertEquals("a'b", d.value());
        assertArrayEquals(new int[] {1, 2, 4}, d.rawOffsets());
    }

    @Test
    void offsetsPointAtEscapeSequences() {
        // raw:  E ' \ n $ x \ u 0 0 4 1 '
        // idx:  0 1 2 3 4 5 6 7 8 9 ...
        StringLiteral.Decoded d = StringLiteral.decode("E'\\n$x\\u0041'");
        assertEquals("\n$xA", d.value());
        assertArrayEquals(new int[] {2, 4, 5, 6}, d.rawOffsets());
    }

    @Test
    void offsetsInDollarQuotesSkipTheTag() {
        StringLiteral.Decoded d = StringLiteral.decode("$q$SELECT $a$q$");
        assertEquals("SELECT $a", d.value());
        assertEquals(3 + "SELECT ".length(), d.rawOffsets()["SELECT ".length()]);
    }

    @Test
    void offsetsOfUnicodeEscapes() {
        StringLiteral.Decoded d = StringLiteral.decode("U&'\\0041b\\+01F600'");
        assertEquals("Ab\uD83D\uDE00", d.value());
        assertArrayEquals(new int[] {3, 8, 9, 9}, d.rawOffsets());
    }

    @Test
    void malformedAndUnterminatedInputDecodesLeniently() {
        assertEquals("abc", StringLiteral.decode("'abc").value());
        assertEquals("x", StringLiteral.decode("E'\\x").value());
        assertEquals("u12", StringLiteral.decode("E'\\u12'").value());
        assertEquals("body", StringLiteral.decode("$t$body").value());
        assertEquals("", StringLiteral.decode("").value());
        assertEquals("", StringLiteral.decode("$").value());
    }

    @Test
    void uescapeClauseBelongsToTheLiteral() {
        Expr.Str s = (Expr.Str) body("U&'d!0061ta' UESCAPE '!'");
        assertEquals("data", s.value());
        assertEquals("U&'d!0061ta' UESCAPE '!'", s.span().text());
    }

    @Test
    void theAstCarriesTheDecodedValueAndTheRawSpan() {
        Expr.Str s = (Expr.Str) body("E'SELECT \\'$a\\''");
        assertEquals("SELECT '$a'", s.value());
        assertEquals("E'SELECT \\'$a\\''", s.span().text());
        Expr.Str d = (Expr.Str) body("$body$SELECT 'x'; $body$");
        assertEquals("SELECT 'x'; ", d.value());
    }
}
