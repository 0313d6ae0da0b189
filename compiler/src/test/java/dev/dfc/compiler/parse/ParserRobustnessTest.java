package dev.dfc.compiler.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.SourceFile;
import dev.dfc.compiler.source.Span;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Parser.parse never throws, never hangs and never overflows the stack, whatever the input. */
class ParserRobustnessTest {

    /** Generous: a parse of these inputs takes a millisecond or so; this only catches blow-ups. */
    private static final long MAX_NANOS_PER_INPUT = 2_000_000_000L;

    private static final List<String> SEEDS = List.of(
            """
            CREATE TABLE IF NOT EXISTS documents (id bigint PRIMARY KEY, processed bool DEFAULT false);
            CREATE WORKFLOW ingest_documents (batch_size int DEFAULT 100, source text)
            AS
                'SELECT id FROM documents WHERE processed = false LIMIT $batch_size' |=> 'batch'
                ~> 'UPDATE documents SET processed = true WHERE id IN (SELECT id FROM $batch.*)';
            SELECT df.start('ingest_documents', '{"batch_size": 10}');
            """,
            """
            CREATE WORKFLOW etl."Poll" (url text, at timestamp with time zone DEFAULT now())
            AS @> (df.http($u$https://x/$u$, method => 'GET') |=> 'r'
                   ~> 'SELECT $r.status = 200' ?> df.break('done') !> df.sleep(5))
                <-> E'DELETE FROM t WHERE note = \\'x\\'' & df.retry('SELECT 1', 3, backoff => '1s')
                | df.timeout(df.wait_for_signal('go', 60), 30) ~ 'SELECT 1'::text |= 'z';
            DO $$ BEGIN PERFORM 1; /* nested /* comment */ ; */ END $$;
            -- trailing comment; with a semicolon
            SELECT U&'d\\0061ta', "quoted;ident" FROM t
            """,
            "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n"
                    + "CREATE WORKFLOW w() AS df.join('a', 'b') ~> df.race('c', df.call('w2', '{}'::jsonb));");

    private static final List<String> FRAGMENTS = List.of(
            "'", "''", "\"", "$$", "$a$", "$b$", "$", "$1", "/*", "*/", "--", "\n", ";", "(", ")", "[", "]", ",",
            "E'", "e'\\", "U&'", "\\", "~>", "~", "|=>", "|=", "&", "|", "?>", "!>", "@>", "<->", "::", "=>", "-",
            ".", "df.sql(", "df.", "CREATE", "WORKFLOW", "CREATE WORKFLOW w(", "AS", "DEFAULT", "NULL", "true",
            "1e5", ".5", "x", "\u0000", "\u0001", "\uD83D\uDE00", "\uD83D", "\uFEFF", "{", "}", "#", "é");

    @Test
    void twentyThousandRandomAndMutatedInputs() {
        Random random = new Random(20261125);
        int runs = 0;
        for (int i = 0; i < 8_000; i++, runs++) check(mutate(SEEDS.get(i % SEEDS.size()), random, 1 + random.nextInt(8)));
        for (int i = 0; i < 6_000; i++, runs++) check(randomFragments(random));
        for (int i = 0; i < 6_000; i++, runs++) check(randomChars(random));
        assertTrue(runs >= 20_000);
    }

    @Test
    void tenThousandLevelsOfNestingDoNotOverflow() {
        int n = 10_000;
        assertNesting("(".repeat(n) + "'a'" + ")".repeat(n), 1);
        assertNesting("@> ".repeat(n) + "'a'", n + 1);
        assertNesting("df.loop(".repeat(n) + "'a'" + ")".repeat(n), n + 1);
        assertNesting("'c' ?> 'a' !> ".repeat(n) + "'b'", n + 1);
        assertNesting("'a' ~> ".repeat(n) + "'b'", n + 1);
        assertNesting("('a' ~> ".repeat(n) + "'b'" + ")".repeat(n), n + 1);
        Parser.ParseResult unclosed = check("CREATE WORKFLOW w() AS " + "(".repeat(n) + "'a';");
        assertEquals("DF1001", unclosed.diagnostics().get(0).code());
        check("SELECT " + "(".repeat(n) + "1" + ")".repeat(n) + ";");
    }

    private static void assertNesting(String body, int expectedDepth) {
        Parser.ParseResult r = check("CREATE WORKFLOW w() AS " + body + ";");
        assertEquals(List.of(), r.diagnostics());
        Expr e = ((Statement.WorkflowDef) r.script().statements().get(0)).body();
        int depth = 1;
        while (e instanceof Expr.Call c && !c.args().isEmpty()) {
            e = c.args().get(0).value() instanceof Expr.Call first ? first : c.args().get(c.args().size() - 1).value();
            depth++;
        }
        assertEquals(expectedDepth, depth);
    }

    /** Parses within the deadline and checks the result is well-formed. */
    private static Parser.ParseResult check(String text) {
        SourceFile file = new SourceFile("fuzz.dfsql", text);
        long start = System.nanoTime();
        Parser.ParseResult r;
        try {
            r = Parser.parse(file);
        } catch (Throwable t) {
            throw new AssertionError("parse threw on input " + printable(text), t);
        }
        long elapsed = System.nanoTime() - start;
        if (elapsed > MAX_NANOS_PER_INPUT) fail("parse took " + elapsed / 1_000_000 + " ms on input " + printable(text));
        assertNotNull(r, () -> "no result for " + printable(text));
        for (Diagnostic d : r.diagnostics()) {
            assertTrue(d.code().startsWith("DF1"), () -> d.code() + " " + d.message() + " on input " + printable(text));
            assertInside(d.span(), text);
            assertTrue(!d.message().contains("\n"), () -> "multi-line message: " + d.message());
        }
        int previousEnd = 0;
        for (Statement s : r.script().statements()) {
            assertInside(s.span(), text);
            assertTrue(s.span().start() >= previousEnd, () -> "statements overlap in " + printable(text));
            previousEnd = s.span().end();
        }
        return r;
    }

    private static void assertInside(Span span, String text) {
        assertTrue(0 <= span.start() && span.start() <= span.end() && span.end() <= text.length(),
                () -> "span " + span.start() + ".." + span.end() + " outside input " + printable(text));
    }

    private static String mutate(String seed, Random random, int edits) {
        StringBuilder b = new StringBuilder(seed);
        for (int i = 0; i < edits; i++) {
            int at = random.nextInt(b.length() + 1);
            switch (random.nextInt(7)) {
                case 0 -> { if (at < b.length()) b.deleteCharAt(at); }
                case 1 -> b.insert(at, (char) random.nextInt(128));
                case 2 -> { // duplicate a run of characters
                    int end = Math.min(b.length(), at + random.nextInt(20));
                    b.insert(at, b.substring(at, end));
                }
                case 3 -> { // swap two characters
                    int other = random.nextInt(b.length());
                    if (at < b.length()) {
                        char c = b.charAt(at);
                        b.setCharAt(at, b.charAt(other));
                        b.setCharAt(other, c);
                    }
                }
                case 4 -> b.insert(at, FRAGMENTS.get(random.nextInt(FRAGMENTS.size())));
                case 5 -> { // delete a token-ish run
                    int end = Math.min(b.length(), at + 1 + random.nextInt(6));
                    if (at < end) b.delete(at, end);
                }
                default -> { // delete, duplicate or swap whole tokens (whitespace-separated words)
                    List<String> words = new java.util.ArrayList<>(List.of(b.toString().split(" ", -1)));
                    if (words.size() > 2) {
                        int x = random.nextInt(words.size()), y = random.nextInt(words.size());
                        switch (random.nextInt(3)) {
                            case 0 -> words.remove(x);
                            case 1 -> words.add(y, words.get(x));
                            default -> java.util.Collections.swap(words, x, y);
                        }
                        b.setLength(0);
                        b.append(String.join(" ", words));
                    }
                }
            }
        }
        return b.toString();
    }

    private static String randomFragments(Random random) {
        StringBuilder b = new StringBuilder(random.nextBoolean() ? "CREATE WORKFLOW w() AS " : "");
        int n = random.nextInt(40);
        for (int i = 0; i < n; i++) {
            b.append(FRAGMENTS.get(random.nextInt(FRAGMENTS.size())));
            if (random.nextInt(3) == 0) b.append(' ');
        }
        return b.toString();
    }

    private static String randomChars(Random random) {
        int n = random.nextInt(200);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(random.nextInt(4) == 0 ? (char) random.nextInt(0x10000) : (char) random.nextInt(128));
        }
        return b.toString();
    }

    private static String printable(String text) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c >= 32 && c < 127) b.append(c);
            else b.append(String.format("\\u%04x", (int) c));
        }
        return b.append('"').toString();
    }
}
