package dev.dfc.cli.db;

import dev.dfc.cli.CliException;
import dev.dfc.cli.ExitCode;
import dev.dfc.cli.dev.PgBinaries;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;

/**
 * Applies a SQL script (a compiled workflow file, the runtime) to a database the way
 * {@code psql -v ON_ERROR_STOP=1 -f} does: statement by statement, outside any implicit
 * transaction, so the script's own BEGIN/COMMIT decide atomicity and statements that refuse
 * transaction blocks still run. Uses psql when it is installed, JDBC otherwise.
 *
 * <p>Failure: a {@link CliException} with exit code 1 when the server rejected a statement,
 * 2 when it could not be reached.
 */
public final class ScriptRunner {
    private final PrintWriter err;
    private final Optional<Path> psql;

    public ScriptRunner(PrintWriter err, Optional<Path> psql) {
        this.err = err;
        this.psql = psql;
    }

    /** psql from the PostgreSQL binaries if they are found, else JDBC. */
    public static ScriptRunner withDefaultClient(PrintWriter err) {
        return new ScriptRunner(err, PgBinaries.findPsql());
    }

    public void apply(DbUrl url, String script, String what) {
        if (psql.isPresent() && url.libpqUrl() != null) applyWithPsql(psql.get(), url, script, what);
        else applyWithJdbc(url, script, what);
    }

    private void applyWithPsql(Path psqlBinary, DbUrl url, String script, String what) {
        // -X: no ~/.psqlrc; -q and -o /dev/null: only errors and notices reach the user
        ProcessBuilder pb = new ProcessBuilder(psqlBinary.toString(), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                "-o", "/dev/null", "-d", url.forPsql(), "-f", "-");
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putIfAbsent("PGAPPNAME", "dfc");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw CliException.usage("cannot run " + psqlBinary + ": " + e.getMessage(), e);
        }
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        Thread drain = new Thread(() -> copy(p.getErrorStream(), stderr), "psql-stderr");
        drain.start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(script.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // psql exited early (cannot connect); its exit code and stderr say why
        }
        int code;
        try {
            code = p.waitFor();
            drain.join();
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw CliException.usage("interrupted while applying " + what);
        }
        String messages = stderr.toString(StandardCharsets.UTF_8);
        if (!messages.isEmpty()) {
            err.print(messages);
            if (!messages.endsWith("\n")) err.println();
            err.flush();
        }
        switch (code) {
            case 0 -> { }
            case 3 -> throw CliException.failed(what + " failed: the database rejected a statement (psql's message above)" + hint(messages, url));
            default -> throw CliException.usage("cannot apply " + what + " to " + url.redacted()
                    + (messages.isBlank() ? ": psql exited with code " + code : " (psql's message above)"));
        }
    }

    private void applyWithJdbc(DbUrl url, String script, String what) {
        List<String> statements = SqlScript.split(script);
        try (Connection c = Database.connect(url); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            for (String sql : statements) {
                try {
                    s.execute(sql);
                    for (SQLWarning w = s.getWarnings(); w != null; w = w.getNextWarning()) err.println("NOTICE:  " + w.getMessage());
                    s.clearWarnings();
                } catch (SQLException e) {
                    err.println("ERROR:  " + e.getMessage());
                    err.println("STATEMENT:  " + abbreviate(sql));
                    err.flush();
                    // closing the connection rolls back whatever transaction the script had open
                    CliException failure = Database.error(what + " failed", e);
                    throw failure.exitCode() == ExitCode.USAGE ? failure
                            : CliException.failed(what + " failed: the database rejected a statement (message above)" + hint(e.getMessage(), url));
                }
            }
        } catch (SQLException e) {
            throw Database.error("cannot apply " + what, e);
        }
    }

    /** The one failure with an obvious fix: a compiled script applied where the runtime is missing. */
    private static String hint(String messages, DbUrl url) {
        if (messages != null && (messages.contains("schema \"df\" does not exist")
                || messages.contains("the dfc runtime is not installed in this database"))) {
            return "\nhint: the dfc runtime is not installed in this database; install it with: dfc runtime --install --db " + url.redacted();
        }
        return "";
    }

    private static String abbreviate(String sql) {
        String oneLine = sql.replaceAll("\\s+", " ");
        return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + " ...";
    }

    private static void copy(InputStream in, OutputStream out) {
        try (in) {
            in.transferTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
