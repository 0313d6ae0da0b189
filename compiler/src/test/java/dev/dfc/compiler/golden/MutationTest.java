package dev.dfc.compiler.golden;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.dfc.compiler.Compilation;
import dev.dfc.compiler.Compiler;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.diag.TextRenderer;
import dev.dfc.compiler.source.SourceFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Damaged input must give diagnostics, never an internal error: every corpus case is mutated
 * (characters deleted, duplicated, replaced by operator characters) with a fixed seed, compiled,
 * and every diagnostic rendered.
 */
class MutationTest {
    private static final Path CORPUS = Paths.get(System.getProperty("dfc.corpus", "../test-corpus"));
    private static final String NOISE = "'$~>|=&?!@<-();,.*\"\\/ \nadf.sql0";
    private static final int MUTANTS_PER_CASE = 60;

    @Test
    void mutatedCorpusNeverCausesAnInternalError() throws IOException {
        List<Path> inputs;
        try (Stream<Path> files = Files.list(CORPUS.resolve("compile"))) {
            inputs = files.filter(p -> p.toString().endsWith(".dfsql") && !p.toString().contains("too_deep"))
                    .sorted().toList();
        }
        assertFalse(inputs.isEmpty());
        Random random = new Random(20261125);
        for (Path input : inputs) {
            String text = Files.readString(input, StandardCharsets.UTF_8);
            for (int i = 0; i < MUTANTS_PER_CASE; i++) {
                String mutant = mutate(text, random);
                Compilation c = Compiler.compile(List.of(new SourceFile("m.dfsql", mutant)));
                for (Diagnostic d : c.diagnostics()) {
                    String rendered = TextRenderer.render(d);
                    if (d.code().startsWith("DF9")) {
                        throw new AssertionError("internal error on a mutant of " + input.getFileName() + ":\n"
                                + mutant + "\n" + rendered);
                    }
                }
            }
        }
    }

    private static String mutate(String text, Random random) {
        StringBuilder sb = new StringBuilder(text);
        int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits && sb.length() > 0; e++) {
            int at = random.nextInt(sb.length());
            switch (random.nextInt(3)) {
                case 0 -> sb.deleteCharAt(at);
                case 1 -> sb.insert(at, sb.charAt(at));
                default -> sb.setCharAt(at, NOISE.charAt(random.nextInt(NOISE.length())));
            }
        }
        return sb.toString();
    }
}
