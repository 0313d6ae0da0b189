package dev.dfc.compiler.check;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.compiler.Compiler;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.SourceFile;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Random literals (fixed seed) never make the literal checks throw, and their offsets stay inside the text. */
class LiteralFuzzTest {
    private static final Random RANDOM = new Random(20261125);

    private static String random(String alphabet, int maxLength) {
        StringBuilder b = new StringBuilder();
        int n = RANDOM.nextInt(maxLength + 1);
        for (int i = 0; i < n; i++) b.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        return b.toString();
    }

    @Test
    void cron() {
        ZonedDateTime from = ZonedDateTime.of(2026, 3, 29, 1, 30, 0, 0, ZoneId.of("Europe/Berlin"));
        for (int i = 0; i < 20_000; i++) {
            String s = random("0123456789*/-, @JANMONsunx?L#\t", 24);
            Cron.Result r = Cron.parse(s);
            if (r.error() != null) {
                assertTrue(0 <= r.error().start() && r.error().start() <= r.error().end() && r.error().end() <= s.length(), s);
            } else {
                r.schedule().next(from); // must terminate and not throw
            }
        }
    }

    @Test
    void headers() {
        for (int i = 0; i < 20_000; i++) {
            String s = random("{}[]\":,\\ u0aA-1tn ", 30);
            HeadersJson.Problem p = HeadersJson.check(s);
            if (p != null) assertTrue(0 <= p.start() && p.start() <= p.end() && p.end() <= s.length(), s);
        }
    }

    @Test
    void durationsAndReferences() {
        for (int i = 0; i < 20_000; i++) {
            String s = random("0123456789.msdh $_a{}?*-", 16);
            Literals.duration(s);
            for (SqlRef r : TextRefs.references(s)) assertTrue(r.end() <= s.length(), s);
            for (VarRef v : TextRefs.variables(s)) assertTrue(v.end() <= s.length(), s);
            for (VarRef v : SqlScanner.variables(s)) assertTrue(v.end() <= s.length(), s);
        }
    }

    @Test
    void wholeWorkflows() {
        String[] shapes = {
            "df.wait_for_schedule('%s')", "df.sleep(%s)", "df.http('%s', '%s', '%s', '%s', %s)",
            "df.retry('SELECT 1', %s, '%s', '%s')", "'SELECT {%s}'", "(@> '%s') ~> df.break()",
        };
        for (int i = 0; i < 1_000; i++) {
            String shape = shapes[RANDOM.nextInt(shapes.length)];
            Object[] fill = new Object[5];
            for (int k = 0; k < fill.length; k++) fill[k] = random("0123456789-.:/{}\"$_ahs*,@", 10).replace("'", "");
            String text = "CREATE WORKFLOW w (p " + random("intx[]() .,", 8) + ") AS " + String.format(shape, fill) + ";";
            List<Diagnostic> ds = Compiler.check(List.of(new SourceFile("f.dfsql", text)));
            for (Diagnostic d : ds) assertTrue(!d.code().equals("DF9001"), () -> text + "\n" + d.message());
        }
    }
}
