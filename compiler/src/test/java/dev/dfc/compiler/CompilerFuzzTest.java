package dev.dfc.compiler;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.diag.TextRenderer;
import dev.dfc.compiler.source.SourceFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The compiler's fuzz test: 100,000 inputs (-Ddfc.fuzz.inputs to change) — random bytes read
 * the way `dfc check` reads a file that is not UTF-8 (malformed bytes replaced), and mutations
 * of every .dfsql file of test-corpus/ and examples/ — each compiled and every diagnostic
 * rendered. Every input must end in diagnostics or success: no exception, no DF9xxx internal
 * error, and no input may take longer than a generous bound (a hang or an exponential parse).
 */
class CompilerFuzzTest {
    private static final int INPUTS = Integer.getInteger("dfc.fuzz.inputs", 100_000);
    private static final long PER_INPUT_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final String[] TOKENS = {"'", "$", "~>", "~", "|=>", "|=", "&", "|", "?>", "!>", "@>", "<->", ";", "(", ")",
            ",", "df.", "df.sql(", "df.loop(", "df.join(", "df.race(", "df.sleep(", "df.wait_for_signal(", "df.break(",
            "df.wait_for_schedule('", "df.http('", "$$", "$a$", "/*", "*/", "--", "\"", "E'", "U&'", "\\", "::", "=>",
            "CREATE WORKFLOW w AS ", "CREATE WORKFLOW w (a int DEFAULT 1) AS ", "$x.*", "$x.y?", "{v}", "{sys_label}",
            "SELECT df.start(", "DO $$ BEGIN ", " END $$", "\n", "\u00e9", "\t", "\r", "\u0000", "1e999", "-"};

    @Test
    void everyInputEndsInDiagnosticsOrSuccess() throws IOException {
        List<String> seeds = seeds();
        assertFalse(seeds.isEmpty(), "no .dfsql files to mutate");
        Random random = new Random(4_100_000L);
        int randomBytes = 0;
        int mutants = 0;
        int clean = 0;
        for (int i = 0; i < INPUTS; i++) {
            String input;
            if (i % 5 == 0) {
                byte[] bytes = new byte[random.nextInt(300)];
                random.nextBytes(bytes);
                input = new String(bytes, StandardCharsets.UTF_8);
                randomBytes++;
            } else {
                input = mutate(seeds.get(random.nextInt(seeds.size())), random);
                mutants++;
            }
            long started = System.nanoTime();
            Compilation c;
            try {
                c = Compiler.compile(List.of(new SourceFile("fuzz.dfsql", input)));
                for (Diagnostic d : c.diagnostics()) {
                    TextRenderer.render(d);
                    if (d.code().startsWith("DF9")) {
                        throw new AssertionError("internal error on input #" + i + ":\n" + TextRenderer.render(d) + "\ninput:\n" + input);
                    }
                }
            } catch (RuntimeException | StackOverflowError e) {
                throw new AssertionError("exception on input #" + i + ":\n" + input, e);
            }
            long took = System.nanoTime() - started;
            assertTrue(took < PER_INPUT_LIMIT_NANOS, "input #" + i + " took " + took / 1_000_000 + " ms:\n" + input);
            if (c.sql() != null) clean++;
        }
        System.err.printf("[compiler-fuzz] %d inputs (%d random byte strings, %d mutants of %d files): %d compiled, %d rejected with diagnostics, 0 internal errors%n",
                INPUTS, randomBytes, mutants, seeds.size(), clean, INPUTS - clean);
    }

    private static String mutate(String text, Random random) {
        StringBuilder s = new StringBuilder(text);
        int edits = 1 + random.nextInt(5);
        for (int e = 0; e < edits; e++) {
            int len = s.length();
            int at = len == 0 ? 0 : random.nextInt(len + 1);
            switch (random.nextInt(6)) {
                case 0 -> { if (at < len) s.deleteCharAt(at); }
                case 1 -> s.insert(at, (char) (32 + random.nextInt(95)));
                case 2 -> s.insert(at, TOKENS[random.nextInt(TOKENS.length)]);
                case 3 -> {
                    if (len > 1) {
                        int from = random.nextInt(len);
                        s.insert(at, s.substring(from, Math.min(len, from + 1 + random.nextInt(60))));
                    }
                }
                case 4 -> { if (at < len) s.delete(at, Math.min(len, at + 1 + random.nextInt(40))); }
                default -> {
                    if (len > 1) {
                        int j = random.nextInt(len);
                        int k = random.nextInt(len);
                        char c = s.charAt(j);
                        s.setCharAt(j, s.charAt(k));
                        s.setCharAt(k, c);
                    }
                }
            }
        }
        return s.toString();
    }

    private static List<String> seeds() throws IOException {
        Path corpus = Path.of(System.getProperty("dfc.corpus", "../test-corpus"));
        List<String> texts = new ArrayList<>();
        for (Path base : List.of(corpus, corpus.resolveSibling("examples"))) {
            if (!Files.isDirectory(base)) continue;
            try (Stream<Path> files = Files.walk(base)) {
                for (Path p : files.filter(f -> f.toString().endsWith(".dfsql") || f.toString().endsWith(".sql")).sorted().toList()) {
                    // the 10,000-level nesting case is covered by DeepNestingTest; mutating it is slow
                    if (p.getFileName().toString().contains("too_deep")) continue;
                    texts.add(Files.readString(p, StandardCharsets.UTF_8));
                }
            }
        }
        return texts;
    }
}
