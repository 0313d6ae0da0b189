package dev.dfc.compiler.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The cron parser and evaluator against test-corpus/cron/cases.tsv (shared with the runtime), plus its messages. */
class CronTest {
    private static final Path CASES = Paths.get(System.getProperty("dfc.corpus", "../test-corpus"), "cron", "cases.tsv");

    @TestFactory
    Stream<DynamicTest> sharedCases() throws IOException {
        List<String> lines = Files.readAllLines(CASES, StandardCharsets.UTF_8);
        List<DynamicTest> tests = new ArrayList<>();
        boolean header = false;
        int validity = 0;
        int nextFire = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] cols = line.split("\t", -1);
            assertEquals(5, cols.length, "line " + (i + 1) + " must have 5 tab-separated columns: " + line);
            if (!header) {
                assertEquals(List.of("expression", "valid", "from", "zone", "next"), List.of(cols), "header");
                header = true;
                continue;
            }
            if (cols[2].isEmpty()) validity++;
            else nextFire++;
            int lineNo = i + 1;
            tests.add(DynamicTest.dynamicTest("line " + lineNo + ": '" + cols[0] + "'", () -> runCase(cols)));
        }
        assertTrue(validity >= 40 && nextFire >= 25, "too few cases: " + validity + " validity, " + nextFire + " next-fire");
        return tests.stream();
    }

    private static void runCase(String[] cols) {
        Cron.Result r = Cron.parse(cols[0]);
        boolean valid = Boolean.parseBoolean(cols[1]);
        if (!valid) {
            assertNotNull(r.error(), "accepted an invalid expression");
            assertTrue(cols[2].isEmpty(), "an invalid row has no next-fire columns");
            return;
        }
        assertNull(r.error(), () -> "rejected: " + r.error());
        if (cols[2].isEmpty()) return;
        ZonedDateTime from = OffsetDateTime.parse(cols[2]).atZoneSameInstant(ZoneId.of(cols[3]));
        Optional<ZonedDateTime> next = r.schedule().next(from);
        assertTrue(next.isPresent(), "no next fire time");
        assertEquals(OffsetDateTime.parse(cols[4]), next.get().toOffsetDateTime());
    }

    private static String error(String expression) {
        Cron.Error e = Cron.parse(expression).error();
        return e.message() + " @" + expression.substring(e.start(), e.end());
    }

    @Test
    void messagesNameTheFieldAndPointAtTheCulprit() {
        assertEquals("invalid cron minute: 61 is out of range 0-59 @61", error("61 * * * *"));
        assertEquals("invalid cron hour: 24 is out of range 0-23 @24", error("0 24 * * *"));
        assertEquals("invalid cron day-of-month: 0 is out of range 1-31 @0", error("0 0 0 * *"));
        assertEquals("invalid cron month: 'FOO' is not a number or month name @FOO", error("0 0 1 FOO *"));
        assertEquals("invalid cron day-of-week: range 5-0 is reversed @5-0", error("0 0 * * 5-0"));
        assertEquals("invalid cron minute: step must be positive, found 0 @0", error("*/0 * * * *"));
        assertEquals("invalid cron minute: a step needs a range or '*' before it @5/15", error("5/15 * * * *"));
        assertEquals("invalid cron hour: empty list element @,,", error("0 1,,2 * * *"));
        assertEquals("cron expression has 4 fields, expected 5 @* * * *", error("* * * *"));
        assertEquals("cron expression never fires: no month it allows has any day-of-month it allows @30 2",
                error("0 0 30 2 *"));
    }

    @Test
    void hintsForOtherDialects() {
        assertEquals("a seconds field is not supported: cron fires at most once a minute",
                Cron.parse("0 0 0 * * *").error().hint());
        assertEquals("7 is Sunday too: write 5-7", Cron.parse("0 0 * * 5-0").error().hint());
        assertTrue(Cron.parse("0 0 L * *").error().hint().contains("Quartz"));
        assertTrue(Cron.parse("30 seconds").error().hint().contains("df.sleep"));
    }

    @Test
    void neverThrowsOnOddInput() {
        String[] odd = {"", " ", "@", "-", "/", ",", "*/", "-/-", "1-", "-1", "*-*", "*/*", "\u0000 * * * *",
                "1/2/3 * * * *", "1-2/3-4 * * * *", "/5 * * * *", "5-/5 * * * *", "@@hourly", "* * * * * * * *"};
        for (String s : odd) {
            Cron.Result r = Cron.parse(s);
            if (r.error() != null) {
                assertTrue(r.error().start() >= 0 && r.error().end() <= s.length() && r.error().start() <= r.error().end(), s);
            }
        }
    }
}
