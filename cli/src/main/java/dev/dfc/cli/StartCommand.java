package dev.dfc.cli;

import dev.dfc.cli.db.Database;
import dev.dfc.cli.db.DbUrl;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dfc start}: {@code df.start} from the shell, optionally waiting for the outcome. */
@Command(name = "start",
        header = "Start a deployed workflow, optionally waiting for its result.",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Examples:",
            "  dfc start quickstart --db \"$URL\"",
            "  dfc start ingest --db \"$URL\" --args '{\"batch_size\": 50}' --label nightly",
            "  dfc start quickstart --db \"$URL\" --wait --timeout 120",
            "",
            "Starts an instance of the newest deployed version of WORKFLOW as the connecting role and prints its id. With --wait, waits for it to end and prints its final status on one line and its result (JSON) on the next; a failed or cancelled instance's error goes to stderr.",
            ""
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:started (with --wait: completed)", "1:df.start refused, or the instance failed, was cancelled or did not end in time", "2:usage error, database unreachable", "3:internal error"})
final class StartCommand implements Callable<Integer> {
    private static final Set<String> TERMINAL = Set.of("completed", "failed", "cancelled");
    /** df.await_instance is asked for at most this long per call, so a long wait is several short statements. */
    private static final int AWAIT_SLICE_SECONDS = 30;

    @Parameters(index = "0", paramLabel = "WORKFLOW", description = "Workflow name, optionally schema-qualified.")
    String workflow;

    @Option(names = "--db", required = true, paramLabel = "URL", description = "postgresql://user@host:port/database (or jdbc:postgresql://...).")
    String db;

    @Option(names = "--args", paramLabel = "JSON", defaultValue = "{}", description = "Workflow parameters as a JSON object (default: ${DEFAULT-VALUE}).")
    String args;

    @Option(names = "--label", paramLabel = "LABEL", description = "Label stored with the instance.")
    String label;

    @Option(names = "--wait", description = "Wait until the instance completes, fails or is cancelled.")
    boolean await;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "With --wait: give up after this many seconds (default: 60).")
    Integer timeoutSeconds;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (timeoutSeconds != null && !await) throw new ParameterException(spec.commandLine(), "--timeout needs --wait");
        if (timeoutSeconds != null && timeoutSeconds <= 0) throw new ParameterException(spec.commandLine(), "--timeout must be positive");
        DbUrl url = DbUrl.parse(db);
        PrintWriter out = spec.commandLine().getOut();
        try (Connection c = Database.connect(url)) {
            String id = start(c);
            if (!await) {
                out.println(id);
                return ExitCode.OK;
            }
            String status = awaitEnd(c, id, timeoutSeconds == null ? 60 : timeoutSeconds);
            out.println(status);
            out.flush();
            switch (status) {
                case "completed" -> {
                    out.println(result(c, id));
                    return ExitCode.OK;
                }
                case "failed", "cancelled" -> throw CliException.failed("instance " + id + " " + status + ": " + error(c, id));
                default -> throw CliException.failed("instance " + id + " is still " + status + " after "
                        + (timeoutSeconds == null ? 60 : timeoutSeconds) + " s (see df.status('" + id + "'))");
            }
        } catch (SQLException e) {
            throw Database.error("cannot start workflow " + workflow, e);
        }
    }

    private String start(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT df.start(?, label => ?, args => ?::jsonb)")) {
            s.setString(1, workflow);
            s.setString(2, label);
            s.setString(3, args);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        } catch (SQLException e) {
            throw Database.error("cannot start workflow " + workflow, e);
        }
    }

    private static String awaitEnd(Connection c, String id, int timeoutSeconds) throws SQLException {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        String status;
        try (PreparedStatement s = c.prepareStatement("SELECT df.await_instance(?, ?)")) {
            do {
                long remaining = Math.max(1, (deadline - System.nanoTime()) / 1_000_000_000L);
                s.setString(1, id);
                s.setInt(2, (int) Math.min(AWAIT_SLICE_SECONDS, remaining));
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    status = rs.getString(1);
                }
            } while (!TERMINAL.contains(status) && System.nanoTime() < deadline);
        }
        return status;
    }

    private static String result(Connection c, String id) throws SQLException {
        return single(c, "SELECT df.result(?)", id);
    }

    /** The instance's error: the runtime records it as JSON (message, sqlstate, line, col, detail, hint). */
    private static String error(Connection c, String id) throws SQLException {
        String error = single(c, "SELECT error::text FROM df.instances WHERE id = ?", id);
        if (error == null) return "(no error recorded)";
        String sql = "SELECT e->>'message', e->>'sqlstate', e->>'line', e->>'col', e->>'detail', e->>'hint', e->>'reason' "
                + "FROM (SELECT ?::jsonb AS e) j WHERE jsonb_typeof(e) = 'object'";
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, error);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next() || rs.getString(1) == null) return error;
                StringBuilder msg = new StringBuilder(rs.getString(1));
                if (rs.getString(7) != null) msg.append(" (").append(rs.getString(7)).append(')'); // a cancel's reason
                if (rs.getString(2) != null) msg.append(" (SQLSTATE ").append(rs.getString(2)).append(')');
                if (rs.getString(3) != null) {
                    msg.append(" in the step at line ").append(rs.getString(3));
                    if (rs.getString(4) != null) msg.append(", column ").append(rs.getString(4));
                }
                if (rs.getString(5) != null) msg.append("; detail: ").append(rs.getString(5));
                if (rs.getString(6) != null) msg.append("; hint: ").append(rs.getString(6));
                return msg.toString();
            }
        } catch (SQLException notJson) {
            return error;
        }
    }

    private static String single(Connection c, String sql, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, id);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }
}
