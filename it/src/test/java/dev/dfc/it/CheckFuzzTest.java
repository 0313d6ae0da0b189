package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.dfc.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds `dfc check` thousands of random and mutated files through the real command line entry
 * point. Every run must end in diagnostics (exit 1) or success (exit 0): never an escaped
 * exception, a stack trace, or a hang. Errors must use the one diagnostic format.
 */
class CheckFuzzTest {
    private static final int RANDOM_INPUTS = Integer.getInteger("dfc.fuzz.random", 1500);
    private static final int MUTATED_INPUTS = Integer.getInteger("dfc.fuzz.mutated", 3000);
    private static final Pattern HEADER = Pattern.compile("^(.+):(\\d+):(\\d+): (error|warning)\\[DF\\d{4}\\]: \\S.*$");
    private static final Pattern EXCERPT = Pattern.compile("^ *\\d+ \\| .*$");
    private static final Pattern CARETS = Pattern.compile("^ *\\| *\\^+.*$");

    @TempDir
    Path dir;

    @Test
    void randomBytesNeverCrashCheck() throws Exception {
        Random random = new Random(20261125L);
        ExecutorService runner = Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < RANDOM_INPUTS; i++) {
                byte[] input = new byte[random.nextInt(200)];
                if (i % 2 == 0) {
                    random.nextBytes(input);
                } else {
                    // printable-ish text with the language's punctuation, more likely to reach the parser's depths
                    String alphabet = "'$~>|=&?!@<-;()., \n\tdf.sqlCREATE WORKFLOW AS abc_1\"/*-+E";
                    for (int k = 0; k < input.length; k++) input[k] = (byte) alphabet.charAt(random.nextInt(alphabet.length()));
                }
                checkOne(runner, input, "random #" + i);
            }
        } finally {
            runner.shutdownNow();
        }
    }

    @Test
    void mutatedCorpusFilesNeverCrashCheck() throws Exception {
        List<String> seeds = corpusFiles();
        assertFalse(seeds.isEmpty(), "no .dfsql files found under test-corpus/ and examples/");
        Random random = new Random(42L);
        ExecutorService runner = Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < MUTATED_INPUTS; i++) {
                String seed = seeds.get(i % seeds.size());
                String mutated = mutate(seed, random, 1 + random.nextInt(4));
                checkOne(runner, mutated.getBytes(StandardCharsets.UTF_8), "mutation #" + i + " of a corpus file");
            }
        } finally {
            runner.shutdownNow();
        }
    }

    private void checkOne(ExecutorService runner, byte[] input, String what) throws Exception {
        Path file = dir.resolve("input.dfsql");
        Files.write(file, input);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Future<Integer> run = runner.submit(() ->
                Main.run(new String[] {"check", file.toString()}, new PrintWriter(out), new PrintWriter(err)));
        int code;
        try {
            code = run.get(20, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            run.cancel(true);
            fail(what + ": dfc check did not finish within 20 s\n" + printable(input));
            return;
        }
        String output = out + "" + err;
        assertFalse(output.contains("Exception") || output.contains("\tat "),
                what + ": output shows an exception\n" + output + "\ninput:\n" + printable(input));
        assertTrue(code == 0 || code == 1, what + ": exit " + code + "\n" + output + "\ninput:\n" + printable(input));
        if (code == 1) assertWellFormed(output, file.toString(), what, input);
    }

    /** Every diagnostic is a header line, the excerpt line and the caret line. */
    private static void assertWellFormed(String output, String path, String what, byte[] input) {
        String[] lines = output.split("\n", -1);
        int headers = 0;
        for (int i = 0; i < lines.length; i++) {
            var m = HEADER.matcher(lines[i]);
            if (!m.matches()) continue;
            headers++;
            assertEquals(path, m.group(1), what + ": diagnostic names another file\n" + output);
            assertTrue(Integer.parseInt(m.group(2)) >= 1 && Integer.parseInt(m.group(3)) >= 1, what + ": line/column not 1-based\n" + output);
            assertTrue(i + 2 < lines.length && EXCERPT.matcher(lines[i + 1]).matches() && CARETS.matcher(lines[i + 2]).matches(),
                    what + ": diagnostic without excerpt and caret\n" + output + "\ninput:\n" + printable(input));
        }
        assertTrue(headers > 0 && output.contains(": error["), what + ": exit 1 without an error diagnostic\n" + output);
    }

    private static String mutate(String text, Random random, int times) {
        StringBuilder s = new StringBuilder(text);
        String[] tokens = {"'", "$", "~>", "|=>", "&", "|", "?>", "!>", "@>", "<->", ";", "(", ")", ",", "df.", "$$", "$a$",
                "/*", "*/", "--", "\"", "E'", "\\", "::", "=>", "CREATE WORKFLOW w AS ", "$x.*", "$x.y?", "\n", "\u00e9", "\t"};
        for (int t = 0; t < times; t++) {
            int len = s.length();
            int at = len == 0 ? 0 : random.nextInt(len + 1);
            switch (random.nextInt(6)) {
                case 0 -> { if (len > 0 && at < len) s.deleteCharAt(at); }
                case 1 -> s.insert(at, (char) (32 + random.nextInt(95)));
                case 2 -> s.insert(at, tokens[random.nextInt(tokens.length)]);
                case 3 -> { // duplicate a slice
                    if (len > 1) {
                        int from = random.nextInt(len);
                        int to = Math.min(len, from + 1 + random.nextInt(40));
                        s.insert(at, s.substring(from, to));
                    }
                }
                case 4 -> { // delete a slice
                    if (len > 1 && at < len) s.delete(at, Math.min(len, at + 1 + random.nextInt(30)));
                }
                default -> { // swap two characters
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

    private static List<String> corpusFiles() throws IOException {
        Path root = Path.of(System.getProperty("dfc.root", ".."));
        List<String> texts = new ArrayList<>();
        for (Path base : List.of(root.resolve("test-corpus"), root.resolve("examples"))) {
            if (!Files.isDirectory(base)) continue;
            try (Stream<Path> files = Files.walk(base)) {
                for (Path p : files.filter(f -> f.toString().endsWith(".dfsql")).sorted().toList()) {
                    texts.add(Files.readString(p));
                }
            }
        }
        return texts;
    }

    private static String printable(byte[] input) {
        StringBuilder s = new StringBuilder();
        for (byte b : input) {
            int c = b & 0xff;
            if (c == '\n' || (c >= 32 && c < 127)) s.append((char) c);
            else s.append(String.format("\\x%02x", c));
        }
        return s.toString();
    }
}
