package dev.dfc.compiler.golden;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import dev.dfc.compiler.Compilation;
import dev.dfc.compiler.Compiler;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.diag.TextRenderer;
import dev.dfc.compiler.ir.IrDump;
import dev.dfc.compiler.ir.Program;
import dev.dfc.compiler.ir.Workflow;
import dev.dfc.compiler.lower.Lowering;
import dev.dfc.compiler.ast.Script;
import dev.dfc.compiler.parse.Parser;
import dev.dfc.compiler.parse.ScriptMode;
import dev.dfc.compiler.source.SourceFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden tests over test-corpus/compile: each {@code name.dfsql} is compiled and compared byte for
 * byte with {@code name.sql} (the deploy script) or {@code name.diag} (the rendered diagnostics).
 * A case with errors must have a .diag; a clean case may have both (warnings and SQL), and has a
 * {@code name.ir} with the state-machine IR ({@link IrDump}) so lowering can be reviewed on its own.
 * On mismatch the actual output goes to target/corpus-actual/ and the test fails with a diff;
 * {@code -Ddfc.bless=true} rewrites the expected files instead.
 */
class CorpusTest {
    private static final Path CORPUS = Paths.get(System.getProperty("dfc.corpus", "../test-corpus"));
    private static final Path ACTUAL = Paths.get("target", "corpus-actual");
    private static final boolean BLESS = Boolean.parseBoolean(System.getProperty("dfc.bless", "false"));

    @TestFactory
    Stream<DynamicTest> compileCorpus() throws IOException {
        Path dir = CORPUS.resolve("compile");
        List<Path> inputs;
        try (Stream<Path> files = Files.list(dir)) {
            inputs = files.filter(p -> p.toString().endsWith(".dfsql")).sorted().toList();
        }
        assertFalse(inputs.isEmpty(), "no cases in " + dir.toAbsolutePath());
        return inputs.stream().map(input -> DynamicTest.dynamicTest(input.getFileName().toString(), () -> run(input)));
    }

    /** Every example compiles without a single diagnostic. */
    @TestFactory
    Stream<DynamicTest> examplesCompileCleanly() throws IOException {
        Path dir = CORPUS.resolve("../examples").normalize();
        List<Path> inputs;
        try (Stream<Path> files = Files.list(dir)) {
            inputs = files.filter(p -> p.toString().endsWith(".dfsql")).sorted().toList();
        }
        assertFalse(inputs.isEmpty(), "no examples in " + dir.toAbsolutePath());
        return inputs.stream().map(input -> DynamicTest.dynamicTest(input.getFileName().toString(), () -> {
            String path = "examples/" + input.getFileName();
            Compilation c = Compiler.compile(List.of(new SourceFile(path, Files.readString(input, StandardCharsets.UTF_8))));
            StringBuilder diag = new StringBuilder();
            for (Diagnostic d : c.diagnostics()) diag.append(TextRenderer.render(d));
            if (!c.diagnostics().isEmpty() || c.sql() == null) fail("example does not compile cleanly:\n" + diag);
        }));
    }

    private static void run(Path input) throws IOException {
        String relative = CORPUS.relativize(input).toString().replace('\\', '/');
        String text = Files.readString(input, StandardCharsets.UTF_8);
        Compilation result = Compiler.compile(List.of(new SourceFile(relative, text)));
        StringBuilder diag = new StringBuilder();
        for (Diagnostic d : result.diagnostics()) diag.append(TextRenderer.render(d));

        String base = input.getFileName().toString().replaceFirst("\\.dfsql$", "");
        List<String> problems = new ArrayList<>();
        compare(input.resolveSibling(base + ".diag"), diag.isEmpty() ? null : diag.toString(), problems);
        compare(input.resolveSibling(base + ".sql"), result.sql(), problems);
        compare(input.resolveSibling(base + ".ir"), result.sql() == null ? null : irDump(relative, text), problems);
        if (!problems.isEmpty()) fail(String.join("\n", problems));
    }

    private static String irDump(String path, String text) {
        Script script = Parser.parse(new SourceFile(path, text)).script();
        Program.Unit unit = Lowering.lower(ScriptMode.expand(List.of(script)).scripts().get(0));
        StringBuilder out = new StringBuilder();
        for (Program.Item item : unit.items()) {
            if (item instanceof Workflow wf) out.append(IrDump.dump(wf));
        }
        return out.toString();
    }

    /** Compares one expected file with actual output (null: the file must not exist). */
    private static void compare(Path expectedFile, String actual, List<String> problems) throws IOException {
        boolean exists = Files.exists(expectedFile);
        if (BLESS) {
            if (actual == null) Files.deleteIfExists(expectedFile);
            else Files.writeString(expectedFile, actual, StandardCharsets.UTF_8);
            return;
        }
        String expected = exists ? Files.readString(expectedFile, StandardCharsets.UTF_8) : null;
        if (expected == null && actual == null) return;
        if (expected != null && expected.equals(actual)) return;
        Path actualFile = ACTUAL.resolve(expectedFile.getFileName());
        try {
            Files.createDirectories(ACTUAL);
            if (actual == null) Files.deleteIfExists(actualFile);
            else Files.writeString(actualFile, actual, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (expected == null) {
            problems.add("unexpected output, no " + expectedFile.getFileName() + " (actual in " + actualFile + "):\n" + actual);
        } else if (actual == null) {
            problems.add("expected " + expectedFile.getFileName() + " but the compiler produced none");
        } else {
            problems.add("mismatch in " + expectedFile.getFileName() + " (actual in " + actualFile + "):\n"
                    + UnifiedDiff.diff(expected, actual, "expected/" + expectedFile.getFileName(),
                            "actual/" + expectedFile.getFileName()));
        }
    }
}
