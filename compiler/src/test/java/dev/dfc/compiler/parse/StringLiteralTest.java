package dev.dfc.compiler.parse;

import static dev.dfc.compiler.parse.ParseTesting.body;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
        assertEquals("body", StringLiteral.decode("$t$body").value());
        assertEquals("", StringLiteral.decode("").value());
        assertEquals("", StringLiteral.decode("$").value());
    }

    /** Values checked against PostgreSQL 15 (SELECT E'…'): escape bytes are UTF-8, pairs combine. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "→", quoteCharacter = '"', value = {
        "E'caf\\xc3\\xa9'              → caf\u00e9",
        "E'\\303\\251t\\xC3\\xa9'  → \u00e9t\u00e9",
        "E'\\xe2\\x82\\xac\\xf0\\x9f\\x98\\x80' → \u20ac\uD83D\uDE00",
        "E'\\ud83d\\ude00'             → \uD83D\uDE00",
        "E'\\ud83d\\U0000de00'         → \uD83D\uDE00",
        "E'\\u00e9f'                    → \u00e9f",
        "E'\\x\\xg\\v'              → xxgv",
        "E'\\\u00e9'                   → \u00e9",
        "U&'\\d83d\\de00'              → \uD83D\uDE00",
    })
    void escapesMakeTheStringPostgresqlMakes(String raw, String expected) {
        StringLiteral.Decoded d = StringLiteral.decode(raw);
        assertEquals(expected, d.value());
        assertNull(d.problem());
        assertEquals(d.value().length(), d.rawOffsets().length);
    }

    /** Each refused by PostgreSQL 15 with the same message; the range is the offending escape. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = "→", quoteCharacter = '"', value = {
        "E'\\u12'             → invalid Unicode escape @2-6",
        "E'a\\uzz'            → invalid Unicode escape @3-5",
        "E'\\U0001F60'        → invalid Unicode escape @2-11",
        "E'\\xff'             → invalid byte sequence for encoding \"UTF8\": 0xff @2-6",
        "E'\\377'             → invalid byte sequence for encoding \"UTF8\": 0xff @2-6",
        "E'\\xc3\\u00e9'     → invalid byte sequence for encoding \"UTF8\": 0xc3 0xc3 @2-12",
        "E'\\xed\\xa0\\x80' → invalid byte sequence for encoding \"UTF8\": 0xed 0xa0 0x80 @2-14",
        "E'\\xc0\\x80'       → invalid byte sequence for encoding \"UTF8\": 0xc0 0x80 @2-10",
        "E'caf\\xc3'          → invalid byte sequence for encoding \"UTF8\": 0xc3 @5-9",
        "E'a\\000b'           → invalid byte sequence for encoding \"UTF8\": 0x00 @3-7",
        "E'\\400'             → invalid byte sequence for encoding \"UTF8\": 0x00 @2-6",
        "E'\\x00'             → invalid byte sequence for encoding \"UTF8\": 0x00 @2-6",
        "E'\\u0000'           → invalid Unicode escape value @2-8",
        "E'\\U00110000'       → invalid Unicode escape value @2-12",
        "E'\\ud800'           → invalid Unicode surrogate pair @2-8",
        "E'\\ud83dx'          → invalid Unicode surrogate pair @2-8",
        "E'\\udc00'           → invalid Unicode surrogate pair @2-8",
        "E'\\ud83d\\u12'     → invalid Unicode escape @8-12",
        "U&'\\0000'           → invalid Unicode escape value @3-8",
        "U&'\\d800'           → invalid Unicode surrogate pair @3-8",
        "U&'\\12'             → invalid Unicode escape @3-4",
    })
    void escapesPostgresqlRefusesAreProblems(String raw, String expected) {
        StringLiteral.Decoded d = StringLiteral.decode(raw);
        StringLiteral.Problem p = d.problem();
        assertEquals(expected, p == null ? "no problem" : p.message() + " @" + p.start() + "-" + p.end());
        assertEquals(d.value().length(), d.rawOffsets().length);
        assertEquals(-1, d.value().indexOf('\0'), "a NUL never reaches the value");
    }

    @Test
    void offsetsOfAMultiByteEscapePointAtItsFirstByte() {
        StringLiteral.Decoded d = StringLiteral.decode("E'a\\xc3\\xa9$b'");
        assertEquals("a\u00e9$b", d.value());
        assertArrayEquals(new int[] {2, 3, 11, 12}, d.rawOffsets());
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
