package dev.dfc.compiler;

import dev.dfc.compiler.ast.Script;
import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.check.Checker;
import dev.dfc.compiler.emit.Emitter;
import dev.dfc.compiler.emit.Explain;
import dev.dfc.compiler.ir.Program;
import dev.dfc.compiler.lower.Lowering;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.parse.LargeStackThread;
import dev.dfc.compiler.parse.Parser;
import dev.dfc.compiler.parse.ScriptMode;
import dev.dfc.compiler.parse.StringLiteral;
import dev.dfc.compiler.source.SourceFile;
import dev.dfc.compiler.source.Span;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The compiler's facade: parse, check, lower and emit a set of .dfsql files.
 *
 * <p>Never throws on user input. Problems in the input are diagnostics; an exception escaping a
 * pass is a compiler bug and becomes one DF9001 diagnostic; callers that want its stack trace
 * (the CLI with --stacktrace) pass an {@code internalErrors} consumer that receives the exception.
 * Everything runs on threads with a large stack, so deeply nested input (10,000 levels) is
 * reported as DF4002 instead of overflowing the stack: files are parsed in parallel when there are
 * many, the rest runs on one thread.
 */
public final class Compiler {
    private static final long STACK_BYTES = 256L << 20;
    /** What {@link #compile} renders: the deploy script. */
    private static final Function<Program, String> DEPLOY_SCRIPT = program -> new Emitter().script(program);

    private Compiler() {}

    /** Checks and compiles; {@code sql} is null when any diagnostic is an error. */
    public static Compilation compile(List<SourceFile> files) {
        return compile(files, t -> {});
    }

    /** As {@link #compile(List)}, handing each exception behind a DF9001 diagnostic to {@code internalErrors}. */
    public static Compilation compile(List<SourceFile> files, Consumer<Throwable> internalErrors) {
        return onBigStack(() -> Pipeline.run(files, DEPLOY_SCRIPT, internalErrors), internalErrors);
    }

    /**
     * For {@code dfc explain FILE}: the checks of {@link #compile}, and, when there is no error,
     * the dry-run tree of every workflow as df.explain prints it ({@link Explain}) in place of the
     * deploy script.
     */
    public static Compilation explain(List<SourceFile> files, Consumer<Throwable> internalErrors) {
        return onBigStack(() -> Pipeline.run(files, Explain::text, internalErrors), internalErrors);
    }

    /** Only the checks of {@link #compile}: every diagnostic, sorted. */
    public static List<Diagnostic> check(List<SourceFile> files) {
        return check(files, t -> {});
    }

    /** As {@link #check(List)}, handing each exception behind a DF9001 diagnostic to {@code internalErrors}. */
    public static List<Diagnostic> check(List<SourceFile> files, Consumer<Throwable> internalErrors) {
        return onBigStack(() -> Pipeline.run(files, null, internalErrors), internalErrors).diagnostics();
    }

    /**
     * For {@code dfc check --db}: the pass-through statements and the SQL steps of every workflow
     * without errors (see {@link SqlSteps}). An exception escaping it is a bug and is rethrown.
     */
    public static SqlSteps sqlSteps(List<SourceFile> files) {
        Object[] out = new Object[1];
        onBigStack(() -> {
            out[0] = SqlSteps.collect(files);
            return null;
        }, t -> out[0] = t);
        if (out[0] instanceof Throwable t) throw new IllegalStateException("collecting the SQL steps failed: " + t, t);
        return (SqlSteps) out[0];
    }

    private static Compilation onBigStack(Supplier<Compilation> work, Consumer<Throwable> internalErrors) {
        Compilation[] result = new Compilation[1];
        Throwable[] failure = new Throwable[1];
        Thread thread = new LargeStackThread(() -> {
            try {
                result[0] = work.get();
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "dfc-compiler", STACK_BYTES);
        thread.start();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure[0] = e;
        }
        if (failure[0] != null) {
            internalErrors.accept(failure[0]);
            return new Compilation(List.of(internalError(null, failure[0])), null);
        }
        return result[0];
    }

    /** A DF9001 diagnostic for an exception that escaped a pass. */
    static Diagnostic internalError(Span span, Throwable t) {
        String what = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        return Diagnostic.error("DF9001", span, "internal compiler error: " + what)
                .withHint("this is a bug in dfc; please report it with the input file (rerun with --stacktrace for details)");
    }

    /** Sorts by file (in input order), then position, then code. */
    static List<Diagnostic> sorted(List<Diagnostic> diagnostics, List<SourceFile> files) {
        Map<SourceFile, Integer> order = new IdentityHashMap<>();
        for (int i = 0; i < files.size(); i++) order.put(files.get(i), i);
        List<Diagnostic> out = new ArrayList<>(diagnostics);
        out.sort(Comparator
                .comparingInt((Diagnostic d) -> d.span() == null ? -1 : order.getOrDefault(d.span().file(), files.size()))
                .thenComparingInt(d -> d.span() == null ? -1 : d.span().start())
                .thenComparing(Diagnostic::code));
        return out;
    }

    /** The pipeline; runs on the big-stack thread. */
    private static final class Pipeline {
        static Compilation run(List<SourceFile> files, Function<Program, String> emit, Consumer<Throwable> internalErrors) {
            List<Diagnostic> diagnostics = new ArrayList<>();
            List<Script> scripts = new ArrayList<>();
            Object[] parsed = parseAll(files);
            for (int i = 0; i < files.size(); i++) {
                if (parsed[i] instanceof Parser.ParseResult result) {
                    diagnostics.addAll(result.diagnostics());
                    if (result.script() != null) scripts.add(withoutBrokenStatements(result.script(), result.diagnostics()));
                } else {
                    Throwable e = (Throwable) parsed[i];
                    if (e instanceof Error error && !(e instanceof StackOverflowError)) throw error;
                    internalErrors.accept(e);
                    diagnostics.add(internalError(files.get(i).span(0, 0), e));
                }
            }
            try {
                ScriptMode.Expansion expanded = ScriptMode.expand(scripts);
                diagnostics.addAll(expanded.diagnostics());
                scripts = expanded.scripts();
            } catch (RuntimeException | StackOverflowError e) {
                internalErrors.accept(e);
                diagnostics.add(internalError(files.isEmpty() ? null : files.get(0).span(0, 0), e));
                return new Compilation(sorted(diagnostics, files), null);
            }
            return compileScripts(scripts, diagnostics, files, emit, internalErrors);
        }

        /**
         * The statements that parsed without errors, so that one run checks them all (recovery
         * at statement boundaries). A statement with a syntax error is already left out by the
         * parser; one with a lexical error (an invalid character, an unterminated literal) is
         * left out here, since checking it would mostly report echoes of that error.
         */
        static Script withoutBrokenStatements(Script script, List<Diagnostic> parseDiagnostics) {
            List<Statement> kept = new ArrayList<>();
            for (Statement st : script.statements()) {
                boolean broken = false;
                for (Diagnostic d : parseDiagnostics) {
                    broken |= d.isError() && d.span() != null
                            && d.span().start() >= st.span().start() && d.span().start() < Math.max(st.span().end(), st.span().start() + 1);
                }
                if (!broken) kept.add(st);
            }
            return kept.size() == script.statements().size() ? script : new Script(script.file(), kept);
        }

        /**
         * Parses every file, on several threads when there are many files and processors: files are
         * independent until the checker. Element {@code i} is the {@link Parser.ParseResult} of file
         * {@code i}, or the exception that escaped its parse; the caller handles both in file order,
         * as a sequential parse would.
         */
        static Object[] parseAll(List<SourceFile> files) {
            return Workers.map(files.size(), 16, STACK_BYTES, i -> Parser.parse(files.get(i)));
        }
    }

    /**
     * Checks, lowers and emits parsed scripts; {@code earlier} holds diagnostics found before (parse).
     * Package-visible so tests can compile hand-built ASTs.
     */
    static Compilation compileScripts(List<Script> scripts, List<Diagnostic> earlier, List<SourceFile> files,
            boolean emit, Consumer<Throwable> internalErrors) {
        return compileScripts(scripts, earlier, files, emit ? DEPLOY_SCRIPT : null, internalErrors);
    }

    /** As above; {@code emit} renders the lowered program (null: check only). */
    static Compilation compileScripts(List<Script> scripts, List<Diagnostic> earlier, List<SourceFile> files,
            Function<Program, String> emit, Consumer<Throwable> internalErrors) {
        List<Diagnostic> diagnostics = new ArrayList<>(earlier);
        Span here = files.isEmpty() ? null : files.get(0).span(0, 0);
        String sql = null;
        try {
            diagnostics.addAll(Checker.check(scripts, raw -> StringLiteral.decode(raw).rawOffsets(),
                    (count, work) -> Workers.map(count, 16, STACK_BYTES, work)));
            boolean failed = diagnostics.stream().anyMatch(Diagnostic::isError);
            if (emit != null && !failed) {
                List<Program.Unit> units = new ArrayList<>();
                for (Script script : scripts) {
                    here = script.file().span(0, 0);
                    units.add(Lowering.lower(script));
                }
                sql = emit.apply(new Program(units));
            }
        } catch (RuntimeException | StackOverflowError e) {
            internalErrors.accept(e);
            diagnostics.add(internalError(here, e));
            sql = null;
        }
        return new Compilation(sorted(diagnostics, files), sql);
    }
}
