package dev.dfc.cli;

import dev.dfc.cli.input.SourceLoader;
import dev.dfc.cli.report.ColorMode;
import dev.dfc.cli.report.DiagnosticFormat;
import dev.dfc.cli.report.Outcome;
import dev.dfc.compiler.Compilation;
import dev.dfc.compiler.Compiler;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dfc compile}: .dfsql files to one deploy script. */
@Command(name = "compile",
        header = "Compile .dfsql files to one SQL deploy script.",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Examples:",
            "  dfc compile flows/order.dfsql > order.sql",
            "  dfc compile flows/*.dfsql -o deploy.sql",
            "  dfc compile script.sql | psql -v ON_ERROR_STOP=1 -d \"$URL\"",
            "",
            "Compiles .dfsql files into one SQL script (workflow functions, their registration and the pass-through SQL) for a database with the dfc runtime. The script goes to stdout or --output; diagnostics go to stderr. Nothing is written when there are errors.",
            ""
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:compiled (warnings allowed)", "1:errors (or warnings with --warnings-as-errors)", "2:usage or I/O error", "3:internal error"})
final class CompileCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "The .dfsql files, compiled together into one script.")
    List<String> files;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT.sql", description = "Write the script to this file instead of stdout.")
    Path output;

    @Option(names = {"-W", "--warnings-as-errors"}, description = "Treat warnings as errors: exit 1 and write nothing.")
    boolean warningsAsErrors;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "Format of the diagnostics on stderr: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}), as dfc check.")
    DiagnosticFormat format;

    @Option(names = "--color", paramLabel = "WHEN", defaultValue = "auto",
            description = "Colour diagnostics: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}: on a terminal, unless NO_COLOR is set).")
    ColorMode color;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Compilation compilation = Compiler.compile(SourceLoader.load(files), Main.internalErrors(spec));
        format.write(compilation.diagnostics(), spec.commandLine().getErr(), color.enabled());
        int code = Outcome.exitCode(compilation.diagnostics(), warningsAsErrors);
        if (code != ExitCode.OK) return code;
        if (compilation.sql() == null) throw new IllegalStateException("compiler reported no errors but produced no SQL");
        if (output == null) {
            PrintWriter out = spec.commandLine().getOut();
            out.print(compilation.sql());
            out.flush();
        } else {
            write(output, compilation.sql());
        }
        return ExitCode.OK;
    }

    /** Writes beside the target and renames, so a failed write never leaves half a script. */
    static void write(Path output, String sql) {
        Path dir = output.toAbsolutePath().getParent();
        try {
            Path tmp = Files.createTempFile(dir, ".dfc-", ".sql");
            try {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
                Files.writeString(tmp, sql, StandardCharsets.UTF_8);
                Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw CliException.usage("cannot write " + output + ": " + describe(e));
        }
    }

    static String describe(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) return "no such directory";
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        return e.getMessage();
    }
}
