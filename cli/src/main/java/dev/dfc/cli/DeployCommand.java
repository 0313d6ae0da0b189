package dev.dfc.cli;

import dev.dfc.cli.db.DbUrl;
import dev.dfc.cli.db.ScriptRunner;
import dev.dfc.cli.input.SourceLoader;
import dev.dfc.cli.report.ColorMode;
import dev.dfc.cli.report.DiagnosticFormat;
import dev.dfc.cli.report.Outcome;
import dev.dfc.compiler.Compilation;
import dev.dfc.compiler.Compiler;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dfc deploy}: compile, then apply the script like {@code psql -v ON_ERROR_STOP=1 -f}. */
@Command(name = "deploy",
        header = "Compile .dfsql files and apply them to a database.",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Examples:",
            "  dfc deploy examples/quickstart.dfsql --db postgresql://postgres@127.0.0.1/dfc",
            "  dfc deploy flows/*.dfsql --db \"$DATABASE_URL\"",
            "",
            "Compiles the files and applies the script to the database (which needs the runtime: dfc runtime --install). Uses psql -v ON_ERROR_STOP=1 when psql is installed, JDBC otherwise; either way statement by statement, so the script's own transactions hold: a failed workflow deployment changes nothing. Re-deploying unchanged files is a no-op.",
            ""
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:deployed", "1:compile errors, or the database rejected the script", "2:usage or I/O error, database unreachable", "3:internal error"})
final class DeployCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "The .dfsql files to deploy together.")
    List<String> files;

    @Option(names = "--db", required = true, paramLabel = "URL", description = "postgresql://user@host:port/database (or jdbc:postgresql://...).")
    String db;

    @Option(names = {"-W", "--warnings-as-errors"}, description = "Refuse to deploy when there are warnings.")
    boolean warningsAsErrors;

    @Option(names = "--color", paramLabel = "WHEN", defaultValue = "auto",
            description = "Colour diagnostics: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}: on a terminal, unless NO_COLOR is set).")
    ColorMode color;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        DbUrl url = DbUrl.parse(db);
        Compilation compilation = Compiler.compile(SourceLoader.load(files), Main.internalErrors(spec));
        DiagnosticFormat.text.write(compilation.diagnostics(), spec.commandLine().getErr(), color.enabled());
        int code = Outcome.exitCode(compilation.diagnostics(), warningsAsErrors);
        if (code != ExitCode.OK) return code;
        if (compilation.sql() == null) throw new IllegalStateException("compiler reported no errors but produced no SQL");
        ScriptRunner.withDefaultClient(spec.commandLine().getErr()).apply(url, compilation.sql(), "deploy of " + String.join(" ", files));
        spec.commandLine().getOut().println("deployed " + String.join(" ", files) + " to " + url.redacted());
        return ExitCode.OK;
    }
}
