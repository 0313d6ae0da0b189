package dev.dfc.cli;

import dev.dfc.cli.db.Database;
import dev.dfc.cli.db.DbUrl;
import dev.dfc.cli.input.SourceLoader;
import dev.dfc.cli.report.ColorMode;
import dev.dfc.cli.report.DiagnosticFormat;
import dev.dfc.cli.report.Outcome;
import dev.dfc.compiler.Compilation;
import dev.dfc.compiler.Compiler;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dfc explain}: the tree df.explain prints, of the workflows in files (no database) or from a server. */
@Command(name = "explain",
        header = "Print a workflow's tree of nodes, or an instance's with the status of each node.",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Examples:",
            "  dfc explain flows/order.dfsql",
            "  dfc explain 3f9a0c1e --db \"$URL\"",
            "  dfc explain order_flow --db \"$URL\"",
            "",
            "Without --db, checks the .dfsql files and prints the tree of each workflow in them as a dry run, every node pending, exactly as df.explain('workflow') prints it once deployed (diagnostics go to stderr; nothing is printed when there are errors). With --db, prints df.explain(TARGET) from the server for each TARGET: an instance id (the nodes with their status) or the name of a deployed workflow (its newest version, a dry run).",
            ""
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:printed", "1:errors in the files, or no such instance or workflow", "2:usage or I/O error, database unreachable", "3:internal error"})
final class ExplainCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE|TARGET",
            description = "The .dfsql files; with --db, instance ids or workflow names.")
    List<String> targets;

    @Option(names = "--db", paramLabel = "URL", description = "Ask this database's df.explain: postgresql://user@host:port/database (or jdbc:postgresql://...).")
    String db;

    @Option(names = "--color", paramLabel = "WHEN", defaultValue = "auto",
            description = "Colour diagnostics: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}: on a terminal, unless NO_COLOR is set).")
    ColorMode color;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (db != null) return fromServer(DbUrl.parse(db), out);
        Compilation explained = Compiler.explain(SourceLoader.load(targets), Main.internalErrors(spec));
        DiagnosticFormat.text.write(explained.diagnostics(), spec.commandLine().getErr(), color.enabled());
        int code = Outcome.exitCode(explained.diagnostics(), false);
        if (code != ExitCode.OK) return code;
        out.print(explained.sql());
        out.flush();
        return ExitCode.OK;
    }

    private int fromServer(DbUrl url, PrintWriter out) {
        try (Connection c = Database.connect(url); PreparedStatement s = c.prepareStatement("SELECT df.explain(?)")) {
            boolean first = true;
            for (String target : targets) {
                s.setString(1, target);
                String tree;
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    tree = r.getString(1);
                } catch (SQLException e) {
                    throw Database.error("cannot explain " + target, e);
                }
                if (!first) out.println();
                out.println(tree);
                out.flush();
                first = false;
            }
            return ExitCode.OK;
        } catch (SQLException e) {
            throw Database.error("cannot explain " + String.join(", ", targets), e);
        }
    }
}
